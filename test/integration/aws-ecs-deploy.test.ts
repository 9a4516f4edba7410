/**
 * Spinnaker's ECS red/black (the conformance pipeline's cluster entry, its task definition
 * inline) through the step executor onto the aws-ecs target, against the AWS simulator: the
 * cloud calls follow clouddriver's order (reference/cloud-targets.md §3.2), the target group keeps
 * at least capacity.min healthy targets at every instant of the deploy and of its rollbacks (read
 * back from the simulator's event log), and cloud failures end the stage with the cloud's reason
 * on one line, changing nothing, or leave the old service serving. Traffic guards refuse taking
 * the last enabled service out; a rolling red/black that would disable a share of a service is
 * refused before any change (ECS scales a disabled service to 0).
 */
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import { createArtifactAccounts } from '../../adapters/artifacts/artifact-accounts.ts';
import { createMemoryArtifactAccount } from '../../adapters/artifacts/memory-artifact-account.ts';
import { healthyTargetsOverTime } from '../../sandbox/aws/elbv2-targets.ts';
import {
  ACCOUNT,
  CLUSTER,
  CLUSTER_REF as ref,
  conformanceStage,
  DEMO_TASK_DEFINITION,
  DEREGISTRATION_DELAY_MS,
  ECS_CLUSTER,
  embeddedTaskDefinition,
  ecsStageRig as rig,
  IMAGE_REPOSITORY,
  REGION,
  seedProduction,
  serverGroup,
  startEcsWorld,
  type EcsStageRig,
  type EcsWorld,
} from '../support/aws-ecs-world.ts';
import { driveStage } from '../support/stage-driver.ts';

/** Actions that change the account, in the order clouddriver makes them (reference §3.2). */
const MUTATIONS = new Set([
  'RegisterTaskDefinition',
  'CreateService',
  'RegisterScalableTarget',
  'UpdateService',
  'DeleteService',
  'DeregisterTaskDefinition',
  'DeregisterScalableTarget',
  'TagResource',
]);

/** `v001 enabled 3 Up`: each server group's state, oldest first. */
async function clusterView(world: EcsWorld): Promise<string[]> {
  const described = await world.target.serverGroups.describeCluster(ref);
  if (!described.ok) throw new Error(described.message);
  return described.cluster.serverGroups.map((group) => `${group.name} ${group.disabled ? 'disabled' : 'enabled'} ${group.instances.filter((instance) => instance.health === 'Up').length} Up`);
}

/** The account-changing calls since `from` (a call sequence number), as `service:Action`. */
function mutations(world: EcsWorld, from = 0): string[] {
  return world.sim
    .calls()
    .filter((call) => call.seq > from && MUTATIONS.has(call.action) && call.status < 300)
    .map((call) => call.action);
}

/** The services ECS created (its event log, so a create whose answer was lost counts too). */
function servicesCreated(world: EcsWorld): string[] {
  return world.sim
    .events({ kind: 'ecs.service' })
    .filter((event) => event.detail['status'] === 'ACTIVE')
    .map((event) => String(event.detail['service']));
}

/**
 * The fewest healthy targets the target group had after `since`: its state at `since` (after
 * every change of that instant), then each change the event log shows, one at a time.
 */
function fewestHealthy(world: EcsWorld, since: number): number {
  const series = healthyTargetsOverTime(world.sim.events(), world.targetGroupArn);
  const atStart = series.filter((point) => point.time <= since).at(-1)?.healthy ?? 0;
  return Math.min(atStart, ...series.filter((point) => point.time > since).map((point) => point.healthy));
}

