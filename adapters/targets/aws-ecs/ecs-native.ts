/**
 * The aws-ecs target's `ecs-native` mode (deploymentMode "ecs-native"): ECS's own BLUE_GREEN,
 * CANARY or LINEAR deployment (`reference/aws-and-peers.md` §3.3) of ONE service named after the
 * cluster (`app-stack-detail`), where each server group is a revision of it: a task definition of
 * the family `app-stack-detail` tagged with the server group's name (`app-stack-detail-v003`)
 * and the owner token. ECS, not the pipeline, moves the listener weights.
 *
 * - create: DescribeServices (the cluster's service: ours to update, or absent) → the entry's
 *   names resolved (subnets, security groups, both target groups) → DescribeTaskDefinition (this
 *   owner's revision, for a retried create) → RegisterTaskDefinition → CreateService (first
 *   version) or UpdateService (a new revision), both with `deploymentController ECS`, the
 *   strategy, `advancedConfiguration` on the load balancer and one PAUSE lifecycle hook on the
 *   stages of `pauseAt`, whose timeout rolls back. A service whose deployments already run our
 *   revision answers `already-done`: a repeated create never starts a second deployment.
 * - describe: the service's `deployments[]` are its server groups (PRIMARY and the one being
 *   replaced), named from their task definitions' tags (read once per ARN); ListTasks +
 *   DescribeTasks give their tasks by `startedBy` (the deployment id), DescribeTargetHealth of
 *   both target groups their health; ListServiceDeployments + DescribeServiceDeployments the
 *   newest service deployment, whose state is the target revision's `rollout` (running, paused at
 *   a PAUSE hook, succeeded, rolling back, rolled back) and whose requested production traffic
 *   weights are the revisions' `trafficWeight` (0 = disabled).
 * - continueRollout: DescribeServiceDeployments → ContinueServiceDeployment {hookId, action
 *   CONTINUE | ROLLBACK}; a hook no longer awaiting action answers `already-done`.
 * - enable, disable, resize and destroy of one revision are ECS's to do: `unsupported`.
 */
import {
  ContinueServiceDeploymentCommand,
  CreateServiceCommand,
  DescribeServiceDeploymentsCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type Deployment,
  type Service,
  type ServiceDeployment,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, type TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CloudRollout } from '../../../core/deploy/model.ts';
import type {
  Capacity,
  ClusterRef,
  ContinueRolloutRequest,
  CreateServerGroupRequest,
  InstanceDescription,
  InstanceHealth,
  OperationResult,
  PortFailureReason,
  ServerGroupDescription,
  ServerGroupRef,
} from '../../../core/ports/server-groups.ts';
import type { EcsClients } from './ecs-target.ts';
import { NATIVE_STRATEGIES, problem, type EcsClusterConfig, type NativeDeploymentConfig } from './config.ts';
import { awsFailure, errorCode, failure, Halt } from './ecs-errors.ts';
import { createServiceRequest, MONIKER_TAGS, OWNER_TAG, SERVER_GROUP_TAG, type EcsNames, type ResolvedResources } from './ecs-requests.ts';

/** What the native mode borrows from the target it is part of. */
export interface NativeKit {
  readonly account: string;
  readonly region: string;
  readonly clients: EcsClients;
  /** Runs one SDK call; a cloud error halts the operation with its failure. */
  aws<T>(service: string, operation: string, run: () => Promise<T>, context?: string, reason?: PortFailureReason): Promise<T>;
  describeServices(ecsCluster: string, names: readonly string[], context?: string): Promise<Service[]>;
  resolveResources(config: EcsClusterConfig, images: Map<string, string>): Promise<ResolvedResources>;
  revisionFor(request: CreateServerGroupRequest, config: EcsClusterConfig, names: EcsNames, resources: ResolvedResources): Promise<string>;
  /** The ARN of the one target group of that name; `field` names where the entry wrote it. */
  targetGroupArn(name: string, field: string): Promise<string>;
  /** Health of one task: RUNNING and its container health, then the target group's view of it. */
  taskHealth(task: Task, targets: readonly TargetHealthDescription[]): { health: InstanceHealth; draining: boolean; address?: string };
}

