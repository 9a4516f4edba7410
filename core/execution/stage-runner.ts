/**
 * The stage runner: one handler for every stage task of every compiled pipeline. It implements
 * the contract of statemachines/README.md — join rule, stageEnabled, restart skipping, the
 * stage context evaluated at stage start (v4), poll budgets and stage timeouts, failure
 * policies, faults and the final status — over the execution store, and dispatches each step
 * to its stage type's task (core/stages/<type>.ts), which returns a result value.
 *
 * Lambda and Step Functions deliver at least once, so every write is conditional on the
 * status read, a call for a complete stage answers its status and changes nothing, and a lost
 * race re-reads the winner instead of overwriting it.
 */
import { authenticationOf } from '../authz/authentication.ts';
import { powerProblem, powerUsesOf, type PowerPolicy } from '../authz/powers.ts';
import { GennakerError, ERROR_CATALOG, type ErrorName } from '../errors.ts';
import { evaluateDeep, evaluateExpression } from '../expressions/index.ts';
import {
  getStageType,
  parsePipeline,
  planStage,
  type Pipeline,
  type Stage,
  type StageType,
  type TaskStep,
} from '../pipeline/index.ts';
import type { ArtifactContentPort } from '../ports/artifact-content.ts';
import type { ArtifactStore } from '../ports/artifact-store.ts';
import type { ChildPipelines } from '../ports/child-pipelines.ts';
import type { Clock } from '../ports/clock.ts';
import type { TargetLookup } from '../ports/target.ts';
import { runnableConfigOf, type Execution, type ExecutionStore, type JsonObject, type StageRecord, type StageUpdate } from '../ports/execution-store.ts';
import type { HttpClient } from '../ports/http-client.ts';
import type { StateMachineEngine } from '../ports/state-machine-engine.ts';
import type { JobRunner } from '../ports/job-runner.ts';
import type { EventBus, StagePhase } from '../ports/event-bus.ts';
import { runBakeTask } from '../stages/bake.ts';
import { runCheckPreconditions, CHECK_PRECONDITIONS_DEFERRED_FIELDS } from '../stages/check-preconditions.ts';
import { runClusterTask } from '../stages/cluster.ts';
import { runDeployTask } from '../stages/deploy.ts';
import type { DeployTaskDeps } from '../stages/deploy-scope.ts';
import { stageEvaluationContext } from './evaluation-context.ts';
import { runEvaluateVariables, EVALUATE_VARIABLES_DEFERRED_FIELDS } from '../stages/evaluate-variables.ts';
import { runExecutionWindow } from '../stages/execution-window.ts';
import { summarizeFailures, summaryDescriptions, type ExpressionSummary } from './expression-summary.ts';
import { runFindArtifactFromExecution } from '../stages/find-artifact-from-execution.ts';
import { runFindImage, runFindImageFromTags } from '../stages/find-image.ts';
import { runMonitorPipeline, runStartPipeline } from '../stages/pipeline.ts';
import { runRollbackServerGroupTask } from '../stages/rollback-server-group.ts';
import { CODE_BUILD_TIMEOUT_MS, isKubernetesRunJob } from '../pipeline/stage-types/index.ts';
import type { CanaryStageDeps } from '../stages/kayenta-canary.ts';
import type { CanaryConfigStore } from '../ports/canary-config-store.ts';
import type { MetricSourceLookup } from '../ports/metric-source.ts';
import { runServerGroupTask } from '../stages/server-group.ts';
import { booleanFrom, failed, numberFrom, objectAt, type FailedStatus, type TaskDeps, type TaskInput, type TaskResult } from '../stages/task-result.ts';
import { runWait, runWaitUntil } from '../stages/wait.ts';
import type { EvaluationContext } from '../expressions/index.ts';
import type { SecretCipher } from '../ports/secret-cipher.ts';
import type { SecretLookup, SecretStore } from '../ports/secret-store.ts';
import { createSealer, type Sealer } from './sealing.ts';
import { REDACTED, secretValuesOf } from './secrets.ts';
import { readsSecrets, revealedSecrets, secretLookup, secretNamesIn } from './stage-secrets.ts';
import {
  COMPLETE_TASK,
  EXECUTION_WINDOW_TASK,
  FAULT_TASK,
  isStageAnswerStatus,
  isTaskGone,
  stageSteps,
  type CompleteAnswer,
  type StageAnswer,
  type StageRunnerRequest,
  type StageTaskRequest,
  type StepFault,
} from './runner-contract.ts';
import { DEPLOY_TARGET_STAGE_TYPES, LAMBDA_STAGE_TYPES, METRIC_STAGE_TYPES, RUNNABLE_STAGE_TYPES, runnableTypeOf } from './runnable-stage-types.ts';
import { canStart, executionStatus, failureStatus, upstreamIndex } from './semantics.ts';
import { syntheticStagesOf } from './synthetic-stages.ts';
import { stagePhaseOf } from '../notifications/phases.ts';

/**
 * The tasks of Spinnaker's Kubernetes, Lambda and CodeBuild stages (and of webhooks, clones, canaries...) load the first time such a stage runs: a
 * pipeline without them never pays for their code, and the stage runner's Lambda bundle keeps them
 * in modules of their own beside its cold start (scripts/build.js, ON_DEMAND_MODULES).
 */
const manifestTasks = () => import('../stages/manifest.ts');
const lambdaTasks = () => import('../stages/lambda.ts');
const canaryTasks = () => import('../stages/canary-tasks.ts');
const cloneTasks = () => import('../stages/clone-server-group.ts');
const rolloutTasks = () => import('../stages/continue-service-deployment.ts');
const webhookTasks = () => import('../stages/webhook.ts');
const codeBuildTasks = () => import('../stages/aws-code-build.ts');
const jobTasks = () => import('../stages/run-job.ts');
import { isComplete, type ExecutionStatus } from './status.ts';

export type StageRunner = (request: StageRunnerRequest) => Promise<StageAnswer | CompleteAnswer>;

/** Re-exported for the runner's callers; the lists live apart so the service can import them alone. */
export { DEPLOY_TARGET_STAGE_TYPES, LAMBDA_STAGE_TYPES, METRIC_STAGE_TYPES, RUNNABLE_STAGE_TYPES };

/** Stage types that run when the runner has an image store (`StageRunnerDeps.artifacts`). */
export const ARTIFACT_STAGE_TYPES: readonly StageType[] = ['bake', 'findImageFromTags'];

/** Stage types that run when the runner has a job runner (`StageRunnerDeps.jobs`). */
export const JOB_STAGE_TYPES: readonly StageType[] = ['runJob'];

