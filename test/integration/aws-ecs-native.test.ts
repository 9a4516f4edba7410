/**
 * The aws-ecs target's ecs-native mode against the AWS simulator: one ECS service per cluster,
 * deployed by ECS's own BLUE_GREEN and CANARY with a PAUSE lifecycle hook the pipeline answers.
 * The deploy stage ends while the new revision waits at the hook; continueServiceDeployment lets
 * ECS shift production traffic, or sends it back, and the listener rule never forwards production
 * traffic to a target group without healthy targets. A revision ECS rolls back on its own fails
 * the deploy stage with ECS's reason; a repeated create starts one deployment only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import { runContinueServiceDeploymentTask } from '../../core/stages/continue-service-deployment.ts';
import type { TaskInput } from '../../core/stages/task-result.ts';
import type { ContinueServiceDeploymentStage } from '../../core/pipeline/stage-types/index.ts';
import { servingTargetsOverTime } from '../../sandbox/aws/elbv2-targets.ts';
import { ACCOUNT, CLUSTER, CLUSTER_REF, ecsStageRig, nativeStage, REGION, startNativeWorld, type EcsWorld, type NativeWorld } from '../support/aws-ecs-world.ts';
import { driveStage, guardedApplications } from '../support/stage-driver.ts';

const continueStage = (action: 'continue' | 'rollback'): JsonObject => ({ type: 'continueServiceDeployment', credentials: ACCOUNT, cluster: CLUSTER, regions: [REGION], action });

/** `v001 100% 3 Up paused`: each revision's production weight, Up tasks and rollout state, oldest first. */
async function view(world: EcsWorld): Promise<string[]> {
  const described = await world.target.serverGroups.describeCluster(CLUSTER_REF);
  if (!described.ok) throw new Error(described.message);
  return described.cluster.serverGroups.map(
    (group) => `${group.name.slice(CLUSTER.length + 1)} ${group.trafficWeight}% ${group.instances.filter((instance) => instance.health === 'Up').length} Up${group.rollout ? ` ${group.rollout.state}` : ''}`,
  );
}

/** Runs a continueServiceDeployment stage's tasks on the world. */
function continueTask(world: EcsWorld) {
  const deps = { targets: ({ account }: { account: string }) => (account === ACCOUNT ? world.target : undefined), applications: guardedApplications(undefined), accounts: () => [ACCOUNT] };
  const taskDeps = { children: { start: async () => ({ ok: false as const, message: 'none' }) }, store: { getExecution: async () => undefined } };
  return (input: TaskInput) => runContinueServiceDeploymentTask(input as TaskInput<ContinueServiceDeploymentStage>, deps, taskDeps, 1_000);
}

let native: NativeWorld | undefined;
afterEach(async () => {
  await native?.world.close();
  native = undefined;
});

/** The calls since `from` that change the account. */
const changes = (world: EcsWorld, from: number) => world.sim.calls().filter((call) => call.seq > from && !/^(Describe|List)/.test(call.action) && call.status < 300).map((call) => call.action);

