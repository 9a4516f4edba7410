#!/usr/bin/env node
// Compiles the `gennaker` command to JavaScript in dist/cli/, so it starts without a TypeScript
// loader: `npm install` and `npm ci` run it (the `prepare` script), `npm test` before the tests
// when the sources changed since, `npm run build` always.
//
//   node scripts/build-cli.js                    build dist/cli/
//   node scripts/build-cli.js --if-stale         only when dist/cli/ is missing or older than a source
//   node scripts/build-cli.js --prepare          as --if-stale, but a failure is a notice, not an error:
//                                                an install never fails for it, the CLI then runs its
//                                                TypeScript through tsx (bin/cli-bundle.js)
//   node scripts/build-cli.js --outdir D         build into D instead
//
// The bundle is ESM with one chunk per command (each `import()` of cli/main.ts and
// cli/client-main.ts is a chunk loaded when that command runs), so `gennaker --help` loads the
// argument parser and the help text and little else. zod, which every pipeline command needs, is
// compiled in (one file instead of a hundred modules to resolve), and so is yaml, in a file of its
// own loaded on the first YAML text (a JSON pipeline never reads it); every other package
// stays in node_modules and loads from there when a command imports it: the AWS SDK, dynalite,
// aws-local-stepfunctions, client-node, the Google clients are never read by --help or validate.
//
// Gennaker's sources that find files next to themselves (`import.meta.url`: the demo's service,
// the local target's router, dynalite's require) are rewritten to name the source file's own
// URL, relative to the output directory, so they find the repository's files from dist/cli/
// as they do from the sources.
//
// Beside the chunks, bundle.json names the entry module and every file the bundle was built
// from with its modification time and size: bin/gennaker.js runs the bundle only while all of
// them are unchanged, so an edited source never runs stale.
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ownSourceTransforms, yamlModule, yamlOnDemand, zodEnglishOnly, zodNamespaceImport } from './bundle-plugins.js';
import { BUNDLE_DIR, STAMP_FILE, freshBundleEntry } from '../bin/cli-bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nodeModules = join(root, 'node_modules');

/**
 * Packages compiled into the bundle; every other one is imported from node_modules at run time.
 * client-node is one: as 800-odd modules of node_modules it holds about 75 MB once loaded, compiled
 * in (its dependencies still imported) about 30 MB — what an idle `up --sandbox` saves.
 */
const BUNDLED_PACKAGES = ['zod', 'yaml', '@kubernetes/client-node'];

/** The package a bare import names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Bare imports stay imports (resolved in node_modules at run time) unless they name a bundled package. */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || args.kind === 'entry-point') return undefined;
      return BUNDLED_PACKAGES.includes(packageOf(args.path)) ? undefined : { path: args.path, external: true };
    });
  },
};

/**
 * The YAML functions the CLI's code calls. The parser is compiled on its own into yaml.cjs, loaded
 * on the first call (yamlOnDemand): validating or running a JSON pipeline never reads it.
 */
const YAML_FUNCTIONS = ['parse', 'parseDocument', 'parseAllDocuments', 'stringify'];

