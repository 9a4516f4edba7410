/**
 * Spinnaker's Kubernetes manifest stages against a cluster: each stage's tasks driven as the stage
 * runner drives them (test/support/stage-driver.ts), through the real adapter and client-node over
 * HTTP to the Kubernetes simulator, whose clock moves only when a task asks to wait. What each
 * stage did is read back from the simulator: its objects, its call log (how many writes, which),
 * and its serving log (which pods each Service selected). For every task that writes: delivered
 * twice at once it writes once; an API-server refusal (422, 403, 409) fails the stage with the
 * server's reason on one line and writes nothing more; a 429 or 500 is retried.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactAccounts } from '../../adapters/artifacts/artifact-accounts.ts';
import { createHttpArtifactAccount } from '../../adapters/artifacts/http-artifact-account.ts';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { createFetchHttpClient } from '../../adapters/http/fetch-http-client.ts';
import type { Account } from '../../core/ports/accounts.ts';
import { createLocalRuntime } from '../../local/wiring.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { createLocalRun } from '../support/local-run.ts';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { KubernetesObject } from '../../core/ports/manifests.ts';
import { runManifestTask, type ManifestStageDeps } from '../../core/stages/manifest.ts';
import type { TaskInput } from '../../core/stages/task-result.ts';
import type { MemoryClock } from '../../adapters/targets/memory/memory-target.ts';
import type { KubernetesCall } from '../../sandbox/kubernetes/server.ts';
import { driveStage, type DriveOptions, type DriveResult } from '../support/stage-driver.ts';
import { startKubernetesWorld, type KubernetesWorld } from '../support/kubernetes-world.ts';

let world: KubernetesWorld;
let clock: MemoryClock;
let deps: ManifestStageDeps;

beforeEach(async () => {
  world = await startKubernetesWorld();
  // The stages wait on the simulator's clock: a RUNNING answer ticks it.
  clock = { now: () => world.sim.now(), advance: (ms) => void world.sim.tick(ms) };
  deps = { targets: ({ account }) => (account === 'k8s' ? world.target : undefined), accounts: () => ['k8s'] };
});

afterEach(async () => {
  await world?.close();
});

const run = (input: TaskInput) => runManifestTask(input as Parameters<typeof runManifestTask>[0], deps);
const drive = (stage: JsonObject, options: DriveOptions = {}): Promise<DriveResult> => driveStage(stage, run, clock, options);

const coordinates = { account: 'k8s', cloudProvider: 'kubernetes', location: 'default' };

/** The calls since `seq` that change something (the simulator answered them, not an injected fault). */
function writesSince(seq: number): KubernetesCall[] {
  return world.sim.calls().filter((call) => call.seq > seq && call.method !== 'GET' && call.injected !== true);
}
const lastSeq = () => world.sim.calls().at(-1)?.seq ?? 0;

async function read(kind: string, name: string): Promise<KubernetesObject> {
  const found = await world.manifests.get({ account: 'k8s', namespace: 'default', kind, name });
  if (!found.ok || found.value === undefined) throw new Error(`${kind} ${name} is not there: ${JSON.stringify(found)}`);
  return found.value;
}
const metadataOf = (object: KubernetesObject) => object['metadata'] as { resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> };
const specOf = (object: KubernetesObject) => object['spec'] as Record<string, unknown> & { replicas?: number; paused?: boolean; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: Array<{ image: string; env?: unknown[] }> } } };

const deployment = (image = 'registry.example/web:1'): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } } },
});

/** A Deployment `web` rolled out at the given images, one revision each. */
async function rolledOut(...images: string[]): Promise<void> {
  world.sim.seed([deployment(images[0])]);
  world.sim.tick(10_000);
  for (const image of images.slice(1)) {
    const patched = await world.manifests.patch({ account: 'k8s', namespace: 'default', kind: 'Deployment', name: 'web' }, 'json', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }], { owner: 'test' });
    expect(patched.ok).toBe(true);
    world.sim.tick(10_000);
  }
}

/** The images of the pods now, sorted. */
const podImages = () => world.sim.describe().namespaces.find((namespace) => namespace.name === 'default')!.pods.filter((pod) => !pod.terminating).flatMap((pod) => pod.images).sort();

