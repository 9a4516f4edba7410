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
 * Creating and routing, and promoting or rolling back, run through the step executor
 * (step-executor.ts) under their own runtime keys; the canary's own state (names, the pinned
 * config, the analysis) is parsed from the runtime, and its names are saved before anything is
 * created. One location per cluster; a failure while creating the server groups destroys what was
 * created and fails the stage; a failure of the analysis itself rolls the canary back.
 */
import { z } from 'zod';
import type { CanaryRunOutputs } from '../canary/run-model.ts';
import { nextServerGroupName } from '../deploy/names.ts';
import type { ClusterState } from '../deploy/model.ts';
import type { DeployStage } from '../pipeline/stage-types/deploy.ts';
import { DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC } from '../pipeline/stage-types/deploy.ts';
import { parseIsoDurationMinutes } from '../pipeline/stage-types/kayenta-canary.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { parseCanaryStrategySettings, planCanaryPromotion, planCanaryRollback, planCanaryRouting, type CanaryStrategySettings } from '../strategies/canary.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { advanceCanaryAnalysis, type CanaryAnalysisSpec } from './canary-analysis.ts';
import type { DeployCluster } from './deploy.ts';
import { artifactOptions, resolveArtifact } from './deploy-plan.ts';
import { resolveCanaryConfig, type CanaryStageDeps } from './kayenta-canary.ts';
import { describeCluster, runSteps, type StepExecutorDeps, type StepRun } from './step-executor.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The canary's own state between calls, parsed from the runtime. */
const canaryStateSchema = z.object({
  location: z.string(),
  production: z.string(),
  baseline: z.string(),
  canary: z.string(),
  /** The canary config document, resolved before the server groups were created. */
  config: z.record(z.string(), z.unknown()),
  /** What production runs: the baseline runs it too. */
  productionArtifact: z.object({ type: z.string(), reference: z.string(), name: z.string().optional(), version: z.string().optional() }),
  /** When traffic reached the canary: the analysis' T0. */
  t0: z.number().optional(),
  analysis: z.unknown().optional(),
  passed: z.boolean().optional(),
  message: z.string().optional(),
});

type CanaryState = Omit<z.infer<typeof canaryStateSchema>, 'analysis'> & { analysis?: CanaryRunOutputs };

export interface CanaryDeployContext {
  readonly input: TaskInput<DeployStage>;
  readonly cluster: DeployCluster;
  readonly executor: StepExecutorDeps;
  readonly canary: CanaryStageDeps | undefined;
  readonly pollsLeft: number;
}

const stateKey = (index: number) => `canary:cluster${index}`;

