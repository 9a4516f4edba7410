/**
 * Instance health on GCE as clouddriver computes it (`reference/cloud-targets.md` §1.3), pure:
 * the `Google` platform health from the MIG's view of the instance (listManagedInstances:
 * `instanceStatus` and `currentAction`), and the `LoadBalancer` health from
 * `backendServices.getHealth` / `targetPools.getHealth` of each load balancer the server group is
 * in, combined as Orca's HealthHelper does when every provider counts.
 *
 * - Platform: an instance the MIG is creating, or PROVISIONING/STAGING, is Starting; RUNNING is up
 *   for the platform (clouddriver's `Unknown`, which counts as up); one being deleted, abandoned or
 *   in any other status is Down.
 * - Load balancers: HEALTHY is Up, anything else Down; an instance a load balancer does not report
 *   yet is Starting (its first health check has not run).
 * - An instance of a server group in no load balancer (none declared, or disabled) has its
 *   platform health, so a disabled group's instances keep their health behind its `disabled` flag.
 */
import type { InstanceHealth } from '../../../core/ports/server-groups.ts';

/** clouddriver's health states, as far as GCE reports them. */
export type GceHealthState = 'Up' | 'Down' | 'Starting' | 'Unknown';

const CREATING = new Set(['CREATING', 'CREATING_WITHOUT_RETRIES', 'RECREATING', 'VERIFYING', 'STARTING', 'RESUMING']);
const LEAVING = new Set(['DELETING', 'ABANDONING', 'STOPPING', 'SUSPENDING']);

/** The `Google` platform health of a managed instance. */
export function platformHealth(instanceStatus: string | null | undefined, currentAction: string | null | undefined): GceHealthState {
  const action = currentAction ?? 'NONE';
  if (LEAVING.has(action)) return 'Down';
  if (CREATING.has(action)) return 'Starting';
  switch (instanceStatus ?? '') {
    case '':
    case 'PROVISIONING':
    case 'STAGING':
      return 'Starting';
    case 'RUNNING':
      return 'Unknown';
    default:
      return 'Down';
  }
}

/** One load balancer's view of an instance: `HEALTHY` Up, undefined (not reported yet) Starting, else Down. */
export function loadBalancerHealth(healthState: string | null | undefined): GceHealthState {
  if (healthState === undefined || healthState === null) return 'Starting';
  return healthState === 'HEALTHY' ? 'Up' : 'Down';
}

/**
 * The instance's health for the port: the platform's when it is in no load balancer; otherwise Up
 * only when every load balancer it is in says HEALTHY (Orca's someAreUpAndNoneAreDownOrStarting).
 */
export function instanceHealth(platform: GceHealthState, loadBalancers: readonly GceHealthState[]): InstanceHealth {
  if (platform === 'Down') return 'Down';
  if (platform === 'Starting') return 'Starting';
  if (loadBalancers.length === 0) return 'Up';
  if (loadBalancers.includes('Down')) return 'Down';
  if (loadBalancers.includes('Starting')) return 'Starting';
  return 'Up';
}
