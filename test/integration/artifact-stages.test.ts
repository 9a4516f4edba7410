/**
 * The artifact and job stages, for real: compiled pipelines run on the local engine with the
 * real stage runner, whose image store bakes into a temporary directory, whose job runner
 * starts real processes, and whose deploy target is the local one (real processes of
 * examples/service behind a real load balancer); executions in dynalite. Time is virtual for
 * the runner (each poll moves it by the wait the runner answered) while Wait states sleep 50 ms.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { createLocalJobRunner, type LocalJobRunner } from '../../adapters/jobs/local-job-runner.ts';
import { createLocalArtifactStore } from '../../adapters/targets/local/artifact-store.ts';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import { newExecutionFromPipeline } from '../../core/execution/new-execution.ts';
import type { StageAnswer, StageRunnerRequest } from '../../core/execution/runner-contract.ts';
import { createStageRunner } from '../../core/execution/stage-runner.ts';
import { parsePipeline } from '../../core/pipeline/index.ts';
import type { ArtifactReference } from '../../core/deploy/model.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { ClusterRef } from '../../adapters/targets/local/local-target-api.ts';
import type { Execution, ExecutionStore, JsonObject } from '../../core/ports/execution-store.ts';
import { createAslEngine } from '../../local/asl-engine.ts';
import { compilePipeline } from '../../statemachines/index.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { createLocalTargetPorts } from '../../adapters/targets/local/local-ports.ts';
import type { Target } from '../../core/ports/target.ts';
import { SAMPLE_SERVICE_DIR, startTestLocalTarget, waitForInstances, type TestLocalTarget } from '../support/local-target.ts';

let dynalite: Dynalite;
let store: ExecutionStore;
let local: TestLocalTarget;
let ports: Target;
let artifacts: ArtifactStore;
let jobs: LocalJobRunner;
let scratch: string;
let now = Date.UTC(2024, 0, 1, 12, 0, 0);
const supervisors = new Set<number>();

beforeAll(async () => {
  dynalite = await startDynalite();
  store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => now } });
  local = await startTestLocalTarget();
  ports = createLocalTargetPorts(local.target);
  scratch = mkdtempSync(join(tmpdir(), 'gennaker-artifact-stages-'));
  artifacts = createLocalArtifactStore({ dir: join(scratch, 'images') });
  jobs = createLocalJobRunner({ dir: join(scratch, 'jobs'), baseEnv: { PATH: process.env.PATH ?? '' } });
});

afterAll(async () => {
  await jobs?.cancelAll();
  expect([...supervisors].filter(isAlive)).toEqual([]);
  expect(await local?.dispose()).toEqual([]);
  await dynalite?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Saves, compiles and runs a pipeline to its end with the runner wired to the image store, the job runner and the local target. */
async function runPipeline(id: string, stages: JsonObject[]): Promise<Execution> {
  const config = { id, application: 'hello', name: id, stages };
  const parsed = parsePipeline(config);
  if (!parsed.pipeline) throw new Error(`invalid pipeline: ${JSON.stringify(parsed.issues)}`);
  const saved = await store.savePipelineConfig({ id, application: 'hello', name: id, config });
  if (!saved.ok) throw new Error(`could not save ${id}`);
  const compiled = compilePipeline(parsed.pipeline, { stageRunnerArn: 'arn:aws:lambda:local:000000000000:function:gennaker-stage-runner' });
  const runner = createStageRunner({
    store,
    clock: { now: () => now },
    http: { send: async () => ({ ok: false, failure: { kind: 'refused-by-allowlist', message: 'no HTTP in this test' } }) },
    children: { start: async () => ({ ok: false, message: 'no child pipelines in this test' }) },
    targets: ({ account }) => (account === 'local' ? ports : undefined),
    artifacts,
    jobs,
  });
  const engine = createAslEngine({
    waitOverrideMs: 50,
    retryDelayMs: 0,
    invoke: async ({ payload }) => {
      const answer = await runner(payload as StageRunnerRequest);
      const waitSeconds = (answer as StageAnswer).waitSeconds;
      if (answer.status === 'RUNNING' && typeof waitSeconds === 'number') now += waitSeconds * 1000;
      return answer;
    },
  });
  const executionId = `${id}-execution`;
  await store.createExecution(newExecutionFromPipeline(parsed.pipeline, { id: executionId, version: saved.saved.version, pipelineConfigId: id, trigger: { type: 'manual', user: 'tester' }, parameters: {}, buildTime: now }));
  await store.updateExecution(executionId, { expect: ['NOT_STARTED'], set: { status: 'RUNNING', startTime: now } });
  await engine.start(compiled.definition, { executionId }, { executionId }).result;
  const execution = await store.getExecution(executionId);
  if (!execution) throw new Error(`execution ${executionId} vanished`);
  for (const stage of execution.stages) {
    const jobId = stage.context.jobId;
    if (typeof jobId !== 'string') continue;
    const text = await import('node:fs/promises').then((fs) => fs.readFile(join(scratch, 'jobs', jobId, 'job.json'), 'utf8'));
    supervisors.add((JSON.parse(text) as { pid: number }).pid);
  }
  return execution;
}

