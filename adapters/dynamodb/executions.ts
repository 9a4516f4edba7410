/**
 * Executions: a header item plus one item per stage, all under `EXEC#<id>`, so one Query reads
 * the whole execution and no item grows with the number of stages.
 *
 * Status writes are UpdateItems conditioned on `#status IN (expected) AND NOT #status IN
 * (complete)`: a complete record is frozen, whatever the caller expects. A failed condition is
 * followed by one consistent read to tell the caller why (not found, another status, another
 * revision, or too large): dynalite does not return the item with the failure, and the extra
 * read happens only on the losing path.
 *
 * Sizes: a stage item keeps `context` and `outputs` within `maxStageDataBytes` together and
 * the runtime bag within `maxStageRuntimeBytes`; the rest (names, refIds, the token) is small
 * and bounded at creation, so a stage item stays under `maxRecordBytes` (350 KiB). Replacing
 * one of context/outputs is conditioned on the stored size of the other (`ctxBytes`,
 * `outBytes`), so the budget holds without reading first. Too much data is refused, not split:
 * a stage that needs megabytes (manifests, logs) should keep them in an artifact store and put
 * a reference in its context.
 */
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import { EXECUTION_STATUSES, isComplete, type ExecutionStatus } from '../../core/execution/status.ts';
import {
  STORE_LIMITS,
  type CreateExecutionResult,
  type Execution,
  type ExecutionHeader,
  type ExecutionPart,
  type ExecutionRecordStore,
  type NewExecution,
  type PauseDetails,
  type StageRecord,
  type StatusConflict,
  type TaskToken,
  type TooLarge,
  type UpdateResult,
} from '../../core/ports/execution-store.ts';
import { formatBytes, itemBytes, utf8Bytes } from './item-size.ts';
import { keys } from './keys.ts';
import {
  call,
  conditional,
  fromJson,
  num,
  optNum,
  optStr,
  queryAll,
  queryPage,
  str,
  toJson,
  type Item,
  type StoreContext,
} from './store-context.ts';
import { createExpressionBuilder } from './update-expression.ts';
import { KEYS } from './tables.ts';
import { deliveriesOf, DELIVERY_PREFIX } from './notification-deliveries.ts';

const COMPLETE_STATUSES: readonly ExecutionStatus[] = EXECUTION_STATUSES.filter(isComplete);

/** Room kept free in a header at creation for later writes (cancellation, pause details). */
const HEADER_HEADROOM_BYTES = 20 * 1024;

/** What a stage item may hold besides context, outputs and runtime (names, refIds, token). */
const STAGE_METADATA_LIMIT_BYTES =
  STORE_LIMITS.maxRecordBytes - STORE_LIMITS.maxStageDataBytes - STORE_LIMITS.maxStageRuntimeBytes - 2 * STORE_LIMITS.maxTaskTokenBytes;

/** Parallel puts while creating an execution. */
const CREATE_PARALLELISM = 16;

/** DynamoDB's limits per BatchWriteItem and per BatchGetItem request. */
const BATCH_WRITE_ITEMS = 25;
const BATCH_GET_KEYS = 100;

/**
 * Rounds of a batch request while DynamoDB leaves items unprocessed (throttling), with a
 * doubling pause from BATCH_RETRY_BASE_MS; then the store reports itself unavailable.
 */
const BATCH_ATTEMPTS = 8;
const BATCH_RETRY_BASE_MS = 10;

