/**
 * The requests the ECS target sends, built purely from a parsed cluster entry, the server
 * group's names and what was looked up in the account (target group ARNs, subnets, security
 * groups): clouddriver's makeTaskDefinitionRequest, makeTaskDefinitionRequestFromArtifact and
 * makeServiceRequest (CreateServerGroupAtomicOperation), field for field, plus the owner tag that
 * makes a repeated create find its own service.
 */
import { createHash } from 'node:crypto';
import type { CreateServiceCommandInput, RegisterTaskDefinitionCommandInput, Tag } from '@aws-sdk/client-ecs';
import type { ParsedServerGroupName } from '../../../core/deploy/names.ts';
import type { EcsClusterConfig, ImageSource } from './config.ts';

/** The tag holding the owner token of the step that created a service (or its task definition). */
export const OWNER_TAG = 'gennaker:owner';
/** The tag holding the owner token of the step that destroyed a service: kept on the INACTIVE service. */
export const DESTROYED_BY_TAG = 'gennaker:destroyed-by';
/** The tag naming the server group a task definition revision was registered for. */
export const SERVER_GROUP_TAG = 'gennaker:server-group';

/** EcsTagNamer's keys (clouddriver), so Spinnaker reads the moniker of a service made here. */
export const MONIKER_TAGS = {
  application: 'moniker.spinnaker.io/application',
  cluster: 'moniker.spinnaker.io/cluster',
  stack: 'moniker.spinnaker.io/stack',
  detail: 'moniker.spinnaker.io/detail',
  sequence: 'moniker.spinnaker.io/sequence',
} as const;

/** Docker labels clouddriver sets on every container. */
const LABEL_SERVER_GROUP = 'spinnaker.servergroup';
const LABEL_STACK = 'spinnaker.stack';
const LABEL_DETAIL = 'spinnaker.detail';

/** A server group's ECS names (clouddriver's EcsServerGroupName). */
export interface EcsNames {
  /** `<cluster>-v003`: the service. */
  readonly serviceName: string;
  /** `<cluster>`: the task definition family. */
  readonly family: string;
  /** `v003`: the container of a generated task definition. */
  readonly containerName: string;
  readonly app: string;
  readonly stack?: string;
  readonly detail?: string;
  readonly sequence: number;
}

/** The ECS names of a parsed Frigga server group name that has a sequence. */
export function ecsNames(parsed: ParsedServerGroupName & { readonly sequence: number }): EcsNames {
  return {
    serviceName: parsed.group,
    family: parsed.cluster,
    containerName: `v${String(parsed.sequence).padStart(3, '0')}`,
    app: parsed.app,
    ...(parsed.stack !== undefined ? { stack: parsed.stack } : {}),
    ...(parsed.detail !== undefined ? { detail: parsed.detail } : {}),
    sequence: parsed.sequence,
  };
}

/** What the account said about the names in the cluster entry. */
export interface ResolvedResources {
  /** The image each container runs: `''` for the generated container, else by container name. */
  readonly images: ReadonlyMap<string, string>;
  /** One ARN per target group mapping, in the entry's order. */
  readonly targetGroupArns: readonly string[];
  readonly subnets: readonly string[];
  /** Ids: the entry's `securityGroups` and the resolved `securityGroupNames`. */
  readonly securityGroups: readonly string[];
  /** The task role's ARN. */
  readonly taskRoleArn?: string;
  /** The Fargate execution role (clouddriver: the account's assumed role). */
  readonly executionRoleArn?: string;
}

/** An idempotency token for ECS (at most 36 characters) from the owner and the name. */
export function clientToken(owner: string, serviceName: string): string {
  return createHash('sha256').update(`${owner}\n${serviceName}`).digest('hex').slice(0, 32);
}

const keyValue = (name: string, value: string) => ({ name, value });

/** clouddriver's setSpinnakerEnvVars: appended after the user's. */
function spinnakerEnvironment(names: EcsNames): { name: string; value: string }[] {
  return [keyValue('SERVER_GROUP', names.serviceName), ...(names.stack !== undefined ? [keyValue('CLOUD_STACK', names.stack)] : []), ...(names.detail !== undefined ? [keyValue('CLOUD_DETAIL', names.detail)] : [])];
}

/** clouddriver's setSpinnakerDockerLabels: the user's labels, then stack, detail and the server group. */
function spinnakerLabels(labels: Readonly<Record<string, string>> | undefined, names: EcsNames): Record<string, string> {
  return {
    ...labels,
    ...(names.stack !== undefined ? { [LABEL_STACK]: names.stack } : {}),
    ...(names.detail !== undefined ? { [LABEL_DETAIL]: names.detail } : {}),
    [LABEL_SERVER_GROUP]: names.serviceName,
  };
}