/** The stage types a runner built with these deps runs: an execution service refuses pipelines with others. */
export function runnableStageTypes(deps: Pick<StageRunnerDeps, 'targets' | 'artifacts' | 'jobs'> & { readonly metrics?: unknown }): readonly StageType[] {
  return [
    ...RUNNABLE_STAGE_TYPES,
    ...(deps.targets ? DEPLOY_TARGET_STAGE_TYPES : []),
    ...(deps.metrics ? METRIC_STAGE_TYPES : []),
    ...(deps.artifacts ? ARTIFACT_STAGE_TYPES : []),
    ...(deps.jobs ? JOB_STAGE_TYPES : []),
  ];
}

/** The stages of a pipeline that cannot run yet, with the message the runner would fail them with. */
export function unrunnableStages(pipeline: Pipeline): Array<{ refId: string; name: string; type: string; message: string }> {
  return pipeline.stages.filter((stage) => !RUNNABLE_STAGE_TYPES.includes(runnableTypeOf(stage))).map((stage) => ({ refId: stage.refId, name: stage.name, type: stage.type, message: cannotRunYet(stage.type) }));
}

/**
 * Polls allowed for a poll step whose plan does not say. Must equal the compiler's
 * DEFAULT_MAX_POLLS (statemachines/lower.ts), which budgets the history with it; a test pins it.
 */
export const DEFAULT_POLL_BUDGET = 100;

const HOUR = 60 * 60 * 1000;

/**
 * Stage timeouts when the stage sets no `stageTimeoutMs`, checked on every poll from the stage's
 * start. A child pipeline: Deck's 12 h. A webhook's status polling: 12 h as well. Waits end on
 * their own; manual judgment is bounded by its callback's TimeoutSeconds.
 */
export const DEFAULT_STAGE_TIMEOUTS_MS: Readonly<Partial<Record<StageType, number>>> = { pipeline: 12 * HOUR, webhook: 12 * HOUR, awsCodeBuild: CODE_BUILD_TIMEOUT_MS };

export interface StageRunnerLimits {
  /** Overrides of DEFAULT_STAGE_TIMEOUTS_MS. */
  readonly defaultStageTimeoutsMs?: Readonly<Partial<Record<StageType, number>>>;
}

export interface StageRunnerDeps {
  readonly store: ExecutionStore;
  readonly clock: Clock;
  readonly http: HttpClient;
  readonly children: ChildPipelines;
  /** In [0, 1), for execution-window jitter. @default a constant 0.5 (no randomness) */
  readonly random?: () => number;
  readonly limits?: StageRunnerLimits;
  /**
   * The deploy target of each account, for the server-group and cluster stages
   * (DEPLOY_TARGET_STAGE_TYPES). Absent: those stages fail as stages that cannot run yet.
   */
  readonly targets?: TargetLookup;
  /** The names of the accounts that exist, for messages naming an unknown one. */
  readonly accounts?: () => readonly string[];
  /** The image store, for bake and findImageFromTags (ARTIFACT_STAGE_TYPES). Absent: they cannot run yet. */
  readonly artifacts?: ArtifactStore;
  /**
   * Reads artifacts' content through the artifact accounts (core/stages/stage-artifacts.ts
   * `readArtifactText`), for stages that take a document from an artifact (the manifest stages).
   * Absent: only `embedded/base64` artifacts have content.
   */
  readonly artifactContent?: ArtifactContentPort;
  /** The job runner, for runJob (JOB_STAGE_TYPES). Absent: it cannot run yet. */
  readonly jobs?: JobRunner;
  /** The metric sources, for kayentaCanary and the deploy strategy `canary`. Absent: they cannot run yet. */
  readonly metrics?: MetricSourceLookup;
  /** Saved canary configs, for `canaryConfigId` / `canaryConfigName`. Absent: only inline configs. */
  readonly canaryConfigs?: CanaryConfigStore;
  /**
   * Resumes callback Tasks. A callback step's own answer is ignored by the state machine, which
   * waits for its token: when the step does not wait for a judgment (its stage was kept by a
   * restart, skipped, blocked or canceled), the runner resumes the Task with its answer here.
   * Absent: such a Task waits until its timeout.
   */
  readonly callbacks?: Pick<StateMachineEngine, 'sendTaskSuccess'>;
  /**
   * Dangerous powers (core/authz/powers.ts), checked again as each stage starts, with its
   * expressions evaluated, against whoever started the execution (`trigger.authentication`).
   * Absent: not checked.
   */
  readonly powers?: PowerPolicy;
  /**
   * Encrypts the secrets a stage writes (sealing.ts), and decrypts the execution's sealed values
   * for the stages. Absent: every secret is redacted for good instead, so a later step of the
   * stage cannot read it back.
   */
  readonly secrets?: SecretCipher;
  /** Named secrets for `${#secret('name')}`. Absent: `#secret` fails, saying none is configured. */
  readonly secretStore?: SecretStore;
  /**
   * Where the transitions of stages with notifications are published (`Stage Execution
   * Changed`), for the notifier. A failed publish never fails the stage. Absent: not published.
   */
  readonly bus?: EventBus;
}

/**
 * The secrets of one call (stage-secrets.ts): what every write of the stage seals or redacts,
 * and the named secrets its expressions read.
 */
interface CallSecrets {
  readonly sealer: Sealer;
  /** Sealed wherever they appear. Grows as the stage's evaluated context reveals more. */
  readonly sealed: Set<string>;
  /** `#secret` values: redacted for good. */
  readonly redacted: Set<string>;
  /** The `#secret` reads, for the evaluation contexts. */
  readonly lookup: (name: string) => SecretLookup;
}

/** Statuses that are not complete: what a finishing write may expect. */
const INCOMPLETE: readonly ExecutionStatus[] = ['NOT_STARTED', 'RUNNING', 'PAUSED', 'SUSPENDED', 'BUFFERED', 'REDIRECT'];

/** Context fields never evaluated at stage start: structure, and what a task evaluates itself. */
const NOT_EVALUATED: Readonly<Partial<Record<StageType, readonly string[]>>> = {
  evaluateVariables: EVALUATE_VARIABLES_DEFERRED_FIELDS,
  checkPreconditions: CHECK_PRECONDITIONS_DEFERRED_FIELDS,
};

/**
 * The context fields of `stage` not evaluated at stage start: those its type evaluates itself, and
 * with `skipExpressionEvaluation: true` the manifests it sends as written (Orca's behaviour).
 */
function notEvaluated(stage: Stage): readonly string[] {
  const verbatim = booleanFrom(stage.raw['skipExpressionEvaluation']) === true ? (getStageType(stage.type)?.verbatimFields ?? []) : [];
  return [...(NOT_EVALUATED[stage.type] ?? []), ...verbatim];
}

