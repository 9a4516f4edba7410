/**
 * The deploy strategies produce Spinnaker's synthetic stages in Spinnaker's order
 * (reference/spinnaker.md §1.5). Step lists are compared whole.
 */
import { describe, expect, it } from 'vitest';
import type { DeployStep } from '../../../core/strategies/steps.ts';
import {
  planCustom,
  planDeploy,
  planHighlander,
  planNone,
  planRedBlack,
  planRollingRedBlack,
  rollingCapacity,
  rollingPercentages,
} from '../../../core/strategies/deploy-strategies.ts';
import type { DeployRequest } from '../../../core/strategies/deploy-strategies.ts';
import { cluster, serverGroup } from '../deploy/cluster-fixtures.ts';

const capacity = { min: 2, max: 4, desired: 4 };
const existing = cluster([serverGroup('hello-prod-v001', 1), serverGroup('hello-prod-v002', 2)]);
const empty = cluster([]);
const base: DeployRequest = { serverGroup: 'hello-prod-v003', capacity };

const create: DeployStep = { kind: 'createServerGroup', serverGroup: 'hello-prod-v003', capacity };
const waitUp: DeployStep = { kind: 'waitForHealthy', serverGroup: 'hello-prod-v003', targetHealthyPercentage: 100 };
const disableCluster: DeployStep = { kind: 'disableCluster', remainingEnabledServerGroups: 1, preferLargerOverNewer: false, deployedServerGroup: 'hello-prod-v003' };

describe('none', () => {
  it('creates the server group and waits for it', () => {
    expect(planNone(existing, base)).toEqual([create, waitUp]);
  });

  it('waits for targetHealthyDeployPercentage of the instances', () => {
    expect(planNone(existing, { ...base, targetHealthyDeployPercentage: 75 })).toEqual([create, { ...waitUp, targetHealthyPercentage: 75 }]);
  });
});

describe('redblack', () => {
  it.each<[string, Partial<DeployRequest>, DeployStep[]]>([
    ['defaults: disable the others, keep 1 enabled', {}, [create, waitUp, disableCluster]],
    [
      'maxRemainingAsgs 2: shrink first',
      { maxRemainingAsgs: 2 },
      [create, waitUp, { kind: 'shrinkCluster', shrinkToSize: 2, allowDeleteActive: false, retainLargerOverNewer: false, deployedServerGroup: 'hello-prod-v003' }, disableCluster],
    ],
    ['maxRemainingAsgs 0: no shrink', { maxRemainingAsgs: 0 }, [create, waitUp, disableCluster]],
    [
      'allowDeleteActive passes to the shrink',
      { maxRemainingAsgs: 3, allowDeleteActive: true },
      [create, waitUp, { kind: 'shrinkCluster', shrinkToSize: 3, allowDeleteActive: true, retainLargerOverNewer: false, deployedServerGroup: 'hello-prod-v003' }, disableCluster],
    ],
    ['delayBeforeCleanup: wait before disabling', { delayBeforeCleanup: 30 }, [create, waitUp, { kind: 'wait', seconds: 30, label: 'Wait Before Disable' }, disableCluster]],
    ['delayBeforeDisableSec, its deprecated alias', { delayBeforeDisableSec: 20 }, [create, waitUp, { kind: 'wait', seconds: 20, label: 'Wait Before Disable' }, disableCluster]],
    ['delayBeforeCleanup wins over the alias', { delayBeforeCleanup: 5, delayBeforeDisableSec: 20 }, [create, waitUp, { kind: 'wait', seconds: 5, label: 'Wait Before Disable' }, disableCluster]],
    ['a delayBeforeCleanup of 0 falls back to the alias (Groovy elvis)', { delayBeforeCleanup: 0, delayBeforeDisableSec: 20 }, [create, waitUp, { kind: 'wait', seconds: 20, label: 'Wait Before Disable' }, disableCluster]],
    [
      'scaleDown: scale the others down after disabling them',
      { scaleDown: true },
      [create, waitUp, disableCluster, { kind: 'scaleDownCluster', remainingFullSizeServerGroups: 1, allowScaleDownActive: false, preferLargerOverNewer: false, deployedServerGroup: 'hello-prod-v003' }],
    ],
    [
      'everything, in Spinnaker\'s order',
      { maxRemainingAsgs: 2, delayBeforeCleanup: 10, scaleDown: true, delayBeforeScaleDownSec: 60, allowScaleDownActive: true },
      [
        create,
        waitUp,
        { kind: 'shrinkCluster', shrinkToSize: 2, allowDeleteActive: false, retainLargerOverNewer: false, deployedServerGroup: 'hello-prod-v003' },
        { kind: 'wait', seconds: 10, label: 'Wait Before Disable' },
        disableCluster,
        { kind: 'wait', seconds: 60, label: 'Wait Before Scale Down' },
        { kind: 'scaleDownCluster', remainingFullSizeServerGroups: 1, allowScaleDownActive: true, preferLargerOverNewer: false, deployedServerGroup: 'hello-prod-v003' },
      ],
    ],
    ['delayBeforeScaleDownSec without scaleDown does nothing', { delayBeforeScaleDownSec: 60 }, [create, waitUp, disableCluster]],
  ])('%s', (_case, options, expected) => {
    expect(planRedBlack(existing, { ...base, ...options })).toEqual(expected);
  });

  it('cleans nothing up in an empty cluster (no source server group)', () => {
    expect(planRedBlack(empty, { ...base, maxRemainingAsgs: 2, scaleDown: true, delayBeforeCleanup: 10 })).toEqual([create, waitUp]);
  });
});

