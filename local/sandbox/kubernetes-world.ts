/**
 * The Kubernetes world a pipeline assumes, read from its JSON (the AWS half is in world.ts): the
 * Kubernetes accounts its manifest stages name, the namespaces they use, the Services they route
 * traffic through without deploying them (`trafficManagement.options.services`, the
 * `traffic.spinnaker.io/load-balancers` annotation), and the versioned workloads whose earlier
 * version a later stage acts on (a dynamic `second_newest` target, a red/black that disables the
 * previous ReplicaSet). `--sandbox` seeds exactly these before the run, so a production pipeline
 * runs offline unchanged; anything else stays unknown and fails as the cluster would fail it.
 */
import { withParameters } from './world.ts';

/** The selector key a seeded Service picks its pods by: fixed, and disjoint from any workload's own labels. */
export const SEEDED_SERVICE_SELECTOR_KEY = 'frontedBy';

/** A Kubernetes account a pipeline names, with the namespaces its stages use. */
export interface AssumedKubernetesAccount {
  readonly name: string;
  readonly namespaces: readonly string[];
}

/** A Service the pipeline sends traffic through but does not deploy. */
export interface AssumedService {
  readonly account: string;
  readonly namespace: string;
  readonly name: string;
  /** The container port of the workloads behind it, when a manifest says (the Service's target port). */
  readonly port?: number;
}

/**
 * A versioned workload a later stage expects an earlier version of (the `-v000` a red/black or a
 * dynamic `second_newest` target acts on): the sandbox applies the manifest as it stands once
 * before the run, with Spinnaker's annotations, so the run has a previous version to replace.
 */
export interface AssumedPreviousVersion {
  readonly account: string;
  readonly namespace: string;
  /** The manifest as the pipeline writes it, parameters resolved. */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** The stage's `moniker` (application at least). */
  readonly moniker: Readonly<Record<string, unknown>>;
  /** Services it joins, as `service <name>`. */
  readonly services: readonly string[];
}

/**
 * A manifest a `deployManifest` reads from an artifact account (`source: artifact`: the default
 * artifact of the expected artifact `manifestArtifactId` names, or an inline `manifestArtifact`):
 * the sandbox serves a Deployment made from the stage (its moniker cluster, its namespace, the
 * images its `requiredArtifactIds` bind), so the stage's own artifact binding runs as on a real one.
 */
export interface AssumedManifestArtifact {
  readonly artifactAccount: string;
  readonly type: string;
  readonly reference: string;
  readonly version?: string;
  readonly namespace: string;
  /** The workload's name: the stage's moniker cluster, else the document's file name. */
  readonly name: string;
  /** The images of its containers: the names of the docker/image artifacts the stage binds, else one made up. */
  readonly images: readonly string[];
}

