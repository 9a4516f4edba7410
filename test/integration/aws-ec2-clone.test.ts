/**
 * cloneServerGroup on EC2 through the deploy core and the aws-ec2 target, against the AWS
 * simulator with the real SDK clients: a group Spinnaker made is cloned with red/black, every call
 * delivered twice. The clone gets a new launch template from the source's launch template data
 * (with the stage's instance type), the source's subnets, target group, health check settings and
 * tags, not its suspended processes; the source leaves traffic only once the clone is healthy,
 * never below the desired count; one group and one launch template are made. Time is the
 * simulator's clock; nothing sleeps.
 */
import { CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, SuspendProcessesCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { Target } from '../../core/ports/target.ts';
import { healthyTargetsOverTime } from '../../sandbox/aws/elbv2-targets.ts';
import { ACCOUNT, REGION, runEc2Stage, startEc2World, type Ec2World } from '../support/aws-ec2-world.ts';

let world: Ec2World;
let target: Target;

beforeEach(async () => {
  world = await startEc2World();
  target = world.target();
});

afterEach(async () => {
  await world.close();
});

/** hello-prod-v000 as Spinnaker made it: clouddriver's template name, a user tag, AZRebalance suspended, 2 healthy instances. */
async function seedSpinnakerGroup(): Promise<void> {
  const template = await world.clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'hello-prod-v000-12012025000000',
      LaunchTemplateData: { ImageId: world.imageId, InstanceType: 'm5.large', SecurityGroupIds: [world.securityGroupId], KeyName: 'hello-keypair', MetadataOptions: { HttpTokens: 'required' },
        IamInstanceProfile: { Name: 'helloInstanceProfile' }, UserData: Buffer.from('#!/bin/sh\necho hello').toString('base64'), Monitoring: { Enabled: true } },
    }),
  );
  await world.clients.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'hello-prod-v000',
      MinSize: 2,
      MaxSize: 4,
      DesiredCapacity: 2,
      LaunchTemplate: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '1' },
      VPCZoneIdentifier: world.subnetIds.join(','),
      TargetGroupARNs: [world.targetGroupArn],
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 120,
      DefaultCooldown: 30,
      TerminationPolicies: ['OldestInstance'],
      Tags: [{ Key: 'team', Value: 'web', PropagateAtLaunch: true }],
    }),
  );
  await world.clients.autoScaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'hello-prod-v000', ScalingProcesses: ['AZRebalance'] }));
  world.advance(60_000, 5_000);
}

async function group(name: string) {
  const described = await world.clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return described.AutoScalingGroups![0]!;
}

/** Deck's clone stage for AWS, overriding the instance type. */
const cloneStage: JsonObject = {
  type: 'cloneServerGroup',
  cloudProvider: 'aws',
  credentials: ACCOUNT,
  region: REGION,
  application: 'hello',
  stack: 'prod',
  freeFormDetails: '',
  targetCluster: 'hello-prod',
  target: 'current_asg_dynamic',
  useSourceCapacity: true,
  strategy: 'redblack',
  instanceType: 'c5.large',
  waitForHealthyTimeoutSec: 300,
};

describe('cloneServerGroup on EC2', () => {
  it("clones a group Spinnaker made with red/black: its launch template data and group settings, the stage's instance type, once though delivered twice", async () => {
    // given
    await seedSpinnakerGroup();
    const before = world.sim.events().length;
    // when
    const result = await runEc2Stage(world, target, cloneStage, { twice: true });
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(world.sim.events({ kind: 'group.created' }).map((event) => event.detail['group'])).toEqual(['hello-prod-v000', 'hello-prod-v001']);
    // a new launch template of the clone's name, from the source's data, the override applied
    const versions = await world.clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'hello-prod-v001', Versions: ['$Latest'] }));
    expect(versions.LaunchTemplateVersions).toHaveLength(1);
    const data = versions.LaunchTemplateVersions![0]!.LaunchTemplateData!;
    expect({
      image: data.ImageId,
      type: data.InstanceType,
      key: data.KeyName,
      tokens: data.MetadataOptions?.HttpTokens,
      groups: data.NetworkInterfaces?.[0]?.Groups,
      profile: data.IamInstanceProfile?.Name,
      userData: Buffer.from(data.UserData ?? '', 'base64').toString(),
      monitoring: data.Monitoring?.Enabled,
    }).toEqual({
      image: world.imageId,
      type: 'c5.large',
      key: 'hello-keypair',
      tokens: 'required',
      groups: [world.securityGroupId],
      profile: 'helloInstanceProfile',
      userData: '#!/bin/sh\necho hello',
      monitoring: true,
    });
    // the group's settings copied, its suspended processes not; the capacity is the source's
    const clone = await group('hello-prod-v001');
    expect(clone.VPCZoneIdentifier!.split(',').sort()).toEqual([...world.subnetIds].sort());
    expect(clone.TargetGroupARNs).toEqual([world.targetGroupArn]);
    expect({ type: clone.HealthCheckType, grace: clone.HealthCheckGracePeriod, cooldown: clone.DefaultCooldown, policies: clone.TerminationPolicies }).toEqual({ type: 'ELB', grace: 120, cooldown: 30, policies: ['OldestInstance'] });
    expect({ min: clone.MinSize, max: clone.MaxSize, desired: clone.DesiredCapacity }).toEqual({ min: 2, max: 4, desired: 2 });
    expect(clone.Tags?.find((tag) => tag.Key === 'team')?.Value).toBe('web');
    expect((clone.SuspendedProcesses ?? []).map((process) => process.ProcessName)).toEqual([]);
    // red/black: the source disabled, and the load balancer never below the desired count
    expect((await group('hello-prod-v000')).SuspendedProcesses?.map((process) => process.ProcessName).sort()).toEqual(['AZRebalance', 'AddToLoadBalancer', 'Launch', 'Terminate']);
    const healthy = healthyTargetsOverTime(world.sim.events(), world.targetGroupArn).slice(healthyTargetsOverTime(world.sim.events().slice(0, before), world.targetGroupArn).length);
    expect(healthy.length).toBeGreaterThan(0);
    expect(Math.min(...healthy.map((point) => point.healthy))).toBeGreaterThanOrEqual(2);
    expect(result.record.context.source).toEqual({ account: ACCOUNT, region: REGION, asgName: 'hello-prod-v000', serverGroupName: 'hello-prod-v000', useSourceCapacity: true });
  });

  it('fails naming the cluster, account and region when the cluster has no group, creating nothing', async () => {
    const result = await runEc2Stage(world, target, cloneStage);
    expect(result.message).toBe(
      `stage 'Stage': no server group to clone in cluster 'hello-prod' of account '${ACCOUNT}' in ${REGION}: it has no server group; deploy one first, or name the source with source.serverGroupName`,
    );
    expect(world.sim.events({ kind: 'group.created' })).toEqual([]);
  });
});
