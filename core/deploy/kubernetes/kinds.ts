/**
 * Spinnaker's names for Kubernetes objects (reference/cloud-targets.md §1.1, §6): a manifest is
 * named `"<kind> <name>"` with clouddriver's lowerCamel kind (`"replicaSet web"`, `"service
 * my-svc"`), the kind resolves case-insensitively to the API's kind (`ReplicaSet`), and a custom
 * resource keeps its kind with its API group (`"VirtualService.networking.istio.io reviews"`).
 * Also what clouddriver's handlers declare per kind: the deploy priority, whether the kind is
 * versioned by default, whether it can receive traffic. Pure.
 */

/** What clouddriver's handler of a kind declares. */
export interface KindProperties {
  /** clouddriver's KubernetesKind name (`replicaSet`). */
  readonly spinnakerKind: string;
  /** The API's kind (`ReplicaSet`). */
  readonly apiKind: string;
  /** Lower deploys first (KubernetesHandler.DeployPriority). */
  readonly deployPriority: number;
  /** Versioned (`-v000` names) unless `strategy.spinnaker.io/versioned` says otherwise. */
  readonly versioned: boolean;
  /** A workload that Services can be attached to (CanReceiveTraffic). */
  readonly receivesTraffic: boolean;
  /** Whether objects of the kind live in a namespace. */
  readonly namespaced: boolean;
}

/** clouddriver's DeployPriority values: lower deploys first. */
export const DEPLOY_PRIORITY = {
  namespace: 0,
  role: 20,
  roleBinding: 30,
  resourceDefinition: 30,
  admission: 40,
  storageClass: 40,
  serviceAccount: 40,
  mountableDataBackingResource: 40,
  mountableData: 50,
  networkResource: 70,
  apiService: 80,
  podDisruptionBudget: 90,
  workload: 100,
  workloadController: 100,
  workloadAttachment: 110,
  lowest: 1000,
} as const;

const P = DEPLOY_PRIORITY;

function kind(spinnakerKind: string, apiKind: string, deployPriority: number, options: { versioned?: boolean; receivesTraffic?: boolean; namespaced?: boolean } = {}): KindProperties {
  return { spinnakerKind, apiKind, deployPriority, versioned: options.versioned ?? false, receivesTraffic: options.receivesTraffic ?? false, namespaced: options.namespaced ?? true };
}

/** The kinds clouddriver has a handler for, by their clouddriver name. */
export const KNOWN_KINDS: readonly KindProperties[] = [
  kind('namespace', 'Namespace', P.namespace, { namespaced: false }),
  kind('role', 'Role', P.role),
  kind('clusterRole', 'ClusterRole', P.role, { namespaced: false }),
  kind('roleBinding', 'RoleBinding', P.roleBinding),
  kind('clusterRoleBinding', 'ClusterRoleBinding', P.roleBinding, { namespaced: false }),
  kind('customResourceDefinition', 'CustomResourceDefinition', P.resourceDefinition, { namespaced: false }),
  kind('mutatingWebhookConfiguration', 'MutatingWebhookConfiguration', P.admission, { namespaced: false }),
  kind('validatingWebhookConfiguration', 'ValidatingWebhookConfiguration', P.admission, { namespaced: false }),
  kind('storageClass', 'StorageClass', P.storageClass, { namespaced: false }),
  kind('serviceAccount', 'ServiceAccount', P.serviceAccount),
  kind('persistentVolume', 'PersistentVolume', P.mountableDataBackingResource, { namespaced: false }),
  kind('configMap', 'ConfigMap', P.mountableData, { versioned: true }),
  kind('secret', 'Secret', P.mountableData, { versioned: true }),
  kind('persistentVolumeClaim', 'PersistentVolumeClaim', P.mountableData),
  kind('service', 'Service', P.networkResource),
  kind('ingress', 'Ingress', P.networkResource),
  kind('networkPolicy', 'NetworkPolicy', P.networkResource),
  kind('apiService', 'APIService', P.apiService, { namespaced: false }),
  kind('podDisruptionBudget', 'PodDisruptionBudget', P.podDisruptionBudget),
  kind('replicaSet', 'ReplicaSet', P.workload, { versioned: true, receivesTraffic: true }),
  kind('pod', 'Pod', P.workload, { versioned: true, receivesTraffic: true }),
  kind('statefulSet', 'StatefulSet', P.workload, { receivesTraffic: true }),
  kind('daemonSet', 'DaemonSet', P.workload, { receivesTraffic: true }),
  kind('job', 'Job', P.workload),
  kind('cronJob', 'CronJob', P.workload),
  kind('deployment', 'Deployment', P.workloadController, { receivesTraffic: true }),
  kind('horizontalpodautoscaler', 'HorizontalPodAutoscaler', P.workloadAttachment),
  kind('controllerRevision', 'ControllerRevision', P.lowest),
  kind('event', 'Event', P.lowest),
  kind('limitRange', 'LimitRange', P.lowest),
];

const BY_NAME = new Map<string, KindProperties>();
for (const entry of KNOWN_KINDS) {
  BY_NAME.set(entry.spinnakerKind.toLowerCase(), entry);
  BY_NAME.set(entry.apiKind.toLowerCase(), entry);
}

