/**
 * The trigger router: every event that may start pipelines on AWS arrives here, is parsed from
 * its real shape, matched with the same core/triggers code local mode uses, and each match is
 * started through the execution service (the concurrency gate) with the match's idempotency key,
 * so a redelivered event (EventBridge delivers at least once) starts nothing new.
 *
 * - `ECR Image Action` (PUSH, SUCCESS) → `docker` triggers: repository equal, tag a full regex
 *   match, a blank tag any tag but `latest`.
 * - `CodeCommit Repository State Change` (referenceCreated / referenceUpdated of a branch) →
 *   `git` triggers with source `codecommit`, project = the account id, slug = the repository,
 *   branch a full regex match.
 * - EventBridge Scheduler's invocation `{ source: 'gennaker.cron', pipelineConfigId, triggerIndex, scheduledTime }` → that cron trigger.
 * - Gennaker's `Pipeline Execution Completed` → `pipeline` triggers.
 * - An SQS batch (this function as the queue's event source) → `pubsub` triggers with
 *   `pubsubSystem: amazon` whose `subscriptionName` is the queue's name: each record is an SNS
 *   notification (its `Message` and `MessageAttributes`) or, with raw message delivery, the
 *   message itself (the record's `messageAttributes`), as Echo's SQS subscriber reads them.
 */
import { z } from 'zod';
import { runAsUserOf } from '../../core/authz/service-accounts.ts';
import type { ExecutionService } from '../../core/execution/execution-service-api.ts';
import type { Pipeline } from '../../core/pipeline/model.ts';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import type { PipelineExecutionCompleted } from '../../core/ports/event-bus.ts';
import { runnableConfigOf, type ExecutionStore } from '../../core/ports/execution-store.ts';
import { dueCronTriggers } from '../../core/triggers/cron-due.ts';
import { matchDockerTrigger } from '../../core/triggers/docker-match.ts';
import { matchGitTrigger } from '../../core/triggers/git-match.ts';
import { pipelineRef, type TriggerMatch } from '../../core/triggers/match.ts';
import { matchPipelineTrigger } from '../../core/triggers/pipeline-match.ts';
import { matchPubsubTrigger, type PubsubEvent } from '../../core/triggers/pubsub-match.ts';
import { pubsubEventOf } from '../../core/triggers/pubsub-message.ts';
import { listTriggerablePipelines } from '../../core/triggers/pipeline-source.ts';
import { EXECUTION_STATUSES } from '../../core/execution/status.ts';
import { cloudRuntimeForColdStart } from '../wiring.ts';

/** A Scheduler firing may be late by up to this much and still find its fire time (Scheduler's precision is a minute). */
const CRON_LATENESS_MS = 60_000;

const envelope = { id: z.string().min(1), account: z.string(), region: z.string() };

const ecrEventSchema = z.object({
  ...envelope,
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  detail: z.object({
    result: z.string(),
    'action-type': z.string(),
    'repository-name': z.string().min(1),
    'image-digest': z.string().optional(),
    'image-tag': z.string().optional(),
  }),
});

const codeCommitEventSchema = z.object({
  ...envelope,
  source: z.literal('aws.codecommit'),
  'detail-type': z.literal('CodeCommit Repository State Change'),
  detail: z.object({
    event: z.string(),
    repositoryName: z.string().min(1),
    referenceType: z.string(),
    referenceName: z.string().min(1),
    commitId: z.string().min(1),
    oldCommitId: z.string().optional(),
  }),
});

const cronInvocationSchema = z.object({
  source: z.literal('gennaker.cron'),
  pipelineConfigId: z.string().min(1),
  triggerIndex: z.number().int().nonnegative(),
  scheduledTime: z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'expected an ISO date-time'),
});

const completedEventSchema = z.object({
  id: z.string(),
  source: z.literal('gennaker'),
  'detail-type': z.literal('Pipeline Execution Completed'),
  detail: z.object({
    type: z.literal('Pipeline Execution Completed'),
    executionId: z.string().min(1),
    application: z.string().min(1),
    pipelineConfigId: z.string().min(1),
    pipelineName: z.string(),
    status: z.enum(EXECUTION_STATUSES),
    endTime: z.number(),
  }),
});

const sqsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal('aws:sqs'),
        eventSourceARN: z.string().min(1),
        messageId: z.string().min(1),
        body: z.string(),
        messageAttributes: z.record(z.string(), z.object({ stringValue: z.string().optional(), dataType: z.string().optional() }).loose()).optional(),
      }),
    )
    .min(1),
});

/** A queue record as the pub/sub event it carries (SNS envelope or raw delivery); the subscription is the queue's name. */
export function pubsubEventFromSqsRecord(record: z.infer<typeof sqsEventSchema>['Records'][number]): PubsubEvent {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(record.messageAttributes ?? {})) if (value.stringValue !== undefined) attributes[key] = value.stringValue;
  const subscriptionName = record.eventSourceARN.split(':').at(-1) ?? record.eventSourceARN;
  return pubsubEventOf({ subscriptionName, messageId: record.messageId, body: record.body, attributes });
}

export interface TriggerRouterDeps {
  /** Starts each match as its trigger's service account (`runAsUser`, looked up in the state table; `[anonymous]` without one). */
  readonly service: Pick<ExecutionService, 'startTriggered'>;
  readonly store: Pick<ExecutionStore, 'listApplications' | 'listPipelineConfigs' | 'getPipelineConfig'>;
  /** Where a start that could not happen is reported. @default nowhere */
  readonly log?: (entry: { readonly level: 'warn'; readonly message: string }) => void;
}

export interface RouteResult {
  /** What the event was read as, or why it was ignored. */
  readonly event: string;
  readonly started: ReadonlyArray<{ readonly pipelineConfigId: string; readonly executionId: string; readonly duplicate: boolean }>;
  readonly refused: ReadonlyArray<{ readonly pipelineConfigId: string; readonly message: string }>;
  /**
   * For an SQS batch (the event source reports batch item failures): the records whose starts
   * could not be recorded (the store failed), which SQS delivers again; every other record is
   * deleted, its executions recorded (or refused for good).
   */
  readonly batchItemFailures?: ReadonlyArray<{ readonly itemIdentifier: string }>;
}

function registryOf(account: string, region: string): string {
  return `${account}.dkr.ecr.${region}.amazonaws.com`;
}

