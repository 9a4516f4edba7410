/**
 * The Compute Engine v1 REST surface: routes `/compute/v1/projects/{project}/…` to each
 * collection's methods, validates requests as GCE does (which failures answer at the request,
 * which inside the operation) and renders every resource in its proto3 JSON wire form.
 */
import { MACHINE_TYPES, REGIONS, regionOfZone } from './catalog.ts';
import { GceError, alreadyExists, checkName, invalid, keyOf, linkOf, localName, notFound, page, parseFilter, parseRef, required, sameResource, scopeLink, timestamp, type Json, type ResourceRef, type Scope } from './wire.ts';
import { instanceStatus, machineTypeJson, type GceWorld, type Instance, type Mig } from './world.ts';

/** One request, decoded. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Json;
}

/** One answer: HTTP status and JSON body. */
export interface ApiResponse {
  readonly status: number;
  readonly body: Json;
}

const PREFIX = '/compute/v1/projects/';

/** The message GCE's front end gives a path it does not serve. */
function unknownPath(path: string): GceError {
  return new GceError(404, 'notFound', `The requested URL ${path} was not found on this server.`);
}

/** A stable id for catalog entries (regions, zones, machine types), independent of call order. */
function stableId(name: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return `1${String(hash).padStart(10, '0')}${String(name.length * 7919).padStart(8, '0')}`.slice(0, 19);
}

const clone = <T>(value: T): T => structuredClone(value);

/** Answers one Compute Engine request against the world (after which the caller settles it). */
export function handleApi(world: GceWorld, request: ApiRequest, requestIds: Map<string, string>): ApiResponse {
  if (!request.path.startsWith(PREFIX)) throw unknownPath(request.path);
  const segments = request.path.slice(PREFIX.length).split('/').map(decodeURIComponent);
  const project = segments.shift()!;
  if (!project) throw unknownPath(request.path);
  world.touch(project);
  const { method, query, body } = request;
  const mutation = method !== 'GET' && !/\/(getHealth|listInstances|listManagedInstances|wait)$/.test(request.path);
  const requestId = query.get('requestId');
  if (mutation && requestId) {
    // GCE answers a repeated requestId with the operation the first request started.
    const known = requestIds.get(requestId);
    const op = known ? world.operations.get(known) : undefined;
    if (op) return ok(world.renderOperation(op));
  }
  const response = route(world, project, segments, method, query, body, request.path);
  if (mutation && requestId && response.body['kind'] === 'compute#operation') {
    requestIds.set(requestId, keyOf({ project, scope: scopeOfOperation(response.body), collection: 'operations', name: String(response.body['name']) }));
  }
  return response;
}

function scopeOfOperation(op: Json): Scope {
  const zone = op['zone'];
  const region = op['region'];
  if (typeof zone === 'string') return `zones/${localName(zone)}`;
  if (typeof region === 'string') return `regions/${localName(region)}`;
  return 'global';
}

function ok(body: Json): ApiResponse {
  return { status: 200, body };
}

/** `{kind, id, items, selfLink, nextPageToken?}` after filter and pagination. */
function listOf(kind: string, project: string, scope: Scope, collection: string, items: Json[], query: URLSearchParams): ApiResponse {
  const filter = parseFilter(query.get('filter') ?? '');
  const order = query.get('orderBy');
  if (order && order !== 'name' && order !== 'creationTimestamp desc' && order !== 'creationTimestamp') throw invalid('orderBy', order, "Supported values are 'name', 'creationTimestamp' and 'creationTimestamp desc'.");
  let sorted = items.filter(filter);
  if (order === 'creationTimestamp desc') sorted = sorted.reverse();
  else if (order !== 'creationTimestamp') sorted = [...sorted].sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
  const { items: slice, nextPageToken } = page(sorted, query);
  const path = scope === '' ? `projects/${project}/${collection}` : `projects/${project}/${scope}/${collection}`;
  return ok({ kind, id: path, items: slice.map(clone), selfLink: `https://www.googleapis.com/compute/v1/${path}`, ...(nextPageToken ? { nextPageToken } : {}) });
}

function checkZone(project: string, zone: string): void {
  if (!regionOfZone(zone)) throw new GceError(404, 'notFound', `The resource 'projects/${project}/zones/${zone}' was not found`);
}

function checkRegion(project: string, region: string): void {
  if (!REGIONS.some((r) => r.name === region)) throw new GceError(404, 'notFound', `The resource 'projects/${project}/regions/${region}' was not found`);
}

function route(world: GceWorld, project: string, segments: string[], method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  const [first, second, third, fourth, fifth, sixth] = segments;
  if (first === 'global' && second) return globalRoute(world, project, second, segments.slice(2), method, query, body, path);
  if (first === 'regions') {
    if (second === undefined) {
      if (method !== 'GET') throw unknownPath(path);
      return listOf('compute#regionList', project, '', 'regions', REGIONS.map((r) => regionJson(world, project, r.name)), query);
    }
    checkRegion(project, second);
    if (third === undefined) {
      if (method !== 'GET') throw unknownPath(path);
      return ok(regionJson(world, project, second));
    }
    return scopedRoute(world, project, `regions/${second}`, third, [fourth, fifth, sixth].filter((s): s is string => s !== undefined), method, query, body, path);
  }
  if (first === 'zones') {
    if (second === undefined) {
      if (method !== 'GET') throw unknownPath(path);
      return listOf('compute#zoneList', project, '', 'zones', REGIONS.flatMap((r) => r.zones).map((z) => zoneJson(project, z)), query);
    }
    checkZone(project, second);
    if (third === undefined) {
      if (method !== 'GET') throw unknownPath(path);
      return ok(zoneJson(project, second));
    }
    return scopedRoute(world, project, `zones/${second}`, third, [fourth, fifth, sixth].filter((s): s is string => s !== undefined), method, query, body, path);
  }
  if (first === 'aggregated' && second && method === 'GET' && third === undefined) return aggregated(world, project, second, query, path);
  throw unknownPath(path);
}

function regionJson(world: GceWorld, project: string, name: string): Json {
  const region = REGIONS.find((r) => r.name === name)!;
  const quota = world.quotas.find((q) => q.project === project && q.region === name);
  return {
    kind: 'compute#region',
    id: stableId(`region/${name}`),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name,
    description: name,
    status: 'UP',
    zones: region.zones.map((z) => scopeLink(project, `zones/${z}`)),
    ...(quota ? { quotas: [{ metric: 'INSTANCES', limit: quota.limit, usage: [...world.migs.values()].filter((m) => m.ref.project === project && regionOfZone(m.zones[0]!)?.name === name).reduce((n, m) => n + m.targetSize, 0) }] } : {}),
    selfLink: scopeLink(project, `regions/${name}`),
    supportsPzs: false,
  };
}

function zoneJson(project: string, zone: string): Json {
  return {
    kind: 'compute#zone',
    id: stableId(`zone/${zone}`),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name: zone,
    description: zone,
    status: 'UP',
    region: scopeLink(project, `regions/${regionOfZone(zone)!.name}`),
    selfLink: scopeLink(project, `zones/${zone}`),
    availableCpuPlatforms: ['Intel Broadwell', 'Intel Cascade Lake', 'AMD Milan'],
    supportsPzs: false,
  };
}

// ---------------------------------------------------------------- global

