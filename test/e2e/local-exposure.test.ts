/**
 * What a running `gennaker up` offers another process on the machine. A real `gennaker up` (a
 * child process) deploys the sample service to the local target; then every listening socket of
 * its process tree is read from /proc, as an attacker would find it, and probed:
 * - no socket answers DynamoDB (the embedded store runs inside the process, with no listener),
 *   and none grants cross-origin reads (`Access-Control-Allow-Origin: *`);
 * - every TCP listener is on loopback and is the API (which answers 401 without the token), the
 *   cluster's load balancer or one of its instances, or answers 401 without the token itself;
 * - a unix socket, if any, is a file only its owner may connect to;
 * - the state directory is 0700 and every file in it 0600 or tighter (token, store, target
 *   state, logs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { listeningSockets, processTree, type ListeningTcpSocket, type ListeningUnixSocket } from '../support/listening-sockets.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const serviceDir = join(root, 'examples/service');
const work = mkdtempSync(join(tmpdir(), 'gennaker-exposure-'));
const stateDir = join(work, '.gennaker');
// The body limits come from the environment: small ones here, to see them applied.
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', GENNAKER_MAX_CONFIG_BYTES: '65536', GENNAKER_MAX_WEBHOOK_BYTES: '2048' };

let child: ChildProcess | undefined;
let endpoint = '';
let token = '';

afterAll(async () => {
  // Instances outlive the control plane by design (detached, adopted by the next start): end them by pid.
  const descendants = child?.pid === undefined ? [] : processTree(child.pid).slice(1);
  await stopUp();
  for (const pid of descendants) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(work, { recursive: true, force: true });
});

async function stopUp(): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolvePromise) => child!.once('exit', () => resolvePromise()));
  child.kill('SIGTERM');
  await exited;
}

function startUp(): Promise<void> {
  // The sample service lies outside the directory up starts in: it is named as a root (dangerous powers).
  child = spawn(process.execPath, [bin, 'up', '--port', '0', '--data', stateDir, '--root', serviceDir], { cwd: work, env });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`gennaker up did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gennaker is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        endpoint = match[1]!;
        resolvePromise();
      }
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.once('exit', (code) => reject(new Error(`gennaker up exited with ${code}: ${output}`)));
  });
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One raw HTTP request to 127.0.0.1:port, without any credential; never throws (a refused or reset connection is status 0). */
function probe(port: number, method: string, path: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  return new Promise((resolvePromise) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < 10_000) text += chunk;
      });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolvePromise({ status: 0, headers: {}, body: '' }));
    req.end(body);
  });
}

/** What an attacker sends to find a DynamoDB: ListTables with a made-up SigV4 header (dynalite accepted any). */
function dynamoProbe(port: number): Promise<Answer> {
  return probe(
    port,
    'POST',
    '/',
    {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      'x-amz-date': '20240101T000000Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
      origin: 'http://attacker.example',
    },
    '{}',
  );
}

