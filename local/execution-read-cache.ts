/**
 * A read cache for execution documents, for the local runtime only.
 *
 * `gennaker up` and `gennaker run` are the only writers of their store: every write of an
 * execution goes through this one process, so a cached document stays correct until this
 * process writes that execution again. Every write that can change what `getExecution` returns
 * (the header, a stage, a task token, which clears or sets `awaitingCallback`, a notification
 * delivery record) drops the entry
 * first. On AWS there are many writers (Lambda invocations), so the cloud composition root never
 * uses this.
 *
 * A read that overlaps a write of the same execution is not cached: each execution has a write
 * generation, bumped when a write starts and again when it ends, and a read fills the cache only
 * if the generation did not move while it ran and no write was in flight.
 */
import type { Execution, ExecutionStore } from '../core/ports/execution-store.ts';

export interface ExecutionReadCacheOptions {
  /** Documents kept, least recently read dropped first. @default 256 */
  readonly maxEntries?: number;
}

export interface ExecutionReadCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

export interface CachedExecutionStore extends ExecutionStore {
  readonly cacheStats: () => ExecutionReadCacheStats;
}

/** Wraps `inner` so `getExecution` answers from memory while nothing wrote that execution. */
export function withExecutionReadCache(inner: ExecutionStore, options: ExecutionReadCacheOptions = {}): CachedExecutionStore {
  const maxEntries = options.maxEntries ?? 256;
  const entries = new Map<string, Execution>();
  const generations = new Map<string, number>();
  const writesInFlight = new Map<string, number>();
  let hits = 0;
  let misses = 0;

  const bump = (id: string): void => {
    generations.set(id, (generations.get(id) ?? 0) + 1);
  };

  /**
   * Runs a write of execution `id`, keeping readers from caching what it may change. With
   * `patch`, a write that ran alone (no other write of the execution began or ended meanwhile)
   * over a cached document leaves that document updated with what the store answered (the full
   * new item): the stage runner's next read of the execution is then answered from memory.
   */
  const writing = async <T>(id: string, write: () => Promise<T>, patch?: (document: Execution, result: T) => Execution | undefined): Promise<T> => {
    const base = entries.get(id);
    entries.delete(id);
    bump(id);
    const startedAt = generations.get(id);
    writesInFlight.set(id, (writesInFlight.get(id) ?? 0) + 1);
    let patched: Execution | undefined;
    try {
      const result = await write();
      if (patch && base !== undefined && generations.get(id) === startedAt) patched = patch(base, result);
      return result;
    } finally {
      const left = (writesInFlight.get(id) ?? 1) - 1;
      if (left === 0) writesInFlight.delete(id);
      else writesInFlight.set(id, left);
      entries.delete(id);
      bump(id);
      if (patched !== undefined && left === 0 && !readsInFlight.has(id)) entries.set(id, patched);
      // Generations are only compared while a read is in flight; forgetting them when nothing
      // is writing keeps the map from growing with every execution ever written.
      if (left === 0 && !readsInFlight.has(id)) generations.delete(id);
    }
  };

  const readsInFlight = new Map<string, number>();

  return {
    ...inner,

    async getExecution(id) {
      const cached = entries.get(id);
      if (cached !== undefined) {
        hits += 1;
        entries.delete(id);
        entries.set(id, cached);
        return cached;
      }
      misses += 1;
      const before = generations.get(id) ?? 0;
      readsInFlight.set(id, (readsInFlight.get(id) ?? 0) + 1);
      let execution: Execution | undefined;
      try {
        execution = await inner.getExecution(id);
      } finally {
        const left = (readsInFlight.get(id) ?? 1) - 1;
        if (left === 0) readsInFlight.delete(id);
        else readsInFlight.set(id, left);
      }
      const unchanged = (generations.get(id) ?? 0) === before && !writesInFlight.has(id);
      if (execution !== undefined && unchanged) {
        entries.set(id, execution);
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      }
      if (!writesInFlight.has(id) && !readsInFlight.has(id)) generations.delete(id);
      return execution;
    },

    async getExecutionPart(id, stageIds) {
      const cached = entries.get(id);
      if (cached === undefined) return inner.getExecutionPart(id, stageIds);
      hits += 1;
      const wanted = new Set(stageIds);
      const { stages, notificationDeliveries: _deliveries, ...header } = cached;
      return { header, stages: stages.filter((stage) => wanted.has(stage.id)) };
    },

    createExecution: (input) => writing(input.id, () => inner.createExecution(input)),
    updateExecution: (id, update) =>
      writing(
        id,
        () => inner.updateExecution(id, update),
        (document, result) => (result.ok ? { ...result.value, stages: document.stages, ...(document.notificationDeliveries ? { notificationDeliveries: document.notificationDeliveries } : {}) } : undefined),
      ),
    updateStage: (executionId, stageId, update) =>
      writing(
        executionId,
        () => inner.updateStage(executionId, stageId, update),
        (document, result) => {
          if (!result.ok) return undefined;
          const index = document.stages.findIndex((stage) => stage.id === stageId);
          if (index < 0) return undefined;
          const stages = [...document.stages];
          stages[index] = result.value;
          return { ...document, stages };
        },
      ),
    deleteExecution: (id) => writing(id, () => inner.deleteExecution(id)),
    putTaskToken: (executionId, stageId, token) => writing(executionId, () => inner.putTaskToken(executionId, stageId, token)),
    takeTaskToken: (executionId, stageId, token) => writing(executionId, () => inner.takeTaskToken(executionId, stageId, token)),
    // Deliveries are part of the execution document.
    claimNotificationDelivery: (executionId, delivery, options) => writing(executionId, () => inner.claimNotificationDelivery(executionId, delivery, options)),
    finishNotificationDelivery: (executionId, key, result) => writing(executionId, () => inner.finishNotificationDelivery(executionId, key, result)),

    cacheStats: () => ({ hits, misses, size: entries.size }),
  };
}