function globalRoute(world: GceWorld, project: string, collection: string, rest: string[], method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  const [name, action, extra] = rest;
  if (extra !== undefined) throw unknownPath(path);
  const ref = (n: string): ResourceRef => ({ project, scope: 'global', collection, name: n });
  switch (collection) {
    case 'images':
      if (name === 'family' && action !== undefined && method === 'GET') {
        const image = world.latestOfFamily(project, action);
        if (!image) throw new GceError(404, 'notFound', `The resource 'projects/${project}/global/images/family/${action}' was not found`);
        return ok(clone(image));
      }
      if (action !== undefined) throw unknownPath(path);
      if (name === undefined && method === 'GET') return listOf('compute#imageList', project, 'global', 'images', world.list(project, 'global', 'images'), query);
      if (name === undefined && method === 'POST') return insertImage(world, project, body);
      if (name !== undefined && method === 'GET') return ok(clone(world.get(ref(name))));
      if (name !== undefined && method === 'DELETE') return deletePlain(world, ref(name), 'global');
      throw unknownPath(path);
    case 'networks':
      if (action !== undefined) throw unknownPath(path);
      if (name === undefined && method === 'GET') return listOf('compute#networkList', project, 'global', 'networks', world.list(project, 'global', 'networks'), query);
      if (name !== undefined && method === 'GET') return ok(clone(world.get(ref(name))));
      throw unknownPath(path);
    case 'healthChecks':
      return healthChecks(world, project, 'global', name, action, method, query, body, path);
    case 'instanceTemplates':
      if (action !== undefined) throw unknownPath(path);
      if (name === undefined && method === 'GET') return listOf('compute#instanceTemplateList', project, 'global', 'instanceTemplates', world.list(project, 'global', 'instanceTemplates'), query);
      if (name === undefined && method === 'POST') return insertTemplate(world, project, body);
      if (name !== undefined && method === 'GET') return ok(clone(world.get(ref(name))));
      if (name !== undefined && method === 'DELETE') return deleteTemplate(world, ref(name));
      throw unknownPath(path);
    case 'backendServices':
      return backendServices(world, project, 'global', name, action, method, query, body, path);
    case 'forwardingRules':
      return forwardingRules(world, project, 'global', name, action, method, query, path);
    case 'operations':
      return operations(world, project, 'global', name, action, method, query, path);
    default:
      throw unknownPath(path);
  }
}

// ---------------------------------------------------------------- regional and zonal

function scopedRoute(world: GceWorld, project: string, scope: Scope, collection: string, rest: string[], method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  const [name, action, extra] = rest;
  if (extra !== undefined) throw unknownPath(path);
  const zonal = scope.startsWith('zones/');
  const ref = (n: string): ResourceRef => ({ project, scope, collection, name: n });
  switch (collection) {
    case 'operations':
      return operations(world, project, scope, name, action, method, query, path);
    case 'instanceGroupManagers':
      return instanceGroupManagers(world, project, scope, name, action, method, query, body, path);
    case 'instanceGroups':
      return instanceGroups(world, project, scope, name, action, method, query, body, path);
    case 'autoscalers':
      return autoscalers(world, project, scope, name, action, method, query, body, path);
    case 'machineTypes': {
      if (!zonal || action !== undefined || method !== 'GET') throw unknownPath(path);
      const zone = scope.slice('zones/'.length);
      const json = (n: string) => machineTypeJson(project, zone, n, (t) => stableId(`machineType/${t}`));
      if (name === undefined) return listOf('compute#machineTypeList', project, scope, 'machineTypes', MACHINE_TYPES.map((t) => json(t.name)!), query);
      const found = json(name);
      if (!found) throw notFound(ref(name));
      return ok(found);
    }
    case 'instances': {
      if (!zonal || action !== undefined) throw unknownPath(path);
      if (name === undefined && method === 'GET') return listOf('compute#instanceList', project, scope, 'instances', [...world.instances.values()].filter((i) => i.ref.project === project && i.ref.scope === scope).map((i) => instanceJson(world, i)), query);
      if (name === undefined) throw unknownPath(path);
      const found = world.instances.get(keyOf(ref(name)));
      if (!found) throw notFound(ref(name));
      if (method === 'GET') return ok(instanceJson(world, found));
      if (method === 'DELETE') {
        // Deleting a managed instance directly: its group sees one missing and creates a replacement.
        return ok(world.operate(project, scope, 'delete', found.ref, found.id, () => world.stopInstance(found)));
      }
      throw unknownPath(path);
    }
    case 'subnetworks':
      if (zonal || action !== undefined || method !== 'GET') throw unknownPath(path);
      if (name === undefined) return listOf('compute#subnetworkList', project, scope, 'subnetworks', world.list(project, scope, 'subnetworks'), query);
      return ok(clone(world.get(ref(name))));
    case 'healthChecks':
      if (zonal) throw unknownPath(path);
      return healthChecks(world, project, scope, name, action, method, query, body, path);
    case 'backendServices':
      if (zonal) throw unknownPath(path);
      return backendServices(world, project, scope, name, action, method, query, body, path);
    case 'targetPools':
      if (zonal) throw unknownPath(path);
      return targetPools(world, project, scope, name, action, method, query, body, path);
    case 'forwardingRules':
      if (zonal) throw unknownPath(path);
      return forwardingRules(world, project, scope, name, action, method, query, path);
    default:
      throw unknownPath(path);
  }
}

// ---------------------------------------------------------------- operations

function operations(world: GceWorld, project: string, scope: Scope, name: string | undefined, action: string | undefined, method: string, query: URLSearchParams, path: string): ApiResponse {
  if (name === undefined) {
    if (method !== 'GET') throw unknownPath(path);
    const ops = [...world.operations.values()].filter((o) => o.ref.project === project && o.ref.scope === scope).sort((a, b) => a.seq - b.seq);
    return listOf('compute#operationList', project, scope, 'operations', ops.map((o) => world.renderOperation(o)), withDefaultOrder(query));
  }
  const ref = { project, scope, collection: 'operations', name };
  const op = world.operations.get(keyOf(ref));
  if (!op) throw notFound(ref);
  // `wait` answers at once: the caller waits on the simulated clock, never on the wall clock.
  if ((method === 'GET' && action === undefined) || (method === 'POST' && action === 'wait')) return ok(world.renderOperation(op));
  if (method === 'DELETE' && action === undefined) {
    world.operations.delete(keyOf(ref));
    return ok({});
  }
  throw unknownPath(path);
}

/** Operations list oldest first unless the caller orders them. */
function withDefaultOrder(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams(query);
  if (!out.has('orderBy')) out.set('orderBy', 'creationTimestamp');
  return out;
}

/** Deletes a plain resource when its operation is DONE. */
function deletePlain(world: GceWorld, ref: ResourceRef, opScope: Scope, check?: () => void): ApiResponse {
  const existing = world.get(ref);
  check?.();
  return ok(world.operate(ref.project, opScope, 'delete', ref, String(existing['id']), () => {
    world.resources.delete(keyOf(ref));
  }));
}

/** Inserts a plain resource when its operation is DONE; the name is held meanwhile. */
function insertPlain(world: GceWorld, ref: ResourceRef, opScope: Scope, build: () => Json, validateAtDone?: () => void): ApiResponse {
  if (world.taken(ref)) throw alreadyExists(ref);
  const id = world.id();
  world.reserved.add(keyOf(ref));
  return ok(world.operate(ref.project, opScope, 'insert', ref, id, () => {
    world.reserved.delete(keyOf(ref));
    validateAtDone?.();
    world.resources.set(keyOf(ref), { ...build(), id });
  }));
}

// ---------------------------------------------------------------- images, health checks

