/**
 * The state of the simulated Compute Engine and everything that changes it over simulated time:
 * operations (PENDING → RUNNING → DONE, applying their change at DONE), managed instance groups
 * and the reconciler that creates and deletes their instances, autoscaler bounds, target-pool
 * membership and load-balancer health. One clock, advanced only by `settle` at the instants
 * `nextDue` names.
 */
import { MACHINE_TYPES, PUBLIC_IMAGES, REGIONS, regionOfZone } from './catalog.ts';
import { fingerprint, instanceSuffix, numericId, operationName, type Random } from './random.ts';
import { GceError, keyOf, linkOf, localName, notFound, parseRef, sameResource, scopeLink, statusText, timestamp, type Json, type ResourceRef, type Scope } from './wire.ts';

/** How long simulated things take, in simulated ms. */
export interface GceTimings {
  /** Request → operation DONE (RUNNING at half of it). */
  readonly operationMs: number;
  /** A new instance's PROVISIONING phase; STAGING follows. */
  readonly provisioningMs: number;
  /** STAGING → RUNNING. */
  readonly stagingMs: number;
  /** STOPPING → gone, for an instance a group deletes. */
  readonly stoppingMs: number;
  /** RUNNING → HEALTHY when the backend service names no health check. */
  readonly defaultHealthyMs: number;
}

/** The service account every operation names as its `user`. */
export const OPERATION_USER = 'sandbox@sandbox-project.iam.gserviceaccount.com';

/** An operation and the change it applies when it reaches DONE. */
export interface Operation {
  readonly ref: ResourceRef;
  readonly id: string;
  readonly seq: number;
  readonly operationType: string;
  readonly targetLink: string;
  readonly targetId: string;
  readonly targetKey: string;
  readonly insertTime: number;
  readonly runAt: number;
  readonly doneAt: number;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  startTime?: number;
  endTime?: number;
  error?: { status: number; code: string; message: string };
  /** The change; a GceError thrown here ends the operation DONE with that error. */
  readonly apply: () => void;
}

/** A managed instance group (zonal or regional) as the simulator keeps it. */
export interface Mig {
  readonly ref: ResourceRef;
  readonly id: string;
  readonly groupId: string;
  readonly creationTimestamp: number;
  readonly baseInstanceName: string;
  readonly description: string;
  instanceTemplate: string;
  targetSize: number;
  targetPools: string[];
  namedPorts: Json[];
  autoHealingPolicies: Json[];
  /** Zones instances are spread over (one for a zonal group). */
  readonly zones: readonly string[];
  readonly targetShape: string;
  fingerprint: string;
  /** Why the last instance creation failed (shown in `describe`). */
  lastError?: string;
}

/** One VM instance. */
export interface Instance {
  readonly ref: ResourceRef;
  readonly id: string;
  readonly migKey?: string;
  readonly template: string;
  readonly createdAt: number;
  readonly stagingAt: number;
  readonly runningAt: number;
  stoppingAt?: number;
  goneAt?: number;
  readonly networkIP: string;
  readonly json: Json;
}

/** Instance status at `now`, from its timestamps. */
export function instanceStatus(instance: Instance, now: number): 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' {
  if (instance.stoppingAt !== undefined && now >= instance.stoppingAt) return 'STOPPING';
  if (now >= instance.runningAt) return 'RUNNING';
  if (now >= instance.stagingAt) return 'STAGING';
  return 'PROVISIONING';
}

/** One change of the instances a backend service sends traffic to. */
export interface TrafficRecord {
  /** Simulated time, ms since the epoch. */
  readonly at: number;
  readonly project: string;
  readonly backendService: string;
  /** `global` or `regions/<r>`. */
  readonly location: string;
  /** Instances now in a backend group with capacityScaler > 0, RUNNING and HEALTHY, by name. */
  readonly instances: readonly string[];
}

/** An injected 403 `quotaExceeded`: instances a region may hold across its groups. */
export interface Quota {
  readonly project: string;
  readonly region: string;
  readonly limit: number;
}

