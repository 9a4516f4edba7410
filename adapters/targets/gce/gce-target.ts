/**
 * The `gce` deploy target: both ports of DESIGN.md §6 (core/ports/server-groups.ts,
 * core/ports/traffic.ts) on managed instance groups, instance templates, backend services and
 * target pools, making the calls Spinnaker's clouddriver makes (`reference/cloud-targets.md` §5.2)
 * through the real `@google-cloud/compute` clients (clients.ts). README.md beside this file lists
 * the fields and the calls.
 *
 * - A server group is a zonal or regional MIG named with its Frigga name (also its
 *   `baseInstanceName`), made from an instance template `<sg>-<8 digits>` that carries
 *   clouddriver's metadata keys and labels verbatim, so a server group Spinnaker made stays
 *   manageable here and the reverse. The owner token is the `description` of the MIG and of its
 *   template: finding our own MIG is `already-done`, anyone else's `already-exists`, and a create
 *   that stopped after the template finds that template again instead of making a second one.
 * - The Node client never waits for an operation, so between dependent mutations (template → MIG →
 *   autoscaler → backends) the operation is polled with `*Operations.wait`, a bounded number of
 *   times; one that ends with `error` is the failure it is, in one line. The last operation of a
 *   call is started and left running when it takes longer (describe shows where it got).
 * - Traffic is Spinnaker's: disable turns the autoscaler OFF and removes the MIG's backends from
 *   the backend services its template's metadata names (read-modify-write with the fingerprint,
 *   again on 412), and its instances from the target pools of its network load balancers; enable
 *   undoes each from the same metadata. *Disabled* means in none of the load balancers it
 *   declares. Whole server groups only: no weights, no partial disable.
 * - Errors become port failures (gce-errors.ts) for both client majors; 429, 5xx and connection
 *   faults are `unavailable`.
 */
import type { protos } from '@google-cloud/compute';
import { parseServerGroupName } from '../../../core/deploy/names.ts';
import type { Clock } from '../../../core/ports/clock.ts';
import type { ClusterCheckRequest, ClusterFieldIssue } from '../../../core/ports/cluster-checks.ts';
import type {
  ArtifactReference,
  Capacity,
  ClusterCheckResult,
  ClusterRef,
  CreateServerGroupRequest,
  DescribeResult,
  InstanceDescription,
  OperationResult,
  OwnerToken,
  PortFailure,
  PortFailureReason,
  ServerGroupDescription,
  ServerGroupPort,
  ServerGroupRef,
} from '../../../core/ports/server-groups.ts';
import type { Target } from '../../../core/ports/target.ts';
import type { DisableOptions, TrafficCapabilities, TrafficPort, TrafficWeights, VerifyWeightsResult } from '../../../core/ports/traffic.ts';
import { createRegionalTarget } from '../regional-target.ts';
import { createGceClients, type GceClientOptions, type GceClients } from './clients.ts';
import { parseGceClusterConfig, problem, regionOfZone, shown, SPINNAKER_METADATA_KEYS, type GceClusterConfig, type LoadBalancingPolicy } from './config.ts';
import { fail, gceFailure, GcePortFailure, operationFailure, statusOf, type OperationView } from './gce-errors.ts';
import { instanceHealth, loadBalancerHealth, platformHealth, type GceHealthState } from './health.ts';
import {
  autoscalingPolicyFor,
  backendFor,
  effectivePolicy,
  instanceGroupManagerBody,
  instanceGroupUrl,
  instanceTemplateBody,
  isTemplateOf,
  lastSegment,
  membershipOf,
  metadataOf,
  MAX_TEMPLATE_NAME,
  ownerOf,
  ownerValue,
  requestIdFor,
  resourcePath,
  sameResource,
  templateNameFor,
  urlOf,
  type Backend,
  type DeclaredMembership,
  type InstanceGroupManager,
  type InstanceTemplate,
  type LoadBalancerMembership,
} from './requests.ts';

type Compute = protos.google.cloud.compute.v1.IOperation;
type Autoscaler = protos.google.cloud.compute.v1.IAutoscaler;
type BackendService = protos.google.cloud.compute.v1.IBackendService;
type ManagedInstance = protos.google.cloud.compute.v1.IManagedInstance;
type Image = protos.google.cloud.compute.v1.IImage;

export interface GceTargetOptions {
  /** The account's name as pipelines write it (`my-gce-account`). */
  readonly account: string;
  /** The Google Cloud project the account deploys into. */
  readonly project: string;
  /** The region this target serves (its MIGs, regional and zonal, live there). */
  readonly region: string;
  /** The account's clients (clients.ts), shared by its regions' targets. */
  readonly clients: GceClients;
  /** Projects searched for an image by name after `project` (`ubuntu-os-cloud`...). @default [] */
  readonly imageProjects?: readonly string[];
  /** The zones of the region; absent: read once with `regions.get`. */
  readonly zones?: readonly string[];
  /** Times for the template name and for answers without one. @default the system clock */
  readonly clock?: Clock;
  /** How many times an operation is waited on (`*Operations.wait`) before giving up on it. @default 10 */
  readonly operationWaits?: number;
  /** Read-modify-write attempts of a backend service before a 412 is the failure. @default 5 */
  readonly fingerprintAttempts?: number;
  /**
   * Weighted mode (an addition to Spinnaker, which only adds and removes whole backends):
   * `setWeights` sets each server group's backend `capacityScaler` in the backend services it is
   * in (weight / 100; GCE takes 0 or 0.1-1.0, so a weight is 0 or at least 10), and
   * `verifyWeights` reads them back. @default false
   */
  readonly weightedTraffic?: boolean;
}

/** The artifact type of a GCE image (Rosco's bake output): `reference` is its selfLink, `name` its name. */
export const GCE_IMAGE_ARTIFACT = 'gce/image';

const DONE: OperationResult = { ok: true, outcome: 'done' };
const ALREADY_DONE: OperationResult = { ok: true, outcome: 'already-done' };

/** Where a MIG lives: a zone, or a region for a regional MIG. */
interface MigScope {
  readonly zone?: string;
  readonly region: string;
}

interface MigView {
  readonly mig: InstanceGroupManager;
  readonly name: string;
  readonly scope: MigScope;
}

/** A MIG with what describe and traffic read about it. */
interface GroupView extends MigView {
  readonly template?: InstanceTemplate;
  readonly autoscaler?: Autoscaler;
  readonly instances: readonly ManagedInstance[];
  readonly membership: DeclaredMembership;
  /** Backend services (of those declared) that hold the MIG as a backend. */
  readonly inBackendServices: readonly string[];
  /** Target pools (of the declared network load balancers) holding one of its instances. */
  readonly inTargetPools: readonly string[];
  /** Each instance's load-balancer health states, by instance URL path. */
  readonly lbHealth: ReadonlyMap<string, GceHealthState[]>;
}

function capacityProblem(capacity: Capacity): string | undefined {
  const { min, max, desired } = capacity;
  if (![min, max, desired].every((n) => Number.isInteger(n) && n >= 0)) return `capacity ${JSON.stringify(capacity)} must hold whole numbers >= 0`;
  if (!(min <= desired && desired <= max)) return `capacity ${JSON.stringify(capacity)} must satisfy min <= desired <= max`;
  return undefined;
}

const scopeText = (scope: MigScope) => (scope.zone ? `zone ${scope.zone}` : `region ${scope.region}`);
const numberOf = (value: unknown): number | undefined => (typeof value === 'number' ? value : typeof value === 'string' && value !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined);

