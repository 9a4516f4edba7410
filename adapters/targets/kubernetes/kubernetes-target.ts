/**
 * A Kubernetes account as a deploy target (core/ports/target.ts): Spinnaker's Kubernetes model on
 * the server-group and traffic ports, and the manifest port beside them.
 *
 * - A server group is a ReplicaSet `<cluster>-vNNN` in the namespace named by `location`, with
 *   Spinnaker's moniker and artifact annotations and labels (spinnaker-metadata.ts), so clouddriver
 *   sees it as its own; its cluster is the `moniker.spinnaker.io/cluster` annotation.
 * - Capacity is `spec.replicas` (min and max, which a ReplicaSet lacks, are kept in the
 *   `gennaker.io/capacity` annotation); instances are the pods it owns, `Up` once their `Ready`
 *   condition is true.
 * - Traffic is Spinnaker's: the Services named by `traffic.spinnaker.io/load-balancers` select
 *   pods by labels; enable adds each Service's selector labels to the ReplicaSet's pod template
 *   and then to every live pod it owns (JSON patches), disable removes them. The Service is never
 *   modified. A server group is disabled when no Service of its annotation selects its template.
 *   There are no weights and no partial disables (the switch is whole per ReplicaSet), and no drain
 *   to watch: a pod leaves the Service's endpoints when its labels change.
 * - Owner tokens live in the `gennaker.io/owner` annotation; who destroyed what is kept in memory,
 *   as the other targets do, for a destroy asked again.
 */
import {
  annotateManifest,
  ANNOTATIONS,
  attachServices,
  disablePatch,
  enablePatch,
  isSelectedBy,
  labelManifest,
  LABELS,
  manifestArtifact,
  ownedPods,
  parseLoadBalancerName,
  readLoadBalancers,
  setLoadBalancers,
  workloadPodSelector,
  type JsonPatchOperation,
  type Moniker,
} from '../../../core/deploy/kubernetes/index.ts';
import { parseServerGroupName } from '../../../core/deploy/names.ts';
import type { KubernetesObject, ManifestFailure, ManifestPort } from '../../../core/ports/manifests.ts';
import type {
  Capacity,
  ClusterRef,
  CreateServerGroupRequest,
  DescribeResult,
  InstanceDescription,
  InstanceHealth,
  OperationResult,
  OwnerToken,
  PortFailure,
  PortFailureReason,
  ServerGroupDescription,
  ServerGroupPort,
  ServerGroupRef,
} from '../../../core/ports/server-groups.ts';
import type { Target } from '../../../core/ports/target.ts';
import type { TrafficPort } from '../../../core/ports/traffic.ts';
import { kubernetesFailure, oneLine } from './errors.ts';
import { createKubernetesManifests, objectName, type KubernetesAccountConnection } from './manifest-port.ts';
import { parseKubernetesClusterConfig } from './server-group-config.ts';
import type { KubernetesRequest } from './rest.ts';

/** Gennaker's own annotations and label on what it creates. */
export const OWNER_ANNOTATION = 'gennaker.io/owner';
export const CAPACITY_ANNOTATION = 'gennaker.io/capacity';
/** The label that ties a ReplicaSet's selector to its own pods only. */
export const SERVER_GROUP_LABEL = 'gennaker.io/server-group';

export interface KubernetesTargetOptions {
  readonly connection: KubernetesAccountConnection;
  /** The manifest port serving this account. @default one made over `connection` */
  readonly manifests?: ManifestPort;
}

type JsonMap = Record<string, unknown>;

type ReplicaSet = {
  readonly metadata: {
    readonly name: string;
    readonly uid?: string;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
    readonly annotations?: Record<string, string>;
    readonly labels?: Record<string, string>;
  };
  readonly spec?: {
    readonly replicas?: number;
    readonly selector?: { readonly matchLabels?: Record<string, string> };
    readonly template?: { readonly metadata?: { readonly labels?: Record<string, string> }; readonly spec?: { readonly containers?: ReadonlyArray<{ readonly image?: string; readonly ports?: ReadonlyArray<{ readonly containerPort?: number }> }> } };
  };
};

