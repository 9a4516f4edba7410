/**
 * The simulated EC2, driven by the real SDK client: launch templates with the SDK's automatic
 * ClientToken, the reference capture parsed without holes, images, subnets for a subnetType,
 * security groups, instance types, instances with filters and pagination, termination, waiters and
 * throttling.
 */
import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  paginateDescribeInstances,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
  type CreateLaunchTemplateCommandInput,
} from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { fastWaiter, holes, seedWorld } from './aws-world.ts';

let sim: AwsSimulator;
let world: ReturnType<typeof seedWorld>;
beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 5 });
  world = seedWorld(sim);
});
afterEach(async () => {
  await sim.close();
});

/** The launch template clouddriver creates (reference §2.3 request capture). */
const template = (imageId: string, groupId: string, name = 'app-prod-v001-01012026000000'): CreateLaunchTemplateCommandInput => ({
  LaunchTemplateName: name,
  LaunchTemplateData: {
    IamInstanceProfile: { Name: 'BaseIAMRole' },
    NetworkInterfaces: [{ AssociatePublicIpAddress: false, DeviceIndex: 0, Groups: [groupId], Ipv6AddressCount: 0 }],
    ImageId: imageId,
    InstanceType: 'm5.large',
    UserData: 'IyEvYmluL2Jhc2g=',
    TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'spinnaker:application', Value: 'app' }] }],
    MetadataOptions: { HttpTokens: 'required' },
  },
});

const CAPTURED_CREATE = { LaunchTemplate: { LaunchTemplateId: 'lt-0abc', LaunchTemplateName: 'x', DefaultVersionNumber: 1, LatestVersionNumber: 1, CreateTime: new Date() } };
const CAPTURED_INSTANCES = {
  Reservations: [{ ReservationId: 'r-1', Instances: [{ InstanceId: 'i-1', State: { Code: 16, Name: 'running' }, Tags: [{ Key: 'aws:autoscaling:groupName', Value: 'app-prod-v001' }] }] }],
  NextToken: 'n2',
};

