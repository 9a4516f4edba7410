/**
 * Managed Pipeline Templates v2 through the API on a real local runtime (dynalite in memory, the
 * execution service, the local engine, the stage runner): save a template, save a templated
 * pipeline, start it, and see the rendered stages run while the saved pipeline stays templated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerAuthenticator } from '../../adapters/crypto/bearer-authenticator.ts';
import { createApiApp } from '../../functions/api/app.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';
import type { AuditEntry, AuditLog } from '../../core/ports/audit-log.ts';

const TOKEN = 'test-token-templates-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let runtime: LocalRuntime;
const audited: AuditEntry[] = [];
const audit: AuditLog = {
  append: async (entry) => void audited.push(entry),
  list: async () => [...audited].reverse(),
};
let app: ReturnType<typeof createApiApp>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; json: any }> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await app.request(path, init);
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

const TEMPLATE = {
  schema: 'v2',
  id: 'wait-and-greet',
  protect: false,
  metadata: { name: 'Wait and greet', description: 'Waits, then greets', owner: 'team@example.com', scopes: ['global'] },
  variables: [
    { name: 'waitTime', type: 'int', defaultValue: 0 },
    { name: 'greeting', type: 'string' },
  ],
  pipeline: {
    parameterConfig: [{ name: 'who', default: 'world' }],
    triggers: [],
    notifications: [],
    stages: [
      { refId: 'warm', requisiteStageRefIds: [], type: 'wait', name: 'Warm up', waitTime: '${templateVariables.waitTime}' },
      { refId: 'greet', requisiteStageRefIds: ['warm'], type: 'evaluateVariables', name: 'Greet', variables: [{ key: 'message', value: "${templateVariables.greeting + ', ' + parameters.who}" }] },
    ],
  },
};

const TEMPLATED = {
  schema: 'v2',
  type: 'templatedPipeline',
  application: 'tpl',
  name: 'greeter',
  template: { artifactAccount: 'front50ArtifactCredentials', type: 'front50/pipelineTemplate', reference: 'spinnaker://wait-and-greet' },
  variables: { greeting: 'Hello' },
  exclude: [],
  stages: [{ refId: 'check', type: 'wait', name: 'Check', waitTime: 0, inject: { after: ['warm'] } }],
};

beforeAll(async () => {
  runtime = await createLocalRuntime({ retryDelayMs: 1 });
  app = createApiApp({
    service: runtime.service,
    store: runtime.store,
    clock: { now: () => Date.now() },
    auth: createBearerAuthenticator({ token: TOKEN }),
    pipelineTemplates: runtime.pipelineTemplates,
    audit,
  });
});

afterAll(async () => {
  await runtime.idle();
  await runtime.close();
});

describe('pipeline templates through the API', () => {
  it('needs an authenticated caller', async () => {
    expect((await call('GET', '/v2/pipelineTemplates', undefined, {})).status).toBe(401);
    expect((await call('POST', '/v2/pipelineTemplates', TEMPLATE, {})).status).toBe(401);
  });

  it('saves a template under its id, latest and its digest, and reads each back', async () => {
    // when
    const saved = await call('POST', '/v2/pipelineTemplates', TEMPLATE);

    // then
    expect(saved.status).toBe(200);
    expect(saved.json.digest).toMatch(/^[0-9a-f]{64}$/);
    const byId = await call('GET', '/v2/pipelineTemplates/wait-and-greet');
    expect(byId.status).toBe(200);
    expect(byId.json).toMatchObject({ id: 'wait-and-greet', schema: 'v2', variables: TEMPLATE.variables });
    expect(byId.json).not.toHaveProperty('digest');
    expect((await call('GET', '/v2/pipelineTemplates/wait-and-greet?tag=latest')).json.metadata).toEqual(TEMPLATE.metadata);
    expect((await call('GET', `/v2/pipelineTemplates/wait-and-greet?digest=${saved.json.digest}`)).status).toBe(200);
    const keys = (await call('GET', '/v2/pipelineTemplates')).json.map((template: { id: string; tag?: string; digest?: string }) => template.tag ?? (template.digest ? 'digest' : 'id'));
    expect(keys.sort()).toEqual(['digest', 'id', 'latest']);
    expect(Object.keys((await call('GET', '/v2/pipelineTemplates/versions')).json)).toEqual(['wait-and-greet']);
    expect((await call('GET', '/v2/pipelineTemplates?scopes=other')).json).toEqual([]);
    expect(audited.map(({ action, target, result, user }) => ({ action, target, result, user }))).toEqual([{ action: 'savePipelineTemplate', target: 'wait-and-greet', result: 'ok', user: 'admin' }]);
  });

  it('refuses a duplicate, a bad tag, an invalid template and tag with digest, each in one line', async () => {
    const duplicate = await call('POST', '/v2/pipelineTemplates', TEMPLATE);
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.error).toContain('a pipeline template with the id wait-and-greet already exists');
    const tag = await call('POST', '/v2/pipelineTemplates/create?tag=nightly', { ...TEMPLATE, id: 'other' });
    expect(tag.status).toBe(400);
    expect(tag.json.error).toContain('must be one of latest, stable');
    const invalid = await call('POST', '/v2/pipelineTemplates', { ...TEMPLATE, id: 'broken', schema: '1' });
    expect(invalid.status).toBe(400);
    expect(invalid.json.issues).toContainEqual(expect.objectContaining({ pointer: '/schema', severity: 'error' }));
    expect((await call('GET', '/v2/pipelineTemplates/wait-and-greet?tag=latest&digest=abc')).status).toBe(400);
    expect((await call('GET', '/v2/pipelineTemplates/nope')).status).toBe(404);
  });

  it('plans a templated pipeline: the rendered stages, variables resolved, injection applied', async () => {
    const planned = await call('POST', '/v2/pipelineTemplates/plan', TEMPLATED);
    expect(planned.status).toBe(200);
    expect(planned.json.stages.map((stage: { refId: string; requisiteStageRefIds: string[] }) => [stage.refId, stage.requisiteStageRefIds])).toEqual([
      ['warm', []],
      ['check', ['warm']],
      ['greet', ['check']],
    ]);
    expect(planned.json.stages[0].waitTime).toBe(0);
    expect(planned.json.templateVariables).toEqual({ waitTime: 0, greeting: 'Hello' });
    expect(planned.json.parameterConfig).toEqual([{ name: 'who', default: 'world', inherited: true }]);
    const missing = await call('POST', '/v2/pipelineTemplates/plan', { ...TEMPLATED, variables: {} });
    expect(missing.status).toBe(400);
    expect(missing.json.issues[0]).toMatchObject({ pointer: '/variables', code: 'required' });
    expect(missing.json.issues[0].message).toContain('missing variable values for: greeting');
  });

  it('saves a templated pipeline as written, runs its rendering, and renders again when the template changed', async () => {
    // given
    const saved = await call('POST', '/pipelines', TEMPLATED);
    expect(saved.status).toBe(200);
    const kept = (await call('GET', '/applications/tpl/pipelineConfigs/greeter')).json;
    expect(kept).toMatchObject({ type: 'templatedPipeline', schema: 'v2', template: TEMPLATED.template, stages: TEMPLATED.stages, version: 1 });

    // when
    const started = await call('POST', '/pipelines/tpl/greeter', { parameters: { who: 'templates' } });
    expect(started.status).toBe(202);
    await runtime.idle();

    // then
    const execution = (await call('GET', started.json.ref)).json;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stages.map((stage: { refId: string; name: string; status: string }) => [stage.refId, stage.name, stage.status])).toEqual([
      ['warm', 'Warm up', 'SUCCEEDED'],
      ['check', 'Check', 'SUCCEEDED'],
      ['greet', 'Greet', 'SUCCEEDED'],
    ]);
    expect(execution.stages.find((stage: { refId: string }) => stage.refId === 'greet').outputs.message).toBe('Hello, templates');

    // when the template changes, the next start runs the new rendering
    const updated = await call('PUT', '/v2/pipelineTemplates/wait-and-greet', {
      ...TEMPLATE,
      pipeline: { ...TEMPLATE.pipeline, stages: [TEMPLATE.pipeline.stages[0], { ...TEMPLATE.pipeline.stages[1], name: 'Greet again' }] },
    });
    expect(updated.status).toBe(200);
    // Gate's path of the same update, as spin calls it, answers alike.
    expect((await call('POST', '/v2/pipelineTemplates/update/wait-and-greet', { ...TEMPLATE, pipeline: { ...TEMPLATE.pipeline, stages: [TEMPLATE.pipeline.stages[0], { ...TEMPLATE.pipeline.stages[1], name: 'Greet again' }] } })).json.digest).toBe(updated.json.digest);
    const again = await call('POST', '/pipelines/tpl/greeter', {});
    expect(again.status).toBe(202);
    await runtime.idle();
    const second = (await call('GET', again.json.ref)).json;
    expect(second.status).toBe('SUCCEEDED');
    expect(second.stages.map((stage: { name: string }) => stage.name)).toEqual(['Warm up', 'Check', 'Greet again']);
    const history = (await call('GET', '/applications/tpl/pipelineConfigs/greeter/history')).json;
    expect(history.map((version: { version: number; type: string; stages: unknown }) => [version.version, version.type, version.stages])).toEqual([
      [2, 'templatedPipeline', TEMPLATED.stages],
      [1, 'templatedPipeline', TEMPLATED.stages],
    ]);
    expect(second.pipelineConfigId).toBe(execution.pipelineConfigId);
  });

  it('fires a trigger the templated pipeline inherits from its template', async () => {
    // given
    const hooked = { ...TEMPLATE, id: 'hooked', pipeline: { ...TEMPLATE.pipeline, triggers: [{ type: 'webhook', source: 'greet-hook', enabled: true }] } };
    expect((await call('POST', '/v2/pipelineTemplates', hooked)).status).toBe(200);
    expect((await call('POST', '/pipelines', { ...TEMPLATED, name: 'hooked', template: { ...TEMPLATED.template, reference: 'spinnaker://hooked' } })).status).toBe(200);

    // when
    const delivered = await call('POST', '/webhooks/webhook/greet-hook', { parameters: { who: 'hook' } });
    await runtime.idle();

    // then
    expect(delivered.status).toBe(200);
    expect(delivered.json.executions).toEqual([expect.objectContaining({ application: 'tpl', pipelineName: 'hooked', status: expect.any(String) })]);
    const execution = (await call('GET', delivered.json.executions[0].ref)).json;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stages.find((stage: { refId: string }) => stage.refId === 'greet').outputs.message).toBe('Hello, hook');
  });

  it("keeps a templated pipeline's own trigger secret sealed, in what is saved and in what runs, and renders it alike at start", async () => {
    // given
    const secret = 'templated-hook-secret-4711';
    const saved = await call('POST', '/pipelines', { ...TEMPLATED, name: 'sealed', triggers: [{ type: 'webhook', source: 'sealed-hook', enabled: true, secret }] });
    expect(saved.status).toBe(200);

    // when
    const version = await runtime.store.getPipelineConfig(saved.json.id);
    const started = await call('POST', '/pipelines/tpl/sealed', {});
    await runtime.idle();

    // then
    expect(JSON.stringify(version!.config)).not.toContain(secret);
    expect(JSON.stringify(version!.rendered)).not.toContain(secret);
    expect((version!.rendered!.triggers as Array<{ secret?: string }>).find((trigger) => trigger.secret !== undefined)!.secret).toBe((version!.config.triggers as Array<{ secret: string }>)[0]!.secret);
    expect(started.status).toBe(202);
    expect((await runtime.store.getPipelineConfig(saved.json.id))!.version).toBe(1);
  });

  it('refuses a templated pipeline that cannot render, naming the field', async () => {
    const missing = await call('POST', '/pipelines', { ...TEMPLATED, name: 'no-greeting', variables: { waitTime: 'soon', greeting: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.json.issues[0]).toMatchObject({ pointer: '/variables/waitTime', code: 'wrong-type' });
    const unknown = await call('POST', '/pipelines', { ...TEMPLATED, name: 'unknown', template: { ...TEMPLATED.template, reference: 'spinnaker://nope:stable' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.issues[0].message).toContain("no pipeline template is saved as 'nope:stable'");
    expect((await call('GET', '/applications/tpl/pipelineConfigs/unknown')).status).toBe(404);
    // What the rendering names is checked as for any pipeline, at its place in the rendering.
    const account = await call('POST', '/pipelines', { ...TEMPLATED, name: 'elsewhere', stages: [{ refId: 'check', type: 'disableServerGroup', name: 'Disable', cloudProvider: 'aws', credentials: 'nowhere', regions: ['us-east-1'], cluster: 'tpl-web', target: 'oldest_asg_dynamic', inject: { after: ['warm'] } }] });
    expect(account.status).toBe(400);
    expect(account.json.issues).toContainEqual(expect.objectContaining({ pointer: '/rendered/stages/1/credentials', severity: 'error' }));
  });

  it('lists the dependents of a template and refuses to delete it while they exist', async () => {
    const dependents = (await call('GET', '/v2/pipelineTemplates/wait-and-greet/dependents')).json;
    expect(dependents.map((config: { name: string }) => config.name).sort()).toEqual(['greeter', 'sealed']);
    expect((await call('GET', '/v2/pipelineTemplates/hooked/dependents')).json.map((config: { name: string }) => config.name)).toEqual(['hooked']);
    const refused = await call('DELETE', '/v2/pipelineTemplates/wait-and-greet');
    expect(refused.status).toBe(409);
    expect(refused.json.error).toContain('tpl/greeter');
    // A version nobody names goes.
    expect((await call('DELETE', '/v2/pipelineTemplates/wait-and-greet?tag=stable')).status).toBe(404);
    await call('POST', '/v2/pipelineTemplates?tag=stable', TEMPLATE);
    expect((await call('DELETE', '/v2/pipelineTemplates/wait-and-greet?tag=stable')).status).toBe(200);
    expect((await call('GET', '/v2/pipelineTemplates/wait-and-greet?tag=stable')).status).toBe(404);
  });
});
