/**
 * When a server-group or cluster stage stops polling: each step's target state as describeCluster
 * shows it, and the server groups that vanish while a stage waits for them.
 */
import { describe, expect, it } from 'vitest';
import type { DeployStep } from '../../../core/strategies/steps.ts';
import { stepReached, vanished } from '../../../core/stages/deploy-steps.ts';
import { cluster, serverGroup } from '../deploy/cluster-fixtures.ts';

const two = { min: 2, max: 2, desired: 2 };

describe('stepReached', () => {
  it.each<[string, DeployStep, Parameters<typeof serverGroup>[2] | undefined, boolean]>([
    ['enable: enabled with every desired instance Up', { kind: 'enableServerGroup', serverGroup: 'hello-prod-v001' }, {}, true],
    ['enable: still disabled', { kind: 'enableServerGroup', serverGroup: 'hello-prod-v001' }, { disabled: true }, false],
    ['enable: one of two Up', { kind: 'enableServerGroup', serverGroup: 'hello-prod-v001' }, { up: 1, down: 1 }, false],
    ['enable: one of two Up is enough at 50%', { kind: 'enableServerGroup', serverGroup: 'hello-prod-v001', targetHealthyPercentage: 50 }, { up: 1, down: 1 }, true],
    ['disable: out of traffic', { kind: 'disableServerGroup', serverGroup: 'hello-prod-v001' }, { disabled: true }, true],
    ['disable: still in traffic', { kind: 'disableServerGroup', serverGroup: 'hello-prod-v001' }, {}, false],
    ['disable: gone counts as out of traffic', { kind: 'disableServerGroup', serverGroup: 'hello-prod-v001' }, undefined, true],
    ['resize: capacity set, instances Up', { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v001', capacity: two }, {}, true],
    ['resize: capacity set, an instance still Starting', { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v001', capacity: two }, { up: 1, down: 1 }, false],
    ['resize: capacity not set yet', { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v001', capacity: { min: 3, max: 3, desired: 3 } }, {}, false],
    ['resize to zero: no instance left', { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v001', capacity: { min: 0, max: 0, desired: 0 } }, { capacity: { min: 0, max: 0, desired: 0 } }, true],
    ['destroy: gone', { kind: 'destroyServerGroup', serverGroup: 'hello-prod-v001' }, undefined, true],
    ['destroy: still there', { kind: 'destroyServerGroup', serverGroup: 'hello-prod-v001' }, { disabled: true }, false],
    ['unpin: min restored', { kind: 'unpinServerGroup', serverGroup: 'hello-prod-v001', min: 1 }, { capacity: { min: 1, max: 2, desired: 2 } }, true],
    ['unpin: still pinned', { kind: 'unpinServerGroup', serverGroup: 'hello-prod-v001', min: 1 }, {}, false],
    ['capture: at once', { kind: 'captureCapacity', serverGroup: 'hello-prod-v001', capacity: two }, {}, true],
  ])('%s → %s', (_case, step, shape, expected) => {
    // given
    const state = cluster(shape === undefined ? [] : [serverGroup('hello-prod-v001', 1, shape)]);
    // when / then
    expect(stepReached(step, state, 0, 0)).toBe(expected);
  });

  it('ends a wait once its seconds have passed since the step started', () => {
    const step: DeployStep = { kind: 'wait', seconds: 30, label: 'waitTimeBetweenRegions' };
    expect(stepReached(step, cluster([]), 1_000 + 29_999, 1_000)).toBe(false);
    expect(stepReached(step, cluster([]), 1_000 + 30_000, 1_000)).toBe(true);
  });
});

describe('vanished', () => {
  it('names a server group a stage waits to see Up that was destroyed meanwhile', () => {
    expect(vanished({ location: 'local', step: { kind: 'enableServerGroup', serverGroup: 'hello-prod-v002' } }, cluster([serverGroup('hello-prod-v001', 1)]))).toBe(
      "hello-prod-v002 is no longer in cluster 'hello-prod' in local: it was destroyed while the stage waited for it",
    );
  });

  it('is undefined while the server group is there, and for steps that end with it gone', () => {
    const state = cluster([serverGroup('hello-prod-v001', 1)]);
    expect(vanished({ location: 'local', step: { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v001', capacity: two } }, state)).toBeUndefined();
    expect(vanished({ location: 'local', step: { kind: 'destroyServerGroup', serverGroup: 'hello-prod-v009' } }, state)).toBeUndefined();
    expect(vanished({ location: 'local', step: { kind: 'disableServerGroup', serverGroup: 'hello-prod-v009' } }, state)).toBeUndefined();
  });
});
