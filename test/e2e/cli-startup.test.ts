/**
 * What the `gennaker` command loads at start: a command's code is imported when that command
 * runs, so `--help` and the commands that only call the API start without the pipeline schemas
 * (zod), the YAML reader, the compiler, the stages, the local runtime or the AWS SDK; SigV4
 * loads the SDK's signer only when a request is signed. Each case is a real child process with
 * test/support/module-log.mjs listing every module it loads. When the command runs the compiled
 * CLI (dist/cli/, current with the sources), a loaded chunk stands for the sources compiled into
 * it (its meta.json), so the same expectations hold for both ways the command runs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const moduleLog = join(root, 'test/support/module-log.mjs');
const bundleDir = join(root, 'dist/cli');

/**
 * The sources compiled into each file of the compiled CLI (none without a build), by the file's
 * URL (as ES modules are logged) and path (as CommonJS ones are: yaml.cjs).
 */
function bundleSources(): Map<string, string[]> {
  try {
    const { outputs } = JSON.parse(readFileSync(join(bundleDir, 'meta.json'), 'utf8')) as { outputs: Record<string, string[]> };
    return new Map(
      Object.entries(outputs).flatMap(([chunk, inputs]) => {
        const sources = inputs.map((input) => pathToFileURL(resolve(root, input)).href);
        return [[pathToFileURL(join(bundleDir, chunk)).href, sources] as const, [join(bundleDir, chunk), sources] as const];
      }),
    );
  } catch {
    return new Map();
  }
}

/** Modules only commands that read, compile or run pipelines (or sign requests) need. */
const HEAVY = [/\/node_modules\/zod\//, /\/node_modules\/yaml\//, /\/node_modules\/@aws-sdk\//, /\/node_modules\/@smithy\//, /\/core\/pipeline\//, /\/core\/stages\//, /\/statemachines\//, /\/local\/wiring\.ts$/];

const EXECUTION = {
  id: '01JEXECUTION',
  type: 'PIPELINE',
  application: 'shop',
  name: 'Release',
  pipelineConfigId: 'p1',
  status: 'SUCCEEDED',
  buildTime: 1_000,
  startTime: 1_000,
  endTime: 4_000,
  canceled: false,
  canceledBy: null,
  cancellationReason: null,
  limitConcurrent: false,
  keepWaitingPipelines: false,
  maxConcurrentExecutions: 0,
  trigger: { type: 'manual' },
  stages: [{ id: 's1', refId: '1', type: 'wait', name: 'Pause', status: 'SUCCEEDED', context: { waitTime: 3 }, outputs: {}, startTime: 1_000, endTime: 4_000, requisiteStageRefIds: [], lastModified: 4_000 }],
};

let work: string;
let server: Server;
let endpoint: string;
const requests: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gennaker-cli-startup-'));
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(request.url === `/pipelines/${EXECUTION.id}` ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(request.url === `/pipelines/${EXECUTION.id}` ? EXECUTION : { error: `no route ${request.url}` }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(work, { recursive: true, force: true });
});

let runs = 0;

/** Runs `gennaker args` (asynchronously: the API server answers from this process) and lists what it loaded. */
async function gennaker(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; loaded: string[] }> {
  const log = join(work, `modules-${++runs}.txt`);
  const environment: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', MODULE_LOG: log, GENNAKER_TOKEN: 'test-token', ...env };
  for (const name of ['GENNAKER_AUTH', 'AWS_PROFILE'].filter((name) => !(name in env))) delete environment[name];
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ['--import', moduleLog, bin, ...args], { cwd: work, env: environment, encoding: 'utf8' }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
  let loaded: string[] = [];
  try {
    loaded = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    loaded = [];
  }
  // Read after the run: the chunks this run loaded are the ones meta.json describes now.
  const chunks = bundleSources();
  return { code, stdout, stderr, loaded: loaded.flatMap((module) => chunks.get(module.replace(/\?.*$/, '')) ?? [module]) };
}

const heavyIn = (loaded: readonly string[]) => loaded.filter((module) => HEAVY.some((pattern) => pattern.test(module.replace(/\?.*$/, ''))));

describe('the gennaker command at start', () => {
  it('prints --help without loading any command', async () => {
    const { code, stdout, loaded } = await gennaker(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('gennaker: Spinnaker pipelines, run serverless.');
    expect(loaded.some((module) => module.endsWith('/cli/main.ts'))).toBe(true);
    expect(loaded.filter((module) => /\/cli\/commands\//.test(module))).toEqual([]);
    expect(heavyIn(loaded)).toEqual([]);
  });

  it('runs execution get against the API without the pipeline schemas, the runtime or the AWS SDK', async () => {
    const { code, stderr, loaded } = await gennaker(['execution', 'get', EXECUTION.id, '--endpoint', endpoint]);
    expect(stderr).toContain(`Release: execution ${EXECUTION.id} SUCCEEDED`);
    expect(code).toBe(0);
    expect(requests).toContain(`GET /pipelines/${EXECUTION.id}`);
    expect(loaded.some((module) => module.endsWith('/cli/commands/api-commands.ts'))).toBe(true);
    expect(heavyIn(loaded)).toEqual([]);
  });

  it('loads the SDK signer only when the request is signed (GENNAKER_AUTH=sigv4)', async () => {
    const { code, stderr, loaded } = await gennaker(['execution', 'get', 'unknown', '--endpoint', endpoint], {
      GENNAKER_AUTH: 'sigv4',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDSTARTUPTEST',
      AWS_SECRET_ACCESS_KEY: 'startup-test-secret',
    });
    expect(stderr.trim()).toBe('error: no route /pipelines/unknown');
    expect(code).toBe(1);
    expect(loaded.some((module) => module.includes('/node_modules/@smithy/signature-v4/'))).toBe(true);
    expect(heavyIn(loaded).filter((module) => !/@aws-sdk|@smithy/.test(module))).toEqual([]);
  });

  it('runs a pipeline without the Kubernetes client when no account is on Kubernetes, and loads it for one that is', async () => {
    const pipeline = join(work, 'hold.json');
    writeFileSync(pipeline, JSON.stringify({ application: 'shop', name: 'Hold', stages: [{ refId: '1', type: 'wait', name: 'Pause', waitTime: 0 }] }));
    const kubernetesClient = (loaded: readonly string[]) => loaded.filter((module) => module.includes('/node_modules/@kubernetes/client-node/'));
    const plain = await gennaker(['run', pipeline, '--data', join(work, 'plain-data')]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(kubernetesClient(plain.loaded)).toEqual([]);
    // An accounts file with a Kubernetes account: the client loads to connect it (here it cannot, and says so).
    const data = join(work, 'k8s-data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'accounts.json'), JSON.stringify({ accounts: [{ name: 'k8s', cloudProvider: 'kubernetes', kubeconfigFile: join(work, 'missing-kubeconfig') }] }));
    const connecting = await gennaker(['run', pipeline, '--data', data]);
    expect(connecting.code).toBe(1);
    expect(connecting.stderr).toMatch(/kubernetes account 'k8s'/);
    expect(kubernetesClient(connecting.loaded).length).toBeGreaterThan(0);
  });

  it('loads the pipeline schemas for validate, which needs them', async () => {
    const { code, stderr, loaded } = await gennaker(['validate', join(root, 'examples/pipelines/release.json')]);
    expect(stderr).toContain('1 pipeline valid');
    expect(code).toBe(0);
    expect(loaded.some((module) => module.includes('/core/pipeline/parse.ts'))).toBe(true);
    expect(loaded.some((module) => module.includes('/node_modules/zod/'))).toBe(true);
  });
});
