/**
 * The canary metrics accounts of `up --sandbox`: each `metricsAccountName` a canary stage of a
 * saved pipeline names, served by the simulated cloud the sandbox gave it (the cluster's
 * Prometheus, the simulated CloudWatch), known from that save on.
 *
 * Each simulated cloud keeps its own clock, `speed` times faster than the wall clock, while the
 * server's runtime keeps either the wall clock or a simulated one of its own. A canary's windows
 * are on the runtime's clock; what the simulated world did during a window is on the cloud's. So
 * each window is moved onto the serving cloud's clock before it is read: an instant `x` of the
 * runtime is `cloudNow - (speed / runtimeRate) * (runtimeNow - x)` there (a window of 5 minutes
 * of the wall clock covers the 150 simulated minutes the world lived meanwhile at speed 30).
 */
import { createFetchHttpClient } from '../../adapters/http/fetch-http-client.ts';
import { createPrometheusMetricSource } from '../../adapters/metrics/prometheus-metric-source.ts';
import type { MetricSource, MetricSourceLookup } from '../../core/ports/metric-source.ts';
import type { MetricsAccountOption } from '../wiring.ts';

/** The clocks a window is moved between. */
export interface SandboxMetricsClocks {
  /** The runtime's clock (ms since the epoch) and how many of its ms pass per wall-clock ms. */
  readonly runtime: { readonly now: () => number; readonly rate: number };
  /** The simulated clouds' speed (simulated ms per wall-clock ms). */
  readonly speed: number;
  /** The clock of the simulated cloud serving metrics of this query type, once it runs. */
  readonly cloudNow: (type: string) => number | undefined;
}

/** Metrics accounts that grow as pipelines are saved, looked up by name. */
export interface SandboxMetrics {
  /** Adds the accounts a `serve` answered (a name known already keeps its source). */
  add(accounts: readonly MetricsAccountOption[]): void;
  readonly lookup: MetricSourceLookup;
}

/** The account's source, reading each window at the serving cloud's instants. */
function onCloudClock(source: MetricSource, clocks: SandboxMetricsClocks): MetricSource {
  return {
    type: source.type,
    fetch: (request) => {
      const cloudNow = clocks.cloudNow(source.type);
      if (cloudNow === undefined) return source.fetch(request);
      const runtimeNow = clocks.runtime.now();
      const factor = clocks.speed / clocks.runtime.rate;
      const moved = (instant: number) => Math.round(cloudNow - factor * (runtimeNow - instant));
      return source.fetch({ ...request, scope: { ...request.scope, start: moved(request.scope.start), end: moved(request.scope.end) } });
    },
  };
}

export function createSandboxMetrics(clocks: SandboxMetricsClocks): SandboxMetrics {
  const sources = new Map<string, MetricSource>();
  return {
    add(accounts) {
      for (const account of accounts) {
        if (sources.has(account.name)) continue;
        const source =
          account.type === 'cloudwatch'
            ? account.source
            : createPrometheusMetricSource({ baseUrl: account.url, http: createFetchHttpClient({ allowlist: [new URL(account.url).origin] }) });
        sources.set(account.name, onCloudClock(source, clocks));
      }
    },
    lookup: ({ account }) => (account !== undefined ? sources.get(account) : undefined),
  };
}
