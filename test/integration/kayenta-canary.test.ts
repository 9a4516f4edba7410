/**
 * The `kayentaCanary` stage for real, as `gennaker up` runs it: real processes of
 * examples/service behind the local target's load balancer, traffic from the load generator
 * split by weight between a baseline (no errors), a good canary (no errors) and a bad canary
 * (ERROR_RATE=0.3, seeded), the local metric source reading the balancer's per-server-group
 * counts, the compiled ASL on the local engine with the real stage runner and real waits.
 * Intervals are fractional minutes (3 s) so the whole file stays short.
 *
 * Canary configs by id: the CanaryConfigStore contract on dynalite, the `/v2/canaryConfig`
 * routes over HTTP, `gennaker canary config save|list`, and stages that name their config by
 * `canaryConfigId` / `canaryConfigName`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoDbCanaryConfigStore } from '../../adapters/dynamodb/canary-configs.ts';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import { main } from '../../cli/main.ts';
import type { CanaryRunOutputs } from '../../core/canary/run-model.ts';
import { isComplete } from '../../core/execution/status.ts';
import { createRecordingIoHost } from '../../core/io-host.ts';
import type { Execution } from '../../core/ports/execution-store.ts';
import { startLoad, type RunningLoad } from '../../local/load-generator.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { canaryConfigStoreContract, sampleCanaryConfig } from '../contract/canary-config-store.contract.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { sampleServiceArtifact } from '../support/local-target.ts';

// --- the store contract, on dynalite -------------------------------------------------------

let dynalite: Dynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.stop();
});
canaryConfigStoreContract('DynamoDB adapter on dynalite', async (clock) => createDynamoDbCanaryConfigStore({ client: dynalite.client, tableName: dynalite.tableName, clock }));

// --- the stage on the local target ---------------------------------------------------------

const APP = 'hello';
const CLUSTER = { account: 'local', location: 'local', cluster: 'hello-kc' };
const BASELINE = 'hello-kc-v000';
const GOOD = 'hello-kc-v001';
const BAD = 'hello-kc-v002';
const CALLER = { user: 'tester', roles: [] };

/** Error rate, critical: a canary that fails more requests scores 0. */
const CONFIG = {
  name: 'hello-errors',
  applications: [APP],
  judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
  metrics: [{ name: 'error_rate', query: { type: 'local', metricName: 'error_rate' }, groups: ['Errors'], scopeName: 'default', analysisConfigurations: { canary: { direction: 'increase', critical: true } } }],
  classifier: { groupWeights: { Errors: 100 } },
};

const dir = mkdtempSync(join(tmpdir(), 'gennaker-kayenta-'));
let server: LocalServer;
let token: string;
let load: RunningLoad | undefined;
const pids = new Set<number>();

beforeAll(async () => {
  server = await startLocalServer({
    dir,
    port: 0,
    cronTickMs: 60_000,
    localTarget: { drainTimeoutMs: 1_000, killGraceMs: 1_000, healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2 } },
  });
  token = (await readFile(server.tokenPath, 'utf8')).trim();
  const target = server.runtime.target!;
  // given: a baseline and two canaries of the sample service, one failing 30% of its requests
  for (const [name, errorRate] of [
    [BASELINE, '0'],
    [GOOD, '0'],
    [BAD, '0.3'],
  ] as const) {
    const created = await target.createServerGroup({
      ...CLUSTER,
      name,
      capacity: { min: 1, max: 1, desired: 1 },
      artifact: sampleServiceArtifact(),
      env: { ERROR_RATE: errorRate, SEED: '7' },
      healthCheck: { path: '/health', intervalMs: 100, timeoutMs: 500 },
    });
    expect(created).toMatchObject({ ok: true });
  }
  await vi.waitFor(
    async () => {
      const groups = (await target.describeCluster(CLUSTER)).serverGroups;
      if (groups.length !== 3 || groups.some((group) => group.instances.length !== 1 || group.instances[0]!.health !== 'Up')) throw new Error('not Up yet');
    },
    { timeout: 15_000, interval: 100 },
  );
  for (const process of target.processes()) pids.add(process.pid);
  expect(await target.setTrafficWeights(CLUSTER, { [BASELINE]: 34, [GOOD]: 33, [BAD]: 33 })).toMatchObject({ ok: true });
  const endpoint = (await target.describeCluster(CLUSTER)).endpoint!;
  load = startLoad({ url: `${endpoint}/`, concurrency: 6, ratePerSecond: 150, timeoutMs: 5_000 });
}, 30_000);

afterAll(async () => {
  await load?.stop();
  await server?.runtime.target?.destroyAll();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  // No instance outlives the test.
  expect([...pids].filter(isAlive)).toEqual([]);
});

let counter = 0;

