/**
 * The PipelineTemplateStore on the one state table (tables.ts), beside pipelines and executions:
 *
 * | record | pk | sk | gsi1 (pk / sk) |
 * |---|---|---|---|
 * | pipeline template | `PTPL#<key>` | `TEMPLATE` | `PTPLS` / `<id>#<key>` |
 *
 * A key is `id`, `id:tag` or `id@sha256:digest` (Front50's keys); each is one item, written
 * whole with one put (conditional when it must be new). The document is kept as a JSON string.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PipelineTemplateStore, StoredPipelineTemplate } from '../../core/ports/pipeline-template-store.ts';
import { createStoreContext, type DynamoDbExecutionStoreDeps } from './dynamodb-execution-store.ts';
import { oversized } from './item-size.ts';
import { call, conditional, fromJson, num, optStr, queryAll, str, toJson, type Item, type StoreContext } from './store-context.ts';
import { KEYS } from './tables.ts';

const INDEX = 'PTPLS';

function itemKey(key: string): { pk: string; sk: string } {
  return { pk: `PTPL#${key}`, sk: 'TEMPLATE' };
}

/** A PipelineTemplateStore on its own document client for the table (the composition roots' entry). */
export function createDynamoDbPipelineTemplateStore(deps: DynamoDbExecutionStoreDeps): PipelineTemplateStore {
  return createPipelineTemplateStore(createStoreContext(deps));
}

/** The pipeline template records of the store. */
export function createPipelineTemplateStore(ctx: StoreContext): PipelineTemplateStore {
  return {
    async put(entry, options = {}) {
      const item: Item = {
        ...itemKey(entry.key),
        [KEYS.gsi1.pk]: INDEX,
        [KEYS.gsi1.sk]: `${entry.id}#${entry.key}`,
        kind: 'pipelineTemplate',
        key: entry.key,
        id: entry.id,
        template: toJson(`pipeline template '${entry.key}'`, entry.template),
        updatedAt: ctx.clock.now(),
        ...(entry.updatedBy !== undefined ? { updatedBy: entry.updatedBy } : {}),
      };
      const tooLarge = oversized(item, (size, limit) => `pipeline template '${entry.key}' is ${size}, over the limit of ${limit}; move stages into a second template`);
      if (tooLarge) return tooLarge;
      const written = await conditional('savePipelineTemplate', () =>
        ctx.doc.send(new PutCommand({ TableName: ctx.tableName, Item: item, ...(options.create ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}) })),
      );
      return written === undefined ? { ok: false, reason: 'exists' } : { ok: true };
    },

    async get(key) {
      const output = await call('getPipelineTemplate', () => ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: itemKey(key), ConsistentRead: true })));
      return output.Item === undefined ? undefined : toStored(output.Item);
    },

    async delete(key) {
      const output = await call('deletePipelineTemplate', () => ctx.doc.send(new DeleteCommand({ TableName: ctx.tableName, Key: itemKey(key), ReturnValues: 'ALL_OLD' })));
      return output.Attributes !== undefined;
    },

    async list() {
      const items = await queryAll(ctx, 'listPipelineTemplates', {
        IndexName: KEYS.gsi1.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': KEYS.gsi1.pk },
        ExpressionAttributeValues: { ':pk': INDEX },
      });
      return items.map(toStored);
    },
  };
}

function toStored(item: Item): StoredPipelineTemplate {
  const updatedBy = optStr(item, 'updatedBy');
  return {
    key: str(item, 'key'),
    id: str(item, 'id'),
    template: fromJson('pipeline template', item['template']),
    updatedAt: num(item, 'updatedAt'),
    ...(updatedBy === undefined ? {} : { updatedBy }),
  };
}
