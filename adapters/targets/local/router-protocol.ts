/**
 * The control channel between the local deploy target and its router process (router.ts): one
 * JSON document per line over a unix socket in the state directory. The target sends requests
 * with an id and gets one reply per id, in any order (a drain may answer long after a route);
 * the router also sends events, without an id, to every connected target.
 *
 * Who may connect is decided by the file system: the socket is 0600 in the target's state
 * directory, so only the user who owns the state may steer traffic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { RoutingGroup } from './load-balancer.ts';
import type { ServerGroupMetrics } from './metrics.ts';

/** Bumped when a message changes shape; a target never adopts a router speaking another version. */
export const ROUTER_PROTOCOL = 1;

/** The router's pid file in the state directory: who runs, since when, where it listens. */
export const ROUTER_PID_FILE = 'router.pid';

/** The router's record in its pid file. */
export interface RouterRecord {
  readonly pid: number;
  /** Clock ticks since boot (processes.ts `processStartTime`), when the platform tells. */
  readonly startTime?: number;
  readonly socket: string;
  readonly protocol: number;
}

/** Reads the pid file of a state directory; undefined when absent or unreadable. */
export function readRouterRecord(stateDir: string): RouterRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(join(stateDir, ROUTER_PID_FILE), 'utf8')) as Partial<RouterRecord>;
    if (typeof record.pid !== 'number' || typeof record.socket !== 'string' || typeof record.protocol !== 'number') return undefined;
    return record as RouterRecord;
  } catch {
    return undefined;
  }
}

/** A cluster the router balances, as `hello` lists it. */
export interface RouterCluster {
  readonly cluster: string;
  readonly port: number;
}

export type RouterRequest =
  | { readonly id: number; readonly op: 'hello' }
  | { readonly id: number; readonly op: 'cluster'; readonly cluster: string; readonly name: string; readonly port: number; readonly resolutionMs: number }
  | { readonly id: number; readonly op: 'route'; readonly cluster: string; readonly groups: readonly RoutingGroup[] }
  | { readonly id: number; readonly op: 'drain'; readonly cluster: string; readonly serverGroup: string; readonly timeoutMs: number }
  | { readonly id: number; readonly op: 'drainInstances'; readonly cluster: string; readonly instanceIds: readonly string[]; readonly timeoutMs: number }
  | { readonly id: number; readonly op: 'inFlight'; readonly cluster: string }
  | { readonly id: number; readonly op: 'metrics'; readonly cluster: string; readonly since?: number }
  | { readonly id: number; readonly op: 'shutdown' };

/** What each operation answers. */
export interface RouterAnswers {
  readonly hello: { readonly pid: number; readonly protocol: number; readonly clusters: readonly RouterCluster[] };
  readonly cluster: { readonly port: number };
  readonly route: null;
  readonly drain: boolean;
  readonly drainInstances: boolean;
  /** Requests in flight per server group, and per instance under `instance:<id>`. */
  readonly inFlight: Readonly<Record<string, number>>;
  readonly metrics: readonly ServerGroupMetrics[];
  readonly shutdown: null;
}

export type RouterReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** An instance refused a connection: the target may mark it Down before its next health check. */
export interface RouterEvent {
  readonly event: 'refused';
  readonly cluster: string;
  readonly serverGroup: string;
  readonly instanceId: string;
}

/** The longest unix socket path every platform accepts (sun_path is 104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH = 100;

/**
 * Where the router of a state directory listens: `router.sock` in it, or, when that path is too
 * long for a unix socket, a name derived from it in the temporary directory (still 0600).
 */
export function routerSocketPath(stateDir: string): string {
  const inState = join(stateDir, 'router.sock');
  if (Buffer.byteLength(inState) <= MAX_SOCKET_PATH) return inState;
  const digest = createHash('sha256').update(stateDir).digest('hex').slice(0, 24);
  return join(tmpdir(), `gennaker-router-${digest}.sock`);
}

/** Splits a byte stream into lines and parses each as JSON; a line that is not JSON is reported, not thrown. */
export function createLineReader(onMessage: (message: unknown) => void, onBadLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() !== '') {
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          onBadLine(line.slice(0, 200));
          newline = pending.indexOf('\n');
          continue;
        }
        onMessage(message);
      }
      newline = pending.indexOf('\n');
    }
  };
}