let world: EcsWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('an ECS red/black through the step executor', () => {
  it('deploys v001 beside v000, waits for its targets, then scales v000 to 0, in clouddriver\'s call order', async () => {
    // given production v000 serving behind the target group
    world = await startEcsWorld();
    await seedProduction(world);
    const before = world.sim.calls().at(-1)!.seq;
    const start = world.sim.now();
    const r = rig(world);
    // when
    const result = await driveStage(conformanceStage('1.1.0'), r.deploy, r.clock);
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs['deploy.server.groups']).toEqual({ [REGION]: [`${CLUSTER}-v001`] });
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 disabled 0 Up`, `${CLUSTER}-v001 enabled 3 Up`]);
    // clouddriver's order: create (task definition, service, scalable target), disable v000
    // (suspend scaling, desired 0), scale v000 down (desired, then min and max).
    expect(mutations(world, before)).toEqual([
      'RegisterTaskDefinition',
      'CreateService',
      'RegisterScalableTarget',
      'RegisterScalableTarget',
      'UpdateService',
      'UpdateService',
      'RegisterScalableTarget',
    ]);
    // and the target group never served from fewer than capacity.min healthy targets, while
    // traffic moved: both versions' tasks took requests side by side before v000's drained
    expect(fewestHealthy(world, start)).toBeGreaterThanOrEqual(2);
    const healthy = healthyTargetsOverTime(world.sim.events(), world.targetGroupArn).filter((point) => point.time > start).map((point) => point.healthy);
    expect(Math.max(...healthy)).toBe(6);
    expect(healthy.at(-1)).toBe(3);
    const v001 = (await serverGroup(world, `${CLUSTER}-v001`))!;
    expect(v001).toMatchObject({ capacity: { min: 2, max: 6, desired: 3 }, launchConfig: { ecsClusterName: ECS_CLUSTER } });
  });

  it('refuses to enable a server group scaled down to max 0, since Spinnaker\'s enable scales to that max', async () => {
    // given the red/black above, whose scaleDown left v000 at 0/0/0
    world = await startEcsWorld();
    await seedProduction(world);
    const r = rig(world);
    expect((await driveStage(conformanceStage('1.1.0'), r.deploy, r.clock)).status).toBe('SUCCEEDED');
    expect((await serverGroup(world, `${CLUSTER}-v000`))!.capacity).toEqual({ min: 0, max: 0, desired: 0 });
    // when
    const enabled = await world.target.traffic.enable({ account: ACCOUNT, location: REGION, serverGroup: `${CLUSTER}-v000` }, { owner: 'e2/enable' });
    // then
    expect(enabled).toEqual({
      ok: false,
      reason: 'failed',
      message: `cannot enable ${CLUSTER}-v000: enabling an ECS service scales it to its scalable target's max, which is 0 (it was scaled down); resize it first, e.g. with a resizeServerGroup stage`,
    });
  });

  it('rolls the cluster back to v000 without a moment below capacity.min healthy targets', async () => {
    // given a finished red/black that kept v000 at its size (scaleDown off)
    world = await startEcsWorld();
    await seedProduction(world);
    const r = rig(world);
    const deployed = await driveStage(conformanceStage('1.1.0', { scaleDown: false }), r.deploy, r.clock);
    expect(deployed.status).toBe('SUCCEEDED');
    const start = world.sim.now();
    // when
    const rolledBack = await driveStage({ type: 'rollbackCluster', credentials: ACCOUNT, cluster: CLUSTER, regions: [REGION] }, r.cluster, r.clock);
    // then v000 is back in traffic at v001's size and v001 is out
    expect(rolledBack.status).toBe('SUCCEEDED');
    // (enable scales to the scalable target's max, 6; the rollback then resizes it to v001's 3)
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 enabled 3 Up`, `${CLUSTER}-v001 disabled 0 Up`]);
    expect(fewestHealthy(world, start)).toBeGreaterThanOrEqual(2);
  });

  it('creates one task definition and one service when the step executor loses each call\'s write after it acted, and delivers the call again', async () => {
    world = await startEcsWorld();
    await seedProduction(world);
    const before = world.sim.calls().at(-1)!.seq;
    const r = rig(world);
    const result = await driveStage(conformanceStage('1.1.0'), r.deploy, r.clock, { loseWritesOf: [1, 2, 3, 4, 5, 6, 7, 8] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried.filter((reason) => reason === 'lost')).toHaveLength(8);
    expect(mutations(world, before).filter((action) => action === 'CreateService' || action === 'RegisterTaskDefinition')).toEqual(['RegisterTaskDefinition', 'CreateService']);
    expect(servicesCreated(world)).toEqual([`${CLUSTER}-v000`, `${CLUSTER}-v001`]);
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 disabled 0 Up`, `${CLUSTER}-v001 enabled 3 Up`]);
  });

  it('acts once when every call is delivered twice at the same time', async () => {
    world = await startEcsWorld();
    await seedProduction(world);
    const before = world.sim.calls().at(-1)!.seq;
    const r = rig(world);
    const result = await driveStage(conformanceStage('1.1.0'), r.deploy, r.clock, { twice: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(mutations(world, before).filter((action) => action === 'CreateService' || action === 'RegisterTaskDefinition')).toEqual(['RegisterTaskDefinition', 'CreateService']);
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 disabled 0 Up`, `${CLUSTER}-v001 enabled 3 Up`]);
  });
});

describe('rolling red/black, rollbackServerGroup and traffic guards on ECS', () => {
  it('refuses a rolling red/black with a partial step before any change: a disabled ECS service is scaled to 0, so a share of it cannot leave traffic', async () => {
    // given production v000 (Spinnaker offers only redblack for ECS; clouddriver's disable ignores desiredPercentage)
    world = await startEcsWorld();
    await seedProduction(world);
    const before = world.sim.calls().at(-1)!.seq;
    const r = rig(world);
    // when
    const result = await driveStage(conformanceStage('1.1.0', { strategy: 'rollingredblack', targetPercentages: [50] }), r.deploy, r.clock);
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe(
      `stage 'Stage': clusters[0].targetPercentages is [50]; account '${ACCOUNT}' takes only whole server groups out of traffic, so a rolling red/black cannot disable 50% of ${CLUSTER}-v000; use the redblack strategy, or targetPercentages [100]`,
    );
    expect(mutations(world, before)).toEqual([]);
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 enabled 3 Up`]);
  });

  it('runs a rolling red/black in one step (targetPercentages [100]): v001 grows to full size before v000 leaves, never below capacity.min healthy targets', async () => {
    // given production v000
    world = await startEcsWorld();
    await seedProduction(world);
    const start = world.sim.now();
    const r = rig(world);
    // when
    const result = await driveStage(conformanceStage('1.1.0', { strategy: 'rollingredblack', targetPercentages: [100] }), r.deploy, r.clock);
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 disabled 0 Up`, `${CLUSTER}-v001 enabled 3 Up`]);
    expect(fewestHealthy(world, start)).toBeGreaterThanOrEqual(2);
    const healthy = healthyTargetsOverTime(world.sim.events(), world.targetGroupArn).filter((point) => point.time > start).map((point) => point.healthy);
    expect(Math.max(...healthy)).toBe(6);
    expect(healthy.at(-1)).toBe(3);
  });

  it('rolls v001 back to v000 with rollbackServerGroup without a moment below capacity.min healthy targets', async () => {
    // given a finished red/black that kept v000 at its size (scaleDown off)
    world = await startEcsWorld();
    await seedProduction(world);
    const r = rig(world);
    expect((await driveStage(conformanceStage('1.1.0', { scaleDown: false }), r.deploy, r.clock)).status).toBe('SUCCEEDED');
    const start = world.sim.now();
    // when
    const rolledBack = await driveStage(
      {
        type: 'rollbackServerGroup',
        credentials: ACCOUNT,
        regions: [REGION],
        rollbackType: 'EXPLICIT',
        rollbackContext: { rollbackServerGroupName: `${CLUSTER}-v001`, restoreServerGroupName: `${CLUSTER}-v000` },
      },
      r.rollbackServerGroup,
      r.clock,
    );
    // then
    expect(rolledBack.message).toBeUndefined();
    expect(rolledBack.status).toBe('SUCCEEDED');
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 enabled 3 Up`, `${CLUSTER}-v001 disabled 0 Up`]);
    expect(fewestHealthy(world, start)).toBeGreaterThanOrEqual(2);
  });

  it('lets a guarded red/black disable v000 once v001 is Up, then refuses every stage that would leave the cluster without an enabled server group, changing nothing', async () => {
    // given a guarded cluster: production v000, then a red/black to v001
    const trafficGuards = [{ account: ACCOUNT, location: REGION, stack: 'prod', detail: 'ecsdemo', enabled: true }];
    world = await startEcsWorld();
    await seedProduction(world);
    const r = rig(world, world.target, trafficGuards);
    expect((await driveStage(conformanceStage('1.1.0'), r.deploy, r.clock)).status).toBe('SUCCEEDED');
    const before = world.sim.calls().at(-1)!.seq;
    const start = world.sim.now();
    const where = { credentials: ACCOUNT, regions: [REGION] };
    const refusal = (what: string) => `This cluster ('${CLUSTER}' in ${ACCOUNT}/${REGION}) has traffic guards enabled. ${what} would leave the cluster with no instances up.`;
    // when the last enabled server group would be disabled, destroyed or scaled to 0, or the cluster disabled
    const stages: Array<[JsonObject, EcsStageRig['deploy'], string]> = [
      [{ type: 'disableServerGroup', ...where, cluster: CLUSTER, target: 'current_asg_dynamic' }, r.serverGroup, refusal(`Disabling [${CLUSTER}-v001]`)],
      [{ type: 'destroyServerGroup', ...where, serverGroupName: `${CLUSTER}-v001` }, r.serverGroup, refusal(`Destroying [${CLUSTER}-v001]`)],
      [{ type: 'resizeServerGroup', ...where, serverGroupName: `${CLUSTER}-v001`, action: 'scale_exact', capacity: { min: 0, max: 0, desired: 0 } }, r.serverGroup, refusal(`Removal of all instances in [${CLUSTER}-v001]`)],
      [{ type: 'disableCluster', ...where, cluster: CLUSTER, remainingEnabledServerGroups: 0 }, r.cluster, refusal(`Running disableServerGroup on [${CLUSTER}-v001]`)],
    ];
    for (const [stage, task, message] of stages) {
      const result = await driveStage(stage, task, r.clock);
      // then each is refused with Orca's words
      expect(result.status, String(stage.type)).toBe('TERMINAL');
      expect(result.message, String(stage.type)).toContain(message);
    }
    // and nothing changed: v001 serves throughout
    expect(mutations(world, before)).toEqual([]);
    expect(fewestHealthy(world, start)).toBe(3);
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 disabled 0 Up`, `${CLUSTER}-v001 enabled 3 Up`]);
    // while v000, out of traffic, may still go
    const destroyed = await driveStage({ type: 'destroyServerGroup', ...where, serverGroupName: `${CLUSTER}-v000` }, r.serverGroup, r.clock);
    expect(destroyed.message).toBeUndefined();
    expect(destroyed.status).toBe('SUCCEEDED');
  });
});

describe('creating a service, call by call', () => {
  it('reads every name first, then makes clouddriver\'s three changes', async () => {
    world = await startEcsWorld();
    const created = await world.target.serverGroups.create({ ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 2, max: 6, desired: 3 }, provider: world.provider() });
    expect(created).toEqual({ ok: true, outcome: 'done' });
    expect(world.sim.calls().map((call) => `${call.service}:${call.action}`)).toEqual([
      'ecs:DescribeServices',
      'ec2:DescribeSubnets',
      'ec2:DescribeSecurityGroups',
      'elasticloadbalancing:DescribeTargetGroups',
      'ecs:ListAccountSettings',
      'ecs:DescribeTaskDefinition',
      'ecs:RegisterTaskDefinition',
      'ecs:CreateService',
      'application-autoscaling:RegisterScalableTarget',
    ]);
  });

  it('finishes a create whose scalable target was never registered when the same owner asks again', async () => {
    // given a create whose last call (RegisterScalableTarget) stayed throttled past the SDK's retries
    world = await startEcsWorld();
    world.sim.inject({ service: 'application-autoscaling', action: 'RegisterScalableTarget', error: 'Throttling', times: 3 });
    const request = { ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 2, max: 6, desired: 3 }, provider: world.provider() };
    expect(await world.target.serverGroups.create(request)).toMatchObject({ ok: false, reason: 'unavailable' });
    // when the step runs again
    expect(await world.target.serverGroups.create(request)).toEqual({ ok: true, outcome: 'done' });
    // then one service, one task definition, and the scalable target holds min and max
    expect(mutations(world)).toEqual(['RegisterTaskDefinition', 'CreateService', 'RegisterScalableTarget']);
    expect((await serverGroup(world, `${CLUSTER}-v000`))!.capacity).toEqual({ min: 2, max: 6, desired: 3 });
    expect(await world.target.serverGroups.create(request)).toEqual({ ok: true, outcome: 'already-done' });
  });

  it('creates one service when CreateService takes effect but its answer is lost: the SDK sends it again with the same clientToken', async () => {
    // given ECS creates the service, then the answer is lost (a 500 on the way back)
    world = await startEcsWorld();
    world.sim.inject({ service: 'ecs', action: 'CreateService', error: 'ServerException', status: 500, when: 'after' });
    // when
    const created = await world.target.serverGroups.create({ ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 2, max: 6, desired: 3 }, provider: world.provider() });
    // then the retried request found the service it made: one service, one task definition
    expect(created).toEqual({ ok: true, outcome: 'done' });
    expect(world.sim.calls({ service: 'ecs', action: 'CreateService' }).map((call) => call.status)).toEqual([500, 200]);
    expect(servicesCreated(world)).toEqual([`${CLUSTER}-v000`]);
    expect(mutations(world)).toEqual(['RegisterTaskDefinition', 'CreateService', 'RegisterScalableTarget']);
  });

  it('creates one service when every answer of CreateService is lost and the step runs again', async () => {
    // given ECS creates the service and each of the SDK's three attempts loses its answer
    world = await startEcsWorld();
    world.sim.inject({ service: 'ecs', action: 'CreateService', error: 'ServerException', status: 500, when: 'after', times: 3 });
    const request = { ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 2, max: 6, desired: 3 }, provider: world.provider() };
    expect(await world.target.serverGroups.create(request)).toMatchObject({ ok: false, reason: 'unavailable' });
    // when the step executor runs the step again
    expect(await world.target.serverGroups.create(request)).toEqual({ ok: true, outcome: 'done' });
    // then it found its own service and finished it: one service, one task definition, min and max set
    expect(servicesCreated(world)).toEqual([`${CLUSTER}-v000`]);
    expect(world.sim.events({ kind: 'ecs.task-definition' }).filter((event) => event.detail['status'] === 'ACTIVE')).toHaveLength(1);
    expect((await serverGroup(world, `${CLUSTER}-v000`))!.capacity).toEqual({ min: 2, max: 6, desired: 3 });
  });

  it('refuses a Fargate entry that logs to awslogs when the account has no execution role, before any call', async () => {
    world = await startEcsWorld();
    const target = world.targetWith({ executionRoleArn: undefined });
    const created = await target.serverGroups.create({ ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 1, max: 1, desired: 1 }, provider: world.provider() });
    expect(created).toEqual({
      ok: false,
      reason: 'invalid',
      message: `provider field logDriver is "awslogs"; Fargate tasks need an execution role to write to CloudWatch Logs, and the aws-ecs target of account '${ACCOUNT}' has none; configure the account's executionRoleArn, or remove logDriver`,
    });
    expect(world.sim.calls()).toEqual([]);
  });

  it('refuses an ecs-native entry whose alternate target group does not exist, naming the field, changing nothing', async () => {
    world = await startEcsWorld();
    const created = await world.target.serverGroups.create({
      ...ref,
      name: `${CLUSTER}-v000`,
      owner: 'e1/deploy/create',
      capacity: { min: 1, max: 1, desired: 1 },
      provider: world.provider({
        deploymentMode: 'ecs-native',
        ecsNativeDeployment: {
          strategy: 'BLUE_GREEN',
          alternateTargetGroup: 'green',
          productionListenerRule: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:listener-rule/app/a/1/2/3',
          roleArn: 'arn:aws:iam::123456789012:role/ecsInfrastructureRole',
        },
      }),
    });
    expect(created).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('provider field ecsNativeDeployment.alternateTargetGroup is "green"') });
    expect(world.sim.calls().filter((call) => !/^(Describe|List)/.test(call.action))).toEqual([]);
  });

  it.each([
    ['ClusterNotFoundException', { ecsClusterName: 'no-such-cluster' }, undefined, 'invalid'],
    ['AccessDeniedException', {}, { service: 'ecs', action: 'RegisterTaskDefinition', error: 'AccessDeniedException', message: 'not authorized' }, 'failed'],
    ['ClientException', {}, { service: 'ecs', action: 'RegisterTaskDefinition', error: 'ClientException', message: 'Unable to assume role' }, 'failed'],
    ['InvalidParameterException', {}, { service: 'ecs', action: 'CreateService', error: 'InvalidParameterException', message: 'bad' }, 'invalid'],
    ['ServerException (500)', {}, { service: 'ecs', action: 'RegisterTaskDefinition', error: 'ServerException', status: 500, message: 'oops', times: 3 }, 'unavailable'],
  ] as const)('answers %s as %s', async (_code, overrides, fault, reason) => {
    world = await startEcsWorld();
    if (fault) world.sim.inject(fault);
    const created = await world.target.serverGroups.create({ ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 1, max: 1, desired: 1 }, provider: world.provider(overrides) });
    expect(created).toMatchObject({ ok: false, reason });
    if (!created.ok) expect(created.message).toMatch(new RegExp(`answered ${_code.split(' ')[0]}`));
  });
});

