/**
 * Series shaping: the time grid every source answers on, samples placed on it, the local
 * metrics computed per step from load-balancer counts (histogram percentiles interpolated inside
 * the bucket, Prometheus style), and the local source cutting 1 s slots into steps.
 */
import { describe, expect, it } from 'vitest';
import { createLocalMetricSource } from '../../../adapters/metrics/local-metric-source.ts';
import type { ClusterMetrics } from '../../../adapters/targets/local/local-deploy-target.ts';
import type { MetricsSlot } from '../../../adapters/targets/local/metrics.ts';
import { histogramQuantile, localMetricValue, sumCounts } from '../../../core/metrics/local.ts';
import { alignToWindow, planWindow } from '../../../core/metrics/series.ts';
import type { ClusterRef } from '../../../adapters/targets/local/local-target-api.ts';
import type { MetricScope } from '../../../core/ports/metric-source.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const scopeOf = (fields: Partial<MetricScope> = {}): MetricScope => ({ scope: 'hello-prod-v002', location: 'local', start: T0, end: T0 + 10_000, stepSeconds: 2, ...fields });

describe('planWindow', () => {
  it.each([
    [10_000, 2, 5],
    [10_999, 2, 5],
    [11_000, 1, 11],
    [60_000, 60, 1],
  ])('lays out floor(%i ms / %i s) points', (length, stepSeconds, count) => {
    const planned = planWindow(scopeOf({ end: T0 + length, stepSeconds }));
    expect(planned.ok && planned.window.timestamps).toEqual(Array.from({ length: count }, (_, index) => T0 + index * stepSeconds * 1000));
  });

  it.each<[string, Partial<MetricScope>, RegExp]>([
    ['a window shorter than a step', { end: T0 + 1_999 }, /shorter than one step of 2 s; widen the window or lower stepSeconds/],
    ['an end before the start', { end: T0 - 1 }, /shorter than one step/],
    ['a fractional step', { stepSeconds: 1.5 }, /stepSeconds is 1.5, expected a whole number of seconds >= 1/],
    ['a zero step', { stepSeconds: 0 }, /stepSeconds is 0/],
    ['too many points', { end: T0 + 86_400_000, stepSeconds: 1 }, /holds 86400 steps of 1 s, more than 11000; raise stepSeconds to at least 8/],
    ['a start that is not a time', { start: Number.NaN }, /must be epoch milliseconds/],
  ])('fails on %s', (_, fields, message) => {
    const planned = planWindow(scopeOf(fields));
    expect(!planned.ok && planned.message).toMatch(message);
  });
});

describe('alignToWindow', () => {
  it('places samples by timestamp, dropping off-grid and out-of-window ones, NaN as missing, later samples winning', () => {
    const planned = planWindow(scopeOf());
    if (!planned.ok) throw new Error(planned.message);
    const values = alignToWindow(planned.window, [
      { at: T0, value: 1 },
      { at: T0 + 1_000, value: 99 }, // between points
      { at: T0 + 4_000, value: Number.NaN },
      { at: T0 + 6_000, value: 3 },
      { at: T0 + 6_000, value: 4 },
      { at: T0 + 8_000, value: Number.POSITIVE_INFINITY },
      { at: T0 + 10_000, value: 5 }, // the end is exclusive
      { at: T0 - 2_000, value: 6 },
    ]);
    expect(values).toEqual([1, null, null, 4, Number.POSITIVE_INFINITY]);
  });
});

describe('histogramQuantile', () => {
  const bounds = [5, 10, 25, 50];
  it.each<[number, number[], number]>([
    [0.5, [0, 10, 0, 0, 0], 7.5], // all in (5, 10]: the middle of the bucket
    [0.9, [0, 10, 0, 0, 0], 9.5],
    [0.5, [4, 0, 0, 0, 0], 2.5], // first bucket: from 0
    [0.5, [5, 5, 0, 0, 0], 5], // rank on a bucket's edge
    [0.75, [2, 2, 4, 0, 0], 17.5], // rank 6 of 8, 2 into the (10, 25] bucket of 4
    [0.99, [0, 0, 0, 1, 9], 50], // in +Inf: the highest finite bound
    [0.99, [100, 0, 0, 0, 0], 4.95],
  ])('q=%f of %j is %f', (q, buckets, expected) => {
    expect(histogramQuantile(q, buckets, bounds)).toBeCloseTo(expected, 10);
  });

  it('is NaN for an empty histogram', () => {
    expect(histogramQuantile(0.5, [0, 0, 0, 0, 0], bounds)).toBeNaN();
  });
});

describe('localMetricValue', () => {
  const bounds = [5, 10, 25, 50];
  const counts = { requests: 20, errors: 3, latencySumMs: 240, latencyBuckets: [0, 10, 10, 0, 0] };
  it.each<[Parameters<typeof localMetricValue>[0], number]>([
    ['request_rate', 4],
    ['error_rate', 0.15],
    ['error_count', 3],
    ['latency_mean', 12],
    ['latency_p50', 10],
    ['latency_p90', 22],
    ['latency_p99', 24.7],
  ])('%s of one 5 s step', (name, expected) => {
    expect(localMetricValue(name, counts, { stepSeconds: 5, latencyBoundsMs: bounds })).toBeCloseTo(expected, 10);
  });

  it.each([['request_rate'], ['error_rate'], ['latency_p99']] as const)('%s is null for a step without a request', (name) => {
    expect(localMetricValue(name, { requests: 0, errors: 0, latencySumMs: 0, latencyBuckets: [0, 0, 0, 0, 0] }, { stepSeconds: 5, latencyBoundsMs: bounds })).toBeNull();
  });

  it('sums counts bucket by bucket', () => {
    expect(sumCounts([counts, { requests: 1, errors: 1, latencySumMs: 60, latencyBuckets: [0, 0, 0, 0, 1] }], 5)).toEqual({ requests: 21, errors: 4, latencySumMs: 300, latencyBuckets: [0, 10, 10, 0, 1] });
  });
});

