/**
 * The stage runner's way to the publisher function (functions/publisher/handler.ts): it may not
 * publish state machines itself, so a child pipeline whose version is not live (its publish was
 * deferred by a throttled control plane, or it is an older version no longer kept) is published
 * by the publisher, which answers the ARN to start on.
 *
 * Loaded on demand (scripts/build.js bundles it as `publisher-client.mjs`): the Lambda client is
 * needed only in that rare case.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

let client: LambdaClient | undefined;

/** Invokes the publisher synchronously with `event`; answers its result, or throws what it threw. */
export async function invokePublisher(functionName: string, event: unknown): Promise<unknown> {
  client ??= new LambdaClient({});
  const answer = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(event)) }));
  const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  if (answer.FunctionError) {
    let message = text;
    try {
      message = (JSON.parse(text) as { errorMessage?: string }).errorMessage ?? text;
    } catch {
      // The error payload is not JSON: keep it as text.
    }
    throw new Error(`the publisher function ${functionName} failed (${answer.FunctionError}): ${message}`);
  }
  return text === '' ? undefined : JSON.parse(text);
}
