/**
 * What Auto Scaling does on its own between calls, one group at a time:
 *
 * 1. Follows its instances in EC2: `running` makes a Pending instance InService and, unless
 *    `AddToLoadBalancer` is suspended at that moment, registers it in the group's target groups
 *    (AWS never registers later the instances that came up while it was suspended).
 * 2. With HealthCheckType ELB (and HealthCheck not suspended), marks an InService instance
 *    Unhealthy once a target group reports it unhealthy past the grace period; an instance
 *    terminated outside the group leaves it.
 * 3. Replaces Unhealthy instances unless `ReplaceUnhealthy` or `Terminate` is suspended.
 * 4. Terminates down to the desired capacity unless `Terminate` is suspended (deregistering
 *    first and waiting for the drain), and launches up to it unless `Launch` is suspended; a
 *    refused launch is a Failed scaling activity, retried 30 s later.
 */
import type { Ec2Sim } from './ec2.ts';
import type { Elbv2Sim } from './elbv2.ts';
import { isoTime } from './query-protocol.ts';
import { uuid } from './random.ts';
import type { SimContext } from './service.ts';

const LAUNCH_RETRY_MS = 30_000;

/** An instance as its group sees it. */
export interface GroupInstance {
  readonly id: string;
  readonly az: string;
  readonly subnetId: string;
  readonly instanceType: string;
  readonly launchTime: number;
  readonly launchTemplate: { id: string; name: string; version: string };
  readonly protectedFromScaleIn: boolean;
  lifecycle: 'Pending' | 'InService' | 'Terminating';
  health: 'Healthy' | 'Unhealthy';
  /** When a target group first reported it unhealthy (cleared when it recovers). */
  unhealthySince?: number;
  /** The launch activity to close when the instance is InService. */
  activity?: Activity;
  /** The termination activity to close when EC2 reports it terminated. */
  terminateActivity?: Activity;
}

/** A scaling activity (DescribeScalingActivities). */
export interface Activity {
  readonly seq: number;
  readonly id: string;
  readonly group: string;
  readonly description: string;
  readonly cause: string;
  readonly startTime: number;
  readonly details: string;
  endTime?: number;
  status: 'InProgress' | 'Successful' | 'Failed';
  statusMessage?: string;
}

/** An Auto Scaling group's state. */
export interface Group {
  readonly name: string;
  readonly arn: string;
  min: number;
  max: number;
  desired: number;
  defaultCooldown: number;
  healthCheckType: string;
  healthCheckGracePeriod: number;
  launchTemplate: { id: string; name: string; version: string };
  vpcZoneIdentifier: string;
  subnets: { subnetId: string; az: string }[];
  readonly targetGroupArns: readonly string[];
  readonly loadBalancerNames: readonly string[];
  terminationPolicies: readonly string[];
  newInstancesProtectedFromScaleIn: boolean;
  capacityRebalance: boolean;
  /** Suspended process → reason. */
  readonly suspended: Map<string, string>;
  readonly tags: readonly { key: string; value: string; propagate: boolean }[];
  readonly createdTime: number;
  readonly instances: Map<string, GroupInstance>;
  readonly activities: Activity[];
  lifecycleHooks: { name: string; transition: string; heartbeatTimeout: number; defaultResult: string }[];
  enabledMetrics: string[];
  nextLaunchAt: number;
  /** After a refused launch: when to try again. */
  retryLaunchAt?: number;
  status?: 'Delete in progress';
  deleteAt?: number;
}

