/**
 * The `deploy` stage (Orca's ParallelDeployStage, its createServerGroup stages and the strategies'
 * synthetic stages), run through the DeployTarget port, one cluster after the other.
 *
 * The `createServerGroup` step plans a cluster: in every location it describes the cluster,
 * names the new server group (Frigga's next sequence, core/deploy/names.ts), asks the strategy
 * planner (core/strategies) for its steps in Spinnaker's order and binds each to the compiled task
 * that runs it (deploy-plan.ts); the bound list and a cursor are the stage's runtime, and each
 * task works through its own steps: a step is started once (traffic guards checked just before
 * any disable, destroy or downsize, against the cluster as it is then; cluster-wide steps are
 * expanded then too) and polled until describeCluster shows its target state. No call waits for
 * a cloud; run steps (create, pin, unpin) are done once the port accepted them.
 *
 * Failures: a step that waits for instances gives up after `waitForHealthyTimeoutSec` (default
 * 600 s). A failed step ends the stage TERMINAL (its failure policy) with the step's message, but
 * first, within the same step, the rollback of CreateServerGroupStage.onFailureStages runs when
 * `rollback.onFailure` is set (planRollbackOnFailure: red/black disables the new server group when
 * it never came up, rolling red/black re-enables the source and disables the new one, and
 * `rollback.destroyLatest` destroys it); rolling red/black unpins its source either way. The old
 * server group is never disabled before the new one is healthy, so it keeps serving.
 *
 * Not here: the stage timeout (`stageTimeoutMs`) is the runner's and ends the stage without a
 * rollback; use `waitForHealthyTimeoutSec` for a deploy that should roll back. A retried create
 * step whose first attempt created the server group but lost its write plans the next sequence.
 */
