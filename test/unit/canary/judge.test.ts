/**
 * NetflixACAJudge-v1.0, rule by rule as kayenta-judge.md states them: each test names the
 * section it protects. Data is constructed so that the expected verdict follows from the rule
 * by hand (large, clear shifts or exact values), not from running the judge.
 */
import { describe, expect, it } from 'vitest';
import {
  createSeededRandom,
  judgeCanary,
  parseCanaryConfig,
  stringifyJudgeResult,
  type CanaryConfig,
  type MetricSeriesPair,
} from '../../../core/canary/index.ts';

const THRESHOLDS = { marginal: 50, pass: 75 };

/** A config with one metric per entry: `{ name, groups?, canary? }`. */
function config(metrics: ReadonlyArray<{ name: string; groups?: string[]; canary?: Record<string, unknown> }>, classifier?: Record<string, unknown>): CanaryConfig {
  const parsed = parseCanaryConfig({
    name: 'test',
    judge: { name: 'NetflixACAJudge-v1.0' },
    metrics: metrics.map((metric) => ({
      name: metric.name,
      query: { type: 'test' },
      groups: metric.groups ?? ['main'],
      analysisConfigurations: { canary: metric.canary ?? {} },
    })),
    ...(classifier ? { classifier } : {}),
  });
  if (!parsed.config) throw new Error(parsed.issues.map((issue) => issue.message).join('; '));
  return parsed.config;
}

/** Integers −n/2 … n/2 without 0: a mean of exactly 0. */
const ZERO_MEAN = Array.from({ length: 40 }, (_, i) => (i < 20 ? -(i + 1) : i - 19));

/** n values spread evenly around `center` (± spread/2), deterministic and untied. */
function spread(n: number, center: number, width: number): number[] {
  return Array.from({ length: n }, (_, i) => center - width / 2 + (width * (i + 0.5)) / n);
}

function judgeOne(canary: Record<string, unknown>, control: ReadonlyArray<number | null>, experiment: ReadonlyArray<number | null>, seed = 1) {
  const result = judgeCanary(config([{ name: 'm', canary }]), [{ name: 'm', control, experiment }], { thresholds: THRESHOLDS, random: createSeededRandom(seed) });
  return result.results[0]!;
}

const BASE = spread(60, 100, 20);
const HIGHER = spread(60, 150, 20);
const LOWER = spread(60, 50, 20);

describe('pre-processing (§3)', () => {
  it('§3 Remove (the default): drops NaN and null, and statistics count what is left', () => {
    const result = judgeOne({}, [...BASE, null, Number.NaN], [...BASE.slice(0, 50), null]);
    expect(result.controlMetadata.stats.count).toBe(60);
    expect(result.experimentMetadata.stats.count).toBe(50);
  });

  it('§3 Replace: turns missing values into 0.0 before comparing', () => {
    const result = judgeOne({ nanStrategy: 'replace' }, [1, 2, 3], [1, 2, null]);
    expect(result.experimentMetadata.stats).toMatchObject({ count: 3, min: 0, max: 2, mean: 1 });
  });

  it('§3 outliers remove: the reduced-sensitivity IQR fences drop a far spike but never the 1st-99th percentile range', () => {
    // given 100 points 1..100 (IQR 49.5, fences far outside) plus spikes
    const base = Array.from({ length: 100 }, (_, i) => i + 1);
    const withSpike = [...base.slice(0, 99), 10_000];
    const result = judgeOne({ outliers: { strategy: 'remove' } }, base, withSpike);
    // P99 interpolates between 99 and 10000 (= 99 + 0.01·9901 = 198.01), the Tukey fence is 75.25 + 3·49.5 = 223.75: the spike goes
    expect(result.experimentMetadata.stats).toMatchObject({ count: 99, max: 99 });
  });

  it('§3 consequence: with two large spikes in 100 points, P99 interpolates between them and the smaller spike survives', () => {
    const base = Array.from({ length: 98 }, (_, i) => i + 1);
    const twoSpikes = [...base, 5_000, 10_000];
    const result = judgeOne({ outliers: { strategy: 'remove', outlierFactor: 3 } }, twoSpikes, twoSpikes);
    // P99 = 5000 + 0.01·5000 = 5050: 5000 stays, 10000 goes
    expect(result.controlMetadata.stats).toMatchObject({ count: 99, max: 5_000 });
  });

  it('§3 outliers keep (the default, and Kayenta’s "none"): nothing is removed', () => {
    const spiky = [...BASE, 1e9];
    expect(judgeOne({}, spiky, spiky).controlMetadata.stats.count).toBe(61);
    expect(judgeOne({ outliers: { strategy: 'none' } }, spiky, spiky).controlMetadata.stats.count).toBe(61);
  });

  it('§3 statistics are all 0 for an empty side', () => {
    const result = judgeOne({}, BASE, [null, null]);
    expect(result.experimentMetadata.stats).toEqual({ count: 0, mean: 0, std: 0, min: 0, max: 0, median: 0 });
  });

  it('§3 statistics: mean, sample standard deviation (n − 1), min, max and median of the transformed side', () => {
    const result = judgeOne({}, [2, 4, 4, 4, 5, 5, 7, 9], [1, 2, 3]);
    expect(result.controlMetadata.stats).toEqual({ count: 8, mean: 5, std: Math.sqrt(32 / 7), min: 2, max: 9, median: 4.5 });
  });
});