function stageNamed(execution: Execution, name: string) {
  const stage = execution.stages.find((candidate) => candidate.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

function errorOf(execution: Execution, name: string): string {
  const exception = stageNamed(execution, name).context.exception as { details?: { error?: string } } | undefined;
  return exception?.details?.error ?? '';
}

const local1 = { cloudProvider: 'local', credentials: 'local', regions: ['local'] };

describe('bake → findImageFromTags → runJob → a later stage', () => {
  it('bakes examples/service, finds it by tags, runs a job inside the image, and hands its properties to a later stage', async () => {
    // when
    const execution = await runPipeline('bake-find-run', [
      { refId: '1', requisiteStageRefIds: [], type: 'bake', name: 'Bake', package: 'hello', artifact: { type: 'directory', reference: SAMPLE_SERVICE_DIR, version: '1.2.0' }, tags: { release: 'candidate' }, regions: ['local'] },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'findImageFromTags', name: 'Find', packageName: 'hel*', tags: { release: 'candidate' }, regions: ['local'] },
      {
        refId: '3',
        requisiteStageRefIds: ['2'],
        type: 'runJob',
        name: 'Job',
        cloudProvider: 'local',
        image: "${#stage('Find').outputs.imageName}",
        env: { GREETING: 'hello world' },
        command: ['node', '-e', "const fs = require('fs'); const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')); fs.writeFileSync(process.env.JOB_WORK_DIR + '/out.properties', 'PACKAGE=' + pkg.name + '\\nGREETING=' + process.env.GREETING + '\\n'); console.log('done');"],
        propertyFile: 'out.properties',
      },
      { refId: '4', requisiteStageRefIds: ['3'], type: 'evaluateVariables', name: 'Use', variables: [{ key: 'seen', value: "${PACKAGE}/${GREETING}/${#stage('Job').outputs.exitCode}" }] },
    ]);

    // then
    expect(execution.stages.map((stage) => stage.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const baked = stageNamed(execution, 'Bake').outputs;
    expect(baked.imageName).toMatch(/^hello-1\.2\.0-[0-9a-f]{8}$/);
    expect(baked.deploymentDetails).toEqual([expect.objectContaining({ imageName: baked.imageName, imageId: baked.imageId, ami: baked.imageId, region: 'local', cloudProvider: 'local', artifact: baked.artifact })]);
    expect(baked.artifact).toMatchObject({ type: 'directory', name: 'hello', version: '1.2.0' });
    const found = stageNamed(execution, 'Find').outputs;
    expect(found.imageId).toBe(baked.imageId);
    expect(found.amiDetails).toEqual(found.deploymentDetails);
    const job = stageNamed(execution, 'Job').outputs;
    expect(job).toMatchObject({ exitCode: 0, PACKAGE: 'sample-service', GREETING: 'hello world', propertyFileContents: { PACKAGE: 'sample-service', GREETING: 'hello world' }, jobStatus: { state: 'SUCCEEDED' } });
    expect(stageNamed(execution, 'Use').outputs.seen).toBe('sample-service/hello world/0');
  });

  it('fails a runJob whose job exits 3 with the exit code and its last output, and halts the pipeline', async () => {
    // when
    const execution = await runPipeline('failing-job', [
      { refId: '1', requisiteStageRefIds: [], type: 'runJob', name: 'Migrate', cloudProvider: 'local', command: ['node', '-e', "console.log('migrating'); console.error('boom: table locked'); process.exit(3)"] },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'After', waitTime: 1 },
    ]);
    // then
    expect(execution.stages.map((stage) => stage.status)).toEqual(['TERMINAL', 'NOT_STARTED']);
    expect(execution.status).toBe('TERMINAL');
    const error = errorOf(execution, 'Migrate');
    expect(error).toMatch(/^stage 'Migrate': job \S+ failed with exit code 3; its last output:\n/);
    expect(error).toContain('migrating\nboom: table locked');
    expect(stageNamed(execution, 'Migrate').context).toMatchObject({ exitCode: 3, jobStatus: { state: 'FAILED', exitCode: 3 } });
  });

  it('fails a runJob whose property file was never written, naming the file', async () => {
    const execution = await runPipeline('no-property-file', [
      { refId: '1', requisiteStageRefIds: [], type: 'runJob', name: 'Silent', cloudProvider: 'local', shell: 'echo nothing to see', propertyFile: 'result.json' },
    ]);
    expect(execution.stages[0]!.status).toBe('TERMINAL');
    expect(errorOf(execution, 'Silent')).toMatch(/^stage 'Silent': expected the property file 'result.json' but the job wrote no file \S+result\.json; make the job write it \(exit code 0\), or remove propertyFile$/);
  });
});

describe('findImage and rollbackServerGroup on the local deploy target', () => {
  const ref: ClusterRef = { account: 'local', location: 'local', cluster: 'hello-rollback' };

  async function deployImage(version: string, sequence: string, capacity = { min: 1, max: 1, desired: 1 }): Promise<ArtifactReference> {
    const baked = await artifacts.bake({ package: 'hello', source: { type: 'directory', reference: SAMPLE_SERVICE_DIR }, version });
    if (!baked.ok) throw new Error(baked.message);
    const name = `hello-rollback-${sequence}`;
    const created = await local.target.createServerGroup({ ...ref, name, capacity, artifact: baked.image.artifact });
    expect(created.ok).toBe(true);
    await waitForInstances(local.target, ref, name, capacity.desired);
    return baked.image.artifact;
  }

  async function versionsServed(requests = 8): Promise<Set<string>> {
    const url = local.target.loadBalancerUrl(ref);
    const versions = new Set<string>();
    for (let index = 0; index < requests; index++) versions.add(((await (await fetch(`${url}/`)).json()) as { version: string }).version);
    return versions;
  }

  it('finds the image the newest enabled server group runs, rolls it back to the older one (resized to its capacity), and finds the older image afterwards', async () => {
    // given: v001 runs baked image 1.0.0 on one instance, v002 runs 2.0.0 on two; both in traffic
    await deployImage('1.0.0', 'v001');
    const newer = await deployImage('2.0.0', 'v002', { min: 1, max: 2, desired: 2 });
    expect(newer.version).toBe('2.0.0');
    const findImage = { refId: '1', requisiteStageRefIds: [], type: 'findImage', name: 'Find', ...local1, cluster: 'hello-rollback', selectionStrategy: 'NEWEST', onlyEnabled: true };

    // when
    const before = await runPipeline('find-before', [findImage]);
    // then
    expect(before.stages[0]!.status).toBe('SUCCEEDED');
    expect(before.stages[0]!.outputs.deploymentDetails).toEqual([expect.objectContaining({ serverGroup: 'hello-rollback-v002', version: '2.0.0', package: 'hello', region: 'local' })]);

    // when
    const rollback = await runPipeline('rollback', [
      {
        refId: '1',
        requisiteStageRefIds: [],
        type: 'rollbackServerGroup',
        name: 'Rollback',
        ...local1,
        rollbackType: 'EXPLICIT',
        rollbackContext: { rollbackServerGroupName: 'hello-rollback-v002', restoreServerGroupName: 'hello-rollback-v001' },
      },
    ]);
    // then
    expect(rollback.stages[0]!.status).toBe('SUCCEEDED');
    const cluster = await local.target.describeCluster(ref);
    expect(cluster.serverGroups.map((group) => [group.name, group.disabled])).toEqual([
      ['hello-rollback-v001', false],
      ['hello-rollback-v002', true],
    ]);
    // resized up to v002's two instances, then its min restored from v002's
    const restored = cluster.serverGroups[0]!;
    expect(restored.capacity).toEqual({ min: 1, max: 2, desired: 2 });
    expect(restored.instances.map((instance) => instance.health)).toEqual(['Up', 'Up']);
    expect(await versionsServed()).toEqual(new Set(['1.0.0']));

    // when
    const after = await runPipeline('find-after', [findImage]);
    // then: the rolled-back server group is disabled, so the image in service is the older one
    expect(after.stages[0]!.outputs).toMatchObject({ imageName: expect.stringMatching(/^hello-1\.0\.0-/), artifact: { version: '1.0.0' } });
  });

  it('refuses to disable the last enabled server group of a guarded cluster, and changes nothing', async () => {
    // given: the rollback above left v001 as the only enabled server group; the cluster is guarded
    const saved = await store.saveApplication({ name: 'hello', accounts: ['local'], trafficGuards: [{ account: 'local', location: 'local', stack: 'rollback', enabled: true }], permissions: {}, raw: {} });
    expect(saved.ok).toBe(true);
    // when
    const execution = await runPipeline('guarded-rollback', [
      {
        refId: '1',
        requisiteStageRefIds: [],
        type: 'rollbackServerGroup',
        name: 'Rollback',
        ...local1,
        rollbackContext: { rollbackServerGroupName: 'hello-rollback-v001', restoreServerGroupName: 'hello-rollback-v002', disableOnly: true },
      },
    ]);
    // then
    expect(execution.stages[0]!.status).toBe('TERMINAL');
    expect(errorOf(execution, 'Rollback')).toBe(
      "stage 'Rollback': This cluster ('hello-rollback' in local/local) has traffic guards enabled. Disabling [hello-rollback-v001] would leave the cluster with no instances up.",
    );
    expect((await local.target.describeCluster(ref)).serverGroups.find((group) => group.name === 'hello-rollback-v001')?.disabled).toBe(false);
  });
});

describe('the local job runner', () => {
  async function settled(runner: LocalJobRunner, id: string) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const job = await runner.getJob(id);
      if (job && job.state !== 'RUNNING') return job;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`job ${id} is still running`);
  }

  it('starts a job once per id, and another runner on the same directory reads its outcome (a restart)', async () => {
    // given
    const first = await jobs.startJob({ id: 'once', command: ['node', '-e', "require('fs').appendFileSync('runs.txt', 'x'); console.log('ran')"] });
    const again = await jobs.startJob({ id: 'once', command: ['node', '-e', 'process.exit(9)'] });
    expect(first).toMatchObject({ ok: true, alreadyStarted: false });
    expect(again).toMatchObject({ ok: true, alreadyStarted: true });
    await settled(jobs, 'once');
    // when
    const restarted = createLocalJobRunner({ dir: join(scratch, 'jobs') });
    // then
    expect(await restarted.getJob('once')).toMatchObject({ state: 'SUCCEEDED', exitCode: 0 });
    expect(await restarted.readFile('once', 'runs.txt')).toEqual({ ok: true, text: 'x' });
    expect(await restarted.logTail('once', 5)).toEqual(['ran']);
  });

  it('runs a job once when two starts of its id race, from two runners on the same directory', async () => {
    // given two runners (two processes of Gennaker, or a task delivered twice at once)
    const other = createLocalJobRunner({ dir: join(scratch, 'jobs'), baseEnv: { PATH: process.env.PATH ?? '' } });
    const command = ['node', '-e', "require('fs').appendFileSync('runs.txt', process.pid + '\\n')"];
    // when both start the same id at once
    const starts = await Promise.all([jobs.startJob({ id: 'race', command }), other.startJob({ id: 'race', command }), jobs.startJob({ id: 'race', command })]);
    // then exactly one started it, and the command ran once
    expect(starts.map((start) => start.ok)).toEqual([true, true, true]);
    expect(starts.filter((start) => start.ok && !start.alreadyStarted)).toHaveLength(1);
    expect(await settled(jobs, 'race')).toMatchObject({ state: 'SUCCEEDED' });
    const read = await jobs.readFile('race', 'runs.txt');
    expect(read.ok && read.text.trim().split('\n')).toHaveLength(1);
  });

  it('keeps a job private: its directory 0700, its spec with the environment and its output 0600', async () => {
    await jobs.startJob({ id: 'private', command: ['node', '-e', 'console.log(process.env.SECRET.length)'], env: { SECRET: 'hunter2' } });
    await settled(jobs, 'private');
    const mode = (path: string) => statSync(join(scratch, 'jobs', 'private', path)).mode & 0o777;
    expect([mode('.'), mode('job.json'), mode('output.log'), mode('exit.json')]).toEqual([0o700, 0o600, 0o600, 0o600]);
  });

  it('does not take a live process that reused a job supervisor\'s pid for the supervisor', async () => {
    // given a job file naming a live pid (this test's) with another process start time, and no exit record
    const home = join(scratch, 'jobs', 'reused-pid');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'job.json'), JSON.stringify({ id: 'reused-pid', command: ['true'], env: {}, workingDirectory: home, startedTime: 1, pid: process.pid, startTime: 1 }));
    // then the job is not running: its supervisor is gone and it recorded no exit
    expect(await jobs.getJob('reused-pid')).toMatchObject({ state: 'FAILED', error: expect.stringContaining('ended without recording how') });
    expect(await jobs.runningPids()).not.toContain(process.pid);
  });

  it('continues a job that still runs under a new id (a restarted stage), and starts anew once it has ended', async () => {
    // given a running job
    const command = ['node', '-e', "require('fs').appendFileSync('runs.txt', 'x'); setTimeout(() => {}, 60_000)"];
    expect(await jobs.startJob({ id: 'first-1-runJob', command })).toMatchObject({ ok: true, alreadyStarted: false });
    const [pid] = await jobs.runningPids().then((pids) => pids.filter((candidate) => !supervisors.has(candidate)));
    supervisors.add(pid!);
    // when a restart's stage starts its own id, continuing the first
    const continued = await jobs.startJob({ id: 'second-1-runJob', command, continues: 'first-1-runJob' });
    // then nothing new started: the new id names the running job, and a restart of the restart too
    expect(continued).toMatchObject({ ok: true, alreadyStarted: true, job: { id: 'second-1-runJob', state: 'RUNNING' } });
    expect(await jobs.startJob({ id: 'third-1-runJob', command, continues: 'second-1-runJob' })).toMatchObject({ ok: true, alreadyStarted: true });
    await vi.waitFor(async () => expect(await jobs.readFile('third-1-runJob', 'runs.txt')).toEqual({ ok: true, text: 'x' }));
    // and canceling through the newest id stops the one process
    await jobs.cancelJob('third-1-runJob');
    expect(await settled(jobs, 'first-1-runJob')).toMatchObject({ state: 'FAILED', signal: 'SIGTERM' });
    expect(isAlive(pid!)).toBe(false);
    // when another restart continues the job that has ended, it starts its own
    const fresh = await jobs.startJob({ id: 'fourth-1-runJob', command: ['node', '-e', ''], continues: 'third-1-runJob' });
    expect(fresh).toMatchObject({ ok: true, alreadyStarted: false });
    expect(await settled(jobs, 'fourth-1-runJob')).toMatchObject({ state: 'SUCCEEDED' });
  });

  it('fails a job whose program does not exist, saying so', async () => {
    await jobs.startJob({ id: 'missing-program', command: ['gennaker-no-such-program', '--help'] });
    expect(await settled(jobs, 'missing-program')).toMatchObject({ state: 'FAILED', error: 'program "gennaker-no-such-program" not found' });
  });

  it('cancels a running job: its process group ends and the signal is recorded', async () => {
    // given
    await jobs.startJob({ id: 'long', command: ['node', '-e', 'setTimeout(() => {}, 60_000)'] });
    const pids = await jobs.runningPids();
    expect(pids.length).toBeGreaterThan(0);
    // when
    await jobs.cancelJob('long');
    // then
    expect(await settled(jobs, 'long')).toMatchObject({ state: 'FAILED', signal: 'SIGTERM' });
    expect(pids.filter(isAlive)).toEqual([]);
    for (const pid of pids) supervisors.add(pid);
  });
});