/** Runs one step of a canary deploy (see the module comment). */
export async function runCanaryDeployTask(run: CanaryDeployContext): Promise<TaskResult> {
  const { input, cluster } = run;
  const at = cluster.at;
  const fail = (message: string, extra: { runtime?: JsonObject } = {}) => failed(`stage '${input.stage.name}': ${message}`, extra);
  if (!run.canary) return fail(`${at}: the canary strategy needs metric sources, and this Gennaker has none wired in; use another strategy`);
  const read = parseCanaryStrategySettings(cluster.raw.canary, `${at}.canary`);
  if (!read.ok) return fail(read.message);
  const settings = read.settings;
  if (cluster.scope.locations.length !== 1) return fail(`${at}: the canary strategy deploys to one location, got ${cluster.scope.locations.join(', ')}; use one cluster entry per location`);
  if (!run.executor.target.traffic.capabilities.weights) return fail(`${at}: account '${cluster.scope.account}' cannot split traffic by weight, which the canary strategy needs; use redblack`);
  const key = stateKey(cluster.index);
  const savedState = input.record.runtime[key];
  let state: CanaryState | undefined;
  if (savedState !== undefined) {
    const parsed = canaryStateSchema.safeParse(savedState);
    if (!parsed.success) return fail(`${at}: the canary's saved state does not parse; restart the stage`);
    state = parsed.data as CanaryState;
  }
  if (!state) {
    if (cluster.task !== 'deployCanaryServerGroups') return fail(`step '${cluster.task}' ran before the canary server groups were planned; restart the stage`);
    const chosen = await chooseNames(run, settings, cluster.scope.locations[0]!);
    if (!chosen.ok) return fail(chosen.message);
    // The names are saved before anything is created; a duplicate delivery adopts the first one's.
    const saved = await input.saveRuntime(key, chosen.state as unknown as JsonObject);
    const adopted = saved.ok ? chosen.state : canaryStateSchema.safeParse(saved.current);
    if (!saved.ok && !('success' in adopted && adopted.success)) return fail(`${at}: the canary's plan changed while this call ran; restart the stage`);
    state = saved.ok ? chosen.state : ((adopted as { data: CanaryState }).data as CanaryState);
  }
  const withState = (result: TaskResult, next: CanaryState): TaskResult => ({ ...result, runtime: { ...result.runtime, [key]: next as unknown as JsonObject } });
  const names = { production: state.production, baseline: state.baseline, canary: state.canary };
  const base = (suffix: string, label?: string): Omit<StepRun, 'plan'> => ({
    input,
    key: `${key}:${suffix}`,
    task: cluster.task,
    scope: cluster.scope,
    deps: run.executor,
    pollsLeft: run.pollsLeft,
    healthTimeoutSeconds: cluster.config.waitForHealthyTimeoutSec ?? DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC,
    ...(label !== undefined ? { label } : {}),
  });
  const located = (steps: readonly DeployStep[]) => steps.map((step) => ({ task: cluster.task, location: state.location, step }));

  switch (cluster.task) {
    case 'deployCanaryServerGroups': {
      const current = state;
      const artifact = resolveArtifact(cluster.raw, current.location, at, input.record, input.execution.stages, { ...artifactOptions(cluster.target), trigger: input.execution.trigger });
      if (!artifact.ok) return fail(artifact.message);
      const result = await runSteps({
        ...base('deploy'),
        plan: async () => ({ ok: true, steps: located(planCanaryCreation(current, settings)) }),
        createRequest: (planned) => {
          if (planned.step.kind !== 'createServerGroup') return { ok: false, message: `a '${planned.step.kind}' step creates nothing` };
          const isBaseline = planned.step.serverGroup === current.baseline;
          const provider = isBaseline && settings.baselineEnv ? { ...cluster.raw, env: settings.baselineEnv } : cluster.raw;
          const runs = isBaseline ? current.productionArtifact : artifact.value;
          return {
            ok: true,
            request: {
              account: cluster.scope.account,
              location: current.location,
              cluster: cluster.scope.cluster,
              name: planned.step.serverGroup,
              capacity: planned.step.capacity,
              ...(runs ? { artifact: runs } : {}),
              provider,
            },
          };
        },
        rollback: async () => {
          const described = await describeCluster(cluster.target, { account: cluster.scope.account, location: current.location, cluster: cluster.scope.cluster });
          const existing = new Set(described.ok ? described.state.serverGroups.map((group) => group.name) : [current.baseline, current.canary]);
          return { steps: located(planCanaryRollback(names, existing)) };
        },
      });
      if (result.kind !== 'succeeded') return withState(result, current);
      const stepMs = settings.step * 1000;
      const next = { ...current, t0: Math.ceil(input.now / stepMs) * stepMs };
      return withState(succeeded(deployOutputs(run, next), { ...(result.runtime ? { runtime: result.runtime } : {}) }), next);
    }
    case 'runCanaryAnalysis': {
      const spec = await analysisSpec(run, settings, state);
      let outputs: CanaryRunOutputs;
      const next: CanaryState = { ...state };
      if (spec.ok) {
        const advanced = await advanceCanaryAnalysis(spec.spec, state.analysis, input.now, run.canary.metrics);
        next.analysis = advanced.outputs;
        if (advanced.kind === 'running' || advanced.kind === 'retry') return withState(running(advanced.waitSeconds), next);
        next.passed = advanced.kind === 'done' && advanced.passed;
        next.message = advanced.message;
        outputs = advanced.outputs;
      } else {
        // The analysis cannot run: the baseline and the canary must not stay behind with traffic.
        next.passed = false;
        next.message = spec.message;
        outputs = { ...unjudged(settings, state), ...state.analysis, overallResult: 'failure', canaryScoreMessage: spec.message };
      }
      const canary = { ...outputs, outcome: next.passed ? 'promoted' : 'rolledBack', score: outputs.overallScore };
      return withState(succeeded({ ...deployOutputs(run, next), canary: canary as unknown as JsonObject }), next);
    }
    case 'finishCanary': {
      const passed = state.passed === true;
      const current = state;
      const result = await runSteps({
        ...base('finish', `stage '${input.stage.name}': ${passed ? 'promoting' : 'rolling back'} the canary failed`),
        plan: async () => {
          if (passed) return { ok: true, steps: located(planCanaryPromotion(names, cluster.settings.capacity)) };
          const described = await describeCluster(cluster.target, { account: cluster.scope.account, location: current.location, cluster: cluster.scope.cluster });
          if (!described.ok) return described;
          return { ok: true, steps: located(planCanaryRollback(names, new Set(described.state.serverGroups.map((group) => group.name)))) };
        },
      });
      if (result.kind !== 'succeeded' || passed) return result;
      return failed(
        `stage '${input.stage.name}': the canary ${current.canary} failed its analysis and was rolled back (${current.baseline} and ${current.canary} destroyed, ${current.production} serves all traffic): ${current.message ?? ''}`,
        { ...(result.runtime ? { runtime: result.runtime } : {}) },
      );
    }
    default:
      return fail(`the canary deploy of ${at} has no step '${cluster.task}'`);
  }
}

