/**
 * Simulated EC2 (ec2Query, Version 2016-11-15): images, VPCs, subnets and security groups (all
 * seeded, never created on the wire), launch templates, and instances that Auto Scaling
 * launches: `pending` → `running` after the boot time, `shutting-down` → `terminated` after the
 * shutdown time, then visible for an hour as EC2 keeps them.
 */
import { checkFilterNames, matchesFilters, paginate, parseFilters, tagSet, type Ec2Tag } from './ec2-filters.ts';
import { describeInstanceTypes } from './ec2-instance-types.ts';
import { createLaunchTemplateStore, launchSpec, type LaunchTemplate } from './ec2-launch-templates.ts';
import { ec2Error, ec2Response, isoTime, itemStrings, QueryError, queryParams, queryTree, str, type QueryNode, type XmlObject } from './query-protocol.ts';
import { resourceId } from './random.ts';
import { zoneIdOf } from './regions.ts';
import type { AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;
const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 } as const;
/** The account Auto Scaling launches instances from (the `requesterId` of their reservations). */
const AUTOSCALING_REQUESTER = '226008221399';

type InstanceState = keyof typeof STATE_CODES;

/** A seeded AMI. */
export interface SeedImage {
  /** The region it is in (default us-east-1; the simulator's seeding API reads it). */
  readonly region?: string;
  readonly name: string;
  readonly id?: string;
  readonly tags?: Record<string, string>;
  /** Owner account (default the simulated account). */
  readonly ownerId?: string;
  readonly description?: string;
  readonly creationDate?: string;
}
/** A seeded subnet. `purpose` writes clouddriver's `immutable_metadata` tag `{"purpose": …, "target": "ec2"}`. */
export interface SeedSubnet {
  /** The region it is in (default us-east-1); `az` must be one of its zones. */
  readonly region?: string;
  readonly az: string;
  readonly id?: string;
  readonly vpcId?: string;
  readonly cidrBlock?: string;
  readonly purpose?: string;
  /** `Name` tag. */
  readonly name?: string;
  readonly tags?: Record<string, string>;
}
/** A seeded security group. */
export interface SeedSecurityGroup {
  /** The region it is in (default us-east-1). */
  readonly region?: string;
  readonly name: string;
  readonly id?: string;
  readonly vpcId?: string;
  readonly description?: string;
  readonly tags?: Record<string, string>;
}
/** Seeding EC2. */
export interface Ec2Seeder {
  image(image: SeedImage): { imageId: string };
  vpc(vpc?: { region?: string; id?: string; cidrBlock?: string; tags?: Record<string, string> }): { vpcId: string };
  /** The VPC resources seeded without one land in: the first VPC of the region, created when there is none. */
  defaultVpc(where?: { region?: string }): { vpcId: string };
  subnet(subnet: SeedSubnet): { subnetId: string; vpcId: string };
  securityGroup(group: SeedSecurityGroup): { groupId: string; vpcId: string };
}

interface Image { imageId: string; name: string; ownerId: string; description?: string; creationDate: string; tags: Ec2Tag[] }
interface Vpc { vpcId: string; cidrBlock: string; tags: Ec2Tag[] }
interface Subnet { subnetId: string; vpcId: string; az: string; cidrBlock: string; tags: Ec2Tag[]; nextHost: number }
interface SecurityGroup { groupId: string; groupName: string; vpcId: string; description: string; tags: Ec2Tag[] }

/** An instance as EC2 keeps it. */
export interface Instance {
  readonly instanceId: string;
  readonly reservationId: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly keyName?: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly az: string;
  readonly privateIp: string;
  readonly launchTime: number;
  readonly securityGroups: readonly SecurityGroup[];
  readonly tags: Ec2Tag[];
  readonly launchTemplate?: { id: string; version: number };
  state: InstanceState;
  /** When the current transitional state ends (pending → running, shutting-down → terminated). */
  dueAt?: number;
  terminatedAt?: number;
  reason?: string;
}

/** What Auto Scaling asks EC2 to launch. */
export interface LaunchRequest {
  readonly template: LaunchTemplate;
  readonly version: string;
  readonly subnetId: string;
  readonly tags: readonly Ec2Tag[];
}

