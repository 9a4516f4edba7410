/**
 * The server-group and cluster stages, for real: compiled pipelines run on the local engine with
 * the real stage runner, whose deploy target is the local one (real processes of
 * examples/service behind a real load balancer), executions in dynalite. Each test builds its own
 * cluster of server groups through the port, runs one stage, and checks the cluster and its
 * traffic afterwards. Traffic guards come from the application record, as in Spinnaker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDescription, ClusterRef, ServerGroupDescription } from '../../adapters/targets/local/local-target-api.ts';
import type { ExecutionStore, JsonObject } from '../../core/ports/execution-store.ts';
import { startDeployRig, type DeployRig } from '../support/deploy-rig.ts';
import { createLocalRun, type Finished, type LocalRun } from '../support/local-run.ts';
import { sampleServiceArtifact, waitForInstances, type TestLocalTarget } from '../support/local-target.ts';

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

/** A one-stage pipeline acting on `cluster` in the local account. */
async function runStage(application: string, cluster: string, type: string, fields: JsonObject = {}): Promise<Finished> {
  const id = `${type}-${++counter}`;
  const stage: JsonObject = { refId: '1', requisiteStageRefIds: [], type, name: type, cloudProvider: 'local', credentials: 'local', regions: ['local'], cluster, ...fields };
  return run.run({ id, application, name: id, stages: [stage] });
}

const ref = (cluster: string): ClusterRef => ({ account: 'local', location: 'local', cluster });

/** Creates `-v001` (version 1.0.0) and `-v002` (2.0.0), one instance each, both Up and in traffic. */
async function clusterOfTwo(cluster: string): Promise<void> {
  for (const [sequence, version] of [
    [1, '1.0.0'],
    [2, '2.0.0'],
  ] as const) {
    const name = `${cluster}-v00${sequence}`;
    const created = await local.target.createServerGroup({ ...ref(cluster), name, capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact(version) });
    expect(created.ok).toBe(true);
    await waitForInstances(local.target, ref(cluster), name, 1);
  }
}

async function describeCluster(cluster: string): Promise<ClusterDescription> {
  return local.target.describeCluster(ref(cluster));
}

function group(description: ClusterDescription, name: string): ServerGroupDescription | undefined {
  return description.serverGroups.find((serverGroup) => serverGroup.name === name);
}

/** The versions the cluster's load balancer answers with, over `requests` requests. */
async function versionsServed(cluster: string, requests = 8): Promise<Set<string>> {
  const url = local.target.loadBalancerUrl(ref(cluster));
  const versions = new Set<string>();
  for (let index = 0; index < requests; index++) {
    const response = await fetch(`${url}/`);
    versions.add(((await response.json()) as { version: string }).version);
  }
  return versions;
}

/** The statuses the runner answered for one step of one execution, in order. */
function answersOf(executionId: string, task: string): string[] {
  return run.calls
    .filter((call) => call.request.executionId === executionId && 'task' in call.request && call.request.task === task)
    .map((call) => (call.answer as { status?: string } | undefined)?.status ?? 'error');
}

function errorOf(finished: Finished): string {
  const exception = finished.execution.stages[0]?.context.exception as { details?: { error?: string } } | undefined;
  return exception?.details?.error ?? '';
}