function insertImage(world: GceWorld, project: string, body: Json): ApiResponse {
  const name = checkName(body['name']);
  const ref = { project, scope: 'global', collection: 'images', name };
  if (world.taken(ref)) throw alreadyExists(ref);
  world.reserved.add(keyOf(ref));
  return ok(world.operate(project, 'global', 'insert', ref, world.id(), () => {
    world.reserved.delete(keyOf(ref));
    const image = world.putImage(project, {
      name,
      ...(typeof body['family'] === 'string' ? { family: body['family'] } : {}),
      ...(typeof body['description'] === 'string' ? { description: body['description'] } : {}),
      ...(body['labels'] && typeof body['labels'] === 'object' ? { labels: body['labels'] as Record<string, string> } : {}),
      ...(body['diskSizeGb'] !== undefined ? { diskSizeGb: Number(body['diskSizeGb']) } : {}),
    });
    return image;
  }));
}

/** A health check in its wire form (HTTP, GCE's defaults). */
export function healthCheckJson(world: GceWorld, ref: ResourceRef, body: Json): Json {
  const type = String(body['type'] ?? 'HTTP');
  // HTTP → httpHealthCheck, HTTPS → httpsHealthCheck, HTTP2 → http2HealthCheck, TCP → tcpHealthCheck.
  const key = `${type.toLowerCase()}HealthCheck`;
  const given = (body[key] ?? {}) as Json;
  return {
    kind: 'compute#healthCheck',
    id: world.id(),
    creationTimestamp: timestamp(world.now()),
    name: ref.name,
    description: String(body['description'] ?? ''),
    checkIntervalSec: Number(body['checkIntervalSec'] ?? 5),
    timeoutSec: Number(body['timeoutSec'] ?? 5),
    unhealthyThreshold: Number(body['unhealthyThreshold'] ?? 2),
    healthyThreshold: Number(body['healthyThreshold'] ?? 2),
    type,
    [key]: { port: Number(given['port'] ?? 80), requestPath: String(given['requestPath'] ?? '/'), proxyHeader: 'NONE', portSpecification: 'USE_FIXED_PORT' },
    selfLink: linkOf(ref),
    ...(ref.scope.startsWith('regions/') ? { region: scopeLink(ref.project, ref.scope) } : {}),
  };
}

function healthChecks(world: GceWorld, project: string, scope: Scope, name: string | undefined, action: string | undefined, method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  if (action !== undefined) throw unknownPath(path);
  const ref = (n: string): ResourceRef => ({ project, scope, collection: 'healthChecks', name: n });
  if (name === undefined && method === 'GET') return listOf('compute#healthCheckList', project, scope, 'healthChecks', world.list(project, scope, 'healthChecks'), query);
  if (name === undefined && method === 'POST') {
    const r = ref(checkName(body['name']));
    return insertPlain(world, r, scope, () => healthCheckJson(world, r, body));
  }
  if (name !== undefined && method === 'GET') return ok(clone(world.get(ref(name))));
  if (name !== undefined && method === 'DELETE') {
    return deletePlain(world, ref(name), scope, () => {
      const link = linkOf(ref(name));
      const user = [...world.resources.values()].find((r) => r['kind'] === 'compute#backendService' && ((r['healthChecks'] ?? []) as string[]).some((h) => sameResource(h, link)));
      if (user) throw inUse(ref(name), String(user['selfLink']));
    });
  }
  throw unknownPath(path);
}

/** 400 `resourceInUseByAnotherResource`, as GCE words it. */
function inUse(ref: ResourceRef, by: string): GceError {
  const kinds: Record<string, string> = { instanceTemplates: 'instance_template', instanceGroups: 'instance_group', instanceGroupManagers: 'instance_group_manager', healthChecks: 'health_check', backendServices: 'backend_service', targetPools: 'target_pool' };
  return new GceError(400, 'resourceInUseByAnotherResource', `The ${kinds[ref.collection] ?? ref.collection} resource 'projects/${ref.project}/${ref.scope}/${ref.collection}/${ref.name}' is already being used by '${by.replace(/^https?:\/\/[^/]+\/compute\/v1\//, '')}'`);
}

// ---------------------------------------------------------------- instance templates

function insertTemplate(world: GceWorld, project: string, body: Json): ApiResponse {
  const name = checkName(body['name']);
  const properties = body['properties'];
  if (!properties || typeof properties !== 'object') throw required('resource.properties');
  const props = properties as Json;
  if (typeof props['machineType'] !== 'string' || props['machineType'] === '') throw required('resource.properties.machineType');
  const ref = { project, scope: 'global', collection: 'instanceTemplates', name };
  const normalized = normalizeProperties(world, project, props);
  return insertPlain(
    world,
    ref,
    'global',
    () => ({
      kind: 'compute#instanceTemplate',
      creationTimestamp: timestamp(world.now()),
      name,
      description: String(body['description'] ?? ''),
      properties: normalized,
      selfLink: linkOf(ref),
    }),
    () => validateTemplate(world, project, props),
  );
}

/** The template's properties as GCE stores them: links completed, kinds and defaults filled in. */
function normalizeProperties(world: GceWorld, project: string, props: Json): Json {
  const out: Json = clone(props);
  const metadata = (props['metadata'] ?? {}) as Json;
  out['metadata'] = { kind: 'compute#metadata', fingerprint: world.fingerprint(), items: Array.isArray(metadata['items']) ? metadata['items'] : [] };
  out['networkInterfaces'] = ((props['networkInterfaces'] ?? [{ network: 'global/networks/default' }]) as Json[]).map((nic, index) => {
    const network = parseRef(nic['network'] ?? 'default', { project, collection: 'networks', scope: 'global' });
    const subnet = typeof nic['subnetwork'] === 'string' ? parseRef(nic['subnetwork'], { project, collection: 'subnetworks' }) : undefined;
    return {
      kind: 'compute#networkInterface',
      ...nic,
      ...(network ? { network: linkOf(network) } : {}),
      ...(subnet ? { subnetwork: linkOf(subnet) } : {}),
      name: `nic${index}`,
    };
  });
  out['disks'] = ((props['disks'] ?? []) as Json[]).map((disk, index) => ({ kind: 'compute#attachedDisk', type: 'PERSISTENT', mode: 'READ_WRITE', index, boot: index === 0, autoDelete: true, ...disk }));
  out['labels'] = { ...((props['labels'] ?? {}) as Json) };
  if (props['tags'] && typeof props['tags'] === 'object') out['tags'] = { items: ((props['tags'] as Json)['items'] ?? []) as string[] };
  return out;
}

