/**
 * The dangerous-powers policy of one machine (core/authz/powers.ts): the power roles and the
 * roots `gennaker up` (or `run`) was given, with paths resolved the way the local target and
 * job runner will use them: relative to the server's directory, symbolic links followed.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { PowerPolicy } from '../core/authz/powers.ts';

/** The power roles and roots `gennaker up` was given. */
export interface PowerSettings {
  /** Roles that may use the powers (admins always may). @default none: admins only */
  readonly roles?: readonly string[];
  /** Directories artifacts and job working directories must lie under. @default [baseDir] */
  readonly roots?: readonly string[];
}

/**
 * The real path of `path`: symbolic links resolved as far as the path exists, the rest appended
 * (a path that does not exist yet cannot point anywhere else).
 */
export async function resolveReal(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return resolve(await resolveReal(parent), basename(path));
  }
}

/** The policy for a server started in `baseDir` (where relative artifact paths are read from). */
export async function createPowerPolicy(settings: PowerSettings, baseDir: string, configuredBy?: PowerPolicy['configuredBy']): Promise<PowerPolicy> {
  const roots = await Promise.all((settings.roots && settings.roots.length > 0 ? settings.roots : [baseDir]).map((root) => resolveReal(resolve(baseDir, root))));
  return {
    roles: [...(settings.roles ?? [])],
    roots,
    resolvePath: (path) => resolveReal(resolve(baseDir, path)),
    configuredBy: configuredBy ?? { roles: "'gennaker up --power-role <role>'", roots: "'gennaker up --root <dir>'" },
  };
}