describe('highlander', () => {
  it('destroys every other server group, active ones included', () => {
    expect(planHighlander(existing, base)).toEqual([
      create,
      waitUp,
      { kind: 'shrinkCluster', shrinkToSize: 1, allowDeleteActive: true, retainLargerOverNewer: false, deployedServerGroup: 'hello-prod-v003' },
    ]);
  });
});

describe('rollingredblack', () => {
  const rollingCreate: DeployStep = { kind: 'createServerGroup', serverGroup: 'hello-prod-v003', capacity: { min: 0, max: 0, desired: 0 }, savedCapacity: capacity };
  const capture: DeployStep = { kind: 'captureCapacity', serverGroup: 'hello-prod-v002', capacity: { min: 2, max: 2, desired: 2 } };
  const pin: DeployStep = { kind: 'pinServerGroup', serverGroup: 'hello-prod-v002', capacity: { min: 2, max: 2, desired: 2 } };
  const grow = (percent: number, size: { min: number; max: number; desired: number }): DeployStep => ({
    kind: 'resizeServerGroup',
    serverGroup: 'hello-prod-v003',
    capacity: size,
    targetHealthyPercentage: 100,
  });
  const disableShare = (percent: number): DeployStep => ({ kind: 'disableServerGroup', serverGroup: 'hello-prod-v002', desiredPercentage: percent });

  it.each([
    [[], [100]],
    [[50], [50, 100]],
    [[25, 50, 100], [25, 50, 100]],
    [[10, 90], [10, 90, 100]],
  ])('targetPercentages %j run as %j', (given, expected) => {
    expect(rollingPercentages(given)).toEqual(expected);
  });

  it.each([
    [{ min: 2, max: 4, desired: 4 }, 25, { min: 1, max: 1, desired: 1 }],
    [{ min: 2, max: 4, desired: 4 }, 50, { min: 2, max: 2, desired: 2 }],
    [{ min: 3, max: 3, desired: 3 }, 33, { min: 1, max: 1, desired: 1 }],
    [{ min: 10, max: 10, desired: 10 }, 30, { min: 3, max: 3, desired: 3 }],
    [{ min: 2, max: 4, desired: 4 }, 100, { min: 2, max: 4, desired: 4 }],
  ])('grows %j at %i%% to %j (pinned below 100%%, rounded up)', (saved, percent, expected) => {
    expect(rollingCapacity(saved, percent)).toEqual(expected);
  });

  it('creates at 0, pins the source, grows and disables step by step, then unpins', () => {
    expect(planRollingRedBlack(existing, { ...base, targetPercentages: [50] })).toEqual([
      rollingCreate,
      waitUp,
      capture,
      pin,
      grow(50, { min: 2, max: 2, desired: 2 }),
      disableShare(50),
      grow(100, capacity),
      disableShare(100),
      { kind: 'unpinServerGroup', serverGroup: 'hello-prod-v002', min: 2 },
    ]);
  });

  it('waits and runs the validation pipeline before each disable, then scales down instead of unpinning', () => {
    const steps = planRollingRedBlack(
      existing,
      {
        ...base,
        targetPercentages: [50, 100],
        delayBeforeCleanup: 15,
        scaleDown: true,
        delayBeforeScaleDownSec: 30,
        pipelineBeforeCleanup: { application: 'hello', pipelineId: 'smoke', pipelineParameters: { depth: 'shallow' } },
      },
      { cloudProvider: 'local' },
    );
    const validate = (percent: number): DeployStep => ({
      kind: 'runPipeline',
      label: 'Run Validation Pipeline',
      application: 'hello',
      pipelineId: 'smoke',
      parameters: {
        depth: 'shallow',
        deployedServerGroup: { region: 'local', account: 'local', cloudProvider: 'local', serverGroupName: 'hello-prod-v003' },
        sourceServerGroup: { region: 'local', account: 'local', cloudProvider: 'local', serverGroupName: 'hello-prod-v002' },
        percentageComplete: percent,
      },
    });
    expect(steps).toEqual([
      rollingCreate,
      waitUp,
      capture,
      pin,
      grow(50, { min: 2, max: 2, desired: 2 }),
      { kind: 'wait', seconds: 15, label: 'Wait Before Disable 50%' },
      validate(50),
      disableShare(50),
      grow(100, capacity),
      { kind: 'wait', seconds: 15, label: 'Wait Before Disable 100%' },
      validate(100),
      disableShare(100),
      { kind: 'wait', seconds: 30, label: 'Wait Before Scale Down' },
      { kind: 'scaleDownCluster', remainingFullSizeServerGroups: 1, allowScaleDownActive: false, preferLargerOverNewer: false, deployedServerGroup: 'hello-prod-v003' },
    ]);
  });

  it('only grows the new server group in an empty cluster', () => {
    expect(planRollingRedBlack(empty, { ...base, targetPercentages: [50], scaleDown: true })).toEqual([
      rollingCreate,
      waitUp,
      grow(50, { min: 2, max: 2, desired: 2 }),
      grow(100, capacity),
    ]);
  });
});

