/**
 * Deploys to EC2 through the deploy core (core/stages: the step executor driven as the stage
 * runner drives it) and the aws-ec2 target, against the AWS simulator with the real SDK clients:
 * red/black makes clouddriver's calls in clouddriver's order (reference/cloud-targets.md §2.2);
 * red/black, rollbackCluster and highlander keep the target group at the desired count of
 * healthy targets at every instant, read from the simulator's event log; an answer lost after the
 * call took effect and a step delivered twice make one group and one launch template; throttling
 * is retried; a bad field fails in one line and changes nothing; a release that never turns
 * healthy leaves the old server group serving. Time is the simulator's clock, moved by the stage
 * driver; nothing sleeps.
 */
import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { Target } from '../../core/ports/target.ts';
import { healthyTargetsOverTime } from '../../sandbox/aws/elbv2-targets.ts';
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

/** What the simulated world holds: groups (with suspended processes) and launch templates. */
function holdings(): { groups: string[]; templates: string[] } {
  const snapshot = world.sim.snapshot().services as Record<string, { autoScalingGroups?: Array<{ name: string; suspendedProcesses?: string[] }>; launchTemplates?: Array<{ name: string }> }>;
  return {
    groups: (snapshot['autoscaling']?.autoScalingGroups ?? []).map((group) => `${group.name}${(group.suspendedProcesses ?? []).includes('AddToLoadBalancer') ? ' (disabled)' : ''}`),
    templates: (snapshot['ec2']?.launchTemplates ?? []).map((template) => template.name),
  };
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

  /** Marks v001's registered instances unhealthy after every step of the clock: a release whose health checks fail. */
  const failNewTargets = () => {
    for (const instanceId of instancesOf('hello-prod-v001')) {
      try {
        world.sim.control('elasticloadbalancing', 'health', { targetGroup: world.targetGroupArn, targetId: instanceId, state: 'unhealthy' });
      } catch {
        // not registered yet: it will be on a later step
      }
    }
  };

  it('leaves the old server group serving when the new one never turns healthy', async () => {
    // given v000 serving, and a release whose instances fail their health checks
    await seedSpinnakerGroup();
    const before = world.sim.events().length;
    // when
    const result = await run(redBlack({ waitForHealthyTimeoutSec: 120, healthCheckType: 'EC2' }), { after: failNewTargets });
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/hello-prod-v001 in us-east-1 did not become healthy within 120 s \(0 of the 2 instances needed are Up; instances: Down, Down\)/);
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