describe('metric classification (§4)', () => {
  it('§4.1 no data after NaN removal: Nodata, critical flag from the metric, ratio 1.0', () => {
    const plain = judgeOne({}, BASE, [Number.NaN, null]);
    expect(plain).toMatchObject({ classification: 'Nodata', classificationReason: 'Missing data for m', critical: false, resultMetadata: { ratio: 1 } });
    expect(judgeOne({ critical: true }, [], BASE)).toMatchObject({ classification: 'Nodata', critical: true });
  });

  it('§4.1 mustHaveData on a non-critical metric: NodataFailMetric, not critical', () => {
    expect(judgeOne({ mustHaveData: true }, BASE, [])).toMatchObject({ classification: 'NodataFailMetric', critical: false, classificationReason: 'Missing data for m' });
  });

  it('§4.1 mustHaveData on a critical metric stays Nodata with critical = true', () => {
    expect(judgeOne({ mustHaveData: true, critical: true }, BASE, [])).toMatchObject({ classification: 'Nodata', critical: true });
  });

  it('§4.1 Replace with an empty raw series: Pass, not critical, ratio 1.0', () => {
    expect(judgeOne({ nanStrategy: 'replace', critical: true }, [], BASE)).toMatchObject({ classification: 'Pass', critical: false, resultMetadata: { ratio: 1 } });
  });

  it('§11 all NaN with replace on both sides: zeros against zeros are identical, Pass with ratio 1.0', () => {
    const result = judgeOne({ nanStrategy: 'replace' }, [null, null, null], [null, null, null]);
    expect(result).toMatchObject({ classification: 'Pass', classificationReason: 'The Canary and Baseline data are identical', resultMetadata: { ratio: 1 } });
  });

  it('§11 all NaN control with replace against positive data: the ordinary test, ratio NaN (zero mean)', () => {
    const result = judgeOne({ nanStrategy: 'replace' }, Array.from({ length: 30 }, () => null), spread(30, 10, 2));
    expect(result.classification).toBe('High');
    expect(result.resultMetadata?.ratio).toBeNaN();
  });

  it('§4.2 identical multisets (any order): Pass, ratio 1.0, reason "identical"', () => {
    const permuted = [...BASE].reverse();
    expect(judgeOne({}, BASE, permuted)).toMatchObject({ classification: 'Pass', classificationReason: 'The Canary and Baseline data are identical', resultMetadata: { ratio: 1 } });
  });

  it('§4.3 one value overall on sides of different lengths: Pass, ratio 1.0, no reason', () => {
    expect(judgeOne({}, [7, 7, 7], [7, 7, 7, 7, 7])).toMatchObject({ classification: 'Pass', classificationReason: null, resultMetadata: { ratio: 1 } });
  });

  it('§4.4 two different constants: noise is added and the verdict is stable across seeds', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const result = judgeOne({}, Array.from({ length: 20 }, () => 10), Array.from({ length: 20 }, () => 20), seed);
      expect(result.classification).toBe('High');
      expect(result.resultMetadata?.noiseAdded).toBe(true);
      // the ratio is random only in about the 6th digit
      expect(result.resultMetadata?.ratio).toBeCloseTo(2, 4);
    }
  });

  it('§4.4 the noise comes from the seeded source: the same seed gives the same result, bit for bit', () => {
    const run = () => judgeOne({}, [3, 3, 3, 3, 3, 3], [4, 4, 4, 4, 4, 4], 42);
    expect(stringifyJudgeResult(run())).toBe(stringifyJudgeResult(run()));
  });

  it('§4.4 a side of zeros gets no noise: constant zeros against a higher constant is still High', () => {
    const result = judgeOne({}, Array.from({ length: 10 }, () => 0), Array.from({ length: 10 }, () => 2));
    expect(result.classification).toBe('High');
    expect(result.controlMetadata.stats).toMatchObject({ min: 0, max: 0 });
  });

  it('§11 one side constant: the ordinary path, no noise', () => {
    const result = judgeOne({}, BASE, Array.from({ length: 30 }, () => 150));
    expect(result.classification).toBe('High');
    expect(result.resultMetadata?.noiseAdded).toBeUndefined();
  });

  it('§4.8 a clear increase is High, a clear decrease Low, with the reason naming the metric', () => {
    expect(judgeOne({}, BASE, HIGHER)).toMatchObject({ classification: 'High', classificationReason: 'm was classified as High', critical: false });
    expect(judgeOne({}, BASE, LOWER)).toMatchObject({ classification: 'Low', classificationReason: 'm was classified as Low' });
  });

  it('§4.8 the result carries the ratio and the interval of experiment − control', () => {
    const result = judgeOne({}, BASE, HIGHER);
    expect(result.resultMetadata?.ratio).toBeCloseTo(1.5, 12);
    const { lower, upper } = result.resultMetadata!.confidenceInterval!;
    expect(lower).toBeGreaterThan(40);
    expect(upper).toBeLessThan(60);
    expect(result.resultMetadata?.estimate).toBeCloseTo(50, 3);
  });

  it('§4.8 direction increase ignores a decrease, direction decrease ignores an increase', () => {
    expect(judgeOne({ direction: 'increase' }, BASE, LOWER).classification).toBe('Pass');
    expect(judgeOne({ direction: 'decrease' }, BASE, HIGHER).classification).toBe('Pass');
    expect(judgeOne({ direction: 'decrease' }, BASE, LOWER).classification).toBe('Low');
  });

  it('§4.8 the effect-size gate is inclusive: ratio exactly allowedIncrease is High, just above it is Pass', () => {
    // control mean 100, experiment mean 150 exactly: ratio 1.5
    expect(judgeOne({ effectSize: { allowedIncrease: 1.5 } }, BASE, HIGHER).classification).toBe('High');
    expect(judgeOne({ effectSize: { allowedIncrease: 1.5000001 } }, BASE, HIGHER).classification).toBe('Pass');
    expect(judgeOne({ effectSize: { allowedDecrease: 0.5 } }, BASE, LOWER).classification).toBe('Low');
    expect(judgeOne({ effectSize: { allowedDecrease: 0.4999999 } }, BASE, LOWER).classification).toBe('Pass');
  });

  it('§4.6/§7 the dead band: a significant but tiny shift of a large sample is High unless allowedIncrease gates it', () => {
    // 1000 points, shifted by 0.5% of the mean: far outside the 98% interval, but a ratio of 1.005
    const control = spread(1000, 100, 4);
    const experiment = control.map((value) => value + 0.5);
    expect(judgeOne({}, control, experiment).classification).toBe('High');
    expect(judgeOne({ effectSize: { allowedIncrease: 1.01 } }, control, experiment).classification).toBe('Pass');
  });

  it('§4.6/§7 significance at 98% is not enough: the interval must clear the band of ±25% of the estimate', () => {
    // given a shift of 0.5 whose 98% interval is about [0.07, 0.93]: above 0, but not above 0.25·0.5
    const control = spread(1000, 100, 14);
    const experiment = control.map((value) => value + 0.5);
    const result = judgeOne({}, control, experiment);
    const { lower } = result.resultMetadata!.confidenceInterval!;
    expect(lower).toBeGreaterThan(0);
    expect(lower).toBeLessThan(0.125);
    expect(result.classification).toBe('Pass');
    // and a narrower spread moves the interval clear of the band
    const narrow = spread(1000, 100, 10);
    expect(judgeOne({}, narrow, narrow.map((value) => value + 0.5)).classification).toBe('High');
  });

  it('§4.9 a critical metric whose High reaches criticalIncrease is critical, with "(Critical)" in the reason', () => {
    const result = judgeOne({ critical: true, effectSize: { criticalIncrease: 1.2 } }, BASE, HIGHER);
    expect(result).toMatchObject({ classification: 'High', critical: true, classificationReason: 'The metric m was classified as High (Critical)' });
  });

  it('§4.9 a critical metric whose effect size stays below criticalIncrease keeps High but is not critical', () => {
    const result = judgeOne({ critical: true, effectSize: { criticalIncrease: 2 } }, BASE, HIGHER);
    expect(result).toMatchObject({ classification: 'High', critical: false, classificationReason: 'm was classified as High' });
  });

  it('§4.9 a critical Low reaching criticalDecrease is critical', () => {
    expect(judgeOne({ critical: true, effectSize: { criticalDecrease: 0.6 } }, BASE, LOWER)).toMatchObject({ classification: 'Low', critical: true });
    expect(judgeOne({ critical: true, effectSize: { criticalDecrease: 0.4 } }, BASE, LOWER)).toMatchObject({ classification: 'Low', critical: false });
  });

  it('§4.10/§5.3 n = 1 against n = 1 (different values) is always Error, not critical, without resultMetadata', () => {
    const result = judgeOne({ critical: true }, [5], [7]);
    expect(result).toMatchObject({ classification: 'Error', classificationReason: 'Metric Classification Failed', critical: false });
    expect(result.resultMetadata).toBeUndefined();
  });

  it('§5.3 zeros against one value tie at the bracket end: Error', () => {
    expect(judgeOne({}, [0, 0, 0], [5]).classification).toBe('Error');
    expect(judgeOne({}, [5], [0, 0, 0, 0]).classification).toBe('Error');
  });
});

