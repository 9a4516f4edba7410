/**
 * deployManifest and deleteManifest driven task by task, as the stage runner drives them, through
 * the real Kubernetes target (client-node over HTTP) against the Kubernetes simulator: versions and
 * their reuse, Services attached by selector labels, red/black and highlander on the other
 * ReplicaSets (template and live pods), max-version-history, a stage delivered twice, a release
 * that never becomes Ready, a Deployment past its progress deadline, manifests from an artifact with
 * a bound Docker image, and deletes by name, by criteria and by label selector. Time is the
 * simulator's clock, moved by the waits the tasks ask for.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MemoryClock } from '../../adapters/targets/memory/memory-target.ts';
import { encodeBase64, encodeUtf8 } from '../../core/expressions/base64.ts';
import type { ManifestStage } from '../../core/pipeline/index.ts';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { KubernetesObject } from '../../core/ports/manifests.ts';
import type { TargetLookup } from '../../core/ports/target.ts';
import { syntheticStagesOf } from '../../core/execution/synthetic-stages.ts';
import { runManifestTask } from '../../core/stages/manifest.ts';
import type { TaskInput } from '../../core/stages/task-result.ts';
import { driveStage, type DriveOptions } from '../support/stage-driver.ts';
import { startKubernetesWorld, type KubernetesWorld } from '../support/kubernetes-world.ts';

let world: KubernetesWorld;
let clock: MemoryClock;
let targets: TargetLookup;

beforeEach(async () => {
  world = await startKubernetesWorld();
  clock = { now: () => world.sim.now(), advance: (ms: number) => void world.sim.tick(ms) };
  targets = ({ account }) => (account === 'k8s' ? world.target : undefined);
  world.sim.seed([
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-svc', namespace: 'default' }, spec: { selector: { frontedBy: 'web-svc' }, ports: [{ port: 80 }] } },
    // The ConfigMap the ReplicaSet below mounts when a test deploys it alone (its pods would wait for it, as the kubelet's do).
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'default' }, data: { greeting: 'hello' } },
  ]);
});

afterEach(async () => {
  await world?.close();
});

function drive(stage: JsonObject, options: DriveOptions & { trigger?: JsonObject; executionId?: string } = {}) {
  return driveStage(
    stage,
    (input) => {
      const given = {
        ...input,
        execution: { ...input.execution, ...(options.trigger ? { trigger: options.trigger } : {}), ...(options.executionId ? { id: options.executionId } : {}) },
      };
      return runManifestTask(given as TaskInput<ManifestStage>, { targets, accounts: () => ['k8s'] });
    },
    clock,
    options,
  );
}

const replicaSet = (image: string, annotations: Record<string, string> = {}): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', annotations },
  spec: {
    replicas: 2,
    selector: { matchLabels: { tier: 'web' } },
    template: { metadata: { labels: { tier: 'web' } }, spec: { containers: [{ name: 'web', image }], volumes: [{ name: 'cfg', configMap: { name: 'web-config' } }] } },
  },
});
const configMap: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { greeting: 'hello' } };

const deployStage = (manifests: unknown[], fields: JsonObject = {}): JsonObject => ({ type: 'deployManifest', account: 'k8s', cloudProvider: 'kubernetes', source: 'text', moniker: { app: 'hello' }, manifests, ...fields });
const redBlack = (strategy = 'redblack') => ({ trafficManagement: { enabled: true, options: { enableTraffic: true, services: ['service web-svc'], strategy } } });

async function list(kind: string, labelSelector?: string): Promise<KubernetesObject[]> {
  const listed = await world.manifests.list({ account: 'k8s', namespace: 'default', kind, ...(labelSelector ? { labelSelector } : {}) });
  if (!listed.ok) throw new Error(listed.message);
  return [...listed.value];
}
const names = (objects: readonly KubernetesObject[]) => objects.map((object) => (object['metadata'] as { name: string }).name).sort();
const templateLabels = (object: KubernetesObject | undefined) => ((object?.['spec'] as { template: { metadata: { labels: Record<string, string> } } } | undefined)?.template.metadata.labels ?? {});
const labels = (object: KubernetesObject) => ((object['metadata'] as { labels?: Record<string, string> }).labels ?? {});
const byName = async (kind: string, name: string) => (await list(kind)).find((object) => (object['metadata'] as { name: string }).name === name);

describe('deployManifest', () => {
  it('deploys a ConfigMap and a ReplicaSet as versions, binds the ConfigMap version, attaches the Service and waits until Ready', async () => {
    // when
    const result = await drive(deployStage([replicaSet('nginx:1', { 'traffic.spinnaker.io/load-balancers': '["service web-svc"]' }), configMap]));
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs['outputs.manifestNamesByNamespace']).toEqual({ default: ['configMap web-config-v000', 'replicaSet web-v000'] });
    expect(result.record.outputs['deploy.account.name']).toBe('k8s');
    expect((result.record.outputs['outputs.createdArtifacts'] as JsonObject[]).map((artifact) => artifact['reference'])).toEqual(['web-config-v000', 'web-v000']);
    const rs = await byName('ReplicaSet', 'web-v000');
    expect((rs?.['metadata'] as { annotations: Record<string, string> }).annotations).toMatchObject({ 'moniker.spinnaker.io/cluster': 'replicaSet web', 'artifact.spinnaker.io/version': 'v000' });
    expect(JSON.stringify(rs?.['spec'])).toContain('"name":"web-config-v000"');
    expect(templateLabels(rs)).toMatchObject({ tier: 'web', frontedBy: 'web-svc', 'moniker.spinnaker.io/sequence': '0', 'app.kubernetes.io/managed-by': 'spinnaker' });
    const pods = await list('Pod', 'frontedBy=web-svc');
    expect(pods).toHaveLength(2);
    expect(world.sim.servingLog().at(-1)).toMatchObject({ service: 'web-svc', ready: expect.arrayContaining([expect.stringMatching(/^web-v000-/)]) });
  });

  it('reuses the version of an identical redeploy, and makes the next one for a change', async () => {
    await drive(deployStage([replicaSet('nginx:1')]));
    const again = await drive(deployStage([replicaSet('nginx:1')]));
    expect(again.record.outputs['outputs.manifestNamesByNamespace']).toEqual({ default: ['replicaSet web-v000'] });
    const changed = await drive(deployStage([replicaSet('nginx:2')]));
    expect(changed.record.outputs['outputs.manifestNamesByNamespace']).toEqual({ default: ['replicaSet web-v001'] });
    expect(names(await list('ReplicaSet'))).toEqual(['web-v000', 'web-v001']);
  });

  it('makes one version when every task is delivered twice at once, or a call dies after acting', async () => {
    const twice = await drive(deployStage([replicaSet('nginx:1')]), { twice: true });
    expect(twice.status).toBe('SUCCEEDED');
    const crashed = await drive(deployStage([replicaSet('nginx:2')]), { loseWritesOf: [2] });
    expect(crashed.status).toBe('SUCCEEDED');
    expect(crashed.retried).toContain('lost');
    expect(names(await list('ReplicaSet'))).toEqual(['web-v000', 'web-v001']);
  });

  it('red/black: the new version receives traffic and the old one leaves the Service, template and pods, with a Ready pod selected throughout', async () => {
    // given v000 serving
    await drive(deployStage([replicaSet('nginx:1')], redBlack()));
    const servingFrom = world.sim.servingLog().length;
    // when
    const result = await drive(deployStage([replicaSet('nginx:2')], redBlack()));
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs['outputs.disabledManifests']).toEqual(['replicaSet web-v000']);
    // Orca's after-stage shows as a synthetic stage of the deploy
    expect(syntheticStagesOf({ ...result.record, status: 'SUCCEEDED' }).map((stage) => [stage.type, stage.context['manifestName'], stage.status, stage.syntheticStageOwner])).toEqual([
      ['disableManifest', 'replicaSet web-v000', 'SUCCEEDED', 'STAGE_AFTER'],
    ]);
    expect(templateLabels(await byName('ReplicaSet', 'web-v000'))['frontedBy']).toBeUndefined();
    expect(templateLabels(await byName('ReplicaSet', 'web-v001'))['frontedBy']).toBe('web-svc');
    const selected = await list('Pod', 'frontedBy=web-svc');
    expect(selected.length).toBe(2);
    expect(selected.every((pod) => labels(pod)['moniker.spinnaker.io/sequence'] === '1')).toBe(true);
    const after = world.sim.servingLog().slice(servingFrom).filter((record) => record.service === 'web-svc');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((record) => record.ready.length > 0)).toBe(true);
  });

  it('red/black deletes an old version that never became Ready instead of disabling it', async () => {
    world.sim.setImageBehaviour('broken:*', { neverReady: true });
    await drive(deployStage([replicaSet('broken:1')], { stageTimeoutMs: 60_000 }));
    const result = await drive(deployStage([replicaSet('nginx:2')], redBlack()));
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs['outputs.deletedUnstableManifests']).toEqual(['replicaSet web-v000']);
    expect(names(await list('ReplicaSet'))).toEqual(['web-v001']);
  });

  it('highlander: disables, then deletes, every other version of the cluster', async () => {
    await drive(deployStage([replicaSet('nginx:1')], redBlack()));
    await drive(deployStage([replicaSet('nginx:2')], redBlack()));
    const result = await drive(deployStage([replicaSet('nginx:3')], redBlack('highlander')));
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs['outputs.deletedOldManifests']).toEqual(['replicaSet web-v000', 'replicaSet web-v001']);
    expect(syntheticStagesOf({ ...result.record, status: 'SUCCEEDED' }).map((stage) => `${stage.type} ${String(stage.context['manifestName'])} ${stage.status}`)).toEqual([
      'disableManifest replicaSet web-v000 SUCCEEDED',
      'disableManifest replicaSet web-v001 SUCCEEDED',
      'deleteManifest replicaSet web-v000 SUCCEEDED',
      'deleteManifest replicaSet web-v001 SUCCEEDED',
    ]);
    expect(names(await list('ReplicaSet'))).toEqual(['web-v002']);
  });

  it('keeps only max-version-history versions', async () => {
    const annotated = (image: string) => replicaSet(image, { 'strategy.spinnaker.io/max-version-history': '2' });
    await drive(deployStage([annotated('nginx:1')]));
    await drive(deployStage([annotated('nginx:2')]));
    const third = await drive(deployStage([annotated('nginx:3')]));
    expect(third.record.outputs['outputs.deletedManifests']).toEqual(['ReplicaSet web-v000']);
    expect(names(await list('ReplicaSet'))).toEqual(['web-v001', 'web-v002']);
  });

  it('fails a release that never becomes Ready before its timeout, naming why in one line', async () => {
    world.sim.setImageBehaviour('broken:*', { neverReady: true });
    const result = await drive(deployStage([replicaSet('broken:1')], { stageTimeoutMs: 120_000 }));
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/^stage 'Stage': the manifests did not become stable within 120 s \(stageTimeoutMs\): replicaSet web-v000: Waiting for all replicas to be (available|ready)$/);
  });

  it('fails a Deployment past its progress deadline', async () => {
    world.sim.setImageBehaviour('broken:*', { neverReady: true });
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api' },
      spec: { replicas: 1, progressDeadlineSeconds: 30, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'broken:2' }] } } },
    };
    const result = await drive(deployStage([deployment]));
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/^stage 'Stage': deployment api failed: Deployment exceeded its progress deadline/);
  });

  it('fails attaching a Service whose selector shares a key with the workload, with clouddriver\'s message, and deploys nothing', async () => {
    world.sim.seed([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'tier-svc', namespace: 'default' }, spec: { selector: { tier: 'web' }, ports: [{ port: 80 }] } }]);
    const result = await drive(deployStage([replicaSet('nginx:1', { 'traffic.spinnaker.io/load-balancers': '["service tier-svc"]' })]));
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/^stage 'Stage': replicaSet web: Service selector must have no label keys in common with target workload: service tier-svc selects 'tier'/);
    expect(await list('ReplicaSet')).toEqual([]);
  });

  it('deploys YAML documents of an embedded artifact with the image of a bound docker/image artifact', async () => {
    const yaml = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  greeting: hi\n',
      'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {tier: web}\n  template:\n    metadata:\n      labels: {tier: web}\n    spec:\n      containers:\n      - name: web\n        image: gcr.io/acme/web:latest\n',
    ].join('---\n');
    const image = { type: 'docker/image', name: 'gcr.io/acme/web', reference: 'gcr.io/acme/web:1.4.0' };
    const trigger = {
      type: 'manual',
      user: 'anna',
      artifacts: [image],
      resolvedExpectedArtifacts: [
        { id: 'manifest', boundArtifact: { type: 'embedded/base64', name: 'web.yaml', reference: encodeBase64(encodeUtf8(yaml)) } },
        { id: 'image', boundArtifact: image },
      ],
    };
    const result = await drive({ type: 'deployManifest', account: 'k8s', source: 'artifact', manifestArtifactId: 'manifest', requiredArtifactIds: ['image'], moniker: { app: 'hello' } }, { trigger });
    expect(result.message).toBeUndefined();
    expect(result.record.outputs['outputs.boundArtifacts']).toEqual([image]);
    expect(JSON.stringify((await byName('ReplicaSet', 'web-v000'))?.['spec'])).toContain('"image":"gcr.io/acme/web:1.4.0"');
  });

  it('binds its expected artifacts to what it created, else to their default; one that binds nothing fails the stage with Orca\'s message', async () => {
    const config = { type: 'kubernetes/configMap', name: 'web-config' };
    const fallback = { type: 'kubernetes/secret', name: 'tls', reference: 'tls-v003' };
    const expected = [
      { id: 'config', matchArtifact: config },
      { id: 'tls', matchArtifact: { type: 'kubernetes/secret', name: 'tls' }, useDefaultArtifact: true, defaultArtifact: fallback },
    ];
    const bound = await drive(deployStage([configMap], { expectedArtifacts: expected }));
    expect(bound.message).toBeUndefined();
    const resolved = bound.record.outputs['resolvedExpectedArtifacts'] as JsonObject[];
    expect(resolved.map((entry) => [entry['id'], (entry['boundArtifact'] as JsonObject)['reference']])).toEqual([['config', 'web-config-v000'], ['tls', 'tls-v003']]);
    expect((bound.record.outputs['artifacts'] as JsonObject[]).map((artifact) => artifact['reference'])).toEqual(['web-config-v000', 'tls-v003']);

    const unbound = await drive(deployStage([configMap], { expectedArtifacts: [{ id: 'tls', matchArtifact: { type: 'kubernetes/secret', name: 'tls' } }] }));
    expect(unbound.status).toBe('TERMINAL');
    expect(unbound.message).toMatch(/^stage 'Stage': Unmatched expected artifact 'tls' could not be resolved: it expects kubernetes\/secret tls, and nothing matches in the manifests stage 'Stage' deployed and the artifacts before it, which holds kubernetes\/configMap web-config/);
  });

  it('deploys only the manifests its labelSelectors select, and fails naming them when they select none (unless allowNothingSelected)', async () => {
    // given
    const labelled = (name: string, tier: string): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { tier } }, data: {} });
    const manifests = [labelled('front-config', 'front'), labelled('back-config', 'back'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain-config' }, data: {} }];
    // when
    const selected = await drive(deployStage(manifests, { labelSelectors: { selectors: [{ kind: 'NOT_EQUALS', key: 'tier', values: ['back'] }] } }));
    // then: != holds for the manifest without the label too, as on the API server
    expect(selected.status).toBe('SUCCEEDED');
    expect(names(await list('ConfigMap'))).toEqual(['front-config-v000', 'plain-config-v000', 'web-config']);
    const none = await drive(deployStage(manifests, { labelSelectors: { selectors: [{ kind: 'CONTAINS', key: 'tier', values: ['db', 'cache'] }] } }));
    expect(none.status).toBe('TERMINAL');
    expect(none.message).toBe("stage 'Stage': labelSelectors 'tier in (db,cache)' select none of the 3 manifests; fix the selectors or the manifests' labels, or set allowNothingSelected to deploy nothing");
    const allowed = await drive(deployStage(manifests, { labelSelectors: { selectors: [{ kind: 'EXISTS', key: 'team', values: [] }] }, allowNothingSelected: true }));
    expect(allowed.status).toBe('SUCCEEDED');
    expect(names(await list('ConfigMap'))).toEqual(['front-config-v000', 'plain-config-v000', 'web-config']);
  });

  it('names a manifest with generateName once per execution: a new object each run, the same one when a call is repeated', async () => {
    // given
    const pod: JsonObject = { apiVersion: 'v1', kind: 'Service', metadata: { generateName: 'probe-' }, spec: { selector: { probe: 'yes' }, ports: [{ port: 80 }] } };
    // when
    const first = await drive(deployStage([pod]), { twice: true, executionId: 'e1' });
    const second = await drive(deployStage([pod]), { loseWritesOf: [2], executionId: 'e2' });
    // then
    expect(first.status).toBe('SUCCEEDED');
    expect(second.status).toBe('SUCCEEDED');
    const probes = names(await list('Service')).filter((name) => name.startsWith('probe-'));
    expect(probes).toHaveLength(2);
    for (const name of probes) expect(name).toMatch(/^probe-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('fails a release whose pods wait for a ConfigMap that does not exist, with the kubelet\'s reason in its one line', async () => {
    // given: a ReplicaSet whose container reads a ConfigMap nobody made
    const rs = replicaSet('nginx:1');
    const spec = (rs['spec'] as { template: { spec: { containers: JsonObject[] } } }).template.spec;
    spec.containers = [{ ...spec.containers[0]!, envFrom: [{ configMapRef: { name: 'settings' } }] }];
    // when
    const result = await drive(deployStage([rs]));
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe(
      "stage 'Stage': the manifests did not become stable within 30 minutes: replicaSet web-v000: Waiting for all replicas to be available; its pods wait: CreateContainerConfigError: configmap \"settings\" not found",
    );
    const pods = await list('Pod');
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) {
      const waiting = ((pod['status'] as { containerStatuses: Array<{ state: { waiting?: JsonObject } }> }).containerStatuses[0]!.state.waiting ?? {}) as JsonObject;
      expect(waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "settings" not found' });
    }
  });

  it('fails when a required image artifact binds into no manifest', async () => {
    const image = { type: 'docker/image', name: 'gcr.io/acme/api', reference: 'gcr.io/acme/api:2' };
    const result = await drive(deployStage([replicaSet('nginx:1')], { requiredArtifacts: [{ artifact: image }] }));
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/^stage 'Stage': The following required artifacts could not be bound: docker\/image gcr\.io\/acme\/api\./);
  });
});

describe('deleteManifest', () => {
  it('deletes by name and waits until it is gone', async () => {
    await drive(deployStage([replicaSet('nginx:1')]));
    const result = await drive({ type: 'deleteManifest', account: 'k8s', mode: 'static', manifestName: 'replicaSet web-v000', location: 'default', options: { cascading: true } });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs['outputs.manifestNamesByNamespace']).toEqual({ default: ['replicaSet web-v000'] });
    expect(await list('ReplicaSet')).toEqual([]);
  });

  it.each([
    [true, 0],
    [false, 2],
  ])('with cascading %s leaves %i of its pods', async (cascading, left) => {
    await drive(deployStage([replicaSet('nginx:1')]));
    await drive({ type: 'deleteManifest', account: 'k8s', manifestName: 'replicaSet web-v000', location: 'default', options: { cascading } });
    world.sim.tick(60_000);
    const pods = await list('Pod', 'tier=web');
    expect(pods).toHaveLength(left);
    for (const pod of pods) expect((pod['metadata'] as { ownerReferences?: unknown[] }).ownerReferences ?? []).toEqual([]);
  });

  it('deletes the object a cluster\'s criteria picks', async () => {
    await drive(deployStage([replicaSet('nginx:1')]));
    world.sim.tick(1_000);
    await drive(deployStage([replicaSet('nginx:2')]));
    const result = await drive({ type: 'deleteManifest', account: 'k8s', mode: 'dynamic', cluster: 'replicaSet web', criteria: 'oldest', kind: 'replicaSet', app: 'hello', location: 'default' });
    expect(result.status).toBe('SUCCEEDED');
    expect(names(await list('ReplicaSet'))).toEqual(['web-v001']);
  });

  it('deletes every object of the kinds the label selectors match', async () => {
    world.sim.seed([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default', labels: { team: 'x' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'default', labels: { team: 'y' } } },
    ]);
    const result = await drive({ type: 'deleteManifest', account: 'k8s', kinds: ['configMap'], labelSelectors: { selectors: [{ key: 'team', kind: 'EQUALS', values: ['x'] }] }, location: 'default' });
    expect(result.status).toBe('SUCCEEDED');
    expect(names(await list('ConfigMap'))).toEqual(['b', 'web-config']);
  });

  it('succeeds when the object is gone already', async () => {
    const result = await drive({ type: 'deleteManifest', account: 'k8s', manifestName: 'service nothing', location: 'default' });
    expect(result.status).toBe('SUCCEEDED');
  });

  it('fails on one line naming the object a finalizer holds, instead of running out of polls', async () => {
    world.sim.seed([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } }]);
    const result = await drive({ type: 'deleteManifest', account: 'k8s', manifestName: 'configMap held', location: 'default' });
    expect(result.status).toBe('TERMINAL');
    expect(result.message).not.toContain('\n');
    expect(result.message).toMatch(/^stage 'Stage': configMap held still exists in namespace 'default' after \d+ s of waiting for the deletion \(a finalizer holding it\?\)/);
  });
});
