/**
 * `webhook` (Orca's WebhookStage): `createWebhook` calls the URL; with `waitForCompletion`,
 * `waitBeforeMonitor` waits, then `monitorWebhook` polls the status URL until the status read
 * with `statusJsonPath` is one of `successStatuses`, `canceledStatuses` or `terminalStatuses`.
 *
 * Status codes, as Spinnaker: 2xx/3xx succeed (redirects are not followed), 4xx fail,
 * 5xx/429 and network errors are retried as RUNNING polls with backoff (2, 4, 8... s) until the
 * step's poll budget runs out; `failFastStatusCodes` (default [504]) fail at once,
 * `retryStatusCodes` (default [429]) are retried too.
 *
 * Secrets: the stage runner seals the values of secret-looking headers, URL credentials and
 * `#secret` values wherever the stage writes them (core/execution/sealing.ts); this task
 * evaluates the headers again from the stage as written when it sends them, and response
 * headers with secret-looking names are stored as `******` (see `redactHeaders`).
 */
import { evaluateDeep } from '../expressions/index.ts';
import type { HttpResult } from '../ports/http-client.ts';
import type { WebhookStage } from '../pipeline/stage-types/index.ts';
import { readJsonPath } from './json-path.ts';
import { backoffSeconds, retrySeconds } from './polling.ts';
import { failed, numberFrom, objectAt, running, succeeded, type TaskDeps, type TaskInput, type TaskResult } from './task-result.ts';
import { waitFor } from './wait.ts';

/** Spinnaker's default fail-fast status codes. */
export const DEFAULT_FAIL_FAST_STATUS_CODES: readonly number[] = [504];
/** Spinnaker's default retried status codes besides 5xx. */
export const DEFAULT_RETRY_STATUS_CODES: readonly number[] = [429];
/** Characters of a response body kept in the context. */
export const MAX_STORED_BODY_CHARS = 64 * 1024;

/** What replaces a secret header value wherever it would be stored. */
export const REDACTED = '******';

/** Header names whose values are secrets: Authorization, Cookie, *token*, *secret*, *key*, *password*... */
export function isSecretHeaderName(name: string): boolean {
  return /authorization|cookie|token|secret|key|password|passwd|credential|signature|session/i.test(name);
}

