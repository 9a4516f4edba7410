/**
 * Spinnaker's concurrency policy (reference/spinnaker.md §1.4) as pure functions: the limit,
 * when to queue, who keeps a slot, and what a freed slot does to the queue.
 */
import { describe, expect, it } from 'vitest';
import {
  SUPERSEDED_CANCELLATION_REASON,
  concurrencyLimit,
  holdsSlot,
  planSlotFreed,
  shouldQueue,
  staleSlotHolders,
  type ConcurrencySettings,
} from '../../../core/execution/concurrency.ts';
import { EXECUTION_STATUSES, type ExecutionStatus } from '../../../core/execution/status.ts';

const settings = (limitConcurrent: boolean, maxConcurrentExecutions: number, keepWaitingPipelines = false): ConcurrencySettings => ({
  limitConcurrent,
  keepWaitingPipelines,
  maxConcurrentExecutions,
});

const queued = (...ids: string[]) => ids.map((executionId, i) => ({ executionId, sequence: i + 1 }));

describe('concurrencyLimit', () => {
  it.each([
    ['limitConcurrent runs one at a time', true, 0, 1],
    ['limitConcurrent wins over maxConcurrentExecutions (Orca checks it first)', true, 5, 1],
    ['maxConcurrentExecutions caps parallel runs', false, 3, 3],
    ['maxConcurrentExecutions 0 means unlimited: no lease at all', false, 0, undefined],
    ['a negative cap is treated as unlimited', false, -2, undefined],
    ['a fractional cap is not a cap', false, 2.5, undefined],
  ] as const)('%s', (_why, limitConcurrent, max, limit) => {
    expect(concurrencyLimit(settings(limitConcurrent, max))).toBe(limit);
  });
});

describe('shouldQueue', () => {
  it.each([
    { limitConcurrent: true, max: 0, running: 0, queue: false },
    { limitConcurrent: true, max: 0, running: 1, queue: true },
    { limitConcurrent: false, max: 2, running: 1, queue: false },
    { limitConcurrent: false, max: 2, running: 2, queue: true },
    { limitConcurrent: false, max: 0, running: 100, queue: false },
  ])('queues: $queue, with limitConcurrent $limitConcurrent, max $max and $running running', ({ limitConcurrent, max, running, queue }) => {
    expect(shouldQueue(settings(limitConcurrent, max), running)).toBe(queue);
  });
});

describe('holdsSlot', () => {
  const holding: readonly ExecutionStatus[] = ['RUNNING', 'PAUSED', 'SUSPENDED', 'REDIRECT'];

  it.each(EXECUTION_STATUSES.map((status) => [status, holding.includes(status)] as const))('%s holds a slot: %s', (status, holds) => {
    expect(holdsSlot(status)).toBe(holds);
  });

  it('counts PAUSED as running, unlike Orca (spinnaker/spinnaker#5545)', () => {
    expect(holdsSlot('PAUSED')).toBe(true);
  });
});

describe('planSlotFreed', () => {
  it.each([
    ['keepWaitingPipelines=false starts the newest and supersedes the rest', queued('a', 'b', 'c'), false, 1, ['c'], ['a', 'b']],
    ['keepWaitingPipelines=true starts the oldest (FIFO)', queued('a', 'b', 'c'), true, 1, ['a'], []],
    ['FIFO fills every free slot in order', queued('a', 'b', 'c'), true, 2, ['a', 'b'], []],
    ['superseding starts one even with several free slots', queued('a', 'b', 'c'), false, 3, ['c'], ['a', 'b']],
    ['a single waiting execution just starts', queued('a'), false, 1, ['a'], []],
    ['nothing happens without a free slot', queued('a', 'b'), false, 0, [], []],
    ['an empty queue plans nothing', queued(), true, 1, [], []],
  ] as const)('%s', (_case, waiting, keep, free, start, cancel) => {
    const plan = planSlotFreed(waiting, { keepWaitingPipelines: keep }, free);

    expect(plan.start.map((e) => e.executionId)).toEqual(start);
    expect(plan.cancel.map((e) => e.executionId)).toEqual(cancel);
  });

  it('orders by sequence, not by the order it was handed the queue', () => {
    const waiting = [
      { executionId: 'late', sequence: 9 },
      { executionId: 'early', sequence: 2 },
      { executionId: 'middle', sequence: 5 },
    ];

    expect(planSlotFreed(waiting, { keepWaitingPipelines: true }, 1).start).toEqual([{ executionId: 'early', sequence: 2 }]);
    expect(planSlotFreed(waiting, { keepWaitingPipelines: false }, 1).start).toEqual([{ executionId: 'late', sequence: 9 }]);
  });

  it("cancels with Orca's words", () => {
    expect(SUPERSEDED_CANCELLATION_REASON).toContain('a newer queued execution superceded it');
  });
});

describe('staleSlotHolders', () => {
  it('releases holders whose execution is complete or gone, and keeps those starting or running', () => {
    const statuses: Record<string, ExecutionStatus> = { done: 'SUCCEEDED', paused: 'PAUSED', running: 'RUNNING', starting: 'NOT_STARTED', canceled: 'CANCELED' };

    const stale = staleSlotHolders(['done', 'paused', 'running', 'starting', 'canceled', 'vanished'], (id) => statuses[id]);

    expect(stale).toEqual(['done', 'canceled', 'vanished']);
  });
});
