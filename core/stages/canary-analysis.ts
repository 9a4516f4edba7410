/**
 * Canary analysis over intervals, shared by the `kayentaCanary` stage and the deploy stage's
 * `canary` strategy: Orca's schedule and decisions (core/canary/analysis.ts), the metric sources
 * (core/ports/metric-source.ts) and the judge (core/canary/judge.ts), written in the agreed
 * result shape (core/canary/run-model.ts).
 *
 * One call advances the analysis as far as the clock allows: it judges every interval whose
 * window has ended (a retrospective analysis judges them all at once), stopping at the first
 * decisive score, and otherwise answers how long to wait for the next window's end. The
 * outputs so far are the state: each call is handed the previous ones and returns them grown.
 */
import { decideAfterInterval, planCanaryIntervals, type CanaryIntervalWindow, type CanaryTiming } from '../canary/analysis.ts';
import type { CanaryConfig, ScoreThresholds } from '../canary/config.ts';
import { judgeCanary, type CanaryAnalysisResult, type MetricSeriesPair } from '../canary/judge.ts';
import { createSeededRandom } from '../canary/random.ts';
import type { CanaryIntervalSummary, CanaryMetricSide, CanaryMetricSummary, CanaryRunOutputs } from '../canary/run-model.ts';
import { parseMetricQuery } from '../metrics/query.ts';
import type { MetricStats } from '../canary/statistics.ts';
import type { MetricFetchResult, MetricScope, MetricSourceLookup, MetricToFetch } from '../ports/metric-source.ts';

/** The scopes judged: the baseline (control) and the canary (experiment). */
export interface CanaryScopes {
  readonly controlScope: string;
  readonly controlLocation: string;
  readonly experimentScope: string;
  readonly experimentLocation: string;
  /** Seconds per data point. */
  readonly stepSeconds: number;
  readonly extendedScopeParams?: Readonly<Record<string, string>>;
}

/** Everything an analysis needs, resolved before it starts. */
export interface CanaryAnalysisSpec {
  readonly config: CanaryConfig;
  readonly configName?: string;
  readonly thresholds: ScoreThresholds;
  readonly scopes: CanaryScopes;
  readonly timing: CanaryTiming;
  /** The analysis start (epoch ms): scopes[0].startTimeIso, or when the stage started. */
  readonly t0: number;
  readonly metricsAccountName?: string;
}

export type CanaryAdvance =
  /** Not decided: call again after `waitSeconds`. */
  | { readonly kind: 'running'; readonly waitSeconds: number; readonly outputs: CanaryRunOutputs }
  /** Decided: `outputs.overallResult` says which way; `message` why. */
  | { readonly kind: 'done'; readonly passed: boolean; readonly message: string; readonly outputs: CanaryRunOutputs }
  /** A metric source is unavailable for now: call again after `waitSeconds`. */
  | { readonly kind: 'retry'; readonly waitSeconds: number; readonly message: string; readonly outputs: CanaryRunOutputs }
  /** The analysis cannot go on (a metric nobody serves, a bad query): the stage fails with `message`. */
  | { readonly kind: 'error'; readonly message: string; readonly outputs: CanaryRunOutputs };

/** Seconds to wait before retrying an unavailable metric source. */
const RETRY_SECONDS = 5;
/** At most this many points of a series are kept (last interval only), evenly downsampled. */
const MAX_VALUES = 300;

/** Outputs before any interval ran. */
export function initialCanaryOutputs(spec: CanaryAnalysisSpec): CanaryRunOutputs {
  return {
    canaryScores: [],
    overallScore: null,
    overallResult: 'running',
    scoreThresholds: { marginal: spec.thresholds.marginal, pass: spec.thresholds.pass },
    controlScope: spec.scopes.controlScope,
    experimentScope: spec.scopes.experimentScope,
    ...(spec.configName !== undefined ? { canaryConfigName: spec.configName } : {}),
    intervals: [],
  };
}

/** Advances the analysis to `now` (see the module comment). */
export async function advanceCanaryAnalysis(spec: CanaryAnalysisSpec, previous: CanaryRunOutputs | undefined, now: number, metrics: MetricSourceLookup): Promise<CanaryAdvance> {
  let outputs = previous ?? initialCanaryOutputs(spec);
  const windows = planCanaryIntervals(spec.timing, spec.t0);
  if (outputs.overallResult !== 'running') {
    return { kind: 'done', passed: outputs.overallResult === 'success', message: outputs.canaryScoreMessage ?? '', outputs };
  }
  while (outputs.intervals.length < windows.length) {
    const window = windows[outputs.intervals.length]!;
    if (now < window.readyAt) return { kind: 'running', waitSeconds: Math.ceil((window.readyAt - now) / 1000), outputs };
    const last = window.index === windows.length;
    const judged = await judgeInterval(spec, window, metrics, last);
    if (!judged.ok) {
      if (judged.retry) return { kind: 'retry', waitSeconds: RETRY_SECONDS, message: judged.message, outputs };
      return { kind: 'error', message: judged.message, outputs: { ...outputs, overallResult: 'failure', canaryScoreMessage: judged.message } };
    }
    const interval = judged.interval;
    // Only the last interval keeps its series: earlier ones drop theirs to keep the outputs small.
    outputs = { ...outputs, canaryScores: [...outputs.canaryScores, interval.score], overallScore: interval.score, intervals: [...outputs.intervals, interval] };
    const decision = decideAfterInterval(interval.score, window.index, windows.length, spec.thresholds);
    if (decision.kind === 'continue') continue;
    const passed = decision.kind === 'pass';
    outputs = { ...outputs, overallResult: passed ? 'success' : 'failure', canaryScoreMessage: decision.message };
    return { kind: 'done', passed, message: decision.message, outputs };
  }
  // Unreachable with at least one window: the last one always decides.
  return { kind: 'error', message: 'the canary analysis has no interval to judge', outputs };
}

