/**
 * The Kubernetes simulator: one HTTP server on 127.0.0.1 that answers the real
 * `@kubernetes/client-node` as a Kubernetes API server does (SPEC.md beside this file). It owns the
 * clock the test advances, the seeded randomness, the call log, fault injection, the serving log
 * (which Ready pods each Service selected, at every change) and the side door.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleRest, present, watchSelects, type RestResponse, type WatchRequest } from './api.ts';
import { Cluster, labelsOf, meta, terminating, type WatchEvent } from './cluster.ts';
import { podPhase, podReady, podTimes, reconcile, type ControllerContext, type ImageBehaviour } from './controllers.ts';
import { clone, isMap, type JsonMap } from './patch.ts';
import { createRandom } from './random.ts';
import { builtInTypes, groupVersion } from './resources.ts';
import { matches, selectorFromMap } from './selectors.ts';
import { StatusError } from './status.ts';
import { parseStep, parseTime, Prometheus, PromQLError } from './prometheus.ts';
import { runDeployments, runJobs, type DeploymentMemory, type JobMemory } from './workloads.ts';

export type { ImageBehaviour } from './controllers.ts';

/** Largest request body the server reads (the API server's limit is 3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Options of `startKubernetesSimulator`. */
export interface KubernetesSimulatorOptions {
  /** Seed of uids and generated names (default 1). */
  readonly seed?: number;
  /** Simulated ms from container start to Ready for images without a behaviour of their own (default 2000). */
  readonly podReadyAfterMs?: number;
  /** The clock's start, ms since the epoch (default 2026-01-01T00:00:00Z). */
  readonly startTime?: number;
  /** Watch events kept; a watch from an older resourceVersion gets a 410 ERROR event (default 1000). */
  readonly watchHistory?: number;
}

/** A failure to inject into the next matching requests. */
export interface KubernetesFault {
  /** HTTP status (429, 500, 403, …). */
  readonly status: number;
  /** The Status `reason` (`TooManyRequests`, `InternalError`, `Forbidden`, …). */
  readonly reason: string;
  readonly message: string;
  /** Only requests with this method (any when absent). */
  readonly method?: string;
  /** Only requests whose path starts with this (any when absent). */
  readonly pathPrefix?: string;
}

/** One request as the server saw it. */
export interface KubernetesCall {
  readonly seq: number;
  /** Simulated time, ms since the epoch. */
  readonly time: number;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The request's Content-Type ('' when none). */
  readonly contentType: string;
  readonly status: number;
  /** True when the answer was an injected fault. */
  readonly injected?: boolean;
}

/** One entry of the serving log: what a Service selected after a change. */
export interface ServingRecord {
  /** Simulated time, ms since the epoch. */
  readonly time: number;
  readonly namespace: string;
  readonly service: string;
  /** Names of the Ready, not terminating pods the Service's selector picks (what receives traffic). */
  readonly ready: readonly string[];
  /** Names of every non-terminating pod the selector picks, Ready or not. */
  readonly selected: readonly string[];
}

/** The cluster as `gennaker sandbox describe` shows it. */
export interface KubernetesDescription {
  /** The simulated clock, ISO 8601. */
  readonly now: string;
  readonly namespaces: readonly {
    readonly name: string;
    readonly phase: string;
    readonly workloads: readonly { readonly kind: string; readonly name: string; readonly replicas: number; readonly ready: number; readonly owner?: string }[];
    readonly pods: readonly { readonly name: string; readonly phase: string; readonly ready: boolean; readonly terminating: boolean; readonly labels: Readonly<Record<string, string>>; readonly images: readonly string[]; readonly owner?: string }[];
    readonly services: readonly { readonly name: string; readonly selector: Readonly<Record<string, string>>; readonly selects: readonly string[]; readonly ready: readonly string[] }[];
  }[];
}