/** Everything the simulated Compute Engine holds. */
export class GceWorld {
  /** Plain resources stored in their wire form, keyed by `keyOf`. */
  readonly resources = new Map<string, Json>();
  readonly migs = new Map<string, Mig>();
  readonly instances = new Map<string, Instance>();
  readonly operations = new Map<string, Operation>();
  /** Names an in-flight insert holds (a second insert answers 409). */
  readonly reserved = new Set<string>();
  /** Side-door health per `<project>/<instance name>`. */
  readonly healthOverrides = new Map<string, 'HEALTHY' | 'UNHEALTHY'>();
  readonly quotas: Quota[] = [];
  /** Every change of who receives traffic, oldest first. */
  readonly trafficLog: TrafficRecord[] = [];
  private readonly lastTraffic = new Map<string, string>();
  private readonly projects = new Set<string>();
  private readonly nextIp = new Map<string, number>();
  private opSeq = 0;

  constructor(
    readonly now: () => number,
    readonly random: Random,
    readonly timings: GceTimings,
  ) {}

  // ---- projects and the fixed catalog ----

  /** Creates a project on first mention, with its auto-mode `default` network, as a new GCE project has. */
  touch(project: string): void {
    if (this.projects.has(project)) return;
    this.projects.add(project);
    if (PUBLIC_IMAGES.some((i) => i.project === project)) {
      for (const image of PUBLIC_IMAGES.filter((i) => i.project === project)) this.putImage(project, { name: image.name, family: image.family, description: image.description, diskSizeGb: image.diskSizeGb });
      return;
    }
    this.putNetwork(project, 'default', true, REGIONS.map((r) => ({ region: r.name, name: 'default', ipCidrRange: r.defaultRange })));
  }

  /** Stores an image (READY at once). */
  putImage(project: string, image: { name: string; family?: string; labels?: Record<string, string>; description?: string; diskSizeGb?: number }): Json {
    const ref = { project, scope: 'global', collection: 'images', name: image.name };
    const json: Json = {
      kind: 'compute#image',
      id: numericId(this.random),
      creationTimestamp: timestamp(this.now()),
      name: image.name,
      description: image.description ?? '',
      sourceType: 'RAW',
      status: 'READY',
      archiveSizeBytes: String((image.diskSizeGb ?? 10) * 40_000_000),
      diskSizeGb: String(image.diskSizeGb ?? 10),
      ...(image.family ? { family: image.family } : {}),
      selfLink: linkOf(ref),
      labels: { ...(image.labels ?? {}) },
      labelFingerprint: fingerprint(this.random),
      guestOsFeatures: [{ type: 'VIRTIO_SCSI_MULTIQUEUE' }, { type: 'UEFI_COMPATIBLE' }, { type: 'GVNIC' }],
      storageLocations: ['us'],
      architecture: 'X86_64',
    };
    this.resources.set(keyOf(ref), json);
    return json;
  }

  /** Stores a network and its subnetworks. */
  putNetwork(project: string, name: string, auto: boolean, subnets: readonly { region: string; name: string; ipCidrRange?: string }[]): void {
    const ref = { project, scope: 'global', collection: 'networks', name };
    const subnetLinks: string[] = [];
    for (const subnet of subnets) {
      const region = REGIONS.find((r) => r.name === subnet.region);
      if (!region) throw new Error(`seedNetwork: region '${subnet.region}' is not simulated; use one of ${REGIONS.map((r) => r.name).join(', ')}`);
      const sref = { project, scope: `regions/${subnet.region}`, collection: 'subnetworks', name: subnet.name };
      const range = subnet.ipCidrRange ?? region.defaultRange;
      const base = range.split('/')[0]!.split('.').map(Number);
      this.resources.set(keyOf(sref), {
        kind: 'compute#subnetwork',
        id: numericId(this.random),
        creationTimestamp: timestamp(this.now()),
        name: subnet.name,
        network: linkOf(ref),
        ipCidrRange: range,
        gatewayAddress: `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 1}`,
        region: scopeLink(project, sref.scope),
        selfLink: linkOf(sref),
        privateIpGoogleAccess: false,
        fingerprint: fingerprint(this.random),
        purpose: 'PRIVATE',
        stackType: 'IPV4_ONLY',
      });
      subnetLinks.push(linkOf(sref));
    }
    this.resources.set(keyOf(ref), {
      kind: 'compute#network',
      id: numericId(this.random),
      creationTimestamp: timestamp(this.now()),
      name,
      description: auto && name === 'default' ? 'Default network for the project' : '',
      selfLink: linkOf(ref),
      autoCreateSubnetworks: auto,
      subnetworks: subnetLinks,
      routingConfig: { routingMode: 'REGIONAL' },
      networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
    });
  }

