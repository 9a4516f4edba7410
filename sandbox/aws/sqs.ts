/**
 * The simulated SQS (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Op>`, awsQuery-compatible errors: the
 * SDK reads the legacy code from `x-amzn-query-error`, e.g. `AWS.SimpleQueueService.NonExistentQueue;Sender`).
 * Standard queues: messages become visible after their delay, a receive hides them for the
 * visibility timeout on the simulator's clock and counts the receive, only the latest receipt
 * handle deletes, a redrive policy moves a message received `maxReceiveCount` times to its
 * dead-letter queue. SNS delivers into queues through `deliver` (sns.ts).
 */
import { createHash } from 'node:crypto';
import { AwsError, cloneJson, optInt, optString, reqString, uuidId, type JsonProtocol, jsonOperations } from './json-rpc.ts';
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

/** SQS's legacy (awsQuery) codes, which the SDK reads from `x-amzn-query-error`. */
const QUERY_CODES: Readonly<Record<string, string>> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  QueueNameExists: 'QueueAlreadyExists',
  ReceiptHandleIsInvalid: 'ReceiptHandleIsInvalid',
  InvalidAttributeName: 'InvalidAttributeName',
  InvalidAttributeValue: 'InvalidAttributeValue',
  InvalidParameterValue: 'InvalidParameterValue',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  RequestThrottled: 'RequestThrottled',
};

const PROTOCOL: JsonProtocol = {
  version: '1.0',
  namespace: 'com.amazonaws.sqs',
  queryError: (code, status) => `${QUERY_CODES[code] ?? code};${status >= 500 ? 'Receiver' : 'Sender'}`,
};
const WIRE: AwsProtocol = { kind: 'awsJson', jsonVersion: '1.0' };
const TARGET_PREFIX = 'AmazonSQS';
const OPERATIONS = [
  'CreateQueue',
  'GetQueueUrl',
  'ListQueues',
  'GetQueueAttributes',
  'SetQueueAttributes',
  'SendMessage',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'PurgeQueue',
  'DeleteQueue',
] as const;
type Operation = (typeof OPERATIONS)[number];
type Body = Record<string, unknown>;

/** A message attribute as SQS keeps it. */
export interface SqsMessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

interface Message {
  readonly id: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, SqsMessageAttribute>>;
  readonly sentAt: number;
  readonly senderId: string;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The receipt handle of the latest receive; only it deletes. */
  receipt?: string;
}

interface Queue {
  readonly name: string;
  readonly region: string;
  readonly arn: string;
  readonly createdAt: number;
  attributes: Record<string, string>;
  messages: Message[];
}

/** What SNS (and a test) uses to put a message in a queue by ARN. */
export interface SqsSim extends AwsServiceSim {
  /** Enqueues a message into the queue of `queueArn`; false when there is no such queue. */
  deliver(ctx: SimContext, queueArn: string, message: { body: string; attributes?: Readonly<Record<string, SqsMessageAttribute>>; senderId?: string }): boolean;
}

