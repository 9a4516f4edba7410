/**
 * Deploys to EC2 through the deploy core (core/stages: the step executor driven as the stage
 * runner drives it) and the aws-ec2 target, against the AWS simulator with the real SDK clients:
 * red/black makes clouddriver's calls in clouddriver's order (reference/cloud-targets.md §2.2);
 * red/black, rolling red/black (Spinnaker's mode and weighted mode), rollbackCluster,
 * rollbackServerGroup and highlander keep the load balancer at capacity.min healthy targets or
 * more at every instant, read from the simulator's event log; traffic guards refuse taking the
 * last enabled server group out, changing nothing; an answer lost after the
 * call took effect and a step delivered twice make one group and one launch template; throttling
 * is retried; a bad field, a denied call and a quota fail in one line, change nothing and leave
 * the old server group serving; a release that never turns healthy leaves it serving too. Time is the simulator's clock, moved by the stage
 * driver; nothing sleeps.
 */
import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { Target } from '../../core/ports/target.ts';
import { healthyTargetsOverTime, servingTargetsOverTime } from '../../sandbox/aws/elbv2-targets.ts';
import { redBlackStage, runEc2Stage, SDK_ATTEMPTS, startEc2World, type Ec2StageOptions, type Ec2World } from '../support/aws-ec2-world.ts';

const capacity = { min: 2, max: 2, desired: 2 };

/** The calls of a create and a disable, as clouddriver makes them; reads of progress left out. */
const DEPLOY_CALLS = new Set(['DescribeImages', 'DescribeTargetGroups', 'DescribeSubnets', 'CreateLaunchTemplate', 'CreateAutoScalingGroup', 'SuspendProcesses', 'ResumeProcesses', 'RegisterTargets', 'DeregisterTargets', 'DeleteAutoScalingGroup', 'DeleteLaunchTemplate', 'UpdateAutoScalingGroup', 'ModifyListener', 'ModifyRule']);

let world: Ec2World;
let target: Target;

beforeEach(async () => {
  world = await startEc2World();
  target = world.target();
});

afterEach(async () => {
  await world.close();
});

const run = (stage: JsonObject, options: Ec2StageOptions = {}) => runEc2Stage(world, target, stage, options);
const redBlack = (overrides: Record<string, unknown> = {}) => redBlackStage(world, overrides);

/** hello-prod-v000 as Spinnaker made it (no owner tag, clouddriver's template name), serving 2 healthy instances. */
async function seedSpinnakerGroup(): Promise<void> {
  const template = await world.clients.ec2.send(
    new CreateLaunchTemplateCommand({ LaunchTemplateName: 'hello-prod-v000-12012025000000', LaunchTemplateData: { ImageId: world.imageId, InstanceType: 'm5.large', SecurityGroupIds: [world.securityGroupId] } }),
  );
  await world.clients.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'hello-prod-v000',
      MinSize: 2,
      MaxSize: 2,
      DesiredCapacity: 2,
      LaunchTemplate: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '1' },
      VPCZoneIdentifier: world.subnetIds.join(','),
      TargetGroupARNs: [world.targetGroupArn],
      HealthCheckType: 'ELB',
    }),
  );
  world.advance(60_000, 5_000);
  expect(await healthyTargets()).toHaveLength(2);
}

/** The instances the shared target group holds healthy now, as ELBv2 answers. */
async function healthyTargets(): Promise<string[]> {
  const described = await world.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.targetGroupArn }));
  return (described.TargetHealthDescriptions ?? [])
    .filter((description) => description.TargetHealth?.State === 'healthy')
    .map((description) => description.Target!.Id!)
    .sort();
}

/** The instances of a group, from the simulator's state. */
function instancesOf(group: string): string[] {
  const snapshot = world.sim.snapshot().services as Record<string, { autoScalingGroups?: Array<{ name: string; instances?: Array<{ instanceId: string }> }> }>;
  return (snapshot['autoscaling']?.autoScalingGroups?.find((candidate) => candidate.name === group)?.instances ?? []).map((instance) => instance.instanceId).sort();
}