/** The EC2 simulator plus what Auto Scaling and the seeding API use. */
export interface Ec2Sim extends AwsServiceSim {
  bindSeed(context: () => SimContext): Ec2Seeder;
  /** Launches one instance, or says why EC2 refuses (the text becomes the scaling activity's status message). */
  launch(ctx: SimContext, request: LaunchRequest): { ok: true; instance: Instance } | { ok: false; message: string };
  /** Starts terminating an instance (no-op when already shutting down or gone). */
  terminate(ctx: SimContext, instanceId: string, reason: string): void;
  instance(instanceId: string): Instance | undefined;
  subnet(subnetId: string): { subnetId: string; vpcId: string; az: string } | undefined;
  launchTemplate(ref: { id?: string; name?: string }): LaunchTemplate | undefined;
  launchTemplateVersionExists(template: LaunchTemplate, version: string): boolean;
}

const OPERATIONS = [
  'CreateLaunchTemplate',
  'CreateLaunchTemplateVersion',
  'DescribeLaunchTemplates',
  'DescribeLaunchTemplateVersions',
  'DeleteLaunchTemplate',
  'DescribeInstances',
  'TerminateInstances',
  'DescribeSubnets',
  'DescribeSecurityGroups',
  'DescribeImages',
  'DescribeVpcs',
  'DescribeInstanceTypes',
] as const;

