/**
 * A manual start through the Gate-compatible API carries artifacts as Gate does
 * (`POST /pipelines/{app}/{name}` with `{type: "manual", artifacts: [...]}`, or as a trigger
 * with its `expectedArtifactIds`): they bind the pipeline's expected artifacts, and a start that
 * leaves a required one unbound is answered 400 with Orca's message and creates nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../local/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-api-artifacts-'));
let server: LocalServer;
let headers: Record<string, string>;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, body: await response.json() };
}

const image = { type: 'docker/image', name: 'gcr.io/acme/app', version: 'v3', reference: 'gcr.io/acme/app:v3' };

beforeAll(async () => {
  server = await startLocalServer({ dir, port: 0 });
  headers = { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}`, 'content-type': 'application/json' };
  const saved = await call('POST', '/pipelines', {
    application: 'gate',
    name: 'Deploy image',
    expectedArtifacts: [{ id: 'img', matchArtifact: { type: 'docker/image', name: 'gcr.io/acme/app' }, usePriorArtifact: false }],
    triggers: [{ type: 'pubsub', pubsubSystem: 'google', subscriptionName: 'gcr', expectedArtifactIds: ['img'] }],
    stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }],
  });
  expect(saved.status).toBeLessThan(300);
});

afterAll(async () => {
  await server.runtime.idle();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('starting with artifacts through the API', () => {
  it("binds the artifacts of a start that names the trigger's expected artifacts", async () => {
    const started = await call('POST', '/pipelines/gate/Deploy image', { type: 'pubsub', expectedArtifactIds: ['img'], artifacts: [image] });
    expect(started.status).toBe(202);
    const execution = await call('GET', started.body.ref);
    expect(execution.body.trigger.resolvedExpectedArtifacts).toEqual([expect.objectContaining({ id: 'img', boundArtifact: image })]);
  });

  it('answers 400 with Orca\'s message when a required artifact is missing, and starts nothing', async () => {
    const before = (await call('GET', '/applications/gate/pipelines')).body.length;
    const refused = await call('POST', '/pipelines/gate/Deploy image', { trigger: { type: 'pubsub', expectedArtifactIds: ['img'] }, artifacts: [] });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("Unmatched expected artifact 'img' could not be resolved: pipeline 'Deploy image' expects docker/image gcr.io/acme/app, and the trigger brought no artifact");
    expect((await call('GET', '/applications/gate/pipelines')).body).toHaveLength(before);
  });

  it('answers 400 naming the field when artifacts is not a list of objects', async () => {
    const refused = await call('POST', '/pipelines/gate/Deploy image', { type: 'manual', artifacts: 'gcr.io/acme/app:v3' });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("'artifacts' is 'gcr.io/acme/app:v3'; send a list of artifact objects");
  });
});
