/** `manual`: started by a person (UI, API or CLI), with parameters and artifacts. */
import { z } from 'zod';
import { anyObject, anyText, optional, withDefault } from '../fields.ts';
import type { TriggerBase } from './definition.ts';
import { defineTriggerType } from './definition.ts';

export interface ManualTriggerConfig {
  readonly user?: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

export type ManualTrigger = TriggerBase<'manual', ManualTriggerConfig>;

const schema: z.ZodType<ManualTriggerConfig> = z.looseObject({
  user: optional(anyText('the user')),
  parameters: withDefault(anyObject('parameters'), {}),
});

export const manualTriggerType = defineTriggerType({
  type: 'manual',
  description: 'Started by a person from the UI, the API or the CLI.',
  schema: () => schema,
});
