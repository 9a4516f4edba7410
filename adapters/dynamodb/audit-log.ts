/**
 * The audit log on AWS, in the state table: one item per entry, never updated or deleted.
 *
 * | record | pk | sk | gsi1 (pk / sk) | gsi2 (pk / sk) |
 * |---|---|---|---|---|
 * | audit entry | `AUDIT#<time, 15 digits>#<id>` | `AUDIT` | `AUDITS` / `<time>#<id>` | `AUDITAPP#<app lowercased>` / `<time>#<id>` |
 *
 * gsi1 lists every entry newest first; gsi2 an application's. Entries are written with a
 * condition that the key is new, so an entry is never overwritten.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditLog } from '../../core/ports/audit-log.ts';
import { createStoreContext, type DynamoDbExecutionStoreDeps } from './dynamodb-execution-store.ts';
import { applicationKey } from './keys.ts';
import { call, queryPage, type Item } from './store-context.ts';
import { KEYS } from './tables.ts';

const ENTRY_FIELDS = ['time', 'user', 'admin', 'roles', 'source', 'action', 'application', 'target', 'result', 'detail'] as const;

function toEntry(item: Item): AuditEntry {
  const entry: Record<string, unknown> = {};
  for (const field of ENTRY_FIELDS) if (item[field] !== undefined) entry[field] = item[field];
  return entry as unknown as AuditEntry;
}

/** The audit log of the state table. */
export function createDynamoDbAuditLog(deps: DynamoDbExecutionStoreDeps & { readonly newId?: () => string }): AuditLog {
  const ctx = createStoreContext(deps);
  const newId = deps.newId ?? randomUUID;
  return {
    async append(entry) {
      const order = `${String(Math.max(0, Math.trunc(entry.time))).padStart(15, '0')}#${newId()}`;
      const item: Item = {
        pk: `AUDIT#${order}`,
        sk: 'AUDIT',
        [KEYS.gsi1.pk]: 'AUDITS',
        [KEYS.gsi1.sk]: order,
        ...(entry.application !== undefined ? { [KEYS.gsi2.pk]: `AUDITAPP#${applicationKey(entry.application)}`, [KEYS.gsi2.sk]: order } : {}),
        kind: 'audit',
        ...entry,
        roles: [...entry.roles],
      };
      await call('appendAudit', () => ctx.doc.send(new PutCommand({ TableName: ctx.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })));
    },
    async list(query = {}) {
      const limit = Math.min(Math.max(1, query.limit ?? 100), 1000);
      const byApplication = query.application !== undefined && query.application !== '';
      const index = byApplication ? KEYS.gsi2 : KEYS.gsi1;
      const page = await queryPage(
        ctx,
        'listAudit',
        {
          IndexName: index.indexName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.pk },
          ExpressionAttributeValues: { ':pk': byApplication ? `AUDITAPP#${applicationKey(query.application!)}` : 'AUDITS' },
          ScanIndexForward: false,
        },
        { limit },
      );
      return page.items.map(toEntry);
    },
  };
}
