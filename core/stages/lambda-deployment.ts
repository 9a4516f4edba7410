/**
 * The tasks of `Aws.LambdaDeploymentStage` (core/pipeline/stage-types/lambda-deployment.ts), in
 * Orca's order (reference/cloud-targets.md §4.2):
 *
 * 1. lambdaCreateTask: `GetFunction`; a missing function is created (`CreateFunction` with the
 *    stage's code, settings, tags, Spinnaker's moniker tags and `Publish`); an existing one keeps
 *    its RevisionId as the stage's `originalRevisionId`.
 * 2. lambdaUpdateCodeTask: an existing function gets the new package (`UpdateFunctionCode`,
 *    `Publish: false`: the publish task publishes), from the RevisionId it was read at.
 * 3. lambdaWaitToStabilizeTask: until `State` Active and `LastUpdateStatus` Successful.
 * 4. lambdaUpdateConfigTask: an existing function whose settings differ from the stage's gets
 *    `UpdateFunctionConfiguration`, then the stage's tags (`TagResource`).
 * 5. lambdaPutConcurrencyTask: reserved concurrency set (`PutFunctionConcurrency`) or, when the
 *    stage has none and the function does, removed (`DeleteFunctionConcurrency`).
 * 6. lambdaPublishVersionTask: with `publish`, `PublishVersion` from the RevisionId read, unless
 *    the create already published it or nothing changed (Orca's LambdaPublishVersionTask).
 * 7. lambdaUpdateAliasesTask: each alias `CreateAlias` or `UpdateAlias` to the published version.
 * 8. lambdaOutputTask: the function as it is now, into the outputs.
 *
 * Every mutating task first waits until the function is Active with no update in progress.
 */
import { z } from 'zod';
import { parseClusterName } from '../deploy/names.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { FUNCTION_OWNER_TAG, compareVersions, readinessOf, type FunctionDescription, type FunctionSettings } from '../ports/functions.ts';
import type { LambdaDeploymentConfig, LambdaDeploymentStage } from '../pipeline/stage-types/index.ts';
import {
  LAMBDA_PROGRESS_KEY,
  afterConflict,
  evaluatedConfig,
  failure,
  lambdaScope,
  lambdaWaitSeconds,
  missingFunction,
  numberField,
  readFunction,
  refusedField,
  withoutIntent,
  type LambdaScope,
  type LambdaTaskDeps,
} from './lambda-common.ts';
import { ownerToken } from './step-executor.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** What the stage did so far, kept in its runtime (parsed back on every call, never cast). */
const progressSchema = z.looseObject({
  create: z
    .object({
      /** CreateFunction was (about to be) sent with this owner token. */
      started: z.boolean().optional(),
      owner: z.string().optional(),
      /** Decided: true when this stage created the function. */
      created: z.boolean().optional(),
      originalRevisionId: z.string().optional(),
      /** The version CreateFunction published. */
      version: z.string().optional(),
    })
    .optional(),
  /** UpdateFunctionCode was (about to be) sent from this RevisionId. */
  updateCode: z.object({ fromRevisionId: z.string() }).optional(),
  codeUpdated: z.boolean().optional(),
  /** UpdateFunctionConfiguration was (about to be) sent from this RevisionId. */
  updateConfig: z.object({ fromRevisionId: z.string() }).optional(),
  configUpdated: z.boolean().optional(),
  /** PublishVersion was (about to be) sent: from which RevisionId, with which code, after which newest version. */
  publish: z.object({ fromRevisionId: z.string(), codeSha256: z.string(), newestBefore: z.number() }).optional(),
  /** The version the aliases go to. */
  version: z.string().optional(),
  published: z.boolean().optional(),
});

type Progress = z.output<typeof progressSchema>;

function progressOf(input: TaskInput): Progress {
  const parsed = progressSchema.safeParse(input.record.runtime[LAMBDA_PROGRESS_KEY] ?? {});
  return parsed.success ? parsed.data : {};
}