/** Execution headers, stage records and task tokens. */
export function createExecutionRecordStore(ctx: StoreContext): ExecutionRecordStore {
  const table = ctx.tableName;

  async function getItem(key: { pk: string; sk: string }, operation: string): Promise<Item | undefined> {
    const output = await call(operation, () => ctx.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })));
    return output.Item;
  }

  /** Why a conditional write on a status-bearing item failed. */
  function explainConflict(item: Item | undefined, expect: readonly ExecutionStatus[], expectRevision?: number) {
    if (item === undefined) return { ok: false, reason: 'not-found' } as const;
    const current = str(item, 'status') as ExecutionStatus;
    const revision = num(item, 'revision');
    const statusMatches = expect.includes(current) && !isComplete(current);
    const revisionMatches = expectRevision === undefined || expectRevision === revision;
    return statusMatches && revisionMatches ? undefined : ({ ok: false, reason: 'conflict', current, revision } satisfies StatusConflict);
  }

  function requireExpectation(operation: string, expect: readonly ExecutionStatus[]): void {
    if (expect.length === 0) {
      throw new GennakerError('Gennaker.InvariantViolated', `${operation} needs at least one expected status`);
    }
  }

  /** Conditional puts, each refused when the stage has moved: true when every put went through. */
  async function putStagesOneByOne(stages: readonly Item[]): Promise<boolean> {
    const writes = await inBatches(stages, CREATE_PARALLELISM, (item) =>
      conditional('createExecution', () =>
        ctx.doc.send(
          new PutCommand({
            TableName: table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk) OR revision = :zero',
            ExpressionAttributeValues: { ':zero': 0 },
          }),
        ),
      ),
    );
    return writes.every((write) => write !== undefined);
  }

  /** Unconditional batch writes (puts or deletes) of an execution's stage items, retrying what DynamoDB left unprocessed. */
  async function writeStageItems(requests: ReadonlyArray<{ PutRequest: { Item: Item } } | { DeleteRequest: { Key: { pk: string; sk: string } } }>, operation: string): Promise<void> {
    const chunks: Array<typeof requests> = [];
    for (let start = 0; start < requests.length; start += BATCH_WRITE_ITEMS) chunks.push(requests.slice(start, start + BATCH_WRITE_ITEMS));
    await inBatches(chunks, CREATE_PARALLELISM, async (chunk) => {
      let pending = [...chunk];
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === BATCH_ATTEMPTS) {
          throw new GennakerError('Gennaker.StoreUnavailable', `the execution store did not answer (${operation}): stage writes kept being throttled`);
        }
        if (attempt > 0) await pause(BATCH_RETRY_BASE_MS * 2 ** (attempt - 1));
        const output = await call(operation, () => ctx.doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } })));
        pending = (output.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    });
  }

  /** Unconditional batch puts of a fresh execution's stages. */
  async function putFreshStages(stages: readonly Item[]): Promise<boolean> {
    await writeStageItems(stages.map((item) => ({ PutRequest: { Item: item } })), 'createExecution');
    return true;
  }

  /** Strongly consistent reads of the given keys, in any order, retrying what DynamoDB left unprocessed. */
  async function batchGet(keysToRead: ReadonlyArray<{ pk: string; sk: string }>, operation: string): Promise<Item[]> {
    const chunks: Array<Array<{ pk: string; sk: string }>> = [];
    for (let start = 0; start < keysToRead.length; start += BATCH_GET_KEYS) chunks.push(keysToRead.slice(start, start + BATCH_GET_KEYS));
    const read = await inBatches(chunks, CREATE_PARALLELISM, async (chunk) => {
      const items: Item[] = [];
      let pending: Array<Record<string, unknown>> = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === BATCH_ATTEMPTS) {
          throw new GennakerError('Gennaker.StoreUnavailable', `the execution store did not answer (${operation}): reads kept being throttled`);
        }
        if (attempt > 0) await pause(BATCH_RETRY_BASE_MS * 2 ** (attempt - 1));
        const output = await call(operation, () =>
          ctx.doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })),
        );
        items.push(...((output.Responses?.[table] ?? []) as Item[]));
        pending = output.UnprocessedKeys?.[table]?.Keys ?? [];
      }
      return items;
    });
    return read.flat();
  }

  return {
    async createExecution(input): Promise<CreateExecutionResult> {
      validateNewExecution(input);
      const existing = await getItem(keys.execution(input.id), 'createExecution');
      if (existing !== undefined) return { ok: false, reason: 'exists', existing: toHeader(existing) };

      const now = ctx.clock.now();
      const header = headerItem(input, now);
      const headerBytes = itemBytes(header);
      if (headerBytes + HEADER_HEADROOM_BYTES > STORE_LIMITS.maxRecordBytes) {
        const limit = STORE_LIMITS.maxRecordBytes - HEADER_HEADROOM_BYTES;
        return tooLarge(
          `execution '${input.name}' (${input.id}) is ${formatBytes(headerBytes)} with its trigger and parameters, ` +
            `over the limit of ${formatBytes(limit)}; pass large payloads by reference (an artifact) instead`,
          headerBytes,
          limit,
        );
      }
      const stages: Item[] = [];
      for (const [index, stage] of input.stages.entries()) {
        const context = toJson(`the context of stage '${stage.name}'`, stage.context);
        const ctxBytes = utf8Bytes(context);
        if (ctxBytes > STORE_LIMITS.maxStageDataBytes) {
          return tooLarge(
            `stage '${stage.name}' (refId ${stage.refId}) has a context of ${formatBytes(ctxBytes)}, ` +
              `over the limit of ${formatBytes(STORE_LIMITS.maxStageDataBytes)}; keep large data outside the pipeline and pass a reference`,
            ctxBytes,
            STORE_LIMITS.maxStageDataBytes,
          );
        }
        const item: Item = {
          ...keys.stage(input.id, stage.id),
          kind: 'stage',
          executionId: input.id,
          id: stage.id,
          index,
          refId: stage.refId,
          type: stage.type,
          name: stage.name,
          requisiteStageRefIds: [...stage.requisiteStageRefIds],
          parentStageId: stage.parentStageId,
          syntheticStageOwner: stage.syntheticStageOwner,
          status: stage.status ?? 'NOT_STARTED',
          context,
          outputs: '{}',
          runtime: '{}',
          ctxBytes,
          outBytes: 2,
          rtBytes: 2,
          revision: 0,
          lastModified: now,
        };
        const metadataBytes = itemBytes({ ...item, context: '', outputs: '', runtime: '' });
        if (metadataBytes > STAGE_METADATA_LIMIT_BYTES) {
          return tooLarge(
            `stage '${stage.name.slice(0, 100)}' (refId ${stage.refId.slice(0, 100)}) has ${formatBytes(metadataBytes)} of names and ids, ` +
              `over the limit of ${formatBytes(STAGE_METADATA_LIMIT_BYTES)}`,
            metadataBytes,
            STAGE_METADATA_LIMIT_BYTES,
          );
        }
        stages.push(item);
      }

      // Stages first: the header makes the execution visible, so it goes last. A stage may be
      // overwritten only while untouched (revision 0), which is what a retried creation finds.
      // With a fresh id no other creation can race this one, and no run can have moved a stage
      // before the header exists: unconditional batch puts then keep the same guarantee, in
      // one request per 25 stages instead of one per stage.
      const stagesWritten = input.freshId === true ? await putFreshStages(stages) : await putStagesOneByOne(stages);
      const headerWritten =
        stagesWritten &&
        (await conditional('createExecution', () =>
          ctx.doc.send(new PutCommand({ TableName: table, Item: header, ConditionExpression: 'attribute_not_exists(pk)' })),
        )) !== undefined;
      if (!headerWritten) {
        const winner = await getItem(keys.execution(input.id), 'createExecution');
        if (winner !== undefined) return { ok: false, reason: 'exists', existing: toHeader(winner) };
        throw new GennakerError('Gennaker.WriteConflict', `another creation of execution ${input.id} is in flight; try again`);
      }
      return { ok: true, execution: { ...toHeader(header), stages: stages.map(toStage) } };
    },

    async getExecution(id) {
      const items = await queryAll(ctx, 'getExecution', {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.executionPartition(id) },
        ConsistentRead: true,
      });
      const header = items.find((item) => item['sk'] === 'HEADER');
      if (header === undefined) return undefined;
      const stages = items
        .filter((item) => typeof item['sk'] === 'string' && item['sk'].startsWith(keys.stagePrefix))
        .sort((a, b) => num(a, 'index') - num(b, 'index'))
        .map(toStage);
      const deliveries = deliveriesOf(items);
      return { ...toHeader(header), stages, ...(deliveries.length > 0 ? { notificationDeliveries: deliveries } : {}) } satisfies Execution;
    },

    async getExecutionPart(id, stageIds): Promise<ExecutionPart | undefined> {
      // BatchGetItem refuses a key twice; a Query with a filter would read (and, on dynalite,
      // evaluate) every stage item, which is what this read exists to avoid.
      const wanted = [...new Set(stageIds)].map((stageId) => keys.stage(id, stageId));
      const items = await batchGet([keys.execution(id), ...wanted], 'getExecutionPart');
      const header = items.find((item) => item['sk'] === 'HEADER');
      if (header === undefined) return undefined;
      const stages = items
        .filter((item) => item !== header)
        .sort((a, b) => num(a, 'index') - num(b, 'index'))
        .map(toStage);
      return { header: toHeader(header), stages };
    },

    async getStage(executionId, stageId) {
      const item = await getItem(keys.stage(executionId, stageId), 'getStage');
      return item === undefined ? undefined : toStage(item);
    },

    async listExecutions(query, page) {
      const byApplication = 'application' in query;
      const index = byApplication ? KEYS.gsi1 : KEYS.gsi2;
      const partition = byApplication ? keys.executionsOfApplication(query.application) : keys.executionsOfPipeline(query.pipelineConfigId);
      const expression = createExpressionBuilder();
      const keyCondition = `${expression.name(index.pk)} = ${expression.value(partition)}`;
      if (query.statuses !== undefined && query.statuses.length > 0) expression.condition(expression.in('status', query.statuses));
      const built = expression.build();
      const result = await queryPage(
        ctx,
        'listExecutions',
        {
          IndexName: index.indexName,
          KeyConditionExpression: keyCondition,
          ...(built.ConditionExpression === undefined ? {} : { FilterExpression: built.ConditionExpression }),
          ExpressionAttributeNames: built.ExpressionAttributeNames,
          ExpressionAttributeValues: built.ExpressionAttributeValues,
          ScanIndexForward: false,
        },
        page,
      );
      return { ...result, items: result.items.map(toHeader) };
    },

    async updateExecution(id, update): Promise<UpdateResult<ExecutionHeader>> {
      requireExpectation('updateExecution', update.expect);
      const { set } = update;
      const texts = { canceledBy: set.canceledBy, cancellationReason: set.cancellationReason, pausedBy: set.paused?.pausedBy, resumedBy: set.paused?.resumedBy };
      for (const [field, text] of Object.entries(texts)) {
        const bytes = text === undefined ? 0 : utf8Bytes(text);
        if (bytes > STORE_LIMITS.maxUpdateTextBytes) {
          return tooLarge(
            `${field} of execution ${id} is ${formatBytes(bytes)}, over the limit of ${formatBytes(STORE_LIMITS.maxUpdateTextBytes)}`,
            bytes,
            STORE_LIMITS.maxUpdateTextBytes,
          );
        }
      }
      const expression = createExpressionBuilder();
      statusCondition(expression, update.expect, update.expectRevision);
      if (set.status !== undefined) expression.set('status', set.status);
      if (set.startTime !== undefined) expression.set('startTime', set.startTime);
      if (set.endTime !== undefined) expression.set('endTime', set.endTime);
      if (set.canceled !== undefined) expression.set('canceled', set.canceled);
      if (set.canceledBy !== undefined) expression.set('canceledBy', set.canceledBy);
      if (set.cancellationReason !== undefined) expression.set('cancellationReason', set.cancellationReason);
      if (set.paused !== undefined) expression.set('paused', JSON.stringify(set.paused));
      expression.set('lastModified', ctx.clock.now());
      expression.add('revision', 1);

      const written = await conditional('updateExecution', () =>
        ctx.doc.send(new UpdateCommand({ TableName: table, Key: keys.execution(id), ...expression.build(), ReturnValues: 'ALL_NEW' })),
      );
      if (written !== undefined) return { ok: true, value: toHeader(written.output.Attributes ?? {}) };
      const current = await getItem(keys.execution(id), 'updateExecution');
      return explainConflict(current, update.expect, update.expectRevision) ?? raced(current);
    },

    async updateStage(executionId, stageId, update): Promise<UpdateResult<StageRecord>> {
      requireExpectation('updateStage', update.expect);
      const { set } = update;
      const context = set.context === undefined ? undefined : toJson(`the context of stage ${stageId}`, set.context);
      const outputs = set.outputs === undefined ? undefined : toJson(`the outputs of stage ${stageId}`, set.outputs);
      const runtime = set.runtime === undefined ? undefined : toJson(`the runtime state of stage ${stageId}`, set.runtime);
      const ctxBytes = context === undefined ? undefined : utf8Bytes(context);
      const outBytes = outputs === undefined ? undefined : utf8Bytes(outputs);
      const rtBytes = runtime === undefined ? undefined : utf8Bytes(runtime);

      const describe = async (): Promise<string> => {
        const stage = await getItem(keys.stage(executionId, stageId), 'updateStage');
        return stage === undefined ? `stage ${stageId}` : `stage '${str(stage, 'name')}' (refId ${str(stage, 'refId')})`;
      };
      if (rtBytes !== undefined && rtBytes > STORE_LIMITS.maxStageRuntimeBytes) {
        return tooLarge(
          `${await describe()} of execution ${executionId}: its runtime state would be ${formatBytes(rtBytes)}, ` +
            `over the limit of ${formatBytes(STORE_LIMITS.maxStageRuntimeBytes)}`,
          rtBytes,
          STORE_LIMITS.maxStageRuntimeBytes,
        );
      }
      const dataMessage = async (bytes: number) =>
        `${await describe()} of execution ${executionId}: its context and outputs would be ${formatBytes(bytes)}, ` +
        `over the limit of ${formatBytes(STORE_LIMITS.maxStageDataBytes)}; keep large data (manifests, logs) ` +
        `outside the stage and store a reference`;
      const newData = (ctxBytes ?? 0) + (outBytes ?? 0);
      if (newData > STORE_LIMITS.maxStageDataBytes) {
        return tooLarge(await dataMessage(newData), newData, STORE_LIMITS.maxStageDataBytes);
      }

      const expression = createExpressionBuilder();
      statusCondition(expression, update.expect, update.expectRevision);
      // Replacing one of context/outputs: the other, as stored, must leave room for it.
      if (ctxBytes !== undefined && outBytes === undefined) {
        expression.condition(`${expression.name('outBytes')} <= ${expression.value(STORE_LIMITS.maxStageDataBytes - ctxBytes)}`);
      }
      if (outBytes !== undefined && ctxBytes === undefined) {
        expression.condition(`${expression.name('ctxBytes')} <= ${expression.value(STORE_LIMITS.maxStageDataBytes - outBytes)}`);
      }
      if (set.status !== undefined) expression.set('status', set.status);
      if (set.startTime !== undefined) expression.set('startTime', set.startTime);
      if (set.endTime !== undefined) expression.set('endTime', set.endTime);
      if (context !== undefined) {
        expression.set('context', context);
        expression.set('ctxBytes', ctxBytes);
      }
      if (outputs !== undefined) {
        expression.set('outputs', outputs);
        expression.set('outBytes', outBytes);
      }
      if (runtime !== undefined) {
        expression.set('runtime', runtime);
        expression.set('rtBytes', rtBytes);
      }
      expression.set('lastModified', ctx.clock.now());
      expression.add('revision', 1);

      const key = keys.stage(executionId, stageId);
      const written = await conditional('updateStage', () =>
        ctx.doc.send(new UpdateCommand({ TableName: table, Key: key, ...expression.build(), ReturnValues: 'ALL_NEW' })),
      );
      if (written !== undefined) return { ok: true, value: toStage(written.output.Attributes ?? {}) };
      const current = await getItem(key, 'updateStage');
      const conflict = explainConflict(current, update.expect, update.expectRevision);
      if (conflict !== undefined || current === undefined) return conflict ?? { ok: false, reason: 'not-found' };
      const combined = (ctxBytes ?? num(current, 'ctxBytes')) + (outBytes ?? num(current, 'outBytes'));
      if (combined > STORE_LIMITS.maxStageDataBytes) {
        return tooLarge(await dataMessage(combined), combined, STORE_LIMITS.maxStageDataBytes);
      }
      return raced(current);
    },

    async deleteExecution(id) {
      const expression = createExpressionBuilder();
      expression.condition(expression.in('status', COMPLETE_STATUSES));
      const removed = await conditional('deleteExecution', () => ctx.doc.send(new DeleteCommand({ TableName: table, Key: keys.execution(id), ...expression.build() })));
      if (removed === undefined) {
        const current = await getItem(keys.execution(id), 'deleteExecution');
        // No header: never created, or deleted before (its stage items may remain from a delete that stopped halfway).
        if (current !== undefined) return { ok: false, reason: 'conflict', current: str(current, 'status') as ExecutionStatus, revision: num(current, 'revision') };
      }
      // The stage records and the notification delivery records of the execution's partition.
      const records = (
        await queryAll(ctx, 'deleteExecution', {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.executionPartition(id) },
          ConsistentRead: true,
        })
      ).filter((item) => typeof item['sk'] === 'string' && (item['sk'].startsWith(keys.stagePrefix) || item['sk'].startsWith(DELIVERY_PREFIX)));
      await writeStageItems(records.map((item) => ({ DeleteRequest: { Key: { pk: str(item, 'pk'), sk: str(item, 'sk') } } })), 'deleteExecution');
      return removed === undefined ? { ok: false, reason: 'not-found' } : { ok: true };
    },

    async putTaskToken(executionId, stageId, token) {
      if (utf8Bytes(token.token) > STORE_LIMITS.maxTaskTokenBytes || utf8Bytes(token.task) > STORE_LIMITS.maxTaskTokenBytes) {
        throw new GennakerError(
          'Gennaker.InvariantViolated',
          `the task token for stage ${stageId} is longer than ${STORE_LIMITS.maxTaskTokenBytes} bytes; Step Functions tokens are at most 1024`,
        );
      }
      const expression = createExpressionBuilder();
      expression.condition(`attribute_exists(${expression.name('pk')})`);
      expression.condition(`NOT (${expression.in('status', COMPLETE_STATUSES)})`);
      expression.set('taskToken', token.token);
      expression.set('taskTokenTask', token.task);
      const key = keys.stage(executionId, stageId);
      const written = await conditional('putTaskToken', () =>
        ctx.doc.send(new UpdateCommand({ TableName: table, Key: key, ...expression.build() })),
      );
      if (written !== undefined) return { ok: true };
      const current = await getItem(key, 'putTaskToken');
      if (current === undefined) return { ok: false, reason: 'not-found' };
      return { ok: false, reason: 'conflict', current: str(current, 'status') as ExecutionStatus, revision: num(current, 'revision') };
    },

    async getTaskToken(executionId, stageId) {
      const item = await getItem(keys.stage(executionId, stageId), 'getTaskToken');
      return item === undefined ? undefined : tokenOf(item);
    },

    async takeTaskToken(executionId, stageId, token) {
      const expression = createExpressionBuilder();
      expression.condition(`attribute_exists(${expression.name('taskToken')})`);
      if (token !== undefined) expression.condition(`${expression.name('taskToken')} = ${expression.value(token)}`);
      expression.remove('taskToken');
      expression.remove('taskTokenTask');
      const taken = await conditional('takeTaskToken', () =>
        ctx.doc.send(
          new UpdateCommand({ TableName: table, Key: keys.stage(executionId, stageId), ...expression.build(), ReturnValues: 'ALL_OLD' }),
        ),
      );
      return taken === undefined ? undefined : tokenOf(taken.output.Attributes ?? {});
    },
  };
}

