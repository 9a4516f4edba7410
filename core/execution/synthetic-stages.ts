/**
 * Orca's synthetic stages, derived from the step executor's saved plans: a Gate client or a
 * person sees every sub-step of a deploy (createServerGroup, shrinkCluster, disableCluster,
 * scaleDownCluster, destroyServerGroup, waits...) with its status, start and end time and the
 * context Spinnaker shows, though Gennaker keeps them as one plan per stage rather than as stage
 * records. Cluster-wide steps become a synthetic stage whose tasks are the server groups they
 * acted on, as Orca's disableCluster stage runs one disable per server group.
 *
 * A deployManifest with traffic management shows Orca's disableManifest and deleteManifest
 * after-stages on the other ReplicaSets of its cluster (manifestFollowUpsOf); a checkPreconditions
 * stage, one before-stage per precondition (preconditionStagesOf).
 *
 * Pure: a stage record in, records out (`parentStageId` and `syntheticStageOwner` set).
 */
import type { JsonObject, StageRecord } from '../ports/execution-store.ts';
import { parseStepProgress, type PlannedStep, type StepProgress } from '../deploy/step-progress.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { preconditionChecksOf, preconditionStageContext } from './precondition-checks.ts';

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
  if (stage.type === 'deployManifest') return manifestFollowUpsOf(stage);
  if (stage.type === 'checkPreconditions') return preconditionStagesOf(stage);
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

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A saved reference to an object (`{kind, name, namespace}`), or undefined. */
function refAt(value: unknown): { kind: string; name: string; namespace: string } | undefined {
  if (!isObject(value)) return undefined;
  const { kind, name, namespace } = value;
  return typeof kind === 'string' && typeof name === 'string' && typeof namespace === 'string' ? { kind, name, namespace } : undefined;
}

function textsAt(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * Orca's after-stages of a deployManifest with traffic management (DeployManifestStage's
 * OldManifestActionAppender): one disableManifest or deleteManifest per other ReplicaSet of the
 * cluster, from the actions the stage saved before acting (core/stages/manifest-deploy.ts, runtime
 * `deployManifest.old`; an action is done once its `<namespace>/<kind>/<name>` is in `done` or
 * `deleted`). The first action not done has the stage's own status; those after it have not started.
 */
function manifestFollowUpsOf(stage: StageRecord): StageRecord[] {
  const progress = stage.runtime['deployManifest'];
  const old = isObject(progress) ? progress['old'] : undefined;
  if (!isObject(old)) return [];
  const done = new Set([...textsAt(old['done']).map((key) => `disable:${key}`), ...textsAt(old['deleted']).map((key) => `delete:${key}`)]);
  const actions: Array<{ type: 'disableManifest' | 'deleteManifest'; ref: { kind: string; name: string; namespace: string } }> = [];
  for (const [field, type] of [['disable', 'disableManifest'], ['delete', 'deleteManifest']] as const) {
    for (const entry of Array.isArray(old[field]) ? old[field] : []) {
      const ref = refAt(entry);
      if (ref) actions.push({ type, ref });
    }
  }
  const account = stage.context['account'] ?? stage.context['credentials'];
  let blocked = false;
  return actions.map(({ type, ref }, index) => {
    const key = `${type === 'disableManifest' ? 'disable' : 'delete'}:${ref.namespace}/${ref.kind}/${ref.name}`;
    const manifestName = `replicaSet ${ref.name}`;
    let status: StageRecord['status'];
    if (done.has(key)) status = 'SUCCEEDED';
    else if (blocked) status = 'NOT_STARTED';
    else {
      status = stage.status;
      blocked = true;
    }
    return {
      id: `${stage.id}:deployManifest:${index + 1}`,
      refId: `${stage.refId}>deployManifest.${index + 1}`,
      type,
      name: `${type === 'disableManifest' ? 'Disable' : 'Delete'} ${manifestName} (${ref.namespace})`,
      requisiteStageRefIds: [],
      status,
      context: { ...(typeof account === 'string' ? { account } : {}), cloudProvider: 'kubernetes', manifestName, location: ref.namespace },
      outputs: {},
      runtime: {},
      awaitingCallback: false,
      revision: 0,
      lastModified: stage.lastModified,
      ...(status === 'SUCCEEDED' && stage.endTime !== undefined ? { endTime: stage.endTime } : {}),
      parentStageId: stage.id,
      syntheticStageOwner: 'STAGE_AFTER',
    };
  });
}

/**
 * Orca's before-stages of a checkPreconditions stage: one `Check precondition (<type>)` per
 * precondition (refId `<refId><N>`), its context the stage's merged with the precondition's
 * (core/stages/check-preconditions.ts), its status the one the check recorded; RUNNING while the
 * stage runs and has not recorded them. A stage that never ran its check has none, as Orca plans
 * them only when the stage starts.
 */
function preconditionStagesOf(stage: StageRecord): StageRecord[] {
  const preconditions = Array.isArray(stage.context['preconditions']) ? stage.context['preconditions'] : [];
  const checks = preconditionChecksOf(stage.runtime);
  if (checks === undefined && stage.status !== 'RUNNING') return [];
  return preconditions.map((precondition, index): StageRecord => {
    const written = isObject(precondition) ? precondition : {};
    const merged = preconditionStageContext(stage.context, written);
    const check = checks?.[index];
    const own = isObject(merged['context']) ? merged['context'] : {};
    const context: JsonObject = {
      ...merged,
      ...(check?.expressionResult !== undefined ? { context: { ...own, expressionResult: check.expressionResult } } : {}),
      ...(check?.message !== undefined ? { exception: { details: { error: check.message, errors: [check.message] } } } : {}),
    };
    return {
      id: `${stage.id}:precondition:${index + 1}`,
      refId: `${stage.refId}<${index + 1}`,
      type: 'checkPreconditions',
      name: `Check precondition (${typeof written['type'] === 'string' ? written['type'] : 'unknown'})`,
      requisiteStageRefIds: [],
      status: check?.status ?? 'RUNNING',
      context,
      outputs: {},
      runtime: {},
      awaitingCallback: false,
      revision: 0,
      lastModified: check?.time ?? stage.lastModified,
      ...(stage.startTime !== undefined ? { startTime: stage.startTime } : {}),
      ...(check !== undefined ? { endTime: check.time } : {}),
      parentStageId: stage.id,
      syntheticStageOwner: 'STAGE_BEFORE',
    };
  });
}
