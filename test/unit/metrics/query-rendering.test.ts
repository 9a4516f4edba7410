/**
 * Rendering canary metric queries for a scope: Prometheus as Kayenta's PrometheusMetricsService
 * builds PromQL (templates, `PromQL:` prefix, label bindings, resource-type filters, avg/by),
 * CloudWatch GetMetricData queries (a MetricStat template as Armory's Kayenta writes it, one
 * metric, or metric math), and parsing the `query` object
 * of a Kayenta canary config.
 */
import { describe, expect, it } from 'vitest';
import { renderCloudWatchQuery } from '../../../core/metrics/cloudwatch.ts';
import { renderPrometheusQuery } from '../../../core/metrics/prometheus.ts';
import { parseMetricQuery, type CloudWatchMetricQuery, type PrometheusMetricQuery } from '../../../core/metrics/query.ts';
import type { MetricScope } from '../../../core/ports/metric-source.ts';

const scope: MetricScope = { scope: 'hello-prod-canary-v001', location: 'us-east-1', start: 0, end: 600_000, stepSeconds: 60, extendedScopeParams: { namespace: 'web' } };

describe('renderPrometheusQuery', () => {
  const templates = {
    byServerGroup: 'server_group="${scope}",location="${location}"',
    wholeQuery: 'PromQL:sum(rate(http_requests_total{server_group="${scope}",code=~"5.."}[1m]))',
  };

  it.each<[string, Omit<PrometheusMetricQuery, 'type'>, string]>([
    ['a filter template, averaged', { metricName: 'cpu', customInlineTemplate: 'server_group="${scope}"' }, 'avg(cpu{server_group="hello-prod-canary-v001"})'],
    ['a filter template split at commas, then label bindings', { metricName: 'cpu', customInlineTemplate: 'a="${scope}",b="${namespace}"', labelBindings: ['job="hello"'] }, 'avg(cpu{a="hello-prod-canary-v001",b="web",job="hello"})'],
    ['group by fields', { metricName: 'cpu', customInlineTemplate: 'a="${scope}"', groupByFields: ['pod', 'zone'] }, 'avg(cpu{a="hello-prod-canary-v001"}) by (pod,zone)'],
    ['a whole PromQL template, verbatim', { customInlineTemplate: 'PromQL:histogram_quantile(0.99, sum by (le) (rate(d_bucket{sg="${scope}"}[1m])))' }, 'histogram_quantile(0.99, sum by (le) (rate(d_bucket{sg="hello-prod-canary-v001"}[1m])))'],
    ['a named template of the canary config', { metricName: 'cpu', customFilterTemplate: 'byServerGroup' }, 'avg(cpu{server_group="hello-prod-canary-v001",location="us-east-1"})'],
    ['a named whole-query template', { customFilterTemplate: 'wholeQuery' }, 'sum(rate(http_requests_total{server_group="hello-prod-canary-v001",code=~"5.."}[1m]))'],
    ['the inline template before the named one', { metricName: 'cpu', customInlineTemplate: 'x="1"', customFilterTemplate: 'byServerGroup' }, 'avg(cpu{x="1"})'],
    ['an escaped template as Kayenta stores it', { metricName: 'cpu', customInlineTemplate: 'a="$\\{scope}"' }, 'avg(cpu{a="hello-prod-canary-v001"})'],
    ['aws_ec2_instance filters after label bindings', { metricName: 'cpu', resourceType: 'aws_ec2_instance', labelBindings: ['job="node"'] }, 'avg(cpu{job="node",asg_groupName="hello-prod-canary-v001",zone=~"us-east-1.{1}"})'],
    ['gce_instance filters with the default scope label', { metricName: 'cpu', resourceType: 'gce_instance' }, 'avg(cpu{instance=~"hello-prod-canary-v001-.{4}",zone=~".+/zones/us-east-1-.{1}"})'],
    ['gce_instance with a scope label', { metricName: 'cpu', resourceType: 'gce_instance', scopeLabel: 'name' }, 'avg(cpu{name=~"hello-prod-canary-v001-.{4}",zone=~".+/zones/us-east-1-.{1}"})'],
  ])('renders %s', (_, fields, expected) => {
    expect(renderPrometheusQuery({ type: 'prometheus', ...fields }, scope, 'm', templates)).toEqual({ ok: true, text: expected });
  });

  it('adds the project of the extended scope params to the gce zone filter', () => {
    const withProject = { ...scope, extendedScopeParams: { project: 'acme' } };
    expect(renderPrometheusQuery({ type: 'prometheus', metricName: 'cpu', resourceType: 'gce_instance' }, withProject, 'm')).toEqual({
      ok: true,
      text: 'avg(cpu{instance=~"hello-prod-canary-v001-.{4}",zone=~".+/projects/acme/zones/us-east-1-.{1}"})',
    });
  });

  it.each<[string, Omit<PrometheusMetricQuery, 'type'>, RegExp]>([
    ['no selector at all', { metricName: 'cpu' }, /needs customInlineTemplate, customFilterTemplate or resourceType/],
    ['an unknown resource type', { metricName: 'cpu', resourceType: 'k8s_pod' }, /resourceType 'k8s_pod' has no built-in filters \(known: gce_instance, aws_ec2_instance\)/],
    ['no metric name for a filter', { customInlineTemplate: 'a="${scope}"' }, /query.metricName is required unless the template expands to a whole 'PromQL:' query/],
    ['an unknown named template', { metricName: 'cpu', customFilterTemplate: 'nope' }, /customFilterTemplate is 'nope', which the canary config's templates do not define \(known: byServerGroup, wholeQuery\)/],
    ['an unbound variable', { customInlineTemplate: 'PromQL:up{app="${application}"}' }, /uses \$\{application\}, which is not bound \(known: location, namespace, scope\)/],
    ['an empty PromQL', { customInlineTemplate: 'PromQL:' }, /no query after it/],
  ])('fails on %s', (_, fields, message) => {
    const result = renderPrometheusQuery({ type: 'prometheus', ...fields }, scope, 'm', templates);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });

  it('fails when a built-in resource filter has no location', () => {
    const result = renderPrometheusQuery({ type: 'prometheus', metricName: 'cpu', resourceType: 'aws_ec2_instance' }, { ...scope, location: '' }, 'm');
    expect(!result.ok && result.message).toMatch(/needs the scope's location/);
  });
});

describe('renderCloudWatchQuery', () => {
  it('renders one metric with templated dimensions as the result query', () => {
    const query: CloudWatchMetricQuery = {
      type: 'cloudwatch',
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: { TargetGroup: 'targetgroup/${scope}/abc', LoadBalancer: 'app/${namespace}/123' },
      stat: 'p99',
      unit: 'Seconds',
    };
    const rendered = renderCloudWatchQuery(query, scope, 'latency');
    expect(rendered).toEqual({
      ok: true,
      queries: [
        {
          Id: 'result',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'TargetResponseTime',
              Dimensions: [
                { Name: 'TargetGroup', Value: 'targetgroup/hello-prod-canary-v001/abc' },
                { Name: 'LoadBalancer', Value: 'app/web/123' },
              ],
            },
            Period: 60,
            Stat: 'p99',
            Unit: 'Seconds',
          },
          ReturnData: true,
        },
      ],
      text: expect.any(String),
    });
    expect(rendered.ok && JSON.parse(rendered.text)).toEqual(rendered.ok && rendered.queries);
  });

  it('renders metric math: the inputs without data, the expression as the result', () => {
    const spec = (metricName: string) => ({ namespace: 'AWS/ApplicationELB', metricName, dimensions: { AutoScalingGroupName: '${scope}' }, stat: 'Sum' });
    const query: CloudWatchMetricQuery = { type: 'cloudwatch', expression: '100 * errors / requests', metrics: { errors: spec('HTTPCode_Target_5XX_Count'), requests: spec('RequestCount') } };
    const rendered = renderCloudWatchQuery(query, scope, 'error_rate');
    expect(rendered.ok && rendered.queries.map((q) => [q.Id, q.ReturnData, q.Expression ?? q.MetricStat?.Metric.MetricName, q.MetricStat?.Metric.Dimensions?.[0]?.Value])).toEqual([
      ['errors', false, 'HTTPCode_Target_5XX_Count', 'hello-prod-canary-v001'],
      ['requests', false, 'RequestCount', 'hello-prod-canary-v001'],
      ['result', true, '100 * errors / requests', undefined],
    ]);
    expect(rendered.ok && rendered.queries[2]!.Period).toBe(60);
  });

  it.each([[1], [5], [10], [20], [30], [60], [300], [3600]])('accepts a step of %i s as a period', (stepSeconds) => {
    expect(renderCloudWatchQuery({ type: 'cloudwatch', namespace: 'N', metricName: 'M', stat: 'Sum' }, { ...scope, stepSeconds }, 'm').ok).toBe(true);
  });

  it.each([[2], [45], [90]])('fails on a step of %i s, which CloudWatch does not accept', (stepSeconds) => {
    const result = renderCloudWatchQuery({ type: 'cloudwatch', namespace: 'N', metricName: 'M', stat: 'Sum' }, { ...scope, stepSeconds }, 'm');
    expect(!result.ok && result.message).toBe(`metric 'm': stepSeconds ${stepSeconds} is not a CloudWatch period; use 1, 5, 10, 20, 30, 60 or a multiple of 60`);
  });

  /** Armory Kayenta's CloudWatch query: a MetricStat JSON in the template, `${` stored escaped as `$\{`. */
  const lambdaErrors = JSON.stringify({
    Metric: {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: '$\\{functionName}' },
        { Name: 'Resource', Value: '$\\{functionName}:$\\{alias}' },
        { Name: 'ExecutedVersion', Value: '$\\{scope}' },
      ],
    },
    Period: 300,
    Stat: 'Average',
    Unit: 'Count',
  }).replaceAll('$\\\\{', '$\\{');
  const version: MetricScope = { scope: '7', location: 'us-east-1', start: 0, end: 600_000, stepSeconds: 60, extendedScopeParams: { functionName: 'hello-api', alias: 'live' } };
  const lambdaStat = (executedVersion: string) => ({
    Id: 'result',
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [
          { Name: 'FunctionName', Value: 'hello-api' },
          { Name: 'Resource', Value: 'hello-api:live' },
          { Name: 'ExecutedVersion', Value: executedVersion },
        ],
      },
      Period: 60,
      Stat: 'Average',
      Unit: 'Count',
    },
    ReturnData: true,
  });

  it("renders a MetricStat template (customInlineTemplate) for a Lambda alias's version: the scope is the ExecutedVersion, the period the scope's step", () => {
    expect(lambdaErrors).toContain('"Value":"$\\{scope}"');
    const rendered = renderCloudWatchQuery({ type: 'cloudwatch', customInlineTemplate: lambdaErrors }, version, 'Errors');
    expect(rendered.ok && rendered.queries).toEqual([lambdaStat('7')]);
  });

  it('renders the canary config template a customFilterTemplate names, and names a missing one', () => {
    const rendered = renderCloudWatchQuery({ type: 'cloudwatch', customFilterTemplate: 'lambda-errors' }, { ...version, scope: '6' }, 'Errors', { 'lambda-errors': lambdaErrors });
    expect(rendered.ok && rendered.queries).toEqual([lambdaStat('6')]);
    const missing = renderCloudWatchQuery({ type: 'cloudwatch', customFilterTemplate: 'errors' }, version, 'Errors', { 'lambda-errors': lambdaErrors });
    expect(!missing.ok && missing.message).toBe("metric 'Errors' query.customFilterTemplate is 'errors', which the canary config's templates do not define (known: lambda-errors); add it to templates or fix the name");
  });

  it('fails on a template variable the scope does not bind, naming the dimension', () => {
    const result = renderCloudWatchQuery({ type: 'cloudwatch', customInlineTemplate: lambdaErrors }, { ...version, extendedScopeParams: { functionName: 'hello-api' } }, 'Errors');
    expect(!result.ok && result.message).toMatch(/^metric 'Errors' query\.dimensions\.Resource uses \$\{alias\}, which is not bound/);
  });

  it('fails on an unbound variable in a dimension, naming the dimension', () => {
    const result = renderCloudWatchQuery({ type: 'cloudwatch', namespace: 'N', metricName: 'M', stat: 'Sum', dimensions: { Cluster: '${cluster}' } }, scope, 'm');
    expect(!result.ok && result.message).toMatch(/^metric 'm' query\.dimensions\.Cluster uses \$\{cluster\}, which is not bound/);
  });
});

