/**
 * Every kind of resource the simulated Compute Engine answers, read raw over HTTP and through the
 * real `@google-cloud/compute` 6.15 client: the client's proto3 parse must keep every field the
 * server sent (a field the proto does not know, or a value of the wrong JSON type, would come back
 * undefined), int64 values stay strings and int32 values numbers.
 */
import { AutoscalersClient } from '@google-cloud/compute/build/src/v1/autoscalers_client.js';
import { BackendServicesClient } from '@google-cloud/compute/build/src/v1/backend_services_client.js';
import { ForwardingRulesClient } from '@google-cloud/compute/build/src/v1/forwarding_rules_client.js';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import { HealthChecksClient } from '@google-cloud/compute/build/src/v1/health_checks_client.js';
import { ImagesClient } from '@google-cloud/compute/build/src/v1/images_client.js';
import { InstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/instance_group_managers_client.js';
import { InstanceGroupsClient } from '@google-cloud/compute/build/src/v1/instance_groups_client.js';
import { InstanceTemplatesClient } from '@google-cloud/compute/build/src/v1/instance_templates_client.js';
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import { MachineTypesClient } from '@google-cloud/compute/build/src/v1/machine_types_client.js';
import { NetworksClient } from '@google-cloud/compute/build/src/v1/networks_client.js';
import { RegionInstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/region_instance_group_managers_client.js';
import { RegionsClient } from '@google-cloud/compute/build/src/v1/regions_client.js';
import { SubnetworksClient } from '@google-cloud/compute/build/src/v1/subnetworks_client.js';
import { TargetPoolsClient } from '@google-cloud/compute/build/src/v1/target_pools_client.js';
import { ZonesClient } from '@google-cloud/compute/build/src/v1/zones_client.js';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGceSimulator, type GceSimulator } from '../../../sandbox/gce/server.ts';

const project = 'wire';
let sim: GceSimulator;
let clients: {
  autoscalers: AutoscalersClient;
  backends: BackendServicesClient;
  rules: ForwardingRulesClient;
  globalOps: GlobalOperationsClient;
  healthChecks: HealthChecksClient;
  images: ImagesClient;
  zonal: InstanceGroupManagersClient;
  regional: RegionInstanceGroupManagersClient;
  groups: InstanceGroupsClient;
  templates: InstanceTemplatesClient;
  instances: InstancesClient;
  machineTypes: MachineTypesClient;
  networks: NetworksClient;
  regions: RegionsClient;
  subnetworks: SubnetworksClient;
  pools: TargetPoolsClient;
  zones: ZonesClient;
};
let instanceName: string;
let failedOperation: string;

beforeAll(async () => {
  // Operations finish at once here: this file is about shapes, not timing.
  sim = await startGceSimulator({ seed: 3, operationMs: 0 });
  const opts = { apiEndpoint: '127.0.0.1', port: sim.port, protocol: 'http', authClient: new PassThroughClient() } as ConstructorParameters<typeof ZonesClient>[0];
  clients = {
    autoscalers: new AutoscalersClient(opts),
    backends: new BackendServicesClient(opts),
    rules: new ForwardingRulesClient(opts),
    globalOps: new GlobalOperationsClient(opts),
    healthChecks: new HealthChecksClient(opts),
    images: new ImagesClient(opts),
    zonal: new InstanceGroupManagersClient(opts),
    regional: new RegionInstanceGroupManagersClient(opts),
    groups: new InstanceGroupsClient(opts),
    templates: new InstanceTemplatesClient(opts),
    instances: new InstancesClient(opts),
    machineTypes: new MachineTypesClient(opts),
    networks: new NetworksClient(opts),
    regions: new RegionsClient(opts),
    subnetworks: new SubnetworksClient(opts),
    pools: new TargetPoolsClient(opts),
    zones: new ZonesClient(opts),
  };
  // A world with one of everything.
  const hc = sim.seedHealthCheck(project, { name: 'web-hc', port: 8080, requestPath: '/health' });
  sim.seedBackendService(project, { name: 'web-bs', healthChecks: [hc] });
  const pool = sim.seedTargetPool(project, 'us-central1', 'web-pool');
  sim.seedForwardingRule(project, { name: 'web-fr', region: 'us-central1', target: pool });
  sim.seedNetwork(project, 'prod', [{ region: 'us-central1', name: 'prod-central', ipCidrRange: '10.20.0.0/16' }]);
  sim.seedImage(project, { name: 'web-1-0-0', family: 'web', labels: { app: 'web' }, description: 'web 1.0.0' });
  await clients.templates.insert({
    project,
    instanceTemplateResource: {
      name: 'web-v001-00000001',
      properties: {
        machineType: 'e2-medium',
        disks: [{ boot: true, initializeParams: { sourceImage: `projects/${project}/global/images/web-1-0-0`, diskSizeGb: '20' } }],
        networkInterfaces: [{ network: `projects/${project}/global/networks/prod`, subnetwork: `projects/${project}/regions/us-central1/subnetworks/prod-central`, accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] }],
        metadata: { items: [{ key: 'load-balancer-names', value: 'web-pool' }] },
        labels: { 'spinnaker-server-group': 'web-v001' },
        tags: { items: ['web'] },
        serviceAccounts: [{ email: 'default', scopes: ['https://www.googleapis.com/auth/devstorage.read_only'] }],
        scheduling: { automaticRestart: true, onHostMaintenance: 'MIGRATE', preemptible: false },
      },
    },
  });
  const template = `https://www.googleapis.com/compute/v1/projects/${project}/global/instanceTemplates/web-v001-00000001`;
  await clients.zonal.insert({ project, zone: 'us-central1-a', instanceGroupManagerResource: { name: 'web-v001', baseInstanceName: 'web-v001', instanceTemplate: template, targetSize: 1, targetPools: [pool], namedPorts: [{ name: 'http', port: 8080 }], autoHealingPolicies: [{ healthCheck: hc, initialDelaySec: 60 }] } });
  await clients.regional.insert({ project, region: 'us-central1', instanceGroupManagerResource: { name: 'web-v002', baseInstanceName: 'web-v002', instanceTemplate: template, targetSize: 0 } });
  await clients.autoscalers.insert({ project, zone: 'us-central1-a', autoscalerResource: { name: 'web-v001', target: `projects/${project}/zones/us-central1-a/instanceGroupManagers/web-v001`, autoscalingPolicy: { minNumReplicas: 1, maxNumReplicas: 2 } } });
  const [service] = await clients.backends.get({ project, backendService: 'web-bs' });
  await clients.backends.update({ project, backendService: 'web-bs', backendServiceResource: { ...service, backends: [{ group: `projects/${project}/zones/us-central1-a/instanceGroups/web-v001`, balancingMode: 'UTILIZATION', maxUtilization: 0.8, capacityScaler: 1 }] } });
  const [failed] = await clients.templates.insert({ project, instanceTemplateResource: { name: 'bad-00000001', properties: { machineType: 'e2-huge' } } });
  failedOperation = String((failed.latestResponse as { name: string }).name);
  sim.tick(20_000);
  instanceName = sim.describe().managedInstanceGroups.find((m) => m.name === 'web-v001')!.instances[0]!.name;
});
afterAll(async () => {
  await Promise.all(Object.values(clients ?? {}).map((c) => c.close()));
  await sim?.close();
});

