/**
 * The compiled CLI as an install gets it: `npm run prepare` (what `npm install` and `npm ci`
 * run) compiles a checkout's CLI, and its `bin/gennaker.js` then runs JavaScript only — no
 * TypeScript module, no tsx — for --help, validate, `up --port 0` and a client command that
 * finds that server through the port it recorded. A stale bundle never runs: the same command
 * falls back to the sources. A reader closing the pipe ends the command quietly.
 *
 * The checkout is made in a temporary directory (its bin/ and build scripts copied, everything
 * else linked to this repository), so the real dist/cli/ is neither read nor written.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const moduleLog = join(root, 'test/support/module-log.mjs');
const LINKED = ['cli', 'core', 'local', 'adapters', 'functions', 'statemachines', 'sandbox', 'examples', 'node_modules', 'package.json'];
/** Copied, not linked: a script finds the checkout it builds from its own path. */
const COPIED = ['bin/gennaker.js', 'bin/cli-bundle.js', 'scripts/build-cli.js', 'scripts/bundle-plugins.js'];

let checkout: string;
let bin: string;
let runs = 0;
const started: ChildProcess[] = [];

beforeAll(async () => {
  checkout = mkdtempSync(join(tmpdir(), 'gennaker-cli-bundle-'));
  for (const file of COPIED) {
    mkdirSync(dirname(join(checkout, file)), { recursive: true });
    copyFileSync(join(root, file), join(checkout, file));
  }
  for (const entry of LINKED) symlinkSync(join(root, entry), join(checkout, entry));
  bin = join(checkout, 'bin', 'gennaker.js');
  // The script npm runs after installing: package.json's prepare.
  const built = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile('npm', ['run', '--silent', 'prepare'], { cwd: checkout, env: env(), encoding: 'utf8' }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
  expect(built.stderr).toBe('');
  expect(built.stdout).toMatch(/^dist\/cli\/main\.js: the gennaker command, \d+ chunks/);
  expect(built.code).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(started.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((done) => child.once('exit', done)))));
  rmSync(checkout, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra });

function node(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: checkout, env: env(extra), encoding: 'utf8' }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs the checkout's `gennaker args`; answers what it printed and every module it loaded. */
async function gennaker(args: string[]): Promise<{ code: number; stdout: string; stderr: string; loaded: string[] }> {
  const log = join(checkout, `modules-${++runs}.txt`);
  const result = await node(['--import', moduleLog, bin, ...args], { MODULE_LOG: log });
  return { ...result, loaded: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

const typescriptIn = (loaded: readonly string[]) => loaded.filter((module) => /\.ts(\?|$)/.test(module) || module.includes('/node_modules/tsx/'));
const bundleEntry = () => pathToFileURL(join(checkout, 'dist', 'cli', 'main.js')).href;

describe('the compiled CLI', () => {
  it('prints --help from JavaScript alone', async () => {
    const { code, stdout, loaded } = await gennaker(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('gennaker: Spinnaker pipelines, run serverless.');
    expect(loaded).toContain(bundleEntry());
    expect(typescriptIn(loaded)).toEqual([]);
  });

  it('validates a 27-stage pipeline from JavaScript alone, without the YAML parser for JSON', async () => {
    const yamlParser = (loaded: readonly string[]) => loaded.filter((module) => module.endsWith('/dist/cli/yaml.cjs'));
    const json = await gennaker(['validate', join(root, 'test/fixtures/pipelines/twenty-seven-stages.json')]);
    expect(json.stderr).toContain('twenty-seven-stages.json: 1 pipeline valid');
    expect(json.code).toBe(0);
    expect(typescriptIn(json.loaded)).toEqual([]);
    expect(yamlParser(json.loaded)).toEqual([]);
    const yaml = await gennaker(['validate', join(root, 'test/fixtures/pipelines/release.yaml')]);
    expect(yaml.stderr).toContain('release.yaml: 1 pipeline valid');
    expect(yaml.code).toBe(0);
    expect(yamlParser(yaml.loaded)).toHaveLength(1);
  });

  it('runs up --port 0, and a client command finds it through the port it recorded', { timeout: 120_000 }, async () => {
    const data = join(checkout, 'state');
    const log = join(checkout, 'modules-up.txt');
    const up = spawn(process.execPath, ['--import', moduleLog, bin, 'up', '--port', '0', '--data', data], { cwd: checkout, env: env({ MODULE_LOG: log }) });
    started.push(up);
    let output = '';
    const endpoint = await new Promise<string>((done, fail) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Gennaker is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) done(match[1]!);
      };
      up.stdout.on('data', onData);
      up.stderr.on('data', onData);
      up.once('exit', (code) => fail(new Error(`gennaker up exited with ${code}: ${output}`)));
    });
    expect(readFileSync(join(data, 'endpoint'), 'utf8').trim()).toBe(endpoint);
    // No --endpoint: the command reads <data>/endpoint (and <data>/token beside it).
    const listed = await gennaker(['pipeline', 'list', 'shop', '--data', data]);
    expect(listed.stderr).toContain("application 'shop' has no pipelines");
    expect(listed.code).toBe(0);
    expect(typescriptIn(listed.loaded)).toEqual([]);
    up.kill('SIGTERM');
    await new Promise((done) => up.once('exit', done));
    expect(up.exitCode).toBe(0);
    expect(existsSync(join(data, 'endpoint'))).toBe(false);
    // The server ran from the bundle too, dynalite found from there (the sources' relative require).
    const upLoaded = readFileSync(log, 'utf8').trim().split('\n');
    expect(upLoaded).toContain(bundleEntry());
    expect(upLoaded.some((module) => module.includes('/node_modules/dynalite/'))).toBe(true);
    expect(typescriptIn(upLoaded)).toEqual([]);
    // What only some runs need loads when first used: the mailer with the first mail.
    expect(upLoaded.filter((module) => module.includes('/node_modules/nodemailer/'))).toEqual([]);
  });

  it('ends quietly when the reader of its output goes away (| head -1)', async () => {
    let child!: ChildProcess;
    const server: Server = createServer((request, response) => {
      // The reader is gone before the answer arrives, so the command's first write meets a closed pipe.
      child.stdout!.destroy();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, name: `Pipeline ${i}`, version: 1 }))));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      child = spawn(process.execPath, [bin, 'pipeline', 'list', 'shop', '--endpoint', endpoint], { cwd: checkout, env: env({ GENNAKER_TOKEN: 't' }), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((done) => child.once('close', done));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });

  it('lets an install succeed when compiling fails, saying the command runs from its sources', async () => {
    const blocker = join(checkout, 'not-a-directory');
    writeFileSync(blocker, '');
    const result = await node([join(root, 'scripts', 'build-cli.js'), '--prepare', '--outdir', join(blocker, 'cli')]);
    expect(result.stderr).toMatch(/^gennaker: the CLI was not compiled \(.+\); it runs from its TypeScript sources through tsx, more slowly, until 'npm run build:cli' compiles it\n$/);
    expect(result.code).toBe(0);
  });

  it('never runs stale: a source changed since the build runs from the sources instead', async () => {
    const stampPath = join(checkout, 'dist', 'cli', 'bundle.json');
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as { entry: string; sources: Record<string, [number, number]> };
    // client-node is compiled in (an idle `up --sandbox` holds far less of it), so a reinstall of it makes the bundle stale too.
    expect(Object.keys(stamp.sources).some((path) => path.endsWith('node_modules/@kubernetes/client-node/package.json'))).toBe(true);
    const edited = Object.keys(stamp.sources).find((path) => path.endsWith('/cli/usage.ts'))!;
    expect(edited).toBeDefined();
    // As after an edit of cli/usage.ts: its modification time is no longer the one recorded.
    const [mtimeMs, size] = stamp.sources[edited]!;
    writeFileSync(stampPath, JSON.stringify({ ...stamp, sources: { ...stamp.sources, [edited]: [mtimeMs - 1, size] } }));
    const { code, stdout, loaded } = await gennaker(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('gennaker: Spinnaker pipelines, run serverless.');
    expect(loaded).not.toContain(bundleEntry());
    expect(loaded.some((module) => module.endsWith('/cli/main.ts'))).toBe(true);
  });
});
