/**
 * Checks of a deploy cluster entry when its pipeline is saved (DESIGN.md §6): the adapters own
 * their provider fields' schemas (`instanceType`, `targetGroups`, `ecsClusterName`...), so each
 * cloud hands the execution service a pure check of its entries, and may look in the account for
 * what an entry names (`ServerGroupPort.checkCluster`). A problem found reads as the deploy would
 * fail with it, but before anything runs: the field (a path in the entry), the value and the fix.
 *
 * Pure types: no I/O.
 */

/** One problem a cloud finds in a cluster entry. */
export interface ClusterFieldIssue {
  /** Where in the entry: `['instanceType']`, `['targetGroupMappings', 0, 'targetGroup']`; empty for the entry as a whole. */
  readonly path: readonly (string | number)[];
  /**
   * `invalid-value` (a field the cloud cannot take), `required` (a field it needs is missing),
   * `resource-not-found` (what the field names does not exist in the account).
   */
  readonly code: 'invalid-value' | 'required' | 'resource-not-found';
  /** One line: the field, the value and the fix. */
  readonly message: string;
  /** `warning` when the entry may still deploy (the check could not be sure). */
  readonly severity: 'error' | 'warning';
  readonly value?: unknown;
}

/**
 * Whether a stage before the deploy may hand it an image: `yes` when an ancestor (through
 * `requisiteStageRefIds`) is a bake, findImage or findImageFromTags stage; `maybe` when one is in
 * the pipeline but not upstream, or a parent pipeline triggers this one; `no` otherwise.
 */
export type UpstreamImage = 'yes' | 'maybe' | 'no';

/** What the save knows around one cluster entry. */
export interface ClusterCheckContext {
  /** The regions the entry deploys to (`availabilityZones` keys, `regions`, `region`), expressions left out. */
  readonly regions: readonly string[];
  readonly upstreamImage: UpstreamImage;
}

/**
 * The pure check of one cloud's cluster entries (an adapter's schema, no cloud call). The entry
 * is as written: a field whose value holds an expression (`${...}`) is known only when the stage
 * runs and must not be reported.
 */
export type ClusterFieldCheck = (entry: Readonly<Record<string, unknown>>, context: ClusterCheckContext) => readonly ClusterFieldIssue[];

/** The pure checks by cloud provider (`aws`, `ecs`...), as the composition roots pass them. */
export type ClusterFieldChecks = Readonly<Record<string, ClusterFieldCheck>>;

/** What `ServerGroupPort.checkCluster` is asked: one entry without expressions, in one location of an account. */
export interface ClusterCheckRequest {
  readonly account: string;
  readonly location: string;
  /** The cluster entry as written (every value plain: no expressions). */
  readonly provider: Readonly<Record<string, unknown>>;
}
