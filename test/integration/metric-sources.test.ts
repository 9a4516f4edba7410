/**
 * The three metric sources against real parts: the local source reading the local load
 * balancer in front of two real server groups of the sample service (one answering 50% errors);
 * the Prometheus source over real HTTP against a server that speaks the query_range API and
 * answers only for the exact PromQL expected; the CloudWatch source against a client that checks
 * every GetMetricData request's shape and answers recorded response pages.
 */
import { GetMetricDataCommand, InvalidParameterValueException, type GetMetricDataCommandInput, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchMetricSource, type CloudWatchSend } from '../../adapters/metrics/cloudwatch-metric-source.ts';
import { createLocalMetricSource } from '../../adapters/metrics/local-metric-source.ts';
import { createPrometheusMetricSource } from '../../adapters/metrics/prometheus-metric-source.ts';
import { createFetchHttpClient } from '../../adapters/http/fetch-http-client.ts';
import type { ClusterRef } from '../../adapters/targets/local/local-target-api.ts';
import type { MetricFetchResult, MetricScope, MetricSeries, MetricToFetch } from '../../core/ports/metric-source.ts';
import { runLoad, type LoadReport } from '../support/http-load.ts';
import { startPrometheusServer, type PrometheusServer } from '../support/prometheus-server.ts';
import { sampleServiceArtifact, startTestLocalTarget, waitForInstances, type TestLocalTarget } from '../support/local-target.ts';

function series(result: MetricFetchResult): MetricSeries {
  if (!result.ok) throw new Error(`expected a series, got ${result.reason}: ${result.message}`);
  return result;
}

const nonNull = (values: readonly (number | null)[]) => values.filter((value): value is number => value !== null);
const sum = (values: readonly (number | null)[]) => nonNull(values).reduce((total, value) => total + value, 0);

