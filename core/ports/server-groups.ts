/**
 * The server-group port (DESIGN.md §6): where server groups live, apart from how traffic reaches
 * them (core/ports/traffic.ts). Spinnaker's model — account → location (region, zone) → cluster →
 * server group — with Frigga names chosen by the caller (`reference/spinnaker.md` §1.7). A server
 * group is immutable: a new version is a new server group; only capacity and traffic change.
 *
 * The contract every adapter keeps (test/contract/server-group-port.contract.ts):
 * - Every operation *starts* and returns. Nothing waits for instances to boot, terminate or drain:
 *   the caller reads progress back with `describeCluster` (Orca's waitForUpInstances and friends),
 *   so no Lambda ever waits for a cloud.
 * - Results are values (`OperationResult`): done, already done, or a failure with a reason. Only
 *   broken invariants throw. `unavailable` (throttled, 5xx, unreachable) is the one reason worth
 *   retrying: the step executor raises the retryable catalog error `Gennaker.TargetUnavailable`
 *   and the state machine retries it with backoff.
 * - Idempotent by owner token: every side effect carries the token of the step that wants it
 *   (execution, stage, step). Creating a server group that already exists with the same owner
 *   answers `already-done` — never a second server group; one that exists with another owner (or
 *   none) answers `already-exists`.
 * - Provider fields (instance type, subnets, task definition, a manifest...) are passed through
 *   unchanged in `CreateServerGroupRequest.provider`; each adapter parses them with its own schema
 *   and answers `invalid` naming the field.
 *
 * Pure types: no SDK, no I/O.
 */
import type { ArtifactReference, Capacity, CloudRollout, InstanceHealth } from '../deploy/model.ts';
import type { ClusterCheckRequest, ClusterFieldIssue } from './cluster-checks.ts';

export type { ArtifactReference, Capacity, CloudRollout, InstanceHealth };

/** Which cluster: its Frigga name within an account and a location. */
export interface ClusterRef {
  readonly account: string;
  /** A region, a zone, or `local`. */
  readonly location: string;
  /** The cluster's Frigga name (`app-stack-detail`). */
  readonly cluster: string;
}

/** Which server group. Names are unique within an account and a location, as in Spinnaker. */
export interface ServerGroupRef {
  readonly account: string;
  readonly location: string;
  /** The server group's Frigga name (`app-stack-detail-v003`). */
  readonly serverGroup: string;
}

/**
 * Who asks for a side effect: `<executionId>/<stageId>/<step id>`. Adapters store it with what
 * they create (a tag, a label, a field of the local model) so a repeated request finds its own work.
 */
export type OwnerToken = string;

/** An HTTP health check each instance must pass to be `Up` (targets that probe instances themselves). */
export interface HealthCheckSettings {
  /** @default '/health' */
  readonly path?: string;
  /** @default 500 */
  readonly intervalMs?: number;
  /** @default 1_000 */
  readonly timeoutMs?: number;
  /** Consecutive failures that turn an `Up` instance `Down`. @default 2 */
  readonly unhealthyThreshold?: number;
}

export interface CreateServerGroupRequest extends ClusterRef {
  /** The full server group name, chosen by the caller and persisted in its plan before this call. */
  readonly name: string;
  readonly owner: OwnerToken;
  readonly capacity: Capacity;
  /** What it runs, when the stage resolved one (a bake's or findImage's output, or `artifact`). */
  readonly artifact?: ArtifactReference;
  /**
   * The stage's cluster entry as evaluated at stage start, unchanged: every provider field
   * (`instanceType`, `subnetType`, `env`, `healthCheck`, `taskDefinition`...). The adapter parses
   * what it understands with its own schema and ignores the rest, as clouddriver does.
   */
  readonly provider: Readonly<Record<string, unknown>>;
  /** Create out of traffic (rolling red/black, canaries). @default false: in traffic once Up */
  readonly disabled?: boolean;
  /**
   * cloneServerGroup (Orca's CloneServerGroupStage, clouddriver's copy-last operations): start from
   * this existing server group's settings as the cloud holds them (launch template, task
   * definition, instance template, load balancers...), each field of `provider` the stage sets
   * overriding the copied one and `artifact`, when given, replacing what it runs. Same account;
   * the location may differ. Answers `not-found` when the source does not exist, `unsupported`
   * when `capabilities.clone` is false.
   */
  readonly source?: ServerGroupRef;
}

export interface InstanceDescription {
  /** Unique within the server group. */
  readonly id: string;
  readonly health: InstanceHealth;
  /** Where the instance answers, when the target knows (`127.0.0.1:40123`). */
  readonly address?: string;
  readonly launchedTime: number;
  /** Taken out of traffic on its own by a partial disable while its server group stays enabled. */
  readonly outOfService?: boolean;
  /** Out of traffic with requests still in flight (a disable or a scale-in in progress). */
  readonly draining?: boolean;
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
  /** Out of traffic with requests still in flight: a disable is not finished until this is false. */
  readonly draining?: boolean;
  readonly instances: readonly InstanceDescription[];
  /**
   * The percentage (0-100) of the cluster's new requests this server group receives now: 0 when
   * disabled or without an `Up` instance. Absent when the target cannot tell.
   */
  readonly trafficWeight?: number;
  readonly artifact?: ArtifactReference;
  /** The owner token it was created with; absent for server groups made elsewhere (by Spinnaker, by hand). */
  readonly owner?: OwnerToken;
  /** Provider data kept as the cloud gives it (launch template, task definition...); planners never read it. */
  readonly launchConfig?: Readonly<Record<string, unknown>>;
  /**
   * The deployment the cloud runs itself to bring this server group in (ECS native mode): a wait
   * for its health is not done while it is `running`, and fails once traffic went back.
   */
  readonly rollout?: CloudRollout;
}