describe('simulated EC2', () => {
  it('creates a launch template as clouddriver sends it and reads its data back unchanged', async () => {
    const created = await world.ec2.send(new CreateLaunchTemplateCommand(template(world.imageId, world.groupId)));
    expect(holes(created, CAPTURED_CREATE)).toEqual([]);
    expect(created.LaunchTemplate).toMatchObject({ LaunchTemplateId: expect.stringMatching(/^lt-0[0-9a-f]{16}$/), LaunchTemplateName: 'app-prod-v001-01012026000000', DefaultVersionNumber: 1, LatestVersionNumber: 1 });
    const versions = await world.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: created.LaunchTemplate!.LaunchTemplateId, Versions: ['$Latest'] }));
    expect(versions.LaunchTemplateVersions).toEqual([
      {
        LaunchTemplateId: created.LaunchTemplate!.LaunchTemplateId,
        LaunchTemplateName: 'app-prod-v001-01012026000000',
        VersionNumber: 1,
        CreateTime: new Date('2026-01-01T00:00:00.000Z'),
        CreatedBy: 'arn:aws:iam::123456789012:user/sandbox',
        DefaultVersion: true,
        LaunchTemplateData: template(world.imageId, world.groupId).LaunchTemplateData,
      },
    ]);
    const byName = await world.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['app-prod-v001-01012026000000'] }));
    expect(byName.LaunchTemplates!.map((t) => t.LaunchTemplateId)).toEqual([created.LaunchTemplate!.LaunchTemplateId]);
  });

  it('treats a retried CreateLaunchTemplate with the same ClientToken as the same template, and a reused token with other parameters as a mismatch', async () => {
    const input = { ...template(world.imageId, world.groupId), ClientToken: 'c7aa1cd1-7ebb-4651-b8f4-afa36b1d378b' };
    const first = await world.ec2.send(new CreateLaunchTemplateCommand(input));
    const again = await world.ec2.send(new CreateLaunchTemplateCommand(input));
    expect(again.LaunchTemplate).toEqual(first.LaunchTemplate);
    const mismatch = await world.ec2.send(new CreateLaunchTemplateCommand({ ...input, LaunchTemplateName: 'other-name' })).catch((e: unknown) => e);
    expect(mismatch).toMatchObject({ name: 'IdempotentParameterMismatch', $metadata: { httpStatusCode: 400 } });
    // The SDK fills a fresh token per call, so a second create of the name collides.
    const collision = await world.ec2.send(new CreateLaunchTemplateCommand(template(world.imageId, world.groupId))).catch((e: unknown) => e);
    expect(collision).toMatchObject({ name: 'InvalidLaunchTemplateName.AlreadyExistsException', message: 'Launch template name already in use.' });
    const tokens = sim.calls({ action: 'CreateLaunchTemplate' }).length;
    expect(tokens).toBe(4);
  });

  it('creates one template when the answer is lost and the SDK retries with the same ClientToken', async () => {
    sim.inject({ service: 'ec2', action: 'CreateLaunchTemplate', error: 'InternalError', status: 500, when: 'after' });
    const created = await world.ec2.send(new CreateLaunchTemplateCommand(template(world.imageId, world.groupId)));
    expect(created.$metadata.attempts).toBe(2);
    expect(sim.calls({ action: 'CreateLaunchTemplate' }).map((c) => [c.status, c.errorCode ?? 'ok'])).toEqual([
      [500, 'InternalError'],
      [200, 'ok'],
    ]);
    const all = await world.ec2.send(new DescribeLaunchTemplatesCommand({}));
    expect(all.LaunchTemplates!.map((t) => t.LaunchTemplateId)).toEqual([created.LaunchTemplate!.LaunchTemplateId]);
  });

  it('deletes launch templates and answers unknown ones with EC2 error codes', async () => {
    const created = await world.ec2.send(new CreateLaunchTemplateCommand(template(world.imageId, world.groupId)));
    const id = created.LaunchTemplate!.LaunchTemplateId!;
    expect((await world.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id }))).LaunchTemplate?.LaunchTemplateId).toBe(id);
    expect(await world.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id })).catch((e: unknown) => e)).toMatchObject({
      name: 'InvalidLaunchTemplateId.NotFound',
      message: `The specified launch template, with template ID ${id}, does not exist.`,
    });
    expect(await world.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'nope' })).catch((e: unknown) => e)).toMatchObject({ name: 'InvalidLaunchTemplateName.NotFoundException' });
    expect(await world.ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'x', LaunchTemplateData: {} })).catch((e: unknown) => e)).toMatchObject({ name: 'InvalidLaunchTemplateName.MalformedException' });
  });

  it('finds images by name pattern, tag and owner, and fails unknown ids as EC2 does', async () => {
    sim.seed.ec2.image({ name: 'app-1.1.0-h13', tags: { appversion: 'app-1.1.0' } });
    sim.seed.ec2.image({ name: 'base-os', ownerId: '137112412989', description: `R&D <"base"> 'os'\r\n` });
    const names = async (input: DescribeImagesCommandInput) => ((await world.ec2.send(new DescribeImagesCommand(input))).Images ?? []).map((i) => i.Name).sort();
    expect(await names({ Filters: [{ Name: 'name', Values: ['app-*'] }] })).toEqual(['app-1.0.0-h12', 'app-1.1.0-h13']);
    expect(await names({ Filters: [{ Name: 'tag:appversion', Values: ['app-1.1.0'] }] })).toEqual(['app-1.1.0-h13']);
    expect(await names({ Owners: ['self'] })).toEqual(['app-1.0.0-h12', 'app-1.1.0-h13']);
    expect(await names({ Owners: ['137112412989'], Filters: [{ Name: 'name', Values: ['base-?s'] }] })).toEqual(['base-os']);
    // XML escaping: the SDK reads back exactly what was seeded.
    expect((await world.ec2.send(new DescribeImagesCommand({ Owners: ['137112412989'] }))).Images![0]!.Description).toBe(`R&D <"base"> 'os'\r\n`);
    const image = (await world.ec2.send(new DescribeImagesCommand({ ImageIds: [world.imageId] }))).Images![0];
    expect(image).toMatchObject({ ImageId: world.imageId, Name: 'app-1.0.0-h12', State: 'available', OwnerId: '123456789012', CreationDate: '2026-01-01T00:00:00.000Z', Tags: [{ Key: 'appversion', Value: 'app-1.0.0' }] });
    expect(await world.ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })).catch((e: unknown) => e)).toMatchObject({
      name: 'InvalidAMIID.NotFound',
      message: "The image id '[ami-0123456789abcdef0]' does not exist",
    });
    expect(await world.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })).catch((e: unknown) => e)).toMatchObject({ name: 'InvalidParameterValue', message: "The filter 'colour' is invalid" });
  });

  it('describes the instance types it offers without holes, pages the catalog, and refuses a name EC2 does not know as EC2 does', async () => {
    const described = await world.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large', 't4g.micro'] }));
    const capture = { InstanceTypes: [{ InstanceType: 'm5.large', CurrentGeneration: true, SupportedUsageClasses: ['on-demand'], ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 8192 } }] };
    expect(holes(described, capture)).toEqual([]);
    expect(described.InstanceTypes!.map((type) => [type.InstanceType, type.VCpuInfo!.DefaultVCpus, type.MemoryInfo!.SizeInMiB, type.ProcessorInfo!.SupportedArchitectures])).toEqual([
      ['m5.large', 2, 8192, ['x86_64']],
      ['t4g.micro', 2, 1024, ['arm64']],
    ]);
    const first = await world.ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 50 }));
    expect(first.InstanceTypes).toHaveLength(50);
    const second = await world.ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 50, NextToken: first.NextToken! }));
    expect(second.InstanceTypes!.map((type) => type.InstanceType)).not.toContain(first.InstanceTypes![0]!.InstanceType);
    expect(await world.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.gigantic' as 'm5.large'] })).catch((e: unknown) => e)).toMatchObject({
      name: 'InvalidInstanceType',
      message: 'The following supplied instance types do not exist: [m5.gigantic]',
    });
  });

  it("serves subnets with clouddriver's immutable_metadata purpose tag, VPCs and security groups", async () => {
    const subnets = (await world.ec2.send(new DescribeSubnetsCommand({}))).Subnets!;
    expect(subnets.map((s) => [s.AvailabilityZone, s.VpcId, s.State, s.Tags])).toEqual([
      ['us-east-1a', world.subnetA.vpcId, 'available', [{ Key: 'immutable_metadata', Value: '{"purpose":"internal","target":"ec2"}' }]],
      ['us-east-1b', world.subnetA.vpcId, 'available', [{ Key: 'immutable_metadata', Value: '{"purpose":"internal","target":"ec2"}' }]],
    ]);
    const inB = await world.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1b'] }, { Name: 'tag:immutable_metadata', Values: ['*"internal"*'] }] }));
    expect(inB.Subnets!.map((s) => s.SubnetId)).toEqual([world.subnetB.subnetId]);
    expect(await world.ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] })).catch((e: unknown) => e)).toMatchObject({ name: 'InvalidSubnetID.NotFound' });
    expect((await world.ec2.send(new DescribeVpcsCommand({}))).Vpcs!.map((v) => v.VpcId)).toEqual([world.subnetA.vpcId]);
    const groups = await world.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['app'] }] }));
    expect(groups.SecurityGroups!.map((g) => [g.GroupId, g.GroupName, g.VpcId])).toEqual([[world.groupId, 'app', world.subnetA.vpcId]]);
    expect(await world.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })).catch((e: unknown) => e)).toMatchObject({
      name: 'InvalidGroup.NotFound',
      message: "The security group 'sg-0123456789abcdef0' does not exist",
    });
  });

  it('describes instances by id and by the aws:autoscaling:groupName tag, pages them, and parses the capture without holes', async () => {
    await world.createGroup('app-prod-v001', { min: 0, max: 7, desired: 7, targetGroups: [] });
    sim.tick(30_000);
    const first = await world.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: ['app-prod-v001'] }], MaxResults: 5 }));
    expect(holes(first, CAPTURED_INSTANCES)).toEqual([]);
    expect(first.Reservations).toHaveLength(5);
    const ids: string[] = [];
    for await (const page of paginateDescribeInstances({ client: world.ec2, pageSize: 5 }, { Filters: [{ Name: 'instance-state-name', Values: ['running'] }] })) {
      ids.push(...page.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)));
    }
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    const two = await world.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids.slice(0, 2) }));
    expect(two.Reservations!.map((r) => r.Instances![0]!.InstanceId)).toEqual(ids.slice(0, 2));
    expect(await world.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })).catch((e: unknown) => e)).toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0123456789abcdef0' does not exist",
    });
    expect(await world.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['nope'] })).catch((e: unknown) => e)).toMatchObject({ name: 'InvalidInstanceID.Malformed' });
  });

  it('ends waitUntilInstanceRunning after the boot time, and waitUntilInstanceTerminated after TerminateInstances and the shutdown time', async () => {
    await world.createGroup('app-v001', { min: 0, desired: 1, targetGroups: [] });
    sim.tick(0);
    const [id] = (await world.ec2.send(new DescribeInstancesCommand({}))).Reservations!.map((r) => r.Instances![0]!.InstanceId!);
    const running = waitUntilInstanceRunning({ client: world.ec2, ...fastWaiter }, { InstanceIds: [id!] });
    await sim.nextCall({ action: 'DescribeInstances' });
    sim.tick(30_000);
    expect((await running).state).toBe('SUCCESS');
    const terminated = await world.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id!] }));
    expect(terminated.TerminatingInstances).toEqual([{ InstanceId: id, CurrentState: { Code: 32, Name: 'shutting-down' }, PreviousState: { Code: 16, Name: 'running' } }]);
    const gone = waitUntilInstanceTerminated({ client: world.ec2, ...fastWaiter }, { InstanceIds: [id!] });
    await sim.nextCall({ action: 'DescribeInstances' });
    sim.tick(10_000);
    expect((await gone).state).toBe('SUCCESS');
  });

  it('retries an injected RequestLimitExceeded (503) and succeeds', async () => {
    sim.inject({ service: 'ec2', error: 'Throttling', times: 1 });
    const out = await world.ec2.send(new DescribeSubnetsCommand({}));
    expect(out.Subnets).toHaveLength(2);
    expect(sim.calls({ service: 'ec2' }).map((c) => [c.status, c.errorCode ?? 'ok'])).toEqual([
      [503, 'RequestLimitExceeded'],
      [200, 'ok'],
    ]);
  });
});
