/**
 * The gce target (adapters/targets/gce/gce-target.ts) on the GCE simulator: both port contracts
 * through the real `@google-cloud/compute` clients, in Spinnaker's mode (a zonal MIG behind an
 * HTTP(S) load balancer's backend service, autoscaled so the capacity's bounds are kept), and the
 * traffic contract again in weighted mode (backends' capacityScaler). The
 * fixture's `eventually` moves the simulator's clock, never the wall clock; throttles are the
 * simulator's own 429s.
 */
import { afterAll } from 'vitest';
import type { ServerGroupDescription } from '../../core/ports/server-groups.ts';
import { ACCOUNT, IMAGE, REGION, startGceWorld, type GceWorld } from '../support/gce-world.ts';
import { serverGroupPortContract } from './server-group-port.contract.ts';
import type { TargetPortsFixture } from './target-ports.fixture.ts';
import { trafficPortContract } from './traffic-port.contract.ts';

/** How far `eventually` moves the simulated clock per try, and how far at most. */
const STEP_MS = 5_000;
const LIMIT_MS = 30 * 60_000;

const machineTypeOf = (group: ServerGroupDescription) => (group.launchConfig?.['properties'] as { machineType?: string } | undefined)?.machineType;

/** One simulator and one set of clients for both suites (each client initializes in about 0.7 s); closed after both. */
let shared: Promise<GceWorld> | undefined;
afterAll(async () => {
  await (await shared)?.close();
});

function gceFixture(weighted: boolean): () => Promise<TargetPortsFixture> {
  return async () => {
    const world = await (shared ??= startGceWorld());
    return {
      target: world.target({ weightedTraffic: weighted }),
      account: ACCOUNT,
      location: REGION,
      artifact: { type: 'gce/image', name: IMAGE, reference: world.imageUrl },
      provider: world.provider,
      invalidProvider: { provider: { instanceType: 42 }, field: 'instanceType' },
      cloneOverride: { provider: { instanceType: 'e2-medium' }, shown: machineTypeOf, expected: 'e2-medium' },
      async eventually(check) {
        for (let waited = 0; ; waited += STEP_MS) {
          try {
            return await check();
          } catch (error) {
            if (waited >= LIMIT_MS) throw error;
            world.sim.tick(STEP_MS);
          }
        }
      },
      // Connection draining is not visible through the API: a disable is over once the backend is removed.
      occupy: async () => ({ finish: async () => {} }),
      // Every port operation lists the project's MIGs first (an aggregated list): throttling that list changes nothing.
      throttleNext: (n) => world.sim.failNext({ method: 'GET', pathIncludes: '/aggregated/instanceGroupManagers', status: 429, reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded', times: n }),
      dispose: async () => {},
    };
  };
}

serverGroupPortContract('gce on the GCE simulator', gceFixture(false), { throttles: true, clones: true });
trafficPortContract('gce on the GCE simulator', gceFixture(false), { throttles: true });
trafficPortContract('gce on the GCE simulator, weighted mode (capacityScaler)', gceFixture(true), { throttles: true });
