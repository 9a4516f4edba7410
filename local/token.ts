/**
 * The local API's bearer token: `<dir>/token`, 32 random bytes (base64url), created with mode
 * 0600 on first start and reused after, so the CLI and scripts keep working across restarts.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from './private-files.ts';

export const TOKEN_FILE = 'token';

/** Reads the token of `dir`, creating it (and `dir`, 0700) when absent. */
export async function loadOrCreateToken(dir: string): Promise<{ readonly token: string; readonly path: string; readonly created: boolean }> {
  const path = join(dir, TOKEN_FILE);
  await ensurePrivateDir(dir);
  try {
    const token = (await readFile(path, 'utf8')).trim();
    if (token.length >= 16) {
      // Someone may have copied the file with looser permissions: the token is a password.
      if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
      return { token, path, created: false };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { token, path, created: true };
}
