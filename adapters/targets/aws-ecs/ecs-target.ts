/**
 * The `aws-ecs` deploy target: both ports of DESIGN.md §6 (core/ports/server-groups.ts,
 * core/ports/traffic.ts) on one account and region, driving ECS as Spinnaker's clouddriver does
 * (`reference/cloud-targets.md` §3): a server group is an ECS service named after it
 * (`app-stack-detail-v003`), running a task definition of the family `app-stack-detail` whose
 * container is `v003`, attached to the cluster's target groups, with an Application Auto Scaling
 * target holding its min and max.
 *
 * How each operation runs (the calls, in order; reads first, so a bad name changes nothing):
 * - create: DescribeServices (is it there, ours?) → DescribeSubnets / DescribeSecurityGroups
 *   (awsvpc) → DescribeTargetGroups per mapping → ListAccountSettings (tags need the long ARN
 *   formats) → DescribeTaskDefinition (a revision this owner registered already is reused) →
 *   RegisterTaskDefinition → CreateService (with a client token) → RegisterScalableTarget.
 * - enable (EnableServiceAtomicOperation): DescribeScalableTargets → UpdateService {desiredCount:
 *   the scalable target's max, 1 without one} → RegisterScalableTarget {nothing suspended}.
 * - disable (DisableServiceAtomicOperation): DescribeScalableTargets → RegisterScalableTarget
 *   {everything suspended} unless it is → UpdateService {desiredCount: 0}. ECS drains the tasks
 *   from the target groups; describe shows `draining` until they stopped.
 * - resize (ResizeServiceAtomicOperation): UpdateService {desiredCount} → RegisterScalableTarget {min, max}.
 * - destroy (DestroyServiceAtomicOperation): TagResource (who destroys it, kept on the INACTIVE
 *   service) → UpdateService {desiredCount: 0} → DeleteService {force} → DeregisterTaskDefinition →
 *   DeregisterScalableTarget.
 * - describeCluster: ListClusters (or the configured clusters) → ListServices → DescribeServices
 *   (10 at a time, with tags) → DescribeScalableTargets → DescribeTargetHealth per target group →
 *   per service above 0 ListTasks (desired RUNNING) → one DescribeTasks (and
 *   DescribeContainerInstances for bridge networking); the stopping tasks (desired STOPPED) only
 *   while a target group drains a target no running task holds.
 *
 * - create with `source` (cloneServerGroup): DescribeServices (the source) → DescribeTaskDefinition
 *   (its revision), then create as above from the copied fields: the task definition (a new
 *   revision of the clone's family, each container's image kept), the network configuration, load
 *   balancers, launch type or capacity providers, placement, health check grace period and user
 *   tags. Each provider field the request sets wins; `dockerImageAddress`, `imageDescription` or a
 *   docker/image artifact replace the image of the load-balanced (else the first) container, and
 *   `environmentVariables` are added to that container's environment.
 *
 * Decisions:
 * - Disabled is clouddriver's `desiredCount == 0`, so a disabled server group has no tasks once
 *   drained, and enable scales to the scalable target's max, not to the old desired count. A
 *   server group cannot be created out of traffic with running tasks: `unsupported`.
 * - A task is Up only when it is RUNNING, its container health check (if any) is not UNHEALTHY,
 *   and every target group it belongs to reports it `healthy`: `initial` is Starting, so a
 *   red/black never disables the old service before the new one's targets take traffic.
 * - Owner tokens are service tags (`gennaker:owner`); the destroying owner is tagged before the
 *   delete (`gennaker:destroyed-by`), so a repeated destroy finds its own work while ECS still
 *   describes the INACTIVE service. Creates of one name are serialized in this process.
 * - AWS errors are results (ecs-errors.ts): throttling and 5xx are `unavailable`.
 * - Traffic has no weights: requests split by task counts behind the shared target groups.
 */
import {
  DescribeScalableTargetsCommand,
  DeregisterScalableTargetCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type ScalableTarget,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, type EC2Client, type Subnet } from '@aws-sdk/client-ec2';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListAccountSettingsCommand,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client, type TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseServerGroupName } from '../../../core/deploy/names.ts';
import type { Clock } from '../../../core/ports/clock.ts';
import type { ClusterCheckRequest, ClusterFieldIssue } from '../../../core/ports/cluster-checks.ts';
import type {
  Capacity,
  ClusterCheckResult,
  ClusterRef,
  ContinueRolloutRequest,
  CreateServerGroupRequest,
  DescribeResult,
  InstanceDescription,
  InstanceHealth,
  OperationResult,
  PortFailure,
  PortFailureReason,
  ServerGroupDescription,
  ServerGroupPort,
  ServerGroupRef,
} from '../../../core/ports/server-groups.ts';
import type { Target } from '../../../core/ports/target.ts';
import type { DisableOptions, TrafficPort } from '../../../core/ports/traffic.ts';
import type { ArtifactContentFailureReason, ArtifactContentPort } from '../../../core/ports/artifact-content.ts';
import { parseEcsClusterConfig, problem, shown, withTaskDefinitionTemplate, type EcsClusterConfig } from './config.ts';
import { awsFailure, errorCode, failure, Halt, reasonOf } from './ecs-errors.ts';
import { createNativeMode, isNativeService } from './ecs-native.ts';
import { boundAtSave } from './cluster-check.ts';
import {
  artifactTaskDefinition,
  createServiceRequest,
  DESTROYED_BY_TAG,
  ecsNames,
  generatedTaskDefinition,
  OWNER_TAG,
  resolveImages,
  type EcsNames,
  usesFargate,
  type ResolvedResources,
} from './ecs-requests.ts';

/** The SDK clients of one account and region, built by the composition root. */
export interface EcsClients {
  readonly ecs: ECSClient;
  readonly applicationAutoScaling: ApplicationAutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ec2: EC2Client;
}

export interface EcsTargetOptions {
  /** The Gennaker account this target serves (ports' `account`). */
  readonly account: string;
  /** The AWS region of the clients; the ports' `location`. */
  readonly region: string;
  readonly clients: EcsClients;
  /** Reads time for caching the cluster list. @default the system clock */
  readonly clock?: Clock;
  /** The ECS clusters whose services make up server groups. @default every cluster ListClusters finds */
  readonly ecsClusters?: readonly string[];
  /** The AWS account id, for task roles given by name. @default read from the ARNs ECS answers */
  readonly accountId?: string;
  /** The Fargate task execution role (clouddriver uses the account's assumed role). @default none */
  readonly executionRoleArn?: string;
  /** The account's cloud provider as pipelines name it. @default 'ecs' */
  readonly cloudProvider?: string;
  /**
   * Reads task-definition artifacts that are not inline (`github/file`, `http/file`...) through
   * their artifact accounts, as clouddriver's ArtifactDownloader. @default none: only `embedded/base64`
   */
  readonly artifacts?: ArtifactContentPort;
}

/** The Application Auto Scaling dimension of an ECS service. */
const ECS_NAMESPACE = 'ecs';
const DESIRED_COUNT = 'ecs:service:DesiredCount';
/** How long the list of ECS clusters is reused before ListClusters is asked again. */
const CLUSTER_LIST_TTL_MS = 60_000;
/** ECS service and family names: letters, digits, hyphens and underscores, at most 255. */
const ECS_NAME = /^[a-zA-Z0-9_-]{1,255}$/;

/** How an artifact that could not be read fails the create: a missing or refused one is the request's fault. */
const ARTIFACT_FAILURE: Record<ArtifactContentFailureReason, PortFailureReason> = {
  'not-found': 'invalid',
  invalid: 'invalid',
  unsupported: 'unsupported',
  refused: 'invalid',
  unavailable: 'unavailable',
  failed: 'failed',
};

/** ClientException texts that are about permissions (the account), not about the task definition. */
const PERMISSION = /not authorized|assume role|access denied|permission/i;

const DONE: OperationResult = { ok: true, outcome: 'done' };
const ALREADY_DONE: OperationResult = { ok: true, outcome: 'already-done' };

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** The last `/` segment of an ARN (`arn:...:service/cluster/name` → `name`). */
const lastSegment = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

const tagOf = (service: Service, key: string) => service.tags?.find((tag) => tag.key === key)?.value;

const resourceId = (ecsCluster: string, serviceName: string) => `service/${ecsCluster}/${serviceName}`;

const allSuspended = (target: ScalableTarget | undefined) =>
  target?.SuspendedState?.DynamicScalingInSuspended === true && target.SuspendedState.DynamicScalingOutSuspended === true && target.SuspendedState.ScheduledScalingSuspended === true;
