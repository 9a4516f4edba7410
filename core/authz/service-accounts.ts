/**
 * Triggers run as a service account (Spinnaker's `runAsUser`): the user a trigger names, with
 * that user's roles from the user directory. A trigger without `runAsUser` runs as
 * `[anonymous]`, who has no roles: it starts pipelines of open applications only (Fiat's
 * behaviour for triggers without a service account).
 *
 * Naming a service account is itself a power: whoever saves the pipeline lends the trigger the
 * account's roles. So a save may name the saver themself, or a user whose roles the saver
 * holds all of (and who is not an admin); admins may name any user.
 */
import type { Caller } from '../execution/execution-service-api.ts';
import type { Pipeline } from '../pipeline/model.ts';
import type { DirectoryUser, UserDirectory } from '../ports/user-directory.ts';

/** Who a trigger without `runAsUser` runs as. */
export const ANONYMOUS_TRIGGER_USER = '[anonymous]';

/** The `runAsUser` of a trigger definition, when it names one. */
export function runAsUserOf(raw: Readonly<Record<string, unknown>>): string | undefined {
  const value = raw['runAsUser'];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The caller a trigger runs as, or why it cannot run. */
export async function triggerCaller(
  runAsUser: string | undefined,
  users: UserDirectory | undefined,
  source: string | undefined,
): Promise<{ readonly ok: true; readonly caller: Caller } | { readonly ok: false; readonly message: string }> {
  const where = source === undefined ? {} : { source };
  if (runAsUser === undefined) return { ok: true, caller: { user: ANONYMOUS_TRIGGER_USER, roles: [], ...where } };
  const user = users ? await users.find(runAsUser) : undefined;
  if (user === undefined) {
    return { ok: false, message: `the trigger runs as '${runAsUser}' (runAsUser), who is not a user here; create the user or change runAsUser` };
  }
  return { ok: true, caller: { user: user.name, roles: user.roles, ...(user.admin ? { admin: true } : {}), ...where } };
}

function lacking(caller: Caller, account: DirectoryUser): readonly string[] {
  const mine = new Set(caller.roles.map((role) => role.toLowerCase()));
  return account.roles.filter((role) => !mine.has(role.toLowerCase()));
}

/**
 * Why the caller may not save these triggers' service accounts (one line naming the field), or
 * undefined when they may.
 */
export async function runAsUserProblem(pipeline: Pipeline, caller: Caller, users: UserDirectory | undefined): Promise<string | undefined> {
  for (const trigger of pipeline.triggers) {
    const name = runAsUserOf(trigger.raw);
    if (name === undefined || name === caller.user) continue;
    const pointer = `/triggers/${trigger.index}/runAsUser`;
    const account = users ? await users.find(name) : undefined;
    if (account === undefined) return `${pointer}: '${name}' is not a user here; name an existing user (gennaker user list) or leave runAsUser out`;
    if (caller.admin === true) continue;
    if (account.admin) return `${pointer}: '${name}' is an admin; only admins may let a trigger run as an admin`;
    const missing = lacking(caller, account);
    if (missing.length > 0) {
      return `${pointer}: user '${caller.user}' may not let a trigger run as '${name}': it has the roles ${missing.join(', ')}, which '${caller.user}' lacks`;
    }
  }
  return undefined;
}
