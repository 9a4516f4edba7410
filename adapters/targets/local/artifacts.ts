/**
 * Baking: an artifact (a directory, or a ref of a local git repository) is copied once into an
 * immutable versioned directory, `<stateDir>/artifacts/<name>/<version>/`, which server groups
 * then run from. The version is the one given, else a content hash (git: the commit). A baked
 * directory is never modified: files are made read-only, the copy lands by an atomic rename,
 * and baking the same name and version again with other content is refused, so `v001` always
 * runs exactly what it ran when it was created.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ArtifactReference } from './local-target-api.ts';

const run = promisify(execFile);

/** Artifact types the local target bakes. */
export const LOCAL_ARTIFACT_TYPES = ['directory', 'git'] as const;

export type BakeResult =
  | { readonly ok: true; readonly directory: string; readonly name: string; readonly version: string; readonly contentHash: string }
  | { readonly ok: false; readonly message: string };

const MARKER = '.gennaker-artifact.json';
const SAFE_SEGMENT = /^[a-zA-Z0-9._-]+$/;

async function filesOf(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === '.git' || entry.name === MARKER) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesOf(root, path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** A hash of every file's relative path and bytes: same tree, same hash. */
async function contentHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await filesOf(root)) {
    hash.update(relative(root, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** Read-only, and the owner's alone: a copy keeps its source's modes, which may let anyone read it. */
async function makeReadOnly(root: string): Promise<void> {
  for (const file of await filesOf(root)) {
    const mode = (await stat(file)).mode;
    await chmod(file, mode & 0o500);
  }
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) await chmod(join(entry.parentPath, entry.name), 0o700);
  }
  await chmod(root, 0o700);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Copies the artifact's tree into `into` (a fresh directory). */
async function fetchTree(artifact: ArtifactReference, into: string): Promise<{ ok: true; version?: string } | { ok: false; message: string }> {
  if (artifact.type === 'directory') {
    const source = resolve(artifact.reference);
    if (!(await stat(source).then((s) => s.isDirectory(), () => false))) {
      return { ok: false, message: `artifact directory ${source} does not exist; give a directory holding the service` };
    }
    // A baked tree baked again (an image deployed) brings no marker: the new one is written below.
    await cp(source, into, { recursive: true, filter: (path) => path === source || (basename(path) !== '.git' && basename(path) !== MARKER) });
    return { ok: true };
  }
  if (artifact.type === 'git') {
    const repository = resolve(artifact.reference);
    const ref = artifact.version ?? 'HEAD';
    let commit: string;
    try {
      commit = (await run('git', ['-C', repository, 'rev-parse', '--verify', `${ref}^{commit}`])).stdout.trim();
    } catch {
      return { ok: false, message: `git ref '${ref}' not found in repository ${repository}` };
    }
    await mkdir(into, { recursive: true });
    const tar = join(into, '..', `${basename(into)}.tar`);
    try {
      await run('git', ['-C', repository, 'archive', '--format=tar', '-o', tar, commit]);
      await run('tar', ['-xf', tar, '-C', into]);
    } finally {
      await rm(tar, { force: true });
    }
    return { ok: true, version: commit.slice(0, 12) };
  }
  return { ok: false, message: `artifact type '${artifact.type}' is not supported by the local target; use one of ${LOCAL_ARTIFACT_TYPES.join(', ')}` };
}

/** Bakes the artifact under `<stateDir>/artifacts/`, or finds it already baked. */
export async function bakeArtifact(stateDir: string, artifact: ArtifactReference): Promise<BakeResult> {
  return bakeTree(join(stateDir, 'artifacts'), artifact);
}

/**
 * Bakes the artifact into `<root>/<name>/<version>/`, or finds it already baked there. The one
 * implementation behind the deploy target's artifacts and the image store's images.
 */
export async function bakeTree(artifactsRoot: string, artifact: ArtifactReference): Promise<BakeResult> {
  const name = artifact.name ?? basename(resolve(artifact.reference));
  if (!SAFE_SEGMENT.test(name)) return { ok: false, message: `artifact name '${name}' may hold only letters, digits, '.', '_' and '-'` };
  if (artifact.version !== undefined && !SAFE_SEGMENT.test(artifact.version) && artifact.type === 'directory') {
    return { ok: false, message: `artifact version '${artifact.version}' may hold only letters, digits, '.', '_' and '-'` };
  }
  const root = join(artifactsRoot, name);
  await mkdir(root, { recursive: true });
  const staging = join(root, `.staging-${randomUUID()}`);
  try {
    const fetched = await fetchTree(artifact, staging);
    if (!fetched.ok) return fetched;
    const hash = await contentHash(staging);
    const version = artifact.type === 'git' ? (fetched.version ?? hash) : (artifact.version ?? hash);
    const directory = join(root, version);
    if (await exists(directory)) {
      const marker = JSON.parse(await readFile(join(directory, MARKER), 'utf8').catch(() => '{}')) as { contentHash?: string };
      if (marker.contentHash !== hash) {
        return { ok: false, message: `artifact ${name} version ${version} was already baked with other content; baked artifacts are immutable, give a new version` };
      }
      return { ok: true, directory, name, version, contentHash: hash };
    }
    await writeFile(join(staging, MARKER), JSON.stringify({ name, version, contentHash: hash, source: artifact }, null, 2));
    await makeReadOnly(staging);
    try {
      await rename(staging, directory);
    } catch (error) {
      // Another bake of the same version won the rename: its content is checked next time.
      if (!(await exists(directory))) throw error;
    }
    return { ok: true, directory, name, version, contentHash: hash };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
