/**
 * The local job runner (core/ports/job-runner.ts): a job is a real child process on this machine.
 *
 * Each job has a directory `<dir>/<id>/` holding `spec.json` (what to run), `job.json` (the
 * same with the supervisor's pid, written once it runs), `output.log`
 * (stdout and stderr), `work/` (the default working directory) and, once it has ended,
 * `exit.json`. The command does not run as a direct child of the runner: a small supervisor
 * process (node, in its own process group) starts it, passes signals on, and writes `exit.json`
 * when it ends. So the outcome is on disk whoever asks: a poll from another runner instance, or
 * after `gennaker up` restarted, reads the same answer. A job whose supervisor is gone without
 * an `exit.json` (killed, machine rebooted) is FAILED, saying so.
 *
 * The argv is passed to `spawn` as it is: no shell unless the argv names one.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { JobRunner, JobSpec, JobStatus, ReadJobFileResult, StartJobResult } from '../../core/ports/job-runner.ts';
import { isAlive, killInstance, spawnInstance, workingDirectoryOf } from '../targets/local/processes.ts';

export interface LocalJobRunnerOptions {
  /** Where job directories live (`.gennaker/jobs`). */
  readonly dir: string;
  /** Environment every job starts with (PATH, HOME...), before its own `env`. @default {} */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** The node that runs the supervisor. @default process.execPath */
  readonly nodePath?: string;
  /** SIGTERM to SIGKILL when a job is canceled. @default 3_000 */
  readonly killGraceMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface LocalJobRunner extends JobRunner {
  /** Pids of the supervisors of jobs still running (for operators and leak checks). */
  runningPids(): Promise<readonly number[]>;
  /** Cancels every job still running. */
  cancelAll(): Promise<void>;
}

/** What job.json holds. */
interface JobRecord {
  readonly id: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDirectory: string;
  readonly startedTime: number;
  readonly pid?: number;
}

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

/**
 * The supervisor (CommonJS, run with `node -e`): starts the argv in the job's working directory
 * with the job's environment, its output going to the supervisor's own (the log file), forwards
 * SIGTERM/SIGINT, and records the exit atomically.
 */
const SUPERVISOR = `
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const dir = process.argv[1];
const job = JSON.parse(fs.readFileSync(dir + '/spec.json', 'utf8'));
let done = false;
const finish = (result) => {
  if (done) return;
  done = true;
  fs.writeFileSync(dir + '/exit.json.tmp', JSON.stringify({ ...result, finishedTime: Date.now() }));
  fs.renameSync(dir + '/exit.json.tmp', dir + '/exit.json');
};
let child;
// Registered first: a cancel that arrives while the command starts is still recorded.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => (child ? child.kill(signal) : (finish({ exitCode: null, signal }), process.exit(0))));
try {
  child = spawn(job.command[0], job.command.slice(1), { cwd: job.workingDirectory, env: job.env, stdio: 'inherit' });
} catch (error) {
  finish({ exitCode: null, error: String(error && error.message) });
  process.exit(0);
}
child.on('error', (error) => finish({ exitCode: null, error: error.code === 'ENOENT' ? 'program ' + JSON.stringify(job.command[0]) + ' not found' : String(error.message) }));
child.on('exit', (code, signal) => finish({ exitCode: code, signal }));
`;

