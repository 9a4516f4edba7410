/**
 * The dashboard's built files are committed (a clean clone serves the page without a build):
 * they must be exactly what web/src builds to, and the first load must stay small.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildDashboard, DIST_DIR } from '../../../web/build.ts';

describe('the committed dashboard bundle', () => {
  it('is byte for byte a fresh build of web/src (run npx tsx web/build.ts after changing it)', async () => {
    // given
    const fresh = await buildDashboard();

    // then
    expect(readdirSync(DIST_DIR).sort()).toEqual([...fresh.keys()].sort());
    for (const [name, contents] of fresh) expect({ name, same: Buffer.compare(readFileSync(join(DIST_DIR, name)), Buffer.from(contents)) === 0 }).toEqual({ name, same: true });
  });

  it('loads under 200 KB gzipped: the page, its script and its styles', () => {
    // when
    const gzipped = ['index.html', 'app.js', 'app.css'].reduce((total, name) => total + gzipSync(readFileSync(join(DIST_DIR, name)), { level: 9 }).length, 0);

    // then
    expect(gzipped).toBeGreaterThan(1000);
    expect(gzipped).toBeLessThan(200 * 1024);
  });
});
