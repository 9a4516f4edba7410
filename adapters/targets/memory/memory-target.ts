/**
 * The in-memory reference target: both ports of DESIGN.md §6 (core/ports/server-groups.ts,
 * core/ports/traffic.ts) kept in memory behind one clock the caller moves, plus a side door for
 * tests (cloud-targets.md §7: flip health, inject a throttle or a failure on the next N calls,
 * read the call log). The step executor's tests, the sandbox and the demo use it where a real
 * cloud cannot run; it shares no code with the local target, so a bug in one is not hidden by
 * the other in the contract suites.
 *
 * How it behaves (its spec; test/unit/adapters/memory-target.test.ts holds it to it):
 * - Time is the injected clock only (`now()`, `advance(ms)`): no wall clock, no randomness, no
 *   timers. State is computed from the clock when read, so `advance` is synchronous.
 * - `create` launches `desired` instances at once; each is `Starting` until its boot time passed
 *   (`bootMs`: the target's, the server group's provider field `memory.bootMs`, or the side door's
 *   `script`), then becomes what its script says: `Up` (default), `Down` (a broken release) or
 *   `Starting` forever. `setInstanceHealth` overrides one instance.
 * - A disable takes the server group out of traffic at once and drains for `drainMs`: describe
 *   shows `draining` until the clock passes it. A partial disable marks ceil(share × running)
 *   instances `outOfService` (those out already, then those not Up, then the oldest) and drains
 *   them. Enabling puts every instance back and ends the drain.
 * - Scale-in drains the leaving instances (non-Up first, then the newest), then terminates them
 *   for `terminateMs`; they disappear from describe after that. `destroy` takes the server group
 *   out of traffic, drains, terminates, and it disappears the same way.
 * - Weights: whole percentages summing to 100 (`{}` = by Up instance counts), for at most
 *   `maxWeightedServerGroups` server groups with a weight above 0. The router takes them after
 *   `weightPropagationMs`; `verifyWeights` reads what it holds now.
 * - A create with `source` (cloneServerGroup) starts from the source's artifact and provider
 *   fields, the request's overriding them; a missing source is `not-found`.
 * - Idempotent by owner: create of an existing name answers `already-done` when the owner matches
 *   and `already-exists` otherwise; enable of an enabled server group, disable of a disabled one,
 *   a share already out, resize to the current capacity, weights already requested, destroy of a
 *   server group being destroyed or destroyed by the same owner answer `already-done`. Every
 *   operation checks and changes state in one synchronous step after its first `await`, so
 *   concurrent calls are serialized: two concurrent creates make one server group.
 * - Faults: `throttleNext` answers `unavailable` without acting; `failNext` answers any reason
 *   without acting; `dropNextResponse` acts and then answers `unavailable` (the answer was lost,
 *   as when a Lambda times out after the cloud accepted the call). Injected faults are used up in
 *   the order they were added.
 * - Every port call is logged with its arguments, owner and outcome; side-door calls are not.
 */
import type { Clock } from '../../../core/ports/clock.ts';
import type {
  ArtifactReference,
  Capacity,
  ClusterDescription,
  ClusterRef,
  CreateServerGroupRequest,
  DescribeResult,
  InstanceDescription,
  InstanceHealth,
  OperationResult,
  OwnerToken,
  PortFailure,
  PortFailureReason,
  ServerGroupDescription,
  ServerGroupPort,
  ServerGroupRef,
} from '../../../core/ports/server-groups.ts';
import type { Target } from '../../../core/ports/target.ts';
import type { DisableOptions, TrafficPort, TrafficWeights, VerifyWeightsResult } from '../../../core/ports/traffic.ts';

/** A clock the memory target reads and the side door moves. */
export interface MemoryClock extends Clock {
  /** Moves time forward by `ms` (>= 0). */
  advance(ms: number): void;
}

/** A clock that starts at `start` (epoch ms) and moves only when told. */
export function createMemoryClock(start = Date.UTC(2026, 0, 1)): MemoryClock {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`advance(${ms}): time moves forward by a finite number of ms >= 0`);
      now += ms;
    },
  };
}

/** The port operations, as the call log and the fault injection name them. */
export type PortOperation = 'create' | 'resize' | 'destroy' | 'describeCluster' | 'enable' | 'disable' | 'setWeights' | 'verifyWeights';

export const PORT_OPERATIONS: readonly PortOperation[] = ['create', 'resize', 'destroy', 'describeCluster', 'enable', 'disable', 'setWeights', 'verifyWeights'];

/** One port call: what was asked, by whom, and what it answered (`ok` for a successful read). */
export interface PortCall {
  /** 1, 2, 3... in the order calls were answered. */
  readonly seq: number;
  /** The clock when it was answered. */
  readonly at: number;
  readonly operation: PortOperation;
  /** The arguments as given, the options last. */
  readonly args: readonly unknown[];
  readonly owner?: OwnerToken;
  readonly outcome: 'done' | 'already-done' | 'ok' | PortFailureReason;
  /** The answer was an injected fault (`throttleNext`, `failNext`, `dropNextResponse`). */
  readonly injected?: boolean;
}

