/**
 * A metric source (DESIGN.md §7): where canary analysis reads its time series. One call fetches
 * one metric of a canary config for one scope and one time window, and answers the values on a
 * fixed grid — `timestamps[i] = scope.start + i · stepSeconds` (epoch ms), `values[i]` what was
 * measured in `[timestamps[i], timestamps[i] + step)`, `null` where there is no data (no
 * traffic, a gap, a NaN sample). The grid has `floor((end − start) / step)` points, Kayenta's
 * `expectedDataPoints`, so control and experiment line up point for point.
 *
 * How a canary stage uses it, per interval (Kayenta's `CanaryJudgeTask` after its fetch tasks):
 * for every metric of the canary config it calls `fetch` twice with the same `metric`, the same
 * `templates`, the same window and step, and the two scopes of the stage's `scopes` entry —
 * `{ scope: controlScope, location: controlLocation }` (the baseline server group, e.g.
 * `hello-prod-baseline-v001`, with `baselineAnalysisOffsetInMins` applied to its window) and
 * `{ scope: experimentScope, location: experimentLocation }` (the canary, e.g.
 * `hello-prod-canary-v001`) — each with the scope's `extendedScopeParams`. It hands the two
 * `values` arrays to the judge (null → NaN, which the judge's NaN strategy removes or
 * replaces), and keeps `query` beside the result so the report shows what was asked.
 * `unavailable` failures are retried on the next poll (Gennaker.TargetUnavailable); every other
 * failure is the pipeline author's to fix and fails the stage with its message.
 *
 * Pure types: no I/O. Query shapes and templates live in core/metrics/.
 */
import type { CanaryMetricQuery } from '../metrics/query.ts';

export type { CanaryMetricQuery };

/**
 * Which server group and when: Kayenta's `CanaryScope` (`scope`, `location`, `start`, `end`,
 * `step`, `extendedScopeParams`), with times in epoch ms.
 */
export interface MetricScope {
  /** The scope name: a server group (`hello-prod-canary-v001`), or what the queries match on. */
  readonly scope: string;
  /** A region, or `local`. */
  readonly location: string;
  /** Window start, epoch ms, inclusive. */
  readonly start: number;
  /** Window end, epoch ms, exclusive. */
  readonly end: number;
  /** Width of one point, whole seconds (Kayenta's `step`). */
  readonly stepSeconds: number;
  /** Template variables beside `scope` and `location` (`${namespace}`, `${project}`...). */
  readonly extendedScopeParams?: Readonly<Record<string, string>>;
}

/** One metric of a canary config: the part of Kayenta's `CanaryMetricConfig` a source reads. */
export interface MetricToFetch {
  readonly name: string;
  readonly query: CanaryMetricQuery;
}

export interface MetricFetchRequest {
  readonly metric: MetricToFetch;
  readonly scope: MetricScope;
  /** The canary config's `templates` (name → template), for `customFilterTemplate`. */
  readonly templates?: Readonly<Record<string, string>>;
}

export interface MetricSeries {
  readonly ok: true;
  /** One per timestamp; null where nothing was measured. ±Infinity pass through as numbers. */
  readonly values: readonly (number | null)[];
  /** Epoch ms, ascending, `step` apart. */
  readonly timestamps: readonly number[];
  /** The query as sent (PromQL, the GetMetricData queries as JSON, the local series), for reports. */
  readonly query: string;
}

/** Why a fetch answered no series. `message` is written for the pipeline author. */
export type MetricFailureReason =
  /** The query or the scope is wrong: a template variable not bound, a bad field, a query the backend rejects. */
  | 'invalid'
  /** This source does not serve the query's `type` (a prometheus query sent to the local source). */
  | 'unsupported'
  /** What the scope names does not exist for this source (an unknown cluster). */
  | 'not-found'
  /** The call was refused by policy (the outbound URL allowlist, missing permissions). */
  | 'refused'
  /** The backend did not answer or failed (network, timeout, throttling, 5xx): retry later. */
  | 'unavailable';

export interface MetricFetchFailure {
  readonly ok: false;
  readonly reason: MetricFailureReason;
  readonly message: string;
  /** The rendered query, when rendering got that far. */
  readonly query?: string;
  /** The backend's own error, for logs only; never shown through the API. */
  readonly cause?: unknown;
}

export type MetricFetchResult = MetricSeries | MetricFetchFailure;

export interface MetricSource {
  /** Which query `type` this source serves. */
  readonly type: CanaryMetricQuery['type'];
  /** Fetches one metric for one scope and window. Never throws on expected failures. */
  fetch(request: MetricFetchRequest): Promise<MetricFetchResult>;
}

/** Which source serves a metric: its query `type`, and the stage's `metricsAccountName` when it names one. */
export interface MetricSourceKey {
  readonly type: CanaryMetricQuery['type'];
  readonly account?: string;
}

/**
 * Finds the metric source for a query: the composition root knows which sources exist.
 * Undefined when none serves it (the stage fails, naming the type and the account).
 */
export type MetricSourceLookup = (key: MetricSourceKey) => MetricSource | undefined;