describe('custom', () => {
  it('runs the strategy pipeline with Spinnaker\'s parameters, the stage\'s own last', () => {
    const state = { ...cluster([], 'hello-prod-canary'), cloudProvider: 'aws', location: 'us-east-1', account: 'prod' };
    expect(
      planCustom(state, {
        application: 'hello',
        strategyApplication: 'platform',
        strategyPipeline: 'blue-green-with-checks',
        pipelineParameters: { region: 'overridden', extra: 1 },
        parentPipelineId: 'exec-1',
        parentStageId: 'stage-1',
      }),
    ).toEqual([
      {
        kind: 'runPipeline',
        label: 'pipeline',
        application: 'platform',
        pipelineId: 'blue-green-with-checks',
        parameters: {
          application: 'hello',
          credentials: 'prod',
          cluster: 'hello-prod-canary',
          moniker: { app: 'hello', cluster: 'hello-prod-canary', stack: 'prod', detail: 'canary' },
          region: 'overridden',
          cloudProvider: 'aws',
          strategy: true,
          clone: false,
          parentPipelineId: 'exec-1',
          parentStageId: 'stage-1',
          extra: 1,
        },
      },
    ]);
  });
});

describe('planDeploy', () => {
  it('names the new server group after the most recently created one', () => {
    const result = planDeploy(existing, { strategy: 'none', capacity });
    expect(result).toEqual({ ok: true, steps: [create, waitUp] });
  });

  it('fails when every name of the cluster is taken', () => {
    const full = cluster(Array.from({ length: 1000 }, (_, sequence) => serverGroup(`hello-prod-v${String(sequence).padStart(3, '0')}`, sequence)));
    const result = planDeploy(full, { strategy: 'redblack', capacity });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^All server group names for cluster hello-prod in local are taken\./);
  });
});