describe('effect sizes (§6)', () => {
  it('§6 a zero mean makes the ratio NaN and skips the effect-size gate: the interval alone decides', () => {
    const result = judgeOne({ effectSize: { allowedIncrease: 100 } }, ZERO_MEAN, spread(40, 40, 2));
    expect(result.classification).toBe('High');
    expect(result.resultMetadata?.ratio).toBeNaN();
  });

  it('§6 a NaN effect size skips the critical gate too: a critical metric then fails critically', () => {
    const result = judgeOne({ critical: true, effectSize: { criticalIncrease: 100 } }, ZERO_MEAN, spread(40, 40, 2));
    expect(result).toMatchObject({ classification: 'High', critical: true });
  });

  it('§6 negative-valued metric: −8 against −10 is an increase, but the ratio 0.8 blocks High', () => {
    const result = judgeOne({}, spread(40, -10, 1), spread(40, -8, 1));
    expect(result.resultMetadata?.ratio).toBeCloseTo(0.8, 12);
    expect(result.resultMetadata!.confidenceInterval!.lower).toBeGreaterThan(1);
    expect(result.classification).toBe('Pass');
  });

  it('§6 measure cles: P(X > Y) gates with its own default 0.5; a full separation has CLES 1', () => {
    expect(judgeOne({ effectSize: { measure: 'cles' } }, BASE, HIGHER).classification).toBe('High');
    // CLES of a complete separation is 1.0, so a gate above 1 blocks High while the ratio is still reported
    const gated = judgeOne({ effectSize: { measure: 'cles', allowedIncrease: 1.01 } }, BASE, HIGHER);
    expect(gated.classification).toBe('Pass');
    expect(gated.resultMetadata?.ratio).toBeCloseTo(1.5, 12);
  });
});

