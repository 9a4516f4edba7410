/**
 * `runJob` on the job runner (core/ports/job-runner.ts), with Spinnaker's semantics
 * (RunJobStage, WaitOnJobCompletion): `runJob` starts the job and returns; `waitOnJobCompletion`
 * polls it (backing off: 1 s at first, 10% of the time waited later) until it ends. Exit code 0
 * SUCCEEDS; anything else is TERMINAL (or the stage's failure policy) with the exit code and the
 * last lines of its output in the message. Outputs: `jobStatus`, `exitCode`, `completionDetails`,
 * and with `propertyFile` the file's properties, merged into the outputs as Orca does, and again
 * under `propertyFileContents`.
 *
 * Accepted for the local provider (`cloudProvider` absent or "local"; read from the context as
 * evaluated at stage start):
 * - `command`: the argv (`["node", "migrate.js"]`), run without a shell; or `shell`: a command
 *   line, run by `/bin/sh -c` only because the stage asks for it.
 * - `env`: string values, added to the runner's base environment. The job also gets JOB_ID,
 *   JOB_DIR and JOB_WORK_DIR (a scratch directory of its own).
 * - `image`: a baked image's name or id; the job runs in the image's directory.
 * - `workingDirectory`: relative to the image when `image` is set. Default: the image's
 *   directory, else the job's scratch directory.
 * - `propertyFile`: a file the job writes, relative to its scratch directory (JOB_WORK_DIR, the
 *   working directory unless `image` or `workingDirectory` says otherwise, so a job run in an
 *   image never writes into it) and inside it (no absolute path, no `..`, no link out of it: a
 *   property file must not read the server's files into history): `KEY=VALUE` lines (Java
 *   properties: `#` comments, `=` or `:`) or one JSON object.
 * Kubernetes fields (`manifest`, `manifestArtifactId`) and other providers fail as not supported yet.
 *
 * The job id is an owner token (core/execution/job-ids.ts: the execution, the stage and the task),
 * so a redelivered `runJob` starts nothing new. A restarted execution's stage continues the job
 * of the execution it restarts while that job still runs (an execution interrupted when
 * Gennaker stopped), instead of starting a second copy. A stage that times out leaves its job
 * running: the runner's timeout does not reach the job; the execution service stops the jobs of
 * an execution that ends TERMINAL or CANCELED.
 */
import type { RunJobStage } from '../pipeline/stage-types/index.ts';
import { propertyFileProblem } from '../pipeline/stage-types/run-job.ts';
import type { ArtifactStore } from '../ports/artifact-store.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { JobRunner, JobStatus } from '../ports/job-runner.ts';
import { jobIdFor } from '../execution/job-ids.ts';
import { localOnly } from './bake.ts';
import { backoffSeconds } from './polling.ts';
import { failed, numberFrom, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

export interface JobTaskDeps {
  readonly jobs: JobRunner;
  /** For `image`. */
  readonly artifacts?: ArtifactStore;
}

/** Lines of the job's output a failure message shows. */
export const FAILURE_LOG_LINES = 20;

const JOB_ID = 'jobId';
const STARTED_AT = 'jobStartedAt';

export type ParsedProperties = { readonly ok: true; readonly properties: Record<string, unknown> } | { readonly ok: false; readonly message: string };

/**
 * A property file: one JSON object, or Java-properties lines (`KEY=VALUE` or `KEY: VALUE`, blank
 * lines and `#`/`!` comments skipped, a line without a separator is a key with an empty value).
 * Empty or unreadable is an error, as in Orca.
 */
export function parsePropertyFile(text: string): ParsedProperties {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'it is empty' };
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      return { ok: false, message: `it starts with '{' but is not valid JSON (${(error as Error).message})` };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, message: 'its JSON is not an object' };
    return { ok: true, properties: parsed as Record<string, unknown> };
  }
  const properties: Record<string, unknown> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const separator = line.search(/[=:]/);
    const key = (separator < 0 ? line : line.slice(0, separator)).trim();
    if (key === '') return { ok: false, message: `line '${line.slice(0, 80)}' has no key` };
    properties[key] = separator < 0 ? '' : line.slice(separator + 1).trim();
  }
  return { ok: true, properties };
}

export { jobIdFor } from '../execution/job-ids.ts';

