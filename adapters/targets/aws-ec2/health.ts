/**
 * Instance health on EC2 as clouddriver computes it (`reference/cloud-targets.md` §1.3), pure:
 * the `Amazon` platform health from the Auto Scaling group's view of the instance, and the
 * `TargetGroup` health from DescribeTargetHealth of every target group the instance is in,
 * combined the way Orca's HealthHelper does when every health provider counts (Orca's default).
 *
 * - Platform: `Pending*` (booting, lifecycle hooks) is Starting; `InService` and `Healthy` (AWS
 *   judges Healthy per the group's healthCheckType: EC2 status checks, or those and the target
 *   groups' checks with ELB) is Up for the platform; `Terminating*`, `Terminated`, `Detach*`, an
 *   `Unhealthy` status or an EC2 state other than pending/running is Down; Standby is Unknown.
 * - Target groups: `healthy` Up, `initial` Starting, `unused` OutOfService, `draining` Draining,
 *   anything else Down; per instance: any Starting, else any Down, else any OutOfService, else any
 *   Draining, else Up (clouddriver's InstanceTargetGroups).
 * - An instance registered in a target group is Up only when the platform and the target groups
 *   say so; one in none (no target groups, a disabled group, taken out by a partial disable) has
 *   its platform health, so a disabled group's instances keep their health as Spinnaker shows them
 *   behind its `disabled` flag.
 */
import type { InstanceHealth } from '../../../core/ports/server-groups.ts';

/** clouddriver's health states. */
export type HealthState = 'Up' | 'Down' | 'Starting' | 'OutOfService' | 'Draining' | 'Unknown';

/** The platform health of an instance as the Auto Scaling group and EC2 report it. */
export function platformHealth(lifecycleState: string | undefined, healthStatus: string | undefined, ec2State?: string): HealthState {
  const lifecycle = lifecycleState ?? '';
  if (lifecycle.startsWith('Terminat') || lifecycle.startsWith('Detach') || lifecycle === 'Warmed:Terminated') return 'Down';
  if (ec2State !== undefined && ec2State !== 'running' && ec2State !== 'pending') return 'Down';
  if (lifecycle.startsWith('Pending') || lifecycle === 'Quarantined') return 'Starting';
  if (lifecycle === 'Standby' || lifecycle.startsWith('EnteringStandby')) return 'Unknown';
  if (lifecycle !== 'InService') return 'Unknown';
  if ((healthStatus ?? 'Healthy').toLowerCase() !== 'healthy') return 'Down';
  // Running but still in EC2's pending state: not booted yet.
  if (ec2State === 'pending') return 'Starting';
  return 'Up';
}

/** One target's state in one target group, as clouddriver's InstanceTargetGroupState reads it. */
export function targetGroupHealth(state: string | undefined): HealthState {
  switch (state) {
    case 'healthy':
      return 'Up';
    case 'initial':
      return 'Starting';
    case 'unused':
      return 'OutOfService';
    case 'draining':
      return 'Draining';
    default:
      return 'Down';
  }
}

/** An instance's target-group health over every group it is in; undefined when it is in none. */
export function combinedTargetGroupHealth(states: readonly HealthState[]): HealthState | undefined {
  if (states.length === 0) return undefined;
  for (const wanted of ['Starting', 'Down', 'OutOfService', 'Draining'] as const) if (states.includes(wanted)) return wanted;
  return 'Up';
}

/**
 * The instance's health for the port: the platform's, unless it is registered (not draining) in a
 * target group, where the target group's counts too (Orca's someAreUpAndNoneAreDownOrStarting).
 */
export function instanceHealth(platform: HealthState, targetGroups: HealthState | undefined): InstanceHealth {
  if (platform === 'Down') return 'Down';
  if (platform === 'Starting') return 'Starting';
  if (platform !== 'Up') return 'Unknown';
  if (targetGroups === undefined || targetGroups === 'Draining') return 'Up';
  if (targetGroups === 'Up') return 'Up';
  if (targetGroups === 'Starting') return 'Starting';
  if (targetGroups === 'OutOfService') return 'Unknown';
  return 'Down';
}
