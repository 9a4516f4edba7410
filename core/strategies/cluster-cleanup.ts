/**
 * The cluster-wide cleanup planners, Orca's ShrinkClusterTask, DisableClusterTask and
 * ScaleDownClusterTask exactly. Each keeps the server group the deploy just created, and any newer
 * one, out of reach (`filterParentAndNewerThanParentDeploys`) but counts them as remaining; it
 * then orders the candidates by what to keep first and acts on the rest.
 */
import type { ClusterState, ServerGroup } from '../deploy/model.ts';
import { isActive, ZERO_CAPACITY } from '../deploy/model.ts';
import type { DeployStep } from './steps.ts';

type Comparator = (a: ServerGroup, b: ServerGroup) => number;

/** Active first (Orca's IsActive). */
const activeFirst: Comparator = (a, b) => Number(isActive(b)) - Number(isActive(a));
/** More instances first (InstanceCount). */
const largerFirst: Comparator = (a, b) => b.instances.length - a.instances.length;
/** Newer first (CreatedTime). */
const newerFirst: Comparator = (a, b) => b.createdTime - a.createdTime;

function composite(comparators: readonly Comparator[]): Comparator {
  return (a, b) => {
    for (const compare of comparators) {
      const order = compare(a, b);
      if (order !== 0) return order;
    }
    return 0;
  };
}

/** The server groups a cluster-wide operation may touch: all but the deployed one and newer ones. */
export function excludeDeployed(serverGroups: readonly ServerGroup[], deployedServerGroup: string | undefined): ServerGroup[] {
  const deployed = deployedServerGroup === undefined ? undefined : serverGroups.find((serverGroup) => serverGroup.name === deployedServerGroup);
  if (!deployed) return [...serverGroups];
  return serverGroups.filter((serverGroup) => serverGroup !== deployed && serverGroup.createdTime <= deployed.createdTime);
}

export interface ShrinkClusterOptions {
  /** Server groups left, the kept ones included. @default 1 */
  readonly shrinkToSize?: number;
  /** Also destroy server groups in traffic. @default false */
  readonly allowDeleteActive?: boolean;
  /** Keep larger server groups before newer ones. @default false */
  readonly retainLargerOverNewer?: boolean;
  readonly deployedServerGroup?: string;
}

/** shrinkCluster: destroy all but `shrinkToSize` (active ones are kept unless allowDeleteActive). */
export function planShrinkCluster(state: ClusterState, options: ShrinkClusterOptions = {}): DeployStep[] {
  const shrinkToSize = options.shrinkToSize ?? 1;
  const allowDeleteActive = options.allowDeleteActive ?? false;
  const all = state.serverGroups;
  let candidates = excludeDeployed(all, options.deployedServerGroup);
  if (!allowDeleteActive) candidates = candidates.filter((serverGroup) => !isActive(serverGroup));
  // Groovy's drop() of a negative count drops nothing.
  const dropCount = Math.max(0, shrinkToSize - (all.length - candidates.length));
  const comparators: Comparator[] = [];
  if (allowDeleteActive) comparators.push(activeFirst);
  if (options.retainLargerOverNewer) comparators.push(largerFirst);
  comparators.push(newerFirst);
  return [...candidates]
    .sort(composite(comparators))
    .slice(dropCount)
    .map((serverGroup) => ({ kind: 'destroyServerGroup', serverGroup: serverGroup.name }));
}

export interface DisableClusterOptions {
  /** Enabled server groups left, the kept ones included. @default 1 */
  readonly remainingEnabledServerGroups?: number;
  /** Keep larger server groups enabled before newer ones. @default false */
  readonly preferLargerOverNewer?: boolean;
  readonly deployedServerGroup?: string;
  /** Passed to each disable (rolling red/black's share). */
  readonly desiredPercentage?: number;
}

/** disableCluster: disable every active server group but the newest (or largest) remaining ones. */
export function planDisableCluster(state: ClusterState, options: DisableClusterOptions = {}): DeployStep[] {
  const remaining = options.remainingEnabledServerGroups ?? 1;
  const all = state.serverGroups;
  const candidates = excludeDeployed(all, options.deployedServerGroup);
  const dropCount = Math.max(0, remaining - (all.length - candidates.length));
  return candidates
    .filter(isActive)
    .sort(options.preferLargerOverNewer ? largerFirst : newerFirst)
    .slice(dropCount)
    .map((serverGroup) => ({
      kind: 'disableServerGroup',
      serverGroup: serverGroup.name,
      ...(options.desiredPercentage !== undefined ? { desiredPercentage: options.desiredPercentage } : {}),
    }));
}

export interface ScaleDownClusterOptions {
  /** Server groups left at full size, the kept ones included. @default 1 */
  readonly remainingFullSizeServerGroups?: number;
  /** Also scale down server groups in traffic. @default false */
  readonly allowScaleDownActive?: boolean;
  /** @default false */
  readonly preferLargerOverNewer?: boolean;
  readonly deployedServerGroup?: string;
}

/** scaleDownCluster: resize all but the remaining ones to 0/0/0, kept for a quick rollback. */
export function planScaleDownCluster(state: ClusterState, options: ScaleDownClusterOptions = {}): DeployStep[] {
  const remaining = options.remainingFullSizeServerGroups ?? 1;
  const allowScaleDownActive = options.allowScaleDownActive ?? false;
  const all = state.serverGroups;
  let candidates = excludeDeployed(all, options.deployedServerGroup);
  if (!allowScaleDownActive) candidates = candidates.filter((serverGroup) => !isActive(serverGroup));
  const dropCount = Math.max(0, remaining - (all.length - candidates.length));
  const comparators: Comparator[] = [];
  if (allowScaleDownActive) comparators.push(activeFirst);
  if (options.preferLargerOverNewer) comparators.push(largerFirst);
  comparators.push(newerFirst);
  return [...candidates]
    .sort(composite(comparators))
    .slice(dropCount)
    .map((serverGroup) => ({ kind: 'resizeServerGroup', serverGroup: serverGroup.name, capacity: ZERO_CAPACITY }));
}

/** The concrete steps of a cluster-wide step against the cluster as it is now; other steps as they are. */
export function expandStep(step: DeployStep, state: ClusterState): DeployStep[] {
  switch (step.kind) {
    case 'shrinkCluster':
      return planShrinkCluster(state, step);
    case 'disableCluster':
      return planDisableCluster(state, step);
    case 'scaleDownCluster':
      return planScaleDownCluster(state, step);
    default:
      return [step];
  }
}
