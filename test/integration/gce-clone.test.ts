/**
 * Deck's Clone Server Group stage for GCE, as a real Google pipeline saves it (only its account
 * and cluster are this world's), through the deploy core and the gce target on the GCE simulator:
 * it validates, and clones the newest server group of its target cluster with the source's
 * capacity, leaving the source serving (no strategy). Time is the simulator's clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { Target } from '../../core/ports/target.ts';
import { ACCOUNT, BACKEND_SERVICE, IMAGE, REGION, runGceStage, startGceWorld, type GceWorld } from '../support/gce-world.ts';

let world: GceWorld;
let target: Target;

beforeEach(async () => {
  world = await startGceWorld();
  target = world.target();
});

afterEach(async () => {
  await world.close();
});

/** Deck's stage (spinnaker_spinnaker_google-pipelineConfigs.json's shape) on this world's account and cluster. */
const DECK_STAGE: JsonObject = {
  application: 'hello',
  cloudProvider: 'gce',
  credentials: ACCOUNT,
  disableTraffic: false,
  freeFormDetails: '',
  moniker: { app: 'hello', cluster: 'hello-prod' },
  name: 'Clone Server Group',
  region: REGION,
  stack: 'prod',
  target: 'current_asg_dynamic',
  targetCluster: 'hello-prod',
  type: 'cloneServerGroup',
  useSourceCapacity: true,
};

const backends = () => (world.sim.describe().backendServices.find((service) => service.name === BACKEND_SERVICE)?.backends ?? []).map((backend) => backend.group.split('/').pop()).sort();

describe("Deck's cloneServerGroup stage on GCE", () => {
  it('validates and clones the newest server group of its target cluster into the same backend service, the source still serving', async () => {
    // given hello-prod-v000 serving 2 instances
    const seeded = await target.serverGroups.create({
      account: ACCOUNT,
      location: REGION,
      cluster: 'hello-prod',
      name: 'hello-prod-v000',
      owner: 'earlier/deploy/create',
      capacity: { min: 2, max: 2, desired: 2 },
      artifact: { type: 'gce/image', name: IMAGE, reference: world.imageUrl },
      provider: world.provider,
    });
    expect(seeded).toMatchObject({ ok: true });
    expect(parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', ...DECK_STAGE }] }).issues).toEqual([]);
    // when
    const result = await runGceStage(world, target, DECK_STAGE);
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.context.source).toEqual({ account: ACCOUNT, region: REGION, asgName: 'hello-prod-v000', serverGroupName: 'hello-prod-v000', useSourceCapacity: true });
    const described = await target.serverGroups.describeCluster({ account: ACCOUNT, location: REGION, cluster: 'hello-prod' });
    if (!described.ok) throw new Error(described.message);
    expect(described.cluster.serverGroups.map((group) => `${group.name} ${group.disabled ? 'disabled' : 'enabled'} ${group.capacity.desired}`)).toEqual(['hello-prod-v000 enabled 2', 'hello-prod-v001 enabled 2']);
    expect(backends()).toEqual(['hello-prod-v000', 'hello-prod-v001']);
  });
});
