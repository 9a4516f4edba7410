/**
 * `rollbackServerGroup` with `rollbackType: EXPLICIT` (Orca's ExplicitRollback), through the
 * step executor: in every region, [capture the rollback server group's capacity] → enable
 * `restoreServerGroupName` → [resize it up to the rollback one's capacity] → [wait
 * `delayBeforeDisableSeconds`] → disable `rollbackServerGroupName` → [restore the captured min],
 * as planned by core/strategies/rollback.ts (`disableOnly` and `enableAndDisableOnly` shorten it).
 *
 * The stage's two poll steps split that plan at the disable: `enableRestoreServerGroup` plans
 * every region (the traffic guards checked on the whole plan first, so nothing starts when the
 * disable would be refused) and works through the steps before the disable;
 * `disableRollbackServerGroup` works through the rest.
 *
 * The cluster is the Frigga cluster of `rollbackServerGroupName` unless the stage names one.
 * `PREVIOUS_IMAGE` (a clone of the previous image) is not supported yet and fails saying so.
 */
import { guardedSteps } from '../deploy/traffic-guards.ts';
import type { RollbackServerGroupStage } from '../pipeline/stage-types/index.ts';
import { planRollback, type ExplicitRollbackOptions } from '../strategies/rollback.ts';
import { stageExecution, type DeployTaskDeps, type StageScope } from './deploy-scope.ts';
import { describeCluster, runSteps, type Planned, type StepDraft, type StepExecutorDeps } from './step-executor.ts';
import { booleanFrom, failed, numberFrom, objectAt, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';

const ENABLE_TASK = 'enableRestoreServerGroup';
const DISABLE_TASK = 'disableRollbackServerGroup';

/** The runtime key of the stage's plan. */
const PLAN_KEY = 'rollback';

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
export async function runRollbackServerGroupTask(input: TaskInput<RollbackServerGroupStage>, deps: DeployTaskDeps, taskDeps: Pick<TaskDeps, 'children' | 'store'>, pollsLeft: number): Promise<TaskResult> {
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
  const acting = await stageExecution({ ...input, record: { ...input.record, context: { ...context, serverGroupName: options.rollbackServerGroupName } } }, deps, taskDeps);
  if (!acting.ok) return failed(acting.message);
  const { scope, executor } = acting;
  const acted = Object.fromEntries(scope.locations.map((location) => [location, [options.restoreServerGroupName, options.rollbackServerGroupName].filter((serverGroup) => serverGroup !== '')]));
  return runSteps({
    input,
    key: PLAN_KEY,
    task: input.task,
    scope,
    deps: executor,
    pollsLeft,
    ...(input.task === ENABLE_TASK ? { plan: () => plan(executor, scope, options) } : {}),
    context: () => ({ 'deploy.server.groups': acted }),
  });
}

/** Plans every location and checks the guards on each whole plan; splits it at the disable. */
async function plan(executor: StepExecutorDeps, scope: StageScope, options: ExplicitRollbackOptions): Promise<Planned> {
  const enable: StepDraft[] = [];
  const disable: StepDraft[] = [];
  for (const location of scope.locations) {
    const described = await describeCluster(executor.target, { account: scope.account, location, cluster: scope.cluster });
    if (!described.ok) return described;
    const state = described.state;
    const planned = planRollback(state, options);
    if (!planned.ok) return planned;
    const guarded = guardedSteps(planned.steps, state, executor.guards);
    if (!guarded.ok) return guarded;
    const split = planned.steps.findIndex((step) => step.kind === 'disableServerGroup' && step.serverGroup === options.rollbackServerGroupName);
    const at = split < 0 ? planned.steps.length : split;
    enable.push(...planned.steps.slice(0, at).map((step) => ({ task: ENABLE_TASK, location, step })));
    disable.push(...planned.steps.slice(at).map((step) => ({ task: DISABLE_TASK, location, step })));
  }
  return { ok: true, steps: [...enable, ...disable] };
}
