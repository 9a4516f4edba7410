/**
 * `pipeline` (Orca's PipelineStage): starts a child pipeline through the ChildPipelines port
 * with the evaluated `pipelineParameters`, keeps the child's `executionId` in the context, and,
 * with `waitForCompletion` (default true), polls the child's status from the store. The child
 * SUCCEEDED → this stage SUCCEEDED with outputs {executionId, status}; any other end → the
 * stage fails under its failure policy.
 */
import { isComplete } from '../execution/status.ts';
import type { PipelineStage } from '../pipeline/stage-types/index.ts';
import { backoffSeconds } from './polling.ts';
import { failed, objectAt, running, succeeded, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';

/** The `startPipeline` step. Idempotent: a child already recorded is not started again. */
export async function runStartPipeline(input: TaskInput<PipelineStage>, deps: TaskDeps): Promise<TaskResult> {
  const known = input.record.context.executionId;
  const done = (executionId: string) =>
    input.stage.config.waitForCompletion ? succeeded(undefined, { context: { executionId } }) : succeeded({ executionId }, { context: { executionId } });
  if (typeof known === 'string' && known !== '') return done(known);
  const context = input.record.context;
  const application = typeof context.application === 'string' ? context.application : input.stage.config.application;
  const pipeline = typeof context.pipeline === 'string' ? context.pipeline : input.stage.config.pipeline;
  const user = input.execution.trigger.user;
  const started = await deps.children.start({
    application,
    pipeline,
    parameters: objectAt(context, 'pipelineParameters'),
    parentExecutionId: input.execution.id,
    parentStageId: input.record.id,
    ...(typeof user === 'string' ? { user } : {}),
  });
  if (!started.ok) return failed(`stage '${input.stage.name}' could not start pipeline '${pipeline}' of application '${application}': ${started.message}`);
  return done(started.executionId);
}

/** The `monitorPipeline` step: polls the child's status with proportional backoff. */
export async function runMonitorPipeline(input: TaskInput<PipelineStage>, deps: TaskDeps): Promise<TaskResult> {
  const executionId = input.record.context.executionId;
  if (typeof executionId !== 'string' || executionId === '') {
    return failed(`stage '${input.stage.name}' has no child executionId to monitor; the startPipeline step did not record one`);
  }
  const child = await deps.store.getExecution(executionId);
  if (!child) return failed(`stage '${input.stage.name}': child execution ${executionId} does not exist`);
  if (!isComplete(child.status)) return running(backoffSeconds(input.now - (input.record.startTime ?? input.now)));
  const outputs = { executionId, status: child.status };
  if (child.status === 'SUCCEEDED') return succeeded(outputs);
  return failed(`child pipeline '${child.name}' (execution ${executionId}) ended ${child.status}`, { context: { childStatus: child.status } });
}
