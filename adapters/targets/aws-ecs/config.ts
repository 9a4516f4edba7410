/**
 * The provider fields of an ECS cluster entry, as Spinnaker's deploy stage writes them
 * (`reference/cloud-targets.md` §3.1): the stage's cluster entry reaches `create` unchanged and is
 * parsed here, once. Fields this target does not read (`account`, `strategy`, `moniker`,
 * `healthCheckType`...) are ignored, as clouddriver ignores them; a field it reads with a wrong
 * value is refused with one line naming the field, showing the value and saying the fix. What this
 * target cannot do yet (service discovery, task-definition artifacts it would have to fetch) is
 * refused as `unsupported` or `invalid`, never silently dropped.
 *
 * Where the image comes from, in Orca's order (EcsServerGroupCreator): an `imageDescription`
 * whose tag is known, else `dockerImageAddress`, else the deploy's `docker/image` artifact (the
 * trigger's tag is not resolved into `imageDescription` by Gennaker, so an `imageDescription`
 * with `fromTrigger` and no tag falls back to the artifact). With `useTaskDefinitionArtifact`,
 * the task definition is the artifact's JSON (a RegisterTaskDefinition request) and
 * `containerMappings` say which container runs which image.
 *
 * `deploymentMode` picks who shifts traffic: `spinnaker` (the default: one ECS service per server
 * group, traffic follows task counts, disable = scale to 0, exactly as clouddriver) or `ecs-native`
 * (ECS's own BLUE_GREEN, CANARY or LINEAR deployment of one service, configured in
 * `ecsNativeDeployment`). See README.md beside this file.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ArtifactToFetch } from '../../../core/ports/artifact-content.ts';
import { fieldOfPath, problem, shown, valueAt } from '../provider-field-issues.ts';

/** Tag keys this target writes itself; a user tag may not take them. */
export const RESERVED_TAG_PREFIX = 'gennaker:';

/** Deck's placeholders meaning "nothing chosen". */
const NO_IAM_ROLE = 'None (No IAM role)';
const NO_IMAGE_CREDENTIALS = 'None (No registry credentials)';

/** Who shifts traffic between versions. */
export const DEPLOYMENT_MODES = ['spinnaker', 'ecs-native'] as const;
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];

/** ECS's native deployment strategies (`deploymentConfiguration.strategy`, `aws-and-peers.md` §3.3). */
export const NATIVE_STRATEGIES = ['BLUE_GREEN', 'CANARY', 'LINEAR'] as const;
export type NativeStrategy = (typeof NATIVE_STRATEGIES)[number];

/** The lifecycle stages of an ECS native deployment a PAUSE hook can hold (`DeploymentLifecycleHookStage`). */
export const PAUSABLE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;
export type PausableStage = (typeof PAUSABLE_STAGES)[number];

/** Minutes a deployment waits at a pause for the pipeline before ECS rolls it back. */
export const DEFAULT_PAUSE_TIMEOUT_MINUTES = 60;

/** A container port's load-balancer wiring: which container and port the target group reaches. */
export interface TargetGroupMapping {
  /** Absent: the server group's own container (`v003`), as clouddriver. */
  readonly containerName?: string;
  readonly containerPort: number;
  /** The target group's name, resolved with DescribeTargetGroups (exactly one must match). */
  readonly targetGroup: string;
  /** Where the container port was written, for messages (`targetGroupMappings[0].containerPort`, or `containerPort` for the legacy form). */
  readonly portField?: string;
}

/** Where a container's image comes from, before the deploy's artifact is known. */
export type ImageSource =
  | { readonly kind: 'address'; readonly address: string; readonly field: string }
  /** `imageDescription` with `fromTrigger` and no tag: the deploy's `docker/image` artifact supplies it. */
  | { readonly kind: 'from-artifact'; readonly field: string; readonly repository: string }
  | { readonly kind: 'none' };

export interface ContainerMapping {
  readonly containerName: string;
  readonly image: ImageSource;
}

/** ECS native blue/green, canary or linear deployment of one service (deploymentMode `ecs-native`). */
export interface NativeDeploymentConfig {
  readonly strategy: NativeStrategy;
  /** Minutes blue and green run side by side after the production shift. @default 0 */
  readonly bakeTimeInMinutes: number;
  readonly canaryPercent?: number;
  readonly canaryBakeTimeInMinutes?: number;
  readonly linearStepPercent?: number;
  readonly linearStepBakeTimeInMinutes?: number;
  /** The second target group ECS shifts traffic to and from (its name). */
  readonly alternateTargetGroup: string;
  /** The listener rule carrying production traffic (an ARN). */
  readonly productionListenerRule: string;
  readonly testListenerRule?: string;
  /** The role ECS assumes to rewrite the listener rules (an ARN). */
  readonly roleArn: string;
  /**
   * Lifecycle stages where the deployment waits for the pipeline (a PAUSE hook each): the deploy
   * stage ends there, and a continueServiceDeployment stage continues or rolls back. @default none
   */
  readonly pauseAt: readonly PausableStage[];
  /** Minutes a pause waits before ECS rolls the deployment back (the hook's timeout). @default 60 */
  readonly pauseTimeoutInMinutes: number;
  /** Lambda functions ECS asks at lifecycle stages (AWS_LAMBDA hooks), beside the pipeline's pauses. @default none */
  readonly lambdaHooks: readonly LambdaHook[];
}

/** An AWS_LAMBDA lifecycle hook: ECS invokes the function at each stage and goes on, waits or rolls back by its answer. */
export interface LambdaHook {
  readonly hookTargetArn: string;
  /** The role ECS invokes the function with. */
  readonly roleArn: string;
  readonly lifecycleStages: readonly PausableStage[];
  readonly hookDetails?: unknown;
  /** @default ECS's 1440 */
  readonly timeoutInMinutes?: number;
  /** @default ECS's ROLLBACK */
  readonly timeoutAction?: 'CONTINUE' | 'ROLLBACK';
}

