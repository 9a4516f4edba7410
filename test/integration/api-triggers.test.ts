/**
 * What `gennaker up` does beside the API (local/server.ts): `pipeline` triggers on the event
 * bus and the cron ticker, over real HTTP on a free port.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../local/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-triggers-'));
let server: LocalServer;
let headers: Record<string, string>;

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return response.json();
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const quick = (name: string, triggers: unknown[] = []) => ({
  application: 'chain',
  name,
  triggers,
  stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }],
});

beforeAll(async () => {
  server = await startLocalServer({ dir, port: 0, cronTickMs: 200 });
  headers = { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}`, 'content-type': 'application/json' };
});

afterAll(async () => {
  await server.runtime.idle();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gennaker up triggers', () => {
  it('starts a pipeline when the one it follows succeeds, once', async () => {
    // given
    const upstream = await call('POST', '/pipelines', quick('Build'));
    await call('POST', '/pipelines', quick('Deploy', [{ type: 'pipeline', application: 'chain', pipeline: upstream.id, status: ['successful'] }]));

    // when
    const { ref } = await call('POST', '/pipelines/chain/Build', {});

    // then
    const executions = await until('the downstream execution', () => call('GET', '/applications/chain/pipelines'), (list: any[]) => list.some((e) => e.name === 'Deploy' && e.status === 'SUCCEEDED'));
    const downstream = executions.filter((e: any) => e.name === 'Deploy');
    expect(downstream).toHaveLength(1);
    expect(downstream[0].trigger).toMatchObject({ type: 'pipeline', parentExecution: { id: ref.replace('/pipelines/', ''), status: 'SUCCEEDED' } });
  });

  it('fires cron triggers while up', async () => {
    await call('POST', '/pipelines', quick('Every second', [{ type: 'cron', cronExpression: '* * * * * ?' }]));
    const fired = await until('a cron execution', () => call('GET', '/applications/chain/pipelines?limit=100'), (list: any[]) => list.some((e) => e.name === 'Every second'));
    expect(fired.find((e: any) => e.name === 'Every second').trigger).toMatchObject({ type: 'cron', user: '[cron]' });
    // Stop it firing: disable the pipeline.
    await call('POST', '/pipelines', { ...quick('Every second', [{ type: 'cron', cronExpression: '* * * * * ?' }]), id: fired.find((e: any) => e.name === 'Every second').pipelineConfigId, disabled: true });
  });
});
