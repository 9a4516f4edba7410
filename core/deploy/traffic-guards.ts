/**
 * Traffic guards (reference/spinnaker.md §1.6): a guarded cluster must keep at least one
 * instance Up. Matching is clouddriver's ClusterMatcher (whole-field `*` wildcards, blank stack
 * or detail = only the cluster without one, the most specific rule first); the check is Orca's
 * TrafficGuard.verifyTrafficRemoval: count the Up instances of the cluster's server groups in the
 * location, take away those of the server groups going away, and refuse when what is left is at
 * or below `minCapacityRatio` of what is there now (default 0: refuse only when nothing would be
 * left Up). Bypasses: nothing is Up now; several pinned server groups of the same size going away
 * while something stays Up.
 */
import type { DeployStep } from '../strategies/steps.ts';
import { expandStep } from '../strategies/cluster-cleanup.ts';
import type { ClusterState, ServerGroup } from './model.ts';
import { isPinned, upInstanceCount } from './model.ts';
import { parseClusterName } from './names.ts';

/** An application's `trafficGuards` entry (Front50), as the store keeps it. */
export interface TrafficGuardRule {
  readonly account: string;
  readonly location: string;
  readonly stack?: string;
  readonly detail?: string;
  /** @default true, as Orca reads it */
  readonly enabled?: boolean;
}

export type GuardedOperation = 'disable' | 'destroy' | 'resizeDown';

export type GuardResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

const OK: GuardResult = { ok: true };

function fieldMatches(rule: string | undefined, actual: string): boolean {
  const value = rule ?? '';
  return value === '*' || value === actual;
}

/** 1 when a wildcard, 0 when exact: sorts exact rules first, field by field. */
function wildness(value: string | undefined): number {
  return (value ?? '') === '*' ? 1 : 0;
}

/**
 * The rule guarding a cluster, the most specific first (exact account before `*`, then
 * location, stack, detail); disabled rules never match. Undefined when none guards it.
 */
export function matchTrafficGuard(rules: readonly TrafficGuardRule[], cluster: { readonly account: string; readonly location: string; readonly cluster: string }): TrafficGuardRule | undefined {
  const parsed = parseClusterName(cluster.cluster);
  const stack = parsed?.stack ?? '';
  const detail = parsed?.detail ?? '';
  const candidates = rules.filter(
    (rule) =>
      rule.enabled !== false &&
      fieldMatches(rule.account, cluster.account) &&
      fieldMatches(rule.location, cluster.location) &&
      fieldMatches(rule.stack, stack) &&
      fieldMatches(rule.detail, detail),
  );
  const fields = ['account', 'location', 'stack', 'detail'] as const;
  candidates.sort((a, b) => {
    for (const field of fields) {
      const order = wildness(a[field]) - wildness(b[field]);
      if (order !== 0) return order;
    }
    return 0;
  });
  return candidates[0];
}

const DESCRIPTORS: Readonly<Record<GuardedOperation, string>> = {
  disable: 'Disabling',
  destroy: 'Destroying',
  resizeDown: 'Removal of all instances in',
};

export interface GuardOptions {
  /** traffic-guards.min-capacity-ratio, valid in [0, 0.5); outside it Orca uses 0. @default 0 */
  readonly minCapacityRatio?: number;
  /** Replaces the operation's words in the message (cluster-wide operations: `Running disableServerGroup on`). */
  readonly descriptor?: string;
}

function effectiveRatio(ratio: number | undefined): number {
  return ratio === undefined || !(ratio >= 0 && ratio < 0.5) ? 0 : ratio;
}

function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/**
 * Whether taking `serverGroups` out of the cluster (disable, destroy, or resize to 0) is allowed.
 * Unguarded clusters always are. A server group that is not in the cluster is an error, as in Orca.
 */
export function checkTrafficGuard(
  state: ClusterState,
  operation: GuardedOperation,
  serverGroups: string | readonly string[],
  guards: readonly TrafficGuardRule[],
  options: GuardOptions = {},
): GuardResult {
  const names = typeof serverGroups === 'string' ? [serverGroups] : [...serverGroups];
  if (names.length === 0) return OK;
  if (!matchTrafficGuard(guards, state)) return OK;
  const current = state.serverGroups.filter((serverGroup) => serverGroup.location === state.location);
  const goingAway: ServerGroup[] = [];
  for (const name of names) {
    const found = current.find((serverGroup) => serverGroup.name === name);
    if (!found) {
      return {
        ok: false,
        message: `Could not find server group '${name}' in ${state.account}/${state.location}, found [${current.map((serverGroup) => serverGroup.name).join(', ')}]`,
      };
    }
    goingAway.push(found);
  }
  const currentCapacity = current.reduce((sum, serverGroup) => sum + upInstanceCount(serverGroup), 0);
  if (currentCapacity === 0) return OK;
  const futureCapacity = currentCapacity - goingAway.reduce((sum, serverGroup) => sum + upInstanceCount(serverGroup), 0);
  const someDesired = (goingAway[0] as ServerGroup).capacity.desired;
  if (futureCapacity > 0 && goingAway.length > 1 && goingAway.every((serverGroup) => isPinned(serverGroup.capacity) && serverGroup.capacity.desired === someDesired)) {
    return OK;
  }
  const ratio = futureCapacity / currentCapacity;
  const minRatio = effectiveRatio(options.minCapacityRatio);
  if (ratio > minRatio) return OK;
  const descriptor = options.descriptor ?? DESCRIPTORS[operation];
  const start = `This cluster ('${state.cluster}' in ${state.account}/${state.location}) has traffic guards enabled. ${descriptor} [${names.join(',')}] would leave the cluster `;
  if (futureCapacity === 0) return { ok: false, message: `${start}with no instances up.` };
  const up = futureCapacity === 1 ? 'with 1 instance up ' : `with ${futureCapacity} instances up `;
  return {
    ok: false,
    message: `${start}${up}(${formatPercent(ratio)} of ${currentCapacity} instances currently up). The configured minimum is ${formatPercent(minRatio)}.`,
  };
}

