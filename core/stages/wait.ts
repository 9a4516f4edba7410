/**
 * `wait` (Orca's WaitStage) and `waitUntil` (WaitUntilStage), and the webhook's
 * `waitBeforeMonitor`: sleep until a deadline without sleeping in a Lambda. The step answers
 * RUNNING with the seconds left, checking at least every 15 s when the poll budget allows, so
 * "skip remaining wait" (`skipRemainingWait`, set in the context by the API) is noticed soon.
 * With the compiled budget of `ceil(waitTime / 30) + 1` polls that is every 30 s: noticed
 * after 15 s on average, 30 s at worst.
 */
import type { WaitStage, WaitUntilStage } from '../pipeline/stage-types/index.ts';
import { deadlineWaitSeconds } from './polling.ts';
import { booleanFrom, failed, numberFrom, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** How often a wait checks for `skipRemainingWait`, when its poll budget allows. */
export const SKIP_CHECK_SECONDS = 15;

/** Runtime key: when the wait began (the first call of the step). */
const STARTED_AT = 'waitStartedAt';

/** A wait of `seconds` from the step's first call; `skippable` honours `skipRemainingWait`. */
export function waitFor(input: TaskInput, seconds: number, pollsLeft: number, options: { readonly skippable: boolean; readonly field: string }): TaskResult {
  const startedAt = numberFrom(input.record.runtime[`${STARTED_AT}:${input.task}`]) ?? input.now;
  if (options.skippable && booleanFrom(input.record.context.skipRemainingWait) === true) return succeeded();
  const remainingMs = startedAt + seconds * 1000 - input.now;
  if (remainingMs <= 0) return succeeded();
  return running(deadlineWaitSeconds(remainingMs / 1000, pollsLeft, SKIP_CHECK_SECONDS), {
    runtime: { [`${STARTED_AT}:${input.task}`]: startedAt },
  });
}

/** The `wait` step: `waitTime` seconds (a number, or an expression evaluated at stage start). */
export function runWait(input: TaskInput<WaitStage>, pollsLeft: number): TaskResult {
  const waitTime = numberFrom(input.record.context.waitTime);
  if (waitTime === undefined || waitTime < 0) {
    return failed(`stage '${input.stage.name}': waitTime is ${JSON.stringify(input.record.context.waitTime)}, expected a number of seconds (0 or more)`);
  }
  return waitFor(input, waitTime, pollsLeft, { skippable: true, field: 'waitTime' });
}

/** The `waitUntil` step: until `epochMillis` (a number, or an expression evaluated at stage start). */
export function runWaitUntil(input: TaskInput<WaitUntilStage>, pollsLeft: number): TaskResult {
  const until = numberFrom(input.record.context.epochMillis);
  if (until === undefined) {
    return failed(`stage '${input.stage.name}': epochMillis is ${JSON.stringify(input.record.context.epochMillis)}, expected a time in epoch milliseconds`);
  }
  if (booleanFrom(input.record.context.skipRemainingWait) === true) return succeeded();
  const remainingMs = until - input.now;
  if (remainingMs <= 0) return succeeded();
  return running(deadlineWaitSeconds(remainingMs / 1000, pollsLeft, SKIP_CHECK_SECONDS));
}
