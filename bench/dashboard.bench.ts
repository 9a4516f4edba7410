/**
 * The dashboard's figures, in Debian's Chromium driven by playwright-core, against a local server
 * holding an application of 100 pipelines and 1,000 executions beside a 27-stage execution: the
 * first load (the page, its script and styles, gzipped); how long each page takes from
 * navigation to drawn (applications, that application's pipelines with their last runs as bars,
 * the 27-stage execution); and beside each of the last two, the time the same browser takes to
 * fetch the JSON that page asks for (the page's own cost is the difference, or the ratio).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { startLocalServer } from '../local/server.ts';
import { launchChromium, newPage, waitUntil } from '../test/support/chromium.ts';
import { seedFleetExecutions, seedFleetPipelines } from '../test/support/dashboard-fleet.ts';
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

/** Milliseconds from loading the page at `route` to its `mark` (set by the page once drawn), one round. */
async function pageReady(page: Page, url: string, route: string, mark: string, drawn: string): Promise<number> {
  // Away first, so the load is a new document (the tab keeps its session storage, the token).
  await page.goto('about:blank');
  await page.goto(`${url}/#${route}`);
  await waitUntil(page, `performance.getEntriesByName(${JSON.stringify(mark)}).length === 1 && (${drawn})`, `${route} drawn`);
  return page.evaluate<number>(`performance.getEntriesByName(${JSON.stringify(mark)})[0].startTime`);
}

/** Milliseconds the page takes to fetch and parse `paths` at once, with its token, as its script does. */
function fetchJson(page: Page, paths: readonly string[]): Promise<number> {
  return page.evaluate<number>(`(async () => {
    const headers = { authorization: 'Bearer ' + sessionStorage.getItem('gennaker.token') };
    const started = performance.now();
    await Promise.all(${JSON.stringify(paths)}.map(async (path) => (await fetch(path, { headers, cache: 'no-store' })).json()));
    return performance.now() - started;
  })()`);
}

export async function run(): Promise<BenchResults> {
  const firstLoad = ['index.html', 'app.js', 'app.css'].reduce((total, name) => total + gzipSync(readFileSync(join(DIST_DIR, name)), { level: 9 }).length, 0);
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-bench-dashboard-'));
  const launching = launchChromium();
  const fleet = await seedFleetExecutions(dir, { application: 'fleet', pipelines: 100, executionsPerPipeline: 10, now: Date.now() });
  const server = await startLocalServer({ dir, port: 0, localTarget: false, cronTickMs: 60_000 });
  const browser = await launching;
  try {
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    await seedFleetPipelines(server.runtime.store, fleet);
    const call = async (method: string, path: string, body?: unknown) => (await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })).json() as Promise<Record<string, unknown>>;
    await call('POST', '/pipelines', wideDeepPipeline());
    const id = String((await call('POST', '/pipelines/bench/Wide', {}))['ref']).replace('/pipelines/', '');
    await server.runtime.idle();
    const status = (await call('GET', `/pipelines/${id}`))['status'];
    if (status !== 'SUCCEEDED') throw new Error(`the 27-stage execution ended ${String(status)}`);
    const page = await newPage(browser);
    await page.goto(server.url);
    await page.evaluate(`sessionStorage.setItem('gennaker.token', ${JSON.stringify(token)})`);
    const pipelinesJson = ['/applications/fleet/pipelineConfigs', '/applications/fleet/executionSummaries?limit=12', '/applications/fleet/permissions'];
    const times = { applications: [] as number[], pipelines: [] as number[], pipelinesJson: [] as number[], execution: [] as number[], executionJson: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      times.applications.push(await pageReady(page, server.url, '/', 'applications-drawn', `document.querySelector('#applications a[href="#/applications/fleet"]')`));
      times.pipelines.push(await pageReady(page, server.url, '/applications/fleet', 'pipelines-drawn', `document.querySelectorAll('#pipelines [data-pipeline]').length === ${fleet.pipelines.length}`));
      times.pipelinesJson.push(await fetchJson(page, pipelinesJson));
      times.execution.push(await pageReady(page, server.url, `/applications/bench/executions/${id}`, 'execution-drawn', `document.querySelectorAll('.node').length === 27`));
      times.executionJson.push(await fetchJson(page, [`/pipelines/${id}`]));
    }
    const pipelinesMs = median(times.pipelines);
    const pipelinesJsonMs = median(times.pipelinesJson);
    return {
      dashboard_first_load_kb_gz: { value: Math.round((firstLoad / 1024) * 10) / 10, unit: 'KB', target: '< 200' },
      dashboard_applications_page_ms: { value: Math.round(median(times.applications)), unit: 'ms' },
      dashboard_pipelines_page_ms: { value: Math.round(pipelinesMs), unit: 'ms (100 pipelines, 1,000 executions)' },
      dashboard_pipelines_json_ms: { value: Math.round(pipelinesJsonMs * 10) / 10, unit: 'ms' },
      dashboard_pipelines_page_ratio: { value: Math.round((pipelinesMs / pipelinesJsonMs) * 100) / 100, unit: 'x its JSON' },
      dashboard_execution_page_ms: { value: Math.round(median(times.execution)), unit: 'ms' },
      dashboard_execution_json_ms: { value: Math.round(median(times.executionJson) * 10) / 10, unit: 'ms' },
    };
  } finally {
    await browser.close();
    await server.runtime.idle();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
