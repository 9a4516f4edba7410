/**
 * The capacity watch of `gennaker run --sandbox`: while the pipeline runs, how many healthy
 * instances each cluster has in traffic, sampled many times a second from the simulated clouds'
 * own state (target health in the load balancer, a backend service's health, the ready pods a
 * Service selects) and from the local target's load balancer, never through the adapters under
 * test and never as a cloud call the run's report would count. After the run it says, per
 * cluster, whether traffic ever found no healthy instance: a red/black that enables the new
 * server group before it disables the old one never does.
 */

/** One cluster's healthy instances in traffic, now. */
export interface ServingSample {
  /** How the report names it: `webshop-prod (my-aws-prod, us-west-2)`. */
  readonly cluster: string;
  readonly healthy: number;
}

/** What the watch saw of one cluster. */
export interface CapacityRecord {
  readonly cluster: string;
  /** Samples taken since the cluster first had a healthy instance in traffic. */
  readonly samples: number;
  /** The fewest healthy instances in traffic over those samples. */
  readonly minHealthy: number;
  /** Samples (of `samples`) without any. */
  readonly withoutCapacity: number;
  /** Simulated ms from the watch's start to the first sample without any, when there was one. */
  readonly firstWithoutAt?: number;
}

export interface CapacityWatch {
  /** Takes one sample now. */
  sample(): Promise<void>;
  /** Stops sampling (after one last sample) and answers what it saw, sorted by cluster name. */
  stop(): Promise<CapacityRecord[]>;
}

interface Tally {
  samples: number;
  minHealthy: number;
  withoutCapacity: number;
  firstWithoutAt?: number;
}

/**
 * Samples `read` every `everyMs` wall-clock ms until stopped. A cluster counts from its first
 * sample with a healthy instance in traffic: one the run creates from nothing is not "without
 * capacity" before it first serves.
 */
export function startCapacityWatch(read: () => Promise<readonly ServingSample[]>, options: { readonly everyMs: number; readonly now: () => number }): CapacityWatch {
  const started = options.now();
  const tallies = new Map<string, Tally>();
  let inFlight: Promise<void> | undefined;
  const sample = async () => {
    const at = options.now();
    for (const { cluster, healthy } of await read()) {
      const tally = tallies.get(cluster);
      if (!tally) {
        if (healthy > 0) tallies.set(cluster, { samples: 1, minHealthy: healthy, withoutCapacity: 0 });
        continue;
      }
      tally.samples += 1;
      tally.minHealthy = Math.min(tally.minHealthy, healthy);
      if (healthy === 0) {
        tally.withoutCapacity += 1;
        tally.firstWithoutAt ??= at - started;
      }
    }
  };
  const timer = setInterval(() => {
    // One sample at a time: a slow read skips a beat rather than piling up.
    inFlight ??= sample()
      .catch(() => undefined)
      .finally(() => {
        inFlight = undefined;
      });
  }, options.everyMs);
  timer.unref();
  return {
    sample,
    async stop() {
      clearInterval(timer);
      await inFlight;
      await sample().catch(() => undefined);
      return [...tallies.entries()].map(([cluster, tally]) => ({ cluster, ...tally })).sort((a, b) => a.cluster.localeCompare(b.cluster));
    },
  };
}

/** One line of the run's report per cluster the watch saw serve. */
export function describeCapacity(record: CapacityRecord): string {
  if (record.withoutCapacity === 0) {
    return `sandbox: cluster ${record.cluster} always had healthy capacity in traffic during the run (at least ${record.minHealthy} healthy, ${record.samples} samples)`;
  }
  const at = record.firstWithoutAt !== undefined ? `, first ${(record.firstWithoutAt / 1000).toFixed(1)} simulated s into the run` : '';
  return `sandbox: cluster ${record.cluster} had NO healthy capacity in traffic in ${record.withoutCapacity} of ${record.samples} samples${at}`;
}
