/**
 * The provider fields of a GCE cluster, as Spinnaker's deploy stage writes them
 * (`reference/cloud-targets.md` §5.1, clouddriver's BasicGoogleDeployDescription and
 * BaseGoogleInstanceDescription): the stage's cluster entry reaches `create` unchanged and is
 * parsed here, once. Fields this target does not read (`account`, `strategy`, `freeFormDetails`...)
 * are ignored, as clouddriver ignores them; a field it reads with a wrong value is refused with one
 * line that names the field, shows the value and says the fix. What this target cannot do yet
 * (internal load balancers' regional backend services, custom machine types without a name) is
 * refused as `unsupported`, never silently dropped.
 */
import { z } from 'zod';
import { fieldOfPath, problem, shown, valueAt } from '../provider-field-issues.ts';

/** Scopes given by their short names (`devstorage.read_only`) are under this prefix (clouddriver's GCEUtil.buildScopesFromShortNames). */
export const SCOPE_PREFIX = 'https://www.googleapis.com/auth/';

/** A backend's balancing mode (the backend service resource's enum). */
export const BALANCING_MODES = ['UTILIZATION', 'RATE', 'CONNECTION'] as const;
export type BalancingMode = (typeof BALANCING_MODES)[number];

/** How a MIG spreads instances over a regional distribution policy's zones. */
export const TARGET_SHAPES = ['EVEN', 'BALANCED', 'ANY', 'ANY_SINGLE_ZONE'] as const;

/** A named port of the instance group: backend services send to a port by its name. */
export interface NamedPort {
  readonly name: string;
  readonly port: number;
}

/** clouddriver's GoogleHttpLoadBalancingPolicy: how each backend of the server group takes traffic. */
export interface LoadBalancingPolicy {
  readonly balancingMode: BalancingMode;
  readonly maxUtilization?: number;
  readonly maxRatePerInstance?: number;
  readonly maxConnectionsPerInstance?: number;
  /** 0 to 1: the share of the backend's capacity in use (0 drains it without removing it). */
  readonly capacityScaler: number;
  readonly namedPorts: readonly NamedPort[];
}

/** One disk of the instance template; the first persistent disk boots from the image. */
export interface DiskConfig {
  /** `pd-ssd`, `pd-standard`, `pd-balanced`, `local-ssd`, ... */
  readonly type: string;
  readonly sizeGb: number;
  readonly autoDelete: boolean;
  /** A disk of its own image (non-boot disks only). */
  readonly sourceImage?: string;
}

/** The MIG's auto-healing policy: instances failing the health check are recreated. */
export interface AutoHealingConfig {
  /** The health check's name or URL. */
  readonly healthCheck: string;
  /** `healthChecks` (global, default) or `regionHealthChecks`. */
  readonly healthCheckKind?: string;
  readonly initialDelaySec?: number;
}

/** A GCE cluster's provider fields, parsed. Capacity comes from the create request, not from here. */
export interface GceClusterConfig {
  /** The zone of a zonal MIG; absent for a regional one. */
  readonly zone?: string;
  readonly regional: boolean;
  /** The zones of a regional MIG's distribution policy (empty: the region's default). */
  readonly zones: readonly string[];
  readonly selectZones: boolean;
  readonly targetShape?: string;
  /** The machine type's name (`n1-standard-1`). */
  readonly instanceType: string;
  readonly minCpuPlatform?: string;
  readonly disks: readonly DiskConfig[];
  /** The image's name (or URL) when the request carries no `gce/image` artifact. */
  readonly image?: string;
  /** `imageSource: "artifact"` said the image comes from an artifact. */
  readonly imageFromArtifact: boolean;
  readonly network: string;
  readonly subnet?: string;
  readonly associatePublicIpAddress: boolean;
  readonly canIpForward: boolean;
  /** Every load balancer's name, global and regional. */
  readonly loadBalancers: readonly string[];
  /** A global load balancer's name → the backend services of it this server group joins. */
  readonly backendServices: Readonly<Record<string, readonly string[]>>;
  readonly loadBalancingPolicy?: LoadBalancingPolicy;
  readonly autoHealingPolicy?: AutoHealingConfig;
  /** The autoscaler's policy as the API takes it (`cpuUtilization`, `coolDownPeriodSec`, `mode`...); min and max come from the capacity. */
  readonly autoscalingPolicy?: Readonly<Record<string, unknown>>;
  /** Create the server group out of traffic (its backends are not added). */
  readonly disableTraffic: boolean;
  readonly serviceAccountEmail: string;
  /** Full scope URLs. */
  readonly authScopes: readonly string[];
  readonly preemptible: boolean;
  readonly automaticRestart: boolean;
  readonly onHostMaintenance: 'MIGRATE' | 'TERMINATE';
  readonly instanceMetadata: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** Network tags (firewall targets). */
  readonly tags: readonly string[];
}

