/**
 * Spinnaker's execution semantics as pure functions (`reference/spinnaker.md` §1.2, §1.4):
 * what a failed stage becomes under its failure policy, when a stage may start (the join
 * rule), and the final status of an execution (Orca's CompleteExecutionHandler). The stage
 * runner decides with these; the state machine only routes on its answers.
 */
import type { FailurePolicy } from '../pipeline/model.ts';
import { isComplete, type ExecutionStatus } from './status.ts';

/** The status a failed stage ends in (Orca's `Stage.failureStatus()`). */
export function failureStatus(policy: FailurePolicy): 'TERMINAL' | 'STOPPED' | 'FAILED_CONTINUE' {
  switch (policy) {
    case 'halt-pipeline':
      return 'TERMINAL';
    case 'halt-branch':
    case 'halt-branch-fail-pipeline':
      return 'STOPPED';
    case 'ignore':
      return 'FAILED_CONTINUE';
    default: {
      const unknownPolicy: never = policy;
      throw new Error(`unknown failure policy ${String(unknownPolicy)}`);
    }
  }
}

/**
 * The status of a stage from its synthetic stages' statuses, once they have all finished (Orca's
 * CompleteStageHandler.determineStatus): a TERMINAL one fails the stage under its own failure
 * policy (`ownFailurePolicy`); else the first of STOPPED, CANCELED, FAILED_CONTINUE found, in
 * that order; else SUCCEEDED when every one SUCCEEDED or was SKIPPED. A stage with none is
 * SKIPPED (Orca: "had no tasks or synthetic stages"). One still running leaves it RUNNING.
 */
export function statusFromSynthetic(children: readonly ExecutionStatus[], ownFailurePolicy: FailurePolicy): ExecutionStatus {
  if (children.length === 0) return 'SKIPPED';
  if (children.includes('TERMINAL')) return failureStatus(ownFailurePolicy);
  for (const status of ['STOPPED', 'CANCELED', 'FAILED_CONTINUE'] as const) if (children.includes(status)) return status;
  if (children.every((status) => status === 'SUCCEEDED' || status === 'SKIPPED')) return 'SUCCEEDED';
  return 'RUNNING';
}

/** A parent of a stage as the join rule sees it. */
export interface UpstreamState {
  readonly status: ExecutionStatus;
  /**
   * True for a NOT_STARTED parent that never will start because something above it halted
   * (Orca's `anyUpstreamStagesFailed()` recursion). Compute it with `upstreamStates`.
   */
  readonly blocked?: boolean;
}

/** `start`: every parent let it through; `blocked`: a parent halted, so it never starts; `wait`: not yet. */
export type StartDecision = 'start' | 'blocked' | 'wait';

/** Statuses that let a child start (Orca's `allUpstreamStagesComplete()`). */
const LETS_THROUGH: ReadonlySet<ExecutionStatus> = new Set(['SUCCEEDED', 'FAILED_CONTINUE', 'SKIPPED']);

/** Statuses that keep every descendant from starting (Orca's `anyUpstreamStagesFailed()`). */
const BLOCKS: ReadonlySet<ExecutionStatus> = new Set(['TERMINAL', 'STOPPED', 'CANCELED']);

/**
 * The join rule: a stage starts only when every parent is SUCCEEDED, FAILED_CONTINUE or
 * SKIPPED; it never starts when a parent halted (TERMINAL, STOPPED, CANCELED) or is itself
 * blocked; otherwise it waits. A root stage (no parents) starts.
 */
export function canStart(parents: ReadonlyArray<ExecutionStatus | UpstreamState>): StartDecision {
  let waiting = false;
  for (const parent of parents) {
    const { status, blocked } = typeof parent === 'string' ? { status: parent, blocked: false } : parent;
    if (BLOCKS.has(status) || (status === 'NOT_STARTED' && blocked === true)) return 'blocked';
    if (!LETS_THROUGH.has(status)) waiting = true;
  }
  return waiting ? 'wait' : 'start';
}

/** One stage of an execution, as the semantics need it. */
export interface StageState {
  readonly refId: string;
  readonly requisiteStageRefIds: readonly string[];
  readonly status: ExecutionStatus;
  readonly failurePolicy: FailurePolicy;
  /**
   * When STOPPED, the stage (or a STOPPED synthetic stage of it) has
   * `completeOtherBranchesThenFail: true` in its context, whatever its policy: Orca's
   * shouldOverrideSuccess reads that flag on every STOPPED stage. A precondition with
   * `failPipeline: false` stops a stage whose own policy halts the pipeline. @default false
   */
  readonly completeOtherBranchesThenFail?: boolean;
}