/** How a server group's instances behave, set by provider fields (`memory`) or by the side door. */
export interface ServerGroupScript {
  /** Boot time: one value for every instance, or one per instance in launch order (the last repeats). */
  readonly bootMs?: number | readonly number[];
  /** What a booted instance is: `Up`, `Down` (a broken release) or `Starting` (never finishes booting). @default 'Up' */
  readonly becomes?: 'Up' | 'Down' | 'Starting';
  /** How long a disable, a scale-in or a destroy of this server group drains. @default the target's `drainMs` */
  readonly drainMs?: number;
  /**
   * An enable takes it out of `disabled` but its instances stay out of traffic, as when a load
   * balancer refuses their registration (an instance in another VPC). @default false
   */
  readonly refusesTraffic?: boolean;
}

export interface MemoryTargetOptions {
  /** @default 'memory' */
  readonly cloudProvider?: string;
  /** The clock to read; share it with the code under test. @default createMemoryClock() */
  readonly clock?: MemoryClock;
  /** How long an instance takes to become Up. @default 1_000 */
  readonly bootMs?: number;
  /** How long a disable, a scale-in or a destroy drains (0 with `drains: false`). @default 2_000 */
  readonly drainMs?: number;
  /** How long a drained instance takes to terminate (scale-in, destroy). @default 500 */
  readonly terminateMs?: number;
  /** How long the router takes to hold new weights. @default 0 */
  readonly weightPropagationMs?: number;
  /** `setWeights` works. @default true */
  readonly weights?: boolean;
  /** Server groups that may hold a weight above 0 at once (forced to 0 without weights). @default Number.MAX_SAFE_INTEGER */
  readonly maxWeightedServerGroups?: number;
  /** `disable` honours `desiredPercentage` < 100. @default true */
  readonly partialDisable?: boolean;
  /** A disable drains (`draining` in describe). @default true */
  readonly drains?: boolean;
  /** `resize` works. @default true */
  readonly resize?: boolean;
  /** Artifact types `create` accepts. @default ['directory', 'git', 'docker/image', 'memory'] */
  readonly artifactTypes?: readonly string[];
  /** `create` honours `source` (cloneServerGroup). @default true */
  readonly clone?: boolean;
}

/** A server group made elsewhere (by Spinnaker, by hand): already there, instances Up at once. */
export interface SeedServerGroup extends ClusterRef {
  readonly name: string;
  readonly capacity: Capacity;
  /** @default false */
  readonly disabled?: boolean;
  /** Absent: no owner, as for server groups this product did not create. */
  readonly owner?: OwnerToken;
  readonly artifact?: ArtifactReference;
  /** @default the clock now */
  readonly createdTime?: number;
  /** What its instances are. @default 'Up' */
  readonly health?: 'Up' | 'Down' | 'Starting';
}

/** The side door: not part of either port, never logged, never throttled. */
export interface MemoryTargetControl {
  readonly clock: MemoryClock;
  now(): number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** The same as `advance`. */
  tick(ms: number): void;
  /** Scripts the server groups named `serverGroup` (in any account and location), now or when created; merges over earlier scripts and provider fields. */
  script(serverGroup: string, script: ServerGroupScript): void;
  /** Forces one instance's health (`undefined` returns it to its script). Throws when there is no such instance. */
  setInstanceHealth(ref: ServerGroupRef, instanceId: string, health: InstanceHealth | undefined): void;
  /** The next `n` calls (of `operation`, or of any operation) answer `unavailable` and change nothing. */
  throttleNext(n: number, operation?: PortOperation): void;
  /** The next `n` calls (of `operation`, or any) answer `reason` (default `failed`) and change nothing. */
  failNext(n: number, options?: { readonly operation?: PortOperation; readonly reason?: PortFailureReason; readonly message?: string }): void;
  /** The next `n` calls (of `operation`, or any) take effect, then answer `unavailable`: the answer was lost. */
  dropNextResponse(n: number, operation?: PortOperation): void;
  /** Injected faults not used yet. */
  pendingFaults(): number;
  /** Port calls so far, oldest first, optionally only those of one operation, owner or outcome. */
  calls(filter?: { readonly operation?: PortOperation; readonly owner?: OwnerToken; readonly outcome?: PortCall['outcome'] }): readonly PortCall[];
  /** Port calls that changed something (outcome `done`, including dropped answers), optionally of one operation. */
  effects(operation?: PortOperation): readonly PortCall[];
  /** Forgets the call log (not the state). */
  clearCalls(): void;
  /** Adds a server group made elsewhere; answers like a create would, without a port call. */
  seedServerGroup(seed: SeedServerGroup): void;
  /** The cluster now, as `describeCluster` would answer, without a port call. */
  peek(ref: ClusterRef): ClusterDescription;
}

