/**
 * AWS errors as port failures (core/ports/server-groups.ts): what the SDK raised, read by its
 * error code, becomes one reason and one line for the pipeline author with AWS's own message in
 * it; the SDK error stays in `cause`. Throttling, 5xx and network faults are `unavailable`, the
 * one reason the state machine retries (after the SDK's own retries ran out).
 */
import type { PortFailure, PortFailureReason } from '../../../core/ports/server-groups.ts';

/** Codes the SDK's standard retry treats as throttling (`@smithy/core` service-error-classification). */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** Faults of the connection, not of the request: worth trying again. */
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'InternalFailure', 'InternalError', 'ServiceUnavailable', 'Unavailable']);

/** The group is busy: the same call succeeds once the activity is over. */
const BUSY = new Set(['ScalingActivityInProgress', 'ScalingActivityInProgressFault', 'ResourceInUse', 'ResourceInUseFault', 'ResourceContention', 'ResourceContentionFault', 'IncorrectState']);

const DENIED = /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|AuthFailure|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken|ExpiredTokenException|OptInRequired|Blocked|SignatureDoesNotMatch)$/;
const QUOTA = /(^LimitExceeded|LimitExceeded$|LimitExceededFault$|^TooMany|QuotaExceeded|^InsufficientInstanceCapacity$|^MaxSpotInstanceCountExceeded$)/;
const NOT_FOUND = /(NotFound|NotFoundException|NotFoundFault|\.Unknown|^NoSuch)/;
const ALREADY = /(AlreadyExists|\.Duplicate$|^DuplicateTargetGroupName|^DuplicateListener)/;
const INVALID = /^(ValidationError|InvalidParameter|InvalidParameterValue|InvalidParameterCombination|InvalidParameterException|MissingParameter|InvalidInput|InvalidConfigurationRequest|InvalidTarget|IdempotentParameterMismatch|UnsupportedOperation|Unsupported|InvalidRequest|InvalidAction|OperationNotPermitted)|^Invalid.+\.(Malformed|Range)$|^Invalid/;

/** What an SDK error is made of (smithy's ServiceException, or a Node network error). */
interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly Code?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

/** The AWS error code: awsQuery's `Code` when the SDK renamed it to a modeled exception, else the name. */
export function awsErrorCode(error: unknown): string {
  if (error === null || typeof error !== 'object') return 'Unknown';
  const sdk = error as SdkError;
  return sdk.Code ?? (typeof sdk.code === 'string' && sdk.code !== '' && !/^\d+$/.test(sdk.code) ? sdk.code : undefined) ?? sdk.name ?? 'Unknown';
}

/** Whether the error is an SDK or network error this module can classify (anything else is a bug). */
export function isAwsError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const sdk = error as SdkError;
  if (sdk.$metadata !== undefined || sdk.$fault !== undefined) return true;
  const code = awsErrorCode(error);
  return TRANSIENT.has(code) || THROTTLING.has(code) || (typeof sdk.code === 'string' && /^E[A-Z]+$/.test(sdk.code));
}

/** One line: whitespace collapsed, at most 300 characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

/** The reason an AWS error code means for a port, before any caller-specific override. */
export function reasonOf(error: unknown): PortFailureReason {
  const code = awsErrorCode(error);
  const sdk = (error ?? {}) as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  if (THROTTLING.has(code) || sdk.$retryable?.throttling === true || status === 429) return 'unavailable';
  if (TRANSIENT.has(code) || (status !== undefined && status >= 500) || BUSY.has(code)) return 'unavailable';
  if (typeof sdk.code === 'string' && /^E[A-Z]+$/.test(sdk.code)) return 'unavailable';
  if (DENIED.test(code)) return 'failed';
  if (QUOTA.test(code)) return 'failed';
  if (ALREADY.test(code)) return 'already-exists';
  if (NOT_FOUND.test(code)) return 'not-found';
  // Auto Scaling says "not found" through ValidationError (`AutoScalingGroup name not found - ...`).
  if (code === 'ValidationError' && /not found/i.test(sdk.message ?? '')) return 'not-found';
  if (INVALID.test(code)) return 'invalid';
  return 'failed';
}

/** What to do about it, by reason, for the end of the line. */
function advice(reason: PortFailureReason, code: string): string {
  if (reason === 'unavailable') return '; it will be tried again';
  if (DENIED.test(code)) return "; grant the deploy role this action (reference: the stack's IAM policy)";
  if (QUOTA.test(code)) return '; raise the service quota or use fewer resources';
  return '';
}

/**
 * The failure of `what` (`creating hello-prod-v001`): the reason from the error code, or
 * `override` when the caller knows better (a target group named in a provider field that does
 * not exist is `invalid`, not `not-found`). Throws what is not an AWS error: that is a bug.
 */
export function awsFailure(error: unknown, what: string, override?: (code: string, reason: PortFailureReason) => PortFailureReason | undefined): PortFailure {
  if (!isAwsError(error)) throw error;
  const code = awsErrorCode(error);
  const base = reasonOf(error);
  const reason = override?.(code, base) ?? base;
  const message = (error as SdkError).message ?? '';
  const text = message === '' || message === code || message === 'UnknownError' ? code : `${code}: ${message}`;
  return { ok: false, reason, message: oneLine(`${what} failed: AWS ${text}${advice(reason, code)}`), cause: error };
}

/** An AWS failure in flight through the adapter's own helpers; the port methods answer it as a value. */
export class Ec2PortFailure extends Error {
  override readonly name = 'Ec2PortFailure';
  constructor(readonly failure: PortFailure) {
    super(failure.message);
  }
}

/** Throws the failure so a nested helper can stop its operation; see `Ec2PortFailure`. */
export function fail(reason: PortFailureReason, message: string, cause?: unknown): never {
  throw new Ec2PortFailure({ ok: false, reason, message: oneLine(message), ...(cause !== undefined ? { cause } : {}) });
}