/** The task definition: generated from the fields (clouddriver's makeTaskDefinitionRequest) or an artifact's JSON. */
export type TaskDefinitionSource =
  | { readonly kind: 'generated' }
  /** A RegisterTaskDefinition request as JSON (lowerCamel members), from an inline artifact or one fetched. */
  | { readonly kind: 'artifact'; readonly template: Readonly<Record<string, unknown>>; readonly field: string }
  /** An artifact whose content is read through its artifact account at create (`withTaskDefinitionTemplate` then checks it). */
  | { readonly kind: 'fetch'; readonly artifact: ArtifactToFetch; readonly field: string };

/** An ECS cluster entry's provider fields, parsed. Capacity and names come from the create request. */
export interface EcsClusterConfig {
  readonly deploymentMode: DeploymentMode;
  readonly ecsClusterName: string;
  readonly launchType?: 'FARGATE' | 'EC2';
  readonly capacityProviderStrategy: readonly { readonly capacityProvider: string; readonly weight?: number; readonly base?: number }[];
  readonly platformVersion?: string;
  /** CPU units of the container (and of the task on Fargate). */
  readonly computeUnits?: number;
  /** Soft memory limit of the container in MiB (and the task's memory on Fargate). */
  readonly reservedMemory?: number;
  readonly containerPort?: number;
  readonly portProtocol: 'tcp' | 'udp';
  readonly image: ImageSource;
  readonly containerMappings: readonly ContainerMapping[];
  readonly taskDefinition: TaskDefinitionSource;
  readonly targetGroupMappings: readonly TargetGroupMapping[];
  /** Subnet purposes (`immutable_metadata` tag), from `subnetType` and `subnetTypes`. */
  readonly subnetTypes: readonly string[];
  /** Explicit subnet ids. */
  readonly subnets: readonly string[];
  /** Zones of the target's region (`availabilityZones[region]`); empty: any zone. */
  readonly availabilityZones: readonly string[];
  /** Security group ids. */
  readonly securityGroups: readonly string[];
  /** Security group names, resolved in the subnets' VPC. */
  readonly securityGroupNames: readonly string[];
  readonly associatePublicIpAddress?: boolean;
  /** `awsvpc`, `bridge`, `host` or `none`; absent for ECS's default. */
  readonly networkMode?: 'awsvpc' | 'bridge' | 'host' | 'none';
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly dockerLabels: Readonly<Record<string, string>>;
  /** The task role (an ARN, or a role name in the account). */
  readonly iamRole?: string;
  /** A Secrets Manager ARN holding registry credentials. */
  readonly dockerImageCredentialsSecret?: string;
  readonly logDriver?: string;
  readonly logOptions: Readonly<Record<string, string>>;
  readonly healthCheckGracePeriodSeconds?: number;
  readonly placementConstraints: readonly { readonly type: string; readonly expression?: string }[];
  readonly placementStrategy: readonly { readonly type: string; readonly field?: string }[];
  readonly tags: Readonly<Record<string, string>>;
  readonly enableExecuteCommand: boolean;
  readonly enableDeploymentCircuitBreaker: boolean;
  readonly ecsNativeDeployment?: NativeDeploymentConfig;
}

export type ParsedEcsConfig = { readonly ok: true; readonly config: EcsClusterConfig } | { readonly ok: false; readonly reason: 'invalid' | 'unsupported'; readonly message: string };

const isBlank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
/** Jackson's reading: null is absent. */
const absentIfNull = (value: unknown) => (value === null ? undefined : value);
const absentIfBlank = (value: unknown) => (isBlank(value) ? undefined : value);

// Each schema's error message is the fix only; `problem` prefixes the field and its value.
const name = (fix: string) => z.string({ error: fix }).trim().min(1, { error: fix });
const whole = (fix: string, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .union([z.number(), z.string().trim().regex(/^[0-9]+$/).transform(Number)], { error: fix })
    .pipe(z.number({ error: fix }).int({ error: fix }).min(min, { error: fix }).max(max, { error: fix }));
const percent = (fix: string, min: number, max: number) =>
  z.union([z.number(), z.string().trim().regex(/^[0-9]+(\.[0-9]+)?$/).transform(Number)], { error: fix }).pipe(z.number({ error: fix }).min(min, { error: fix }).max(max, { error: fix }));
const flag = (fix: string) => z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')], { error: fix });
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(absentIfNull, schema.optional());
/** Optional, and blank strings count as absent (Deck writes `""` for fields left empty). */
const optText = <T extends z.ZodType>(schema: T) => z.preprocess(absentIfBlank, schema.optional());
const list = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === null || value === undefined ? [] : value), schema);
const dict = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);
const stringMap = (fix: string) => dict(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: fix }).transform(String), { error: fix }));

const PORT_FIX = 'set a port number from 1 to 65535, e.g. 80';
const TARGET_GROUP_FIX = 'set the target group name, e.g. "hello-prod-tg"';
const ARN_ROLE = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/;
const ARN_LAMBDA = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[\w-]+(:[\w$-]+)?$/;
const ARN_RULE = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener-rule\/(app|net)\/.+$/;

const imageDescriptionSchema = z.looseObject(
  {
    registry: optText(z.string({ error: 'set the registry host, e.g. "123456789012.dkr.ecr.us-west-2.amazonaws.com"' })),
    repository: optText(z.string({ error: 'set the repository, e.g. "hello"' })),
    tag: optText(z.string({ error: 'set the image tag, e.g. "1.2.0"' })),
    imageId: optText(z.string({ error: 'set the image address, e.g. "hello:1.2.0"' })),
    fromTrigger: opt(flag('set true or false')),
    fromContext: opt(flag('set true or false')),
  },
  { error: 'set {"registry": "...", "repository": "...", "tag": "..."}' },
);

