/**
 * GCE red/black on the GCE simulator (sandbox/gce) through the deploy core and the gce target, with
 * the real `@google-cloud/compute` clients:
 * - `gce_api_calls_per_redblack`: every Compute Engine API call (the simulator's call log) of one
 *   red/black of 2 instances behind a backend service over a serving v000, from the first read to
 *   the old group out of the backend service. Deterministic: the simulator is seeded and its clock
 *   moves only with the deploy's polls. clouddriver's own operations for the same deploy
 *   (reference/cloud-targets.md §5.2) are instanceTemplates.insert, instanceGroupManagers.insert,
 *   autoscalers.insert, backendServices.get + update with their operations' waits, then for the
 *   disable autoscalers.update and backendServices.get + update; its waits read caches its agents
 *   fill by polling every project all the time, which no per-deploy figure counts.
 * - `sandbox_redblack_seconds_gce`: the wall time of that deploy, the clock moved as fast as it polls.
 */
import { performance } from 'node:perf_hooks';
import { redBlackStage, runGceStage, startGceWorld } from '../test/support/gce-world.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

/** Runs the measured red/black once, over a v000 deployed by the same pipeline before it. */
async function redBlackOnce(): Promise<{ calls: number; acting: number; seconds: number; simulatedSeconds: number }> {
  const world = await startGceWorld({ operationMs: 2_000, waitMs: 1_000 });
  try {
    const target = world.target();
    const first = await runGceStage(world, target, redBlackStage(world, { artifact: { type: 'gce/image', reference: world.imageUrl } }));
    if (first.status !== 'SUCCEEDED') throw new Error(`deploying v000 failed: ${first.message}`);
    world.sim.tick(60_000);
    const before = world.sim.calls().length;
    const simulatedStart = world.sim.now();
    const started = performance.now();
    const second = await runGceStage(world, target, redBlackStage(world));
    const seconds = (performance.now() - started) / 1000;
    if (second.status !== 'SUCCEEDED') throw new Error(`the red/black failed: ${second.message}`);
    const calls = world.sim.calls().slice(before);
    const failed = calls.filter((call) => call.status >= 400);
    if (failed.length > 0) throw new Error(`the red/black made failing calls: ${failed.map((call) => `${call.method} ${call.path} ${call.status}`).join(', ')}`);
    return {
      calls: calls.length,
      acting: calls.filter((call) => call.method !== 'GET' && !call.path.includes('/operations/') && !/listManagedInstances|getHealth/.test(call.path)).length,
      seconds,
      simulatedSeconds: (world.sim.now() - simulatedStart) / 1000,
    };
  } finally {
    await world.close();
  }
}

/** The figures; the call count is the same every run, the wall time is the median of 3. */
export async function run(): Promise<Record<string, Figure>> {
  const runs = [await redBlackOnce(), await redBlackOnce(), await redBlackOnce()];
  const counts = new Set(runs.map((one) => one.calls));
  if (counts.size !== 1) throw new Error(`the call count changed between identical deploys: ${[...counts].join(', ')}`);
  const { calls, acting, simulatedSeconds } = runs[0]!;
  const seconds = runs.map((one) => one.seconds).sort((a, b) => a - b)[1]!;
  return {
    gce_api_calls_per_redblack: { value: calls, unit: `calls (${acting} mutations; the rest reads and operation waits)` },
    sandbox_redblack_seconds_gce: { value: seconds, unit: `s (${simulatedSeconds} s simulated)` },
  };
}
