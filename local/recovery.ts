/**
 * Crash recovery for local mode (DESIGN.md §9): at start-up no run is alive, so every
 * execution the store still shows RUNNING (or PAUSED, SUSPENDED) was interrupted when the
 * process stopped. Each is marked TERMINAL with a reason that says how to go on, and then
 * reconciled like any ended run: its stages closed, its slot freed, the next queued execution
 * started. Nothing is deleted: `gennaker execution restart` (the service's `restartExecution`)
 * runs it again from its first stage that did not succeed.
 */
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INTERRUPTED_RUN_ERROR, type GennakerExecutionService } from '../core/execution/execution-service.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { ExecutionStore } from '../core/ports/execution-store.ts';

/** Recorded as the cancellation reason of an interrupted execution. */
export const INTERRUPTED_REASON =
  'interrupted: Gennaker stopped while this execution was running; restart it with `gennaker execution restart`';

/** The engine error an interrupted run is reconciled with: its jobs are left for a restart to continue. */
export const INTERRUPTED_ERROR = INTERRUPTED_RUN_ERROR;

export interface RecoveryDeps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly store: ExecutionStore;
  readonly service: Pick<GennakerExecutionService, 'handleRunEnded'>;
  readonly clock: Clock;
}

/** Marks every interrupted execution and reconciles it; returns their ids. */
export async function recoverInterruptedExecutions(deps: RecoveryDeps): Promise<readonly string[]> {
  const recovered: string[] = [];
  for (const executionId of await activeExecutionIds(deps.client, deps.tableName)) {
    const execution = await deps.store.getExecution(executionId);
    if (!execution) continue;
    const marked = await deps.store.updateExecution(executionId, {
      expect: [execution.status],
      set: { status: 'TERMINAL', cancellationReason: INTERRUPTED_REASON, endTime: deps.clock.now() },
    });
    if (!marked.ok) continue;
    recovered.push(executionId);
    await deps.service.handleRunEnded({ executionId, outcome: 'FAILED', error: INTERRUPTED_ERROR, cause: INTERRUPTED_REASON });
  }
  return recovered;
}

/**
 * Ids of the execution headers in a status that needs a live run. A Scan: local tables are
 * small, and no index lists executions across applications.
 */
async function activeExecutionIds(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: '#kind = :execution AND #status IN (:running, :paused, :suspended)',
        ProjectionExpression: '#id',
        ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status', '#id': 'id' },
        ExpressionAttributeValues: {
          ':execution': { S: 'execution' },
          ':running': { S: 'RUNNING' },
          ':paused': { S: 'PAUSED' },
          ':suspended': { S: 'SUSPENDED' },
        },
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    for (const item of page.Items ?? []) if (item['id']?.S) ids.push(item['id'].S);
    cursor = page.LastEvaluatedKey;
  } while (cursor);
  return ids;
}