describe('a task definition read through an artifact account', () => {
  const reference = 'https://api.github.com/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json';
  const artifactEntry = (world: EcsWorld, artifact: Record<string, unknown>) =>
    world.provider({
      useTaskDefinitionArtifact: true,
      resolvedTaskDefinitionArtifact: artifact,
      taskDefinitionArtifactAccount: 'my-github-artifact-account',
      containerMappings: [{ containerName: 'v001', dockerImageAddress: `${IMAGE_REPOSITORY}:2.0.0` }],
      targetGroupMappings: [{ containerName: 'v001', containerPort: 80, targetGroup: 'spinnaker-ecs-demo-tg' }],
    });

  it('reads the artifact first, then registers it with the mapped image, as clouddriver does with what it downloaded', async () => {
    world = await startEcsWorld();
    const account = createMemoryArtifactAccount({ name: 'my-github-artifact-account' });
    account.put({ type: 'github/file', reference, version: 'master' }, JSON.stringify(DEMO_TASK_DEFINITION));
    const target = world.targetWith({ artifacts: createArtifactAccounts({ accounts: { 'my-github-artifact-account': account } }) });
    const created = await target.serverGroups.create({ ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 1, max: 1, desired: 1 }, provider: artifactEntry(world, { type: 'github/file', reference, version: 'master' }) });
    expect(created).toEqual({ ok: true, outcome: 'done' });
    const registered = await world.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: CLUSTER }));
    expect(registered.taskDefinition?.containerDefinitions?.map((container) => [container.name, container.image])).toEqual([['v001', `${IMAGE_REPOSITORY}:2.0.0`]]);
    expect(registered.taskDefinition?.cpu).toBe('256');
  });

  it('fails an artifact its account cannot answer before any cloud call, with the account\'s words', async () => {
    world = await startEcsWorld();
    const target = world.targetWith({ artifacts: createArtifactAccounts({ accounts: {} }) });
    const created = await target.serverGroups.create({ ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 1, max: 1, desired: 1 }, provider: artifactEntry(world, { type: 'github/file', reference }) });
    expect(created).toEqual({
      ok: false,
      reason: 'invalid',
      message: "provider field resolvedTaskDefinitionArtifact: artifact account 'my-github-artifact-account' is not configured (known: none); configure it, or name a known account in artifactAccount",
    });
    // Without an artifact port only inline task definitions deploy.
    const without = await world.target.serverGroups.create({ ...ref, name: `${CLUSTER}-v000`, owner: 'e1/deploy/create', capacity: { min: 1, max: 1, desired: 1 }, provider: artifactEntry(world, { type: 'github/file', reference }) });
    expect(without).toMatchObject({ ok: false, reason: 'unsupported', message: expect.stringContaining(`account '${ACCOUNT}' reads no artifact accounts`) });
    expect(world.sim.calls()).toEqual([]);
  });
});