describe('the local source over recorded slots', () => {
  const BOUNDS = [5, 10, 25, 50];
  const slot = (second: number, requests: number, errors: number, latencyMs: number): MetricsSlot => {
    const latencyBuckets = [0, 0, 0, 0, 0];
    const index = BOUNDS.findIndex((bound) => latencyMs <= bound);
    latencyBuckets[index < 0 ? 4 : index] = requests;
    return { start: T0 + second * 1000, requests, errors, latencySumMs: requests * latencyMs, latencyBuckets };
  };
  const asked: Array<{ ref: ClusterRef; since: number | undefined }> = [];
  const recorded: ClusterMetrics = {
    account: 'local',
    location: 'local',
    cluster: 'hello-prod',
    endpoint: 'http://127.0.0.1:1',
    serverGroups: [
      { serverGroup: 'hello-prod-v001', totals: slot(0, 0, 0, 0), series: [slot(0, 50, 0, 3)], updatedAt: T0 },
      // seconds 0-3 and 8: steps of 2 s → [0,1], [2,3], [4,5] empty, [6,7] empty, [8,9]
      { serverGroup: 'hello-prod-v002', totals: slot(0, 0, 0, 0), series: [slot(0, 10, 1, 8), slot(1, 10, 3, 8), slot(2, 4, 0, 20), slot(3, 6, 0, 20), slot(8, 5, 5, 100), slot(11, 7, 0, 1)], updatedAt: T0 },
    ],
  };
  const source = createLocalMetricSource({
    account: 'local',
    latencyBoundsMs: BOUNDS,
    metrics: (ref, since) => {
      asked.push({ ref, since });
      return ref.cluster === 'hello-prod' && ref.location === 'local' ? recorded : undefined;
    },
  });

  it('sums the 1 s slots of each step, reads the cluster of the scope, and leaves steps without traffic null', async () => {
    // when
    const result = await source.fetch({ metric: { name: 'errors', query: { type: 'local', metricName: 'error_rate' } }, scope: scopeOf() });
    // then
    expect(result).toEqual({
      ok: true,
      values: [0.2, 0, null, null, 1],
      timestamps: [T0, T0 + 2_000, T0 + 4_000, T0 + 6_000, T0 + 8_000],
      query: 'error_rate{account="local",location="local",cluster="hello-prod",server_group="hello-prod-v002"} step 2s',
    });
    expect(asked.at(-1)).toEqual({ ref: { account: 'local', location: 'local', cluster: 'hello-prod' }, since: T0 });
  });

  it('computes rates per second of the step and percentiles from the summed histogram', async () => {
    const rate = await source.fetch({ metric: { name: 'rps', query: { type: 'local', metricName: 'request_rate' } }, scope: scopeOf() });
    expect(rate.ok && rate.values).toEqual([10, 5, null, null, 2.5]);
    const p50 = await source.fetch({ metric: { name: 'p50', query: { type: 'local', metricName: 'latency_p50' } }, scope: scopeOf() });
    expect(p50.ok && p50.values).toEqual([7.5, 17.5, null, null, 50]);
  });

  it('answers all null for a server group without traffic in a known cluster', async () => {
    const result = await source.fetch({ metric: { name: 'errors', query: { type: 'local', metricName: 'error_rate' } }, scope: scopeOf({ scope: 'hello-prod-v009' }) });
    expect(result.ok && result.values).toEqual([null, null, null, null, null]);
  });

  it.each<[string, Partial<MetricScope>, string, string]>([
    ['an unknown cluster', { scope: 'other-prod-v001' }, 'not-found', "metric 'errors': the local target has no cluster other-prod in local/local; check the scope's server group name and location"],
    ['a location the cluster is not in', { location: 'us-east-1' }, 'not-found', "metric 'errors': the local target has no cluster hello-prod in local/us-east-1; check the scope's server group name and location"],
    ['a scope that is not a server group name', { scope: 'not a name' }, 'invalid', "metric 'errors': scope 'not a name' is not a server group name; the local source expects app-stack-detail-vNNN"],
  ])('fails on %s', async (_, fields, reason, message) => {
    const result = await source.fetch({ metric: { name: 'errors', query: { type: 'local', metricName: 'error_rate' } }, scope: scopeOf(fields) });
    expect(result).toMatchObject({ ok: false, reason, message });
  });

  it('rejects a query of another type as unsupported', async () => {
    const result = await source.fetch({ metric: { name: 'cpu', query: { type: 'prometheus', metricName: 'cpu' } }, scope: scopeOf() });
    expect(result).toEqual({ ok: false, reason: 'unsupported', message: "metric 'cpu' is a prometheus query; the local source serves type 'local' only — configure a prometheus metric source" });
  });
});
