/**
 * The local deploy target (DESIGN.md §6, §9): a server group is N real processes on this
 * machine, run from a baked, immutable copy of the artifact (artifacts.ts), each on its own
 * 127.0.0.1 port, behind one real weighted HTTP load balancer per cluster (load-balancer.ts)
 * that also records per-server-group request metrics (metrics.ts, served by the admin server).
 * The load balancers live in the router, a process of their own per state directory
 * (router.ts), so they keep serving while the process holding this target restarts; this
 * target talks to it through the router client (router-client.ts).
 *
 * Decisions:
 * - Every instance gets PORT, HOST, INSTANCE_ID, SERVER_GROUP and ARTIFACT_VERSION (the baked
 *   version) in its environment, after the server group's own `env`.
 * - Immutable instances: a process that exits is Down and stays so (no restart policy); a new
 *   version is a new server group.
 * - A partial disable (`desiredPercentage` < 100, rolling red/black) takes single instances out of
 *   rotation (`outOfService`) and drains them; the server group stays enabled until a whole
 *   disable, and enabling it puts every instance back.
 * - Health is an HTTP GET polled per instance: Starting until the first 2xx; Down on a non-2xx
 *   answer before that (a broken release), or after `unhealthyThreshold` failures once Up.
 * - The target decides who takes traffic; the router only routes. Every change of a cluster's
 *   routing table (health, enable, disable, weights, an instance leaving) is sent to the router,
 *   one at a time per cluster, and an operation that must not send traffic somewhere (a disable
 *   before its drain, a termination before its kill) waits until the router uses the new table.
 * - The model (server groups, pids, ports, load balancer ports) is a JSON file in the state
 *   directory, written after every change. A new target on the same directory adopts the
 *   processes still alive (pid alive, same working directory, then a health check) and drops
 *   the dead ones, and adopts the running router (or starts one, binding each load balancer on
 *   its old port when it can). The router keeps the last routing table meanwhile. `close()`
 *   leaves processes and the router running for that; `destroyAll()` stops them all.
 * - The admin server answers only requests carrying the API token (`Authorization: Bearer`).
 * - The model also keeps each server group's owner token and the owners of recent destroys, so
 *   the server-group port (local-ports.ts) answers a repeated create or destroy after a restart.
 *   `draining` (a disable's drain under way) is not persisted: it is this target's wait on the
 *   router's in-flight counts.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type {
  ArtifactReference,
  Capacity,
  ClusterDescription,
  ClusterRef,
  CreateServerGroupRequest,
  CreateServerGroupResult,
  DeployFailure,
  DeployTarget,
  DisableOptions,
  DisableResult,
  HealthCheckSettings,
  InstanceDescription,
  InstanceHealth,
  OperationResult,
  ServerGroupDescription,
  ServerGroupRef,
} from './local-target-api.ts';
import { bakeArtifact, LOCAL_ARTIFACT_TYPES } from './artifacts.ts';
import type { RoutingGroup } from './load-balancer.ts';
import { LATENCY_BUCKETS_MS, renderPrometheus, type ServerGroupMetrics } from './metrics.ts';
import { freePort, instanceProcessesOf, isAlive, killInstance, spawnInstance, workingDirectoryOf } from './processes.ts';
import { createRouterClient, type RemoteLoadBalancer } from './router-client.ts';

export interface LocalDeployTargetOptions {
  /** Where artifacts, logs and the model live (`.gennaker/targets/local`). */
  readonly stateDir: string;
  /** Environment every instance starts with (PATH, HOME...), before the server group's own. @default {} */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** The `node` that runs artifacts. @default process.execPath */
  readonly nodePath?: string;
  /** @default 30_000 */
  readonly drainTimeoutMs?: number;
  /** SIGTERM to SIGKILL. @default 3_000 */
  readonly killGraceMs?: number;
  /** Defaults for server groups that give no health check settings. */
  readonly healthCheck?: HealthCheckSettings;
  /** The admin server's port (metrics). @default 0: any free port */
  readonly adminPort?: number;
  /**
   * The bearer token the admin server requires (the API token, from the composition root).
   * @default a random token known to no one: the admin server then answers nobody
   */
  readonly adminToken?: string;
  /** Width of a metrics time-series slot. @default 1_000 */
  readonly metricsResolutionMs?: number;
}

export interface InstanceProcess {
  readonly account: string;
  readonly location: string;
  readonly serverGroup: string;
  readonly instanceId: string;
  readonly pid: number;
  readonly port: number;
}

export interface ClusterMetrics extends ClusterRef {
  readonly endpoint: string;
  readonly serverGroups: readonly ServerGroupMetrics[];
}

/** A create that records who asked for it, so a repeated request can find its own server group. */
export interface LocalCreateServerGroupRequest extends CreateServerGroupRequest {
  /** The owner token of the step creating it; kept in the model and described. */
  readonly owner?: string;
}

export interface LocalDisableOptions extends DisableOptions {
  /**
   * Wait for the drain. false: resolve once the server group (or share) is out of rotation and
   * let the drain go on; describe shows `draining` until it is over (or timed out), and the
   * answer's `drained` is true only when nothing was in flight to begin with.
   * @default true
   */
  readonly wait?: boolean;
}