const targetGroupMappingSchema = z.looseObject(
  {
    containerName: optText(z.string({ error: 'set the container name, or leave it empty for the server group\'s container' })),
    containerPort: whole(PORT_FIX, 1, 65535),
    targetGroup: name(TARGET_GROUP_FIX),
  },
  { error: 'set {"containerPort": 80, "targetGroup": "hello-prod-tg"}' },
);

const artifactSchema = z.looseObject({ type: opt(z.string()), reference: opt(z.string()), name: opt(z.string()), version: opt(z.string()), artifactAccount: optText(z.string()) });

const STAGES_FIX = `set lifecycle stages, of ${PAUSABLE_STAGES.join(', ')}`;
const lambdaHookSchema = z.looseObject(
  {
    hookTargetArn: z.string({ error: 'set the ARN of the Lambda function ECS invokes, e.g. "arn:aws:lambda:us-west-2:123456789012:function:smoke-test"' }).regex(ARN_LAMBDA, {
      error: 'set the ARN of the Lambda function ECS invokes, e.g. "arn:aws:lambda:us-west-2:123456789012:function:smoke-test"',
    }),
    roleArn: z.string({ error: 'set the ARN of the role ECS invokes the function with' }).regex(ARN_ROLE, { error: 'set the ARN of the role ECS invokes the function with' }),
    lifecycleStages: z.array(z.enum(PAUSABLE_STAGES, { error: STAGES_FIX }), { error: STAGES_FIX }).min(1, { error: STAGES_FIX }),
    hookDetails: z.unknown().optional(),
    timeoutInMinutes: opt(whole('set the minutes ECS waits for the function\'s answer, 1 to 1440', 1, 1440)),
    timeoutAction: opt(z.enum(['CONTINUE', 'ROLLBACK'], { error: 'set "CONTINUE" or "ROLLBACK"' })),
  },
  { error: 'set {"hookTargetArn": "arn:aws:lambda:...", "roleArn": "arn:...", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}' },
);

const nativeSchema = z.looseObject(
  {
    strategy: z.enum(NATIVE_STRATEGIES, { error: `set one of ${NATIVE_STRATEGIES.join(', ')}` }),
    bakeTimeInMinutes: opt(whole('set the minutes blue and green run side by side after the shift, 0 to 1440', 0, 1440)),
    canaryPercent: opt(percent('set the canary\'s share of traffic, 0.1 to 100', 0.1, 100)),
    canaryBakeTimeInMinutes: opt(whole('set the minutes the canary runs before the rest shifts, 0 to 1440', 0, 1440)),
    linearStepPercent: opt(percent('set each step\'s share of traffic, 3 to 100', 3, 100)),
    linearStepBakeTimeInMinutes: opt(whole('set the minutes between steps, 0 to 1440', 0, 1440)),
    alternateTargetGroup: name('set the name of the second target group ECS shifts traffic to, e.g. "hello-prod-green"'),
    productionListenerRule: z.string({ error: 'set the ARN of the listener rule that carries production traffic ("arn:aws:elasticloadbalancing:...:listener-rule/app/...")' }).regex(ARN_RULE, {
      error: 'set the ARN of the listener rule that carries production traffic ("arn:aws:elasticloadbalancing:...:listener-rule/app/...")',
    }),
    testListenerRule: opt(z.string({ error: 'set the ARN of the test listener rule, or remove testListenerRule' }).regex(ARN_RULE, { error: 'set the ARN of the test listener rule, or remove testListenerRule' })),
    roleArn: z.string({ error: 'set the ARN of the role ECS assumes to shift traffic, e.g. "arn:aws:iam::123456789012:role/ecsInfrastructureRole"' }).regex(ARN_ROLE, {
      error: 'set the ARN of the role ECS assumes to shift traffic, e.g. "arn:aws:iam::123456789012:role/ecsInfrastructureRole"',
    }),
    pauseAt: list(z.array(z.enum(PAUSABLE_STAGES, { error: `set lifecycle stages to wait at, of ${PAUSABLE_STAGES.join(', ')}` }), { error: 'set a list of lifecycle stages, e.g. ["POST_TEST_TRAFFIC_SHIFT"]' })),
    pauseTimeoutInMinutes: opt(whole('set the minutes a pause waits for the pipeline before ECS rolls back, 1 to 1440', 1, 1440)),
    lambdaHooks: list(z.array(lambdaHookSchema, { error: 'set a list of {"hookTargetArn": "arn:aws:lambda:...", "roleArn": "arn:...", "lifecycleStages": [...]}' })),
  },
  { error: 'set {"strategy": "BLUE_GREEN", "alternateTargetGroup": "...", "productionListenerRule": "arn:...", "roleArn": "arn:..."}' },
);

