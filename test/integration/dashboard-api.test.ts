/**
 * What the dashboard needs of `gennaker up`: its files at `/` without a token (they hold no
 * data), and three API routes behind the token like every other: the caller's rights on an
 * application, validation without a save, and the long-poll that makes the execution page live.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { addUser } from '../../local/users.ts';
import { until } from '../support/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-dashboard-api-'));
let server: LocalServer;
const tokens: Record<string, string> = {};

async function call(who: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (who !== undefined) headers['authorization'] = `Bearer ${tokens[who]}`;
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, json: await response.json() };
}

const JUDGED = { application: 'vault', name: 'Release', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'manualJudgment', name: 'Approve' }] };

beforeAll(async () => {
  server = await startLocalServer({ dir, port: 0, localTarget: false, cronTickMs: 60_000 });
  tokens['admin'] = readFileSync(join(dir, 'token'), 'utf8').trim();
  for (const [name, roles] of [
    ['reader', ['auditors']],
    ['stranger', ['dev']],
  ] as const) {
    const added = await addUser(dir, { name, roles: [...roles], admin: false }, Date.now());
    if (!added.ok) throw new Error(added.message);
    tokens[name] = added.token;
  }
  expect((await call('admin', 'POST', '/applications', { name: 'vault', permissions: { READ: ['ops', 'auditors'], WRITE: ['ops'], EXECUTE: ['ops'] } })).status).toBe(201);
  expect((await call('admin', 'POST', '/pipelines', JUDGED)).status).toBe(200);
});

afterAll(async () => {
  const running = await server.runtime.store.listExecutions({ application: 'vault', statuses: ['RUNNING', 'NOT_STARTED'] }, { limit: 100 });
  for (const execution of running.items) await server.runtime.service.cancelExecution(execution.id, { user: 'test', roles: [], admin: true });
  await server.runtime.idle();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard files', () => {
  it('are served at / and /web/ without a token, with a policy that allows only their own script and styles', async () => {
    // when
    const page = await fetch(`${server.url}/`);
    const script = await fetch(`${server.url}/web/app.js`);
    const styles = await fetch(`${server.url}/web/app.css`);
    const missing = await fetch(`${server.url}/web/nothing.js`);

    // then
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/web/app.js">');
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(await script.text()).toBe(readFileSync(new URL('../../web/dist/app.js', import.meta.url), 'utf8'));
    expect([styles.status, styles.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    expect(missing.status).toBe(404);
  });

  it('leave every API route behind the token', async () => {
    expect((await call(undefined, 'GET', '/applications')).status).toBe(401);
    expect((await call(undefined, 'GET', '/applications/vault/permissions')).status).toBe(401);
    expect((await call(undefined, 'POST', '/pipelines/validate', JUDGED)).status).toBe(401);
  });
});

describe("GET /applications/{application}/permissions: the caller's rights", () => {
  it('answers what each caller may do, so read-only users are shown no buttons', async () => {
    expect((await call('admin', 'GET', '/applications/vault/permissions')).json).toEqual({ application: 'vault', user: 'admin', admin: true, READ: true, WRITE: true, EXECUTE: true });
    expect((await call('reader', 'GET', '/applications/vault/permissions')).json).toEqual({ application: 'vault', user: 'reader', admin: false, READ: true, WRITE: false, EXECUTE: false });
    expect((await call('stranger', 'GET', '/applications/vault/permissions')).json).toEqual({ application: 'vault', user: 'stranger', admin: false, READ: false, WRITE: false, EXECUTE: false });
    // An application with no permissions is open to every caller.
    expect((await call('stranger', 'GET', '/applications/elsewhere/permissions')).json).toEqual({ application: 'elsewhere', user: 'stranger', admin: false, READ: true, WRITE: true, EXECUTE: true });
  });
});

describe('GET /applications/{application}/executionSummaries: the last runs of every pipeline', () => {
  it("answers the newest `limit` executions of each of the application's pipelines, newest first, without stages, trigger or parameters", async () => {
    // given: 'shelf', readable by auditors, with a pipeline run once long ago, one run four times since, and an execution of another application
    const permissions = { READ: ['ops', 'auditors'], WRITE: ['ops'], EXECUTE: ['ops'] };
    expect((await call('admin', 'POST', '/applications', { name: 'shelf', permissions })).status).toBe(201);
    const ids: Record<string, string> = {};
    for (const name of ['Release', 'Hotfix']) {
      expect((await call('admin', 'POST', '/pipelines', { ...JUDGED, application: 'shelf', name })).status).toBe(200);
      ids[name] = (await call('admin', 'GET', `/applications/shelf/pipelineConfigs/${name}`)).json.id;
    }
    const run = (id: string, application: string, pipelineConfigId: string, minute: number) =>
      server.runtime.store.createExecution({ id, application, pipelineConfigId, pipelineVersion: 1, name: id, status: 'SUCCEEDED', buildTime: minute * 60_000, trigger: { type: 'manual', user: 'admin' }, parameters: { env: 'prod' }, limitConcurrent: false, keepWaitingPipelines: false, maxConcurrentExecutions: 0, stages: [{ id: '1', refId: '1', type: 'wait', name: 'Wait', requisiteStageRefIds: [], context: {} }] });
    expect((await run('release-1', 'shelf', ids['Release']!, 1)).ok).toBe(true);
    for (const minute of [2, 3, 4, 5]) expect((await run(`hotfix-${minute}`, 'shelf', ids['Hotfix']!, minute)).ok).toBe(true);
    expect((await run('elsewhere-1', 'elsewhere', 'elsewhere-pipeline', 6)).ok).toBe(true);
    const summary = (id: string, pipeline: string, minute: number) => ({ id, application: 'shelf', pipelineConfigId: ids[pipeline], name: id, status: 'SUCCEEDED', buildTime: minute * 60_000 });

    // when: two of each, where the application's newest four are all Hotfix's; then ten of each, all there are
    const two = await call('reader', 'GET', '/applications/shelf/executionSummaries?limit=2');
    const ten = await call('reader', 'GET', '/applications/shelf/executionSummaries?limit=10');

    // then: pipelines by name, each newest first, and nothing but the summary
    expect(two.status).toBe(200);
    expect(two.json).toEqual([summary('hotfix-5', 'Hotfix', 5), summary('hotfix-4', 'Hotfix', 4), summary('release-1', 'Release', 1)]);
    expect(ten.json).toEqual([summary('hotfix-5', 'Hotfix', 5), summary('hotfix-4', 'Hotfix', 4), summary('hotfix-3', 'Hotfix', 3), summary('hotfix-2', 'Hotfix', 2), summary('release-1', 'Release', 1)]);
  });

  it('is refused without READ (403) and for a limit out of range (400)', async () => {
    const refused = await call('stranger', 'GET', '/applications/vault/executionSummaries');
    expect(refused.status).toBe(403);
    expect(refused.json.error).toContain("lacks READ on application 'vault'");
    expect((await call('admin', 'GET', '/applications/vault/executionSummaries?limit=0')).json).toEqual({ error: "query parameter 'limit' is '0'; use a whole number from 1 to 1000" });
  });
});

describe('POST /pipelines/validate', () => {
  it("answers every issue with its pointer, a valid pipeline's compile report, and saves nothing", async () => {
    // when
    const broken = await call('admin', 'POST', '/pipelines/validate', { application: 'vault', name: 'Draft', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 'soon' }] });
    const fine = await call('admin', 'POST', '/pipelines/validate', { ...JUDGED, name: 'Draft' });
    const notJson = await fetch(`${server.url}/pipelines/validate`, { method: 'POST', headers: { authorization: `Bearer ${tokens['admin']}`, 'content-type': 'application/json' }, body: '{' });

    // then
    expect(broken.status).toBe(200);
    expect(broken.json.valid).toBe(false);
    expect(broken.json.issues).toContainEqual(expect.objectContaining({ pointer: '/stages/0/waitTime', severity: 'error' }));
    expect(fine.json).toMatchObject({ valid: true, issues: [], compile: { limits: { definitionBytes: 1_048_576, historyEvents: 25_000 }, children: [], addedOrderingEdges: [] } });
    expect(fine.json.compile.states).toBeGreaterThan(1);
    expect(fine.json.compile.worstCaseHistoryEvents).toBeGreaterThan(fine.json.compile.states);
    expect(broken.json.compile).toBeUndefined();
    expect(notJson.status).toBe(400);
    expect((await call('admin', 'GET', '/applications/vault/pipelineConfigs')).json.map((config: { name: string }) => config.name)).toEqual(['Release']);
  });
});

describe('GET /pipelines/{id}/changes: the long-poll of the live view', () => {
  it('answers at once without a version, waits for a change with one, and answers the change as it happens', async () => {
    // given: an execution waiting at its judgment
    const started = await call('admin', 'POST', '/pipelines/vault/Release', {});
    const id = String(started.json.ref).replace('/pipelines/', '');
    await until('the judgment to wait', () => server.runtime.store.getExecution(id), (execution) => execution?.stages[0]?.awaitingCallback === true);
    const first = await call('admin', 'GET', `/pipelines/${id}/changes`);
    const stageId = first.json.execution.stages[0].id;

    // when: a long-poll on the current version is open while the judgment is answered
    const waiting = call('admin', 'GET', `/pipelines/${id}/changes?since=${first.json.version}&waitSeconds=20`);
    const unchanged = await call('admin', 'GET', `/pipelines/${id}/changes?since=${first.json.version}&waitSeconds=0`);
    expect((await call('admin', 'PATCH', `/pipelines/${id}/stages/${stageId}`, { judgmentStatus: 'continue' })).status).toBe(200);
    const changed = await waiting;

    // then
    expect(unchanged.json.version).toBe(first.json.version);
    expect(changed.status).toBe(200);
    expect(changed.json.version).not.toBe(first.json.version);
    expect(changed.json.execution.stages[0].context.judgmentStatus).toBe('continue');
  });

  it('is refused like GET /pipelines/{id}: 403 without READ, 404 for an unknown id, 400 for a bad wait', async () => {
    const started = await call('admin', 'POST', '/pipelines/vault/Release', {});
    const id = String(started.json.ref).replace('/pipelines/', '');
    const refused = await call('stranger', 'GET', `/pipelines/${id}/changes?waitSeconds=0`);
    expect(refused.status).toBe(403);
    expect(refused.json.error).toContain("lacks READ on application 'vault'");
    expect((await call('admin', 'GET', '/pipelines/nope/changes?waitSeconds=0')).status).toBe(404);
    expect((await call('admin', 'GET', `/pipelines/${id}/changes?waitSeconds=60`)).json).toEqual({ error: "query parameter 'waitSeconds' is '60'; use a whole number from 0 to 25" });
  });
});
