/**
 * Scoring one judgement from its metric verdicts (kayenta-judge.md §8): group scores, the
 * critical and Nodata rules, the weighted sum and its classification by the thresholds.
 */
import type { ScoreThresholds } from './config.ts';
import type { MetricClassification } from './classify.ts';
import { roundHalfUp } from './statistics.ts';

/** What scoring needs of a metric result. */
export interface ScoredMetric {
  readonly classification: MetricClassification;
  readonly classificationReason: string | null;
  readonly groups: readonly string[];
  readonly critical: boolean;
  readonly muted?: boolean;
}

export interface GroupScore {
  readonly name: string;
  /** 100 × Pass / (Pass + High + Low + NodataFailMetric); 0 for a group with none of those. */
  readonly score: number;
  /** Only Nodata and Error verdicts: reported as 0, counted as 100 in the summary. */
  readonly noData: boolean;
}

export type ScoreClassification = 'Pass' | 'Marginal' | 'Fail';

export interface SummaryScore {
  readonly score: number;
  readonly classification: ScoreClassification;
  /** Why the canary failed outright ('' otherwise). */
  readonly classificationReason: string;
}

/** Group scores in order of first appearance, muted metrics left out. */
export function scoreGroups(results: readonly ScoredMetric[]): GroupScore[] {
  const labels = new Map<string, MetricClassification[]>();
  for (const result of results) {
    if (result.muted) continue;
    for (const group of result.groups) {
      const list = labels.get(group) ?? [];
      list.push(result.classification);
      labels.set(group, list);
    }
  }
  return [...labels].map(([name, classifications]) => {
    const count = (label: MetricClassification) => classifications.filter((value) => value === label).length;
    const pass = count('Pass');
    const total = pass + count('High') + count('Low') + count('NodataFailMetric');
    return total === 0 ? { name, score: 0.0, noData: true } : { name, score: (pass / total) * 100, noData: false };
  });
}

/**
 * The summary score: 0 when a critical metric did not pass or when half or more of the metrics
 * are Nodata; otherwise Σ group score × weight/100, where groups without a configured weight
 * share what the configured weights leave of 100 (no normalisation), rounded half up to 2 decimals.
 */
export function scoreSummary(
  results: readonly ScoredMetric[],
  groupScores: readonly GroupScore[],
  groupWeights: Readonly<Record<string, number>>,
  thresholds: ScoreThresholds,
): SummaryScore {
  const counted = results.filter((result) => !result.muted);
  const criticalFailure = counted.find((result) => result.critical && result.classification !== 'Pass');
  let score: number;
  let reason = '';
  if (criticalFailure) {
    score = 0.0;
    reason = `Canary Failed: ${criticalFailure.classificationReason ?? ''}`;
  } else if ((counted.filter((result) => result.classification === 'Nodata').length / counted.length) * 100 >= 50) {
    // 0/0 is NaN for an empty list, and NaN ≥ 50 is false: no results is not "too much Nodata".
    score = 0.0;
    reason = 'Canary Failed: 50% or more metrics returned NODATA';
  } else {
    const weighted = Object.keys(groupWeights);
    const configuredTotal = weighted.reduce((sum, group) => sum + groupWeights[group]!, 0);
    const unweighted = groupScores.filter((group) => !Object.prototype.hasOwnProperty.call(groupWeights, group.name));
    const sharedWeight = unweighted.length > 0 ? (100 - configuredTotal) / unweighted.length : 0.0;
    let sum = 0.0;
    for (const group of groupScores) {
      const weight = Object.prototype.hasOwnProperty.call(groupWeights, group.name) ? groupWeights[group.name]! : sharedWeight;
      sum += (group.noData ? 100 : group.score) * (weight / 100);
    }
    score = roundHalfUp(sum, 2);
  }
  return { score, classification: classifyScore(score, thresholds), classificationReason: reason };
}

/** score ≥ pass → Pass; score ≥ marginal → Marginal; otherwise Fail. */
export function classifyScore(score: number, thresholds: ScoreThresholds): ScoreClassification {
  if (score >= thresholds.pass) return 'Pass';
  if (score >= thresholds.marginal) return 'Marginal';
  return 'Fail';
}
