// Which code the `gennaker` command runs: the compiled CLI in dist/cli/ (scripts/build-cli.js)
// when it is there and was built from the sources as they are now, else the TypeScript sources
// through tsx. Plain JavaScript, as it runs before anything could compile TypeScript.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The compiled CLI's directory in this checkout. */
export const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli');

/** The file in a bundle directory that names its entry module and every file it was built from. */
export const STAMP_FILE = 'bundle.json';

/**
 * The entry module of the bundle in `dir` when every file it was built from still has the
 * modification time and size it had at build (one stat each, a few milliseconds for the whole
 * CLI), else undefined: a missing or unreadable stamp, a source edited, touched, added in its
 * place or removed since. A bundle that is not provably current never runs.
 */
export function freshBundleEntry(dir = BUNDLE_DIR) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(dir, STAMP_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof stamp?.entry !== 'string' || stamp.sources === null || typeof stamp.sources !== 'object') return undefined;
  for (const [path, recorded] of Object.entries(stamp.sources)) {
    const stat = statSync(join(dir, path), { throwIfNoEntry: false });
    if (stat === undefined || !Array.isArray(recorded) || stat.mtimeMs !== recorded[0] || stat.size !== recorded[1]) return undefined;
  }
  return join(dir, stamp.entry);
}

/** The CLI's `main`: from the current bundle in `dir`, else from the TypeScript sources through tsx. */
export async function loadCli(dir = BUNDLE_DIR) {
  const entry = freshBundleEntry(dir);
  if (entry !== undefined) return import(pathToFileURL(entry).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import('../cli/main.ts');
}
