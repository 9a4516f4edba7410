/** Generic webhook matching: source equality and payload constraints with find (partial) semantics. */
import { describe, expect, it } from 'vitest';
import { matchWebhookTrigger, payloadMeetsConstraints } from '../../../core/triggers/webhook-match.ts';
import { readPayloadValue } from '../../../core/triggers/json-path.ts';
import { triggered } from './fixtures.ts';

describe('payloadMeetsConstraints', () => {
  const payload = { branch: 'feature/main-fix', build: { number: 42, ok: true }, 'a.b': 'dotted', list: [{ name: 'first' }], nothing: null };

  it.each([
    ['a partial match (find semantics)', { branch: 'main' }, true],
    ['an anchored pattern that does not hold', { branch: '^main$' }, false],
    ['an anchored pattern that holds', { branch: '^feature/.*-fix$' }, true],
    ['a missing key', { tag: '.*' }, false],
    ['a null value', { nothing: '.*' }, false],
    ['a JSONPath with $', { '$.build.number': '^42$' }, true],
    ['a dotted path without $', { 'build.number': '4' }, true],
    ['a boolean leaf', { 'build.ok': 'true' }, true],
    ['an index in the path', { 'list[0].name': 'fir' }, true],
    ['a bracketed key', { "$['a.b']": 'dot' }, true],
    ['a top-level key holding a dot, before the path reading', { 'a.b': '^dotted$' }, true],
    ['every key must hold', { branch: 'main', 'build.number': '^7$' }, false],
    ['no constraints', {}, true],
  ])('%s', (_what, constraints, expected) => {
    expect(payloadMeetsConstraints(constraints, payload)).toBe(expected);
  });

  it('matches on a linear-time engine: a catastrophic pattern on a crafted value answers at once instead of holding the process', () => {
    // A backtracking engine takes hours on this (2^40 ways to split the a's); this one is linear.
    const crafted = { branch: `${'a'.repeat(40)}!` };
    expect(payloadMeetsConstraints({ branch: '^(a+)+$' }, crafted)).toBe(false);
    expect(payloadMeetsConstraints({ branch: '(x+x+)+y' }, { branch: 'x'.repeat(5000) })).toBe(false);
    expect(payloadMeetsConstraints({ branch: '^(a+)+$' }, { branch: 'a'.repeat(40) })).toBe(true);
  });

  it('finds nothing through wildcards, which are not supported', () => {
    expect(readPayloadValue({ a: [{ b: 1 }] }, '$.a[*].b')).toBeUndefined();
  });
});

describe('matchWebhookTrigger', () => {
  it('starts each matching pipeline once, with parameters, artifacts and the payload', () => {
    // given
    const deploy = triggered([
      { type: 'webhook', source: 'build-done', payloadConstraints: { status: 'success' } },
      { type: 'webhook', source: 'build-done' },
    ]);
    const other = triggered([{ type: 'webhook', source: 'other' }]);
    const payload = { status: 'build success', parameters: { version: '1.2.3' }, artifacts: [{ type: 'docker/image', name: 'x' }, 'junk'] };

    // when
    const matches = matchWebhookTrigger([deploy, other], { source: 'build-done', payload, eventId: 'evt-1' });

    // then
    expect(matches).toHaveLength(1);
    expect(matches[0]!.pipeline).toBe(deploy);
    expect(matches[0]!.idempotencyKey).toBe(`webhook:build-done:evt-1:${deploy.id}`);
    expect(matches[0]!.trigger).toMatchObject({
      type: 'webhook',
      source: 'build-done',
      eventId: 'evt-1',
      parameters: { version: '1.2.3' },
      artifacts: [{ type: 'docker/image', name: 'x' }],
      payload,
    });
  });

  it('gives a duplicate delivery (same event id) the same key', () => {
    const deploy = triggered([{ type: 'webhook', source: 'ci' }]);
    const first = matchWebhookTrigger([deploy], { source: 'ci', payload: {}, eventId: 'same' });
    const again = matchWebhookTrigger([deploy], { source: 'ci', payload: {}, eventId: 'same' });
    const other = matchWebhookTrigger([deploy], { source: 'ci', payload: {}, eventId: 'other' });
    expect(again[0]!.idempotencyKey).toBe(first[0]!.idempotencyKey);
    expect(other[0]!.idempotencyKey).not.toBe(first[0]!.idempotencyKey);
  });

  it.each([
    ['the source differs by case', [{ type: 'webhook', source: 'CI' }], {}],
    ['the trigger is disabled', [{ type: 'webhook', source: 'ci', enabled: false }], {}],
    ['the pipeline is disabled', [{ type: 'webhook', source: 'ci' }], { disabled: true }],
    ['a constraint fails', [{ type: 'webhook', source: 'ci', payloadConstraints: { branch: '^main$' } }], {}],
  ])('ignores the pipeline when %s', (_what, triggers, extra) => {
    const pipeline = triggered(triggers, extra);
    expect(matchWebhookTrigger([pipeline], { source: 'ci', payload: { branch: 'dev' }, eventId: 'e' })).toEqual([]);
  });

  it('keeps trigger secrets out of the execution document', () => {
    const pipeline = triggered([{ type: 'webhook', source: 'ci', secret: 's3cr3t' }]);
    const [match] = matchWebhookTrigger([pipeline], { source: 'ci', payload: {}, eventId: 'e' });
    expect(JSON.stringify(match!.trigger)).not.toContain('s3cr3t');
  });
});
