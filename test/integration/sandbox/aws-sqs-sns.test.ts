/**
 * The simulated SQS (JSON 1.0, awsQuery-compatible errors) and SNS (awsQuery), driven by the real
 * @aws-sdk/client-sqs and @aws-sdk/client-sns: queues with visibility timeouts on the simulator's
 * clock, receipt handles, redrive to a dead-letter queue, and SNS fan-out into subscribed queues
 * in SNS's notification envelope or raw.
 */
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { credentials } from './aws-world.ts';

const START = Date.UTC(2026, 0, 1);
let sim: AwsSimulator;
let sqs: SQSClient;
let sns: SNSClient;

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 4, startTime: START });
  sqs = new SQSClient({ endpoint: sim.endpoint, region: 'eu-west-1', credentials, maxAttempts: 2 });
  sns = new SNSClient({ endpoint: sim.endpoint, region: 'eu-west-1', credentials, maxAttempts: 2 });
});
afterEach(async () => {
  sqs.destroy();
  sns.destroy();
  await sim.close();
});

const arnOf = async (url: string) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;

describe('simulated SQS', () => {
  it('hides a received message for the visibility timeout, counts receives, and deletes only with the latest receipt handle', async () => {
    const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: 'builds', Attributes: { VisibilityTimeout: '20' } }));
    expect(url).toBe(`${sim.endpoint}/123456789012/builds`);
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"a":1}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'push' } } }));
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(first.Messages).toEqual([expect.objectContaining({ MessageId: sent.MessageId, Body: '{"a":1}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'push' } }, Attributes: { ApproximateReceiveCount: '1' } })]);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();

    sim.tick(20_000);
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(second.Messages![0]!.Attributes).toEqual({ ApproximateReceiveCount: '2' });
    // the first handle is stale: the call succeeds and deletes nothing, as SQS does
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages![0]!.ReceiptHandle! }));
    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }))).Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '1' });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.Messages![0]!.ReceiptHandle! }));
    sim.tick(60_000);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue, and makes one visible again at once', async () => {
    const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: 'builds-dlq' }));
    const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: 'builds', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlq!), maxReceiveCount: 2 }) } }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    for (let receive = 0; receive < 2; receive++) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: got.Messages![0]!.ReceiptHandle!, VisibilityTimeout: 0 }));
    }
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq }))).Messages?.[0]?.Body).toBe('poison');
  });

  it('answers a missing queue with the awsQuery-compatible code and refuses a bad batch entry alone', async () => {
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist', Code: 'AWS.SimpleQueueService.NonExistentQueue' });
    const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: 'q' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const batch = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', ReceiptHandle: got.Messages![0]!.ReceiptHandle! }, { Id: 'b', ReceiptHandle: 'bogus' }] }));
    expect(batch.Successful).toEqual([{ Id: 'a' }]);
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'b', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
  });
});

describe('simulated SNS', () => {
  it('fans a Publish out to every subscribed queue: the notification envelope, or the raw message with its attributes', async () => {
    const { TopicArn: topic } = await sns.send(new CreateTopicCommand({ Name: 'builds' }));
    expect(topic).toBe('arn:aws:sns:eu-west-1:123456789012:builds');
    const { QueueUrl: wrapped } = await sqs.send(new CreateQueueCommand({ QueueName: 'wrapped' }));
    const { QueueUrl: raw } = await sqs.send(new CreateQueueCommand({ QueueName: 'raw' }));
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: await arnOf(wrapped!) }));
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: await arnOf(raw!), Attributes: { RawMessageDelivery: 'true' } }));
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }))).Subscriptions).toHaveLength(2);

    const published = await sns.send(new PublishCommand({ TopicArn: topic, Subject: 'build', Message: '{"repository":"app"}', MessageAttributes: { eventType: { DataType: 'String', StringValue: 'PUSH' } } }));

    const envelope = JSON.parse((await sqs.send(new ReceiveMessageCommand({ QueueUrl: wrapped }))).Messages![0]!.Body!);
    expect(envelope).toMatchObject({ Type: 'Notification', MessageId: published.MessageId, TopicArn: topic, Subject: 'build', Message: '{"repository":"app"}', Timestamp: new Date(START).toISOString(), MessageAttributes: { eventType: { Type: 'String', Value: 'PUSH' } } });
    const bare = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: raw, MessageAttributeNames: ['All'] }))).Messages![0]!;
    expect(bare.Body).toBe('{"repository":"app"}');
    expect(bare.MessageAttributes).toEqual({ eventType: { DataType: 'String', StringValue: 'PUSH' } });
  });

  it('answers a missing topic as SNS does', async () => {
    await expect(sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:nope', Message: 'x' }))).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});
