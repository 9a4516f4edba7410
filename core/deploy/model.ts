/**
 * The deploy domain (DESIGN.md §6), Spinnaker's model: account → location (region) → cluster →
 * server group. A server group is immutable; a new version is a new server group, so only its
 * capacity and its traffic change. Plain readonly data: planners read a `ClusterState` and
 * return steps, and the deploy target (a port) is what makes them happen.
 *
 * The shapes are structurally compatible with the DeployTarget port's descriptions, so a
 * described cluster can be planned over without copying.
 */

/** An account: where server groups are created, and by which cloud provider. */
export interface Account {
  readonly name: string;
  /** `local`, `aws`, `ecs`, `lambda`, `gce`, `kubernetes`... */
  readonly cloudProvider: string;
}

/** The account every installation has: real processes on this machine. */
export const LOCAL_ACCOUNT: Account = { name: 'local', cloudProvider: 'local' };

/** The accounts known without configuration: only `local`. */
export function defaultAccounts(): readonly Account[] {
  return [LOCAL_ACCOUNT];
}

/**
 * Instance health as Spinnaker names it. Only `Up` counts as serving (traffic guards, targeting
 * by health); `Starting` is launched but not yet passing its health check.
 */
export type InstanceHealth = 'Up' | 'Down' | 'Starting' | 'Unknown';

export interface Instance {
  /** Unique within the server group. */
  readonly id: string;
  readonly health: InstanceHealth;
  /** Where it answers, when the target knows (`127.0.0.1:40123`). */
  readonly address?: string;
  readonly launchedTime?: number;
  /** Taken out of traffic by a partial disable while its server group stays enabled. */
  readonly outOfService?: boolean;
}

/** How many instances a server group runs: `min <= desired <= max`. */
export interface Capacity {
  readonly min: number;
  readonly max: number;
  readonly desired: number;
}

/** What a server group runs, Spinnaker-artifact shaped. */
export interface ArtifactReference {
  readonly type: string;
  readonly reference: string;
  readonly name?: string;
  readonly version?: string;
}

/**
 * A deployment the cloud runs itself to bring a server group into traffic (ECS native blue/green,
 * canary or linear): where it is, and whether it waits for the pipeline.
 */
export interface CloudRollout {
  /**
   * `running`: shifting or baking; `paused`: waiting at `pauseId` for the pipeline to continue or
   * roll back; `succeeded`: the server group serves; `rolling-back`, `rolled-back`, `failed`:
   * traffic went (or goes) back to the previous version.
   */
  readonly state: 'running' | 'paused' | 'succeeded' | 'rolling-back' | 'rolled-back' | 'failed';
  /** Where it is, in the cloud's words (`POST_TEST_TRAFFIC_SHIFT`). */
  readonly stage?: string;
  /** What a paused rollout waits on (an ECS PAUSE hook's id). */
  readonly pauseId?: string;
  /** Why it is where it is, in one line (the cloud's reason for a rollback). */
  readonly message?: string;
}

export interface ServerGroup {
  /** Frigga name: `app-stack-detail-v003`. */
  readonly name: string;
  /** Frigga cluster name: `app-stack-detail`. */
  readonly cluster: string;
  readonly account: string;
  /** A region, a zone, or `local`. */
  readonly location: string;
  /** The `-vNNN` number; absent when the name has none (read it with `sequenceOf`). */
  readonly sequence?: number;
  /** Epoch ms. Spinnaker orders a cluster's server groups by it, never by sequence. */
  readonly createdTime: number;
  readonly capacity: Capacity;
  /** Out of traffic (Spinnaker's `isDisabled`). */
  readonly disabled: boolean;
  readonly instances: readonly Instance[];
  readonly artifact?: ArtifactReference;
  /** An image name, for targets that run images (findImage reports it). */
  readonly image?: string;
  /** Provider data kept as given (instance type, task definition...); planners never read it. */
  readonly launchConfig?: Readonly<Record<string, unknown>>;
  readonly loadBalancers?: readonly string[];
  /** The cloud's own deployment bringing it in, while the target can tell (see CloudRollout). */
  readonly rollout?: CloudRollout;
}

export interface LoadBalancer {
  readonly name: string;
  readonly account: string;
  readonly location: string;
  /** Server groups registered behind it. */
  readonly serverGroups: readonly string[];
  readonly endpoint?: string;
}

/** Which cluster: its Frigga name within an account and a location. */
export interface ClusterKey {
  readonly account: string;
  readonly location: string;
  readonly cluster: string;
}

/** A cluster as planners see it: every server group of the cluster in one account and location. */
export interface ClusterState extends ClusterKey {
  /** Any order; planners order by `createdTime` as Spinnaker does. */
  readonly serverGroups: readonly ServerGroup[];
  readonly loadBalancers?: readonly LoadBalancer[];
  /** The account's cloud provider, passed to strategy pipelines. @default 'local' */
  readonly cloudProvider?: string;
}

const SEQUENCE_SUFFIX = /-v([0-9]{3})$/;

/** The server group's sequence number, from its field or its name's `-vNNN`. */
export function sequenceOf(serverGroup: Pick<ServerGroup, 'name' | 'sequence'>): number | undefined {
  if (serverGroup.sequence !== undefined) return serverGroup.sequence;
  const match = SEQUENCE_SUFFIX.exec(serverGroup.name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Instances serving traffic: `Up` in an enabled server group. Spinnaker reports the instances of
 * a disabled server group OutOfService whatever their health check says; targets that report raw
 * health (local) are covered by the disabled flag.
 */
export function upInstanceCount(serverGroup: ServerGroup): number {
  if (serverGroup.disabled) return 0;
  return serverGroup.instances.filter((instance) => instance.health === 'Up').length;
}

/**
 * Spinnaker's `isActive` (AbstractClusterWideClouddriverTask): enabled, or with instances still
 * Up. With `upInstanceCount` counting only enabled server groups, that is "enabled".
 */
export function isActive(serverGroup: ServerGroup): boolean {
  return !serverGroup.disabled || upInstanceCount(serverGroup) > 0;
}

/** min = max = desired: autoscaling cannot move it (rolling red/black pins). */
export function isPinned(capacity: Capacity): boolean {
  return capacity.min === capacity.max && capacity.max === capacity.desired;
}

/** Newest first by createdTime; ties keep their order (Groovy's and Java's sorts are stable too). */
export function newestFirst(serverGroups: readonly ServerGroup[]): ServerGroup[] {
  return [...serverGroups].sort((a, b) => b.createdTime - a.createdTime);
}

export function findServerGroup(state: Pick<ClusterState, 'serverGroups'>, name: string): ServerGroup | undefined {
  return state.serverGroups.find((serverGroup) => serverGroup.name === name);
}

export function sameCapacity(a: Capacity, b: Capacity): boolean {
  return a.min === b.min && a.max === b.max && a.desired === b.desired;
}

export const ZERO_CAPACITY: Capacity = { min: 0, max: 0, desired: 0 };
