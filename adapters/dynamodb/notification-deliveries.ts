/**
 * Notification delivery records (core/ports/execution-store.ts, NotificationDeliveryStore): one
 * item per delivery key in the execution's own partition (`EXEC#<id>`, `NOTIFY#<key>`), so the
 * read of an execution brings its deliveries along. A claim is one conditional update: of any
 * number of notifiers handling the same event, one sends.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import type { ClaimDeliveryResult, DeliveryStatus, NotificationDelivery, NotificationDeliveryStore } from '../../core/ports/execution-store.ts';
import { keys } from './keys.ts';
import { call, conditional, num, optNum, optStr, str, type Item, type StoreContext } from './store-context.ts';

/** The key of a delivery record. */
export function deliveryKey(executionId: string, key: string): { pk: string; sk: string } {
  return { pk: keys.executionPartition(executionId), sk: `${DELIVERY_PREFIX}${key}` };
}

/** The sort-key prefix of delivery records. */
export const DELIVERY_PREFIX = 'NOTIFY#';

/** A stored delivery record as the port's value. */
export function toDelivery(item: Item): NotificationDelivery {
  const delivery: Record<string, unknown> = {
    key: str(item, 'sk').slice(DELIVERY_PREFIX.length),
    event: str(item, 'event'),
    type: str(item, 'type'),
    recipient: str(item, 'recipient'),
    status: str(item, 'status') as DeliveryStatus,
    attempts: num(item, 'attempts'),
    updatedAt: num(item, 'updatedAt'),
  };
  for (const field of [...OPTIONAL_FIELDS, 'reason'] as const) {
    const value = field === 'reminder' ? optNum(item, field) : optStr(item, field);
    if (value !== undefined) delivery[field] = value;
  }
  return delivery as unknown as NotificationDelivery;
}

/** The fields a new delivery record has only sometimes. */
const OPTIONAL_FIELDS = ['stageId', 'stageRefId', 'reminder'] as const;

/** Delivery records of an execution's partition items, oldest first. */
export function deliveriesOf(items: readonly Item[]): NotificationDelivery[] {
  return items
    .filter((item) => typeof item['sk'] === 'string' && item['sk'].startsWith(DELIVERY_PREFIX))
    .sort((a, b) => (optNum(a, 'createdAt') ?? 0) - (optNum(b, 'createdAt') ?? 0) || String(a['sk']).localeCompare(String(b['sk'])))
    .map(toDelivery);
}

/** Delivery records on one table. */
export function createNotificationDeliveryStore(ctx: StoreContext): NotificationDeliveryStore {
  return {
    async claimNotificationDelivery(executionId, delivery, options): Promise<ClaimDeliveryResult> {
      if (delivery.key === '') throw new GennakerError('Gennaker.InvariantViolated', 'a delivery key must not be empty');
      const key = deliveryKey(executionId, delivery.key);
      for (let round = 0; round < 3; round++) {
        const now = ctx.clock.now();
        const values: Record<string, unknown> = {
          ':sending': 'SENDING',
          ':failed': 'FAILED',
          ':stale': now - options.staleAfterMs,
          ':now': now,
          ':one': 1,
          ':event': delivery.event,
          ':type': delivery.type,
          ':recipient': delivery.recipient,
          ':kind': 'notificationDelivery',
        };
        const sets = ['#status = :sending', '#event = :event', '#type = :type', 'recipient = :recipient', 'updatedAt = :now', 'createdAt = if_not_exists(createdAt, :now)', 'kind = :kind'];
        for (const field of OPTIONAL_FIELDS) {
          if (delivery[field] === undefined) continue;
          sets.push(`${field} = :${field}`);
          values[`:${field}`] = delivery[field];
        }
        const updated = await conditional('claimNotificationDelivery', () =>
          ctx.doc.send(
            new UpdateCommand({
              TableName: ctx.tableName,
              Key: key,
              UpdateExpression: `SET ${sets.join(', ')} REMOVE reason ADD attempts :one`,
              ConditionExpression: 'attribute_not_exists(pk) OR #status = :failed OR (#status = :sending AND updatedAt < :stale)',
              ExpressionAttributeNames: { '#status': 'status', '#event': 'event', '#type': 'type' },
              ExpressionAttributeValues: values,
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        if (updated !== undefined) return { claimed: true, delivery: toDelivery(updated.output.Attributes as Item) };
        const existing = await call('claimNotificationDelivery', () => ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true })));
        if (existing.Item !== undefined) return { claimed: false, delivery: toDelivery(existing.Item as Item) };
      }
      throw new GennakerError('Gennaker.WriteConflict', `the delivery ${delivery.key} of execution ${executionId} kept changing; try again`);
    },

    async finishNotificationDelivery(executionId, key, result) {
      const values: Record<string, unknown> = { ':status': result.status, ':now': ctx.clock.now() };
      if (result.reason !== undefined) values[':reason'] = result.reason.slice(0, 1000);
      await call('finishNotificationDelivery', () =>
        ctx.doc.send(
          new UpdateCommand({
            TableName: ctx.tableName,
            Key: deliveryKey(executionId, key),
            UpdateExpression: result.reason !== undefined ? 'SET #status = :status, updatedAt = :now, reason = :reason' : 'SET #status = :status, updatedAt = :now REMOVE reason',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },
  };
}
