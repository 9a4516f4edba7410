/**
 * Rollback planners: rollbackServerGroup EXPLICIT (Orca's ExplicitRollback), rollbackCluster's
 * choice of what to restore, and the rollback a failed deploy runs on its own
 * (CreateServerGroupStage.onFailureStages).
 */
import type { Capacity, ClusterState, ServerGroup } from '../deploy/model.ts';
import { findServerGroup, newestFirst, sameCapacity } from '../deploy/model.ts';
import type { DeployStep, PlanResult } from './steps.ts';
import type { StrategyName } from './deploy-strategies.ts';

export interface ExplicitRollbackOptions {
  /** The server group to take out of traffic (the bad one). */
  readonly rollbackServerGroupName: string;
  /** The server group to put back in traffic. */
  readonly restoreServerGroupName: string;
  readonly targetHealthyRollbackPercentage?: number;
  readonly delayBeforeDisableSeconds?: number;
  /** Only disable the rollback server group. @default false */
  readonly disableOnly?: boolean;
  /** Only enable the restore server group, then disable the rollback one. @default false */
  readonly enableAndDisableOnly?: boolean;
  /** A capacity snapshot was already taken (by the failed deploy): do not capture again. @default false */
  readonly capacityAlreadyCaptured?: boolean;
}

function missing(state: ClusterState, name: string, role: string): PlanResult {
  const known = newestFirst(state.serverGroups).map((serverGroup) => serverGroup.name);
  return {
    ok: false,
    message: `failed to look up ${name}, the ${role} server group: it is not in ${state.account}/${state.location} (found [${known.join(', ')}]); check rollbackContext`,
  };
}

/**
 * EXPLICIT rollback: disableOnly → disable; enableAndDisableOnly → enable restore, disable
 * rollback; otherwise [capture the rollback server group's capacity] → enable restore →
 * [resize restore to the larger of both capacities, min pinned] → [wait delayBeforeDisableSeconds]
 * → disable rollback → [restore the captured min]. The capture, resize and unpin happen only when
 * the resize changes the restore server group's capacity.
 */
export function planRollback(state: ClusterState, options: ExplicitRollbackOptions): PlanResult {
  const rollback = findServerGroup(state, options.rollbackServerGroupName);
  if (!rollback) return missing(state, options.rollbackServerGroupName, 'rollback');
  const disable: DeployStep = { kind: 'disableServerGroup', serverGroup: rollback.name };
  if (options.disableOnly) return { ok: true, steps: [disable] };
  const restore = findServerGroup(state, options.restoreServerGroupName);
  if (!restore) return missing(state, options.restoreServerGroupName, 'restore');
  const healthy = options.targetHealthyRollbackPercentage;
  const enable: DeployStep = { kind: 'enableServerGroup', serverGroup: restore.name, ...(healthy !== undefined ? { targetHealthyPercentage: healthy } : {}) };
  if (options.enableAndDisableOnly) return { ok: true, steps: [enable, disable] };

  // Never scale the restored server group down because the rollback one is smaller.
  const desired = Math.max(rollback.capacity.desired, restore.capacity.desired);
  const restoreCapacity: Capacity = { min: desired, max: Math.max(rollback.capacity.max, restore.capacity.max), desired };
  const resize = !sameCapacity(restoreCapacity, restore.capacity);
  const steps: DeployStep[] = [];
  if (resize && !options.capacityAlreadyCaptured) steps.push({ kind: 'captureCapacity', serverGroup: rollback.name, capacity: rollback.capacity });
  steps.push(enable);
  if (resize) {
    steps.push({ kind: 'resizeServerGroup', serverGroup: restore.name, capacity: restoreCapacity, ...(healthy !== undefined ? { targetHealthyPercentage: healthy } : {}) });
  }
  if (options.delayBeforeDisableSeconds !== undefined && options.delayBeforeDisableSeconds > 0) {
    steps.push({ kind: 'wait', seconds: options.delayBeforeDisableSeconds, label: 'waitBeforeDisable' });
  }
  steps.push(disable);
  // ApplySourceServerGroupCapacity: only the min comes from the snapshot.
  if (resize) steps.push({ kind: 'unpinServerGroup', serverGroup: restore.name, min: rollback.capacity.min });
  return { ok: true, steps };
}

/**
 * The server group a rollback restores: the newest one created before `rollback`, only among
 * enabled ones when `onlyEnabled` (a disabled one, even newer, was likely disabled for being bad).
 */
