/**
 * The simulated Compute Engine, driven by the real `@google-cloud/compute` 6.15 clients (REST,
 * proto3 JSON): the create sequence clouddriver runs (template → group → instances → backend
 * service read-modify-write → health), fingerprints and 412, int64 strings, pagination and
 * filters, links in both host forms, Google error envelopes as GaxiosError, operations that
 * fail inside, resize, in-use protection, regional distribution, fault injection.
 */
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import { InstanceTemplatesClient } from '@google-cloud/compute/build/src/v1/instance_templates_client.js';
import { InstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/instance_group_managers_client.js';
import { RegionInstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/region_instance_group_managers_client.js';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';
import { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client.js';
import { BackendServicesClient } from '@google-cloud/compute/build/src/v1/backend_services_client.js';
import { ImagesClient } from '@google-cloud/compute/build/src/v1/images_client.js';
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGceSimulator, type GceSimulator } from '../../../sandbox/gce/server.ts';

type Op = { name?: string | null; status?: string | null; zone?: string | null; region?: string | null; error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null; httpErrorStatusCode?: number | null };
type Lro = { latestResponse: unknown };

let sim: GceSimulator;
let templates: InstanceTemplatesClient;
let zonal: InstanceGroupManagersClient;
let regional: RegionInstanceGroupManagersClient;
let globalOps: GlobalOperationsClient;
let zoneOps: ZoneOperationsClient;
let regionOps: RegionOperationsClient;
let backends: BackendServicesClient;
let images: ImagesClient;
let instances: InstancesClient;

beforeAll(async () => {
  sim = await startGceSimulator({ seed: 11 });
  const opts = { apiEndpoint: '127.0.0.1', port: sim.port, protocol: 'http', authClient: new PassThroughClient() } as ConstructorParameters<typeof InstanceTemplatesClient>[0];
  templates = new InstanceTemplatesClient(opts);
  zonal = new InstanceGroupManagersClient(opts);
  regional = new RegionInstanceGroupManagersClient(opts);
  globalOps = new GlobalOperationsClient(opts);
  zoneOps = new ZoneOperationsClient(opts);
  regionOps = new RegionOperationsClient(opts);
  backends = new BackendServicesClient(opts);
  images = new ImagesClient(opts);
  instances = new InstancesClient(opts);
});
afterAll(async () => {
  await Promise.all([templates, zonal, regional, globalOps, zoneOps, regionOps, backends, images, instances].map((c) => c?.close()));
  await sim?.close();
});

/** Polls `wait` on the operation a mutation answered, ticking the simulated clock between polls, as an adapter's test does. */
async function done(project: string, call: Promise<[Lro, ...unknown[]]>): Promise<Op> {
  const [lro] = await call;
  let op = lro.latestResponse as Op;
  for (let polls = 0; op.status !== 'DONE'; polls += 1) {
    if (polls > 20) throw new Error(`operation ${op.name} never finished`);
    sim.tick(500);
    const operation = String(op.name);
    const [next] = op.zone
      ? await zoneOps.wait({ project, zone: op.zone.split('/').pop()!, operation })
      : op.region
        ? await regionOps.wait({ project, region: op.region.split('/').pop()!, operation })
        : await globalOps.wait({ project, operation });
    op = next as Op;
  }
  return op;
}

/** The error a call rejects with. */
async function failure(call: Promise<unknown>): Promise<{ code: number; status: number; message: string; name: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { code: number; status: number; message: string };
    return { code: e.code, status: e.status, message: e.message, name: (error as object).constructor.name };
  }
  throw new Error('expected the call to fail');
}

/** A template as clouddriver writes it (`<server group>-<8 digits>`, Spinnaker labels and metadata). */
function templateBody(name: string, image = 'projects/debian-cloud/global/images/family/debian-12') {
  return {
    name,
    properties: {
      machineType: 'e2-small',
      disks: [{ boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: { sourceImage: image, diskSizeGb: '10', diskType: 'pd-ssd' } }],
      networkInterfaces: [{ network: 'https://compute.googleapis.com/compute/v1/projects/shop/global/networks/default', accessConfigs: [] }],
      metadata: { items: [{ key: 'backend-service-names', value: 'web-bs' }] },
      labels: { 'spinnaker-server-group': name.replace(/-\d{8}$/, ''), 'spinnaker-moniker-application': 'app' },
      tags: { items: ['http-server'] },
    },
  };
}

async function createTemplate(project: string, name: string, image?: string): Promise<string> {
  const body = templateBody(name, image);
  body.properties.networkInterfaces[0]!.network = `https://compute.googleapis.com/compute/v1/projects/${project}/global/networks/default`;
  const op = await done(project, templates.insert({ project, instanceTemplateResource: body }) as never);
  expect(op.error ?? undefined).toBeUndefined();
  return `https://www.googleapis.com/compute/v1/projects/${project}/global/instanceTemplates/${name}`;
}

describe('the create sequence clouddriver runs', () => {
  it('creates a template, a zonal group whose instances boot, joins it to a backend service with its fingerprint, and reports it HEALTHY', async () => {
    // given
    const project = 'shop';
    const hc = sim.seedHealthCheck(project, { name: 'web-hc', port: 8080, requestPath: '/health', checkIntervalSec: 2, healthyThreshold: 2 });
    sim.seedBackendService(project, { name: 'web-bs', healthChecks: [hc], portName: 'http' });

    // when: the template, then the group on it
    const template = await createTemplate(project, 'app-prod-v001-12345678');
    const insert = await done(project, zonal.insert({ project, zone: 'us-central1-c', instanceGroupManagerResource: { name: 'app-prod-v001', baseInstanceName: 'app-prod-v001', instanceTemplate: template.replace('www.googleapis.com', 'compute.googleapis.com'), targetSize: 2, namedPorts: [{ name: 'http', port: 8080 }] } }) as never);
    expect(insert.status).toBe('DONE');
    expect(insert.error ?? undefined).toBeUndefined();

    // then: instances appear PROVISIONING and reach RUNNING on the simulated clock
    const [starting] = await zonal.listManagedInstances({ project, zone: 'us-central1-c', instanceGroupManager: 'app-prod-v001' });
    expect(starting.map((i) => [i.instanceStatus, i.currentAction])).toEqual([
      ['PROVISIONING', 'CREATING'],
      ['PROVISIONING', 'CREATING'],
    ]);
    expect(starting.every((i) => /^app-prod-v001-[a-z0-9]{4}$/.test(String(i.name)))).toBe(true);
    const [unstable] = await zonal.get({ project, zone: 'us-central1-c', instanceGroupManager: 'app-prod-v001' });
    expect(unstable.status?.isStable).toBe(false);
    expect(unstable.currentActions?.creating).toBe(2);
    sim.tick(5000);
    const [stable] = await zonal.get({ project, zone: 'us-central1-c', instanceGroupManager: 'app-prod-v001' });
    expect(stable.status?.isStable).toBe(true);
    expect(stable.currentActions?.none).toBe(2);
    const [vm] = await instances.get({ project, zone: 'us-central1-c', instance: String(starting[0]!.name) });
    expect(vm.status).toBe('RUNNING');
    expect(vm.labels).toEqual({ 'spinnaker-server-group': 'app-prod-v001', 'spinnaker-moniker-application': 'app' });
    expect(vm.metadata?.items).toMatchObject([{ key: 'backend-service-names', value: 'web-bs' }]);

    // when: backendServices.get → append the backend → update with the fingerprint read
    const [service] = await backends.get({ project, backendService: 'web-bs' });
    const group = `https://compute.googleapis.com/compute/v1/projects/${project}/zones/us-central1-c/instanceGroups/app-prod-v001`;
    const update = await done(project, backends.update({ project, backendService: 'web-bs', backendServiceResource: { ...service, backends: [...(service.backends ?? []), { group, balancingMode: 'UTILIZATION', capacityScaler: 1, maxUtilization: 0.8 }] } }) as never);
    expect(update.error ?? undefined).toBeUndefined();

    // then: the backend is stored in the www form, the fingerprint changed, health follows the health check
    const [joined] = await backends.get({ project, backendService: 'web-bs' });
    expect(joined.fingerprint).not.toBe(service.fingerprint);
    expect(joined.backends?.map((b) => b.group)).toEqual([group.replace('compute.googleapis.com', 'www.googleapis.com')]);
    const [early] = await backends.getHealth({ project, backendService: 'web-bs', resourceGroupReferenceResource: { group } });
    expect(early.healthStatus?.map((h) => h.healthState)).toEqual(['UNHEALTHY', 'UNHEALTHY']);
    sim.tick(4000);
    const [health] = await backends.getHealth({ project, backendService: 'web-bs', resourceGroupReferenceResource: { group: group.replace('compute.googleapis.com', 'www.googleapis.com') } });
    expect(health.healthStatus?.map((h) => [h.healthState, h.port])).toEqual([
      ['HEALTHY', 8080],
      ['HEALTHY', 8080],
    ]);
    expect(health.healthStatus?.[0]?.ipAddress).toMatch(/^10\.128\.0\.\d+$/);
    const described = sim.describe().backendServices.find((b) => b.project === project && b.name === 'web-bs')!;
    expect([...described.receivingTraffic].sort()).toEqual(starting.map((i) => String(i.name)).sort());

    // when: the side door marks one instance down
    sim.setInstanceHealth(project, String(starting[0]!.name), 'UNHEALTHY');
    const [oneDown] = await backends.getHealth({ project, backendService: 'web-bs', resourceGroupReferenceResource: { group } });
    expect(oneDown.healthStatus?.filter((h) => h.healthState === 'HEALTHY')).toHaveLength(1);
    expect(sim.describe().backendServices.find((b) => b.name === 'web-bs')!.receivingTraffic).toEqual([String(starting[1]!.name)]);
  });

  it('rejects an update with a stale or missing fingerprint with 412 conditionNotMet, and a second write while one is in flight with 400 resourceNotReady', async () => {
    // given
    const project = 'locks';
    sim.seedBackendService(project, { name: 'bs' });
    const [service] = await backends.get({ project, backendService: 'bs' });
    await done(project, backends.patch({ project, backendService: 'bs', backendServiceResource: { fingerprint: service.fingerprint, timeoutSec: 60 } }) as never);

    // when / then
    const stale = await failure(backends.update({ project, backendService: 'bs', backendServiceResource: { ...service, timeoutSec: 90 } }));
    expect([stale.code, stale.status]).toEqual([412, 412]);
    expect(JSON.parse(stale.message).error.errors[0]).toMatchObject({ reason: 'conditionNotMet', location: 'If-Match' });
    const missing = await failure(backends.patch({ project, backendService: 'bs', backendServiceResource: { timeoutSec: 90 } }));
    expect(missing.code).toBe(412);
    const [fresh] = await backends.get({ project, backendService: 'bs' });
    expect(fresh.timeoutSec).toBe(60);
    const [first] = await backends.patch({ project, backendService: 'bs', backendServiceResource: { fingerprint: fresh.fingerprint, timeoutSec: 10 } });
    const busy = await failure(backends.patch({ project, backendService: 'bs', backendServiceResource: { fingerprint: fresh.fingerprint, timeoutSec: 11 } }));
    expect(busy.code).toBe(400);
    expect(JSON.parse(busy.message).error.errors[0].reason).toBe('resourceNotReady');
    await done(project, Promise.resolve([first]) as never);
  });
});

describe('wire fidelity', () => {
  it('sends int64 fields as strings and leaves no field the server sent undefined in the parsed resource', async () => {
    // given
    const project = 'wire';
    await createTemplate(project, 'wire-v001-00000001');

    // when: the raw JSON and the client's parse of the same resource
    const raw = (await (await fetch(`${sim.endpoint}/compute/v1/projects/${project}/global/instanceTemplates/wire-v001-00000001`)).json()) as Record<string, unknown>;
    const [parsed] = await templates.get({ project, instanceTemplate: 'wire-v001-00000001' });
    const [image] = await images.getFromFamily({ project: 'debian-cloud', family: 'debian-12' });

    // then
    expect(typeof raw['id']).toBe('string');
    expect(raw['id']).toMatch(/^[1-9]\d{18}$/);
    expect(parsed.id).toBe(raw['id']);
    expect(parsed.properties?.disks?.[0]?.initializeParams?.diskSizeGb).toBe('10');
    expect(image.diskSizeGb).toBe('10');
    expect(image.status).toBe('READY');
    expect(holes(raw, parsed)).toEqual([]);
    const rawMig = await fetch(`${sim.endpoint}/compute/v1/projects/shop/zones/us-central1-c/instanceGroupManagers/app-prod-v001`).then((r) => r.json() as Promise<Record<string, unknown>>);
    const [mig] = await zonal.get({ project: 'shop', zone: 'us-central1-c', instanceGroupManager: 'app-prod-v001' });
    expect(holes(rawMig, mig)).toEqual([]);
    expect(mig.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-08:00$/);
  });

  it('pages lists with maxResults and pageToken and filters by name regex, name = and labels', async () => {
    // given
    const project = 'pages';
    for (const n of [1, 2, 3, 4, 5]) await createTemplate(project, `app-v00${n}-1000000${n}`);
    await createTemplate(project, 'other-v001-10000009');

    // when
    const [firstPage, , response] = await templates.list({ project, maxResults: 2 }, { autoPaginate: false });
    const all: string[] = [];
    for await (const t of templates.listAsync({ project, maxResults: 4 })) all.push(String(t.name));
    const [byRegex] = await templates.list({ project, filter: 'name eq app-v00[2-3]-.*' });
    const [byEquals] = await templates.list({ project, filter: 'name = "other-v001-10000009"' });

    // then
    expect(firstPage.map((t) => t.name)).toEqual(['app-v001-10000001', 'app-v002-10000002']);
    expect(response?.nextPageToken).toBeTruthy();
    expect(all).toHaveLength(6);
    expect(byRegex.map((t) => t.name)).toEqual(['app-v002-10000002', 'app-v003-10000003']);
    expect(byEquals.map((t) => t.name)).toEqual(['other-v001-10000009']);
    const [labelled] = await images.list({ project: 'debian-cloud', filter: 'family = "debian-11"' });
    expect(labelled.map((i) => i.name)).toEqual(['debian-11-bullseye-v20261110']);
  });

  it('answers errors in Google’s envelope, thrown by the 6.15 client as GaxiosError with the HTTP status as code', async () => {
    // given
    const project = 'errors';
    await createTemplate(project, 'dup-v001-00000001');

    // when
    const missing = await failure(templates.get({ project, instanceTemplate: 'nope' }));
    const duplicate = await failure(templates.insert({ project, instanceTemplateResource: templateBody('dup-v001-00000001') }));
    const badName = await failure(templates.insert({ project, instanceTemplateResource: templateBody('Bad_Name') }));
    const unknown = await fetch(`${sim.endpoint}/compute/v1/projects/${project}/global/widgets`);

    // then
    expect([missing.name, missing.code, missing.status]).toEqual(['GaxiosError', 404, 404]);
    expect(JSON.parse(missing.message)).toEqual({ error: { code: 404, message: "The resource 'projects/errors/global/instanceTemplates/nope' was not found", errors: [{ message: "The resource 'projects/errors/global/instanceTemplates/nope' was not found", domain: 'global', reason: 'notFound' }] } });
    expect(duplicate.code).toBe(409);
    expect(JSON.parse(duplicate.message).error.errors[0].reason).toBe('alreadyExists');
    expect(badName.code).toBe(400);
    expect(JSON.parse(badName.message).error.message).toContain("Invalid value for field 'resource.name': 'Bad_Name'");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]!.reason).toBe('notFound');
  });
});

