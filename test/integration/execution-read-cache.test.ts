/**
 * The local runtime's execution read cache: the whole ExecutionStore contract still holds with
 * it in front of the DynamoDB adapter, repeated reads are answered from memory, and a read that
 * overlaps a write never puts a stale document in the cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import type { Execution, ExecutionStore, NewExecution } from '../../core/ports/execution-store.ts';
import { withExecutionReadCache } from '../../local/execution-read-cache.ts';
import { createManualClock, executionStoreContract } from '../contract/execution-store.contract.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';

let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite?.stop();
});

executionStoreContract('DynamoDB adapter behind the local read cache', async (clock) =>
  withExecutionReadCache(createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock })),
);

function newExecution(id: string): NewExecution {
  return {
    id,
    application: 'shop',
    pipelineConfigId: 'pipe',
    pipelineVersion: 1,
    name: 'Release',
    buildTime: 1,
    trigger: { type: 'manual' },
    parameters: {},
    limitConcurrent: false,
    keepWaitingPipelines: false,
    maxConcurrentExecutions: 0,
    stages: [{ id: 's1', refId: '1', type: 'wait', name: 'Wait', requisiteStageRefIds: [], context: { waitTime: 1 } }],
  };
}

describe('execution read cache', () => {
  it('answers a repeated read from memory and a read after a write from the store', async () => {
    const store = withExecutionReadCache(createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: createManualClock() }));
    await store.createExecution(newExecution('cache-1'));
    const first = await store.getExecution('cache-1');
    const second = await store.getExecution('cache-1');
    expect(second).toBe(first);
    expect(store.cacheStats()).toMatchObject({ hits: 1, misses: 1, size: 1 });

    await store.updateExecution('cache-1', { set: { status: 'RUNNING' }, expect: ['NOT_STARTED'] });
    expect((await store.getExecution('cache-1'))?.status).toBe('RUNNING');
    await store.updateStage('cache-1', 's1', { set: { status: 'RUNNING' }, expect: ['NOT_STARTED'] });
    expect((await store.getExecution('cache-1'))?.stages[0]?.status).toBe('RUNNING');
  });

  it('does not cache a read that overlapped a write of the same execution', async () => {
    const real = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: createManualClock() });
    await real.createExecution(newExecution('cache-2'));
    let releaseRead: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (releaseRead = resolve));
    // The first read returns what the store held before the write, but only after the write ends.
    let reads = 0;
    let snapshotTaken: (() => void) | undefined;
    const taken = new Promise<void>((resolve) => (snapshotTaken = resolve));
    const slow: ExecutionStore = {
      ...real,
      async getExecution(id) {
        reads += 1;
        const snapshot = await real.getExecution(id);
        if (reads === 1) {
          snapshotTaken?.();
          await gate;
        }
        return snapshot;
      },
    };
    const store = withExecutionReadCache(slow);
    const staleRead = store.getExecution('cache-2');
    await taken;
    await store.updateExecution('cache-2', { set: { status: 'RUNNING' }, expect: ['NOT_STARTED'] });
    releaseRead?.();
    expect(((await staleRead) as Execution).status).toBe('NOT_STARTED');

    expect((await store.getExecution('cache-2'))?.status).toBe('RUNNING');
    expect(reads).toBe(2);
  });

  it('keeps at most maxEntries documents, dropping the least recently read', async () => {
    const store = withExecutionReadCache(createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: createManualClock() }), { maxEntries: 2 });
    for (const id of ['lru-a', 'lru-b', 'lru-c']) await store.createExecution(newExecution(id));
    await store.getExecution('lru-a');
    await store.getExecution('lru-b');
    await store.getExecution('lru-a');
    await store.getExecution('lru-c');
    expect(store.cacheStats().size).toBe(2);
    const before = store.cacheStats().misses;
    await store.getExecution('lru-a');
    expect(store.cacheStats().misses).toBe(before);
    await store.getExecution('lru-b');
    expect(store.cacheStats().misses).toBe(before + 1);
  });
});
