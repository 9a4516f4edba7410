/**
 * The simulated Auto Scaling, driven by the real SDK client: the capture of reference
 * cloud-targets §2.3 parses without holes, the reconciler launches and registers instances,
 * suspended processes behave as Spinnaker's enable/disable relies on, ForceDelete, strict
 * validation, pagination, and the SDK's own waiters terminate against the simulated clock.
 */
import {
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  paginateDescribeAutoScalingGroups,
  ResumeProcessesCommand,
  SetDesiredCapacityCommand,
  SuspendProcessesCommand,
  UpdateAutoScalingGroupCommand,
  CreateAutoScalingGroupCommand,
  waitUntilGroupInService,
  waitUntilGroupNotExists,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { fastWaiter, holes, seedWorld } from './aws-world.ts';

let sim: AwsSimulator;
let world: ReturnType<typeof seedWorld>;
beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 11 });
  world = seedWorld(sim);
});
afterEach(async () => {
  await sim.close();
});

const describeGroup = async (name: string) => (await world.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
const targets = async () =>
  ((await world.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.targetGroupArn }))).TargetHealthDescriptions ?? []).map((d) => [d.Target?.Id, d.TargetHealth?.State]);

/** DescribeAutoScalingGroups as the SDK parsed the hand-written capture (reference §2.3). */
const CAPTURED_GROUPS = {
  AutoScalingGroups: [
    {
      AutoScalingGroupName: 'app-prod-v001',
      MinSize: 1,
      MaxSize: 3,
      DesiredCapacity: 2,
      DefaultCooldown: 10,
      AvailabilityZones: ['us-east-1a'],
      HealthCheckType: 'ELB',
      CreatedTime: new Date('2026-01-01T00:00:00.000Z'),
      Instances: [{ InstanceId: 'i-1', AvailabilityZone: 'us-east-1a', LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: false }],
      TargetGroupARNs: ['arn:tg'],
      SuspendedProcesses: [{ ProcessName: 'Launch', SuspensionReason: 'User suspended' }],
      Tags: [{ ResourceId: 'app-prod-v001', ResourceType: 'auto-scaling-group', Key: 'k', Value: 'v', PropagateAtLaunch: true }],
    },
  ],
  NextToken: 'tok2',
};

