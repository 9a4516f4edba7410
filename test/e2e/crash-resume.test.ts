/**
 * `gennaker up` killed with SIGKILL in the middle of a red/black deploy under load, at each step
 * of it, then started again on the same data: the deploy resumes from its saved plan and
 * finishes, exactly one new server group is made per deploy, no server group is left enabled
 * and unhealthy, the load balancer (a router process that outlives `up`) loses no request
 * across the restart, and once everything is destroyed no process of the state directory is
 * left. The step is chosen deterministically by what the cluster shows, so each run covers:
 * before the plan (just started), the new server group created but not yet healthy, healthy
 * but the old one still in traffic, and the old one out of traffic but the stage not finished.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalDeployTarget } from '../../adapters/targets/local/local-deploy-target.ts';
import { startLoad, type RunningLoad } from '../support/http-load.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const service = join(root, 'examples/service');
const dataDir = mkdtempSync(join(tmpdir(), 'gennaker-crash-'));
const stateDir = join(dataDir, 'targets', 'local');
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
let server: ChildProcess | undefined;
let endpoint = '';

interface ServerGroupView {
  readonly name: string;
  readonly disabled: boolean;
  readonly instances: ReadonlyArray<{ readonly health: string }>;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((done) => child.once('exit', () => done()));
}

/** Starts `gennaker up` on the data directory; resolves once it answers. */
async function up(): Promise<void> {
  const child = spawn(process.execPath, [bin, 'up', '--port', '0', '--data', dataDir], { env });
  server = child;
  let output = '';
  endpoint = await new Promise<string>((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gennaker is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolvePromise(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gennaker up exited with ${code}: ${output}`)));
  });
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function cluster(): Promise<{ endpoint?: string; serverGroups: readonly ServerGroupView[] }> {
  const answer = await api<{ regions: Array<{ endpoint?: string; serverGroups: ServerGroupView[] }> }>('GET', '/applications/crash/clusters/local/crash-prod?regions=local');
  return answer.regions[0] ?? { serverGroups: [] };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Deploys `version` with red/black; answers the execution id without waiting. */
async function startDeploy(version: string): Promise<string> {
  const started = await api<{ ref: string }>('POST', '/pipelines/crash/Deploy', { parameters: { version } });
  return started.ref.replace('/pipelines/', '');
}

async function finished(executionId: string): Promise<{ status: string; stages: Array<{ status: string; context: Record<string, unknown> }> }> {
  return until(`execution ${executionId} to complete`, async () => {
    const execution = await api<{ status: string; stages: Array<{ status: string; context: Record<string, unknown> }> }>('GET', `/pipelines/${executionId}`);
    return ['SUCCEEDED', 'TERMINAL', 'CANCELED', 'STOPPED'].includes(execution.status) ? execution : undefined;
  });
}

/** Processes whose command line names the state directory (the router and the instances). */
function processesOf(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const names = (groups: readonly ServerGroupView[]) => groups.map((group) => group.name);
const allUp = (group: ServerGroupView | undefined) => group !== undefined && group.instances.length > 0 && group.instances.every((instance) => instance.health === 'Up');

/** When to kill `up`, read from the cluster as the deploy of `created` goes on. */
const KILL_POINTS: ReadonlyArray<{ readonly when: string; readonly reached: (groups: readonly ServerGroupView[], created: string, previous: string) => boolean }> = [
  { when: 'just after the start, before the plan', reached: () => true },
  { when: 'the new server group created, not yet healthy', reached: (groups, created) => groups.some((group) => group.name === created && !allUp(group)) },
  { when: 'the new server group healthy, the old one still in traffic', reached: (groups, created, previous) => allUp(groups.find((group) => group.name === created)) && groups.some((group) => group.name === previous && !group.disabled) },
  { when: 'the old server group out of traffic', reached: (groups, _created, previous) => groups.some((group) => group.name === previous && group.disabled) },
];

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
  if (server) await exited(server);
  await (await createLocalDeployTarget({ stateDir, killGraceMs: 500 })).destroyAll();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SIGKILL of gennaker up during a red/black deploy under load', () => {
  it('resumes each deploy where it stopped, with one new server group, nothing unhealthy in traffic and no failed request', { timeout: 240_000 }, async () => {
    // given: up, a red/black pipeline, and v000 serving
    await up();
    await api('POST', '/pipelines', {
      application: 'crash',
      name: 'Deploy',
      parameterConfig: [{ name: 'version', default: '1.0.0' }],
      stages: [
        {
          refId: '1',
          type: 'deploy',
          name: 'Deploy',
          clusters: [
            {
              account: 'local',
              cloudProvider: 'local',
              application: 'crash',
              stack: 'prod',
              availabilityZones: { local: [] },
              capacity: { min: 2, max: 2, desired: 2 },
              strategy: 'redblack',
              maxRemainingAsgs: 2,
              rollback: { onFailure: true },
              waitForHealthyTimeoutSec: 60,
              artifact: { type: 'directory', reference: service, version: '${parameters.version}' },
              healthCheck: { path: '/health', intervalMs: 100 },
            },
          ],
        },
      ],
    });
    expect((await finished(await startDeploy('1.0.0'))).status).toBe('SUCCEEDED');
    const lb = (await cluster()).endpoint!;
    const load: RunningLoad = startLoad({ url: `${lb}/`, concurrency: 4, ratePerSecond: 100, timeoutMs: 10_000 });
    const report: string[] = [];

    for (const [index, point] of KILL_POINTS.entries()) {
      const previous = `crash-prod-v${String(index).padStart(3, '0')}`;
      const created = `crash-prod-v${String(index + 1).padStart(3, '0')}`;
      // when: a deploy runs until the kill point, and up dies there
      const executionId = await startDeploy(`1.${index + 1}.0`);
      await until(point.when, async () => (point.reached((await cluster()).serverGroups, created, previous) ? true : undefined));
      server!.kill('SIGKILL');
      await exited(server!);
      const sentWhileDown = load.snapshot().sent;
      await sleep(300);
      // then, once up is back on the same data, the deploy finishes by itself
      await up();
      const execution = await finished(executionId);
      const groups = (await cluster()).serverGroups;
      report.push(`${point.when}: ${execution.status}, ${names(groups).join(' ')}, ${load.snapshot().sent - sentWhileDown} requests since the kill`);
      expect(execution.status, `${point.when}: ${JSON.stringify(execution.stages[0]?.context.exception ?? '')}`).toBe('SUCCEEDED');
      expect(names(groups)).toEqual([previous, created]);
      expect(groups.find((group) => group.name === created)).toMatchObject({ disabled: false });
      expect(allUp(groups.find((group) => group.name === created))).toBe(true);
      expect(groups.find((group) => group.name === previous)).toMatchObject({ disabled: true });
      // no enabled server group is unhealthy
      expect(groups.filter((group) => !group.disabled && !allUp(group)).map((group) => group.name)).toEqual([]);
    }
    const result = await load.stop();
    process.stdout.write(`[crash-resume] ${report.join('\n[crash-resume] ')}\n[crash-resume] load: ${result.sent} sent, ${result.failures.length} failed\n`);
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(200);

    // and nothing is left behind once everything is destroyed
    server!.kill('SIGTERM');
    await exited(server!);
    await (await createLocalDeployTarget({ stateDir, killGraceMs: 500 })).destroyAll();
    await until('no process of the state directory', async () => (processesOf(stateDir).length === 0 ? true : undefined), 10_000).catch(() => {
      throw new Error(`processes of the state directory are left: ${processesOf(stateDir).join('; ')}`);
    });
  });
});
