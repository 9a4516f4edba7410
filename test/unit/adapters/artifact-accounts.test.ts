/**
 * The artifact-content port over artifact accounts (adapters/artifacts): `embedded/base64` inline,
 * `github/file` through GitHub's contents API and `http/file` through the outbound HttpClient and
 * its allowlist — against a real node:http server on 127.0.0.1 standing in for GitHub and a file
 * server — and an in-memory account. Every refusal is one line naming the artifact and the fix.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactAccounts } from '../../../adapters/artifacts/artifact-accounts.ts';
import { createGithubArtifactAccount, createHttpArtifactAccount } from '../../../adapters/artifacts/http-artifact-account.ts';
import { createMemoryArtifactAccount } from '../../../adapters/artifacts/memory-artifact-account.ts';
import { createFetchHttpClient } from '../../../adapters/http/fetch-http-client.ts';

const TASK_DEFINITION = '{"family": "demo", "containerDefinitions": [{"name": "v001"}]}';

let server: Server;
let origin: string;
/** Each request the server saw: path with query, and headers. */
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname === '/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json') {
      if (request.headers.authorization !== 'Bearer gh-token') return void response.writeHead(404).end('{"message": "Not Found"}');
      if (request.headers.accept !== 'application/vnd.github.raw') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"download_url": "elsewhere"}');
      return void response.writeHead(200).end(url.searchParams.get('ref') === 'v2' ? '{"family": "v2"}' : TASK_DEFINITION);
    }
    if (url.pathname === '/repos/private/contents/x.json') return void response.writeHead(403).end('{"message": "Resource not accessible"}');
    if (url.pathname === '/files/task-def.json') {
      if (request.headers.authorization !== `Basic ${Buffer.from('deploy:s3cret').toString('base64')}`) return void response.writeHead(401).end();
      return void response.writeHead(200).end(TASK_DEFINITION);
    }
    if (url.pathname === '/files/busy') return void response.writeHead(503).end();
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function accounts() {
  const http = createFetchHttpClient({ allowlist: [origin] });
  const memory = createMemoryArtifactAccount({ name: 'in-memory' });
  memory.put({ type: 'github/file', reference: 'https://api.github.com/repos/a/b/contents/c.json' }, 'any version');
  memory.put({ type: 'github/file', reference: 'https://api.github.com/repos/a/b/contents/c.json', version: 'v7' }, 'version 7');
  const port = createArtifactAccounts({
    accounts: {
      'my-github-artifact-account': createGithubArtifactAccount({ http, token: 'gh-token' }),
      'anonymous-github': createGithubArtifactAccount({ http }),
      'files': createHttpArtifactAccount({ http, basicAuth: 'deploy:s3cret' }),
      'in-memory': memory,
    },
    maxBytes: 1_000,
  });
  return { port, memory };
}