const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
  MaximumMessageSize: '262144',
};
const SETTABLE = new Set(['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize', 'Policy', 'RedrivePolicy', 'SqsManagedSseEnabled', 'KmsMasterKeyId']);

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** Creates the simulated SQS. */
export function createSqsService(): SqsSim {
  const queues = new Map<string, Queue>();
  let counter = 0;

  const key = (region: string, name: string) => `${region}|${name}`;
  /** The queue a QueueUrl (`http://host/<account>/<name>`) names in the request's region. */
  const queueOf = (req: SimRequest, url: string): Queue => {
    const name = url.split('/').filter(Boolean).at(-1) ?? '';
    const queue = queues.get(key(req.region, name));
    if (!queue) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  };
  const urlOf = (req: SimRequest, queue: Queue, ctx: SimContext) => `http://${req.headers['host'] ?? '127.0.0.1'}/${ctx.accountId}/${queue.name}`;
  const queueByArn = (arn: string): Queue | undefined => [...queues.values()].find((queue) => queue.arn === arn);

  const number = (queue: Queue, name: string) => Number.parseInt(queue.attributes[name] ?? DEFAULT_ATTRIBUTES[name] ?? '0', 10);

  const readAttributes = (value: unknown): Record<string, string> => {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new AwsError('InvalidAttributeName', 'Attributes must be a map of name to value');
    const out: Record<string, string> = {};
    for (const [name, given] of Object.entries(value as Body)) {
      if (!SETTABLE.has(name)) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      if (typeof given !== 'string') throw new AwsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
      if (name === 'VisibilityTimeout' && !(/^\d+$/.test(given) && Number(given) <= 43_200)) throw new AwsError('InvalidAttributeValue', `Invalid value for the parameter VisibilityTimeout.`);
      if (name === 'RedrivePolicy') {
        try {
          const policy = JSON.parse(given) as Body;
          if (typeof policy['deadLetterTargetArn'] !== 'string' || !(Number(policy['maxReceiveCount']) >= 1)) throw new Error('bad');
        } catch {
          throw new AwsError('InvalidAttributeValue', 'Value for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map or is missing deadLetterTargetArn or maxReceiveCount.');
        }
      }
      out[name] = given;
    }
    return out;
  };

  const readMessageAttributes = (value: unknown): Record<string, SqsMessageAttribute> => {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new AwsError('InvalidParameterValue', 'MessageAttributes must be a map');
    const out: Record<string, SqsMessageAttribute> = {};
    for (const [name, given] of Object.entries(value as Body)) {
      const attribute = (given ?? {}) as Body;
      const dataType = attribute['DataType'];
      if (typeof dataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(dataType)) throw new AwsError('InvalidParameterValue', `The message attribute '${name}' must contain a non-empty attribute type.`);
      if (typeof attribute['StringValue'] !== 'string' && typeof attribute['BinaryValue'] !== 'string') throw new AwsError('InvalidParameterValue', `The message attribute '${name}' must contain a non-empty message attribute value.`);
      out[name] = { DataType: dataType, ...(typeof attribute['StringValue'] === 'string' ? { StringValue: attribute['StringValue'] } : {}), ...(typeof attribute['BinaryValue'] === 'string' ? { BinaryValue: attribute['BinaryValue'] } : {}) };
    }
    return out;
  };

  const enqueue = (ctx: SimContext, queue: Queue, body: string, attributes: Readonly<Record<string, SqsMessageAttribute>>, senderId: string, delaySeconds: number): Message => {
    counter += 1;
    const message: Message = { id: uuidId('sqs-message', counter), body, attributes: cloneJson(attributes), sentAt: ctx.now(), senderId, visibleAt: ctx.now() + delaySeconds * 1000, receiveCount: 0 };
    queue.messages.push(message);
    ctx.event('sqs.message-sent', { queue: queue.name, messageId: message.id });
    return message;
  };

  /** Drops the messages older than the queue's retention period. */
  const expire = (ctx: SimContext, queue: Queue) => {
    const retention = number(queue, 'MessageRetentionPeriod') * 1000;
    queue.messages = queue.messages.filter((message) => ctx.now() - message.sentAt < retention);
  };

  const receive = (req: SimRequest, body: Body, ctx: SimContext): Body => {
    const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
    const max = optInt(body, 'MaxNumberOfMessages', 'InvalidParameterValue') ?? 1;
    if (max < 1 || max > 10) throw new AwsError('InvalidParameterValue', `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    const visibility = optInt(body, 'VisibilityTimeout', 'InvalidParameterValue') ?? number(queue, 'VisibilityTimeout');
    const wanted = Array.isArray(body['MessageAttributeNames']) ? (body['MessageAttributeNames'] as unknown[]).map(String) : [];
    const systemWanted = [...(Array.isArray(body['MessageSystemAttributeNames']) ? (body['MessageSystemAttributeNames'] as unknown[]) : []), ...(Array.isArray(body['AttributeNames']) ? (body['AttributeNames'] as unknown[]) : [])].map(String);
    expire(ctx, queue);
    const redrive = queue.attributes['RedrivePolicy'] ? (JSON.parse(queue.attributes['RedrivePolicy']) as { deadLetterTargetArn: string; maxReceiveCount: number | string }) : undefined;
    const out: Body[] = [];
    for (const message of [...queue.messages]) {
      if (out.length >= max) break;
      if (message.visibleAt > ctx.now()) continue;
      if (redrive && message.receiveCount >= Number(redrive.maxReceiveCount)) {
        // Received as often as the policy allows and still here: off to the dead-letter queue.
        queue.messages = queue.messages.filter((candidate) => candidate !== message);
        const dead = queueByArn(redrive.deadLetterTargetArn);
        if (dead) dead.messages.push({ ...message, visibleAt: ctx.now(), receiveCount: 0, receipt: undefined, firstReceivedAt: undefined } as Message);
        ctx.event('sqs.message-dead-lettered', { queue: queue.name, messageId: message.id, deadLetterQueue: dead?.name ?? null });
        continue;
      }
      counter += 1;
      message.receiveCount += 1;
      message.firstReceivedAt ??= ctx.now();
      message.visibleAt = ctx.now() + visibility * 1000;
      message.receipt = Buffer.from(`${queue.name}:${message.id}:${counter}`).toString('base64');
      const all = wanted.includes('All') || wanted.includes('.*');
      const attributes = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => all || wanted.includes(name) || wanted.some((prefix) => prefix.endsWith('.*') && name.startsWith(prefix.slice(0, -1)))));
      const system: Record<string, string> = {
        SenderId: message.senderId,
        SentTimestamp: String(message.sentAt),
        ApproximateReceiveCount: String(message.receiveCount),
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
      };
      const systemAll = systemWanted.includes('All');
      const systemOut = Object.fromEntries(Object.entries(system).filter(([name]) => systemAll || systemWanted.includes(name)));
      out.push({
        MessageId: message.id,
        ReceiptHandle: message.receipt,
        MD5OfBody: md5(message.body),
        Body: message.body,
        ...(Object.keys(systemOut).length > 0 ? { Attributes: systemOut } : {}),
        ...(Object.keys(attributes).length > 0 ? { MessageAttributes: cloneJson(attributes) } : {}),
      });
    }
    if (out.length > 0) ctx.event('sqs.messages-received', { queue: queue.name, messageIds: out.map((message) => message['MessageId']) });
    return out.length > 0 ? { Messages: out } : {};
  };

  /** Deletes by receipt handle: the latest handle deletes; an older one of a message still there succeeds and deletes nothing (as SQS). */
  const deleteOne = (ctx: SimContext, queue: Queue, receipt: string): void => {
    let decoded = '';
    try {
      decoded = Buffer.from(receipt, 'base64').toString('utf8');
    } catch {
      decoded = '';
    }
    if (!decoded.startsWith(`${queue.name}:`)) throw new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${receipt}" is not a valid receipt handle.`);
    const message = queue.messages.find((candidate) => candidate.receipt === receipt);
    if (!message) return;
    queue.messages = queue.messages.filter((candidate) => candidate !== message);
    ctx.event('sqs.message-deleted', { queue: queue.name, messageId: message.id });
  };

  const handlers: Record<Operation, (body: Body, req: SimRequest, ctx: SimContext) => Body> = {
    CreateQueue: (body, req, ctx) => {
      const name = reqString(body, 'QueueName', 'InvalidParameterValue');
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsError('InvalidParameterValue', 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
      const attributes = readAttributes(body['Attributes']);
      const existing = queues.get(key(req.region, name));
      if (existing) {
        const differs = Object.entries(attributes).some(([attribute, value]) => (existing.attributes[attribute] ?? DEFAULT_ATTRIBUTES[attribute]) !== value);
        if (differs) throw new AwsError('QueueNameExists', 'A queue already exists with the same name and a different value for attribute(s)');
        return { QueueUrl: urlOf(req, existing, ctx) };
      }
      const queue: Queue = { name, region: req.region, arn: `arn:aws:sqs:${req.region}:${ctx.accountId}:${name}`, createdAt: ctx.now(), attributes, messages: [] };
      queues.set(key(req.region, name), queue);
      ctx.event('sqs.queue-created', { queue: name, region: req.region });
      return { QueueUrl: urlOf(req, queue, ctx) };
    },
    GetQueueUrl: (body, req, ctx) => {
      const queue = queues.get(key(req.region, reqString(body, 'QueueName', 'InvalidParameterValue')));
      if (!queue) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
      return { QueueUrl: urlOf(req, queue, ctx) };
    },
    ListQueues: (body, req, ctx) => {
      const prefix = optString(body, 'QueueNamePrefix', 'InvalidParameterValue') ?? '';
      const urls = [...queues.values()].filter((queue) => queue.region === req.region && queue.name.startsWith(prefix)).map((queue) => urlOf(req, queue, ctx));
      return urls.length > 0 ? { QueueUrls: urls } : {};
    },
    GetQueueAttributes: (body, req, ctx) => {
      const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
      expire(ctx, queue);
      const names = Array.isArray(body['AttributeNames']) ? (body['AttributeNames'] as unknown[]).map(String) : [];
      const all: Record<string, string> = {
        ...DEFAULT_ATTRIBUTES,
        ...queue.attributes,
        QueueArn: queue.arn,
        CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
        ApproximateNumberOfMessages: String(queue.messages.filter((message) => message.visibleAt <= ctx.now()).length),
        ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter((message) => message.visibleAt > ctx.now() && message.receiveCount > 0).length),
        ApproximateNumberOfMessagesDelayed: String(queue.messages.filter((message) => message.visibleAt > ctx.now() && message.receiveCount === 0).length),
      };
      const picked = names.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name)));
      return Object.keys(picked).length > 0 ? { Attributes: picked } : {};
    },
    SetQueueAttributes: (body, req) => {
      const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
      queue.attributes = { ...queue.attributes, ...readAttributes(body['Attributes']) };
      return {};
    },
    SendMessage: (body, req, ctx) => {
      const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
      const text = body['MessageBody'];
      if (typeof text !== 'string' || text === '') throw new AwsError('InvalidParameterValue', 'The request must contain the parameter MessageBody.');
      if (Buffer.byteLength(text) > number(queue, 'MaximumMessageSize')) throw new AwsError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${number(queue, 'MaximumMessageSize')} bytes.`);
      const delay = optInt(body, 'DelaySeconds', 'InvalidParameterValue') ?? number(queue, 'DelaySeconds');
      const message = enqueue(ctx, queue, text, readMessageAttributes(body['MessageAttributes']), ctx.accountId, delay);
      return { MessageId: message.id, MD5OfMessageBody: md5(text) };
    },
    ReceiveMessage: (body, req, ctx) => receive(req, body, ctx),
    DeleteMessage: (body, req, ctx) => {
      const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
      deleteOne(ctx, queue, reqString(body, 'ReceiptHandle', 'InvalidParameterValue'));
      return {};
    },
    DeleteMessageBatch: (body, req, ctx) => {
      const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
      const entries = Array.isArray(body['Entries']) ? (body['Entries'] as Body[]) : [];
      if (entries.length === 0) throw new AwsError('EmptyBatchRequest', 'There should be at least one DeleteMessageBatchRequestEntry in the request.');
      if (entries.length > 10) throw new AwsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
      const successful: Body[] = [];
      const failed: Body[] = [];
      for (const entry of entries) {
        try {
          deleteOne(ctx, queue, String(entry['ReceiptHandle'] ?? ''));
          successful.push({ Id: entry['Id'] });
        } catch (error) {
          if (!(error instanceof AwsError)) throw error;
          failed.push({ Id: entry['Id'], Code: error.code, Message: error.message, SenderFault: true });
        }
      }
      return { Successful: successful, Failed: failed };
    },
    ChangeMessageVisibility: (body, req, ctx) => {
      const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
      const receipt = reqString(body, 'ReceiptHandle', 'InvalidParameterValue');
      const timeout = optInt(body, 'VisibilityTimeout', 'InvalidParameterValue');
      if (timeout === undefined || timeout < 0 || timeout > 43_200) throw new AwsError('InvalidParameterValue', 'Value for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.');
      const message = queue.messages.find((candidate) => candidate.receipt === receipt);
      if (!message) throw new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${receipt}" is not a valid receipt handle.`);
      message.visibleAt = ctx.now() + timeout * 1000;
      return {};
    },
    PurgeQueue: (body, req, ctx) => {
      const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
      queue.messages = [];
      ctx.event('sqs.queue-purged', { queue: queue.name });
      return {};
    },
    DeleteQueue: (body, req, ctx) => {
      const queue = queueOf(req, reqString(body, 'QueueUrl', 'InvalidParameterValue'));
      queues.delete(key(queue.region, queue.name));
      ctx.event('sqs.queue-deleted', { queue: queue.name });
      return {};
    },
  };

  return {
    signingName: 'sqs',
    protocol: WIRE,
    operations: OPERATIONS,
    deliver(ctx, queueArn, message) {
      const queue = queueByArn(queueArn);
      if (!queue) return false;
      enqueue(ctx, queue, message.body, message.attributes ?? {}, message.senderId ?? ctx.accountId, number(queue, 'DelaySeconds'));
      return true;
    },
    handle: jsonOperations(PROTOCOL, TARGET_PREFIX, handlers),
    reconcile(): void {
      // Visibility and delays are read against the clock when a call comes; nothing moves on its own.
    },
    snapshot(): Record<string, unknown> {
      return {
        queues: [...queues.values()].map((queue) => ({
          region: queue.region,
          name: queue.name,
          arn: queue.arn,
          attributes: { ...queue.attributes },
          messages: queue.messages.map((message) => ({ id: message.id, body: message.body, attributes: cloneJson(message.attributes), receiveCount: message.receiveCount, visibleAt: new Date(message.visibleAt).toISOString() })),
        })),
      };
    },
    control(command, input, ctx) {
      if (command === 'createQueue') {
        const region = typeof input['region'] === 'string' ? input['region'] : 'us-east-1';
        const name = String(input['name'] ?? '');
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new Error(`createQueue: name '${name}' is not a queue name (1-80 letters, digits, '-', '_')`);
        const existing = queues.get(key(region, name));
        if (existing) return { queueArn: existing.arn };
        const queue: Queue = { name, region, arn: `arn:aws:sqs:${region}:${ctx.accountId}:${name}`, createdAt: ctx.now(), attributes: readAttributes(input['attributes']), messages: [] };
        queues.set(key(region, name), queue);
        return { queueArn: queue.arn };
      }
      throw new Error(`sqs has no side-door command '${command}' (createQueue)`);
    },
  };
}
