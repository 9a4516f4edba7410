/**
 * Local mode's subscriber for Amazon pub/sub (what Echo's SQSSubscriber does, and what Lambda's
 * SQS event source does on AWS): receive each subscription's queue, hand every message to
 * `handle` as the pub/sub event it carries, and delete it only once `handle` resolved (the
 * executions it starts are recorded). A message whose handling throws stays in the queue and
 * comes back after its visibility timeout: at-least-once, and the message id in the executions'
 * idempotency keys makes a redelivery start nothing new.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PubsubEvent } from '../../core/triggers/pubsub-match.ts';
import { pubsubEventOf } from '../../core/triggers/pubsub-message.ts';
import type { PubsubSubscription } from '../../core/triggers/pubsub-subscriptions.ts';

export interface SqsPollerOptions {
  readonly subscriptions: readonly PubsubSubscription[];
  /** The SQS client of a subscription (its region and endpoint). */
  readonly clientFor: (subscription: PubsubSubscription) => SQSClient;
  /** Starts what the message triggers; resolves once that is recorded, throws when it could not be. */
  readonly handle: (event: PubsubEvent) => Promise<void>;
  /** Problems that do not stop polling. */
  readonly log: (message: string) => void;
  /** Long-poll seconds per receive (SQS's maximum is 20). @default 20 */
  readonly waitTimeSeconds?: number;
}

/** What one round did, per outcome. */
export interface PollRound {
  readonly received: number;
  readonly handled: number;
  /** Messages left for redelivery (their handling failed). */
  readonly kept: number;
}

export interface SqsPoller {
  /** Receives each subscription once and handles what came. */
  pollOnce(): Promise<PollRound>;
  /** Polls round after round until `stop`, pausing `idleMs` after a round that received nothing. */
  start(idleMs?: number): void;
  /** Stops the loop; resolves when the round in flight is over. */
  stop(): Promise<void>;
}

/** Creates the poller; nothing is received before `pollOnce` or `start`. */
export function createSqsPoller(options: SqsPollerOptions): SqsPoller {
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  // Aborts a long poll in flight when the loop stops, so closing never waits out WaitTimeSeconds.
  let aborter = new AbortController();

  const pollSubscription = async (subscription: PubsubSubscription): Promise<PollRound> => {
    const client = options.clientFor(subscription);
    let received;
    try {
      received = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: subscription.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: options.waitTimeSeconds ?? 20,
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: aborter.signal },
      );
    } catch (error) {
      if (aborter.signal.aborted) return { received: 0, handled: 0, kept: 0 };
      options.log(`pub/sub subscription '${subscription.name}': receiving from ${subscription.queueUrl} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      return { received: 0, handled: 0, kept: 0 };
    }
    let handled = 0;
    let kept = 0;
    for (const message of received.Messages ?? []) {
      if (message.MessageId === undefined || message.ReceiptHandle === undefined) continue;
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) if (value.StringValue !== undefined) attributes[name] = value.StringValue;
      const event = pubsubEventOf({ subscriptionName: subscription.name, messageId: message.MessageId, body: message.Body ?? '', attributes });
      try {
        await options.handle(event);
      } catch (error) {
        kept += 1;
        options.log(`pub/sub message ${event.messageId} of '${subscription.name}' will be delivered again: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      try {
        await client.send(new DeleteMessageCommand({ QueueUrl: subscription.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      } catch (error) {
        // Handled and recorded: a redelivery finds its executions and starts nothing new.
        options.log(`pub/sub message ${event.messageId} of '${subscription.name}' was handled but not deleted: ${error instanceof Error ? error.message : String(error)}`);
      }
      handled += 1;
    }
    return { received: received.Messages?.length ?? 0, handled, kept };
  };

  const pollOnce = async (): Promise<PollRound> => {
    const rounds = await Promise.all(options.subscriptions.map(pollSubscription));
    return rounds.reduce((sum, round) => ({ received: sum.received + round.received, handled: sum.handled + round.handled, kept: sum.kept + round.kept }), { received: 0, handled: 0, kept: 0 });
  };

  return {
    pollOnce,
    start(idleMs = 1000) {
      if (running || options.subscriptions.length === 0) return;
      running = true;
      aborter = new AbortController();
      loop = (async () => {
        while (running) {
          const round = await pollOnce();
          if (round.received === 0 && running) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, idleMs);
              timer.unref?.();
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = undefined;
          }
        }
      })();
    },
    async stop() {
      running = false;
      aborter.abort();
      wake?.();
      await loop;
    },
  };
}
