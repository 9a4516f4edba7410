/**
 * Every test file runs in exactly one Vitest project, chosen by its folder
 * (vitest.config.ts PROJECT_FOLDERS): a file saved anywhere else would silently never run.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECT_FOLDERS } from '../../../vitest.config.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every `*.test.ts` under `dir`, relative to the repository, with `/` separators. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path).split(sep).join('/')] : [];
  });
}

describe('the test layout', () => {
  it('puts every test file in exactly one project, by its folder', () => {
    const projectsOf = (file: string) =>
      Object.entries(PROJECT_FOLDERS)
        .filter(([, folders]) => folders.some((folder) => file.startsWith(`${folder}/`)))
        .map(([name]) => name);
    const files = testFiles(join(root, 'test'));
    expect(files.length).toBeGreaterThan(50);
    const misplaced = files.filter((file) => projectsOf(file).length !== 1).map((file) => `${file} (projects: ${projectsOf(file).join(', ') || 'none'})`);
    expect(misplaced, `move these into one of ${Object.values(PROJECT_FOLDERS).flat().join(', ')}`).toEqual([]);
  });
});
