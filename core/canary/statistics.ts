/**
 * The descriptive statistics the judge reports and decides with. Each follows the arithmetic of
 * the library Kayenta calls (Commons Math 3), operation for operation, because the judge's
 * decisions can hinge on the last bits of a mean (a ratio of exactly 1.0, a mean of exactly 0).
 */

/** A metric side's summary as Kayenta reports it in `controlMetadata.stats` (plus the median). */
export interface MetricStats {
  readonly count: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly median: number;
}

/**
 * The mean as Commons Math computes it: sum/n, then corrected by the mean residual (a second
 * pass), which makes `mean([a, a, a]) === a` hold where a plain sum/n may not. NaN when empty.
 */
export function mean(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const average = sum / n;
  let correction = 0;
  for (let i = 0; i < n; i++) correction += values[i]! - average;
  return average + correction / n;
}

/** Sample standard deviation (n − 1), two-pass with Commons Math's rounding-error correction; 0 for n ≤ 1. */
export function standardDeviation(values: ArrayLike<number>): number {
  const n = values.length;
  if (n <= 1) return 0;
  const m = mean(values);
  let squares = 0;
  let residual = 0;
  for (let i = 0; i < n; i++) {
    const deviation = values[i]! - m;
    squares += deviation * deviation;
    residual += deviation;
  }
  return Math.sqrt((squares - (residual * residual) / n) / (n - 1));
}

/** Sorts a copy ascending; -0 sorts before +0 (Java's `Double.compare` order, which Kayenta ranks by). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values as ArrayLike<number>).sort();
}

/**
 * The p-th percentile (0 < p ≤ 100) of already sorted values, estimated like R's type 7 (numpy's
 * "linear", Commons Math `EstimationType.R_7`): position `(p/100)(n−1) + 1` (1-based), linear
 * interpolation between its neighbours. NaN when empty; the single value when n = 1.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return sorted[0]!;
  const quantile = p / 100;
  const position = quantile === 1 ? n : quantile * (n - 1) + 1;
  if (position < 1) return sorted[0]!;
  if (position >= n) return sorted[n - 1]!;
  const floor = Math.floor(position);
  const lower = sorted[floor - 1]!;
  const upper = sorted[floor]!;
  return lower + (position - floor) * (upper - lower);
}

/** Kayenta's `DescriptiveStatistics.summary` (all zeros when empty), plus the median. */
export function summarize(values: ArrayLike<number>): MetricStats {
  if (values.length === 0) return { count: 0, mean: 0, std: 0, min: 0, max: 0, median: 0 };
  const sorted = sortedCopy(values);
  return {
    count: values.length,
    mean: mean(values),
    std: standardDeviation(values),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    median: percentileOfSorted(sorted, 50),
  };
}

/**
 * Rounds half away from zero to `digits` decimals on the value's shortest decimal form, as
 * Commons Math's `Precision.round` does through `BigDecimal(Double.toString(x))`: 0.125 → 0.13
 * and 33.335 → 33.34, where binary rounding would give 0.12 and 33.33.
 */
export function roundHalfUp(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const text = String(Math.abs(value));
  if (text.includes('e')) {
    // Below 1e-6 or above 1e21: far from any rounding boundary that matters for a score.
    const scale = 10 ** digits;
    return Math.sign(value) * (Math.round(Math.abs(value) * scale) / scale);
  }
  const [whole, fraction = ''] = text.split('.') as [string, string?];
  if (fraction.length <= digits) return value;
  let scaled = BigInt(whole + fraction.slice(0, digits));
  if (fraction.charCodeAt(digits) >= '5'.charCodeAt(0)) scaled += 1n;
  const rounded = Number(scaled) / 10 ** digits;
  return value < 0 ? -rounded : rounded;
}

/**
 * Φ⁻¹(p), the standard normal quantile, to within an ulp or two. Starts from Abramowitz and
 * Stegun 26.2.23 (error < 5e-4) and refines by Newton steps on an accurate tail probability:
 * a power series near the centre, the Laplace continued fraction of the Mills ratio in the tails.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  // Work in the lower tail: Φ⁻¹(p) = −Φ⁻¹(1 − p), and q = min(p, 1 − p) is exact for p > 0.5.
  const lower = p < 0.5;
  const q = lower ? p : 1 - p;
  const t = Math.sqrt(-2 * Math.log(q));
  let x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let step = 0; step < 8; step++) {
    const next = x - (lowerTail(x) - q) / normalDensity(x);
    if (next === x) break;
    x = next;
  }
  return lower ? x : -x;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

function normalDensity(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** Φ(x) for x ≤ 0, to a few ulps relative. */
function lowerTail(x: number): number {
  const t = -x;
  if (t < 1.5) {
    // Φ(x) = ½ − φ(t)·(t + t³/3 + t⁵/(3·5) + …): positive terms, no cancellation in the sum.
    let term = t;
    let sum = t;
    for (let k = 3; term > sum * 1e-17; k += 2) {
      term *= (t * t) / k;
      sum += term;
    }
    return 0.5 - normalDensity(t) * sum;
  }
  // Φ(−t) = φ(t) / (t + 1/(t + 2/(t + 3/(t + …)))), evaluated from the back.
  let fraction = t;
  for (let k = 400; k >= 1; k--) fraction = t + k / fraction;
  return normalDensity(t) / fraction;
}