/** Creates the GCE target of one account and region. */
export function createGceTarget(options: GceTargetOptions): Target {
  const { account, project, region, clients } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const imageProjects = options.imageProjects ?? [];
  const waits = options.operationWaits ?? 10;
  const fingerprintAttempts = options.fingerprintAttempts ?? 5;
  const weightedMode = options.weightedTraffic ?? false;
  const zonesByRegion = new Map<string, readonly string[]>(options.zones ? [[region, options.zones]] : []);
  /** Who destroyed what, for a destroy asked again while or after it goes (this process only). */
  const destroyedBy = new Map<string, OwnerToken>();

  // -------------------------------------------------------------------------------------------
  // Calls

  /** One client call; its error becomes a GcePortFailure naming `what`. */
  async function gce<T>(what: string, call: () => Promise<T>, override?: (status: number, reason: PortFailureReason) => PortFailureReason | undefined): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof GcePortFailure) throw error;
      throw new GcePortFailure(gceFailure(error, what, override));
    }
  }

  /** A read that answers undefined for a resource that does not exist. */
  async function maybe<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await gce(what, call);
    } catch (error) {
      if (error instanceof GcePortFailure && error.failure.reason === 'not-found') return undefined;
      throw error;
    }
  }

  /** Runs a port operation: failures thrown on the way are answered as values. */
  async function answer<R>(run: () => Promise<R>): Promise<R | PortFailure> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof GcePortFailure) return error.failure;
      throw error;
    }
  }

  /** Runs a side effect only when it carries the owner token that makes a repeat of it idempotent. */
  function owned<R>(owner: unknown, run: () => Promise<R>): Promise<R | PortFailure> {
    if (typeof owner !== 'string' || owner.trim() === '') {
      return Promise.resolve({ ok: false, reason: 'invalid', message: `owner is ${JSON.stringify(owner)}; every side effect carries the owner token of the step that asks for it` });
    }
    return answer(run);
  }

  function checkAccount(accountName: string): void {
    if (accountName !== account) fail('invalid', `account '${accountName}' is not served by the GCE target of account '${account}'`);
  }

  function checkLocation(location: string, accountName: string): void {
    checkAccount(accountName);
    if (location !== region) fail('invalid', `region '${location}' is not served by account '${account}''s GCE target for ${region}; add the region to the account`);
  }

  /** The compute#operation a mutation answered (6.x and 7.x both wrap it in `latestResponse`). */
  function operationOf(started: unknown): Compute {
    const first = Array.isArray(started) ? started[0] : started;
    const latest = (first as { latestResponse?: Compute } | undefined)?.latestResponse ?? (first as Compute | undefined);
    return latest ?? {};
  }

  /**
   * Waits (bounded) for an operation, then fails with its error if it has one. `final`: the call's
   * last mutation, left running when it takes longer than the bound (it was started: describe shows it).
   */
  async function settle(started: unknown, what: string, settings: { final?: boolean; override?: (status: number, reason: PortFailureReason) => PortFailureReason | undefined } = {}): Promise<Compute> {
    let operation = operationOf(started);
    for (let waited = 0; operation.status !== 'DONE'; waited += 1) {
      const name = operation.name;
      if (!name) fail('failed', `${what} failed: GCE answered without an operation`);
      if (waited >= waits) {
        if (settings.final) return operation;
        fail('unavailable', `${what}: operation ${name} is still ${operation.status ?? 'PENDING'} after ${waits} waits; it will be tried again`);
      }
      const zone = operation.zone ? lastSegment(operation.zone) : undefined;
      const inRegion = operation.region ? lastSegment(operation.region) : undefined;
      operation = (
        await gce(`waiting for operation ${name} (${what})`, () =>
          zone
            ? clients.zoneOperations.wait({ project, zone, operation: name })
            : inRegion
              ? clients.regionOperations.wait({ project, region: inRegion, operation: name })
              : clients.globalOperations.wait({ project, operation: name }),
        )
      )[0];
    }
    const failure = operationFailure(operation as OperationView, what, settings.override);
    if (failure) throw new GcePortFailure(failure);
    return operation;
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  async function zonesOf(inRegion: string): Promise<readonly string[]> {
    const known = zonesByRegion.get(inRegion);
    if (known) return known;
    const [described] = await gce(`reading region ${inRegion}`, () => clients.regions.get({ project, region: inRegion }));
    const zones = (described.zones ?? []).map(lastSegment).filter((zone) => zone !== '').sort();
    zonesByRegion.set(inRegion, zones);
    return zones;
  }

  /**
   * Every MIG of the region (regional, and zonal in its zones) whose name begins with `prefix`:
   * one `instanceGroupManagers.aggregatedList` (every scope of the project, zonal and regional
   * groups alike), the region's scopes kept.
   */
  async function listMigs(inRegion: string, prefix: string): Promise<MigView[]> {
    const filter = `name eq ${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`;
    const scopes = await gce(`listing the managed instance groups of region ${inRegion}`, async () => {
      const listed: [string, protos.google.cloud.compute.v1.IInstanceGroupManagersScopedList][] = [];
      for await (const entry of clients.instanceGroupManagers.aggregatedListAsync({ project, filter, returnPartialSuccess: true })) listed.push(entry);
      return listed;
    });
    const found: MigView[] = [];
    for (const [scope, list] of scopes) {
      const [kind, where] = scope.split('/');
      const inScope = kind === 'regions' ? where === inRegion : kind === 'zones' && where !== undefined && regionOfZone(where) === inRegion;
      if (!inScope || where === undefined) continue;
      for (const mig of list.instanceGroupManagers ?? []) {
        if (!mig.name?.startsWith(prefix)) continue;
        found.push({ mig, name: mig.name, scope: kind === 'zones' ? { zone: where, region: inRegion } : { region: inRegion } });
      }
    }
    return found;
  }

  async function findMig(name: string, inRegion = region): Promise<MigView | undefined> {
    return (await listMigs(inRegion, name)).find((view) => view.name === name);
  }

  /** Instance templates are immutable: one read each is enough (a deleted one is read again, and found gone). */
  const templates = new Map<string, InstanceTemplate>();

  async function getTemplate(url: string | null | undefined): Promise<InstanceTemplate | undefined> {
    const name = lastSegment(url);
    if (name === '') return undefined;
    const templateProject = /projects\/([^/]+)\//.exec(url ?? '')?.[1] ?? project;
    const key = `${templateProject}/${name}`;
    const known = templates.get(key);
    if (known) return known;
    const found = (await maybe(`reading instance template ${name}`, () => clients.instanceTemplates.get({ project: templateProject, instanceTemplate: name })))?.[0];
    if (found) templates.set(key, found);
    return found;
  }

  async function getAutoscaler(view: MigView): Promise<Autoscaler | undefined> {
    // GCE names the autoscaler that targets a group in the group's status: none there, nothing to read.
    if (!view.mig.status?.autoscaler) return undefined;
    const found = view.scope.zone
      ? await maybe(`reading the autoscaler of ${view.name}`, () => clients.autoscalers.get({ project, zone: view.scope.zone!, autoscaler: view.name }))
      : await maybe(`reading the autoscaler of ${view.name}`, () => clients.regionAutoscalers.get({ project, region: view.scope.region, autoscaler: view.name }));
    return found?.[0];
  }

  async function managedInstances(view: MigView): Promise<ManagedInstance[]> {
    const [instances] = view.scope.zone
      ? await gce(`listing the instances of ${view.name}`, () => clients.instanceGroupManagers.listManagedInstances({ project, zone: view.scope.zone!, instanceGroupManager: view.name }))
      : await gce(`listing the instances of ${view.name}`, () => clients.regionInstanceGroupManagers.listManagedInstances({ project, region: view.scope.region, instanceGroupManager: view.name }));
    return instances;
  }

  const groupUrlOf = (view: MigView) => instanceGroupUrl(project, view.scope, view.name, view.mig.instanceGroup);
  /** clouddriver matches a backend to a server group by the local name of its group. */
  const isBackendOf = (view: MigView) => (backend: Backend) => lastSegment(backend.group) === view.name;

  /** The target pool of a network load balancer, by its forwarding rule in the region (clouddriver names the LB after the rule). */
  async function targetPoolOf(balancer: string, inRegion: string): Promise<string | undefined> {
    const rule = await maybe(`reading forwarding rule ${balancer}`, () => clients.forwardingRules.get({ project, region: inRegion, forwardingRule: balancer }));
    const target = rule?.[0]?.target;
    return target && target.includes('/targetPools/') ? target : undefined;
  }

  /** The groups with their template, autoscaler, instances and load-balancer membership and health. */
  async function view(migs: readonly MigView[]): Promise<GroupView[]> {
    const services = new Map<string, BackendService | undefined>();
    const pools = new Map<string, { url: string; instances: readonly string[] } | undefined>();
    const views: GroupView[] = [];
    for (const mig of migs) {
      const template = await getTemplate(mig.mig.instanceTemplate);
      const membership = membershipOf(template);
      const autoscaler = await getAutoscaler(mig);
      const instances = await managedInstances(mig);
      const lbHealth = new Map<string, GceHealthState[]>();
      const note = (instanceUrl: string | null | undefined, state: GceHealthState) => {
        if (!instanceUrl) return;
        const key = resourcePath(instanceUrl);
        lbHealth.set(key, [...(lbHealth.get(key) ?? []), state]);
      };
      const inBackendServices: string[] = [];
      for (const service of membership.backendServices) {
        if (!services.has(service)) services.set(service, (await maybe(`reading backend service ${service}`, () => clients.backendServices.get({ project, backendService: service })))?.[0]);
        const backend = services.get(service)?.backends?.find(isBackendOf(mig));
        if (!backend) continue;
        inBackendServices.push(service);
        const [health] = await gce(`reading the health of ${mig.name} in backend service ${service}`, () =>
          clients.backendServices.getHealth({ project, backendService: service, resourceGroupReferenceResource: { group: backend.group ?? groupUrlOf(mig) } }),
        ).catch((error: unknown) => {
          if (error instanceof GcePortFailure && error.failure.reason === 'not-found') return [{ healthStatus: [] }] as const;
          throw error;
        });
        const reported = new Set<string>();
        for (const status of health.healthStatus ?? []) {
          note(status.instance, loadBalancerHealth(status.healthState));
          if (status.instance) reported.add(resourcePath(status.instance));
        }
        for (const instance of instances) if (instance.instance && !reported.has(resourcePath(instance.instance))) note(instance.instance, 'Starting');
      }
      const inTargetPools: string[] = [];
      for (const balancer of membership.regional) {
        if (!pools.has(balancer)) {
          const url = await targetPoolOf(balancer, mig.scope.region);
          const pool = url ? (await maybe(`reading target pool ${lastSegment(url)}`, () => clients.targetPools.get({ project, region: mig.scope.region, targetPool: lastSegment(url) })))?.[0] : undefined;
          pools.set(balancer, url && pool ? { url, instances: pool.instances ?? [] } : undefined);
        }
        const pool = pools.get(balancer);
        if (!pool) continue;
        const members = instances.filter((instance) => pool.instances.some((member) => sameResource(member, instance.instance)));
        if (members.length === 0) continue;
        inTargetPools.push(lastSegment(pool.url));
        for (const member of members) {
          const [health] = await gce(`reading the health of ${lastSegment(member.instance)} in target pool ${lastSegment(pool.url)}`, () =>
            clients.targetPools.getHealth({ project, region: mig.scope.region, targetPool: lastSegment(pool.url), instanceReferenceResource: { instance: member.instance ?? '' } }),
          ).catch((error: unknown) => {
            if (error instanceof GcePortFailure && error.failure.reason === 'not-found') return [{ healthStatus: [] }] as const;
            throw error;
          });
          const state = health.healthStatus?.find((status) => sameResource(status.instance, member.instance))?.healthState;
          note(member.instance, loadBalancerHealth(state));
        }
      }
      views.push({ ...mig, ...(template ? { template } : {}), ...(autoscaler ? { autoscaler } : {}), instances, membership, inBackendServices, inTargetPools, lbHealth });
    }
    return views;
  }

  // -------------------------------------------------------------------------------------------
  // Describe

  const declaresBalancers = (group: GroupView) => group.membership.backendServices.length > 0 || group.membership.regional.length > 0;
  const isDisabled = (group: GroupView) => declaresBalancers(group) && group.inBackendServices.length === 0 && group.inTargetPools.length === 0;

  function describeInstance(group: GroupView, instance: ManagedInstance): InstanceDescription {
    const platform = platformHealth(instance.instanceStatus, instance.currentAction);
    const lb = instance.instance ? (group.lbHealth.get(resourcePath(instance.instance)) ?? []) : [];
    // An enabled group's instance in none of its load balancers (left out of a target pool) serves nothing.
    const out = declaresBalancers(group) && !isDisabled(group) && lb.length === 0 && platform === 'Unknown';
    return {
      id: lastSegment(instance.instance) || String(instance.id ?? ''),
      health: instanceHealth(platform, lb),
      launchedTime: Date.parse(group.mig.creationTimestamp ?? '') || clock.now(),
      ...(out ? { outOfService: true } : {}),
    };
  }

  function artifactOf(template: InstanceTemplate | undefined): ArtifactReference | undefined {
    const boot = template?.properties?.disks?.find((disk) => disk.boot) ?? template?.properties?.disks?.[0];
    const image = boot?.initializeParams?.sourceImage;
    if (!image) return undefined;
    return { type: GCE_IMAGE_ARTIFACT, name: lastSegment(image), reference: image };
  }

  function capacityOf(group: GroupView): Capacity {
    const size = numberOf(group.mig.targetSize) ?? 0;
    const policy = group.autoscaler?.autoscalingPolicy;
    // clouddriver's GoogleServerGroup capacity: the autoscaler's bounds when there is one, else the target size.
    if (policy) return { min: numberOf(policy.minNumReplicas) ?? size, max: numberOf(policy.maxNumReplicas) ?? size, desired: size };
    return { min: size, max: size, desired: size };
  }

  function describeGroup(group: GroupView): ServerGroupDescription {
    const parsed = parseServerGroupName(group.name);
    const owner = ownerOf(group.mig.description);
    const artifact = artifactOf(group.template);
    return {
      name: group.name,
      cluster: parsed?.cluster ?? group.name,
      account,
      location: group.scope.region,
      createdTime: Date.parse(group.mig.creationTimestamp ?? '') || clock.now(),
      capacity: capacityOf(group),
      disabled: isDisabled(group),
      instances: group.instances.map((instance) => describeInstance(group, instance)),
      ...(artifact ? { artifact } : {}),
      ...(owner !== undefined ? { owner } : {}),
      launchConfig: {
        instanceTemplate: group.template?.name ?? lastSegment(group.mig.instanceTemplate),
        ...(group.scope.zone ? { zone: group.scope.zone } : { regional: true, region: group.scope.region }),
        ...(group.template?.properties ? { properties: group.template.properties as Record<string, unknown> } : {}),
        ...(group.autoscaler?.autoscalingPolicy ? { autoscalingPolicy: group.autoscaler.autoscalingPolicy as Record<string, unknown> } : {}),
        ...(group.mig.namedPorts?.length ? { namedPorts: group.mig.namedPorts } : {}),
        ...(group.mig.autoHealingPolicies?.length ? { autoHealingPolicies: group.mig.autoHealingPolicies } : {}),
        loadBalancers: [...group.membership.global, ...group.membership.regional],
        backendServices: [...group.membership.backendServices],
        ...(group.mig.currentActions ? { currentActions: group.mig.currentActions as Record<string, unknown> } : {}),
      },
    };
  }

  async function describeClusterNow(ref: ClusterRef): Promise<DescribeResult> {
    checkLocation(ref.location, ref.account);
    const migs = (await listMigs(region, `${ref.cluster}-`)).filter((candidate) => parseServerGroupName(candidate.name)?.cluster === ref.cluster);
    const groups = await view(migs);
    const serverGroups = groups.map(describeGroup).sort((a, b) => a.createdTime - b.createdTime || a.name.localeCompare(b.name));
    return { ok: true, cluster: { account: ref.account, location: ref.location, cluster: ref.cluster, serverGroups } };
  }

  // -------------------------------------------------------------------------------------------
  // Create: inputs

  /** A resource a provider field names that does not exist is the field's fault. */
  const missingIsInvalid = (_status: number, reason: PortFailureReason): PortFailureReason => (reason === 'not-found' ? 'invalid' : reason);

  /** The boot image's URL: a `gce/image` artifact (a selfLink is taken as it is), else `image` by name in the project, then the image projects. */
  async function resolveImage(request: Pick<CreateServerGroupRequest, 'artifact'>, config: GceClusterConfig): Promise<string> {
    const fromArtifact = request.artifact?.type === GCE_IMAGE_ARTIFACT;
    const wanted = fromArtifact ? request.artifact!.reference || request.artifact!.name || '' : (config.image ?? '');
    if (wanted.trim() === '') {
      fail('invalid', problem('image', undefined, config.imageFromArtifact ? 'imageSource is "artifact" but no gce/image artifact reached the deploy; check the expected artifact imageArtifactId names' : 'set the image to boot (image), or run a bake or findImage stage before this deploy'));
    }
    // A URL is the image clouddriver was given: GCE itself says whether it exists (in the template's operation).
    if (wanted.includes('projects/')) return urlOf(project, 'global/images', wanted);
    const found = await findImageByName(wanted);
    if (!found?.selfLink) {
      const where = [project, ...imageProjects].join(', ');
      fail('invalid', fromArtifact ? `artifact reference is ${shown(wanted)} (${GCE_IMAGE_ARTIFACT}); no image of that name exists in projects ${where}; bake it or fix the name` : problem('image', wanted, `no image of that name exists in projects ${where}; bake it, add its project to the account's imageProjects, or fix the name`));
    }
    return found.selfLink;
  }

  async function findImageByName(name: string): Promise<Image | undefined> {
    for (const imageProject of [project, ...imageProjects]) {
      const found = await maybe(`finding image ${name} in project ${imageProject}`, () => clients.images.get({ project: imageProject, image: name }));
      if (found?.[0]) return found[0];
    }
    return undefined;
  }

  /** The load balancers of the cluster, resolved: backend services must exist, network load balancers must lead to a target pool. */
  async function resolveBalancers(config: GceClusterConfig, inRegion: string): Promise<{ membership: LoadBalancerMembership; targetPools: string[] }> {
    const global: string[] = [];
    const regional: string[] = [];
    const services: string[] = [];
    const targetPools: string[] = [];
    for (const balancer of config.loadBalancers) {
      const listed = config.backendServices[balancer];
      if (listed !== undefined) {
        global.push(balancer);
        for (const service of listed) {
          await gce(`finding backend service ${service} (provider field backendServices.${balancer})`, () => clients.backendServices.get({ project, backendService: service }), missingIsInvalid).catch((error: unknown) => {
            if (error instanceof GcePortFailure && error.failure.reason === 'invalid') fail('invalid', problem(`backendServices.${balancer}`, listed, `backend service ${service} does not exist in project ${project}; create it or fix the name`));
            throw error;
          });
          if (!services.includes(service)) services.push(service);
        }
        continue;
      }
      const pool = await targetPoolOf(balancer, inRegion);
      if (pool) {
        regional.push(balancer);
        targetPools.push(pool);
        continue;
      }
      // An HTTP(S) load balancer named without its backend services: its backend service of the same name (Deck's default).
      const service = await maybe(`finding backend service ${balancer}`, () => clients.backendServices.get({ project, backendService: balancer }));
      if (service?.[0]) {
        global.push(balancer);
        if (!services.includes(balancer)) services.push(balancer);
        continue;
      }
      fail('invalid', problem('loadBalancers', config.loadBalancers, `load balancer ${balancer} is neither a network load balancer (a forwarding rule to a target pool in ${inRegion}) nor a backend service in project ${project}; create it, fix the name, or list its backend services in backendServices`));
    }
    return { membership: { regional, global, backendServices: services }, targetPools };
  }

  async function resolveNetwork(config: GceClusterConfig, inRegion: string): Promise<void> {
    if (!config.network.includes('projects/')) {
      await gce(`finding network ${config.network}`, () => clients.networks.get({ project, network: config.network }), missingIsInvalid).catch((error: unknown) => {
        if (error instanceof GcePortFailure && error.failure.reason === 'invalid') fail('invalid', problem('network', config.network, `no network of that name exists in project ${project}; create it or fix the name`));
        throw error;
      });
    }
    if (config.subnet !== undefined && !config.subnet.includes('projects/')) {
      await gce(`finding subnetwork ${config.subnet}`, () => clients.subnetworks.get({ project, region: inRegion, subnetwork: config.subnet! }), missingIsInvalid).catch((error: unknown) => {
        if (error instanceof GcePortFailure && error.failure.reason === 'invalid') fail('invalid', problem('subnet', config.subnet, `no subnetwork of that name exists in ${inRegion} of project ${project}; create it or fix the name`));
        throw error;
      });
    }
  }

  async function resolveHealthCheck(config: GceClusterConfig, inRegion: string): Promise<string | undefined> {
    const healing = config.autoHealingPolicy;
    if (!healing) return undefined;
    if (healing.healthCheck.includes('projects/')) return urlOf(project, 'global/healthChecks', healing.healthCheck);
    if (healing.healthCheckKind === 'regionHealthCheck') return urlOf(project, `regions/${inRegion}/healthChecks`, healing.healthCheck);
    const [found] = await gce(`finding health check ${healing.healthCheck}`, () => clients.healthChecks.get({ project, healthCheck: healing.healthCheck }), missingIsInvalid).catch((error: unknown) => {
      if (error instanceof GcePortFailure && error.failure.reason === 'invalid') fail('invalid', problem('autoHealingPolicy.healthCheck', healing.healthCheck, `no health check of that name exists in project ${project}; create it or fix the name`));
      throw error;
    });
    return found.selfLink ?? urlOf(project, 'global/healthChecks', healing.healthCheck);
  }

  // -------------------------------------------------------------------------------------------
  // Create: clone

  /**
   * A cluster entry with the source server group's settings (clouddriver's
   * CopyLastGoogleServerGroupAtomicOperation): its template's machine type, disks, network,
   * metadata, labels, tags, service account and scheduling, its load balancers and policies from
   * the metadata, its MIG's zone or distribution policy and auto-healing. The stage's own fields
   * override these; its artifact replaces the image.
   */
  async function sourceFields(source: ServerGroupRef): Promise<{ fields: Record<string, unknown>; image?: string; capacity: Capacity }> {
    checkAccount(source.account);
    const found = await findMig(source.serverGroup, source.location);
    if (!found) fail('not-found', `source server group ${source.serverGroup} does not exist in ${source.account}/${source.location}`);
    const [group] = await view([found]);
    const template = group!.template;
    if (!template?.properties) fail('failed', `source server group ${source.serverGroup} has no readable instance template (${lastSegment(found.mig.instanceTemplate)}); clone another server group or deploy afresh`);
    const properties = template.properties;
    const metadata = metadataOf(template);
    const own = new Set<string>(Object.values(SPINNAKER_METADATA_KEYS));
    const membership = group!.membership;
    const backendServices: Record<string, string[]> = {};
    for (const balancer of membership.global) backendServices[balancer] = [...membership.backendServices];
    const network = properties.networkInterfaces?.[0];
    const boot = properties.disks?.find((disk) => disk.boot) ?? properties.disks?.[0];
    const fields: Record<string, unknown> = {
      instanceType: lastSegment(properties.machineType),
      ...(properties.minCpuPlatform ? { minCpuPlatform: properties.minCpuPlatform } : {}),
      disks: (properties.disks ?? []).map((disk) => ({
        type: disk.type === 'SCRATCH' ? 'local-ssd' : lastSegment(disk.initializeParams?.diskType) || 'pd-standard',
        ...(numberOf(disk.initializeParams?.diskSizeGb) !== undefined ? { sizeGb: numberOf(disk.initializeParams?.diskSizeGb) } : {}),
        autoDelete: disk.autoDelete ?? true,
        ...(!disk.boot && disk.initializeParams?.sourceImage ? { sourceImage: disk.initializeParams.sourceImage } : {}),
      })),
      network: network?.network ? lastSegment(network.network) : 'default',
      ...(network?.subnetwork ? { subnet: lastSegment(network.subnetwork) } : {}),
      associatePublicIpAddress: (network?.accessConfigs ?? []).length > 0,
      canIpForward: properties.canIpForward ?? false,
      loadBalancers: [...membership.global, ...membership.regional],
      backendServices,
      ...(membership.policy ? { loadBalancingPolicy: membership.policy } : {}),
      ...(membership.autoscaling ? { autoscalingPolicy: membership.autoscaling } : group!.autoscaler?.autoscalingPolicy ? { autoscalingPolicy: group!.autoscaler.autoscalingPolicy } : {}),
      ...(found.mig.autoHealingPolicies?.[0]?.healthCheck
        ? { autoHealingPolicy: { healthCheck: lastSegment(found.mig.autoHealingPolicies[0].healthCheck), ...(found.mig.autoHealingPolicies[0].initialDelaySec != null ? { initialDelaySec: found.mig.autoHealingPolicies[0].initialDelaySec } : {}) } }
        : {}),
      ...(properties.serviceAccounts?.[0] ? { serviceAccountEmail: properties.serviceAccounts[0].email ?? 'default', authScopes: properties.serviceAccounts[0].scopes ?? [] } : {}),
      preemptible: properties.scheduling?.preemptible ?? false,
      automaticRestart: properties.scheduling?.automaticRestart ?? true,
      onHostMaintenance: properties.scheduling?.onHostMaintenance ?? 'MIGRATE',
      instanceMetadata: Object.fromEntries(Object.entries(metadata).filter(([key]) => !own.has(key))),
      labels: Object.fromEntries(Object.entries(properties.labels ?? {}).filter(([key]) => !key.startsWith('spinnaker-'))),
      tags: properties.tags?.items ?? [],
      ...(found.scope.zone
        ? { zone: found.scope.zone, regional: false }
        : { regional: true, distributionPolicy: { zones: (found.mig.distributionPolicy?.zones ?? []).map((zone) => lastSegment(zone.zone)), ...(found.mig.distributionPolicy?.targetShape ? { targetShape: found.mig.distributionPolicy.targetShape } : {}) } }),
    };
    const image = boot?.initializeParams?.sourceImage ?? undefined;
    return { fields, ...(image ? { image } : {}), capacity: capacityOf(group!) };
  }

  /** The stage's own fields: those it sets (not null, not blank). */
  function setFields(provider: Readonly<Record<string, unknown>>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(provider).filter(([, value]) => value !== undefined && value !== null && value !== ''));
  }

  // -------------------------------------------------------------------------------------------
  // Create

  /** This server group's template made by the same owner (a create that stopped after the template). */
  async function ownTemplate(name: string, owner: OwnerToken): Promise<InstanceTemplate | undefined> {
    const [templates] = await gce(`listing the instance templates of ${name}`, () => clients.instanceTemplates.list({ project, filter: `name eq ${name}-[0-9]{8}` }));
    return templates.filter((template) => isTemplateOf(name, template.name) && ownerOf(template.description) === ownerValue(owner)).sort((a, b) => (b.name ?? '').localeCompare(a.name ?? ''))[0];
  }

  /** Inserts the template and answers its name: the first delivery's, when this step's request id joins its operation. */
  async function insertTemplate(body: InstanceTemplate, owner: OwnerToken, serverGroup: string): Promise<string> {
    const name = body.name ?? '';
    const requestId = requestIdFor(owner, 'instance-template', serverGroup);
    const started = await gce(`creating instance template ${name}`, () => clients.instanceTemplates.insert({ project, requestId, instanceTemplateResource: body })).catch((error: unknown) => {
      // Two deliveries of one step within the same millisecond: the other made it.
      if (error instanceof GcePortFailure && error.failure.reason === 'already-exists') return undefined;
      throw error;
    });
    if (!started) return name;
    // What the template names and GCE does not find (an image given by URL) is the deploy's input's fault.
    const done = await settle(started, `creating instance template ${name}`, { override: missingIsInvalid });
    return lastSegment(done.targetLink) || name;
  }

  async function deleteTemplate(name: string): Promise<void> {
    templates.delete(`${project}/${name}`);
    const started = await maybe(`deleting instance template ${name}`, () => clients.instanceTemplates.delete({ project, instanceTemplate: name }));
    if (started) await settle(started, `deleting instance template ${name}`, { final: true });
  }

  async function insertGroup(config: GceClusterConfig, body: InstanceGroupManager, inRegion: string): Promise<Compute> {
    const what = `creating managed instance group ${body.name} in ${config.zone ? `zone ${config.zone}` : `region ${inRegion}`}`;
    const started = await gce(what, () =>
      config.zone
        ? clients.instanceGroupManagers.insert({ project, zone: config.zone, instanceGroupManagerResource: body })
        : clients.regionInstanceGroupManagers.insert({ project, region: inRegion, instanceGroupManagerResource: body }),
    );
    return settle(started, what);
  }

  /** Waits (bounded) for an insert of the MIG still running, when there is one: the name is taken before the MIG can be read. */
  async function awaitInsertOf(config: GceClusterConfig, name: string): Promise<void> {
    const filter = `targetLink eq .*/instanceGroupManagers/${name}`;
    const [operations] = config.zone
      ? await gce(`finding the operations on ${name}`, () => clients.zoneOperations.list({ project, zone: config.zone, filter }))
      : await gce(`finding the operations on ${name}`, () => clients.regionOperations.list({ project, region, filter }));
    const running = operations.find((operation) => operation.operationType === 'insert' && operation.status !== 'DONE' && lastSegment(operation.targetLink) === name);
    // Its error, if it ends with one, is the other delivery's to report: this one reads the MIG.
    if (running) await settle(running, `creating managed instance group ${name}`).catch((error: unknown) => {
      if (error instanceof GcePortFailure && error.failure.reason === 'unavailable') throw error;
    });
  }

  async function ensureAutoscaler(view: MigView, policy: Record<string, unknown> | undefined, disabled: boolean, owner: OwnerToken): Promise<void> {
    if (!policy) return;
    if (await getAutoscaler(view)) return;
    const resource: Autoscaler = {
      name: view.name,
      target: view.mig.selfLink ?? urlOf(project, view.scope.zone ? `zones/${view.scope.zone}/instanceGroupManagers` : `regions/${view.scope.region}/instanceGroupManagers`, view.name),
      // A server group made out of traffic does not scale until it is enabled (as a disable leaves it).
      autoscalingPolicy: { ...(policy as protos.google.cloud.compute.v1.IAutoscalingPolicy), ...(disabled ? { mode: 'OFF' } : {}) },
    };
    const what = `creating the autoscaler of ${view.name}`;
    // Another delivery of this step inserting it at the same time joins the same operation.
    const requestId = requestIdFor(owner, 'autoscaler', view.name);
    const started = await gce(what, () =>
      view.scope.zone
        ? clients.autoscalers.insert({ project, zone: view.scope.zone, requestId, autoscalerResource: resource })
        : clients.regionAutoscalers.insert({ project, region: view.scope.region, requestId, autoscalerResource: resource }),
    ).catch((error: unknown) => {
      if (error instanceof GcePortFailure && error.failure.reason === 'already-exists') return undefined;
      throw error;
    });
    if (started) await settle(started, what);
  }

  async function createNow(request: CreateServerGroupRequest): Promise<OperationResult> {
    checkLocation(request.location, request.account);
    const capacityText = capacityProblem(request.capacity);
    if (capacityText) return { ok: false, reason: 'invalid', message: capacityText };
    if (request.artifact && request.artifact.type !== GCE_IMAGE_ARTIFACT) {
      return { ok: false, reason: 'unsupported', message: `artifact type '${request.artifact.type}' cannot run on GCE; deploy a ${GCE_IMAGE_ARTIFACT} (an image from a bake or findImage stage)` };
    }
    const parsedName = parseServerGroupName(request.name);
    if (!parsedName || parsedName.cluster !== request.cluster || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(request.name)) {
      return { ok: false, reason: 'invalid', message: `server group name '${request.name}' is not a GCE-valid Frigga name of cluster '${request.cluster}' (${request.cluster}-vNNN, lower-case letters, digits and '-')` };
    }
    if (request.name.length + 9 > MAX_TEMPLATE_NAME) {
      return { ok: false, reason: 'invalid', message: `server group name '${request.name}' is ${request.name.length} characters; its instance template '<name>-NNNNNNNN' must fit in ${MAX_TEMPLATE_NAME}, so shorten the application, stack or detail` };
    }
    let provider = request.provider;
    let sourceImage: string | undefined;
    if (request.source) {
      const source = await sourceFields(request.source);
      provider = { ...source.fields, ...setFields(request.provider) };
      sourceImage = source.image;
    }
    const parsed = parseGceClusterConfig(provider, region);
    if (!parsed.ok) return { ok: false, reason: parsed.reason, message: parsed.message };
    const config = parsed.config;
    const disabled = request.disabled === true || config.disableTraffic;

    const existing = await findMig(request.name);
    if (existing) return adopt(existing, request, config, disabled);

    // Everything the group needs, resolved before the first side effect.
    const imageUrl = request.artifact || !sourceImage ? await resolveImage(request, config) : sourceImage;
    await resolveNetwork(config, region);
    const { membership, targetPools } = await resolveBalancers(config, region);
    const healthCheckUrl = await resolveHealthCheck(config, region);
    const autoscaling = autoscalingPolicyFor(config, request.capacity);

    // A create that stopped after its template finds it again: never a second one.
    let template = await ownTemplate(request.name, request.owner);
    if (!template) {
      const body = instanceTemplateBody(templateNameFor(request.name, clock.now()), config, { project, region, serverGroup: request.name, owner: request.owner, imageUrl, membership, ...(autoscaling ? { autoscaling } : {}) });
      template = { ...body, name: await insertTemplate(body, request.owner, request.name), selfLink: null };
    }
    const templateName = template.name ?? '';
    const templateUrl = template.selfLink ?? urlOf(project, 'global/instanceTemplates', templateName);
    const body = instanceGroupManagerBody(config, { project, region, serverGroup: request.name, owner: request.owner, templateUrl, targetSize: request.capacity.desired, targetPools: disabled ? [] : targetPools, ...(healthCheckUrl ? { healthCheckUrl } : {}) });
    let inserted: Compute;
    try {
      inserted = await insertGroup(config, body, region);
    } catch (error) {
      if (!(error instanceof GcePortFailure)) throw error;
      if (error.failure.reason === 'already-exists') {
        // Another delivery of this step is making it (or made it): its insert is waited on, then the MIG read.
        await awaitInsertOf(config, request.name);
        const raced = await findMig(request.name);
        if (raced) {
          const adopted = await adopt(raced, request, config, disabled);
          // The twin delivery's group uses its own template: this one's goes.
          if (adopted.ok && !sameResource(raced.mig.instanceTemplate, templateUrl)) await deleteTemplate(templateName).catch(() => undefined);
          return adopted;
        }
      }
      // Refused for good: its template goes too, so nothing else changed.
      if (error.failure.reason !== 'unavailable') await deleteTemplate(templateName).catch(() => undefined);
      return error.failure;
    }
    // The operation names the MIG it made; its instance group has the MIG's name in the same scope.
    const created: MigView = { mig: { ...body, ...(inserted.targetLink ? { selfLink: inserted.targetLink } : {}) }, name: request.name, scope: { region, ...(config.zone ? { zone: config.zone } : {}) } };
    await ensureAutoscaler(created, autoscaling, disabled, request.owner);
    if (!disabled) await joinBackends(created, membership.backendServices, effectivePolicy(config, membership), request.owner);
    return DONE;
  }

  /** The same step's group found again: finish what the first delivery may not have (autoscaler, backends). */
  async function adopt(existing: MigView, request: CreateServerGroupRequest, config: GceClusterConfig, disabled: boolean): Promise<OperationResult> {
    const owner = ownerOf(existing.mig.description);
    if (owner !== ownerValue(request.owner)) {
      const whose = owner ? 'was created by another step' : 'was made elsewhere (no owner)';
      return { ok: false, reason: 'already-exists', message: `server group ${request.name} already exists in ${account}/${region} (${scopeText(existing.scope)}) and ${whose}; server groups are immutable, create the next version` };
    }
    const template = await getTemplate(existing.mig.instanceTemplate);
    const membership = membershipOf(template);
    await ensureAutoscaler(existing, autoscalingPolicyFor(config, request.capacity), disabled, request.owner);
    if (!disabled) await joinBackends(existing, membership.backendServices, membership.policy ?? effectivePolicy(config, membership), request.owner);
    return ALREADY_DONE;
  }

  // -------------------------------------------------------------------------------------------
  // Backend services: read-modify-write with the fingerprint

  /**
   * Changes one backend service's backends: `change` answers the new list, or undefined when
   * nothing needs to change. The whole resource goes back with the fingerprint it was read with
   * (`backendServices.update`); a 412 (someone wrote in between) reads it again. Answers whether
   * it changed. A backend service that is gone counts as changed nothing.
   */
  async function updateBackends(service: string, owner: OwnerToken, purpose: string, change: (backends: readonly Backend[]) => Backend[] | undefined): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const read = await maybe(`reading backend service ${service}`, () => clients.backendServices.get({ project, backendService: service }));
      const resource = read?.[0];
      if (!resource) return false;
      const next = change(resource.backends ?? []);
      if (!next) return false;
      const what = `updating the backends of backend service ${service}`;
      try {
        // The same step asking again before its update is applied reads the same fingerprint: its request id joins that update.
        const requestId = requestIdFor(owner, purpose, `${service}\n${resource.fingerprint ?? ''}`);
        const started = await gce(what, () => clients.backendServices.update({ project, backendService: service, requestId, backendServiceResource: { ...resource, backends: next } }));
        await settle(started, what);
        return true;
      } catch (error) {
        const conflict = error instanceof GcePortFailure && (statusOf(error.failure.cause) === 412 || (error.failure.cause as OperationView | undefined)?.httpErrorStatusCode === 412);
        if (!conflict) throw error;
        if (attempt >= fingerprintAttempts) {
          fail('failed', `${what} failed: it changed under every one of ${fingerprintAttempts} read-modify-writes (GCE 412 conditionNotMet, a stale fingerprint); another deploy is writing it, try again when it is done`, (error as GcePortFailure).failure.cause);
        }
      }
    }
  }

  async function joinBackends(view: MigView, services: readonly string[], policy: LoadBalancingPolicy | undefined, owner: OwnerToken): Promise<boolean> {
    let changed = false;
    const group = groupUrlOf(view);
    for (const service of services) {
      const joined = await updateBackends(service, owner, `join ${view.name}`, (backends) => {
        if (backends.some(isBackendOf(view))) return undefined;
        // Deduplicated by group, as clouddriver does.
        return [...backends.filter((backend) => !sameResource(backend.group, group)), backendFor(group, policy ?? { balancingMode: 'UTILIZATION', maxUtilization: 0.8, capacityScaler: 1, namedPorts: [] })];
      });
      changed ||= joined;
    }
    return changed;
  }

  async function leaveBackends(view: MigView, services: readonly string[], owner: OwnerToken): Promise<boolean> {
    let changed = false;
    for (const service of services) {
      const left = await updateBackends(service, owner, `leave ${view.name}`, (backends) => (backends.some(isBackendOf(view)) ? backends.filter((backend) => !isBackendOf(view)(backend)) : undefined));
      changed ||= left;
    }
    return changed;
  }

  // -------------------------------------------------------------------------------------------
  // Target pools and the autoscaler

  /**
   * Network load balancers: the MIG's own target pools first (a MIG keeps its instances in the
   * pools it names, so disable empties the list and enable restores it, as clouddriver's
   * setTargetPools does), then the instances themselves (`removeInstance` of those named after the
   * server group, `addInstance` of its current ones).
   */
  async function setTargetPoolMembership(group: GroupView, join: boolean): Promise<boolean> {
    let changed = false;
    const pools: string[] = [];
    for (const balancer of group.membership.regional) {
      const url = await targetPoolOf(balancer, group.scope.region);
      if (url) pools.push(url);
    }
    const current = group.mig.targetPools ?? [];
    const wanted = join ? pools : [];
    if (group.membership.regional.length > 0 && (current.length !== wanted.length || !wanted.every((pool) => current.some((have) => sameResource(have, pool))))) {
      const what = `setting the target pools of ${group.name} to [${wanted.map(lastSegment).join(', ')}]`;
      const resource = { targetPools: wanted };
      const started = await gce(what, () =>
        group.scope.zone
          ? clients.instanceGroupManagers.setTargetPools({ project, zone: group.scope.zone, instanceGroupManager: group.name, instanceGroupManagersSetTargetPoolsRequestResource: resource })
          : clients.regionInstanceGroupManagers.setTargetPools({ project, region: group.scope.region, instanceGroupManager: group.name, regionInstanceGroupManagersSetTargetPoolsRequestResource: resource }),
      );
      await settle(started, what);
      changed = true;
    }
    for (const url of pools) {
      const poolName = lastSegment(url);
      const [pool] = await gce(`reading target pool ${poolName}`, () => clients.targetPools.get({ project, region: group.scope.region, targetPool: poolName }));
      const members = pool.instances ?? [];
      // clouddriver removes the instances named after the server group; it adds the group's current ones.
      const instances = join
        ? group.instances
            // Only instances that exist already: one the MIG is still creating joins the pool through the MIG's own target pools.
            .filter((instance) => !!instance.instanceStatus && instance.currentAction !== 'DELETING' && instance.currentAction !== 'ABANDONING')
            .map((instance) => instance.instance ?? '')
            .filter((instance) => instance !== '' && !members.some((member) => sameResource(member, instance)))
        : members.filter((member) => lastSegment(member).startsWith(`${group.name}-`));
      if (instances.length === 0) continue;
      const what = `${join ? 'adding' : 'removing'} ${instances.length} instance(s) of ${group.name} ${join ? 'to' : 'from'} target pool ${poolName}`;
      const resource = { instances: instances.map((instance) => ({ instance })) };
      const started = await gce(what, () =>
        join
          ? clients.targetPools.addInstance({ project, region: group.scope.region, targetPool: poolName, targetPoolsAddInstanceRequestResource: resource })
          : clients.targetPools.removeInstance({ project, region: group.scope.region, targetPool: poolName, targetPoolsRemoveInstanceRequestResource: resource }),
      ).catch((error: unknown) => {
        // An instance gone meanwhile (clouddriver counts a 404 as done).
        if (error instanceof GcePortFailure && error.failure.reason === 'not-found') return undefined;
        throw error;
      });
      if (!started) continue;
      await settle(started, what);
      changed = true;
    }
    return changed;
  }

  async function setAutoscalerMode(group: GroupView, mode: string): Promise<boolean> {
    const autoscaler = group.autoscaler;
    if (!autoscaler || (autoscaler.autoscalingPolicy?.mode ?? 'ON') === mode) return false;
    const resource: Autoscaler = { ...autoscaler, autoscalingPolicy: { ...autoscaler.autoscalingPolicy, mode } };
    const what = `setting the autoscaler of ${group.name} to ${mode}`;
    const started = await gce(what, () =>
      group.scope.zone
        ? clients.autoscalers.update({ project, zone: group.scope.zone, autoscaler: group.name, autoscalerResource: resource })
        : clients.regionAutoscalers.update({ project, region: group.scope.region, autoscaler: group.name, autoscalerResource: resource }),
    );
    await settle(started, what);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Traffic

  async function liveGroup(ref: ServerGroupRef): Promise<GroupView> {
    checkLocation(ref.location, ref.account);
    const found = await findMig(ref.serverGroup);
    if (!found) fail('not-found', `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}`);
    return (await view([found]))[0]!;
  }

  async function disableNow(ref: ServerGroupRef, disableOptions: DisableOptions): Promise<OperationResult> {
    const percentage = disableOptions.desiredPercentage;
    if (percentage !== undefined && !(Number.isFinite(percentage) && percentage >= 0 && percentage <= 100)) {
      return { ok: false, reason: 'invalid', message: `desiredPercentage ${percentage} must be between 0 and 100` };
    }
    if (percentage !== undefined && percentage < 100) {
      return { ok: false, reason: 'unsupported', message: `GCE takes whole managed instance groups in and out of backend services (as Spinnaker does), so desiredPercentage ${percentage} cannot disable part of ${ref.serverGroup}; disable all of it` };
    }
    const group = await liveGroup(ref);
    // clouddriver's order: the autoscaler stops first, so it does not scale what leaves traffic.
    const stopped = await setAutoscalerMode(group, 'OFF');
    const left = await leaveBackends(group, group.membership.backendServices, disableOptions.owner);
    const unpooled = await setTargetPoolMembership(group, false);
    return stopped || left || unpooled ? DONE : ALREADY_DONE;
  }

  async function enableNow(ref: ServerGroupRef, owner: OwnerToken): Promise<OperationResult> {
    const group = await liveGroup(ref);
    // The mode the deploy asked for, from the template's metadata (ON when it says none).
    const mode = typeof group.membership.autoscaling?.['mode'] === 'string' ? (group.membership.autoscaling['mode'] as string) : 'ON';
    const started = await setAutoscalerMode(group, mode);
    const joined = await joinBackends(group, group.membership.backendServices, group.membership.policy, owner);
    const pooled = await setTargetPoolMembership(group, true);
    return started || joined || pooled ? DONE : ALREADY_DONE;
  }

  // -------------------------------------------------------------------------------------------
  // Resize, destroy

  async function resizeNow(ref: ServerGroupRef, capacity: Capacity): Promise<OperationResult> {
    checkLocation(ref.location, ref.account);
    const problemText = capacityProblem(capacity);
    if (problemText) return { ok: false, reason: 'invalid', message: problemText };
    const found = await findMig(ref.serverGroup);
    if (!found) return { ok: false, reason: 'not-found', message: `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}` };
    let changed = false;
    const autoscaler = await getAutoscaler(found);
    const policy = autoscaler?.autoscalingPolicy;
    if (autoscaler && policy && (numberOf(policy.minNumReplicas) !== capacity.min || numberOf(policy.maxNumReplicas) !== capacity.max)) {
      const resource: Autoscaler = { ...autoscaler, autoscalingPolicy: { ...policy, minNumReplicas: capacity.min, maxNumReplicas: capacity.max } };
      const what = `setting the bounds of ${ref.serverGroup}'s autoscaler to ${capacity.min}-${capacity.max}`;
      const started = await gce(what, () =>
        found.scope.zone
          ? clients.autoscalers.update({ project, zone: found.scope.zone, autoscaler: found.name, autoscalerResource: resource })
          : clients.regionAutoscalers.update({ project, region: found.scope.region, autoscaler: found.name, autoscalerResource: resource }),
      );
      await settle(started, what);
      changed = true;
    }
    if (numberOf(found.mig.targetSize) !== capacity.desired) {
      const what = `resizing ${ref.serverGroup} to ${capacity.desired}`;
      const started = await gce(what, () =>
        found.scope.zone
          ? clients.instanceGroupManagers.resize({ project, zone: found.scope.zone, instanceGroupManager: found.name, size: capacity.desired })
          : clients.regionInstanceGroupManagers.resize({ project, region: found.scope.region, instanceGroupManager: found.name, size: capacity.desired }),
      );
      await settle(started, what, { final: true });
      changed = true;
    }
    return changed ? DONE : ALREADY_DONE;
  }

  async function destroyNow(ref: ServerGroupRef, owner: OwnerToken): Promise<OperationResult> {
    checkLocation(ref.location, ref.account);
    const key = `${ref.account}/${ref.location}/${ref.serverGroup}`;
    const found = await findMig(ref.serverGroup);
    if (!found) {
      if (destroyedBy.get(key) !== owner) return { ok: false, reason: 'not-found', message: `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}` };
      // The MIG is gone: its template, which GCE refused to delete while the MIG used it, goes now.
      const [templates] = await gce(`listing the instance templates of ${ref.serverGroup}`, () => clients.instanceTemplates.list({ project, filter: `name eq ${ref.serverGroup}-[0-9]{8}` }));
      for (const template of templates) if (isTemplateOf(ref.serverGroup, template.name) && ownerOf(template.description) !== undefined) await deleteTemplate(template.name!).catch(ignoreUnlessUnavailable);
      return ALREADY_DONE;
    }
    if (destroyedBy.get(key) === owner) return ALREADY_DONE;
    const template = await getTemplate(found.mig.instanceTemplate);
    const membership = membershipOf(template);
    // clouddriver's order (DestroyGoogleServerGroupAtomicOperation): autoscaler, backends, MIG, template.
    const autoscaler = await getAutoscaler(found);
    if (autoscaler) {
      const what = `deleting the autoscaler of ${found.name}`;
      const started = await maybe(what, () =>
        found.scope.zone ? clients.autoscalers.delete({ project, zone: found.scope.zone, autoscaler: found.name }) : clients.regionAutoscalers.delete({ project, region: found.scope.region, autoscaler: found.name }),
      );
      if (started) await settle(started, what);
    }
    await leaveBackends(found, membership.backendServices, owner);
    const what = `deleting managed instance group ${found.name}`;
    const started = await maybe(what, () =>
      found.scope.zone
        ? clients.instanceGroupManagers.delete({ project, zone: found.scope.zone, instanceGroupManager: found.name })
        : clients.regionInstanceGroupManagers.delete({ project, region: found.scope.region, instanceGroupManager: found.name }),
    );
    destroyedBy.set(key, owner);
    const deleted = started ? await settle(started, what, { final: true }) : { status: 'DONE' };
    // Its template goes once the MIG is gone (GCE refuses to delete a template in use); only one named after the group.
    if (deleted.status === 'DONE' && template?.name && isTemplateOf(found.name, template.name)) await deleteTemplate(template.name).catch(ignoreUnlessUnavailable);
    return DONE;
  }

  /** A template GCE will not delete yet (still in use while the MIG's instances go) is left for the next destroy of the same step. */
  function ignoreUnlessUnavailable(error: unknown): void {
    if (error instanceof GcePortFailure && error.failure.reason !== 'unavailable') return;
    throw error;
  }

  // -------------------------------------------------------------------------------------------
  // Checks at save

  /**
   * What a cluster entry names, looked up in this account and region without changing anything:
   * its image (when named), machine type, network and subnetwork, backend services and load
   * balancers, and auto-healing health check. A lookup GCE cannot answer now makes the whole
   * answer a failure when nothing else was found.
   */
  async function checkClusterNow(request: ClusterCheckRequest): Promise<ClusterCheckResult> {
    checkLocation(request.location, request.account);
    const parsed = parseGceClusterConfig(request.provider, region);
    if (!parsed.ok) return { ok: true, issues: [] };
    const config = parsed.config;
    const issues: ClusterFieldIssue[] = [];
    let unanswered: PortFailure | undefined;
    const look = async (path: readonly (string | number)[], run: () => Promise<unknown>): Promise<void> => {
      try {
        await run();
      } catch (error) {
        if (!(error instanceof GcePortFailure)) throw error;
        if (error.failure.reason === 'invalid') issues.push({ path, code: 'resource-not-found', message: error.failure.message, severity: 'error', value: request.provider[String(path[0])] });
        else unanswered ??= error.failure;
      }
    };
    if (config.image !== undefined) await look(['image'], () => resolveImage({}, config));
    await look(['instanceType'], () => checkMachineType(config));
    await look([config.subnet !== undefined ? 'subnet' : 'network'], () => resolveNetwork(config, region));
    await look(['loadBalancers'], () => resolveBalancers(config, region));
    if (config.autoHealingPolicy) await look(['autoHealingPolicy'], () => resolveHealthCheck(config, region));
    if (issues.length === 0 && unanswered) return { ...unanswered, message: unanswered.message.replace(/; it will be tried again$/, '') };
    return { ok: true, issues };
  }

  async function checkMachineType(config: GceClusterConfig): Promise<void> {
    const zone = config.zone ?? config.zones[0] ?? (await zonesOf(region))[0];
    if (!zone) return;
    await gce(`finding machine type ${config.instanceType}`, () => clients.machineTypes.get({ project, zone, machineType: config.instanceType }), missingIsInvalid).catch((error: unknown) => {
      if (error instanceof GcePortFailure && error.failure.reason === 'invalid') fail('invalid', problem('instanceType', config.instanceType, `GCE offers no such machine type in ${zone}; use one it offers, e.g. "e2-medium" or "n1-standard-1"`));
      throw error;
    });
  }

  // -------------------------------------------------------------------------------------------
  // The ports

  // -------------------------------------------------------------------------------------------
  // Weighted mode: backends' capacityScaler

  /** The backends a backend service may hold by default (Compute's quota): how many server groups can hold a weight. */
  const MAX_BACKENDS = 50;

  function weightsProblem(weights: TrafficWeights): PortFailure | undefined {
    const entries = Object.entries(weights);
    for (const [name, weight] of entries) {
      if (!(Number.isInteger(weight) && weight >= 0 && weight <= 100)) return { ok: false, reason: 'invalid', message: `traffic weight ${weight} for ${name} must be a whole percentage between 0 and 100` };
      if (weight > 0 && weight < 10) return { ok: false, reason: 'invalid', message: `traffic weight ${weight} for ${name} cannot be set: a backend's capacityScaler is 0 or 0.1 to 1.0, so give it 0 or at least 10` };
    }
    const sum = entries.reduce((total, [, weight]) => total + weight, 0);
    if (entries.length > 0 && sum !== 100) return { ok: false, reason: 'invalid', message: `traffic weights ${JSON.stringify(weights)} add up to ${sum}, expected 100` };
    return undefined;
  }

  /** The cluster's groups with the backend services they declare. */
  async function clusterGroups(ref: ClusterRef): Promise<{ groups: MigView[]; services: string[]; policies: Map<string, number> }> {
    checkLocation(ref.location, ref.account);
    const groups = (await listMigs(region, `${ref.cluster}-`)).filter((candidate) => parseServerGroupName(candidate.name)?.cluster === ref.cluster);
    const services = new Set<string>();
    const policies = new Map<string, number>();
    for (const group of groups) {
      const membership = membershipOf(await getTemplate(group.mig.instanceTemplate));
      for (const service of membership.backendServices) services.add(service);
      policies.set(group.name, numberOf(membership.policy?.capacityScaler) ?? 1);
    }
    return { groups, services: [...services], policies };
  }

  async function setWeightsNow(ref: ClusterRef, weights: TrafficWeights, owner: OwnerToken): Promise<OperationResult> {
    if (!weightedMode) return { ok: false, reason: 'unsupported', message: unsupportedWeights };
    const invalid = weightsProblem(weights);
    if (invalid) return invalid;
    const { groups, services, policies } = await clusterGroups(ref);
    for (const name of Object.keys(weights)) {
      if (!groups.some((group) => group.name === name)) return { ok: false, reason: 'not-found', message: `server group ${name} is not in cluster ${ref.cluster} (${ref.account}/${ref.location})` };
    }
    const explicit = Object.keys(weights).length > 0;
    // {}: each backend back to its own policy's capacityScaler (the default split).
    const scalerOf = (name: string) => (explicit ? (weights[name] ?? 0) / 100 : (policies.get(name) ?? 1));
    let changed = false;
    for (const service of services) {
      const updated = await updateBackends(service, owner, `weights ${JSON.stringify(weights)}`, (backends) => {
        let differs = false;
        const next = backends.map((backend) => {
          const name = lastSegment(backend.group);
          if (!policies.has(name)) return backend;
          const scaler = scalerOf(name);
          if (Math.abs((numberOf(backend.capacityScaler) ?? 1) - scaler) < 1e-9) return backend;
          differs = true;
          return { ...backend, capacityScaler: scaler };
        });
        return differs ? next : undefined;
      });
      changed ||= updated;
    }
    return changed ? DONE : ALREADY_DONE;
  }

  async function verifyWeightsNow(ref: ClusterRef, weights: TrafficWeights): Promise<VerifyWeightsResult> {
    if (!weightedMode) return { ok: false, reason: 'unsupported', message: unsupportedWeights };
    const { services, policies } = await clusterGroups(ref);
    const scalers = new Map<string, number>();
    for (const service of services) {
      const read = await maybe(`reading backend service ${service}`, () => clients.backendServices.get({ project, backendService: service }));
      for (const backend of read?.[0]?.backends ?? []) {
        const name = lastSegment(backend.group);
        if (policies.has(name) && !scalers.has(name)) scalers.set(name, numberOf(backend.capacityScaler) ?? 1);
      }
    }
    // Every backend at its own policy's scaler is the default split: no weights held.
    const byDefault = [...scalers].every(([name, scaler]) => Math.abs(scaler - (policies.get(name) ?? 1)) < 1e-9);
    const actual: Record<string, number> = {};
    if (!byDefault) for (const [name, scaler] of scalers) if (scaler > 0) actual[name] = Math.round(scaler * 100);
    const normalized = (map: TrafficWeights) => JSON.stringify(Object.entries(map).filter(([, weight]) => weight !== 0).sort(([a], [b]) => a.localeCompare(b)));
    return { ok: true, matches: normalized(actual) === normalized(weights), actual };
  }

  const capabilities: TrafficCapabilities = weightedMode
    ? { weights: true, maxWeightedServerGroups: MAX_BACKENDS, partialDisable: false, drains: false }
    : { weights: false, maxWeightedServerGroups: 0, partialDisable: false, drains: false };

  const serverGroups: ServerGroupPort = {
    capabilities: { resize: true, artifactTypes: [GCE_IMAGE_ARTIFACT], imageFromProviderFields: true, clone: true },
    create: (request) => owned(request.owner, () => createNow(request)),
    resize: (ref, capacity, sideEffect) => owned(sideEffect.owner, () => resizeNow(ref, capacity)),
    destroy: (ref, sideEffect) => owned(sideEffect.owner, () => destroyNow(ref, sideEffect.owner)),
    describeCluster: (ref) => answer(() => describeClusterNow(ref)),
    checkCluster: (request) => answer(() => checkClusterNow(request)),
  };

  const unsupportedWeights = `account '${account}' (GCE) takes whole server groups in and out of its backend services, as Spinnaker does: there are no traffic weights; turn weighted mode (capacityScaler) on for the account`;
  const traffic: TrafficPort = {
    capabilities,
    enable: (ref, sideEffect) => owned(sideEffect.owner, () => enableNow(ref, sideEffect.owner)),
    disable: (ref, disableOptions) => owned(disableOptions.owner, () => disableNow(ref, disableOptions)),
    setWeights: (ref, weights, sideEffect) => owned(sideEffect.owner, () => setWeightsNow(ref, weights, sideEffect.owner)),
    verifyWeights: (ref, weights) => answer(() => verifyWeightsNow(ref, weights)),
  };

  return { cloudProvider: 'gce', serverGroups, traffic };
}

export interface GceAccountTargetOptions extends Omit<GceTargetOptions, 'region' | 'clients' | 'zones'> {
  /** The regions the account deploys to. */
  readonly regions: readonly string[];
  /** The account's clients; absent: made from `clientOptions`, once for every region. */
  readonly clients?: GceClients;
  /** How to reach Compute Engine when `clients` is absent (clients.ts). */
  readonly clientOptions?: GceClientOptions;
  /** The zones of each region, when known (else read once with `regions.get`). */
  readonly zones?: Readonly<Record<string, readonly string[]>>;
}

/** The target of one GCE account across its regions: one client set, one target per region (made on first use). */
export function createGceAccountTarget(options: GceAccountTargetOptions): Target {
  let clients = options.clients;
  const shared = (): GceClients => (clients ??= createGceClients(options.clientOptions ?? { projectId: options.project }));
  return createRegionalTarget({
    account: options.account,
    regions: options.regions,
    cloudProvider: 'gce',
    create: (region) => {
      const { zones: byRegion, regions: _regions, clientOptions: _clientOptions, ...rest } = options;
      const zones = byRegion?.[region];
      return createGceTarget({ ...rest, region, clients: shared(), ...(zones ? { zones } : {}) });
    },
  });
}
