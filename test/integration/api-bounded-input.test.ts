/**
 * Bounded input at the API's edge, over real HTTP against the server `gennaker up` runs: bodies
 * are refused by their declared size before a byte is read and counted while they stream;
 * nesting, key and name lengths are 400s, not 500s; a webhook's signature is checked before its
 * payload is parsed or matched, and a GitLab token counts only when it equals the secret; a
 * signed delivery is deduplicated by its body, so a replay with a fresh id starts nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../adapters/crypto/signature-verifier.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-bounded-'));
let server: LocalServer;
let token: string;

/** Limits other than the defaults show they are configurable; the defaults (1 MiB, 512 KiB) are checked in their own test. */
const WEBHOOK_BYTES = 512 * 1024;
const CONFIG_BYTES = 256 * 1024;

beforeAll(async () => {
  server = await startLocalServer({ dir, port: 0, localTarget: false, bodyLimits: { webhookBytes: WEBHOOK_BYTES, configBytes: CONFIG_BYTES } });
  token = readFileSync(join(dir, 'token'), 'utf8').trim();
});

afterAll(async () => {
  await server.runtime.idle();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${token}` });

async function call(method: string, path: string, body?: string | object, headers: Record<string, string> = auth()): Promise<{ status: number; json: any; text: string }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/**
 * A raw request that declares `declared` bytes (or streams chunked when undefined) and sends
 * `chunks` one after another, stopping as soon as an answer arrives. Resolves with the status and
 * how many bytes were sent before it came.
 */
function rawPost(path: string, headers: Record<string, string>, chunks: Iterable<Buffer>, declared?: number): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    let sent = 0;
    let answered = false;
    const req = request(
      { host: url.hostname, port: url.port, method: 'POST', path: url.pathname, headers: { 'content-type': 'application/json', ...headers, ...(declared === undefined ? {} : { 'content-length': String(declared) }) } },
      (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body, sent });
        });
      },
    );
    req.on('error', (error) => (answered ? undefined : reject(error)));
    // Headers go out now, even when no byte of the body ever follows.
    req.flushHeaders();
    const iterator = chunks[Symbol.iterator]();
    const pump = () => {
      while (!answered) {
        const next = iterator.next();
        if (next.done) {
          if (declared === undefined) req.end();
          return;
        }
        sent += next.value.length;
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

function* repeat(chunk: Buffer, times: number): Iterable<Buffer> {
  for (let i = 0; i < times; i++) yield chunk;
}

const pipeline = (name: string, extra: Record<string, unknown> = {}) => ({
  application: 'bounded',
  name,
  stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }],
  ...extra,
});

async function savedPipelineNames(): Promise<string[]> {
  return (await server.runtime.store.listPipelineConfigs('bounded')).map((version) => version.name);
}

async function executionsOf(name: string): Promise<Array<{ id: string; trigger: any }>> {
  const listed = await call('GET', '/applications/bounded/pipelines?limit=100');
  return (listed.json as Array<{ id: string; name: string; trigger: unknown }>).filter((execution) => execution.name === name);
}

describe('body limits', () => {
  it('refuses a pipeline whose Content-Length is over the limit before reading it: 413, one line, nothing saved', async () => {
    // when: 300 MB are announced and not one byte is sent
    const answer = await rawPost('/pipelines', auth(), [], 300 * 1024 * 1024);

    // then
    expect(answer.status).toBe(413);
    expect(answer.sent).toBe(0);
    const { error } = JSON.parse(answer.body) as { error: string };
    expect(error).toBe(
      'the request body is 314,572,800 bytes, over the limit of 256 KiB; send a smaller body (the server\'s operator can raise the limit with GENNAKER_MAX_CONFIG_BYTES locally, MAX_CONFIG_BYTES on AWS)',
    );
    expect(await savedPipelineNames()).toEqual([]);
  });

  it('counts a chunked webhook body while it streams and stops at the limit: 413 long before the sender is done', async () => {
    // given: a 100 MB body without Content-Length, from a signed sender
    const chunk = Buffer.alloc(16 * 1024, 'a');

    // when
    const answer = await rawPost('/webhooks/webhook/anything', { 'x-hub-signature-256': 'sha256=00' }, repeat(chunk, 6400));

    // then
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error).toMatch(/^the webhook payload is more than 512 KiB, over the limit of 512 KiB; send a smaller body/);
    expect(answer.sent).toBeLessThan(100 * 1024 * 1024);
  });

  it('stays small under 16 parallel unauthenticated 100 MB webhook bodies with a junk signature: each stopped at the limit', async () => {
    // given: the probe that once took the server to 4.42 GB of memory
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const before = process.memoryUsage().rss;

    // when
    const answers = await Promise.all(Array.from({ length: 16 }, (_, index) => rawPost(`/webhooks/webhook/probe-${index}`, { 'x-hub-signature-256': 'sha256=00' }, repeat(chunk, 1600))));
    const grown = process.memoryUsage().rss - before;

    // then: every one is refused at 512 KiB, long before its 100 MB were sent, and the process grew by far less than one body
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 16 }, () => 413));
    for (const answer of answers) expect(answer.sent).toBeLessThan(100 * 1024 * 1024);
    expect(answers.reduce((sum, answer) => sum + answer.sent, 0)).toBeLessThan(16 * 100 * 1024 * 1024);
    expect(grown).toBeLessThan(100 * 1024 * 1024);
  });

  it('accepts a body just under the limit and refuses one just over it (the limit is configurable)', async () => {
    const padding = (size: number) => {
      const base = JSON.stringify(pipeline('Padded', { description: '' }));
      return JSON.stringify(pipeline('Padded', { description: 'x'.repeat(size - base.length) }));
    };
    expect((await call('POST', '/pipelines', padding(CONFIG_BYTES))).status).toBe(200);
    const over = await call('POST', '/pipelines', padding(CONFIG_BYTES + 1));
    expect(over.status).toBe(413);
    expect(over.json.error).toContain('over the limit of 256 KiB');
  });

  it('has limits of 1 MiB for webhooks and 512 KiB for everything else by default', async () => {
    const defaultsDir = mkdtempSync(join(tmpdir(), 'gennaker-bounded-defaults-'));
    const defaults = await startLocalServer({ dir: defaultsDir, port: 0, localTarget: false });
    try {
      const defaultToken = readFileSync(join(defaultsDir, 'token'), 'utf8').trim();
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${defaultToken}` };
      const post = (path: string, bytes: number) => fetch(`${defaults.url}${path}`, { method: 'POST', headers: { ...headers, 'x-hub-signature-256': 'sha256=00' }, body: `{"a":"${'x'.repeat(bytes - 8)}"}` });
      expect((await post('/webhooks/webhook/x', 1024 * 1024 + 1)).status).toBe(413);
      expect((await post('/webhooks/webhook/x', 1024 * 1024)).status).toBe(401);
      expect((await post('/pipelines', 512 * 1024 + 1)).status).toBe(413);
    } finally {
      await defaults.close();
      rmSync(defaultsDir, { recursive: true, force: true });
    }
  });
});