export type ParsedGceConfig = { readonly ok: true; readonly config: GceClusterConfig } | { readonly ok: false; readonly reason: 'invalid' | 'unsupported'; readonly message: string };

/** Jackson's reading: null is absent. */
const absentIfNull = (value: unknown) => (value === null ? undefined : value);
const blankIsAbsent = (value: unknown) => (value === null || value === '' ? undefined : value);

// Each schema's error message is the fix only; `problem` prefixes the field and its value.
const name = (fix: string) => z.string({ error: fix }).trim().min(1, { error: fix });
const flag = (fix: string) => z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')], { error: fix });
const whole = (fix: string) => z.union([z.number(), z.string().regex(/^[0-9]+$/).transform(Number)], { error: fix }).pipe(z.number({ error: fix }).int({ error: fix }).min(0, { error: fix }));
const fraction = (fix: string) => z.number({ error: fix }).min(0, { error: fix }).max(1, { error: fix });
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(absentIfNull, schema.optional());
const optText = <T extends z.ZodType>(schema: T) => z.preprocess(blankIsAbsent, schema.optional());
const list = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === null || value === undefined ? [] : value), schema);
const dict = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);

/** GCE resource names (RFC 1035): lower case letters, digits and hyphens, starting with a letter. */
const RESOURCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** A resource given by its URL (`https://.../projects/p/global/images/x`) or its path (`projects/p/...`). */
const RESOURCE_URL = /^(https:\/\/[^/]+\/compute\/(v1|beta|alpha)\/)?projects\/[^/]+\/.+$/;
const ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
const LABEL_KEY = /^[a-z][-_a-z0-9]{0,62}$/;
const LABEL_VALUE = /^[-_a-z0-9]{0,63}$/;

const resource = (what: string, example: string) => {
  const fix = `set the ${what}'s name, e.g. "${example}", or its URL`;
  return name(fix).refine((text) => RESOURCE_NAME.test(text) || RESOURCE_URL.test(text), { error: fix });
};

const namedPortSchema = z.object(
  {
    name: resource('named port', 'http'),
    port: whole('set a port number, e.g. 8080').pipe(z.number().max(65535, { error: 'set a port number from 1 to 65535' })),
  },
  { error: 'set {"name": "http", "port": 8080}' },
);

const POLICY_FIX = 'set {"balancingMode": "UTILIZATION", "maxUtilization": 0.8, "capacityScaler": 1, "namedPorts": [{"name": "http", "port": 80}]}';
const policySchema = z.looseObject(
  {
    balancingMode: z.preprocess((value) => (value === null || value === undefined ? 'UTILIZATION' : value), z.enum(BALANCING_MODES, { error: `set one of ${BALANCING_MODES.join(', ')}` })),
    maxUtilization: opt(fraction('set the target utilization from 0 to 1, e.g. 0.8')),
    maxRatePerInstance: opt(z.number({ error: 'set requests per second per instance, e.g. 100' }).min(0, { error: 'set requests per second per instance, e.g. 100' })),
    maxConnectionsPerInstance: opt(whole('set connections per instance, e.g. 100')),
    capacityScaler: opt(fraction('set the share of capacity in use from 0 to 1, e.g. 1')),
    namedPorts: list(z.array(namedPortSchema, { error: 'list named ports, e.g. [{"name": "http", "port": 80}]' })),
    listeningPort: opt(whole('set the port the instances listen on, e.g. 8080')),
  },
  { error: POLICY_FIX },
);

const DISK_FIX = 'list disks, e.g. [{"type": "pd-ssd", "sizeGb": 10}]';
const diskSchema = z.looseObject(
  {
    type: z.preprocess((value) => (value === null || value === undefined ? 'pd-standard' : value), name('set a disk type, e.g. "pd-ssd" or "pd-standard"').regex(/^[a-z][-a-z0-9]*$/, { error: 'set a disk type, e.g. "pd-ssd" or "pd-standard"' })),
    sizeGb: z.preprocess((value) => (value === null || value === undefined ? 10 : value), whole('set the size in GB, e.g. 10').pipe(z.number().min(1, { error: 'set the size in GB, e.g. 10' }))),
    autoDelete: opt(flag('set true or false')),
    sourceImage: optText(resource('disk image', 'my-data-image')),
  },
  { error: DISK_FIX },
);

