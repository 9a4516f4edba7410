/**
 * The deploy strategies (reference/spinnaker.md §1.5), as pure planners that turn a cluster's
 * state and a deploy request into steps, in exactly the order Orca's strategies add their
 * synthetic stages. The server group deployed before this one (the newest in the cluster and
 * location, Spinnaker's "source" or ancestor) decides whether there is anything to clean up.
 */
import type { Capacity, ClusterState, ServerGroup } from '../deploy/model.ts';
import { newestFirst, ZERO_CAPACITY } from '../deploy/model.ts';
import { nextServerGroupName, parseClusterName } from '../deploy/names.ts';
import type { DeployStep, PlanResult } from './steps.ts';
import { DEFAULT_TARGET_HEALTHY_PERCENTAGE } from './steps.ts';

export type StrategyName = 'redblack' | 'rollingredblack' | 'highlander' | 'none' | 'custom';

/** One cluster of a deploy stage, with expressions already evaluated. */
export interface DeployRequest {
  /** The new server group's name (see `nextServerGroupName`). */
  readonly serverGroup: string;
  readonly capacity: Capacity;
  /** Percentage of desired instances that must be Up. @default 100 */
  readonly targetHealthyDeployPercentage?: number;
  /** Red/black: server groups left after the deploy, the new one included; 0 or absent = no shrink. */
  readonly maxRemainingAsgs?: number;
  /** @default false */
  readonly scaleDown?: boolean;
  /** Deprecated alias of delayBeforeCleanup. */
  readonly delayBeforeDisableSec?: number;
  readonly delayBeforeCleanup?: number;
  readonly delayBeforeScaleDownSec?: number;
  /** @default false */
  readonly allowDeleteActive?: boolean;
  /** @default false */
  readonly allowScaleDownActive?: boolean;
  /** Rolling red/black steps in percent; 100 is appended when missing. */
  readonly targetPercentages?: readonly number[];
  readonly pipelineBeforeCleanup?: { readonly application: string; readonly pipelineId: string; readonly pipelineParameters?: Readonly<Record<string, unknown>> };
}

/** The source server group: the cluster's newest, whatever its state (none in an empty cluster). */
export function sourceServerGroup(state: ClusterState): ServerGroup | undefined {
  return newestFirst(state.serverGroups)[0];
}

function createAndWait(request: DeployRequest, capacity: Capacity = request.capacity, savedCapacity?: Capacity): DeployStep[] {
  return [
    { kind: 'createServerGroup', serverGroup: request.serverGroup, capacity, ...(savedCapacity ? { savedCapacity } : {}) },
    { kind: 'waitForHealthy', serverGroup: request.serverGroup, targetHealthyPercentage: request.targetHealthyDeployPercentage ?? DEFAULT_TARGET_HEALTHY_PERCENTAGE },
  ];
}

function waitStep(seconds: number | undefined, label: string): DeployStep[] {
  return seconds !== undefined && seconds > 0 ? [{ kind: 'wait', seconds, label }] : [];
}

/** `delayBeforeCleanup ?: delayBeforeDisableSec`: Groovy's elvis, so a 0 falls back to the alias. */
export function delayBeforeCleanup(request: Pick<DeployRequest, 'delayBeforeCleanup' | 'delayBeforeDisableSec'>): number | undefined {
  return request.delayBeforeCleanup || request.delayBeforeDisableSec;
}

/** none: just create the new server group and wait for it (NoStrategy). */
export function planNone(_state: ClusterState, request: DeployRequest): DeployStep[] {
  return createAndWait(request);
}

/**
 * redblack (RedBlackStrategy): after the new server group is healthy, [shrinkCluster to
 * maxRemainingAsgs when > 0] → [wait delayBeforeCleanup] → disableCluster leaving 1 →
 * [wait delayBeforeScaleDownSec] + [scaleDownCluster leaving 1] when scaleDown. An empty
 * cluster (no source) gets no cleanup at all.
 */
