/**
 * The dashboard's figures: its first load (the page, its script and styles, gzipped), and how
 * long Chromium takes from navigation to showing a 27-stage execution, beside the time the same
 * browser takes to fetch that execution's JSON alone (the page's own cost is the difference).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startLocalServer } from '../local/server.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { DIST_DIR } from '../web/build.ts';
import type { BenchResults } from './run.ts';

const ROUNDS = 5;

/** 27 stages: a root, 5 fan-outs of 5 stages each, and a join. */
function wideDeepPipeline(): Record<string, unknown> {
  const stages: Record<string, unknown>[] = [{ refId: '1', requisiteStageRefIds: [], type: 'evaluateVariables', name: 'Start', variables: [{ key: 'a', value: '1' }] }];
  let previous = ['1'];
  for (let wave = 0; wave < 5; wave++) {
    const wave_ = Array.from({ length: 5 }, (_, index) => `${2 + wave * 5 + index}`);
    for (const refId of wave_) stages.push({ refId, requisiteStageRefIds: previous, type: 'evaluateVariables', name: `Step ${refId}`, variables: [{ key: `v${refId}`, value: refId }] });
    previous = wave_;
  }
  stages.push({ refId: '27', requisiteStageRefIds: previous, type: 'evaluateVariables', name: 'Join', variables: [{ key: 'done', value: 'yes' }] });
  return { application: 'bench', name: 'Wide', stages };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function run(): Promise<BenchResults> {
  const firstLoad = ['index.html', 'app.js', 'app.css'].reduce((total, name) => total + gzipSync(readFileSync(join(DIST_DIR, name)), { level: 9 }).length, 0);
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-bench-dashboard-'));
  const server = await startLocalServer({ dir, port: 0, localTarget: false, cronTickMs: 60_000 });
  const browser = await launchChromium();
  try {
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    const call = async (method: string, path: string, body?: unknown) => (await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })).json() as Promise<Record<string, unknown>>;
    await call('POST', '/pipelines', wideDeepPipeline());
    const id = String((await call('POST', '/pipelines/bench/Wide', {}))['ref']).replace('/pipelines/', '');
    await server.runtime.idle();
    const status = (await call('GET', `/pipelines/${id}`))['status'];
    if (status !== 'SUCCEEDED') throw new Error(`the 27-stage execution ended ${String(status)}`);
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.evaluate(`sessionStorage.setItem('gennaker.token', ${JSON.stringify(token)}); location.hash = '#/applications/bench/executions/${id}'`);
    const ready: number[] = [];
    const json: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await page.reload();
      await page.waitFor(`document.querySelectorAll('.node').length === 27 && performance.getEntriesByName('execution-drawn').length === 1`, 'the execution drawn');
      ready.push(await page.evaluate<number>(`performance.getEntriesByName('execution-drawn')[0].startTime`));
      json.push(await page.evaluate<number>(`(async () => { const started = performance.now(); const answer = await fetch('/pipelines/${id}', { headers: { authorization: 'Bearer ' + sessionStorage.getItem('gennaker.token') } }); await answer.json(); return performance.now() - started; })()`));
    }
    const pageMs = median(ready);
    const jsonMs = median(json);
    return {
      dashboard_first_load_kb_gz: { value: Math.round((firstLoad / 1024) * 10) / 10, unit: 'KB', target: '< 200' },
      dashboard_execution_page_ms: { value: Math.round(pageMs), unit: 'ms' },
      dashboard_execution_json_ms: { value: Math.round(jsonMs * 10) / 10, unit: 'ms' },
    };
  } finally {
    await browser.close();
    await server.runtime.idle();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