import type { Capacity, ClusterState } from '../deploy/model.ts';
import { findServerGroup } from '../deploy/model.ts';
import { checkStep } from '../deploy/traffic-guards.ts';
import type { TrafficGuardRule } from '../deploy/traffic-guards.ts';
import { isComplete } from '../execution/status.ts';
import type { DeployClusterConfig, DeployStage } from '../pipeline/stage-types/deploy.ts';
import { DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC, deployPollSeconds, parseDeployCluster, planCluster } from '../pipeline/stage-types/deploy.ts';
import type { ClusterDescription, DeployTarget, InstanceDescription } from '../ports/deploy-target.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { expandStep } from '../strategies/cluster-cleanup.ts';
import { planDeploy, sourceServerGroup, type StrategyName } from '../strategies/deploy-strategies.ts';
import { planRollbackOnFailure } from '../strategies/rollback.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { DEFAULT_TARGET_HEALTHY_PERCENTAGE } from '../strategies/steps.ts';
import {
  clusterRef,
  describeStep,
  startStep,
  stepReached,
  targetFor,
  trafficGuardsOf,
  vanished,
  type DeployTaskDeps,
  type StageScope,
} from './deploy-steps.ts';
import {
  bindSteps,
  bindingsToJson,
  describeRollbackStep,
  orderByTasks,
  readClusterSettings,
  resolveArtifact,
  strategyRequestOf,
  unplannedBinding,
  type ClusterSettings,
  type TaskStepBinding,
} from './deploy-plan.ts';
import { backoffSeconds, deadlineWaitSeconds } from './polling.ts';
import { runCanaryDeployTask } from './canary-deploy.ts';
import type { CanaryStageDeps } from './kayenta-canary.ts';
import { failed, running, succeeded, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';

/** One cluster's deploy as the runtime keeps it between calls (plain JSON). */
interface Progress {
  steps: TaskStepBinding[];
  next: number;
  started: boolean;
  stepStartedAt: number;
  /** The child execution of a runPipeline step in progress. */
  childExecutionId?: string;
  /** The new server group in each location. */
  created: Record<string, string>;
  /** Rolling red/black's source in each location and its capacity before it was pinned. */
  sources: Record<string, { name: string; capacity: Capacity }>;
  /** Set once a step failed: the rollback steps now at the cursor run, then the stage fails with it. */
  failure?: string;
}

type Step = { ok: true } | { ok: false; message: string };

const FIRST_TASKS = new Set(['createServerGroup', 'startStrategyPipeline']);
/** Steps that wait for instances to be Up, bounded by waitForHealthyTimeoutSec. */
const WAITS_FOR_HEALTH = new Set<DeployStep['kind']>(['waitForHealthy', 'resizeServerGroup', 'enableServerGroup', 'pinServerGroup']);

const progressKey = (index: number) => `deploy:cluster${index}`;

/** `cluster1.resizeTo50Percent` → cluster 1, task `resizeTo50Percent`. */
function splitTask(task: string): { index: number; task: string } {
  const match = /^cluster(\d+)\.(.+)$/.exec(task);
  return match ? { index: Number(match[1]), task: match[2] as string } : { index: 0, task };
}

/** Runs one step of a deploy stage (see the module comment). */
export async function runDeployTask(input: TaskInput<DeployStage>, deps: DeployTaskDeps, taskDeps: TaskDeps, pollsLeft: number, canaryDeps?: CanaryStageDeps): Promise<TaskResult> {
  const name = input.stage.name;
  const { index, task } = splitTask(input.task);
  const at = `clusters[${index}]`;
  const fail = (message: string) => failed(`stage '${name}': ${message}`);
  const staticCluster = input.stage.config.clusters[index];
  const rawClusters = input.record.context.clusters;
  const raw = Array.isArray(rawClusters) ? rawClusters[index] : undefined;
  if (!staticCluster || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(`${at} is missing from the stage's context; restart the stage`);
  const parsed = parseDeployCluster(raw);
  if (!parsed.ok) return fail(`${at}.${parsed.message}`);
  const config = parsed.cluster;
  const settings = readClusterSettings(config, raw as Record<string, unknown>, at, input.execution.application);
  if (!settings.ok) return fail(settings.message);
  const scope: StageScope = {
    account: settings.value.account,
    cluster: settings.value.cluster,
    locations: settings.value.locations,
    ...(settings.value.cloudProvider !== undefined ? { cloudProvider: settings.value.cloudProvider } : {}),
  };
  const found = targetFor(scope, deps, name);
  if (!found.ok) return failed(found.message);
  const target = found.target;
  if (config.strategy === 'canary') {
    return runCanaryDeployTask({ input, deps, canary: canaryDeps, target, scope, settings: settings.value, config, raw: raw as Record<string, unknown>, task, index });
  }
  const taskOrder = planCluster(staticCluster);
  const planStep = taskOrder.find((step) => step.name === task);
  if (!planStep) return fail(`the deploy of ${at} has no step '${task}'`);

  let progress = input.record.runtime[progressKey(index)] as unknown as Progress | undefined;
  let outputs: JsonObject | undefined;
  if (!progress) {
    if (!FIRST_TASKS.has(task)) return fail(`step '${task}' ran before the deploy of ${at} was planned; restart the stage`);
    const planned = await plan(input, config, settings.value, raw as Record<string, unknown>, target, scope, taskOrder.map((step) => step.name), at);
    if (!planned.ok) return fail(planned.message);
    progress = planned.progress;
    outputs = deployOutputs(input, settings.value, progress);
  } else {
    progress = { ...progress, steps: [...progress.steps] };
  }
  const guards = await trafficGuardsOf(input, deps);
  const context: JsonObject = {
    'deploy.account.name': settings.value.account,
    'deploy.server.groups': mergedServerGroups(input.record.context['deploy.server.groups'], progress.created),
  };
  const run: RunContext = { input, deps, taskDeps, target, scope, settings: settings.value, config, raw: raw as Record<string, unknown>, guards, pollsLeft, isRun: planStep.kind === 'run', task, index };
  return work(run, progress, context, outputs);
}

interface RunContext {
  readonly input: TaskInput<DeployStage>;
  readonly deps: DeployTaskDeps;
  readonly taskDeps: TaskDeps;
  readonly target: DeployTarget;
  readonly scope: StageScope;
  readonly settings: ClusterSettings;
  readonly config: DeployClusterConfig;
  /** The cluster entry as evaluated at stage start (provider fields included). */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly guards: readonly TrafficGuardRule[];
  readonly pollsLeft: number;
  readonly isRun: boolean;
  readonly task: string;
  readonly index: number;
}

/** Plans one cluster in every location: names, steps bound to tasks, what rollback will need. */
async function plan(
  input: TaskInput<DeployStage>,
  config: DeployClusterConfig,
  settings: ClusterSettings,
  raw: Record<string, unknown>,
  target: DeployTarget,
  scope: StageScope,
  taskOrder: readonly string[],
  at: string,
): Promise<{ ok: true; progress: Progress } | { ok: false; message: string }> {
  const request = strategyRequestOf(config, settings, { executionId: input.execution.id, stageId: input.record.id });
  if ('unsupported' in request) {
    return { ok: false, message: `${at}: deploy strategy '${request.unsupported}' cannot run yet; use redblack, rollingredblack, highlander or none (a kayentaCanary stage runs a canary analysis)` };
  }
  let bindings: TaskStepBinding[] = [];
  const created: Record<string, string> = {};
  const sources: Record<string, { name: string; capacity: Capacity }> = {};
  for (const location of scope.locations) {
    if (request.strategy !== 'custom') {
      const artifact = resolveArtifact(raw, location, at, input.record, input.execution.stages);
      if (!artifact.ok) return artifact;
    }
    const { state } = await describe(target, scope, location);
    const planned = planDeploy(state, request);
    if (!planned.ok) return { ok: false, message: planned.message };
    const createStep = planned.steps.find((step) => step.kind === 'createServerGroup');
    if (createStep && 'serverGroup' in createStep) created[location] = createStep.serverGroup;
    const source = sourceServerGroup(state);
    if (request.strategy === 'rollingredblack' && source) sources[location] = { name: source.name, capacity: source.capacity };
    bindings.push(...bindSteps(request.strategy, planned.steps, config.targetPercentages, location));
  }
  bindings = orderByTasks(bindings, taskOrder);
  const stray = unplannedBinding(bindings, taskOrder);
  if (stray) {
    return { ok: false, message: `${at}: the ${request.strategy} plan has a '${stray.step.kind}' step for task '${stray.task}', which the compiled stage lacks; save the pipeline again to recompile it` };
  }
  return { ok: true, progress: { steps: bindings, next: 0, started: false, stepStartedAt: input.now, created, sources } };
}

/** The cluster in one location, as planners read it and as the port describes it. */
async function describe(target: DeployTarget, scope: StageScope, location: string): Promise<{ state: ClusterState; description: ClusterDescription }> {
  const description = await target.describeCluster(clusterRef(scope, location));
  return { state: { account: description.account, location: description.location, cluster: description.cluster, serverGroups: description.serverGroups }, description };
}

/** Orca's `deploy.server.groups` (location → names) with this cluster's new server groups added. */
function mergedServerGroups(existing: unknown, created: Readonly<Record<string, string>>): JsonObject {
  const merged: Record<string, string[]> = {};
  if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) {
    for (const [location, names] of Object.entries(existing)) if (Array.isArray(names)) merged[location] = names.filter((n): n is string => typeof n === 'string');
  }
  for (const [location, serverGroup] of Object.entries(created)) {
    const names = (merged[location] ??= []);
    if (!names.includes(serverGroup)) names.push(serverGroup);
  }
  return merged;
}

/** Outputs once a cluster is planned: Orca's keys, plus one entry per cluster and location. */
function deployOutputs(input: TaskInput<DeployStage>, settings: ClusterSettings, progress: Progress): JsonObject {
  const previous = Array.isArray(input.record.outputs.deployments) ? (input.record.outputs.deployments as JsonObject[]) : [];
  const deployments = Object.entries(progress.created).map(([location, serverGroup]) => {
    const source = progress.sources[location]?.name;
    return {
      account: settings.account,
      location,
      cluster: settings.cluster,
      serverGroup,
      ...(source !== undefined ? { sourceServerGroup: source } : {}),
    };
  });
  return {
    'deploy.account.name': settings.account,
    'deploy.server.groups': mergedServerGroups(input.record.outputs['deploy.server.groups'], progress.created),
    deployments: [...previous, ...deployments],
  };
}

/** Works through the steps bound to this task, from the cursor (see the module comment). */
async function work(run: RunContext, progress: Progress, context: JsonObject, outputs: JsonObject | undefined): Promise<TaskResult> {
  const { input, task } = run;
  const key = progressKey(run.index);
  const save = (): JsonObject => ({ [key]: { ...progress, steps: bindingsToJson(progress.steps) } as unknown as JsonObject });
  const belongs = (binding: TaskStepBinding) => binding.task === task || binding.awaitTask === task;

  const onFailure = async (message: string): Promise<TaskResult> => {
    if (progress.failure !== undefined) {
      return failed(`stage '${input.stage.name}': ${progress.failure}; the rollback failed too: ${message}`, { runtime: save(), context });
    }
    const rollback = await rollbackSteps(run, progress);
    const note = rollbackNote(run, progress, rollback);
    if (rollback.length === 0) return failed(`stage '${input.stage.name}': ${message}${note}`, { runtime: save(), context });
    progress.failure = `${message}${note}`;
    progress.steps = [...progress.steps.slice(0, progress.next), ...rollback];
    progress.started = false;
    delete progress.childExecutionId;
    return loop();
  };

  const loop = async (): Promise<TaskResult> => {
    while (progress.next < progress.steps.length) {
      const binding = progress.steps[progress.next] as TaskStepBinding;
      if (!belongs(binding)) break;
      let { state, description } = await describe(run.target, run.scope, binding.location);
      if (!progress.started) {
        if (binding.step.kind === 'shrinkCluster' || binding.step.kind === 'disableCluster' || binding.step.kind === 'scaleDownCluster') {
          // Resolved against the cluster as it is now, checked as a whole first (Orca's "Running ... on" message).
          const guard = checkStep(binding.step, state, run.guards);
          if (!guard.ok) return onFailure(guard.message);
          const expanded = expandStep(binding.step, state).map((step): TaskStepBinding => ({ ...binding, step }));
          progress.steps.splice(progress.next, 1, ...expanded);
          continue;
        }
        const started = await startDeployStep(run, progress, binding, state);
        if (!started.ok) return onFailure(started.message);
        progress.started = true;
        progress.stepStartedAt = input.now;
        if (run.isRun) {
          // A run step is done once the port accepted it; a step another task waits for stays started.
          if (binding.awaitTask !== undefined && binding.awaitTask !== task) break;
          progress.next += 1;
          progress.started = false;
          continue;
        }
        ({ state, description } = await describe(run.target, run.scope, binding.location));
      }
      const gone = vanished({ location: binding.location, step: binding.step }, state);
      if (gone !== undefined) return onFailure(gone);
      const reached = await deployStepReached(run, progress, binding, state, description);
      if (!reached.ok) return onFailure(reached.message);
      if (!reached.reached) {
        const timedOut = healthTimeout(run, progress, binding, description);
        if (timedOut !== undefined) return onFailure(timedOut);
        return running(pollSeconds(run, progress, binding), { runtime: save(), context: { ...context, waitingFor: [describeStep({ location: binding.location, step: binding.step })] } });
      }
      progress.next += 1;
      progress.started = false;
      delete progress.childExecutionId;
    }
    if (progress.failure !== undefined) {
      const done = progress.steps.filter((binding) => binding.rollback).map(describeRollbackStep);
      return failed(`stage '${input.stage.name}': ${progress.failure}; rolled back: ${done.join(', ')}`, { runtime: save(), context: { ...context, waitingFor: [] } });
    }
    return succeeded(outputs, { runtime: save(), context: { ...context, waitingFor: [] } });
  };

  return loop();
}

/** Starts one step: the create with the cluster's artifact and settings, partial disables, child pipelines; the rest as the server-group stages do. */
async function startDeployStep(run: RunContext, progress: Progress, binding: TaskStepBinding, state: ClusterState): Promise<Step> {
  const { step, location } = binding;
  const { target, scope, settings, input } = run;
  switch (step.kind) {
    case 'createServerGroup': {
      const artifact = resolveArtifact(run.raw, location, `clusters[${run.index}]`, input.record, input.execution.stages);
      if (!artifact.ok) return artifact;
      const created = await target.createServerGroup({
        ...clusterRef(scope, location),
        name: step.serverGroup,
        capacity: step.capacity,
        artifact: artifact.value,
        ...(step.disabled !== undefined ? { disabled: step.disabled } : {}),
        ...(settings.env ? { env: settings.env } : {}),
        ...(settings.command ? { command: settings.command } : {}),
        ...(settings.healthCheck ? { healthCheck: settings.healthCheck } : {}),
      });
      return created.ok ? { ok: true } : { ok: false, message: `creating ${step.serverGroup} in ${location} failed: ${created.message}` };
    }
    case 'disableServerGroup': {
      const share = step.desiredPercentage;
      if (share === undefined || share >= 100) return startStep(target, scope, binding, state, run.guards);
      // A share is not checked against traffic guards, as in Orca: the rest of it keeps serving.
      if (!target.capabilities.partialDisable) {
        return { ok: false, message: `account '${scope.account}' cannot take ${share}% of ${step.serverGroup} out of traffic: its deploy target disables only whole server groups; use the redblack strategy` };
      }
      const disabled = await target.disableServerGroup({ account: scope.account, location, serverGroup: step.serverGroup }, { desiredPercentage: share });
      return disabled.ok ? { ok: true } : { ok: false, message: `disabling ${share}% of ${step.serverGroup} in ${location} failed: ${disabled.message}` };
    }
    case 'runPipeline': {
      const user = input.execution.trigger.user;
      // One child per step of this stage: the port is idempotent per (parent execution, parent stage id).
      const parentStageId = binding.awaitTask === undefined ? `${input.record.id}:${input.task}` : input.record.id;
      const started = await run.taskDeps.children.start({
        application: step.application,
        pipeline: step.pipelineId,
        parameters: step.parameters,
        parentExecutionId: input.execution.id,
        parentStageId,
        ...(typeof user === 'string' ? { user } : {}),
      });
      if (!started.ok) return { ok: false, message: `${step.label}: could not start pipeline '${step.pipelineId}' of application '${step.application}': ${started.message}` };
      progress.childExecutionId = started.executionId;
      return { ok: true };
    }
    default:
      return startStep(target, scope, binding, state, run.guards);
  }
}

type Reached = { ok: true; reached: boolean } | { ok: false; message: string };

/** Whether the step's target state shows; a child pipeline that ended badly is a failure. */
async function deployStepReached(run: RunContext, progress: Progress, binding: TaskStepBinding, state: ClusterState, description: ClusterDescription): Promise<Reached> {
  const { step } = binding;
  if (step.kind === 'runPipeline') {
    const executionId = progress.childExecutionId;
    if (executionId === undefined) return { ok: false, message: `${step.label}: the child execution was not recorded; restart the stage` };
    const child = await run.taskDeps.store.getExecution(executionId);
    if (!child) return { ok: false, message: `${step.label}: child execution ${executionId} does not exist` };
    if (!isComplete(child.status)) return { ok: true, reached: false };
    if (child.status === 'SUCCEEDED') return { ok: true, reached: true };
    return { ok: false, message: `${step.label} '${child.name}' (execution ${executionId}) ended ${child.status}` };
  }
  if (step.kind === 'disableServerGroup' && step.desiredPercentage !== undefined && step.desiredPercentage < 100) {
    const group = description.serverGroups.find((candidate) => candidate.name === step.serverGroup);
    if (!group || group.disabled) return { ok: true, reached: true };
    const out = group.instances.filter((instance) => instance.outOfService === true).length;
    return { ok: true, reached: out >= Math.ceil((group.instances.length * step.desiredPercentage) / 100) };
  }
  return { ok: true, reached: stepReached(step, state, run.input.now, progress.stepStartedAt) };
}

/** The timeout message when a step waiting for instances waited longer than waitForHealthyTimeoutSec. */
function healthTimeout(run: RunContext, progress: Progress, binding: TaskStepBinding, description: ClusterDescription): string | undefined {
  const { step, location } = binding;
  if (!WAITS_FOR_HEALTH.has(step.kind) || !('serverGroup' in step)) return undefined;
  const limit = run.config.waitForHealthyTimeoutSec ?? DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC;
  if (run.input.now - progress.stepStartedAt < limit * 1000) return undefined;
  const group = description.serverGroups.find((candidate) => candidate.name === step.serverGroup);
  const instances: readonly InstanceDescription[] = group?.instances ?? [];
  const up = instances.filter((instance) => instance.health === 'Up').length;
  const percentage = 'targetHealthyPercentage' in step && step.targetHealthyPercentage !== undefined ? step.targetHealthyPercentage : DEFAULT_TARGET_HEALTHY_PERCENTAGE;
  const needed = Math.ceil(((group?.capacity.desired ?? 0) * percentage) / 100);
  const healths = instances.map((instance) => instance.health).join(', ');
  return `${step.serverGroup} in ${location} did not become healthy within ${limit} s (${up} of the ${needed} instances needed are Up; instances: ${healths || 'none'}); fix its health check, or raise waitForHealthyTimeoutSec`;
}

/** Seconds to the next look: a wait's deadline, a child pipeline's backoff, else deployPollSeconds. */
function pollSeconds(run: RunContext, progress: Progress, binding: TaskStepBinding): number {
  const elapsed = run.input.now - progress.stepStartedAt;
  const { step } = binding;
  if (step.kind === 'wait') return deadlineWaitSeconds(step.seconds - elapsed / 1000, run.pollsLeft, 30);
  if (step.kind === 'runPipeline') return backoffSeconds(elapsed);
  return deployPollSeconds(elapsed);
}

/** The rollback of a failed deploy in every location where the new server group exists (planRollbackOnFailure). */
async function rollbackSteps(run: RunContext, progress: Progress): Promise<TaskStepBinding[]> {
  const strategy = run.config.strategy as StrategyName;
  const steps: TaskStepBinding[] = [];
  for (const [location, serverGroup] of Object.entries(progress.created)) {
    const { state } = await describe(run.target, run.scope, location);
    const exists = findServerGroup(state, serverGroup) !== undefined;
    const source = progress.sources[location];
    const planned = planRollbackOnFailure(state, {
      strategy,
      rollback: run.config.rollback,
      ...(exists ? { createdServerGroup: serverGroup } : {}),
      createFailed: run.task === 'createServerGroup' || run.task === 'waitForUpInstances',
      ...(source && findServerGroup(state, source.name) ? { sourceServerGroup: source } : {}),
    });
    steps.push(...planned.map((step): TaskStepBinding => ({ task: run.task, location, step, rollback: true })));
  }
  return steps;
}

/** Why the new server group stays as it is, when no rollback touches it. */
function rollbackNote(run: RunContext, progress: Progress, rollback: readonly TaskStepBinding[]): string {
  const created = Object.values(progress.created);
  if (created.length === 0) return '';
  const touched = new Set(rollback.map((binding) => ('serverGroup' in binding.step ? binding.step.serverGroup : '')));
  const untouched = created.filter((name) => !touched.has(name));
  if (untouched.length === 0) return '';
  const why = run.config.rollback.onFailure ? 'no rollback applies at this step (Spinnaker rolls back red/black only when the new server group fails to come up)' : 'rollback.onFailure is off';
  return `; ${why}, so ${untouched.join(', ')} is left as it is`;
}
