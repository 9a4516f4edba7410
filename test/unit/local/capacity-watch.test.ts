/**
 * The capacity watch of `run --sandbox`: a cluster counts from its first healthy sample; every
 * later sample without a healthy instance in traffic is a moment without capacity, reported with
 * when it first happened on the simulated clock.
 */
import { describe, expect, it } from 'vitest';
import { describeCapacity, startCapacityWatch, type ServingSample } from '../../../local/sandbox/capacity-watch.ts';

describe('the capacity watch', () => {
  it('counts a cluster from its first healthy sample and reports the samples without capacity after it', async () => {
    let now = 1_000;
    let samples: ServingSample[] = [];
    // A long interval: the test takes every sample itself.
    const watch = startCapacityWatch(async () => samples, { everyMs: 60_000, now: () => now });
    const take = async (at: number, healthy: Record<string, number>) => {
      now = at;
      samples = Object.entries(healthy).map(([cluster, count]) => ({ cluster, healthy: count }));
      await watch.sample();
    };
    await take(1_000, { 'web (prod, us-east-1)': 0, 'api (prod, us-east-1)': 2 });
    await take(2_000, { 'web (prod, us-east-1)': 3, 'api (prod, us-east-1)': 4 });
    await take(3_500, { 'web (prod, us-east-1)': 1, 'api (prod, us-east-1)': 0 });
    await take(4_000, { 'web (prod, us-east-1)': 2, 'api (prod, us-east-1)': 0 });
    samples = [
      { cluster: 'web (prod, us-east-1)', healthy: 2 },
      { cluster: 'api (prod, us-east-1)', healthy: 2 },
    ];
    const records = await watch.stop();
    expect(records).toEqual([
      { cluster: 'api (prod, us-east-1)', samples: 5, minHealthy: 0, withoutCapacity: 2, firstWithoutAt: 2_500 },
      // web served from its second sample on: 4 samples counted (with stop's), never without capacity
      { cluster: 'web (prod, us-east-1)', samples: 4, minHealthy: 1, withoutCapacity: 0 },
    ]);
    expect(records.map(describeCapacity)).toEqual([
      'sandbox: cluster api (prod, us-east-1) had NO healthy capacity in traffic in 2 of 5 samples, first 2.5 simulated s into the run',
      'sandbox: cluster web (prod, us-east-1) always had healthy capacity in traffic during the run (at least 1 healthy, 4 samples)',
    ]);
  });

  it('reports nothing of a cluster that never served', async () => {
    const watch = startCapacityWatch(async () => [{ cluster: 'never', healthy: 0 }], { everyMs: 60_000, now: () => 0 });
    await watch.sample();
    expect(await watch.stop()).toEqual([]);
  });
});