/** Refusals an API server answers with, and how they read. */
const REFUSALS = [
  { status: 422, reason: 'Invalid', message: 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' },
  { status: 403, reason: 'Forbidden', message: 'deployments.apps "web" is forbidden: User "deployer" cannot patch resource "deployments" in API group "apps" in the namespace "default"' },
  { status: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again' },
] as const;

/** A stage's failure as one line carrying the server's reason. */
function expectRefusedWith(result: DriveResult, refusal: (typeof REFUSALS)[number]): void {
  expect(result.status).toBe('TERMINAL');
  expect(result.message).not.toContain('\n');
  expect(result.message).toContain(`${refusal.status} ${refusal.reason}`);
  expect(result.message).toContain(refusal.message.slice(0, 60));
}

describe('scaleManifest', () => {
  it('scales a Deployment to "0" through /scale and waits until it is stable', async () => {
    await rolledOut('registry.example/web:1');
    expect(podImages()).toHaveLength(2);
    const before = lastSeq();

    const result = await drive({ type: 'scaleManifest', ...coordinates, manifestName: 'deployment web', replicas: '0' });

    expect(result.status).toBe('SUCCEEDED');
    expect(writesSince(before).map((call) => `${call.method} ${call.path} ${call.contentType}`)).toEqual(['PATCH /apis/apps/v1/namespaces/default/deployments/web/scale application/merge-patch+json']);
    expect(specOf(await read('Deployment', 'web')).replicas).toBe(0);
    expect(podImages()).toEqual([]);
    expect(result.record.outputs).toMatchObject({ stableManifests: [{ manifestName: 'deployment web', location: 'default' }] });
  });

  it('waits for the new replicas to be Ready before it succeeds', async () => {
    await rolledOut('registry.example/web:1');
    const started = world.sim.now();
    const result = await drive({ type: 'scaleManifest', ...coordinates, manifestName: 'deployment web', replicas: 4 });
    expect(result.status).toBe('SUCCEEDED');
    const web = await read('Deployment', 'web');
    expect(web['status']).toMatchObject({ replicas: 4, readyReplicas: 4, availableReplicas: 4 });
    // it waited on the simulator's clock (pods turn Ready 2 s after they start)
    expect(world.sim.now() - started).toBeGreaterThanOrEqual(2_000);
  });

  it('scales the second newest ReplicaSet of a moniker cluster to "0": its pods leave the Service', async () => {
    await replicaSetCluster();
    const result = await drive({ type: 'scaleManifest', ...coordinates, app: 'shop', mode: 'dynamic', cluster: 'replicaSet web', kind: 'replicaSet', criteria: 'second_newest', replicas: '0' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.context.manifestName).toBe('replicaSet web-v001');
    expect(servedVersions()).toEqual(['v000', 'v002']);
    expect(world.sim.describe().namespaces.find((namespace) => namespace.name === 'default')!.pods.filter((pod) => pod.name.startsWith('web-v001'))).toEqual([]);
  });
});

const patchRef = { ...coordinates, manifestName: 'deployment web' };
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('patchManifest', () => {
  it('patches with a strategic merge patch, records the change cause, and waits until the rollout is stable', async () => {
    await rolledOut('registry.example/web:1');
    const before = lastSeq();
    const result = await drive({ type: 'patchManifest', ...patchRef, patchBody: [{ spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example/web:2' }] } } } }] });
    expect(result.status).toBe('SUCCEEDED');
    expect(writesSince(before).map((call) => call.contentType)).toEqual(['application/strategic-merge-patch+json', 'application/merge-patch+json']);
    const web = await read('Deployment', 'web');
    expect(specOf(web).template.spec.containers).toEqual([expect.objectContaining({ name: 'web', image: 'registry.example/web:2' })]);
    expect(metadataOf(web).annotations?.['kubernetes.io/change-cause']).toContain('strategic patch');
    // stable means every pod runs the new image
    expect(podImages()).toEqual(['registry.example/web:2', 'registry.example/web:2']);
    expect(result.record.outputs['outputs.manifests']).toEqual([expect.objectContaining({ kind: 'Deployment', metadata: expect.objectContaining({ name: 'web' }) })]);
  });

  it('patches with a JSON merge patch (null deletes)', async () => {
    await rolledOut('registry.example/web:1');
    await world.manifests.patch({ account: 'k8s', namespace: 'default', kind: 'Deployment', name: 'web' }, 'merge', { metadata: { labels: { old: 'yes' } } }, { owner: 'test' });
    const result = await drive({ type: 'patchManifest', ...patchRef, options: { mergeStrategy: 'merge', record: false }, patchBody: { metadata: { labels: { old: null, tier: 'frontend' } }, spec: { replicas: 3 } } });
    expect(result.status).toBe('SUCCEEDED');
    const web = await read('Deployment', 'web');
    expect(metadataOf(web).labels).toEqual({ tier: 'frontend' });
    expect(web['status']).toMatchObject({ replicas: 3, availableReplicas: 3 });
  });

  it('appends with a JSON patch once, even delivered twice at once', async () => {
    await rolledOut('registry.example/web:1');
    const before = lastSeq();
    const stage = { type: 'patchManifest', ...patchRef, options: { mergeStrategy: 'json', record: false }, patchBody: [{ op: 'add', path: '/metadata/finalizers/-', value: 'example.com/keep' }] };
    await world.manifests.patch({ account: 'k8s', namespace: 'default', kind: 'Deployment', name: 'web' }, 'merge', { metadata: { finalizers: ['example.com/first'] } }, { owner: 'test' });
    const result = await drive(stage, { twice: true });
    expect(result.status).toBe('SUCCEEDED');
    expect((metadataOf(await read('Deployment', 'web')) as { finalizers?: string[] }).finalizers).toEqual(['example.com/first', 'example.com/keep']);
    expect(writesSince(before).filter((call) => call.contentType === 'application/json-patch+json')).toHaveLength(1);
  });

  it('appends with a JSON patch once when a 500 is retried while the rollout moves the object\'s status on', async () => {
    world.sim.seed([deployment('registry.example/web:1')]);
    // mid-rollout: its pods turn Ready at 2 s, during the retry's wait, and the controllers write the Deployment's status
    world.sim.tick(1_500);
    await world.manifests.patch({ account: 'k8s', namespace: 'default', kind: 'Deployment', name: 'web' }, 'merge', { metadata: { finalizers: ['example.com/first'] } }, { owner: 'test' });
    world.sim.failNext(1, { status: 500, reason: 'InternalError', message: 'etcdserver: request timed out', method: 'PATCH' });
    const result = await drive({ type: 'patchManifest', ...patchRef, options: { mergeStrategy: 'json', record: false }, patchBody: [{ op: 'add', path: '/metadata/finalizers/-', value: 'example.com/keep' }] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toEqual(['Gennaker.TargetUnavailable']);
    expect((metadataOf(await read('Deployment', 'web')) as { finalizers?: string[] }).finalizers).toEqual(['example.com/first', 'example.com/keep']);
  });

  it('fails with the server\'s reason when a JSON patch test does not hold, and changes nothing', async () => {
    await rolledOut('registry.example/web:1');
    const version = metadataOf(await read('Deployment', 'web')).resourceVersion;
    const result = await drive({ type: 'patchManifest', ...patchRef, options: { mergeStrategy: 'json' }, patchBody: [{ op: 'test', path: '/spec/replicas', value: 7 }, { op: 'replace', path: '/spec/replicas', value: 1 }] });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/^stage 'Stage': patching deployment web \(json patch\) failed: .*422 Invalid: .*test/);
    expect(result.message).not.toContain('\n');
    expect(metadataOf(await read('Deployment', 'web')).resourceVersion).toBe(version);
  });

  it.each([
    ['bound from the trigger by manifestArtifactId', { manifestArtifactId: 'patch' }],
    ['written inline as manifestArtifact', { manifestArtifact: { type: 'embedded/base64', name: 'patch.yml', reference: base64('spec:\n  replicas: 3\n') } }],
  ])('patches from an embedded/base64 artifact %s', async (_how, fields) => {
    await rolledOut('registry.example/web:1');
    const trigger = { type: 'manual', user: 'anna', resolvedExpectedArtifacts: [{ id: 'patch', boundArtifact: { type: 'embedded/base64', name: 'patch.yml', reference: base64('spec:\n  replicas: 3\n') } }] };
    const result = await drive({ type: 'patchManifest', ...patchRef, source: 'artifact', ...fields }, { trigger });
    expect(result.status).toBe('SUCCEEDED');
    expect(specOf(await read('Deployment', 'web')).replicas).toBe(3);
  });
});

describe('waitForManifestToStabilize', () => {
  it('fails the stage on one line when a rollout passes its progress deadline', async () => {
    world.sim.setImageBehaviour('registry.example/web:broken', { neverReady: true });
    await rolledOut('registry.example/web:1');
    await world.manifests.patch({ account: 'k8s', namespace: 'default', kind: 'Deployment', name: 'web' }, 'merge', { spec: { progressDeadlineSeconds: 60 } }, { owner: 'test' });
    const result = await drive({ type: 'patchManifest', ...patchRef, options: { mergeStrategy: 'json', record: false }, patchBody: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example/web:broken' }] });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).not.toContain('\n');
    expect(result.message).toMatch(/^stage 'Stage': 'deployment web' in 'default' for account k8s: .*progress deadline/i);
    // the old pods kept serving
    expect(podImages().filter((image) => image === 'registry.example/web:1').length).toBeGreaterThanOrEqual(1);
  });

  it('fails after 30 minutes on one line naming the object that never settled and why (a ReplicaSet has no progress deadline)', async () => {
    world.sim.setImageBehaviour('registry.example/web:broken', { neverReady: true });
    world.sim.seed([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-v000', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:broken' }] } } } }]);
    const started = world.sim.now();
    const result = await drive({ type: 'scaleManifest', ...coordinates, manifestName: 'replicaSet web-v000', replicas: 2 });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).not.toContain('\n');
    expect(result.message).toMatch(/^stage 'Stage': the manifests did not become stable within 30 minutes: 'replicaSet web-v000' in 'default' for account k8s: \S/);
    expect(world.sim.now() - started).toBeGreaterThanOrEqual(30 * 60 * 1000);
  });
});

describe('undoRolloutManifest', () => {
  it.each([
    [1, 'registry.example/web:2'],
    [2, 'registry.example/web:1'],
  ])('rolls a Deployment with 3 revisions back %s revision(s), to %s, and waits for the rollout', async (numRevisionsBack, image) => {
    await rolledOut('registry.example/web:1', 'registry.example/web:2', 'registry.example/web:3');
    expect(podImages()).toEqual(['registry.example/web:3', 'registry.example/web:3']);
    const before = lastSeq();
    const result = await drive({ type: 'undoRolloutManifest', ...patchRef, numRevisionsBack });
    expect(result.status).toBe('SUCCEEDED');
    expect(writesSince(before).map((call) => `${call.method} ${call.path}`)).toEqual(['PATCH /apis/apps/v1/namespaces/default/deployments/web']);
    expect(specOf(await read('Deployment', 'web')).template.spec.containers[0]!.image).toBe(image);
    expect(podImages()).toEqual([image, image]);
    // the revision rolled back to is the newest now (the controller reused its ReplicaSet)
    expect(metadataOf(await read('Deployment', 'web')).annotations?.['deployment.kubernetes.io/revision']).toBe('4');
  });

  it('fails when there is nothing to roll back to, naming the revisions there are', async () => {
    await rolledOut('registry.example/web:1');
    const before = lastSeq();
    const result = await drive({ type: 'undoRolloutManifest', ...patchRef, numRevisionsBack: 1 });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe("stage 'Stage': nothing to roll back to: There are 1 revision(s) in total, cannot rollback 1 of deployment web; lower numRevisionsBack, or deploy more revisions first");
    expect(writesSince(before)).toEqual([]);
  });
});

/** A Service `web` (selector frontedBy=web) and a moniker cluster `replicaSet web` of web-v000..v002, each behind it when `enabled`. */
async function replicaSetCluster(enabled: readonly boolean[] = [true, true, true]): Promise<void> {
  world.sim.seed([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { frontedBy: 'web' }, ports: [{ port: 80 }] } }]);
  for (const [sequence, behind] of enabled.entries()) {
    const version = `v00${sequence}`;
    world.sim.seed([
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `web-${version}`,
          namespace: 'default',
          annotations: {
            'moniker.spinnaker.io/application': 'shop',
            'moniker.spinnaker.io/cluster': 'replicaSet web',
            'moniker.spinnaker.io/sequence': String(sequence),
            'artifact.spinnaker.io/type': 'kubernetes/replicaSet',
            'artifact.spinnaker.io/name': 'web',
            'artifact.spinnaker.io/location': 'default',
            'artifact.spinnaker.io/version': version,
            'traffic.spinnaker.io/load-balancers': '["service web"]',
          },
          labels: { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/managed-by': 'spinnaker' },
        },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web', version } },
          template: { metadata: { labels: { app: 'web', version, ...(behind ? { frontedBy: 'web' } : {}) } }, spec: { containers: [{ name: 'web', image: `registry.example/web:${sequence}` }] } },
        },
      },
    ]);
    world.sim.tick(1_000);
  }
  world.sim.tick(5_000);
}

