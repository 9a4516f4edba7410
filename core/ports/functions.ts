/**
 * The function port: AWS Lambda as Spinnaker's Lambda stages drive it (reference/cloud-targets.md
 * §4). A Lambda deploy has no server groups: a *function* holds a mutable `$LATEST` (code and
 * settings), immutable numbered *versions* published from it, and *aliases* that point at one
 * version and may send a share of their traffic to a second one. So this port is not the
 * server-group port bent to fit; it is the function's own small model, and the Lambda stages
 * (core/stages/lambda-*.ts) drive it.
 *
 * The contract every adapter keeps (the same spirit as core/ports/server-groups.ts):
 * - Every operation starts and returns. Lambda applies a create or an update in the background
 *   (`state` Pending → Active, `lastUpdateStatus` InProgress → Successful): the caller reads it back
 *   with `get` on its next poll and never waits inside a call.
 * - Results are values. Only broken invariants throw. `unavailable` (throttled, 5xx, unreachable)
 *   is retried by the state machine through `Gennaker.TargetUnavailable`; `conflict` is Lambda's
 *   409 (an update in progress, the function not ready yet, an alias still naming a version): the
 *   caller reads the function to tell "wait" from "fail"; `stale` is a RevisionId that no longer
 *   matches (412): someone (perhaps this very step, delivered twice) changed the function since it
 *   was read.
 * - Reads answer `undefined` for what does not exist (a function, an alias): absence is an
 *   expected outcome, not a failure. `delete` of what is gone answers `already-done`.
 * - Messages are one line for the pipeline author and carry the cloud's own reason; SDK objects
 *   stay in `cause`.
 *
 * Pure types: no SDK, no I/O.
 */
import type { OwnerToken, PortFailureReason } from './server-groups.ts';

/** Which function: by name (or ARN) within an account and a region. */
export interface FunctionRef {
  readonly account: string;
  readonly region: string;
  /** The function's name as Lambda knows it (after the application prefix, when the stage adds one). */
  readonly functionName: string;
}

/** Lambda's `State`: a new function is Pending until it can be invoked and updated. */
export type FunctionState = 'Pending' | 'Active' | 'Inactive' | 'Failed';

/** Lambda's `LastUpdateStatus`: a code or settings update is InProgress until applied. */
export type FunctionUpdateStatus = 'InProgress' | 'Successful' | 'Failed';

/** Where the deployment package is: an S3 object (Spinnaker's `s3bucket` and `s3key`). */
export interface FunctionCode {
  readonly s3Bucket: string;
  readonly s3Key: string;
  readonly s3ObjectVersion?: string;
}

/**
 * A function's settings as Spinnaker's deploy stage sets them. Absent fields are left as they
 * are on an update, and take Lambda's defaults on a create.
 */
export interface FunctionSettings {
  readonly handler?: string;
  readonly runtime?: string;
  /** The execution role's ARN. */
  readonly role?: string;
  /** MB. */
  readonly memorySize?: number;
  /** Seconds. */
  readonly timeout?: number;
  readonly description?: string;
  /** The whole environment: an update replaces it, as Lambda does. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Layer version ARNs. */
  readonly layers?: readonly string[];
  readonly vpc?: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
  readonly deadLetterTargetArn?: string;
  readonly kmsKeyArn?: string;
  readonly tracingMode?: 'Active' | 'PassThrough';
}

/** A function as Lambda describes its `$LATEST` now. */
export interface FunctionDescription {
  readonly functionName: string;
  readonly functionArn: string;
  /** As Lambda says it; unknown states are passed through unchanged. */
  readonly state: FunctionState | (string & {});
  readonly stateReason?: string;
  readonly lastUpdateStatus?: FunctionUpdateStatus | (string & {});
  readonly lastUpdateStatusReason?: string;
  /** Base64 SHA-256 of the deployment package. */
  readonly codeSha256: string;
  /** Changes on every code or settings update of `$LATEST`. */
  readonly revisionId: string;
  /** `$LATEST`, or the version a create or code update with `publish` made. */
  readonly version: string;
  readonly settings: FunctionSettings;
  readonly tags: Readonly<Record<string, string>>;
  /** Reserved concurrent executions, when the function has some. */
  readonly reservedConcurrency?: number;
}

