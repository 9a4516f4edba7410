/**
 * The request bodies of a GCE deploy, pure: instance template properties with clouddriver's
 * metadata keys and labels verbatim (`reference/cloud-targets.md` §1.2: GCEUtil's
 * `load-balancer-names`, `global-load-balancer-names`, `backend-service-names`,
 * `load-balancing-policy`, `select-zones`, `autoscaling-policy`; GoogleLabeledResourceNamer's
 * `spinnaker-*` labels), the template's name (`<sg>-<last 8 digits of epoch ms>`, as
 * BasicGoogleDeployHandler names it), the managed instance group and a backend. Resource URLs are
 * compared by their path from `projects/`, since Compute writes selfLinks with either host
 * (`www.googleapis.com` or `compute.googleapis.com`).
 */
import { createHash } from 'node:crypto';
import type { protos } from '@google-cloud/compute';
import { parseServerGroupName } from '../../../core/deploy/names.ts';
import type { OwnerToken } from '../../../core/ports/server-groups.ts';
import { SPINNAKER_METADATA_KEYS, type GceClusterConfig, type LoadBalancingPolicy } from './config.ts';

export type InstanceTemplate = protos.google.cloud.compute.v1.IInstanceTemplate;
export type InstanceProperties = protos.google.cloud.compute.v1.IInstanceProperties;
export type InstanceGroupManager = protos.google.cloud.compute.v1.IInstanceGroupManager;
export type Backend = protos.google.cloud.compute.v1.IBackend;
export type Operation = protos.google.cloud.compute.v1.IOperation;

/** The host Compute's v1 resource URLs are written with. */
export const COMPUTE_BASE = 'https://compute.googleapis.com/compute/v1/';

/** Instance templates hold at most 63 characters in their name (RFC 1035). */
export const MAX_TEMPLATE_NAME = 63;

/** Where this target keeps the owner token: the `description` of the MIG and of its template. */
export const OWNER_PREFIX = 'gennaker:owner=';

/** The default policy of a backend when the cluster gives none (clouddriver's GoogleHttpLoadBalancingPolicy defaults). */
export const DEFAULT_LOAD_BALANCING_POLICY: LoadBalancingPolicy = { balancingMode: 'UTILIZATION', maxUtilization: 0.8, capacityScaler: 1, namedPorts: [{ name: 'http', port: 80 }] };

/** `projects/p/...` of a resource URL of either host, or the text when it is a path already. */
export function resourcePath(url: string): string {
  const at = url.indexOf('projects/');
  return at >= 0 ? url.slice(at) : url;
}

/** The last segment of a resource URL: the resource's name. */
export function lastSegment(url: string | null | undefined): string {
  if (!url) return '';
  const parts = url.split('/');
  return parts[parts.length - 1] ?? '';
}

/** Two resource URLs name the same resource (whatever their host). */
export function sameResource(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && resourcePath(a) === resourcePath(b);
}

/** The full URL of `projects/<project>/<rest>`, or of a name or URL already given. */
export function resourceUrl(project: string, rest: string): string {
  return `${COMPUTE_BASE}projects/${project}/${rest}`;
}

/** A field naming a resource by name or URL, as a full URL under `collection` (`global/networks`). */
export function urlOf(project: string, collection: string, nameOrUrl: string): string {
  if (nameOrUrl.includes('projects/')) return nameOrUrl.startsWith('https://') ? nameOrUrl : `${COMPUTE_BASE}${resourcePath(nameOrUrl)}`;
  return resourceUrl(project, `${collection}/${nameOrUrl}`);
}

/** The instance template's name: the server group's, a dash, and the last 8 digits of the time in epoch ms. */
export function templateNameFor(serverGroup: string, nowMs: number): string {
  return `${serverGroup}-${String(Math.floor(nowMs) % 100_000_000).padStart(8, '0')}`;
}

/** Whether `name` is one of the server group's template names (`<sg>-NNNNNNNN`). */
export function isTemplateOf(serverGroup: string, name: string | null | undefined): boolean {
  return !!name && name.length === serverGroup.length + 9 && name.startsWith(`${serverGroup}-`) && /^\d{8}$/.test(name.slice(serverGroup.length + 1));
}

