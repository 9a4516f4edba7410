/**
 * `--sandbox` for Google Compute Engine: the GCE simulator (sandbox/gce) started in this process,
 * its clock running `speed` times faster than the wall clock, the real `@google-cloud/compute`
 * clients pointed at it, and every `gce` account a pipeline names served by the GCE target over
 * them, each in a project of its own (`sandbox-<account>`). What the pipeline assumes exists
 * (local/sandbox/gce-world.ts: networks, images, backend services, target pools, health checks,
 * the serving `-v000` a stage acts on) is seeded first and reported; nothing else is, so a name
 * the pipeline gets wrong fails as GCE would fail it.
 */
import { PassThroughClient } from 'google-auth-library';
import { createGceClients, type GceClients } from '../../adapters/targets/gce/clients.ts';
import { createGceTarget } from '../../adapters/targets/gce/gce-target.ts';
import { createRegionalTarget } from '../../adapters/targets/regional-target.ts';
import { clusterName, serverGroupName } from '../../core/deploy/names.ts';
import type { Account } from '../../core/ports/accounts.ts';
import type { Target, TargetLookup } from '../../core/ports/target.ts';
import { startGceSimulator, type GceDescription, type GceSimulator } from '../../sandbox/gce/server.ts';
import type { DeployedCluster, SeededResource } from './aws-sandbox.ts';
import type { ServingSample } from './capacity-watch.ts';
import { countCalls, followWallClock } from './sandbox-clock.ts';
import { assumedGceWorld, type AssumedGceCluster, type AssumedGceServingGroup, type AssumedGceWorld } from './gce-world.ts';

export interface GceSandbox {
  readonly simulator: GceSimulator;
  readonly targets: TargetLookup;
  /** Accounts served so far (`serve` adds them). */
  accounts(): readonly Account[];
  /** Serves the `gce` accounts these pipelines name and seeds what they assume; answers what was seeded. */
  serve(pipelines: readonly unknown[], parameters?: Readonly<Record<string, string>>): Promise<{ readonly accounts: readonly Account[]; readonly seeded: readonly SeededResource[] }>;
  /** The clusters the last `serve`'s pipelines deploy to or act on, as the GCE target describes them now. */
  describeDeployed(): Promise<DeployedCluster[]>;
  /** Instances of each such cluster that receive traffic (a backend service's healthy backends, a target pool's members), from the simulator's state. */
  servingCapacity(): ServingSample[];
  /** The API calls since the last `serve`, counted by `gce:<resource>.<method>`, most first. */
  callCounts(): Array<{ readonly call: string; readonly count: number }>;
  describe(): GceDescription;
  close(): Promise<void>;
}

/** The owner token of what the sandbox starts before a run (a server group made "by hand"). */
const SEED_OWNER = 'gennaker-sandbox-seed';
const SEED_STEP_MS = 5_000;
const SEED_STEPS = 120;

