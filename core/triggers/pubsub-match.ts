/**
 * `pubsub` triggers with `pubsubSystem: amazon` (Echo's PubsubEventHandler over its SQS
 * subscriber): a message from the SQS queue named by the trigger's `subscriptionName` (the queue
 * an SNS topic delivers to) fires it when every attribute constraint finds a match in the
 * message attribute of that name and every payload constraint in the payload (a top-level key or
 * a simple JSONPath), both with Java's `find()` as Echo's ArtifactMatcher. The message's
 * `artifacts` (a list in the JSON payload, as a webhook's) become the trigger artifacts that bind
 * `expectedArtifactIds`; a JSON object payload is `trigger.payload` (other text
 * `trigger.message`), the attributes `trigger.messageAttributes`.
 */
import type { JsonObject } from '../ports/execution-store.ts';
import type { Pipeline } from '../pipeline/model.ts';
import type { PubsubSystem, PubsubTrigger } from '../pipeline/triggers/index.ts';
import type { TriggerMatch } from './match.ts';
import { findMatch, keyPart, matchFirstTriggers, pipelineRef, publicTriggerFields } from './match.ts';
import { payloadMeetsConstraints } from './webhook-match.ts';

/** One message of a subscription. */
export interface PubsubEvent {
  readonly pubsubSystem: PubsubSystem;
  /** For `amazon`, the SQS queue's name. */
  readonly subscriptionName: string;
  /** The message's id (SNS MessageId, else the SQS message id): a redelivery starts nothing new. */
  readonly messageId: string;
  /** The message body, parsed when it is JSON, else the text. */
  readonly payload: unknown;
  /** The message attributes, as text. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Whether every attribute constraint finds a match in the attribute of its name. */
export function attributesMeetConstraints(constraints: Readonly<Record<string, string>>, attributes: Readonly<Record<string, string>>): boolean {
  for (const [key, pattern] of Object.entries(constraints)) {
    const value = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
    if (value === undefined || !findMatch(pattern, value)) return false;
  }
  return true;
}

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The pipelines a pub/sub message starts, one match per pipeline. */
export function matchPubsubTrigger(pipelines: readonly Pipeline[], event: PubsubEvent): TriggerMatch<PubsubTrigger>[] {
  const payloadObject = isObject(event.payload) ? event.payload : undefined;
  return matchFirstTriggers<PubsubTrigger, true>(pipelines, 'pubsub', (trigger) =>
    trigger.config.pubsubSystem === event.pubsubSystem &&
    trigger.config.subscriptionName === event.subscriptionName &&
    attributesMeetConstraints(trigger.config.attributeConstraints, event.attributes) &&
    payloadMeetsConstraints(trigger.config.payloadConstraints, event.payload ?? {})
      ? true
      : undefined,
  ).map(({ pipeline, definition }) => ({
    pipeline,
    definition,
    idempotencyKey: ['pubsub', event.pubsubSystem, keyPart(event.subscriptionName), keyPart(event.messageId), keyPart(pipelineRef(pipeline))].join(':'),
    trigger: {
      ...publicTriggerFields(definition),
      type: 'pubsub',
      user: '[pubsub]',
      pubsubSystem: event.pubsubSystem,
      subscriptionName: event.subscriptionName,
      messageId: event.messageId,
      parameters: payloadObject && isObject(payloadObject['parameters']) ? payloadObject['parameters'] : {},
      artifacts: payloadObject && Array.isArray(payloadObject['artifacts']) ? payloadObject['artifacts'].filter(isObject) : [],
      // A JSON object is the payload; anything else (plain text) is kept as the message.
      ...(payloadObject ? { payload: payloadObject } : event.payload !== undefined && event.payload !== null ? { message: typeof event.payload === 'string' ? event.payload : JSON.stringify(event.payload) } : {}),
      messageAttributes: { ...event.attributes },
    },
  }));
}