/** Creates the EC2 simulator with instance boot and shutdown times. */
export function createEc2Sim(timings: { instanceBootMs: number; instanceShutdownMs: number }): Ec2Sim {
  const images = new Map<string, Image>();
  const vpcs = new Map<string, Vpc>();
  const subnets = new Map<string, Subnet>();
  const groups = new Map<string, SecurityGroup>();
  const instances = new Map<string, Instance>();
  const templates = createLaunchTemplateStore();

  const seedVpc = (ctx: SimContext, vpc: { id?: string; cidrBlock?: string; tags?: Record<string, string> } = {}) => {
    const vpcId = vpc.id ?? resourceId(ctx.random, 'vpc');
    if (!vpcs.has(vpcId)) vpcs.set(vpcId, { vpcId, cidrBlock: vpc.cidrBlock ?? '10.0.0.0/16', tags: toTags(vpc.tags) });
    return { vpcId };
  };
  const defaultVpc = (ctx: SimContext, vpcId: string | undefined) => seedVpc(ctx, vpcId !== undefined ? { id: vpcId } : vpcs.size > 0 ? { id: [...vpcs.keys()][0]! } : {}).vpcId;

  const seeder = (context: () => SimContext): Ec2Seeder => ({
    image: (image) => {
      const ctx = context();
      const imageId = image.id ?? resourceId(ctx.random, 'ami');
      images.set(imageId, {
        imageId,
        name: image.name,
        ownerId: image.ownerId ?? ctx.accountId,
        creationDate: image.creationDate ?? isoTime(ctx.now()),
        tags: toTags(image.tags),
        ...(image.description !== undefined ? { description: image.description } : {}),
      });
      return { imageId };
    },
    vpc: (vpc) => seedVpc(context(), vpc),
    defaultVpc: () => ({ vpcId: defaultVpc(context(), undefined) }),
    subnet: (subnet) => {
      const ctx = context();
      // A zone's name is its region's and a letter: a subnet seeded in another region's zone is a mistake of the seed.
      if (!subnet.az.startsWith(ctx.region)) throw new Error(`subnet: az '${subnet.az}' is not a zone of region ${ctx.region}; use one such as '${ctx.region}a', or seed the subnet in the zone's region`);
      const vpcId = defaultVpc(ctx, subnet.vpcId);
      const subnetId = subnet.id ?? resourceId(ctx.random, 'subnet');
      const tags = toTags(subnet.tags);
      if (subnet.purpose !== undefined) tags.push({ Key: 'immutable_metadata', Value: JSON.stringify({ purpose: subnet.purpose, target: 'ec2' }) });
      if (subnet.name !== undefined) tags.push({ Key: 'Name', Value: subnet.name });
      subnets.set(subnetId, { subnetId, vpcId, az: subnet.az, cidrBlock: subnet.cidrBlock ?? `10.0.${subnets.size}.0/24`, tags, nextHost: 10 });
      return { subnetId, vpcId };
    },
    securityGroup: (group) => {
      const ctx = context();
      const vpcId = defaultVpc(ctx, group.vpcId);
      const groupId = group.id ?? resourceId(ctx.random, 'sg');
      groups.set(groupId, { groupId, groupName: group.name, vpcId, description: group.description ?? group.name, tags: toTags(group.tags) });
      return { groupId, vpcId };
    },
  });

  const describeImages = (params: QueryNode, ctx: SimContext): XmlObject => {
    const ids = itemStrings(params, 'ImageId');
    const owners = itemStrings(params, 'Owner');
    const filters = parseFilters(params);
    checkFilterNames(filters, ['image-id', 'name', 'owner-id', 'state', 'architecture', 'image-type', 'is-public', 'description']);
    for (const id of ids) if (!/^ami-[0-9a-f]{8,17}$/.test(id)) throw new QueryError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
    const missing = ids.filter((id) => !images.has(id));
    if (missing.length > 0) throw new QueryError('InvalidAMIID.NotFound', `The image id '[${missing.join(', ')}]' does not exist`);
    const list = [...images.values()].filter(
      (i) =>
        (ids.length === 0 || ids.includes(i.imageId)) &&
        (owners.length === 0 || owners.some((o) => o === i.ownerId || (o === 'self' && i.ownerId === ctx.accountId))) &&
        matchesFilters(filters, { 'image-id': i.imageId, name: i.name, 'owner-id': i.ownerId, state: 'available', architecture: 'x86_64', 'image-type': 'machine', 'is-public': 'false', description: i.description }, i.tags),
    );
    const { page, nextToken } = paginate(list, params, { min: 5, max: 1000 });
    return {
      imagesSet: page.map((i) => ({
        imageId: i.imageId,
        imageLocation: `${i.ownerId}/${i.name}`,
        imageState: 'available',
        imageOwnerId: i.ownerId,
        creationDate: i.creationDate,
        isPublic: false,
        architecture: 'x86_64',
        imageType: 'machine',
        name: i.name,
        description: i.description,
        rootDeviceType: 'ebs',
        rootDeviceName: '/dev/xvda',
        virtualizationType: 'hvm',
        hypervisor: 'xen',
        enaSupport: true,
        tagSet: tagSet(i.tags),
      })),
      nextToken,
    };
  };

  const describeVpcs = (params: QueryNode, ctx: SimContext): XmlObject => {
    const ids = itemStrings(params, 'VpcId');
    const filters = parseFilters(params);
    checkFilterNames(filters, ['vpc-id', 'cidr', 'state', 'is-default']);
    const missing = ids.filter((id) => !vpcs.has(id));
    if (missing.length > 0) throw new QueryError('InvalidVpcID.NotFound', `The vpc ID '${missing[0]}' does not exist`);
    const list = [...vpcs.values()].filter((v) => (ids.length === 0 || ids.includes(v.vpcId)) && matchesFilters(filters, { 'vpc-id': v.vpcId, cidr: v.cidrBlock, state: 'available', 'is-default': 'false' }, v.tags));
    const { page, nextToken } = paginate(list, params, { min: 5, max: 1000 });
    return {
      vpcSet: page.map((v) => ({ vpcId: v.vpcId, ownerId: ctx.accountId, state: 'available', cidrBlock: v.cidrBlock, instanceTenancy: 'default', isDefault: false, tagSet: tagSet(v.tags) })),
      nextToken,
    };
  };

  const describeSubnets = (params: QueryNode, ctx: SimContext): XmlObject => {
    const ids = itemStrings(params, 'SubnetId');
    const filters = parseFilters(params);
    checkFilterNames(filters, ['subnet-id', 'vpc-id', 'availability-zone', 'availabilityZone', 'cidr-block', 'state', 'default-for-az', 'subnet-arn']);
    const missing = ids.filter((id) => !subnets.has(id));
    if (missing.length > 0) throw new QueryError('InvalidSubnetID.NotFound', `The subnet ID '${missing[0]}' does not exist`);
    const list = [...subnets.values()].filter((s) => {
      const arn = `arn:aws:ec2:${ctx.region}:${ctx.accountId}:subnet/${s.subnetId}`;
      const fields = { 'subnet-id': s.subnetId, 'vpc-id': s.vpcId, 'availability-zone': s.az, availabilityZone: s.az, 'cidr-block': s.cidrBlock, state: 'available', 'default-for-az': 'false', 'subnet-arn': arn };
      return (ids.length === 0 || ids.includes(s.subnetId)) && matchesFilters(filters, fields, s.tags);
    });
    const { page, nextToken } = paginate(list, params, { min: 5, max: 1000 });
    return {
      subnetSet: page.map((s) => ({
        subnetId: s.subnetId,
        subnetArn: `arn:aws:ec2:${ctx.region}:${ctx.accountId}:subnet/${s.subnetId}`,
        state: 'available',
        ownerId: ctx.accountId,
        vpcId: s.vpcId,
        cidrBlock: s.cidrBlock,
        availableIpAddressCount: 251 - (s.nextHost - 10),
        availabilityZone: s.az,
        availabilityZoneId: zoneIdOf(s.az),
        defaultForAz: false,
        mapPublicIpOnLaunch: false,
        assignIpv6AddressOnCreation: false,
        tagSet: tagSet(s.tags),
      })),
      nextToken,
    };
  };

  const describeSecurityGroups = (params: QueryNode, ctx: SimContext): XmlObject => {
    const ids = itemStrings(params, 'GroupId');
    const names = itemStrings(params, 'GroupName');
    const filters = parseFilters(params);
    checkFilterNames(filters, ['group-id', 'group-name', 'vpc-id', 'description', 'owner-id']);
    const missingId = ids.find((id) => !groups.has(id));
    if (missingId) throw new QueryError('InvalidGroup.NotFound', `The security group '${missingId}' does not exist`);
    const missingName = names.find((name) => ![...groups.values()].some((g) => g.groupName === name));
    if (missingName) throw new QueryError('InvalidGroup.NotFound', `The security group '${missingName}' does not exist in default VPC`);
    const list = [...groups.values()].filter(
      (g) =>
        (ids.length === 0 || ids.includes(g.groupId)) &&
        (names.length === 0 || names.includes(g.groupName)) &&
        matchesFilters(filters, { 'group-id': g.groupId, 'group-name': g.groupName, 'vpc-id': g.vpcId, description: g.description, 'owner-id': ctx.accountId }, g.tags),
    );
    const { page, nextToken } = paginate(list, params, { min: 5, max: 1000 });
    return {
      securityGroupInfo: page.map((g) => ({
        ownerId: ctx.accountId,
        groupId: g.groupId,
        groupName: g.groupName,
        groupDescription: g.description,
        vpcId: g.vpcId,
        securityGroupArn: `arn:aws:ec2:${ctx.region}:${ctx.accountId}:security-group/${g.groupId}`,
        ipPermissions: [],
        ipPermissionsEgress: [{ ipProtocol: '-1', groups: [], ipRanges: [{ cidrIp: '0.0.0.0/0' }], ipv6Ranges: [], prefixListIds: [] }],
        tagSet: tagSet(g.tags),
      })),
      nextToken,
    };
  };

  const describeInstances = (params: QueryNode, ctx: SimContext): XmlObject => {
    const ids = itemStrings(params, 'InstanceId');
    const filters = parseFilters(params);
    checkFilterNames(filters, ['instance-id', 'instance-state-name', 'instance-state-code', 'instance-type', 'image-id', 'subnet-id', 'vpc-id', 'availability-zone', 'private-ip-address', 'reservation-id']);
    if (ids.length > 0 && str(params, 'MaxResults') !== undefined) {
      throw new QueryError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    for (const id of ids) if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new QueryError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    const missing = ids.filter((id) => !instances.has(id));
    if (missing.length === 1) throw new QueryError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) throw new QueryError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    const list = [...instances.values()].filter(
      (i) =>
        (ids.length === 0 || ids.includes(i.instanceId)) &&
        matchesFilters(
          filters,
          {
            'instance-id': i.instanceId,
            'instance-state-name': i.state,
            'instance-state-code': String(STATE_CODES[i.state]),
            'instance-type': i.instanceType,
            'image-id': i.imageId,
            'subnet-id': i.subnetId,
            'vpc-id': i.vpcId,
            'availability-zone': i.az,
            'private-ip-address': i.privateIp,
            'reservation-id': i.reservationId,
          },
          i.tags,
        ),
    );
    const { page, nextToken } = paginate(list, params, { min: 5, max: 1000 });
    return {
      reservationSet: page.map((i) => ({
        reservationId: i.reservationId,
        ownerId: ctx.accountId,
        requesterId: AUTOSCALING_REQUESTER,
        groupSet: [],
        instancesSet: [instanceXml(i)],
      })),
      nextToken,
    };
  };

  const terminateInstances = (params: QueryNode, ctx: SimContext): XmlObject => {
    const ids = itemStrings(params, 'InstanceId');
    if (ids.length === 0) throw new QueryError('MissingParameter', 'The request must contain the parameter InstanceId');
    for (const id of ids) if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new QueryError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    const missing = ids.filter((id) => !instances.has(id));
    if (missing.length === 1) throw new QueryError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) throw new QueryError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    return {
      instancesSet: ids.map((id) => {
        const instance = instances.get(id)!;
        const previous = instance.state;
        terminate(ctx, id, 'User initiated');
        return { instanceId: id, currentState: stateXml(instance.state), previousState: stateXml(previous) };
      }),
    };
  };

  const terminate = (ctx: SimContext, instanceId: string, reason: string) => {
    const instance = instances.get(instanceId);
    if (!instance || instance.state === 'shutting-down' || instance.state === 'terminated') return;
    instance.state = 'shutting-down';
    instance.dueAt = ctx.now() + timings.instanceShutdownMs;
    instance.reason = `${reason} (${isoTime(ctx.now()).replace('T', ' ').replace(/\.\d+Z$/, ' GMT')})`;
    ctx.event('instance.shutting-down', { instanceId });
  };

  const launch: Ec2Sim['launch'] = (ctx, request) => {
    const version = templates.version(request.template, request.version);
    if (!version) return { ok: false, message: `The specified launch template version ${request.version} of ${request.template.id} does not exist.` };
    const spec = launchSpec(version.data);
    const subnet = subnets.get(request.subnetId);
    if (!subnet) return { ok: false, message: `The subnet ID '${request.subnetId}' does not exist. Launching EC2 instance failed.` };
    if (!spec.imageId) return { ok: false, message: 'The request must contain the parameter ImageId. Launching EC2 instance failed.' };
    if (!images.has(spec.imageId)) return { ok: false, message: `The image id '[${spec.imageId}]' does not exist. Launching EC2 instance failed.` };
    if (!spec.instanceType) return { ok: false, message: 'The instance type must be specified. Launching EC2 instance failed.' };
    const securityGroups: SecurityGroup[] = [];
    for (const id of spec.securityGroupIds) {
      const group = groups.get(id);
      if (!group || group.vpcId !== subnet.vpcId) return { ok: false, message: `The security group '${id}' does not exist in VPC '${subnet.vpcId}'. Launching EC2 instance failed.` };
      securityGroups.push(group);
    }
    for (const name of spec.securityGroupNames) {
      const group = [...groups.values()].find((g) => g.groupName === name && g.vpcId === subnet.vpcId);
      if (!group) return { ok: false, message: `The security group '${name}' does not exist in VPC '${subnet.vpcId}'. Launching EC2 instance failed.` };
      securityGroups.push(group);
    }
    const host = subnet.nextHost++;
    const base = subnet.cidrBlock.split('/')[0]!.split('.').slice(0, 3).join('.');
    const instance: Instance = {
      instanceId: resourceId(ctx.random, 'i'),
      reservationId: resourceId(ctx.random, 'r'),
      imageId: spec.imageId,
      instanceType: spec.instanceType,
      ...(spec.keyName !== undefined ? { keyName: spec.keyName } : {}),
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      az: subnet.az,
      privateIp: `${base}.${host}`,
      launchTime: ctx.now(),
      securityGroups,
      tags: mergeTags(spec.instanceTags, request.tags),
      launchTemplate: { id: request.template.id, version: version.versionNumber },
      state: 'pending',
      dueAt: ctx.now() + timings.instanceBootMs,
    };
    instances.set(instance.instanceId, instance);
    ctx.event('instance.pending', { instanceId: instance.instanceId, subnetId: subnet.subnetId, az: subnet.az });
    return { ok: true, instance };
  };

  const handlers: Record<(typeof OPERATIONS)[number], (params: QueryNode, ctx: SimContext) => XmlObject> = {
    CreateLaunchTemplate: templates.create,
    CreateLaunchTemplateVersion: templates.createVersion,
    DescribeLaunchTemplates: templates.describe,
    DescribeLaunchTemplateVersions: templates.describeVersions,
    DeleteLaunchTemplate: templates.remove,
    DescribeInstances: describeInstances,
    TerminateInstances: terminateInstances,
    DescribeSubnets: describeSubnets,
    DescribeSecurityGroups: describeSecurityGroups,
    DescribeImages: describeImages,
    DescribeVpcs: describeVpcs,
    DescribeInstanceTypes: describeInstanceTypes,
  };

  return {
    signingName: 'ec2',
    protocol: { kind: 'ec2Query', xmlns: XMLNS, version: '2016-11-15' },
    operations: OPERATIONS,
    handle(req: SimRequest, ctx: SimContext): SimResponse {
      const params = queryTree(queryParams(req));
      const action = str(params, 'Action') as (typeof OPERATIONS)[number];
      try {
        return ec2Response(action, XMLNS, handlers[action](params, ctx), ctx.requestId);
      } catch (error) {
        if (error instanceof QueryError) return ec2Error(error.status, error.code, error.message, ctx.requestId);
        throw error;
      }
    },
    reconcile(ctx) {
      const now = ctx.now();
      for (const instance of [...instances.values()]) {
        if (instance.dueAt !== undefined && instance.dueAt <= now) {
          if (instance.state === 'pending') {
            instance.state = 'running';
            delete instance.dueAt;
            ctx.event('instance.running', { instanceId: instance.instanceId });
          } else if (instance.state === 'shutting-down') {
            instance.state = 'terminated';
            instance.terminatedAt = now;
            instance.dueAt = now + TERMINATED_VISIBLE_MS;
            ctx.event('instance.terminated', { instanceId: instance.instanceId });
          } else if (instance.state === 'terminated') {
            instances.delete(instance.instanceId);
          }
        }
      }
    },
    nextChangeAt() {
      let next: number | undefined;
      for (const instance of instances.values()) if (instance.dueAt !== undefined && (next === undefined || instance.dueAt < next)) next = instance.dueAt;
      return next;
    },
    snapshot() {
      return {
        images: [...images.values()].map((i) => ({ imageId: i.imageId, name: i.name, ownerId: i.ownerId, tags: fromTags(i.tags) })),
        vpcs: [...vpcs.values()].map((v) => ({ vpcId: v.vpcId, cidrBlock: v.cidrBlock })),
        subnets: [...subnets.values()].map((s) => ({ subnetId: s.subnetId, vpcId: s.vpcId, az: s.az, cidrBlock: s.cidrBlock, tags: fromTags(s.tags) })),
        securityGroups: [...groups.values()].map((g) => ({ groupId: g.groupId, groupName: g.groupName, vpcId: g.vpcId })),
        launchTemplates: templates.snapshot(),
        instances: [...instances.values()].map((i) => ({
          instanceId: i.instanceId,
          state: i.state,
          az: i.az,
          subnetId: i.subnetId,
          privateIp: i.privateIp,
          imageId: i.imageId,
          instanceType: i.instanceType,
          launchTime: isoTime(i.launchTime),
          tags: fromTags(i.tags),
        })),
      };
    },
    control(command, input, ctx) {
      const seed = seeder(() => ctx);
      switch (command) {
        case 'image':
          return seed.image(input as unknown as SeedImage);
        case 'vpc':
          return seed.vpc(input);
        case 'subnet':
          return seed.subnet(input as unknown as SeedSubnet);
        case 'securityGroup':
          return seed.securityGroup(input as unknown as SeedSecurityGroup);
        default:
          throw new Error(`ec2 has no side-door command '${command}' (have: image, vpc, subnet, securityGroup)`);
      }
    },
    bindSeed: seeder,
    launch,
    terminate,
    instance: (id) => instances.get(id),
    subnet: (id) => subnets.get(id),
    launchTemplate: (ref) => templates.find(ref),
    launchTemplateVersionExists: (template, version) => templates.version(template, version) !== undefined,
  };
}

