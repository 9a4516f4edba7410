/**
 * Crash recovery for local mode (DESIGN.md §9): at start-up no run is alive, so every
 * execution the store still shows RUNNING (or PAUSED, SUSPENDED) was interrupted when the
 * process stopped. Each is resumed: its state machine runs again under the same execution id,
 * and the stage runner answers the stages and steps already done without running them again,
 * so the run continues where it stopped (a deploy from its saved plan's cursor, every side
 * effect idempotent by owner token). An execution whose pipeline version can no longer be run
 * is marked TERMINAL with a reason that says how to go on, and reconciled like any ended run:
 * its stages closed, its slot freed, the next queued execution started; `gennaker execution
 * restart` runs it again from its first stage that did not succeed.
 */
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INTERRUPTED_RUN_ERROR, type GennakerExecutionService } from '../core/execution/execution-service.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { ExecutionStore } from '../core/ports/execution-store.ts';
import type { StateMachineEngine } from '../core/ports/state-machine-engine.ts';

/** Recorded as the cancellation reason of an interrupted execution that could not be resumed. */
export const INTERRUPTED_REASON =
  'interrupted: Gennaker stopped while this execution was running, and it could not be resumed; restart it with `gennaker execution restart`';

/** The engine error an interrupted run is reconciled with: its jobs are left for a restart to continue. */
export const INTERRUPTED_ERROR = INTERRUPTED_RUN_ERROR;

export interface RecoveryDeps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly store: ExecutionStore;
  readonly service: Pick<GennakerExecutionService, 'handleRunEnded'>;
  readonly clock: Clock;
  readonly engine: Pick<StateMachineEngine, 'startExecution'>;
}

/** What recovery did: the executions resumed, and those marked TERMINAL with why. */
export interface Recovered {
  readonly resumed: readonly string[];
  readonly terminated: ReadonlyArray<{ readonly executionId: string; readonly reason: string }>;
}

/** Resumes every interrupted execution, or marks it TERMINAL and reconciles it when it cannot run. */
export async function recoverInterruptedExecutions(deps: RecoveryDeps): Promise<Recovered> {
  const resumed: string[] = [];
  const terminated: Array<{ executionId: string; reason: string }> = [];
  for (const executionId of await activeExecutionIds(deps.client, deps.tableName)) {
    const execution = await deps.store.getExecution(executionId);
    if (!execution) continue;
    try {
      // A callback token belongs to the run that died: drop it, so no judgment is sent to it; the
      // resumed run stores a new one when it reaches the callback again.
      for (const stage of execution.stages) if (stage.awaitingCallback) await deps.store.takeTaskToken(executionId, stage.id);
      await deps.engine.startExecution({ executionId, pipelineConfigId: execution.pipelineConfigId, version: execution.pipelineVersion });
      resumed.push(executionId);
      continue;
    } catch (error) {
      terminated.push({ executionId, reason: error instanceof Error ? error.message : String(error) });
    }
    const marked = await deps.store.updateExecution(executionId, {
      expect: [execution.status],
      set: { status: 'TERMINAL', cancellationReason: INTERRUPTED_REASON, endTime: deps.clock.now() },
    });
    if (!marked.ok) continue;
    await deps.service.handleRunEnded({ executionId, outcome: 'FAILED', error: INTERRUPTED_ERROR, cause: INTERRUPTED_REASON });
  }
  return { resumed, terminated };
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
