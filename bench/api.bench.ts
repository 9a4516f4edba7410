/**
 * API benchmarks: how long a webhook takes to become a RUNNING execution, how fast
 * `GET /pipelines/{id}` answers under a steady 100 requests/s over real HTTP, and how much
 * memory an idle `gennaker up` holds, and how much more with `--sandbox` (both simulated clouds
 * seeded). Run by bench/run.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBearerAuthenticator } from '../adapters/crypto/bearer-authenticator.ts';
import { createApiApp } from '../functions/api/app.ts';
import { startLocalServer } from '../local/server.ts';
import { createLocalRuntime } from '../local/wiring.ts';
import { CONFORMANCE_CORPUS } from '../test/support/conformance.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const TOKEN = 'bench-token-0123456789abcdef';

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const waitingPipeline = (name: string, triggers: unknown[] = []) => ({
  application: 'bench',
  name,
  triggers,
  stages: [{ refId: '1', requisiteStageRefIds: [], type: 'manualJudgment', name: 'Hold' }],
});

/**
 * POST /webhooks/webhook/{source} → the execution RUNNING in the store (in-process app, dynalite
 * in memory), with `others` more saved pipelines in 100 applications, each with a webhook trigger
 * of its own source: the trigger index keeps a delivery from reading them.
 */
async function triggerToRunning(others = 0): Promise<number> {
  const runtime = await createLocalRuntime();
  try {
    const app = createApiApp({ service: runtime.service, store: runtime.store, clock: { now: () => Date.now() }, auth: createBearerAuthenticator({ token: TOKEN }) });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    for (let i = 0; i < others; i++) {
      const application = `bench${i % 100}`;
      if (i < 100) await runtime.store.saveApplication({ name: application, accounts: [], trafficGuards: [], permissions: {}, raw: { name: application } }, { expectRevision: 0 });
      const config = { ...waitingPipeline(`Other ${i}`, [{ type: 'webhook', source: `other-${i}` }]), application };
      const saved = await runtime.store.savePipelineConfig({ id: `other-${i}`, application, name: `Other ${i}`, config });
      if (!saved.ok) throw new Error(`could not save filler pipeline ${i}: ${JSON.stringify(saved)}`);
    }
    await app.request('/pipelines', { method: 'POST', headers, body: JSON.stringify(waitingPipeline('Hooked', [{ type: 'webhook', source: 'bench' }])) });
    const samples: number[] = [];
    for (let i = 0; i < 60; i++) {
      const began = performance.now();
      const response = await app.request('/webhooks/webhook/bench', { method: 'POST', headers: { ...headers, 'idempotency-key': `bench-${i}` }, body: '{"parameters":{}}' });
      const { executions } = (await response.json()) as { executions: Array<{ executionId: string }> };
      const id = executions[0]!.executionId;
      while ((await runtime.store.getExecution(id))?.status !== 'RUNNING') await new Promise((r) => setImmediate(r));
      if (i >= 10) samples.push(performance.now() - began);
    }
    const running = await runtime.store.listExecutions({ application: 'bench' }, { limit: 1000 });
    for (const execution of running.items) await runtime.service.cancelExecution(execution.id, { user: 'bench', roles: [] });
    await runtime.idle();
    return percentile(samples, 99);
  } finally {
    await runtime.close();
  }
}

/**
 * GET /pipelines/{id} over HTTP, 100 requests per second for 5 s. The server is a real
 * `gennaker up` child process, so the load loop here does not share its event loop.
 */
async function getExecutionUnderLoad(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-bench-'));
  const up = await startUpProcess(dir);
  try {
    const headers = { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}`, 'content-type': 'application/json' };
    await fetch(`${up.url}/pipelines`, { method: 'POST', headers, body: JSON.stringify(waitingPipeline('Held')) });
    const { ref } = (await (await fetch(`${up.url}/pipelines/bench/Held`, { method: 'POST', headers, body: '{}' })).json()) as { ref: string };
    const latencies: number[] = [];
    const requests: Promise<void>[] = [];
    const get = async () => {
      const began = performance.now();
      const response = await fetch(`${up.url}${ref}`, { headers });
      await response.arrayBuffer();
      latencies.push(performance.now() - began);
    };
    for (let i = 0; i < 50; i++) await get(); // warm up
    latencies.length = 0;
    const start = performance.now();
    for (let i = 0; i < 500; i++) {
      const due = start + i * 10;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      requests.push(get());
    }
    await Promise.all(requests);
    await fetch(`${up.url}${ref}/cancel`, { method: 'PUT', headers });
    return percentile(latencies, 99);
  } finally {
    await up.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts `gennaker up --port 0` on a state directory and waits until it serves. */
async function startUpProcess(dir: string, extra: readonly string[] = []): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(root, 'bin/gennaker.js'), 'up', '--port', '0', '--data', dir, ...extra], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' },
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  try {
    const url = await new Promise<string>((resolvePromise, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`gennaker up did not start: ${output}`)), 30_000);
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Gennaker is up at (http:\/\/[^\s]+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolvePromise(match[1]!);
        }
      });
    });
    return { url, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resident memory of an idle `gennaker up` child, 3 s after it reported ready (and, with `--sandbox`, after `saved` were saved). */
async function idleUpRss(extra: readonly string[] = [], saved: readonly unknown[] = []): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-bench-up-'));
  const up = await startUpProcess(dir, extra);
  try {
    const headers = { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}`, 'content-type': 'application/json' };
    for (const pipeline of saved) {
      const response = await fetch(`${up.url}/pipelines`, { method: 'POST', headers, body: JSON.stringify(pipeline) });
      if (!response.ok) throw new Error(`saving a pipeline for the sandbox figure answered ${response.status}: ${await response.text()}`);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const status = readFileSync(`/proc/${up.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } finally {
    await up.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, Figure>> {
  const trigger = await triggerToRunning();
  const amongTen = await triggerToRunning(9);
  const amongTenThousand = await triggerToRunning(9_999);
  const get = await getExecutionUnderLoad();
  const rss = await idleUpRss();
  // Both simulated clouds running: an AWS red/black and Kubernetes blue/green pipeline saved seed them.
  const sandboxed = await idleUpRss(['--sandbox'], [readJson(join(root, 'examples/pipelines/ec2-redblack.json')), readJson(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_pipeline.json'))]);
  return {
    trigger_to_running_ms_p99: { value: trigger, unit: 'ms', target: '< 50' },
    trigger_to_running_ms_p99_10k_pipelines: { value: amongTenThousand, unit: 'ms' },
    trigger_to_running_p99_ratio_10k_vs_10: { value: amongTenThousand / amongTen, unit: 'x', target: '<= 1.2' },
    api_get_execution_ms_p99: { value: get, unit: 'ms', target: '< 10' },
    rss_mb_idle_up: { value: rss, unit: 'MB', target: '< 150' },
    rss_mb_sandbox_added: { value: sandboxed - rss, unit: 'MB (idle up --sandbox with the AWS and Kubernetes simulators seeded, minus idle up)', target: '< 100' },
  };
}
