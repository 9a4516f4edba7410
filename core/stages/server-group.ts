/**
 * The server-group stages (Orca's TargetServerGroupLinearStageSupport family):
 * `enableServerGroup`, `disableServerGroup`, `resizeServerGroup`, `destroyServerGroup`, through
 * the step executor. The first run step plans the whole stage: it resolves the target server
 * group in every location (cluster + dynamic target, or `serverGroupName`, over describeCluster)
 * and checks the traffic guards of every location before touching any; each run step then starts
 * its steps in every location, and the poll step after it (waitForUpInstances,
 * waitForDisabledServerGroup, waitForCapacityMatch, waitForDestroyedServerGroup) answers RUNNING
 * until the cluster shows them done.
 *
 * The plan is saved before the first side effect: a dynamic target is resolved once, so a deploy
 * racing the stage cannot make it act on another one, and a repeated step acts once.
 */
import type { ClusterState } from '../deploy/model.ts';
import { resolveTarget, type TargetSelector } from '../deploy/targeting.ts';
import { checkStep } from '../deploy/traffic-guards.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type {
  DestroyServerGroupStage,
  DisableServerGroupStage,
  EnableServerGroupStage,
  ResizeServerGroupStage,
} from '../pipeline/stage-types/index.ts';
import { planResize, type ResizeOptions } from '../strategies/resize.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { stageExecution, type DeployTaskDeps, type StageScope } from './deploy-scope.ts';
import { describeCluster, runSteps, type Planned, type StepDraft, type StepExecutorDeps, type StepProgress } from './step-executor.ts';
import { failed, numberFrom, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';

export type ServerGroupStage = EnableServerGroupStage | DisableServerGroupStage | ResizeServerGroupStage | DestroyServerGroupStage;

/** Each run step and the poll step that waits for it. */
const AWAITED_BY: Readonly<Record<string, string>> = {
  enableServerGroup: 'waitForUpInstances',
  disableServerGroup: 'waitForDisabledServerGroup',
  resizeServerGroup: 'waitForCapacityMatch',
  destroyServerGroup: 'waitForDestroyedServerGroup',
};

/** The runtime key of the stage's plan. */
const PLAN_KEY = 'serverGroup';

/** Runs one step of a server-group stage. */
export async function runServerGroupTask(input: TaskInput<ServerGroupStage>, deps: DeployTaskDeps, taskDeps: Pick<TaskDeps, 'children' | 'store'>, pollsLeft: number): Promise<TaskResult> {
  const acting = await stageExecution(input, deps, taskDeps);
  if (!acting.ok) return failed(acting.message);
  const { scope, executor } = acting;
  const first = input.stage.type === 'destroyServerGroup' ? 'disableServerGroup' : input.stage.type;
  return runSteps({
    input,
    key: PLAN_KEY,
    task: input.task,
    scope,
    deps: executor,
    pollsLeft,
    ...(input.task === first ? { plan: () => plan(input, executor, scope) } : {}),
    // Orca's name for the server groups a stage acted on, by location.
    context: (progress) => ({ 'deploy.server.groups': actedOn(progress) }),
  });
}

/** The server group the stage targets in one location. */
function selectorOf(input: TaskInput<ServerGroupStage>): TargetSelector | undefined {
  const context = input.record.context;
  if (typeof context.serverGroupName === 'string' && context.serverGroupName.trim() !== '') return { serverGroupName: context.serverGroupName };
  const target = input.stage.config.target;
  return target === undefined ? undefined : { target };
}

function resizeOptions(input: TaskInput<ResizeServerGroupStage>): ResizeOptions {
  const context = input.record.context;
  const capacity = typeof context.capacity === 'object' && context.capacity !== null && !Array.isArray(context.capacity) ? (context.capacity as JsonObject) : {};
  const min = numberFrom(capacity.min);
  const max = numberFrom(capacity.max);
  const desired = numberFrom(capacity.desired);
  const scalePct = numberFrom(context.scalePct);
  const scaleNum = numberFrom(context.scaleNum);
  const config = input.stage.config;
  return {
    action: config.action,
    ...(config.resizeType !== undefined ? { resizeType: config.resizeType } : {}),
    capacity: { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(desired !== undefined ? { desired } : {}) },
    ...(scalePct !== undefined ? { scalePct } : {}),
    ...(scaleNum !== undefined ? { scaleNum } : {}),
  };
}

/** The operation of a run step on the resolved server group. */
function stepFor(input: TaskInput<ServerGroupStage>, task: string, state: ClusterState, serverGroup: string): { ok: true; step: DeployStep } | { ok: false; message: string } {
  const stage = input.stage;
  switch (task) {
    case 'enableServerGroup':
      return { ok: true, step: { kind: 'enableServerGroup', serverGroup } };
    case 'disableServerGroup': {
      const percentage = stage.type === 'disableServerGroup' ? numberFrom(input.record.context.desiredPercentage) : undefined;
      return { ok: true, step: { kind: 'disableServerGroup', serverGroup, ...(percentage !== undefined ? { desiredPercentage: percentage } : {}) } };
    }
    case 'resizeServerGroup': {
      if (stage.type !== 'resizeServerGroup') break;
      const planned = planResize(state, serverGroup, resizeOptions(input as TaskInput<ResizeServerGroupStage>));
      if (!planned.ok) return planned;
      return { ok: true, step: planned.steps[0] as DeployStep };
    }
    default:
      break;
  }
  return { ok: false, message: `${stage.type} has no step '${task}'` };
}

/**
 * Resolves and checks in every location first, then plans each run step's operation there (a
 * destroy stage: its disable, then the destroy; the disable is checked as the destroy it leads
 * to, with Orca's "Destroying" message).
 */
async function plan(input: TaskInput<ServerGroupStage>, executor: StepExecutorDeps, scope: StageScope): Promise<Planned> {
  const selector = selectorOf(input);
  if (!selector) return { ok: false, message: 'set target (e.g. current_asg_dynamic) or serverGroupName' };
  const steps: StepDraft[] = [];
  const tasks = input.stage.type === 'destroyServerGroup' ? ['disableServerGroup', 'destroyServerGroup'] : [input.task];
  const perTask = new Map<string, StepDraft[]>(tasks.map((task) => [task, []]));
  for (const location of scope.locations) {
    const described = await describeCluster(executor.target, { account: scope.account, location, cluster: scope.cluster });
    if (!described.ok) return described;
    const state = described.state;
    const resolved = resolveTarget(state.serverGroups, selector, { location, cluster: scope.cluster });
    if (!resolved.ok) return resolved;
    const serverGroup = resolved.serverGroup.name;
    for (const task of tasks) {
      const built = task === 'destroyServerGroup' ? { ok: true as const, step: { kind: 'destroyServerGroup', serverGroup } as DeployStep } : stepFor(input, task, state, serverGroup);
      if (!built.ok) return built;
      perTask.get(task)!.push({ task, awaitTask: AWAITED_BY[task]!, location, step: built.step });
    }
    const checked: DeployStep = input.stage.type === 'destroyServerGroup' ? { kind: 'destroyServerGroup', serverGroup } : (perTask.get(input.task)!.at(-1) as StepDraft).step;
    const guard = checkStep(checked, state, executor.guards);
    if (!guard.ok) return guard;
  }
  for (const task of tasks) steps.push(...perTask.get(task)!);
  return { ok: true, steps };
}

/** The server groups the plan touches, by location. */
function actedOn(progress: StepProgress): Record<string, string[]> {
  const byLocation: Record<string, string[]> = {};
  for (const { location, step } of progress.steps) {
    if (!('serverGroup' in step)) continue;
    const names = (byLocation[location] ??= []);
    if (!names.includes(step.serverGroup)) names.push(step.serverGroup);
  }
  return byLocation;
}
