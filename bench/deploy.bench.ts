/**
 * Deploy benchmarks on the local target (real processes of examples/service behind the real
 * load balancer):
 * - `lb_added_latency_ms_p99`: the p99 latency of GET / through the cluster's load balancer
 *   minus the p99 straight to the instance, both at 500 requests/s over keep-alive connections.
 *   Both runs alternate in short rounds so machine noise hits them alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalDeployTarget, type LocalDeployTarget } from '../adapters/targets/local/local-deploy-target.ts';
import type { ClusterRef } from '../core/ports/deploy-target.ts';
import { percentile, runLoad } from '../local/load-generator.ts';

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

export async function run(): Promise<Record<string, Figure>> {
  const lb = await lbAddedLatency();
  return {
    lb_added_latency_ms_p99: { value: lb, unit: 'ms', target: '< 2' },
  };
}
