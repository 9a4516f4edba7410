// esbuild plugins shared by the Lambda bundles (scripts/build.js) and the CLI bundle
// (scripts/build-cli.js): how Gennaker's own TypeScript sources are rewritten on the way in,
// and how zod is trimmed to what Gennaker uses.
import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** Whether an esbuild input path is Gennaker's own source (not a dependency's). */
export const isOwnSource = (path) => !path.split(sep).includes('node_modules');

/**
 * `import { z } from 'zod'` binds zod's namespace re-exported as a value, which esbuild keeps
 * whole: every schema type, the JIT compiler, JSON Schema conversion, every locale (about
 * 300 KB). Imported as `import * as z` straight from zod's classic API module, the same code
 * tree-shakes to the schemas Gennaker builds. The rewrite touches only that one import line of
 * Gennaker's own sources; type-only imports are erased anyway.
 */
export function zodNamespaceImport(nodeModules) {
  const classic = JSON.stringify(join(nodeModules, 'zod', 'v4', 'classic', 'external.js'));
  return (source) => (source.includes("from 'zod'") ? source.replace(/^import \{ z \} from 'zod';$/m, `import * as z from ${classic};`) : source);
}

/**
 * One plugin that applies `transforms` (each `(source, path) => source`) in order to every
 * TypeScript file of Gennaker's own: esbuild takes the first onLoad answer for a file, so
 * several rewrites of the same file must be one plugin.
 */
export function ownSourceTransforms(name, transforms) {
  return {
    name,
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!isOwnSource(args.path)) return undefined;
        const original = readFileSync(args.path, 'utf8');
        const source = transforms.reduce((text, transform) => transform(text, args.path), original);
        return source === original ? undefined : { contents: source, loader: 'ts' };
      });
    },
  };
}

/**
 * zod's namespace export carries every locale's messages (about 250 KB minified) although only
 * English is ever configured: the locales barrel is replaced by one exporting `en` alone (a
 * guard in case anything in a bundle still materializes the namespace).
 */
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(join('node_modules', 'zod')) ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * `yaml` serves Node its CommonJS build, which esbuild cannot tree-shake; its ESM build (the
 * same code, published for bundlers) keeps only what the functions a bundle calls need.
 */
export const yamlEsm = (nodeModules) => join(nodeModules, 'yaml', 'browser', 'dist', 'index.js');

/**
 * YAML is read only when a document holds YAML text: rare where pipelines arrive as JSON. The
 * parser (about 95 KB minified) is bundled on its own into yaml.cjs (yamlModule) beside the
 * module that imports it, and `yaml` resolves to a module that require()s it synchronously on
 * the first call, so the callers stay synchronous and a start does not load it. Importing any
 * name from `yaml` but `functions` fails the build.
 */
export function yamlOnDemand(functions, resolveDir) {
  return {
    name: 'yaml-on-demand',
    setup(build) {
      build.onResolve({ filter: /^yaml$/ }, () => ({ path: 'yaml', namespace: 'yaml-on-demand' }));
      build.onLoad({ filter: /.*/, namespace: 'yaml-on-demand' }, () => ({
        contents: [
          "import { createRequire } from 'node:module';",
          'let yaml;',
          "const load = () => (yaml ??= createRequire(import.meta.url)('./yaml.cjs'));",
          ...functions.map((name) => `export function ${name}(...args) { return load().${name}(...args); }`),
        ].join('\n'),
        resolveDir,
        loader: 'js',
      }));
    },
  };
}

/** The esbuild options (besides outfile and the rest) of the yaml.cjs that yamlOnDemand loads. */
export function yamlModule(functions, nodeModules, resolveDir) {
  return {
    stdin: { contents: `export { ${functions.join(', ')} } from ${JSON.stringify(yamlEsm(nodeModules))};`, resolveDir, loader: 'js' },
    format: 'cjs',
  };
}
