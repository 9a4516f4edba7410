#!/usr/bin/env node
// `npm run build`: bundles every Lambda entry point (functions/<name>/handler.ts) with esbuild
// into dist/functions/<name>/, minified for Node.js 22 on Lambda, and prints each bundle's size.
//
// This is the only Lambda bundler: the CDK stack (infra/constructs/functions.ts) runs it during
// synthesis for each function (`--only <name> --outdir <asset dir>`), so what is deployed is
// byte for byte what is measured here.
//
//   node scripts/build.js                                  every function into dist/functions/<name>/
//   node scripts/build.js --analyze                        the same, printing each bundle's largest inputs
//   node scripts/build.js --only stage-runner --outdir D   one function into D (index.mjs + yaml.cjs)
//
// A function's output is index.mjs (the handler, loaded at cold start), yaml.cjs (the YAML parser,
// loaded the first time a YAML text is read; see yamlOnDemand) and, for the stage runner,
// aws-targets.mjs (the AWS deploy targets and their SDK clients, loaded the first time a stage
// calls a deploy target), aws-metrics.mjs (the CloudWatch client of canary metrics, loaded by a
// canary's first fetch), kubernetes-targets.mjs (the Kubernetes target and client-node, loaded
// the first time a stage calls a Kubernetes account) and publisher-client.mjs (loaded when a child pipeline's version must be
// published first), artifact-accounts.mjs (the artifact accounts, loaded by the first artifact read) and
// s3-artifacts.mjs (the S3 client, loaded by the first s3/object read) and secret-adapters.mjs (the KMS cipher and the Secrets Manager store, loaded
// when an execution first seals, opens or reads a secret), cluster-checks.mjs (the clouds'
// provider-field checks, loaded by the first save) and canary-report.mjs (the API's canary
// report renderer and openapi.mjs, the OpenAPI document), cluster-reads.mjs (the API's cluster and
// server-group routes, which load the accounts' targets, aws-targets.mjs and kubernetes-targets.mjs,
// in turn); see ON_DEMAND_MODULES. An on-demand module several functions ship is built once and
// copied while none of its inputs changes (see buildOnDemand).
import { analyzeMetafile, build, version as esbuildVersion } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownSourceTransforms, yamlModule, yamlOnDemand, zodEnglishOnly, zodNamespaceImport } from './bundle-plugins.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = join(root, 'functions');

/** The value following `flag` on the command line, or undefined. */
function option(flag) {
  const index = process.argv.indexOf(flag);
  if (index === -1) return undefined;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith('--')) fail(`${flag} needs a value (e.g. ${flag} ${flag === '--only' ? 'stage-runner' : 'dist/out'})`);
  return value;
}

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}

const analyze = process.argv.includes('--analyze');
const only = option('--only');
const outdirOption = option('--outdir');
if (outdirOption !== undefined && only === undefined) fail('--outdir needs --only <function>: one function per output directory');

const available = existsSync(functionsDir)
  ? readdirSync(functionsDir).filter((name) => existsSync(join(functionsDir, name, 'handler.ts')))
  : [];
if (available.length === 0) fail('no Lambda entry points found (functions/<name>/handler.ts)');
if (only !== undefined && !available.includes(only)) fail(`--only '${only}' is not a function: use one of ${available.join(', ')}`);
const names = only === undefined ? available : [only];

const nodeModules = join(root, 'node_modules');

/** zod imported as a namespace module (see zodNamespaceImport). */
const zodNamespaceImports = ownSourceTransforms('zod-namespace-imports', [zodNamespaceImport(nodeModules)]);

/**
 * zod's classic schemas carry JSON Schema conversion (`toJSONSchema`, Standard Schema's
 * `jsonSchema`: about 17 KB minified), which no Gennaker function uses: its two modules resolve
 * to ones whose every export fails by name when called (the factories answer such a function, as
 * schemas build them eagerly).
 */
