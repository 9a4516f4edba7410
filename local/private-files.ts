/**
 * The state directory (`.gennaker`) is private to the user who runs Gennaker: it holds the API
 * token, the embedded DynamoDB's files (saved pipelines with their trigger secrets and job
 * commands), the local target's state and the instances' logs. Directories are 0700 and files
 * 0600 (DESIGN.md §8), by two means: the umask of the processes that write there, so every file
 * any part creates later is born private, and a pass at start-up that takes group and other
 * bits away from what an older version (or a copy) left looser.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Group and other get nothing: new directories 0700, new files 0600. */
export const PRIVATE_UMASK = 0o077;

/**
 * Makes every file and directory this process creates from now on private. Called once by the
 * composition root of the commands that keep state (`up`, `run`, `demo`); children inherit it.
 */
export function usePrivateUmask(): void {
  process.umask(PRIVATE_UMASK);
}

/** Creates `dir` (and its parents) as 0700, or takes group and other bits away from an existing one. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await tighten(dir);
}

/**
 * Takes group and other bits away from `dir` and everything under it (owner bits stay, so a
 * script keeps its execute bit). Symbolic links are left alone: their targets are not ours.
 */
export async function tightenTree(dir: string): Promise<void> {
  const mode = await tighten(dir);
  if (mode === undefined || (mode & 0o170000) !== 0o040000) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await tightenTree(join(dir, entry.name));
    else if (entry.isFile()) await tighten(join(dir, entry.name));
  }
}

/** Clears the group and other bits of one path; its mode before, or undefined when it is absent or a link. */
async function tighten(path: string): Promise<number | undefined> {
  let mode: number;
  try {
    const stats = await lstat(path);
    if (stats.isSymbolicLink()) return undefined;
    mode = stats.mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if ((mode & 0o077) !== 0) await chmod(path, mode & 0o7700);
  return mode;
}
