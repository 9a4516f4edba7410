/**
 * `gennaker run --artifact ... --trigger-type ...` in-process (cli/commands/run.ts on the real
 * local runtime: dynalite, the compiled ASL, the stage runner): a pipeline whose only trigger is
 * a Google Pub/Sub subscription saves with a warning, starts as that trigger with the artifacts
 * given on the command line, and its stages read what bound; without the artifact it expects,
 * the run stops before anything runs with Orca's "Unmatched expected artifact" message and a
 * non-zero exit. The conformance pipeline deploy-to-staging binds its four artifacts the same way.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipelineDocument } from '../../cli/pipeline-files.ts';
import { runRun, type RunCommandOptions } from '../../cli/commands/run.ts';
import { EXIT } from '../../cli/usage.ts';
import { resolveExpectedArtifacts } from '../../core/deploy/expected-artifacts.ts';
import { createRecordingIoHost, type IoMessage } from '../../core/io-host.ts';
import { createLocalRuntime } from '../../local/wiring.ts';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-run-artifacts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const image = { type: 'docker/image', name: 'gcr.io/acme/app', version: 'v2', reference: 'gcr.io/acme/app:v2' };

/** A pipeline fired by a GCR subscription naming one image; a stage reads the bound image. */
const pipeline = {
  application: 'artifacts',
  name: 'Deploy on push',
  expectedArtifacts: [
    { id: 'img', displayName: 'app image', matchArtifact: { type: 'docker/image', name: 'gcr.io/acme/app' } },
    { id: 'cfg', matchArtifact: { type: 'embedded/base64', name: 'config' }, useDefaultArtifact: true, defaultArtifact: { type: 'embedded/base64', name: 'config', reference: Buffer.from('replicas: 1').toString('base64') } },
  ],
  triggers: [{ type: 'pubsub', enabled: true, pubsubSystem: 'google', subscriptionName: 'gcr-pushes', expectedArtifactIds: ['img'] }],
  stages: [
    {
      refId: '1',
      requisiteStageRefIds: [],
      type: 'evaluateVariables',
      name: 'Read artifacts',
      variables: [
        { key: 'image', value: "${#triggerResolvedArtifact('gcr.io/acme/app').reference}" },
        { key: 'config', value: "${#triggerResolvedArtifactByType('embedded/base64').name}" },
      ],
    },
  ],
};
const file = join(dir, 'pipeline.json');
writeFileSync(file, JSON.stringify(pipeline));

async function run(options: Partial<RunCommandOptions> & { readonly file: string }): Promise<{ code: number; messages: readonly IoMessage[]; execution?: Record<string, any> }> {
  const io = createRecordingIoHost();
  const code = await runRun({ pipeline: undefined, params: [], judges: [], json: true, ...options }, io, {
    load: (path) => loadPipelineDocument(path, async () => ''),
    createRuntime: (runtimeOptions) => createLocalRuntime({ ...runtimeOptions, retryDelayMs: 5 }),
    caller: { user: 'ana', roles: [], admin: true, source: 'cli' },
    readText: (path) => readFile(path, 'utf8'),
    pollMs: 10,
  });
  const data = io.messages.find((message) => message.kind === 'data');
  return { code, messages: io.messages, ...(data && data.kind === 'data' ? { execution: JSON.parse(data.text) } : {}) };
}

const errorsOf = (messages: readonly IoMessage[]) => messages.flatMap((message) => (message.kind === 'error' ? [message.message] : []));

