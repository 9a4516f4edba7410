/**
 * `gennaker secret set|list|remove`: the named secrets `${#secret('name')}` reads
 * (local/secrets-file.ts), kept in the state directory and encrypted with its key. Like the user
 * commands they work on the directory itself, whether or not `gennaker up` runs, and each change
 * is recorded in the audit log (the name and the applications, never the value).
 */
import type { AuditLog } from '../../core/ports/audit-log.ts';
import type { IoHost } from '../../core/io-host.ts';
import type { LocalSecrets } from '../../local/secrets-file.ts';
import { secretNameProblem } from '../../local/secrets-file.ts';
import { EXIT, UsageError } from '../usage.ts';

/** What the secret commands work on. */
export interface SecretCommandDeps {
  /** The state directory (`--data`, default `.gennaker`). */
  readonly dir: string;
  readonly secrets: LocalSecrets;
  readonly io: IoHost;
  readonly json: boolean;
  readonly now: () => number;
  /** Who runs the command (the operating system's user), for the audit log. */
  readonly operator: string;
  readonly audit: AuditLog;
  /** The value to set: standard input, read whole. */
  readonly readValue: () => Promise<string>;
}

const APPLICATION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

async function record(deps: SecretCommandDeps, action: string, name: string, result: string, detail?: string): Promise<void> {
  await deps.audit.append({ time: deps.now(), user: deps.operator, admin: true, roles: [], source: 'cli', action, target: name, result, ...(detail !== undefined ? { detail } : {}) });
}

/** The applications of `--app a,b`, or why they cannot be used. */
function parseApplications(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  const applications = [...new Set(text.split(',').map((app) => app.trim()).filter((app) => app !== ''))];
  const bad = applications.find((app) => !APPLICATION.test(app));
  if (bad !== undefined) throw new UsageError(`--app has '${bad}'; give application names separated by commas, e.g. --app payments,checkout`);
  return applications;
}

/** `gennaker secret set NAME [--app a,b]`: the value from standard input (one trailing newline dropped). */
export async function secretSet(deps: SecretCommandDeps, name: string, appText: string | undefined): Promise<number> {
  const problem = secretNameProblem(name);
  if (problem !== undefined) throw new UsageError(problem);
  const applications = parseApplications(appText);
  const value = (await deps.readValue()).replace(/\r?\n$/, '');
  if (value === '') {
    deps.io.emit({ kind: 'error', message: `the value of secret '${name}' is empty; pipe it on standard input, e.g. printf %s "$VALUE" | gennaker secret set ${name}` });
    return EXIT.failed;
  }
  await deps.secrets.set(name, value, applications);
  const scope = applications.length === 0 ? 'every application' : `the applications ${applications.join(', ')}`;
  await record(deps, 'secret.set', name, 'ok', `for ${scope}`);
  if (deps.json) deps.io.emit({ kind: 'data', text: JSON.stringify({ name, applications }, null, 2) });
  else deps.io.emit({ kind: 'info', message: `set secret '${name}' for ${scope}; pipelines read it with \${#secret('${name}')}` });
  return EXIT.ok;
}

/** `gennaker secret list`: names, applications and when each was set; never a value. */
export async function secretList(deps: SecretCommandDeps): Promise<number> {
  const secrets = await deps.secrets.list();
  if (deps.json) {
    deps.io.emit({ kind: 'data', text: JSON.stringify(secrets, null, 2) });
    return EXIT.ok;
  }
  if (secrets.length === 0) deps.io.emit({ kind: 'info', message: `${deps.dir} has no secrets; add one with: printf %s "$VALUE" | gennaker secret set NAME [--app APP]` });
  const width = Math.max(4, ...secrets.map((secret) => secret.name.length));
  for (const secret of secrets) {
    deps.io.emit({ kind: 'data', text: `${secret.name.padEnd(width)}  ${secret.applications.length === 0 ? '(every application)' : secret.applications.join(',')}  set ${secret.updated}` });
  }
  return EXIT.ok;
}

/** `gennaker secret remove NAME`: stages that read it fail their expression from now on. */
export async function secretRemove(deps: SecretCommandDeps, name: string): Promise<number> {
  const removed = await deps.secrets.remove(name);
  await record(deps, 'secret.remove', name, removed ? 'ok' : 'not-found');
  if (!removed) {
    deps.io.emit({ kind: 'error', message: `there is no secret '${name}' in ${deps.dir}; gennaker secret list shows them` });
    return EXIT.failed;
  }
  deps.io.emit({ kind: 'info', message: `removed secret '${name}'` });
  return EXIT.ok;
}
