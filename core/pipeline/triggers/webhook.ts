/**
 * `webhook`: fire on `POST /webhooks/webhook/{source}`. Every payload constraint key must be in
 * the payload and its value must contain a match of the constraint's regex (find semantics).
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import { text, textList, withDefault } from '../fields.ts';
import type { TriggerBase } from './definition.ts';
import { defineTriggerType, regexText } from './definition.ts';

export interface WebhookTriggerConfig {
  /** The last path segment of the webhook URL. */
  readonly source: string;
  /** Payload key (or JSONPath) → regex. */
  readonly payloadConstraints: Readonly<Record<string, string>>;
  readonly expectedArtifactIds: readonly string[];
}

export type WebhookTrigger = TriggerBase<'webhook', WebhookTriggerConfig>;

const schema: z.ZodType<WebhookTriggerConfig> = z.looseObject({
  source: text("the webhook source, the last segment of its URL, e.g. 'build-done'"),
  payloadConstraints: withDefault(
    z.record(z.string(), regexText('the payload constraint', '^main$'), {
      error: (issue) => `expected payload constraints (an object of key → regex), got ${showValue(issue.input)}`,
    }),
    {},
  ),
  expectedArtifactIds: withDefault(textList('expected artifact ids'), []),
});

export const webhookTriggerType = defineTriggerType({
  type: 'webhook',
  description: 'Fires on a POST to the webhook URL whose payload meets the constraints.',
  schema: () => schema,
});
