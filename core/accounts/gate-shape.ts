/**
 * Accounts in Gate's shape (`GET /credentials`, `GET /credentials/{account}`: Clouddriver's
 * account details), so Deck-era tools and scripts that list accounts read Gennaker's unchanged.
 * Pure.
 */
import type { Account } from '../ports/accounts.ts';

/** One account as Gate answers it. */
export interface GateAccount {
  readonly name: string;
  /** The cloud provider (Gate's `type`), repeated as `cloudProvider`. */
  readonly type: string;
  readonly cloudProvider: string;
  readonly accountType: string;
  readonly environment: string;
  readonly regions: ReadonlyArray<{ readonly name: string }>;
  readonly accountId?: string;
  readonly assumeRole?: string;
  readonly providerVersion: 'v1';
  readonly primaryAccount: boolean;
  readonly challengeDestructiveActions: boolean;
  readonly requiredGroupMembership: readonly string[];
  readonly permissions: Readonly<Record<string, readonly string[]>>;
  readonly authorized: boolean;
}

/** An account in Gate's shape. Gennaker has no per-account permissions: every caller may use every account. */
export function toGateAccount(account: Account): GateAccount {
  return {
    name: account.name,
    type: account.cloudProvider,
    cloudProvider: account.cloudProvider,
    accountType: account.accountType,
    environment: account.environment,
    regions: account.regions.map((name) => ({ name })),
    ...(account.accountId !== undefined ? { accountId: account.accountId } : {}),
    ...(account.assumeRole !== undefined ? { assumeRole: account.assumeRole } : {}),
    providerVersion: 'v1',
    primaryAccount: false,
    challengeDestructiveActions: false,
    requiredGroupMembership: [],
    permissions: {},
    authorized: true,
  };
}
