/**
 * Simulated time for tests of code that waits on timers (the local ASL engine's Wait states and
 * callback timeouts, scripted handler delays, poll loops): Vitest's fake timers, driven one timer
 * at a time. Time moves only when nothing else can happen, so the order of events is the order
 * of their due times, however busy the machine is, and an hour of waiting takes no real time.
 *
 *   useSimulatedTime();                          // in a describe or at the top of a file
 *   const outcome = await settle(engine.start(definition, input).result);
 *   await waitUntil(() => engine.pendingCallbacks().length === 1);
 */
import { afterEach, beforeEach, vi } from 'vitest';

/** Timers one wait may fire before it is taken for a loop that never ends. */
const MAX_TIMERS = 100_000;

/** Fake timers (and Date) around every test of the enclosing suite. */
export function useSimulatedTime(startAt = Date.UTC(2024, 0, 1, 12, 0, 0)): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: startAt });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Runs pending microtasks, then the timers due next, until `done()` holds or time runs past `withinMs`. */
async function advanceUntil(done: () => boolean, what: string, withinMs: number): Promise<void> {
  const started = Date.now();
  // Promise callbacks first: what is already resolved must not wait for a timer.
  await vi.advanceTimersByTimeAsync(0);
  for (let fired = 0; !done(); fired++) {
    if (vi.getTimerCount() === 0) throw new Error(`${what}: nothing is scheduled, so it never will (after ${Date.now() - started} ms of simulated time)`);
    if (fired === MAX_TIMERS) throw new Error(`${what}: ${MAX_TIMERS} timers fired (after ${Date.now() - started} ms of simulated time); is something looping?`);
    await vi.advanceTimersToNextTimerAsync();
    if (Date.now() - started > withinMs && !done()) throw new Error(`${what} within ${withinMs} ms of simulated time`);
  }
}

/** Resolves with `promise`'s value, moving simulated time as far as it needs (at most `withinMs`). */
export async function settle<T>(promise: Promise<T>, withinMs = 24 * 3600_000): Promise<T> {
  const outcome: { settled?: { ok: true; value: T } | { ok: false; error: unknown } } = {};
  promise.then(
    (value) => void (outcome.settled = { ok: true, value }),
    (error: unknown) => void (outcome.settled = { ok: false, error }),
  );
  await advanceUntil(() => outcome.settled !== undefined, 'the promise did not settle', withinMs);
  const settled = outcome.settled!;
  if (!settled.ok) throw settled.error;
  return settled.value;
}

/** Moves simulated time until `condition()` holds (at most `withinMs`). */
export async function waitUntil(condition: () => boolean, withinMs = 60_000): Promise<void> {
  await advanceUntil(condition, 'the condition did not hold', withinMs);
}

/** Moves simulated time forward by exactly `ms`, running every timer due on the way. */
export async function elapse(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}
