/**
 * The simulated ECS scheduler: moves tasks through PROVISIONING → PENDING → RUNNING (and
 * DEACTIVATING → STOPPING → STOPPED), registers each RUNNING task's IP:port in its service's
 * target groups, rolls deployments (minimumHealthyPercent / maximumPercent, circuit breaker)
 * until one PRIMARY deployment is COMPLETED, drains deleted services, and runs ECS native
 * BLUE_GREEN / CANARY / LINEAR service deployments through their lifecycle stages and hooks.
 *
 * Time advances in steps: every due timer (a task step, a bake time, a hook retry) is applied at
 * its own instant, so the event log shows each change when AWS would have made it, even when a
 * test ticks an hour at once.
 */
import type { AwsServiceSim, SimContext } from './service.ts';
import { hexId, uuidId } from './json-rpc.ts';
import {
  breakerThreshold,
  deploymentId,
  isLive,
  nextCount,
  NATIVE_STRATEGIES,
  serviceEvent,
  tasksOf,
  type EcsDeployment,
  type EcsServiceRecord,
  type EcsTask,
  type EcsWorld,
  type HookRun,
  type Json,
  type LifecycleHookConfig,
  type ServiceDeploymentRecord,
  type TaskTarget,
} from './ecs-model.ts';

/**
 * What ECS needs of the load balancer service: the ELBv2 simulator's narrow target API (the one
 * Auto Scaling uses too), found through `ctx.service('elasticloadbalancing')`. Listener-rule
 * weights are changed through its public API (ModifyRule / ModifyListener), as ECS does with the
 * service's infrastructure role.
 */
export interface EcsLoadBalancerPort extends AwsServiceSim {
  register(ctx: SimContext, targetGroupArn: string, targets: readonly { id: string; port?: number }[]): void;
  deregister(ctx: SimContext, targetGroupArn: string, targets: readonly { id: string; port?: number }[]): void;
  /** Whether the target group exists (CreateService refuses unknown ones). */
  targetGroupExists?(targetGroupArn: string): boolean;
  /** ELBv2 target state: initial | healthy | unhealthy | unused | draining (undefined: not registered). */
  targetState?(targetGroupArn: string, id: string): string | undefined;
}

/** What ECS needs of Lambda: invoking a lifecycle hook function synchronously. */
export interface EcsHookInvoker {
  invokeHook(functionArn: string, payload: string, ctx: SimContext): { readonly payload: string; readonly functionError?: string };
}

/** The reconciler's view of its surroundings. */
export interface EcsControlContext {
  readonly world: EcsWorld;
  readonly ctx: SimContext;
  readonly loadBalancer: EcsLoadBalancerPort | undefined;
  readonly hooks: EcsHookInvoker | undefined;
}

/** Appends to the world's event log (the router stamps the time; `tick` stops at every instant ECS reports). */
/** How often a DEACTIVATING task checks whether the load balancer has finished draining it. */
const DRAIN_POLL_MS = 1_000;

function emit(cc: EcsControlContext, kind: string, _at: number, detail: Record<string, unknown>): void {
  cc.ctx.event(kind, detail);
}

// ---------------------------------------------------------------------------------------------
// Tasks

/** The target group of a load balancer entry on one side (native blue/green uses both). */
export function targetGroupFor(lb: EcsServiceRecord['loadBalancers'][number], side: 'primary' | 'alternate'): string | undefined {
  if (side === 'alternate') return lb.advancedConfiguration?.alternateTargetGroupArn ?? lb.targetGroupArn;
  return lb.targetGroupArn;
}

function targetsFor(cc: EcsControlContext, service: EcsServiceRecord, deployment: EcsDeployment, ip: string, n: number): TaskTarget[] {
  const td = cc.world.taskDefinitions.get(deployment.taskDefinitionArn);
  const awsvpc = td?.body.networkMode === 'awsvpc';
  const containers = (td?.body.containerDefinitions as Json[] | undefined) ?? [];
  const out: TaskTarget[] = [];
  for (const lb of service.loadBalancers) {
    const tg = targetGroupFor(lb, deployment.side);
    if (tg === undefined) continue;
    let port = lb.containerPort;
    if (!awsvpc) {
      // bridge/host: the host port of the mapping (0 in bridge = an ephemeral port, as Docker picks).
      const container = containers.find((c) => c.name === lb.containerName);
      const mapping = ((container?.portMappings as Json[] | undefined) ?? []).find((pm) => pm.containerPort === lb.containerPort);
      const host = mapping?.hostPort as number | undefined;
      port = host === undefined ? lb.containerPort : host === 0 ? 32768 + (n % 28000) : host;
    }
    out.push({ targetGroupArn: tg, id: ip, port });
  }
  return out;
}

/** Starts one task of `deployment` (PROVISIONING). */
export function startTask(cc: EcsControlContext, service: EcsServiceRecord, deployment: EcsDeployment, at: number): EcsTask {
  const { world } = cc;
  const n = nextCount(world);
  const id = hexId('ecs-task', n, 32);
  const network = (deployment.networkConfiguration?.awsvpcConfiguration as Json | undefined) ?? {};
  const subnets = (network.subnets as string[] | undefined) ?? [];
  const subnetIndex = subnets.length > 0 ? n % subnets.length : 0;
  const ip = `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 4}`;
  const td = world.taskDefinitions.get(deployment.taskDefinitionArn);
  const containers = (td?.body.containerDefinitions as Json[] | undefined) ?? [];
  const task: EcsTask = {
    arn: `arn:aws:ecs:${service.region}:${cc.ctx.accountId}:task/${service.clusterName}/${id}`,
    id,
    clusterArn: service.clusterArn,
    serviceArn: service.arn,
    serviceName: service.name,
    deploymentId: deployment.id,
    taskDefinitionArn: deployment.taskDefinitionArn,
    launchType: deployment.launchType,
    createdAt: at,
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    hasHealthCheck: containers.some((c) => c.healthCheck !== undefined),
    nextAt: at + world.timings.provisioningMs,
    ip,
    eniId: `eni-${hexId('eni', n, 17)}`,
    attachmentId: uuidId('ecs-attachment', n),
    subnetId: subnets[subnetIndex],
    availabilityZone: `${service.region}${'abcdef'[subnetIndex % 6]}`,
    targets: targetsFor(cc, service, deployment, ip, n),
    registered: false,
    version: 1,
    failureCounted: false,
  };
  world.tasks.set(task.arn, task);
  emit(cc, 'ecs.task', at, { service: service.name, taskArn: task.arn, lastStatus: task.lastStatus });
  return task;
}