/** The project an account deploys into in the sandbox: `sandbox-<account>`, as a project id may be written. */
export function sandboxProject(account: string): string {
  const id = `sandbox-${account.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 30).replace(/-+$/, '');
  return id.length >= 6 ? id : `${id}-project`;
}

/** Resource collections that are regional twins of a global or zonal one (`regionBackendServices`...). */
const REGIONAL_TWINS = new Set(['instanceGroupManagers', 'autoscalers', 'backendServices', 'healthChecks', 'instanceGroups', 'operations']);
const VERBS = new Set(['resize', 'listManagedInstances', 'getHealth', 'wait', 'setInstanceTemplate', 'setTargetPools', 'addInstance', 'removeInstance', 'listInstances', 'getFromFamily']);

/**
 * A request as the API method it is: `POST /compute/v1/projects/p/zones/z/instanceGroupManagers`
 * → `gce:instanceGroupManagers.insert`, `POST …/regions/r/operations/op/wait` →
 * `gce:regionOperations.wait`, `PUT …/global/backendServices/bs` → `gce:backendServices.update`.
 */
export function gceCallKey(method: string, path: string): string {
  const parts = path.split('?')[0]!.split('/').filter((part) => part !== '');
  const at = parts.indexOf('projects');
  const rest = at >= 0 ? parts.slice(at + 2) : parts;
  let scope = '';
  if (rest[0] === 'global') {
    scope = 'global';
    rest.shift();
  } else if (rest[0] === 'regions' || rest[0] === 'zones') {
    scope = rest[0];
    rest.splice(0, 2);
  }
  const [collection = path, name, verb] = rest;
  if (collection === path) return `gce:${method} ${path}`;
  const resource =
    collection === 'operations'
      ? `${scope === 'global' ? 'global' : scope === 'regions' ? 'region' : 'zone'}Operations`
      : scope === 'regions' && REGIONAL_TWINS.has(collection)
        ? `region${collection[0]!.toUpperCase()}${collection.slice(1)}`
        : collection;
  const action =
    verb !== undefined && VERBS.has(verb)
      ? verb
      : name !== undefined && VERBS.has(name)
        ? name
        : method === 'GET'
          ? name === undefined
            ? 'list'
            : 'get'
          : method === 'POST'
            ? 'insert'
            : method === 'PUT'
              ? 'update'
              : method === 'PATCH'
                ? 'patch'
                : method === 'DELETE'
                  ? 'delete'
                  : method;
  return `gce:${resource}.${action}`;
}

/** Starts the simulator and its clock. */
export async function startGceSandbox(options: { readonly speed?: number; readonly seed?: number } = {}): Promise<GceSandbox> {
  const speed = options.speed ?? 30;
  // Operations finish in a simulated second: the sandbox's clock turns that into milliseconds.
  const simulator = await startGceSimulator({ seed: options.seed ?? 1, startTime: Date.now(), operationMs: 1_000 });
  const stopClock = followWallClock((ms) => simulator.tick(ms), speed);

  let clients: (GceClients & { close(): Promise<void> }) | undefined;
  const clientsOf = () => (clients ??= createGceClients({ apiEndpoint: '127.0.0.1', port: simulator.port, protocol: 'http', authClient: new PassThroughClient() }));
  const served = new Map<string, { account: Account; target?: Target }>();
  const seededNames = new Set<string>();

  const targetOf = (name: string): Target | undefined => {
    const entry = served.get(name);
    if (!entry) return undefined;
    entry.target ??= createRegionalTarget({
      account: name,
      regions: entry.account.regions,
      cloudProvider: 'gce',
      create: (region) => createGceTarget({ account: name, project: sandboxProject(name), region, clients: clientsOf(), clock: { now: () => simulator.now() } }),
    });
    return entry.target;
  };
  const targets: TargetLookup = (key) => (key.cloudProvider === undefined || key.cloudProvider === 'gce' ? targetOf(key.account) : undefined);
  const accounts = () => [...served.values()].map((entry) => entry.account);

  /** Seeds a resource once per key; answers what to report, or nothing when it was seeded before. */
  const once = (key: string, seed: () => SeededResource): SeededResource[] => {
    if (seededNames.has(key)) return [];
    seededNames.add(key);
    try {
      return [seed()];
    } catch (error) {
      // What GCE would refuse (a region it does not have) is not made up: the run fails on it as GCE would.
      return [{ kind: 'not seeded:', id: key.split('|').slice(1).join(' '), detail: (error as Error).message }];
    }
  };

  const prepare = (world: AssumedGceWorld): SeededResource[] => {
    for (const assumed of world.accounts) {
      const regions = [...new Set([...(served.get(assumed.name)?.account.regions ?? []), ...assumed.regions])];
      const project = sandboxProject(assumed.name);
      served.set(assumed.name, {
        account: { name: assumed.name, cloudProvider: 'gce', accountType: 'sandbox', environment: 'sandbox', regions: regions.length > 0 ? regions : ['us-central1'], gce: { project } },
      });
    }
    const seeded: SeededResource[] = [];
    for (const network of world.networks) {
      const project = sandboxProject(network.account);
      const regions = served.get(network.account)?.account.regions ?? [];
      // An auto-mode network has a subnetwork of its own name in every region.
      const subnets = [...regions.map((region) => ({ region, name: network.name })), ...network.subnets];
      const key = `network|${project}|${network.name}|${subnets.map((subnet) => `${subnet.region}/${subnet.name}`).join(',')}`;
      seeded.push(
        ...once(key, () => {
          simulator.seedNetwork(project, network.name, subnets);
          return { kind: 'network', id: network.name, detail: `${project}, subnetworks ${subnets.map((subnet) => `${subnet.name} (${subnet.region})`).join(', ')}` };
        }),
      );
    }
    for (const image of world.images) {
      const project = sandboxProject(image.account);
      seeded.push(...once(`image|${project}|${image.name}`, () => ({ kind: 'image', id: simulator.seedImage(project, { name: image.name }), detail: `${image.name}, ${project}` })));
    }
    for (const check of world.healthChecks) {
      const project = sandboxProject(check.account);
      seeded.push(
        ...once(`hc|${project}|${check.name}`, () => {
          simulator.seedHealthCheck(project, { name: check.name, requestPath: '/health', checkIntervalSec: 5, healthyThreshold: 2 });
          return { kind: 'health check', id: check.name, detail: `${project}, HTTP /health every 5 s, healthy after 2` };
        }),
      );
    }
    for (const balancer of world.loadBalancers) {
      const project = sandboxProject(balancer.account);
      if (balancer.kind === 'backend-service') {
        for (const service of balancer.backendServices) {
          seeded.push(
            ...once(`bs|${project}|${service}`, () => {
              const check = simulator.seedHealthCheck(project, { name: `${service}-hc`, requestPath: '/health', checkIntervalSec: 5, healthyThreshold: 2 });
              simulator.seedBackendService(project, { name: service, healthChecks: [check], protocol: 'HTTP', loadBalancingScheme: 'EXTERNAL_MANAGED', portName: balancer.portName });
              return { kind: 'backend service', id: service, detail: `${project}, load balancer ${balancer.name}, port ${balancer.portName}, health check ${service}-hc` };
            }),
          );
        }
      } else if (balancer.region !== undefined) {
        const region = balancer.region;
        seeded.push(
          ...once(`tp|${project}|${region}|${balancer.name}`, () => {
            const pool = simulator.seedTargetPool(project, region, balancer.name);
            simulator.seedForwardingRule(project, { name: balancer.name, region, target: pool, IPProtocol: 'TCP', portRange: '80', loadBalancingScheme: 'EXTERNAL' });
            return { kind: 'network load balancer', id: balancer.name, detail: `${project}, ${region}, forwarding rule → target pool ${balancer.name}` };
          }),
        );
      }
    }
    return seeded;
  };

  /** The image `-v000` boots: `<application>-sandbox-previous` in the account's project. */
  const previousImage = (group: AssumedGceServingGroup): { name: string; seeded: SeededResource[] } => {
    const project = sandboxProject(group.account);
    const name = `${group.application}-sandbox-previous`;
    return { name, seeded: once(`image|${project}|${name}`, () => ({ kind: 'image', id: simulator.seedImage(project, { name }), detail: `${name}, ${project}, what the serving group runs` })) };
  };

  /** Starts `-v000` of a cluster that has no server group yet, and waits (on the simulator's clock) until it is Up. */
  const startServing = async (group: AssumedGceServingGroup): Promise<SeededResource[]> => {
    const target = targetOf(group.account);
    if (!target) return [];
    const cluster = clusterName(group.application, group.stack, group.detail);
    const ref = { account: group.account, location: group.region, cluster };
    const before = await target.serverGroups.describeCluster(ref);
    if (before.ok && before.cluster.serverGroups.length > 0) return [];
    const name = serverGroupName(cluster, 0);
    const image = previousImage(group);
    // The entry's own fields, booting the previous image; what a run binds (an artifact, a prior stage's image) is not needed for it.
    const { imageSource: _source, imageArtifactId: _artifact, ...fields } = group.entry as Record<string, unknown>;
    const provider = { instanceType: 'e2-small', network: 'default', ...fields, zone: group.zone, region: group.region, image: image.name };
    // An operation still running answers `unavailable`: asked again with the same owner, the create goes on where it stopped.
    let created = await target.serverGroups.create({ ...ref, name, owner: SEED_OWNER, capacity: group.capacity, provider });
    for (let retry = 0; !created.ok && created.reason === 'unavailable' && retry < SEED_STEPS; retry++) {
      simulator.tick(SEED_STEP_MS);
      created = await target.serverGroups.create({ ...ref, name, owner: SEED_OWNER, capacity: group.capacity, provider });
    }
    if (!created.ok) throw new Error(`the serving server group ${name} could not start in ${group.region}: ${created.message}`);
    for (let step = 0; step < SEED_STEPS; step++) {
      const described = await target.serverGroups.describeCluster(ref);
      const serving = described.ok ? described.cluster.serverGroups.find((candidate) => candidate.name === name) : undefined;
      const up = serving?.instances.filter((instance) => instance.health === 'Up').length ?? 0;
      if (serving && !serving.disabled && up >= group.capacity.desired) {
        return [...image.seeded, { kind: 'server group', id: name, detail: `${group.account}, ${group.zone}, ${up} instance${up === 1 ? '' : 's'} Up, serving before the run` }];
      }
      simulator.tick(SEED_STEP_MS);
    }
    throw new Error(`the serving server group ${name} in ${group.region} did not come Up within ${(SEED_STEPS * SEED_STEP_MS) / 60_000} simulated minutes`);
  };

  let callsBefore = 0;
  let deployed: readonly AssumedGceCluster[] = [];
  return {
    simulator,
    targets,
    accounts,
    async serve(pipelines, parameters = {}) {
      const world = assumedGceWorld(pipelines, parameters);
      const seeded = prepare(world);
      for (const group of world.serving) {
        const started = await startServing(group).catch((error: unknown) => [{ kind: 'not seeded:', id: `server group of ${group.application} in ${group.region}`, detail: (error as Error).message }]);
        seeded.push(...started);
      }
      callsBefore = simulator.calls().length;
      // The clusters a run changes: those it deploys to, and those its stages act on (resize, clone, disable).
      const acted = world.serving.map(({ account, region, application, stack, detail }) => ({ account, region, application, ...(stack !== undefined ? { stack } : {}), ...(detail !== undefined ? { detail } : {}) }));
      deployed = [...world.clusters, ...acted].filter((group, index, all) => all.findIndex((other) => clusterName(other.application, other.stack, other.detail) === clusterName(group.application, group.stack, group.detail) && other.account === group.account && other.region === group.region) === index);
      const named = new Set(world.accounts.map((account) => account.name));
      return { accounts: accounts().filter((account) => named.has(account.name)), seeded };
    },
    async describeDeployed() {
      const found: DeployedCluster[] = [];
      for (const group of deployed) {
        const target = targetOf(group.account);
        if (!target) continue;
        const cluster = clusterName(group.application, group.stack, group.detail);
        const described = await target.serverGroups.describeCluster({ account: group.account, location: group.region, cluster });
        if (!described.ok) {
          found.push({ account: group.account, region: group.region, cluster, problem: described.message, serverGroups: [] });
          continue;
        }
        found.push({
          account: group.account,
          region: group.region,
          cluster,
          serverGroups: described.cluster.serverGroups.map((serverGroup) => ({
            name: serverGroup.name,
            disabled: serverGroup.disabled,
            draining: serverGroup.draining === true,
            up: serverGroup.instances.filter((instance) => instance.health === 'Up').length,
            instances: serverGroup.instances.length,
            capacity: serverGroup.capacity,
            ...(serverGroup.artifact?.name !== undefined ? { images: [serverGroup.artifact.name] } : {}),
          })),
        });
      }
      return found;
    },
    servingCapacity() {
      const description = simulator.describe();
      const receiving = new Set(description.backendServices.flatMap((service) => service.receivingTraffic.map((instance) => instance.split('/').at(-1)!)));
      const pooled = new Set(description.targetPools.flatMap((pool) => pool.instances.map((instance) => instance.split('/').at(-1)!)));
      return deployed.map((group) => {
        const cluster = clusterName(group.application, group.stack, group.detail);
        const project = sandboxProject(group.account);
        const member = new RegExp(`^${cluster.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-v\\d{3}$`);
        const instances = description.managedInstanceGroups
          .filter((mig) => mig.project === project && member.test(mig.name))
          .flatMap((mig) => mig.instances.filter((instance) => instance.status === 'RUNNING').map((instance) => instance.name));
        return { cluster: `${cluster} (${group.account}, ${group.region})`, healthy: instances.filter((instance) => receiving.has(instance) || pooled.has(instance)).length };
      });
    },
    callCounts: () => countCalls(simulator.calls().slice(callsBefore).map((call) => gceCallKey(call.method, call.path))),
    describe: () => simulator.describe(),
    async close() {
      stopClock();
      await clients?.close();
      await simulator.close();
    },
  };
}
