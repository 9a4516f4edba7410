/**
 * The Compute Engine simulator: one HTTP server on 127.0.0.1 that answers the real
 * `@google-cloud/compute` clients as Compute Engine v1 does (SPEC.md beside this file). It owns
 * the clock the test advances, the seeded randomness, the call log, fault injection and the side
 * door; the state and its reconciler live in world.ts, the REST surface in api.ts.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backendServiceJson, handleApi, healthCheckJson, migJson, targetPoolJson } from './api.ts';
import { REGIONS } from './catalog.ts';
import { createRandom } from './random.ts';
import { GceError, checkName, keyOf, linkOf, localName, parseRef, scopeLink, timestamp, type Json } from './wire.ts';
import { GceWorld, instanceStatus, type GceTimings, type TrafficRecord } from './world.ts';

export type { TrafficRecord } from './world.ts';

/** Largest request body the server reads. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Options of `startGceSimulator`. */
export interface GceSimulatorOptions {
  /** Seed of ids, instance names, fingerprints and operation names (default 1). */
  seed?: number;
  /** The clock's start, ms since the epoch (default 2026-01-01T00:00:00Z). */
  startTime?: number;
  /** Simulated ms until an operation is DONE; RUNNING at half of it. @default 2000 */
  operationMs?: number;
  /** Simulated ms an instance spends PROVISIONING, then STAGING. @default 2000 and 3000 */
  provisioningMs?: number;
  stagingMs?: number;
  /** Simulated ms a deleted instance spends STOPPING before it is gone. @default 2000 */
  stoppingMs?: number;
  /** RUNNING → HEALTHY when a backend service has no health check (else checkIntervalSec × healthyThreshold). @default 10000 */
  defaultHealthyMs?: number;
}

/** A failure to answer instead of the next matching requests. */
export interface GceFault {
  /** Only requests with this HTTP method (any when absent). */
  method?: string;
  /** Only requests whose path contains this (any when absent). */
  pathIncludes?: string;
  /** HTTP status (429, 403, 500, 503…). */
  status: number;
  /** The envelope's `reason` (`rateLimitExceeded`, `quotaExceeded`, `backendError`…). */
  reason: string;
  message?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
}

/** One request as the server saw it. */
export interface GceCall {
  readonly method: string;
  readonly path: string;
  /** Simulated time, ms since the epoch. */
  readonly at: number;
  readonly status: number;
  /** The query string without `?` ('' when none). */
  readonly query: string;
  /** True when the answer was an injected fault. */
  readonly injected?: boolean;
}

/** The simulated Compute Engine as `gennaker sandbox describe` shows it. */
export interface GceDescription {
  /** The simulated clock, ISO 8601. */
  readonly now: string;
  readonly templates: readonly { project: string; name: string; machineType: string; image?: string; labels: Record<string, string> }[];
  readonly managedInstanceGroups: readonly {
    project: string;
    name: string;
    /** `zones/<z>` or `regions/<r>`. */
    location: string;
    template: string;
    targetSize: number;
    isStable: boolean;
    targetPools: readonly string[];
    autoscaler?: { name: string; mode: string; min: number; max: number };
    error?: string;
    instances: readonly { name: string; zone: string; status: string; template: string; ip: string }[];
  }[];
  readonly backendServices: readonly {
    project: string;
    name: string;
    location: string;
    fingerprint: string;
    backends: readonly { group: string; capacityScaler: number; balancingMode: string }[];
    health: readonly { instance: string; healthState: string }[];
    /** Instances in a backend group with capacityScaler > 0, RUNNING and HEALTHY. */
    receivingTraffic: readonly string[];
  }[];
  readonly targetPools: readonly { project: string; name: string; region: string; instances: readonly string[] }[];
  readonly operationsInFlight: number;
}