describe('the local source over the local load balancer', () => {
  let local: TestLocalTarget;
  const cluster: ClusterRef = { account: 'local', location: 'local', cluster: 'hello-metrics' };
  let load: LoadReport;
  let window: { start: number; end: number };

  beforeAll(async () => {
    local = await startTestLocalTarget();
    // given a healthy server group and one answering half of its requests with 500
    for (const [name, env] of [
      ['hello-metrics-v001', {}],
      // seeded, so the error choices are reproducible
      ['hello-metrics-v002', { ERROR_RATE: '0.5', SEED: '7' }],
    ] as const) {
      const created = await local.target.createServerGroup({ ...cluster, name, capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact('1.0.0'), env });
      if (!created.ok) throw new Error(created.message);
    }
    await waitForInstances(local.target, cluster, 'hello-metrics-v001', 1);
    await waitForInstances(local.target, cluster, 'hello-metrics-v002', 1);
    // when 600 requests go through the load balancer, about 2 s of load (on a slow machine, longer)
    const before = Date.now();
    load = await runLoad({ url: local.target.loadBalancerUrl(cluster)!, concurrency: 4, ratePerSecond: 300, maxRequests: 600, durationMs: 120_000 });
    const after = Date.now();
    // a window of whole seconds with an idle second on each side
    window = { start: Math.floor(before / 1000) * 1000 - 1000, end: Math.ceil(after / 1000) * 1000 + 1000 };
  });

  afterAll(async () => {
    expect(await local.dispose()).toEqual([]);
  });

  const source = () => createLocalMetricSource({ metrics: (ref, since) => local.target.metrics(ref, since), account: 'local' });
  const scope = (serverGroup: string, stepSeconds = 1): MetricScope => ({ scope: serverGroup, location: 'local', ...window, stepSeconds });
  const metric = (metricName: 'request_rate' | 'error_rate' | 'error_count' | 'latency_mean' | 'latency_p50' | 'latency_p99'): MetricToFetch => ({ name: metricName, query: { type: 'local', metricName } });
  /** What the load generator saw answered by one server group: successes plus its 500s. */
  const sentTo = (serverGroup: string) => (load.byServerGroup[serverGroup] ?? 0) + load.failures.filter((failure) => failure === `status 500 from ${serverGroup}`).length;

  it('counts every request the load generator sent, per server group, second by second', async () => {
    expect(load.failures.every((failure) => failure.startsWith('status 500 from hello-metrics-v002'))).toBe(true);
    for (const serverGroup of ['hello-metrics-v001', 'hello-metrics-v002']) {
      const rate = series(await source().fetch({ metric: metric('request_rate'), scope: scope(serverGroup) }));
      expect(rate.timestamps).toHaveLength((window.end - window.start) / 1000);
      expect(rate.values[0]).toBeNull(); // the idle second before the load
      expect(rate.values.at(-1)).toBeNull(); // and after it
      expect(sum(rate.values)).toBe(sentTo(serverGroup));
      // both are Up with one instance each, so the balancer alternates between them
      expect(sentTo(serverGroup)).toBe(300);
    }
  });

  it('tells the error rates of the two server groups apart', async () => {
    const healthy = series(await source().fetch({ metric: metric('error_rate'), scope: scope('hello-metrics-v001') }));
    const failing = series(await source().fetch({ metric: metric('error_rate'), scope: scope('hello-metrics-v002') }));
    expect(nonNull(healthy.values).every((value) => value === 0)).toBe(true);
    expect(nonNull(failing.values).length).toBeGreaterThanOrEqual(2);
    const errors = series(await source().fetch({ metric: metric('error_count'), scope: scope('hello-metrics-v002') }));
    const requests = series(await source().fetch({ metric: metric('request_rate'), scope: scope('hello-metrics-v002') }));
    expect(sum(errors.values)).toBe(load.failures.length);
    // each second's rate is that second's errors over its requests
    failing.values.forEach((rate, index) => {
      if (rate === null) return expect(requests.values[index]).toBeNull();
      expect(rate).toBeCloseTo((errors.values[index] ?? 0) / requests.values[index]!, 12);
    });
    // Over the window, v002 failed its n requests at a rate near its ERROR_RATE of 0.5. Each
    // request fails with probability 0.5 on its own, so by Hoeffding's inequality the observed
    // rate strays from 0.5 by t or more with probability at most 2·exp(-2·n·t²): t below makes
    // that 1e-9 (about 0.19 for the 300 requests v002 gets).
    // A mean of per-second rates has no such bound: a last second with a few requests weighs as
    // much as a full one.
    const n = sum(requests.values);
    const t = Math.sqrt(Math.log(2 / 1e-9) / (2 * n));
    expect(Math.abs(sum(errors.values) / n - 0.5)).toBeLessThan(t);
    expect(t).toBeLessThan(0.5);
  });

  it('aggregates the 1 s slots into wider steps without losing a request', async () => {
    const rate = series(await source().fetch({ metric: metric('request_rate'), scope: { ...scope('hello-metrics-v002'), end: window.start + Math.floor((window.end - window.start) / 2000) * 2000, stepSeconds: 2 } }));
    expect(rate.timestamps[1]! - rate.timestamps[0]!).toBe(2_000);
    // rates are per second: a 2 s step holds twice its rate in requests
    expect(sum(rate.values) * 2).toBe(sentTo('hello-metrics-v002'));
  });

  it('reports latencies in ms from the histogram, p99 at or above p50', async () => {
    const p50 = series(await source().fetch({ metric: metric('latency_p50'), scope: scope('hello-metrics-v001') }));
    const p99 = series(await source().fetch({ metric: metric('latency_p99'), scope: scope('hello-metrics-v001') }));
    const mean = series(await source().fetch({ metric: metric('latency_mean'), scope: scope('hello-metrics-v001') }));
    expect(nonNull(p50.values).length).toBeGreaterThanOrEqual(2);
    p50.values.forEach((value, index) => {
      if (value === null) return expect(p99.values[index]).toBeNull();
      expect(value).toBeGreaterThan(0);
      expect(p99.values[index]!).toBeGreaterThanOrEqual(value);
      expect(mean.values[index]!).toBeGreaterThan(0);
    });
    expect(p50.query).toBe('latency_p50{account="local",location="local",cluster="hello-metrics",server_group="hello-metrics-v001"} step 1s');
  });
});

