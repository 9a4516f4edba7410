/**
 * The router: the process that holds the local load balancers of one state directory, so they
 * outlive the process that owns the local deploy target (`gennaker up`, `gennaker run`): traffic
 * keeps flowing while `up` restarts, and a new `up` adopts the router as it adopts instances.
 *
 * It keeps, per cluster, one load balancer (load-balancer.ts) listening on the cluster's port
 * and its per-server-group metrics (metrics.ts). It decides nothing: the target sends it the
 * routing table (enabled server groups, their weights and Up instances) whenever that changes,
 * and asks it to drain or to report metrics, over the control channel (router-protocol.ts).
 *
 * Decisions:
 * - One router per state directory, claimed by creating its pid file exclusively; the pid file
 *   names the pid and its start time, so a stale file left by a killed router is told from a
 *   live one, and a second router exits at once.
 * - The control socket is created 0600 (umask) in the state directory: authentication is the
 *   file system's.
 * - A refused connection takes the instance out of this router's table at once (until the target
 *   sends a new table) and is told to the target, which marks the instance Down.
 * - It stops on `shutdown` (the target's `destroyAll`), on SIGTERM/SIGINT, and when its pid file
 *   no longer names it (its state directory was removed): it never outlives its state.
 */
import { chmodSync, closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { startLoadBalancer, type LoadBalancer, type RoutingGroup } from './load-balancer.ts';
import { createMetricsRecorder, type MetricsRecorder } from './metrics.ts';
import { isSameProcess, processStartTime } from './processes.ts';
import {
  createLineReader,
  ROUTER_PID_FILE,
  ROUTER_PROTOCOL,
  readRouterRecord,
  routerSocketPath,
  type RouterAnswers,
  type RouterEvent,
  type RouterRecord,
  type RouterReply,
  type RouterRequest,
} from './router-protocol.ts';

export interface RouterOptions {
  readonly stateDir: string;
  /** How often the router checks that its pid file still names it. @default 2_000 */
  readonly watchIntervalMs?: number;
  /** Where it reports what it did (its log file in the router process). @default nothing */
  readonly log?: (line: string) => void;
}

export interface Router {
  readonly pid: number;
  readonly socketPath: string;
  /** Settles once the router has stopped (shutdown, signal, or its state directory went away). */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/** Thrown when a live router already serves the state directory. */
export class RouterAlreadyRunning extends Error {
  override readonly name = 'RouterAlreadyRunning';
  constructor(readonly record: RouterRecord) {
    super(`a router (pid ${record.pid}) already serves this state directory`);
  }
}

interface ClusterEntry {
  readonly lb: LoadBalancer;
  readonly metrics: MetricsRecorder;
  /** The table the target sent last. */
  routing: readonly RoutingGroup[];
  /** Instances that refused a connection since that table arrived. */
  readonly refused: Set<string>;
  /** `routing` without the refused instances: what each request reads. */
  effective: readonly RoutingGroup[];
}

/** Claims the state directory for this process: creates the pid file exclusively, replacing a stale one. */
function claim(stateDir: string, record: RouterRecord): void {
  const file = join(stateDir, ROUTER_PID_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(record)}\n`);
      } finally {
        closeSync(fd);
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readRouterRecord(stateDir);
      if (holder && holder.pid !== process.pid && isSameProcess(holder.pid, holder.startTime)) throw new RouterAlreadyRunning(holder);
      // Left by a router that was killed: take its place.
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not claim ${file}: another router keeps replacing it`);
}

/** Starts the router of `stateDir` in this process. */
export async function startRouter(options: RouterOptions): Promise<Router> {
  const { stateDir } = options;
  const log = options.log ?? (() => undefined);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const socketPath = routerSocketPath(stateDir);
  const record: RouterRecord = { pid: process.pid, ...optionalStartTime(), socket: socketPath, protocol: ROUTER_PROTOCOL };
  claim(stateDir, record);

  const clusters = new Map<string, ClusterEntry>();
  const connections = new Set<Socket>();
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  const broadcast = (event: RouterEvent) => {
    const line = `${JSON.stringify(event)}\n`;
    for (const socket of connections) if (!socket.destroyed) socket.write(line);
  };

  const refresh = (entry: ClusterEntry) => {
    entry.effective =
      entry.refused.size === 0
        ? entry.routing
        : entry.routing.map((group) => ({ ...group, backends: group.backends.filter((backend) => !entry.refused.has(backend.instanceId)) }));
  };

  async function ensureCluster(key: string, name: string, port: number, resolutionMs: number): Promise<number> {
    const existing = clusters.get(key);
    if (existing) return existing.lb.port;
    const metrics = createMetricsRecorder({ resolutionMs });
    // Filled before the load balancer exists: its callbacks read the entry.
    const entry = { metrics, routing: [], refused: new Set<string>(), effective: [] } as unknown as ClusterEntry & { lb: LoadBalancer };
    const start = (wanted: number) =>
      startLoadBalancer({
        name,
        port: wanted,
        metrics,
        routing: () => entry.effective,
        onRefused: (serverGroup, backend) => {
          entry.refused.add(backend.instanceId);
          refresh(entry);
          broadcast({ event: 'refused', cluster: key, serverGroup, instanceId: backend.instanceId });
        },
      });
    let lb: LoadBalancer;
    try {
      lb = await start(port);
    } catch {
      // The old port is taken now: a new one (the cluster's endpoint changes).
      lb = await start(0);
    }
    // Another request may have created it meanwhile.
    const raced = clusters.get(key);
    if (raced) {
      await lb.close();
      return raced.lb.port;
    }
    entry.lb = lb;
    clusters.set(key, entry);
    log(`cluster ${key}: load balancer on 127.0.0.1:${lb.port}`);
    return lb.port;
  }

  const clusterOf = (key: string): ClusterEntry => {
    const entry = clusters.get(key);
    if (!entry) throw new Error(`no cluster ${key}: register it first`);
    return entry;
  };

  async function answer(request: RouterRequest): Promise<RouterAnswers[RouterRequest['op']]> {
    switch (request.op) {
      case 'hello':
        return { pid: process.pid, protocol: ROUTER_PROTOCOL, clusters: [...clusters.entries()].map(([cluster, entry]) => ({ cluster, port: entry.lb.port })) };
      case 'cluster':
        return { port: await ensureCluster(request.cluster, request.name, request.port, request.resolutionMs) };
      case 'route': {
        const entry = clusterOf(request.cluster);
        entry.routing = request.groups;
        entry.refused.clear();
        refresh(entry);
        return null;
      }
      case 'drain':
        return clusterOf(request.cluster).lb.drain(request.serverGroup, request.timeoutMs);
      case 'drainInstances':
        return clusterOf(request.cluster).lb.drainInstances(request.instanceIds, request.timeoutMs);
      case 'inFlight':
        return clusterOf(request.cluster).lb.inFlightCounts();
      case 'metrics':
        return clusters.get(request.cluster)?.metrics.snapshot(request.since) ?? [];
      case 'shutdown':
        // Answered first; the stop follows once the reply is written.
        setImmediate(() => void stop());
        return null;
      default: {
        const unknown: never = request;
        throw new Error(`unknown operation ${JSON.stringify((unknown as { op?: unknown }).op)}`);
      }
    }
  }

  const server: Server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    const reply = (message: RouterReply) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    socket.on(
      'data',
      createLineReader(
        (message) => {
          const request = message as RouterRequest;
          if (typeof request?.id !== 'number' || typeof request.op !== 'string') {
            reply({ id: -1, ok: false, error: `a request needs a numeric id and an op, got ${JSON.stringify(message).slice(0, 200)}` });
            return;
          }
          answer(request).then(
            (value) => reply({ id: request.id, ok: true, value }),
            (error: unknown) => reply({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
          );
        },
        (line) => reply({ id: -1, ok: false, error: `not JSON: ${line}` }),
      ),
    );
  });

  // Created 0600: only the owner of the state directory may connect.
  rmSync(socketPath, { force: true });
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    rmSync(join(stateDir, ROUTER_PID_FILE), { force: true });
    throw error;
  } finally {
    process.umask(umask);
  }
  chmodSync(socketPath, 0o600);
  log(`listening on ${socketPath}`);

  // The state directory went away (or another router claimed it): nothing is left to serve.
  const watch = setInterval(() => {
    if (readRouterRecord(stateDir)?.pid !== process.pid) {
      log('the pid file no longer names this router: stopping');
      void stop();
    }
  }, options.watchIntervalMs ?? 2_000);

  function stop(): Promise<void> {
    stopping ??= (async () => {
      clearInterval(watch);
      await Promise.all([...clusters.values()].map((entry) => entry.lb.close()));
      clusters.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Ended, not destroyed: the reply to `shutdown` is still on its way; a peer that keeps its end open is cut after a while.
      for (const socket of connections) socket.end();
      const cut = setTimeout(() => {
        for (const socket of connections) socket.destroy();
      }, 500);
      await closed;
      clearTimeout(cut);
      if (readRouterRecord(stateDir)?.pid === process.pid) rmSync(join(stateDir, ROUTER_PID_FILE), { force: true });
      try {
        unlinkSync(socketPath);
      } catch {
        // already gone (the listener removes it on close)
      }
      log('stopped');
      resolveStopped();
    })();
    return stopping;
  }

  return { pid: process.pid, socketPath, stopped, stop };
}

function optionalStartTime(): { startTime?: number } {
  const startTime = processStartTime(process.pid);
  return startTime === undefined ? {} : { startTime };
}
