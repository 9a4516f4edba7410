/**
 * resizeServerGroup's capacity math, Orca's ResizeStrategy implementations exactly:
 * scale_exact (ScaleExactResizeStrategy: unset fields come from the current capacity),
 * scale_up / scale_down (ScaleRelativeResizeStrategy: by scalePct of each bound, rounded up, or
 * by scaleNum, never below 0), scale_to_cluster (the largest bounds in the cluster plus an
 * increment, capped at max), scale_to_server_group (another server group's capacity), then the
 * pinning flags (ResizeStrategySupport.performScalingAndPinning). Legacy `resizeType: 'exact'`
 * means scale_exact, and so does a missing action.
 */
import type { Capacity, ClusterState, ServerGroup } from '../deploy/model.ts';
import { findServerGroup } from '../deploy/model.ts';
import type { PlanResult } from './steps.ts';

export type ResizeAction = 'scale_exact' | 'scale_up' | 'scale_down' | 'scale_to_cluster' | 'scale_to_server_group';

export interface ResizeOptions {
  readonly action?: ResizeAction;
  /** Legacy: 'exact' means scale_exact whatever the action. */
  readonly resizeType?: string;
  /** scale_exact: the fields to set. */
  readonly capacity?: Partial<Capacity>;
  readonly scalePct?: number;
  readonly scaleNum?: number;
  /** scale_to_server_group: whose capacity to copy. */
  readonly sourceServerGroup?: string;
  /** min = max = desired. */
  readonly pinCapacity?: boolean;
  /** min = desired. */
  readonly pinMinimumCapacity?: boolean;
  /** Restores min to this value (when not above the new min). */
  readonly unpinMinimumCapacity?: number;
  readonly targetHealthyPercentage?: number;
}

/** The action Orca runs: `resizeType: 'exact'` and a missing action are scale_exact. */
export function actualResizeAction(options: Pick<ResizeOptions, 'action' | 'resizeType'>): ResizeAction {
  if (options.resizeType === 'exact') return 'scale_exact';
  return options.action ?? 'scale_exact';
}

/** scalePct of the desired capacity only, rounded up; min and max stretch to hold it. */
export function scaleCapacityByPercent(capacity: Capacity, percent: number): Capacity {
  // Integer arithmetic: Java's `10 * 0.3` rounds up to 4; ten instances at 30% are three.
  const desired = Math.ceil((capacity.desired * percent) / 100);
  return { min: Math.min(capacity.min, desired), max: Math.max(capacity.max, desired), desired };
}

/** Unset fields from the current capacity, keeping min ≤ desired ≤ max (mergeConfiguredCapacityWithCurrent). */
export function mergeCapacity(configured: Partial<Capacity>, current: Capacity): Capacity {
  let min = configured.min ?? current.min;
  let max: number;
  if (configured.max !== undefined) {
    max = configured.max;
    min = Math.min(min, configured.max);
  } else {
    max = Math.max(min, current.max);
  }
  let desired: number;
  if (configured.desired !== undefined) {
    desired = configured.desired;
  } else {
    desired = current.desired;
    if (current.desired < min) desired = min;
    if (current.desired > max) desired = max;
  }
  return { min, max, desired };
}

function scaleAndPin(capacity: Capacity, options: ResizeOptions): Capacity {
  let result = options.scalePct !== undefined ? scaleCapacityByPercent(capacity, options.scalePct) : capacity;
  if (options.unpinMinimumCapacity !== undefined && options.unpinMinimumCapacity <= result.min) {
    result = { ...result, min: options.unpinMinimumCapacity };
  }
  if (options.pinCapacity) return { min: result.desired, max: result.desired, desired: result.desired };
  return options.pinMinimumCapacity ? { ...result, min: result.desired } : result;
}

function relative(current: Capacity, options: ResizeOptions, sign: 1 | -1): Capacity {
  // Groovy truthiness: a scalePct of 0 falls through to scaleNum.
  if (options.scalePct) {
    const percent = options.scalePct;
    const by = (value: number) => Math.max(value + sign * Math.ceil((value * percent) / 100), 0);
    return { min: by(current.min), desired: by(current.desired), max: by(current.max) };
  }
  if (options.scaleNum) {
    const delta = sign * options.scaleNum;
    return { min: Math.max(current.min + delta, 0), desired: Math.max(current.desired + delta, 0), max: Math.max(current.max + delta, 0) };
  }
  return current;
}

function toCluster(serverGroups: readonly ServerGroup[], options: ResizeOptions): Capacity {
  let min = 0;
  let max = 0;
  let desired = 0;
  for (const serverGroup of serverGroups) {
    min = Math.max(min, serverGroup.capacity.min);
    max = Math.max(max, serverGroup.capacity.max);
    desired = Math.max(desired, serverGroup.capacity.desired);
  }
  let increment = 0;
  if (options.scalePct) increment = Math.ceil((desired * Math.abs(options.scalePct)) / 100);
  else if (options.scaleNum) increment = Math.abs(options.scaleNum);
  max = Math.max(max, min);
  min = Math.min(max, min);
  desired = Math.max(min, desired);
  desired = Math.min(desired + increment, max);
  return { min, max, desired };
}

/** The new capacity of `serverGroup` for a resize, or why there is none. */
export function resizeCapacity(state: ClusterState, serverGroup: string, options: ResizeOptions): { ok: true; capacity: Capacity } | { ok: false; message: string } {
  const target = findServerGroup(state, serverGroup);
  if (!target) {
    return { ok: false, message: `no server group found ${state.account}/${serverGroup} in ${state.location}; check the server group's name or target` };
  }
  const action = actualResizeAction(options);
  switch (action) {
    case 'scale_exact':
      return { ok: true, capacity: scaleAndPin(mergeCapacity(options.capacity ?? {}, target.capacity), options) };
    case 'scale_up':
      return { ok: true, capacity: relative(target.capacity, options, 1) };
    case 'scale_down':
      return { ok: true, capacity: relative(target.capacity, options, -1) };
    case 'scale_to_cluster':
      return { ok: true, capacity: toCluster(state.serverGroups, options) };
    case 'scale_to_server_group': {
      if (options.sourceServerGroup === undefined) {
        return { ok: false, message: 'scale_to_server_group needs a source server group; add source.serverGroupName' };
      }
      const source = findServerGroup(state, options.sourceServerGroup);
      if (!source) {
        return { ok: false, message: `no server group found ${state.account}/${options.sourceServerGroup} in ${state.location} to copy the capacity of; check source.serverGroupName` };
      }
      return { ok: true, capacity: scaleAndPin(source.capacity, options) };
    }
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

/** resizeServerGroup's one step: set the computed capacity and wait for it. */
export function planResize(state: ClusterState, serverGroup: string, options: ResizeOptions): PlanResult {
  const computed = resizeCapacity(state, serverGroup, options);
  if (!computed.ok) return computed;
  return {
    ok: true,
    steps: [
      {
        kind: 'resizeServerGroup',
        serverGroup,
        capacity: computed.capacity,
        ...(options.targetHealthyPercentage !== undefined ? { targetHealthyPercentage: options.targetHealthyPercentage } : {}),
      },
    ],
  };
}
