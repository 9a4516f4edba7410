/**
 * The local source's metrics, computed per time step from what the local load balancer counts
 * per server group: requests, errors (5xx answers and failed connections), the latency sum and
 * a fixed-bucket latency histogram (adapters/targets/local/metrics.ts). A step without a request
 * has no value (null): "no traffic" is missing data for the judge, not a zero rate.
 *
 * | metricName | value of one step |
 * |---|---|
 * | `request_rate` | requests / step seconds (requests per second) |
 * | `error_rate` | errors / requests, a fraction 0-1 |
 * | `error_count` | errors |
 * | `latency_mean` | latency sum / requests, ms |
 * | `latency_p50`, `latency_p90`, `latency_p99` | from the histogram, ms (histogramQuantile) |
 */
import type { LocalMetricName } from './query.ts';

/** Counts of one step (or one load-balancer slot): the shape the local target records. */
export interface RequestCountsLike {
  readonly requests: number;
  readonly errors: number;
  readonly latencySumMs: number;
  /** Per bucket, not cumulative; one more entry than the bounds, for +Inf. */
  readonly latencyBuckets: readonly number[];
}

/** Sums counts (the slots of one step). */
export function sumCounts(counts: Iterable<RequestCountsLike>, bucketCount: number): RequestCountsLike {
  let requests = 0;
  let errors = 0;
  let latencySumMs = 0;
  const latencyBuckets = new Array<number>(bucketCount).fill(0);
  for (const item of counts) {
    requests += item.requests;
    errors += item.errors;
    latencySumMs += item.latencySumMs;
    item.latencyBuckets.forEach((count, index) => {
      if (index < bucketCount) latencyBuckets[index] = latencyBuckets[index]! + count;
    });
  }
  return { requests, errors, latencySumMs, latencyBuckets };
}

/**
 * The q-quantile (0 < q < 1) of a histogram, as Prometheus' `histogram_quantile` estimates it:
 * find the bucket holding rank `q · count`, then interpolate linearly inside it, between the
 * previous bound (0 for the first bucket) and its own. In the +Inf bucket the answer is the
 * highest finite bound. NaN for an empty histogram.
 */
export function histogramQuantile(q: number, buckets: readonly number[], boundsMs: readonly number[]): number {
  const total = buckets.reduce((sum, count) => sum + count, 0);
  if (total === 0 || boundsMs.length === 0) return Number.NaN;
  const rank = q * total;
  let below = 0;
  for (let index = 0; index < buckets.length; index++) {
    const count = buckets[index] ?? 0;
    if (count > 0 && below + count >= rank) {
      if (index >= boundsMs.length) return boundsMs[boundsMs.length - 1]!;
      const lower = index === 0 ? 0 : boundsMs[index - 1]!;
      const upper = boundsMs[index]!;
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return boundsMs[boundsMs.length - 1]!;
}

const QUANTILES: Partial<Record<LocalMetricName, number>> = { latency_p50: 0.5, latency_p90: 0.9, latency_p99: 0.99 };

/** The value of `name` for one step's counts; null when the step saw no request. */
export function localMetricValue(name: LocalMetricName, counts: RequestCountsLike, options: { readonly stepSeconds: number; readonly latencyBoundsMs: readonly number[] }): number | null {
  if (counts.requests <= 0) return null;
  switch (name) {
    case 'request_rate':
      return counts.requests / options.stepSeconds;
    case 'error_rate':
      return counts.errors / counts.requests;
    case 'error_count':
      return counts.errors;
    case 'latency_mean':
      return counts.latencySumMs / counts.requests;
    case 'latency_p50':
    case 'latency_p90':
    case 'latency_p99': {
      const value = histogramQuantile(QUANTILES[name]!, counts.latencyBuckets, options.latencyBoundsMs);
      return Number.isNaN(value) ? null : value;
    }
    default: {
      const unknown: never = name;
      throw new Error(`unknown local metric ${String(unknown)}`);
    }
  }
}

/** How the report shows a local query: the series it reads, Prometheus style. */
export function describeLocalQuery(name: LocalMetricName, where: { readonly account: string; readonly location: string; readonly cluster: string; readonly serverGroup: string }, stepSeconds: number): string {
  return `${name}{account="${where.account}",location="${where.location}",cluster="${where.cluster}",server_group="${where.serverGroup}"} step ${stepSeconds}s`;
}
