/**
 * The aws-ecs target on the AWS simulator: Spinnaker's ECS conformance red/black (Fargate, 3
 * tasks, min 2, one target group, scaleDown) through the step executor, over a cluster whose v000
 * serves. Run by bench/run.ts.
 *
 * - `aws_api_calls_per_redblack_ecs`: every AWS API call the deploy made, from the stage's first
 *   task to SUCCEEDED, as the simulator logged them (the executor's polling reads included; its
 *   poll intervals and the simulator's task and health-check timings fix how many). The unit
 *   says how many changed the account. For comparison, clouddriver's operations for the same
 *   deploy (reference/cloud-targets.md §3.2) make 14 calls, 7 of them changes: create =
 *   ListServices, DescribeServices (the name), DescribeServices, DescribeScalableTargets (the
 *   source), RegisterTaskDefinition, ListAccountSettings, DescribeTargetGroups, CreateService,
 *   RegisterScalableTarget; disable v000 = DescribeScalableTargets, RegisterScalableTarget,
 *   UpdateService; scaleDown = UpdateService, RegisterScalableTarget. Its waits read caches its
 *   agents fill by polling every account all the time, calls no per-deploy figure counts.
 *   Deterministic: simulated time, seeded ids.
 * - `sandbox_redblack_seconds_ecs`: the wall time of that deploy with the simulator's clock moved
 *   by the executor's waits, the median of 3.
 * - `aws_api_calls_per_bluegreen_ecs_native`: the same release as ECS's own BLUE_GREEN
 *   (deploymentMode ecs-native, no pause, no bake) over a v000 ECS deployed the same way: every
 *   call from the deploy's first task to SUCCEEDED, when ECS reports the deployment successful.
 */
import { performance } from 'node:perf_hooks';
import { ACCOUNT, conformanceStage, ecsStageRig, nativeStage, seedProduction, startEcsWorld, startNativeWorld } from '../test/support/aws-ecs-world.ts';
import { driveStage } from '../test/support/stage-driver.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

/** The account-changing actions among ECS's, Application Auto Scaling's and ELBv2's. */
const MUTATIONS = new Set(['RegisterTaskDefinition', 'DeregisterTaskDefinition', 'CreateService', 'UpdateService', 'DeleteService', 'TagResource', 'RegisterScalableTarget', 'DeregisterScalableTarget', 'RegisterTargets', 'DeregisterTargets']);

interface RedBlackRun {
  readonly calls: number;
  readonly changes: number;
  readonly byAction: Readonly<Record<string, number>>;
  readonly wallMs: number;
  readonly simulatedSeconds: number;
}

async function redBlack(): Promise<RedBlackRun> {
  const world = await startEcsWorld();
  try {
    await seedProduction(world);
    const before = world.sim.calls().at(-1)!.seq;
    const rig = ecsStageRig(world);
    const simulatedStart = world.sim.now();
    const started = performance.now();
    const result = await driveStage(conformanceStage('1.1.0'), rig.deploy, rig.clock);
    const wallMs = performance.now() - started;
    if (result.status !== 'SUCCEEDED') throw new Error(`the ECS red/black on account ${ACCOUNT} ended ${result.status}: ${result.message}`);
    const calls = world.sim.calls().filter((call) => call.seq > before);
    const failed = calls.filter((call) => call.status >= 400);
    if (failed.length > 0) throw new Error(`the ECS red/black made failing calls: ${failed.map((call) => `${call.action} ${call.errorCode ?? call.status}`).join(', ')}`);
    const byAction: Record<string, number> = {};
    for (const call of calls) byAction[`${call.service}:${call.action}`] = (byAction[`${call.service}:${call.action}`] ?? 0) + 1;
    return { calls: calls.length, changes: calls.filter((call) => MUTATIONS.has(call.action)).length, byAction, wallMs, simulatedSeconds: (world.sim.now() - simulatedStart) / 1000 };
  } finally {
    await world.close();
  }
}

/** The calls of one ECS native BLUE_GREEN deploy of v001 over v000 (both deployed by ECS itself). */
async function nativeBlueGreen(): Promise<{ readonly calls: number; readonly changes: number }> {
  const native = await startNativeWorld();
  try {
    const rig = ecsStageRig(native.world);
    const first = await driveStage(nativeStage(native, '1.0.0'), rig.deploy, rig.clock);
    if (first.status !== 'SUCCEEDED') throw new Error(`the ECS native v000 ended ${first.status}: ${first.message}`);
    const before = native.world.sim.calls().at(-1)!.seq;
    const result = await driveStage(nativeStage(native, '1.1.0'), rig.deploy, rig.clock);
    if (result.status !== 'SUCCEEDED') throw new Error(`the ECS native blue/green ended ${result.status}: ${result.message}`);
    const calls = native.world.sim.calls().filter((call) => call.seq > before);
    return { calls: calls.length, changes: calls.filter((call) => MUTATIONS.has(call.action)).length };
  } finally {
    await native.world.close();
  }
}

export async function run(): Promise<Record<string, Figure>> {
  const runs: RedBlackRun[] = [];
  for (let round = 0; round < 3; round += 1) runs.push(await redBlack());
  const first = runs[0]!;
  if (runs.some((other) => other.calls !== first.calls)) throw new Error(`the ECS red/black made ${runs.map((other) => other.calls).join(', ')} calls: it should be deterministic`);
  const breakdown = Object.entries(first.byAction)
    .sort(([, a], [, b]) => b - a)
    .map(([action, count]) => `${action} ${count}`)
    .join(', ');
  process.stderr.write(`  ECS red/black calls: ${breakdown}\n`);
  const wall = runs.map((other) => other.wallMs).sort((a, b) => a - b)[1]!;
  const blueGreen = await nativeBlueGreen();
  return {
    aws_api_calls_per_bluegreen_ecs_native: { value: blueGreen.calls, unit: `calls (${blueGreen.changes} changes: ECS moves the traffic, the pipeline reads its progress)` },
    aws_api_calls_per_redblack_ecs: { value: first.calls, unit: `calls (${first.changes} changes; clouddriver's operations alone: 14 calls, 7 changes)` },
    sandbox_redblack_seconds_ecs: { value: wall / 1000, unit: `s (${first.simulatedSeconds} s simulated)` },
  };
}