function imageBehaviour(cc: EcsControlContext, task: EcsTask): 'healthy' | 'crash' | 'unhealthy' {
  const td = cc.world.taskDefinitions.get(task.taskDefinitionArn);
  for (const container of (td?.body.containerDefinitions as Json[] | undefined) ?? []) {
    const behaviour = cc.world.images.get(String(container.image));
    if (behaviour !== undefined && behaviour !== 'healthy') return behaviour;
  }
  return 'healthy';
}

function serviceOf(cc: EcsControlContext, task: EcsTask): EcsServiceRecord | undefined {
  for (let i = cc.world.services.length - 1; i >= 0; i--) {
    const service = cc.world.services[i]!;
    if (service.arn === task.serviceArn && service.deployments.some((d) => d.id === task.deploymentId)) return service;
  }
  return cc.world.services.filter((s) => s.arn === task.serviceArn).at(-1);
}

function countFailure(cc: EcsControlContext, task: EcsTask): void {
  if (task.failureCounted) return;
  task.failureCounted = true;
  const deployment = cc.world.deployments.get(task.deploymentId);
  if (deployment !== undefined) deployment.failedTasks += 1;
}

function register(cc: EcsControlContext, task: EcsTask, at: number): void {
  if (task.registered) return;
  task.registered = true;
  const service = serviceOf(cc, task);
  for (const target of task.targets) {
    cc.loadBalancer?.register(cc.ctx, target.targetGroupArn, [{ id: target.id, port: target.port }]);
    emit(cc, 'ecs.target-registered', at, { service: task.serviceName, taskArn: task.arn, targetGroupArn: target.targetGroupArn, id: target.id, port: target.port });
    if (service !== undefined) serviceEvent(service, at, `registered 1 targets in (target-group ${target.targetGroupArn})`, nextCount(cc.world));
  }
}

/** Deregisters the task's targets; returns whether ECS must wait for them to finish draining. */
function deregister(cc: EcsControlContext, task: EcsTask, at: number): boolean {
  if (!task.registered) return false;
  task.registered = false;
  const service = serviceOf(cc, task);
  for (const target of task.targets) {
    cc.loadBalancer?.deregister(cc.ctx, target.targetGroupArn, [{ id: target.id, port: target.port }]);
    emit(cc, 'ecs.target-deregistered', at, { service: task.serviceName, taskArn: task.arn, targetGroupArn: target.targetGroupArn, id: target.id, port: target.port });
    if (service !== undefined) serviceEvent(service, at, `deregistered 1 targets in (target-group ${target.targetGroupArn})`, nextCount(cc.world));
  }
  return task.targets.length > 0 && cc.loadBalancer?.targetState !== undefined;
}

/** Whether every target of a DEACTIVATING task has finished draining (the load balancer dropped it). */
function drained(cc: EcsControlContext, task: EcsTask): boolean {
  const state = cc.loadBalancer?.targetState;
  if (state === undefined) return true;
  return task.targets.every((t) => state.call(cc.loadBalancer, t.targetGroupArn, t.id) !== 'draining');
}

/** Asks a task to stop: it leaves its target groups, waits their deregistration delay, then stops. */
export function stopTask(cc: EcsControlContext, task: EcsTask, at: number, reason: string, stopCode = 'ServiceSchedulerInitiated'): void {
  if (task.desiredStatus === 'STOPPED') return;
  task.desiredStatus = 'STOPPED';
  task.stoppedReason = reason;
  task.stopCode = stopCode;
  task.version += 1;
  if (task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING') {
    task.lastStatus = 'STOPPED';
    task.stoppingAt = at;
    task.stoppedAt = at;
    task.nextAt = undefined;
  } else if (task.lastStatus === 'RUNNING') {
    // ECS stops the container only once the load balancer has drained it (deregistration delay).
    const waitForDrain = deregister(cc, task, at);
    task.lastStatus = 'DEACTIVATING';
    task.stoppingAt = at;
    task.nextAt = at + (waitForDrain ? DRAIN_POLL_MS : cc.world.timings.stoppingMs);
  }
  emit(cc, 'ecs.task', at, { service: task.serviceName, taskArn: task.arn, lastStatus: task.lastStatus, desiredStatus: 'STOPPED', reason });
}

