/**
 * The Gate routes scripts use, on a real local runtime (dynalite in memory, the execution
 * service, the local engine and the stage runner) with an AWS-like account served by the memory
 * deploy target: a pipeline deploys twice (red/black), then the server groups and clusters read
 * back in Clouddriver's shape (compared field by field, with JSON types, to
 * test/fixtures/clouddriver/server-groups.json), the executions search by pipeline config id with
 * Orca's tasks inside each stage, and Gate's pipeline delete, with READ and WRITE enforced.
 */
import { serve } from '@hono/node-server';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerAuthenticator } from '../../adapters/crypto/bearer-authenticator.ts';
import { createMemoryClock, createMemoryTarget } from '../../adapters/targets/memory/memory-target.ts';
import type { Account } from '../../core/ports/accounts.ts';
import { createApiApp } from '../../functions/api/app.ts';
import { main } from '../../cli/main.ts';
import { createRecordingIoHost } from '../../core/io-host.ts';
import { createAuditFile } from '../../local/audit-file.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';
import { until } from '../support/until.ts';

const TOKENS = { admin: 'admin-token-0123456789abcdef', olive: 'olive-token-0123456789abcdef', dave: 'dave-token-0123456789abcdef' };
const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/clouddriver/server-groups.json', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
const ACCOUNTS: Account[] = [{ name: 'prod', cloudProvider: 'aws', accountType: 'prod', environment: 'prod', regions: ['us-east-1', 'us-west-2'] }];

const dir = mkdtempSync(join(tmpdir(), 'gennaker-gate-'));
let runtime: LocalRuntime;
let app: ReturnType<typeof createApiApp>;
let pipelineId: string;
const executionIds: string[] = [];

