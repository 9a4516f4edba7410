/**
 * `--sandbox` for Kubernetes: the Kubernetes API simulator (sandbox/kubernetes) started in this
 * process, its clock running `speed` times faster than the wall clock, and every Kubernetes
 * account a pipeline names served by the Kubernetes target over a kubeconfig that points at it
 * (the real @kubernetes/client-node, the real adapter). What the pipeline assumes exists
 * (local/sandbox/kubernetes-world.ts) is seeded first and reported: namespaces, the Services it
 * routes through, and the previous version a red/black or a `second_newest` stage acts on,
 * written as Spinnaker would have written it. Nothing else is, so a name the pipeline gets wrong
 * fails as the cluster would fail it.
 */
import type { ServingSample } from './capacity-watch.ts';
import { countCalls, followWallClock } from './sandbox-clock.ts';
import { stringify } from 'yaml';
import { createKubernetesTargets } from '../../adapters/targets/kubernetes/kubernetes-targets.ts';
import { connectKubernetesAccount } from '../../adapters/targets/kubernetes/connect.ts';
import type { KubernetesAccountConnection } from '../../adapters/targets/kubernetes/manifest-port.ts';
import { annotateManifest, attachServices, labelManifest, setLoadBalancers, versionedName } from '../../core/deploy/kubernetes/index.ts';
import type { Account } from '../../core/ports/accounts.ts';
import type { KubernetesObject } from '../../core/ports/manifests.ts';
import type { Target, TargetLookup } from '../../core/ports/target.ts';
import { startKubernetesSimulator, type KubernetesDescription, type KubernetesSimulator } from '../../sandbox/kubernetes/server.ts';
import { assumedKubernetesWorld, SEEDED_SERVICE_SELECTOR_KEY, type AssumedKubernetesWorld, type AssumedManifestArtifact, type AssumedPreviousVersion } from './kubernetes-world.ts';
import { createSandboxArtifacts, SANDBOX_PREVIOUS_TAG, type SandboxArtifacts } from './sandbox-artifacts.ts';

/** One seeded object, for the report: `service default/hellosvc (selects frontedBy=hellosvc)`. */
export interface SeededObject {
  readonly kind: string;
  readonly id: string;
  readonly detail: string;
}

/** A workload a run left behind: each version's replicas and whether a Service it names selects it. */
export interface DeployedWorkload {
  readonly account: string;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly replicas: number;
  readonly ready: number;
  /** Selected by a Service (in traffic). */
  readonly serving: boolean;
  readonly images: readonly string[];
}

export interface KubernetesSandbox {
  readonly simulator: KubernetesSimulator;
  /** The simulated time (ms since the epoch), running on between the simulator's ticks. */
  now(): number;
  readonly targets: TargetLookup;
  /** Accounts served so far (`serve` adds them). */
  accounts(): readonly Account[];
  /** Serves the Kubernetes accounts these pipelines name and seeds what they assume; answers what was seeded. */
  serve(pipelines: readonly unknown[], parameters?: Readonly<Record<string, string>>): Promise<{ readonly accounts: readonly Account[]; readonly seeded: readonly SeededObject[] }>;
  /** The workloads of the namespaces the last `serve`'s pipelines use, now. */
  describeDeployed(): DeployedWorkload[];
  /** The API calls since the last `serve`, counted by `kubernetes:<METHOD> <resource>`, most first. */
  callCounts(): Array<{ readonly call: string; readonly count: number }>;
  /** Ready pods each Service of the namespaces in use selects, read from the simulator's state. */
  servingCapacity(): ServingSample[];
  describe(): KubernetesDescription;
  close(): Promise<void>;
}

const SEED_STEP_MS = 1_000;
const SEED_STEPS = 300;

/** A kubeconfig for one account, pointing at the simulator (plain HTTP needs skipTLSVerify, reference §6.4). */
function sandboxKubeconfig(account: string, url: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'gennaker-sandbox', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: account, user: { token: 'sandbox' } }],
    contexts: [{ name: account, context: { cluster: 'gennaker-sandbox', user: account, namespace: 'default' } }],
    'current-context': account,
  });
}

