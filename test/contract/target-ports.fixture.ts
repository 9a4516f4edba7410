/**
 * What the two port contracts (server-group-port.contract.ts, traffic-port.contract.ts) need
 * from a target under test. Waiting is the fixture's business: the memory target advances its
 * clock, a real target polls, so the same suite runs in milliseconds or in seconds.
 */
import { randomUUID } from 'node:crypto';
import type {
  ArtifactReference,
  ClusterRef,
  CreateServerGroupRequest,
  InstanceHealth,
  OperationResult,
  ServerGroupDescription,
  ServerGroupRef,
} from '../../core/ports/server-groups.ts';
import type { Target } from '../../core/ports/target.ts';

/** Something a server group must drain before its disable is over (a request in flight). */
export interface InFlightWork {
  /** Ends it (the request completes or is abandoned by its client). */
  finish(): Promise<void>;
}

export interface TargetPortsFixture {
  readonly target: Target;
  readonly account: string;
  readonly location: string;
  /** What a healthy server group runs; absent for a target that takes no artifact. */
  readonly artifact?: ArtifactReference;
  /** Provider fields of a healthy server group. @default {} */
  readonly provider?: Readonly<Record<string, unknown>>;
  /** Provider fields the adapter refuses, and the field its message names. */
  readonly invalidProvider: { readonly provider: Readonly<Record<string, unknown>>; readonly field: string };
  /**
   * A provider field a clone overrides (cloneServerGroup) and where describe shows it: `shown` of
   * the clone is `expected`, of its source something else. Needed with `ContractOptions.clones`.
   */
  readonly cloneOverride?: { readonly provider: Readonly<Record<string, unknown>>; shown(group: ServerGroupDescription): unknown; readonly expected: unknown };
  /** Retries `check` (which throws until satisfied) until it passes, moving time as the target needs. */
  eventually<T>(check: () => Promise<T>): Promise<T>;
  /**
   * Starts work on the cluster's only enabled server group that a disable must drain, and
   * returns once it is in flight. A target whose drains are timed has nothing to hold.
   */
  occupy(cluster: ClusterRef): Promise<InFlightWork>;
  /** Makes the next `n` calls of `operation` answer `unavailable`; absent when faults cannot be injected. */
  readonly throttleNext?: (n: number, operation: 'create' | 'resize' | 'destroy' | 'describeCluster' | 'enable' | 'disable' | 'setWeights' | 'verifyWeights') => void;
  /** Destroys whatever the suite left; called in `afterAll`. */
  dispose(): Promise<void>;
}

/** How a contract suite is registered for one target. */
export interface ContractOptions {
  /** The fixture has `throttleNext`: register the throttling tests. @default false */
  readonly throttles?: boolean;
  /**
   * Disabling scales the server group to zero and enabling scales it back, as Spinnaker's ECS
   * does: a disabled server group keeps no instances once drained, and none can be created out of
   * traffic with running instances (the target answers `unsupported`). @default false
   */
  readonly disableScalesToZero?: boolean;
  /** The target has `capabilities.clone`: register the clone tests (the fixture gives `cloneOverride`). @default false */
  readonly clones?: boolean;
}

/** Throws unless the result is a success, so a failed step stops a test with its message. */
export function expectDone(result: OperationResult, what: string): void {
  if (!result.ok) throw new Error(`${what} failed (${result.reason}): ${result.message}`);
}

/** Helpers both contracts share; every test takes a cluster of its own. */
export interface ContractKit {
  /** A fresh cluster: `<prefix><run>-c<n>`. */
  newCluster(): ClusterRef;
  ref(cluster: ClusterRef, serverGroup: string): ServerGroupRef;
  /** A create request for `<cluster>-v<sequence>` with the fixture's artifact and provider fields. */
  request(cluster: ClusterRef, sequence: number, overrides?: Partial<CreateServerGroupRequest>): CreateServerGroupRequest;
  /** The server group now, or undefined. */
  group(cluster: ClusterRef, name: string): Promise<ServerGroupDescription | undefined>;
  /** Waits until the server group has `count` instances, all `health`. */
  waitFor(cluster: ClusterRef, name: string, count: number, health?: InstanceHealth): Promise<ServerGroupDescription>;
  /** Creates `<cluster>-v<sequence>` and waits for its instances to be Up; answers its name. */
  createUp(cluster: ClusterRef, sequence: number, overrides?: Partial<CreateServerGroupRequest>): Promise<string>;
}

export function createContractKit(fixture: () => TargetPortsFixture, prefix: string): ContractKit {
  const run = randomUUID().slice(0, 6);
  let counter = 0;
  const kit: ContractKit = {
    newCluster() {
      counter += 1;
      return { account: fixture().account, location: fixture().location, cluster: `${prefix}${run}-c${counter}` };
    },
    ref: (cluster, serverGroup) => ({ account: cluster.account, location: cluster.location, serverGroup }),
    request(cluster, sequence, overrides = {}) {
      const { artifact, provider } = fixture();
      return {
        ...cluster,
        name: `${cluster.cluster}-v${String(sequence).padStart(3, '0')}`,
        owner: `execution-${run}/stage-${cluster.cluster}/create-${sequence}`,
        capacity: { min: 1, max: 1, desired: 1 },
        ...(artifact ? { artifact } : {}),
        provider: provider ?? {},
        ...overrides,
      };
    },
    async group(cluster, name) {
      const described = await fixture().target.serverGroups.describeCluster(cluster);
      if (!described.ok) throw new Error(`describeCluster failed (${described.reason}): ${described.message}`);
      return described.cluster.serverGroups.find((candidate) => candidate.name === name);
    },
    waitFor(cluster, name, count, health = 'Up') {
      return fixture().eventually(async () => {
        const found = await kit.group(cluster, name);
        const healths = found?.instances.map((instance) => instance.health) ?? [];
        if (!found || healths.length !== count || healths.some((candidate) => candidate !== health)) {
          throw new Error(`${name} has ${JSON.stringify(healths)}, waiting for ${count} ${health}`);
        }
        return found;
      });
    },
    async createUp(cluster, sequence, overrides = {}) {
      const request = kit.request(cluster, sequence, overrides);
      expectDone(await fixture().target.serverGroups.create(request), `create ${request.name}`);
      await kit.waitFor(cluster, request.name, request.capacity.desired);
      return request.name;
    },
  };
  return kit;
}
