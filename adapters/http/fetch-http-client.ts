/**
 * The HttpClient port on the platform's `fetch`, behind the outbound URL allowlist
 * (url-allowlist.ts). Redirects are not followed (a 3xx is the answer, as Spinnaker's webhook
 * stage reads it), so a redirect cannot lead past the allowlist. Timeouts use AbortSignal.
 * Failures are values: refused, network, timeout — never thrown.
 */
import type { HttpClient, HttpRequest, HttpResult } from '../../core/ports/http-client.ts';
import { checkUrl, parseAllowlistPattern, type AllowlistPattern } from './url-allowlist.ts';

export interface FetchHttpClientOptions {
  /** URL patterns that may be called (see url-allowlist.ts). @default [] — nothing may be called */
  readonly allowlist?: readonly string[];
  /** Allow link-local hosts (cloud metadata endpoints) when a pattern matches. @default false */
  readonly allowLinkLocal?: boolean;
  /** @default 30_000 */
  readonly defaultTimeoutMs?: number;
  /** Characters of a response body read at most; the rest is cut. @default 1_048_576 */
  readonly maxBodyChars?: number;
}

/** Creates the client; throws on an allowlist entry that is not a pattern (a configuration error, found at startup). */
export function createFetchHttpClient(options: FetchHttpClientOptions = {}): HttpClient {
  const patterns: AllowlistPattern[] = (options.allowlist ?? []).map((text) => {
    const parsed = parseAllowlistPattern(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.pattern;
  });
  const maxBodyChars = options.maxBodyChars ?? 1_048_576;

  return {
    async send(request: HttpRequest): Promise<HttpResult> {
      const decision = checkUrl(request.url, patterns, { allowLinkLocal: options.allowLinkLocal ?? false });
      if (!decision.allowed) return { ok: false, failure: { kind: 'refused-by-allowlist', message: decision.message } };
      const timeoutMs = request.timeoutMs ?? options.defaultTimeoutMs ?? 30_000;
      try {
        const response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name.toLowerCase()] = value;
        });
        return { ok: true, response: { status: response.status, headers, body: text.length > maxBodyChars ? text.slice(0, maxBodyChars) : text } };
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        const host = safeHost(request.url);
        if (name === 'TimeoutError' || name === 'AbortError') {
          return { ok: false, failure: { kind: 'timeout', message: `${request.method} ${host} did not answer within ${timeoutMs} ms` } };
        }
        return { ok: false, failure: { kind: 'network', message: `${request.method} ${host} could not be reached (${networkReason(error)})` } };
      }
    },
  };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The system error code (ECONNREFUSED, ENOTFOUND...) without the SDK's or undici's prose. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
