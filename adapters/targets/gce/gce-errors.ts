/**
 * Compute Engine errors as port failures (core/ports/server-groups.ts): what the client threw, or
 * what a finished operation carries in `error`, becomes one reason and one line for the pipeline
 * author with Google's own message in it; the SDK error stays in `cause`.
 *
 * The thrown shape depends on the client's major version (`reference/cloud-targets.md` §5.3):
 * `@google-cloud/compute` 6.x throws a GaxiosError (`code` and `status` are the HTTP status,
 * `message` is the raw JSON body `{"error":{"code":404,"message":...,"errors":[{"reason":...}]}}`);
 * 7.x throws a GoogleError (`code` is the gRPC code, `httpStatusCode` the HTTP status, `reason`
 * Google's reason, `message` the human text). Both are read here through `httpStatusCode ?? status
 * ?? code`, a gRPC code being turned into its HTTP status. Throttling (429, and 403
 * `rateLimitExceeded`), 5xx and connection faults are `unavailable`, the one retryable reason; a
 * quota (403 `quotaExceeded`) is `failed`: waiting does not raise it.
 */
import type { PortFailure, PortFailureReason } from '../../../core/ports/server-groups.ts';

/** gRPC status codes (google-gax's `Status`) and the HTTP status each stands for. */
const GRPC_TO_HTTP: Readonly<Record<number, number>> = {
  1: 499, // CANCELLED
  2: 500, // UNKNOWN
  3: 400, // INVALID_ARGUMENT
  4: 504, // DEADLINE_EXCEEDED
  5: 404, // NOT_FOUND
  6: 409, // ALREADY_EXISTS
  7: 403, // PERMISSION_DENIED
  8: 429, // RESOURCE_EXHAUSTED
  9: 412, // FAILED_PRECONDITION (Compute's 412 conditionNotMet)
  10: 409, // ABORTED
  11: 400, // OUT_OF_RANGE
  12: 501, // UNIMPLEMENTED
  13: 500, // INTERNAL
  14: 503, // UNAVAILABLE
  15: 500, // DATA_LOSS
  16: 401, // UNAUTHENTICATED
};

/** Reasons that mean "later", not "never": throttling (a 403), and a resource another operation is still changing (a 400). */
const THROTTLED_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'backendError']);
const BUSY_REASONS = new Set(['resourceNotReady', 'RESOURCE_NOT_READY']);
/** Reasons that mean a quota or a stock-out: the stage fails, naming it. */
const QUOTA_REASONS = /^(quotaExceeded|QUOTA_EXCEEDED|limitExceeded|ZONE_RESOURCE_POOL_EXHAUSTED.*|RESOURCE_POOL_EXHAUSTED)$/;
/** Faults of the connection, not of the request. */
const TRANSIENT_CODES = /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|UND_ERR_.+|ERR_STREAM_PREMATURE_CLOSE)$/;

/** What a client error is made of, in either version. */
interface ClientError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: number | string;
  readonly status?: number | string;
  readonly httpStatusCode?: number;
  readonly reason?: string;
  readonly response?: { readonly status?: number; readonly data?: unknown };
  readonly cause?: unknown;
}

/** The Google error envelope a REST answer carries. */
interface Envelope {
  readonly error?: { readonly code?: number; readonly message?: string; readonly status?: string; readonly errors?: readonly { readonly reason?: string; readonly message?: string }[] };
}

/** What this module reads of an error: the HTTP status (0: none), Google's reason and human message. */
export interface GceErrorFacts {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
  /** A network error code (`ECONNREFUSED`), when the request never got an answer. */
  readonly network?: string;
}

function envelopeOf(value: unknown): Envelope | undefined {
  if (typeof value === 'string') {
    const start = value.indexOf('{');
    if (start < 0) return undefined;
    try {
      return envelopeOf(JSON.parse(value.slice(start)));
    } catch {
      return undefined;
    }
  }
  if (value !== null && typeof value === 'object' && 'error' in value && typeof (value as Envelope).error === 'object') return value as Envelope;
  return undefined;
}

const asNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined);

/** The facts of a client error of either major version; undefined for what is not one (a bug). */
export function gceErrorFacts(error: unknown): GceErrorFacts | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const client = error as ClientError;
  const networkCode = [client.code, (client.cause as ClientError | undefined)?.code].find((code): code is string => typeof code === 'string' && TRANSIENT_CODES.test(code));
  if (networkCode !== undefined) return { status: 0, reason: networkCode, message: client.message ?? networkCode, network: networkCode };
  const chosen = asNumber(client.httpStatusCode) ?? asNumber(client.status) ?? asNumber(client.response?.status) ?? asNumber(client.code);
  if (chosen === undefined) {
    // gax's own timeouts and aborted fetches carry no status.
    if (client.name === 'AbortError' || client.name === 'TimeoutError' || /timeout|timed out|socket hang up/i.test(client.message ?? '')) return { status: 0, reason: client.name ?? 'Timeout', message: client.message ?? 'timed out', network: client.name ?? 'Timeout' };
    return undefined;
  }
  // A gRPC code alone (7.x without an HTTP status) stands for its HTTP status.
  const status = chosen < 100 ? (GRPC_TO_HTTP[chosen] ?? 500) : chosen;
  const envelope = envelopeOf(client.response?.data) ?? envelopeOf(client.message);
  const reason = client.reason ?? envelope?.error?.errors?.[0]?.reason ?? envelope?.error?.status ?? '';
  const message = envelope?.error?.message ?? envelope?.error?.errors?.[0]?.message ?? client.message ?? '';
  return { status, reason, message };
}

