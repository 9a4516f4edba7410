/**
 * Spinnaker's execution and stage statuses (Orca's ExecutionStatus), with the same
 * complete/halt flags. SpEL compares them as strings, so they are plain string literals.
 */

export const EXECUTION_STATUSES = [
  'NOT_STARTED',
  'RUNNING',
  'PAUSED',
  'SUSPENDED',
  'SUCCEEDED',
  'FAILED_CONTINUE',
  'TERMINAL',
  'CANCELED',
  'REDIRECT',
  'STOPPED',
  'SKIPPED',
  'BUFFERED',
] as const;

export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

const COMPLETE: ReadonlySet<ExecutionStatus> = new Set([
  'SUCCEEDED',
  'FAILED_CONTINUE',
  'TERMINAL',
  'CANCELED',
  'STOPPED',
  'SKIPPED',
]);
const HALT: ReadonlySet<ExecutionStatus> = new Set(['TERMINAL', 'CANCELED', 'STOPPED']);

/** A complete status never changes again (every store write is conditioned on this). */
export function isComplete(status: ExecutionStatus): boolean {
  return COMPLETE.has(status);
}

/** A halting status stops everything downstream of the stage. */
export function isHalt(status: ExecutionStatus): boolean {
  return HALT.has(status);
}

/** Orca's isSuccessful(): SUCCEEDED, STOPPED, SKIPPED. */
export function isSuccessful(status: ExecutionStatus): boolean {
  return status === 'SUCCEEDED' || status === 'STOPPED' || status === 'SKIPPED';
}

/** Orca's isFailure(): TERMINAL, STOPPED, FAILED_CONTINUE. */
export function isFailure(status: ExecutionStatus): boolean {
  return status === 'TERMINAL' || status === 'STOPPED' || status === 'FAILED_CONTINUE';
}

export function isExecutionStatus(value: unknown): value is ExecutionStatus {
  return typeof value === 'string' && (EXECUTION_STATUSES as readonly string[]).includes(value);
}
