/**
 * The deploy stage's `canary` strategy for real: the local runtime (dynalite, the compiled ASL on
 * the local engine, the real stage runner, real waits) deploying examples/service on the local
 * target beside a running production, under load through the cluster's load balancer. Two
 * clusters at once: a good release is promoted (the canary server group takes all the traffic,
 * production is disabled and kept, the baseline destroyed) and a bad one (ERROR_RATE=0.3,
 * seeded) is rolled back (baseline and canary destroyed, production untouched, the stage
 * TERMINAL). Production's requests never fail in either. One canary config is inline, the other
 * saved by id in the canary config store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import type { CanaryRunOutputs } from '../../core/canary/run-model.ts';
import { isComplete } from '../../core/execution/status.ts';
import type { ClusterDescription, ClusterRef } from '../../adapters/targets/local/local-target-api.ts';
import type { Execution } from '../../core/ports/execution-store.ts';
import { startLoad, type LoadReport } from '../../local/load-generator.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';
import { sampleServiceArtifact } from '../support/local-target.ts';

const APP = 'hello';
const CALLER = { user: 'tester', roles: [] };
const HEALTH = { path: '/health', intervalMs: 100, timeoutMs: 500 };
const SEED = '11';

const CONFIG = {
  name: 'hello-errors',
  judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
  metrics: [{ name: 'error_rate', query: { type: 'local', metricName: 'error_rate' }, groups: ['Errors'], scopeName: 'default', analysisConfigurations: { canary: { direction: 'increase', critical: true } } }],
  classifier: { groupWeights: { Errors: 100 } },
};

const ref = (stack: string): ClusterRef => ({ account: 'local', location: 'local', cluster: `${APP}-${stack}` });

const dir = mkdtempSync(join(tmpdir(), 'gennaker-canary-strategy-'));
let runtime: LocalRuntime;
const pids = new Set<number>();

beforeAll(async () => {
  runtime = await createLocalRuntime({
    localTarget: { stateDir: join(dir, 'target'), drainTimeoutMs: 1_000, killGraceMs: 1_000, healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2 } },
  });
});

afterAll(async () => {
  for (const process of runtime?.target?.processes() ?? []) pids.add(process.pid);
  await runtime?.target?.destroyAll();
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
  expect([...pids].filter(isAlive)).toEqual([]);
});

/** Production 1.0.0 of the cluster, one instance, Up and taking traffic. */
async function deployProduction(stack: string): Promise<ClusterDescription> {
  const target = runtime.target!;
  const created = await target.createServerGroup({ ...ref(stack), name: `${APP}-${stack}-v000`, capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact('1.0.0'), env: { ERROR_RATE: '0', SEED }, healthCheck: HEALTH });
  expect(created).toMatchObject({ ok: true });
  return vi.waitFor(
    async () => {
      const description = await target.describeCluster(ref(stack));
      if (description.serverGroups[0]?.instances[0]?.health !== 'Up') throw new Error('production is not Up yet');
      return description;
    },
    { timeout: 15_000, interval: 100 },
  );
}

/** A deploy stage with strategy canary of `version`, whose instances fail `errorRate` of requests. */
function canaryPipeline(stack: string, version: string, errorRate: string, canaryConfig: Record<string, unknown> = { config: CONFIG }): Record<string, unknown> {
  return {
    id: `canary-${stack}`,
    application: APP,
    name: `Canary ${stack}`,
    stages: [
      {
        refId: '1',
        type: 'deploy',
        name: 'Canary deploy',
        clusters: [
          {
            application: APP,
            stack,
            freeFormDetails: '',
            account: 'local',
            cloudProvider: 'local',
            availabilityZones: { local: ['local'] },
            capacity: { min: 1, max: 1, desired: 1 },
            strategy: 'canary',
            artifact: sampleServiceArtifact(version),
            env: { ERROR_RATE: errorRate, SEED },
            healthCheck: HEALTH,
            waitForHealthyTimeoutSec: 20,
            canary: {
              canaryConfig,
              lifetimeDuration: 'PT6S',
              canaryAnalysisIntervalMins: 0.05,
              step: 1,
              trafficPercent: 30,
              scoreThresholds: { marginal: 50, pass: 75 },
              baselineEnv: { ERROR_RATE: '0', SEED },
            },
          },
        ],
      },
    ],
  };
}

/** Runs a pipeline on the runtime until its execution completes. */
async function run(config: Record<string, unknown>): Promise<Execution> {
  const saved = await runtime.service.savePipeline({ config }, CALLER);
  if (!saved.ok) throw new Error(`pipeline refused: ${JSON.stringify(saved)}`);
  const started = await runtime.service.startPipeline({ application: APP, pipeline: saved.saved.id, trigger: { type: 'manual', user: CALLER.user } }, CALLER);
  if (!started.ok) throw new Error(`pipeline did not start: ${started.message}`);
  return vi.waitFor(
    async () => {
      const execution = await runtime.store.getExecution(started.executionId);
      if (!execution || !isComplete(execution.status)) throw new Error(`execution ${started.executionId} is ${execution?.status}`);
      return execution;
    },
    { timeout: 40_000, interval: 100 },
  );
}

/** Runs the pipeline with load on the cluster's load balancer for its whole length. */
async function runUnderLoad(stack: string, config: Record<string, unknown>): Promise<{ execution: Execution; load: LoadReport }> {
  const endpoint = (await runtime.target!.describeCluster(ref(stack))).endpoint!;
  const load = startLoad({ url: `${endpoint}/`, concurrency: 4, ratePerSecond: 100, timeoutMs: 5_000 });
  try {
    return { execution: await run(config), load: await load.stop() };
  } finally {
    await load.stop();
  }
}