const HEALING_FIX = 'set {"healthCheck": "<health check name>", "initialDelaySec": 300}, or remove autoHealingPolicy';
const healingSchema = z.looseObject(
  {
    healthCheck: resource('health check', 'hello-hc'),
    healthCheckKind: optText(z.enum(['healthCheck', 'httpHealthCheck', 'httpsHealthCheck', 'regionHealthCheck'], { error: 'set "healthCheck" or "regionHealthCheck"' })),
    initialDelaySec: opt(whole('set the seconds before auto-healing starts, e.g. 300')),
    maxUnavailable: opt(z.unknown()),
  },
  { error: HEALING_FIX },
);

const AUTOSCALING_FIX = 'set an autoscaling policy, e.g. {"coolDownPeriodSec": 60, "cpuUtilization": {"utilizationTarget": 0.6}}, or remove autoscalingPolicy';
const autoscalingSchema = z.looseObject(
  {
    minNumReplicas: opt(whole('set the fewest instances, e.g. 1')),
    maxNumReplicas: opt(whole('set the most instances, e.g. 5')),
    coolDownPeriodSec: opt(whole('set the seconds an instance initializes, e.g. 60')),
    mode: opt(z.enum(['ON', 'OFF', 'ONLY_UP', 'ONLY_SCALE_OUT'], { error: 'set "ON", "OFF" or "ONLY_SCALE_OUT"' })),
    cpuUtilization: opt(z.looseObject({ utilizationTarget: opt(fraction('set the CPU target from 0 to 1, e.g. 0.6')) }, { error: 'set {"utilizationTarget": 0.6}' })),
  },
  { error: AUTOSCALING_FIX },
);

const schema = z.looseObject({
  zone: optText(name('set a zone of the region, e.g. "us-central1-c"').regex(ZONE, { error: 'set a zone of the region, e.g. "us-central1-c"' })),
  regional: opt(flag('set true (a regional MIG over several zones) or false (one zone)')),
  selectZones: opt(flag('set true to pick the zones in availabilityZones, or false')),
  availabilityZones: opt(z.record(z.string(), list(z.array(z.string().regex(ZONE, { error: 'list zones, e.g. ["us-central1-a", "us-central1-b"]' }), { error: 'list the zones of the region, e.g. ["us-central1-a", "us-central1-b"]' })), { error: 'map regions to zones, e.g. {"us-central1": ["us-central1-c"]}' })),
  distributionPolicy: opt(
    z.looseObject(
      {
        zones: list(z.array(z.string().regex(ZONE, { error: 'list zones, e.g. ["us-central1-a", "us-central1-b"]' }), { error: 'list zones, e.g. ["us-central1-a", "us-central1-b"]' })),
        targetShape: optText(z.enum(TARGET_SHAPES, { error: `set one of ${TARGET_SHAPES.join(', ')}` })),
      },
      { error: 'set {"zones": ["us-central1-a", ...], "targetShape": "EVEN"}' },
    ),
  ),
  instanceType: z.preprocess(absentIfNull, name('set a machine type, e.g. "n1-standard-1" or "e2-medium"').regex(/^[a-z][-a-z0-9]*$/, { error: 'set a machine type, e.g. "n1-standard-1" or "e2-medium"' })),
  minCpuPlatform: optText(z.string({ error: 'set a CPU platform, e.g. "Intel Skylake", or leave it empty' })),
  disks: list(z.array(diskSchema, { error: DISK_FIX })),
  image: optText(resource('image', 'hello-1-2-0-h12')),
  imageSource: optText(z.enum(['artifact', 'priorStage', 'STRING', 'string'], { error: 'set "artifact" (imageArtifactId names it) or "priorStage" (a bake or findImage stage gives it), or set image' })),
  imageArtifactId: optText(z.string({ error: 'set the id of the expected artifact that holds the image' })),
  network: z.preprocess((value) => (value === null || value === undefined || value === '' ? 'default' : value), resource('network', 'default')),
  subnet: optText(resource('subnetwork', 'hello-subnet')),
  associatePublicIpAddress: opt(flag('set true or false')),
  canIpForward: opt(flag('set true or false')),
  loadBalancers: list(z.array(resource('load balancer', 'hello-lb'), { error: 'list load balancer names, e.g. ["hello-lb"]' })),
  backendServices: dict(z.record(z.string(), list(z.array(resource('backend service', 'hello-bs'), { error: 'list backend service names, e.g. ["hello-bs"]' })), { error: 'map each HTTP(S) load balancer to its backend services, e.g. {"hello-lb": ["hello-bs"]}' })),
  backendServiceMetadata: list(z.array(z.unknown(), { error: 'list backend service names, or leave backendServiceMetadata empty' })),
  loadBalancingPolicy: opt(policySchema),
  autoHealingPolicy: opt(healingSchema),
  autoscalingPolicy: opt(autoscalingSchema),
  disableTraffic: opt(flag('set true to create the server group out of traffic, or false')),
  serviceAccountEmail: optText(z.string({ error: 'set the service account, e.g. "default" or "app@my-project.iam.gserviceaccount.com"' }).regex(/^(default|[^@\s]+@[^@\s]+)$/, { error: 'set the service account, e.g. "default" or "app@my-project.iam.gserviceaccount.com"' })),
  authScopes: list(z.array(name('list OAuth scopes, e.g. ["cloud-platform"] or ["devstorage.read_only", "logging.write"]'), { error: 'list OAuth scopes, e.g. ["cloud-platform"]' })),
  preemptible: opt(flag('set true or false')),
  automaticRestart: opt(flag('set true or false')),
  onHostMaintenance: optText(z.enum(['MIGRATE', 'TERMINATE'], { error: 'set "MIGRATE" or "TERMINATE"' })),
  instanceMetadata: dict(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String), { error: 'set an object of metadata values, e.g. {"startup-script": "..."}' })),
  labels: dict(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String), { error: 'set an object of labels, e.g. {"team": "web"}' })),
  tags: list(z.array(resource('network tag', 'http-server'), { error: 'list network tags, e.g. ["http-server"]' })),
  targetSize: opt(whole('set the number of instances, e.g. 2')),
});