/** What `continueRollout` answers: which pause, and how. */
export interface ContinueRolloutRequest {
  /** The pause the pipeline saw (`CloudRollout.pauseId`): a later pause is never answered by mistake. */
  readonly pauseId: string;
  readonly action: 'continue' | 'rollback';
}

export interface ClusterDescription extends ClusterRef {
  /** Oldest first. Empty when the cluster has no server group (not an error). */
  readonly serverGroups: readonly ServerGroupDescription[];
  /** Where the cluster's traffic enters, when the target knows (the local load balancer's URL). */
  readonly endpoint?: string;
}

/** Why an operation did nothing (or not all of it). */
export type PortFailureReason =
  /** The server group (or cluster) does not exist. */
  | 'not-found'
  /** A server group with that name already exists and is not this owner's. */
  | 'already-exists'
  /** The request is malformed: a provider field, a capacity with min > max, a weight outside 0-100. */
  | 'invalid'
  /** The target lacks the capability (see the port's `capabilities`). */
  | 'unsupported'
  /** The target tried and could not (the artifact could not be baked, the cloud refused). */
  | 'failed'
  /** Throttled, 5xx or unreachable: the same call may succeed later. The only retryable reason. */
  | 'unavailable';

/** A failure. `message` is written for the pipeline author; SDK text stays in `cause`. */
export interface PortFailure {
  readonly ok: false;
  readonly reason: PortFailureReason;
  readonly message: string;
  readonly cause?: unknown;
}

/**
 * The result of starting an operation. `already-done`: the world was already as asked (our own
 * server group exists, it is already enabled, the capacity already matches), nothing was changed.
 */
export type OperationResult = { readonly ok: true; readonly outcome: 'done' | 'already-done' } | PortFailure;

export type DescribeResult = { readonly ok: true; readonly cluster: ClusterDescription } | PortFailure;

/** What the server-group side of a target can do. A planner checks before planning. */
export interface ServerGroupCapabilities {
  /** `resize` works (Lambda versions cannot be resized). */
  readonly resize: boolean;
  /** Artifact `type`s `create` accepts; empty when the target takes no artifact (it reads provider fields). */
  readonly artifactTypes: readonly string[];
  /**
   * `create` needs no artifact: without one it runs the image its provider fields name (`amiName`
   * on EC2, `imageDescription` or a task definition on ECS), as Spinnaker's deploy stage does.
   * @default false: a deploy without an artifact fails before any call
   */
  readonly imageFromProviderFields?: boolean;
  /** `create` honours `source` (cloneServerGroup). @default false */
  readonly clone?: boolean;
}

/**
 * What a look in the account found about a cluster entry: its problems (empty: everything it names
 * exists), or a failure when the cloud could not be asked (the save then warns and goes on).
 */
export type ClusterCheckResult = { readonly ok: true; readonly issues: readonly ClusterFieldIssue[] } | PortFailure;

/** Options every side effect takes. */
export interface SideEffect {
  readonly owner: OwnerToken;
}

export interface ServerGroupPort {
  readonly capabilities: ServerGroupCapabilities;
  /** Starts creating the server group: instances launch; poll `describeCluster` for `Up`. */
  create(request: CreateServerGroupRequest): Promise<OperationResult>;
  /** Starts a capacity change; launches (poll for `Up`) or drains and terminates instances. */
  resize(ref: ServerGroupRef, capacity: Capacity, options: SideEffect): Promise<OperationResult>;
  /** Starts destroying it: out of traffic, every instance terminated; gone from describe when done. */
  destroy(ref: ServerGroupRef, options: SideEffect): Promise<OperationResult>;
  /** The cluster now, including what is still starting, draining or being destroyed. */
  describeCluster(ref: ClusterRef): Promise<DescribeResult>;
  /**
   * Looks, changing nothing, for what a cluster entry names in the account and location (image,
   * instance type, target groups, subnets of a subnetType, an ECS cluster...): the execution
   * service calls it when a pipeline is saved, for entries without expressions. Absent: the
   * target checks these when it creates the server group.
   */
  checkCluster?(request: ClusterCheckRequest): Promise<ClusterCheckResult>;
  /**
   * Resolves once something in the account may have changed (an instance's health, a server group
   * created, destroyed, enabled or disabled) or after `withinMs`, with the milliseconds waited.
   * Offered by targets that learn of changes as they happen (the local target), so a step waiting
   * on one is seen done at once instead of at the next poll. Absent on clouds: there a call never
   * waits, the state machine's Wait state does.
   */
  awaitChange?(ref: ClusterRef, withinMs: number): Promise<number>;
  /**
   * Answers a paused rollout of the server group (`CloudRollout.pauseId`, e.g. an ECS PAUSE
   * lifecycle hook): continue it, or roll traffic back to the previous version. A pause already
   * answered (by this call before, or by anyone) answers `already-done`. Absent: the target runs
   * no rollouts of its own.
   */
  continueRollout?(ref: ServerGroupRef, request: ContinueRolloutRequest, options: SideEffect): Promise<OperationResult>;
}