/** The versions of the Ready pods the Service selects now, from the simulator's serving log. */
function servedVersions(): string[] {
  const last = world.sim.servingLog().filter((entry) => entry.service === 'web').at(-1);
  return [...new Set((last?.ready ?? []).map((pod) => pod.replace(/^web-(v\d{3})-.*$/, '$1')))].sort();
}

const serviceWrites = (since: number) => writesSince(since).filter((call) => call.path.includes('/services'));

describe('enableManifest and disableManifest', () => {
  it('disables the second newest ReplicaSet of the moniker cluster, then enables it, never writing the Service', async () => {
    await replicaSetCluster();
    expect(servedVersions()).toEqual(['v000', 'v001', 'v002']);
    const before = lastSeq();
    const dynamic = { ...coordinates, app: 'shop', mode: 'dynamic', cluster: 'replicaSet web', kind: 'replicaSet', criteria: 'second_newest', manifestName: ' ' };

    const disabled = await drive({ type: 'disableManifest', ...dynamic });
    expect(disabled.status).toBe('SUCCEEDED');
    expect(disabled.record.context.manifestName).toBe('replicaSet web-v001');
    expect(servedVersions()).toEqual(['v000', 'v002']);
    expect(specOf(await read('ReplicaSet', 'web-v001')).template.metadata.labels).toEqual({ app: 'web', version: 'v001' });

    const enabled = await drive({ type: 'enableManifest', ...dynamic });
    expect(enabled.status).toBe('SUCCEEDED');
    expect(servedVersions()).toEqual(['v000', 'v001', 'v002']);
    expect(serviceWrites(before)).toEqual([]);
    // one template patch and one patch per pod each way
    expect(writesSince(before).map((call) => `${call.method} ${call.path.replace(/-[a-z0-9]{5}$/, '-*')} ${call.contentType}`)).toEqual([
      'PATCH /apis/apps/v1/namespaces/default/replicasets/web-v001 application/json-patch+json',
      'PATCH /api/v1/namespaces/default/pods/web-v001-* application/json-patch+json',
      'PATCH /api/v1/namespaces/default/pods/web-v001-* application/json-patch+json',
      'PATCH /apis/apps/v1/namespaces/default/replicasets/web-v001 application/json-patch+json',
      'PATCH /api/v1/namespaces/default/pods/web-v001-* application/json-patch+json',
      'PATCH /api/v1/namespaces/default/pods/web-v001-* application/json-patch+json',
    ]);
  });

  it('disables a ReplicaSet named statically; the Service keeps selecting a Ready pod at every instant', async () => {
    await replicaSetCluster([true, true]);
    const logged = world.sim.servingLog().length;
    const result = await drive({ type: 'disableManifest', ...coordinates, manifestName: 'replicaSet web-v000' });
    expect(result.status).toBe('SUCCEEDED');
    expect(servedVersions()).toEqual(['v001']);
    const after = world.sim.servingLog().slice(logged).filter((entry) => entry.service === 'web');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((entry) => entry.ready.length >= 2)).toBe(true);
  });

  it('fails naming the cluster when second_newest finds one object only', async () => {
    await replicaSetCluster([true]);
    const result = await drive({ type: 'disableManifest', ...coordinates, mode: 'dynamic', cluster: 'replicaSet web', criteria: 'second_newest' });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toContain("no manifest could be found matching cluster 'replicaSet web', criteria second_newest, in namespace 'default': the cluster holds only web-v000");
  });
});

