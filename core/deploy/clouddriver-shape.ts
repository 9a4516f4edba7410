/**
 * Server groups and clusters in Clouddriver's JSON shape, as Gate serves them
 * (`/applications/{app}/serverGroups`, `/applications/{app}/clusters/...`), so scripts and tools
 * written against Spinnaker read Gennaker's clusters unchanged: `isDisabled`, `instanceCounts`
 * {total, up, down, unknown, outOfService, starting}, `capacity` with `pinned`, `moniker`,
 * `buildInfo`, `launchConfig`, `image`, `loadBalancers`, and instances with `healthState`.
 *
 * Three views, as Clouddriver has them: the server group itself (a cluster's `serverGroups` and
 * the server-group detail route), the summary of `serverGroups` (ServerGroupViewModel), and the
 * expanded entry of `serverGroups?expand=true` (the server group plus where it lives).
 *
 * Pure: the target's describe in, plain JSON out.
 */
import type { ClusterDescription, InstanceDescription, ServerGroupDescription } from '../ports/server-groups.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { parseServerGroupName } from './names.ts';

/** Clouddriver's health states of an instance. */
export type HealthState = 'Up' | 'Down' | 'Unknown' | 'Starting' | 'OutOfService';

/** Where a described server group lives, beyond what its description says. */
export interface ServerGroupPlace {
  /** The account's cloud provider (`aws`, `ecs`, `local`...): Clouddriver's `type` and `cloudProvider`. */
  readonly cloudProvider: string;
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);
const texts = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : []);
const textAt = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** An instance's health as Clouddriver reports it: out of service wins over its own health. */
export function healthStateOf(instance: InstanceDescription): HealthState {
  return instance.outOfService === true ? 'OutOfService' : instance.health;
}

/** Clouddriver's moniker of a Frigga name: app, cluster, stack, detail, sequence. */
export function monikerOf(name: string): JsonObject {
  const parsed = parseServerGroupName(name);
  if (parsed === undefined) return { app: name, cluster: name };
  return {
    app: parsed.app,
    cluster: parsed.cluster,
    ...(parsed.stack !== undefined ? { stack: parsed.stack } : {}),
    ...(parsed.detail !== undefined ? { detail: parsed.detail } : {}),
    ...(parsed.sequence !== undefined ? { sequence: parsed.sequence } : {}),
  };
}

/** ServerGroup.InstanceCounts: how many instances report each health state. */
export function instanceCountsOf(instances: readonly InstanceDescription[]): { total: number; up: number; down: number; unknown: number; outOfService: number; starting: number } {
  const counts = { total: instances.length, up: 0, down: 0, unknown: 0, outOfService: 0, starting: 0 };
  for (const instance of instances) {
    const state = healthStateOf(instance);
    if (state === 'Up') counts.up += 1;
    else if (state === 'Down') counts.down += 1;
    else if (state === 'Starting') counts.starting += 1;
    else if (state === 'OutOfService') counts.outOfService += 1;
    else counts.unknown += 1;
  }
  return counts;
}

/** An instance as Clouddriver's model serializes it (name and id alike, health indicators, launch time). */
function instanceJson(instance: InstanceDescription, place: ServerGroupPlace, location: string): JsonObject {
  const healthState = healthStateOf(instance);
  return {
    id: instance.id,
    name: instance.id,
    instanceId: instance.id,
    launchTime: instance.launchedTime,
    zone: location,
    availabilityZone: location,
    healthState,
    health: [{ type: place.cloudProvider, state: healthState, ...(instance.draining === true ? { description: 'draining' } : {}) }],
    ...(instance.address !== undefined ? { privateIpAddress: instance.address } : {}),
  };
}

/** AWS's buildInfo (from the image's tags) from what the server group runs: package, version, images. */
function buildInfoOf(group: ServerGroupDescription): JsonObject {
  const artifact = group.artifact;
  if (artifact === undefined) return {};
  return {
    ...(artifact.name !== undefined ? { package_name: artifact.name } : {}),
    ...(artifact.version !== undefined ? { version: artifact.version } : {}),
    ...(artifact.type === 'docker/image' ? { images: [artifact.reference] } : {}),
    artifact: { ...artifact },
  };
}

