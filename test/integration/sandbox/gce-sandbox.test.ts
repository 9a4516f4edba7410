/**
 * `--sandbox` on GCE: a `gce` account a pipeline names is served by the GCE target over the real
 * clients pointed at the GCE simulator, in a project of its own, with what the pipeline assumes
 * seeded once (the network, the backend service of its load balancer, a network load balancer's
 * target pool, the serving `-v000`); the description, the capacity and the call counts read the
 * simulated Compute Engine, and the calls are named as GCE's API methods.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLines } from '../../../local/sandbox/describe.ts';
import { gceCallKey, sandboxProject } from '../../../local/sandbox/gce-sandbox.ts';
import { startSandbox, type Sandbox } from '../../../local/sandbox/sandbox.ts';

const pipeline = {
  application: 'shop',
  name: 'deploy shop',
  stages: [
    {
      refId: '1',
      type: 'deploy',
      name: 'Deploy',
      clusters: [
        {
          account: 'gce-prod', cloudProvider: 'gce', application: 'shop', stack: 'web', region: 'europe-west4', zone: 'europe-west4-b', strategy: 'redblack',
          capacity: { min: 2, max: 2, desired: 2 }, instanceType: 'e2-small', image: 'shop-2-0', network: 'default',
          loadBalancers: ['shop-https'], backendServices: { 'shop-https': ['shop-bs'] }, loadBalancingPolicy: { namedPorts: [{ name: 'http', port: 8080 }] },
        },
      ],
    },
  ],
};

describe('the GCE sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ speed: 100 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('serves the account in a project of its own and seeds what the deploy assumes, once, with -v000 serving behind the backend service', async () => {
    const served = await sandbox.serve([pipeline]);
    expect(served.accounts).toEqual([expect.objectContaining({ name: 'gce-prod', cloudProvider: 'gce', regions: ['europe-west4'], gce: { project: 'sandbox-gce-prod' } })]);
    expect(served.seeded.map((resource) => `${resource.kind} ${resource.id.split('/').at(-1)}`)).toEqual([
      'network default',
      'image shop-2-0',
      'backend service shop-bs',
      'image shop-sandbox-previous',
      'server group shop-web-v000',
    ]);
    const compute = sandbox.describe().gce!;
    expect(compute.managedInstanceGroups.map((mig) => [mig.project, mig.name, mig.location, mig.instances.map((instance) => instance.status)])).toEqual([['sandbox-gce-prod', 'shop-web-v000', 'zones/europe-west4-b', ['RUNNING', 'RUNNING']]]);
    expect(compute.backendServices.map((service) => [service.name, service.receivingTraffic.length])).toEqual([['shop-bs', 2]]);
    expect(sandbox.servingCapacity()).toContainEqual({ cluster: 'shop-web (gce-prod, europe-west4)', healthy: 2 });
    expect(describeLines(sandbox.describe())).toContain('  sandbox-gce-prod/shop-bs  backends: shop-web-v000  receiving traffic: 2');
    // The seeding's calls are not the run's.
    expect(sandbox.callCounts().filter((entry) => entry.call.startsWith('gce:'))).toEqual([]);
    expect((await sandbox.serve([pipeline])).seeded).toEqual([]);
    expect(sandbox.targets({ account: 'gce-prod', cloudProvider: 'gce' })?.cloudProvider).toBe('gce');
    expect(sandbox.targets({ account: 'gce-prod', cloudProvider: 'kubernetes' })).toBeUndefined();
  });

  it('names calls by API method and gives each account a valid project id', () => {
    expect(gceCallKey('POST', '/compute/v1/projects/p/zones/us-central1-a/instanceGroupManagers')).toBe('gce:instanceGroupManagers.insert');
    expect(gceCallKey('POST', '/compute/v1/projects/p/regions/us-central1/instanceGroupManagers/web-v001/resize?size=3')).toBe('gce:regionInstanceGroupManagers.resize');
    expect(gceCallKey('PUT', '/compute/v1/projects/p/global/backendServices/bs')).toBe('gce:backendServices.update');
    expect(gceCallKey('POST', '/compute/v1/projects/p/global/operations/operation-1/wait')).toBe('gce:globalOperations.wait');
    expect(gceCallKey('GET', '/compute/v1/projects/p/zones/us-central1-a/operations/operation-2')).toBe('gce:zoneOperations.get');
    expect(gceCallKey('GET', '/compute/v1/projects/p/regions/us-central1/targetPools/nlb')).toBe('gce:targetPools.get');
    expect(gceCallKey('GET', '/compute/v1/projects/p/global/images')).toBe('gce:images.list');
    expect(sandboxProject('gce')).toBe('sandbox-gce');
    expect(sandboxProject('My_GCE.Account')).toBe('sandbox-my-gce-account');
    expect(sandboxProject('a-very-long-account-name-for-a-team')).toBe('sandbox-a-very-long-account-na');
  });
});
