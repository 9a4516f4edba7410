/**
 * What the Lambda stages' tasks share: the function a stage acts on (its evaluated context: account,
 * region, the application-prefixed function name), the account's function port, the stage's
 * fields read again after expressions were evaluated, and the few rules every task follows:
 *
 * - A task never waits inside a call. It reads the function, and while Lambda is still applying
 *   something (`State` Pending, `LastUpdateStatus` InProgress) it answers RUNNING with a short,
 *   growing wait; the state machine calls it again (cloud-targets.md §8.3: wait between every
 *   mutation).
 * - A mutation is recorded in the stage's runtime *before* it is sent, with what the task read
 *   (the RevisionId it starts from), so a task delivered twice, or run again after a crash, can
 *   tell its own mutation from one still to make. Mutations that are idempotent by content
 *   (settings, aliases, concurrency) compare the function with what the stage asks instead.
 * - `unavailable` raises the retryable `Gennaker.TargetUnavailable`; a 409 `conflict` is waited
 *   out while the function is busy and fails the stage with Lambda's reason otherwise.
 */
import { GennakerError } from '../errors.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { readinessOf, type FunctionDescription, type FunctionFailure, type FunctionPort, type FunctionRef } from '../ports/functions.ts';
import type { TargetLookup } from '../ports/target.ts';
import { getStageType, type LambdaStage } from '../pipeline/stage-types/index.ts';
import { safeParse, issuesFromZod } from '../pipeline/zod-issues.ts';
import { failed, running, type TaskInput, type TaskResult } from './task-result.ts';

/** What the Lambda tasks need, handed in by the runner. */
export interface LambdaTaskDeps {
  readonly targets: TargetLookup;
  /** The accounts that exist, for the message when a stage names another. */
  readonly accounts?: () => readonly string[];
}

/** The function a stage acts on, and the port that reaches it. */
export interface LambdaScope {
  readonly ref: FunctionRef;
  readonly port: FunctionPort;
  /** `stage '<name>'`, the prefix of every failure message. */
  readonly label: string;
  /** The application the execution runs for. */
  readonly application: string;
}

/** The runtime key of every Lambda stage's progress. */
export const LAMBDA_PROGRESS_KEY = 'lambda';

