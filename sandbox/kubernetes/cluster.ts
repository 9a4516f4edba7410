/**
 * The simulated cluster's object store, as the API server keeps it: one global, monotonically
 * increasing resourceVersion; uid, generation (bumped on spec changes only) and
 * creationTimestamp per object; validation and defaulting of the built-in kinds; deletion with
 * finalizers, grace periods and propagation policies; and the watch history the API server
 * serves `?watch=true` from (bounded, so an old resourceVersion answers 410 Gone).
 *
 * Every write goes through `create`, `update` or `remove`, which emit the watch event; the
 * controllers (controllers.ts) write through the same functions.
 */
import { applyMergePatch, clone, deepEqual, isMap, type Json, type JsonMap } from './patch.ts';
import { nameSuffix, uuid, type Random } from './random.ts';
import { groupVersion, Registry, typesFromCrd as crdTypes, type ResourceType } from './resources.ts';
import { matches, selectorFromObject, type Labels, type Selector } from './selectors.ts';
import { alreadyExists, badRequest, conflict, invalid, notFound, StatusError, successStatus, type FieldCause } from './status.ts';

/** A watch event as kept in history and sent on the wire. */
export interface WatchEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly group: string;
  readonly plural: string;
  readonly namespace: string;
  readonly object: JsonMap;
}

/** Who is writing: a field manager (`?fieldManager=`, or the client's user agent) and the operation. */
export interface Writer {
  readonly manager: string;
  readonly operation: 'Update' | 'Apply';
}

/** How `remove` deletes (the `DeleteOptions` of the request). */
export interface RemoveOptions {
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  readonly gracePeriodSeconds?: number;
  /** `preconditions.resourceVersion` / `preconditions.uid`. */
  readonly preconditions?: { readonly resourceVersion?: string; readonly uid?: string };
}

/** What `remove` answers: the object still exists (being deleted) or is gone. */
export type RemoveResult = { readonly gone: true; readonly status: Record<string, unknown>; readonly object: JsonMap } | { readonly gone: false; readonly object: JsonMap };

/** Kinds whose objects carry `metadata.generation` (spec-bearing workloads and every custom resource). */
const GENERATION_PLURALS = new Set(['replicasets', 'deployments', 'jobs', 'customresourcedefinitions', 'pods']);

/** Types whose `status` only the `/status` subresource writes. */
function hasStatusSubresource(type: ResourceType): boolean {
  return type.subresources.includes('status');
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function nameCause(plural: string, name: string): FieldCause | undefined {
  if (plural === 'namespaces') {
    if (!DNS1123_LABEL.test(name) || name.length > 63)
      return { field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')` };
    return undefined;
  }
  if (plural === 'services') {
    if (!DNS1035_LABEL.test(name) || name.length > 63)
      return { field: 'metadata.name', message: `Invalid value: "${name}": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')` };
    return undefined;
  }
  if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253)
    return { field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')` };
  return undefined;
}

function labelCauses(field: string, labels: unknown): FieldCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isMap(labels)) return [{ field, message: `Invalid value: ${JSON.stringify(labels)}: must be a map of string keys to string values` }];
  const causes: FieldCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const prefix = slash >= 0 ? key.slice(0, slash) : '';
    if (!LABEL_KEY_NAME.test(name) || name.length > 63 || (prefix !== '' && !DNS1123_SUBDOMAIN.test(prefix)))
      causes.push({ field, message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')` });
    if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > 63)
      causes.push({ field, message: `Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')` });
  }
  return causes;
}

/** Go's `%#v` of a `map[string]string`, as the API server prints labels in messages. */
export function goMap(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
}

