/**
 * What `deployManifest` applies, computed without I/O (clouddriver's
 * KubernetesDeployManifestOperation, reference/cloud-targets.md §6.2): the manifests sorted by
 * deploy priority; each one's namespace resolved; artifacts bound (a versioned ConfigMap deployed
 * in the same stage binds into the workloads after it); the version chosen (reused when identical);
 * the artifact and moniker annotations and the labels written; `use-source-capacity` applied; the
 * traffic annotation set and the Services attached; the name resolved to `<name>-vNNN`. The caller
 * reads what this needs from the cluster first (deployReads) and hands it in.
 */
import type { KubernetesObject } from '../../ports/manifests.ts';
import { annotateManifest, labelManifest, readLoadBalancers, readStrategy, setLoadBalancers, type ManifestArtifact, type ManifestStrategy, type Moniker } from './annotations.ts';
import { artifactKey, bindArtifacts, manifestArtifact, type BindableArtifact } from './artifacts.ts';
import { formatManifestName, propertiesOf, sortByDeployPriority } from './kinds.ts';
import { cloneJson, isJsonObject, kindOf, nameOf, namespaceOf, replicasOf, stringField, withMetadata, type Json } from './objects.ts';
import { attachServices, parseLoadBalancerName } from './traffic.ts';
import { chooseVersion, isVersioned, versionsOf } from './versions.ts';

/** Orca's trafficManagement strategies (`DeployManifestContext`). */
export const TRAFFIC_STRATEGIES = ['redblack', 'bluegreen', 'highlander', 'none'] as const;
export type TrafficStrategy = (typeof TRAFFIC_STRATEGIES)[number];

/** What the stage asks for. */
export interface DeployRequest {
  readonly account: string;
  readonly manifests: readonly KubernetesObject[];
  /** The stage's moniker (`app` at least); the cluster defaults per manifest to `"<kind> <name>"`. */
  readonly moniker: Omit<Moniker, 'sequence'>;
  /** Every namespaced manifest goes here (`namespaceOverride`). */
  readonly namespaceOverride?: string;
  /** Where a manifest without a namespace goes (the account's default namespace). */
  readonly defaultNamespace: string;
  /** Artifacts to bind: the stage's required artifacts, then the execution's optional ones. */
  readonly artifacts: readonly BindableArtifact[];
  /** Required artifacts: each must bind into some manifest. */
  readonly requiredArtifacts: readonly BindableArtifact[];
  /** `trafficManagement.options.services`, when traffic management is enabled. */
  readonly services: readonly string[];
  /** Attach the Services (Orca: true unless traffic management is enabled without `enableTraffic`). */
  readonly enableTraffic: boolean;
  readonly strategy: TrafficStrategy;
  readonly skipSpecTemplateLabels?: boolean;
  /** The stage's own `versioned` override, below the annotation. */
  readonly versioned?: boolean;
}

/** What deployReads asks the caller to read from the cluster. */
export interface DeployReads {
  /** Every object of a kind in a namespace: the live versions (and the source capacity). */
  readonly lists: ReadonlyArray<{ readonly kind: string; readonly apiVersion?: string; readonly namespace: string }>;
  /** Services to attach that the request does not carry. */
  readonly services: ReadonlyArray<{ readonly namespace: string; readonly name: string }>;
}

/** What the caller read, keyed by `listKey` / `serviceKey`. */
export interface DeployReadResults {
  readonly lists: ReadonlyMap<string, readonly KubernetesObject[]>;
  readonly services: ReadonlyMap<string, KubernetesObject | undefined>;
}

export const listKey = (kind: string, namespace: string): string => `${kind.toLowerCase()}/${namespace}`;
export const serviceKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** One manifest ready to apply. */
export interface PreparedManifest {
  /** The manifest to apply, its name resolved (`web-v003`). */
  readonly manifest: KubernetesObject;
  /** `"replicaSet web-v003"`. */
  readonly manifestName: string;
  readonly namespace: string;
  /** The name as written (`web`). */
  readonly baseName: string;
  readonly artifact: ManifestArtifact;
  readonly strategy: ManifestStrategy;
  readonly version?: number;
  /** An identical version is deployed already and is applied again as it is. */
  readonly reused: boolean;
}

export interface PreparedDeploy {
  readonly manifests: readonly PreparedManifest[];
  readonly boundArtifacts: readonly BindableArtifact[];
  readonly createdArtifacts: readonly ManifestArtifact[];
}

export type PrepareResult = { readonly ok: true; readonly value: PreparedDeploy } | { readonly ok: false; readonly message: string };