/**
 * The shared target group's count of healthy targets at every change after the first
 * `eventsBefore` events of the log (`healthyTargetsOverTime`, which replays the simulator's event
 * log), starting with the count it held then. The series of a prefix of the log is a prefix of
 * the whole log's series, so the part after it is what changed since.
 */
function healthySince(eventsBefore: number): number[] {
  const events = world.sim.events();
  const before = healthyTargetsOverTime(events.slice(0, eventsBefore), world.targetGroupArn);
  const since = healthyTargetsOverTime(events, world.targetGroupArn).slice(before.length);
  return [before.at(-1)?.healthy ?? 0, ...since.map((point) => point.healthy)];
}

/** The simulator's events of one kind about one Auto Scaling group, in order. */
function groupEvents(kind: string, group: string): Array<{ time: number; detail: Record<string, unknown> }> {
  return world.sim.events({ kind }).filter((event) => event.detail['group'] === group);
}

/** What the simulated world holds: groups (with suspended processes) and launch templates. */
function holdings(): { groups: string[]; templates: string[] } {
  const snapshot = world.sim.snapshot().services as Record<string, { autoScalingGroups?: Array<{ name: string; suspendedProcesses?: string[] }>; launchTemplates?: Array<{ name: string }> }>;
  return {
    groups: (snapshot['autoscaling']?.autoScalingGroups ?? []).map((group) => `${group.name}${(group.suspendedProcesses ?? []).includes('AddToLoadBalancer') ? ' (disabled)' : ''}`),
    templates: (snapshot['ec2']?.launchTemplates ?? []).map((template) => template.name),
  };
}

/** Marks v001's registered instances unhealthy after every step of the clock: a release whose health checks fail. */
function failNewTargets(): void {
  for (const instanceId of instancesOf('hello-prod-v001')) {
    try {
      world.sim.control('elasticloadbalancing', 'health', { targetGroup: world.targetGroupArn, targetId: instanceId, state: 'unhealthy' });
    } catch {
      // not registered yet: it will be on a later step
    }
  }
}