/** The result of a step, with the progress written back. */
function withProgress(progress: Progress): { runtime: JsonObject } {
  return { runtime: { [LAMBDA_PROGRESS_KEY]: progress as JsonObject } };
}

/** Reserved for Gennaker's own tags: a stage's tag may not take them. */
const RESERVED_TAGS = [FUNCTION_OWNER_TAG];

/** The stage's settings as Lambda takes them; Deck's empty strings mean "none". */
function settingsOf(config: LambdaDeploymentConfig, memorySize: number | undefined, timeout: number | undefined): FunctionSettings {
  const kms = [config.kmskeyArn, config.KMSKeyArn].find((value) => value !== undefined && value.trim() !== '');
  const deadLetter = config.deadLetterConfig?.targetArn;
  const mode = config.tracingConfig?.mode;
  return {
    handler: config.handler,
    runtime: config.runtime,
    role: config.role,
    ...(memorySize !== undefined ? { memorySize } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    ...(config.description !== undefined ? { description: config.description } : {}),
    environment: config.envVariables,
    layers: config.layers.filter((layer) => layer.trim() !== ''),
    vpc: { subnetIds: config.subnetIds.filter((id) => id.trim() !== ''), securityGroupIds: config.securityGroupIds.filter((id) => id.trim() !== '') },
    deadLetterTargetArn: deadLetter !== undefined && deadLetter.trim() !== '' ? deadLetter : '',
    kmsKeyArn: kms ?? '',
    ...(mode === 'Active' || mode === 'PassThrough' ? { tracingMode: mode } : {}),
  };
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = [...(a ?? [])].sort();
  const right = [...(b ?? [])].sort();
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

function sameMap(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const left = Object.entries(a ?? {});
  return left.length === Object.keys(b ?? {}).length && left.every(([key, value]) => (b ?? {})[key] === value);
}

/** The settings the stage asks for that the function does not have (by Lambda's field names). */
export function differingSettings(desired: FunctionSettings, current: FunctionSettings): string[] {
  const differs: string[] = [];
  const scalar = (name: string, a: unknown, b: unknown) => {
    if (a !== undefined && a !== b) differs.push(name);
  };
  scalar('Handler', desired.handler, current.handler);
  scalar('Runtime', desired.runtime, current.runtime);
  scalar('Role', desired.role, current.role);
  scalar('MemorySize', desired.memorySize, current.memorySize);
  scalar('Timeout', desired.timeout, current.timeout);
  if (desired.description !== undefined && desired.description !== (current.description ?? '')) differs.push('Description');
  if (desired.environment !== undefined && !sameMap(desired.environment, current.environment)) differs.push('Environment');
  if (desired.layers !== undefined && !sameList(desired.layers, current.layers)) differs.push('Layers');
  if (desired.vpc !== undefined && !(sameList(desired.vpc.subnetIds, current.vpc?.subnetIds) && sameList(desired.vpc.securityGroupIds, current.vpc?.securityGroupIds))) differs.push('VpcConfig');
  if (desired.deadLetterTargetArn !== undefined && desired.deadLetterTargetArn !== (current.deadLetterTargetArn ?? '')) differs.push('DeadLetterConfig');
  if (desired.kmsKeyArn !== undefined && desired.kmsKeyArn !== (current.kmsKeyArn ?? '')) differs.push('KMSKeyArn');
  if (desired.tracingMode !== undefined && desired.tracingMode !== (current.tracingMode ?? 'PassThrough')) differs.push('TracingConfig');
  return differs;
}

/**
 * The tags a created function carries: the stage's, then Spinnaker's moniker tags from the
 * function's Frigga name (clouddriver's LambdaTagNamer: set only where the stage did not), then
 * the owner token.
 */
export function functionTags(application: string, functionName: string, tags: Readonly<Record<string, string>>, owner: string): Record<string, string> {
  const result: Record<string, string> = { ...tags };
  const parsed = parseClusterName(functionName);
  const moniker: Record<string, string | undefined> = {
    'moniker.spinnaker.io/application': application,
    'moniker.spinnaker.io/cluster': parsed?.cluster,
    'moniker.spinnaker.io/stack': parsed?.stack,
    'moniker.spinnaker.io/detail': parsed?.detail,
  };
  for (const [key, value] of Object.entries(moniker)) if (value !== undefined && result[key] === undefined) result[key] = value;
  result[FUNCTION_OWNER_TAG] = owner;
  return result;
}

/** The stage, as one call sees it. */
interface Call {
  readonly input: TaskInput<LambdaDeploymentStage>;
  readonly scope: LambdaScope;
  readonly config: LambdaDeploymentConfig;
  readonly settings: FunctionSettings;
  readonly progress: Progress;
}

/** Runs one task of an `Aws.LambdaDeploymentStage`. */
export async function runLambdaDeploymentTask(input: TaskInput<LambdaDeploymentStage>, deps: LambdaTaskDeps): Promise<TaskResult> {
  const scoped = lambdaScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const evaluated = evaluatedConfig(input);
  if (!evaluated.ok) return failed(evaluated.message);
  const config = evaluated.config;
  const label = scoped.scope.label;
  const memory = numberField(config.memorySize, 'memorySize', label);
  if (!memory.ok) return failed(memory.message);
  const timeout = numberField(config.timeout, 'timeout', label);
  if (!timeout.ok) return failed(timeout.message);
  const reserved = Object.keys(config.tags).filter((key) => RESERVED_TAGS.includes(key));
  if (reserved.length > 0) return failed(`${label}: tag '${reserved[0]}' is Gennaker's own; rename it`);
  const call: Call = { input, scope: scoped.scope, config, settings: settingsOf(config, memory.value, timeout.value), progress: progressOf(input) };
  switch (input.task) {
    case 'lambdaCreateTask':
      return createTask(call);
    case 'lambdaUpdateCodeTask':
      return updateCodeTask(call);
    case 'lambdaWaitToStabilizeTask':
      return waitToStabilizeTask(call);
    case 'lambdaUpdateConfigTask':
      return updateConfigTask(call);
    case 'lambdaPutConcurrencyTask':
      return concurrencyTask(call);
    case 'lambdaPublishVersionTask':
      return publishVersionTask(call);
    case 'lambdaUpdateAliasesTask':
      return updateAliasesTask(call);
    case 'lambdaOutputTask':
      return outputTask(call);
    default:
      return failed(`${label}: ${input.stage.type} has no task '${input.task}'`);
  }
}

/** The function now, or the task's answer when it is missing or cannot be read. */
async function existing(call: Call): Promise<{ ok: true; fn: FunctionDescription } | { ok: false; result: TaskResult }> {
  const read = await readFunction(call.scope);
  if (!read.ok) return read;
  if (!read.value) return { ok: false, result: missingFunction(call.scope) };
  return { ok: true, fn: read.value };
}

/** The function (read now, or as just read) when the next mutation may start; RUNNING while Lambda is busy with it. */
async function ready(call: Call, read?: FunctionDescription): Promise<{ ok: true; fn: FunctionDescription } | { ok: false; result: TaskResult }> {
  const found = read !== undefined ? { ok: true as const, fn: read } : await existing(call);
  if (!found.ok) return found;
  const readiness = readinessOf(found.fn);
  if (readiness.kind === 'busy') return { ok: false, result: running(lambdaWaitSeconds(call.input.poll), { context: { waitingFor: readiness.what } }) };
  if (readiness.kind === 'failed') return { ok: false, result: failed(`${call.scope.label}: ${readiness.message}`) };
  return found;
}

async function createTask(call: Call): Promise<TaskResult> {
  const { scope, progress, input, config } = call;
  if (progress.create?.created !== undefined) return succeeded(createOutputs(progress), withProgress(progress));
  const read = await readFunction(scope);
  if (!read.ok) return read.result;
  const owner = ownerToken(input, LAMBDA_PROGRESS_KEY, 'create');
  const fn = read.value;
  if (fn) {
    // Our own create (its answer lost, or delivered twice) or a function that was there before.
    const ours = progress.create?.started === true && fn.tags[FUNCTION_OWNER_TAG] === owner;
    const next: Progress = { ...progress, create: ours ? { started: true, owner, created: true } : { created: false, originalRevisionId: fn.revisionId } };
    return succeeded(createOutputs(next), withProgress(next));
  }
  const intent: Progress = { ...progress, create: { started: true, owner } };
  const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, intent as JsonObject);
  if (!saved.ok) return running(1);
  const made = await scope.port.create(scope.ref, {
    code: { s3Bucket: config.s3bucket, s3Key: config.s3key },
    settings: call.settings,
    tags: functionTags(scope.application, scope.ref.functionName, config.tags, owner),
    publish: config.publish,
    owner,
  });
  if (!made.ok) {
    // Created meanwhile (by a twin delivery, or by someone else): the next call tells which.
    if (made.reason === 'already-exists') return running(1);
    const field = refusedField(made, { role: config.role, s3bucket: config.s3bucket, s3key: config.s3key }, scope.label);
    if (field !== undefined) return failed(field);
    return failure(made, `creating function '${scope.ref.functionName}'`, scope.label);
  }
  const version = made.value.version !== '$LATEST' ? made.value.version : undefined;
  const next: Progress = { ...intent, create: { started: true, owner, created: true, ...(version !== undefined ? { version } : {}) } };
  return succeeded(createOutputs(next), withProgress(next));
}

function createOutputs(progress: Progress): JsonObject {
  const created = progress.create?.created === true;
  return { lambdaCreated: created, ...(progress.create?.originalRevisionId !== undefined ? { originalRevisionId: progress.create.originalRevisionId } : {}) };
}

async function updateCodeTask(call: Call): Promise<TaskResult> {
  const { scope, progress, input, config } = call;
  if (progress.create?.created === true || progress.codeUpdated === true) return succeeded(undefined, withProgress(progress));
  const found = await existing(call);
  if (!found.ok) return found.result;
  if (progress.updateCode !== undefined && found.fn.revisionId !== progress.updateCode.fromRevisionId) {
    // The update this stage sent has landed (its answer was lost, or this call is a twin).
    return succeeded(undefined, withProgress({ ...progress, codeUpdated: true }));
  }
  const readied = await ready(call, found.fn);
  if (!readied.ok) return readied.result;
  const fn = readied.fn;
  const intent: Progress = { ...progress, updateCode: { fromRevisionId: fn.revisionId } };
  const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, intent as JsonObject);
  if (!saved.ok) return running(1);
  const updated = await scope.port.updateCode(scope.ref, { code: { s3Bucket: config.s3bucket, s3Key: config.s3key }, publish: false, revisionId: fn.revisionId });
  if (!updated.ok) {
    const field = refusedField(updated, { s3bucket: config.s3bucket, s3key: config.s3key }, scope.label);
    if (field !== undefined) return failed(field);
    return withoutIntent(await afterConflict(scope, updated, `updating the code of '${scope.ref.functionName}'`, input.poll), updated, progress as JsonObject);
  }
  return succeeded({ lambdaCodeUpdated: true }, withProgress({ ...intent, codeUpdated: true }));
}

