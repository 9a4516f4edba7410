/**
 * The `deploy` stage, for real: compiled pipelines on the local engine with the real stage runner,
 * whose deploy target is the local one (real processes of examples/service behind a real load
 * balancer), executions in dynalite. Zero downtime is measured, not assumed: autocannon sends
 * requests through the cluster's load balancer endpoint for the whole of a red/black, a rolling
 * red/black and a rollbackCluster, and every one of them must answer 2xx.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDescription, ClusterRef, ServerGroupDescription } from '../../adapters/targets/local/local-target-api.ts';
import type { ExecutionStore, JsonObject } from '../../core/ports/execution-store.ts';
import { startDeployRig, type DeployRig } from '../support/deploy-rig.ts';
import type { Finished, LocalRun } from '../support/local-run.ts';
import { sampleServiceArtifact, type TestLocalTarget } from '../support/local-target.ts';

/** The part of autocannon's result this test reads. */
interface LoadResult {
  /** Answers received (`total`) and requests sent. */
  readonly requests: { readonly total: number; readonly sent: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly '2xx': number;
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: LoadResult) => void) => { stop(): void; on(event: 'response', listener: () => void): void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

let rig: DeployRig;
let store: ExecutionStore;
let local: TestLocalTarget;
let run: LocalRun;

beforeAll(async () => {
  rig = await startDeployRig();
  ({ store, local, run } = rig);
});

afterAll(async () => {
  expect(await rig?.dispose()).toEqual([]);
});

let counter = 0;

/** A deploy cluster of the sample service in the local account. */
function cluster(application: string, version: string, fields: JsonObject = {}): JsonObject {
  return {
    account: 'local',
    cloudProvider: 'local',
    application,
    stack: 'prod',
    availabilityZones: { local: [] },
    capacity: { min: 2, max: 2, desired: 2 },
    artifact: sampleServiceArtifact(version) as unknown as JsonObject,
    ...fields,
  };
}

/** Runs a one-stage pipeline. */
async function runStage(application: string, type: string, fields: JsonObject): Promise<Finished> {
  const id = `${type}-${++counter}`;
  return run.run({ id, application, name: id, stages: [{ refId: '1', requisiteStageRefIds: [], type, name: type, ...fields }] });
}

const deploy = (application: string, version: string, fields: JsonObject = {}) => runStage(application, 'deploy', { clusters: [cluster(application, version, fields)] });

const ref = (name: string): ClusterRef => ({ account: 'local', location: 'local', cluster: name });
const describeCluster = (name: string): Promise<ClusterDescription> => local.target.describeCluster(ref(name));
const names = async (name: string) => (await describeCluster(name)).serverGroups.map((serverGroup) => serverGroup.name);

function group(description: ClusterDescription, name: string): ServerGroupDescription | undefined {
  return description.serverGroups.find((serverGroup) => serverGroup.name === name);
}

function errorOf(finished: Finished): string {
  const exception = finished.execution.stages[0]?.context.exception as { details?: { error?: string } } | undefined;
  return exception?.details?.error ?? '';
}

/** The versions the cluster's load balancer answers with. */
async function versionsServed(name: string, requests = 8): Promise<Set<string>> {
  const endpoint = (await describeCluster(name)).endpoint!;
  const versions = new Set<string>();
  for (let index = 0; index < requests; index++) {
    const response = await fetch(`${endpoint}/`);
    versions.add(((await response.json()) as { version: string }).version);
  }
  return versions;
}

/** Answers counted before the operation starts, and at least, in all, before the load stops. */
const ANSWERS_BEFORE = 50;
const ANSWERS_IN_ALL = 250;

/**
 * Starts 8 connections of load on the cluster's endpoint, and returns once ANSWERS_BEFORE answers
 * came back (the load is flowing). `stop()` waits until ANSWERS_IN_ALL answers came back in all,
 * however slow the machine, then ends the load and returns the result.
 */
async function startLoad(name: string): Promise<{ stop(): Promise<LoadResult> }> {
  const endpoint = (await describeCluster(name)).endpoint;
  if (!endpoint) throw new Error(`cluster ${name} has no load balancer`);
  let settle!: (result: LoadResult) => void;
  let reject!: (error: Error) => void;
  const done = new Promise<LoadResult>((resolve, fail) => {
    settle = resolve;
    reject = fail;
  });
  const instance = autocannon({ url: `${endpoint}/`, connections: 8, duration: 120, timeout: 5 }, (error, result) => (error ? reject(error) : settle(result)));
  let answers = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  instance.on('response', () => {
    answers += 1;
    for (const waiter of waiters.filter((candidate) => answers >= candidate.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  // An ended load (its 120 s are up, or it failed) answers no more: stop waiting for answers then.
  const answered = (count: number) => Promise.race([done.then(() => undefined), new Promise<void>((resolve) => (answers >= count ? resolve() : waiters.push({ count, resolve })))]);
  await answered(ANSWERS_BEFORE);
  return {
    stop: async () => {
      await answered(ANSWERS_IN_ALL);
      instance.stop();
      return done;
    },
  };
}

/** Zero downtime: no connection error, no timeout, no answer outside 2xx, and enough requests to mean it. */
function expectNoFailedRequest(operation: string, result: LoadResult): void {
  process.stdout.write(`[deploy under load] ${operation}: ${result.requests.total} requests, ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx\n`);
  expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
  expect(result['2xx']).toBe(result.requests.total);
  expect(result.requests.total).toBeGreaterThanOrEqual(ANSWERS_IN_ALL);
}

/** The kinds of the steps the deploy ran, in order (its runtime plan after cluster-wide steps were expanded). */
function stepKinds(finished: Finished): string[] {
  const progress = finished.execution.stages[0]!.runtime['deploy:cluster0'] as { steps: Array<{ step: { kind: string; desiredPercentage?: number } }> };
  return progress.steps.map(({ step }) => (step.desiredPercentage !== undefined ? `${step.kind}(${step.desiredPercentage}%)` : step.kind));
}

describe('deploy with red/black on the local target', () => {
  it('deploys v001 beside v000 under load, disables v000 without one failed request, and rolls back the same way', async () => {
    // given v000 serving
    const first = await deploy('rb', '1.0.0', { strategy: 'redblack' });
    expect(first.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(await names('rb-prod')).toEqual(['rb-prod-v000']);

    // when v001 is deployed with red/black while the load runs
    let load = await startLoad('rb-prod');
    const second = await deploy('rb', '2.0.0', { strategy: 'redblack' });
    let result = await load.stop();

    // then v001 serves, v000 is disabled but kept for a rollback, and nothing failed
    expect(second.statuses).toEqual({ '1': 'SUCCEEDED' });
    expectNoFailedRequest('red/black', result);
    let description = await describeCluster('rb-prod');
    expect(group(description, 'rb-prod-v000')).toMatchObject({ disabled: true, trafficWeight: 0 });
    expect(group(description, 'rb-prod-v000')!.instances).toHaveLength(2);
    expect(group(description, 'rb-prod-v001')).toMatchObject({ disabled: false, trafficWeight: 100 });
    expect(await versionsServed('rb-prod')).toEqual(new Set(['2.0.0']));
    const stage = second.execution.stages[0]!;
    expect(stage.outputs).toMatchObject({
      'deploy.account.name': 'local',
      'deploy.server.groups': { local: ['rb-prod-v001'] },
      deployments: [{ account: 'local', location: 'local', cluster: 'rb-prod', serverGroup: 'rb-prod-v001' }],
    });
    expect(stage.context['deploy.server.groups']).toEqual({ local: ['rb-prod-v001'] });
    expect(stepKinds(second)).toEqual(['createServerGroup', 'waitForHealthy', 'disableCluster', 'disableServerGroup']);

    // when the cluster is rolled back under load
    load = await startLoad('rb-prod');
    const rollback = await runStage('rb', 'rollbackCluster', { cloudProvider: 'local', credentials: 'local', regions: ['local'], cluster: 'rb-prod' });
    result = await load.stop();

    // then v000 serves again, v001 is out, and nothing failed
    expect(rollback.statuses).toEqual({ '1': 'SUCCEEDED' });
    expectNoFailedRequest('rollbackCluster', result);
    description = await describeCluster('rb-prod');
    expect(group(description, 'rb-prod-v000')).toMatchObject({ disabled: false, trafficWeight: 100 });
    expect(group(description, 'rb-prod-v001')).toMatchObject({ disabled: true });
    expect(await versionsServed('rb-prod')).toEqual(new Set(['1.0.0']));
  });

  it('respects maxRemainingAsgs and scaleDown: the oldest disabled server group is destroyed, the previous one scaled to zero', async () => {
    // given rb-prod from the test above: v000 enabled (restored), v001 disabled
    // when v002 is deployed keeping at most two server groups and scaling the old one down
    const third = await deploy('rb', '3.0.0', { strategy: 'redblack', maxRemainingAsgs: 2, scaleDown: true });
    // then
    expect(third.statuses).toEqual({ '1': 'SUCCEEDED' });
    // Frigga: the most recently created was v001, so the new one is v002
    expect(third.execution.stages[0]!.outputs['deploy.server.groups']).toEqual({ local: ['rb-prod-v002'] });
    expect(stepKinds(third)).toEqual(['createServerGroup', 'waitForHealthy', 'shrinkCluster', 'destroyServerGroup', 'disableCluster', 'disableServerGroup', 'scaleDownCluster', 'resizeServerGroup']);
    const description = await describeCluster('rb-prod');
    expect(description.serverGroups.map((serverGroup) => serverGroup.name)).toEqual(['rb-prod-v000', 'rb-prod-v002']);
    expect(group(description, 'rb-prod-v000')).toMatchObject({ disabled: true, capacity: { min: 0, max: 0, desired: 0 }, instances: [] });
    expect(group(description, 'rb-prod-v002')).toMatchObject({ disabled: false, trafficWeight: 100 });
    expect(await versionsServed('rb-prod')).toEqual(new Set(['3.0.0']));
  });
});

describe('deploy with other strategies', () => {
  it('highlander destroys every older server group once the new one is healthy', async () => {
    // given
    expect((await deploy('hl', '1.0.0', { strategy: 'none' })).statuses).toEqual({ '1': 'SUCCEEDED' });
    // when
    const finished = await deploy('hl', '2.0.0', { strategy: 'highlander', capacity: { min: 1, max: 1, desired: 1 } });
    // then
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(await names('hl-prod')).toEqual(['hl-prod-v001']);
    expect(await versionsServed('hl-prod')).toEqual(new Set(['2.0.0']));
  });

  it('rolling red/black grows the new server group in steps while disabling the same share of the old one, under load without a failed request', async () => {
    // given v000 with two instances, min 1
    expect((await deploy('rrb', '1.0.0', { strategy: 'rollingredblack', capacity: { min: 1, max: 2, desired: 2 } })).statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(group(await describeCluster('rrb-prod'), 'rrb-prod-v000')).toMatchObject({ disabled: false, capacity: { min: 1, max: 2, desired: 2 } });
    // when v001 rolls out at 50% then 100% while the load runs
    const load = await startLoad('rrb-prod');
    const finished = await deploy('rrb', '2.0.0', { strategy: 'rollingredblack', targetPercentages: [50, 100], capacity: { min: 1, max: 2, desired: 2 } });
    const result = await load.stop();
    // then, in Spinnaker's order: pin the source, then per step resize the new one and disable that share of the old one, then unpin
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    expectNoFailedRequest('rolling red/black', result);
    expect(stepKinds(finished)).toEqual([
      'createServerGroup',
      'waitForHealthy',
      'captureCapacity',
      'pinServerGroup',
      'resizeServerGroup',
      'disableServerGroup(50%)',
      'resizeServerGroup',
      'disableServerGroup(100%)',
      'unpinServerGroup',
    ]);
    const description = await describeCluster('rrb-prod');
    // the source is out of traffic and unpinned back to its own min
    expect(group(description, 'rrb-prod-v000')).toMatchObject({ disabled: true, trafficWeight: 0, capacity: { min: 1, max: 2, desired: 2 } });
    expect(group(description, 'rrb-prod-v001')).toMatchObject({ disabled: false, trafficWeight: 100, capacity: { min: 1, max: 2, desired: 2 } });
    expect(group(description, 'rrb-prod-v001')!.instances.map((instance) => instance.health)).toEqual(['Up', 'Up']);
    expect(await versionsServed('rrb-prod')).toEqual(new Set(['2.0.0']));
    // the partial step really happened: the 50% disable took one of v000's two instances out on its own
    expect(group(description, 'rrb-prod-v000')!.instances.filter((instance) => instance.outOfService)).toHaveLength(1);
  });

  it('rolling red/black runs pipelineBeforeCleanup at every step, with the deployed and source server groups and the percentage', async () => {
    // given a validation pipeline and v000
    await run.save({ id: 'smoke-check', application: 'rrbv', name: 'smoke-check', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'soak', waitTime: 1 }] });
    expect((await deploy('rrbv', '1.0.0', { strategy: 'none', capacity: { min: 1, max: 1, desired: 1 } })).statuses).toEqual({ '1': 'SUCCEEDED' });
    // when
    const finished = await deploy('rrbv', '2.0.0', {
      strategy: 'rollingredblack',
      targetPercentages: [50],
      capacity: { min: 1, max: 1, desired: 1 },
      pipelineBeforeCleanup: { application: 'rrbv', pipelineId: 'smoke-check', pipelineParameters: { team: 'web' } },
    });
    // then one child per step ran to SUCCEEDED before that step's disable
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(stepKinds(finished)).toEqual([
      'createServerGroup',
      'waitForHealthy',
      'captureCapacity',
      'pinServerGroup',
      'resizeServerGroup',
      'runPipeline',
      'disableServerGroup(50%)',
      'resizeServerGroup',
      'runPipeline',
      'disableServerGroup(100%)',
      'unpinServerGroup',
    ]);
    const stage = finished.execution.stages[0]!;
    for (const percent of [50, 100]) {
      const child = await store.getExecution(`${finished.execution.id}.${stage.id}:validate${percent}Percent.child`);
      expect(child?.status).toBe('SUCCEEDED');
      expect(child?.trigger.parameters).toMatchObject({
        team: 'web',
        percentageComplete: percent,
        deployedServerGroup: { serverGroupName: 'rrbv-prod-v001', region: 'local', account: 'local' },
        sourceServerGroup: { serverGroupName: 'rrbv-prod-v000' },
      });
    }
    expect(await versionsServed('rrbv-prod', 4)).toEqual(new Set(['2.0.0']));
  });

  it('custom runs the strategy pipeline with Spinnaker\'s parameters and waits for it', async () => {
    // given
    await run.save({ id: 'my-strategy', application: 'cust', name: 'my-strategy', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'pretend', waitTime: 1 }] });
    // when
    const finished = await deploy('cust', '1.0.0', { strategy: 'custom', strategyApplication: 'cust', strategyPipeline: 'my-strategy', pipelineParameters: { ring: 1 } });
    // then
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    const stage = finished.execution.stages[0]!;
    const child = await store.getExecution(`${finished.execution.id}.${stage.id}.child`);
    expect(child?.status).toBe('SUCCEEDED');
    expect(child?.trigger.parameters).toMatchObject({ application: 'cust', credentials: 'local', cluster: 'cust-prod', region: 'local', strategy: true, parentStageId: stage.id, ring: 1 });
    // the strategy pipeline, not the stage, decides what to deploy
    expect(await names('cust-prod')).toEqual([]);
  });
});

describe('failed deploys', () => {
  /** v001 of the sample service whose health check answers 500: it never becomes Up. */
  const broken = (fields: JsonObject) => ({ strategy: 'redblack', env: { FAIL_HEALTH: '1' }, waitForHealthyTimeoutSec: 15, ...fields });

  it('fails a deploy whose new server group never becomes healthy within its timeout, leaving the old one serving and the new one as it is', async () => {
    // given
    expect((await deploy('nh', '1.0.0', { strategy: 'redblack' })).statuses).toEqual({ '1': 'SUCCEEDED' });
    // when
    const finished = await deploy('nh', '2.0.0', broken({}));
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toMatch(
      /^stage 'deploy': nh-prod-v001 in local did not become healthy within 15 s \(0 of the 2 instances needed are Up; instances: (Starting|Down), (Starting|Down)\); fix its health check, or raise waitForHealthyTimeoutSec; rollback\.onFailure is off, so nh-prod-v001 is left as it is$/,
    );
    const stage = finished.execution.stages[0]!;
    // it failed on its timeout (virtual time), not on a poll budget
    expect(stage.endTime! - stage.startTime!).toBeGreaterThanOrEqual(15_000);
    expect(stage.endTime! - stage.startTime!).toBeLessThan(25_000);
    const description = await describeCluster('nh-prod');
    expect(group(description, 'nh-prod-v000')).toMatchObject({ disabled: false, trafficWeight: 100 });
    expect(group(description, 'nh-prod-v001')).toMatchObject({ disabled: false, trafficWeight: 0 });
    expect(await versionsServed('nh-prod')).toEqual(new Set(['1.0.0']));
  });

  it('with rollback.onFailure disables the new server group, and with destroyLatest destroys it', async () => {
    // given nh-prod from the test above: v000 serving, the broken v001 still there
    // when
    const finished = await deploy('nh', '3.0.0', broken({ rollback: { onFailure: true, destroyLatest: true } }));
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toMatch(/^stage 'deploy': nh-prod-v002 in local did not become healthy within 15 s .*; rolled back: disabled nh-prod-v002 in local, destroyed nh-prod-v002 in local$/);
    expect(await names('nh-prod')).toEqual(['nh-prod-v000', 'nh-prod-v001']);
    expect(await versionsServed('nh-prod')).toEqual(new Set(['1.0.0']));
  });

  it('rolls a failed rolling red/black back: the source is enabled again and unpinned, the new server group disabled', async () => {
    // given v000 serving with two instances
    expect((await deploy('rrbf', '1.0.0', { strategy: 'redblack', capacity: { min: 1, max: 2, desired: 2 } })).statuses).toEqual({ '1': 'SUCCEEDED' });
    // when the first step's instances never become healthy
    const finished = await deploy('rrbf', '2.0.0', broken({ strategy: 'rollingredblack', targetPercentages: [50], capacity: { min: 1, max: 2, desired: 2 }, rollback: { onFailure: true } }));
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toMatch(
      /^stage 'deploy': rrbf-prod-v001 in local did not become healthy within 15 s .*; rolled back: enabled rrbf-prod-v000 in local, disabled rrbf-prod-v001 in local, unpinned rrbf-prod-v000 in local$/,
    );
    const description = await describeCluster('rrbf-prod');
    expect(group(description, 'rrbf-prod-v000')).toMatchObject({ disabled: false, trafficWeight: 100, capacity: { min: 1, max: 2, desired: 2 } });
    expect(group(description, 'rrbf-prod-v001')).toMatchObject({ disabled: true });
    expect(await versionsServed('rrbf-prod')).toEqual(new Set(['1.0.0']));
  });

  it('fails a highlander deploy whose destroy would leave a guarded cluster with no instance up, with the guard message', async () => {
    // given a guarded application with v000 serving
    const saved = await store.saveApplication({
      name: 'guarded',
      accounts: ['local'],
      trafficGuards: [{ account: 'local', location: 'local', stack: 'prod', enabled: true }],
      permissions: {},
      raw: {},
    });
    expect(saved.ok).toBe(true);
    expect((await deploy('guarded', '1.0.0', { strategy: 'none', capacity: { min: 1, max: 1, desired: 1 } })).statuses).toEqual({ '1': 'SUCCEEDED' });
    // when a highlander deploy does not wait for its broken server group (targetHealthyDeployPercentage 0)
    const finished = await deploy('guarded', '2.0.0', {
      strategy: 'highlander',
      env: { FAIL_HEALTH: '1' },
      targetHealthyDeployPercentage: 0,
      capacity: { min: 1, max: 1, desired: 1 },
    });
    // then the destroy of the last serving server group is refused
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toBe(
      "stage 'deploy': This cluster ('guarded-prod' in local/local) has traffic guards enabled. Running destroyServerGroup on [guarded-prod-v000] would leave the cluster with no instances up.; rollback.onFailure is off, so guarded-prod-v001 is left as it is",
    );
    expect(await names('guarded-prod')).toEqual(['guarded-prod-v000', 'guarded-prod-v001']);
    expect(await versionsServed('guarded-prod')).toEqual(new Set(['1.0.0']));
  });

  it('fails a deploy without an artifact before creating anything, saying what to set', async () => {
    const finished = await runStage('hello', 'deploy', { clusters: [{ account: 'local', application: 'hello', stack: 'prod', region: 'local', capacity: { desired: 1 } }] });
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toBe(
      'stage \'deploy\': clusters[0] has no artifact to deploy in local; set artifact, e.g. {"type": "directory", "reference": "examples/service"}, or run a bake or findImage stage before this one',
    );
    expect(await names('hello-prod')).toEqual([]);
  });
});
