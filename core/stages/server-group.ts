/**
 * The server-group stages (Orca's TargetServerGroupLinearStageSupport family):
 * `enableServerGroup`, `disableServerGroup`, `resizeServerGroup`, `destroyServerGroup`. Each run
 * step resolves the target server group in every location of the stage (cluster + dynamic
 * target, or `serverGroupName`, over describeCluster), checks the traffic guards of every
 * location before touching any, then calls the port; the poll step after it answers RUNNING
 * until describeCluster shows the target state (enabled with its instances Up, out of traffic,
 * the new capacity Up, gone).
 *
 * The resolved server groups are kept in the stage's runtime between the two steps: a dynamic
 * target is resolved once, so a deploy racing the stage cannot make it act on another one.
 */
import type { ClusterState } from '../deploy/model.ts';
import { resolveTarget, type TargetSelector } from '../deploy/targeting.ts';
import { checkStep, type TrafficGuardRule } from '../deploy/traffic-guards.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { DeployTarget } from '../ports/deploy-target.ts';
import type {
  DestroyServerGroupStage,
  DisableServerGroupStage,
  EnableServerGroupStage,
  ResizeServerGroupStage,
} from '../pipeline/stage-types/index.ts';
import { planResize, type ResizeOptions } from '../strategies/resize.ts';
import type { DeployStep } from '../strategies/steps.ts';
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

export type ServerGroupStage = EnableServerGroupStage | DisableServerGroupStage | ResizeServerGroupStage | DestroyServerGroupStage;

/** Each poll step and the run step whose operations it waits for. */
const WAITS_FOR: Readonly<Record<string, string>> = {
  waitForUpInstances: 'enableServerGroup',
  waitForDisabledServerGroup: 'disableServerGroup',
  waitForCapacityMatch: 'resizeServerGroup',
  waitForDestroyedServerGroup: 'destroyServerGroup',
};

const stepsKey = (task: string) => `serverGroupSteps:${task}`;
const startedKey = (task: string) => `serverGroupStepStartedAt:${task}`;