/** The execution a restart came from (`trigger.restartedFrom.executionId`), if this one is a restart. */
function restartedFrom(input: TaskInput<RunJobStage>): string | undefined {
  const from = input.execution.trigger?.['restartedFrom'];
  const executionId = from && typeof from === 'object' && !Array.isArray(from) ? (from as JsonObject)['executionId'] : undefined;
  return typeof executionId === 'string' && executionId !== input.execution.id ? executionId : undefined;
}

/** Runs one step of a runJob stage. */
export async function runJobTask(input: TaskInput<RunJobStage>, deps: JobTaskDeps): Promise<TaskResult> {
  switch (input.task) {
    case 'runJob':
      return startJob(input, deps);
    case 'waitOnJobCompletion':
      return waitOnJob(input, deps);
    default:
      return failed(`stage '${input.stage.name}' (runJob) has no step '${input.task}'`);
  }
}

type Resolved<T> = { ok: true; value: T } | { ok: false; message: string };

function commandOf(name: string, context: JsonObject): Resolved<string[]> {
  const { command, shell } = context;
  if (command !== undefined && command !== null && shell !== undefined && shell !== null) {
    return { ok: false, message: `stage '${name}': give either command (an argv) or shell (a command line), not both` };
  }
  if (typeof shell === 'string' && shell.trim() !== '') return { ok: true, value: ['/bin/sh', '-c', shell] };
  if (shell !== undefined && shell !== null) return { ok: false, message: `stage '${name}': shell is ${JSON.stringify(shell)}; give a command line, e.g. "npm run migrate"` };
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string') || command[0] === '') {
    return { ok: false, message: `stage '${name}': command is ${JSON.stringify(command)}; give the program and its arguments as a list of strings, e.g. ["node", "migrate.js"]` };
  }
  return { ok: true, value: command as string[] };
}

function envOf(name: string, context: JsonObject): Resolved<Record<string, string>> {
  const env = context.env;
  if (env === undefined || env === null) return { ok: true, value: {} };
  if (typeof env !== 'object' || Array.isArray(env)) return { ok: false, message: `stage '${name}': env is ${JSON.stringify(env)}; give an object of variables, e.g. {"STAGE": "prod"}` };
  const value: Record<string, string> = {};
  for (const [key, item] of Object.entries(env)) {
    if (typeof item === 'string') value[key] = item;
    else if (typeof item === 'number' || typeof item === 'boolean') value[key] = String(item);
    else return { ok: false, message: `stage '${name}': env.${key} is ${JSON.stringify(item)}; an environment value must be a string` };
  }
  return { ok: true, value };
}

/** The working directory: the image's (and `workingDirectory` within it), or `workingDirectory`, or none. */
async function workingDirectoryOf(name: string, context: JsonObject, deps: JobTaskDeps): Promise<Resolved<string | undefined>> {
  const directory = typeof context.workingDirectory === 'string' && context.workingDirectory.trim() !== '' ? context.workingDirectory : undefined;
  const imageName = typeof context.image === 'string' && context.image.trim() !== '' ? context.image : undefined;
  if (imageName === undefined) return { ok: true, value: directory };
  if (!deps.artifacts) return { ok: false, message: `stage '${name}': image '${imageName}' cannot be used: Gennaker has no image store wired in; remove image and set workingDirectory` };
  const image = await deps.artifacts.getImage(imageName);
  if (!image) return { ok: false, message: `stage '${name}': image '${imageName}' is not in the image store; bake it first, or check the name (e.g. the imageName output of a bake stage)` };
  if (directory === undefined) return { ok: true, value: image.location };
  if (directory.startsWith('/') || directory.split(/[\\/]/).includes('..')) {
    return { ok: false, message: `stage '${name}': workingDirectory '${directory}' must be a path inside image '${imageName}' (relative, without '..')` };
  }
  return { ok: true, value: `${image.location}/${directory}` };
}

