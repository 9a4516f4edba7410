/**
 * `gennaker up` as a user runs it: a real child process on a free port, driven by the CLI's
 * client commands (themselves child processes). Then a crash (SIGKILL) while a manual judgment
 * waits, and a restart on the same data directory: nothing saved is lost, and the interrupted
 * execution is resumed where it stopped.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const work = mkdtempSync(join(tmpdir(), 'gennaker-up-'));
const dataDir = join(work, '.gennaker');
// A small body limit from the environment, to see `up` apply it (README: Security, input limits).
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', GENNAKER_MAX_CONFIG_BYTES: '65536' };

interface Up {
  readonly child: ChildProcess;
  readonly endpoint: string;
  output(): string;
}

const started: ChildProcess[] = [];

/** Starts `gennaker up --port 0` and waits for the line that names the bound port. */
function up(): Promise<Up> {
  const child = spawn(process.execPath, [bin, 'up', '--port', '0', '--data', dataDir], { cwd: work, env });
  started.push(child);
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`gennaker up did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gennaker is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, endpoint: match[1]!, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gennaker up exited with ${code}: ${output}`)));
  });
}

function gennaker(endpoint: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [bin, ...args, '--endpoint', endpoint, '--data', dataDir], { cwd: work, env }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
}

/**
 * An execution as the API shows it (Orca's shape), read over HTTP with the server's token: the
 * waits below poll this, not the CLI, so each poll is one request instead of a process start.
 */