/** A web page's preflight: would a browser let another origin read this server? */
function corsProbe(port: number): Promise<Answer> {
  return probe(port, 'OPTIONS', '/', { origin: 'http://attacker.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-amz-target' });
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every path under `dir` with its lstat mode. */
function walk(dir: string): Array<{ path: string; mode: number; directory: boolean; socket: boolean }> {
  const entries: Array<{ path: string; mode: number; directory: boolean; socket: boolean }> = [];
  const stats = lstatSync(dir);
  entries.push({ path: dir, mode: stats.mode, directory: stats.isDirectory(), socket: stats.isSocket() });
  if (stats.isDirectory()) for (const name of readdirSync(dir)) entries.push(...walk(join(dir, name)));
  return entries;
}

describe('gennaker up, seen from another process', () => {
  it('listens on nothing but the API, the load balancers and the instances; no DynamoDB, no CORS; state 0700/0600', { timeout: 240_000 }, async () => {
    // given: `gennaker up` with one deployed server group (a load balancer and an instance)
    await startUp();
    token = readFileSync(join(stateDir, 'token'), 'utf8').trim();
    const saved = await api('POST', '/pipelines', {
      application: 'exposure',
      name: 'Deploy',
      stages: [
        {
          refId: '1',
          type: 'deploy',
          name: 'Deploy web',
          clusters: [
            {
              application: 'exposure',
              stack: 'web',
              freeFormDetails: '',
              account: 'local',
              cloudProvider: 'local',
              availabilityZones: { local: ['local'] },
              capacity: { min: 1, max: 1, desired: 1 },
              strategy: 'highlander',
              artifact: { type: 'directory', reference: serviceDir, name: 'exposure', version: '1.0.0' },
              healthCheck: { path: '/health', intervalMs: 200, timeoutMs: 1_000 },
            },
          ],
        },
      ],
    });
    expect(saved.status).toBe(200);
    // (the limits of GENNAKER_MAX_CONFIG_BYTES and GENNAKER_MAX_WEBHOOK_BYTES hold)
    const oversized = await api('POST', '/pipelines', { application: 'exposure', name: 'Big', description: 'x'.repeat(65_536), stages: [] });
    expect(oversized.status).toBe(413);
    expect(oversized.json.error).toContain('over the limit of 64 KiB');
    const hook = await api('POST', '/webhooks/webhook/big', { pad: 'x'.repeat(2048) });
    expect(hook.status).toBe(413);
    expect(hook.json.error).toContain('over the limit of 2 KiB');
    const started = await api('POST', '/pipelines/exposure/Deploy', {});
    expect(started.status).toBe(202);
    const execution = await until('the deploy', () => api('GET', started.json.ref as string), (answer) => ['SUCCEEDED', 'TERMINAL', 'CANCELED'].includes(answer.json?.status));
    expect(execution.json.status).toBe('SUCCEEDED');
    const cluster = (await api('GET', '/applications/exposure/clusters/local/exposure-web')).json;
    const region = cluster.regions[0];
    const lbPort = Number(new URL(region.endpoint as string).port);
    const instancePorts = (region.serverGroups as Array<{ instances: Array<{ address?: string }> }>)
      .flatMap((group) => group.instances)
      .map((instance) => Number(instance.address?.split(':').pop()));
    expect(instancePorts.length).toBeGreaterThan(0);
    const apiPort = Number(new URL(endpoint).port);

    // when: every listening socket of the process tree is found
    const tree = processTree(child!.pid!);
    const sockets = listeningSockets(tree);
    const tcp = sockets.filter((socket): socket is ListeningTcpSocket => socket.kind === 'tcp');

    // then: the API, the load balancer and the instances are among them, all on loopback
    const ports = tcp.map((socket) => socket.port);
    expect(ports).toContain(apiPort);
    expect(ports).toContain(lbPort);
    for (const port of instancePorts) expect(ports).toContain(port);
    for (const socket of tcp) expect({ port: socket.port, address: socket.address, loopback: isLoopback(socket.address) }).toEqual({ port: socket.port, address: socket.address, loopback: true });

    // and: no socket answers DynamoDB or grants another origin, whatever it is
    for (const socket of tcp) {
      const dynamo = await dynamoProbe(socket.port);
      expect({ port: socket.port, dynamo: /TableNames/.test(dynamo.body) }).toEqual({ port: socket.port, dynamo: false });
      expect({ port: socket.port, cors: dynamo.headers['access-control-allow-origin'] }).toEqual({ port: socket.port, cors: undefined });
      const preflight = await corsProbe(socket.port);
      expect({ port: socket.port, cors: preflight.headers['access-control-allow-origin'] }).toEqual({ port: socket.port, cors: undefined });
    }

    // and: the API answers nothing but 401 without the token
    expect((await probe(apiPort, 'GET', '/applications', {})).status).toBe(401);
    expect((await probe(apiPort, 'GET', '/applications/exposure/pipelineConfigs', {})).status).toBe(401);

    // and: any other TCP listener answers nothing without the token either
    const known = new Set([apiPort, lbPort, ...instancePorts]);
    for (const socket of tcp.filter((candidate) => !known.has(candidate.port))) {
      for (const path of ['/', '/_gennaker/metrics']) {
        const answer = await probe(socket.port, 'GET', path, {});
        expect({ port: socket.port, path, status: answer.status }).toEqual({ port: socket.port, path, status: 401 });
      }
    }

    // and: a unix socket, if one listens, is a file only its owner may connect to (connecting needs write permission)
    for (const socket of sockets.filter((candidate): candidate is ListeningUnixSocket => candidate.kind === 'unix')) {
      expect(socket.path.startsWith('/')).toBe(true);
      const stats = lstatSync(socket.path);
      expect({ path: socket.path, uid: stats.uid, groupOrOther: stats.mode & 0o077 }).toEqual({ path: socket.path, uid: process.getuid!(), groupOrOther: 0 });
    }

    // and: the state directory is private, every directory in it 0700 and every file 0600 or tighter
    const entries = walk(stateDir);
    expect(entries.length).toBeGreaterThan(5);
    expect(lstatSync(stateDir).mode & 0o777).toBe(0o700);
    const loose = entries.filter((entry) => (entry.mode & 0o077) !== 0).map((entry) => `${entry.path.slice(stateDir.length)} ${(entry.mode & 0o777).toString(8)}`);
    expect(loose).toEqual([]);
    expect(entries.filter((entry) => entry.path.includes('/data/')).length).toBeGreaterThan(0);
  });
});
