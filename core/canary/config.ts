/**
 * Kayenta canary configs, in Kayenta's own JSON (what its `/canaryConfig` API and Deck's editor
 * store), so teams bring theirs unchanged. Parsed once at the edge into typed values with
 * Kayenta's defaults applied; unknown fields are kept in `raw`, and a metric's `query` is opaque
 * here (metric sources read it).
 *
 * One deliberate difference: where Kayenta silently reads an unknown `direction`,
 * `nanStrategy`, `outliers.strategy` or `effectSize.measure` as the default, Gennaker reports
 * an error, because a typo there quietly changes what a canary catches. Kayenta's own default
 * spelling `"none"` is still accepted for the two strategies.
 */
import { z } from 'zod';
import type { ValidationIssue } from '../issues.ts';
import { hasErrors, pointerJoin, showValue } from '../issues.ts';
import { anyText, flag, oneOf, optional, text, textList, withDefault } from '../pipeline/fields.ts';
import { issuesFromZod, safeParse } from '../pipeline/zod-issues.ts';
import type { NanStrategy, OutlierStrategy } from './preprocess.ts';

/** The one judge Gennaker implements, by Kayenta's name for it. */
export const NETFLIX_ACA_JUDGE = 'NetflixACAJudge-v1.0';

export type Direction = 'increase' | 'decrease' | 'either';
export type EffectSizeMeasure = 'meanRatio' | 'cles';

export interface EffectSizeConfig {
  readonly measure: EffectSizeMeasure;
  /** A High needs the effect size at or above this (meanRatio default 1.0, cles 0.5). */
  readonly allowedIncrease: number;
  /** A Low needs the effect size at or below this. */
  readonly allowedDecrease: number;
  /** A critical metric's High fails the canary only at or above this. */
  readonly criticalIncrease: number;
  /** A critical metric's Low fails the canary only at or below this. */
  readonly criticalDecrease: number;
}

/** `analysisConfigurations.canary` with Kayenta's defaults filled in. */
export interface MetricAnalysisConfig {
  readonly direction: Direction;
  readonly nanStrategy: NanStrategy;
  readonly critical: boolean;
  readonly mustHaveData: boolean;
  /** Classified and reported, but left out of every score rule. */
  readonly muted: boolean;
  readonly effectSize: EffectSizeConfig;
  readonly outliers: { readonly strategy: OutlierStrategy; readonly outlierFactor: number };
}

export interface CanaryMetricConfig {
  readonly name: string;
  /** The metric source's query, untouched. */
  readonly query: unknown;
  readonly groups: readonly string[];
  readonly scopeName: string;
  readonly analysis: MetricAnalysisConfig;
}

/** Score thresholds: a score ≥ pass is "Pass", ≥ marginal "Marginal", otherwise "Fail". */
export interface ScoreThresholds {
  readonly marginal: number;
  readonly pass: number;
}

/** Orca's defaults for a `kayentaCanary` stage without `scoreThresholds`. */
export const DEFAULT_SCORE_THRESHOLDS: ScoreThresholds = { marginal: 50, pass: 75 };

export interface CanaryConfig {
  readonly name?: string;
  readonly judgeName: string;
  readonly metrics: readonly CanaryMetricConfig[];
  /** Group weights in percent as configured; groups not listed share what is left of 100. */
  readonly groupWeights: Readonly<Record<string, number>>;
  readonly scoreThresholds?: ScoreThresholds;
  /** The document as given, unknown fields included. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface CanaryConfigParse {
  /** Undefined iff some issue has severity 'error'. */
  readonly config: CanaryConfig | undefined;
  readonly issues: ValidationIssue[];
}

/** A finite JSON number (Kayenta reads these as doubles and refuses strings). */
function finiteNumber(what: string, min?: number) {
  return z.unknown().transform((input, ctx) => {
    if (typeof input !== 'number' || !Number.isFinite(input)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'number', input, message: input == null ? `add ${what}` : `expected ${what} (a number), got ${showValue(input)}` });
      return z.NEVER;
    }
    if (min !== undefined && input < min) {
      ctx.issues.push({ code: 'custom', input, message: `expected ${what} of at least ${min}, got ${input}` });
      return z.NEVER;
    }
    return input;
  });
}

