/**
 * The gce target on the GCE simulator through the real `@google-cloud/compute` clients: the calls
 * Spinnaker's clouddriver makes, in its order (reference/cloud-targets.md §5.2), read from the
 * simulator's call log; the instance template's metadata and labels verbatim (§1.2); operations
 * polled with `*Operations.wait` between dependent mutations, a bounded number of times; the
 * backend service's read-modify-write retried on 412; a create that stopped after its template
 * finished on retry without a second template or MIG; GCE's refusals (a missing image inside an
 * operation, a quota) answered in one line with the serving group untouched; regional MIGs and
 * network load balancers' target pools; clones; the save-time lookups; the image store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGceAccountTarget } from '../../adapters/targets/gce/gce-target.ts';
import { createGceImageStore } from '../../adapters/targets/gce/image-store.ts';
import { createLocalGceTargets } from '../../local/gce-targets.ts';
import type { CreateServerGroupRequest, OperationResult, ServerGroupDescription } from '../../core/ports/server-groups.ts';
import type { Target } from '../../core/ports/target.ts';
import { ACCOUNT, BACKEND_SERVICE, HTTP_LB, IMAGE, NETWORK_LB, NEW_IMAGE, PROJECT, REGION, TARGET_POOL, ZONE, startGceWorld, type GceWorld } from '../support/gce-world.ts';

let world: GceWorld;
let target: Target;
let clusterCount = 0;

beforeAll(async () => {
  // Operations take 2 simulated seconds, and each wait lets one pass: every mutation is waited on twice.
  world = await startGceWorld({ operationMs: 2_000, waitMs: 1_000 });
  target = world.target();
});

afterAll(async () => {
  await world?.close();
});

/** A cluster of its own for each test. */
function newCluster(): { account: string; location: string; cluster: string } {
  clusterCount += 1;
  return { account: ACCOUNT, location: REGION, cluster: `hello-it${clusterCount}` };
}

function request(cluster: { account: string; location: string; cluster: string }, sequence: number, overrides: Partial<CreateServerGroupRequest> = {}): CreateServerGroupRequest {
  return {
    ...cluster,
    name: `${cluster.cluster}-v${String(sequence).padStart(3, '0')}`,
    owner: `execution-1/stage-${cluster.cluster}/create-${sequence}`,
    capacity: { min: 1, max: 3, desired: 1 },
    artifact: { type: 'gce/image', name: IMAGE, reference: world.imageUrl },
    provider: world.provider,
    ...overrides,
  };
}

const ref = (cluster: { account: string; location: string }, serverGroup: string) => ({ account: cluster.account, location: cluster.location, serverGroup });

function expectDone(result: OperationResult, what: string): void {
  if (!result.ok) throw new Error(`${what} failed (${result.reason}): ${result.message}`);
}

async function group(cluster: { account: string; location: string; cluster: string }, name: string): Promise<ServerGroupDescription | undefined> {
  const described = await target.serverGroups.describeCluster(cluster);
  if (!described.ok) throw new Error(described.message);
  return described.cluster.serverGroups.find((candidate) => candidate.name === name);
}

/** Moves the clock until the group's instances are all Up (10 minutes of simulated time at most). */
async function waitUp(cluster: { account: string; location: string; cluster: string }, name: string, count: number): Promise<ServerGroupDescription> {
  for (let waited = 0; waited <= 600_000; waited += 5_000) {
    const found = await group(cluster, name);
    if (found && found.instances.length === count && found.instances.every((instance) => instance.health === 'Up')) return found;
    world.sim.tick(5_000);
  }
  throw new Error(`${name} never had ${count} Up instances: ${JSON.stringify(await group(cluster, name))}`);
}

/** The calls since `start`, as `METHOD path-after-the-project`, operation waits as `wait <scope>`. */
function callsSince(start: number): string[] {
  return world.sim
    .calls()
    .slice(start)
    .map((call) => {
      const path = call.path.replace(`/compute/v1/projects/${PROJECT}/`, '');
      if (call.path.endsWith('/wait')) return `wait ${path.split('/operations/')[0]}`;
      return `${call.method} ${path}${call.query.startsWith('size=') ? `?${call.query}` : ''}`;
    });
}