/** A published version: an immutable snapshot of code and settings, numbered 1, 2, 3... */
export interface FunctionVersion {
  /** The number, as Lambda writes it (`"3"`). */
  readonly version: string;
  readonly codeSha256: string;
  readonly description?: string;
}

/** An alias: a name for one version, with at most one more version taking a share of its traffic. */
export interface FunctionAlias {
  readonly name: string;
  /** The version the alias names (its primary). */
  readonly functionVersion: string;
  /** `{ "4": 0.1 }`: the second version and its share (0-1); `{}` when the alias routes to one version. */
  readonly additionalVersionWeights: Readonly<Record<string, number>>;
  readonly description?: string;
  /** Changes on every update of the alias. */
  readonly revisionId?: string;
}

/** What an alias should be. */
export interface AliasSpec {
  readonly name: string;
  readonly functionVersion: string;
  /** `{}` routes everything to `functionVersion` (and clears a previous split). */
  readonly additionalVersionWeights: Readonly<Record<string, number>>;
  readonly description?: string;
}

export interface CreateFunctionRequest {
  readonly code: FunctionCode;
  readonly settings: FunctionSettings;
  readonly tags: Readonly<Record<string, string>>;
  /** Publish version 1 with the create (Lambda's `Publish`). */
  readonly publish: boolean;
  /** Stored with the function (a tag), so a repeated create finds its own function. */
  readonly owner: OwnerToken;
}

/** One synchronous invocation's answer. */
export interface InvokeOutcome {
  /** 200 for a synchronous invocation Lambda ran, whatever the function answered. */
  readonly statusCode: number;
  /** The version that ran (an alias resolves to one of its versions). */
  readonly executedVersion?: string;
  /** `Unhandled` or `Handled` when the function failed; its payload then holds the error. */
  readonly functionError?: string;
  /** The function's answer as text. */
  readonly payload: string;
  /** The tail of the execution log, when Lambda returned it. */
  readonly logTail?: string;
}

/** The tag a create stores its owner token under. */
export const FUNCTION_OWNER_TAG = 'gennaker:owner';

/** Why a function operation did nothing. */
export type FunctionFailureReason =
  | PortFailureReason
  /** Lambda's 409: an update in progress, the function not ready, an alias naming a version. */
  | 'conflict'
  /** Lambda's 412: the RevisionId given no longer matches the function or alias. */
  | 'stale';

/** A failure. `message` is for the pipeline author; SDK text stays in `cause`. */
export interface FunctionFailure {
  readonly ok: false;
  readonly reason: FunctionFailureReason;
  readonly message: string;
  readonly cause?: unknown;
}

export type FunctionResult<T> = { readonly ok: true; readonly value: T } | FunctionFailure;

