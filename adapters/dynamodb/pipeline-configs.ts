/**
 * Pipeline configs, every saved version kept. Without transactions, a save is three
 * single-item conditional writes whose order makes every crash harmless:
 *
 * 1. claim the name within the application (`attribute_not_exists OR same id`), so names stay
 *    unique; a claim left behind by a crash is taken over once it is older than a grace period
 *    and its pipeline no longer carries that name;
 * 2. write version n+1 (`attribute_not_exists`): the version items are the source of truth, so
 *    exactly one of two concurrent saves gets n+1;
 * 3. move the LATEST pointer forward (`attribute_not_exists OR version < n+1`): it only ever
 *    moves forward, and a save that crashed before this step is overtaken by the next save.
 *
 * The previous name's claim is released last.
 *
 * A delete removes the LATEST pointer first (so every read stops finding the pipeline at once),
 * then the name claim; a crash between the two leaves a claim whose pipeline has no latest
 * version, which the next save of that name takes over. Versions stay, as history.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import {
  STORE_LIMITS,
  type PipelineConfigInput,
  type PipelineConfigStore,
  type PipelineConfigVersion,
  type SavePipelineConfigResult,
} from '../../core/ports/execution-store.ts';
import { formatBytes, itemBytes } from './item-size.ts';
import { claimName as claimNameFor } from './name-claims.ts';
import { applicationKey, keys } from './keys.ts';
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
import { KEYS } from './tables.ts';
import { fileTriggerKeys } from './trigger-index.ts';

/** How often a save without `expectVersion` retries after another save took its version. */
const SAVE_ATTEMPTS = 10;

/** A name claim younger than this is never taken over: its save may still be in flight. */
const NAME_CLAIM_GRACE_MS = 60_000;