const schema = z.looseObject({
  deploymentMode: z.preprocess((value) => (isBlank(value) ? 'spinnaker' : value), z.enum(DEPLOYMENT_MODES, { error: 'set "spinnaker" (a service per server group, as Spinnaker) or "ecs-native" (ECS blue/green, canary or linear)' })),
  ecsClusterName: z.preprocess(absentIfNull, name('set the ECS cluster to deploy to, e.g. "spinnaker-deployment-cluster"')),
  launchType: optText(z.enum(['FARGATE', 'EC2'], { error: 'set "FARGATE" or "EC2", or leave it empty and set capacityProviderStrategy' })),
  capacityProviderStrategy: list(
    z.array(
      z.looseObject({
        capacityProvider: name('set the capacity provider, e.g. "FARGATE_SPOT"'),
        weight: opt(whole('set a weight from 0 to 1000', 0, 1000)),
        base: opt(whole('set a base from 0 to 100000', 0, 100_000)),
      }),
      { error: 'list capacity providers, e.g. [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]' },
    ),
  ),
  platformVersion: optText(z.string({ error: 'set a Fargate platform version, e.g. "LATEST"' })),
  computeUnits: opt(whole('set CPU units, e.g. 256', 0, 1_000_000)),
  reservedMemory: opt(whole('set memory in MiB, e.g. 512', 0, 10_000_000)),
  containerPort: opt(whole(PORT_FIX, 1, 65535)),
  portProtocol: z.preprocess((value) => (isBlank(value) ? 'tcp' : value), z.enum(['tcp', 'udp'], { error: 'set "tcp" or "udp"' })),
  dockerImageAddress: optText(z.string({ error: 'set the image to run, e.g. "123456789012.dkr.ecr.us-west-2.amazonaws.com/hello:1.2.0"' })),
  imageDescription: opt(imageDescriptionSchema),
  containerMappings: list(
    z.array(
      z.looseObject({ containerName: name('set the name of a container of the task definition'), imageDescription: opt(imageDescriptionSchema), dockerImageAddress: optText(z.string()) }),
      { error: 'list {"containerName": "...", "imageDescription": {...}} entries' },
    ),
  ),
  useTaskDefinitionArtifact: opt(flag('set true or false')),
  taskDefinitionArtifact: opt(z.looseObject({ artifactId: optText(z.string()), artifact: opt(artifactSchema) }, { error: 'set {"artifact": {"type": "embedded/base64", "reference": "<base64 of the task definition JSON>"}}' })),
  resolvedTaskDefinitionArtifact: opt(artifactSchema),
  taskDefinitionArtifactAccount: optText(z.string({ error: 'set the artifact account that reads the task definition, e.g. "my-github-artifact-account"' })),
  spelProcessedTaskDefinitionArtifact: opt(z.record(z.string(), z.unknown(), { error: 'set the task definition JSON object' })),
  targetGroup: optText(z.string({ error: TARGET_GROUP_FIX })),
  loadBalancedContainer: optText(z.string({ error: 'set the container the target group reaches, or leave it empty' })),
  targetGroupMappings: list(z.array(targetGroupMappingSchema, { error: 'list {"containerPort": 80, "targetGroup": "..."} entries' })),
  subnetType: optText(z.string({ error: 'set the subnet purpose, e.g. "private-subnet"' })),
  subnetTypes: list(z.array(name('list subnet purposes, e.g. ["private-subnet"]'), { error: 'list subnet purposes, e.g. ["private-subnet"]' })),
  subnets: list(z.array(z.string().regex(/^subnet-[0-9a-zA-Z]+$/, { error: 'list subnet ids, e.g. ["subnet-0abc1234"]' }), { error: 'list subnet ids, e.g. ["subnet-0abc1234"]' })),
  availabilityZones: opt(z.record(z.string(), list(z.array(z.string(), { error: 'list the zones of the region, e.g. ["us-west-2a"]' })), { error: 'map regions to zones, e.g. {"us-west-2": ["us-west-2a"]}' })),
  securityGroups: list(z.array(z.string().regex(/^sg-[0-9a-zA-Z]+$/, { error: 'list security group ids, e.g. ["sg-0abc1234"], or names in securityGroupNames' }), { error: 'list security group ids, e.g. ["sg-0abc1234"]' })),
  securityGroupNames: list(z.array(name('list security group names, e.g. ["hello-web"]'), { error: 'list security group names, e.g. ["hello-web"]' })),
  associatePublicIpAddress: opt(flag('set true or false')),
  networkMode: optText(z.enum(['awsvpc', 'bridge', 'host', 'none', 'default'], { error: 'set "awsvpc", "bridge", "host", "none" or "default"' })),
  environmentVariables: stringMap('set an object of environment variables, e.g. {"PORT": "80"}'),
  dockerLabels: stringMap('set an object of Docker labels, e.g. {"team": "web"}'),
  iamRole: optText(z.string({ error: 'set the task role\'s name or ARN, or "None (No IAM role)"' })),
  dockerImageCredentialsSecret: optText(z.string({ error: 'set the ARN of the secret holding registry credentials, or "None (No registry credentials)"' })),
  logDriver: optText(z.string({ error: 'set a log driver, e.g. "awslogs"' })),
  logOptions: stringMap('set an object of log options, e.g. {"awslogs-group": "hello"}'),
  healthCheckGracePeriodSeconds: opt(whole('set the seconds ECS ignores failing load-balancer health checks after a task starts, e.g. 30', 0, 2_147_483_647)),
  placementConstraints: list(z.array(z.looseObject({ type: name('set "distinctInstance" or "memberOf"'), expression: optText(z.string()) }), { error: 'list placement constraints, e.g. [{"type": "distinctInstance"}]' })),
  placementStrategySequence: list(z.array(z.looseObject({ type: name('set "random", "spread" or "binpack"'), field: optText(z.string()) }), { error: 'list placement strategies, e.g. [{"type": "spread", "field": "attribute:ecs.availability-zone"}]' })),
  serviceDiscoveryAssociations: list(z.array(z.unknown(), { error: 'leave serviceDiscoveryAssociations empty' })),
  tags: stringMap('set an object of tag values, e.g. {"team": "web"}'),
  enableExecuteCommand: opt(flag('set true or false')),
  enableDeploymentCircuitBreaker: opt(flag('set true or false')),
  ecsNativeDeployment: opt(nativeSchema),
});

/** The provider fields' schema, for the save-time check that reports every bad field at once (cluster-check.ts). */
export const ecsProviderFieldsSchema: z.ZodType = schema;

/** The one-line message of a bad field, as every target's parser writes it (provider-field-issues.ts). */
export { problem, shown };

