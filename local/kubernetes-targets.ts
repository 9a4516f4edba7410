/**
 * Local mode's Kubernetes accounts (`cloudProvider: kubernetes` in the data directory's accounts
 * file) served by the Kubernetes target, for `gennaker up` and `gennaker run`. The composition
 * roots import this module only when the file has such an account, so a run without one never
 * loads client-node.
 *
 * EKS tokens are signed with this machine's AWS identity (the SDK's default credential chain:
 * environment, profile, SSO, instance role...), or, when the account names a role (`eks.assumeRole`,
 * else the account's `assumeRole` with its `externalId`), with that role's session, assumed
 * through STS in the cluster's region.
 */
import { readFileSync } from 'node:fs';
import { STSClient } from '@aws-sdk/client-sts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { assumedRoleCredentials } from '../adapters/aws/assumed-role.ts';
import { createKubernetesTargets } from '../adapters/targets/kubernetes/kubernetes-targets.ts';
import type { Account } from '../core/ports/accounts.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { TargetLookup } from '../core/ports/target.ts';

/** What the Kubernetes accounts of this machine are connected with. */
export interface LocalKubernetesOptions {
  /** The process environment: `HOME` for `~/` paths, `KUBERNETES_SERVICE_HOST`/`_PORT` in a pod. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  /** How EKS accounts reach AWS. @default AWS's STS endpoints and the default credential chain */
  readonly aws?: {
    /** STS's endpoint (tests: the AWS simulator). */
    readonly endpoint?: string;
    /** The identity used to sign tokens and to assume roles. */
    readonly credentials?: AwsCredentialIdentity;
  };
}

/** The targets of the accounts, or one line per account problem. */
export type LocalKubernetesTargets =
  | { readonly ok: true; readonly lookup: TargetLookup; close(): void }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Connects every `kubernetes` account of `accounts` (others are ignored); nothing is called on a cluster yet. */
export function createLocalKubernetesTargets(accounts: readonly Account[], options: LocalKubernetesOptions): LocalKubernetesTargets {
  const byName = new Map(accounts.map((account) => [account.name, account]));
  const clients: STSClient[] = [];
  const own: AwsCredentialIdentityProvider = options.aws?.credentials ? async () => options.aws!.credentials! : defaultProvider();
  const made = createKubernetesTargets(accounts, {
    readFile: (path) => readFileSync(path, 'utf8'),
    env: options.env,
    clock: options.clock,
    awsCredentials: (eks, name) => {
      const account = byName.get(name);
      const roleArn = eks.assumeRole ?? account?.assumeRole;
      if (roleArn === undefined) return own;
      const sts = new STSClient({ region: eks.region, credentials: own, ...(options.aws?.endpoint !== undefined ? { endpoint: options.aws.endpoint } : {}) });
      clients.push(sts);
      return assumedRoleCredentials({
        account: name,
        roleArn,
        ...(eks.assumeRole === undefined && account?.externalId !== undefined ? { externalId: account.externalId } : {}),
        sts,
        sessionName: () => 'gennaker-local',
        clock: options.clock,
      });
    },
  });
  if (!made.ok) return made;
  return {
    ok: true,
    lookup: made.lookup,
    close: () => {
      for (const client of clients.splice(0)) client.destroy();
    },
  };
}
