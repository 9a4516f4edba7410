/** Spinnaker's labelSelectors as Kubernetes label-selector text. */
import { describe, expect, it } from 'vitest';
import { labelSelectorText, type LabelSelector } from '../../../../core/deploy/kubernetes/index.ts';

describe('labelSelectorText', () => {
  it.each([
    [[{ key: 'app', kind: 'EQUALS', values: ['web'] }], 'app=web'],
    [[{ key: 'app', kind: 'NOT_EQUALS', values: ['web'] }], 'app!=web'],
    [[{ key: 'tier', kind: 'CONTAINS', values: ['a', 'b'] }], 'tier in (a,b)'],
    [[{ key: 'tier', kind: 'NOT_CONTAINS', values: ['a'] }], 'tier notin (a)'],
    [[{ key: 'canary', kind: 'EXISTS' }], 'canary'],
    [[{ key: 'canary', kind: 'NOT_EXISTS' }], '!canary'],
    [[{ key: 'app', kind: 'EQUALS', values: ['web'] }, { key: 'canary', kind: 'NOT_EXISTS' }], 'app=web,!canary'],
    [[], ''],
  ] as Array<[LabelSelector[], string]>)('%j → %s', (selectors, text) => {
    expect(labelSelectorText(selectors)).toEqual({ ok: true, value: text });
  });

  it('fails EQUALS with two values, naming the selector and the fix', () => {
    expect(labelSelectorText([{ key: 'app', kind: 'EQUALS', values: ['a', 'b'] }])).toEqual({
      ok: false,
      message: "labelSelectors.selectors[0]: EQUALS on 'app' takes exactly one value, got 2; give one value, or use CONTAINS for several",
    });
  });

  it('fails CONTAINS without values', () => {
    expect(labelSelectorText([{ key: 'app', kind: 'CONTAINS', values: [] }]).ok).toBe(false);
  });
});