/** Paths of fields present in the raw JSON whose parsed value is undefined or null. */
function holes(raw: unknown, parsed: unknown, path = ''): string[] {
  if (raw === null || typeof raw !== 'object') return parsed === undefined || parsed === null ? [path] : [];
  if (parsed === null || typeof parsed !== 'object') return [path];
  if (Array.isArray(raw)) return raw.flatMap((item, i) => holes(item, (parsed as unknown[])[i], `${path}[${i}]`));
  return Object.entries(raw as Record<string, unknown>).flatMap(([key, value]) => holes(value, (parsed as Record<string, unknown>)[key], path ? `${path}.${key}` : key));
}

describe('operations and group lifecycle', () => {
  it('ends an operation DONE with an error when the failure is found inside it: a template on a missing image, a group whose template lost its image', async () => {
    // given
    const project = 'failing';
    const own = sim.seedImage(project, { name: 'app-image-1', family: 'app' });
    const template = await createTemplate(project, 'app-v001-00000001', own);

    // when: a template naming an image that does not exist
    const badTemplate = await done(project, templates.insert({ project, instanceTemplateResource: templateBody('app-v002-00000002', `projects/${project}/global/images/ghost`) }) as never);

    // then
    expect(badTemplate.status).toBe('DONE');
    expect(badTemplate.httpErrorStatusCode).toBe(404);
    expect(badTemplate.error?.errors?.[0]).toMatchObject({ code: 'RESOURCE_NOT_FOUND', message: `The resource 'projects/${project}/global/images/ghost' was not found` });
    expect((await failure(templates.get({ project, instanceTemplate: 'app-v002-00000002' }))).code).toBe(404);

    // when: the image goes away, then a group is made from the template
    await done(project, images.delete({ project, image: 'app-image-1' }) as never);
    const badGroup = await done(project, zonal.insert({ project, zone: 'us-east1-b', instanceGroupManagerResource: { name: 'app-v001', baseInstanceName: 'app-v001', instanceTemplate: template, targetSize: 1 } }) as never);
    expect(badGroup.error?.errors?.[0]?.code).toBe('RESOURCE_NOT_FOUND');

    // and a template URL that does not exist fails at the request
    const noTemplate = await failure(zonal.insert({ project, zone: 'us-east1-b', instanceGroupManagerResource: { name: 'app-v003', baseInstanceName: 'app-v003', instanceTemplate: `projects/${project}/global/instanceTemplates/ghost`, targetSize: 1 } }));
    expect(noTemplate.code).toBe(404);
  });

  it('resizes a group up and down: extra instances go STOPPING, then away', async () => {
    // given
    const project = 'resize';
    const template = await createTemplate(project, 'api-v001-00000001');
    await done(project, zonal.insert({ project, zone: 'europe-west1-b', instanceGroupManagerResource: { name: 'api-v001', baseInstanceName: 'api-v001', instanceTemplate: template, targetSize: 1 } }) as never);
    sim.tick(5000);

    // when
    await done(project, zonal.resize({ project, zone: 'europe-west1-b', instanceGroupManager: 'api-v001', size: 3 }) as never);
    sim.tick(5000);
    const [grown] = await zonal.listManagedInstances({ project, zone: 'europe-west1-b', instanceGroupManager: 'api-v001' });
    await done(project, zonal.resize({ project, zone: 'europe-west1-b', instanceGroupManager: 'api-v001', size: 0 }) as never);
    const [stopping] = await zonal.listManagedInstances({ project, zone: 'europe-west1-b', instanceGroupManager: 'api-v001' });
    const [draining] = await zonal.get({ project, zone: 'europe-west1-b', instanceGroupManager: 'api-v001' });
    sim.tick(2000);
    const [gone] = await zonal.listManagedInstances({ project, zone: 'europe-west1-b', instanceGroupManager: 'api-v001' });
    const [stable] = await zonal.get({ project, zone: 'europe-west1-b', instanceGroupManager: 'api-v001' });

    // then
    expect(grown.map((i) => i.instanceStatus)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    expect(stopping.map((i) => [i.instanceStatus, i.currentAction])).toEqual(Array(3).fill(['STOPPING', 'DELETING']));
    expect([draining.targetSize, draining.currentActions?.deleting, draining.status?.isStable]).toEqual([0, 3, false]);
    expect(gone).toEqual([]);
    expect(stable.status?.isStable).toBe(true);
  });

  it('deletes chosen instances (deleteInstances lowers targetSize, recreateInstances and a direct delete are replaced) and shows why a group cannot create instances in listErrors', async () => {
    // given
    const project = 'pick';
    const image = sim.seedImage(project, { name: 'pick-image' });
    const template = await createTemplate(project, 'pick-v001-00000001', image);
    await done(project, zonal.insert({ project, zone: 'us-west1-b', instanceGroupManagerResource: { name: 'pick-v001', baseInstanceName: 'pick-v001', instanceTemplate: template, targetSize: 2 } }) as never);
    sim.tick(5000);
    const [before] = await zonal.listManagedInstances({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001' });

    // when
    await done(project, zonal.deleteInstances({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001', instanceGroupManagersDeleteInstancesRequestResource: { instances: [String(before[0]!.instance)] } }) as never);
    sim.tick(2000);
    const [after] = await zonal.listManagedInstances({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001' });
    const [shrunk] = await zonal.get({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001' });
    await done(project, zonal.recreateInstances({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001', instanceGroupManagersRecreateInstancesRequestResource: { instances: [String(before[1]!.instance)] } }) as never);
    const [recreating] = await zonal.listManagedInstances({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001' });
    sim.tick(5000);
    const [replaced] = await zonal.listManagedInstances({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001' });
    await done(project, instances.delete({ project, zone: 'us-west1-b', instance: String(replaced[0]!.name) }) as never);
    sim.tick(5000);
    const [afterDirectDelete] = await zonal.listManagedInstances({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001' });
    await done(project, images.delete({ project, image: 'pick-image' }) as never);
    await done(project, zonal.resize({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001', size: 2 }) as never);
    sim.tick(10_000);
    const [stuck] = await zonal.get({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001' });
    const [errors] = await zonal.listErrors({ project, zone: 'us-west1-b', instanceGroupManager: 'pick-v001' });

    // then
    expect(after.map((i) => i.name)).toEqual([before[1]!.name]);
    expect(shrunk.targetSize).toBe(1);
    expect(recreating.map((i) => [i.name, i.currentAction])).toEqual([
      [before[1]!.name, 'DELETING'],
      [recreating[1]!.name, 'CREATING'],
    ]);
    expect(replaced.map((i) => i.instanceStatus)).toEqual(['RUNNING']);
    expect(replaced[0]!.name).not.toBe(before[1]!.name);
    expect(afterDirectDelete.map((i) => i.instanceStatus)).toEqual(['RUNNING']);
    expect(afterDirectDelete[0]!.name).not.toBe(replaced[0]!.name);
    expect([stuck.status?.isStable, stuck.currentActions?.creating, stuck.currentActions?.none]).toEqual([false, 1, 1]);
    expect(errors.map((e) => e.error?.message)).toEqual([`The resource 'projects/${project}/global/images/pick-image' was not found`]);
  });

  it('refuses to delete a group that is still a backend, and a template a group uses, with 400 resourceInUseByAnotherResource', async () => {
    // given
    const project = 'inuse';
    sim.seedBackendService(project, { name: 'bs' });
    const template = await createTemplate(project, 'web-v001-00000001');
    await done(project, zonal.insert({ project, zone: 'us-central1-a', instanceGroupManagerResource: { name: 'web-v001', baseInstanceName: 'web-v001', instanceTemplate: template, targetSize: 1 } }) as never);
    const [service] = await backends.get({ project, backendService: 'bs' });
    await done(project, backends.update({ project, backendService: 'bs', backendServiceResource: { ...service, backends: [{ group: `projects/${project}/zones/us-central1-a/instanceGroups/web-v001` }] } }) as never);

    // when
    const groupInUse = await failure(zonal.delete({ project, zone: 'us-central1-a', instanceGroupManager: 'web-v001' }));
    const templateInUse = await failure(templates.delete({ project, instanceTemplate: 'web-v001-00000001' }));

    // then
    expect(groupInUse.code).toBe(400);
    expect(JSON.parse(groupInUse.message).error.errors[0].reason).toBe('resourceInUseByAnotherResource');
    expect(JSON.parse(groupInUse.message).error.message).toBe(`The instance_group resource 'projects/${project}/zones/us-central1-a/instanceGroups/web-v001' is already being used by 'projects/${project}/global/backendServices/bs'`);
    expect(templateInUse.code).toBe(400);
    expect(JSON.parse(templateInUse.message).error.errors[0].reason).toBe('resourceInUseByAnotherResource');

    // when: Spinnaker's destroy order (remove the backend, delete the group, delete the template)
    const [current] = await backends.get({ project, backendService: 'bs' });
    await done(project, backends.update({ project, backendService: 'bs', backendServiceResource: { ...current, backends: [] } }) as never);
    const deleted = await done(project, zonal.delete({ project, zone: 'us-central1-a', instanceGroupManager: 'web-v001' }) as never);
    const templateDeleted = await done(project, templates.delete({ project, instanceTemplate: 'web-v001-00000001' }) as never);

    // then
    expect([deleted.error ?? undefined, templateDeleted.error ?? undefined]).toEqual([undefined, undefined]);
    expect((await failure(zonal.get({ project, zone: 'us-central1-a', instanceGroupManager: 'web-v001' }))).code).toBe(404);
  });

  it('spreads a regional group over its distribution policy zones', async () => {
    // given
    const project = 'regional';
    const template = await createTemplate(project, 'svc-v001-00000001');

    // when
    await done(project, regional.insert({ project, region: 'us-central1', instanceGroupManagerResource: { name: 'svc-v001', baseInstanceName: 'svc-v001', instanceTemplate: template, targetSize: 4, distributionPolicy: { zones: [{ zone: 'zones/us-central1-a' }, { zone: `https://www.googleapis.com/compute/v1/projects/${project}/zones/us-central1-f` }] } } }) as never);
    sim.tick(5000);
    const [group] = await regional.get({ project, region: 'us-central1', instanceGroupManager: 'svc-v001' });
    const [managed] = await regional.listManagedInstances({ project, region: 'us-central1', instanceGroupManager: 'svc-v001' });

    // then
    expect(group.distributionPolicy?.zones?.map((z) => z.zone?.split('/').pop())).toEqual(['us-central1-a', 'us-central1-f']);
    expect(group.status?.isStable).toBe(true);
    const zones = managed.map((i) => String(i.instance).split('/zones/')[1]!.split('/')[0]);
    expect(zones.filter((z) => z === 'us-central1-a')).toHaveLength(2);
    expect(zones.filter((z) => z === 'us-central1-f')).toHaveLength(2);
  });

  it('answers injected faults once, without touching state', async () => {
    // given
    sim.failNext({ method: 'GET', pathIncludes: '/instanceTemplates/', status: 429, reason: 'rateLimitExceeded' });

    // when
    const throttled = await failure(templates.get({ project: 'errors', instanceTemplate: 'dup-v001-00000001' }));
    const [after] = await templates.get({ project: 'errors', instanceTemplate: 'dup-v001-00000001' });

    // then
    expect(throttled.code).toBe(429);
    expect(JSON.parse(throttled.message).error.errors[0].reason).toBe('rateLimitExceeded');
    expect(after.name).toBe('dup-v001-00000001');
    expect(sim.calls().filter((c) => c.injected)).toHaveLength(1);
  });
});
