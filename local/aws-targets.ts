/**
 * Local mode's AWS accounts (`cloudProvider: aws` or `ecs` in the data directory's accounts file)
 * served by the same targets as the stage runner on AWS (functions/aws-targets.ts), for
 * `gennaker up` and `gennaker run` without `--sandbox`. The composition roots import this module
 * only when the file has such an account, so a run without one never loads the AWS SDK clients.
 *
 * Credentials: the person's own AWS credentials (the SDK's chain: environment, shared config and
 * profile, SSO, instance role) call STS to assume each account's `assumeRole` (with its
 * `externalId`), one session per account, renewed before it expires; an account without
 * `assumeRole` acts with those credentials directly.
 */
import { userInfo } from 'node:os';
import { PROVIDERS_OF } from '../functions/aws-account-targets.ts';
import { createAwsTargets, type AwsClientSettings } from '../functions/aws-targets.ts';
import type { Account } from '../core/ports/accounts.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { TargetLookup } from '../core/ports/target.ts';
import type { AwsCredentialIdentity } from '@smithy/types';

/** The kinds of account these targets serve (the cloud providers stages name them by: PROVIDERS_OF). */
const AWS_KINDS = new Set(['aws', 'ecs']);

/** The AWS accounts' targets, and the clients to close when the process ends. */
export interface LocalAwsTargets {
  readonly lookup: TargetLookup;
  close(): void;
}

export interface LocalAwsTargetsOptions {
  readonly clock: Clock;
  /** Where STS is called. @default AWS_REGION, else AWS_DEFAULT_REGION, else the first account's first region */
  readonly region?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Tests point the clients at the AWS simulator. @default AWS's endpoints */
  readonly clients?: AwsClientSettings;
  /** @default the SDK's credential chain */
  readonly callerCredentials?: AwsCredentialIdentity;
}

/** Serves every `aws` and `ecs` account of `accounts` (others are ignored); nothing is called on AWS yet. */
export function createLocalAwsTargets(accounts: readonly Account[], options: LocalAwsTargetsOptions): LocalAwsTargets {
  const served = new Map(accounts.filter((account) => AWS_KINDS.has(account.cloudProvider)).map((account) => [account.name, account]));
  const env = options.env ?? process.env;
  const region = options.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? [...served.values()][0]?.regions[0] ?? 'us-east-1';
  // CloudTrail in the deploy account names the person behind every call.
  const session = `gennaker-${safeUser()}`;
  const targets = createAwsTargets({
    region,
    clock: options.clock,
    sessionName: () => session,
    caller: 'your AWS credentials (environment, profile or SSO)',
    withoutRole: 'caller',
    ...(options.clients ? { clients: options.clients } : {}),
    ...(options.callerCredentials ? { callerCredentials: options.callerCredentials } : {}),
  });
  return {
    lookup: (key) => {
      const account = served.get(key.account);
      if (!account || (key.cloudProvider !== undefined && !PROVIDERS_OF[account.cloudProvider]!.includes(key.cloudProvider))) return undefined;
      return targets.targetOf(account);
    },
    close: () => targets.close(),
  };
}

function safeUser(): string {
  try {
    return userInfo().username || 'local';
  } catch {
    return 'local';
  }
}
