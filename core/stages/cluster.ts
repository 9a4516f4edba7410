/**
 * The cluster stages: `disableCluster`, `scaleDownCluster`, `shrinkCluster` (Orca's
 * AbstractClusterWideClouddriverTask family) and `rollbackCluster`. Each is one poll step. Its
 * first call plans every location from the cluster as it is then (core/strategies), checks the
 * traffic guards on the whole plan (cluster-wide steps with Orca's "Running ... on" message),
 * and keeps the plan in the stage's runtime; every call then works through the plan in order,
 * starting a step once (guards checked again against the cluster as it is now) and moving on
 * when describeCluster shows its target state, answering RUNNING while one is not there yet.
 * No call waits for a cloud; a plan survives a retried or redelivered call.
 */
import { emptyClusterMessage } from '../deploy/rollback-request.ts';
import { guardedSteps, checkStep, type TrafficGuardRule } from '../deploy/traffic-guards.ts';
import type { DisableClusterStage, RollbackClusterStage, ScaleDownClusterStage, ShrinkClusterStage } from '../pipeline/stage-types/index.ts';
import type { DeployTarget } from '../ports/deploy-target.ts';
import { expandStep } from '../strategies/cluster-cleanup.ts';
import { planRollbackCluster } from '../strategies/rollback.ts';
import type { DeployStep } from '../strategies/steps.ts';
import type { ClusterState } from '../deploy/model.ts';
import {
  describeState,
  describeStep,
  locatedStepsAt,
  pollSeconds,
  runtimeNumber,
  stageScope,
  startStep,
  stepReached,
  targetFor,
  toJson,
  trafficGuardsOf,
  vanished,
  type DeployTaskDeps,
  type LocatedStep,
  type StageScope,
} from './deploy-steps.ts';
import { failed, numberFrom, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

export type ClusterStage = DisableClusterStage | ScaleDownClusterStage | ShrinkClusterStage | RollbackClusterStage;

/** Runtime keys: the plan, the next step, whether it was started and when, when the stage began. */
const PLAN = 'clusterSteps';
const NEXT = 'clusterNextStep';
const STARTED = 'clusterStepStarted';
const STEP_STARTED_AT = 'clusterStepStartedAt';
const PLANNED_AT = 'clusterPlannedAt';

type Planned = { ok: true; steps: LocatedStep[]; skipped: string[] } | { ok: false; message: string };

/** Runs the one step of a cluster stage (see the module comment). */
export async function runClusterTask(input: TaskInput<ClusterStage>, deps: DeployTaskDeps): Promise<TaskResult> {
  const scoped = stageScope(input);
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  const found = targetFor(scope, deps, input.stage.name);
  if (!found.ok) return failed(found.message);
  const target = found.target;
  const guards = await trafficGuardsOf(input, deps);

  const runtime = input.record.runtime;
  let steps = locatedStepsAt(runtime, PLAN);
  let skipped: string[] = [];
  if (!steps) {
    const planned = await plan(input, target, scope, guards);
    if (!planned.ok) return failed(`stage '${input.stage.name}': ${planned.message}`);
    steps = planned.steps;
    skipped = planned.skipped;
  }
  const plannedAt = runtimeNumber(runtime, PLANNED_AT) ?? input.now;
  let next = runtimeNumber(runtime, NEXT) ?? 0;
  let started = runtime[STARTED] === true;
  let stepStartedAt = runtimeNumber(runtime, STEP_STARTED_AT) ?? input.now;
  const progress = () => ({ [PLAN]: toJson(steps), [NEXT]: next, [STARTED]: started, [STEP_STARTED_AT]: stepStartedAt, [PLANNED_AT]: plannedAt });
  const context = {
    'deploy.server.groups': actedOn(steps),
    ...(skipped.length > 0 ? { skippedReasons: skipped } : {}),
  };

  while (next < steps.length) {
    const located = steps[next] as LocatedStep;
    let state = await describeState(target, scope, located.location);
    if (!started) {
      const outcome = await startStep(target, scope, located, state, guards);
      if (!outcome.ok) return failed(`stage '${input.stage.name}': ${outcome.message}`, { runtime: progress(), context });
      started = true;
      stepStartedAt = input.now;
      state = await describeState(target, scope, located.location);
    }
    const gone = vanished(located, state);
    if (gone !== undefined) return failed(`stage '${input.stage.name}': ${gone}`, { runtime: progress(), context });
    if (!stepReached(located.step, state, input.now, stepStartedAt)) {
      return running(pollSeconds(input.now, stepStartedAt), { runtime: progress(), context: { ...context, waitingFor: [describeStep(located)] } });
    }
    next += 1;
    started = false;
  }
  return succeeded(undefined, { runtime: progress(), context: { ...context, waitingFor: [] } });
}

/** The cluster-wide step of a cleanup stage, from its config. */
function clusterStep(stage: DisableClusterStage | ScaleDownClusterStage | ShrinkClusterStage): DeployStep {
  switch (stage.type) {
    case 'disableCluster':
      return { kind: 'disableCluster', remainingEnabledServerGroups: stage.config.remainingEnabledServerGroups, preferLargerOverNewer: stage.config.preferLargerOverNewer };
    case 'scaleDownCluster':
      return {
        kind: 'scaleDownCluster',
        remainingFullSizeServerGroups: stage.config.remainingFullSizeServerGroups,
        allowScaleDownActive: stage.config.allowScaleDownActive,
        preferLargerOverNewer: stage.config.preferLargerOverNewer,
      };
    case 'shrinkCluster':
      return { kind: 'shrinkCluster', shrinkToSize: stage.config.shrinkToSize, allowDeleteActive: stage.config.allowDeleteActive, retainLargerOverNewer: stage.config.retainLargerOverNewer };
    default: {
      const unreachable: never = stage;
      return unreachable;
    }
  }
}

/** Plans every location, checking the traffic guards on each location's whole plan first. */
async function plan(input: TaskInput<ClusterStage>, target: DeployTarget, scope: StageScope, guards: readonly TrafficGuardRule[]): Promise<Planned> {
  const steps: LocatedStep[] = [];
  const skipped: string[] = [];
  const stage = input.stage;
  let serverGroups = 0;
  for (const [index, location] of scope.locations.entries()) {
    const state: ClusterState = await describeState(target, scope, location);
    serverGroups += state.serverGroups.length;
    if (stage.type === 'rollbackCluster') {
      const healthy = stage.config.targetHealthyRollbackPercentage;
      const planned = planRollbackCluster(state, healthy !== undefined ? { targetHealthyRollbackPercentage: healthy } : {});
      if (!planned.ok) return planned;
      if (planned.skipped !== undefined) skipped.push(planned.skipped);
      const guarded = guardedSteps(planned.steps, state, guards);
      if (!guarded.ok) return guarded;
      // Orca's waitTimeBetweenRegions: a pause before every region but the first.
      const between = numberFrom(input.record.context.waitTimeBetweenRegions);
      if (index > 0 && between !== undefined && between > 0 && planned.steps.length > 0) {
        steps.push({ location, step: { kind: 'wait', seconds: between, label: 'waitTimeBetweenRegions' } });
      }
      steps.push(...planned.steps.map((step) => ({ location, step })));
      continue;
    }
    const wide = clusterStep(stage);
    const guard = checkStep(wide, state, guards);
    if (!guard.ok) return guard;
    steps.push(...expandStep(wide, state).map((step) => ({ location, step })));
  }
  // A rollback of a cluster that is not there (a typo, mid-incident) must not pass for done.
  if (stage.type === 'rollbackCluster' && serverGroups === 0) return { ok: false, message: emptyClusterMessage({ account: scope.account, cluster: scope.cluster, regions: scope.locations }) };
  return { ok: true, steps, skipped };
}

/** The server groups the plan touches, by location (Orca's `deploy.server.groups`). */
function actedOn(steps: readonly LocatedStep[]): Record<string, string[]> {
  const byLocation: Record<string, string[]> = {};
  for (const { location, step } of steps) {
    if (!('serverGroup' in step) || step.kind === 'captureCapacity') continue;
    const names = (byLocation[location] ??= []);
    if (!names.includes(step.serverGroup)) names.push(step.serverGroup);
  }
  return byLocation;
}