export function createTriggerRouter(deps: TriggerRouterDeps): (event: unknown) => Promise<RouteResult> {
  const startAll = async (what: string, matches: readonly TriggerMatch[], source: string): Promise<RouteResult> => {
    const started: Array<RouteResult['started'][number]> = [];
    const refused: Array<RouteResult['refused'][number]> = [];
    for (const match of matches) {
      const pipelineConfigId = pipelineRef(match.pipeline);
      const runAsUser = runAsUserOf(match.definition.raw);
      const result = await deps.service.startTriggered(
        { application: match.pipeline.application, pipeline: pipelineConfigId, trigger: match.trigger, idempotencyKey: match.idempotencyKey },
        { source, ...(runAsUser !== undefined ? { runAsUser } : {}) },
      );
      if (result.ok) {
        started.push({ pipelineConfigId, executionId: result.executionId, duplicate: result.duplicate });
      } else {
        refused.push({ pipelineConfigId, message: result.message });
        deps.log?.({ level: 'warn', message: `${what} could not start pipeline '${match.pipeline.name}' of '${match.pipeline.application}': ${result.message}` });
      }
    }
    return { event: what, started, refused };
  };
  const ignored = (why: string): RouteResult => ({ event: `ignored: ${why}`, started: [], refused: [] });
  const pipelines = () => listTriggerablePipelines(deps.store);

  return async (event) => {
    const ecr = ecrEventSchema.safeParse(event);
    if (ecr.success) {
      const { detail } = ecr.data;
      if (detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') return ignored(`ECR ${detail['action-type']} ${detail.result}`);
      const tag = detail['image-tag'];
      if (!tag) return ignored(`ECR push of ${detail['repository-name']} without a tag`);
      const matches = matchDockerTrigger(await pipelines(), {
        account: ecr.data.account,
        registry: registryOf(ecr.data.account, ecr.data.region),
        repository: detail['repository-name'],
        tag,
        ...(detail['image-digest'] ? { digest: detail['image-digest'] } : {}),
        eventId: ecr.data.id,
      });
      return startAll(`ECR push ${detail['repository-name']}:${tag}`, matches, 'trigger:docker');
    }

    const commit = codeCommitEventSchema.safeParse(event);
    if (commit.success) {
      const { detail } = commit.data;
      if (detail.event !== 'referenceCreated' && detail.event !== 'referenceUpdated') return ignored(`CodeCommit ${detail.event}`);
      if (detail.referenceType !== 'branch') return ignored(`CodeCommit ${detail.referenceType} ${detail.referenceName}`);
      const matches = matchGitTrigger(await pipelines(), {
        source: 'codecommit',
        project: commit.data.account,
        slug: detail.repositoryName,
        branch: detail.referenceName,
        hash: detail.commitId,
        action: 'push',
        deliveryId: commit.data.id,
      });
      return startAll(`CodeCommit push ${detail.repositoryName}@${detail.referenceName}`, matches, 'trigger:git');
    }

    const cron = cronInvocationSchema.safeParse(event);
    if (cron.success) {
      const { pipelineConfigId, triggerIndex, scheduledTime } = cron.data;
      const saved = await deps.store.getPipelineConfig(pipelineConfigId);
      const pipeline: Pipeline | undefined = saved ? parsePipeline(runnableConfigOf(saved)).pipeline : undefined;
      if (!pipeline) return ignored(`cron schedule of pipeline ${pipelineConfigId}, which is not saved`);
      const fireTime = Date.parse(scheduledTime);
      const due = dueCronTriggers([pipeline], fireTime - CRON_LATENESS_MS, fireTime).filter((match) => match.definition.index === triggerIndex);
      if (due.length === 0) return ignored(`cron trigger ${triggerIndex} of pipeline ${pipelineConfigId} is not due at ${scheduledTime} (changed, disabled or removed)`);
      return startAll(`cron trigger ${triggerIndex} of ${pipelineConfigId} at ${scheduledTime}`, due, 'trigger:cron');
    }

    const completed = completedEventSchema.safeParse(event);
    if (completed.success) {
      const detail: PipelineExecutionCompleted = completed.data.detail;
      return startAll(`execution ${detail.executionId} ended ${detail.status}`, matchPipelineTrigger(await pipelines(), detail), 'trigger:pipeline');
    }

    const sqs = sqsEventSchema.safeParse(event);
    if (sqs.success) {
      const all = await pipelines();
      const failures: Array<{ itemIdentifier: string }> = [];
      const results = await Promise.all(
        sqs.data.Records.map(async (record) => {
          const message = pubsubEventFromSqsRecord(record);
          const what = `message ${message.messageId} of subscription ${message.subscriptionName}`;
          try {
            return await startAll(what, matchPubsubTrigger(all, message), 'trigger:pubsub');
          } catch (error) {
            // Not recorded: SQS delivers it again; the idempotency key makes what did start count once.
            failures.push({ itemIdentifier: record.messageId });
            deps.log?.({ level: 'warn', message: `${what} will be delivered again: ${error instanceof Error ? error.message : String(error)}` });
            return { event: `${what} (delivered again)`, started: [], refused: [] };
          }
        }),
      );
      return {
        event: results.map((result) => result.event).join('; '),
        started: results.flatMap((result) => result.started),
        refused: results.flatMap((result) => result.refused),
        batchItemFailures: failures,
      };
    }

    const shape = event !== null && typeof event === 'object' ? `source '${String((event as Record<string, unknown>).source)}', detail-type '${String((event as Record<string, unknown>)['detail-type'])}'` : typeof event;
    return ignored(`an event the trigger router does not handle (${shape})`);
  };
}

export async function handler(event: unknown): Promise<RouteResult> {
  const runtime = cloudRuntimeForColdStart();
  return createTriggerRouter({ service: runtime.service, store: runtime.store, log: runtime.log })(event);
}