type CanaryOutputs = CanaryRunOutputs & { outcome: string; score: number | null };
const canaryOf = (execution: Execution) => (execution.stages[0]!.outputs as { canary?: CanaryOutputs }).canary;
const errorOf = (execution: Execution) => String((execution.stages[0]!.context.exception as { details?: { error?: string } } | undefined)?.details?.error ?? '');
const groups = (description: ClusterDescription) => description.serverGroups.map(({ name, disabled, trafficWeight, artifact }) => ({ name, disabled, trafficWeight, version: artifact.version }));

describe('deploy with strategy canary on the local target', () => {
  it('promotes a good release and rolls back a bad one, with no failed production request', async () => {
    // given: production 1.0.0 in two clusters, and the rollback's canary config saved by id
    expect(await runtime.canaryConfigs.save('hello-errors-saved', { ...CONFIG, name: 'hello-errors-saved' })).toMatchObject({ ok: true, revision: 1 });
    const promoteBefore = await deployProduction('promote');
    const rollbackBefore = await deployProduction('rollback');
    for (const process of runtime.target!.processes()) pids.add(process.pid);

    // when: a good 1.1.0 and a bad 1.2.0 are canaried at the same time, under load
    const [promoted, rolledBack] = await Promise.all([
      runUnderLoad('promote', canaryPipeline('promote', '1.1.0', '0')),
      runUnderLoad('rollback', canaryPipeline('rollback', '1.2.0', '0.3', { canaryConfigId: 'hello-errors-saved' })),
    ]);
    for (const process of runtime.target!.processes()) pids.add(process.pid);

    // then: the good release was judged over both intervals and promoted
    expect(promoted.execution.status).toBe('SUCCEEDED');
    expect(canaryOf(promoted.execution)).toMatchObject({
      outcome: 'promoted',
      score: 100,
      overallScore: 100,
      overallResult: 'success',
      canaryScores: [100, 100],
      controlScope: 'hello-promote-v001',
      experimentScope: 'hello-promote-v002',
      canaryConfigName: 'hello-errors',
      scoreThresholds: { marginal: 50, pass: 75 },
    });
    expect(canaryOf(promoted.execution)!.intervals).toHaveLength(2);
    // the canary server group itself takes all the traffic; production is kept, disabled; the baseline is gone
    expect(groups(await runtime.target!.describeCluster(ref('promote')))).toEqual([
      { name: 'hello-promote-v000', disabled: true, trafficWeight: 0, version: '1.0.0' },
      { name: 'hello-promote-v002', disabled: false, trafficWeight: 100, version: '1.1.0' },
    ]);
    expect(promoted.load.failures).toEqual([]);
    expect(promoted.load.byServerGroup['hello-promote-v002']).toBeGreaterThan(0);
    expect(promoted.load.byServerGroup['hello-promote-v001']).toBeGreaterThan(0);

    // and the bad release was stopped after its first interval and rolled back
    expect(rolledBack.execution.status).toBe('TERMINAL');
    expect(canaryOf(rolledBack.execution)).toMatchObject({
      outcome: 'rolledBack',
      score: 0,
      overallResult: 'failure',
      canaryScores: [0],
      controlScope: 'hello-rollback-v001',
      experimentScope: 'hello-rollback-v002',
      canaryConfigName: 'hello-errors-saved',
    });
    expect(canaryOf(rolledBack.execution)!.canaryScoreMessage).toContain('interval 1 of 2, so the analysis stops early');
    expect(errorOf(rolledBack.execution)).toMatch(
      /^stage 'Canary deploy': the canary hello-rollback-v002 failed its analysis and was rolled back \(hello-rollback-v001 and hello-rollback-v002 destroyed, hello-rollback-v000 serves all traffic\): Canary score is not above/,
    );
    // production is untouched: the same instance, enabled, with all the traffic
    const rollbackAfter = await runtime.target!.describeCluster(ref('rollback'));
    expect(groups(rollbackAfter)).toEqual([{ name: 'hello-rollback-v000', disabled: false, trafficWeight: 100, version: '1.0.0' }]);
    expect(rollbackAfter.serverGroups[0]!.instances.map(({ id, launchedTime }) => ({ id, launchedTime }))).toEqual(
      rollbackBefore.serverGroups[0]!.instances.map(({ id, launchedTime }) => ({ id, launchedTime })),
    );
    // only the canary failed requests: production and baseline answered every one of theirs
    expect(rolledBack.load.failures.length).toBeGreaterThan(0);
    expect(rolledBack.load.failures.filter((failure) => failure !== 'status 500 from hello-rollback-v002')).toEqual([]);
    expect(promoteBefore.serverGroups.map((group) => group.name)).toEqual(['hello-promote-v000']);
  }, 45_000);

  it('fails before creating anything when canaryConfigId names no saved config', async () => {
    // given
    await deployProduction('missing');

    // when
    const execution = await run(canaryPipeline('missing', '1.1.0', '0', { canaryConfigId: 'no-such-config' }));

    // then
    expect(execution.status).toBe('TERMINAL');
    expect(errorOf(execution)).toBe(
      "stage 'Canary deploy': clusters[0].canary: canaryConfigId 'no-such-config' names no saved canary config; save it first (gennaker canary config save -f canary-config.json) or fix the canaryConfigId",
    );
    expect(groups(await runtime.target!.describeCluster(ref('missing'))).map((group) => group.name)).toEqual(['hello-missing-v000']);
  }, 20_000);
});
