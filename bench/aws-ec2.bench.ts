/**
 * EC2 red/black on the AWS simulator (sandbox/aws) through the deploy core and the aws-ec2 target,
 * with the real SDK clients:
 * - `aws_api_calls_per_redblack_ec2`: every AWS API call (the simulator's call log) of one
 *   red/black of 2 instances over a serving v000, from the first describe to the old group
 *   disabled. Deterministic: the simulator is seeded and its clock moves only with the deploy's
 *   polls. For comparison, clouddriver's operations for the same deploy (reference/cloud-targets.md
 *   §2.2) make 11 calls (DescribeImages, DescribeTargetGroups, DescribeSecurityGroups,
 *   CreateLaunchTemplate, DescribeSubnets, CreateAutoScalingGroup, UpdateAutoScalingGroup;
 *   DescribeAutoScalingGroups, SuspendProcesses, DescribeInstances, DeregisterTargets), but its
 *   waits read caches that its agents fill by polling every account and region all the time,
 *   calls no per-deploy figure counts.
 * - `sandbox_redblack_seconds_ec2`: the wall time of that deploy, the simulator's clock moved as
 *   fast as the deploy polls.
 */
import { performance } from 'node:perf_hooks';
import { runEc2Stage, redBlackStage, startEc2World } from '../test/support/aws-ec2-world.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

/** Runs the measured red/black once, over a v000 deployed by the same pipeline before it. */
async function redBlackOnce(): Promise<{ calls: number; acting: number; seconds: number; simulatedSeconds: number }> {
  const world = await startEc2World();
  try {
    const target = world.target();
    const first = await runEc2Stage(world, target, redBlackStage(world));
    if (first.status !== 'SUCCEEDED') throw new Error(`deploying v000 failed: ${first.message}`);
    world.advance(60_000, 5_000);
    const before = world.sim.calls().length;
    const simulatedStart = world.sim.now();
    const started = performance.now();
    const second = await runEc2Stage(world, target, redBlackStage(world));
    const seconds = (performance.now() - started) / 1000;
    if (second.status !== 'SUCCEEDED') throw new Error(`the red/black failed: ${second.message}`);
    const calls = world.sim.calls().slice(before);
    const failed = calls.filter((call) => call.status >= 400);
    if (failed.length > 0) throw new Error(`the red/black made failing calls: ${failed.map((call) => `${call.action} ${call.errorCode ?? call.status}`).join(', ')}`);
    return {
      calls: calls.length,
      acting: calls.filter((call) => !/^Describe/.test(call.action)).length,
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
    aws_api_calls_per_redblack_ec2: { value: calls, unit: `calls (${acting} not Describe*; clouddriver's operations alone: 11)` },
    sandbox_redblack_seconds_ec2: { value: seconds, unit: `s (${simulatedSeconds} s simulated)` },
  };
}
