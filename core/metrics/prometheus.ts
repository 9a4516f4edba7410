/**
 * PromQL for a canary scope, built as Kayenta's `PrometheusMetricsService.buildQuery` builds it:
 *
 * 1. The template — `customInlineTemplate`, else the canary config's `templates` entry named by
 *    `customFilterTemplate` — is expanded over the scope's variables (template.ts).
 * 2. If the expansion starts with `PromQL:`, the rest is the whole query, used verbatim.
 * 3. Otherwise `metricName` is required and gets a selector: the expansion split at every `,`
 *    (Kayenta's split; a comma inside a regex matcher splits it too), then `labelBindings`. With
 *    no template, `labelBindings` then the filters of `resourceType`: `gce_instance` adds
 *    `<scopeLabel>=~"<scope>-.{4}"` and `zone=~".+/[projects/<project>/]zones/<location>-.{1}"`,
 *    `aws_ec2_instance` adds `asg_groupName="<scope>"` and `zone=~"<location>.{1}"`; any other
 *    resource type, or none, is an error, as in Kayenta.
 * 4. The selector is averaged: `avg(<metric>{<matchers>})`, plus ` by (<groupByFields>)`.
 *
 * Divergences, deliberate: `project` for `gce_instance` comes from the extended scope params
 * (Kayenta also has a `project` field on its scope); a query that returns more than one series
 * (`groupByFields`, or a `PromQL:` query without aggregation) is refused by the source, because
 * a metric source answers one series per scope, where Kayenta would judge each label set apart.
 */
import type { MetricScope } from '../ports/metric-source.ts';
import type { PrometheusMetricQuery } from './query.ts';
import { templateBindings } from './series.ts';
import { renderTemplate } from './template.ts';

export type RenderedQuery = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

/** Kayenta's default `scopeLabel` (`kayenta.prometheus.scopeLabel`). */
export const DEFAULT_SCOPE_LABEL = 'instance';

const PROMQL_PREFIX = 'PromQL:';

/** The template the query names, expanded; undefined when it names none. */
function expandTemplate(query: PrometheusMetricQuery, scope: MetricScope, templates: Readonly<Record<string, string>>, name: string): RenderedQuery | undefined {
  const bindings = templateBindings(scope, query);
  if (query.customInlineTemplate !== undefined && query.customInlineTemplate !== '') {
    return renderTemplate(query.customInlineTemplate, bindings, `metric '${name}' query.customInlineTemplate`);
  }
  const templateName = query.customFilterTemplate;
  if (templateName === undefined || templateName === '') return undefined;
  if (!Object.prototype.hasOwnProperty.call(templates, templateName)) {
    const known = Object.keys(templates);
    return {
      ok: false,
      message: `metric '${name}' query.customFilterTemplate is '${templateName}', which the canary config's templates do not define (${known.length > 0 ? `known: ${known.join(', ')}` : 'it has none'}); add it to templates or fix the name`,
    };
  }
  return renderTemplate(templates[templateName]!, bindings, `template '${templateName}' (metric '${name}')`);
}

function resourceFilters(query: PrometheusMetricQuery, scope: MetricScope, name: string): RenderedQuery & { readonly filters?: readonly string[] } {
  const bindings = templateBindings(scope, query);
  const resourceType = bindings.resourceType;
  const location = bindings.location;
  if (resourceType === 'gce_instance' || resourceType === 'aws_ec2_instance') {
    if (location === undefined) return { ok: false, message: `metric '${name}': resourceType ${resourceType} needs the scope's location (region); set the scope's location` };
    if (resourceType === 'gce_instance') {
      const project = bindings.project;
      const scopeLabel = query.scopeLabel ?? DEFAULT_SCOPE_LABEL;
      return { ok: true, text: '', filters: [`${scopeLabel}=~"${scope.scope}-.{4}"`, `zone=~".+/${project ? `projects/${project}/` : ''}zones/${location}-.{1}"`] };
    }
    return { ok: true, text: '', filters: [`asg_groupName="${scope.scope}"`, `zone=~"${location}.{1}"`] };
  }
  if (resourceType !== undefined) {
    return {
      ok: false,
      message: `metric '${name}': resourceType '${resourceType}' has no built-in filters (known: gce_instance, aws_ec2_instance); write the selector in customInlineTemplate instead`,
    };
  }
  return {
    ok: false,
    message: `metric '${name}': a prometheus query needs customInlineTemplate, customFilterTemplate or resourceType to select the scope; add e.g. "customInlineTemplate": "server_group=\\"\${scope}\\""`,
  };
}

/** Renders the PromQL of `query` for `scope`. `templates` is the canary config's `templates`. */
export function renderPrometheusQuery(query: PrometheusMetricQuery, scope: MetricScope, metricName: string, templates: Readonly<Record<string, string>> = {}): RenderedQuery {
  const expanded = expandTemplate(query, scope, templates, metricName);
  if (expanded && !expanded.ok) return expanded;
  const custom = expanded?.text;
  if (custom !== undefined && custom.startsWith(PROMQL_PREFIX)) {
    const promql = custom.slice(PROMQL_PREFIX.length);
    if (promql.trim() === '') return { ok: false, message: `metric '${metricName}': the template expands to 'PromQL:' with no query after it; write the query after the prefix` };
    return { ok: true, text: promql };
  }
  if (query.metricName === undefined || query.metricName.trim() === '') {
    return { ok: false, message: `metric '${metricName}': query.metricName is required unless the template expands to a whole 'PromQL:' query; set metricName, e.g. "http_requests_total"` };
  }
  let matchers: string[];
  if (custom !== undefined && custom !== '') {
    matchers = [...custom.split(','), ...(query.labelBindings ?? [])];
  } else {
    const filters = resourceFilters(query, scope, metricName);
    if (!filters.ok) return filters;
    matchers = [...(query.labelBindings ?? []), ...(filters.filters ?? [])];
  }
  const selector = matchers.length > 0 ? `${query.metricName}{${matchers.join(',')}}` : query.metricName;
  const groupBy = query.groupByFields && query.groupByFields.length > 0 ? ` by (${query.groupByFields.join(',')})` : '';
  return { ok: true, text: `avg(${selector})${groupBy}` };
}
