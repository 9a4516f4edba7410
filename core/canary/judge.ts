/**
 * NetflixACAJudge-v1.0: one judgement of a canary from metric series of the control (baseline)
 * and the experiment (canary), in Kayenta's result shape. Pure: the only randomness (the noise
 * step for two constant sides) comes from `options.random`, seeded by default, so the same
 * input always gives the same result. Callers judging over intervals call this once per
 * interval with that interval's series.
 */
import type { CanaryConfig, CanaryMetricConfig, ScoreThresholds } from './config.ts';
import { NETFLIX_ACA_JUDGE } from './config.ts';
import { classifyMetric, JUDGE_SETTINGS, type ClassifierSettings, type MetricClassification } from './classify.ts';
import { handleMissing, removeOutliers, type MetricSeries } from './preprocess.ts';
import { createSeededRandom, type RandomSource } from './random.ts';
import { scoreGroups, scoreSummary, type ScoreClassification } from './scoring.ts';
import { summarize, type MetricStats } from './statistics.ts';

/** One metric's series for one judgement; `name` selects the metric's settings in the config. */
export interface MetricSeriesPair {
  readonly name: string;
  readonly id?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly control: MetricSeries;
  readonly experiment: MetricSeries;
}

/** Kayenta's `CanaryAnalysisResult`, one per metric series pair. */
export interface CanaryAnalysisResult {
  readonly name: string;
  readonly id?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly classification: MetricClassification;
  readonly classificationReason: string | null;
  readonly groups: readonly string[];
  readonly experimentMetadata: { readonly stats: MetricStats };
  readonly controlMetadata: { readonly stats: MetricStats };
  /**
   * `ratio` as in Kayenta; Gennaker adds the interval and estimate of experiment − control when
   * the rank test ran, and `noiseAdded` when both sides were constant. Absent for Error.
   */
  readonly resultMetadata?: {
    readonly ratio: number;
    readonly confidenceInterval?: { readonly lower: number; readonly upper: number };
    readonly estimate?: number;
    readonly noiseAdded?: boolean;
  };
  readonly critical: boolean;
  readonly muted?: boolean;
}

/** A group's score; Kayenta leaves group classifications empty. */
export interface CanaryJudgeGroupScore {
  readonly name: string;
  readonly score: number;
  readonly classification: '';
  readonly classificationReason: '';
}

export interface CanaryJudgeScore {
  readonly score: number;
  readonly classification: ScoreClassification;
  readonly classificationReason: string;
}

/** Kayenta's `CanaryJudgeResult`. */
export interface CanaryJudgeResult {
  readonly judgeName: string;
  readonly results: readonly CanaryAnalysisResult[];
  readonly groupScores: readonly CanaryJudgeGroupScore[];
  readonly score: CanaryJudgeScore;
}

export interface JudgeOptions {
  readonly thresholds: ScoreThresholds;
  /** Feeds the noise step only. @default createSeededRandom(0) */
  readonly random?: RandomSource;
  /** @default JUDGE_SETTINGS (tolerance 0.25, confLevel 0.98), as NetflixACAJudge-v1.0 hard-codes */
  readonly settings?: ClassifierSettings;
}

/**
 * Judges one interval. Every pair must name a metric of the config (as in Kayenta, several
 * pairs may share one metric, e.g. one per tag combination); an unknown name is a caller bug
 * and throws a RangeError (`parseMetricData` reports it as an issue first).
 */
export function judgeCanary(config: CanaryConfig, pairs: readonly MetricSeriesPair[], options: JudgeOptions): CanaryJudgeResult {
  const random = options.random ?? createSeededRandom(0);
  const byName = new Map(config.metrics.map((metric) => [metric.name, metric]));
  const results = pairs.map((pair) => {
    const metric = byName.get(pair.name);
    if (!metric) throw new RangeError(`no metric named '${pair.name}' in the canary config (metrics: ${[...byName.keys()].join(', ')})`);
    return judgeMetric(metric, pair, random, options.settings);
  });
  const groups = scoreGroups(results);
  const summary = scoreSummary(results, groups, config.groupWeights, options.thresholds);
  return {
    judgeName: NETFLIX_ACA_JUDGE,
    results,
    groupScores: groups.map((group) => ({ name: group.name, score: group.score, classification: '', classificationReason: '' })),
    score: summary,
  };
}

/** One metric: missing values, then outliers, per side; statistics; classification. */
export function judgeMetric(
  metric: CanaryMetricConfig,
  pair: MetricSeriesPair,
  random: RandomSource,
  settings: ClassifierSettings = JUDGE_SETTINGS,
): CanaryAnalysisResult {
  const { analysis } = metric;
  const transform = (series: MetricSeries) => {
    const present = handleMissing(series, analysis.nanStrategy);
    return analysis.outliers.strategy === 'remove' ? removeOutliers(present, analysis.outliers.outlierFactor) : present;
  };
  const experiment = transform(pair.experiment);
  const control = transform(pair.control);
  const verdict = classifyMetric(metric.name, control, experiment, analysis, random, settings);
  const resultMetadata =
    verdict.ratio === undefined
      ? undefined
      : {
          ratio: verdict.ratio,
          ...(verdict.interval ? { confidenceInterval: { lower: verdict.interval.lower, upper: verdict.interval.upper }, estimate: verdict.interval.estimate } : {}),
          ...(verdict.noiseAdded ? { noiseAdded: true } : {}),
        };
  return {
    name: pair.name,
    ...(pair.id !== undefined ? { id: pair.id } : {}),
    ...(pair.tags !== undefined ? { tags: pair.tags } : {}),
    classification: verdict.classification,
    classificationReason: verdict.reason,
    groups: metric.groups,
    experimentMetadata: { stats: summarize(experiment) },
    controlMetadata: { stats: summarize(control) },
    ...(resultMetadata ? { resultMetadata } : {}),
    critical: verdict.critical,
    ...(analysis.muted ? { muted: true } : {}),
  };
}

/**
 * JSON text of a judge result as Kayenta's Jackson writes it: NaN and infinities as the strings
 * "NaN", "Infinity", "-Infinity" (JSON has no such numbers; `JSON.stringify` would print null).
 */
export function stringifyJudgeResult(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isFinite(item) ? String(item) : item), indent);
}
