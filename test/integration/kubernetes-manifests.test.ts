/**
 * The Kubernetes manifest port (adapters/targets/kubernetes/manifest-port.ts) through real
 * client-node and real HTTP against the Kubernetes simulator (sandbox/kubernetes): every
 * operation, kubectl apply's idempotence and field removal, kinds resolved through discovery
 * (custom resources included, any case), namespaces refused without a call, and the server's and
 * the network's failures as port reasons on one line. Time is the simulator's clock, never a sleep.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_APPLIED } from '../../adapters/targets/kubernetes/apply-patch.ts';
import { createKubernetesManifests, FIELD_MANAGER, RECREATED_BY } from '../../adapters/targets/kubernetes/manifest-port.ts';
import type { KubernetesObject, ManifestPort } from '../../core/ports/manifests.ts';
import { connectTo, startKubernetesWorld, type KubernetesWorld } from '../support/kubernetes-world.ts';

const owner = 'execution-1/stage-1/apply';
let world: KubernetesWorld;
let port: ManifestPort;

beforeAll(async () => {
  world = await startKubernetesWorld();
  port = world.manifests;
  world.sim.createNamespace('web');
  world.sim.createNamespace('other');
});

afterAll(async () => {
  await world?.close();
});

function replicaSet(name: string, extra: { labels?: Record<string, string>; image?: string; replicas?: number; namespace?: string } = {}): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, ...(extra.namespace ? { namespace: extra.namespace } : {}), labels: { app: 'web', ...extra.labels } },
    spec: {
      replicas: extra.replicas ?? 1,
      selector: { matchLabels: { app: 'web', version: name } },
      template: { metadata: { labels: { app: 'web', version: name } }, spec: { containers: [{ name: 'web', image: extra.image ?? 'nginx:1.25' }] } },
    },
  };
}

function configMap(name: string, data: Record<string, string>, labels: Record<string, string> = {}): KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

function value<T>(result: { ok: true; value: T } | { ok: false; reason: string; message: string }): T {
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result.value;
}

const metadataOf = (object: KubernetesObject | undefined) => (object?.['metadata'] ?? {}) as { resourceVersion?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string };

/** The requests made while `action` ran. */
async function callsDuring(action: () => Promise<unknown>) {
  const before = world.callCount();
  await action();
  return world.sim.calls().slice(before);
}