/** Applies the task's due lifecycle step. */
function advanceTask(cc: EcsControlContext, task: EcsTask, at: number): void {
  const { timings } = cc.world;
  task.nextAt = undefined;
  task.version += 1;
  switch (task.lastStatus) {
    case 'PROVISIONING':
      task.lastStatus = 'PENDING';
      task.pullStartedAt = at;
      task.nextAt = at + timings.pendingMs;
      break;
    case 'PENDING': {
      task.pullStoppedAt = at;
      if (imageBehaviour(cc, task) === 'crash') {
        task.lastStatus = 'STOPPED';
        task.desiredStatus = 'STOPPED';
        task.exitCode = 1;
        task.stopCode = 'EssentialContainerExited';
        task.stoppedReason = 'Essential container in task exited';
        task.stoppingAt = at;
        task.stoppedAt = at;
        countFailure(cc, task);
        break;
      }
      task.lastStatus = 'RUNNING';
      task.startedAt = at;
      task.connectivityAt = at;
      register(cc, task, at);
      if (task.hasHealthCheck) task.nextAt = at + timings.healthCheckMs;
      break;
    }
    case 'RUNNING':
      // The container health check reports.
      if (imageBehaviour(cc, task) === 'unhealthy') {
        task.healthStatus = 'UNHEALTHY';
        countFailure(cc, task);
        stopTask(cc, task, at, 'Task failed container health checks', 'TaskFailedToStart');
        return;
      }
      task.healthStatus = 'HEALTHY';
      break;
    case 'DEACTIVATING':
      // Still draining in the load balancer: look again shortly, as the ECS agent polls.
      if (!drained(cc, task)) {
        task.version -= 1;
        task.nextAt = at + DRAIN_POLL_MS;
        return;
      }
      task.lastStatus = 'STOPPING';
      task.nextAt = at + timings.stoppingMs;
      break;
    case 'STOPPING':
      task.lastStatus = 'STOPPED';
      task.stoppedAt = at;
      task.exitCode ??= 0;
      break;
    case 'STOPPED':
      break;
  }
  emit(cc, 'ecs.task', at, { service: task.serviceName, taskArn: task.arn, lastStatus: task.lastStatus, healthStatus: task.healthStatus });
}

/** Healthy as the ECS scheduler counts it: RUNNING, container health (if any) HEALTHY, targets healthy. */
function isHealthy(cc: EcsControlContext, task: EcsTask): boolean {
  if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') return false;
  if (task.hasHealthCheck && task.healthStatus !== 'HEALTHY') return false;
  const state = cc.loadBalancer?.targetState;
  if (state === undefined) return true;
  for (const target of task.targets) {
    const s = state.call(cc.loadBalancer, target.targetGroupArn, target.id);
    // `unused`: the target group takes no traffic yet (an alternate group at weight 0); ECS does not wait on it.
    if (s !== undefined && s !== 'healthy' && s !== 'unused') return false;
  }
  return true;
}

/** Replaces RUNNING tasks whose load-balancer health check failed after the grace period, as ECS does. */
function replaceUnhealthyTargets(cc: EcsControlContext, service: EcsServiceRecord, at: number): void {
  const state = cc.loadBalancer?.targetState;
  if (state === undefined) return;
  const grace = (service.healthCheckGracePeriodSeconds ?? 0) * 1000;
  for (const task of tasksOf(cc.world, service)) {
    if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING' || (task.startedAt ?? at) + grace > at) continue;
    const failed = task.targets.find((t) => state.call(cc.loadBalancer, t.targetGroupArn, t.id) === 'unhealthy');
    if (failed === undefined) continue;
    countFailure(cc, task);
    stopTask(cc, task, at, `Task failed ELB health checks in (target-group ${failed.targetGroupArn})`, 'TaskFailedToStart');
    serviceEvent(service, at, `has stopped 1 running tasks: (task ${task.id}).`, nextCount(cc.world));
  }
}

// ---------------------------------------------------------------------------------------------
// Deployments

function percent(service: EcsServiceRecord, key: 'minimumHealthyPercent' | 'maximumPercent', fallback: number): number {
  const value = service.deploymentConfiguration[key];
  return typeof value === 'number' ? value : fallback;
}

function breaker(service: EcsServiceRecord): { enable: boolean; rollback: boolean } {
  const b = (service.deploymentConfiguration.deploymentCircuitBreaker as Json | undefined) ?? {};
  return { enable: b.enable === true, rollback: b.rollback === true };
}

