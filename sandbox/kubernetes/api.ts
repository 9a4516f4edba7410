/**
 * The REST surface of the simulated API server: path resolution (`/api/v1/namespaces/x/pods/y`,
 * `/apis/apps/v1/...`), discovery, the verbs (create, get, list, replace, patch in four content
 * types, delete, deletecollection), the `scale`, `status` and `log` subresources, and the
 * description of a watch the server then streams (server.ts).
 */
import { parse as parseYaml } from 'yaml';
import { Cluster, fieldsV1, meta, workloadSelector, type RemoveOptions, type Writer } from './cluster.ts';
import { applyJsonPatch, applyMergePatch, clone, isMap, PatchError, strategicMerge, type Json, type JsonMap } from './patch.ts';
import { groupVersion, type ResourceType } from './resources.ts';
import { matches, matchesFields, parseFieldSelector, parseLabelSelector, selectorToString, type FieldRequirement, type Selector } from './selectors.ts';
import { planApply, removeAt } from './ssa.ts';
import { badRequest, invalid, methodNotAllowed, noSuchResource, notFound, StatusError, unsupportedMediaType } from './status.ts';

/** One request as the router hands it over. */
export interface RestRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType: string;
  readonly userAgent: string;
  readonly body: Buffer;
}

/** An answer: JSON, text, or a watch to stream. */
export type RestResponse =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown; readonly headers?: Record<string, string> }
  | { readonly kind: 'text'; readonly status: number; readonly body: string }
  | { readonly kind: 'watch'; readonly watch: WatchRequest };

/** What a `?watch=true` asks for. */
export interface WatchRequest {
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly labels: Selector;
  readonly fields: readonly FieldRequirement[];
  /** Undefined or '0': send the current objects as ADDED first. */
  readonly resourceVersion?: string;
  readonly bookmarks: boolean;
  readonly timeoutSeconds?: number;
  readonly sendInitialEvents: boolean;
}

/** The content types PATCH takes. */
export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/strategic-merge-patch+json'] as const;

/** The object as answered at the version the request named (custom resources share storage across versions). */
export function present(object: JsonMap, type: ResourceType): JsonMap {
  const out = clone(object);
  out['apiVersion'] = groupVersion(type.group, type.version);
  return out;
}

const json = (status: number, body: unknown, headers?: Record<string, string>): RestResponse => ({ kind: 'json', status, body, ...(headers ? { headers } : {}) });

/** The `/` answer: the paths the server serves. */
function rootPaths(cluster: Cluster): RestResponse {
  const paths = new Set(['/api', '/api/v1', '/apis', '/healthz', '/livez', '/readyz', '/version']);
  for (const t of cluster.registry.all()) if (t.group !== '') (paths.add(`/apis/${t.group}`), paths.add(`/apis/${t.group}/${t.version}`));
  return json(200, { paths: [...paths].sort() });
}

function parseBody(request: RestRequest): unknown {
  const text = request.body.toString('utf8');
  if (text.trim() === '') throw badRequest('the body of the request was empty; send the object as JSON');
  try {
    if (request.contentType.includes('yaml')) return parseYaml(text) as unknown;
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`error decoding the body of the request: ${(error as Error).message.split('\n')[0]}`);
  }
}

function writerOf(request: RestRequest, operation: Writer['operation']): Writer {
  const given = request.query.get('fieldManager');
  const fromAgent = request.userAgent.split('/')[0]?.trim();
  return { manager: given && given !== '' ? given : fromAgent && fromAgent !== '' ? fromAgent : 'unknown', operation };
}

function dryRun(request: RestRequest): boolean {
  const value = request.query.get('dryRun');
  if (value === null) return false;
  if (value !== 'All') throw invalid('CreateOptions', 'meta.k8s.io', '', [{ field: 'dryRun', message: `Unsupported value: "${value}": supported values: "All"`, reason: 'FieldValueNotSupported' }]);
  return true;
}

/** The Scale view of a workload (`/scale`). */
function scaleOf(object: JsonMap): JsonMap {
  const m = meta(object);
  const spec = isMap(object['spec']) ? (object['spec'] as JsonMap) : {};
  const status = isMap(object['status']) ? (object['status'] as JsonMap) : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m['name'] ?? '', namespace: m['namespace'] ?? '', uid: m['uid'] ?? '', resourceVersion: m['resourceVersion'] ?? '', creationTimestamp: m['creationTimestamp'] ?? null },
    spec: { replicas: typeof spec['replicas'] === 'number' ? spec['replicas'] : 1 },
    status: { replicas: typeof status['replicas'] === 'number' ? status['replicas'] : 0, selector: selectorToString(workloadSelector(object) ?? []) },
  };
}

