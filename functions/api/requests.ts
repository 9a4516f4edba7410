/**
 * Parses request bodies and query parameters at the edge, once. Each parser returns a value or
 * a one-line message naming the field, the bad value and the fix (the API answers 400 with it).
 */
import { applicationNotificationsProblem } from '../../core/notifications/preferences.ts';
import type { JudgmentRequest, TriggerInput } from '../../core/execution/execution-service-api.ts';
import type { ExecutionStatus } from '../../core/execution/status.ts';
import { EXECUTION_STATUSES, isExecutionStatus } from '../../core/execution/status.ts';
import { showValue } from '../../core/issues.ts';
import type { ApplicationInput, JsonObject, Permission, TrafficGuard } from '../../core/ports/execution-store.ts';
import { jsonShapeProblem } from './input-limits.ts';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (message: string): Parsed<never> => ({ ok: false, message });

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A JSON object body, within the depth and key-length limits (input-limits.ts); an empty body is `{}` when `emptyOk`. */
export function parseJsonObject(text: string, what: string, options: { readonly emptyOk?: boolean } = {}): Parsed<Record<string, unknown>> {
  if (text.trim() === '') return options.emptyOk ? ok({}) : bad(`the request body is empty; send ${what} as a JSON object`);
  // Depth and key length before JSON.parse builds anything: every later walk stays bounded.
  const shape = jsonShapeProblem(text);
  if (shape !== undefined) return bad(shape);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/, ".*$/s, '').replace(/\s+/g, ' ');
    return bad(`the request body is not valid JSON (${reason}); send ${what} as a JSON object`);
  }
  if (!isObject(value)) return bad(`the request body is ${showValue(value)}; send ${what} as a JSON object`);
  return ok(value);
}

/** Keys that mark a body as Gate's trigger map rather than a flat parameter map. */
const TRIGGER_KEYS = new Set(['type', 'parameters', 'artifacts', 'user', 'dryRun', 'correlationId', 'notifications', 'trigger']);

/** `POST /pipelines/{app}/{pipeline}`: `{ parameters, trigger }`, Gate's trigger map, or a flat parameter map. */
export function parseStartBody(body: Record<string, unknown>, user: string): Parsed<TriggerInput> {
  const keys = Object.keys(body);
  let base: Record<string, unknown>;
  let parameters: unknown;
  if (body.trigger !== undefined) {
    if (!isObject(body.trigger)) return bad(`'trigger' is ${showValue(body.trigger)}; send an object such as {"type": "manual"} or leave it out`);
    base = { ...body.trigger };
    parameters = body.parameters ?? body.trigger.parameters;
    if (body.artifacts !== undefined) base.artifacts = body.artifacts;
  } else if (keys.length === 0 || keys.some((key) => TRIGGER_KEYS.has(key))) {
    base = { ...body };
    parameters = body.parameters;
  } else {
    base = {};
    parameters = body;
  }
  if (parameters !== undefined && !isObject(parameters)) {
    return bad(`'parameters' is ${showValue(parameters)}; send an object of parameter name → value, e.g. {"env": "prod"}`);
  }
  for (const [name, value] of Object.entries(parameters ?? {})) {
    if (value !== null && typeof value === 'object') {
      return bad(`parameter '${name}' is ${showValue(value)}; parameter values are strings, numbers or booleans`);
    }
  }
  if (base.artifacts !== undefined && !(Array.isArray(base.artifacts) && base.artifacts.every(isObject))) {
    return bad(`'artifacts' is ${showValue(base.artifacts)}; send a list of artifact objects, e.g. [{"type": "docker/image", "reference": "repo:tag"}]`);
  }
  const type = typeof base.type === 'string' && base.type !== '' ? base.type : 'manual';
  return ok({ ...base, type, user, parameters: (parameters ?? {}) as Record<string, unknown> });
}

/** `PATCH /pipelines/{id}/stages/{stageId}`. */
export function parseStagePatch(body: Record<string, unknown>): Parsed<{ readonly kind: 'judge'; readonly judgment: JudgmentRequest } | { readonly kind: 'skip-wait' }> {
  if (body.skipRemainingWait === true) return ok({ kind: 'skip-wait' });
  if (body.judgmentStatus === undefined) {
    return bad(`the body has neither 'judgmentStatus' nor 'skipRemainingWait'; send {"judgmentStatus": "continue"} (or "stop"), or {"skipRemainingWait": true}`);
  }
  if (body.judgmentStatus !== 'continue' && body.judgmentStatus !== 'stop') {
    return bad(`'judgmentStatus' is ${showValue(body.judgmentStatus)}; use "continue" or "stop"`);
  }
  if (body.judgmentInput !== undefined && body.judgmentInput !== null && typeof body.judgmentInput !== 'string') {
    return bad(`'judgmentInput' is ${showValue(body.judgmentInput)}; send one of the stage's judgment inputs as a string`);
  }
  const judgment: JudgmentRequest =
    typeof body.judgmentInput === 'string' ? { judgmentStatus: body.judgmentStatus, judgmentInput: body.judgmentInput } : { judgmentStatus: body.judgmentStatus };
  return ok({ kind: 'judge', judgment });
}

