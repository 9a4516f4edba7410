/**
 * The simulated Kubernetes API server, driven by the real `@kubernetes/client-node` 1.4: discovery
 * through `KubernetesObjectApi`, CRUD and the four patch types, errors as `Status` JSON in
 * `err.body`, label and field selectors and paging, the ReplicaSet controller on the simulated
 * clock, garbage collection by propagation policy, and the serving log that proves what each
 * Service selected at every instant.
 */
import * as k8s from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubernetesSimulator, type KubernetesSimulator } from '../../../sandbox/kubernetes/server.ts';

let sim: KubernetesSimulator;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let objects: k8s.KubernetesObjectApi;

beforeEach(async () => {
  sim = await startKubernetesSimulator({ seed: 7, podReadyAfterMs: 2000 });
  kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: sim.url, skipTLSVerify: true }],
    users: [{ name: 'anon' }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'anon', namespace: 'default' }],
    currentContext: 'sim',
  });
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
});
afterEach(async () => {
  await sim.close();
});

/** The parsed `Status` of a failed call. */
async function statusOf(call: Promise<unknown>): Promise<{ code: number; reason: string; message: string; details?: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    const e = error as { code?: number; body?: unknown };
    const body = JSON.parse(String(e.body)) as { kind: string; code: number; reason: string; message: string; details?: Record<string, unknown> };
    expect(body.kind).toBe('Status');
    expect(body.code).toBe(e.code);
    return body;
  }
  throw new Error('expected the call to fail');
}

function replicaSet(name: string, replicas: number, labels: Record<string, string>, image = 'registry/web:1.0.0'): k8s.V1ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web', version: labels['version'] ?? 'v1' } },
      template: { metadata: { labels: { app: 'web', version: 'v1', ...labels } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] } },
    },
  };
}