describe('describing the cluster', () => {
  it('reads a serving service with six calls, and lists stopping tasks only while the target group drains them', async () => {
    // given production v000 serving
    world = await startEcsWorld();
    await seedProduction(world);
    // when it serves, describe makes one call of each read
    let before = world.sim.calls().at(-1)!.seq;
    expect((await serverGroup(world, `${CLUSTER}-v000`))!.instances.map((instance) => instance.health)).toEqual(['Up', 'Up', 'Up']);
    const reads = (from: number) => world!.sim.calls().filter((call) => call.seq > from).map((call) => call.action);
    expect(reads(before)).toEqual(['ListServices', 'DescribeServices', 'DescribeScalableTargets', 'DescribeTargetHealth', 'ListTasks', 'DescribeTasks']);
    // when it is disabled, its tasks drain for the target group's deregistration delay
    expect(await world.target.traffic.disable({ account: ACCOUNT, location: REGION, serverGroup: `${CLUSTER}-v000` }, { owner: 'e1/disable' })).toEqual({ ok: true, outcome: 'done' });
    world.sim.tick(DEREGISTRATION_DELAY_MS - 1_000);
    before = world.sim.calls().at(-1)!.seq;
    const draining = (await serverGroup(world, `${CLUSTER}-v000`))!;
    expect(draining).toMatchObject({ disabled: true, draining: true });
    expect(draining.instances.map((instance) => [instance.health, instance.draining])).toEqual([
      ['Down', true],
      ['Down', true],
      ['Down', true],
    ]);
    // (nothing is meant to run at desired 0: the stopping tasks are listed because targets drain)
    expect(reads(before)).toEqual(['ListServices', 'DescribeServices', 'DescribeScalableTargets', 'DescribeTargetHealth', 'ListTasks', 'DescribeTasks']);
    // then, drained, it has no instance and describe no longer lists tasks (the cluster list is
    // read again: it is kept a minute)
    world.sim.tick(60_000);
    before = world.sim.calls().at(-1)!.seq;
    const drained = (await serverGroup(world, `${CLUSTER}-v000`))!;
    expect(drained).toMatchObject({ disabled: true, instances: [] });
    expect(drained.draining).toBeUndefined();
    expect(reads(before)).toEqual(['ListClusters', 'ListServices', 'DescribeServices', 'DescribeScalableTargets', 'DescribeTargetHealth']);
  });
});

