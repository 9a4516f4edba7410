/**
 * CloudWatch `GetMetricData` queries for a canary scope (the `cloudwatch` query type, query.ts):
 * a `MetricStat` JSON template as Armory's Kayenta writes it (`customInlineTemplate`, or the
 * config's `templates` entry named by `customFilterTemplate`), or Gennaker's fields. Every
 * string of the query — namespace, metric name, dimension values, stat, unit, the metric math
 * expression — is a template over the scope's variables (template.ts), so one config serves
 * control and experiment: `"dimensions": { "AutoScalingGroupName": "${scope}" }`, or for a
 * Lambda alias's versions `{ "Name": "ExecutedVersion", "Value": "${scope}" }`.
 *
 * The queries use AWS's own field names so the adapter sends them as they are and the report
 * shows exactly what was asked. The series the source returns is the query with id `result`:
 * the metric itself, or the expression over the metrics (those are fetched with
 * `ReturnData: false`). Each point's period is the scope's step, which CloudWatch accepts only
 * as 1, 5, 10, 20, 30, 60 or a multiple of 60 seconds.
 */
import type { MetricScope } from '../ports/metric-source.ts';
import { metricStatFromTemplate, type CloudWatchMetricQuery, type CloudWatchMetricSpec } from './query.ts';
import { templateBindings } from './series.ts';
import { renderTemplate } from './template.ts';

export interface CloudWatchMetricStat {
  readonly Metric: {
    readonly Namespace: string;
    readonly MetricName: string;
    readonly Dimensions?: ReadonlyArray<{ readonly Name: string; readonly Value: string }>;
  };
  readonly Period: number;
  readonly Stat: string;
  readonly Unit?: string;
}

/** One `MetricDataQuery` of GetMetricData. */
export interface CloudWatchDataQuery {
  readonly Id: string;
  readonly MetricStat?: CloudWatchMetricStat;
  readonly Expression?: string;
  readonly Period?: number;
  readonly ReturnData: boolean;
}

/** The id of the query whose values are the metric's series. */
export const RESULT_ID = 'result';

export type RenderedCloudWatchQuery =
  | { readonly ok: true; readonly queries: readonly CloudWatchDataQuery[]; readonly text: string }
  | { readonly ok: false; readonly message: string };

const SHORT_PERIODS = [1, 5, 10, 20, 30, 60];

/** Whether CloudWatch accepts `seconds` as a period. */
export function isCloudWatchPeriod(seconds: number): boolean {
  return Number.isInteger(seconds) && (SHORT_PERIODS.includes(seconds) || (seconds > 0 && seconds % 60 === 0));
}

class RenderProblem {
  constructor(readonly message: string) {}
}

function renderSpec(spec: CloudWatchMetricSpec, bindings: Readonly<Record<string, string>>, field: string, period: number): CloudWatchMetricStat {
  const render = (template: string, name: string): string => {
    const rendered = renderTemplate(template, bindings, `${field}.${name}`);
    if (!rendered.ok) throw new RenderProblem(rendered.message);
    return rendered.text;
  };
  const dimensions = Object.entries(spec.dimensions ?? {}).map(([name, value]) => ({ Name: name, Value: render(value, `dimensions.${name}`) }));
  const unit = spec.unit !== undefined ? render(spec.unit, 'unit') : undefined;
  return {
    Metric: {
      Namespace: render(spec.namespace, 'namespace'),
      MetricName: render(spec.metricName, 'metricName'),
      ...(dimensions.length > 0 ? { Dimensions: dimensions } : {}),
    },
    Period: period,
    Stat: render(spec.stat, 'stat'),
    ...(unit !== undefined ? { Unit: unit } : {}),
  };
}

/** The MetricStat template of `query` (inline, else the named entry of `templates`), or undefined when it has none. */
function templateOf(query: CloudWatchMetricQuery, templates: Readonly<Record<string, string>>, field: string): { ok: true; spec?: CloudWatchMetricSpec } | { ok: false; message: string } {
  if (query.customInlineTemplate !== undefined) return metricStatFromTemplate(query.customInlineTemplate, `${field}.customInlineTemplate`);
  const name = query.customFilterTemplate;
  if (name === undefined) return { ok: true };
  if (!Object.prototype.hasOwnProperty.call(templates, name)) {
    const known = Object.keys(templates);
    return { ok: false, message: `${field}.customFilterTemplate is '${name}', which the canary config's templates do not define (${known.length > 0 ? `known: ${known.join(', ')}` : 'it has none'}); add it to templates or fix the name` };
  }
  return metricStatFromTemplate(templates[name]!, `template '${name}'`);
}

/**
 * Renders the GetMetricData queries of `query` for `scope`; `metricName` names the canary metric
 * in messages, `templates` is the canary config's `templates`.
 */
export function renderCloudWatchQuery(query: CloudWatchMetricQuery, scope: MetricScope, metricName: string, templates: Readonly<Record<string, string>> = {}): RenderedCloudWatchQuery {
  if (!isCloudWatchPeriod(scope.stepSeconds)) {
    return { ok: false, message: `metric '${metricName}': stepSeconds ${scope.stepSeconds} is not a CloudWatch period; use 1, 5, 10, 20, 30, 60 or a multiple of 60` };
  }
  const bindings = templateBindings(scope);
  const field = `metric '${metricName}' query`;
  const template = templateOf(query, templates, field);
  if (!template.ok) return template;
  try {
    let queries: CloudWatchDataQuery[];
    if (template.spec !== undefined) {
      queries = [{ Id: RESULT_ID, MetricStat: renderSpec(template.spec, bindings, field, scope.stepSeconds), ReturnData: true }];
    } else if (query.expression === undefined) {
      const { namespace, metricName: name, stat } = query;
      if (namespace === undefined || name === undefined || stat === undefined) {
        return { ok: false, message: `${field} needs namespace, metricName and stat (or expression with metrics); add the missing fields` };
      }
      const spec: CloudWatchMetricSpec = { namespace, metricName: name, stat, ...(query.dimensions ? { dimensions: query.dimensions } : {}), ...(query.unit !== undefined ? { unit: query.unit } : {}) };
      queries = [{ Id: RESULT_ID, MetricStat: renderSpec(spec, bindings, field, scope.stepSeconds), ReturnData: true }];
    } else {
      const expression = renderTemplate(query.expression, bindings, `${field}.expression`);
      if (!expression.ok) return expression;
      queries = [
        ...Object.entries(query.metrics ?? {}).map(([id, spec]) => ({ Id: id, MetricStat: renderSpec(spec, bindings, `${field}.metrics.${id}`, scope.stepSeconds), ReturnData: false })),
        { Id: RESULT_ID, Expression: expression.text, Period: scope.stepSeconds, ReturnData: true },
      ];
    }
    return { ok: true, queries, text: JSON.stringify(queries) };
  } catch (error) {
    if (error instanceof RenderProblem) return { ok: false, message: error.message };
    throw error;
  }
}
