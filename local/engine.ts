/**
 * The local StateMachineEngine (DESIGN.md §9): runs the very ASL the compiler emits on the
 * embedded interpreter (local/asl-engine.ts), with every Task bound to the one stage runner,
 * as Step Functions invokes the one Lambda on AWS. A run's end is reported to `onRunEnded`,
 * as EventBridge's "Execution Status Change" reaches the reconciler on AWS.
 *
 * A stage compiled as a child state machine runs as a child execution of the same interpreter,
 * with the same runner: its definition is kept beside its parent's, under a local ARN per
 * (pipelineConfigId, version, key) that replaces the parent's `${ChildStateMachineArn_<key>}`.
 * Stopping a run stops its children.
 *
 * Definitions are kept in memory by (pipelineConfigId, version); after a restart of the
 * process they are recompiled on demand through `loadDefinition`. Runs live only as long as
 * the process: a run interrupted by a crash is reconciled at the next start-up (local/recovery.ts).
 */
import { GennakerError } from '../core/errors.ts';
import type { StageRunnerRequest } from '../core/execution/runner-contract.ts';
import type {
  EngineOutcome,
  EngineRunEnded,
  PublishedPipeline,
  PublishRequest,
  StateMachineEngine,
} from '../core/ports/state-machine-engine.ts';
import type { AslDefinition } from '../statemachines/asl.ts';
import { childMachinePlaceholder } from '../statemachines/children.ts';
import { createAslEngine, type AslEvent, type AslExecution, type AslOutcome } from './asl-engine.ts';

/** The stage runner as the engine calls it: the request of a Task, the answer as its result. */
export type LocalStageRunner = (request: StageRunnerRequest) => Promise<unknown>;

/** What the definitions' `${StageRunnerFunctionArn}` resolves to locally (only its shape matters). */
export const LOCAL_STAGE_RUNNER_ARN = 'arn:aws:lambda:local:000000000000:function:gennaker-stage-runner';

export interface LocalEngineOptions {
  readonly runner: LocalStageRunner;
  /** The reconciler (the service's `handleRunEnded`); can be set later with `onRunEnded`. */
  readonly onRunEnded?: (event: EngineRunEnded) => Promise<void>;
  /** A published definition, with its children, the engine does not hold (published before this process started). */
  readonly loadDefinition?: (pipelineConfigId: string, version: number) => Promise<Pick<PublishRequest, 'definition' | 'children'> | undefined>;
  /** Every Wait state sleeps this long instead (tests only: the wait stage counts its polls). */
  readonly waitOverrideMs?: number;
  /** Every Task retry waits this long instead of its backoff (tests). */
  readonly retryDelayMs?: number;
  /**
   * Simulated seconds per wall-clock second of a runtime whose clock is a simulated one (`run
   * --sandbox`): the seconds a polling stage asks to wait are divided by it (rounded up, so a
   * wait still waits), so a wait of the simulated clock lasts as long on the wall clock as the
   * simulated world takes to live it. The definitions are unchanged. @default 1
   */
  readonly timeScale?: number;
  /** Faults of the reconciler, which has no caller to throw to. */
  readonly onError?: (error: unknown, executionId: string) => void;
  /** Every history event of every run (progress displays, debugging). */
  readonly onEvent?: (event: AslEvent) => void;
}

export interface LocalEngine extends StateMachineEngine {
  /** Sets the reconciler called when a run ends. */
  onRunEnded(handler: (event: EngineRunEnded) => Promise<void>): void;
  /** Ids of the runs in progress. */
  liveRuns(): readonly string[];
  /** Settles when no run is in progress and every reconciliation has finished. */
  idle(): Promise<void>;
  /**
   * Stops every run without reconciling it, as a process that dies would: the executions stay
   * RUNNING in the store until the next start-up recovers them.
   */
  close(): Promise<void>;
}

/** Wall-clock seconds a wait shortened by `timeScale` keeps beyond its simulated time. */
const SCALED_WAIT_ROOM_SECONDS = 0.05;

