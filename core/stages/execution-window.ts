/**
 * The execution window (Orca's RestrictExecutionDuringTimeWindow): a stage with
 * `restrictExecutionDuringTimeWindow` starts only inside one of its allowed time ranges on one
 * of its allowed days. The step answers RUNNING with the seconds until the window opens (its
 * budget is 3 calls, not Orca's 30-second polling), then NEXT.
 *
 * Time zone: UTC. Orca uses one operator-wide zone (`tasks.execution-window.timezone`, default
 * America/Los_Angeles); Gennaker has no such setting yet and core/ has no time-zone data, so
 * write windows in UTC. Days are Deck's: 1 = Sunday ... 7 = Saturday; no days means every day.
 * No time ranges means the whole day. A range whose end is before its start spans midnight.
 */
import type { ExecutionWindow } from '../pipeline/model.ts';
import { booleanFrom, numberFrom, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Deck's day number (1 = Sunday) of a UTC instant. */
export function dayOfWeek(epochMs: number): number {
  return new Date(epochMs).getUTCDay() + 1;
}

/**
 * Milliseconds from `now` until the window is open: 0 inside it. Looks up to 8 days ahead;
 * a window that never opens (no valid range) gives undefined.
 */
export function msUntilWindowOpens(now: number, window: ExecutionWindow): number | undefined {
  const days = window.days.length === 0 ? [1, 2, 3, 4, 5, 6, 7] : window.days;
  const ranges = window.whitelist.length === 0 ? [{ startHour: 0, startMin: 0, endHour: 24, endMin: 0 }] : window.whitelist;
  const startOfToday = now - (now % DAY);
  let best: number | undefined;
  // Yesterday too: a range spanning midnight that started yesterday may still be open.
  for (let offset = -1; offset <= 8; offset++) {
    const dayStart = startOfToday + offset * DAY;
    if (!days.includes(dayOfWeek(dayStart))) continue;
    for (const range of ranges) {
      const start = dayStart + (range.startHour * 60 + range.startMin) * MINUTE;
      let end = dayStart + (range.endHour * 60 + range.endMin) * MINUTE;
      if (end <= start) end += DAY;
      if (now >= start && now < end) return 0;
      if (start > now && (best === undefined || start - now < best)) best = start - now;
    }
  }
  return best;
}

/** Runtime key: when the stage may start, fixed at the first call (so jitter is drawn once). */
const SCHEDULED_AT = 'windowScheduledAt';

/**
 * The window step. The start time (window opening plus jitter) is computed once and kept in
 * the runtime bag; later calls only compare the clock with it. `skipRemainingWait` in the
 * context ends the wait at the next call.
 */
export function runExecutionWindow(input: TaskInput, random: () => number): TaskResult {
  const window = input.stage.executionWindow;
  if (window === undefined || booleanFrom(input.record.context.skipRemainingWait) === true) return succeeded();
  let scheduledAt = numberFrom(input.record.runtime[SCHEDULED_AT]);
  if (scheduledAt === undefined) {
    const untilOpen = msUntilWindowOpens(input.now, window);
    // A window with no usable day never opens: run now rather than hang for the stage timeout.
    scheduledAt = input.now + (untilOpen ?? 0) + jitterMs(input, random);
  }
  if (input.now >= scheduledAt) return succeeded();
  return running((scheduledAt - input.now) / 1000, { runtime: { [SCHEDULED_AT]: scheduledAt } });
}

/** Orca's jitter: a random delay in [minDelay, maxDelay] seconds, not for manual runs with skipManual. */
function jitterMs(input: TaskInput, random: () => number): number {
  const jitter = input.stage.executionWindow?.jitter;
  if (!jitter || !jitter.enabled) return 0;
  if (jitter.skipManual && input.execution.trigger.type === 'manual') return 0;
  const seconds = jitter.minDelay + Math.floor(random() * (jitter.maxDelay - jitter.minDelay + 1));
  return seconds * 1000;
}
