/**
 * One metric's verdict: Kayenta's `MannWhitneyClassifier.classify` and the judge's error
 * handling around it, step for step in Kayenta's order (kayenta-judge.md §4). The input sides
 * are already pre-processed (missing values and outliers handled).
 */
import type { Direction, MetricAnalysisConfig } from './config.ts';
import { commonLanguageEffectSize, meanRatio } from './effect-size.ts';
import { AllObservationsTiedError, mannWhitneyShiftInterval, type ShiftInterval } from './mann-whitney.ts';
import { createGaussian, type RandomSource } from './random.ts';
import { sortedCopy } from './statistics.ts';

/** Kayenta's labels, spelled as its Scala objects are named. */
export type MetricClassification = 'Pass' | 'High' | 'Low' | 'Nodata' | 'NodataFailMetric' | 'Error';

/** The fixed settings of NetflixACAJudge-v1.0 (not configurable there either). */
export const JUDGE_SETTINGS = { tolerance: 0.25, confLevel: 0.98 } as const;

export interface ClassifierSettings {
  /** Half-width of the dead band around zero, as a fraction of |estimate|. */
  readonly tolerance: number;
  readonly confLevel: number;
}

export interface MetricComparison {
  readonly classification: MetricClassification;
  readonly reason: string | null;
  /** mean(experiment)/mean(control) (NaN for a zero mean); 1.0 without a test; absent for Error. */
  readonly ratio?: number;
  readonly critical: boolean;
  /** The Mann-Whitney interval and estimate of experiment − control, when the test ran. */
  readonly interval?: ShiftInterval;
  readonly effectSize?: number;
  /** True when both sides were constant and got Kayenta's tiny Gaussian noise (§4 step 4). */
  readonly noiseAdded?: boolean;
}

/**
 * Classifies a metric from its pre-processed sides. `random` feeds the noise step only. Never
 * throws for data: the all-tied failure of the rank test becomes an `Error` classification,
 * as Kayenta's judge catches it.
 */
export function classifyMetric(
  name: string,
  control: readonly number[],
  experiment: readonly number[],
  analysis: MetricAnalysisConfig,
  random: RandomSource,
  settings: ClassifierSettings = JUDGE_SETTINGS,
): MetricComparison {
  try {
    return compare(name, control, experiment, analysis, random, settings);
  } catch (error) {
    if (error instanceof AllObservationsTiedError) {
      return { classification: 'Error', reason: 'Metric Classification Failed', critical: false };
    }
    throw error;
  }
}

function compare(
  name: string,
  control: readonly number[],
  experiment: readonly number[],
  analysis: MetricAnalysisConfig,
  random: RandomSource,
  settings: ClassifierSettings,
): MetricComparison {
  // 1. No data on a side.
  if (experiment.length === 0 || control.length === 0) {
    if (analysis.nanStrategy === 'replace') return { classification: 'Pass', reason: null, ratio: 1.0, critical: false };
    if (analysis.mustHaveData && !analysis.critical) {
      return { classification: 'NodataFailMetric', reason: `Missing data for ${name}`, ratio: 1.0, critical: false };
    }
    return { classification: 'Nodata', reason: `Missing data for ${name}`, ratio: 1.0, critical: analysis.critical };
  }
  const sortedExperiment = sortedCopy(experiment);
  const sortedControl = sortedCopy(control);
  // 2. The same multiset of values.
  if (sameValues(sortedExperiment, sortedControl)) {
    return { classification: 'Pass', reason: 'The Canary and Baseline data are identical', ratio: 1.0, critical: false };
  }
  const experimentConstant = distinctCount(sortedExperiment) === 1;
  const controlConstant = distinctCount(sortedControl) === 1;
  // 3. One value overall, on sides of different lengths.
  if (experimentConstant && controlConstant && sortedExperiment[0] === sortedControl[0]) {
    return { classification: 'Pass', reason: null, ratio: 1.0, critical: false };
  }
  // 4. Two different constants: jitter both so the ranks are not all tied.
  let x: readonly number[] = experiment;
  let y: readonly number[] = control;
  const noiseAdded = experimentConstant && controlConstant;
  if (noiseAdded) {
    const gaussian = createGaussian(random);
    x = addNoise(experiment, gaussian);
    y = addNoise(control, gaussian);
  }
  // 5. The interval and estimate of the shift x − y.
  const interval = mannWhitneyShiftInterval(x, y, settings.confLevel);
  // 6. The dead band around zero.
  const band = settings.tolerance * Math.abs(interval.estimate);
  const lowerBound = -band;
  const upperBound = band;
  // 7. Effect size (gates the decision) and the ratio (reported).
  const ratio = meanRatio(y, x);
  const effectSize = analysis.effectSize.measure === 'cles' ? commonLanguageEffectSize(y, x) : ratio;
  const noEffectSize = Number.isNaN(effectSize);
  // 8. High, Low or Pass: strict on the interval, inclusive on the effect size.
  const { allowedIncrease, allowedDecrease, criticalIncrease, criticalDecrease } = analysis.effectSize;
  const isHigh = watchesIncrease(analysis.direction) && interval.lower > upperBound && (noEffectSize || effectSize >= allowedIncrease);
  const isLow = watchesDecrease(analysis.direction) && interval.upper < lowerBound && (noEffectSize || effectSize <= allowedDecrease);
  const details = { ratio, interval, effectSize, ...(noiseAdded ? { noiseAdded } : {}) };
  if (!isHigh && !isLow) return { classification: 'Pass', reason: null, critical: false, ...details };
  const classification = isHigh ? 'High' : 'Low';
  // 9. A critical metric fails the canary only when its effect size reaches the critical threshold.
  const critical =
    analysis.critical && (isHigh ? noEffectSize || effectSize >= criticalIncrease : noEffectSize || effectSize <= criticalDecrease);
  const reason = critical ? `The metric ${name} was classified as ${classification} (Critical)` : `${name} was classified as ${classification}`;
  return { classification, reason, critical, ...details };
}

function watchesIncrease(direction: Direction): boolean {
  return direction === 'increase' || direction === 'either';
}

function watchesDecrease(direction: Direction): boolean {
  return direction === 'decrease' || direction === 'either';
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function distinctCount(sorted: Float64Array): number {
  let count = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) count++;
  return count;
}

/** x + N(0, (x₀·1e-5)²) for a constant side x₀; a side of zeros stays as it is. */
function addNoise(values: readonly number[], gaussian: () => number): number[] {
  const scale = values[0]! * 1e-5;
  if (scale === 0) return [...values];
  return values.map((value) => value + gaussian() * scale);
}