/** What GCE checks inside a template insert: machine type, boot image, network and subnetwork. */
function validateTemplate(world: GceWorld, project: string, props: Json): void {
  const machineType = localName(String(props['machineType']));
  if (!MACHINE_TYPES.some((t) => t.name === machineType)) {
    throw new GceError(400, 'invalid', `Invalid value for field 'resource.properties.machineType': '${props['machineType']}'. Machine type with name '${machineType}' does not exist.`);
  }
  (((props['disks'] ?? []) as Json[]) || []).forEach((disk, index) => {
    const source = (disk['initializeParams'] as Json | undefined)?.['sourceImage'];
    if (source === undefined) return;
    if (!world.findImage(source, project)) {
      const family = /(?:projects\/([^/]+)\/)?global\/images\/family\/([^/?]+)$/.exec(String(source));
      const shown = family ? `projects/${family[1] ?? project}/global/images/family/${family[2]}` : (() => {
        const r = parseRef(source, { project, collection: 'images', scope: 'global' });
        return r ? `projects/${r.project}/global/images/${r.name}` : String(source);
      })();
      if (!family && !parseRef(source, { project, collection: 'images', scope: 'global' })) throw invalid(`resource.properties.disks[${index}].initializeParams.sourceImage`, source, 'The URL is malformed.');
      throw new GceError(404, 'notFound', `The resource '${shown}' was not found`);
    }
  });
  ((props['networkInterfaces'] ?? []) as Json[]).forEach((nic, index) => {
    const network = parseRef(nic['network'] ?? 'default', { project, collection: 'networks', scope: 'global' });
    if (!network) throw invalid(`resource.properties.networkInterfaces[${index}].network`, nic['network'], 'The URL is malformed.');
    world.get(network);
    if (nic['subnetwork'] !== undefined) {
      const subnet = parseRef(nic['subnetwork'], { project, collection: 'subnetworks' });
      if (!subnet) throw invalid(`resource.properties.networkInterfaces[${index}].subnetwork`, nic['subnetwork'], 'The URL is malformed.');
      world.get(subnet);
    }
  });
}

function deleteTemplate(world: GceWorld, ref: ResourceRef): ApiResponse {
  return deletePlain(world, ref, 'global', () => {
    const link = linkOf(ref);
    const user = [...world.migs.values()].find((m) => sameResource(m.instanceTemplate, link));
    if (user) throw inUse(ref, linkOf(user.ref));
  });
}

// ---------------------------------------------------------------- managed instance groups

function migCounts(world: GceWorld, mig: Mig): { none: number; creating: number; deleting: number; live: Instance[] } {
  const now = world.now();
  const all = world.instancesOf(mig);
  const live = all.filter((i) => i.stoppingAt === undefined);
  const deleting = all.length - live.length;
  const starting = live.filter((i) => instanceStatus(i, now) !== 'RUNNING').length;
  const missing = Math.max(0, mig.targetSize - live.length);
  return { none: live.length - starting, creating: starting + missing, deleting, live };
}

/** A managed instance group in its wire form. */
export function migJson(world: GceWorld, mig: Mig): Json {
  const regional = mig.ref.scope.startsWith('regions/');
  const { none, creating, deleting, live } = migCounts(world, mig);
  const scaler = world.autoscalerOf(mig);
  const versionReached = live.every((i) => sameResource(i.template, mig.instanceTemplate));
  return {
    kind: 'compute#instanceGroupManager',
    id: mig.id,
    creationTimestamp: timestamp(mig.creationTimestamp),
    name: mig.ref.name,
    description: mig.description,
    ...(regional ? { region: scopeLink(mig.ref.project, mig.ref.scope) } : { zone: scopeLink(mig.ref.project, mig.ref.scope) }),
    ...(regional ? { distributionPolicy: { zones: mig.zones.map((z) => ({ zone: scopeLink(mig.ref.project, `zones/${z}`) })), targetShape: mig.targetShape } } : {}),
    instanceTemplate: mig.instanceTemplate,
    versions: [{ instanceTemplate: mig.instanceTemplate }],
    instanceGroup: world.groupLink(mig),
    targetPools: [...mig.targetPools],
    baseInstanceName: mig.baseInstanceName,
    fingerprint: mig.fingerprint,
    currentActions: { none, creating, creatingWithoutRetries: 0, verifying: 0, recreating: 0, deleting, abandoning: 0, restarting: 0, refreshing: 0, starting: 0, stopping: 0, suspending: 0, resuming: 0 },
    status: {
      isStable: creating === 0 && deleting === 0 && live.length === mig.targetSize,
      versionTarget: { isReached: versionReached },
      stateful: { hasStatefulConfig: false, perInstanceConfigs: { allEffective: true } },
      ...(scaler ? { autoscaler: String(scaler['selfLink']) } : {}),
    },
    targetSize: mig.targetSize,
    selfLink: linkOf(mig.ref),
    autoHealingPolicies: clone(mig.autoHealingPolicies),
    namedPorts: clone(mig.namedPorts),
    updatePolicy: { type: 'OPPORTUNISTIC', instanceRedistributionType: regional ? 'PROACTIVE' : 'NONE', minimalAction: 'REPLACE', maxSurge: { fixed: regional ? mig.zones.length : 1, calculated: regional ? mig.zones.length : 1 }, maxUnavailable: { fixed: regional ? mig.zones.length : 1, calculated: regional ? mig.zones.length : 1 }, replacementMethod: 'SUBSTITUTE' },
    listManagedInstancesResults: 'PAGELESS',
    instanceLifecyclePolicy: { forceUpdateOnRepair: 'NO', defaultActionOnFailure: 'REPAIR' },
  };
}

function instanceGroupManagers(world: GceWorld, project: string, scope: Scope, name: string | undefined, action: string | undefined, method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  const regional = scope.startsWith('regions/');
  const ref = (n: string): ResourceRef => ({ project, scope, collection: 'instanceGroupManagers', name: n });
  const find = (n: string): Mig => {
    const mig = world.migs.get(keyOf(ref(n)));
    if (!mig) throw notFound(ref(n));
    return mig;
  };
  if (name === undefined) {
    if (method === 'GET') return listOf(regional ? 'compute#regionInstanceGroupManagerList' : 'compute#instanceGroupManagerList', project, scope, 'instanceGroupManagers', migsIn(world, project, scope).map((m) => migJson(world, m)), query);
    if (method === 'POST') return insertMig(world, project, scope, body);
    throw unknownPath(path);
  }
  if (action === undefined) {
    if (method === 'GET') return ok(migJson(world, find(name)));
    if (method === 'DELETE') return deleteMig(world, find(name));
    throw unknownPath(path);
  }
  if (action === 'listErrors' && method === 'GET') {
    // The group retries an instance it cannot create; its last failure is what listErrors shows.
    const mig = find(name);
    const items = mig.lastError ? [{ error: { code: 'RESOURCE_NOT_FOUND', message: mig.lastError }, timestamp: timestamp(world.now()) }] : [];
    return ok({ items });
  }
  if (method !== 'POST') throw unknownPath(path);
  const mig = find(name);
  switch (action) {
    case 'resize': {
      const raw = query.get('size');
      if (raw === null || raw === '') throw required('size');
      const size = Number(raw);
      if (!Number.isInteger(size) || size < 0) throw invalid('size', raw, 'Must be greater than or equal to 0.');
      world.checkQuota(project, regionOfZone(mig.zones[0]!)!.name, keyOf(mig.ref), size);
      return ok(world.operate(project, scope, 'compute.instanceGroupManagers.resize', mig.ref, mig.id, () => {
        mig.targetSize = size;
        mig.fingerprint = world.fingerprint();
      }));
    }
    case 'listManagedInstances': {
      const now = world.now();
      const items = world.instancesOf(mig).map((i) => {
        const status = instanceStatus(i, now);
        return {
          instance: linkOf(i.ref),
          id: i.id,
          name: i.ref.name,
          instanceStatus: status,
          currentAction: status === 'STOPPING' ? 'DELETING' : status === 'RUNNING' ? 'NONE' : 'CREATING',
          version: { instanceTemplate: i.template },
          ...(status === 'RUNNING' ? { lastAttempt: {} } : {}),
        };
      });
      const { items: slice, nextPageToken } = page(items, query);
      return ok({ managedInstances: slice, ...(nextPageToken ? { nextPageToken } : {}) });
    }
    case 'deleteInstances':
    case 'recreateInstances': {
      // deleteInstances lowers targetSize by as many, so the group does not replace them;
      // recreateInstances keeps it, so the group creates a replacement for each.
      if (!Array.isArray(body['instances']) || body['instances'].length === 0) throw required('resource.instances');
      const members = world.instancesOf(mig);
      const chosen = (body['instances'] as unknown[]).map((value, index) => {
        const ref = parseRef(value, { project, collection: 'instances' });
        const found = ref ? members.find((i) => keyOf(i.ref) === keyOf(ref)) : undefined;
        if (!found) throw invalid(`resource.instances[${index}]`, value, `The instance is not a member of instance group manager '${mig.ref.name}'.`);
        return found;
      });
      return ok(world.operate(project, scope, `compute.instanceGroupManagers.${action}`, mig.ref, mig.id, () => {
        const live = chosen.filter((i) => i.stoppingAt === undefined);
        for (const instance of live) world.stopInstance(instance);
        if (action === 'deleteInstances') mig.targetSize = Math.max(0, mig.targetSize - live.length);
        mig.fingerprint = world.fingerprint();
      }));
    }
    case 'setInstanceTemplate': {
      const template = parseRef(body['instanceTemplate'], { project, collection: 'instanceTemplates', scope: 'global' });
      if (!template) throw invalid('resource.instanceTemplate', body['instanceTemplate'], 'Expected an instance template URL.');
      world.get(template);
      return ok(world.operate(project, scope, 'compute.instanceGroupManagers.setInstanceTemplate', mig.ref, mig.id, () => {
        mig.instanceTemplate = linkOf(template);
        mig.fingerprint = world.fingerprint();
      }));
    }
    case 'setTargetPools': {
      const pools = targetPoolLinks(world, project, regionOfZone(mig.zones[0]!)!.name, body['targetPools'], 'resource.targetPools');
      if (body['fingerprint'] !== undefined && body['fingerprint'] !== mig.fingerprint) throw preconditionFailed();
      return ok(world.operate(project, scope, 'compute.instanceGroupManagers.setTargetPools', mig.ref, mig.id, () => {
        for (const old of mig.targetPools) if (!pools.some((p) => sameResource(p, old))) removeFromPool(world, project, old, world.instancesOf(mig).map((i) => linkOf(i.ref)));
        mig.targetPools = pools;
        world.addToTargetPools(mig, world.instancesOf(mig));
        mig.fingerprint = world.fingerprint();
      }));
    }
    default:
      throw unknownPath(path);
  }
}

