/**
 * Deploys to GCE through the deploy core (the step executor driven as the stage runner drives it)
 * and the gce target, against the GCE simulator with the real `@google-cloud/compute` clients:
 * a red/black replaces a server group Spinnaker made (no owner, clouddriver's template name and
 * metadata) and disables it through that metadata, with the backend service serving the desired
 * count at every instant; a release that never turns healthy, and a quota, fail the stage in one
 * line and leave the old group serving. Time is the simulator's clock, moved by the stage driver.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { Target } from '../../core/ports/target.ts';
import { BACKEND_SERVICE, HTTP_LB, IMAGE, PROJECT, REGION, ZONE, redBlackStage, runGceStage, startGceWorld, type GceStageOptions, type GceWorld } from '../support/gce-world.ts';

let world: GceWorld;
let target: Target;

beforeEach(async () => {
  world = await startGceWorld({ operationMs: 2_000, waitMs: 1_000 });
  target = world.target();
});

afterEach(async () => {
  await world.close();
});

const run = (stage: JsonObject, options: GceStageOptions = {}) => runGceStage(world, target, stage, options);

/** Instances of the backend service that receive traffic now (in a backend, RUNNING and HEALTHY). */
const serving = () => [...(world.sim.describe().backendServices.find((service) => service.name === BACKEND_SERVICE)?.receivingTraffic ?? [])].sort();
const backends = () => (world.sim.describe().backendServices.find((service) => service.name === BACKEND_SERVICE)?.backends ?? []).map((backend) => backend.group.split('/').pop()).sort();

/** hello-prod-v000 as Spinnaker made it: clouddriver's template name and metadata, no owner, its backend added, 2 instances serving. */
async function seedSpinnakerGroup(): Promise<void> {
  const policy = '{"balancingMode":"UTILIZATION","maxUtilization":0.8,"capacityScaler":1.0,"namedPorts":[{"name":"http","port":80}]}';
  await world.clients.instanceTemplates.insert({
    project: PROJECT,
    instanceTemplateResource: {
      name: 'hello-prod-v000-24601000',
      properties: {
        machineType: 'e2-small',
        disks: [{ boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: { sourceImage: world.imageUrl, diskSizeGb: 10, diskType: 'pd-ssd' } }],
        networkInterfaces: [{ network: `projects/${PROJECT}/global/networks/default` }],
        metadata: { items: [{ key: 'global-load-balancer-names', value: HTTP_LB }, { key: 'backend-service-names', value: BACKEND_SERVICE }, { key: 'load-balancing-policy', value: policy }] },
        labels: { 'spinnaker-region': REGION, 'spinnaker-server-group': 'hello-prod-v000', 'spinnaker-moniker-application': 'hello', 'spinnaker-moniker-cluster': 'hello-prod', 'spinnaker-moniker-stack': 'prod', 'spinnaker-moniker-sequence': '0' },
      },
    },
  });
  world.sim.tick(2_000);
  await world.clients.instanceGroupManagers.insert({
    project: PROJECT,
    zone: ZONE,
    instanceGroupManagerResource: { name: 'hello-prod-v000', baseInstanceName: 'hello-prod-v000', instanceTemplate: `projects/${PROJECT}/global/instanceTemplates/hello-prod-v000-24601000`, targetSize: 2, namedPorts: [{ name: 'http', port: 80 }] },
  });
  world.sim.tick(2_000);
  const [service] = await world.clients.backendServices.get({ project: PROJECT, backendService: BACKEND_SERVICE });
  await world.clients.backendServices.update({
    project: PROJECT,
    backendService: BACKEND_SERVICE,
    backendServiceResource: { ...service, backends: [{ group: `projects/${PROJECT}/zones/${ZONE}/instanceGroups/hello-prod-v000`, balancingMode: 'UTILIZATION', maxUtilization: 0.8, capacityScaler: 1 }] },
  });
  for (let waited = 0; serving().length < 2 && waited < 120_000; waited += 5_000) world.sim.tick(5_000);
  expect(serving()).toHaveLength(2);
}

/** Runs the stage, recording how many instances the backend service served after every second. */
async function runWatching(stage: JsonObject, options: GceStageOptions = {}): Promise<{ result: Awaited<ReturnType<typeof run>>; counts: number[] }> {
  const counts: number[] = [serving().length];
  const result = await run(stage, {
    ...options,
    after: () => {
      options.after?.();
      counts.push(serving().length);
    },
  });
  return { result, counts };
}

describe('a red/black deploy to GCE through the deploy core', () => {
  it('replaces a server group Spinnaker made, disabling it through its template metadata, never serving fewer than the desired count', async () => {
    await seedSpinnakerGroup();
    const { result, counts } = await runWatching(redBlackStage(world));
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    // v001 serves, v000 is out of the backend service and kept (maxRemainingAsgs 2)
    expect(backends()).toEqual(['hello-prod-v001']);
    expect(serving().every((instance) => instance.startsWith('hello-prod-v001-'))).toBe(true);
    expect(serving()).toHaveLength(2);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(2);
    const described = await target.serverGroups.describeCluster({ account: 'sandbox-gce', location: REGION, cluster: 'hello-prod' });
    expect(described.ok && described.cluster.serverGroups.map((group) => [group.name, group.disabled, group.owner === undefined, group.artifact?.name])).toEqual([
      ['hello-prod-v000', true, true, IMAGE],
      ['hello-prod-v001', false, false, 'hello-1-1-0-h2'],
    ]);
    // Neither group has an autoscaler, as each one's status says: the deploy never asked GCE for one.
    expect(world.sim.calls().filter((call) => call.method === 'GET' && call.path.includes('/autoscalers/'))).toEqual([]);
  });

  it('leaves the old group serving when the new one never turns healthy, failing in one line', async () => {
    await seedSpinnakerGroup();
    const unhealthy = () => {
      for (const mig of world.sim.describe().managedInstanceGroups) {
        if (mig.name === 'hello-prod-v001') for (const instance of mig.instances) world.sim.setInstanceHealth(PROJECT, instance.name, 'UNHEALTHY');
      }
    };
    const { result, counts } = await runWatching(redBlackStage(world, { waitForHealthyTimeoutSec: 120 }), { after: unhealthy });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/^stage 'Stage': hello-prod-v001 in us-central1 did not become healthy within 120 s \(0 of the 2 instances needed are Up; instances: Down, Down\)/);
    expect(result.message).not.toContain('\n');
    expect(backends()).toContain('hello-prod-v000');
    expect(serving().filter((instance) => instance.startsWith('hello-prod-v000-'))).toHaveLength(2);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(2);
  });

  it('fails on an instance quota in one line, takes back its template, and leaves the old group serving', async () => {
    await seedSpinnakerGroup();
    world.sim.quota(PROJECT, REGION, 3);
    const { result, counts } = await runWatching(redBlackStage(world));
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toContain('GCE 403 quotaExceeded');
    expect(result.message).toContain('raise the quota in the project');
    expect(result.message).not.toContain('\n');
    world.sim.tick(5_000);
    expect(world.sim.describe().templates.map((template) => template.name)).toEqual(['hello-prod-v000-24601000']);
    expect(backends()).toEqual(['hello-prod-v000']);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(2);
  });
});