describe('a red/black deploy to EC2 through the deploy core', () => {
  it("makes clouddriver's calls in clouddriver's order, and the new group's instances register themselves", async () => {
    // given v000 made by Spinnaker, serving
    await seedSpinnakerGroup();
    const firstCall = world.sim.calls().length;
    // when
    const result = await run(redBlack());
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const calls = world.sim.calls().slice(firstCall);
    expect(calls.filter((call) => call.status >= 400)).toEqual([]);
    const acting = calls.map((call) => call.action).filter((action) => DEPLOY_CALLS.has(action));
    // clouddriver resolves subnets after creating the launch template; Gennaker resolves every input first, so a bad one changes nothing.
    expect(acting).toEqual(['DescribeImages', 'DescribeTargetGroups', 'DescribeSubnets', 'CreateLaunchTemplate', 'CreateAutoScalingGroup', 'SuspendProcesses', 'DeregisterTargets']);
    const suspended = world.sim.events({ kind: 'group.processes-suspended' });
    expect(suspended.map((event) => [event.detail['group'], event.detail['processes']])).toEqual([['hello-prod-v000', ['Launch', 'Terminate', 'AddToLoadBalancer']]]);
    expect(holdings().groups).toEqual(['hello-prod-v000 (disabled)', 'hello-prod-v001']);
    expect(result.record.outputs['deploy.server.groups']).toEqual({ 'us-east-1': ['hello-prod-v001'] });
  });

  it('never has fewer healthy targets than the desired count while traffic moves, and takes the old ones out only once the new ones are healthy', async () => {
    // given
    await seedSpinnakerGroup();
    const before = world.sim.events().length;
    const oldTargets = await healthyTargets();
    // when
    const result = await run(redBlack());
    // then
    expect(result.status).toBe('SUCCEEDED');
    const healthy = healthySince(before);
    expect(Math.min(...healthy)).toBeGreaterThanOrEqual(capacity.desired);
    // traffic moved: both groups served at once, then only the new one
    const firstDrop = healthy.findIndex((count, at) => at > 0 && count < healthy[at - 1]!);
    expect(healthy.slice(0, firstDrop)).toEqual([2, 3, 4]);
    expect(healthy.at(-1)).toBe(2);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v001'));
    expect((await healthyTargets()).some((id) => oldTargets.includes(id))).toBe(false);
  });

  it('with scaleDown scales the disabled v000 to 0: Terminate stays suspended, so its instances are terminated by the target and none replaced', async () => {
    // given
    await seedSpinnakerGroup();
    const oldInstances = instancesOf('hello-prod-v000');
    const firstCall = world.sim.calls().length;
    // when
    const result = await run(redBlack({ scaleDown: true }));
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const acting = world.sim.calls().slice(firstCall).map((call) => call.action).filter((action) => DEPLOY_CALLS.has(action) || action === 'UpdateAutoScalingGroup' || action === 'TerminateInstances');
    expect(acting.slice(-3)).toEqual(['DeregisterTargets', 'UpdateAutoScalingGroup', 'TerminateInstances']);
    expect(holdings().groups).toEqual(['hello-prod-v000 (disabled)', 'hello-prod-v001']);
    expect(instancesOf('hello-prod-v000')).toEqual([]);
    const terminated = world.sim.events({ kind: 'instance.shutting-down' }).map((event) => event.detail['instanceId']);
    expect(terminated.sort()).toEqual(oldInstances);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v001'));
  });

  it('rolls back with rollbackCluster: v000 takes traffic again before v001 leaves, with no instant below the desired count', async () => {
    // given v001 deployed with red/black beside a disabled v000
    await seedSpinnakerGroup();
    expect((await run(redBlack())).status).toBe('SUCCEEDED');
    world.advance(60_000, 5_000);
    const before = world.sim.events().length;
    // when
    const result = await run({ type: 'rollbackCluster', cloudProvider: 'aws', credentials: 'sandbox', regions: ['us-east-1'], cluster: 'hello-prod' });
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const healthy = healthySince(before);
    expect(Math.min(...healthy)).toBeGreaterThanOrEqual(capacity.desired);
    expect(Math.max(...healthy)).toBe(4);
    world.advance(60_000, 5_000);
    expect(holdings().groups).toEqual(['hello-prod-v000', 'hello-prod-v001 (disabled)']);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v000'));
  });
});

describe('a highlander deploy to EC2 through the deploy core', () => {
  it('destroys every older group and its launch template once the new one is healthy, with no instant below the desired count', async () => {
    // given v000 serving, and an older v001 made by this product and disabled
    await seedSpinnakerGroup();
    expect((await run(redBlack())).status).toBe('SUCCEEDED');
    expect((await run({ type: 'rollbackCluster', cloudProvider: 'aws', credentials: 'sandbox', regions: ['us-east-1'], cluster: 'hello-prod' })).status).toBe('SUCCEEDED');
    world.advance(60_000, 5_000);
    const before = world.sim.events().length;
    // when
    const result = await run(redBlack({ strategy: 'highlander' }));
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(Math.min(...healthySince(before))).toBeGreaterThanOrEqual(capacity.desired);
    world.advance(60_000, 5_000);
    expect(holdings()).toEqual({ groups: ['hello-prod-v002'], templates: ['hello-prod-v002'] });
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v002'));
    const deletes = world.sim.calls({ action: 'DeleteAutoScalingGroup' }).filter((call) => call.status === 200);
    expect(deletes).toHaveLength(2);
  });
});

