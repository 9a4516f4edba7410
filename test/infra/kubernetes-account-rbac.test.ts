/**
 * The Role a Kubernetes account needs (infra/kubernetes-account-rbac.ts) is exactly what the
 * Kubernetes target sends: every operation of the manifest port and of the server-group and
 * traffic ports runs on the simulator, each request is read as Kubernetes' authorizer reads it
 * (API group, resource, subresource, verb), and each must be allowed by a rule, and each verb a
 * rule lists must have been used; docs/kubernetes-accounts.md shows the same Role.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYED_KINDS, KUBERNETES_RBAC_RULES, kubernetesRbacYaml } from '../../infra/kubernetes-account-rbac.ts';
import type { KubernetesCall } from '../../sandbox/kubernetes/server.ts';
import { startKubernetesWorld, type KubernetesWorld } from '../support/kubernetes-world.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A request as the authorizer sees it, or undefined for discovery (non-resource URLs). */
function authorized(call: KubernetesCall): { group: string; resource: string; verb: string } | undefined {
  const match = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(call.path);
  if (!match) {
    if (/^\/(api|apis)(\/[^/]+){0,2}$/.test(call.path)) return undefined;
    throw new Error(`the target called ${call.method} ${call.path}, outside a namespace: the account would need a ClusterRole`);
  }
  const [, group = '', plural, name, sub] = match;
  const verbs: Record<string, string> = { GET: name === undefined ? (call.query['watch'] === 'true' ? 'watch' : 'list') : 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name === undefined ? 'deletecollection' : 'delete' };
  return { group, resource: sub ? `${plural}/${sub}` : plural!, verb: verbs[call.method]! };
}

describe("a Kubernetes account's Role", () => {
  let world: KubernetesWorld;
  const owner = { owner: 'execution/stage/rbac' };

  beforeAll(async () => {
    world = await startKubernetesWorld({ podReadyAfterMs: 1000 });
    world.sim.createNamespace('web');
    world.sim.seed([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'web' }, spec: { selector: { frontedBy: 'web' }, ports: [{ port: 80 }] } }]);
  });

  afterAll(async () => {
    await world?.close();
  });

  it('allows every request the target makes, and lists no verb it does not use', async () => {
    // when every operation of the three ports runs
    const { manifests, target } = world;
    const config = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'web' }, data });
    const ok = (result: { ok: boolean }) => expect(result).toMatchObject({ ok: true });
    ok(await manifests.apply('k8s', config({ a: '1' }), owner));
    ok(await manifests.apply('k8s', config({ a: '2' }), owner));
    ok(await manifests.apply('k8s', config({ a: '3' }), { ...owner, mode: 'replace' }));
    ok(await manifests.apply('k8s', config({ a: '4' }), { ...owner, mode: 'recreate' }));
    ok(await manifests.apply('k8s', config({ a: '5' }), { ...owner, mode: 'server-side', forceConflicts: true }));
    ok(await manifests.list({ account: 'k8s', namespace: 'web', kind: 'configMap' }));
    ok(await manifests.patch({ account: 'k8s', namespace: 'web', kind: 'configMap', name: 'settings' }, 'merge', { data: { b: '1' } }, owner));
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'web' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } };
    ok(await manifests.apply('k8s', job, owner));
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'nginx' }] } } },
    };
    ok(await manifests.apply('k8s', deployment, owner));
    world.sim.tick(5_000);
    ok(await manifests.scale({ account: 'k8s', namespace: 'web', kind: 'deployment', name: 'api' }, 2, owner));
    const pods = await manifests.list({ account: 'k8s', namespace: 'web', kind: 'pod', labelSelector: 'job-name=migrate' });
    if (!pods.ok) throw new Error(pods.message);
    const pod = (pods.value[0]!['metadata'] as { name: string }).name;
    ok(await manifests.logs({ account: 'k8s', namespace: 'web', pod }));
    ok(await manifests.delete({ account: 'k8s', namespace: 'web', kind: 'configMap', name: 'settings' }, owner));
    const cluster = { account: 'k8s', location: 'web', cluster: 'shop-prod' };
    const serverGroup = { account: 'k8s', location: 'web', serverGroup: 'shop-prod-v000' };
    ok(await target.serverGroups.create({ ...cluster, name: 'shop-prod-v000', owner: 'e/s/create', capacity: { min: 1, max: 1, desired: 1 }, artifact: { type: 'docker/image', reference: 'shop:1' }, provider: { loadBalancers: ['service web'] } }));
    world.sim.tick(5_000);
    ok(await target.serverGroups.describeCluster(cluster));
    ok(await target.traffic.disable(serverGroup, { owner: 'e/s/disable' }));
    ok(await target.traffic.enable(serverGroup, { owner: 'e/s/enable' }));
    ok(await target.serverGroups.resize(serverGroup, { min: 2, max: 2, desired: 2 }, { owner: 'e/s/resize' }));
    ok(await target.serverGroups.destroy(serverGroup, { owner: 'e/s/destroy' }));

    // then each request is allowed by a rule
    const requests = world.sim.calls().flatMap((call) => authorized(call) ?? []);
    const allows = (request: { group: string; resource: string; verb: string }) =>
      KUBERNETES_RBAC_RULES.some((rule) => rule.apiGroups.includes(request.group) && rule.resources.includes(request.resource) && rule.verbs.includes(request.verb));
    expect(requests.filter((request) => !allows(request))).toEqual([]);

    // and each verb of a rule was used on one of its resources (the deployed kinds' verbs on any deployed kind)
    const used = (resources: readonly string[], verb: string) => requests.some((request) => resources.includes(request.resource) && request.verb === verb);
    const deployed = DEPLOYED_KINDS.flatMap((kind) => kind.resources);
    const unused = KUBERNETES_RBAC_RULES.flatMap((rule) => rule.verbs.filter((verb) => !used(rule.resources.some((resource) => deployed.includes(resource)) ? deployed : rule.resources, verb)).map((verb) => `${rule.resources.join(',')}: ${verb}`));
    expect(unused).toEqual([]);
  }, 30_000);

  it('is what docs/kubernetes-accounts.md shows', () => {
    expect(readFileSync(join(root, 'docs', 'kubernetes-accounts.md'), 'utf8')).toContain(kubernetesRbacYaml());
  });
});