function textAt(context: JsonObject, key: string): string | undefined {
  const value = context[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * clouddriver's function name: `<application>-<name>` unless the name already starts with the
 * application's prefix (`aws.lambda.prefixApplicationNameToFunction`, on by default). ARNs are
 * left alone.
 */
export function qualifiedFunctionName(application: string, functionName: string): string {
  if (functionName.startsWith('arn:') || functionName.startsWith(`${application}-`)) return functionName;
  return `${application}-${functionName}`;
}

/** The function of the stage and the account's function port, or one line saying why there is none. */
export function lambdaScope(input: TaskInput<LambdaStage>, deps: LambdaTaskDeps): { ok: true; scope: LambdaScope } | { ok: false; message: string } {
  const context = input.record.context;
  const label = `stage '${input.stage.name}'`;
  const account = textAt(context, 'account') ?? textAt(context, 'credentials');
  if (account === undefined) return { ok: false, message: `${label}: account is ${JSON.stringify(context.account ?? null)}; set it to the AWS account the function lives in` };
  const region = textAt(context, 'region');
  if (region === undefined) return { ok: false, message: `${label}: region is ${JSON.stringify(context.region ?? null)}; set it to the function's region, e.g. "us-east-1"` };
  const name = textAt(context, 'functionName');
  if (name === undefined) return { ok: false, message: `${label}: functionName is ${JSON.stringify(context.functionName ?? null)}; set it to the function's name` };
  const cloudProvider = textAt(context, 'cloudProvider');
  const target = deps.targets({ account, ...(cloudProvider !== undefined ? { cloudProvider } : {}) });
  if (!target) {
    const known = deps.accounts?.() ?? [];
    return { ok: false, message: `${label}: no deploy target serves account '${account}'${known.length > 0 ? ` (known accounts: ${known.join(', ')})` : ''}; check account, or configure it` };
  }
  const port = target.functions;
  if (!port) return { ok: false, message: `${label}: account '${account}' (${target.cloudProvider}) has no Lambda target wired in; name an AWS account whose functions Gennaker manages` };
  if (!port.regions.includes(region)) {
    return { ok: false, message: `${label}: account '${account}' has no Lambda target in region '${region}' (its regions: ${port.regions.join(', ') || 'none'}); set region to one of them` };
  }
  const application = input.execution.application;
  return { ok: true, scope: { ref: { account, region, functionName: qualifiedFunctionName(application, name) }, port, label, application } };
}

/**
 * The stage's fields from its context as evaluated at stage start, read by the stage type's own
 * schema: the parsed config holds expressions as text, the context holds their values.
 */
export function evaluatedConfig<S extends LambdaStage>(input: TaskInput<S>): { ok: true; config: S['config'] } | { ok: false; message: string } {
  const definition = getStageType(input.stage.type);
  if (!definition) return { ok: false, message: `stage '${input.stage.name}': unknown stage type ${input.stage.type}` };
  const parsed = safeParse(definition.schema, input.record.context);
  if (parsed.success) return { ok: true, config: parsed.data as S['config'] };
  const first = issuesFromZod(parsed.error, input.record.context, '')[0];
  return { ok: false, message: `stage '${input.stage.name}': ${first ? `${first.pointer.slice(1) || 'the stage'}: ${first.message}` : 'its fields are invalid after evaluating expressions'}` };
}

/** A number field after evaluation, or why it is not one (an expression that did not evaluate). */
export function numberField(value: number | string | undefined, field: string, label: string): { ok: true; value: number | undefined } | { ok: false; message: string } {
  if (value === undefined || typeof value === 'number') return { ok: true, value };
  return { ok: false, message: `${label}: ${field} is '${value}' after evaluating expressions; it must give a number` };
}

/** Seconds before the next look at a function still applying something: 2, 4, 8, 16, then 30. */
export function lambdaWaitSeconds(poll: number): number {
  return Math.min(30, 2 ** Math.max(1, Math.min(poll, 5)));
}

/** `unavailable` is retried by the state machine; anything else fails the stage with its reason. */
export function failure(result: FunctionFailure, what: string, label: string): TaskResult {
  if (result.reason === 'unavailable') throw new GennakerError('Gennaker.TargetUnavailable', `${label}: ${what}: ${result.message}; retrying`, { cause: result.cause });
  return failed(`${label}: ${what} failed: ${result.message}`);
}

/** The function now; `undefined` when it does not exist. Raises on `unavailable`. */
export async function readFunction(scope: LambdaScope): Promise<{ ok: true; value: FunctionDescription | undefined } | { ok: false; result: TaskResult }> {
  const found = await scope.port.get(scope.ref);
  if (!found.ok) return { ok: false, result: failure(found, `reading function '${scope.ref.functionName}'`, scope.label) };
  return { ok: true, value: found.value };
}

/** The failure for a function the stage needs and Lambda does not have. */
export function missingFunction(scope: LambdaScope): TaskResult {
  const { functionName, account, region } = scope.ref;
  return failed(`${scope.label}: function '${functionName}' does not exist in account '${account}', region ${region}; deploy it first (Aws.LambdaDeploymentStage) or fix functionName`);
}

/**
 * A 409 from Lambda: waited out while the function is still applying something (Pending, an update
 * InProgress); otherwise the stage fails with Lambda's reason (an alias naming the version to
 * delete, a name taken...).
 */
export async function afterConflict(scope: LambdaScope, result: FunctionFailure, what: string, poll: number): Promise<TaskResult> {
  if (result.reason !== 'conflict' && result.reason !== 'stale') return failure(result, what, scope.label);
  const read = await readFunction(scope);
  if (!read.ok) return read.result;
  if (read.value && readinessOf(read.value).kind === 'busy') return running(lambdaWaitSeconds(poll));
  // A stale RevisionId means the function changed since it was read: read it again and decide anew.
  if (result.reason === 'stale') return running(1);
  return failed(`${scope.label}: ${what} failed: ${result.message}`);
}

/**
 * A mutation Lambda refused (409 an update in progress, 412 a RevisionId that moved) did not
 * happen: the intent saved before it is dropped, so the next call does not take the change that
 * moved the RevisionId (someone else's update) for its own, and sends its mutation again once the
 * function is ready. (A lost answer retried by the SDK into a 412 then sends the same mutation
 * twice: the same content, never a skipped update.)
 */
export function withoutIntent(result: TaskResult, refusal: FunctionFailure, progress: JsonObject): TaskResult {
  if (refusal.reason !== 'conflict' && refusal.reason !== 'stale') return result;
  return { ...result, runtime: { ...result.runtime, [LAMBDA_PROGRESS_KEY]: progress } };
}

/** The stage fields Lambda reads from elsewhere and may refuse: the role it assumes, the package in S3. */
export interface RefusableFields {
  readonly role?: string;
  readonly s3bucket?: string;
  readonly s3key?: string;
}

/**
 * Lambda's refusal of a field the stage set, as one line naming the field, its value and the fix;
 * `undefined` when Lambda's reason names none of them.
 */
export function refusedField(refusal: FunctionFailure, fields: RefusableFields, label: string): string | undefined {
  if (refusal.reason !== 'invalid' && refusal.reason !== 'failed') return undefined;
  const reason = refusal.message;
  if (fields.role !== undefined && /role defined for the function cannot be assumed|at 'role' failed to satisfy|\brole\b.*(does not exist|not authorized|cannot be assumed)/i.test(reason)) {
    return `${label}: role is '${fields.role}', which Lambda refused (${reason}); set role to the ARN of an IAM role that lambda.amazonaws.com may assume (create it with that trust policy), or fix role`;
  }
  if (fields.s3bucket !== undefined && /NoSuchBucket/.test(reason)) {
    return `${label}: s3bucket is '${fields.s3bucket}', which does not exist (${reason}); fix s3bucket, or create the bucket in the function's region and upload the package`;
  }
  if (fields.s3key !== undefined && /NoSuchKey/.test(reason)) {
    return `${label}: s3key is '${fields.s3key}', which is not in bucket '${fields.s3bucket ?? ''}' (${reason}); upload the package there, or fix s3key`;
  }
  return undefined;
}

/** Versions newest first, as Orca's LambdaUtils.getSortedRevisions orders them. */
export function newestFirst(versions: readonly { readonly version: string }[]): string[] {
  return versions
    .map((entry) => entry.version)
    .filter((version) => /^[0-9]+$/.test(version))
    .sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10));
}

