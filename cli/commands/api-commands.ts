/**
 * The CLI's client commands: thin calls of the API (cli/api-client.ts) rendered through the
 * IoHost. `--json` prints the API's answer; otherwise one line per item, and `execution watch`
 * the live stage tree (the same `execution-progress` message `gennaker run` renders).
 */
import type { Execution, StageRecord } from '../../core/ports/execution-store.ts';
import type { ExecutionStatus } from '../../core/execution/status.ts';
import { isComplete } from '../../core/execution/status.ts';
import type { IoHost, StageProgress } from '../../core/io-host.ts';
import type { ValidationIssue } from '../../core/issues.ts';
import type { OrcaExecution, OrcaStage } from '../../core/execution/orca-shape.ts';
import type { ApiClient } from '../api-client.ts';
import { ApiError } from '../api-client.ts';
import type { LoadedDocument } from '../pipeline-files.ts';
import { EXIT, UsageError } from '../usage.ts';
import { executionFailureReason } from '../../core/execution/failure-reason.ts';
import { parseParams, progressOf, withReason } from './progress.ts';

export interface ApiCommandContext {
  readonly client: ApiClient;
  readonly io: IoHost;
  readonly json: boolean;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const path = encodeURIComponent;

function data(context: ApiCommandContext, value: unknown): void {
  context.io.emit({ kind: 'data', text: JSON.stringify(value, null, 2) });
}

/** Runs a command, turning an API error into one line and exit code 1. */
export async function withApiErrors(io: IoHost, command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof ApiError) {
      io.emit({ kind: 'error', message: error.message });
      return EXIT.failed;
    }
    throw error;
  }
}

/** `gennaker pipeline save -f pipeline.json`: saves every pipeline of the document. */
export async function pipelineSave(context: ApiCommandContext, document: LoadedDocument): Promise<number> {
  const { io } = context;
  if (document.issues.length > 0) {
    for (const issue of document.issues) io.emit({ kind: 'validation-issue', source: document.source, issue });
    return EXIT.failed;
  }
  let code: number = EXIT.ok;
  const results: unknown[] = [];
  for (const { input } of document.pipelines) {
    try {
      const saved = await context.client.request<{ id: string; application: string; name: string; version: number; warnings: ValidationIssue[] }>('POST', '/pipelines', input);
      results.push(saved);
      if (!context.json) {
        for (const issue of saved.warnings) io.emit({ kind: 'validation-issue', source: document.source, issue });
        io.emit({ kind: 'info', message: `saved ${saved.application}/${saved.name} (id ${saved.id}, version ${saved.version})` });
      }
    } catch (error) {
      const issues = error instanceof ApiError ? (error.body as { issues?: ValidationIssue[] } | undefined)?.issues : undefined;
      if (!issues) throw error;
      results.push((error as ApiError).body);
      if (!context.json) {
        for (const issue of issues) io.emit({ kind: 'validation-issue', source: document.source, issue: { ...issue, severity: issue.severity ?? 'error' } });
        io.emit({ kind: 'error', message: (error as ApiError).message.replace(/ \(first: .*\)$/, '') });
      }
      code = EXIT.failed;
    }
  }
  if (context.json) data(context, results.length === 1 ? results[0] : results);
  return code;
}

/** `gennaker pipeline delete APP NAME`: Gate's delete, which succeeds whether or not the pipeline was there. */
export async function pipelineDelete(context: ApiCommandContext, application: string, name: string): Promise<number> {
  const answer = await context.client.request<{ deleted: boolean; id?: string }>('DELETE', `/pipelines/${path(application)}/${path(name)}`);
  if (context.json) data(context, answer);
  else context.io.emit({ kind: 'info', message: answer.deleted ? `deleted ${application}/${name} (id ${answer.id})` : `${application} has no pipeline named '${name}'; nothing to delete` });
  return EXIT.ok;
}