export interface LocalDestroyOptions {
  /** The owner token of the step destroying it; remembered once it is gone. */
  readonly owner?: string;
}

/** How a server group's instances run: what a clone copies (cloneServerGroup). */
export interface LocalLaunchSettings {
  /** The baked artifact: its immutable directory, so a clone runs the very same files. */
  readonly artifact: ArtifactReference;
  readonly directory: string;
  readonly env: Readonly<Record<string, string>>;
  /** The command the create was given; absent when derived from the artifact. */
  readonly command?: readonly string[];
  readonly healthCheck: Required<HealthCheckSettings>;
}

export interface LocalInstanceDescription extends InstanceDescription {
  /** Out of rotation with requests still in flight. */
  readonly draining?: boolean;
}

export interface LocalServerGroupDescription extends ServerGroupDescription {
  /** The owner token it was created with; absent for server groups created without one. */
  readonly owner?: string;
  /** Out of rotation with requests still in flight (a disable, a partial disable or a destroy under way). */
  readonly draining?: boolean;
  readonly instances: readonly LocalInstanceDescription[];
  /** How its instances run (command, health check); the environment is left out, its values may be secrets. */
  readonly launchConfig?: Readonly<Record<string, unknown>>;
}

export interface LocalClusterDescription extends ClusterDescription {
  readonly serverGroups: readonly LocalServerGroupDescription[];
}

export interface LocalDeployTarget extends DeployTarget {
  /** Base URL of the admin server: `/_gennaker/metrics`, `/_gennaker/metrics/prometheus`. */
  readonly adminUrl: string;
  createServerGroup(request: LocalCreateServerGroupRequest): Promise<CreateServerGroupResult>;
  disableServerGroup(ref: ServerGroupRef, options?: LocalDisableOptions): Promise<DisableResult>;
  destroyServerGroup(ref: ServerGroupRef, options?: LocalDestroyOptions): Promise<OperationResult>;
  describeCluster(ref: ClusterRef): Promise<LocalClusterDescription>;
  /** One server group by name, or undefined when there is none. */
  describeServerGroup(ref: ServerGroupRef): LocalServerGroupDescription | undefined;
  /** What a server group runs and how, for a clone of it; undefined when there is none. */
  launchSettings(ref: ServerGroupRef): LocalLaunchSettings | undefined;
  /** The owner that destroyed this server group, when it is gone and was destroyed with one. */
  destroyedBy(ref: ServerGroupRef): string | undefined;
  /** Resolves at the next change of the model (health, server groups, traffic) or after `withinMs`, with the milliseconds waited. */
  awaitChange(withinMs: number): Promise<number>;
  /** The cluster's load balancer, once the cluster has had a server group. */
  loadBalancerUrl(ref: ClusterRef): string | undefined;
  /** The load balancer's metrics for a cluster; `since` (epoch ms) trims the time series. */
  metrics(ref: ClusterRef, since?: number): Promise<ClusterMetrics | undefined>;
  /** Every live instance process, for operators and leak checks. */
  processes(): readonly InstanceProcess[];
  /** The router process holding the load balancers, once this target talks to one (operators and leak checks). */
  routerPid(): number | undefined;
  /** Stops health checks and the admin server; instances and the router keep running (adopted next time). */
  close(): Promise<void>;
  /** Kills every instance, forgets every server group, stops the router, then closes. */
  destroyAll(): Promise<void>;
}

interface InstanceState {
  readonly id: string;
  readonly pid: number;
  readonly port: number;
  readonly launchedTime: number;
  health: InstanceHealth;
  everUp: boolean;
  failures: number;
  /** Out of rotation: being terminated by a resize or a destroy. */
  terminating: boolean;
  /** Out of rotation by a partial disable while its server group stays enabled; enable clears it. */
  outOfService?: boolean;
  /** Set for processes this target spawned; adopted ones are checked by pid. */
  exited?: boolean;
  timer?: NodeJS.Timeout;
  /** Set while a partial disable drains it; cleared by the drain that set it, or by enable. */
  draining?: object;
}

interface ServerGroupState {
  readonly name: string;
  readonly cluster: string;
  readonly account: string;
  readonly location: string;
  readonly createdTime: number;
  capacity: Capacity;
  disabled: boolean;
  readonly artifact: ArtifactReference;
  readonly directory: string;
  readonly command: readonly string[];
  /** The command as the create gave it (absent: derived from the artifact), which a clone of another artifact keeps. */
  readonly givenCommand?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly healthCheck: Required<HealthCheckSettings>;
  instances: InstanceState[];
  nextInstance: number;
  readonly owner?: string;
  /** Set while a disable or a destroy drains it (never persisted); cleared by that drain, or by enable. */
  draining?: object;
}

interface ClusterState {
  readonly ref: ClusterRef;
  port: number;
  weights?: Record<string, number>;
  lb?: RemoteLoadBalancer;
  /** The routing table the router uses (as sent, JSON), so an unchanged table is not sent again. */
  routed?: string;
  /** The last table sent: tables go out one at a time, in order. */
  routing: Promise<void>;
}

