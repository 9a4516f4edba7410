/**
 * The API's edge bounds as Hono pieces (input-limits.ts holds the rules): a middleware that
 * refuses over-long path parameters before a handler turns them into store keys, the names of
 * the settings that raise the body limits (for the 413 message), and the digest that keys signed
 * webhook deliveries.
 */
import type { MiddlewareHandler } from 'hono';
import { pathParameterProblem } from './input-limits.ts';

/** Where the webhook body limit is raised: `gennaker up`'s environment, or the API function's on AWS. */
export const WEBHOOK_LIMIT_SETTING = 'GENNAKER_MAX_WEBHOOK_BYTES locally, MAX_WEBHOOK_BYTES on AWS';

/** Where the limit of every other body is raised. */
export const CONFIG_LIMIT_SETTING = 'GENNAKER_MAX_CONFIG_BYTES locally, MAX_CONFIG_BYTES on AWS';

/** 400 for a path parameter too long to be a name or an id; nothing else is read. */
export const boundedPathParameters: MiddlewareHandler = async (c, next) => {
  for (const [name, value] of Object.entries(c.req.param() as Record<string, string>)) {
    const problem = pathParameterProblem(name, value);
    if (problem !== undefined) return c.json({ error: problem }, 400);
  }
  await next();
  return undefined;
};

/** Hex SHA-256 of the text's UTF-8 bytes (Web Crypto, so the same code runs on Lambda and locally). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Body limits from an environment (`prefix` is `GENNAKER_` locally, '' on AWS): whole numbers of
 * bytes; absent means the default. A value that is not one is a configuration error, thrown at
 * start-up with the variable's name.
 */
export function bodyLimitsFromEnv(env: Readonly<Record<string, string | undefined>>, prefix: string): { webhookBytes?: number; configBytes?: number } {
  const read = (name: string): number | undefined => {
    const text = env[`${prefix}${name}`];
    if (text === undefined || text.trim() === '') return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${prefix}${name} is '${text}'; give a whole number of bytes, e.g. 1048576`);
    return value;
  };
  const webhookBytes = read('MAX_WEBHOOK_BYTES');
  const configBytes = read('MAX_CONFIG_BYTES');
  return { ...(webhookBytes === undefined ? {} : { webhookBytes }), ...(configBytes === undefined ? {} : { configBytes }) };
}
