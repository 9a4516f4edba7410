/** `gennaker sandbox describe [--json]`: what the simulated clouds of `gennaker up --sandbox` hold now (AWS, and Kubernetes once a pipeline names it). */
import { describeLines, type SandboxDescription } from '../../local/sandbox/describe.ts';
import type { ApiCommandContext } from './api-commands.ts';
import { EXIT } from '../usage.ts';

/** Prints the sandbox's resources, one a line by kind, or the description as JSON. */
export async function sandboxDescribe(context: ApiCommandContext): Promise<number> {
  const description = await context.client.request<SandboxDescription>('GET', '/sandbox');
  if (context.json) context.io.emit({ kind: 'data', text: JSON.stringify(description, null, 2) });
  else for (const line of describeLines(description)) context.io.emit({ kind: 'data', text: line });
  return EXIT.ok;
}