export function createLocalEngine(options: LocalEngineOptions): LocalEngine {
  let reconcile = options.onRunEnded;
  let closed = false;
  const definitions = new Map<string, AslDefinition>();
  // Child definitions by the local ARN their parent names them by.
  const childDefinitions = new Map<string, AslDefinition>();
  const runs = new Map<string, AslExecution>();
  const started = new Set<string>();
  const settling = new Set<Promise<void>>();
  // Runner calls in flight: close() waits for them, so none writes to a store being shut down.
  const inFlight = new Set<Promise<unknown>>();
  const key = (pipelineConfigId: string, version: number) => `${pipelineConfigId}@${version}`;
  const scale = options.timeScale ?? 1;
  if (!(scale > 0 && Number.isFinite(scale))) throw new Error(`timeScale ${scale}: expected simulated seconds per wall-clock second, a number above 0`);
  /**
   * A poll's `waitSeconds` in wall-clock seconds (the Wait state reads it: whole seconds, at least
   * 1 when above 0), with SCALED_WAIT_ROOM_SECONDS to spare: a wait that ends a hair before its
   * simulated deadline (a timer fires a few ms early) would cost a poll the budget may not have.
   */
  const scaledWait = (result: unknown): unknown => {
    if (typeof result !== 'object' || result === null || Array.isArray(result)) return result;
    const seconds = (result as { waitSeconds?: unknown }).waitSeconds;
    return typeof seconds === 'number' && seconds > 0 ? { ...result, waitSeconds: Math.ceil(seconds / scale + SCALED_WAIT_ROOM_SECONDS) } : result;
  };

  const asl = createAslEngine({
    invoke: async (request) => {
      if (closed) throw new GennakerError('Gennaker.StoreUnavailable', 'the local runtime is shutting down');
      const call = options.runner(request.payload as StageRunnerRequest);
      inFlight.add(call);
      void call.then(
        () => inFlight.delete(call),
        () => inFlight.delete(call),
      );
      return scale === 1 ? call : call.then(scaledWait);
    },
    substitutions: { StageRunnerFunctionArn: LOCAL_STAGE_RUNNER_ARN },
    childDefinition: (stateMachineArn) => childDefinitions.get(stateMachineArn),
    ...(options.waitOverrideMs !== undefined ? { waitOverrideMs: options.waitOverrideMs } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });

  /**
   * Settles the callback Tasks of an aborted run. The interpreter keeps a Task's timeout timer
   * (up to days for a manual judgment) until the Task settles, which would keep the process alive;
   * the run is already aborted, so the failure reaches no Catch.
   */
  const releaseCallbacks = (executionId: string) => {
    for (const pending of asl.pendingCallbacks(executionId)) {
      try {
        asl.sendTaskFailure(pending.taskToken, 'Gennaker.RunStopped', 'the run was stopped');
      } catch {
        // Answered meanwhile: nothing left to release.
      }
    }
  };

  /** Keeps a version's definition and its children's, the parent's placeholders resolved to the children's local ARNs. */
  const remember = (pipelineConfigId: string, version: number, published: Pick<PublishRequest, 'definition' | 'children'>): AslDefinition => {
    const ref = key(pipelineConfigId, version);
    const known = definitions.get(ref);
    if (known) return known;
    const arns: Record<string, string> = {};
    for (const child of published.children ?? []) {
      const arn = `arn:aws:states:local:000000000000:stateMachine:${ref}/${child.key}`;
      arns[childMachinePlaceholder(child.key)] = arn;
      childDefinitions.set(arn, JSON.parse(child.definition) as AslDefinition);
    }
    const json = published.definition.replace(/\$\{([^}]+)\}/g, (whole, name: string) => arns[name] ?? whole);
    const definition = JSON.parse(json) as AslDefinition;
    definitions.set(ref, definition);
    return definition;
  };

  const definitionOf = async (pipelineConfigId: string, version: number): Promise<AslDefinition> => {
    const known = definitions.get(key(pipelineConfigId, version));
    if (known) return known;
    const published = await options.loadDefinition?.(pipelineConfigId, version);
    if (published === undefined) {
      throw new GennakerError('Gennaker.InvariantViolated', `version ${version} of pipeline ${pipelineConfigId} was never published; save the pipeline first`);
    }
    return remember(pipelineConfigId, version, published);
  };

  const ended = (executionId: string, outcome: AslOutcome): EngineRunEnded => {
    const status: EngineOutcome = outcome.status;
    return outcome.status === 'FAILED'
      ? { executionId, outcome: status, error: outcome.error, cause: outcome.cause }
      : { executionId, outcome: status };
  };

  return {
    async publish(request): Promise<PublishedPipeline> {
      // Idempotent: a version never changes, so the first definition stays (and keeps its interpreter cache).
      remember(request.pipelineConfigId, request.version, request);
      return { pipelineConfigId: request.pipelineConfigId, version: request.version, ref: key(request.pipelineConfigId, request.version) };
    },

    async startExecution(request) {
      if (closed || started.has(request.executionId)) return;
      started.add(request.executionId);
      let definition: AslDefinition;
      try {
        definition = await definitionOf(request.pipelineConfigId, request.version);
      } catch (error) {
        started.delete(request.executionId);
        throw error;
      }
      const run = asl.start(definition, { executionId: request.executionId }, { executionId: request.executionId });
      runs.set(request.executionId, run);
      const settled: Promise<void> = run.result
        .then(async (outcome) => {
          runs.delete(request.executionId);
          if (closed || !reconcile) return;
          await reconcile(ended(request.executionId, outcome));
        })
        .catch((error: unknown) => {
          if (!closed) options.onError?.(error, request.executionId);
        })
        .finally(() => settling.delete(settled));
      settling.add(settled);
    },

    async stopExecution(executionId) {
      const run = runs.get(executionId);
      if (!run) return;
      run.abort();
      releaseCallbacks(executionId);
    },

    async sendTaskSuccess(taskToken, output) {
      asl.sendTaskSuccess(taskToken, output);
    },

    async sendTaskFailure(taskToken, error, cause) {
      asl.sendTaskFailure(taskToken, error, cause);
    },

    onRunEnded(handler) {
      reconcile = handler;
    },

    liveRuns: () => [...runs.keys()],

    async idle() {
      while (settling.size > 0) await Promise.allSettled([...settling]);
    },

    async close() {
      closed = true;
      for (const [executionId, run] of runs) {
        run.abort();
        releaseCallbacks(executionId);
      }
      runs.clear();
      await Promise.allSettled([...settling]);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
