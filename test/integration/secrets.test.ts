/**
 * Secrets redacted by value (core/execution/secrets.ts) on `gennaker up`, with real jobs: a
 * `"secret": true` parameter and `runJob` environment values never appear in what the API
 * shows — not where they stand, not in a context or output evaluated from them, not in a job's
 * output quoted by a failure message, not in a child pipeline — while the jobs get the real
 * values.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../local/server.ts';

const work = mkdtempSync(join(tmpdir(), 'gennaker-secrets-'));
const dir = join(work, '.gennaker');
let server: LocalServer;
let token: string;

const TOKEN_VALUE = 's3cr3t-t0ken-value';
const DB_PASSWORD = 'hunter2-db-pass';

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, text, json: text === '' ? undefined : JSON.parse(text) };
}

async function ended(id: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!['SUCCEEDED', 'TERMINAL', 'CANCELED'].includes((await server.runtime.store.getExecution(id))?.status ?? '')) {
    if (Date.now() > deadline) throw new Error(`execution ${id} did not end`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  server = await startLocalServer({ dir, port: 0, cronTickMs: 60_000, powers: { roots: [work] } });
  token = readFileSync(join(dir, 'token'), 'utf8').trim();
});

afterAll(async () => {
  await server.runtime.idle();
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe('secrets', () => {
  it('shows secret parameters and job environments as ****** everywhere, while the jobs get the real values', async () => {
    // given
    const pipeline = {
      application: 'vault-sec',
      name: 'Uses secrets',
      parameterConfig: [{ name: 'token', secret: true }, { name: 'env', default: 'prod' }],
      stages: [
        { refId: '1', requisiteStageRefIds: [], type: 'evaluateVariables', name: 'Header', variables: [{ key: 'header', value: 'Bearer ${parameters.token}' }] },
        {
          refId: '2',
          requisiteStageRefIds: ['1'],
          type: 'runJob',
          name: 'Use',
          cloudProvider: 'local',
          env: { API_KEY: '${parameters.token}', DB_PASSWORD, LOG_LEVEL: 'info' },
          shell: 'echo "using $API_KEY"; printf "SEEN=%s\\nLEVEL=%s\\n" "$API_KEY" "$LOG_LEVEL" > out.properties',
          propertyFile: 'out.properties',
        },
        { refId: '3', requisiteStageRefIds: ['2'], type: 'runJob', name: 'Fail', cloudProvider: 'local', env: { DB_PASSWORD }, shell: 'echo "failing with $DB_PASSWORD"; exit 3' },
      ],
    };
    const saved = await call('POST', '/pipelines', pipeline);
    expect(saved.status).toBe(200);

    // when
    const started = await call('POST', '/pipelines/vault-sec/Uses secrets', { parameters: { token: TOKEN_VALUE } });
    const id = String(started.json.ref).replace('/pipelines/', '');
    await ended(id);
    const shown = await call('GET', `/pipelines/${id}`);
    const listed = await call('GET', '/applications/vault-sec/pipelines');

    // then: nothing shown holds a secret
    for (const answer of [shown, listed]) {
      expect(answer.text).not.toContain(TOKEN_VALUE);
      expect(answer.text).not.toContain(DB_PASSWORD);
    }
    const execution = shown.json;
    expect(execution.status).toBe('TERMINAL');
    expect(execution.trigger.parameters).toEqual({ token: '******', env: 'prod' });
    expect(execution.stages[0].outputs.header).toBe('Bearer ******');
    // every env entry is hidden where it stands; a value under a name that is not secret-looking stays readable elsewhere
    expect(execution.stages[1].context.env).toEqual({ API_KEY: '******', DB_PASSWORD: '******', LOG_LEVEL: '******' });
    expect(execution.stages[1].outputs.SEEN).toBe('******');
    expect(execution.stages[1].outputs.LEVEL).toBe('info');
    expect(execution.stages[2].context.exception.details.error).toMatch(/failing with \*\*\*\*\*\*/);
    // and the job saw the real value; the parameter stays secret in the saved pipeline (it round-trips)
    expect((await server.runtime.store.getExecution(id))?.stages[1]?.outputs.SEEN).toBe(TOKEN_VALUE);
    expect((await call('GET', '/applications/vault-sec/pipelineConfigs/Uses secrets')).json.parameterConfig[0]).toEqual({ name: 'token', secret: true });
  });

  it('keeps a secret secret in a child pipeline it is passed to', async () => {
    // given
    const child = await call('POST', '/pipelines', { application: 'vault-sec', name: 'Child', parameterConfig: [{ name: 'key' }], stages: [{ refId: '1', type: 'evaluateVariables', name: 'Echo', variables: [{ key: 'seen', value: '${parameters.key}' }] }] });
    await call('POST', '/pipelines', {
      application: 'vault-sec',
      name: 'Parent',
      parameterConfig: [{ name: 'token', secret: true }],
      stages: [{ refId: '1', type: 'pipeline', name: 'Run child', application: 'vault-sec', pipeline: child.json.id, pipelineParameters: { key: '${parameters.token}' } }],
    });

    // when
    const started = await call('POST', '/pipelines/vault-sec/Parent', { parameters: { token: TOKEN_VALUE } });
    const parentId = String(started.json.ref).replace('/pipelines/', '');
    await ended(parentId);
    const childId = (await server.runtime.store.getExecution(parentId))!.stages[0]!.context.executionId as string;
    await ended(childId);
    const shown = await call('GET', `/pipelines/${childId}`);

    // then
    expect(shown.json.status).toBe('SUCCEEDED');
    expect(shown.text).not.toContain(TOKEN_VALUE);
    expect(shown.json.trigger.parameters.key).toBe('******');
    expect(shown.json.trigger.parentExecution.trigger.parameters.token).toBe('******');
    expect(shown.json.stages[0].outputs.seen).toBe('******');
  });
});
