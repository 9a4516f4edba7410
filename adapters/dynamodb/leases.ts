/**
 * Concurrency leases and waiting queues, one partition per pipeline config (`LEASE#<id>`).
 *
 * The lease is one item whose `running` attribute maps each holding execution id to the time
 * it took its slot. Taking a slot is a single UpdateItem conditioned on
 * `attribute_exists(running.<id>) OR size(running) < :limit`: DynamoDB (and dynalite) apply
 * conditional writes to one item one at a time, so however many callers race, at most `limit`
 * ids are ever in the map. A map rather than a string set because a handoff (remove one id,
 * add another) must be one write, and DynamoDB refuses ADD and DELETE on the same set in one
 * expression; a map also records since when each holder runs.
 *
 * The queue is one item per waiting execution (`WAIT#<executionId>`, so removing one needs no
 * lookup), ordered by a sequence number drawn from a counter on the lease item.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import type {
  AcquireSlotResult,
  ConcurrencyStore,
  ReleaseSlotResult,
  SlotHolder,
  TransferSlotResult,
  WaitingEntry,
} from '../../core/ports/execution-store.ts';
import { keys } from './keys.ts';
import { call, conditional, num, queryAll, str, type Item, type StoreContext } from './store-context.ts';
import { createExpressionBuilder } from './update-expression.ts';

/** Rounds of "write, read why it failed" before a burst is reported as a conflict. */
const ACQUIRE_ATTEMPTS = 10;

