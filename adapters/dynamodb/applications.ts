/**
 * Applications: one item each, saved by read, then put on the condition that nobody saved in
 * between (the revision), so two concurrent saves never lose each other silently.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import {
  type Application,
  type ApplicationStore,
  type Permission,
  type SaveApplicationResult,
  type TrafficGuard,
} from '../../core/ports/execution-store.ts';
import { oversized } from './item-size.ts';
import { applicationKey, keys } from './keys.ts';
import { call, conditional, fromJson, num, optStr, queryPage, str, toJson, type Item, type StoreContext } from './store-context.ts';
import { KEYS } from './tables.ts';

/** How often a save without `expectRevision` retries after losing a race before giving up. */
const SAVE_ATTEMPTS = 5;

/** The application records of the store. */
export function createApplicationStore(ctx: StoreContext): ApplicationStore {
  async function read(name: string): Promise<Item | undefined> {
    const output = await call('getApplication', () =>
      ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: keys.application(name), ConsistentRead: true })),
    );
    return output.Item;
  }

  return {
    async saveApplication(input, options = {}): Promise<SaveApplicationResult> {
      if (input.name.trim() === '') {
        throw new GennakerError('Gennaker.InvariantViolated', 'an application needs a name');
      }
      for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
        const current = await read(input.name);
        const revision = current === undefined ? 0 : num(current, 'revision');
        if (options.expectRevision !== undefined && options.expectRevision !== revision) {
          return { ok: false, reason: 'conflict', revision };
        }
        const now = ctx.clock.now();
        const item: Item = {
          ...keys.application(input.name),
          [KEYS.gsi1.pk]: keys.applicationsIndex,
          [KEYS.gsi1.sk]: applicationKey(input.name),
          kind: 'application',
          name: input.name,
          email: input.email,
          accounts: [...input.accounts],
          trafficGuards: JSON.stringify(input.trafficGuards),
          permissions: JSON.stringify(input.permissions),
          raw: toJson(`application '${input.name}'`, input.raw),
          revision: revision + 1,
          createdAt: current === undefined ? now : num(current, 'createdAt'),
          updatedAt: now,
        };
        const tooLarge = oversized(item, (size, limit) => `application '${input.name}' is ${size}, over the limit of ${limit}`);
        if (tooLarge) return tooLarge;
        const written = await conditional('saveApplication', () =>
          ctx.doc.send(
            new PutCommand({
              TableName: ctx.tableName,
              Item: item,
              ...(current === undefined
                ? { ConditionExpression: 'attribute_not_exists(pk)' }
                : { ConditionExpression: 'revision = :revision', ExpressionAttributeValues: { ':revision': revision } }),
            }),
          ),
        );
        if (written !== undefined) return { ok: true, application: toApplication(item) };
        if (options.expectRevision !== undefined) {
          const latest = await read(input.name);
          return { ok: false, reason: 'conflict', revision: latest === undefined ? 0 : num(latest, 'revision') };
        }
      }
      throw new GennakerError('Gennaker.WriteConflict', `application '${input.name}' kept changing while saving it; try again`);
    },

    async getApplication(name) {
      const item = await read(name);
      return item === undefined ? undefined : toApplication(item);
    },

    async listApplications(page) {
      const result = await queryPage(
        ctx,
        'listApplications',
        {
          IndexName: KEYS.gsi1.indexName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': KEYS.gsi1.pk },
          ExpressionAttributeValues: { ':pk': keys.applicationsIndex },
        },
        page,
      );
      return { ...result, items: result.items.map(toApplication) };
    },
  };
}

function toApplication(item: Item): Application {
  const email = optStr(item, 'email');
  const accounts = item['accounts'];
  return {
    name: str(item, 'name'),
    ...(email === undefined ? {} : { email }),
    accounts: Array.isArray(accounts) ? accounts.filter((a): a is string => typeof a === 'string') : [],
    trafficGuards: parseArray(item['trafficGuards']) as TrafficGuard[],
    permissions: fromJson('application permissions', item['permissions']) as Partial<Record<Permission, readonly string[]>>,
    raw: fromJson('application', item['raw']),
    revision: num(item, 'revision'),
    createdAt: num(item, 'createdAt'),
    updatedAt: num(item, 'updatedAt'),
  };
}

function parseArray(text: unknown): unknown[] {
  if (typeof text !== 'string') return [];
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value : [];
}
