/**
 * Wire helpers for the JSON protocols the simulated services speak: AWS JSON 1.0/1.1 (ECS,
 * Application Auto Scaling, CloudWatch) and REST-JSON (Lambda). A handler throws `AwsError`
 * for an AWS error; the service's encoder turns it into that protocol's error answer.
 */
import { createHash } from 'node:crypto';
import type { SimContext, SimRequest, SimResponse } from './service.ts';

/** An AWS error a handler raises: the code the SDK will name the exception after, the HTTP status, the message. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members of the error body (e.g. Lambda's `Type`). */
    readonly extra: Readonly<Record<string, unknown>> = {},
    /** Extra response headers (e.g. `Retry-After`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** Parses a JSON request body; an empty body is `{}`, a malformed one is the protocol's SerializationException. */
export function parseJsonBody(req: SimRequest): Record<string, unknown> {
  const text = req.body.toString('utf8').trim();
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
  }
}

/** The operation named by `X-Amz-Target: <prefix>.<Operation>`, or undefined when the prefix is not `prefix`. */
export function jsonTarget(req: SimRequest, prefix: string): string | undefined {
  const target = req.headers['x-amz-target'] ?? '';
  const dot = target.lastIndexOf('.');
  if (dot < 0 || target.slice(0, dot) !== prefix) return undefined;
  return target.slice(dot + 1);
}

/** How an AWS JSON service writes its answers. */
export interface JsonProtocol {
  /** "1.0" or "1.1". */
  readonly version: '1.0' | '1.1';
  /** Smithy namespace of the error shapes, e.g. "com.amazonaws.ecs". */
  readonly namespace: string;
  /**
   * For awsQuery-compatible services (CloudWatch): maps an error code to the awsQuery code and
   * fault the SDK reads from `x-amzn-query-error` (e.g. InvalidParameterValueException →
   * "InvalidParameterValue;Sender").
   */
  readonly queryError?: (code: string, status: number) => string | undefined;
}

/** A 200 answer with a JSON body. */
export function jsonReply(protocol: JsonProtocol, requestId: string, body: unknown): SimResponse {
  return {
    status: 200,
    headers: { 'content-type': `application/x-amz-json-${protocol.version}`, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

/** The protocol's error answer: `{"__type":"<namespace>#<Code>","message":"…"}`. */
export function jsonError(protocol: JsonProtocol, requestId: string, error: AwsError): SimResponse {
  const headers: Record<string, string> = {
    'content-type': `application/x-amz-json-${protocol.version}`,
    'x-amzn-requestid': requestId,
    ...error.headers,
  };
  const queryError = protocol.queryError?.(error.code, error.status);
  if (queryError !== undefined) headers['x-amzn-query-error'] = queryError;
  return {
    status: error.status,
    headers,
    body: JSON.stringify({ __type: `${protocol.namespace}#${error.code}`, message: error.message, ...error.extra }),
  };
}

/** The unknown-operation answer every AWS JSON service gives. */
export function unknownOperation(protocol: JsonProtocol, requestId: string): SimResponse {
  return {
    status: 400,
    headers: { 'content-type': `application/x-amz-json-${protocol.version}`, 'x-amzn-requestid': requestId },
    body: JSON.stringify({ __type: 'com.amazon.coral.service#UnknownOperationException' }),
  };
}

/** Runs a JSON operation handler and encodes its result or its AwsError. */
export async function runJsonOperation(protocol: JsonProtocol, requestId: string, run: () => unknown): Promise<SimResponse> {
  try {
    return jsonReply(protocol, requestId, await run());
  } catch (error) {
    if (error instanceof AwsError) return jsonError(protocol, requestId, error);
    throw error;
  }
}

/**
 * The `handle` of an AWS JSON service: the operation named by `X-Amz-Target: <prefix>.<Operation>`
 * runs its handler on the parsed body; any other target gets the protocol's unknown-operation answer.
 */
export function jsonOperations<Operation extends string>(
  protocol: JsonProtocol,
  prefix: string,
  handlers: Readonly<Record<Operation, (body: Record<string, unknown>, req: SimRequest, ctx: SimContext) => unknown>>,
): (req: SimRequest, ctx: SimContext) => Promise<SimResponse> {
  return async (req, ctx) => {
    const operation = jsonTarget(req, prefix);
    if (operation === undefined || !Object.hasOwn(handlers, operation)) return unknownOperation(protocol, ctx.requestId);
    return runJsonOperation(protocol, ctx.requestId, () => handlers[operation as Operation](parseJsonBody(req), req, ctx));
  };
}

/** Milliseconds → AWS JSON timestamp (epoch seconds, fractional). */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** Reads an AWS JSON timestamp (epoch seconds, or an ISO string some callers send) as milliseconds. */
export function readTimestamp(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw new AwsError('ValidationException', `${field} must be a timestamp (epoch seconds), got ${JSON.stringify(value)}`);
}

/** A deterministic hex id: the same (kind, n) always names the same thing, without consuming the world's RNG. */
export function hexId(kind: string, n: number, length: number): string {
  return createHash('sha256').update(`${kind}:${n}`).digest('hex').slice(0, length);
}

/** A deterministic UUID-shaped id (Lambda RevisionId, ECS hook ids). */
export function uuidId(kind: string, n: number): string {
  const hex = hexId(kind, n, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Reads an optional string member, refusing another type with AWS's validation wording. */
export function optString(body: Record<string, unknown>, key: string, code = 'InvalidParameterException'): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsError(code, `${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** Reads a required string member. */
export function reqString(body: Record<string, unknown>, key: string, code = 'InvalidParameterException'): string {
  const value = optString(body, key, code);
  if (value === undefined || value === '') throw new AwsError(code, `${key} can not be blank.`);
  return value;
}

/** Reads an optional integer member. */
export function optInt(body: Record<string, unknown>, key: string, code = 'InvalidParameterException'): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsError(code, `${key} must be an integer, got ${JSON.stringify(value)}`);
  return value;
}

/** Reads an optional array of strings. */
export function optStrings(body: Record<string, unknown>, key: string, code = 'InvalidParameterException'): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new AwsError(code, `${key} must be a list of strings, got ${JSON.stringify(value)}`);
  return value as string[];
}

/** Deep copy of plain JSON data, so stored state never aliases a caller's object. */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
