/**
 * The local load balancer outlives the process that owns the local target: a child process
 * (test/support/local-target-owner.ts, as `gennaker up` would) deploys a server group, a load
 * generator sends requests through the cluster's load balancer, the owner is killed with
 * SIGKILL mid-load, and a new owner on the same state directory adopts the running router and
 * the instances and moves traffic to a new server group. Not one request fails across the
 * restart, and once the new owner destroys everything no process of the state directory is left.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import type { InstanceProcess } from '../../adapters/targets/local/local-deploy-target.ts';
import { startLoad, type RunningLoad } from '../support/http-load.ts';
import type { OwnerCommand } from '../support/local-target-owner.ts';

const OWNER = resolve(dirname(fileURLToPath(import.meta.url)), '../support/local-target-owner.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface OwnerStatus {
  readonly routerPid?: number;
  readonly processes: readonly InstanceProcess[];
}

interface Owner {
  readonly child: ChildProcessWithoutNullStreams;
  /** The next line the owner prints, parsed. */
  next<T>(): Promise<T>;
  command<T>(command: OwnerCommand): Promise<T>;
  stderr(): string;
}

function startOwner(stateDir: string): Owner {
  const child = spawn(process.execPath, ['--import', TSX, OWNER, stateDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const exited = new Promise<string>((resolveExit) => child.once('exit', (code, signal) => resolveExit(`the owner exited (${code ?? signal}): ${errors}`)));
  const next = <T>() =>
    Promise.race([
      new Promise<T>((resolveLine) => {
        const line = lines.shift();
        if (line !== undefined) resolveLine(JSON.parse(line) as T);
        else waiting.push((text) => resolveLine(JSON.parse(text) as T));
      }),
      exited.then((why) => Promise.reject(new Error(why))),
    ]);
  return {
    child,
    next,
    command: <T>(command: OwnerCommand) => {
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return next<T>();
    },
    stderr: () => errors,
  };
}

/** Processes whose command line names the state directory: the owners, the router, the instances (run from baked copies in it). */
function processesOf(stateDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes(stateDir)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

/** Waits until the load generator has sent `count` more requests than it had. */
async function moreRequests(load: RunningLoad, count: number): Promise<void> {
  const from = load.snapshot().sent;
  await vi.waitFor(
    () => {
      if (load.snapshot().sent < from + count) throw new Error(`${load.snapshot().sent - from} of ${count} more requests sent`);
    },
    { timeout: 15_000, interval: 20 },
  );
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('restarting the owner of the local target under load', () => {
  it('keeps the load balancer answering across a SIGKILL of its owner, and the next owner adopts the router and moves traffic', async () => {
    // given an owner with a server group of two instances behind the cluster's load balancer
    const stateDir = mkdtempSync(join(tmpdir(), 'gennaker-owner-restart-'));
    const pids = new Set<number>();
    cleanups.push(() => {
      // A failed test still leaves nothing behind.
      for (const pid of pids) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(stateDir, { recursive: true, force: true });
    });
    const first = startOwner(stateDir);
    cleanups.push(() => void first.child.kill('SIGKILL'));
    await first.next();
    const v000 = await first.command<{ ok: boolean; url: string } & OwnerStatus>({ op: 'deploy', cluster: 'hello-ha', name: 'hello-ha-v000', instances: 2, version: '1.0.0' });
    expect(v000, first.stderr()).toMatchObject({ ok: true });
    const routerPid = v000.routerPid!;
    for (const pid of [routerPid, ...v000.processes.map((p) => p.pid)]) pids.add(pid);
    expect(processesOf(stateDir).some((line) => line.startsWith(`${routerPid}:`))).toBe(true);

    // when a load generator sends through the load balancer and the owner is killed with SIGKILL
    const load = startLoad({ url: `${v000.url}/`, concurrency: 4, ratePerSecond: 300 });
    cleanups.push(async () => void (await load.stop()));
    await moreRequests(load, 150);
    const killed = new Promise((resolveExit) => first.child.once('exit', resolveExit));
    first.child.kill('SIGKILL');
    await killed;
    // then the load balancer keeps answering with no owner at all
    await moreRequests(load, 150);
    expect(isAlive(routerPid)).toBe(true);

    // when a new owner starts on the same state directory
    const second = startOwner(stateDir);
    cleanups.push(() => void second.child.kill('SIGKILL'));
    const ready = await second.next<OwnerStatus>();
    // then it adopted the running router and the live instances
    expect(ready.routerPid, second.stderr()).toBe(routerPid);
    expect(ready.processes.map((p) => p.pid).sort()).toEqual(v000.processes.map((p) => p.pid).sort());

    // and it steers the adopted router: red/black to a new server group, still under load
    const v001 = await second.command<{ ok: boolean; url: string } & OwnerStatus>({ op: 'deploy', cluster: 'hello-ha', name: 'hello-ha-v001', instances: 2, version: '1.1.0', disabled: true });
    expect(v001, second.stderr()).toMatchObject({ ok: true, url: v000.url, routerPid });
    for (const p of v001.processes) pids.add(p.pid);
    expect(await second.command({ op: 'enable', serverGroup: 'hello-ha-v001' })).toEqual({ ok: true });
    expect(await second.command({ op: 'disable', serverGroup: 'hello-ha-v000' })).toEqual({ ok: true, drained: true });
    await moreRequests(load, 150);
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(report.sent);
    expect(report.byServerGroup['hello-ha-v000']).toBeGreaterThanOrEqual(300);
    expect(report.byServerGroup['hello-ha-v001']).toBeGreaterThan(0);

    // when the new owner destroys everything
    const exited = new Promise((resolveExit) => second.child.once('exit', resolveExit));
    expect(await second.command({ op: 'destroyAll' })).toEqual({ ok: true });
    await exited;
    // then no process of the state directory is left: no router, no instance, no owner
    expect([...pids].filter(isAlive)).toEqual([]);
    expect(processesOf(stateDir)).toEqual([]);
  }, 60_000);
});
