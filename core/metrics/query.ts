/**
 * The `query` of a canary config's metric (Kayenta's `CanaryMetricSetQueryConfig`), one shape
 * per metric source, discriminated by `type` as in Kayenta's JSON (`"type": "prometheus"`;
 * Deck also writes `serviceType`, accepted when `type` is absent). Configs are parsed here once,
 * at the edge: fields Gennaker does not read are ignored, so a team's Kayenta config loads
 * unchanged, and a wrong field gets one line naming it, its value and the fix.
 *
 * - `local`: Gennaker's own load balancer (DESIGN.md §7), `metricName` from LOCAL_METRIC_NAMES.
 * - `prometheus`: Kayenta's fields exactly (`metricName`, `labelBindings`, `groupByFields`,
 *   `resourceType`, `scopeLabel`, `customInlineTemplate`, `customFilterTemplate`); see
 *   prometheus.ts for how the PromQL is built.
 * - `cloudwatch`: OSS Kayenta has no CloudWatch source; Armory's Kayenta reads a CloudWatch
 *   `MetricStat` JSON (`Metric.Namespace`, `Metric.MetricName`, `Metric.Dimensions`, `Stat`,
 *   `Unit`, `Period`) from the query's template, `customInlineTemplate` or the canary config's
 *   `templates` entry named by `customFilterTemplate`, and that shape is accepted unchanged.
 *   Gennaker's own shape beside it: one metric (`namespace`, `metricName`, `dimensions`, `stat`,
 *   `unit`) or metric math (`expression` over the named `metrics`). See cloudwatch.ts.
 */

/** What the local source computes per time step from the load balancer's counts (local.ts). */
export const LOCAL_METRIC_NAMES = ['request_rate', 'error_rate', 'error_count', 'latency_mean', 'latency_p50', 'latency_p90', 'latency_p99'] as const;

export type LocalMetricName = (typeof LOCAL_METRIC_NAMES)[number];

export interface LocalMetricQuery {
  readonly type: 'local';
  readonly metricName: LocalMetricName;
}

export interface PrometheusMetricQuery {
  readonly type: 'prometheus';
  /** Required unless a template expands to a whole `PromQL:` expression. */
  readonly metricName?: string;
  /** `gce_instance` or `aws_ec2_instance`: Kayenta's built-in scope filters when no template is set. */
  readonly resourceType?: string;
  /** Extra label matchers, verbatim (`job="hello"`). Not templated, as in Kayenta. */
  readonly labelBindings?: readonly string[];
  /** `avg(...) by (these)`; a query must still return one series (see prometheus.ts). */
  readonly groupByFields?: readonly string[];
  /** The label holding the scope for `gce_instance`. @default 'instance' (Kayenta's `scopeLabel`) */
  readonly scopeLabel?: string;
  /** A filter (comma-separated matchers) or, prefixed `PromQL:`, a whole query; over the scope's variables. */
  readonly customInlineTemplate?: string;
  /** The name of an entry of the canary config's `templates`; `customInlineTemplate` wins when both are set. */
  readonly customFilterTemplate?: string;
}

/** One CloudWatch metric and statistic (`MetricStat` of GetMetricData). String fields are templates. */
export interface CloudWatchMetricSpec {
  readonly namespace: string;
  readonly metricName: string;
  /** Dimension name → value template, e.g. `{ "AutoScalingGroupName": "${scope}" }`. */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** `Average`, `Sum`, `Maximum`, `p99`, `TM(10%:90%)`... */
  readonly stat: string;
  readonly unit?: string;
}

export interface CloudWatchMetricQuery {
  readonly type: 'cloudwatch';
  /** A CloudWatch `MetricStat` JSON whose strings are templates (Armory Kayenta's CloudWatch query); wins over the fields below. */
  readonly customInlineTemplate?: string;
  /** The name of an entry of the canary config's `templates` holding such a `MetricStat` JSON. */
  readonly customFilterTemplate?: string;
  /** One metric: these four (with `dimensions`, `unit`) are set, `expression` is not. */
  readonly namespace?: string;
  readonly metricName?: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly stat?: string;
  readonly unit?: string;
  /** Metric math over `metrics` by their ids (`100 * errors / requests`); a template too. */
  readonly expression?: string;
  /** The inputs of `expression`, keyed by id (lowercase first letter, letters, digits, `_`). */
  readonly metrics?: Readonly<Record<string, CloudWatchMetricSpec>>;
}

export type CanaryMetricQuery = LocalMetricQuery | PrometheusMetricQuery | CloudWatchMetricQuery;

export type MetricQueryType = CanaryMetricQuery['type'];

export const METRIC_QUERY_TYPES: readonly MetricQueryType[] = ['local', 'prometheus', 'cloudwatch'];

export type ParseQueryResult = { readonly ok: true; readonly query: CanaryMetricQuery } | { readonly ok: false; readonly message: string };

type Fields = Record<string, unknown>;

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class QueryProblem {
  constructor(readonly message: string) {}
}