/** Runs one step of a server-group stage. */
export async function runServerGroupTask(input: TaskInput<ServerGroupStage>, deps: DeployTaskDeps): Promise<TaskResult> {
  const scoped = stageScope(input);
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  const found = targetFor(scope, deps, input.stage.name);
  if (!found.ok) return failed(found.message);
  const target = found.target;

  const awaited = WAITS_FOR[input.task];
  if (awaited !== undefined) return waitFor(input, target, scope, awaited);
  switch (input.task) {
    case 'enableServerGroup':
    case 'disableServerGroup':
    case 'resizeServerGroup':
      return act(input, target, scope, deps);
    case 'destroyServerGroup':
      return destroy(input, target, scope, deps);
    default:
      return failed(`stage '${input.stage.name}' (${input.stage.type}) has no step '${input.task}'`);
  }
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
function stepFor(input: TaskInput<ServerGroupStage>, state: ClusterState, serverGroup: string): { ok: true; step: DeployStep } | { ok: false; message: string } {
  const stage = input.stage;
  switch (input.task) {
    case 'enableServerGroup':
      return { ok: true, step: { kind: 'enableServerGroup', serverGroup } };
    case 'disableServerGroup': {
      const percentage = stage.type === 'disableServerGroup' ? numberFrom(input.record.context.desiredPercentage) : undefined;
      return { ok: true, step: { kind: 'disableServerGroup', serverGroup, ...(percentage !== undefined ? { desiredPercentage: percentage } : {}) } };
    }
    case 'resizeServerGroup': {
      if (stage.type !== 'resizeServerGroup') break;
      const planned = planResize(state, serverGroup, resizeOptions(input as TaskInput<ResizeServerGroupStage>));
      if (!planned.ok) return { ok: false, message: `stage '${stage.name}': ${planned.message}` };
      return { ok: true, step: planned.steps[0] as DeployStep };
    }
    default:
      break;
  }
  return { ok: false, message: `stage '${stage.name}' (${stage.type}) has no step '${input.task}'` };
}

/**
 * A run step: resolve and check in every location first, then act in each. A destroy stage's
 * disable is checked as the destroy it leads to, with Orca's "Destroying" message.
 */
async function act(input: TaskInput<ServerGroupStage>, target: DeployTarget, scope: StageScope, deps: DeployTaskDeps): Promise<TaskResult> {
  const selector = selectorOf(input);
  if (!selector) return failed(`stage '${input.stage.name}': set target (e.g. current_asg_dynamic) or serverGroupName`);
  const guards = await trafficGuardsOf(input, deps);
  const planned: Array<{ located: LocatedStep; state: ClusterState }> = [];
  for (const location of scope.locations) {
    const state = await describeState(target, scope, location);
    const resolved = resolveTarget(state.serverGroups, selector, { location, cluster: scope.cluster });
    if (!resolved.ok) return failed(`stage '${input.stage.name}': ${resolved.message}`);
    const built = stepFor(input, state, resolved.serverGroup.name);
    if (!built.ok) return failed(built.message);
    const checked: DeployStep = input.stage.type === 'destroyServerGroup' ? { kind: 'destroyServerGroup', serverGroup: resolved.serverGroup.name } : built.step;
    const guard = checkStep(checked, state, guards);
    if (!guard.ok) return failed(guard.message);
    planned.push({ located: { location, step: built.step }, state });
  }
  return startAll(input, target, scope, planned, guards);
}

/** The destroy run step: the server groups the disable step resolved, destroyed. */
async function destroy(input: TaskInput<ServerGroupStage>, target: DeployTarget, scope: StageScope, deps: DeployTaskDeps): Promise<TaskResult> {
  const disabled = locatedStepsAt(input.record.runtime, stepsKey('disableServerGroup'));
  if (!disabled) return failed(`stage '${input.stage.name}': destroyServerGroup ran before disableServerGroup resolved the server group; restart the stage`);
  const guards = await trafficGuardsOf(input, deps);
  const planned: Array<{ located: LocatedStep; state: ClusterState }> = [];
  for (const { location, step } of disabled) {
    if (!('serverGroup' in step)) continue;
    planned.push({ located: { location, step: { kind: 'destroyServerGroup', serverGroup: step.serverGroup } }, state: await describeState(target, scope, location) });
  }
  return startAll(input, target, scope, planned, guards);
}

async function startAll(
  input: TaskInput<ServerGroupStage>,
  target: DeployTarget,
  scope: StageScope,
  planned: ReadonlyArray<{ located: LocatedStep; state: ClusterState }>,
  guards: readonly TrafficGuardRule[],
): Promise<TaskResult> {
  for (const { located, state } of planned) {
    const started = await startStep(target, scope, located, state, guards);
    if (!started.ok) return failed(`stage '${input.stage.name}': ${started.message}`);
  }
  const steps = planned.map(({ located }) => located);
  return succeeded(undefined, {
    runtime: { [stepsKey(input.task)]: toJson(steps), [startedKey(input.task)]: input.now },
    // Orca's name for the server groups a stage acted on, by location.
    context: { 'deploy.server.groups': Object.fromEntries(steps.map(({ location, step }) => [location, 'serverGroup' in step ? [step.serverGroup] : []])) },
  });
}

/** A poll step: RUNNING until every location shows the awaited step's target state. */
async function waitFor(input: TaskInput<ServerGroupStage>, target: DeployTarget, scope: StageScope, awaited: string): Promise<TaskResult> {
  const steps = locatedStepsAt(input.record.runtime, stepsKey(awaited));
  if (!steps) return failed(`stage '${input.stage.name}': ${input.task} ran before ${awaited}; restart the stage`);
  const startedAt = runtimeNumber(input.record.runtime, startedKey(awaited)) ?? input.now;
  const waiting: string[] = [];
  for (const located of steps) {
    const state = await describeState(target, scope, located.location);
    const gone = vanished(located, state);
    if (gone !== undefined) return failed(`stage '${input.stage.name}': ${gone}`);
    if (!stepReached(located.step, state, input.now, startedAt)) waiting.push(describeStep(located));
  }
  if (waiting.length === 0) return succeeded(undefined, { context: { waitingFor: [] } });
  return running(pollSeconds(input.now, startedAt), { context: { waitingFor: waiting } });
}