describe('gennaker run --artifact', () => {
  it('starts as the pubsub trigger, binds the image given and the default config, and its stages read them', async () => {
    const { code, messages, execution } = await run({ file, triggerType: 'pubsub', artifacts: [JSON.stringify(image)] });
    expect(errorsOf(messages)).toEqual([]);
    expect(code).toBe(EXIT.ok);
    // Saved with a warning: the subscription cannot deliver here.
    expect(messages).toContainEqual(expect.objectContaining({ kind: 'validation-issue', issue: expect.objectContaining({ pointer: '/triggers/0/pubsubSystem', severity: 'warning' }) }));
    expect(execution!.trigger).toMatchObject({ type: 'pubsub', subscriptionName: 'gcr-pushes', expectedArtifactIds: ['img'], user: 'ana' });
    expect(execution!.trigger.resolvedExpectedArtifacts.map((expected: any) => [expected.id, expected.boundArtifact.reference])).toEqual([
      ['img', 'gcr.io/acme/app:v2'],
      ['cfg', Buffer.from('replicas: 1').toString('base64')],
    ]);
    expect(execution!.stages[0].outputs).toEqual({ image: 'gcr.io/acme/app:v2', config: 'config' });
    // Orca's tasks of the stage, from the pipeline as saved.
    expect(execution!.stages[0].tasks.map((task: { name: string; status: string }) => [task.name, task.status])).toEqual([['evaluateVariables', 'SUCCEEDED']]);
  });

  it('reads the artifacts from a file in spin\'s format', async () => {
    const artifacts = join(dir, 'artifacts.json');
    writeFileSync(artifacts, JSON.stringify({ artifacts: [image] }));
    const { code, execution } = await run({ file, triggerType: 'pubsub', artifacts: [`@${artifacts}`] });
    expect(code).toBe(EXIT.ok);
    expect(execution!.stages[0].outputs.image).toBe('gcr.io/acme/app:v2');
  });

  it('fails a run whose trigger names an artifact nobody gave, before any stage, with Orca\'s message', async () => {
    const { code, messages, execution } = await run({ file, triggerType: 'pubsub', artifacts: [JSON.stringify({ ...image, name: 'gcr.io/acme/other' })] });
    expect(code).toBe(EXIT.failed);
    expect(execution).toBeUndefined();
    expect(errorsOf(messages)).toEqual([
      `Unmatched expected artifact 'img' (app image) could not be resolved: pipeline 'Deploy on push' expects docker/image gcr.io/acme/app, and the trigger brought docker/image gcr.io/acme/other; supply a matching artifact (gennaker run --artifact '<json>', or "artifacts" in the start request), or set useDefaultArtifact with a defaultArtifact`,
    ]);
  });

  it('binds nothing the pubsub trigger names on a manual run, as Orca does for a manual start', async () => {
    const { code, execution } = await run({ file });
    expect(code).toBe(EXIT.ok);
    expect(execution!.trigger.resolvedExpectedArtifacts.map((expected: any) => expected.id)).toEqual(['cfg']);
    // The image is not expected of a manual start: reading it fails the expression (kept as written), not the start.
    expect(execution!.stages[0].outputs.image).toBe("${#triggerResolvedArtifact('gcr.io/acme/app').reference}");
  });
});

describe('the deploy-canary conformance pipeline', () => {
  it("binds the images its pipeline trigger brings from the staging run, and its manifests' defaults", () => {
    const document = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_deploy-canary-pipeline.json'), 'utf8'));
    const trigger = document.triggers[0];
    // What the staging execution holds: its bound images (the service adds the parent's artifacts to a pipeline trigger).
    const backend = { type: 'docker/image', name: 'gcr.io/{%PROJECT_ID%}/backend', version: 'v3', reference: 'gcr.io/{%PROJECT_ID%}/backend:v3' };
    const bound = resolveExpectedArtifacts(document, { type: 'pipeline', expectedArtifactIds: trigger.expectedArtifactIds, artifacts: [backend] });
    expect(bound.ok).toBe(true);
    if (!bound.ok) return;
    expect(Object.fromEntries(bound.value.resolvedExpectedArtifacts.map((expected) => [expected['id'], (expected['boundArtifact'] as Record<string, unknown>)['reference']]))).toEqual({
      'dfc04116-f241-4af7-ad5f-b4855545d585': '{%BUCKET_URI%}/manifests/frontend.yml',
      '68b3d1d0-8ea1-426f-879d-53e40687e88a': '{%BUCKET_URI%}/manifests/backend.yml',
      '17205002-333a-4d5d-aaec-abb77b73b977': 'gcr.io/{%PROJECT_ID%}/frontend',
      '09eda939-611e-4695-9b52-518379718eaf': 'gcr.io/{%PROJECT_ID%}/backend:v3',
    });
  });
});

describe('the deploy-to-staging conformance pipeline', () => {
  const document = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_deploy-to-staging-pipeline.json'), 'utf8'));

  it('binds the GCR trigger\'s images from the command line, and the manifests it does not name to their defaults', () => {
    const frontend = { type: 'docker/image', name: 'gcr.io/{%PROJECT_ID%}/frontend', version: 'v7', reference: 'gcr.io/{%PROJECT_ID%}/frontend:v7' };
    const gcr = document.triggers[1];
    const bound = resolveExpectedArtifacts(document, { type: 'pubsub', expectedArtifactIds: gcr.expectedArtifactIds, artifacts: [frontend] });
    expect(bound.ok).toBe(true);
    if (!bound.ok) return;
    const byId = Object.fromEntries(bound.value.resolvedExpectedArtifacts.map((expected) => [expected['id'], (expected['boundArtifact'] as Record<string, unknown>)['reference']]));
    expect(byId).toEqual({
      'manifest-artifact': '{%BUCKET_URI%}/manifests/frontend.yml',
      '914df03c-6716-4afc-b25f-d4253885781a': '{%BUCKET_URI%}/manifests/backend.yml',
      '0ec6f2cc-1dd6-40b1-a6ce-a0c9ab47f13a': 'gcr.io/{%PROJECT_ID%}/frontend:v7',
      // No backend image given: its default (usePriorArtifact finds no previous execution here).
      '773205b3-f98f-4314-8acf-4041af7ad32f': 'gcr.io/{%PROJECT_ID%}/backend',
    });
  });
});
