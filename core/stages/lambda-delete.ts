/**
 * The tasks of `Aws.LambdaDeleteStage` (core/pipeline/stage-types/lambda-delete.ts):
 *
 * 1. lambdaDeleteTask: resolves what to delete once (`$ALL`, or versions by Orca's selectors over
 *    `ListVersionsByFunction`), saves it, then `DeleteFunction` (with `Qualifier` per version),
 *    saving each one done. What is gone already counts as deleted; a version an alias still
 *    names fails the stage with Lambda's reason.
 * 2. lambdaDeleteVerificationTask: until the function, or each deleted version, is gone.
 */
import { z } from 'zod';
import type { JsonObject } from '../ports/execution-store.ts';
import type { LambdaDeleteConfig, LambdaDeleteStage } from '../pipeline/stage-types/index.ts';
import {
  LAMBDA_PROGRESS_KEY,
  afterConflict,
  evaluatedConfig,
  failure,
  lambdaScope,
  lambdaWaitSeconds,
  newestFirst,
  numberField,
  readFunction,
  resolveVersions,
  type LambdaScope,
  type LambdaTaskDeps,
} from './lambda-common.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

const progressSchema = z.looseObject({
  /** What the stage deletes: the whole function, or these versions. */
  plan: z.object({ all: z.boolean(), versions: z.array(z.string()) }).optional(),
  deleted: z.array(z.string()).optional(),
});

type Progress = z.output<typeof progressSchema>;

function progressOf(input: TaskInput): Progress {
  const parsed = progressSchema.safeParse(input.record.runtime[LAMBDA_PROGRESS_KEY] ?? {});
  return parsed.success ? parsed.data : {};
}

/** Runs one task of an `Aws.LambdaDeleteStage`. */
export async function runLambdaDeleteTask(input: TaskInput<LambdaDeleteStage>, deps: LambdaTaskDeps): Promise<TaskResult> {
  const scoped = lambdaScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const evaluated = evaluatedConfig(input);
  if (!evaluated.ok) return failed(evaluated.message);
  const scope = scoped.scope;
  switch (input.task) {
    case 'lambdaDeleteTask':
      return deleteTask(input, scope, evaluated.config);
    case 'lambdaDeleteVerificationTask':
      return verificationTask(input, scope);
    default:
      return failed(`${scope.label}: ${input.stage.type} has no task '${input.task}'`);
  }
}

async function planDelete(scope: LambdaScope, config: LambdaDeleteConfig): Promise<{ ok: true; plan: { all: boolean; versions: string[] } } | { ok: false; result: TaskResult }> {
  const version = config.version.trim();
  if (version === '$ALL') return { ok: true, plan: { all: true, versions: [] } };
  if (/^[0-9]+$/.test(version)) return { ok: true, plan: { all: false, versions: [version] } };
  if (version === '$PROVIDED') return { ok: true, plan: { all: false, versions: resolveVersions(version, [], config.versionNumber !== undefined ? { versionNumber: config.versionNumber } : {}).slice() } };
  const retention = numberField(config.retentionNumber, 'retentionNumber', scope.label);
  if (!retention.ok) return { ok: false, result: failed(retention.message) };
  const listed = await scope.port.listVersions(scope.ref);
  if (!listed.ok) {
    // Nothing to choose from: Orca finds no version to delete and succeeds.
    if (listed.reason === 'not-found') return { ok: true, plan: { all: false, versions: [] } };
    return { ok: false, result: failure(listed, `listing the versions of '${scope.ref.functionName}'`, scope.label) };
  }
  const versions = resolveVersions(version, newestFirst(listed.value), retention.value !== undefined ? { retention: retention.value } : {});
  return { ok: true, plan: { all: false, versions: [...versions] } };
}

async function deleteTask(input: TaskInput<LambdaDeleteStage>, scope: LambdaScope, config: LambdaDeleteConfig): Promise<TaskResult> {
  let progress = progressOf(input);
  if (progress.plan === undefined) {
    const planned = await planDelete(scope, config);
    if (!planned.ok) return planned.result;
    if (!planned.plan.all && planned.plan.versions.length === 0) {
      return succeeded({ deleteVersions: [], LambdaDeleteTask: 'Found no version of function to delete' }, { runtime: { [LAMBDA_PROGRESS_KEY]: { plan: planned.plan } as JsonObject } });
    }
    progress = { plan: planned.plan, deleted: [] };
    const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, progress as JsonObject);
    if (!saved.ok) return running(1);
  }
  const plan = progress.plan!;
  const targets = plan.all ? [undefined] : plan.versions;
  const deleted = [...(progress.deleted ?? [])];
  for (const qualifier of targets) {
    const key = qualifier ?? '$ALL';
    if (deleted.includes(key)) continue;
    const what = qualifier === undefined ? `deleting function '${scope.ref.functionName}'` : `deleting version ${qualifier} of '${scope.ref.functionName}'`;
    const done = await scope.port.delete(scope.ref, qualifier === undefined ? {} : { qualifier });
    if (!done.ok) return afterConflict(scope, done, what, input.poll);
    deleted.push(key);
    const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, { ...progress, deleted } as JsonObject);
    if (!saved.ok) return running(0);
    progress = { ...progress, deleted };
  }
  return succeeded({ deleteVersions: plan.all ? ['$ALL'] : plan.versions }, { runtime: { [LAMBDA_PROGRESS_KEY]: progress as JsonObject } });
}

async function verificationTask(input: TaskInput<LambdaDeleteStage>, scope: LambdaScope): Promise<TaskResult> {
  const plan = progressOf(input).plan;
  if (plan === undefined || (!plan.all && plan.versions.length === 0)) return succeeded();
  if (plan.all) {
    const read = await readFunction(scope);
    if (!read.ok) return read.result;
    return read.value === undefined ? succeeded() : running(lambdaWaitSeconds(input.poll), { context: { waitingFor: `function '${scope.ref.functionName}' to be deleted` } });
  }
  const listed = await scope.port.listVersions(scope.ref);
  if (!listed.ok) {
    if (listed.reason === 'not-found') return succeeded();
    return failure(listed, `listing the versions of '${scope.ref.functionName}'`, scope.label);
  }
  const left = listed.value.map((entry) => entry.version).filter((version) => plan.versions.includes(version));
  return left.length === 0 ? succeeded() : running(lambdaWaitSeconds(input.poll), { context: { waitingFor: `versions ${left.join(', ')} of '${scope.ref.functionName}' to be deleted` } });
}