function optionalString(fields: Fields, key: string, path: string): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new QueryProblem(`${path}.${key} is ${show(value)}, expected a string`);
  return value;
}

function requiredString(fields: Fields, key: string, path: string, example: string): string {
  const value = optionalString(fields, key, path);
  if (value === undefined || value.trim() === '') throw new QueryProblem(`${path}.${key} is required, got ${show(fields[key])}; set it, e.g. ${example}`);
  return value;
}

function optionalStrings(fields: Fields, key: string, path: string): string[] | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new QueryProblem(`${path}.${key} is ${show(value)}, expected a list of strings`);
  return value as string[];
}

function optionalStringMap(fields: Fields, key: string, path: string): Record<string, string> | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || Object.values(value).some((item) => typeof item !== 'string')) {
    throw new QueryProblem(`${path}.${key} is ${show(value)}, expected an object of strings, e.g. { "AutoScalingGroupName": "\${scope}" }`);
  }
  return { ...(value as Record<string, string>) };
}

function parseLocal(fields: Fields, path: string): LocalMetricQuery {
  const metricName = fields.metricName;
  if (typeof metricName !== 'string' || !(LOCAL_METRIC_NAMES as readonly string[]).includes(metricName)) {
    throw new QueryProblem(`${path}.metricName is ${show(metricName)}; the local source knows ${LOCAL_METRIC_NAMES.join(', ')}`);
  }
  return { type: 'local', metricName: metricName as LocalMetricName };
}

function parsePrometheus(fields: Fields, path: string): PrometheusMetricQuery {
  if (fields.customFilter !== undefined && fields.customFilter !== null) {
    throw new QueryProblem(`${path}.customFilter is deprecated (as in Kayenta); move ${show(fields.customFilter)} to customInlineTemplate`);
  }
  const query: PrometheusMetricQuery = {
    type: 'prometheus',
    metricName: optionalString(fields, 'metricName', path),
    resourceType: optionalString(fields, 'resourceType', path),
    labelBindings: optionalStrings(fields, 'labelBindings', path),
    groupByFields: optionalStrings(fields, 'groupByFields', path),
    scopeLabel: optionalString(fields, 'scopeLabel', path),
    customInlineTemplate: optionalString(fields, 'customInlineTemplate', path),
    customFilterTemplate: optionalString(fields, 'customFilterTemplate', path),
  };
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as unknown as PrometheusMetricQuery;
}

const CLOUDWATCH_ID = /^[a-z][a-zA-Z0-9_]*$/;

function parseCloudWatchSpec(fields: Fields, path: string): CloudWatchMetricSpec {
  const dimensions = optionalStringMap(fields, 'dimensions', path);
  const unit = optionalString(fields, 'unit', path);
  return {
    namespace: requiredString(fields, 'namespace', path, '"AWS/ApplicationELB"'),
    metricName: requiredString(fields, 'metricName', path, '"TargetResponseTime"'),
    ...(dimensions ? { dimensions } : {}),
    stat: requiredString(fields, 'stat', path, '"Average"'),
    ...(unit !== undefined ? { unit } : {}),
  };
}

/**
 * The metric of a `MetricStat` JSON template (`{ "Metric": { "Namespace", "MetricName",
 * "Dimensions": [{ "Name", "Value" }] }, "Stat", "Unit", "Period" }`), its strings still
 * templates. `Period` is read but not kept: the scope's step is every query's period, so control
 * and experiment points line up. `field` names the template in messages.
 */
export function metricStatFromTemplate(template: string, field: string): { ok: true; spec: CloudWatchMetricSpec } | { ok: false; message: string } {
  let parsed: unknown;
  try {
    // Kayenta stores templates with `${` escaped as `$\{`, which is not JSON.
    parsed = JSON.parse(template.replaceAll('$\\{', '${'));
  } catch (error) {
    return { ok: false, message: `${field} is not JSON (${(error as Error).message}); write a CloudWatch MetricStat such as {"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors","Dimensions":[{"Name":"FunctionName","Value":"\${scope}"}]},"Stat":"Average"}` };
  }
  try {
    if (!isObject(parsed)) throw new QueryProblem(`${field} is ${show(parsed)}, expected a CloudWatch MetricStat object with Metric and Stat`);
    const metric = parsed.Metric;
    if (!isObject(metric)) throw new QueryProblem(`${field}.Metric is ${show(metric)}, expected { "Namespace", "MetricName", "Dimensions" }`);
    const dimensionsValue = metric.Dimensions;
    let dimensions: Record<string, string> | undefined;
    if (dimensionsValue !== undefined && dimensionsValue !== null) {
      if (!Array.isArray(dimensionsValue) || dimensionsValue.some((item) => !isObject(item) || typeof item.Name !== 'string' || typeof item.Value !== 'string')) {
        throw new QueryProblem(`${field}.Metric.Dimensions is ${show(dimensionsValue)}, expected a list of { "Name": "...", "Value": "..." }`);
      }
      dimensions = {};
      for (const item of dimensionsValue as Array<{ Name: string; Value: string }>) {
        if (Object.prototype.hasOwnProperty.call(dimensions, item.Name)) throw new QueryProblem(`${field}.Metric.Dimensions names '${item.Name}' twice; keep one`);
        dimensions[item.Name] = item.Value;
      }
    }
    const period = parsed.Period;
    if (period !== undefined && period !== null && (typeof period !== 'number' || !Number.isInteger(period) || period < 1)) {
      throw new QueryProblem(`${field}.Period is ${show(period)}, expected a whole number of seconds (the scope's step is used as the period)`);
    }
    const unit = optionalString(parsed, 'Unit', field);
    return {
      ok: true,
      spec: {
        namespace: requiredString(metric, 'Namespace', `${field}.Metric`, '"AWS/Lambda"'),
        metricName: requiredString(metric, 'MetricName', `${field}.Metric`, '"Errors"'),
        ...(dimensions ? { dimensions } : {}),
        stat: requiredString(parsed, 'Stat', field, '"Average"'),
        ...(unit !== undefined ? { unit } : {}),
      },
    };
  } catch (error) {
    if (error instanceof QueryProblem) return { ok: false, message: error.message };
    throw error;
  }
}

