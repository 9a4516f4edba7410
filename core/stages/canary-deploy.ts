/**
 * The deploy stage's `canary` strategy at run time (the plan and its outcomes:
 * core/strategies/canary.ts). Three poll steps per cluster:
 * - `deployCanaryServerGroups`: creates the baseline (production's artifact) and the canary (the
 *   new artifact) disabled, waits until every instance is Up, then routes `trafficPercent` of the
 *   traffic to each.
 * - `runCanaryAnalysis`: the same analysis as the `kayentaCanary` stage
 *   (core/stages/canary-analysis.ts) with the baseline as control and the canary as experiment,
 *   location = the cluster's location. When it is decided, the stage's outputs get `canary`
 *   (core/canary/run-model.ts plus `outcome` and `score`).
 * - `finishCanary`: promotes or rolls back; after a rollback the stage fails with the analysis'
 *   message (TERMINAL or what its failure policy says).
 *
 * The canary config (inline, or saved under `canaryConfigId` / `canaryConfigName`) is resolved
 * before anything is created, so a wrong id fails the stage with nothing to clean up, and kept in
 * the runtime: the whole analysis judges with the config as it was when the deploy started.
 *
 * One location per cluster (the local target has one); a failure while creating the server
 * groups destroys what was created and fails the stage; a failure of the analysis itself rolls
 * the canary back.
 */
import type { CanaryRunOutputs } from '../canary/run-model.ts';
import { nextServerGroupName } from '../deploy/names.ts';
import type { ClusterState } from '../deploy/model.ts';
import { findServerGroup } from '../deploy/model.ts';
import type { DeployStage } from '../pipeline/stage-types/deploy.ts';
import { DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC, type DeployClusterConfig } from '../pipeline/stage-types/deploy.ts';
import { parseIsoDurationMinutes } from '../pipeline/stage-types/kayenta-canary.ts';
import type { DeployTarget } from '../ports/deploy-target.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { parseCanaryStrategySettings, planCanaryPromotion, planCanaryRollback, planCanaryRouting, type CanaryAction, type CanaryStrategySettings } from '../strategies/canary.ts';
import { advanceCanaryAnalysis, type CanaryAnalysisSpec } from './canary-analysis.ts';
import type { ClusterSettings } from './deploy-plan.ts';
import { resolveArtifact } from './deploy-plan.ts';
import { clusterRef, describeState, startStep, stepReached, trafficGuardsOf, type DeployTaskDeps, type StageScope } from './deploy-steps.ts';
import { resolveCanaryConfig, type CanaryStageDeps } from './kayenta-canary.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The canary deploy of one cluster, as the runtime keeps it between calls (plain JSON). */
interface CanaryProgress {
  location: string;
  production: string;
  baseline: string;
  canary: string;
  /** Actions of the current step and the cursor into them. */
  actions: CanaryAction[];
  next: number;
  started: boolean;
  stepStartedAt: number;
  /** When traffic reached the canary: the analysis' T0. */
  t0?: number;
  analysis?: CanaryRunOutputs;
  passed?: boolean;
  message?: string;
  /** Set when creating failed: the cleanup actions run, then the stage fails with it. */
  failure?: string;
  /** The canary config document, resolved before the server groups were created. */
  config?: JsonObject;
}

export interface CanaryDeployContext {
  readonly input: TaskInput<DeployStage>;
  readonly deps: DeployTaskDeps;
  readonly canary: CanaryStageDeps | undefined;
  readonly target: DeployTarget;
  readonly scope: StageScope;
  readonly settings: ClusterSettings;
  readonly config: DeployClusterConfig;
  readonly raw: Readonly<Record<string, unknown>>;
  /** The step, without its `clusterN.` prefix. */
  readonly task: string;
  readonly index: number;
}

const progressKey = (index: number) => `canary:cluster${index}`;

/** Polls an action waits between looks. */
const POLL_SECONDS = 1;