/** The namespace a manifest deploys to: the override, its own, or the default; none for cluster-scoped kinds. */
export function resolveNamespace(manifest: KubernetesObject, namespaceOverride: string | undefined, defaultNamespace: string): string {
  if (!propertiesOf(kindOf(manifest) ?? '').namespaced) return '';
  if (namespaceOverride !== undefined && namespaceOverride.trim() !== '') return namespaceOverride.trim();
  return namespaceOf(manifest) ?? defaultNamespace;
}

function withNamespace(manifest: KubernetesObject, namespace: string): KubernetesObject {
  if (namespace === '' || namespaceOf(manifest) === namespace) return manifest;
  const { object, metadata } = withMetadata(manifest);
  metadata['namespace'] = namespace;
  return object;
}

function withName(manifest: KubernetesObject, name: string): KubernetesObject {
  const { object, metadata } = withMetadata(manifest);
  metadata['name'] = name;
  return object;
}

function withReplicas(manifest: KubernetesObject, replicas: number): KubernetesObject {
  const copy = cloneJson(manifest) as Json;
  const spec = isJsonObject(copy['spec']) ? copy['spec'] : {};
  spec['replicas'] = replicas;
  copy['spec'] = spec;
  return copy;
}

/** The load balancers a manifest attaches: the stage's services, else its annotation. */
function loadBalancersOf(manifest: KubernetesObject, request: DeployRequest): { ok: true; value: readonly string[] } | { ok: false; message: string } {
  if (request.services.length > 0) return { ok: true, value: request.services };
  return readLoadBalancers(manifest);
}

/** What prepareDeploy needs read from the cluster for this request. */
export function deployReads(request: DeployRequest): DeployReads {
  const lists = new Map<string, { kind: string; apiVersion?: string; namespace: string }>();
  const services = new Map<string, { namespace: string; name: string }>();
  const given = new Set(request.manifests.filter((manifest) => kindOf(manifest)?.toLowerCase() === 'service').map((manifest) => serviceKey(resolveNamespace(manifest, request.namespaceOverride, request.defaultNamespace), nameOf(manifest) ?? '')));
  for (const manifest of request.manifests) {
    const kind = kindOf(manifest) ?? '';
    const namespace = resolveNamespace(manifest, request.namespaceOverride, request.defaultNamespace);
    if (isVersioned(manifest, request.versioned) || readStrategy(manifest).useSourceCapacity) {
      const apiVersion = stringField(manifest, 'apiVersion');
      lists.set(listKey(kind, namespace), { kind, ...(apiVersion !== undefined ? { apiVersion } : {}), namespace });
    }
    if (!request.enableTraffic || !propertiesOf(kind).receivesTraffic) continue;
    const balancers = loadBalancersOf(manifest, request);
    if (!balancers.ok) continue;
    for (const text of balancers.value) {
      const parsed = parseLoadBalancerName(text);
      if (!parsed.ok) continue;
      const key = serviceKey(namespace, parsed.value.name);
      if (!given.has(key)) services.set(key, { namespace, name: parsed.value.name });
    }
  }
  return { lists: [...lists.values()], services: [...services.values()] };
}

/** clouddriver's validateAnnotationsForRolloutStrategies, with the field and the fix. */
export function maxVersionHistoryProblem(manifest: KubernetesObject, strategy: TrafficStrategy): string | undefined {
  const max = readStrategy(manifest).maxVersionHistory;
  if ((strategy === 'redblack' || strategy === 'bluegreen') && max !== undefined && max < 2) {
    return `${formatManifestName(kindOf(manifest) ?? '', nameOf(manifest) ?? '')}: strategy.spinnaker.io/max-version-history is "${max}", which conflicts with the behavior of the Red/Black rollout strategy (it keeps the previous version to roll back to); set it to 2 or more`;
  }
  return undefined;
}

/**
 * Prepares every manifest of a deploy (see the module comment). Fails, with one line naming the
 * manifest, on clouddriver's errors: a max-version-history below 2 with red/black, a traffic
 * annotation that disagrees with the stage's services, a load balancer that is not a Service or
 * does not exist, a selector overlapping the workload's labels, a required artifact left unbound.
 */
