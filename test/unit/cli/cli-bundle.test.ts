/**
 * When the `gennaker` command may run its compiled bundle: only while every file the bundle was
 * built from has the modification time and size recorded at build. A bundle directory is made up here
 * (a stamp and two "sources"), so nothing of the real checkout is touched.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshBundleEntry, STAMP_FILE } from '../../../bin/cli-bundle.js';

let root: string;
let bundle: string;

/** A checkout with two sources and a bundle of them stamped as built from them as they are now. */
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gennaker-cli-bundle-'));
  bundle = join(root, 'dist', 'cli');
  mkdirSync(join(root, 'cli'), { recursive: true });
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(root, 'cli', 'main.ts'), 'export {};\n');
  writeFileSync(join(root, 'cli', 'usage.ts'), 'export {};\n');
  writeFileSync(join(bundle, 'main.js'), 'export {};\n');
  const sources = Object.fromEntries(
    ['main.ts', 'usage.ts'].map((name) => {
      const stat = statSync(join(root, 'cli', name));
      return [`../../cli/${name}`, [stat.mtimeMs, stat.size]];
    }),
  );
  writeFileSync(join(bundle, STAMP_FILE), JSON.stringify({ entry: 'main.js', sources }));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('a compiled CLI', () => {
  it('runs while its sources are as they were at build', () => {
    expect(freshBundleEntry(bundle)).toBe(join(bundle, 'main.js'));
  });

  it('does not run once a source is edited (its modification time changes)', () => {
    const later = new Date(statSync(join(root, 'cli', 'usage.ts')).mtimeMs + 1_000);
    utimesSync(join(root, 'cli', 'usage.ts'), later, later);
    expect(freshBundleEntry(bundle)).toBeUndefined();
  });

  it('does not run when a source went back in time (a checkout of an older commit)', () => {
    const earlier = new Date(statSync(join(root, 'cli', 'main.ts')).mtimeMs - 60_000);
    utimesSync(join(root, 'cli', 'main.ts'), earlier, earlier);
    expect(freshBundleEntry(bundle)).toBeUndefined();
  });

  it('does not run when a source changed but kept its modification time (a copy that preserves times)', () => {
    const { atime, mtime } = statSync(join(root, 'cli', 'usage.ts'));
    writeFileSync(join(root, 'cli', 'usage.ts'), 'export const edited = true;\n');
    utimesSync(join(root, 'cli', 'usage.ts'), atime, mtime);
    expect(freshBundleEntry(bundle)).toBeUndefined();
  });

  it('does not run when a source is gone', () => {
    rmSync(join(root, 'cli', 'usage.ts'));
    expect(freshBundleEntry(bundle)).toBeUndefined();
  });

  it('does not run without a readable stamp, or with one that names no entry', () => {
    writeFileSync(join(bundle, STAMP_FILE), '{"entry": "main.js", "sources": ');
    expect(freshBundleEntry(bundle)).toBeUndefined();
    writeFileSync(join(bundle, STAMP_FILE), JSON.stringify({ sources: {} }));
    expect(freshBundleEntry(bundle)).toBeUndefined();
    rmSync(join(bundle, STAMP_FILE));
    expect(freshBundleEntry(bundle)).toBeUndefined();
  });

  it('does not run when the build could not vouch for a source (modified while it built: recorded as -1)', () => {
    writeFileSync(join(bundle, STAMP_FILE), JSON.stringify({ entry: 'main.js', sources: { '../../cli/main.ts': [-1, statSync(join(root, 'cli', 'main.ts')).size] } }));
    expect(freshBundleEntry(bundle)).toBeUndefined();
  });
});
