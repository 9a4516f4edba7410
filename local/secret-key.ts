/**
 * The key that seals secret values at rest on this machine: `<state dir>/secret.key`, 32 random
 * bytes (base64), created with mode 0600 on first use and reused after, so a restarted `up`
 * opens what an earlier one sealed. Without the file nothing sealed can be read back: keep it
 * with the state directory (a backup of the data without the key holds no secret in the clear).
 * A key file readable by group or others is refused: the key is as secret as what it seals.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretCipher } from '../core/ports/secret-cipher.ts';
import { AES_KEY_BYTES, createAesGcmCipher } from '../adapters/crypto/aes-gcm-cipher.ts';
import { ensurePrivateDir } from './private-files.ts';

/** The file of the state directory that holds the key. */
export const SECRET_KEY_FILE = 'secret.key';

/** The cipher of the state directory `dir`, its key read from (or created in) `dir/secret.key`. */
export async function loadSecretCipher(dir: string): Promise<SecretCipher> {
  return createAesGcmCipher(await loadOrCreateSecretKey(dir), (bytes) => randomBytes(bytes));
}

/** A cipher whose key lives only in this process: for runs that store nothing on disk. */
export function ephemeralSecretCipher(): SecretCipher {
  return createAesGcmCipher(randomBytes(AES_KEY_BYTES), (bytes) => randomBytes(bytes));
}

async function loadOrCreateSecretKey(dir: string): Promise<Buffer> {
  const path = join(dir, SECRET_KEY_FILE);
  await ensurePrivateDir(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const mode = (await stat(path)).mode;
      if ((mode & 0o077) !== 0) throw new Error(`${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run 'chmod 600 ${path}' and start again`);
      const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
      if (key.length !== AES_KEY_BYTES) throw new Error(`${path} does not hold a ${AES_KEY_BYTES}-byte key (base64); restore it from a backup, or delete it to start over (what it sealed is then lost)`);
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Written whole beside it, then linked into place: of two processes starting at once, one
    // key wins and both read it, never a file half written.
    const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(draft, `${randomBytes(AES_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      await link(draft, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(draft, { force: true });
    }
  }
  throw new Error(`${path} could not be created`);
}
