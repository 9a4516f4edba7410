/**
 * Amazon pub/sub triggers on this machine: `gennaker up` polls the SQS queues of
 * `<dir>/pubsub.json` (here the AWS simulator's, fed by a real SNS topic subscription), unwraps
 * SNS's envelope, matches attribute and payload constraints, and deletes a message only once its
 * executions are recorded; a redelivered message starts nothing new. The poller alone shows that a
 * message whose handling fails stays in the queue and comes back after its visibility timeout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsPoller } from '../../adapters/pubsub/sqs-poller.ts';
import type { PubsubEvent } from '../../core/triggers/pubsub-match.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';

const REGION = 'us-east-1';
const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };
const dir = mkdtempSync(join(tmpdir(), 'gennaker-pubsub-'));
let sim: AwsSimulator;
let server: LocalServer;
let sqs: SQSClient;
let sns: SNSClient;
let topicArn: string;
let queueUrl: string;
let headers: Record<string, string>;

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return response.json();
}

/** Executions of the application once the poller handled everything queued (rounds on demand, no sleeping). */
async function executionsAfterPolling(): Promise<any[]> {
  for (let round = 0; round < 5; round++) {
    await server.pubsub!.pollOnce();
    const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    if (left.Attributes!['ApproximateNumberOfMessages'] === '0' && left.Attributes!['ApproximateNumberOfMessagesNotVisible'] === '0') break;
  }
  await server.runtime.idle();
  return call('GET', '/applications/builds/pipelines?limit=100');
}

beforeAll(async () => {
  sim = await startAwsSimulator({ seed: 8 });
  sqs = new SQSClient({ endpoint: sim.endpoint, region: REGION, credentials });
  sns = new SNSClient({ endpoint: sim.endpoint, region: REGION, credentials });
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'build-events' }))).TopicArn!;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'gennaker-builds' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  writeFileSync(join(dir, 'pubsub.json'), JSON.stringify({ amazon: { subscriptions: [{ name: 'gennaker-builds', queueArn, endpoint: sim.endpoint }] } }));
  server = await startLocalServer({ dir, port: 0, localTarget: false });
  headers = { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}`, 'content-type': 'application/json' };
  await call('POST', '/pipelines', {
    application: 'builds',
    name: 'On pushes',
    triggers: [{ type: 'pubsub', pubsubSystem: 'amazon', subscriptionName: 'gennaker-builds', attributeConstraints: { eventType: '^PUSH$' }, payloadConstraints: { repository: '^app$' } }],
    stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 0 }],
  });
});

afterAll(async () => {
  await server?.runtime.idle();
  await server?.close();
  sqs?.destroy();
  sns?.destroy();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('amazon pubsub triggers under gennaker up', () => {
  it('starts the pipeline on a matching SNS message once, leaves the rest alone, and empties the queue', async () => {
    // when: a match, the same notification delivered twice, and two that miss a constraint
    const published = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ repository: 'app', parameters: { tag: 'v7' } }), MessageAttributes: { eventType: { DataType: 'String', StringValue: 'PUSH' } } }));
    const envelope = JSON.parse(String((sim.snapshot().services['sqs']!['queues'] as Array<{ messages: Array<{ body: string }> }>)[0]!.messages[0]!.body));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(envelope) }));
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ repository: 'app' }), MessageAttributes: { eventType: { DataType: 'String', StringValue: 'TAG' } } }));
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ repository: 'other' }), MessageAttributes: { eventType: { DataType: 'String', StringValue: 'PUSH' } } }));

    // then
    const executions = await executionsAfterPolling();
    expect(executions).toHaveLength(1);
    expect(executions[0].trigger).toMatchObject({
      type: 'pubsub',
      pubsubSystem: 'amazon',
      subscriptionName: 'gennaker-builds',
      messageId: published.MessageId,
      messageAttributes: { eventType: 'PUSH' },
      payload: { repository: 'app', parameters: { tag: 'v7' } },
      parameters: { tag: 'v7' },
    });
    const queue = (sim.snapshot().services['sqs']!['queues'] as Array<{ messages: unknown[] }>)[0]!;
    expect(queue.messages).toEqual([]);
    expect(sim.events({ service: 'sqs', kind: 'sqs.message-deleted' })).toHaveLength(4);
  });
});

describe('a broken pubsub.json', () => {
  it('stops gennaker up with one line per problem', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'gennaker-pubsub-broken-'));
    try {
      writeFileSync(join(broken, 'pubsub.json'), JSON.stringify({ amazon: { subscriptions: [{ name: 'builds', queueUrl: 'sqs://builds' }] } }));
      await expect(startLocalServer({ dir: broken, port: 0, localTarget: false })).rejects.toThrow(
        `${join(broken, 'pubsub.json')}#/amazon/subscriptions/0/queueUrl: queueUrl is 'sqs://builds', not an SQS queue URL; use https://sqs.<region>.amazonaws.com/<account>/<queue>`,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});

describe('the SQS poller', () => {
  it('keeps a message whose handling failed, and handles it when it comes back after its visibility timeout', async () => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'flaky', Attributes: { VisibilityTimeout: '30' } }))).QueueUrl!;
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"repository":"app"}', MessageAttributes: { eventType: { DataType: 'String', StringValue: 'PUSH' } } }));
    const handled: PubsubEvent[] = [];
    let failures = 1;
    const logged: string[] = [];
    const poller = createSqsPoller({
      subscriptions: [{ name: 'flaky', queueUrl: url, queueArn: `arn:aws:sqs:${REGION}:123456789012:flaky`, region: REGION }],
      clientFor: () => sqs,
      handle: async (event) => {
        if (failures-- > 0) throw new Error('the store is unavailable');
        handled.push(event);
      },
      log: (message) => logged.push(message),
      waitTimeSeconds: 0,
    });

    expect(await poller.pollOnce()).toEqual({ received: 1, handled: 0, kept: 1 });
    expect(logged[0]).toMatch(/^pub\/sub message [0-9a-f-]+ of 'flaky' will be delivered again: the store is unavailable$/);
    expect(await poller.pollOnce()).toEqual({ received: 0, handled: 0, kept: 0 });
    sim.tick(30_000);
    expect(await poller.pollOnce()).toEqual({ received: 1, handled: 1, kept: 0 });
    expect(handled).toEqual([{ pubsubSystem: 'amazon', subscriptionName: 'flaky', messageId: expect.any(String), payload: { repository: 'app' }, attributes: { eventType: 'PUSH' } }]);
    sim.tick(60_000);
    expect(await poller.pollOnce()).toEqual({ received: 0, handled: 0, kept: 0 });
  });
});