describe("a rolling red/black deploy to EC2 in Spinnaker's mode (one shared target group)", () => {
  it('moves traffic by instance counts, half then all, never below capacity.min healthy targets', async () => {
    // given v000 serving 2 instances
    await seedSpinnakerGroup();
    const before = world.sim.events().length;
    const firstCall = world.sim.calls().length;
    // when
    const result = await run(redBlack({ strategy: 'rollingredblack', targetPercentages: [50] }));
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    // one v001 instance joins, one v000 instance leaves; then the second of each
    expect(healthySince(before)).toEqual([2, 3, 2, 3, 2]);
    expect(Math.min(...healthySince(before))).toBeGreaterThanOrEqual(capacity.min);
    const acting = world.sim.calls().slice(firstCall).map((call) => call.action).filter((action) => DEPLOY_CALLS.has(action));
    expect(acting.filter((action) => action === 'DeregisterTargets')).toHaveLength(2);
    expect(acting).not.toContain('ModifyListener');
    expect(acting).not.toContain('ModifyRule');
    // v000 keeps its instances (disabled, unpinned); v001 serves alone
    expect(holdings().groups).toEqual(['hello-prod-v000 (disabled)', 'hello-prod-v001']);
    expect(instancesOf('hello-prod-v000')).toHaveLength(2);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v001'));
  });

  it('fails within its timeout when the first share never turns healthy, and rolls back with v000 serving throughout', async () => {
    // given v000 serving, and a release whose instances fail their health checks
    await seedSpinnakerGroup();
    const before = world.sim.events().length;
    // when
    const result = await run(redBlack({ strategy: 'rollingredblack', targetPercentages: [50], waitForHealthyTimeoutSec: 120, healthCheckType: 'EC2', rollback: { onFailure: true } }), { after: failNewTargets });
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/hello-prod-v001 in us-east-1 did not become healthy within 120 s .*; rolled back: .*disabled hello-prod-v001 in us-east-1/);
    // the wait gave up at its timeout: the create and the resize before it take seconds, not minutes
    // the wait gave up at its timeout (it polls every few seconds): v001 left traffic 120 s after it was asked to grow
    const grown = groupEvents('group.updated', 'hello-prod-v001')[0]!;
    const pulled = groupEvents('group.processes-suspended', 'hello-prod-v001')[0]!;
    expect(grown.detail['desired']).toBe(1);
    expect(pulled.time - grown.time).toBeGreaterThanOrEqual(120_000);
    expect(pulled.time - grown.time).toBeLessThan(130_000);
    expect(Math.min(...healthySince(before))).toBeGreaterThanOrEqual(capacity.min);
    world.advance(60_000, 5_000);
    expect(holdings().groups).toEqual(['hello-prod-v000', 'hello-prod-v001 (disabled)']);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v000'));
  });

  it('in weighted mode, each group adds its own target group to the forward at weight 0, and what the listener serves never drops below capacity.min', async () => {
    // given v000 deployed in weighted mode (its own target group from the pool beside the shared one)
    const weighted = world.target({ weightedTraffic: true });
    for (const name of ['hello-pool-a', 'hello-pool-b']) world.targetGroup(name);
    const fields = { weightedTraffic: { listenerArn: world.listenerArn, targetGroups: ['hello-pool-a', 'hello-pool-b'] } };
    expect((await runEc2Stage(world, weighted, redBlack(fields))).status).toBe('SUCCEEDED');
    world.advance(60_000, 5_000);
    const before = world.sim.events().length;
    // when
    const result = await runEc2Stage(world, weighted, redBlack({ ...fields, strategy: 'rollingredblack', targetPercentages: [50] }));
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const events = world.sim.events();
    const serving = servingTargetsOverTime(events, world.listenerArn).slice(servingTargetsOverTime(events.slice(0, before), world.listenerArn).length - 1);
    expect(serving.map((point) => point.healthy)).toEqual([2, 3, 2, 3, 2]);
    expect(serving.flatMap((point) => point.starved)).toEqual([]);
    // the shared target group carries every request (Spinnaker's split by instance count); the pool waits at 0
    const forward = events.filter((event) => event.kind === 'weights.set' && event.detail['listenerArn'] === world.listenerArn).at(-1)!;
    const weights = (forward.detail['targetGroups'] as Array<{ targetGroupArn: string; weight: number }>).map((group) => `${group.targetGroupArn.split('/')[1]} ${group.weight}`);
    expect(weights.sort()).toEqual(['hello-pool-a 0', 'hello-pool-b 0', 'hello-shared 1']);
  });

  it('in weighted mode, a group holding an explicit weight hands it to the shared target group before its first share leaves', async () => {
    // given v000 in weighted mode holding every request through its own target group (weights set, e.g. by a canary)
    const weighted = world.target({ weightedTraffic: true });
    for (const name of ['hello-pool-a', 'hello-pool-b']) world.targetGroup(name);
    const fields = { weightedTraffic: { listenerArn: world.listenerArn, targetGroups: ['hello-pool-a', 'hello-pool-b'] } };
    expect((await runEc2Stage(world, weighted, redBlack(fields))).status).toBe('SUCCEEDED');
    expect(await weighted.traffic.setWeights({ account: 'sandbox', location: 'us-east-1', cluster: 'hello-prod' }, { 'hello-prod-v000': 100 }, { owner: 'e0/weights' })).toEqual({ ok: true, outcome: 'done' });
    world.advance(60_000, 5_000);
    const before = world.sim.events().length;
    // when
    const result = await runEc2Stage(world, weighted, redBlack({ ...fields, strategy: 'rollingredblack', targetPercentages: [50] }));
    // then v001's healthy instance takes requests before v000's first one leaves: never fewer than capacity.min serving
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const events = world.sim.events();
    const serving = servingTargetsOverTime(events, world.listenerArn).slice(servingTargetsOverTime(events.slice(0, before), world.listenerArn).length - 1);
    expect(serving.flatMap((point) => point.starved)).toEqual([]);
    expect(Math.min(...serving.map((point) => point.healthy))).toBeGreaterThanOrEqual(capacity.min);
    expect(serving.map((point) => point.healthy)).toEqual([2, 3, 2, 3, 2]);
  });
});