/** A Target held in memory, with its side door. */
export interface MemoryTarget extends Target {
  readonly control: MemoryTargetControl;
}

// -------------------------------------------------------------------------------------------
// The model

interface MemoryInstance {
  readonly id: string;
  readonly launchedTime: number;
  readonly bootMs: number;
  forced?: InstanceHealth;
  outOfService?: boolean;
  /** In traffic until taken out; draining until this time. */
  drainUntil?: number;
  /** Leaving (scale-in, destroy): gone from describe at this time. */
  goneAt?: number;
}

interface MemoryServerGroup {
  readonly name: string;
  readonly cluster: string;
  readonly account: string;
  readonly location: string;
  readonly createdTime: number;
  /** Creation order, for ties of createdTime. */
  readonly order: number;
  capacity: Capacity;
  disabled: boolean;
  drainUntil?: number;
  /** Being destroyed: gone from describe at this time. */
  goneAt?: number;
  readonly owner?: OwnerToken;
  readonly artifact?: ArtifactReference;
  readonly launchConfig: Readonly<Record<string, unknown>>;
  /** The script from provider fields; the side door's scripts merge over it. */
  readonly providerScript: ServerGroupScript;
  instances: MemoryInstance[];
  launched: number;
}

interface MemoryCluster {
  /** The weights last asked for; undefined: by Up instance counts. */
  requested?: TrafficWeights;
  /** What the router holds until `requestedAt + propagation`. */
  held?: TrafficWeights;
  requestedAt: number;
}

interface Fault {
  remaining: number;
  readonly operation?: PortOperation;
  readonly kind: 'refuse' | 'drop';
  readonly reason: PortFailureReason;
  readonly message?: string;
}

