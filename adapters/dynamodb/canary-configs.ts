/**
 * The CanaryConfigStore on the one state table (tables.ts), beside pipelines and executions:
 *
 * | record | pk | sk | gsi1 (pk / sk) |
 * |---|---|---|---|
 * | canary config | `CANARY#<id>` | `CONFIG` | `CANARYCONFIGS` / `<name lowercased>#<id>` |
 * | canary config name claim | `CANARYNAME#<name lowercased>` | `CANARYNAME` | |
 *
 * A save is single-item conditional writes in an order that makes a crash harmless:
 * 1. claim the name (`attribute_not_exists OR same id`), so names stay unique; a claim left by a
 *    crash or a rename is taken over once it is older than a grace period and its config no
 *    longer carries that name;
 * 2. write the config on its revision (`attribute_not_exists` for a new id, else
 *    `revision = <the one read>`), so two concurrent saves never lose each other silently;
 * 3. release the previous name's claim after a rename.
 * The config is kept as a JSON string (any JSON, exactly as given); its size is checked first.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import {
  canaryConfigApplications,
  type CanaryConfigStore,
  type CanaryConfigSummary,
  type SaveCanaryConfigResult,
  type StoredCanaryConfig,
} from '../../core/ports/canary-config-store.ts';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import { createStoreContext, type DynamoDbExecutionStoreDeps } from './dynamodb-execution-store.ts';
import { oversized } from './item-size.ts';
import { claimName as claimNameFor } from './name-claims.ts';
import { keys } from './keys.ts';
import { call, conditional, fromJson, num, queryAll, str, toJson, type Item, type StoreContext } from './store-context.ts';
import { KEYS } from './tables.ts';

/** How often a save without `expectRevision` retries after another save took its revision. */
const SAVE_ATTEMPTS = 5;

/** A name claim younger than this is never taken over: its save may still be in flight. */
const NAME_CLAIM_GRACE_MS = 60_000;

/** Ids end up in keys and URLs: letters, digits and `._:-`, at most 256 characters. */
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,256}$/;

/** A CanaryConfigStore on its own document client for the table (the composition roots' entry). */
export function createDynamoDbCanaryConfigStore(deps: DynamoDbExecutionStoreDeps): CanaryConfigStore {
  return createCanaryConfigStore(createStoreContext(deps));
}

