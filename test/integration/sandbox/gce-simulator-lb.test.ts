/**
 * The simulated Compute Engine beyond the create sequence, driven by the real
 * `@google-cloud/compute` 6.15 clients: autoscaler bounds, network load balancing (target pools,
 * forwarding rules, a group's target pools), instance groups' listInstances, regional backend
 * services and health checks, template rollover, quotas, request ids, aggregated lists, the
 * catalog, and the side door over HTTP.
 */
import { AutoscalersClient } from '@google-cloud/compute/build/src/v1/autoscalers_client.js';
import { ForwardingRulesClient } from '@google-cloud/compute/build/src/v1/forwarding_rules_client.js';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import { InstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/instance_group_managers_client.js';
import { InstanceGroupsClient } from '@google-cloud/compute/build/src/v1/instance_groups_client.js';
import { InstanceTemplatesClient } from '@google-cloud/compute/build/src/v1/instance_templates_client.js';
import { MachineTypesClient } from '@google-cloud/compute/build/src/v1/machine_types_client.js';
import { RegionAutoscalersClient } from '@google-cloud/compute/build/src/v1/region_autoscalers_client.js';
import { RegionBackendServicesClient } from '@google-cloud/compute/build/src/v1/region_backend_services_client.js';
import { RegionInstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/region_instance_group_managers_client.js';
import { RegionInstanceGroupsClient } from '@google-cloud/compute/build/src/v1/region_instance_groups_client.js';
import { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client.js';
import { RegionsClient } from '@google-cloud/compute/build/src/v1/regions_client.js';
import { TargetPoolsClient } from '@google-cloud/compute/build/src/v1/target_pools_client.js';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGceSimulator, type GceDescription, type GceSimulator } from '../../../sandbox/gce/server.ts';

type Op = { name?: string | null; status?: unknown; zone?: string | null; region?: string | null; error?: unknown; httpErrorStatusCode?: number | null };
type Lro = { latestResponse: unknown };

let sim: GceSimulator;
let templates: InstanceTemplatesClient;
let zonal: InstanceGroupManagersClient;
let regional: RegionInstanceGroupManagersClient;
let groups: InstanceGroupsClient;
let regionGroups: RegionInstanceGroupsClient;
let autoscalers: AutoscalersClient;
let regionAutoscalers: RegionAutoscalersClient;
let pools: TargetPoolsClient;
let rules: ForwardingRulesClient;
let regionBackends: RegionBackendServicesClient;
let regions: RegionsClient;
let machineTypes: MachineTypesClient;
let globalOps: GlobalOperationsClient;
let zoneOps: ZoneOperationsClient;
let regionOps: RegionOperationsClient;

beforeAll(async () => {
  sim = await startGceSimulator({ seed: 5, operationMs: 1000 });
  const opts = { apiEndpoint: '127.0.0.1', port: sim.port, protocol: 'http', authClient: new PassThroughClient() } as ConstructorParameters<typeof InstanceTemplatesClient>[0];
  templates = new InstanceTemplatesClient(opts);
  zonal = new InstanceGroupManagersClient(opts);
  regional = new RegionInstanceGroupManagersClient(opts);
  groups = new InstanceGroupsClient(opts);
  regionGroups = new RegionInstanceGroupsClient(opts);
  autoscalers = new AutoscalersClient(opts);
  regionAutoscalers = new RegionAutoscalersClient(opts);
  pools = new TargetPoolsClient(opts);
  rules = new ForwardingRulesClient(opts);
  regionBackends = new RegionBackendServicesClient(opts);
  regions = new RegionsClient(opts);
  machineTypes = new MachineTypesClient(opts);
  globalOps = new GlobalOperationsClient(opts);
  zoneOps = new ZoneOperationsClient(opts);
  regionOps = new RegionOperationsClient(opts);
});
afterAll(async () => {
  await Promise.all([templates, zonal, regional, groups, regionGroups, autoscalers, regionAutoscalers, pools, rules, regionBackends, regions, machineTypes, globalOps, zoneOps, regionOps].map((c) => c?.close()));
  await sim?.close();
});

/** Polls `wait` until the operation is DONE, ticking the simulated clock between polls. */
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
  expect(op.error ?? undefined).toBeUndefined();
  return op;
}

async function failure(call: Promise<unknown>): Promise<{ code: number; reason: string; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { code: number; message: string };
    const body = JSON.parse(e.message) as { error: { message: string; errors: { reason: string }[] } };
    return { code: e.code, reason: body.error.errors[0]!.reason, message: body.error.message };
  }
  throw new Error('expected the call to fail');
}