const zodNoJsonSchema = {
  name: 'zod-no-json-schema',
  setup(build) {
    const stubbed = /[\\/]zod[\\/]v4[\\/]core[\\/](json-schema-processors|to-json-schema)\.js$/;
    build.onResolve({ filter: /(json-schema-processors|to-json-schema)\.js$/ }, (args) => {
      if (!args.importer.includes(join('node_modules', 'zod'))) return undefined;
      const path = resolve(args.resolveDir, args.path);
      return stubbed.test(path) ? { path, namespace: 'zod-no-json-schema' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-no-json-schema' }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const names = [...source.matchAll(/^export (?:async )?(?:function\*?|const|let|class) (\w+)/gm)].map((match) => match[1]);
      const aliases = [...source.matchAll(/^export \{ (\w+) as (\w+) \};$/gm)].map((match) => match[2]);
      const factories = new Set(['createToJSONSchemaMethod', 'createStandardJSONSchemaMethod']);
      return {
        contents: [
          "const unavailable = () => { throw new Error('JSON Schema conversion is not part of Gennaker\\'s Lambda bundles (scripts/build.js)'); };",
          ...[...names, ...aliases].map((name) => `export const ${name} = ${factories.has(name) ? '() => unavailable' : 'unavailable'};`),
        ].join('\n'),
        loader: 'js',
      };
    });
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

/** The YAML functions Gennaker's Lambda functions call (core/pipeline/document.ts, core/expressions/yaml-reader.ts, adapters/targets/aws-ecs/config.ts). */
const YAML_FUNCTIONS = ['parse', 'parseDocument', 'parseAllDocuments'];

/** `yaml` loaded on its first call, from yaml.cjs beside the handler (see yamlOnDemand). */
const yamlLazily = yamlOnDemand(YAML_FUNCTIONS, root);

/**
 * The SDK's HTTP protocols load their event-stream support with `import()` for operations that
 * stream events; none of the operations Gennaker sends does. Bundled inline, that import would
 * add about 13 KB to every function, so it resolves to a module that fails by name instead.
 */
const noEventStreams = {
  name: 'no-event-streams',
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) => (args.kind === 'dynamic-import' ? { path: 'event-streams', namespace: 'no-event-streams' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'no-event-streams' }, () => ({
      contents: "throw new Error('AWS SDK event streams are not part of Gennaker\\'s Lambda bundles (scripts/build.js): no operation Gennaker sends uses them');",
      loader: 'js',
    }));
  },
};

/**
 * Each SDK client imports its whole package.json (about 2 KB each) for one field, the version
 * in its User-Agent: the import resolves to that field alone.
 */
const sdkClientVersionOnly = {
  name: 'sdk-client-version-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[a-z0-9-]+[\\/]package\.json$/ }, (args) => ({
      contents: `export default { version: ${JSON.stringify(JSON.parse(readFileSync(args.path, 'utf8')).version)} };`,
      loader: 'js',
    }));
  },
};

/**
 * Every AWS SDK client carries its own copy of `@smithy/core` when its version differs from the
 * top-level one by a patch (npm nests one per client), and esbuild bundles each copy: about 70 KB
 * a client. Every import of it resolves to the newest copy installed, the one each client was
 * built against or a later patch of it.
 */
function newestSmithyCore() {
  const copies = [];
  const visit = (dir, depth) => {
    const core = join(dir, '@smithy', 'core', 'package.json');
    if (existsSync(core)) copies.push({ dir: dirname(core), version: JSON.parse(readFileSync(core, 'utf8')).version });
    if (depth === 0) return;
    for (const scope of ['@aws-sdk', '@smithy']) {
      const scoped = join(dir, scope);
      if (!existsSync(scoped)) continue;
      for (const name of readdirSync(scoped)) {
        const nested = join(scoped, name, 'node_modules');
        if (existsSync(nested)) visit(nested, depth - 1);
      }
    }
  };
  visit(nodeModules, 1);
  const numeric = (version) => version.split(/[.-]/).slice(0, 3).map(Number);
  const newerFirst = (a, b) => {
    const [x, y] = [numeric(a.version), numeric(b.version)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i] - x[i];
    return 0;
  };
  // Among copies of the same version: the top-level one, then @aws-sdk/core's, then by path.
  const rank = (copy) => (copy.dir === join(nodeModules, '@smithy', 'core') ? 0 : copy.dir.startsWith(join(nodeModules, '@aws-sdk', 'core')) ? 1 : 2);
  return copies.sort((a, b) => newerFirst(a, b) || rank(a) - rank(b) || a.dir.localeCompare(b.dir))[0];
}

const smithyCoreOnce = {
  name: 'smithy-core-once',
  setup(build) {
    const chosen = newestSmithyCore();
    build.onResolve({ filter: /^@smithy\/core(\/.*)?$/ }, (args) => {
      if (args.pluginData === 'smithy-core-once') return undefined;
      // Resolved from inside the chosen copy, so its package.json exports pick the right file.
      return build.resolve(args.path, { kind: args.kind, resolveDir: chosen.dir, pluginData: 'smithy-core-once' });
    });
  },
};