/** Runs one step of a canary deploy (see the module comment). */
export async function runCanaryDeployTask(run: CanaryDeployContext): Promise<TaskResult> {
  const { input, index } = run;
  const at = `clusters[${index}]`;
  const fail = (message: string, extra: { runtime?: JsonObject } = {}) => failed(`stage '${input.stage.name}': ${message}`, extra);
  if (!run.canary) return fail(`${at}: the canary strategy needs metric sources, and this Gennaker has none wired in; use another strategy`);
  const read = parseCanaryStrategySettings(run.raw.canary, `${at}.canary`);
  if (!read.ok) return fail(read.message);
  const settings = read.settings;
  if (run.scope.locations.length !== 1) return fail(`${at}: the canary strategy deploys to one location, got ${run.scope.locations.join(', ')}; use one cluster entry per location`);
  if (!run.target.capabilities.trafficWeights) return fail(`${at}: account '${run.scope.account}' cannot split traffic by weight, which the canary strategy needs; use redblack`);
  const location = run.scope.locations[0]!;
  const key = progressKey(index);
  let progress = run.input.record.runtime[key] as unknown as CanaryProgress | undefined;
  const save = (): JsonObject => ({ [key]: progress as unknown as JsonObject });

  if (run.task === 'deployCanaryServerGroups' && !progress) {
    const resolved = await resolveAnalysisConfig(run, settings, undefined);
    if (!resolved.ok) return fail(resolved.message);
    const created = await createServerGroups(run, settings, location);
    if (!created.ok) return fail(created.message);
    progress = { ...created.progress, config: resolved.document };
  }
  if (!progress) return fail(`step '${run.task}' ran before the canary server groups were created; restart the stage`);
  progress = { ...progress, actions: [...progress.actions] };

  switch (run.task) {
    case 'deployCanaryServerGroups': {
      const done = await work(run, progress);
      if (!done.ok) {
        if (progress.failure !== undefined) return fail(`${progress.failure}; the cleanup failed too: ${done.message}`, { runtime: save() });
        // Undo what was created, then fail.
        progress.failure = done.message;
        const state = await describeState(run.target, run.scope, location);
        progress.actions = [...progress.actions.slice(0, progress.next), ...planCanaryRollback(progress, new Set(state.serverGroups.map((group) => group.name)))];
        progress.started = false;
        const cleaned = await work(run, progress);
        if (!cleaned.ok) return fail(`${progress.failure}; the cleanup failed too: ${cleaned.message}`, { runtime: save() });
        if (!cleaned.done) return running(POLL_SECONDS, { runtime: save() });
        return fail(`${progress.failure}; removed ${progress.baseline} and ${progress.canary}`, { runtime: save() });
      }
      if (!done.done) return running(POLL_SECONDS, { runtime: save() });
      if (progress.failure !== undefined) return fail(`${progress.failure}; removed ${progress.baseline} and ${progress.canary}`, { runtime: save() });
      const stepMs = settings.step * 1000;
      progress.t0 = Math.ceil(input.now / stepMs) * stepMs;
      return succeeded(deployOutputs(run, progress), { runtime: save() });
    }
    case 'runCanaryAnalysis': {
      const spec = await analysisSpec(run, settings, progress);
      let outputs: CanaryRunOutputs;
      if (spec.ok) {
        const advanced = await advanceCanaryAnalysis(spec.spec, progress.analysis, input.now, run.canary.metrics);
        progress.analysis = advanced.outputs;
        if (advanced.kind === 'running' || advanced.kind === 'retry') return running(advanced.waitSeconds, { runtime: save() });
        progress.passed = advanced.kind === 'done' && advanced.passed;
        progress.message = advanced.message;
        outputs = advanced.outputs;
      } else {
        // The analysis cannot run: the baseline and the canary must not stay behind with traffic.
        progress.passed = false;
        progress.message = spec.message;
        outputs = { ...unjudged(settings, progress), ...progress.analysis, overallResult: 'failure', canaryScoreMessage: spec.message };
      }
      const names = { production: progress.production, baseline: progress.baseline, canary: progress.canary };
      progress.actions = progress.passed ? planCanaryPromotion(names, run.settings.capacity) : planCanaryRollback(names, new Set([names.baseline, names.canary]));
      progress.next = 0;
      progress.started = false;
      const canary = { ...outputs, outcome: progress.passed ? 'promoted' : 'rolledBack', score: outputs.overallScore };
      return succeeded({ ...deployOutputs(run, progress), canary: canary as unknown as JsonObject }, { runtime: save() });
    }
    case 'finishCanary': {
      const done = await work(run, progress);
      if (!done.ok) return fail(`${progress.passed ? 'promoting' : 'rolling back'} the canary failed: ${done.message}`, { runtime: save() });
      if (!done.done) return running(POLL_SECONDS, { runtime: save() });
      if (progress.passed) return succeeded(undefined, { runtime: save() });
      return fail(`the canary ${progress.canary} failed its analysis and was rolled back (${progress.baseline} and ${progress.canary} destroyed, ${progress.production} serves all traffic): ${progress.message ?? ''}`, { runtime: save() });
    }
    default:
      return fail(`the canary deploy of ${at} has no step '${run.task}'`);
  }
}

