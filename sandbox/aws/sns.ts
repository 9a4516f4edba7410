/**
 * The simulated SNS (awsQuery, Version 2010-03-31): topics, SQS subscriptions and Publish, which
 * fans a message out to every subscribed queue at once (SNS → SQS), wrapped in SNS's JSON
 * notification envelope (`Type: Notification`, `MessageId`, `TopicArn`, `Subject`, `Message`,
 * `Timestamp`, `MessageAttributes` as `{ Type, Value }`, signature fields), or as the bare message
 * with its attributes as SQS message attributes when the subscription has `RawMessageDelivery`.
 * Publishes to other endpoints (email, HTTP, Lambda) are recorded and not delivered.
 */
import type { SqsMessageAttribute, SqsSim } from './sqs.ts';
import { awsQueryError, awsQueryResponse, awsQueryVoidResponse, child, isoTime, QueryError, queryParams, queryTree, required, str, type QueryNode } from './query-protocol.ts';
import { uuidId } from './json-rpc.ts';
import type { AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const PROTOCOL = { kind: 'awsQuery', xmlns: XMLNS, version: '2010-03-31' } as const;
const OPERATIONS = ['CreateTopic', 'ListTopics', 'DeleteTopic', 'Subscribe', 'Unsubscribe', 'ListSubscriptionsByTopic', 'SetSubscriptionAttributes', 'Publish'] as const;

interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  attributes: Record<string, string>;
}

interface Topic {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
}

/** One Publish as SNS accepted it, for tests and `gennaker sandbox describe`. */
export interface SnsPublished {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, SqsMessageAttribute>>;
  readonly time: number;
  /** The endpoints it went to (queue ARNs), and those it only would have (other protocols). */
  readonly deliveredTo: readonly string[];
}

export interface SnsSim extends AwsServiceSim {
  /** What was published, oldest first. */
  published(): readonly SnsPublished[];
}

/** `Name.entry.N.{key,value}` (Attributes) as a map. */
function entries(node: QueryNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const list = child(node, 'entry');
  for (const item of Object.values(list ?? {})) {
    if (typeof item === 'string') continue;
    const name = str(item, 'key');
    const value = str(item, 'value');
    if (name !== undefined && value !== undefined) out[name] = value;
  }
  return out;
}