/** A running simulator. */
export interface KubernetesSimulator {
  /** `http://127.0.0.1:<port>`: the cluster's `server` in a kubeconfig (with `skipTLSVerify: true`). */
  readonly url: string;
  /** The simulated clock, ms since the epoch. */
  now(): number;
  /** Advances the clock by `ms`, running the controllers at every instant something is due; answers the new time. */
  tick(ms: number): number;
  /** Scripts every image matching the glob (`*` any run of characters, `?` one); later calls win over earlier ones for the fields they set. */
  setImageBehaviour(imageGlob: string, behaviour: ImageBehaviour): void;
  /** Answers the next `n` matching requests with the fault, without touching state. */
  failNext(n: number, fault: KubernetesFault): void;
  /** Every request so far, oldest first. */
  calls(): readonly KubernetesCall[];
  /** For every Service, each change of the pods it selected, oldest first. */
  servingLog(): readonly ServingRecord[];
  /** Namespaces, workloads, pods and what each Service selects, now. */
  describe(): KubernetesDescription;
  /** Creates objects off the wire (namespaces they name are created too); answers them as stored. */
  seed(objects: readonly Record<string, unknown>[]): Record<string, unknown>[];
  /** Creates a namespace off the wire (no-op when it exists). */
  createNamespace(name: string): void;
  /** Drops the watch history: a watch from any earlier resourceVersion gets a 410 ERROR event. */
  compactWatchHistory(): void;
  /** Ends every open watch stream, as the API server does when a watch reaches its request timeout; clients watch again. */
  closeWatches(): void;
  close(): Promise<void>;
}

interface Watcher {
  readonly request: WatchRequest;
  readonly res: ServerResponse;
  readonly matched: Set<string>;
  readonly closesAt?: number;
}

interface PendingFault {
  readonly fault: KubernetesFault;
  remaining: number;
}