export function prepareDeploy(request: DeployRequest, reads: DeployReadResults): PrepareResult {
  const artifacts = new Map<string, BindableArtifact>();
  for (const artifact of request.artifacts) if (!artifacts.has(artifactKey(artifact))) artifacts.set(artifactKey(artifact), artifact);
  const bound: BindableArtifact[] = [];
  const prepared: PreparedManifest[] = [];
  const inRequest = request.manifests.map((manifest) => withNamespace(manifest, resolveNamespace(manifest, request.namespaceOverride, request.defaultNamespace)));

  for (const original of sortByDeployPriority(inRequest)) {
    const kind = kindOf(original) ?? '';
    const baseName = nameOf(original) ?? '';
    const label = formatManifestName(kind, baseName, stringField(original, 'apiVersion'));
    const namespace = namespaceOf(original) ?? '';
    const problem = maxVersionHistoryProblem(original, request.strategy);
    if (problem) return { ok: false, message: problem };

    const binding = bindArtifacts(original, [...artifacts.values()]);
    for (const artifact of binding.bound) if (!bound.some((known) => artifactKey(known) === artifactKey(artifact))) bound.push(artifact);
    let manifest = binding.manifest;
    const strategy = readStrategy(manifest);
    const versioned = isVersioned(manifest, request.versioned);
    const live = reads.lists.get(listKey(kind, namespace)) ?? [];

    const moniker = (sequence?: number): Moniker => ({ ...request.moniker, cluster: request.moniker.cluster !== undefined && request.moniker.cluster !== '' ? request.moniker.cluster : label, ...(sequence !== undefined ? { sequence } : {}) });

    if (strategy.useSourceCapacity && replicasOf(manifest) !== undefined) {
      const source = versioned ? versionsOf(baseName, live).at(-1)?.object : live.find((object) => nameOf(object) === baseName);
      const replicas = source === undefined ? undefined : replicasOf(source);
      if (replicas !== undefined) manifest = withReplicas(manifest, replicas);
    }

    if (propertiesOf(kind).receivesTraffic) {
      if (request.services.length > 0) {
        const annotated = setLoadBalancers(manifest, request.services);
        if (!annotated.ok) return { ok: false, message: `${label}: ${annotated.message}` };
        manifest = annotated.value;
      }
      if (request.enableTraffic) {
        const names = readLoadBalancers(manifest);
        if (!names.ok) return { ok: false, message: `${label}: ${names.message}` };
        const services: KubernetesObject[] = [];
        for (const text of names.value) {
          const parsed = parseLoadBalancerName(text);
          if (!parsed.ok) return { ok: false, message: `${label}: ${parsed.message}` };
          const key = serviceKey(namespace, parsed.value.name);
          const service = inRequest.find((candidate) => kindOf(candidate)?.toLowerCase() === 'service' && nameOf(candidate) === parsed.value.name && (namespaceOf(candidate) ?? '') === namespace) ?? reads.services.get(key);
          if (service === undefined) {
            return { ok: false, message: `${label}: Load balancer service ${parsed.value.name} does not exist in namespace '${namespace}' of account '${request.account}'; create the Service first (or deploy it in this stage), or fix the name` };
          }
          services.push(service);
        }
        const attached = attachServices(manifest, services);
        if (!attached.ok) return { ok: false, message: `${label}: ${attached.message}` };
        manifest = attached.value;
      }
    }

    const annotate = (version?: number) => {
      const artifact = manifestArtifact(manifest, baseName, version);
      const annotated = annotateManifest(manifest, { artifact, moniker: moniker(version) });
      return { artifact, manifest: labelManifest(annotated, moniker(version), { skipSpecTemplateLabels: request.skipSpecTemplateLabels === true }) };
    };
    let version: number | undefined;
    let reused = false;
    if (versioned) {
      const choice = chooseVersion(annotate(undefined).manifest, baseName, live);
      version = choice.version;
      reused = choice.reused;
    }
    const final = annotate(version);
    const applied = withName(final.manifest, final.artifact.reference);
    // Artifacts made here replace any given ones of the same type, name and namespace.
    artifacts.set(artifactKey(final.artifact), final.artifact as unknown as BindableArtifact);
    prepared.push({
      manifest: applied,
      manifestName: formatManifestName(kind, final.artifact.reference, stringField(original, 'apiVersion')),
      namespace,
      baseName,
      artifact: final.artifact,
      strategy,
      ...(version !== undefined ? { version } : {}),
      reused,
    });
  }

  const unbound = request.requiredArtifacts.filter((required) => !bound.some((artifact) => artifactKey(artifact) === artifactKey(required)));
  if (unbound.length > 0) {
    const list = unbound.map((artifact) => `${artifact.type} ${artifact.name ?? artifact.reference ?? ''}`.trim()).join(', ');
    return {
      ok: false,
      message: `The following required artifacts could not be bound: ${list}. Check that the Docker image name above matches the name used in the image field of your manifest (its repository, without the tag); failing the stage as this is likely a configuration error`,
    };
  }
  return { ok: true, value: { manifests: prepared, boundArtifacts: bound, createdArtifacts: prepared.map((entry) => entry.artifact) } };
}

/** Orca's `outputs.manifestNamesByNamespace`: namespace → `"<kind> <name>"` of what was deployed. */
export function manifestNamesByNamespace(manifests: readonly Pick<PreparedManifest, 'namespace' | 'manifestName'>[]): Record<string, string[]> {
  const byNamespace: Record<string, string[]> = {};
  for (const entry of manifests) (byNamespace[entry.namespace] ??= []).push(entry.manifestName);
  return byNamespace;
}