export function planRedBlack(state: ClusterState, request: DeployRequest): DeployStep[] {
  const steps = createAndWait(request);
  if (!sourceServerGroup(state)) return steps;
  const deployedServerGroup = request.serverGroup;
  if (request.maxRemainingAsgs !== undefined && request.maxRemainingAsgs > 0) {
    steps.push({ kind: 'shrinkCluster', shrinkToSize: request.maxRemainingAsgs, allowDeleteActive: request.allowDeleteActive ?? false, retainLargerOverNewer: false, deployedServerGroup });
  }
  steps.push(...waitStep(delayBeforeCleanup(request), 'Wait Before Disable'));
  steps.push({ kind: 'disableCluster', remainingEnabledServerGroups: 1, preferLargerOverNewer: false, deployedServerGroup });
  if (request.scaleDown) {
    steps.push(...waitStep(request.delayBeforeScaleDownSec, 'Wait Before Scale Down'));
    steps.push({
      kind: 'scaleDownCluster',
      remainingFullSizeServerGroups: 1,
      allowScaleDownActive: request.allowScaleDownActive ?? false,
      preferLargerOverNewer: false,
      deployedServerGroup,
    });
  }
  return steps;
}

/** highlander (HighlanderStrategy): destroy every other server group, active ones included. */
export function planHighlander(_state: ClusterState, request: DeployRequest): DeployStep[] {
  return [
    ...createAndWait(request),
    { kind: 'shrinkCluster', shrinkToSize: 1, allowDeleteActive: true, retainLargerOverNewer: false, deployedServerGroup: request.serverGroup },
  ];
}

/** Rolling red/black's steps, 100 appended when the list does not end with it. */
export function rollingPercentages(targetPercentages: readonly number[] | undefined): number[] {
  const percentages = [...(targetPercentages ?? [])];
  if (percentages.length === 0 || percentages[percentages.length - 1] !== 100) percentages.push(100);
  return percentages;
}

/** The new server group's capacity at `percent` of the saved capacity: pinned below 100, the saved capacity at 100. */
export function rollingCapacity(saved: Capacity, percent: number): Capacity {
  const desired = Math.ceil((saved.desired * percent) / 100);
  if (percent < 100) return { min: desired, max: desired, desired };
  return { min: Math.min(saved.min, desired), max: Math.max(saved.max, desired), desired };
}

/**
 * rollingredblack (RollingRedBlackStrategy): the new server group is created at capacity 0 (the
 * requested capacity is kept as savedCapacity); the source is pinned; then for each percentage p
 * the new one grows to p% of the saved capacity, [waits delayBeforeCleanup], [runs the validation
 * pipeline with deployedServerGroup, sourceServerGroup and percentageComplete], and p% of the
 * source is disabled; finally the source is scaled down (scaleDown) or unpinned. Without a source,
 * only the growth steps remain.
 *
 * Orca grows the new server group to p% of the source's capacity when there is a source; Gennaker
 * always uses the requested (saved) capacity, so the deploy ends at the size the pipeline asks for.
 */
export function planRollingRedBlack(state: ClusterState, request: DeployRequest, context: { readonly cloudProvider?: string } = {}): DeployStep[] {
  const saved = request.capacity;
  const source = sourceServerGroup(state);
  const steps = createAndWait(request, ZERO_CAPACITY, saved);
  if (source) {
    // Orca's captureSourceServerGroupCapacity: what a rollback restores and the unpin returns to.
    steps.push({ kind: 'captureCapacity', serverGroup: source.name, capacity: source.capacity });
    steps.push({ kind: 'pinServerGroup', serverGroup: source.name, capacity: { ...source.capacity, min: source.capacity.desired } });
  }
  const coordinates = { region: state.location, account: state.account, cloudProvider: context.cloudProvider ?? state.cloudProvider ?? 'local' };
  const validation = request.pipelineBeforeCleanup;
  for (const percent of rollingPercentages(request.targetPercentages)) {
    steps.push({
      kind: 'resizeServerGroup',
      serverGroup: request.serverGroup,
      capacity: rollingCapacity(saved, percent),
      targetHealthyPercentage: request.targetHealthyDeployPercentage ?? DEFAULT_TARGET_HEALTHY_PERCENTAGE,
    });
    steps.push(...waitStep(request.delayBeforeCleanup, `Wait Before Disable ${percent}%`));
    if (validation && validation.application && validation.pipelineId) {
      steps.push({
        kind: 'runPipeline',
        label: 'Run Validation Pipeline',
        application: validation.application,
        pipelineId: validation.pipelineId,
        parameters: {
          ...(validation.pipelineParameters ?? {}),
          deployedServerGroup: { ...coordinates, serverGroupName: request.serverGroup },
          sourceServerGroup: { ...coordinates, serverGroupName: source?.name ?? null },
          percentageComplete: percent,
        },
      });
    }
    if (source) steps.push({ kind: 'disableServerGroup', serverGroup: source.name, desiredPercentage: percent });
  }
  if (source && request.scaleDown) {
    steps.push(...waitStep(request.delayBeforeScaleDownSec, 'Wait Before Scale Down'));
    steps.push({ kind: 'scaleDownCluster', remainingFullSizeServerGroups: 1, allowScaleDownActive: false, preferLargerOverNewer: false, deployedServerGroup: request.serverGroup });
  }
  if (source && !request.scaleDown) steps.push({ kind: 'unpinServerGroup', serverGroup: source.name, min: source.capacity.min });
  return steps;
}

