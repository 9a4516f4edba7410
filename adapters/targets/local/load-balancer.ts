/**
 * The local load balancer: a real HTTP reverse proxy on 127.0.0.1, one per cluster. It routes
 * each request by smooth weighted round-robin across the server groups the routing table
 * offers (enabled, with Up instances), then round-robin across that group's instances.
 *
 * Decisions:
 * - Bodies stream both ways (pipe, no buffering), so a slow chunked answer arrives in chunks.
 * - A request is retried on another instance only when the connection was refused before any
 *   byte of it was sent: the request body is not read until the upstream socket is connected,
 *   so a retry is always safe, idempotent or not. A request without a body (GET, HEAD, OPTIONS)
 *   that was sent on a reused keep-alive connection the instance had just closed (ECONNRESET
 *   before any answer) is sent again once on a new connection: the instance never saw it.
 *   Every other failure is the client's 502.
 * - Draining is counting: every request holds its server group's and its instance's in-flight
 *   counts until the response ends, and `drain` (`drainInstances`) resolves when the count
 *   reaches 0 (or the timeout passes). Disabling is done by the routing table, which stops
 *   offering the group (or, for a partial disable, those instances).
 * - Metrics are recorded per server group when a response ends (see metrics.ts).
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createMetricsRecorder, type MetricsRecorder } from './metrics.ts';
import { createWeightedPicker } from './weighted-round-robin.ts';

export interface Backend {
  readonly instanceId: string;
  readonly host: string;
  readonly port: number;
}

export interface RoutingGroup {
  readonly serverGroup: string;
  /** Relative weight; 0 takes no new request. */
  readonly weight: number;
  /** Instances that may take requests (Up). */
  readonly backends: readonly Backend[];
}

export interface LoadBalancerOptions {
  /** Shown in error answers. */
  readonly name: string;
  /** @default 0: any free port */
  readonly port?: number;
  /** Read on every request: who may take traffic now. */
  readonly routing: () => readonly RoutingGroup[];
  /** Told when an instance refused a connection, so the caller can mark it Down early. */
  readonly onRefused?: (serverGroup: string, backend: Backend) => void;
  /** Attempts per request when connections are refused. @default 3 */
  readonly maxAttempts?: number;
  readonly now?: () => number;
  readonly metrics?: MetricsRecorder;
}

