/**
 * The AWS simulator's zero-downtime replays over hand-written event logs: what a weighted
 * listener could serve (sandbox/aws/elbv2-targets.ts) and where a Lambda alias routed
 * (sandbox/aws/lambda.ts), including the instants they exist to catch, which the simulator's
 * own checks never let a deploy reach.
 */
import { describe, expect, it } from 'vitest';
import { servingTargetsOverTime } from '../../../sandbox/aws/elbv2-targets.ts';
import { aliasRoutingOverTime } from '../../../sandbox/aws/lambda.ts';
import type { AwsEvent } from '../../../sandbox/aws/server.ts';

/** An event log from `[kind, detail]` pairs, one second apart. */
function log(entries: ReadonlyArray<readonly [string, Record<string, unknown>]>): AwsEvent[] {
  return entries.map(([kind, detail], index) => ({ seq: index + 1, time: index * 1_000, service: 'x', kind, detail }));
}

const LISTENER = 'listener/app/hello/1/2';
const weights = (pairs: Record<string, number>) => ['weights.set', { listenerArn: LISTENER, targetGroups: Object.entries(pairs).map(([targetGroupArn, weight]) => ({ targetGroupArn, weight })) }] as const;
const target = (kind: string, targetGroupArn: string, targetId: string) => [`target.${kind}`, { targetGroupArn, targetId, port: 80 }] as const;

describe('servingTargetsOverTime', () => {
  it('counts a healthy target once across the weighted groups, ignores groups at weight 0 and other listeners, and names a weighted group with no healthy target', () => {
    const events = log([
      weights({ shared: 1 }),
      target('healthy', 'shared', 'i-1'),
      target('healthy', 'own-a', 'i-1'),
      target('healthy', 'shared', 'i-2'),
      target('healthy', 'own-b', 'i-2'),
      ['weights.set', { listenerArn: 'another', targetGroups: [{ targetGroupArn: 'own-b', weight: 5 }] }],
      weights({ shared: 0, 'own-a': 90, 'own-b': 10 }),
      target('draining', 'own-b', 'i-2'),
      weights({ shared: 100, 'own-a': 0, 'own-b': 0 }),
    ]);
    expect(servingTargetsOverTime(events, LISTENER).map((point) => [point.time / 1_000, point.healthy, point.starved])).toEqual([
      [0, 0, ['shared']],
      [1, 1, []],
      [3, 2, []],
      // the split changes at 6 but what it serves does not: no new point
      [7, 1, ['own-b']],
      [8, 2, []],
    ]);
  });
});

describe('aliasRoutingOverTime', () => {
  const fn = (kind: string, detail: Record<string, unknown>) => [kind, { functionName: 'hello-api', ...detail }] as const;
  const alias = (change: string, functionVersion: string, additionalVersionWeights: Record<string, number> = {}) => fn('lambda.alias', { alias: 'live', change, functionVersion, additionalVersionWeights });

  it('follows the alias through its versions and names each one it routed to that was not published then', () => {
    const events = log([
      fn('lambda.function', { change: 'created' }),
      alias('created', '$LATEST'),
      fn('lambda.version-published', { version: '1' }),
      alias('updated', '1'),
      alias('updated', '1', { '2': 0.1 }),
      fn('lambda.version-published', { version: '2' }),
      alias('updated', '2'),
      fn('lambda.version-deleted', { version: '2' }),
      ['lambda.alias', { functionName: 'other', alias: 'live', change: 'updated', functionVersion: '9', additionalVersionWeights: {} }],
      fn('lambda.alias', { alias: 'beta', change: 'updated', functionVersion: '7', additionalVersionWeights: {} }),
      alias('deleted', '2'),
      fn('lambda.version-deleted', { version: '1' }),
    ]);
    expect(aliasRoutingOverTime(events, 'hello-api', 'live').map((point) => [point.time / 1_000, point.versions, point.unpublished])).toEqual([
      [1, ['$LATEST'], ['$LATEST']],
      [2, ['$LATEST'], ['$LATEST']],
      [3, ['1'], []],
      [4, ['1', '2'], ['2']],
      [5, ['1', '2'], []],
      [6, ['2'], []],
      [7, ['2'], ['2']],
    ]);
  });
});