function deleteOptions(request: RestRequest): RemoveOptions {
  let body: JsonMap = {};
  if (request.body.length > 0 && request.body.toString('utf8').trim() !== '') {
    const parsed = parseBody(request);
    if (isMap(parsed)) body = parsed;
  }
  const policy = request.query.get('propagationPolicy') ?? (typeof body['propagationPolicy'] === 'string' ? body['propagationPolicy'] : undefined);
  const orphan = request.query.get('orphanDependents') ?? (typeof body['orphanDependents'] === 'boolean' ? String(body['orphanDependents']) : undefined);
  if (policy !== undefined && policy !== null && !['Background', 'Foreground', 'Orphan'].includes(policy))
    throw invalid('DeleteOptions', 'meta.k8s.io', '', [{ field: 'propagationPolicy', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`, reason: 'FieldValueNotSupported' }]);
  const graceText = request.query.get('gracePeriodSeconds') ?? (typeof body['gracePeriodSeconds'] === 'number' ? String(body['gracePeriodSeconds']) : undefined);
  let gracePeriodSeconds: number | undefined;
  if (graceText !== undefined && graceText !== null) {
    gracePeriodSeconds = Number(graceText);
    if (!Number.isInteger(gracePeriodSeconds) || gracePeriodSeconds < 0) throw badRequest(`gracePeriodSeconds: invalid value "${graceText}": must be a whole number of seconds >= 0`);
  }
  const pre = isMap(body['preconditions']) ? (body['preconditions'] as JsonMap) : undefined;
  return {
    ...(policy ? { propagationPolicy: policy as RemoveOptions['propagationPolicy'] } : orphan === 'true' ? { propagationPolicy: 'Orphan' as const } : {}),
    ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
    ...(pre ? { preconditions: { ...(typeof pre['resourceVersion'] === 'string' ? { resourceVersion: pre['resourceVersion'] } : {}), ...(typeof pre['uid'] === 'string' ? { uid: pre['uid'] } : {}) } } : {}),
  };
}

interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error('bad token');
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest(`continue key is not valid: the continue token "${token}" was not issued by this server; send the token of the previous page's metadata.continue`);
  }
}

function listKey(object: JsonMap): string {
  const m = meta(object);
  return `${String(m['namespace'] ?? '')}/${String(m['name'])}`;
}

/** A list response: filtered, paged with `limit`/`continue`; items of built-in types carry no kind/apiVersion, as the API server sends them. */
function list(cluster: Cluster, type: ResourceType, namespace: string | undefined, request: RestRequest): RestResponse {
  const labels = parseLabelSelector(request.query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(request.query.get('fieldSelector') ?? '', type.plural);
  const limitText = request.query.get('limit');
  const limit = limitText === null ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit: invalid value "${limitText}": must be a whole number >= 0`);
  const token = request.query.get('continue');
  const start = token ? decodeContinue(token).start : undefined;
  let items = cluster.list(type.group, type.plural, namespace).filter((o) => matches(labels, isMap(meta(o)['labels']) ? (meta(o)['labels'] as Record<string, string>) : {}) && matchesFields(fields, o));
  if (start !== undefined) items = items.filter((o) => listKey(o) > start);
  let next: string | undefined;
  let remaining: number | undefined;
  if (limit > 0 && items.length > limit) {
    remaining = items.length - limit;
    items = items.slice(0, limit);
    next = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: cluster.resourceVersion(), start: listKey(items[items.length - 1]!) }), 'utf8').toString('base64url');
  }
  return json(200, {
    kind: `${type.kind}List`,
    apiVersion: groupVersion(type.group, type.version),
    metadata: { resourceVersion: String(cluster.resourceVersion()), ...(next ? { continue: next } : {}), ...(remaining !== undefined && labels.length === 0 && fields.length === 0 ? { remainingItemCount: remaining } : {}) },
    items: items.map((o) => {
      const out = present(o, type);
      if (!type.custom) {
        delete out['kind'];
        delete out['apiVersion'];
      }
      return out;
    }),
  });
}

/** Parses a PATCH body and applies it to `live` (as presented at the request's version). */
function patched(type: ResourceType, live: JsonMap, request: RestRequest): Json {
  const contentType = request.contentType.split(';')[0]!.trim();
  const text = request.body.toString('utf8');
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch (error) {
    throw badRequest(`error decoding patch: ${(error as Error).message}`);
  }
  try {
    if (contentType === 'application/json-patch+json') return applyJsonPatch(live, body);
    if (!isMap(body)) throw badRequest(`error decoding patch: json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type map[string]interface {}`);
    if (contentType === 'application/merge-patch+json') return applyMergePatch(live, body);
    if (type.custom) throw unsupportedMediaType(PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json'));
    return strategicMerge(live, body);
  } catch (error) {
    if (error instanceof PatchError) throw new StatusError(422, 'Invalid', error.message, { causes: [{ reason: 'FieldValueInvalid', message: error.message }] });
    throw error;
  }
}

/** Server-side apply: create when absent, else merge the applied configuration into the live object. */
function serverSideApply(cluster: Cluster, type: ResourceType, namespace: string, name: string, live: JsonMap | undefined, request: RestRequest): RestResponse {
  const manager = request.query.get('fieldManager');
  if (!manager) throw invalid('PatchOptions', 'meta.k8s.io', '', [{ field: 'fieldManager', message: 'Required value: is required for apply patch', reason: 'FieldValueRequired' }]);
  let body: unknown;
  try {
    body = parseYaml(request.body.toString('utf8'));
  } catch (error) {
    throw badRequest(`error decoding YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isMap(body)) throw badRequest('error decoding YAML: the applied configuration must be an object');
  if (typeof body['apiVersion'] !== 'string' || body['apiVersion'] === '') throw badRequest('invalid object type: /, Kind=: apiVersion must be set');
  if (typeof body['kind'] !== 'string' || body['kind'] === '') throw badRequest(`invalid object type: ${body['apiVersion']}, Kind=: kind must be set`);
  const bodyName = meta(body)['name'];
  if (bodyName !== undefined && bodyName !== name) throw badRequest(`the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`);
  const writer: Writer = { manager, operation: 'Apply' };
  const dry = dryRun(request);
  if (!live) {
    const created = cluster.create(type, type.version, namespace, { ...body, metadata: { ...meta(body), name } }, writer, dry);
    return json(201, present(created, type));
  }
  const current = present(live, type);
  const force = request.query.get('force') === 'true';
  const plan = planApply(current, body as JsonMap, fieldsV1(body as JsonMap), manager, force, groupVersion(type.group, type.version));
  const merged = (type.custom ? applyMergePatch(current, body) : strategicMerge(current, body)) as JsonMap;
  // Fields this manager applied before, no longer applies, and no one else owns, go.
  for (const path of plan.remove) removeAt(merged, path);
  if (meta(body)['resourceVersion'] === undefined) meta(merged)['resourceVersion'] = meta(live)['resourceVersion'] ?? '';
  const updated = cluster.update(type, type.version, namespace, name, merged, { writer, dryRun: dry, managedFields: plan.managedFields, applied: body as JsonMap });
  return json(200, present(updated, type));
}

/** What the REST layer asks of the simulator beyond the store. */
export interface RestEnvironment {
  /** `host:port`, for `/api`'s serverAddressByClientCIDRs. */
  readonly serverAddress: string;
  /** The log text of one container of a pod, or the reason it has none yet (the container has not started). */
  logOf(pod: JsonMap, container: string): { readonly text: string } | { readonly waiting: string };
}

function podLog(env: RestEnvironment, pod: JsonMap, request: RestRequest): RestResponse {
  const name = String(meta(pod)['name']);
  const spec = isMap(pod['spec']) ? (pod['spec'] as JsonMap) : {};
  const containers = (Array.isArray(spec['containers']) ? spec['containers'] : []).filter(isMap).map((c) => String(c['name']));
  let container = request.query.get('container');
  if (container === null || container === '') {
    if (containers.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    container = containers[0]!;
  }
  if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  const log = env.logOf(pod, container);
  if ('waiting' in log) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${log.waiting}`);
  let text = log.text;
  const tail = request.query.get('tailLines');
  if (tail !== null) {
    const n = Number(tail);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`tailLines: invalid value "${tail}": must be a whole number >= 0`);
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    text = n === 0 || text === '' ? '' : `${lines.slice(-n).join('\n')}${text.endsWith('\n') ? '\n' : ''}`;
  }
  return { kind: 'text', status: 200, body: text };
}

/** Answers one REST request (watches are described, not streamed, here). */
export function handleRest(cluster: Cluster, request: RestRequest, env: RestEnvironment): RestResponse {
  const serverAddress = env.serverAddress;
  const segments = request.path.split('/').filter(Boolean).map(decodeURIComponent);
  const notFoundText: RestResponse = { kind: 'text', status: 404, body: '404 page not found\n' };
  if (segments.length === 0) return rootPaths(cluster);
  if (segments.length === 1 && ['healthz', 'livez', 'readyz'].includes(segments[0]!)) return { kind: 'text', status: 200, body: 'ok' };
  if (segments.length === 1 && segments[0] === 'version')
    return json(200, { major: '1', minor: '31', gitVersion: 'v1.31.0-gennaker-sandbox', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.22.5', compiler: 'gc', platform: 'linux/amd64' });
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    if (segments.length === 1) return request.method === 'GET' ? json(200, cluster.registry.apiVersions(serverAddress)) : json(405, methodNotAllowed().body());
    if (segments[1] !== 'v1') return notFoundText;
    group = '';
    version = 'v1';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    if (segments.length === 1) return json(200, cluster.registry.apiGroupList());
    if (segments.length === 2) {
      const doc = cluster.registry.apiGroup(segments[1]!);
      return doc ? json(200, doc) : notFoundText;
    }
    group = segments[1]!;
    version = segments[2]!;
    if (!cluster.registry.servesGroupVersion(group, version)) return notFoundText;
    rest = segments.slice(3);
  } else return notFoundText;
  if (rest.length === 0) return request.method === 'GET' ? json(200, cluster.registry.apiResourceList(group, version)) : json(405, methodNotAllowed().body());

  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  let plural: string;
  let name: string | undefined;
  let sub: string | undefined;
  const namespaceSub = rest[0] === 'namespaces' && rest.length === 3 && group === '' && ['status', 'finalize'].includes(rest[2]!);
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSub) {
    if (rest.length > 5) throw noSuchResource();
    namespace = rest[1]!;
    plural = rest[2]!;
    name = rest[3];
    sub = rest[4];
  } else {
    if (rest.length > 3) throw noSuchResource();
    plural = rest[0]!;
    name = rest[1];
    sub = rest[2];
  }
  const type = cluster.registry.find(group, version, plural);
  if (!type) throw noSuchResource();
  if (namespace !== undefined && !type.namespaced) throw noSuchResource();
  if (namespace === undefined && type.namespaced && name !== undefined) throw noSuchResource();
  if (sub !== undefined && !type.subresources.includes(sub)) throw noSuchResource();
  const ns = type.namespaced ? (namespace ?? '') : '';
  const subject = { group: type.group, plural: type.plural, ...(name !== undefined ? { name } : {}) };
  const method = request.method;

  // Collection.
  if (name === undefined) {
    const watch = watchPath || request.query.get('watch') === 'true' || request.query.get('watch') === '1';
    if (method === 'GET' && watch) {
      const rv = request.query.get('resourceVersion');
      const timeout = request.query.get('timeoutSeconds');
      return {
        kind: 'watch',
        watch: {
          type,
          ...(namespace !== undefined ? { namespace } : {}),
          labels: parseLabelSelector(request.query.get('labelSelector') ?? ''),
          fields: parseFieldSelector(request.query.get('fieldSelector') ?? '', type.plural),
          ...(rv !== null && rv !== '' ? { resourceVersion: rv } : {}),
          bookmarks: request.query.get('allowWatchBookmarks') === 'true',
          ...(timeout !== null && Number.isFinite(Number(timeout)) ? { timeoutSeconds: Number(timeout) } : {}),
          sendInitialEvents: request.query.get('sendInitialEvents') === 'true',
        },
      };
    }
    if (method === 'GET') return list(cluster, type, namespace, request);
    if (method === 'POST') {
      if (type.namespaced && namespace === undefined) throw methodNotAllowed();
      const created = cluster.create(type, version, ns, parseBody(request), writerOf(request, 'Update'), dryRun(request));
      return json(201, present(created, type));
    }
    if (method === 'DELETE') {
      const labels = parseLabelSelector(request.query.get('labelSelector') ?? '');
      const fields = parseFieldSelector(request.query.get('fieldSelector') ?? '', type.plural);
      const options = deleteOptions(request);
      const deleted: JsonMap[] = [];
      for (const o of cluster.list(type.group, type.plural, namespace)) {
        if (!matches(labels, isMap(meta(o)['labels']) ? (meta(o)['labels'] as Record<string, string>) : {}) || !matchesFields(fields, o)) continue;
        const result = cluster.remove(type, String(meta(o)['namespace'] ?? ''), String(meta(o)['name']), options);
        deleted.push(present(result.object, type));
      }
      return json(200, { kind: `${type.kind}List`, apiVersion: groupVersion(type.group, type.version), metadata: { resourceVersion: String(cluster.resourceVersion()) }, items: deleted });
    }
    throw methodNotAllowed();
  }

  const live = cluster.get(type.group, type.plural, ns, name);

  // Subresources.
  if (sub === 'log') {
    if (method !== 'GET') throw methodNotAllowed();
    if (!live) throw notFound(subject);
    return podLog(env, live, request);
  }
  if (sub === 'scale') {
    if (!live) throw notFound(subject);
    if (method === 'GET') return json(200, scaleOf(live));
    let scale: Json;
    if (method === 'PUT') scale = parseBody(request) as Json;
    else if (method === 'PATCH') scale = patched(type, scaleOf(live), request);
    else throw methodNotAllowed();
    if (!isMap(scale)) throw badRequest('the body of the request must be a Scale object');
    const replicas = isMap(scale['spec']) ? (scale['spec'] as JsonMap)['replicas'] : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) throw invalid('Scale', 'autoscaling', name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }]);
    const next = clone(live);
    (next['spec'] as JsonMap)['replicas'] = replicas;
    const rv = meta(scale)['resourceVersion'];
    meta(next)['resourceVersion'] = typeof rv === 'string' && rv !== '' ? rv : (meta(live)['resourceVersion'] ?? '');
    const updated = cluster.update(type, version, ns, name, next, { writer: writerOf(request, 'Update'), dryRun: dryRun(request) });
    return json(200, scaleOf(updated));
  }
  if (sub === 'status') {
    if (!live) throw notFound(subject);
    if (method === 'GET') return json(200, present(live, type));
    let body: Json;
    if (method === 'PUT') body = parseBody(request) as Json;
    else if (method === 'PATCH') body = patched(type, present(live, type), request);
    else throw methodNotAllowed();
    return json(200, present(cluster.update(type, version, ns, name, body, { subresource: 'status', writer: writerOf(request, 'Update'), dryRun: dryRun(request) }), type));
  }
  if (sub !== undefined) throw noSuchResource();

  switch (method) {
    case 'GET':
      if (!live) throw notFound(subject);
      return json(200, present(live, type));
    case 'PUT':
      if (!live) throw notFound(subject);
      return json(200, present(cluster.update(type, version, ns, name, parseBody(request), { writer: writerOf(request, 'Update'), dryRun: dryRun(request) }), type));
    case 'PATCH': {
      const contentType = request.contentType.split(';')[0]!.trim();
      if (!(PATCH_TYPES as readonly string[]).includes(contentType)) throw unsupportedMediaType(type.custom ? PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json') : PATCH_TYPES);
      if (contentType === 'application/apply-patch+yaml') return serverSideApply(cluster, type, ns, name, live, request);
      if (!live) throw notFound(subject);
      const result = patched(type, present(live, type), request);
      return json(200, present(cluster.update(type, version, ns, name, result, { writer: writerOf(request, 'Update'), dryRun: dryRun(request) }), type));
    }
    case 'DELETE': {
      if (!live) throw notFound(subject);
      if (dryRun(request)) return json(200, present(live, type));
      const result = cluster.remove(type, ns, name, deleteOptions(request));
      if (result.gone) return json(200, type.custom ? present(result.object, type) : result.status);
      return json(200, present(result.object, type));
    }
    default:
      throw methodNotAllowed();
  }
}

/** Whether a watch event's object is one the watch selects. */
export function watchSelects(watch: WatchRequest, object: JsonMap): boolean {
  const m = meta(object);
  if (watch.namespace !== undefined && m['namespace'] !== watch.namespace) return false;
  return matches(watch.labels, isMap(m['labels']) ? (m['labels'] as Record<string, string>) : {}) && matchesFields(watch.fields, object);
}