/** `*` and `?` globs over image references. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Starts the simulator on 127.0.0.1 (port 0). */
export async function startKubernetesSimulator(options: KubernetesSimulatorOptions = {}): Promise<KubernetesSimulator> {
  const podReadyAfterMs = options.podReadyAfterMs ?? 2000;
  if (!Number.isFinite(podReadyAfterMs) || podReadyAfterMs < 0) throw new Error(`podReadyAfterMs ${podReadyAfterMs}: expected a number of milliseconds >= 0`);
  let clock = options.startTime ?? Date.UTC(2026, 0, 1);
  const random = createRandom(options.seed ?? 1);
  const cluster = new Cluster({ now: () => clock, random }, builtInTypes(), options.watchHistory !== undefined ? { watchHistory: options.watchHistory } : {});
  const images: { glob: string; pattern: RegExp; behaviour: ImageBehaviour }[] = [];
  const callLog: KubernetesCall[] = [];
  const faults: PendingFault[] = [];
  const serving: ServingRecord[] = [];
  const lastServing = new Map<string, string>();
  const watchers = new Set<Watcher>();
  let serverAddress = '127.0.0.1:0';
  // Set by answer() for the call being logged (requests are answered synchronously, one at a time).
  let injectedNow = false;

  const behaviourOf = (image: string): ImageBehaviour => {
    let merged: ImageBehaviour = {};
    for (const entry of images) if (entry.pattern.test(image)) merged = { ...merged, ...entry.behaviour };
    return merged;
  };
  const ctx: ControllerContext = { now: () => clock, random, cluster, behaviourOf, podReadyAfterMs };
  const deploymentMemory: DeploymentMemory = { lastProgress: new Map(), lastStatus: new Map() };
  const jobMemory: JobMemory = { counted: new Map(), lastFailure: new Map(), started: new Map() };
  const podType = cluster.type('', 'pods')!;
  const prometheus = new Prometheus(options.seed ?? 1, () => clock);
  /** The first container's environment as the kubelet resolves it at the pod's creation: literal values and ConfigMap keys of its namespace. */
  const environmentOf = (pod: JsonMap): Record<string, string> => {
    const spec = isMap(pod['spec']) ? (pod['spec'] as JsonMap) : {};
    const first = (Array.isArray(spec['containers']) ? spec['containers'] : []).filter(isMap)[0];
    const namespace = String(meta(pod)['namespace'] ?? 'default');
    const environment: Record<string, string> = {};
    for (const entry of (Array.isArray(first?.['env']) ? first['env'] : []).filter(isMap)) {
      const name = entry['name'];
      if (typeof name !== 'string') continue;
      if (typeof entry['value'] === 'string') environment[name] = entry['value'];
      const ref = isMap(entry['valueFrom']) && isMap(entry['valueFrom']['configMapKeyRef']) ? (entry['valueFrom']['configMapKeyRef'] as JsonMap) : undefined;
      if (ref && typeof ref['name'] === 'string' && typeof ref['key'] === 'string') {
        const configMap = cluster.get('', 'configmaps', namespace, ref['name']);
        const data = configMap && isMap(configMap['data']) ? (configMap['data'] as JsonMap) : {};
        if (typeof data[ref['key']] === 'string') environment[name] = data[ref['key']] as string;
      }
    }
    return environment;
  };
  const metricBehaviour = (pod: JsonMap) => {
    // Resolved now (the pod's first observation is its creation): a ConfigMap changed or deleted later does not reach a running container.
    const environment = environmentOf(pod);
    return () => {
      const spec = isMap(pod['spec']) ? (pod['spec'] as JsonMap) : {};
      const first = (Array.isArray(spec['containers']) ? spec['containers'] : []).filter(isMap)[0];
      const b = behaviourOf(String(first?.['image'] ?? ''));
      const raw = b.successRateFromEnv !== undefined ? environment[b.successRateFromEnv] : undefined;
      const percent = raw !== undefined && raw.trim() !== '' ? Number(raw) : Number.NaN;
      const errorRate = Number.isFinite(percent) ? 1 - Math.min(100, Math.max(0, percent)) / 100 : Math.min(1, b.errorRate ?? 0);
      return { requestsPerSecond: b.requestsPerSecond ?? 10, errorRate, latencyMs: b.latencyMs ?? 50 };
    };
  };
  const workloadControllers = [(c: ControllerContext) => runDeployments(c, deploymentMemory), (c: ControllerContext) => runJobs(c, jobMemory, podType)];

  /** Records, for every Service of a namespace whose selection changed, what it selects now (after every write to a pod or Service). */
  const recordServing = (namespace: string) => {
    const seen = new Set<string>();
    for (const svc of cluster.list('', 'services', namespace)) {
      const m = meta(svc);
      const name = String(m['name']);
      const spec = isMap(svc['spec']) ? (svc['spec'] as JsonMap) : {};
      const selectorMap = isMap(spec['selector']) ? (spec['selector'] as Record<string, string>) : {};
      const selector = selectorFromMap(selectorMap);
      const selected = Object.keys(selectorMap).length === 0 ? [] : cluster.list('', 'pods', namespace).filter((p) => !terminating(p) && matches(selector, labelsOf(p)));
      const ready = selected.filter(podReady).map((p) => String(meta(p)['name']));
      const record: ServingRecord = { time: clock, namespace, service: name, ready, selected: selected.map((p) => String(meta(p)['name'])) };
      const key = `${namespace}/${name}`;
      seen.add(key);
      const text = JSON.stringify([record.ready, record.selected]);
      if (lastServing.get(key) !== text) {
        lastServing.set(key, text);
        serving.push(record);
      }
    }
    for (const key of [...lastServing.keys()]) if (key.startsWith(`${namespace}/`) && !seen.has(key)) lastServing.delete(key);
  };

  /** Runs the controllers at the current instant until nothing changes; answers the next instant something is due. */
  const settle = (): number | undefined => {
    let next: number | undefined;
    for (let round = 0; round < 100; round += 1) {
      const before = cluster.resourceVersion();
      next = reconcile(ctx, workloadControllers);
      if (cluster.resourceVersion() === before) break;
    }
    return next;
  };

  const sendEvent = (watcher: Watcher, type: string, object: JsonMap) => {
    watcher.res.write(`${JSON.stringify({ type, object })}\n`);
  };

  const deliver = (watcher: Watcher, event: WatchEvent) => {
    const { request } = watcher;
    if (event.group !== request.type.group || event.plural !== request.type.plural) return;
    const uid = String(meta(event.object)['uid']);
    const selected = watchSelects(request, event.object);
    const object = present(event.object, request.type);
    if (event.type === 'ADDED') {
      if (selected) {
        watcher.matched.add(uid);
        sendEvent(watcher, 'ADDED', object);
      }
    } else if (event.type === 'MODIFIED') {
      // As the watch cache does: an object entering the selector is ADDED, one leaving it DELETED.
      if (selected) {
        sendEvent(watcher, watcher.matched.has(uid) ? 'MODIFIED' : 'ADDED', object);
        watcher.matched.add(uid);
      } else if (watcher.matched.delete(uid)) sendEvent(watcher, 'DELETED', object);
    } else if (watcher.matched.delete(uid) || selected) sendEvent(watcher, 'DELETED', object);
  };
  cluster.onEvent((event) => {
    for (const watcher of watchers) deliver(watcher, event);
    if (event.group === '' && (event.plural === 'pods' || event.plural === 'services')) recordServing(event.namespace);
    if (event.group === '' && event.plural === 'pods') {
      const m = meta(event.object);
      const phase = podPhase(event.object);
      prometheus.observe(String(m['uid']), event.namespace, String(m['name']), { ...labelsOf(event.object) }, phase !== 'Pending', podReady(event.object) && !terminating(event.object), event.type === 'DELETED', metricBehaviour(event.object));
    }
  });

  const bookmark = (watcher: Watcher, annotations?: Record<string, string>) => {
    const type = watcher.request.type;
    sendEvent(watcher, 'BOOKMARK', { kind: type.kind, apiVersion: groupVersion(type.group, type.version), metadata: { resourceVersion: String(cluster.resourceVersion()), ...(annotations ? { annotations } : {}) } });
  };

  const startWatch = (request: WatchRequest, res: ServerResponse): number => {
    let from: number | undefined;
    if (request.resourceVersion !== undefined && request.resourceVersion !== '0') {
      from = Number(request.resourceVersion);
      if (!Number.isInteger(from) || from < 0) {
        const error = new StatusError(400, 'BadRequest', `resourceVersion: Invalid value: "${request.resourceVersion}": must be a decimal resourceVersion`);
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify(error.body()));
        return 400;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = { request, res, matched: new Set(), ...(request.timeoutSeconds !== undefined ? { closesAt: clock + request.timeoutSeconds * 1000 } : {}) };
    const current = cluster.list(request.type.group, request.type.plural, request.namespace).filter((o) => watchSelects(request, o));
    if (from === undefined) {
      for (const object of current) {
        watcher.matched.add(String(meta(object)['uid']));
        sendEvent(watcher, 'ADDED', present(object, request.type));
      }
      if (request.sendInitialEvents && request.bookmarks) bookmark(watcher, { 'k8s.io/initial-events-end': 'true' });
    } else {
      const events = cluster.eventsSince(from);
      if (!events) {
        sendEvent(watcher, 'ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${cluster.resourceVersion()})`, reason: 'Expired', code: 410 });
        res.end();
        return 200;
      }
      const replayed = new Set(events.map((e) => String(meta(e.object)['uid'])));
      for (const object of current) if (!replayed.has(String(meta(object)['uid']))) watcher.matched.add(String(meta(object)['uid']));
      for (const event of events) deliver(watcher, event);
    }
    watchers.add(watcher);
    res.on('close', () => watchers.delete(watcher));
    return 200;
  };

  const tick = (ms: number): number => {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`tick(${ms}): expected a finite number of milliseconds >= 0`);
    const target = clock + ms;
    let next = settle();
    while (next !== undefined && next <= target && next > clock) {
      clock = next;
      next = settle();
    }
    clock = target;
    settle();
    for (const watcher of [...watchers]) {
      if (watcher.closesAt !== undefined && clock >= watcher.closesAt) {
        watchers.delete(watcher);
        watcher.res.end();
      } else if (watcher.request.bookmarks) bookmark(watcher);
    }
    return clock;
  };

  const takeFault = (method: string, path: string): KubernetesFault | undefined => {
    const pending = faults.find((f) => f.remaining > 0 && (!f.fault.method || f.fault.method.toUpperCase() === method) && (!f.fault.pathPrefix || path.startsWith(f.fault.pathPrefix)));
    if (!pending) return undefined;
    pending.remaining -= 1;
    if (pending.remaining === 0) faults.splice(faults.indexOf(pending), 1);
    return pending.fault;
  };

  const failNext = (n: number, fault: KubernetesFault) => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`failNext(${n}): n must be a whole number >= 1`);
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) throw new Error(`failNext: status ${fault.status} must be an HTTP error status (400-599)`);
    if (typeof fault.reason !== 'string' || fault.reason === '') throw new Error(`failNext: reason must be a Status reason such as "TooManyRequests", got ${JSON.stringify(fault.reason)}`);
    faults.push({ fault, remaining: n });
  };

  const logOf = (pod: JsonMap, container: string): { text: string } | { waiting: string } => {
    const times = podTimes(ctx, pod);
    if (clock < times.startAt || podPhase(pod) === 'Pending') return { waiting: 'ContainerCreating' };
    const spec = isMap(pod['spec']) ? (pod['spec'] as JsonMap) : {};
    const c = (Array.isArray(spec['containers']) ? spec['containers'] : []).filter(isMap).find((x) => x['name'] === container);
    const log = behaviourOf(String(c?.['image'] ?? '')).log ?? '';
    return { text: log === '' || log.endsWith('\n') ? log : `${log}\n` };
  };

  const typeFor = (object: Record<string, unknown>) => {
    const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
    const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
    const type = cluster.registry.all().find((t) => t.group === group && t.version === version && t.kind === kind);
    if (!type) throw new Error(`seed: no served type for apiVersion '${apiVersion}' kind '${kind}' (set apiVersion and kind, e.g. "v1" "Service")`);
    return type;
  };

  const createNamespace = (name: string) => {
    if (cluster.get('', 'namespaces', '', name)) return;
    cluster.create(cluster.type('', 'namespaces')!, 'v1', '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    settle();
  };

  const seed = (objects: readonly Record<string, unknown>[]): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (const object of objects) {
      const type = typeFor(object);
      const m = isMap(object['metadata']) ? (object['metadata'] as JsonMap) : {};
      const ns = type.namespaced ? (typeof m['namespace'] === 'string' && m['namespace'] !== '' ? m['namespace'] : 'default') : '';
      if (ns !== '') createNamespace(ns);
      try {
        out.push(clone(present(cluster.create(type, type.version, ns, object), type)));
      } catch (error) {
        if (error instanceof StatusError) throw new Error(`seed: ${error.message}`);
        throw error;
      }
      settle();
    }
    return out;
  };

  const describe = (): KubernetesDescription => ({
    now: new Date(clock).toISOString(),
    namespaces: cluster.list('', 'namespaces').map((ns) => {
      const name = String(meta(ns)['name']);
      const ownerName = (o: JsonMap) => {
        const ref = (Array.isArray(meta(o)['ownerReferences']) ? (meta(o)['ownerReferences'] as JsonMap[]) : []).find((r) => r['controller'] === true);
        return ref ? `${String(ref['kind'])}/${String(ref['name'])}` : undefined;
      };
      const workloads = [
        ...cluster.list('apps', 'deployments', name).map((o) => ({ kind: 'Deployment', o })),
        ...cluster.list('apps', 'replicasets', name).map((o) => ({ kind: 'ReplicaSet', o })),
        ...cluster.list('batch', 'jobs', name).map((o) => ({ kind: 'Job', o })),
      ].map(({ kind, o }) => {
        const spec = isMap(o['spec']) ? (o['spec'] as JsonMap) : {};
        const status = isMap(o['status']) ? (o['status'] as JsonMap) : {};
        const owner = ownerName(o);
        return {
          kind,
          name: String(meta(o)['name']),
          replicas: typeof spec['replicas'] === 'number' ? spec['replicas'] : kind === 'Job' ? Number(spec['parallelism'] ?? 1) : 1,
          ready: typeof status['readyReplicas'] === 'number' ? status['readyReplicas'] : typeof status['ready'] === 'number' ? status['ready'] : 0,
          ...(owner ? { owner } : {}),
        };
      });
      const pods = cluster.list('', 'pods', name).map((p) => {
        const owner = ownerName(p);
        const spec = isMap(p['spec']) ? (p['spec'] as JsonMap) : {};
        return {
          name: String(meta(p)['name']),
          phase: podPhase(p),
          ready: podReady(p),
          terminating: terminating(p),
          labels: { ...labelsOf(p) },
          images: (Array.isArray(spec['containers']) ? spec['containers'] : []).filter(isMap).map((c) => String(c['image'] ?? '')),
          ...(owner ? { owner } : {}),
        };
      });
      const services = cluster.list('', 'services', name).map((s) => {
        const spec = isMap(s['spec']) ? (s['spec'] as JsonMap) : {};
        const selector = isMap(spec['selector']) ? ({ ...(spec['selector'] as Record<string, string>) }) : {};
        const selected = Object.keys(selector).length === 0 ? [] : cluster.list('', 'pods', name).filter((p) => !terminating(p) && matches(selectorFromMap(selector), labelsOf(p)));
        return { name: String(meta(s)['name']), selector, selects: selected.map((p) => String(meta(p)['name'])), ready: selected.filter(podReady).map((p) => String(meta(p)['name'])) };
      });
      const status = isMap(ns['status']) ? (ns['status'] as JsonMap) : {};
      return { name, phase: String(status['phase'] ?? 'Active'), workloads, pods, services };
    }),
  });

  // The namespaces every cluster starts with.
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) cluster.create(cluster.type('', 'namespaces')!, 'v1', '', { metadata: { name } });
  settle();

  const answer = (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): number => {
    const method = req.method ?? 'GET';
    const contentType = String(req.headers['content-type'] ?? '');
    const fault = takeFault(method, url.pathname);
    if (fault) {
      const retry = fault.status === 429 ? { 'retry-after': '1' } : {};
      const error = new StatusError(fault.status, fault.reason, fault.message, fault.status === 429 ? { retryAfterSeconds: 1 } : {});
      res.writeHead(fault.status, { 'content-type': 'application/json', ...retry });
      res.end(JSON.stringify(error.body()));
      injectedNow = true;
      return fault.status;
    }
    settle();
    if (url.pathname.startsWith('/prometheus/')) return answerPrometheus(method, url, contentType, body, res);
    let response: RestResponse;
    try {
      response = handleRest(cluster, { method, path: url.pathname, query: url.searchParams, contentType, userAgent: String(req.headers['user-agent'] ?? ''), body }, { serverAddress, logOf });
    } catch (error) {
      if (error instanceof StatusError) response = { kind: 'json', status: error.code, body: error.body(), headers: error.headers };
      else response = { kind: 'json', status: 500, body: new StatusError(500, 'InternalError', `Internal error occurred: simulator failure: ${(error as Error).message}`).body() };
    }
    if (response.kind === 'watch') {
      const status = startWatch(response.watch, res);
      settle();
      return status;
    }
    settle();
    if (response.kind === 'text') {
      res.writeHead(response.status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(response.body);
    } else {
      const text = JSON.stringify(response.body);
      res.writeHead(response.status, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', ...(response.headers ?? {}) });
      res.end(text);
    }
    return response.status;
  };

  /** The Prometheus HTTP API (`/prometheus/api/v1/query_range`, `/query`), GET with a query string or POST with a form. */
  const answerPrometheus = (method: string, url: URL, contentType: string, body: Buffer, res: ServerResponse): number => {
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
      return status;
    };
    const route = url.pathname.slice('/prometheus'.length);
    if (route !== '/api/v1/query_range' && route !== '/api/v1/query') return reply(404, { status: 'error', errorType: 'not_found', error: `no Prometheus API at ${url.pathname} (this one answers /prometheus/api/v1/query_range and /prometheus/api/v1/query)` });
    if (method !== 'GET' && method !== 'POST') return reply(405, { status: 'error', errorType: 'bad_data', error: `method ${method} not allowed; use GET or POST` });
    const params = new URLSearchParams(url.searchParams);
    if (method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    try {
      const query = params.get('query');
      if (query === null || query.trim() === '') throw new PromQLError('invalid parameter "query": missing; send the PromQL expression as query=');
      if (route === '/api/v1/query') return reply(200, prometheus.query(query, params.get('time') === null ? clock / 1000 : parseTime(params.get('time'), 'time')));
      return reply(200, prometheus.queryRange(query, parseTime(params.get('start'), 'start'), parseTime(params.get('end'), 'end'), parseStep(params.get('step'))));
    } catch (error) {
      if (error instanceof PromQLError) return reply(400, { status: 'error', errorType: 'bad_data', error: error.message });
      throw error;
    }
  };

  /** The side door over HTTP (SPEC.md "Side door"), for a process that did not start the simulator. */
  const sideDoor = (method: string, url: URL, body: Buffer, res: ServerResponse) => {
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    let input: Record<string, unknown> = {};
    if (method === 'POST' && body.length > 0) {
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (!isMap(parsed)) throw new Error('expected a JSON object');
        input = parsed;
      } catch (error) {
        return reply(400, { error: `request body: ${(error as Error).message}` });
      }
    }
    try {
      const route = `${method} ${url.pathname.slice('/__sandbox'.length)}`;
      switch (route) {
        case 'GET /describe':
          return reply(200, describe());
        case 'GET /calls':
          return reply(200, { calls: callLog });
        case 'GET /serving-log':
          return reply(200, { servingLog: serving });
        case 'POST /tick': {
          const ms = input['ms'];
          if (typeof ms !== 'number') return reply(400, { error: `tick: 'ms' must be a number of milliseconds, got ${JSON.stringify(ms)}` });
          return reply(200, { now: new Date(tick(ms)).toISOString() });
        }
        case 'POST /images': {
          const image = input['image'];
          if (typeof image !== 'string' || image === '') return reply(400, { error: `images: 'image' must be an image glob such as "registry/app:*", got ${JSON.stringify(image)}` });
          setImageBehaviour(image, (isMap(input['behaviour']) ? input['behaviour'] : {}) as ImageBehaviour);
          return reply(200, {});
        }
        case 'POST /fail-next': {
          failNext(typeof input['n'] === 'number' ? input['n'] : 1, input as unknown as KubernetesFault);
          return reply(200, {});
        }
        case 'POST /seed': {
          if (!Array.isArray(input['objects'])) return reply(400, { error: `seed: 'objects' must be an array of Kubernetes objects, got ${JSON.stringify(input['objects'])}` });
          return reply(200, { objects: seed(input['objects'] as Record<string, unknown>[]) });
        }
        case 'POST /namespaces': {
          const name = input['name'];
          if (typeof name !== 'string' || name === '') return reply(400, { error: `namespaces: 'name' must be a namespace name, got ${JSON.stringify(name)}` });
          createNamespace(name);
          return reply(200, {});
        }
        default:
          return reply(404, { error: `no side-door route ${method} ${url.pathname} (see sandbox/kubernetes/SPEC.md)` });
      }
    } catch (error) {
      return reply(400, { error: (error as Error).message });
    }
  };

  const setImageBehaviour = (imageGlob: string, behaviour: ImageBehaviour) => {
    if (typeof imageGlob !== 'string' || imageGlob === '') throw new Error(`setImageBehaviour: imageGlob must be a non-empty glob such as "registry/app:*", got ${JSON.stringify(imageGlob)}`);
    for (const [key, value] of Object.entries(behaviour)) {
      if (value === undefined) continue;
      if (key === 'successRateFromEnv') {
        if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw new Error(`setImageBehaviour: successRateFromEnv ${JSON.stringify(value)} is not an environment variable name; use e.g. "SUCCESS_RATE"`);
        continue;
      }
      if (key === 'neverReady' ? typeof value !== 'boolean' : key === 'log' ? typeof value !== 'string' : typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw new Error(`setImageBehaviour: ${key} ${JSON.stringify(value)} is not valid (numbers >= 0, neverReady a boolean, log a string, successRateFromEnv a variable name)`);
    }
    if (behaviour.errorRate !== undefined && behaviour.errorRate > 1) throw new Error(`setImageBehaviour: errorRate ${behaviour.errorRate} is not a fraction; use 0 to 1 (0.05 = 5% of requests fail)`);
    images.push({ glob: imageGlob, pattern: globToRegExp(imageGlob), behaviour });
    settle();
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
      const body = Buffer.concat(chunks);
      if (url.pathname.startsWith('/__sandbox/')) return sideDoor(req.method ?? 'GET', url, body, res);
      let status: number;
      if (size > MAX_BODY_BYTES) {
        const error = new StatusError(413, 'RequestEntityTooLarge', `the request body is ${size} bytes; the limit is ${MAX_BODY_BYTES}`);
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify(error.body()));
        status = 413;
      } else status = answer(req, res, url, body);
      callLog.push({
        seq: callLog.length + 1,
        time: clock,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: String(req.headers['content-type'] ?? ''),
        status,
        ...(injectedNow ? { injected: true } : {}),
      });
      injectedNow = false;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  serverAddress = `127.0.0.1:${port}`;

  return {
    url: `http://127.0.0.1:${port}`,
    now: () => clock,
    tick,
    setImageBehaviour,
    failNext,
    calls: () => callLog.map((c) => ({ ...c })),
    servingLog: () => serving.map((r) => ({ ...r })),
    describe,
    seed,
    createNamespace,
    compactWatchHistory: () => cluster.compact(),
    closeWatches: () => {
      for (const watcher of watchers) watcher.res.end();
      watchers.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const watcher of watchers) watcher.res.end();
        watchers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
