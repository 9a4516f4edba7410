/**
 * Traffic guards (reference/spinnaker.md §1.6): a guarded cluster keeps at least one instance Up,
 * matched with clouddriver's ClusterMatcher and checked as Orca's TrafficGuard does, for single
 * steps and for whole plans.
 */
import { describe, expect, it } from 'vitest';
import { checkStep, checkTrafficGuard, guardedSteps, matchTrafficGuard } from '../../../core/deploy/traffic-guards.ts';
import type { TrafficGuardRule } from '../../../core/deploy/traffic-guards.ts';
import { planRedBlack, planRollingRedBlack } from '../../../core/strategies/deploy-strategies.ts';
import { cluster, serverGroup } from './cluster-fixtures.ts';

const guardProd: TrafficGuardRule = { account: 'local', location: 'local', stack: 'prod', enabled: true };
const single = cluster([serverGroup('hello-prod-v001', 1, { up: 2 }), serverGroup('hello-prod-v000', 0, { disabled: true })]);
const LAST_ENABLED = "This cluster ('hello-prod' in local/local) has traffic guards enabled. Disabling [hello-prod-v001] would leave the cluster with no instances up.";

describe('the last enabled server group of a guarded cluster', () => {
  it('cannot be disabled', () => {
    expect(checkTrafficGuard(single, 'disable', 'hello-prod-v001', [guardProd])).toEqual({ ok: false, message: LAST_ENABLED });
  });

  it.each([
    ['destroyed', 'destroy', 'Destroying'],
    ['resized to nothing', 'resizeDown', 'Removal of all instances in'],
  ] as const)('cannot be %s either', (_case, operation, words) => {
    expect(checkTrafficGuard(single, operation, 'hello-prod-v001', [guardProd])).toEqual({
      ok: false,
      message: `This cluster ('hello-prod' in local/local) has traffic guards enabled. ${words} [hello-prod-v001] would leave the cluster with no instances up.`,
    });
  });

  it('can be disabled once another server group is Up', () => {
    const two = cluster([...single.serverGroups, serverGroup('hello-prod-v002', 2, { up: 1 })]);
    expect(checkTrafficGuard(two, 'disable', 'hello-prod-v001', [guardProd])).toEqual({ ok: true });
  });

  it('does not count Up instances of a disabled server group', () => {
    const disabledButUp = cluster([serverGroup('hello-prod-v001', 1), serverGroup('hello-prod-v002', 2, { disabled: true, up: 3 })]);
    expect(checkTrafficGuard(disabledButUp, 'disable', 'hello-prod-v001', [guardProd]).ok).toBe(false);
  });

  it('can be disabled in an unguarded cluster', () => {
    expect(checkTrafficGuard(single, 'disable', 'hello-prod-v001', [])).toEqual({ ok: true });
  });

  it('fails on a server group that is not in the cluster', () => {
    expect(checkTrafficGuard(single, 'disable', 'hello-prod-v009', [guardProd])).toEqual({
      ok: false,
      message: "Could not find server group 'hello-prod-v009' in local/local, found [hello-prod-v001, hello-prod-v000]",
    });
  });
});

describe('matchTrafficGuard (ClusterMatcher)', () => {
  const key = (name: string, account = 'local', location = 'local') => ({ account, location, cluster: name });
  it.each<[string, TrafficGuardRule[], ReturnType<typeof key>, TrafficGuardRule | undefined]>([
    ['exact stack', [guardProd], key('hello-prod'), guardProd],
    ['another stack does not match', [guardProd], key('hello-staging'), undefined],
    ['a blank stack guards only the cluster without a stack', [{ account: 'local', location: 'local' }], key('hello'), { account: 'local', location: 'local' }],
    ['a blank stack does not guard a stacked cluster', [{ account: 'local', location: 'local' }], key('hello-prod'), undefined],
    ['a blank detail does not guard a cluster with a detail', [guardProd], key('hello-prod-canary'), undefined],
    ['wildcards match anything', [{ account: '*', location: '*', stack: '*', detail: '*' }], key('hello-prod-canary', 'prod', 'us-east-1'), { account: '*', location: '*', stack: '*', detail: '*' }],
    ['a disabled rule never matches', [{ ...guardProd, enabled: false }], key('hello-prod'), undefined],
    ['* is whole-field, not a glob', [{ account: 'loc*', location: 'local', stack: 'prod' }], key('hello-prod'), undefined],
  ])('%s', (_case, rules, cluster, expected) => {
    expect(matchTrafficGuard(rules, cluster)).toEqual(expected);
  });

  it('prefers the most specific rule: exact account, then location, stack, detail', () => {
    const anyAccount: TrafficGuardRule = { account: '*', location: 'local', stack: 'prod' };
    const anyLocation: TrafficGuardRule = { account: 'local', location: '*', stack: 'prod' };
    const anyStack: TrafficGuardRule = { account: 'local', location: 'local', stack: '*' };
    expect(matchTrafficGuard([anyAccount, anyStack, anyLocation, guardProd], key('hello-prod'))).toBe(guardProd);
    expect(matchTrafficGuard([anyAccount, anyStack, anyLocation], key('hello-prod'))).toBe(anyStack);
    expect(matchTrafficGuard([anyAccount, anyLocation], key('hello-prod'))).toBe(anyLocation);
  });
});