/**
 * Modules a handler loads with `import()` only when it needs them, each bundled on its own beside
 * index.mjs: the handler's `import('./<source>')` resolves to `./<output>` at run time. Only the
 * functions whose handler imports one get it.
 */
const ON_DEMAND_MODULES = [
  { source: join(functionsDir, 'aws-targets.ts'), output: 'aws-targets.mjs' },
  { source: join(functionsDir, 'aws-metrics.ts'), output: 'aws-metrics.mjs' },
  { source: join(functionsDir, 'kubernetes-targets.ts'), output: 'kubernetes-targets.mjs' },
  { source: join(functionsDir, 'publisher-client.ts'), output: 'publisher-client.mjs' },
  { source: join(functionsDir, 'artifact-accounts.ts'), output: 'artifact-accounts.mjs' },
  { source: join(root, 'adapters', 'artifacts', 's3-artifact-account.ts'), output: 's3-artifacts.mjs' },
  { source: join(functionsDir, 'secret-adapters.ts'), output: 'secret-adapters.mjs' },
  { source: join(functionsDir, 'api', 'cluster-reads.ts'), output: 'cluster-reads.mjs' },
  { source: join(root, 'adapters', 'targets', 'cluster-checks.ts'), output: 'cluster-checks.mjs' },
  { source: join(root, 'core', 'canary', 'report.ts'), output: 'canary-report.mjs' },
  { source: join(functionsDir, 'api', 'openapi.ts'), output: 'openapi.mjs' },
  { source: join(root, 'core', 'stages', 'manifest.ts'), output: 'manifest-tasks.mjs' },
  { source: join(root, 'core', 'stages', 'lambda.ts'), output: 'lambda-tasks.mjs' },
  { source: join(root, 'core', 'stages', 'canary-tasks.ts'), output: 'canary-tasks.mjs' },
  { source: join(root, 'core', 'stages', 'clone-server-group.ts'), output: 'clone-tasks.mjs' },
  { source: join(root, 'core', 'stages', 'continue-service-deployment.ts'), output: 'rollout-tasks.mjs' },
  { source: join(root, 'core', 'stages', 'webhook.ts'), output: 'webhook-tasks.mjs' },
  { source: join(root, 'core', 'stages', 'aws-code-build.ts'), output: 'codebuild-tasks.mjs' },
  { source: join(root, 'core', 'stages', 'run-job.ts'), output: 'job-tasks.mjs' },
  { source: join(root, 'core', 'pipeline', 'templates', 'resolve.ts'), output: 'template-render.mjs' },
  { source: join(root, 'core', 'execution', 'evaluate-expression.ts'), output: 'expression-evaluation.mjs' },
  { source: join(root, 'core', 'canary', 'config.ts'), output: 'canary-config.mjs' },
  { source: join(functionsDir, 'api', 'notification-types.ts'), output: 'notification-types.mjs' },
  { source: join(functionsDir, 'api', 'execution-summaries.ts'), output: 'execution-summaries.mjs' },
];

const onDemandImports = {
  name: 'on-demand-imports',
  setup(build) {
    build.onResolve({ filter: /\.ts$/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const module = ON_DEMAND_MODULES.find((candidate) => candidate.source === resolve(args.resolveDir, args.path));
      return module ? { path: `./${module.output}`, external: true } : undefined;
    });
  },
};

/** esbuild options shared by every Lambda bundle. */
const common = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  // ESM builds first: the SDK's dist-es tree-shakes to the commands a function sends, its
  // dist-cjs (esbuild's default for platform node) carries every command of the client.
  mainFields: ['module', 'main'],
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
};

/** How every ESM module of a function is built: index.mjs and the on-demand modules. */
const esm = {
  ...common,
  format: 'esm',
  // ESM bundles that contain CommonJS dependencies need a require() of their own.
  banner: { js: "import { createRequire as __gennakerRequire } from 'node:module'; const require = __gennakerRequire(import.meta.url);" },
  plugins: [zodNamespaceImports, zodEnglishOnly, zodNoJsonSchema, lambdaCredentialsOnly, yamlLazily, noEventStreams, sdkClientVersionOnly, smithyCoreOnce, onDemandImports],
};

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * On-demand modules built before, kept by what decides their bytes: the same module is part of
 * several functions (the AWS targets are the stage runner's and the API's), built once per
 * process each (`--only`). An entry is used only when every input file esbuild read for it has
 * the same content now, and this script, its plugins, esbuild, tsconfig.json and the lockfile
 * are the same, in the same checkout; otherwise the module is built again.
 */
