/**
 * Who may do what, Fiat's model (DESIGN.md §8), as pure decisions. A caller has roles (and may be
 * an admin); an application's `permissions` give roles READ, WRITE and EXECUTE:
 *
 * - An application with no role listed under any permission is open: every authenticated caller
 *   holds every permission (Spinnaker's default for applications without permissions).
 * - Once any permission lists a role, the application is restricted: a permission is held only
 *   through a role listed under it. A permission left out is held by no role, except EXECUTE,
 *   which falls back to READ's roles when absent (Fiat's `executeFallback`, READ by default).
 * - Admins hold every permission on every application.
 * - Roles compare case-insensitively (Fiat lowercases them).
 */
import type { Caller } from '../execution/execution-service-api.ts';
import type { Permission } from '../ports/execution-store.ts';

/** An application's `permissions` document (Front50's shape). */
export type ApplicationPermissions = Readonly<Partial<Record<Permission, readonly string[]>>>;

/** The three permissions, in the order messages list them. */
export const PERMISSIONS: readonly Permission[] = ['READ', 'WRITE', 'EXECUTE'];

/** The outcome of an access decision; a refusal carries the one line the API answers 403 with. */
export type AccessDecision = { readonly ok: true } | { readonly ok: false; readonly reason: 'forbidden'; readonly message: string };

const ALLOWED: AccessDecision = { ok: true };

function rolesOf(list: readonly string[] | undefined): readonly string[] {
  return (list ?? []).filter((role) => typeof role === 'string' && role.trim() !== '');
}

/** True when any permission lists a role: only those roles (and admins) get in. */
export function isRestricted(permissions: ApplicationPermissions | undefined): boolean {
  if (permissions === undefined) return false;
  return PERMISSIONS.some((permission) => rolesOf(permissions[permission]).length > 0);
}

/** The roles that hold `permission`, or undefined when the application is open to every caller. */
export function rolesWith(permissions: ApplicationPermissions | undefined, permission: Permission): readonly string[] | undefined {
  if (!isRestricted(permissions)) return undefined;
  const listed = permissions![permission];
  if (permission === 'EXECUTE' && listed === undefined) return rolesOf(permissions!.READ);
  return rolesOf(listed);
}

/** True when the caller holds `permission` on an application with these permissions. */
export function holds(caller: Caller, permission: Permission, permissions: ApplicationPermissions | undefined): boolean {
  if (caller.admin === true) return true;
  const roles = rolesWith(permissions, permission);
  if (roles === undefined) return true;
  const mine = new Set(caller.roles.map((role) => role.toLowerCase()));
  return roles.some((role) => mine.has(role.toLowerCase()));
}

/**
 * Decides one access. The refusal names the permission, the application, the roles that hold
 * it and the caller's own roles, so the person refused knows whom to ask.
 */
export function authorize(caller: Caller, permission: Permission, application: { readonly name: string; readonly permissions?: ApplicationPermissions }): AccessDecision {
  if (holds(caller, permission, application.permissions)) return ALLOWED;
  const roles = rolesWith(application.permissions, permission) ?? [];
  const granted = roles.length === 0 ? `no role holds ${permission} on it (only admins do)` : `${permission} is held by the roles ${roles.join(', ')}`;
  const mine = caller.roles.length === 0 ? 'no roles' : `the roles ${caller.roles.join(', ')}`;
  return {
    ok: false,
    reason: 'forbidden',
    message: `user '${caller.user}' lacks ${permission} on application '${application.name}': ${granted}; '${caller.user}' has ${mine}`,
  };
}
