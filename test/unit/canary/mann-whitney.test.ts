/**
 * The Mann-Whitney shift interval (kayenta-judge.md §5), checked against computations written
 * here independently: ranking by a plain sort, and the classic view of the interval as pairwise
 * differences x_i − y_j whose normal-approximation rank matches ±z.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AllObservationsTiedError,
  createShiftStatistic,
  mannWhitneyShiftInterval,
  normalQuantile,
  rankSumOfShifted,
  sortedCopy,
  zeroin,
} from '../../../core/canary/index.ts';

/** Average ranks of `values` by sorting indices: the textbook way, O(n log n) per call. */
function naiveRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end++;
    for (let k = start; k <= end; k++) ranks[order[k]!.index] = (start + 1 + end + 1) / 2;
    start = end + 1;
  }
  return ranks;
}

/** W(d, 0) computed from the definition with the naive ranking: tie- and continuity-corrected z. */
function naiveStatistic(x: readonly number[], y: readonly number[], d: number): number {
  const z = [...x.map((value) => value - d), ...y];
  const ranks = naiveRanks(z);
  const nx = x.length;
  const ny = y.length;
  const rankSum = ranks.slice(0, nx).reduce((sum, rank) => sum + rank, 0);
  const dz = rankSum - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
  const groups = new Map<number, number>();
  for (const rank of ranks) groups.set(rank, (groups.get(rank) ?? 0) + 1);
  const ties = [...groups.values()].reduce((sum, t) => sum + t ** 3 - t, 0);
  const sigma = Math.sqrt(((nx * ny) / 12) * (nx + ny + 1 - ties / ((nx + ny) * (nx + ny - 1))));
  return (dz - Math.sign(dz) * 0.5) / sigma;
}

/** Values on a grid of 1/8 (exact in binary), so ties within and across the samples are common. */
const gridValues = (min: number, max: number) => fc.array(fc.integer({ min: min * 8, max: max * 8 }).map((v) => v / 8), { minLength: 1, maxLength: 25 });

