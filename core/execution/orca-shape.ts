/**
 * An execution in Orca's shape (`reference/spinnaker.md` §1.12, what `GET /pipelines/{id}`
 * returns), so tools written against Spinnaker's API read Gennaker's executions unchanged.
 * Pure: the store's record in, plain JSON out.
 */
import type { Execution, JsonObject, NotificationDelivery, PauseDetails, StageRecord } from '../ports/execution-store.ts';
import type { ExecutionStatus } from './status.ts';
import { isComplete } from './status.ts';
import { syntheticStagesOf } from './synthetic-stages.ts';

/** One of a stage's tasks, as Orca's TaskExecution serializes it. */
export interface OrcaTask {
  /** `1`, `2`...: the task's place in its stage. */
  readonly id: string;
  readonly name: string;
  /** Orca names the Java class; Gennaker names the stage type and the step (`gennaker:deploy/createServerGroup`). */
  readonly implementingClass: string;
  readonly status: ExecutionStatus;
  /** Known for the first task that ran (the stage's start) and the last one of a complete stage (its end). */
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly stageStart: boolean;
  readonly stageEnd: boolean;
  readonly loopStart: boolean;
  readonly loopEnd: boolean;
}

/** What toOrcaExecution may know beyond the records: each stage's steps, in order, from its pipeline version. */
export interface OrcaShapeOptions {
  /** The step names of a top-level stage as compiled; undefined when unknown (the tasks that ran are shown). */
  readonly stepsOf?: (stage: StageRecord) => readonly string[] | undefined;
}

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
  readonly tasks: readonly OrcaTask[];
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
  /**
   * Gennaker's record of the notifications sent for the execution and its stages (Orca keeps
   * none): each with its event, type, recipient, status (SENT, FAILED, SENDING) and, when it
   * failed, the reason in one line. Absent when none was attempted.
   */
  readonly notificationDeliveries?: readonly NotificationDelivery[];
}

/**
 * The execution document as Orca serializes it: absent times are `null`, as in Orca's JSON, and
 * every sub-step of a stage that changes a cluster is there as a synthetic stage.
 */
export function toOrcaExecution(execution: Execution, options: OrcaShapeOptions = {}): OrcaExecution {
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
    stages: execution.stages.flatMap((stage) => [toOrcaStage(stage, options.stepsOf?.(stage)), ...syntheticStagesOf(stage).map((synthetic) => toOrcaStage(synthetic))]),
    ...(execution.notificationDeliveries !== undefined && execution.notificationDeliveries.length > 0 ? { notificationDeliveries: execution.notificationDeliveries } : {}),
  };
}

const texts = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A stage's tasks as Orca lists them: each step of its plan, SUCCEEDED once done, the step the
 * stage is at RUNNING (or the stage's own status when it ended there), the rest NOT_STARTED.
 * A synthetic stage has one task of its own type, then the tasks its context lists (the
 * per-server-group steps of a cluster-wide step); a precondition's synthetic stage has Orca's
 * `checkPrecondition`, and the checkPreconditions stage itself none.
 */
export function orcaTasksOf(stage: StageRecord, steps?: readonly string[]): OrcaTask[] {
  // Orca's checkPreconditions runs its checks in its synthetic stages (one `checkPrecondition`
  // task each) and has no task of its own.
  if (stage.type === 'checkPreconditions' && stage.parentStageId === undefined) return [];
  if (stage.parentStageId !== undefined && steps === undefined) {
    const listed = Array.isArray(stage.context['tasks']) ? stage.context['tasks'].filter(isObject) : [];
    const own = { name: stage.type === 'checkPreconditions' ? 'checkPrecondition' : stage.type, status: stage.status, startTime: stage.startTime ?? null, endTime: stage.endTime ?? null };
    const entries = [own, ...listed.map((task) => ({ name: String(task['name'] ?? stage.type), status: (task['status'] ?? stage.status) as ExecutionStatus, startTime: typeof task['startTime'] === 'number' ? task['startTime'] : null, endTime: typeof task['endTime'] === 'number' ? task['endTime'] : null }))];
    return entries.map((entry, index) => ({ id: String(index + 1), implementingClass: `gennaker:${stage.type}/${entry.name}`, ...entry, stageStart: index === 0, stageEnd: index === entries.length - 1, loopStart: false, loopEnd: false }));
  }
  const done = texts(stage.runtime['tasksDone']);
  const polled = isObject(stage.runtime['polls']) ? Object.keys(stage.runtime['polls']) : [];
  // Without the plan, the steps that ran are what is known.
  const names = steps ?? [...new Set([...done, ...polled])];
  const complete = isComplete(stage.status);
  let atStep = false;
  return names.map((name, index) => {
    let status: ExecutionStatus = 'NOT_STARTED';
    if (stage.status === 'SUCCEEDED' || done.includes(name)) status = 'SUCCEEDED';
    else if (!atStep && stage.status !== 'NOT_STARTED' && stage.status !== 'SKIPPED') {
      atStep = true;
      status = complete ? stage.status : 'RUNNING';
    }
    const first = index === 0 && status !== 'NOT_STARTED';
    const last = index === names.length - 1 && complete && status !== 'NOT_STARTED';
    return {
      id: String(index + 1),
      name,
      implementingClass: `gennaker:${stage.type}/${name}`,
      status,
      startTime: first ? (stage.startTime ?? null) : null,
      endTime: last ? (stage.endTime ?? null) : null,
      stageStart: index === 0,
      stageEnd: index === names.length - 1,
      loopStart: false,
      loopEnd: false,
    };
  });
}

export function toOrcaStage(stage: StageRecord, steps?: readonly string[]): OrcaStage {
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
    tasks: orcaTasksOf(stage, steps),
  };
}

/**
 * Orca's unexpanded execution (`expand=false` of the executions search): every stage without its
 * context (but its `group`), outputs and tasks, so a listing of many executions stays small.
 */
export function unexpanded(execution: OrcaExecution): OrcaExecution {
  return {
    ...execution,
    stages: execution.stages.map((stage) => ({ ...stage, context: stage.context['group'] !== undefined ? { group: stage.context['group'] } : {}, outputs: {}, tasks: [] })),
  };
}