describe('apply (kubectl apply)', () => {
  it('creates the object with the last-applied annotation, in the account\'s default namespace', async () => {
    const created = value(await port.apply('k8s', replicaSet('web-v001'), { owner }));
    expect(metadataOf(created).namespace).toBe('default');
    expect(JSON.parse(metadataOf(created).annotations![LAST_APPLIED]!)).toMatchObject({ kind: 'ReplicaSet', metadata: { name: 'web-v001' } });
    expect(value(await port.get({ account: 'k8s', kind: 'ReplicaSet', namespace: 'default', name: 'web-v001' }))).toMatchObject({ metadata: { uid: metadataOf(created).uid } });
  });

  it('applies the same manifest twice as the same object, writing nothing the second time', async () => {
    // given an applied ReplicaSet, read back once its controller has written its status
    value(await port.apply('k8s', replicaSet('web-v002'), { owner }));
    const first = value(await port.get({ account: 'k8s', kind: 'ReplicaSet', namespace: 'default', name: 'web-v002' }));
    // when
    let second: KubernetesObject | undefined;
    const calls = await callsDuring(async () => {
      second = value(await port.apply('k8s', replicaSet('web-v002'), { owner }));
    });
    // then
    expect(metadataOf(second).resourceVersion).toBe(metadataOf(first).resourceVersion);
    expect(calls.map((call) => call.method)).toEqual(['GET']);
  });

  it('removes a field the previous apply set and keeps what others set, as kubectl does', async () => {
    // given an applied object that someone else labels
    value(await port.apply('k8s', configMap('settings', { a: '1', b: '2' }, { team: 'web', tier: 'front' }), { owner }));
    value(await port.patch({ account: 'k8s', kind: 'ConfigMap', namespace: 'default', name: 'settings' }, 'merge', { metadata: { labels: { audited: 'yes' } } }, { owner }));
    // when the manifest drops a key and a label
    const applied = value(await port.apply('k8s', configMap('settings', { a: '1' }, { team: 'web' }), { owner }));
    // then
    expect(applied['data']).toEqual({ a: '1' });
    expect(metadataOf(applied).labels).toEqual({ team: 'web', audited: 'yes' });
    expect(JSON.parse(metadataOf(applied).annotations![LAST_APPLIED]!)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default', labels: { team: 'web' } }, data: { a: '1' } });
  });

  it('replaces with the live resourceVersion, trying once more after a 409 Conflict', async () => {
    // given
    value(await port.apply('k8s', configMap('replaced', { a: '1' }), { owner }));
    world.sim.failNext(1, { status: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on configmaps "replaced": the object has been modified', method: 'PUT' });
    // when
    const calls = await callsDuring(async () => {
      const replaced = value(await port.apply('k8s', configMap('replaced', { b: '2' }), { owner, mode: 'replace' }));
      expect(replaced['data']).toEqual({ b: '2' });
    });
    // then
    expect(calls.map((call) => `${call.method} ${call.status}`)).toEqual(['GET 200', 'PUT 409', 'GET 200', 'PUT 200']);
    // and replacing with the same manifest again writes nothing
    expect((await callsDuring(() => port.apply('k8s', configMap('replaced', { b: '2' }), { owner, mode: 'replace' }))).map((call) => call.method)).toEqual(['GET']);
  });

  it('recreates: deletes and creates a new object, and the same owner asking again changes nothing', async () => {
    const old = value(await port.apply('k8s', configMap('recreated', { a: '1' }), { owner }));
    const recreated = value(await port.apply('k8s', configMap('recreated', { a: '2' }), { owner: 'execution-1/stage-2/recreate', mode: 'recreate' }));
    expect(metadataOf(recreated).uid).not.toBe(metadataOf(old).uid);
    expect(metadataOf(recreated).annotations![RECREATED_BY]).toBe('execution-1/stage-2/recreate');
    const again = await callsDuring(() => port.apply('k8s', configMap('recreated', { a: '2' }), { owner: 'execution-1/stage-2/recreate', mode: 'recreate' }));
    expect(again.map((call) => call.method)).toEqual(['GET']);
  });

  it('recreates once when a twin request recreated the object between its read and its delete', async () => {
    value(await port.apply('k8s', configMap('twin-recreated', { a: '1' }), { owner }));
    const recreate = { owner: 'execution-1/stage-3/recreate', mode: 'recreate' as const };
    let twin: KubernetesObject | undefined;
    // A second delivery of the same step, whose DELETE is sent only after its twin finished the whole recreate.
    const rest = world.connection.rest;
    const late = connectTo(world.sim.url, 'k8s');
    const lateRest: typeof rest = {
      ...late.rest,
      send: async (request) => {
        if (request.method === 'DELETE' && twin === undefined) twin = value(await port.apply('k8s', configMap('twin-recreated', { a: '2' }), recreate));
        return late.rest.send(request);
      },
    };
    const slow = createKubernetesManifests({ accounts: [{ ...late, rest: lateRest }] });
    const first = await slow.apply('k8s', configMap('twin-recreated', { a: '2' }), recreate);
    const answer = first.ok ? first : await slow.apply('k8s', configMap('twin-recreated', { a: '2' }), recreate);
    expect(twin).toBeDefined();
    expect(metadataOf(value(answer)).uid).toBe(metadataOf(twin!).uid);
    const live = await port.get({ account: 'k8s', namespace: 'default', kind: 'ConfigMap', name: 'twin-recreated' });
    expect(live.ok && live.value !== undefined ? metadataOf(live.value).uid : undefined).toBe(metadataOf(twin!).uid);
  });

  it('applies server-side as field manager gennaker, forcing conflicts when asked', async () => {
    const calls = await callsDuring(async () => {
      const applied = value(await port.apply('k8s', configMap('server-side', { a: '1' }), { owner, mode: 'server-side', forceConflicts: true }));
      expect(applied['data']).toEqual({ a: '1' });
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'PATCH', contentType: 'application/apply-patch+yaml', query: { fieldManager: FIELD_MANAGER, force: 'true' } });
  });

  it('refuses a manifest without kind or name before any call', async () => {
    const calls = await callsDuring(async () => {
      expect(await port.apply('k8s', { apiVersion: 'v1', metadata: { name: 'x' } }, { owner })).toMatchObject({ ok: false, reason: 'invalid', message: 'the manifest has no kind (metadata.name "x"); add "kind", e.g. "ReplicaSet"' });
      expect(await port.apply('k8s', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, { owner })).toMatchObject({ ok: false, reason: 'invalid', message: 'the ConfigMap manifest has no metadata.name; add one' });
    });
    expect(calls).toEqual([]);
  });
});

describe('kinds through discovery', () => {
  it('resolves kinds in any case, as Spinnaker writes them', async () => {
    value(await port.apply('k8s', replicaSet('web-v003'), { owner }));
    expect(value(await port.get({ account: 'k8s', kind: 'replicaSet', namespace: 'default', name: 'web-v003' }))).toMatchObject({ kind: 'ReplicaSet' });
    expect(value(await port.get({ account: 'k8s', kind: 'REPLICASET', name: 'web-v003' }))).toMatchObject({ metadata: { name: 'web-v003' } });
  });

  it('resolves a custom resource once its CRD is installed', async () => {
    // given Istio's VirtualService CRD
    value(
      await port.apply(
        'k8s',
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'virtualservices.networking.istio.io' },
          spec: {
            group: 'networking.istio.io',
            scope: 'Namespaced',
            names: { plural: 'virtualservices', singular: 'virtualservice', kind: 'VirtualService', listKind: 'VirtualServiceList' },
            versions: [{ name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
          },
        },
        { owner },
      ),
    );
    // when a VirtualService is applied by kind alone
    const route = { kind: 'virtualService', metadata: { name: 'web' }, spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' }, weight: 100 }] }] } };
    const applied = value(await port.apply('k8s', route, { owner }));
    // then
    expect(applied).toMatchObject({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', spec: { hosts: ['web'] } });
    expect(value(await port.list({ account: 'k8s', kind: 'VirtualService', namespace: 'default' })).map((item) => metadataOf(item as KubernetesObject))).toHaveLength(1);
  });

  it('answers invalid for a kind the server does not serve, naming it and the kinds it has', async () => {
    const result = await port.get({ account: 'k8s', kind: 'Gateway', namespace: 'default', name: 'x' });
    expect(result).toMatchObject({ ok: false, reason: 'invalid' });
    if (!result.ok) expect(result.message).toMatch(/^kind 'Gateway' is not served by account 'k8s''s API server; its kinds: .*ConfigMap.*ReplicaSet/);
  });
});

describe('reads, patches, scale, delete, logs', () => {
  it('answers undefined for an object that does not exist', async () => {
    expect(await port.get({ account: 'k8s', kind: 'ConfigMap', namespace: 'default', name: 'nothing' })).toEqual({ ok: true, value: undefined });
  });

  it('lists every page, following continue, narrowed by a label selector', async () => {
    for (const n of [1, 2, 3, 4, 5]) value(await port.apply('k8s', configMap(`paged-${n}`, { n: String(n) }, { group: 'paged', odd: String(n % 2 === 1) }), { owner }));
    const calls = await callsDuring(async () => {
      const listed = value(await port.list({ account: 'k8s', kind: 'configmap', namespace: 'default', labelSelector: 'group=paged' }));
      expect(listed.map((item) => (item['metadata'] as { name: string }).name)).toEqual(['paged-1', 'paged-2', 'paged-3', 'paged-4', 'paged-5']);
      expect(listed.every((item) => item['kind'] === 'ConfigMap')).toBe(true);
    });
    expect(calls.map((call) => call.query['continue'] !== undefined)).toEqual([false, true, true]);
    expect(value(await port.list({ account: 'k8s', kind: 'ConfigMap', namespace: 'default', labelSelector: 'group=paged,odd=true' }))).toHaveLength(3);
  });

  it.each([
    ['strategic', { metadata: { labels: { patched: 'strategic' } } }, 'application/strategic-merge-patch+json'],
    ['merge', { metadata: { labels: { patched: 'merge' } } }, 'application/merge-patch+json'],
    ['json', [{ op: 'add', path: '/metadata/labels/patched', value: 'json' }], 'application/json-patch+json'],
  ] as const)('patches with a %s patch', async (type, body, contentType) => {
    value(await port.apply('k8s', replicaSet(`patched-${type}`), { owner }));
    const calls = await callsDuring(async () => {
      const patched = value(await port.patch({ account: 'k8s', kind: 'replicaSet', namespace: 'default', name: `patched-${type}` }, type, body, { owner }));
      expect(metadataOf(patched).labels).toMatchObject({ app: 'web', patched: type });
    });
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', contentType });
  });

  it('scales through the /scale subresource, already-done at the same replicas, invalid for a kind without scale', async () => {
    value(await port.apply('k8s', replicaSet('scaled', { replicas: 1 }), { owner }));
    const ref = { account: 'k8s', kind: 'replicaSet', namespace: 'default', name: 'scaled' };
    const calls = await callsDuring(async () => expect(await port.scale(ref, 3, { owner })).toEqual({ ok: true, outcome: 'done' }));
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual(['GET /apis/apps/v1/namespaces/default/replicasets/scaled/scale', 'PATCH /apis/apps/v1/namespaces/default/replicasets/scaled/scale']);
    expect(value(await port.get(ref))).toMatchObject({ spec: { replicas: 3 } });
    expect(await port.scale(ref, 3, { owner })).toEqual({ ok: true, outcome: 'already-done' });
    expect(await port.scale({ ...ref, kind: 'ConfigMap', name: 'settings' }, 2, { owner })).toMatchObject({ ok: false, reason: 'invalid', message: 'configMap default/settings cannot be scaled: the server has no /scale for configmaps' });
  });

  it('deletes with the propagation policy and grace period asked, already-done once gone', async () => {
    value(await port.apply('k8s', configMap('deleted', { a: '1' }), { owner }));
    const ref = { account: 'k8s', kind: 'ConfigMap', namespace: 'default', name: 'deleted' };
    const calls = await callsDuring(async () => expect(await port.delete(ref, { owner, propagation: 'foreground', gracePeriodSeconds: 5 })).toEqual({ ok: true, outcome: 'done' }));
    expect(calls[0]).toMatchObject({ method: 'DELETE', query: { propagationPolicy: 'Foreground', gracePeriodSeconds: '5' } });
    await world.sim.tick(10_000);
    expect(await port.delete(ref, { owner })).toEqual({ ok: true, outcome: 'already-done' });
  });

  it('reads a pod\'s log', async () => {
    // given a ReplicaSet whose pod has started
    value(await port.apply('k8s', replicaSet('logged'), { owner }));
    world.sim.tick(5_000);
    const pods = value(await port.list({ account: 'k8s', kind: 'Pod', namespace: 'default', labelSelector: 'version=logged' }));
    const pod = (pods[0]!['metadata'] as { name: string }).name;
    // when
    const calls = await callsDuring(async () => {
      const log = await port.logs({ account: 'k8s', namespace: 'default', pod, container: 'web', tailLines: 10 });
      expect(log.ok).toBe(true);
      if (log.ok) expect(typeof log.value).toBe('string');
    });
    // then
    expect(calls[0]).toMatchObject({ method: 'GET', path: `/api/v1/namespaces/default/pods/${pod}/log`, query: { container: 'web', tailLines: '10' } });
    expect(await port.logs({ account: 'k8s', namespace: 'default', pod: 'no-such-pod' })).toMatchObject({ ok: false, reason: 'not-found' });
  });
});

describe('namespaces an account may use', () => {
  it('refuses every operation on a namespace outside the account\'s list, naming it and the allowed ones, without a call', async () => {
    const ref = { account: 'k8s-web', kind: 'ConfigMap', namespace: 'other', name: 'x' };
    const message = "namespace 'other' is not one of account 'k8s-web''s namespaces (web, default); use one of them or add it to the account's namespaces";
    const calls = await callsDuring(async () => {
      for (const result of [
        await port.apply('k8s-web', { ...configMap('x', {}), metadata: { name: 'x', namespace: 'other' } }, { owner }),
        await port.get(ref),
        await port.list({ account: 'k8s-web', kind: 'ConfigMap', namespace: 'other' }),
        await port.patch(ref, 'merge', {}, { owner }),
        await port.scale(ref, 1, { owner }),
        await port.delete(ref, { owner }),
        await port.logs({ account: 'k8s-web', namespace: 'other', pod: 'p' }),
      ]) {
        expect(result).toEqual({ ok: false, reason: 'forbidden', message });
      }
    });
    expect(calls).toEqual([]);
    expect(port.settings('k8s-web')).toEqual({ namespaces: ['web', 'default'], defaultNamespace: 'default' });
    expect(port.settings('nobody')).toBeUndefined();
    expect(value(await port.apply('k8s-web', { ...configMap('allowed', {}), metadata: { name: 'allowed', namespace: 'web' } }, { owner }))).toMatchObject({ metadata: { namespace: 'web' } });
  });
});

describe('failures', () => {
  it.each([
    [429, 'TooManyRequests', 'unavailable', '; it will be tried again'],
    [500, 'InternalError', 'unavailable', '; it will be tried again'],
    [403, 'Forbidden', 'forbidden', "; grant the account's user this verb on this resource (RBAC)"],
    [422, 'Invalid', 'invalid', ''],
  ])('answers %i %s as %s, with the server\'s message on one line', async (status, reason, expected, advice) => {
    value(await port.get({ account: 'k8s', kind: 'replicaSet', namespace: 'default', name: 'warm-up' }));
    world.sim.failNext(1, { status, reason, message: `injected\n${reason}`, pathPrefix: '/apis/apps/v1/namespaces/default/replicasets' });
    const result = await port.apply('k8s', replicaSet('web-v009'), { owner });
    expect(result).toEqual({ ok: false, reason: expected, status, message: `applying replicaSet default/web-v009 failed: ${status} ${reason}: injected ${reason}${advice}`, cause: expect.anything() });
  });

  it('answers unavailable when the API server refuses connections', async () => {
    // given a port nothing listens on
    const closed = await new Promise<number>((resolve) => {
      const server: Server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: taken } = server.address() as { port: number };
        server.close(() => resolve(taken));
      });
    });
    const gone = createKubernetesManifests({ accounts: [connectTo(`http://127.0.0.1:${closed}`, 'gone')] });
    // when
    const result = await gone.get({ account: 'gone', kind: 'ConfigMap', namespace: 'default', name: 'x' });
    // then
    expect(result).toMatchObject({ ok: false, reason: 'unavailable', message: "reading configMap default/x (reading the server's API discovery) failed: the API server could not be reached (ECONNREFUSED); it will be tried again" });
  });

  it('answers unavailable when the API server does not answer in time', async () => {
    // given a server that accepts connections and never answers
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port: listening } = silent.address() as { port: number };
      const slow = createKubernetesManifests({ accounts: [connectTo(`http://127.0.0.1:${listening}`, 'slow', {}, 200)] });
      // when
      const result = await slow.get({ account: 'slow', kind: 'ConfigMap', namespace: 'default', name: 'x' });
      // then
      expect(result).toMatchObject({ ok: false, reason: 'unavailable' });
      if (!result.ok) expect(result.message).toContain('the API server did not answer in time');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('never puts the account\'s token in a message', async () => {
    world.sim.failNext(1, { status: 401, reason: 'Unauthorized', message: 'Bearer test-token is not valid' });
    const result = await port.get({ account: 'k8s', kind: 'ConfigMap', namespace: 'default', name: 'settings' });
    expect(result).toMatchObject({ ok: false, reason: 'failed', status: 401 });
    if (!result.ok) expect(result.message).not.toContain('test-token');
  });
});
