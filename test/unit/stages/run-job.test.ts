/**
 * runJob's own logic: the property file format, job ids, and the two steps over a job runner —
 * here an in-memory one kept to the port's contract (a job's state is set by the test), so every
 * outcome of Spinnaker's WaitOnJobCompletion can be shown without waiting for processes. Real
 * processes run in test/integration/artifact-stages.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline, type RunJobStage } from '../../../core/pipeline/index.ts';
import type { Execution, JsonObject, StageRecord } from '../../../core/ports/execution-store.ts';
import type { JobRunner, JobSpec, JobStatus } from '../../../core/ports/job-runner.ts';
import { jobIdFor, parsePropertyFile, runJobTask } from '../../../core/stages/run-job.ts';
import type { TaskInput } from '../../../core/stages/task-result.ts';

/** These stages never save a plan mid-task; a call would be a bug. */
const refuseSave: TaskInput['saveRuntime'] = async () => {
  throw new Error('this stage saves no runtime mid-task');
};

describe('parsePropertyFile', () => {
  it.each([
    ['KEY=VALUE lines', 'A=1\nB = two words \n', { A: '1', B: 'two words' }],
    ['colons, comments and blank lines', '# built by CI\n! legacy comment\n\nversion: 1.2.3\nurl=http://x/y?a=b\n', { version: '1.2.3', url: 'http://x/y?a=b' }],
    ['a key without a value', 'FLAG\n', { FLAG: '' }],
    ['one JSON object, values kept as JSON', '{"count": 3, "ok": true, "tags": ["a"]}', { count: 3, ok: true, tags: ['a'] }],
  ])('reads %s', (_case, text, properties) => {
    expect(parsePropertyFile(text)).toEqual({ ok: true, properties });
  });

  it.each([
    ['an empty file', '  \n', 'it is empty'],
    ['broken JSON', '{"a": ', "it starts with '{' but is not valid JSON"],
    ['a JSON list', '{', "it starts with '{' but is not valid JSON"],
    ['a line with no key', '=value', "line '=value' has no key"],
  ])('rejects %s', (_case, text, message) => {
    expect(parsePropertyFile(text)).toMatchObject({ ok: false, message: expect.stringContaining(message) });
  });
});

describe('jobIdFor', () => {
  it('keeps only the characters a job id may hold', () => {
    expect(jobIdFor('01HV:exec/1', 'stage 2')).toBe('01HV_exec_1-stage_2-runJob');
    expect(jobIdFor('01HV', '2', 'otherTask')).toBe('01HV-2-otherTask');
    expect(jobIdFor('e'.repeat(300), '1')).toHaveLength(200);
  });
});

/** The job runner port in memory: the test decides each job's state, output and files. */
function memoryJobRunner() {
  const jobs = new Map<string, { spec: JobSpec; status: JobStatus; log: string[]; files: Record<string, string> }>();
  const runner: JobRunner = {
    async startJob(spec) {
      const existing = jobs.get(spec.id);
      if (existing) return { ok: true, job: existing.status, alreadyStarted: true };
      const status: JobStatus = { id: spec.id, state: 'RUNNING', startedTime: 0, workingDirectory: spec.workingDirectory ?? '/scratch' };
      jobs.set(spec.id, { spec, status, log: [], files: {} });
      return { ok: true, job: status, alreadyStarted: false };
    },
    async getJob(id) {
      return jobs.get(id)?.status;
    },
    async logTail(id, lines) {
      return (jobs.get(id)?.log ?? []).slice(-lines);
    },
    async readFile(id, path) {
      const text = jobs.get(id)?.files[path];
      return text === undefined ? { ok: false, message: `the job wrote no file /scratch/${path}` } : { ok: true, text };
    },
    async cancelJob() {},
  };
  const finish = (id: string, exit: Partial<JobStatus>, log: string[] = [], files: Record<string, string> = {}) => {
    const job = jobs.get(id)!;
    jobs.set(id, { ...job, status: { ...job.status, state: exit.exitCode === 0 ? 'SUCCEEDED' : 'FAILED', ...exit }, log, files });
  };
  return { runner, jobs, finish };
}

/** A step's input: the stage as saved (`saved`), its context as evaluated at stage start (`fields`). */
function input(fields: JsonObject, task: string, runtime: JsonObject = {}, now = 10_000, saved: JsonObject = fields): TaskInput<RunJobStage> {
  const parsed = parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', type: 'runJob', name: 'Job', ...saved }] });
  if (!parsed.pipeline) throw new Error(JSON.stringify(parsed.issues));
  const record: StageRecord = { id: '1', refId: '1', type: 'runJob', name: 'Job', requisiteStageRefIds: [], status: 'RUNNING', context: fields, outputs: {}, runtime, awaitingCallback: false, revision: 1, lastModified: 0 };
  // The tasks read only the execution's id and application, and no expressions.
  const execution = { id: 'exec-1', application: 'hello', stages: [record] } as unknown as Execution;
  return { stage: parsed.pipeline.stages[0] as RunJobStage, record, execution, task, now, poll: 1, expressions: {} as TaskInput['expressions'], saveRuntime: refuseSave };
}