/** Clouddriver's `image`: the image the server group runs, as far as the target tells. */
function imageOf(group: ServerGroupDescription): JsonObject {
  const launch = group.launchConfig ?? {};
  const imageId = textAt(launch['imageId']) ?? textAt(launch['amiName']);
  const artifact = group.artifact;
  const name = artifact?.name ?? artifact?.reference ?? imageId;
  return {
    ...(imageId !== undefined ? { imageId } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(artifact !== undefined ? { artifact: { ...artifact } } : {}),
  };
}

/** The zones its launch settings name (availabilityZones: a list, or by location), else none. */
function zonesOf(group: ServerGroupDescription): string[] {
  const zones = group.launchConfig?.['availabilityZones'];
  // By location as a deploy stage gives them, or the group's own list (an Auto Scaling group's zones).
  return Array.isArray(zones) ? texts(zones) : isObject(zones) ? texts(zones[group.location]) : [];
}

/**
 * A server group as Clouddriver's model serializes it: a cluster's `serverGroups` entry and the
 * answer of the server-group detail route.
 */
export function toClouddriverServerGroup(group: ServerGroupDescription, place: ServerGroupPlace): JsonObject {
  const launch = group.launchConfig ?? {};
  const instanceType = textAt(launch['instanceType']);
  return {
    name: group.name,
    type: place.cloudProvider,
    cloudProvider: place.cloudProvider,
    account: group.account,
    region: group.location,
    zones: zonesOf(group),
    cluster: group.cluster,
    moniker: monikerOf(group.name),
    isDisabled: group.disabled,
    disabled: group.disabled,
    createdTime: group.createdTime,
    capacity: { ...group.capacity, pinned: group.capacity.min === group.capacity.max && group.capacity.max === group.capacity.desired },
    instances: group.instances.map((instance) => instanceJson(instance, place, group.location)),
    instanceCounts: instanceCountsOf(group.instances),
    loadBalancers: texts(launch['loadBalancers']),
    targetGroups: texts(launch['targetGroups']),
    securityGroups: texts(launch['securityGroups']),
    ...(instanceType !== undefined ? { instanceType } : {}),
    launchConfig: { ...launch },
    image: imageOf(group),
    buildInfo: buildInfoOf(group),
    tags: {},
    labels: {},
    ...(group.trafficWeight !== undefined ? { trafficWeight: group.trafficWeight } : {}),
    ...(group.draining !== undefined ? { draining: group.draining } : {}),
  };
}

/**
 * Clouddriver's ServerGroupViewModel, one entry of `GET /applications/{app}/serverGroups`: the
 * server group's summary with its cluster and account, instances reduced to id, health and launch time.
 */
export function toServerGroupSummary(group: ServerGroupDescription, place: ServerGroupPlace): JsonObject {
  const full = toClouddriverServerGroup(group, place);
  const moniker = full['moniker'] as JsonObject;
  return {
    name: group.name,
    account: group.account,
    region: group.location,
    cluster: group.cluster,
    type: place.cloudProvider,
    cloudProvider: place.cloudProvider,
    ...(full['instanceType'] !== undefined ? { instanceType: full['instanceType'] } : {}),
    application: moniker['app'] ?? null,
    isDisabled: group.disabled,
    moniker,
    buildInfo: full['buildInfo'] as JsonObject,
    createdTime: group.createdTime,
    capacity: full['capacity'] as JsonObject,
    instances: group.instances.map((instance) => ({
      id: instance.id,
      name: instance.id,
      health: [{ type: place.cloudProvider, state: healthStateOf(instance) }],
      healthState: healthStateOf(instance),
      launchTime: instance.launchedTime,
      availabilityZone: group.location,
    })),
    loadBalancers: full['loadBalancers'] as string[],
    targetGroups: full['targetGroups'] as string[],
    securityGroups: full['securityGroups'] as string[],
    instanceCounts: full['instanceCounts'] as JsonObject,
    tags: {},
    labels: {},
  };
}

/** One entry of `serverGroups?expand=true`: the server group plus Clouddriver's placement fields. */
export function toExpandedServerGroup(group: ServerGroupDescription, place: ServerGroupPlace): JsonObject {
  const full = toClouddriverServerGroup(group, place);
  const moniker = full['moniker'] as JsonObject;
  return {
    ...full,
    accountName: group.account,
    account: group.account,
    cluster: group.cluster,
    application: moniker['app'] ?? null,
    stack: moniker['stack'] ?? null,
    freeFormDetail: moniker['detail'] ?? null,
  };
}

/**
 * A cluster in one account, across its locations, as Clouddriver serializes it (Gate's
 * `/applications/{app}/clusters/{account}/{cluster}`): name, accountName, type, moniker, every
 * server group of every location, and the load balancers they name.
 */
export function toClouddriverCluster(cluster: string, account: string, place: ServerGroupPlace, described: readonly ClusterDescription[]): JsonObject {
  const serverGroups = described.flatMap((where) => where.serverGroups.map((group) => toClouddriverServerGroup(group, place)));
  const loadBalancers = [...new Set(serverGroups.flatMap((group) => group['loadBalancers'] as string[]))].map((name) => ({ name, account, type: place.cloudProvider }));
  return {
    name: cluster,
    accountName: account,
    type: place.cloudProvider,
    moniker: monikerOf(cluster),
    serverGroups,
    loadBalancers,
  };
}

/**
 * Clouddriver's ClusterViewModel, one entry of Gate's `/applications/{app}/clusters/{account}`:
 * the cluster's name, account, moniker, and the names of its load balancers and server groups.
 */
export function toClusterSummary(cluster: string, account: string, place: ServerGroupPlace, described: readonly ClusterDescription[]): JsonObject {
  const full = toClouddriverCluster(cluster, account, place, described);
  return {
    name: cluster,
    account,
    moniker: full['moniker'] as JsonObject,
    loadBalancers: (full['loadBalancers'] as JsonObject[]).map((balancer) => balancer['name'] as string),
    serverGroups: (full['serverGroups'] as JsonObject[]).map((group) => group['name'] as string),
  };
}
