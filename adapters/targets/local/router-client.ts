/**
 * The local deploy target's side of the router (router.ts): finds the router of a state
 * directory and adopts it, or starts one (detached, so it outlives this process), and offers
 * each cluster's load balancer as a `RemoteLoadBalancer` with the operations the target uses:
 * set the routing table, drain a server group or instances, read in-flight counts and metrics.
 *
 * Decisions:
 * - Nothing starts until a cluster needs a load balancer; `shutdown` stops a running router but
 *   never starts one.
 * - A router is adopted only when its pid file names a live process that started when recorded,
 *   its socket belongs to this user and is 0600, and it answers `hello` in this protocol.
 * - The connection holds this process's event loop open only while a request waits, so an owner
 *   that is done can exit and leave the router serving.
 * - When the router goes away under an open client (it crashed, or was killed), the client starts
 *   a new one and calls `onRouterStarted`, so the owner registers its clusters and tables again.
 */
import { fork } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ClusterRef } from './local-target-api.ts';
import type { RoutingGroup } from './load-balancer.ts';
import type { ServerGroupMetrics } from './metrics.ts';
import { isSameProcess, killInstance } from './processes.ts';
import type { RouterStartMessage } from './router-main.ts';
import {
  createLineReader,
  ROUTER_PROTOCOL,
  readRouterRecord,
  type RouterAnswers,
  type RouterEvent,
  type RouterRecord,
  type RouterReply,
  type RouterRequest,
} from './router-protocol.ts';

/** A cluster's load balancer, living in the router process. */
export interface RemoteLoadBalancer {
  readonly port: number;
  readonly url: string;
  /** Replaces the routing table: who may take new requests. Resolves once the router uses it. */
  route(groups: readonly RoutingGroup[]): Promise<void>;
  /** Resolves true when the server group has no request in flight, false after `timeoutMs`. */
  drain(serverGroup: string, timeoutMs: number): Promise<boolean>;
  /** Resolves true when none of these instances has a request in flight, false after `timeoutMs`. */
  drainInstances(instanceIds: readonly string[], timeoutMs: number): Promise<boolean>;
  /** Requests in flight: per server group, and per instance under `instance:<id>`. */
  inFlight(): Promise<Readonly<Record<string, number>>>;
  /** Per-server-group metrics; `since` (epoch ms) trims the time series. */
  metrics(since?: number): Promise<readonly ServerGroupMetrics[]>;
}

export interface RouterClientOptions {
  readonly stateDir: string;
  /** The `node` that runs the router. @default process.execPath */
  readonly nodePath?: string;
  /** An instance refused a connection (the router already stopped sending it requests). */
  readonly onRefused?: (cluster: ClusterRef, serverGroup: string, instanceId: string) => void;
  /** A new router was started under an open client: register every cluster and table again. */
  readonly onRouterStarted?: () => Promise<void>;
  /** How long a router may take to start. @default 15_000 */
  readonly startTimeoutMs?: number;
}

export interface RouterClient {
  /** The router's pid once connected. */
  pid(): number | undefined;
  /** Whether the router this client talks to was found running (adopted) rather than started by it. */
  adopted(): boolean;
  /** The router's load balancers, with the port each listens on (from `hello`): adopting them needs no start. */
  clusters(): Promise<ReadonlyMap<string, number>>;
  /** The cluster's load balancer: registered (on `port` when free, else any) or found. */
  cluster(ref: ClusterRef, settings: { readonly port: number; readonly resolutionMs: number }): Promise<RemoteLoadBalancer>;
  /** Disconnects; the router keeps serving. */
  close(): Promise<void>;
  /** Stops the router of the state directory if one runs (never starts one), then disconnects. */
  shutdown(): Promise<void>;
}

/** The key the router knows a cluster by. */
export const routerClusterKey = (ref: ClusterRef) => `${ref.account}/${ref.location}/${ref.cluster}`;

const ROUTER_MAIN = fileURLToPath(new URL('./router-main.ts', import.meta.url));
/** How long the router may take to answer, beyond the time an operation asks for (a drain's timeout). */
const REPLY_TIMEOUT_MS = 10_000;

/** tsx's loader, by absolute URL: the router's working directory is the state directory. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Connection {
  readonly socket: Socket;
  readonly pid: number;
  readonly pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
  readonly clusters: ReadonlyMap<string, number>;
}

/** Fails with one line naming what is wrong with the control channel. */
class RouterUnavailable extends Error {
  override readonly name = 'RouterUnavailable';
}

