/**
 * The `deploy` stage (Orca's ParallelDeployStage, its createServerGroup stages and the strategies'
 * synthetic stages), one cluster after the other, through the step executor (step-executor.ts).
 *
 * Its first task plans a cluster: in every location it describes the cluster, names the new server
 * group (Frigga's next sequence, core/deploy/names.ts), asks the strategy planner
 * (core/strategies) for its steps in Spinnaker's order, and binds each to the compiled task that
 * runs it with the same table the compiler used (core/strategies/deploy-tasks.ts). The executor
 * saves that plan before the first side effect; each later task works through its own steps.
 *
 * Failures: a step that waits for instances gives up after `waitForHealthyTimeoutSec` (default
 * 600 s). A failed step ends the stage with the step's message, but first, within the same task,
 * the rollback of CreateServerGroupStage.onFailureStages runs when `rollback.onFailure` is set
 * (planRollbackOnFailure: red/black disables the new server group when it never came up, rolling
 * red/black re-enables the source and disables the new one, and `rollback.destroyLatest` destroys
 * it); rolling red/black unpins its source either way. The old server group is never disabled
 * before the new one is healthy, so it keeps serving. A rolling red/black that would disable a
 * share of a server group on a target that takes only whole ones out of traffic (ECS) is refused
 * when planned, before anything changes.
 *
 * Not here: the stage timeout (`stageTimeoutMs`) is the runner's and ends the stage without a
 * rollback; use `waitForHealthyTimeoutSec` for a deploy that should roll back.
 */
