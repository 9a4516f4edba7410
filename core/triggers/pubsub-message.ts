/**
 * A message from an SQS queue as the pub/sub event it carries, as Echo's SQSSubscriber reads it:
 * an SNS notification envelope (`Type: Notification`) gives its `Message` and `MessageAttributes`
 * (`{ Type, Value }`) and its SNS `MessageId`; a message sent with raw delivery (or straight to
 * the queue) is itself the payload, its SQS message attributes the attributes. The message id
 * names the delivery, so a redelivered message starts nothing new. Pure.
 */
import type { PubsubEvent } from './pubsub-match.ts';

/** A queue message as SQS (or Lambda's SQS event) hands it over. */
export interface QueueMessage {
  /** The subscription the queue belongs to (the trigger's `subscriptionName`). */
  readonly subscriptionName: string;
  readonly messageId: string;
  readonly body: string;
  /** SQS message attributes, `name → text` (string and number attributes). */
  readonly attributes: Readonly<Record<string, string>>;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** JSON text parsed, other text kept. */
function parsedBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The pub/sub event a queue message carries (SNS envelope, or raw delivery). */
export function pubsubEventOf(message: QueueMessage): PubsubEvent {
  const body = parsedBody(message.body);
  if (isObject(body) && body['Type'] === 'Notification' && typeof body['MessageId'] === 'string' && body['MessageId'] !== '' && typeof body['Message'] === 'string') {
    const attributes: Record<string, string> = {};
    const given = isObject(body['MessageAttributes']) ? body['MessageAttributes'] : {};
    for (const [name, attribute] of Object.entries(given)) if (isObject(attribute) && typeof attribute['Value'] === 'string') attributes[name] = attribute['Value'];
    return { pubsubSystem: 'amazon', subscriptionName: message.subscriptionName, messageId: body['MessageId'], payload: parsedBody(body['Message']), attributes };
  }
  return { pubsubSystem: 'amazon', subscriptionName: message.subscriptionName, messageId: message.messageId, payload: body, attributes: { ...message.attributes } };
}
