/**
 * Instances as real child processes. Each runs in its own process group (`detached`), so the
 * target can kill the whole tree with a negative pid, and so the processes outlive the target:
 * a restarted `gennaker up` adopts them by pid (DESIGN.md §9). Output goes to a log file per
 * instance under the state directory.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

export interface SpawnRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

export interface SpawnedProcess {
  readonly pid: number;
  /** Resolves when the process exits (only for processes this target spawned). */
  readonly exited: Promise<void>;
}

/** A free TCP port on 127.0.0.1, found by binding port 0 and letting it go. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function spawnInstance(request: SpawnRequest): SpawnedProcess {
  mkdirSync(dirname(request.logFile), { recursive: true });
  const log = openSync(request.logFile, 'a');
  try {
    const child = spawn(request.command, [...request.args], {
      cwd: request.cwd,
      env: { ...request.env },
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) throw new Error(`could not start ${request.command} in ${request.cwd}`);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    // The target must not keep the event loop alive, nor die with its children.
    child.unref();
    return { pid: child.pid, exited };
  } finally {
    closeSync(log);
  }
}

/**
 * Whether the pid is a live process. A zombie (exited, not yet reaped — possible when PID 1
 * in a container does not reap orphans) counts as dead.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): kill(0) is all we have
  }
}

/**
 * When the process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), when the
 * platform tells (Linux). Recorded beside a pid, it tells our process from a later one that
 * reused the pid.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a recorded process still runs: the pid is alive and, where the platform tells, started
 * when it was recorded (not a later process that reused the pid).
 */
export function isSameProcess(pid: number, startTime: number | undefined): boolean {
  if (!isAlive(pid)) return false;
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

/**
 * Instance processes of a server group, found by what they are rather than by a recorded pid:
 * running in `directory` with `SERVER_GROUP=<serverGroup>` in their environment. Finds the
 * instances a target launched and died before recording (Linux: /proc; elsewhere none).
 */
export function instanceProcessesOf(directory: string, serverGroup: string): Array<{ readonly pid: number; readonly instanceId: string | undefined; readonly port: number | undefined }> {
  const found: Array<{ pid: number; instanceId: string | undefined; port: number | undefined }> = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of pids) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (workingDirectoryOf(pid) !== directory) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!environ.includes(`SERVER_GROUP=${serverGroup}`)) continue;
    const instanceId = environ.find((variable) => variable.startsWith('INSTANCE_ID='))?.slice('INSTANCE_ID='.length);
    const port = Number(environ.find((variable) => variable.startsWith('PORT='))?.slice('PORT='.length));
    found.push({ pid, instanceId, port: Number.isInteger(port) && port > 0 ? port : undefined });
  }
  return found;
}

/** The working directory of a pid, when the platform tells (Linux): tells a reused pid from ours. */
export function workingDirectoryOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops an instance's process group: SIGTERM (the service finishes what is in flight), then
 * SIGKILL after `graceMs`. Resolves once the pid is gone.
 */
export async function killInstance(pid: number, graceMs = 3_000): Promise<void> {
  if (!isAlive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(20);
  if (isAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    const killDeadline = Date.now() + 2_000;
    while (isAlive(pid) && Date.now() < killDeadline) await sleep(20);
  }
  // Children of the group that ignored SIGTERM go too (the group only: the pid may be reused).
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is empty
  }
}
