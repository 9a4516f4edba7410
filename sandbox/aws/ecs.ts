/**
 * The simulated Amazon ECS (AWS JSON 1.1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`):
 * task-definition families, services with rolling or native blue/green deployments, tasks, and
 * clusters seeded up front. State follows AWS: service names stay taken while DRAINING,
 * DescribeServices reports unknown names as `failures: MISSING`, deployments converge to one
 * COMPLETED PRIMARY. The scheduler itself lives in ecs-controller.ts.
 */
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';
import { AwsError, cloneJson, jsonOperations, optInt, optString, optStrings, reqString, type JsonProtocol } from './json-rpc.ts';
import {
  DEFAULT_ECS_TIMINGS,
  NATIVE_STRATEGIES,
  arnName,
  clusterArn,
  countByStatus,
  encodeService,
  encodeServiceDeployment,
  encodeTask,
  encodeTaskDefinition,
  isLive,
  nextCount,
  serviceArn,
  serviceEvent,
  tasksOf,
  type EcsCluster,
  type EcsServiceRecord,
  type EcsTag,
  type EcsTimings,
  type EcsWorld,
  type ImageBehaviour,
  type Json,
  type ServiceLoadBalancer,
  type TaskDefinitionRecord,
} from './ecs-model.ts';
import {
  newDeployment,
  newServiceDeployment,
  nextDue,
  reconcileEcs,
  startRollback,
  stopTask,
  type EcsControlContext,
  type EcsHookInvoker,
  type EcsLoadBalancerPort,
} from './ecs-controller.ts';

export type { EcsHookInvoker, EcsLoadBalancerPort } from './ecs-controller.ts';
export type { EcsTimings, ImageBehaviour } from './ecs-model.ts';

const PROTOCOL: JsonProtocol = { version: '1.1', namespace: 'com.amazonaws.ecs' };
const WIRE: AwsProtocol = { kind: 'awsJson', jsonVersion: '1.1' };
const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';

export interface EcsServiceOptions {
  /** Clusters that exist from the start: a name (in `region`) or `{ name, region }`. */
  readonly clusters?: ReadonlyArray<string | { readonly name: string; readonly region?: string }>;
  /** Region of clusters seeded by name only. @default "us-east-1" */
  readonly region?: string;
  /** How long tasks and services take for each step. @default DEFAULT_ECS_TIMINGS */
  readonly timings?: Partial<EcsTimings>;
}

/** The view Application Auto Scaling has of an ECS service (the `ecs:service:DesiredCount` dimension). */
export interface EcsScalableService {
  readonly status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  readonly desiredCount: number;
}

/** Seeding ECS: what an account holds before a pipeline runs, and how container images behave. */
export interface EcsSeeder {
  /** Creates a cluster (idempotent). */
  cluster(input: { readonly name: string; readonly region?: string }): { clusterArn: string };
  /** What tasks running `image` do: start healthy (default), crash on start, or fail their container health check. */
  image(input: { readonly image: string; readonly behaviour: ImageBehaviour }): { image: string; behaviour: ImageBehaviour };
}

/** The simulated ECS, its seeding API, and what Application Auto Scaling uses. */
export interface EcsSim extends AwsServiceSim {
  bindSeed(context: () => SimContext): EcsSeeder;
  /** Application Auto Scaling's view of `service/<cluster>/<service>` in `region`, or undefined when there is no such service. */
  scalableService(region: string, resourceId: string): EcsScalableService | undefined;
  /** Application Auto Scaling sets the desired count of an ACTIVE service (as a scaling activity would). */
  setDesiredCount(region: string, resourceId: string, desiredCount: number, cause: string, ctx: SimContext): void;
}

const OPERATIONS = [
  'RegisterTaskDefinition',
  'DeregisterTaskDefinition',
  'DescribeTaskDefinition',
  'ListTaskDefinitions',
  'ListTaskDefinitionFamilies',
  'CreateService',
  'UpdateService',
  'DeleteService',
  'DescribeServices',
  'ListServices',
  'ListTasks',
  'DescribeTasks',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
  'ListClusters',
  'DescribeClusters',
  'ListAccountSettings',
  'ListServiceDeployments',
  'DescribeServiceDeployments',
  'ContinueServiceDeployment',
  'StopServiceDeployment',
] as const;

type Operation = (typeof OPERATIONS)[number];

function page<T>(items: readonly T[], body: Json, defaultMax: number, limit: number): { items: T[]; nextToken?: string } {
  const max = optInt(body, 'maxResults') ?? defaultMax;
  if (max < 1 || max > limit) throw new AwsError('InvalidParameterException', `maxResults must be between 1 and ${limit}.`);
  const token = optString(body, 'nextToken');
  let offset = 0;
  if (token !== undefined) {
    const decoded = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw new AwsError('InvalidParameterException', 'Invalid nextToken.');
    offset = decoded;
  }
  const slice = items.slice(offset, offset + max);
  const next = offset + max < items.length ? Buffer.from(String(offset + max)).toString('base64') : undefined;
  return next !== undefined ? { items: slice, nextToken: next } : { items: slice };
}