/**
 * Orca's version selectors (LambdaUtils.getCanonicalVersion) over the published versions, newest
 * first: `$LATEST` the newest, `$PREVIOUS` the one before, `$OLDEST` the oldest, `$PROVIDED` the
 * number given, `$MOVING` every version after the newest `retention`.
 */
export function resolveVersions(selector: string, newest: readonly string[], options: { readonly versionNumber?: string; readonly retention?: number } = {}): readonly string[] {
  if (/^[0-9]+$/.test(selector)) return [selector];
  switch (selector) {
    case '$PROVIDED':
      return options.versionNumber !== undefined && options.versionNumber.trim() !== '' ? [options.versionNumber.trim()] : [];
    case '$LATEST':
      return newest.slice(0, 1);
    case '$PREVIOUS':
      return newest.slice(1, 2);
    case '$OLDEST':
      return newest.slice(-1);
    case '$MOVING':
      return newest.slice(options.retention ?? 0);
    default:
      return [];
  }
}

/** A version selector's one version, or why there is none, naming what the function has. */
export function resolveOne(selector: string, newest: readonly string[], field: string, label: string, versionNumber?: string): { ok: true; version: string } | { ok: false; message: string } {
  const [version] = resolveVersions(selector, newest, versionNumber !== undefined ? { versionNumber } : {});
  if (version !== undefined) return { ok: true, version };
  const has = newest.length === 0 ? 'no published version' : `published versions ${[...newest].reverse().join(', ')}`;
  return { ok: false, message: `${label}: ${field} ${selector} names no version: the function has ${has}; publish one first (publish: true on its deploy stage), or pick another selector` };
}

/** One line of at most `max` characters, for text a function returned. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