/** A running simulator. */
export interface GceSimulator {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Pass as `port` with `apiEndpoint: '127.0.0.1'` and `protocol: 'http'` to the clients. */
  readonly port: number;
  /** The simulated clock, ms since the epoch. */
  now(): number;
  /** Advances the clock, applying every change at the instant it is due. */
  tick(ms: number): void;
  close(): Promise<void>;
  /** Stores an image (READY) in a project; answers its selfLink. */
  seedImage(project: string, image: { name: string; family?: string; labels?: Record<string, string>; description?: string }): string;
  /** Stores a network and its subnetworks (replacing one of the same name). */
  seedNetwork(project: string, name: string, subnets?: Array<{ region: string; name: string; ipCidrRange?: string }>): void;
  /** Stores an HTTP health check (global, or regional with `region`); answers its selfLink. */
  seedHealthCheck(project: string, hc: { name: string; port?: number; requestPath?: string; region?: string; checkIntervalSec?: number; healthyThreshold?: number }): string;
  /** Stores a backend service (global, or regional with `region`) with no backends; answers its selfLink. */
  seedBackendService(project: string, bs: { name: string; region?: string; healthChecks?: string[]; protocol?: string; loadBalancingScheme?: string; portName?: string }): string;
  /** Stores an empty target pool; answers its selfLink. */
  seedTargetPool(project: string, region: string, name: string): string;
  /** Stores a forwarding rule (regional with `region`) whose target is a target pool or target proxy (a link, or a name); answers its selfLink. */
  seedForwardingRule(project: string, rule: { name: string; region?: string; target: string; IPAddress?: string; portRange?: string; IPProtocol?: string; loadBalancingScheme?: string }): string;
  /** Forces an instance's load-balancer health ('auto' returns it to the health check's verdict). */
  setInstanceHealth(project: string, instanceName: string, state: 'HEALTHY' | 'UNHEALTHY' | 'auto'): void;
  /** Answers the next matching requests with the fault, without touching state. */
  failNext(fault: GceFault): void;
  /** Limits the instances a region's groups may target; inserts and resizes beyond it answer 403 quotaExceeded. */
  quota(project: string, region: string, instances: number): void;
  /** Every request so far, oldest first. */
  calls(): Array<GceCall>;
  /** Each change of the instances a backend service sends traffic to, at the simulated instant it happened, oldest first. */
  trafficLog(): Array<TrafficRecord>;
  /** Templates, groups with their instances, backend services with health and traffic, target pools. */
  describe(): GceDescription;
}

