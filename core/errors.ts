/**
 * The one error catalog. Every error that crosses a process boundary (Lambda → Step Functions,
 * API → CLI) is recognized by its literal `name`, never by class: bundlers rename classes and
 * Step Functions matches `ErrorEquals` on the name. The compiler emits Retry and Catch from
 * this table, so a new retryable error is retried everywhere by adding one line here.
 */

/** Where an error comes from: our own code, or the platform invoking it. */
export type ErrorOrigin = 'gennaker' | 'platform';

export interface ErrorSpec {
  readonly retryable: boolean;
  readonly origin: ErrorOrigin;
  readonly description: string;
}

export const ERROR_CATALOG = {
  // Platform errors raised by Step Functions / Lambda when invoking a function: transient.
  'Lambda.ServiceException': { retryable: true, origin: 'platform', description: 'Lambda service fault while invoking the stage runner.' },
  'Lambda.AWSLambdaException': { retryable: true, origin: 'platform', description: 'Lambda service fault while invoking the stage runner.' },
  'Lambda.SdkClientException': { retryable: true, origin: 'platform', description: 'Network fault between Step Functions and Lambda.' },
  'Lambda.TooManyRequestsException': { retryable: true, origin: 'platform', description: 'Lambda concurrency throttled the invocation.' },
  'Lambda.ClientExecutionTimeoutException': { retryable: true, origin: 'platform', description: 'The invocation request timed out before reaching Lambda.' },
  // Gennaker's own infrastructure faults: transient, retried by the state machine.
  'Gennaker.StoreUnavailable': { retryable: true, origin: 'gennaker', description: 'The execution store did not answer (throttled or unreachable).' },
  'Gennaker.WriteConflict': { retryable: true, origin: 'gennaker', description: 'A conditional write lost a race; reading again and retrying is safe.' },
  'Gennaker.TargetUnavailable': { retryable: true, origin: 'gennaker', description: 'A deploy target or metric source did not answer.' },
  // Outcomes that end a stage or an execution: never retried.
  'Gennaker.PipelineHalted': { retryable: false, origin: 'gennaker', description: 'A stage ended TERMINAL; the pipeline halts and running branches are canceled.' },
  'Gennaker.ExecutionFailed': { retryable: false, origin: 'gennaker', description: 'The execution ended in a status other than SUCCEEDED.' },
  'Gennaker.InvalidPipeline': { retryable: false, origin: 'gennaker', description: 'The pipeline definition has validation issues.' },
  'Gennaker.PipelineTooLarge': { retryable: false, origin: 'gennaker', description: 'The compiled state machine would exceed a Step Functions limit.' },
  'Gennaker.ExpressionError': { retryable: false, origin: 'gennaker', description: 'An expression could not be parsed or evaluated.' },
  'Gennaker.InvariantViolated': { retryable: false, origin: 'gennaker', description: 'An internal invariant was broken; this is a bug.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERROR_CATALOG;

/** Names the compiler puts in every Task's Retry (full jitter). */
export const RETRYABLE_ERROR_NAMES: readonly ErrorName[] = (Object.keys(ERROR_CATALOG) as ErrorName[]).filter(
  (name) => ERROR_CATALOG[name].retryable,
);

/** An error with a stable literal name from the catalog, a retryable flag and an optional cause. */
export class GennakerError extends Error {
  override readonly name: ErrorName;
  readonly retryable: boolean;

  constructor(name: ErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
    this.retryable = ERROR_CATALOG[name].retryable;
  }
}

/** Recognizes a catalog error by name, across process and bundle boundaries. */
export function isGennakerError(value: unknown, name?: ErrorName): value is GennakerError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = (value as { name?: unknown }).name;
  if (typeof candidate !== 'string' || !(candidate in ERROR_CATALOG)) return false;
  return name === undefined || candidate === name;
}