const CLUSTER_OPERATIONS = {
  shrinkCluster: { operation: 'destroy', descriptor: 'Running destroyServerGroup on' },
  disableCluster: { operation: 'disable', descriptor: 'Running disableServerGroup on' },
  scaleDownCluster: { operation: 'resizeDown', descriptor: 'Running resizeServerGroup on' },
} as const satisfies Record<string, { operation: GuardedOperation; descriptor: string }>;

/**
 * Checks one step against the cluster as it is now, just before it runs. Disabling a share
 * (`desiredPercentage` < 100) is not checked, as in Orca; a resize is checked only when it
 * removes every instance (Orca's ResizeServerGroupTask). Cluster-wide steps are checked for all
 * the server groups they would touch at once.
 */
export function checkStep(step: DeployStep, state: ClusterState, guards: readonly TrafficGuardRule[], options: GuardOptions = {}): GuardResult {
  switch (step.kind) {
    case 'disableServerGroup':
      if (step.desiredPercentage !== undefined && step.desiredPercentage < 100) return OK;
      return checkTrafficGuard(state, 'disable', step.serverGroup, guards, options);
    case 'destroyServerGroup':
      return checkTrafficGuard(state, 'destroy', step.serverGroup, guards, options);
    case 'resizeServerGroup':
      return step.capacity.desired === 0 ? checkTrafficGuard(state, 'resizeDown', step.serverGroup, guards, options) : OK;
    case 'shrinkCluster':
    case 'disableCluster':
    case 'scaleDownCluster': {
      const names = expandStep(step, state).map((expanded) => ('serverGroup' in expanded ? expanded.serverGroup : ''));
      const { operation, descriptor } = CLUSTER_OPERATIONS[step.kind];
      return checkTrafficGuard(state, operation, names, guards, { ...options, descriptor });
    }
    default:
      return OK;
  }
}

function replace(state: ClusterState, name: string, change: (serverGroup: ServerGroup) => ServerGroup | undefined): ClusterState {
  const serverGroups = state.serverGroups.flatMap((serverGroup) => {
    if (serverGroup.name !== name) return [serverGroup];
    const changed = change(serverGroup);
    return changed ? [changed] : [];
  });
  return { ...state, serverGroups };
}

function allUp(serverGroup: ServerGroup, count: number): ServerGroup {
  return {
    ...serverGroup,
    instances: Array.from({ length: count }, (_, index) => ({ id: `${serverGroup.name}-simulated-${index}`, health: 'Up' as const })),
  };
}

/**
 * The cluster after a step, assuming it succeeds and every instance comes Up (the optimistic
 * world `guardedSteps` checks a plan in).
 */
export function applyStep(state: ClusterState, step: DeployStep): ClusterState {
  switch (step.kind) {
    case 'createServerGroup': {
      const createdTime = state.serverGroups.reduce((latest, serverGroup) => Math.max(latest, serverGroup.createdTime), 0) + 1;
      const created: ServerGroup = {
        name: step.serverGroup,
        cluster: state.cluster,
        account: state.account,
        location: state.location,
        createdTime,
        capacity: step.capacity,
        disabled: step.disabled ?? false,
        instances: [],
      };
      return { ...state, serverGroups: [...state.serverGroups, created] };
    }
    case 'waitForHealthy':
      return replace(state, step.serverGroup, (serverGroup) => allUp(serverGroup, serverGroup.capacity.desired));
    case 'enableServerGroup':
      return replace(state, step.serverGroup, (serverGroup) => ({ ...serverGroup, disabled: false }));
    case 'disableServerGroup':
      if (step.desiredPercentage !== undefined && step.desiredPercentage < 100) return state;
      return replace(state, step.serverGroup, (serverGroup) => ({ ...serverGroup, disabled: true }));
    case 'resizeServerGroup':
      return replace(state, step.serverGroup, (serverGroup) => allUp({ ...serverGroup, capacity: step.capacity }, step.capacity.desired));
    case 'destroyServerGroup':
      return replace(state, step.serverGroup, () => undefined);
    case 'pinServerGroup':
      return replace(state, step.serverGroup, (serverGroup) => ({ ...serverGroup, capacity: step.capacity }));
    case 'unpinServerGroup':
      return replace(state, step.serverGroup, (serverGroup) => ({ ...serverGroup, capacity: { ...serverGroup.capacity, min: step.min } }));
    case 'shrinkCluster':
    case 'disableCluster':
    case 'scaleDownCluster':
      return expandStep(step, state).reduce(applyStep, state);
    case 'captureCapacity':
    case 'setTrafficWeights':
    case 'wait':
    case 'runPipeline':
    case 'continueRollout':
      return state;
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

export type GuardedStepsResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly index: number; readonly step: DeployStep; readonly message: string };

/**
 * The first step of a plan a traffic guard would refuse, walking the plan over the cluster as
 * each step would leave it. The executor still checks each step with `checkStep` just before
 * running it: the world may differ from the plan's optimism.
 */
export function guardedSteps(steps: readonly DeployStep[], state: ClusterState, guards: readonly TrafficGuardRule[], options: GuardOptions = {}): GuardedStepsResult {
  let current = state;
  for (const [index, step] of steps.entries()) {
    const verdict = checkStep(step, current, guards, options);
    if (!verdict.ok) return { ok: false, index, step, message: verdict.message };
    current = applyStep(current, step);
  }
  return { ok: true };
}
