/**
 * Error and success shapes of AWS's JSON protocols: `awsJson1_0`/`awsJson1_1` (operation in
 * `x-amz-target: Prefix.Operation`, body JSON) and `restJson1` (operation from method and path).
 * The SDK reads an error's code from the `x-amzn-errortype` header first, then from the body's
 * `__type` (awsJson) or `code`/`Code`; anything after `:` or before `#` is dropped.
 */
import type { SimResponse } from './service.ts';

/** An awsJson success with the protocol's content type. */
export function awsJsonResponse(jsonVersion: '1.0' | '1.1', body: unknown): SimResponse {
  return { status: 200, headers: { 'content-type': `application/x-amz-json-${jsonVersion}` }, body: JSON.stringify(body ?? {}) };
}

/** An awsJson error: `{"__type": code, "message": …}` plus the `x-amzn-errortype` header. */
export function awsJsonError(jsonVersion: '1.0' | '1.1', status: number, code: string, message: string): SimResponse {
  return {
    status,
    headers: { 'content-type': `application/x-amz-json-${jsonVersion}`, 'x-amzn-errortype': code },
    body: JSON.stringify({ __type: code, message }),
  };
}

/** A restJson success. */
export function restJsonResponse(status: number, body: unknown): SimResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: body === undefined ? '' : JSON.stringify(body) };
}

/** A restJson error: the code in `x-amzn-errortype`, the body `{"Type": "User"|"Service", "message": …}`. */
export function restJsonError(status: number, code: string, message: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
    body: JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', message }),
  };
}

/** The operation named by `x-amz-target` (`AmazonEC2ContainerServiceV20141113.CreateService` → `CreateService`). */
export function targetOperation(target: string | undefined): string | undefined {
  if (target === undefined || target === '') return undefined;
  const dot = target.lastIndexOf('.');
  return dot >= 0 ? target.slice(dot + 1) : target;
}
