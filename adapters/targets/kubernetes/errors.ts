/**
 * The API server's answers as manifest-port failures (core/ports/manifests.ts). client-node throws
 * an `ApiException` whose `code` is the HTTP status and whose `body` is the server's `Status` as a
 * raw JSON string (reference/cloud-targets.md §6.4); the network throws node-fetch's `FetchError`
 * (`ECONNREFUSED`...) or an `AbortError` when the request timed out.
 *
 * | the server answers | reason |
 * |---|---|
 * | 404 | `not-found` (reads answer `undefined`, delete `already-done`) |
 * | 409 `AlreadyExists` | `already-exists` |
 * | 409 `Conflict` (stale resourceVersion, server-side apply conflicts) | `conflict` |
 * | 400, 415, 422 `Invalid` | `invalid` |
 * | 403 | `forbidden` |
 * | 401 | `failed`: the account's credentials were refused |
 * | 429, 5xx, refused or reset connections, timeouts | `unavailable` |
 * | anything else | `failed` |
 *
 * The message is one line: what was attempted, on which object, and the server's own `message`.
 * Bearer tokens never appear in it: anything shaped like one is masked before it is returned.
 */
import type { ManifestFailure, ManifestFailureReason } from '../../../core/ports/manifests.ts';

/** What the server's `Status` says, when it said it. */
export interface ServerStatus {
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

/** What `ApiException` and node-fetch errors carry. */
interface ThrownShape {
  readonly name?: string;
  readonly code?: unknown;
  readonly body?: unknown;
  readonly type?: string;
  readonly message?: string;
  readonly errno?: unknown;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** The HTTP status of an `ApiException`, or undefined for anything else. */
export function httpStatusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as ThrownShape).code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/** The server's `Status` from an `ApiException` body (a JSON string, a parsed object or nothing). */
export function serverStatusOf(error: unknown): ServerStatus {
  if (error === null || typeof error !== 'object') return {};
  let body = (error as ThrownShape).body;
  if (typeof body === 'string') {
    const raw = body;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      return raw.trim() !== '' ? { message: raw } : {};
    }
  }
  if (body === null || typeof body !== 'object') return {};
  const status = body as Record<string, unknown>;
  return {
    ...(typeof status['message'] === 'string' ? { message: status['message'] } : {}),
    ...(typeof status['reason'] === 'string' ? { reason: status['reason'] } : {}),
    ...(typeof status['code'] === 'number' ? { code: status['code'] } : {}),
  };
}

/** Whether the error is the network's (refused, reset, timed out) rather than the server's. */
export function isNetworkError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const thrown = error as ThrownShape;
  if (thrown.name === 'AbortError' || thrown.name === 'TimeoutError') return true;
  if (typeof thrown.code === 'string' && NETWORK_CODES.has(thrown.code)) return true;
  return thrown.name === 'FetchError' && thrown.type === 'system';
}

/** Whether this module can classify the error (an `ApiException` or a network fault); anything else is a bug. */
export function isKubernetesError(error: unknown): boolean {
  return httpStatusOf(error) !== undefined || isNetworkError(error);
}

/** The port's reason for an error. */
export function reasonOf(error: unknown): ManifestFailureReason {
  if (isNetworkError(error)) return 'unavailable';
  const status = httpStatusOf(error);
  const { reason } = serverStatusOf(error);
  if (status === 404) return 'not-found';
  if (status === 409) return reason === 'AlreadyExists' ? 'already-exists' : 'conflict';
  if (status === 400 || status === 415 || status === 422) return 'invalid';
  if (status === 403) return 'forbidden';
  if (status === 429 || (status !== undefined && status >= 500)) return 'unavailable';
  return 'failed';
}

/** Masks bearer tokens, EKS tokens and JWTs, wherever a message carries one. */
export function redact(text: string): string {
  return text
    .replace(/(bearer\s+)[^\s"',]+/gi, '$1******')
    .replace(/k8s-aws-v1\.[A-Za-z0-9_-]+/g, 'k8s-aws-v1.******')
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '******');
}

/** One line: whitespace collapsed, at most 400 characters, tokens masked. */
export function oneLine(text: string): string {
  const flat = redact(text).replace(/\s+/g, ' ').trim();
  return flat.length > 400 ? `${flat.slice(0, 399)}…` : flat;
}

/** What to say after the server's reason, by reason. */
function advice(reason: ManifestFailureReason, status: number | undefined): string {
  if (reason === 'unavailable') return '; it will be tried again';
  if (status === 401) return "; the account's credentials were refused: check its kubeconfig user, token or EKS role";
  if (reason === 'forbidden') return "; grant the account's user this verb on this resource (RBAC)";
  return '';
}

/**
 * The failure of `what` (`applying replicaSet default/web-v001`): the reason from the answer, the
 * server's message on one line, the thrown error kept in `cause`. Throws what is neither the
 * server's answer nor the network's: that is a bug.
 */
export function kubernetesFailure(error: unknown, what: string): ManifestFailure {
  if (!isKubernetesError(error)) throw error;
  const reason = reasonOf(error);
  const status = httpStatusOf(error);
  const server = serverStatusOf(error);
  const thrown = error as ThrownShape;
  const said = isNetworkError(error)
    ? thrown.name === 'AbortError' || thrown.name === 'TimeoutError'
      ? 'the API server did not answer in time'
      : `the API server could not be reached (${typeof thrown.code === 'string' ? thrown.code : (thrown.message ?? 'network error')})`
    : `${status}${server.reason ? ` ${server.reason}` : ''}${server.message ? `: ${server.message}` : ''}`;
  return {
    ok: false,
    reason,
    message: oneLine(`${what} failed: ${said}${advice(reason, status)}`),
    ...(status !== undefined ? { status } : {}),
    cause: error,
  };
}

/** A failure the adapter decides itself (a namespace the account may not use, an unknown kind). */
export function refusal(reason: ManifestFailureReason, message: string): ManifestFailure {
  return { ok: false, reason, message: oneLine(message) };
}