function migsIn(world: GceWorld, project: string, scope: Scope): Mig[] {
  return [...world.migs.values()].filter((m) => m.ref.project === project && m.ref.scope === scope);
}

function targetPoolLinks(world: GceWorld, project: string, region: string, value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(field, value, 'Expected a list of target pool URLs.');
  return value.map((p, index) => {
    const ref = parseRef(p, { project, collection: 'targetPools', scope: `regions/${region}` });
    if (!ref) throw invalid(`${field}[${index}]`, p, 'Expected a target pool URL.');
    world.get(ref);
    return linkOf(ref);
  });
}

function removeFromPool(world: GceWorld, project: string, poolLink: string, instances: string[]): void {
  const ref = parseRef(poolLink, { project, collection: 'targetPools' });
  const pool = ref ? world.resources.get(keyOf(ref)) : undefined;
  if (pool) pool['instances'] = ((pool['instances'] ?? []) as string[]).filter((i) => !instances.some((x) => sameResource(x, i)));
}

function insertMig(world: GceWorld, project: string, scope: Scope, body: Json): ApiResponse {
  const regional = scope.startsWith('regions/');
  const name = checkName(body['name']);
  const ref = { project, scope, collection: 'instanceGroupManagers', name };
  const baseInstanceName = body['baseInstanceName'];
  if (baseInstanceName === undefined || baseInstanceName === '') throw required('resource.baseInstanceName');
  if (typeof baseInstanceName !== 'string' || !/^[a-z](?:[-a-z0-9]{0,57})$/.test(baseInstanceName)) throw invalid('resource.baseInstanceName', baseInstanceName, "Must be a match of regex '[a-z](([-a-z0-9]{0,57})|([-a-z0-9]{0,51}-#{1,10}(\\[[0-9]{1,10}\\])?))'");
  const versions = Array.isArray(body['versions']) ? (body['versions'] as Json[]) : [];
  const templateValue = body['instanceTemplate'] ?? versions[0]?.['instanceTemplate'];
  if (templateValue === undefined || templateValue === '') throw required('resource.instanceTemplate');
  const template = parseRef(templateValue, { project, collection: 'instanceTemplates', scope: 'global' });
  if (!template) throw invalid('resource.instanceTemplate', templateValue, 'Expected an instance template URL.');
  world.get(template);
  const targetSize = body['targetSize'] === undefined ? 0 : Number(body['targetSize']);
  if (!Number.isInteger(targetSize) || targetSize < 0) throw invalid('resource.targetSize', body['targetSize'], 'Must be greater than or equal to 0.');
  if (world.taken(ref)) throw alreadyExists(ref);
  const region = regional ? scope.slice('regions/'.length) : regionOfZone(scope.slice('zones/'.length))!.name;
  const regionInfo = REGIONS.find((r) => r.name === region)!;
  let zones: string[] = regional ? regionInfo.zones.slice(0, 3) : [scope.slice('zones/'.length)];
  const policy = body['distributionPolicy'] as Json | undefined;
  if (regional && policy && Array.isArray(policy['zones']) && policy['zones'].length > 0) {
    zones = (policy['zones'] as Json[]).map((z, index) => {
      const zone = localName(String(z['zone'] ?? ''));
      if (!regionInfo.zones.includes(zone)) throw invalid(`resource.distributionPolicy.zones[${index}].zone`, z['zone'], `Zone must be in region ${region}.`);
      return zone;
    });
  }
  const targetPools = targetPoolLinks(world, project, region, body['targetPools'], 'resource.targetPools');
  world.checkQuota(project, region, undefined, targetSize);
  const namedPorts = Array.isArray(body['namedPorts']) ? (body['namedPorts'] as Json[]).map((p) => ({ name: String(p['name']), port: Number(p['port']) })) : [];
  const autoHealingPolicies = Array.isArray(body['autoHealingPolicies']) ? (body['autoHealingPolicies'] as Json[]).map((p) => ({ ...p, initialDelaySec: Number(p['initialDelaySec'] ?? 300) })) : [];
  const id = world.id();
  world.reserved.add(keyOf(ref));
  return ok(world.operate(project, scope, 'insert', ref, id, () => {
    world.reserved.delete(keyOf(ref));
    // Checked when the group is built, not at the request: the template exists but its image may not.
    const stored = world.get(template);
    const image = world.bootImageOf(stored, project);
    if (image.missing) throw new GceError(404, 'notFound', `The resource '${image.missing}' was not found`);
    world.migs.set(keyOf(ref), {
      ref,
      id,
      groupId: world.id(),
      creationTimestamp: world.now(),
      baseInstanceName,
      description: String(body['description'] ?? ''),
      instanceTemplate: linkOf(template),
      targetSize,
      targetPools,
      namedPorts,
      autoHealingPolicies,
      zones,
      targetShape: String((policy?.['targetShape'] as string | undefined) ?? 'EVEN'),
      fingerprint: world.fingerprint(),
    });
  }));
}