/** A destroyed server group and the owner that destroyed it, so a repeated destroy is answered. */
interface DestroyedServerGroup {
  readonly account: string;
  readonly location: string;
  readonly serverGroup: string;
  readonly owner: string;
}

/** The JSON file's shape. */
interface PersistedModel {
  readonly version: 1;
  readonly clusters: ReadonlyArray<{ readonly ref: ClusterRef; readonly port: number; readonly weights?: Record<string, number> }>;
  readonly serverGroups: ReadonlyArray<
    Omit<ServerGroupState, 'instances' | 'draining'> & {
      readonly instances: ReadonlyArray<{ readonly id: string; readonly pid: number; readonly port: number; readonly launchedTime: number; readonly outOfService?: boolean }>;
    }
  >;
  /** The most recent destroys with an owner, oldest first (at most MAX_DESTROYED). */
  readonly destroyed?: readonly DestroyedServerGroup[];
}

const STATE_FILE = 'local-target.json';
/** How many destroys the model remembers: enough for any step to repeat its own. */
const MAX_DESTROYED = 1_000;
const SAFE_NAME = /^[a-zA-Z0-9._-]+$/;

const clusterKey = (ref: ClusterRef) => `${ref.account}/${ref.location}/${ref.cluster}`;
const groupKey = (account: string, location: string, name: string) => `${account}/${location}/${name}`;

function failure(reason: DeployFailure['reason'], message: string): DeployFailure {
  return { ok: false, reason, message };
}

function checkCapacity(capacity: Capacity): string | undefined {
  const { min, max, desired } = capacity;
  if (![min, max, desired].every((n) => Number.isInteger(n) && n >= 0)) {
    return `capacity ${JSON.stringify(capacity)} must hold whole numbers >= 0`;
  }
  if (!(min <= desired && desired <= max)) return `capacity ${JSON.stringify(capacity)} must satisfy min <= desired <= max`;
  return undefined;
}

/** One GET of the health path: the status, or undefined when nothing answered. */
function probe(port: number, path: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
    request.end();
  });
}