describe('scoring one judgement (§8)', () => {
  /** Judges metrics whose verdicts are forced by their data: Pass, High, Low, Nodata, Error. */
  function scoreOf(
    metrics: ReadonlyArray<{ verdict: 'Pass' | 'High' | 'Low' | 'Nodata' | 'NodataFailMetric' | 'Error'; groups?: string[]; canary?: Record<string, unknown> }>,
    classifier?: Record<string, unknown>,
    thresholds = THRESHOLDS,
  ) {
    const data: Record<string, Pick<MetricSeriesPair, 'control' | 'experiment'>> = {
      Pass: { control: BASE, experiment: BASE },
      High: { control: BASE, experiment: HIGHER },
      Low: { control: BASE, experiment: LOWER },
      Nodata: { control: BASE, experiment: [] },
      NodataFailMetric: { control: BASE, experiment: [] },
      Error: { control: [1], experiment: [2] },
    };
    const named = metrics.map((metric, index) => ({ ...metric, name: `m${index}` }));
    const cfg = config(
      named.map((metric) => ({
        name: metric.name,
        groups: metric.groups ?? ['main'],
        canary: { ...(metric.verdict === 'NodataFailMetric' ? { mustHaveData: true } : {}), ...metric.canary },
      })),
      classifier,
    );
    const result = judgeCanary(cfg, named.map((metric) => ({ name: metric.name, ...data[metric.verdict]! })), { thresholds });
    expect(result.results.map((metric) => metric.classification)).toEqual(metrics.map((metric) => metric.verdict));
    return result;
  }

  it.each([
    ['1 Pass → 100', [{ verdict: 'Pass' as const }], 100],
    ['Pass + High → 50', [{ verdict: 'Pass' as const }, { verdict: 'High' as const }], 50],
    ['Pass + High + Low → 33.33', [{ verdict: 'Pass' as const }, { verdict: 'High' as const }, { verdict: 'Low' as const }], 33.33],
    ['1 Nodata of 3 → 100', [{ verdict: 'Pass' as const }, { verdict: 'Pass' as const }, { verdict: 'Nodata' as const }], 100],
    ['single Nodata → 0', [{ verdict: 'Nodata' as const }], 0],
    ['NodataFailMetric counts as a failure in its group → 50', [{ verdict: 'Pass' as const }, { verdict: 'NodataFailMetric' as const }], 50],
    ['Error is neutral → 100', [{ verdict: 'Pass' as const }, { verdict: 'Error' as const }], 100],
  ])('§8 Kayenta scorer anchor: %s', (_name, metrics, expected) => {
    expect(scoreOf(metrics).score.score).toBe(expected);
  });

  it('§8 weights 15/85, group1 {High, Low, Pass} and group2 {High} → 5.0', () => {
    const result = scoreOf(
      [
        { verdict: 'High', groups: ['group1'] },
        { verdict: 'Low', groups: ['group1'] },
        { verdict: 'Pass', groups: ['group1'] },
        { verdict: 'High', groups: ['group2'] },
      ],
      { groupWeights: { group1: 15, group2: 85 } },
    );
    expect(result.score.score).toBe(5);
    expect(result.groupScores).toEqual([
      { name: 'group1', score: (1 / 3) * 100, classification: '', classificationReason: '' },
      { name: 'group2', score: 0, classification: '', classificationReason: '' },
    ]);
  });

  it('§8.3 a critical High fails the canary: score 0 and the metric’s reason', () => {
    const result = scoreOf([{ verdict: 'Pass' }, { verdict: 'High', canary: { critical: true } }]);
    expect(result.score).toEqual({ score: 0, classification: 'Fail', classificationReason: 'Canary Failed: The metric m1 was classified as High (Critical)' });
  });

  it('§8.3 a critical Nodata fails the canary too', () => {
    const result = scoreOf([{ verdict: 'Pass' }, { verdict: 'Pass' }, { verdict: 'Nodata', canary: { critical: true } }]);
    expect(result.score).toMatchObject({ score: 0, classificationReason: 'Canary Failed: Missing data for m2' });
  });

  it('§8.4 half or more Nodata: score 0 with Kayenta’s reason', () => {
    const result = scoreOf([{ verdict: 'Pass' }, { verdict: 'Nodata' }]);
    expect(result.score).toMatchObject({ score: 0, classification: 'Fail', classificationReason: 'Canary Failed: 50% or more metrics returned NODATA' });
  });

  it('§8.1 muted metrics are reported but left out of every score rule', () => {
    const result = scoreOf([{ verdict: 'Pass' }, { verdict: 'High', canary: { muted: true, critical: true } }, { verdict: 'Nodata', canary: { muted: true } }]);
    expect(result.score.score).toBe(100);
    expect(result.results[1]).toMatchObject({ muted: true, critical: true });
  });

  it('§8.5 groups without a weight share what the configured weights leave of 100', () => {
    // a: 40 configured (Pass = 100), b and c share 60 → 30 each; b Pass, c High → 40 + 30 + 0
    const result = scoreOf(
      [{ verdict: 'Pass', groups: ['a'] }, { verdict: 'Pass', groups: ['b'] }, { verdict: 'High', groups: ['c'] }],
      { groupWeights: { a: 40 } },
    );
    expect(result.score.score).toBe(70);
  });

  it('§8.5 no normalisation: the weight of a group without metrics is lost', () => {
    const result = scoreOf([{ verdict: 'Pass', groups: ['a'] }], { groupWeights: { a: 60, unused: 40 } });
    expect(result.score.score).toBe(60);
  });

  it('§8.2 a metric counts in every group it lists', () => {
    const result = scoreOf([{ verdict: 'High', groups: ['a', 'b'] }, { verdict: 'Pass', groups: ['a'] }]);
    expect(result.groupScores.map((group) => [group.name, group.score])).toEqual([['a', 50], ['b', 0]]);
    expect(result.score.score).toBe(25);
  });

  it('§8.5 the summary is rounded half up to 2 decimals on its decimal form', () => {
    // group weights 1/3 of 100 each: 100·(100/3)/100 + 0 + 0 = 33.333… → 33.33; and 2/3 → 66.67
    const one = scoreOf([{ verdict: 'Pass', groups: ['a'] }, { verdict: 'High', groups: ['b'] }, { verdict: 'High', groups: ['c'] }]);
    expect(one.score.score).toBe(33.33);
    const two = scoreOf([{ verdict: 'Pass', groups: ['a'] }, { verdict: 'Pass', groups: ['b'] }, { verdict: 'High', groups: ['c'] }]);
    expect(two.score.score).toBe(66.67);
  });

  it.each([
    [100, 'Pass'],
    [75, 'Pass'],
    [74.99, 'Marginal'],
    [50, 'Marginal'],
    [49.99, 'Fail'],
  ] as const)('§8.6 score %d with thresholds 50/75 is %s (≥ on both)', (score, expected) => {
    // a Pass group weighted `score` percent and nothing else gives exactly that score
    const result = scoreOf([{ verdict: 'Pass', groups: ['a'] }], { groupWeights: { a: score } });
    expect(result.score).toMatchObject({ score, classification: expected, classificationReason: '' });
  });
});