describe('shape limits', () => {
  it.each([
    ['100,000-deep JSON', `{"application":"bounded","name":"Deep","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, /^the request body nests more than 128 levels deep \(at character \d+\); flatten the document$/],
    ['a 5,000-character key', JSON.stringify({ ...pipeline('Keyed'), ['k'.repeat(5000)]: 1 }), /^the request body has a key of 5000 characters \(at character \d+: "k+…"\); keys may have at most 1024 characters$/],
    ['a 5,000-character name', JSON.stringify(pipeline('n'.repeat(5000))), /\/name: is 5000 characters long \("n+…"\); a pipeline name may have at most 200 characters/],
  ])('answers %s with 400 and saves nothing', async (_what, body, message) => {
    const answer = await call('POST', '/pipelines', body);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(message);
    expect(answer.json.error).not.toContain('\n');
    expect(await savedPipelineNames()).not.toContain('Deep');
    expect(await savedPipelineNames()).not.toContain('Keyed');
  });

  it('answers deep JSON on every body route with 400, not 500', async () => {
    const deep = `{"name":"deepapp","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    for (const [method, path] of [
      ['POST', '/applications'],
      ['PUT', '/applications/deepapp'],
      ['POST', '/pipelines/bounded/Nothing'],
      ['POST', '/v2/canaryConfig'],
      ['POST', '/webhooks/webhook/deep'],
    ] as const) {
      const answer = await call(method, path, deep);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
    }
    expect((await call('GET', '/applications/deepapp')).status).toBe(404);
  });

  it('answers 5,000-character names and ids in the path with 400, not 500', async () => {
    const long = 'p'.repeat(5000);
    for (const [method, path] of [
      ['GET', `/applications/bounded/pipelineConfigs/${long}`],
      ['POST', `/pipelines/bounded/${long}`],
      ['GET', `/pipelines/${long}`],
      ['GET', `/applications/${long}`],
      ['POST', `/webhooks/webhook/${long}`],
    ] as const) {
      const answer = await call(method, path, method === 'POST' ? {} : undefined);
      expect({ path: path.slice(0, 40), status: answer.status }).toEqual({ path: path.slice(0, 40), status: 400 });
      expect(answer.json.error).toMatch(/^path parameter '\w+' is 5000 characters \(5000 bytes\) long; names and ids have at most 256 characters/);
    }
  });
});