/** Paths of fields present in the raw JSON whose parsed value is undefined or null. */
function holes(raw: unknown, parsed: unknown, path = ''): string[] {
  if (raw === null || typeof raw !== 'object') return parsed === undefined || parsed === null ? [path] : [];
  if (parsed === null || typeof parsed !== 'object') return [path];
  if (Array.isArray(raw)) return raw.flatMap((item, i) => holes(item, (parsed as unknown[])[i], `${path}[${i}]`));
  return Object.entries(raw as Record<string, unknown>).flatMap(([key, value]) => holes(value, (parsed as Record<string, unknown>)[key], path ? `${path}.${key}` : key));
}

async function raw(path: string, method = 'GET', body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${sim.endpoint}/compute/v1/projects/${path}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('the client parses every resource without holes', () => {
  const cases: Array<[string, () => string, () => Promise<unknown>]> = [
    ['instance template', () => `${project}/global/instanceTemplates/web-v001-00000001`, () => clients.templates.get({ project, instanceTemplate: 'web-v001-00000001' })],
    ['zonal managed instance group', () => `${project}/zones/us-central1-a/instanceGroupManagers/web-v001`, () => clients.zonal.get({ project, zone: 'us-central1-a', instanceGroupManager: 'web-v001' })],
    ['regional managed instance group', () => `${project}/regions/us-central1/instanceGroupManagers/web-v002`, () => clients.regional.get({ project, region: 'us-central1', instanceGroupManager: 'web-v002' })],
    ['instance group', () => `${project}/zones/us-central1-a/instanceGroups/web-v001`, () => clients.groups.get({ project, zone: 'us-central1-a', instanceGroup: 'web-v001' })],
    ['instance', () => `${project}/zones/us-central1-a/instances/${instanceName}`, () => clients.instances.get({ project, zone: 'us-central1-a', instance: instanceName })],
    ['backend service', () => `${project}/global/backendServices/web-bs`, () => clients.backends.get({ project, backendService: 'web-bs' })],
    ['health check', () => `${project}/global/healthChecks/web-hc`, () => clients.healthChecks.get({ project, healthCheck: 'web-hc' })],
    ['autoscaler', () => `${project}/zones/us-central1-a/autoscalers/web-v001`, () => clients.autoscalers.get({ project, zone: 'us-central1-a', autoscaler: 'web-v001' })],
    ['target pool', () => `${project}/regions/us-central1/targetPools/web-pool`, () => clients.pools.get({ project, region: 'us-central1', targetPool: 'web-pool' })],
    ['forwarding rule', () => `${project}/regions/us-central1/forwardingRules/web-fr`, () => clients.rules.get({ project, region: 'us-central1', forwardingRule: 'web-fr' })],
    ['image', () => `${project}/global/images/web-1-0-0`, () => clients.images.get({ project, image: 'web-1-0-0' })],
    ['public image by family', () => 'debian-cloud/global/images/family/debian-12', () => clients.images.getFromFamily({ project: 'debian-cloud', family: 'debian-12' })],
    ['network', () => `${project}/global/networks/prod`, () => clients.networks.get({ project, network: 'prod' })],
    ['subnetwork', () => `${project}/regions/us-central1/subnetworks/prod-central`, () => clients.subnetworks.get({ project, region: 'us-central1', subnetwork: 'prod-central' })],
    ['region', () => `${project}/regions/us-central1`, () => clients.regions.get({ project, region: 'us-central1' })],
    ['zone', () => `${project}/zones/us-central1-a`, () => clients.zones.get({ project, zone: 'us-central1-a' })],
    ['machine type', () => `${project}/zones/us-central1-a/machineTypes/n1-standard-1`, () => clients.machineTypes.get({ project, zone: 'us-central1-a', machineType: 'n1-standard-1' })],
    ['failed operation', () => `${project}/global/operations/${failedOperation}`, () => clients.globalOps.get({ project, operation: failedOperation })],
  ];

  it.each(cases)('%s', async (_kind, path, get) => {
    // when
    const sent = await raw(path());
    const [parsed] = (await get()) as [unknown];

    // then
    expect(holes(sent, parsed)).toEqual([]);
  });

  it('keeps int64 values as strings and int32 values as numbers', async () => {
    const [template] = await clients.templates.get({ project, instanceTemplate: 'web-v001-00000001' });
    const [group] = await clients.zonal.get({ project, zone: 'us-central1-a', instanceGroupManager: 'web-v001' });
    const [image] = await clients.images.get({ project, image: 'web-1-0-0' });
    const [op] = await clients.globalOps.get({ project, operation: failedOperation });
    expect([typeof template.id, template.properties?.disks?.[0]?.initializeParams?.diskSizeGb, typeof image.archiveSizeBytes]).toEqual(['string', '20', 'string']);
    expect([group.targetSize, group.namedPorts?.[0]?.port, op.progress, op.httpErrorStatusCode]).toEqual([1, 8080, 100, 400]);
    expect(op.error?.errors?.[0]).toMatchObject({ code: 'INVALID_FIELD_VALUE', message: "Invalid value for field 'resource.properties.machineType': 'e2-huge'. Machine type with name 'e2-huge' does not exist." });
  });

  it('answers the list and call shapes the client pages through: listManagedInstances, getHealth, listInstances', async () => {
    const managed = await raw(`${project}/zones/us-central1-a/instanceGroupManagers/web-v001/listManagedInstances`, 'POST', '');
    const [parsedManaged] = await clients.zonal.listManagedInstances({ project, zone: 'us-central1-a', instanceGroupManager: 'web-v001' }, { autoPaginate: false });
    const group = `https://www.googleapis.com/compute/v1/projects/${project}/zones/us-central1-a/instanceGroups/web-v001`;
    const health = await raw(`${project}/global/backendServices/web-bs/getHealth`, 'POST', { group });
    const [parsedHealth] = await clients.backends.getHealth({ project, backendService: 'web-bs', resourceGroupReferenceResource: { group } });
    const [byLabel] = await clients.instances.list({ project, zone: 'us-central1-a', filter: 'labels.spinnaker-server-group = "web-v001"' });
    const [pool] = await clients.pools.get({ project, region: 'us-central1', targetPool: 'web-pool' });

    expect(holes(managed['managedInstances'], parsedManaged)).toEqual([]);
    expect(holes(health, parsedHealth)).toEqual([]);
    expect(parsedHealth.healthStatus?.[0]).toMatchObject({ healthState: 'HEALTHY', port: 8080, ipAddress: '10.20.0.2' });
    expect(byLabel.map((i) => i.name)).toEqual([instanceName]);
    expect(pool.instances).toEqual([`https://www.googleapis.com/compute/v1/projects/${project}/zones/us-central1-a/instances/${instanceName}`]);
  });
});