async function waitToStabilizeTask(call: Call): Promise<TaskResult> {
  const found = await existing(call);
  if (!found.ok) return found.result;
  const fn = found.fn;
  const readiness = readinessOf(fn);
  if (readiness.kind === 'failed') return failed(`${call.scope.label}: ${readiness.message}`);
  if (readiness.kind === 'busy') return running(lambdaWaitSeconds(call.input.poll), { context: { waitingFor: readiness.what } });
  if (fn.lastUpdateStatus === 'Failed') {
    return failed(`${call.scope.label}: Lambda could not apply the update of '${fn.functionName}'${fn.lastUpdateStatusReason ? `: ${fn.lastUpdateStatusReason}` : ''}`);
  }
  return succeeded();
}

async function updateConfigTask(call: Call): Promise<TaskResult> {
  const { scope, input, config } = call;
  let progress = call.progress;
  if (progress.create?.created === true) return succeeded(undefined, withProgress(progress));
  const readied = await ready(call);
  if (!readied.ok) return readied.result;
  const fn = readied.fn;
  if (progress.configUpdated !== true) {
    const landed = progress.updateConfig !== undefined && fn.revisionId !== progress.updateConfig.fromRevisionId;
    const differs = differingSettings(call.settings, fn.settings);
    if (!landed && differs.length > 0) {
      const intent: Progress = { ...progress, updateConfig: { fromRevisionId: fn.revisionId } };
      const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, intent as JsonObject);
      if (!saved.ok) return running(1);
      const updated = await scope.port.updateSettings(scope.ref, { settings: call.settings, revisionId: fn.revisionId });
      if (!updated.ok) {
        const field = refusedField(updated, { role: config.role }, scope.label);
        if (field !== undefined) return failed(field);
        return withoutIntent(await afterConflict(scope, updated, `updating the configuration of '${scope.ref.functionName}' (${differs.join(', ')})`, input.poll), updated, progress as JsonObject);
      }
      // Come back once Lambda applied it: tags follow only between mutations that are done.
      return running(lambdaWaitSeconds(1), { ...withProgress({ ...intent, configUpdated: true }), context: { waitingFor: `the configuration update of '${fn.functionName}' to finish` } });
    }
    progress = { ...progress, configUpdated: true };
  }
  const missingTags = Object.fromEntries(Object.entries(config.tags).filter(([key, value]) => fn.tags[key] !== value));
  if (Object.keys(missingTags).length > 0) {
    const tagged = await scope.port.tag(scope.ref, fn.functionArn, missingTags);
    if (!tagged.ok) return afterConflict(scope, tagged, `tagging '${scope.ref.functionName}'`, input.poll);
  }
  return succeeded({ lambdaConfigUpdated: true }, withProgress(progress));
}