describe('simulated Auto Scaling', () => {
  it('answers DescribeAutoScalingGroups with every field of the reference capture, and $metadata.requestId', async () => {
    await world.createGroup('app-prod-v001');
    await world.createGroup('app-prod-v002');
    sim.tick(30_000);
    await world.autoscaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'app-prod-v001', ScalingProcesses: ['Launch'] }));
    const out = await world.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['app-prod-v001', 'app-prod-v002'], MaxRecords: 1 }));
    expect(holes(out, CAPTURED_GROUPS)).toEqual([]);
    expect(out.$metadata.requestId).toBeDefined();
    const group = out.AutoScalingGroups![0]!;
    expect(group).toMatchObject({
      AutoScalingGroupName: 'app-prod-v001',
      MinSize: 1,
      MaxSize: 3,
      DesiredCapacity: 2,
      AvailabilityZones: ['us-east-1a', 'us-east-1b'],
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 600,
      CreatedTime: new Date('2026-01-01T00:00:00.000Z'),
      TargetGroupARNs: [world.targetGroupArn],
      VPCZoneIdentifier: `${world.subnetA.subnetId},${world.subnetB.subnetId}`,
      SuspendedProcesses: [{ ProcessName: 'Launch', SuspensionReason: 'User suspended at 2026-01-01T00:00:30Z' }],
      Tags: [{ ResourceId: 'app-prod-v001', ResourceType: 'auto-scaling-group', Key: 'spinnaker:application', Value: 'app', PropagateAtLaunch: true }],
    });
    expect(group.Instances!.map((i) => [i.AvailabilityZone, i.LifecycleState, i.HealthStatus])).toEqual([
      ['us-east-1a', 'InService', 'Healthy'],
      ['us-east-1b', 'InService', 'Healthy'],
    ]);
    expect(group.Status).toBeUndefined();
  });

  it('launches instances Pending → InService after the boot time, tags them, and registers them in the target group', async () => {
    await world.createGroup('app-v001');
    expect((await describeGroup('app-v001'))!.Instances!.map((i) => i.LifecycleState)).toEqual(['Pending', 'Pending']);
    expect(await targets()).toEqual([]);
    sim.tick(29_999);
    expect((await describeGroup('app-v001'))!.Instances!.map((i) => i.LifecycleState)).toEqual(['Pending', 'Pending']);
    sim.tick(1);
    const group = await describeGroup('app-v001');
    expect(group!.Instances!.map((i) => i.LifecycleState)).toEqual(['InService', 'InService']);
    const ids = group!.Instances!.map((i) => i.InstanceId);
    expect(await targets()).toEqual(ids.map((id) => [id, 'initial']));
    const instances = await world.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: ['app-v001'] }] }));
    expect(instances.Reservations!.flatMap((r) => r.Instances!.map((i) => [i.InstanceId, i.State?.Name, i.Tags]))).toEqual(
      ids.map((id) => [id, 'running', [{ Key: 'spinnaker:application', Value: 'app' }, { Key: 'aws:autoscaling:groupName', Value: 'app-v001' }]]),
    );
    const activities = await world.autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'app-v001' }));
    expect(activities.Activities!.map((a) => [a.Description, a.StatusCode, a.Progress])).toEqual(
      expect.arrayContaining(ids.map((id) => [`Launching a new EC2 instance: ${id}`, 'Successful', 100])),
    );
  });

  it('terminates waitUntilGroupInService once the clock passes the boot time', async () => {
    await world.createGroup('app-v001');
    const waiting = waitUntilGroupInService({ client: world.autoscaling, ...fastWaiter }, { AutoScalingGroupNames: ['app-v001'] });
    await sim.nextCall({ action: 'DescribeAutoScalingGroups' });
    sim.tick(30_000);
    expect((await waiting).state).toBe('SUCCESS');
    expect(sim.calls({ action: 'DescribeAutoScalingGroups' }).length).toBeGreaterThanOrEqual(2);
  });

  it('disables as Spinnaker does: suspended Launch/Terminate/AddToLoadBalancer plus deregistration drains, and nothing is replaced or registered', async () => {
    await world.createGroup('app-v001', { desired: 2 });
    sim.tick(30_000 + 150_000);
    const ids = (await describeGroup('app-v001'))!.Instances!.map((i) => i.InstanceId!);
    expect(await targets()).toEqual(ids.map((id) => [id, 'healthy']));
    // disable (reference §2.2 "Enable / disable")
    await world.autoscaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'app-v001', ScalingProcesses: ['Launch', 'Terminate', 'AddToLoadBalancer'] }));
    await world.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: world.targetGroupArn, Targets: ids.map((Id) => ({ Id })) }));
    expect(await targets()).toEqual(ids.map((id) => [id, 'draining']));
    sim.tick(59_999);
    expect(await targets()).toEqual(ids.map((id) => [id, 'draining']));
    sim.tick(1);
    expect(await targets()).toEqual([]);
    // Launch suspended: a higher desired capacity launches nothing; Terminate suspended: a lower one terminates nothing.
    await world.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'app-v001', DesiredCapacity: 3 }));
    sim.tick(60_000);
    expect((await describeGroup('app-v001'))!.Instances).toHaveLength(2);
    await world.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'app-v001', DesiredCapacity: 1 }));
    sim.tick(60_000);
    expect((await describeGroup('app-v001'))!.Instances!.map((i) => i.LifecycleState)).toEqual(['InService', 'InService']);
    // Launch resumed, AddToLoadBalancer still suspended: the new instance comes up but is not registered.
    await world.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'app-v001', DesiredCapacity: 3 }));
    await world.autoscaling.send(new ResumeProcessesCommand({ AutoScalingGroupName: 'app-v001', ScalingProcesses: ['Launch'] }));
    sim.tick(30_000);
    const group = await describeGroup('app-v001');
    expect(group!.Instances!.map((i) => i.LifecycleState)).toEqual(['InService', 'InService', 'InService']);
    expect(group!.SuspendedProcesses!.map((p) => p.ProcessName)).toEqual(['Terminate', 'AddToLoadBalancer']);
    expect(await targets()).toEqual([]);
    // Resuming AddToLoadBalancer does not register instances launched while it was suspended (AWS's rule).
    await world.autoscaling.send(new ResumeProcessesCommand({ AutoScalingGroupName: 'app-v001', ScalingProcesses: ['Terminate', 'AddToLoadBalancer'] }));
    sim.tick(1_000);
    expect(await targets()).toEqual([]);
  });

  it('scales in by deregistering, waiting for the drain, then terminating the instance', async () => {
    await world.createGroup('app-v001', { min: 1, desired: 2 });
    sim.tick(180_000);
    await world.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'app-v001', DesiredCapacity: 1 }));
    sim.tick(0);
    const states = async () => (await describeGroup('app-v001'))!.Instances!.map((i) => i.LifecycleState!).sort();
    expect(await states()).toEqual(['InService', 'Terminating']);
    expect((await targets()).map(([, state]) => state!).sort()).toEqual(['draining', 'healthy']);
    sim.tick(60_000);
    expect(await states()).toEqual(['InService', 'Terminating']);
    sim.tick(10_000);
    expect(await states()).toEqual(['InService']);
    expect((await targets()).map(([, state]) => state)).toEqual(['healthy']);
  });

  it('replaces an instance its target group reports unhealthy past the grace period (HealthCheckType ELB)', async () => {
    await world.createGroup('app-v001', { desired: 1, grace: 300 });
    sim.tick(180_000);
    const [first] = (await describeGroup('app-v001'))!.Instances!.map((i) => i.InstanceId!);
    sim.control('elasticloadbalancing', 'health', { targetGroup: 'app-tg', targetId: first, state: 'unhealthy' });
    sim.tick(60_000);
    expect((await targets())[0]).toEqual([first, 'unhealthy']);
    // grace period: launched at t=0, 300 s; the target turned unhealthy at t=240 s
    expect((await describeGroup('app-v001'))!.Instances!.map((i) => i.HealthStatus)).toEqual(['Healthy']);
    sim.tick(60_000);
    const group = await describeGroup('app-v001');
    expect(group!.Instances!.map((i) => [i.InstanceId === first, i.LifecycleState, i.HealthStatus])).toEqual([
      [true, 'Terminating', 'Unhealthy'],
      [false, 'Pending', 'Healthy'],
    ]);
  });

  it('force-deletes: Status "Delete in progress" until the next tick, then gone, its instances terminating; waitUntilGroupNotExists ends', async () => {
    await world.createGroup('app-v001');
    sim.tick(30_000);
    const ids = (await describeGroup('app-v001'))!.Instances!.map((i) => i.InstanceId!);
    const refused = await world.autoscaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'app-v001' })).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'ResourceInUseFault', Code: 'ResourceInUse', $metadata: { httpStatusCode: 400 } });
    await world.autoscaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'app-v001', ForceDelete: true }));
    expect((await describeGroup('app-v001'))!.Status).toBe('Delete in progress');
    const pending = await world.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'app-v001', DesiredCapacity: 2 })).catch((e: unknown) => e);
    expect(pending).toMatchObject({ name: 'ValidationError', message: 'AutoScalingGroup app-v001 is pending delete.' });
    const waiting = waitUntilGroupNotExists({ client: world.autoscaling, ...fastWaiter }, { AutoScalingGroupNames: ['app-v001'] });
    await sim.nextCall({ action: 'DescribeAutoScalingGroups' });
    sim.tick(1_000);
    expect((await waiting).state).toBe('SUCCESS');
    expect(await describeGroup('app-v001')).toBeUndefined();
    const instances = await world.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    expect(instances.Reservations!.map((r) => r.Instances![0]!.State!.Name)).toEqual(['shutting-down', 'shutting-down']);
    expect(sim.events({ kind: 'group.deleted' }).map((e) => e.time - sim.events({ kind: 'group.deleting' })[0]!.time)).toEqual([1_000]);
  });

  it('refuses a second group of the same name with AlreadyExists (AlreadyExistsFault in the SDK)', async () => {
    await world.createGroup('app-v001');
    const error = await world.autoscaling
      .send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'app-v001', MinSize: 1, MaxSize: 1, LaunchTemplate: { LaunchTemplateName: 'app-v001-01012026000000' }, VPCZoneIdentifier: world.subnetA.subnetId }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AlreadyExistsFault', Code: 'AlreadyExists', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect((error as Error).message).toBe('AutoScalingGroup by this name already exists - A group with the name app-v001 already exists');
  });

  it('fails unknown subnets, launch templates and target groups with ValidationError; a missing group on update too; describe of a missing group is empty', async () => {
    const lt = await world.ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'lt-x-01', LaunchTemplateData: { ImageId: world.imageId, InstanceType: 't3.micro' } }));
    const base = { AutoScalingGroupName: 'app-v009', MinSize: 1, MaxSize: 1, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId!, Version: '$Latest' }, VPCZoneIdentifier: world.subnetA.subnetId };
    const cases: [Record<string, unknown>, string][] = [
      [{ VPCZoneIdentifier: 'subnet-0123456789abcdef0' }, "The subnet ID 'subnet-0123456789abcdef0' does not exist"],
      [{ LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '1' } }, 'The specified launch template, with template ID lt-0123456789abcdef0, does not exist.'],
      [{ LaunchTemplate: { LaunchTemplateName: 'nope', Version: '1' } }, 'The specified launch template, with template name nope, does not exist.'],
      [{ TargetGroupARNs: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef'] }, 'Provided Target Groups may not be valid. Please ensure they exist and try again.'],
      [{ MinSize: 3, MaxSize: 1 }, 'Max bound, 1, must be greater than or equal to min bound, 3'],
      [{ LaunchTemplate: undefined }, 'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.'],
    ];
    for (const [override, message] of cases) {
      const error = await world.autoscaling.send(new CreateAutoScalingGroupCommand({ ...base, ...override } as never)).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ValidationError', message, $metadata: { httpStatusCode: 400 } });
    }
    const update = await world.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'ghost', MinSize: 0 })).catch((e: unknown) => e);
    expect(update).toMatchObject({ name: 'ValidationError', message: 'AutoScalingGroup name not found - AutoScalingGroup ghost not found' });
    expect((await world.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ghost'] }))).AutoScalingGroups).toEqual([]);
  });

  it('records a launch EC2 refuses (unknown AMI) as a Failed activity and keeps retrying', async () => {
    const lt = await world.ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'bad-ami', LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0', InstanceType: 'm5.large' } }));
    await world.autoscaling.send(
      new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'app-v002', MinSize: 1, MaxSize: 1, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId! }, VPCZoneIdentifier: world.subnetA.subnetId }),
    );
    sim.tick(60_000);
    const activities = (await world.autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'app-v002' }))).Activities!;
    expect(activities.map((a) => [a.StatusCode, a.StatusMessage])).toEqual([
      ['Failed', "The image id '[ami-0123456789abcdef0]' does not exist. Launching EC2 instance failed."],
      ['Failed', "The image id '[ami-0123456789abcdef0]' does not exist. Launching EC2 instance failed."],
      ['Failed', "The image id '[ami-0123456789abcdef0]' does not exist. Launching EC2 instance failed."],
    ]);
    expect((await describeGroup('app-v002'))!.Instances).toEqual([]);
  });

  it('pages DescribeAutoScalingGroups with NextToken, sorted by name, and refuses a forged token', async () => {
    for (const name of ['c-v001', 'a-v001', 'b-v001']) await world.createGroup(name, { targetGroups: [] });
    const first = await world.autoscaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 2 }));
    expect(first.AutoScalingGroups!.map((g) => g.AutoScalingGroupName)).toEqual(['a-v001', 'b-v001']);
    expect(first.NextToken).toBeDefined();
    const names: string[] = [];
    for await (const page of paginateDescribeAutoScalingGroups({ client: world.autoscaling, pageSize: 1 }, {})) names.push(...page.AutoScalingGroups!.map((g) => g.AutoScalingGroupName!));
    expect(names).toEqual(['a-v001', 'b-v001', 'c-v001']);
    const forged = await world.autoscaling.send(new DescribeAutoScalingGroupsCommand({ NextToken: 'bogus' })).catch((e: unknown) => e);
    expect(forged).toMatchObject({ name: 'InvalidNextToken' });
  });

  it('retries an injected Throttling on DescribeAutoScalingGroups and succeeds', async () => {
    sim.inject({ service: 'autoscaling', action: 'DescribeAutoScalingGroups', error: 'Throttling' });
    const out = await world.autoscaling.send(new DescribeAutoScalingGroupsCommand({}));
    expect(out.$metadata.attempts).toBe(2);
    expect(sim.calls({ action: 'DescribeAutoScalingGroups' }).map((c) => c.errorCode ?? 'ok')).toEqual(['Throttling', 'ok']);
  });
});