/** The pipeline config records of the store: versions, latest pointers, name claims (the trigger index reads them: trigger-index.ts). */
export function createPipelineConfigStore(ctx: StoreContext): Omit<PipelineConfigStore, 'listPipelineConfigsByTrigger'> {
  /** Releases a name claim if this pipeline still holds it. */
  async function releaseName(application: string, name: string, id: string, operation: string): Promise<void> {
    await conditional(operation, () =>
      ctx.doc.send(
        new DeleteCommand({
          TableName: ctx.tableName,
          Key: keys.pipelineName(application, name),
          ConditionExpression: 'pipelineConfigId = :id',
          ExpressionAttributeValues: { ':id': id },
        }),
      ),
    );
  }

  async function get(key: { pk: string; sk: string }, operation: string): Promise<Item | undefined> {
    const output = await call(operation, () => ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true })));
    return output.Item;
  }

  /** The highest saved version (the source of truth for numbering), or undefined for a new pipeline. */
  async function highestVersion(id: string): Promise<Item | undefined> {
    const output = await call('savePipelineConfig', () =>
      ctx.doc.send(
        new QueryCommand({
          TableName: ctx.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.pipelinePartition(id), ':prefix': keys.pipelineVersionPrefix },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      ),
    );
    return output.Items?.[0];
  }

  /** Claims (application, name) for the pipeline; answers the id of another pipeline holding it. */
  function claimName(application: string, name: string, id: string): Promise<string | undefined> {
    return claimNameFor(
      ctx,
      {
        key: keys.pipelineName(application, name),
        kind: 'pipelineName',
        holderField: 'pipelineConfigId',
        operation: 'savePipelineConfig',
        describe: `the name '${name}'`,
        isStale: (claim, holder) => isStaleClaim(claim, holder, application, name),
      },
      id,
    );
  }

  /** A claim whose pipeline does not (or no longer) carry the name, left behind by a crash or a rename. */
  async function isStaleClaim(claim: Item, holder: string, application: string, name: string): Promise<boolean> {
    if (ctx.clock.now() - num(claim, 'claimedAt') < NAME_CLAIM_GRACE_MS) return false;
    const latest = await get(keys.pipelineLatest(holder), 'savePipelineConfig');
    if (latest === undefined) return true;
    return !sameName(str(latest, 'application'), str(latest, 'name'), application, name);
  }

  return {
    async savePipelineConfig(input, options = {}): Promise<SavePipelineConfigResult> {
      validate(input);
      for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
        const previous = await highestVersion(input.id);
        const current = previous === undefined ? 0 : num(previous, 'version');
        if (options.expectVersion !== undefined && options.expectVersion !== current) {
          return { ok: false, reason: 'conflict', currentVersion: current };
        }
        const version = current + 1;
        const record: Item = {
          kind: 'pipelineVersion',
          id: input.id,
          application: input.application,
          name: input.name,
          version,
          config: toJson(`pipeline '${input.name}'`, input.config),
          ...(input.rendered !== undefined ? { rendered: toJson(`pipeline '${input.name}' as its template renders it`, input.rendered) } : {}),
          savedAt: ctx.clock.now(),
          savedBy: input.savedBy,
        };
        const bytes = itemBytes(record) + 200;
        if (bytes > STORE_LIMITS.maxRecordBytes) {
          return {
            ok: false,
            reason: 'too-large',
            bytes,
            limit: STORE_LIMITS.maxRecordBytes,
            message:
              `pipeline '${input.name}' of application '${input.application}' is ${formatBytes(bytes)}, ` +
              `over the limit of ${formatBytes(STORE_LIMITS.maxRecordBytes)}; split it into smaller pipelines`,
          };
        }
        const holder = await claimName(input.application, input.name, input.id);
        if (holder !== undefined) return { ok: false, reason: 'name-taken', pipelineConfigId: holder };
        // Filed before the version exists: a crash leaves an extra entry (harmless), never a missing one.
        await fileTriggerKeys(ctx, input.id, input.rendered ?? input.config, 'savePipelineConfig');

        const written = await conditional('savePipelineConfig', () =>
          ctx.doc.send(
            new PutCommand({
              TableName: ctx.tableName,
              Item: { ...keys.pipelineVersion(input.id, version), ...record },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
        if (written === undefined) {
          if (options.expectVersion !== undefined) {
            const newest = await highestVersion(input.id);
            return { ok: false, reason: 'conflict', currentVersion: newest === undefined ? 0 : num(newest, 'version') };
          }
          continue;
        }
        await conditional('savePipelineConfig', () =>
          ctx.doc.send(
            new PutCommand({
              TableName: ctx.tableName,
              Item: {
                ...keys.pipelineLatest(input.id),
                ...record,
                [KEYS.gsi1.pk]: keys.pipelinesOfApplication(input.application),
                [KEYS.gsi1.sk]: `${input.name.toLowerCase()}#${input.id}`,
              },
              ConditionExpression: 'attribute_not_exists(pk) OR version < :version',
              ExpressionAttributeValues: { ':version': version },
            }),
          ),
        );
        if (previous !== undefined) {
          const oldApplication = str(previous, 'application');
          const oldName = str(previous, 'name');
          if (!sameName(oldApplication, oldName, input.application, input.name)) await releaseName(oldApplication, oldName, input.id, 'savePipelineConfig');
        }
        return { ok: true, saved: toVersion(record) };
      }
      throw new GennakerError('Gennaker.WriteConflict', `pipeline '${input.name}' kept changing while saving it; try again`);
    },

    async getPipelineConfig(id, version) {
      const key = version === undefined ? keys.pipelineLatest(id) : keys.pipelineVersion(id, version);
      const item = await get(key, 'getPipelineConfig');
      return item === undefined ? undefined : toVersion(item);
    },

    async getPipelineConfigByName(application, name) {
      const claim = await get(keys.pipelineName(application, name), 'getPipelineConfigByName');
      if (claim === undefined) return undefined;
      const latest = await get(keys.pipelineLatest(str(claim, 'pipelineConfigId')), 'getPipelineConfigByName');
      if (latest === undefined) return undefined;
      // A claim can outlive a rename that crashed halfway: trust only the pipeline's own name.
      return sameName(str(latest, 'application'), str(latest, 'name'), application, name) ? toVersion(latest) : undefined;
    },

    async listPipelineConfigs(application) {
      const items = await queryAll(ctx, 'listPipelineConfigs', {
        IndexName: KEYS.gsi1.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': KEYS.gsi1.pk },
        ExpressionAttributeValues: { ':pk': keys.pipelinesOfApplication(application) },
      });
      return items.map(toVersion);
    },

    async deletePipelineConfig(id) {
      const output = await call('deletePipelineConfig', () =>
        ctx.doc.send(new DeleteCommand({ TableName: ctx.tableName, Key: keys.pipelineLatest(id), ReturnValues: 'ALL_OLD' })),
      );
      const latest = output.Attributes;
      if (latest === undefined) return false;
      await releaseName(str(latest, 'application'), str(latest, 'name'), id, 'deletePipelineConfig');
      return true;
    },

    async listPipelineConfigVersions(id, page) {
      const result = await queryPage(
        ctx,
        'listPipelineConfigVersions',
        {
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.pipelinePartition(id), ':prefix': keys.pipelineVersionPrefix },
          ScanIndexForward: false,
          ConsistentRead: true,
        },
        page,
      );
      return { ...result, items: result.items.map(toVersion) };
    },
  };
}

function validate(input: PipelineConfigInput): void {
  for (const field of ['id', 'application', 'name'] as const) {
    if (input[field].trim() === '') {
      throw new GennakerError('Gennaker.InvariantViolated', `a pipeline config needs a non-empty ${field}`);
    }
  }
}

function sameName(applicationA: string, nameA: string, applicationB: string, nameB: string): boolean {
  return applicationKey(applicationA) === applicationKey(applicationB) && nameA.toLowerCase() === nameB.toLowerCase();
}

function toVersion(item: Item): PipelineConfigVersion {
  const savedBy = optStr(item, 'savedBy');
  return {
    id: str(item, 'id'),
    application: str(item, 'application'),
    name: str(item, 'name'),
    version: num(item, 'version'),
    config: fromJson('pipeline config', item['config']),
    ...(item['rendered'] !== undefined ? { rendered: fromJson('rendered pipeline config', item['rendered']) } : {}),
    savedAt: optNum(item, 'savedAt') ?? 0,
    ...(savedBy === undefined ? {} : { savedBy }),
  };
}