describe('findArtifactsFromResource', () => {
  it('outputs the images of a live Deployment as docker/image artifacts', async () => {
    await rolledOut('registry.example/web:1');
    const before = lastSeq();
    const result = await drive({ type: 'findArtifactsFromResource', ...patchRef });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs['artifacts']).toEqual([expect.objectContaining({ type: 'docker/image', name: 'registry.example/web', reference: 'registry.example/web:1' })]);
    expect(result.record.outputs['manifest']).toMatchObject({ kind: 'Deployment', metadata: { name: 'web' } });
    expect(writesSince(before)).toEqual([]);
  });

  it('fails with Orca\'s message when the object is not there', async () => {
    const result = await drive({ type: 'findArtifactsFromResource', ...coordinates, manifestName: 'deployment nope' });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe("stage 'Stage': Manifest deployment nope not found in default; deploy it first, or fix manifestName and location");
  });
});

const job = (image: string, name = 'migrate'): JsonObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image }] } } },
});

describe('runJobManifest', () => {
  it('runs a Job to success and outputs its log and its SPINNAKER_PROPERTY_ lines', async () => {
    world.sim.setImageBehaviour('registry.example/migrate:*', { runsForMs: 30_000, log: 'migrating\nSPINNAKER_PROPERTY_SCHEMA_VERSION=42\nSPINNAKER_CONFIG_JSON={"tables": 7}\ndone\n' });
    const before = lastSeq();
    const result = await drive({ type: 'runJobManifest', account: 'k8s', cloudProvider: 'kubernetes', application: 'shop', manifest: job('registry.example/migrate:1'), propertyFile: 'main' });
    expect(result.status).toBe('SUCCEEDED');
    const writes = writesSince(before);
    expect(writes.map((call) => `${call.method} ${call.path}`)).toEqual(['POST /apis/batch/v1/namespaces/default/jobs']);
    expect(result.record.outputs).toMatchObject({
      schema_version: '42',
      tables: 7,
      propertyFileContents: { schema_version: '42', tables: 7 },
      completionDetails: { exitCode: '0' },
      jobStatus: { jobState: 'Succeeded', location: 'default' },
    });
    expect(result.record.outputs['logs']).toContain('migrating');
    const name = String(result.record.outputs['jobName']);
    expect(name).toMatch(/^migrate-[a-z0-9]{5}$/);
    expect(metadataOf(await read('Job', name)).annotations).toMatchObject({ 'moniker.spinnaker.io/application': 'shop' });
  });

  it('fails on one line naming the Job and its pods when it outlasts the stage, instead of running out of polls', async () => {
    world.sim.setImageBehaviour('registry.example/migrate:*', { runsForMs: 48 * 3600_000 });
    const result = await drive({ type: 'runJobManifest', account: 'k8s', manifest: job('registry.example/migrate:1') });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).not.toContain('\n');
    expect(result.message).toMatch(/^stage 'Stage': Job 'migrate-[a-z0-9]{5}' is still running after \d+ s \(pods: migrate-\S+ Running\), the longest this stage waits; set the Job's spec.activeDeadlineSeconds/);
  });

  it('runs runJob with cloudProvider kubernetes the same way', async () => {
    world.sim.setImageBehaviour('registry.example/migrate:*', { log: 'ok\n' });
    const result = await drive({ type: 'runJob', account: 'k8s', cloudProvider: 'kubernetes', manifest: job('registry.example/migrate:1') });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs).toMatchObject({ logs: 'ok\n', jobStatus: { jobState: 'Succeeded' } });
  });

  it('fails the stage with the Job\'s reason and the container\'s exit code on one line', async () => {
    world.sim.setImageBehaviour('registry.example/migrate:*', { exitCode: 3, log: 'relation "users" does not exist\n' });
    const result = await drive({ type: 'runJobManifest', account: 'k8s', manifest: job('registry.example/migrate:1') });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).not.toContain('\n');
    expect(result.message).toMatch(/^stage 'Stage': Job: 'migrate-[a-z0-9]{5}' failed\. Reason: BackoffLimitExceeded\. .*exited with code: 3/);
    expect(result.record.context['logs']).toContain('relation "users" does not exist');
  });
});