describe('bypasses and the minimum capacity ratio', () => {
  it('lets anything through when nothing is Up now', () => {
    const nothingUp = cluster([serverGroup('hello-prod-v001', 1, { up: 0, down: 2 })]);
    expect(checkTrafficGuard(nothingUp, 'destroy', 'hello-prod-v001', [guardProd])).toEqual({ ok: true });
  });

  const pinned = { min: 2, max: 2, desired: 2 };
  const three = cluster([
    serverGroup('hello-prod-v001', 1, { capacity: pinned }),
    serverGroup('hello-prod-v002', 2, { capacity: pinned }),
    serverGroup('hello-prod-v003', 3, { up: 1, capacity: { min: 1, max: 4, desired: 1 } }),
  ]);

  it('refuses leaving the minimum ratio or less up', () => {
    expect(checkTrafficGuard(three, 'disable', ['hello-prod-v001', 'hello-prod-v003'], [guardProd], { minCapacityRatio: 0.4 })).toEqual({
      ok: false,
      message:
        "This cluster ('hello-prod' in local/local) has traffic guards enabled. Disabling [hello-prod-v001,hello-prod-v003] would leave the cluster with 2 instances up (40.0% of 5 instances currently up). The configured minimum is 40.0%.",
    });
  });

  it('allows leaving more than the minimum ratio up', () => {
    expect(checkTrafficGuard(three, 'disable', ['hello-prod-v001'], [guardProd], { minCapacityRatio: 0.4 })).toEqual({ ok: true });
  });

  it('lets several pinned server groups of the same size go while something stays up', () => {
    expect(checkTrafficGuard(three, 'disable', ['hello-prod-v001', 'hello-prod-v002'], [guardProd], { minCapacityRatio: 0.4 })).toEqual({ ok: true });
  });

  it('ignores a ratio outside [0, 0.5), as Orca does', () => {
    expect(checkTrafficGuard(three, 'disable', ['hello-prod-v001'], [guardProd], { minCapacityRatio: 0.9 })).toEqual({ ok: true });
  });

  it('says "1 instance" in the singular', () => {
    const small = cluster([serverGroup('hello-prod-v001', 1), serverGroup('hello-prod-v002', 2, { up: 1, capacity: { min: 1, max: 2, desired: 1 } })]);
    expect(checkTrafficGuard(small, 'destroy', 'hello-prod-v001', [guardProd], { minCapacityRatio: 0.4 })).toEqual({
      ok: false,
      message:
        "This cluster ('hello-prod' in local/local) has traffic guards enabled. Destroying [hello-prod-v001] would leave the cluster with 1 instance up (33.3% of 3 instances currently up). The configured minimum is 40.0%.",
    });
  });
});

describe('checkStep', () => {
  it.each([
    ['disabling a share of the last one (rolling red/black)', true, { kind: 'disableServerGroup', serverGroup: 'hello-prod-v001', desiredPercentage: 50 } as const],
    ['disabling all of it', false, { kind: 'disableServerGroup', serverGroup: 'hello-prod-v001', desiredPercentage: 100 } as const],
    ['resizing it smaller but not empty', true, { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v001', capacity: { min: 1, max: 1, desired: 1 } } as const],
    ['resizing it to 0', false, { kind: 'resizeServerGroup', serverGroup: 'hello-prod-v001', capacity: { min: 0, max: 0, desired: 0 } } as const],
    ['destroying it', false, { kind: 'destroyServerGroup', serverGroup: 'hello-prod-v001' } as const],
    ['destroying the disabled one', true, { kind: 'destroyServerGroup', serverGroup: 'hello-prod-v000' } as const],
    ['a wait', true, { kind: 'wait', seconds: 5, label: 'wait' } as const],
  ])('%s: allowed %s', (_case, allowed, step) => {
    expect(checkStep(step, single, [guardProd]).ok).toBe(allowed);
  });

  it('checks a cluster-wide disable for every server group it touches at once', () => {
    const result = checkStep({ kind: 'disableCluster', remainingEnabledServerGroups: 0, preferLargerOverNewer: false }, single, [guardProd]);
    expect(result).toEqual({
      ok: false,
      message: "This cluster ('hello-prod' in local/local) has traffic guards enabled. Running disableServerGroup on [hello-prod-v001] would leave the cluster with no instances up.",
    });
  });
});

describe('guardedSteps over a whole plan', () => {
  const request = { serverGroup: 'hello-prod-v002', capacity: { min: 2, max: 2, desired: 2 } };

  it('passes a red/black deploy: the new server group is Up before the old one is disabled', () => {
    const steps = planRedBlack(single, { ...request, scaleDown: true, maxRemainingAsgs: 2 });
    expect(guardedSteps(steps, single, [guardProd])).toEqual({ ok: true });
  });

  it('passes a rolling red/black deploy', () => {
    const steps = planRollingRedBlack(single, { ...request, targetPercentages: [50], scaleDown: true });
    expect(guardedSteps(steps, single, [guardProd])).toEqual({ ok: true });
  });

  it('returns the first step that would leave the cluster empty', () => {
    const steps = [
      { kind: 'wait', seconds: 1, label: 'first' },
      { kind: 'disableServerGroup', serverGroup: 'hello-prod-v001' },
      { kind: 'destroyServerGroup', serverGroup: 'hello-prod-v001' },
    ] as const;
    expect(guardedSteps(steps, single, [guardProd])).toEqual({ ok: false, index: 1, step: steps[1], message: LAST_ENABLED });
  });
});
