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

  it('keeps a cached document up to date with a write that ran alone, so the next read needs no store read', async () => {
    // given a cached document and a store that counts its reads
    const real = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: createManualClock() });
    let reads = 0;
    const counted: ExecutionStore = {
      ...real,
      getExecution: (id) => ((reads += 1), real.getExecution(id)),
      getExecutionPart: (id, stageIds) => ((reads += 1), real.getExecutionPart(id, stageIds)),
    };
    const store = withExecutionReadCache(counted);
    await store.createExecution({ ...newExecution('patch-1'), stages: [...newExecution('patch-1').stages, { id: 's2', refId: '2', type: 'wait', name: 'Later', requisiteStageRefIds: ['1'], context: {} }] });
    await store.getExecution('patch-1');
    // when
    await store.updateExecution('patch-1', { set: { status: 'RUNNING', startTime: 5 }, expect: ['NOT_STARTED'] });
    await store.updateStage('patch-1', 's1', { set: { status: 'SUCCEEDED', outputs: { done: true } }, expect: ['NOT_STARTED'] });
    const part = await store.getExecutionPart('patch-1', ['s1']);
    const whole = await store.getExecution('patch-1');
    // then: answered from memory, and exactly what the store holds
    expect(reads).toBe(1);
    expect(part).toEqual(await real.getExecutionPart('patch-1', ['s1']));
    expect(whole).toEqual(await real.getExecution('patch-1'));
    expect(whole?.stages.map((stage) => stage.status)).toEqual(['SUCCEEDED', 'NOT_STARTED']);
  });

  it('caches nothing after two writes of the same execution overlap, or after a write the store refused', async () => {
    // given
    const real = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: createManualClock() });
    let reads = 0;
    const counted: ExecutionStore = { ...real, getExecution: (id) => ((reads += 1), real.getExecution(id)) };
    const store = withExecutionReadCache(counted);
    await store.createExecution({ ...newExecution('patch-2'), stages: [...newExecution('patch-2').stages, { id: 's2', refId: '2', type: 'wait', name: 'Beside', requisiteStageRefIds: [], context: {} }] });
    await store.getExecution('patch-2');
    // when two stages are written at once
    await Promise.all([
      store.updateStage('patch-2', 's1', { set: { status: 'RUNNING' }, expect: ['NOT_STARTED'] }),
      store.updateStage('patch-2', 's2', { set: { status: 'RUNNING' }, expect: ['NOT_STARTED'] }),
    ]);
    // then the next read goes to the store, and sees both
    expect((await store.getExecution('patch-2'))?.stages.map((stage) => stage.status)).toEqual(['RUNNING', 'RUNNING']);
    expect(reads).toBe(2);
    // and a refused write leaves nothing cached either
    expect((await store.updateStage('patch-2', 's1', { set: { status: 'SUCCEEDED' }, expect: ['NOT_STARTED'] })).ok).toBe(false);
    await store.getExecution('patch-2');
    expect(reads).toBe(3);
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