/**
 * The `requestId` of a mutation a step makes (a UUID from the owner token, what is done and to
 * what): Compute answers a repeat within an hour with the operation the first one started, so a
 * step delivered again while its insert is still running joins that operation instead of making
 * a second resource (the template's name, which holds the time, differs between deliveries).
 */
export function requestIdFor(owner: OwnerToken, purpose: string, name: string): string {
  const hex = createHash('sha256').update(`${owner}\n${purpose}\n${name}`).digest('hex');
  // A version-5-shaped UUID (never the zero UUID, which Compute refuses).
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** The owner token as it is stored (descriptions hold 2048 characters; long tokens are hashed). */
export function ownerValue(owner: OwnerToken): string {
  return owner.length <= 1000 ? owner : `sha256:${createHash('sha256').update(owner).digest('hex')}`;
}

/** The description carrying the owner token. */
export function ownerDescription(owner: OwnerToken): string {
  return `${OWNER_PREFIX}${ownerValue(owner)}`;
}

/** The owner token a description carries; undefined for resources made elsewhere. */
export function ownerOf(description: string | null | undefined): string | undefined {
  if (!description || !description.startsWith(OWNER_PREFIX)) return undefined;
  return description.slice(OWNER_PREFIX.length);
}

/** A label value: lower case, `[-_a-z0-9]`, at most 63 characters. */
function labelValue(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^-_a-z0-9]/g, '-')
    .slice(0, 63);
}

/** clouddriver's labels of an instance template (they propagate to the instances); moniker parts only when present. */
export function spinnakerLabels(region: string, serverGroup: string): Record<string, string> {
  const parsed = parseServerGroupName(serverGroup);
  const labels: Record<string, string> = {
    'spinnaker-region': labelValue(region),
    'spinnaker-server-group': labelValue(serverGroup),
  };
  if (parsed) {
    labels['spinnaker-moniker-application'] = labelValue(parsed.app);
    labels['spinnaker-moniker-cluster'] = labelValue(parsed.cluster);
    if (parsed.stack) labels['spinnaker-moniker-stack'] = labelValue(parsed.stack);
    if (parsed.detail) labels['spinnaker-moniker-detail'] = labelValue(parsed.detail);
    if (parsed.sequence !== undefined) labels['spinnaker-moniker-sequence'] = String(parsed.sequence);
  }
  return labels;
}

/** The load balancers of a server group, sorted by kind, as the metadata records them. */
export interface LoadBalancerMembership {
  /** Network load balancers (a regional forwarding rule to a target pool): `load-balancer-names`. */
  readonly regional: readonly string[];
  /** HTTP(S), SSL and TCP proxy load balancers: `global-load-balancer-names`. */
  readonly global: readonly string[];
  /** The global load balancers' backend services this server group joins: `backend-service-names`. */
  readonly backendServices: readonly string[];
}

/** The policy a server group's backends take: the cluster's, or clouddriver's default when it has backend services. */
export function effectivePolicy(config: Pick<GceClusterConfig, 'loadBalancingPolicy'>, membership: LoadBalancerMembership): LoadBalancingPolicy | undefined {
  return config.loadBalancingPolicy ?? (membership.backendServices.length > 0 ? DEFAULT_LOAD_BALANCING_POLICY : undefined);
}

/** The autoscaler's policy: the cluster's, with min and max from the capacity (Deck keeps them equal). */
export function autoscalingPolicyFor(config: Pick<GceClusterConfig, 'autoscalingPolicy'>, capacity: { readonly min: number; readonly max: number }): Record<string, unknown> | undefined {
  if (!config.autoscalingPolicy) return undefined;
  return { ...config.autoscalingPolicy, minNumReplicas: capacity.min, maxNumReplicas: capacity.max };
}

