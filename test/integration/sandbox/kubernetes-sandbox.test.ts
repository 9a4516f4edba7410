/**
 * `--sandbox` on Kubernetes: the blue/green conformance pipeline's accounts are served by the
 * Kubernetes target over a kubeconfig pointing at the simulator, and what it assumes is seeded as
 * Spinnaker would have left it (the Service its annotation names, the previous ReplicaSet behind
 * it); the description and the call counts read the simulated cluster.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLines } from '../../../local/sandbox/describe.ts';
import { callKey } from '../../../local/sandbox/kubernetes-sandbox.ts';
import { startSandbox, type Sandbox } from '../../../local/sandbox/sandbox.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

const bluegreen = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_pipeline.json'), 'utf8')) as unknown;
const account = 'my-kubernetes-account';

describe('the Kubernetes sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ speed: 100 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('serves the account and seeds the Service and the previous version the pipeline assumes, once', async () => {
    const served = await sandbox.serve([bluegreen], { hellotag: 'v2' });
    expect(served.accounts).toEqual([expect.objectContaining({ name: account, cloudProvider: 'kubernetes', regions: ['default'] })]);
    expect(served.seeded.map((resource) => `${resource.kind} ${resource.id}`)).toEqual(['service default/hellosvc', 'replicaSet default/helloworld-v000']);
    // The previous version runs the image before the run's, Ready, and the Service selects its pods.
    expect(sandbox.describeWorkloads()).toEqual([
      { account, namespace: 'default', kind: 'ReplicaSet', name: 'helloworld-v000', replicas: 3, ready: 3, serving: true, images: ['us-docker.pkg.dev/spinnaker-community/codelabs/helloworld:sandbox-previous'] },
    ]);
    const again = await sandbox.serve([bluegreen], { hellotag: 'v2' });
    expect(again.seeded).toEqual([]);
  });

  it('writes the previous version as Spinnaker would: moniker and artifact annotations, the load-balancer annotation, the selector label on the pods', async () => {
    const target = sandbox.targets({ account, cloudProvider: 'kubernetes' });
    const listed = await target!.manifests!.list({ account, namespace: 'default', kind: 'replicaSet' });
    if (!listed.ok) throw new Error(listed.message);
    const metadata = listed.value[0]!['metadata'] as { annotations: Record<string, string> };
    expect(metadata.annotations).toMatchObject({
      'moniker.spinnaker.io/application': 'helloworld',
      'moniker.spinnaker.io/cluster': 'replicaSet helloworld',
      'artifact.spinnaker.io/type': 'kubernetes/replicaSet',
      'artifact.spinnaker.io/version': 'v000',
      'traffic.spinnaker.io/load-balancers': '["service hellosvc"]',
    });
    const lines = describeLines(sandbox.describe());
    expect(lines).toContain('namespace default');
    expect(lines.some((line) => /service hellosvc \(frontedBy=hellosvc\)\s+selects 3 pods, 3 Ready/.test(line))).toBe(true);
  });

  it("serves the manifests a source: artifact deploy reads from its account, with the images it binds, and reads other artifacts through the runtime's own accounts", async () => {
    const staging = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_deploy-to-staging-pipeline.json'), 'utf8')) as unknown;
    const served = await sandbox.serve([staging]);
    expect(served.seeded.filter((resource) => resource.kind === 'artifact').map((resource) => resource.id)).toEqual([
      'gcs/object {%BUCKET_URI%}/manifests/frontend.yml',
      'gcs/object {%BUCKET_URI%}/manifests/backend.yml',
    ]);
    expect(served.seeded.some((resource) => resource.kind === 'namespace' && resource.id === 'staging')).toBe(true);
    const fallback = { types: ['http/file'], fetch: async () => ({ ok: false as const, reason: 'not-found' as const, message: 'read by the runtime' }) };
    const content = sandbox.artifactContent(fallback);
    const frontend = await content.fetch({ type: 'gcs/object', reference: '{%BUCKET_URI%}/manifests/frontend.yml', artifactAccount: 'my-gcs-account' });
    if (!frontend.ok) throw new Error(frontend.message);
    expect(frontend.text).toContain('kind: Deployment');
    expect(frontend.text).toContain('namespace: staging');
    expect(frontend.text).toContain('image: gcr.io/{%PROJECT_ID%}/frontend');
    expect(await content.fetch({ type: 'http/file', reference: 'http://127.0.0.1:1/x', artifactAccount: 'http' })).toEqual({ ok: false, reason: 'not-found', message: 'read by the runtime' });
    expect(content.types).toEqual(expect.arrayContaining(['gcs/object', 'http/file']));
  });

  it('counts the calls since the last serve by method and resource', async () => {
    const before = sandbox.callCounts().filter((entry) => entry.call.startsWith('kubernetes:'));
    const target = sandbox.targets({ account, cloudProvider: 'kubernetes' });
    await target!.manifests!.get({ account, namespace: 'default', kind: 'replicaSet', name: 'helloworld-v000' });
    const after = sandbox.callCounts().filter((entry) => entry.call === 'kubernetes:GET replicasets');
    expect(after[0]!.count).toBe((before.find((entry) => entry.call === 'kubernetes:GET replicasets')?.count ?? 0) + 1);
    expect(callKey('PATCH', '/apis/apps/v1/namespaces/default/replicasets/web-v001/scale')).toBe('kubernetes:PATCH replicasets/scale');
    expect(callKey('GET', '/api/v1/namespaces/default/pods')).toBe('kubernetes:GET pods');
    expect(callKey('GET', '/api/v1/namespaces/default')).toBe('kubernetes:GET namespaces');
  });
});

describe('the Kubernetes sandbox, on first need', () => {
  it('starts no simulated cluster for pipelines that name no Kubernetes account, and starts one for the first that does', async () => {
    const sandbox = await startSandbox({ speed: 100 });
    try {
      const waitOnly = { application: 'hello', name: 'Wait', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 1 }] };
      const served = await sandbox.serve([waitOnly]);
      expect(served.accounts.filter((served) => served.cloudProvider === 'kubernetes')).toEqual([]);
      expect(sandbox.describe().kubernetes).toBeUndefined();
      expect(sandbox.targets({ account, cloudProvider: 'kubernetes' })).toBeUndefined();

      await sandbox.serve([bluegreen], { hellotag: 'v2' });
      expect(sandbox.describe().kubernetes).toBeDefined();
      expect(sandbox.targets({ account, cloudProvider: 'kubernetes' })).toBeDefined();
    } finally {
      await sandbox.close();
    }
  });
});