const invalid = (field: string, value: unknown, fix: string): ParsedEcsConfig => ({ ok: false, reason: 'invalid', message: problem(field, value, fix) });
const unsupported = (field: string, value: unknown, fix: string): ParsedEcsConfig => ({ ok: false, reason: 'unsupported', message: problem(field, value, fix) });

type ImageDescription = z.infer<typeof imageDescriptionSchema>;

/**
 * Orca's getImageAddressFromDescription, without the trigger: `imageId` when it names a tag,
 * else `registry/repository:tag`; a `fromTrigger` description without a tag waits for the deploy's
 * `docker/image` artifact.
 */
function imageFromDescription(description: ImageDescription, field: string): ImageSource | { readonly problem: string } {
  const repository = description.repository;
  if (description.tag !== undefined && repository !== undefined) {
    return { kind: 'address', address: description.registry !== undefined ? `${description.registry}/${repository}:${description.tag}` : `${repository}:${description.tag}`, field };
  }
  // Deck writes "<registry>/<repository> (Tag resolved at runtime)" for trigger images: not an address.
  if (description.imageId !== undefined && !/\s/.test(description.imageId) && !description.fromTrigger) return { kind: 'address', address: description.imageId, field };
  if (description.fromTrigger || description.fromContext) return { kind: 'from-artifact', field, repository: repository ?? description.imageId ?? '' };
  return { problem: problem(`${field}.tag`, description.tag, 'set the image tag, or set dockerImageAddress, e.g. "hello:1.2.0"') };
}

/** A task definition document (JSON, or YAML as Orca reads it) as a RegisterTaskDefinition template. */
function templateFromText(text: string, field: string, shownValue: string, fix: string): { template: Record<string, unknown> } | { problem: ParsedEcsConfig } {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    return { problem: invalid(field, shownValue, `its content is not JSON; ${fix}`) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problem: invalid(field, shownValue, `its content is not a JSON object; ${fix}`) };
  }
  return { template: value as Record<string, unknown> };
}

/**
 * A task-definition artifact: `embedded/base64` is decoded here; any other type is read through
 * its artifact account when the server group is created (`fetch`), `account` when it names none.
 */
function templateFromArtifact(artifact: z.infer<typeof artifactSchema>, field: string, account: string | undefined): { template: Record<string, unknown> } | { fetch: ArtifactToFetch } | { problem: ParsedEcsConfig } {
  if (artifact.type === undefined || artifact.type.trim() === '') return { problem: invalid(`${field}.type`, artifact.type, 'set the artifact type, e.g. "github/file" or "embedded/base64"') };
  if (artifact.type !== 'embedded/base64') {
    if (artifact.reference === undefined || artifact.reference.trim() === '') return { problem: invalid(`${field}.reference`, artifact.reference, 'set where the task definition is, e.g. "https://api.github.com/repos/<owner>/<repo>/contents/task-def.json"') };
    const artifactAccount = artifact.artifactAccount ?? account;
    return {
      fetch: {
        type: artifact.type,
        reference: artifact.reference,
        ...(artifact.name !== undefined ? { name: artifact.name } : {}),
        ...(artifact.version !== undefined && artifact.version !== '' ? { version: artifact.version } : {}),
        ...(artifactAccount !== undefined ? { artifactAccount } : {}),
      },
    };
  }
  const encoded = artifact.reference ?? '';
  if (!/^[A-Za-z0-9+/=\s]+$/.test(encoded)) return { problem: invalid(`${field}.reference`, encoded, 'set the base64 of the task definition JSON') };
  return templateFromText(Buffer.from(encoded, 'base64').toString('utf8'), `${field}.reference`, `${encoded.slice(0, 20)}...`, 'set the base64 of a RegisterTaskDefinition request in JSON');
}

/** The task definition of an artifact, decoded or to fetch. */
function artifactSource(artifact: z.infer<typeof artifactSchema>, field: string, account: string | undefined): TaskDefinitionSource | { problem: ParsedEcsConfig } {
  const decoded = templateFromArtifact(artifact, field, account);
  if ('problem' in decoded) return decoded;
  if ('fetch' in decoded) return { kind: 'fetch', artifact: decoded.fetch, field };
  return { kind: 'artifact', template: decoded.template, field };
}

/** The task definition of an artifact deploy, from whichever inline form the entry carries. */
function taskDefinitionOf(fields: z.infer<typeof schema>): TaskDefinitionSource | { problem: ParsedEcsConfig } {
  if (fields.useTaskDefinitionArtifact !== true) return { kind: 'generated' };
  if (fields.spelProcessedTaskDefinitionArtifact !== undefined) return { kind: 'artifact', template: fields.spelProcessedTaskDefinitionArtifact, field: 'spelProcessedTaskDefinitionArtifact' };
  const account = fields.taskDefinitionArtifactAccount;
  if (fields.resolvedTaskDefinitionArtifact !== undefined) return artifactSource(fields.resolvedTaskDefinitionArtifact, 'resolvedTaskDefinitionArtifact', account);
  const given = fields.taskDefinitionArtifact;
  if (given?.artifact !== undefined) return artifactSource(given.artifact, 'taskDefinitionArtifact.artifact', account);
  if (given?.artifactId !== undefined) {
    // The deploy stage binds the id to its artifact (resolvedTaskDefinitionArtifact); a create that skips the stage has nothing to read.
    return {
      problem: invalid(
        'taskDefinitionArtifact.artifactId',
        given.artifactId,
        'an expected artifact\'s id is bound by the deploy stage, which hands the artifact over as resolvedTaskDefinitionArtifact; deploy through a deploy stage, or set taskDefinitionArtifact.artifact {"type": "github/file", "reference": "...", "artifactAccount": "..."}',
      ),
    };
  }
  return { problem: invalid('taskDefinitionArtifact', given, 'useTaskDefinitionArtifact is true; set taskDefinitionArtifact.artifact {"type": "embedded/base64", "reference": "<base64 of the task definition JSON>"}') };
}

