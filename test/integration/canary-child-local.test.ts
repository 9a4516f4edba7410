/**
 * A canary stage run as a child state machine on the local engine, with the real stage runner:
 * `gennaker up`'s server with a low child threshold, so the kayentaCanary stage compiles to a
 * parent `startExecution.sync:2` Task and a child machine. Real processes of examples/service
 * behind the local load balancer, traffic from the load generator, the local metric source.
 * The child judges every interval and writes the stage's outputs; the parent goes on after it.
 * Canceling the parent stops the child.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import type { CanaryRunOutputs } from '../../core/canary/run-model.ts';
import { isComplete } from '../../core/execution/status.ts';
import type { Execution } from '../../core/ports/execution-store.ts';
import { startLoad, type RunningLoad } from '../../local/load-generator.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { compilePipeline } from '../../statemachines/index.ts';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import { sampleServiceArtifact } from '../support/local-target.ts';

const APP = 'hello';
const CLUSTER = { account: 'local', location: 'local', cluster: 'hello-child' };
const BASELINE = 'hello-child-v000';
const CANARY = 'hello-child-v001';
const CALLER = { user: 'tester', roles: [] };
/** Low enough that a two-interval canary is moved into a child machine. */
const CHILD_THRESHOLD = 20;

const dir = mkdtempSync(join(tmpdir(), 'gennaker-canary-child-'));
let server: LocalServer;
let load: RunningLoad | undefined;
const pids = new Set<number>();

beforeAll(async () => {
  server = await startLocalServer({
    dir,
    port: 0,
    cronTickMs: 60_000,
    childThresholdEvents: CHILD_THRESHOLD,
    localTarget: { drainTimeoutMs: 1_000, killGraceMs: 1_000, healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2 } },
  });
  const target = server.runtime.target!;
  for (const name of [BASELINE, CANARY]) {
    const created = await target.createServerGroup({ ...CLUSTER, name, capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact(), healthCheck: { path: '/health', intervalMs: 100, timeoutMs: 500 } });
    expect(created).toMatchObject({ ok: true });
  }
  await vi.waitFor(
    async () => {
      const groups = (await target.describeCluster(CLUSTER)).serverGroups;
      if (groups.length !== 2 || groups.some((group) => group.instances[0]?.health !== 'Up')) throw new Error('not Up yet');
    },
    { timeout: 15_000, interval: 100 },
  );
  for (const process of target.processes()) pids.add(process.pid);
  const endpoint = (await target.describeCluster(CLUSTER)).endpoint!;
  load = startLoad({ url: `${endpoint}/`, concurrency: 4, ratePerSecond: 120, timeoutMs: 5_000 });
}, 30_000);

afterAll(async () => {
  await load?.stop();
  await server?.runtime.target?.destroyAll();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  expect([...pids].filter(isAlive)).toEqual([]);
});

let counter = 0;

/** A canary analysis, then a wait: the parent must go on after the child. */
function pipeline(lifetime: string): Record<string, unknown> {
  const id = `child-canary-${++counter}`;
  return {
    id,
    application: APP,
    name: id,
    stages: [
      {
        refId: '1',
        type: 'kayentaCanary',
        name: 'Canary analysis',
        canaryConfig: {
          config: {
            name: 'errors',
            metrics: [{ name: 'error_rate', query: { type: 'local', metricName: 'error_rate' }, groups: ['Errors'], analysisConfigurations: { canary: { direction: 'increase', critical: true } } }],
            classifier: { groupWeights: { Errors: 100 } },
          },
          scopes: [{ scopeName: 'default', controlScope: BASELINE, controlLocation: 'local', experimentScope: CANARY, experimentLocation: 'local', step: 1 }],
          lifetimeDuration: lifetime,
          canaryAnalysisIntervalMins: 0.05,
          scoreThresholds: { marginal: 50, pass: 75 },
        },
      },
      { refId: '2', type: 'wait', name: 'After the canary', requisiteStageRefIds: ['1'], waitTime: 0 },
    ],
  };
}

async function start(config: Record<string, unknown>): Promise<string> {
  const saved = await server.runtime.service.savePipeline({ config }, CALLER);
  if (!saved.ok) throw new Error(`pipeline refused: ${JSON.stringify(saved)}`);
  const started = await server.runtime.service.startPipeline({ application: APP, pipeline: saved.saved.id, trigger: { type: 'manual', user: CALLER.user } }, CALLER);
  if (!started.ok) throw new Error(started.message);
  return started.executionId;
}

async function completed(executionId: string): Promise<Execution> {
  return vi.waitFor(
    async () => {
      const execution = await server.runtime.store.getExecution(executionId);
      if (!execution || !isComplete(execution.status)) throw new Error(`execution is ${execution?.status}`);
      return execution;
    },
    { timeout: 30_000, interval: 100 },
  );
}

describe('a canary stage run as a child state machine, locally', () => {
  it('compiles the canary to a child machine at this threshold', () => {
    const compiled = compilePipeline(parsePipeline(pipeline('PT6S')).pipeline!, { childThresholdEvents: CHILD_THRESHOLD });
    expect(compiled.children.map((child) => child.refId)).toEqual(['1']);
    expect(compiled.json).toContain('states:startExecution.sync:2');
  });

  it('judges every interval in the child with the real runner, then the parent goes on', async () => {
    const execution = await completed(await start(pipeline('PT6S')));
    expect(execution.stages.map((stage) => [stage.refId, stage.status])).toEqual([
      ['1', 'SUCCEEDED'],
      ['2', 'SUCCEEDED'],
    ]);
    const outputs = execution.stages[0]!.outputs as unknown as CanaryRunOutputs;
    expect(outputs.canaryScores).toEqual([100, 100]);
    expect(outputs.overallResult).toBe('success');
  }, 40_000);

  it('stops the child when the parent is canceled', async () => {
    const executionId = await start(pipeline('PT60S'));
    await vi.waitFor(
      async () => {
        const stage = (await server.runtime.store.getExecution(executionId))?.stages[0];
        if (stage?.status !== 'RUNNING') throw new Error('the canary has not started');
      },
      { timeout: 10_000, interval: 100 },
    );
    const canceled = await server.runtime.service.cancelExecution(executionId, CALLER, { reason: 'enough' });
    expect(canceled.ok).toBe(true);
    const execution = await completed(executionId);
    expect(execution.status).toBe('CANCELED');
    // Settles only when no run is left: a child still judging its 60 s canary would outlast this test's timeout.
    await server.runtime.idle();
    const after = (await server.runtime.store.getExecution(executionId))!;
    expect(after.stages[0]!.status).not.toBe('RUNNING');
    expect(after.stages[1]!.status).toBe('NOT_STARTED');
  }, 40_000);
});
