/**
 * Preconfigured webhooks on `gennaker up` (`<data>/webhooks.json`): listed at
 * `GET /webhooks/preconfigured` as Gate lists them; a pipeline stage of a configured webhook's
 * type is saved as written (its type kept, so it goes back to Spinnaker unchanged) and runs as
 * the webhook stage it stands for: the configured URL, method, headers and payload, with the
 * stage's `parameterValues` (or the defaults) in place, and nothing the stage sets over them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../local/server.ts';

const work = mkdtempSync(join(tmpdir(), 'gennaker-preconfigured-'));
const dir = join(work, '.gennaker');
let server: LocalServer;
let token: string;
let receiver: Server;
const received: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dir, 'webhooks.json'),
    JSON.stringify({
      preconfigured: [
        {
          type: 'deployHook',
          label: 'Deploy hook',
          description: 'Tells the deploy service',
          url: `${hook}/deploy/\${parameterValues.env}`,
          method: 'POST',
          customHeaders: { 'X-Team': 'platform' },
          payload: { env: '${parameterValues.env}', version: "${parameterValues['version']}", app: '${execution.application}' },
          parameters: [{ name: 'env', label: 'Environment', defaultValue: 'staging' }, { name: 'version', label: 'Version' }],
        },
      ],
    }),
    { mode: 0o600 },
  );
  server = await startLocalServer({ dir, port: 0, localTarget: false, cronTickMs: 60_000, webhookAllowlist: [`${hook}/*`] });
  token = readFileSync(join(dir, 'token'), 'utf8').trim();
});

afterAll(async () => {
  await server?.runtime.idle();
  await server?.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

describe('preconfigured webhooks', () => {
  it('lists them as Gate does', async () => {
    const listed = await call('GET', '/webhooks/preconfigured');
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([
      expect.objectContaining({ type: 'deployHook', label: 'Deploy hook', description: 'Tells the deploy service', waitForCompletion: false, noUserConfigurableFields: true, preconfiguredProperties: ['url', 'method', 'customHeaders', 'payload'], parameters: [{ name: 'env', label: 'Environment', defaultValue: 'staging' }, { name: 'version', label: 'Version' }] }),
    ]);
  });

  it('keeps the stage as written and runs it as the configured webhook, its parameters in place', async () => {
    const saved = await call('POST', '/pipelines', {
      application: 'shop',
      name: 'Notify deploy',
      stages: [{ refId: '1', type: 'deployHook', name: 'Tell deploy', parameterValues: { version: '2.4.0' }, url: 'http://evil.example/steal', method: 'GET' }],
    });
    expect(saved.status).toBe(200);
    expect((await call('GET', '/applications/shop/pipelineConfigs/Notify deploy')).json.stages[0]).toMatchObject({ type: 'deployHook', parameterValues: { version: '2.4.0' } });

    const started = await call('POST', '/pipelines/shop/Notify deploy', {});
    expect(started.status).toBe(202);
    const id = String(started.json.ref).split('/').pop()!;
    await server.runtime.idle();
    const execution = (await call('GET', `/pipelines/${id}`)).json;
    expect(execution.status).toBe('SUCCEEDED');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/deploy/staging', headers: expect.objectContaining({ 'x-team': 'platform' }) });
    expect(JSON.parse(received[0]!.body)).toEqual({ env: 'staging', version: '2.4.0', app: 'shop' });
  });

  it('refuses a value for a parameter the webhook does not declare, naming it', async () => {
    const refused = await call('POST', '/pipelines', { application: 'shop', name: 'Bad hook', stages: [{ refId: '1', type: 'deployHook', parameterValues: { region: 'eu' } }] });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain("'deployHook' declares no parameter 'region'; its parameters: env, version");
  });
});
