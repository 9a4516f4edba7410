/**
 * `pipeline`: fire when another pipeline's execution ends with one of the listed statuses
 * (SUCCEEDED → successful, CANCELED → canceled, SUSPENDED → suspended, anything else → failed).
 */
import { z } from 'zod';
import { oneOf, text, textList, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import type { TriggerBase } from './definition.ts';
import { defineTriggerType } from './definition.ts';

export const PIPELINE_TRIGGER_STATUSES = ['successful', 'failed', 'canceled', 'suspended'] as const;
export type PipelineTriggerStatus = (typeof PIPELINE_TRIGGER_STATUSES)[number];

export interface PipelineTriggerConfig {
  readonly application: string;
  /** The upstream pipeline's config id. */
  readonly pipeline: string;
  readonly status: readonly PipelineTriggerStatus[];
  readonly expectedArtifactIds: readonly string[];
}

export type PipelineTrigger = TriggerBase<'pipeline', PipelineTriggerConfig>;

const schema: z.ZodType<PipelineTriggerConfig> = z.looseObject({
  application: text('the application of the upstream pipeline'),
  pipeline: text('the id of the upstream pipeline'),
  status: withDefault(z.array(oneOf(PIPELINE_TRIGGER_STATUSES, 'a status')), []),
  expectedArtifactIds: withDefault(textList('expected artifact ids'), []),
});

export const pipelineTriggerType = defineTriggerType({
  type: 'pipeline',
  description: "Fires when another pipeline's execution ends with one of the listed statuses.",
  schema: () => schema,
  check: (config): ConfigIssue[] =>
    config.status.length === 0
      ? [{ path: ['status'], code: 'required', severity: 'warning', message: `lists no status, so this trigger never fires; add one or more of ${PIPELINE_TRIGGER_STATUSES.join(', ')}` }]
      : [],
});
