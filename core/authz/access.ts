/**
 * Access decisions against the store: the application's current `permissions` are read at the
 * moment of the call, so a change of permissions holds for the very next request. Admins are
 * decided without a read.
 */
import type { Caller } from '../execution/execution-service-api.ts';
import type { Application, ApplicationStore, Permission } from '../ports/execution-store.ts';
import { authorize, holds } from './permissions.ts';

/** A refused access: the one line the API answers 403 with. */
export interface Refusal {
  readonly ok: false;
  readonly reason: 'forbidden';
  readonly message: string;
}

/** Access decisions over the store's applications. */
export interface AccessControl {
  /** Undefined when the caller holds `permission` on the application (absent applications are open); else why not. */
  check(caller: Caller, permission: Permission, application: string): Promise<Refusal | undefined>;
  /** The applications the caller may READ. */
  readable(caller: Caller, applications: readonly Application[]): Application[];
  /** Undefined for an admin; else why the caller may not do `what`. */
  requireAdmin(caller: Caller, what: string): Refusal | undefined;
}

/** Creates access control over the application records of the store. */
export function createAccessControl(deps: { readonly store: Pick<ApplicationStore, 'getApplication'> }): AccessControl {
  return {
    async check(caller, permission, application) {
      if (caller.admin === true) return undefined;
      const found = await deps.store.getApplication(application);
      const decision = authorize(caller, permission, { name: found?.name ?? application, permissions: found?.permissions ?? {} });
      return decision.ok ? undefined : decision;
    },
    readable(caller, applications) {
      return applications.filter((application) => holds(caller, 'READ', application.permissions));
    },
    requireAdmin(caller, what) {
      if (caller.admin === true) return undefined;
      return { ok: false, reason: 'forbidden', message: `only admins may ${what}; user '${caller.user}' is not one` };
    },
  };
}
