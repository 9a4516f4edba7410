/**
 * The API on a real local runtime (dynalite in memory, the execution service, the local engine
 * and the stage runner), called through `app.request`: what a client of Gate's API relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerAuthenticator } from '../../adapters/crypto/bearer-authenticator.ts';
import { signBody } from '../../adapters/crypto/signature-verifier.ts';
import { parseAccountsFile } from '../../core/accounts/accounts-file.ts';
import { createApiApp, toHonoPath } from '../../functions/api/app.ts';
import { ROUTES } from '../../functions/api/routes.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';

const TOKEN = 'test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let runtime: LocalRuntime;
let app: ReturnType<typeof createApiApp>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; json: any }> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await app.request(path, init);
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

const getExecution = async (id: string) => (await call('GET', `/pipelines/${id}`)).json;
const idOf = (ref: string) => ref.replace('/pipelines/', '');

function judged(name: string, triggers: unknown[] = []): Record<string, unknown> {
  return {
    application: 'shop',
    name,
    triggers,
    parameterConfig: [{ name: 'env', default: 'staging' }],
    stages: [
      { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Warm up', waitTime: 0 },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'manualJudgment', name: 'Approve', judgmentInputs: [{ value: 'ship' }] },
      { refId: '3', requisiteStageRefIds: ['2'], type: 'wait', name: 'Finish', waitTime: 0 },
    ],
  };
}

async function waitingJudgment(executionId: string) {
  const execution = await until('the judgment to wait', () => runtime.store.getExecution(executionId), (e) => e?.stages.some((s) => s.type === 'manualJudgment' && s.awaitingCallback) ?? false);
  return execution!.stages.find((stage) => stage.type === 'manualJudgment')!;
}

beforeAll(async () => {
  // The accounts an accounts file gives (local/accounts.ts reads it), besides the built-in `local`.
  const { accounts } = parseAccountsFile({
    accounts: [
      { name: 'staging', cloudProvider: 'local', environment: 'test' },
      { name: 'prod', cloudProvider: 'aws', regions: ['us-east-1', 'eu-west-1'], assumeRole: 'arn:aws:iam::210987654321:role/gennaker-deploy' },
    ],
  });
  runtime = await createLocalRuntime({ retryDelayMs: 1, accounts });
  app = createApiApp({ service: runtime.service, store: runtime.store, clock: { now: () => Date.now() }, auth: createBearerAuthenticator({ token: TOKEN }), accounts: runtime.accounts, triggerSecrets: runtime.secrets });
});

afterAll(async () => {
  // Leave nothing running: closing under a run in flight is the crash case, tested in test/e2e/up.test.ts.
  const running = await runtime.store.listExecutions({ application: 'shop', statuses: ['RUNNING', 'NOT_STARTED'] }, { limit: 1000 });
  for (const execution of running.items) await runtime.service.cancelExecution(execution.id, { user: 'test', roles: [] });
  await runtime.idle();
  await runtime.close();
});

describe('the API', () => {
  it('answers 401 without the bearer token, and with a wrong one', async () => {
    expect((await call('GET', '/applications', undefined, {})).status).toBe(401);
    const wrong = await call('GET', '/applications', undefined, { authorization: 'Bearer nope-nope-nope-nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toContain('Bearer');
    expect((await call('GET', '/health', undefined, {})).json).toEqual({ status: 'ok' });
  });

  it('rejects an invalid pipeline with every issue and writes nothing', async () => {
    // given
    const bad = { application: 'broken', name: 'Bad', stages: [{ refId: '1', requisiteStageRefIds: ['9'], type: 'wait', name: 'W', waitTime: 1 }] };

    // when
    const saved = await call('POST', '/pipelines', bad);

    // then
    expect(saved.status).toBe(400);
    expect(saved.json.error).toMatch(/nothing was saved/);
    expect(saved.json.issues).toContainEqual(expect.objectContaining({ pointer: '/stages/0/requisiteStageRefIds/0', code: 'requisite-unknown' }));
    expect((await call('GET', '/applications/broken/pipelineConfigs')).json).toEqual([]);
    expect((await call('GET', '/applications/broken')).status).toBe(404);
  });

  it("lists the accounts in Gate's shape, and answers one by name", async () => {
    const listed = await call('GET', '/credentials');
    expect(listed.status).toBe(200);
    expect(listed.json.map((account: { name: string }) => account.name)).toEqual(['local', 'prod', 'staging']);
    expect(listed.json[0]).toEqual({
      name: 'local',
      type: 'local',
      cloudProvider: 'local',
      accountType: 'local',
      environment: 'local',
      regions: [{ name: 'local' }],
      providerVersion: 'v1',
      primaryAccount: false,
      challengeDestructiveActions: false,
      requiredGroupMembership: [],
      permissions: {},
      authorized: true,
    });
    const prod = await call('GET', '/credentials/prod');
    expect(prod.json).toMatchObject({
      name: 'prod',
      type: 'aws',
      accountType: 'prod',
      environment: 'prod',
      accountId: '210987654321',
      assumeRole: 'arn:aws:iam::210987654321:role/gennaker-deploy',
      regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
    });
    expect((await call('GET', '/credentials/staging')).json).toMatchObject({ type: 'local', environment: 'test' });
    const typo = await call('GET', '/credentials/prdo');
    expect(typo.status).toBe(404);
    expect(typo.json.error).toBe("account 'prdo' is not known (known accounts: local, prod, staging); did you mean 'prod'?");
  });

  it('refuses a pipeline naming an unknown account, at its pointer, with the known accounts and a did-you-mean', async () => {
    // given a deploy to a mistyped account and a cluster stage to one nothing is close to
    const pipeline = {
      application: 'typo',
      name: 'Deploy to a typo',
      stages: [
        { refId: '1', type: 'deploy', name: 'Deploy', clusters: [{ account: 'stagign', cloudProvider: 'local', application: 'typo', capacity: { min: 1, max: 1, desired: 1 }, artifact: { type: 'directory', reference: 'examples/service' } }] },
        { refId: '2', requisiteStageRefIds: ['1'], type: 'disableCluster', name: 'Disable', credentials: 'elsewhere', cluster: 'typo', regions: ['local'], remainingEnabledServerGroups: 1 },
        { refId: '3', requisiteStageRefIds: ['1'], type: 'rollbackCluster', name: 'Rollback', credentials: '${trigger.account}', cluster: 'typo', regions: ['local'] },
      ],
    };
    // when
    const saved = await call('POST', '/pipelines', pipeline);
    // then: both named accounts are refused (the expression is known only at run time), nothing saved
    expect(saved.status).toBe(400);
    expect(saved.json.issues.filter((issue: { code: string }) => issue.code === 'account-unknown')).toEqual([
      {
        pointer: '/stages/0/clusters/0/account',
        code: 'account-unknown',
        severity: 'error',
        message: "account 'stagign' is not known (known accounts: local, prod, staging); did you mean 'staging'?",
      },
      { pointer: '/stages/1/credentials', code: 'account-unknown', severity: 'error', message: "account 'elsewhere' is not known (known accounts: local, prod, staging)" },
    ]);
    expect((await call('GET', '/applications/typo/pipelineConfigs')).json.map((config: { name: string }) => config.name)).not.toContain('Deploy to a typo');

    // and with the account spelled right, the same pipeline saves
    const fixed = structuredClone(pipeline);
    fixed.stages[0]!.clusters![0]!.account = 'staging';
    fixed.stages[1]!.credentials = 'local';
    expect((await call('POST', '/pipelines', fixed)).status).toBe(200);
  });

  it('answers 400 naming the problem for a body that is not JSON', async () => {
    const response = await call('POST', '/pipelines', '{"application": ');
    expect(response.status).toBe(400);
    expect(response.json.error).toMatch(/not valid JSON/);
    expect(response.json.error).not.toMatch(/at .*\.ts/);
  });

  it('saves, lists and reads pipeline configs with their history', async () => {
    const first = await call('POST', '/pipelines', judged('Release'));
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ application: 'shop', name: 'Release', version: 1 });
    const second = await call('POST', '/pipelines', { ...judged('Release'), id: first.json.id });
    expect(second.json.version).toBe(2);

    expect((await call('GET', '/applications')).json.map((a: { name: string }) => a.name)).toContain('shop');
    const list = await call('GET', '/applications/shop/pipelineConfigs');
    expect(list.json.map((p: { name: string }) => p.name)).toEqual(['Release']);
    expect((await call('GET', '/applications/shop/pipelineConfigs/Release')).json).toMatchObject({ id: first.json.id, version: 2 });
    expect((await call('GET', `/applications/shop/pipelineConfigs/${first.json.id}/history`)).json.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await call('GET', '/applications/shop/pipelineConfigs/Nope')).status).toBe(404);
  });

  it('starts, shows (Orca shape), judges and completes an execution', async () => {
    // given
    await call('POST', '/pipelines', judged('Judged'));

    // when
    const started = await call('POST', '/pipelines/shop/Judged', { parameters: { env: 'prod' } });

    // then
    expect(started.status).toBe(202);
    expect(started.json.ref).toMatch(/^\/pipelines\/.+/);
    const id = idOf(started.json.ref);
    const stage = await waitingJudgment(id);
    const shown = await getExecution(id);
    expect(shown).toMatchObject({ id, type: 'PIPELINE', application: 'shop', name: 'Judged', status: 'RUNNING', trigger: { type: 'manual', parameters: { env: 'prod' } } });
    expect(shown.stages.map((s: { refId: string }) => s.refId)).toEqual(['1', '2', '3']);

    const badJudgment = await call('PATCH', `/pipelines/${id}/stages/${stage.id}`, { judgmentStatus: 'maybe' });
    expect(badJudgment.status).toBe(400);
    expect(badJudgment.json.error).toBe(`'judgmentStatus' is 'maybe'; use "continue" or "stop"`);

    const judgedAnswer = await call('PATCH', `/pipelines/${id}/stages/${stage.id}`, { judgmentStatus: 'continue', judgmentInput: 'ship' });
    expect(judgedAnswer.status).toBe(200);
    const done = await until('the execution to succeed', () => getExecution(id), (e) => e.status === 'SUCCEEDED');
    expect(done.stages.map((s: { status: string }) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect((await call('PATCH', `/pipelines/${id}/stages/${stage.id}`, { judgmentStatus: 'continue' })).status).toBe(409);
  });

  it('accepts Gate’s flat parameter map', async () => {
    await call('POST', '/pipelines', judged('Flat'));
    const started = await call('POST', '/pipelines/shop/Flat', { env: 'flat' });
    const id = idOf(started.json.ref);
    expect((await getExecution(id)).trigger.parameters).toMatchObject({ env: 'flat' });
    await call('PUT', `/pipelines/${id}/cancel`);
  });

  it('cancels with a reason, restarts a stage, and lists newest first', async () => {
    // given
    await call('POST', '/pipelines', judged('Cancelable'));
    const first = idOf((await call('POST', '/pipelines/shop/Cancelable', {})).json.ref);
    const stage = await waitingJudgment(first);

    // when
    const canceled = await call('PUT', `/pipelines/${first}/cancel?reason=${encodeURIComponent('wrong build')}`);

    // then
    expect(canceled.status).toBe(202);
    const ended = await until('the cancel', () => getExecution(first), (e) => e.status === 'CANCELED');
    expect(ended).toMatchObject({ canceled: true, cancellationReason: 'wrong build' });
    expect((await call('PUT', `/pipelines/${first}/cancel`)).status).toBe(409);

    const restarted = await call('PUT', `/pipelines/${first}/stages/${stage.id}/restart`);
    expect(restarted.status).toBe(202);
    const second = idOf(restarted.json.ref);
    expect(second).not.toBe(first);
    const resumed = await waitingJudgment(second);
    expect((await runtime.store.getExecution(second))!.stages.find((s) => s.refId === '1')!.status).toBe('SUCCEEDED');
    await call('PATCH', `/pipelines/${second}/stages/${resumed.id}`, { judgmentStatus: 'stop' });
    await until('the stop', () => getExecution(second), (e) => e.status !== 'RUNNING');

    const listed = await call('GET', '/applications/shop/pipelines?limit=2');
    expect(listed.json).toHaveLength(2);
    expect(listed.json[0].buildTime).toBeGreaterThanOrEqual(listed.json[1].buildTime);
    expect(listed.json[0].id).toBe(second);
    expect((await call('GET', '/applications/shop/pipelines?statuses=CANCELED')).json.every((e: { status: string }) => e.status === 'CANCELED')).toBe(true);
    expect((await call('GET', '/applications/shop/pipelines?limit=abc')).json.error).toBe("query parameter 'limit' is 'abc'; use a whole number from 1 to 1000");
    expect((await call('GET', '/applications/shop/pipelines?statuses=DONE')).status).toBe(400);
  });

  it('answers 404 for unknown executions, pipelines and stages', async () => {
    expect((await call('GET', '/pipelines/nope')).status).toBe(404);
    expect((await call('PUT', '/pipelines/nope/cancel')).status).toBe(404);
    expect((await call('POST', '/pipelines/shop/Nope', {})).status).toBe(404);
    expect((await call('GET', '/no/such/route')).status).toBe(404);
  });

  it('starts webhook-triggered pipelines once per delivery', async () => {
    // given
    await call('POST', '/pipelines', judged('Hooked', [{ type: 'webhook', source: 'ci-build', payloadConstraints: { branch: 'main' } }]));
    const payload = { branch: 'refs/heads/main', parameters: { env: 'hooked' } };

    // when
    const first = await call('POST', '/webhooks/webhook/ci-build', payload, { ...AUTH, 'idempotency-key': 'delivery-1' });
    const again = await call('POST', '/webhooks/webhook/ci-build', payload, { ...AUTH, 'idempotency-key': 'delivery-1' });
    const unmatched = await call('POST', '/webhooks/webhook/ci-build', { branch: 'dev' }, AUTH);

    // then
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ eventProcessed: true, eventId: 'delivery-1' });
    expect(first.json.executions).toHaveLength(1);
    expect(again.json.executions[0]).toMatchObject({ executionId: first.json.executions[0].executionId, duplicate: true });
    expect(unmatched.json.executions).toEqual([]);
    const executions = (await call('GET', '/applications/shop/pipelines?limit=100')).json.filter((e: { name: string }) => e.name === 'Hooked');
    expect(executions).toHaveLength(1);
    expect(executions[0].trigger).toMatchObject({ type: 'webhook', source: 'ci-build', parameters: { env: 'hooked' }, payload });
    expect((await call('POST', '/webhooks/webhook/ci-build', payload, {})).status).toBe(401);
  });

  it('verifies git webhooks with the raw body', async () => {
    // given
    await call('POST', '/pipelines', judged('On push', [{ type: 'git', source: 'github', project: 'acme', slug: 'shop', branch: 'main', secret: 'hook-secret' }]));
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'abc123', repository: { name: 'shop', owner: { login: 'acme' } } });
    const headers = { 'x-github-event': 'push', 'x-github-delivery': 'gh-1' };

    // when
    const valid = await call('POST', '/webhooks/git/github', body, { ...headers, 'x-hub-signature-256': signBody('hook-secret', body) });
    const invalid = await call('POST', '/webhooks/git/github', body, { ...headers, 'x-hub-signature-256': signBody('wrong', body) });
    const unsigned = await call('POST', '/webhooks/git/github', body, headers);

    // then
    expect(valid.status).toBe(200);
    expect(valid.json.executions).toHaveLength(1);
    const execution = await getExecution(valid.json.executions[0].executionId);
    expect(execution.trigger).toMatchObject({ type: 'git', hash: 'abc123', branch: 'main', project: 'acme', slug: 'shop' });
    expect(JSON.stringify(execution)).not.toContain('hook-secret');
    expect(invalid.status).toBe(401);
    expect(invalid.json.error).toMatch(/signature does not verify/);
    expect(unsigned.status).toBe(401);
  });

  it('stores a trigger secret sealed, shows it as ******, and keeps it when the pipeline is saved back with ******', async () => {
    // given a pipeline saved with a git trigger secret
    const trigger = { type: 'git', source: 'github', project: 'acme', slug: 'vault', branch: 'main', secret: 'vault-hook-secret' };
    expect((await call('POST', '/pipelines', judged('Vault push', [trigger]))).status).toBe(200);

    // then the store holds it sealed, and readers see ******
    const stored = await runtime.store.getPipelineConfigByName('shop', 'Vault push');
    expect(JSON.stringify(stored)).not.toContain('vault-hook-secret');
    expect((stored!.config['triggers'] as any[])[0].secret).toMatch(/^\[\[gennaker-sealed:g1\.[0-9a-f]{8}\./);
    const shown = (await call('GET', '/applications/shop/pipelineConfigs/Vault push')).json;
    expect(shown.triggers[0].secret).toBe('******');
    expect(JSON.stringify((await call('GET', '/applications/shop/pipelineConfigs')).json)).not.toContain('gennaker-sealed');

    // when what was read is saved back (the secret as ******), deliveries signed with the secret still start it
    expect((await call('POST', '/pipelines', { ...shown, description: 'edited' })).status).toBe(200);
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'def456', repository: { name: 'vault', owner: { login: 'acme' } } });
    const signed = await call('POST', '/webhooks/git/github', body, { 'x-github-event': 'push', 'x-github-delivery': 'gh-vault-1', 'x-hub-signature-256': signBody('vault-hook-secret', body) });
    expect(signed.status).toBe(200);
    expect(signed.json.executions).toHaveLength(1);
    // a signature made with what a reader sees verifies nothing
    const forged = await call('POST', '/webhooks/git/github', body, { 'x-github-event': 'push', 'x-github-delivery': 'gh-vault-2', 'x-hub-signature-256': signBody('******', body) });
    expect(forged.status).toBe(401);

    // and ****** where nothing was saved before is refused, naming the field
    const refused = await call('POST', '/pipelines', judged('Fresh push', [{ ...trigger, slug: 'fresh', secret: '******' }]));
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('/triggers/0/secret');
    expect(JSON.stringify(refused.json)).toContain("'******' keeps the secret saved before, but this pipeline had none for a git trigger from 'github'; give the secret itself");
  });

  it('documents every route in /openapi.json', async () => {
    const document = (await call('GET', '/openapi.json', undefined, {})).json;
    const documented = new Set(Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${toHonoPath(path)}`)));
    const registered = app.routes.map((route) => `${route.method} ${route.path}`);
    expect(registered.length).toBeGreaterThanOrEqual(ROUTES.length);
    expect(registered.filter((route) => !documented.has(route))).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
  });
});