function instanceXml(i: Instance): XmlObject {
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: stateXml(i.state),
    privateDnsName: `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`,
    dnsName: '',
    reason: i.reason ?? '',
    keyName: i.keyName,
    amiLaunchIndex: 0,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: isoTime(i.launchTime),
    placement: { availabilityZone: i.az, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: i.state === 'terminated' ? undefined : i.subnetId,
    vpcId: i.state === 'terminated' ? undefined : i.vpcId,
    privateIpAddress: i.state === 'terminated' ? undefined : i.privateIp,
    stateReason: i.state === 'shutting-down' || i.state === 'terminated' ? { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' } : undefined,
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    groupSet: i.securityGroups.map((g) => ({ groupId: g.groupId, groupName: g.groupName })),
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    tagSet: tagSet(i.tags),
  };
}

function stateXml(state: InstanceState): XmlObject {
  return { code: STATE_CODES[state], name: state };
}

function toTags(tags: Record<string, string> | undefined): Ec2Tag[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

function fromTags(tags: readonly Ec2Tag[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}

/** Later tags win by key (Auto Scaling's propagated tags over the template's instance tags). */
function mergeTags(first: readonly Ec2Tag[], second: readonly Ec2Tag[]): Ec2Tag[] {
  const byKey = new Map<string, string>();
  for (const tag of [...first, ...second]) byKey.set(tag.Key, tag.Value);
  return [...byKey].map(([Key, Value]) => ({ Key, Value }));
}