/**
 * What a task-definition template must agree with in the entry: its networkMode, a container of
 * each mapped name, and the ports the target groups reach.
 */
function templateProblem(
  template: Readonly<Record<string, unknown>>,
  field: string,
  networkMode: string | undefined,
  containerMappings: readonly ContainerMapping[],
  targetGroupMappings: readonly TargetGroupMapping[],
): ParsedEcsConfig | undefined {
  const names = templateContainers(template, field);
  if ('problem' in names) return names.problem;
  const templateMode = template.networkMode;
  if (templateMode !== undefined && templateMode !== null && templateMode !== '' && templateMode !== networkMode) {
    return invalid(`${field}.networkMode`, templateMode, `the server group's networkMode is ${shown(networkMode)}; make them match`);
  }
  if (containerMappings.length === 0) return invalid('containerMappings', containerMappings, 'a task definition artifact needs containerMappings, e.g. [{"containerName": "web", "imageDescription": {...}}]');
  for (const [index, mapping] of containerMappings.entries()) {
    const count = names.filter((candidate) => candidate === mapping.containerName).length;
    if (count !== 1) return invalid(`containerMappings[${index}].containerName`, mapping.containerName, `the task definition has ${count} containers of that name (it has ${names.join(', ')}); name exactly one`);
  }
  for (const [index, mapping] of targetGroupMappings.entries()) {
    if (mapping.containerName !== undefined && !names.includes(mapping.containerName)) {
      return invalid(`targetGroupMappings[${index}].containerName`, mapping.containerName, `name a container of the task definition (${names.join(', ')})`);
    }
    // ECS refuses a load balancer on a port the container does not map; say so before anything is registered.
    const ports = mapping.containerName !== undefined ? containerPorts(template, mapping.containerName) : undefined;
    if (ports !== undefined && !ports.includes(mapping.containerPort)) {
      const mapped = ports.length > 0 ? `maps ${ports.join(', ')}` : 'maps no port';
      return invalid(mapping.portField ?? `targetGroupMappings[${index}].containerPort`, mapping.containerPort, `container ${shown(mapping.containerName)} of the task definition (${field}) ${mapped}; add ${mapping.containerPort} to its portMappings or use a mapped port`);
    }
  }
  return undefined;
}

/**
 * The config with a fetched task definition in place of its `fetch` source: the document parsed
 * and checked against the entry as an inline one is. `config` must hold a `fetch` source.
 */
export function withTaskDefinitionTemplate(config: EcsClusterConfig, text: string): ParsedEcsConfig {
  if (config.taskDefinition.kind !== 'fetch') return { ok: true, config };
  const { artifact, field } = config.taskDefinition;
  const parsed = templateFromText(text, field, `${artifact.type} ${artifact.name ?? artifact.reference}`, `make the file a RegisterTaskDefinition request in JSON`);
  if ('problem' in parsed) return parsed.problem;
  const problem = templateProblem(parsed.template, field, config.networkMode, config.containerMappings, config.targetGroupMappings);
  if (problem) return problem;
  return { ok: true, config: { ...config, taskDefinition: { kind: 'artifact', template: parsed.template, field } } };
}

/** Container names of a task-definition template, or a problem naming the field. */
function templateContainers(template: Readonly<Record<string, unknown>>, field: string): string[] | { problem: ParsedEcsConfig } {
  const containers = template.containerDefinitions;
  if (!Array.isArray(containers) || containers.length === 0) {
    return { problem: invalid(`${field}.containerDefinitions`, containers, 'the task definition needs at least one container definition') };
  }
  const names: string[] = [];
  for (const [index, container] of containers.entries()) {
    const containerName = container !== null && typeof container === 'object' ? (container as Record<string, unknown>).name : undefined;
    if (typeof containerName !== 'string' || containerName.trim() === '') return { problem: invalid(`${field}.containerDefinitions[${index}].name`, containerName, 'name every container') };
    names.push(containerName);
  }
  return names;
}

/** The container ports a template's container maps (`portMappings[].containerPort`). */
function containerPorts(template: Readonly<Record<string, unknown>>, containerName: string): number[] {
  const containers = Array.isArray(template.containerDefinitions) ? (template.containerDefinitions as unknown[]) : [];
  const container = containers.find((candidate) => candidate !== null && typeof candidate === 'object' && (candidate as Record<string, unknown>).name === containerName) as Record<string, unknown> | undefined;
  const mappings = Array.isArray(container?.portMappings) ? (container.portMappings as unknown[]) : [];
  return mappings.map((mapping) => (mapping !== null && typeof mapping === 'object' ? (mapping as Record<string, unknown>).containerPort : undefined)).filter((port): port is number => typeof port === 'number');
}

/**
 * Parses a cluster entry's provider fields for a target in `region`. The first bad field is
 * answered (`invalid`, or `unsupported` for what this target cannot do yet); unknown fields are ignored.
 */
