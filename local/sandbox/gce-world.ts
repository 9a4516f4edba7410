/**
 * The Google Compute Engine world a pipeline assumes, read from its JSON (AWS is world.ts,
 * Kubernetes kubernetes-world.ts): the `gce` accounts its stages name and their regions, the
 * networks and subnetworks its deploys join, the images they boot by name, the load balancers
 * they attach to (backend services of HTTP(S) and internal load balancers, target pools of
 * network load balancers, from the cluster fields and from Spinnaker's instance-metadata keys),
 * the health checks of their autohealing policies, and the clusters a stage acts on without
 * deploying them first (a red/black that replaces, a resize, a clone, a findImage, a disable of
 * the ancestor). `--sandbox` seeds exactly these, so a production pipeline runs offline
 * unchanged; anything else stays unknown and fails as GCE would fail it.
 */
import { withParameters } from './world.ts';

/** A `gce` account a pipeline names, with the regions its stages use. */
export interface AssumedGceAccount {
  readonly name: string;
  readonly regions: readonly string[];
}

/** A network and the subnetworks the pipeline's deploys name in it, by region. */
export interface AssumedGceNetwork {
  readonly account: string;
  readonly name: string;
  /** `region/subnet` pairs; a deploy without a subnet joins the network's auto-mode subnetwork of its region. */
  readonly subnets: ReadonlyArray<{ readonly region: string; readonly name: string }>;
}

/** A load balancer a deploy attaches its managed instance group to. */
export interface AssumedGceLoadBalancer {
  readonly account: string;
  /** The region of a network load balancer's target pool or a regional backend service; absent for global ones. */
  readonly region?: string;
  /** The load balancer's name (`loadBalancers`). */
  readonly name: string;
  /** `backend-service`: an HTTP(S)/SSL/TCP proxy's backend services; `target-pool`: a network load balancer. */
  readonly kind: 'backend-service' | 'target-pool';
  /** The backend services behind it (`backendServices[name]`), for `backend-service`; the load balancer's own name when none are listed. */
  readonly backendServices: readonly string[];
  /** The named port its backend services send traffic to (`loadBalancingPolicy.namedPorts`). @default http */
  readonly portName: string;
}

/**
 * A cluster a stage expects to have a server group already: a replacing strategy's deploy, a
 * resize, clone, enable/disable/destroy of a dynamic target, or a findImage. The sandbox starts a
 * `-v000` of it through the GCE target (the deploy entry's fields when one deploys to the same
 * cluster, else a small default) before the run.
 */
export interface AssumedGceServingGroup {
  readonly account: string;
  readonly region: string;
  /** The zone of a zonal group (the entry's `zone`, else the region's first zone). */
  readonly zone: string;
  readonly application: string;
  readonly stack?: string;
  readonly detail?: string;
  readonly capacity: { readonly min: number; readonly max: number; readonly desired: number };
  /** The deploy entry of the same cluster, as the pipeline writes it; `{}` when no stage deploys to it. */
  readonly entry: Readonly<Record<string, unknown>>;
}

/** A cluster a deploy stage deploys to. */
export interface AssumedGceCluster {
  readonly account: string;
  readonly region: string;
  readonly application: string;
  readonly stack?: string;
  readonly detail?: string;
}