const anySuspended = (target: ScalableTarget | undefined) =>
  target?.SuspendedState?.DynamicScalingInSuspended === true || target?.SuspendedState?.DynamicScalingOutSuspended === true || target?.SuspendedState?.ScheduledScalingSuspended === true;
const suspension = (suspended: boolean) => ({ DynamicScalingInSuspended: suspended, DynamicScalingOutSuspended: suspended, ScheduledScalingSuspended: suspended });

function capacityProblem(capacity: Capacity): string | undefined {
  const { min, max, desired } = capacity;
  const whole = [min, max, desired].every((value) => Number.isInteger(value) && value >= 0);
  if (!whole || !(min <= desired && desired <= max)) return `capacity ${JSON.stringify(capacity)} is impossible; use whole numbers with min <= desired <= max`;
  return undefined;
}

const ownerProblem = (owner: unknown): PortFailure | undefined =>
  typeof owner === 'string' && owner.trim() !== '' ? undefined : failure('invalid', `owner is ${JSON.stringify(owner)}; every side effect carries the owner token of the step that asks for it`);

/** A service found in an ECS cluster. */
interface Located {
  readonly ecsCluster: string;
  readonly service: Service;
}

/** How a subnet says its purpose (clouddriver's SubnetData): `immutable_metadata` `{"purpose": ..., "target": ...}`. */
function subnetPurpose(subnet: Subnet): string | undefined {
  const tag = subnet.Tags?.find((candidate) => candidate.Key === 'immutable_metadata')?.Value;
  if (tag === undefined) return undefined;
  try {
    const parsed = JSON.parse(tag) as { purpose?: unknown };
    return typeof parsed.purpose === 'string' ? parsed.purpose : undefined;
  } catch {
    return undefined;
  }
}