describe('server-group stages on the local deploy target', () => {
  it('disableServerGroup takes the newest server group out of traffic, enableServerGroup brings it back', async () => {
    // given
    await clusterOfTwo('hello-toggle');
    expect(await versionsServed('hello-toggle', 12)).toEqual(new Set(['1.0.0', '2.0.0']));
    // when
    const disabled = await runStage('hello', 'hello-toggle', 'disableServerGroup', { target: 'current_asg_dynamic' });
    // then
    expect(disabled.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(disabled.execution.stages[0]!.context['deploy.server.groups']).toEqual({ local: ['hello-toggle-v002'] });
    expect(group(await describeCluster('hello-toggle'), 'hello-toggle-v002')).toMatchObject({ disabled: true, trafficWeight: 0 });
    expect(await versionsServed('hello-toggle')).toEqual(new Set(['1.0.0']));

    // when
    const enabled = await runStage('hello', 'hello-toggle', 'enableServerGroup', { serverGroupName: 'hello-toggle-v002' });
    // then
    expect(enabled.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(group(await describeCluster('hello-toggle'), 'hello-toggle-v002')).toMatchObject({ disabled: false });
    expect(await versionsServed('hello-toggle', 12)).toEqual(new Set(['1.0.0', '2.0.0']));
  });

  it('disableServerGroup with desiredPercentage takes that share of the instances out of traffic and keeps the group enabled', async () => {
    // given a server group of two instances
    const name = 'hello-share-v001';
    const created = await local.target.createServerGroup({ ...ref('hello-share'), name, capacity: { min: 2, max: 2, desired: 2 }, artifact: sampleServiceArtifact('1.0.0') });
    expect(created.ok).toBe(true);
    await waitForInstances(local.target, ref('hello-share'), name, 2);
    // when
    const disabled = await runStage('hello', 'hello-share', 'disableServerGroup', { serverGroupName: name, desiredPercentage: 50 });
    // then one instance (50%, rounded up) is out of service, and the group still serves
    expect(disabled.statuses).toEqual({ '1': 'SUCCEEDED' });
    const after = group(await describeCluster('hello-share'), name)!;
    expect(after.disabled).toBe(false);
    expect(after.instances.filter((instance) => instance.outOfService === true)).toHaveLength(1);
    expect(await versionsServed('hello-share', 6)).toEqual(new Set(['1.0.0']));
  });

  it('resizeServerGroup sets an exact capacity, then scales up by a number, and waits for the instances to be Up', async () => {
    // given
    await clusterOfTwo('hello-resize');
    // when
    const exact = await runStage('hello', 'hello-resize', 'resizeServerGroup', { target: 'current_asg_dynamic', action: 'scale_exact', capacity: { min: 2, max: 2, desired: 2 } });
    // then
    expect(exact.statuses).toEqual({ '1': 'SUCCEEDED' });
    const afterExact = group(await describeCluster('hello-resize'), 'hello-resize-v002');
    expect(afterExact?.capacity).toEqual({ min: 2, max: 2, desired: 2 });
    expect(afterExact?.instances.map((instance) => instance.health)).toEqual(['Up', 'Up']);
    // the resize returned at launch, in one call; the poll step is what waited for the new instance
    // (whether its first look already found it Up depends on how fast this machine started it)
    expect(answersOf(exact.execution.id, 'resizeServerGroup')).toEqual(['NEXT']);
    expect(answersOf(exact.execution.id, 'waitForCapacityMatch').at(-1)).toBe('SUCCEEDED');

    // when
    const up = await runStage('hello', 'hello-resize', 'resizeServerGroup', { target: 'current_asg_dynamic', action: 'scale_up', scaleNum: 1 });
    // then
    expect(up.statuses).toEqual({ '1': 'SUCCEEDED' });
    const afterUp = group(await describeCluster('hello-resize'), 'hello-resize-v002');
    expect(afterUp?.capacity).toEqual({ min: 3, max: 3, desired: 3 });
    expect(afterUp?.instances.map((instance) => instance.health)).toEqual(['Up', 'Up', 'Up']);
    // the other server group is untouched
    expect(group(await describeCluster('hello-resize'), 'hello-resize-v001')?.capacity).toEqual({ min: 1, max: 1, desired: 1 });
  });

  it('destroyServerGroup disables, then destroys the oldest server group', async () => {
    // given
    await clusterOfTwo('hello-destroy');
    // when
    const finished = await runStage('hello', 'hello-destroy', 'destroyServerGroup', { target: 'oldest_asg_dynamic' });
    // then
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect((await describeCluster('hello-destroy')).serverGroups.map((serverGroup) => serverGroup.name)).toEqual(['hello-destroy-v002']);
    expect(await versionsServed('hello-destroy')).toEqual(new Set(['2.0.0']));
  });
});

describe('cluster stages on the local deploy target', () => {
  it('disableCluster keeps the newest server group enabled, then scaleDownCluster scales the disabled one to zero', async () => {
    // given
    await clusterOfTwo('hello-cleanup');
    // when
    const disabled = await runStage('hello', 'hello-cleanup', 'disableCluster', { remainingEnabledServerGroups: 1 });
    // then
    expect(disabled.statuses).toEqual({ '1': 'SUCCEEDED' });
    let description = await describeCluster('hello-cleanup');
    expect(group(description, 'hello-cleanup-v001')).toMatchObject({ disabled: true });
    expect(group(description, 'hello-cleanup-v002')).toMatchObject({ disabled: false, trafficWeight: 100 });
    expect(await versionsServed('hello-cleanup')).toEqual(new Set(['2.0.0']));

    // when
    const scaled = await runStage('hello', 'hello-cleanup', 'scaleDownCluster', { remainingFullSizeServerGroups: 1 });
    // then
    expect(scaled.statuses).toEqual({ '1': 'SUCCEEDED' });
    description = await describeCluster('hello-cleanup');
    expect(group(description, 'hello-cleanup-v001')).toMatchObject({ capacity: { min: 0, max: 0, desired: 0 }, instances: [] });
    expect(group(description, 'hello-cleanup-v002')?.instances).toHaveLength(1);
  });

  it('shrinkCluster destroys all but the newest server group', async () => {
    // given
    await clusterOfTwo('hello-shrink');
    // when
    const finished = await runStage('hello', 'hello-shrink', 'shrinkCluster', { shrinkToSize: 1, allowDeleteActive: true });
    // then
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect((await describeCluster('hello-shrink')).serverGroups.map((serverGroup) => serverGroup.name)).toEqual(['hello-shrink-v002']);
  });

  it('rollbackCluster puts the previous server group back in traffic and takes the newest out', async () => {
    // given
    await clusterOfTwo('hello-rollback');
    // when
    const finished = await runStage('hello', 'hello-rollback', 'rollbackCluster', {});
    // then
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    const description = await describeCluster('hello-rollback');
    expect(group(description, 'hello-rollback-v001')).toMatchObject({ disabled: false, trafficWeight: 100 });
    expect(group(description, 'hello-rollback-v002')).toMatchObject({ disabled: true });
    expect(await versionsServed('hello-rollback')).toEqual(new Set(['1.0.0']));
  });

  it('fails rollbackCluster of a cluster with no server groups (a typo), naming the cluster, account and region', async () => {
    // when
    const finished = await runStage('hello', 'hello-rollbak', 'rollbackCluster', {});
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toBe(
      "stage 'rollbackCluster': cluster 'hello-rollbak' has no server groups in account 'local', region 'local': nothing to roll back; check the cluster name, account and regions",
    );
  });
});

describe('the clusterSize precondition on the local deploy target', () => {
  /** A one-stage checkPreconditions pipeline with one clusterSize precondition. */
  async function checkSize(context: JsonObject, failPipeline = true): Promise<Finished> {
    const id = `clusterSize-${++counter}`;
    const preconditions = [{ type: 'clusterSize', failPipeline, context: { credentials: 'local', regions: ['local'], ...context } }];
    return run.run({ id, application: 'hello', name: id, stages: [{ refId: '1', requisiteStageRefIds: [], type: 'checkPreconditions', name: 'Size', preconditions }] });
  }

  it('counts the server groups of the cluster, all of them or only the enabled ones', async () => {
    // given two server groups, the older one out of traffic
    await clusterOfTwo('hello-size');
    await local.target.disableServerGroup({ account: 'local', location: 'local', serverGroup: 'hello-size-v001' });
    // when / then
    expect((await checkSize({ cluster: 'hello-size', comparison: '==', expected: 2 })).statuses).toEqual({ '1': 'SUCCEEDED' });
    expect((await checkSize({ cluster: 'hello-size', comparison: '==', expected: 1, onlyEnabledServerGroups: true })).statuses).toEqual({ '1': 'SUCCEEDED' });
    expect((await checkSize({ cluster: '${\'hello-\' + \'size\'}', comparison: '>=', expected: '${1 + 1}' })).statuses).toEqual({ '1': 'SUCCEEDED' });
    // a cluster that does not exist has no server groups
    expect((await checkSize({ cluster: 'hello-none', comparison: '<', expected: 1 })).statuses).toEqual({ '1': 'SUCCEEDED' });
  });

  it('fails with the count and the server groups found, and halts only the branch with failPipeline false', async () => {
    // given hello-size from the previous test: v001 disabled, v002 enabled
    // when
    const failed = await checkSize({ cluster: 'hello-size', comparison: '<', expected: 2 });
    const stopped = await checkSize({ cluster: 'hello-size', comparison: '==', expected: 2, onlyEnabledServerGroups: true }, false);
    // then
    expect(failed.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(failed)).toBe(
      "precondition clusterSize failed: expected < 2 server groups of cluster 'hello-size' in local/local but found 2: [hello-size-v001, hello-size-v002]. Clean up the cluster to the expected number of server groups, then run the pipeline again",
    );
    expect(stopped.statuses).toEqual({ '1': 'STOPPED' });
    expect(errorOf(stopped)).toContain("expected == 2 enabled server groups of cluster 'hello-size' in local/local but found 1: [hello-size-v002]");
  });

  it('fails naming an account no deploy target serves', async () => {
    const finished = await checkSize({ cluster: 'hello-size', credentials: 'prod-aws' });
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toBe("precondition clusterSize: no deploy target serves account 'prod-aws'; check credentials, or configure the account");
  });
});

describe('traffic guards and missing targets', () => {
  it('fails disableServerGroup on the last enabled server group of a guarded cluster, with the guard message, and leaves it in traffic', async () => {
    // given a guarded cluster whose older server group is already out of traffic
    const saved = await store.saveApplication({
      name: 'guarded',
      accounts: ['local'],
      trafficGuards: [{ account: 'local', location: 'local', stack: 'prod', enabled: true }],
      permissions: {},
      raw: {},
    });
    expect(saved.ok).toBe(true);
    await clusterOfTwo('guarded-prod');
    await local.target.disableServerGroup({ account: 'local', location: 'local', serverGroup: 'guarded-prod-v001' });
    // when
    const finished = await runStage('guarded', 'guarded-prod', 'disableServerGroup', { target: 'current_asg_dynamic' });
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toBe(
      "stage 'disableServerGroup': This cluster ('guarded-prod' in local/local) has traffic guards enabled. Disabling [guarded-prod-v002] would leave the cluster with no instances up.",
    );
    expect(group(await describeCluster('guarded-prod'), 'guarded-prod-v002')).toMatchObject({ disabled: false });
    expect(await versionsServed('guarded-prod')).toEqual(new Set(['2.0.0']));
  });

  it('fails a cluster stage of a guarded cluster with the cluster-wide guard message', async () => {
    // given guarded-prod from the previous test: v001 disabled, v002 the only one Up
    // when
    const finished = await runStage('guarded', 'guarded-prod', 'disableCluster', { remainingEnabledServerGroups: 0 });
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toContain("This cluster ('guarded-prod' in local/local) has traffic guards enabled. Running disableServerGroup on [guarded-prod-v002]");
    expect(group(await describeCluster('guarded-prod'), 'guarded-prod-v002')).toMatchObject({ disabled: false });
  });

  it('fails a stage whose account has no deploy target, naming the account', async () => {
    // when
    const finished = await runStage('hello', 'hello-nowhere', 'disableServerGroup', { target: 'current_asg_dynamic', credentials: 'prod-aws' });
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toBe("stage 'disableServerGroup': no deploy target serves account 'prod-aws' (cloudProvider local); check credentials, or configure the account");
  });

  it('fails server-group stages as stages that cannot run yet when the runner has no deploy targets', async () => {
    // given
    const withoutTargets = createLocalRun({ store });
    // when
    const finished = await withoutTargets.run({
      id: 'no-targets',
      application: 'hello',
      name: 'no-targets',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'shrinkCluster', name: 'Shrink', credentials: 'local', regions: ['local'], cluster: 'hello-prod' }],
    });
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished)).toBe("stage type 'shrinkCluster' cannot run yet: Gennaker has no deploy target wired in");
  });
});
