/**
 * The DynamoDB execution store against a real dynalite server: the ExecutionStore contract,
 * then what only this adapter does (table layout from the exported definitions, SDK failures
 * mapped onto the error catalog, data kept on disk across restarts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { STATE_TABLE } from '../../adapters/dynamodb/tables.ts';
import { isGennakerError } from '../../core/errors.ts';
import type { NewExecution } from '../../core/ports/execution-store.ts';
import { createManualClock, executionStoreContract } from '../contract/execution-store.contract.ts';
import { createDynamoDbJudgmentWatchStore } from '../../adapters/dynamodb/judgment-watches.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';

let dynalite: Dynalite;

function execution(id: string, buildTime: number): NewExecution {
  return {
    id,
    application: 'shop',
    pipelineConfigId: 'pipe',
    pipelineVersion: 1,
    name: 'Release',
    buildTime,
    trigger: { type: 'manual' },
    parameters: {},
    limitConcurrent: true,
    keepWaitingPipelines: false,
    maxConcurrentExecutions: 0,
    stages: [{ id: 's1', refId: '1', type: 'wait', name: 'Wait', requisiteStageRefIds: [], context: { waitTime: 1 } }],
  };
}

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite?.stop();
});

executionStoreContract('DynamoDB adapter on dynalite (in memory)', async (clock) =>
  createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock }),
);

describe('DynamoDB judgment watches (the notifier\'s reminder sweep)', () => {
  it('lists the judgments watched until they are forgotten; watching again replaces the entry', async () => {
    const store = createDynamoDbJudgmentWatchStore({ client: dynalite.client, tableName: dynalite.tableName, clock: createManualClock() });
    const executionId = 'watched-execution';
    const mine = async () => (await store.listWatchedJudgments()).filter((watch) => watch.executionId === executionId);
    await store.watchJudgment({ executionId, stageId: 'S1', application: 'shop', since: 1_000 });
    await store.watchJudgment({ executionId, stageId: 'S2', application: 'shop', since: 2_000 });
    await store.watchJudgment({ executionId, stageId: 'S1', application: 'shop', since: 3_000 });
    const both = await mine();
    await store.unwatchJudgment(executionId, 'S1');
    await store.unwatchJudgment(executionId, 'S1');

    expect(both.sort((a, b) => a.stageId.localeCompare(b.stageId))).toEqual([
      { executionId, stageId: 'S1', application: 'shop', since: 3_000 },
      { executionId, stageId: 'S2', application: 'shop', since: 2_000 },
    ]);
    expect(await mine()).toEqual([{ executionId, stageId: 'S2', application: 'shop', since: 2_000 }]);
  });
});

describe('DynamoDB execution store: the adapter itself', () => {
  it('creates the table exactly as tables.ts defines it', async () => {
    const { Table } = await dynalite.client.send(new DescribeTableCommand({ TableName: dynalite.tableName }));

    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema?.map((k) => k.AttributeName), index.Projection?.ProjectionType])).toEqual(
      STATE_TABLE.globalSecondaryIndexes.map((index) => [index.indexName, [index.partitionKey.name, index.sortKey.name], 'ALL']),
    );
  });

  it('fails with Gennaker.StoreUnavailable, and no SDK text, when DynamoDB cannot be reached', async () => {
    // given a client for a port nobody listens on
    const client = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const store = createDynamoDbExecutionStore({ client, tableName: dynalite.tableName, clock: createManualClock() });

    // when
    const error = await store.getExecution('any').catch((e: unknown) => e);
    client.destroy();

    // then
    expect(isGennakerError(error, 'Gennaker.StoreUnavailable')).toBe(true);
    expect((error as Error).message).toBe('the execution store did not answer (getExecution)');
    expect((error as Error).cause).toBeDefined();
  });

  it('fails with Gennaker.InvariantViolated when the table does not exist', async () => {
    const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: 'no-such-table', clock: createManualClock() });

    const error = await store.getApplication('shop').catch((e: unknown) => e);

    expect(isGennakerError(error, 'Gennaker.InvariantViolated')).toBe(true);
    expect((error as Error).message).not.toContain('ResourceNotFound');
  });

  it.each([
    ['with a conditional put per stage', 'half-created', false],
    ['with batched puts for a fresh id', 'half-created-fresh', true],
  ])('completes a creation that crashed after writing some stages, %s', async (_how, executionId, freshId) => {
    // given the stage items of a creation that died before writing its header
    const clock = createManualClock();
    const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
    const doc = DynamoDBDocumentClient.from(dynalite.client);
    const input = { ...execution(executionId, clock.now()), freshId };
    await doc.send(
      new PutCommand({
        TableName: dynalite.tableName,
        Item: { pk: `EXEC#${executionId}`, sk: 'STAGE#s1', kind: 'stage', id: 's1', refId: '1', type: 'wait', name: 'Wait', status: 'NOT_STARTED', revision: 0 },
      }),
    );

    // when the creation is retried
    expect(await store.getExecution(executionId)).toBeUndefined();
    expect(await store.getExecutionPart(executionId, ['s1'])).toBeUndefined();
    const retried = await store.createExecution(input);

    // then it completes
    expect(retried.ok).toBe(true);
    expect(await store.getExecution(executionId)).toMatchObject({ stages: [{ id: 's1', context: { waitTime: 1 } }] });
  });

  it('takes over a pipeline name left behind by a crashed save, once the grace period is over', async () => {
    // given a claim on 'Release' by a pipeline that never got saved
    const clock = createManualClock();
    const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
    const doc = DynamoDBDocumentClient.from(dynalite.client);
    await doc.send(
      new PutCommand({
        TableName: dynalite.tableName,
        Item: { pk: 'APP#crashy', sk: 'PIPENAME#release', kind: 'pipelineName', pipelineConfigId: 'ghost', claimedAt: clock.now() },
      }),
    );
    const save = () => store.savePipelineConfig({ id: 'real', application: 'crashy', name: 'Release', config: { stages: [] } });

    // when saved right away, and again after the grace period
    const early = await save();
    clock.advance(120_000);
    const later = await save();

    // then
    expect(early).toEqual({ ok: false, reason: 'name-taken', pipelineConfigId: 'ghost' });
    expect(later).toMatchObject({ ok: true, saved: { id: 'real', version: 1 } });
    expect(await store.getPipelineConfigByName('crashy', 'release')).toMatchObject({ id: 'real' });
  });

  it('keeps executions on disk across a restart when started on a path', async () => {
    // given dynalite on a directory, holding one execution
    const path = mkdtempSync(join(tmpdir(), 'gennaker-dynalite-'));
    const clock = createManualClock();
    const first = await startDynalite({ path });
    const before = createDynamoDbExecutionStore({ client: first.client, tableName: first.tableName, clock });
    await before.createExecution(execution('persisted', clock.now()));
    await first.stop();

    // when it starts again on the same directory
    const second = await startDynalite({ path });
    const after = createDynamoDbExecutionStore({ client: second.client, tableName: second.tableName, clock });
    const read = await after.getExecution('persisted');
    await second.stop();
    rmSync(path, { recursive: true, force: true });

    // then the execution is still there
    expect(read).toMatchObject({ id: 'persisted', stages: [{ refId: '1', context: { waitTime: 1 } }] });
  });
});

describe('the trigger index of pipelines saved before it existed', () => {
  it('files them on the first read, once', async () => {
    // given: a pipeline saved, then its index entries and the marker removed (as a store from before the index holds it)
    const dynalite = await startDynalite();
    const clock = createManualClock();
    const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
    await store.saveApplication({ name: 'legacy', accounts: [], trafficGuards: [], permissions: {}, raw: { name: 'legacy' } }, { expectRevision: 0 });
    const config = { application: 'legacy', name: 'Old', triggers: [{ type: 'webhook', source: 'old-hook' }], stages: [] };
    await store.savePipelineConfig({ id: 'old-1', application: 'legacy', name: 'Old', config });
    const doc = DynamoDBDocumentClient.from(dynalite.client);
    const scanned = await dynalite.client.send(new ScanCommand({ TableName: dynalite.tableName }));
    for (const item of scanned.Items ?? []) {
      const pk = item.pk?.S ?? '';
      if (pk.startsWith('TRIG')) await doc.send(new DeleteCommand({ TableName: dynalite.tableName, Key: { pk, sk: item.sk!.S! } }));
    }

    // when: a store that has never read the index asks for the key
    const fresh = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
    const found = await fresh.listPipelineConfigsByTrigger('webhook:old-hook');

    // then
    expect(found.map((version) => version.id)).toEqual(['old-1']);
    const marker = await doc.send(new GetCommand({ TableName: dynalite.tableName, Key: { pk: 'TRIGINDEX', sk: 'BUILT#1' } }));
    expect(marker.Item).toBeDefined();
    await dynalite.stop();
  });
});