/** The mutations among them (what changes the project), in order. */
const mutations = (calls: readonly string[]) => calls.filter((call) => /^(POST|PUT|PATCH|DELETE) /.test(call) && !/\/(getHealth|listManagedInstances)$/.test(call));

const backendGroups = () => (world.sim.describe().backendServices.find((service) => service.name === BACKEND_SERVICE)?.backends ?? []).map((backend) => backend.group.split('/').pop());
const templatesOf = (name: string) => world.sim.describe().templates.filter((template) => template.name.startsWith(`${name}-`)).map((template) => template.name);

describe('the gce target, as clouddriver drives GCE', () => {
  it('creates, disables, enables and destroys with clouddriver\'s calls in its order, waiting on each operation', async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    // create: template → MIG → autoscaler → backend (read, then the whole resource back)
    let start = world.sim.calls().length;
    expectDone(await target.serverGroups.create(request(cluster, 1)), 'create');
    let calls = callsSince(start);
    const template = templatesOf(name)[0]!;
    expect(template).toMatch(new RegExp(`^${name}-\\d{8}$`));
    expect(mutations(calls)).toEqual([
      'POST global/instanceTemplates',
      `POST zones/${ZONE}/instanceGroupManagers`,
      `POST zones/${ZONE}/autoscalers`,
      `PUT global/backendServices/${BACKEND_SERVICE}`,
    ]);
    // each mutation is followed by the waits on its operation (2 s, one simulated second per wait) before the next
    const waitsAfter = (mutation: string) => calls.slice(calls.indexOf(mutation) + 1, calls.indexOf(mutation) + 3);
    expect(waitsAfter('POST global/instanceTemplates')).toEqual(['wait global', 'wait global']);
    expect(waitsAfter(`POST zones/${ZONE}/instanceGroupManagers`)).toEqual([`wait zones/${ZONE}`, `wait zones/${ZONE}`]);
    expect(calls[calls.indexOf(`PUT global/backendServices/${BACKEND_SERVICE}`) - 1]).toBe(`GET global/backendServices/${BACKEND_SERVICE}`);
    expect(backendGroups()).toContain(name);
    await waitUp(cluster, name, 1);

    // disable: the autoscaler OFF, then the backend removed (read-modify-write)
    start = world.sim.calls().length;
    expectDone(await target.traffic.disable(ref(cluster, name), { owner: 'execution-1/disable' }), 'disable');
    calls = callsSince(start);
    expect(mutations(calls)).toEqual([`PUT zones/${ZONE}/autoscalers`, `PUT global/backendServices/${BACKEND_SERVICE}`]);
    expect(world.sim.describe().managedInstanceGroups.find((mig) => mig.name === name)?.autoscaler?.mode).toBe('OFF');
    expect(backendGroups()).not.toContain(name);
    expect(await group(cluster, name)).toMatchObject({ disabled: true });

    // enable: from the template's metadata (read once: templates are immutable), the autoscaler's mode restored, the backend back
    start = world.sim.calls().length;
    expectDone(await world.target().traffic.enable(ref(cluster, name), { owner: 'execution-1/enable' }), 'enable');
    calls = callsSince(start);
    expect(calls).toContain(`GET global/instanceTemplates/${template}`);
    expect(mutations(calls)).toEqual([`PUT zones/${ZONE}/autoscalers`, `PUT global/backendServices/${BACKEND_SERVICE}`]);
    expect(world.sim.describe().managedInstanceGroups.find((mig) => mig.name === name)?.autoscaler?.mode).toBe('ON');
    expect(await group(cluster, name)).toMatchObject({ disabled: false });

    // destroy: autoscaler, backends, MIG, then its template
    start = world.sim.calls().length;
    expectDone(await target.serverGroups.destroy(ref(cluster, name), { owner: 'execution-1/destroy' }), 'destroy');
    calls = callsSince(start);
    const deletes = mutations(calls);
    expect(deletes.slice(0, 3)).toEqual([`DELETE zones/${ZONE}/autoscalers/${name}`, `PUT global/backendServices/${BACKEND_SERVICE}`, `DELETE zones/${ZONE}/instanceGroupManagers/${name}`]);
    // GCE deletes a template only once no MIG uses it: now, or on the same step's next destroy once the MIG is gone
    for (let waited = 0; (await group(cluster, name)) !== undefined && waited < 600_000; waited += 5_000) world.sim.tick(5_000);
    expect(await group(cluster, name)).toBeUndefined();
    expect(await target.serverGroups.destroy(ref(cluster, name), { owner: 'execution-1/destroy' })).toEqual({ ok: true, outcome: 'already-done' });
    world.sim.tick(5_000);
    expect(templatesOf(name)).toEqual([]);
  });

  it("writes Spinnaker's metadata keys and labels on the instance template verbatim, and the MIG as clouddriver makes it", async () => {
    const cluster = { account: ACCOUNT, location: REGION, cluster: 'hello-prod-canary' };
    const name = 'hello-prod-canary-v007';
    expectDone(await target.serverGroups.create(request(cluster, 7, { provider: { ...world.provider, instanceMetadata: { 'startup-script': 'echo hi' }, labels: { team: 'web' }, tags: ['http-server'] } })), 'create');
    const [templateName] = templatesOf(name);
    const [template] = await world.clients.instanceTemplates.get({ project: PROJECT, instanceTemplate: templateName! });
    expect(Object.fromEntries((template.properties?.metadata?.items ?? []).map((item) => [item.key, item.value]))).toEqual({
      'startup-script': 'echo hi',
      'global-load-balancer-names': HTTP_LB,
      'backend-service-names': BACKEND_SERVICE,
      'load-balancing-policy': '{"balancingMode":"UTILIZATION","maxUtilization":0.8,"capacityScaler":1,"namedPorts":[{"name":"http","port":80}]}',
      'autoscaling-policy': '{"coolDownPeriodSec":60,"cpuUtilization":{"utilizationTarget":0.6},"minNumReplicas":1,"maxNumReplicas":3}',
    });
    expect(template.properties?.labels).toEqual({
      team: 'web',
      'spinnaker-region': REGION,
      'spinnaker-server-group': name,
      'spinnaker-moniker-application': 'hello',
      'spinnaker-moniker-cluster': 'hello-prod-canary',
      'spinnaker-moniker-stack': 'prod',
      'spinnaker-moniker-detail': 'canary',
      'spinnaker-moniker-sequence': '7',
    });
    expect(template.properties?.tags?.items).toEqual(['http-server']);
    expect(template.properties?.disks?.[0]?.initializeParams?.sourceImage).toContain(`/global/images/${IMAGE}`);
    expect(template.properties?.serviceAccounts?.[0]?.email).toBe('default');
    const [mig] = await world.clients.instanceGroupManagers.get({ project: PROJECT, zone: ZONE, instanceGroupManager: name });
    expect(mig).toMatchObject({ name, baseInstanceName: name, targetSize: 1, namedPorts: [{ name: 'http', port: 80 }] });
    expect(mig.instanceTemplate).toContain(`/global/instanceTemplates/${templateName}`);
    const described = await waitUp(cluster, name, 1);
    expect(described.artifact).toEqual({ type: 'gce/image', name: IMAGE, reference: expect.stringContaining(`/global/images/${IMAGE}`) });
    expect(described).toMatchObject({ owner: request(cluster, 7).owner, capacity: { min: 1, max: 3, desired: 1 }, launchConfig: { instanceTemplate: templateName, zone: ZONE, backendServices: [BACKEND_SERVICE] } });
  });

  it('reads the backend service again on a 412 and writes it with the new fingerprint; after every retry, fails in one line and leaves the group serving', async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    world.sim.failNext({ method: 'PUT', pathIncludes: `/backendServices/${BACKEND_SERVICE}`, status: 412, reason: 'conditionNotMet', message: 'Precondition Failed', times: 2 });
    let start = world.sim.calls().length;
    expectDone(await target.serverGroups.create(request(cluster, 1)), 'create');
    const puts = callsSince(start).filter((call) => call.startsWith('GET global/backendServices') || call.startsWith('PUT global/backendServices'));
    // looked up before anything is made, then read and written three times
    expect(puts).toEqual([`GET global/backendServices/${BACKEND_SERVICE}`, ...Array(3).fill([`GET global/backendServices/${BACKEND_SERVICE}`, `PUT global/backendServices/${BACKEND_SERVICE}`]).flat()]);
    expect(backendGroups()).toContain(name);
    // when every read-modify-write of the disable meets a 412
    world.sim.failNext({ method: 'PUT', pathIncludes: `/backendServices/${BACKEND_SERVICE}`, status: 412, reason: 'conditionNotMet', message: 'Precondition Failed', times: 5 });
    start = world.sim.calls().length;
    const disabled = await target.traffic.disable(ref(cluster, name), { owner: 'execution-1/disable' });
    expect(disabled).toMatchObject({ ok: false, reason: 'failed' });
    if (!disabled.ok) {
      expect(disabled.message).toBe(`updating the backends of backend service ${BACKEND_SERVICE} failed: it changed under every one of 5 read-modify-writes (GCE 412 conditionNotMet, a stale fingerprint); another deploy is writing it, try again when it is done`);
    }
    expect(callsSince(start).filter((call) => call.startsWith('PUT global/backendServices'))).toHaveLength(5);
    expect(backendGroups()).toContain(name);
  });

  it('loses a real race for the backend service (another writer between its read and its write): GCE answers 412, the read-modify-write starts over and keeps the other change', async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    let raced = false;
    // Another writer edits the backend service after this target read it and before it writes.
    const racing = new Proxy(world.clients.backendServices, {
      get(client, property, receiver) {
        const value: unknown = Reflect.get(client, property, receiver);
        if (property === 'update' && !raced) {
          return async (...args: unknown[]) => {
            raced = true;
            const [current] = await client.get({ project: PROJECT, backendService: BACKEND_SERVICE });
            await client.update({ project: PROJECT, backendService: BACKEND_SERVICE, backendServiceResource: { ...current, description: 'edited by hand' } });
            world.sim.tick(2_000);
            return (value as (...call: unknown[]) => unknown).apply(client, args);
          };
        }
        return typeof value === 'function' ? (value as (...call: unknown[]) => unknown).bind(client) : value;
      },
    });
    const racedTarget = world.target({ clients: Object.create(world.clients, { backendServices: { value: racing } }) });
    const start = world.sim.calls().length;
    expectDone(await racedTarget.serverGroups.create(request(cluster, 1)), 'create');
    const puts = world.sim.calls().slice(start).filter((call) => call.method === 'PUT' && call.path.endsWith(`/backendServices/${BACKEND_SERVICE}`));
    expect(puts.map((call) => call.status)).toEqual([200, 412, 200]);
    const [service] = await world.clients.backendServices.get({ project: PROJECT, backendService: BACKEND_SERVICE });
    expect(service.description).toBe('edited by hand');
    expect(backendGroups()).toContain(name);
  });

  it('finishes a create that stopped after its template on retry: no second template, one MIG', async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    world.sim.failNext({ method: 'POST', pathIncludes: `/zones/${ZONE}/instanceGroupManagers`, status: 500, reason: 'backendError', message: 'Internal error', times: 1 });
    const first = await target.serverGroups.create(request(cluster, 1));
    expect(first).toMatchObject({ ok: false, reason: 'unavailable' });
    if (!first.ok) expect(first.message).toContain('it will be tried again');
    expect(templatesOf(name)).toHaveLength(1);
    world.sim.tick(60_000);
    const start = world.sim.calls().length;
    expectDone(await target.serverGroups.create(request(cluster, 1)), 'retried create');
    expect(mutations(callsSince(start)).filter((call) => call.includes('instanceTemplates'))).toEqual([]);
    expect(templatesOf(name)).toHaveLength(1);
    expect(world.sim.describe().managedInstanceGroups.filter((mig) => mig.name === name)).toHaveLength(1);
    expect(world.sim.describe().managedInstanceGroups.find((mig) => mig.name === name)?.template).toBe(templatesOf(name)[0]);
    await waitUp(cluster, name, 1);
  });

  it('answers a repeated create already-done without a call that changes anything, and another owner already-exists', async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    expectDone(await target.serverGroups.create(request(cluster, 1)), 'create');
    const start = world.sim.calls().length;
    expect(await target.serverGroups.create(request(cluster, 1))).toEqual({ ok: true, outcome: 'already-done' });
    expect(mutations(callsSince(start))).toEqual([]);
    const theirs = await target.serverGroups.create(request(cluster, 1, { owner: 'execution-2/stage/create' }));
    expect(theirs).toMatchObject({ ok: false, reason: 'already-exists' });
    if (!theirs.ok) expect(theirs.message).toBe(`server group ${name} already exists in ${ACCOUNT}/${REGION} (zone ${ZONE}) and was created by another step; server groups are immutable, create the next version`);
    expect(templatesOf(name)).toHaveLength(1);
  });

  it('fails in one line when an operation ends with an error (an image that does not exist), leaving the serving group as it was', async () => {
    const cluster = newCluster();
    const v1 = `${cluster.cluster}-v001`;
    expectDone(await target.serverGroups.create(request(cluster, 1)), 'create v001');
    await waitUp(cluster, v1, 1);
    const missing = world.imageUrl.replace(IMAGE, 'hello-9-9-9-gone');
    const created = await target.serverGroups.create(request(cluster, 2, { artifact: { type: 'gce/image', name: 'hello-9-9-9-gone', reference: missing } }));
    expect(created).toMatchObject({ ok: false, reason: 'invalid' });
    if (!created.ok) {
      expect(created.message).toMatch(/^creating instance template hello-it\d+-v002-\d{8} failed: GCE operation operation-\S+ ended with RESOURCE_NOT_FOUND: .*hello-9-9-9-gone.*$/);
      expect(created.message).not.toContain('\n');
    }
    expect(await group(cluster, `${cluster.cluster}-v002`)).toBeUndefined();
    expect(await waitUp(cluster, v1, 1)).toMatchObject({ disabled: false });
    expect(backendGroups()).toContain(v1);
  });

  it('fails a create over the instance quota in one line, and takes back the template it made', async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    world.sim.quota(PROJECT, REGION, 0);
    try {
      const created = await target.serverGroups.create(request(cluster, 1, { capacity: { min: 1, max: 3, desired: 2 } }));
      expect(created).toMatchObject({ ok: false, reason: 'failed' });
      if (!created.ok) {
        expect(created.message).toMatch(/^creating managed instance group hello-it\d+-v001 in zone us-central1-c failed: GCE 403 quotaExceeded: .*Quota.*; raise the quota in the project \(IAM & Admin → Quotas\) or use fewer resources$/);
      }
      world.sim.tick(10_000);
      expect(templatesOf(name)).toEqual([]);
      expect(await group(cluster, name)).toBeUndefined();
    } finally {
      world.sim.quota(PROJECT, REGION, 10_000);
    }
  });

  it('makes a regional MIG over the zones of its distribution policy, and takes it in and out of traffic', async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    const provider = { ...world.provider, zone: '', regional: true, distributionPolicy: { zones: ['us-central1-a', 'us-central1-b'], targetShape: 'EVEN' } };
    const start = world.sim.calls().length;
    expectDone(await target.serverGroups.create(request(cluster, 1, { capacity: { min: 2, max: 4, desired: 2 }, provider })), 'create');
    expect(mutations(callsSince(start))).toEqual(['POST global/instanceTemplates', `POST regions/${REGION}/instanceGroupManagers`, `POST regions/${REGION}/autoscalers`, `PUT global/backendServices/${BACKEND_SERVICE}`]);
    const up = await waitUp(cluster, name, 2);
    expect(up).toMatchObject({ location: REGION, capacity: { min: 2, max: 4, desired: 2 }, launchConfig: { regional: true, region: REGION } });
    const mig = world.sim.describe().managedInstanceGroups.find((candidate) => candidate.name === name)!;
    expect(mig.location).toBe(`regions/${REGION}`);
    expect(new Set(mig.instances.map((instance) => instance.zone))).toEqual(new Set(['us-central1-a', 'us-central1-b']));
    expectDone(await target.traffic.disable(ref(cluster, name), { owner: 'o/disable' }), 'disable');
    expect(await group(cluster, name)).toMatchObject({ disabled: true });
    expectDone(await target.serverGroups.resize(ref(cluster, name), { min: 1, max: 4, desired: 1 }, { owner: 'o/resize' }), 'resize');
    expect(world.sim.describe().managedInstanceGroups.find((candidate) => candidate.name === name)).toMatchObject({ targetSize: 1, autoscaler: { min: 1, max: 4 } });
    expectDone(await target.serverGroups.destroy(ref(cluster, name), { owner: 'o/destroy' }), 'destroy');
  });

  it("puts a network load balancer's target pool behind the MIG, and disable and enable its instances there", async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    const provider = { ...world.provider, loadBalancers: [NETWORK_LB], backendServices: {}, loadBalancingPolicy: undefined, autoscalingPolicy: undefined };
    expectDone(await target.serverGroups.create(request(cluster, 1, { capacity: { min: 2, max: 2, desired: 2 }, provider })), 'create');
    await waitUp(cluster, name, 2);
    const pool = () => world.sim.describe().targetPools.find((candidate) => candidate.name === TARGET_POOL)!.instances.filter((instance) => instance.split('/').pop()!.startsWith(`${name}-`));
    expect(pool()).toHaveLength(2);
    // without an autoscaler the capacity is the target size, as clouddriver shows it
    expect(await group(cluster, name)).toMatchObject({ capacity: { min: 2, max: 2, desired: 2 }, disabled: false });
    const [template] = await world.clients.instanceTemplates.get({ project: PROJECT, instanceTemplate: templatesOf(name)[0]! });
    expect((template.properties?.metadata?.items ?? []).map(({ key, value }) => ({ key, value }))).toEqual([{ key: 'load-balancer-names', value: NETWORK_LB }]);
    const start = world.sim.calls().length;
    expectDone(await target.traffic.disable(ref(cluster, name), { owner: 'o/disable' }), 'disable');
    // the MIG lets go of the pool first (it would put its instances back), then any instance still in it leaves
    expect(mutations(callsSince(start))[0]).toBe(`POST zones/${ZONE}/instanceGroupManagers/${name}/setTargetPools`);
    expect(pool()).toEqual([]);
    expect(await group(cluster, name)).toMatchObject({ disabled: true });
    expect(await target.traffic.disable(ref(cluster, name), { owner: 'o/disable' })).toEqual({ ok: true, outcome: 'already-done' });
    expectDone(await target.traffic.enable(ref(cluster, name), { owner: 'o/enable' }), 'enable');
    expect(pool()).toHaveLength(2);
    expect(await waitUp(cluster, name, 2)).toMatchObject({ disabled: false });
  });

  it('shows a MIG that declares no load balancer as enabled: there is nothing to be out of', async () => {
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    const provider = { ...world.provider, loadBalancers: [], backendServices: {}, autoscalingPolicy: undefined };
    expectDone(await target.serverGroups.create(request(cluster, 1, { provider })), 'create');
    expect(await waitUp(cluster, name, 1)).toMatchObject({ disabled: false, launchConfig: { loadBalancers: [], backendServices: [] } });
  });

  it('waits on an operation a bounded number of times: a slower one answers unavailable, and the retry joins it (its request id) and carries on from there', async () => {
    const impatient = world.target({ operationWaits: 1 });
    const cluster = newCluster();
    const name = `${cluster.cluster}-v001`;
    const first = await impatient.serverGroups.create(request(cluster, 1));
    expect(first).toMatchObject({ ok: false, reason: 'unavailable' });
    if (!first.ok) expect(first.message).toMatch(new RegExp(`^creating instance template ${name}-\\d{8}: operation operation-\\S+ is still RUNNING after 1 waits; it will be tried again$`));
    // Retried at once, while each operation still runs: the same request id answers the same operation,
    // and the MIG's name, taken by an insert still running, sends the retry to wait on that insert.
    const start = world.sim.calls().length;
    let result = await impatient.serverGroups.create(request(cluster, 1));
    let tries = 1;
    for (; !result.ok && result.reason === 'unavailable' && tries < 10; tries += 1) result = await impatient.serverGroups.create(request(cluster, 1));
    expect(result.ok).toBe(true);
    expect(tries).toBeGreaterThan(1);
    const calls = callsSince(start);
    expect(calls.filter((call) => call === 'POST global/instanceTemplates')).toHaveLength(1);
    expect(calls).toContain(`GET zones/${ZONE}/operations`);
    expect(templatesOf(name)).toHaveLength(1);
    expect(world.sim.describe().managedInstanceGroups.filter((mig) => mig.name === name)).toHaveLength(1);
    expect(backendGroups()).toContain(name);
  });

  it('boots an image named in the provider fields, found in the project, and refuses one that does not exist naming the field', async () => {
    const cluster = newCluster();
    const { artifact: _artifact, ...byName } = request(cluster, 1, { provider: { ...world.provider, image: NEW_IMAGE } });
    expectDone(await target.serverGroups.create(byName), 'create');
    expect((await group(cluster, `${cluster.cluster}-v001`))?.artifact).toMatchObject({ name: NEW_IMAGE });
    const { artifact: _none, ...missing } = request(cluster, 2, { provider: { ...world.provider, image: 'hello-0-0-1-nope' } });
    expect(await target.serverGroups.create(missing)).toEqual({
      ok: false,
      reason: 'invalid',
      message: `provider field image is "hello-0-0-1-nope"; no image of that name exists in projects ${PROJECT}; bake it, add its project to the account's imageProjects, or fix the name`,
    });
  });

  it('clones the source with its load balancers and policies, the stage\'s fields overriding them and its artifact replacing the image', async () => {
    const cluster = newCluster();
    const source = `${cluster.cluster}-v001`;
    expectDone(await target.serverGroups.create(request(cluster, 1, { provider: { ...world.provider, tags: ['http-server'], labels: { team: 'web' } } })), 'create');
    const clone = request(cluster, 2, { provider: { instanceType: 'e2-medium' }, artifact: { type: 'gce/image', name: NEW_IMAGE, reference: world.newImageUrl }, source: ref(cluster, source) });
    expectDone(await target.serverGroups.create(clone), 'clone');
    const [template] = await world.clients.instanceTemplates.get({ project: PROJECT, instanceTemplate: templatesOf(clone.name)[0]! });
    expect(template.properties).toMatchObject({ machineType: 'e2-medium', tags: { items: ['http-server'] }, labels: { team: 'web', 'spinnaker-server-group': clone.name } });
    expect(template.properties?.disks?.[0]?.initializeParams?.sourceImage).toContain(NEW_IMAGE);
    expect(backendGroups()).toContain(clone.name);
    expect(await target.serverGroups.create({ ...clone, name: `${cluster.cluster}-v003`, source: ref(cluster, `${cluster.cluster}-v099`) })).toMatchObject({ ok: false, reason: 'not-found' });
  });

  it("in weighted mode sets each group's backend capacityScaler to its weight, refuses what GCE cannot hold, and {} puts back each group's policy", async () => {
    const weighted = world.target({ weightedTraffic: true });
    const cluster = newCluster();
    const [v1, v2] = [`${cluster.cluster}-v001`, `${cluster.cluster}-v002`];
    expectDone(await weighted.serverGroups.create(request(cluster, 1)), 'create v001');
    expectDone(await weighted.serverGroups.create(request(cluster, 2)), 'create v002');
    const scalers = () => Object.fromEntries((world.sim.describe().backendServices.find((service) => service.name === BACKEND_SERVICE)?.backends ?? []).map((backend) => [backend.group.split('/').pop(), backend.capacityScaler]).filter(([name]) => String(name).startsWith(cluster.cluster)));
    expect(weighted.traffic.capabilities).toEqual({ weights: true, maxWeightedServerGroups: 50, partialDisable: false, drains: false });
    expectDone(await weighted.traffic.setWeights(cluster, { [v1]: 80, [v2]: 20 }, { owner: 'o/weights' }), 'weights');
    expect(scalers()).toEqual({ [v1]: 0.8, [v2]: 0.2 });
    expect(await weighted.traffic.setWeights(cluster, { [v1]: 95, [v2]: 5 }, { owner: 'o/bad' })).toEqual({
      ok: false,
      reason: 'invalid',
      message: `traffic weight 5 for ${v2} cannot be set: a backend's capacityScaler is 0 or 0.1 to 1.0, so give it 0 or at least 10`,
    });
    expectDone(await weighted.traffic.setWeights(cluster, {}, { owner: 'o/default' }), 'default');
    expect(scalers()).toEqual({ [v1]: 1, [v2]: 1 });
    expect(await target.traffic.setWeights(cluster, { [v1]: 100 }, { owner: 'o/spinnaker' })).toMatchObject({ ok: false, reason: 'unsupported' });
  });

  it('looks up at save what a cluster entry names: the machine type, network, backend services and health check', async () => {
    const checked = await target.serverGroups.checkCluster!({
      account: ACCOUNT,
      location: REGION,
      provider: { ...world.provider, instanceType: 'n9-huge-1', network: 'nowhere', loadBalancers: ['ghost-lb'], backendServices: { 'ghost-lb': ['ghost-bs'] }, autoHealingPolicy: { healthCheck: 'ghost-hc' } },
    });
    expect(checked.ok && checked.issues.map((issue) => [issue.path, issue.code, issue.message])).toEqual([
      [['instanceType'], 'resource-not-found', `provider field instanceType is "n9-huge-1"; GCE offers no such machine type in ${ZONE}; use one it offers, e.g. "e2-medium" or "n1-standard-1"`],
      [['network'], 'resource-not-found', `provider field network is "nowhere"; no network of that name exists in project ${PROJECT}; create it or fix the name`],
      [['loadBalancers'], 'resource-not-found', `provider field backendServices.ghost-lb is ["ghost-bs"]; backend service ghost-bs does not exist in project ${PROJECT}; create it or fix the name`],
      [['autoHealingPolicy'], 'resource-not-found', `provider field autoHealingPolicy.healthCheck is "ghost-hc"; no health check of that name exists in project ${PROJECT}; create it or fix the name`],
    ]);
    expect(await target.serverGroups.checkCluster!({ account: ACCOUNT, location: REGION, provider: world.provider })).toEqual({ ok: true, issues: [] });
  });
});

