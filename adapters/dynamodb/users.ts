/**
 * The user directory on AWS, in the state table: one item per IAM principal or service account,
 * naming its roles and whether it is an admin. This is the mapping of IAM principals to roles
 * (principal tags never reach the API: API Gateway's request context carries only the caller's
 * ARN), and where a trigger's `runAsUser` is looked up.
 *
 * | record | pk | sk | attributes |
 * |---|---|---|---|
 * | user | `USER#<name>` | `USER` | `roles` (list of strings), `admin` (boolean) |
 *
 * The name is the principal's ARN (`arn:aws:iam::123456789012:role/Deployers` for every session
 * of a role, `arn:aws:iam::123456789012:user/ci` for an IAM user) or a service account's name.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DirectoryUser, UserDirectory } from '../../core/ports/user-directory.ts';
import { createStoreContext, type DynamoDbExecutionStoreDeps } from './dynamodb-execution-store.ts';
import { call } from './store-context.ts';

/** The key of a user's item. */
export function userKey(name: string): { readonly pk: string; readonly sk: string } {
  return { pk: `USER#${name}`, sk: 'USER' };
}

/** The user directory, plus writing an item. */
export interface DynamoDbUserDirectory extends UserDirectory {
  /** Creates or replaces a user's item (what an operator does with `aws dynamodb put-item`). */
  save(user: DirectoryUser): Promise<void>;
}

/** The user directory of the state table. */
export function createDynamoDbUserDirectory(deps: DynamoDbExecutionStoreDeps): DynamoDbUserDirectory {
  const ctx = createStoreContext(deps);
  return {
    async find(name) {
      if (name === '' || name.length > 1024) return undefined;
      const output = await call('getUser', () => ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: userKey(name), ConsistentRead: true })));
      const item = output.Item;
      if (item === undefined) return undefined;
      const roles = Array.isArray(item['roles']) ? item['roles'].filter((role): role is string => typeof role === 'string') : [];
      return { name, roles, admin: item['admin'] === true };
    },
    async save(user) {
      await call('saveUser', () =>
        ctx.doc.send(new PutCommand({ TableName: ctx.tableName, Item: { ...userKey(user.name), kind: 'user', roles: [...user.roles], admin: user.admin } })),
      );
    },
  };
}
