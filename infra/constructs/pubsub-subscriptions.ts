/**
 * Amazon pub/sub subscriptions on AWS (Echo's `pubsub.amazon.subscriptions`, what its SQS
 * subscriber sets up itself): for each, an SQS queue named as the subscription (`pubsub`
 * triggers name it as `subscriptionName`), subscribed to the SNS topic, and the trigger router as
 * the queue's event source. The router reports batch item failures, so Lambda deletes a message
 * only once its executions are recorded and SQS delivers the rest again; a message that keeps
 * failing goes to the dead-letter queue after `maxReceiveCount` receives. The router may read and
 * delete on these queues only (the event source's grant on each queue's ARN).
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** A subscription's name: an SQS queue name. */
export const SUBSCRIPTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** An SNS topic ARN. */
export const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

export interface PubsubSubscriptionsProps {
  /** Subscription name → the SNS topic ARN its queue subscribes to. */
  readonly subscriptions: Readonly<Record<string, string>>;
  /** Receives the queues' messages (its timeout sets the queues' visibility timeout). */
  readonly triggerRouter: lambda.IFunction;
  /** The router's timeout: a message stays hidden six times as long, as Lambda advises for event sources. */
  readonly routerTimeout: Duration;
  /** Where a message goes after `maxReceiveCount` failed deliveries. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Deliveries of a message before it goes to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/** The queues, their topic subscriptions and the trigger router's event sources. */
export class PubsubSubscriptions extends Construct {
  /** The queue of each subscription, by name. */
  readonly queues: Readonly<Record<string, sqs.Queue>>;

  constructor(scope: Construct, id: string, props: PubsubSubscriptionsProps) {
    super(scope, id);
    const queues: Record<string, sqs.Queue> = {};
    for (const [name, topicArn] of Object.entries(props.subscriptions)) {
      const queue = new sqs.Queue(this, `Queue-${name}`, {
        queueName: name,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(props.routerTimeout.toSeconds() * 6),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
      });
      sns.Topic.fromTopicArn(this, `Topic-${name}`, topicArn).addSubscription(new SqsSubscription(queue));
      props.triggerRouter.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));
      queues[name] = queue;
    }
    this.queues = queues;
  }
}
