/**
 * `wait`: sleep `waitTime` seconds (Orca's WaitStage). The wait polls every 30 seconds instead of
 * one long Wait state so that "skip remaining wait" (`skipRemainingWait`, set from the UI/API)
 * takes effect within half a minute.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import type { Expression } from '../fields.ts';
import { flag, numberOrExpression, withDefault } from '../fields.ts';
import { defineStageType, pollsForSeconds } from './definition.ts';

export interface WaitConfig {
  /** Seconds, or a `${...}` template evaluated at stage start. */
  readonly waitTime: number | Expression;
  readonly skipRemainingWait: boolean;
}

export type WaitStage = StageBase<'wait', WaitConfig>;

const schema: z.ZodType<WaitConfig> = z.looseObject({
  waitTime: numberOrExpression('a number of seconds', { min: 0 }),
  skipRemainingWait: withDefault(flag(), false),
});

export const waitStageType = defineStageType({
  type: 'wait',
  description: 'Waits a number of seconds; the wait can be skipped while it runs.',
  schema,
  expressionFields: ['waitTime'],
  plan: (stage) => [
    typeof stage.config.waitTime === 'number'
      ? { name: 'wait', kind: 'poll', maxPolls: pollsForSeconds(stage.config.waitTime) }
      : { name: 'wait', kind: 'poll' },
  ],
});
