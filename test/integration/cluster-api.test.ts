/**
 * One-click rollback and cluster description, as a user gets them: `gennaker up`'s server
 * (in-process, on a free port) with its real local deploy target, driven by the CLI commands
 * `gennaker cluster describe` and `gennaker rollback`. The rollback is an ad-hoc
 * `rollbackCluster` execution; afterwards the previous server group serves and the newest is
 * out of traffic.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import { createRecordingIoHost, type IoMessage } from '../../core/io-host.ts';
import type { ClusterRef } from '../../adapters/targets/local/local-target-api.ts';
import { main } from '../../cli/main.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { sampleServiceArtifact, waitForInstances } from '../support/local-target.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-cluster-api-'));
let server: LocalServer;
const pids: number[] = [];
const cluster: ClusterRef = { account: 'local', location: 'local', cluster: 'hello-prod' };

beforeAll(async () => {
  server = await startLocalServer({
    dir,
    port: 0,
    localTarget: { baseEnv: { PATH: process.env.PATH ?? '' }, healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2 }, drainTimeoutMs: 2_000, killGraceMs: 1_000 },
  });
  const target = server.runtime.target!;
  for (const [name, version] of [
    ['hello-prod-v000', '1.0.0'],
    ['hello-prod-v001', '2.0.0'],
  ] as const) {
    const created = await target.createServerGroup({ ...cluster, name, capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact(version) });
    expect(created.ok).toBe(true);
    await waitForInstances(target, cluster, name, 1);
  }
  pids.push(...target.processes().map((process) => process.pid), target.routerPid()!);
});

afterAll(async () => {
  await server?.runtime.target?.destroyAll();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  expect(pids.filter(isAlive)).toEqual([]);
});

async function gennaker(...args: string[]): Promise<{ code: number; messages: readonly IoMessage[]; text: string }> {
  const io = createRecordingIoHost();
  const code = await main([...args, '--endpoint', server.url, '--data', dir], { io });
  const text = io.messages.map((message) => ('text' in message ? message.text : 'message' in message ? message.message : JSON.stringify(message))).join('\n');
  return { code, messages: io.messages, text };
}

describe("the local target's admin server under gennaker up", () => {
  it('serves load balancer metrics to the API token only', async () => {
    const token = readFileSync(server.tokenPath, 'utf8').trim();
    const url = `${server.runtime.target!.adminUrl}/_gennaker/metrics?cluster=hello-prod`;
    expect((await fetch(url)).status).toBe(401);
    const answer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { clusters: Array<{ cluster: string }> }).clusters.map((entry) => entry.cluster)).toEqual(['hello-prod']);
  });
});

describe('gennaker cluster describe', () => {
  it('shows every server group with its state, instances and share of traffic', async () => {
    const { code, text } = await gennaker('cluster', 'describe', 'hello', 'hello-prod');
    expect(code).toBe(0);
    expect(text).toContain('hello-prod in local/local');
    expect(text).toMatch(/hello-prod-v001\s+enabled\s+1\/1 up\s+capacity 1\/1\/1\s+traffic\s+50%\s+2\.0\.0/);
    expect(text).toMatch(/hello-prod-v000\s+enabled\s+1\/1 up/);
  });

  it('answers JSON with --json, and a clear error for a cluster of another application', async () => {
    const json = await gennaker('cluster', 'describe', 'hello', 'hello-prod', '--json');
    const answer = JSON.parse(json.text) as { regions: Array<{ location: string; endpoint: string; serverGroups: Array<{ name: string }> }> };
    expect(answer.regions[0]!.location).toBe('local');
    expect(answer.regions[0]!.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(answer.regions[0]!.serverGroups.map((group) => group.name)).toEqual(['hello-prod-v000', 'hello-prod-v001']);

    const wrong = await gennaker('cluster', 'describe', 'hello', 'other-prod');
    expect(wrong.code).toBe(1);
    expect(wrong.text).toContain("cluster 'other-prod' is not a cluster of application 'hello'");
  });
});

describe('gennaker rollback', () => {
  it('refuses a cluster of another application and writes nothing', async () => {
    const refused = await gennaker('rollback', 'hello', 'shop-prod');
    expect(refused.code).toBe(1);
    expect(refused.text).toContain("cluster 'shop-prod' belongs to application 'shop', not 'hello'");
    expect(await server.runtime.store.listPipelineConfigs('hello')).toEqual([]);
  });

  it('refuses a cluster with no server groups (a typo) with a clear message, and starts nothing', async () => {
    const refused = await gennaker('rollback', 'hello', 'hello-prdo', '--watch');
    expect(refused.code).toBe(1);
    expect(refused.text).toBe("cluster 'hello-prdo' has no server groups in account 'local', region 'local': nothing to roll back; check the cluster name, account and regions");
    expect((await server.runtime.store.listExecutions({ application: 'hello' })).items).toEqual([]);
  });

  it('enables the previous server group and disables the newest, as an execution', async () => {
    const rolled = await gennaker('rollback', 'hello', 'hello-prod', '--reason', 'v001 is slow', '--watch');
    expect(rolled.text).toContain('rolling back hello-prod');
    expect(rolled.code).toBe(0);

    const after = await server.runtime.target!.describeCluster(cluster);
    const byName = Object.fromEntries(after.serverGroups.map((group) => [group.name, group]));
    expect(byName['hello-prod-v000']).toMatchObject({ disabled: false, trafficWeight: 100 });
    expect(byName['hello-prod-v001']).toMatchObject({ disabled: true, trafficWeight: 0 });

    // The ad-hoc pipeline runs and is listed with the executions, not with the pipelines.
    const executions = await server.runtime.store.listExecutions({ application: 'hello' });
    expect(executions.items.map((item) => item.name)).toEqual(['Rollback hello-prod in local']);
    const listed = await fetch(`${server.url}/applications/hello/pipelineConfigs`, { headers: { authorization: `Bearer ${await tokenOf()}` } });
    expect(await listed.json()).toEqual([]);
  });
});

async function tokenOf(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(server.tokenPath, 'utf8')).trim();
}