/** A one-stage pipeline with a kayentaCanary stage comparing `experiment` with the baseline. */
function canaryPipeline(experiment: string, canaryConfig: Record<string, unknown>): Record<string, unknown> {
  const id = `kayenta-${++counter}`;
  return {
    id,
    application: APP,
    name: id,
    stages: [
      {
        refId: '1',
        type: 'kayentaCanary',
        name: 'Canary analysis',
        analysisType: 'realTime',
        canaryConfig: {
          ...canaryConfig,
          scopes: [{ scopeName: 'default', controlScope: BASELINE, controlLocation: 'local', experimentScope: experiment, experimentLocation: 'local', step: 1 }],
          lifetimeDuration: 'PT6S',
          canaryAnalysisIntervalMins: 0.05,
          scoreThresholds: { marginal: 50, pass: 75 },
        },
      },
    ],
  };
}

/** Saves and runs a pipeline on the server's runtime, and waits until the execution completes. */
async function run(config: Record<string, unknown>): Promise<Execution> {
  const { service, store } = server.runtime;
  const saved = await service.savePipeline({ config }, CALLER);
  if (!saved.ok) throw new Error(`pipeline refused: ${JSON.stringify(saved)}`);
  const started = await service.startPipeline({ application: APP, pipeline: saved.saved.id, trigger: { type: 'manual', user: CALLER.user } }, CALLER);
  if (!started.ok) throw new Error(`pipeline did not start: ${started.message}`);
  return vi.waitFor(
    async () => {
      const execution = await store.getExecution(started.executionId);
      if (!execution || !isComplete(execution.status)) throw new Error(`execution ${started.executionId} is ${execution?.status}`);
      return execution;
    },
    { timeout: 30_000, interval: 100 },
  );
}

const outputsOf = (execution: Execution) => execution.stages[0]!.outputs as unknown as CanaryRunOutputs;
const errorOf = (execution: Execution) => String((execution.stages[0]!.context as { exception?: { details?: { error?: string } } }).exception?.details?.error ?? JSON.stringify(execution.stages[0]!.context));

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> & { error?: string } }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> & { error?: string } };
}

async function gennaker(...args: string[]) {
  const io = createRecordingIoHost();
  const code = await main([...args, '--endpoint', server.url, '--data', dir], { io });
  const text = io.messages.map((message) => ('text' in message ? message.text : 'message' in message ? message.message : JSON.stringify(message))).join('\n');
  return { code, text };
}

describe('kayentaCanary on the local target', () => {
  it('passes a good canary over every interval, fails a bad one early, and resolves configs by id and by name', async () => {
    // given: the config saved by id through the API, and under its name
    const byId = await api('PUT', '/v2/canaryConfig/hello-errors-v1', CONFIG);
    expect(byId).toEqual({ status: 200, json: { canaryConfigId: 'hello-errors-v1' } });

    // when: four analyses at once, sharing the load
    const [good, bad, goodById, badByName, missing] = await Promise.all([
      run(canaryPipeline(GOOD, { config: CONFIG })),
      run(canaryPipeline(BAD, { config: CONFIG })),
      run(canaryPipeline(GOOD, { canaryConfigId: 'hello-errors-v1' })),
      run(canaryPipeline(BAD, { canaryConfigName: 'HELLO-ERRORS' })),
      run(canaryPipeline(GOOD, { canaryConfigId: 'no-such-config' })),
    ]);

    // then: the good canary passed every interval
    expect(good.status).toBe('SUCCEEDED');
    expect(outputsOf(good)).toMatchObject({ overallResult: 'success', canaryScores: [100, 100], overallScore: 100, controlScope: BASELINE, experimentScope: GOOD, canaryConfigName: 'hello-errors' });
    expect(outputsOf(good).intervals.map((interval) => interval.metrics[0]!.control.count)).toEqual([3, 6]);
    // the bad one was stopped after its first interval of two, with Orca's message
    expect(bad.status).toBe('TERMINAL');
    expect(outputsOf(bad)).toMatchObject({ overallResult: 'failure', canaryScores: [0], overallScore: 0 });
    expect(outputsOf(bad).canaryScoreMessage).toMatch(/^Canary score is not above the marginal score threshold\. Score 0 ≤ marginal 50 in interval 1 of 2, so the analysis stops early\.$/);
    expect(outputsOf(bad).intervals[0]!.metrics[0]).toMatchObject({ name: 'error_rate', classification: 'High', critical: true });
    expect(errorOf(bad)).toContain('stops early');
    // by id and by name: the same verdicts, judged with the saved config
    expect(goodById.status).toBe('SUCCEEDED');
    expect(outputsOf(goodById)).toMatchObject({ canaryScores: [100, 100], canaryConfigName: 'hello-errors' });
    expect(badByName.status).toBe('TERMINAL');
    expect(outputsOf(badByName).canaryScores).toEqual([0]);
    // an unknown id fails the stage with a message naming it
    expect(missing.status).toBe('TERMINAL');
    expect(errorOf(missing)).toBe(
      "stage 'Canary analysis': canaryConfigId 'no-such-config' names no saved canary config; save it first (gennaker canary config save -f canary-config.json) or fix the canaryConfigId",
    );
  }, 40_000);
});

