/**
 * Users and per-application permissions (Fiat's model) on `gennaker up`, over real HTTP: each
 * finding of the security probe replayed by a user whose roles are not in the application's
 * permissions, then what admins, permitted roles, triggers (as service accounts) and the audit
 * log do. Users have their own tokens (local/users.ts), added while the server runs.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { addUser, removeUser } from '../../local/users.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-authz-'));
let server: LocalServer;
const tokens: Record<string, string> = {};

interface Answer {
  readonly status: number;
  readonly json: any;
}

async function call(who: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function judged(application: string, name: string, extra: Record<string, unknown> = {}, judgment: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    application,
    name,
    ...extra,
    stages: [{ refId: '1', requisiteStageRefIds: [], type: 'manualJudgment', name: 'Approve', ...judgment }],
  };
}

const idOf = (answer: Answer) => String(answer.json.ref).replace('/pipelines/', '');
const waiting = (id: string) => until('the judgment to wait', () => server.runtime.store.getExecution(id), (execution) => execution?.stages[0]?.awaitingCallback === true);

const VAULT = { READ: ['ops', 'auditors'], WRITE: ['ops'], EXECUTE: ['ops'] };

beforeAll(async () => {
  server = await startLocalServer({ dir, port: 0, localTarget: false, cronTickMs: 60_000 });
  tokens.admin = readFileSync(join(dir, 'token'), 'utf8').trim();
  // Added while the server runs: each token works from the next request.
  for (const [name, roles] of [
    ['alice', ['dev']],
    ['bob', ['ops']],
    ['carol', ['release']],
    ['svc', ['ops']],
  ] as const) {
    const added = await addUser(dir, { name, roles: [...roles], admin: false }, Date.now());
    if (!added.ok) throw new Error(added.message);
    tokens[name] = added.token;
  }
  // given: an application restricted to ops, with a pipeline waiting for a judgment
  expect((await call('admin', 'POST', '/applications', { name: 'vault', permissions: VAULT })).status).toBe(201);
  expect((await call('admin', 'POST', '/pipelines', judged('vault', 'Release'))).status).toBe(200);
});

afterAll(async () => {
  const running = await server.runtime.store.listExecutions({ application: 'vault', statuses: ['RUNNING', 'NOT_STARTED'] }, { limit: 100 });
  for (const execution of running.items) await server.runtime.service.cancelExecution(execution.id, { user: 'test', roles: [], admin: true });
  await server.runtime.idle();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('permissions on an application (Fiat)', () => {
  it('refuses to show an application, its pipelines and executions to a caller without READ, and leaves it out of the list', async () => {
    // given
    const started = await call('bob', 'POST', '/pipelines/vault/Release', {});
    expect(started.status).toBe(202);
    const executionId = idOf(started);

    // when / then: every read answers 403 with one line naming the permission, the application and the roles
    const refusal = "user 'alice' lacks READ on application 'vault': READ is held by the roles ops, auditors; 'alice' has the roles dev";
    for (const path of ['/applications/vault', '/applications/vault/pipelineConfigs', '/applications/vault/pipelineConfigs/Release', '/applications/vault/pipelineConfigs/Release/history', '/applications/vault/pipelines', `/pipelines/${executionId}`]) {
      const answer = await call('alice', 'GET', path);
      expect({ path, ...answer }).toEqual({ path, status: 403, json: { error: refusal } });
    }
    expect((await call('alice', 'GET', '/applications')).json.map((application: { name: string }) => application.name)).not.toContain('vault');
    expect((await call('bob', 'GET', '/applications')).json.map((application: { name: string }) => application.name)).toContain('vault');
    expect((await call('bob', 'GET', `/pipelines/${executionId}`)).status).toBe(200);
  });

  it('refuses to overwrite a pipeline without WRITE, also under its id from another application, and saves nothing', async () => {
    // given
    const before = (await call('admin', 'GET', '/applications/vault/pipelineConfigs/Release')).json;

    // when
    const overwrite = await call('alice', 'POST', '/pipelines', { ...judged('vault', 'Release'), stages: [] });
    const moved = await call('alice', 'POST', '/pipelines', { ...judged('alice-app', 'Stolen'), id: before.id });

    // then
    expect(overwrite).toEqual({ status: 403, json: { error: "user 'alice' lacks WRITE on application 'vault': WRITE is held by the roles ops; 'alice' has the roles dev" } });
    expect(moved.status).toBe(403);
    expect(moved.json.error).toContain("lacks WRITE on application 'vault'");
    expect((await call('admin', 'GET', '/applications/vault/pipelineConfigs/Release/history')).json.map((version: { version: number }) => version.version)).toEqual([before.version]);
  });

  it('refuses to start, cancel, judge, skip or restart without EXECUTE, and changes nothing', async () => {
    // given
    const started = await call('bob', 'POST', '/pipelines/vault/Release', {});
    const id = idOf(started);
    const stage = (await waiting(id))!.stages[0]!;

    // when
    const answers = [
      await call('alice', 'POST', '/pipelines/vault/Release', {}),
      await call('alice', 'PUT', `/pipelines/${id}/cancel`),
      await call('alice', 'PATCH', `/pipelines/${id}/stages/${stage.id}`, { judgmentStatus: 'continue' }),
      await call('alice', 'PATCH', `/pipelines/${id}/stages/${stage.id}`, { skipRemainingWait: true }),
      await call('alice', 'PUT', `/pipelines/${id}/stages/${stage.id}/restart`),
    ];

    // then
    for (const answer of answers) expect(answer).toEqual({ status: 403, json: { error: "user 'alice' lacks EXECUTE on application 'vault': EXECUTE is held by the roles ops; 'alice' has the roles dev" } });
    expect((await server.runtime.store.getExecution(id))?.status).toBe('RUNNING');
    expect((await call('bob', 'PUT', `/pipelines/${id}/cancel`)).status).toBe(202);
  });

  it('refuses a change of permissions without WRITE under the current ones (no granting oneself WRITE)', async () => {
    // when
    const grab = await call('alice', 'PUT', '/applications/vault', { permissions: { READ: ['dev'], WRITE: ['dev'], EXECUTE: ['dev'] } });

    // then
    expect(grab).toEqual({ status: 403, json: { error: "user 'alice' lacks WRITE on application 'vault': WRITE is held by the roles ops; 'alice' has the roles dev" } });
    expect((await call('admin', 'GET', '/applications/vault')).json.permissions).toEqual(VAULT);
    // and a holder of WRITE may change them
    const changed = await call('bob', 'PUT', '/applications/vault', { permissions: { ...VAULT, READ: [...VAULT.READ, 'release'] } });
    expect(changed.status).toBe(200);
    expect((await call('carol', 'GET', '/applications/vault')).status).toBe(200);
    expect((await call('bob', 'PUT', '/applications/vault', { permissions: VAULT })).status).toBe(200);
  });

  it('keeps an application without permissions open to every authenticated caller (Spinnaker\'s default)', async () => {
    expect((await call('alice', 'POST', '/applications', { name: 'open-app' })).status).toBe(201);
    expect((await call('carol', 'POST', '/pipelines', judged('open-app', 'Anyone'))).status).toBe(200);
    const started = await call('alice', 'POST', '/pipelines/open-app/Anyone', {});
    expect(started.status).toBe(202);
    expect((await call('carol', 'PUT', `/pipelines/${idOf(started)}/cancel`)).status).toBe(202);
  });

  it('lets EXECUTE fall back to READ when the permissions leave it out', async () => {
    // given
    expect((await call('admin', 'POST', '/applications', { name: 'readers-run', permissions: { READ: ['dev'], WRITE: ['ops'] } })).status).toBe(201);
    expect((await call('bob', 'POST', '/pipelines', judged('readers-run', 'Go'))).status).toBe(200);

    // then
    const started = await call('alice', 'POST', '/pipelines/readers-run/Go', {});
    expect(started.status).toBe(202);
    expect((await call('alice', 'POST', '/pipelines', judged('readers-run', 'Other'))).status).toBe(403);
    expect((await call('bob', 'POST', '/pipelines/readers-run/Go', {})).json.error).toBe("user 'bob' lacks EXECUTE on application 'readers-run': EXECUTE is held by the roles dev; 'bob' has the roles ops");
    expect((await call('alice', 'PUT', `/pipelines/${idOf(started)}/cancel`)).status).toBe(202);
  });

  it("judges with the same users: EXECUTE on the application and one of the stage's judgment roles", async () => {
    // given
    expect((await call('carol', 'POST', '/pipelines', judged('open-app', 'Gated', {}, { selectedStageRoles: ['release'] }))).status).toBe(200);
    const id = idOf(await call('alice', 'POST', '/pipelines/open-app/Gated', {}));
    const stage = (await waiting(id))!.stages[0]!;

    // when
    const refused = await call('alice', 'PATCH', `/pipelines/${id}/stages/${stage.id}`, { judgmentStatus: 'continue' });
    const judged_ = await call('carol', 'PATCH', `/pipelines/${id}/stages/${stage.id}`, { judgmentStatus: 'continue' });

    // then
    expect(refused).toEqual({ status: 403, json: { error: "user 'alice' may not judge stage 'Approve': it requires one of the roles release" } });
    expect(judged_.status).toBe(200);
    const done = await until('the execution to succeed', () => server.runtime.store.getExecution(id), (execution) => execution?.status === 'SUCCEEDED');
    expect(done?.stages[0]?.context.lastModifiedBy).toBe('carol');
  });

  it('guards the rest of an application the same way: clusters, canary reports, rollback, canary configs', async () => {
    // given
    const id = idOf(await call('bob', 'POST', '/pipelines/vault/Release', {}));
    await waiting(id);

    // when
    const cluster = await call('alice', 'GET', '/applications/vault/clusters/local/vault-prod');
    const report = await call('alice', 'GET', `/pipelines/${id}/canaryReport`);
    const rollback = await call('alice', 'POST', '/applications/vault/clusters/vault-prod/rollback', {});
    const config = {
      name: 'vault-canary',
      applications: ['vault'],
      metrics: [{ name: 'error_rate', query: { type: 'local', metricName: 'error_rate' }, groups: ['Errors'], scopeName: 'default', analysisConfigurations: { canary: { direction: 'increase' } } }],
      classifier: { groupWeights: { Errors: 100 } },
    };
    const savedConfig = await call('alice', 'POST', '/v2/canaryConfig', config);
    const shared = await call('alice', 'POST', '/v2/canaryConfig', { ...config, name: 'shared-canary', applications: [] });
    const bobsConfig = await call('bob', 'POST', '/v2/canaryConfig', config);

    // then
    expect(cluster.status).toBe(403);
    expect(cluster.json.error).toContain("lacks READ on application 'vault'");
    expect(report.status).toBe(403);
    expect(rollback).toEqual({ status: 403, json: { error: "user 'alice' lacks EXECUTE on application 'vault': EXECUTE is held by the roles ops; 'alice' has the roles dev" } });
    expect(savedConfig).toEqual({ status: 403, json: { error: "user 'alice' lacks WRITE on application 'vault': WRITE is held by the roles ops; 'alice' has the roles dev" } });
    expect(shared.status).toBe(200);
    expect(bobsConfig.status).toBe(200);
    expect((await call('alice', 'GET', `/v2/canaryConfig/${bobsConfig.json.canaryConfigId}`)).status).toBe(403);
    expect((await call('alice', 'GET', '/v2/canaryConfig')).json.map((summary: { name: string }) => summary.name)).toEqual(['shared-canary']);
    expect((await call('bob', 'GET', '/v2/canaryConfig')).json.map((summary: { name: string }) => summary.name).sort()).toEqual(['shared-canary', 'vault-canary']);
    expect((await call('bob', 'PUT', `/pipelines/${id}/cancel`)).status).toBe(202);
  });

  it('starts a child pipeline as whoever started the parent, with their roles', async () => {
    // given: a parent in an open application whose stage starts a pipeline of vault
    const child = await call('bob', 'POST', '/pipelines', { application: 'vault', name: 'Child', stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 0 }] });
    expect((await call('alice', 'POST', '/pipelines', { application: 'open-app', name: 'Parent', stages: [{ refId: '1', type: 'pipeline', name: 'Run child', application: 'vault', pipeline: child.json.id }] })).status).toBe(200);

    // when
    const ended = (answer: Answer) => until('the parent to end', () => server.runtime.store.getExecution(idOf(answer)), (execution) => execution?.status === 'TERMINAL' || execution?.status === 'SUCCEEDED');
    const byAlice = await ended(await call('alice', 'POST', '/pipelines/open-app/Parent', {}));
    const byBob = await ended(await call('bob', 'POST', '/pipelines/open-app/Parent', {}));

    // then
    expect(byAlice?.status).toBe('TERMINAL');
    expect(JSON.stringify(byAlice?.stages[0]?.context)).toContain("user 'alice' lacks EXECUTE on application 'vault'");
    expect(byBob?.status).toBe('SUCCEEDED');
    const childId = byBob?.stages[0]?.context.executionId;
    const childExecution = (await call('bob', 'GET', `/pipelines/${String(childId)}`)).json;
    expect(childExecution.trigger.authentication).toEqual({ user: 'bob', roles: ['ops'], admin: false });
  });

  it('lets an admin do everything, judging any stage included', async () => {
    expect((await call('admin', 'GET', '/applications/vault/pipelineConfigs')).status).toBe(200);
    const gated = idOf(await call('alice', 'POST', '/pipelines/open-app/Gated', {}));
    const stage = (await waiting(gated))!.stages[0]!;
    expect((await call('admin', 'PATCH', `/pipelines/${gated}/stages/${stage.id}`, { judgmentStatus: 'continue' })).status).toBe(200);
    expect((await call('admin', 'POST', '/pipelines', judged('vault', 'Admin made'))).status).toBe(200);
    const started = await call('admin', 'POST', '/pipelines/vault/Admin made', {});
    expect(started.status).toBe(202);
    expect((await call('admin', 'PUT', `/pipelines/${idOf(started)}/cancel`)).status).toBe(202);
  });
});

describe('triggers run as a service account', () => {
  it('runs a trigger without runAsUser as [anonymous], who may start pipelines of open applications only', async () => {
    // given
    expect((await call('bob', 'POST', '/pipelines', judged('vault', 'Hooked', { triggers: [{ type: 'webhook', source: 'vault-hook' }] }))).status).toBe(200);

    // when
    const delivered = await call('admin', 'POST', '/webhooks/webhook/vault-hook', {});

    // then
    expect(delivered.status).toBe(200);
    expect(delivered.json.executions).toEqual([
      expect.objectContaining({ pipelineName: 'Hooked', error: "user '[anonymous]' lacks EXECUTE on application 'vault': EXECUTE is held by the roles ops; '[anonymous]' has no roles" }),
    ]);
  });

  it("runs a trigger with runAsUser as that user, with that user's roles, recorded with the execution", async () => {
    // given: only a caller holding all of svc's roles may name it
    const pipeline = judged('vault', 'Service hooked', { triggers: [{ type: 'webhook', source: 'svc-hook', runAsUser: 'svc' }] });
    const lent = await call('carol', 'POST', '/pipelines', { ...pipeline, application: 'open-app' });
    expect(lent).toEqual({ status: 403, json: { error: "/triggers/0/runAsUser: user 'carol' may not let a trigger run as 'svc': it has the roles ops, which 'carol' lacks" } });
    expect((await call('bob', 'POST', '/pipelines', pipeline)).status).toBe(200);

    // when: the webhook is signed by nobody, only authenticated
    const delivered = await call('carol', 'POST', '/webhooks/webhook/svc-hook', {});

    // then
    const executionId = delivered.json.executions[0].executionId as string;
    expect(executionId).toBeDefined();
    const execution = (await call('bob', 'GET', `/pipelines/${executionId}`)).json;
    expect(execution.trigger.authentication).toEqual({ user: 'svc', roles: ['ops'], admin: false });
    expect((await call('bob', 'PUT', `/pipelines/${executionId}/cancel`)).status).toBe(202);
  });

  it('cannot be forged: a start request claiming another authentication records the real caller', async () => {
    const started = await call('alice', 'POST', '/pipelines/open-app/Anyone', { trigger: { type: 'manual', authentication: { user: 'admin', roles: [], admin: true } } });
    const execution = (await call('alice', 'GET', `/pipelines/${idOf(started)}`)).json;
    expect(execution.trigger.authentication).toEqual({ user: 'alice', roles: ['dev'], admin: false });
    expect((await call('alice', 'PUT', `/pipelines/${idOf(started)}/cancel`)).status).toBe(202);
  });
});

describe('local users', () => {
  it('keeps only hashes of the tokens in a 0600 file, and a removed user is refused at once', async () => {
    const file = readFileSync(join(dir, 'users.json'), 'utf8');
    for (const name of ['alice', 'bob', 'carol', 'svc']) expect(file).not.toContain(tokens[name]);
    expect(statSync(join(dir, 'users.json')).mode & 0o777).toBe(0o600);

    const added = await addUser(dir, { name: 'temp', roles: [], admin: false }, Date.now());
    if (!added.ok) throw new Error(added.message);
    tokens.temp = added.token;
    expect((await call('temp', 'GET', '/applications')).status).toBe(200);
    await removeUser(dir, 'temp');
    expect((await call('temp', 'GET', '/applications')).status).toBe(401);
  });
});

describe('the audit log', () => {
  it('records every mutating call with who, what, application, when, source address and result, for admins only', async () => {
    // when
    const refused = await call('alice', 'GET', '/audit');
    const all = await call('admin', 'GET', '/audit?limit=1000');
    const vault = await call('admin', 'GET', '/audit?application=vault&limit=1000');

    // then
    expect(refused).toEqual({ status: 403, json: { error: "only admins may read the audit log; user 'alice' is not one" } });
    expect(all.status).toBe(200);
    const entries = all.json as Array<Record<string, unknown>>;
    expect(entries.length).toBeGreaterThan(20);
    expect(entries).toContainEqual(
      expect.objectContaining({ user: 'alice', action: 'savePipeline', application: 'vault', target: 'Release', result: 'forbidden', source: expect.stringMatching(/127\.0\.0\.1/), timeIso: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }),
    );
    expect(entries).toContainEqual(expect.objectContaining({ user: 'alice', action: 'saveApplication', application: 'vault', result: 'forbidden' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'bob', action: 'cancelExecution', application: 'vault', result: 'ok' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'carol', action: 'judgeStage', application: 'open-app', result: 'ok' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'svc', action: 'startPipeline', application: 'vault', result: 'ok', source: expect.stringMatching(/^webhook:svc-hook by carol from /) }));
    // newest first
    const times = entries.map((entry) => entry.time as number);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((vault.json as Array<{ application: string }>).every((entry) => entry.application === 'vault')).toBe(true);
    // reads are not audited
    expect(entries.some((entry) => String(entry.action).startsWith('get'))).toBe(false);
    expect(statSync(join(dir, 'audit.log')).mode & 0o777).toBe(0o600);
  });
});
