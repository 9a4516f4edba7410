/**
 * `runJob` jobs across the life of `gennaker up` (a real child process, driven through its API):
 * a job survives a SIGKILL of `up`, the restarted execution continues it rather than
 * starting a second copy and completes with its outputs; a canceled execution, and one that
 * ends TERMINAL while its job runs, leave no job process behind.
 *
 * Each job is a shell loop that records its start and pid in a marker directory, then waits for
 * a release file (so the test decides when it ends, not a clock).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../adapters/targets/local/processes.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const work = mkdtempSync(join(tmpdir(), 'gennaker-up-jobs-'));
const dataDir = join(work, '.gennaker');
const marks = join(work, 'marks');
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

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
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gennaker is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolvePromise({ child, endpoint: match[1]!, output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gennaker up exited with ${code}: ${output}`)));
  });
}

/** One call of the API with the server's token; answers the status and the parsed body. */
async function api<T = Record<string, unknown>>(endpoint: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

/** Starts a saved pipeline; answers the execution id. */
async function execute(endpoint: string, name: string): Promise<string> {
  const started = await api<{ ref: string }>(endpoint, 'POST', `/pipelines/jobs/${encodeURIComponent(name)}`, {});
  expect(started.status, JSON.stringify(started.body)).toBeLessThan(300);
  return started.body.ref.replace(/^\/pipelines\//, '');
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
}

async function until<T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Lines a job wrote to a marker file (empty when it does not exist yet). */
function marked(name: string): string[] {
  const file = join(marks, name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

/** A job that records its start and its pid under its name, then waits for `<name>.release`. */
function waitingJob(name: string): Record<string, unknown> {
  return {
    type: 'runJob',
    cloudProvider: 'local',
    env: { MARKS: marks, NAME: name },
    shell: 'echo started >> "$MARKS/$NAME.starts"; echo $$ > "$MARKS/$NAME.pid"; while [ ! -e "$MARKS/$NAME.release" ]; do sleep 0.05; done; echo "result=done-$NAME" > "$JOB_WORK_DIR/out.properties"',
    propertyFile: 'out.properties',
  };
}

interface OrcaExecution {
  readonly status: string;
  readonly stages: ReadonlyArray<{ readonly refId: string; readonly status: string; readonly outputs?: Record<string, unknown> }>;
}

async function execution(endpoint: string, id: string): Promise<OrcaExecution> {
  return (await api<OrcaExecution>(endpoint, 'GET', `/pipelines/${id}`)).body;
}

const jobPids: number[] = [];

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(started.map(exited));
  for (const pid of jobPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe('runJob jobs and gennaker up', () => {
  it('continues a job across a SIGKILL of up without starting it twice; cancel and TERMINAL stop jobs', { timeout: 240_000 }, async () => {
    // given a server and three pipelines with a waiting job
    mkdirSync(marks, { recursive: true });
    const first = await up();
    const pipelines = {
      migrate: { application: 'jobs', name: 'Migrate', stages: [{ refId: '1', requisiteStageRefIds: [], name: 'Migrate', ...waitingJob('migrate') }] },
      cancel: { application: 'jobs', name: 'Cancel me', stages: [{ refId: '1', requisiteStageRefIds: [], name: 'Long job', ...waitingJob('cancel') }] },
      halt: {
        application: 'jobs',
        name: 'Halt',
        stages: [
          { refId: '1', requisiteStageRefIds: [], name: 'Long job', ...waitingJob('halt') },
          // Fails the pipeline once the long job runs.
          { refId: '2', requisiteStageRefIds: [], type: 'runJob', cloudProvider: 'local', name: 'Failing check', env: { MARKS: marks }, shell: 'while [ ! -e "$MARKS/halt.pid" ]; do sleep 0.05; done; exit 1' },
        ],
      },
    };
    for (const pipeline of Object.values(pipelines)) {
      const saved = await api(first.endpoint, 'POST', '/pipelines', pipeline);
      expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);
    }

    // when the job of an execution runs and up is killed with SIGKILL
    const interrupted = await execute(first.endpoint, 'Migrate');
    await until('the job to start', () => marked('migrate.pid'), (lines) => lines.length === 1);
    const jobPid = Number(marked('migrate.pid')[0]);
    jobPids.push(jobPid);
    first.child.kill('SIGKILL');
    await exited(first.child);

    // then the job keeps running while no up runs, and the restarted up resumes the execution, which continues the same job
    const second = await up();
    expect(second.output()).toContain(`execution ${interrupted} was interrupted when Gennaker stopped; resumed where it stopped`);
    expect(isAlive(jobPid)).toBe(true);
    await until('the resumed stage to wait on the job', () => execution(second.endpoint, interrupted), (e) => e.status === 'RUNNING' && e.stages[0]?.status === 'RUNNING');
    writeFileSync(join(marks, 'migrate.release'), '');

    // then the execution completes with the job's outputs, and the job ran once
    const done = await until('the resumed execution to end', () => execution(second.endpoint, interrupted), (e) => e.status !== 'RUNNING' && e.status !== 'NOT_STARTED');
    expect(done.status).toBe('SUCCEEDED');
    expect(done.stages[0]!.outputs).toMatchObject({ result: 'done-migrate' });
    expect(marked('migrate.starts')).toEqual(['started']);
    await until('the job process to end', () => isAlive(jobPid), (alive) => !alive);

    // when an execution whose job runs is canceled
    const canceled = await execute(second.endpoint, 'Cancel me');
    await until('the job to start', () => marked('cancel.pid'), (lines) => lines.length === 1);
    const cancelPid = Number(marked('cancel.pid')[0]);
    jobPids.push(cancelPid);
    expect((await api(second.endpoint, 'PUT', `/pipelines/${canceled}/cancel?reason=wrong%20build`)).status).toBeLessThan(300);
    // then its job process is gone, never released
    await until('the canceled job to be stopped', () => isAlive(cancelPid), (alive) => !alive);
    expect((await execution(second.endpoint, canceled)).status).toBe('CANCELED');

    // when another stage of an execution fails the pipeline while its job runs
    const halted = await execute(second.endpoint, 'Halt');
    await until('the execution to end TERMINAL', () => execution(second.endpoint, halted), (e) => e.status === 'TERMINAL');
    // then its job was stopped too, never released
    const haltPid = Number(marked('halt.pid')[0]);
    jobPids.push(haltPid);
    await until('the job of the TERMINAL execution to be stopped', () => isAlive(haltPid), (alive) => !alive);
    expect(marked('halt.starts')).toEqual(['started']);

    second.child.kill('SIGTERM');
    await exited(second.child);
  });
});