describe('parseMetricQuery', () => {
  it.each<[string, unknown, unknown]>([
    ['a local query', { type: 'local', metricName: 'error_rate' }, { type: 'local', metricName: 'error_rate' }],
    ['Deck’s serviceType', { serviceType: 'local', metricName: 'latency_p99' }, { type: 'local', metricName: 'latency_p99' }],
    [
      'a Kayenta prometheus query, unknown fields ignored',
      { type: 'prometheus', serviceType: 'prometheus', metricName: 'up', labelBindings: [], customInlineTemplate: 'a="${scope}"', functions: [], locationLabel: null },
      { type: 'prometheus', metricName: 'up', labelBindings: [], customInlineTemplate: 'a="${scope}"' },
    ],
    ['a cloudwatch metric', { type: 'cloudwatch', namespace: 'N', metricName: 'M', stat: 'Sum', dimensions: { A: '${scope}' } }, { type: 'cloudwatch', namespace: 'N', metricName: 'M', stat: 'Sum', dimensions: { A: '${scope}' } }],
    [
      'cloudwatch metric math',
      { type: 'cloudwatch', expression: 'a / b', metrics: { a: { namespace: 'N', metricName: 'A', stat: 'Sum' }, b: { namespace: 'N', metricName: 'B', stat: 'Sum' } } },
      { type: 'cloudwatch', expression: 'a / b', metrics: { a: { namespace: 'N', metricName: 'A', stat: 'Sum' }, b: { namespace: 'N', metricName: 'B', stat: 'Sum' } } },
    ],
    [
      "Armory Kayenta's cloudwatch query, its metricName ignored",
      { type: 'cloudwatch', serviceType: 'cloudwatch', metricName: 'Errors', customInlineTemplate: '{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors"},"Stat":"Sum"}' },
      { type: 'cloudwatch', customInlineTemplate: '{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors"},"Stat":"Sum"}' },
    ],
    ['a cloudwatch query naming a template', { type: 'cloudwatch', customFilterTemplate: 'lambda-errors' }, { type: 'cloudwatch', customFilterTemplate: 'lambda-errors' }],
  ])('parses %s', (_, input, expected) => {
    expect(parseMetricQuery(input)).toEqual({ ok: true, query: expected });
  });

  it.each<[string, unknown, string]>([
    ['an unknown type', { type: 'datadog' }, 'metrics[0].query.type is "datadog"; supported metric sources: local, prometheus, cloudwatch'],
    ['no object', 'up', 'metrics[0].query is "up", expected an object with a type (local, prometheus, cloudwatch)'],
    ['disagreeing type and serviceType', { type: 'local', serviceType: 'prometheus' }, 'metrics[0].query.type is "local" but metrics[0].query.serviceType is "prometheus"; make them agree'],
    ['an unknown local metric', { type: 'local', metricName: 'cpu' }, 'metrics[0].query.metricName is "cpu"; the local source knows request_rate, error_rate, error_count, latency_mean, latency_p50, latency_p90, latency_p99'],
    ['the deprecated customFilter', { type: 'prometheus', customFilter: 'a="b"' }, 'metrics[0].query.customFilter is deprecated (as in Kayenta); move "a=\\"b\\"" to customInlineTemplate'],
    ['labelBindings that are not strings', { type: 'prometheus', labelBindings: [1] }, 'metrics[0].query.labelBindings is [1], expected a list of strings'],
    ['a cloudwatch metric without stat', { type: 'cloudwatch', namespace: 'N', metricName: 'M' }, 'metrics[0].query.stat is required, got undefined; set it, e.g. "Average"'],
    ['expression and metric fields together', { type: 'cloudwatch', expression: 'a', namespace: 'N' }, 'metrics[0].query sets both expression and namespace; put the metric under metrics[0].query.metrics.<id> and refer to it by id in the expression'],
    ['a bad metric id', { type: 'cloudwatch', expression: 'A', metrics: { A: { namespace: 'N', metricName: 'M', stat: 'Sum' } } }, "metrics[0].query.metrics has id 'A'; ids start with a lowercase letter and hold only letters, digits and '_' ('result' is reserved)"],
    ['dimensions that are not strings', { type: 'cloudwatch', namespace: 'N', metricName: 'M', stat: 'Sum', dimensions: { A: 1 } }, 'metrics[0].query.dimensions is {"A":1}, expected an object of strings, e.g. { "AutoScalingGroupName": "${scope}" }'],
    ['a template that is not JSON', { type: 'cloudwatch', customInlineTemplate: 'Errors by version' }, expect.stringMatching(/^metrics\[0\]\.query\.customInlineTemplate is not JSON \(.*\); write a CloudWatch MetricStat such as \{"Metric"/)],
    ['a template without Stat', { type: 'cloudwatch', customInlineTemplate: '{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors"}}' }, 'metrics[0].query.customInlineTemplate.Stat is required, got undefined; set it, e.g. "Average"'],
    [
      'template dimensions as an object',
      { type: 'cloudwatch', customInlineTemplate: '{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors","Dimensions":{"FunctionName":"f"}},"Stat":"Sum"}' },
      'metrics[0].query.customInlineTemplate.Metric.Dimensions is {"FunctionName":"f"}, expected a list of { "Name": "...", "Value": "..." }',
    ],
    ['a template and metric fields together', { type: 'cloudwatch', customInlineTemplate: '{}', namespace: 'AWS/Lambda' }, "metrics[0].query sets both a template and namespace; the template's MetricStat names the metric, so drop namespace"],
  ])('fails on %s', (_, input, message) => {
    expect(parseMetricQuery(input, 'metrics[0].query')).toEqual({ ok: false, message });
  });
});
