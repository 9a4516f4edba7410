/**
 * Watched judgments (core/ports/execution-store.ts, JudgmentWatchStore): one item per manual
 * judgment that waits and reminds, all in one partition (`REMIND`, `<executionId>#<stageId>`), so
 * the reminder sweep finds them with one strongly consistent Query and reads nothing else while
 * no judgment waits. Few items ever live there: a judgment is forgotten once it is answered.
 */
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { JudgmentWatchStore, WatchedJudgment } from '../../core/ports/execution-store.ts';
import { keys } from './keys.ts';
import { call, num, str, type Item, type StoreContext } from './store-context.ts';

/** Watched judgments on one table. */
export function createJudgmentWatchStore(ctx: StoreContext): JudgmentWatchStore {
  return {
    async watchJudgment(watch) {
      await call('watchJudgment', () =>
        ctx.doc.send(
          new PutCommand({
            TableName: ctx.tableName,
            Item: { ...keys.judgmentWatch(watch.executionId, watch.stageId), kind: 'judgmentWatch', executionId: watch.executionId, stageId: watch.stageId, application: watch.application, since: watch.since },
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
              ExpressionAttributeValues: { ':pk': keys.judgmentWatchPartition },
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
      await call('unwatchJudgment', () => ctx.doc.send(new DeleteCommand({ TableName: ctx.tableName, Key: keys.judgmentWatch(executionId, stageId) })));
    },
  };
}