export function parseEcsClusterConfig(provider: Readonly<Record<string, unknown>> | undefined, region: string): ParsedEcsConfig {
  const input = provider ?? {};
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((key): key is string | number => typeof key === 'string' || typeof key === 'number');
    return invalid(fieldOfPath(path), valueAt(input, path), issue.message);
  }
  const fields = parsed.data;

  if (fields.serviceDiscoveryAssociations.length > 0) {
    return unsupported('serviceDiscoveryAssociations', fields.serviceDiscoveryAssociations, 'service discovery (Cloud Map) is not supported by the aws-ecs target yet; leave it empty');
  }
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(fields.ecsClusterName) && !/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster\/[a-zA-Z0-9_-]{1,255}$/.test(fields.ecsClusterName)) {
    return invalid('ecsClusterName', fields.ecsClusterName, 'ECS cluster names hold up to 255 letters, digits, hyphens and underscores');
  }
  const networkMode = fields.networkMode === 'default' ? undefined : fields.networkMode;
  if (fields.launchType === 'FARGATE' && networkMode !== 'awsvpc') {
    return invalid('networkMode', fields.networkMode, 'FARGATE tasks run with networkMode "awsvpc"; set it');
  }
  const fargate = fields.launchType === 'FARGATE' || fields.capacityProviderStrategy.some((item) => item.capacityProvider === 'FARGATE' || item.capacityProvider === 'FARGATE_SPOT');
  if (fargate && fields.useTaskDefinitionArtifact !== true) {
    if (fields.computeUnits === undefined) return invalid('computeUnits', fields.computeUnits, 'Fargate tasks need CPU units, e.g. 256');
    if (fields.reservedMemory === undefined) return invalid('reservedMemory', fields.reservedMemory, 'Fargate tasks need memory in MiB, e.g. 512');
  }
  if (fields.launchType !== undefined && fields.capacityProviderStrategy.length > 0) {
    return invalid('capacityProviderStrategy', fields.capacityProviderStrategy, `launchType is ${shown(fields.launchType)} too; set only one of them`);
  }

  // The image of the generated task definition.
  let image: ImageSource = { kind: 'none' };
  if (fields.imageDescription !== undefined) {
    const described = imageFromDescription(fields.imageDescription, 'imageDescription');
    if ('problem' in described) {
      if (fields.dockerImageAddress === undefined) return { ok: false, reason: 'invalid', message: described.problem };
    } else if (described.kind === 'address') image = described;
    else if (fields.dockerImageAddress === undefined) image = described;
  }
  if (image.kind !== 'address' && fields.dockerImageAddress !== undefined) image = { kind: 'address', address: fields.dockerImageAddress, field: 'dockerImageAddress' };

  const taskDefinition = taskDefinitionOf(fields);
  if ('problem' in taskDefinition) return taskDefinition.problem;

  const containerMappings: ContainerMapping[] = [];
  for (const [index, mapping] of fields.containerMappings.entries()) {
    const field = `containerMappings[${index}]`;
    let mapped: ImageSource = { kind: 'none' };
    if (mapping.imageDescription !== undefined) {
      const described = imageFromDescription(mapping.imageDescription, `${field}.imageDescription`);
      if ('problem' in described) return { ok: false, reason: 'invalid', message: described.problem };
      mapped = described;
    } else if (mapping.dockerImageAddress !== undefined) mapped = { kind: 'address', address: mapping.dockerImageAddress, field: `${field}.dockerImageAddress` };
    containerMappings.push({ containerName: mapping.containerName, image: mapped });
  }

  // Legacy single target group (targetGroup + containerPort) joins the mappings, as clouddriver does.
  const targetGroupMappings: TargetGroupMapping[] = fields.targetGroupMappings.map((mapping, index) => ({
    ...(mapping.containerName !== undefined ? { containerName: mapping.containerName } : {}),
    containerPort: mapping.containerPort,
    targetGroup: mapping.targetGroup,
    portField: `targetGroupMappings[${index}].containerPort`,
  }));
  if (fields.targetGroup !== undefined) {
    if (fields.containerPort === undefined) return invalid('containerPort', fields.containerPort, `targetGroup is ${shown(fields.targetGroup)}; set the container port it reaches, e.g. 80`);
    targetGroupMappings.push({ ...(fields.loadBalancedContainer !== undefined ? { containerName: fields.loadBalancedContainer } : {}), containerPort: fields.containerPort, targetGroup: fields.targetGroup, portField: 'containerPort' });
  }

  if (taskDefinition.kind === 'artifact') {
    const problem = templateProblem(taskDefinition.template, taskDefinition.field, fields.networkMode, containerMappings, targetGroupMappings);
    if (problem) return problem;
  }

  const subnetTypes = [...new Set([...fields.subnetTypes, ...(fields.subnetType !== undefined ? [fields.subnetType] : [])])];
  if (networkMode === 'awsvpc' && subnetTypes.length === 0 && fields.subnets.length === 0) {
    return invalid('subnetType', fields.subnetType, 'networkMode "awsvpc" needs subnets: set subnetType (a subnet purpose, e.g. "private-subnet") or subnets');
  }
  if (networkMode !== 'awsvpc' && (fields.securityGroupNames.length > 0 || fields.securityGroups.length > 0) && taskDefinition.kind === 'generated') {
    return invalid('networkMode', fields.networkMode, 'security groups apply to networkMode "awsvpc" only; set it, or remove securityGroups and securityGroupNames');
  }

  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields.tags)) {
    if (key.startsWith(RESERVED_TAG_PREFIX)) return invalid(`tags.${key}`, value, `tag keys starting with "${RESERVED_TAG_PREFIX}" are Gennaker's own; rename the tag`);
    if (key.startsWith('aws:')) return invalid(`tags.${key}`, value, 'tag keys starting with "aws:" are reserved by AWS; rename the tag');
    if (key.length === 0 || key.length > 128) return invalid('tags', key, 'tag keys hold 1 to 128 characters');
    if (value.length > 256) return invalid(`tags.${key}`, value, 'tag values hold at most 256 characters');
    tags[key] = value;
  }

  const iamRole = fields.iamRole !== undefined && fields.iamRole !== NO_IAM_ROLE ? fields.iamRole : undefined;
  if (iamRole !== undefined && !ARN_ROLE.test(iamRole) && !/^[\w+=,.@-]{1,64}$/.test(iamRole)) {
    return invalid('iamRole', iamRole, 'set the task role\'s name (e.g. "helloTaskRole") or ARN, or "None (No IAM role)"');
  }
  const credentials = fields.dockerImageCredentialsSecret !== undefined && fields.dockerImageCredentialsSecret !== NO_IMAGE_CREDENTIALS ? fields.dockerImageCredentialsSecret : undefined;

  let ecsNativeDeployment: NativeDeploymentConfig | undefined;
  if (fields.deploymentMode === 'ecs-native') {
    const native = fields.ecsNativeDeployment;
    if (native === undefined) {
      return invalid('ecsNativeDeployment', undefined, 'deploymentMode "ecs-native" needs {"strategy": "BLUE_GREEN", "alternateTargetGroup": "...", "productionListenerRule": "arn:...", "roleArn": "arn:..."}');
    }
    if (targetGroupMappings.length !== 1) {
      return invalid('targetGroupMappings', fields.targetGroupMappings, 'deploymentMode "ecs-native" shifts one target group: map exactly one (the production one)');
    }
    if (native.alternateTargetGroup === targetGroupMappings[0]!.targetGroup) {
      return invalid('ecsNativeDeployment.alternateTargetGroup', native.alternateTargetGroup, 'name a second target group, not the production one');
    }
    ecsNativeDeployment = {
      strategy: native.strategy,
      bakeTimeInMinutes: native.bakeTimeInMinutes ?? 0,
      ...(native.canaryPercent !== undefined ? { canaryPercent: native.canaryPercent } : {}),
      ...(native.canaryBakeTimeInMinutes !== undefined ? { canaryBakeTimeInMinutes: native.canaryBakeTimeInMinutes } : {}),
      ...(native.linearStepPercent !== undefined ? { linearStepPercent: native.linearStepPercent } : {}),
      ...(native.linearStepBakeTimeInMinutes !== undefined ? { linearStepBakeTimeInMinutes: native.linearStepBakeTimeInMinutes } : {}),
      alternateTargetGroup: native.alternateTargetGroup,
      productionListenerRule: native.productionListenerRule,
      ...(native.testListenerRule !== undefined ? { testListenerRule: native.testListenerRule } : {}),
      roleArn: native.roleArn,
      pauseAt: [...new Set(native.pauseAt)],
      pauseTimeoutInMinutes: native.pauseTimeoutInMinutes ?? DEFAULT_PAUSE_TIMEOUT_MINUTES,
      lambdaHooks: native.lambdaHooks.map((hook) => ({
        hookTargetArn: hook.hookTargetArn,
        roleArn: hook.roleArn,
        lifecycleStages: [...new Set(hook.lifecycleStages)],
        ...(hook.hookDetails !== undefined ? { hookDetails: hook.hookDetails } : {}),
        ...(hook.timeoutInMinutes !== undefined ? { timeoutInMinutes: hook.timeoutInMinutes } : {}),
        ...(hook.timeoutAction !== undefined ? { timeoutAction: hook.timeoutAction } : {}),
      })),
    };
  } else if (fields.ecsNativeDeployment !== undefined) {
    return invalid('deploymentMode', fields.deploymentMode, 'ecsNativeDeployment is set; set deploymentMode to "ecs-native" to use it, or remove ecsNativeDeployment');
  }

  const config: EcsClusterConfig = {
    deploymentMode: fields.deploymentMode,
    ecsClusterName: fields.ecsClusterName.replace(/^arn:[^/]*\//, ''),
    ...(fields.launchType !== undefined ? { launchType: fields.launchType } : {}),
    capacityProviderStrategy: fields.capacityProviderStrategy.map((item) => ({
      capacityProvider: item.capacityProvider,
      ...(item.weight !== undefined ? { weight: item.weight } : {}),
      ...(item.base !== undefined ? { base: item.base } : {}),
    })),
    ...(fields.platformVersion !== undefined ? { platformVersion: fields.platformVersion } : {}),
    ...(fields.computeUnits !== undefined ? { computeUnits: fields.computeUnits } : {}),
    ...(fields.reservedMemory !== undefined ? { reservedMemory: fields.reservedMemory } : {}),
    ...(fields.containerPort !== undefined ? { containerPort: fields.containerPort } : {}),
    portProtocol: fields.portProtocol,
    image,
    containerMappings,
    taskDefinition,
    targetGroupMappings,
    subnetTypes,
    subnets: fields.subnets,
    availabilityZones: fields.availabilityZones?.[region] ?? [],
    securityGroups: fields.securityGroups,
    securityGroupNames: fields.securityGroupNames,
    ...(fields.associatePublicIpAddress !== undefined ? { associatePublicIpAddress: fields.associatePublicIpAddress } : {}),
    ...(networkMode !== undefined ? { networkMode } : {}),
    environmentVariables: fields.environmentVariables,
    dockerLabels: fields.dockerLabels,
    ...(iamRole !== undefined ? { iamRole } : {}),
    ...(credentials !== undefined ? { dockerImageCredentialsSecret: credentials } : {}),
    ...(fields.logDriver !== undefined && fields.logDriver !== 'None' ? { logDriver: fields.logDriver } : {}),
    logOptions: fields.logOptions,
    ...(fields.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: fields.healthCheckGracePeriodSeconds } : {}),
    placementConstraints: fields.placementConstraints.map((item) => ({ type: item.type, ...(item.expression !== undefined ? { expression: item.expression } : {}) })),
    placementStrategy: fields.placementStrategySequence.map((item) => ({ type: item.type, ...(item.field !== undefined ? { field: item.field } : {}) })),
    tags,
    enableExecuteCommand: fields.enableExecuteCommand ?? false,
    enableDeploymentCircuitBreaker: fields.enableDeploymentCircuitBreaker ?? false,
    ...(ecsNativeDeployment !== undefined ? { ecsNativeDeployment } : {}),
  };
  return { ok: true, config };
}