/** Concurrency leases and waiting queues. */
export function createConcurrencyStore(ctx: StoreContext): ConcurrencyStore {
  const table = ctx.tableName;

  async function readLease(pipelineConfigId: string, operation: string): Promise<Item | undefined> {
    const output = await call(operation, () =>
      ctx.doc.send(new GetCommand({ TableName: table, Key: keys.lease(pipelineConfigId), ConsistentRead: true })),
    );
    return output.Item;
  }

  /** Gives the lease an empty `running` map if it has none (nested SETs need the parent). */
  async function ensureRunningMap(pipelineConfigId: string, operation: string): Promise<void> {
    await conditional(operation, () =>
      ctx.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: keys.lease(pipelineConfigId),
          UpdateExpression: 'SET running = :empty',
          ConditionExpression: 'attribute_not_exists(running)',
          ExpressionAttributeValues: { ':empty': {} },
        }),
      ),
    );
  }

  return {
    async acquireSlot(pipelineConfigId, executionId, { limit }): Promise<AcquireSlotResult> {
      if (!Number.isInteger(limit) || limit < 1) {
        throw new GennakerError('Gennaker.InvariantViolated', `a concurrency limit must be a positive integer, got ${limit}`);
      }
      for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
        const expression = createExpressionBuilder();
        const running = expression.name('running');
        const mine = expression.name(['running', executionId]);
        expression.condition(`attribute_exists(${running})`);
        expression.condition(`(attribute_exists(${mine}) OR size(${running}) < ${expression.value(limit)})`);
        expression.setRaw(`${mine} = if_not_exists(${mine}, ${expression.value(ctx.clock.now())})`);
        const written = await conditional('acquireSlot', () =>
          ctx.doc.send(
            new UpdateCommand({ TableName: table, Key: keys.lease(pipelineConfigId), ...expression.build(), ReturnValues: 'ALL_NEW' }),
          ),
        );
        if (written !== undefined) return { ok: true, holders: holdersOf(written.output.Attributes) };
        const lease = await readLease(pipelineConfigId, 'acquireSlot');
        if (lease === undefined || lease['running'] === undefined) {
          await ensureRunningMap(pipelineConfigId, 'acquireSlot');
          continue;
        }
        // Read after the failure: a slot may have been released since, in which case try again.
        const holders = holdersOf(lease);
        if (holders.some((h) => h.executionId === executionId)) return { ok: true, holders };
        if (holders.length >= limit) return { ok: false, reason: 'full', holders };
      }
      throw new GennakerError('Gennaker.WriteConflict', `the lease of pipeline ${pipelineConfigId} kept changing; try again`);
    },

    async releaseSlot(pipelineConfigId, executionId): Promise<ReleaseSlotResult> {
      const expression = createExpressionBuilder();
      const mine = expression.name(['running', executionId]);
      expression.condition(`attribute_exists(${mine})`);
      expression.remove(['running', executionId]);
      const written = await conditional('releaseSlot', () =>
        ctx.doc.send(
          new UpdateCommand({ TableName: table, Key: keys.lease(pipelineConfigId), ...expression.build(), ReturnValues: 'ALL_NEW' }),
        ),
      );
      if (written !== undefined) return { released: true, holders: holdersOf(written.output.Attributes) };
      return { released: false, holders: holdersOf(await readLease(pipelineConfigId, 'releaseSlot')) };
    },

    async transferSlot(pipelineConfigId, fromExecutionId, toExecutionId): Promise<TransferSlotResult> {
      if (fromExecutionId === toExecutionId) {
        const holders = holdersOf(await readLease(pipelineConfigId, 'transferSlot'));
        return holders.some((h) => h.executionId === fromExecutionId)
          ? { ok: true, holders }
          : { ok: false, reason: 'not-held', holders };
      }
      const expression = createExpressionBuilder();
      const to = expression.name(['running', toExecutionId]);
      expression.condition(`attribute_exists(${expression.name(['running', fromExecutionId])})`);
      expression.remove(['running', fromExecutionId]);
      expression.setRaw(`${to} = if_not_exists(${to}, ${expression.value(ctx.clock.now())})`);
      const written = await conditional('transferSlot', () =>
        ctx.doc.send(
          new UpdateCommand({ TableName: table, Key: keys.lease(pipelineConfigId), ...expression.build(), ReturnValues: 'ALL_NEW' }),
        ),
      );
      if (written !== undefined) return { ok: true, holders: holdersOf(written.output.Attributes) };
      return { ok: false, reason: 'not-held', holders: holdersOf(await readLease(pipelineConfigId, 'transferSlot')) };
    },

    async getSlotHolders(pipelineConfigId) {
      return holdersOf(await readLease(pipelineConfigId, 'getSlotHolders'));
    },

    async enqueueWaiting(pipelineConfigId, executionId): Promise<WaitingEntry> {
      const key = keys.waiting(pipelineConfigId, executionId);
      const present = await call('enqueueWaiting', () => ctx.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })));
      if (present.Item !== undefined) return toEntry(present.Item);
      // The counter lives on the lease item: one atomic ADD hands out the queue position.
      const counted = await call('enqueueWaiting', () =>
        ctx.doc.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.lease(pipelineConfigId),
            UpdateExpression: 'ADD #sequence :one',
            ExpressionAttributeNames: { '#sequence': 'sequence' },
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      const entry: Item = {
        ...key,
        kind: 'waiting',
        pipelineConfigId,
        executionId,
        sequence: num(counted.Attributes ?? {}, 'sequence'),
        enqueuedAt: ctx.clock.now(),
      };
      const written = await conditional('enqueueWaiting', () =>
        ctx.doc.send(new PutCommand({ TableName: table, Item: entry, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      if (written !== undefined) return toEntry(entry);
      const winner = await call('enqueueWaiting', () => ctx.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })));
      return toEntry(winner.Item ?? entry);
    },

    async listWaiting(pipelineConfigId) {
      const items = await queryAll(ctx, 'listWaiting', {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.leasePartition(pipelineConfigId), ':prefix': keys.waitingPrefix },
        ConsistentRead: true,
      });
      return items.map(toEntry).sort((a, b) => a.sequence - b.sequence);
    },

    async removeWaiting(pipelineConfigId, executionId) {
      const removed = await conditional('removeWaiting', () =>
        ctx.doc.send(
          new DeleteCommand({
            TableName: table,
            Key: keys.waiting(pipelineConfigId, executionId),
            ConditionExpression: 'attribute_exists(pk)',
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      return removed?.output.Attributes === undefined ? undefined : toEntry(removed.output.Attributes);
    },
  };
}

function holdersOf(lease: Item | undefined): readonly SlotHolder[] {
  const running = lease?.['running'];
  if (typeof running !== 'object' || running === null) return [];
  return Object.entries(running as Record<string, unknown>)
    .map(([executionId, since]) => ({ executionId, since: typeof since === 'number' ? since : 0 }))
    .sort((a, b) => a.since - b.since || (a.executionId < b.executionId ? -1 : 1));
}

function toEntry(item: Item): WaitingEntry {
  return {
    pipelineConfigId: str(item, 'pipelineConfigId'),
    executionId: str(item, 'executionId'),
    sequence: num(item, 'sequence'),
    enqueuedAt: num(item, 'enqueuedAt'),
  };
}