/** The private IPv4 address of a task's ENI (awsvpc). */
function taskIp(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (attachment.type !== 'ElasticNetworkInterface') continue;
    const ip = attachment.details?.find((detail) => detail.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  for (const container of task.containers ?? []) {
    const ip = container.networkInterfaces?.find((eni) => eni.privateIpv4Address)?.privateIpv4Address;
    if (ip) return ip;
  }
  return undefined;
}

/** Instance health from a target's state in its target group (TargetGroup health, reference §1.3). */
function targetHealth(state: string | undefined): InstanceHealth {
  switch (state) {
    case 'healthy':
      return 'Up';
    case 'initial':
      return 'Starting';
    case 'unhealthy':
    case 'draining':
      return 'Down';
    default:
      return 'Unknown';
  }
}

/** A task's health as ECS sees it: stopping or stopped is Down, RUNNING is Up unless its container health check fails. */
function platformHealth(task: Task): InstanceHealth {
  if (task.desiredStatus === 'STOPPED') return 'Down';
  if (task.lastStatus === 'RUNNING') return task.healthStatus === 'UNHEALTHY' ? 'Down' : 'Up';
  if (task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING' || task.lastStatus === 'ACTIVATING') return 'Starting';
  return 'Down';
}

/** Worst of several healths: any Down, else any Starting, else any Unknown, else Up. */
function worst(healths: readonly InstanceHealth[]): InstanceHealth {
  for (const health of ['Down', 'Starting', 'Unknown'] as const) if (healths.includes(health)) return health;
  return 'Up';
}

/** Creates the `aws-ecs` target of one account and region. */
export function createEcsTarget(options: EcsTargetOptions): Target {
  const { account, region, clients } = options;
  const clock: Clock = options.clock ?? { now: () => Date.now() };
  const cloudProvider = options.cloudProvider ?? 'ecs';
  /** Creates under way, by name: one at a time per name in this process. */
  const creating = new Map<string, Promise<unknown>>();
  /** Which ECS cluster holds a service, as last seen: tried first, verified by the call itself. */
  const hints = new Map<string, string>();
  let clusterList: { names: string[]; at: number } | undefined;
  let accountId = options.accountId;
  let taggingEnabled = false;
  const native = createNativeMode({ account, region, clients, aws, describeServices, resolveResources, revisionFor, targetGroupArn, taskHealth });

  // -----------------------------------------------------------------------------------------
  // Calls

  /** Runs one SDK call; a cloud error halts the operation with its failure (`context` prefixes it). */
  async function aws<T>(service: string, operation: string, run: () => Promise<T>, context?: string, reason?: PortFailureReason): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new Halt(awsFailure(error, service, operation, context, reason));
    }
  }

  /** Runs a port operation: halts become its answer. */
  async function guarded<R>(act: () => Promise<R>): Promise<R | PortFailure> {
    try {
      return await act();
    } catch (error) {
      if (error instanceof Halt) return error.failure;
      throw error;
    }
  }

  function learnAccountId(arn: string | undefined): void {
    const match = arn === undefined ? null : /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):/.exec(arn);
    if (match && accountId === undefined) accountId = match[1];
  }

  function locationProblem(location: string): PortFailure | undefined {
    return location === region ? undefined : failure('invalid', `location '${location}' is not served by the aws-ecs target of account '${account}', whose region is '${region}'; deploy to ${region} or configure a target for ${location}`);
  }

  // -----------------------------------------------------------------------------------------
  // Finding services

  async function ecsClusterNames(): Promise<string[]> {
    if (options.ecsClusters) return options.ecsClusters.map(lastSegment);
    if (clusterList && clock.now() - clusterList.at < CLUSTER_LIST_TTL_MS) return [...new Set([...clusterList.names, ...hints.values()])];
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await aws('ECS', 'ListClusters', () => clients.ecs.send(new ListClustersCommand({ ...(nextToken ? { nextToken } : {}) })));
      for (const arn of page.clusterArns ?? []) {
        learnAccountId(arn);
        names.push(lastSegment(arn));
      }
      nextToken = page.nextToken;
    } while (nextToken);
    clusterList = { names, at: clock.now() };
    return [...new Set([...names, ...hints.values()])];
  }

  /** DescribeServices for up to 10 names, with tags; MISSING names are left out. */
  async function describeServices(ecsCluster: string, names: readonly string[], context?: string): Promise<Service[]> {
    if (names.length === 0) return [];
    const answer = await aws(
      'ECS',
      'DescribeServices',
      () => clients.ecs.send(new DescribeServicesCommand({ cluster: ecsCluster, services: [...names], include: ['TAGS'] })),
      context,
    );
    for (const missing of answer.failures ?? []) learnAccountId(missing.arn);
    const services = answer.services ?? [];
    for (const service of services) {
      learnAccountId(service.serviceArn);
      if (service.serviceName && service.status !== 'INACTIVE') hints.set(service.serviceName, ecsCluster);
    }
    return services;
  }

  /**
   * Where a server group's service is: the live one (ACTIVE or DRAINING), else an INACTIVE one
   * (deleted; ECS still describes it for a while), else nothing. The hinted cluster is asked first.
   */
  async function locate(name: string): Promise<{ live?: Located; inactive?: Located }> {
    const hinted = hints.get(name);
    const clusters = hinted !== undefined ? [hinted, ...(await ecsClusterNames()).filter((candidate) => candidate !== hinted)] : await ecsClusterNames();
    let inactive: Located | undefined;
    for (const ecsCluster of clusters) {
      let services: Service[];
      try {
        services = await describeServices(ecsCluster, [name]);
      } catch (error) {
        // A cluster deleted since it was listed holds nothing.
        if (error instanceof Halt && errorCode(error.failure.cause) === 'ClusterNotFoundException') continue;
        throw error;
      }
      for (const service of services) {
        if (service.serviceName !== name) continue;
        if (service.status === 'INACTIVE') inactive ??= { ecsCluster, service };
        else return { live: { ecsCluster, service } };
      }
    }
    return inactive ? { inactive } : {};
  }

  async function scalableTargets(ids: readonly string[]): Promise<Map<string, ScalableTarget>> {
    const found = new Map<string, ScalableTarget>();
    for (const batch of chunks(ids, 50)) {
      let nextToken: string | undefined;
      do {
        const page = await aws('Application Auto Scaling', 'DescribeScalableTargets', () =>
          clients.applicationAutoScaling.send(
            new DescribeScalableTargetsCommand({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: DESIRED_COUNT, ResourceIds: batch, ...(nextToken ? { NextToken: nextToken } : {}) }),
          ),
        );
        for (const target of page.ScalableTargets ?? []) if (target.ResourceId) found.set(target.ResourceId, target);
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return found;
  }

  async function scalableTarget(located: Located): Promise<ScalableTarget | undefined> {
    const id = resourceId(located.ecsCluster, located.service.serviceName!);
    return (await scalableTargets([id])).get(id);
  }

  // -----------------------------------------------------------------------------------------
  // describeCluster

  async function listServiceNames(ecsCluster: string, cluster: string): Promise<string[] | undefined> {
    const names: string[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await aws('ECS', 'ListServices', () => clients.ecs.send(new ListServicesCommand({ cluster: ecsCluster, maxResults: 100, ...(nextToken ? { nextToken } : {}) })));
        for (const arn of page.serviceArns ?? []) {
          const name = lastSegment(arn);
          const parsed = parseServerGroupName(name);
          // `<cluster>-vNNN` are Spinnaker's services; `<cluster>` itself is an ecs-native one.
          if ((parsed?.sequence !== undefined && parsed.cluster === cluster) || name === cluster) names.push(name);
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      if (error instanceof Halt && errorCode(error.failure.cause) === 'ClusterNotFoundException' && options.ecsClusters === undefined) return undefined;
      throw error;
    }
    return names;
  }

  async function listTaskArns(ecsCluster: string, serviceName: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await aws('ECS', 'ListTasks', () => clients.ecs.send(new ListTasksCommand({ cluster: ecsCluster, serviceName, desiredStatus, ...(nextToken ? { nextToken } : {}) })));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  /** DescribeTasks, 100 at a time; stopped tasks are history and left out (stopping ones are kept: they drain). */
  async function describeTasks(ecsCluster: string, arns: readonly string[]): Promise<Task[]> {
    const tasks: Task[] = [];
    for (const batch of chunks([...new Set(arns)], 100)) {
      const answer = await aws('ECS', 'DescribeTasks', () => clients.ecs.send(new DescribeTasksCommand({ cluster: ecsCluster, tasks: batch })));
      tasks.push(...(answer.tasks ?? []).filter((task) => task.lastStatus !== 'STOPPED'));
    }
    return tasks;
  }

  /** Adds the EC2 instance ids of the tasks' container instances (bridge and host networking) that `known` lacks. */
  async function addContainerInstanceIds(ecsCluster: string, tasks: readonly Task[], known: Map<string, string>): Promise<void> {
    const arns = [...new Set(tasks.filter((task) => taskIp(task) === undefined).map((task) => task.containerInstanceArn).filter((arn): arn is string => typeof arn === 'string' && !known.has(arn)))];
    for (const batch of chunks(arns, 100)) {
      const answer = await aws('ECS', 'DescribeContainerInstances', () => clients.ecs.send(new DescribeContainerInstancesCommand({ cluster: ecsCluster, containerInstances: batch })));
      for (const instance of answer.containerInstances ?? []) if (instance.containerInstanceArn && instance.ec2InstanceId) known.set(instance.containerInstanceArn, instance.ec2InstanceId);
    }
  }

  /** Where a task is registered in each of its service's target groups: ENI IP + container port (awsvpc), else instance id + host port. */
  function taskTargets(task: Task, service: Service, instanceIds: ReadonlyMap<string, string>): { targetGroupArn: string; id?: string; port?: number }[] {
    const ip = taskIp(task);
    return (service.loadBalancers ?? [])
      .filter((balancer): balancer is typeof balancer & { targetGroupArn: string } => typeof balancer.targetGroupArn === 'string')
      .map((balancer) => {
        if (ip !== undefined) return { targetGroupArn: balancer.targetGroupArn, id: ip, ...(balancer.containerPort !== undefined ? { port: balancer.containerPort } : {}) };
        const container = task.containers?.find((candidate) => candidate.name === balancer.containerName);
        const port = container?.networkBindings?.find((binding) => binding.containerPort === balancer.containerPort)?.hostPort;
        const id = task.containerInstanceArn ? instanceIds.get(task.containerInstanceArn) : undefined;
        return { targetGroupArn: balancer.targetGroupArn, ...(id !== undefined ? { id } : {}), ...(port !== undefined ? { port } : {}) };
      });
  }

  /** One task as an instance: its platform health, then each target group's view of it. */
  function instanceOf(task: Task, service: Service, health: ReadonlyMap<string, readonly TargetHealthDescription[]>, instanceIds: ReadonlyMap<string, string>): InstanceDescription {
    const stopping = task.desiredStatus === 'STOPPED';
    const platform = platformHealth(task);
    const ip = taskIp(task);
    const healths: InstanceHealth[] = [platform];
    let draining = stopping;
    let address: string | undefined;
    for (const { targetGroupArn, id, port } of taskTargets(task, service, instanceIds)) {
      if (address === undefined && id !== undefined && port !== undefined) address = `${id}:${port}`;
      const target = (health.get(targetGroupArn) ?? []).find((candidate) => candidate.Target?.Id === id && (port === undefined || candidate.Target?.Port === port));
      if (target?.TargetHealth?.State === 'draining') draining = true;
      // Not registered yet: ECS registers a task once it runs.
      healths.push(target ? targetHealth(target.TargetHealth?.State) : platform === 'Up' ? 'Starting' : platform);
    }
    const launched = task.startedAt ?? task.createdAt;
    return {
      id: lastSegment(task.taskArn ?? ''),
      health: stopping ? 'Down' : worst(healths),
      ...(address !== undefined ? { address } : ip !== undefined ? { address: ip } : {}),
      launchedTime: launched ? launched.getTime() : 0,
      ...(draining ? { draining: true } : {}),
    };
  }

  /**
   * The tasks of the cluster's services in one ECS cluster: those meant to run (ListTasks per
   * service, one DescribeTasks for all), then, only while a shared target group drains a target no
   * such task holds, the stopping tasks of the services on that group (a disable or a scale-in in
   * progress). Steady-state polling thus never pays for the stopped-task history ECS keeps an hour.
   */
  async function tasksIn(ecsCluster: string, services: readonly Located[], health: ReadonlyMap<string, readonly TargetHealthDescription[]>, instanceIds: Map<string, string>): Promise<Map<Located, Task[]>> {
    const owner = new Map<string, Located>();
    for (const located of services) {
      // Scaled to 0 with nothing running or pending: ECS has stopped every task, so none is meant to run.
      const { desiredCount, runningCount, pendingCount } = located.service;
      if (desiredCount === 0 && runningCount === 0 && pendingCount === 0) continue;
      for (const arn of await listTaskArns(ecsCluster, located.service.serviceName!, 'RUNNING')) owner.set(arn, located);
    }
    const tasksOf = new Map<Located, Task[]>(services.map((located) => [located, []]));
    const place = (tasks: readonly Task[]) => {
      for (const task of tasks) {
        const located = owner.get(task.taskArn ?? '');
        if (located && !tasksOf.get(located)!.some((known) => known.taskArn === task.taskArn)) tasksOf.get(located)!.push(task);
      }
    };
    const running = await describeTasks(ecsCluster, [...owner.keys()]);
    await addContainerInstanceIds(ecsCluster, running, instanceIds);
    place(running);
    const held = new Set<string>();
    for (const located of services) for (const task of tasksOf.get(located)!) for (const target of taskTargets(task, located.service, instanceIds)) held.add(`${target.targetGroupArn} ${target.id} ${target.port}`);
    const drainingGroups = new Set<string>();
    for (const [targetGroupArn, descriptions] of health) {
      for (const description of descriptions) {
        if (description.TargetHealth?.State === 'draining' && !held.has(`${targetGroupArn} ${description.Target?.Id} ${description.Target?.Port}`)) drainingGroups.add(targetGroupArn);
      }
    }
    if (drainingGroups.size === 0) return tasksOf;
    const stoppingArns: string[] = [];
    for (const located of services) {
      if (!(located.service.loadBalancers ?? []).some((balancer) => balancer.targetGroupArn !== undefined && drainingGroups.has(balancer.targetGroupArn))) continue;
      for (const arn of await listTaskArns(ecsCluster, located.service.serviceName!, 'STOPPED')) {
        owner.set(arn, located);
        stoppingArns.push(arn);
      }
    }
    const stopping = await describeTasks(ecsCluster, stoppingArns);
    await addContainerInstanceIds(ecsCluster, stopping, instanceIds);
    place(stopping);
    return tasksOf;
  }

  /** A task's health in ECS native mode: its platform health, then whichever of the service's target groups holds it. */
  function taskHealth(task: Task, targets: readonly TargetHealthDescription[]): { health: InstanceHealth; draining: boolean; address?: string } {
    const stopping = task.desiredStatus === 'STOPPED';
    const platform = platformHealth(task);
    const ip = taskIp(task);
    const target = ip === undefined ? undefined : targets.find((candidate) => candidate.Target?.Id === ip);
    const draining = stopping || target?.TargetHealth?.State === 'draining';
    // Not registered yet: ECS registers a task once it runs.
    const health = platform !== 'Up' ? platform : target ? targetHealth(target.TargetHealth?.State) : 'Starting';
    const port = target?.Target?.Port;
    return { health, draining, ...(ip !== undefined ? { address: port !== undefined ? `${ip}:${port}` : ip } : {}) };
  }

  async function describeNow(ref: ClusterRef): Promise<DescribeResult> {
    const problemAt = locationProblem(ref.location);
    if (problemAt) return problemAt;
    const found: Located[] = [];
    const natives: Located[] = [];
    for (const ecsCluster of await ecsClusterNames()) {
      const names = await listServiceNames(ecsCluster, ref.cluster);
      if (names === undefined) continue;
      for (const batch of chunks(names, 10)) {
        for (const service of await describeServices(ecsCluster, batch)) {
          if (service.status !== 'ACTIVE' && service.status !== 'DRAINING') continue;
          if (service.serviceName === ref.cluster) {
            if (isNativeService(service) && service.status === 'ACTIVE') natives.push({ ecsCluster, service });
          } else found.push({ ecsCluster, service });
        }
      }
    }
    const targets = await scalableTargets(found.map((located) => resourceId(located.ecsCluster, located.service.serviceName!)));
    // Every target group the services use, once: where their tasks take traffic, or drain.
    const health = new Map<string, TargetHealthDescription[]>();
    for (const located of found) {
      for (const balancer of located.service.loadBalancers ?? []) {
        const arn = balancer.targetGroupArn;
        if (!arn || health.has(arn)) continue;
        const answer = await aws('Elastic Load Balancing', 'DescribeTargetHealth', () => clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })));
        health.set(arn, answer.TargetHealthDescriptions ?? []);
      }
    }
    const tasksOf = new Map<Located, Task[]>();
    const instanceIdsOf = new Map<string, Map<string, string>>();
    for (const ecsCluster of new Set(found.map((located) => located.ecsCluster))) {
      const instanceIds = new Map<string, string>();
      instanceIdsOf.set(ecsCluster, instanceIds);
      for (const [located, tasks] of await tasksIn(ecsCluster, found.filter((located) => located.ecsCluster === ecsCluster), health, instanceIds)) tasksOf.set(located, tasks);
    }
    const serverGroups: ServerGroupDescription[] = [];
    for (const located of found) {
      const { service, ecsCluster } = located;
      const tasks = tasksOf.get(located) ?? [];
      const instances = tasks.map((task) => instanceOf(task, service, health, instanceIdsOf.get(ecsCluster)!));
      const desired = service.desiredCount ?? 0;
      const target = targets.get(resourceId(ecsCluster, service.serviceName!));
      const capacity: Capacity = target ? { min: target.MinCapacity ?? 0, max: target.MaxCapacity ?? desired, desired } : { min: desired, max: desired, desired };
      const live = tasks.filter((task) => task.desiredStatus !== 'STOPPED').length;
      // Stopping tasks drain; tasks beyond the desired count are about to.
      const draining = instances.some((instance) => instance.draining === true) || live > desired;
      const owner = tagOf(service, OWNER_TAG);
      serverGroups.push({
        name: service.serviceName!,
        cluster: ref.cluster,
        account,
        location: region,
        createdTime: service.createdAt ? service.createdAt.getTime() : 0,
        capacity,
        disabled: desired === 0 || service.status !== 'ACTIVE',
        ...(draining ? { draining: true } : {}),
        instances,
        ...(owner !== undefined ? { owner } : {}),
        launchConfig: {
          ecsClusterName: ecsCluster,
          serviceArn: service.serviceArn,
          status: service.status,
          taskDefinition: service.taskDefinition,
          ...(service.launchType ? { launchType: service.launchType } : {}),
          ...(service.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds } : {}),
          loadBalancers: (service.loadBalancers ?? []).map((balancer) => ({ targetGroupArn: balancer.targetGroupArn, containerName: balancer.containerName, containerPort: balancer.containerPort })),
        },
      });
    }
    for (const located of natives) serverGroups.push(...(await native.describe(ref, located.ecsCluster, located.service)));
    serverGroups.sort((a, b) => a.createdTime - b.createdTime || a.name.localeCompare(b.name));
    return { ok: true, cluster: { account: ref.account, location: ref.location, cluster: ref.cluster, serverGroups } };
  }

  // -----------------------------------------------------------------------------------------
  // create

  async function subnetsOf(config: EcsClusterConfig): Promise<{ subnets: string[]; vpcs: string[] }> {
    const chosen: Subnet[] = [];
    if (config.subnets.length > 0) {
      const answer = await aws('EC2', 'DescribeSubnets', () => clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...config.subnets] })), problem('subnets', config.subnets, 'list subnets of the region'), 'invalid');
      chosen.push(...(answer.Subnets ?? []));
    }
    if (config.subnetTypes.length > 0) {
      const all: Subnet[] = [];
      let nextToken: string | undefined;
      do {
        const page = await aws('EC2', 'DescribeSubnets', () => clients.ec2.send(new DescribeSubnetsCommand({ ...(nextToken ? { NextToken: nextToken } : {}) })));
        all.push(...(page.Subnets ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
      const zones = config.availabilityZones;
      const typed = all.filter((subnet) => config.subnetTypes.includes(subnetPurpose(subnet) ?? '') && (zones.length === 0 || zones.includes(subnet.AvailabilityZone ?? '')));
      if (typed.length === 0) {
        const where = zones.length > 0 ? `${region} (zones ${zones.join(', ')})` : region;
        const field = config.subnetTypes.length === 1 ? 'subnetType' : 'subnetTypes';
        throw new Halt(
          failure(
            'invalid',
            problem(field, config.subnetTypes.length === 1 ? config.subnetTypes[0] : config.subnetTypes, `no subnet in ${where} is tagged immutable_metadata {"purpose": ${JSON.stringify(config.subnetTypes[0])}}; tag the subnets or set another purpose`),
          ),
        );
      }
      chosen.push(...typed);
    }
    const subnets = [...new Set(chosen.map((subnet) => subnet.SubnetId).filter((id): id is string => typeof id === 'string'))];
    const vpcs = [...new Set(chosen.map((subnet) => subnet.VpcId).filter((id): id is string => typeof id === 'string'))];
    return { subnets, vpcs };
  }

  async function securityGroupIds(config: EcsClusterConfig, vpcs: readonly string[]): Promise<string[]> {
    const ids = [...config.securityGroups];
    if (config.securityGroupNames.length === 0) return ids;
    const filters = [{ Name: 'group-name', Values: [...config.securityGroupNames] }, ...(vpcs.length > 0 ? [{ Name: 'vpc-id', Values: [...vpcs] }] : [])];
    const answer = await aws('EC2', 'DescribeSecurityGroups', () => clients.ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters })), problem('securityGroupNames', config.securityGroupNames, 'name security groups of the subnets\' VPC'), 'invalid');
    const groups = answer.SecurityGroups ?? [];
    for (const wanted of config.securityGroupNames) {
      const group = groups.find((candidate) => candidate.GroupName === wanted);
      if (!group?.GroupId) {
        throw new Halt(failure('invalid', problem('securityGroupNames', config.securityGroupNames, `no security group named ${JSON.stringify(wanted)} in ${vpcs.length > 0 ? `VPC ${vpcs.join(', ')}` : region}; create it or fix the name`)));
      }
      if (!ids.includes(group.GroupId)) ids.push(group.GroupId);
    }
    return ids;
  }

  async function targetGroupArns(config: EcsClusterConfig): Promise<string[]> {
    const arns: string[] = [];
    for (const [index, mapping] of config.targetGroupMappings.entries()) arns.push(await targetGroupArn(mapping.targetGroup, `targetGroupMappings[${index}].targetGroup`));
    return arns;
  }

  /** The ARN of the target group the entry names at `field`: exactly one of that name. */
  async function targetGroupArn(name: string, field: string): Promise<string> {
    const answer = await aws('Elastic Load Balancing', 'DescribeTargetGroups', () => clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] })), problem(field, name, 'name a target group of the region'), 'invalid');
    const groups = answer.TargetGroups ?? [];
    if (groups.length !== 1 || !groups[0]!.TargetGroupArn) {
      throw new Halt(failure('invalid', problem(field, name, groups.length === 0 ? 'there is no target group of that name; create it or fix the name' : 'several target groups have that name; use a unique one')));
    }
    return groups[0]!.TargetGroupArn;
  }

  /** clouddriver's isTaggingEnabled: service tags need both long ARN formats (always on since 2021). */
  async function checkTagging(): Promise<void> {
    if (taggingEnabled) return;
    const enabled = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await aws('ECS', 'ListAccountSettings', () => clients.ecs.send(new ListAccountSettingsCommand({ effectiveSettings: true, ...(nextToken ? { nextToken } : {}) })));
      for (const setting of page.settings ?? []) if (setting.value === 'enabled' && setting.name) enabled.add(setting.name);
      nextToken = page.nextToken;
    } while (nextToken);
    if (!enabled.has('serviceLongArnFormat') || !enabled.has('taskLongArnFormat')) {
      throw new Halt(failure('failed', `ECS account settings of account '${account}' in ${region} do not allow tagging (serviceLongArnFormat and taskLongArnFormat must be enabled), and Gennaker keeps its owner token in a service tag; enable both settings`));
    }
    taggingEnabled = true;
  }

  /** A revision of the family this owner registered already (a retried create), else undefined. */
  async function ownRevision(names: EcsNames, owner: string): Promise<string | undefined> {
    let answer;
    try {
      answer = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: names.family, include: ['TAGS'] }));
    } catch (error) {
      // A family that was never registered answers ClientException.
      if (errorCode(error) === 'ClientException') return undefined;
      throw new Halt(awsFailure(error, 'ECS', 'DescribeTaskDefinition'));
    }
    const tags = answer.tags ?? [];
    const mine = tags.some((tag) => tag.key === OWNER_TAG && tag.value === owner) && tags.some((tag) => tag.key === 'gennaker:server-group' && tag.value === names.serviceName);
    return mine && answer.taskDefinition?.status === 'ACTIVE' ? answer.taskDefinition.taskDefinitionArn : undefined;
  }

  function roleArn(role: string): string {
    if (role.startsWith('arn:')) return role;
    if (accountId === undefined) throw new Halt(failure('invalid', problem('iamRole', role, 'the account id is not known to build its ARN; set the role\'s ARN')));
    return `arn:aws:iam::${accountId}:role/${role}`;
  }

  /** Registers the scalable target holding min and max (retried creates register it if it is missing). */
  async function registerScalableTarget(ecsCluster: string, serviceName: string, capacity: Capacity, suspended: boolean): Promise<void> {
    await aws('Application Auto Scaling', 'RegisterScalableTarget', () =>
      clients.applicationAutoScaling.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: ECS_NAMESPACE,
          ScalableDimension: DESIRED_COUNT,
          ResourceId: resourceId(ecsCluster, serviceName),
          MinCapacity: capacity.min,
          MaxCapacity: capacity.max,
          SuspendedState: suspension(suspended),
        }),
      ),
    ).catch((error: unknown) => {
      // Application Auto Scaling reads ECS eventually: a service created a moment ago may not exist for it yet.
      if (error instanceof Halt && errorCode(error.failure.cause) === 'ValidationException' && /doesn.t exist|does not exist|not found/i.test(String((error.failure.cause as Error).message))) {
        throw new Halt(failure('unavailable', `${error.failure.message}; Application Auto Scaling does not see the new service yet, try again`, error.failure.cause));
      }
      throw error;
    });
  }

  /**
   * Where a task definition ECS refuses came from, for its failure: the artifact's field and JSON,
   * or the provider fields the generated one is made of.
   */
  function taskDefinitionContext(config: EcsClusterConfig): string {
    if (config.taskDefinition.kind === 'artifact') {
      return `provider field ${config.taskDefinition.field} holds a task definition ECS refuses (${shown(config.taskDefinition.template)}); fix it as ECS says`;
    }
    const fields = [
      ['launchType', config.launchType],
      ['networkMode', config.networkMode],
      ['computeUnits', config.computeUnits],
      ['reservedMemory', config.reservedMemory],
      ['logDriver', config.logDriver],
      ['iamRole', config.iamRole],
    ].filter(([, value]) => value !== undefined);
    return `the task definition made of provider fields ${fields.map(([field, value]) => `${field} ${shown(value)}`).join(', ')} is refused by ECS; fix those fields as ECS says`;
  }

  /**
   * Fargate sends awslogs through the task's execution role (clouddriver uses the account's role):
   * without one ECS refuses the task definition, so say which field needs it before any call.
   */
  function executionRoleProblem(config: EcsClusterConfig): PortFailure | undefined {
    if (!usesFargate(config) || options.executionRoleArn !== undefined) return undefined;
    const fix = `Fargate tasks need an execution role to write to CloudWatch Logs, and the aws-ecs target of account '${account}' has none`;
    if (config.taskDefinition.kind === 'generated') {
      return config.logDriver === 'awslogs' ? failure('invalid', problem('logDriver', config.logDriver, `${fix}; configure the account's executionRoleArn, or remove logDriver`)) : undefined;
    }
    if (config.taskDefinition.kind === 'fetch') return undefined;
    const { template, field } = config.taskDefinition;
    if (typeof template.executionRoleArn === 'string' && template.executionRoleArn.trim() !== '') return undefined;
    const containers = Array.isArray(template.containerDefinitions) ? (template.containerDefinitions as unknown[]) : [];
    for (const [index, container] of containers.entries()) {
      const logConfiguration = container !== null && typeof container === 'object' ? (container as { logConfiguration?: { logDriver?: unknown } }).logConfiguration : undefined;
      if (logConfiguration?.logDriver === 'awslogs') {
        return failure('invalid', problem(`${field}.containerDefinitions[${index}].logConfiguration.logDriver`, 'awslogs', `${fix}; set executionRoleArn in the task definition or the account's executionRoleArn`));
      }
    }
    return undefined;
  }

  /** Our own service exists: make sure its scalable target does too. */
  async function finishOwn(located: Located, request: CreateServerGroupRequest): Promise<OperationResult> {
    if (await scalableTarget(located)) return ALREADY_DONE;
    await registerScalableTarget(located.ecsCluster, request.name, request.capacity, false);
    return DONE;
  }

  function existingAnswer(located: Located, request: CreateServerGroupRequest): OperationResult | undefined {
    const owner = tagOf(located.service, OWNER_TAG);
    if (located.service.status === 'ACTIVE' && owner === request.owner) return undefined;
    const whose = located.service.status === 'DRAINING' ? 'is being deleted (DRAINING), and ECS keeps its name until it is INACTIVE' : owner === undefined ? 'was made elsewhere (no owner)' : `belongs to ${owner}`;
    return failure('already-exists', `server group ${request.name} already exists in ${account}/${region} (ECS cluster ${located.ecsCluster}) and ${whose}; server groups are immutable, create the next version`);
  }

  /** Every name of the entry resolved in the account (subnets, security groups, target groups, roles), before any change. */
  async function resolveResources(config: EcsClusterConfig, images: Map<string, string>): Promise<ResolvedResources> {
    const network = config.networkMode === 'awsvpc' ? await subnetsOf(config) : { subnets: [], vpcs: [] };
    const securityGroups = config.networkMode === 'awsvpc' ? await securityGroupIds(config, network.vpcs) : [];
    const targetGroups = await targetGroupArns(config);
    await checkTagging();
    return {
      images,
      targetGroupArns: targetGroups,
      subnets: network.subnets,
      securityGroups,
      ...(config.iamRole !== undefined ? { taskRoleArn: roleArn(config.iamRole) } : {}),
      ...(options.executionRoleArn !== undefined ? { executionRoleArn: options.executionRoleArn } : {}),
    };
  }

  /** The server group's task definition revision: this owner's when a retried create registered it already, else a new one. */
  async function revisionFor(request: CreateServerGroupRequest, config: EcsClusterConfig, names: EcsNames, resources: ResolvedResources): Promise<string> {
    const own = await ownRevision(names, request.owner);
    if (own !== undefined) return own;
    const source = config.taskDefinition;
    // create() replaced a fetch source by the fetched template before any call.
    if (source.kind === 'fetch') throw new Error(`the task definition of ${request.name} was not fetched before create`);
    const input = source.kind === 'generated' ? generatedTaskDefinition(config, names, resources, request.owner) : artifactTaskDefinition(config, source.template, names, resources, request.owner);
    let registered;
    try {
      registered = await clients.ecs.send(new RegisterTaskDefinitionCommand(input));
    } catch (error) {
      // ECS answers a task definition it cannot run with ClientException (or InvalidParameterException);
      // those name what the author wrote. Permissions are the account's problem, not the entry's.
      const refused = ['ClientException', 'InvalidParameterException'].includes(errorCode(error) ?? '') && !PERMISSION.test(String((error as Error).message));
      throw new Halt(refused ? awsFailure(error, 'ECS', 'RegisterTaskDefinition', taskDefinitionContext(config), 'invalid') : awsFailure(error, 'ECS', 'RegisterTaskDefinition'));
    }
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new Halt(failure('failed', `ECS RegisterTaskDefinition answered no task definition ARN for family ${names.family}`));
    return arn;
  }

  async function createOnce(request: CreateServerGroupRequest, config: EcsClusterConfig, names: EcsNames, images: Map<string, string>): Promise<OperationResult> {
    const ecsCluster = config.ecsClusterName;
    const clusterField = problem('ecsClusterName', ecsCluster, 'create the ECS cluster or fix the name');
    // 1. Is it there already, and whose? (This also proves the ECS cluster exists before anything changes.)
    const existing = (await describeServices(ecsCluster, [names.serviceName], clusterField)).find((service) => service.serviceName === names.serviceName && service.status !== 'INACTIVE');
    if (existing) {
      const located = { ecsCluster, service: existing };
      return existingAnswer(located, request) ?? (await finishOwn(located, request));
    }
    // 2. Every name in the entry, resolved before the first change.
    const resources = await resolveResources(config, images);
    // 3. The task definition: this owner's revision when a retried create registered it already.
    const taskDefinitionArn = await revisionFor(request, config, names, resources);
    // 4. The service.
    try {
      const created = await clients.ecs.send(new CreateServiceCommand(createServiceRequest(config, names, taskDefinitionArn, request.capacity.desired, resources, request.owner)));
      if (created.service?.serviceName) hints.set(created.service.serviceName, ecsCluster);
    } catch (error) {
      const code = errorCode(error);
      // Made meanwhile (by another process, or a create whose answer was lost): answer by its owner.
      if (code === 'InvalidParameterException') {
        const now = (await describeServices(ecsCluster, [names.serviceName])).find((service) => service.serviceName === names.serviceName && service.status !== 'INACTIVE');
        if (now) {
          const located = { ecsCluster, service: now };
          return existingAnswer(located, request) ?? (await finishOwn(located, request));
        }
      }
      throw new Halt(awsFailure(error, 'ECS', 'CreateService'));
    }
    // 5. Min and max, and whether autoscaling may move it.
    await registerScalableTarget(ecsCluster, names.serviceName, request.capacity, false);
    return DONE;
  }

  /**
   * The task definition of an artifact that is not inline, read through its artifact account
   * before any cloud call (a missing or unreadable artifact changes nothing), then checked as an
   * inline one is.
   */
  async function fetchTaskDefinition(config: EcsClusterConfig): Promise<{ ok: true; config: EcsClusterConfig } | PortFailure> {
    if (config.taskDefinition.kind !== 'fetch') return { ok: true, config };
    const { artifact, field } = config.taskDefinition;
    if (!options.artifacts) {
      return failure('unsupported', problem(`${field}.type`, artifact.type, `account '${account}' reads no artifact accounts, so only an inline task definition ({"type": "embedded/base64", "reference": "<base64 of its JSON>"}) can be deployed; configure artifact accounts for it, or inline the task definition`));
    }
    const content = await options.artifacts.fetch(artifact);
    if (!content.ok) return failure(ARTIFACT_FAILURE[content.reason], `provider field ${field}: ${content.message}`);
    const checked = withTaskDefinitionTemplate(config, content.text);
    return checked.ok ? { ok: true, config: checked.config } : failure(checked.reason, checked.message);
  }

  /** Whether a provider field of a clone request overrides the copied one: set, and not an empty list or object. */
  function isSet(value: unknown): boolean {
    if (value === undefined || value === null || value === '') return false;
    if (Array.isArray(value)) return value.length > 0;
    if (typeof value === 'object') return Object.keys(value).length > 0;
    return true;
  }

  /**
   * The request of a clone: the source service and its task definition as provider fields (see the
   * module comment), the request's set fields over them. `ALREADY_DONE` when the source is gone
   * but this step's clone exists.
   */
  async function cloneRequest(request: CreateServerGroupRequest, source: ServerGroupRef): Promise<CreateServerGroupRequest | OperationResult> {
    if (source.account !== account || source.location !== region) {
      return failure('unsupported', `source ${source.serverGroup} is in ${source.account}/${source.location}; account '${account}''s ECS target clones within ${region} only`);
    }
    const located = (await locate(source.serverGroup)).live;
    if (!located) {
      const mine = (await locate(request.name)).live;
      if (mine && tagOf(mine.service, OWNER_TAG) === request.owner) return ALREADY_DONE;
      return failure('not-found', `source server group ${source.serverGroup} does not exist in ${account}/${region}; clone an existing server group`);
    }
    const { service, ecsCluster } = located;
    const described = await aws('ECS', 'DescribeTaskDefinition', () => clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition })));
    const definition = described.taskDefinition ?? {};
    const generatedEnvironment = new Set(['SERVER_GROUP', 'CLOUD_STACK', 'CLOUD_DETAIL']);
    const containers = (definition.containerDefinitions ?? []).map((container) => ({
      ...container,
      // The source's own Spinnaker variables give way to the clone's.
      environment: (container.environment ?? []).filter((variable) => !generatedEnvironment.has(variable.name ?? '')),
    }));
    const overrides = Object.fromEntries(Object.entries(request.provider).filter(([, value]) => isSet(value)));
    const balanced = service.loadBalancers?.[0]?.containerName;
    const main = containers.find((container) => container.name === balanced) ?? containers[0];
    const extraEnvironment = overrides['environmentVariables'];
    if (main && extraEnvironment !== null && typeof extraEnvironment === 'object' && !Array.isArray(extraEnvironment)) {
      const added = Object.entries(extraEnvironment as Record<string, unknown>).map(([name, value]) => ({ name, value: String(value) }));
      main.environment = [...main.environment.filter((variable) => !added.some((entry) => entry.name === variable.name)), ...added];
    }
    const template: Record<string, unknown> = {
      containerDefinitions: containers,
      ...(definition.cpu ? { cpu: definition.cpu } : {}),
      ...(definition.memory ? { memory: definition.memory } : {}),
      ...(definition.networkMode ? { networkMode: definition.networkMode } : {}),
      ...(definition.requiresCompatibilities?.length ? { requiresCompatibilities: [...definition.requiresCompatibilities] } : {}),
      ...(definition.taskRoleArn ? { taskRoleArn: definition.taskRoleArn } : {}),
      ...(definition.executionRoleArn ? { executionRoleArn: definition.executionRoleArn } : {}),
      ...(definition.volumes?.length ? { volumes: definition.volumes } : {}),
      ...(definition.placementConstraints?.length ? { placementConstraints: definition.placementConstraints } : {}),
      ...(definition.runtimePlatform ? { runtimePlatform: definition.runtimePlatform } : {}),
      ...(definition.ephemeralStorage ? { ephemeralStorage: definition.ephemeralStorage } : {}),
    };
    // Each container keeps its image, but the main one when the request names another (or brings an artifact).
    const imageOverride = typeof overrides['dockerImageAddress'] === 'string' ? { dockerImageAddress: overrides['dockerImageAddress'] } : overrides['imageDescription'] !== undefined ? { imageDescription: overrides['imageDescription'] } : request.artifact ? {} : undefined;
    const containerMappings = containers.map((container) =>
      container === main && imageOverride !== undefined ? { containerName: container.name, ...imageOverride } : { containerName: container.name, dockerImageAddress: container.image },
    );
    const network = service.networkConfiguration?.awsvpcConfiguration;
    const userTags = Object.fromEntries(
      (service.tags ?? []).filter((tag) => tag.key && !tag.key.startsWith('gennaker:') && !tag.key.startsWith('moniker.spinnaker.io/')).map((tag) => [tag.key!, tag.value ?? '']),
    );
    const copied: Record<string, unknown> = {
      ecsClusterName: ecsCluster,
      useTaskDefinitionArtifact: true,
      spelProcessedTaskDefinitionArtifact: template,
      containerMappings,
      ...(definition.networkMode ? { networkMode: definition.networkMode } : {}),
      ...(service.launchType ? { launchType: service.launchType } : service.capacityProviderStrategy?.length ? { capacityProviderStrategy: service.capacityProviderStrategy } : {}),
      ...(service.platformVersion ? { platformVersion: service.platformVersion } : {}),
      ...(network ? { subnets: [...(network.subnets ?? [])], securityGroups: [...(network.securityGroups ?? [])] } : {}),
      ...(network?.assignPublicIp ? { associatePublicIpAddress: network.assignPublicIp === 'ENABLED' } : {}),
      targetGroupMappings: (service.loadBalancers ?? []).map((balancer) => ({
        ...(balancer.containerName ? { containerName: balancer.containerName } : {}),
        containerPort: balancer.containerPort,
        targetGroup: /:targetgroup\/([^/]+)\//.exec(balancer.targetGroupArn ?? '')?.[1] ?? balancer.targetGroupArn,
      })),
      ...(service.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds } : {}),
      placementConstraints: (service.placementConstraints ?? []).map((item) => ({ ...item })),
      placementStrategy: (service.placementStrategy ?? []).map((item) => ({ ...item })),
      ...(service.enableExecuteCommand !== undefined ? { enableExecuteCommand: service.enableExecuteCommand } : {}),
      ...(service.deploymentConfiguration?.deploymentCircuitBreaker ? { enableDeploymentCircuitBreaker: service.deploymentConfiguration.deploymentCircuitBreaker.enable } : {}),
      tags: userTags,
    };
    // Fields folded into the copied task definition above, and generated-definition fields a copy does not take.
    for (const folded of ['environmentVariables', 'dockerImageAddress', 'imageDescription', 'containerPort', 'computeUnits', 'reservedMemory', 'logDriver', 'logOptions']) delete overrides[folded];
    // An override of one spelling replaces the copied other spelling.
    if ('subnetType' in overrides || 'subnetTypes' in overrides) delete copied['subnets'];
    if ('securityGroupNames' in overrides) delete copied['securityGroups'];
    if ('targetGroup' in overrides) delete copied['targetGroupMappings'];
    if ('capacityProviderStrategy' in overrides) delete copied['launchType'];
    if ('launchType' in overrides) delete copied['capacityProviderStrategy'];
    if ('taskDefinitionArtifact' in overrides || 'spelProcessedTaskDefinitionArtifact' in overrides) {
      delete copied['spelProcessedTaskDefinitionArtifact'];
      if ('containerMappings' in overrides) delete copied['containerMappings'];
    }
    return { ...request, provider: { ...copied, ...overrides } };
  }

  async function create(given: CreateServerGroupRequest): Promise<OperationResult> {
    const owner = ownerProblem(given.owner);
    if (owner) return owner;
    const where = locationProblem(given.location);
    if (where) return where;
    let request = given;
    if (given.source) {
      const cloned = await guarded(() => cloneRequest(given, given.source!));
      if ('ok' in cloned) return cloned;
      request = cloned;
    }
    const parsed = parseServerGroupName(request.name);
    if (!parsed || parsed.sequence === undefined || parsed.cluster !== request.cluster) {
      return failure('invalid', `name '${request.name}' is not a server group of cluster '${request.cluster}'; use '${request.cluster}-v<NNN>'`);
    }
    if (!ECS_NAME.test(request.name)) return failure('invalid', `name '${request.name}' cannot name an ECS service, which takes letters, digits, hyphens and underscores; drop other characters from the application, stack and detail`);
    const capacity = capacityProblem(request.capacity);
    if (capacity) return failure('invalid', capacity);
    if (request.artifact && request.artifact.type !== 'docker/image') {
      return failure('unsupported', `artifact type '${request.artifact.type}' cannot run on the aws-ecs target; use a docker/image artifact, imageDescription or dockerImageAddress`);
    }
    const parsedConfig = parseEcsClusterConfig(request.provider, region);
    if (!parsedConfig.ok) return failure(parsedConfig.reason, parsedConfig.message);
    let config = parsedConfig.config;
    const isNative = config.deploymentMode === 'ecs-native';
    if (isNative) {
      const strategy = request.provider['strategy'];
      if (typeof strategy === 'string' && strategy !== '' && strategy !== 'none') {
        return failure('invalid', problem('strategy', strategy, 'with deploymentMode "ecs-native" ECS shifts the traffic itself (ecsNativeDeployment.strategy); set the deploy strategy to "none" or leave it empty'));
      }
      if (request.source) return failure('unsupported', `cloneServerGroup cannot copy into an ecs-native cluster (${request.cluster} is one ECS service whose revisions ECS deploys); use a deploy stage`);
    }
    if (request.disabled === true) {
      return failure('unsupported', `the aws-ecs target cannot create ${request.name} out of traffic: a disabled ECS service is scaled to 0 (Spinnaker's model), so it would have no tasks to bring up; use the redblack or highlander strategy`);
    }
    const fetched = await fetchTaskDefinition(config);
    if (!fetched.ok) return fetched;
    config = fetched.config;
    const roleProblem = executionRoleProblem(config);
    if (roleProblem) return roleProblem;
    const images = resolveImages(config, request.artifact?.reference);
    if (!images.ok) return failure('invalid', images.message);
    const names = ecsNames({ ...parsed, sequence: parsed.sequence });
    const key = `${request.account}/${request.location}/${request.name}`;
    // One create per name at a time: the second finds the first's service.
    while (creating.has(key)) await creating.get(key)!.catch(() => undefined);
    const attempt = guarded(() => (isNative ? native.create(request, config, names, images.images) : createOnce(request, config, names, images.images)));
    creating.set(key, attempt);
    try {
      return await attempt;
    } finally {
      creating.delete(key);
    }
  }

  // -----------------------------------------------------------------------------------------
  // resize, destroy, enable, disable

  /** Why a server group has no service of its own: a revision of an ecs-native service (ECS moves its traffic and capacity, not the pipeline), or nothing at all. */
  async function missing(ref: ServerGroupRef): Promise<PortFailure> {
    const cluster = parseServerGroupName(ref.serverGroup)?.cluster;
    const service = cluster === undefined ? undefined : (await locate(cluster)).live?.service;
    if (service !== undefined && isNativeService(service)) {
      return failure('unsupported', `${ref.serverGroup} is a revision of the ecs-native service ${cluster}, whose traffic and capacity ECS moves between revisions itself; deploy a new version, or answer a waiting deployment with continueServiceDeployment`);
    }
    return failure('not-found', `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}`);
  }

  async function liveService(ref: ServerGroupRef): Promise<Located> {
    const found = await locate(ref.serverGroup);
    if (!found.live) throw new Halt(await missing(ref));
    if (found.live.service.status === 'DRAINING') throw new Halt(failure('not-found', `server group ${ref.serverGroup} in ${ref.account}/${ref.location} is being destroyed`));
    return found.live;
  }

  async function updateDesiredCount(located: Located, desiredCount: number): Promise<void> {
    await aws('ECS', 'UpdateService', () => clients.ecs.send(new UpdateServiceCommand({ cluster: located.ecsCluster, service: located.service.serviceName!, desiredCount })));
  }

  async function resize(ref: ServerGroupRef, capacity: Capacity): Promise<OperationResult> {
    const where = locationProblem(ref.location);
    if (where) return where;
    const bad = capacityProblem(capacity);
    if (bad) return failure('invalid', bad);
    const located = await liveService(ref);
    const target = await scalableTarget(located);
    const same = located.service.desiredCount === capacity.desired && (target ? target.MinCapacity === capacity.min && target.MaxCapacity === capacity.max : capacity.min === capacity.desired && capacity.max === capacity.desired);
    if (same) return ALREADY_DONE;
    await updateDesiredCount(located, capacity.desired);
    await aws('Application Auto Scaling', 'RegisterScalableTarget', () =>
      clients.applicationAutoScaling.send(
        new RegisterScalableTargetCommand({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: DESIRED_COUNT, ResourceId: resourceId(located.ecsCluster, ref.serverGroup), MinCapacity: capacity.min, MaxCapacity: capacity.max }),
      ),
    );
    return DONE;
  }

  async function destroy(ref: ServerGroupRef, owner: string): Promise<OperationResult> {
    const where = locationProblem(ref.location);
    if (where) return where;
    const found = await locate(ref.serverGroup);
    const live = found.live;
    if (!live) {
      if (found.inactive && tagOf(found.inactive.service, DESTROYED_BY_TAG) === owner) return ALREADY_DONE;
      return missing(ref);
    }
    if (live.service.status === 'DRAINING') return ALREADY_DONE;
    const { ecsCluster, service } = live;
    const name = service.serviceName!;
    // Who destroys it outlives the service: ECS still describes it, INACTIVE, with its tags.
    await aws('ECS', 'TagResource', () => clients.ecs.send(new TagResourceCommand({ resourceArn: service.serviceArn!, tags: [{ key: DESTROYED_BY_TAG, value: owner }] })));
    if ((service.desiredCount ?? 0) !== 0) await updateDesiredCount(live, 0);
    const deleted = await aws('ECS', 'DeleteService', () => clients.ecs.send(new DeleteServiceCommand({ cluster: ecsCluster, service: name, force: true })));
    const taskDefinition = deleted.service?.taskDefinition ?? service.taskDefinition;
    if (taskDefinition) await aws('ECS', 'DeregisterTaskDefinition', () => clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition })));
    try {
      await clients.applicationAutoScaling.send(new DeregisterScalableTargetCommand({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: DESIRED_COUNT, ResourceId: resourceId(ecsCluster, name) }));
    } catch (error) {
      // Gone with the service already: nothing to deregister.
      if (errorCode(error) !== 'ObjectNotFoundException') throw new Halt(awsFailure(error, 'Application Auto Scaling', 'DeregisterScalableTarget'));
    }
    return DONE;
  }

  async function enable(ref: ServerGroupRef): Promise<OperationResult> {
    const where = locationProblem(ref.location);
    if (where) return where;
    const located = await liveService(ref);
    const target = await scalableTarget(located);
    const desired = located.service.desiredCount ?? 0;
    if (desired > 0 && !anySuspended(target)) return ALREADY_DONE;
    // Spinnaker's enable: to the scalable target's max (1 without one), not to the old desired count.
    const max = target?.MaxCapacity ?? 1;
    if (desired === 0 && max === 0) {
      return failure('failed', `cannot enable ${ref.serverGroup}: enabling an ECS service scales it to its scalable target's max, which is 0 (it was scaled down); resize it first, e.g. with a resizeServerGroup stage`);
    }
    if (desired === 0) await updateDesiredCount(located, max);
    if (target) {
      await aws('Application Auto Scaling', 'RegisterScalableTarget', () =>
        clients.applicationAutoScaling.send(new RegisterScalableTargetCommand({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: DESIRED_COUNT, ResourceId: target.ResourceId!, SuspendedState: suspension(false) })),
      );
    }
    return DONE;
  }

  async function disable(ref: ServerGroupRef, disableOptions: DisableOptions): Promise<OperationResult> {
    const where = locationProblem(ref.location);
    if (where) return where;
    const share = disableOptions.desiredPercentage;
    if (share !== undefined && !(Number.isFinite(share) && share >= 0 && share <= 100)) return failure('invalid', `desiredPercentage ${share} must be between 0 and 100`);
    if (share !== undefined && share < 100) {
      return failure('unsupported', `the aws-ecs target disables only whole server groups (desiredPercentage ${share} asked): a disabled ECS service is scaled to 0; use the redblack strategy`);
    }
    const located = await liveService(ref);
    const target = await scalableTarget(located);
    const desired = located.service.desiredCount ?? 0;
    if (desired === 0 && (target === undefined || allSuspended(target))) return ALREADY_DONE;
    // Suspended first, so autoscaling cannot scale the disabled service back up.
    if (target && !allSuspended(target)) {
      await aws('Application Auto Scaling', 'RegisterScalableTarget', () =>
        clients.applicationAutoScaling.send(new RegisterScalableTargetCommand({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: DESIRED_COUNT, ResourceId: target.ResourceId!, SuspendedState: suspension(true) })),
      );
    }
    if (desired !== 0) await updateDesiredCount(located, 0);
    return DONE;
  }

  /** Answers the pause of an ecs-native server group's deployment (ecs-native.ts). */
  async function continueRollout(ref: ServerGroupRef, request: ContinueRolloutRequest): Promise<OperationResult> {
    const where = locationProblem(ref.location);
    if (where) return where;
    const cluster = parseServerGroupName(ref.serverGroup)?.cluster;
    if (cluster === undefined) return failure('invalid', `'${ref.serverGroup}' is not a server group name; use '<cluster>-v<NNN>'`);
    const described = await describeNow({ account: ref.account, location: ref.location, cluster });
    if (!described.ok) return described;
    return native.continueRollout(ref, described.cluster.serverGroups.find((group) => group.name === ref.serverGroup), request);
  }

  // -----------------------------------------------------------------------------------------
  // Checks at save

  /**
   * What a cluster entry names, looked up in this account and region without changing anything:
   * its ECS cluster, each target group, the subnets of `subnets` or of its subnet purposes, and
   * security groups by name. An entry the parser refuses is the pure check's (cluster-check.ts);
   * a lookup AWS cannot answer now (throttled, denied, unreachable) makes the whole answer a
   * failure when nothing else was found.
   */
  async function checkClusterNow(request: ClusterCheckRequest): Promise<ClusterCheckResult> {
    const where = locationProblem(request.location);
    if (where) return where;
    const parsed = parseEcsClusterConfig(boundAtSave(request.provider), region);
    if (!parsed.ok) return { ok: true, issues: [] };
    const config = parsed.config;
    const issues: ClusterFieldIssue[] = [];
    let unanswered: PortFailure | undefined;
    const look = async <T>(path: readonly (string | number)[], run: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof Halt)) throw error;
        // A name AWS does not know is the entry's problem; a refusal of the call itself (denied, throttled) is not.
        const cloudReason = error.failure.cause === undefined ? 'invalid' : reasonOf(error.failure.cause);
        if (cloudReason === 'invalid' || cloudReason === 'not-found') issues.push({ path, code: 'resource-not-found', message: error.failure.message, severity: 'error' });
        else unanswered ??= error.failure;
        return undefined;
      }
    };
    await look(['ecsClusterName'], () =>
      aws('ECS', 'ListServices', () => clients.ecs.send(new ListServicesCommand({ cluster: config.ecsClusterName, maxResults: 1 }))).catch((error: unknown) => {
        if (error instanceof Halt && errorCode(error.failure.cause) === 'ClusterNotFoundException') {
          throw new Halt(failure('invalid', problem('ecsClusterName', config.ecsClusterName, `no ECS cluster of that name in ${region} (${error.failure.message}); create it or fix the name`)));
        }
        throw error;
      }),
    );
    for (const [index, mapping] of config.targetGroupMappings.entries()) await look(['targetGroupMappings', index, 'targetGroup'], () => targetGroupArn(mapping.targetGroup, `targetGroupMappings[${index}].targetGroup`));
    const alternate = config.ecsNativeDeployment?.alternateTargetGroup;
    if (alternate !== undefined) await look(['ecsNativeDeployment', 'alternateTargetGroup'], () => targetGroupArn(alternate, 'ecsNativeDeployment.alternateTargetGroup'));
    const subnetField = config.subnets.length > 0 ? 'subnets' : Array.isArray(request.provider['subnetTypes']) && request.provider['subnetTypes'].length > 0 ? 'subnetTypes' : 'subnetType';
    const chosen = config.subnets.length > 0 || config.subnetTypes.length > 0 ? await look([subnetField], () => subnetsOf(config)) : undefined;
    if (config.securityGroupNames.length > 0) await look(['securityGroupNames'], () => securityGroupIds(config, chosen?.vpcs ?? []));
    if (issues.length === 0 && unanswered) return { ...unanswered, message: unanswered.message.replace(/; try again later$/, '') };
    return { ok: true, issues };
  }

  // -----------------------------------------------------------------------------------------
  // The ports

  const serverGroups: ServerGroupPort = {
    // Without an artifact it runs what imageDescription, dockerImageAddress or the task definition name.
    capabilities: { resize: true, artifactTypes: ['docker/image'], imageFromProviderFields: true, clone: true },
    create: (request) => create(request),
    resize: (ref, capacity, sideEffect) => {
      const owner = ownerProblem(sideEffect.owner);
      return owner ? Promise.resolve(owner) : guarded(() => resize(ref, capacity));
    },
    destroy: (ref, sideEffect) => {
      const owner = ownerProblem(sideEffect.owner);
      return owner ? Promise.resolve(owner) : guarded(() => destroy(ref, sideEffect.owner));
    },
    describeCluster: (ref) => guarded(() => describeNow(ref)),
    checkCluster: (request) => guarded(() => checkClusterNow(request)),
    continueRollout: (ref, request, sideEffect) => {
      const owner = ownerProblem(sideEffect.owner);
      return owner ? Promise.resolve(owner) : guarded(() => continueRollout(ref, request));
    },
  };

  const noWeights = () =>
    failure('unsupported', `the aws-ecs target has no traffic weights: every server group of a cluster shares its target groups and requests split by task count, as in Spinnaker; use the redblack or highlander strategy`);

  const traffic: TrafficPort = {
    capabilities: { weights: false, maxWeightedServerGroups: 0, partialDisable: false, drains: true },
    enable: (ref, sideEffect) => {
      const owner = ownerProblem(sideEffect.owner);
      return owner ? Promise.resolve(owner) : guarded(() => enable(ref));
    },
    disable: (ref, disableOptions) => {
      const owner = ownerProblem(disableOptions.owner);
      return owner ? Promise.resolve(owner) : guarded(() => disable(ref, disableOptions));
    },
    setWeights: async () => noWeights(),
    verifyWeights: async () => noWeights(),
  };

  return { cloudProvider, serverGroups, traffic };
}