export interface AssumedKubernetesWorld {
  readonly accounts: readonly AssumedKubernetesAccount[];
  readonly services: readonly AssumedService[];
  readonly previousVersions: readonly AssumedPreviousVersion[];
  readonly manifestArtifacts: readonly AssumedManifestArtifact[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' && !value.includes('${') ? value.trim() : undefined);

/** Stage types of Spinnaker's Kubernetes provider that name an account and a namespace. */
const MANIFEST_STAGES = new Set([
  'deployManifest',
  'deleteManifest',
  'patchManifest',
  'scaleManifest',
  'undoRolloutManifest',
  'enableManifest',
  'disableManifest',
  'findArtifactsFromResource',
  'runJobManifest',
  'rollingRestartManifest',
  'pauseRolloutManifest',
  'resumeRolloutManifest',
]);

/** Kinds Spinnaker versions by default (`-v000` names). */
const VERSIONED_KINDS = new Set(['replicaset', 'configmap', 'secret', 'pod']);

/** Whether a stage is one of Kubernetes': its type, or a `runJob` with `cloudProvider: kubernetes`. */
function isKubernetesStage(stage: Record<string, unknown>): boolean {
  if (typeof stage['type'] === 'string' && MANIFEST_STAGES.has(stage['type'])) return true;
  return stage['type'] === 'runJob' && stage['cloudProvider'] === 'kubernetes';
}

function annotationsOf(manifest: Record<string, unknown>): Record<string, unknown> {
  const metadata = isObject(manifest['metadata']) ? manifest['metadata'] : {};
  return isObject(metadata['annotations']) ? metadata['annotations'] : {};
}

/** `["service a", "service b"]` from the annotation's JSON text; what does not parse names nothing. */
function loadBalancersOf(manifest: Record<string, unknown>): string[] {
  const raw = annotationsOf(manifest)['traffic.spinnaker.io/load-balancers'];
  if (typeof raw !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((entry): entry is string => typeof entry === 'string') : [];
  } catch {
    return [];
  }
}

/** `service web` → `web`; other kinds are not Services. */
function serviceName(reference: string): string | undefined {
  const match = /^\s*service\s+(\S+)\s*$/i.exec(reference);
  return match?.[1];
}

function isVersioned(manifest: Record<string, unknown>): boolean {
  const flag = annotationsOf(manifest)['strategy.spinnaker.io/versioned'];
  if (flag === 'false') return false;
  if (flag === 'true') return true;
  return typeof manifest['kind'] === 'string' && VERSIONED_KINDS.has(manifest['kind'].toLowerCase());
}

/** The first container port of a workload's pod template, if written as a number. */
function containerPortOf(manifest: Record<string, unknown>): number | undefined {
  const spec = isObject(manifest['spec']) ? manifest['spec'] : {};
  const template = isObject(spec['template']) ? spec['template'] : {};
  const podSpec = isObject(template['spec']) ? template['spec'] : {};
  for (const container of Array.isArray(podSpec['containers']) ? podSpec['containers'] : []) {
    for (const port of isObject(container) && Array.isArray(container['ports']) ? container['ports'] : []) {
      if (isObject(port) && typeof port['containerPort'] === 'number') return port['containerPort'];
    }
  }
  return undefined;
}

/** What the Kubernetes stages of these pipelines assume exists; `parameters` are the run's, over each pipeline's defaults. */
export function assumedKubernetesWorld(pipelines: readonly unknown[], parameters: Readonly<Record<string, string>> = {}): AssumedKubernetesWorld {
  const accounts = new Map<string, Set<string>>();
  const services = new Map<string, AssumedService>();
  const deployedServices = new Set<string>();
  const previousVersions: AssumedPreviousVersion[] = [];
  const manifestArtifacts: AssumedManifestArtifact[] = [];
  const useNamespace = (account: string, namespace: string) => {
    const namespaces = accounts.get(account) ?? new Set<string>();
    namespaces.add(namespace);
    accounts.set(account, namespaces);
  };
  const key = (account: string, namespace: string, name: string) => `${account}|${namespace}|${name}`;

  for (const given of pipelines) {
    const pipeline = withParameters(given, parameters);
    const stages = isObject(pipeline) && Array.isArray(pipeline['stages']) ? pipeline['stages'].filter(isObject) : [];
    const application = isObject(pipeline) ? text(pipeline['application']) : undefined;
    const expectedArtifacts = isObject(pipeline) && Array.isArray(pipeline['expectedArtifacts']) ? pipeline['expectedArtifacts'].filter(isObject) : [];
    const expected = (id: unknown) => expectedArtifacts.find((candidate) => candidate['id'] === id);
    // Stages that act on an earlier version of a cluster: dynamic targets other than the newest.
    const olderTargets = new Set(
      stages
        .filter((stage) => isKubernetesStage(stage) && stage['mode'] === 'dynamic' && text(stage['criteria']) !== undefined && text(stage['criteria']) !== 'newest')
        .map((stage) => `${text(stage['account']) ?? ''}|${(text(stage['cluster']) ?? '').toLowerCase()}`),
    );
    for (const stage of stages) {
      if (!isKubernetesStage(stage)) continue;
      const account = text(stage['account']) ?? text(stage['credentials']);
      if (!account) continue;
      const location = text(stage['location']);
      if (location) useNamespace(account, location);
      const override = text(stage['namespaceOverride']) ?? text(stage['namespace']);
      if (stage['type'] === 'deployManifest' && stage['source'] === 'artifact') {
        const assumed = manifestArtifactOf(stage, expected, override ?? 'default');
        if (assumed && !manifestArtifacts.some((other) => other.artifactAccount === assumed.artifactAccount && other.type === assumed.type && other.reference === assumed.reference)) manifestArtifacts.push(assumed);
        useNamespace(account, override ?? 'default');
      }
      const traffic = isObject(stage['trafficManagement']) ? stage['trafficManagement'] : {};
      const options = isObject(traffic['options']) ? traffic['options'] : {};
      const trafficNamespace = text(options['namespace']);
      if (trafficNamespace) useNamespace(account, trafficNamespace);
      const manifests = stage['type'] === 'deployManifest' && stage['source'] !== 'artifact' && Array.isArray(stage['manifests']) ? stage['manifests'].filter(isObject) : [];
      if (manifests.length === 0 && !location && !override && !trafficNamespace) useNamespace(account, 'default');
      for (const manifest of manifests) {
        const metadata = isObject(manifest['metadata']) ? manifest['metadata'] : {};
        const namespace = override ?? text(metadata['namespace']) ?? 'default';
        useNamespace(account, namespace);
        const name = text(metadata['name']);
        if (typeof manifest['kind'] === 'string' && manifest['kind'].toLowerCase() === 'service' && name) deployedServices.add(key(account, namespace, name));
        const routed = [...loadBalancersOf(manifest), ...(traffic['enabled'] === true && Array.isArray(options['services']) ? options['services'].filter((entry): entry is string => typeof entry === 'string') : [])];
        const port = containerPortOf(manifest);
        for (const reference of routed) {
          const service = serviceName(reference);
          const at = trafficNamespace ?? namespace;
          if (service && !services.has(key(account, at, service))) services.set(key(account, at, service), { account, namespace: at, name: service, ...(port !== undefined ? { port } : {}) });
        }
        const kind = typeof manifest['kind'] === 'string' ? manifest['kind'] : '';
        const cluster = `${kind.charAt(0).toLowerCase()}${kind.slice(1)} ${name ?? ''}`.toLowerCase();
        const moniker = isObject(stage['moniker']) ? stage['moniker'] : application ? { app: application } : {};
        const replaced = routed.length > 0 && (traffic['enabled'] === true || olderTargets.has(`${account}|${cluster}`));
        if (name && isVersioned(manifest) && (replaced || olderTargets.has(`${account}|${cluster}`))) {
          previousVersions.push({ account, namespace, manifest: { ...manifest, metadata: { ...metadata, namespace } }, moniker, services: routed });
        }
      }
    }
  }
  return {
    accounts: [...accounts.entries()].map(([name, namespaces]) => ({ name, namespaces: [...namespaces].sort() })).sort((a, b) => a.name.localeCompare(b.name)),
    services: [...services.entries()].filter(([at]) => !deployedServices.has(at)).map(([, service]) => service),
    previousVersions,
    manifestArtifacts,
  };
}

/** The manifest artifact a `source: artifact` deploy reads through an account, when a run binds it without a trigger. */
function manifestArtifactOf(stage: Record<string, unknown>, expected: (id: unknown) => Record<string, unknown> | undefined, namespace: string): AssumedManifestArtifact | undefined {
  const declared = expected(stage['manifestArtifactId']);
  // A manual run binds an expected artifact to its default only; one the trigger must bring stays unbound, as in Spinnaker.
  const artifact = declared !== undefined ? (declared['useDefaultArtifact'] === true && isObject(declared['defaultArtifact']) ? declared['defaultArtifact'] : undefined) : isObject(stage['manifestArtifact']) ? stage['manifestArtifact'] : undefined;
  if (artifact === undefined) return undefined;
  const type = text(artifact['type']);
  const reference = text(artifact['reference']) ?? text(artifact['name']);
  const artifactAccount = text(stage['manifestArtifactAccount']) ?? text(artifact['artifactAccount']);
  if (!type || type === 'embedded/base64' || !reference || !artifactAccount) return undefined;
  const moniker = isObject(stage['moniker']) ? stage['moniker'] : {};
  const file = (reference.split('/').pop() ?? reference).replace(/\.(ya?ml|json)$/i, '');
  const name = (text(moniker['cluster']) ?? file).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'app';
  const required = Array.isArray(stage['requiredArtifactIds']) ? stage['requiredArtifactIds'] : [];
  const images = required
    .map((id) => expected(id))
    .map((bound) => (bound && isObject(bound['matchArtifact']) && bound['matchArtifact']['type'] === 'docker/image' ? text(bound['matchArtifact']['name']) : undefined))
    .filter((image): image is string => image !== undefined);
  const version = text(artifact['version']);
  return { artifactAccount, type, reference, ...(version ? { version } : {}), namespace, name, images: images.length > 0 ? images : [`registry.example/${name}`] };
}