/** Whether the error is a client or network error this module can classify (anything else is a bug). */
export function isGceError(error: unknown): boolean {
  return gceErrorFacts(error) !== undefined;
}

/** One line: whitespace collapsed, at most 300 characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

/** The reason an HTTP status and Google reason mean for a port. */
export function reasonOfStatus(status: number, reason: string): PortFailureReason {
  if (status === 0 || status === 429 || status >= 500 || status === 499) return 'unavailable';
  if (status === 403 && THROTTLED_REASONS.has(reason)) return 'unavailable';
  if (BUSY_REASONS.has(reason)) return 'unavailable';
  if (QUOTA_REASONS.test(reason)) return 'failed';
  if (status === 404) return 'not-found';
  if (status === 409 && (reason === '' || reason === 'alreadyExists' || reason === 'ALREADY_EXISTS')) return 'already-exists';
  if (status === 400) return 'invalid';
  return 'failed';
}

/** The reason a client error means for a port, before any caller-specific override. */
export function reasonOf(error: unknown): PortFailureReason {
  const facts = gceErrorFacts(error);
  return facts ? reasonOfStatus(facts.status, facts.reason) : 'failed';
}

/** The HTTP status of a client error (0 for a network fault or what is not one). */
export function statusOf(error: unknown): number {
  return gceErrorFacts(error)?.status ?? 0;
}

function advice(reason: PortFailureReason, facts: GceErrorFacts): string {
  if (reason === 'unavailable') return '; it will be tried again';
  if (QUOTA_REASONS.test(facts.reason)) return '; raise the quota in the project (IAM & Admin → Quotas) or use fewer resources';
  if (facts.status === 403 || facts.status === 401) return "; grant the account's service account this permission (e.g. roles/compute.instanceAdmin.v1)";
  return '';
}

/**
 * The failure of `what` (`creating instance template hello-v001-12345678`): the reason from the
 * status, or `override` when the caller knows better (an image named in a provider field that
 * does not exist is `invalid`, not `not-found`). Throws what is not a client error: that is a bug.
 */
export function gceFailure(error: unknown, what: string, override?: (status: number, reason: PortFailureReason) => PortFailureReason | undefined): PortFailure {
  const facts = gceErrorFacts(error);
  if (!facts) throw error;
  const base = reasonOfStatus(facts.status, facts.reason);
  const reason = override?.(facts.status, base) ?? base;
  const label = facts.network !== undefined ? facts.network : `${facts.status}${facts.reason !== '' ? ` ${facts.reason}` : ''}`;
  const text = facts.message !== '' && facts.message !== label ? `${label}: ${facts.message}` : label;
  return { ok: false, reason, message: oneLine(`${what} failed: GCE ${text}${advice(reason, facts)}`), cause: error };
}

/** A Compute operation as the API answers it (`compute#operation`), the fields read here. */
export interface OperationView {
  readonly name?: string | null;
  readonly status?: string | null;
  readonly operationType?: string | null;
  readonly targetLink?: string | null;
  readonly httpErrorStatusCode?: number | null;
  readonly httpErrorMessage?: string | null;
  readonly error?: { readonly errors?: readonly { readonly code?: string | null; readonly message?: string | null }[] | null } | null;
}

/** The failure a finished operation carries in `error`, or undefined when it succeeded. */
export function operationFailure(operation: OperationView, what: string, override?: (status: number, reason: PortFailureReason) => PortFailureReason | undefined): PortFailure | undefined {
  const errors = operation.error?.errors ?? [];
  if (errors.length === 0) return undefined;
  const first = errors[0]!;
  const code = first.code ?? '';
  const status = operation.httpErrorStatusCode ?? (code === 'RESOURCE_NOT_FOUND' ? 404 : code === 'RESOURCE_ALREADY_EXISTS' ? 409 : 400);
  const reasonCode = code === 'RESOURCE_ALREADY_EXISTS' ? 'alreadyExists' : code;
  const base = reasonOfStatus(status, reasonCode);
  const reason = override?.(status, base) ?? base;
  const messages = errors.map((entry) => entry.message ?? entry.code ?? '').filter((text) => text !== '');
  const facts: GceErrorFacts = { status, reason: reasonCode, message: messages.join('; ') };
  return { ok: false, reason, message: oneLine(`${what} failed: GCE operation ${operation.name ?? ''} ended with ${code}${messages.length > 0 ? `: ${messages.join('; ')}` : ''}${advice(reason, facts)}`), cause: operation };
}

/** A GCE failure in flight through the adapter's own helpers; the port methods answer it as a value. */
export class GcePortFailure extends Error {
  override readonly name = 'GcePortFailure';
  constructor(readonly failure: PortFailure) {
    super(failure.message);
  }
}

/** Throws the failure so a nested helper can stop its operation; see `GcePortFailure`. */
export function fail(reason: PortFailureReason, message: string, cause?: unknown): never {
  throw new GcePortFailure({ ok: false, reason, message: oneLine(message), ...(cause !== undefined ? { cause } : {}) });
}
