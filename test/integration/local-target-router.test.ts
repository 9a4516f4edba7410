/**
 * The router process that holds the local load balancers (adapters/targets/local/router.ts),
 * through its client: one per state directory, adopted by a second client, its control socket
 * and pid file private (0600), a socket someone else could write not trusted, and it stops on
 * SIGTERM, on `shutdown`, and once its state directory is gone. Routing through it is covered
 * by local-target-lb.test.ts and local-target-restart.test.ts.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import { createRouterClient, type RouterClient } from '../../adapters/targets/local/router-client.ts';

const cluster = { account: 'local', location: 'local', cluster: 'hello-router' };
const settings = { port: 0, resolutionMs: 1_000 };

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh state directory whose router (if any) is killed and the directory removed after the test. */
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-router-'));
  cleanups.push(() => {
    try {
      const { pid } = JSON.parse(readFileSync(join(dir, 'router.pid'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGKILL');
    } catch {
      // no router left
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function client(dir: string): RouterClient {
  const opened = createRouterClient({ stateDir: dir });
  cleanups.push(() => opened.close());
  return opened;
}

describe('the router of a state directory', () => {
  it('starts once, privately, and a second client adopts it with its load balancers', async () => {
    // given a client that registers a cluster
    const dir = stateDir();
    const first = client(dir);
    const lb = await first.cluster(cluster, settings);
    const pid = first.pid()!;
    // then a router runs, started by this client, listening on a 0600 socket with a 0600 pid file
    expect(isAlive(pid)).toBe(true);
    expect(first.adopted()).toBe(false);
    expect(statSync(join(dir, 'router.sock')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'router.pid')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'router.pid'), 'utf8'))).toMatchObject({ pid, socket: join(dir, 'router.sock') });
    // when a second client opens the same directory
    const second = client(dir);
    // then it adopts the same router, which already holds the cluster on its port
    expect(await second.clusters()).toEqual(new Map([['local/local/hello-router', lb.port]]));
    expect(second.pid()).toBe(pid);
    expect(second.adopted()).toBe(true);
    expect((await second.cluster(cluster, settings)).port).toBe(lb.port);
    // and it answers 503 while no server group may take traffic
    expect((await fetch(`${lb.url}/`)).status).toBe(503);
  });

  it('runs from a relative state directory, and from one too deep for a socket path', async () => {
    for (const dir of [relative(process.cwd(), stateDir()), join(stateDir(), 'a'.repeat(60), 'b'.repeat(60))]) {
      // when
      const opened = client(dir);
      const lb = await opened.cluster(cluster, settings);
      // then it serves, its control socket private wherever it had to live
      expect((await fetch(`${lb.url}/`)).status, dir).toBe(503);
      const { socket } = JSON.parse(readFileSync(join(dir, 'router.pid'), 'utf8')) as { socket: string };
      expect(Buffer.byteLength(socket)).toBeLessThanOrEqual(100);
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      await opened.shutdown();
    }
  });

  it('does not trust a control socket others may write', async () => {
    // given a running router whose socket was opened to everyone
    const dir = stateDir();
    await client(dir).cluster(cluster, settings);
    chmodSync(join(dir, 'router.sock'), 0o666);
    // when another client tries to use it
    const other = createRouterClient({ stateDir: dir, startTimeoutMs: 10_000 });
    cleanups.push(() => other.close());
    // then it refuses, saying why
    await expect(other.cluster(cluster, settings)).rejects.toThrow('is not a 0600 socket of this user');
  });

  it('stops on shutdown, on SIGTERM, and once its state directory is gone, removing its pid file and socket', async () => {
    for (const stop of ['shutdown', 'SIGTERM', 'state removed'] as const) {
      // given a running router
      const dir = stateDir();
      const opened = client(dir);
      await opened.cluster(cluster, settings);
      const pid = opened.pid()!;
      // when
      if (stop === 'shutdown') await opened.shutdown();
      else if (stop === 'SIGTERM') process.kill(pid, 'SIGTERM');
      else rmSync(dir, { recursive: true, force: true });
      // then
      await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);
      expect(() => statSync(join(dir, 'router.pid')), stop).toThrow();
      expect(() => statSync(join(dir, 'router.sock')), stop).toThrow();
    }
  });
});
