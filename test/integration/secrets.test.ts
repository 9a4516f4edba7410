/**
 * Secrets on `gennaker up`, with real jobs and a real webhook receiver: a `"secret": true`
 * parameter, `#secret('name')` values, `runJob` environments, secret-looking webhook headers
 * and URL credentials never appear in what the API shows, nor in the execution record as
 * stored, nor in any file of the state directory, while the jobs and the receiver get the real
 * values. Sealed values open again for the steps that need them (a signed status URL is polled).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { loadSecretCipher } from '../../local/secret-key.ts';
import { createLocalSecrets } from '../../local/secrets-file.ts';

const work = mkdtempSync(join(tmpdir(), 'gennaker-secrets-'));
const dir = join(work, '.gennaker');
let server: LocalServer;
let token: string;
let receiver: Server;
let hookUrl: string;

const TOKEN_VALUE = 's3cr3t-t0ken-value';
const DB_PASSWORD = 'hunter2-db-pass';
const HOOK_TOKEN = 'hook-t0ken-from-store';
const SIGNATURE = 'a1b2c3d4e5f6signature';
const ORIGINAL = 'original-rotating-key';
const ROTATED = 'rotated-key-after-create';
const LITERAL_HEADER = 'literal-hdr-7f3a9c';
const LITERAL_ENV = 'literal-env-51be08';
const ALL_SECRETS = [TOKEN_VALUE, DB_PASSWORD, HOOK_TOKEN, SIGNATURE, ORIGINAL, ROTATED];
let secrets: ReturnType<typeof createLocalSecrets>;

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
const received: Received[] = [];

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, text, json: text === '' ? undefined : JSON.parse(text) };
}

async function ended(id: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!['SUCCEEDED', 'TERMINAL', 'CANCELED'].includes((await server.runtime.store.getExecution(id))?.status ?? '')) {
    if (Date.now() > deadline) throw new Error(`execution ${id} did not end`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function start(application: string, pipeline: string, parameters: Record<string, string>, trigger: Record<string, unknown> = {}): Promise<string> {
  const started = await call('POST', `/pipelines/${application}/${pipeline}`, { ...trigger, parameters });
  expect(started.status).toBe(202);
  const id = String(started.json.ref).replace('/pipelines/', '');
  await ended(id);
  return id;
}

/**
 * Every file under the state directory whose bytes hold one of the values. A job's scratch
 * directory (`jobs/<id>/work`) is left out: what a job writes there itself is the job's, as any
 * file a deployed program writes; its log and its record (`output.log`, `job.json`) are scanned.
 */
function filesHolding(values: readonly string[]): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    const stats = statSync(path);
    if (stats.isDirectory() && /[/\\]jobs[/\\][^/\\]+[/\\]work$/.test(path)) return;
    if (stats.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (stats.isFile()) {
      const bytes = readFileSync(path);
      for (const value of values) if (bytes.includes(value)) found.push(`${path.slice(dir.length)} holds ${value}`);
    }
  };
  visit(dir);
  return found;
}

/** The execution as the store keeps it, without any redaction. */
async function stored(id: string): Promise<string> {
  return JSON.stringify(await server.runtime.store.getExecution(id));
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const url = new URL(request.url ?? '/', 'http://receiver');
      const reply = (status: number, json: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(json));
      };
      // The deploy hook answers with a signed status URL and echoes what it was sent.
      if (url.pathname === '/deploy') return reply(202, { statusUrl: `${hookUrl}/status?id=7&X-Amz-Signature=${SIGNATURE}`, echo: { authorization: request.headers.authorization, url: request.url } });
      // Rotates the secret it was called with, then wants the new one on every poll.
      if (url.pathname === '/rotating') {
        if (request.method === 'POST') {
          void secrets.set('rotating', ROTATED, ['vault-sec']).then(() => reply(202, {}));
          return;
        }
        return url.searchParams.get('api_key') === ROTATED ? reply(200, { status: 'DONE' }) : reply(403, { error: 'stale key' });
      }
      if (url.pathname === '/status') {
        if (url.searchParams.get('X-Amz-Signature') !== SIGNATURE) return reply(403, { error: 'bad signature' });
        return reply(200, { status: 'DONE', message: `deployed with ${request.url}` });
      }
      if (url.pathname === '/literal') return reply(200, { ok: true });
      return reply(404, { error: `no ${url.pathname}`, saw: request.url });
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  // Named secrets, as `gennaker secret set` keeps them.
  secrets = createLocalSecrets(dir, await loadSecretCipher(dir));
  await secrets.set('db-password', DB_PASSWORD, []);
  await secrets.set('hook-token', HOOK_TOKEN, ['vault-sec']);
  await secrets.set('rotating', ORIGINAL, ['vault-sec']);

  server = await startLocalServer({ dir, port: 0, cronTickMs: 60_000, powers: { roots: [work] }, webhookAllowlist: [hookUrl] });
  token = readFileSync(join(dir, 'token'), 'utf8').trim();
});