export interface CustomStrategyRequest {
  readonly application: string;
  readonly strategyApplication: string;
  readonly strategyPipeline: string;
  readonly pipelineParameters?: Readonly<Record<string, unknown>>;
  /** The execution and stage running the deploy (`parentPipelineId`, `parentStageId`). */
  readonly parentPipelineId: string;
  readonly parentStageId: string;
  /** cloneServerGroup rather than deploy. @default false */
  readonly clone?: boolean;
}

/**
 * custom (CustomStrategy): instead of creating anything, run the strategy pipeline with
 * Spinnaker's parameters (application, credentials, cluster, moniker, region, cloudProvider,
 * strategy: true, clone, parentPipelineId, parentStageId), the stage's pipelineParameters last.
 */
export function planCustom(state: ClusterState, request: CustomStrategyRequest): DeployStep[] {
  const parsed = parseClusterName(state.cluster);
  const moniker = {
    app: parsed?.app ?? request.application,
    cluster: state.cluster,
    ...(parsed?.stack ? { stack: parsed.stack } : {}),
    ...(parsed?.detail ? { detail: parsed.detail } : {}),
  };
  return [
    {
      kind: 'runPipeline',
      label: 'pipeline',
      application: request.strategyApplication,
      pipelineId: request.strategyPipeline,
      parameters: {
        application: request.application,
        credentials: state.account,
        cluster: state.cluster,
        moniker,
        region: state.location,
        cloudProvider: state.cloudProvider ?? 'local',
        strategy: true,
        clone: request.clone ?? false,
        parentPipelineId: request.parentPipelineId,
        parentStageId: request.parentStageId,
        ...(request.pipelineParameters ?? {}),
      },
    },
  ];
}

/** A deploy of one cluster: the strategy and everything it reads. */
export type StrategyRequest =
  | ({ readonly strategy: Exclude<StrategyName, 'custom'> } & Omit<DeployRequest, 'serverGroup'>)
  | ({ readonly strategy: 'custom' } & CustomStrategyRequest);

/**
 * Names the new server group (next free `-vNNN` after the most recently created one) and plans
 * the strategy; fails only when every name of the cluster is taken.
 */
export function planDeploy(state: ClusterState, request: StrategyRequest): PlanResult {
  if (request.strategy === 'custom') return { ok: true, steps: planCustom(state, request) };
  const next = nextServerGroupName(state.cluster, state.serverGroups, { location: state.location });
  if (!next.ok) return next;
  const deploy: DeployRequest = { ...request, serverGroup: next.name };
  const strategy = request.strategy;
  switch (strategy) {
    case 'none':
      return { ok: true, steps: planNone(state, deploy) };
    case 'redblack':
      return { ok: true, steps: planRedBlack(state, deploy) };
    case 'rollingredblack':
      return { ok: true, steps: planRollingRedBlack(state, deploy) };
    case 'highlander':
      return { ok: true, steps: planHighlander(state, deploy) };
    default: {
      const unreachable: never = strategy;
      return unreachable;
    }
  }
}