/** Moves one group to `ctx.now()` (see the file comment for the rules). */
export function reconcileGroup(group: Group, ctx: SimContext, ec2: Ec2Sim, elbv2: Elbv2Sim | undefined): void {
  const now = ctx.now();
  const suspended = (process: string) => group.suspended.has(process);
  let seq = group.activities.length;
  const activity = (description: string, cause: string, details: Record<string, string>, status: Activity['status'], statusMessage?: string): Activity => {
    const created: Activity = {
      seq: (seq += 1),
      id: uuid(ctx.random),
      group: group.name,
      description,
      cause,
      startTime: now,
      details: JSON.stringify(details),
      status,
      ...(status !== 'InProgress' ? { endTime: now } : {}),
      ...(statusMessage !== undefined ? { statusMessage } : {}),
    };
    group.activities.push(created);
    return created;
  };
  const at = () => isoTime(now).replace(/\.\d+Z$/, 'Z');

  const startTerminating = (instance: GroupInstance, cause: string) => {
    instance.lifecycle = 'Terminating';
    for (const tg of group.targetGroupArns) elbv2?.deregister(ctx, tg, [{ id: instance.id }]);
    instance.terminateActivity = activity(`Terminating EC2 instance: ${instance.id}`, cause, { 'Subnet ID': instance.subnetId, 'Availability Zone': instance.az }, 'InProgress');
    ctx.event('group.instance-terminating', { group: group.name, instanceId: instance.id });
  };

  // 1. Follow EC2.
  for (const instance of [...group.instances.values()]) {
    const ec2State = ec2.instance(instance.id)?.state;
    if (ec2State === undefined || ec2State === 'terminated') {
      group.instances.delete(instance.id);
      if (instance.terminateActivity) {
        instance.terminateActivity.status = 'Successful';
        instance.terminateActivity.endTime = now;
      }
      ctx.event('group.instance-terminated', { group: group.name, instanceId: instance.id });
      continue;
    }
    if (instance.lifecycle === 'Terminating') {
      // Connection draining: EC2 terminates the instance once every target group let it go.
      const draining = group.targetGroupArns.some((tg) => elbv2?.targetState(tg, instance.id) !== undefined);
      if (!draining && (ec2State === 'running' || ec2State === 'pending')) ec2.terminate(ctx, instance.id, 'Service initiated');
      continue;
    }
    if (ec2State === 'shutting-down') {
      instance.health = 'Unhealthy';
      instance.lifecycle = 'Terminating';
      ctx.event('group.instance-unhealthy', { group: group.name, instanceId: instance.id, reason: 'instance terminated outside Auto Scaling' });
      continue;
    }
    if (instance.lifecycle === 'Pending' && ec2State === 'running') {
      instance.lifecycle = 'InService';
      if (instance.activity) {
        instance.activity.status = 'Successful';
        instance.activity.endTime = now;
        delete instance.activity;
      }
      ctx.event('group.instance-in-service', { group: group.name, instanceId: instance.id });
      if (!suspended('AddToLoadBalancer')) for (const tg of group.targetGroupArns) elbv2?.register(ctx, tg, [{ id: instance.id }]);
    }
  }
  if (group.status !== undefined) return;

  // 2. Load-balancer health.
  if (group.healthCheckType === 'ELB' && !suspended('HealthCheck')) {
    for (const instance of group.instances.values()) {
      if (instance.lifecycle !== 'InService' || instance.health === 'Unhealthy') continue;
      const failing = group.targetGroupArns.some((tg) => elbv2?.targetState(tg, instance.id) === 'unhealthy');
      if (!failing) {
        delete instance.unhealthySince;
        continue;
      }
      instance.unhealthySince ??= now;
      if (now >= Math.max(instance.unhealthySince, instance.launchTime + group.healthCheckGracePeriod * 1000)) {
        instance.health = 'Unhealthy';
        ctx.event('group.instance-unhealthy', { group: group.name, instanceId: instance.id, reason: 'ELB health check failed' });
      }
    }
  }

  // 3. Replace unhealthy instances.
  if (!suspended('ReplaceUnhealthy') && !suspended('Terminate')) {
    for (const instance of group.instances.values()) {
      if (instance.health === 'Unhealthy' && instance.lifecycle === 'InService') {
        startTerminating(instance, `At ${at()} an instance was taken out of service in response to an ELB system health check failure.`);
      }
    }
  }

  // 4. Capacity.
  const active = [...group.instances.values()].filter((i) => i.lifecycle !== 'Terminating');
  if (active.length > group.desired && !suspended('Terminate')) {
    const victims = pickForScaleIn(active, group).slice(0, active.length - group.desired);
    for (const victim of victims) {
      startTerminating(victim, `At ${at()} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${active.length} to ${group.desired}.`);
    }
  }
  if (active.length < group.desired && !suspended('Launch') && now >= (group.retryLaunchAt ?? 0)) {
    const from = active.length;
    for (let n = active.length; n < group.desired; n += 1) {
      const subnet = leastUsedSubnet(group);
      const cause = `At ${at()} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${from} to ${group.desired}.`;
      const tags = [...group.tags.filter((t) => t.propagate).map((t) => ({ Key: t.key, Value: t.value })), { Key: 'aws:autoscaling:groupName', Value: group.name }];
      const template = ec2.launchTemplate({ id: group.launchTemplate.id });
      const launched = template ? ec2.launch(ctx, { template, version: group.launchTemplate.version, subnetId: subnet.subnetId, tags }) : ({ ok: false, message: `The specified launch template, with template ID ${group.launchTemplate.id}, does not exist.` } as const);
      if (!launched.ok) {
        activity('Launching a new EC2 instance.  Status Reason: ' + launched.message, cause, { 'Subnet ID': subnet.subnetId, 'Availability Zone': subnet.az }, 'Failed', launched.message);
        group.retryLaunchAt = now + LAUNCH_RETRY_MS;
        ctx.event('group.launch-failed', { group: group.name, message: launched.message });
        break;
      }
      delete group.retryLaunchAt;
      const instance: GroupInstance = {
        id: launched.instance.instanceId,
        az: subnet.az,
        subnetId: subnet.subnetId,
        instanceType: launched.instance.instanceType,
        launchTime: now,
        launchTemplate: { id: template!.id, name: template!.name, version: String(launched.instance.launchTemplate?.version ?? group.launchTemplate.version) },
        protectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
        lifecycle: 'Pending',
        health: 'Healthy',
      };
      instance.activity = activity(`Launching a new EC2 instance: ${instance.id}`, cause, { 'Subnet ID': subnet.subnetId, 'Availability Zone': subnet.az }, 'InProgress');
      group.instances.set(instance.id, instance);
      ctx.event('group.instance-launched', { group: group.name, instanceId: instance.id, az: subnet.az });
    }
  }
}

