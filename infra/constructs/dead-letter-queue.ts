/**
 * Where events go that could not be delivered or processed: EventBridge target deliveries that
 * failed every retry and asynchronous invocations that failed every Lambda retry. Encrypted,
 * TLS only, kept for the longest SQS allows so an operator can inspect and redrive them.
 */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /**
   * How long undelivered events are kept.
   * @default Duration.days(14)
   */
  readonly retentionPeriod?: Duration;
}

/** An SSE-SQS encrypted queue that refuses plain-HTTP access. */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps = {}) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
  }
}