async function execution(endpoint: string, id: string): Promise<{ status: string; stages: Array<{ status: string }> }> {
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const response = await fetch(`${endpoint}/pipelines/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } });
  return (await response.json()) as { status: string; stages: Array<{ status: string }> };
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(started.map(exited));
  rmSync(work, { recursive: true, force: true });
});

describe('gennaker up', () => {
  it('serves the API to the CLI, and loses nothing when killed mid-execution', { timeout: 180_000 }, async () => {
    // given: a server and a saved pipeline that waits for a judgment
    const first = await up();
    expect(statSync(join(dataDir, 'token')).mode & 0o777).toBe(0o600);
    const file = join(work, 'pipeline.json');
    writeFileSync(
      file,
      JSON.stringify({
        application: 'demo',
        name: 'Release',
        parameterConfig: [{ name: 'version', default: '1' }],
        stages: [
          { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Bake', waitTime: 0 },
          { refId: '2', requisiteStageRefIds: ['1'], type: 'manualJudgment', name: 'Approve' },
          { refId: '3', requisiteStageRefIds: ['2'], type: 'wait', name: 'Ship', waitTime: 0 },
        ],
      }),
    );
    const saved = await gennaker(first.endpoint, ['pipeline', 'save', '-f', file]);
    expect(saved.stderr).toContain('saved demo/Release');
    expect(saved.code).toBe(0);
    const oversized = join(work, 'oversized.json');
    writeFileSync(oversized, JSON.stringify({ application: 'demo', name: 'Big', description: 'x'.repeat(65_536), stages: [] }));
    const refused = await gennaker(first.endpoint, ['pipeline', 'save', '-f', oversized]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('over the limit of 64 KiB');

    // when: one execution is judged through to the end
    const executed = await gennaker(first.endpoint, ['pipeline', 'execute', 'demo', 'Release', '--param', 'version=2']);
    expect(executed.code).toBe(0);
    const done = executed.stdout.trim();
    await until('the judgment', () => execution(first.endpoint, done), (e) => e.stages[1]!.status === 'RUNNING');
    const shown = await gennaker(first.endpoint, ['execution', 'get', done, '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).stages[1].status).toBe('RUNNING');
    expect((await gennaker(first.endpoint, ['judge', done, 'Approve', 'continue'])).code).toBe(0);
    const watched = await gennaker(first.endpoint, ['execution', 'watch', done]);
    expect(watched.stderr).toContain(`execution ${done} SUCCEEDED`);
    expect(watched.code).toBe(0);

    // and another is left waiting when the server is killed
    const waiting = (await gennaker(first.endpoint, ['pipeline', 'execute', 'demo', 'Release'])).stdout.trim();
    await until('the second judgment', () => execution(first.endpoint, waiting), (e) => e.stages[1]!.status === 'RUNNING');
    first.child.kill('SIGKILL');
    await exited(first.child);

    // then: a new server on the same data directory still has everything, and resumes the interrupted execution
    const second = await up();
    expect(second.output()).toContain(`execution ${waiting} was interrupted when Gennaker stopped; resumed where it stopped`);
    const listed = await gennaker(second.endpoint, ['pipeline', 'list', 'demo']);
    expect(listed.stdout).toContain('Release');
    const executions = JSON.parse((await gennaker(second.endpoint, ['execution', 'list', 'demo', '--json'])).stdout) as Array<{ id: string; status: string }>;
    expect(executions.map((e) => e.id)).toEqual([waiting, done]);
    expect(executions.find((e) => e.id === done)!.status).toBe('SUCCEEDED');
    expect(executions.find((e) => e.id === waiting)!.status).toBe('RUNNING');
    // it asks for its judgment again, and goes on once judged
    await until('the resumed judgment', async () => {
      const judged = await gennaker(second.endpoint, ['judge', waiting, 'Approve', 'continue']);
      return judged.code === 0 ? judged : undefined;
    }, (judged) => judged !== undefined);
    const resumed = await gennaker(second.endpoint, ['execution', 'watch', waiting, '--json']);
    expect(JSON.parse(resumed.stdout).status).toBe('SUCCEEDED');

    // and a finished execution restarts from its judgment
    const restarted = await gennaker(second.endpoint, ['execution', 'restart', done, 'Approve']);
    expect(restarted.code).toBe(0);
    const again = restarted.stdout.trim();
    await until('the restarted judgment', () => execution(second.endpoint, again), (e) => e.stages[1]!.status === 'RUNNING');
    expect((await gennaker(second.endpoint, ['judge', again, '2', 'continue'])).code).toBe(0);
    const finished = await gennaker(second.endpoint, ['execution', 'watch', again, '--json']);
    expect(JSON.parse(finished.stdout).status).toBe('SUCCEEDED');

    // and a canceled execution says why wherever its status is printed
    const canceled = (await gennaker(second.endpoint, ['pipeline', 'execute', 'demo', 'Release'])).stdout.trim();
    await until('the judgment to cancel', async () => JSON.parse((await gennaker(second.endpoint, ['execution', 'get', canceled, '--json'])).stdout), (e) => e.stages[1].status === 'RUNNING');
    expect((await gennaker(second.endpoint, ['execution', 'cancel', canceled, '--reason', 'wrong build'])).code).toBe(0);
    await until('the cancellation', async () => JSON.parse((await gennaker(second.endpoint, ['execution', 'get', canceled, '--json'])).stdout), (e) => e.status === 'CANCELED');
    for (const command of ['get', 'watch']) {
      const shown = await gennaker(second.endpoint, ['execution', command, canceled]);
      expect(shown.stderr).toContain(`Release: execution ${canceled} CANCELED: wrong build\n`);
    }
    const check = join(work, 'check.json');
    writeFileSync(
      check,
      JSON.stringify({
        application: 'demo',
        name: 'Check',
        stages: [{ refId: '1', type: 'checkPreconditions', name: 'Gate', preconditions: [{ type: 'expression', context: { expression: '${1 > 2}' } }] }],
      }),
    );
    expect((await gennaker(second.endpoint, ['pipeline', 'save', '-f', check])).code).toBe(0);
    const failed = await gennaker(second.endpoint, ['pipeline', 'execute', 'demo', 'Check', '--watch']);
    expect(failed.stderr).toMatch(/Check: stage 'Gate' \[1\] TERMINAL \(\d+(\.\d)? m?s\): precondition expression '\$\{1 > 2\}' is false\n/);
    expect(failed.stderr).toMatch(/Check: execution \w+ TERMINAL: stage 'Gate': precondition expression '\$\{1 > 2\}' is false\n/);
    expect(failed.code).toBe(1);

    // and errors are one line with exit code 1, usage errors exit 2
    const missing = await gennaker(second.endpoint, ['execution', 'get', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect((await gennaker(second.endpoint, ['judge', again])).code).toBe(2);

    second.child.kill('SIGTERM');
    await exited(second.child);
    expect(second.child.exitCode).toBe(0);
  });
});
