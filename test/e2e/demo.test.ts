/**
 * `gennaker demo --json` as a newcomer runs it: a real child process that deploys the sample
 * service three times on the local target while its load generator sends traffic through the
 * load balancer. Checked: the summary's shape and outcome (two deploys succeed, the broken one
 * fails and is rolled back, no request fails) and that nothing it started is left running.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
// The demo's scratch directory goes under a temporary directory of this test's own, so the leak
// check below finds this demo's processes only, not those of another demo running beside it.
const ownTmp = mkdtempSync(join(tmpdir(), 'gennaker-demo-test-'));

afterAll(() => {
  rmSync(ownTmp, { recursive: true, force: true });
});

interface Summary {
  ok: boolean;
  deploys: Array<{ version: string; strategy: string; status: string; reason: string | null; requests: number; failedRequests: number; secondsToHealthy: number | null }>;
  cluster: { name: string; serverGroups: Array<{ name: string; version: string; disabled: boolean; trafficWeight: number; instances: Array<{ health: string }> }> };
}

function demo(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [bin, 'demo', '--json'], { cwd: root, env: { ...process.env, NO_COLOR: '1', TMPDIR: ownTmp }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Processes whose command line runs a baked copy of the sample service from this demo's scratch directory. */
async function demoProcesses(): Promise<string[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(`${ownTmp}/gennaker-demo-`)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

describe('gennaker demo --json', () => {
  it('deploys with red/black under load, rolls back a broken release, loses no request, and cleans up', async () => {
    const { code, stdout, stderr } = await demo();
    expect(stderr).toBe('');
    const summary = JSON.parse(stdout) as Summary;
    expect(summary.deploys.map(({ version, strategy, status }) => ({ version, strategy, status }))).toEqual([
      { version: '1.0.0', strategy: 'redblack', status: 'SUCCEEDED' },
      { version: '1.1.0', strategy: 'redblack', status: 'SUCCEEDED' },
      { version: '1.2.0', strategy: 'redblack', status: 'TERMINAL' },
    ]);
    const [, redBlack, broken] = summary.deploys;
    expect(redBlack!.requests).toBeGreaterThan(0);
    expect(broken!.requests).toBeGreaterThan(0);
    expect(summary.deploys.map((deploy) => deploy.failedRequests)).toEqual([0, 0, 0]);
    expect(redBlack!.secondsToHealthy).toBeGreaterThan(0);
    expect(broken!.secondsToHealthy).toBeNull();
    // the broken release says why it failed; the others have nothing to explain
    expect(broken!.reason).toMatch(/hello-demo-v002 .*did not become healthy/);
    expect(summary.deploys.slice(0, 2).map((deploy) => deploy.reason)).toEqual([null, null]);
    // v002 was destroyed by the rollback; v001 serves everything, v000 waits disabled.
    expect(summary.cluster.serverGroups.map(({ name, version, disabled, trafficWeight }) => ({ name, version, disabled, trafficWeight }))).toEqual([
      { name: 'hello-demo-v000', version: '1.0.0', disabled: true, trafficWeight: 0 },
      { name: 'hello-demo-v001', version: '1.1.0', disabled: false, trafficWeight: 100 },
    ]);
    expect(summary.ok).toBe(true);
    expect(code).toBe(0);
    expect(await demoProcesses()).toEqual([]);
  }, 130_000);
});
