/**
 * `gennaker run --sandbox --s3-object s3://bucket/key=<file>` in-process: a webhook trigger brings
 * an `s3/object` artifact, the pipeline's expected artifact binds it, and a `source: artifact`
 * deployManifest reads the manifest through the s3 artifact account from the AWS simulator's S3
 * and deploys it on the Kubernetes simulator. An object the sandbox was not given fails the stage
 * with S3's NoSuchKey naming the flag; the flag without --sandbox is a usage error. `up --sandbox`
 * takes the same objects at start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRun, type RunCommandOptions } from '../../cli/commands/run.ts';
import { loadPipelineDocument } from '../../cli/pipeline-files.ts';
import { EXIT, UsageError } from '../../cli/usage.ts';
import { createRecordingIoHost, type IoMessage } from '../../core/io-host.ts';
import { startSandbox } from '../../local/sandbox/sandbox.ts';
import { startLocalServer } from '../../local/server.ts';
import { readS3ObjectFlags } from '../../local/sandbox/sandbox-s3.ts';
import { describeLines } from '../../local/sandbox/describe.ts';
import { createLocalRuntime } from '../../local/wiring.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-run-s3-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const URI = 's3://acme-builds/web/deployment.yaml';
const pipeline = {
  application: 'web',
  name: 'Deploy from S3',
  expectedArtifacts: [{ id: 'manifest', displayName: 'web manifest', matchArtifact: { type: 's3/object', name: URI } }],
  triggers: [{ type: 'webhook', enabled: true, source: 'builds', expectedArtifactIds: ['manifest'] }],
  stages: [
    { refId: '1', requisiteStageRefIds: [], type: 'deployManifest', name: 'Deploy', account: 'k8s-staging', cloudProvider: 'kubernetes', source: 'artifact', manifestArtifactId: 'manifest', moniker: { app: 'web' } },
  ],
};
const file = join(dir, 'pipeline.json');
writeFileSync(file, JSON.stringify(pipeline));
const manifest = join(dir, 'deployment.yaml');
writeFileSync(
  manifest,
  ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: web', 'spec:', '  replicas: 2', '  selector:', '    matchLabels: {app: web}', '  template:', '    metadata:', '      labels: {app: web}', '    spec:', '      containers:', '        - name: web', '          image: nginx:1.27', ''].join('\n'),
);
const s3Artifact = JSON.stringify({ type: 's3/object', name: URI, reference: URI, artifactAccount: 'my-s3-account' });

async function run(options: Partial<RunCommandOptions>): Promise<{ code: number; messages: readonly IoMessage[]; execution?: Record<string, any> }> {
  const io = createRecordingIoHost();
  const code = await runRun({ file, pipeline: undefined, params: [], judges: [], json: true, sandbox: true, triggerType: 'webhook', artifacts: [s3Artifact], ...options }, io, {
    load: (path) => loadPipelineDocument(path, async () => ''),
    createRuntime: (runtimeOptions) => createLocalRuntime({ ...runtimeOptions, retryDelayMs: 5 }),
    caller: { user: 'ana', roles: [], admin: true, source: 'cli' },
    readText: (path) => readFile(path, 'utf8'),
    startSandbox: () => startSandbox({ speed: 10_000 }),
    pollMs: 10,
  });
  const data = io.messages.find((message) => message.kind === 'data');
  return { code, messages: io.messages, ...(data && data.kind === 'data' ? { execution: JSON.parse(data.text) } : {}) };
}

const infos = (messages: readonly IoMessage[]) => messages.flatMap((message) => (message.kind === 'info' ? [message.message] : []));

describe('gennaker run --sandbox --s3-object', () => {
  it('deploys the manifest a trigger names as an s3/object, read from the simulated S3, on the simulated cluster', async () => {
    const { code, messages, execution } = await run({ s3Objects: [`${URI}=${manifest}`] });
    expect(infos(messages)).toContainEqual(expect.stringMatching(new RegExp(`^sandbox: put s3 object ${URI} \\(\\d+ bytes from ${manifest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, ETag "[0-9a-f]{32}"\\)$`)));
    expect(execution?.status).toBe('SUCCEEDED');
    expect(code).toBe(EXIT.ok);
    expect(execution!.trigger.resolvedExpectedArtifacts[0].boundArtifact).toMatchObject({ type: 's3/object', reference: URI });
    expect(execution!.stages[0].outputs['outputs.manifestNamesByNamespace']).toEqual({ default: ['deployment web'] });
  });

  it("fails the deploy with S3's NoSuchKey naming the flag when the sandbox was not given the object", async () => {
    const { code, execution } = await run({});
    expect(code).toBe(EXIT.failed);
    expect(execution!.stages[0].status).toBe('TERMINAL');
    expect(JSON.stringify(execution!.stages[0].context)).toContain(`artifact s3/object ${URI} (my-s3-account): the sandbox's S3 has no such object (NoSuchKey); give its content with --s3-object ${URI}=<local file>`);
  });

  it('refuses --s3-object without --sandbox, and a value that is not s3://bucket/key=file', async () => {
    await expect(run({ sandbox: false, s3Objects: [`${URI}=${manifest}`] })).rejects.toThrow(new UsageError('--s3-object gives the simulated S3 an object, for --sandbox runs; add --sandbox, or configure an s3 artifact account (see "Artifacts" in the README)'));
    await expect(run({ s3Objects: [URI] })).rejects.toThrow(`--s3-object takes s3://<bucket>/<key>=<local file>, got '${URI}' (e.g. --s3-object s3://acme-builds/app/deployment.yaml=./deployment.yaml)`);
  });

  it('gives up --sandbox the objects at start, read by every s3/object artifact of its runs', async () => {
    const io = createRecordingIoHost();
    const server = await startLocalServer({ dir: mkdtempSync(join(dir, 'up-')), port: 0, io, localTarget: false, sandbox: { speed: 1000 }, s3Objects: await readS3ObjectFlags([`${URI}=${manifest}`]) });
    try {
      expect(infos(io.messages)).toContainEqual(expect.stringMatching(new RegExp(`^sandbox: put s3 object ${URI} \\(\\d+ bytes from `)));
      const none = { types: [], fetch: async () => ({ ok: false as const, reason: 'not-found' as const, message: 'not the sandbox' }) };
      const read = await server.sandbox!.artifactContent(none).fetch({ type: 's3/object', reference: URI, artifactAccount: 'any-account' });
      expect(read.ok && read.text).toContain('kind: Deployment');
      // gennaker sandbox describe lists it.
      expect(describeLines(server.sandbox!.describe())).toContainEqual(expect.stringMatching(new RegExp(`^  ${URI}  \\d+ bytes  ETag "[0-9a-f]{32}"$`)));
    } finally {
      await server.close();
    }
  });
});
