/**
 * The canary analysis issue's "Not done until", end to end: the real `gennaker demo --canary
 * --json` child process (seed 1) catches and rolls back the bad canary (5% errors) and promotes
 * the good one, through every real part: the control plane, the compiled pipeline, the local
 * target's instances and load balancer under the load generator's traffic, the local metric
 * source and the judge. That the same holds for each of seeds 1-5 (and with fewer requests
 * than the demo sends) is replayed from the demo's own traffic and the service's own seeded
 * errors in test/unit/canary/demo-judgements.test.ts, which reads the server groups this run
 * shows (the promoted canary is v002) the same way.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface DemoJson {
  ok: boolean;
  seed: number;
  deploys: Array<{ version: string; status: string; outcome: string; canaryScores: number[]; score: number | null }>;
  cluster: { name: string; serverGroups: Array<{ name: string; version: string; disabled: boolean; trafficWeight: number }> };
  problems?: string[];
}

async function childProcess(seed: number): Promise<DemoJson> {
  // A demo that finds a problem exits 1 with its summary on stdout: read it either way.
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/gennaker.js'), 'demo', '--canary', '--json', '--seed', String(seed)], { cwd: ROOT, timeout: 120_000 }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) => {
      if (error.stdout?.trimStart().startsWith('{')) return { stdout: error.stdout };
      throw new Error(`${error.message}\n${error.stderr ?? ''}`);
    },
  );
  return JSON.parse(stdout) as DemoJson;
}

describe('gennaker demo --canary', () => {
  it('promotes the good release and rolls back the bad one, as a real child process', async () => {
    // when
    const run = await childProcess(1);

    // then
    const [good, bad] = run.deploys;
    expect({ seed: run.seed, problems: run.problems ?? [] }).toEqual({ seed: 1, problems: [] });
    expect(good).toMatchObject({ version: '1.1.0', status: 'SUCCEEDED', outcome: 'promoted' });
    expect(good!.score).toBeGreaterThanOrEqual(70);
    expect(bad).toMatchObject({ version: '1.2.0', status: 'TERMINAL', outcome: 'rolledBack' });
    expect(bad!.score).toBeLessThan(70);
    // Production 1.0.0 kept disabled, the promoted canary serving; the bad canary and both baselines gone.
    expect(run.cluster.serverGroups.map(({ name, version, disabled }) => ({ name, version, disabled })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'hello-demo-v000', version: '1.0.0', disabled: true },
      { name: 'hello-demo-v002', version: '1.1.0', disabled: false },
    ]);
    expect(run.ok).toBe(true);
  });
});
