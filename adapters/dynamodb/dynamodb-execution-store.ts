/**
 * The ExecutionStore on DynamoDB (or dynalite, locally): one table (`tables.ts`), AWS SDK v3,
 * single-item conditional writes only. Each role of the port lives in its own module; this
 * factory wires them to one client, one table and one clock.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports/clock.ts';
import type { ExecutionStore } from '../../core/ports/execution-store.ts';
import { createApplicationStore } from './applications.ts';
import { createExecutionRecordStore } from './executions.ts';
import { createIdempotencyStore } from './idempotency.ts';
import { createNotificationDeliveryStore } from './notification-deliveries.ts';
import { createConcurrencyStore } from './leases.ts';
import { createPipelineConfigStore } from './pipeline-configs.ts';
import type { StoreContext } from './store-context.ts';
import { createTriggerIndexReader } from './trigger-index.ts';
import { STATE_TABLE } from './tables.ts';

export interface DynamoDbExecutionStoreDeps {
  /** Built once per cold start by the composition root (region, endpoint, retries). */
  readonly client: DynamoDBClient;
  /** The physical table created from `STATE_TABLE`. @default STATE_TABLE.name */
  readonly tableName?: string;
  readonly clock: Clock;
}

/** The client, table and clock every module of the store shares (other stores of the same table use it too). */
export function createStoreContext(deps: DynamoDbExecutionStoreDeps): StoreContext {
  return {
    doc: DynamoDBDocumentClient.from(deps.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    }),
    tableName: deps.tableName ?? STATE_TABLE.name,
    clock: deps.clock,
  };
}

/** An ExecutionStore backed by one DynamoDB table. */
export function createDynamoDbExecutionStore(deps: DynamoDbExecutionStoreDeps): ExecutionStore {
  const ctx = createStoreContext(deps);
  const applications = createApplicationStore(ctx);
  const pipelines = createPipelineConfigStore(ctx);
  return {
    ...applications,
    ...pipelines,
    ...createTriggerIndexReader(ctx, {
      listApplications: applications.listApplications,
      listPipelineConfigs: pipelines.listPipelineConfigs,
      getPipelineConfig: pipelines.getPipelineConfig,
    }),
    ...createExecutionRecordStore(ctx),
    ...createConcurrencyStore(ctx),
    ...createIdempotencyStore(ctx),
    ...createNotificationDeliveryStore(ctx),
  };
}
