/**
 * DESIGN.md §1: top-level folders are layers, and each may import only the layers its row
 * allows. This test reads every TypeScript file's import specifiers and fails on a crossing,
 * and keeps core/ free of I/O, SDKs, the environment and the wall clock.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Which layers each layer may import (its own always allowed). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  statemachines: ['core'],
  adapters: ['core'],
  functions: ['core', 'statemachines', 'adapters'],
  local: ['core', 'statemachines', 'adapters', 'functions', 'sandbox'],
  cli: ['core', 'statemachines', 'adapters', 'functions', 'local', 'sandbox'],
  infra: ['core', 'statemachines'],
  // A simulator is the cloud, not Gennaker: it shares no code with the adapters it tests.
  sandbox: [],
  // The dashboard talks HTTP to the API; it bundles only pure helpers of core (stage depths, failure reasons).
  web: ['core'],
};

/**
 * The one crossing allowed outside the table: the CDK stack builds the state table from the
 * same plain-data definition dynalite and the store use (keys, indexes, TTL), so the cloud
 * table cannot drift from the local one. That file imports nothing; the rest of adapters/
 * (SDK clients) stays off-limits to infra/.
 */
const ALLOWED_FILES: Record<string, readonly string[]> = {
  infra: ['adapters/dynamodb/tables.ts'],
};

/** Packages core/ may use: small and pure. */
const CORE_PACKAGES = new Set(['zod', 'yaml']);

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'cdk.out') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  const pattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier) specifiers.push(specifier);
  }
  return specifiers;
}

function layerOf(path: string): string | undefined {
  const first = relative(root, path).split(sep)[0];
  return first !== undefined && first in ALLOWED ? first : undefined;
}

const layered = Object.keys(ALLOWED).flatMap((layer) => sourceFiles(join(root, layer)));

describe('the dependency rule of DESIGN.md §1', () => {
  it('finds the layered source files', () => {
    expect(layered.length).toBeGreaterThan(5);
  });

  it('keeps every import inside the layers its folder may use', () => {
    const crossings: string[] = [];
    for (const file of layered) {
      const from = layerOf(file)!;
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const to = layerOf(resolve(dirname(file), specifier));
        if (to === undefined) {
          crossings.push(`${relative(root, file)} imports ${specifier}, outside every layer`);
        } else if (to !== from && !ALLOWED[from]!.includes(to) && !(ALLOWED_FILES[from] ?? []).includes(relative(root, resolve(dirname(file), specifier)).split(sep).join('/'))) {
          crossings.push(`${relative(root, file)} (${from}) imports ${specifier} (${to})`);
        }
      }
    }
    expect(crossings).toEqual([]);
  });

  it('keeps core/ pure: no Node I/O, SDKs, process.env or wall clock', () => {
    const problems: string[] = [];
    for (const file of sourceFiles(join(root, 'core'))) {
      const name = relative(root, file);
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) continue;
        const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!CORE_PACKAGES.has(pkg)) problems.push(`${name} imports ${specifier}`);
      }
      const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/process\.env/.test(text)) problems.push(`${name} reads process.env`);
      if (/Date\.now\(\)|new Date\(\s*\)/.test(text)) problems.push(`${name} reads the wall clock`);
      if (/\bconsole\./.test(text)) problems.push(`${name} writes to the console`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps statemachines/ pure as well', () => {
    const problems: string[] = [];
    for (const file of sourceFiles(join(root, 'statemachines'))) {
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.') && !CORE_PACKAGES.has(specifier)) {
          problems.push(`${relative(root, file)} imports ${specifier}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps sandbox/ apart from the SDKs its simulators are tested with', () => {
    // A simulator that decoded requests with the SDK's own serializers would agree with any
    // client by construction; it writes its wire formats itself.
    const problems: string[] = [];
    for (const file of sourceFiles(join(root, 'sandbox'))) {
      for (const specifier of importsOf(file)) {
        if (/^@(aws-sdk|smithy|kubernetes|google-cloud)\//.test(specifier) || /^(google-gax|google-auth-library|gaxios)(\/|$)/.test(specifier)) problems.push(`${relative(root, file)} imports ${specifier}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