/** The subnet of the AZ with the fewest active instances (Auto Scaling balances AZs); ties go to the first listed. */
function leastUsedSubnet(group: Group): { subnetId: string; az: string } {
  const count = (az: string) => [...group.instances.values()].filter((i) => i.az === az && i.lifecycle !== 'Terminating').length;
  return [...group.subnets].sort((a, b) => count(a.az) - count(b.az))[0]!;
}

/**
 * Scale-in order of the Default termination policy, simplified: unprotected instances only,
 * from the AZ with the most instances, those on an older launch template version first, then
 * Pending before InService, then the newest.
 */
function pickForScaleIn(active: readonly GroupInstance[], group: Group): GroupInstance[] {
  const perAz = new Map<string, number>();
  for (const i of active) perAz.set(i.az, (perAz.get(i.az) ?? 0) + 1);
  const current = group.launchTemplate.version;
  return active
    .filter((i) => !i.protectedFromScaleIn)
    .sort(
      (a, b) =>
        (perAz.get(b.az) ?? 0) - (perAz.get(a.az) ?? 0) ||
        Number(a.launchTemplate.version === current) - Number(b.launchTemplate.version === current) ||
        Number(a.lifecycle === 'InService') - Number(b.lifecycle === 'InService') ||
        b.launchTime - a.launchTime,
    );
}
