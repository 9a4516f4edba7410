/**
 * `gennaker user add|list|remove` (local users with their own tokens, local/users.ts) and
 * `gennaker audit` (the audit log, through the API). The user commands work on the state
 * directory itself, whether or not `gennaker up` runs: whoever may write it is its owner.
 */
import type { AuditEntry, AuditLog } from '../../core/ports/audit-log.ts';
import type { IoHost } from '../../core/io-host.ts';
import { ADMIN_USER, TOKEN_USER_NOTE, addUser, parseRoles, readUsers, removeUser } from '../../local/users.ts';
import type { ApiCommandContext } from './api-commands.ts';
import { EXIT, UsageError } from '../usage.ts';

/** What the user commands work on. */
export interface UserCommandDeps {
  /** The state directory (`--data`, default `.gennaker`). */
  readonly dir: string;
  readonly io: IoHost;
  readonly json: boolean;
  readonly now: () => number;
  /** Who runs the command (the operating system's user), for the audit log. */
  readonly operator: string;
  /** The local audit log, where user changes are recorded. */
  readonly audit: AuditLog;
}

async function record(deps: UserCommandDeps, action: string, target: string, result: string, detail?: string): Promise<void> {
  await deps.audit.append({ time: deps.now(), user: deps.operator, admin: true, roles: [], source: 'cli', action, target, result, ...(detail !== undefined ? { detail } : {}) });
}

/** `gennaker user add NAME [--roles a,b] [--admin]`: prints the new token once. */
export async function userAdd(deps: UserCommandDeps, name: string, rolesText: string | undefined, admin: boolean): Promise<number> {
  const roles = parseRoles(rolesText);
  if (!roles.ok) throw new UsageError(roles.message);
  const added = await addUser(deps.dir, { name, roles: roles.roles, admin }, deps.now());
  if (!added.ok) {
    await record(deps, 'user.add', name, 'refused', added.message);
    deps.io.emit({ kind: 'error', message: added.message });
    return EXIT.failed;
  }
  await record(deps, 'user.add', name, 'ok', `roles ${roles.roles.join(',') || '(none)'}${admin ? ', admin' : ''}`);
  if (deps.json) {
    deps.io.emit({ kind: 'data', text: JSON.stringify({ name, roles: roles.roles, admin, token: added.token }, null, 2) });
  } else {
    deps.io.emit({ kind: 'data', text: added.token });
    deps.io.emit({
      kind: 'info',
      message: `added user '${name}'${admin ? ' (admin)' : ''} with ${roles.roles.length === 0 ? 'no roles' : `the roles ${roles.roles.join(', ')}`}; the token above is shown only now (only its hash is kept): give it to ${name}, who sends it as 'Authorization: Bearer <token>' (the CLI reads GENNAKER_TOKEN)`,
    });
  }
  return EXIT.ok;
}

/** `gennaker user list`: every user, the built-in admin first; never a token. */
export async function userList(deps: UserCommandDeps): Promise<number> {
  const users = await readUsers(deps.dir);
  const rows = [{ name: ADMIN_USER, roles: [] as readonly string[], admin: true, created: '', note: TOKEN_USER_NOTE }, ...users.map((user) => ({ name: user.name, roles: user.roles, admin: user.admin, created: user.created, note: '' }))];
  if (deps.json) {
    deps.io.emit({ kind: 'data', text: JSON.stringify(rows, null, 2) });
    return EXIT.ok;
  }
  const width = Math.max(4, ...rows.map((row) => row.name.length));
  for (const row of rows) {
    const roles = row.roles.length === 0 ? '-' : row.roles.join(',');
    deps.io.emit({ kind: 'data', text: `${row.name.padEnd(width)}  ${(row.admin ? 'admin' : 'user').padEnd(5)}  ${roles}${row.created ? `  added ${row.created}` : ''}${row.note ? `  ${row.note}` : ''}` });
  }
  return EXIT.ok;
}

/** `gennaker user remove NAME`: the user's token stops working at the next request. */
export async function userRemove(deps: UserCommandDeps, name: string): Promise<number> {
  if (name === ADMIN_USER) {
    deps.io.emit({ kind: 'error', message: `'${ADMIN_USER}' is the built-in admin of ${deps.dir}/token; to replace its token, stop gennaker up, delete that file and start up again` });
    return EXIT.failed;
  }
  const removed = await removeUser(deps.dir, name);
  await record(deps, 'user.remove', name, removed ? 'ok' : 'not-found');
  if (!removed) {
    deps.io.emit({ kind: 'error', message: `there is no user '${name}' in ${deps.dir}; gennaker user list shows them` });
    return EXIT.failed;
  }
  deps.io.emit({ kind: 'info', message: `removed user '${name}'; their token no longer works` });
  return EXIT.ok;
}

function auditLine(entry: AuditEntry & { readonly timeIso?: string }): string {
  const when = entry.timeIso ?? new Date(entry.time).toISOString();
  const who = `${entry.user}${entry.admin ? '(admin)' : ''}`;
  const parts = [when, who, entry.source ?? '-', entry.action, entry.application ?? '-', entry.target ?? '-', entry.result];
  return `${parts.join('  ')}${entry.detail ? `  ${entry.detail}` : ''}`;
}

/** `gennaker audit [--app A] [--limit N] [--json]`: the audit log, newest first (admins only). */
export async function auditList(context: ApiCommandContext, application: string | undefined, limit: string | undefined): Promise<number> {
  const query = new URLSearchParams();
  if (application !== undefined) query.set('application', application);
  if (limit !== undefined) query.set('limit', limit);
  const text = query.toString();
  const entries = await context.client.request<Array<AuditEntry & { timeIso?: string }>>('GET', `/audit${text === '' ? '' : `?${text}`}`);
  if (context.json) {
    context.io.emit({ kind: 'data', text: JSON.stringify(entries, null, 2) });
    return EXIT.ok;
  }
  if (entries.length === 0) context.io.emit({ kind: 'info', message: application === undefined ? 'the audit log is empty' : `the audit log has no entry for application '${application}'` });
  for (const entry of entries) context.io.emit({ kind: 'data', text: auditLine(entry) });
  return EXIT.ok;
}
