/**
 * `continueServiceDeployment` through the step executor: the run step plans, once, which paused
 * rollout it answers in each region — the cluster's server group whose rollout waits
 * (`CloudRollout.paused`), or `serverGroupName` — and saves its pause id before any call, so a
 * repeated step answers that pause only, never a later one. Then it continues or rolls back
 * (ServerGroupPort.continueRollout); the poll step waits until the rollout moved past that pause
 * (continue) or traffic is back on the previous version (rollback).
 */
import type { ContinueServiceDeploymentStage } from '../pipeline/stage-types/index.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { stageExecution, type DeployTaskDeps, type StageScope } from './deploy-scope.ts';
import { describeCluster, runSteps, type Planned, type StepDraft, type StepExecutorDeps, type StepProgress } from './step-executor.ts';
import { failed, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';

/** The runtime key of the stage's plan. */
const PLAN_KEY = 'rollout';
const RUN_TASK = 'continueServiceDeployment';
const WAIT_TASK = 'waitForServiceDeployment';

/** Runs one step of a continueServiceDeployment stage. */
export async function runContinueServiceDeploymentTask(
  input: TaskInput<ContinueServiceDeploymentStage>,
  deps: DeployTaskDeps,
  taskDeps: Pick<TaskDeps, 'children' | 'store'>,
  pollsLeft: number,
): Promise<TaskResult> {
  const acting = await stageExecution(input, deps, taskDeps);
  if (!acting.ok) return failed(acting.message);
  const { scope, executor } = acting;
  return runSteps({
    input,
    key: PLAN_KEY,
    task: input.task,
    scope,
    deps: executor,
    pollsLeft,
    ...(input.task === RUN_TASK ? { plan: () => plan(input, executor, scope) } : {}),
    context: (progress) => ({ 'deploy.server.groups': answered(progress) }),
    outputs: (progress) => ({ 'deploy.server.groups': answered(progress) }),
  });
}

/** One continueRollout step per region, on the server group whose rollout waits there. */
async function plan(input: TaskInput<ContinueServiceDeploymentStage>, executor: StepExecutorDeps, scope: StageScope): Promise<Planned> {
  const action = input.stage.config.action;
  const named = typeof input.record.context.serverGroupName === 'string' && input.record.context.serverGroupName.trim() !== '' ? input.record.context.serverGroupName : undefined;
  const steps: StepDraft[] = [];
  for (const location of scope.locations) {
    const described = await describeCluster(executor.target, { account: scope.account, location, cluster: scope.cluster });
    if (!described.ok) return described;
    const groups = described.state.serverGroups.filter((group) => (named === undefined ? group.rollout?.state === 'paused' : group.name === named));
    const where = `cluster '${scope.cluster}' in ${location}`;
    if (named !== undefined && groups.length === 0) return { ok: false, message: `serverGroupName '${named}' is not in ${where}; name a server group of it, or leave serverGroupName out` };
    const group = groups[groups.length - 1];
    if (group === undefined) {
      const rollouts = described.state.serverGroups.filter((candidate) => candidate.rollout !== undefined).map((candidate) => `${candidate.name} ${candidate.rollout!.state}${candidate.rollout!.stage ? ` at ${candidate.rollout!.stage}` : ''}`);
      const seen = rollouts.length > 0 ? ` (${rollouts.join(', ')})` : ' (no deployment of its own there)';
      return { ok: false, message: `no deployment of ${where} waits at a lifecycle hook${seen}; deploy with ecsNativeDeployment.pauseAt naming the lifecycle stage to wait at, and run this stage while it waits` };
    }
    if (group.rollout?.state !== 'paused' || group.rollout.pauseId === undefined) {
      return { ok: false, message: `the deployment of ${group.name} in ${location} does not wait at a lifecycle hook (it is ${group.rollout?.state ?? 'not a deployment of its own'}); run this stage while it waits` };
    }
    steps.push({ task: RUN_TASK, awaitTask: WAIT_TASK, location, step: { kind: 'continueRollout', serverGroup: group.name, pauseId: group.rollout.pauseId, action } });
  }
  return { ok: true, steps };
}

/** The server groups answered, by region (Orca's `deploy.server.groups`). */
function answered(progress: StepProgress): JsonObject {
  const byLocation: Record<string, string[]> = {};
  for (const { location, step } of progress.steps) if ('serverGroup' in step) (byLocation[location] ??= []).push(step.serverGroup);
  return byLocation;
}
