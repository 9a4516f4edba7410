/**
 * Request metrics the local load balancer records per server group, for canary analysis
 * (the local metric source) and for people: totals, and a time series of fixed-width slots so
 * a reader can take any window later. Latency goes into a fixed-bucket histogram, Prometheus
 * style (cumulative `le` buckets in seconds in the text format).
 */

/** Upper bounds of the latency buckets, in milliseconds; +Inf is implied. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

export interface RequestCounts {
  readonly requests: number;
  /** 5xx answers and connection failures. */
  readonly errors: number;
  /** Sum of latencies, ms. */
  readonly latencySumMs: number;
  /** Per bucket (not cumulative), one more than LATENCY_BUCKETS_MS for +Inf. */
  readonly latencyBuckets: readonly number[];
}

/** One slot of the time series: what was recorded in [start, start + resolutionMs). */
export interface MetricsSlot extends RequestCounts {
  readonly start: number;
}

export interface ServerGroupMetrics {
  readonly serverGroup: string;
  readonly totals: RequestCounts;
  /** Oldest first; slots without a request are left out. */
  readonly series: readonly MetricsSlot[];
  /** When the last request was recorded, epoch ms (0 if never). */
  readonly updatedAt: number;
}

export interface MetricsRecorder {
  record(serverGroup: string, sample: { readonly latencyMs: number; readonly error: boolean; readonly at: number }): void;
  /** Everything recorded; `since` drops older slots from the series (totals are always whole). */
  snapshot(since?: number): readonly ServerGroupMetrics[];
}

interface MutableCounts {
  requests: number;
  errors: number;
  latencySumMs: number;
  latencyBuckets: number[];
}

function emptyCounts(): MutableCounts {
  return { requests: 0, errors: 0, latencySumMs: 0, latencyBuckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) };
}

function add(counts: MutableCounts, latencyMs: number, error: boolean): void {
  counts.requests += 1;
  if (error) counts.errors += 1;
  counts.latencySumMs += latencyMs;
  let index = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
  if (index < 0) index = LATENCY_BUCKETS_MS.length;
  counts.latencyBuckets[index] = (counts.latencyBuckets[index] ?? 0) + 1;
}

function copy(counts: MutableCounts): RequestCounts {
  return { ...counts, latencyBuckets: [...counts.latencyBuckets] };
}

export interface MetricsRecorderOptions {
  /** Width of a time-series slot. @default 1_000 */
  readonly resolutionMs?: number;
  /** Slots kept per server group. @default 3_600 (an hour at 1 s) */
  readonly retainSlots?: number;
}

export function createMetricsRecorder(options: MetricsRecorderOptions = {}): MetricsRecorder {
  const resolutionMs = options.resolutionMs ?? 1_000;
  const retainSlots = options.retainSlots ?? 3_600;
  const groups = new Map<string, { totals: MutableCounts; series: Array<MutableCounts & { start: number }>; updatedAt: number }>();

  return {
    record(serverGroup, { latencyMs, error, at }) {
      let group = groups.get(serverGroup);
      if (!group) {
        group = { totals: emptyCounts(), series: [], updatedAt: 0 };
        groups.set(serverGroup, group);
      }
      add(group.totals, latencyMs, error);
      const start = at - (at % resolutionMs);
      let slot = group.series.at(-1);
      if (!slot || slot.start !== start) {
        slot = { ...emptyCounts(), start };
        group.series.push(slot);
        if (group.series.length > retainSlots) group.series.shift();
      }
      add(slot, latencyMs, error);
      group.updatedAt = at;
    },
    snapshot(since = 0) {
      return [...groups.entries()].map(([serverGroup, group]) => ({
        serverGroup,
        totals: copy(group.totals),
        series: group.series.filter((slot) => slot.start + resolutionMs > since).map((slot) => ({ ...copy(slot), start: slot.start })),
        updatedAt: group.updatedAt,
      }));
    },
  };
}

/** Labels naming one server group's series in the Prometheus text format. */
export interface PrometheusLabels {
  readonly account: string;
  readonly location: string;
  readonly cluster: string;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${escape(value)}"`)
    .join(',');
}

/** Renders clusters' metrics in the Prometheus text exposition format (0.0.4), with sample timestamps. */
export function renderPrometheus(clusters: ReadonlyArray<{ readonly labels: PrometheusLabels; readonly metrics: readonly ServerGroupMetrics[] }>): string {
  const requests: string[] = [];
  const errors: string[] = [];
  const durations: string[] = [];
  for (const { labels, metrics } of clusters) {
    for (const group of metrics) {
      const base = { account: labels.account, location: labels.location, cluster: labels.cluster, server_group: group.serverGroup };
      const stamp = group.updatedAt > 0 ? ` ${group.updatedAt}` : '';
      requests.push(`gennaker_lb_requests_total{${labelText(base)}} ${group.totals.requests}${stamp}`);
      errors.push(`gennaker_lb_errors_total{${labelText(base)}} ${group.totals.errors}${stamp}`);
      let cumulative = 0;
      LATENCY_BUCKETS_MS.forEach((bound, index) => {
        cumulative += group.totals.latencyBuckets[index] ?? 0;
        durations.push(`gennaker_lb_request_duration_seconds_bucket{${labelText({ ...base, le: String(bound / 1000) })}} ${cumulative}${stamp}`);
      });
      durations.push(`gennaker_lb_request_duration_seconds_bucket{${labelText({ ...base, le: '+Inf' })}} ${group.totals.requests}${stamp}`);
      durations.push(`gennaker_lb_request_duration_seconds_sum{${labelText(base)}} ${group.totals.latencySumMs / 1000}${stamp}`);
      durations.push(`gennaker_lb_request_duration_seconds_count{${labelText(base)}} ${group.totals.requests}${stamp}`);
    }
  }
  return [
    '# HELP gennaker_lb_requests_total Requests the local load balancer sent to a server group.',
    '# TYPE gennaker_lb_requests_total counter',
    ...requests,
    '# HELP gennaker_lb_errors_total Requests answered 5xx or failed to connect.',
    '# TYPE gennaker_lb_errors_total counter',
    ...errors,
    '# HELP gennaker_lb_request_duration_seconds Time from request to the end of the response.',
    '# TYPE gennaker_lb_request_duration_seconds histogram',
    ...durations,
    '',
  ].join('\n');
}