describe("an account's GCE target across its regions", () => {
  it('serves each listed region with one client set, and refuses a region the account does not list before any call', async () => {
    const account = createGceAccountTarget({ account: ACCOUNT, project: PROJECT, regions: [REGION, 'europe-west1'], clients: world.clients, clock: { now: () => world.sim.now() } });
    expect(account.cloudProvider).toBe('gce');
    // each client is made once, on first use, and kept
    expect(world.clients.instanceGroupManagers).toBe(world.clients.instanceGroupManagers);
    const cluster = newCluster();
    expectDone(await account.serverGroups.create(request(cluster, 1)), 'create');
    expect(await account.serverGroups.describeCluster({ ...cluster, location: 'europe-west1' })).toMatchObject({ ok: true, cluster: { serverGroups: [] } });
    const start = world.sim.calls().length;
    expect(await account.serverGroups.describeCluster({ ...cluster, location: 'asia-east1' })).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining(`is not one of account '${ACCOUNT}''s regions`) });
    expect(world.sim.calls().length).toBe(start);
  });
});

describe('the GCE image store', () => {
  it('finds images by name pattern and labels, newest first, as gce/image artifacts; bake is not its job', async () => {
    const store = createGceImageStore({ clients: world.clients, project: PROJECT });
    const found = await store.findImages({ packageName: 'hello-*' });
    expect(found.map((image) => image.imageName)).toEqual([NEW_IMAGE, IMAGE]);
    // the version is the appversion label's (labels hold no dots: Rosco writes dashes)
    expect(found[0]!.artifact).toEqual({ type: 'gce/image', name: NEW_IMAGE, reference: world.newImageUrl, version: '1-1-0' });
    expect(found[0]).toMatchObject({ package: 'hello', version: '1-1-0' });
    expect((await store.findImages({ tags: { appversion: 'hello-1-0-0' } })).map((image) => image.imageName)).toEqual([IMAGE]);
    expect(await store.findImages({ packageName: 'nothing-like-it' })).toEqual([]);
    expect((await store.getImage(IMAGE))?.imageName).toBe(IMAGE);
    expect(await store.bake({ package: 'hello', source: { type: 'directory', reference: '.' } })).toMatchObject({ ok: false, reason: 'unsupported' });
  });
});

describe('a gce account of the accounts file', () => {
  it("gets weighted mode (capacityScaler) only when the account sets weightedTraffic", async () => {
    const account = (name: string, weightedTraffic: boolean) => ({ name, cloudProvider: 'gce', accountType: name, environment: name, regions: ['us-central1'], gce: { project: 'my-project', apiEndpoint: 'http://127.0.0.1:9' }, ...(weightedTraffic ? { weightedTraffic } : {}) });
    const targets = await createLocalGceTargets([account('weighted', true), account('whole', false)], { clock: { now: () => 0 } });
    try {
      expect(['weighted', 'whole'].map((name) => targets.lookup({ account: name })?.traffic.capabilities.weights)).toEqual([true, false]);
    } finally {
      await targets.close();
    }
  });
});
