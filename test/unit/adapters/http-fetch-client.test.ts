/**
 * The fetch HttpClient and its allowlist, against a real node:http server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchHttpClient } from '../../../adapters/http/fetch-http-client.ts';
import { checkUrl, parseAllowlistPattern } from '../../../adapters/http/url-allowlist.ts';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/slow') {
      setTimeout(() => response.end('late'), 500);
      return;
    }
    if (request.url === '/redirect') {
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' });
      response.end();
      return;
    }
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.writeHead(201, { 'content-type': 'application/json', 'X-Echo': 'yes' });
      response.end(JSON.stringify({ method: request.method, path: request.url, body, auth: request.headers.authorization ?? null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const patterns = (...texts: string[]) => texts.map((text) => {
  const parsed = parseAllowlistPattern(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.pattern;
});

describe('the URL allowlist', () => {
  it.each([
    ['https://*.example.com', 'https://ci.example.com/hook', true],
    ['https://*.example.com', 'https://example.com/hook', false],
    ['https://*.example.com', 'http://ci.example.com/hook', false],
    ['https://ci.example.com', 'https://ci.example.com:8443/hook', false],
    ['https://ci.example.com:*', 'https://ci.example.com:8443/hook', true],
    ['http://127.0.0.1:8080/hooks', 'http://127.0.0.1:8080/hooks/deploy', true],
    ['http://127.0.0.1:8080/hooks', 'http://127.0.0.1:8080/hooksy', false],
    ['http://*.254', 'http://169.254.169.254/latest', false],
    ['http://169.254.169.254', 'http://169.254.169.254/latest', false],
  ])('pattern %s, URL %s: allowed %s', (pattern, url, allowed) => {
    expect(checkUrl(url, patterns(pattern)).allowed).toBe(allowed);
  });

  it('names the host and how to allow it when refusing', () => {
    const decision = checkUrl('https://ci.example.com/hook', []);
    expect(decision).toEqual({ allowed: false, message: expect.stringContaining("calls to ci.example.com are not on the webhook allowlist; add a pattern such as 'https://ci.example.com'") });
  });

  it('rejects an entry that is not a pattern', () => {
    expect(parseAllowlistPattern('ci.example.com')).toMatchObject({ ok: false });
  });
});

describe('createFetchHttpClient', () => {
  it('sends the request and returns status, lower-cased headers and body', async () => {
    const client = createFetchHttpClient({ allowlist: [`http://127.0.0.1:${port}`] });
    const result = await client.send({ method: 'POST', url: `http://127.0.0.1:${port}/hook`, headers: { Authorization: 'Bearer t' }, body: '{"a":1}' });
    expect(result).toMatchObject({ ok: true, response: { status: 201, headers: { 'x-echo': 'yes' } } });
    if (result.ok) expect(JSON.parse(result.response.body)).toEqual({ method: 'POST', path: '/hook', body: '{"a":1}', auth: 'Bearer t' });
  });

  it('refuses a URL that is not on the allowlist without sending it', async () => {
    const client = createFetchHttpClient({ allowlist: ['https://*.example.com'] });
    const result = await client.send({ method: 'GET', url: `http://127.0.0.1:${port}/hook`, headers: {} });
    expect(result).toMatchObject({ ok: false, failure: { kind: 'refused-by-allowlist', message: expect.stringContaining(`127.0.0.1:${port}`) } });
  });

  it('does not follow a redirect (so it cannot lead past the allowlist)', async () => {
    const client = createFetchHttpClient({ allowlist: [`http://127.0.0.1:${port}`] });
    const result = await client.send({ method: 'GET', url: `http://127.0.0.1:${port}/redirect`, headers: {} });
    expect(result).toMatchObject({ ok: true, response: { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } } });
  });

  it('reports a timeout and a refused connection as values', async () => {
    const client = createFetchHttpClient({ allowlist: ['http://127.0.0.1:*'] });
    expect(await client.send({ method: 'GET', url: `http://127.0.0.1:${port}/slow`, headers: {}, timeoutMs: 50 })).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
    expect(await client.send({ method: 'GET', url: 'http://127.0.0.1:1/', headers: {} })).toMatchObject({ ok: false, failure: { kind: 'network' } });
  });
});
