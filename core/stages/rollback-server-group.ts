/**
 * `rollbackServerGroup` with `rollbackType: EXPLICIT` (Orca's ExplicitRollback), through the
 * DeployTarget port: in every region, [capture the rollback server group's capacity] → enable
 * `restoreServerGroupName` → [resize it up to the rollback one's capacity] → [wait
 * `delayBeforeDisableSeconds`] → disable `rollbackServerGroupName` → [restore the captured min],
 * as planned by core/strategies/rollback.ts (`disableOnly` and `enableAndDisableOnly` shorten it).
 *
 * The stage's two poll steps split that plan at the disable: `enableRestoreServerGroup` plans
 * every region (the traffic guards checked on the whole plan first, so nothing starts when the
 * disable would be refused), keeps the plan in the stage's runtime and works through the steps
 * before the disable; `disableRollbackServerGroup` works through the rest. A step is started once
 * (guards checked again against the cluster as it is then) and awaited by describeCluster,
 * answering RUNNING in between: no call waits for the target.
 *
 * The cluster is the Frigga cluster of `rollbackServerGroupName` unless the stage names one.
 * `PREVIOUS_IMAGE` (a clone of the previous image) is not supported yet and fails saying so.
 */
import { guardedSteps, type TrafficGuardRule } from '../deploy/traffic-guards.ts';
import type { RollbackServerGroupStage } from '../pipeline/stage-types/index.ts';
import type { DeployTarget } from '../ports/deploy-target.ts';
import { planRollback, type ExplicitRollbackOptions } from '../strategies/rollback.ts';
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
import { booleanFrom, failed, numberFrom, objectAt, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

const ENABLE_TASK = 'enableRestoreServerGroup';
const DISABLE_TASK = 'disableRollbackServerGroup';

const stepsKey = (task: string) => `rollbackSteps:${task}`;
const nextKey = (task: string) => `rollbackNextStep:${task}`;
const startedKey = (task: string) => `rollbackStepStarted:${task}`;
const startedAtKey = (task: string) => `rollbackStepStartedAt:${task}`;

type Options = { ok: true; options: ExplicitRollbackOptions } | { ok: false; message: string };

/** The rollback options from the evaluated `rollbackContext`. */
function optionsOf(input: TaskInput<RollbackServerGroupStage>): Options {
  const name = input.stage.name;
  const context = objectAt(input.record.context, 'rollbackContext');
  const rollback = context.rollbackServerGroupName;
  const restore = context.restoreServerGroupName;
  const disableOnly = booleanFrom(context.disableOnly) === true;
  if (typeof rollback !== 'string' || rollback.trim() === '') {
    return { ok: false, message: `stage '${name}': rollbackContext.rollbackServerGroupName is ${JSON.stringify(rollback)}; set the server group to roll back, e.g. "hello-prod-v004"` };
  }
  if (!disableOnly && (typeof restore !== 'string' || restore.trim() === '')) {
    return { ok: false, message: `stage '${name}': rollbackContext.restoreServerGroupName is ${JSON.stringify(restore)}; set the server group to restore, e.g. "hello-prod-v003"` };
  }
  if (restore === rollback) return { ok: false, message: `stage '${name}': rollbackContext restores ${rollback} and rolls it back too; restoreServerGroupName must be another server group of the cluster` };
  const healthy = numberFrom(context.targetHealthyRollbackPercentage);
  const delay = numberFrom(context.delayBeforeDisableSeconds);
  if (delay !== undefined && delay < 0) return { ok: false, message: `stage '${name}': rollbackContext.delayBeforeDisableSeconds is ${delay}; give 0 or more seconds` };
  return {
    ok: true,
    options: {
      rollbackServerGroupName: rollback,
      restoreServerGroupName: typeof restore === 'string' ? restore : '',
      disableOnly,
      enableAndDisableOnly: booleanFrom(context.enableAndDisableOnly) === true,
      ...(healthy !== undefined ? { targetHealthyRollbackPercentage: healthy } : {}),
      ...(delay !== undefined ? { delayBeforeDisableSeconds: delay } : {}),
    },
  };
}

/** Runs one step of a rollbackServerGroup stage. */
export async function runRollbackServerGroupTask(input: TaskInput<RollbackServerGroupStage>, deps: DeployTaskDeps): Promise<TaskResult> {
  const name = input.stage.name;
  const rollbackType = input.record.context.rollbackType ?? input.stage.config.rollbackType;
  if (rollbackType !== 'EXPLICIT') {
    return failed(`stage '${name}': rollbackType ${JSON.stringify(rollbackType)} is not supported yet; use EXPLICIT with rollbackContext.restoreServerGroupName, or a rollbackCluster stage`);
  }
  if (input.task !== ENABLE_TASK && input.task !== DISABLE_TASK) return failed(`stage '${name}' (rollbackServerGroup) has no step '${input.task}'`);
  const parsed = optionsOf(input);
  if (!parsed.ok) return failed(parsed.message);
  const options = parsed.options;
  const context = input.record.context;
  // The cluster is the rollback server group's, unless the stage names one.
  const scoped = stageScope({ ...input, record: { ...input.record, context: { ...context, serverGroupName: options.rollbackServerGroupName } } });
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  const found = targetFor(scope, deps, name);
  if (!found.ok) return failed(found.message);
  const guards = await trafficGuardsOf(input, deps);

  let runtime: Record<string, unknown> = {};
  let steps = locatedStepsAt(input.record.runtime, stepsKey(input.task));
  if (!steps) {
    if (input.task === DISABLE_TASK) return failed(`stage '${name}': ${DISABLE_TASK} ran before ${ENABLE_TASK} planned the rollback; restart the stage`);
    const planned = await plan(found.target, scope, options, guards);
    if (!planned.ok) return failed(`stage '${name}': ${planned.message}`);
    runtime = { [stepsKey(ENABLE_TASK)]: toJson(planned.enable), [stepsKey(DISABLE_TASK)]: toJson(planned.disable) };
    steps = planned.enable;
  }
  const result = await work(input, found.target, scope, guards, steps);
  const acted = Object.fromEntries(scope.locations.map((location) => [location, [options.restoreServerGroupName, options.rollbackServerGroupName].filter((serverGroup) => serverGroup !== '')]));
  return { ...result, runtime: { ...runtime, ...result.runtime }, context: { ...result.context, 'deploy.server.groups': acted } };
}

type Planned = { ok: true; enable: LocatedStep[]; disable: LocatedStep[] } | { ok: false; message: string };

/** Plans every location and checks the guards on each whole plan; splits it at the disable. */
async function plan(target: DeployTarget, scope: StageScope, options: ExplicitRollbackOptions, guards: readonly TrafficGuardRule[]): Promise<Planned> {
  const enable: LocatedStep[] = [];
  const disable: LocatedStep[] = [];
  for (const location of scope.locations) {
    const state = await describeState(target, scope, location);
    const planned = planRollback(state, options);
    if (!planned.ok) return planned;
    const guarded = guardedSteps(planned.steps, state, guards);
    if (!guarded.ok) return guarded;
    const split = planned.steps.findIndex((step) => step.kind === 'disableServerGroup' && step.serverGroup === options.rollbackServerGroupName);
    const at = split < 0 ? planned.steps.length : split;
    enable.push(...planned.steps.slice(0, at).map((step) => ({ location, step })));
    disable.push(...planned.steps.slice(at).map((step) => ({ location, step })));
  }
  return { ok: true, enable, disable };
}

/** Works through this task's steps in order: start one, wait until the cluster shows it, move on. */
async function work(input: TaskInput<RollbackServerGroupStage>, target: DeployTarget, scope: StageScope, guards: readonly TrafficGuardRule[], steps: readonly LocatedStep[]): Promise<TaskResult> {
  const task = input.task;
  const runtime = input.record.runtime;
  let next = runtimeNumber(runtime, nextKey(task)) ?? 0;
  let started = runtime[startedKey(task)] === true;
  let stepStartedAt = runtimeNumber(runtime, startedAtKey(task)) ?? input.now;
  const progress = () => ({ [nextKey(task)]: next, [startedKey(task)]: started, [startedAtKey(task)]: stepStartedAt });
  const name = input.stage.name;

  while (next < steps.length) {
    const located = steps[next] as LocatedStep;
    let state = await describeState(target, scope, located.location);
    if (!started) {
      const outcome = await startStep(target, scope, located, state, guards);
      if (!outcome.ok) return failed(`stage '${name}': ${outcome.message}`, { runtime: progress() });
      started = true;
      stepStartedAt = input.now;
      state = await describeState(target, scope, located.location);
    }
    const gone = vanished(located, state);
    if (gone !== undefined) return failed(`stage '${name}': ${gone}`, { runtime: progress() });
    if (!stepReached(located.step, state, input.now, stepStartedAt)) {
      return running(pollSeconds(input.now, stepStartedAt), { runtime: progress(), context: { waitingFor: [describeStep(located)] } });
    }
    next += 1;
    started = false;
  }
  return succeeded(undefined, { runtime: progress(), context: { waitingFor: [] } });
}
