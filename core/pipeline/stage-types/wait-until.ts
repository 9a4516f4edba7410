/** `waitUntil`: sleep until an absolute time, `epochMillis` (Orca's WaitUntilStage). */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import type { Expression } from '../fields.ts';
import { numberOrExpression } from '../fields.ts';
import { defineStageType } from './definition.ts';

export interface WaitUntilConfig {
  /** Epoch milliseconds, or a `${...}` template evaluated at stage start. */
  readonly epochMillis: number | Expression;
}

export type WaitUntilStage = StageBase<'waitUntil', WaitUntilConfig>;

const schema: z.ZodType<WaitUntilConfig> = z.looseObject({
  epochMillis: numberOrExpression('a time in epoch milliseconds', { min: 0, integer: true }),
});

export const waitUntilStageType = defineStageType({
  type: 'waitUntil',
  description: 'Waits until an absolute time (epoch milliseconds).',
  schema,
  expressionFields: ['epochMillis'],
  // How long depends on when the stage starts: no poll bound at compile time (the stage timeout bounds it).
  plan: () => [{ name: 'waitUntil', kind: 'poll' }],
});
