/**
 * The traffic port (DESIGN.md §6, STYLE §16): how requests reach a cluster's server groups, kept
 * apart from the server groups themselves as Argo Rollouts keeps traffic routers apart from
 * replica math. Each adapter says honestly what its router can do: a Service selector has no
 * weights, a Lambda alias weighs exactly two versions, the local load balancer and an ALB listener
 * weigh several.
 *
 * Same contract as the server-group port (core/ports/server-groups.ts): every operation starts and
 * returns a result value; `describeCluster` there shows whether a disable has finished draining; a
 * weight is never assumed set until `verifyWeights` reads it back.
 */
import type { ClusterRef, OperationResult, PortFailure, ServerGroupRef, SideEffect } from './server-groups.ts';

/** What the router can do. */
export interface TrafficCapabilities {
  /** `setWeights` works at all. */
  readonly weights: boolean;
  /** How many server groups may hold a weight at once (2 for a Lambda alias); 0 without weights. */
  readonly maxWeightedServerGroups: number;
  /** `disable` honours `desiredPercentage` < 100 (rolling red/black takes the old one out in steps). */
  readonly partialDisable: boolean;
  /** A disable drains requests in flight; `describeCluster` shows `draining` until it is over. */
  readonly drains: boolean;
}

export interface DisableOptions extends SideEffect {
  /**
   * Take only this share (1-100) of the server group's instances out of traffic, rounded up as
   * Orca does; the server group itself stays enabled. Monotonic: a smaller share than already
   * taken out changes nothing. 100 or absent disables the whole server group.
   */
  readonly desiredPercentage?: number;
}

/** `{ 'app-v001': 90, 'app-v002': 10 }`: whole percentages summing to 100; `{}` returns to the default split. */
export type TrafficWeights = Readonly<Record<string, number>>;

export type VerifyWeightsResult =
  /** `actual` is what the router holds now, read back from it. */
  | { readonly ok: true; readonly matches: boolean; readonly actual: TrafficWeights }
  | PortFailure;

export interface TrafficPort {
  readonly capabilities: TrafficCapabilities;
  /** Starts putting the server group in traffic. Enabling an enabled one answers `already-done`. */
  enable(ref: ServerGroupRef, options: SideEffect): Promise<OperationResult>;
  /** Starts taking it (or `desiredPercentage` of it) out of traffic; describe shows the drain. */
  disable(ref: ServerGroupRef, options: DisableOptions): Promise<OperationResult>;
  /** Starts splitting the cluster's traffic by weight; server groups left out get 0. */
  setWeights(ref: ClusterRef, weights: TrafficWeights, options: SideEffect): Promise<OperationResult>;
  /** Reads the router back: does it hold `weights`? */
  verifyWeights(ref: ClusterRef, weights: TrafficWeights): Promise<VerifyWeightsResult>;
}
