/**
 * The simulated ECS world: clusters, task-definition families, services with their deployments
 * and service deployments (ECS native blue/green), tasks. Plain records mutated by the API
 * (ecs.ts) and by the reconciler (ecs-controller.ts), and encoders that write them in the wire
 * shapes of AWS JSON 1.1 (timestamps as epoch seconds).
 */
import { epochSeconds, hexId, uuidId } from './json-rpc.ts';

/** How long the simulated ECS takes for each step (milliseconds of the simulator's clock). */
export interface EcsTimings {
  /** PROVISIONING → PENDING (ENI attached, capacity found). */
  readonly provisioningMs: number;
  /** PENDING → RUNNING (image pulled, containers started). */
  readonly pendingMs: number;
  /** RUNNING with a container health check: UNKNOWN → HEALTHY (or UNHEALTHY). */
  readonly healthCheckMs: number;
  /** DEACTIVATING when the load balancer tells no deregistration delay; also STOPPING → STOPPED. */
  readonly stoppingMs: number;
  /** A deleted service stays DRAINING at least this long after its last task stopped, then INACTIVE. */
  readonly drainingMs: number;
  /** INACTIVE services stay visible to DescribeServices this long (AWS: about an hour). */
  readonly inactiveRetentionMs: number;
  /** STOPPED tasks stay visible to ListTasks/DescribeTasks this long (AWS: about an hour). */
  readonly stoppedTaskRetentionMs: number;
}

/** Default timings: the order of magnitude AWS shows for a small Fargate task. */
export const DEFAULT_ECS_TIMINGS: EcsTimings = {
  provisioningMs: 5_000,
  pendingMs: 10_000,
  healthCheckMs: 10_000,
  stoppingMs: 5_000,
  drainingMs: 10_000,
  inactiveRetentionMs: 3_600_000,
  stoppedTaskRetentionMs: 3_600_000,
};

/** What a container image does when ECS starts it (seeded per image; default `healthy`). */
export type ImageBehaviour = 'healthy' | 'crash' | 'unhealthy';

export type Json = Record<string, unknown>;

export interface EcsTag {
  readonly key: string;
  readonly value: string;
}

export interface EcsCluster {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  tags: EcsTag[];
}

export interface TaskDefinitionRecord {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly region: string;
  status: 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
  readonly registeredAt: number;
  deregisteredAt?: number;
  /** The registration request's members (containerDefinitions, networkMode, cpu...). */
  readonly body: Json;
  tags: EcsTag[];
}

/** One load balancer entry of a service as the caller gave it. */
export interface ServiceLoadBalancer {
  readonly targetGroupArn?: string;
  readonly loadBalancerName?: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly advancedConfiguration?: {
    readonly alternateTargetGroupArn?: string;
    readonly productionListenerRule?: string;
    readonly testListenerRule?: string;
    readonly roleArn?: string;
  };
}

/** A target a task registers: the target group, the id (IP for awsvpc) and the port. */
export interface TaskTarget {
  readonly targetGroupArn: string;
  readonly id: string;
  readonly port: number;
}

export interface EcsTask {
  readonly arn: string;
  readonly id: string;
  readonly clusterArn: string;
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly deploymentId: string;
  readonly taskDefinitionArn: string;
  readonly launchType?: string;
  readonly createdAt: number;
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY';
  /** Whether a container of the task definition has a health check. */
  readonly hasHealthCheck: boolean;
  /** When the next lifecycle step is due (undefined: nothing scheduled). */
  nextAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  connectivityAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  exitCode?: number;
  readonly ip: string;
  readonly eniId: string;
  readonly attachmentId: string;
  readonly subnetId?: string;
  readonly availabilityZone: string;
  /** Targets the task belongs in once RUNNING. */
  readonly targets: readonly TaskTarget[];
  /** Whether its targets are registered now. */
  registered: boolean;
  version: number;
  /** Whether its failure was counted against its deployment (once). */
  failureCounted: boolean;
}