/** The template's metadata items: the user's, then clouddriver's keys (only those that apply, as GCEUtil writes them). */
export function metadataItems(config: Pick<GceClusterConfig, 'instanceMetadata' | 'regional' | 'selectZones'>, membership: LoadBalancerMembership, policy: LoadBalancingPolicy | undefined, autoscaling: Record<string, unknown> | undefined): { key: string; value: string }[] {
  const items = Object.entries(config.instanceMetadata).map(([key, value]) => ({ key, value }));
  const put = (key: string, value: string) => items.push({ key, value });
  if (membership.regional.length > 0) put(SPINNAKER_METADATA_KEYS.regionalLoadBalancers, membership.regional.join(','));
  if (membership.global.length > 0) put(SPINNAKER_METADATA_KEYS.globalLoadBalancers, membership.global.join(','));
  if (membership.backendServices.length > 0) put(SPINNAKER_METADATA_KEYS.backendServices, membership.backendServices.join(','));
  if (policy && membership.backendServices.length > 0) put(SPINNAKER_METADATA_KEYS.loadBalancingPolicy, JSON.stringify(policy));
  if (config.regional && config.selectZones) put(SPINNAKER_METADATA_KEYS.selectZones, 'true');
  if (autoscaling) put(SPINNAKER_METADATA_KEYS.autoscalingPolicy, JSON.stringify(autoscaling));
  return items;
}

/** The metadata items of a template as a map. */
export function metadataOf(template: InstanceTemplate | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const item of template?.properties?.metadata?.items ?? []) if (item.key) map[item.key] = item.value ?? '';
  return map;
}

