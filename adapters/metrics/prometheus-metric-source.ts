/**
 * The Prometheus metric source: renders the PromQL (core/metrics/prometheus.ts) and calls the
 * HTTP API's range query, `POST <baseUrl>/api/v1/query_range` with a form body
 * (`query`, `start`, `end`, `step`; POST so long queries fit), through the HttpClient port and
 * therefore the outbound URL allowlist.
 *
 * Time: step i of the window covers `[t_i, t_i + step)`; Prometheus evaluates the query at
 * instants, so the source asks for `start + step` to `end` and files the sample at instant
 * `t_i + step` under step i — with a range selector of one step (`rate(x[${step}s])` or wider)
 * each point then describes the step that just ended, and no point reads from before the window.
 *
 * The answer is a matrix (`{ status: "success", data: { resultType: "matrix", result: [{ metric,
 * values: [[unixSeconds, "value"], ...] }] } }`). Missing steps are absent from it and become
 * null; `"NaN"` becomes null; `"+Inf"`/`"-Inf"` become ±Infinity. No series → all null (no data,
 * which the judge reports as Nodata); more than one series is refused: a source answers one
 * series per scope (aggregate the query, e.g. `sum(...)`, or drop `groupByFields`).
 *
 * Errors (`{ status: "error", errorType, error }`): `bad_data` and `execution` are the query's
 * fault (invalid); `timeout`, `canceled`, `unavailable`, `internal` and 5xx are retried later
 * (unavailable); 401/403 are refused.
 */
import { renderPrometheusQuery } from '../../core/metrics/prometheus.ts';
import { alignToWindow, planWindow } from '../../core/metrics/series.ts';
import type { HttpClient } from '../../core/ports/http-client.ts';
import type { MetricFailureReason, MetricFetchFailure, MetricFetchRequest, MetricFetchResult, MetricSource } from '../../core/ports/metric-source.ts';

export interface PrometheusMetricSourceOptions {
  /** Where the Prometheus HTTP API lives, without `/api/v1` (`http://prometheus:9090`, or with a path prefix). */
  readonly baseUrl: string;
  /** Outbound HTTP; its allowlist must allow `baseUrl`. */
  readonly http: HttpClient;
  /** Sent with every request (an Authorization header for a managed Prometheus). @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

const RETRIED_ERROR_TYPES = new Set(['timeout', 'canceled', 'unavailable', 'internal']);

interface PrometheusMatrixSeries {
  readonly metric?: Record<string, string>;
  readonly values?: unknown;
}

function cut(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** A sample value as Prometheus writes it. */
function sampleValue(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  return text.trim() !== '' && !Number.isNaN(value) ? value : undefined;
}

function labelsText(labels: Record<string, string> | undefined): string {
  return `{${Object.entries(labels ?? {})
    .map(([name, value]) => `${name}="${value}"`)
    .join(',')}}`;
}

export function createPrometheusMetricSource(options: PrometheusMetricSourceOptions): MetricSource {
  const endpoint = `${options.baseUrl.replace(/\/+$/, '')}/api/v1/query_range`;

  return {
    type: 'prometheus',
    async fetch({ metric, scope, templates }: MetricFetchRequest): Promise<MetricFetchResult> {
      const { query } = metric;
      if (query.type !== 'prometheus') {
        return { ok: false, reason: 'unsupported', message: `metric '${metric.name}' is a ${query.type} query; the prometheus source serves type 'prometheus' only — configure a ${query.type} metric source` };
      }
      const planned = planWindow(scope);
      if (!planned.ok) return { ok: false, reason: 'invalid', message: `metric '${metric.name}': ${planned.message}` };
      const window = planned.window;
      const rendered = renderPrometheusQuery(query, scope, metric.name, templates);
      if (!rendered.ok) return { ok: false, reason: 'invalid', message: rendered.message };
      const promql = rendered.text;
      const fail = (reason: MetricFailureReason, message: string, cause?: unknown): MetricFetchFailure => ({
        ok: false,
        reason,
        message: `metric '${metric.name}' (scope ${scope.scope}): ${message}`,
        query: promql,
        ...(cause !== undefined ? { cause } : {}),
      });

      const body = new URLSearchParams({
        query: promql,
        start: String((window.start + window.stepMs) / 1000),
        end: String((window.start + window.timestamps.length * window.stepMs) / 1000),
        step: String(scope.stepSeconds),
      }).toString();
      const sent = await options.http.send({
        method: 'POST',
        url: endpoint,
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
        body,
        timeoutMs: options.timeoutMs ?? 30_000,
      });
      if (!sent.ok) {
        if (sent.failure.kind === 'refused-by-allowlist' || sent.failure.kind === 'too-large') return fail('refused', sent.failure.message);
        return fail('unavailable', `Prometheus at ${options.baseUrl} did not answer: ${sent.failure.message}`);
      }
      const { status, body: text } = sent.response;
      let document: { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | undefined;
      try {
        document = JSON.parse(text) as typeof document;
      } catch {
        document = undefined;
      }
      if (status === 401 || status === 403) return fail('refused', `Prometheus refused the request (HTTP ${status}); check the source's credentials (headers)`);
      if (!document || typeof document !== 'object') {
        if (status >= 500) return fail('unavailable', `Prometheus answered HTTP ${status} without a JSON body`);
        return fail('invalid', `${endpoint} answered HTTP ${status} with ${cut(text, 80) || 'an empty body'}, not the Prometheus API; check the source's baseUrl`);
      }
      if (document.status !== 'success') {
        const errorType = typeof document.errorType === 'string' ? document.errorType : 'unknown';
        const detail = typeof document.error === 'string' ? cut(document.error) : 'no error text';
        const retried = RETRIED_ERROR_TYPES.has(errorType) || status >= 500 || status === 429;
        return fail(retried ? 'unavailable' : 'invalid', `Prometheus rejected the query (HTTP ${status}, ${errorType}: ${detail})${retried ? '' : '; fix the query'}`);
      }
      const data = document.data;
      if (!data || data.resultType !== 'matrix' || !Array.isArray(data.result)) {
        return fail('invalid', `Prometheus answered a ${JSON.stringify(data?.resultType)} result, expected a matrix; a range query must return an instant vector expression`);
      }
      const result = data.result as PrometheusMatrixSeries[];
      if (result.length === 0) return { ok: true, values: window.timestamps.map(() => null), timestamps: window.timestamps, query: promql };
      if (result.length > 1) {
        const shown = result.slice(0, 3).map((series) => labelsText(series.metric));
        return fail('invalid', `the query returned ${result.length} series (${shown.join(', ')}${result.length > 3 ? ', ...' : ''}); a metric must be one series per scope — aggregate it (sum, avg) or drop groupByFields`);
      }
      const samples: Array<{ at: number; value: number }> = [];
      const values = Array.isArray(result[0]!.values) ? (result[0]!.values as unknown[]) : [];
      for (const pair of values) {
        const at = Array.isArray(pair) ? Number(pair[0]) : Number.NaN;
        const value = Array.isArray(pair) ? sampleValue(pair[1]) : undefined;
        if (!Number.isFinite(at) || value === undefined) return fail('invalid', `Prometheus answered a sample ${cut(JSON.stringify(pair), 80)}, expected [unixSeconds, "value"]`);
        samples.push({ at: Math.round(at * 1000) - window.stepMs, value });
      }
      return { ok: true, values: alignToWindow(window, samples), timestamps: window.timestamps, query: promql };
    },
  };
}
