/**
 * The pipeline model: Spinnaker's pipeline JSON (Front50 shape) after parsing. Parsing keeps
 * the document as given in `raw` so unknown fields round-trip unchanged; the typed fields are
 * a normalized view (defaults applied, legacy pipelines given refIds in array order).
 */
import type { Stage } from './stage-types/index.ts';
import type { Trigger } from './triggers/index.ts';

export type RawObject = Readonly<Record<string, unknown>>;

/** Deck's four failure choices, derived from failPipeline / continuePipeline / completeOtherBranchesThenFail. */
export type FailurePolicy =
  /** failPipeline (default): the stage ends TERMINAL and the pipeline halts. */
  | 'halt-pipeline'
  /** failPipeline:false: the stage ends STOPPED, other branches run on, the pipeline may succeed. */
  | 'halt-branch'
  /** completeOtherBranchesThenFail: STOPPED, other branches finish, then the pipeline ends TERMINAL. */
  | 'halt-branch-fail-pipeline'
  /** continuePipeline: the stage ends FAILED_CONTINUE and downstream runs. */
  | 'ignore';

/** `stageEnabled: { type: "expression", expression }`. */
export interface StageEnabled {
  readonly type: 'expression';
  readonly expression: string;
}

/** `restrictedExecutionWindow`: allowed hours (whitelist), days 1..7 (1 = Sunday in Deck), jitter. */
export interface ExecutionWindow {
  readonly whitelist: ReadonlyArray<{ readonly startHour: number; readonly startMin: number; readonly endHour: number; readonly endMin: number }>;
  readonly days: readonly number[];
  readonly jitter?: { readonly enabled: boolean; readonly minDelay: number; readonly maxDelay: number; readonly skipManual: boolean };
}

export interface Notification {
  readonly type: string;
  readonly address?: string;
  readonly level?: string;
  readonly when: readonly string[];
  readonly raw: RawObject;
}

/** Fields every stage has, whatever its type. */
export interface StageBase<T extends string, C> {
  readonly type: T;
  /** Normalized to a string; synthesized from the array position for legacy pipelines. */
  readonly refId: string;
  readonly requisiteStageRefIds: readonly string[];
  readonly name: string;
  /** Position in the document's `stages` array (for JSON pointers). */
  readonly index: number;
  readonly stageEnabled?: StageEnabled;
  readonly failurePolicy: FailurePolicy;
  readonly stageTimeoutMs?: number;
  /** Present only when `restrictExecutionDuringTimeWindow` is true. */
  readonly executionWindow?: ExecutionWindow;
  readonly failOnFailedExpressions: boolean;
  readonly notifications: readonly Notification[];
  /** The type-specific fields as parsed by the stage type's schema. */
  readonly config: C;
  /** The stage object exactly as given. */
  readonly raw: RawObject;
}

export interface ParameterConfig {
  readonly name: string;
  readonly label?: string;
  readonly description?: string;
  readonly default?: string;
  readonly required: boolean;
  readonly hasOptions: boolean;
  readonly options: ReadonlyArray<{ readonly value: string }>;
  /** The value is a secret: shown as ****** wherever an execution is shown (core/execution/secrets.ts). */
  readonly secret: boolean;
  readonly raw: RawObject;
}

export type SpelEvaluatorVersion = 'v4' | 'v3' | 'v2';

export interface Pipeline {
  readonly application: string;
  readonly name: string;
  readonly id?: string;
  readonly stages: readonly Stage[];
  readonly triggers: readonly Trigger[];
  readonly parameterConfig: readonly ParameterConfig[];
  readonly limitConcurrent: boolean;
  readonly keepWaitingPipelines: boolean;
  /** 0 = unlimited. */
  readonly maxConcurrentExecutions: number;
  readonly expectedArtifacts: readonly RawObject[];
  readonly notifications: readonly Notification[];
  /** Spinnaker defaults to v3 when absent; Gennaker always evaluates with v4 semantics and records what was asked. */
  readonly spelEvaluator: SpelEvaluatorVersion;
  readonly disabled: boolean;
  /** True when the document had no refIds and stages run in array order. */
  readonly legacyOrder: boolean;
  /** The pipeline object exactly as given: what is saved and served back. */
  readonly raw: RawObject;
}

/** How a stage step is compiled. */
export type TaskKind =
  /** One invocation; the result continues, finishes or halts the stage. */
  | 'run'
  /** May answer RUNNING with the seconds to wait; the state machine waits and calls again. */
  | 'poll'
  /** Invoked with a task token and resumed by an API call (manual judgment). */
  | 'callback';

/** One step of a stage's plan: compiled to one Task state (plus a wait loop for polls). */
export interface TaskStep {
  /** Stable task name, passed to the stage runner as `task`. */
  readonly name: string;
  readonly kind: TaskKind;
  /** For callbacks: how long Step Functions waits for the answer before the stage times out. */
  readonly timeoutSeconds?: number;
  /** For polls: how many times the task may run at most (feeds the history-events budget). */
  readonly maxPolls?: number;
}