/** `GET /apis/apps/v1/namespaces/default/replicasets/web-v001` → `GET replicasets`. */
export function callKey(method: string, path: string): string {
  const parts = path.split('/').filter((part) => part !== '');
  const at = parts.indexOf('namespaces');
  const rest = at >= 0 && parts.length > at + 2 ? parts.slice(at + 2) : parts.slice(parts[0] === 'api' ? 2 : 3);
  const resource = rest.length >= 3 ? `${rest[0]}/${rest[2]}` : (rest[0] ?? (at >= 0 ? 'namespaces' : path));
  return `kubernetes:${method} ${resource}`;
}

/** The image with its tag replaced: what the version before this run ran. */
function previousImage(image: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const base = colon > slash ? image.slice(0, colon) : image;
  return `${base}:${SANDBOX_PREVIOUS_TAG}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A deep copy with every container image of the pod template on the previous tag. */
function withPreviousImages(manifest: Readonly<Record<string, unknown>>): KubernetesObject {
  const copy = structuredClone(manifest) as KubernetesObject;
  const spec = isObject(copy['spec']) ? copy['spec'] : undefined;
  const template = spec && isObject(spec['template']) ? spec['template'] : undefined;
  const podSpec = template && isObject(template['spec']) ? template['spec'] : undefined;
  for (const container of podSpec && Array.isArray(podSpec['containers']) ? podSpec['containers'] : []) {
    if (isObject(container) && typeof container['image'] === 'string') container['image'] = previousImage(container['image']);
  }
  return copy;
}

/** Starts the simulator and its clock. */
/** The document a manifest artifact holds in the sandbox: one Deployment of the stage's cluster, its images the ones the stage binds. */
export function sandboxManifest(assumed: AssumedManifestArtifact): string {
  const labels = { app: assumed.name };
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: assumed.name, namespace: assumed.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: assumed.images.map((image, index) => ({ name: index === 0 ? assumed.name : `${assumed.name}-${index}`, image, ports: [{ containerPort: 8080 + index }] })) },
      },
    },
  });
}

export async function startKubernetesSandbox(options: { readonly speed?: number; readonly seed?: number; readonly artifacts?: SandboxArtifacts } = {}): Promise<KubernetesSandbox> {
  const artifacts = options.artifacts ?? createSandboxArtifacts();
  const speed = options.speed ?? 30;
  const simulator = await startKubernetesSimulator({ seed: options.seed ?? 1, startTime: Date.now() });
  // Images the sandbox knows nothing of serve as the codelab's sample app does: their SUCCESS_RATE sets their error rate.
  simulator.setImageBehaviour('*', { successRateFromEnv: 'SUCCESS_RATE' });
  const stopClock = followWallClock((ms) => simulator.tick(ms), speed);

  const served = new Map<string, { account: Account; namespaces: Set<string> }>();
  let targetsOf: ReadonlyMap<string, Target> = new Map();
  const connections = new Map<string, KubernetesAccountConnection>();
  const seen = new Set<string>();
  let callsBefore = 0;
  let namespacesInUse: Array<{ account: string; namespace: string }> = [];

  const connect = (name: string) => {
    if (connections.has(name)) return;
    const connected = connectKubernetesAccount(name, { kubeconfig: sandboxKubeconfig(name, simulator.url) }, { readFile: () => '', env: {}, clock: { now: () => Date.now() } });
    if (!connected.ok) throw new Error(`sandbox: ${connected.message}`);
    connections.set(name, connected.connection);
  };
  const rebuild = () => {
    const accounts = [...served.values()].map((entry) => entry.account);
    const made = createKubernetesTargets(accounts, { readFile: () => '', env: {}, clock: { now: () => Date.now() } }, connections);
    if (!made.ok) throw new Error(`sandbox: ${made.problems.join('; ')}`);
    targetsOf = made.targets;
  };

  /** Applies the version before this run (`-v000`) as Spinnaker would have, off the wire, and waits until its pods are Ready. */
  const seedPrevious = (previous: AssumedPreviousVersion): SeededObject | undefined => {
    const metadata = isObject(previous.manifest['metadata']) ? previous.manifest['metadata'] : {};
    const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
    const kind = typeof previous.manifest['kind'] === 'string' ? previous.manifest['kind'] : '';
    const key = `previous|${previous.account}|${previous.namespace}|${kind}|${name}`;
    if (seen.has(key)) return undefined;
    const already = simulator
      .describe()
      .namespaces.find((namespace) => namespace.name === previous.namespace)
      ?.workloads.some((workload) => workload.kind.toLowerCase() === kind.toLowerCase() && (workload.name === name || workload.name.startsWith(`${name}-v`)));
    seen.add(key);
    if (already) return undefined;
    const lowerKind = `${kind.charAt(0).toLowerCase()}${kind.slice(1)}`;
    const cluster = `${lowerKind} ${name}`;
    const app = typeof previous.moniker['app'] === 'string' ? previous.moniker['app'] : name;
    const applied = versionedName(name, 0);
    let manifest = withPreviousImages(previous.manifest);
    (manifest['metadata'] as Record<string, unknown>)['name'] = applied;
    manifest = annotateManifest(manifest, { moniker: { app, cluster, sequence: 0 }, artifact: { type: `kubernetes/${lowerKind}`, name, location: previous.namespace, version: 'v000', reference: applied } });
    manifest = labelManifest(manifest, { app, cluster, sequence: 0 });
    if (previous.services.length > 0) {
      const annotated = setLoadBalancers(manifest, previous.services);
      if (!annotated.ok) throw new Error(`sandbox: ${annotated.message}`);
      const services = previous.services.map((reference) => {
        const serviceName = reference.replace(/^\s*service\s+/i, '').trim();
        return { apiVersion: 'v1', kind: 'Service', metadata: { name: serviceName, namespace: previous.namespace }, spec: { selector: { [SEEDED_SERVICE_SELECTOR_KEY]: serviceName } } };
      });
      const attached = attachServices(annotated.value, services);
      if (!attached.ok) throw new Error(`sandbox: the previous version of ${cluster} cannot join its Services: ${attached.message}`);
      manifest = attached.value;
    }
    simulator.seed([manifest]);
    const replicas = isObject(manifest['spec']) && typeof manifest['spec']['replicas'] === 'number' ? manifest['spec']['replicas'] : 1;
    for (let step = 0; step < SEED_STEPS; step++) {
      const workload = simulator
        .describe()
        .namespaces.find((namespace) => namespace.name === previous.namespace)
        ?.workloads.find((candidate) => candidate.name === applied);
      if (workload && workload.ready >= replicas) {
        return { kind: lowerKind, id: `${previous.namespace}/${applied}`, detail: `${previous.account}, ${workload.ready} pod${workload.ready === 1 ? '' : 's'} Ready${previous.services.length > 0 ? `, behind ${previous.services.join(', ')}` : ''}, the version before the run` };
      }
      simulator.tick(SEED_STEP_MS);
    }
    throw new Error(`sandbox: the previous version ${applied} did not become Ready within ${(SEED_STEPS * SEED_STEP_MS) / 1000} simulated seconds`);
  };

  const seedWorld = (world: AssumedKubernetesWorld): SeededObject[] => {
    const seeded: SeededObject[] = [];
    for (const account of world.accounts) {
      for (const namespace of account.namespaces) {
        if (seen.has(`ns|${namespace}`)) continue;
        seen.add(`ns|${namespace}`);
        if (simulator.describe().namespaces.some((existing) => existing.name === namespace)) continue;
        simulator.createNamespace(namespace);
        seeded.push({ kind: 'namespace', id: namespace, detail: account.name });
      }
    }
    for (const service of world.services) {
      const key = `svc|${service.namespace}|${service.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      simulator.seed([
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: service.name, namespace: service.namespace },
          spec: { selector: { [SEEDED_SERVICE_SELECTOR_KEY]: service.name }, ports: [{ port: 80, targetPort: service.port ?? 80 }] },
        },
      ]);
      seeded.push({ kind: 'service', id: `${service.namespace}/${service.name}`, detail: `${service.account}, selects ${SEEDED_SERVICE_SELECTOR_KEY}=${service.name}` });
    }
    for (const manifest of world.manifestArtifacts) {
      if (!artifacts.put(manifest, sandboxManifest(manifest))) continue;
      seeded.push({
        kind: 'artifact',
        id: `${manifest.type} ${manifest.reference}${manifest.version ? `@${manifest.version}` : ''}`,
        detail: `generated Deployment ${manifest.namespace}/${manifest.name}, image ${manifest.images.join(', ')}; account ${manifest.artifactAccount}`,
      });
    }
    for (const previous of world.previousVersions) {
      try {
        const made = seedPrevious(previous);
        if (made) seeded.push(made);
      } catch (error) {
        seeded.push({ kind: 'not seeded:', id: `the previous version of ${String((previous.manifest['metadata'] as Record<string, unknown> | undefined)?.['name'] ?? '?')}`, detail: (error as Error).message.replace(/^sandbox: /, '') });
      }
    }
    return seeded;
  };

  return {
    simulator,
    now: () => simulator.now() + stopClock.behind(),
    targets: ({ account, cloudProvider }) => (cloudProvider === undefined || cloudProvider === 'kubernetes' ? targetsOf.get(account) : undefined),
    accounts: () => [...served.values()].map((entry) => entry.account),
    async serve(pipelines, parameters = {}) {
      const world = assumedKubernetesWorld(pipelines, parameters);
      for (const assumed of world.accounts) {
        const known = served.get(assumed.name);
        const namespaces = new Set([...(known?.namespaces ?? []), ...assumed.namespaces]);
        served.set(assumed.name, { namespaces, account: { name: assumed.name, cloudProvider: 'kubernetes', accountType: 'sandbox', environment: 'sandbox', regions: [...namespaces] } });
        connect(assumed.name);
      }
      if (world.accounts.length > 0) rebuild();
      const seeded = seedWorld(world);
      callsBefore = simulator.calls().length;
      namespacesInUse = world.accounts.flatMap((account) => account.namespaces.map((namespace) => ({ account: account.name, namespace })));
      const named = new Set(world.accounts.map((account) => account.name));
      return { accounts: [...served.values()].map((entry) => entry.account).filter((account) => named.has(account.name)), seeded };
    },
    servingCapacity() {
      const description = simulator.describe();
      return namespacesInUse.flatMap(({ account, namespace }) =>
        (description.namespaces.find((candidate) => candidate.name === namespace)?.services ?? []).map((service) => ({ cluster: `service ${service.name} (${account}, ${namespace})`, healthy: service.ready.length })),
      );
    },
    describeDeployed() {
      const description = simulator.describe();
      const found: DeployedWorkload[] = [];
      for (const { account, namespace } of namespacesInUse) {
        const described = description.namespaces.find((candidate) => candidate.name === namespace);
        if (!described) continue;
        for (const workload of described.workloads) {
          // ReplicaSets a Deployment owns show under their Deployment.
          if (workload.owner !== undefined) continue;
          // Owners read `<Kind>/<name>`, as the simulator's description gives them.
          const self = `${workload.kind}/${workload.name}`;
          const children = new Set(described.workloads.filter((child) => child.owner === self).map((child) => `${child.kind}/${child.name}`));
          const pods = described.pods.filter((pod) => pod.owner !== undefined && (pod.owner === self || children.has(pod.owner)));
          const serving = described.services.some((service) => pods.some((pod) => service.selects.includes(pod.name)));
          found.push({ account, namespace, kind: workload.kind, name: workload.name, replicas: workload.replicas, ready: workload.ready, serving, images: [...new Set(pods.flatMap((pod) => pod.images))] });
        }
      }
      return found;
    },
    callCounts: () => countCalls(simulator.calls().slice(callsBefore).map((call) => callKey(call.method, call.path))),
    describe: () => simulator.describe(),
    async close() {
      stopClock();
      await simulator.close();
    },
  };
}