/** The provider fields' schema, for the save-time check that reports every bad field at once (cluster-check.ts). */
export const gceProviderFieldsSchema: z.ZodType = schema;

/** Metadata keys clouddriver reads back (GCEUtil, GoogleServerGroup.View); a user may not set them. */
export const SPINNAKER_METADATA_KEYS = {
  regionalLoadBalancers: 'load-balancer-names',
  globalLoadBalancers: 'global-load-balancer-names',
  backendServices: 'backend-service-names',
  regionBackendServices: 'region-backend-service-names',
  loadBalancingPolicy: 'load-balancing-policy',
  selectZones: 'select-zones',
  autoscalingPolicy: 'autoscaling-policy',
} as const;

/** Labels this target writes itself (GoogleLabeledResourceNamer); a user may not set them. */
export const RESERVED_LABEL_PREFIX = 'spinnaker-';

/** The one-line message of a bad field, as every target's parser writes it (provider-field-issues.ts). */
export { problem, shown };

const invalid = (field: string, value: unknown, fix: string): ParsedGceConfig => ({ ok: false, reason: 'invalid', message: problem(field, value, fix) });
const unsupported = (field: string, value: unknown, fix: string): ParsedGceConfig => ({ ok: false, reason: 'unsupported', message: problem(field, value, fix) });

/** A short scope name as a URL (`logging.write` → `https://www.googleapis.com/auth/logging.write`). */
export function scopeUrl(scope: string): string {
  return scope.startsWith('https://') ? scope : `${SCOPE_PREFIX}${scope}`;
}

/** The region a zone is in (`us-central1-c` → `us-central1`). */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/**
 * Parses a cluster entry's provider fields for a target in `region`. The first bad field is
 * answered (`invalid`, or `unsupported` for what this target cannot do yet); unknown fields are ignored.
 */