async function concurrencyTask(call: Call): Promise<TaskResult> {
  const { scope, input, config } = call;
  const desired = numberField(config.reservedConcurrentExecutions, 'reservedConcurrentExecutions', scope.label);
  if (!desired.ok) return failed(desired.message);
  const found = await existing(call);
  if (!found.ok) return found.result;
  if (found.fn.reservedConcurrency === desired.value) return succeeded();
  const readied = await ready(call, found.fn);
  if (!readied.ok) return readied.result;
  const set = await scope.port.setReservedConcurrency(scope.ref, desired.value);
  const what = desired.value === undefined ? `removing the reserved concurrency of '${scope.ref.functionName}'` : `reserving ${desired.value} concurrent executions for '${scope.ref.functionName}'`;
  if (!set.ok) return afterConflict(scope, set, what, input.poll);
  return succeeded();
}

/** The newest published version, or undefined. */
async function newestVersion(scope: LambdaScope): Promise<{ ok: true; version: { version: string; codeSha256: string } | undefined } | { ok: false; result: TaskResult }> {
  const listed = await scope.port.listVersions(scope.ref);
  if (!listed.ok) return { ok: false, result: failure(listed, `listing the versions of '${scope.ref.functionName}'`, scope.label) };
  const sorted = [...listed.value].sort((a, b) => compareVersions(a.version, b.version));
  return { ok: true, version: sorted.at(-1) };
}

