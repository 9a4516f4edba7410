/**
 * The engine that runs compiled pipelines: AWS Step Functions in the cloud, the embedded ASL
 * interpreter on one machine. The execution service drives it; it never decides anything
 * about Spinnaker semantics (the stage runner and the service do). Pure types.
 */
import type { StageAnswerStatus } from '../execution/runner-contract.ts';
import type { ExecutionStatus } from '../execution/status.ts';

/** A published pipeline version: what executions are started on. */
export interface PublishedPipeline {
  readonly pipelineConfigId: string;
  readonly version: number;
  /** Where the engine keeps it: a state machine alias ARN on AWS, a key locally. */
  readonly ref: string;
}

export interface PublishRequest {
  readonly pipelineConfigId: string;
  readonly application: string;
  readonly name: string;
  readonly version: number;
  /** The compiled definition, exactly as `compilePipeline(...).json` produced it. */
  readonly definition: string;
  /**
   * The stages run as child state machines (`compilePipeline(...).children`), by key, each
   * definition exactly as compiled; published before the parent, which names each child by
   * the definition substitution `${ChildStateMachineArn_<key>}`.
   */
  readonly children?: readonly PublishedChildDefinition[];
}

/** One child state machine of a pipeline version. */
export interface PublishedChildDefinition {
  readonly key: string;
  readonly definition: string;
}

export interface StartRequest {
  /** Deterministic: starting the same execution twice starts it once. */
  readonly executionId: string;
  readonly pipelineConfigId: string;
  readonly version: number;
}

/** How a run ended, in the engine's terms (Step Functions' execution statuses). */
export type EngineOutcome = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** What the engine reports when a run ends (EventBridge "Execution Status Change" on AWS). */
export interface EngineRunEnded {
  readonly executionId: string;
  readonly outcome: EngineOutcome;
  readonly error?: string;
  readonly cause?: string;
}

export interface StateMachineEngine {
  /** Makes a compiled pipeline version startable. Idempotent per (pipelineConfigId, version). */
  publish(request: PublishRequest): Promise<PublishedPipeline>;
  /** Starts a run of a published version; a duplicate start of the same executionId is a no-op. */
  startExecution(request: StartRequest): Promise<void>;
  /** Stops a run (cancel). Stopping a run that has ended is a no-op. */
  stopExecution(executionId: string, options: { readonly cause: string }): Promise<void>;
  /** Resumes a callback task (manual judgment) with the runner's answer (`NEXT` when steps follow the callback). */
  sendTaskSuccess(taskToken: string, output: { readonly status: ExecutionStatus | StageAnswerStatus }): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
}