export async function createLocalDeployTarget(options: LocalDeployTargetOptions): Promise<LocalDeployTarget> {
  const stateDir = options.stateDir;
  const nodePath = options.nodePath ?? process.execPath;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const killGraceMs = options.killGraceMs ?? 3_000;
  const healthDefaults: Required<HealthCheckSettings> = {
    path: options.healthCheck?.path ?? '/health',
    intervalMs: options.healthCheck?.intervalMs ?? 500,
    timeoutMs: options.healthCheck?.timeoutMs ?? 1_000,
    unhealthyThreshold: options.healthCheck?.unhealthyThreshold ?? 2,
  };
  const clusters = new Map<string, ClusterState>();
  const groups = new Map<string, ServerGroupState>();
  let destroyed: DestroyedServerGroup[] = [];
  const resolutionMs = options.metricsResolutionMs ?? 1_000;
  const adminToken = Buffer.from(options.adminToken ?? randomBytes(32).toString('base64url'));
  let closed = false;
  await mkdir(stateDir, { recursive: true });
  const router = createRouterClient({
    stateDir,
    ...(options.nodePath !== undefined ? { nodePath: options.nodePath } : {}),
    onRefused: (ref, serverGroup, instanceId) => {
      const instance = groups.get(groupKey(ref.account, ref.location, serverGroup))?.instances.find((candidate) => candidate.id === instanceId);
      if (!instance) return;
      instance.health = 'Down';
      const cluster = clusters.get(clusterKey(ref));
      if (cluster) routeInBackground(cluster);
    },
    // The router went away and a new one started: it knows nothing until told again.
    onRouterStarted: async () => {
      for (const cluster of clusters.values()) {
        if (!cluster.lb) continue;
        await attachLoadBalancer(cluster);
        await route(cluster);
      }
      await persist();
    },
  });

  // ---------------------------------------------------------------------------------------
  // Who waits for the next change (awaitChange): told at every write of the model and every
  // change of an instance's health (health is not written).

  let waiters: Array<() => void> = [];
  function changed(): void {
    const told = waiters;
    waiters = [];
    for (const wake of told) wake();
  }

  // ---------------------------------------------------------------------------------------
  // The model on disk: written after every change, one write at a time.

  let writing: Promise<void> = Promise.resolve();
  function persist(): Promise<void> {
    changed();
    const model: PersistedModel = {
      version: 1,
      clusters: [...clusters.values()].map((cluster) => ({ ref: cluster.ref, port: cluster.port, ...(cluster.weights ? { weights: cluster.weights } : {}) })),
      serverGroups: [...groups.values()].map(({ instances, draining: _draining, ...group }) => ({
        ...group,
        instances: instances.map(({ id, pid, port, launchedTime, outOfService }) => ({ id, pid, port, launchedTime, ...(outOfService ? { outOfService } : {}) })),
      })),
      ...(destroyed.length > 0 ? { destroyed } : {}),
    };
    const text = JSON.stringify(model, null, 2);
    // A failed write fails its own caller only: the next change writes the whole model again.
    writing = writing.catch(() => undefined).then(async () => {
      const file = join(stateDir, STATE_FILE);
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
    });
    return writing;
  }

  // ---------------------------------------------------------------------------------------
  // Routing: what each cluster's load balancer may send traffic to, right now.

  function clusterGroups(ref: ClusterRef): ServerGroupState[] {
    return [...groups.values()]
      .filter((group) => group.account === ref.account && group.location === ref.location && group.cluster === ref.cluster)
      .sort((a, b) => a.createdTime - b.createdTime || a.name.localeCompare(b.name));
  }

  const routable = (instance: InstanceState) => instance.health === 'Up' && !instance.terminating && !instance.outOfService;

  /** Each enabled group's weight: its explicit weight, or its count of Up instances. */
  function routingOf(cluster: ClusterState): RoutingGroup[] {
    return clusterGroups(cluster.ref)
      .filter((group) => !group.disabled)
      .map((group) => {
        const backends = group.instances.filter(routable).map((instance) => ({ instanceId: instance.id, host: '127.0.0.1', port: instance.port }));
        const weight = backends.length === 0 ? 0 : cluster.weights ? (cluster.weights[group.name] ?? 0) : backends.length;
        return { serverGroup: group.name, weight, backends };
      });
  }

  /**
   * Sends the cluster's routing table to its load balancer when it changed since the last one
   * sent; resolves once the router uses it (or a later table). Tables go out in order.
   */
  function route(cluster: ClusterState): Promise<void> {
    const send = async () => {
      if (!cluster.lb || closed) return;
      const table = routingOf(cluster);
      const text = JSON.stringify(table);
      if (text === cluster.routed) return;
      await cluster.lb.route(table);
      cluster.routed = text;
    };
    const sent = cluster.routing.then(send, send);
    cluster.routing = sent.catch(() => undefined);
    return sent;
  }

  /** A health change: sent without waiting; a table that could not be sent is sent with the next change. */
  function routeInBackground(cluster: ClusterState): void {
    route(cluster).catch(() => undefined);
  }

  const clusterOf = (group: ServerGroupState) => clusters.get(clusterKey(group));

  /** Registers the cluster with the router (on its old port when it can; the router may already hold it). */
  async function attachLoadBalancer(cluster: ClusterState): Promise<void> {
    const lb = await router.cluster(cluster.ref, { port: cluster.port, resolutionMs });
    delete cluster.routed;
    cluster.lb = lb;
    cluster.port = lb.port;
  }

  async function ensureCluster(ref: ClusterRef): Promise<ClusterState> {
    const key = clusterKey(ref);
    let cluster = clusters.get(key);
    if (!cluster) {
      cluster = { ref: { account: ref.account, location: ref.location, cluster: ref.cluster }, port: 0, routing: Promise.resolve() };
      clusters.set(key, cluster);
    }
    if (!cluster.lb) await attachLoadBalancer(cluster);
    return cluster;
  }

  // ---------------------------------------------------------------------------------------
  // Health: one polling loop per instance.

  async function checkHealth(group: ServerGroupState, instance: InstanceState): Promise<void> {
    const before = instance.health;
    await probeHealth(group, instance);
    if (instance.health === before) return;
    const cluster = clusterOf(group);
    if (cluster) routeInBackground(cluster);
    changed();
  }

  async function probeHealth(group: ServerGroupState, instance: InstanceState): Promise<void> {
    const dead = instance.exited ?? !isAlive(instance.pid);
    if (dead) {
      instance.health = 'Down';
      return;
    }
    const status = await probe(instance.port, group.healthCheck.path, group.healthCheck.timeoutMs);
    if (status !== undefined && status >= 200 && status < 300) {
      instance.health = 'Up';
      instance.everUp = true;
      instance.failures = 0;
      return;
    }
    instance.failures += 1;
    if (!instance.everUp) {
      // Not listening yet is starting; answering non-2xx is a broken release.
      instance.health = status === undefined ? 'Starting' : 'Down';
    } else if (instance.failures >= group.healthCheck.unhealthyThreshold) {
      instance.health = 'Down';
    }
  }

  function watch(group: ServerGroupState, instance: InstanceState, delayMs = 50): void {
    instance.timer = setTimeout(() => {
      void checkHealth(group, instance).finally(() => {
        if (closed || instance.terminating || instance.exited) return;
        watch(group, instance, group.healthCheck.intervalMs);
      });
    }, delayMs);
    instance.timer.unref();
  }

  function stopWatching(instance: InstanceState): void {
    if (instance.timer) clearTimeout(instance.timer);
  }

  // ---------------------------------------------------------------------------------------
  // Instances

  async function launch(group: ServerGroupState): Promise<InstanceState> {
    group.nextInstance += 1;
    const id = `${group.name}-i${group.nextInstance}`;
    const port = await freePort();
    const [command, ...args] = group.command;
    const spawned = spawnInstance({
      command: command === 'node' ? nodePath : command!,
      args,
      cwd: group.directory,
      env: {
        ...options.baseEnv,
        ARTIFACT_VERSION: group.artifact.version ?? '',
        ...group.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        INSTANCE_ID: id,
        SERVER_GROUP: group.name,
      },
      logFile: join(stateDir, 'logs', group.name, `${id}.log`),
    });
    const instance: InstanceState = { id, pid: spawned.pid, port, launchedTime: Date.now(), health: 'Starting', everUp: false, failures: 0, terminating: false, exited: false };
    void spawned.exited.then(() => {
      instance.exited = true;
      instance.health = 'Down';
      const cluster = clusterOf(group);
      if (cluster) routeInBackground(cluster);
    });
    group.instances.push(instance);
    watch(group, instance);
    return instance;
  }

  /** Takes the instance out of rotation (the router uses the table before the kill), then stops it. */
  async function terminate(group: ServerGroupState, instance: InstanceState): Promise<void> {
    instance.terminating = true;
    stopWatching(instance);
    const cluster = clusterOf(group);
    // Killed even when the router cannot be told: its retries take the refused requests elsewhere.
    if (cluster) await route(cluster).catch(() => undefined);
    await killInstance(instance.pid, killGraceMs);
    instance.health = 'Down';
  }

  // ---------------------------------------------------------------------------------------
  // Adoption of what a previous target left running

  async function adopt(): Promise<void> {
    const text = await readFile(join(stateDir, STATE_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) return;
    const model = JSON.parse(text) as PersistedModel;
    destroyed = [...(model.destroyed ?? [])];
    for (const saved of model.clusters) {
      clusters.set(clusterKey(saved.ref), { ref: saved.ref, port: saved.port, ...(saved.weights ? { weights: saved.weights } : {}), routing: Promise.resolve() });
    }
    const checks: Promise<void>[] = [];
    const incomplete: ServerGroupState[] = [];
    for (const saved of model.serverGroups) {
      const group: ServerGroupState = { ...saved, instances: [] };
      for (const { id, pid, port, launchedTime, outOfService } of saved.instances) {
        const cwd = workingDirectoryOf(pid);
        if (!isAlive(pid) || (cwd !== undefined && cwd !== group.directory)) continue; // dead, or a reused pid: forget it
        const instance: InstanceState = { id, pid, port, launchedTime, health: 'Starting', everUp: false, failures: 0, terminating: false, ...(outOfService ? { outOfService } : {}) };
        group.instances.push(instance);
        checks.push(probeHealth(group, instance));
      }
      // Launched by a target that died before recording them: adopted by what they are.
      const recorded = new Set(saved.instances.map((instance) => instance.id));
      for (const found of instanceProcessesOf(group.directory, group.name)) {
        if (found.instanceId === undefined || recorded.has(found.instanceId)) continue;
        const port = found.port;
        if (port === undefined) {
          await killInstance(found.pid, killGraceMs);
          continue;
        }
        const instance: InstanceState = { id: found.instanceId, pid: found.pid, port, launchedTime: Date.now(), health: 'Starting', everUp: false, failures: 0, terminating: false };
        group.instances.push(instance);
        recorded.add(found.instanceId);
        checks.push(probeHealth(group, instance));
      }
      // Fewer launched than desired: the create (or a resize up) was cut short; finish it.
      if (recorded.size < group.capacity.desired) incomplete.push(group);
      groups.set(groupKey(group.account, group.location, group.name), group);
    }
    await Promise.all(checks);
    for (const group of incomplete) {
      while (group.instances.filter((instance) => !instance.terminating).length < group.capacity.desired) await launch(group);
    }
    for (const group of groups.values()) for (const instance of group.instances) watch(group, instance, group.healthCheck.intervalMs);
    // Only once every adopted instance was checked: until then the router keeps the last table it had.
    for (const cluster of clusters.values()) {
      await attachLoadBalancer(cluster);
      await route(cluster);
    }
    await persist();
  }

  // ---------------------------------------------------------------------------------------
  // Description

  function describeGroup(group: ServerGroupState): LocalServerGroupDescription {
    const cluster = clusters.get(clusterKey(group));
    const routing = cluster ? routingOf(cluster) : [];
    const total = routing.reduce((sum, entry) => sum + entry.weight, 0);
    const mine = routing.find((entry) => entry.serverGroup === group.name)?.weight ?? 0;
    return {
      name: group.name,
      cluster: group.cluster,
      account: group.account,
      location: group.location,
      createdTime: group.createdTime,
      capacity: { ...group.capacity },
      disabled: group.disabled,
      ...(group.draining || group.instances.some((instance) => instance.draining) ? { draining: true } : {}),
      instances: group.instances.map((instance) => ({
        id: instance.id,
        health: instance.health,
        address: `127.0.0.1:${instance.port}`,
        launchedTime: instance.launchedTime,
        ...(instance.outOfService ? { outOfService: true } : {}),
        ...(instance.draining ? { draining: true } : {}),
      })),
      trafficWeight: total > 0 ? Math.round((mine / total) * 10_000) / 100 : 0,
      artifact: group.artifact,
      ...(group.owner !== undefined ? { owner: group.owner } : {}),
      // How it runs, environment aside (values there may be secrets).
      launchConfig: { command: [...group.command], healthCheck: { ...group.healthCheck } },
    };
  }

  /**
   * A partial disable: ceil(percentage% of the running instances) out of rotation, those already
   * out counting first, then instances that are not Up (they take no traffic anyway), then the
   * oldest; the rest keep serving. Drains only the instances it took out.
   */
  async function disableShare(group: ServerGroupState, percentage: number, timeoutMs: number, wait: boolean): Promise<DisableResult> {
    const running = group.instances.filter((instance) => !instance.terminating);
    const wanted = Math.ceil((running.length * percentage) / 100);
    const order = [...running].sort(
      (a, b) => Number(!a.outOfService) - Number(!b.outOfService) || Number(a.health === 'Up') - Number(b.health === 'Up') || a.launchedTime - b.launchedTime || a.id.localeCompare(b.id),
    );
    const leaving = order.slice(0, wanted).filter((instance) => !instance.outOfService);
    for (const instance of leaving) instance.outOfService = true;
    await persist();
    const cluster = clusterOf(group);
    if (cluster) await route(cluster);
    const lb = cluster?.lb;
    if (!lb || leaving.length === 0) return { ok: true, drained: true };
    const drains = leaving.map((instance) => tracked(instance, lb.drainInstances([instance.id], timeoutMs)));
    if (!wait) return { ok: true, drained: false };
    return { ok: true, drained: (await Promise.all(drains)).every(Boolean) };
  }

  /**
   * Marks a server group or an instance draining until `drain` settles, unless something else
   * (an enable, a newer drain) took the mark meanwhile. Answers the drain; a drain the router
   * could not finish (it went away) did not drain.
   */
  function tracked(holder: { draining?: object }, drain: Promise<boolean>): Promise<boolean> {
    const mark = {};
    holder.draining = mark;
    return drain
      .catch(() => false)
      .finally(() => {
        if (holder.draining === mark) delete holder.draining;
      });
  }

  function find(ref: ServerGroupRef): ServerGroupState | DeployFailure {
    return (
      groups.get(groupKey(ref.account, ref.location, ref.serverGroup)) ??
      failure('not-found', `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}`)
    );
  }

  /** The command: the one given, else `node <main of package.json>`, else `node server.js`. */
  async function commandFor(directory: string, given: readonly string[] | undefined): Promise<readonly string[]> {
    if (given && given.length > 0) return given;
    const main = await readFile(join(directory, 'package.json'), 'utf8')
      .then((text) => (JSON.parse(text) as { main?: unknown }).main)
      .catch(() => undefined);
    const entry = typeof main === 'string' ? main : 'server.js';
    return ['node', isAbsolute(entry) ? entry : join(directory, entry)];
  }

  // ---------------------------------------------------------------------------------------
  // The admin server: metrics for people and for the local metric source.

  async function clusterMetrics(cluster: ClusterState, since?: number): Promise<ClusterMetrics> {
    return { ...cluster.ref, endpoint: cluster.lb?.url ?? '', serverGroups: cluster.lb ? await cluster.lb.metrics(since) : [] };
  }

  function allMetrics(filter: { cluster?: string | null; since?: number }): Promise<ClusterMetrics[]> {
    const wanted = [...clusters.values()].filter((cluster) => !filter.cluster || cluster.ref.cluster === filter.cluster);
    return Promise.all(wanted.map((cluster) => clusterMetrics(cluster, filter.since)));
  }

  /** `Authorization: Bearer <token>` with the admin token, compared in constant time. */
  function authorized(req: IncomingMessage): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(match?.[1] ?? '');
    return given.length === adminToken.length && timingSafeEqual(given, adminToken);
  }

  async function answerAdmin(req: IncomingMessage, url: URL): Promise<{ status: number; type: string; body: string }> {
    const json = (status: number, value: unknown) => ({ status, type: 'application/json', body: JSON.stringify(value) });
    if (!authorized(req)) return json(401, { error: "the admin server needs the API token: send 'Authorization: Bearer <token>'" });
    const since = Number(url.searchParams.get('since') ?? 0) || 0;
    if (req.method === 'GET' && url.pathname === '/_gennaker/metrics') {
      const found = await allMetrics({ cluster: url.searchParams.get('cluster'), since });
      return json(200, { now: Date.now(), resolutionMs, latencyBucketsMs: LATENCY_BUCKETS_MS, clusters: found });
    }
    if (req.method === 'GET' && url.pathname === '/_gennaker/metrics/prometheus') {
      const found = await allMetrics({ cluster: url.searchParams.get('cluster') });
      return { status: 200, type: 'text/plain; version=0.0.4', body: renderPrometheus(found.map((cluster) => ({ labels: cluster, metrics: cluster.serverGroups }))) };
    }
    return json(404, { error: `no route ${url.pathname}; the admin server serves /_gennaker/metrics and /_gennaker/metrics/prometheus` });
  }

  const admin: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    answerAdmin(req, url).then(
      ({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type, ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) }).end(body);
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `the load balancers' router cannot be reached: ${message}` }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(options.adminPort ?? 0, '127.0.0.1', () => resolve());
  });
  const adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;

  await adopt();

  // ---------------------------------------------------------------------------------------
  // The port

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    changed();
    for (const group of groups.values()) group.instances.forEach(stopWatching);
    await Promise.all([...clusters.values()].map((cluster) => cluster.routing));
    await router.close();
    for (const cluster of clusters.values()) delete cluster.lb;
    admin.closeAllConnections();
    await new Promise<void>((resolve) => admin.close(() => resolve()));
    await writing.catch(() => undefined);
  }

  return {
    capabilities: { trafficWeights: true, resize: true, drainOnDisable: true, artifactTypes: LOCAL_ARTIFACT_TYPES, partialDisable: true },
    adminUrl,

    async createServerGroup(request: LocalCreateServerGroupRequest): Promise<CreateServerGroupResult> {
      for (const [field, value] of [['name', request.name], ['cluster', request.cluster], ['account', request.account], ['location', request.location]] as const) {
        if (!SAFE_NAME.test(value)) return failure('invalid', `${field} '${value}' may hold only letters, digits, '.', '_' and '-'`);
      }
      const capacityProblem = checkCapacity(request.capacity);
      if (capacityProblem) return failure('invalid', capacityProblem);
      const key = groupKey(request.account, request.location, request.name);
      if (groups.has(key)) return failure('already-exists', `server group ${request.name} already exists in ${request.account}/${request.location}; server groups are immutable, create the next version`);
      const baked = await bakeArtifact(stateDir, request.artifact);
      if (!baked.ok) return failure(LOCAL_ARTIFACT_TYPES.includes(request.artifact.type as never) ? 'failed' : 'unsupported', baked.message);
      const command = await commandFor(baked.directory, request.command);
      // No await between this check and the insert below: two concurrent creates make one server group.
      if (groups.has(key)) return failure('already-exists', `server group ${request.name} already exists in ${request.account}/${request.location}`);
      const group: ServerGroupState = {
        name: request.name,
        cluster: request.cluster,
        account: request.account,
        location: request.location,
        createdTime: Date.now(),
        capacity: { ...request.capacity },
        disabled: request.disabled ?? false,
        artifact: { ...request.artifact, name: baked.name, version: baked.version },
        directory: baked.directory,
        command,
        ...(request.command && request.command.length > 0 ? { givenCommand: [...request.command] } : {}),
        env: { ...request.env },
        healthCheck: { ...healthDefaults, ...request.healthCheck },
        instances: [],
        nextInstance: 0,
        ...(request.owner !== undefined ? { owner: request.owner } : {}),
      };
      groups.set(key, group);
      await ensureCluster(request);
      try {
        // Recorded before and after each launch: a target killed mid-create leaves a server group
        // the next one adopts (its instances found, the missing ones launched), never orphans.
        await persist();
        for (let i = 0; i < group.capacity.desired; i++) {
          await launch(group);
          await persist();
        }
      } catch (error) {
        await Promise.all(group.instances.map((instance) => terminate(group, instance)));
        groups.delete(key);
        await persist();
        return failure('failed', `server group ${request.name} could not start: ${(error as Error).message}`);
      }
      await persist();
      return { ok: true, serverGroup: describeGroup(group) };
    },

    async enableServerGroup(ref) {
      const group = find(ref);
      if ('ok' in group) return group;
      group.disabled = false;
      delete group.draining;
      for (const instance of group.instances) {
        delete instance.outOfService;
        delete instance.draining;
      }
      await persist();
      const cluster = clusterOf(group);
      if (cluster) await route(cluster);
      return { ok: true };
    },

    async disableServerGroup(ref, disableOptions?: LocalDisableOptions): Promise<DisableResult> {
      const group = find(ref);
      if ('ok' in group) return group;
      const percentage = disableOptions?.desiredPercentage;
      if (percentage !== undefined && !(Number.isFinite(percentage) && percentage >= 0 && percentage <= 100)) {
        return failure('invalid', `desiredPercentage ${percentage} must be between 0 and 100`);
      }
      const wait = disableOptions?.wait ?? true;
      if (percentage !== undefined && percentage < 100) return disableShare(group, percentage, disableOptions?.drainTimeoutMs ?? drainTimeoutMs, wait);
      group.disabled = true;
      await persist();
      // The drain counts only once no new request can reach the group.
      const cluster = clusterOf(group);
      if (cluster) await route(cluster);
      const lb = cluster?.lb;
      if (!lb || ((await lb.inFlight())[group.name] ?? 0) === 0) return { ok: true, drained: true };
      const drain = tracked(group, lb.drain(group.name, disableOptions?.drainTimeoutMs ?? drainTimeoutMs));
      if (!wait) return { ok: true, drained: false };
      return { ok: true, drained: await drain };
    },

    async resizeServerGroup(ref, capacity): Promise<OperationResult> {
      const group = find(ref);
      if ('ok' in group) return group;
      const capacityProblem = checkCapacity(capacity);
      if (capacityProblem) return failure('invalid', capacityProblem);
      group.capacity = { ...capacity };
      const running = group.instances.filter((instance) => !instance.terminating);
      if (capacity.desired > running.length) {
        for (let i = running.length; i < capacity.desired; i++) await launch(group);
      } else if (capacity.desired < running.length) {
        // Down instances go first, then the newest.
        const order = [...running].sort((a, b) => Number(a.health === 'Up') - Number(b.health === 'Up') || b.launchedTime - a.launchedTime);
        const leaving = order.slice(0, running.length - capacity.desired);
        await Promise.all(leaving.map((instance) => terminate(group, instance)));
        group.instances = group.instances.filter((instance) => !leaving.includes(instance));
      }
      await persist();
      return { ok: true };
    },

    async destroyServerGroup(ref, destroyOptions?: LocalDestroyOptions): Promise<OperationResult> {
      const group = find(ref);
      if ('ok' in group) return group;
      group.disabled = true;
      const cluster = clusterOf(group);
      if (cluster?.lb) {
        await route(cluster);
        await tracked(group, cluster.lb.drain(group.name, Math.min(drainTimeoutMs, 5_000)));
      }
      await Promise.all(group.instances.map((instance) => terminate(group, instance)));
      groups.delete(groupKey(group.account, group.location, group.name));
      if (cluster?.weights) delete cluster.weights[group.name];
      if (destroyOptions?.owner !== undefined) {
        destroyed = [...destroyed, { account: group.account, location: group.location, serverGroup: group.name, owner: destroyOptions.owner }].slice(-MAX_DESTROYED);
      }
      await persist();
      if (cluster) await route(cluster);
      return { ok: true };
    },

    describeServerGroup(ref) {
      const group = find(ref);
      return 'ok' in group ? undefined : describeGroup(group);
    },

    launchSettings(ref) {
      const group = find(ref);
      if ('ok' in group) return undefined;
      return {
        artifact: group.artifact,
        directory: group.directory,
        env: { ...group.env },
        ...(group.givenCommand ? { command: [...group.givenCommand] } : {}),
        healthCheck: { ...group.healthCheck },
      };
    },

    awaitChange(withinMs) {
      const began = performance.now();
      if (closed || withinMs <= 0) return Promise.resolve(0);
      return new Promise<number>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve(performance.now() - began);
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter !== wake);
          resolve(performance.now() - began);
        }, withinMs);
        timer.unref();
        waiters.push(wake);
      });
    },

    destroyedBy(ref) {
      if (groups.has(groupKey(ref.account, ref.location, ref.serverGroup))) return undefined;
      // The latest destroy of that name counts: a name can be created and destroyed again.
      const entry = destroyed.findLast((candidate) => candidate.account === ref.account && candidate.location === ref.location && candidate.serverGroup === ref.serverGroup);
      return entry?.owner;
    },

    async describeCluster(ref): Promise<LocalClusterDescription> {
      const cluster = clusters.get(clusterKey(ref));
      // What describe shows is what the load balancer uses: a routing change on its way lands first.
      if (cluster) await cluster.routing;
      return {
        account: ref.account,
        location: ref.location,
        cluster: ref.cluster,
        serverGroups: clusterGroups(ref).map(describeGroup),
        ...(cluster?.weights ? { trafficWeights: { ...cluster.weights } } : {}),
        ...(cluster?.lb ? { endpoint: cluster.lb.url } : {}),
      };
    },

    async setTrafficWeights(ref, weights): Promise<OperationResult> {
      const known = new Set(clusterGroups(ref).map((group) => group.name));
      const entries = Object.entries(weights);
      for (const [name, weight] of entries) {
        if (!known.has(name)) return failure('not-found', `server group ${name} is not in cluster ${ref.cluster} (${ref.account}/${ref.location})`);
        if (!(Number.isFinite(weight) && weight >= 0 && weight <= 100)) return failure('invalid', `traffic weight ${weight} for ${name} must be between 0 and 100`);
      }
      const sum = entries.reduce((total, [, weight]) => total + weight, 0);
      if (entries.length > 0 && Math.abs(sum - 100) > 1e-9) return failure('invalid', `traffic weights ${JSON.stringify(weights)} add up to ${sum}, expected 100`);
      const cluster = await ensureCluster(ref);
      if (entries.length === 0) delete cluster.weights;
      else cluster.weights = { ...weights };
      await persist();
      await route(cluster);
      return { ok: true };
    },

    loadBalancerUrl: (ref) => clusters.get(clusterKey(ref))?.lb?.url,

    async metrics(ref, since) {
      const cluster = clusters.get(clusterKey(ref));
      return cluster ? clusterMetrics(cluster, since) : undefined;
    },

    processes: () =>
      [...groups.values()].flatMap((group) =>
        group.instances
          .filter((instance) => !instance.exited && isAlive(instance.pid))
          .map((instance) => ({ account: group.account, location: group.location, serverGroup: group.name, instanceId: instance.id, pid: instance.pid, port: instance.port })),
      ),

    routerPid: () => router.pid(),

    close,

    async destroyAll() {
      await Promise.all([...groups.values()].flatMap((group) => group.instances.map((instance) => terminate(group, instance))));
      groups.clear();
      await persist();
      await router.shutdown();
      await close();
      await rm(join(stateDir, STATE_FILE), { force: true });
    },
  };
}