/** The tasks run on Fargate (launch type or capacity provider), which needs task-level cpu and memory and an execution role for awslogs. */
export const usesFargate = (config: EcsClusterConfig) =>
  config.launchType === 'FARGATE' || config.capacityProviderStrategy.some((item) => item.capacityProvider === 'FARGATE' || item.capacityProvider === 'FARGATE_SPOT');

/** Tags of a task definition revision: who registered it, for which server group. */
function taskDefinitionTags(owner: string, names: EcsNames): Tag[] {
  return [
    { key: OWNER_TAG, value: owner },
    { key: SERVER_GROUP_TAG, value: names.serviceName },
  ];
}

/** The container's port mappings: one per target group mapping that reaches it (clouddriver's rule). */
function portMappings(config: EcsClusterConfig, containerName: string): { containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }[] {
  const hostPortIsContainerPort = config.networkMode === 'awsvpc' || config.networkMode === 'host';
  const seen = new Set<number>();
  const mappings: { containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }[] = [];
  for (const mapping of config.targetGroupMappings) {
    if (mapping.containerName !== undefined && mapping.containerName !== containerName) continue;
    if (seen.has(mapping.containerPort)) continue;
    seen.add(mapping.containerPort);
    mappings.push({ containerPort: mapping.containerPort, hostPort: hostPortIsContainerPort ? mapping.containerPort : 0, protocol: config.portProtocol });
  }
  return mappings;
}

/** RegisterTaskDefinition for a generated task definition (clouddriver's makeTaskDefinitionRequest). */
export function generatedTaskDefinition(config: EcsClusterConfig, names: EcsNames, resources: ResolvedResources, owner: string): RegisterTaskDefinitionCommandInput {
  const image = resources.images.get('') ?? '';
  const environment = [...Object.entries(config.environmentVariables).map(([name, value]) => keyValue(name, value)), ...spinnakerEnvironment(names)];
  const fargate = usesFargate(config);
  return {
    family: names.family,
    containerDefinitions: [
      {
        name: names.containerName,
        image,
        environment,
        ...(config.computeUnits !== undefined ? { cpu: config.computeUnits } : {}),
        ...(config.reservedMemory !== undefined ? { memoryReservation: config.reservedMemory } : {}),
        portMappings: portMappings(config, names.containerName),
        ...(config.dockerImageCredentialsSecret !== undefined ? { repositoryCredentials: { credentialsParameter: config.dockerImageCredentialsSecret } } : {}),
        dockerLabels: spinnakerLabels(config.dockerLabels, names),
        ...(config.logDriver !== undefined ? { logConfiguration: { logDriver: config.logDriver as never, options: { ...config.logOptions } } } : {}),
      },
    ],
    ...(config.networkMode !== undefined ? { networkMode: config.networkMode } : {}),
    ...(resources.taskRoleArn !== undefined ? { taskRoleArn: resources.taskRoleArn } : {}),
    ...(config.launchType !== undefined ? { requiresCompatibilities: [config.launchType] } : fargate ? { requiresCompatibilities: ['FARGATE'] } : {}),
    ...(fargate
      ? {
          ...(resources.executionRoleArn !== undefined ? { executionRoleArn: resources.executionRoleArn } : {}),
          ...(config.computeUnits !== undefined ? { cpu: String(config.computeUnits) } : {}),
          ...(config.reservedMemory !== undefined ? { memory: String(config.reservedMemory) } : {}),
        }
      : {}),
    tags: taskDefinitionTags(owner, names),
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * RegisterTaskDefinition from an artifact's JSON (clouddriver's makeTaskDefinitionRequestFromArtifact):
 * the family becomes the cluster's, mapped containers get their images, every container gets the
 * Spinnaker environment variables and labels, and Fargate gets the execution role when the JSON has none.
 */
export function artifactTaskDefinition(
  config: EcsClusterConfig,
  template: Readonly<Record<string, unknown>>,
  names: EcsNames,
  resources: ResolvedResources,
  owner: string,
): RegisterTaskDefinitionCommandInput {
  const containers = (Array.isArray(template.containerDefinitions) ? template.containerDefinitions : []).map((raw) => {
    const container = asRecord(raw);
    const name = String(container.name);
    const image = resources.images.get(name);
    const environment = Array.isArray(container.environment) ? [...(container.environment as unknown[])] : [];
    return {
      ...container,
      ...(image !== undefined ? { image } : {}),
      environment: [...environment, ...spinnakerEnvironment(names)],
      dockerLabels: spinnakerLabels(asRecord(container.dockerLabels) as Record<string, string>, names),
    };
  });
  const templateTags = Array.isArray(template.tags) ? (template.tags as Tag[]).filter((tag) => !String(tag.key ?? '').startsWith('gennaker:')) : [];
  const executionRole = typeof template.executionRoleArn === 'string' && template.executionRoleArn.trim() !== '' ? template.executionRoleArn : undefined;
  return {
    ...(template as unknown as RegisterTaskDefinitionCommandInput),
    family: names.family,
    containerDefinitions: containers as RegisterTaskDefinitionCommandInput['containerDefinitions'],
    ...(usesFargate(config) && executionRole === undefined && resources.executionRoleArn !== undefined ? { executionRoleArn: resources.executionRoleArn } : {}),
    tags: [...templateTags, ...taskDefinitionTags(owner, names)],
  };
}

/** The service's tags: the user's, the moniker (EcsTagNamer) and the owner token. */
export function serviceTags(config: EcsClusterConfig, names: EcsNames, owner: string): Tag[] {
  const tags: Record<string, string> = { ...config.tags };
  tags[MONIKER_TAGS.application] ??= names.app;
  tags[MONIKER_TAGS.cluster] ??= names.family;
  if (names.detail !== undefined) tags[MONIKER_TAGS.detail] ??= names.detail;
  if (names.stack !== undefined) tags[MONIKER_TAGS.stack] ??= names.stack;
  tags[MONIKER_TAGS.sequence] = String(names.sequence);
  tags[OWNER_TAG] = owner;
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** CreateService (clouddriver's makeServiceRequest), with an idempotency token from the owner. */
export function createServiceRequest(
  config: EcsClusterConfig,
  names: EcsNames,
  taskDefinitionArn: string,
  desiredCount: number,
  resources: ResolvedResources,
  owner: string,
): CreateServiceCommandInput {
  const awsvpc = config.networkMode === 'awsvpc';
  return {
    serviceName: names.serviceName,
    cluster: config.ecsClusterName,
    taskDefinition: taskDefinitionArn,
    desiredCount,
    clientToken: clientToken(owner, names.serviceName),
    loadBalancers: config.targetGroupMappings.map((mapping, index) => ({
      targetGroupArn: resources.targetGroupArns[index],
      containerName: mapping.containerName ?? names.containerName,
      containerPort: mapping.containerPort,
    })),
    deploymentConfiguration: {
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      deploymentCircuitBreaker: { enable: config.enableDeploymentCircuitBreaker, rollback: false },
    },
    placementConstraints: config.placementConstraints.map((item) => ({ type: item.type as never, ...(item.expression !== undefined ? { expression: item.expression } : {}) })),
    placementStrategy: config.placementStrategy.map((item) => ({ type: item.type as never, ...(item.field !== undefined ? { field: item.field } : {}) })),
    enableExecuteCommand: config.enableExecuteCommand,
    ...(awsvpc
      ? {
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: [...resources.subnets],
              securityGroups: [...resources.securityGroups],
              ...(config.associatePublicIpAddress !== undefined ? { assignPublicIp: config.associatePublicIpAddress ? 'ENABLED' : 'DISABLED' } : {}),
            },
          },
        }
      : {}),
    ...(config.launchType !== undefined
      ? { launchType: config.launchType }
      : config.capacityProviderStrategy.length > 0
        ? { capacityProviderStrategy: config.capacityProviderStrategy.map((item) => ({ ...item })) }
        : {}),
    ...(config.platformVersion !== undefined ? { platformVersion: config.platformVersion } : {}),
    ...(config.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: config.healthCheckGracePeriodSeconds } : {}),
    tags: serviceTags(config, names, owner),
    enableECSManagedTags: true,
    propagateTags: 'SERVICE',
  };
}