function podSpecCauses(prefix: string, spec: unknown, restartPolicies: readonly string[]): FieldCause[] {
  if (!isMap(spec)) return [{ field: prefix, message: 'Required value', reason: 'FieldValueRequired' }];
  const causes: FieldCause[] = [];
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) causes.push({ field: `${prefix}.containers`, message: 'Required value', reason: 'FieldValueRequired' });
  else
    containers.forEach((c, i) => {
      if (!isMap(c) || typeof c['name'] !== 'string' || c['name'] === '') causes.push({ field: `${prefix}.containers[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' });
      else if (!DNS1123_LABEL.test(c['name'])) causes.push({ field: `${prefix}.containers[${i}].name`, message: `Invalid value: "${c['name']}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')` });
      if (!isMap(c) || typeof c['image'] !== 'string' || c['image'].trim() === '') causes.push({ field: `${prefix}.containers[${i}].image`, message: 'Required value', reason: 'FieldValueRequired' });
    });
  const policy = spec['restartPolicy'];
  if (typeof policy === 'string' && !restartPolicies.includes(policy))
    causes.push({ field: `${prefix}.restartPolicy`, message: `Unsupported value: "${policy}": supported values: ${restartPolicies.map((p) => `"${p}"`).join(', ')}`, reason: 'FieldValueNotSupported' });
  return causes;
}

function defaultPodSpec(spec: JsonMap, restartPolicy: string): void {
  spec['restartPolicy'] ??= restartPolicy;
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['securityContext'] ??= {};
  for (const c of Array.isArray(spec['containers']) ? spec['containers'] : []) {
    if (!isMap(c)) continue;
    const image = typeof c['image'] === 'string' ? c['image'] : '';
    const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
    c['imagePullPolicy'] ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
    c['terminationMessagePath'] ??= '/dev/termination-log';
    c['terminationMessagePolicy'] ??= 'File';
    c['resources'] ??= {};
    for (const p of Array.isArray(c['ports']) ? c['ports'] : []) if (isMap(p)) p['protocol'] ??= 'TCP';
  }
}

function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `metadata` of an object (created when absent). */
export function meta(object: JsonMap): JsonMap {
  if (!isMap(object['metadata'])) object['metadata'] = {};
  return object['metadata'] as JsonMap;
}

/** The object's labels. */
export function labelsOf(object: JsonMap): Labels {
  const labels = meta(object)['labels'];
  return isMap(labels) ? (labels as Labels) : {};
}

/** The selector of a workload's `spec.selector`, or undefined. */
export function workloadSelector(object: JsonMap): Selector | undefined {
  const spec = object['spec'];
  return isMap(spec) ? selectorFromObject(spec['selector']) : undefined;
}

/** Whether an object is being deleted. */
export function terminating(object: JsonMap): boolean {
  return typeof meta(object)['deletionTimestamp'] === 'string';
}

/** The `ownerReferences` of an object. */
export function ownerRefs(object: JsonMap): JsonMap[] {
  const refs = meta(object)['ownerReferences'];
  return Array.isArray(refs) ? refs.filter(isMap) : [];
}

/** The controller owner reference, if any. */
export function controllerRef(object: JsonMap): JsonMap | undefined {
  return ownerRefs(object).find((r) => r['controller'] === true);
}

/** Objects keyed `group\0plural\0namespace\0name`, indexed by resource so a list reads only its own kind. */
class ObjectIndex {
  private readonly byResource = new Map<string, Map<string, JsonMap>>();

  private resourceOf(key: string): string {
    const [group, plural] = key.split('\u0000');
    return `${group}\u0000${plural}`;
  }

  get(key: string): JsonMap | undefined {
    return this.byResource.get(this.resourceOf(key))?.get(key);
  }

  set(key: string, value: JsonMap): void {
    const resource = this.resourceOf(key);
    let map = this.byResource.get(resource);
    if (!map) this.byResource.set(resource, (map = new Map()));
    map.set(key, value);
  }

  delete(key: string): void {
    this.byResource.get(this.resourceOf(key))?.delete(key);
  }

  /** The entries of one resource. */
  resource(group: string, plural: string): IterableIterator<[string, JsonMap]> {
    return (this.byResource.get(`${group}\u0000${plural}`) ?? new Map<string, JsonMap>()).entries();
  }

  *entries(): Generator<[string, JsonMap]> {
    for (const map of this.byResource.values()) yield* map.entries();
  }

  *values(): Generator<JsonMap> {
    for (const map of this.byResource.values()) yield* map.values();
  }

  [Symbol.iterator](): Generator<[string, JsonMap]> {
    return this.entries();
  }
}

/** Simulated-time hooks the store needs (clock and seeded ids). */
export interface ClusterContext {
  now(): number;
  readonly random: Random;
}

/** Options of the store. */
export interface ClusterOptions {
  /** How many watch events are kept; a watch from an older resourceVersion answers 410 (default 1000). */
  readonly watchHistory?: number;
}

/** The object store. */
export class Cluster {
  readonly registry = new Registry([]);
  private rv = 0;
  private readonly objects = new ObjectIndex();
  private history: WatchEvent[] = [];
  /** The oldest resourceVersion a watch can still start from. */
  private compactedThrough = 0;
  private readonly listeners: ((event: WatchEvent) => void)[] = [];
  private ipCounter = 10;
  /** Pod ids whose graceful deletion began, with the simulated time it began. */
  readonly deletionRequestedAt = new Map<string, number>();
  /** Creation instant of every object in ms (creationTimestamp has second precision). */
  readonly createdAt = new Map<string, number>();

  constructor(
    private readonly context: ClusterContext,
    types: ResourceType[],
    private readonly options: ClusterOptions = {},
  ) {
    this.registry.register(types);
  }

  /** The current (latest) resourceVersion. */
  resourceVersion(): number {
    return this.rv;
  }

  /** Subscribes to every change (watch fan-out). */
  onEvent(listener: (event: WatchEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Events after `rv`, or undefined when history no longer reaches back that far (410). */
  eventsSince(rv: number): readonly WatchEvent[] | undefined {
    if (rv < this.compactedThrough) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  /** Drops the whole watch history: every watch from an older resourceVersion answers 410. */
  compact(): void {
    this.history = [];
    this.compactedThrough = this.rv;
  }

  private key(group: string, plural: string, namespace: string, name: string): string {
    return `${group}\u0000${plural}\u0000${namespace}\u0000${name}`;
  }

  private emit(type: WatchEvent['type'], resource: ResourceType, namespace: string, object: JsonMap): void {
    const event: WatchEvent = { rv: this.rv, type, group: resource.group, plural: resource.plural, namespace, object: clone(object) };
    this.history.push(event);
    const limit = this.options.watchHistory ?? 1000;
    if (this.history.length > limit) {
      const dropped = this.history.splice(0, this.history.length - limit);
      this.compactedThrough = dropped[dropped.length - 1]!.rv;
    }
    for (const listener of this.listeners) listener(event);
  }

  private timestamp(): string {
    return new Date(Math.floor(this.context.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  /** The stored type for a resource path (any served version; storage is shared). */
  type(group: string, plural: string): ResourceType | undefined {
    return this.registry.versionsOf(group, plural)[0];
  }

  /** One object as stored, or undefined. */
  get(group: string, plural: string, namespace: string, name: string): JsonMap | undefined {
    return this.objects.get(this.key(group, plural, namespace, name));
  }

  /** The objects of a resource, in one namespace or all (namespace undefined), ordered as etcd keys are (namespace, then name). */
  list(group: string, plural: string, namespace?: string): JsonMap[] {
    const prefix = namespace === undefined ? `${group}\u0000${plural}\u0000` : `${group}\u0000${plural}\u0000${namespace}\u0000`;
    return [...this.objects.resource(group, plural)]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v);
  }

  /** Every object with an owner reference to `uid`. */
  dependentsOf(uid: string): { type: ResourceType; object: JsonMap }[] {
    const out: { type: ResourceType; object: JsonMap }[] = [];
    for (const [key, object] of this.objects) {
      if (ownerRefs(object).some((r) => r['uid'] === uid)) {
        const [group, plural] = key.split('\u0000') as [string, string];
        out.push({ type: this.type(group, plural)!, object });
      }
    }
    return out;
  }

  /** Every stored object with its type. */
  *entries(): Generator<{ type: ResourceType; object: JsonMap }> {
    for (const [key, object] of [...this.objects.entries()]) {
      const [group, plural] = key.split('\u0000') as [string, string];
      const type = this.type(group, plural);
      if (type) yield { type, object };
    }
  }

  /** Whether a uid names a live object. */
  uidExists(uid: string): boolean {
    for (const object of this.objects.values()) if (meta(object)['uid'] === uid) return true;
    return false;
  }

  private requireNamespace(type: ResourceType, namespace: string): void {
    if (!type.namespaced) return;
    const ns = this.get('', 'namespaces', '', namespace);
    if (!ns) throw notFound({ group: '', plural: 'namespaces', name: namespace });
  }

  /** Checks kind and apiVersion of a body against the endpoint it was sent to. */
  private checkTypeMeta(type: ResourceType, body: JsonMap, version: string): void {
    const apiVersion = str(body['apiVersion']);
    const kind = str(body['kind']);
    const expected = groupVersion(type.group, version);
    if (apiVersion !== undefined && apiVersion !== expected && !this.registry.versionsOf(type.group, type.plural).some((t) => groupVersion(t.group, t.version) === apiVersion))
      throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${expected})`);
    if (kind !== undefined && kind !== type.kind) throw badRequest(`the kind in the data (${kind}) does not match the expected kind (${type.kind})`);
  }

  /** Validation of the built-in kinds (what a caller can get wrong and a real server refuses with 422). */
  private validate(type: ResourceType, object: JsonMap, live: JsonMap | undefined): void {
    const name = String(meta(object)['name'] ?? '');
    const causes: FieldCause[] = [];
    if (!live) {
      const cause = nameCause(type.plural, name);
      if (cause) causes.push(cause);
    }
    causes.push(...labelCauses('metadata.labels', meta(object)['labels']));
    const spec = isMap(object['spec']) ? object['spec'] : undefined;
    if (type.plural === 'replicasets' || type.plural === 'deployments') {
      const selector = selectorFromObject(spec?.['selector']);
      const template = isMap(spec?.['template']) ? (spec!['template'] as JsonMap) : undefined;
      const templateLabels = template && isMap(template['metadata']) && isMap((template['metadata'] as JsonMap)['labels']) ? ((template['metadata'] as JsonMap)['labels'] as Labels) : {};
      if (!selector || selector.length === 0) causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
      else if (!matches(selector, templateLabels))
        causes.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${goMap(templateLabels)}: \`selector\` does not match template \`labels\`` });
      if (live && !deepEqual(spec?.['selector'], (live['spec'] as JsonMap | undefined)?.['selector']))
        causes.push({ field: 'spec.selector', message: `Invalid value: ${JSON.stringify(spec?.['selector'] ?? null)}: field is immutable` });
      const replicas = spec?.['replicas'];
      if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0))
        causes.push({ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` });
      causes.push(...labelCauses('spec.template.metadata.labels', templateLabels));
      causes.push(...podSpecCauses('spec.template.spec', template?.['spec'], ['Always']));
      if (type.plural === 'deployments') {
        const strategy = isMap(spec?.['strategy']) ? (spec!['strategy'] as JsonMap) : undefined;
        const st = strategy?.['type'];
        if (st !== undefined && st !== 'RollingUpdate' && st !== 'Recreate')
          causes.push({ field: 'spec.strategy.type', message: `Unsupported value: ${JSON.stringify(st)}: supported values: "Recreate", "RollingUpdate"`, reason: 'FieldValueNotSupported' });
        if (st === 'Recreate' && strategy?.['rollingUpdate'] !== undefined && strategy['rollingUpdate'] !== null)
          causes.push({ field: 'spec.strategy.rollingUpdate', message: 'Forbidden: may not be specified when strategy `type` is \'Recreate\'', reason: 'FieldValueForbidden' });
      }
    }
    if (type.plural === 'jobs') {
      const template = isMap(spec?.['template']) ? (spec!['template'] as JsonMap) : undefined;
      const templateSpec = isMap(template?.['spec']) ? (template!['spec'] as JsonMap) : undefined;
      if (templateSpec && templateSpec['restartPolicy'] === undefined) causes.push({ field: 'spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"', reason: 'FieldValueRequired' });
      causes.push(...podSpecCauses('spec.template.spec', templateSpec, ['OnFailure', 'Never']));
      if (live && !deepEqual(stripJobTemplate(spec?.['template']), stripJobTemplate((live['spec'] as JsonMap | undefined)?.['template'])))
        causes.push({ field: 'spec.template', message: 'Invalid value: {…}: field is immutable' });
    }
    if (type.plural === 'pods') {
      causes.push(...podSpecCauses('spec', spec, ['Always', 'OnFailure', 'Never']));
      if (live && !deepEqual(podSpecWithoutImages(spec), podSpecWithoutImages(live['spec'])))
        causes.push({
          field: 'spec',
          message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          reason: 'FieldValueForbidden',
        });
    }
    if (type.plural === 'services') {
      const ports = spec?.['ports'];
      const headless = spec?.['clusterIP'] === 'None' || spec?.['type'] === 'ExternalName';
      if (!headless && (!Array.isArray(ports) || ports.length === 0)) causes.push({ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' });
      (Array.isArray(ports) ? ports : []).forEach((p, i) => {
        const port = isMap(p) ? p['port'] : undefined;
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) causes.push({ field: `spec.ports[${i}].port`, message: `Invalid value: ${JSON.stringify(port ?? 0)}: must be between 1 and 65535, inclusive` });
      });
      const selector = spec?.['selector'];
      if (selector !== undefined && selector !== null) causes.push(...labelCauses('spec.selector', selector));
    }
    if (causes.length > 0) throw invalid(type.kind, type.group, name, causes);
  }

  /** Fills what the API server defaults on create. */
  private applyDefaults(type: ResourceType, object: JsonMap): void {
    const spec = isMap(object['spec']) ? (object['spec'] as JsonMap) : undefined;
    const template = spec && isMap(spec['template']) ? (spec['template'] as JsonMap) : undefined;
    switch (type.plural) {
      case 'namespaces': {
        object['spec'] = { finalizers: ['kubernetes'], ...(spec ?? {}) };
        object['status'] = { phase: 'Active' };
        meta(object)['labels'] = { ...labelsOf(object), 'kubernetes.io/metadata.name': String(meta(object)['name']) };
        break;
      }
      case 'pods': {
        defaultPodSpec(spec!, 'Always');
        object['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
        break;
      }
      case 'replicasets': {
        spec!['replicas'] ??= 1;
        if (template && isMap(template['spec'])) defaultPodSpec(template['spec'] as JsonMap, 'Always');
        object['status'] = { replicas: 0 };
        break;
      }
      case 'deployments': {
        spec!['replicas'] ??= 1;
        spec!['revisionHistoryLimit'] ??= 10;
        spec!['progressDeadlineSeconds'] ??= 600;
        const strategy = isMap(spec!['strategy']) ? (spec!['strategy'] as JsonMap) : (spec!['strategy'] = {});
        strategy['type'] ??= 'RollingUpdate';
        if (strategy['type'] === 'RollingUpdate') strategy['rollingUpdate'] = { maxUnavailable: '25%', maxSurge: '25%', ...(isMap(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {}) };
        if (template && isMap(template['spec'])) defaultPodSpec(template['spec'] as JsonMap, 'Always');
        object['status'] = {};
        break;
      }
      case 'jobs': {
        spec!['backoffLimit'] ??= 6;
        spec!['completions'] ??= 1;
        spec!['parallelism'] ??= 1;
        spec!['completionMode'] ??= 'NonIndexed';
        spec!['suspend'] ??= false;
        const uid = String(meta(object)['uid']);
        const name = String(meta(object)['name']);
        if (spec!['manualSelector'] !== true) {
          spec!['selector'] = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
          if (template) {
            const tm = isMap(template['metadata']) ? (template['metadata'] as JsonMap) : (template['metadata'] = {});
            tm['labels'] = { ...(isMap(tm['labels']) ? tm['labels'] : {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
          }
        }
        if (template && isMap(template['spec'])) defaultPodSpec(template['spec'] as JsonMap, 'Never');
        object['status'] = {};
        break;
      }
      case 'services': {
        if (!spec) break;
        spec['type'] ??= 'ClusterIP';
        spec['sessionAffinity'] ??= 'None';
        if (spec['clusterIP'] === undefined && spec['type'] !== 'ExternalName') {
          this.ipCounter += 1;
          spec['clusterIP'] = `10.96.${Math.floor(this.ipCounter / 250)}.${(this.ipCounter % 250) + 1}`;
        }
        if (typeof spec['clusterIP'] === 'string') spec['clusterIPs'] = [spec['clusterIP']];
        spec['ipFamilies'] ??= ['IPv4'];
        spec['ipFamilyPolicy'] ??= 'SingleStack';
        spec['internalTrafficPolicy'] ??= 'Cluster';
        for (const p of Array.isArray(spec['ports']) ? spec['ports'] : []) {
          if (!isMap(p)) continue;
          p['protocol'] ??= 'TCP';
          p['targetPort'] ??= p['port'] ?? null;
        }
        object['status'] = { loadBalancer: {} };
        break;
      }
      case 'secrets': {
        object['type'] ??= 'Opaque';
        const stringData = object['stringData'];
        if (isMap(stringData)) {
          const data = isMap(object['data']) ? (object['data'] as JsonMap) : (object['data'] = {});
          for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
          delete object['stringData'];
        }
        break;
      }
      default:
        break;
    }
  }

  /** Records field ownership in `managedFields` (one entry per manager and operation). */
  private recordManager(object: JsonMap, writer: Writer | undefined, fieldsFrom: JsonMap, version: string, type: ResourceType, subresource?: string): void {
    if (!writer) return;
    const m = meta(object);
    const entries = Array.isArray(m['managedFields']) ? (m['managedFields'] as JsonMap[]) : [];
    const fields = fieldsV1(fieldsFrom);
    const at = this.timestamp();
    const existing = entries.find((e) => e['manager'] === writer.manager && e['operation'] === writer.operation && (e['subresource'] ?? undefined) === subresource);
    if (existing) {
      existing['fieldsV1'] = writer.operation === 'Apply' ? fields : (applyMergePatch(existing['fieldsV1'] ?? {}, fields) as JsonMap);
      existing['time'] = at;
      existing['apiVersion'] = groupVersion(type.group, version);
    } else {
      entries.push({ manager: writer.manager, operation: writer.operation, apiVersion: groupVersion(type.group, version), time: at, fieldsType: 'FieldsV1', fieldsV1: fields, ...(subresource ? { subresource } : {}) });
    }
    m['managedFields'] = entries;
  }

  /**
   * Creates an object (POST, or server-side apply of an absent object). Validates, defaults,
   * assigns uid/resourceVersion/generation/creationTimestamp; `dryRun` answers without storing.
   */
  create(type: ResourceType, version: string, namespace: string, body: unknown, writer?: Writer, dryRun = false): JsonMap {
    if (!isMap(body)) throw badRequest('the body of the request must be a JSON object');
    this.checkTypeMeta(type, body, version);
    const object = clone(body);
    object['apiVersion'] = groupVersion(type.group, version);
    object['kind'] = type.kind;
    const m = meta(object);
    if (type.namespaced) {
      const ns = str(m['namespace']);
      if (ns !== undefined && ns !== '' && ns !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m['namespace'] = namespace;
    } else delete m['namespace'];
    if ((m['name'] === undefined || m['name'] === '') && typeof m['generateName'] === 'string' && m['generateName'] !== '') m['name'] = `${m['generateName']}${nameSuffix(this.context.random)}`;
    if (typeof m['name'] !== 'string' || m['name'] === '') throw invalid(type.kind, type.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
    const name = m['name'];
    const ns = type.namespaced ? namespace : '';
    if (this.get(type.group, type.plural, ns, name)) throw alreadyExists({ group: type.group, plural: type.plural, name });
    this.validate(type, object, undefined);
    this.requireNamespace(type, ns);
    const namespaceObject = type.namespaced ? this.get('', 'namespaces', '', ns) : undefined;
    if (namespaceObject && terminating(namespaceObject))
      throw new StatusError(403, 'Forbidden', `${type.plural === 'pods' ? 'pods' : type.plural} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, { name, kind: type.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] });
    for (const key of ['resourceVersion', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'managedFields', 'selfLink']) delete m[key];
    m['uid'] = uuid(this.context.random);
    m['creationTimestamp'] = this.timestamp();
    if (GENERATION_PLURALS.has(type.plural) || type.custom) m['generation'] = 1;
    if (hasStatusSubresource(type) && type.custom) delete object['status'];
    this.applyDefaults(type, object);
    if (type.plural === 'customresourcedefinitions') this.checkCrd(object);
    if (dryRun) return object;
    this.recordManager(object, writer, body, version, type);
    this.rv += 1;
    m['resourceVersion'] = String(this.rv);
    this.objects.set(this.key(type.group, type.plural, ns, name), object);
    this.createdAt.set(String(m['uid']), this.context.now());
    this.emit('ADDED', type, ns, object);
    if (type.plural === 'customresourcedefinitions') this.registerCrd(object);
    return object;
  }

  private checkCrd(object: JsonMap): void {
    const spec = isMap(object['spec']) ? (object['spec'] as JsonMap) : {};
    const names = isMap(spec['names']) ? (spec['names'] as JsonMap) : {};
    const name = String(meta(object)['name']);
    const expected = `${String(names['plural'] ?? '')}.${String(spec['group'] ?? '')}`;
    if (name !== expected) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, [{ field: 'metadata.name', message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group` }]);
    if (!Array.isArray(spec['versions']) || spec['versions'].length === 0) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, [{ field: 'spec.versions', message: 'Invalid value: null: must have exactly one version marked as storage version' }]);
  }

  private registerCrd(object: JsonMap): void {
    const types = crdTypes(object);
    if (types) this.registry.register(types);
    object['status'] = {
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: this.timestamp() },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: this.timestamp() },
      ],
      acceptedNames: (object['spec'] as JsonMap)['names'] ?? {},
      storedVersions: ((object['spec'] as JsonMap)['versions'] as JsonMap[]).filter((v) => v['storage'] === true).map((v) => v['name'] ?? ''),
    };
  }

  /**
   * Replaces an object (PUT, and the end of every PATCH): a stale resourceVersion is 409; `status`
   * is kept unless `subresource` is `status` (then only `status` changes); generation is bumped
   * when the spec changes; a write that changes nothing is not a new resourceVersion.
   */
  update(type: ResourceType, version: string, namespace: string, name: string, body: unknown, options: { writer?: Writer; subresource?: 'status'; dryRun?: boolean; managedFields?: JsonMap[]; applied?: JsonMap } = {}): JsonMap {
    if (!isMap(body)) throw badRequest('the body of the request must be a JSON object');
    const ns = type.namespaced ? namespace : '';
    const live = this.get(type.group, type.plural, ns, name);
    if (!live) throw notFound({ group: type.group, plural: type.plural, name });
    this.checkTypeMeta(type, body, version);
    const incoming = clone(body);
    const im = meta(incoming);
    if (im['name'] !== undefined && im['name'] !== name) throw badRequest(`the name of the object (${String(im['name'])}) does not match the name on the URL (${name})`);
    if (type.namespaced && im['namespace'] !== undefined && im['namespace'] !== '' && im['namespace'] !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const lm = meta(live);
    if (im['resourceVersion'] !== undefined && im['resourceVersion'] !== '' && im['resourceVersion'] !== lm['resourceVersion']) throw conflict({ group: type.group, plural: type.plural, name });
    if (im['uid'] !== undefined && im['uid'] !== '' && im['uid'] !== lm['uid']) throw conflict({ group: type.group, plural: type.plural, name }, `Precondition failed: UID in precondition: ${String(im['uid'])}, UID in object meta: ${String(lm['uid'])}`);
    let next: JsonMap;
    if (options.subresource === 'status') {
      next = clone(live);
      if (incoming['status'] !== undefined) next['status'] = incoming['status']!;
    } else {
      next = incoming;
      next['apiVersion'] = live['apiVersion']!;
      next['kind'] = type.kind;
      const nm = meta(next);
      nm['name'] = name;
      if (type.namespaced) nm['namespace'] = ns;
      for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'managedFields']) {
        if (lm[key] !== undefined) nm[key] = clone(lm[key]!);
        else delete nm[key];
      }
      // Server-side apply hands over the other managers' entries as it left them (fields taken with force).
      if (options.managedFields) nm['managedFields'] = clone(options.managedFields);
      if (hasStatusSubresource(type) || type.plural === 'namespaces') {
        if (live['status'] !== undefined) next['status'] = clone(live['status']!);
        else delete next['status'];
      }
      if (type.plural === 'namespaces') next['spec'] = clone(live['spec'] ?? {});
      if (type.plural === 'secrets' && isMap(next['stringData'])) {
        const data = isMap(next['data']) ? (next['data'] as JsonMap) : (next['data'] = {});
        for (const [k, v] of Object.entries(next['stringData'] as JsonMap)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        delete next['stringData'];
      }
      if (type.plural === 'services' && isMap(next['spec']) && isMap(live['spec'])) {
        const spec = next['spec'] as JsonMap;
        const liveSpec = live['spec'] as JsonMap;
        // clusterIP is allocated once and immutable; an update that omits it keeps it.
        spec['clusterIP'] ??= liveSpec['clusterIP'] ?? null;
        spec['clusterIPs'] ??= liveSpec['clusterIPs'] ?? null;
        for (const p of Array.isArray(spec['ports']) ? spec['ports'] : []) if (isMap(p)) (p['protocol'] ??= 'TCP', (p['targetPort'] ??= p['port'] ?? null));
        spec['type'] ??= 'ClusterIP';
      }
      if (type.plural === 'pods' || type.plural === 'replicasets' || type.plural === 'deployments' || type.plural === 'jobs') {
        const spec = isMap(next['spec']) ? (next['spec'] as JsonMap) : undefined;
        if (type.plural === 'pods' && spec) defaultPodSpec(spec, 'Always');
        const template = spec && isMap(spec['template']) ? (spec['template'] as JsonMap) : undefined;
        if (template && isMap(template['spec'])) defaultPodSpec(template['spec'] as JsonMap, type.plural === 'jobs' ? 'Never' : 'Always');
        if (spec && type.plural !== 'pods' && type.plural !== 'jobs') spec['replicas'] ??= 1;
        if (type.plural === 'deployments' && spec) {
          const liveSpec = live['spec'] as JsonMap;
          spec['revisionHistoryLimit'] ??= liveSpec['revisionHistoryLimit'] ?? 10;
          spec['progressDeadlineSeconds'] ??= liveSpec['progressDeadlineSeconds'] ?? 600;
          spec['strategy'] ??= clone(liveSpec['strategy'] ?? { type: 'RollingUpdate' });
        }
        if (type.plural === 'jobs' && spec) {
          const liveSpec = live['spec'] as JsonMap;
          for (const key of ['backoffLimit', 'completions', 'parallelism', 'completionMode', 'suspend', 'selector', 'manualSelector']) if (spec[key] === undefined && liveSpec[key] !== undefined) spec[key] = clone(liveSpec[key]!);
        }
      }
      this.validate(type, next, live);
    }
    if (type.plural === 'customresourcedefinitions') this.checkCrd(next);
    const nm = meta(next);
    if (typeof nm['generation'] === 'number' && !deepEqual(specPart(next), specPart(live))) nm['generation'] = nm['generation'] + 1;
    if (options.writer) this.recordManager(next, options.writer, options.writer.operation === 'Apply' ? (options.applied ?? body) : changedFields(live, next), version, type, options.subresource);
    nm['resourceVersion'] = lm['resourceVersion']!;
    if (deepEqual(withoutManaged(next), withoutManaged(live))) {
      return live;
    }
    if (options.dryRun) return next;
    this.rv += 1;
    nm['resourceVersion'] = String(this.rv);
    this.objects.set(this.key(type.group, type.plural, ns, name), next);
    this.emit('MODIFIED', type, ns, next);
    if (type.plural === 'customresourcedefinitions') {
      const types = crdTypes(next);
      if (types) this.registry.register(types);
    }
    // The last finalizer of an object being deleted is gone: the deletion completes.
    if (terminating(next) && finalizersOf(next).length === 0 && finalizersOf(live).length > 0) this.erase(type, ns, name);
    return next;
  }

  /** A controller's write of an object it computed (no validation, no managers); no-op when equal. */
  write(type: ResourceType, object: JsonMap): JsonMap {
    const m = meta(object);
    const ns = type.namespaced ? String(m['namespace']) : '';
    const name = String(m['name']);
    const live = this.get(type.group, type.plural, ns, name);
    if (!live) return object;
    if (typeof m['generation'] === 'number' && !deepEqual(specPart(object), specPart(live))) m['generation'] = (meta(live)['generation'] as number) + 1;
    m['resourceVersion'] = meta(live)['resourceVersion']!;
    if (deepEqual(object, live)) return live;
    this.rv += 1;
    m['resourceVersion'] = String(this.rv);
    this.objects.set(this.key(type.group, type.plural, ns, name), object);
    this.emit('MODIFIED', type, ns, object);
    if (terminating(object) && finalizersOf(object).length === 0 && finalizersOf(live).length > 0) this.erase(type, ns, name);
    return object;
  }

  /** Removes an object from storage now (the end of every deletion). */
  erase(type: ResourceType, namespace: string, name: string): void {
    const key = this.key(type.group, type.plural, namespace, name);
    const object = this.objects.get(key);
    if (!object) return;
    this.objects.delete(key);
    this.rv += 1;
    const last = clone(object);
    meta(last)['resourceVersion'] = String(this.rv);
    this.deletionRequestedAt.delete(String(meta(object)['uid']));
    this.createdAt.delete(String(meta(object)['uid']));
    this.emit('DELETED', type, namespace, last);
    if (type.plural === 'customresourcedefinitions') {
      this.registry.unregister(name);
      const types = crdTypes(object);
      for (const t of types ?? []) for (const o of this.list(t.group, t.plural)) this.erase(t, String(meta(o)['namespace'] ?? ''), String(meta(o)['name']));
    }
  }

  /**
   * Deletes an object as the API server does: pods with a grace period and objects with
   * finalizers stay with `deletionTimestamp` set; Foreground adds the `foregroundDeletion`
   * finalizer and waits for dependents; Orphan releases the dependents first; Background
   * deletes now and leaves the dependents to the garbage collector.
   */
  remove(type: ResourceType, namespace: string, name: string, options: RemoveOptions = {}): RemoveResult {
    const ns = type.namespaced ? namespace : '';
    const live = this.get(type.group, type.plural, ns, name);
    const subject = { group: type.group, plural: type.plural, name };
    if (!live) throw notFound(subject);
    const lm = meta(live);
    if (options.preconditions?.uid !== undefined && options.preconditions.uid !== lm['uid'])
      throw conflict(subject, `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${String(lm['uid'])}`);
    if (options.preconditions?.resourceVersion !== undefined && options.preconditions.resourceVersion !== lm['resourceVersion'])
      throw conflict(subject, `Precondition failed: ResourceVersion in precondition: ${options.preconditions.resourceVersion}, ResourceVersion in object meta: ${String(lm['resourceVersion'])}`);
    // batch/v1 Jobs orphan their pods by default (a legacy default the API server keeps); the rest cascade in the background.
    const policy = options.propagationPolicy ?? (type.plural === 'jobs' ? 'Orphan' : 'Background');
    const next = clone(live);
    const nm = meta(next);
    const uid = String(lm['uid']);
    if (type.plural === 'namespaces') {
      if (!terminating(live)) {
        nm['deletionTimestamp'] = this.timestamp();
        next['status'] = { phase: 'Terminating' };
        return { gone: false, object: this.write(type, next) };
      }
      return { gone: false, object: live };
    }
    if (policy === 'Orphan') {
      for (const dep of this.dependentsOf(uid)) {
        const released = clone(dep.object);
        meta(released)['ownerReferences'] = ownerRefs(released).filter((r) => r['uid'] !== uid);
        if ((meta(released)['ownerReferences'] as JsonMap[]).length === 0) delete meta(released)['ownerReferences'];
        this.write(dep.type, released);
      }
    }
    if (policy === 'Foreground' && this.dependentsOf(uid).length > 0) {
      if (!finalizersOf(next).includes('foregroundDeletion')) nm['finalizers'] = [...finalizersOf(next), 'foregroundDeletion'];
    }
    if (type.plural === 'pods') {
      const spec = isMap(live['spec']) ? (live['spec'] as JsonMap) : {};
      const grace = options.gracePeriodSeconds ?? (typeof spec['terminationGracePeriodSeconds'] === 'number' ? spec['terminationGracePeriodSeconds'] : 30);
      const phase = isMap(live['status']) ? (live['status'] as JsonMap)['phase'] : undefined;
      // A pod that never started or has finished has nothing to stop: it goes at once.
      if (grace > 0 && phase !== 'Pending' && phase !== 'Succeeded' && phase !== 'Failed') {
        const current = typeof lm['deletionGracePeriodSeconds'] === 'number' ? lm['deletionGracePeriodSeconds'] : Infinity;
        if (!terminating(live) || grace < current) {
          nm['deletionTimestamp'] = new Date(Math.floor((this.context.now() + grace * 1000) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
          nm['deletionGracePeriodSeconds'] = grace;
          if (!this.deletionRequestedAt.has(uid)) this.deletionRequestedAt.set(uid, this.context.now());
          return { gone: false, object: this.write(type, next) };
        }
        return { gone: false, object: live };
      }
    }
    if (finalizersOf(next).length > 0) {
      if (!terminating(next)) {
        nm['deletionTimestamp'] = this.timestamp();
        nm['deletionGracePeriodSeconds'] = 0;
      }
      return { gone: false, object: this.write(type, next) };
    }
    this.erase(type, ns, name);
    const gone = clone(live);
    return { gone: true, status: successStatus(subject, uid), object: gone };
  }
}

/** The finalizers of an object. */
export function finalizersOf(object: JsonMap): string[] {
  const f = meta(object)['finalizers'];
  return Array.isArray(f) ? f.map(String) : [];
}

/** What counts as "spec" for generation: `spec` when the object has one, else everything but metadata and status. */
function specPart(object: JsonMap): Json {
  if ('spec' in object) return object['spec'] ?? null;
  const rest: JsonMap = {};
  for (const [k, v] of Object.entries(object)) if (k !== 'metadata' && k !== 'status') rest[k] = v;
  return rest;
}

function withoutManaged(object: JsonMap): JsonMap {
  const copy = { ...object, metadata: { ...meta(object) } } as JsonMap;
  delete (copy['metadata'] as JsonMap)['managedFields'];
  return copy;
}

function podSpecWithoutImages(spec: unknown): Json {
  if (!isMap(spec)) return null;
  const copy = clone(spec);
  for (const key of ['containers', 'initContainers']) for (const c of Array.isArray(copy[key]) ? copy[key] : []) if (isMap(c)) delete c['image'];
  delete copy['activeDeadlineSeconds'];
  delete copy['tolerations'];
  delete copy['terminationGracePeriodSeconds'];
  return copy;
}

function stripJobTemplate(template: unknown): Json {
  if (!isMap(template)) return null;
  const copy = clone(template);
  // Labels and annotations of a Job's template may change (the API server allows it since 1.27 for suspended jobs; kept simple here).
  if (isMap(copy['metadata'])) {
    delete (copy['metadata'] as JsonMap)['labels'];
    delete (copy['metadata'] as JsonMap)['annotations'];
  }
  return copy;
}

/** The fields of a body in the `FieldsV1` shape (`{"f:spec":{"f:replicas":{}}}`); keyed lists as `k:{…}`. */
export function fieldsV1(value: Json | undefined, parentKey = ''): JsonMap {
  const out: JsonMap = {};
  if (isMap(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (parentKey === '' && (k === 'apiVersion' || k === 'kind')) continue;
      if (parentKey === 'metadata' && ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'].includes(k)) continue;
      out[`f:${k}`] = fieldsV1(v, k);
    }
  } else if (Array.isArray(value)) {
    const key = parentKey === 'ports' ? (value.some((i) => isMap(i) && 'containerPort' in i) ? 'containerPort' : 'port') : ['containers', 'initContainers', 'env', 'volumes', 'imagePullSecrets'].includes(parentKey) ? 'name' : parentKey === 'volumeMounts' ? 'mountPath' : undefined;
    if (key) for (const item of value) if (isMap(item) && key in item) out[`k:${JSON.stringify({ [key]: item[key] })}`] = { '.': {}, ...fieldsV1(item, '') };
  }
  return out;
}

/** The parts of `next` that differ from `live` (for an Update manager's managedFields). */
function changedFields(live: JsonMap, next: JsonMap): JsonMap {
  const diff = (a: Json | undefined, b: Json | undefined): Json | undefined => {
    if (deepEqual(a, b)) return undefined;
    if (isMap(a) && isMap(b)) {
      const out: JsonMap = {};
      for (const [k, v] of Object.entries(b)) {
        const d = diff(a[k], v);
        if (d !== undefined) out[k] = d;
      }
      return out;
    }
    return b;
  };
  const d = diff(live, next);
  if (!isMap(d)) return {};
  delete d['status'];
  if (isMap(d['metadata'])) {
    for (const k of ['resourceVersion', 'generation', 'managedFields']) delete (d['metadata'] as JsonMap)[k];
    if (Object.keys(d['metadata'] as JsonMap).length === 0) delete d['metadata'];
  }
  return d;
}