describe('artifact accounts', () => {
  it('decodes embedded/base64 without an account, and refuses what is not base64', async () => {
    const { port } = accounts();
    expect(port.types).toEqual(['embedded/base64', 'github/file', 'http/file']);
    expect(await port.fetch({ type: 'embedded/base64', reference: Buffer.from(TASK_DEFINITION).toString('base64') })).toEqual({ ok: true, text: TASK_DEFINITION });
    expect(await port.fetch({ type: 'embedded/base64', name: 'td', reference: 'not base64!' })).toEqual({
      ok: false,
      reason: 'invalid',
      message: 'artifact embedded/base64 td (11 base64 characters) is not base64; set its reference to the base64 of the content',
    });
  });

  it("reads a github/file through the contents API with the account's token, at the artifact's version (master when it has none)", async () => {
    const { port } = accounts();
    seen.length = 0;
    const reference = `${origin}/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json`;
    expect(await port.fetch({ type: 'github/file', reference, artifactAccount: 'my-github-artifact-account' })).toEqual({ ok: true, text: TASK_DEFINITION });
    expect(await port.fetch({ type: 'github/file', reference, version: 'v2', artifactAccount: 'my-github-artifact-account' })).toEqual({ ok: true, text: '{"family": "v2"}' });
    expect(seen.map((request) => request.url)).toEqual([
      '/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json?ref=master',
      '/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json?ref=v2',
    ]);
    // Without the token, GitHub hides a private file: not found.
    expect(await port.fetch({ type: 'github/file', reference, artifactAccount: 'anonymous-github' })).toMatchObject({ ok: false, reason: 'not-found' });
    expect(await port.fetch({ type: 'github/file', reference: `${origin}/repos/private/contents/x.json`, artifactAccount: 'my-github-artifact-account' })).toEqual({
      ok: false,
      reason: 'failed',
      message: `artifact github/file ${origin}/repos/private/contents/x.json (my-github-artifact-account): GET 127.0.0.1:${new URL(origin).port} answered 403; the account's token cannot read this repository; give the account a token with read access`,
    });
  });

  it('reads an http/file with basic credentials; a 5xx is worth retrying, a host off the allowlist is refused', async () => {
    const { port } = accounts();
    expect(await port.fetch({ type: 'http/file', reference: `${origin}/files/task-def.json`, artifactAccount: 'files' })).toEqual({ ok: true, text: TASK_DEFINITION });
    expect(await port.fetch({ type: 'http/file', reference: `${origin}/files/busy`, artifactAccount: 'files' })).toMatchObject({ ok: false, reason: 'unavailable' });
    const refused = await port.fetch({ type: 'http/file', reference: 'http://10.0.0.1/task-def.json', artifactAccount: 'files' });
    expect(refused).toMatchObject({ ok: false, reason: 'refused' });
    expect(refused.ok === false && refused.message).toMatch(/^artifact http\/file http:\/\/10\.0\.0\.1\/task-def\.json \(files\) could not be read: calls to 10\.0\.0\.1 are not on the webhook allowlist; add a pattern such as 'http:\/\/10\.0\.0\.1'/);
    expect(await port.fetch({ type: 'http/file', reference: 'task-def.json', artifactAccount: 'files' })).toEqual({
      ok: false,
      reason: 'invalid',
      message: 'artifact http/file task-def.json (files) has reference "task-def.json", which is not an http(s) URL; set the URL of the file',
    });
  });

  it('serves from memory by reference and version, any version when stored without one', async () => {
    const { port, memory } = accounts();
    const reference = 'https://api.github.com/repos/a/b/contents/c.json';
    expect(await port.fetch({ type: 'github/file', reference, version: 'v7', artifactAccount: 'in-memory' })).toEqual({ ok: true, text: 'version 7' });
    expect(await port.fetch({ type: 'github/file', reference, version: 'main', artifactAccount: 'in-memory' })).toEqual({ ok: true, text: 'any version' });
    expect(await port.fetch({ type: 'github/file', reference: `${reference}x`, artifactAccount: 'in-memory' })).toEqual({
      ok: false,
      reason: 'not-found',
      message: `artifact github/file ${reference}x (in-memory) does not exist in account 'in-memory'; check its reference and version`,
    });
    expect(memory.list()).toHaveLength(2);
  });

  it('reads an artifact that names no account through the first account (by name) that reads its type', async () => {
    const { port } = accounts();
    // files is the only http/file reader: its basic credentials are sent.
    expect(await port.fetch({ type: 'http/file', reference: `${origin}/files/task-def.json` })).toEqual({ ok: true, text: TASK_DEFINITION });
    // anonymous-github sorts first among the github/file readers, and has no token: GitHub answers 404.
    expect(await port.fetch({ type: 'github/file', reference: `${origin}/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json` })).toMatchObject({ ok: false, reason: 'not-found' });
  });

  it('names the known accounts, the types an account reads, and the size cap, in one line each', async () => {
    const { port } = accounts();
    expect(await port.fetch({ type: 'github/file', reference: 'https://x', artifactAccount: 'nope' })).toEqual({
      ok: false,
      reason: 'not-found',
      message: "artifact account 'nope' is not configured (known: anonymous-github, files, in-memory, my-github-artifact-account); configure it, or name a known account in artifactAccount",
    });
    expect(await port.fetch({ type: 'http/file', reference: 'https://x', artifactAccount: 'anonymous-github' })).toEqual({
      ok: false,
      reason: 'unsupported',
      message: "artifact account 'anonymous-github' reads github/file, not http/file; name an account that reads http/file",
    });
    expect(await port.fetch({ type: 'gcs/object', reference: 'gs://bucket/manifests/app.yml' })).toEqual({
      ok: false,
      reason: 'unsupported',
      message: 'no artifact account serves gcs/object gs://bucket/manifests/app.yml; add one to accounts or use embedded/base64',
    });
    expect(await port.fetch({ type: 'embedded/base64', reference: Buffer.alloc(2_000).toString('base64') })).toMatchObject({ ok: false, reason: 'failed', message: expect.stringContaining('holds more than 1000 bytes') });
  });
});
