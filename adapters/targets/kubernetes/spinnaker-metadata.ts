/**
 * Spinnaker's Kubernetes metadata, verbatim (reference/cloud-targets.md §1.2, §6.2), so Spinnaker
 * and Gennaker can manage the same ReplicaSets: the moniker and artifact annotations, the labels
 * clouddriver writes, the `traffic.spinnaker.io/load-balancers` annotation, and the JSON patches
 * enable and disable send to a workload and its pods. Pure.
 *
 * These are the few pieces the server-group and traffic ports need; the manifest stages' full
 * semantics (versions, reuse, max-version-history) live in core.
 */

/** Annotations on `metadata` and `spec.template.metadata` (set-if-absent in clouddriver). */
export const ANNOTATION = {
  application: 'moniker.spinnaker.io/application',
  cluster: 'moniker.spinnaker.io/cluster',
  stack: 'moniker.spinnaker.io/stack',
  detail: 'moniker.spinnaker.io/detail',
  sequence: 'moniker.spinnaker.io/sequence',
  artifactType: 'artifact.spinnaker.io/type',
  artifactName: 'artifact.spinnaker.io/name',
  artifactLocation: 'artifact.spinnaker.io/location',
  artifactVersion: 'artifact.spinnaker.io/version',
  loadBalancers: 'traffic.spinnaker.io/load-balancers',
} as const;

/** Labels on `metadata` and `spec.template.metadata`. */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  sequence: 'moniker.spinnaker.io/sequence',
} as const;

/** What clouddriver writes as `app.kubernetes.io/managed-by`. */
export const MANAGED_BY = 'spinnaker';

/** Spinnaker's moniker of one server group. */
export interface Moniker {
  readonly app: string;
  readonly cluster: string;
  readonly stack?: string;
  readonly detail?: string;
  readonly sequence?: number;
}

/** `v003` */
export function versionOf(sequence: number): string {
  return `v${String(sequence).padStart(3, '0')}`;
}

/** The moniker and artifact annotations of a ReplicaSet `name` in `namespace`. */
export function spinnakerAnnotations(moniker: Moniker, name: string, namespace: string): Record<string, string> {
  const artifactName = moniker.sequence !== undefined ? name.replace(/-v\d{3,}$/, '') : name;
  return {
    [ANNOTATION.application]: moniker.app,
    [ANNOTATION.cluster]: moniker.cluster,
    ...(moniker.stack ? { [ANNOTATION.stack]: moniker.stack } : {}),
    ...(moniker.detail ? { [ANNOTATION.detail]: moniker.detail } : {}),
    ...(moniker.sequence !== undefined ? { [ANNOTATION.sequence]: String(moniker.sequence) } : {}),
    [ANNOTATION.artifactType]: 'kubernetes/replicaSet',
    [ANNOTATION.artifactName]: artifactName,
    [ANNOTATION.artifactLocation]: namespace,
    ...(moniker.sequence !== undefined ? { [ANNOTATION.artifactVersion]: versionOf(moniker.sequence) } : {}),
  };
}

/** The labels clouddriver writes. */
export function spinnakerLabels(moniker: Moniker): Record<string, string> {
  return {
    [LABEL.name]: moniker.app,
    [LABEL.managedBy]: MANAGED_BY,
    ...(moniker.sequence !== undefined ? { [LABEL.sequence]: String(moniker.sequence) } : {}),
  };
}

/** `'["service my-svc"]'` for the annotation. */
export function loadBalancersAnnotation(services: readonly string[]): string {
  return JSON.stringify(services.map((service) => `service ${service}`));
}

/**
 * The Service names of a `traffic.spinnaker.io/load-balancers` annotation (`["service a"]`);
 * undefined when it names something other than a Service or is not a JSON list.
 */
export function servicesOf(annotation: string | undefined): string[] | undefined {
  if (annotation === undefined || annotation.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(annotation);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const services: string[] = [];
  for (const entry of parsed) {
    if (typeof entry !== 'string') return undefined;
    const match = /^\s*service\s+(\S+)\s*$/i.exec(entry);
    if (!match) return undefined;
    services.push(match[1]!);
  }
  return services;
}

/** A label key in a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function pointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** One JSON-patch operation. */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace'; readonly path: string; readonly value: string | Readonly<Record<string, string>> }
  | { readonly op: 'remove'; readonly path: string };

/**
 * The JSON patch that puts a Service's selector labels on (enable) or takes them off (disable)
 * the labels at `base` (`/spec/template/metadata/labels` of a workload, `/metadata/labels` of a
 * pod), given the labels there now: `replace` where the key is present, `add` where it is not,
 * `remove` only where it is. Empty when the labels already are as asked.
 */
export function trafficPatch(base: string, current: Readonly<Record<string, string>> | undefined, selector: Readonly<Record<string, string>>, enable: boolean): JsonPatchOperation[] {
  const labels = current ?? {};
  const operations: JsonPatchOperation[] = [];
  // A workload without labels at all needs the map before a key can be added to it.
  if (enable && current === undefined && Object.keys(selector).length > 0) {
    return [{ op: 'add', path: base, value: { ...selector } }];
  }
  for (const [key, value] of Object.entries(selector)) {
    const path = `${base}/${pointerKey(key)}`;
    if (enable) {
      if (!(key in labels)) operations.push({ op: 'add', path, value });
      else if (labels[key] !== value) operations.push({ op: 'replace', path, value });
    } else if (key in labels) {
      operations.push({ op: 'remove', path });
    }
  }
  return operations;
}

/** Whether `labels` carry every key and value of `selector` (the Service selects them). */
export function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> | undefined): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels?.[key] === value);
}

/** `a=1,b=2` from a `matchLabels` map. */
export function labelSelectorOf(matchLabels: Readonly<Record<string, string>>): string {
  return Object.entries(matchLabels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
