/**
 * The preconfigured webhooks of `gennaker up`: `<state dir>/webhooks.json`,
 * `{"preconfigured": [{"type", "label", "url", "method", "customHeaders", "parameters", ...}]}`
 * (core/pipeline/preconfigured-webhooks.ts). Read at start; a broken file stops the start with
 * one line per problem. No file: no preconfigured webhooks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePreconfiguredWebhooks, type PreconfiguredWebhook } from '../core/pipeline/preconfigured-webhooks.ts';

/** The file of the state directory that configures the webhooks. */
export const WEBHOOKS_FILE = 'webhooks.json';

/** The webhooks `dir/webhooks.json` configures, or why they cannot be read (one line per problem). */
export async function loadWebhooksFile(dir: string): Promise<{ readonly ok: true; readonly webhooks: readonly PreconfiguredWebhook[] } | { readonly ok: false; readonly message: string }> {
  const path = join(dir, WEBHOOKS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, webhooks: [] };
    return { ok: false, message: `${path} cannot be read (${(error as Error).message})` };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${path} is not valid JSON (${(error as Error).message}); fix it or remove it` };
  }
  const parsed = parsePreconfiguredWebhooks(document, path);
  return parsed.ok ? parsed : { ok: false, message: parsed.problems.join('\n') };
}