describe('the Kubernetes simulator', () => {
  it('serves discovery as the API server does, so KubernetesObjectApi resolves kinds and namespaced flags', async () => {
    const created = await objects.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } as k8s.KubernetesObject);
    expect(created.metadata?.namespace).toBe('default');
    const read = (await objects.read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' } })) as k8s.V1Service;
    expect(read.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(read.spec?.ports?.[0]).toMatchObject({ port: 80, targetPort: 8080, protocol: 'TCP' });
    const rs = await objects.create(replicaSet('web-v000', 1, {}) as k8s.KubernetesObject);
    expect(rs.metadata).toMatchObject({ uid: expect.any(String), resourceVersion: expect.stringMatching(/^\d+$/), generation: 1, creationTimestamp: expect.any(Date) });
    const paths = sim.calls().map((c) => `${c.method} ${c.path}`);
    expect(paths).toContain('GET /api/v1');
    expect(paths).toContain('GET /apis/apps/v1');
    expect(paths).toContain('POST /apis/apps/v1/namespaces/default/replicasets');

    const groups = (await fetch(`${sim.url}/apis`).then((r) => r.json())) as { groups: { name: string; preferredVersion: { version: string } }[] };
    expect(groups.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['apps', 'batch', 'apiextensions.k8s.io', 'networking.istio.io']));
    const unknown = await fetch(`${sim.url}/no/such/path`);
    expect([unknown.status, await unknown.text()]).toEqual([404, '404 page not found\n']);
    const unknownResource = (await fetch(`${sim.url}/api/v1/namespaces/default/widgets`).then((r) => r.json())) as { reason: string; code: number };
    expect(unknownResource).toMatchObject({ reason: 'NotFound', code: 404 });
  });

  it('answers errors as Status JSON with the API server reasons and messages', async () => {
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('web-v000', 1, {}) });
    expect(await statusOf(apps.readNamespacedReplicaSet({ name: 'nope', namespace: 'default' }))).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'replicasets.apps "nope" not found',
      details: { name: 'nope', group: 'apps', kind: 'replicasets' },
    });
    expect(await statusOf(apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('web-v000', 1, {}) }))).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'replicasets.apps "web-v000" already exists' });
    const elsewhere = replicaSet('web-v000', 1, {});
    delete elsewhere.metadata!.namespace;
    expect(await statusOf(apps.createNamespacedReplicaSet({ namespace: 'prod', body: elsewhere }))).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "prod" not found' });
    const mismatch = replicaSet('web-v001', 1, {});
    mismatch.spec!.template!.metadata!.labels = { app: 'other' };
    expect(await statusOf(apps.createNamespacedReplicaSet({ namespace: 'default', body: mismatch }))).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'ReplicaSet.apps "web-v001" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    });
    const badName = await statusOf(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Bad_Name' }, data: {} } }));
    expect(badName).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(badName.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    expect(badName.details?.['causes']).toEqual([expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' })]);

    // A replace carrying a stale resourceVersion is a conflict; the fresh one goes through.
    const live = await apps.readNamespacedReplicaSet({ name: 'web-v000', namespace: 'default' });
    await apps.patchNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: { metadata: { annotations: { touched: 'yes' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(await statusOf(apps.replaceNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: live }))).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on replicasets.apps "web-v000": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('keeps resourceVersion global and increasing and bumps generation on spec changes only', async () => {
    const a = await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('web-v000', 0, {}) });
    const b = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cfg' }, data: { a: '1' } } });
    expect(Number(b.metadata!.resourceVersion)).toBeGreaterThan(Number(a.metadata!.resourceVersion));
    const labelled = await apps.patchNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: { metadata: { labels: { team: 'x' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(labelled.metadata!.generation).toBe(1);
    const scaled = await apps.patchNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: { spec: { replicas: 2 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(scaled.metadata!.generation).toBe(2);
    // A write that changes nothing is not a new version.
    const current = await apps.readNamespacedReplicaSet({ name: 'web-v000', namespace: 'default' });
    const same = await apps.patchNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: { spec: { replicas: 2 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(same.metadata!.resourceVersion).toBe(current.metadata!.resourceVersion);
    expect(same.metadata!.managedFields?.map((f) => f.operation)).toContain('Update');
  });

  it('applies the four patch content types', async () => {
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: { ...replicaSet('web-v000', 0, { 'traffic.spinnaker.io/frontedBy': 'web' }) } });
    // JSON patch (the client's default), with an RFC 6901 escape and a test op.
    const removed = await apps.patchNamespacedReplicaSet({
      name: 'web-v000',
      namespace: 'default',
      body: [
        { op: 'test', path: '/spec/replicas', value: 0 },
        { op: 'remove', path: '/spec/template/metadata/labels/traffic.spinnaker.io~1frontedBy' },
      ],
    });
    expect(removed.spec!.template!.metadata!.labels).toEqual({ app: 'web', version: 'v1' });
    expect(sim.calls().at(-1)?.contentType).toBe('application/json-patch+json');
    const failedTest = await statusOf(apps.patchNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: [{ op: 'test', path: '/spec/replicas', value: 5 }] }));
    expect(failedTest).toMatchObject({ code: 422, reason: 'Invalid', message: 'testing value /spec/replicas failed: test failed' });

    // Merge patch: null deletes.
    const merged = await apps.patchNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: { metadata: { labels: { app: null, tier: 'front' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(merged.metadata!.labels).toEqual({ tier: 'front' });

    // Strategic merge: containers merge by name, env by name, ports by containerPort.
    const strategic = await apps.patchNamespacedReplicaSet(
      {
        name: 'web-v000',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry/web:2.0.0', env: [{ name: 'A', value: '1' }] }, { name: 'sidecar', image: 'registry/proxy:1' }] } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const containers = strategic.spec!.template!.spec!.containers;
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['web', 'registry/web:2.0.0'],
      ['sidecar', 'registry/proxy:1'],
    ]);
    expect(containers[0]!.ports).toEqual([{ containerPort: 8080, protocol: 'TCP' }]);
    const deleted = await apps.patchNamespacedReplicaSet(
      { name: 'web-v000', namespace: 'default', body: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(deleted.spec!.template!.spec!.containers.map((c) => c.name)).toEqual(['web']);

    // Server-side apply: creates when absent, applies over the live object, records the field manager.
    const applied = (await objects.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { a: '1' } },
      undefined,
      undefined,
      'gennaker',
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as k8s.V1ConfigMap;
    expect(applied.metadata!.managedFields?.[0]).toMatchObject({ manager: 'gennaker', operation: 'Apply', fieldsType: 'FieldsV1' });
    const reapplied = (await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { b: '2' } }, undefined, undefined, 'gennaker', true, k8s.PatchStrategy.ServerSideApply)) as k8s.V1ConfigMap;
    // The same manager applying without `a` gives it up, and no one else owns it: it goes.
    expect(reapplied.data).toEqual({ b: '2' });
    expect(sim.calls().filter((c) => c.contentType === 'application/apply-patch+yaml').map((c) => [c.query['fieldManager'], c.status])).toEqual([
      ['gennaker', 201],
      ['gennaker', 200],
    ]);
  });

  it('tracks field ownership for server-side apply: conflicts with another manager, force takes the field, unapplied fields go', async () => {
    const apply = (body: Record<string, unknown>, force: boolean) =>
      objects.patch({ apiVersion: 'apps/v1', kind: 'ReplicaSet', ...body } as k8s.KubernetesObject, undefined, undefined, 'gennaker', force, k8s.PatchStrategy.ServerSideApply) as Promise<k8s.V1ReplicaSet>;
    const rs = replicaSet('web-v000', 2, {});
    rs.metadata!.labels = { app: 'web', team: 'payments' };
    await apply(rs as unknown as Record<string, unknown>, false);
    // Someone scales it by hand with a patch of their own.
    await apps.patchNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: { spec: { replicas: 5 } }, fieldManager: 'kubectl' }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(await statusOf(apply(rs as unknown as Record<string, unknown>, false))).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.replicas' }] },
    });
    const forced = await apply(rs as unknown as Record<string, unknown>, true);
    expect(forced.spec!.replicas).toBe(2);
    expect(forced.metadata!.managedFields!.map((f) => f.manager)).toEqual(['gennaker']);
    // Applying without the team label removes it: gennaker owned it and no one else does.
    rs.metadata!.labels = { app: 'web' };
    const trimmed = await apply(rs as unknown as Record<string, unknown>, false);
    expect(trimmed.metadata!.labels).toEqual({ app: 'web' });
  });

  it('runs the ReplicaSet controller on the simulated clock: pods, readiness, status, /scale', async () => {
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('web-v000', 3, {}) });
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items;
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata!.name).toMatch(/^web-v000-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(pod.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: 'web-v000', controller: true, blockOwnerDeletion: true })]);
      expect(pod.metadata!.labels).toEqual({ app: 'web', version: 'v1' });
    }
    let rs = await apps.readNamespacedReplicaSetStatus({ name: 'web-v000', namespace: 'default' });
    expect(rs.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    expect(rs.status!.readyReplicas).toBeUndefined();
    sim.tick(1999);
    expect((await core.listNamespacedPod({ namespace: 'default' })).items.every((p) => p.status!.phase === 'Running' && p.status!.conditions!.find((c) => c.type === 'Ready')!.status === 'False')).toBe(true);
    sim.tick(1);
    rs = await apps.readNamespacedReplicaSet({ name: 'web-v000', namespace: 'default' });
    expect(rs.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3 });

    // Scale up through /scale: the new pod is the one not yet Ready, so scaling back down removes it first.
    const scale = await apps.patchNamespacedReplicaSetScale({ name: 'web-v000', namespace: 'default', body: { spec: { replicas: 4 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 4 }, status: { selector: 'app=web,version=v1' } });
    const before = new Set(pods.map((p) => p.metadata!.name));
    const newest = (await core.listNamespacedPod({ namespace: 'default' })).items.map((p) => p.metadata!.name!).find((n) => !before.has(n));
    sim.tick(500);
    await apps.replaceNamespacedReplicaSetScale({ name: 'web-v000', namespace: 'default', body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web-v000', namespace: 'default' }, spec: { replicas: 3 } } });
    const left = (await core.listNamespacedPod({ namespace: 'default' })).items.map((p) => p.metadata!.name!);
    expect(left.sort()).toEqual([...before].sort());
    expect(left).not.toContain(newest);

    // A broken image never becomes Ready.
    sim.setImageBehaviour('registry/web:bad*', { neverReady: true });
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('web-v001', 2, { version: 'v2' }, 'registry/web:bad-1') });
    sim.tick(60_000);
    expect((await apps.readNamespacedReplicaSet({ name: 'web-v001', namespace: 'default' })).status).toMatchObject({ replicas: 2 });
    expect((await apps.readNamespacedReplicaSet({ name: 'web-v001', namespace: 'default' })).status!.readyReplicas).toBeUndefined();
  });

  it('evaluates label selectors, field selectors and pages with limit/continue', async () => {
    const cm = (name: string, labels: Record<string, string>) => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, labels } } });
    await cm('a', { app: 'web', tier: 'front' });
    await cm('b', { app: 'web', tier: 'back' });
    await cm('c', { app: 'db' });
    await cm('d', { app: 'web', tier: 'front', canary: 'true' });
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await core.listNamespacedConfigMap({ namespace: 'default', ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) })).items.map((i) => i.metadata!.name);
    expect(await names('app=web')).toEqual(['a', 'b', 'd']);
    expect(await names('app==web,tier!=back')).toEqual(['a', 'd']);
    expect(await names('tier in (front,back),!canary')).toEqual(['a', 'b']);
    expect(await names('app notin (web)')).toEqual(['c']);
    expect(await names('canary')).toEqual(['d']);
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    expect(await names(undefined, 'metadata.name!=b')).toEqual(['a', 'c', 'd']);
    expect(await statusOf(core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app in web' }))).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(await statusOf(core.listNamespacedConfigMap({ namespace: 'default', fieldSelector: 'data.a=1' }))).toMatchObject({ code: 400, message: 'field label not supported: data.a' });

    const first = await core.listNamespacedConfigMap({ namespace: 'default', limit: 3 });
    expect(first.items.map((i) => i.metadata!.name)).toEqual(['a', 'b', 'c']);
    expect(first.metadata!.remainingItemCount).toBe(1);
    const second = await core.listNamespacedConfigMap({ namespace: 'default', limit: 3, _continue: first.metadata!._continue! });
    expect(second.items.map((i) => i.metadata!.name)).toEqual(['d']);
    expect(second.metadata!._continue).toBeUndefined();
    // Items of a list carry no kind or apiVersion, as the API server sends them.
    const raw = (await fetch(`${sim.url}/api/v1/namespaces/default/configmaps?limit=1`).then((r) => r.json())) as { kind: string; items: Record<string, unknown>[] };
    expect(raw.kind).toBe('ConfigMapList');
    expect(raw.items[0]!['kind']).toBeUndefined();
  });

  it('deletes by propagation policy: Background collects the pods, Orphan keeps them, Foreground waits for them', async () => {
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('bg', 2, { version: 'bg' }) });
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('orphan', 2, { version: 'orphan' }) });
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('fg', 2, { version: 'fg' }) });
    sim.tick(2000);
    const podsOf = async (version: string) => (await core.listNamespacedPod({ namespace: 'default', labelSelector: `version=${version}` })).items;

    const bg = (await apps.deleteNamespacedReplicaSet({ name: 'bg', namespace: 'default', propagationPolicy: 'Background' })) as unknown as { kind: string; status: string };
    expect(bg).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(await podsOf('bg')).toEqual([]);

    await apps.deleteNamespacedReplicaSet({ name: 'orphan', namespace: 'default', propagationPolicy: 'Orphan' });
    const orphans = await podsOf('orphan');
    expect(orphans).toHaveLength(2);
    expect(orphans.every((p) => p.metadata!.ownerReferences === undefined)).toBe(true);

    // Foreground: the owner stays, marked, while its pods terminate within their grace period.
    sim.setImageBehaviour('registry/web:*', { stopsAfterMs: 5000 });
    await apps.deleteNamespacedReplicaSet({ name: 'fg', namespace: 'default', propagationPolicy: 'Foreground' });
    const fg = await apps.readNamespacedReplicaSet({ name: 'fg', namespace: 'default' });
    expect(fg.metadata!.deletionTimestamp).toBeDefined();
    expect(fg.metadata!.finalizers).toEqual(['foregroundDeletion']);
    const terminating = await podsOf('fg');
    expect(terminating).toHaveLength(2);
    expect(terminating.every((p) => p.metadata!.deletionTimestamp !== undefined && p.metadata!.deletionGracePeriodSeconds === 30)).toBe(true);
    sim.tick(4999);
    expect((await apps.readNamespacedReplicaSet({ name: 'fg', namespace: 'default' })).metadata!.finalizers).toEqual(['foregroundDeletion']);
    sim.tick(1);
    expect(await podsOf('fg')).toEqual([]);
    expect(await statusOf(apps.readNamespacedReplicaSet({ name: 'fg', namespace: 'default' }))).toMatchObject({ code: 404 });

    // A new ReplicaSet whose selector picks the orphans adopts them instead of making new pods.
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('adopter', 2, { version: 'orphan' }) });
    expect((await podsOf('orphan')).map((p) => p.metadata!.name).sort()).toEqual(orphans.map((p) => p.metadata!.name).sort());
    expect((await podsOf('orphan')).every((p) => p.metadata!.ownerReferences?.[0]?.name === 'adopter')).toBe(true);
  });

  it('orphans a pod relabelled out of its selector, and the serving log shows red/black never leaving the Service without a Ready pod', async () => {
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { selector: { frontedBy: 'web' }, ports: [{ port: 80 }] } } });
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('web-v000', 2, { frontedBy: 'web' }) });
    sim.tick(2000);

    // Red/black as Spinnaker does it: the new version starts with the label, becomes Ready, then the old one loses it.
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: replicaSet('web-v001', 2, { version: 'v2', frontedBy: 'web' }, 'registry/web:2.0.0') });
    sim.tick(1000);
    sim.tick(1000);
    const disable = [{ op: 'remove', path: '/spec/template/metadata/labels/frontedBy' }];
    await apps.patchNamespacedReplicaSet({ name: 'web-v000', namespace: 'default', body: disable });
    for (const pod of (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'version=v1' })).items) {
      await core.patchNamespacedPod({ name: pod.metadata!.name!, namespace: 'default', body: [{ op: 'remove', path: '/metadata/labels/frontedBy' }] });
    }
    // The RS never rewrites live pods' labels; pods patched out of the Service stay owned (the selector still matches).
    const old = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'version=v1' })).items;
    expect(old.every((p) => p.metadata!.labels!['frontedBy'] === undefined && p.metadata!.ownerReferences?.[0]?.name === 'web-v000')).toBe(true);

    const log = sim.servingLog().filter((r) => r.service === 'web');
    // Nothing is Ready before the first pods' readiness delay; from then on the Service always has a Ready pod.
    const firstServing = log.findIndex((r) => r.ready.length > 0);
    expect(log[firstServing]!.time - log[0]!.time).toBe(2000);
    expect(log.length - firstServing).toBeGreaterThan(3);
    expect(log.slice(firstServing).every((r) => r.ready.length >= 1)).toBe(true);
    expect(log.at(-1)!.ready.every((name) => name.startsWith('web-v001-'))).toBe(true);
    expect(sim.describe().namespaces.find((n) => n.name === 'default')!.services[0]).toMatchObject({ name: 'web', ready: log.at(-1)!.ready });

    // A pod whose labels leave the RS selector is orphaned and replaced.
    const victim = old[0]!.metadata!.name!;
    await core.patchNamespacedPod({ name: victim, namespace: 'default', body: { metadata: { labels: { version: 'debug' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    const released = await core.readNamespacedPod({ name: victim, namespace: 'default' });
    expect(released.metadata!.ownerReferences).toBeUndefined();
    expect(released.metadata!.labels).toMatchObject({ version: 'debug' });
    expect((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'version=v1' })).items).toHaveLength(2);
  });

  it('injects faults, logs calls and serves pod logs', async () => {
    sim.failNext(1, { status: 429, reason: 'TooManyRequests', message: 'Too many requests, please try again later.', pathPrefix: '/api/v1/namespaces/default/pods' });
    expect(await statusOf(core.listNamespacedPod({ namespace: 'default' }))).toMatchObject({ code: 429, reason: 'TooManyRequests', details: { retryAfterSeconds: 1 } });
    expect((await core.listNamespacedPod({ namespace: 'default' })).items).toEqual([]);
    expect(sim.calls().map((c) => [c.method, c.path, c.status, c.injected ?? false])).toEqual([
      ['GET', '/api/v1/namespaces/default/pods', 429, true],
      ['GET', '/api/v1/namespaces/default/pods', 200, false],
    ]);

    sim.setImageBehaviour('registry/tool:*', { log: 'line 1\nline 2\nline 3', startAfterMs: 1000 });
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'tool' }, spec: { containers: [{ name: 'tool', image: 'registry/tool:1' }] } } });
    expect(await statusOf(core.readNamespacedPodLog({ name: 'tool', namespace: 'default' }))).toMatchObject({ code: 400, message: 'container "tool" in pod "tool" is waiting to start: ContainerCreating' });
    sim.tick(1000);
    expect(await core.readNamespacedPodLog({ name: 'tool', namespace: 'default' })).toBe('line 1\nline 2\nline 3\n');
    expect(await core.readNamespacedPodLog({ name: 'tool', namespace: 'default', tailLines: 1 })).toBe('line 3\n');
  });
});
