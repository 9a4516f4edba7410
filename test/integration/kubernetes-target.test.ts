/**
 * The kubernetes target's Spinnaker model on the simulator, beyond what the port contracts see:
 * the ReplicaSet carries clouddriver's annotations and labels verbatim, and disabling takes the
 * Service's selector labels off the template and every live pod by JSON patch, so the Service
 * (never written) selects only the other version's pods, as clouddriver does it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKubernetesWorld, type KubernetesWorld } from '../support/kubernetes-world.ts';

let world: KubernetesWorld;

beforeAll(async () => {
  world = await startKubernetesWorld();
  world.sim.seed([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { frontedBy: 'web' }, ports: [{ port: 80 }] } }]);
});

afterAll(async () => {
  await world?.close();
});

const cluster = { account: 'k8s', location: 'default', cluster: 'shop-prod' };

async function createUp(sequence: number) {
  const name = `shop-prod-v00${sequence}`;
  const created = await world.target.serverGroups.create({
    ...cluster,
    name,
    owner: `execution/stage/create-${sequence}`,
    capacity: { min: 2, max: 2, desired: 2 },
    artifact: { type: 'docker/image', reference: `registry.example/shop:${sequence}` },
    provider: { loadBalancers: ['service web'] },
  });
  expect(created).toEqual({ ok: true, outcome: 'done' });
  world.sim.tick(5_000);
  return name;
}

const servicePods = () => world.sim.describe().namespaces.find((namespace) => namespace.name === 'default')!.services.find((service) => service.name === 'web')!;

it('writes clouddriver\'s annotations and labels, and switches traffic by label patches on the template and every pod, never on the Service', async () => {
  // given two Up versions behind the Service
  const v1 = await createUp(1);
  const v2 = await createUp(2);
  const replicaSet = await world.manifests.get({ account: 'k8s', kind: 'replicaSet', namespace: 'default', name: v1 });
  expect(replicaSet.ok && replicaSet.value).toMatchObject({
    metadata: {
      annotations: {
        'moniker.spinnaker.io/application': 'shop',
        'moniker.spinnaker.io/cluster': 'shop-prod',
        'moniker.spinnaker.io/stack': 'prod',
        'moniker.spinnaker.io/sequence': '1',
        'artifact.spinnaker.io/type': 'kubernetes/replicaSet',
        'artifact.spinnaker.io/name': 'shop-prod',
        'artifact.spinnaker.io/location': 'default',
        'artifact.spinnaker.io/version': 'v001',
        'traffic.spinnaker.io/load-balancers': '["service web"]',
      },
      labels: { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/managed-by': 'spinnaker', 'moniker.spinnaker.io/sequence': '1' },
    },
    spec: { template: { metadata: { labels: { frontedBy: 'web' } } } },
  });
  expect(servicePods().ready).toHaveLength(4);
  const service = await world.manifests.get({ account: 'k8s', kind: 'service', namespace: 'default', name: 'web' });
  const before = world.callCount();
  // when v001 is disabled
  expect(await world.target.traffic.disable({ account: 'k8s', location: 'default', serverGroup: v1 }, { owner: 'execution/stage/disable' })).toEqual({ ok: true, outcome: 'done' });
  // then the Service selects only v002's pods
  expect(servicePods().ready.every((pod) => pod.startsWith(v2))).toBe(true);
  expect(servicePods().ready).toHaveLength(2);
  const writes = world.sim.calls().slice(before).filter((call) => call.method !== 'GET');
  expect(writes.map((call) => [call.method, call.path.replace(/-[a-z0-9]{5}$/, '-*'), call.contentType])).toEqual([
    ['PATCH', `/apis/apps/v1/namespaces/default/replicasets/${v1}`, 'application/json-patch+json'],
    ['PATCH', `/api/v1/namespaces/default/pods/${v1}-*`, 'application/json-patch+json'],
    ['PATCH', `/api/v1/namespaces/default/pods/${v1}-*`, 'application/json-patch+json'],
  ]);
  const serviceAfter = await world.manifests.get({ account: 'k8s', kind: 'service', namespace: 'default', name: 'web' });
  expect(serviceAfter.ok && (serviceAfter.value?.['metadata'] as { resourceVersion: string }).resourceVersion).toBe(service.ok && (service.value?.['metadata'] as { resourceVersion: string }).resourceVersion);
  // when enabled again, its pods are back behind the Service
  expect(await world.target.traffic.enable({ account: 'k8s', location: 'default', serverGroup: v1 }, { owner: 'execution/stage/enable' })).toEqual({ ok: true, outcome: 'done' });
  expect(servicePods().ready).toHaveLength(4);
});