const cacheDir = join(tmpdir(), 'gennaker-build-cache');
const buildIdentity = sha256(
  [fileURLToPath(import.meta.url), join(root, 'scripts', 'bundle-plugins.js'), join(root, 'tsconfig.json'), join(root, 'package-lock.json')]
    .map((path) => (existsSync(path) ? readFileSync(path) : ''))
    .concat([esbuildVersion, root])
    .join('\0'),
);

/** A metafile input as a file path (plugins' namespaces prefix theirs), or undefined for a virtual module. */
function inputFile(input) {
  const path = resolve(input.replace(/^[a-z][a-z-]*:(?=\/)/, ''));
  return isAbsolute(path) && existsSync(path) && statSync(path).isFile() ? path : undefined;
}

/** Builds an on-demand module into `outdir`, or copies the same bytes built before; answers its metafile. */
async function buildOnDemand(module, outdir) {
  const outfile = join(outdir, module.output);
  const entry = join(cacheDir, sha256(`${buildIdentity}\0${module.source}`));
  try {
    const saved = JSON.parse(readFileSync(join(entry, 'inputs.json'), 'utf8'));
    if (Object.entries(saved.hashes).every(([path, hash]) => existsSync(path) && sha256(readFileSync(path)) === hash)) {
      copyFileSync(join(entry, module.output), outfile);
      return saved.metafile;
    }
  } catch {
    // no entry, or an unreadable one: build
  }
  const { metafile } = await build({ ...esm, entryPoints: [module.source], outfile });
  const hashes = {};
  for (const input of Object.keys(metafile.inputs)) {
    const path = inputFile(input);
    if (path !== undefined) hashes[path] = sha256(readFileSync(path));
  }
  // Written aside, then moved in whole: a concurrent build never reads half an entry.
  const staging = `${entry}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  copyFileSync(outfile, join(staging, module.output));
  writeFileSync(join(staging, 'inputs.json'), JSON.stringify({ hashes, metafile }));
  rmSync(entry, { recursive: true, force: true });
  try {
    renameSync(staging, entry);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  return metafile;
}

/** The on-demand modules a build's output imports (`./<output>`). */
const onDemandImportsOf = (metafile) =>
  new Set(Object.values(metafile.outputs).flatMap((output) => output.imports.filter((entry) => entry.external).map((entry) => entry.path)));

async function bundleFunction(name, outdir) {
  mkdirSync(outdir, { recursive: true });
  const handler = await build({ ...esm, entryPoints: [join(functionsDir, name, 'handler.ts')], outfile: join(outdir, 'index.mjs') });
  const onDemand = {};
  // An on-demand module may load others on demand in turn (the API's cluster-reads.mjs loads aws-targets.mjs): built until none is left.
  let wanted = onDemandImportsOf(handler.metafile);
  while (true) {
    const next = ON_DEMAND_MODULES.filter((candidate) => wanted.has(`./${candidate.output}`) && onDemand[candidate.output] === undefined);
    if (next.length === 0) break;
    wanted = new Set();
    for (const module of next) {
      onDemand[module.output] = await buildOnDemand(module, outdir);
      for (const path of onDemandImportsOf(onDemand[module.output])) wanted.add(path);
    }
  }
  const yaml = await build({ ...common, ...yamlModule(YAML_FUNCTIONS, nodeModules, root), outfile: join(outdir, 'yaml.cjs') });
  return { handler: handler.metafile, yaml: yaml.metafile, onDemand };
}

const kb = (path) => `${(statSync(path).size / 1024).toFixed(1)} KB`;

for (const name of names) {
  const outdir = outdirOption === undefined ? join(root, 'dist', 'functions', name) : resolve(outdirOption);
  const metafiles = await bundleFunction(name, outdir);
  // The metafile stays out of deployed assets (--outdir); dist/ keeps it for inspection.
  if (outdirOption === undefined) writeFileSync(join(outdir, 'meta.json'), JSON.stringify(metafiles.handler));
  if (analyze) process.stdout.write(await analyzeMetafile(metafiles.handler, { verbose: false }));
  const index = join(outdir, 'index.mjs');
  const later = Object.keys(metafiles.onDemand).map((output) => `, ${output} ${kb(join(outdir, output))} loaded on first use`).join('');
  process.stdout.write(`${relative(root, index)}  ${kb(index)}  (+ yaml.cjs ${kb(join(outdir, 'yaml.cjs'))}, loaded on first YAML read${later})\n`);
}