async function startJob(input: TaskInput<RunJobStage>, deps: JobTaskDeps): Promise<TaskResult> {
  const name = input.stage.name;
  const context = input.record.context;
  const provider = localOnly(name, 'cloudProvider', context.cloudProvider, 'runs jobs');
  if (provider !== undefined) return failed(provider);
  for (const field of ['manifest', 'manifestArtifactId']) {
    if (context[field] !== undefined && context[field] !== null) {
      return failed(`stage '${name}': ${field} is not supported yet: Gennaker runs local jobs from command or shell; remove ${field} and give the job's command`);
    }
  }
  const command = commandOf(name, context);
  if (!command.ok) return failed(command.message);
  const env = envOf(name, context);
  if (!env.ok) return failed(env.message);
  const directory = await workingDirectoryOf(name, context, deps);
  if (!directory.ok) return failed(directory.message);

  const id = jobIdFor(input.execution.id, input.record.id, input.task);
  const previous = restartedFrom(input);
  const started = await deps.jobs.startJob({
    id,
    command: command.value,
    env: env.value,
    ...(directory.value !== undefined ? { workingDirectory: directory.value } : {}),
    ...(previous !== undefined ? { continues: jobIdFor(previous, input.record.id, input.task) } : {}),
    ...(input.secretValues && input.secretValues.length > 0 ? { hide: input.secretValues } : {}),
  });
  if (!started.ok) return failed(`stage '${name}': the job could not start: ${started.message}`);
  return succeeded(undefined, {
    runtime: { [JOB_ID]: id, [STARTED_AT]: input.now },
    // Orca's record of the jobs a stage launched, by location.
    context: { jobId: id, 'deploy.jobs': { local: [id] } },
  });
}

function jobStatusJson(job: JobStatus): JsonObject {
  return { ...job };
}

function howItEnded(job: JobStatus): string {
  if (job.exitCode !== undefined) return `exit code ${job.exitCode}`;
  if (job.signal !== undefined) return `signal ${job.signal}`;
  return job.error ?? 'an unknown error';
}

async function waitOnJob(input: TaskInput<RunJobStage>, deps: JobTaskDeps): Promise<TaskResult> {
  const name = input.stage.name;
  const id = input.record.runtime[JOB_ID];
  if (typeof id !== 'string') return failed(`stage '${name}': waitOnJobCompletion ran before runJob started a job; restart the stage`);
  const job = await deps.jobs.getJob(id);
  if (!job) return failed(`stage '${name}': job ${id} is no longer known to the job runner; restart the stage`);
  const startedAt = numberFrom(input.record.runtime[STARTED_AT]) ?? input.now;
  if (job.state === 'RUNNING') return running(backoffSeconds(input.now - startedAt, { min: 1 }), { context: { jobStatus: jobStatusJson(job) } });

  const completionDetails = { ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}), ...(job.signal !== undefined ? { signal: job.signal } : {}), ...(job.error !== undefined ? { message: job.error } : {}) };
  const ended = { jobStatus: jobStatusJson(job), completionDetails, ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}) };
  if (job.state === 'FAILED') {
    const tail = await deps.jobs.logTail(id, FAILURE_LOG_LINES);
    const output = tail.length === 0 ? 'it wrote no output' : `its last output:\n${tail.join('\n')}`;
    const why = job.exitCode !== undefined ? `failed with exit code ${job.exitCode}` : job.signal !== undefined ? `was ended by signal ${job.signal}` : `failed: ${job.error ?? 'unknown error'}`;
    return failed(`stage '${name}': job ${id} ${why}; ${output}`, { context: ended });
  }

  const propertyFile = typeof input.record.context.propertyFile === 'string' && input.record.context.propertyFile.trim() !== '' ? input.record.context.propertyFile : undefined;
  if (propertyFile === undefined) return succeeded(ended, { context: { completionDetails } });
  const outside = propertyFileProblem(propertyFile);
  if (outside !== undefined) return failed(`stage '${name}': ${outside}`, { context: ended });
  const read = await deps.jobs.readFile(id, propertyFile);
  const parsed = read.ok ? parsePropertyFile(read.text) : { ok: false as const, message: read.message };
  if (!parsed.ok) {
    return failed(`stage '${name}': expected the property file '${propertyFile}' but ${parsed.message}; make the job write it (${howItEnded(job)}), or remove propertyFile`, { context: ended });
  }
  // Orca merges the properties over the outputs, then keeps them whole under propertyFileContents.
  return succeeded({ ...ended, ...parsed.properties, propertyFileContents: parsed.properties }, { context: { completionDetails } });
}

