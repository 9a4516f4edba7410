/**
 * shrinkCluster, disableCluster and scaleDownCluster pick what Orca's cluster-wide tasks pick:
 * the deployed server group and newer ones are never touched but count as remaining.
 */
import { describe, expect, it } from 'vitest';
import { expandStep, planDisableCluster, planScaleDownCluster, planShrinkCluster } from '../../../core/strategies/cluster-cleanup.ts';
import { cluster, serverGroup } from '../deploy/cluster-fixtures.ts';

// v001 oldest and largest (disabled), v002 disabled, v003 enabled, v004 just deployed.
const state = cluster([
  serverGroup('hello-prod-v001', 1, { disabled: true, up: 0, capacity: { min: 5, max: 5, desired: 5 } }),
  serverGroup('hello-prod-v002', 2, { disabled: true, up: 0 }),
  serverGroup('hello-prod-v003', 3),
  serverGroup('hello-prod-v004', 4),
]);
// All enabled; v001 is the largest (5 instances).
const withLarge = cluster([
  serverGroup('hello-prod-v001', 1, { capacity: { min: 5, max: 5, desired: 5 } }),
  serverGroup('hello-prod-v002', 2),
  serverGroup('hello-prod-v003', 3),
  serverGroup('hello-prod-v004', 4),
]);
const names = (steps: ReturnType<typeof planShrinkCluster>) => steps.map((step) => `${step.kind} ${'serverGroup' in step ? step.serverGroup : ''}`);

describe('planShrinkCluster', () => {
  it.each([
    ['shrinkToSize 3 keeps the deployed one, the active one and the newest inactive one', { shrinkToSize: 3 }, ['destroyServerGroup hello-prod-v001']],
    ['shrinkToSize 2 is already met by the deployed and the active one', { shrinkToSize: 2 }, ['destroyServerGroup hello-prod-v002', 'destroyServerGroup hello-prod-v001']],
    // v003 is active: kept, and counts; so nothing inactive may stay.
    ['shrinkToSize 1 keeps active ones unless allowed', { shrinkToSize: 1 }, ['destroyServerGroup hello-prod-v002', 'destroyServerGroup hello-prod-v001']],
    ['allowDeleteActive destroys all but the deployed one', { shrinkToSize: 1, allowDeleteActive: true }, ['destroyServerGroup hello-prod-v003', 'destroyServerGroup hello-prod-v002', 'destroyServerGroup hello-prod-v001']],
    ['allowDeleteActive keeps active ones first', { shrinkToSize: 2, allowDeleteActive: true }, ['destroyServerGroup hello-prod-v002', 'destroyServerGroup hello-prod-v001']],
    ['a shrinkToSize the cluster fits destroys nothing', { shrinkToSize: 4 }, []],
  ])('%s', (_case, options, expected) => {
    expect(names(planShrinkCluster(state, { ...options, deployedServerGroup: 'hello-prod-v004' }))).toEqual(expected);
  });

  it('retainLargerOverNewer keeps the largest', () => {
    expect(names(planShrinkCluster(withLarge, { shrinkToSize: 2, allowDeleteActive: true, retainLargerOverNewer: true, deployedServerGroup: 'hello-prod-v004' }))).toEqual([
      'destroyServerGroup hello-prod-v003',
      'destroyServerGroup hello-prod-v002',
    ]);
  });

  it('never touches server groups newer than the deployed one', () => {
    expect(names(planShrinkCluster(withLarge, { shrinkToSize: 1, allowDeleteActive: true, deployedServerGroup: 'hello-prod-v003' }))).toEqual([
      'destroyServerGroup hello-prod-v002',
      'destroyServerGroup hello-prod-v001',
    ]);
  });
});

describe('planDisableCluster', () => {
  it.each([
    ['remaining 1: disable every active one but the deployed', { remainingEnabledServerGroups: 1, deployedServerGroup: 'hello-prod-v004' }, ['hello-prod-v003', 'hello-prod-v002', 'hello-prod-v001']],
    ['remaining 2: keep the newest other one', { remainingEnabledServerGroups: 2, deployedServerGroup: 'hello-prod-v004' }, ['hello-prod-v002', 'hello-prod-v001']],
    // Ties on size keep the cluster's order.
    ['preferLargerOverNewer keeps the largest', { remainingEnabledServerGroups: 2, preferLargerOverNewer: true, deployedServerGroup: 'hello-prod-v004' }, ['hello-prod-v002', 'hello-prod-v003']],
    ['without a deployed server group, keeps the newest', { remainingEnabledServerGroups: 1 }, ['hello-prod-v003', 'hello-prod-v002', 'hello-prod-v001']],
  ])('%s', (_case, options, expected) => {
    expect(planDisableCluster(withLarge, options)).toEqual(expected.map((name) => ({ kind: 'disableServerGroup', serverGroup: name })));
  });

  it('leaves disabled server groups alone', () => {
    expect(planDisableCluster(state, { deployedServerGroup: 'hello-prod-v004' })).toEqual([{ kind: 'disableServerGroup', serverGroup: 'hello-prod-v003' }]);
  });
});

describe('planScaleDownCluster', () => {
  const zero = { min: 0, max: 0, desired: 0 };
  it.each([
    ['scales down the inactive ones only', { deployedServerGroup: 'hello-prod-v004' }, ['hello-prod-v002', 'hello-prod-v001']],
    ['remaining 3 keeps the newest inactive one full size', { remainingFullSizeServerGroups: 3, deployedServerGroup: 'hello-prod-v004' }, ['hello-prod-v001']],
    ['allowScaleDownActive scales the active one too, keeping active first', { allowScaleDownActive: true, remainingFullSizeServerGroups: 2, deployedServerGroup: 'hello-prod-v004' }, ['hello-prod-v002', 'hello-prod-v001']],
  ])('%s', (_case, options, expected) => {
    expect(planScaleDownCluster(state, options)).toEqual(expected.map((name) => ({ kind: 'resizeServerGroup', serverGroup: name, capacity: zero })));
  });

  it('is what a scaleDownCluster step expands to', () => {
    expect(expandStep({ kind: 'scaleDownCluster', remainingFullSizeServerGroups: 1, allowScaleDownActive: false, preferLargerOverNewer: false, deployedServerGroup: 'hello-prod-v004' }, state)).toEqual(
      planScaleDownCluster(state, { deployedServerGroup: 'hello-prod-v004' }),
    );
  });
});