/** A comma-separated metadata value as names. */
export function namesIn(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** What a template's metadata declares: the load balancers, the backends' policy and the autoscaling policy asked for. */
export interface DeclaredMembership extends LoadBalancerMembership {
  readonly policy?: LoadBalancingPolicy;
  readonly autoscaling?: Record<string, unknown>;
}

/** What the template's metadata says about the server group's load balancers. */
export function membershipOf(template: InstanceTemplate | undefined): DeclaredMembership {
  const metadata = metadataOf(template);
  const parse = (text: string | undefined): Record<string, unknown> | undefined => {
    if (!text) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const policy = parse(metadata[SPINNAKER_METADATA_KEYS.loadBalancingPolicy]);
  const autoscaling = parse(metadata[SPINNAKER_METADATA_KEYS.autoscalingPolicy]);
  return {
    regional: namesIn(metadata[SPINNAKER_METADATA_KEYS.regionalLoadBalancers]),
    global: namesIn(metadata[SPINNAKER_METADATA_KEYS.globalLoadBalancers]),
    backendServices: namesIn(metadata[SPINNAKER_METADATA_KEYS.backendServices]),
    ...(policy ? { policy: policy as unknown as LoadBalancingPolicy } : {}),
    ...(autoscaling ? { autoscaling } : {}),
  };
}

/** What a template is made from besides the cluster's fields. */
export interface TemplateInputs {
  readonly project: string;
  readonly region: string;
  readonly serverGroup: string;
  readonly owner: OwnerToken;
  /** The boot image's URL. */
  readonly imageUrl: string;
  readonly membership: LoadBalancerMembership;
  readonly autoscaling?: Record<string, unknown>;
}

/** The instance template `instanceTemplates.insert` takes. */
export function instanceTemplateBody(name: string, config: GceClusterConfig, inputs: TemplateInputs): InstanceTemplate {
  const { project, region } = inputs;
  const policy = effectivePolicy(config, inputs.membership);
  const disks = config.disks.map((disk, index) => {
    const scratch = disk.type === 'local-ssd';
    const diskType = disk.type;
    return {
      boot: index === 0,
      autoDelete: disk.autoDelete,
      type: scratch ? 'SCRATCH' : 'PERSISTENT',
      ...(scratch ? { interface: 'NVME' } : {}),
      initializeParams: {
        diskType,
        ...(scratch ? {} : { diskSizeGb: disk.sizeGb }),
        ...(index === 0 ? { sourceImage: inputs.imageUrl } : disk.sourceImage !== undefined ? { sourceImage: urlOf(project, 'global/images', disk.sourceImage) } : {}),
      },
    };
  });
  return {
    name,
    description: ownerDescription(inputs.owner),
    properties: {
      machineType: config.instanceType,
      ...(config.minCpuPlatform !== undefined ? { minCpuPlatform: config.minCpuPlatform } : {}),
      canIpForward: config.canIpForward,
      disks,
      networkInterfaces: [
        {
          network: urlOf(project, 'global/networks', config.network),
          ...(config.subnet !== undefined ? { subnetwork: urlOf(project, `regions/${region}/subnetworks`, config.subnet) } : {}),
          accessConfigs: config.associatePublicIpAddress ? [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] : [],
        },
      ],
      metadata: { items: metadataItems(config, inputs.membership, policy, inputs.autoscaling) },
      tags: { items: [...config.tags] },
      labels: { ...config.labels, ...spinnakerLabels(region, inputs.serverGroup) },
      serviceAccounts: [{ email: config.serviceAccountEmail, scopes: [...config.authScopes] }],
      scheduling: { preemptible: config.preemptible, automaticRestart: config.automaticRestart, onHostMaintenance: config.onHostMaintenance },
    },
  };
}

/** What a MIG is made from besides the cluster's fields. */
export interface GroupInputs {
  readonly project: string;
  readonly region: string;
  readonly serverGroup: string;
  readonly owner: OwnerToken;
  readonly templateUrl: string;
  readonly targetSize: number;
  /** Target pools of the network load balancers (URLs): the MIG adds its instances to them. */
  readonly targetPools: readonly string[];
  readonly healthCheckUrl?: string;
}

/** The managed instance group `instanceGroupManagers.insert` / `regionInstanceGroupManagers.insert` takes. */
export function instanceGroupManagerBody(config: GceClusterConfig, inputs: GroupInputs): InstanceGroupManager {
  const policy = config.loadBalancingPolicy;
  return {
    name: inputs.serverGroup,
    baseInstanceName: inputs.serverGroup,
    description: ownerDescription(inputs.owner),
    instanceTemplate: inputs.templateUrl,
    targetSize: inputs.targetSize,
    ...(inputs.targetPools.length > 0 ? { targetPools: [...inputs.targetPools] } : {}),
    ...(policy && policy.namedPorts.length > 0 ? { namedPorts: policy.namedPorts.map((port) => ({ name: port.name, port: port.port })) } : {}),
    ...(config.autoHealingPolicy && inputs.healthCheckUrl
      ? { autoHealingPolicies: [{ healthCheck: inputs.healthCheckUrl, ...(config.autoHealingPolicy.initialDelaySec !== undefined ? { initialDelaySec: config.autoHealingPolicy.initialDelaySec } : {}) }] }
      : {}),
    ...(config.regional
      ? {
          distributionPolicy: {
            ...(config.zones.length > 0 ? { zones: config.zones.map((zone) => ({ zone: urlOf(inputs.project, 'zones', zone) })) } : {}),
            ...(config.targetShape !== undefined ? { targetShape: config.targetShape } : {}),
          },
        }
      : {}),
  };
}

/** The backend a server group adds to a backend service (BasicGoogleDeployHandler's Backend). */
export function backendFor(groupUrl: string, policy: LoadBalancingPolicy): Backend {
  return {
    group: groupUrl,
    balancingMode: policy.balancingMode,
    ...(policy.maxUtilization !== undefined ? { maxUtilization: policy.maxUtilization } : {}),
    ...(policy.maxRatePerInstance !== undefined ? { maxRatePerInstance: policy.maxRatePerInstance } : {}),
    ...(policy.maxConnectionsPerInstance !== undefined ? { maxConnectionsPerInstance: policy.maxConnectionsPerInstance } : {}),
    capacityScaler: policy.capacityScaler,
  };
}

/** The instance group URL of a MIG: the MIG's own `instanceGroup` when given, else built from its scope. */
export function instanceGroupUrl(project: string, scope: { readonly zone?: string; readonly region?: string }, serverGroup: string, given?: string | null): string {
  if (given) return given.startsWith('https://') ? given : `${COMPUTE_BASE}${resourcePath(given)}`;
  return scope.zone ? resourceUrl(project, `zones/${scope.zone}/instanceGroups/${serverGroup}`) : resourceUrl(project, `regions/${scope.region}/instanceGroups/${serverGroup}`);
}
