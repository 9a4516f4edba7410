/**
 * A deploy target as the step executor sees it (DESIGN.md §6): the two small ports of one account,
 * server groups and traffic, found by account. The composition root knows which accounts exist
 * and which adapter serves each (`local`, `aws-ec2`, `aws-ecs`, `aws-lambda`, `gce`, `kubernetes`).
 */
import type { BuildPort } from './builds.ts';
import type { FunctionPort } from './functions.ts';
import type { ManifestPort } from './manifests.ts';
import type { ServerGroupPort } from './server-groups.ts';
import type { TrafficPort } from './traffic.ts';

export interface Target {
  /** The cloud provider of the account (`local`, `aws`, `ecs`, `lambda`, `gce`, `kubernetes`). */
  readonly cloudProvider: string;
  readonly serverGroups: ServerGroupPort;
  readonly traffic: TrafficPort;
  /**
   * The account's Lambda functions, for Spinnaker's Lambda stages (core/ports/functions.ts). Absent
   * for targets without functions (local, ECS...): a Lambda stage naming such an account fails.
   */
  readonly functions?: FunctionPort;
  /**
   * The account's Kubernetes API server, for Spinnaker's manifest stages (core/ports/manifests.ts).
   * Absent for targets without one: a manifest stage naming such an account fails.
   */
  readonly manifests?: ManifestPort;
  /**
   * The account's builds (AWS CodeBuild), for the `awsCodeBuild` stage (core/ports/builds.ts).
   * Absent for targets without one: an awsCodeBuild stage naming such an account fails.
   */
  readonly builds?: BuildPort;
}

/** Which account a stage names (`credentials` or `account`), and its cloud provider when the stage says. */
export interface TargetKey {
  readonly account: string;
  readonly cloudProvider?: string;
}

/** The target serving an account; undefined when the account is unknown (the stage fails, naming the known ones). */
export type TargetLookup = (key: TargetKey) => Target | undefined;

/**
 * What a save looks in the accounts through (`ServerGroupPort.checkCluster`): any TargetLookup,
 * or one whose targets only answer that check (the API's read-only targets on AWS).
 */
export type ClusterCheckLookup = (key: TargetKey) => { readonly serverGroups: Pick<ServerGroupPort, 'checkCluster'> } | undefined;
