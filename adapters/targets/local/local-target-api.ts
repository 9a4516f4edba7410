/**
 * The local deploy target's own API (local-deploy-target.ts), which local-ports.ts puts on the
 * server-group and traffic ports the step executor drives (core/ports/server-groups.ts,
 * traffic.ts). Tests and the demo use it directly: it blocks where a port only starts.
 *
 * Where server groups live. Spinnaker's model — account →
 * location (region) → cluster → server group — with Frigga names chosen by the caller
 * (`reference/spinnaker.md` §1.7). A server group is immutable: a new version is a new server
 * group, so there is no "update"; capacity and traffic are the only things that change.
 *
 * The contract every implementation keeps (test/contract/deploy-target.contract.ts):
 * - Operations return result values. Expected outcomes — a name already taken, a server group
 *   that does not exist, a capability the target lacks, an artifact it cannot run — are
 *   `{ ok: false, reason, message }`; only infrastructure faults throw.
 * - Long operations start and return: `createServerGroup` and `resizeServerGroup` return once
 *   the instances are launched, not healthy. The caller polls `describeCluster` until the
 *   instances are `Up` (Orca's waitForUpInstances), so a Lambda never waits for a cloud.
 * - `disableServerGroup` takes the server group out of traffic and drains it: it resolves when
 *   the requests in flight have finished or the drain timeout has passed (`drained` says
 *   which). A disabled server group keeps its instances.
 * - Unsupported capabilities are explicit in `capabilities`, and calling one anyway answers
 *   `{ ok: false, reason: 'unsupported' }` rather than throwing.
 *
 * Pure types: no SDK, no I/O.
 */

/** Instance health as Spinnaker shows it: Starting until its health check first passes. */
export type InstanceHealth = 'Starting' | 'Up' | 'Down';

/** Capacity and artifact references are the deploy model's own (core/deploy/model.ts). */
import type { ArtifactReference, Capacity } from '../../../core/deploy/model.ts';
import type { ClusterRef, HealthCheckSettings, ServerGroupRef } from '../../../core/ports/server-groups.ts';

export type { ArtifactReference, Capacity, ClusterRef, HealthCheckSettings, ServerGroupRef };

export interface CreateServerGroupRequest extends ClusterRef {
  /** The full server group name, chosen by the caller (the next free `-vNNN` of the cluster). */
  readonly name: string;
  readonly capacity: Capacity;
  readonly artifact: ArtifactReference;
  readonly healthCheck?: HealthCheckSettings;
  /** Environment variables of every instance. */
  readonly env?: Readonly<Record<string, string>>;
  /** The command to run, argv style, relative to the artifact. @default the target's own (e.g. `node <main>`) */
  readonly command?: readonly string[];
  /** Create without traffic (rolling red/black, canaries). @default false: traffic once Up */
  readonly disabled?: boolean;
}

export interface InstanceDescription {
  /** Unique within the server group. */
  readonly id: string;
  readonly health: InstanceHealth;
  /** Where the instance answers, when the target knows (`127.0.0.1:40123`). */
  readonly address?: string;
  readonly launchedTime: number;
  /**
   * Taken out of traffic on its own by a partial disable (`DisableOptions.desiredPercentage`),
   * while its server group stays enabled; cleared when the server group is enabled again.
   * Absent or false: it takes traffic whenever its server group does and it is `Up`.
   */
  readonly outOfService?: boolean;
}

export interface ServerGroupDescription {
  readonly name: string;
  readonly cluster: string;
  readonly account: string;
  readonly location: string;
  /** Epoch ms. Frigga's next-sequence rule reads the most recently created server group. */
  readonly createdTime: number;
  readonly capacity: Capacity;
  /** Out of traffic (Spinnaker's `isDisabled`). */
  readonly disabled: boolean;
  readonly instances: readonly InstanceDescription[];
  /**
   * The percentage (0-100) of the cluster's new requests this server group receives right now:
   * 0 when disabled or without an `Up` instance.
   */
  readonly trafficWeight: number;
  readonly artifact: ArtifactReference;
}

