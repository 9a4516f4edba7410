/**
 * `<dir>/pubsub.json` (Echo's `pubsub.amazon.subscriptions`): what a subscription names, what the
 * parser makes of a queue URL or ARN, and one line per problem; and how a queue message becomes
 * the pub/sub event (SNS envelope or raw delivery).
 */
import { describe, expect, it } from 'vitest';
import { pubsubEventOf } from '../../../core/triggers/pubsub-message.ts';
import { parsePubsubSubscriptions } from '../../../core/triggers/pubsub-subscriptions.ts';

const of = (subscriptions: unknown[]) => parsePubsubSubscriptions({ amazon: { subscriptions } });

describe('pub/sub subscriptions', () => {
  it('reads a queue URL or ARN into both, with the region', () => {
    expect(of([{ name: 'builds', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/builds' }, { name: 'images', queueArn: 'arn:aws:sqs:us-east-2:123456789012:imgs', endpoint: 'http://127.0.0.1:4566/' }])).toEqual({
      subscriptions: [
        { name: 'builds', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/builds', queueArn: 'arn:aws:sqs:eu-west-1:123456789012:builds', region: 'eu-west-1' },
        { name: 'images', queueUrl: 'https://sqs.us-east-2.amazonaws.com/123456789012/imgs', queueArn: 'arn:aws:sqs:us-east-2:123456789012:imgs', region: 'us-east-2', endpoint: 'http://127.0.0.1:4566' },
      ],
      issues: [],
    });
  });

  it.each([
    [[{ name: 'a' }], '/amazon/subscriptions/0', "subscription 'a' names no queue; add queueUrl"],
    [[{ name: 'a b', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q' }], '/amazon/subscriptions/0/name', "name is 'a b'; use the subscriptionName triggers give"],
    [[{ name: 'a', queueUrl: 'sqs://q' }], '/amazon/subscriptions/0/queueUrl', "queueUrl is 'sqs://q', not an SQS queue URL"],
    [[{ name: 'a', queueArn: 'arn:aws:sns:us-east-1:123456789012:t' }], '/amazon/subscriptions/0/queueArn', 'not an SQS queue ARN'],
    [[{ name: 'a', queueUrl: 'http://localhost:4566/123456789012/q' }], '/amazon/subscriptions/0/region', 'cannot be read from its URL; add "region"'],
    [[{ name: 'a', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q', endpoint: 'http://example.com' }], '/amazon/subscriptions/0/endpoint', 'an http URL on this machine'],
    [[{ name: 'a', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q', topic: 'x' }], '/amazon/subscriptions/0/topic', "unknown field 'topic'"],
  ])('refuses %j in one line', (subscriptions, pointer, message) => {
    const parsed = of(subscriptions);
    expect(parsed.subscriptions).toEqual([]);
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]).toMatchObject({ pointer, severity: 'error' });
    expect(parsed.issues[0]!.message).toContain(message);
  });

  it('refuses a file of another shape and a name listed twice', () => {
    expect(parsePubsubSubscriptions({ subscriptions: [] }).issues[0]!.message).toBe('expected { "amazon": { "subscriptions": [ { "name": ..., "queueUrl": ... } ] } }, got {"subscriptions":[]}');
    const twice = of([{ name: 'a', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q' }, { name: 'a', queueArn: 'arn:aws:sqs:us-east-1:123456789012:r' }]);
    expect(twice.issues.map((issue) => issue.message)).toEqual(["subscription 'a' is listed twice; keep one"]);
  });
});

describe('a queue message as a pub/sub event', () => {
  it('unwraps an SNS notification: its message id, its Message (JSON parsed) and its attributes', () => {
    const body = JSON.stringify({ Type: 'Notification', MessageId: 'sns-1', TopicArn: 't', Message: '{"a":1}', MessageAttributes: { kind: { Type: 'String', Value: 'push' } } });
    expect(pubsubEventOf({ subscriptionName: 's', messageId: 'sqs-1', body, attributes: {} })).toEqual({ pubsubSystem: 'amazon', subscriptionName: 's', messageId: 'sns-1', payload: { a: 1 }, attributes: { kind: 'push' } });
  });

  it('takes a raw message as it is, text kept as text', () => {
    expect(pubsubEventOf({ subscriptionName: 's', messageId: 'sqs-2', body: 'deploy now', attributes: { kind: 'push' } })).toEqual({ pubsubSystem: 'amazon', subscriptionName: 's', messageId: 'sqs-2', payload: 'deploy now', attributes: { kind: 'push' } });
  });
});
