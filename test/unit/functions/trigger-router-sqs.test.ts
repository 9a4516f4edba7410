/**
 * The trigger router as the SQS event source's target (reportBatchItemFailures): a record whose
 * start could not be recorded is reported back, so SQS delivers it again, and only that one; the
 * others are deleted. The store and service here are in-memory stand-ins of the ports.
 */
import { describe, expect, it } from 'vitest';
import { createTriggerRouter } from '../../../functions/triggers/handler.ts';

const pipeline = {
  id: 'p-1',
  application: 'shop',
  name: 'On builds',
  version: 1,
  savedAt: 1,
  config: {
    application: 'shop',
    name: 'On builds',
    triggers: [{ type: 'pubsub', pubsubSystem: 'amazon', subscriptionName: 'builds' }],
    stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 1 }],
  },
};

const store = {
  listApplications: async () => ({ items: [{ name: 'shop' }] }),
  listPipelineConfigs: async () => [pipeline],
  getPipelineConfig: async () => pipeline,
} as never;

const record = (messageId: string) => ({
  messageId,
  body: JSON.stringify({ Type: 'Notification', MessageId: `sns-${messageId}`, Message: '{}' }),
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:builds',
});

describe('the trigger router on an SQS batch', () => {
  it('reports the records whose start failed as batch item failures, and only those', async () => {
    const started: string[] = [];
    const router = createTriggerRouter({
      store,
      service: {
        startTriggered: async (request: { trigger: unknown }) => {
          const messageId = String((request.trigger as { messageId: string }).messageId);
          if (messageId === 'sns-m-2') throw new Error('ProvisionedThroughputExceededException');
          started.push(messageId);
          return { ok: true, executionId: `e-${messageId}`, duplicate: false };
        },
      } as never,
    });

    const result = await router({ Records: [record('m-1'), record('m-2'), record('m-3')] });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }]);
    expect(started.sort()).toEqual(['sns-m-1', 'sns-m-3']);
  });
});