/** `?limit=`: a whole number in range, or the default. */
export function parseLimit(raw: string | undefined, fallback: number, max = 1000): Parsed<number> {
  if (raw === undefined || raw === '') return ok(fallback);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) return bad(`query parameter 'limit' is '${raw}'; use a whole number from 1 to ${max}`);
  return ok(value);
}

/** `waitSeconds` of a long-poll: 0 to 25 (API Gateway ends a request at 29 s), default 20. */
export function parseWaitSeconds(raw: string | undefined): Parsed<number> {
  if (raw === undefined || raw === '') return ok(20);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 25) return bad(`query parameter 'waitSeconds' is '${raw}'; use a whole number from 0 to 25`);
  return ok(value);
}

/** A boolean query parameter (`?expand=true`), as Spring reads one: true or false in any case. */
export function parseFlag(raw: string | undefined, name: string, fallback: boolean): Parsed<boolean> {
  if (raw === undefined || raw === '') return ok(fallback);
  const lower = raw.toLowerCase();
  if (lower === 'true' || lower === 'false') return ok(lower === 'true');
  return bad(`query parameter '${name}' is '${raw}'; use true or false`);
}

/** `?statuses=RUNNING,NOT_STARTED`. */
export function parseStatuses(raw: string | undefined): Parsed<readonly ExecutionStatus[] | undefined> {
  if (raw === undefined || raw.trim() === '') return ok(undefined);
  const statuses = raw.split(',').map((status) => status.trim().toUpperCase()).filter((status) => status !== '');
  const unknown = statuses.find((status) => !isExecutionStatus(status));
  if (unknown !== undefined) return bad(`query parameter 'statuses' has '${unknown}'; use a comma-separated list of ${EXECUTION_STATUSES.join(', ')}`);
  return ok(statuses as ExecutionStatus[]);
}

/** `?expectVersion=`. */
export function parseExpectVersion(raw: string | undefined): Parsed<number | undefined> {
  if (raw === undefined || raw === '') return ok(undefined);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) return bad(`query parameter 'expectVersion' is '${raw}'; use the version you last read (0 for a new pipeline)`);
  return ok(value);
}

const APPLICATION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function applicationNameProblem(name: unknown, field = "'name'"): string | undefined {
  if (typeof name !== 'string' || name === '') return `${field} is ${showValue(name)}; give the application a name, e.g. "hello"`;
  if (!APPLICATION_NAME.test(name)) return `${field} is ${showValue(name)}; use letters, digits, '.', '_' and '-' (at most 100 characters, starting with a letter or digit)`;
  return undefined;
}

const PERMISSIONS: readonly Permission[] = ['READ', 'WRITE', 'EXECUTE'];

/** An application document (`POST /applications`, `PUT /applications/{app}`). */
export function parseApplicationInput(body: Record<string, unknown>): Parsed<ApplicationInput> {
  const nameProblem = applicationNameProblem(body.name);
  if (nameProblem !== undefined) return bad(nameProblem);
  if (body.email !== undefined && typeof body.email !== 'string') return bad(`'email' is ${showValue(body.email)}; send the owner's email address as a string`);
  let accounts: string[] = [];
  if (typeof body.accounts === 'string') accounts = body.accounts.split(',').map((account) => account.trim()).filter((account) => account !== '');
  else if (Array.isArray(body.accounts) && body.accounts.every((account) => typeof account === 'string')) accounts = body.accounts as string[];
  else if (body.accounts !== undefined) return bad(`'accounts' is ${showValue(body.accounts)}; send a list of account names, e.g. ["prod", "test"]`);
  const guards: TrafficGuard[] = [];
  if (body.trafficGuards !== undefined) {
    if (!Array.isArray(body.trafficGuards)) return bad(`'trafficGuards' is ${showValue(body.trafficGuards)}; send a list of {"account", "location", "stack", "detail", "enabled"}`);
    for (const [index, guard] of body.trafficGuards.entries()) {
      if (!isObject(guard) || typeof guard.account !== 'string' || typeof guard.location !== 'string') {
        return bad(`'trafficGuards[${index}]' is ${showValue(guard)}; each guard needs "account" and "location" strings`);
      }
      guards.push({
        account: guard.account,
        location: guard.location,
        ...(typeof guard.stack === 'string' ? { stack: guard.stack } : {}),
        ...(typeof guard.detail === 'string' ? { detail: guard.detail } : {}),
        enabled: guard.enabled !== false,
      });
    }
  }
  const permissions: Partial<Record<Permission, readonly string[]>> = {};
  if (body.permissions !== undefined) {
    if (!isObject(body.permissions)) return bad(`'permissions' is ${showValue(body.permissions)}; send {"READ": [roles], "WRITE": [roles], "EXECUTE": [roles]}`);
    for (const [key, roles] of Object.entries(body.permissions)) {
      if (!(PERMISSIONS as readonly string[]).includes(key)) return bad(`'permissions' has '${key}'; use READ, WRITE or EXECUTE`);
      if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) return bad(`'permissions.${key}' is ${showValue(roles)}; send a list of role names`);
      permissions[key as Permission] = roles as string[];
    }
  }
  const notificationsProblem = applicationNotificationsProblem(body.notifications);
  if (notificationsProblem !== undefined) return bad(notificationsProblem);
  return ok({
    name: body.name as string,
    ...(typeof body.email === 'string' ? { email: body.email } : {}),
    accounts,
    trafficGuards: guards,
    permissions,
    raw: body as JsonObject,
  });
}