async function call(who: keyof typeof TOKENS, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${TOKENS[who]}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

/**
 * Where `actual` differs from `expected` in shape: a field of `expected` missing from `actual`, or
 * with another JSON type (null in `expected` stands for text or null); array items are compared
 * with the expected array's first item. Fields only `actual` has are fine, as Clouddriver's own
 * providers add theirs.
 */
function shapeProblems(expected: unknown, actual: unknown, at = ''): string[] {
  const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  if (expected === null) return actual === null || typeof actual === 'string' ? [] : [`${at}: ${kind(actual)}, not text or null`];
  if (kind(expected) !== kind(actual)) return [`${at || '/'}: ${kind(actual)}, not ${kind(expected)}`];
  if (Array.isArray(expected)) {
    if (expected.length === 0) return [];
    return (actual as unknown[]).flatMap((item, index) => shapeProblems(expected[0], item, `${at}/${index}`));
  }
  if (kind(expected) !== 'object') return [];
  return Object.entries(expected as Record<string, unknown>).flatMap(([key, value]) =>
    key in (actual as Record<string, unknown>) ? shapeProblems(value, (actual as Record<string, unknown>)[key], `${at}/${key}`) : [`${at}/${key}: missing`],
  );
}

const deployPipeline = {
  application: 'shop',
  name: 'Deploy web',
  stages: [
    {
      refId: '1',
      requisiteStageRefIds: [],
      type: 'deploy',
      name: 'Deploy',
      clusters: [
        {
          account: 'prod',
          cloudProvider: 'aws',
          application: 'shop',
          stack: 'web',
          strategy: 'redblack',
          availabilityZones: { 'us-east-1': ['us-east-1a', 'us-east-1b'] },
          capacity: { min: 1, max: 3, desired: 2 },
          instanceType: 'm5.large',
          imageId: 'ami-0abcdef1234567890',
          targetGroups: ['shop-web-tg'],
          securityGroups: ['sg-0123456789abcdef0'],
          artifact: { type: 'aws/image', reference: 'ami-0abcdef1234567890', name: 'shop', version: '1.4.2' },
        },
      ],
    },
  ],
};

beforeAll(async () => {
  // Instances are Up at once and a disable drains at once: the memory clock never has to move.
  const target = createMemoryTarget({ clock: createMemoryClock(), cloudProvider: 'aws', artifactTypes: ['aws/image'], bootMs: 0, drains: false });
  runtime = await createLocalRuntime({ retryDelayMs: 1, accounts: ACCOUNTS, cloudTargets: ({ account }) => (account === 'prod' ? target : undefined), audit: createAuditFile(dir) });
  const sha = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
  const users = [
    { caller: { user: 'olive', roles: ['ops'] }, tokenSha256: sha(TOKENS.olive) },
    { caller: { user: 'dave', roles: ['dev'] }, tokenSha256: sha(TOKENS.dave) },
  ];
  app = createApiApp({
    service: runtime.service,
    store: runtime.store,
    clock: { now: () => Date.now() },
    auth: createBearerAuthenticator({ token: TOKENS.admin, users: async () => users }),
    accounts: runtime.accounts,
    ...(runtime.targets ? { targets: runtime.targets } : {}),
    audit: createAuditFile(dir),
  });

  // given: shop, readable and writable by ops only, deployed twice
  expect((await call('admin', 'POST', '/applications', { name: 'shop', permissions: { READ: ['ops'], WRITE: ['ops'], EXECUTE: ['ops'] } })).status).toBe(201);
  const saved = await call('olive', 'POST', '/pipelines', deployPipeline);
  expect(saved.json.error ?? saved.status).toBe(200);
  pipelineId = saved.json.id;
  for (let run = 0; run < 2; run++) {
    const started = await call('olive', 'POST', '/pipelines/shop/Deploy web', {});
    expect(started.status).toBe(202);
    const id = String(started.json.ref).replace('/pipelines/', '');
    const done = await until('the deploy', () => runtime.store.getExecution(id), (execution) => execution?.status === 'SUCCEEDED' || execution?.status === 'TERMINAL');
    expect(done?.status).toBe('SUCCEEDED');
    executionIds.push(id);
    // The next server group is created a minute later, as a release would be.
    target.control.advance(60_000);
  }
});

afterAll(async () => {
  await runtime?.idle();
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Gate's cluster and server-group routes", () => {
  it("lists the application's clusters by account, as Gate does", async () => {
    const answer = await call('olive', 'GET', '/applications/shop/clusters');

    expect(answer).toEqual({ status: 200, json: { prod: ['shop-web'] } });
    expect(shapeProblems(FIXTURE['clusterNames'], answer.json)).toEqual([]);
  });

  it("lists one account's clusters as Clouddriver's ClusterViewModel, and 404 for an account without any", async () => {
    const answer = await call('olive', 'GET', '/applications/shop/clusters/prod');
    const none = await call('olive', 'GET', '/applications/shop/clusters/staging');

    expect(answer).toEqual({ status: 200, json: [{ name: 'shop-web', account: 'prod', moniker: { app: 'shop', cluster: 'shop-web', stack: 'web' }, loadBalancers: [], serverGroups: ['shop-web-v000', 'shop-web-v001'] }] });
    expect(shapeProblems(FIXTURE['clusterSummary'], answer.json[0])).toEqual([]);
    expect(none).toEqual({ status: 404, json: { error: 'no clusters found (application: shop, account: staging); GET /applications/shop/clusters lists the accounts that have some' } });
  });

  it("lists the server groups as Clouddriver's summaries: the new one enabled, the old one disabled by the red/black", async () => {
    const answer = await call('olive', 'GET', '/applications/shop/serverGroups');

    expect(answer.status).toBe(200);
    const groups = answer.json as Array<Record<string, any>>;
    expect(groups.map((group) => [group.name, group.isDisabled, group.region, group.account, group.cluster])).toEqual([
      ['shop-web-v000', true, 'us-east-1', 'prod', 'shop-web'],
      ['shop-web-v001', false, 'us-east-1', 'prod', 'shop-web'],
    ]);
    for (const group of groups) expect(shapeProblems(FIXTURE['summary'], group), group.name).toEqual([]);
    const newest = groups[1]!;
    expect(newest.instanceCounts).toEqual({ total: 2, up: 2, down: 0, unknown: 0, outOfService: 0, starting: 0 });
    expect(newest.capacity).toEqual({ min: 1, max: 3, desired: 2, pinned: false });
    expect(newest.moniker).toEqual({ app: 'shop', cluster: 'shop-web', stack: 'web', sequence: 1 });
    expect(newest.buildInfo).toMatchObject({ package_name: 'shop', version: '1.4.2', artifact: { type: 'aws/image', reference: 'ami-0abcdef1234567890' } });
    expect([newest.instanceType, newest.targetGroups, newest.securityGroups, newest.type, newest.application]).toEqual(['m5.large', ['shop-web-tg'], ['sg-0123456789abcdef0'], 'aws', 'shop']);
  });

  it('expands each server group with its launch settings, image and placement, and filters by cluster and cloud provider', async () => {
    const expanded = await call('olive', 'GET', '/applications/shop/serverGroups?expand=true');
    const one = await call('olive', 'GET', '/applications/shop/serverGroups?clusters=prod:shop-web&expand=TRUE');
    const none = await call('olive', 'GET', '/applications/shop/serverGroups?cloudProvider=gce');
    const bad = await call('olive', 'GET', '/applications/shop/serverGroups?clusters=shop-web');
    const badFlag = await call('olive', 'GET', '/applications/shop/serverGroups?expand=yes');

    expect(expanded.status).toBe(200);
    for (const group of expanded.json) expect(shapeProblems(FIXTURE['expanded'], group), group.name).toEqual([]);
    expect(expanded.json[1]).toMatchObject({ accountName: 'prod', stack: 'web', freeFormDetail: null, zones: ['us-east-1a', 'us-east-1b'], image: { imageId: 'ami-0abcdef1234567890', name: 'shop' } });
    expect(expanded.json[1].launchConfig).toMatchObject({ instanceType: 'm5.large', imageId: 'ami-0abcdef1234567890' });
    expect(one.json.map((group: { name: string }) => group.name)).toEqual(['shop-web-v000', 'shop-web-v001']);
    expect(none).toEqual({ status: 200, json: [] });
    expect(bad).toEqual({ status: 400, json: { error: "clusters has 'shop-web'; name each cluster as account:cluster, e.g. 'local:shop-prod'" } });
    expect(badFlag).toEqual({ status: 400, json: { error: "query parameter 'expand' is 'yes'; use true or false" } });
  });

  it("answers Gate's /serverGroups by applications or by ids, leaving out applications the caller may not READ", async () => {
    const byApplication = await call('olive', 'GET', '/serverGroups?applications=shop,nothing-here');
    const byId = await call('olive', 'GET', '/serverGroups?ids=prod:us-east-1:shop-web-v000');
    const hidden = await call('dave', 'GET', '/serverGroups?applications=shop');
    const both = await call('olive', 'GET', '/serverGroups?applications=shop&ids=prod:us-east-1:shop-web-v000');
    const badId = await call('olive', 'GET', '/serverGroups?ids=prod:shop-web-v000');

    expect(byApplication.json.map((group: { name: string }) => group.name)).toEqual(['shop-web-v000', 'shop-web-v001']);
    for (const group of byApplication.json) expect(shapeProblems(FIXTURE['summary'], group)).toEqual([]);
    expect(byId.json.map((group: { name: string; isDisabled: boolean }) => [group.name, group.isDisabled])).toEqual([['shop-web-v000', true]]);
    expect(hidden).toEqual({ status: 200, json: [] });
    expect(both).toEqual({ status: 400, json: { error: "give either 'applications' (a,b) or 'ids' (account:region:name,...), not both and not neither" } });
    expect(badId).toEqual({ status: 400, json: { error: "ids has 'prod:shop-web-v000'; name each server group as account:region:name, e.g. 'local:local:hello-prod-v001'" } });
  });

  it("answers a cluster in Clouddriver's shape, beside Gennaker's regions, and its server groups", async () => {
    const cluster = await call('olive', 'GET', '/applications/shop/clusters/prod/shop-web');
    const groups = await call('olive', 'GET', '/applications/shop/clusters/prod/shop-web/serverGroups');
    const named = await call('olive', 'GET', '/applications/shop/clusters/prod/shop-web/serverGroups/shop-web-v001');

    expect(cluster.status).toBe(200);
    expect(shapeProblems(FIXTURE['cluster'], cluster.json)).toEqual([]);
    expect(cluster.json).toMatchObject({ name: 'shop-web', accountName: 'prod', type: 'aws', moniker: { app: 'shop', cluster: 'shop-web', stack: 'web' }, application: 'shop', account: 'prod', cluster: 'shop-web' });
    expect(cluster.json.serverGroups.map((group: { name: string; isDisabled: boolean }) => [group.name, group.isDisabled])).toEqual([
      ['shop-web-v000', true],
      ['shop-web-v001', false],
    ]);
    // Every region of the account is described; the empty one is there, with no server group.
    expect(cluster.json.regions.map((region: { location: string; serverGroups: unknown[] }) => [region.location, region.serverGroups.length])).toEqual([
      ['us-east-1', 2],
      ['us-west-2', 0],
    ]);
    expect(groups.json).toEqual(cluster.json.serverGroups);
    expect(named.json).toEqual([cluster.json.serverGroups[1]]);
  });

  it("resolves Clouddriver's target server groups (newest, ancestor, oldest, largest, fail) in a region", async () => {
    const base = '/applications/shop/clusters/prod/shop-web/aws/us-east-1/serverGroups/target';
    const name = async (target: string) => {
      const answer = await call('olive', 'GET', `${base}/${target}`);
      return answer.status === 200 ? answer.json.name : `${answer.status}: ${answer.json.error}`;
    };

    expect(await name('current_asg_dynamic')).toBe('shop-web-v001');
    expect(await name('newest')).toBe('shop-web-v001');
    expect(await name('ANCESTOR_ASG')).toBe('shop-web-v000');
    expect(await name('oldest_asg_dynamic')).toBe('shop-web-v000');
    expect(await name('largest_asg_dynamic')).toBe('shop-web-v001');
    expect(await name('fail')).toBe('404: More than one target found (scope: us-east-1, serverGroups: [shop-web-v001, shop-web-v000]); selectionStrategy FAIL needs exactly one, so disable the others or choose NEWEST, OLDEST or LARGEST');
    expect(await name('current_asg_dynamic?onlyEnabled=true')).toBe('shop-web-v001');
    expect(await name('ancestor_asg_dynamic?onlyEnabled=true')).toMatch(/^404: Target not found \(target: ancestor_asg_dynamic\): cluster 'shop-web' in us-east-1 has only shop-web-v001 enabled/);
    expect(await name('biggest')).toBe('400: target \'biggest\' is not one of current_asg_dynamic, ancestor_asg_dynamic, oldest_asg_dynamic, largest_asg_dynamic, fail (or newest, previous, current, ancestor, oldest, largest)');
    const wrongProvider = await call('olive', 'GET', '/applications/shop/clusters/prod/shop-web/gce/us-east-1/serverGroups/target/newest');
    expect(wrongProvider).toEqual({ status: 404, json: { error: "account 'prod' is a aws account, not gce; ask for /aws/ in the path" } });
    const target = await call('olive', 'GET', `${base}/newest`);
    expect(shapeProblems(FIXTURE['expanded'], { ...target.json, accountName: 'prod', application: 'shop', stack: 'web', freeFormDetail: null })).toEqual([]);
  });

  it('answers one server group by account, region and name, and 404 for one that does not exist', async () => {
    const group = await call('olive', 'GET', '/applications/shop/serverGroups/prod/us-east-1/shop-web-v001');
    const missing = await call('olive', 'GET', '/applications/shop/serverGroups/prod/us-east-1/shop-web-v007');
    const foreign = await call('olive', 'GET', '/applications/shop/serverGroups/prod/us-east-1/other-web-v001');

    expect(group.status).toBe(200);
    expect(shapeProblems(FIXTURE['expanded'], { ...group.json, accountName: 'prod', application: 'shop', stack: 'web', freeFormDetail: null })).toEqual([]);
    expect(group.json).toMatchObject({ name: 'shop-web-v001', isDisabled: false, region: 'us-east-1', insightActions: [] });
    expect(missing).toEqual({ status: 404, json: { error: "server group 'shop-web-v007' does not exist in account 'prod' (us-east-1); GET /applications/shop/serverGroups lists the application's server groups" } });
    expect(foreign).toEqual({ status: 400, json: { error: "server group 'other-web-v001' is not a server group of application 'shop'; use shop[-stack[-detail]]-vNNN" } });
  });

  it('needs READ on the application for every one of them', async () => {
    const refusal = "user 'dave' lacks READ on application 'shop': READ is held by the roles ops; 'dave' has the roles dev";
    for (const path of [
      '/applications/shop/clusters',
      '/applications/shop/clusters/prod',
      '/applications/shop/serverGroups',
      '/applications/shop/serverGroups?expand=true',
      '/applications/shop/clusters/prod/shop-web',
      '/applications/shop/clusters/prod/shop-web/serverGroups',
      '/applications/shop/clusters/prod/shop-web/aws/us-east-1/serverGroups/target/newest',
      '/applications/shop/serverGroups/prod/us-east-1/shop-web-v001',
    ]) {
      expect({ path, ...(await call('dave', 'GET', path)) }).toEqual({ path, status: 403, json: { error: refusal } });
    }
  });
});

describe("Orca's executions search and task shape", () => {
  it('finds the newest executions of a pipeline config, one by default, newest first, leaving out what the caller may not READ', async () => {
    const latest = await call('olive', 'GET', `/pipelines?pipelineConfigIds=${pipelineId}`);
    const both = await call('olive', 'GET', `/executions?pipelineConfigIds=${pipelineId},no-such-pipeline&limit=5`);
    const byId = await call('olive', 'GET', `/executions?executionIds=${executionIds[0]}`);
    const nothing = await call('olive', 'GET', '/pipelines');
    const hidden = await call('dave', 'GET', `/pipelines?pipelineConfigIds=${pipelineId}`);
    const small = await call('olive', 'GET', `/pipelines?pipelineConfigIds=${pipelineId}&expand=false`);
    const smallList = await call('olive', 'GET', '/applications/shop/pipelines?limit=1&expand=false');
    const failed = await call('olive', 'GET', `/pipelines?pipelineConfigIds=${pipelineId}&statuses=TERMINAL,CANCELED`);
    const badLimit = await call('olive', 'GET', `/executions?pipelineConfigIds=${pipelineId}&limit=0`);

    expect(latest.json.map((execution: { id: string }) => execution.id)).toEqual([executionIds[1]]);
    expect(both.json.map((execution: { id: string }) => execution.id)).toEqual([executionIds[1], executionIds[0]]);
    expect(byId.json.map((execution: { id: string }) => execution.id)).toEqual([executionIds[0]]);
    expect(nothing).toEqual({ status: 200, json: [] });
    expect(hidden).toEqual({ status: 200, json: [] });
    expect(small.json[0].stages[0]).toMatchObject({ context: {}, outputs: {}, tasks: [] });
    expect(smallList.json[0].stages[0]).toMatchObject({ context: {}, outputs: {}, tasks: [] });
    expect(failed).toEqual({ status: 200, json: [] });
    expect(badLimit).toEqual({ status: 400, json: { error: "query parameter 'limit' is '0'; use a whole number from 1 to 1000" } });
  });

  it("shows each stage's tasks as Orca does: every step of the stage, in order, with its status", async () => {
    const execution = (await call('olive', 'GET', `/pipelines/${executionIds[1]}`)).json;
    const deploy = execution.stages.find((stage: { refId: string }) => stage.refId === '1');

    expect(deploy.tasks.length).toBeGreaterThan(1);
    expect(deploy.tasks.map((task: { id: string }) => task.id)).toEqual(deploy.tasks.map((_: unknown, index: number) => String(index + 1)));
    expect(deploy.tasks.every((task: { status: string }) => task.status === 'SUCCEEDED')).toBe(true);
    expect(deploy.tasks[0]).toMatchObject({ stageStart: true, stageEnd: false, loopStart: false, loopEnd: false, startTime: deploy.startTime, implementingClass: `gennaker:deploy/${deploy.tasks[0].name}` });
    expect(deploy.tasks.at(-1)).toMatchObject({ stageEnd: true, endTime: deploy.endTime });
    // The synthetic stages of the deploy (createServerGroup, disableCluster...) have tasks of their own.
    const synthetic = execution.stages.filter((stage: { parentStageId?: string }) => stage.parentStageId === deploy.id);
    expect(synthetic.length).toBeGreaterThan(0);
    for (const stage of synthetic) expect(stage.tasks[0]).toMatchObject({ id: '1', name: stage.type, status: stage.status });
  });
});

describe("Gate's pipeline delete", () => {
  it('refuses a caller without WRITE, deletes for one with it, answers 200 again when there is nothing left, keeps the executions, and audits each call', async () => {
    const refused = await call('dave', 'DELETE', '/pipelines/shop/Deploy web');
    const first = await call('olive', 'DELETE', '/pipelines/shop/deploy%20WEB');
    const second = await call('olive', 'DELETE', '/pipelines/shop/Deploy web');

    expect(refused).toEqual({ status: 403, json: { error: "user 'dave' lacks WRITE on application 'shop': WRITE is held by the roles ops; 'dave' has the roles dev" } });
    expect(first).toEqual({ status: 200, json: { deleted: true, application: 'shop', name: 'Deploy web', id: pipelineId } });
    expect(second).toEqual({ status: 200, json: { deleted: false, application: 'shop', name: 'Deploy web' } });
    expect((await call('olive', 'GET', '/applications/shop/pipelineConfigs')).json).toEqual([]);
    expect((await call('olive', 'GET', '/applications/shop/pipelineConfigs/Deploy web')).status).toBe(404);
    expect((await call('olive', 'POST', '/pipelines/shop/Deploy web', {})).status).toBe(404);
    expect((await call('olive', 'GET', `/pipelines/${executionIds[0]}`)).json.status).toBe('SUCCEEDED');
    const audit = (await call('admin', 'GET', '/audit?application=shop')).json as Array<{ action: string; user: string; result: string; detail?: string }>;
    expect(audit.filter((entry) => entry.action === 'deletePipeline').map(({ user, result, detail }) => ({ user, result, detail }))).toEqual([
      { user: 'olive', result: 'ok', detail: 'nothing to delete' },
      { user: 'olive', result: 'ok', detail: `pipeline ${pipelineId} (version 1)` },
      { user: 'dave', result: 'forbidden', detail: "user 'dave' lacks WRITE on application 'shop': WRITE is held by the roles ops; 'dave' has the roles dev" },
    ]);
  });
});

describe('gennaker pipeline delete', () => {
  /** Runs the CLI against the API over real HTTP, as the user whose token is in the data directory. */
  async function gennaker(who: keyof typeof TOKENS, ...args: string[]): Promise<{ code: number; text: string }> {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const data = join(dir, `cli-${who}`);
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'token'), TOKENS[who]);
    try {
      const io = createRecordingIoHost();
      const code = await main([...args, '--endpoint', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, '--data', data], { io });
      return { code, text: io.messages.map((message) => ('text' in message ? message.text : 'message' in message ? message.message : JSON.stringify(message))).join('\n') };
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('deletes a saved pipeline, says so when there is nothing to delete, and exits 1 with the reason when refused', async () => {
    // given
    const saved = await call('olive', 'POST', '/pipelines', { application: 'shop', name: 'Smoke', stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 1 }] });
    expect(saved.status).toBe(200);

    // when
    const refused = await gennaker('dave', 'pipeline', 'delete', 'shop', 'Smoke');
    const deleted = await gennaker('olive', 'pipeline', 'delete', 'shop', 'Smoke');
    const again = await gennaker('olive', 'pipeline', 'delete', 'shop', 'Smoke', '--json');
    const usage = await gennaker('olive', 'pipeline', 'delete', 'shop');

    // then
    expect(refused).toEqual({ code: 1, text: "user 'dave' lacks WRITE on application 'shop': WRITE is held by the roles ops; 'dave' has the roles dev" });
    expect(deleted).toEqual({ code: 0, text: `deleted shop/Smoke (id ${saved.json.id})` });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.text)).toEqual({ deleted: false, application: 'shop', name: 'Smoke' });
    expect(usage.code).toBe(2);
    expect(usage.text).toContain('usage: gennaker pipeline delete APP NAME');
    const unknown = await gennaker('olive', 'pipeline', 'remove', 'shop', 'Smoke');
    expect(unknown.code).toBe(2);
    expect(unknown.text).toMatch(/unknown pipeline command 'remove'.*; use one of save, list, execute, delete/);
    expect((await call('olive', 'GET', '/applications/shop/pipelineConfigs/Smoke')).status).toBe(404);
  });
});

