/**
 * AWS errors as port failures (core/ports/server-groups.ts): the SDK's error, whichever service
 * raised it, becomes a reason and one line for the pipeline author that carries the cloud's own
 * words (`ECS CreateService answered InvalidParameterException: ...`); the error itself stays in
 * `cause`. Throttling, 5xx and a lost connection are `unavailable`, the one reason the step
 * executor retries. An error that is not the cloud's (a TypeError in this adapter) is a bug and is
 * rethrown.
 */
import type { PortFailure, PortFailureReason } from '../../../core/ports/server-groups.ts';

/** Error codes that say "not now": the same call may succeed later. */
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalServiceException',
  'ConcurrentUpdateException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Socket errors of an unreachable or interrupted endpoint. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

const NOT_FOUND = new Set(['ServiceNotFoundException', 'ServiceNotActiveException', 'ObjectNotFoundException']);

const INVALID = new Set([
  'InvalidParameterException',
  'ValidationException',
  'ClusterNotFoundException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'InvalidSubnetID.NotFound',
  'InvalidSubnetID.Malformed',
  'InvalidGroup.NotFound',
  'InvalidGroupId.Malformed',
  'InvalidVpcID.NotFound',
  'TargetGroupNotFound',
  'TargetGroupNotFoundException',
  'LoadBalancerNotFound',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
]);

const DENIED = /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken|ExpiredTokenException|AuthFailure|SignatureDoesNotMatch|MissingAuthenticationToken)$/;

interface AwsLikeError {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

function asAwsError(error: unknown): AwsLikeError | undefined {
  return error !== null && typeof error === 'object' ? (error as AwsLikeError) : undefined;
}

/** True when the error came from the cloud or the wire, not from a bug here. */
export function isCloudError(error: unknown): boolean {
  const aws = asAwsError(error);
  if (!aws) return false;
  return aws.$metadata !== undefined || aws.$fault !== undefined || (typeof aws.code === 'string' && NETWORK.has(aws.code)) || aws.name === 'TimeoutError';
}

/** The AWS error code of an SDK error (`InvalidParameterException`), or undefined. */
export function errorCode(error: unknown): string | undefined {
  const aws = asAwsError(error);
  return aws && typeof aws.name === 'string' ? aws.name : undefined;
}

/** Which reason an AWS error is. */
export function reasonOf(error: unknown): PortFailureReason {
  const aws = asAwsError(error);
  const code = typeof aws?.name === 'string' ? aws.name : '';
  const status = aws?.$metadata?.httpStatusCode;
  if (THROTTLED.has(code) || aws?.$retryable?.throttling === true || (status !== undefined && status >= 500) || aws?.$fault === 'server') return 'unavailable';
  if (typeof aws?.code === 'string' && NETWORK.has(aws.code)) return 'unavailable';
  if (NOT_FOUND.has(code)) return 'not-found';
  if (INVALID.has(code)) return 'invalid';
  if (DENIED.test(code)) return 'failed';
  return 'failed';
}

/** The cloud's message on one line. */
export function cloudMessage(error: unknown): string {
  const aws = asAwsError(error);
  const code = typeof aws?.name === 'string' && aws.name !== 'Error' ? aws.name : typeof aws?.code === 'string' ? aws.code : 'Error';
  const text = typeof aws?.message === 'string' ? aws.message.replace(/\s+/g, ' ').trim() : '';
  return text === '' || text === code ? code : `${code}: ${text}`;
}

/**
 * The failure for an error an AWS call raised: `<service> <Operation> answered <code>: <message>`,
 * after `context` when given (`provider field ecsClusterName is "x"`). Non-cloud errors are rethrown.
 */
export function awsFailure(error: unknown, service: string, operation: string, context?: string, reason?: PortFailureReason): PortFailure {
  if (!isCloudError(error)) throw error;
  const found = reasonOf(error);
  const answered = `${service} ${operation} answered ${cloudMessage(error)}`;
  const retry = found === 'unavailable' ? '; try again later' : '';
  return { ok: false, reason: found === 'unavailable' ? found : (reason ?? found), message: `${context !== undefined ? `${context}: ` : ''}${answered}${retry}`, cause: error };
}

/** A port failure with its reason and one-line message (the SDK's error in `cause`). */
export function failure(reason: PortFailureReason, message: string, cause?: unknown): PortFailure {
  return { ok: false, reason, message, ...(cause !== undefined ? { cause } : {}) };
}

/** A failure carried out of nested helpers to the port operation that answers it. */
export class Halt extends Error {
  constructor(readonly failure: PortFailure) {
    super(failure.message);
  }
}