export interface AssumedGceWorld {
  readonly accounts: readonly AssumedGceAccount[];
  readonly networks: readonly AssumedGceNetwork[];
  /** Images booted by name (`image`, when no artifact or prior stage gives it), by account. */
  readonly images: ReadonlyArray<{ readonly account: string; readonly name: string }>;
  readonly loadBalancers: readonly AssumedGceLoadBalancer[];
  /** Health checks an autohealing policy names, by account. */
  readonly healthChecks: ReadonlyArray<{ readonly account: string; readonly name: string }>;
  readonly serving: readonly AssumedGceServingGroup[];
  readonly clusters: readonly AssumedGceCluster[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' && !value.includes('${') ? value.trim() : undefined);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(text).filter((entry): entry is string => entry !== undefined) : []);
/** Spinnaker's metadata values listing load balancers or backend services: comma-separated names. */
const commaList = (value: unknown): string[] => (text(value) ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');

/** GCE's region names (`us-central1`, `europe-west4`, `northamerica-northeast2`). */
const GCE_REGION = /^[a-z]+-[a-z]+\d{1,2}$/;

/** Is this stage or cluster entry Spinnaker's Google provider? */
export function isGce(entry: Record<string, unknown>): boolean {
  const provider = text(entry['cloudProvider']) ?? text(entry['provider']) ?? text(entry['cloudProviderType']);
  return provider === 'gce';
}

/** Stage types that act on a cluster's existing server groups. */
const CLUSTER_STAGES = new Set(['resizeServerGroup', 'enableServerGroup', 'disableServerGroup', 'destroyServerGroup', 'cloneServerGroup', 'findImage', 'scaleDownCluster', 'shrinkCluster', 'disableCluster', 'rollbackServerGroup']);
const REPLACING_STRATEGIES = new Set(['redblack', 'rollingredblack', 'highlander']);

/** The regions a cluster entry deploys to: `availabilityZones` keys, else `region`/`regions`. */
function regionsOf(entry: Record<string, unknown>): string[] {
  const zones = entry['availabilityZones'];
  const named = isObject(zones) && Object.keys(zones).length > 0 ? Object.keys(zones) : text(entry['region']) ? [text(entry['region'])!] : strings(entry['regions']);
  return named.filter((region) => GCE_REGION.test(region));
}

/** The zone of a zonal group in `region`: the entry's `zone` or its first listed zone, else the region's `-a`... as GCE names them (`us-central1-a`). */
export function zoneOf(entry: Readonly<Record<string, unknown>>, region: string): string {
  const zone = text(entry['zone']);
  if (zone && zone.startsWith(`${region}-`)) return zone;
  const zones = entry['availabilityZones'];
  const listed = isObject(zones) ? strings(zones[region]) : [];
  return listed[0] ?? `${region}-a`;
}

/** `capacity` (or `targetSize`) as written; what is missing or 0 is 1, so the seeded group serves. */
function capacityOf(entry: Readonly<Record<string, unknown>>): AssumedGceServingGroup['capacity'] {
  const capacity = isObject(entry['capacity']) ? entry['capacity'] : {};
  const read = (value: unknown): number | undefined => {
    const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : undefined;
    return number !== undefined && Number.isInteger(number) && number >= 0 ? number : undefined;
  };
  const desired = Math.max(1, read(capacity['desired']) ?? read(entry['targetSize']) ?? 1);
  return { min: Math.min(read(capacity['min']) ?? desired, desired), max: Math.max(read(capacity['max']) ?? desired, desired), desired };
}

/** Frigga's parts of a cluster name (`app-stack-detail`). */
function clusterParts(name: string): { application: string; stack?: string; detail?: string } {
  const [application, stack, ...detail] = name.split('-');
  return { application: application!, ...(stack ? { stack } : {}), ...(detail.length > 0 ? { detail: detail.join('-') } : {}) };
}

function clusterKey(group: { account: string; region: string; application: string; stack?: string; detail?: string }): string {
  return [group.account, group.region, group.application, group.stack ?? '', group.detail ?? ''].join('\u0000');
}

/** What every `gce` stage of these pipelines assumes; `parameters` are the run's, over each pipeline's defaults. */
export function assumedGceWorld(pipelines: readonly unknown[], parameters: Readonly<Record<string, string>> = {}): AssumedGceWorld {
  const accounts = new Map<string, Set<string>>();
  const networks = new Map<string, { account: string; name: string; subnets: Map<string, { region: string; name: string }> }>();
  const images = new Map<string, { account: string; name: string }>();
  const loadBalancers = new Map<string, AssumedGceLoadBalancer>();
  const healthChecks = new Map<string, { account: string; name: string }>();
  const deployed = new Map<string, AssumedGceCluster>();
  const entries = new Map<string, Record<string, unknown>>();
  const wanted = new Map<string, { account: string; region: string; application: string; stack?: string; detail?: string; zone?: string }>();

  const account = (name: string | undefined, regions: readonly string[]) => {
    if (!name) return;
    const found = accounts.get(name) ?? new Set<string>();
    for (const region of regions) found.add(region);
    accounts.set(name, found);
  };

  const deployEntry = (entry: Record<string, unknown>, replaces: boolean) => {
    const accountName = text(entry['account']) ?? text(entry['credentials']);
    const regions = regionsOf(entry);
    account(accountName, regions);
    if (!accountName) return;
    const application = text(entry['application']) ?? (isObject(entry['moniker']) ? text(entry['moniker']['app']) : undefined);
    const stack = text(entry['stack']);
    const detail = text(entry['freeFormDetails']);
    const networkName = text(entry['network']) ?? 'default';
    const network = networks.get(`${accountName}/${networkName}`) ?? { account: accountName, name: networkName, subnets: new Map() };
    networks.set(`${accountName}/${networkName}`, network);
    const subnet = text(entry['subnet']);
    for (const region of regions) if (subnet) network.subnets.set(`${region}/${subnet}`, { region, name: subnet });
    const source = text(entry['imageSource']);
    const image = text(entry['image']);
    if (image && source !== 'artifact' && source !== 'priorStage') images.set(`${accountName}/${image}`, { account: accountName, name: image });
    const healing = isObject(entry['autoHealingPolicy']) ? text(entry['autoHealingPolicy']['healthCheck']) : undefined;
    if (healing) healthChecks.set(`${accountName}/${healing}`, { account: accountName, name: healing });
    loadBalancersOf(entry, accountName, regions, loadBalancers);
    if (!application) return;
    for (const region of regions) {
      const cluster = { account: accountName, region, application, ...(stack ? { stack } : {}), ...(detail ? { detail } : {}) };
      deployed.set(clusterKey(cluster), cluster);
      if (!entries.has(clusterKey(cluster))) entries.set(clusterKey(cluster), entry);
      if (replaces) wanted.set(clusterKey(cluster), { ...cluster, zone: zoneOf(entry, region) });
    }
  };

  for (const given of pipelines) {
    const pipeline = withParameters(given, parameters);
    const stages = isObject(pipeline) && Array.isArray(pipeline['stages']) ? pipeline['stages'].filter(isObject) : [];
    for (const stage of stages) {
      for (const entry of Array.isArray(stage['clusters']) ? stage['clusters'].filter(isObject) : []) {
        if (isGce(entry)) deployEntry(entry, stage['type'] === 'deploy' && REPLACING_STRATEGIES.has(text(entry['strategy']) ?? ''));
      }
      if (!isGce(stage) || Array.isArray(stage['clusters'])) continue;
      const accountName = text(stage['credentials']) ?? text(stage['account']);
      const regions = [...strings(stage['regions']), ...(text(stage['region']) ? [text(stage['region'])!] : [])].filter((region) => GCE_REGION.test(region));
      account(accountName, regions);
      if (!accountName || !CLUSTER_STAGES.has(String(stage['type']))) continue;
      const cluster = text(stage['targetCluster']) ?? text(stage['cluster']) ?? (isObject(stage['moniker']) ? text(stage['moniker']['cluster']) : undefined);
      if (!cluster) continue;
      for (const region of regions) {
        const group = { account: accountName, region, ...clusterParts(cluster) };
        if (!wanted.has(clusterKey(group))) wanted.set(clusterKey(group), group);
      }
    }
  }

  const serving: AssumedGceServingGroup[] = [...wanted.entries()].map(([key, group]) => {
    const entry = entries.get(key) ?? {};
    return { ...group, zone: group.zone ?? zoneOf(entry, group.region), capacity: capacityOf(entry), entry };
  });
  return {
    accounts: [...accounts.entries()].map(([name, regions]) => ({ name, regions: [...regions] })).sort((a, b) => a.name.localeCompare(b.name)),
    networks: [...networks.values()].map((network) => ({ account: network.account, name: network.name, subnets: [...network.subnets.values()] })),
    images: [...images.values()],
    loadBalancers: [...loadBalancers.values()],
    healthChecks: [...healthChecks.values()],
    serving,
    clusters: [...deployed.values()],
  };
}

/**
 * The load balancers an entry joins: `loadBalancers` with `backendServices[lb]` (Deck's picker)
 * or the metadata keys clouddriver writes (`load-balancer-names`, `global-load-balancer-names`,
 * `backend-service-names`). A load balancer with backend services (or named as global) is an
 * HTTP(S)-style one; the others are network load balancers, served by a target pool of their name.
 */
function loadBalancersOf(entry: Record<string, unknown>, account: string, regions: readonly string[], into: Map<string, AssumedGceLoadBalancer>): void {
  const metadata = isObject(entry['instanceMetadata']) ? entry['instanceMetadata'] : {};
  const backendServices = isObject(entry['backendServices']) ? entry['backendServices'] : {};
  const policy = isObject(entry['loadBalancingPolicy']) ? entry['loadBalancingPolicy'] : {};
  const ports = Array.isArray(policy['namedPorts']) ? policy['namedPorts'].filter(isObject) : [];
  const portName = text(ports[0]?.['name']) ?? 'http';
  const global = new Set(commaList(metadata['global-load-balancer-names']));
  const listedServices = commaList(metadata['backend-service-names']);
  const names = new Set([...strings(entry['loadBalancers']), ...commaList(metadata['load-balancer-names']), ...global]);
  for (const name of names) {
    const services = strings(backendServices[name]);
    if (services.length > 0 || global.has(name)) {
      const all = services.length > 0 ? services : listedServices.length > 0 ? listedServices : [name];
      into.set(`${account}//${name}`, { account, name, kind: 'backend-service', backendServices: all, portName });
    } else {
      for (const region of regions) into.set(`${account}/${region}/${name}`, { account, region, name, kind: 'target-pool', backendServices: [], portName });
    }
  }
}