import { findServerGroup } from '../deploy/model.ts';
import type { DeployClusterConfig, DeployStage } from '../pipeline/stage-types/deploy.ts';
import { DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC, parseDeployCluster, planCluster } from '../pipeline/stage-types/deploy.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { Target } from '../ports/target.ts';
import { planDeploy, type StrategyName } from '../strategies/deploy-strategies.ts';
import { bindDeployTasks, RUN_ONCE_TASKS } from '../strategies/deploy-tasks.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { planRollbackOnFailure } from '../strategies/rollback.ts';
import { executorDeps, targetFor, type DeployTaskDeps, type StageScope } from './deploy-scope.ts';
import { artifactOptions, readClusterSettings, resolveArtifact, strategyRequestOf, type ClusterSettings } from './deploy-plan.ts';
import { ancestorsOf } from '../execution/evaluation-context.ts';
import { bindProviderFields } from './provider-bindings.ts';
import type { CanaryStageDeps } from './kayenta-canary.ts';
import { describeCluster, runSteps, type Planned, type StepDraft, type StepProgress } from './step-executor.ts';
import { failed, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';

/** The runtime key of one cluster's plan. */
const progressKey = (index: number) => `deploy:cluster${index}`;

/** Tasks that may plan: the first of each strategy. */
const FIRST_TASKS = new Set(['createServerGroup', 'startStrategyPipeline']);

/** `cluster1.resizeTo50Percent` → cluster 1, task `resizeTo50Percent`. */
function splitTask(task: string): { index: number; task: string } {
  const match = /^cluster(\d+)\.(.+)$/.exec(task);
  return match ? { index: Number(match[1]), task: match[2] as string } : { index: 0, task };
}

/** One cluster of the stage, read from its context as evaluated at stage start. */
export interface DeployCluster {
  readonly index: number;
  /** `clusters[0]`, for messages. */
  readonly at: string;
  /** The step's name, without its `clusterN.` prefix. */
  readonly task: string;
  readonly config: DeployClusterConfig;
  /** The entry as evaluated, provider fields included: what the target's adapter reads. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly settings: ClusterSettings;
  readonly scope: StageScope;
  readonly target: Target;
}

/** Reads the cluster a task belongs to and finds its target. */
export function readDeployCluster(input: TaskInput<DeployStage>, deps: DeployTaskDeps): { ok: true; cluster: DeployCluster } | { ok: false; message: string } {
  const name = input.stage.name;
  const { index, task } = splitTask(input.task);
  const at = `clusters[${index}]`;
  const rawClusters = input.record.context.clusters;
  const raw = Array.isArray(rawClusters) ? rawClusters[index] : undefined;
  if (!input.stage.config.clusters[index] || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: `stage '${name}': ${at} is missing from the stage's context; restart the stage` };
  const parsed = parseDeployCluster(raw);
  if (!parsed.ok) return { ok: false, message: `stage '${name}': ${at}.${parsed.message}` };
  const settings = readClusterSettings(parsed.cluster, raw as Record<string, unknown>, at, input.execution.application);
  if (!settings.ok) return { ok: false, message: `stage '${name}': ${settings.message}` };
  const scope: StageScope = {
    account: settings.value.account,
    cluster: settings.value.cluster,
    locations: settings.value.locations,
    ...(settings.value.cloudProvider !== undefined ? { cloudProvider: settings.value.cloudProvider } : {}),
  };
  const found = targetFor(scope, deps, name);
  if (!found.ok) return found;
  return { ok: true, cluster: { index, at, task, config: parsed.cluster, raw: raw as Record<string, unknown>, settings: settings.value, scope, target: found.target } };
}

/** Runs one task of a deploy stage (see the module comment). */
export async function runDeployTask(input: TaskInput<DeployStage>, deps: DeployTaskDeps, taskDeps: TaskDeps, pollsLeft: number, canaryDeps?: CanaryStageDeps): Promise<TaskResult> {
  const read = readDeployCluster(input, deps);
  if (!read.ok) return failed(read.message);
  const cluster = read.cluster;
  const executor = await executorDeps(input, deps, taskDeps, cluster.target);
  // The canary's code loads only for a canary deploy (canary-tasks.ts).
  if (cluster.config.strategy === 'canary') return (await import('./canary-tasks.ts')).runCanaryDeployTask({ input, cluster, executor, canary: canaryDeps, pollsLeft });
  const taskOrder = planCluster(input.stage.config.clusters[cluster.index] as DeployClusterConfig).map((step) => step.name);
  if (!taskOrder.includes(cluster.task)) return failed(`stage '${input.stage.name}': the deploy of ${cluster.at} has no step '${cluster.task}'`);
  return runSteps({
    input,
    key: progressKey(cluster.index),
    task: cluster.task,
    scope: cluster.scope,
    deps: executor,
    pollsLeft,
    once: RUN_ONCE_TASKS.has(cluster.task),
    ...(FIRST_TASKS.has(cluster.task) ? { plan: () => plan(input, cluster, taskOrder) } : {}),
    createRequest: (planned) => {
      if (planned.step.kind !== 'createServerGroup') return { ok: false, message: `a '${planned.step.kind}' step creates nothing` };
      const artifact = resolveArtifact(cluster.raw, planned.location, cluster.at, input.record, input.execution.stages, { ...artifactOptions(cluster.target), trigger: input.execution.trigger });
      if (!artifact.ok) return artifact;
      const provider = providerFieldsOf(input, cluster, artifact.value !== undefined);
      if (!provider.ok) return provider;
      return {
        ok: true,
        request: {
          account: cluster.scope.account,
          location: planned.location,
          cluster: cluster.scope.cluster,
          name: planned.step.serverGroup,
          capacity: planned.step.capacity,
          ...(artifact.value ? { artifact: artifact.value } : {}),
          provider: provider.value,
        },
      };
    },
    rollback: (progress, failedTask) => rollbackOnFailure(cluster, progress, failedTask),
    healthTimeoutSeconds: cluster.config.waitForHealthyTimeoutSec ?? DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC,
    context: (progress) => ({ 'deploy.account.name': cluster.settings.account, 'deploy.server.groups': mergedServerGroups(input.record.context['deploy.server.groups'], created(progress)) }),
    outputs: (progress) => deployOutputs(input, cluster, progress),
  });
}

/** Plans one cluster in every location: names, steps bound to tasks, in the compiled task order. */
async function plan(input: TaskInput<DeployStage>, cluster: DeployCluster, taskOrder: readonly string[]): Promise<Planned> {
  const request = strategyRequestOf(cluster.config, cluster.settings, { executionId: input.execution.id, stageId: input.record.id });
  if ('unsupported' in request) return { ok: false, message: `${cluster.at}: deploy strategy '${request.unsupported}' runs through its own steps` };
  const drafts: StepDraft[] = [];
  for (const location of cluster.scope.locations) {
    if (request.strategy !== 'custom') {
      // What the create will need is checked before anything changes.
      const artifact = resolveArtifact(cluster.raw, location, cluster.at, input.record, input.execution.stages, { ...artifactOptions(cluster.target), trigger: input.execution.trigger });
      if (!artifact.ok) return artifact;
      const provider = providerFieldsOf(input, cluster, artifact.value !== undefined);
      if (!provider.ok) return provider;
    }
    const described = await describeCluster(cluster.target, { account: cluster.scope.account, location, cluster: cluster.scope.cluster });
    if (!described.ok) return described;
    const planned = planDeploy(described.state, request);
    if (!planned.ok) return planned;
    const partial = partialDisableRefused(planned.steps, cluster);
    if (partial) return { ok: false, message: partial };
    const bindings = bindDeployTasks(request.strategy, planned.steps, cluster.config.targetPercentages);
    planned.steps.forEach((step, position) => {
      const binding = bindings[position]!;
      drafts.push({ task: binding.task, location, step, ...(binding.awaitTask !== undefined ? { awaitTask: binding.awaitTask } : {}) });
    });
  }
  const stray = drafts.find((draft) => !taskOrder.includes(draft.task));
  if (stray) return { ok: false, message: `${cluster.at}: the ${request.strategy} plan has a '${stray.step.kind}' step for task '${stray.task}', which the compiled stage lacks; save the pipeline again to recompile it` };
  // Stable: locations keep their order within a task.
  const rank = (draft: StepDraft) => taskOrder.indexOf(draft.task);
  return { ok: true, steps: [...drafts].sort((a, b) => rank(a) - rank(b)) };
}

/**
 * A rolling red/black disables a share of the source at each step; a target that takes only whole
 * server groups out of traffic (ECS scales a disabled service to 0) would fail there, after the new
 * server group was made and grown. Refused here, before anything changes.
 */
export function partialDisableRefused(steps: readonly DeployStep[], cluster: DeployCluster): string | undefined {
  if (cluster.target.traffic.capabilities.partialDisable) return undefined;
  const share = steps.find((step) => step.kind === 'disableServerGroup' && step.desiredPercentage !== undefined && step.desiredPercentage < 100);
  if (share?.kind !== 'disableServerGroup') return undefined;
  return `${cluster.at}.targetPercentages is ${JSON.stringify(cluster.config.targetPercentages ?? [])}; account '${cluster.scope.account}' takes only whole server groups out of traffic, so a rolling red/black cannot disable ${share.desiredPercentage}% of ${share.serverGroup}; use the redblack strategy, or targetPercentages [100]`;
}

/** The entry's provider fields with what only the execution knows bound in (provider-bindings.ts). */
function providerFieldsOf(input: TaskInput<DeployStage>, cluster: DeployCluster, hasArtifact: boolean): ReturnType<typeof bindProviderFields> {
  return bindProviderFields(cluster.raw, {
    cloudProvider: cluster.settings.cloudProvider ?? cluster.target.cloudProvider,
    at: cluster.at,
    trigger: input.execution.trigger,
    ancestorOutputs: ancestorsOf(input.record, input.execution.stages).map((stage) => stage.outputs),
    hasArtifact,
  });
}

/** The new server group in each location, from the plan. */
export function created(progress: StepProgress): Record<string, string> {
  const names: Record<string, string> = {};
  for (const planned of progress.steps) if (planned.step.kind === 'createServerGroup' && !planned.rollback) names[planned.location] = planned.step.serverGroup;
  return names;
}

/** Rolling red/black's source in each location and its capacity before it was pinned (the plan's captureCapacity). */
function sources(progress: StepProgress): Record<string, { name: string; capacity: { min: number; max: number; desired: number } }> {
  const found: Record<string, { name: string; capacity: { min: number; max: number; desired: number } }> = {};
  for (const planned of progress.steps) if (planned.step.kind === 'captureCapacity') found[planned.location] = { name: planned.step.serverGroup, capacity: planned.step.capacity };
  return found;
}

/** The rollback of a failed deploy in every location where the new server group exists (planRollbackOnFailure). */
export async function rollbackOnFailure(cluster: DeployCluster, progress: StepProgress, failedTask: string): Promise<{ steps: StepDraft[]; note?: string }> {
  const strategy = cluster.config.strategy as StrategyName;
  const steps: StepDraft[] = [];
  const newGroups = created(progress);
  const sourceGroups = sources(progress);
  for (const [location, serverGroup] of Object.entries(newGroups)) {
    const described = await describeCluster(cluster.target, { account: cluster.scope.account, location, cluster: cluster.scope.cluster });
    if (!described.ok) continue;
    const state = described.state;
    const exists = findServerGroup(state, serverGroup) !== undefined;
    const source = sourceGroups[location];
    const planned = planRollbackOnFailure(state, {
      strategy,
      rollback: cluster.config.rollback,
      ...(exists ? { createdServerGroup: serverGroup } : {}),
      createFailed: failedTask === 'createServerGroup' || failedTask === 'waitForUpInstances',
      ...(source && findServerGroup(state, source.name) ? { sourceServerGroup: source } : {}),
    });
    steps.push(...planned.map((step): StepDraft => ({ task: failedTask, location, step })));
  }
  const touched = new Set(steps.map((draft) => ('serverGroup' in draft.step ? draft.step.serverGroup : '')));
  const untouched = Object.values(newGroups).filter((name) => !touched.has(name));
  if (untouched.length === 0) return { steps };
  const why = cluster.config.rollback.onFailure
    ? 'no rollback applies at this step (Spinnaker rolls back red/black only when the new server group fails to come up)'
    : 'rollback.onFailure is off';
  return { steps, note: `; ${why}, so ${untouched.join(', ')} is left as it is` };
}

/** Orca's `deploy.server.groups` (location → names) with this cluster's new server groups added. */
export function mergedServerGroups(existing: unknown, added: Readonly<Record<string, string>>): JsonObject {
  const merged: Record<string, string[]> = {};
  if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) {
    for (const [location, names] of Object.entries(existing)) if (Array.isArray(names)) merged[location] = names.filter((n): n is string => typeof n === 'string');
  }
  for (const [location, serverGroup] of Object.entries(added)) {
    const names = (merged[location] ??= []);
    if (!names.includes(serverGroup)) names.push(serverGroup);
  }
  return merged;
}

/** Outputs once a cluster is deployed: Orca's keys, plus one entry per cluster and location. */
function deployOutputs(input: TaskInput<DeployStage>, cluster: DeployCluster, progress: StepProgress): JsonObject {
  const previous = Array.isArray(input.record.outputs.deployments) ? (input.record.outputs.deployments as JsonObject[]) : [];
  const sourceGroups = sources(progress);
  const fresh = Object.entries(created(progress)).map(([location, serverGroup]) => {
    const source = sourceGroups[location]?.name;
    return { account: cluster.settings.account, location, cluster: cluster.settings.cluster, serverGroup, ...(source !== undefined ? { sourceServerGroup: source } : {}) };
  });
  const known = new Set(previous.map((entry) => `${String(entry.location)}/${String(entry.serverGroup)}`));
  return {
    'deploy.account.name': cluster.settings.account,
    'deploy.server.groups': mergedServerGroups(input.record.outputs['deploy.server.groups'], created(progress)),
    deployments: [...previous, ...fresh.filter((entry) => !known.has(`${entry.location}/${entry.serverGroup}`))],
  };
}
