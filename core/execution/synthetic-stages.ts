/**
 * Orca's synthetic stages, derived from the step executor's saved plans: a Gate client or a
 * person sees every sub-step of a deploy (createServerGroup, shrinkCluster, disableCluster,
 * scaleDownCluster, destroyServerGroup, waits...) with its status, start and end time and the
 * context Spinnaker shows, though Gennaker keeps them as one plan per stage rather than as stage
 * records. Cluster-wide steps become a synthetic stage whose tasks are the server groups they
 * acted on, as Orca's disableCluster stage runs one disable per server group.
 *
 * Pure: a stage record in, records out (`parentStageId` and `syntheticStageOwner` set).
 */
import type { JsonObject, StageRecord } from '../ports/execution-store.ts';
import { parseStepProgress, type PlannedStep, type StepProgress } from '../deploy/step-progress.ts';
import type { DeployStep } from '../strategies/steps.ts';

/** Orca's stage type of a step. */
function syntheticType(step: DeployStep): string {
  switch (step.kind) {
    case 'waitForHealthy':
      return 'waitForUpInstances';
    case 'pinServerGroup':
    case 'unpinServerGroup':
      return 'resizeServerGroup';
    case 'captureCapacity':
      return 'captureSourceServerGroupCapacity';
    case 'runPipeline':
      return 'pipeline';
    default:
      return step.kind;
  }
}

/** What Deck shows about a step: the server group, the location, the capacity or the seconds. */
function contextOf(planned: PlannedStep, account: unknown): JsonObject {
  const { step } = planned;
  return {
    ...(typeof account === 'string' ? { credentials: account } : {}),
    region: planned.location,
    ...('serverGroup' in step ? { serverGroupName: step.serverGroup } : {}),
    ...('capacity' in step ? { capacity: step.capacity } : {}),
    ...(step.kind === 'wait' ? { waitTime: step.seconds } : {}),
    ...(step.kind === 'runPipeline' ? { application: step.application, pipeline: step.pipelineId, ...(planned.childExecutionId ? { executionId: planned.childExecutionId } : {}) } : {}),
    ...(step.kind === 'setTrafficWeights' ? { weights: step.weights } : {}),
    ...(planned.rollback ? { rollback: true } : {}),
    ...(planned.failure !== undefined ? { exception: { details: { error: planned.failure, errors: [planned.failure] } } } : {}),
  };
}

function nameOf(planned: PlannedStep): string {
  const { step } = planned;
  const subject = 'serverGroup' in step ? ` ${step.serverGroup}` : step.kind === 'wait' ? ` ${step.label}` : step.kind === 'runPipeline' ? ` ${step.label}` : '';
  return `${syntheticType(step)}${subject} (${planned.location})${planned.rollback ? ' [rollback]' : ''}`;
}

/** The saved plans of a stage: every runtime value that is a step executor's progress. */
function plansOf(stage: StageRecord): Array<[string, StepProgress]> {
  const plans: Array<[string, StepProgress]> = [];
  for (const [key, value] of Object.entries(stage.runtime)) {
    if (typeof value !== 'object' || value === null || (value as { version?: unknown }).version !== 1 || !Array.isArray((value as { steps?: unknown }).steps)) continue;
    const parsed = parseStepProgress(value);
    if (parsed.ok && parsed.progress) plans.push([key, parsed.progress]);
  }
  return plans;
}

/**
 * The synthetic stages of one stage, in plan order: a step that waits for a created server group
 * to be healthy is a task of that createServerGroup stage; the steps a cluster-wide step expanded
 * to are its tasks; every other step is a stage of its own.
 */
export function syntheticStagesOf(stage: StageRecord): StageRecord[] {
  const account = stage.context.credentials ?? stage.context.account ?? (Array.isArray(stage.context.clusters) ? (stage.context.clusters[0] as JsonObject | undefined)?.account : undefined);
  const records: StageRecord[] = [];
  for (const [key, progress] of plansOf(stage)) {
    const byId = new Map<string, StageRecord>();
    let ordinal = 0;
    for (const planned of progress.steps) {
      const parentId = planned.parent ?? (planned.step.kind === 'waitForHealthy' ? createStepOf(progress, planned) : undefined);
      const parent = parentId === undefined ? undefined : byId.get(parentId);
      if (parent) {
        // A task of its parent's synthetic stage.
        const tasks = Array.isArray(parent.context.tasks) ? (parent.context.tasks as JsonObject[]) : [];
        const task = { name: syntheticType(planned.step), status: planned.status, ...(planned.startTime !== undefined ? { startTime: planned.startTime } : {}), ...(planned.endTime !== undefined ? { endTime: planned.endTime } : {}), ...('serverGroup' in planned.step ? { serverGroupName: planned.step.serverGroup } : {}) };
        const merged = { ...parent, context: { ...parent.context, tasks: [...tasks, task] } };
        records[records.indexOf(parent)] = merged;
        byId.set(parentId!, merged);
        continue;
      }
      ordinal += 1;
      const record: StageRecord = {
        id: `${stage.id}:${key}:${planned.id}`,
        refId: `${stage.refId}>${key}.${ordinal}`,
        type: syntheticType(planned.step),
        name: nameOf(planned),
        requisiteStageRefIds: [],
        status: planned.status,
        context: contextOf(planned, account),
        outputs: {},
        runtime: {},
        awaitingCallback: false,
        revision: 0,
        lastModified: planned.endTime ?? planned.startTime ?? progress.plannedAt,
        ...(planned.startTime !== undefined ? { startTime: planned.startTime } : {}),
        ...(planned.endTime !== undefined ? { endTime: planned.endTime } : {}),
        parentStageId: stage.id,
        syntheticStageOwner: planned.step.kind === 'createServerGroup' ? 'STAGE_BEFORE' : 'STAGE_AFTER',
      };
      records.push(record);
      byId.set(planned.id, record);
    }
  }
  return records;
}

/** The createServerGroup step of the server group a health wait waits for. */
function createStepOf(progress: StepProgress, planned: PlannedStep): string | undefined {
  const step = planned.step;
  if (step.kind !== 'waitForHealthy') return undefined;
  return progress.steps.find((candidate) => candidate.step.kind === 'createServerGroup' && candidate.step.serverGroup === step.serverGroup && candidate.location === planned.location)?.id;
}
