/**
 * The steps planners return: readonly data the deploy stage runs through the DeployTarget port,
 * one after the other, in order. Cluster-wide steps (`shrinkCluster`, `disableCluster`,
 * `scaleDownCluster`) are resolved when they run, against the cluster as it is then (Orca's
 * synthetic stages do the same), with `planShrinkCluster` & co.; every other step names its
 * server group. Steps that take traffic or instances away are checked against traffic guards
 * before they run (`checkStep`, `guardedSteps` in core/deploy/traffic-guards.ts).
 */
import type { Capacity } from '../deploy/model.ts';

export type DeployStep =
  /**
   * Creates the server group; `disabled` creates it out of traffic. `source`: a clone of that
   * server group (cloneServerGroup), resolved when the stage was planned and kept in the plan so a
   * repeated step copies the same one.
   */
  | {
      readonly kind: 'createServerGroup';
      readonly serverGroup: string;
      readonly capacity: Capacity;
      readonly disabled?: boolean;
      readonly savedCapacity?: Capacity;
      readonly source?: { readonly account: string; readonly location: string; readonly serverGroup: string };
    }
  /** Polls until `targetHealthyPercentage` of the desired instances are Up (Orca's waitForUpInstances). */
  | { readonly kind: 'waitForHealthy'; readonly serverGroup: string; readonly targetHealthyPercentage: number }
  /** Puts it in traffic, then waits for `targetHealthyPercentage` of it to be Up when given. */
  | { readonly kind: 'enableServerGroup'; readonly serverGroup: string; readonly targetHealthyPercentage?: number }
  /** Takes it out of traffic; `desiredPercentage` < 100 takes only that share (rolling red/black). */
  | { readonly kind: 'disableServerGroup'; readonly serverGroup: string; readonly desiredPercentage?: number }
  /** Sets the capacity and waits for it to match (Orca's resize stage), healthy to `targetHealthyPercentage`. */
  | { readonly kind: 'resizeServerGroup'; readonly serverGroup: string; readonly capacity: Capacity; readonly targetHealthyPercentage?: number }
  | { readonly kind: 'destroyServerGroup'; readonly serverGroup: string }
  /**
   * Answers the pause `pauseId` of the rollout the cloud runs to bring the server group in (an
   * ECS native deployment waiting at a PAUSE lifecycle hook): `continue` lets it go on, `rollback`
   * sends traffic back to the previous version. Done once the rollout moved past that pause.
   */
  | { readonly kind: 'continueRollout'; readonly serverGroup: string; readonly pauseId: string; readonly action: 'continue' | 'rollback' }
  /** Sets min to desired so nothing scales it in while traffic moves (Orca's pinServerGroup). */
  | { readonly kind: 'pinServerGroup'; readonly serverGroup: string; readonly capacity: Capacity }
  /** Restores the min captured before pinning; desired and max stay as they are. */
  | { readonly kind: 'unpinServerGroup'; readonly serverGroup: string; readonly min: number }
  /** Records a server group's capacity (Orca's captureSourceServerGroupCapacity) for a later unpin. */
  | { readonly kind: 'captureCapacity'; readonly serverGroup: string; readonly capacity: Capacity }
  /** Splits the cluster's traffic by weight (canaries) and waits until the router reads it back. */
  | { readonly kind: 'setTrafficWeights'; readonly weights: Readonly<Record<string, number>> }
  | { readonly kind: 'wait'; readonly seconds: number; readonly label: string }
  /** Runs a pipeline and waits for it (Orca's pipeline stage). */
  | { readonly kind: 'runPipeline'; readonly label: string; readonly application: string; readonly pipelineId: string; readonly parameters: Readonly<Record<string, unknown>> }
  /** Destroys all but `shrinkToSize` server groups (the deployed one and newer are kept and count). */
  | {
      readonly kind: 'shrinkCluster';
      readonly shrinkToSize: number;
      readonly allowDeleteActive: boolean;
      readonly retainLargerOverNewer: boolean;
      readonly deployedServerGroup?: string;
    }
  /** Disables all but `remainingEnabledServerGroups` server groups. */
  | { readonly kind: 'disableCluster'; readonly remainingEnabledServerGroups: number; readonly preferLargerOverNewer: boolean; readonly deployedServerGroup?: string }
  /** Scales all but `remainingFullSizeServerGroups` server groups to 0. */
  | {
      readonly kind: 'scaleDownCluster';
      readonly remainingFullSizeServerGroups: number;
      readonly allowScaleDownActive: boolean;
      readonly preferLargerOverNewer: boolean;
      readonly deployedServerGroup?: string;
    };

export type DeployStepKind = DeployStep['kind'];

/** A planner's answer when the plan cannot be made (a name, a server group that is not there). */
export type PlanResult = { readonly ok: true; readonly steps: readonly DeployStep[] } | { readonly ok: false; readonly message: string };

/** Orca's default targetHealthyDeployPercentage: every desired instance Up. */
export const DEFAULT_TARGET_HEALTHY_PERCENTAGE = 100;
