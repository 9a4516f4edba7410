/** resizeServerGroup's capacity math, action by action, as Orca's resize strategies compute it. */
import { describe, expect, it } from 'vitest';
import { actualResizeAction, mergeCapacity, planResize, resizeCapacity } from '../../../core/strategies/resize.ts';
import type { ResizeOptions } from '../../../core/strategies/resize.ts';
import { cluster, serverGroup } from '../deploy/cluster-fixtures.ts';

const state = cluster([
  serverGroup('hello-prod-v001', 1, { capacity: { min: 2, max: 10, desired: 4 } }),
  serverGroup('hello-prod-v002', 2, { capacity: { min: 3, max: 6, desired: 5 } }),
]);

describe('resizeCapacity of hello-prod-v001 (2/4/10)', () => {
  it.each<[string, ResizeOptions, { min: number; max: number; desired: number }]>([
    ['scale_exact sets all three', { action: 'scale_exact', capacity: { min: 1, max: 3, desired: 2 } }, { min: 1, max: 3, desired: 2 }],
    ['scale_exact keeps unset fields', { action: 'scale_exact', capacity: { desired: 6 } }, { min: 2, max: 10, desired: 6 }],
    ['scale_exact lowers min under a lower max', { action: 'scale_exact', capacity: { max: 1 } }, { min: 1, max: 1, desired: 1 }],
    ['a missing action is scale_exact', { capacity: { desired: 3 } }, { min: 2, max: 10, desired: 3 }],
    ["legacy resizeType 'exact' is scale_exact", { action: 'scale_up', resizeType: 'exact', capacity: { desired: 3 } }, { min: 2, max: 10, desired: 3 }],
    ['scale_exact with pinCapacity', { action: 'scale_exact', capacity: { desired: 3 }, pinCapacity: true }, { min: 3, max: 3, desired: 3 }],
    ['scale_exact with pinMinimumCapacity', { action: 'scale_exact', capacity: { desired: 3 }, pinMinimumCapacity: true }, { min: 3, max: 10, desired: 3 }],
    ['scale_up by scaleNum', { action: 'scale_up', scaleNum: 2 }, { min: 4, max: 12, desired: 6 }],
    ['scale_down by scaleNum, never below 0', { action: 'scale_down', scaleNum: 3 }, { min: 0, max: 7, desired: 1 }],
    ['scale_up by scalePct rounds each bound up', { action: 'scale_up', scalePct: 25 }, { min: 3, max: 13, desired: 5 }],
    ['scale_down by scalePct', { action: 'scale_down', scalePct: 50 }, { min: 1, max: 5, desired: 2 }],
    ['scalePct wins over scaleNum', { action: 'scale_up', scalePct: 50, scaleNum: 100 }, { min: 3, max: 15, desired: 6 }],
    ['scale_up with neither changes nothing', { action: 'scale_up' }, { min: 2, max: 10, desired: 4 }],
    ['scale_to_cluster takes the largest bounds', { action: 'scale_to_cluster' }, { min: 3, max: 10, desired: 5 }],
    ['scale_to_cluster plus scaleNum, capped at max', { action: 'scale_to_cluster', scaleNum: 20 }, { min: 3, max: 10, desired: 10 }],
    ['scale_to_cluster plus scalePct of desired', { action: 'scale_to_cluster', scalePct: 20 }, { min: 3, max: 10, desired: 6 }],
    ['scale_to_server_group copies the source', { action: 'scale_to_server_group', sourceServerGroup: 'hello-prod-v002' }, { min: 3, max: 6, desired: 5 }],
    ['scale_to_server_group at a percentage, pinned', { action: 'scale_to_server_group', sourceServerGroup: 'hello-prod-v002', scalePct: 50, pinCapacity: true }, { min: 3, max: 3, desired: 3 }],
    ['unpinMinimumCapacity restores a lower min', { action: 'scale_to_server_group', sourceServerGroup: 'hello-prod-v002', unpinMinimumCapacity: 1 }, { min: 1, max: 6, desired: 5 }],
    ['unpinMinimumCapacity never raises the min', { action: 'scale_to_server_group', sourceServerGroup: 'hello-prod-v002', unpinMinimumCapacity: 4 }, { min: 3, max: 6, desired: 5 }],
  ])('%s', (_case, options, expected) => {
    expect(resizeCapacity(state, 'hello-prod-v001', options)).toEqual({ ok: true, capacity: expected });
  });

  it.each([
    ['an unknown server group', 'hello-prod-v009', { action: 'scale_exact' } as ResizeOptions, 'no server group found local/hello-prod-v009 in local; check the server group\'s name or target'],
    ['scale_to_server_group without a source', 'hello-prod-v001', { action: 'scale_to_server_group' } as ResizeOptions, 'scale_to_server_group needs a source server group; add source.serverGroupName'],
  ])('fails for %s', (_case, name, options, message) => {
    expect(resizeCapacity(state, name, options)).toEqual({ ok: false, message });
  });
});

describe('the pieces', () => {
  it.each([
    [{ action: undefined, resizeType: undefined }, 'scale_exact'],
    [{ action: 'scale_down' as const, resizeType: 'pct' }, 'scale_down'],
    [{ action: 'scale_down' as const, resizeType: 'exact' }, 'scale_exact'],
  ])('actualResizeAction(%j) is %s', (options, expected) => {
    expect(actualResizeAction(options)).toBe(expected);
  });

  it('clamps the current desired into configured bounds', () => {
    expect(mergeCapacity({ min: 6 }, { min: 2, max: 10, desired: 4 })).toEqual({ min: 6, max: 10, desired: 6 });
  });
});

describe('planResize', () => {
  it('is one resize step that waits for the healthy percentage', () => {
    expect(planResize(state, 'hello-prod-v001', { action: 'scale_up', scaleNum: 1, targetHealthyPercentage: 90 })).toEqual({
      ok: true,
      steps: [{ kind: 'resizeServerGroup', serverGroup: 'hello-prod-v001', capacity: { min: 3, max: 11, desired: 5 }, targetHealthyPercentage: 90 }],
    });
  });
});
