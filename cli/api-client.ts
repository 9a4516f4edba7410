/**
 * A small client of the Gennaker API for the CLI: the endpoint (`--endpoint`, else the one
 * `gennaker up` recorded in `<dir>/endpoint`, else http://127.0.0.1:8084) and how to authenticate: a bearer token (GENNAKER_TOKEN, or
 * `<dir>/token` written by `gennaker up`) for a local Gennaker, SigV4 with the caller's AWS
 * credentials for the API on AWS (cli/sigv4.ts decides which). Errors from the API become an
 * `ApiError` carrying the API's one-line message.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ENDPOINT_FILE, readEndpointFile } from '../local/endpoint-file.ts';
import { createSigV4Signer, resolveApiAuth, type AuthEnvironment, type CredentialsProvider, type RequestSigner } from './sigv4.ts';

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
  /**
   * The settings that choose SigV4 signing (GENNAKER_AUTH, AWS_REGION, AWS_DEFAULT_REGION).
   * @default process.env
   */
  readonly environment?: AuthEnvironment;
  /**
   * AWS credentials for SigV4.
   * @default the AWS SDK's default chain (environment, AWS_PROFILE and the shared files, SSO, instance metadata)
   */
  readonly credentials?: CredentialsProvider;
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

/** The signer for the endpoint, or undefined for bearer-token auth; a bad setting becomes an ApiError. */
function signerFor(endpoint: string, settings: ClientSettings): RequestSigner | undefined {
  let auth;
  try {
    auth = resolveApiAuth(endpoint, settings.environment ?? process.env);
  } catch (error) {
    throw new ApiError(error instanceof Error ? error.message : String(error), 0, undefined);
  }
  return auth.kind === 'sigv4' ? createSigV4Signer({ region: auth.region, ...(settings.credentials ? { credentials: settings.credentials } : {}) }) : undefined;
}

export async function createApiClient(settings: ClientSettings, fetchImpl: typeof fetch = fetch): Promise<ApiClient> {
  const recorded = settings.endpoint === undefined ? await readEndpointFile(settings.dir) : undefined;
  const endpoint = (settings.endpoint ?? recorded ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  // A record left by a server that did not stop cleanly names a port nobody listens on: say where it came from.
  const source = recorded !== undefined ? `, recorded in ${join(settings.dir, ENDPOINT_FILE)} by 'gennaker up'` : '';
  const token = await readToken(settings);
  // Decided on the first request, so a bad setting is reported like any other request error.
  let signer: { readonly value: RequestSigner | undefined } | undefined;
  return {
    endpoint,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      signer ??= { value: signerFor(endpoint, settings) };
      const text = body === undefined ? undefined : JSON.stringify(body);
      const url = `${endpoint}${path}`;
      let headers: Record<string, string> = { accept: 'application/json', ...(text === undefined ? {} : { 'content-type': 'application/json' }) };
      if (signer.value !== undefined) {
        try {
          headers = await signer.value.sign({ method, url: new URL(url), headers, ...(text === undefined ? {} : { body: text }) });
        } catch (error) {
          throw new ApiError(error instanceof Error ? error.message : String(error), 0, undefined);
        }
      } else if (token) {
        headers = { ...headers, authorization: `Bearer ${token}` };
      }
      let response: Response;
      try {
        response = await fetchImpl(url, { method, headers, ...(text === undefined ? {} : { body: text }) });
      } catch (error) {
        const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error instanceof Error ? error.message : String(error));
        throw new ApiError(`cannot reach Gennaker at ${endpoint} (${reason}${source}); start it with 'gennaker up' or pass --endpoint`, 0, undefined);
      }
      const responseText = await response.text();
      let json: unknown;
      try {
        json = responseText === '' ? undefined : JSON.parse(responseText);
      } catch {
        json = undefined;
      }
      if (!response.ok) {
        const message = (json as { error?: unknown; message?: unknown } | undefined)?.error ?? (json as { message?: unknown } | undefined)?.message;
        const hint =
          signer.value !== undefined
            ? response.status === 403
              ? ' (the AWS identity signing the request is not allowed to call this API: check the credentials in use (aws sts get-caller-identity) and its IAM permissions for execute-api:Invoke)'
              : ''
            : response.status === 401 && token === undefined
              ? ` (no token: set GENNAKER_TOKEN or run from the directory holding ${join(settings.dir, 'token')})`
              : '';
        throw new ApiError(`${typeof message === 'string' ? message : `HTTP ${response.status}`}${hint}`, response.status, json);
      }
      return json as T;
    },
  };
}
