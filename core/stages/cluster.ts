/**
 * The cluster stages: `disableCluster`, `scaleDownCluster`, `shrinkCluster` (Orca's
 * AbstractClusterWideClouddriverTask family) and `rollbackCluster`, through the step executor.
 * Each is one poll step. Its first call plans every location from the cluster as it is then
 * (core/strategies) and checks the traffic guards (cluster-wide steps with Orca's "Running ...
 * on" message); the executor saves the plan, expands a cluster-wide step when it starts, and
 * works through the steps, answering RUNNING while one is not done yet.
 */
import { emptyClusterMessage } from '../deploy/rollback-request.ts';
import { guardedSteps, checkStep } from '../deploy/traffic-guards.ts';
import type { DisableClusterStage, RollbackClusterStage, ScaleDownClusterStage, ShrinkClusterStage } from '../pipeline/stage-types/index.ts';
import { planRollbackCluster } from '../strategies/rollback.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { stageExecution, type DeployTaskDeps, type StageScope } from './deploy-scope.ts';
import { describeCluster, runSteps, type Planned, type StepDraft, type StepExecutorDeps, type StepProgress } from './step-executor.ts';
import { failed, numberFrom, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';

export type ClusterStage = DisableClusterStage | ScaleDownClusterStage | ShrinkClusterStage | RollbackClusterStage;

/** The runtime key of the stage's plan. */
const PLAN_KEY = 'cluster';

/** Runs the one step of a cluster stage (see the module comment). */
export async function runClusterTask(input: TaskInput<ClusterStage>, deps: DeployTaskDeps, taskDeps: Pick<TaskDeps, 'children' | 'store'>, pollsLeft: number): Promise<TaskResult> {
  const acting = await stageExecution(input, deps, taskDeps);
  if (!acting.ok) return failed(acting.message);
  const { scope, executor } = acting;
  const skipped: string[] = [];
  return runSteps({
    input,
    key: PLAN_KEY,
    task: input.task,
    scope,
    deps: executor,
    pollsLeft,
    plan: () => plan(input, executor, scope, skipped),
    context: (progress) => ({ 'deploy.server.groups': actedOn(progress), ...(skipped.length > 0 ? { skippedReasons: skipped } : {}) }),
  });
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

/**
 * Plans every location. A rollback is planned step by step and its guards checked on the whole
 * plan first; a cleanup stage plans its one cluster-wide step, which the executor expands (and
 * checks) against the cluster as it is when the step starts, as Orca's tasks do.
 */
async function plan(input: TaskInput<ClusterStage>, executor: StepExecutorDeps, scope: StageScope, skipped: string[]): Promise<Planned> {
  const steps: StepDraft[] = [];
  const stage = input.stage;
  let serverGroups = 0;
  for (const [index, location] of scope.locations.entries()) {
    const described = await describeCluster(executor.target, { account: scope.account, location, cluster: scope.cluster });
    if (!described.ok) return described;
    const state = described.state;
    serverGroups += state.serverGroups.length;
    if (stage.type === 'rollbackCluster') {
      const healthy = stage.config.targetHealthyRollbackPercentage;
      const planned = planRollbackCluster(state, healthy !== undefined ? { targetHealthyRollbackPercentage: healthy } : {});
      if (!planned.ok) return planned;
      if (planned.skipped !== undefined) skipped.push(planned.skipped);
      const guarded = guardedSteps(planned.steps, state, executor.guards);
      if (!guarded.ok) return guarded;
      // Orca's waitTimeBetweenRegions: a pause before every region but the first.
      const between = numberFrom(input.record.context.waitTimeBetweenRegions);
      if (index > 0 && between !== undefined && between > 0 && planned.steps.length > 0) {
        steps.push({ task: input.task, location, step: { kind: 'wait', seconds: between, label: 'waitTimeBetweenRegions' } });
      }
      steps.push(...planned.steps.map((step) => ({ task: input.task, location, step })));
      continue;
    }
    const wide = clusterStep(stage);
    // Refused before anything is planned: Orca fails the stage at once.
    const guard = checkStep(wide, state, executor.guards);
    if (!guard.ok) return guard;
    steps.push({ task: input.task, location, step: wide });
  }
  // A rollback of a cluster that is not there (a typo, mid-incident) must not pass for done.
  if (stage.type === 'rollbackCluster' && serverGroups === 0) return { ok: false, message: emptyClusterMessage({ account: scope.account, cluster: scope.cluster, regions: scope.locations }) };
  return { ok: true, steps };
}

/** The server groups the plan touches, by location (Orca's `deploy.server.groups`). */
function actedOn(progress: StepProgress): Record<string, string[]> {
  const byLocation: Record<string, string[]> = {};
  for (const { location, step } of progress.steps) {
    if (!('serverGroup' in step) || step.kind === 'captureCapacity') continue;
    const names = (byLocation[location] ??= []);
    if (!names.includes(step.serverGroup)) names.push(step.serverGroup);
  }
  return byLocation;
}