describe('runJob validation at save', () => {
  it.each([
    ['a local job without command or shell', { cloudProvider: 'local' }, '/stages/0/command', "'command' is required for a local job; add the program and its arguments"],
    ['a command that is not a list', { cloudProvider: 'local', command: 'node migrate.js' }, '/stages/0/command', 'expected the command as a list of arguments'],
    ['both command and shell', { cloudProvider: 'local', command: ['true'], shell: 'true' }, '/stages/0/shell', "give either 'command' (an argv) or 'shell' (a command line), not both"],
    ['an env value that is not a string', { cloudProvider: 'local', command: ['true'], env: { PORT: 8080 } }, '/stages/0/env/PORT', 'expected an environment value (a string), got 8080'],
  ])('rejects %s', (_case, fields, pointer, message) => {
    const parsed = parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', type: 'runJob', name: 'Job', ...fields }] });
    expect(parsed.issues).toContainEqual(expect.objectContaining({ pointer, severity: 'error', message: expect.stringContaining(message) }));
  });

  it('accepts a Kubernetes runJob: its fields are the Job manifest, not the local ones', () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } } };
    expect(parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', type: 'runJob', name: 'Job', cloudProvider: 'kubernetes', account: 'k8s', manifest: job }] }).pipeline).toBeDefined();
  });

  it('refuses a Kubernetes runJob whose manifest is not a Job, as runJobManifest does', () => {
    const parsed = parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', type: 'runJob', name: 'Job', cloudProvider: 'kubernetes', account: 'k8s', manifest: { kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'web' }] } } } } }] });
    expect(parsed.issues.filter((issue) => issue.severity === 'error').map((issue) => [issue.pointer, issue.message])).toEqual([
      ['/stages/0/manifest/kind', 'manifest.kind is \'Deployment\'; only kind Job is accepted for the Run Job operation: set kind to "Job" (apiVersion batch/v1)'],
    ]);
  });
});