describe('the result shape', () => {
  it('is Kayenta’s judgeResult, with NaN written as "NaN" as Jackson writes it', () => {
    const cfg = config([{ name: 'zero-mean' }]);
    const result = judgeCanary(cfg, [{ name: 'zero-mean', id: 'abc', tags: { region: 'local' }, control: ZERO_MEAN, experiment: spread(30, 40, 2) }], { thresholds: THRESHOLDS });
    const json = JSON.parse(stringifyJudgeResult({ judgeResult: result })) as { judgeResult: Record<string, unknown> & { results: Array<Record<string, unknown>> } };
    expect(Object.keys(json.judgeResult)).toEqual(['judgeName', 'results', 'groupScores', 'score']);
    expect(json.judgeResult.judgeName).toBe('NetflixACAJudge-v1.0');
    expect(json.judgeResult.results[0]).toMatchObject({
      name: 'zero-mean',
      id: 'abc',
      tags: { region: 'local' },
      classification: 'High',
      groups: ['main'],
      critical: false,
      resultMetadata: { ratio: 'NaN' },
    });
    expect(Object.keys((json.judgeResult.results[0]!.controlMetadata as { stats: object }).stats).sort()).toEqual(['count', 'max', 'mean', 'median', 'min', 'std']);
  });

  it('rejects series of a metric the config does not have', () => {
    expect(() => judgeCanary(config([{ name: 'm' }]), [{ name: 'other', control: [1], experiment: [1] }], { thresholds: THRESHOLDS })).toThrow(/no metric named 'other'.*metrics: m/);
  });
});
