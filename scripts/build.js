#!/usr/bin/env node
// `npm run build`: bundles every Lambda entry point (functions/<name>/handler.ts) with esbuild
// into dist/functions/<name>/index.mjs, minified for Node.js 22, and prints each bundle's size.
// The CDK stack bundles the same entry points the same way; this is for inspection and the
// bundle-size benchmarks.
import { analyzeMetafile, build } from 'esbuild';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * zod's namespace export carries every locale's messages (about 250 KB minified) although only
 * English is ever configured: the locales barrel is replaced by one exporting `en` alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${join('node_modules', 'zod')}`) ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * On Lambda the execution role's credentials are in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the SDK's default chain — profiles, SSO, web
 * identity, instance metadata, with the STS/SSO clients they bring (about 90 KB) — is replaced
 * by the environment provider alone. The bundles are for Lambda only.
 */
const lambdaCredentialsOnly = {
  name: 'lambda-credentials-only',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: 'credential-provider-node', namespace: 'lambda-credentials' }));
    build.onLoad({ filter: /.*/, namespace: 'lambda-credentials' }, () => ({
      contents: "export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';",
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * `yaml` serves Node its CommonJS build, which esbuild cannot tree-shake; its ESM build (the
 * same code, published for bundlers) keeps only what parseDocument / parseAllDocuments need.
 */
const yamlEsm = {
  name: 'yaml-esm',
  setup(build) {
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: join(root, 'node_modules', 'yaml', 'browser', 'dist', 'index.js') }));
  },
};

// `--analyze`: print what each bundle is made of (the largest inputs).
const analyze = process.argv.includes('--analyze');

for (const { name, entry } of entries) {
  const outfile = join(root, 'dist', 'functions', name, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // ESM builds first: the SDK's dist-es tree-shakes to the commands a function sends, its
    // dist-cjs (esbuild's default for platform node) carries every command of the client.
    mainFields: ['module', 'main'],
    sourcemap: false,
    legalComments: 'none',
    // ESM bundles that contain CommonJS dependencies need a require() of their own.
    banner: { js: "import { createRequire as __gennakerRequire } from 'node:module'; const require = __gennakerRequire(import.meta.url);" },
    logLevel: 'warning',
    metafile: true,
    plugins: [zodEnglishOnly, lambdaCredentialsOnly, yamlEsm],
  });
  writeFileSync(join(root, 'dist', 'functions', name, 'meta.json'), JSON.stringify(result.metafile));
  if (analyze) process.stdout.write(await analyzeMetafile(result.metafile, { verbose: false }));
  process.stdout.write(`${relative(root, outfile)}  ${(statSync(outfile).size / 1024).toFixed(1)} KB\n`);
}