export interface FunctionPort {
  /** The regions this account's functions live in; a stage naming another region is refused before any call. */
  readonly regions: readonly string[];
  /** `$LATEST` now, with tags and reserved concurrency; `undefined` when there is no such function. */
  get(ref: FunctionRef): Promise<FunctionResult<FunctionDescription | undefined>>;
  /** Starts creating the function (Pending until Active). A name already taken answers `already-exists`. */
  create(ref: FunctionRef, request: CreateFunctionRequest): Promise<FunctionResult<FunctionDescription>>;
  /** Starts replacing `$LATEST`'s code (InProgress until Successful), if `revisionId` still matches. */
  updateCode(ref: FunctionRef, request: { readonly code: FunctionCode; readonly publish: boolean; readonly revisionId?: string }): Promise<FunctionResult<FunctionDescription>>;
  /** Starts changing `$LATEST`'s settings (InProgress until Successful), if `revisionId` still matches. */
  updateSettings(ref: FunctionRef, request: { readonly settings: FunctionSettings; readonly revisionId?: string }): Promise<FunctionResult<FunctionDescription>>;
  /** Adds or overwrites tags on the function (`functionArn`: tags are set by ARN). */
  tag(ref: FunctionRef, functionArn: string, tags: Readonly<Record<string, string>>): Promise<FunctionResult<true>>;
  /** Sets the reserved concurrency, or removes it (`undefined`). */
  setReservedConcurrency(ref: FunctionRef, reserved: number | undefined): Promise<FunctionResult<true>>;
  /**
   * Publishes `$LATEST` as a new version, if `revisionId` still matches. When `$LATEST` has not
   * changed since the newest version, Lambda answers that version instead of a new one.
   */
  publishVersion(ref: FunctionRef, request: { readonly description?: string; readonly revisionId?: string }): Promise<FunctionResult<FunctionVersion>>;
  /** The published versions, oldest first (`$LATEST` left out). */
  listVersions(ref: FunctionRef): Promise<FunctionResult<readonly FunctionVersion[]>>;
  /** The alias, or `undefined` when the function has no alias by that name. */
  getAlias(ref: FunctionRef, name: string): Promise<FunctionResult<FunctionAlias | undefined>>;
  /** Creates the alias. A name already taken answers `already-exists`. */
  createAlias(ref: FunctionRef, alias: AliasSpec): Promise<FunctionResult<FunctionAlias>>;
  /** Points the alias at `alias.functionVersion` with `alias.additionalVersionWeights`, if `revisionId` still matches. */
  updateAlias(ref: FunctionRef, alias: AliasSpec, options?: { readonly revisionId?: string }): Promise<FunctionResult<FunctionAlias>>;
  /** Invokes synchronously: `qualifier` is a version, an alias, or absent for `$LATEST`. */
  invoke(ref: FunctionRef, request: { readonly qualifier?: string; readonly payload: string }): Promise<FunctionResult<InvokeOutcome>>;
  /** Deletes one version (`qualifier`), or the whole function. What is gone already answers `already-done`. */
  delete(ref: FunctionRef, request: { readonly qualifier?: string }): Promise<FunctionResult<'done' | 'already-done'>>;
}

/** Where a function is in its lifecycle, as the stages wait on it. */
export type FunctionReadiness =
  /** Active and no update running: the next mutation may start. */
  | { readonly kind: 'ready' }
  /** Pending, or an update InProgress: ask again later. */
  | { readonly kind: 'busy'; readonly what: string }
  /** Failed (create or last update): nothing will change on its own. */
  | { readonly kind: 'failed'; readonly message: string };

/**
 * Whether the next mutation may start (cloud-targets.md §8.3: wait for `State=Active` and
 * `LastUpdateStatus=Successful` between every mutation, the first cause of Lambda's 409s). An
 * Inactive function (idle for weeks) accepts updates, which wake it; a last update that Failed
 * left the previous code running and does not block the next one.
 */
export function readinessOf(description: FunctionDescription): FunctionReadiness {
  if (description.state === 'Failed') {
    return { kind: 'failed', message: `function '${description.functionName}' is Failed${description.stateReason ? `: ${description.stateReason}` : ''}` };
  }
  if (description.state === 'Pending') return { kind: 'busy', what: `function '${description.functionName}' to become Active (it is Pending)` };
  if (description.lastUpdateStatus === 'InProgress') return { kind: 'busy', what: `the update of function '${description.functionName}' to finish (LastUpdateStatus InProgress)` };
  return { kind: 'ready' };
}

/** Lambda's reading of version numbers: `"10"` is newer than `"9"`. */
export function compareVersions(a: string, b: string): number {
  return Number.parseInt(a, 10) - Number.parseInt(b, 10);
}