describe('rollingRestartManifest, pauseRolloutManifest and resumeRolloutManifest', () => {
  it('restarts a Deployment: a new ReplicaSet with the same image', async () => {
    await rolledOut('registry.example/web:1');
    const pods = world.sim.describe().namespaces.find((namespace) => namespace.name === 'default')!.pods.map((pod) => pod.name);
    const result = await drive({ type: 'rollingRestartManifest', ...patchRef });
    expect(result.status).toBe('SUCCEEDED');
    expect(specOf(await read('Deployment', 'web')).template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(new Date(world.sim.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    world.sim.tick(30_000);
    const after = world.sim.describe().namespaces.find((namespace) => namespace.name === 'default')!.pods.filter((pod) => !pod.terminating);
    expect(after.map((pod) => pod.images[0])).toEqual(['registry.example/web:1', 'registry.example/web:1']);
    expect(after.some((pod) => pods.includes(pod.name))).toBe(false);
  });

  it('pauses a rollout (a new template rolls out nothing), then resumes it and waits until it is stable', async () => {
    await rolledOut('registry.example/web:1');
    const paused = await drive({ type: 'pauseRolloutManifest', ...patchRef });
    expect(paused.status).toBe('SUCCEEDED');
    expect(specOf(await read('Deployment', 'web')).paused).toBe(true);
    await world.manifests.patch({ account: 'k8s', namespace: 'default', kind: 'Deployment', name: 'web' }, 'json', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example/web:2' }], { owner: 'test' });
    world.sim.tick(30_000);
    expect(podImages()).toEqual(['registry.example/web:1', 'registry.example/web:1']);

    const resumed = await drive({ type: 'resumeRolloutManifest', ...patchRef });
    expect(resumed.status).toBe('SUCCEEDED');
    expect(specOf(await read('Deployment', 'web')).paused).toBeFalsy();
    expect(podImages()).toEqual(['registry.example/web:2', 'registry.example/web:2']);
  });
});

/** Every task that writes: how to set the cluster up, the stage, its writes, and how to tell it acted. */
interface Mutation {
  readonly name: string;
  readonly setup: () => Promise<void>;
  readonly stage: JsonObject;
  /** The method of its first write (where a fault is injected). */
  readonly method: 'PATCH' | 'POST';
  /** How many writes it makes. */
  readonly writes: number;
  readonly acted: () => Promise<boolean>;
}

const threeRevisions = () => rolledOut('registry.example/web:1', 'registry.example/web:2', 'registry.example/web:3');
const webImage = async () => specOf(await read('Deployment', 'web')).template.spec.containers[0]!.image;
const templateLabels = async (name: string) => specOf(await read('ReplicaSet', name)).template.metadata.labels;

const MUTATIONS: readonly Mutation[] = [
  { name: 'scaleManifest', setup: () => rolledOut('registry.example/web:1'), stage: { type: 'scaleManifest', ...patchRef, replicas: 3 }, method: 'PATCH', writes: 1, acted: async () => specOf(await read('Deployment', 'web')).replicas === 3 },
  {
    name: 'patchManifest',
    setup: () => rolledOut('registry.example/web:1'),
    stage: { type: 'patchManifest', ...patchRef, patchBody: [{ metadata: { labels: { tier: 'frontend' } } }] },
    method: 'PATCH',
    writes: 2,
    acted: async () => metadataOf(await read('Deployment', 'web')).labels?.['tier'] === 'frontend',
  },
  { name: 'undoRolloutManifest', setup: threeRevisions, stage: { type: 'undoRolloutManifest', ...patchRef, numRevisionsBack: 1 }, method: 'PATCH', writes: 1, acted: async () => (await webImage()) === 'registry.example/web:2' },
  {
    name: 'disableManifest',
    setup: () => replicaSetCluster([true, true]),
    stage: { type: 'disableManifest', ...coordinates, manifestName: 'replicaSet web-v000' },
    method: 'PATCH',
    writes: 3,
    acted: async () => (await templateLabels('web-v000'))['frontedBy'] === undefined,
  },
  {
    name: 'enableManifest',
    setup: () => replicaSetCluster([false, true]),
    stage: { type: 'enableManifest', ...coordinates, manifestName: 'replicaSet web-v000' },
    method: 'PATCH',
    writes: 3,
    acted: async () => (await templateLabels('web-v000'))['frontedBy'] === 'web',
  },
  {
    name: 'rollingRestartManifest',
    setup: () => rolledOut('registry.example/web:1'),
    stage: { type: 'rollingRestartManifest', ...patchRef },
    method: 'PATCH',
    writes: 1,
    acted: async () => specOf(await read('Deployment', 'web')).template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] !== undefined,
  },
  { name: 'pauseRolloutManifest', setup: () => rolledOut('registry.example/web:1'), stage: { type: 'pauseRolloutManifest', ...patchRef }, method: 'PATCH', writes: 1, acted: async () => specOf(await read('Deployment', 'web')).paused === true },
  {
    name: 'resumeRolloutManifest',
    setup: async () => {
      await rolledOut('registry.example/web:1');
      await world.manifests.patch({ account: 'k8s', namespace: 'default', kind: 'Deployment', name: 'web' }, 'merge', { spec: { paused: true } }, { owner: 'test' });
    },
    stage: { type: 'resumeRolloutManifest', ...patchRef },
    method: 'PATCH',
    writes: 1,
    acted: async () => specOf(await read('Deployment', 'web')).paused !== true,
  },
  {
    name: 'runJobManifest',
    setup: async () => undefined,
    stage: { type: 'runJobManifest', account: 'k8s', manifest: job('registry.example/migrate:1') },
    method: 'POST',
    writes: 1,
    acted: async () => {
      const jobs = await world.manifests.list({ account: 'k8s', namespace: 'default', kind: 'Job' });
      return jobs.ok && jobs.value.length === 1;
    },
  },
];

describe.each(MUTATIONS)('$name against the API server', (mutation) => {
  it('writes once when every call is delivered twice at once', async () => {
    await mutation.setup();
    const before = lastSeq();
    const result = await drive(mutation.stage, { twice: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(writesSince(before)).toHaveLength(mutation.writes);
    expect(await mutation.acted()).toBe(true);
  });

  it('writes once when a call dies after acting and is delivered again', async () => {
    await mutation.setup();
    const before = lastSeq();
    // The first call that writes is the last step before any wait; losing every call's write once covers it.
    const result = await drive(mutation.stage, { loseWritesOf: [1, 2, 3] });
    expect(result.status).toBe('SUCCEEDED');
    expect(writesSince(before)).toHaveLength(mutation.writes);
  });

  it('fails on one line with the server\'s reason when it answers 422, 403 or 409, and writes nothing more', async () => {
    await mutation.setup();
    for (const refusal of REFUSALS) {
      const before = lastSeq();
      world.sim.failNext(1, { ...refusal, method: mutation.method });
      const result = await drive(mutation.stage);
      expectRefusedWith(result, refusal);
      expect(writesSince(before)).toEqual([]);
      expect(await mutation.acted()).toBe(false);
    }
  });

  it('retries a 429 and a 500 (the target unavailable), then acts once', async () => {
    await mutation.setup();
    const before = lastSeq();
    world.sim.failNext(1, { status: 429, reason: 'TooManyRequests', message: 'the server is busy', method: mutation.method });
    world.sim.failNext(1, { status: 500, reason: 'InternalError', message: 'etcdserver: leader changed', method: mutation.method });
    const result = await drive(mutation.stage);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toEqual(['Gennaker.TargetUnavailable', 'Gennaker.TargetUnavailable']);
    expect(writesSince(before)).toHaveLength(mutation.writes);
    expect(await mutation.acted()).toBe(true);
  });
});

describe('in whole pipelines, on the real stage runner', () => {
  let dynalite: Dynalite;
  let files: Server;
  let filesUrl: string;

  beforeAll(async () => {
    dynalite = await startDynalite();
    // An artifact server: the patch a pipeline reads through an http/file artifact account.
    files = createServer((request, response) => {
      if (request.url === '/patches/tier.yml') response.writeHead(200, { 'content-type': 'text/yaml' }).end('metadata:\n  labels:\n    tier: backend\n');
      else response.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => files?.close(resolve));
    await dynalite?.stop();
  });

  let pipelines = 0;
  const pipeline = (stages: JsonObject[]): JsonObject => ({ application: 'shop', name: `manifests ${(pipelines += 1)}`, stages });

  it('reads a patch from an http/file artifact through the runner\'s artifact accounts, and leaves a skipExpressionEvaluation body as written', async () => {
    await rolledOut('registry.example/web:1');
    let storeTime = 0;
    const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => (storeTime += 1) } });
    const artifactContent = createArtifactAccounts({ accounts: { 'web-files': createHttpArtifactAccount({ http: createFetchHttpClient({ allowlist: [filesUrl] }) }) } });
    const local = createLocalRun({ store, targets: deps.targets, clock, artifactContent, waitOverrideMs: 1 });
    const annotate = (refId: string, parents: string[], skip: boolean): JsonObject => ({
      refId,
      requisiteStageRefIds: parents,
      type: 'patchManifest',
      name: `Annotate ${refId}`,
      ...patchRef,
      skipExpressionEvaluation: skip,
      options: { mergeStrategy: 'merge', record: false },
      patchBody: { metadata: { annotations: { [`example.com/by-${refId}`]: '${trigger.user}' } } },
    });

    const finished = await local.run(
      pipeline([
        { refId: '1', type: 'patchManifest', name: 'Tier', ...patchRef, source: 'artifact', manifestArtifact: { type: 'http/file', reference: `${filesUrl}/patches/tier.yml`, artifactAccount: 'web-files' } },
        annotate('2', ['1'], true),
        annotate('3', ['2'], false),
      ]),
      { trigger: { type: 'manual', user: 'anna' } },
    );

    expect(finished.statuses).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED', 3: 'SUCCEEDED' });
    const web = metadataOf(await read('Deployment', 'web'));
    expect(web.labels).toMatchObject({ tier: 'backend' });
    expect(web.annotations).toMatchObject({ 'example.com/by-2': '${trigger.user}', 'example.com/by-3': 'anna' });
  });

  it('runs a Kubernetes Job whose manifest skipExpressionEvaluation keeps as written', async () => {
    world.sim.setImageBehaviour('registry.example/report:*', { log: 'done\n' });
    let storeTime = 0;
    const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => (storeTime += 1) } });
    const local = createLocalRun({ store, targets: deps.targets, clock, waitOverrideMs: 1 });
    const manifest = job('registry.example/report:1', 'report');
    const spec = manifest['spec'] as { template: { spec: { containers: JsonObject[] } } };
    spec.template.spec.containers[0] = { ...spec.template.spec.containers[0], args: ['echo', '${trigger.user}'] };

    const finished = await local.run(pipeline([{ refId: '1', type: 'runJob', name: 'Report', account: 'k8s', cloudProvider: 'kubernetes', skipExpressionEvaluation: true, manifest }]), { trigger: { type: 'manual', user: 'anna' } });

    expect(finished.statuses).toEqual({ 1: 'SUCCEEDED' });
    const jobs = await world.manifests.list({ account: 'k8s', namespace: 'default', kind: 'Job' });
    const args = jobs.ok ? (jobs.value[0]?.['spec'] as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec.containers[0]!.args : [];
    expect(args).toEqual(['echo', '${trigger.user}']);
  });

  it('starts a runJob on a Kubernetes account where no local job runner is configured, and still refuses a local one', async () => {
    const accounts: Account[] = [{ name: 'k8s', cloudProvider: 'kubernetes', accountType: 'k8s', environment: 'k8s', regions: ['default'] }];
    const runtime = await createLocalRuntime({ retryDelayMs: 1, accounts, cloudTargets: deps.targets });
    try {
      const caller = { user: 'anna', roles: [] };
      const save = async (stage: JsonObject) => {
        const saved = await runtime.service.savePipeline({ config: pipeline([{ refId: '1', name: 'Job', ...stage }]) }, caller);
        if (!saved.ok) throw new Error(JSON.stringify(saved));
        return saved.saved.id;
      };
      const kubernetes = await save({ type: 'runJob', account: 'k8s', cloudProvider: 'kubernetes', manifest: job('registry.example/migrate:1') });
      const localJob = await save({ type: 'runJob', account: 'k8s', cloudProvider: 'local', command: ['true'] });

      const started = await runtime.service.startPipeline({ application: 'shop', pipeline: kubernetes, trigger: { type: 'manual' } }, caller);
      const refused = await runtime.service.startPipeline({ application: 'shop', pipeline: localJob, trigger: { type: 'manual' } }, caller);

      expect(started).toMatchObject({ ok: true, status: 'RUNNING' });
      expect(refused).toMatchObject({ ok: false, reason: 'invalid' });
      if (!refused.ok) expect(refused.message).toContain("'Job' (refId 1, type runJob)");
      // the runner created the Job on the cluster
      for (let polls = 0; world.sim.calls().every((call) => call.method !== 'POST'); polls += 1) {
        if (polls > 500) throw new Error('the runJob task never created its Job');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(world.sim.calls().filter((call) => call.method === 'POST').map((call) => call.path)).toEqual(['/apis/batch/v1/namespaces/default/jobs']);
    } finally {
      await runtime.close();
    }
  });
});
