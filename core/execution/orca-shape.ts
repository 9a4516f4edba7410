/**
 * An execution in Orca's shape (`reference/spinnaker.md` §1.12, what `GET /pipelines/{id}`
 * returns), so tools written against Spinnaker's API read Gennaker's executions unchanged.
 * Pure: the store's record in, plain JSON out.
 */
import type { Execution, JsonObject, PauseDetails, StageRecord } from '../ports/execution-store.ts';
import type { ExecutionStatus } from './status.ts';
import { syntheticStagesOf } from './synthetic-stages.ts';

export interface OrcaStage {
  readonly id: string;
  readonly refId: string;
  readonly type: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly context: JsonObject;
  readonly outputs: JsonObject;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly requisiteStageRefIds: readonly string[];
  readonly parentStageId?: string;
  readonly syntheticStageOwner?: 'STAGE_BEFORE' | 'STAGE_AFTER';
  readonly lastModified: number;
}

export interface OrcaExecution {
  readonly id: string;
  readonly type: 'PIPELINE';
  readonly application: string;
  readonly name: string;
  readonly pipelineConfigId: string;
  readonly status: ExecutionStatus;
  readonly buildTime: number;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly canceled: boolean;
  readonly canceledBy: string | null;
  readonly cancellationReason: string | null;
  readonly limitConcurrent: boolean;
  readonly keepWaitingPipelines: boolean;
  readonly maxConcurrentExecutions: number;
  readonly paused?: PauseDetails;
  readonly origin?: string;
  readonly trigger: JsonObject;
  readonly stages: readonly OrcaStage[];
}

/**
 * The execution document as Orca serializes it: absent times are `null`, as in Orca's JSON, and
 * every sub-step of a stage that changes a cluster is there as a synthetic stage.
 */
export function toOrcaExecution(execution: Execution): OrcaExecution {
  return {
    id: execution.id,
    type: 'PIPELINE',
    application: execution.application,
    name: execution.name,
    pipelineConfigId: execution.pipelineConfigId,
    status: execution.status,
    buildTime: execution.buildTime,
    startTime: execution.startTime ?? null,
    endTime: execution.endTime ?? null,
    canceled: execution.canceled,
    canceledBy: execution.canceledBy ?? null,
    cancellationReason: execution.cancellationReason ?? null,
    limitConcurrent: execution.limitConcurrent,
    keepWaitingPipelines: execution.keepWaitingPipelines,
    maxConcurrentExecutions: execution.maxConcurrentExecutions,
    ...(execution.paused !== undefined ? { paused: execution.paused } : {}),
    ...(execution.origin !== undefined ? { origin: execution.origin } : {}),
    // Orca's trigger carries the parameters; older clients read them only there.
    trigger: { ...execution.trigger, parameters: execution.trigger['parameters'] ?? execution.parameters },
    // Each stage, then the synthetic stages of its plan (createServerGroup, disableCluster...).
    stages: execution.stages.flatMap((stage) => [toOrcaStage(stage), ...syntheticStagesOf(stage).map(toOrcaStage)]),
  };
}

export function toOrcaStage(stage: StageRecord): OrcaStage {
  return {
    id: stage.id,
    refId: stage.refId,
    type: stage.type,
    name: stage.name,
    status: stage.status,
    context: stage.context,
    outputs: stage.outputs,
    startTime: stage.startTime ?? null,
    endTime: stage.endTime ?? null,
    requisiteStageRefIds: stage.requisiteStageRefIds,
    ...(stage.parentStageId !== undefined ? { parentStageId: stage.parentStageId } : {}),
    ...(stage.syntheticStageOwner !== undefined ? { syntheticStageOwner: stage.syntheticStageOwner } : {}),
    lastModified: stage.lastModified,
  };
}
