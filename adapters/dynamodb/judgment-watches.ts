/**
 * Watched judgments (core/ports/execution-store.ts, JudgmentWatchStore): one item per manual
 * judgment that waits and reminds, all in one partition (`REMIND`, `<executionId>#<stageId>`), so
 * the reminder sweep finds them with one strongly consistent Query and reads nothing else while
 * no judgment waits. Few items ever live there: a judgment is forgotten once it is answered.
 */
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { JudgmentWatchStore, WatchedJudgment } from '../../core/ports/execution-store.ts';
import { createStoreContext, type DynamoDbExecutionStoreDeps } from './dynamodb-execution-store.ts';
import { call, num, str, type Item, type StoreContext } from './store-context.ts';

/** The one partition of watched judgments (tables.ts lists it), read whole by the sweep. */
const PARTITION = 'REMIND';
const watchKey = (executionId: string, stageId: string) => ({ pk: PARTITION, sk: `${executionId}#${stageId}` });

/** Watched judgments on the state table (the notifier's alone, so no other bundle carries it). */
export function createDynamoDbJudgmentWatchStore(deps: DynamoDbExecutionStoreDeps): JudgmentWatchStore {
  const ctx: StoreContext = createStoreContext(deps);
  return {
    async watchJudgment(watch) {
      await call('watchJudgment', () =>
        ctx.doc.send(
          new PutCommand({
            TableName: ctx.tableName,
            Item: { ...watchKey(watch.executionId, watch.stageId), kind: 'judgmentWatch', executionId: watch.executionId, stageId: watch.stageId, application: watch.application, since: watch.since },
          }),
        ),
      );
    },

    async listWatchedJudgments() {
      const found: WatchedJudgment[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await call('listWatchedJudgments', () =>
          ctx.doc.send(
            new QueryCommand({
              TableName: ctx.tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': PARTITION },
              ConsistentRead: true,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of (page.Items ?? []) as Item[]) {
          found.push({ executionId: str(item, 'executionId'), stageId: str(item, 'stageId'), application: str(item, 'application'), since: num(item, 'since') });
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return found;
    },

    async unwatchJudgment(executionId, stageId) {
      await call('unwatchJudgment', () => ctx.doc.send(new DeleteCommand({ TableName: ctx.tableName, Key: watchKey(executionId, stageId) })));
    },
  };
}