/**
 * The parents of `refId` with their `blocked` flag worked out: a NOT_STARTED parent is blocked
 * when one of its own parents halted or is blocked, recursively. Unknown refIds are ignored
 * (validation reports them).
 */
export function upstreamStates(refId: string, stages: ReadonlyArray<Omit<StageState, 'failurePolicy'>>): UpstreamState[] {
  return upstreamIndex(stages)(refId);
}

/** `upstreamStates` for many stages of one execution: indexes the stages once. */
export function upstreamIndex(
  stages: ReadonlyArray<Omit<StageState, 'failurePolicy'>>,
): (refId: string) => UpstreamState[] {
  const byRef = new Map(stages.map((stage) => [stage.refId, stage] as const));
  const blockedMemo = new Map<string, boolean>();
  const isBlocked = (ref: string, visiting: Set<string>): boolean => {
    const memo = blockedMemo.get(ref);
    if (memo !== undefined) return memo;
    const stage = byRef.get(ref);
    if (!stage || visiting.has(ref)) return false;
    visiting.add(ref);
    const blocked = stage.requisiteStageRefIds.some((parentRef) => {
      const parent = byRef.get(parentRef);
      if (!parent) return false;
      return BLOCKS.has(parent.status) || (parent.status === 'NOT_STARTED' && isBlocked(parentRef, visiting));
    });
    visiting.delete(ref);
    blockedMemo.set(ref, blocked);
    return blocked;
  };
  return (refId) => {
    const stage = byRef.get(refId);
    if (!stage) return [];
    return stage.requisiteStageRefIds.flatMap((parentRef) => {
      const parent = byRef.get(parentRef);
      if (!parent) return [];
      return [{ status: parent.status, blocked: parent.status === 'NOT_STARTED' && isBlocked(parentRef, new Set()) }];
    });
  };
}

/** When the final status is asked for. */
export interface ExecutionStatusOptions {
  /**
   * The state machine has reached its completion state, so nothing will run any more. A
   * status that Orca would re-check later (a stage still RUNNING, a startable stage never
   * started, with no halted stage to explain it) then means the run broke off: TERMINAL.
   */
  readonly final?: boolean;
}

/**
 * The final status of an execution from its stages, as Orca's CompleteExecutionHandler decides
 * it: all SUCCEEDED/SKIPPED/FAILED_CONTINUE → SUCCEEDED; else any TERMINAL → TERMINAL; else
 * any CANCELED → CANCELED; else any STOPPED with no other branch still able to run → SUCCEEDED,
 * or TERMINAL when a stopped stage's policy is halt-branch-fail-pipeline or it has
 * completeOtherBranchesThenFail. Otherwise the
 * execution is not finished: RUNNING (or TERMINAL with `final`).
 *
 * Stages that never started because a parent halted stay NOT_STARTED and do not count as
 * "still able to run". One deliberate difference from Orca: PAUSED, SUSPENDED, BUFFERED and
 * REDIRECT stages count as still running (Orca only looks at RUNNING), so a paused branch is
 * never completed under its feet.
 */
export function executionStatus(stages: readonly StageState[], options: ExecutionStatusOptions = {}): ExecutionStatus {
  if (stages.every((stage) => LETS_THROUGH.has(stage.status))) return 'SUCCEEDED';
  if (stages.some((stage) => stage.status === 'TERMINAL')) return 'TERMINAL';
  if (stages.some((stage) => stage.status === 'CANCELED')) return 'CANCELED';
  const stopped = stages.filter((stage) => stage.status === 'STOPPED');
  if (stopped.length > 0 && !otherBranchesIncomplete(stages)) {
    return stopped.some((stage) => stage.failurePolicy === 'halt-branch-fail-pipeline' || stage.completeOtherBranchesThenFail === true) ? 'TERMINAL' : 'SUCCEEDED';
  }
  return options.final ? 'TERMINAL' : 'RUNNING';
}

/** Orca's `otherBranchesIncomplete()`: something runs, or a stage could still start. */
function otherBranchesIncomplete(stages: readonly StageState[]): boolean {
  const upstreamOf = upstreamIndex(stages);
  return stages.some((stage) => {
    if (stage.status === 'NOT_STARTED') return canStart(upstreamOf(stage.refId)) === 'start';
    return !isComplete(stage.status);
  });
}