async function publishVersionTask(call: Call): Promise<TaskResult> {
  const { scope, progress, input, config } = call;
  if (progress.version !== undefined) return succeeded(publishOutputs(progress), withProgress(progress));
  if (!config.publish) {
    // Nothing is published; aliases, if any, go to the newest version there is.
    if (config.aliases.length === 0) return succeeded({ lambdaVersionPublished: false }, withProgress(progress));
    const newest = await newestVersion(scope);
    if (!newest.ok) return newest.result;
    const next: Progress = { ...progress, published: false, ...(newest.version ? { version: newest.version.version } : {}) };
    return succeeded(publishOutputs(next), withProgress(next));
  }
  if (progress.create?.created === true) {
    // CreateFunction published version 1 itself.
    const version = progress.create.version ?? (await newestVersion(scope));
    if (typeof version !== 'string' && !version.ok) return version.result;
    const number = typeof version === 'string' ? version : version.version?.version;
    const next: Progress = { ...progress, published: true, ...(number !== undefined ? { version: number } : {}) };
    return succeeded(publishOutputs(next), withProgress(next));
  }
  const readied = await ready(call);
  if (!readied.ok) return readied.result;
  const fn = readied.fn;
  const newest = await newestVersion(scope);
  if (!newest.ok) return newest.result;
  const latest = newest.version;
  if (progress.publish !== undefined && latest !== undefined && compareVersions(latest.version, String(progress.publish.newestBefore)) > 0 && latest.codeSha256 === progress.publish.codeSha256) {
    // This stage's PublishVersion landed: never publish twice.
    const next: Progress = { ...progress, published: true, version: latest.version };
    return succeeded(publishOutputs(next), withProgress(next));
  }
  if (fn.revisionId === progress.create?.originalRevisionId && latest !== undefined && latest.codeSha256 === fn.codeSha256) {
    // Nothing changed since the stage started (Orca skips the publish): the newest version is what runs.
    const next: Progress = { ...progress, published: false, version: latest.version };
    return succeeded(publishOutputs(next), withProgress(next));
  }
  const intent: Progress = { ...progress, publish: { fromRevisionId: fn.revisionId, codeSha256: fn.codeSha256, newestBefore: latest === undefined ? 0 : Number.parseInt(latest.version, 10) } };
  const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, intent as JsonObject);
  if (!saved.ok) return running(1);
  const published = await scope.port.publishVersion(scope.ref, { ...(config.description !== undefined ? { description: config.description } : {}), revisionId: fn.revisionId });
  if (!published.ok) return afterConflict(scope, published, `publishing a version of '${scope.ref.functionName}'`, input.poll);
  const next: Progress = { ...intent, published: true, version: published.value.version };
  return succeeded(publishOutputs(next), withProgress(next));
}