  /** A fresh id. */
  id(): string {
    return numericId(this.random);
  }

  /** A fresh fingerprint. */
  fingerprint(): string {
    return fingerprint(this.random);
  }

  // ---- lookups ----

  /** A stored plain resource, or a 404 naming it. */
  get(ref: ResourceRef): Json {
    this.touch(ref.project);
    const found = this.resources.get(keyOf(ref));
    if (!found) throw notFound(ref);
    return found;
  }

  /** Plain resources of one collection and scope, in creation order. */
  list(project: string, scope: Scope, collection: string): Json[] {
    this.touch(project);
    const prefix = `${project}/${scope}/${collection}/`;
    return [...this.resources.entries()].filter(([k]) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map(([, v]) => v);
  }

  /** Whether a name is taken or held by an in-flight insert. */
  taken(ref: ResourceRef): boolean {
    const key = keyOf(ref);
    return this.resources.has(key) || this.migs.has(key) || this.reserved.has(key);
  }

  /** Resolves an image reference (a link, `global/images/x`, or an image family link) to the image, or undefined. */
  findImage(value: unknown, project: string): Json | undefined {
    if (typeof value !== 'string') return undefined;
    const family = /(?:projects\/([^/]+)\/)?global\/images\/family\/([^/?]+)$/.exec(value);
    if (family) return this.latestOfFamily(family[1] ?? project, family[2]!);
    const ref = parseRef(value, { project, collection: 'images' });
    if (!ref || ref.scope !== 'global') return undefined;
    this.touch(ref.project);
    return this.resources.get(keyOf(ref));
  }

  /** The newest non-deprecated image of a family. */
  latestOfFamily(project: string, family: string): Json | undefined {
    const matches = this.list(project, 'global', 'images').filter((i) => i['family'] === family && !(i['deprecated'] as Json | undefined));
    return matches[matches.length - 1];
  }

  /** The managed group whose instance group a link names (`…/instanceGroups/<name>` in a zone or region). */
  migOfGroup(link: string, project: string): Mig | undefined {
    const ref = parseRef(link, { project, collection: 'instanceGroups' });
    if (!ref) return undefined;
    return this.migs.get(keyOf({ ...ref, collection: 'instanceGroupManagers' }));
  }

  /** Instances a group currently has (stopping ones included), oldest first. */
  instancesOf(mig: Mig): Instance[] {
    const key = keyOf(mig.ref);
    return [...this.instances.values()].filter((i) => i.migKey === key);
  }

  /** The link of a group's instance group. */
  groupLink(mig: Mig): string {
    return linkOf({ ...mig.ref, collection: 'instanceGroups' });
  }

  // ---- operations ----

  /**
   * Starts an operation in `scope` for `target`; `apply` runs when it reaches DONE (at once when
   * operationMs is 0). A second mutation of the same resource while one is in flight answers
   * 400 `resourceNotReady`, as GCE does.
   */
  operate(project: string, scope: Scope, operationType: string, target: ResourceRef, targetId: string, apply: () => void): Json {
    const targetKey = keyOf(target);
    if ([...this.operations.values()].some((o) => o.status !== 'DONE' && o.targetKey === targetKey)) {
      throw new GceError(400, 'resourceNotReady', `The resource 'projects/${target.project}/${target.scope}/${target.collection}/${target.name}' is not ready`);
    }
    const now = this.now();
    const ref = { project, scope, collection: 'operations', name: operationName(this.random, now) };
    const op: Operation = {
      ref,
      id: this.id(),
      seq: (this.opSeq += 1),
      operationType,
      targetLink: linkOf(target),
      targetId,
      targetKey,
      insertTime: now,
      runAt: now + Math.floor(this.timings.operationMs / 2),
      doneAt: now + this.timings.operationMs,
      status: 'PENDING',
      apply,
    };
    this.operations.set(keyOf(ref), op);
    this.advanceOperation(op);
    return this.renderOperation(op);
  }

  /** Moves one operation as far as the clock allows. */
  private advanceOperation(op: Operation): boolean {
    const now = this.now();
    let changed = false;
    if (op.status === 'PENDING' && now >= op.runAt) {
      op.status = 'RUNNING';
      op.startTime = op.runAt;
      changed = true;
    }
    if (op.status === 'RUNNING' && now >= op.doneAt) {
      op.status = 'DONE';
      op.endTime = op.doneAt;
      try {
        op.apply();
      } catch (error) {
        if (!(error instanceof GceError)) throw error;
        op.error = { status: error.status, code: operationErrorCode(error), message: error.message };
      }
      changed = true;
    }
    return changed;
  }

  /** The `compute#operation` as GCE answers it. */
  renderOperation(op: Operation): Json {
    const scopeField = op.ref.scope.startsWith('zones/') ? { zone: scopeLink(op.ref.project, op.ref.scope) } : op.ref.scope.startsWith('regions/') ? { region: scopeLink(op.ref.project, op.ref.scope) } : {};
    return {
      kind: 'compute#operation',
      id: op.id,
      name: op.ref.name,
      operationType: op.operationType,
      targetLink: op.targetLink,
      targetId: op.targetId,
      status: op.status,
      user: OPERATION_USER,
      progress: op.status === 'DONE' ? 100 : op.status === 'RUNNING' ? 50 : 0,
      insertTime: timestamp(op.insertTime),
      ...(op.startTime !== undefined ? { startTime: timestamp(op.startTime) } : {}),
      ...(op.endTime !== undefined ? { endTime: timestamp(op.endTime) } : {}),
      selfLink: linkOf(op.ref),
      ...scopeField,
      ...(op.error
        ? {
            error: { errors: [{ code: op.error.code, message: op.error.message }] },
            httpErrorStatusCode: op.error.status,
            httpErrorMessage: statusText(op.error.status),
          }
        : {}),
    };
  }

  // ---- the reconciler ----

  /** Applies everything due at the current instant until nothing changes. */
  settle(): void {
    for (let round = 0; round < 50; round += 1) {
      let changed = false;
      const ops = [...this.operations.values()].filter((o) => o.status !== 'DONE').sort((a, b) => a.doneAt - b.doneAt || a.seq - b.seq);
      for (const op of ops) changed = this.advanceOperation(op) || changed;
      for (const [key, instance] of this.instances) {
        if (instance.goneAt !== undefined && this.now() >= instance.goneAt) {
          this.instances.delete(key);
          this.dropFromTargetPools(linkOf(instance.ref));
          changed = true;
        }
      }
      for (const mig of this.migs.values()) changed = this.applyAutoscaler(mig) || changed;
      for (const mig of this.migs.values()) changed = this.reconcile(mig) || changed;
      if (!changed) break;
    }
    this.recordTraffic();
  }

  /** Appends a traffic record for every backend service whose receiving instances changed. */
  private recordTraffic(): void {
    const seen = new Set<string>();
    for (const service of this.backendServices()) {
      const link = String(service['selfLink']);
      const where = /\/projects\/([^/]+)\/(global|regions\/[^/]+)\//.exec(link);
      const project = where?.[1] ?? '';
      const instances = this.receivingTraffic(service, project).sort();
      const text = instances.join(',');
      seen.add(link);
      if ((this.lastTraffic.get(link) ?? '') !== text) this.trafficLog.push({ at: this.now(), project, backendService: String(service['name']), location: where?.[2] ?? 'global', instances });
      this.lastTraffic.set(link, text);
    }
    for (const key of [...this.lastTraffic.keys()]) if (!seen.has(key)) this.lastTraffic.delete(key);
  }

  /** Global and regional backend services. */
  backendServices(): Json[] {
    return [...this.resources.values()].filter((r) => r['kind'] === 'compute#backendService');
  }

  /** The next instant at which something changes by itself, if any. */
  nextDue(): number | undefined {
    const now = this.now();
    const times: number[] = [];
    for (const op of this.operations.values()) if (op.status !== 'DONE') times.push(op.status === 'PENDING' ? op.runAt : op.doneAt);
    for (const i of this.instances.values()) for (const t of [i.stagingAt, i.runningAt, i.goneAt]) if (t !== undefined && t > now) times.push(t);
    // The instant an instance behind a backend service turns HEALTHY changes who receives traffic.
    for (const service of this.backendServices()) {
      const project = /\/projects\/([^/]+)\//.exec(String(service['selfLink']))?.[1] ?? '';
      const after = this.healthyAfterMs(service['healthChecks'], project);
      for (const backend of (service['backends'] ?? []) as Json[]) {
        const mig = this.migOfGroup(String(backend['group'] ?? ''), project);
        for (const i of mig ? this.instancesOf(mig) : []) if (i.runningAt + after > now) times.push(i.runningAt + after);
      }
    }
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Keeps an autoscaled group's target size within its autoscaler's bounds. */
  private applyAutoscaler(mig: Mig): boolean {
    const scaler = this.autoscalerOf(mig);
    if (!scaler) return false;
    const policy = (scaler['autoscalingPolicy'] ?? {}) as Json;
    const mode = String(policy['mode'] ?? 'ON');
    if (mode === 'OFF') return false;
    const min = Number(policy['minNumReplicas'] ?? 1);
    const max = Number(policy['maxNumReplicas'] ?? min);
    let size = Math.max(mig.targetSize, min);
    if (mode === 'ON') size = Math.min(size, max);
    if (size === mig.targetSize) return false;
    mig.targetSize = size;
    return true;
  }

  /** The autoscaler whose `target` is this group, if any. */
  autoscalerOf(mig: Mig): Json | undefined {
    const link = linkOf(mig.ref);
    return this.list(mig.ref.project, mig.ref.scope, 'autoscalers').find((a) => typeof a['target'] === 'string' && sameResource(a['target'], link));
  }

  /** Creates missing instances and deletes extra ones so the live count meets the target size. */
  private reconcile(mig: Mig): boolean {
    const live = this.instancesOf(mig).filter((i) => i.stoppingAt === undefined);
    if (live.length < mig.targetSize) {
      const template = this.resources.get(keyOf(parseRef(mig.instanceTemplate, { project: mig.ref.project, collection: 'instanceTemplates' })!));
      if (!template) {
        mig.lastError = `The resource '${mig.instanceTemplate}' was not found`;
        return false;
      }
      const image = this.bootImageOf(template, mig.ref.project);
      if (image.missing) {
        mig.lastError = `The resource '${image.missing}' was not found`;
        return false;
      }
      delete mig.lastError;
      for (let n = live.length; n < mig.targetSize; n += 1) {
        const counts = new Map(mig.zones.map((z) => [z, 0]));
        for (const i of this.instancesOf(mig).filter((x) => x.stoppingAt === undefined)) counts.set(i.ref.scope.slice('zones/'.length), (counts.get(i.ref.scope.slice('zones/'.length)) ?? 0) + 1);
        const zone = [...counts.entries()].sort((a, b) => a[1] - b[1])[0]![0];
        this.createInstance(mig, zone, template);
      }
      return true;
    }
    if (live.length > mig.targetSize) {
      // GCE removes instances that are not yet running first, then the newest.
      const rank = (i: Instance) => (instanceStatus(i, this.now()) === 'RUNNING' ? 1 : 0);
      const victims = [...live].sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt).slice(0, live.length - mig.targetSize);
      for (const victim of victims) this.stopInstance(victim);
      return true;
    }
    return false;
  }

  /**
   * Puts instances into a group's target pools. A group does this when it creates an instance
   * and when setTargetPools names a pool; a member removed by removeInstance stays out (that is
   * how Spinnaker disables a group behind a network load balancer).
   */
  addToTargetPools(mig: Mig, instances: readonly Instance[]): void {
    for (const poolLink of mig.targetPools) {
      const ref = parseRef(poolLink, { project: mig.ref.project, collection: 'targetPools' });
      const pool = ref ? this.resources.get(keyOf(ref)) : undefined;
      if (!pool) continue;
      const members = (pool['instances'] ?? []) as string[];
      for (const instance of instances) {
        const link = linkOf(instance.ref);
        if (instance.stoppingAt === undefined && !members.some((m) => sameResource(m, link))) members.push(link);
      }
      pool['instances'] = members;
    }
  }

  /** Marks an instance STOPPING; it is gone `stoppingMs` later. */
  stopInstance(instance: Instance): void {
    if (instance.stoppingAt !== undefined) return;
    instance.stoppingAt = this.now();
    instance.goneAt = this.now() + this.timings.stoppingMs;
  }

  /** The boot disk's image of a template, or the link of the image that is missing. */
  bootImageOf(template: Json, project: string): { image?: Json; missing?: string } {
    const disks = (((template['properties'] as Json | undefined)?.['disks'] ?? []) as Json[]).filter((d) => d && typeof d === 'object');
    const boot = disks.find((d) => d['boot'] === true) ?? disks[0];
    const source = (boot?.['initializeParams'] as Json | undefined)?.['sourceImage'];
    if (typeof source !== 'string') return {};
    const image = this.findImage(source, project);
    return image ? { image } : { missing: source.replace(/^https?:\/\/[^/]+\/compute\/v1\//, '') };
  }

  private createInstance(mig: Mig, zone: string, template: Json): void {
    const project = mig.ref.project;
    let name: string;
    do name = `${mig.baseInstanceName}-${instanceSuffix(this.random)}`;
    while (this.instances.has(keyOf({ project, scope: `zones/${zone}`, collection: 'instances', name })));
    const ref = { project, scope: `zones/${zone}`, collection: 'instances', name };
    const props = (template['properties'] ?? {}) as Json;
    const region = regionOfZone(zone)!.name;
    const nics = ((props['networkInterfaces'] ?? [{}]) as Json[]).map((nic, index) => {
      const network = typeof nic['network'] === 'string' ? nic['network'] : linkOf({ project, scope: 'global', collection: 'networks', name: 'default' });
      const subnetwork = typeof nic['subnetwork'] === 'string' ? nic['subnetwork'] : this.defaultSubnetOf(network, project, region);
      return {
        kind: 'compute#networkInterface',
        network,
        ...(subnetwork ? { subnetwork } : {}),
        networkIP: this.allocateIp(subnetwork ?? `${project}/${region}`),
        name: `nic${index}`,
        fingerprint: this.fingerprint(),
        stackType: 'IPV4_ONLY',
        ...(Array.isArray(nic['accessConfigs']) ? { accessConfigs: (nic['accessConfigs'] as Json[]).map((a) => ({ kind: 'compute#accessConfig', type: 'ONE_TO_ONE_NAT', name: 'External NAT', networkTier: 'PREMIUM', ...a, natIP: this.externalIp() })) } : {}),
      };
    });
    const machineType = String(props['machineType'] ?? 'n1-standard-1');
    const disks = ((props['disks'] ?? []) as Json[]).map((d, index) => {
      const init = (d['initializeParams'] ?? {}) as Json;
      const diskName = index === 0 ? name : `${name}-${index}`;
      return {
        kind: 'compute#attachedDisk',
        type: String(d['type'] ?? 'PERSISTENT'),
        mode: String(d['mode'] ?? 'READ_WRITE'),
        source: linkOf({ project, scope: `zones/${zone}`, collection: 'disks', name: diskName }),
        deviceName: String(d['deviceName'] ?? `persistent-disk-${index}`),
        index,
        boot: d['boot'] === true || (index === 0 && d['boot'] === undefined),
        autoDelete: d['autoDelete'] !== false,
        interface: String(d['interface'] ?? 'SCSI'),
        diskSizeGb: String(init['diskSizeGb'] ?? '10'),
      };
    });
    const metadata = (props['metadata'] ?? {}) as Json;
    const tags = (props['tags'] ?? {}) as Json;
    const now = this.now();
    const id = this.id();
    const json: Json = {
      kind: 'compute#instance',
      id,
      creationTimestamp: timestamp(now),
      name,
      description: String(props['description'] ?? ''),
      tags: { items: Array.isArray(tags['items']) ? tags['items'] : [], fingerprint: this.fingerprint() },
      machineType: linkOf({ project, scope: `zones/${zone}`, collection: 'machineTypes', name: localName(machineType) }),
      zone: scopeLink(project, `zones/${zone}`),
      canIpForward: props['canIpForward'] === true,
      networkInterfaces: nics,
      disks,
      metadata: { kind: 'compute#metadata', fingerprint: this.fingerprint(), items: Array.isArray(metadata['items']) ? metadata['items'] : [] },
      serviceAccounts: Array.isArray(props['serviceAccounts']) ? props['serviceAccounts'] : [],
      selfLink: linkOf(ref),
      scheduling: { onHostMaintenance: 'MIGRATE', automaticRestart: true, preemptible: false, provisioningModel: 'STANDARD', ...((props['scheduling'] ?? {}) as Json) },
      cpuPlatform: 'Intel Broadwell',
      labels: { ...((props['labels'] ?? {}) as Record<string, string>) },
      labelFingerprint: this.fingerprint(),
      startRestricted: false,
      deletionProtection: false,
      fingerprint: this.fingerprint(),
    };
    const instance: Instance = {
      ref,
      id,
      migKey: keyOf(mig.ref),
      template: mig.instanceTemplate,
      createdAt: now,
      stagingAt: now + this.timings.provisioningMs,
      runningAt: now + this.timings.provisioningMs + this.timings.stagingMs,
      networkIP: String(nics[0]?.networkIP ?? ''),
      json,
    };
    this.instances.set(keyOf(ref), instance);
    this.addToTargetPools(mig, [instance]);
  }

  private defaultSubnetOf(network: string, project: string, region: string): string | undefined {
    const net = this.resources.get(keyOf(parseRef(network, { project, collection: 'networks', scope: 'global' }) ?? { project, scope: 'global', collection: 'networks', name: 'default' }));
    const subnets = (net?.['subnetworks'] ?? []) as string[];
    return subnets.find((s) => s.includes(`/regions/${region}/`));
  }

  /** The next free address of a subnetwork (from .2, as GCE hands them out). */
  private allocateIp(subnetLink: string): string {
    const subnet = [...this.resources.values()].find((r) => r['kind'] === 'compute#subnetwork' && sameResource(String(r['selfLink']), subnetLink));
    const range = String(subnet?.['ipCidrRange'] ?? '10.128.0.0/20');
    const base = range.split('/')[0]!.split('.').map(Number);
    // One counter per subnetwork whatever host form named it.
    const key = subnet ? String(subnet['selfLink']) : subnetLink;
    const next = this.nextIp.get(key) ?? 2;
    this.nextIp.set(key, next + 1);
    const value = ((base[0]! << 24) >>> 0) + (base[1]! << 16) + (base[2]! << 8) + base[3]! + next;
    return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  }

  /** An ephemeral external address (ONE_TO_ONE_NAT), from Google's 34.x space. */
  private externalIp(): string {
    const octet = () => Math.floor(this.random() * 254) + 1;
    return `34.${octet()}.${octet()}.${octet()}`;
  }

  private dropFromTargetPools(instanceLink: string): void {
    for (const pool of this.resources.values()) {
      if (pool['kind'] !== 'compute#targetPool') continue;
      pool['instances'] = ((pool['instances'] ?? []) as string[]).filter((i) => !sameResource(i, instanceLink));
    }
  }

  // ---- health ----

  /** How long an instance must run before a backend service's health check passes. */
  healthyAfterMs(healthChecks: unknown, project: string): number {
    const first = Array.isArray(healthChecks) ? healthChecks[0] : undefined;
    if (typeof first !== 'string') return this.timings.defaultHealthyMs;
    const ref = parseRef(first, { project, collection: 'healthChecks' });
    const check = ref ? this.resources.get(keyOf(ref)) : undefined;
    if (!check) return this.timings.defaultHealthyMs;
    return Number(check['checkIntervalSec'] ?? 5) * Number(check['healthyThreshold'] ?? 2) * 1000;
  }

  /** HEALTHY or UNHEALTHY for a load balancer at `now`: RUNNING long enough, unless the side door says otherwise. */
  healthOf(instance: Instance, healthyAfterMs: number): 'HEALTHY' | 'UNHEALTHY' {
    if (instanceStatus(instance, this.now()) !== 'RUNNING') return 'UNHEALTHY';
    const override = this.healthOverrides.get(`${instance.ref.project}/${instance.ref.name}`);
    if (override) return override;
    return this.now() >= instance.runningAt + healthyAfterMs ? 'HEALTHY' : 'UNHEALTHY';
  }

  /** The port a backend service reaches a group on: the group's named port of the service's `portName`, else the service's `port`, else 80. */
  portFor(service: Json, mig: Mig | undefined): number {
    const named = mig?.namedPorts.find((p) => p['name'] === (service['portName'] ?? 'http'));
    return Number(named?.['port'] ?? service['port'] ?? 80);
  }

  /** Instances that receive traffic from a backend service now: in a backend group with capacityScaler > 0, RUNNING and HEALTHY. */
  receivingTraffic(service: Json, project: string): string[] {
    const after = this.healthyAfterMs(service['healthChecks'], project);
    const out: string[] = [];
    for (const backend of (service['backends'] ?? []) as Json[]) {
      if (Number(backend['capacityScaler'] ?? 1) <= 0) continue;
      const mig = this.migOfGroup(String(backend['group'] ?? ''), project);
      if (!mig) continue;
      for (const i of this.instancesOf(mig)) if (i.stoppingAt === undefined && this.healthOf(i, after) === 'HEALTHY') out.push(i.ref.name);
    }
    return out;
  }

  /** Checks a quota before a group grows to `size` in `region`. */
  checkQuota(project: string, region: string, exceptKey: string | undefined, size: number): void {
    const quota = this.quotas.find((q) => q.project === project && q.region === region);
    if (!quota) return;
    let used = size;
    for (const mig of this.migs.values()) {
      if (keyOf(mig.ref) === exceptKey || mig.ref.project !== project) continue;
      if (regionOfZone(mig.zones[0]!)?.name === region) used += mig.targetSize;
    }
    if (used > quota.limit) throw new GceError(403, 'quotaExceeded', `Quota 'INSTANCES' exceeded.  Limit: ${quota.limit.toFixed(1)} in region ${region}.`);
  }
}

/** The operation error code GCE writes for a failure of this HTTP status. */
function operationErrorCode(error: GceError): string {
  if (error.status === 404) return 'RESOURCE_NOT_FOUND';
  if (error.status === 409) return 'RESOURCE_ALREADY_EXISTS';
  if (error.status === 403) return 'QUOTA_EXCEEDED';
  if (error.reason === 'resourceInUseByAnotherResource') return 'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE';
  return 'INVALID_FIELD_VALUE';
}

/** Machine types served in a zone, in the wire form. */
export function machineTypeJson(project: string, zone: string, name: string, ids: (name: string) => string): Json | undefined {
  const type = MACHINE_TYPES.find((t) => t.name === name);
  if (!type) return undefined;
  return {
    kind: 'compute#machineType',
    id: ids(type.name),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name: type.name,
    description: type.description,
    guestCpus: type.guestCpus,
    memoryMb: type.memoryMb,
    imageSpaceGb: 0,
    maximumPersistentDisks: type.isSharedCpu ? 16 : 128,
    maximumPersistentDisksSizeGb: type.isSharedCpu ? '3072' : '263168',
    zone,
    selfLink: linkOf({ project, scope: `zones/${zone}`, collection: 'machineTypes', name: type.name }),
    isSharedCpu: type.isSharedCpu,
    architecture: 'X86_64',
  };
}
