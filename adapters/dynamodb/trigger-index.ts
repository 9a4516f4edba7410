/**
 * The trigger index: one small item per (trigger key, pipeline), so a webhook delivery queries
 * one partition and reads only the pipelines filed under its key (core/triggers/trigger-keys.ts).
 *
 * - A save files the new version's keys before it writes the version (a crash leaves at most an
 *   extra entry, never a missing one).
 * - Entries are never deleted: a read keeps only pipelines whose latest version still has the
 *   key, so an entry left by a trigger that moved or was removed costs one read and nothing else.
 *   Deleting on save would race a concurrent save that adds the key back.
 * - Pipelines saved before the index existed are filed once, by the first read, which then
 *   writes a marker; every later save files its own keys.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { runnableConfigOf, type ApplicationStore, type JsonObject, type PipelineConfigStore, type PipelineConfigVersion } from '../../core/ports/execution-store.ts';
import { triggerIndexKeys } from '../../core/triggers/trigger-keys.ts';
import { call, queryAll, str, type StoreContext } from './store-context.ts';

/** Bump to file every pipeline again (a new kind of key). */
const INDEX_VERSION = 1;

/** Trigger keys hold user text (a webhook source); long ones are hashed to fit a partition key. */
function partition(key: string): string {
  return key.length <= 512 ? `TRIG#${key}` : `TRIGH#${createHash('sha256').update(key).digest('hex')}`;
}

const MARKER = { pk: 'TRIGINDEX', sk: `BUILT#${INDEX_VERSION}` };

/** Files a pipeline's trigger keys (idempotent puts). */
export async function fileTriggerKeys(ctx: StoreContext, id: string, config: JsonObject, operation: string): Promise<void> {
  await Promise.all(
    triggerIndexKeys(config).map((key) =>
      call(operation, () =>
        ctx.doc.send(new PutCommand({ TableName: ctx.tableName, Item: { pk: partition(key), sk: `PIPE#${id}`, kind: 'triggerIndex', key, pipelineConfigId: id } })),
      ),
    ),
  );
}

/** The read side of the index, with the one-time filing of pipelines saved before it existed. */
export function createTriggerIndexReader(
  ctx: StoreContext,
  deps: Pick<ApplicationStore, 'listApplications'> & Pick<PipelineConfigStore, 'listPipelineConfigs' | 'getPipelineConfig'>,
): Pick<PipelineConfigStore, 'listPipelineConfigsByTrigger'> {
  let built: Promise<void> | undefined;

  async function build(): Promise<void> {
    const marker = await call('listPipelineConfigsByTrigger', () => ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: MARKER, ConsistentRead: true })));
    if (marker.Item !== undefined) return;
    let cursor: string | undefined;
    do {
      const page = await deps.listApplications(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
      for (const application of page.items) {
        for (const version of await deps.listPipelineConfigs(application.name)) await fileTriggerKeys(ctx, version.id, runnableConfigOf(version), 'listPipelineConfigsByTrigger');
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    await call('listPipelineConfigsByTrigger', () => ctx.doc.send(new PutCommand({ TableName: ctx.tableName, Item: { ...MARKER, kind: 'triggerIndexMarker', builtAt: ctx.clock.now() } })));
  }

  return {
    async listPipelineConfigsByTrigger(key) {
      built ??= build().catch((error: unknown) => {
        built = undefined;
        throw error;
      });
      await built;
      const entries = await queryAll(ctx, 'listPipelineConfigsByTrigger', {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': partition(key) },
        ConsistentRead: true,
      });
      const latest = await Promise.all(entries.map((entry) => deps.getPipelineConfig(str(entry, 'pipelineConfigId'))));
      return latest.filter((version): version is PipelineConfigVersion => version !== undefined && triggerIndexKeys(runnableConfigOf(version)).includes(key));
    },
  };
}