/** Starts the simulator on 127.0.0.1 (port 0). */
export async function startGceSimulator(options: GceSimulatorOptions = {}): Promise<GceSimulator> {
  const timings: GceTimings = {
    operationMs: options.operationMs ?? 2000,
    provisioningMs: options.provisioningMs ?? 2000,
    stagingMs: options.stagingMs ?? 3000,
    stoppingMs: options.stoppingMs ?? 2000,
    defaultHealthyMs: options.defaultHealthyMs ?? 10_000,
  };
  for (const [key, value] of Object.entries(timings)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`startGceSimulator: ${key} ${value} must be a number of milliseconds >= 0`);
  }
  let clock = options.startTime ?? Date.UTC(2026, 0, 1);
  const world = new GceWorld(() => clock, createRandom(options.seed ?? 1), timings);
  const callLog: GceCall[] = [];
  const faults: { fault: GceFault; remaining: number }[] = [];
  const requestIds = new Map<string, string>();

  const tick = (ms: number): void => {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`tick(${ms}): expected a finite number of milliseconds >= 0`);
    const target = clock + ms;
    world.settle();
    for (let next = world.nextDue(); next !== undefined && next <= target; next = world.nextDue()) {
      clock = next;
      world.settle();
    }
    clock = target;
    world.settle();
  };

  const failNext = (fault: GceFault): void => {
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) throw new Error(`failNext: status ${fault.status} must be an HTTP error status (400-599)`);
    if (typeof fault.reason !== 'string' || fault.reason === '') throw new Error(`failNext: reason must be a Google error reason such as "rateLimitExceeded", got ${JSON.stringify(fault.reason)}`);
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`failNext: times ${times} must be a whole number >= 1`);
    faults.push({ fault, remaining: times });
  };

  const takeFault = (method: string, path: string): GceFault | undefined => {
    const pending = faults.find((f) => (!f.fault.method || f.fault.method.toUpperCase() === method) && (!f.fault.pathIncludes || path.includes(f.fault.pathIncludes)));
    if (!pending) return undefined;
    pending.remaining -= 1;
    if (pending.remaining === 0) faults.splice(faults.indexOf(pending), 1);
    return pending.fault;
  };

  const seedImage: GceSimulator['seedImage'] = (project, image) => {
    checkSeedName('seedImage', image.name);
    world.touch(project);
    return String(world.putImage(project, image)['selfLink']);
  };

  const seedNetwork: GceSimulator['seedNetwork'] = (project, name, subnets = []) => {
    checkSeedName('seedNetwork', name);
    world.touch(project);
    world.putNetwork(project, name, false, subnets);
  };

  const seedHealthCheck: GceSimulator['seedHealthCheck'] = (project, hc) => {
    checkSeedName('seedHealthCheck', hc.name);
    if (hc.region !== undefined) checkRegion('seedHealthCheck', hc.region);
    world.touch(project);
    const ref = { project, scope: hc.region ? `regions/${hc.region}` : 'global', collection: 'healthChecks', name: hc.name };
    const json = healthCheckJson(world, ref, { type: 'HTTP', httpHealthCheck: { port: hc.port ?? 80, requestPath: hc.requestPath ?? '/' }, ...(hc.checkIntervalSec !== undefined ? { checkIntervalSec: hc.checkIntervalSec } : {}), ...(hc.healthyThreshold !== undefined ? { healthyThreshold: hc.healthyThreshold } : {}) });
    world.resources.set(keyOf(ref), json);
    return linkOf(ref);
  };

  const seedBackendService: GceSimulator['seedBackendService'] = (project, bs) => {
    checkSeedName('seedBackendService', bs.name);
    if (bs.region !== undefined) checkRegion('seedBackendService', bs.region);
    world.touch(project);
    const scope = bs.region ? `regions/${bs.region}` : 'global';
    const ref = { project, scope, collection: 'backendServices', name: bs.name };
    const healthChecks = (bs.healthChecks ?? []).map((h) => {
      const regional = bs.region ? parseRef(h, { project, collection: 'healthChecks', scope }) : undefined;
      const found = regional && world.resources.has(keyOf(regional)) ? regional : parseRef(h, { project, collection: 'healthChecks', scope: 'global' });
      if (!found || !world.resources.has(keyOf(found))) throw new Error(`seedBackendService: health check '${h}' does not exist in project '${project}'; seed it first with seedHealthCheck`);
      return linkOf(found);
    });
    const json = backendServiceJson(world, ref, {
      ...(bs.protocol ? { protocol: bs.protocol } : {}),
      ...(bs.loadBalancingScheme ? { loadBalancingScheme: bs.loadBalancingScheme } : {}),
      ...(bs.portName ? { portName: bs.portName } : {}),
    });
    json['healthChecks'] = healthChecks;
    world.resources.set(keyOf(ref), json);
    return linkOf(ref);
  };

  const seedTargetPool: GceSimulator['seedTargetPool'] = (project, region, name) => {
    checkSeedName('seedTargetPool', name);
    checkRegion('seedTargetPool', region);
    world.touch(project);
    const ref = { project, scope: `regions/${region}`, collection: 'targetPools', name };
    world.resources.set(keyOf(ref), targetPoolJson(world, ref, {}));
    return linkOf(ref);
  };

  const seedForwardingRule: GceSimulator['seedForwardingRule'] = (project, rule) => {
    checkSeedName('seedForwardingRule', rule.name);
    if (rule.region !== undefined) checkRegion('seedForwardingRule', rule.region);
    world.touch(project);
    const scope = rule.region ? `regions/${rule.region}` : 'global';
    const ref = { project, scope, collection: 'forwardingRules', name: rule.name };
    let target = rule.target;
    if (!target.includes('/')) target = rule.region ? linkOf({ project, scope, collection: 'targetPools', name: target }) : linkOf({ project, scope: 'global', collection: 'targetHttpProxies', name: target });
    else if (!/^https?:/.test(target)) target = `https://www.googleapis.com/compute/v1/${target.startsWith('projects/') ? '' : `projects/${project}/`}${target}`;
    const n = world.resources.size % 250;
    world.resources.set(keyOf(ref), {
      kind: 'compute#forwardingRule',
      id: world.id(),
      creationTimestamp: timestamp(clock),
      name: rule.name,
      description: '',
      ...(rule.region ? { region: scopeLink(project, scope) } : {}),
      IPAddress: rule.IPAddress ?? `35.${rule.region ? 190 : 201}.${n}.${10 + (n % 200)}`,
      IPProtocol: rule.IPProtocol ?? 'TCP',
      portRange: rule.portRange ?? '80-80',
      target,
      selfLink: linkOf(ref),
      loadBalancingScheme: rule.loadBalancingScheme ?? 'EXTERNAL',
      networkTier: 'PREMIUM',
      fingerprint: world.fingerprint(),
      labelFingerprint: '42WmSpB8rSM=',
    });
    return linkOf(ref);
  };

  const setInstanceHealth: GceSimulator['setInstanceHealth'] = (project, instanceName, state) => {
    if (state !== 'HEALTHY' && state !== 'UNHEALTHY' && state !== 'auto') throw new Error(`setInstanceHealth: state ${JSON.stringify(state)} must be 'HEALTHY', 'UNHEALTHY' or 'auto'`);
    if (state === 'auto') world.healthOverrides.delete(`${project}/${instanceName}`);
    else world.healthOverrides.set(`${project}/${instanceName}`, state);
    world.settle();
  };

  const quota: GceSimulator['quota'] = (project, region, instances) => {
    checkRegion('quota', region);
    if (!Number.isInteger(instances) || instances < 0) throw new Error(`quota: instances ${instances} must be a whole number >= 0`);
    const existing = world.quotas.findIndex((q) => q.project === project && q.region === region);
    if (existing >= 0) world.quotas.splice(existing, 1);
    world.quotas.push({ project, region, limit: instances });
  };

  const describe = (): GceDescription => {
    world.settle();
    const templates = [...world.resources.values()]
      .filter((r) => r['kind'] === 'compute#instanceTemplate')
      .map((t) => {
        const project = projectOf(String(t['selfLink']));
        const props = (t['properties'] ?? {}) as Json;
        const image = world.bootImageOf(t, project);
        return { project, name: String(t['name']), machineType: String(props['machineType']), ...(image.image ? { image: String(image.image['name']) } : {}), labels: { ...((props['labels'] ?? {}) as Record<string, string>) } };
      });
    const managedInstanceGroups = [...world.migs.values()].map((mig) => {
      const json = migJson(world, mig);
      const scaler = world.autoscalerOf(mig);
      const policy = (scaler?.['autoscalingPolicy'] ?? {}) as Json;
      return {
        project: mig.ref.project,
        name: mig.ref.name,
        location: mig.ref.scope,
        template: localName(mig.instanceTemplate),
        targetSize: mig.targetSize,
        isStable: Boolean((json['status'] as Json)['isStable']),
        targetPools: mig.targetPools.map(localName),
        ...(scaler ? { autoscaler: { name: String(scaler['name']), mode: String(policy['mode']), min: Number(policy['minNumReplicas']), max: Number(policy['maxNumReplicas']) } } : {}),
        ...(mig.lastError ? { error: mig.lastError } : {}),
        instances: world.instancesOf(mig).map((i) => ({ name: i.ref.name, zone: i.ref.scope.slice('zones/'.length), status: instanceStatus(i, clock), template: localName(i.template), ip: i.networkIP })),
      };
    });
    const backendServices = world
      .backendServices()
      .map((bs) => {
        const link = String(bs['selfLink']);
        const project = projectOf(link);
        const after = world.healthyAfterMs(bs['healthChecks'], project);
        const backends = ((bs['backends'] ?? []) as Json[]).map((b) => ({ group: String(b['group']), capacityScaler: Number(b['capacityScaler'] ?? 1), balancingMode: String(b['balancingMode'] ?? 'UTILIZATION') }));
        const health = backends.flatMap((b) => {
          const mig = world.migOfGroup(b.group, project);
          return mig ? world.instancesOf(mig).filter((i) => i.stoppingAt === undefined).map((i) => ({ instance: i.ref.name, healthState: world.healthOf(i, after) })) : [];
        });
        return { project, name: String(bs['name']), location: locationOf(link), fingerprint: String(bs['fingerprint']), backends, health, receivingTraffic: world.receivingTraffic(bs, project) };
      });
    const targetPools = [...world.resources.values()]
      .filter((r) => r['kind'] === 'compute#targetPool')
      .map((p) => ({ project: projectOf(String(p['selfLink'])), name: String(p['name']), region: localName(String(p['region'])), instances: ((p['instances'] ?? []) as string[]).map(localName) }));
    return { now: new Date(clock).toISOString(), templates, managedInstanceGroups, backendServices, targetPools, operationsInFlight: [...world.operations.values()].filter((o) => o.status !== 'DONE').length };
  };

  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(body));
  };

  /** The side door over HTTP (SPEC.md "Side door"), for a process that did not start the simulator. */
  const sideDoor = (method: string, url: URL, body: Buffer, res: ServerResponse): void => {
    let input: Json = {};
    if (method === 'POST' && body.length > 0) {
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object');
        input = parsed as Json;
      } catch (error) {
        return reply(res, 400, { error: `request body: ${(error as Error).message}` });
      }
    }
    const text = (field: string): string => {
      const value = input[field];
      if (typeof value !== 'string' || value === '') throw new Error(`'${field}' must be a non-empty string, got ${JSON.stringify(value)}`);
      return value;
    };
    try {
      switch (`${method} ${url.pathname.slice('/__sandbox'.length)}`) {
        case 'GET /describe':
          return reply(res, 200, describe());
        case 'GET /calls':
          return reply(res, 200, { calls: callLog });
        case 'GET /traffic-log':
          return reply(res, 200, { trafficLog: world.trafficLog });
        case 'POST /tick': {
          const ms = input['ms'];
          if (typeof ms !== 'number') return reply(res, 400, { error: `tick: 'ms' must be a number of milliseconds, got ${JSON.stringify(ms)}` });
          tick(ms);
          return reply(res, 200, { now: new Date(clock).toISOString() });
        }
        case 'POST /fail-next':
          failNext(input as unknown as GceFault);
          return reply(res, 200, {});
        case 'POST /instance-health':
          setInstanceHealth(text('project'), text('instance'), text('state') as 'HEALTHY');
          return reply(res, 200, {});
        case 'POST /quota':
          quota(text('project'), text('region'), Number(input['instances']));
          return reply(res, 200, {});
        case 'POST /images':
          return reply(res, 200, { selfLink: seedImage(text('project'), input['image'] as never) });
        case 'POST /networks':
          seedNetwork(text('project'), text('name'), (input['subnets'] ?? []) as never);
          return reply(res, 200, {});
        case 'POST /health-checks':
          return reply(res, 200, { selfLink: seedHealthCheck(text('project'), input['healthCheck'] as never) });
        case 'POST /backend-services':
          return reply(res, 200, { selfLink: seedBackendService(text('project'), input['backendService'] as never) });
        case 'POST /target-pools':
          return reply(res, 200, { selfLink: seedTargetPool(text('project'), text('region'), text('name')) });
        case 'POST /forwarding-rules':
          return reply(res, 200, { selfLink: seedForwardingRule(text('project'), input['forwardingRule'] as never) });
        default:
          return reply(res, 404, { error: `no side-door route ${method} ${url.pathname} (see sandbox/gce/SPEC.md)` });
      }
    } catch (error) {
      return reply(res, 400, { error: (error as Error).message });
    }
  };

  const answer = (method: string, url: URL, body: Buffer, size: number, res: ServerResponse): { status: number; injected?: boolean } => {
    const fault = takeFault(method, url.pathname);
    if (fault) {
      const error = new GceError(fault.status, fault.reason, fault.message ?? defaultFaultMessage(fault));
      reply(res, fault.status, error.body());
      return { status: fault.status, injected: true };
    }
    let status: number;
    let out: Json;
    try {
      if (size > MAX_BODY_BYTES) throw new GceError(413, 'uploadTooLarge', `The request body is ${size} bytes; the limit is ${MAX_BODY_BYTES}.`);
      let parsed: Json = {};
      const text = body.toString('utf8');
      if (text.trim() !== '') {
        try {
          const value: unknown = JSON.parse(text);
          // Methods without a request body send the JSON string "" (the client serializes an empty body).
          if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Json;
          else if (value !== '') throw new Error('not an object');
        } catch {
          throw new GceError(400, 'parseError', 'Parse Error');
        }
      }
      world.settle();
      const response = handleApi(world, { method, path: url.pathname, query: url.searchParams, body: parsed }, requestIds);
      world.settle();
      status = response.status;
      out = response.body;
    } catch (error) {
      if (!(error instanceof GceError)) {
        // A simulator bug must still answer in GCE's shape, and say what broke.
        const wrapped = new GceError(500, 'backendError', `Internal error in the simulator: ${(error as Error).message}`);
        status = 500;
        out = wrapped.body();
      } else {
        status = error.status;
        out = error.body();
      }
    }
    reply(res, status, out);
    return { status };
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      const body = Buffer.concat(chunks);
      if (url.pathname.startsWith('/__sandbox/')) return sideDoor(method, url, body, res);
      const { status, injected } = answer(method, url, body, size, res);
      callLog.push({ method, path: url.pathname, at: clock, status, query: url.search.replace(/^\?/, ''), ...(injected ? { injected } : {}) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    now: () => clock,
    tick,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    seedImage,
    seedNetwork,
    seedHealthCheck,
    seedBackendService,
    seedTargetPool,
    seedForwardingRule,
    setInstanceHealth,
    failNext,
    quota,
    calls: () => callLog.map((c) => ({ ...c })),
    trafficLog: () => world.trafficLog.map((r) => ({ ...r, instances: [...r.instances] })),
    describe,
  };
}

function checkSeedName(method: string, name: unknown): void {
  try {
    checkName(name, 'name');
  } catch {
    throw new Error(`${method}: name ${JSON.stringify(name)} is not a GCE resource name; use lower-case letters, digits and '-', starting with a letter (at most 63)`);
  }
}

function checkRegion(method: string, region: string): void {
  if (!REGIONS.some((r) => r.name === region)) throw new Error(`${method}: region '${region}' is not simulated; use one of ${REGIONS.map((r) => r.name).join(', ')}`);
}

function projectOf(link: string): string {
  return /\/projects\/([^/]+)\//.exec(link)?.[1] ?? '';
}

function locationOf(link: string): string {
  const m = /\/projects\/[^/]+\/(global|regions\/[^/]+|zones\/[^/]+)\//.exec(link);
  return m?.[1] ?? 'global';
}

function defaultFaultMessage(fault: GceFault): string {
  if (fault.reason === 'rateLimitExceeded') return 'Rate Limit Exceeded';
  if (fault.reason === 'quotaExceeded') return "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1.";
  return `Injected failure (${fault.reason})`;
}