/** The socket is ours to use: a socket, owned by this user, readable and writable by nobody else. */
function trustedSocket(path: string): boolean {
  try {
    const stat = lstatSync(path);
    const uid = process.getuid?.();
    return stat.isSocket() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Opens the router client of a state directory; connects on first use. */
export function createRouterClient(options: RouterClientOptions): RouterClient {
  // Absolute: the router runs in the state directory, and a relative path would not lead back there.
  const stateDir = resolve(options.stateDir);
  let connection: Connection | undefined;
  let connecting: Promise<Connection> | undefined;
  let nextId = 1;
  let closed = false;
  let wasAdopted = false;
  /** Set while a connection is being replaced after the router went away. */
  let restarting = false;

  function open(record: RouterRecord): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      if (!trustedSocket(record.socket)) {
        reject(new RouterUnavailable(`${record.socket} is not a 0600 socket of this user; not trusting it`));
        return;
      }
      const socket = connect(record.socket);
      const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
      let settled = false;
      const fail = (error: Error) => {
        if (!settled) {
          settled = true;
          reject(error);
        }
      };
      socket.once('error', (error) => fail(new RouterUnavailable(`cannot reach the router at ${record.socket}: ${error.message}`)));
      socket.on(
        'data',
        createLineReader(
          (message) => {
            const reply = message as RouterReply & Partial<RouterEvent>;
            if (reply.event === 'refused') {
              const [account = '', location = '', cluster = ''] = String(reply.cluster).split('/');
              options.onRefused?.({ account, location, cluster }, String(reply.serverGroup), String(reply.instanceId));
              return;
            }
            const waiter = pending.get(reply.id);
            if (!waiter) return;
            pending.delete(reply.id);
            if (pending.size === 0) socket.unref();
            if (reply.ok) waiter.resolve(reply.value);
            else waiter.reject(new Error(`the router refused: ${reply.error}`));
          },
          () => undefined,
        ),
      );
      socket.on('close', () => {
        for (const waiter of pending.values()) waiter.reject(new RouterUnavailable('the router closed the control channel'));
        pending.clear();
        fail(new RouterUnavailable('the router closed the control channel before answering'));
        if (connection?.socket === socket) {
          connection = undefined;
          if (!closed) scheduleRestart();
        }
      });
      socket.once('connect', () => {
        socket.on('error', () => socket.destroy());
        const hello = send<'hello'>({ socket, pending }, { op: 'hello' });
        hello.then(
          (answer) => {
            if (answer.protocol !== ROUTER_PROTOCOL) {
              socket.destroy();
              fail(new RouterUnavailable(`the router speaks protocol ${answer.protocol}, this target ${ROUTER_PROTOCOL}`));
              return;
            }
            settled = true;
            resolve({ socket, pid: answer.pid, pending, clusters: new Map(answer.clusters.map((entry) => [entry.cluster, entry.port])) });
          },
          (error: Error) => {
            socket.destroy();
            fail(error);
          },
        );
      });
    });
  }

  function send<Op extends RouterRequest['op']>(
    over: Pick<Connection, 'socket' | 'pending'>,
    request: Omit<Extract<RouterRequest, { op: Op }>, 'id'>,
  ): Promise<RouterAnswers[Op]> {
    const id = nextId++;
    // A router that stops answering is as good as gone: the connection is cut, and a new router started.
    const waitMs = REPLY_TIMEOUT_MS + ('timeoutMs' in request && typeof request.timeoutMs === 'number' ? request.timeoutMs : 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!over.pending.delete(id)) return;
        reject(new RouterUnavailable(`the router did not answer '${request.op}' within ${waitMs} ms`));
        over.socket.destroy();
      }, waitMs);
      timer.unref();
      over.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          (resolve as (value: unknown) => void)(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      over.socket.ref();
      over.socket.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  /** The running router's record, when it is alive and started when recorded. */
  function liveRecord(): RouterRecord | undefined {
    const record = readRouterRecord(stateDir);
    return record && isSameProcess(record.pid, record.startTime) ? record : undefined;
  }

  /** Starts a router process, detached, and waits for its first message. */
  function spawnRouter(): Promise<RouterStartMessage> {
    mkdirSync(join(stateDir, 'logs'), { recursive: true, mode: 0o700 });
    const log = openSync(join(stateDir, 'logs', 'router.log'), 'a', 0o600);
    try {
      const child = fork(ROUTER_MAIN, [stateDir], {
        cwd: stateDir,
        execPath: options.nodePath ?? process.execPath,
        execArgv: ['--import', TSX_LOADER],
        detached: true,
        stdio: ['ignore', log, log, 'ipc'],
        env: { PATH: process.env.PATH ?? '', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) },
      });
      return new Promise<RouterStartMessage>((resolve) => {
        const timer = setTimeout(() => {
          done({ error: `the router did not start within ${options.startTimeoutMs ?? 15_000} ms (see ${join(stateDir, 'logs', 'router.log')})` });
          if (child.pid !== undefined) void killInstance(child.pid, 500);
        }, options.startTimeoutMs ?? 15_000);
        let finished = false;
        function done(message: RouterStartMessage) {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          if (child.connected) child.disconnect();
          child.unref();
          resolve(message);
        }
        child.once('message', (message) => done(message as RouterStartMessage));
        child.once('error', (error) => done({ error: `the router could not be started: ${error.message}` }));
        child.once('exit', (code) => done({ error: `the router exited with code ${code} before it was ready (see ${join(stateDir, 'logs', 'router.log')})` }));
      });
    } finally {
      closeSync(log);
    }
  }

  async function establish(): Promise<Connection> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const record = liveRecord();
      if (record) {
        try {
          const adopted = await open(record);
          wasAdopted = !restarting && attempt === 0;
          return adopted;
        } catch (error) {
          if (attempt === 2) throw error;
          // A router that is stopping, or one we may not trust: start (or wait for) another.
        }
      }
      const started = await spawnRouter();
      if ('error' in started) throw new RouterUnavailable(started.error);
      try {
        const fresh = await open({ pid: started.pid, socket: started.socket, protocol: ROUTER_PROTOCOL });
        wasAdopted = 'running' in started && !restarting;
        return fresh;
      } catch (error) {
        if (attempt === 2) throw error;
      }
    }
    throw new RouterUnavailable('the router could not be reached');
  }

  function connected(): Promise<Connection> {
    if (closed) return Promise.reject(new RouterUnavailable('the router client is closed'));
    if (connection) return Promise.resolve(connection);
    connecting ??= establish().then(
      (established) => {
        connection = established;
        connecting = undefined;
        established.socket.unref();
        return established;
      },
      (error: unknown) => {
        connecting = undefined;
        throw error;
      },
    );
    return connecting;
  }

  /** The router went away under us: start another and let the owner register again. */
  function scheduleRestart(): void {
    if (restarting) return;
    restarting = true;
    const timer = setTimeout(() => {
      void connected()
        .then(() => options.onRouterStarted?.())
        .catch(() => undefined)
        .finally(() => {
          restarting = false;
        });
    }, 50);
    timer.unref();
  }

  async function request<Op extends RouterRequest['op']>(body: Omit<Extract<RouterRequest, { op: Op }>, 'id'>): Promise<RouterAnswers[Op]> {
    return send<Op>(await connected(), body);
  }

  return {
    pid: () => connection?.pid,
    adopted: () => wasAdopted,

    async clusters() {
      return (await connected()).clusters;
    },

    async cluster(ref, settings) {
      const key = routerClusterKey(ref);
      const { port } = await request<'cluster'>({ op: 'cluster', cluster: key, name: ref.cluster, port: settings.port, resolutionMs: settings.resolutionMs });
      return {
        port,
        url: `http://127.0.0.1:${port}`,
        route: async (groups) => {
          await request<'route'>({ op: 'route', cluster: key, groups });
        },
        drain: (serverGroup, timeoutMs) => request<'drain'>({ op: 'drain', cluster: key, serverGroup, timeoutMs }),
        drainInstances: (instanceIds, timeoutMs) => request<'drainInstances'>({ op: 'drainInstances', cluster: key, instanceIds, timeoutMs }),
        inFlight: () => request<'inFlight'>({ op: 'inFlight', cluster: key }),
        metrics: (since) => request<'metrics'>({ op: 'metrics', cluster: key, ...(since !== undefined ? { since } : {}) }),
      };
    },

    async close() {
      closed = true;
      await connecting?.catch(() => undefined);
      const socket = connection?.socket;
      connection = undefined;
      socket?.destroy();
    },

    async shutdown() {
      await connecting?.catch(() => undefined);
      closed = true;
      let target = connection;
      connection = undefined;
      if (!target) {
        const record = liveRecord();
        if (!record) return;
        try {
          target = await open(record);
        } catch {
          // Not answering: stopped by signal.
          await killInstance(record.pid, 3_000);
          return;
        }
      }
      const { socket, pid } = target;
      const gone = new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
      await send<'shutdown'>(target, { op: 'shutdown' }).catch(() => undefined);
      await gone;
      // The router removes its pid file and socket as it stops; wait for the process itself to end.
      await killInstance(pid, 3_000);
    },
  };
}
