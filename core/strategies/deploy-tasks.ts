/**
 * Which compiled task (state machine step) runs each step of a deploy plan: the one table that
 * owns the binding of Orca's step order to the state machine. The stage binds the steps it plans
 * at run time with it, and the compiler derives a deploy stage's task list by planning over a
 * cluster that has a source server group (so every cleanup step is there) and binding that plan
 * with the same table (core/pipeline/stage-types/deploy.ts), so the two cannot disagree.
 *
 * Rolling red/black's k-th resize, its wait, validation and disable belong to the k-th
 * percentage; its wait before scale down runs inside `scaleDownCluster`; its capture, pin and the
 * zero-capacity health wait after the create belong to the tasks around the create.
 */
import { rollingPercentages, type StrategyName } from './deploy-strategies.ts';
import type { DeployStep } from './steps.ts';

/** A step's compiled task, and the later task that waits for it (the custom strategy's monitor). */
export interface TaskBinding {
  readonly task: string;
  readonly awaitTask?: string;
}

/** Tasks that start their steps and are done once the target accepted them (`run` steps of the state machine). */
export const RUN_ONCE_TASKS: ReadonlySet<string> = new Set(['createServerGroup', 'pinSourceServerGroup', 'unpinSourceServerGroup', 'startStrategyPipeline']);

/** Binds each step of a strategy's plan to its task, in plan order. */
export function bindDeployTasks(strategy: StrategyName, steps: readonly DeployStep[], targetPercentages: readonly number[] | undefined): TaskBinding[] {
  const percentages = rollingPercentages(targetPercentages);
  let resizes = 0;
  let percent = percentages[0] ?? 100;
  const rolling = strategy === 'rollingredblack';
  return steps.map((step): TaskBinding => {
    switch (step.kind) {
      case 'createServerGroup':
        return { task: 'createServerGroup' };
      case 'waitForHealthy':
        return { task: rolling ? 'createServerGroup' : 'waitForUpInstances' };
      case 'shrinkCluster':
      case 'disableCluster':
      case 'scaleDownCluster':
        return { task: step.kind };
      case 'captureCapacity':
      case 'pinServerGroup':
        return { task: 'pinSourceServerGroup' };
      case 'unpinServerGroup':
        return { task: 'unpinSourceServerGroup' };
      case 'resizeServerGroup':
        percent = percentages[resizes] ?? 100;
        resizes += 1;
        return { task: `resizeTo${percent}Percent` };
      case 'disableServerGroup':
        return { task: `disableSource${percent}Percent` };
      case 'runPipeline':
        return strategy === 'custom' ? { task: 'startStrategyPipeline', awaitTask: 'monitorStrategyPipeline' } : { task: `validate${percent}Percent` };
      case 'wait':
        if (step.label === 'Wait Before Scale Down') return { task: rolling ? 'scaleDownCluster' : 'waitBeforeScaleDown' };
        return { task: rolling ? `waitBeforeDisable${percent}Percent` : 'waitBeforeDisable' };
      case 'enableServerGroup':
      case 'destroyServerGroup':
      case 'setTrafficWeights':
      case 'continueRollout':
        // No strategy plans these; a rollback runs its steps inside the task that failed.
        return { task: `unplanned:${step.kind}` };
      default: {
        const unreachable: never = step;
        return unreachable;
      }
    }
  });
}

/** The distinct tasks of bound steps, in order of first appearance (an awaited task right after its starter's). */
export function taskOrder(bindings: readonly TaskBinding[]): string[] {
  const order: string[] = [];
  for (const binding of bindings) {
    if (!order.includes(binding.task)) order.push(binding.task);
    if (binding.awaitTask !== undefined && !order.includes(binding.awaitTask)) order.push(binding.awaitTask);
  }
  return order;
}