const effectSizeSchema = z
  .looseObject({
    measure: withDefault(oneOf(['meanRatio', 'cles'], 'the effect size measure'), 'meanRatio'),
    allowedIncrease: optional(finiteNumber('the smallest effect size that counts as an increase, e.g. 1.1')),
    allowedDecrease: optional(finiteNumber('the largest effect size that counts as a decrease, e.g. 0.9')),
    criticalIncrease: optional(finiteNumber('the effect size at which a critical metric fails the canary, e.g. 1.5')),
    criticalDecrease: optional(finiteNumber('the effect size at which a critical metric fails the canary, e.g. 0.5')),
  })
  .transform((value): EffectSizeConfig => {
    // CLES lives in [0, 1] around 0.5; the mean ratio around 1.0.
    const neutral = value.measure === 'cles' ? 0.5 : 1.0;
    return {
      measure: value.measure,
      allowedIncrease: value.allowedIncrease ?? neutral,
      allowedDecrease: value.allowedDecrease ?? neutral,
      criticalIncrease: value.criticalIncrease ?? neutral,
      criticalDecrease: value.criticalDecrease ?? neutral,
    };
  });

const analysisSchema = z
  .looseObject({
    direction: withDefault(oneOf(['increase', 'decrease', 'either'], 'the direction that counts as a problem'), 'either'),
    nanStrategy: withDefault(oneOf(['remove', 'replace', 'none'], 'what to do with missing values'), 'none'),
    critical: withDefault(flag(), false),
    mustHaveData: withDefault(flag(), false),
    muted: withDefault(flag(), false),
    effectSize: withDefault(effectSizeSchema, {}),
    outliers: withDefault(
      z.looseObject({
        strategy: withDefault(oneOf(['remove', 'keep', 'none'], 'what to do with outliers'), 'none'),
        outlierFactor: withDefault(finiteNumber('the IQR factor of the outlier fences, e.g. 3.0', 0), 3.0),
      }),
      {},
    ),
  })
  .transform((value): MetricAnalysisConfig => ({
    direction: value.direction,
    nanStrategy: value.nanStrategy === 'replace' ? 'replace' : 'remove',
    critical: value.critical,
    mustHaveData: value.mustHaveData,
    muted: value.muted,
    effectSize: value.effectSize,
    outliers: { strategy: value.outliers.strategy === 'remove' ? 'remove' : 'keep', outlierFactor: value.outliers.outlierFactor },
  }));

const metricSchema = z.looseObject(
  {
    name: text("the metric's name, e.g. 'error-rate'"),
    query: z.unknown().optional(),
    groups: withDefault(textList('group names'), []),
    scopeName: withDefault(anyText('the scope name'), 'default'),
    analysisConfigurations: withDefault(z.looseObject({ canary: withDefault(analysisSchema, {}) }), {}),
  },
  { error: (issue) => `expected a metric {"name": ..., "query": ..., "groups": [...]}, got ${showValue(issue.input)}` },
);

const thresholdsSchema = z.looseObject({
  marginal: finiteNumber('the marginal score threshold, e.g. 50', 0),
  pass: finiteNumber('the pass score threshold, e.g. 75', 0),
});

const configSchema = z.looseObject(
  {
    name: optional(anyText('the config name')),
    judge: optional(z.looseObject({ name: withDefault(anyText('the judge name'), NETFLIX_ACA_JUDGE) })),
    metrics: z.array(metricSchema, { error: (issue) => (issue.input == null ? 'add the metrics to judge (a list)' : `expected a list of metrics, got ${showValue(issue.input)}`) }),
    classifier: optional(
      z.looseObject({
        groupWeights: optional(z.record(z.string(), finiteNumber('a group weight in percent, e.g. 50', 0), { error: (issue) => `expected group weights {"group": percent, ...}, got ${showValue(issue.input)}` })),
        scoreThresholds: optional(thresholdsSchema),
      }),
    ),
  },
  { error: (issue) => `expected a Kayenta canary config (an object with "metrics"), got ${showValue(issue.input)}` },
);

/**
 * Parses a Kayenta canary config. Never throws on input: every problem comes back as an issue
 * with a JSON pointer, the bad value and the fix. Warnings flag configs that Kayenta accepts
 * but that probably do not score as their author expects.
 */