describe("Gate's execution delete", () => {
  it('deletes a complete execution for a caller with WRITE, refuses one still running, and answers 404 once it is gone', async () => {
    // given: an execution waiting for a judgment
    const saved = await call('olive', 'POST', '/pipelines', { application: 'shop', name: 'Gated', stages: [{ refId: '1', type: 'manualJudgment', name: 'Approve' }] });
    expect(saved.status).toBe(200);
    const started = await call('olive', 'POST', '/pipelines/shop/Gated', {});
    const waitingId = String(started.json.ref).replace('/pipelines/', '');
    await until('the judgment to wait', () => runtime.store.getExecution(waitingId), (execution) => execution?.stages[0]?.awaitingCallback === true);

    // when
    const refused = await call('dave', 'DELETE', `/pipelines/${executionIds[0]}`);
    const deleted = await call('olive', 'DELETE', `/pipelines/${executionIds[0]}`);
    const again = await call('olive', 'DELETE', `/pipelines/${executionIds[0]}`);
    const running = await call('olive', 'DELETE', `/pipelines/${waitingId}`);

    // then
    expect(refused).toEqual({ status: 403, json: { error: "user 'dave' lacks WRITE on application 'shop': WRITE is held by the roles ops; 'dave' has the roles dev" } });
    expect(deleted).toEqual({ status: 200, json: { deleted: true, id: executionIds[0] } });
    expect(again.status).toBe(404);
    expect((await call('olive', 'GET', `/pipelines/${executionIds[0]}`)).status).toBe(404);
    expect(running).toEqual({ status: 409, json: { error: `execution '${waitingId}' is RUNNING; only a complete execution can be deleted, so cancel it first (PUT /pipelines/${waitingId}/cancel)` } });
    expect((await call('olive', 'GET', '/applications/shop/pipelines?limit=10')).json.map((execution: { id: string }) => execution.id)).not.toContain(executionIds[0]);

    // The waiting one is canceled, then deleted.
    expect((await call('olive', 'PUT', `/pipelines/${waitingId}/cancel`)).status).toBe(202);
    await until('the cancel', () => runtime.store.getExecution(waitingId), (execution) => execution?.status === 'CANCELED');
    expect((await call('olive', 'DELETE', `/pipelines/${waitingId}`)).status).toBe(200);
  });
});