/** A copy with the values of secret-looking headers replaced by REDACTED. */
export function redactHeaders(headers: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    Object.defineProperty(copy, name, { value: isSecretHeaderName(name) ? REDACTED : value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Comma-separated statuses as Deck writes them, upper-cased and trimmed. */
export function statusList(text: unknown): string[] {
  return typeof text === 'string' ? text.split(',').map((item) => item.trim().toUpperCase()).filter((item) => item !== '') : [];
}

type Classified = { readonly kind: 'success' } | { readonly kind: 'retry'; readonly reason: string } | { readonly kind: 'fail'; readonly reason: string };

/** Spinnaker's reading of an HTTP outcome. */
export function classifyHttpResult(result: HttpResult, codes: { readonly failFast: readonly number[]; readonly retry: readonly number[] }): Classified {
  if (!result.ok) {
    if (result.failure.kind === 'refused-by-allowlist' || result.failure.kind === 'too-large') return { kind: 'fail', reason: result.failure.message };
    return { kind: 'retry', reason: result.failure.message };
  }
  const status = result.response.status;
  if (codes.failFast.includes(status)) return { kind: 'fail', reason: `answered ${status}, one of the failFastStatusCodes (${codes.failFast.join(', ')})` };
  if (status >= 500 || codes.retry.includes(status)) return { kind: 'retry', reason: `answered ${status}` };
  if (status >= 400) return { kind: 'fail', reason: `answered ${status}${bodyHint(result.response.body)}` };
  return { kind: 'success' };
}

/** The `createWebhook` step. */
export async function runCreateWebhook(input: TaskInput<WebhookStage>, deps: TaskDeps): Promise<TaskResult> {
  const context = input.record.context;
  const url = context.url;
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url.trim())) {
    return failed(`stage '${input.stage.name}': url is ${JSON.stringify(url)}, expected an http(s) URL`);
  }
  const method = typeof context.method === 'string' ? context.method.toUpperCase() : input.stage.config.method;
  const headers = requestHeaders(input);
  const payload = context.payload;
  const hasBody = payload !== undefined && payload !== null && method !== 'GET' && method !== 'HEAD';
  if (hasBody && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  const result = await deps.http.send({ method, url: url.trim(), headers, ...(hasBody ? { body: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}) });
  const outcome = classifyHttpResult(result, statusCodes(input.stage));
  const what = `webhook ${method} ${url}`;
  if (outcome.kind === 'retry') {
    return running(retrySeconds(input.poll), { context: { webhook: { ...objectAt(context, 'webhook'), lastAttempt: { poll: input.poll, error: `${what} ${outcome.reason}` } } } });
  }
  const response = result.ok ? storedResponse(result.response) : undefined;
  if (outcome.kind === 'fail') return failed(`${what} ${outcome.reason}`, response ? { context: { webhook: response } } : {});
  if (!result.ok || !response) return failed(`${what}: no response`);
  if (!input.stage.config.waitForCompletion) return succeeded({ webhook: response }, { context: { webhook: response } });

  const endpoint = statusEndpoint(input.stage, url.trim(), result.response.headers, response.body);
  if (!endpoint.ok) return failed(`${what}: ${endpoint.message}`, { context: { webhook: response } });
  return succeeded(undefined, { context: { webhook: { ...response, statusEndpoint: endpoint.url } } });
}

/** The `waitBeforeMonitor` step: waits the configured seconds (not skippable). */
export function runWaitBeforeMonitor(input: TaskInput<WebhookStage>, pollsLeft: number): TaskResult {
  const seconds = numberFrom(input.record.context.waitBeforeMonitor) ?? 0;
  return waitFor(input, Math.max(0, seconds), pollsLeft, { skippable: false, field: 'waitBeforeMonitor' });
}

/** The `monitorWebhook` step: polls the status URL with proportional backoff. */
export async function runMonitorWebhook(input: TaskInput<WebhookStage>, deps: TaskDeps): Promise<TaskResult> {
  const context = input.record.context;
  const webhook = objectAt(context, 'webhook');
  // With getMethod the status URL is the stage's own, evaluated for this step: a `#secret` in it
  // is read now (the recorded statusEndpoint holds it redacted).
  const endpoint = input.stage.config.statusUrlResolution === 'getMethod' && typeof context.url === 'string' && /^https?:\/\//i.test(context.url.trim()) ? context.url.trim() : webhook.statusEndpoint;
  if (typeof endpoint !== 'string') return failed(`stage '${input.stage.name}' has no status URL to monitor; createWebhook did not record one`);
  const result = await deps.http.send({ method: 'GET', url: endpoint, headers: requestHeaders(input) });
  const outcome = classifyHttpResult(result, statusCodes(input.stage));
  const what = `webhook status GET ${endpoint}`;
  const pollAgain = backoffSeconds(input.now - (input.record.startTime ?? input.now));
  if (outcome.kind === 'retry') return running(Math.max(pollAgain, retrySeconds(input.poll)), { context: { webhook: { ...webhook, lastAttempt: { poll: input.poll, error: `${what} ${outcome.reason}` } } } });
  if (outcome.kind === 'fail' || !result.ok) return failed(`${what} ${outcome.kind === 'fail' ? outcome.reason : 'failed'}`);

  const response = storedResponse(result.response);
  const statusPath = input.stage.config.statusJsonPath ?? '$.status';
  const read = readJsonPath(response.body, statusPath);
  if (!read.ok) return failed(`stage '${input.stage.name}': ${read.message}`);
  const progress = input.stage.config.progressJsonPath ? readJsonPath(response.body, input.stage.config.progressJsonPath) : undefined;
  const status = read.found && read.value !== null && typeof read.value !== 'object' ? String(read.value) : undefined;
  const monitor = {
    statusCode: response.statusCode,
    body: response.body,
    ...(status !== undefined ? { status } : {}),
    ...(progress?.ok && progress.found ? { progressMessage: progress.value } : {}),
  };
  const updates = { context: { webhook: { ...webhook, monitor } } };
  if (status === undefined) {
    return failed(`${what}: statusJsonPath '${statusPath}' found ${read.found ? JSON.stringify(read.value) : 'nothing'} in the response; expected a status value`, updates);
  }
  const normalized = status.trim().toUpperCase();
  if (statusList(input.stage.config.successStatuses).includes(normalized)) return succeeded({ webhook: { ...webhook, monitor } }, updates);
  if (statusList(input.stage.config.canceledStatuses).includes(normalized)) {
    return failed(`${what} reported status '${status}', one of the canceledStatuses`, { ...updates, status: 'CANCELED' });
  }
  if (statusList(input.stage.config.terminalStatuses).includes(normalized)) return failed(`${what} reported status '${status}', one of the terminalStatuses`, updates);
  return running(pollAgain, updates);
}

function statusCodes(stage: WebhookStage): { failFast: readonly number[]; retry: readonly number[] } {
  return {
    failFast: stage.config.failFastStatusCodes ?? DEFAULT_FAIL_FAST_STATUS_CODES,
    retry: stage.config.retryStatusCodes ?? DEFAULT_RETRY_STATUS_CODES,
  };
}

/** The request headers, evaluated from the stage as written (the stored context has secrets redacted). */
function requestHeaders(input: TaskInput<WebhookStage>): Record<string, string> {
  const raw = input.stage.raw.customHeaders;
  const evaluated = raw === undefined || raw === null ? {} : evaluateDeep(raw, input.expressions).value;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(objectOrEmpty(evaluated))) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') headers[name] = String(value);
    else if (Array.isArray(value)) headers[name] = value.map(String).join(', ');
  }
  return headers;
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The response as stored: JSON bodies parsed, text cut to MAX_STORED_BODY_CHARS, secret headers redacted. */
function storedResponse(response: { status: number; headers: Readonly<Record<string, string>>; body: string }): {
  statusCode: number;
  body: unknown;
  headers: Record<string, unknown>;
} {
  let body: unknown = response.body.length > MAX_STORED_BODY_CHARS ? `${response.body.slice(0, MAX_STORED_BODY_CHARS)}…` : response.body;
  if (response.body.length <= MAX_STORED_BODY_CHARS && response.body.trim() !== '') {
    try {
      body = JSON.parse(response.body) as unknown;
    } catch {
      // Not JSON: keep the text.
    }
  }
  return { statusCode: response.status, body, headers: redactHeaders(response.headers) };
}

function statusEndpoint(
  stage: WebhookStage,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: unknown,
): { ok: true; url: string } | { ok: false; message: string } {
  switch (stage.config.statusUrlResolution) {
    case 'getMethod':
      return { ok: true, url };
    case 'locationHeader': {
      const location = Object.entries(headers).find(([name]) => name.toLowerCase() === 'location')?.[1];
      if (!location) return { ok: false, message: "statusUrlResolution is locationHeader but the response has no Location header" };
      try {
        return { ok: true, url: new URL(location, url).toString() };
      } catch {
        return { ok: false, message: `the Location header '${location}' is not a URL` };
      }
    }
    case 'webhookResponse': {
      const path = stage.config.statusUrlJsonPath ?? '';
      const read = readJsonPath(body, path);
      if (!read.ok) return { ok: false, message: read.message };
      if (!read.found || typeof read.value !== 'string') return { ok: false, message: `statusUrlJsonPath '${path}' found no URL in the response` };
      return { ok: true, url: read.value };
    }
    default: {
      const unknown: never = stage.config.statusUrlResolution;
      return { ok: false, message: `unknown statusUrlResolution ${String(unknown)}` };
    }
  }
}

function bodyHint(body: string): string {
  const text = body.trim().replace(/\s+/g, ' ');
  return text === '' ? '' : `: ${text.length > 200 ? `${text.slice(0, 199)}…` : text}`;
}