describe('webhook signatures', () => {
  beforeAll(async () => {
    expect((await call('POST', '/pipelines', pipeline('Signed hook', { triggers: [{ type: 'webhook', source: 'signed', secret: 'hook-secret', payloadConstraints: { branch: 'main' } }] }))).status).toBe(200);
    expect((await call('POST', '/pipelines', pipeline('Open hook', { triggers: [{ type: 'webhook', source: 'open' }] }))).status).toBe(200);
    expect(
      (await call('POST', '/pipelines', pipeline('Gitlab push', { triggers: [{ type: 'git', source: 'gitlab', project: 'acme', slug: 'shop', branch: 'main', secret: 'gitlab-secret' }] }))).status,
    ).toBe(200);
  });

  it('checks the signature before parsing the payload: junk signed with a wrong secret is 401, not 400', async () => {
    const junk = '{"branch": "main", not json';
    const wrong = await call('POST', '/webhooks/webhook/signed', junk, { 'x-hub-signature-256': signBody('guess', junk) });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe(
      "the signature does not verify with the secret of any enabled webhook trigger for source 'signed'; check the secret and sign the exact body (a trigger without a secret takes only unsigned requests with the API token)",
    );
    // With the right secret the same junk gets as far as the parser.
    expect((await call('POST', '/webhooks/webhook/signed', junk, { 'x-hub-signature-256': signBody('hook-secret', junk) })).status).toBe(400);
  });

  it('counts an X-Gitlab-Token only when it equals the secret', async () => {
    const body = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', checkout_sha: 'c0ffee', project: { path_with_namespace: 'acme/shop', namespace: 'acme', name: 'shop' } });
    const forged = await call('POST', '/webhooks/git/gitlab', body, { 'x-gitlab-token': 'anything', 'x-gitlab-event': 'Push Hook' });
    expect(forged.status).toBe(401);
    // A forged token gets no further than the check: its payload is not even parsed.
    expect((await call('POST', '/webhooks/git/gitlab', 'not json', { 'x-gitlab-token': 'anything', 'x-gitlab-event': 'Push Hook' })).status).toBe(401);
    const prefix = await call('POST', '/webhooks/git/gitlab', body, { 'x-gitlab-token': 'gitlab-secre', 'x-gitlab-event': 'Push Hook' });
    expect(prefix.status).toBe(401);
    const genuine = await call('POST', '/webhooks/git/gitlab', body, { 'x-gitlab-token': 'gitlab-secret', 'x-gitlab-event': 'Push Hook' });
    expect(genuine.status).toBe(200);
    expect(genuine.json.executions).toHaveLength(1);
  });

  it('still needs the API token for an unsigned git webhook', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'abc', repository: { name: 'shop', owner: { login: 'acme' } } });
    expect((await call('POST', '/webhooks/git/github', body, { 'x-github-event': 'push' })).status).toBe(401);
    expect((await call('POST', '/webhooks/git/github', body, { ...auth(), 'x-github-event': 'push' })).status).toBe(200);
  });
});

describe('replayed webhooks', () => {
  it('starts nothing new when a captured signed body comes back with a fresh X-Event-Id or Idempotency-Key', async () => {
    // given: one signed delivery started one execution
    const body = JSON.stringify({ branch: 'main', build: 41 });
    const signature = { 'x-hub-signature-256': signBody('hook-secret', body) };
    const first = await call('POST', '/webhooks/webhook/signed', body, { ...signature, 'x-event-id': 'delivery-1' });
    expect(first.json.executions).toHaveLength(1);

    // when: the same signed body is replayed under new delivery ids
    const replayed = await call('POST', '/webhooks/webhook/signed', body, { ...signature, 'x-event-id': 'delivery-2' });
    const rekeyed = await call('POST', '/webhooks/webhook/signed', body, { ...signature, 'idempotency-key': 'fresh-key' });

    // then: both find the first execution; only one exists
    for (const answer of [replayed, rekeyed]) {
      expect(answer.status).toBe(200);
      expect(answer.json.executions[0]).toMatchObject({ executionId: first.json.executions[0].executionId, duplicate: true });
    }
    expect(await executionsOf('Signed hook')).toHaveLength(1);

    // and: a new signed body is a new delivery
    const next = JSON.stringify({ branch: 'main', build: 42 });
    const second = await call('POST', '/webhooks/webhook/signed', next, { 'x-hub-signature-256': signBody('hook-secret', next), 'x-event-id': 'delivery-1' });
    expect(second.json.executions[0].duplicate).toBe(false);
    expect(await executionsOf('Signed hook')).toHaveLength(2);
  });

  it('starts nothing new when a signed git push comes back with a fresh delivery id', async () => {
    const body = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', checkout_sha: 'beef01', project: { path_with_namespace: 'acme/shop', namespace: 'acme', name: 'shop' } });
    const headers = { 'x-gitlab-token': 'gitlab-secret', 'x-gitlab-event': 'Push Hook' };
    const first = await call('POST', '/webhooks/git/gitlab', body, { ...headers, 'x-request-id': 'req-1' });
    const replayed = await call('POST', '/webhooks/git/gitlab', body, { ...headers, 'x-request-id': 'req-2' });
    expect(replayed.json.executions[0]).toMatchObject({ executionId: first.json.executions[0].executionId, duplicate: true });
  });

  it('keeps deduplicating authenticated unsigned deliveries by their id', async () => {
    const body = { run: 1 };
    const a = await call('POST', '/webhooks/webhook/open', body, { ...auth(), 'x-event-id': 'open-1' });
    const b = await call('POST', '/webhooks/webhook/open', body, { ...auth(), 'x-event-id': 'open-2' });
    expect(a.json.executions[0].executionId).not.toBe(b.json.executions[0].executionId);
    expect(await executionsOf('Open hook')).toHaveLength(2);
  });
});
