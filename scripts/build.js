#!/usr/bin/env node
// `npm run build`: bundles every Lambda entry point (functions/<name>/handler.ts) with esbuild
// into dist/functions/<name>/index.mjs, minified for Node.js 22, and prints each bundle's size.
// The CDK stack bundles the same entry points the same way; this is for inspection and the
// bundle-size benchmarks.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = join(root, 'functions');
const entries = existsSync(functionsDir)
  ? readdirSync(functionsDir)
      .map((name) => ({ name, entry: join(functionsDir, name, 'handler.ts') }))
      .filter(({ entry }) => existsSync(entry))
  : [];

if (entries.length === 0) {
  process.stderr.write('no Lambda entry points found (functions/<name>/handler.ts)\n');
  process.exit(1);
}

for (const { name, entry } of entries) {
  const outfile = join(root, 'dist', 'functions', name, 'index.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    sourcemap: false,
    legalComments: 'none',
    // ESM bundles that contain CommonJS dependencies need a require() of their own.
    banner: { js: "import { createRequire as __gennakerRequire } from 'node:module'; const require = __gennakerRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  process.stdout.write(`${relative(root, outfile)}  ${(statSync(outfile).size / 1024).toFixed(1)} KB\n`);
}
