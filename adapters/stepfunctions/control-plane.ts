/**
 * Calls to Step Functions' control plane, which is rate-limited per account and Region
 * (reference/aws-and-peers.md §1.3: CreateStateMachine, UpdateStateMachine and the alias calls
 * refill at ONE token per second). A throttled call is retried with exponential backoff and full
 * jitter; definition updates go through one bounded queue per process, one at a time, so a burst
 * of saves drains at the rate the bucket refills instead of failing.
 */

/** How throttled calls are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** The backoff's first ceiling. @default 250 */
  readonly baseDelayMs?: number;
  /** The backoff's largest ceiling. @default 8000 */
  readonly maxDelayMs?: number;
}

export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1): the jitter. */
  readonly random: () => number;
  readonly policy?: RetryPolicy;
}

/** Error names AWS uses for "slow down" (Step Functions says ThrottlingException; other services and proxies vary). */
const THROTTLING_NAMES = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'TooManyRequests', 'RequestLimitExceeded']);

/** Whether an SDK error means the call was throttled (and can be retried unchanged). */
export function isThrottling(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata, $retryable } = error as { name?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  return (typeof name === 'string' && THROTTLING_NAMES.has(name)) || $retryable?.throttling === true || $metadata?.httpStatusCode === 429;
}

/** The delay before retry `attempt` (1-based): full jitter over an exponential ceiling. */
export function backoffDelay(attempt: number, random: () => number, policy: RetryPolicy = {}): number {
  const base = policy.baseDelayMs ?? 250;
  const ceiling = Math.min(policy.maxDelayMs ?? 8000, base * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Runs `call`, retrying it while it is throttled; any other error, or the last throttling, is thrown. */
export async function retryThrottled<T>(call: () => Promise<T>, deps: RetryDeps): Promise<T> {
  const maxAttempts = Math.max(1, deps.policy?.maxAttempts ?? 8);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt >= maxAttempts) throw error;
      await deps.sleep(backoffDelay(attempt, deps.random, deps.policy));
    }
  }
}

export type Enqueued<T> = { readonly accepted: true; readonly done: Promise<T> } | { readonly accepted: false; readonly pending: number };

export interface ControlPlaneQueue {
  /** Queues `job` behind the others; refused (not run) when `limit` jobs are already queued or running. */
  enqueue<T>(job: () => Promise<T>): Enqueued<T>;
  /** Jobs queued or running. */
  pending(): number;
  /** Settles when every job queued so far has finished. */
  idle(): Promise<void>;
}

/** A queue that runs one job at a time, in order; at most `limit` jobs wait or run. */
export function createControlPlaneQueue(options: { readonly limit: number }): ControlPlaneQueue {
  if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error(`control-plane queue limit ${options.limit} must be a whole number of at least 1`);
  let tail: Promise<unknown> = Promise.resolve();
  let pending = 0;
  return {
    enqueue<T>(job: () => Promise<T>): Enqueued<T> {
      if (pending >= options.limit) return { accepted: false, pending };
      pending++;
      const done = tail.then(job).finally(() => {
        pending--;
      });
      // The chain continues whatever this job does; its caller sees its own outcome on `done`.
      tail = done.catch(() => undefined);
      return { accepted: true, done };
    },
    pending: () => pending,
    async idle() {
      let seen: Promise<unknown> | undefined;
      while (seen !== tail) {
        seen = tail;
        await tail;
      }
    },
  };
}
