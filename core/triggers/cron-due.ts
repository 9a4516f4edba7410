/**
 * Which cron triggers are due in a window of time: the local ticker asks every few seconds
 * for `(lastTick, now]`; EventBridge Scheduler does this job on AWS. A trigger fires at most
 * once per window, at its latest fire time in it: after a pause (laptop asleep, `gennaker up`
 * stopped) missed fire times collapse into one start, as Echo's missed-trigger compensation does.
 */
import type { Pipeline } from '../pipeline/model.ts';
import type { CronTrigger } from '../pipeline/triggers/index.ts';
import { nextFireTime } from './cron.ts';
import type { TriggerMatch } from './match.ts';
import { keyPart, pipelineRef, publicTriggerFields } from './match.ts';

export interface DueCronTrigger extends TriggerMatch<CronTrigger> {
  /** Epoch milliseconds the trigger was due at. */
  readonly fireTime: number;
}

/** Fire times further than this many per window are not searched (per-second schedules over a long pause). */
const MAX_FIRE_TIMES_SEARCHED = 10_000;

/** The latest fire time of `trigger` in `(fromMs, toMs]`, or undefined. */
export function latestFireTime(trigger: CronTrigger, fromMs: number, toMs: number): number | undefined {
  let latest: number | undefined;
  let after = fromMs;
  for (let i = 0; i < MAX_FIRE_TIMES_SEARCHED; i++) {
    const next = nextFireTime(trigger.config.schedule, after);
    if (next === undefined || next > toMs) break;
    latest = next;
    after = next;
  }
  return latest;
}

/** The cron triggers of enabled pipelines due in `(fromMs, toMs]`, each with its idempotency key `cron:<pipelineId>:<triggerIndex>:<fireTime>`. */
export function dueCronTriggers(pipelines: readonly Pipeline[], fromMs: number, toMs: number): DueCronTrigger[] {
  const due: DueCronTrigger[] = [];
  if (!(toMs > fromMs)) return due;
  for (const pipeline of pipelines) {
    if (pipeline.disabled) continue;
    for (const trigger of pipeline.triggers) {
      if (trigger.type !== 'cron' || !trigger.enabled) continue;
      const fireTime = latestFireTime(trigger, fromMs, toMs);
      if (fireTime === undefined) continue;
      due.push({
        pipeline,
        definition: trigger,
        fireTime,
        idempotencyKey: ['cron', keyPart(pipelineRef(pipeline)), trigger.index, fireTime].join(':'),
        trigger: {
          ...publicTriggerFields(trigger),
          type: 'cron',
          user: '[cron]',
          cronExpression: trigger.config.cronExpression,
          fireTime,
          eventId: `cron:${pipelineRef(pipeline)}:${trigger.index}:${fireTime}`,
          parameters: {},
          artifacts: [],
        },
      });
    }
  }
  return due;
}
