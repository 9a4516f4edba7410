/**
 * The subset of the Amazon States Language (JSONPath) the compiler emits, as plain readonly
 * data. Field order in these objects is the order in the emitted JSON, so emission builds
 * every object literal in one fixed order.
 */

/** One entry of a Task's `Retry`. */
export interface AslRetrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly MaxAttempts: number;
  readonly BackoffRate: number;
  readonly MaxDelaySeconds: number;
  readonly JitterStrategy: 'FULL' | 'NONE';
}

/** One entry of a `Catch`: where an error goes, and where in the payload it is put. */
export interface AslCatcher {
  readonly ErrorEquals: readonly string[];
  readonly ResultPath: string;
  readonly Next: string;
}

/**
 * A Task: a stage runner invocation (plain Lambda ARN), a callback (`lambda:invoke.waitForTaskToken`)
 * or a child state machine (`states:startExecution.sync:2`, whose result is cut down by `ResultSelector`).
 */
export interface AslTaskState {
  readonly Type: 'Task';
  readonly Comment?: string;
  readonly Resource: string;
  readonly Parameters: Readonly<Record<string, unknown>>;
  readonly TimeoutSeconds?: number;
  readonly ResultSelector?: Readonly<Record<string, unknown>>;
  readonly ResultPath: string;
  readonly Retry?: readonly AslRetrier[];
  readonly Catch?: readonly AslCatcher[];
  readonly Next: string;
}

/** A Choice rule: the compiler only compares `$.result.status` with a string. */
export interface AslChoiceRule {
  readonly Variable: string;
  readonly StringEquals: string;
  readonly Next: string;
}

/** A Choice, always with a `Default`. */
export interface AslChoiceState {
  readonly Type: 'Choice';
  readonly Comment?: string;
  readonly Choices: readonly AslChoiceRule[];
  readonly Default: string;
}

/** A Wait whose seconds the last answer gives (`$.result.waitSeconds`). */
export interface AslWaitState {
  readonly Type: 'Wait';
  readonly Comment?: string;
  readonly SecondsPath: string;
  readonly Next: string;
}

/** A Parallel: the payload passes through (`ResultPath: null`); only top-level ones catch. */
export interface AslParallelState {
  readonly Type: 'Parallel';
  readonly Comment?: string;
  readonly Branches: readonly AslBranch[];
  readonly ResultPath: null;
  readonly Catch?: readonly AslCatcher[];
  readonly Next: string;
}

/** A Succeed: the end of a branch or of the execution. */
export interface AslSucceedState {
  readonly Type: 'Succeed';
  readonly Comment?: string;
}

/** A Fail: a halt inside a branch, or the execution's failed end. */
export interface AslFailState {
  readonly Type: 'Fail';
  readonly Comment?: string;
  readonly Error: string;
  readonly Cause?: string;
}

/** Every state type the compiler emits. */
export type AslState = AslTaskState | AslChoiceState | AslWaitState | AslParallelState | AslSucceedState | AslFailState;

/** A set of states with its start: a Parallel branch, or the machine itself. */
export interface AslBranch {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** A state machine definition. */
export interface AslDefinition extends AslBranch {
  readonly Comment?: string;
}

/** Every state of a definition, branches included, in document order. */
export function* walkStates(branch: AslBranch): Generator<readonly [name: string, state: AslState]> {
  for (const [name, state] of Object.entries(branch.States)) {
    yield [name, state];
    if (state.Type === 'Parallel') for (const child of state.Branches) yield* walkStates(child);
  }
}
