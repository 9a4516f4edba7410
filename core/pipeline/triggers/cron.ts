/**
 * `cron`: fire on a schedule. `cronExpression` is Spinnaker's Quartz form (seconds first, `H`
 * hashed from the trigger id as Echo does) or EventBridge's `cron(...)` form; see
 * core/triggers/cron.ts. Gennaker evaluates schedules in UTC (Spinnaker defaults to
 * America/Los_Angeles).
 */
import { z } from 'zod';
import type { CronSchedule } from '../../triggers/cron.ts';
import { parseCron, toEventBridgeCron } from '../../triggers/cron.ts';
import { customIssue, optional, text } from '../fields.ts';
import type { TriggerBase, TriggerContext } from './definition.ts';
import { defineTriggerType } from './definition.ts';

export interface CronTriggerConfig {
  readonly cronExpression: string;
  readonly id?: string;
  /** What `H` was hashed from: the trigger id, or a key derived from the pipeline and position. */
  readonly hashKey: string;
  readonly schedule: CronSchedule;
}

export type CronTrigger = TriggerBase<'cron', CronTriggerConfig>;

function schema(context: TriggerContext): z.ZodType<CronTriggerConfig> {
  return z
    .looseObject({
      cronExpression: text("a cron expression in Spinnaker's Quartz form, e.g. '0 0 12 * * ?'"),
      id: optional(text('the trigger id')),
    })
    .transform((fields, ctx) => {
      const hashKey = fields.id ?? context.fallbackHashKey;
      const parsed = parseCron(fields.cronExpression, { hashKey });
      if (!parsed.ok) {
        ctx.issues.push(customIssue(fields.cronExpression, parsed.message, 'cron', ['cronExpression']));
        return z.NEVER;
      }
      return { ...fields, hashKey, schedule: parsed.schedule };
    });
}

export const cronTriggerType = defineTriggerType({
  type: 'cron',
  description: 'Fires on a cron schedule (UTC).',
  schema,
  check: (config) => {
    const converted = toEventBridgeCron(config.schedule);
    return converted.ok
      ? []
      : [{ path: ['cronExpression'], code: 'cron', severity: 'warning', message: `${converted.message}; until then EventBridge cannot schedule this trigger as written` }];
  },
});