/** `import.meta.url` of a source, as seen from a module in `outdir`: the source file's own URL. */
function sourceUrls(outdir) {
  return (source, path) => {
    if (!source.includes('import.meta.url')) return source;
    const fromOutdir = relative(outdir, path).split(sep).map(encodeURIComponent).join('/');
    return source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromOutdir)}, import.meta.url).href`);
  };
}

/** The esbuild module, from this project or (an install without dev dependencies) as tsx's dependency. */
async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    const { createRequire } = await import('node:module');
    const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json')).resolve('esbuild');
    return import(pathToFileURL(fromTsx).href);
  }
}

/**
 * Builds the CLI into `outdir` (default dist/cli/): into a sibling directory first, then swapped
 * in, so a `gennaker` starting meanwhile sees the old bundle or none, never half of one.
 * Answers the entry module's path, the output files and the build's wall time.
 */
export async function buildCli({ outdir = BUNDLE_DIR } = {}) {
  const started = performance.now();
  const startedAt = Date.now();
  const { build } = await loadEsbuild();
  const target = resolve(outdir);
  const staging = `${target}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: join(root, 'cli', 'main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    outdir: staging,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    // Names and layout kept readable: a stack trace from the CLI should point somewhere legible.
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    // Relative URLs are computed from where the bundle ends up, not from the staging directory (a sibling at the same depth).
    plugins: [yamlOnDemand(YAML_FUNCTIONS, root), externalPackages, ownSourceTransforms('cli-sources', [zodNamespaceImport(nodeModules), sourceUrls(target)]), zodEnglishOnly],
  });
  const yaml = await build({
    ...yamlModule(YAML_FUNCTIONS, nodeModules, root),
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: join(staging, 'yaml.cjs'),
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });

  // Every own source compiled in, the bundled packages' manifests (a reinstall rewrites them)
  // and this script: a change to any makes the bundle stale. A file modified after the build
  // started may have been read before the change: it is recorded as never matching.
  const own = Object.keys(result.metafile.inputs).filter((input) => !input.includes(':') && !input.split('/').includes('node_modules'));
  const files = [
    ...own.map((input) => join(root, input)),
    ...BUNDLED_PACKAGES.map((name) => join(nodeModules, name, 'package.json')),
    fileURLToPath(import.meta.url),
    join(root, 'scripts', 'bundle-plugins.js'),
  ];
  const sources = {};
  for (const file of files) {
    const { mtimeMs, size } = statSync(file);
    sources[relative(target, file).split(sep).join('/')] = [mtimeMs > startedAt ? -1 : mtimeMs, size];
  }
  // Which sources each output holds (test/e2e/cli-startup.test.ts reads what a command loaded through it).
  const outputs = Object.fromEntries(
    Object.entries({ ...result.metafile.outputs, ...yaml.metafile.outputs }).map(([output, meta]) => [basename(output), Object.keys(meta.inputs).map((input) => input.replace(/^[\w-]+:/, ''))]),
  );
  writeFileSync(join(staging, 'meta.json'), `${JSON.stringify({ outputs }, null, 1)}\n`);
  writeFileSync(join(staging, STAMP_FILE), `${JSON.stringify({ entry: 'main.js', sources })}\n`);

  // Another build may swap its own in between our two renames: then ours moves that one aside too.
  const previous = `${target}.previous-${process.pid}`;
  for (let attempt = 1; ; attempt++) {
    rmSync(previous, { recursive: true, force: true });
    try {
      renameSync(target, previous);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    try {
      renameSync(staging, target);
      break;
    } catch (error) {
      if (attempt === 3 || (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST')) throw error;
    }
  }
  rmSync(previous, { recursive: true, force: true });
  const chunks = Object.keys(outputs).filter((name) => /\.c?js$/.test(name));
  const bytes = chunks.reduce((sum, name) => sum + statSync(join(target, name)).size, 0);
  return { entry: join(target, 'main.js'), chunks, bytes, seconds: (performance.now() - started) / 1000 };
}

async function cli() {
  const args = process.argv.slice(2);
  const prepare = args.includes('--prepare');
  const ifStale = prepare || args.includes('--if-stale');
  const at = args.indexOf('--outdir');
  if (at !== -1 && (args[at + 1] === undefined || args[at + 1].startsWith('--'))) {
    process.stderr.write('build-cli: --outdir needs a directory, e.g. --outdir dist/cli\n');
    process.exit(2);
  }
  const outdir = at === -1 ? BUNDLE_DIR : resolve(args[at + 1]);
  if (ifStale && freshBundleEntry(outdir) !== undefined) return;
  try {
    const built = await buildCli({ outdir });
    process.stdout.write(`${relative(process.cwd(), built.entry)}: the gennaker command, ${built.chunks.length} chunks, ${(built.bytes / 1024).toFixed(0)} KB, built in ${built.seconds.toFixed(1)} s\n`);
  } catch (error) {
    if (!prepare) throw error;
    // An install must not fail for the fast path: bin/gennaker.js runs the sources through tsx instead.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    process.stderr.write(`gennaker: the CLI was not compiled (${reason}); it runs from its TypeScript sources through tsx, more slowly, until 'npm run build:cli' compiles it\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await cli();
