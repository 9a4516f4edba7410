/**
 * The outbound HttpClient and its allowlist, against a real node:http server on 127.0.0.1: the
 * URL as written and every address its host resolves to are checked, the connection goes to the
 * address that was checked, redirects are answers, and a response body is read up to a cap.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchHttpClient } from '../../../adapters/http/fetch-http-client.ts';
import { checkUrl, classifyAddress, parseAllowlistPattern } from '../../../adapters/http/url-allowlist.ts';

/** What the server wrote of /huge before the client hung up. */
let hugeBytesWritten = -1;
const HUGE_BYTES = 300 * 1024 * 1024;

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/slow') {
      setTimeout(() => response.end('late'), 500);
      return;
    }
    if (request.url === '/huge') {
      // 300 MB in 64 KiB chunks, written only as fast as the client reads.
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let written = 0;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(HUGE_BYTES) });
      const pump = () => {
        while (written < HUGE_BYTES) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => (hugeBytesWritten = written));
      pump();
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
      response.end(JSON.stringify({ method: request.method, path: request.url, body, auth: request.headers.authorization ?? null, host: request.headers.host ?? null }));
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
    if (result.ok) expect(JSON.parse(result.response.body)).toEqual({ method: 'POST', path: '/hook', body: '{"a":1}', auth: 'Bearer t', host: `127.0.0.1:${port}` });
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

describe('link-local, metadata and loopback in every form', () => {
  it.each([
    ['169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['[::ffff:a9fe:a9fe]', 'link-local'],
    ['::a9fe:a9fe', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::', 'loopback'],
    ['93.184.216.34', 'other'],
    ['2606:2800:220:1:248:1893:25c8:1946', 'other'],
  ])('classifies %s as %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each([
    'http://[::ffff:a9fe:a9fe]/latest/meta-data',
    'http://[::ffff:169.254.169.254]/latest/meta-data',
    'http://2852039166/latest/meta-data',
    'http://0xa9.0xfe.0xa9.0xfe/latest/meta-data',
    'http://0251.0376.0251.0376/latest/meta-data',
    'http://[fd00:ec2::254]/latest/meta-data',
    'http://[fe80::a9fe:a9fe]/',
    'http://metadata.google.internal/computeMetadata/v1/',
  ])('refuses %s before sending anything, whatever the allowlist says', async (url) => {
    const host = new URL(url).host;
    const client = createFetchHttpClient({ allowlist: [`http://${host}`, 'http://*.internal', 'http://*.google.internal'] });
    const result = await client.send({ method: 'GET', url, headers: {} });
    expect(result).toMatchObject({ ok: false, failure: { kind: 'refused-by-allowlist', message: expect.stringContaining('link-local address') } });
  });

  it('refuses a host name that resolves to the metadata address or to loopback, at connect time', async () => {
    for (const [address, reason] of [
      ['169.254.169.254', 'a link-local address'],
      ['::ffff:a9fe:a9fe', 'a link-local address'],
      ['127.0.0.1', "this machine's loopback"],
      ['::1', "this machine's loopback"],
    ] as const) {
      const client = createFetchHttpClient({
        allowlist: ['http://*.example.com:*'],
        resolve: async () => [{ address, family: address.includes(':') ? 6 : 4 }],
      });
      const result = await client.send({ method: 'GET', url: `http://hooks.example.com:${port}/hook`, headers: {} });
      expect(result).toEqual({ ok: false, failure: { kind: 'refused-by-allowlist', message: `calls to hooks.example.com:${port} are refused: it resolves to ${address}, ${reason}${reason.startsWith('this') ? "; only a pattern that names a loopback host (e.g. 'http://127.0.0.1:8080') allows calls there" : ' (cloud metadata endpoints live there)'}` } });
    }
  });

  it('refuses the whole answer when any resolved address is refused', async () => {
    const client = createFetchHttpClient({ allowlist: ['http://*.example.com:*'], resolve: async () => [{ address: '93.184.216.34', family: 4 }, { address: '169.254.169.254', family: 4 }] });
    expect(await client.send({ method: 'GET', url: `http://hooks.example.com:${port}/`, headers: {} })).toMatchObject({ ok: false, failure: { kind: 'refused-by-allowlist' } });
  });

  it('connects to the address it checked, resolving once: a rebinding resolver cannot redirect the connection', async () => {
    // given: a resolver that answers loopback once, then the metadata address
    const answers = ['127.0.0.1', '169.254.169.254'];
    let lookups = 0;
    const client = createFetchHttpClient({
      allowlist: ['http://*.localhost:*'],
      resolve: async () => [{ address: answers[Math.min(lookups++, 1)]!, family: 4 }],
    });

    // when
    const result = await client.send({ method: 'POST', url: `http://hooks.localhost:${port}/pinned`, headers: {}, body: 'x' });

    // then: the checked address answered, under the name the URL gave
    expect(lookups).toBe(1);
    expect(result).toMatchObject({ ok: true, response: { status: 201 } });
    if (result.ok) expect(JSON.parse(result.response.body)).toMatchObject({ path: '/pinned', host: `hooks.localhost:${port}` });
  });

  it('reaches loopback only through a pattern that names a loopback host', async () => {
    const named = createFetchHttpClient({ allowlist: [`http://localhost:${port}`] });
    expect(await named.send({ method: 'GET', url: `http://localhost:${port}/hook`, headers: {} })).toMatchObject({ ok: true, response: { status: 201 } });
  });
});

describe('a response body past the cap', () => {
  it('stops reading a 300 MB answer at the cap and fails with a message naming it', async () => {
    // when
    const client = createFetchHttpClient({ allowlist: [`http://127.0.0.1:${port}`] });
    const result = await client.send({ method: 'GET', url: `http://127.0.0.1:${port}/huge`, headers: {} });

    // then: refused with the cap named, and the server was cut off long before 300 MB
    expect(result).toEqual({
      ok: false,
      failure: { kind: 'too-large', message: `GET 127.0.0.1:${port} answered a body larger than 1 MiB, the cap on a response; reading stopped there (make the endpoint answer less)` },
    });
    await new Promise<void>((resolve) => {
      const wait = () => (hugeBytesWritten >= 0 ? resolve() : setTimeout(wait, 10));
      wait();
    });
    expect(hugeBytesWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it('takes a smaller cap when configured', async () => {
    const client = createFetchHttpClient({ allowlist: [`http://127.0.0.1:${port}`], maxBodyBytes: 10 });
    const result = await client.send({ method: 'POST', url: `http://127.0.0.1:${port}/hook`, headers: {}, body: 'more than ten bytes' });
    expect(result).toMatchObject({ ok: false, failure: { kind: 'too-large', message: expect.stringContaining('larger than 10 bytes') } });
  });
});