type Judged = { readonly ok: true; readonly interval: CanaryIntervalSummary } | { readonly ok: false; readonly retry: boolean; readonly message: string };

/** Fetches every metric for both scopes over one window and judges them. */
async function judgeInterval(spec: CanaryAnalysisSpec, window: CanaryIntervalWindow, metrics: MetricSourceLookup, last: boolean): Promise<Judged> {
  const { scopes } = spec;
  const templates = templatesOf(spec.config);
  const pairs: MetricSeriesPair[] = [];
  const queries = new Map<string, string>();
  const series = new Map<string, { control: readonly (number | null)[]; experiment: readonly (number | null)[] }>();
  for (const [index, metric] of spec.config.metrics.entries()) {
    const parsed = parseMetricQuery(metric.query, `metrics[${index}].query`);
    if (!parsed.ok) return { ok: false, retry: false, message: `metric '${metric.name}': ${parsed.message}` };
    const type = parsed.query.type;
    const source = metrics({ type, ...(spec.metricsAccountName !== undefined ? { account: spec.metricsAccountName } : {}) });
    if (!source) {
      const account = spec.metricsAccountName !== undefined ? ` for metrics account '${spec.metricsAccountName}'` : '';
      return { ok: false, retry: false, message: `metric '${metric.name}' has query type '${type}', and no metric source of that type is configured${account}; configure one or change the metric's query type` };
    }
    const toFetch: MetricToFetch = { name: metric.name, query: parsed.query };
    const scope = (name: string, location: string, start: number, end: number): MetricScope => ({
      scope: name,
      location,
      start,
      end,
      stepSeconds: scopes.stepSeconds,
      ...(scopes.extendedScopeParams ? { extendedScopeParams: scopes.extendedScopeParams } : {}),
    });
    const [control, experiment] = await Promise.all([
      source.fetch({ metric: toFetch, scope: scope(scopes.controlScope, scopes.controlLocation, window.controlStart, window.controlEnd), ...(templates ? { templates } : {}) }),
      source.fetch({ metric: toFetch, scope: scope(scopes.experimentScope, scopes.experimentLocation, window.experimentStart, window.experimentEnd), ...(templates ? { templates } : {}) }),
    ]);
    for (const [side, result] of [
      ['control', control],
      ['experiment', experiment],
    ] as const) {
      if (!result.ok) return failure(metric.name, side, result);
    }
    if (!control.ok || !experiment.ok) continue;
    queries.set(metric.name, experiment.query);
    series.set(metric.name, { control: control.values, experiment: experiment.values });
    pairs.push({ name: metric.name, control: control.values, experiment: experiment.values });
  }
  const result = judgeCanary(spec.config, pairs, { thresholds: spec.thresholds, random: createSeededRandom(window.index) });
  const summaries = result.results.map((metric) => summarizeMetric(metric, queries.get(metric.name), last ? series.get(metric.name) : undefined));
  return {
    ok: true,
    interval: {
      index: window.index,
      start: new Date(window.experimentStart).toISOString(),
      end: new Date(window.experimentEnd).toISOString(),
      score: result.score.score,
      classification: result.score.classification,
      groupScores: result.groupScores.map(({ name, score }) => ({ name, score })),
      metrics: summaries,
    },
  };
}

function failure(name: string, side: 'control' | 'experiment', result: Extract<MetricFetchResult, { ok: false }>): Judged {
  return { ok: false, retry: result.reason === 'unavailable', message: `metric '${name}' (${side} scope): ${result.message}` };
}

function templatesOf(config: CanaryConfig): Record<string, string> | undefined {
  const raw = config.raw.templates;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const templates: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') templates[key] = value;
  return templates;
}

function summarizeMetric(metric: CanaryAnalysisResult, query: string | undefined, values: { control: readonly (number | null)[]; experiment: readonly (number | null)[] } | undefined): CanaryMetricSummary {
  const ratio = metric.resultMetadata?.ratio;
  const interval = metric.resultMetadata?.confidenceInterval;
  return {
    name: metric.name,
    groups: metric.groups,
    classification: metric.classification,
    ...(metric.classificationReason ? { classificationReason: metric.classificationReason } : {}),
    critical: metric.critical,
    ratio: ratio === undefined || !Number.isFinite(ratio) ? null : ratio,
    interval: interval ? { lower: interval.lower, upper: interval.upper } : null,
    ...(query !== undefined ? { query } : {}),
    control: side(metric.controlMetadata.stats, values?.control),
    experiment: side(metric.experimentMetadata.stats, values?.experiment),
  };
}

function side(stats: MetricStats, values: readonly (number | null)[] | undefined): CanaryMetricSide {
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  const empty = stats.count === 0;
  return {
    count: stats.count,
    mean: empty ? null : finite(stats.mean),
    median: empty ? null : finite(stats.median),
    min: empty ? null : finite(stats.min),
    max: empty ? null : finite(stats.max),
    ...(values ? { values: downsample(values).map((value) => (value === null || !Number.isFinite(value) ? null : value)) } : {}),
  };
}

/** At most MAX_VALUES points, evenly picked. */
export function downsample<T>(values: readonly T[], max = MAX_VALUES): T[] {
  if (values.length <= max) return [...values];
  return Array.from({ length: max }, (_, index) => values[Math.floor((index * values.length) / max)]!);
}