/** Names and creates the baseline and the canary, disabled; their routing is the step's actions. */
async function createServerGroups(run: CanaryDeployContext, settings: CanaryStrategySettings, location: string): Promise<{ ok: true; progress: CanaryProgress } | { ok: false; message: string }> {
  const at = `clusters[${run.index}]`;
  const state = await describeState(run.target, run.scope, location);
  const production = newestEnabled(state);
  if (!production) return { ok: false, message: `${at}: the canary strategy compares against production, and cluster ${run.scope.cluster} in ${location} has no enabled server group; deploy a first version with redblack` };
  if (!production.artifact) return { ok: false, message: `${at}: production ${production.name} does not say which artifact it runs, so no baseline can be cloned from it; deploy it again with Gennaker` };
  const productionArtifact = production.artifact;
  const artifact = resolveArtifact(run.raw, location, at, run.input.record, run.input.execution.stages);
  if (!artifact.ok) return artifact;
  const baselineName = nextServerGroupName(run.scope.cluster, state.serverGroups, { location });
  if (!baselineName.ok) return { ok: false, message: `${at}: ${baselineName.message}` };
  const canaryName = nextServerGroupName(run.scope.cluster, [...state.serverGroups, { name: baselineName.name, createdTime: Number.MAX_SAFE_INTEGER }], { location });
  if (!canaryName.ok) return { ok: false, message: `${at}: ${canaryName.message}` };
  const common = {
    ...clusterRef(run.scope, location),
    capacity: settings.capacity,
    disabled: true,
    ...(run.settings.command ? { command: run.settings.command } : {}),
    ...(run.settings.healthCheck ? { healthCheck: run.settings.healthCheck } : {}),
  };
  const baselineEnv = settings.baselineEnv ?? run.settings.env;
  const baseline = await run.target.createServerGroup({ ...common, name: baselineName.name, artifact: productionArtifact, ...(baselineEnv ? { env: baselineEnv } : {}) });
  if (!baseline.ok) return { ok: false, message: `creating the baseline ${baselineName.name} in ${location} failed: ${baseline.message}` };
  const canary = await run.target.createServerGroup({ ...common, name: canaryName.name, artifact: artifact.value, ...(run.settings.env ? { env: run.settings.env } : {}) });
  if (!canary.ok) {
    await run.target.destroyServerGroup({ account: run.scope.account, location, serverGroup: baselineName.name });
    return { ok: false, message: `creating the canary ${canaryName.name} in ${location} failed: ${canary.message}` };
  }
  const names = { production: production.name, baseline: baselineName.name, canary: canaryName.name };
  return { ok: true, progress: { location, ...names, actions: planCanaryRouting(names, settings.trafficPercent), next: 0, started: false, stepStartedAt: run.input.now } };
}

function newestEnabled(state: ClusterState) {
  return [...state.serverGroups].filter((group) => !group.disabled).sort((a, b) => b.createdTime - a.createdTime)[0];
}

