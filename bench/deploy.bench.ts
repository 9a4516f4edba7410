/**
 * Deploy benchmarks on the local target (real processes of examples/service behind the real
 * load balancer):
 * - `lb_added_latency_ms_p99`: the p99 latency of GET / through the cluster's load balancer
 *   minus the p99 straight to the instance, both at 500 requests/s over keep-alive connections.
 *   Both runs alternate in short rounds so machine noise hits them alike.
 * - `redblack_seconds_overhead`: a red/black deploy of 3 instances (a pipeline with one deploy
 *   stage on the local runtime, real engine and store, real time): the execution's wall time
 *   minus the slowest new instance's time from launch to its first passing health check (seen by
 *   a 20 ms watcher). The median of 3 deploys.
 * - `deploy_port_calls_redblack`: calls to the server-group and traffic ports for that deploy, on
 *   the in-memory reference target (deterministic): the cost that throttles a cloud.
 * - `failed_requests_during_redblack`: requests that failed among those sent through the
 *   cluster's load balancer (8 connections, 200 requests/s) during those deploys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalDeployTarget, type LocalDeployTarget } from '../adapters/targets/local/local-deploy-target.ts';
import type { ClusterRef } from '../adapters/targets/local/local-target-api.ts';
import { percentile, runLoad, startLoad, type RunningLoad } from '../local/load-generator.ts';
import { createLocalRuntime } from '../local/wiring.ts';
import { createMemoryClock, createMemoryTarget } from '../adapters/targets/memory/memory-target.ts';
import type { DeployStage } from '../core/pipeline/stage-types/deploy.ts';
import type { DeployTaskDeps } from '../core/stages/deploy-scope.ts';
import { runDeployTask } from '../core/stages/deploy.ts';
import type { TaskDeps, TaskInput } from '../core/stages/task-result.ts';
import { driveStage } from '../test/support/stage-driver.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICE = join(root, 'examples/service');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUp(target: LocalDeployTarget, ref: ClusterRef, name: string, count: number): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    const group = (await target.describeCluster(ref)).serverGroups.find((candidate) => candidate.name === name);
    if (group && group.instances.filter((instance) => instance.health === 'Up').length === count) return;
    await sleep(50);
  }
  throw new Error(`${name} did not come up`);
}

async function lbAddedLatency(): Promise<number> {
  const stateDir = mkdtempSync(join(tmpdir(), 'gennaker-bench-lb-'));
  const target = await createLocalDeployTarget({ stateDir, baseEnv: { PATH: process.env.PATH ?? '' }, healthCheck: { intervalMs: 200 } });
  try {
    const ref: ClusterRef = { account: 'local', location: 'local', cluster: 'bench-lb' };
    const created = await target.createServerGroup({
      ...ref,
      name: 'bench-lb-v000',
      capacity: { min: 1, max: 1, desired: 1 },
      artifact: { type: 'directory', reference: SERVICE, name: 'sample-service', version: '1.0.0' },
    });
    if (!created.ok) throw new Error(created.message);
    await waitUp(target, ref, 'bench-lb-v000', 1);
    const instance = target.processes().find((process) => process.serverGroup === 'bench-lb-v000')!;
    const direct = `http://127.0.0.1:${instance.port}/`;
    const proxied = `${target.loadBalancerUrl(ref)!}/`;
    // Warm both paths (connections, JIT), then alternate 1 s rounds at 500 requests/s.
    await runLoad({ url: direct, concurrency: 8, durationMs: 500, ratePerSecond: 500 });
    await runLoad({ url: proxied, concurrency: 8, durationMs: 500, ratePerSecond: 500 });
    const directLatencies: number[] = [];
    const proxiedLatencies: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      directLatencies.push(...(await runLoad({ url: direct, concurrency: 8, durationMs: 1_000, ratePerSecond: 500 })).latencies);
      proxiedLatencies.push(...(await runLoad({ url: proxied, concurrency: 8, durationMs: 1_000, ratePerSecond: 500 })).latencies);
    }
    const sort = (values: number[]) => values.sort((a, b) => a - b);
    return Math.max(0, percentile(sort(proxiedLatencies), 99) - percentile(sort(directLatencies), 99));
  } finally {
    await target.destroyAll();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function redBlack(): Promise<{ overheadSeconds: number; failed: number; sent: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-bench-redblack-'));
  const runtime = await createLocalRuntime({
    localTarget: { stateDir: join(dir, 'target'), baseEnv: { PATH: process.env.PATH ?? '' }, healthCheck: { intervalMs: 100, timeoutMs: 1_000 }, drainTimeoutMs: 5_000 },
  });
  const caller = { user: 'bench', roles: [] };
  const ref: ClusterRef = { account: 'local', location: 'local', cluster: 'bench-rb' };
  let load: RunningLoad | undefined;
  try {
    const saved = await runtime.service.savePipeline(
      {
        config: {
          application: 'bench',
          name: 'Red/black',
          parameterConfig: [{ name: 'version', required: true }],
          stages: [
            {
              refId: '1',
              type: 'deploy',
              name: 'Deploy',
              clusters: [
                {
                  account: 'local',
                  cloudProvider: 'local',
                  application: 'bench',
                  stack: 'rb',
                  availabilityZones: { local: [] },
                  capacity: { min: 3, max: 3, desired: 3 },
                  strategy: 'redblack',
                  maxRemainingAsgs: 2,
                  artifact: { type: 'directory', reference: SERVICE, name: 'sample-service', version: '${parameters.version}' },
                  healthCheck: { path: '/health', intervalMs: 100, timeoutMs: 1_000 },
                },
              ],
            },
          ],
        },
      },
      caller,
    );
    if (!saved.ok) throw new Error(`bench pipeline refused: ${JSON.stringify(saved)}`);
    const deploy = async (version: string) => {
      const started = await runtime.service.startPipeline({ application: 'bench', pipeline: saved.saved.id, trigger: { type: 'manual', user: 'bench', parameters: { version } } }, caller);
      if (!started.ok) throw new Error(started.message);
      // Watch each instance: launch time and the first time it is seen Up.
      const upAt = new Map<string, { launched: number; up?: number; group: string }>();
      const before = new Set((await runtime.target!.describeCluster(ref)).serverGroups.map((group) => group.name));
      for (;;) {
        const cluster = await runtime.target!.describeCluster(ref);
        const seenAt = Date.now();
        for (const group of cluster.serverGroups) {
          if (before.has(group.name)) continue;
          for (const instance of group.instances) {
            const entry = upAt.get(instance.id) ?? { launched: instance.launchedTime, group: group.name };
            if (instance.health === 'Up' && entry.up === undefined) entry.up = seenAt;
            upAt.set(instance.id, entry);
          }
        }
        const execution = await runtime.store.getExecution(started.executionId);
        if (execution && (execution.status === 'SUCCEEDED' || execution.status === 'TERMINAL' || execution.status === 'CANCELED')) {
          if (execution.status !== 'SUCCEEDED') throw new Error(`deploy of ${version} ended ${execution.status}`);
          const slowest = Math.max(...[...upAt.values()].map((entry) => (entry.up ?? Infinity) - entry.launched));
          return (execution.endTime! - execution.startTime!) / 1000 - slowest / 1000;
        }
        await sleep(20);
      }
    };
    await deploy('1.0.0');
    load = startLoad({ url: `${(await runtime.target!.describeCluster(ref)).endpoint!}/`, concurrency: 8, ratePerSecond: 200, timeoutMs: 5_000 });
    const overheads: number[] = [];
    for (const version of ['1.1.0', '1.2.0', '1.3.0']) overheads.push(await deploy(version));
    const report = await load.stop();
    load = undefined;
    overheads.sort((a, b) => a - b);
    return { overheadSeconds: overheads[1]!, failed: report.failures.length, sent: report.sent };
  } finally {
    await load?.stop();
    await runtime.target?.destroyAll();
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Calls to the two ports for a red/black deploy of 3 instances over a cluster with one server
 * group, on the in-memory reference target (boot 3 s, drain 2 s, the executor's own polling):
 * what a cloud sees, and what its throttles count. Deterministic.
 */
