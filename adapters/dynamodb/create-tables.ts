/**
 * Creates the tables of `tables.ts` through the SDK: used by the local runtime (dynalite) and
 * the tests. On AWS the CDK stack creates them from the same definitions.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import { call } from './store-context.ts';
import { toStoreError } from './store-errors.ts';
import type { KeyAttribute, TableDefinition } from './tables.ts';

/** CreateTable input for a definition, under the given physical name. TTL is set separately (UpdateTimeToLive). */
export function toCreateTableInput(definition: TableDefinition, tableName: string = definition.name): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  for (const key of [definition.partitionKey, definition.sortKey]) attributes.set(key.name, key);
  for (const index of definition.globalSecondaryIndexes) {
    attributes.set(index.partitionKey.name, index.partitionKey);
    attributes.set(index.sortKey.name, index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: definition.billingMode,
    AttributeDefinitions: [...attributes.values()].map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: [
      { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: definition.sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projection },
    })),
  };
}

/**
 * Creates the table unless it exists, and waits until it (and its indexes) are ACTIVE.
 * Idempotent, so a local runtime can call it on every start.
 */
export async function ensureTable(
  client: DynamoDBClient,
  definition: TableDefinition,
  options: { readonly tableName?: string; readonly timeoutMs?: number } = {},
): Promise<void> {
  const tableName = options.tableName ?? definition.name;
  try {
    await client.send(new CreateTableCommand(toCreateTableInput(definition, tableName)));
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw toStoreError(`creating table '${tableName}'`, error);
  }
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const { Table } = await call(`describing table '${tableName}'`, () => client.send(new DescribeTableCommand({ TableName: tableName })));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (performance.now() > deadline) {
      throw new GennakerError('Gennaker.StoreUnavailable', `table '${tableName}' did not become ACTIVE in time`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
