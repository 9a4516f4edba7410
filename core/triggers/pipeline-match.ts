/**
 * `pipeline` triggers: a completed execution starts the pipelines whose trigger names its
 * pipeline config and lists its final status, mapped as Orca's DependentPipelineExecutionListener
 * does: SUCCEEDED → successful, CANCELED → canceled, SUSPENDED → suspended, anything else → failed.
 */
import type { ExecutionStatus } from '../execution/status.ts';
import type { Pipeline } from '../pipeline/model.ts';
import type { PipelineTrigger, PipelineTriggerStatus } from '../pipeline/triggers/index.ts';
import type { PipelineExecutionCompleted } from '../ports/event-bus.ts';
import type { TriggerMatch } from './match.ts';
import { keyPart, matchFirstTriggers, pipelineRef, publicTriggerFields } from './match.ts';

/** The trigger status an execution's final status counts as. */
export function triggerStatusOf(status: ExecutionStatus): PipelineTriggerStatus {
  switch (status) {
    case 'SUCCEEDED':
      return 'successful';
    case 'CANCELED':
      return 'canceled';
    case 'SUSPENDED':
      return 'suspended';
    default:
      return 'failed';
  }
}

/** The pipelines a completed execution starts. */
export function matchPipelineTrigger(pipelines: readonly Pipeline[], completed: PipelineExecutionCompleted): TriggerMatch<PipelineTrigger>[] {
  const status = triggerStatusOf(completed.status);
  return matchFirstTriggers<PipelineTrigger, true>(pipelines, 'pipeline', (trigger) =>
    trigger.config.pipeline === completed.pipelineConfigId && trigger.config.status.includes(status) ? true : undefined,
  ).map(({ pipeline, definition }) => ({
    pipeline,
    definition,
    idempotencyKey: ['pipeline', keyPart(completed.executionId), keyPart(pipelineRef(pipeline))].join(':'),
    trigger: {
      ...publicTriggerFields(definition),
      type: 'pipeline',
      user: '[pipeline]',
      parentPipelineId: completed.pipelineConfigId,
      parentPipelineName: completed.pipelineName,
      parentPipelineApplication: completed.application,
      parentStatus: completed.status,
      parentExecution: {
        id: completed.executionId,
        application: completed.application,
        name: completed.pipelineName,
        pipelineConfigId: completed.pipelineConfigId,
        status: completed.status,
        endTime: completed.endTime,
      },
      parameters: {},
      artifacts: [],
    },
  }));
}