/** Stage fields that describe the graph: not in a stage's context (new-execution.ts). */
const GRAPH_FIELDS: readonly string[] = ['refId', 'requisiteStageRefIds', 'type', 'name'];

/** Executions whose complete stages a runner keeps, least recently used dropped first. */
const CACHED_EXECUTIONS = 200;

/** What a runner remembers of one execution between two of its calls. */
interface KnownExecution {
  /** Every stage id, in creation order (an execution's stages are fixed when it is created). */
  readonly stageIds: readonly string[];
  /** Stages seen complete with no task token left: the store never changes them again. */
  readonly complete: Map<string, StageRecord>;
  /** Stages last seen NOT_STARTED, as then: one downstream of a running stage cannot have started since. */
  readonly unstarted: Map<string, StageRecord>;
  /** Every stage's place in the graph (refId, requisites, parent), which never changes. */
  readonly graph: readonly StageGraphNode[];
}

type StageGraphNode = Pick<StageRecord, 'id' | 'refId' | 'requisiteStageRefIds' | 'parentStageId'>;

/**
 * The ids of the stages downstream of `refId` (its requisite descendants, and their synthetic
 * stages): none of them can start before it completes, and an execution's stages never go back
 * to NOT_STARTED (a restart makes a new execution).
 */
function downstreamIds(stages: readonly StageGraphNode[], refId: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const stage of stages) {
    if (stage.parentStageId !== undefined) continue;
    for (const parent of stage.requisiteStageRefIds) children.set(parent, [...(children.get(parent) ?? []), stage.refId]);
  }
  const refIds = new Set<string>();
  const queue = [...(children.get(refId) ?? [])];
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (refIds.has(next)) continue;
    refIds.add(next);
    queue.push(...(children.get(next) ?? []));
  }
  const ids = new Set(stages.filter((stage) => stage.parentStageId === undefined && refIds.has(stage.refId)).map((stage) => stage.id));
  // Synthetic stages under a downstream stage, however deep.
  for (let grew = true; grew; ) {
    grew = false;
    for (const stage of stages) {
      if (stage.parentStageId !== undefined && ids.has(stage.parentStageId) && !ids.has(stage.id)) {
        ids.add(stage.id);
        grew = true;
      }
    }
  }
  return ids;
}

/**
 * Creates a stage runner. It caches parsed pipelines per (config id, version) for its own
 * lifetime, and the complete stages of the executions it ran recently: a call then reads the
 * header and the stages not yet complete, not the whole execution, so its read does not grow
 * with the stages already done. Everything that may still change (the header's status and
 * canceled flag, the parents the join rule looks at, the stages `#stage()` shows unfinished)
 * is read fresh on every call.
 */