/** The canary config records of the store. */
export function createCanaryConfigStore(ctx: StoreContext): CanaryConfigStore {
  async function get(key: { pk: string; sk: string }, operation: string): Promise<Item | undefined> {
    const output = await call(operation, () => ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true })));
    return output.Item;
  }

  /** Claims the name for `id`; answers the id of another config holding it. */
  function claimName(name: string, id: string): Promise<string | undefined> {
    return claimNameFor(
      ctx,
      {
        key: keys.canaryConfigName(name),
        kind: 'canaryConfigName',
        holderField: 'canaryConfigId',
        operation: 'saveCanaryConfig',
        describe: `the canary config name '${name}'`,
        isStale: (claim, holder) => isStaleClaim(claim, holder, name),
      },
      id,
    );
  }

  /** A claim whose config does not (or no longer) carry the name: left behind by a crash or a rename. */
  async function isStaleClaim(claim: Item, holder: string, name: string): Promise<boolean> {
    if (ctx.clock.now() - num(claim, 'claimedAt') < NAME_CLAIM_GRACE_MS) return false;
    const holding = await get(keys.canaryConfig(holder), 'saveCanaryConfig');
    return holding === undefined || str(holding, 'name').toLowerCase() !== name.toLowerCase();
  }

  return {
    async save(id, config, options = {}): Promise<SaveCanaryConfigResult> {
      if (!ID_PATTERN.test(id)) {
        throw new GennakerError('Gennaker.InvariantViolated', `canary config id '${id}' must be 1-256 letters, digits, '.', '_', ':' or '-'`);
      }
      const name = typeof config.name === 'string' ? config.name.trim() : '';
      if (name === '') throw new GennakerError('Gennaker.InvariantViolated', `canary config '${id}' needs a non-empty 'name'`);
      const document = toJson(`canary config '${name}'`, config as JsonObject);

      for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
        const current = await get(keys.canaryConfig(id), 'saveCanaryConfig');
        const revision = current === undefined ? 0 : num(current, 'revision');
        if (options.expectRevision !== undefined && options.expectRevision !== revision) return conflict(id, revision);
        const now = ctx.clock.now();
        const item: Item = {
          ...keys.canaryConfig(id),
          [KEYS.gsi1.pk]: keys.canaryConfigsIndex,
          [KEYS.gsi1.sk]: `${name.toLowerCase()}#${id}`,
          kind: 'canaryConfig',
          id,
          name,
          applications: canaryConfigApplications(config),
          config: document,
          revision: revision + 1,
          createdAt: current === undefined ? now : num(current, 'createdAt'),
          updatedAt: now,
        };
        const tooLarge = oversized(item, (size, limit) => `canary config '${name}' is ${size}, over the limit of ${limit}; split its metrics into smaller configs`);
        if (tooLarge) return tooLarge;
        const holder = await claimName(name, id);
        if (holder !== undefined) {
          return { ok: false, reason: 'name-taken', canaryConfigId: holder, message: `the canary config name '${name}' is taken by config '${holder}'; rename it, or save to id '${holder}' to replace that one` };
        }
        const written = await conditional('saveCanaryConfig', () =>
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
        if (written === undefined) {
          if (options.expectRevision !== undefined) {
            const latest = await get(keys.canaryConfig(id), 'saveCanaryConfig');
            return conflict(id, latest === undefined ? 0 : num(latest, 'revision'));
          }
          continue;
        }
        const previousName = current === undefined ? undefined : str(current, 'name');
        if (previousName !== undefined && previousName.toLowerCase() !== name.toLowerCase()) {
          await conditional('saveCanaryConfig', () =>
            ctx.doc.send(
              new DeleteCommand({
                TableName: ctx.tableName,
                Key: keys.canaryConfigName(previousName),
                ConditionExpression: 'canaryConfigId = :id',
                ExpressionAttributeValues: { ':id': id },
              }),
            ),
          );
        }
        return { ok: true, id, revision: revision + 1 };
      }
      throw new GennakerError('Gennaker.WriteConflict', `canary config '${id}' kept changing while saving it; try again`);
    },

    async get(id) {
      if (!ID_PATTERN.test(id)) return undefined;
      const item = await get(keys.canaryConfig(id), 'getCanaryConfig');
      return item === undefined ? undefined : toStored(item);
    },

    async findByName(name) {
      if (name.trim() === '') return undefined;
      const claim = await get(keys.canaryConfigName(name.trim()), 'findCanaryConfigByName');
      if (claim === undefined) return undefined;
      const item = await get(keys.canaryConfig(str(claim, 'canaryConfigId')), 'findCanaryConfigByName');
      // A claim can outlive a rename that crashed halfway: trust only the config's own name.
      return item !== undefined && str(item, 'name').toLowerCase() === name.trim().toLowerCase() ? toStored(item) : undefined;
    },

    async list(): Promise<CanaryConfigSummary[]> {
      const items = await queryAll(ctx, 'listCanaryConfigs', {
        IndexName: KEYS.gsi1.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': KEYS.gsi1.pk },
        ExpressionAttributeValues: { ':pk': keys.canaryConfigsIndex },
      });
      return items.map((item) => ({ id: str(item, 'id'), name: str(item, 'name'), updatedTimestamp: num(item, 'updatedAt'), applications: applicationsOf(item) }));
    },
  };
}

function conflict(id: string, revision: number): SaveCanaryConfigResult {
  return { ok: false, reason: 'conflict', revision, message: `canary config '${id}' is at revision ${revision} now (someone saved it meanwhile); read it again and retry` };
}

function applicationsOf(item: Item): string[] {
  const raw = item['applications'];
  return Array.isArray(raw) ? raw.filter((value): value is string => typeof value === 'string') : [];
}

function toStored(item: Item): StoredCanaryConfig {
  return {
    id: str(item, 'id'),
    name: str(item, 'name'),
    config: fromJson('canary config', item['config']),
    applications: applicationsOf(item),
    revision: num(item, 'revision'),
    createdTimestamp: num(item, 'createdAt'),
    updatedTimestamp: num(item, 'updatedAt'),
  };
}
