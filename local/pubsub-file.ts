/**
 * Local mode's Amazon pub/sub subscriptions: `<data directory>/pubsub.json` (its format:
 * core/triggers/pubsub-subscriptions.ts and the README's "Amazon SNS/SQS triggers"), read once at
 * start. A broken file stops the start with one line per problem. The poller over them is
 * local/pubsub.ts, loaded (with the SQS client) only when the file names a subscription.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssue } from '../core/issues.ts';
import { parsePubsubSubscriptions, type PubsubSubscription } from '../core/triggers/pubsub-subscriptions.ts';

/** The subscriptions file's name inside the data directory. */
export const PUBSUB_FILE = 'pubsub.json';

/** The subscriptions of `<dir>/pubsub.json` (none when the file does not exist), or why the file cannot be used. */
export async function loadPubsubFile(dir: string): Promise<{ readonly ok: true; readonly subscriptions: readonly PubsubSubscription[] } | { readonly ok: false; readonly message: string }> {
  const file = join(dir, PUBSUB_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, subscriptions: [] };
    return { ok: false, message: `${file}: cannot be read (${(error as Error).message})` };
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${file}: not JSON (${(error as Error).message}); see "Amazon SNS/SQS triggers" in the README for its format` };
  }
  const parsed = parsePubsubSubscriptions(input);
  if (parsed.issues.length > 0) return { ok: false, message: parsed.issues.map((issue) => `${file}#${formatIssue(issue)}`).join('\n') };
  return { ok: true, subscriptions: parsed.subscriptions };
}