export function createStageRunner(deps: StageRunnerDeps): StageRunner {
  const { store, clock } = deps;
  const pipelines = new Map<string, Promise<Pipeline>>();
  const known = new Map<string, KnownExecution>();
  const taskDeps: TaskDeps = { http: deps.http, children: deps.children, store, random: deps.random ?? (() => 0.5) };
  const timeouts = { ...DEFAULT_STAGE_TIMEOUTS_MS, ...deps.limits?.defaultStageTimeoutsMs };
  const canaryDeps: CanaryStageDeps | undefined = deps.metrics ? { metrics: deps.metrics, ...(deps.canaryConfigs ? { canaryConfigs: deps.canaryConfigs } : {}) } : undefined;
  const deployDeps: DeployTaskDeps | undefined = deps.targets ? { targets: deps.targets, applications: store, ...(deps.accounts ? { accounts: deps.accounts } : {}) } : undefined;
  // The manifest stages read `source: artifact` documents through the artifact accounts.
  const manifestDeps = deployDeps && deps.artifactContent ? { ...deployDeps, artifactContent: deps.artifactContent } : deployDeps;
  const sealers = new Map<string, Sealer>();
  const sealerFor = (application: string): Sealer => {
    let sealer = sealers.get(application);
    if (!sealer) {
      sealer = createSealer(deps.secrets, application);
      sealers.set(application, sealer);
      if (sealers.size > CACHED_EXECUTIONS) sealers.delete(sealers.keys().next().value!);
    }
    return sealer;
  };

  /**
   * The execution and the stage as written with their sealed values opened (a secret written into
   * the saved pipeline is stored sealed: config-secrets.ts), and the secrets of this call of `stage`.
   */
  const openCall = async (stored: Execution, written: Stage): Promise<{ execution: Execution; stage: Stage; secrets: CallSecrets }> => {
    const sealer = sealerFor(stored.application);
    const opened = await sealer.open(stored);
    const openedStage = await sealer.open(written);
    const stage = openedStage.value;
    const names = secretNamesIn(stage.raw);
    const read = new Map<string, SecretLookup>();
    await Promise.all(
      names.map(async (name) => {
        read.set(name, deps.secretStore ? await deps.secretStore.read(name, stored.application) : { ok: false, message: `#secret('${name}'): no secret store is configured here` });
      }),
    );
    const redacted = new Set<string>();
    for (const lookup of read.values()) if (lookup.ok && lookup.value !== '') redacted.add(lookup.value);
    const sealed = new Set([...opened.secrets, ...openedStage.secrets, ...secretValuesOf(opened.value)]);
    return { execution: opened.value, stage, secrets: { sealer, sealed, redacted, lookup: secretLookup(read) } };
  };

  /** A stage write with every secret of the call sealed or redacted. */
  const protect = async (set: StageUpdate['set'], secrets: CallSecrets): Promise<StageUpdate['set']> => {
    if (set.context === undefined && set.outputs === undefined && set.runtime === undefined) return set;
    const what = { sealed: secrets.sealed, redacted: secrets.redacted };
    return {
      ...set,
      ...(set.context !== undefined ? { context: await secrets.sealer.protect(set.context, what) } : {}),
      ...(set.outputs !== undefined ? { outputs: await secrets.sealer.protect(set.outputs, what) } : {}),
      ...(set.runtime !== undefined ? { runtime: await secrets.sealer.protect(set.runtime, what) } : {}),
    };
  };

  /**
   * The fields of the stage as written that are stored redacted, evaluated again now: those that
   * call `#secret`, and, when no key can seal (secrets are redacted for good), those that hold a
   * `******`. Undefined when there are none. Fields a task evaluates itself are left to the task.
   */
  const liveFields = (execution: Execution, stage: Stage, record: StageRecord, secrets: CallSecrets): Record<string, unknown> | undefined => {
    const deferred = new Set(['stageEnabled', ...GRAPH_FIELDS, ...notEvaluated(stage)]);
    const redacted = (key: string) => !secrets.sealer.canOpen && record.context[key] !== undefined && JSON.stringify(record.context[key]).includes(REDACTED);
    const keys = Object.keys(stage.raw).filter((key) => !deferred.has(key) && (readsSecrets(stage.raw[key]) || redacted(key)));
    if (keys.length === 0) return undefined;
    const written: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(stage.raw)) if (!GRAPH_FIELDS.includes(key)) written[key] = value;
    const context = withSecrets(stageEvaluationContext(execution, record, written, { now: () => clock.now() }), secrets);
    const fields: Record<string, unknown> = {};
    for (const key of keys) fields[key] = evaluateDeep(stage.raw[key], context).value;
    return fields;
  };

  /** An evaluation context of the stage that can read the call's `#secret` values. */
  const withSecrets = (context: EvaluationContext, secrets: CallSecrets): EvaluationContext => ({ ...context, secrets: secrets.lookup });

  const loadPipeline = (execution: Execution): Promise<Pipeline> => {
    const key = `${execution.pipelineConfigId}@${execution.pipelineVersion}`;
    let cached = pipelines.get(key);
    if (!cached) {
      cached = (async () => {
        const saved = await store.getPipelineConfig(execution.pipelineConfigId, execution.pipelineVersion);
        if (!saved) throw invariant(`execution ${execution.id} runs pipeline ${key}, which is not in the store`);
        const parsed = parsePipeline(runnableConfigOf(saved));
        if (!parsed.pipeline) throw invariant(`pipeline ${key} no longer validates: ${parsed.issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.pointer}: ${issue.message}`).join('; ')}`);
        return parsed.pipeline;
      })();
      pipelines.set(key, cached);
      cached.catch(() => pipelines.delete(key));
    }
    return cached;
  };

  /** Keeps a stage that will never change again (a stage with a task token may still lose it), or one not started yet. */
  const rememberStage = (executionId: string, stage: StageRecord): void => {
    const entry = known.get(executionId);
    if (!entry) return;
    if (stage.status === 'NOT_STARTED') entry.unstarted.set(stage.id, stage);
    else entry.unstarted.delete(stage.id);
    if (isComplete(stage.status) && !stage.awaitingCallback) entry.complete.set(stage.id, stage);
  };

  const rememberExecution = (execution: Execution): void => {
    known.delete(execution.id);
    known.set(execution.id, {
      stageIds: execution.stages.map((stage) => stage.id),
      complete: new Map(),
      unstarted: new Map(),
      graph: execution.stages.map(({ id, refId, requisiteStageRefIds, parentStageId }) => ({ id, refId, requisiteStageRefIds, ...(parentStageId !== undefined ? { parentStageId } : {}) })),
    });
    for (const stage of execution.stages) rememberStage(execution.id, stage);
    if (known.size > CACHED_EXECUTIONS) known.delete(known.keys().next().value!);
  };

  /**
   * The execution as the store holds it now: the stages known complete from memory, the rest
   * read. With `runningRefId`, the stages downstream of that stage last seen NOT_STARTED are
   * taken from memory too (they cannot have started while it runs), so a call of a long chain
   * reads its header and its own stage, not every stage still to come.
   */
  const loadExecution = async (executionId: string, runningRefId?: string): Promise<Execution> => {
    const cached = known.get(executionId);
    if (cached) {
      known.delete(executionId);
      known.set(executionId, cached);
      const downstream = runningRefId !== undefined ? downstreamIds(cached.graph, runningRefId) : new Set<string>();
      const unchanged = (id: string) => cached.complete.has(id) || (downstream.has(id) && cached.unstarted.has(id));
      const part = await store.getExecutionPart(executionId, cached.stageIds.filter((id) => !unchanged(id)));
      if (!part) {
        known.delete(executionId);
        throw invariant(`execution ${executionId} does not exist`);
      }
      const fresh = new Map(part.stages.map((stage) => [stage.id, stage] as const));
      const stages = cached.stageIds.map((id) => cached.complete.get(id) ?? fresh.get(id) ?? (downstream.has(id) ? cached.unstarted.get(id) : undefined));
      if (stages.every((stage) => stage !== undefined)) {
        for (const stage of part.stages) rememberStage(executionId, stage);
        return { ...part.header, stages };
      }
      // A stage went missing: the store no longer matches what was remembered; read it whole.
    }
    const execution = await store.getExecution(executionId);
    if (!execution) {
      known.delete(executionId);
      throw invariant(`execution ${executionId} does not exist`);
    }
    rememberExecution(execution);
    return execution;
  };

  /** A conditional stage write; a lost race answers the winner's complete status, or is retried. */
  const writeStage = async (
    executionId: string,
    record: StageRecord,
    set: StageUpdate['set'],
    secrets: CallSecrets,
    atRevision = false,
  ): Promise<{ ok: true; record: StageRecord } | { ok: false; answer: StageAnswer }> => {
    const result = await store.updateStage(executionId, record.id, { expect: [record.status], ...(atRevision ? { expectRevision: record.revision } : {}), set: await protect(set, secrets) });
    if (result.ok) {
      rememberStage(executionId, result.value);
      return { ok: true, record: (await secrets.sealer.open(result.value)).value };
    }
    if (result.reason === 'conflict') {
      if (isComplete(result.current)) return { ok: false, answer: answerFor(result.current) };
      throw new GennakerError('Gennaker.WriteConflict', `stage ${record.refId} of execution ${executionId} changed while it ran (now ${result.current}); retrying`);
    }
    if (result.reason === 'too-large') throw invariant(result.message);
    throw invariant(`stage ${record.refId} of execution ${executionId} does not exist`);
  };

  /** Records a failure under the stage's policy (or the task's status) and answers it. */
  const failStage = async (
    execution: Execution,
    stage: Stage,
    record: StageRecord,
    message: string,
    secrets: CallSecrets,
    extra: { status?: FailedStatus; context?: JsonObject; exceptionType?: string; errors?: readonly string[]; runtime?: JsonObject; pending?: StageUpdate['set']; atRevision?: boolean } = {},
  ): Promise<StageAnswer> => {
    const status = extra.status ?? failureStatus(stage.failurePolicy);
    const exception = { exceptionType: extra.exceptionType ?? 'StageFailed', shouldRetry: false, timestamp: clock.now(), details: { error: message, errors: [...(extra.errors ?? [message])] } };
    const written = await writeStage(execution.id, record, {
      ...extra.pending,
      status,
      endTime: clock.now(),
      ...(record.startTime === undefined ? { startTime: clock.now() } : {}),
      context: { ...record.context, ...extra.context, exception },
      ...(extra.runtime ? { runtime: extra.runtime } : {}),
    }, secrets, extra.atRevision === true);
    return written.ok ? answerFor(status) : written.answer;
  };

  /**
   * The first call of a stage: join rule, cancellation, stageEnabled, context evaluation, RUNNING.
   * With `deferWrite` (a one-shot first step) the RUNNING mark is not written here but returned
   * as `pending`, and the step's own result write carries it: one store write instead of two.
   * The returned record then still has its stored status (NOT_STARTED), which is what that
   * conditional write expects.
   */
  const startStage = async (
    execution: Execution,
    stage: Stage,
    record: StageRecord,
    options: { readonly deferWrite: boolean },
    secrets: CallSecrets,
  ): Promise<{ record: StageRecord; pending?: StageUpdate['set'] } | { answer: StageAnswer }> => {
    const decision = canStart(upstreamIndex(execution.stages)(record.refId));
    if (decision === 'blocked') return { answer: { status: 'NOT_STARTED' } };
    if (decision === 'wait') {
      throw invariant(`stage ${record.refId} was called before its parents (${record.requisiteStageRefIds.join(', ')}) finished`);
    }
    const now = clock.now();
    if (execution.canceled || isComplete(execution.status)) {
      const written = await writeStage(execution.id, record, { status: 'CANCELED', startTime: now, endTime: now }, secrets);
      return { answer: written.ok ? { status: 'CANCELED' } : written.answer };
    }
    const startContext = withSecrets(stageEvaluationContext(execution, record, record.context, { now: () => clock.now() }), secrets);

    if (stage.stageEnabled !== undefined) {
      const evaluated = evaluateExpression(stage.stageEnabled.expression, startContext);
      // Orca's OptionalStageSupport: false, or anything that is not true/false, skips the stage.
      const enabled = evaluated.ok ? booleanFrom(evaluated.value) : undefined;
      if (enabled !== true) {
        const reason = !evaluated.ok
          ? `stageEnabled expression could not be evaluated (${evaluated.message}); the stage is skipped`
          : enabled === false
            ? 'stageEnabled expression is false'
            : `stageEnabled expression evaluated to ${JSON.stringify(evaluated.value)}, not true or false; the stage is skipped`;
        const written = await writeStage(execution.id, record, { status: 'SKIPPED', startTime: now, endTime: now, context: { ...record.context, skippedReason: reason } }, secrets);
        return { answer: written.ok ? { status: 'SKIPPED' } : written.answer };
      }
    }

    const deferred = new Set(['stageEnabled', ...notEvaluated(stage)]);
    const toEvaluate: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record.context)) if (!deferred.has(key)) toEvaluate[key] = value;
    const evaluated = evaluateDeep(toEvaluate, startContext);
    const context: Record<string, unknown> = { ...record.context, ...(evaluated.value as Record<string, unknown>) };
    // What the evaluated context reveals (secret headers, job secrets) is sealed wherever the stage writes it.
    for (const value of revealedSecrets(stage.type, context)) secrets.sealed.add(value);
    if (evaluated.failures.length > 0) {
      context.expressionEvaluationSummary = summarizeFailures(evaluated.failures, now, record.context.expressionEvaluationSummary);
      if (stage.failOnFailedExpressions) {
        // Orca (CompleteStageHandler) makes such a stage TERMINAL whatever its failure policy, and
        // lists the summary's descriptions as the exception's errors. Here it fails before its
        // tasks run, so nothing acts on the text that was kept.
        const list = evaluated.failures.map((failure) => `${failure.expression} at ${failure.pointer}: ${failure.message}`).join('; ');
        const errors = summaryDescriptions(context.expressionEvaluationSummary as ExpressionSummary);
        return {
          answer: await failStage(execution, stage, record, `stage '${stage.name}' has failOnFailedExpressions and an expression failed: ${list}`, secrets, {
            status: 'TERMINAL',
            context,
            exceptionType: 'ExpressionEvaluationFailed',
            errors,
          }),
        };
      }
    }
    if (deps.powers) {
      const uses = powerUsesOf(stage.type, context, `/stages/${stage.index}`);
      if (uses.length > 0) {
        // An execution without a record of who started it predates the record: it gets no power.
        const caller = authenticationOf(execution.trigger) ?? { user: typeof execution.trigger.user === 'string' ? execution.trigger.user : 'unknown', roles: [] };
        const problem = await powerProblem(uses, caller, deps.powers);
        if (problem !== undefined) {
          return { answer: await failStage(execution, stage, record, `stage '${stage.name}' is refused when it starts: ${problem}`, secrets, { context, exceptionType: 'PowerRefused' }) };
        }
      }
    }
    if (options.deferWrite) {
      const pending: StageUpdate['set'] = { status: 'RUNNING', startTime: now, context };
      return { record: { ...record, startTime: now, context }, pending };
    }
    const written = await writeStage(execution.id, record, { status: 'RUNNING', startTime: now, context }, secrets);
    // The task gets the context as evaluated: `#secret` values included, which the write redacted.
    if (written.ok) return { record: { ...written.record, context } };
    return { answer: written.answer };
  };

  /** Runs one step of a RUNNING stage and records its result. */
  const runStep = async (
    execution: Execution,
    stage: Stage,
    record: StageRecord,
    steps: readonly TaskStep[],
    position: number,
    request: StageTaskRequest,
    secrets: CallSecrets,
    pending?: StageUpdate['set'],
  ): Promise<StageAnswer> => {
    const step = steps[position]!;
    const last = position === steps.length - 1;
    const now = clock.now();

    if (step.kind === 'callback') {
      if (request.taskToken === undefined || request.taskToken === '') throw invariant(`callback step ${step.name} of stage ${record.refId} was called without a taskToken`);
      const put = await store.putTaskToken(execution.id, record.id, { token: request.taskToken, task: step.name });
      if (!put.ok && put.reason === 'conflict' && isComplete(put.current)) return answerFor(put.current);
      if (!put.ok) throw invariant(`could not store the task token of stage ${record.refId}: ${put.reason}`);
      // The answer of a callback invocation is ignored; the judgment resumes the state machine.
      return { status: 'RUNNING', waitSeconds: 0 };
    }

    // A run resumed after a crash calls the steps of a RUNNING stage from its first: the ones
    // already done answer NEXT without running again.
    const done = Array.isArray(record.runtime.tasksDone) ? record.runtime.tasksDone.filter((name): name is string => typeof name === 'string') : [];
    if (!last && done.includes(step.name)) return { status: 'NEXT' };
    const polls = objectAt(record.runtime, 'polls');
    const poll = (numberFrom(polls[step.name]) ?? 0) + 1;
    const maxPolls = step.kind === 'poll' ? (step.maxPolls ?? DEFAULT_POLL_BUDGET) : 1;
    // What the task saved itself (the step executor's plan): the final write builds on it, and is
    // conditioned on its revision, so a duplicate delivery that saved meanwhile is never overwritten.
    let saved: StageRecord | undefined;
    const saveRuntime: TaskInput['saveRuntime'] = async (key, value) => {
      const base = saved ?? record;
      const result = await store.updateStage(execution.id, record.id, {
        expect: [base.status],
        expectRevision: base.revision,
        set: await protect({ ...(saved ? {} : pending), runtime: { ...base.runtime, [key]: value } }, secrets),
      });
      if (result.ok) {
        saved = (await secrets.sealer.open(result.value)).value;
        return { ok: true };
      }
      if (result.reason === 'conflict') {
        if (isComplete(result.current)) throw new GennakerError('Gennaker.WriteConflict', `stage ${record.refId} of execution ${execution.id} ended (${result.current}) while it ran`);
        const stored = await store.getStage(execution.id, record.id);
        if (!stored) throw invariant(`stage ${record.refId} of execution ${execution.id} does not exist`);
        const fresh = (await secrets.sealer.open(stored)).value;
        saved = fresh;
        return { ok: false, current: fresh.runtime[key] };
      }
      if (result.reason === 'too-large') throw invariant(result.message);
      throw invariant(`stage ${record.refId} of execution ${execution.id} does not exist`);
    };
    // Fields that read `#secret` were stored redacted: the task gets them evaluated again, now.
    const live = liveFields(execution, stage, record, secrets);
    const taskRecord: StageRecord = live === undefined ? record : { ...record, context: { ...record.context, ...live } };
    for (const value of revealedSecrets(stage.type, taskRecord.context)) secrets.sealed.add(value);
    const input: TaskInput = {
      stage,
      record: taskRecord,
      execution,
      task: step.name,
      now,
      poll,
      expressions: withSecrets(stageEvaluationContext(execution, taskRecord, taskRecord.context, { now: () => clock.now() }), secrets),
      saveRuntime,
      secretValues: [...secrets.sealed, ...secrets.redacted],
    };

    let result: TaskResult;
    const timeoutMs = stage.stageTimeoutMs ?? timeouts[stage.type];
    if (step.kind === 'poll' && step.name !== EXECUTION_WINDOW_TASK && timeoutMs !== undefined && record.startTime !== undefined && now - record.startTime > timeoutMs) {
      result = failed(`stage '${stage.name}' timed out: it has run for ${Math.round((now - record.startTime) / 1000)} s, longer than its timeout of ${Math.round(timeoutMs / 1000)} s${stage.stageTimeoutMs === undefined ? ' (the default; set stageTimeoutMs to change it)' : ' (stageTimeoutMs)'}`);
    } else {
      result = await dispatch(input, maxPolls - poll);
    }
    if (result.kind === 'running' && step.kind !== 'poll') throw invariant(`step ${step.name} of stage ${record.refId} is a ${step.kind} step but answered RUNNING`);
    if (result.kind === 'running' && poll >= maxPolls) {
      result = failed(`stage '${stage.name}': step '${step.name}' is still running after ${maxPolls} polls, the most its state machine allows; raise the stage's wait or timeout settings, or split the stage`);
    }

    const base = saved ?? record;
    if (saved) pending = undefined;
    const runtime: Record<string, unknown> = { ...base.runtime, ...result.runtime, polls: { ...polls, [step.name]: poll } };
    const context = result.context ? { ...record.context, ...result.context } : undefined;
    switch (result.kind) {
      case 'running': {
        const written = await writeStage(execution.id, base, { ...pending, runtime, ...(context ? { context } : {}) }, secrets, saved !== undefined || result.exclusive === true);
        return written.ok ? { status: 'RUNNING', waitSeconds: result.waitSeconds } : written.answer;
      }
      case 'succeeded': {
        if (!last) runtime.tasksDone = [...done, step.name];
        const outputs = result.outputs ? { ...record.outputs, ...result.outputs } : undefined;
        const finished = result.skipped === true ? 'SKIPPED' : 'SUCCEEDED';
        const set: StageUpdate['set'] = last ? { status: finished, endTime: clock.now() } : {};
        const written = await writeStage(execution.id, base, { ...pending, ...set, runtime, ...(context ? { context } : {}), ...(outputs ? { outputs } : {}) }, secrets, saved !== undefined || result.exclusive === true);
        if (!written.ok) return written.answer;
        return last ? { status: finished } : { status: 'NEXT' };
      }
      case 'failed':
        return failStage(execution, stage, base, result.message, secrets, {
          ...(result.status ? { status: result.status } : {}),
          ...(result.context ? { context: result.context } : {}),
          runtime,
          ...(pending ? { pending } : {}),
          atRevision: saved !== undefined || result.exclusive === true,
        });
      default: {
        const unknown: never = result;
        throw invariant(`unknown task result ${JSON.stringify(unknown)}`);
      }
    }
  };

  /** The task of a step, by stage type: each returns a value. */
  const dispatch = async (input: TaskInput, pollsLeft: number): Promise<TaskResult> => {
    if (input.task === EXECUTION_WINDOW_TASK) return runExecutionWindow(input, taskDeps.random);
    const stage = input.stage;
    const as = <S extends Stage>() => input as TaskInput<S>;
    switch (stage.type) {
      case 'wait':
        return runWait(as<typeof stage>(), pollsLeft);
      case 'waitUntil':
        return runWaitUntil(as<typeof stage>(), pollsLeft);
      case 'checkPreconditions':
        return runCheckPreconditions(as<typeof stage>(), deps.targets ? { targets: deps.targets } : {});
      case 'evaluateVariables':
        return runEvaluateVariables(as<typeof stage>());
      case 'findArtifactFromExecution':
        return runFindArtifactFromExecution(as<typeof stage>(), { store });
      case 'manualJudgment':
        throw invariant(`manualJudgment has only a callback step, not '${input.task}'`);
      case 'webhook': {
        const webhook = as<typeof stage>();
        const tasks = await webhookTasks();
        if (input.task === 'createWebhook') return tasks.runCreateWebhook(webhook, taskDeps);
        if (input.task === 'waitBeforeMonitor') return tasks.runWaitBeforeMonitor(webhook, pollsLeft);
        if (input.task === 'monitorWebhook') return tasks.runMonitorWebhook(webhook, taskDeps);
        throw invariant(`webhook has no step '${input.task}'`);
      }
      case 'pipeline': {
        const child = as<typeof stage>();
        if (input.task === 'startPipeline') return runStartPipeline(child, taskDeps);
        if (input.task === 'monitorPipeline') return runMonitorPipeline(child, taskDeps);
        throw invariant(`pipeline has no step '${input.task}'`);
      }
      case 'disableServerGroup':
      case 'enableServerGroup':
      case 'resizeServerGroup':
      case 'destroyServerGroup':
        return deployDeps ? runServerGroupTask(as<typeof stage>(), deployDeps, taskDeps, pollsLeft) : failed(cannotRunYet(stage.type));
      case 'rollbackCluster':
      case 'scaleDownCluster':
      case 'shrinkCluster':
      case 'disableCluster':
        return deployDeps ? runClusterTask(as<typeof stage>(), deployDeps, taskDeps, pollsLeft) : failed(cannotRunYet(stage.type));
      case 'rollbackServerGroup':
        return deployDeps ? runRollbackServerGroupTask(as<typeof stage>(), deployDeps, taskDeps, pollsLeft) : failed(cannotRunYet(stage.type));
      case 'findImage':
        return deployDeps ? runFindImage(as<typeof stage>(), { ...deployDeps, ...(deps.artifacts ? { artifacts: deps.artifacts } : {}) }) : failed(cannotRunYet(stage.type));
      case 'bake':
        return deps.artifacts ? runBakeTask(as<typeof stage>(), { artifacts: deps.artifacts }) : failed(cannotRunYet(stage.type));
      case 'findImageFromTags':
        return deps.artifacts ? runFindImageFromTags(as<typeof stage>(), { artifacts: deps.artifacts }) : failed(cannotRunYet(stage.type));
      case 'runJob':
        if (isKubernetesRunJob(stage.config)) return manifestDeps ? (await manifestTasks()).runManifestTask(as<typeof stage>(), manifestDeps) : failed(cannotRunYet(stage.type));
        return deps.jobs ? (await jobTasks()).runJobTask(as<typeof stage>(), { jobs: deps.jobs, ...(deps.artifacts ? { artifacts: deps.artifacts } : {}) }) : failed(cannotRunYet(stage.type));
      case 'cloneServerGroup':
        return deployDeps ? (await cloneTasks()).runCloneServerGroupTask(as<typeof stage>(), deployDeps, taskDeps, pollsLeft) : failed(cannotRunYet(stage.type));
      case 'continueServiceDeployment':
        return deployDeps ? (await rolloutTasks()).runContinueServiceDeploymentTask(as<typeof stage>(), deployDeps, taskDeps, pollsLeft) : failed(cannotRunYet(stage.type));
      case 'deploy':
        return deployDeps ? runDeployTask(as<typeof stage>(), deployDeps, taskDeps, pollsLeft, canaryDeps) : failed(cannotRunYet(stage.type));
      case 'kayentaCanary':
        return canaryDeps ? (await canaryTasks()).runKayentaCanaryTask(as<typeof stage>(), canaryDeps) : failed(cannotRunYet(stage.type));
      case 'Aws.LambdaDeploymentStage':
      case 'lambdaDeployment':
      case 'Aws.LambdaUpdateCodeStage':
      case 'lambdaUpdateCode':
      case 'Aws.LambdaTrafficRoutingStage':
      case 'lambdaTrafficRouting':
      case 'Aws.LambdaInvokeStage':
      case 'lambdaInvoke':
      case 'Aws.LambdaDeleteStage':
      case 'lambdaDelete':
        return deployDeps ? (await lambdaTasks()).runLambdaTask(as<typeof stage>(), deployDeps) : failed(cannotRunYet(stage.type));
      case 'awsCodeBuild':
        return deployDeps ? (await codeBuildTasks()).runAwsCodeBuildTask(as<typeof stage>(), deployDeps) : failed(cannotRunYet(stage.type));
      case 'scaleManifest':
      case 'patchManifest':
      case 'undoRolloutManifest':
      case 'enableManifest':
      case 'disableManifest':
      case 'findArtifactsFromResource':
      case 'rollingRestartManifest':
      case 'pauseRolloutManifest':
      case 'resumeRolloutManifest':
      case 'runJobManifest':
      case 'deployManifest':
      case 'deleteManifest':
        return manifestDeps ? (await manifestTasks()).runManifestTask(as<typeof stage>(), manifestDeps) : failed(cannotRunYet(stage.type));
      default: {
        const unknown: never = stage;
        throw invariant(`unknown stage type ${JSON.stringify((unknown as Stage).type)}`);
      }
    }
  };

  const stageTask = async (request: StageTaskRequest): Promise<StageAnswer> => {
    const stored = await loadExecution(request.executionId, request.stageRefId);
    const storedRecord = stored.stages.find((candidate) => candidate.refId === request.stageRefId && candidate.parentStageId === undefined);
    if (!storedRecord) throw invariant(`execution ${stored.id} has no stage ${request.stageRefId}`);
    if (isComplete(storedRecord.status)) return answerFor(storedRecord.status);
    const pipeline = await loadPipeline(stored);
    const written = pipeline.stages.find((candidate) => candidate.refId === request.stageRefId);
    if (!written) throw invariant(`pipeline ${stored.pipelineConfigId}@${stored.pipelineVersion} has no stage ${request.stageRefId}`);
    // Stages see the sealed values opened; every write seals them again.
    const { execution, stage, secrets } = await openCall(stored, written);
    const record = execution.stages.find((candidate) => candidate.id === storedRecord.id)!;

    if (request.task === FAULT_TASK) {
      return failStage(execution, stage, record, faultMessage(request.fault), secrets, { exceptionType: request.fault?.Error ?? 'Fault' });
    }
    const steps = stageSteps(stage, planStage(stage));
    const position = steps.findIndex((step) => step.name === request.task);
    if (position < 0) throw invariant(`stage ${stage.refId} (${stage.type}) has no step '${request.task}'; its steps: ${steps.map((step) => step.name).join(', ')}`);

    let current = record;
    let pending: StageUpdate['set'] | undefined;
    if (current.status === 'NOT_STARTED') {
      const started = await startStage(execution, stage, current, { deferWrite: steps[position]!.kind === 'run' }, secrets);
      if ('answer' in started) {
        await announce(execution, stage, record, started.answer, request);
        return started.answer;
      }
      current = started.record;
      pending = started.pending;
    }
    const answer = await runStep(execution, stage, current, steps, position, request, secrets, pending);
    await announce(execution, stage, record, answer, request);
    return answer;
  };

  /**
   * Publishes what this call did to a stage with notifications (Orca's stage listener): it
   * started, it ended, a judgment began waiting. Redelivered calls may publish again; the notifier
   * sends each notification once.
   */
  const announce = async (execution: Execution, stage: Stage, before: StageRecord, answer: StageAnswer, request: StageTaskRequest): Promise<void> => {
    if (!deps.bus || stage.notifications.length === 0) return;
    const phases: StagePhase[] = [];
    const ended = isComplete(answer.status as ExecutionStatus);
    if (before.status === 'NOT_STARTED' && answer.status !== 'NOT_STARTED' && answer.status !== 'SKIPPED' && answer.status !== 'CANCELED') phases.push('starting');
    if (stage.type === 'manualJudgment' && answer.status === 'RUNNING' && request.taskToken !== undefined && request.taskToken !== '') phases.push('manualJudgment');
    if (ended && !isComplete(before.status)) phases.push(stagePhaseOf(answer.status as ExecutionStatus));
    for (const phase of phases) {
      try {
        await deps.bus.publish({
          type: 'Stage Execution Changed',
          executionId: execution.id,
          application: execution.application,
          pipelineConfigId: execution.pipelineConfigId,
          pipelineName: execution.name,
          stageId: before.id,
          stageRefId: before.refId,
          stageName: before.name,
          phase,
          status: phase === 'starting' || phase === 'manualJudgment' ? 'RUNNING' : (answer.status as ExecutionStatus),
          time: clock.now(),
        });
      } catch {
        // Notifications never fail a stage: a lost event costs its notifications, not the pipeline.
      }
    }
  };

  const complete = async (executionId: string): Promise<CompleteAnswer> => {
    const execution = await loadExecution(executionId);
    if (isComplete(execution.status)) return { status: execution.status };
    const pipeline = await loadPipeline(execution);
    const policies = new Map(pipeline.stages.map((stage) => [stage.refId, stage.failurePolicy] as const));
    const topLevel = execution.stages.filter((stage) => stage.parentStageId === undefined);
    const status = executionStatus(
      topLevel.map((stage) => ({
        refId: stage.refId,
        requisiteStageRefIds: stage.requisiteStageRefIds,
        status: stage.status,
        failurePolicy: policies.get(stage.refId) ?? 'halt-pipeline',
        ...(stage.status === 'STOPPED' ? { completeOtherBranchesThenFail: stoppedFailsPipeline(stage) } : {}),
      })),
      { final: true },
    );
    const now = clock.now();
    if (status !== 'SUCCEEDED') {
      for (const stage of execution.stages) {
        if (stage.status !== 'RUNNING') continue;
        // A lost race means the stage finished meanwhile: its own status stands.
        await store.updateStage(execution.id, stage.id, { expect: ['RUNNING'], set: { status: 'CANCELED', endTime: now } });
      }
    }
    const written = await store.updateExecution(execution.id, { expect: INCOMPLETE, set: { status, endTime: now, ...(execution.startTime === undefined ? { startTime: execution.buildTime } : {}) } });
    // The execution is over: later calls for it are redeliveries, rare enough to read it whole.
    known.delete(execution.id);
    if (written.ok) return { status };
    if (written.reason === 'conflict' && isComplete(written.current)) return { status: written.current };
    if (written.reason === 'conflict') throw new GennakerError('Gennaker.WriteConflict', `execution ${execution.id} changed while it completed; retrying`);
    throw invariant(`could not complete execution ${execution.id}: ${written.reason}`);
  };

  /**
   * A callback step: the stage waits for a judgment (its token stored, answer RUNNING), or it
   * does not — kept SUCCEEDED by a restart, skipped by stageEnabled, blocked by a halted parent,
   * canceled — and then nobody else would ever answer the token: the runner resumes the Task itself.
   */
  const callbackTask = async (request: StageTaskRequest & { readonly taskToken: string }): Promise<StageAnswer> => {
    const answer = await stageTask(request);
    if (answer.status === 'RUNNING' || !deps.callbacks) return answer;
    try {
      await deps.callbacks.sendTaskSuccess(request.taskToken, { status: answer.status });
    } catch (error) {
      // A redelivered call whose Task was already resumed: nothing left to do.
      if (!isTaskGone(error)) throw error;
    }
    return answer;
  };

  return async (request) => {
    if (request.task === COMPLETE_TASK) return complete(request.executionId);
    if (!('stageRefId' in request)) throw invariant(`a stage task request without stageRefId: ${JSON.stringify(request)}`);
    if (request.taskToken !== undefined && request.taskToken !== '') return callbackTask({ ...request, taskToken: request.taskToken });
    return stageTask(request);
  };
}

/**
 * Whether a STOPPED stage fails the pipeline once the other branches complete: it, or one of its
 * STOPPED synthetic stages (a precondition's, whose context merges the stage's), has
 * `completeOtherBranchesThenFail: true` (Orca's CompleteExecutionHandler.shouldOverrideSuccess).
 */
function stoppedFailsPipeline(stage: StageRecord): boolean {
  return [stage, ...syntheticStagesOf(stage)].some((candidate) => candidate.status === 'STOPPED' && candidate.context['completeOtherBranchesThenFail'] === true);
}

/** The answer for a stage status: TERMINAL halts, complete statuses finish the stage. */
function answerFor(status: ExecutionStatus): StageAnswer {
  if (isStageAnswerStatus(status)) return { status };
  throw new GennakerError('Gennaker.WriteConflict', `the stage is ${status}, which has no answer; retrying`);
}

function invariant(message: string): GennakerError {
  return new GennakerError('Gennaker.InvariantViolated', message);
}

/** The message for a stage whose type has no runtime yet. */
export function cannotRunYet(type: string): string {
  const missing: Record<string, string> = {
    bake: 'no image bakery',
    findImage: 'no image catalog',
    findImageFromTags: 'no image catalog',
    kayentaCanary: 'no canary analysis',
    runJob: 'no job runner',
  };
  return `stage type '${type}' cannot run yet: Gennaker has ${missing[type] ?? 'no deploy target'} wired in`;
}

/**
 * A readable message for a caught step error. The Cause is never shown: it may hold SDK text
 * or a stack trace. Catalog errors read as their description; Step Functions' own by meaning.
 */
export function faultMessage(fault: StepFault | undefined): string {
  const error = fault?.Error ?? 'unknown';
  if (error in ERROR_CATALOG) return `the step failed: ${ERROR_CATALOG[error as ErrorName].description}`;
  if (error === 'States.Timeout' || error === 'States.HeartbeatTimeout') return 'the step timed out (for a manual judgment: nobody judged it in time)';
  if (error === 'States.TaskFailed' || error === 'States.Runtime') return 'the step failed inside the stage runner; see its logs';
  return `the step failed with error ${error.slice(0, 100)}`;
}
