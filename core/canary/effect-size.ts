/**
 * Effect sizes of experiment against control, as Kayenta's judge measures them. The effect size
 * gates a High or Low found by the rank test (and decides whether a critical metric fails the
 * canary); the mean ratio is also what every result reports as `resultMetadata.ratio`.
 */
import { rankSumOfShifted } from './mann-whitney.ts';
import { mean, sortedCopy } from './statistics.ts';

/**
 * mean(experiment) / mean(control); NaN when either mean is exactly 0 (or a side is empty).
 * For negative-valued metrics the ratio points the other way (−8 vs −10 → 0.8), as in Kayenta.
 */
export function meanRatio(control: ArrayLike<number>, experiment: ArrayLike<number>): number {
  const controlMean = mean(control);
  const experimentMean = mean(experiment);
  if (controlMean === 0 || experimentMean === 0 || Number.isNaN(controlMean) || Number.isNaN(experimentMean)) return Number.NaN;
  return experimentMean / controlMean;
}

/**
 * The common-language effect size P(X > Y) + ½·P(X = Y), X from the experiment, Y from the
 * control: `(2·R₁ − m(m+1)) / (2·n·m)` with R₁ the experiment's rank sum among all values.
 */
export function commonLanguageEffectSize(control: ArrayLike<number>, experiment: ArrayLike<number>): number {
  const m = experiment.length;
  const n = control.length;
  const { rankSum } = rankSumOfShifted(sortedCopy(experiment), sortedCopy(control), 0);
  return (2 * rankSum - m * (m + 1)) / (2 * n * m);
}