describe('rollbackServerGroup on EC2', () => {
  it('enables v000 and waits for its instances before v001 leaves, with no instant below capacity.min', async () => {
    // given v001 deployed with red/black beside a disabled v000, drained
    await seedSpinnakerGroup();
    expect((await run(redBlack())).status).toBe('SUCCEEDED');
    world.advance(60_000, 5_000);
    const before = world.sim.events().length;
    // when
    const result = await run({
      type: 'rollbackServerGroup',
      cloudProvider: 'aws',
      credentials: 'sandbox',
      regions: ['us-east-1'],
      rollbackType: 'EXPLICIT',
      rollbackContext: { rollbackServerGroupName: 'hello-prod-v001', restoreServerGroupName: 'hello-prod-v000' },
    });
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const healthy = healthySince(before);
    expect(Math.min(...healthy)).toBeGreaterThanOrEqual(capacity.min);
    expect(Math.max(...healthy)).toBe(4);
    expect(healthy.at(-1)).toBe(2);
    expect(holdings().groups).toEqual(['hello-prod-v000', 'hello-prod-v001 (disabled)']);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v000'));
  });
});

describe('traffic guards on EC2', () => {
  const trafficGuards = [{ account: 'sandbox', location: 'us-east-1', stack: 'prod', enabled: true }];
  const where = { cloudProvider: 'aws', credentials: 'sandbox', regions: ['us-east-1'] };

  it('let a red/black disable v000 once v001 is Up, then refuse every stage that would leave hello-prod without an enabled server group, changing nothing', async () => {
    // given a guarded hello-prod: v000 serving, then a red/black to v001 (disabling v000 leaves v001 Up: allowed)
    await seedSpinnakerGroup();
    expect((await run(redBlack(), { trafficGuards })).status).toBe('SUCCEEDED');
    world.advance(60_000, 5_000);
    const before = world.sim.events().length;
    const firstCall = world.sim.calls().length;
    const refusal = (what: string) => `This cluster ('hello-prod' in sandbox/us-east-1) has traffic guards enabled. ${what} would leave the cluster with no instances up.`;
    // when the last enabled server group would be disabled, destroyed or scaled to 0, or the cluster disabled
    const stages: Array<[JsonObject, string]> = [
      [{ type: 'disableServerGroup', ...where, cluster: 'hello-prod', target: 'current_asg_dynamic' }, refusal('Disabling [hello-prod-v001]')],
      [{ type: 'destroyServerGroup', ...where, serverGroupName: 'hello-prod-v001' }, refusal('Destroying [hello-prod-v001]')],
      [{ type: 'resizeServerGroup', ...where, serverGroupName: 'hello-prod-v001', action: 'scale_exact', capacity: { min: 0, max: 0, desired: 0 } }, refusal('Removal of all instances in [hello-prod-v001]')],
      [{ type: 'disableCluster', ...where, cluster: 'hello-prod', remainingEnabledServerGroups: 0 }, refusal('Running disableServerGroup on [hello-prod-v001]')],
    ];
    for (const [stage, message] of stages) {
      const result = await run(stage, { trafficGuards });
      // then each is refused with Orca's words
      expect(result.status, String(stage.type)).toBe('TERMINAL');
      expect(result.message, String(stage.type)).toContain(message);
    }
    // and nothing changed: no call but reads, v001 serving throughout
    const changes = world.sim.calls().slice(firstCall).filter((call) => /^(Create|Delete|Suspend|Resume|Register|Deregister|Update|Modify|Terminate|SetDesired)/.test(call.action));
    expect(changes).toEqual([]);
    expect(Math.min(...healthySince(before))).toBe(2);
    expect(holdings().groups).toEqual(['hello-prod-v000 (disabled)', 'hello-prod-v001']);
    // while the disabled v000, which serves nothing, may still go
    const destroyed = await run({ type: 'destroyServerGroup', ...where, serverGroupName: 'hello-prod-v000' }, { trafficGuards });
    expect(destroyed.message).toBeUndefined();
    expect(destroyed.status).toBe('SUCCEEDED');
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v001'));
  });
});