/** `attribute_exists AND status IN expect AND NOT status IN complete [AND revision = n]`. */
function statusCondition(
  expression: ReturnType<typeof createExpressionBuilder>,
  expect: readonly ExecutionStatus[],
  expectRevision: number | undefined,
): void {
  expression.condition(`attribute_exists(${expression.name('pk')})`);
  expression.condition(expression.in('status', expect));
  expression.condition(`NOT (${expression.in('status', COMPLETE_STATUSES)})`);
  if (expectRevision !== undefined) expression.condition(`${expression.name('revision')} = ${expression.value(expectRevision)}`);
}

/** The condition failed, yet the record read afterwards satisfies it: another writer moved in between. */
function raced(current: Item | undefined): StatusConflict | { readonly ok: false; readonly reason: 'not-found' } {
  if (current === undefined) return { ok: false, reason: 'not-found' };
  return { ok: false, reason: 'conflict', current: str(current, 'status') as ExecutionStatus, revision: num(current, 'revision') };
}

function tooLarge(message: string, bytes: number, limit: number): TooLarge {
  return { ok: false, reason: 'too-large', message, bytes, limit };
}

function validateNewExecution(input: NewExecution): void {
  if (input.id.trim() === '') throw new GennakerError('Gennaker.InvariantViolated', 'an execution needs an id');
  const ids = new Set<string>();
  for (const stage of input.stages) {
    if (stage.id.trim() === '') {
      throw new GennakerError('Gennaker.InvariantViolated', `stage '${stage.name}' of execution ${input.id} needs an id`);
    }
    if (ids.has(stage.id)) {
      throw new GennakerError('Gennaker.InvariantViolated', `execution ${input.id} has two stages with id '${stage.id}'`);
    }
    ids.add(stage.id);
  }
}

