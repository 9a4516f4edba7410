/**
 * The Kubernetes targets of the configured accounts, for a composition root: each `kubernetes`
 * account's fields parsed (config.ts) and connected (connect.ts) once, one manifest port serving
 * them all (discovery kept per account), and a target per account on top of it. A problem with
 * an account (a bad field, a kubeconfig that cannot be read, a context it lacks) is reported for
 * all accounts at once, before anything runs.
 */
import type { Account } from '../../../core/ports/accounts.ts';
import type { ManifestPort } from '../../../core/ports/manifests.ts';
import type { Target, TargetLookup } from '../../../core/ports/target.ts';
import { parseKubernetesAccount } from './config.ts';
import { connectKubernetesAccount, type KubernetesConnectDeps } from './connect.ts';
import { createKubernetesManifests, type KubernetesAccountConnection } from './manifest-port.ts';
import { createKubernetesTarget } from './kubernetes-target.ts';

/** The targets, or every problem found. */
export type KubernetesTargets =
  | { readonly ok: true; readonly manifests: ManifestPort; readonly lookup: TargetLookup; readonly targets: ReadonlyMap<string, Target> }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Targets for the `kubernetes` accounts among `accounts` (others are ignored). `connections`
 * replaces an account's own connection (a sandbox maps accounts onto its simulator).
 */
export function createKubernetesTargets(
  accounts: readonly Account[],
  deps: KubernetesConnectDeps,
  connections: ReadonlyMap<string, KubernetesAccountConnection> = new Map(),
): KubernetesTargets {
  const problems: string[] = [];
  const connected: KubernetesAccountConnection[] = [];
  for (const account of accounts) {
    if (account.cloudProvider !== 'kubernetes') continue;
    const given = connections.get(account.name);
    if (given) {
      connected.push(given);
      continue;
    }
    const parsed = parseKubernetesAccount(account.name, account.kubernetes ?? {});
    if (!parsed.ok) {
      problems.push(parsed.message);
      continue;
    }
    const connection = connectKubernetesAccount(account.name, parsed.fields, deps);
    if (!connection.ok) problems.push(connection.message);
    else connected.push(connection.connection);
  }
  if (problems.length > 0) return { ok: false, problems };
  const manifests = createKubernetesManifests({ accounts: connected });
  const targets = new Map(connected.map((connection) => [connection.name, createKubernetesTarget({ connection, manifests })]));
  return {
    ok: true,
    manifests,
    targets,
    lookup: ({ account, cloudProvider }) => (cloudProvider === undefined || cloudProvider === 'kubernetes' ? targets.get(account) : undefined),
  };
}
