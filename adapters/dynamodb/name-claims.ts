/**
 * Unique names with single-item conditional writes (no transactions): a name is a claim item
 * `{ kind, <holderField>: id, claimedAt }` at its own key. Claiming takes a free name or keeps
 * one's own; a claim whose holder no longer carries the name (left by a crash or a rename) is
 * taken over, unless it changed meanwhile. Pipeline configs and canary configs use it.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import { call, conditional, num, str, type Item, type StoreContext } from './store-context.ts';

export interface NameClaim {
  readonly key: { readonly pk: string; readonly sk: string };
  /** The claim item's `kind`. */
  readonly kind: string;
  /** The attribute naming the holder's id, e.g. `pipelineConfigId`. */
  readonly holderField: string;
  /** The store operation, for errors (`savePipelineConfig`). */
  readonly operation: string;
  /** What the name is, for the conflict message: "the canary config name 'x'". */
  readonly describe: string;
  /** Whether the claim is stale: its holder does not (or no longer) carry the name. */
  readonly isStale: (claim: Item, holder: string) => Promise<boolean>;
}

/** Claims the name for `id`; answers the id of another holder that keeps it. */
export async function claimName(ctx: StoreContext, claim: NameClaim, id: string): Promise<string | undefined> {
  const { key, kind, holderField, operation } = claim;
  for (let attempt = 0; attempt < 3; attempt++) {
    const claimed = await conditional(operation, () =>
      ctx.doc.send(
        new PutCommand({
          TableName: ctx.tableName,
          Item: { ...key, kind, [holderField]: id, claimedAt: ctx.clock.now() },
          ConditionExpression: 'attribute_not_exists(pk) OR #holder = :id',
          ExpressionAttributeNames: { '#holder': holderField },
          ExpressionAttributeValues: { ':id': id },
        }),
      ),
    );
    if (claimed !== undefined) return undefined;
    const current = (await call(operation, () => ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true })))).Item;
    if (current === undefined) continue;
    const holder = str(current, holderField);
    if (holder === id) return undefined;
    if (!(await claim.isStale(current, holder))) return holder;
    // Take over the stale claim, unless someone else changed it meanwhile.
    await conditional(operation, () =>
      ctx.doc.send(
        new DeleteCommand({
          TableName: ctx.tableName,
          Key: key,
          ConditionExpression: '#holder = :holder AND claimedAt = :claimedAt',
          ExpressionAttributeNames: { '#holder': holderField },
          ExpressionAttributeValues: { ':holder': holder, ':claimedAt': num(current, 'claimedAt') },
        }),
      ),
    );
  }
  throw new GennakerError('Gennaker.WriteConflict', `${claim.describe} kept changing hands while saving; try again`);
}