/** The header record of a new execution, as `createExecution` writes it (also for tests that write many at once). */
export function headerItem(input: NewExecution, now: number): Item {
  const order = keys.executionOrder(input.buildTime, input.id);
  return {
    ...keys.execution(input.id),
    [KEYS.gsi1.pk]: keys.executionsOfApplication(input.application),
    [KEYS.gsi1.sk]: order,
    [KEYS.gsi2.pk]: keys.executionsOfPipeline(input.pipelineConfigId),
    [KEYS.gsi2.sk]: order,
    kind: 'execution',
    id: input.id,
    application: input.application,
    pipelineConfigId: input.pipelineConfigId,
    pipelineVersion: input.pipelineVersion,
    name: input.name,
    status: input.status ?? 'NOT_STARTED',
    buildTime: input.buildTime,
    trigger: toJson(`the trigger of execution ${input.id}`, input.trigger),
    parameters: toJson(`the parameters of execution ${input.id}`, input.parameters),
    canceled: false,
    limitConcurrent: input.limitConcurrent,
    keepWaitingPipelines: input.keepWaitingPipelines,
    maxConcurrentExecutions: input.maxConcurrentExecutions,
    origin: input.origin,
    stageCount: input.stages.length,
    revision: 0,
    lastModified: now,
  };
}

