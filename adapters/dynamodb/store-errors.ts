/**
 * Maps SDK failures onto the error catalog. Nothing of the SDK's text goes up: the message
 * names only the store operation, and the SDK error rides along in `cause` for the logs.
 */
import { GennakerError } from '../../core/errors.ts';

/** Error names the service (or the SDK's own retry layer) uses for transient faults. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);

/** Node's codes for a network that failed before DynamoDB answered. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

interface SdkLikeError {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** True for the failure of a ConditionExpression: the expected outcome of a lost race. */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** True when DynamoDB refused a write because the item would exceed 400 KB. */
export function isItemTooLarge(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ValidationException' &&
    /item size.*(exceeded|maximum)/i.test(error.message)
  );
}

/** True when the request never got an answer it could act on: throttled, 5xx, or a network fault. */
export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkLikeError;
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500;
  // The SDK attached its metadata but no HTTP status: the request never got an answer.
  return e.$metadata !== undefined;
}

/**
 * The catalog error for an SDK failure during `operation`: StoreUnavailable (retryable) for
 * throttling and network faults, InvariantViolated for a request the store will never accept
 * (a bug or a misconfiguration such as a missing table).
 */
export function toStoreError(operation: string, error: unknown): GennakerError {
  if (error instanceof GennakerError) return error;
  if (isItemTooLarge(error)) {
    // The store's own budgets should have refused this write first: a bug in the accounting.
    return new GennakerError('Gennaker.InvariantViolated', `${operation} would exceed DynamoDB's 400 KB item limit`, { cause: error });
  }
  if (isTransient(error)) {
    return new GennakerError('Gennaker.StoreUnavailable', `the execution store did not answer (${operation})`, { cause: error });
  }
  return new GennakerError(
    'Gennaker.InvariantViolated',
    `the execution store refused ${operation}: a bug or a misconfiguration (see the cause in the logs)`,
    { cause: error },
  );
}