async function template(project: string, name: string, labels: Record<string, string> = {}): Promise<string> {
  await done(project, templates.insert({ project, instanceTemplateResource: { name, properties: { machineType: 'n1-standard-1', labels, disks: [{ boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/debian-12-bookworm-v20261110' } }] } } }) as never);
  return `https://www.googleapis.com/compute/v1/projects/${project}/global/instanceTemplates/${name}`;
}

async function zonalGroup(project: string, zone: string, name: string, size: number, extra: Record<string, unknown> = {}): Promise<void> {
  const link = await template(project, `${name}-00000001`);
  await done(project, zonal.insert({ project, zone, instanceGroupManagerResource: { name, baseInstanceName: name, instanceTemplate: link, targetSize: size, ...extra } }) as never);
}

describe('autoscalers', () => {
  it('keeps an autoscaled group within minNumReplicas and maxNumReplicas while ON, and leaves it alone when OFF', async () => {
    // given
    const project = 'scale';
    await zonalGroup(project, 'us-east4-b', 'api-v001', 1);

    // when: an autoscaler with min 2 max 3
    await done(project, autoscalers.insert({ project, zone: 'us-east4-b', autoscalerResource: { name: 'api-v001', target: `https://compute.googleapis.com/compute/v1/projects/${project}/zones/us-east4-b/instanceGroupManagers/api-v001`, autoscalingPolicy: { minNumReplicas: 2, maxNumReplicas: 3, coolDownPeriodSec: 60, cpuUtilization: { utilizationTarget: 0.5 } } } }) as never);
    const [raised] = await zonal.get({ project, zone: 'us-east4-b', instanceGroupManager: 'api-v001' });
    await done(project, zonal.resize({ project, zone: 'us-east4-b', instanceGroupManager: 'api-v001', size: 10 }) as never);
    const [capped] = await zonal.get({ project, zone: 'us-east4-b', instanceGroupManager: 'api-v001' });
    const [scaler] = await autoscalers.get({ project, zone: 'us-east4-b', autoscaler: 'api-v001' });
    await done(project, autoscalers.update({ project, zone: 'us-east4-b', autoscaler: 'api-v001', autoscalerResource: { ...scaler, autoscalingPolicy: { ...scaler.autoscalingPolicy, mode: 'OFF' } } }) as never);
    await done(project, zonal.resize({ project, zone: 'us-east4-b', instanceGroupManager: 'api-v001', size: 0 }) as never);
    const [off] = await zonal.get({ project, zone: 'us-east4-b', instanceGroupManager: 'api-v001' });

    // then
    expect(raised.targetSize).toBe(2);
    expect(raised.status?.autoscaler).toBe(`https://www.googleapis.com/compute/v1/projects/${project}/zones/us-east4-b/autoscalers/api-v001`);
    expect(capped.targetSize).toBe(3);
    expect(scaler.autoscalingPolicy).toMatchObject({ minNumReplicas: 2, maxNumReplicas: 3, mode: 'ON', coolDownPeriodSec: 60 });
    expect(scaler.recommendedSize).toBe(3);
    expect(off.targetSize).toBe(0);
    expect(sim.describe().managedInstanceGroups.find((m) => m.project === project)?.autoscaler).toEqual({ name: 'api-v001', mode: 'OFF', min: 2, max: 3 });
  });

  it('raises a regional group to its regional autoscaler’s minimum and deletes the autoscaler with the group', async () => {
    // given
    const project = 'rscale';
    const link = await template(project, 'web-v001-00000001');
    await done(project, regional.insert({ project, region: 'europe-west4', instanceGroupManagerResource: { name: 'web-v001', baseInstanceName: 'web-v001', instanceTemplate: link, targetSize: 0 } }) as never);

    // when
    await done(project, regionAutoscalers.insert({ project, region: 'europe-west4', autoscalerResource: { name: 'web-v001', target: `projects/${project}/regions/europe-west4/instanceGroupManagers/web-v001`, autoscalingPolicy: { minNumReplicas: 3, maxNumReplicas: 6, mode: 'ONLY_SCALE_OUT' } } }) as never);
    sim.tick(5000);
    const [group] = await regional.get({ project, region: 'europe-west4', instanceGroupManager: 'web-v001' });
    const noMax = await failure(regionAutoscalers.insert({ project, region: 'europe-west4', autoscalerResource: { name: 'other', target: `projects/${project}/regions/europe-west4/instanceGroupManagers/web-v001`, autoscalingPolicy: { minNumReplicas: 1 } } }));
    await done(project, regional.delete({ project, region: 'europe-west4', instanceGroupManager: 'web-v001' }) as never);
    const gone = await failure(regionAutoscalers.get({ project, region: 'europe-west4', autoscaler: 'web-v001' }));

    // then
    expect([group.targetSize, group.status?.isStable]).toEqual([3, true]);
    expect(group.distributionPolicy?.zones?.map((z) => z.zone?.split('/').pop())).toEqual(['europe-west4-a', 'europe-west4-b', 'europe-west4-c']);
    expect([noMax.code, noMax.reason]).toEqual([400, 'required']);
    expect(gone.code).toBe(404);
  });
});

describe('network load balancing', () => {
  it('adds and removes target pool members, reports their health with the forwarding rule’s address, and puts a group’s instances in its target pools', async () => {
    // given
    const project = 'netlb';
    const pool = sim.seedTargetPool(project, 'us-central1', 'bakery-test');
    sim.seedForwardingRule(project, { name: 'bakery-test', region: 'us-central1', target: 'bakery-test', IPAddress: '35.190.1.2', portRange: '8080-8080' });
    await zonalGroup(project, 'us-central1-b', 'bakery-test-v001', 2, { targetPools: [pool.replace('www.googleapis.com', 'compute.googleapis.com')] });
    await zonalGroup(project, 'us-central1-b', 'bakery-test-v002', 1);
    sim.tick(15_000);

    // when
    const [withGroup] = await pools.get({ project, region: 'us-central1', targetPool: 'bakery-test' });
    const [[v2]] = await groups.listInstances({ project, zone: 'us-central1-b', instanceGroup: 'bakery-test-v002', instanceGroupsListInstancesRequestResource: { instanceState: 'RUNNING' } });
    await done(project, pools.addInstance({ project, region: 'us-central1', targetPool: 'bakery-test', targetPoolsAddInstanceRequestResource: { instances: [{ instance: v2!.instance }] } }) as never);
    const [health] = await pools.getHealth({ project, region: 'us-central1', targetPool: 'bakery-test', instanceReferenceResource: { instance: v2!.instance } });
    await done(project, pools.removeInstance({ project, region: 'us-central1', targetPool: 'bakery-test', targetPoolsRemoveInstanceRequestResource: { instances: (withGroup.instances ?? []).map((instance) => ({ instance })) } }) as never);
    const [after] = await pools.get({ project, region: 'us-central1', targetPool: 'bakery-test' });
    const notMember = await failure(pools.getHealth({ project, region: 'us-central1', targetPool: 'bakery-test', instanceReferenceResource: { instance: withGroup.instances![0] } }));
    const [rule] = await rules.get({ project, region: 'us-central1', forwardingRule: 'bakery-test' });

    // then
    expect(withGroup.instances).toHaveLength(2);
    expect(withGroup.instances!.every((i) => /\/zones\/us-central1-b\/instances\/bakery-test-v001-[a-z0-9]{4}$/.test(i))).toBe(true);
    expect(health.healthStatus).toMatchObject([{ instance: v2!.instance, ipAddress: '35.190.1.2', port: 8080, healthState: 'HEALTHY' }]);
    expect(after.instances).toEqual([v2!.instance]);
    expect([notMember.code, notMember.reason]).toEqual([400, 'invalid']);
    expect([rule.IPAddress, rule.target, rule.portRange]).toEqual(['35.190.1.2', pool, '8080-8080']);
  });

  it('lists a group’s instances with their status and named ports, zonal and regional', async () => {
    // given
    const project = 'members';
    await zonalGroup(project, 'asia-east1-a', 'app-v001', 2, { namedPorts: [{ name: 'http', port: 8080 }] });
    const link = await template(project, 'app-v002-00000001');
    await done(project, regional.insert({ project, region: 'asia-east1', instanceGroupManagerResource: { name: 'app-v002', baseInstanceName: 'app-v002', instanceTemplate: link, targetSize: 3 } }) as never);

    // when
    const [all] = await groups.listInstances({ project, zone: 'asia-east1-a', instanceGroup: 'app-v001', instanceGroupsListInstancesRequestResource: { instanceState: 'ALL' } });
    const [running] = await groups.listInstances({ project, zone: 'asia-east1-a', instanceGroup: 'app-v001', instanceGroupsListInstancesRequestResource: { instanceState: 'RUNNING' } });
    sim.tick(5000);
    const [regionalAll] = await regionGroups.listInstances({ project, region: 'asia-east1', instanceGroup: 'app-v002', regionInstanceGroupsListInstancesRequestResource: { instanceState: 'RUNNING' } });
    const [group] = await groups.get({ project, zone: 'asia-east1-a', instanceGroup: 'app-v001' });

    // then
    expect(all.map((i) => i.status)).toEqual(['STAGING', 'STAGING']);
    expect(all[0]?.namedPorts).toMatchObject([{ name: 'http', port: 8080 }]);
    expect(running).toEqual([]);
    expect(regionalAll).toHaveLength(3);
    expect(new Set(regionalAll.map((i) => String(i.instance).split('/zones/')[1]!.split('/')[0])).size).toBe(3);
    expect([group.size, group.kind, group.network]).toEqual([2, 'compute#instanceGroup', `https://www.googleapis.com/compute/v1/projects/${project}/global/networks/default`]);
  });
});

describe('regional backend services and template rollover', () => {
  it('reports health on a regional backend service from its regional health check, and answers 400 for a group that is not a backend', async () => {
    // given
    const project = 'internal';
    // 10 s × 3 = 30 s of RUNNING before HEALTHY (the default without a health check is 10 s).
    const hc = sim.seedHealthCheck(project, { name: 'ilb-hc', region: 'us-west1', checkIntervalSec: 10, healthyThreshold: 3 });
    sim.seedBackendService(project, { name: 'ilb', region: 'us-west1', healthChecks: [hc], loadBalancingScheme: 'INTERNAL', protocol: 'TCP' });
    await zonalGroup(project, 'us-west1-a', 'db-v001', 1);
    await zonalGroup(project, 'us-west1-a', 'db-v002', 1);
    const group = `projects/${project}/zones/us-west1-a/instanceGroups/db-v001`;
    const [service] = await regionBackends.get({ project, region: 'us-west1', backendService: 'ilb' });
    await done(project, regionBackends.patch({ project, region: 'us-west1', backendService: 'ilb', backendServiceResource: { fingerprint: service.fingerprint, backends: [{ group, balancingMode: 'CONNECTION' }] } }) as never);

    // when
    sim.tick(15_000);
    const [starting] = await regionBackends.getHealth({ project, region: 'us-west1', backendService: 'ilb', resourceGroupReferenceResource: { group } });
    sim.tick(20_000);
    const [healthy] = await regionBackends.getHealth({ project, region: 'us-west1', backendService: 'ilb', resourceGroupReferenceResource: { group } });
    const notBackend = await failure(regionBackends.getHealth({ project, region: 'us-west1', backendService: 'ilb', resourceGroupReferenceResource: { group: group.replace('v001', 'v002') } }));

    // then
    expect(starting.healthStatus?.[0]?.healthState).toBe('UNHEALTHY');
    expect(healthy.healthStatus?.[0]?.healthState).toBe('HEALTHY');
    expect([notBackend.code, notBackend.reason]).toEqual([400, 'invalid']);
    expect(service.loadBalancingScheme).toBe('INTERNAL');
    expect(service.region).toBe(`https://www.googleapis.com/compute/v1/projects/${project}/regions/us-west1`);
  });

  it('logs every change of who receives traffic at its exact instant: a red/black cut-over never leaves the service without an instance', async () => {
    // given: v001 serving behind a regional backend service whose health check passes after 2 × 2 s
    const project = 'cutover';
    const hc = sim.seedHealthCheck(project, { name: 'hc', region: 'us-east1', checkIntervalSec: 2, healthyThreshold: 2 });
    sim.seedBackendService(project, { name: 'web', region: 'us-east1', healthChecks: [hc] });
    const backend = (name: string) => ({ group: `projects/${project}/zones/us-east1-c/instanceGroups/${name}`, balancingMode: 'UTILIZATION', capacityScaler: 1 });
    const setBackends = async (groups: string[]) => {
      const [service] = await regionBackends.get({ project, region: 'us-east1', backendService: 'web' });
      await done(project, regionBackends.patch({ project, region: 'us-east1', backendService: 'web', backendServiceResource: { fingerprint: service.fingerprint, backends: groups.map(backend) } }) as never);
    };
    await zonalGroup(project, 'us-east1-c', 'web-v001', 1);
    await setBackends(['web-v001']);
    sim.tick(10_000);

    // when: v002 joins, turns healthy, then v001 leaves
    const link = await template(project, 'web-v002-00000001');
    const created = await done(project, zonal.insert({ project, zone: 'us-east1-c', instanceGroupManagerResource: { name: 'web-v002', baseInstanceName: 'web-v002', instanceTemplate: link, targetSize: 1 } }) as never);
    await setBackends(['web-v001', 'web-v002']);
    sim.tick(10_000);
    await setBackends(['web-v002']);

    // then
    const log = sim.trafficLog().filter((r) => r.project === project);
    expect(log.map((r) => r.instances.map((i) => i.replace(/-[a-z0-9]{4}$/, '')))).toEqual([['web-v001'], ['web-v001', 'web-v002'], ['web-v002']]);
    expect(log.every((r) => r.backendService === 'web' && r.location === 'regions/us-east1')).toBe(true);
    // v002's instance: created when its insert was DONE, RUNNING 5 s later, HEALTHY 4 s after that.
    expect(log[1]!.at).toBe(Date.parse(String((created as { endTime?: string }).endTime)) + 5000 + 4000);
    const http = (await (await fetch(`${sim.endpoint}/__sandbox/traffic-log`)).json()) as { trafficLog: unknown[] };
    expect(http.trafficLog.filter((r) => (r as { project: string }).project === project)).toEqual(log);
  });

  it('makes new instances from the template setInstanceTemplate names, leaving existing ones on the old one', async () => {
    // given
    const project = 'rollover';
    await zonalGroup(project, 'us-east1-b', 'app-v001', 1);
    const next = await template(project, 'app-v001-00000002', { build: '2' });
    sim.tick(5000);

    // when
    await done(project, zonal.setInstanceTemplate({ project, zone: 'us-east1-b', instanceGroupManager: 'app-v001', instanceGroupManagersSetInstanceTemplateRequestResource: { instanceTemplate: next } }) as never);
    await done(project, zonal.resize({ project, zone: 'us-east1-b', instanceGroupManager: 'app-v001', size: 2 }) as never);
    const [managed] = await zonal.listManagedInstances({ project, zone: 'us-east1-b', instanceGroupManager: 'app-v001' });
    const [group] = await zonal.get({ project, zone: 'us-east1-b', instanceGroupManager: 'app-v001' });

    // then
    expect(managed.map((i) => i.version?.instanceTemplate?.split('/').pop())).toEqual(['app-v001-00000001', 'app-v001-00000002']);
    expect(group.instanceTemplate).toBe(next);
    expect(group.status?.versionTarget?.isReached).toBe(false);
  });
});

describe('quotas, request ids, aggregated lists and the catalog', () => {
  it('answers 403 quotaExceeded for a group that would exceed the region’s instance quota', async () => {
    // given
    const project = 'quota';
    sim.quota(project, 'us-central1', 3);
    await zonalGroup(project, 'us-central1-a', 'a-v001', 2);

    // when
    const tooBig = await failure(zonal.resize({ project, zone: 'us-central1-a', instanceGroupManager: 'a-v001', size: 4 }));
    const link = await template(project, 'b-v001-00000001');
    const second = await failure(regional.insert({ project, region: 'us-central1', instanceGroupManagerResource: { name: 'b-v001', baseInstanceName: 'b-v001', instanceTemplate: link, targetSize: 2 } }));
    const [region] = await regions.get({ project, region: 'us-central1' });

    // then
    expect([tooBig.code, tooBig.reason, tooBig.message]).toEqual([403, 'quotaExceeded', "Quota 'INSTANCES' exceeded.  Limit: 3.0 in region us-central1."]);
    expect(second.code).toBe(403);
    expect(region.quotas).toMatchObject([{ metric: 'INSTANCES', limit: 3, usage: 2 }]);
  });

  it('answers a repeated requestId with the operation the first request started', async () => {
    // given
    const project = 'idempotent';
    const body = { name: 'once-00000001', properties: { machineType: 'f1-micro' } };

    // when
    const [first] = await templates.insert({ project, instanceTemplateResource: body, requestId: '0b6a3f4e-1d2c-4e5f-8a9b-0c1d2e3f4a5b' });
    const [again] = await templates.insert({ project, instanceTemplateResource: body, requestId: '0b6a3f4e-1d2c-4e5f-8a9b-0c1d2e3f4a5b' });

    // then
    expect((again.latestResponse as Op).name).toBe((first.latestResponse as Op).name);
  });

  it('lists groups across zones with aggregatedList, regions with their zones, and machine types', async () => {
    // given
    const project = 'aggregate';
    await zonalGroup(project, 'us-central1-a', 'x-v001', 0);
    await zonalGroup(project, 'europe-west1-d', 'y-v001', 0);

    // when
    const scopes: string[] = [];
    for await (const [scope, list] of zonal.aggregatedListAsync({ project })) if ((list.instanceGroupManagers ?? []).length > 0) scopes.push(`${scope}:${list.instanceGroupManagers!.map((m) => m.name).join(',')}`);
    const [region] = await regions.get({ project, region: 'us-east4' });
    const [machine] = await machineTypes.get({ project, zone: 'us-east4-b', machineType: 'e2-medium' });
    const unknownZone = await failure(machineTypes.get({ project, zone: 'mars-north1-a', machineType: 'e2-medium' }));

    // then
    expect(scopes.sort()).toEqual(['zones/europe-west1-d:y-v001', 'zones/us-central1-a:x-v001']);
    expect(region.zones?.map((z) => z.split('/').pop())).toEqual(['us-east4-a', 'us-east4-b', 'us-east4-c']);
    expect([machine.guestCpus, machine.memoryMb, machine.maximumPersistentDisksSizeGb, machine.zone]).toEqual([2, 4096, '3072', 'us-east4-b']);
    expect(unknownZone.code).toBe(404);
  });
});

describe('the side door over HTTP', () => {
  it('seeds, ticks, injects faults, flips health and describes the world for a process that did not start the simulator', async () => {
    // given
    const post = (path: string, body: unknown) => fetch(`${sim.endpoint}/__sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) });
    const project = 'door';
    expect((await post('backend-services', { project, backendService: { name: 'door-bs' } })).status).toBe(200);
    await zonalGroup(project, 'us-central1-f', 'door-v001', 1, { namedPorts: [{ name: 'http', port: 80 }] });

    // when
    const before = (await (await fetch(`${sim.endpoint}/__sandbox/describe`)).json()) as GceDescription;
    const ticked = (await (await post('tick', { ms: 5000 })).json()) as { now: string };
    const bad = await post('tick', { ms: 'soon' });
    await post('fail-next', { pathIncludes: '/instanceGroupManagers/door-v001', status: 503, reason: 'backendError' });
    const injected = await failure(zonal.get({ project, zone: 'us-central1-f', instanceGroupManager: 'door-v001' }));
    const after = (await (await fetch(`${sim.endpoint}/__sandbox/describe`)).json()) as GceDescription;
    const name = after.managedInstanceGroups.find((m) => m.project === project)!.instances[0]!.name;
    expect((await post('instance-health', { project, instance: name, state: 'UNHEALTHY' })).status).toBe(200);
    const calls = (await (await fetch(`${sim.endpoint}/__sandbox/calls`)).json()) as { calls: { path: string; status: number; injected?: boolean }[] };

    // then
    expect(before.managedInstanceGroups.find((m) => m.project === project)).toMatchObject({ name: 'door-v001', location: 'zones/us-central1-f', isStable: false, targetSize: 1 });
    expect(new Date(ticked.now).getTime()).toBe(sim.now());
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("'ms' must be a number");
    expect([injected.code, injected.reason]).toEqual([503, 'backendError']);
    expect(after.managedInstanceGroups.find((m) => m.project === project)).toMatchObject({ isStable: true, instances: [{ status: 'RUNNING', template: 'door-v001-00000001' }] });
    expect(after.backendServices.find((b) => b.project === project)).toMatchObject({ name: 'door-bs', location: 'global', backends: [], receivingTraffic: [] });
    expect(calls.calls.filter((c) => c.injected)).toMatchObject([{ path: `/compute/v1/projects/${project}/zones/us-central1-f/instanceGroupManagers/door-v001`, status: 503 }]);
  });
});
