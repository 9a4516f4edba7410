/**
 * The CloudWatch metric source: renders the GetMetricData queries (core/metrics/cloudwatch.ts)
 * and calls `GetMetricData` for the window (`StartTime` = window start, `EndTime` = the end of
 * its last whole step, `ScanBy: TimestampAscending`), following `NextToken` until the last page.
 * A period's datapoint is stamped with the period's start, which is the grid's own convention,
 * so the `result` query's `Timestamps`/`Values` are placed on the grid as they are; empty
 * periods (CloudWatch leaves them out) are null.
 *
 * Per-result `StatusCode`: `Complete` and `PartialData` (more on the next page) are data;
 * `Forbidden` is refused; `InternalError` is retried later. SDK errors: throttling, timeouts and
 * server faults are unavailable (retried); access denied and missing credentials are refused;
 * other client faults (an invalid parameter) are the query's fault. The SDK's own text stays in
 * `cause`, for logs.
 */
import { GetMetricDataCommand, type CloudWatchClient, type GetMetricDataCommandInput, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { renderCloudWatchQuery, RESULT_ID } from '../../core/metrics/cloudwatch.ts';
import { alignToWindow, planWindow } from '../../core/metrics/series.ts';
import type { MetricFailureReason, MetricFetchFailure, MetricFetchRequest, MetricFetchResult, MetricSource } from '../../core/ports/metric-source.ts';

/** The part of the SDK client the source uses (the real CloudWatchClient, or a fake in tests). */
export type CloudWatchSend = Pick<CloudWatchClient, 'send'>;

export interface CloudWatchMetricSourceOptions {
  /** The client of every query, or, given a scope's location (its region), the client of that region. */
  readonly client: CloudWatchSend | ((location: string) => CloudWatchSend);
  /** Pages read at most for one fetch; a window needing more fails (raise the step). @default 20 */
  readonly maxPages?: number;
}

const RETRIED_ERRORS = /throttl|toomanyrequests|requestlimitexceeded|timeout|serviceunavailable|internalfailure|internalservice|econn|socket|network/i;
const REFUSED_ERRORS = /accessdenied|unauthorized|notauthorized|credential|expiredtoken|invalidclienttokenid|signaturedoesnotmatch/i;

function classify(error: unknown): { reason: MetricFailureReason; name: string } {
  const name = error instanceof Error ? error.name : 'Error';
  const fault = (error as { $fault?: unknown } | undefined)?.$fault;
  if (REFUSED_ERRORS.test(name)) return { reason: 'refused', name };
  if (RETRIED_ERRORS.test(name) || fault === 'server') return { reason: 'unavailable', name };
  if (fault === 'client') return { reason: 'invalid', name };
  return { reason: 'unavailable', name };
}

export function createCloudWatchMetricSource(options: CloudWatchMetricSourceOptions): MetricSource {
  const maxPages = options.maxPages ?? 20;

  return {
    type: 'cloudwatch',
    async fetch({ metric, scope, templates }: MetricFetchRequest): Promise<MetricFetchResult> {
      const { query } = metric;
      if (query.type !== 'cloudwatch') {
        return { ok: false, reason: 'unsupported', message: `metric '${metric.name}' is a ${query.type} query; the cloudwatch source serves type 'cloudwatch' only — configure a ${query.type} metric source` };
      }
      const planned = planWindow(scope);
      if (!planned.ok) return { ok: false, reason: 'invalid', message: `metric '${metric.name}': ${planned.message}` };
      const window = planned.window;
      const rendered = renderCloudWatchQuery(query, scope, metric.name, templates);
      if (!rendered.ok) return { ok: false, reason: 'invalid', message: rendered.message };
      const fail = (reason: MetricFailureReason, message: string, cause?: unknown): MetricFetchFailure => ({
        ok: false,
        reason,
        message: `metric '${metric.name}' (scope ${scope.scope}): ${message}`,
        query: rendered.text,
        ...(cause !== undefined ? { cause } : {}),
      });

      const client = typeof options.client === 'function' ? options.client(scope.location) : options.client;
      const base: GetMetricDataCommandInput = {
        // Our queries use the API's field names; the SDK types Unit as its StandardUnit enum.
        MetricDataQueries: rendered.queries as MetricDataQuery[],
        StartTime: new Date(window.start),
        EndTime: new Date(window.start + window.timestamps.length * window.stepMs),
        ScanBy: 'TimestampAscending',
      };
      const samples: Array<{ at: number; value: number }> = [];
      let nextToken: string | undefined;
      for (let page = 0; ; page++) {
        if (page >= maxPages) {
          return fail('invalid', `GetMetricData needed more than ${maxPages} pages for this window; raise stepSeconds or shorten the window`);
        }
        let output;
        try {
          output = await client.send(new GetMetricDataCommand(nextToken !== undefined ? { ...base, NextToken: nextToken } : base));
        } catch (error) {
          const { reason, name } = classify(error);
          const advice: Record<MetricFailureReason, string> = {
            invalid: 'CloudWatch rejected the query; check namespace, metric name, dimensions, stat and unit',
            refused: 'CloudWatch refused the call; the role needs cloudwatch:GetMetricData',
            unavailable: 'CloudWatch did not answer; it is retried on the next poll',
            'not-found': 'CloudWatch found nothing',
            unsupported: 'CloudWatch does not support this',
          };
          return fail(reason, `${advice[reason]} (${name})`, error);
        }
        for (const result of output.MetricDataResults ?? []) {
          if (result.Id !== RESULT_ID) continue;
          if (result.StatusCode === 'Forbidden') return fail('refused', 'CloudWatch answered Forbidden for the query; the role needs cloudwatch:GetMetricData on this metric');
          if (result.StatusCode === 'InternalError') return fail('unavailable', 'CloudWatch answered InternalError for the query; it is retried on the next poll');
          const timestamps = result.Timestamps ?? [];
          const values = result.Values ?? [];
          timestamps.forEach((timestamp, index) => {
            const value = values[index];
            if (value !== undefined) samples.push({ at: new Date(timestamp).getTime(), value });
          });
        }
        nextToken = output.NextToken;
        if (nextToken === undefined || nextToken === '') break;
      }
      return { ok: true, values: alignToWindow(window, samples), timestamps: window.timestamps, query: rendered.text };
    },
  };
}