describe('/v2/canaryConfig and gennaker canary config', () => {
  it('creates with a generated id, reads back the config with its stamps, and lists it', async () => {
    // when
    const created = await api('POST', '/v2/canaryConfig', sampleCanaryConfig('generated-id', { applications: ['shop'], custom: { kept: true } }));
    const id = String(created.json.canaryConfigId);
    const read = await api('GET', `/v2/canaryConfig/${id}`);
    const listed = await api('GET', '/v2/canaryConfig?application=SHOP');

    // then
    expect(created.status).toBe(200);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id, name: 'generated-id', applications: ['shop'], custom: { kept: true }, revision: 1 });
    expect(typeof read.json.updatedTimestamp).toBe('number');
    expect(listed.json).toEqual([{ id, name: 'generated-id', applications: ['shop'], updatedTimestamp: read.json.updatedTimestamp, updatedTimestampIso: read.json.updatedTimestampIso }]);
  });

  it('rejects an invalid config with every problem in one line, and writes nothing', async () => {
    // when
    const metric = { name: 'm', query: { type: 'local', metricName: 'error_rate' }, groups: ['g'] };
    const invalid = await api('POST', '/v2/canaryConfig', { id: 'broken', name: 'broken', metrics: [metric, metric], judge: { name: 'OtherJudge' } });
    const unnamed = await api('PUT', '/v2/canaryConfig/unnamed', { ...CONFIG, name: undefined });
    const mismatch = await api('PUT', '/v2/canaryConfig/one', { ...CONFIG, id: 'two' });
    const notJson = await api('POST', '/v2/canaryConfig', '{"name": ');

    // then
    expect(invalid.status).toBe(400);
    expect(invalid.json.error).toMatch(/^the canary config is invalid; nothing was saved: \/judge\/name: judge 'OtherJudge' is not supported yet.*; \/metrics\/1\/name: metric name 'm' is also used by metrics\/0/);
    expect(invalid.json.error).not.toContain('\n');
    expect(unnamed).toEqual({ status: 400, json: { error: '/name: is undefined; a saved canary config needs a name, e.g. "name": "hello-canary"' } });
    expect(mismatch.json.error).toBe("/id: is 'two' but the path names 'one'; leave 'id' out or make them equal");
    expect(notJson.status).toBe(400);
    expect((await api('GET', '/v2/canaryConfig/broken')).status).toBe(404);
    expect((await api('GET', '/v2/canaryConfig/unnamed')).status).toBe(404);
  });

  it('refuses a POST to an existing id and a name another config holds, with 409', async () => {
    // given
    await api('PUT', '/v2/canaryConfig/taken-1', sampleCanaryConfig('taken-name'));

    // when
    const again = await api('POST', '/v2/canaryConfig', sampleCanaryConfig('other-name', { id: 'taken-1' }));
    const sameName = await api('PUT', '/v2/canaryConfig/taken-2', sampleCanaryConfig('Taken-Name'));

    // then
    expect(again).toEqual({ status: 409, json: { error: "canary config 'taken-1' exists already; change it with PUT /v2/canaryConfig/taken-1" } });
    expect(sameName.status).toBe(409);
    expect(sameName.json.error).toContain("is taken by config 'taken-1'");
  });

  it('lists the routes in the OpenAPI document', async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(Object.entries(document.paths['/v2/canaryConfig'] ?? {}).map(([method, operation]) => `${method} ${operation.operationId}`)).toEqual(['post saveCanaryConfig', 'get listCanaryConfigs']);
    expect(Object.entries(document.paths['/v2/canaryConfig/{id}'] ?? {}).map(([method, operation]) => `${method} ${operation.operationId}`)).toEqual(['get getCanaryConfig', 'put updateCanaryConfig']);
  });

  it('saves a config file with gennaker canary config save, under its id, and lists it', async () => {
    // given
    const file = join(dir, 'canary-config.json');
    writeFileSync(file, JSON.stringify({ ...sampleCanaryConfig('from-the-cli'), id: 'cli-config' }));

    // when
    const saved = await gennaker('canary', 'config', 'save', '-f', file);
    const listed = await gennaker('canary', 'config', 'list');
    const bad = await gennaker('canary', 'config', 'save', '-f', join(dir, 'missing.json'));

    // then
    expect(saved.code).toBe(0);
    expect(saved.text).toBe("saved canary config 'from-the-cli' as cli-config\ncli-config");
    expect(listed.code).toBe(0);
    expect(listed.text.split('\n').find((line) => line.startsWith('cli-config '))).toMatch(/^cli-config {2}from-the-cli {2}hello {2}\d{4}-\d\d-\d\dT/);
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/missing\.json: cannot read the file \(ENOENT\); check the path/);
  });
});
