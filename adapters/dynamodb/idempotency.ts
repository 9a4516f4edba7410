/**
 * Idempotency records: the first caller to claim a key wins, duplicates learn which execution
 * the key started. Expiry is checked in the condition itself (`expiresAt < now`), so the
 * store is right whether or not the table's TTL has deleted the record yet (dynalite never
 * does; AWS does so lazily).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import type { ClaimIdempotencyKeyResult, IdempotencyStore } from '../../core/ports/execution-store.ts';
import { keys } from './keys.ts';
import { call, conditional, optNum, str, type StoreContext } from './store-context.ts';
import { KEYS } from './tables.ts';

/** Idempotency records. */
export function createIdempotencyStore(ctx: StoreContext): IdempotencyStore {
  return {
    async claimIdempotencyKey(key, executionId, options = {}): Promise<ClaimIdempotencyKeyResult> {
      if (key === '') throw new GennakerError('Gennaker.InvariantViolated', 'an idempotency key must not be empty');
      const { ttlSeconds } = options;
      if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
        throw new GennakerError('Gennaker.InvariantViolated', `ttlSeconds must be positive, got ${ttlSeconds}`);
      }
      const recordKey = keys.idempotency(key);
      for (let attempt = 0; attempt < 3; attempt++) {
        const now = ctx.clock.now();
        const nowSeconds = Math.floor(now / 1000);
        const claimed = await conditional('claimIdempotencyKey', () =>
          ctx.doc.send(
            new PutCommand({
              TableName: ctx.tableName,
              Item: {
                ...recordKey,
                kind: 'idempotency',
                executionId,
                claimedAt: now,
                [KEYS.expiresAt]: ttlSeconds === undefined ? undefined : nowSeconds + Math.ceil(ttlSeconds),
              },
              ConditionExpression: 'attribute_not_exists(pk) OR executionId = :id OR #expiresAt < :now',
              ExpressionAttributeNames: { '#expiresAt': KEYS.expiresAt },
              ExpressionAttributeValues: { ':id': executionId, ':now': nowSeconds },
            }),
          ),
        );
        if (claimed !== undefined) return { claimed: true };
        const existing = await call('claimIdempotencyKey', () =>
          ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: recordKey, ConsistentRead: true })),
        );
        const record = existing.Item;
        if (record === undefined) continue;
        const expiresAt = optNum(record, KEYS.expiresAt);
        if (expiresAt !== undefined && expiresAt < nowSeconds) continue;
        return { claimed: false, executionId: str(record, 'executionId') };
      }
      throw new GennakerError('Gennaker.WriteConflict', 'an idempotency key kept changing hands; try again');
    },
  };
}
