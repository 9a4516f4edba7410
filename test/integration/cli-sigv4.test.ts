/**
 * The CLI signs its requests with SigV4 for the API on AWS (IAM auth behind API Gateway). A real
 * HTTP server on 127.0.0.1 stands in for API Gateway and checks each signature the way AWS
 * documents it, recomputed here with node:crypto from the known test credentials (canonical
 * request, string to sign, derived key), independently of the signing library the CLI uses.
 * `GENNAKER_AUTH=sigv4` forces signing against the http://127.0.0.1 endpoint.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, createApiClient } from '../../cli/api-client.ts';
import { resolveApiAuth } from '../../cli/sigv4.ts';
import { sigV4Problems } from '../support/sigv4-check.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REGION = 'eu-west-1';
const KEYS = { accessKeyId: 'AKIDGENNAKERTEST', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYGENNAKERKEY', sessionToken: 'FwoGZXIvYXdzEGennakerSessionToken//+==' };
const PROFILE_KEYS = { accessKeyId: 'AKIDPROFILEKEY', secretAccessKey: 'profileSecretKey/ForGennakerTests1234567' };

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const signatureProblems = (request: Received, keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => sigV4Problems(request, keys, REGION);

let server: Server;
let endpoint: string;
const received: Received[] = [];
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gennaker-sigv4-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      // Like API Gateway: a request signed for the test keys passes, anything else gets a 403.
      const valid = signatureProblems(request, KEYS).length === 0 || signatureProblems(request, { ...PROFILE_KEYS }).length === 0;
      res.setHeader('content-type', 'application/json');
      if (!valid) {
        res.writeHead(403).end(JSON.stringify({ message: 'The request signature we calculated does not match the signature you provided.' }));
      } else if (request.method === 'POST') {
        const saved = JSON.parse(request.body) as { application: string; name: string };
        res.writeHead(200).end(JSON.stringify({ id: 'p-1', application: saved.application, name: saved.name, version: 1, warnings: [] }));
      } else {
        res.writeHead(200).end('[]');
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(join(work, 'pipeline.json'), JSON.stringify({ application: 'shop', name: 'deploy', stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 1 }] }));
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  received.length = 0;
});

/** A machine with no AWS configuration at all, plus `extra`. */
function cleanEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(work, 'home-'));
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

