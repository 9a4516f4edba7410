/**
 * What an execution records of who started it: `trigger.authentication` (Orca keeps an
 * execution's `authentication` the same way). The execution service writes it at every start,
 * over whatever the request carried, so it cannot be forged; child pipelines run as it, and the
 * stage runner checks dangerous powers against it when each stage starts.
 */
import type { Caller, ExecutionAuthentication } from '../execution/execution-service-api.ts';
import type { JsonObject } from '../ports/execution-store.ts';

/** The record of a caller, as kept in `trigger.authentication`. */
export function authenticationFor(caller: Caller): ExecutionAuthentication {
  return { user: caller.user, roles: [...caller.roles], admin: caller.admin === true };
}

/** The caller an execution's trigger records, or undefined when it records none. */
export function authenticationOf(trigger: JsonObject | undefined): Caller | undefined {
  const value = trigger?.['authentication'];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { user, roles, admin } = value as Record<string, unknown>;
  if (typeof user !== 'string' || !Array.isArray(roles)) return undefined;
  return { user, roles: roles.filter((role): role is string => typeof role === 'string'), ...(admin === true ? { admin: true } : {}) };
}