export function parseGceClusterConfig(provider: Readonly<Record<string, unknown>> | undefined, region: string): ParsedGceConfig {
  const input = provider ?? {};
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((key): key is string | number => typeof key === 'string' || typeof key === 'number');
    return invalid(fieldOfPath(path), valueAt(input, path), issue.message);
  }
  const fields = parsed.data;

  const regional = fields.regional ?? false;
  // A regional MIG's zones: its distribution policy's, else the picked availabilityZones (selectZones), else the region's default.
  const policyZones = fields.distributionPolicy?.zones ?? [];
  const zones = [...new Set(policyZones.length > 0 ? policyZones : fields.selectZones ? (fields.availabilityZones?.[region] ?? []) : [])];
  for (const zone of zones) {
    if (region !== '' && regionOfZone(zone) !== region) return invalid(policyZones.length > 0 ? 'distributionPolicy.zones' : `availabilityZones.${region}`, zones, `zone ${zone} is not in region ${region}; list zones of ${region}`);
  }
  let zone = fields.zone;
  if (!regional && zone === undefined) {
    // Deck writes the zone in availabilityZones too; a zonal MIG takes the first one there.
    zone = fields.availabilityZones?.[region]?.[0];
    if (zone === undefined) return invalid('zone', undefined, `set the zone of the server group, e.g. "${region === '' ? 'us-central1' : region}-c", or set regional to true`);
  }
  if (!regional && zone !== undefined && region !== '' && regionOfZone(zone) !== region) {
    return invalid('zone', zone, `zone ${zone} is not in region ${region}; deploy to a zone of ${region}, or to region ${regionOfZone(zone)}`);
  }

  const imageSource = fields.imageSource;
  if (imageSource === 'artifact' && fields.imageArtifactId === undefined) {
    return invalid('imageArtifactId', undefined, 'imageSource is "artifact": set the id of the expected artifact that holds the image, or set imageSource to "priorStage"');
  }

  // Load balancers: a global one names its backend services; one without is regional (network LB, by its forwarding rule).
  for (const balancer of Object.keys(fields.backendServices)) {
    if (!fields.loadBalancers.includes(balancer)) return invalid(`backendServices.${balancer}`, fields.backendServices[balancer], `load balancer ${balancer} is not in loadBalancers; add it there or remove it here`);
  }
  const metadataServices = fields.instanceMetadata[SPINNAKER_METADATA_KEYS.backendServices];
  const backendServices: Record<string, readonly string[]> = { ...fields.backendServices };
  if (metadataServices !== undefined && Object.keys(backendServices).length === 0) {
    // Deck folds backendServices into instanceMetadata["backend-service-names"]: the global load balancers share them.
    const services = metadataServices.split(',').map((service) => service.trim()).filter((service) => service !== '');
    const globals = (fields.instanceMetadata[SPINNAKER_METADATA_KEYS.globalLoadBalancers] ?? '').split(',').map((balancer) => balancer.trim()).filter((balancer) => balancer !== '');
    for (const balancer of globals.length > 0 ? globals : fields.loadBalancers.slice(0, 1)) backendServices[balancer] = services;
  }
  if (fields.instanceMetadata[SPINNAKER_METADATA_KEYS.regionBackendServices]) {
    return unsupported(`instanceMetadata.${SPINNAKER_METADATA_KEYS.regionBackendServices}`, fields.instanceMetadata[SPINNAKER_METADATA_KEYS.regionBackendServices], 'internal load balancers (regional backend services) are not supported yet; use a global HTTP(S) load balancer or a network load balancer');
  }
  const instanceMetadata: Record<string, string> = {};
  const derived = new Set<string>([SPINNAKER_METADATA_KEYS.regionalLoadBalancers, SPINNAKER_METADATA_KEYS.globalLoadBalancers, SPINNAKER_METADATA_KEYS.backendServices, SPINNAKER_METADATA_KEYS.loadBalancingPolicy, SPINNAKER_METADATA_KEYS.selectZones, SPINNAKER_METADATA_KEYS.autoscalingPolicy]);
  for (const [key, value] of Object.entries(fields.instanceMetadata)) {
    // What clouddriver derives from the other fields is written from them, never taken twice.
    if (derived.has(key)) continue;
    instanceMetadata[key] = value;
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields.labels)) {
    if (key.startsWith(RESERVED_LABEL_PREFIX)) return invalid(`labels.${key}`, value, `label keys starting with "${RESERVED_LABEL_PREFIX}" are written by the deploy (Spinnaker's moniker labels); rename the label`);
    if (!LABEL_KEY.test(key)) return invalid('labels', key, 'label keys start with a lower-case letter and hold at most 63 lower-case letters, digits, "-" or "_"');
    if (!LABEL_VALUE.test(value)) return invalid(`labels.${key}`, value, 'label values hold at most 63 lower-case letters, digits, "-" or "_"');
    labels[key] = value;
  }
  const policy = fields.loadBalancingPolicy;
  const namedPorts = policy ? [...policy.namedPorts] : [];
  if (policy && namedPorts.length === 0 && policy.listeningPort !== undefined) namedPorts.push({ name: 'http', port: policy.listeningPort });
  if (policy?.balancingMode === 'RATE' && policy.maxRatePerInstance === undefined) {
    return invalid('loadBalancingPolicy.maxRatePerInstance', undefined, 'balancingMode RATE needs maxRatePerInstance, e.g. 100');
  }
  if (policy?.balancingMode === 'CONNECTION' && policy.maxConnectionsPerInstance === undefined) {
    return invalid('loadBalancingPolicy.maxConnectionsPerInstance', undefined, 'balancingMode CONNECTION needs maxConnectionsPerInstance, e.g. 100');
  }
  const preemptible = fields.preemptible ?? false;
  // GCE refuses a preemptible VM that restarts or migrates (clouddriver forces these the same way).
  const automaticRestart = preemptible ? false : (fields.automaticRestart ?? true);
  const onHostMaintenance = preemptible ? 'TERMINATE' : (fields.onHostMaintenance ?? 'MIGRATE');
  if (preemptible && fields.automaticRestart === true) return invalid('automaticRestart', true, 'a preemptible instance cannot restart automatically; set automaticRestart to false or preemptible to false');
  if (preemptible && fields.onHostMaintenance === 'MIGRATE') return invalid('onHostMaintenance', 'MIGRATE', 'a preemptible instance cannot migrate; set onHostMaintenance to "TERMINATE" or preemptible to false');
  const disks = fields.disks.map((disk, index): DiskConfig => ({ type: disk.type, sizeGb: disk.sizeGb, autoDelete: disk.autoDelete ?? true, ...(index > 0 && disk.sourceImage !== undefined ? { sourceImage: disk.sourceImage } : {}) }));
  if (disks.length > 0 && disks[0]!.type === 'local-ssd') return invalid('disks[0].type', 'local-ssd', 'the first disk boots the instance and cannot be a local SSD; make it "pd-ssd" or "pd-standard"');
  const autoscaling = fields.autoscalingPolicy;

  const config: GceClusterConfig = {
    ...(!regional && zone !== undefined ? { zone } : {}),
    regional,
    zones: regional ? zones : [],
    selectZones: fields.selectZones ?? false,
    ...(fields.distributionPolicy?.targetShape !== undefined ? { targetShape: fields.distributionPolicy.targetShape } : {}),
    instanceType: fields.instanceType,
    ...(fields.minCpuPlatform !== undefined && fields.minCpuPlatform.trim() !== '' ? { minCpuPlatform: fields.minCpuPlatform } : {}),
    disks: disks.length > 0 ? disks : [{ type: 'pd-standard', sizeGb: 10, autoDelete: true }],
    ...(fields.image !== undefined ? { image: fields.image } : {}),
    imageFromArtifact: imageSource === 'artifact',
    network: fields.network,
    ...(fields.subnet !== undefined ? { subnet: fields.subnet } : {}),
    associatePublicIpAddress: fields.associatePublicIpAddress ?? false,
    canIpForward: fields.canIpForward ?? false,
    loadBalancers: fields.loadBalancers,
    backendServices,
    ...(policy
      ? {
          loadBalancingPolicy: {
            balancingMode: policy.balancingMode,
            ...(policy.maxUtilization !== undefined ? { maxUtilization: policy.maxUtilization } : {}),
            ...(policy.maxRatePerInstance !== undefined ? { maxRatePerInstance: policy.maxRatePerInstance } : {}),
            ...(policy.maxConnectionsPerInstance !== undefined ? { maxConnectionsPerInstance: policy.maxConnectionsPerInstance } : {}),
            capacityScaler: policy.capacityScaler ?? 1,
            namedPorts,
          },
        }
      : {}),
    ...(fields.autoHealingPolicy
      ? {
          autoHealingPolicy: {
            healthCheck: fields.autoHealingPolicy.healthCheck,
            ...(fields.autoHealingPolicy.healthCheckKind !== undefined ? { healthCheckKind: fields.autoHealingPolicy.healthCheckKind } : {}),
            ...(fields.autoHealingPolicy.initialDelaySec !== undefined ? { initialDelaySec: fields.autoHealingPolicy.initialDelaySec } : {}),
          },
        }
      : {}),
    ...(autoscaling ? { autoscalingPolicy: autoscaling as Record<string, unknown> } : {}),
    disableTraffic: fields.disableTraffic ?? false,
    serviceAccountEmail: fields.serviceAccountEmail ?? 'default',
    authScopes: fields.authScopes.map(scopeUrl),
    preemptible,
    automaticRestart,
    onHostMaintenance,
    instanceMetadata,
    labels,
    tags: fields.tags,
  };
  return { ok: true, config };
}