function gennaker(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'bin', 'gennaker.js'), ...args], { cwd: work, env, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('gennaker with SigV4', () => {
  it('signs pipeline save with the environment credentials, body hash and session token included', async () => {
    // when
    const result = await gennaker(['--endpoint', endpoint, 'pipeline', 'save', '-f', 'pipeline.json'], cleanEnvironment({ GENNAKER_AUTH: 'sigv4', AWS_REGION: REGION, AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey, AWS_SESSION_TOKEN: KEYS.sessionToken }));

    // then
    expect(result.code).toBe(0);
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('saved shop/deploy (id p-1, version 1)');
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe('POST');
    expect(JSON.parse(request!.body)).toMatchObject({ application: 'shop', name: 'deploy' });
    expect(signatureProblems(request!, KEYS)).toEqual([]);
    expect(request!.headers.authorization).not.toContain('Bearer');
  }, 60_000);

  it('takes the credentials of the AWS_PROFILE profile from the shared credentials file', async () => {
    // given
    const credentials = join(work, 'credentials');
    writeFileSync(credentials, `[default]\naws_access_key_id = AKIDNOTTHISONE\naws_secret_access_key = nope\n\n[gennaker-deployer]\naws_access_key_id = ${PROFILE_KEYS.accessKeyId}\naws_secret_access_key = ${PROFILE_KEYS.secretAccessKey}\n`);

    // when
    const result = await gennaker(['--endpoint', endpoint, 'pipeline', 'list', 'shop'], { ...cleanEnvironment({ GENNAKER_AUTH: 'sigv4', AWS_REGION: REGION, AWS_PROFILE: 'gennaker-deployer' }), AWS_SHARED_CREDENTIALS_FILE: credentials });

    // then
    expect(result.code).toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain("application 'shop' has no pipelines");
    expect(received).toHaveLength(1);
    expect(signatureProblems(received[0]!, PROFILE_KEYS)).toEqual([]);
    expect(received[0]!.headers['x-amz-security-token']).toBeUndefined();
  }, 60_000);

  it('fails with one line naming the missing credentials and the fix, sending nothing', async () => {
    // when
    const result = await gennaker(['--endpoint', endpoint, 'pipeline', 'list', 'shop'], cleanEnvironment({ GENNAKER_AUTH: 'sigv4', AWS_REGION: REGION }));

    // then
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no AWS credentials to sign requests with \(.+\): run 'aws configure' \(or 'aws sso login'\), or set AWS_PROFILE to a configured profile/);
    expect(received).toHaveLength(0);
  }, 60_000);

  it('signs query strings and escaped path segments as API Gateway canonicalizes them', async () => {
    // given
    const client = await createApiClient({ endpoint, dir: work, environment: { GENNAKER_AUTH: 'sigv4', AWS_REGION: REGION }, credentials: async () => KEYS });

    // when
    await client.request('GET', '/applications/my%20shop/pipelines?statuses=RUNNING,SUCCEEDED&limit=5');

    // then
    expect(received).toHaveLength(1);
    expect(signatureProblems(received[0]!, KEYS)).toEqual([]);
  });

  it('the verifier rejects a request whose body was changed after signing', async () => {
    // given
    const client = await createApiClient({ endpoint, dir: work, environment: { GENNAKER_AUTH: 'sigv4', AWS_REGION: REGION }, credentials: async () => KEYS });
    await client.request('POST', '/pipelines', { application: 'shop', name: 'deploy' });

    // when
    const tampered = { ...received[0]!, body: received[0]!.body.replace('deploy', 'destroy') };

    // then
    expect(signatureProblems(received[0]!, KEYS)).toEqual([]);
    expect(signatureProblems(tampered, KEYS)).toEqual([expect.stringMatching(/^signature [0-9a-f]{64} does not match/)]);
  });

  it('rejects signatures made with other keys with a 403 the CLI explains', async () => {
    // given
    const client = await createApiClient({ endpoint, dir: work, environment: { GENNAKER_AUTH: 'sigv4', AWS_REGION: REGION }, credentials: async () => ({ accessKeyId: KEYS.accessKeyId, secretAccessKey: 'not-the-secret' }) });

    // when
    const error = await client.request('GET', '/applications/shop/pipelineConfigs').catch((caught: unknown) => caught);

    // then
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(403);
    expect((error as ApiError).message).toMatch(/^The request signature we calculated does not match .* \(the AWS identity signing the request is not allowed to call this API: check the credentials in use \(aws sts get-caller-identity\)/);
  });
});

describe('resolveApiAuth', () => {
  it.each([
    ['https://abc123.execute-api.us-east-2.amazonaws.com/prod', {}, { kind: 'sigv4', region: 'us-east-2' }],
    ['https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod', { AWS_REGION: 'us-east-1' }, { kind: 'sigv4', region: 'cn-north-1' }],
    ['http://127.0.0.1:8084', { AWS_REGION: 'us-east-1' }, { kind: 'token' }],
    ['https://gennaker.example.com', {}, { kind: 'token' }],
    ['https://gennaker.example.com', { GENNAKER_AUTH: 'sigv4', AWS_DEFAULT_REGION: 'ap-south-1' }, { kind: 'sigv4', region: 'ap-south-1' }],
    ['https://abc123.execute-api.us-east-2.amazonaws.com/prod', { GENNAKER_AUTH: 'token' }, { kind: 'token' }],
  ])('%s with %j authenticates with %j', (url, environment, expected) => {
    expect(resolveApiAuth(url, environment)).toEqual(expected);
  });

  it('fails when signing is forced and no region is known', () => {
    expect(() => resolveApiAuth('http://127.0.0.1:8084', { GENNAKER_AUTH: 'sigv4' })).toThrow(
      "GENNAKER_AUTH=sigv4 needs the API's region for http://127.0.0.1:8084: set AWS_REGION (e.g. AWS_REGION=us-east-1)",
    );
  });

  it('fails on an unknown GENNAKER_AUTH value, naming it and the choices', () => {
    expect(() => resolveApiAuth('http://127.0.0.1:8084', { GENNAKER_AUTH: 'iam' })).toThrow(
      "GENNAKER_AUTH is 'iam', expected 'sigv4' (sign with AWS credentials) or 'token' (bearer token); unset it to decide by the endpoint",
    );
  });
});