function deleteMig(world: GceWorld, mig: Mig): ApiResponse {
  const group = world.groupLink(mig);
  for (const service of world.resources.values()) {
    if (service['kind'] !== 'compute#backendService') continue;
    if (((service['backends'] ?? []) as Json[]).some((b) => typeof b['group'] === 'string' && sameResource(b['group'], group))) {
      throw inUse({ ...mig.ref, collection: 'instanceGroups' }, String(service['selfLink']));
    }
  }
  return ok(world.operate(mig.ref.project, mig.ref.scope, 'delete', mig.ref, mig.id, () => {
    const scaler = world.autoscalerOf(mig);
    if (scaler) world.resources.delete(keyOf(parseRef(scaler['selfLink'], { project: mig.ref.project, collection: 'autoscalers' })!));
    for (const instance of world.instancesOf(mig)) {
      world.instances.delete(keyOf(instance.ref));
      for (const pool of mig.targetPools) removeFromPool(world, mig.ref.project, pool, [linkOf(instance.ref)]);
    }
    world.migs.delete(keyOf(mig.ref));
  }));
}

// ---------------------------------------------------------------- instance groups and instances

function instanceGroupJson(world: GceWorld, mig: Mig): Json {
  const regional = mig.ref.scope.startsWith('regions/');
  const template = world.resources.get(keyOf(parseRef(mig.instanceTemplate, { project: mig.ref.project, collection: 'instanceTemplates' })!));
  const nic = (((template?.['properties'] as Json | undefined)?.['networkInterfaces'] ?? []) as Json[])[0];
  return {
    kind: 'compute#instanceGroup',
    id: mig.groupId,
    creationTimestamp: timestamp(mig.creationTimestamp),
    name: mig.ref.name,
    description: `This instance group is controlled by ${regional ? 'Regional ' : ''}Instance Group Manager '${mig.ref.name}'. To modify instances in this group, use the ${regional ? 'Regional ' : ''}Instance Group Manager API: https://cloud.google.com/compute/docs/reference/latest/${regional ? 'regionInstanceGroupManagers' : 'instanceGroupManagers'}`,
    namedPorts: clone(mig.namedPorts),
    ...(typeof nic?.['network'] === 'string' ? { network: nic['network'] } : {}),
    ...(typeof nic?.['subnetwork'] === 'string' ? { subnetwork: nic['subnetwork'] } : {}),
    fingerprint: '42WmSpB8rSM=',
    ...(regional ? { region: scopeLink(mig.ref.project, mig.ref.scope) } : { zone: scopeLink(mig.ref.project, mig.ref.scope) }),
    size: world.instancesOf(mig).filter((i) => i.stoppingAt === undefined).length,
    selfLink: world.groupLink(mig),
  };
}

function instanceGroups(world: GceWorld, project: string, scope: Scope, name: string | undefined, action: string | undefined, method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  const regional = scope.startsWith('regions/');
  if (name === undefined) {
    if (method !== 'GET') throw unknownPath(path);
    return listOf(regional ? 'compute#regionInstanceGroupList' : 'compute#instanceGroupList', project, scope, 'instanceGroups', migsIn(world, project, scope).map((m) => instanceGroupJson(world, m)), query);
  }
  const ref = { project, scope, collection: 'instanceGroups', name };
  const mig = world.migs.get(keyOf({ ...ref, collection: 'instanceGroupManagers' }));
  if (!mig) throw notFound(ref);
  if (action === undefined && method === 'GET') return ok(instanceGroupJson(world, mig));
  if (action === 'listInstances' && method === 'POST') {
    const state = String(body['instanceState'] ?? 'ALL');
    if (state !== 'ALL' && state !== 'RUNNING') throw invalid('instanceState', state, "Must be 'ALL' or 'RUNNING'.");
    const now = world.now();
    const items = world
      .instancesOf(mig)
      .map((i) => ({ instance: linkOf(i.ref), status: instanceStatus(i, now), ...(mig.namedPorts.length > 0 ? { namedPorts: clone(mig.namedPorts) } : {}) }))
      .filter((i) => state === 'ALL' || i.status === 'RUNNING');
    const filtered = items.filter(parseFilter(query.get('filter') ?? ''));
    const { items: slice, nextPageToken } = page(filtered, query);
    const id = `projects/${project}/${scope}/instanceGroups/${name}`;
    return ok({ kind: regional ? 'compute#regionInstanceGroupsListInstances' : 'compute#instanceGroupsListInstances', id, items: slice, selfLink: `${linkOf(ref)}/listInstances`, ...(nextPageToken ? { nextPageToken } : {}) });
  }
  throw unknownPath(path);
}

/** An instance in its wire form, with its status now. */
export function instanceJson(world: GceWorld, instance: Instance): Json {
  const status = instanceStatus(instance, world.now());
  return { ...clone(instance.json), status, ...(status === 'RUNNING' || status === 'STOPPING' ? { lastStartTimestamp: timestamp(instance.runningAt) } : {}) };
}

// ---------------------------------------------------------------- backend services

function preconditionFailed(): GceError {
  return new GceError(412, 'conditionNotMet', 'Precondition Failed', { location: 'If-Match', locationType: 'header' });
}

/** Normalizes and checks `backends[]`: each group an existing instance group, no group twice. */
function checkBackends(world: GceWorld, project: string, value: unknown): Json[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid('resource.backends', value, 'Expected a list of backends.');
  const seen: string[] = [];
  return (value as Json[]).map((backend, index) => {
    const group = parseRef(backend['group'], { project, collection: 'instanceGroups' });
    if (!group) throw invalid(`resource.backends[${index}].group`, backend['group'], 'Expected an instance group URL.');
    if (!world.migs.has(keyOf({ ...group, collection: 'instanceGroupManagers' }))) throw notFound(group);
    const link = linkOf(group);
    if (seen.includes(link)) throw invalid(`resource.backends[${index}].group`, backend['group'], 'Duplicate group in backends.');
    seen.push(link);
    const scaler = backend['capacityScaler'] === undefined ? 1 : Number(backend['capacityScaler']);
    if (!Number.isFinite(scaler) || scaler < 0 || scaler > 1 || (scaler > 0 && scaler < 0.1)) throw invalid(`resource.backends[${index}].capacityScaler`, backend['capacityScaler'], 'Must be 0 or between 0.1 and 1.0.');
    return { balancingMode: 'UTILIZATION', ...backend, group: link, capacityScaler: scaler, ...(backend['maxUtilization'] !== undefined ? { maxUtilization: Number(backend['maxUtilization']) } : {}) };
  });
}

function checkHealthChecks(world: GceWorld, project: string, scope: Scope, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid('resource.healthChecks', value, 'Expected a list of health check URLs.');
  return value.map((h, index) => {
    const ref = parseRef(h, { project, collection: 'healthChecks', scope });
    if (!ref) throw invalid(`resource.healthChecks[${index}]`, h, 'Expected a health check URL.');
    world.get(ref);
    return linkOf(ref);
  });
}