type Pod = {
  readonly metadata: {
    readonly name: string;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
    readonly labels?: Record<string, string>;
    readonly ownerReferences?: ReadonlyArray<{ readonly uid?: string; readonly kind?: string; readonly name?: string }>;
  };
  readonly status?: { readonly phase?: string; readonly podIP?: string; readonly conditions?: ReadonlyArray<{ readonly type?: string; readonly status?: string }> };
};

const DONE: OperationResult = { ok: true, outcome: 'done' };
const ALREADY_DONE: OperationResult = { ok: true, outcome: 'already-done' };

/** A port failure in flight through the helpers; each port method answers it as a value. */
class Halt extends Error {
  constructor(readonly failure: PortFailure) {
    super(failure.message);
  }
}

function fail(reason: PortFailureReason, message: string, cause?: unknown): never {
  throw new Halt({ ok: false, reason, message: oneLine(message), ...(cause !== undefined ? { cause } : {}) });
}

/** A manifest failure in the server-group port's reasons (they have no `forbidden` or `conflict`). */
function portFailure(failure: ManifestFailure): PortFailure {
  const reason: PortFailureReason = failure.reason === 'forbidden' || failure.reason === 'conflict' ? 'failed' : failure.reason;
  return { ok: false, reason, message: failure.message, ...(failure.cause !== undefined ? { cause: failure.cause } : {}) };
}

async function guarded(operation: () => Promise<OperationResult>): Promise<OperationResult> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof Halt) return error.failure;
    throw error;
  }
}

function validCapacity(capacity: Capacity): boolean {
  return [capacity.min, capacity.max, capacity.desired].every((value) => Number.isInteger(value) && value >= 0) && capacity.min <= capacity.desired && capacity.desired <= capacity.max;
}

function healthOf(pod: Pod): InstanceHealth {
  if (pod.metadata.deletionTimestamp !== undefined) return 'Down';
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return 'Down';
  const ready = pod.status?.conditions?.find((condition) => condition.type === 'Ready');
  return ready?.status === 'True' ? 'Up' : 'Starting';
}