function publishOutputs(progress: Progress): JsonObject {
  return { lambdaVersionPublished: progress.published === true, ...(progress.version !== undefined ? { versionId: progress.version } : {}) };
}

async function updateAliasesTask(call: Call): Promise<TaskResult> {
  const { scope, progress, input, config } = call;
  if (config.aliases.length === 0) return succeeded({ lambdaAliasesUpdated: false });
  const version = progress.version;
  if (version === undefined) {
    return failed(`${scope.label}: aliases ${config.aliases.join(', ')} need a published version of '${scope.ref.functionName}', and it has none; set publish to true`);
  }
  for (const name of config.aliases) {
    const spec = { name, functionVersion: version, additionalVersionWeights: {} };
    const got = await scope.port.getAlias(scope.ref, name);
    if (!got.ok) return failure(got, `reading alias '${name}' of '${scope.ref.functionName}'`, scope.label);
    const alias = got.value;
    if (alias !== undefined && alias.functionVersion === version && Object.keys(alias.additionalVersionWeights).length === 0) continue;
    const done = alias === undefined ? await scope.port.createAlias(scope.ref, spec) : await scope.port.updateAlias(scope.ref, spec, alias.revisionId !== undefined ? { revisionId: alias.revisionId } : {});
    if (!done.ok) {
      if (done.reason === 'already-exists') return running(1);
      return afterConflict(scope, done, `pointing alias '${name}' of '${scope.ref.functionName}' at version ${version}`, input.poll);
    }
  }
  return succeeded({ lambdaAliasesUpdated: true, aliases: [...config.aliases] });
}

async function outputTask(call: Call): Promise<TaskResult> {
  const found = await existing(call);
  if (!found.ok) return found.result;
  const fn = found.fn;
  return succeeded({
    functionName: fn.functionName,
    functionARN: fn.functionArn,
    revisionId: fn.revisionId,
    codeSha256: fn.codeSha256,
    ...(call.progress.version !== undefined ? { versionId: call.progress.version } : {}),
  });
}