/** `MessageAttributes.entry.N.{Name, Value.DataType, Value.StringValue, Value.BinaryValue}` as SQS-shaped attributes. */
function messageAttributes(node: QueryNode | undefined): Record<string, SqsMessageAttribute> {
  const out: Record<string, SqsMessageAttribute> = {};
  for (const item of Object.values(child(node, 'entry') ?? {})) {
    if (typeof item === 'string') continue;
    const name = str(item, 'Name');
    const value = child(item, 'Value');
    const dataType = str(value, 'DataType');
    if (name === undefined) continue;
    if (dataType === undefined || !/^(String|Number|Binary|String\.Array)(\..+)?$/.test(dataType)) {
      throw new QueryError('ParameterValueInvalid', `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    const text = str(value, 'StringValue');
    const binary = str(value, 'BinaryValue');
    if (text === undefined && binary === undefined) throw new QueryError('ParameterValueInvalid', `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`);
    out[name] = { DataType: dataType, ...(text !== undefined ? { StringValue: text } : {}), ...(binary !== undefined ? { BinaryValue: binary } : {}) };
  }
  return out;
}

/** Creates the simulated SNS; it delivers into queues through `ctx.service<SqsSim>('sqs')`. */
export function createSnsService(): SnsSim {
  const topics = new Map<string, Topic>();
  const subscriptions = new Map<string, Subscription>();
  const published: SnsPublished[] = [];
  let counter = 0;

  const topicOf = (arn: string): Topic => {
    const topic = topics.get(arn);
    if (!topic) throw new QueryError('NotFound', 'Topic does not exist', 404);
    return topic;
  };

  const publish = (params: QueryNode, ctx: SimContext): Record<string, string> => {
    const topicArn = str(params, 'TopicArn') ?? str(params, 'TargetArn');
    if (topicArn === undefined) throw new QueryError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    const topic = topicOf(topicArn);
    const message = required(params, 'Message', 'InvalidParameter');
    if (Buffer.byteLength(message) > 262_144) throw new QueryError('InvalidParameter', 'Invalid parameter: Message too long');
    const subject = str(params, 'Subject');
    // SNS: ASCII text under 100 characters, no line breaks or control characters.
    if (subject !== undefined && (subject.length === 0 || subject.length > 100 || /[\r\n]/.test(subject))) throw new QueryError('InvalidParameter', 'Invalid parameter: Subject');
    const attributes = messageAttributes(child(params, 'MessageAttributes'));
    counter += 1;
    const messageId = uuidId('sns-message', counter);
    const now = ctx.now();
    const envelope = {
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: topic.arn,
      ...(subject !== undefined ? { Subject: subject } : {}),
      Message: message,
      Timestamp: isoTime(now),
      SignatureVersion: '1',
      Signature: 'c2FuZGJveA==',
      SigningCertURL: `https://sns.${topic.region}.amazonaws.com/SimpleNotificationService-sandbox.pem`,
      UnsubscribeURL: `https://sns.${topic.region}.amazonaws.com/?Action=Unsubscribe`,
      ...(Object.keys(attributes).length > 0 ? { MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { Type: value.DataType, Value: value.StringValue ?? value.BinaryValue ?? '' }])) } : {}),
    };
    const deliveredTo: string[] = [];
    const sqs = ctx.service<SqsSim>('sqs');
    for (const subscription of subscriptions.values()) {
      if (subscription.topicArn !== topic.arn) continue;
      if (subscription.protocol !== 'sqs' || !sqs) {
        deliveredTo.push(`${subscription.protocol}:${subscription.endpoint} (not delivered by the simulator)`);
        continue;
      }
      const raw = subscription.attributes['RawMessageDelivery'] === 'true';
      const delivered = raw
        ? sqs.deliver(ctx, subscription.endpoint, { body: message, attributes, senderId: 'sns' })
        : sqs.deliver(ctx, subscription.endpoint, { body: JSON.stringify(envelope), senderId: 'sns' });
      if (delivered) deliveredTo.push(subscription.endpoint);
    }
    published.push({ messageId, topicArn: topic.arn, ...(subject !== undefined ? { subject } : {}), message, attributes, time: now, deliveredTo });
    ctx.event('sns.published', { topicArn: topic.arn, messageId, deliveredTo });
    return { MessageId: messageId };
  };

  const subscribe = (params: QueryNode, ctx: SimContext): Record<string, string> => {
    const topic = topicOf(required(params, 'TopicArn', 'InvalidParameter'));
    const protocol = required(params, 'Protocol', 'InvalidParameter');
    const endpoint = required(params, 'Endpoint', 'InvalidParameter');
    if (!['sqs', 'http', 'https', 'email', 'email-json', 'lambda', 'sms', 'application', 'firehose'].includes(protocol)) throw new QueryError('InvalidParameter', `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`);
    if (protocol === 'sqs' && !/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+$/.test(endpoint)) throw new QueryError('InvalidParameter', 'Invalid parameter: SQS endpoint ARN');
    const attributes = entries(child(params, 'Attributes'));
    const existing = [...subscriptions.values()].find((candidate) => candidate.topicArn === topic.arn && candidate.protocol === protocol && candidate.endpoint === endpoint);
    if (existing) return { SubscriptionArn: existing.arn };
    counter += 1;
    const arn = `${topic.arn}:${uuidId('sns-subscription', counter)}`;
    subscriptions.set(arn, { arn, topicArn: topic.arn, protocol, endpoint, attributes });
    ctx.event('sns.subscribed', { topicArn: topic.arn, protocol, endpoint });
    return { SubscriptionArn: arn };
  };

  const handlers: Record<(typeof OPERATIONS)[number], (params: QueryNode, req: SimRequest, ctx: SimContext) => Record<string, unknown> | undefined> = {
    CreateTopic: (params, req, ctx) => {
      const name = required(params, 'Name', 'InvalidParameter');
      if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) throw new QueryError('InvalidParameter', 'Invalid parameter: Topic Name');
      const arn = `arn:aws:sns:${req.region}:${ctx.accountId}:${name}`;
      if (!topics.has(arn)) {
        topics.set(arn, { arn, name, region: req.region });
        ctx.event('sns.topic-created', { topicArn: arn });
      }
      return { TopicArn: arn };
    },
    ListTopics: (_params, req) => ({ Topics: [...topics.values()].filter((topic) => topic.region === req.region).map((topic) => ({ TopicArn: topic.arn })) }),
    DeleteTopic: (params) => {
      const arn = required(params, 'TopicArn', 'InvalidParameter');
      topics.delete(arn);
      for (const [key, subscription] of subscriptions) if (subscription.topicArn === arn) subscriptions.delete(key);
      return undefined;
    },
    Subscribe: (params, _req, ctx) => subscribe(params, ctx),
    Unsubscribe: (params) => {
      const arn = required(params, 'SubscriptionArn', 'InvalidParameter');
      if (!subscriptions.delete(arn)) throw new QueryError('NotFound', 'Subscription does not exist', 404);
      return undefined;
    },
    ListSubscriptionsByTopic: (params) => {
      const topic = topicOf(required(params, 'TopicArn', 'InvalidParameter'));
      return {
        Subscriptions: [...subscriptions.values()]
          .filter((subscription) => subscription.topicArn === topic.arn)
          .map((subscription) => ({ SubscriptionArn: subscription.arn, Owner: topic.arn.split(':')[4], Protocol: subscription.protocol, Endpoint: subscription.endpoint, TopicArn: topic.arn })),
      };
    },
    SetSubscriptionAttributes: (params) => {
      const subscription = subscriptions.get(required(params, 'SubscriptionArn', 'InvalidParameter'));
      if (!subscription) throw new QueryError('NotFound', 'Subscription does not exist', 404);
      const name = required(params, 'AttributeName', 'InvalidParameter');
      subscription.attributes = { ...subscription.attributes, [name]: str(params, 'AttributeValue') ?? '' };
      return undefined;
    },
    Publish: (params, _req, ctx) => publish(params, ctx),
  };

  return {
    signingName: 'sns',
    protocol: PROTOCOL,
    operations: OPERATIONS,
    published: () => published.map((entry) => ({ ...entry })),
    handle(req: SimRequest, ctx: SimContext): SimResponse {
      const params = queryTree(queryParams(req));
      const action = (str(params, 'Action') ?? '') as (typeof OPERATIONS)[number];
      try {
        const result = handlers[action](params, req, ctx);
        return result === undefined ? awsQueryVoidResponse(action, XMLNS, ctx.requestId) : awsQueryResponse(action, XMLNS, result as never, ctx.requestId);
      } catch (error) {
        if (error instanceof QueryError) return awsQueryError(XMLNS, error.status, error.code, error.message, ctx.requestId);
        throw error;
      }
    },
    reconcile(): void {
      // Deliveries happen within Publish; nothing moves on its own.
    },
    snapshot(): Record<string, unknown> {
      return {
        topics: [...topics.values()].map((topic) => ({ arn: topic.arn, region: topic.region })),
        subscriptions: [...subscriptions.values()].map((subscription) => ({ ...subscription, attributes: { ...subscription.attributes } })),
        published: published.map((entry) => ({ ...entry, time: isoTime(entry.time) })),
      };
    },
  };
}