export interface ClusterDescription extends ClusterRef {
  /** Oldest first. Empty when the cluster has no server group (not an error). */
  readonly serverGroups: readonly ServerGroupDescription[];
  /** Explicit weights set with `setTrafficWeights`; absent when traffic follows instance counts. */
  readonly trafficWeights?: Readonly<Record<string, number>>;
  /** Where the cluster's traffic enters, when the target knows (the local load balancer's URL). */
  readonly endpoint?: string;
}

/** What this target can do. A caller checks before planning (a canary by weights needs `trafficWeights`). */
export interface DeployTargetCapabilities {
  /** `setTrafficWeights` works (weighted load balancer, weighted aliases). */
  readonly trafficWeights: boolean;
  /** `resizeServerGroup` works (Lambda versions cannot be resized). */
  readonly resize: boolean;
  /** `disableServerGroup` waits for requests in flight. */
  readonly drainOnDisable: boolean;
  /** Artifact `type`s `createServerGroup` accepts. */
  readonly artifactTypes: readonly string[];
  /**
   * `disableServerGroup` honours `desiredPercentage` < 100 (rolling red/black takes the old
   * server group out of traffic in steps). @default false: only whole server groups
   */
  readonly partialDisable?: boolean;
}

/** Why an operation did nothing (or not all of it). `message` is written for the pipeline author. */
export type DeployFailureReason =
  /** The server group does not exist. */
  | 'not-found'
  /** A server group with that name already exists. */
  | 'already-exists'
  /** The request is malformed (a capacity with min > max, a weight outside 0-100...). */
  | 'invalid'
  /** The target lacks the capability (see `capabilities`). */
  | 'unsupported'
  /** The target tried and could not (the artifact could not be baked, a process did not start). */
  | 'failed';

export interface DeployFailure {
  readonly ok: false;
  readonly reason: DeployFailureReason;
  readonly message: string;
}

export type CreateServerGroupResult = { readonly ok: true; readonly serverGroup: ServerGroupDescription } | DeployFailure;

export type OperationResult = { readonly ok: true } | DeployFailure;

export type DisableResult =
  /** `drained` is false when the drain timeout passed with requests still in flight. */
  | { readonly ok: true; readonly drained: boolean }
  | DeployFailure;

export interface DisableOptions {
  /** How long to wait for requests in flight. @default the target's own (30 s locally) */
  readonly drainTimeoutMs?: number;
  /**
   * Take only this share (1-100) of the server group's instances out of traffic, rounded up as
   * Orca does (rolling red/black's `desiredPercentage`): the chosen instances are marked
   * `outOfService` and drained, the server group itself stays enabled. Monotonic: a smaller share
   * than already taken out changes nothing. 100 or absent disables the whole server group.
   * Targets without `capabilities.partialDisable` answer `unsupported` below 100.
   */
  readonly desiredPercentage?: number;
}

export interface DeployTarget {
  readonly capabilities: DeployTargetCapabilities;
  /** Launches the instances and returns; poll `describeCluster` for `Up`. */
  createServerGroup(request: CreateServerGroupRequest): Promise<CreateServerGroupResult>;
  /** Puts the server group in traffic. Enabling an enabled server group succeeds. */
  enableServerGroup(ref: ServerGroupRef): Promise<OperationResult>;
  /** Takes the server group out of traffic, then drains it (see the contract above). */
  disableServerGroup(ref: ServerGroupRef, options?: DisableOptions): Promise<DisableResult>;
  /** Sets the capacity; launches (poll for `Up`) or terminates (drained first) instances. */
  resizeServerGroup(ref: ServerGroupRef, capacity: Capacity): Promise<OperationResult>;
  /** Takes it out of traffic and terminates every instance. */
  destroyServerGroup(ref: ServerGroupRef): Promise<OperationResult>;
  describeCluster(ref: ClusterRef): Promise<ClusterDescription>;
  /**
   * Splits the cluster's traffic by percentage: `{ 'app-v001': 90, 'app-v002': 10 }`, summing
   * to 100; server groups left out get 0. Disabled server groups get nothing whatever their
   * weight. `{}` returns to the default, where traffic follows `Up` instance counts.
   */
  setTrafficWeights(ref: ClusterRef, weights: Readonly<Record<string, number>>): Promise<OperationResult>;
}