describe('ranking concat(x − d, y) (§5.1 step 1)', () => {
  it('gives the same rank sum and tie term as sorting, for tied data and shifts at pairwise differences', () => {
    fc.assert(
      fc.property(gridValues(-20, 20), gridValues(-20, 20), fc.nat(), (x, y, pick) => {
        // given a shift that is exactly one of the pairwise differences, so x − d ties with y
        const d = x[pick % x.length]! - y[pick % y.length]!;
        // when
        const merged = rankSumOfShifted(sortedCopy(x), sortedCopy(y), d);
        // then
        const ranks = naiveRanks([...x.map((value) => value - d), ...y]);
        expect(merged.rankSum).toBe(ranks.slice(0, x.length).reduce((sum, rank) => sum + rank, 0));
        const groups = new Map<number, number>();
        for (const rank of ranks) groups.set(rank, (groups.get(rank) ?? 0) + 1);
        expect(merged.ties).toBe([...groups.values()].reduce((sum, t) => sum + t ** 3 - t, 0));
      }),
      { numRuns: 300 },
    );
  });

  it('W(d, 0) equals the textbook tie- and continuity-corrected z statistic', () => {
    fc.assert(
      fc.property(gridValues(0, 10), gridValues(0, 10), fc.integer({ min: -80, max: 80 }), (x, y, eighths) => {
        fc.pre(new Set([...x, ...y]).size > 1);
        const d = eighths / 8;
        fc.pre(new Set([...x.map((v) => v - d), ...y]).size > 1);
        const statistic = createShiftStatistic(sortedCopy(x), sortedCopy(y));
        expect(statistic(d, 0)).toBeCloseTo(naiveStatistic(x, y, d), 12);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the confidence interval by test inversion (§5.2)', () => {
  it('clamps to the bracket [min(x) − max(y), max(x) − min(y)] when the sample is too small (reference example)', () => {
    // x = [10, 20, 30, 40], y = [1, 2, 3, 4] → CI [6, 39], estimate 22.5
    const result = mannWhitneyShiftInterval([10, 20, 30, 40], [1, 2, 3, 4], 0.95);
    expect(result).toEqual({ lower: 6, upper: 39, estimate: 22.5 });
  });

  it('uses z = Φ⁻¹(α/2) with α = 1 − confLevel: −2.3263478740408408 at the judge’s 0.98', () => {
    expect(normalQuantile((1 - 0.98) / 2)).toBe(-2.3263478740408408);
    expect(normalQuantile((1 - 0.95) / 2)).toBeCloseTo(-1.95996398454005, 12);
  });

  it('puts each end within the 1e-4 root tolerance of the pairwise difference where the normal-approximation rank crosses ±z', () => {
    // given distinct values in each sample (no ties inside a gap between pairwise differences)
    // (on a grid of 1/1000, so no -0 and no subnormals, whose ties Java's ordering treats apart)
    const sample = fc.uniqueArray(fc.integer({ min: -50_000, max: 50_000 }).map((v) => v / 1000), { minLength: 6, maxLength: 30 });
    fc.assert(
      fc.property(sample, sample, fc.integer({ min: -20_000, max: 20_000 }), (rawX, y, shift) => {
        const x = rawX.map((value) => value + shift / 1000);
        fc.pre(new Set(x).size === x.length);
        const n = x.length;
        const m = y.length;
        // Brute force: all n·m differences, sorted. Between the k-th and (k+1)-th difference,
        // U_x = n·m − k pairs have x_i − d > y_j, so W = (n·m/2 − k ∓ ½)/σ with no ties.
        const differences = x.flatMap((xi) => y.map((yj) => xi - yj)).sort((a, b) => a - b);
        const sigma = Math.sqrt(((n * m) / 12) * (n + m + 1));
        const gapStatistic = (k: number) => {
          const dz = (n * m) / 2 - k;
          return (dz - Math.sign(dz) * 0.5) / sigma;
        };
        const z = -normalQuantile((1 - 0.98) / 2);
        // the first difference after which the statistic is no longer above +z (lower end) or −z (upper end)
        const crossing = (level: number) => {
          for (let k = 1; k <= differences.length; k++) if (gapStatistic(k) - level <= 0) return differences[k - 1]!;
          return differences[differences.length - 1]!;
        };
        fc.pre(gapStatistic(0) - z > 0 && gapStatistic(differences.length) + z < 0); // not clamped
        // when
        const result = mannWhitneyShiftInterval(x, y, 0.98);
        // then
        const lower = crossing(z);
        const upper = crossing(-z);
        expect(Math.abs(result.lower - lower)).toBeLessThanOrEqual(1e-4 + 1e-12 * Math.abs(lower));
        expect(Math.abs(result.upper - upper)).toBeLessThanOrEqual(1e-4 + 1e-12 * Math.abs(upper));
        // The estimate sits where the statistic reaches 0, around the median difference (Hodges–Lehmann).
        const half = (n * m) / 2;
        const below = differences[Math.max(0, Math.ceil(half) - 2)]!;
        const above = differences[Math.min(differences.length - 1, Math.floor(half) + 1)]!;
        expect(result.estimate).toBeGreaterThanOrEqual(below - 1e-4);
        expect(result.estimate).toBeLessThanOrEqual(above + 1e-4);
      }),
      { numRuns: 150 },
    );
  });

  it('scales with the data: doubling both samples doubles the ends, up to the absolute root tolerance', () => {
    const sample = fc.uniqueArray(fc.integer({ min: 1, max: 400 }).map((v) => v / 4), { minLength: 8, maxLength: 25 });
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const once = mannWhitneyShiftInterval(x, y, 0.98);
        const twice = mannWhitneyShiftInterval(x.map((v) => v * 2), y.map((v) => v * 2), 0.98);
        expect(Math.abs(twice.lower - 2 * once.lower)).toBeLessThanOrEqual(3e-4);
        expect(Math.abs(twice.upper - 2 * once.upper)).toBeLessThanOrEqual(3e-4);
      }),
      { numRuns: 60 },
    );
  });

  it('fails with the all-tied error when the two single values meet at the bracket end (§5.3)', () => {
    expect(() => mannWhitneyShiftInterval([5], [3], 0.98)).toThrow(AllObservationsTiedError);
    expect(() => mannWhitneyShiftInterval([0, 0, 0], [5], 0.98)).toThrow('cannot compute confidence interval when all observations are tied');
  });
});

describe('zeroin (§5.4)', () => {
  it('returns a bracket end at once when the function is zero there', () => {
    let calls = 0;
    const f = (value: number) => {
      calls++;
      return value - 1;
    };
    expect(zeroin(f, 1, 3, 0, 2)).toBe(1);
    expect(zeroin(f, -1, 1, -2, 0)).toBe(1);
    expect(calls).toBe(0);
  });

  it('stops within the absolute tolerance of the root of a smooth function', () => {
    const root = zeroin((value) => value * value - 2, 0, 2, -2, 2);
    expect(Math.abs(root - Math.SQRT2)).toBeLessThanOrEqual(1e-4);
  });

  it('lands within the tolerance of the jump of a step function, as it does for W', () => {
    const step = (value: number) => (value < 0.3 ? 1 : -1);
    expect(Math.abs(zeroin(step, -5, 5, 1, -1) - 0.3)).toBeLessThanOrEqual(1e-4);
  });

  it('iterates on a bracket without a sign change and returns its last iterate, without throwing', () => {
    const result = zeroin((value) => value * value + 1, -1, 2, 2, 5, { maxIterations: 50 });
    expect(Number.isFinite(result)).toBe(true);
  });
});