const HEALTHS = ['Up', 'Down', 'Starting'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isMillis = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * The provider fields the memory target reads, `memory: { bootMs, becomes, drainMs }`, into a
 * script; every other field is ignored, as clouddriver ignores another provider's fields.
 */
export function parseMemoryProvider(provider: Readonly<Record<string, unknown>> | undefined): { ok: true; script: ServerGroupScript } | { ok: false; message: string } {
  const given = provider?.memory;
  if (given === undefined) return { ok: true, script: {} };
  const bad = (field: string, value: unknown, fix: string) => ({ ok: false as const, message: `provider field ${field} is ${JSON.stringify(value)}; ${fix}` });
  if (!isObject(given)) return bad('memory', given, 'set an object such as {"bootMs": 1000, "becomes": "Up"}');
  const script: { bootMs?: number | number[]; becomes?: ServerGroupScript['becomes']; drainMs?: number } = {};
  if (given.bootMs !== undefined) {
    const valid = isMillis(given.bootMs) || (Array.isArray(given.bootMs) && given.bootMs.length > 0 && given.bootMs.every(isMillis));
    if (!valid) return bad('memory.bootMs', given.bootMs, 'set milliseconds >= 0 (1000) or one per instance ([1000, 5000])');
    script.bootMs = given.bootMs as number | number[];
  }
  if (given.becomes !== undefined) {
    if (!HEALTHS.includes(given.becomes as never)) return bad('memory.becomes', given.becomes, `set one of ${HEALTHS.join(', ')}`);
    script.becomes = given.becomes as ServerGroupScript['becomes'];
  }
  if (given.drainMs !== undefined) {
    if (!isMillis(given.drainMs)) return bad('memory.drainMs', given.drainMs, 'set milliseconds >= 0, e.g. 2000');
    script.drainMs = given.drainMs;
  }
  return { ok: true, script };
}

function failure(reason: PortFailureReason, message: string): PortFailure {
  return { ok: false, reason, message };
}

const DONE: OperationResult = { ok: true, outcome: 'done' };
const ALREADY_DONE: OperationResult = { ok: true, outcome: 'already-done' };

function capacityProblem(capacity: Capacity): string | undefined {
  const { min, max, desired } = capacity;
  if (![min, max, desired].every((n) => Number.isInteger(n) && n >= 0)) return `capacity ${JSON.stringify(capacity)} must hold whole numbers >= 0`;
  if (!(min <= desired && desired <= max)) return `capacity ${JSON.stringify(capacity)} must satisfy min <= desired <= max`;
  return undefined;
}

const sameCapacity = (a: Capacity, b: Capacity) => a.min === b.min && a.max === b.max && a.desired === b.desired;

/** Weights without the zero entries, sorted: two weight maps route alike when these are equal. */
function normalized(weights: TrafficWeights | undefined): string {
  return JSON.stringify(
    Object.entries(weights ?? {})
      .filter(([, weight]) => weight !== 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Creates the memory target. Nothing runs in the background: state moves with the clock. */
export function createMemoryTarget(options: MemoryTargetOptions = {}): MemoryTarget {
  const clock = options.clock ?? createMemoryClock();
  const defaultBootMs = options.bootMs ?? 1_000;
  const drains = options.drains ?? true;
  const defaultDrainMs = options.drainMs ?? 2_000;
  const terminateMs = options.terminateMs ?? 500;
  const propagationMs = options.weightPropagationMs ?? 0;
  const weightsSupported = options.weights ?? true;
  const maxWeighted = weightsSupported ? (options.maxWeightedServerGroups ?? Number.MAX_SAFE_INTEGER) : 0;
  const partialDisable = options.partialDisable ?? true;
  const resizeSupported = options.resize ?? true;
  const artifactTypes = options.artifactTypes ?? ['directory', 'git', 'docker/image', 'memory'];
  for (const [field, value] of [['bootMs', defaultBootMs], ['drainMs', defaultDrainMs], ['terminateMs', terminateMs], ['weightPropagationMs', propagationMs], ['maxWeightedServerGroups', maxWeighted]] as const) {
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`createMemoryTarget: ${field} is ${value}; set a finite number >= 0`);
  }

  const groups = new Map<string, MemoryServerGroup>();
  const clusters = new Map<string, MemoryCluster>();
  /** `account/location/name` → the owner that destroyed it. */
  const destroyedBy = new Map<string, OwnerToken>();
  const scripts = new Map<string, ServerGroupScript>();
  const faults: Fault[] = [];
  const log: PortCall[] = [];
  let created = 0;

  const groupKey = (account: string, location: string, name: string) => `${account}/${location}/${name}`;
  const clusterKey = (ref: ClusterRef) => `${ref.account}/${ref.location}/${ref.cluster}`;
  const refKey = (ref: ServerGroupRef) => groupKey(ref.account, ref.location, ref.serverGroup);

  // -----------------------------------------------------------------------------------------
  // State read from the clock

  function scriptOf(group: MemoryServerGroup): ServerGroupScript {
    return { ...group.providerScript, ...scripts.get(group.name) };
  }

  function drainMsOf(group: MemoryServerGroup): number {
    return drains ? (scriptOf(group).drainMs ?? defaultDrainMs) : 0;
  }

  /** Removes what finished terminating: instances and destroyed server groups. */
  function purge(): void {
    const now = clock.now();
    for (const [key, group] of groups) {
      if (group.goneAt !== undefined && group.goneAt <= now) {
        groups.delete(key);
        continue;
      }
      group.instances = group.instances.filter((instance) => instance.goneAt === undefined || instance.goneAt > now);
    }
  }

  function healthOf(group: MemoryServerGroup, instance: MemoryInstance): InstanceHealth {
    const now = clock.now();
    if (instance.forced !== undefined) return instance.forced;
    // Drained and terminating: no longer answering.
    if (instance.goneAt !== undefined && (instance.drainUntil ?? 0) <= now) return 'Down';
    if (now < instance.launchedTime + instance.bootMs) return 'Starting';
    return scriptOf(group).becomes ?? 'Up';
  }

  const inService = (group: MemoryServerGroup, instance: MemoryInstance) => !instance.outOfService && instance.goneAt === undefined && healthOf(group, instance) === 'Up';

  const enabled = (group: MemoryServerGroup) => !group.disabled && group.goneAt === undefined;

  function clusterGroups(ref: ClusterRef): MemoryServerGroup[] {
    return [...groups.values()]
      .filter((group) => group.account === ref.account && group.location === ref.location && group.cluster === ref.cluster)
      .sort((a, b) => a.createdTime - b.createdTime || a.order - b.order);
  }

  /** What the router holds now: weights, or undefined for the split by Up instance counts. */
  function heldWeights(ref: ClusterRef): TrafficWeights | undefined {
    const cluster = clusters.get(clusterKey(ref));
    if (!cluster) return undefined;
    return clock.now() >= cluster.requestedAt + propagationMs ? cluster.requested : cluster.held;
  }

  /** Each server group's share of the cluster's new requests, in percent. */
  function trafficShares(ref: ClusterRef): Map<string, number> {
    const weights = heldWeights(ref);
    const raw = clusterGroups(ref).map((group) => {
      const serving = enabled(group) ? group.instances.filter((instance) => inService(group, instance)).length : 0;
      const weight = serving === 0 ? 0 : weights ? (weights[group.name] ?? 0) : serving;
      return [group.name, weight] as const;
    });
    const total = raw.reduce((sum, [, weight]) => sum + weight, 0);
    return new Map(raw.map(([name, weight]) => [name, total > 0 ? Math.round((weight / total) * 10_000) / 100 : 0]));
  }

  function describeGroup(group: MemoryServerGroup, shares: Map<string, number>): ServerGroupDescription {
    const now = clock.now();
    const instances: InstanceDescription[] = group.instances.map((instance) => {
      const draining = instance.drainUntil !== undefined && now < instance.drainUntil;
      return {
        id: instance.id,
        health: healthOf(group, instance),
        launchedTime: instance.launchedTime,
        ...(instance.outOfService ? { outOfService: true } : {}),
        ...(draining ? { draining: true } : {}),
      };
    });
    const draining = (group.drainUntil !== undefined && now < group.drainUntil) || instances.some((instance) => instance.draining);
    return {
      name: group.name,
      cluster: group.cluster,
      account: group.account,
      location: group.location,
      createdTime: group.createdTime,
      capacity: { ...group.capacity },
      disabled: !enabled(group),
      ...(draining ? { draining: true } : {}),
      instances,
      trafficWeight: shares.get(group.name) ?? 0,
      ...(group.artifact ? { artifact: group.artifact } : {}),
      ...(group.owner !== undefined ? { owner: group.owner } : {}),
      launchConfig: group.launchConfig,
    };
  }

  function describe(ref: ClusterRef): ClusterDescription {
    purge();
    const shares = trafficShares(ref);
    return { account: ref.account, location: ref.location, cluster: ref.cluster, serverGroups: clusterGroups(ref).map((group) => describeGroup(group, shares)) };
  }

  // -----------------------------------------------------------------------------------------
  // Changes

  function launch(group: MemoryServerGroup, count: number): void {
    const bootMs = scriptOf(group).bootMs ?? defaultBootMs;
    for (let i = 0; i < count; i++) {
      const index = group.launched;
      group.launched += 1;
      const boot = typeof bootMs === 'number' ? bootMs : (bootMs[Math.min(index, bootMs.length - 1)] ?? defaultBootMs);
      group.instances.push({ id: `${group.name}-i${group.launched}`, launchedTime: clock.now(), bootMs: boot });
    }
  }

  /** Takes instances out of traffic: those serving (when `serving`) drain for the server group's drain time. Answers whether any did. */
  function drainOut(group: MemoryServerGroup, instances: readonly MemoryInstance[], serving: boolean): boolean {
    const until = clock.now() + drainMsOf(group);
    const draining = serving ? instances.filter((instance) => inService(group, instance)) : [];
    for (const instance of draining) instance.drainUntil = until;
    return draining.length > 0;
  }

  /** Instances leave for good: drained first (a drain already under way goes on), then terminated. */
  function leave(group: MemoryServerGroup, instances: readonly MemoryInstance[], serving: boolean): void {
    drainOut(group, instances, serving);
    const now = clock.now();
    for (const instance of instances) instance.goneAt = Math.max(now, instance.drainUntil ?? now) + terminateMs;
  }

  function lookup(ref: ServerGroupRef): MemoryServerGroup | PortFailure {
    purge();
    const group = groups.get(refKey(ref));
    if (!group) return failure('not-found', `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}`);
    return group;
  }

  /** A live server group (not being destroyed), or not-found. */
  function lookupLive(ref: ServerGroupRef): MemoryServerGroup | PortFailure {
    const group = lookup(ref);
    if ('ok' in group) return group;
    if (group.goneAt !== undefined) return failure('not-found', `server group ${ref.serverGroup} in ${ref.account}/${ref.location} is being destroyed`);
    return group;
  }

  function ownerProblem(owner: unknown): PortFailure | undefined {
    return typeof owner === 'string' && owner.trim() !== '' ? undefined : failure('invalid', `owner is ${JSON.stringify(owner)}; every side effect carries the owner token of the step that asks for it`);
  }

  function createNow(request: CreateServerGroupRequest): OperationResult {
    const problem = ownerProblem(request.owner);
    if (problem) return problem;
    for (const [field, value] of [['name', request.name], ['cluster', request.cluster], ['account', request.account], ['location', request.location]] as const) {
      if (typeof value !== 'string' || value.trim() === '') return failure('invalid', `${field} is ${JSON.stringify(value)}; set a non-empty name`);
    }
    purge();
    const key = groupKey(request.account, request.location, request.name);
    const existing = groups.get(key);
    if (existing) {
      if (existing.owner === request.owner) return ALREADY_DONE;
      const whose = existing.owner === undefined ? 'was made elsewhere (no owner)' : `belongs to ${existing.owner}`;
      return failure('already-exists', `server group ${request.name} already exists in ${request.account}/${request.location} and ${whose}; server groups are immutable, create the next version`);
    }
    const capacity = capacityProblem(request.capacity);
    if (capacity) return failure('invalid', capacity);
    if (request.artifact && !artifactTypes.includes(request.artifact.type)) {
      return failure('unsupported', `artifact type '${request.artifact.type}' cannot run on the ${options.cloudProvider ?? 'memory'} target; use one of ${artifactTypes.join(', ')}`);
    }
    // A clone starts from its source's artifact and provider fields; the request's override them.
    let source: MemoryServerGroup | undefined;
    if (request.source) {
      if (options.clone === false) return failure('unsupported', `the ${options.cloudProvider ?? 'memory'} target cannot clone server groups`);
      source = groups.get(groupKey(request.source.account, request.source.location, request.source.serverGroup));
      if (!source) return failure('not-found', `source server group ${request.source.serverGroup} does not exist in ${request.source.account}/${request.source.location}; clone an existing server group`);
    }
    const fields = { ...source?.launchConfig, ...request.provider };
    const artifact = request.artifact ?? source?.artifact;
    const provider = parseMemoryProvider(fields);
    if (!provider.ok) return failure('invalid', provider.message);
    const providerScript = provider.script;
    created += 1;
    const group: MemoryServerGroup = {
      name: request.name,
      cluster: request.cluster,
      account: request.account,
      location: request.location,
      createdTime: clock.now(),
      order: created,
      capacity: { ...request.capacity },
      disabled: request.disabled ?? false,
      owner: request.owner,
      ...(artifact ? { artifact: { ...artifact } } : {}),
      launchConfig: fields,
      providerScript,
      instances: [],
      launched: 0,
    };
    groups.set(key, group);
    launch(group, group.capacity.desired);
    return DONE;
  }

  function resizeNow(ref: ServerGroupRef, capacity: Capacity): OperationResult {
    if (!resizeSupported) return failure('unsupported', `the ${options.cloudProvider ?? 'memory'} target cannot resize server groups`);
    const group = lookupLive(ref);
    if ('ok' in group) return group;
    const problem = capacityProblem(capacity);
    if (problem) return failure('invalid', problem);
    const running = group.instances.filter((instance) => instance.goneAt === undefined);
    if (sameCapacity(group.capacity, capacity) && running.length === capacity.desired) return ALREADY_DONE;
    group.capacity = { ...capacity };
    if (capacity.desired > running.length) {
      launch(group, capacity.desired - running.length);
    } else if (capacity.desired < running.length) {
      // Instances not Up leave first, then the newest, as the local target does.
      const order = [...running].sort((a, b) => Number(healthOf(group, a) === 'Up') - Number(healthOf(group, b) === 'Up') || b.launchedTime - a.launchedTime || b.id.localeCompare(a.id));
      leave(group, order.slice(0, running.length - capacity.desired), enabled(group));
    }
    return DONE;
  }

  function destroyNow(ref: ServerGroupRef, owner: OwnerToken): OperationResult {
    const problem = ownerProblem(owner);
    if (problem) return problem;
    purge();
    const key = refKey(ref);
    const group = groups.get(key);
    if (!group) {
      if (destroyedBy.get(key) === owner) return ALREADY_DONE;
      return failure('not-found', `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}`);
    }
    if (group.goneAt !== undefined) return ALREADY_DONE;
    leave(group, group.instances, enabled(group));
    group.disabled = true;
    delete group.drainUntil;
    group.goneAt = Math.max(clock.now() + terminateMs, ...group.instances.map((instance) => instance.goneAt ?? 0));
    destroyedBy.set(key, owner);
    const cluster = clusters.get(clusterKey(group));
    if (cluster?.requested && group.name in cluster.requested) {
      const { [group.name]: _gone, ...rest } = cluster.requested;
      cluster.requested = rest;
    }
    return DONE;
  }

  function enableNow(ref: ServerGroupRef): OperationResult {
    const group = lookupLive(ref);
    if ('ok' in group) return group;
    const out = group.instances.filter((instance) => instance.outOfService);
    if (!group.disabled && out.length === 0) return ALREADY_DONE;
    group.disabled = false;
    delete group.drainUntil;
    for (const instance of out) delete instance.outOfService;
    if (scriptOf(group).refusesTraffic === true) for (const instance of group.instances) instance.outOfService = true;
    // A disable's drain ends; a scale-in's goes on.
    for (const instance of group.instances) if (instance.goneAt === undefined) delete instance.drainUntil;
    return DONE;
  }

  function disableNow(ref: ServerGroupRef, disableOptions: DisableOptions): OperationResult {
    const percentage = disableOptions.desiredPercentage;
    if (percentage !== undefined && !(Number.isFinite(percentage) && percentage >= 0 && percentage <= 100)) {
      return failure('invalid', `desiredPercentage ${percentage} must be between 0 and 100`);
    }
    if (percentage !== undefined && percentage < 100 && !partialDisable) {
      return failure('unsupported', `the ${options.cloudProvider ?? 'memory'} target disables only whole server groups (desiredPercentage ${percentage} asked)`);
    }
    const group = lookupLive(ref);
    if ('ok' in group) return group;
    if (group.disabled) return ALREADY_DONE;
    if (percentage !== undefined && percentage < 100) {
      const running = group.instances.filter((instance) => instance.goneAt === undefined);
      const wanted = Math.ceil((running.length * percentage) / 100);
      const order = [...running].sort(
        (a, b) =>
          Number(!a.outOfService) - Number(!b.outOfService) ||
          Number(healthOf(group, a) === 'Up') - Number(healthOf(group, b) === 'Up') ||
          a.launchedTime - b.launchedTime ||
          a.id.localeCompare(b.id),
      );
      const leaving = order.slice(0, wanted).filter((instance) => !instance.outOfService);
      if (leaving.length === 0) return ALREADY_DONE;
      drainOut(group, leaving, true);
      for (const instance of leaving) instance.outOfService = true;
      return DONE;
    }
    if (group.instances.some((instance) => inService(group, instance))) group.drainUntil = clock.now() + drainMsOf(group);
    group.disabled = true;
    return DONE;
  }

  function setWeightsNow(ref: ClusterRef, weights: TrafficWeights): OperationResult {
    if (!weightsSupported) return failure('unsupported', `the ${options.cloudProvider ?? 'memory'} target's router has no weights; traffic follows enabled server groups`);
    purge();
    const known = new Set(clusterGroups(ref).filter((group) => group.goneAt === undefined).map((group) => group.name));
    const entries = Object.entries(weights);
    for (const [name, weight] of entries) {
      if (!known.has(name)) return failure('not-found', `server group ${name} is not in cluster ${ref.cluster} (${ref.account}/${ref.location})`);
      if (!(Number.isInteger(weight) && weight >= 0 && weight <= 100)) return failure('invalid', `traffic weight ${weight} for ${name} must be a whole percentage between 0 and 100`);
    }
    const sum = entries.reduce((total, [, weight]) => total + weight, 0);
    if (entries.length > 0 && sum !== 100) return failure('invalid', `traffic weights ${JSON.stringify(weights)} add up to ${sum}, expected 100`);
    const weighted = entries.filter(([, weight]) => weight > 0).length;
    if (weighted > maxWeighted) {
      return failure('unsupported', `traffic weights ${JSON.stringify(weights)} weigh ${weighted} server groups; the ${options.cloudProvider ?? 'memory'} target's router weighs at most ${maxWeighted}`);
    }
    const key = clusterKey(ref);
    const cluster = clusters.get(key);
    if (normalized(cluster?.requested) === normalized(entries.length === 0 ? undefined : weights)) return ALREADY_DONE;
    const held = heldWeights(ref);
    clusters.set(key, { ...(held ? { held } : {}), ...(entries.length > 0 ? { requested: { ...weights } } : {}), requestedAt: clock.now() });
    return DONE;
  }

  function verifyWeightsNow(ref: ClusterRef, weights: TrafficWeights): VerifyWeightsResult {
    if (!weightsSupported) return failure('unsupported', `the ${options.cloudProvider ?? 'memory'} target's router has no weights`);
    purge();
    const actual = { ...heldWeights(ref) };
    return { ok: true, matches: normalized(actual) === normalized(weights), actual };
  }

  // -----------------------------------------------------------------------------------------
  // Calls: the log and injected faults around every operation

  function takeFault(operation: PortOperation): Fault | undefined {
    const index = faults.findIndex((fault) => fault.remaining > 0 && (fault.operation === undefined || fault.operation === operation));
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining === 0) faults.splice(index, 1);
    return fault;
  }

  function record(operation: PortOperation, args: readonly unknown[], owner: OwnerToken | undefined, outcome: PortCall['outcome'], injected: boolean): void {
    log.push({ seq: log.length + 1, at: clock.now(), operation, args, ...(owner !== undefined ? { owner } : {}), outcome, ...(injected ? { injected: true } : {}) });
  }

  /**
   * Runs one port call: one `await` first (so concurrent calls interleave as they would over a
   * network), then the fault check and the operation in one synchronous step.
   */
  async function call<R extends { readonly ok: boolean }>(operation: PortOperation, args: readonly unknown[], owner: OwnerToken | undefined, act: () => R, outcomeOf: (result: R) => PortCall['outcome']): Promise<R | PortFailure> {
    await Promise.resolve();
    const fault = takeFault(operation);
    if (fault?.kind === 'refuse') {
      record(operation, args, owner, fault.reason, true);
      const message = fault.message ?? (fault.reason === 'unavailable' ? `${operation} was throttled (injected); try again later` : `${operation} failed (injected ${fault.reason})`);
      return failure(fault.reason, message);
    }
    const result = act();
    const outcome = outcomeOf(result);
    if (fault?.kind === 'drop') {
      record(operation, args, owner, outcome, true);
      return failure('unavailable', `${operation} timed out before its answer arrived (injected); try again later`);
    }
    record(operation, args, owner, outcome, false);
    return result;
  }

  const operationOutcome = (result: OperationResult): PortCall['outcome'] => (result.ok ? result.outcome : result.reason);
  const readOutcome = (result: { readonly ok: boolean; readonly reason?: PortFailureReason }): PortCall['outcome'] => (result.ok ? 'ok' : (result.reason ?? 'failed'));

  function addFault(n: number, fault: Omit<Fault, 'remaining'>): void {
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`fault count ${n}: set a whole number >= 0`);
    if (fault.operation !== undefined && !PORT_OPERATIONS.includes(fault.operation)) throw new RangeError(`operation '${fault.operation}' is not one of ${PORT_OPERATIONS.join(', ')}`);
    if (n > 0) faults.push({ remaining: n, ...fault });
  }

  const serverGroups: ServerGroupPort = {
    capabilities: { resize: resizeSupported, artifactTypes, clone: options.clone ?? true },
    create: (request) => call('create', [request], request.owner, () => createNow(request), operationOutcome),
    resize: (ref, capacity, sideEffect) => call('resize', [ref, capacity, sideEffect], sideEffect.owner, () => resizeNow(ref, capacity), operationOutcome),
    destroy: (ref, sideEffect) => call('destroy', [ref, sideEffect], sideEffect.owner, () => destroyNow(ref, sideEffect.owner), operationOutcome),
    describeCluster: (ref) =>
      call('describeCluster', [ref], undefined, (): DescribeResult => ({ ok: true, cluster: describe(ref) }), readOutcome),
  };

  const traffic: TrafficPort = {
    capabilities: { weights: weightsSupported, maxWeightedServerGroups: maxWeighted, partialDisable, drains },
    enable: (ref, sideEffect) => call('enable', [ref, sideEffect], sideEffect.owner, () => enableNow(ref), operationOutcome),
    disable: (ref, disableOptions) => call('disable', [ref, disableOptions], disableOptions.owner, () => disableNow(ref, disableOptions), operationOutcome),
    setWeights: (ref, weights, sideEffect) => call('setWeights', [ref, weights, sideEffect], sideEffect.owner, () => setWeightsNow(ref, weights), operationOutcome),
    verifyWeights: (ref, weights) => call('verifyWeights', [ref, weights], undefined, () => verifyWeightsNow(ref, weights), readOutcome),
  };

  const control: MemoryTargetControl = {
    clock,
    now: () => clock.now(),
    advance: (ms) => clock.advance(ms),
    tick: (ms) => clock.advance(ms),
    script(serverGroup, script) {
      scripts.set(serverGroup, { ...scripts.get(serverGroup), ...script });
    },
    setInstanceHealth(ref, instanceId, health) {
      purge();
      const instance = groups.get(refKey(ref))?.instances.find((candidate) => candidate.id === instanceId);
      if (!instance) throw new Error(`setInstanceHealth: no instance ${instanceId} in server group ${ref.serverGroup} (${ref.account}/${ref.location})`);
      if (health === undefined) delete instance.forced;
      else instance.forced = health;
    },
    throttleNext: (n, operation) => addFault(n, { kind: 'refuse', reason: 'unavailable', ...(operation ? { operation } : {}) }),
    failNext: (n, failOptions = {}) =>
      addFault(n, { kind: 'refuse', reason: failOptions.reason ?? 'failed', ...(failOptions.operation ? { operation: failOptions.operation } : {}), ...(failOptions.message ? { message: failOptions.message } : {}) }),
    dropNextResponse: (n, operation) => addFault(n, { kind: 'drop', reason: 'unavailable', ...(operation ? { operation } : {}) }),
    pendingFaults: () => faults.reduce((sum, fault) => sum + fault.remaining, 0),
    calls: (filter = {}) =>
      log.filter(
        (entry) =>
          (filter.operation === undefined || entry.operation === filter.operation) &&
          (filter.owner === undefined || entry.owner === filter.owner) &&
          (filter.outcome === undefined || entry.outcome === filter.outcome),
      ),
    effects: (operation) => log.filter((entry) => entry.outcome === 'done' && (operation === undefined || entry.operation === operation)),
    clearCalls() {
      log.length = 0;
    },
    seedServerGroup(seed) {
      const problem = capacityProblem(seed.capacity);
      if (problem) throw new RangeError(`seedServerGroup ${seed.name}: ${problem}`);
      const key = groupKey(seed.account, seed.location, seed.name);
      purge();
      if (groups.has(key)) throw new Error(`seedServerGroup: server group ${seed.name} already exists in ${seed.account}/${seed.location}`);
      created += 1;
      const group: MemoryServerGroup = {
        name: seed.name,
        cluster: seed.cluster,
        account: seed.account,
        location: seed.location,
        createdTime: seed.createdTime ?? clock.now(),
        order: created,
        capacity: { ...seed.capacity },
        disabled: seed.disabled ?? false,
        ...(seed.owner !== undefined ? { owner: seed.owner } : {}),
        ...(seed.artifact ? { artifact: { ...seed.artifact } } : {}),
        launchConfig: {},
        providerScript: { bootMs: 0, becomes: seed.health ?? 'Up' },
        instances: [],
        launched: 0,
      };
      groups.set(key, group);
      launch(group, seed.capacity.desired);
    },
    peek: (ref) => describe(ref),
  };

  return { cloudProvider: options.cloudProvider ?? 'memory', serverGroups, traffic, control };
}