afterAll(async () => {
  await server.runtime.idle();
  await server.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

describe('secrets', () => {
  it('shows secret parameters, #secret values and job environments as ****** everywhere, stores none of them, while the jobs get the real values', async () => {
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
          env: { API_KEY: '${parameters.token}', DB_PASSWORD: "${#secret('db-password')}", LOG_LEVEL: 'info' },
          shell: 'echo "using $API_KEY and $DB_PASSWORD"; printf "SEEN=%s\\nSEEN_SHA=%s\\nDB_SHA=%s\\nLEVEL=%s\\n" "$API_KEY" "$(printf %s "$API_KEY" | sha256sum | cut -c1-64)" "$(printf %s "$DB_PASSWORD" | sha256sum | cut -c1-64)" "$LOG_LEVEL" > out.properties',
          propertyFile: 'out.properties',
        },
        { refId: '3', requisiteStageRefIds: ['2'], type: 'runJob', name: 'Fail', cloudProvider: 'local', env: { DB_PASSWORD: "${#secret('db-password')}" }, shell: 'echo "failing with $DB_PASSWORD"; exit 3' },
      ],
    };
    expect((await call('POST', '/pipelines', pipeline)).status).toBe(200);

    // when
    const id = await start('vault-sec', 'Uses secrets', { token: TOKEN_VALUE }, { payload: { note: `built with ${TOKEN_VALUE}` } });
    const shown = await call('GET', `/pipelines/${id}`);
    const listed = await call('GET', '/applications/vault-sec/pipelines');

    // then: nothing shown holds a secret
    for (const answer of [shown, listed]) for (const secret of ALL_SECRETS) expect(answer.text).not.toContain(secret);
    const execution = shown.json;
    expect(execution.status).toBe('TERMINAL');
    expect(execution.trigger.parameters).toEqual({ token: '******', env: 'prod' });
    expect(execution.trigger.payload).toEqual({ note: 'built with ******' });
    expect(execution.stages[0].outputs.header).toBe('Bearer ******');
    expect(execution.stages[1].context.env).toEqual({ API_KEY: '******', DB_PASSWORD: '******', LOG_LEVEL: '******' });
    expect(execution.stages[1].outputs.SEEN).toBe('******');
    expect(execution.stages[1].outputs.LEVEL).toBe('info');
    expect(execution.stages[2].context.exception.details.error).toMatch(/failing with \*\*\*\*\*\*/);
    // the jobs saw the real values
    expect(execution.stages[1].outputs.SEEN_SHA).toBe(sha256(TOKEN_VALUE));
    expect(execution.stages[1].outputs.DB_SHA).toBe(sha256(DB_PASSWORD));
    // the record as stored, and every file of the state directory, hold none of them
    for (const secret of ALL_SECRETS) expect(await stored(id)).not.toContain(secret);
    expect(filesHolding([TOKEN_VALUE, DB_PASSWORD])).toEqual([]);
    // the job's record keeps the names of its environment, not the values
    const jobRecord = JSON.parse(readFileSync(join(dir, 'targets', 'local', 'jobs', execution.stages[1].context.jobId, 'job.json'), 'utf8'));
    expect(jobRecord.env).toBeUndefined();
    expect(jobRecord.envNames).toEqual(expect.arrayContaining(['API_KEY', 'DB_PASSWORD', 'LOG_LEVEL']));
    // the parameter stays secret in the saved pipeline (it round-trips)
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
    const parentId = await start('vault-sec', 'Parent', { token: TOKEN_VALUE });
    const childId = (await server.runtime.store.getExecution(parentId))!.stages[0]!.context.executionId as string;
    await ended(childId);
    const shown = await call('GET', `/pipelines/${childId}`);

    // then
    expect(shown.json.status).toBe('SUCCEEDED');
    expect(shown.text).not.toContain(TOKEN_VALUE);
    expect(shown.json.trigger.parameters.key).toBe('******');
    expect(shown.json.trigger.parentExecution.trigger.parameters.token).toBe('******');
    expect(shown.json.stages[0].outputs.seen).toBe('******');
    expect(await stored(childId)).not.toContain(TOKEN_VALUE);
    expect(await stored(parentId)).not.toContain(TOKEN_VALUE);
  });

  it('sends secret headers, URL credentials and #secret values to a webhook, polls its signed status URL, and stores none of them', async () => {
    // given
    received.length = 0;
    await call('POST', '/pipelines', {
      application: 'vault-sec',
      name: 'Hook',
      parameterConfig: [{ name: 'token', secret: true }],
      stages: [
        {
          refId: '1',
          type: 'webhook',
          name: 'Deploy',
          method: 'POST',
          url: `${hookUrl}/deploy?access_token=\${#secret('hook-token')}&team=core`,
          customHeaders: { Authorization: 'Bearer ${parameters.token}', 'X-Team': 'core', 'X-Caller': 'ci ${parameters.token}' },
          payload: { note: 'sent ${parameters.token}' },
          waitForCompletion: true,
          statusUrlResolution: 'webhookResponse',
          statusUrlJsonPath: '$.statusUrl',
          statusJsonPath: '$.status',
          successStatuses: 'DONE',
        },
      ],
    });

    // when
    const id = await start('vault-sec', 'Hook', { token: TOKEN_VALUE });
    const shown = await call('GET', `/pipelines/${id}`);

    // then: the receiver got the real values, and the signed status URL was polled as given
    expect(shown.json.status).toBe('SUCCEEDED');
    const sent = received.find((request) => request.url.startsWith('/deploy'))!;
    expect(sent.url).toBe(`/deploy?access_token=${HOOK_TOKEN}&team=core`);
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN_VALUE}`);
    expect(JSON.parse(sent.body)).toEqual({ note: `sent ${TOKEN_VALUE}` });
    expect(received.some((request) => request.url === `/status?id=7&X-Amz-Signature=${SIGNATURE}`)).toBe(true);
    // nothing shown or stored holds them; the rest of each URL stays readable
    for (const secret of ALL_SECRETS) {
      expect(shown.text).not.toContain(secret);
      expect(await stored(id)).not.toContain(secret);
    }
    const webhook = shown.json.stages[0].context.webhook;
    expect(shown.json.stages[0].context.url).toBe(`${hookUrl}/deploy?access_token=******&team=core`);
    // a header under a name that does not look secret is hidden by its value
    expect(sent.headers['x-caller']).toBe(`ci ${TOKEN_VALUE}`);
    expect(shown.json.stages[0].context.customHeaders).toEqual({ Authorization: '******', 'X-Team': 'core', 'X-Caller': 'ci ******' });
    expect(webhook.statusEndpoint).toBe(`${hookUrl}/status?id=7&X-Amz-Signature=******`);
    expect(webhook.body.echo).toEqual({ authorization: '******', url: '/deploy?access_token=******&team=core' });
    expect(filesHolding(ALL_SECRETS)).toEqual([]);
  });

  it('keeps literal secrets written into a saved pipeline sealed (header and job env), sends and runs with them, shows ******, and keeps them on a save of ******', async () => {
    // given a webhook header and a job env entry written into the pipeline itself
    received.length = 0;
    const config = {
      application: 'vault-sec',
      name: 'Literal',
      stages: [
        { refId: '1', type: 'webhook', name: 'Call', method: 'POST', url: `${hookUrl}/literal`, customHeaders: { Authorization: `Bearer ${LITERAL_HEADER}`, 'X-Team': 'core' } },
        { refId: '2', requisiteStageRefIds: ['1'], type: 'runJob', name: 'Job', account: 'local', command: ['node', '-e', `process.exit(process.env.DEPLOY_TOKEN === '${LITERAL_ENV.slice(0, 6)}' + '${LITERAL_ENV.slice(6)}' ? 0 : 3)`], env: { DEPLOY_TOKEN: LITERAL_ENV, LOG_LEVEL: 'info' } },
      ],
    };
    expect((await call('POST', '/pipelines', config)).status).toBe(200);

    // then the store holds them sealed, and a reader sees ******
    const savedText = JSON.stringify(await server.runtime.store.getPipelineConfigByName('vault-sec', 'Literal'));
    expect(savedText).not.toContain(LITERAL_HEADER);
    expect(savedText).not.toContain(LITERAL_ENV);
    const read = (await call('GET', '/applications/vault-sec/pipelineConfigs/Literal')).json;
    expect(read.stages[0].customHeaders).toEqual({ Authorization: '******', 'X-Team': 'core' });
    expect(read.stages[1].env).toEqual({ DEPLOY_TOKEN: '******', LOG_LEVEL: 'info' });

    // when what was read is saved back and run
    expect((await call('POST', '/pipelines', { ...read, description: 'saved back' })).status).toBe(200);
    const id = await start('vault-sec', 'Literal', {});

    // then the receiver and the job got the real values, and nothing shown or stored holds them
    const shown = await call('GET', `/pipelines/${id}`);
    expect(shown.json.status).toBe('SUCCEEDED');
    expect(received.find((request) => request.url === '/literal')!.headers.authorization).toBe(`Bearer ${LITERAL_HEADER}`);
    for (const secret of [LITERAL_HEADER, LITERAL_ENV]) {
      expect(shown.text).not.toContain(secret);
      expect(await stored(id)).not.toContain(secret);
    }
    expect(filesHolding([LITERAL_HEADER, LITERAL_ENV])).toEqual([]);
  });

  it('reads a #secret again at every step, never from the record: a secret rotated after the first call is the one the next poll sends', async () => {
    // given
    received.length = 0;
    await call('POST', '/pipelines', {
      application: 'vault-sec',
      name: 'Rotating',
      stages: [{ refId: '1', type: 'webhook', name: 'Poll', method: 'POST', url: `${hookUrl}/rotating?api_key=\${#secret('rotating')}`, waitForCompletion: true, statusUrlResolution: 'getMethod', statusJsonPath: '$.status', successStatuses: 'DONE' }],
    });

    // when
    const id = await start('vault-sec', 'Rotating', {});
    const shown = await call('GET', `/pipelines/${id}`);

    // then
    expect(shown.json.status).toBe('SUCCEEDED');
    expect(received.map((request) => `${request.method} ${request.url}`)).toEqual([`POST /rotating?api_key=${ORIGINAL}`, `GET /rotating?api_key=${ROTATED}`]);
    for (const secret of [ORIGINAL, ROTATED]) {
      expect(shown.text).not.toContain(secret);
      expect(await stored(id)).not.toContain(secret);
    }
  });

  it('hides a URL credential quoted by a failure message', async () => {
    // given
    await call('POST', '/pipelines', {
      application: 'vault-sec',
      name: 'Missing hook',
      stages: [{ refId: '1', type: 'webhook', name: 'Call', url: `${hookUrl}/missing?key=\${#secret('db-password')}` }],
    });

    // when
    const id = await start('vault-sec', 'Missing hook', {});
    const shown = await call('GET', `/pipelines/${id}`);

    // then
    expect(shown.json.status).toBe('TERMINAL');
    expect(received.some((request) => request.url === `/missing?key=${DB_PASSWORD}`)).toBe(true);
    const error = shown.json.stages[0].context.exception.details.error as string;
    expect(error).toContain(`${hookUrl}/missing?key=****** answered 404`);
    expect(shown.text).not.toContain(DB_PASSWORD);
    expect(await stored(id)).not.toContain(DB_PASSWORD);
  });

  it("refuses a #secret the application may not read, naming the secret and the application", async () => {
    // given: hook-token is shared with vault-sec only
    await call('POST', '/pipelines', {
      application: 'elsewhere',
      name: 'Steal',
      stages: [{ refId: '1', type: 'webhook', name: 'Leak', url: `${hookUrl}/leak?t=\${#secret('hook-token')}`, failOnFailedExpressions: true }],
    });

    // when
    const id = await start('elsewhere', 'Steal', {});
    const shown = await call('GET', `/pipelines/${id}`);

    // then
    expect(shown.json.status).toBe('TERMINAL');
    expect(shown.json.stages[0].context.exception.details.error).toContain("#secret('hook-token'): the secret is not shared with application 'elsewhere' (only with vault-sec)");
    expect(received.some((request) => request.url.startsWith('/leak'))).toBe(false);
  });

  it('warns at save of a #secret whose name is not a quoted literal (the stage cannot read it)', async () => {
    // when
    const saved = await call('POST', '/pipelines', {
      application: 'vault-sec',
      name: 'Computed',
      parameterConfig: [{ name: 'which' }],
      stages: [{ refId: '1', type: 'webhook', name: 'Call', url: `${hookUrl}/x?t=\${#secret(parameters.which)}` }],
    });

    // then: saved, as Spinnaker saves any text, with the warning
    expect(saved.status).toBe(200);
    expect(saved.json.warnings).toEqual([
      expect.objectContaining({ pointer: '/stages/0/url', code: 'expression-syntax', severity: 'warning', message: expect.stringContaining("#secret takes the secret's name as a quoted literal") }),
    ]);
  });

  it('keeps the key and the named secrets in 0600 files, the secrets sealed', () => {
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const file = readFileSync(join(dir, 'secrets.json'), 'utf8');
    expect(file).toContain('"db-password"');
    expect(file).not.toContain(DB_PASSWORD);
  });
});