export interface LoadBalancer {
  readonly port: number;
  readonly url: string;
  readonly metrics: MetricsRecorder;
  /** Requests in flight to a server group. */
  inFlight(serverGroup: string): number;
  /** Every non-zero in-flight count: per server group, and per instance under `instance:<id>`. */
  inFlightCounts(): Readonly<Record<string, number>>;
  /** Resolves true when the server group has no request in flight, false after `timeoutMs`. */
  drain(serverGroup: string, timeoutMs: number): Promise<boolean>;
  /**
   * Resolves true when none of these instances has a request in flight, false after `timeoutMs`
   * (a partial disable: the routing table stopped offering them, their group still takes traffic).
   */
  drainInstances(instanceIds: readonly string[], timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Methods whose requests carry no body, so a request lost on a closing connection can be sent again. */
const SAFE_TO_RESEND = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Headers that describe one hop, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const connectionTokens = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function sendError(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-gennaker-lb': 'error' });
  res.end(text);
}

export async function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 3;
  const metrics = options.metrics ?? createMetricsRecorder();
  const picker = createWeightedPicker();
  const rotation = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const drainWaiters = new Map<string, Set<() => void>>();
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const sockets = new Set<Socket>();

  // In-flight counts are kept per server group and per instance (`instance:<id>`), one map.
  const instanceKey = (instanceId: string) => `instance:${instanceId}`;
  const increment = (key: string) => inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
  const decrement = (key: string) => {
    const left = (inFlight.get(key) ?? 1) - 1;
    if (left > 0) {
      inFlight.set(key, left);
      return;
    }
    inFlight.delete(key);
    const waiters = drainWaiters.get(key);
    drainWaiters.delete(key);
    waiters?.forEach((wake) => wake());
  };
  const acquire = (serverGroup: string, instanceId: string) => {
    increment(serverGroup);
    increment(instanceKey(instanceId));
  };
  const release = (serverGroup: string, instanceId: string) => {
    decrement(serverGroup);
    decrement(instanceKey(instanceId));
  };

  /** Resolves true when nothing is in flight under `key`, false after `timeoutMs`. */
  function drainKey(key: string, timeoutMs: number): Promise<boolean> {
    if ((inFlight.get(key) ?? 0) === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let waiters = drainWaiters.get(key);
      if (!waiters) {
        waiters = new Set();
        drainWaiters.set(key, waiters);
      }
      const mine = waiters;
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        mine.delete(wake);
        resolve(false);
      }, timeoutMs);
      mine.add(wake);
    });
  }

  /** The next backend, skipping instances that already refused this request. */
  function choose(refused: ReadonlySet<string>): { serverGroup: string; backend: Backend } | undefined {
    const groups = options
      .routing()
      .map((group) => ({ ...group, backends: group.backends.filter((backend) => !refused.has(backend.instanceId)) }))
      .filter((group) => group.backends.length > 0 && group.weight > 0);
    const key = picker.pick(groups.map((group) => ({ key: group.serverGroup, weight: group.weight })));
    const group = groups.find((candidate) => candidate.serverGroup === key);
    if (!group) return undefined;
    const turn = rotation.get(group.serverGroup) ?? 0;
    rotation.set(group.serverGroup, turn + 1);
    return { serverGroup: group.serverGroup, backend: group.backends[turn % group.backends.length]! };
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = now();
    const refused = new Set<string>();
    const headers = forwardable(req.headers);
    const peer = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${peer}` : peer;
    headers['x-forwarded-proto'] = 'http';

    let resendsLeft = SAFE_TO_RESEND.has(req.method ?? '') ? 1 : 0;
    const attempt = (fresh = false): void => {
      const choice = choose(refused);
      if (!choice) {
        if (refused.size > 0) {
          sendError(res, 502, { error: `every instance of ${options.name} refused the connection`, cluster: options.name });
        } else {
          sendError(res, 503, { error: `no instance of ${options.name} is Up and enabled; nothing can take this request`, cluster: options.name });
        }
        return;
      }
      const { serverGroup, backend } = choice;
      acquire(serverGroup, backend.instanceId);
      let done = false;
      const finish = (error: boolean, record = true) => {
        if (done) return;
        done = true;
        release(serverGroup, backend.instanceId);
        if (record) metrics.record(serverGroup, { latencyMs: now() - startedAt, error, at: now() });
      };
      let bodySent = false;
      const upstream = httpRequest({ host: backend.host, port: backend.port, method: req.method, path: req.url, headers, agent: fresh ? false : agent });
      const sendBody = () => {
        bodySent = true;
        // A resent request's body (none) has already ended: piping it again would never end the new one.
        if (req.readableEnded) upstream.end();
        else req.pipe(upstream);
      };
      upstream.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', sendBody);
        else sendBody();
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        if (upstream.reusedSocket && error.code === 'ECONNRESET' && resendsLeft > 0 && !res.headersSent) {
          // The instance closed an idle keep-alive connection as this request went out on it.
          resendsLeft -= 1;
          finish(false, false);
          attempt(true);
          return;
        }
        if (!bodySent && error.code === 'ECONNREFUSED' && !res.headersSent) {
          finish(true);
          refused.add(backend.instanceId);
          options.onRefused?.(serverGroup, backend);
          if (refused.size < maxAttempts) {
            attempt();
            return;
          }
        }
        finish(true);
        sendError(res, 502, { error: `${serverGroup} (${backend.instanceId}) failed: ${error.code ?? error.message}`, cluster: options.name });
      });
      upstream.on('response', (answer) => {
        const status = answer.statusCode ?? 502;
        const out = forwardable(answer.headers);
        out['x-gennaker-server-group'] = serverGroup;
        out['x-gennaker-instance'] = backend.instanceId;
        res.writeHead(status, answer.statusMessage, out);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        res.on('close', () => {
          if (!res.writableFinished) upstream.destroy();
          finish(status >= 500 || !res.writableFinished);
        });
      });
      // The client went away before an answer: stop the upstream request too.
      res.on('close', () => {
        if (!res.headersSent && !done) {
          upstream.destroy();
          finish(true);
        }
      });
    };
    attempt();
  }

  const server = createServer({ keepAliveTimeout: 5_000 }, handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    metrics,
    inFlight: (serverGroup) => inFlight.get(serverGroup) ?? 0,
    inFlightCounts: () => Object.fromEntries(inFlight),
    drain: (serverGroup, timeoutMs) => drainKey(serverGroup, timeoutMs),
    async drainInstances(instanceIds, timeoutMs) {
      const drained = await Promise.all(instanceIds.map((instanceId) => drainKey(instanceKey(instanceId), timeoutMs)));
      return drained.every(Boolean);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
}
