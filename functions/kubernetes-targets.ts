/**
 * The Kubernetes targets of the stage runner: each `kubernetes` account of the account map is an
 * EKS cluster (its endpoint and CA from the account's inline kubeconfig), reached with bearer
 * tokens minted from the account's role (STS AssumeRole, adapters/aws/assumed-role.ts, then a
 * presigned GetCallerIdentity: adapters/targets/kubernetes/eks-token.ts).
 *
 * Loaded on demand (functions/aws-account-targets.ts): client-node is larger than the rest of the
 * stage runner, so scripts/build.js bundles this module on its own (`kubernetes-targets.mjs`),
 * read the first time a stage calls a Kubernetes account.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { assumedRoleCredentials } from '../adapters/aws/assumed-role.ts';
import { parseKubernetesAccount } from '../adapters/targets/kubernetes/config.ts';
import { connectKubernetesAccount } from '../adapters/targets/kubernetes/connect.ts';
import { createKubernetesTargets } from '../adapters/targets/kubernetes/kubernetes-targets.ts';
import type { KubernetesAccountConnection } from '../adapters/targets/kubernetes/manifest-port.ts';
import type { Account } from '../core/ports/accounts.ts';
import type { Target } from '../core/ports/target.ts';
import { kubernetesDefaultNamespace } from './aws-account-targets.ts';
import type { AwsTargetsOptions } from './aws-targets.ts';

/**
 * The target of each Kubernetes account among `accounts`, all connected at once; throws one line
 * per account problem (a kubeconfig that does not parse, a context it lacks).
 */
export function createKubernetesAccountTargets(accounts: readonly Account[], options: AwsTargetsOptions): (account: Account) => Target {
  const sts = new STSClient({
    region: options.region,
    ...(options.clients?.endpoint !== undefined ? { endpoint: options.clients.endpoint } : {}),
    ...(options.clients?.maxAttempts !== undefined ? { maxAttempts: options.clients.maxAttempts } : {}),
    ...(options.callerCredentials ? { credentials: options.callerCredentials } : {}),
  });
  const problems: string[] = [];
  const connections = new Map<string, KubernetesAccountConnection>();
  for (const account of accounts.filter((candidate) => candidate.cloudProvider === 'kubernetes')) {
    const parsed = parseKubernetesAccount(account.name, account.kubernetes ?? {});
    if (!parsed.ok) {
      problems.push(parsed.message);
      continue;
    }
    const connected = connectKubernetesAccount(account.name, parsed.fields, {
      readFile: (path) => {
        throw new Error(`no file '${path}' beside a Lambda function`);
      },
      env: {},
      clock: options.clock,
      awsCredentials: () =>
        assumedRoleCredentials({
          account: account.name,
          roleArn: account.assumeRole!,
          ...(account.externalId !== undefined ? { externalId: account.externalId } : {}),
          sts,
          sessionName: options.sessionName,
          clock: options.clock,
          ...(options.caller !== undefined ? { caller: options.caller } : {}),
        }),
    });
    if (!connected.ok) problems.push(connected.message);
    // The namespace the on-demand target answered before this module loaded.
    else connections.set(account.name, { ...connected.connection, defaultNamespace: kubernetesDefaultNamespace(account) });
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  const made = createKubernetesTargets(accounts, { readFile: () => '', env: {}, clock: options.clock }, connections);
  if (!made.ok) throw new Error(made.problems.join('; '));
  return (account) => {
    const target = made.targets.get(account.name);
    if (!target) throw new Error(`account '${account.name}' is not a Kubernetes account of this deployment`);
    return target;
  };
}
