/**
 * Artifacts as a stage uses them (core/stages/stage-artifacts.ts): a field naming an expected
 * artifact by id answers what the trigger or an earlier stage bound (Orca's
 * getBoundArtifactForStage), an inline artifact answers itself, and content is read by kind —
 * none for images and live objects, decoded for embedded/base64, and through artifact accounts
 * for the rest: http/file from a real HTTP server on 127.0.0.1 through the outbound allowlist,
 * gcs/object and s3/object from an in-memory account, a type no account serves refused naming
 * the fix.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactAccounts } from '../../../adapters/artifacts/artifact-accounts.ts';
import { createHttpArtifactAccount } from '../../../adapters/artifacts/http-artifact-account.ts';
import { createMemoryArtifactAccount } from '../../../adapters/artifacts/memory-artifact-account.ts';
import { createFetchHttpClient } from '../../../adapters/http/fetch-http-client.ts';
import type { Execution, StageRecord } from '../../../core/ports/execution-store.ts';
import { artifactKind, artifactScopeOf, boundStageArtifact, boundStageArtifacts, readArtifactText } from '../../../core/stages/stage-artifacts.ts';
import { stageEvaluationContext } from '../../../core/execution/evaluation-context.ts';

const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n';
const image = { type: 'docker/image', name: 'gcr.io/p/app', reference: 'gcr.io/p/app:v2' };

let server: Server;
let origin: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/manifests/app.yml') return void response.writeHead(200).end(MANIFEST);
    if (request.url === '/big') return void response.writeHead(200).end('x'.repeat(5_000));
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function record(refId: string, requisiteStageRefIds: string[], outputs: Record<string, unknown> = {}, context: Record<string, unknown> = {}): StageRecord {
  return { id: `s${refId}`, refId, name: `Stage ${refId}`, type: 'wait', status: 'SUCCEEDED', context, outputs, runtime: {}, requisiteStageRefIds, awaitingCallback: false, revision: 1, lastModified: 0 };
}

function execution(trigger: Record<string, unknown>, stages: StageRecord[]): Execution {
  return { id: 'E1', application: 'app', name: 'Deploy', pipelineConfigId: 'P1', pipelineVersion: 1, status: 'RUNNING', buildTime: 0, canceled: false, trigger, parameters: {}, stages, revision: 1, lastModified: 0, limitConcurrent: false, keepWaitingPipelines: false, maxConcurrentExecutions: 0 };
}

describe('the artifact a stage field means', () => {
  const trigger = {
    type: 'pubsub',
    resolvedExpectedArtifacts: [
      { id: 'manifest', matchArtifact: { type: 'gcs/object', artifactAccount: 'gcs-reader' }, boundArtifact: { type: 'gcs/object', reference: 'gs://b/app.yml' } },
      { id: 'img', matchArtifact: { type: 'docker/image' }, boundArtifact: image },
    ],
  };
  const found = record('1', [], { resolvedExpectedArtifacts: [{ id: 'baseline', boundArtifact: { type: 'kubernetes/configMap', reference: 'app-config-v003', name: 'app-config' } }] });
  const deploy = record('2', ['1'], {}, { namespace: 'staging' });
  const run = execution(trigger, [found, deploy]);

  it("answers the trigger's bound artifact, with matchArtifact's account when it names none, and the stage's account over both", () => {
    const scope = artifactScopeOf({ execution: run, record: deploy });
    expect(boundStageArtifact(scope, { id: 'manifest', idField: 'manifestArtifactId' })).toEqual({ ok: true, artifact: { type: 'gcs/object', reference: 'gs://b/app.yml', artifactAccount: 'gcs-reader' } });
    expect(boundStageArtifact(scope, { id: 'manifest', account: 'other-gcs', idField: 'manifestArtifactId' })).toEqual({ ok: true, artifact: { type: 'gcs/object', reference: 'gs://b/app.yml', artifactAccount: 'other-gcs' } });
  });

  it('answers what an ancestor bound (findArtifactFromExecution), and every required id at once', () => {
    const scope = artifactScopeOf({ execution: run, record: deploy });
    expect(boundStageArtifacts(scope, ['img', 'baseline'], 'requiredArtifactIds')).toEqual({
      ok: true,
      artifacts: [image, { type: 'kubernetes/configMap', reference: 'app-config-v003', name: 'app-config' }],
    });
    // The finding stage is not its own ancestor: it cannot see what it binds.
    expect(boundStageArtifact(artifactScopeOf({ execution: run, record: found }), { id: 'baseline', idField: 'x' })).toMatchObject({ ok: false });
  });

  it('answers an inline artifact with its expressions evaluated in the stage context', () => {
    const scope = artifactScopeOf({ execution: run, record: deploy, expressions: stageEvaluationContext(run, deploy, deploy.context, { now: () => 0 }) });
    expect(boundStageArtifact(scope, { artifact: { type: 'http/file', reference: 'https://example.test/${namespace}.yml' }, idField: 'manifestArtifactId', artifactField: 'manifestArtifact' })).toEqual({
      ok: true,
      artifact: { type: 'http/file', reference: 'https://example.test/staging.yml' },
    });
  });

  it.each([
    [{ id: 'nope', idField: "stage 'Deploy' manifestArtifactId" }, `stage 'Deploy' manifestArtifactId is "nope"; no expected artifact of that id is bound in this execution (bound: manifest, img, baseline); declare it in the pipeline's expectedArtifacts with a matchArtifact the trigger supplies (or useDefaultArtifact and a defaultArtifact), or bind it in an earlier findArtifactFromExecution stage`],
    [{ idField: 'manifestArtifactId', artifactField: 'manifestArtifact' }, 'manifestArtifactId is not set; set it to the id of an expected artifact or manifestArtifact to an artifact'],
    [{ artifact: 'gs://b/app.yml', idField: 'manifestArtifactId', artifactField: 'manifestArtifact' }, 'manifestArtifact is "gs://b/app.yml"; write an artifact object, e.g. {"type": "embedded/base64", "reference": "<base64>"}'],
    [{ artifact: { reference: 'x' }, idField: 'manifestArtifactId', artifactField: 'manifestArtifact' }, 'manifestArtifact has no type; set it, e.g. "type": "http/file"'],
  ])('fails %j in one line', (ref, message) => {
    expect(boundStageArtifact(artifactScopeOf({ execution: run, record: deploy }), ref)).toEqual({ ok: false, message });
  });
});

describe("an artifact's content, by kind", () => {
  const port = () => {
    const buckets = createMemoryArtifactAccount({ name: 'buckets' });
    buckets.put({ type: 'gcs/object', reference: 'gs://b/app.yml' }, MANIFEST);
    buckets.put({ type: 's3/object', reference: 's3://b/app.yml' }, MANIFEST);
    const http = createFetchHttpClient({ allowlist: [origin], maxBodyBytes: 1_000 });
    return createArtifactAccounts({ accounts: { buckets, http: createHttpArtifactAccount({ http }) } });
  };

  it.each([
    ['docker/image', 'image'],
    ['embedded/base64', 'embedded'],
    ['kubernetes/deployment', 'live-object'],
    ['kubernetes/configMap', 'live-object'],
    ['http/file', 'remote'],
    ['s3/object', 'remote'],
  ])('%s is %s', (type, kind) => {
    expect(artifactKind(type)).toBe(kind);
  });

  it('decodes embedded/base64 without any account, and refuses what is not base64 or too large', async () => {
    expect(await readArtifactText({ type: 'embedded/base64', reference: Buffer.from(MANIFEST).toString('base64') }, undefined)).toEqual({ ok: true, text: MANIFEST });
    expect(await readArtifactText({ type: 'embedded/base64', name: 'm', reference: 'not base64!' }, undefined)).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('is not base64') });
    expect(await readArtifactText({ type: 'embedded/base64', reference: Buffer.alloc(300).toString('base64') }, undefined, { maxEmbeddedBytes: 100 })).toMatchObject({ ok: false, reason: 'failed', message: expect.stringContaining('holds more than 100 bytes') });
  });

  it('has no content for an image or a live object, and says what to name instead', async () => {
    expect(await readArtifactText(image, port())).toEqual({
      ok: false,
      reason: 'unsupported',
      message: 'artifact docker/image gcr.io/p/app:v2 is an image, which has no content to read; a manifest runs it by its reference, so name a manifest artifact here',
    });
    expect(await readArtifactText({ type: 'kubernetes/configMap', reference: 'app-config-v003' }, port())).toMatchObject({ ok: false, reason: 'unsupported', message: expect.stringContaining('refers to a live object in a cluster') });
  });

  it('reads http/file through the allowlisted client, gcs/object and s3/object through the account serving them', async () => {
    expect(await readArtifactText({ type: 'http/file', reference: `${origin}/manifests/app.yml` }, port())).toEqual({ ok: true, text: MANIFEST });
    expect(await readArtifactText({ type: 'gcs/object', reference: 'gs://b/app.yml' }, port())).toEqual({ ok: true, text: MANIFEST });
    expect(await readArtifactText({ type: 's3/object', reference: 's3://b/app.yml', artifactAccount: 'buckets' }, port())).toEqual({ ok: true, text: MANIFEST });
  });

  it('refuses a host off the allowlist, an answer over the size cap, and a type no account serves', async () => {
    expect(await readArtifactText({ type: 'http/file', reference: 'http://169.254.169.254/latest/meta-data' }, port())).toMatchObject({ ok: false, reason: 'refused' });
    expect(await readArtifactText({ type: 'http/file', reference: `${origin}/big` }, port())).toMatchObject({ ok: false, reason: 'failed' });
    expect(await readArtifactText({ type: 'github/file', reference: 'https://api.github.com/repos/o/r/contents/app.yml' }, port())).toEqual({
      ok: false,
      reason: 'unsupported',
      message: 'no artifact account serves github/file https://api.github.com/repos/o/r/contents/app.yml; add one to accounts or use embedded/base64',
    });
    expect(await readArtifactText({ type: 'gcs/object', reference: 'gs://b/app.yml' }, undefined)).toMatchObject({ ok: false, reason: 'unsupported', message: expect.stringMatching(/^no artifact account serves gcs\/object/) });
  });
});
