/**
 * The simulated Kubernetes API server's Deployment and Job controllers, watches (client-node's
 * `Watch` and informer, bookmarks, 410 and relist) and custom resources (CRDs, Istio), driven by
 * the real `@kubernetes/client-node` 1.4 on the simulated clock.
 */
import * as k8s from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubernetesSimulator, type KubernetesSimulator } from '../../../sandbox/kubernetes/server.ts';

let sim: KubernetesSimulator;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let batch: k8s.BatchV1Api;
let objects: k8s.KubernetesObjectApi;

beforeEach(async () => {
  sim = await startKubernetesSimulator({ seed: 3, podReadyAfterMs: 2000 });
  kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: sim.url, skipTLSVerify: true }],
    users: [{ name: 'anon' }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'anon', namespace: 'default' }],
    currentContext: 'sim',
  });
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  batch = kc.makeApiClient(k8s.BatchV1Api);
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
});
afterEach(async () => {
  await sim.close();
});

function deployment(name: string, image: string, replicas: number, strategy?: k8s.V1DeploymentStrategy): k8s.V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      ...(strategy ? { strategy } : {}),
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

const condition = (d: k8s.V1Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);
const setImage = (name: string, image: string) =>
  apps.patchNamespacedDeployment({ name, namespace: 'default', body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
const replicaSetsOf = async (name: string) =>
  (await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: `app=${name}` })).items.sort((a, b) => Number(a.metadata!.annotations!['deployment.kubernetes.io/revision']) - Number(b.metadata!.annotations!['deployment.kubernetes.io/revision']));