describe('the Prometheus source over the query_range API', () => {
  const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
  const t0 = T0 / 1000;
  // Prometheus is asked for the instants that end each step: t0+10 ... t0+60.
  const controlQuery = 'sum(rate(gennaker_lb_errors_total{server_group="hello-prod-baseline-v001",location="us-east-1"}[10s]))';
  const experimentQuery = 'sum(rate(gennaker_lb_errors_total{server_group="hello-prod-canary-v001",location="us-east-1"}[10s]))';
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    prometheus = await startPrometheusServer({
      series: {
        [controlQuery]: [{ value: (at) => String((at - t0) / 100) }],
        // a gap at t0+30 (the third step), a NaN at t0+50, +Inf at t0+60
        [experimentQuery]: [{ labels: { location: 'us-east-1' }, value: (at) => (at === t0 + 30 ? undefined : at === t0 + 50 ? 'NaN' : at === t0 + 60 ? '+Inf' : '0.5') }],
        'avg(cpu{server_group="hello-prod-canary-v001"}) by (instance)': [
          { labels: { instance: 'a' }, value: () => '1' },
          { labels: { instance: 'b' }, value: () => '2' },
        ],
      },
      errors: { 'avg(slow{server_group="hello-prod-canary-v001"})': { status: 503, errorType: 'timeout', error: 'query timed out in expression evaluation' } },
    });
  });

  afterAll(async () => {
    await prometheus.close();
  });

  const http = () => createFetchHttpClient({ allowlist: [prometheus.url] });
  const source = () => createPrometheusMetricSource({ baseUrl: prometheus.url, http: http(), headers: { authorization: 'Bearer test-token' } });
  const scope = (name: string): MetricScope => ({ scope: name, location: 'us-east-1', start: T0, end: T0 + 60_000, stepSeconds: 10 });
  const errorsMetric: MetricToFetch = { name: 'errors', query: { type: 'prometheus', customFilterTemplate: 'lbErrors' } };
  const templates = { lbErrors: 'PromQL:sum(rate(gennaker_lb_errors_total{server_group="${scope}",location="${location}"}[10s]))' };

  it('renders the template per scope, asks query_range for the window and puts the matrix on the grid', async () => {
    // when control and experiment are fetched with the same metric
    const control = series(await source().fetch({ metric: errorsMetric, scope: scope('hello-prod-baseline-v001'), templates }));
    const experiment = series(await source().fetch({ metric: errorsMetric, scope: scope('hello-prod-canary-v001'), templates }));
    // then each answer is the canned series of its exact PromQL
    expect(control).toEqual({ ok: true, values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], timestamps: [0, 1, 2, 3, 4, 5].map((i) => T0 + i * 10_000), query: controlQuery });
    expect(experiment.values).toEqual([0.5, 0.5, null, 0.5, null, Number.POSITIVE_INFINITY]);
    expect(experiment.query).toBe(experimentQuery);
    // and the server saw a form POST with the window of instants ending each step
    expect(prometheus.requests.slice(-2).map(({ method, query, start, end, step }) => ({ method, query, start, end, step }))).toEqual([
      { method: 'POST', query: controlQuery, start: String(t0 + 10), end: String(t0 + 60), step: '10' },
      { method: 'POST', query: experimentQuery, start: String(t0 + 10), end: String(t0 + 60), step: '10' },
    ]);
    expect(prometheus.requests.at(-1)!.headers.authorization).toBe('Bearer test-token');
  });

  it('answers all null when Prometheus has no series for the query', async () => {
    const result = series(await source().fetch({ metric: { name: 'cpu', query: { type: 'prometheus', metricName: 'never_seen', customInlineTemplate: 'server_group="${scope}"' } }, scope: scope('hello-prod-canary-v001') }));
    expect(result.values).toEqual([null, null, null, null, null, null]);
    expect(prometheus.requests.at(-1)!.query).toBe('avg(never_seen{server_group="hello-prod-canary-v001"})');
  });

  it("fails on a query Prometheus cannot parse, with Prometheus' own error", async () => {
    const result = await source().fetch({ metric: { name: 'bad', query: { type: 'prometheus', customInlineTemplate: 'PromQL:sum(rate(x{a="${scope}"}[1m])' } }, scope: scope('hello-prod-canary-v001') });
    expect(result).toMatchObject({
      ok: false,
      reason: 'invalid',
      message: `metric 'bad' (scope hello-prod-canary-v001): Prometheus rejected the query (HTTP 400, bad_data: invalid parameter "query": 1:4: parse error: unclosed left parenthesis); fix the query`,
      query: 'sum(rate(x{a="hello-prod-canary-v001"}[1m])',
    });
  });

  it('refuses a query answering several series: one series per scope', async () => {
    const result = await source().fetch({ metric: { name: 'cpu', query: { type: 'prometheus', metricName: 'cpu', customInlineTemplate: 'server_group="${scope}"', groupByFields: ['instance'] } }, scope: scope('hello-prod-canary-v001') });
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('the query returned 2 series ({instance="a"}, {instance="b"}); a metric must be one series per scope') });
  });

  it('reports a Prometheus timeout as unavailable, to be retried', async () => {
    const result = await source().fetch({ metric: { name: 'slow', query: { type: 'prometheus', metricName: 'slow', customInlineTemplate: 'server_group="${scope}"' } }, scope: scope('hello-prod-canary-v001') });
    expect(result).toMatchObject({ ok: false, reason: 'unavailable', message: expect.stringContaining('HTTP 503, timeout: query timed out in expression evaluation') });
  });

  it('fails without a request on a template variable the scope does not bind', async () => {
    const before = prometheus.requests.length;
    const result = await source().fetch({ metric: { name: 'errors', query: { type: 'prometheus', customInlineTemplate: 'PromQL:up{ns="${namespace}"}' } }, scope: scope('hello-prod-canary-v001') });
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('uses ${namespace}, which is not bound (known: location, scope)') });
    expect(prometheus.requests.length).toBe(before);
  });

  it('is refused by the outbound allowlist when Prometheus is not on it', async () => {
    const refused = createPrometheusMetricSource({ baseUrl: prometheus.url, http: createFetchHttpClient({ allowlist: [] }) });
    const result = await refused.fetch({ metric: errorsMetric, scope: scope('hello-prod-canary-v001'), templates });
    expect(result).toMatchObject({ ok: false, reason: 'refused', message: expect.stringContaining('not on the webhook allowlist') });
  });

  it('fails clearly when baseUrl does not lead to the Prometheus API', async () => {
    const wrong = createPrometheusMetricSource({ baseUrl: `${prometheus.url}/nothing-here`, http: createFetchHttpClient({ allowlist: [prometheus.url] }) });
    const result = await wrong.fetch({ metric: errorsMetric, scope: scope('hello-prod-canary-v001'), templates });
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining("answered HTTP 404 with 404 page not found, not the Prometheus API; check the source's baseUrl") });
  });
});

