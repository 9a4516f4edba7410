/**
 * The tasks of `Aws.LambdaUpdateCodeStage` (core/pipeline/stage-types/lambda-update-code.ts):
 *
 * 1. lambdaUpdateCodeTask: once the function is Active with no update in progress,
 *    `UpdateFunctionCode` (with the stage's `Publish`) from the RevisionId it read, recorded first:
 *    a task run again finds the RevisionId moved and does not update twice.
 * 2. lambdaVerificationTask: until `LastUpdateStatus` is Successful; the outputs name the new
 *    RevisionId and, with `publish`, the version published.
 */
import { z } from 'zod';
import type { JsonObject } from '../ports/execution-store.ts';
import { compareVersions, readinessOf } from '../ports/functions.ts';
import type { LambdaUpdateCodeStage } from '../pipeline/stage-types/index.ts';
import { LAMBDA_PROGRESS_KEY, afterConflict, evaluatedConfig, failure, lambdaScope, lambdaWaitSeconds, missingFunction, readFunction, refusedField, withoutIntent, type LambdaTaskDeps } from './lambda-common.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

const progressSchema = z.looseObject({
  /** UpdateFunctionCode was (about to be) sent from this RevisionId. */
  updateCode: z.object({ fromRevisionId: z.string() }).optional(),
  updated: z.boolean().optional(),
  /** The version the update published. */
  version: z.string().optional(),
});

type Progress = z.output<typeof progressSchema>;

function progressOf(input: TaskInput): Progress {
  const parsed = progressSchema.safeParse(input.record.runtime[LAMBDA_PROGRESS_KEY] ?? {});
  return parsed.success ? parsed.data : {};
}

/** Runs one task of an `Aws.LambdaUpdateCodeStage`. */
export async function runLambdaUpdateCodeTask(input: TaskInput<LambdaUpdateCodeStage>, deps: LambdaTaskDeps): Promise<TaskResult> {
  const scoped = lambdaScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const evaluated = evaluatedConfig(input);
  if (!evaluated.ok) return failed(evaluated.message);
  const scope = scoped.scope;
  const config = evaluated.config;
  const progress = progressOf(input);
  const read = await readFunction(scope);
  if (!read.ok) return read.result;
  const fn = read.value;
  if (!fn) return missingFunction(scope);
  const readiness = readinessOf(fn);

  if (input.task === 'lambdaUpdateCodeTask') {
    if (progress.updated === true) return succeeded(undefined, { runtime: { [LAMBDA_PROGRESS_KEY]: progress as JsonObject } });
    if (progress.updateCode !== undefined && fn.revisionId !== progress.updateCode.fromRevisionId) {
      return succeeded({ lambdaCodeUpdated: true }, { runtime: { [LAMBDA_PROGRESS_KEY]: { ...progress, updated: true } as JsonObject } });
    }
    if (readiness.kind === 'busy') return running(lambdaWaitSeconds(input.poll), { context: { waitingFor: readiness.what } });
    if (readiness.kind === 'failed') return failed(`${scope.label}: ${readiness.message}`);
    const intent: Progress = { ...progress, updateCode: { fromRevisionId: fn.revisionId } };
    const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, intent as JsonObject);
    if (!saved.ok) return running(1);
    const updated = await scope.port.updateCode(scope.ref, { code: { s3Bucket: config.s3bucket, s3Key: config.s3key }, publish: config.publish, revisionId: fn.revisionId });
    if (!updated.ok) {
      const field = refusedField(updated, { s3bucket: config.s3bucket, s3key: config.s3key }, scope.label);
      if (field !== undefined) return failed(field);
      return withoutIntent(await afterConflict(scope, updated, `updating the code of '${scope.ref.functionName}'`, input.poll), updated, progress as JsonObject);
    }
    const version = updated.value.version !== '$LATEST' ? updated.value.version : undefined;
    return succeeded({ lambdaCodeUpdated: true }, { runtime: { [LAMBDA_PROGRESS_KEY]: { ...intent, updated: true, ...(version !== undefined ? { version } : {}) } as JsonObject } });
  }
  if (input.task !== 'lambdaVerificationTask') return failed(`${scope.label}: ${input.stage.type} has no task '${input.task}'`);

  if (readiness.kind === 'failed') return failed(`${scope.label}: ${readiness.message}`);
  if (readiness.kind === 'busy') return running(lambdaWaitSeconds(input.poll), { context: { waitingFor: readiness.what } });
  if (fn.lastUpdateStatus === 'Failed') return failed(`${scope.label}: Lambda could not apply the new code of '${fn.functionName}'${fn.lastUpdateStatusReason ? `: ${fn.lastUpdateStatusReason}` : ''}`);
  let version = progress.version;
  if (config.publish && version === undefined) {
    // The update's answer was lost: the version it published is the newest one with this code.
    const listed = await scope.port.listVersions(scope.ref);
    if (!listed.ok) return failure(listed, `listing the versions of '${scope.ref.functionName}'`, scope.label);
    version = [...listed.value].sort((a, b) => compareVersions(b.version, a.version)).find((entry) => entry.codeSha256 === fn.codeSha256)?.version;
  }
  return succeeded({ functionName: fn.functionName, functionARN: fn.functionArn, revisionId: fn.revisionId, codeSha256: fn.codeSha256, ...(version !== undefined ? { versionId: version } : {}) });
}
