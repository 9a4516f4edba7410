/**
 * The local job runner (core/ports/job-runner.ts): a job is a real child process on this machine.
 *
 * Each job has a directory `<dir>/<id>/` (0700) holding `job.json` (0600: what runs, and the
 * supervisor's pid and process start time), `output.log` (stdout and stderr), `work/` (the
 * default working directory) and, once it has ended, `exit.json`. The command does not run as a
 * direct child of the runner: a small supervisor process (node, in its own process group)
 * starts it, passes signals on, and writes `exit.json` when it ends. So the outcome is on disk
 * whoever asks: a poll from another runner instance, or after `gennaker up` restarted, reads the
 * same answer. A job whose supervisor is gone without an `exit.json` (killed, machine
 * rebooted) is FAILED, saying so.
 *
 * Decisions:
 * - The job id is the owner token (the execution, the stage and the task that start it), and
 *   `job.json` is the claim: the supervisor creates it exclusively before it runs anything, so
 *   of two starts of one id (a redelivered task, two runners, a start retried after a crash)
 *   exactly one runs the command; the others answer that job. The runner returns once the
 *   claim is on disk.
 * - A pid is trusted only with the start time recorded beside it (pids get reused); where the
 *   platform does not tell start times, the supervisor's working directory is checked instead.
 * - A job may continue another (`continues`: the same stage of the execution a restart came
 *   from): while that job still runs, its `job.json` names the other as an alias instead of
 *   starting a second copy, and every call on this id reads the other's directory.
 *
 * The argv is passed to `spawn` as it is: no shell unless the argv names one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { mkdir, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { JobRunner, JobSpec, JobStatus, ReadJobFileResult, StartJobResult } from '../../core/ports/job-runner.ts';
import { isSameProcess, killInstance, spawnInstance, workingDirectoryOf } from '../targets/local/processes.ts';

export interface LocalJobRunnerOptions {
  /** Where job directories live (`.gennaker/jobs`). */
  readonly dir: string;
  /** Environment every job starts with (PATH, HOME...), before its own `env`. @default {} */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** The node that runs the supervisor. @default process.execPath */
  readonly nodePath?: string;
  /** SIGTERM to SIGKILL when a job is canceled. @default 3_000 */
  readonly killGraceMs?: number;
  /** How long a supervisor may take to claim its job before the start fails. @default 15_000 */
  readonly startTimeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface LocalJobRunner extends JobRunner {
  /** Pids of the supervisors of jobs still running (for operators and leak checks). */
  runningPids(): Promise<readonly number[]>;
  /** Cancels every job still running. */
  cancelAll(): Promise<void>;
}

/** What the supervisor is given to run. */
interface JobSpecRecord {
  readonly id: string;
  readonly command: readonly string[];
  /** In the spec file only (deleted once the job is claimed); job.json keeps `envNames`. */
  readonly env: Readonly<Record<string, string>>;
  readonly hide?: readonly string[];
  readonly workingDirectory: string;
  readonly startedTime: number;
}

/** The spec with the supervisor that claimed it: its pid, and its process start time where the platform tells. */
type SupervisedRecord = JobSpecRecord & { readonly pid: number; readonly startTime?: number | null };

/** What job.json holds: a supervised job, or the job this id continues. */
type JobRecord = SupervisedRecord | { readonly id: string; readonly alias: string };

interface ExitRecord {
  readonly exitCode: number | null;
  readonly signal?: string | null;
  readonly error?: string;
  readonly finishedTime: number;
}

const SAFE_ID = /^[a-zA-Z0-9._-]{1,200}$/;
/** Larger property files are refused: stage outputs live in one DynamoDB item. */
const MAX_FILE_BYTES = 256 * 1024;
const TAIL_BYTES = 64 * 1024;
/** Aliases followed at most (a chain of restarts of restarts). */
const MAX_ALIASES = 20;

/**
 * The supervisor (CommonJS, run with `node -e <script> <jobDir> <specFile>`): claims the job by
 * creating job.json exclusively (with its pid and process start time), or exits when another
 * start claimed it first; then starts the argv in the job's working directory with the job's
 * environment, its output going to the supervisor's own (the log file), forwards SIGTERM/SIGINT,
 * and records the exit atomically.
 */
