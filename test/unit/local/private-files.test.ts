/**
 * The state directory's privacy: a directory made or found loose becomes 0700, and what an older
 * version left readable by group or others loses those bits (owner bits, such as a script's
 * execute bit, stay; links are left alone).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePrivateDir, tightenTree } from '../../../local/private-files.ts';

const root = mkdtempSync(join(tmpdir(), 'gennaker-private-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o7777;

describe('private files', () => {
  it('creates a missing state directory 0700 and tightens an existing 0755 one', async () => {
    const fresh = join(root, 'fresh', '.gennaker');
    await ensurePrivateDir(fresh);
    expect(mode(fresh)).toBe(0o700);

    const loose = join(root, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    await ensurePrivateDir(loose);
    expect(mode(loose)).toBe(0o700);
  });

  it('takes group and other bits from everything under a tree, keeping owner bits and leaving links', async () => {
    // given: what an older version left
    const tree = join(root, 'tree');
    mkdirSync(join(tree, 'data', 'nested'), { recursive: true });
    chmodSync(tree, 0o755);
    chmodSync(join(tree, 'data'), 0o775);
    writeFileSync(join(tree, 'token'), 'secret');
    chmodSync(join(tree, 'token'), 0o644);
    writeFileSync(join(tree, 'data', 'nested', '000001.log'), 'rows');
    chmodSync(join(tree, 'data', 'nested', '000001.log'), 0o666);
    writeFileSync(join(tree, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(tree, 'run.sh'), 0o755);
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'not ours');
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(tree, 'link'));

    // when
    await tightenTree(tree);

    // then
    expect(mode(tree)).toBe(0o700);
    expect(mode(join(tree, 'data'))).toBe(0o700);
    expect(mode(join(tree, 'token'))).toBe(0o600);
    expect(mode(join(tree, 'data', 'nested', '000001.log'))).toBe(0o600);
    expect(mode(join(tree, 'run.sh'))).toBe(0o700);
    expect(mode(outside)).toBe(0o644);
  });
});