export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface EcsDeployment {
  readonly id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  readonly taskDefinitionArn: string;
  desiredCount: number;
  failedTasks: number;
  readonly createdAt: number;
  updatedAt: number;
  readonly launchType?: string;
  readonly platformVersion?: string;
  readonly networkConfiguration?: Json;
  readonly capacityProviderStrategy?: Json[];
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** The service revision this deployment runs. */
  readonly serviceRevisionArn: string;
  /** For native blue/green: which side of each load balancer the tasks register in. */
  side: 'primary' | 'alternate';
}

export type HookStatus = 'IN_PROGRESS' | 'AWAITING_ACTION' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

/** One lifecycle hook as configured on the service. */
export interface LifecycleHookConfig {
  readonly targetType: 'AWS_LAMBDA' | 'PAUSE';
  readonly hookTargetArn?: string;
  readonly roleArn?: string;
  readonly lifecycleStages: readonly string[];
  readonly hookDetails?: unknown;
  readonly timeoutConfiguration?: { readonly timeoutInMinutes?: number; readonly action?: 'CONTINUE' | 'ROLLBACK' };
}

/** One run of a hook at one stage of a service deployment. */
export interface HookRun {
  readonly hookId: string;
  readonly stage: string;
  readonly config: LifecycleHookConfig;
  status: HookStatus;
  readonly startedAt: number;
  readonly expiresAt: number;
  nextInvokeAt?: number;
  hookDetails?: unknown;
  invocations: number;
}

export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

/** A service deployment (DescribeServiceDeployments): one per change of the service's revision. */
export interface ServiceDeploymentRecord {
  readonly arn: string;
  readonly service: EcsServiceRecord;
  readonly createdAt: number;
  startedAt: number;
  finishedAt?: number;
  stoppedAt?: number;
  updatedAt: number;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  /** ROLLING, BLUE_GREEN, CANARY or LINEAR. */
  readonly strategy: string;
  lifecycleStage?: string;
  /** The deployment being replaced (undefined for the service's first deployment). */
  readonly sourceDeploymentId?: string;
  readonly targetDeploymentId: string;
  readonly deploymentConfiguration: Json;
  /** When the current wait (bake, canary step) ends. */
  waitUntil?: number;
  /** Percent of production traffic on the target revision (native strategies). */
  productionWeight: number;
  /** Percent of test traffic on the target revision. */
  testWeight: number;
  hooks: HookRun[];
  /** Stages whose hooks have been started already. */
  hookStagesStarted: string[];
  rollback?: { readonly reason: string; readonly startedAt: number; readonly serviceRevisionArn: string };
}

export interface EcsServiceRecord {
  readonly arn: string;
  readonly name: string;
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly region: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  statusChangedAt: number;
  desiredCount: number;
  taskDefinitionArn: string;
  launchType?: string;
  capacityProviderStrategy?: Json[];
  platformVersion?: string;
  loadBalancers: ServiceLoadBalancer[];
  serviceRegistries: Json[];
  networkConfiguration?: Json;
  healthCheckGracePeriodSeconds?: number;
  deploymentConfiguration: Json;
  deploymentController: Json;
  placementConstraints: Json[];
  placementStrategy: Json[];
  tags: EcsTag[];
  enableECSManagedTags: boolean;
  propagateTags: string;
  enableExecuteCommand: boolean;
  roleArn?: string;
  readonly createdAt: number;
  readonly createdBy: string;
  deployments: EcsDeployment[];
  events: Array<{ id: string; createdAt: number; message: string }>;
  /** The CreateService request (without clientToken), to tell an idempotent retry from a collision. */
  readonly createRequest: string;
  currentServiceDeploymentArn?: string;
  /** Native blue/green: which side of the load balancers serves production now. */
  productionSide: 'primary' | 'alternate';
  /** When it reached a steady state (for the steady-state event). */
  steadySince?: number;
}

/** The native deployment strategies that run the lifecycle-stage machine. */
export const NATIVE_STRATEGIES = new Set(['BLUE_GREEN', 'CANARY', 'LINEAR']);

