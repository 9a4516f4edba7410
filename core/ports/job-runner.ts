/**
 * The job runner (`runJob`): one-off jobs run to completion. A job is started and returns at
 * once; the caller polls `getJob` until it is no longer RUNNING, so no call waits for a job to
 * finish (a Lambda never blocks on one).
 *
 * The contract every implementation keeps:
 * - The caller chooses the job id, an owner token (the execution, stage and task that start
 *   it); starting an id that exists starts nothing and answers that job, even when two starts
 *   race (stage steps are delivered at least once, and may run twice at once).
 * - A job outlives the process that started it: another runner on the same state (after a
 *   restart) answers for it, reading how it ended when it ended meanwhile.
 * - A job SUCCEEDED when its command exited 0; FAILED otherwise, with the exit code, or the
 *   signal, or why it never ran (`error`).
 * - `command` is an argv: nothing is interpreted by a shell unless the argv itself runs one.
 * - Expected outcomes (a bad spec, a file the job did not write) are values; only
 *   infrastructure faults throw.
 *
 * Pure types: no I/O.
 */

export interface JobSpec {
  /** Letters, digits, '.', '_' and '-'; unique per job. */
  readonly id: string;
  /** argv: the program, then its arguments. */
  readonly command: readonly string[];
  /** Added to the runner's base environment. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * @default the job's scratch directory: a fresh directory of its own, JOB_WORK_DIR in its
   * environment, where relative `readFile` paths point
   */
  readonly workingDirectory?: string;
  /**
   * The id of a job this one continues (the same stage of the execution a restart came from):
   * when that job is still running, nothing starts and this id names that job from now on
   * (status, output, files, cancel). Otherwise this job starts as usual.
   */
  readonly continues?: string;
  /**
   * Values replaced by `******` in the job's output as it is written (its secrets: the job
   * prints what it likes). Values shorter than 4 characters are left alone. @default none
   */
  readonly hide?: readonly string[];
}

export type JobState = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface JobStatus {
  readonly id: string;
  readonly state: JobState;
  /** Set once the job has exited on its own. */
  readonly exitCode?: number;
  /** Set when a signal ended the job (`SIGKILL`). */
  readonly signal?: string;
  /** Why the job failed without an exit code of its own (the program was not found, the process vanished). */
  readonly error?: string;
  readonly startedTime: number;
  readonly finishedTime?: number;
  readonly workingDirectory: string;
}

export type StartJobResult =
  /** `alreadyStarted`: a job with this id existed; nothing was started. */
  | { readonly ok: true; readonly job: JobStatus; readonly alreadyStarted: boolean }
  | { readonly ok: false; readonly reason: 'invalid' | 'failed'; readonly message: string };

export type ReadJobFileResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

export interface JobRunner {
  startJob(spec: JobSpec): Promise<StartJobResult>;
  /** Undefined when no job has that id. */
  getJob(id: string): Promise<JobStatus | undefined>;
  /** The last `lines` lines of the job's output (stdout and stderr together). */
  logTail(id: string, lines: number): Promise<readonly string[]>;
  /**
   * A file the job wrote; a relative path is relative to the job's scratch directory (its
   * default working directory; JOB_WORK_DIR in its environment).
   */
  readFile(id: string, path: string): Promise<ReadJobFileResult>;
  /** Stops a running job (its status then says how it ended); a finished one is left alone. */
  cancelJob(id: string): Promise<void>;
}