/**
 * The image each container of the task definition runs, from the entry's image sources and the
 * deploy's `docker/image` artifact; a problem names the field when an image cannot be known.
 */
export function resolveImages(config: EcsClusterConfig, artifactImage: string | undefined): { ok: true; images: Map<string, string> } | { ok: false; message: string } {
  const images = new Map<string, string>();
  const pick = (source: ImageSource, field: string): string | { problem: string } => {
    if (source.kind === 'address') return source.address;
    if (artifactImage !== undefined) return artifactImage;
    if (source.kind === 'from-artifact') {
      return {
        problem: `provider field ${source.field}.tag is missing; the image of a trigger (${source.repository || 'its repository'}) reaches the ECS target as the deploy's docker/image artifact: set artifact {"type": "docker/image", "reference": "<repository>:<tag>"} (or dockerImageAddress)`,
      };
    }
    return { problem: `provider field ${field} is missing; set the image to run: imageDescription {"repository": "...", "tag": "..."}, dockerImageAddress, or a docker/image artifact` };
  };
  if (config.taskDefinition.kind === 'generated') {
    const image = pick(config.image, 'imageDescription');
    if (typeof image !== 'string') return { ok: false, message: image.problem };
    images.set('', image);
  } else {
    for (const [index, mapping] of config.containerMappings.entries()) {
      const image = pick(mapping.image, `containerMappings[${index}].imageDescription`);
      if (typeof image !== 'string') return { ok: false, message: image.problem };
      images.set(mapping.containerName, image);
    }
  }
  return { ok: true, images };
}