/** Creates the baseline and the canary out of traffic, waits for them, then routes traffic to them. */
function planCanaryCreation(state: CanaryState, settings: CanaryStrategySettings): DeployStep[] {
  const names = { production: state.production, baseline: state.baseline, canary: state.canary };
  return [
    { kind: 'createServerGroup', serverGroup: state.baseline, capacity: settings.capacity, disabled: true },
    { kind: 'createServerGroup', serverGroup: state.canary, capacity: settings.capacity, disabled: true },
    { kind: 'waitForHealthy', serverGroup: state.baseline, targetHealthyPercentage: 100 },
    { kind: 'waitForHealthy', serverGroup: state.canary, targetHealthyPercentage: 100 },
    ...planCanaryRouting(names, settings.trafficPercent),
  ];
}

/** Production (the newest enabled server group), the baseline's and the canary's names, and the config. */
async function chooseNames(run: CanaryDeployContext, settings: CanaryStrategySettings, location: string): Promise<{ ok: true; state: CanaryState } | { ok: false; message: string }> {
  const { cluster } = run;
  const at = cluster.at;
  const resolved = await resolveAnalysisConfig(run, settings, undefined);
  if (!resolved.ok) return resolved;
  const described = await describeCluster(cluster.target, { account: cluster.scope.account, location, cluster: cluster.scope.cluster });
  if (!described.ok) return described;
  const state = described.state;
  const production = newestEnabled(state);
  if (!production) return { ok: false, message: `${at}: the canary strategy compares against production, and cluster ${cluster.scope.cluster} in ${location} has no enabled server group; deploy a first version with redblack` };
  if (!production.artifact) return { ok: false, message: `${at}: production ${production.name} does not say which artifact it runs, so no baseline can be cloned from it; deploy it again with Gennaker` };
  const baselineName = nextServerGroupName(cluster.scope.cluster, state.serverGroups, { location });
  if (!baselineName.ok) return { ok: false, message: `${at}: ${baselineName.message}` };
  const canaryName = nextServerGroupName(cluster.scope.cluster, [...state.serverGroups, { name: baselineName.name, createdTime: Number.MAX_SAFE_INTEGER }], { location });
  if (!canaryName.ok) return { ok: false, message: `${at}: ${canaryName.message}` };
  return {
    ok: true,
    state: { location, production: production.name, baseline: baselineName.name, canary: canaryName.name, config: resolved.document as Record<string, unknown>, productionArtifact: production.artifact },
  };
}

function newestEnabled(state: ClusterState) {
  return [...state.serverGroups].filter((group) => !group.disabled).sort((a, b) => b.createdTime - a.createdTime)[0];
}

/** The lifetime and the canary config: the pinned document when there is one, else as the settings name it. */
async function resolveAnalysisConfig(run: CanaryDeployContext, settings: CanaryStrategySettings, pinned: JsonObject | undefined) {
  const at = `${run.cluster.at}.canary`;
  const lifetime = parseIsoDurationMinutes(settings.lifetimeDuration);
  if (lifetime === undefined || lifetime <= 0) return { ok: false as const, message: `${at}.lifetimeDuration is '${settings.lifetimeDuration}'; set an ISO-8601 duration such as 'PT30M'` };
  const resolved = await resolveCanaryConfig(pinned !== undefined ? { config: pinned } : settings.canaryConfig, run.canary?.canaryConfigs);
  if (!resolved.ok) return { ok: false as const, message: `${at}: ${resolved.message}` };
  return { ...resolved, lifetime };
}

/** The outputs of an analysis that never judged an interval. */
function unjudged(settings: CanaryStrategySettings, progress: CanaryState): CanaryRunOutputs {
  return { canaryScores: [], overallScore: null, overallResult: 'failure', scoreThresholds: { ...settings.scoreThresholds }, controlScope: progress.baseline, experimentScope: progress.canary, intervals: [] };
}

async function analysisSpec(run: CanaryDeployContext, settings: CanaryStrategySettings, progress: CanaryState): Promise<{ ok: true; spec: CanaryAnalysisSpec } | { ok: false; message: string }> {
  const resolved = await resolveAnalysisConfig(run, settings, progress.config as JsonObject);
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
function deployOutputs(run: CanaryDeployContext, progress: CanaryState): JsonObject {
  return {
    'deploy.account.name': run.cluster.settings.account,
    'deploy.server.groups': { [progress.location]: [progress.canary] },
    deployments: [{ account: run.cluster.settings.account, location: progress.location, cluster: run.cluster.settings.cluster, serverGroup: progress.canary, sourceServerGroup: progress.production, baselineServerGroup: progress.baseline }],
  };
}
