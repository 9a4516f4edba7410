/**
 * Spinnaker's Lambda stages (reference/cloud-targets.md §4): one entry for the stage runner,
 * dispatching by stage type (each type under both of its names) to its tasks.
 */
import { GennakerError } from '../errors.ts';
import type { LambdaStage } from '../pipeline/stage-types/index.ts';
import type { LambdaTaskDeps } from './lambda-common.ts';
import { runLambdaDeleteTask } from './lambda-delete.ts';
import { runLambdaDeploymentTask } from './lambda-deployment.ts';
import { runLambdaInvokeTask } from './lambda-invoke.ts';
import { runLambdaTrafficRoutingTask } from './lambda-traffic-routing.ts';
import { runLambdaUpdateCodeTask } from './lambda-update-code.ts';
import type { TaskInput, TaskResult } from './task-result.ts';

export type { LambdaTaskDeps } from './lambda-common.ts';

/** Runs one task of a Lambda stage. */
export function runLambdaTask(input: TaskInput<LambdaStage>, deps: LambdaTaskDeps): Promise<TaskResult> {
  const stage = input.stage;
  switch (stage.type) {
    case 'Aws.LambdaDeploymentStage':
    case 'lambdaDeployment':
      return runLambdaDeploymentTask(input as TaskInput<typeof stage>, deps);
    case 'Aws.LambdaUpdateCodeStage':
    case 'lambdaUpdateCode':
      return runLambdaUpdateCodeTask(input as TaskInput<typeof stage>, deps);
    case 'Aws.LambdaTrafficRoutingStage':
    case 'lambdaTrafficRouting':
      return runLambdaTrafficRoutingTask(input as TaskInput<typeof stage>, deps);
    case 'Aws.LambdaInvokeStage':
    case 'lambdaInvoke':
      return runLambdaInvokeTask(input as TaskInput<typeof stage>, deps);
    case 'Aws.LambdaDeleteStage':
    case 'lambdaDelete':
      return runLambdaDeleteTask(input as TaskInput<typeof stage>, deps);
    default: {
      const unknown: never = stage;
      throw new GennakerError('Gennaker.InvariantViolated', `not a Lambda stage: ${JSON.stringify((unknown as { type: string }).type)}`);
    }
  }
}
