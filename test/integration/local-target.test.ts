/**
 * The local deploy target with real processes (examples/service): the DeployTarget contract,
 * then what only this target does — baking immutable artifacts (directory and git), broken
 * releases that never become Up, adopting live processes after a restart, and leaving no
 * process behind. Load balancer behaviour: local-target-lb.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import type { ClusterRef } from '../../adapters/targets/local/local-target-api.ts';
import { deployTargetContract } from '../contract/deploy-target.contract.ts';
import { SAMPLE_SERVICE_DIR, sampleServiceArtifact, startTestLocalTarget, waitForInstances, type TestLocalTarget } from '../support/local-target.ts';

deployTargetContract('local (real processes)', async () => {
  const local = await startTestLocalTarget();
  return {
    target: local.target,
    artifact: sampleServiceArtifact(),
    account: 'local',
    location: 'local',
    async dispose() {
      expect(await local.dispose()).toEqual([]);
    },
  };
});

const cluster = (name: string): ClusterRef => ({ account: 'local', location: 'local', cluster: name });

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the local deploy target', () => {
  let local: TestLocalTarget;

  beforeAll(async () => {
    local = await startTestLocalTarget();
  });

  afterAll(async () => {
    expect(await local.dispose()).toEqual([]);
  });

  it('bakes a directory once into an immutable versioned directory and runs it from there', async () => {
    // given
    const ref = cluster('bake');
    // when
    const created = await local.target.createServerGroup({ ...ref, name: 'bake-v001', capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact('1.0.0') });
    // then
    expect(created.ok).toBe(true);
    const baked = join(local.stateDir, 'artifacts', 'sample-service', '1.0.0');
    expect(statSync(join(baked, 'server.js')).mode & 0o222).toBe(0);
    await waitForInstances(local.target, ref, 'bake-v001', 1);
    const answer = await getJson(`${local.target.loadBalancerUrl(ref)}/`);
    expect(answer).toMatchObject({ status: 200, body: { version: '1.0.0', instance: 'bake-v001-i1' } });
    // A second release of the same directory is the same code under another version.
    await local.target.createServerGroup({ ...ref, name: 'bake-v002', capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact('2.0.0'), disabled: true });
    await waitForInstances(local.target, ref, 'bake-v002', 1);
    await local.target.enableServerGroup({ account: 'local', location: 'local', serverGroup: 'bake-v002' });
    await local.target.disableServerGroup({ account: 'local', location: 'local', serverGroup: 'bake-v001' });
    expect(await getJson(`${local.target.loadBalancerUrl(ref)}/`)).toMatchObject({ status: 200, body: { version: '2.0.0', instance: 'bake-v002-i1' } });
  });

  it('fails to bake the same artifact version with other content', async () => {
    // given a copy of the service baked as 7.0.0
    const copy = mkdtempSync(join(tmpdir(), 'gennaker-artifact-'));
    cpSync(SAMPLE_SERVICE_DIR, copy, { recursive: true });
    const artifact = { type: 'directory', reference: copy, name: 'mutable-service', version: '7.0.0' };
    const first = await local.target.createServerGroup({ ...cluster('immutable'), name: 'immutable-v001', capacity: { min: 0, max: 0, desired: 0 }, artifact });
    expect(first.ok).toBe(true);
    // when the source changes and is baked again under the same version
    onTestFinished(() => rmSync(copy, { recursive: true, force: true }));
    writeFileSync(join(copy, 'extra.txt'), 'changed');
    const second = await local.target.createServerGroup({ ...cluster('immutable'), name: 'immutable-v002', capacity: { min: 0, max: 0, desired: 0 }, artifact });
    // then
    expect(second).toMatchObject({ ok: false, reason: 'failed' });
    if (!second.ok) expect(second.message).toContain('already baked with other content');
  });

  it('runs a ref of a local git repository, versioned by its commit', async () => {
    // given a repository holding the service
    const repo = mkdtempSync(join(tmpdir(), 'gennaker-repo-'));
    onTestFinished(() => rmSync(repo, { recursive: true, force: true }));
    cpSync(SAMPLE_SERVICE_DIR, repo, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'service');
    const commit = git('rev-parse', 'HEAD');
    const ref = cluster('fromgit');
    // when
    const created = await local.target.createServerGroup({
      ...ref,
      name: 'fromgit-v001',
      capacity: { min: 1, max: 1, desired: 1 },
      artifact: { type: 'git', reference: repo, name: 'git-service', version: 'HEAD' },
      env: { VERSION: 'from-git' },
    });
    // then
    expect(created.ok && created.serverGroup.artifact.version).toBe(commit.slice(0, 12));
    await waitForInstances(local.target, ref, 'fromgit-v001', 1);
    expect(await getJson(`${local.target.loadBalancerUrl(ref)}/`)).toMatchObject({ status: 200, body: { version: 'from-git' } });
    expect(await local.target.createServerGroup({ ...ref, name: 'fromgit-v002', capacity: { min: 0, max: 0, desired: 0 }, artifact: { type: 'git', reference: repo, version: 'no-such-ref' } })).toMatchObject({
      ok: false,
      reason: 'failed',
    });
  });

  it('tells a waiter of the next change (an instance turning Up) before its time is up, and answers at once once closed', async () => {
    // given: a waiter asking for up to a minute, and a new server group
    const ref = cluster('told');
    const waited = local.target.awaitChange(60_000);
    await local.target.createServerGroup({ ...ref, name: 'told-v001', capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact() });
    // then: the creation woke it, long before the minute
    expect(await waited).toBeLessThan(60_000);
    // and the next change (routing, the instance turning Up) wakes the next one
    const healthy = local.target.awaitChange(60_000);
    await waitForInstances(local.target, ref, 'told-v001', 1, 'Up');
    expect(await healthy).toBeLessThan(60_000);
    // a target that is closing has nothing to tell: it answers 0 at once
    const closing = await startTestLocalTarget();
    await closing.target.close();
    expect(await closing.target.awaitChange(60_000)).toBe(0);
    await closing.dispose();
  });

  it('marks the instances of a broken release Down and answers 503 when nothing is Up', async () => {
    // given a release whose health check fails
    const ref = cluster('broken');
    await local.target.createServerGroup({ ...ref, name: 'broken-v001', capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact(), env: { FAIL_HEALTH: '1' } });
    // then
    await waitForInstances(local.target, ref, 'broken-v001', 1, 'Down');
    const answer = await getJson(`${local.target.loadBalancerUrl(ref)}/`);
    expect(answer.status).toBe(503);
    expect(String(answer.body.error)).toContain('no instance of broken is Up');
  });

  it('marks an instance whose process exited Down, and does not restart it', async () => {
    const ref = cluster('crash');
    await local.target.createServerGroup({ ...ref, name: 'crash-v001', capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact() });
    await waitForInstances(local.target, ref, 'crash-v001', 1);
    const [victim] = local.target.processes().filter((p) => p.serverGroup === 'crash-v001');
    process.kill(victim!.pid, 'SIGKILL');
    await waitForInstances(local.target, ref, 'crash-v001', 1, 'Down');
    expect(local.target.processes().filter((p) => p.serverGroup === 'crash-v001')).toEqual([]);
  });

  it('kills every process on destroyAll, leaving no orphan', async () => {
    // given a target of its own with three instances
    const own = await startTestLocalTarget();
    const ref = cluster('leak');
    await own.target.createServerGroup({ ...ref, name: 'leak-v001', capacity: { min: 3, max: 3, desired: 3 }, artifact: sampleServiceArtifact() });
    await waitForInstances(own.target, ref, 'leak-v001', 3);
    const pids = own.trackedPids();
    // three instances and the router holding the load balancer
    expect(pids).toHaveLength(4);
    expect(pids).toContain(own.target.routerPid());
    // when
    const survivors = await own.dispose();
    // then
    expect(survivors).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});

describe('restarting the local deploy target', () => {
  it('starts a new router on the same port when the router holding the load balancers dies', async () => {
    // given a cluster served through the router
    const local = await startTestLocalTarget();
    try {
      const ref = cluster('phoenix');
      await local.target.createServerGroup({ ...ref, name: 'phoenix-v001', capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact() });
      await waitForInstances(local.target, ref, 'phoenix-v001', 1);
      const endpoint = local.target.loadBalancerUrl(ref)!;
      const router = local.target.routerPid()!;
      local.trackedPids();
      // when the router is killed
      process.kill(router, 'SIGKILL');
      await expect.poll(() => isAlive(router)).toBe(false);
      // then the target starts another, which serves the same endpoint with the same routing
      await expect.poll(() => local.target.routerPid() !== undefined && local.target.routerPid() !== router, { timeout: 10_000 }).toBe(true);
      await expect.poll(async () => (await fetch(`${endpoint}/`).catch(() => undefined))?.status, { timeout: 10_000 }).toBe(200);
      expect(local.target.loadBalancerUrl(ref)).toBe(endpoint);
    } finally {
      expect(await local.dispose()).toEqual([]);
    }
  });


  it('adopts live processes on the same state directory and keeps serving on the same port', async () => {
    // given a target with a server group Up
    const local = await startTestLocalTarget();
    try {
      const ref = cluster('adopt');
      await local.target.createServerGroup({ ...ref, name: 'adopt-v001', capacity: { min: 2, max: 2, desired: 2 }, artifact: sampleServiceArtifact() });
      await waitForInstances(local.target, ref, 'adopt-v001', 2);
      await local.target.createServerGroup({ ...ref, name: 'adopt-v002', capacity: { min: 0, max: 0, desired: 0 }, artifact: sampleServiceArtifact(), disabled: true });
      await local.target.setTrafficWeights(ref, { 'adopt-v001': 100 });
      const before = local.target.processes().map((p) => p.pid);
      const router = local.target.routerPid();
      const endpoint = local.target.loadBalancerUrl(ref);
      // when the target goes away without killing anything, and a new one opens the directory
      await local.target.close();
      const model = JSON.parse(readFileSync(join(local.stateDir, 'local-target.json'), 'utf8')) as { serverGroups: unknown[] };
      expect(model.serverGroups).toHaveLength(2);
      const reopened = await local.reopen();
      // then the processes are adopted, Up at once, and serve through the same endpoint
      const description = await reopened.describeCluster(ref);
      expect(description.serverGroups[0]!.instances.map((instance) => instance.health)).toEqual(['Up', 'Up']);
      expect(description.serverGroups[1]).toMatchObject({ name: 'adopt-v002', disabled: true });
      expect(description.trafficWeights).toEqual({ 'adopt-v001': 100 });
      expect(reopened.processes().map((p) => p.pid).sort()).toEqual([...before].sort());
      expect(reopened.loadBalancerUrl(ref)).toBe(endpoint);
      expect(reopened.routerPid()).toBe(router);
      expect((await getJson(`${endpoint}/`)).status).toBe(200);

      // when one process dies while no target runs
      await reopened.close();
      process.kill(before[0]!, 'SIGKILL');
      await expect.poll(() => isAlive(before[0]!)).toBe(false);
      const third = await local.reopen();
      // then the dead one is forgotten and the live one adopted
      const after = await third.describeCluster(ref);
      expect(after.serverGroups[0]!.instances).toHaveLength(1);
      expect(third.processes().map((p) => p.pid)).toEqual([before[1]]);
    } finally {
      expect(await local.dispose()).toEqual([]);
    }
  });
});