/** Everything ECS holds, across regions. */
export interface EcsWorld {
  readonly timings: EcsTimings;
  readonly clusters: Map<string, EcsCluster>;
  readonly taskDefinitions: Map<string, TaskDefinitionRecord>;
  /** Last revision per `region/family`. */
  readonly familyRevisions: Map<string, number>;
  /** Every service ever created (a name recreated after INACTIVE gets a new record with the same ARN). */
  readonly services: EcsServiceRecord[];
  readonly tasks: Map<string, EcsTask>;
  readonly serviceDeployments: Map<string, ServiceDeploymentRecord>;
  /** Every deployment ever started, by id (service deployments report revisions already removed from the service). */
  readonly deployments: Map<string, EcsDeployment>;
  readonly images: Map<string, ImageBehaviour>;
  counter: number;
}

/** The next number of the world's counter (ids, IPs), deterministic in call order. */
export function nextCount(world: EcsWorld): number {
  world.counter += 1;
  return world.counter;
}

export function clusterArn(region: string, account: string, name: string): string {
  return `arn:aws:ecs:${region}:${account}:cluster/${name}`;
}

export function serviceArn(region: string, account: string, cluster: string, name: string): string {
  return `arn:aws:ecs:${region}:${account}:service/${cluster}/${name}`;
}

/** ECS deployment ids look like `ecs-svc/` and 19 digits. */
export function deploymentId(n: number): string {
  const digits = BigInt(`0x${hexId('ecs-deployment', n, 15)}`).toString().padStart(19, '0').slice(-19);
  return `ecs-svc/${digits.replace(/^0/, '1')}`;
}

/** Last path segment of an ARN (or the value itself when it is a plain name). */
export function arnName(value: string): string {
  const slash = value.lastIndexOf('/');
  return value.startsWith('arn:') && slash >= 0 ? value.slice(slash + 1) : value;
}

/** Appends a service event (newest first, at most 100 as ECS keeps). */
export function serviceEvent(service: EcsServiceRecord, at: number, message: string, n: number): void {
  service.events.unshift({ id: uuidId('ecs-event', n), createdAt: at, message: `(service ${service.name}) ${message}` });
  if (service.events.length > 100) service.events.length = 100;
}

/** Tasks of one deployment. */
export function tasksOf(world: EcsWorld, service: EcsServiceRecord, deploymentIdValue?: string): EcsTask[] {
  const out: EcsTask[] = [];
  for (const task of world.tasks.values()) {
    if (task.serviceArn !== service.arn) continue;
    if (deploymentIdValue !== undefined && task.deploymentId !== deploymentIdValue) continue;
    out.push(task);
  }
  return out;
}

/** A task still meant to run. */
export function isLive(task: EcsTask): boolean {
  return task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED';
}