describe('runJob steps', () => {
  it('starts the argv as given, with its env, and keeps the job id for the poll step', async () => {
    const { runner, jobs } = memoryJobRunner();
    const result = await runJobTask(input({ cloudProvider: 'local', command: ['node', 'migrate.js', '--dry-run'], env: { STAGE: 'prod' } }, 'runJob', {}, 5_000), { jobs: runner });
    expect(result).toMatchObject({ kind: 'succeeded', runtime: { jobId: 'exec-1-1-runJob', jobStartedAt: 5_000 }, context: { jobId: 'exec-1-1-runJob', 'deploy.jobs': { local: ['exec-1-1-runJob'] } } });
    expect(jobs.get('exec-1-1-runJob')?.spec).toEqual({ id: 'exec-1-1-runJob', command: ['node', 'migrate.js', '--dry-run'], env: { STAGE: 'prod' } });
  });

  it('asks a restarted stage to continue the job of the execution it restarts', async () => {
    // given the execution 'exec-1' restarted from 'exec-0'
    const { runner, jobs } = memoryJobRunner();
    const restarted = input({ cloudProvider: 'local', command: ['node', 'migrate.js'] }, 'runJob');
    const execution = { ...restarted.execution, trigger: { type: 'manual', restartedFrom: { executionId: 'exec-0', stageId: '1', refId: '1' } } } as Execution;
    // when
    await runJobTask({ ...restarted, execution }, { jobs: runner });
    // then its own job id continues the original's
    expect(jobs.get('exec-1-1-runJob')?.spec).toMatchObject({ id: 'exec-1-1-runJob', continues: 'exec-0-1-runJob' });
  });

  it('runs a shell command line only when the stage gives one', async () => {
    const { runner, jobs } = memoryJobRunner();
    await runJobTask(input({ cloudProvider: 'local', shell: 'npm run migrate && echo ok' }, 'runJob'), { jobs: runner });
    expect(jobs.get('exec-1-1-runJob')?.spec.command).toEqual(['/bin/sh', '-c', 'npm run migrate && echo ok']);
  });

  it.each([
    ['no command', { cloudProvider: 'local' }, "stage 'Job': command is undefined; give the program and its arguments as a list of strings, e.g. [\"node\", \"migrate.js\"]"],
    ['a command that is not a list', { command: 'node migrate.js' }, "stage 'Job': command is \"node migrate.js\"; give the program and its arguments as a list of strings, e.g. [\"node\", \"migrate.js\"]"],
    ['both command and shell', { command: ['true'], shell: 'true' }, "stage 'Job': give either command (an argv) or shell (a command line), not both"],
    ['an env value that is an object', { command: ['true'], env: { A: { b: 1 } } }, "stage 'Job': env.A is {\"b\":1}; an environment value must be a string"],
    ['another cloud provider', { cloudProvider: 'kubernetes', account: 'k8s' }, 'stage \'Job\': cloudProvider "kubernetes" is not supported yet: Gennaker runs jobs with cloudProvider "local" only; remove cloudProvider or set it to "local"'],
    ['a manifest', { manifest: { kind: 'Job' } }, "stage 'Job': manifest is not supported yet: Gennaker runs local jobs from command or shell; remove manifest and give the job's command"],
    ['an image without an image store', { command: ['true'], image: 'hello-1.0.0' }, "stage 'Job': image 'hello-1.0.0' cannot be used: Gennaker has no image store wired in; remove image and set workingDirectory"],
  ])('fails to start with %s, saying what to fix', async (_case, fields, message) => {
    const { runner, jobs } = memoryJobRunner();
    // Saved as expressions, these values are what the expressions evaluated to at stage start.
    expect(await runJobTask(input(fields, 'runJob', {}, 0, { command: '${trigger.command}' }), { jobs: runner })).toEqual({ kind: 'failed', message });
    expect(jobs.size).toBe(0);
  });

  it('polls a running job, backing off from 1 s to 10% of the time waited', async () => {
    const { runner } = memoryJobRunner();
    await runner.startJob({ id: 'exec-1-1', command: ['sleep', '600'] });
    const early = await runJobTask(input({}, 'waitOnJobCompletion', { jobId: 'exec-1-1', jobStartedAt: 0 }, 2_000), { jobs: runner });
    const late = await runJobTask(input({}, 'waitOnJobCompletion', { jobId: 'exec-1-1', jobStartedAt: 0 }, 300_000), { jobs: runner });
    expect(early).toMatchObject({ kind: 'running', waitSeconds: 1, context: { jobStatus: { state: 'RUNNING' } } });
    expect(late).toMatchObject({ kind: 'running', waitSeconds: 30 });
  });

  it('fails with the exit code and the last output lines when the job exits non-zero', async () => {
    const { runner, finish } = memoryJobRunner();
    await runner.startJob({ id: 'exec-1-1', command: ['migrate'] });
    finish('exec-1-1', { exitCode: 3 }, Array.from({ length: 30 }, (_, index) => `line ${index + 1}`));
    const result = await runJobTask(input({}, 'waitOnJobCompletion', { jobId: 'exec-1-1' }), { jobs: runner });
    const tail = Array.from({ length: 20 }, (_, index) => `line ${index + 11}`).join('\n');
    expect(result).toEqual({
      kind: 'failed',
      message: `stage 'Job': job exec-1-1 failed with exit code 3; its last output:\n${tail}`,
      context: { exitCode: 3, completionDetails: { exitCode: 3 }, jobStatus: expect.objectContaining({ state: 'FAILED', exitCode: 3 }) },
    });
  });

  it('fails naming the signal when a signal ended the job', async () => {
    const { runner, finish } = memoryJobRunner();
    await runner.startJob({ id: 'exec-1-1', command: ['migrate'] });
    finish('exec-1-1', { signal: 'SIGKILL' });
    expect(await runJobTask(input({}, 'waitOnJobCompletion', { jobId: 'exec-1-1' }), { jobs: runner })).toMatchObject({
      kind: 'failed',
      message: "stage 'Job': job exec-1-1 was ended by signal SIGKILL; it wrote no output",
    });
  });

  it("merges the property file over the outputs, as Orca does, and keeps it whole in propertyFileContents", async () => {
    const { runner, finish } = memoryJobRunner();
    await runner.startJob({ id: 'exec-1-1', command: ['build'] });
    finish('exec-1-1', { exitCode: 0 }, [], { 'out.properties': 'IMAGE=hello-1.2.0\nexitCode=overridden\n' });
    const result = await runJobTask(input({ propertyFile: 'out.properties' }, 'waitOnJobCompletion', { jobId: 'exec-1-1' }), { jobs: runner });
    expect(result).toMatchObject({
      kind: 'succeeded',
      outputs: { IMAGE: 'hello-1.2.0', exitCode: 'overridden', propertyFileContents: { IMAGE: 'hello-1.2.0', exitCode: 'overridden' }, jobStatus: { state: 'SUCCEEDED', exitCode: 0 } },
    });
  });

  it('fails when the property file is missing or unreadable, naming it', async () => {
    const { runner, finish } = memoryJobRunner();
    await runner.startJob({ id: 'exec-1-1', command: ['build'] });
    finish('exec-1-1', { exitCode: 0 }, [], { 'bad.json': '{"a":' });
    const missing = await runJobTask(input({ propertyFile: 'out.properties' }, 'waitOnJobCompletion', { jobId: 'exec-1-1' }), { jobs: runner });
    const broken = await runJobTask(input({ propertyFile: 'bad.json' }, 'waitOnJobCompletion', { jobId: 'exec-1-1' }), { jobs: runner });
    expect(missing).toMatchObject({ kind: 'failed', message: "stage 'Job': expected the property file 'out.properties' but the job wrote no file /scratch/out.properties; make the job write it (exit code 0), or remove propertyFile" });
    expect(broken).toMatchObject({ kind: 'failed', message: expect.stringContaining("expected the property file 'bad.json' but it starts with '{' but is not valid JSON") });
  });
});