describe("Gate's notification routes", () => {
  it("saves an application's preferences as Front50 stores them for a caller with WRITE, shows them to one with READ, and removes them", async () => {
    // given: notes, readable by ops and dev, writable by ops only
    expect((await call('admin', 'POST', '/applications', { name: 'notes', email: 'team@example.com', permissions: { READ: ['ops', 'dev'], WRITE: ['ops'] } })).status).toBe(201);
    const preferences = { slack: [{ address: '#deploys', when: ['pipeline.failed'] }], email: [{ address: 'ops@example.com', when: ['pipeline.complete'] }] };

    // when
    const before = await call('dave', 'GET', '/notifications/application/notes');
    const saved = await call('olive', 'POST', '/notifications/application/NOTES', preferences);
    const read = await call('dave', 'GET', '/notifications/application/notes');
    const application = await call('dave', 'GET', '/applications/notes');
    const removed = await call('olive', 'DELETE', '/notifications/application/notes');
    const after = await call('dave', 'GET', '/notifications/application/notes');

    // then
    expect(before).toEqual({ status: 200, json: { application: 'notes' } });
    expect(saved).toEqual({ status: 200, json: { ...preferences, application: 'notes', lastModified: expect.any(Number), lastModifiedBy: 'olive' } });
    expect(read).toEqual(saved);
    expect(application.json).toMatchObject({ name: 'notes', email: 'team@example.com', permissions: { READ: ['ops', 'dev'], WRITE: ['ops'] }, notifications: saved.json });
    expect(removed).toEqual({ status: 200, json: { application: 'notes' } });
    expect(after).toEqual({ status: 200, json: { application: 'notes' } });
    expect((await call('dave', 'GET', '/applications/notes')).json).toMatchObject({ email: 'team@example.com', permissions: { READ: ['ops', 'dev'], WRITE: ['ops'] } });
    expect((await call('dave', 'GET', '/applications/notes')).json.notifications).toBeUndefined();
  });

  it('answers 400 naming the field for bad preferences, 404 for an unknown application, 403 without WRITE (or READ), and saves nothing refused', async () => {
    const badWhen = await call('olive', 'POST', '/notifications/application/notes', { slack: [{ address: '#x', when: 'pipeline.failed' }] });
    const badList = await call('olive', 'POST', '/notifications/application/notes', { slack: { address: '#x' } });
    const notJson = await app.request('/notifications/application/notes', { method: 'POST', headers: { authorization: `Bearer ${TOKENS.olive}`, 'content-type': 'application/json' }, body: '[1]' });
    const readOnly = await call('dave', 'POST', '/notifications/application/notes', { slack: [{ address: '#x', when: ['pipeline.failed'] }] });
    const readOnlyDelete = await call('dave', 'DELETE', '/notifications/application/notes');
    const unreadable = await call('dave', 'GET', '/notifications/application/shop');
    const unknown = await call('olive', 'POST', '/notifications/application/nowhere', { slack: [] });
    const unknownRead = await call('olive', 'GET', '/notifications/application/nowhere');

    expect(badWhen).toEqual({ status: 400, json: { error: `'notifications.slack[0].when' is 'pipeline.failed'; it must be a list of events such as ["pipeline.starting", "pipeline.complete", "pipeline.failed"]` } });
    expect(badList.status).toBe(400);
    expect(badList.json.error).toMatch(/^'notifications\.slack' is .*; it must be a list of preferences, e\.g\. /);
    expect(notJson.status).toBe(400);
    expect(readOnly).toEqual({ status: 403, json: { error: "user 'dave' lacks WRITE on application 'notes': WRITE is held by the roles ops; 'dave' has the roles dev" } });
    expect(readOnlyDelete.status).toBe(403);
    expect(unreadable.status).toBe(403);
    expect(unknown).toEqual({ status: 404, json: { error: "application 'nowhere' does not exist; create it first (POST /applications)" } });
    expect(unknownRead.status).toBe(404);
    expect((await call('olive', 'GET', '/notifications/application/notes')).json).toEqual({ application: 'notes' });
  });

  it('lists the notification types this deployment sends, with their fields', async () => {
    const listed = await call('dave', 'GET', '/notifications/metadata');
    expect(listed.status).toBe(200);
    const types = listed.json as Array<{ notificationType: string; uiType: string; parameters: Array<{ name: string; required: boolean }>; events: string[] }>;
    // Without notification settings: what needs none.
    expect(types.map((type) => type.notificationType)).toEqual(['slack', 'microsoftteams', 'webhook']);
    expect(types[1]!.parameters.map((parameter) => [parameter.name, parameter.required])).toEqual([
      ['address', true],
      ['customMessage', false],
      ['when', true],
      ['message', false],
      ['notifyEveryMs', false],
    ]);
    expect(types[0]!.events).toContain('manualJudgment');
  });
});