/** Creates the runner; nothing is read until the first call. */
export function createLocalJobRunner(options: LocalJobRunnerOptions): LocalJobRunner {
  const dir = resolve(options.dir);
  const now = options.now ?? Date.now;
  const jobDir = (id: string) => join(dir, id);

  const readJson = async <T>(path: string): Promise<T | undefined> => {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  };

  /** The supervisor is ours and alive: its pid lives and runs in the job's directory (pids get reused). */
  const supervising = (job: JobRecord): boolean => {
    if (job.pid === undefined || !isAlive(job.pid)) return false;
    const cwd = workingDirectoryOf(job.pid);
    return cwd === undefined || cwd === jobDir(job.id);
  };

  const statusOf = async (id: string): Promise<JobStatus | undefined> => {
    if (!SAFE_ID.test(id)) return undefined;
    const job = await readJson<JobRecord>(join(jobDir(id), 'job.json'));
    if (!job) return undefined;
    const base = { id, startedTime: job.startedTime, workingDirectory: job.workingDirectory };
    let exit = await readJson<ExitRecord>(join(jobDir(id), 'exit.json'));
    if (!exit) {
      if (supervising(job)) return { ...base, state: 'RUNNING' };
      // It may have finished between the two reads.
      exit = await readJson<ExitRecord>(join(jobDir(id), 'exit.json'));
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
    const job = await readJson<JobRecord>(join(jobDir(id), 'job.json'));
    if (job?.pid === undefined || !supervising(job)) return;
    await killInstance(job.pid, options.killGraceMs ?? 3_000);
    // Killed before the supervisor could listen for signals: record the cancel for it.
    const exitFile = join(jobDir(id), 'exit.json');
    if (!(await readJson<ExitRecord>(exitFile))) {
      const exit: ExitRecord = { exitCode: null, signal: 'SIGTERM', error: 'canceled before it started', finishedTime: now() };
      await writeFile(`${exitFile}.cancel`, JSON.stringify(exit));
      await rename(`${exitFile}.cancel`, exitFile);
    }
  };

  const allIds = async (): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((name) => SAFE_ID.test(name));

  return {
    async startJob(spec: JobSpec): Promise<StartJobResult> {
      if (!SAFE_ID.test(spec.id)) return { ok: false, reason: 'invalid', message: `job id '${spec.id}' may hold only letters, digits, '.', '_' and '-' (at most 200)` };
      if (spec.command.length === 0 || spec.command[0] === '') return { ok: false, reason: 'invalid', message: 'command is empty; give the program and its arguments, e.g. ["node", "migrate.js"]' };
      const home = jobDir(spec.id);
      await mkdir(dir, { recursive: true });
      try {
        await mkdir(home);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const existing = await statusOf(spec.id);
        if (existing) return { ok: true, job: existing, alreadyStarted: true };
        // A start that crashed before its supervisor ran (no job.json): start it now.
      }
      const work = join(home, 'work');
      await mkdir(work, { recursive: true });
      const workingDirectory = spec.workingDirectory === undefined ? work : resolve(spec.workingDirectory);
      const isDirectory = await stat(workingDirectory).then((found) => found.isDirectory(), () => false);
      if (!isDirectory) return { ok: false, reason: 'invalid', message: `working directory ${workingDirectory} does not exist; give an existing directory, or none for a scratch one` };
      const env = { ...options.baseEnv, ...spec.env, JOB_ID: spec.id, JOB_DIR: home, JOB_WORK_DIR: work };
      const job: JobRecord = { id: spec.id, command: [...spec.command], env, workingDirectory, startedTime: now() };
      await writeFile(join(home, 'spec.json'), JSON.stringify(job, null, 2));
      const spawned = spawnInstance({
        command: options.nodePath ?? process.execPath,
        args: ['-e', SUPERVISOR, home],
        cwd: home,
        env: { ...options.baseEnv },
        logFile: join(home, 'output.log'),
      });
      await writeFile(join(home, 'job.json.tmp'), JSON.stringify({ ...job, pid: spawned.pid }, null, 2));
      await rename(join(home, 'job.json.tmp'), join(home, 'job.json'));
      return { ok: true, job: { id: spec.id, state: 'RUNNING', startedTime: job.startedTime, workingDirectory }, alreadyStarted: false };
    },

    getJob: statusOf,

    async logTail(id: string, lines: number): Promise<readonly string[]> {
      if (!SAFE_ID.test(id)) return [];
      let fd: number;
      try {
        fd = openSync(join(jobDir(id), 'output.log'), 'r');
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
      const job = SAFE_ID.test(id) ? await readJson<JobRecord>(join(jobDir(id), 'job.json')) : undefined;
      if (!job) return { ok: false, message: `no job '${id}'` };
      // Relative to the scratch directory, not the working directory: a job run in an image leaves the image as it was.
      const file = isAbsolute(path) ? path : resolve(jobDir(id), 'work', path);
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
        if (job?.pid !== undefined && supervising(job)) pids.push(job.pid);
      }
      return pids;
    },

    async cancelAll(): Promise<void> {
      await Promise.all((await allIds()).map(cancel));
    },
  };
}