describe('the CloudWatch source over GetMetricData', () => {
  const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/cloudwatch');
  /** A recorded page as the SDK hands it over: timestamps as Dates. */
  function page(file: string): GetMetricDataCommandOutput {
    const recorded = JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as { MetricDataResults: Array<{ Timestamps: string[] }> };
    return {
      ...recorded,
      MetricDataResults: recorded.MetricDataResults.map((result) => ({ ...result, Timestamps: result.Timestamps.map((text) => new Date(text)) })),
      $metadata: { httpStatusCode: 200 },
    } as GetMetricDataCommandOutput;
  }

  /** Answers `pages` in order; records each request after checking it is a GetMetricData command. */
  function recordedClient(pages: ReadonlyArray<GetMetricDataCommandOutput | Error>): { client: CloudWatchSend; inputs: GetMetricDataCommandInput[] } {
    const inputs: GetMetricDataCommandInput[] = [];
    const send = async (command: unknown) => {
      if (!(command instanceof GetMetricDataCommand)) throw new Error(`unexpected command ${String((command as object).constructor.name)}`);
      inputs.push(command.input);
      const next = pages[inputs.length - 1];
      if (next === undefined) throw new Error(`no recorded page ${inputs.length}`);
      if (next instanceof Error) throw next;
      return next;
    };
    return { client: { send } as unknown as CloudWatchSend, inputs };
  }

  const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
  const scope: MetricScope = { scope: 'hello-prod-canary-v001', location: 'us-east-1', start: T0, end: T0 + 600_000, stepSeconds: 60, extendedScopeParams: { loadBalancer: 'app/hello/123' } };
  const errorRate: MetricToFetch = {
    name: 'error_rate',
    query: {
      type: 'cloudwatch',
      expression: 'errors / requests',
      metrics: {
        errors: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: { TargetGroup: 'targetgroup/${scope}/1', LoadBalancer: '${loadBalancer}' }, stat: 'Sum' },
        requests: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: { TargetGroup: 'targetgroup/${scope}/1', LoadBalancer: '${loadBalancer}' }, stat: 'Sum' },
      },
    },
  };

  it('sends the rendered queries for the window, follows NextToken and puts both pages on the grid', async () => {
    // given two recorded pages
    const { client, inputs } = recordedClient([page('error-rate-page-1.json'), page('error-rate-page-2.json')]);
    // when
    const result = series(await createCloudWatchMetricSource({ client }).fetch({ metric: errorRate, scope }));
    // then the first request had this exact shape
    const dimensions = [
      { Name: 'TargetGroup', Value: 'targetgroup/hello-prod-canary-v001/1' },
      { Name: 'LoadBalancer', Value: 'app/hello/123' },
    ];
    expect(inputs[0]).toEqual({
      MetricDataQueries: [
        { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: dimensions }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'requests', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: dimensions }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'result', Expression: 'errors / requests', Period: 60, ReturnData: true },
      ],
      StartTime: new Date('2024-05-01T12:00:00Z'),
      EndTime: new Date('2024-05-01T12:10:00Z'),
      ScanBy: 'TimestampAscending',
    });
    // and the second the same, with the first page's token
    expect(inputs[1]).toEqual({ ...inputs[0], NextToken: 'eyJwYWdlIjoyfQ==' });
    expect(inputs).toHaveLength(2);
    // and the minute CloudWatch left out is null
    expect(result.values).toEqual([0.12, 0.1, 0.15, 0.11, 0.13, 0.14, 0.09, null, 0.16, 0.12]);
    expect(result.timestamps).toEqual(Array.from({ length: 10 }, (_, i) => T0 + i * 60_000));
    expect(JSON.parse(result.query)).toEqual(inputs[0]!.MetricDataQueries);
  });

  it("asks the client of the scope's location (its region) when given one per region, and expands a MetricStat template from the config's templates", async () => {
    const { client, inputs } = recordedClient([page('error-rate-page-1.json'), page('error-rate-page-2.json')]);
    const regions: string[] = [];
    const source = createCloudWatchMetricSource({
      client: (location) => {
        regions.push(location);
        return client;
      },
    });
    const template = '{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors","Dimensions":[{"Name":"ExecutedVersion","Value":"$\\{scope}"}]},"Stat":"Average"}';
    const metric: MetricToFetch = { name: 'Errors', query: { type: 'cloudwatch', customFilterTemplate: 'errors' } };
    await source.fetch({ metric, scope: { ...scope, scope: '2', location: 'eu-west-1' }, templates: { errors: template } });
    expect(regions).toEqual(['eu-west-1']);
    expect(inputs[0]!.MetricDataQueries).toEqual([{ Id: 'result', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'ExecutedVersion', Value: '2' }] }, Period: 60, Stat: 'Average' }, ReturnData: true }]);
  });

  it('fails as refused when the result is Forbidden', async () => {
    const { client } = recordedClient([page('forbidden.json')]);
    const result = await createCloudWatchMetricSource({ client }).fetch({ metric: errorRate, scope });
    expect(result).toMatchObject({ ok: false, reason: 'refused', message: expect.stringContaining('CloudWatch answered Forbidden') });
  });

  it('fails as invalid on a rejected parameter, keeping the SDK error out of the message', async () => {
    const rejected = new InvalidParameterValueException({ message: 'The value HTTPCode for parameter MetricName is not valid.', $metadata: {} });
    const { client } = recordedClient([rejected]);
    const result = await createCloudWatchMetricSource({ client }).fetch({ metric: errorRate, scope });
    expect(result).toMatchObject({
      ok: false,
      reason: 'invalid',
      message: "metric 'error_rate' (scope hello-prod-canary-v001): CloudWatch rejected the query; check namespace, metric name, dimensions, stat and unit (InvalidParameterValueException)",
      cause: rejected,
    });
  });

  it('fails as unavailable when throttled, to be retried', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client' });
    const { client } = recordedClient([page('error-rate-page-1.json'), throttled]);
    const result = await createCloudWatchMetricSource({ client }).fetch({ metric: errorRate, scope });
    expect(result).toMatchObject({ ok: false, reason: 'unavailable', message: expect.stringContaining('(Throttling)') });
  });

  it('stops following pages at maxPages', async () => {
    const { client, inputs } = recordedClient([page('error-rate-page-1.json'), page('error-rate-page-1.json')]);
    const result = await createCloudWatchMetricSource({ client, maxPages: 2 }).fetch({ metric: errorRate, scope });
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('needed more than 2 pages') });
    expect(inputs).toHaveLength(2);
  });
});