function parseCloudWatch(fields: Fields, path: string): CloudWatchMetricQuery {
  const inline = optionalString(fields, 'customInlineTemplate', path);
  const named = optionalString(fields, 'customFilterTemplate', path);
  if (inline !== undefined || named !== undefined) {
    for (const key of ['expression', 'metrics', 'namespace', 'stat', 'dimensions']) {
      if (fields[key] !== undefined) throw new QueryProblem(`${path} sets both a template and ${key}; the template's MetricStat names the metric, so drop ${key}`);
    }
    if (inline !== undefined) {
      const checked = metricStatFromTemplate(inline, `${path}.customInlineTemplate`);
      if (!checked.ok) throw new QueryProblem(checked.message);
      return { type: 'cloudwatch', customInlineTemplate: inline, ...(named !== undefined ? { customFilterTemplate: named } : {}) };
    }
    return { type: 'cloudwatch', customFilterTemplate: named! };
  }
  const expression = optionalString(fields, 'expression', path);
  if (expression === undefined) {
    if (fields.metrics !== undefined) throw new QueryProblem(`${path}.metrics is set without ${path}.expression; add the metric math expression, or use namespace/metricName/stat for one metric`);
    return { type: 'cloudwatch', ...parseCloudWatchSpec(fields, path) };
  }
  for (const key of ['namespace', 'metricName', 'stat', 'dimensions']) {
    if (fields[key] !== undefined) throw new QueryProblem(`${path} sets both expression and ${key}; put the metric under ${path}.metrics.<id> and refer to it by id in the expression`);
  }
  if (expression.trim() === '') throw new QueryProblem(`${path}.expression is empty; write metric math such as "100 * errors / requests"`);
  const metricsValue = fields.metrics ?? {};
  if (!isObject(metricsValue)) throw new QueryProblem(`${path}.metrics is ${show(metricsValue)}, expected an object of metrics by id`);
  const metrics: Record<string, CloudWatchMetricSpec> = {};
  for (const [id, spec] of Object.entries(metricsValue)) {
    if (!CLOUDWATCH_ID.test(id) || id === 'result') {
      throw new QueryProblem(`${path}.metrics has id '${id}'; ids start with a lowercase letter and hold only letters, digits and '_' ('result' is reserved)`);
    }
    if (!isObject(spec)) throw new QueryProblem(`${path}.metrics.${id} is ${show(spec)}, expected { namespace, metricName, dimensions, stat }`);
    metrics[id] = parseCloudWatchSpec(spec, `${path}.metrics.${id}`);
  }
  return { type: 'cloudwatch', expression, metrics };
}

/**
 * Parses a metric's `query` object. `path` prefixes messages (`metrics[2].query`). Unknown
 * fields are ignored; an unknown `type` lists the supported ones.
 */
export function parseMetricQuery(value: unknown, path = 'query'): ParseQueryResult {
  if (!isObject(value)) return { ok: false, message: `${path} is ${show(value)}, expected an object with a type (${METRIC_QUERY_TYPES.join(', ')})` };
  const type = value.type ?? value.serviceType;
  if (value.type !== undefined && value.serviceType !== undefined && value.type !== value.serviceType) {
    return { ok: false, message: `${path}.type is ${show(value.type)} but ${path}.serviceType is ${show(value.serviceType)}; make them agree` };
  }
  try {
    switch (type) {
      case 'local':
        return { ok: true, query: parseLocal(value, path) };
      case 'prometheus':
        return { ok: true, query: parsePrometheus(value, path) };
      case 'cloudwatch':
        return { ok: true, query: parseCloudWatch(value, path) };
      default:
        return { ok: false, message: `${path}.type is ${show(type)}; supported metric sources: ${METRIC_QUERY_TYPES.join(', ')}` };
    }
  } catch (error) {
    if (error instanceof QueryProblem) return { ok: false, message: error.message };
    throw error;
  }
}