export function parseCanaryConfig(input: unknown, options: { readonly pointer?: string } = {}): CanaryConfigParse {
  const base = options.pointer ?? '';
  const parsed = safeParse(configSchema, input);
  if (!parsed.success) return { config: undefined, issues: issuesFromZod(parsed.error, input, base) };
  const data = parsed.data;
  const issues: ValidationIssue[] = [];
  const judgeName = data.judge?.name || NETFLIX_ACA_JUDGE;
  if (judgeName !== NETFLIX_ACA_JUDGE) {
    issues.push({
      pointer: pointerJoin(base, 'judge', 'name'),
      code: 'invalid-value',
      severity: 'error',
      value: judgeName,
      message: `judge ${showValue(judgeName)} is not supported yet; set it to '${NETFLIX_ACA_JUDGE}' (or leave it out)`,
    });
  }
  if (data.metrics.length === 0) {
    issues.push({ pointer: pointerJoin(base, 'metrics'), code: 'invalid-value', severity: 'error', value: [], message: 'expected at least one metric to judge, got an empty list' });
  }
  const firstIndex = new Map<string, number>();
  data.metrics.forEach((metric, index) => {
    const earlier = firstIndex.get(metric.name);
    if (earlier !== undefined) {
      issues.push({
        pointer: pointerJoin(base, 'metrics', index, 'name'),
        code: 'invalid-value',
        severity: 'error',
        value: metric.name,
        message: `metric name '${metric.name}' is also used by metrics/${earlier}; give each metric its own name (the judge finds a metric's settings by name)`,
      });
    } else firstIndex.set(metric.name, index);
    if (metric.groups.length === 0) {
      issues.push({
        pointer: pointerJoin(base, 'metrics', index, 'groups'),
        code: 'invalid-value',
        severity: 'warning',
        message: `metric '${metric.name}' is in no group, so it never counts toward the score; add a group, e.g. ["latency"]`,
      });
    }
  });

  const groupWeights = data.classifier?.groupWeights ?? {};
  const groups = new Set(data.metrics.flatMap((metric) => metric.groups));
  for (const group of Object.keys(groupWeights)) {
    if (!groups.has(group)) {
      issues.push({
        pointer: pointerJoin(base, 'classifier', 'groupWeights', group),
        code: 'invalid-value',
        severity: 'warning',
        value: groupWeights[group],
        message: `group '${group}' has a weight but no metric; its ${groupWeights[group]}% can never be earned (groups: ${[...groups].join(', ') || 'none'})`,
      });
    }
  }
  const total = Object.values(groupWeights).reduce((sum, weight) => sum + weight, 0);
  const unweighted = [...groups].filter((group) => !(group in groupWeights));
  const weightProblem =
    Object.keys(groupWeights).length === 0 ? undefined
    : unweighted.length === 0 && total !== 100 ? `scores are not normalised, so a perfect canary scores ${total}`
    : unweighted.length > 0 && total >= 100 ? `nothing is left for the groups without a weight (${unweighted.join(', ')})`
    : undefined;
  if (weightProblem) {
    issues.push({
      pointer: pointerJoin(base, 'classifier', 'groupWeights'),
      code: 'invalid-value',
      severity: 'warning',
      value: groupWeights,
      message: `group weights add up to ${total}: ${weightProblem}; make all weights add up to 100`,
    });
  }
  const thresholds = data.classifier?.scoreThresholds;
  if (thresholds && thresholds.marginal > thresholds.pass) {
    issues.push({
      pointer: pointerJoin(base, 'classifier', 'scoreThresholds', 'marginal'),
      code: 'invalid-value',
      severity: 'error',
      value: thresholds.marginal,
      message: `marginal threshold ${thresholds.marginal} is above the pass threshold ${thresholds.pass}; use marginal ≤ pass, e.g. 50 and 75`,
    });
  }
  if (hasErrors(issues)) return { config: undefined, issues };

  const raw = input as Record<string, unknown>;
  return {
    config: {
      ...(data.name !== undefined ? { name: data.name } : {}),
      judgeName,
      metrics: data.metrics.map((metric) => ({
        name: metric.name,
        query: metric.query,
        groups: metric.groups,
        scopeName: metric.scopeName,
        analysis: metric.analysisConfigurations.canary,
      })),
      groupWeights,
      ...(thresholds ? { scoreThresholds: { marginal: thresholds.marginal, pass: thresholds.pass } } : {}),
      raw,
    },
    issues,
  };
}