const SUPERVISOR = `
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const dir = process.argv[1];
const specFile = process.argv[2];
const job = JSON.parse(fs.readFileSync(specFile, 'utf8'));
let startTime = null;
try {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  if (Number.isFinite(ticks)) startTime = ticks;
} catch {}
const { env: jobEnv, hide: hidden, ...kept } = job;
// The job's secrets are replaced in what outlives it: job.json and its output, line by line.
const hide = (hidden || []).filter((value) => typeof value === 'string' && value.length >= 4).sort((a, b) => b.length - a.length);
const scrub = (text) => hide.reduce((out, value) => out.split(value).join('******'), text);
// job.json keeps the names of the environment, never its values.
try {
  fs.writeFileSync(dir + '/job.json', JSON.stringify({ ...kept, command: kept.command.map(scrub), envNames: Object.keys(jobEnv || {}), pid: process.pid, startTime }), { flag: 'wx', mode: 0o600 });
} catch (error) {
  fs.rmSync(specFile, { force: true });
  process.exit(error.code === 'EEXIST' ? 0 : 1);
}
fs.rmSync(specFile, { force: true });
let done = false;
const finish = (result) => {
  if (done) return;
  done = true;
  fs.writeFileSync(dir + '/exit.json.tmp', JSON.stringify({ ...result, finishedTime: Date.now() }), { mode: 0o600 });
  fs.renameSync(dir + '/exit.json.tmp', dir + '/exit.json');
};
let child;
// Registered first: a cancel that arrives while the command starts is still recorded.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => (child ? child.kill(signal) : (finish({ exitCode: null, signal }), process.exit(0))));
let open = 0;
let exited = null;
const settle = () => { if (exited && open === 0) finish(exited); };
try {
  child = spawn(job.command[0], job.command.slice(1), { cwd: job.workingDirectory, env: jobEnv, stdio: hide.length > 0 ? ['inherit', 'pipe', 'pipe'] : 'inherit' });
} catch (error) {
  finish({ exitCode: null, error: String(error && error.message) });
  process.exit(0);
}
if (hide.length > 0) {
  const keep = hide[0].length - 1;
  for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    open++;
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      pending += chunk;
      const cut = pending.lastIndexOf('\\n');
      if (cut >= 0) {
        out.write(scrub(pending.slice(0, cut + 1)));
        pending = pending.slice(cut + 1);
      } else if (pending.length > 65536) {
        out.write(scrub(pending.slice(0, pending.length - keep)));
        pending = pending.slice(pending.length - keep);
      }
    });
    stream.on('close', () => {
      if (pending !== '') out.write(scrub(pending));
      pending = '';
      open--;
      settle();
    });
  }
}
child.on('error', (error) => finish({ exitCode: null, error: error.code === 'ENOENT' ? 'program ' + JSON.stringify(scrub(job.command[0])) + ' not found' : scrub(String(error.message)) }));
// A background process may hold the job's output open: its exit is recorded within 2 s regardless.
child.on('exit', (code, signal) => {
  exited = { exitCode: code, signal };
  settle();
  setTimeout(() => finish(exited), 2000).unref();
});
`;

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Creates the runner; nothing is read until the first call. */
export function createLocalJobRunner(options: LocalJobRunnerOptions): LocalJobRunner {
  const dir = resolve(options.dir);
  const now = options.now ?? Date.now;
  const jobDir = (id: string) => join(dir, id);

  const readJson = async <T>(path: string): Promise<T | undefined> => {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined; // being written: not there yet
    }
  };

  /** The job an id names: its own, or the one it continues (aliases followed). */
  const resolveJob = async (id: string): Promise<SupervisedRecord | undefined> => {
    let current = id;
    for (let hop = 0; hop <= MAX_ALIASES; hop++) {
      if (!SAFE_ID.test(current)) return undefined;
      const job = await readJson<JobRecord>(join(jobDir(current), 'job.json'));
      if (!job) return undefined;
      if (!('alias' in job)) return job;
      current = job.alias;
    }
    return undefined;
  };

  /** The supervisor is ours and alive: its pid lives and started when recorded (else, without start times, runs in the job's directory). */
  const supervising = (job: SupervisedRecord): boolean => {
    if (!isSameProcess(job.pid, job.startTime ?? undefined)) return false;
    if (typeof job.startTime === 'number') return true;
    const cwd = workingDirectoryOf(job.pid);
    return cwd === undefined || cwd === jobDir(job.id);
  };

  const statusOf = async (id: string): Promise<JobStatus | undefined> => {
    const job = await resolveJob(id);
    if (!job) return undefined;
    const home = jobDir(job.id);
    const base = { id, startedTime: job.startedTime, workingDirectory: job.workingDirectory };
    let exit = await readJson<ExitRecord>(join(home, 'exit.json'));
    if (!exit) {
      if (supervising(job)) return { ...base, state: 'RUNNING' };
      // It may have finished between the two reads.
      exit = await readJson<ExitRecord>(join(home, 'exit.json'));
      if (!exit) return { ...base, state: 'FAILED', error: 'the job ended without recording how (its process was killed, or the machine restarted)' };
    }
    return {
      ...base,
      state: exit.exitCode === 0 ? 'SUCCEEDED' : 'FAILED',
      ...(typeof exit.exitCode === 'number' ? { exitCode: exit.exitCode } : {}),
      ...(exit.signal ? { signal: exit.signal } : {}),
      ...(exit.error !== undefined ? { error: exit.error } : {}),
      finishedTime: exit.finishedTime,
    };
  };

  const cancel = async (id: string): Promise<void> => {
    const job = await resolveJob(id);
    if (!job || !supervising(job)) return;
    await killInstance(job.pid, options.killGraceMs ?? 3_000);
    // Killed before the supervisor could listen for signals: record the cancel for it.
    const exitFile = join(jobDir(job.id), 'exit.json');
    if (!(await readJson<ExitRecord>(exitFile))) {
      const exit: ExitRecord = { exitCode: null, signal: 'SIGTERM', error: 'canceled before it started', finishedTime: now() };
      await writeFile(`${exitFile}.cancel`, JSON.stringify(exit), { mode: 0o600 });
      await rename(`${exitFile}.cancel`, exitFile);
    }
  };

  const allIds = async (): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((name) => SAFE_ID.test(name));

  /** An existing job for the id, answered as a start that found it. */
  const existing = async (id: string): Promise<StartJobResult | undefined> => {
    const job = await statusOf(id);
    return job ? { ok: true, job, alreadyStarted: true } : undefined;
  };

  /** This id continues `other` while it still runs: claimed as an alias, nothing started. */
  const continueJob = async (id: string, other: string): Promise<StartJobResult | undefined> => {
    const target = await resolveJob(other);
    if (!target || target.id === id) return undefined;
    if ((await statusOf(target.id))?.state !== 'RUNNING') return undefined;
    try {
      await writeFile(join(jobDir(id), 'job.json'), JSON.stringify({ id, alias: target.id }), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return existing(id);
  };

  return {
    async startJob(spec: JobSpec): Promise<StartJobResult> {
      if (!SAFE_ID.test(spec.id)) return { ok: false, reason: 'invalid', message: `job id '${spec.id}' may hold only letters, digits, '.', '_' and '-' (at most 200)` };
      if (spec.command.length === 0 || spec.command[0] === '') return { ok: false, reason: 'invalid', message: 'command is empty; give the program and its arguments, e.g. ["node", "migrate.js"]' };
      const home = jobDir(spec.id);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await mkdir(home, { recursive: true, mode: 0o700 });
      const found = await existing(spec.id);
      if (found) return found;
      if (spec.continues !== undefined) {
        const continued = await continueJob(spec.id, spec.continues);
        if (continued) return continued;
      }
      const work = join(home, 'work');
      await mkdir(work, { recursive: true, mode: 0o700 });
      const workingDirectory = spec.workingDirectory === undefined ? work : resolve(spec.workingDirectory);
      const isDirectory = await stat(workingDirectory).then((found) => found.isDirectory(), () => false);
      if (!isDirectory) return { ok: false, reason: 'invalid', message: `working directory ${workingDirectory} does not exist; give an existing directory, or none for a scratch one` };
      const env = { ...options.baseEnv, ...spec.env, JOB_ID: spec.id, JOB_DIR: home, JOB_WORK_DIR: work };
      const record: JobSpecRecord = { id: spec.id, command: [...spec.command], env, ...(spec.hide && spec.hide.length > 0 ? { hide: [...spec.hide] } : {}), workingDirectory, startedTime: now() };
      // One spec file per start: of two concurrent starts, the supervisor that claims job.json first runs its own.
      const specFile = join(home, `spec-${randomBytes(6).toString('hex')}.json`);
      await writeFile(specFile, JSON.stringify(record), { mode: 0o600 });
      const logFile = join(home, 'output.log');
      await writeFile(logFile, '', { flag: 'a', mode: 0o600 });
      const spawned = spawnInstance({
        command: options.nodePath ?? process.execPath,
        args: ['-e', SUPERVISOR, home, specFile],
        cwd: home,
        env: { ...options.baseEnv },
        logFile,
      });
      let supervisorExited = false;
      void spawned.exited.then(() => {
        supervisorExited = true;
      });
      // Answer once the claim is on disk, whoever made it.
      const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
      for (;;) {
        const claimed = await resolveJob(spec.id);
        if (claimed) {
          const job = await statusOf(spec.id);
          if (job) return { ok: true, job, alreadyStarted: claimed.pid !== spawned.pid };
        }
        if (supervisorExited && !(await resolveJob(spec.id))) {
          await rm(specFile, { force: true });
          return { ok: false, reason: 'failed', message: `the supervisor of job ${spec.id} exited before it could start the job (see ${logFile})` };
        }
        if (Date.now() > deadline) {
          await killInstance(spawned.pid, 500);
          await rm(specFile, { force: true });
          return { ok: false, reason: 'failed', message: `the supervisor of job ${spec.id} did not start within ${options.startTimeoutMs ?? 15_000} ms (see ${logFile})` };
        }
        await sleep(5);
      }
    },

    getJob: statusOf,

    async logTail(id: string, lines: number): Promise<readonly string[]> {
      const job = await resolveJob(id);
      if (!job) return [];
      let fd: number;
      try {
        fd = openSync(join(jobDir(job.id), 'output.log'), 'r');
      } catch {
        return [];
      }
      try {
        const size = fstatSync(fd).size;
        const length = Math.min(size, TAIL_BYTES);
        const buffer = Buffer.alloc(length);
        readSync(fd, buffer, 0, length, size - length);
        const text = buffer.toString('utf8').replace(/\s+$/, '');
        return text === '' ? [] : text.split(/\r?\n/).slice(-lines);
      } finally {
        closeSync(fd);
      }
    },

    async readFile(id: string, path: string): Promise<ReadJobFileResult> {
      const job = await resolveJob(id);
      if (!job) return { ok: false, message: `no job '${id}'` };
      // Relative to the scratch directory, not the working directory: a job run in an image leaves the image as it was.
      // Only inside it: a property file is the job's output, never a way to read the server's files into history.
      const work = resolve(jobDir(job.id), 'work');
      if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) {
        return { ok: false, message: `the property file '${path}' is not a relative path inside the job's directory; name a file the job writes, e.g. 'out.properties'` };
      }
      const file = resolve(work, path);
      const real = await realpath(file).catch(() => undefined);
      const realWork = await realpath(work).catch(() => work);
      if (real !== undefined && real !== realWork && !real.startsWith(`${realWork}${sep}`)) {
        return { ok: false, message: `the property file '${path}' leads outside the job's directory (to ${real}); write the file itself, not a link to another one` };
      }
      const size = await stat(file).then((found) => (found.isFile() ? found.size : -1), () => undefined);
      if (size === undefined) return { ok: false, message: `the job wrote no file ${file}` };
      if (size < 0) return { ok: false, message: `${file} is not a file` };
      if (size > MAX_FILE_BYTES) return { ok: false, message: `${file} holds ${size} bytes, more than the ${MAX_FILE_BYTES} a property file may` };
      return { ok: true, text: await readFile(file, 'utf8') };
    },

    cancelJob: cancel,

    async runningPids(): Promise<readonly number[]> {
      const pids: number[] = [];
      for (const id of await allIds()) {
        const job = await readJson<JobRecord>(join(jobDir(id), 'job.json'));
        if (job && !('alias' in job) && supervising(job)) pids.push(job.pid);
      }
      return pids;
    },

    async cancelAll(): Promise<void> {
      await Promise.all((await allIds()).map(cancel));
    },
  };
}
