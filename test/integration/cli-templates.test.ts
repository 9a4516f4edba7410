/**
 * `gennaker template ...` against a real local server (HTTP on 127.0.0.1, port 0): export a real
 * Spinnaker pipeline as a template, save it, plan a templated pipeline with it through the API
 * and from files alone, list, get and delete.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { createRecordingIoHost } from '../../core/io-host.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-cli-templates-'));
let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({ dir, port: 0, localTarget: false });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function gennaker(...args: string[]) {
  const io = createRecordingIoHost();
  const code = await main([...args, '--endpoint', server.url, '--data', dir], { io });
  const data = io.messages.flatMap((message) => (message.kind === 'data' ? [message.text] : [])).join('\n');
  const text = io.messages.map((message) => ('text' in message ? message.text : 'message' in message ? message.message : JSON.stringify(message))).join('\n');
  return { code, data, text };
}

function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

const SOURCE = join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_convertedPipelineTemplateSource.json');

const templated = (reference: string, extra: Record<string, unknown> = {}) => ({
  schema: 'v2',
  type: 'templatedPipeline',
  application: 'spindemo',
  name: 'demo',
  template: { artifactAccount: 'front50ArtifactCredentials', type: 'front50/pipelineTemplate', reference },
  variables: {},
  ...extra,
});

describe('gennaker template', () => {
  it('exports a pipeline as a template, saves it, and plans a templated pipeline with it', async () => {
    // given: Spinnaker's converted pipeline template source, exported as a v2 template
    const exported = await gennaker('template', 'from-pipeline', SOURCE, 'spindemo-bake-deploy');
    expect(exported.code).toBe(0);
    const template = JSON.parse(exported.data) as { schema: string; id: string; pipeline: { stages: unknown[] } };
    expect(template).toMatchObject({ schema: 'v2', id: 'spindemo-bake-deploy', protect: false, variables: [] });
    const templatePath = file('template.json', template);

    // when
    const saved = await gennaker('template', 'save', '-f', templatePath, '--tag', 'stable');
    const planned = await gennaker('template', 'plan', file('config.json', templated('spinnaker://spindemo-bake-deploy:stable')));

    // then
    expect(saved.code).toBe(0);
    expect(saved.text).toContain('created pipeline template spindemo-bake-deploy:stable');
    expect(planned.code).toBe(0);
    const rendered = JSON.parse(planned.data) as { application: string; name: string; stages: Array<{ refId: string }> };
    expect(rendered).toMatchObject({ application: 'spindemo', name: 'demo' });
    expect(rendered.stages.map((stage) => stage.refId).sort()).toEqual(['1', '2', '6', '7', '8']);

    // and saving it again updates it
    const again = await gennaker('template', 'save', '-f', templatePath, '--tag', 'stable');
    expect(again.text).toContain('updated pipeline template spindemo-bake-deploy:stable');
    const listed = await gennaker('template', 'list');
    expect(listed.data.split('\n').filter((line) => line.startsWith('spindemo-bake-deploy:'))).toEqual(expect.arrayContaining([expect.stringMatching(/^spindemo-bake-deploy:stable /), expect.stringMatching(/^spindemo-bake-deploy:latest /)]));
    expect(JSON.parse((await gennaker('template', 'get', 'spindemo-bake-deploy', '--tag', 'stable')).data).id).toBe('spindemo-bake-deploy');
  });

  it('plans from files alone with --template, and reports a missing variable with exit 1', async () => {
    const template = {
      schema: 'v2',
      id: 'waiter',
      variables: [{ name: 'seconds', type: 'int' }],
      pipeline: { stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: '${templateVariables.seconds}' }] },
    };
    const templatePath = file('waiter.json', template);
    const ok = await gennaker('template', 'plan', file('waiter-config.json', templated('spinnaker://waiter', { variables: { seconds: 7 } })), '--template', templatePath);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.data).stages[0].waitTime).toBe(7);
    const missing = await gennaker('template', 'plan', file('waiter-missing.json', templated('spinnaker://waiter')), '--template', templatePath);
    expect(missing.code).toBe(1);
    expect(missing.text).toContain('missing variable values for: seconds');
  });

  it('refuses to delete a template a saved pipeline references, then deletes it once that is gone', async () => {
    const template = { schema: 'v2', id: 'short', variables: [], pipeline: { stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 0 }] } };
    expect((await gennaker('template', 'save', '-f', file('short.json', template))).code).toBe(0);
    expect((await gennaker('pipeline', 'save', '-f', file('short-config.json', templated('spinnaker://short', { application: 'shortapp', name: 'short' })))).code).toBe(0);
    const refused = await gennaker('template', 'delete', 'short');
    expect(refused.code).toBe(1);
    expect(refused.text).toContain('shortapp/short');
    expect((await gennaker('template', 'delete', 'short', '--tag', 'latest')).code).toBe(0);
    expect((await gennaker('template', 'get', 'short', '--tag', 'latest')).code).toBe(1);
  });

  it('answers a wrong command line with usage and exit 2', async () => {
    expect((await gennaker('template', 'plan')).code).toBe(2);
    expect((await gennaker('template', 'from-pipeline', SOURCE, 'bad id')).code).toBe(2);
    expect((await gennaker('template', 'frobnicate')).code).toBe(2);
  });
});