/** A backend service in its wire form, with GCE's defaults. */
export function backendServiceJson(world: GceWorld, ref: ResourceRef, body: Json): Json {
  const regional = ref.scope.startsWith('regions/');
  return {
    kind: 'compute#backendService',
    id: world.id(),
    creationTimestamp: timestamp(world.now()),
    name: ref.name,
    description: String(body['description'] ?? ''),
    selfLink: linkOf(ref),
    backends: checkBackends(world, ref.project, body['backends']),
    healthChecks: checkHealthChecks(world, ref.project, ref.scope, body['healthChecks']),
    timeoutSec: Number(body['timeoutSec'] ?? 30),
    port: Number(body['port'] ?? 80),
    protocol: String(body['protocol'] ?? 'HTTP'),
    fingerprint: world.fingerprint(),
    portName: String(body['portName'] ?? 'http'),
    enableCDN: body['enableCDN'] === true,
    sessionAffinity: String(body['sessionAffinity'] ?? 'NONE'),
    affinityCookieTtlSec: Number(body['affinityCookieTtlSec'] ?? 0),
    loadBalancingScheme: String(body['loadBalancingScheme'] ?? (regional ? 'INTERNAL' : 'EXTERNAL')),
    connectionDraining: { drainingTimeoutSec: Number((body['connectionDraining'] as Json | undefined)?.['drainingTimeoutSec'] ?? 300) },
    ...(regional ? { region: scopeLink(ref.project, ref.scope) } : {}),
  };
}

/** Fields a PUT or PATCH may not change. */
const FIXED_FIELDS = ['kind', 'id', 'creationTimestamp', 'name', 'selfLink', 'region', 'zone', 'fingerprint'];

function backendServices(world: GceWorld, project: string, scope: Scope, name: string | undefined, action: string | undefined, method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  const ref = (n: string): ResourceRef => ({ project, scope, collection: 'backendServices', name: n });
  if (name === undefined) {
    if (method === 'GET') return listOf('compute#backendServiceList', project, scope, 'backendServices', world.list(project, scope, 'backendServices'), query);
    if (method === 'POST') {
      const r = ref(checkName(body['name']));
      const json = backendServiceJson(world, r, body);
      return insertPlain(world, r, scope, () => json);
    }
    throw unknownPath(path);
  }
  const current = () => world.get(ref(name));
  if (action === 'getHealth' && method === 'POST') {
    const service = current();
    const group = body['group'];
    const backends = (service['backends'] ?? []) as Json[];
    if (typeof group !== 'string' || !backends.some((b) => typeof b['group'] === 'string' && sameResource(b['group'], group.replace(/^(https?:\/\/[^/]+\/compute\/v1\/)?/, 'https://www.googleapis.com/compute/v1/')))) {
      throw invalid('resource.group', group, `The instance group is not a backend of backend service '${name}'.`);
    }
    const mig = world.migOfGroup(group, project);
    const after = world.healthyAfterMs(service['healthChecks'], project);
    const port = world.portFor(service, mig);
    const statuses = mig
      ? world
          .instancesOf(mig)
          .filter((i) => i.stoppingAt === undefined)
          .map((i) => ({ instance: linkOf(i.ref), ipAddress: i.networkIP, port, healthState: world.healthOf(i, after) }))
      : [];
    return ok({ kind: 'compute#backendServiceGroupHealth', ...(statuses.length > 0 ? { healthStatus: statuses } : {}) });
  }
  if (action !== undefined) throw unknownPath(path);
  if (method === 'GET') return ok(clone(current()));
  if (method === 'DELETE') return deletePlain(world, ref(name), scope);
  if (method === 'PUT' || method === 'PATCH') {
    const service = current();
    if (body['fingerprint'] !== service['fingerprint']) throw preconditionFailed();
    const changes: Json = {};
    for (const [key, value] of Object.entries(body)) if (!FIXED_FIELDS.includes(key)) changes[key] = value;
    if ('backends' in changes || method === 'PUT') changes['backends'] = checkBackends(world, project, changes['backends']);
    if ('healthChecks' in changes || method === 'PUT') changes['healthChecks'] = checkHealthChecks(world, project, scope, changes['healthChecks']);
    return ok(world.operate(project, scope, method === 'PUT' ? 'update' : 'patch', ref(name), String(service['id']), () => {
      const next: Json = method === 'PUT' ? { ...backendServiceJson(world, ref(name), {}), ...Object.fromEntries(FIXED_FIELDS.filter((f) => f in service).map((f) => [f, service[f]])) } : { ...service };
      Object.assign(next, changes);
      next['fingerprint'] = world.fingerprint();
      world.resources.set(keyOf(ref(name)), next);
    }));
  }
  throw unknownPath(path);
}

// ---------------------------------------------------------------- autoscalers

function autoscalerPolicy(value: unknown): Json {
  const policy = (value ?? {}) as Json;
  if (policy['maxNumReplicas'] === undefined) throw required('resource.autoscalingPolicy.maxNumReplicas');
  const min = Number(policy['minNumReplicas'] ?? 1);
  const max = Number(policy['maxNumReplicas']);
  if (!Number.isInteger(min) || min < 0) throw invalid('resource.autoscalingPolicy.minNumReplicas', policy['minNumReplicas'], 'Must be greater than or equal to 0.');
  if (!Number.isInteger(max) || max < min) throw invalid('resource.autoscalingPolicy.maxNumReplicas', policy['maxNumReplicas'], 'Must be greater than or equal to minNumReplicas.');
  const mode = String(policy['mode'] ?? 'ON');
  if (!['ON', 'OFF', 'ONLY_SCALE_OUT', 'ONLY_UP'].includes(mode)) throw invalid('resource.autoscalingPolicy.mode', mode, "Must be one of 'ON', 'OFF', 'ONLY_SCALE_OUT'.");
  return {
    ...policy,
    minNumReplicas: min,
    maxNumReplicas: max,
    coolDownPeriodSec: Number(policy['coolDownPeriodSec'] ?? 60),
    cpuUtilization: { utilizationTarget: 0.6, predictiveMethod: 'NONE', ...((policy['cpuUtilization'] ?? {}) as Json) },
    mode: mode === 'ONLY_UP' ? 'ONLY_SCALE_OUT' : mode,
  };
}

function autoscalers(world: GceWorld, project: string, scope: Scope, name: string | undefined, action: string | undefined, method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  const regional = scope.startsWith('regions/');
  const ref = (n: string): ResourceRef => ({ project, scope, collection: 'autoscalers', name: n });
  if (action !== undefined) throw unknownPath(path);
  const render = (a: Json): Json => {
    const target = parseRef(a['target'], { project, collection: 'instanceGroupManagers', scope });
    const mig = target ? world.migs.get(keyOf(target)) : undefined;
    return { ...clone(a), ...(mig ? { recommendedSize: mig.targetSize } : {}) };
  };
  const target = (value: unknown): ResourceRef => {
    const t = parseRef(value, { project, collection: 'instanceGroupManagers', scope });
    if (!t || t.scope !== scope) throw invalid('resource.target', value, `Expected an instance group manager URL in ${scope}.`);
    if (!world.migs.has(keyOf(t))) throw notFound(t);
    return t;
  };
  if (name === undefined) {
    if (method === 'GET') return listOf(regional ? 'compute#regionAutoscalerList' : 'compute#autoscalerList', project, scope, 'autoscalers', world.list(project, scope, 'autoscalers').map(render), query);
    if (method === 'POST') {
      const r = ref(checkName(body['name']));
      const t = target(body['target']);
      const policy = autoscalerPolicy(body['autoscalingPolicy']);
      const other = world.list(project, scope, 'autoscalers').find((a) => sameResource(String(a['target']), linkOf(t)));
      if (other) throw new GceError(400, 'invalid', `Invalid value for field 'resource.target': '${String(body['target'])}'. The instance group manager is already autoscaled by '${String(other['name'])}'.`);
      return insertPlain(world, r, scope, () => ({
        kind: 'compute#autoscaler',
        creationTimestamp: timestamp(world.now()),
        name: r.name,
        description: String(body['description'] ?? ''),
        target: linkOf(t),
        autoscalingPolicy: policy,
        ...(regional ? { region: scopeLink(project, scope) } : { zone: scopeLink(project, scope) }),
        selfLink: linkOf(r),
        status: 'ACTIVE',
      }));
    }
    if (method === 'PUT' || method === 'PATCH') {
      const named = query.get('autoscaler') ?? body['name'];
      if (typeof named !== 'string' || named === '') throw required('autoscaler');
      const existing = world.get(ref(named));
      const policy = method === 'PUT' ? autoscalerPolicy(body['autoscalingPolicy']) : autoscalerPolicy({ ...((existing['autoscalingPolicy'] ?? {}) as Json), ...((body['autoscalingPolicy'] ?? {}) as Json) });
      const newTarget = body['target'] !== undefined ? linkOf(target(body['target'])) : String(existing['target']);
      return ok(world.operate(project, scope, method === 'PUT' ? 'update' : 'patch', ref(named), String(existing['id']), () => {
        existing['autoscalingPolicy'] = policy;
        existing['target'] = newTarget;
        if (typeof body['description'] === 'string') existing['description'] = body['description'];
      }));
    }
    throw unknownPath(path);
  }
  if (method === 'GET') return ok(render(world.get(ref(name))));
  if (method === 'DELETE') return deletePlain(world, ref(name), scope);
  throw unknownPath(path);
}

