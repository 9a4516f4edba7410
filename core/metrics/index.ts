/** Metric queries for canary analysis: query shapes, templates, the time grid, per-source rendering. */
export { describeLocalQuery, histogramQuantile, localMetricValue, sumCounts, type RequestCountsLike } from './local.ts';
export { DEFAULT_SCOPE_LABEL, renderPrometheusQuery, type RenderedQuery } from './prometheus.ts';
export { isCloudWatchPeriod, renderCloudWatchQuery, RESULT_ID, type CloudWatchDataQuery, type CloudWatchMetricStat, type RenderedCloudWatchQuery } from './cloudwatch.ts';
export {
  LOCAL_METRIC_NAMES,
  METRIC_QUERY_TYPES,
  parseMetricQuery,
  type CanaryMetricQuery,
  type CloudWatchMetricQuery,
  type CloudWatchMetricSpec,
  type LocalMetricName,
  type LocalMetricQuery,
  type MetricQueryType,
  type ParseQueryResult,
  type PrometheusMetricQuery,
} from './query.ts';
export { alignToWindow, MAX_POINTS, planWindow, templateBindings, type MetricWindow, type WindowResult } from './series.ts';
export { renderTemplate, type TemplateResult } from './template.ts';