describe('failures of an EC2 deploy', () => {
  it('retries a throttled call inside the SDK, and a throttle that outlasts it through the state machine, creating one group', async () => {
    // given the first CreateAutoScalingGroup is throttled once, and every attempt of the first CreateLaunchTemplate
    await seedSpinnakerGroup();
    world.sim.inject({ service: 'autoscaling', action: 'CreateAutoScalingGroup', error: 'Throttling', times: 1 });
    world.sim.inject({ service: 'ec2', action: 'CreateLaunchTemplate', error: 'Throttling', times: SDK_ATTEMPTS });
    // when
    const result = await run(redBlack());
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toEqual(['Gennaker.TargetUnavailable']);
    expect(world.sim.calls({ action: 'CreateLaunchTemplate' }).slice(1).map((call) => call.errorCode ?? call.status)).toEqual(['RequestLimitExceeded', 'RequestLimitExceeded', 200]);
    expect(world.sim.calls({ action: 'CreateAutoScalingGroup' }).slice(1).map((call) => call.errorCode ?? call.status)).toEqual(['Throttling', 200]);
    expect(holdings().groups).toEqual(['hello-prod-v000 (disabled)', 'hello-prod-v001']);
  });

  it('makes one launch template and one group when the answers to both creates are lost after they took effect', async () => {
    // given the first answer of CreateLaunchTemplate is lost (the SDK retries with the same ClientToken), and every
    // answer of the first CreateAutoScalingGroup (the state machine delivers the step again)
    await seedSpinnakerGroup();
    world.sim.inject({ service: 'ec2', action: 'CreateLaunchTemplate', error: 'InternalError', status: 500, when: 'after' });
    world.sim.inject({ service: 'autoscaling', action: 'CreateAutoScalingGroup', error: 'Throttling', times: SDK_ATTEMPTS, when: 'after' });
    // when
    const result = await run(redBlack());
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toEqual(['Gennaker.TargetUnavailable']);
    expect(world.sim.calls({ action: 'CreateLaunchTemplate' }).slice(1).map((call) => call.errorCode ?? call.status)).toEqual(['InternalError', 200]);
    expect(world.sim.calls({ action: 'CreateAutoScalingGroup' }).slice(1).map((call) => call.errorCode ?? call.status)).toEqual(['Throttling', 'Throttling']);
    expect(world.sim.events({ kind: 'group.created' }).map((event) => event.detail['group'])).toEqual(['hello-prod-v000', 'hello-prod-v001']);
    expect(holdings()).toEqual({ groups: ['hello-prod-v000 (disabled)', 'hello-prod-v001'], templates: ['hello-prod-v000-12012025000000', 'hello-prod-v001'] });
  });

  it('makes one launch template and one group when every call of the stage is delivered twice at once', async () => {
    // given
    await seedSpinnakerGroup();
    const before = world.sim.events().length;
    // when
    const result = await run(redBlack(), { twice: true });
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(holdings()).toEqual({ groups: ['hello-prod-v000 (disabled)', 'hello-prod-v001'], templates: ['hello-prod-v000-12012025000000', 'hello-prod-v001'] });
    expect(world.sim.events({ kind: 'group.created' }).map((event) => event.detail['group'])).toEqual(['hello-prod-v000', 'hello-prod-v001']);
    expect(Math.min(...healthySince(before))).toBeGreaterThanOrEqual(capacity.desired);
  });

  it('makes one launch template and one group when the step that created them dies before saving, and is delivered again', async () => {
    // given
    await seedSpinnakerGroup();
    // when the first call acts and its write is lost
    const result = await run(redBlack(), { loseWritesOf: [1] });
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toContain('lost');
    expect(world.sim.calls({ action: 'CreateAutoScalingGroup' }).length).toBeGreaterThanOrEqual(2);
    expect(holdings()).toEqual({ groups: ['hello-prod-v000 (disabled)', 'hello-prod-v001'], templates: ['hello-prod-v000-12012025000000', 'hello-prod-v001'] });
  });

  it('fails on an AMI that does not exist in one line naming the field, the value and the fix, and creates nothing', async () => {
    // given
    await seedSpinnakerGroup();
    const held = holdings();
    // when
    const result = await run(redBlack({ artifact: { type: 'aws/image', reference: 'ami-0123456789abcdef0' } }));
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toContain('artifact reference is "ami-0123456789abcdef0" (aws/image); no image of that id exists in us-east-1; bake it, share it with the account, or fix the id');
    expect(result.message).not.toContain('\n');
    expect(holdings()).toEqual(held);
  });

  it("fails on a subnet that does not exist with AWS's reason in one line, and changes nothing", async () => {
    // given
    await seedSpinnakerGroup();
    const held = holdings();
    const firstCall = world.sim.calls().length;
    // when
    const result = await run(redBlack({ subnetType: undefined, subnetIds: ['subnet-0123456789abcdef0'] }));
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toContain("creating hello-prod-v001 in us-east-1 failed: finding subnets subnet-0123456789abcdef0 (provider field subnetIds) failed: AWS InvalidSubnetID.NotFound: The subnet ID 'subnet-0123456789abcdef0' does not exist");
    expect(result.message).not.toContain('\n');
    const changes = world.sim.calls().slice(firstCall).filter((call) => /^(Create|Delete|Suspend|Resume|Register|Deregister|Update|Modify|Terminate)/.test(call.action));
    expect(changes).toEqual([]);
    expect(holdings()).toEqual(held);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v000'));
  });

  it.each([
    [
      'EC2 denies the launch template',
      { service: 'ec2', action: 'CreateLaunchTemplate', error: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.' },
      "creating hello-prod-v001 in us-east-1 failed: creating launch template hello-prod-v001 failed: AWS UnauthorizedOperation: You are not authorized to perform this operation.; grant the deploy role this action (reference: the stack's IAM policy)",
    ],
    [
      'Auto Scaling denies the group',
      { service: 'autoscaling', action: 'CreateAutoScalingGroup', error: 'AccessDenied', status: 403, message: 'User: arn:aws:sts::123456789012:assumed-role/gennaker-deploy/e1 is not authorized to perform: autoscaling:CreateAutoScalingGroup' },
      "creating Auto Scaling group hello-prod-v001 failed: AWS AccessDenied: User: arn:aws:sts::123456789012:assumed-role/gennaker-deploy/e1 is not authorized to perform: autoscaling:CreateAutoScalingGroup; grant the deploy role this action (reference: the stack's IAM policy)",
    ],
    [
      'the account is at its Auto Scaling group quota',
      { service: 'autoscaling', action: 'CreateAutoScalingGroup', error: 'LimitExceeded', message: 'AutoScalingGroup limit exceeded. You have 200 AutoScalingGroups; the limit is 200.' },
      'creating Auto Scaling group hello-prod-v001 failed: AWS LimitExceeded: AutoScalingGroup limit exceeded. You have 200 AutoScalingGroups; the limit is 200.; raise the service quota or use fewer resources',
    ],
  ])("fails when %s with AWS's reason in one line, retrying nothing, changing nothing more, v000 serving", async (_what, fault, reason) => {
    // given v000 serving, and AWS refusing one call of the create
    await seedSpinnakerGroup();
    const held = holdings();
    const before = world.sim.events().length;
    world.sim.inject(fault);
    // when
    const result = await run(redBlack());
    // then the stage ends with AWS's words, the launch template made for a refused group is gone again, v000 never left traffic
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toContain(reason);
    expect(result.message).not.toContain('\n');
    expect(result.retried).toEqual([]);
    expect(world.sim.calls({ action: fault.action }).filter((call) => call.injected)).toHaveLength(1);
    expect(holdings()).toEqual(held);
    expect(Math.min(...healthySince(before))).toBeGreaterThanOrEqual(capacity.desired);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v000'));
  });

  it("fails on an instance type AWS refuses with AWS's reason, and takes back the launch template it made for it", async () => {
    // given AWS refuses the group (the simulator does not know instance types: the refusal is injected as AWS words it)
    await seedSpinnakerGroup();
    const held = holdings();
    const refusal = "The instance type 'm5.gigantic' is not supported. Launching EC2 instance failed.";
    world.sim.inject({ service: 'autoscaling', action: 'CreateAutoScalingGroup', error: 'ValidationError', message: refusal });
    // when
    const result = await run(redBlack({ instanceType: 'm5.gigantic' }));
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toContain(`creating hello-prod-v001 in us-east-1 failed: creating Auto Scaling group hello-prod-v001 failed: AWS ValidationError: ${refusal}`);
    expect(holdings()).toEqual(held);
    expect(await healthyTargets()).toHaveLength(2);
  });

  it('leaves the old server group serving when the new one never turns healthy', async () => {
    // given v000 serving, and a release whose instances fail their health checks
    await seedSpinnakerGroup();
    const before = world.sim.events().length;
    // when
    const result = await run(redBlack({ waitForHealthyTimeoutSec: 120, healthCheckType: 'EC2' }), { after: failNewTargets });
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/hello-prod-v001 in us-east-1 did not become healthy within 120 s \(0 of the 2 instances needed are Up; instances: Down, Down\)/);
    // it failed at its timeout (the wait polls every few seconds), counted from v001's creation
    const failedAfter = world.sim.now() - groupEvents('group.created', 'hello-prod-v001')[0]!.time;
    expect(failedAfter).toBeGreaterThanOrEqual(120_000);
    expect(failedAfter).toBeLessThan(130_000);
    expect(holdings().groups).toEqual(['hello-prod-v000', 'hello-prod-v001']);
    expect(world.sim.calls({ action: 'SuspendProcesses' })).toEqual([]);
    expect(Math.min(...healthySince(before))).toBeGreaterThanOrEqual(capacity.desired);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v000'));
  });

  it('with rollback.onFailure and destroyLatest takes the unhealthy group away, v000 serving throughout', async () => {
    // given
    await seedSpinnakerGroup();
    const before = world.sim.events().length;
    // when
    const result = await run(redBlack({ waitForHealthyTimeoutSec: 120, healthCheckType: 'EC2', rollback: { onFailure: true, destroyLatest: true } }), { after: failNewTargets });
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/did not become healthy within 120 s .*; rolled back: disabled hello-prod-v001 in us-east-1, destroyed hello-prod-v001 in us-east-1$/);
    world.advance(60_000, 5_000);
    expect(holdings()).toEqual({ groups: ['hello-prod-v000'], templates: ['hello-prod-v000-12012025000000'] });
    expect(Math.min(...healthySince(before))).toBeGreaterThanOrEqual(capacity.desired);
    expect(await healthyTargets()).toEqual(instancesOf('hello-prod-v000'));
  });
});