/** API groups of Kubernetes' own kinds: a kind with another group is a custom resource. */
const NATIVE_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'extensions',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'apiextensions.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiregistration.k8s.io',
]);

/** The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``). */
export function apiGroupOf(apiVersion: string | undefined): string {
  if (apiVersion === undefined) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** What clouddriver knows of a kind (any spelling: `replicaSet`, `ReplicaSet`, `replicaset`); undefined for custom resources. */
export function kindProperties(kind: string): KindProperties | undefined {
  return BY_NAME.get(kind.trim().toLowerCase());
}

/** The properties of a kind, with clouddriver's defaults for a custom resource (lowest priority, unversioned). */
export function propertiesOf(kind: string): KindProperties {
  const known = kindProperties(kind);
  if (known) return known;
  const { apiKind } = splitKind(kind);
  return { spinnakerKind: kind, apiKind, deployPriority: DEPLOY_PRIORITY.lowest, versioned: false, receivesTraffic: false, namespaced: true };
}

/** A kind as Spinnaker writes it, split: `VirtualService.networking.istio.io` → kind and group. */
export function splitKind(kind: string): { readonly apiKind: string; readonly group?: string } {
  const trimmed = kind.trim();
  const known = kindProperties(trimmed);
  if (known) return { apiKind: known.apiKind };
  const dot = trimmed.indexOf('.');
  if (dot < 0) return { apiKind: trimmed.charAt(0).toUpperCase() + trimmed.slice(1) };
  const head = trimmed.slice(0, dot);
  return { apiKind: head.charAt(0).toUpperCase() + head.slice(1), group: trimmed.slice(dot + 1) };
}

/** The API's kind for a kind as Spinnaker writes it (`replicaSet` → `ReplicaSet`, `VirtualService.networking.istio.io` → `VirtualService`). */
export function apiKindOf(kind: string): string {
  return splitKind(kind).apiKind;
}

/**
 * Spinnaker's kind for an object's kind (`ReplicaSet` → `replicaSet`); a custom resource keeps
 * its kind and gains its group (`VirtualService` of `networking.istio.io/v1` →
 * `VirtualService.networking.istio.io`), as clouddriver's KubernetesKind prints it.
 */
export function spinnakerKindOf(apiKind: string, apiVersion?: string): string {
  const known = kindProperties(apiKind);
  const group = apiGroupOf(apiVersion);
  if (known && NATIVE_GROUPS.has(group)) return known.spinnakerKind;
  if (known && apiVersion === undefined) return known.spinnakerKind;
  return group === '' || NATIVE_GROUPS.has(group) ? apiKind : `${apiKind}.${group}`;
}

/** A manifest name: Spinnaker's kind and the object's name. */
export interface ManifestName {
  /** As Spinnaker writes it (`replicaSet`); resolve with apiKindOf. */
  readonly kind: string;
  readonly name: string;
}

/** `"replicaSet web"` from a kind (either spelling) and a name; `apiVersion` names a custom resource's group. */
export function formatManifestName(kind: string, name: string, apiVersion?: string): string {
  return `${spinnakerKindOf(kindProperties(kind)?.apiKind ?? kind, apiVersion)} ${name}`;
}

export type ManifestNameResult = { readonly ok: true; readonly value: ManifestName } | { readonly ok: false; readonly message: string };

/**
 * Parses `"<kind> <name>"` (KubernetesCoordinates' full resource name). `field` names the field
 * for the message.
 */
export function parseManifestName(text: string, field = 'manifestName'): ManifestNameResult {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return { ok: false, message: `${field} is ${JSON.stringify(text)}; write it as '<kind> <name>', e.g. 'replicaSet my-app' or 'service my-svc'` };
  }
  return { ok: true, value: { kind: parts[0]!, name: parts[1]! } };
}

/** The name of an object: its kind as Spinnaker writes it, and its name (`"replicaSet web-v002"`). */
export function manifestNameOf(object: { readonly kind?: unknown; readonly apiVersion?: unknown; readonly metadata?: unknown }): string | undefined {
  const kindText = typeof object.kind === 'string' ? object.kind : undefined;
  const metadata = object.metadata;
  const name = typeof metadata === 'object' && metadata !== null ? (metadata as { name?: unknown }).name : undefined;
  if (kindText === undefined || typeof name !== 'string') return undefined;
  return `${spinnakerKindOf(kindText, typeof object.apiVersion === 'string' ? object.apiVersion : undefined)} ${name}`;
}

/** Sorts manifests by clouddriver's deploy priority (namespaces, CRDs, config before workloads), keeping their order within a priority. */
export function sortByDeployPriority<T extends { readonly kind?: unknown }>(manifests: readonly T[]): T[] {
  const priority = (manifest: T) => propertiesOf(typeof manifest.kind === 'string' ? manifest.kind : '').deployPriority;
  return manifests.map((manifest, index) => ({ manifest, index })).sort((a, b) => priority(a.manifest) - priority(b.manifest) || a.index - b.index).map((entry) => entry.manifest);
}