describe('ECS native blue/green answered by the pipeline', () => {
  it('pauses after test traffic, goes on or rolls back on the pipeline\'s word, never leaves production without healthy targets, and fails a revision ECS rolls back with its reason', async () => {
    native = await startNativeWorld();
    const { world } = native;
    const r = ecsStageRig(world);
    const answer = continueTask(world);
    // the first version: ECS creates the service and its deployment runs to the end
    const first = await driveStage(nativeStage(native, '1.0.0'), r.deploy, r.clock);
    expect(first.status, first.message).toBe('SUCCEEDED');
    expect(await view(world)).toEqual(['v000 100% 3 Up succeeded']);
    const start = world.sim.now();

    // v001 waits after test traffic shifted: the deploy stage ends there (every call delivered twice: one deployment)
    const before = world.sim.calls().at(-1)!.seq;
    const second = await driveStage(nativeStage(native, '1.1.0', { pauseAt: ['POST_TEST_TRAFFIC_SHIFT'] }), r.deploy, r.clock, { twice: true });
    expect(second.status, second.message).toBe('SUCCEEDED');
    expect(second.record.outputs['deploy.server.groups']).toEqual({ [REGION]: [`${CLUSTER}-v001`] });
    expect(changes(world, before)).toEqual(['RegisterTaskDefinition', 'UpdateService']);
    expect(await view(world)).toEqual(['v000 100% 3 Up', 'v001 0% 3 Up paused']);

    // continue: ECS shifts production to v001 and removes v000 (twice delivered: one answer)
    const answered = world.sim.calls().at(-1)!.seq;
    const continued = await driveStage(continueStage('continue'), answer, r.clock, { twice: true });
    expect(continued.status, continued.message).toBe('SUCCEEDED');
    expect(changes(world, answered)).toEqual(['ContinueServiceDeployment']);
    expect(await view(world)).toEqual(['v001 100% 3 Up succeeded']);

    // v002 as a CANARY: it waits while it takes 10% of production, and the pipeline rolls it back: v001 keeps serving
    const third = await driveStage(nativeStage(native, '1.2.0', { strategy: 'CANARY', canaryPercent: 10, canaryBakeTimeInMinutes: 5, pauseAt: ['PRODUCTION_TRAFFIC_SHIFT'] }), r.deploy, r.clock);
    expect(third.status, third.message).toBe('SUCCEEDED');
    expect(await view(world)).toEqual(['v001 90% 3 Up', 'v002 10% 3 Up paused']);
    const rolledBack = await driveStage(continueStage('rollback'), answer, r.clock);
    expect(rolledBack.status, rolledBack.message).toBe('SUCCEEDED');
    expect(await view(world)).toEqual(['v001 100% 3 Up', 'v002 0% 0 Up rolled-back']);

    // nothing waits now: a continueServiceDeployment says so and changes nothing
    const idle = await driveStage(continueStage('continue'), answer, r.clock);
    expect(idle.status).toBe('TERMINAL');
    expect(idle.message).toBe(
      `stage 'Stage': no deployment of cluster '${CLUSTER}' in ${REGION} waits at a lifecycle hook (${CLUSTER}-v002 rolled-back at PRODUCTION_TRAFFIC_SHIFT); deploy with ecsNativeDeployment.pauseAt naming the lifecycle stage to wait at, and run this stage while it waits`,
    );

    // traffic between revisions is ECS's: a disable of one says so and changes nothing
    const v001 = { account: ACCOUNT, location: REGION, serverGroup: `${CLUSTER}-v001` };
    const refusals = [
      await world.target.traffic.disable(v001, { owner: 'e8/disable' }),
      await world.target.traffic.enable(v001, { owner: 'e8/enable' }),
      await world.target.serverGroups.resize(v001, { min: 1, max: 1, desired: 1 }, { owner: 'e8/resize' }),
      await world.target.serverGroups.destroy(v001, { owner: 'e8/destroy' }),
    ];
    for (const refused of refusals) expect(refused).toMatchObject({ ok: false, reason: 'unsupported', message: expect.stringContaining(`${CLUSTER}-v001 is a revision of the ecs-native service ${CLUSTER}`) });

    // a revision whose tasks crash: ECS's circuit breaker rolls it back and the deploy stage fails with ECS's reason
    world.sim.seed.ecs.image({ image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images:9.9.9', behaviour: 'crash' });
    const broken = await driveStage(nativeStage(native, '9.9.9'), r.deploy, r.clock);
    expect(broken.status).toBe('TERMINAL');
    expect(broken.message).toMatch(new RegExp(`^stage 'Stage': ${CLUSTER}-v003 in ${REGION}: ECS (is rolling|rolled) the deployment back to the previous revision: .*circuit breaker`));
    expect((await view(world)).filter((line) => line.includes('100%'))).toEqual(['v001 100% 3 Up']);

    // production traffic always had healthy targets: the groups the rule weighs served at least capacity.min
    expect(world.sim.events().filter((event) => event.kind === 'ecs.traffic' && event.time >= start).map((event) => event.detail['productionWeight'])).toContain(100);
    const series = servingTargetsOverTime(world.sim.events(), world.listenerArn, native.ruleArn);
    // the state the deploys began in, and every change after
    const serving = [...series.filter((point) => point.time < start).slice(-1), ...series.filter((point) => point.time >= start)];
    for (const point of serving) {
      expect(point.starved, `starved groups at ${point.time}`).toEqual([]);
      expect(point.healthy, `healthy production targets at ${point.time}`).toBeGreaterThanOrEqual(2);
    }

    // a Spinnaker strategy would fight ECS over the traffic: refused before any call
    const calls = world.sim.calls().at(-1)!.seq;
    const provider = { ...(nativeStage(native, '1.3.0').clusters as JsonObject[])[0]!, strategy: 'redblack' };
    const refused = await world.target.serverGroups.create({ ...CLUSTER_REF, name: `${CLUSTER}-v004`, owner: 'e9/deploy/create', capacity: { min: 2, max: 6, desired: 3 }, provider });
    expect(refused).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('provider field strategy is "redblack"; with deploymentMode "ecs-native" ECS shifts the traffic itself') });
    expect(world.sim.calls().filter((call) => call.seq > calls)).toEqual([]);
  });
});