/** `gennaker pipeline list APP`. */
export async function pipelineList(context: ApiCommandContext, application: string): Promise<number> {
  const configs = await context.client.request<Array<{ id: string; name: string; version: number; updateTs?: number }>>('GET', `/applications/${path(application)}/pipelineConfigs`);
  if (context.json) data(context, configs);
  else if (configs.length === 0) context.io.emit({ kind: 'info', message: `application '${application}' has no pipelines; save one with 'gennaker pipeline save -f pipeline.json'` });
  else for (const config of configs) context.io.emit({ kind: 'data', text: `${config.name}\t${config.id}\tv${config.version}` });
  return EXIT.ok;
}

/** `gennaker pipeline execute APP NAME [--param k=v]... [--watch]`. */
export async function pipelineExecute(context: ApiCommandContext, application: string, name: string, params: readonly string[], watch: boolean): Promise<number> {
  const parameters = parseParams(params);
  const { ref } = await context.client.request<{ ref: string }>('POST', `/pipelines/${path(application)}/${path(name)}`, { parameters });
  const executionId = ref.replace(/^\/pipelines\//, '');
  if (watch) {
    if (!context.json) context.io.emit({ kind: 'info', message: `started execution ${executionId}` });
    return executionWatch(context, executionId);
  }
  context.io.emit({ kind: 'data', text: context.json ? JSON.stringify({ executionId, ref }) : executionId });
  return EXIT.ok;
}

/** `gennaker execution list APP`. */
export async function executionList(context: ApiCommandContext, application: string, limit?: string, statuses?: string): Promise<number> {
  const query = new URLSearchParams();
  if (limit !== undefined) query.set('limit', limit);
  if (statuses !== undefined) query.set('statuses', statuses);
  const suffix = query.size > 0 ? `?${query.toString()}` : '';
  const executions = await context.client.request<OrcaExecution[]>('GET', `/applications/${path(application)}/pipelines${suffix}`);
  if (context.json) data(context, executions);
  else for (const execution of executions) context.io.emit({ kind: 'data', text: `${execution.id}\t${execution.status}\t${execution.name}\t${new Date(execution.buildTime).toISOString()}` });
  return EXIT.ok;
}

/** The stored-record view of an Orca execution that `progressOf` reads (it needs only these fields). */
function asExecution(execution: OrcaExecution): Execution {
  const stage = (s: OrcaStage): StageRecord => ({
    ...s,
    ...(s.startTime === null ? { startTime: undefined } : { startTime: s.startTime }),
    ...(s.endTime === null ? { endTime: undefined } : { endTime: s.endTime }),
    runtime: {},
    // Orca's shape does not say whether a callback waits: a running judgment is waiting for one.
    awaitingCallback: s.type === 'manualJudgment' && s.status === 'RUNNING',
    revision: 0,
  }) as StageRecord;
  return { ...execution, stages: execution.stages.map(stage) } as unknown as Execution;
}

/** The stage tree of an execution as the progress display shows it. */
export function progressFromOrca(execution: OrcaExecution, now: number): StageProgress[] {
  // The API's document lists every synthetic stage; there are no saved plans to derive more from.
  return progressOf(asExecution(execution), now, () => []);
}

function progressMessage(execution: OrcaExecution, now: number, previous: ReadonlyMap<string, string> | undefined, previousStatus: ExecutionStatus | undefined) {
  const stages = progressFromOrca(execution, now);
  const key = (stage: StageProgress) => `${stage.status}${stage.awaitingJudgment ? '?' : ''}`;
  const changed = stages.filter((stage) => previous?.get(stage.id) !== key(stage));
  const started = execution.startTime ?? undefined;
  return {
    message: {
      kind: 'execution-progress' as const,
      executionId: execution.id,
      pipeline: execution.name,
      status: execution.status,
      ...(started !== undefined ? { durationMs: (execution.endTime ?? now) - started } : {}),
      ...withReason(executionFailureReason(execution)),
      statusChanged: previousStatus !== execution.status,
      stages,
      changed,
      ...(execution.notificationDeliveries !== undefined ? { notifications: execution.notificationDeliveries } : {}),
    },
    seen: new Map(stages.map((stage) => [stage.id, key(stage)])),
  };
}

/** `gennaker execution get ID`. */
export async function executionGet(context: ApiCommandContext, executionId: string): Promise<number> {
  const execution = await context.client.request<OrcaExecution>('GET', `/pipelines/${path(executionId)}`);
  if (context.json) data(context, execution);
  else context.io.emit(progressMessage(execution, context.now(), undefined, undefined).message);
  return EXIT.ok;
}

/** `gennaker execution watch ID`: the live stage tree until the execution completes; exit 0 iff it SUCCEEDED. */
export async function executionWatch(context: ApiCommandContext, executionId: string, pollMs = 500): Promise<number> {
  let seen: ReadonlyMap<string, string> | undefined;
  let status: ExecutionStatus | undefined;
  for (;;) {
    const execution = await context.client.request<OrcaExecution>('GET', `/pipelines/${path(executionId)}`);
    if (!context.json) {
      const next = progressMessage(execution, context.now(), seen, status);
      if (next.message.changed.length > 0 || next.message.statusChanged) context.io.emit(next.message);
      seen = next.seen;
    }
    status = execution.status;
    if (isComplete(execution.status)) {
      if (context.json) data(context, execution);
      return execution.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
    }
    await context.sleep(pollMs);
  }
}

/** `gennaker execution cancel ID [--reason R]`. */
export async function executionCancel(context: ApiCommandContext, executionId: string, reason: string | undefined): Promise<number> {
  const query = reason === undefined ? '' : `?reason=${encodeURIComponent(reason)}`;
  const answer = await context.client.request('PUT', `/pipelines/${path(executionId)}/cancel${query}`);
  if (context.json) data(context, answer);
  else context.io.emit({ kind: 'info', message: `canceling execution ${executionId}` });
  return EXIT.ok;
}

/** Finds a stage by id, refId or name (people type what they see). */
async function resolveStageId(context: ApiCommandContext, executionId: string, stage: string): Promise<string> {
  const execution = await context.client.request<OrcaExecution>('GET', `/pipelines/${path(executionId)}`);
  const found =
    execution.stages.find((s) => s.id === stage) ?? execution.stages.find((s) => s.refId === stage) ?? execution.stages.find((s) => s.name.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw new UsageError(`execution ${executionId} has no stage '${stage}'; use a stage id, refId or name: ${execution.stages.map((s) => `${s.refId} (${s.name})`).join(', ')}`);
  }
  return found.id;
}

/** `gennaker execution restart ID STAGE`: prints the new execution's id. */
export async function executionRestart(context: ApiCommandContext, executionId: string, stage: string): Promise<number> {
  const stageId = await resolveStageId(context, executionId, stage);
  const { ref } = await context.client.request<{ ref: string }>('PUT', `/pipelines/${path(executionId)}/stages/${path(stageId)}/restart`);
  const restarted = ref.replace(/^\/pipelines\//, '');
  context.io.emit({ kind: 'data', text: context.json ? JSON.stringify({ executionId: restarted, ref }) : restarted });
  return EXIT.ok;
}

/** `gennaker judge ID STAGE continue|stop [--input X]`. */
export async function judge(context: ApiCommandContext, executionId: string, stage: string, answer: string, input: string | undefined): Promise<number> {
  if (answer !== 'continue' && answer !== 'stop') throw new UsageError(`judge takes 'continue' or 'stop', got '${answer}' (e.g. gennaker judge ${executionId} ${stage} continue)`);
  const stageId = await resolveStageId(context, executionId, stage);
  const execution = await context.client.request<OrcaExecution>('PATCH', `/pipelines/${path(executionId)}/stages/${path(stageId)}`, {
    judgmentStatus: answer,
    ...(input === undefined ? {} : { judgmentInput: input }),
  });
  if (context.json) data(context, execution);
  else context.io.emit({ kind: 'info', message: `judged stage '${stage}' of ${executionId}: ${answer}${input === undefined ? '' : ` (${input})`}` });
  return EXIT.ok;
}
