/**
 * What every simulated cloud of `--sandbox` does alike: its clock follows the wall clock `speed`
 * times faster, and the calls a run made are counted by a key naming the API method.
 */

/** How often a simulator's clock moves: small steps, so instances and targets change state as often as a poll could see it. */
export const SANDBOX_STEP_MS = 50;

/**
 * Moves `tick`'s clock along the wall clock, `speed` times faster, until the answered stop is
 * called. The stop's `behind` is the simulated time the wall clock has lived since the last tick:
 * a reader of the time adds it, so its clock runs on between ticks (a wait of the wall clock
 * `speed` times shorter than a simulated one then always covers it, however late a tick comes).
 */
export function followWallClock(tick: (ms: number) => unknown, speed: number): (() => void) & { readonly behind: () => number } {
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    tick(Math.round((now - last) * speed));
    last = now;
  }, SANDBOX_STEP_MS);
  ticker.unref();
  return Object.assign(() => clearInterval(ticker), { behind: () => Math.round((performance.now() - last) * speed) });
}

/** Calls counted by their key, most first (ties by key). */
export function countCalls(keys: Iterable<string>): Array<{ readonly call: string; readonly count: number }> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()].map(([call, count]) => ({ call, count })).sort((a, b) => b.count - a.count || a.call.localeCompare(b.call));
}
