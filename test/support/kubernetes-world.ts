/**
 * A Kubernetes account on the simulator (sandbox/kubernetes): the simulator started on port 0, an
 * inline kubeconfig pointing at it (plain HTTP needs `insecure-skip-tls-verify`), connected by the
 * adapter's own `connectKubernetesAccount` as a composition root would, and the manifest port and
 * target over that connection: real client-node, real HTTP, the simulator's state.
 */
import { connectKubernetesAccount } from '../../adapters/targets/kubernetes/connect.ts';
import { parseKubernetesAccount } from '../../adapters/targets/kubernetes/config.ts';
import { createKubernetesTarget } from '../../adapters/targets/kubernetes/kubernetes-target.ts';
import { createKubernetesManifests, type KubernetesAccountConnection } from '../../adapters/targets/kubernetes/manifest-port.ts';
import type { ManifestPort } from '../../core/ports/manifests.ts';
import type { Target } from '../../core/ports/target.ts';
import { startKubernetesSimulator, type KubernetesSimulator, type KubernetesSimulatorOptions } from '../../sandbox/kubernetes/server.ts';

/** A kubeconfig (as JSON text) for an API server at `server`, with a bearer token. */
export function kubeconfigFor(server: string, token = 'test-token'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sim', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'deployer', user: { token } }],
    contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'deployer', namespace: 'default' } }],
    'current-context': 'sim',
  });
}

/** A connection to `server` as the account `name`, through the adapter's own account parsing. */
export function connectTo(server: string, name: string, fields: Readonly<Record<string, unknown>> = {}, timeoutMs?: number): KubernetesAccountConnection {
  const parsed = parseKubernetesAccount(name, { kubeconfig: kubeconfigFor(server), ...fields });
  if (!parsed.ok) throw new Error(parsed.message);
  const connected = connectKubernetesAccount(name, parsed.fields, {
    readFile: () => {
      throw new Error('no files here');
    },
    env: {},
    clock: { now: () => 0 },
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  if (!connected.ok) throw new Error(connected.message);
  return connected.connection;
}

export interface KubernetesWorld {
  readonly sim: KubernetesSimulator;
  /** `k8s`: every namespace. */
  readonly connection: KubernetesAccountConnection;
  /** Serves `k8s` and `k8s-web` (namespaces `web` and `default` only). */
  readonly manifests: ManifestPort;
  /** The target of `k8s`. */
  readonly target: Target;
  /** How many requests the simulator has seen. */
  callCount(): number;
  close(): Promise<void>;
}

export async function startKubernetesWorld(options: KubernetesSimulatorOptions = {}): Promise<KubernetesWorld> {
  const sim = await startKubernetesSimulator(options);
  const connection = connectTo(sim.url, 'k8s');
  const restricted = connectTo(sim.url, 'k8s-web', { namespaces: ['web', 'default'] });
  const manifests = createKubernetesManifests({ accounts: [connection, restricted], pageSize: 2 });
  return {
    sim,
    connection,
    manifests,
    target: createKubernetesTarget({ connection, manifests }),
    callCount: () => sim.calls().length,
    close: () => sim.close(),
  };
}
