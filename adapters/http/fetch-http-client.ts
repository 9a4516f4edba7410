/**
 * The HttpClient port on node:http and node:https, behind the outbound URL allowlist
 * (url-allowlist.ts). Three rules keep a pipeline from reaching what it must not:
 * - the URL is checked as written, then its host is resolved and every address checked
 *   (link-local and metadata never; loopback only when the allowing pattern names it), and the
 *   connection goes to the address that was checked — never to a second resolution, which a
 *   DNS rebinding could point elsewhere;
 * - redirects are not followed (a 3xx is the answer, as Spinnaker's webhook stage reads it), so
 *   a redirect cannot lead past the allowlist;
 * - the response body is read as it streams, up to a byte cap; past it the connection is cut and
 *   the call fails with a message naming the cap, so a huge answer never sits in memory.
 * Failures are values: refused, too large, network, timeout — never thrown.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { HttpClient, HttpRequest, HttpResult } from '../../core/ports/http-client.ts';
import { checkResolvedAddress, checkUrl, parseAllowlistPattern, type AllowlistPattern } from './url-allowlist.ts';

export interface FetchHttpClientOptions {
  /** URL patterns that may be called (see url-allowlist.ts). @default [] — nothing may be called */
  readonly allowlist?: readonly string[];
  /** Allow link-local hosts (cloud metadata endpoints) when a pattern matches. @default false */
  readonly allowLinkLocal?: boolean;
  /** @default 30_000 */
  readonly defaultTimeoutMs?: number;
  /** Bytes of a response body read at most; a longer body fails the call. @default 1_048_576 (1 MiB) */
  readonly maxBodyBytes?: number;
  /** Resolves a host name to its addresses. @default the system resolver (dns.lookup, all addresses) */
  readonly resolve?: (host: string) => Promise<ReadonlyArray<{ readonly address: string; readonly family: number }>>;
}

const systemResolve = async (host: string) => dnsLookup(host, { all: true, verbatim: true });

/** Creates the client; throws on an allowlist entry that is not a pattern (a configuration error, found at startup). */
export function createFetchHttpClient(options: FetchHttpClientOptions = {}): HttpClient {
  const patterns: AllowlistPattern[] = (options.allowlist ?? []).map((text) => {
    const parsed = parseAllowlistPattern(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.pattern;
  });
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const resolve = options.resolve ?? systemResolve;
  const allowLinkLocal = options.allowLinkLocal ?? false;

  return {
    async send(request: HttpRequest): Promise<HttpResult> {
      const decision = checkUrl(request.url, patterns, { allowLinkLocal });
      if (!decision.allowed) return { ok: false, failure: { kind: 'refused-by-allowlist', message: decision.message } };
      const url = new URL(request.url);
      const timeoutMs = request.timeoutMs ?? options.defaultTimeoutMs ?? 30_000;
      const what = `${request.method} ${url.host}`;

      // Resolve, check every address, connect to a checked one.
      let addresses: ReadonlyArray<{ readonly address: string; readonly family: number }>;
      const literal = isIP(decision.host);
      if (literal !== 0) {
        addresses = [{ address: decision.host, family: literal }];
      } else {
        try {
          addresses = await withTimeout(resolve(decision.host), timeoutMs);
        } catch (error) {
          if (error instanceof TimeoutError) return { ok: false, failure: { kind: 'timeout', message: `${what} did not answer within ${timeoutMs} ms` } };
          return { ok: false, failure: { kind: 'network', message: `${what} could not be reached (${networkReason(error)})` } };
        }
      }
      if (addresses.length === 0) return { ok: false, failure: { kind: 'network', message: `${what} could not be reached (ENOTFOUND)` } };
      for (const { address } of addresses) {
        const verdict = checkResolvedAddress(address, url.host, { allowLinkLocal, loopbackAllowed: decision.loopbackAllowed });
        if (!verdict.allowed) return { ok: false, failure: { kind: 'refused-by-allowlist', message: verdict.message } };
      }
      const chosen = addresses[0]!;
      // Node asks `lookup` for the address at connect time; it gets the checked one, whatever DNS says now.
      const pinned: LookupFunction = (_host, lookupOptions, callback) => {
        if ((lookupOptions as { all?: boolean }).all) (callback as unknown as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address: chosen.address, family: chosen.family }]);
        else callback(null, chosen.address, chosen.family);
      };
      return exchange(url, request, pinned, timeoutMs, maxBodyBytes, what);
    },
  };
}

/** One request and its answer, the body read up to `maxBodyBytes`. */
function exchange(url: URL, request: HttpRequest, lookup: LookupFunction, timeoutMs: number, maxBodyBytes: number, what: string): Promise<HttpResult> {
  return new Promise<HttpResult>((settle) => {
    let settled = false;
    const done = (result: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settle(result);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(
      url,
      {
        method: request.method,
        headers: { ...request.headers, ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}) },
        lookup,
        // Every exchange on its own connection: a pooled socket could outlive the address check.
        agent: false,
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let total = 0;
        response.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > maxBodyBytes) {
            done({
              ok: false,
              failure: { kind: 'too-large', message: `${what} answered a body larger than ${formatBytes(maxBodyBytes)}, the cap on a response; reading stopped there (make the endpoint answer less)` },
            });
            outgoing.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
          }
          done({ ok: true, response: { status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') } });
        });
        response.on('error', (error) => done({ ok: false, failure: { kind: 'network', message: `${what} could not be reached (${networkReason(error)})` } }));
      },
    );
    const timer = setTimeout(() => {
      done({ ok: false, failure: { kind: 'timeout', message: `${what} did not answer within ${timeoutMs} ms` } });
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on('error', (error) => done({ ok: false, failure: { kind: 'network', message: `${what} could not be reached (${networkReason(error)})` } }));
    outgoing.end(request.body);
  });
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError()), ms)))]).finally(() => clearTimeout(timer));
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** The system error code (ECONNREFUSED, ENOTFOUND...) without Node's prose. */
function networkReason(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
