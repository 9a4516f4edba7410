/**
 * Target resolution as clouddriver's getTargetServerGroup: newest first by createdTime (never by
 * sequence), optionally enabled only; and findImage's selection strategies.
 */
import { describe, expect, it } from 'vitest';
import { parseTargetServerGroup, resolveTarget, selectImageServerGroup } from '../../../core/deploy/targeting.ts';
import type { DynamicTarget, ImageSelectionStrategy } from '../../../core/deploy/targeting.ts';
import { serverGroup } from './cluster-fixtures.ts';

// Created in this order: v998, v999, v000 (after the wrap), v001 disabled.
const groups = [
  serverGroup('hello-prod-v999', 20),
  serverGroup('hello-prod-v001', 40, { disabled: true, up: 0 }),
  serverGroup('hello-prod-v998', 10, { capacity: { min: 5, max: 5, desired: 5 } }),
  serverGroup('hello-prod-v000', 30),
];

const name = (result: ReturnType<typeof resolveTarget>) => (result.ok ? result.serverGroup.name : result.message);

describe('resolveTarget', () => {
  it.each<[DynamicTarget, boolean, string]>([
    ['current_asg_dynamic', false, 'hello-prod-v001'],
    ['ancestor_asg_dynamic', false, 'hello-prod-v000'],
    ['oldest_asg_dynamic', false, 'hello-prod-v998'],
    ['current_asg_dynamic', true, 'hello-prod-v000'],
    ['ancestor_asg_dynamic', true, 'hello-prod-v999'],
    ['oldest_asg_dynamic', true, 'hello-prod-v998'],
  ])('%s (onlyEnabled %s) is %s', (target, onlyEnabled, expected) => {
    expect(name(resolveTarget(groups, { target }, { onlyEnabled }))).toBe(expected);
  });

  it('resolves an explicit serverGroupName', () => {
    expect(name(resolveTarget(groups, { serverGroupName: 'hello-prod-v999' }))).toBe('hello-prod-v999');
  });

  it('considers only the given location', () => {
    const elsewhere = [...groups, serverGroup('hello-prod-v002', 50, { location: 'eu-west-1' })];
    expect(name(resolveTarget(elsewhere, { target: 'current_asg_dynamic' }, { location: 'local' }))).toBe('hello-prod-v001');
  });

  it('fails to find an ancestor in a cluster of one', () => {
    const result = resolveTarget([serverGroup('hello-prod-v000', 1)], { target: 'ancestor_asg_dynamic' }, { cluster: 'hello-prod', location: 'local' });
    expect(result).toEqual({
      ok: false,
      reason: 'not-found',
      message:
        "Target not found (target: ancestor_asg_dynamic): cluster 'hello-prod' in local has only hello-prod-v000, and the previous server group must be another one; use current_asg_dynamic or deploy first",
    });
  });

  it('fails to find the oldest in a cluster of one unless validateOldest is off', () => {
    const one = [serverGroup('hello-prod-v000', 1)];
    expect(resolveTarget(one, { target: 'oldest_asg_dynamic' }).ok).toBe(false);
    expect(name(resolveTarget(one, { target: 'oldest_asg_dynamic' }, { validateOldest: false }))).toBe('hello-prod-v000');
  });

  it('fails when no server group is enabled', () => {
    const result = resolveTarget([serverGroup('hello-prod-v000', 1, { disabled: true })], { target: 'current_asg_dynamic' }, { onlyEnabled: true, cluster: 'hello-prod' });
    expect(result).toEqual({ ok: false, reason: 'not-found', message: "No enabled server groups found in cluster 'hello-prod'; deploy one first, or enable one" });
  });

  it('fails on an unknown server group name, listing the known ones', () => {
    expect(resolveTarget(groups, { serverGroupName: 'hello-prod-v500' }, { location: 'local' })).toEqual({
      ok: false,
      reason: 'not-found',
      message: "Could not find server group 'hello-prod-v500' in the cluster in local, found [hello-prod-v001, hello-prod-v000, hello-prod-v999, hello-prod-v998]; check serverGroupName",
    });
  });
});

describe('selectImageServerGroup (findImage selectionStrategy, enabled only by default)', () => {
  it.each<[ImageSelectionStrategy, string]>([
    ['NEWEST', 'hello-prod-v000'],
    ['OLDEST', 'hello-prod-v998'],
    ['LARGEST', 'hello-prod-v998'],
  ])('%s picks %s', (strategy, expected) => {
    expect(name(selectImageServerGroup(groups, strategy))).toBe(expected);
  });

  it('LARGEST breaks a tie on instances by picking the newest', () => {
    const tie = [serverGroup('hello-prod-v001', 1), serverGroup('hello-prod-v002', 2)];
    expect(name(selectImageServerGroup(tie, 'LARGEST'))).toBe('hello-prod-v002');
  });

  it('FAIL accepts exactly one candidate', () => {
    expect(name(selectImageServerGroup([serverGroup('hello-prod-v001', 1)], 'FAIL'))).toBe('hello-prod-v001');
  });

  it('fails with FAIL when several server groups match', () => {
    expect(selectImageServerGroup(groups, 'FAIL', { location: 'local' })).toEqual({
      ok: false,
      reason: 'ambiguous',
      message:
        'More than one target found (scope: local, serverGroups: [hello-prod-v000, hello-prod-v999, hello-prod-v998]); selectionStrategy FAIL needs exactly one, so disable the others or choose NEWEST, OLDEST or LARGEST',
    });
  });

  it('includes disabled server groups when onlyEnabled is false', () => {
    expect(name(selectImageServerGroup(groups, 'NEWEST', { onlyEnabled: false }))).toBe('hello-prod-v001');
  });
});

describe("parseTargetServerGroup (clouddriver's TargetServerGroup.fromString)", () => {
  it('reads names and aliases in any case, with or without the legacy _asg and _asg_dynamic suffixes', () => {
    expect(['current_asg_dynamic', 'NEWEST', 'current', 'newest_asg'].map(parseTargetServerGroup)).toEqual(['CURRENT', 'CURRENT', 'CURRENT', 'CURRENT']);
    expect(['ancestor_asg_dynamic', 'previous', 'Ancestor_ASG'].map(parseTargetServerGroup)).toEqual(['PREVIOUS', 'PREVIOUS', 'PREVIOUS']);
    expect(['oldest_asg_dynamic', 'largest_asg_dynamic', 'fail'].map(parseTargetServerGroup)).toEqual(['OLDEST', 'LARGEST', 'FAIL']);
    expect(['biggest', 'current_asg_static', ''].map(parseTargetServerGroup)).toEqual([undefined, undefined, undefined]);
  });
});
