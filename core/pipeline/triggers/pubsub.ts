/**
 * `pubsub`: Spinnaker's message-queue trigger (Echo's PubsubEventHandler). A message on the
 * subscription `subscriptionName` of `pubsubSystem` fires it when every attribute constraint
 * (message attribute → regex) and every payload constraint (payload key or JSONPath → regex)
 * holds; the artifacts Echo reads from the message bind `expectedArtifactIds`.
 *
 * Google Pub/Sub has no way into Gennaker, so a `google` (or `kafka`) trigger never fires on its
 * own: saving it is a warning, and `gennaker run --trigger-type pubsub --artifact ...` starts the
 * pipeline as that trigger with the artifacts its message would have carried. `amazon`
 * subscriptions (SNS → SQS) fire through the trigger router when the queue delivers to it.
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import { oneOf, text, textList, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import type { TriggerBase } from './definition.ts';
import { defineTriggerType, regexText } from './definition.ts';

/** Echo's pub/sub systems. */
export const PUBSUB_SYSTEMS = ['google', 'amazon', 'kafka'] as const;
export type PubsubSystem = (typeof PUBSUB_SYSTEMS)[number];

export interface PubsubTriggerConfig {
  readonly pubsubSystem: PubsubSystem;
  /** The subscription's name as Echo knows it (for `amazon`, the SQS queue's name). */
  readonly subscriptionName: string;
  /** Message attribute → regex (find semantics, as Echo). */
  readonly attributeConstraints: Readonly<Record<string, string>>;
  /** Payload key (or JSONPath) → regex (find semantics). */
  readonly payloadConstraints: Readonly<Record<string, string>>;
  readonly expectedArtifactIds: readonly string[];
}

export type PubsubTrigger = TriggerBase<'pubsub', PubsubTriggerConfig>;

const constraints = (what: string) =>
  withDefault(
    z.record(z.string(), regexText(`the ${what} constraint`, '^OBJECT_FINALIZE$'), {
      error: (issue) => `expected ${what} constraints (an object of key → regex), got ${showValue(issue.input)}`,
    }),
    {},
  );

const schema: z.ZodType<PubsubTriggerConfig> = z.looseObject({
  pubsubSystem: oneOf(PUBSUB_SYSTEMS, 'the pub/sub system'),
  subscriptionName: text("the subscription's name, e.g. 'gcs-manifests'"),
  attributeConstraints: constraints('attribute'),
  payloadConstraints: constraints('payload'),
  expectedArtifactIds: withDefault(textList('expected artifact ids'), []),
});

/** Why a `pubsubSystem` cannot deliver here, or undefined when it can. */
export function pubsubUnreachable(system: PubsubSystem): string | undefined {
  if (system === 'amazon') return undefined;
  const name = system === 'google' ? 'Google Cloud Pub/Sub' : 'Kafka';
  return `pubsubSystem '${system}': Gennaker has no ${name} subscriber, so this trigger never fires on its own; start the pipeline as this trigger with 'gennaker run <file> --trigger-type pubsub --artifact <json>' (or POST /pipelines/{application}/{name} with its expectedArtifactIds and artifacts), or use pubsubSystem 'amazon' (an SQS queue subscribed to SNS)`;
}

export const pubsubTriggerType = defineTriggerType({
  type: 'pubsub',
  description: 'Fires on a message of a pub/sub subscription (Amazon SNS → SQS); Google Pub/Sub and Kafka messages are started by hand.',
  schema: () => schema,
  check: (config): ConfigIssue[] => {
    const why = pubsubUnreachable(config.pubsubSystem);
    return why === undefined ? [] : [{ path: ['pubsubSystem'], code: 'trigger-type-unsupported', severity: 'warning', message: why, value: config.pubsubSystem }];
  },
});
