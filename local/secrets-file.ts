/**
 * Named secrets on this machine (`${#secret('name')}`, `gennaker secret set|list|remove`):
 * `<state dir>/secrets.json`, mode 0600. Each value is kept sealed with the state directory's key
 * (local/secret-key.ts), bound to the secret's name, so the file alone holds no secret in the
 * clear. A secret may name the applications whose pipelines may read it; without a list every
 * application's may. The file is read at every lookup, so a change counts from the next stage.
 */
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SecretCipher } from '../core/ports/secret-cipher.ts';
import type { SecretLookup, SecretStore } from '../core/ports/secret-store.ts';
import { SECRET_NAME } from '../core/expressions/secret-calls.ts';
import { ensurePrivateDir } from './private-files.ts';

/** The file of the state directory that keeps the named secrets. */
export const SECRETS_FILE = 'secrets.json';

/** One secret as the file keeps it. */
interface SecretRecord {
  /** The value, sealed with the state directory's key under the context `secret:<name>`. */
  readonly sealed: string;
  /** The applications whose pipelines may read it; absent or empty: every application. */
  readonly applications?: readonly string[];
  /** ISO time it was last set. */
  readonly updated: string;
}

/** A secret as `secret list` shows it: never its value. */
export interface SecretListing {
  readonly name: string;
  readonly applications: readonly string[];
  readonly updated: string;
}

/** The local secret store, and what the `secret` commands do with it. */
export interface LocalSecrets extends SecretStore {
  set(name: string, value: string, applications: readonly string[]): Promise<void>;
  list(): Promise<readonly SecretListing[]>;
  /** Whether there was such a secret. */
  remove(name: string): Promise<boolean>;
}

/** Why a secret name cannot be used (one line), or undefined. */
export function secretNameProblem(name: string): string | undefined {
  return SECRET_NAME.test(name) ? undefined : `secret name '${name}' must be 1-512 of the characters A-Z a-z 0-9 / _ + = . @ -, e.g. db-password`;
}

/** Creates the secrets of the state directory `dir`, sealed with `cipher` (the directory's key). */
export function createLocalSecrets(dir: string, cipher: SecretCipher): LocalSecrets {
  const path = join(dir, SECRETS_FILE);

  const load = async (): Promise<Record<string, SecretRecord>> => {
    let text: string;
    try {
      const mode = (await stat(path)).mode;
      if ((mode & 0o077) !== 0) throw new Error(`${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run 'chmod 600 ${path}'`);
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`${path} is not valid JSON (${(error as Error).message}); restore it, or delete it and set the secrets again`);
    }
    const secrets = (parsed as { secrets?: unknown } | null)?.secrets;
    if (secrets === null || typeof secrets !== 'object' || Array.isArray(secrets)) throw new Error(`${path} has no "secrets" object; restore it, or delete it and set the secrets again`);
    return secrets as Record<string, SecretRecord>;
  };

  const save = async (secrets: Record<string, SecretRecord>): Promise<void> => {
    await ensurePrivateDir(dir);
    const draft = `${path}.${randomBytes(4).toString('hex')}`;
    await writeFile(draft, `${JSON.stringify({ secrets }, null, 2)}\n`, { mode: 0o600 });
    await chmod(draft, 0o600);
    await rename(draft, path);
  };

  return {
    async read(name, application): Promise<SecretLookup> {
      let secrets: Record<string, SecretRecord>;
      try {
        secrets = await load();
      } catch (error) {
        return { ok: false, message: `#secret('${name}'): ${(error as Error).message}` };
      }
      const record = Object.hasOwn(secrets, name) ? secrets[name] : undefined;
      if (!record || typeof record.sealed !== 'string') return { ok: false, message: `#secret('${name}'): there is no secret '${name}' in ${path}; add it with 'gennaker secret set ${name}'` };
      const allowed = (record.applications ?? []).filter((app) => typeof app === 'string');
      if (allowed.length > 0 && !allowed.some((app) => app.toLowerCase() === application.toLowerCase())) {
        return { ok: false, message: `#secret('${name}'): the secret is not shared with application '${application}' (only with ${allowed.join(', ')}); add it with 'gennaker secret set ${name} --app ${application}'` };
      }
      const [value] = await cipher.decrypt([record.sealed], `secret:${name}`);
      if (value === undefined) return { ok: false, message: `#secret('${name}'): the value in ${path} does not open with this state directory's key (secret.key); set it again with 'gennaker secret set ${name}'` };
      return { ok: true, value };
    },

    async set(name, value, applications) {
      const secrets = await load();
      const [sealed] = await cipher.encrypt([value], `secret:${name}`);
      const record: SecretRecord = { sealed: sealed!, ...(applications.length > 0 ? { applications: [...applications] } : {}), updated: new Date().toISOString() };
      // Defined, not assigned: a secret may be called '__proto__' like any other name.
      Object.defineProperty(secrets, name, { value: record, enumerable: true, writable: true, configurable: true });
      await save(secrets);
    },

    async list() {
      const secrets = await load();
      return Object.entries(secrets)
        .map(([name, record]) => ({ name, applications: [...(record.applications ?? [])], updated: String(record.updated ?? '') }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    async remove(name) {
      const secrets = await load();
      if (!Object.hasOwn(secrets, name)) return false;
      delete secrets[name];
      await save(secrets);
      return true;
    },
  };
}
