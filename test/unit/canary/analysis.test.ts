import { describe, expect, it } from 'vitest';
import { decideAfterInterval, intervalCount, planCanaryIntervals, type CanaryTiming } from '../../../core/canary/analysis.ts';

const MIN = 60_000;
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const minutesFromT0 = (timing: CanaryTiming) => planCanaryIntervals(timing, T0).map((w) => [(w.experimentStart - T0) / MIN, (w.experimentEnd - T0) / MIN]);

describe('planCanaryIntervals (Orca KayentaCanaryStage windows)', () => {
  it.each([
    ['one interval when none is given', { lifetimeMinutes: 60 }, [[0, 60]]],
    ['growing windows (lookback 0)', { lifetimeMinutes: 60, intervalMinutes: 20 }, [[0, 20], [0, 40], [0, 60]]],
    ['the remainder of the lifetime is never analysed', { lifetimeMinutes: 50, intervalMinutes: 20 }, [[0, 20], [0, 40]]],
    ['an interval longer than the lifetime becomes the lifetime', { lifetimeMinutes: 30, intervalMinutes: 45 }, [[0, 30]]],
    ['interval 0 means the lifetime', { lifetimeMinutes: 30, intervalMinutes: 0 }, [[0, 30]]],
    ['warm-up shifts every window in real time', { lifetimeMinutes: 60, intervalMinutes: 30, warmupMinutes: 10 }, [[10, 40], [10, 70]]],
    ['sliding windows with lookback', { lifetimeMinutes: 60, intervalMinutes: 20, lookbackMinutes: 15 }, [[5, 20], [25, 40], [45, 60]]],
    ['retrospective: warm-up does not shift windows', { lifetimeMinutes: 60, intervalMinutes: 30, warmupMinutes: 10, retrospective: true }, [[0, 30], [0, 60]]],
    ['fractional minutes (seconds-long demo canaries)', { lifetimeMinutes: 0.5, intervalMinutes: 1 / 6 }, [[0, 1 / 6], [0, 2 / 6], [0, 0.5]]],
  ] as const)('%s', (_name, timing, expected) => {
    const windows = minutesFromT0(timing as CanaryTiming);
    expect(windows.length).toBe(expected.length);
    windows.forEach(([start, end], index) => {
      expect(start).toBeCloseTo(expected[index]![0], 9);
      expect(end).toBeCloseTo(expected[index]![1], 9);
    });
  });

  it("matches Orca's 48 h table row: warm-up 45, interval 480, lookback 60", () => {
    const windows = minutesFromT0({ lifetimeMinutes: 48 * 60, intervalMinutes: 480, warmupMinutes: 45, lookbackMinutes: 60 });
    expect(windows).toEqual([[465, 525], [945, 1005], [1425, 1485], [1905, 1965], [2385, 2445], [2865, 2925]]);
  });

  it("moves only the control's window back by the baseline offset", () => {
    const [window] = planCanaryIntervals({ lifetimeMinutes: 30, baselineOffsetMinutes: 10 }, T0);
    expect([(window!.controlStart - T0) / MIN, (window!.controlEnd - T0) / MIN]).toEqual([-10, 20]);
    expect([(window!.experimentStart - T0) / MIN, (window!.experimentEnd - T0) / MIN]).toEqual([0, 30]);
  });

  it('makes each judgement ready when its window ends', () => {
    const windows = planCanaryIntervals({ lifetimeMinutes: 60, intervalMinutes: 30, warmupMinutes: 5 }, T0);
    expect(windows.map((w) => (w.readyAt - T0) / MIN)).toEqual([35, 65]);
  });

  it('counts floor(lifetime / interval) judgements', () => {
    expect(intervalCount({ lifetimeMinutes: 100, intervalMinutes: 30 })).toBe(3);
    expect(intervalCount({ lifetimeMinutes: 0.5, intervalMinutes: 1 / 6 })).toBe(3);
  });
});

describe('decideAfterInterval (Orca MonitorKayentaCanaryTask + AggregateCanaryResultsTask)', () => {
  const thresholds = { marginal: 50, pass: 75 };
  it.each([
    ['continues above marginal before the last interval', 60, 1, 3, 'continue', undefined],
    ['aborts early at exactly marginal', 50, 1, 3, 'fail', true],
    ['aborts early below marginal', 10, 2, 3, 'fail', true],
    ['fails the last interval below pass', 74.9, 3, 3, 'fail', false],
    ['fails the last interval at marginal', 50, 3, 3, 'fail', false],
    ['passes the last interval at exactly pass', 75, 3, 3, 'pass', undefined],
    ['passes a single interval at 100', 100, 1, 1, 'pass', undefined],
  ] as const)('%s', (_name, score, index, count, kind, earlyAbort) => {
    const decision = decideAfterInterval(score, index, count, thresholds);
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'fail') expect(decision.earlyAbort).toBe(earlyAbort);
  });

  it("uses Orca's message when the score is not above marginal", () => {
    const decision = decideAfterInterval(40, 1, 2, thresholds);
    expect(decision.kind === 'fail' && decision.message).toContain('Canary score is not above the marginal score threshold.');
  });
});
