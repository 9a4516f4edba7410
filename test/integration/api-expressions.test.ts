/**
 * Debugging expressions against a real execution, over real HTTP on `gennaker up`'s server:
 * Gate's `evaluateExpression` (GET, POST with JSON or text, and the stage form) and
 * `evaluateVariables`, with Orca's answers (`{result}`, or `{result, detail}` with the text kept),
 * checked like every read of an execution; and `gennaker expr` (in-process) through the same API,
 * against a pipeline file, and `gennaker validate --strict`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingIoHost, type IoMessage } from '../../core/io-host.ts';
import { main } from '../../cli/main.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { addUser } from '../../local/users.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-expr-'));
let server: LocalServer;
const tokens: Record<string, string> = {};
let executionId: string;

interface Answer {
  readonly status: number;
  readonly json: any;
}

async function call(method: string, path: string, body?: unknown, options: { who?: string; contentType?: string } = {}): Promise<Answer> {
  const token = tokens[options.who ?? 'admin'];
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

const query = (expression: string) => `expression=${encodeURIComponent(expression)}`;
const SPEL_PARSE = 'org.springframework.expression.spel.SpelParseException';

const PIPELINE = {
  application: 'vault',
  name: 'Release',
  parameterConfig: [{ name: 'env', default: 'staging' }],
  stages: [
    { refId: '1', requisiteStageRefIds: [], type: 'evaluateVariables', name: 'Evaluate', variables: [{ key: 'release', value: '${parameters.env}-r1' }] },
    { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Soak', waitTime: 0, note: '${ #notAHelper() }' },
  ],
};

beforeAll(async () => {
  server = await startLocalServer({ dir, port: 0, localTarget: false, cronTickMs: 60_000 });
  tokens.admin = readFileSync(join(dir, 'token'), 'utf8').trim();
  const added = await addUser(dir, { name: 'alice', roles: ['dev'], admin: false }, Date.now());
  if (!added.ok) throw new Error(added.message);
  tokens.alice = added.token;
  expect((await call('POST', '/applications', { name: 'vault', permissions: { READ: ['ops'], WRITE: ['ops'], EXECUTE: ['ops'] } })).status).toBe(201);
  // An expression Gennaker will not evaluate does not block the save: a warning.
  const saved = await call('POST', '/pipelines', PIPELINE);
  expect(saved.status).toBe(200);
  expect(saved.json.warnings).toEqual([expect.objectContaining({ pointer: '/stages/1/note', code: 'expression-syntax', severity: 'warning' })]);
  const started = await call('POST', '/pipelines/vault/Release', { parameters: { env: 'prod' } });
  expect(started.status).toBe(202);
  executionId = String(started.json.ref).replace('/pipelines/', '');
  const deadline = Date.now() + 20_000;
  while ((await server.runtime.store.getExecution(executionId))?.status !== 'SUCCEEDED') {
    if (Date.now() > deadline) throw new Error(`execution ${executionId} did not succeed: ${JSON.stringify(await server.runtime.store.getExecution(executionId))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST|GET /pipelines/{id}/evaluateExpression', () => {
  it('answers {result} with the value, as Gate does', async () => {
    expect(await call('GET', `/pipelines/${executionId}/evaluateExpression?${query('${trigger.parameters.env}')}`)).toEqual({ status: 200, json: { result: 'prod' } });
    expect(await call('POST', `/pipelines/${executionId}/evaluateExpression`, { expression: "${#stage('Evaluate').outputs.release}" })).toEqual({ status: 200, json: { result: 'prod-r1' } });
    expect(await call('POST', `/pipelines/${executionId}/evaluateExpression`, '${parameters.env.toUpperCase()}', { contentType: 'text/plain' })).toEqual({ status: 200, json: { result: 'PROD' } });
    expect(await call('POST', `/pipelines/${executionId}/evaluateExpression?${query('${execution.status}')}`)).toEqual({ status: 200, json: { result: 'SUCCEEDED' } });
    // A lone template gives the raw value, as SpEL does; text without ${ comes back as it is.
    expect((await call('GET', `/pipelines/${executionId}/evaluateExpression?${query('${execution.stages.size() * 2}')}`)).json).toEqual({ result: 4 });
    expect((await call('GET', `/pipelines/${executionId}/evaluateExpression?${query('trigger.user')}`)).json).toEqual({ result: 'trigger.user' });
  });

  it('answers {result, detail} with the text kept and the failure in Orca\'s summary shape; host code never runs', async () => {
    const hostile = '${ T(java.lang.Runtime).getRuntime().exec("id") }';
    const answer = await call('POST', `/pipelines/${executionId}/evaluateExpression`, { expression: hostile });
    expect(answer).toEqual({
      status: 200,
      json: {
        result: hostile,
        detail: {
          'T(java.lang.Runtime).getRuntime().exec("id")': [
            { description: expect.stringMatching(/^Failed to evaluate \[expression\] .*type references are not allowed/), exceptionType: SPEL_PARSE, level: 'ERROR', timestamp: expect.any(Number) },
          ],
        },
      },
    });
    // A null value keeps the text, listed at level INFO without an exception type, as Orca does.
    const absent = await call('GET', `/pipelines/${executionId}/evaluateExpression?${query("${trigger.parameters['absent']}")}`);
    expect(absent.json).toEqual({
      result: "${trigger.parameters['absent']}",
      detail: { "trigger.parameters['absent']": [{ description: expect.stringMatching(/^Failed to evaluate \[expression\] .*not found/), level: 'INFO', timestamp: expect.any(Number) }] },
    });
    // No secret is read here: #secret fails with its reason.
    const secret = await call('GET', `/pipelines/${executionId}/evaluateExpression?${query("${#secret('db-password')}")}`);
    expect(secret.json.result).toBe("${#secret('db-password')}");
    expect(secret.json.detail["#secret('db-password')"][0].description).toMatch(/#secret/);
  });

  it("evaluates as one stage sees it: its ancestors' outputs, by stage id or refId", async () => {
    expect((await call('GET', `/pipelines/${executionId}/2/evaluateExpression?${query('${release}')}`)).json).toEqual({ result: 'prod-r1' });
    const atExecution = await call('GET', `/pipelines/${executionId}/evaluateExpression?${query('${release}')}`);
    expect(atExecution.json.result).toBe('${release}');
    expect(Object.keys(atExecution.json.detail)).toEqual(['release']);
  });

  it('rejects bad input with 400, unknown executions and stages with 404', async () => {
    const missing = await call('GET', `/pipelines/${executionId}/evaluateExpression`);
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatch(/^expression is missing; send it as \?expression=/);
    const numeric = await call('POST', `/pipelines/${executionId}/evaluateExpression`, { expression: 5 });
    expect(numeric).toEqual({ status: 400, json: { error: expect.stringMatching(/^expression is 5; send the expression as a string/) } });
    expect((await call('POST', `/pipelines/${executionId}/evaluateExpression`, '{"expression": ')).status).toBe(400);
    const unknown = await call('GET', `/pipelines/no-such-execution/evaluateExpression?${query('${1}')}`);
    expect(unknown.status).toBe(404);
    const stage = await call('GET', `/pipelines/${executionId}/9/evaluateExpression?${query('${1}')}`);
    expect(stage).toEqual({ status: 404, json: { error: expect.stringMatching(/^stage '9' is not in execution '.+' \(stage ids: 1, 2\)$/) } });
  });

  it('is checked like every read of an execution: 401 without a caller, 403 without READ on the application', async () => {
    const anonymous = await fetch(`${server.url}/pipelines/${executionId}/evaluateExpression?${query('${1}')}`);
    expect(anonymous.status).toBe(401);
    const denied = await call('GET', `/pipelines/${executionId}/evaluateExpression?${query('${trigger.parameters.env}')}`, undefined, { who: 'alice' });
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.json)).not.toContain('prod');
    const deniedVariables = await call('POST', `/pipelines/${executionId}/evaluateVariables`, [{ key: 'a', value: '${parameters.env}' }], { who: 'alice' });
    expect(deniedVariables.status).toBe(403);
    expect((await call('GET', `/pipelines/${executionId}/1/evaluateExpression?${query('${1}')}`, undefined, { who: 'alice' })).status).toBe(403);
  });
});

describe('POST /pipelines/{id}/evaluateVariables', () => {
  it('evaluates variables in order after the given stages, as an evaluateVariables stage would', async () => {
    const body = [
      { key: 'a', value: '${release}' },
      { key: 'b', value: '${a}-x' },
    ];
    expect(await call('POST', `/pipelines/${executionId}/evaluateVariables?requisiteStageRefIds=1`, body)).toEqual({
      status: 200,
      json: { result: [{ key: 'a', value: 'prod-r1' }, { key: 'b', value: 'prod-r1-x' }] },
    });
    // Gate's form names the execution in the query.
    expect((await call('POST', `/pipelines/ignored/evaluateVariables?executionId=${executionId}&requisiteStageRefIds=1&spelVersion=v4`, body)).json.result[1]).toEqual({ key: 'b', value: 'prod-r1-x' });
  });

  it('keeps a failed variable as text, with the detail', async () => {
    const answer = await call('POST', `/pipelines/${executionId}/evaluateVariables`, [{ key: 'a', value: '${release}' }]);
    expect(answer.json.result).toEqual([{ key: 'a', value: '${release}' }]);
    expect(answer.json.detail.release[0].description).toMatch(/^Failed to evaluate \[variables\] \(\/variables\/0\/value\) /);
  });

  it.each([
    ['a body that is not a list', '{"key": "a"}', '', /^the body is \{"key":"a"\}; send the variables as a JSON list/],
    ['a variable without a key', '[{"value": "1"}]', '', /^\/0\/key is missing; give each variable a name/],
    ['a refId that is not in the execution', '[]', '?requisiteStageRefIds=1,7', /^requisiteStageRefIds names '7', not a stage of execution/],
    ['SpEL v3', '[]', '?spelVersion=v3', /^spelVersion is 'v3'; Gennaker evaluates expressions as SpEL v4 only/],
  ])('rejects %s with 400', async (_label, body, suffix, message) => {
    const answer = await call('POST', `/pipelines/${executionId}/evaluateVariables${suffix}`, body);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(message);
  });
});

describe('gennaker expr and validate --strict', () => {
  async function cli(...argv: string[]): Promise<{ code: number; messages: readonly IoMessage[] }> {
    const io = createRecordingIoHost();
    const code = await main(argv, { io });
    return { code, messages: io.messages };
  }
  const api = () => ['--endpoint', server.url, '--data', dir];

  it('prints the value an expression has in an execution, a bare expression meaning ${...}', async () => {
    expect(await cli('expr', executionId, 'trigger.parameters.env', ...api())).toEqual({ code: 0, messages: [{ kind: 'data', text: 'prod' }] });
    expect(await cli('expr', executionId, '2', '${release}', ...api())).toEqual({ code: 0, messages: [{ kind: 'data', text: 'prod-r1' }] });
    expect(await cli('expr', executionId, '${execution.stages.size()}', ...api())).toEqual({ code: 0, messages: [{ kind: 'data', text: '2' }] });
  });

  it('prints the one-line failure and exits 1', async () => {
    const { code, messages } = await cli('expr', executionId, '#notAHelper()', ...api());
    expect(code).toBe(1);
    expect(messages).toEqual([{ kind: 'error', message: expect.stringMatching(/^\$\{#notAHelper\(\)\}: Failed to evaluate \[expression\] .*unknown function #notAHelper\(\)/) }]);
    const json = await cli('expr', executionId, '#notAHelper()', '--json', ...api());
    expect(json.code).toBe(1);
    expect(JSON.parse((json.messages[0] as { text: string }).text)).toEqual({ result: '${#notAHelper()}', detail: { '#notAHelper()': [expect.objectContaining({ level: 'ERROR' })] } });
    const unknown = await cli('expr', 'no-such-execution', '1', ...api());
    expect(unknown.code).toBe(1);
    expect(unknown.messages).toEqual([{ kind: 'error', message: expect.stringContaining("execution 'no-such-execution' does not exist") }]);
  });

  it('evaluates against a pipeline file with a made-up manual trigger', async () => {
    const file = join(dir, 'release.json');
    writeFileSync(file, JSON.stringify(PIPELINE));
    expect(await cli('expr', '--pipeline', file, "parameters.env + '/' + trigger.type", '--param', 'env=qa')).toEqual({ code: 0, messages: [{ kind: 'data', text: 'qa/manual' }] });
    expect(await cli('expr', '--pipeline', file, 'parameters.env')).toEqual({ code: 0, messages: [{ kind: 'data', text: 'staging' }] });
    expect((await cli('expr', '--pipeline', file, 'trigger.user')).messages).toEqual([{ kind: 'data', text: userInfo().username }]);
    expect((await cli('expr', '--pipeline', file, "#stage('Soak').context.waitTime")).messages).toEqual([{ kind: 'data', text: '0' }]);
    const failed = await cli('expr', '--pipeline', file, 'T(java.lang.System).exit(1)');
    expect(failed.code).toBe(1);
    expect(failed.messages).toEqual([{ kind: 'error', message: expect.stringContaining('type references are not allowed in Gennaker expressions: T(java.lang.System)') }]);
    expect((await cli('expr', '--pipeline', file)).code).toBe(2);
  });

  it('validate warns of an expression it cannot evaluate; --strict refuses it', async () => {
    const file = join(dir, 'release.json');
    writeFileSync(file, JSON.stringify(PIPELINE));
    const lenient = await cli('validate', file, '--data', dir);
    expect(lenient.code).toBe(0);
    expect(lenient.messages).toContainEqual(expect.objectContaining({ kind: 'validation-issue', issue: expect.objectContaining({ pointer: '/stages/1/note', severity: 'warning' }) }));
    const strict = await cli('validate', '--strict', file, '--data', dir);
    expect(strict.code).toBe(1);
    expect(strict.messages).toContainEqual(expect.objectContaining({ kind: 'validation-issue', issue: expect.objectContaining({ pointer: '/stages/1/note', severity: 'error', code: 'expression-syntax' }) }));
  });
});
