/**
 * The canary analysis issue's "Not done until": over 5 seeds, the demo's bad canary (5% errors)
 * is caught and rolled back every time, and the good one is promoted every time. One run is the
 * real `gennaker demo --canary --json --seed N` child process; the others run the same code
 * in-process. They run one after another: five demos at once on two cores (each with its load
 * generator and instances, beside the rest of the suite) would judge the machine, not the canary.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCanaryDemo } from '../../cli/commands/demo.ts';
import type { IoHost } from '../../core/io-host.ts';
import { startLocalServer } from '../../local/server.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface DemoJson {
  ok: boolean;
  seed: number;
  deploys: Array<{ version: string; status: string; outcome: string; canaryScores: number[]; score: number | null }>;
  problems?: string[];
}

async function inProcess(seed: number): Promise<DemoJson> {
  const out: string[] = [];
  const io: IoHost = { emit: (message) => void (message.kind === 'data' ? out.push(message.text) : message.kind === 'error' ? out.push(JSON.stringify({ error: message.message })) : undefined) };
  await runCanaryDemo({ json: true, seed }, io, { startServer: startLocalServer });
  return JSON.parse(out.find((text) => text.trimStart().startsWith('{\n')) ?? out.join('\n')) as DemoJson;
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
  it('promotes the good release and rolls back the bad one, for each of 5 seeds', async () => {
    // when
    const runs: DemoJson[] = [await childProcess(1)];
    for (const seed of [2, 3, 4, 5]) runs.push(await inProcess(seed));

    // then
    for (const run of runs) {
      const [good, bad] = run.deploys;
      expect({ seed: run.seed, problems: run.problems ?? [] }).toEqual({ seed: run.seed, problems: [] });
      expect(good).toMatchObject({ version: '1.1.0', status: 'SUCCEEDED', outcome: 'promoted' });
      expect(good!.score).toBeGreaterThanOrEqual(70);
      expect(bad).toMatchObject({ version: '1.2.0', status: 'TERMINAL', outcome: 'rolledBack' });
      expect(bad!.score).toBeLessThan(70);
      expect(run.ok).toBe(true);
    }
    expect(runs.map((run) => run.seed)).toEqual([1, 2, 3, 4, 5]);
  }, 360_000);
});
