/**
 * How long a poll step waits before it is called again. Two kinds of polling: waiting for a
 * known time (wait, waitUntil, waitBeforeMonitor) and waiting for the world (a child pipeline, a
 * webhook's status). Both must stay within the step's poll budget (`maxPolls`), which the
 * compiler's history-events bound relies on.
 */

/**
 * Seconds to wait for a deadline `remainingSeconds` away, checking at least every
 * `checkEverySeconds` (so a "skip remaining wait" is noticed) while never needing more calls
 * than `pollsLeft` (calls still allowed after this one). The first term wins whenever the
 * budget allows it; otherwise the wait is spread evenly over the calls left.
 */
export function deadlineWaitSeconds(remainingSeconds: number, pollsLeft: number, checkEverySeconds: number): number {
  const remaining = Math.max(0, Math.ceil(remainingSeconds));
  if (remaining === 0) return 0;
  const spread = pollsLeft <= 1 ? remaining : Math.ceil(remaining / pollsLeft);
  return Math.min(remaining, Math.max(checkEverySeconds, spread));
}

/**
 * Proportional backoff for waiting on the world: 10% of the time waited so far, between 5 s and
 * 10 min. Short jobs are noticed quickly; a long one costs few polls (about 100 polls span 8 h).
 */
export function backoffSeconds(elapsedMs: number, bounds: { readonly min?: number; readonly max?: number } = {}): number {
  const min = bounds.min ?? 5;
  const max = bounds.max ?? 600;
  return Math.min(max, Math.max(min, Math.ceil(elapsedMs / 10_000)));
}

/** Retry backoff for transient HTTP answers: 2, 4, 8... seconds, at most 60. */
export function retrySeconds(attempt: number): number {
  return Math.min(60, 2 ** Math.max(1, Math.min(attempt, 6)));
}