function epochMs(timestamp: string | undefined): number {
  const parsed = timestamp ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** The Kubernetes target of one account. */
export function createKubernetesTarget(options: KubernetesTargetOptions): Target {
  const { connection } = options;
  const account = connection.name;
  const manifests = options.manifests ?? createKubernetesManifests({ accounts: [connection] });
  const destroyedBy = new Map<string, OwnerToken>();

  const replicaSets = (namespace: string, name?: string) => `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
  const pods = (namespace: string, name?: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
  const services = (namespace: string, name: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}`;

  function allow(namespace: string): void {
    const allowed = connection.namespaces;
    if (allowed && !allowed.includes(namespace)) {
      fail('invalid', `namespace '${namespace}' is not one of account '${account}''s namespaces (${allowed.join(', ')}); deploy to one of them or add it to the account's namespaces`);
    }
  }

  async function call(what: string, request: KubernetesRequest): Promise<unknown> {
    try {
      return await connection.rest.send(request);
    } catch (error) {
      throw new Halt(portFailure(kubernetesFailure(error, what)));
    }
  }

  /** GET; undefined on 404. */
  async function readOrNone<T>(what: string, path: string): Promise<T | undefined> {
    try {
      return (await connection.rest.send({ method: 'GET', path })) as T;
    } catch (error) {
      const failure = kubernetesFailure(error, what);
      if (failure.reason === 'not-found') return undefined;
      throw new Halt(portFailure(failure));
    }
  }

  async function list<T>(what: string, path: string, labelSelector?: string): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = (await call(what, { method: 'GET', path, query: { limit: 500, continue: token, labelSelector } })) as { items?: T[]; metadata?: { continue?: string } } | undefined;
      items.push(...(page?.items ?? []));
      token = page?.metadata?.continue || undefined;
    } while (token !== undefined);
    return items;
  }

  /** The server group's ReplicaSet, or a `not-found` naming it. */
  async function replicaSetOf(ref: ServerGroupRef, verb: string): Promise<ReplicaSet> {
    allow(ref.location);
    const found = await readOrNone<ReplicaSet>(`${verb} ${objectName('replicaSet', ref.location, ref.serverGroup)}`, replicaSets(ref.location, ref.serverGroup));
    if (!found) fail('not-found', `server group ${ref.serverGroup} does not exist in ${account}/${ref.location}`);
    return found;
  }

  /** The Services named, by name; a missing one is `invalid`, naming it. */
  async function servicesNamed(namespace: string, serviceNames: readonly string[], what: string): Promise<Map<string, KubernetesObject>> {
    const found = new Map<string, KubernetesObject>();
    for (const name of serviceNames) {
      const service = await readOrNone<KubernetesObject>(`${what} (reading ${objectName('service', namespace, name)})`, services(namespace, name));
      if (!service) fail('invalid', `service ${name} does not exist in namespace ${namespace} of account ${account}; create it, or remove it from the load balancers`);
      found.set(name, service);
    }
    return found;
  }

  /** The Service names of a ReplicaSet's `traffic.spinnaker.io/load-balancers`, or `invalid` with clouddriver's message. */
  function serviceNamesOf(replicaSet: ReplicaSet): string[] {
    const listed = readLoadBalancers(replicaSet);
    if (!listed.ok) fail('invalid', `${replicaSet.metadata.name}: ${listed.message}`);
    return listed.value.map((entry) => {
      const parsed = parseLoadBalancerName(entry);
      if (!parsed.ok) fail('invalid', `${replicaSet.metadata.name}: ${parsed.message}`);
      return parsed.value.name;
    });
  }

  /** The same, for a description: what cannot be read routes nothing. */
  function describedServiceNames(replicaSet: ReplicaSet): string[] {
    const listed = readLoadBalancers(replicaSet);
    if (!listed.ok) return [];
    return listed.value.flatMap((entry) => {
      const parsed = parseLoadBalancerName(entry);
      return parsed.ok ? [parsed.value.name] : [];
    });
  }

  /** The live pods a ReplicaSet owns (by its selector, then by owner reference, as clouddriver's `HasPods`). */
  async function podsOf(namespace: string, replicaSet: ReplicaSet, what: string): Promise<Pod[]> {
    const listed = await list<Pod>(what, pods(namespace), workloadPodSelector(replicaSet));
    return ownedPods(replicaSet, listed) as Pod[];
  }

  function describe(ref: ClusterRef, replicaSet: ReplicaSet, owned: readonly Pod[], serviceObjects: ReadonlyMap<string, KubernetesObject>): ServerGroupDescription {
    const annotations = replicaSet.metadata.annotations ?? {};
    const replicas = replicaSet.spec?.replicas ?? 1;
    let capacity: Capacity = { min: replicas, max: replicas, desired: replicas };
    try {
      const kept = JSON.parse(annotations[CAPACITY_ANNOTATION] ?? 'null') as { min?: unknown; max?: unknown } | null;
      if (kept && typeof kept.min === 'number' && typeof kept.max === 'number') capacity = { min: Math.min(kept.min, replicas), max: Math.max(kept.max, replicas), desired: replicas };
    } catch {
      // Not ours to fix: a hand-edited annotation falls back to the replicas.
    }
    const serviceNames = describedServiceNames(replicaSet);
    // Clouddriver's view: disabled when it names load balancers and none of them selects it.
    const disabled = serviceNames.length > 0 && !serviceNames.some((name) => {
      const service = serviceObjects.get(name);
      return service !== undefined && isSelectedBy(replicaSet, service);
    });
    const container = replicaSet.spec?.template?.spec?.containers?.[0];
    const port = container?.ports?.[0]?.containerPort;
    const instances: InstanceDescription[] = owned.map((pod) => ({
      id: pod.metadata.name,
      health: healthOf(pod),
      launchedTime: epochMs(pod.metadata.creationTimestamp),
      ...(pod.status?.podIP ? { address: port !== undefined ? `${pod.status.podIP}:${port}` : pod.status.podIP } : {}),
    }));
    return {
      name: replicaSet.metadata.name,
      cluster: ref.cluster,
      account,
      location: ref.location,
      createdTime: epochMs(replicaSet.metadata.creationTimestamp),
      capacity,
      disabled,
      instances,
      ...(container?.image ? { artifact: { type: 'docker/image', reference: container.image } } : {}),
      ...(annotations[OWNER_ANNOTATION] ? { owner: annotations[OWNER_ANNOTATION] } : {}),
    };
  }

  async function describeCluster(ref: ClusterRef): Promise<DescribeResult> {
    try {
      allow(ref.location);
      const what = `describing cluster ${ref.cluster} in ${account}/${ref.location}`;
      const parsed = parseServerGroupName(ref.cluster);
      // Clouddriver labels every ReplicaSet with its application: narrow the list by it.
      const selector = parsed ? `${LABELS.name}=${parsed.app}` : undefined;
      const members = (await list<ReplicaSet>(what, replicaSets(ref.location), selector))
        .filter((replicaSet) => replicaSet.metadata.annotations?.[ANNOTATIONS.cluster] === ref.cluster)
        .sort((a, b) => epochMs(a.metadata.creationTimestamp) - epochMs(b.metadata.creationTimestamp) || a.metadata.name.localeCompare(b.metadata.name));
      const allPods = members.length > 0 ? await list<Pod>(what, pods(ref.location), selector) : [];
      const serviceNames = [...new Set(members.flatMap(describedServiceNames))];
      const serviceObjects = new Map<string, KubernetesObject>();
      for (const name of serviceNames) {
        const service = await readOrNone<KubernetesObject>(`${what} (reading ${objectName('service', ref.location, name)})`, services(ref.location, name));
        if (service) serviceObjects.set(name, service);
      }
      const serverGroups = members.map((replicaSet) =>
        describe(
          ref,
          replicaSet,
          allPods.filter((pod) => pod.metadata.ownerReferences?.some((owner) => owner.uid !== undefined && owner.uid === replicaSet.metadata.uid)),
          serviceObjects,
        ),
      );
      return { ok: true, cluster: { account: ref.account, location: ref.location, cluster: ref.cluster, serverGroups } };
    } catch (error) {
      if (error instanceof Halt) return error.failure;
      throw error;
    }
  }

  async function create(request: CreateServerGroupRequest): Promise<OperationResult> {
    if (request.owner.trim() === '') fail('invalid', `creating ${request.name} needs an owner token (execution/stage/step); none was given`);
    if (!validCapacity(request.capacity)) {
      fail('invalid', `capacity ${JSON.stringify(request.capacity)} of ${request.name} is impossible; give whole numbers with min <= desired <= max`);
    }
    const artifact = request.artifact;
    if (!artifact) fail('invalid', `creating ${request.name} needs a docker/image artifact (the image its pods run); none was given`);
    if (artifact.type !== 'docker/image') fail('unsupported', `artifact type '${artifact.type}' cannot run on Kubernetes; give a docker/image artifact`);
    const parsedName = parseServerGroupName(request.name);
    if (!parsedName || parsedName.sequence === undefined || parsedName.cluster !== request.cluster) {
      fail('invalid', `server group name '${request.name}' is not '${request.cluster}-vNNN'; name it after its cluster with a version`);
    }
    const parsedConfig = parseKubernetesClusterConfig(request.provider);
    if (!parsedConfig.ok) fail('invalid', parsedConfig.message);
    const config = parsedConfig.config;
    const namespace = request.location;
    allow(namespace);
    const what = `creating ${objectName('replicaSet', namespace, request.name)}`;

    const moniker: Moniker = {
      app: parsedName.app,
      cluster: request.cluster,
      ...(parsedName.stack ? { stack: parsedName.stack } : {}),
      ...(parsedName.detail ? { detail: parsedName.detail } : {}),
      sequence: parsedName.sequence,
    };
    const container = {
      name: config.containerName ?? parsedName.app.toLowerCase().replace(/[^a-z0-9-]/g, '-'),
      image: artifact.reference,
      ...(config.command ? { command: [...config.command] } : {}),
      ...(config.args ? { args: [...config.args] } : {}),
      ...(config.containerPort !== undefined ? { ports: [{ containerPort: config.containerPort }] } : {}),
      ...(Object.keys(config.env).length > 0 ? { env: Object.entries(config.env).map(([name, value]) => ({ name, value })) } : {}),
    };
    const bare: KubernetesObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: request.name,
        namespace,
        annotations: { [OWNER_ANNOTATION]: request.owner, [CAPACITY_ANNOTATION]: JSON.stringify({ min: request.capacity.min, max: request.capacity.max }) },
      },
      spec: {
        replicas: request.capacity.desired,
        // The server-group label keeps each version's selector to its own pods.
        selector: { matchLabels: { [LABELS.name]: parsedName.app, [SERVER_GROUP_LABEL]: request.name } },
        template: { metadata: { labels: { [SERVER_GROUP_LABEL]: request.name } }, spec: { containers: [container] } },
      },
    };
    // Clouddriver's labeler and annotater, then its load-balancer annotation and Service attach.
    const labelled = labelManifest(bare, moniker);
    const annotated = annotateManifest(labelled, { moniker, artifact: manifestArtifact(labelled, request.cluster, parsedName.sequence) });
    const withBalancers = setLoadBalancers(annotated, config.services.map((name) => `service ${name}`));
    if (!withBalancers.ok) fail('invalid', withBalancers.message);
    const serviceObjects = await servicesNamed(namespace, config.services, what);
    // The selector rule holds out of traffic too: the enable to come would break it.
    const attached = attachServices(withBalancers.value, [...serviceObjects.values()]);
    if (!attached.ok) fail('invalid', attached.message);
    const replicaSet = request.disabled === true ? withBalancers.value : attached.value;
    try {
      await connection.rest.send({ method: 'POST', path: replicaSets(namespace), body: replicaSet });
      return DONE;
    } catch (error) {
      const failure = kubernetesFailure(error, what);
      if (failure.reason !== 'already-exists') throw new Halt(portFailure(failure));
    }
    // Taken: ours (a retried or twice-delivered step) or someone else's.
    const existing = await readOrNone<ReplicaSet>(what, replicaSets(namespace, request.name));
    if (existing?.metadata.annotations?.[OWNER_ANNOTATION] === request.owner) return ALREADY_DONE;
    return fail('already-exists', `server group ${request.name} already exists in ${account}/${namespace} and was made by another ${existing?.metadata.annotations?.[OWNER_ANNOTATION] ? 'step' : 'tool'}; deploy the next version instead`);
  }

  async function resize(ref: ServerGroupRef, capacity: Capacity): Promise<OperationResult> {
    if (!validCapacity(capacity)) fail('invalid', `capacity ${JSON.stringify(capacity)} of ${ref.serverGroup} is impossible; give whole numbers with min <= desired <= max`);
    const replicaSet = await replicaSetOf(ref, 'resizing');
    const kept = JSON.stringify({ min: capacity.min, max: capacity.max });
    if (replicaSet.spec?.replicas === capacity.desired && replicaSet.metadata.annotations?.[CAPACITY_ANNOTATION] === kept) return ALREADY_DONE;
    // One merge patch: replicas and the kept bounds change together.
    await call(`resizing ${objectName('replicaSet', ref.location, ref.serverGroup)}`, {
      method: 'PATCH',
      path: replicaSets(ref.location, ref.serverGroup),
      body: { metadata: { annotations: { [CAPACITY_ANNOTATION]: kept } }, spec: { replicas: capacity.desired } },
      contentType: 'application/merge-patch+json',
    });
    return DONE;
  }

  async function destroy(ref: ServerGroupRef, owner: OwnerToken): Promise<OperationResult> {
    const key = `${ref.location}/${ref.serverGroup}`;
    allow(ref.location);
    const what = `destroying ${objectName('replicaSet', ref.location, ref.serverGroup)}`;
    const replicaSet = await readOrNone<ReplicaSet>(what, replicaSets(ref.location, ref.serverGroup));
    if (!replicaSet || replicaSet.metadata.deletionTimestamp !== undefined) {
      if (destroyedBy.get(key) === owner) return ALREADY_DONE;
      if (!replicaSet) fail('not-found', `server group ${ref.serverGroup} does not exist in ${account}/${ref.location}`);
      return ALREADY_DONE;
    }
    destroyedBy.set(key, owner);
    try {
      // Background: the ReplicaSet goes now, its pods after it (kubectl delete's default cascade).
      await connection.rest.send({ method: 'DELETE', path: replicaSets(ref.location, ref.serverGroup), query: { propagationPolicy: 'Background' } });
    } catch (error) {
      const failure = kubernetesFailure(error, what);
      if (failure.reason === 'not-found') return ALREADY_DONE;
      throw new Halt(portFailure(failure));
    }
    return DONE;
  }

  /** Enable or disable: the Services' selector labels onto (or off) the pod template, then every pod it owns. */
  async function switchTraffic(ref: ServerGroupRef, enable: boolean): Promise<OperationResult> {
    const verb = enable ? 'enabling' : 'disabling';
    const replicaSet = await replicaSetOf(ref, verb);
    const serviceNames = serviceNamesOf(replicaSet);
    if (serviceNames.length === 0) {
      if (enable) return ALREADY_DONE;
      fail('invalid', `server group ${ref.serverGroup} names no Service (${ANNOTATIONS.loadBalancers}), so nothing routes to it to take away; add loadBalancers when deploying it`);
    }
    const what = `${verb} ${objectName('replicaSet', ref.location, ref.serverGroup)}`;
    const serviceObjects = [...(await servicesNamed(ref.location, serviceNames, what)).values()];
    /** Clouddriver's patches for one object and every Service: add or replace each selector key to enable, remove it to disable. */
    const patchFor = (object: KubernetesObject): JsonPatchOperation[] =>
      serviceObjects.flatMap((service) => (enable ? (isSelectedBy(object, service) ? [] : enablePatch(object, service)) : disablePatch(object, service)));
    let changed = false;
    const templateOps = patchFor(replicaSet);
    if (templateOps.length > 0) {
      await call(what, { method: 'PATCH', path: replicaSets(ref.location, ref.serverGroup), body: templateOps, contentType: 'application/json-patch+json' });
      changed = true;
    }
    // A ReplicaSet never relabels the pods it already has: each live pod gets the same patch.
    for (const pod of await podsOf(ref.location, replicaSet, what)) {
      if (pod.metadata.deletionTimestamp !== undefined) continue;
      const operations = patchFor(pod);
      if (operations.length === 0) continue;
      try {
        await connection.rest.send({ method: 'PATCH', path: pods(ref.location, pod.metadata.name), body: operations, contentType: 'application/json-patch+json' });
        changed = true;
      } catch (error) {
        const failure = kubernetesFailure(error, `${what} (pod ${pod.metadata.name})`);
        // A pod gone meanwhile takes no traffic either way.
        if (failure.reason !== 'not-found') throw new Halt(portFailure(failure));
      }
    }
    return changed ? DONE : ALREADY_DONE;
  }

  const serverGroups: ServerGroupPort = {
    capabilities: { resize: true, artifactTypes: ['docker/image'] },
    create: (request) => guarded(() => create(request)),
    resize: (ref, capacity) => guarded(() => resize(ref, capacity)),
    destroy: (ref, sideEffect) => guarded(() => destroy(ref, sideEffect.owner)),
    describeCluster,
  };

  const traffic: TrafficPort = {
    capabilities: { weights: false, maxWeightedServerGroups: 0, partialDisable: false, drains: false },
    enable: (ref) => guarded(() => switchTraffic(ref, true)),
    disable: (ref, disableOptions) =>
      guarded(async () => {
        const share = disableOptions.desiredPercentage;
        if (share !== undefined && (!Number.isFinite(share) || share <= 0 || share > 100)) fail('invalid', `desiredPercentage is ${share}; give 1-100`);
        if (share !== undefined && share < 100) {
          fail('unsupported', `a Service selects whole ReplicaSets on Kubernetes: desiredPercentage ${share} cannot take part of ${ref.serverGroup} out of traffic; disable all of it (100)`);
        }
        return switchTraffic(ref, false);
      }),
    setWeights: async () => ({ ok: false, reason: 'unsupported', message: 'Kubernetes Services have no traffic weights (a selector takes a whole ReplicaSet or none); use enable and disable, or a service mesh' }),
    verifyWeights: async () => ({ ok: false, reason: 'unsupported', message: 'Kubernetes Services have no traffic weights to read back' }),
  };

  return { cloudProvider: 'kubernetes', serverGroups, traffic, manifests };
}