/** Counts as ECS's runningCount / pendingCount. */
export function countByStatus(tasks: readonly EcsTask[]): { running: number; pending: number } {
  let running = 0;
  let pending = 0;
  for (const task of tasks) {
    if (task.lastStatus === 'RUNNING') running++;
    else if (task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING') pending++;
  }
  return { running, pending };
}

function stripUndefined(value: Json): Json {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** The Deployment shape of DescribeServices. */
export function encodeDeployment(world: EcsWorld, service: EcsServiceRecord, deployment: EcsDeployment): Json {
  const counts = countByStatus(tasksOf(world, service, deployment.id));
  return stripUndefined({
    id: deployment.id,
    status: deployment.status,
    taskDefinition: deployment.taskDefinitionArn,
    desiredCount: deployment.desiredCount,
    pendingCount: counts.pending,
    runningCount: counts.running,
    failedTasks: deployment.failedTasks,
    createdAt: epochSeconds(deployment.createdAt),
    updatedAt: epochSeconds(deployment.updatedAt),
    capacityProviderStrategy: deployment.capacityProviderStrategy,
    launchType: deployment.launchType,
    platformVersion: deployment.launchType === 'FARGATE' ? (deployment.platformVersion ?? '1.4.0') : deployment.platformVersion,
    platformFamily: deployment.launchType === 'FARGATE' ? 'Linux' : undefined,
    networkConfiguration: deployment.networkConfiguration,
    rolloutState: deployment.rolloutState,
    rolloutStateReason: deployment.rolloutStateReason,
  });
}

/** The Service shape of CreateService/UpdateService/DescribeServices. */
export function encodeService(world: EcsWorld, service: EcsServiceRecord, includeTags: boolean): Json {
  const counts = countByStatus(tasksOf(world, service));
  return stripUndefined({
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.clusterArn,
    loadBalancers: service.loadBalancers,
    serviceRegistries: service.serviceRegistries,
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: counts.running,
    pendingCount: counts.pending,
    launchType: service.launchType,
    capacityProviderStrategy: service.capacityProviderStrategy,
    platformVersion: service.launchType === 'FARGATE' ? (service.platformVersion ?? 'LATEST') : service.platformVersion,
    platformFamily: service.launchType === 'FARGATE' ? 'Linux' : undefined,
    taskDefinition: service.taskDefinitionArn,
    deploymentConfiguration: service.deploymentConfiguration,
    deployments: service.deployments.map((deployment) => encodeDeployment(world, service, deployment)),
    roleArn: service.roleArn,
    events: service.events.map((event) => ({ id: event.id, createdAt: epochSeconds(event.createdAt), message: event.message })),
    createdAt: epochSeconds(service.createdAt),
    currentServiceDeployment: service.currentServiceDeploymentArn,
    currentServiceRevisions: service.deployments.map((deployment) => {
      const c = countByStatus(tasksOf(world, service, deployment.id));
      return { arn: deployment.serviceRevisionArn, requestedTaskCount: deployment.desiredCount, runningTaskCount: c.running, pendingTaskCount: c.pending };
    }),
    placementConstraints: service.placementConstraints,
    placementStrategy: service.placementStrategy,
    networkConfiguration: service.networkConfiguration,
    healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds,
    schedulingStrategy: 'REPLICA',
    deploymentController: service.deploymentController,
    tags: includeTags ? service.tags : undefined,
    createdBy: service.createdBy,
    enableECSManagedTags: service.enableECSManagedTags,
    propagateTags: service.propagateTags,
    enableExecuteCommand: service.enableExecuteCommand,
  });
}

/** The TaskDefinition shape. */
export function encodeTaskDefinition(td: TaskDefinitionRecord, account: string): Json {
  const body = td.body;
  const requires = (body.requiresCompatibilities as string[] | undefined) ?? [];
  const fargateReady = body.networkMode === 'awsvpc' && body.cpu !== undefined && body.memory !== undefined;
  return stripUndefined({
    taskDefinitionArn: td.arn,
    containerDefinitions: body.containerDefinitions,
    family: td.family,
    taskRoleArn: body.taskRoleArn,
    executionRoleArn: body.executionRoleArn,
    networkMode: body.networkMode ?? 'bridge',
    revision: td.revision,
    volumes: body.volumes ?? [],
    status: td.status,
    requiresAttributes: requires.includes('FARGATE') ? [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }, { name: 'ecs.capability.task-eni' }] : [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
    placementConstraints: body.placementConstraints ?? [],
    compatibilities: fargateReady ? ['EC2', 'FARGATE'] : ['EC2'],
    runtimePlatform: body.runtimePlatform,
    requiresCompatibilities: body.requiresCompatibilities,
    cpu: body.cpu,
    memory: body.memory,
    pidMode: body.pidMode,
    ipcMode: body.ipcMode,
    proxyConfiguration: body.proxyConfiguration,
    registeredAt: epochSeconds(td.registeredAt),
    deregisteredAt: td.deregisteredAt !== undefined ? epochSeconds(td.deregisteredAt) : undefined,
    registeredBy: `arn:aws:iam::${account}:root`,
    ephemeralStorage: body.ephemeralStorage,
    enableFaultInjection: body.enableFaultInjection ?? false,
  });
}

/** The Task shape of DescribeTasks. */
export function encodeTask(world: EcsWorld, task: EcsTask, includeTags: boolean, serviceTags: readonly EcsTag[]): Json {
  const td = world.taskDefinitions.get(task.taskDefinitionArn);
  const containers = ((td?.body.containerDefinitions as Json[] | undefined) ?? []).map((container, index) => {
    const name = String(container.name ?? `container-${index}`);
    const portMappings = (container.portMappings as Json[] | undefined) ?? [];
    const awsvpc = td?.body.networkMode === 'awsvpc';
    return stripUndefined({
      containerArn: `${task.clusterArn.replace(':cluster/', ':container/')}/${task.id}/${uuidId(`ecs-container:${task.id}`, index)}`,
      taskArn: task.arn,
      name,
      image: container.image,
      runtimeId: task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING' ? undefined : `${task.id}-${hexId(`ecs-runtime:${task.id}`, index, 10)}`,
      lastStatus: task.lastStatus === 'PROVISIONING' ? 'PENDING' : task.lastStatus === 'DEACTIVATING' || task.lastStatus === 'STOPPING' ? 'RUNNING' : task.lastStatus,
      exitCode: task.lastStatus === 'STOPPED' ? (task.exitCode ?? 0) : undefined,
      reason: task.lastStatus === 'STOPPED' && task.exitCode !== undefined && task.exitCode !== 0 ? 'Essential container in task exited' : undefined,
      networkBindings: awsvpc
        ? []
        : task.lastStatus === 'RUNNING'
          ? portMappings.map((pm) => ({ bindIP: '0.0.0.0', containerPort: pm.containerPort, hostPort: pm.hostPort ?? pm.containerPort, protocol: pm.protocol ?? 'tcp' }))
          : [],
      networkInterfaces: awsvpc ? [{ attachmentId: task.attachmentId, privateIpv4Address: task.ip }] : [],
      healthStatus: task.healthStatus,
      cpu: String(container.cpu ?? 0),
      memory: container.memory !== undefined ? String(container.memory) : undefined,
      memoryReservation: container.memoryReservation !== undefined ? String(container.memoryReservation) : undefined,
    });
  });
  const awsvpc = td?.body.networkMode === 'awsvpc';
  return stripUndefined({
    attachments: awsvpc
      ? [
          {
            id: task.attachmentId,
            type: 'ElasticNetworkInterface',
            status: task.lastStatus === 'STOPPED' ? 'DELETED' : task.lastStatus === 'PROVISIONING' ? 'PRECREATED' : 'ATTACHED',
            details: [
              ...(task.subnetId !== undefined ? [{ name: 'subnetId', value: task.subnetId }] : []),
              { name: 'networkInterfaceId', value: task.eniId },
              { name: 'macAddress', value: `0a:${task.id.slice(0, 10).replace(/(..)(?!$)/g, '$1:')}` },
              { name: 'privateDnsName', value: `ip-${task.ip.replaceAll('.', '-')}.ec2.internal` },
              { name: 'privateIPv4Address', value: task.ip },
            ],
          },
        ]
      : [],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: task.availabilityZone,
    clusterArn: task.clusterArn,
    connectivity: task.connectivityAt !== undefined ? 'CONNECTED' : undefined,
    connectivityAt: task.connectivityAt !== undefined ? epochSeconds(task.connectivityAt) : undefined,
    containers,
    cpu: td?.body.cpu,
    createdAt: epochSeconds(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    group: `service:${task.serviceName}`,
    healthStatus: task.healthStatus,
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    memory: td?.body.memory,
    overrides: { containerOverrides: containers.map((container) => ({ name: container.name })), inferenceAcceleratorOverrides: [] },
    platformVersion: task.launchType === 'FARGATE' ? '1.4.0' : undefined,
    platformFamily: task.launchType === 'FARGATE' ? 'Linux' : undefined,
    pullStartedAt: task.pullStartedAt !== undefined ? epochSeconds(task.pullStartedAt) : undefined,
    pullStoppedAt: task.pullStoppedAt !== undefined ? epochSeconds(task.pullStoppedAt) : undefined,
    startedAt: task.startedAt !== undefined ? epochSeconds(task.startedAt) : undefined,
    startedBy: task.deploymentId,
    stopCode: task.stopCode,
    stoppedAt: task.stoppedAt !== undefined ? epochSeconds(task.stoppedAt) : undefined,
    stoppedReason: task.stoppedReason,
    stoppingAt: task.stoppingAt !== undefined ? epochSeconds(task.stoppingAt) : undefined,
    executionStoppedAt: task.stoppedAt !== undefined ? epochSeconds(task.stoppedAt) : undefined,
    taskArn: task.arn,
    taskDefinitionArn: task.taskDefinitionArn,
    version: task.version,
    ephemeralStorage: task.launchType === 'FARGATE' ? { sizeInGiB: 20 } : undefined,
    tags: includeTags ? serviceTags : undefined,
  });
}

/** The ServiceDeployment shape of DescribeServiceDeployments. */
export function encodeServiceDeployment(world: EcsWorld, sd: ServiceDeploymentRecord): Json {
  const native = NATIVE_STRATEGIES.has(sd.strategy);
  const revision = (id: string, productionWeight: number, testWeight: number): Json | undefined => {
    const deployment = world.deployments.get(id);
    if (deployment === undefined) return undefined;
    const counts = countByStatus(tasksOf(world, sd.service, id));
    return stripUndefined({
      arn: deployment.serviceRevisionArn,
      requestedTaskCount: deployment.desiredCount,
      runningTaskCount: counts.running,
      pendingTaskCount: counts.pending,
      requestedTestTrafficWeight: native ? testWeight : undefined,
      requestedProductionTrafficWeight: native ? productionWeight : undefined,
    });
  };
  const breaker = (sd.deploymentConfiguration.deploymentCircuitBreaker as Json | undefined) ?? {};
  const target = world.deployments.get(sd.targetDeploymentId);
  const source = sd.sourceDeploymentId !== undefined ? revision(sd.sourceDeploymentId, 100 - sd.productionWeight, 100 - sd.testWeight) : undefined;
  return stripUndefined({
    serviceDeploymentArn: sd.arn,
    serviceArn: sd.service.arn,
    clusterArn: sd.service.clusterArn,
    createdAt: epochSeconds(sd.createdAt),
    startedAt: epochSeconds(sd.startedAt),
    finishedAt: sd.finishedAt !== undefined ? epochSeconds(sd.finishedAt) : undefined,
    stoppedAt: sd.stoppedAt !== undefined ? epochSeconds(sd.stoppedAt) : undefined,
    updatedAt: epochSeconds(sd.updatedAt),
    sourceServiceRevisions: source !== undefined ? [source] : [],
    targetServiceRevision: revision(sd.targetDeploymentId, sd.productionWeight, sd.testWeight),
    status: sd.status,
    statusReason: sd.statusReason,
    lifecycleStage: sd.lifecycleStage,
    lifecycleHookDetails: sd.hooks.length > 0
      ? sd.hooks.map((hook) => stripUndefined({
          hookId: hook.hookId,
          targetType: hook.config.targetType,
          targetArn: hook.config.hookTargetArn,
          status: hook.status,
          expiresAt: epochSeconds(hook.expiresAt),
          timeoutAction: hook.config.timeoutConfiguration?.action ?? 'ROLLBACK',
        }))
      : undefined,
    deploymentConfiguration: sd.deploymentConfiguration,
    rollback: sd.rollback !== undefined ? { reason: sd.rollback.reason, startedAt: epochSeconds(sd.rollback.startedAt), serviceRevisionArn: sd.rollback.serviceRevisionArn } : undefined,
    deploymentCircuitBreaker: {
      status: breaker.enable === true ? (target?.rolloutState === 'FAILED' ? 'TRIGGERED' : sd.finishedAt !== undefined ? 'MONITORING_COMPLETE' : 'MONITORING') : 'DISABLED',
      failureCount: target?.failedTasks ?? 0,
      threshold: breakerThreshold(target?.desiredCount ?? 0),
    },
    alarms: { status: 'DISABLED' },
  });
}

/** The circuit breaker's failure threshold: half the desired count, at least 3, at most 200 (BOUNDED_PERCENT 50). */
export function breakerThreshold(desired: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desired * 0.5)));
}