describe('cloud failures during an ECS deploy', () => {
  it('retries a throttled first call inside the SDK, and the deploy never notices', async () => {
    world = await startEcsWorld();
    const r = rig(world);
    world.sim.inject({ error: 'Throttling', times: 1 });
    const result = await driveStage(conformanceStage('1.0.0'), r.deploy, r.clock);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toEqual([]);
    const [first, second] = world.sim.calls();
    expect(first).toMatchObject({ errorCode: 'ThrottlingException', injected: true });
    expect(second).toMatchObject({ action: first!.action, status: 200 });
  });

  it('retries a throttle that outlasts the SDK through the executor, registering one task definition and one service', async () => {
    world = await startEcsWorld();
    const r = rig(world);
    world.sim.inject({ service: 'ecs', action: 'CreateService', error: 'Throttling', times: 3 });
    const result = await driveStage(conformanceStage('1.0.0'), r.deploy, r.clock);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toEqual(['Gennaker.TargetUnavailable']);
    expect(mutations(world).filter((action) => action === 'CreateService' || action === 'RegisterTaskDefinition')).toEqual(['RegisterTaskDefinition', 'CreateService']);
  });

  it.each([
    [
      'an ECS cluster that does not exist',
      { ecsClusterName: 'no-such-cluster' },
      'provider field ecsClusterName is "no-such-cluster"; create the ECS cluster or fix the name: ECS DescribeServices answered ClusterNotFoundException: Cluster not found.',
    ],
    [
      'a subnet that does not exist',
      { subnetType: '', subnets: ['subnet-0deadbeef'] },
      /^provider field subnets is \["subnet-0deadbeef"\]; list subnets of the region: EC2 DescribeSubnets answered InvalidSubnetID\.NotFound: .*subnet-0deadbeef[^;]*$/,
    ],
    [
      'a subnet purpose no subnet has',
      { subnetType: 'dmz' },
      'provider field subnetType is "dmz"; no subnet in us-west-2 (zones us-west-2a, us-west-2b) is tagged immutable_metadata {"purpose": "dmz"}; tag the subnets or set another purpose',
    ],
    [
      'a target group that does not exist',
      { targetGroupMappings: [{ containerName: 'v001', containerPort: 80, targetGroup: 'no-such-tg' }] },
      /^provider field targetGroupMappings\[0\]\.targetGroup is "no-such-tg"; name a target group of the region: Elastic Load Balancing DescribeTargetGroups answered TargetGroupNotFoundException: One or more target groups not found$/,
    ],
    [
      'a task definition ECS refuses',
      { taskDefinitionArtifact: embeddedTaskDefinition({ ...DEMO_TASK_DEFINITION, cpu: undefined }) },
      `provider field taskDefinitionArtifact.artifact holds a task definition ECS refuses ({"family":"ecs-demo","networkMode":"awsvpc","requiresCompatibilities":["FARGATE…); fix it as ECS says: ECS RegisterTaskDefinition answered ClientException: Fargate requires that 'cpu' be defined at the task level.`,
    ],
    [
      'a target group port the task definition does not map',
      { targetGroupMappings: [{ containerName: 'v001', containerPort: 8080, targetGroup: 'spinnaker-ecs-demo-tg' }] },
      'provider field targetGroupMappings[0].containerPort is 8080; container "v001" of the task definition (taskDefinitionArtifact.artifact) maps 80; add 8080 to its portMappings or use a mapped port',
    ],
  ])('fails on %s with the cloud\'s reason on one line, changing nothing', async (_what, overrides, message) => {
    // given production v000
    world = await startEcsWorld();
    await seedProduction(world);
    const before = world.sim.calls().at(-1)!.seq;
    const r = rig(world);
    // when
    const result = await driveStage(conformanceStage('1.1.0', overrides), r.deploy, r.clock);
    // then
    expect(result.status).toBe('TERMINAL');
    const prefix = "stage 'Stage': creating ecsapp-prod-ecsdemo-v001 in us-west-2 failed: ";
    const suffix = '; no rollback applies at this step (Spinnaker rolls back red/black only when the new server group fails to come up), so ecsapp-prod-ecsdemo-v001 is left as it is';
    expect(result.message!.startsWith(prefix) && result.message!.endsWith(suffix)).toBe(true);
    const reason = result.message!.slice(prefix.length, -suffix.length);
    expect(reason).not.toMatch(/\n/);
    if (typeof message === 'string') expect(reason).toBe(message);
    else expect(reason).toMatch(message);
    expect(mutations(world, before)).toEqual([]);
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 enabled 3 Up`]);
  });

  it('fails a deploy whose tasks never turn healthy within its timeout, and leaves v000 serving', async () => {
    // given production v000, and a release whose containers crash
    world = await startEcsWorld();
    await seedProduction(world);
    world.sim.control('ecs', 'image', { image: `${IMAGE_REPOSITORY}:1.1.0`, behaviour: 'crash' });
    const start = world.sim.now();
    const r = rig(world);
    // when
    const result = await driveStage(conformanceStage('1.1.0', { waitForHealthyTimeoutSec: 120 }), r.deploy, r.clock);
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/^stage 'Stage': ecsapp-prod-ecsdemo-v001 in us-west-2 did not become healthy within 120 s \(0 of the 3 instances needed are Up/);
    expect(result.message).toMatch(/rolled back: disabled ecsapp-prod-ecsdemo-v001 in us-west-2$/);
    // it gave up at its timeout (the wait polls every few seconds), counted from v001's creation
    const created = world.sim.events({ kind: 'ecs.service' }).find((event) => event.detail['service'] === `${CLUSTER}-v001` && event.detail['status'] === 'ACTIVE')!;
    expect(world.sim.now() - created.time).toBeGreaterThanOrEqual(120_000);
    expect(world.sim.now() - created.time).toBeLessThan(130_000);
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 enabled 3 Up`, `${CLUSTER}-v001 disabled 0 Up`]);
    expect(fewestHealthy(world, start)).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['refuses access', 'AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/spinnaker is not authorized to perform: ecs:CreateService'],
    ['refuses a service over the account\'s quota', 'ClientException', 'You have reached the limit on the number of services you can create in this cluster (5000).'],
  ])('fails when ECS %s, with its message on one line, retrying nothing, changing nothing after the task definition, v000 serving', async (_what, code, message) => {
    world = await startEcsWorld();
    await seedProduction(world);
    const before = world.sim.calls().at(-1)!.seq;
    const start = world.sim.now();
    world.sim.inject({ service: 'ecs', action: 'CreateService', error: code, message });
    const r = rig(world);
    const result = await driveStage(conformanceStage('1.1.0'), r.deploy, r.clock);
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe(
      `stage 'Stage': creating ecsapp-prod-ecsdemo-v001 in us-west-2 failed: ECS CreateService answered ${code}: ${message}; no rollback applies at this step (Spinnaker rolls back red/black only when the new server group fails to come up), so ecsapp-prod-ecsdemo-v001 is left as it is`,
    );
    expect(result.retried).toEqual([]);
    // clouddriver too registers the task definition revision first; nothing follows the refused CreateService
    expect(mutations(world, before)).toEqual(['RegisterTaskDefinition']);
    expect(await clusterView(world)).toEqual([`${CLUSTER}-v000 enabled 3 Up`]);
    expect(fewestHealthy(world, start)).toBeGreaterThanOrEqual(3);
  });
});