/** Creates a deployment record (and registers it in the world's archive). */
export function newDeployment(cc: EcsControlContext, service: EcsServiceRecord, taskDefinitionArn: string, at: number, side: 'primary' | 'alternate'): EcsDeployment {
  const id = deploymentId(nextCount(cc.world));
  const deployment: EcsDeployment = {
    id,
    status: 'PRIMARY',
    taskDefinitionArn,
    desiredCount: service.desiredCount,
    failedTasks: 0,
    createdAt: at,
    updatedAt: at,
    launchType: service.launchType,
    platformVersion: service.platformVersion,
    networkConfiguration: service.networkConfiguration,
    capacityProviderStrategy: service.capacityProviderStrategy,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${id} in progress.`,
    serviceRevisionArn: `${service.arn.replace(':service/', ':service-revision/')}/${id.slice('ecs-svc/'.length)}`,
    side,
  };
  cc.world.deployments.set(id, deployment);
  return deployment;
}

/** Records a service deployment for a new target deployment and makes it the service's current one. */
export function newServiceDeployment(cc: EcsControlContext, service: EcsServiceRecord, target: EcsDeployment, source: EcsDeployment | undefined, at: number): ServiceDeploymentRecord {
  const strategy = String(service.deploymentConfiguration.strategy ?? 'ROLLING');
  const native = NATIVE_STRATEGIES.has(strategy) && source !== undefined;
  const sd: ServiceDeploymentRecord = {
    arn: `${service.arn.replace(':service/', ':service-deployment/')}/${hexId('ecs-sd', nextCount(cc.world), 22)}`,
    service,
    createdAt: at,
    startedAt: at,
    updatedAt: at,
    status: 'IN_PROGRESS',
    strategy,
    lifecycleStage: native ? 'RECONCILE_SERVICE' : undefined,
    sourceDeploymentId: source?.id,
    targetDeploymentId: target.id,
    deploymentConfiguration: JSON.parse(JSON.stringify(service.deploymentConfiguration)) as Json,
    productionWeight: native ? 0 : 100,
    testWeight: native ? 0 : 100,
    hooks: [],
    hookStagesStarted: [],
  };
  cc.world.serviceDeployments.set(sd.arn, sd);
  service.currentServiceDeploymentArn = sd.arn;
  emit(cc, 'ecs.service-deployment', at, { service: service.name, serviceDeploymentArn: sd.arn, status: sd.status, strategy });
  return sd;
}

function finishServiceDeployment(cc: EcsControlContext, sd: ServiceDeploymentRecord, status: ServiceDeploymentRecord['status'], at: number, reason?: string): void {
  sd.status = status;
  sd.updatedAt = at;
  sd.finishedAt = at;
  if (reason !== undefined) sd.statusReason = reason;
  for (const hook of sd.hooks) hook.nextInvokeAt = undefined;
  emit(cc, 'ecs.service-deployment', at, { service: sd.service.name, serviceDeploymentArn: sd.arn, status, lifecycleStage: sd.lifecycleStage, reason });
}

function activeServiceDeployment(cc: EcsControlContext, service: EcsServiceRecord): ServiceDeploymentRecord | undefined {
  const arn = service.currentServiceDeploymentArn;
  const sd = arn !== undefined ? cc.world.serviceDeployments.get(arn) : undefined;
  if (sd === undefined || sd.service !== service) return undefined;
  return sd.status === 'IN_PROGRESS' || sd.status === 'ROLLBACK_IN_PROGRESS' || sd.status === 'STOP_REQUESTED' ? sd : undefined;
}

function completeDeployment(cc: EcsControlContext, service: EcsServiceRecord, deployment: EcsDeployment, at: number): void {
  deployment.rolloutState = 'COMPLETED';
  deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
  deployment.updatedAt = at;
  service.steadySince = at;
  serviceEvent(service, at, 'has reached a steady state.', nextCount(cc.world));
  emit(cc, 'ecs.deployment', at, { service: service.name, deploymentId: deployment.id, rolloutState: 'COMPLETED', taskDefinition: deployment.taskDefinitionArn });
  const sd = activeServiceDeployment(cc, service);
  // Native service deployments finish through their own stages; the service's first deployment has none.
  if (sd !== undefined && !(NATIVE_STRATEGIES.has(sd.strategy) && sd.sourceDeploymentId !== undefined)) {
    finishServiceDeployment(cc, sd, sd.status === 'ROLLBACK_IN_PROGRESS' ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL', at);
  }
}

/** The ROLLING scheduler for one ACTIVE service. */
function controlRolling(cc: EcsControlContext, service: EcsServiceRecord, at: number): void {
  const primary = service.deployments[0];
  if (primary === undefined) return;
  const desired = service.desiredCount;
  primary.desiredCount = desired;
  const olds = service.deployments.slice(1);
  const live = (d: EcsDeployment) => tasksOf(cc.world, service, d.id).filter(isLive);

  // Circuit breaker: too many failed tasks fail the deployment and, with rollback, return to the last good revision.
  const cb = breaker(service);
  if (cb.enable && primary.rolloutState === 'IN_PROGRESS' && primary.failedTasks >= breakerThreshold(desired)) {
    primary.rolloutState = 'FAILED';
    primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    primary.updatedAt = at;
    emit(cc, 'ecs.deployment', at, { service: service.name, deploymentId: primary.id, rolloutState: 'FAILED' });
    const sd = activeServiceDeployment(cc, service);
    const previous = olds.find((d) => d.rolloutState === 'COMPLETED') ?? olds[0];
    if (cb.rollback && previous !== undefined) {
      const back = newDeployment(cc, service, previous.taskDefinitionArn, at, previous.side);
      primary.status = 'ACTIVE';
      service.deployments.unshift(back);
      service.taskDefinitionArn = previous.taskDefinitionArn;
      if (sd !== undefined) {
        sd.status = 'ROLLBACK_IN_PROGRESS';
        sd.updatedAt = at;
        sd.rollback = { reason: 'ECS deployment circuit breaker: tasks failed to start.', startedAt: at, serviceRevisionArn: back.serviceRevisionArn };
      }
      serviceEvent(service, at, `deployment ${primary.id} deployment failed: tasks failed to start. Rolling back to deployment ${back.id}.`, nextCount(cc.world));
      return controlRolling(cc, service, at);
    }
    if (sd !== undefined) finishServiceDeployment(cc, sd, 'STOPPED', at, 'ECS deployment circuit breaker: tasks failed to start.');
  }

  // Scale in the primary first (the newest tasks that are not yet running go first).
  const primaryLive = live(primary).sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt);
  for (const task of primaryLive.slice(0, Math.max(0, primaryLive.length - desired))) stopTask(cc, task, at, 'Scaling activity initiated by (deployment ' + primary.id + ')');

  // Stop old tasks while the healthy count stays at or above minimumHealthyPercent.
  const minHealthy = Math.ceil((desired * percent(service, 'minimumHealthyPercent', 100)) / 100);
  let healthy = service.deployments.flatMap(live).filter((t) => isHealthy(cc, t)).length;
  let stopped = 0;
  for (const old of olds) {
    for (const task of live(old).sort((a, b) => rank(a) - rank(b))) {
      const taskHealthy = isHealthy(cc, task);
      if (taskHealthy && healthy - 1 < minHealthy) continue;
      stopTask(cc, task, at, `Scaling activity initiated by (deployment ${primary.id})`);
      stopped++;
      if (taskHealthy) healthy--;
    }
    old.desiredCount = live(old).length;
  }
  if (stopped > 0) serviceEvent(service, at, `has stopped ${stopped} running tasks.`, nextCount(cc.world));

  // Start primary tasks up to desired, within maximumPercent while old deployments still run.
  if (primary.rolloutState !== 'FAILED') {
    const liveAll = service.deployments.flatMap(live).length;
    const maxTotal = Math.floor((desired * percent(service, 'maximumPercent', 200)) / 100);
    const room = olds.length > 0 ? maxTotal - liveAll : desired;
    const toStart = Math.min(desired - live(primary).length, room);
    const started: EcsTask[] = [];
    for (let i = 0; i < toStart; i++) started.push(startTask(cc, service, primary, at));
    if (started.length > 0) serviceEvent(service, at, `has started ${started.length} tasks: ${started.map((t) => `(task ${t.id})`).join(' ')}.`, nextCount(cc.world));
  }

  // Old deployments leave the list once all their tasks have stopped.
  service.deployments = service.deployments.filter((d, i) => i === 0 || tasksOf(cc.world, service, d.id).some((t) => t.lastStatus !== 'STOPPED'));
  for (const old of olds) if (!service.deployments.includes(old)) old.status = 'INACTIVE';

  if (
    primary.rolloutState === 'IN_PROGRESS' &&
    service.deployments.length === 1 &&
    live(primary).length === desired &&
    live(primary).filter((t) => isHealthy(cc, t)).length === desired
  ) {
    completeDeployment(cc, service, primary, at);
  }
}

/** Stop order: tasks not running yet first, then unhealthy, then the rest. */
function rank(task: EcsTask): number {
  if (task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING') return 0;
  if (task.healthStatus === 'UNHEALTHY') return 1;
  return 2;
}

// ---------------------------------------------------------------------------------------------
// ECS native BLUE_GREEN / CANARY / LINEAR

const HOOK_DEFAULT_CALLBACK_S = 30;

function hooksFor(service: EcsServiceRecord): LifecycleHookConfig[] {
  return ((service.deploymentConfiguration.lifecycleHooks as LifecycleHookConfig[] | undefined) ?? []).filter((h) => Array.isArray(h.lifecycleStages));
}

function hookPayload(cc: EcsControlContext, sd: ServiceDeploymentRecord, run: HookRun): string {
  const green = cc.world.deployments.get(sd.targetDeploymentId)!;
  const blue = sd.sourceDeploymentId !== undefined ? cc.world.deployments.get(sd.sourceDeploymentId) : undefined;
  const weights = (greenWeight: number) => ({
    ...(blue !== undefined ? { [blue.serviceRevisionArn]: 100 - greenWeight } : {}),
    [green.serviceRevisionArn]: greenWeight,
  });
  return JSON.stringify({
    executionDetails: {
      testTrafficWeights: weights(sd.testWeight),
      productionTrafficWeights: weights(sd.productionWeight),
      serviceArn: sd.service.arn,
      targetServiceRevisionArn: green.serviceRevisionArn,
    },
    executionId: run.hookId,
    lifecycleStage: run.stage,
    resourceArn: sd.arn,
    ...(run.hookDetails !== undefined ? { hookDetails: run.hookDetails } : {}),
  });
}

function setHook(cc: EcsControlContext, sd: ServiceDeploymentRecord, run: HookRun, status: HookRun['status'], at: number): void {
  run.status = status;
  if (status !== 'IN_PROGRESS') run.nextInvokeAt = undefined;
  sd.updatedAt = at;
  emit(cc, 'ecs.hook', at, { service: sd.service.name, serviceDeploymentArn: sd.arn, hookId: run.hookId, stage: run.stage, targetType: run.config.targetType, status });
}

/** Invokes a Lambda hook and applies its answer: SUCCEEDED, FAILED, or IN_PROGRESS (ask again after callBackDelay). */
function invokeLambdaHook(cc: EcsControlContext, sd: ServiceDeploymentRecord, run: HookRun, at: number): void {
  run.invocations += 1;
  const arn = run.config.hookTargetArn ?? '';
  if (cc.hooks === undefined) return setHook(cc, sd, run, 'FAILED', at);
  let answer: { payload: string; functionError?: string };
  try {
    answer = cc.hooks.invokeHook(arn, hookPayload(cc, sd, run), cc.ctx);
  } catch {
    return setHook(cc, sd, run, 'FAILED', at);
  }
  if (answer.functionError !== undefined) return setHook(cc, sd, run, 'FAILED', at);
  let parsed: Json = {};
  try {
    const value: unknown = JSON.parse(answer.payload);
    if (value !== null && typeof value === 'object') parsed = value as Json;
  } catch {
    parsed = {};
  }
  if (parsed.hookDetails !== undefined) run.hookDetails = parsed.hookDetails;
  if (parsed.hookStatus === 'SUCCEEDED') return setHook(cc, sd, run, 'SUCCEEDED', at);
  if (parsed.hookStatus === 'IN_PROGRESS') {
    const delay = typeof parsed.callBackDelay === 'number' ? parsed.callBackDelay : HOOK_DEFAULT_CALLBACK_S;
    run.nextInvokeAt = at + delay * 1000;
    if (run.invocations === 1) setHook(cc, sd, run, 'IN_PROGRESS', at);
    return;
  }
  // FAILED, no status, or anything else rolls back.
  setHook(cc, sd, run, 'FAILED', at);
}

/**
 * Runs the hooks of `stage`; calls `then` (which says whether it changed anything) once all
 * succeeded or timed out with CONTINUE, and rolls back when one failed or timed out with
 * ROLLBACK. Returns whether anything changed.
 */
function hooksThen(cc: EcsControlContext, service: EcsServiceRecord, sd: ServiceDeploymentRecord, stage: string, at: number, then: () => boolean): boolean {
  let changed = false;
  if (!sd.hookStagesStarted.includes(stage)) {
    sd.hookStagesStarted.push(stage);
    for (const config of hooksFor(service)) {
      if (!config.lifecycleStages.includes(stage)) continue;
      const timeout = (config.timeoutConfiguration?.timeoutInMinutes ?? 1440) * 60_000;
      const run: HookRun = {
        hookId: uuidId('ecs-hook', nextCount(cc.world)),
        stage,
        config,
        status: config.targetType === 'PAUSE' ? 'AWAITING_ACTION' : 'IN_PROGRESS',
        startedAt: at,
        expiresAt: at + timeout,
        nextInvokeAt: config.targetType === 'AWS_LAMBDA' ? at : undefined,
        hookDetails: config.hookDetails,
        invocations: 0,
      };
      sd.hooks.push(run);
      emit(cc, 'ecs.hook', at, { service: service.name, serviceDeploymentArn: sd.arn, hookId: run.hookId, stage, targetType: config.targetType, status: run.status });
      changed = true;
    }
  }
  const runs = sd.hooks.filter((h) => h.stage === stage);
  for (const run of runs) {
    if ((run.status === 'IN_PROGRESS' || run.status === 'AWAITING_ACTION') && at >= run.expiresAt) {
      setHook(cc, sd, run, 'TIMED_OUT', at);
      changed = true;
    } else if (run.status === 'IN_PROGRESS' && run.nextInvokeAt !== undefined && run.nextInvokeAt <= at) {
      run.nextInvokeAt = undefined;
      invokeLambdaHook(cc, sd, run, at);
      changed = true;
    }
  }
  const failed = runs.find((r) => r.status === 'FAILED' || (r.status === 'TIMED_OUT' && (r.config.timeoutConfiguration?.action ?? 'ROLLBACK') === 'ROLLBACK'));
  if (failed !== undefined) {
    startRollback(cc, service, sd, at, `Lifecycle hook ${failed.hookId} at ${stage} ${failed.status === 'FAILED' ? 'failed' : 'timed out'}.`);
    return true;
  }
  if (runs.every((r) => r.status === 'SUCCEEDED' || r.status === 'TIMED_OUT')) return then() || changed;
  return changed;
}

/**
 * Rewrites the forward action of a listener rule (ALB) or listener (NLB) through the ELBv2
 * service's own API, as ECS does with the service's infrastructure role. Weights are whole
 * percents (ELBv2 takes integers 0-999).
 */
function setForwardWeights(cc: EcsControlContext, ruleOrListenerArn: string, weights: ReadonlyArray<readonly [string, number]>): void {
  const elb = cc.loadBalancer;
  if (elb === undefined) return;
  const listener = ruleOrListenerArn.includes(':listener/');
  const prefix = listener ? 'DefaultActions.member.1' : 'Actions.member.1';
  const form = new URLSearchParams({ Action: listener ? 'ModifyListener' : 'ModifyRule', Version: '2015-12-01', [listener ? 'ListenerArn' : 'RuleArn']: ruleOrListenerArn, [`${prefix}.Type`]: 'forward' });
  weights.forEach(([targetGroupArn, weight], i) => {
    form.set(`${prefix}.ForwardConfig.TargetGroups.member.${i + 1}.TargetGroupArn`, targetGroupArn);
    form.set(`${prefix}.ForwardConfig.TargetGroups.member.${i + 1}.Weight`, String(Math.round(weight)));
  });
  const request = { method: 'POST', path: '/', query: {}, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: Buffer.from(form.toString()), region: ruleOrListenerArn.split(':')[3] ?? 'us-east-1' };
  void elb.handle(request, cc.ctx);
}

/** Points the listener rules at the target revision by the service deployment's weights. */
function applyWeights(cc: EcsControlContext, service: EcsServiceRecord, sd: ServiceDeploymentRecord, at: number): void {
  const green = cc.world.deployments.get(sd.targetDeploymentId)!;
  const blueSide = green.side === 'primary' ? 'alternate' : 'primary';
  for (const lb of service.loadBalancers) {
    const blueTg = targetGroupFor(lb, blueSide);
    const greenTg = targetGroupFor(lb, green.side);
    if (blueTg === undefined || greenTg === undefined) continue;
    const rules: Array<[string | undefined, number]> = [
      [lb.advancedConfiguration?.productionListenerRule, sd.productionWeight],
      [lb.advancedConfiguration?.testListenerRule, sd.testWeight],
    ];
    for (const [rule, weight] of rules) {
      if (rule !== undefined) setForwardWeights(cc, rule, [[blueTg, 100 - weight], [greenTg, weight]]);
    }
  }
  sd.updatedAt = at;
  emit(cc, 'ecs.traffic', at, { service: service.name, serviceDeploymentArn: sd.arn, productionWeight: sd.productionWeight, testWeight: sd.testWeight, targetRevision: green.serviceRevisionArn });
}

/** Starts rolling back a native service deployment: traffic returns to the source revision, green stops. */
export function startRollback(cc: EcsControlContext, service: EcsServiceRecord, sd: ServiceDeploymentRecord, at: number, reason: string): void {
  const green = cc.world.deployments.get(sd.targetDeploymentId)!;
  const blue = sd.sourceDeploymentId !== undefined ? cc.world.deployments.get(sd.sourceDeploymentId) : undefined;
  sd.status = 'ROLLBACK_IN_PROGRESS';
  sd.statusReason = reason;
  sd.rollback = { reason, startedAt: at, serviceRevisionArn: blue?.serviceRevisionArn ?? green.serviceRevisionArn };
  sd.waitUntil = undefined;
  for (const hook of sd.hooks) hook.nextInvokeAt = undefined;
  sd.productionWeight = 0;
  sd.testWeight = 0;
  applyWeights(cc, service, sd, at);
  green.status = 'ACTIVE';
  green.rolloutState = 'FAILED';
  green.rolloutStateReason = reason;
  green.updatedAt = at;
  if (blue !== undefined) {
    blue.status = 'PRIMARY';
    blue.desiredCount = service.desiredCount;
    service.deployments = [blue, ...service.deployments.filter((d) => d !== blue)];
    service.taskDefinitionArn = blue.taskDefinitionArn;
  }
  for (const task of tasksOf(cc.world, service, green.id)) stopTask(cc, task, at, `Service deployment rolled back: ${reason}`);
  serviceEvent(service, at, `rolling back service deployment ${sd.arn}: ${reason}`, nextCount(cc.world));
  emit(cc, 'ecs.service-deployment', at, { service: service.name, serviceDeploymentArn: sd.arn, status: sd.status, lifecycleStage: sd.lifecycleStage, reason });
}

function enter(cc: EcsControlContext, sd: ServiceDeploymentRecord, stage: string, at: number): void {
  sd.lifecycleStage = stage;
  sd.updatedAt = at;
  emit(cc, 'ecs.service-deployment', at, { service: sd.service.name, serviceDeploymentArn: sd.arn, status: sd.status, lifecycleStage: stage });
}

function firstProductionStep(sd: ServiceDeploymentRecord): number {
  const config = sd.deploymentConfiguration;
  if (sd.strategy === 'CANARY') return Number((config.canaryConfiguration as Json | undefined)?.canaryPercent ?? 5);
  if (sd.strategy === 'LINEAR') return Number((config.linearConfiguration as Json | undefined)?.stepPercent ?? 10);
  return 100;
}

function productionBakeMs(sd: ServiceDeploymentRecord): number {
  const config = sd.deploymentConfiguration;
  if (sd.strategy === 'CANARY') return Number((config.canaryConfiguration as Json | undefined)?.canaryBakeTimeInMinutes ?? 10) * 60_000;
  if (sd.strategy === 'LINEAR') return Number((config.linearConfiguration as Json | undefined)?.stepBakeTimeInMinutes ?? 6) * 60_000;
  return 0;
}

/** One step of the native lifecycle-stage machine; returns whether anything changed. */
function stepNative(cc: EcsControlContext, service: EcsServiceRecord, sd: ServiceDeploymentRecord, at: number): boolean {
  const green = cc.world.deployments.get(sd.targetDeploymentId)!;
  const blue = sd.sourceDeploymentId !== undefined ? cc.world.deployments.get(sd.sourceDeploymentId) : undefined;
  const live = (d: EcsDeployment) => tasksOf(cc.world, service, d.id).filter(isLive);

  if (sd.status === 'ROLLBACK_IN_PROGRESS') {
    // Keep the source revision at the desired count while green drains.
    if (blue !== undefined) {
      const missing = service.desiredCount - live(blue).length;
      for (let i = 0; i < missing; i++) startTask(cc, service, blue, at);
    }
    if (tasksOf(cc.world, service, green.id).every((t) => t.lastStatus === 'STOPPED')) {
      service.deployments = service.deployments.filter((d) => d !== green);
      green.status = 'INACTIVE';
      finishServiceDeployment(cc, sd, 'ROLLBACK_SUCCESSFUL', at);
      return true;
    }
    return false;
  }
  if (sd.status === 'STOP_REQUESTED') {
    finishServiceDeployment(cc, sd, 'STOPPED', at);
    return true;
  }
  if (sd.status !== 'IN_PROGRESS') return false;

  green.desiredCount = service.desiredCount;
  const moveTo = (stage: string) => () => {
    enter(cc, sd, stage, at);
    return true;
  };
  switch (sd.lifecycleStage) {
    case 'RECONCILE_SERVICE':
      return moveTo('PRE_SCALE_UP')();
    case 'PRE_SCALE_UP':
      return hooksThen(cc, service, sd, 'PRE_SCALE_UP', at, moveTo('SCALE_UP'));
    case 'SCALE_UP': {
      const cb = breaker(service);
      if (cb.enable && green.failedTasks >= breakerThreshold(service.desiredCount)) {
        startRollback(cc, service, sd, at, 'ECS deployment circuit breaker: tasks failed to start.');
        return true;
      }
      const running = live(green);
      let changed = false;
      for (let i = running.length; i < service.desiredCount; i++) {
        startTask(cc, service, green, at);
        changed = true;
      }
      if (running.length >= service.desiredCount && running.filter((t) => isHealthy(cc, t)).length >= service.desiredCount) return moveTo('POST_SCALE_UP')();
      return changed;
    }
    case 'POST_SCALE_UP':
      return hooksThen(cc, service, sd, 'POST_SCALE_UP', at, () => {
        enter(cc, sd, 'TEST_TRAFFIC_SHIFT', at);
        sd.testWeight = 100;
        applyWeights(cc, service, sd, at);
        return true;
      });
    case 'TEST_TRAFFIC_SHIFT':
      return hooksThen(cc, service, sd, 'TEST_TRAFFIC_SHIFT', at, moveTo('POST_TEST_TRAFFIC_SHIFT'));
    case 'POST_TEST_TRAFFIC_SHIFT':
      return hooksThen(cc, service, sd, 'POST_TEST_TRAFFIC_SHIFT', at, moveTo('PRODUCTION_TRAFFIC_SHIFT'));
    case 'PRODUCTION_TRAFFIC_SHIFT': {
      // PRE_PRODUCTION_TRAFFIC_SHIFT hooks gate the first production shift.
      if (sd.productionWeight === 0) {
        return hooksThen(cc, service, sd, 'PRE_PRODUCTION_TRAFFIC_SHIFT', at, () => {
          sd.productionWeight = Math.min(100, firstProductionStep(sd));
          applyWeights(cc, service, sd, at);
          return true;
        });
      }
      // PRODUCTION_TRAFFIC_SHIFT hooks run once the first step is live (for CANARY: on the canary
      // step), so a hook can judge the new revision while it takes part of production traffic.
      return hooksThen(cc, service, sd, 'PRODUCTION_TRAFFIC_SHIFT', at, () => {
        if (sd.productionWeight >= 100) {
          sd.waitUntil = undefined;
          return moveTo('POST_PRODUCTION_TRAFFIC_SHIFT')();
        }
        if (sd.waitUntil === undefined) {
          sd.waitUntil = at + productionBakeMs(sd);
          return true;
        }
        if (at < sd.waitUntil) return false;
        sd.waitUntil = undefined;
        sd.productionWeight = sd.strategy === 'LINEAR' ? Math.min(100, sd.productionWeight + firstProductionStep(sd)) : 100;
        applyWeights(cc, service, sd, at);
        return true;
      });
    }
    case 'POST_PRODUCTION_TRAFFIC_SHIFT':
      return hooksThen(cc, service, sd, 'POST_PRODUCTION_TRAFFIC_SHIFT', at, () => {
        enter(cc, sd, 'BAKE_TIME', at);
        sd.waitUntil = at + Number(sd.deploymentConfiguration.bakeTimeInMinutes ?? 0) * 60_000;
        return true;
      });
    case 'BAKE_TIME':
      if (sd.waitUntil !== undefined && at < sd.waitUntil) return false;
      sd.waitUntil = undefined;
      enter(cc, sd, 'CLEAN_UP', at);
      if (blue !== undefined) for (const task of live(blue)) stopTask(cc, task, at, `Service deployment ${sd.arn} cleaned up the source revision`);
      return true;
    case 'CLEAN_UP': {
      if (blue !== undefined && tasksOf(cc.world, service, blue.id).some((t) => t.lastStatus !== 'STOPPED')) return false;
      if (blue !== undefined) {
        blue.status = 'INACTIVE';
        service.deployments = service.deployments.filter((d) => d !== blue);
      }
      service.productionSide = green.side;
      completeDeployment(cc, service, green, at);
      finishServiceDeployment(cc, sd, 'SUCCESSFUL', at);
      return true;
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Services and the clock

function controlService(cc: EcsControlContext, service: EcsServiceRecord, at: number): void {
  if (service.status === 'INACTIVE') return;
  replaceUnhealthyTargets(cc, service, at);
  if (service.status === 'DRAINING') {
    for (const task of tasksOf(cc.world, service)) stopTask(cc, task, at, 'Service is being deleted');
    if (tasksOf(cc.world, service).every((t) => t.lastStatus === 'STOPPED') && at >= service.statusChangedAt + cc.world.timings.drainingMs) {
      service.status = 'INACTIVE';
      service.statusChangedAt = at;
      for (const d of service.deployments) d.status = 'INACTIVE';
      emit(cc, 'ecs.service', at, { service: service.name, status: 'INACTIVE' });
    }
    return;
  }
  const sd = activeServiceDeployment(cc, service);
  if (sd !== undefined && NATIVE_STRATEGIES.has(sd.strategy) && sd.sourceDeploymentId !== undefined) {
    for (let i = 0; i < 50 && stepNative(cc, service, sd, at); i++);
    return;
  }
  controlRolling(cc, service, at);
}

/** The earliest pending timer at or before `end`, if any (`end` = Infinity: the next change at all). */
export function nextDue(world: EcsWorld, end: number): number | undefined {
  let due: number | undefined;
  const consider = (t: number | undefined) => {
    if (t !== undefined && t <= end && (due === undefined || t < due)) due = t;
  };
  for (const task of world.tasks.values()) consider(task.nextAt);
  for (const service of world.services) {
    if (service.status !== 'DRAINING') continue;
    if (tasksOf(world, service).every((t) => t.lastStatus === 'STOPPED')) consider(service.statusChangedAt + world.timings.drainingMs);
  }
  for (const sd of world.serviceDeployments.values()) {
    if (sd.status !== 'IN_PROGRESS' || sd.service.status !== 'ACTIVE') continue;
    consider(sd.waitUntil);
    for (const hook of sd.hooks) {
      consider(hook.nextInvokeAt);
      if (hook.status === 'IN_PROGRESS' || hook.status === 'AWAITING_ACTION') consider(hook.expiresAt);
    }
  }
  return due;
}

/** Brings the world up to `ctx.now()`, applying every due change at its own instant. */
export function reconcileEcs(cc: EcsControlContext, from: number): void {
  const end = cc.ctx.now();
  let at = from;
  for (let guard = 0; guard < 100_000; guard++) {
    const due = nextDue(cc.world, end);
    at = Math.max(at, due ?? end);
    for (const task of cc.world.tasks.values()) if (task.nextAt !== undefined && task.nextAt <= at) advanceTask(cc, task, at);
    for (const service of cc.world.services) controlService(cc, service, at);
    // Done once nothing is due by `end`, including what the controllers just scheduled.
    if (due === undefined && nextDue(cc.world, end) === undefined) break;
  }
  // Forget what AWS forgets: stopped tasks and inactive services after their retention.
  for (const [arn, task] of cc.world.tasks) {
    if (task.lastStatus === 'STOPPED' && (task.stoppedAt ?? end) + cc.world.timings.stoppedTaskRetentionMs <= end) cc.world.tasks.delete(arn);
  }
  for (let i = cc.world.services.length - 1; i >= 0; i--) {
    const service = cc.world.services[i]!;
    if (service.status === 'INACTIVE' && service.statusChangedAt + cc.world.timings.inactiveRetentionMs <= end) cc.world.services.splice(i, 1);
  }
}
