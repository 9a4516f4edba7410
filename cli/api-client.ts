/**
 * A small client of the Gennaker API for the CLI: the endpoint (`--endpoint`, default
 * http://127.0.0.1:8084) and the bearer token (GENNAKER_TOKEN, or `<dir>/token` written by
 * `gennaker up`). Errors from the API become an `ApiError` carrying the API's one-line message.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8084';

/** The API answered with an error status; `message` is its one-line `error`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export interface ApiClient {
  readonly endpoint: string;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface ClientSettings {
  readonly endpoint?: string;
  /** The state directory of `gennaker up` (`.gennaker`). */
  readonly dir: string;
  /** GENNAKER_TOKEN, when set (read by the composition root). */
  readonly envToken?: string;
}

/** The token: GENNAKER_TOKEN first, then `<dir>/token`; undefined when neither exists. */
export async function readToken(settings: ClientSettings): Promise<string | undefined> {
  if (settings.envToken !== undefined && settings.envToken !== '') return settings.envToken;
  try {
    return (await readFile(join(settings.dir, 'token'), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function createApiClient(settings: ClientSettings, fetchImpl: typeof fetch = fetch): Promise<ApiClient> {
  const endpoint = (settings.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const token = await readToken(settings);
  return {
    endpoint,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetchImpl(`${endpoint}${path}`, {
          method,
          headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (error) {
        const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error instanceof Error ? error.message : String(error));
        throw new ApiError(`cannot reach Gennaker at ${endpoint} (${reason}); start it with 'gennaker up' or pass --endpoint`, 0, undefined);
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (!response.ok) {
        const message = (json as { error?: unknown } | undefined)?.error;
        const hint = response.status === 401 && token === undefined ? ` (no token: set GENNAKER_TOKEN or run from the directory holding ${join(settings.dir, 'token')})` : '';
        throw new ApiError(`${typeof message === 'string' ? message : `HTTP ${response.status}`}${hint}`, response.status, json);
      }
      return json as T;
    },
  };
}
