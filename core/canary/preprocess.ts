/**
 * What the judge does to each side of a metric before comparing: missing values (NaN, null)
 * removed or replaced by 0, then optionally outliers removed with Kayenta's IQR detector.
 */
import { percentileOfSorted, sortedCopy } from './statistics.ts';

export type NanStrategy = 'remove' | 'replace';
export type OutlierStrategy = 'remove' | 'keep';

/** A series as it arrives from a metric source: numbers, with NaN or null where data is missing. */
export type MetricSeries = ReadonlyArray<number | null>;

/** Drops missing values (`remove`) or turns them into 0.0 (`replace`). */
export function handleMissing(series: MetricSeries, strategy: NanStrategy): number[] {
  const out: number[] = [];
  for (const value of series) {
    const missing = value === null || Number.isNaN(value);
    if (!missing) out.push(value);
    else if (strategy === 'replace') out.push(0.0);
  }
  return out;
}

/**
 * The fences of Kayenta's `IQRDetector(factor, reduceSensitivity = true)`: Tukey's fences
 * `P25 − f·IQR` and `P75 + f·IQR`, widened to at least the 1st and 99th percentiles so that
 * at most the most extreme ~1% on each side can ever be an outlier.
 */
export function outlierFences(values: ArrayLike<number>, factor: number): { lower: number; upper: number } | undefined {
  if (values.length === 0) return undefined;
  const sorted = sortedCopy(values);
  const p25 = percentileOfSorted(sorted, 25);
  const p75 = percentileOfSorted(sorted, 75);
  const iqr = p75 - p25;
  return {
    lower: Math.min(percentileOfSorted(sorted, 1), p25 - factor * iqr),
    upper: Math.max(percentileOfSorted(sorted, 99), p75 + factor * iqr),
  };
}

/** Removes values strictly outside the fences, keeping the order of the rest. */
export function removeOutliers(values: readonly number[], factor: number): number[] {
  const fences = outlierFences(values, factor);
  if (fences === undefined) return [...values];
  return values.filter((value) => !(value > fences.upper || value < fences.lower));
}