describe('the Kubernetes simulator: workloads, watches and custom resources', () => {
  it('rolls a Deployment out within maxSurge/maxUnavailable, keeps the Service served, and rolls back by reusing the old ReplicaSet', async () => {
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'registry/web:1', 4, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }) });
    sim.tick(2000);
    let d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    const [first] = await replicaSetsOf('web');
    const hash = first!.metadata!.labels!['pod-template-hash']!;
    expect(first!.metadata!.name).toBe(`web-${hash}`);
    expect(first!.spec!.selector!.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(first!.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('1');
    expect(first!.metadata!.ownerReferences![0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });

    await setImage('web', 'registry/web:2');
    d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    expect(d.metadata!.generation).toBe(2);
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    expect((await replicaSetsOf('web')).map((rs) => rs.spec!.replicas)).toEqual([4, 1]);
    // One surge pod at a time; an old pod goes only once a new one is available.
    for (let i = 0; i < 4; i += 1) sim.tick(2000);
    d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    expect(d.status).toMatchObject({ replicas: 4, updatedReplicas: 4, availableReplicas: 4 });
    expect(condition(d, 'Progressing')).toMatchObject({ reason: 'NewReplicaSetAvailable' });
    let sets = await replicaSetsOf('web');
    expect(sets.map((rs) => [rs.metadata!.annotations!['deployment.kubernetes.io/revision'], rs.spec!.replicas])).toEqual([
      ['1', 0],
      ['2', 4],
    ]);
    const served = sim.servingLog().filter((r) => r.service === 'web');
    const firstFull = served.findIndex((r) => r.ready.length === 4);
    expect(served.slice(firstFull).every((r) => r.ready.length >= 4)).toBe(true);
    expect(Math.max(...served.map((r) => r.selected.length))).toBe(5);

    // Rollback: the old template again reuses revision 1's ReplicaSet as revision 3.
    await setImage('web', 'registry/web:1');
    for (let i = 0; i < 4; i += 1) sim.tick(2000);
    sets = await replicaSetsOf('web');
    expect(sets.map((rs) => [rs.metadata!.name, rs.metadata!.annotations!['deployment.kubernetes.io/revision'], rs.spec!.replicas])).toEqual([
      [expect.any(String), '2', 0],
      [`web-${hash}`, '3', 4],
    ]);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })).metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('3');
  });

  it("holds a pod whose env or volumes name a ConfigMap or Secret that does not exist, with the kubelet's reason, until it exists", async () => {
    // given
    const pod = (name: string, spec: Partial<k8s.V1PodSpec>, container: Partial<k8s.V1Container> = {}): k8s.V1Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'app', image: 'nginx:1', ...container }], ...spec },
    });
    await core.createNamespacedPod({ namespace: 'default', body: pod('reads-env', {}, { envFrom: [{ configMapRef: { name: 'settings' } }] }) });
    await core.createNamespacedPod({ namespace: 'default', body: pod('mounts', { volumes: [{ name: 'creds', secret: { secretName: 'creds' } }] }) });
    await core.createNamespacedPod({ namespace: 'default', body: pod('optional', {}, { envFrom: [{ configMapRef: { name: 'absent', optional: true } }] }) });
    // when
    sim.tick(3000);
    // then
    const waiting = async (name: string) => (await core.readNamespacedPod({ name, namespace: 'default' })).status?.containerStatuses?.[0]?.state?.waiting;
    const ready = async (name: string) => (await core.readNamespacedPod({ name, namespace: 'default' })).status?.conditions?.find((c) => c.type === 'Ready')?.status;
    expect(await waiting('reads-env')).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "settings" not found' });
    expect(await waiting('mounts')).toEqual({ reason: 'ContainerCreating', message: 'MountVolume.SetUp failed for volume "creds" : secret "creds" not found' });
    expect(await ready('optional')).toBe('True');
    // and once they exist, the pods start
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'settings' }, data: { mode: 'x' } } });
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'creds' }, stringData: { token: 't' } } });
    sim.tick(3000);
    expect([await ready('reads-env'), await ready('mounts')]).toEqual(['True', 'True']);
  });

  it('adopts the ReplicaSet a Deployment deleted with Orphan left behind, and hashes again when another object holds the name', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('api', 'registry/api:1', 2) });
    sim.tick(2000);
    const [rs] = await replicaSetsOf('api');
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=api' })).items.map((p) => p.metadata!.name).sort();
    await apps.deleteNamespacedDeployment({ name: 'api', namespace: 'default', propagationPolicy: 'Orphan' });
    expect((await replicaSetsOf('api'))[0]!.metadata!.ownerReferences).toBeUndefined();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('api', 'registry/api:1', 2) });
    const adopted = await replicaSetsOf('api');
    expect(adopted.map((r) => [r.metadata!.name, r.metadata!.ownerReferences?.[0]?.kind])).toEqual([[rs!.metadata!.name, 'Deployment']]);
    expect((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=api' })).items.map((p) => p.metadata!.name).sort()).toEqual(pods);

    // A ReplicaSet of someone else's holding the name: the Deployment counts a collision and names its own differently.
    await apps.deleteNamespacedDeployment({ name: 'api', namespace: 'default' });
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: { metadata: { name: rs!.metadata!.name! }, spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } } } } });
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('api', 'registry/api:1', 2) });
    const d = await apps.readNamespacedDeployment({ name: 'api', namespace: 'default' });
    expect(d.status!.collisionCount).toBe(1);
    const own = await replicaSetsOf('api');
    expect(own).toHaveLength(1);
    expect(own[0]!.metadata!.name).not.toBe(rs!.metadata!.name);
  });

  it('pauses, reports ProgressDeadlineExceeded for pods that never become Ready, and recreates with Recreate', async () => {
    sim.setImageBehaviour('registry/broken:*', { neverReady: true });
    const paused = deployment('api', 'registry/api:1', 2);
    paused.spec!.paused = true;
    await apps.createNamespacedDeployment({ namespace: 'default', body: paused });
    sim.tick(5000);
    let d = await apps.readNamespacedDeployment({ name: 'api', namespace: 'default' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    expect(await replicaSetsOf('api')).toEqual([]);
    await apps.patchNamespacedDeployment({ name: 'api', namespace: 'default', body: { spec: { paused: false, progressDeadlineSeconds: 30 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    sim.tick(2000);
    await setImage('api', 'registry/broken:2');
    sim.tick(29_000);
    d = await apps.readNamespacedDeployment({ name: 'api', namespace: 'default' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    sim.tick(1000);
    d = await apps.readNamespacedDeployment({ name: 'api', namespace: 'default' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(condition(d, 'Progressing')!.message).toMatch(/^ReplicaSet "api-[a-z0-9]+" has timed out progressing\.$/);
    // maxUnavailable 25% of 2 rounds down to 0: both old pods still serve.
    expect(d.status).toMatchObject({ availableReplicas: 2, updatedReplicas: 1, unavailableReplicas: 1 });

    // Recreate: every old pod is gone before the first new one exists.
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'batch' }, spec: { selector: { app: 'batch' }, ports: [{ port: 80 }] } } });
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('batch', 'registry/batch:1', 2, { type: 'Recreate' }) });
    sim.tick(2000);
    await setImage('batch', 'registry/batch:2');
    sim.tick(2000);
    const log = sim.servingLog().filter((r) => r.service === 'batch');
    const replicaSetOf = (pod: string) => pod.replace(/-[^-]+$/, '');
    expect(log.every((r) => new Set(r.selected.map(replicaSetOf)).size <= 1)).toBe(true);
    const firstFull = log.findIndex((r) => r.ready.length === 2);
    const gap = log.findIndex((r, i) => i > firstFull && r.selected.length === 0);
    expect(gap).toBeGreaterThan(firstFull);
    expect(log.slice(0, gap).flatMap((r) => r.selected.map(replicaSetOf))).not.toContain(replicaSetOf(log.at(-1)!.selected[0]!));
    expect(log.at(-1)!.ready).toHaveLength(2);
  });

  it('runs Jobs to completion with logs, retries failures with back-off up to backoffLimit', async () => {
    sim.setImageBehaviour('registry/migrate:*', { runsForMs: 3000, log: 'migrated 3 tables' });
    sim.setImageBehaviour('registry/fail:*', { runsForMs: 1000, exitCode: 2, log: 'boom' });
    const job = (name: string, image: string, backoffLimit?: number): k8s.V1Job => ({
      metadata: { name },
      spec: { ...(backoffLimit !== undefined ? { backoffLimit } : {}), template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image }] } } },
    });
    await batch.createNamespacedJob({ namespace: 'default', body: job('migrate', 'registry/migrate:1') });
    await batch.createNamespacedJob({ namespace: 'default', body: job('fail', 'registry/fail:1', 1) });
    sim.tick(2999);
    expect((await batch.readNamespacedJob({ name: 'migrate', namespace: 'default' })).status).toMatchObject({ active: 1, ready: 1 });
    sim.tick(1);
    const done = await batch.readNamespacedJob({ name: 'migrate', namespace: 'default' });
    expect(done.status).toMatchObject({ succeeded: 1 });
    expect(done.status!.conditions!.map((c) => [c.type, c.status])).toEqual([
      ['SuccessCriteriaMet', 'True'],
      ['Complete', 'True'],
    ]);
    const [pod] = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=migrate' })).items;
    expect(pod!.status!.phase).toBe('Succeeded');
    expect(pod!.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await core.readNamespacedPodLog({ name: pod!.metadata!.name!, namespace: 'default' })).toBe('migrated 3 tables\n');

    // backoffLimit 1: the first failure is retried after 10 s, the second fails the Job.
    sim.tick(10_000);
    expect((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=fail' })).items).toHaveLength(2);
    sim.tick(1000);
    const failed = await batch.readNamespacedJob({ name: 'fail', namespace: 'default' });
    expect(failed.status).toMatchObject({ failed: 2 });
    expect(failed.status!.conditions!.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' });
    const failedPods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=fail' })).items;
    expect(failedPods.map((p) => p.status!.containerStatuses![0]!.state!.terminated!.exitCode)).toEqual([2, 2]);
  });

  it('streams watches to client-node: events after a resourceVersion, bookmarks, and 410 once history is compacted', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a', labels: { app: 'x' } } } });
    const events: string[] = [];
    let resolveSeen: () => void;
    const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true, labelSelector: 'app=x' },
      (type, object: k8s.V1ConfigMap) => {
        events.push(`${type} ${object.metadata?.name ?? ''}`);
        if (type === 'DELETED') resolveSeen();
      },
      () => undefined,
    );
    await core.patchNamespacedConfigMap({ name: 'a', namespace: 'default', body: { data: { k: 'v' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    sim.tick(1000);
    // Leaving the selected set is a DELETED event, as the watch cache sends it.
    await core.patchNamespacedConfigMap({ name: 'a', namespace: 'default', body: { metadata: { labels: { app: 'y' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await seen;
    controller.abort();
    expect(events).toEqual(['ADDED a', 'MODIFIED a', 'BOOKMARK ', 'DELETED a']);

    sim.compactWatchHistory();
    let errorEvent: Record<string, unknown> | undefined;
    await new Promise<void>((resolve) => {
      void watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: list.metadata!.resourceVersion }, (type, object: Record<string, unknown>) => type === 'ERROR' && (errorEvent = object), () => resolve());
    });
    expect(errorEvent).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired', message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/) });
  });

  it('keeps a client-node informer in sync, relisting after a 410', async () => {
    const informer = k8s.makeInformer(kc, '/apis/apps/v1/namespaces/default/replicasets', () => apps.listNamespacedReplicaSet({ namespace: 'default' }));
    const waiters: (() => void)[] = [];
    const names = () => informer.list().map((o) => o.metadata!.name).sort();
    const until = (expected: string[]) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (JSON.stringify(names()) === JSON.stringify(expected)) resolve();
          else waiters.push(check);
        };
        check();
      });
    const wake = () => waiters.splice(0).forEach((w) => w());
    informer.on('add', wake);
    informer.on('update', wake);
    informer.on('delete', wake);
    informer.on('connect', wake);
    const rs = (name: string): k8s.V1ReplicaSet => ({ metadata: { name }, spec: { replicas: 0, selector: { matchLabels: { rs: name } }, template: { metadata: { labels: { rs: name } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } } } });
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: rs('one') });
    await informer.start();
    await until(['one']);
    await apps.createNamespacedReplicaSet({ namespace: 'default', body: rs('two') });
    await until(['one', 'two']);

    // The server ends the watch; while the informer is away, changes happen and history is compacted: it gets 410 and relists.
    const listsBefore = sim.calls().filter((c) => c.path.endsWith('/replicasets') && c.method === 'GET' && c.query['watch'] === undefined).length;
    sim.closeWatches();
    sim.seed([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', ...rs('three') }]);
    sim.compactWatchHistory();
    await until(['one', 'three', 'two']);
    await informer.stop();
    const lists = sim.calls().filter((c) => c.path.endsWith('/replicasets') && c.method === 'GET' && c.query['watch'] === undefined).length;
    expect(lists).toBe(listsBefore + 1);
  });

  it('serves custom resources from a CRD and Istio VirtualServices without one', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'canaries.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'canaries', singular: 'canary', kind: 'Canary', shortNames: ['cn'] },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    await objects.create(crd);
    const created = await objects.create({ apiVersion: 'example.com/v1', kind: 'Canary', metadata: { name: 'c1' }, spec: { weight: 10 } } as k8s.KubernetesObject);
    expect(created.metadata).toMatchObject({ namespace: 'default', generation: 1 });
    const patched = (await objects.patch({ apiVersion: 'example.com/v1', kind: 'Canary', metadata: { name: 'c1', namespace: 'default' }, spec: { weight: 50 } } as k8s.KubernetesObject, undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch)) as k8s.KubernetesObject & { spec: { weight: number } };
    expect([patched.spec.weight, patched.metadata!.generation]).toEqual([50, 2]);
    const refused = (await fetch(`${sim.url}/apis/example.com/v1/namespaces/default/canaries/c1`, { method: 'PATCH', headers: { 'content-type': 'application/strategic-merge-patch+json' }, body: '{}' }).then((r) => r.json())) as { code: number; reason: string };
    expect(refused).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    const discovery = (await fetch(`${sim.url}/apis/example.com/v1`).then((r) => r.json())) as { resources: { name: string; kind: string; namespaced: boolean }[] };
    expect(discovery.resources).toEqual([expect.objectContaining({ name: 'canaries', kind: 'Canary', namespaced: true })]);

    const vs = { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'default' }, spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web', subset: 'baseline' }, weight: 90 }, { destination: { host: 'web', subset: 'canary' }, weight: 10 }] }] } };
    await objects.create(vs);
    const v1alpha3 = (await objects.read({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'VirtualService', metadata: { name: 'web', namespace: 'default' } })) as k8s.KubernetesObject & { spec: unknown };
    expect(v1alpha3.apiVersion).toBe('networking.istio.io/v1alpha3');
    expect(v1alpha3.spec).toEqual(vs.spec);
    await objects.delete(vs);
    expect((await objects.list('networking.istio.io/v1beta1', 'VirtualService', 'default')).items).toEqual([]);
  });

  it('answers PromQL over per-pod request metrics generated from each image, telling a bad canary from its baseline', async () => {
    sim.setImageBehaviour('registry/sampleapp:good', { requestsPerSecond: 20, errorRate: 0, latencyMs: 40 });
    sim.setImageBehaviour('registry/sampleapp:bad', { requestsPerSecond: 20, errorRate: 0.5, latencyMs: 400 });
    const release = (version: string, image: string) => {
      const d = deployment(`sampleapp-${version}`, image, 2);
      d.spec!.selector = { matchLabels: { app: 'sampleapp', version } };
      d.spec!.template!.metadata!.labels = { app: 'sampleapp', version };
      return d;
    };
    await apps.createNamespacedDeployment({ namespace: 'default', body: release('baseline', 'registry/sampleapp:good') });
    await apps.createNamespacedDeployment({ namespace: 'default', body: release('canary', 'registry/sampleapp:bad') });
    const start = sim.now() / 1000;
    sim.tick(10 * 60_000);
    const range = async (query: string) => {
      const response = await fetch(`${sim.url}/prometheus/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query, start: String(start + 300), end: String(start + 600), step: '60' }),
      });
      return { status: response.status, body: (await response.json()) as { status: string; error?: string; data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] } } };
    };
    const errorRatio = (version: string) => `sum(rate(http_requests_total{app="sampleapp",version="${version}",code="500"}[1m])) / sum(rate(http_requests_total{app="sampleapp",version="${version}"}[1m]))`;
    const bad = await range(errorRatio('canary'));
    expect(bad.body.data.resultType).toBe('matrix');
    expect(bad.body.data.result).toHaveLength(1);
    expect(bad.body.data.result[0]!.values).toHaveLength(6);
    for (const [, v] of bad.body.data.result[0]!.values) expect(Number(v)).toBeGreaterThan(0.4), expect(Number(v)).toBeLessThan(0.6);
    const good = await range(errorRatio('baseline'));
    expect(good.body.data.result[0]!.values.every(([, v]) => v === '0')).toBe(true);

    // The shape Gennaker renders for a Kayenta config: avg(metric{matchers}) by (labels).
    const requests = await range('avg(http_requests_total{app="sampleapp",code="200"}) by (version)');
    expect(requests.body.data.result.map((r) => r.metric).sort((a, b) => (a['version']! < b['version']! ? -1 : 1))).toEqual([{ version: 'baseline' }, { version: 'canary' }]);
    const rate = await range('sum(rate(http_requests_total{version="baseline"}[2m]))');
    expect(Number(rate.body.data.result[0]!.values[0]![1])).toBeGreaterThan(36);
    expect(Number(rate.body.data.result[0]!.values[0]![1])).toBeLessThan(44);
    const p99 = async (version: string) => Number((await range(`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{version="${version}"}[5m])))`)).body.data.result[0]!.values[0]![1]);
    expect(await p99('canary')).toBeGreaterThan(5 * (await p99('baseline')));

    const instant = (await fetch(`${sim.url}/prometheus/api/v1/query?query=${encodeURIComponent('count(up{app="sampleapp"})')}`).then((r) => r.json())) as { data: { resultType: string; result: { value: [number, string] }[] } };
    expect(instant.data).toMatchObject({ resultType: 'vector', result: [{ value: [sim.now() / 1000, '4'] }] });
    expect(await range('sum(rate(http_requests_total[1m]) by (pod)')).toMatchObject({ status: 400, body: { status: 'error' } });
  });
  it('takes a pod\'s error rate from its SUCCESS_RATE as the container sees it at creation: a literal value or a ConfigMap key of its namespace', async () => {
    // given: every image reads SUCCESS_RATE, as the codelab's sample app does, and an explicit error rate it overrides
    sim.setImageBehaviour('*', { successRateFromEnv: 'SUCCESS_RATE', errorRate: 0.5 });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'sampleapp-config-canary-v000' }, data: { SUCCESS_RATE: '10' } } });
    const release = (version: string, env: k8s.V1EnvVar[]) => {
      const d = deployment(`sampleapp-${version}`, 'registry/sampleapp:latest', 1);
      d.spec!.selector = { matchLabels: { app: 'sampleapp', version } };
      d.spec!.template!.metadata!.labels = { app: 'sampleapp', version };
      d.spec!.template!.spec!.containers[0]!.env = env;
      return d;
    };
    await apps.createNamespacedDeployment({ namespace: 'default', body: release('canary', [{ name: 'SUCCESS_RATE', valueFrom: { configMapKeyRef: { name: 'sampleapp-config-canary-v000', key: 'SUCCESS_RATE' } } }]) });
    await apps.createNamespacedDeployment({ namespace: 'default', body: release('baseline', [{ name: 'SUCCESS_RATE', value: '100' }]) });
    await apps.createNamespacedDeployment({ namespace: 'default', body: release('unset', []) });
    const start = sim.now() / 1000;
    sim.tick(60_000);
    // when: the ConfigMap changes after the pods started (a running container keeps its environment)
    await core.replaceNamespacedConfigMap({ name: 'sampleapp-config-canary-v000', namespace: 'default', body: { metadata: { name: 'sampleapp-config-canary-v000' }, data: { SUCCESS_RATE: '100' } } });
    sim.tick(5 * 60_000);
    // then
    const errorRatio = async (version: string) => {
      const query = `sum(rate(http_requests_total{version="${version}",code="500"}[5m])) / sum(rate(http_requests_total{version="${version}"}[5m]))`;
      const answer = (await fetch(`${sim.url}/prometheus/api/v1/query?${new URLSearchParams({ query, time: String(start + 360) })}`).then((r) => r.json())) as { data: { result: { value: [number, string] }[] } };
      return Number(answer.data.result[0]!.value[1]);
    };
    expect(await errorRatio('canary')).toBeGreaterThan(0.85);
    expect(await errorRatio('canary')).toBeLessThan(0.95);
    expect(await errorRatio('baseline')).toBe(0);
    expect(await errorRatio('unset')).toBeGreaterThan(0.4);
    expect(await errorRatio('unset')).toBeLessThan(0.6);
    expect(() => sim.setImageBehaviour('*', { successRateFromEnv: 'success rate' })).toThrow(/successRateFromEnv "success rate" is not an environment variable name/);
  });
});
