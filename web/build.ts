/**
 * Builds the dashboard (web/src) into web/dist with esbuild: app.js (one minified module),
 * app.css and index.html. The output is committed, so a clean clone serves the page without a
 * build step; test/unit/web/bundle.test.ts fails when it differs from a fresh build.
 *
 *   npx tsx web/build.ts        writes web/dist
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const webDir = dirname(fileURLToPath(import.meta.url));

/** Where the built files go. */
export const DIST_DIR = join(webDir, 'dist');

/** The built files, by name, without writing them. */
export async function buildDashboard(): Promise<Map<string, Uint8Array>> {
  const result = await build({
    entryPoints: [
      { in: join(webDir, 'src/main.ts'), out: 'app' },
      { in: join(webDir, 'src/style.css'), out: 'app' },
    ],
    outdir: DIST_DIR,
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  const files = new Map<string, Uint8Array>();
  for (const file of result.outputFiles) files.set(file.path.slice(DIST_DIR.length + 1), file.contents);
  files.set('index.html', new Uint8Array(readFileSync(join(webDir, 'index.html'))));
  return files;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  mkdirSync(DIST_DIR, { recursive: true });
  for (const [name, contents] of await buildDashboard()) {
    writeFileSync(join(DIST_DIR, name), contents);
    process.stdout.write(`web/dist/${name} ${contents.length} bytes\n`);
  }
}