/** Works through the actions from the cursor: `done` when all ran, else poll again. */
async function work(run: CanaryDeployContext, progress: CanaryProgress): Promise<{ ok: true; done: boolean } | { ok: false; message: string }> {
  const guards = await trafficGuardsOf(run.input, run.deps);
  const limitMs = (run.config.waitForHealthyTimeoutSec ?? DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC) * 1000;
  while (progress.next < progress.actions.length) {
    const action = progress.actions[progress.next]!;
    const ref = clusterRef(run.scope, progress.location);
    if (action.kind === 'setTrafficWeights') {
      const set = await run.target.setTrafficWeights(ref, action.weights);
      if (!set.ok) return { ok: false, message: `setting traffic weights ${JSON.stringify(action.weights)} failed: ${set.message}` };
      progress.next += 1;
      continue;
    }
    let state = await describeState(run.target, run.scope, progress.location);
    if (!progress.started) {
      if ('serverGroup' in action && action.kind === 'destroyServerGroup' && !findServerGroup(state, action.serverGroup)) {
        progress.next += 1;
        continue;
      }
      const started = await startStep(run.target, run.scope, { location: progress.location, step: action }, state, guards);
      if (!started.ok) return started;
      progress.started = true;
      progress.stepStartedAt = run.input.now;
      state = await describeState(run.target, run.scope, progress.location);
    }
    if (!stepReached(action, state, run.input.now, progress.stepStartedAt)) {
      if (run.input.now - progress.stepStartedAt > limitMs) {
        const name = 'serverGroup' in action ? action.serverGroup : action.kind;
        return { ok: false, message: `${name} did not reach the state of '${action.kind}' within ${limitMs / 1000} s; fix its health check, or raise waitForHealthyTimeoutSec` };
      }
      return { ok: true, done: false };
    }
    progress.next += 1;
    progress.started = false;
  }
  return { ok: true, done: true };
}

/** The lifetime and the canary config: the pinned document when there is one, else as the settings name it. */
async function resolveAnalysisConfig(run: CanaryDeployContext, settings: CanaryStrategySettings, pinned: JsonObject | undefined) {
  const at = `clusters[${run.index}].canary`;
  const lifetime = parseIsoDurationMinutes(settings.lifetimeDuration);
  if (lifetime === undefined || lifetime <= 0) return { ok: false as const, message: `${at}.lifetimeDuration is '${settings.lifetimeDuration}'; set an ISO-8601 duration such as 'PT30M'` };
  const resolved = await resolveCanaryConfig(pinned !== undefined ? { config: pinned } : settings.canaryConfig, run.canary?.canaryConfigs);
  if (!resolved.ok) return { ok: false as const, message: `${at}: ${resolved.message}` };
  return { ...resolved, lifetime };
}

/** The outputs of an analysis that never judged an interval. */
function unjudged(settings: CanaryStrategySettings, progress: CanaryProgress): CanaryRunOutputs {
  return { canaryScores: [], overallScore: null, overallResult: 'failure', scoreThresholds: { ...settings.scoreThresholds }, controlScope: progress.baseline, experimentScope: progress.canary, intervals: [] };
}

async function analysisSpec(run: CanaryDeployContext, settings: CanaryStrategySettings, progress: CanaryProgress): Promise<{ ok: true; spec: CanaryAnalysisSpec } | { ok: false; message: string }> {
  const resolved = await resolveAnalysisConfig(run, settings, progress.config);
  if (!resolved.ok) return resolved;
  const lifetime = resolved.lifetime;
  return {
    ok: true,
    spec: {
      config: resolved.config,
      ...(resolved.name !== undefined ? { configName: resolved.name } : {}),
      thresholds: settings.scoreThresholds,
      scopes: { controlScope: progress.baseline, controlLocation: progress.location, experimentScope: progress.canary, experimentLocation: progress.location, stepSeconds: settings.step },
      timing: {
        lifetimeMinutes: lifetime,
        ...(settings.canaryAnalysisIntervalMins !== undefined ? { intervalMinutes: settings.canaryAnalysisIntervalMins } : {}),
        warmupMinutes: settings.beginCanaryAnalysisAfterMins,
        lookbackMinutes: settings.lookbackMins,
      },
      t0: progress.t0 ?? run.input.now,
      ...(settings.metricsAccountName !== undefined ? { metricsAccountName: settings.metricsAccountName } : {}),
    },
  };
}

/** Orca's deploy outputs for the canary server group, with the baseline beside it. */
function deployOutputs(run: CanaryDeployContext, progress: CanaryProgress): JsonObject {
  return {
    'deploy.account.name': run.settings.account,
    'deploy.server.groups': { [progress.location]: [progress.canary] },
    deployments: [{ account: run.settings.account, location: progress.location, cluster: run.settings.cluster, serverGroup: progress.canary, sourceServerGroup: progress.production, baselineServerGroup: progress.baseline }],
  };
}