function readTags(body: Json, key = 'tags'): EcsTag[] {
  const value = body[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AwsError('InvalidParameterException', `${key} must be a list of {key, value}.`);
  return value.map((tag: unknown) => {
    const t = (tag ?? {}) as Json;
    if (typeof t.key !== 'string' || t.key === '') throw new AwsError('InvalidParameterException', 'Tag key must not be empty.');
    return { key: t.key, value: typeof t.value === 'string' ? t.value : '' };
  });
}

function mergeTags(existing: EcsTag[], added: EcsTag[]): EcsTag[] {
  const out = existing.filter((t) => !added.some((a) => a.key === t.key));
  return [...out, ...added];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Creates the simulated ECS. */
export function createEcsService(options: EcsServiceOptions = {}): EcsSim {
  const defaultRegion = options.region ?? 'us-east-1';
  const world: EcsWorld = {
    timings: { ...DEFAULT_ECS_TIMINGS, ...options.timings },
    clusters: new Map(),
    taskDefinitions: new Map(),
    familyRevisions: new Map(),
    services: [],
    tasks: new Map(),
    serviceDeployments: new Map(),
    deployments: new Map(),
    images: new Map(),
    counter: 0,
  };
  let accountId = '000000000000';
  let materialized = false;
  let reconciledAt: number | undefined;
  const behaviours = new Set<ImageBehaviour>(['healthy', 'crash', 'unhealthy']);

  const seeded: Array<{ name: string; region: string }> = (options.clusters ?? []).map((c) => (typeof c === 'string' ? { name: c, region: defaultRegion } : { name: c.name, region: c.region ?? defaultRegion }));

  function addCluster(name: string, region: string): EcsCluster {
    const arn = clusterArn(region, accountId, name);
    const existing = world.clusters.get(arn);
    if (existing !== undefined) return existing;
    const cluster: EcsCluster = { arn, name, region, tags: [] };
    world.clusters.set(arn, cluster);
    return cluster;
  }

  /** Seeded clusters are created once the account id is known (the first request's context). */
  function materialize(ctx: SimContext): void {
    if (materialized) return;
    materialized = true;
    accountId = ctx.accountId;
    for (const c of seeded.splice(0)) addCluster(c.name, c.region);
  }

  function loadBalancerPort(ctx: SimContext): EcsLoadBalancerPort | undefined {
    const elb = ctx.service<AwsServiceSim & Partial<EcsLoadBalancerPort>>('elasticloadbalancing');
    if (elb === undefined || typeof elb.register !== 'function' || typeof elb.deregister !== 'function') return undefined;
    return elb as EcsLoadBalancerPort;
  }

  function hookPort(ctx: SimContext): EcsHookInvoker | undefined {
    const lambda = ctx.service<AwsServiceSim & Partial<EcsHookInvoker>>('lambda');
    return lambda !== undefined && typeof lambda.invokeHook === 'function' ? (lambda as EcsHookInvoker) : undefined;
  }

  function control(ctx: SimContext): EcsControlContext {
    return { world, ctx, loadBalancer: loadBalancerPort(ctx), hooks: hookPort(ctx) };
  }

  // ------------------------------------------------------------------ lookups

  function findCluster(req: SimRequest, value: string | undefined): EcsCluster {
    const ref = value ?? 'default';
    const arn = ref.startsWith('arn:') ? ref : clusterArn(req.region, accountId, ref);
    const cluster = world.clusters.get(arn);
    if (cluster === undefined) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  /** The newest record of a service name in a cluster (ACTIVE/DRAINING before INACTIVE). */
  function findService(cluster: EcsCluster, ref: string): EcsServiceRecord | undefined {
    const name = arnName(ref);
    const matches = world.services.filter((s) => s.clusterArn === cluster.arn && s.name === name);
    return matches.find((s) => s.status !== 'INACTIVE') ?? matches.at(-1);
  }

  function requireActiveService(cluster: EcsCluster, ref: string): EcsServiceRecord {
    const service = findService(cluster, ref);
    if (service === undefined) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    if (service.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    return service;
  }

  function resolveTaskDefinition(region: string, ref: string): TaskDefinitionRecord | undefined {
    if (ref.startsWith('arn:')) return world.taskDefinitions.get(ref);
    const [family, revision] = ref.split(':');
    if (revision !== undefined) return world.taskDefinitions.get(`arn:aws:ecs:${region}:${accountId}:task-definition/${family}:${revision}`);
    // A bare family means its latest ACTIVE revision.
    let latest: TaskDefinitionRecord | undefined;
    for (const td of world.taskDefinitions.values()) {
      if (td.region === region && td.family === family && td.status === 'ACTIVE' && (latest === undefined || td.revision > latest.revision)) latest = td;
    }
    return latest;
  }

  function findSd(arn: string) {
    const sd = world.serviceDeployments.get(arn);
    if (sd === undefined) throw new AwsError('ServiceDeploymentNotFoundException', `The service deployment ${arn} does not exist.`);
    return sd;
  }

  // ------------------------------------------------------------------ task definitions

  function registerTaskDefinition(body: Json, req: SimRequest, ctx: SimContext): Json {
    const family = reqString(body, 'family', 'ClientException');
    if (!/^[a-zA-Z0-9_-]{1,255}$/.test(family)) throw new AwsError('ClientException', `Family contains invalid characters: ${family}. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.`);
    const containers = body.containerDefinitions;
    if (!Array.isArray(containers) || containers.length === 0) throw new AwsError('ClientException', 'Container list cannot be empty.');
    for (const container of containers as Json[]) {
      if (typeof container.image !== 'string' || container.image === '') throw new AwsError('ClientException', 'Container.image should not be null or empty.');
      if (typeof container.name !== 'string' || container.name === '') throw new AwsError('ClientException', 'Container.name should not be null or empty.');
    }
    const requires = optStrings(body, 'requiresCompatibilities', 'ClientException') ?? [];
    if (requires.includes('FARGATE')) {
      if ((body.networkMode ?? 'bridge') !== 'awsvpc') throw new AwsError('ClientException', "Fargate only supports network mode 'awsvpc'.");
      if (body.cpu === undefined) throw new AwsError('ClientException', "Fargate requires that 'cpu' be defined at the task level.");
      if (body.memory === undefined) throw new AwsError('ClientException', "Fargate requires that 'memory' be defined at the task level.");
      const usesAwslogs = (containers as Json[]).some((c) => (c.logConfiguration as Json | undefined)?.logDriver === 'awslogs');
      if (usesAwslogs && body.executionRoleArn === undefined) throw new AwsError('ClientException', 'Fargate requires task definition to have execution role ARN to support log driver awslogs.');
    }
    const key = `${req.region}/${family}`;
    const revision = (world.familyRevisions.get(key) ?? 0) + 1;
    world.familyRevisions.set(key, revision);
    const { tags: _tags, ...rest } = body;
    const td: TaskDefinitionRecord = {
      arn: `arn:aws:ecs:${req.region}:${accountId}:task-definition/${family}:${revision}`,
      family,
      revision,
      region: req.region,
      status: 'ACTIVE',
      registeredAt: ctx.now(),
      body: cloneJson(rest),
      tags: readTags(body),
    };
    world.taskDefinitions.set(td.arn, td);
    ctx.event('ecs.task-definition', { taskDefinitionArn: td.arn, status: 'ACTIVE' });
    return { taskDefinition: encodeTaskDefinition(td, accountId), tags: td.tags };
  }

  function deregisterTaskDefinition(body: Json, req: SimRequest, ctx: SimContext): Json {
    const ref = reqString(body, 'taskDefinition', 'ClientException');
    if (!ref.startsWith('arn:') && !ref.includes(':')) throw new AwsError('ClientException', 'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.');
    const td = resolveTaskDefinition(req.region, ref);
    if (td === undefined) throw new AwsError('ClientException', 'The specified task definition does not exist. Specify a valid account, family, revision and try again.');
    if (td.status === 'ACTIVE') {
      td.status = 'INACTIVE';
      td.deregisteredAt = ctx.now();
      ctx.event('ecs.task-definition', { taskDefinitionArn: td.arn, status: 'INACTIVE' });
    }
    return { taskDefinition: encodeTaskDefinition(td, accountId) };
  }

  function describeTaskDefinition(body: Json, req: SimRequest): Json {
    const ref = reqString(body, 'taskDefinition', 'ClientException');
    const td = resolveTaskDefinition(req.region, ref);
    if (td === undefined) throw new AwsError('ClientException', 'Unable to describe task definition.');
    const include = optStrings(body, 'include') ?? [];
    return { taskDefinition: encodeTaskDefinition(td, accountId), ...(include.includes('TAGS') ? { tags: td.tags } : {}) };
  }

  function listTaskDefinitions(body: Json, req: SimRequest): Json {
    const prefix = optString(body, 'familyPrefix');
    const status = optString(body, 'status') ?? 'ACTIVE';
    const sort = optString(body, 'sort') ?? 'ASC';
    const arns = [...world.taskDefinitions.values()]
      .filter((td) => td.region === req.region && td.status === status && (prefix === undefined || td.family === prefix))
      .sort((a, b) => (a.family === b.family ? a.revision - b.revision : a.family < b.family ? -1 : 1))
      .map((td) => td.arn);
    if (sort === 'DESC') arns.reverse();
    const { items, nextToken } = page(arns, body, 100, 100);
    return { taskDefinitionArns: items, ...(nextToken !== undefined ? { nextToken } : {}) };
  }

  function listTaskDefinitionFamilies(body: Json, req: SimRequest): Json {
    const prefix = optString(body, 'familyPrefix') ?? '';
    const status = optString(body, 'status') ?? 'ACTIVE';
    const families = new Set<string>();
    for (const td of world.taskDefinitions.values()) {
      if (td.region !== req.region || !td.family.startsWith(prefix)) continue;
      if (status === 'ALL' || td.status === status) families.add(td.family);
    }
    const { items, nextToken } = page([...families].sort(), body, 100, 100);
    return { families: items, ...(nextToken !== undefined ? { nextToken } : {}) };
  }

  // ------------------------------------------------------------------ services

  function readLoadBalancers(body: Json, td: TaskDefinitionRecord, ctx: SimContext): ServiceLoadBalancer[] {
    const value = body.loadBalancers;
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new AwsError('InvalidParameterException', 'loadBalancers must be a list.');
    const port = loadBalancerPort(ctx);
    const containers = (td.body.containerDefinitions as Json[]) ?? [];
    return (value as Json[]).map((lb) => {
      const containerName = reqString(lb, 'containerName');
      const containerPort = optInt(lb, 'containerPort');
      if (containerPort === undefined) throw new AwsError('InvalidParameterException', 'containerPort can not be blank.');
      const container = containers.find((c) => c.name === containerName);
      if (container === undefined) throw new AwsError('InvalidParameterException', `The container ${containerName} does not exist in the task definition.`);
      const mappings = (container.portMappings as Json[] | undefined) ?? [];
      if (!mappings.some((pm) => pm.containerPort === containerPort)) throw new AwsError('InvalidParameterException', `The container ${containerName} did not have a container port ${containerPort} defined.`);
      const targetGroupArn = optString(lb, 'targetGroupArn');
      const advanced = lb.advancedConfiguration as ServiceLoadBalancer['advancedConfiguration'] | undefined;
      for (const tg of [targetGroupArn, advanced?.alternateTargetGroupArn]) {
        if (tg !== undefined && port?.targetGroupExists !== undefined && !port.targetGroupExists(tg)) {
          throw new AwsError('InvalidParameterException', 'Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.');
        }
      }
      return {
        ...(targetGroupArn !== undefined ? { targetGroupArn } : {}),
        ...(typeof lb.loadBalancerName === 'string' ? { loadBalancerName: lb.loadBalancerName } : {}),
        containerName,
        containerPort,
        ...(advanced !== undefined ? { advancedConfiguration: cloneJson(advanced) } : {}),
      };
    });
  }

  function checkNetwork(td: TaskDefinitionRecord, networkConfiguration: unknown): void {
    const awsvpc = td.body.networkMode === 'awsvpc';
    if (awsvpc && networkConfiguration === undefined) throw new AwsError('InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    if (!awsvpc && networkConfiguration !== undefined) throw new AwsError('InvalidParameterException', 'Network Configuration is not valid for the given networkMode of this task definition.');
    if (awsvpc) {
      const subnets = ((networkConfiguration as Json).awsvpcConfiguration as Json | undefined)?.subnets;
      if (!Array.isArray(subnets) || subnets.length === 0) throw new AwsError('InvalidParameterException', 'subnets can not be empty.');
    }
  }

  function checkLaunchType(td: TaskDefinitionRecord, launchType: string | undefined): void {
    if (launchType !== 'FARGATE') return;
    const ready = td.body.networkMode === 'awsvpc' && td.body.cpu !== undefined && td.body.memory !== undefined;
    if (!ready) throw new AwsError('InvalidParameterException', 'Task definition does not support launch_type FARGATE.');
  }

  function readDeploymentConfiguration(value: unknown, base: Json): Json {
    const given = (value ?? {}) as Json;
    const config: Json = { ...base, ...cloneJson(given) };
    const strategy = String(config.strategy ?? 'ROLLING');
    if (!['ROLLING', 'BLUE_GREEN', 'CANARY', 'LINEAR'].includes(strategy)) throw new AwsError('InvalidParameterException', `Invalid deployment strategy: ${strategy}. Valid values are ROLLING, BLUE_GREEN, CANARY, LINEAR.`);
    config.strategy = strategy;
    for (const hook of (config.lifecycleHooks as Json[] | undefined) ?? []) {
      if (hook.targetType !== 'AWS_LAMBDA' && hook.targetType !== 'PAUSE') throw new AwsError('InvalidParameterException', `Invalid lifecycle hook targetType: ${String(hook.targetType)}. Valid values are AWS_LAMBDA, PAUSE.`);
      if (hook.targetType === 'AWS_LAMBDA' && typeof hook.hookTargetArn !== 'string') throw new AwsError('InvalidParameterException', 'hookTargetArn is required for an AWS_LAMBDA lifecycle hook.');
      if (!Array.isArray(hook.lifecycleStages) || hook.lifecycleStages.length === 0) throw new AwsError('InvalidParameterException', 'lifecycleStages can not be empty.');
    }
    const linear = config.linearConfiguration as Json | undefined;
    if (linear?.stepPercent !== undefined && (Number(linear.stepPercent) < 3 || Number(linear.stepPercent) > 100)) throw new AwsError('InvalidParameterException', 'stepPercent must be between 3.0 and 100.0.');
    const canary = config.canaryConfiguration as Json | undefined;
    if (canary?.canaryPercent !== undefined && (Number(canary.canaryPercent) < 0.1 || Number(canary.canaryPercent) > 100)) throw new AwsError('InvalidParameterException', 'canaryPercent must be between 0.1 and 100.0.');
    return config;
  }

  function checkNative(config: Json, loadBalancers: readonly ServiceLoadBalancer[]): void {
    const strategy = String(config.strategy);
    if (!NATIVE_STRATEGIES.has(strategy)) return;
    for (const lb of loadBalancers) {
      const advanced = lb.advancedConfiguration;
      if (advanced?.alternateTargetGroupArn === undefined || advanced.productionListenerRule === undefined || advanced.roleArn === undefined) {
        throw new AwsError('InvalidParameterException', `The ${strategy} deployment strategy requires loadBalancers[].advancedConfiguration with alternateTargetGroupArn, productionListenerRule and roleArn.`);
      }
    }
    if (strategy === 'BLUE_GREEN' && config.bakeTimeInMinutes === undefined) {
      config.bakeTimeInMinutes = 0;
    }
  }

  function createService(body: Json, req: SimRequest, ctx: SimContext): Json {
    const name = reqString(body, 'serviceName');
    if (!/^[a-zA-Z][a-zA-Z0-9_-]{0,254}$/.test(name)) throw new AwsError('InvalidParameterException', `Service name ${name} is invalid: up to 255 letters, numbers, hyphens and underscores, starting with a letter.`);
    const cluster = findCluster(req, optString(body, 'cluster'));
    const token = optString(body, 'clientToken');
    if (token !== undefined && !/^[\x21-\x7e]{1,36}$/.test(token)) throw new AwsError('InvalidParameterException', 'clientToken must be 1 to 36 ASCII characters in the range 33-126.');
    // The token does not enter the comparison: a retry with a fresh token and the same members is the same request.
    const { clientToken: _token, ...request } = body;
    const existing = findService(cluster, name);
    if (existing?.status === 'DRAINING') throw new AwsError('InvalidParameterException', 'Unable to Start a service that is still Draining.');
    if (existing?.status === 'ACTIVE') {
      if (existing.createRequest === JSON.stringify(request)) return { service: encodeService(world, existing, true) };
      throw new AwsError('InvalidParameterException', 'Creation of service was not idempotent.');
    }
    const tdRef = reqString(body, 'taskDefinition');
    const td = resolveTaskDefinition(req.region, tdRef);
    if (td === undefined) throw new AwsError('InvalidParameterException', 'TaskDefinition not found.');
    if (td.status !== 'ACTIVE') throw new AwsError('InvalidParameterException', 'TaskDefinition is inactive.');
    const launchType = optString(body, 'launchType');
    if (launchType !== undefined && !['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'].includes(launchType)) throw new AwsError('InvalidParameterException', `Invalid launchType: ${launchType}.`);
    if (launchType !== undefined && body.capacityProviderStrategy !== undefined) throw new AwsError('InvalidParameterException', 'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
    checkLaunchType(td, launchType);
    checkNetwork(td, body.networkConfiguration ?? undefined);
    const desiredCount = optInt(body, 'desiredCount');
    if (desiredCount === undefined) throw new AwsError('InvalidParameterException', 'desiredCount is required for the REPLICA scheduling strategy.');
    if (desiredCount < 0) throw new AwsError('InvalidParameterException', 'desiredCount must be 0 or more.');
    const loadBalancers = readLoadBalancers(body, td, ctx);
    const deploymentConfiguration = readDeploymentConfiguration(body.deploymentConfiguration, {
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    });
    checkNative(deploymentConfiguration, loadBalancers);
    const now = ctx.now();
    const service: EcsServiceRecord = {
      arn: serviceArn(req.region, accountId, cluster.name, name),
      name,
      clusterArn: cluster.arn,
      clusterName: cluster.name,
      region: req.region,
      status: 'ACTIVE',
      statusChangedAt: now,
      desiredCount,
      taskDefinitionArn: td.arn,
      launchType: launchType ?? (body.capacityProviderStrategy === undefined ? 'EC2' : undefined),
      capacityProviderStrategy: body.capacityProviderStrategy as Json[] | undefined,
      platformVersion: optString(body, 'platformVersion'),
      loadBalancers,
      serviceRegistries: (body.serviceRegistries as Json[] | undefined) ?? [],
      networkConfiguration: body.networkConfiguration as Json | undefined,
      healthCheckGracePeriodSeconds: optInt(body, 'healthCheckGracePeriodSeconds') ?? (loadBalancers.length > 0 ? 0 : undefined),
      deploymentConfiguration,
      deploymentController: (body.deploymentController as Json | undefined) ?? { type: 'ECS' },
      placementConstraints: (body.placementConstraints as Json[] | undefined) ?? [],
      placementStrategy: (body.placementStrategy as Json[] | undefined) ?? [],
      tags: readTags(body),
      enableECSManagedTags: body.enableECSManagedTags === true,
      propagateTags: optString(body, 'propagateTags') ?? 'NONE',
      enableExecuteCommand: body.enableExecuteCommand === true,
      roleArn: optString(body, 'role') ?? (loadBalancers.length > 0 ? `arn:aws:iam::${accountId}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS` : undefined),
      createdAt: now,
      createdBy: `arn:aws:iam::${accountId}:root`,
      deployments: [],
      events: [],
      createRequest: JSON.stringify(request),
      productionSide: 'primary',
    };
    world.services.push(service);
    const cc = control(ctx);
    const deployment = newDeployment(cc, service, td.arn, now, 'primary');
    service.deployments.push(deployment);
    newServiceDeployment(cc, service, deployment, undefined, now);
    ctx.event('ecs.service', { service: name, cluster: cluster.name, status: 'ACTIVE', desiredCount, taskDefinition: td.arn });
    return { service: encodeService(world, service, true) };
  }

  /** Starts a new deployment of `taskDefinitionArn` (rolling, or a native service deployment). */
  function deploy(service: EcsServiceRecord, taskDefinitionArn: string, ctx: SimContext): void {
    const cc = control(ctx);
    const now = ctx.now();
    const current = service.currentServiceDeploymentArn !== undefined ? world.serviceDeployments.get(service.currentServiceDeploymentArn) : undefined;
    const strategy = String(service.deploymentConfiguration.strategy ?? 'ROLLING');
    let source = service.deployments[0];
    if (current !== undefined && (current.status === 'IN_PROGRESS' || current.status === 'ROLLBACK_IN_PROGRESS')) {
      current.status = 'STOPPED';
      current.statusReason = 'Service deployment was superseded by a new service deployment.';
      current.stoppedAt = now;
      current.finishedAt = now;
      current.updatedAt = now;
      ctx.event('ecs.service-deployment', { service: service.name, serviceDeploymentArn: current.arn, status: 'STOPPED' });
      if (NATIVE_STRATEGIES.has(current.strategy) && current.sourceDeploymentId !== undefined) {
        // The superseded green never took production; production stays on its source.
        const green = world.deployments.get(current.targetDeploymentId);
        const blue = world.deployments.get(current.sourceDeploymentId);
        if (green !== undefined) {
          green.status = 'ACTIVE';
          for (const task of tasksOf(world, service, green.id)) stopTask(cc, task, now, 'Service deployment was superseded');
        }
        if (blue !== undefined) source = blue;
      }
    }
    const native = NATIVE_STRATEGIES.has(strategy) && source !== undefined;
    const side = native ? (service.productionSide === 'primary' ? 'alternate' : 'primary') : 'primary';
    const deployment = newDeployment(cc, service, taskDefinitionArn, now, side);
    for (const d of service.deployments) d.status = 'ACTIVE';
    service.deployments = [deployment, ...service.deployments.filter((d) => d !== source), ...(source !== undefined ? [source] : [])];
    service.taskDefinitionArn = taskDefinitionArn;
    newServiceDeployment(cc, service, deployment, source, now);
  }

  function updateService(body: Json, req: SimRequest, ctx: SimContext): Json {
    const cluster = findCluster(req, optString(body, 'cluster'));
    const service = requireActiveService(cluster, reqString(body, 'service'));
    const desiredCount = optInt(body, 'desiredCount');
    if (desiredCount !== undefined && desiredCount < 0) throw new AwsError('InvalidParameterException', 'desiredCount must be 0 or more.');
    const tdRef = optString(body, 'taskDefinition');
    const td = tdRef !== undefined ? resolveTaskDefinition(req.region, tdRef) : world.taskDefinitions.get(service.taskDefinitionArn);
    if (td === undefined) throw new AwsError('InvalidParameterException', 'TaskDefinition not found.');
    if (tdRef !== undefined && td.status !== 'ACTIVE') throw new AwsError('InvalidParameterException', 'TaskDefinition is inactive.');
    checkLaunchType(td, service.launchType);
    const networkConfiguration = (body.networkConfiguration as Json | undefined) ?? service.networkConfiguration;
    checkNetwork(td, networkConfiguration);
    const loadBalancers = body.loadBalancers !== undefined ? readLoadBalancers(body, td, ctx) : service.loadBalancers;
    const deploymentConfiguration = body.deploymentConfiguration !== undefined ? readDeploymentConfiguration(body.deploymentConfiguration, service.deploymentConfiguration) : service.deploymentConfiguration;
    checkNative(deploymentConfiguration, loadBalancers);

    const newRevision =
      td.arn !== service.taskDefinitionArn ||
      body.forceNewDeployment === true ||
      (body.networkConfiguration !== undefined && !sameJson(body.networkConfiguration, service.networkConfiguration)) ||
      (body.loadBalancers !== undefined && !sameJson(loadBalancers, service.loadBalancers)) ||
      (body.platformVersion !== undefined && body.platformVersion !== service.platformVersion);
    if (desiredCount !== undefined && desiredCount !== service.desiredCount) {
      ctx.event('ecs.desired-count', { service: service.name, from: service.desiredCount, to: desiredCount });
      service.desiredCount = desiredCount;
    }
    service.networkConfiguration = networkConfiguration;
    service.loadBalancers = loadBalancers;
    service.deploymentConfiguration = deploymentConfiguration;
    if (body.deploymentController !== undefined) service.deploymentController = body.deploymentController as Json;
    if (body.platformVersion !== undefined) service.platformVersion = optString(body, 'platformVersion');
    if (body.healthCheckGracePeriodSeconds !== undefined) service.healthCheckGracePeriodSeconds = optInt(body, 'healthCheckGracePeriodSeconds');
    if (body.enableExecuteCommand !== undefined) service.enableExecuteCommand = body.enableExecuteCommand === true;
    if (body.enableECSManagedTags !== undefined) service.enableECSManagedTags = body.enableECSManagedTags === true;
    if (body.propagateTags !== undefined) service.propagateTags = optString(body, 'propagateTags') ?? service.propagateTags;
    if (body.placementConstraints !== undefined) service.placementConstraints = body.placementConstraints as Json[];
    if (body.placementStrategy !== undefined) service.placementStrategy = body.placementStrategy as Json[];
    if (newRevision) deploy(service, td.arn, ctx);
    return { service: encodeService(world, service, false) };
  }

  function deleteService(body: Json, req: SimRequest, ctx: SimContext): Json {
    const cluster = findCluster(req, optString(body, 'cluster'));
    const service = findService(cluster, reqString(body, 'service'));
    if (service === undefined) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    if (service.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    if (service.desiredCount > 0 && body.force !== true) throw new AwsError('InvalidParameterException', 'The service cannot be stopped while it is scaled above 0.');
    service.status = 'DRAINING';
    service.statusChangedAt = ctx.now();
    service.desiredCount = 0;
    const sd = service.currentServiceDeploymentArn !== undefined ? world.serviceDeployments.get(service.currentServiceDeploymentArn) : undefined;
    if (sd !== undefined && (sd.status === 'IN_PROGRESS' || sd.status === 'ROLLBACK_IN_PROGRESS')) {
      sd.status = 'STOPPED';
      sd.statusReason = 'The service was deleted.';
      sd.stoppedAt = ctx.now();
      sd.finishedAt = ctx.now();
      sd.updatedAt = ctx.now();
    }
    ctx.event('ecs.service', { service: service.name, cluster: cluster.name, status: 'DRAINING' });
    return { service: encodeService(world, service, false) };
  }

  function describeServices(body: Json, req: SimRequest): Json {
    const cluster = findCluster(req, optString(body, 'cluster'));
    const refs = optStrings(body, 'services') ?? [];
    if (refs.length === 0) throw new AwsError('InvalidParameterException', 'Services cannot be empty.');
    if (refs.length > 10) throw new AwsError('InvalidParameterException', 'services can have at most 10 items.');
    const includeTags = (optStrings(body, 'include') ?? []).includes('TAGS');
    const services: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const service = findService(cluster, ref);
      if (service === undefined) failures.push({ arn: ref.startsWith('arn:') ? ref : serviceArn(req.region, accountId, cluster.name, ref), reason: 'MISSING' });
      else services.push(encodeService(world, service, includeTags));
    }
    return { services, failures };
  }

  function listServices(body: Json, req: SimRequest): Json {
    const cluster = findCluster(req, optString(body, 'cluster'));
    const launchType = optString(body, 'launchType');
    const arns = world.services
      .filter((s) => s.clusterArn === cluster.arn && s.status !== 'INACTIVE' && (launchType === undefined || s.launchType === launchType))
      .map((s) => s.arn);
    const { items, nextToken } = page(arns, body, 10, 100);
    return { serviceArns: items, ...(nextToken !== undefined ? { nextToken } : {}) };
  }

  // ------------------------------------------------------------------ tasks

  function listTasks(body: Json, req: SimRequest): Json {
    const cluster = findCluster(req, optString(body, 'cluster'));
    const serviceName = optString(body, 'serviceName');
    const service = serviceName !== undefined ? findService(cluster, serviceName) : undefined;
    if (serviceName !== undefined && service === undefined) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    const family = optString(body, 'family');
    const desiredStatus = optString(body, 'desiredStatus') ?? 'RUNNING';
    const startedBy = optString(body, 'startedBy');
    const launchType = optString(body, 'launchType');
    const arns = [...world.tasks.values()]
      .filter((t) => t.clusterArn === cluster.arn)
      .filter((t) => service === undefined || t.serviceArn === service.arn)
      .filter((t) => family === undefined || world.taskDefinitions.get(t.taskDefinitionArn)?.family === family)
      .filter((t) => t.desiredStatus === desiredStatus)
      .filter((t) => startedBy === undefined || t.deploymentId === startedBy)
      .filter((t) => launchType === undefined || t.launchType === launchType)
      .map((t) => t.arn);
    const { items, nextToken } = page(arns, body, 100, 100);
    return { taskArns: items, ...(nextToken !== undefined ? { nextToken } : {}) };
  }

  function describeTasks(body: Json, req: SimRequest): Json {
    const cluster = findCluster(req, optString(body, 'cluster'));
    const refs = optStrings(body, 'tasks') ?? [];
    if (refs.length === 0) throw new AwsError('InvalidParameterException', 'Tasks cannot be empty.');
    if (refs.length > 100) throw new AwsError('InvalidParameterException', 'tasks can have at most 100 items.');
    const includeTags = (optStrings(body, 'include') ?? []).includes('TAGS');
    const tasks: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const arn = ref.startsWith('arn:') ? ref : `arn:aws:ecs:${req.region}:${accountId}:task/${cluster.name}/${ref}`;
      const task = world.tasks.get(arn);
      if (task === undefined || task.clusterArn !== cluster.arn) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      const service = world.services.filter((s) => s.arn === task.serviceArn).at(-1);
      tasks.push(encodeTask(world, task, includeTags, service?.propagateTags === 'SERVICE' ? service.tags : []));
    }
    return { tasks, failures };
  }

  // ------------------------------------------------------------------ tags, clusters, settings

  function taggable(arn: string): { tags: EcsTag[] } | undefined {
    const service = world.services.filter((s) => s.arn === arn).at(-1);
    if (service !== undefined) return service;
    return world.taskDefinitions.get(arn) ?? world.clusters.get(arn);
  }

  function tagResource(body: Json): Json {
    const arn = reqString(body, 'resourceArn');
    const target = taggable(arn);
    if (target === undefined) throw new AwsError('InvalidParameterException', 'The specified resource is not valid. Specify a valid resource ARN and try again.');
    target.tags = mergeTags(target.tags, readTags(body));
    return {};
  }

  function untagResource(body: Json): Json {
    const arn = reqString(body, 'resourceArn');
    const target = taggable(arn);
    if (target === undefined) throw new AwsError('InvalidParameterException', 'The specified resource is not valid. Specify a valid resource ARN and try again.');
    const keys = optStrings(body, 'tagKeys') ?? [];
    target.tags = target.tags.filter((t) => !keys.includes(t.key));
    return {};
  }

  function listTagsForResource(body: Json): Json {
    const arn = reqString(body, 'resourceArn');
    const target = taggable(arn);
    if (target === undefined) throw new AwsError('InvalidParameterException', 'The specified resource is not valid. Specify a valid resource ARN and try again.');
    return { tags: target.tags };
  }

  function encodeCluster(cluster: EcsCluster, includeTags: boolean): Json {
    const services = world.services.filter((s) => s.clusterArn === cluster.arn);
    const tasks = [...world.tasks.values()].filter((t) => t.clusterArn === cluster.arn);
    const counts = countByStatus(tasks);
    return {
      clusterArn: cluster.arn,
      clusterName: cluster.name,
      status: 'ACTIVE',
      registeredContainerInstancesCount: 0,
      runningTasksCount: counts.running,
      pendingTasksCount: counts.pending,
      activeServicesCount: services.filter((s) => s.status === 'ACTIVE').length,
      statistics: [],
      tags: includeTags ? cluster.tags : [],
      settings: [{ name: 'containerInsights', value: 'disabled' }],
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [],
    };
  }

  function listClusters(body: Json, req: SimRequest): Json {
    const arns = [...world.clusters.values()].filter((c) => c.region === req.region).map((c) => c.arn);
    const { items, nextToken } = page(arns, body, 100, 100);
    return { clusterArns: items, ...(nextToken !== undefined ? { nextToken } : {}) };
  }

  function describeClusters(body: Json, req: SimRequest): Json {
    const refs = optStrings(body, 'clusters') ?? ['default'];
    const includeTags = (optStrings(body, 'include') ?? []).includes('TAGS');
    const clusters: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const arn = ref.startsWith('arn:') ? ref : clusterArn(req.region, accountId, ref);
      const cluster = world.clusters.get(arn);
      if (cluster === undefined) failures.push({ arn, reason: 'MISSING' });
      else clusters.push(encodeCluster(cluster, includeTags));
    }
    return { clusters, failures };
  }

  function listAccountSettings(body: Json): Json {
    const principalArn = `arn:aws:iam::${accountId}:root`;
    const all = [
      { name: 'serviceLongArnFormat', value: 'enabled' },
      { name: 'taskLongArnFormat', value: 'enabled' },
      { name: 'containerInstanceLongArnFormat', value: 'enabled' },
      { name: 'awsvpcTrunking', value: 'disabled' },
      { name: 'containerInsights', value: 'disabled' },
      { name: 'tagResourceAuthorization', value: 'on' },
      { name: 'fargateTaskRetirementWaitPeriod', value: '7' },
    ].map((s) => ({ ...s, principalArn, type: 'aws_managed' }));
    const name = optString(body, 'name');
    const value = optString(body, 'value');
    const settings = all.filter((s) => (name === undefined || s.name === name) && (value === undefined || s.value === value));
    const { items, nextToken } = page(settings, body, 10, 10);
    return { settings: items, ...(nextToken !== undefined ? { nextToken } : {}) };
  }

  // ------------------------------------------------------------------ service deployments

  function listServiceDeployments(body: Json, req: SimRequest): Json {
    const cluster = findCluster(req, optString(body, 'cluster'));
    const service = findService(cluster, reqString(body, 'service'));
    if (service === undefined) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    const statuses = optStrings(body, 'status');
    const briefs = [...world.serviceDeployments.values()]
      .filter((sd) => sd.service === service && (statuses === undefined || statuses.includes(sd.status)))
      .reverse()
      .map((sd) => {
        const full = encodeServiceDeployment(world, sd);
        return {
          serviceDeploymentArn: sd.arn,
          serviceArn: service.arn,
          clusterArn: service.clusterArn,
          startedAt: full.startedAt,
          createdAt: full.createdAt,
          ...(full.finishedAt !== undefined ? { finishedAt: full.finishedAt } : {}),
          targetServiceRevisionArn: (full.targetServiceRevision as Json | undefined)?.arn,
          status: sd.status,
          ...(sd.statusReason !== undefined ? { statusReason: sd.statusReason } : {}),
        };
      });
    const { items, nextToken } = page(briefs, body, 20, 100);
    return { serviceDeployments: items, ...(nextToken !== undefined ? { nextToken } : {}) };
  }

  function describeServiceDeployments(body: Json): Json {
    const arns = optStrings(body, 'serviceDeploymentArns') ?? [];
    if (arns.length === 0) throw new AwsError('InvalidParameterException', 'serviceDeploymentArns cannot be empty.');
    if (arns.length > 20) throw new AwsError('InvalidParameterException', 'serviceDeploymentArns can have at most 20 items.');
    const serviceDeployments: Json[] = [];
    const failures: Json[] = [];
    for (const arn of arns) {
      const sd = world.serviceDeployments.get(arn);
      if (sd === undefined) failures.push({ arn, reason: 'MISSING' });
      else serviceDeployments.push(encodeServiceDeployment(world, sd));
    }
    return { serviceDeployments, failures };
  }

  function continueServiceDeployment(body: Json, _req: SimRequest, ctx: SimContext): Json {
    const sd = findSd(reqString(body, 'serviceDeploymentArn'));
    const hookId = reqString(body, 'hookId');
    const action = optString(body, 'action') ?? 'CONTINUE';
    if (action !== 'CONTINUE' && action !== 'ROLLBACK') throw new AwsError('InvalidParameterException', `Invalid action: ${action}. Valid values are CONTINUE, ROLLBACK.`);
    const hook = sd.hooks.find((h) => h.hookId === hookId);
    if (hook === undefined) throw new AwsError('InvalidParameterException', `The lifecycle hook ${hookId} does not exist in service deployment ${sd.arn}.`);
    if (sd.status !== 'IN_PROGRESS' || hook.status !== 'AWAITING_ACTION') throw new AwsError('ConflictException', `The lifecycle hook ${hookId} is not awaiting action (status ${hook.status}).`);
    hook.status = action === 'CONTINUE' ? 'SUCCEEDED' : 'FAILED';
    sd.updatedAt = ctx.now();
    ctx.event('ecs.hook', { service: sd.service.name, serviceDeploymentArn: sd.arn, hookId, stage: hook.stage, targetType: 'PAUSE', status: hook.status, action });
    return { serviceDeploymentArn: sd.arn };
  }

  function stopServiceDeployment(body: Json, _req: SimRequest, ctx: SimContext): Json {
    const sd = findSd(reqString(body, 'serviceDeploymentArn'));
    const stopType = optString(body, 'stopType') ?? 'ROLLBACK';
    if (stopType !== 'ROLLBACK' && stopType !== 'ABORT') throw new AwsError('InvalidParameterException', `Invalid stopType: ${stopType}. Valid values are ROLLBACK, ABORT.`);
    if (sd.status !== 'IN_PROGRESS') throw new AwsError('ConflictException', `The service deployment ${sd.arn} is ${sd.status}, not IN_PROGRESS.`);
    const service = sd.service;
    const cc = control(ctx);
    if (stopType === 'ABORT') {
      sd.status = 'STOP_REQUESTED';
      sd.updatedAt = ctx.now();
    } else if (NATIVE_STRATEGIES.has(sd.strategy) && sd.sourceDeploymentId !== undefined) {
      startRollback(cc, service, sd, ctx.now(), 'Service deployment rolled back by StopServiceDeployment.');
    } else {
      const source = sd.sourceDeploymentId !== undefined ? world.deployments.get(sd.sourceDeploymentId) : undefined;
      if (source === undefined) throw new AwsError('ConflictException', `The service deployment ${sd.arn} has no previous revision to roll back to.`);
      const back = newDeployment(cc, service, source.taskDefinitionArn, ctx.now(), source.side);
      for (const d of service.deployments) d.status = 'ACTIVE';
      service.deployments.unshift(back);
      service.taskDefinitionArn = source.taskDefinitionArn;
      sd.status = 'ROLLBACK_IN_PROGRESS';
      sd.rollback = { reason: 'Service deployment rolled back by StopServiceDeployment.', startedAt: ctx.now(), serviceRevisionArn: back.serviceRevisionArn };
      sd.updatedAt = ctx.now();
    }
    serviceEvent(service, ctx.now(), `service deployment ${sd.arn} stop requested (${stopType}).`, nextCount(world));
    return { serviceDeploymentArn: sd.arn };
  }

  const handlers: Record<Operation, (body: Json, req: SimRequest, ctx: SimContext) => Json> = {
    RegisterTaskDefinition: registerTaskDefinition,
    DeregisterTaskDefinition: deregisterTaskDefinition,
    DescribeTaskDefinition: describeTaskDefinition,
    ListTaskDefinitions: listTaskDefinitions,
    ListTaskDefinitionFamilies: listTaskDefinitionFamilies,
    CreateService: createService,
    UpdateService: updateService,
    DeleteService: deleteService,
    DescribeServices: describeServices,
    ListServices: listServices,
    ListTasks: listTasks,
    DescribeTasks: describeTasks,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTagsForResource,
    ListClusters: listClusters,
    DescribeClusters: describeClusters,
    ListAccountSettings: listAccountSettings,
    ListServiceDeployments: listServiceDeployments,
    DescribeServiceDeployments: describeServiceDeployments,
    ContinueServiceDeployment: continueServiceDeployment,
    StopServiceDeployment: stopServiceDeployment,
  };
  const run = jsonOperations(PROTOCOL, TARGET_PREFIX, handlers);

  function seeder(context: () => SimContext): EcsSeeder {
    return {
      cluster(input) {
        if (typeof input.name !== 'string' || !/^[a-zA-Z0-9_-]{1,255}$/.test(input.name)) throw new Error(`cluster: 'name' must be 1-255 letters, digits, hyphens or underscores, got ${JSON.stringify(input.name)}`);
        materialize(context());
        return { clusterArn: addCluster(input.name, input.region ?? defaultRegion).arn };
      },
      image(input) {
        if (typeof input.image !== 'string' || input.image === '') throw new Error(`image: 'image' must be an image reference such as 'repo/app:1.2', got ${JSON.stringify(input.image)}`);
        if (!behaviours.has(input.behaviour)) throw new Error(`image: 'behaviour' must be healthy, crash or unhealthy, got ${JSON.stringify(input.behaviour)}`);
        world.images.set(input.image, input.behaviour);
        return { image: input.image, behaviour: input.behaviour };
      },
    };
  }

  function resourceService(region: string, resourceId: string): EcsServiceRecord | undefined {
    const match = /^service\/([^/]+)\/([^/]+)$/.exec(resourceId);
    if (match === null) return undefined;
    const cluster = world.clusters.get(clusterArn(region, accountId, match[1]!));
    return cluster !== undefined ? findService(cluster, match[2]!) : undefined;
  }

  return {
    signingName: 'ecs',
    protocol: WIRE,
    operations: OPERATIONS,

    async handle(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
      materialize(ctx);
      return run(req, ctx);
    },

    reconcile(ctx: SimContext): void {
      materialize(ctx);
      reconcileEcs(control(ctx), reconciledAt ?? ctx.now());
      reconciledAt = ctx.now();
    },

    snapshot(): Record<string, unknown> {
      return {
        clusters: [...world.clusters.values()].map((c) => ({ name: c.name, region: c.region, arn: c.arn })),
        taskDefinitions: [...world.taskDefinitions.values()].map((td) => ({ arn: td.arn, status: td.status })),
        services: world.services.map((s) => {
          const counts = countByStatus(tasksOf(world, s));
          return {
            name: s.name,
            cluster: s.clusterName,
            region: s.region,
            status: s.status,
            desiredCount: s.desiredCount,
            runningCount: counts.running,
            pendingCount: counts.pending,
            taskDefinition: s.taskDefinitionArn,
            strategy: s.deploymentConfiguration.strategy,
            deployments: s.deployments.map((d) => ({ id: d.id, status: d.status, rolloutState: d.rolloutState, taskDefinition: d.taskDefinitionArn, desiredCount: d.desiredCount })),
            currentServiceDeployment: s.currentServiceDeploymentArn !== undefined ? (() => {
              const sd = world.serviceDeployments.get(s.currentServiceDeploymentArn!);
              return sd !== undefined ? { arn: sd.arn, status: sd.status, lifecycleStage: sd.lifecycleStage, productionWeight: sd.productionWeight } : undefined;
            })() : undefined,
            tasks: tasksOf(world, s).filter(isLive).map((t) => ({ id: t.id, lastStatus: t.lastStatus, healthStatus: t.healthStatus, ip: t.ip, deployment: t.deploymentId })),
            loadBalancers: s.loadBalancers,
          };
        }),
      };
    },

    nextChangeAt(): number | undefined {
      // What only the load balancer decides (target health) reaches ECS in the router's settle
      // rounds, which repeat while any service logs a change at the same instant.
      return nextDue(world, Number.POSITIVE_INFINITY);
    },

    control(command: string, input: Record<string, unknown>, ctx: SimContext): unknown {
      const seed = seeder(() => ctx);
      if (command === 'cluster') return seed.cluster(input as { name: string; region?: string });
      if (command === 'image') return seed.image(input as { image: string; behaviour: ImageBehaviour });
      throw new Error(`ecs has no side-door command '${command}' (have: cluster, image)`);
    },

    bindSeed: seeder,

    scalableService(region: string, resourceId: string): EcsScalableService | undefined {
      const service = resourceService(region, resourceId);
      return service !== undefined ? { status: service.status, desiredCount: service.desiredCount } : undefined;
    },

    setDesiredCount(region: string, resourceId: string, desiredCount: number, cause: string, ctx: SimContext): void {
      const service = resourceService(region, resourceId);
      if (service === undefined || service.status !== 'ACTIVE' || service.desiredCount === desiredCount) return;
      ctx.event('ecs.desired-count', { service: service.name, from: service.desiredCount, to: desiredCount, cause });
      serviceEvent(service, ctx.now(), `desired count changed from ${service.desiredCount} to ${desiredCount}: ${cause}`, nextCount(world));
      service.desiredCount = desiredCount;
    },
  };
}
