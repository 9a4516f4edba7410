/**
 * Rollback planning: rollbackServerGroup EXPLICIT's exact order, rollbackCluster's choice of
 * what to restore, and the rollback a failed deploy runs on its own (§1.5's rules).
 */
import { describe, expect, it } from 'vitest';
import type { DeployStep } from '../../../core/strategies/steps.ts';
import { planRollback, planRollbackCluster, planRollbackOnFailure } from '../../../core/strategies/rollback.ts';
import type { RollbackOnFailureInput } from '../../../core/strategies/rollback.ts';
import { cluster, serverGroup } from '../deploy/cluster-fixtures.ts';

// v001 disabled long ago, v002 the previous good one (2 instances), v003 the bad new one (4).
const state = cluster([
  serverGroup('hello-prod-v001', 1, { disabled: true, up: 0 }),
  serverGroup('hello-prod-v002', 2, { capacity: { min: 1, max: 2, desired: 2 } }),
  serverGroup('hello-prod-v003', 3, { capacity: { min: 4, max: 8, desired: 4 } }),
]);
const enableV002: DeployStep = { kind: 'enableServerGroup', serverGroup: 'hello-prod-v002' };
const disableV003: DeployStep = { kind: 'disableServerGroup', serverGroup: 'hello-prod-v003' };
const explicit = { rollbackServerGroupName: 'hello-prod-v003', restoreServerGroupName: 'hello-prod-v002' };

describe('planRollback (EXPLICIT)', () => {
  it('captures, enables, resizes the restored one up to the larger capacity, disables, then restores the captured min', () => {
    expect(planRollback(state, explicit)).toEqual({
      ok: true,
      steps: [
        { kind: 'captureCapacity', serverGroup: 'hello-prod-v003', capacity: { min: 4, max: 8, desired: 4 } },
        enableV002,
        { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v002', capacity: { min: 4, max: 8, desired: 4 } },
        disableV003,
        { kind: 'unpinServerGroup', serverGroup: 'hello-prod-v002', min: 4 },
      ],
    });
  });

  it('waits delayBeforeDisableSeconds before disabling, and passes the healthy percentage', () => {
    const result = planRollback(state, { ...explicit, delayBeforeDisableSeconds: 30, targetHealthyRollbackPercentage: 80, capacityAlreadyCaptured: true });
    expect(result).toEqual({
      ok: true,
      steps: [
        { ...enableV002, targetHealthyPercentage: 80 },
        { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v002', capacity: { min: 4, max: 8, desired: 4 }, targetHealthyPercentage: 80 },
        { kind: 'wait', seconds: 30, label: 'waitBeforeDisable' },
        disableV003,
        { kind: 'unpinServerGroup', serverGroup: 'hello-prod-v002', min: 4 },
      ],
    });
  });

  it('skips capture, resize and unpin when the restored one is already large enough', () => {
    const big = cluster([
      serverGroup('hello-prod-v002', 2, { capacity: { min: 4, max: 8, desired: 4 } }),
      serverGroup('hello-prod-v003', 3, { capacity: { min: 1, max: 2, desired: 2 } }),
    ]);
    expect(planRollback(big, explicit)).toEqual({ ok: true, steps: [enableV002, disableV003] });
  });

  it.each([
    ['disableOnly only disables', { disableOnly: true }, [disableV003]],
    ['enableAndDisableOnly enables, then disables', { enableAndDisableOnly: true }, [enableV002, disableV003]],
  ])('%s', (_case, options, expected) => {
    expect(planRollback(state, { ...explicit, ...options })).toEqual({ ok: true, steps: expected });
  });

  it('fails when the restore server group is not there', () => {
    expect(planRollback(state, { ...explicit, restoreServerGroupName: 'hello-prod-v000' })).toEqual({
      ok: false,
      message: 'failed to look up hello-prod-v000, the restore server group: it is not in local/local (found [hello-prod-v003, hello-prod-v002, hello-prod-v001]); check rollbackContext',
    });
  });
});

describe('planRollbackCluster', () => {
  it('rolls the newest back to the one before it', () => {
    expect(planRollbackCluster(state, { enableAndDisableOnly: true })).toEqual({ ok: true, steps: [enableV002, disableV003] });
  });

  it('restores only an enabled server group with onlyEnabledServerGroups', () => {
    const previousDisabled = cluster([serverGroup('hello-prod-v001', 1, { disabled: true }), serverGroup('hello-prod-v002', 2)]);
    expect(planRollbackCluster(previousDisabled, { onlyEnabledServerGroups: true, enableAndDisableOnly: true })).toEqual({
      ok: true,
      steps: [],
      skipped: 'no enabled server group older than hello-prod-v002 in local to roll back to',
    });
    expect(planRollbackCluster(previousDisabled, { enableAndDisableOnly: true })).toEqual({
      ok: true,
      steps: [
        { kind: 'enableServerGroup', serverGroup: 'hello-prod-v001' },
        { kind: 'disableServerGroup', serverGroup: 'hello-prod-v002' },
      ],
    });
  });
});

describe('planRollbackOnFailure (CreateServerGroupStage.onFailureStages)', () => {
  const source = { name: 'hello-prod-v002', capacity: { min: 1, max: 2, desired: 2 } };
  const unpinSource: DeployStep = { kind: 'unpinServerGroup', serverGroup: 'hello-prod-v002', min: 1 };
  const failed = (overrides: Partial<RollbackOnFailureInput>): RollbackOnFailureInput => ({
    strategy: 'redblack',
    rollback: { onFailure: true },
    createdServerGroup: 'hello-prod-v003',
    createFailed: true,
    ...overrides,
  });

  it.each<[string, Partial<RollbackOnFailureInput>, DeployStep[]]>([
    ['redblack whose new server group failed to come up: disable it', {}, [disableV003]],
    ['redblack that failed while cleaning up: no rollback', { createFailed: false }, []],
    ['rollingredblack: always enable the source, disable the new one, then unpin', { strategy: 'rollingredblack', createFailed: false, sourceServerGroup: source }, [enableV002, disableV003, unpinSource]],
    ['rollingredblack without rollback.onFailure: only unpin', { strategy: 'rollingredblack', rollback: { onFailure: false }, sourceServerGroup: source }, [unpinSource]],
    ['no server group created: nothing to roll back', { createdServerGroup: undefined }, []],
    ['rollback.onFailure off: nothing', { rollback: { onFailure: false, destroyLatest: true } }, []],
    ['destroyLatest destroys the new one after the rollback', { rollback: { onFailure: true, destroyLatest: true } }, [disableV003, { kind: 'destroyServerGroup', serverGroup: 'hello-prod-v003' }]],
    ['highlander has no rollback, but destroyLatest still applies', { strategy: 'highlander', rollback: { onFailure: true, destroyLatest: true } }, [{ kind: 'destroyServerGroup', serverGroup: 'hello-prod-v003' }]],
  ])('%s', (_case, overrides, expected) => {
    expect(planRollbackOnFailure(state, failed(overrides))).toEqual(expected);
  });

  it('rolls back to nothing when no older enabled server group exists', () => {
    const alone = cluster([serverGroup('hello-prod-v003', 3)]);
    expect(planRollbackOnFailure(alone, failed({}))).toEqual([]);
  });
});