async function redBlackPortCalls(): Promise<{ total: number; sideEffects: number }> {
  const clock = createMemoryClock();
  const target = createMemoryTarget({ clock, bootMs: 3_000, drainMs: 2_000 });
  const ref = { account: 'mem', location: 'local', cluster: 'bench-prod' };
  target.control.seedServerGroup({ ...ref, name: 'bench-prod-v000', capacity: { min: 3, max: 3, desired: 3 }, createdTime: clock.now() - 60_000, artifact: { type: 'directory', reference: SERVICE } });
  const deps: DeployTaskDeps = { targets: () => target, applications: { getApplication: async () => undefined } };
  const taskDeps: TaskDeps = { http: {} as TaskDeps['http'], children: { start: async () => ({ ok: false, message: 'none' }) }, store: { getExecution: async () => undefined }, random: () => 0.5 };
  const stage = {
    type: 'deploy',
    clusters: [{ account: 'mem', application: 'bench', stack: 'prod', availabilityZones: { local: [] }, capacity: { min: 3, max: 3, desired: 3 }, strategy: 'redblack', maxRemainingAsgs: 2, artifact: { type: 'directory', reference: SERVICE } }],
  };
  const result = await driveStage(stage, (input: TaskInput) => runDeployTask(input as TaskInput<DeployStage>, deps, taskDeps, 100), clock);
  if (result.status !== 'SUCCEEDED') throw new Error(`the bench deploy ended ${result.status}: ${result.message}`);
  return { total: target.control.calls().length, sideEffects: target.control.effects().length };
}

export async function run(): Promise<Record<string, Figure>> {
  const calls = await redBlackPortCalls();
  const lb = await lbAddedLatency();
  const redblack = await redBlack();
  return {
    deploy_port_calls_redblack: { value: calls.total, unit: `calls (${calls.sideEffects} side effects)` },
    lb_added_latency_ms_p99: { value: lb, unit: 'ms', target: '< 2' },
    redblack_seconds_overhead: { value: redblack.overheadSeconds, unit: 's', target: '< 1' },
    failed_requests_during_redblack: { value: redblack.failed, unit: `requests (of ${redblack.sent})`, target: '<= 0' },
  };
}