export function rollbackCandidate(state: ClusterState, rollback: ServerGroup, options: { readonly onlyEnabled?: boolean } = {}): ServerGroup | undefined {
  return newestFirst(state.serverGroups).find(
    (serverGroup) => serverGroup !== rollback && serverGroup.createdTime < rollback.createdTime && (!options.onlyEnabled || !serverGroup.disabled),
  );
}

export interface RollbackClusterOptions extends Omit<ExplicitRollbackOptions, 'rollbackServerGroupName' | 'restoreServerGroupName'> {
  /** The server group to roll back. @default the newest */
  readonly serverGroup?: string;
  /** Restore only an enabled server group. @default false */
  readonly onlyEnabledServerGroups?: boolean;
}

export type RollbackClusterResult = PlanResult & { readonly skipped?: string };

/**
 * rollbackCluster in one location: roll the given (or newest) server group back to the newest
 * older one. Nothing to restore is not a failure: the rollback is skipped, as Orca does.
 */
export function planRollbackCluster(state: ClusterState, options: RollbackClusterOptions = {}): RollbackClusterResult {
  const rollback = options.serverGroup === undefined ? newestFirst(state.serverGroups)[0] : findServerGroup(state, options.serverGroup);
  if (!rollback) {
    if (options.serverGroup !== undefined) return missing(state, options.serverGroup, 'rollback');
    return { ok: true, steps: [], skipped: `cluster '${state.cluster}' in ${state.location} has no server group to roll back` };
  }
  const restore = rollbackCandidate(state, rollback, { onlyEnabled: options.onlyEnabledServerGroups });
  if (!restore) {
    return {
      ok: true,
      steps: [],
      skipped: `no ${options.onlyEnabledServerGroups ? 'enabled ' : ''}server group older than ${rollback.name} in ${state.location} to roll back to`,
    };
  }
  return planRollback(state, { ...options, rollbackServerGroupName: rollback.name, restoreServerGroupName: restore.name });
}

export interface RollbackOnFailureInput {
  readonly strategy: StrategyName;
  readonly rollback: { readonly onFailure: boolean; readonly destroyLatest?: boolean };
  /** The server group the deploy created, when it got that far. */
  readonly createdServerGroup?: string;
  /** A task of the create stage itself went TERMINAL (the new server group did not come up). */
  readonly createFailed: boolean;
  /** Rolling red/black's source and its capacity before it was pinned, to unpin it. */
  readonly sourceServerGroup?: { readonly name: string; readonly capacity: Capacity };
  readonly targetHealthyRollbackPercentage?: number;
}

/**
 * What a failed deploy runs (CreateServerGroupStage.onFailureStages), in order: with
 * rollback.onFailure and a created server group, a rollbackCluster restoring the newest older
 * enabled server group — always for rollingredblack (enable, then disable), for redblack only when
 * the create itself failed (disable only: a failure while disabling or destroying older server
 * groups is not rolled back); then destroy the new server group when rollback.destroyLatest; then
 * the strategy's own failure steps (rolling red/black unpins its source). Orca timeboxes the
 * rollback to 30 minutes, the destroy to 5 and the unpin to 20.
 */
export function planRollbackOnFailure(state: ClusterState, input: RollbackOnFailureInput): DeployStep[] {
  const steps: DeployStep[] = [];
  const created = input.createdServerGroup;
  if (input.rollback.onFailure && created !== undefined) {
    const rollingBack =
      input.strategy === 'rollingredblack' ? { enableAndDisableOnly: true } : input.strategy === 'redblack' && input.createFailed ? { disableOnly: true } : undefined;
    if (rollingBack) {
      const planned = planRollbackCluster(state, {
        serverGroup: created,
        onlyEnabledServerGroups: true,
        ...rollingBack,
        ...(input.targetHealthyRollbackPercentage !== undefined ? { targetHealthyRollbackPercentage: input.targetHealthyRollbackPercentage } : {}),
      });
      if (planned.ok) steps.push(...planned.steps);
    }
    if (input.rollback.destroyLatest) steps.push({ kind: 'destroyServerGroup', serverGroup: created });
  }
  if (input.strategy === 'rollingredblack' && input.sourceServerGroup) {
    steps.push({ kind: 'unpinServerGroup', serverGroup: input.sourceServerGroup.name, min: input.sourceServerGroup.capacity.min });
  }
  return steps;
}
