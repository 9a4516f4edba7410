/**
 * `gennaker dashboard --endpoint`: the page served on 127.0.0.1, and every API call it makes
 * signed with SigV4 with the user's AWS credentials. A real HTTP server stands in for API
 * Gateway and checks each signature as AWS documents it (test/support/sigv4-check.ts); the proxy
 * signs only for a caller holding its start-up token, so no other local process or web page can
 * act as the user through it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardProxy, type DashboardProxy } from '../../cli/commands/dashboard.ts';
import { createSigV4Signer } from '../../cli/sigv4.ts';
import { withDashboard } from '../../local/dashboard.ts';
import { sigV4Problems, type SignedRequest } from '../support/sigv4-check.ts';

const REGION = 'eu-west-1';
const KEYS = { accessKeyId: 'AKIDDASHBOARDTEST', secretAccessKey: 'dashboardSecretKey/ForGennakerTests12345', sessionToken: 'FwoGZXIvYXdzEDashboardSession//+==' };

let gateway: Server;
let proxy: DashboardProxy;
const received: SignedRequest[] = [];

beforeAll(async () => {
  gateway = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const problems = sigV4Problems(request, KEYS, REGION);
      res.setHeader('content-type', 'application/json');
      if (problems.length > 0) return void res.writeHead(403).end(JSON.stringify({ message: problems.join('; ') }));
      res.writeHead(200).end(JSON.stringify({ path: req.url, method: req.method, body: request.body }));
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/prod`;
  proxy = await startDashboardProxy({
    endpoint,
    port: 0,
    signer: createSigV4Signer({ region: REGION, credentials: async () => KEYS }),
    withDashboard: (fetch) => withDashboard(fetch),
  });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => gateway?.close(resolve));
});

const call = (path: string, init: RequestInit = {}, token: string | null = proxy.token) =>
  fetch(`${proxy.url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });

describe('gennaker dashboard --endpoint', () => {
  it('serves the page without a token, from this checkout', async () => {
    const page = await fetch(`${proxy.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/web/app.js');
  });

  it('signs each API call with SigV4, the query and body included, and passes the answer back', async () => {
    received.length = 0;
    const listed = await call('/applications/shop/pipelines?limit=5&statuses=RUNNING,TERMINAL');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ path: '/prod/applications/shop/pipelines?limit=5&statuses=RUNNING,TERMINAL', method: 'GET', body: '' });
    const saved = await call('/pipelines', { method: 'POST', body: JSON.stringify({ application: 'shop', name: 'deploy' }) });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({ method: 'POST', body: JSON.stringify({ application: 'shop', name: 'deploy' }) });
    // what reached the gateway: signed for the user's keys, with no trace of the page's token
    expect(received).toHaveLength(2);
    for (const request of received) {
      expect(sigV4Problems(request, KEYS, REGION)).toEqual([]);
      expect(JSON.stringify(request.headers)).not.toContain(proxy.token);
    }
  });

  it('signs nothing for a caller without its token: no other process or page can act as the user', async () => {
    received.length = 0;
    for (const token of [null, 'guess', proxy.token.slice(0, -1)]) {
      const refused = await call('/applications', {}, token);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: string }).error).toContain('log in to the dashboard with the token gennaker dashboard printed');
    }
    expect(received).toEqual([]);
  });

  it('refuses a body over 1 MiB without sending it', async () => {
    received.length = 0;
    const big = await call('/pipelines', { method: 'POST', body: JSON.stringify({ filler: 'x'.repeat(1024 * 1024 + 10) }) });
    expect(big.status).toBe(413);
    expect(received).toEqual([]);
  });
});