const DONE: OperationResult = { ok: true, outcome: 'done' };
const ALREADY_DONE: OperationResult = { ok: true, outcome: 'already-done' };

/** Service deployment statuses in which traffic goes, or went, back. */
const ROLLING_BACK = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS']);
const ENDED_BACK = new Set(['ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED', 'STOPPED', 'STOP_REQUESTED']);

/** A service ECS deploys with BLUE_GREEN, CANARY or LINEAR: one of this mode's. */
export function isNativeService(service: Service): boolean {
  const strategy = service.deploymentConfiguration?.strategy;
  const controller = service.deploymentController?.type ?? 'ECS';
  return controller === 'ECS' && strategy !== undefined && (NATIVE_STRATEGIES as readonly string[]).includes(strategy);
}

/** The names of a revision: the task definition of the server group, its container named after the cluster (a service's load balancer names one container for every revision). */
export function nativeNames(names: EcsNames): EcsNames {
  return { ...names, containerName: names.family };
}

/** The deployment fields of the native service: strategy, its step settings, the PAUSE hook, the circuit breaker that rolls back. */
export function nativeDeploymentConfiguration(native: NativeDeploymentConfig): NonNullable<CreateServiceCommandInput['deploymentConfiguration']> {
  return {
    strategy: native.strategy,
    bakeTimeInMinutes: native.bakeTimeInMinutes,
    minimumHealthyPercent: 100,
    maximumPercent: 200,
    deploymentCircuitBreaker: { enable: true, rollback: true },
    ...(native.strategy === 'CANARY'
      ? {
          canaryConfiguration: {
            ...(native.canaryPercent !== undefined ? { canaryPercent: native.canaryPercent } : {}),
            ...(native.canaryBakeTimeInMinutes !== undefined ? { canaryBakeTimeInMinutes: native.canaryBakeTimeInMinutes } : {}),
          },
        }
      : {}),
    ...(native.strategy === 'LINEAR'
      ? {
          linearConfiguration: {
            ...(native.linearStepPercent !== undefined ? { stepPercent: native.linearStepPercent } : {}),
            ...(native.linearStepBakeTimeInMinutes !== undefined ? { stepBakeTimeInMinutes: native.linearStepBakeTimeInMinutes } : {}),
          },
        }
      : {}),
    lifecycleHooks: [
      ...(native.pauseAt.length > 0 ? [{ targetType: 'PAUSE' as const, lifecycleStages: [...native.pauseAt], timeoutConfiguration: { timeoutInMinutes: native.pauseTimeoutInMinutes, action: 'ROLLBACK' as const } }] : []),
      ...native.lambdaHooks.map((hook) => ({
        targetType: 'AWS_LAMBDA' as const,
        hookTargetArn: hook.hookTargetArn,
        roleArn: hook.roleArn,
        lifecycleStages: [...hook.lifecycleStages],
        ...(hook.hookDetails !== undefined ? { hookDetails: hook.hookDetails as never } : {}),
        ...(hook.timeoutInMinutes !== undefined || hook.timeoutAction !== undefined
          ? { timeoutConfiguration: { ...(hook.timeoutInMinutes !== undefined ? { timeoutInMinutes: hook.timeoutInMinutes } : {}), ...(hook.timeoutAction !== undefined ? { action: hook.timeoutAction } : {}) } }
          : {}),
      })),
    ],
  };
}

/**
 * The container of a task-definition artifact that exposes `port` (the first one), for a target
 * group mapping that names no container: every revision's template names its own containers.
 */
