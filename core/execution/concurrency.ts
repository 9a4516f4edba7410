/**
 * Spinnaker's concurrency policy (`reference/spinnaker.md` §1.4) as pure functions: how many
 * executions of one pipeline config may run, whether a new one waits, and which waiting
 * executions start or are superseded when a slot frees. The store holds the state (one lease
 * per pipeline config and a waiting queue, `core/ports/execution-store.ts`); these functions
 * decide.
 *
 * Differences from Orca, on purpose (DESIGN.md §5): the limit holds under bursts, because the
 * lease is taken with a conditional write instead of counting RUNNING executions, and PAUSED
 * executions keep their slot (spinnaker/spinnaker#5545).
 *
 * The protocol the orchestrator follows with the store:
 * - Start: if `concurrencyLimit` is undefined, run. Otherwise `acquireSlot`; when `full`,
 *   `enqueueWaiting`, then `acquireSlot` once more (the holder may have finished between the
 *   two calls and found the queue empty); if that succeeds, `removeWaiting` and run only if the
 *   removal returned the entry (someone else may be starting it already).
 * - Finish (any complete status, or reconciled from Step Functions): `listWaiting`, then
 *   `planSlotFreed`. Each entry to cancel or start is first taken with `removeWaiting`; only the
 *   caller that gets the entry acts on it. The first execution to start receives the finished
 *   execution's slot with `transferSlot` (so no newcomer overtakes the queue); when nothing
 *   starts, `releaseSlot`.
 */
import { isComplete, type ExecutionStatus } from './status.ts';

/** The pipeline settings that decide concurrency (copied into each execution at creation). */
export interface ConcurrencySettings {
  /** "Disable concurrent pipeline executions (only run one at a time)". */
  readonly limitConcurrent: boolean;
  /** "Do not automatically cancel pipelines waiting in queue". */
  readonly keepWaitingPipelines: boolean;
  /** When `limitConcurrent` is false: at most this many at once; 0 = unlimited. */
  readonly maxConcurrentExecutions: number;
}

/** Who cancels a superseded execution, as Orca records it. */
export const SUPERSEDED_CANCELED_BY = 'spinnaker';

/** The reason Orca gives when a newer queued execution supersedes an older one. */
export const SUPERSEDED_CANCELLATION_REASON =
  'This execution was queued but then canceled because a newer queued execution superceded it. ' +
  'This pipeline is configured to automatically cancel waiting executions.';

/**
 * How many executions of the pipeline config may hold a slot at once, or undefined when the
 * pipeline runs every execution at once (no lease is taken). Orca's `shouldQueue()`:
 * `limitConcurrent` means one; otherwise `maxConcurrentExecutions` when positive.
 */
export function concurrencyLimit(settings: ConcurrencySettings): number | undefined {
  if (settings.limitConcurrent) return 1;
  const max = settings.maxConcurrentExecutions;
  return Number.isInteger(max) && max > 0 ? max : undefined;
}

/** Whether a new execution must wait, given how many executions hold a slot now. */
export function shouldQueue(settings: ConcurrencySettings, running: number): boolean {
  const limit = concurrencyLimit(settings);
  return limit !== undefined && running >= limit;
}

/**
 * Statuses in which an execution keeps its slot: every started, incomplete status. PAUSED is
 * here on purpose (Orca lets a new execution start beside a paused one).
 */
export function holdsSlot(status: ExecutionStatus): boolean {
  switch (status) {
    case 'RUNNING':
    case 'PAUSED':
    case 'SUSPENDED':
    case 'REDIRECT':
      return true;
    case 'NOT_STARTED':
    case 'BUFFERED':
    case 'SUCCEEDED':
    case 'FAILED_CONTINUE':
    case 'TERMINAL':
    case 'CANCELED':
    case 'STOPPED':
    case 'SKIPPED':
      return false;
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

/** A waiting execution as the policy sees it; `sequence` is the queue order. */
export interface QueuedExecution {
  readonly executionId: string;
  readonly sequence: number;
}

/** What to do with the queue when slots free up. */
export interface SlotFreedPlan<T extends QueuedExecution> {
  /** Start these, in this order. */
  readonly start: readonly T[];
  /** Cancel these with `SUPERSEDED_CANCELLATION_REASON`. */
  readonly cancel: readonly T[];
}

/**
 * Orca's `StartWaitingExecutionsHandler`: with `keepWaitingPipelines` false the newest waiting
 * execution starts and every older one is canceled as superseded; with true they start in
 * arrival order (FIFO), as many as there are free slots. Orca starts one per completion; with
 * `maxConcurrentExecutions` above one, several slots can be free at once (after a reconcile),
 * so FIFO fills them all. Nothing happens while no slot is free.
 */
export function planSlotFreed<T extends QueuedExecution>(
  waiting: readonly T[],
  settings: Pick<ConcurrencySettings, 'keepWaitingPipelines'>,
  freeSlots: number,
): SlotFreedPlan<T> {
  if (freeSlots < 1 || waiting.length === 0) return { start: [], cancel: [] };
  const ordered = [...waiting].sort(byQueueOrder);
  if (settings.keepWaitingPipelines) {
    return { start: ordered.slice(0, Math.floor(freeSlots)), cancel: [] };
  }
  const newest = ordered[ordered.length - 1]!;
  return { start: [newest], cancel: ordered.slice(0, -1) };
}

/**
 * Slot holders to release after a reconcile: those whose execution is gone or complete (its
 * Step Functions run ended without telling the store). A NOT_STARTED holder is kept: it took
 * its slot and is about to start.
 */
export function staleSlotHolders(
  holders: readonly string[],
  statusOf: (executionId: string) => ExecutionStatus | undefined,
): readonly string[] {
  return holders.filter((executionId) => {
    const status = statusOf(executionId);
    return status === undefined || isComplete(status);
  });
}

function byQueueOrder(a: QueuedExecution, b: QueuedExecution): number {
  if (a.sequence !== b.sequence) return a.sequence - b.sequence;
  return a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0;
}
