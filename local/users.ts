/**
 * Local users (`gennaker user add|list|remove`): `<dir>/users.json`, mode 0600, one record per
 * user with their roles, whether they are an admin, and the SHA-256 of their token. A token is
 * 32 random bytes (256 bits), shown once when the user is added and never stored: a hash of a
 * random 256-bit secret needs no salt or slow hash to resist guessing.
 *
 * The first-start token of `<dir>/token` (local/token.ts) belongs to the built-in admin user
 * `admin`: it stays readable by its owner because the CLI on this machine sends it.
 *
 * The server reads the file again whenever it changes, so a user added or removed while `up`
 * runs counts from the next request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirectoryUser, UserDirectory } from '../core/ports/user-directory.ts';
import type { TokenUser } from '../adapters/crypto/bearer-authenticator.ts';

/** The file of the state directory that keeps the users. */
export const USERS_FILE = 'users.json';

/** The user the first-start token (`<dir>/token`) authenticates: an admin. */
export const ADMIN_USER = 'admin';

/** How `user list` describes the built-in admin. */
export const TOKEN_USER_NOTE = 'the first-start token (<data>/token)';

/** One user as the file keeps it. */
export interface LocalUserRecord {
  readonly name: string;
  readonly roles: readonly string[];
  readonly admin: boolean;
  /** Hex SHA-256 of the token. */
  readonly tokenSha256: string;
  /** ISO time the user was added. */
  readonly created: string;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;

/** Why a user name cannot be used (one line), or undefined. */
export function userNameProblem(name: string): string | undefined {
  if (!USER_NAME.test(name)) return `user name '${name}' must be 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`;
  if (name === ADMIN_USER) return `'${ADMIN_USER}' is the built-in admin (its token is the first-start token); choose another name`;
  return undefined;
}

/** The roles of `--roles a,b`, or why they cannot be used. */
export function parseRoles(text: string | undefined): { readonly ok: true; readonly roles: string[] } | { readonly ok: false; readonly message: string } {
  if (text === undefined || text.trim() === '') return { ok: true, roles: [] };
  const roles = [...new Set(text.split(',').map((role) => role.trim()).filter((role) => role !== ''))];
  const bad = roles.find((role) => !ROLE_NAME.test(role));
  if (bad !== undefined) return { ok: false, message: `--roles has '${bad}'; a role is 1-128 letters, digits, '.', '_', ':', '@', '/' or '-', e.g. --roles deployers,release-managers` };
  return { ok: true, roles };
}

/** The hex SHA-256 of a token, as the file keeps it. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function isRecord(value: unknown): value is LocalUserRecord {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.name === 'string' &&
    Array.isArray(record.roles) &&
    record.roles.every((role) => typeof role === 'string') &&
    typeof record.admin === 'boolean' &&
    typeof record.tokenSha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(record.tokenSha256)
  );
}

/** Every user of `<dir>/users.json`; none when the file does not exist. A malformed file throws, naming it. */
export async function readUsers(dir: string): Promise<LocalUserRecord[]> {
  const path = join(dir, USERS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; restore it from a backup, or remove it and add the users again`);
  }
  const users = (parsed as { users?: unknown } | null)?.users;
  if (!Array.isArray(users) || !users.every(isRecord)) {
    throw new Error(`${path} does not hold {"users": [{name, roles, admin, tokenSha256}]}; restore it from a backup, or remove it and add the users again`);
  }
  return users;
}

/** Writes the file whole: a temporary file (0600) renamed over it, so a reader never sees half of it. */
async function writeUsers(dir: string, users: readonly LocalUserRecord[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, USERS_FILE);
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** The new user and their token (shown once), or why not. */
export type AddUserResult = { readonly ok: true; readonly user: LocalUserRecord; readonly token: string } | { readonly ok: false; readonly message: string };

/** Adds a user with a new token; the token is returned once and only its hash is kept. */
export async function addUser(dir: string, input: { readonly name: string; readonly roles: readonly string[]; readonly admin: boolean }, now: number): Promise<AddUserResult> {
  const problem = userNameProblem(input.name);
  if (problem !== undefined) return { ok: false, message: problem };
  const users = await readUsers(dir);
  if (users.some((user) => user.name === input.name)) {
    return { ok: false, message: `user '${input.name}' exists already; remove it first (gennaker user remove ${input.name}) to give it a new token or other roles` };
  }
  const token = randomBytes(32).toString('base64url');
  const user: LocalUserRecord = { name: input.name, roles: [...input.roles], admin: input.admin, tokenSha256: tokenHash(token), created: new Date(now).toISOString() };
  await writeUsers(dir, [...users, user]);
  return { ok: true, user, token };
}

/** Removes a user (their token stops working at once); false when there was none. */
export async function removeUser(dir: string, name: string): Promise<boolean> {
  const users = await readUsers(dir);
  const kept = users.filter((user) => user.name !== name);
  if (kept.length === users.length) return false;
  await writeUsers(dir, kept);
  return true;
}

/** The users of `<dir>/users.json`, read again when the file changes (its size, time or inode). */
export interface LocalUsers extends UserDirectory {
  /** Every user with a token, for the bearer authenticator. */
  tokenUsers(): Promise<readonly TokenUser[]>;
}

/** The local users, with the built-in admin `admin` of the first-start token. */
export function createLocalUsers(dir: string): LocalUsers {
  const path = join(dir, USERS_FILE);
  let cached: { readonly key: string; readonly users: readonly LocalUserRecord[] } | undefined;
  const current = async (): Promise<readonly LocalUserRecord[]> => {
    const info = await stat(path).catch(() => undefined);
    const key = info === undefined ? 'absent' : `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (cached?.key !== key) cached = { key, users: info === undefined ? [] : await readUsers(dir) };
    return cached.users;
  };
  return {
    async find(name): Promise<DirectoryUser | undefined> {
      if (name === ADMIN_USER) return { name: ADMIN_USER, roles: [], admin: true };
      const user = (await current()).find((candidate) => candidate.name === name);
      return user === undefined ? undefined : { name: user.name, roles: user.roles, admin: user.admin };
    },
    async tokenUsers() {
      return (await current()).map((user) => ({ caller: { user: user.name, roles: user.roles, ...(user.admin ? { admin: true } : {}) }, tokenSha256: user.tokenSha256 }));
    },
  };
}