function toHeader(item: Item): ExecutionHeader {
  const startTime = optNum(item, 'startTime');
  const endTime = optNum(item, 'endTime');
  const canceledBy = optStr(item, 'canceledBy');
  const cancellationReason = optStr(item, 'cancellationReason');
  const paused = optStr(item, 'paused');
  const origin = optStr(item, 'origin');
  return {
    id: str(item, 'id'),
    application: str(item, 'application'),
    pipelineConfigId: str(item, 'pipelineConfigId'),
    pipelineVersion: num(item, 'pipelineVersion'),
    name: str(item, 'name'),
    status: str(item, 'status') as ExecutionStatus,
    buildTime: num(item, 'buildTime'),
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
    trigger: fromJson('trigger', item['trigger']),
    parameters: fromJson('parameters', item['parameters']),
    canceled: item['canceled'] === true,
    ...(canceledBy === undefined ? {} : { canceledBy }),
    ...(cancellationReason === undefined ? {} : { cancellationReason }),
    ...(paused === undefined ? {} : { paused: fromJson('pause details', paused) as PauseDetails }),
    limitConcurrent: item['limitConcurrent'] === true,
    keepWaitingPipelines: item['keepWaitingPipelines'] === true,
    maxConcurrentExecutions: optNum(item, 'maxConcurrentExecutions') ?? 0,
    ...(origin === undefined ? {} : { origin }),
    revision: num(item, 'revision'),
    lastModified: num(item, 'lastModified'),
  };
}