function templateContainer(config: EcsClusterConfig, port: number | undefined): string | undefined {
  if (config.taskDefinition.kind !== 'artifact') return undefined;
  const containers = Array.isArray(config.taskDefinition.template['containerDefinitions']) ? (config.taskDefinition.template['containerDefinitions'] as unknown[]) : [];
  for (const container of containers) {
    if (container === null || typeof container !== 'object') continue;
    const { name, portMappings } = container as { name?: unknown; portMappings?: unknown };
    const mapped = Array.isArray(portMappings) && portMappings.some((mapping) => mapping !== null && typeof mapping === 'object' && (mapping as { containerPort?: unknown }).containerPort === port);
    if (typeof name === 'string' && mapped) return name;
  }
  return undefined;
}

/** What the newest service deployment says about the revisions. */
interface DeploymentView {
  readonly latest?: ServiceDeployment;
  /** Requested production traffic weight by service revision ARN. */
  readonly weights: ReadonlyMap<string, number>;
}

/** The native mode of one aws-ecs target (see the module comment). */
export function createNativeMode(kit: NativeKit) {
  const { account, region, clients } = kit;
  /** Task definition ARN → its server group's name and owner (tags never change on our revisions). */
  const revisions = new Map<string, { name?: string; owner?: string }>();

  async function revisionTags(arn: string): Promise<{ name?: string; owner?: string }> {
    const known = revisions.get(arn);
    if (known) return known;
    const answer = await kit.aws('ECS', 'DescribeTaskDefinition', () => clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] })));
    const tag = (key: string) => answer.tags?.find((candidate) => candidate.key === key)?.value;
    const name = tag(SERVER_GROUP_TAG);
    const owner = tag(OWNER_TAG);
    const found = { ...(name !== undefined ? { name } : {}), ...(owner !== undefined ? { owner } : {}) };
    revisions.set(arn, found);
    return found;
  }

  // -----------------------------------------------------------------------------------------
  // create

  async function create(request: CreateServerGroupRequest, config: EcsClusterConfig, names: EcsNames, images: Map<string, string>): Promise<OperationResult> {
    const native = config.ecsNativeDeployment!;
    const ecsCluster = config.ecsClusterName;
    const serviceName = request.cluster;
    const revisionNames = nativeNames(names);
    const existing = (await kit.describeServices(ecsCluster, [serviceName], problem('ecsClusterName', ecsCluster, 'create the ECS cluster or fix the name'))).find(
      (service) => service.serviceName === serviceName && service.status !== 'INACTIVE',
    );
    if (existing?.status === 'DRAINING') {
      return failure('already-exists', `the ECS service ${serviceName} of cluster ${request.cluster} in ${account}/${region} is being deleted (DRAINING), and ECS keeps its name until it is INACTIVE; deploy again once it is gone`);
    }
    if (existing && !isNativeService(existing)) {
      return failure(
        'already-exists',
        `the ECS service ${serviceName} in ${account}/${region} deploys with strategy ${existing.deploymentConfiguration?.strategy ?? 'ROLLING'}, not ECS's blue/green, canary or linear; deploymentMode "ecs-native" needs a service of its own: give the cluster another stack or detail, or delete that service`,
      );
    }
    const resources = await kit.resolveResources(config, images);
    const alternate = await kit.targetGroupArn(native.alternateTargetGroup, 'ecsNativeDeployment.alternateTargetGroup');
    const taskDefinitionArn = await kit.revisionFor(request, config, revisionNames, resources);
    revisions.set(taskDefinitionArn, { name: request.name, owner: request.owner });
    if (existing && (existing.taskDefinition === taskDefinitionArn || (existing.deployments ?? []).some((deployment) => deployment.taskDefinition === taskDefinitionArn))) return ALREADY_DONE;
    const base = createServiceRequest(config, { ...revisionNames, serviceName }, taskDefinitionArn, request.capacity.desired, resources, request.owner);
    const loadBalancers = (base.loadBalancers ?? []).map((balancer, index) =>
      index === 0
        ? {
            ...balancer,
            containerName: config.targetGroupMappings[0]?.containerName ?? templateContainer(config, balancer.containerPort) ?? balancer.containerName,
            advancedConfiguration: {
              alternateTargetGroupArn: alternate,
              productionListenerRule: native.productionListenerRule,
              ...(native.testListenerRule !== undefined ? { testListenerRule: native.testListenerRule } : {}),
              roleArn: native.roleArn,
            },
          }
        : balancer,
    );
    const deploymentConfiguration = nativeDeploymentConfiguration(native);
    if (!existing) {
      try {
        await clients.ecs.send(
          new CreateServiceCommand({
            ...base,
            loadBalancers,
            deploymentController: { type: 'ECS' },
            deploymentConfiguration,
            // The service outlives every version: its tags say whose cluster it is, not which version.
            tags: (base.tags ?? []).filter((tag) => tag.key !== MONIKER_TAGS.sequence),
          }),
        );
      } catch (error) {
        // Made meanwhile (a create whose answer was lost): ours when it runs our revision.
        const now = (await kit.describeServices(ecsCluster, [serviceName])).find((service) => service.serviceName === serviceName && service.status === 'ACTIVE');
        if (now && (now.deployments ?? []).some((deployment) => deployment.taskDefinition === taskDefinitionArn)) return ALREADY_DONE;
        throw new Halt(awsFailure(error, 'ECS', 'CreateService'));
      }
      return DONE;
    }
    await kit.aws('ECS', 'UpdateService', () =>
      clients.ecs.send(
        new UpdateServiceCommand({
          cluster: ecsCluster,
          service: serviceName,
          taskDefinition: taskDefinitionArn,
          desiredCount: request.capacity.desired,
          deploymentConfiguration,
          loadBalancers,
          ...(base.networkConfiguration ? { networkConfiguration: base.networkConfiguration } : {}),
        }),
      ),
    );
    return DONE;
  }

  // -----------------------------------------------------------------------------------------
  // describe

  async function newestDeployment(ecsCluster: string, serviceName: string): Promise<DeploymentView> {
    const listed = await kit.aws('ECS', 'ListServiceDeployments', () => clients.ecs.send(new ListServiceDeploymentsCommand({ cluster: ecsCluster, service: serviceName, maxResults: 20 })));
    const newest = [...(listed.serviceDeployments ?? [])].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
    if (!newest?.serviceDeploymentArn) return { weights: new Map() };
    const described = await kit.aws('ECS', 'DescribeServiceDeployments', () => clients.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [newest.serviceDeploymentArn!] })));
    const latest = described.serviceDeployments?.[0];
    const weights = new Map<string, number>();
    for (const revision of [...(latest?.sourceServiceRevisions ?? []), ...(latest?.targetServiceRevision ? [latest.targetServiceRevision] : [])]) {
      if (revision.arn !== undefined && revision.requestedProductionTrafficWeight !== undefined) weights.set(revision.arn, revision.requestedProductionTrafficWeight);
    }
    return { ...(latest ? { latest } : {}), weights };
  }

  /** The rollout of the newest service deployment's target revision, in the port's words. */
  function rolloutOf(latest: ServiceDeployment): CloudRollout {
    const status = latest.status ?? 'PENDING';
    const stage = latest.lifecycleStage;
    const reason = (latest.statusReason ?? latest.rollback?.reason ?? '').replace(/\s+/g, ' ').trim();
    const because = reason !== '' ? `: ${reason}` : '';
    const at = stage !== undefined ? { stage } : {};
    if (status === 'SUCCESSFUL') return { state: 'succeeded', ...at };
    if (ROLLING_BACK.has(status)) return { state: 'rolling-back', ...at, message: `ECS is rolling the deployment back to the previous revision${because}` };
    if (status === 'ROLLBACK_SUCCESSFUL') return { state: 'rolled-back', ...at, message: `ECS rolled the deployment back to the previous revision${because}` };
    if (status === 'ROLLBACK_FAILED') return { state: 'failed', ...at, message: `ECS could not roll the deployment back${because}` };
    if (status === 'STOPPED' || status === 'STOP_REQUESTED') return { state: 'failed', ...at, message: `the deployment was stopped${because}` };
    const paused = (latest.lifecycleHookDetails ?? []).find((hook) => hook.targetType === 'PAUSE' && hook.status === 'AWAITING_ACTION' && hook.hookId !== undefined);
    if (paused) return { state: 'paused', ...at, pauseId: paused.hookId!, message: `waiting at ${stage ?? 'a lifecycle hook'} for continueServiceDeployment` };
    return { state: 'running', ...at };
  }

  async function tasksByDeployment(ecsCluster: string, serviceName: string): Promise<Map<string, Task[]>> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await kit.aws('ECS', 'ListTasks', () => clients.ecs.send(new ListTasksCommand({ cluster: ecsCluster, serviceName, desiredStatus: 'RUNNING', ...(nextToken ? { nextToken } : {}) })));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const byDeployment = new Map<string, Task[]>();
    for (let i = 0; i < arns.length; i += 100) {
      const answer = await kit.aws('ECS', 'DescribeTasks', () => clients.ecs.send(new DescribeTasksCommand({ cluster: ecsCluster, tasks: arns.slice(i, i + 100) })));
      for (const task of answer.tasks ?? []) {
        if (task.lastStatus === 'STOPPED' || task.startedBy === undefined) continue;
        const list = byDeployment.get(task.startedBy) ?? [];
        list.push(task);
        byDeployment.set(task.startedBy, list);
      }
    }
    return byDeployment;
  }

  /** The server groups of one native service (see the module comment). */
  async function describe(ref: ClusterRef, ecsCluster: string, service: Service): Promise<ServerGroupDescription[]> {
    const serviceName = service.serviceName!;
    const view = await newestDeployment(ecsCluster, serviceName);
    const latest = view.latest;
    const balancer = service.loadBalancers?.[0];
    const groupArns = [balancer?.targetGroupArn, balancer?.advancedConfiguration?.alternateTargetGroupArn].filter((arn): arn is string => typeof arn === 'string');
    const targets: TargetHealthDescription[] = [];
    for (const arn of groupArns) {
      const answer = await kit.aws('Elastic Load Balancing', 'DescribeTargetHealth', () => clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })));
      targets.push(...(answer.TargetHealthDescriptions ?? []));
    }
    const tasks = await tasksByDeployment(ecsCluster, serviceName);
    const status = latest?.status ?? 'SUCCESSFUL';
    const targetArn = latest?.targetServiceRevision?.arn;
    const ended = !(status === 'PENDING' || status === 'IN_PROGRESS' || ROLLING_BACK.has(status));
    const deployments: Deployment[] = service.deployments ?? [];
    /** The deployment entry the newest service deployment brings in: the PRIMARY one, or, while rolling back, the one that failed. */
    // (Once traffic went back, the revision that did not make it is gone from the service; it is added below.)
    const incoming = ROLLING_BACK.has(status)
      ? deployments.find((deployment) => deployment.rolloutState === 'FAILED') ?? deployments.find((deployment) => deployment.status !== 'PRIMARY')
      : ENDED_BACK.has(status)
        ? undefined
        : deployments.find((deployment) => deployment.status === 'PRIMARY');
    const groups: ServerGroupDescription[] = [];
    for (const deployment of deployments) {
      if (!deployment.taskDefinition) continue;
      const tags = await revisionTags(deployment.taskDefinition);
      const name = tags.name ?? `${ref.cluster}-${deployment.id ?? deployment.taskDefinition}`;
      const isIncoming = deployment === incoming;
      // Production weight: as the newest deployment requests it; once it ended, the PRIMARY revision serves.
      let weight: number;
      if (ended || latest === undefined) weight = deployment.status === 'PRIMARY' ? 100 : 0;
      else weight = isIncoming ? (targetArn !== undefined ? view.weights.get(targetArn) ?? 0 : 0) : 100 - (targetArn !== undefined ? view.weights.get(targetArn) ?? 0 : 0);
      const instances: InstanceDescription[] = (tasks.get(deployment.id ?? '') ?? []).map((task) => {
        const seen = kit.taskHealth(task, targets);
        const launched = task.startedAt ?? task.createdAt;
        return {
          id: (task.taskArn ?? '').slice((task.taskArn ?? '').lastIndexOf('/') + 1),
          health: seen.health,
          launchedTime: launched ? launched.getTime() : 0,
          ...(seen.address !== undefined ? { address: seen.address } : {}),
          ...(weight === 0 ? { outOfService: true } : {}),
          ...(seen.draining ? { draining: true } : {}),
        };
      });
      const desired = deployment.desiredCount ?? 0;
      const capacity: Capacity = { min: desired, max: desired, desired };
      groups.push({
        name,
        cluster: ref.cluster,
        account,
        location: region,
        createdTime: deployment.createdAt ? deployment.createdAt.getTime() : 0,
        capacity,
        disabled: weight === 0,
        trafficWeight: weight,
        instances,
        ...(tags.owner !== undefined ? { owner: tags.owner } : {}),
        ...(isIncoming && latest !== undefined ? { rollout: rolloutOf(latest) } : {}),
        launchConfig: {
          deploymentMode: 'ecs-native',
          ecsClusterName: ecsCluster,
          serviceArn: service.serviceArn,
          taskDefinition: deployment.taskDefinition,
          ...(latest?.serviceDeploymentArn !== undefined ? { serviceDeploymentArn: latest.serviceDeploymentArn } : {}),
        },
      });
    }
    // Rolled back and gone from the service: the revision that did not make it still answers why.
    if (latest !== undefined && ENDED_BACK.has(status)) {
      const newest = await kit.aws('ECS', 'DescribeTaskDefinition', () => clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref.cluster, include: ['TAGS'] })));
      const name = newest.tags?.find((tag) => tag.key === SERVER_GROUP_TAG)?.value;
      if (name !== undefined && !groups.some((group) => group.name === name)) {
        groups.push({
          name,
          cluster: ref.cluster,
          account,
          location: region,
          createdTime: latest.createdAt ? latest.createdAt.getTime() : 0,
          capacity: { min: 0, max: 0, desired: 0 },
          disabled: true,
          trafficWeight: 0,
          instances: [],
          rollout: rolloutOf(latest),
          launchConfig: { deploymentMode: 'ecs-native', ecsClusterName: ecsCluster, serviceArn: service.serviceArn, taskDefinition: newest.taskDefinition?.taskDefinitionArn, serviceDeploymentArn: latest.serviceDeploymentArn },
        });
      }
    }
    return groups;
  }

  // -----------------------------------------------------------------------------------------
  // continueRollout

  async function continueRollout(ref: ServerGroupRef, group: ServerGroupDescription | undefined, request: ContinueRolloutRequest): Promise<OperationResult> {
    if (group === undefined) return failure('not-found', `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}`);
    const arn = group.launchConfig?.['serviceDeploymentArn'];
    if (typeof arn !== 'string') return failure('invalid', `${ref.serverGroup} in ${ref.account}/${ref.location} has no ECS service deployment to continue`);
    const described = await kit.aws('ECS', 'DescribeServiceDeployments', () => clients.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] })));
    const hook = described.serviceDeployments?.[0]?.lifecycleHookDetails?.find((candidate) => candidate.hookId === request.pauseId);
    if (hook === undefined) return failure('not-found', `the deployment of ${ref.serverGroup} has no lifecycle hook ${request.pauseId}; run continueServiceDeployment while the deployment waits`);
    if (hook.status !== 'AWAITING_ACTION' || described.serviceDeployments?.[0]?.status !== 'IN_PROGRESS') return ALREADY_DONE;
    try {
      await clients.ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: request.pauseId, action: request.action === 'continue' ? 'CONTINUE' : 'ROLLBACK' }));
    } catch (error) {
      // Answered meanwhile (a repeated call, a person in the console): the hook no longer waits.
      if (errorCode(error) === 'ConflictException') return ALREADY_DONE;
      throw new Halt(awsFailure(error, 'ECS', 'ContinueServiceDeployment'));
    }
    return DONE;
  }

  return { create, describe, continueRollout };
}
