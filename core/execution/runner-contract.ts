/**
 * The contract between a compiled state machine and the stage runner (statemachines/README.md
 * has the whole of it). The compiler emits states that send these requests and route on these
 * answers; the stage runner implements them. Both sides import the names from here, so a
 * rename cannot split them. Pure types and constants.
 */
import type { TaskStep } from '../pipeline/model.ts';
import type { ExecutionStatus } from './status.ts';

/** The execution input: everything else lives in the execution store, so the payload stays tiny. */
export interface ExecutionInput {
  readonly executionId: string;
}

/** `task` of the request a stage's fault state sends after a step failed with an error. */
export const FAULT_TASK = '$fault';

/** `task` of the request the completion state sends once every stage has been routed. */
export const COMPLETE_TASK = '$complete';

/** The step the compiler puts first in a stage whose execution window is set (Orca's synthetic stage name). */
export const EXECUTION_WINDOW_TASK = 'restrictExecutionDuringTimeWindow';

/**
 * Polls budgeted for the execution-window step: the runner answers RUNNING with the seconds
 * until the window opens (not Orca's 30-second polling), so a check, a wait and a re-check
 * suffice, with one spare for clock skew and jitter.
 */
export const EXECUTION_WINDOW_MAX_POLLS = 3;

/**
 * The steps of a stage as compiled, which the runner must see the same way: the
 * execution-window step first when the stage has a window (unless the plan has it), then the
 * stage type's plan. The runner answers NEXT for every step but the last.
 */
export function stageSteps(stage: { readonly executionWindow?: unknown }, plan: readonly TaskStep[]): readonly TaskStep[] {
  if (stage.executionWindow === undefined || plan.some((step) => step.name === EXECUTION_WINDOW_TASK)) return plan;
  return [{ name: EXECUTION_WINDOW_TASK, kind: 'poll', maxPolls: EXECUTION_WINDOW_MAX_POLLS }, ...plan];
}

/** The error of the Fail state a halting stage goes to inside a Parallel branch. */
export const PIPELINE_HALTED_ERROR = 'Gennaker.PipelineHalted';

/** The error of the Fail state the execution ends in when its final status is not SUCCEEDED. */
export const EXECUTION_FAILED_ERROR = 'Gennaker.ExecutionFailed';

/** The error and cause Step Functions records when a step fails (a Catch's `ResultPath` value). */
export interface StepFault {
  readonly Error: string;
  readonly Cause?: string;
}

/** What a stage Task sends: the Task's `Parameters` (or the callback's `Payload`). */
export interface StageTaskRequest {
  readonly executionId: string;
  readonly stageRefId: string;
  /** The step's name from the stage's plan, or FAULT_TASK. */
  readonly task: string;
  /** Only for `callback` steps: answer it with SendTaskSuccess `{ status }`. */
  readonly taskToken?: string;
  /** Only for FAULT_TASK: what failed. */
  readonly fault?: StepFault;
}

/**
 * Whether a SendTaskSuccess/Failure failed because the callback Task no longer waits (answered
 * already, timed out, or its run ended): nothing is left to resume.
 */
export function isTaskGone(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TaskDoesNotExist' || name === 'TaskTimedOut' || name === 'InvalidToken';
}

/** What the completion state sends. */
export interface CompleteRequest {
  readonly executionId: string;
  readonly task: typeof COMPLETE_TASK;
}

/** Every request a compiled state machine sends the stage runner. */
export type StageRunnerRequest = StageTaskRequest | CompleteRequest;

/** Routing answers that are not a stage status. */
export type RoutingAnswer =
  /** Poll again after `waitSeconds` (only `poll` steps). */
  | 'RUNNING'
  /** This step is done; go to the stage's next step (never from the last step). */
  | 'NEXT'
  /** The stage ended TERMINAL: halt the pipeline. */
  | 'TERMINAL';

/** Stage statuses that finish a stage and let the state machine continue after it. */
export const FINISHING_STATUSES = ['SUCCEEDED', 'FAILED_CONTINUE', 'STOPPED', 'SKIPPED', 'NOT_STARTED', 'CANCELED'] as const;

/** A stage status that finishes a stage. */
export type FinishingStatus = (typeof FINISHING_STATUSES)[number];

/** Every status a stage task may answer with. */
export type StageAnswerStatus = RoutingAnswer | FinishingStatus;

/** What the stage runner returns for a stage task (or sends with SendTaskSuccess for a callback). */
export interface StageAnswer {
  readonly status: StageAnswerStatus;
  /** Required with RUNNING: whole seconds to wait before the next poll (0 or more). */
  readonly waitSeconds?: number;
}

/** What the stage runner returns for COMPLETE_TASK: the execution's final status. */
export interface CompleteAnswer {
  readonly status: ExecutionStatus;
}

/** Tells the routing answers and finishing statuses apart from anything else. */
export function isStageAnswerStatus(value: unknown): value is StageAnswerStatus {
  return (
    value === 'RUNNING' ||
    value === 'NEXT' ||
    value === 'TERMINAL' ||
    (typeof value === 'string' && (FINISHING_STATUSES as readonly string[]).includes(value))
  );
}
