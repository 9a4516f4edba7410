/**
 * The SQS poller `gennaker up` runs over the subscriptions of `<dir>/pubsub.json`
 * (local/pubsub-file.ts), one SQS client per region and endpoint.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsPoller, type SqsPoller } from '../adapters/pubsub/sqs-poller.ts';
import type { PubsubEvent } from '../core/triggers/pubsub-match.ts';
import type { PubsubSubscription } from '../core/triggers/pubsub-subscriptions.ts';

/** A simulator on this machine reads only the signature's scope: it gets placeholder credentials, never the user's. */
const LOCAL_ENDPOINT = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

/** The poller of these subscriptions, one SQS client per region and endpoint (the default credentials for AWS's own). */
export function createLocalPubsub(subscriptions: readonly PubsubSubscription[], handle: (event: PubsubEvent) => Promise<void>, log: (message: string) => void): { readonly poller: SqsPoller; close(): void } {
  const clients = new Map<string, SQSClient>();
  const clientFor = (subscription: PubsubSubscription): SQSClient => {
    const key = `${subscription.region}|${subscription.endpoint ?? ''}`;
    let client = clients.get(key);
    if (!client) {
      const local = subscription.endpoint !== undefined && LOCAL_ENDPOINT.test(subscription.endpoint);
      client = new SQSClient({
        region: subscription.region,
        ...(subscription.endpoint !== undefined ? { endpoint: subscription.endpoint } : {}),
        ...(local ? { credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'local' } } : {}),
      });
      clients.set(key, client);
    }
    return client;
  };
  return {
    poller: createSqsPoller({ subscriptions, clientFor, handle, log }),
    close() {
      for (const client of clients.values()) client.destroy();
    },
  };
}