// ---------------------------------------------------------------- target pools and forwarding rules

/** A target pool in its wire form. */
export function targetPoolJson(world: GceWorld, ref: ResourceRef, body: Json): Json {
  return {
    kind: 'compute#targetPool',
    id: world.id(),
    creationTimestamp: timestamp(world.now()),
    name: ref.name,
    description: String(body['description'] ?? ''),
    region: scopeLink(ref.project, ref.scope),
    healthChecks: Array.isArray(body['healthChecks']) ? body['healthChecks'] : [],
    instances: [],
    sessionAffinity: String(body['sessionAffinity'] ?? 'NONE'),
    selfLink: linkOf(ref),
  };
}

function instanceLinks(world: GceWorld, project: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw required('resource.instances');
  return (value as Json[]).map((entry, index) => {
    const ref = parseRef(entry?.['instance'], { project, collection: 'instances' });
    if (!ref) throw invalid(`resource.instances[${index}].instance`, entry?.['instance'], 'Expected an instance URL.');
    if (!world.instances.has(keyOf(ref))) throw notFound(ref);
    return linkOf(ref);
  });
}

function targetPools(world: GceWorld, project: string, scope: Scope, name: string | undefined, action: string | undefined, method: string, query: URLSearchParams, body: Json, path: string): ApiResponse {
  const ref = (n: string): ResourceRef => ({ project, scope, collection: 'targetPools', name: n });
  if (name === undefined) {
    if (method === 'GET') return listOf('compute#targetPoolList', project, scope, 'targetPools', world.list(project, scope, 'targetPools'), query);
    if (method === 'POST') {
      const r = ref(checkName(body['name']));
      return insertPlain(world, r, scope, () => targetPoolJson(world, r, body));
    }
    throw unknownPath(path);
  }
  const pool = world.get(ref(name));
  if (action === undefined && method === 'GET') return ok(clone(pool));
  if (action === undefined && method === 'DELETE') {
    return deletePlain(world, ref(name), scope, () => {
      const user = [...world.resources.values()].find((r) => r['kind'] === 'compute#forwardingRule' && typeof r['target'] === 'string' && sameResource(r['target'], linkOf(ref(name))));
      if (user) throw inUse(ref(name), String(user['selfLink']));
    });
  }
  if (method !== 'POST') throw unknownPath(path);
  switch (action) {
    case 'addInstance': {
      const links = instanceLinks(world, project, body['instances']);
      return ok(world.operate(project, scope, 'addInstance', ref(name), String(pool['id']), () => {
        const members = (pool['instances'] ?? []) as string[];
        for (const link of links) if (!members.some((m) => sameResource(m, link))) members.push(link);
        pool['instances'] = members;
      }));
    }
    case 'removeInstance': {
      const links = instanceLinks(world, project, body['instances']);
      return ok(world.operate(project, scope, 'removeInstance', ref(name), String(pool['id']), () => removeFromPool(world, project, linkOf(ref(name)), links)));
    }
    case 'getHealth': {
      const target = parseRef(body['instance'], { project, collection: 'instances' });
      const members = (pool['instances'] ?? []) as string[];
      if (!target || !members.some((m) => sameResource(m, linkOf(target)))) throw invalid('resource.instance', body['instance'], `The instance is not in target pool '${name}'.`);
      const instance = world.instances.get(keyOf(target));
      const state = instance ? world.healthOf(instance, world.healthyAfterMs(pool['healthChecks'], project)) : 'UNHEALTHY';
      const rule = [...world.resources.values()].find((r) => r['kind'] === 'compute#forwardingRule' && typeof r['target'] === 'string' && sameResource(r['target'], linkOf(ref(name))));
      return ok({
        kind: 'compute#targetPoolInstanceHealth',
        healthStatus: [{ instance: linkOf(target), ipAddress: rule ? String(rule['IPAddress']) : (instance?.networkIP ?? ''), healthState: state, ...(rule ? { port: Number(String(rule['portRange'] ?? '80').split('-')[0]) } : {}) }],
      });
    }
    default:
      throw unknownPath(path);
  }
}

function forwardingRules(world: GceWorld, project: string, scope: Scope, name: string | undefined, action: string | undefined, method: string, query: URLSearchParams, path: string): ApiResponse {
  if (action !== undefined || method !== 'GET') throw unknownPath(path);
  if (name === undefined) return listOf('compute#forwardingRuleList', project, scope, 'forwardingRules', world.list(project, scope, 'forwardingRules'), query);
  return ok(clone(world.get({ project, scope, collection: 'forwardingRules', name })));
}

// ---------------------------------------------------------------- aggregated lists

function aggregated(world: GceWorld, project: string, collection: string, query: URLSearchParams, path: string): ApiResponse {
  const filter = parseFilter(query.get('filter') ?? '');
  const scopes = [...REGIONS.map((r) => `regions/${r.name}`), ...REGIONS.flatMap((r) => r.zones.map((z) => `zones/${z}`))];
  const items: Record<string, Json> = {};
  const fill = (field: string, kind: string, of: (scope: Scope) => Json[]) => {
    for (const scope of scopes) {
      const found = of(scope).filter(filter);
      if (found.length > 0) items[scope] = { [field]: found };
    }
    return ok({ kind, id: `projects/${project}/aggregated/${collection}`, items, selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/aggregated/${collection}` });
  };
  switch (collection) {
    case 'instanceGroupManagers':
      return fill('instanceGroupManagers', 'compute#instanceGroupManagerAggregatedList', (scope) => migsIn(world, project, scope).map((m) => migJson(world, m)));
    case 'instanceGroups':
      return fill('instanceGroups', 'compute#instanceGroupAggregatedList', (scope) => migsIn(world, project, scope).map((m) => instanceGroupJson(world, m)));
    case 'instances':
      return fill('instances', 'compute#instanceAggregatedList', (scope) => [...world.instances.values()].filter((i) => i.ref.project === project && i.ref.scope === scope).map((i) => instanceJson(world, i)));
    case 'autoscalers':
      return fill('autoscalers', 'compute#autoscalerAggregatedList', (scope) => world.list(project, scope, 'autoscalers').map(clone));
    default:
      throw unknownPath(path);
  }
}