function toStage(item: Item): StageRecord {
  const parentStageId = optStr(item, 'parentStageId');
  const owner = optStr(item, 'syntheticStageOwner');
  const startTime = optNum(item, 'startTime');
  const endTime = optNum(item, 'endTime');
  const requisite = item['requisiteStageRefIds'];
  return {
    id: str(item, 'id'),
    refId: str(item, 'refId'),
    type: str(item, 'type'),
    name: str(item, 'name'),
    requisiteStageRefIds: Array.isArray(requisite) ? requisite.filter((r): r is string => typeof r === 'string') : [],
    ...(parentStageId === undefined ? {} : { parentStageId }),
    ...(owner === 'STAGE_BEFORE' || owner === 'STAGE_AFTER' ? { syntheticStageOwner: owner } : {}),
    status: str(item, 'status') as ExecutionStatus,
    context: fromJson('stage context', item['context']),
    outputs: fromJson('stage outputs', item['outputs']),
    runtime: fromJson('stage runtime state', item['runtime']),
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
    awaitingCallback: typeof item['taskToken'] === 'string',
    revision: num(item, 'revision'),
    lastModified: num(item, 'lastModified'),
  };
}

function tokenOf(item: Item): TaskToken | undefined {
  const token = optStr(item, 'taskToken');
  const task = optStr(item, 'taskTokenTask');
  return token === undefined ? undefined : { token, task: task ?? '' };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `work` over `items`, at most `parallelism` at a time, keeping the order of results. */
async function inBatches<T, R>(items: readonly T[], parallelism: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, items.length) }, worker));
  return results;
}
