/**
 * The `cloneServerGroup` stage (Orca's CloneServerGroupStage: determineSourceServerGroup,
 * cloneServerGroup, waitForUpInstances, then the strategy's synthetic stages), through the step
 * executor that runs `deploy`.
 *
 * Its first task resolves the source in every location (`source.serverGroupName`, else
 * `targetCluster` + `target`, else the newest server group of the new one's cluster), names the
 * new server group in the target cluster (the stage's application, stack and freeFormDetails, each
 * blank one taken from the source, as clouddriver's copy-last operations do), takes the source's
 * capacity when `useSourceCapacity` (or when the stage gives none), creates it out of traffic with
 * `disableTraffic`, and plans the strategy over
 * the target cluster. The source is written into the plan's create step, so the plan saved before
 * the first side effect holds it: a retried or twice-delivered step copies the same server group
 * and, by its owner token, makes it once. The target's create copies the source's settings, the
 * stage's provider fields and artifact overriding them (core/ports/server-groups.ts `source`).
 *
 * Context, as Orca writes it: `source {account, region, asgName, serverGroupName,
 * useSourceCapacity}` (what a later stage reads as `#stage('Clone Server Group')['context']['source']`),
 * `deploy.account.name`, `deploy.server.groups`.
 */
import { newestFirst, type ArtifactReference, type Capacity, type ServerGroup } from '../deploy/model.ts';
import { clusterName, parseClusterName, parseServerGroupName, validateNameParts } from '../deploy/names.ts';
import { parseStepProgress } from '../deploy/step-progress.ts';
import { resolveTarget } from '../deploy/targeting.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { Target } from '../ports/target.ts';
import type { CloneServerGroupConfig, CloneServerGroupStage } from '../pipeline/stage-types/clone-server-group.ts';
import { asDeployCluster, cloneTaskName, deployTaskName, parseCloneConfig, planClone } from '../pipeline/stage-types/clone-server-group.ts';
import { DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC } from '../pipeline/stage-types/deploy.ts';
import { planDeploy } from '../strategies/deploy-strategies.ts';
import { bindDeployTasks, RUN_ONCE_TASKS } from '../strategies/deploy-tasks.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { created, mergedServerGroups, partialDisableRefused, rollbackOnFailure, type DeployCluster } from './deploy.ts';
import { locationsOf, resolveArtifact, strategyRequestOf, type ClusterSettings } from './deploy-plan.ts';
import { executorDeps, targetFor, type DeployTaskDeps } from './deploy-scope.ts';
import { ancestorsOf } from '../execution/evaluation-context.ts';
import { bindProviderFields } from './provider-bindings.ts';
import { describeCluster, runSteps, type Planned, type StepDraft, type StepProgress } from './step-executor.ts';
import { failed, numberFrom, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';

/** The runtime key of the stage's plan. */
const PLAN_KEY = 'clone';

/** Tasks that may plan: the first of each strategy. */
const FIRST_TASKS = new Set(['cloneServerGroup', 'startStrategyPipeline']);

type Read<T> = { ok: true; value: T } | { ok: false; message: string };

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** The source server group of one location, as resolved when the stage was planned. */
interface ResolvedSource {
  readonly location: string;
  readonly serverGroup: ServerGroup;
}

/** What every call of the stage reads from its evaluated context. */
interface CloneScope {
  readonly config: CloneServerGroupConfig;
  readonly account: string;
  readonly cloudProvider?: string;
  readonly locations: readonly string[];
  readonly target: Target;
}

/** Runs one task of a cloneServerGroup stage (see the module comment). */
export async function runCloneServerGroupTask(input: TaskInput<CloneServerGroupStage>, deps: DeployTaskDeps, taskDeps: Pick<TaskDeps, 'children' | 'store'>, pollsLeft: number): Promise<TaskResult> {
  const label = `stage '${input.stage.name}'`;
  const read = readScope(input, deps);
  if (!read.ok) return failed(`${label}: ${read.message}`);
  const scope = read.value;
  const taskOrder = planClone(input.stage.config).map((step) => step.name);
  if (!taskOrder.includes(input.task)) return failed(`${label}: cloneServerGroup has no step '${input.task}'`);

  // A saved plan names the source; before it, the sources are resolved here (describes only) and planned below.
  const saved = parseStepProgress(input.record.runtime[PLAN_KEY]);
  let sources: ReadonlyMap<string, ResolvedSource> | undefined;
  let sourceName = saved.ok && saved.progress ? sourceOfPlan(saved.progress) : undefined;
  if (sourceName === undefined) {
    if (!(saved.ok && saved.progress) && FIRST_TASKS.has(input.task)) {
      const resolved = await resolveSources(input, scope);
      if (!resolved.ok) return failed(`${label}: ${resolved.message}`);
      sources = resolved.value;
      sourceName = [...resolved.value.values()][0]!.serverGroup.name;
    } else {
      sourceName = text((input.record.context.source as JsonObject | undefined)?.serverGroupName);
    }
  }
  if (sourceName === undefined) return failed(`${label}: step '${input.task}' ran before the stage was planned; restart the stage`);
  const named = targetClusterOf(scope.config, sourceName);
  if (!named.ok) return failed(`${label}: ${named.message}`);
  const cluster = named.value;

  const executor = await executorDeps(input, deps, taskDeps, scope.target);
  const deployCluster = (capacity: Capacity): DeployCluster => ({
    index: 0,
    at: 'stage',
    task: deployTaskName(input.task),
    config: asDeployCluster(scope.config),
    raw: input.record.context,
    settings: settingsOf(scope, cluster, capacity),
    scope: { account: scope.account, cluster, locations: scope.locations, ...(scope.cloudProvider !== undefined ? { cloudProvider: scope.cloudProvider } : {}) },
    target: scope.target,
  });
  return runSteps({
    input,
    key: PLAN_KEY,
    task: input.task,
    scope: { account: scope.account, cluster, ...(scope.cloudProvider !== undefined ? { cloudProvider: scope.cloudProvider } : {}) },
    deps: executor,
    pollsLeft,
    once: RUN_ONCE_TASKS.has(deployTaskName(input.task)),
    ...(sources !== undefined ? { plan: () => plan(input, scope, cluster, sources!, taskOrder, deployCluster) } : {}),
    createRequest: (planned) => {
      if (planned.step.kind !== 'createServerGroup') return { ok: false, message: `a '${planned.step.kind}' step creates nothing` };
      const built = createFields(input, scope, planned.location);
      if (!built.ok) return built;
      return {
        ok: true,
        request: {
          account: scope.account,
          location: planned.location,
          cluster,
          name: planned.step.serverGroup,
          capacity: planned.step.capacity,
          ...(built.value.artifact ? { artifact: built.value.artifact } : {}),
          provider: built.value.provider,
          ...(planned.step.source ? { source: planned.step.source } : {}),
        },
      };
    },
    rollback: (progress, failedTask) => rollbackOnFailure(deployCluster({ min: 0, max: 0, desired: 0 }), progress, deployTaskName(failedTask)),
    healthTimeoutSeconds: scope.config.waitForHealthyTimeoutSec ?? DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC,
    context: (progress) => ({
      'deploy.account.name': scope.account,
      'deploy.server.groups': mergedServerGroups(input.record.context['deploy.server.groups'], created(progress)),
      ...sourceContext(scope, progress),
    }),
    outputs: (progress) => ({
      'deploy.account.name': scope.account,
      'deploy.server.groups': mergedServerGroups(input.record.outputs['deploy.server.groups'], created(progress)),
      ...sourceContext(scope, progress),
    }),
  });
}

/** The account, locations and target of the stage, and whether the target can clone. */
function readScope(input: TaskInput<CloneServerGroupStage>, deps: DeployTaskDeps): Read<CloneScope> {
  const context = input.record.context;
  const parsed = parseCloneConfig(context);
  if (!parsed.ok) return parsed;
  const config = parsed.config;
  const account = text(config.credentials) ?? text(config.account);
  if (account === undefined) return { ok: false, message: `credentials is ${JSON.stringify(context.credentials)}; set it to the account to clone in, e.g. "local"` };
  const cloudProvider = text(config.cloudProvider) ?? text(config.provider);
  const found = targetFor({ account, ...(cloudProvider !== undefined ? { cloudProvider } : {}) }, deps, input.stage.name);
  if (!found.ok) return { ok: false, message: found.message.replace(/^stage '[^']*': /, '') };
  if (found.target.serverGroups.capabilities.clone !== true) {
    const provider = cloudProvider ?? found.target.cloudProvider;
    return { ok: false, message: `cloneServerGroup is not supported on ${provider} accounts yet; use a deploy stage with the server group's settings for account '${account}'` };
  }
  const listed = locationsOf(context);
  const sourceRegion = text(config.source?.region);
  const locations = listed.length > 0 ? listed : sourceRegion !== undefined ? [sourceRegion] : [];
  if (locations.length === 0) return { ok: false, message: 'names no location to clone in; set region, e.g. "us-east-1" (or availabilityZones, or source.region)' };
  return { ok: true, value: { config, account, ...(cloudProvider !== undefined ? { cloudProvider } : {}), locations, target: found.target } };
}

/** The source a saved plan names: its create step's, or the custom strategy's pipeline parameter. */
function sourceRefOfPlan(progress: StepProgress): { account: string; location: string; serverGroup: string } | undefined {
  for (const { step } of progress.steps) {
    if (step.kind === 'createServerGroup' && step.source) return step.source;
    if (step.kind === 'runPipeline') {
      const source = step.parameters.source as Record<string, unknown> | undefined;
      const account = text(source?.account);
      const location = text(source?.region);
      const serverGroup = text(source?.serverGroupName);
      if (account !== undefined && location !== undefined && serverGroup !== undefined) return { account, location, serverGroup };
    }
  }
  return undefined;
}

function sourceOfPlan(progress: StepProgress): string | undefined {
  return sourceRefOfPlan(progress)?.serverGroup;
}

/**
 * The cluster the new server group joins: the stage's application, stack and freeFormDetails,
 * each blank one taken from the source's name (clouddriver's `description.stack ?: ancestor.stack`).
 */
export function targetClusterOf(config: Pick<CloneServerGroupConfig, 'application' | 'stack' | 'freeFormDetails'>, sourceName: string): Read<string> {
  const parsed = parseServerGroupName(sourceName);
  if (!parsed) return { ok: false, message: `source server group '${sourceName}' has no Frigga name (app-stack-detail-v000); name one that has` };
  const application = text(config.application) ?? parsed.app;
  const stack = text(config.stack) ?? parsed.stack;
  const detail = text(config.freeFormDetails) ?? parsed.detail;
  const problems = validateNameParts({ application, ...(stack !== undefined ? { stack } : {}), ...(detail !== undefined ? { detail } : {}) });
  if (problems.length > 0) return { ok: false, message: problems[0]!.message };
  return { ok: true, value: clusterName(application, stack, detail) };
}

/** Where the source is looked for when the stage names none: the cluster of the stage's own name parts. */
function ownCluster(config: CloneServerGroupConfig, defaultApplication: string): string {
  return clusterName(text(config.application) ?? defaultApplication, text(config.stack), text(config.freeFormDetails));
}

/** The source server group in every location (see the module comment), or one line saying where none was found. */
async function resolveSources(input: TaskInput<CloneServerGroupStage>, scope: CloneScope): Promise<Read<Map<string, ResolvedSource>>> {
  const { config, account } = scope;
  const named = text(config.source?.serverGroupName) ?? text(config.source?.asgName);
  const sourceAccount = text(config.source?.account) ?? account;
  if (sourceAccount !== account) {
    return { ok: false, message: `source.account is '${sourceAccount}' but the clone is made in '${account}'; cloneServerGroup copies within one account, so set credentials to '${sourceAccount}' or clone a server group of '${account}'` };
  }
  const found = new Map<string, ResolvedSource>();
  for (const location of scope.locations) {
    if (named !== undefined) {
      const sourceLocation = text(config.source?.region) ?? location;
      const cluster = parseServerGroupName(named)?.cluster;
      if (cluster === undefined) return { ok: false, message: `source.serverGroupName '${named}' is not a server group name; set one such as 'hello-prod-v003'` };
      const described = await describeCluster(scope.target, { account, location: sourceLocation, cluster });
      if (!described.ok) return described;
      const serverGroup = described.state.serverGroups.find((candidate) => candidate.name === named);
      if (!serverGroup) {
        return { ok: false, message: `no server group to clone in cluster '${cluster}' of account '${account}' in ${sourceLocation}: ${named} does not exist (found ${listNames(described.state.serverGroups)}); check source.serverGroupName` };
      }
      found.set(location, { location: sourceLocation, serverGroup });
      continue;
    }
    const cluster = text(config.targetCluster) ?? ownCluster(config, input.execution.application);
    const target = config.target ?? 'current_asg_dynamic';
    const described = await describeCluster(scope.target, { account, location, cluster });
    if (!described.ok) return described;
    const groups = described.state.serverGroups;
    const resolved = resolveTarget(groups, { target }, { location, cluster });
    if (!resolved.ok) {
      const why = groups.length === 0 ? 'it has no server group' : `${target} finds none among ${listNames(groups)}`;
      return { ok: false, message: `no server group to clone in cluster '${cluster}' of account '${account}' in ${location}: ${why}; deploy one first, or name the source with source.serverGroupName` };
    }
    found.set(location, { location, serverGroup: resolved.serverGroup });
  }
  return { ok: true, value: found };
}

function listNames(groups: readonly ServerGroup[]): string {
  return groups.length === 0 ? 'none' : newestFirst(groups).map((group) => group.name).join(', ');
}

/** The new server group's capacity: the source's when useSourceCapacity or when the stage gives none, else the stage's. */
export function cloneCapacity(config: Pick<CloneServerGroupConfig, 'capacity' | 'useSourceCapacity' | 'source'>, source: Capacity): Read<Capacity> {
  const useSource = config.useSourceCapacity || config.source?.useSourceCapacity === true;
  const desired = numberFrom(config.capacity.desired);
  if (useSource || desired === undefined) return { ok: true, value: { ...source } };
  const min = config.capacity.min === undefined ? desired : numberFrom(config.capacity.min);
  const max = config.capacity.max === undefined ? desired : numberFrom(config.capacity.max);
  if (min === undefined || max === undefined || !(min <= desired && desired <= max)) {
    return { ok: false, message: `capacity ${JSON.stringify(config.capacity)} is inconsistent; use min ≤ desired ≤ max, or useSourceCapacity: true` };
  }
  return { ok: true, value: { min, max, desired } };
}

function settingsOf(scope: CloneScope, cluster: string, capacity: Capacity): ClusterSettings {
  const healthy = numberFrom((scope.config as unknown as Record<string, unknown>).targetHealthyDeployPercentage);
  return {
    account: scope.account,
    ...(scope.cloudProvider !== undefined ? { cloudProvider: scope.cloudProvider } : {}),
    application: parseClusterName(cluster)?.app ?? cluster,
    cluster,
    locations: scope.locations,
    capacity,
    ...(healthy !== undefined ? { targetHealthyDeployPercentage: healthy } : {}),
  };
}

/** What the create sends besides names: the artifact that replaces the source's (the stage's, or a bake's), and the provider fields. */
function createFields(input: TaskInput<CloneServerGroupStage>, scope: CloneScope, location: string): Read<{ artifact?: ArtifactReference; provider: Readonly<Record<string, unknown>> }> {
  const context = input.record.context;
  // The source runs something already: an artifact is an override, never required.
  const artifact = resolveArtifact(context, location, 'stage', input.record, input.execution.stages, { optional: true });
  if (!artifact.ok) return artifact;
  const provider = bindProviderFields(context, {
    cloudProvider: scope.cloudProvider ?? scope.target.cloudProvider,
    at: 'stage',
    trigger: input.execution.trigger,
    ancestorOutputs: ancestorsOf(input.record, input.execution.stages).map((stage) => stage.outputs),
    hasArtifact: artifact.value !== undefined,
  });
  if (!provider.ok) return provider;
  return { ok: true, value: { ...(artifact.value ? { artifact: artifact.value } : {}), provider: provider.value } };
}

/** Plans the strategy over the target cluster in every location, the create step carrying its source. */
async function plan(
  input: TaskInput<CloneServerGroupStage>,
  scope: CloneScope,
  cluster: string,
  sources: ReadonlyMap<string, ResolvedSource>,
  taskOrder: readonly string[],
  deployCluster: (capacity: Capacity) => DeployCluster,
): Promise<Planned> {
  const drafts: StepDraft[] = [];
  const config = asDeployCluster(scope.config);
  for (const location of scope.locations) {
    const source = sources.get(location)!;
    const capacity = cloneCapacity(scope.config, source.serverGroup.capacity);
    if (!capacity.ok) return capacity;
    const fields = createFields(input, scope, location);
    if (!fields.ok) return fields;
    const settings = settingsOf(scope, cluster, capacity.value);
    const request = strategyRequestOf(config, settings, { executionId: input.execution.id, stageId: input.record.id });
    if ('unsupported' in request) return { ok: false, message: `deploy strategy '${request.unsupported}' is not supported by cloneServerGroup` };
    const described = await describeCluster(scope.target, { account: scope.account, location, cluster });
    if (!described.ok) return described;
    const planned = planDeploy(described.state, request.strategy === 'custom' ? { ...request, clone: true } : request);
    if (!planned.ok) return planned;
    const sourceRef = { account: scope.account, location: source.location, serverGroup: source.serverGroup.name };
    // The custom strategy creates nothing itself: its pipeline gets the source among its parameters.
    const steps = planned.steps.map((step): DeployStep => {
      if (step.kind === 'createServerGroup') return { ...step, source: sourceRef, ...(scope.config.disableTraffic ? { disabled: true } : {}) };
      if (step.kind === 'runPipeline' && request.strategy === 'custom') return { ...step, parameters: { ...step.parameters, source: { account: sourceRef.account, region: sourceRef.location, serverGroupName: sourceRef.serverGroup } } };
      return step;
    });
    const partial = partialDisableRefused(steps, deployCluster(capacity.value));
    if (partial) return { ok: false, message: partial.replace(/^stage\.targetPercentages/, 'targetPercentages') };
    const bindings = bindDeployTasks(request.strategy, steps, config.targetPercentages);
    steps.forEach((step, position) => {
      const binding = bindings[position]!;
      drafts.push({ task: cloneTaskName(binding.task), location, step, ...(binding.awaitTask !== undefined ? { awaitTask: binding.awaitTask } : {}) });
    });
  }
  const stray = drafts.find((draft) => !taskOrder.includes(draft.task));
  if (stray) return { ok: false, message: `the ${scope.config.strategy} plan has a '${stray.step.kind}' step for task '${stray.task}', which the compiled stage lacks; save the pipeline again to recompile it` };
  const rank = (draft: StepDraft) => taskOrder.indexOf(draft.task);
  return { ok: true, steps: [...drafts].sort((a, b) => rank(a) - rank(b)) };
}

/** Orca's `source` context entry, from the plan (its first location), once planned. */
function sourceContext(scope: CloneScope, progress: StepProgress): JsonObject {
  const source = sourceRefOfPlan(progress);
  if (!source) return {};
  const useSourceCapacity = scope.config.useSourceCapacity || scope.config.source?.useSourceCapacity === true;
  return { source: { account: source.account, region: source.location, asgName: source.serverGroup, serverGroupName: source.serverGroup, useSourceCapacity } };
}
