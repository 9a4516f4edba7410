/**
 * The local metric source: canary metrics from the local load balancer's per-server-group
 * counts (adapters/targets/local/metrics.ts), read through the local target's
 * `metrics(ref, since)`. The scope names a server group; its cluster comes from the Frigga name
 * (`hello-prod-canary-v001` → `hello-prod`), the location from the scope, the account from the
 * factory. The load balancer records fixed slots (1 s by default); each step of the window sums
 * the slots that start inside it, then computes the metric (core/metrics/local.ts). A step
 * without a request is null. For exact steps, window starts and steps should be multiples of
 * the slot width (whole seconds by default); a slot belongs to the step its start falls in.
 */
import { parseServerGroupName } from '../../core/deploy/names.ts';
import { describeLocalQuery, localMetricValue, sumCounts, type RequestCountsLike } from '../../core/metrics/local.ts';
import { LOCAL_METRIC_NAMES } from '../../core/metrics/query.ts';
import { planWindow } from '../../core/metrics/series.ts';
import type { ClusterRef } from '../targets/local/local-target-api.ts';
import type { MetricFetchRequest, MetricFetchResult, MetricSource } from '../../core/ports/metric-source.ts';
import type { ClusterMetrics } from '../targets/local/local-deploy-target.ts';
import { LATENCY_BUCKETS_MS } from '../targets/local/metrics.ts';

export interface LocalMetricSourceOptions {
  /** The local target's `metrics` (LocalDeployTarget.metrics). */
  readonly metrics: (ref: ClusterRef, since?: number) => ClusterMetrics | undefined | Promise<ClusterMetrics | undefined>;
  /** The account the local target serves (`local`). */
  readonly account: string;
  /** Upper bounds of the load balancer's latency buckets, ms. @default LATENCY_BUCKETS_MS */
  readonly latencyBoundsMs?: readonly number[];
}

export function createLocalMetricSource(options: LocalMetricSourceOptions): MetricSource {
  const latencyBoundsMs = options.latencyBoundsMs ?? LATENCY_BUCKETS_MS;

  return {
    type: 'local',
    async fetch({ metric, scope }: MetricFetchRequest): Promise<MetricFetchResult> {
      const { query } = metric;
      if (query.type !== 'local') {
        return { ok: false, reason: 'unsupported', message: `metric '${metric.name}' is a ${query.type} query; the local source serves type 'local' only — configure a ${query.type} metric source` };
      }
      if (!(LOCAL_METRIC_NAMES as readonly string[]).includes(query.metricName)) {
        return { ok: false, reason: 'invalid', message: `metric '${metric.name}' query.metricName is '${String(query.metricName)}'; the local source knows ${LOCAL_METRIC_NAMES.join(', ')}` };
      }
      const planned = planWindow(scope);
      if (!planned.ok) return { ok: false, reason: 'invalid', message: `metric '${metric.name}': ${planned.message}` };
      const window = planned.window;
      const parsed = parseServerGroupName(scope.scope);
      if (!parsed) {
        return { ok: false, reason: 'invalid', message: `metric '${metric.name}': scope '${scope.scope}' is not a server group name; the local source expects app-stack-detail-vNNN` };
      }
      const where = { account: options.account, location: scope.location, cluster: parsed.cluster, serverGroup: scope.scope };
      const text = describeLocalQuery(query.metricName, where, scope.stepSeconds);
      const cluster = await options.metrics({ account: where.account, location: where.location, cluster: where.cluster }, window.start);
      if (!cluster) {
        return {
          ok: false,
          reason: 'not-found',
          message: `metric '${metric.name}': the local target has no cluster ${where.cluster} in ${where.account}/${where.location}; check the scope's server group name and location`,
          query: text,
        };
      }
      const steps: RequestCountsLike[][] = window.timestamps.map(() => []);
      const series = cluster.serverGroups.find((group) => group.serverGroup === scope.scope)?.series ?? [];
      for (const slot of series) {
        const index = Math.floor((slot.start - window.start) / window.stepMs);
        if (index >= 0 && index < steps.length) steps[index]!.push(slot);
      }
      const bucketCount = latencyBoundsMs.length + 1;
      const values = steps.map((slots) => localMetricValue(query.metricName, sumCounts(slots, bucketCount), { stepSeconds: scope.stepSeconds, latencyBoundsMs }));
      return { ok: true, values, timestamps: window.timestamps, query: text };
    },
  };
}
