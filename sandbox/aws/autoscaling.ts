/**
 * Simulated Auto Scaling (awsQuery, Version 2011-01-01): groups on EC2 launch templates, and the
 * reconciler AWS runs for them (asg-reconciler.ts): launch up to the desired capacity unless
 * `Launch` is suspended, terminate down to it unless `Terminate` is, register InService
 * instances in the group's target groups unless `AddToLoadBalancer` is.
 */
import { reconcileGroup, type Group, type GroupInstance } from './asg-reconciler.ts';
import type { Ec2Sim } from './ec2.ts';
import type { Elbv2Sim } from './elbv2.ts';
import {
  awsQueryError,
  awsQueryResponse,
  awsQueryVoidResponse,
  bool,
  child,
  int,
  isoTime,
  members,
  memberStrings,
  pageOf,
  QueryError,
  queryParams,
  queryTree,
  required,
  str,
  type QueryNode,
  type XmlObject,
} from './query-protocol.ts';
import { uuid } from './random.ts';
import type { AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

const XMLNS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
/** The processes SuspendProcesses/ResumeProcesses accept. */
export const SCALING_PROCESSES = ['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions'] as const;

const OPERATIONS = [
  'CreateAutoScalingGroup',
  'DescribeAutoScalingGroups',
  'UpdateAutoScalingGroup',
  'SetDesiredCapacity',
  'SuspendProcesses',
  'ResumeProcesses',
  'DeleteAutoScalingGroup',
  'DescribeScalingActivities',
  'DescribeAutoScalingInstances',
  'PutLifecycleHook',
  'DescribeLifecycleHooks',
  'EnableMetricsCollection',
] as const;
type Operation = (typeof OPERATIONS)[number];
/** Actions whose answer has no Result element (their output shape is empty in the model). */
const VOID: readonly Operation[] = ['CreateAutoScalingGroup', 'UpdateAutoScalingGroup', 'SetDesiredCapacity', 'SuspendProcesses', 'ResumeProcesses', 'DeleteAutoScalingGroup', 'EnableMetricsCollection'];

/** The Auto Scaling simulator. */
export type AutoScalingSim = AwsServiceSim;

/** Creates the Auto Scaling simulator; a force-deleted group answers `Delete in progress` for `groupDeleteMs`. */
export function createAutoScalingSim(timings: { groupDeleteMs: number }): AutoScalingSim {
  const groups = new Map<string, Group>();

  const ec2 = (ctx: SimContext) => {
    const found = ctx.service<Ec2Sim>('ec2');
    if (!found) throw new Error('Auto Scaling needs the ec2 service');
    return found;
  };
  const elbv2 = (ctx: SimContext) => ctx.service<Elbv2Sim>('elasticloadbalancing');

  const notFound = (name: string) => new QueryError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
  const live = (name: string) => {
    const group = groups.get(name);
    if (!group) throw notFound(name);
    if (group.status !== undefined) throw new QueryError('ValidationError', `AutoScalingGroup ${name} is pending delete.`);
    return group;
  };

  /** LaunchTemplate.{LaunchTemplateId|LaunchTemplateName, Version} checked against EC2. */
  const launchTemplateOf = (node: QueryNode | undefined, ctx: SimContext): Group['launchTemplate'] => {
    const id = str(node, 'LaunchTemplateId');
    const name = str(node, 'LaunchTemplateName');
    const version = str(node, 'Version') ?? '$Default';
    if (!id && !name) throw new QueryError('ValidationError', 'You must specify either LaunchTemplateId or LaunchTemplateName.');
    const template = ec2(ctx).launchTemplate(id ? { id } : { name: name! });
    if (!template) {
      throw new QueryError('ValidationError', id ? `The specified launch template, with template ID ${id}, does not exist.` : `The specified launch template, with template name ${name}, does not exist.`);
    }
    if (!ec2(ctx).launchTemplateVersionExists(template, version)) {
      throw new QueryError('ValidationError', `The specified launch template version ${version} for launch template ${template.id} does not exist.`);
    }
    return { id: template.id, name: template.name, version };
  };

  const subnetsOf = (zoneIdentifier: string, ctx: SimContext) => {
    const ids = zoneIdentifier.split(',').map((s) => s.trim()).filter(Boolean);
    return ids.map((id) => {
      const subnet = ec2(ctx).subnet(id);
      if (!subnet) throw new QueryError('ValidationError', `The subnet ID '${id}' does not exist`);
      return { subnetId: subnet.subnetId, az: subnet.az, vpcId: subnet.vpcId };
    });
  };

  const checkCapacity = (min: number, max: number, desired: number) => {
    if (min < 0 || max < 0) throw new QueryError('ValidationError', `Min and max sizes must be >= 0 (min ${min}, max ${max})`);
    if (max < min) throw new QueryError('ValidationError', `Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
    if (desired < min || desired > max) throw new QueryError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
  };

  const checkHealthCheckType = (type: string | undefined) => {
    if (type !== undefined && !['EC2', 'ELB', 'VPC_LATTICE', 'EBS'].includes(type)) throw new QueryError('ValidationError', `Health check type ${type} is not supported; use EC2 or ELB`);
  };

  const targetGroupsOf = (params: QueryNode, ctx: SimContext): string[] => {
    const arns = memberStrings(params, 'TargetGroupARNs');
    if (arns.some((arn) => !elbv2(ctx)?.targetGroupExists(arn))) throw new QueryError('ValidationError', 'Provided Target Groups may not be valid. Please ensure they exist and try again.');
    return arns;
  };

  const create = (p: QueryNode, ctx: SimContext): XmlObject => {
    const name = required(p, 'AutoScalingGroupName');
    if (name.length > 255) throw new QueryError('ValidationError', `1 validation error detected: Value '${name}' at 'autoScalingGroupName' failed to satisfy constraint: Member must have length less than or equal to 255`);
    if (groups.has(name)) throw new QueryError('AlreadyExists', `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`);
    const min = int(p, 'MinSize');
    const max = int(p, 'MaxSize');
    if (min === undefined) throw new QueryError('ValidationError', "1 validation error detected: Value null at 'minSize' failed to satisfy constraint: Member must not be null");
    if (max === undefined) throw new QueryError('ValidationError', "1 validation error detected: Value null at 'maxSize' failed to satisfy constraint: Member must not be null");
    const desired = int(p, 'DesiredCapacity') ?? min;
    checkCapacity(min, max, desired);
    const ltNode = child(p, 'LaunchTemplate');
    if (!ltNode) {
      throw new QueryError('ValidationError', 'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.');
    }
    const launchTemplate = launchTemplateOf(ltNode, ctx);
    const zoneIdentifier = str(p, 'VPCZoneIdentifier') ?? '';
    const subnets = subnetsOf(zoneIdentifier, ctx);
    const azParam = memberStrings(p, 'AvailabilityZones');
    if (subnets.length === 0) throw new QueryError('ValidationError', azParam.length > 0 ? 'No default subnet in the availability zones given; pass VPCZoneIdentifier with subnet ids' : 'At least one Availability Zone or VPC Subnet is required.');
    if (new Set(subnets.map((s) => s.vpcId)).size > 1) throw new QueryError('ValidationError', 'The subnets in VPCZoneIdentifier must all be in the same VPC');
    const healthCheckType = str(p, 'HealthCheckType');
    checkHealthCheckType(healthCheckType);
    const tags = members(p, 'Tags').map((t) => {
      const key = typeof t === 'string' ? '' : (str(t, 'Key') ?? '');
      if (key === '') throw new QueryError('ValidationError', 'Tag key must not be empty');
      if (key.startsWith('aws:')) throw new QueryError('ValidationError', `Tag keys starting with 'aws:' are reserved: ${key}`);
      return { key, value: typeof t === 'string' ? '' : (str(t, 'Value') ?? ''), propagate: typeof t === 'string' ? false : (bool(t, 'PropagateAtLaunch') ?? false) };
    });
    const group: Group = {
      name,
      arn: `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:autoScalingGroup:${uuid(ctx.random)}:autoScalingGroupName/${name}`,
      min,
      max,
      desired,
      defaultCooldown: int(p, 'DefaultCooldown') ?? 300,
      healthCheckType: healthCheckType ?? 'EC2',
      healthCheckGracePeriod: int(p, 'HealthCheckGracePeriod') ?? 0,
      launchTemplate,
      vpcZoneIdentifier: subnets.map((s) => s.subnetId).join(','),
      subnets: subnets.map(({ subnetId, az }) => ({ subnetId, az })),
      targetGroupArns: targetGroupsOf(p, ctx),
      loadBalancerNames: memberStrings(p, 'LoadBalancerNames'),
      terminationPolicies: memberStrings(p, 'TerminationPolicies').length > 0 ? memberStrings(p, 'TerminationPolicies') : ['Default'],
      newInstancesProtectedFromScaleIn: bool(p, 'NewInstancesProtectedFromScaleIn') ?? false,
      capacityRebalance: bool(p, 'CapacityRebalance') ?? false,
      suspended: new Map(),
      tags,
      createdTime: ctx.now(),
      instances: new Map<string, GroupInstance>(),
      activities: [],
      lifecycleHooks: [],
      enabledMetrics: [],
      nextLaunchAt: ctx.now(),
    };
    groups.set(name, group);
    ctx.event('group.created', { group: name, min, max, desired, targetGroupArns: group.targetGroupArns });
    return {};
  };

  const describe = (p: QueryNode): XmlObject => {
    const names = memberStrings(p, 'AutoScalingGroupNames');
    const filters = members(p, 'Filters').map((f) => ({ name: typeof f === 'string' ? '' : (str(f, 'Name') ?? ''), values: typeof f === 'string' ? [] : memberStrings(f, 'Values') }));
    const list = [...groups.values()]
      .filter((g) => names.length === 0 || names.includes(g.name))
      .filter((g) =>
        filters.every((f) => {
          if (f.name === 'tag-key') return g.tags.some((t) => f.values.includes(t.key));
          if (f.name === 'tag-value') return g.tags.some((t) => f.values.includes(t.value));
          if (f.name.startsWith('tag:')) return g.tags.some((t) => t.key === f.name.slice(4) && f.values.includes(t.value));
          throw new QueryError('ValidationError', `Filter name '${f.name}' is not valid; use tag-key, tag-value or tag:<key>`);
        }),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { page, next } = pageOf(list, str(p, 'NextToken'), int(p, 'MaxRecords') ?? 50, { max: 100, code: 'InvalidNextToken', field: 'maxRecords' });
    return { AutoScalingGroups: page.map(groupXml), NextToken: next };
  };

  const update = (p: QueryNode, ctx: SimContext): XmlObject => {
    const group = live(required(p, 'AutoScalingGroupName'));
    const min = int(p, 'MinSize') ?? group.min;
    const max = int(p, 'MaxSize') ?? group.max;
    // As AWS: a new min above the desired raises it, a new max below lowers it.
    const desired = int(p, 'DesiredCapacity') ?? Math.min(Math.max(group.desired, min), max);
    checkCapacity(min, max, desired);
    const ltNode = child(p, 'LaunchTemplate');
    const launchTemplate = ltNode ? launchTemplateOf(ltNode, ctx) : group.launchTemplate;
    const zoneIdentifier = str(p, 'VPCZoneIdentifier');
    const subnets = zoneIdentifier !== undefined ? subnetsOf(zoneIdentifier, ctx) : undefined;
    const healthCheckType = str(p, 'HealthCheckType');
    checkHealthCheckType(healthCheckType);
    Object.assign(group, {
      min,
      max,
      desired,
      launchTemplate,
      ...(subnets ? { subnets: subnets.map(({ subnetId, az }) => ({ subnetId, az })), vpcZoneIdentifier: subnets.map((s) => s.subnetId).join(',') } : {}),
      ...(healthCheckType !== undefined ? { healthCheckType } : {}),
      ...(int(p, 'HealthCheckGracePeriod') !== undefined ? { healthCheckGracePeriod: int(p, 'HealthCheckGracePeriod') } : {}),
      ...(int(p, 'DefaultCooldown') !== undefined ? { defaultCooldown: int(p, 'DefaultCooldown') } : {}),
      ...(memberStrings(p, 'TerminationPolicies').length > 0 ? { terminationPolicies: memberStrings(p, 'TerminationPolicies') } : {}),
      ...(bool(p, 'NewInstancesProtectedFromScaleIn') !== undefined ? { newInstancesProtectedFromScaleIn: bool(p, 'NewInstancesProtectedFromScaleIn') } : {}),
      ...(bool(p, 'CapacityRebalance') !== undefined ? { capacityRebalance: bool(p, 'CapacityRebalance') } : {}),
    });
    ctx.event('group.updated', { group: group.name, min, max, desired });
    return {};
  };

  const setDesired = (p: QueryNode, ctx: SimContext): XmlObject => {
    const group = live(required(p, 'AutoScalingGroupName'));
    const desired = int(p, 'DesiredCapacity');
    if (desired === undefined) throw new QueryError('ValidationError', "1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null");
    if (desired > group.max) throw new QueryError('ValidationError', `New SetDesiredCapacity value ${desired} is above max value ${group.max} for the AutoScalingGroup.`);
    if (desired < group.min) throw new QueryError('ValidationError', `New SetDesiredCapacity value ${desired} is below min value ${group.min} for the AutoScalingGroup.`);
    group.desired = desired;
    ctx.event('group.updated', { group: group.name, min: group.min, max: group.max, desired });
    return {};
  };

  const processes = (p: QueryNode): string[] => {
    const names = memberStrings(p, 'ScalingProcesses');
    const invalid = names.filter((n) => !(SCALING_PROCESSES as readonly string[]).includes(n));
    if (invalid.length > 0) throw new QueryError('ValidationError', `Process names ${invalid.join(', ')} are not valid; valid names: ${SCALING_PROCESSES.join(', ')}`);
    return names.length > 0 ? names : [...SCALING_PROCESSES];
  };

  const suspend = (p: QueryNode, ctx: SimContext): XmlObject => {
    const group = live(required(p, 'AutoScalingGroupName'));
    const names = processes(p);
    for (const name of names) if (!group.suspended.has(name)) group.suspended.set(name, `User suspended at ${isoTime(ctx.now()).replace(/\.\d+Z$/, 'Z')}`);
    ctx.event('group.processes-suspended', { group: group.name, processes: names });
    return {};
  };

  const resume = (p: QueryNode, ctx: SimContext): XmlObject => {
    const group = live(required(p, 'AutoScalingGroupName'));
    const names = processes(p);
    for (const name of names) group.suspended.delete(name);
    ctx.event('group.processes-resumed', { group: group.name, processes: names });
    return {};
  };

  const remove = (p: QueryNode, ctx: SimContext): XmlObject => {
    const name = required(p, 'AutoScalingGroupName');
    const group = groups.get(name);
    if (!group) throw notFound(name);
    if (group.status !== undefined) return {};
    const force = bool(p, 'ForceDelete') ?? false;
    if (!force && group.instances.size > 0) {
      throw new QueryError('ResourceInUse', 'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.');
    }
    group.status = 'Delete in progress';
    group.deleteAt = ctx.now() + timings.groupDeleteMs;
    group.desired = 0;
    group.min = 0;
    for (const instance of group.instances.values()) {
      instance.lifecycle = 'Terminating';
      for (const tg of group.targetGroupArns) elbv2(ctx)?.deregister(ctx, tg, [{ id: instance.id }]);
      ec2(ctx).terminate(ctx, instance.id, 'User initiated');
    }
    ctx.event('group.deleting', { group: name, force });
    return {};
  };

  const activities = (p: QueryNode): XmlObject => {
    const name = str(p, 'AutoScalingGroupName');
    const ids = memberStrings(p, 'ActivityIds');
    const all = [...groups.values()]
      .filter((g) => name === undefined || g.name === name)
      .flatMap((g) => g.activities)
      .filter((a) => ids.length === 0 || ids.includes(a.id))
      .sort((a, b) => b.startTime - a.startTime || b.seq - a.seq);
    const { page, next } = pageOf(all, str(p, 'NextToken'), int(p, 'MaxRecords') ?? 100, { max: 100, code: 'InvalidNextToken', field: 'maxRecords' });
    return {
      Activities: page.map((a) => ({
        ActivityId: a.id,
        AutoScalingGroupName: a.group,
        Description: a.description,
        Cause: a.cause,
        StartTime: isoTime(a.startTime),
        EndTime: a.endTime !== undefined ? isoTime(a.endTime) : undefined,
        StatusCode: a.status,
        StatusMessage: a.statusMessage,
        Progress: a.status === 'InProgress' ? 50 : 100,
        Details: a.details,
        AutoScalingGroupARN: groups.get(a.group)?.arn,
      })),
      NextToken: next,
    };
  };

  const instancesOf = (p: QueryNode): XmlObject => {
    const ids = memberStrings(p, 'InstanceIds');
    const all = [...groups.values()].flatMap((g) => [...g.instances.values()].map((i) => ({ g, i }))).filter(({ i }) => ids.length === 0 || ids.includes(i.id));
    const { page, next } = pageOf(all, str(p, 'NextToken'), int(p, 'MaxRecords') ?? 50, { max: 50, code: 'InvalidNextToken', field: 'maxRecords' });
    return {
      AutoScalingInstances: page.map(({ g, i }) => ({
        InstanceId: i.id,
        InstanceType: i.instanceType,
        AutoScalingGroupName: g.name,
        AvailabilityZone: i.az,
        LifecycleState: i.lifecycle,
        HealthStatus: i.health.toUpperCase(),
        LaunchTemplate: { LaunchTemplateId: i.launchTemplate.id, LaunchTemplateName: i.launchTemplate.name, Version: i.launchTemplate.version },
        ProtectedFromScaleIn: i.protectedFromScaleIn,
      })),
      NextToken: next,
    };
  };

  const putHook = (p: QueryNode): XmlObject => {
    const group = live(required(p, 'AutoScalingGroupName'));
    const hookName = required(p, 'LifecycleHookName');
    const transition = str(p, 'LifecycleTransition');
    const existing = group.lifecycleHooks.find((h) => h.name === hookName);
    if (!existing && !transition) throw new QueryError('ValidationError', 'LifecycleTransition is required when creating a lifecycle hook');
    if (transition && !['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING'].includes(transition)) {
      throw new QueryError('ValidationError', `Invalid Lifecycle Transition: ${transition}`);
    }
    const hook = {
      name: hookName,
      transition: transition ?? existing!.transition,
      heartbeatTimeout: int(p, 'HeartbeatTimeout') ?? existing?.heartbeatTimeout ?? 3600,
      defaultResult: str(p, 'DefaultResult') ?? existing?.defaultResult ?? 'ABANDON',
    };
    group.lifecycleHooks = [...group.lifecycleHooks.filter((h) => h.name !== hookName), hook];
    return {};
  };

  const describeHooks = (p: QueryNode): XmlObject => {
    const group = groups.get(required(p, 'AutoScalingGroupName'));
    if (!group) throw notFound(required(p, 'AutoScalingGroupName'));
    const names = memberStrings(p, 'LifecycleHookNames');
    return {
      LifecycleHooks: group.lifecycleHooks
        .filter((h) => names.length === 0 || names.includes(h.name))
        .map((h) => ({
          LifecycleHookName: h.name,
          AutoScalingGroupName: group.name,
          LifecycleTransition: h.transition,
          HeartbeatTimeout: h.heartbeatTimeout,
          GlobalTimeout: h.heartbeatTimeout * 100,
          DefaultResult: h.defaultResult,
        })),
    };
  };

  const enableMetrics = (p: QueryNode): XmlObject => {
    const group = live(required(p, 'AutoScalingGroupName'));
    if (required(p, 'Granularity') !== '1Minute') throw new QueryError('ValidationError', `Granularity '${str(p, 'Granularity')}' is not valid; use 1Minute`);
    const metrics = memberStrings(p, 'Metrics');
    group.enabledMetrics = metrics.length > 0 ? metrics : ['GroupMinSize', 'GroupMaxSize', 'GroupDesiredCapacity', 'GroupInServiceInstances', 'GroupPendingInstances', 'GroupTerminatingInstances', 'GroupTotalInstances'];
    return {};
  };

  const handlers: Record<Operation, (p: QueryNode, ctx: SimContext) => XmlObject> = {
    CreateAutoScalingGroup: create,
    DescribeAutoScalingGroups: describe,
    UpdateAutoScalingGroup: update,
    SetDesiredCapacity: setDesired,
    SuspendProcesses: suspend,
    ResumeProcesses: resume,
    DeleteAutoScalingGroup: remove,
    DescribeScalingActivities: activities,
    DescribeAutoScalingInstances: instancesOf,
    PutLifecycleHook: putHook,
    DescribeLifecycleHooks: describeHooks,
    EnableMetricsCollection: enableMetrics,
  };

  return {
    signingName: 'autoscaling',
    protocol: { kind: 'awsQuery', xmlns: XMLNS, version: '2011-01-01' },
    operations: OPERATIONS,
    handle(req: SimRequest, ctx: SimContext): SimResponse {
      const params = queryTree(queryParams(req));
      const action = str(params, 'Action') as Operation;
      try {
        const result = handlers[action](params, ctx);
        return VOID.includes(action) ? awsQueryVoidResponse(action, XMLNS, ctx.requestId) : awsQueryResponse(action, XMLNS, result, ctx.requestId);
      } catch (error) {
        if (error instanceof QueryError) return awsQueryError(XMLNS, error.status, error.code, error.message, ctx.requestId);
        throw error;
      }
    },
    reconcile(ctx) {
      for (const group of [...groups.values()]) {
        if (group.status !== undefined && group.deleteAt !== undefined && group.deleteAt <= ctx.now()) {
          groups.delete(group.name);
          ctx.event('group.deleted', { group: group.name });
          continue;
        }
        reconcileGroup(group, ctx, ec2(ctx), elbv2(ctx));
      }
    },
    nextChangeAt() {
      let next: number | undefined;
      for (const group of groups.values()) {
        const at = group.status !== undefined ? group.deleteAt : group.retryLaunchAt;
        if (at !== undefined && (next === undefined || at < next)) next = at;
        for (const instance of group.instances.values()) {
          const healthAt = instance.unhealthySince === undefined ? undefined : Math.max(instance.unhealthySince, instance.launchTime + group.healthCheckGracePeriod * 1000);
          if (healthAt !== undefined && instance.health === 'Healthy' && (next === undefined || healthAt < next)) next = healthAt;
        }
      }
      return next;
    },
    snapshot() {
      return {
        autoScalingGroups: [...groups.values()].map((g) => ({
          name: g.name,
          min: g.min,
          max: g.max,
          desired: g.desired,
          ...(g.status !== undefined ? { status: g.status } : {}),
          launchTemplate: g.launchTemplate,
          subnets: g.subnets.map((s) => s.subnetId),
          targetGroupArns: g.targetGroupArns,
          suspendedProcesses: [...g.suspended.keys()],
          healthCheckType: g.healthCheckType,
          tags: Object.fromEntries(g.tags.map((t) => [t.key, t.value])),
          instances: [...g.instances.values()].map((i) => ({ instanceId: i.id, az: i.az, lifecycleState: i.lifecycle, healthStatus: i.health })),
        })),
      };
    },
  };
}

function groupXml(g: Group): XmlObject {
  const azs = [...new Set(g.subnets.map((s) => s.az))].sort();
  return {
    AutoScalingGroupName: g.name,
    AutoScalingGroupARN: g.arn,
    LaunchTemplate: { LaunchTemplateId: g.launchTemplate.id, LaunchTemplateName: g.launchTemplate.name, Version: g.launchTemplate.version },
    MinSize: g.min,
    MaxSize: g.max,
    DesiredCapacity: g.desired,
    DefaultCooldown: g.defaultCooldown,
    AvailabilityZones: azs,
    LoadBalancerNames: g.loadBalancerNames,
    TargetGroupARNs: g.targetGroupArns,
    HealthCheckType: g.healthCheckType,
    HealthCheckGracePeriod: g.healthCheckGracePeriod,
    Instances: [...g.instances.values()].map((i) => ({
      InstanceId: i.id,
      InstanceType: i.instanceType,
      AvailabilityZone: i.az,
      LifecycleState: i.lifecycle,
      HealthStatus: i.health,
      LaunchTemplate: { LaunchTemplateId: i.launchTemplate.id, LaunchTemplateName: i.launchTemplate.name, Version: i.launchTemplate.version },
      ProtectedFromScaleIn: i.protectedFromScaleIn,
    })),
    CreatedTime: isoTime(g.createdTime),
    SuspendedProcesses: [...g.suspended].map(([ProcessName, SuspensionReason]) => ({ ProcessName, SuspensionReason })),
    VPCZoneIdentifier: g.vpcZoneIdentifier,
    EnabledMetrics: g.enabledMetrics.map((Metric) => ({ Metric, Granularity: '1Minute' })),
    Status: g.status,
    Tags: [...g.tags]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((t) => ({ ResourceId: g.name, ResourceType: 'auto-scaling-group', Key: t.key, Value: t.value, PropagateAtLaunch: t.propagate })),
    TerminationPolicies: g.terminationPolicies,
    NewInstancesProtectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
    ServiceLinkedRoleARN: `arn:aws:iam::${g.arn.split(':')[4]}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: g.capacityRebalance,
    TrafficSources: g.targetGroupArns.map((Identifier) => ({ Identifier, Type: 'elbv2' })),
  };
}
