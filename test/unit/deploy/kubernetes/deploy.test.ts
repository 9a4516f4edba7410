/**
 * What deployManifest applies: priority order, namespaces, versions, annotations and labels,
 * traffic, artifact binding (images and a ConfigMap deployed alongside), and clouddriver's errors.
 */
import { describe, expect, it } from 'vitest';
import {
  deployReads,
  listKey,
  manifestNamesByNamespace,
  prepareDeploy,
  serviceKey,
  type DeployReadResults,
  type DeployRequest,
} from '../../../../core/deploy/kubernetes/index.ts';
import type { KubernetesObject } from '../../../../core/ports/manifests.ts';

const replicaSet = (annotations: Record<string, string> = {}, image = 'gcr.io/acme/web:latest'): KubernetesObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', annotations },
  spec: {
    replicas: 3,
    selector: { matchLabels: { tier: 'web' } },
    template: { metadata: { labels: { tier: 'web' } }, spec: { containers: [{ name: 'web', image }], volumes: [{ name: 'c', configMap: { name: 'web-config' } }] } },
  },
});
const configMap: KubernetesObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { a: '1' } };
const service = (name: string, selector: Record<string, string>): KubernetesObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'prod' }, spec: { selector } });

const request = (overrides: Partial<DeployRequest> = {}): DeployRequest => ({
  account: 'k8s',
  manifests: [replicaSet(), configMap],
  moniker: { app: 'hello' },
  defaultNamespace: 'prod',
  artifacts: [],
  requiredArtifacts: [],
  services: [],
  enableTraffic: true,
  strategy: 'none',
  ...overrides,
});
const noReads: DeployReadResults = { lists: new Map(), services: new Map() };

describe('prepareDeploy', () => {
  it('deploys the ConfigMap first, versions both, and binds the ConfigMap version into the ReplicaSet', () => {
    const prepared = prepareDeploy(request(), noReads);
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.value.manifests.map((entry) => entry.manifestName)).toEqual(['configMap web-config-v000', 'replicaSet web-v000']);
    const rs = prepared.value.manifests[1]!.manifest as { metadata: { name: string; namespace: string; annotations: Record<string, string>; labels: Record<string, string> }; spec: { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { volumes: Array<{ configMap: { name: string } }> } } } };
    expect(rs.metadata.name).toBe('web-v000');
    expect(rs.metadata.namespace).toBe('prod');
    expect(rs.metadata.annotations).toMatchObject({
      'moniker.spinnaker.io/application': 'hello',
      'moniker.spinnaker.io/cluster': 'replicaSet web',
      'moniker.spinnaker.io/sequence': '0',
      'artifact.spinnaker.io/type': 'kubernetes/replicaSet',
      'artifact.spinnaker.io/name': 'web',
      'artifact.spinnaker.io/location': 'prod',
      'artifact.spinnaker.io/version': 'v000',
    });
    expect(rs.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/managed-by': 'spinnaker', 'moniker.spinnaker.io/sequence': '0' });
    expect(rs.spec.template.metadata.labels).toEqual({ tier: 'web', 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/managed-by': 'spinnaker', 'moniker.spinnaker.io/sequence': '0' });
    expect(rs.spec.template.spec.volumes[0]!.configMap.name).toBe('web-config-v000');
    expect(prepared.value.createdArtifacts.map((artifact) => artifact.reference)).toEqual(['web-config-v000', 'web-v000']);
    expect(manifestNamesByNamespace(prepared.value.manifests)).toEqual({ prod: ['configMap web-config-v000', 'replicaSet web-v000'] });
  });

  it('takes the next version after the live ones, and reuses an identical one', () => {
    // given v000 as the first deploy applied it
    const first = prepareDeploy(request({ manifests: [replicaSet()] }), noReads);
    if (!first.ok) throw new Error(first.message);
    const applied = first.value.manifests[0]!.manifest as { metadata: Record<string, unknown> };
    const live = { ...applied, metadata: { ...applied.metadata, annotations: { ...(applied.metadata['annotations'] as object), 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) } } };
    const reads: DeployReadResults = { lists: new Map([[listKey('ReplicaSet', 'prod'), [live]]]), services: new Map() };
    // when the same manifest is deployed again, then another
    const same = prepareDeploy(request({ manifests: [replicaSet()] }), reads);
    const changed = prepareDeploy(request({ manifests: [replicaSet({}, 'gcr.io/acme/web:2')] }), reads);
    // then
    expect(same.ok && same.value.manifests[0]).toMatchObject({ manifestName: 'replicaSet web-v000', version: 0, reused: true });
    expect(changed.ok && changed.value.manifests[0]).toMatchObject({ manifestName: 'replicaSet web-v001', version: 1, reused: false });
  });

  it('keeps an unversioned kind\'s name, and puts namespaceOverride on every namespaced manifest', () => {
    const deployment: KubernetesObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'dev' }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: {} } } };
    const namespace: KubernetesObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'staging' } };
    const prepared = prepareDeploy(request({ manifests: [deployment, namespace], namespaceOverride: 'staging' }), noReads);
    expect(prepared.ok && prepared.value.manifests.map((entry) => [entry.manifestName, entry.namespace])).toEqual([
      ['namespace staging', ''],
      ['deployment api', 'staging'],
    ]);
  });

  it('attaches the stage\'s services: annotation written, selector merged into the template labels', () => {
    const reads: DeployReadResults = { lists: new Map(), services: new Map([[serviceKey('prod', 'web-svc'), service('web-svc', { frontedBy: 'web-svc' })]]) };
    const prepared = prepareDeploy(request({ manifests: [replicaSet()], services: ['service web-svc'], strategy: 'redblack' }), reads);
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    const rs = prepared.value.manifests[0]!.manifest as { metadata: { annotations: Record<string, string> }; spec: { template: { metadata: { labels: Record<string, string> } } } };
    expect(rs.metadata.annotations['traffic.spinnaker.io/load-balancers']).toBe('["service web-svc"]');
    expect(rs.spec.template.metadata.labels['frontedBy']).toBe('web-svc');
  });

  it('attaches the Services of the annotation, from the request first', () => {
    const annotated = replicaSet({ 'traffic.spinnaker.io/load-balancers': '["service hellosvc"]' });
    const inRequest = service('hellosvc', { frontedBy: 'hellosvc' });
    expect(deployReads(request({ manifests: [annotated, inRequest] })).services).toEqual([]);
    const prepared = prepareDeploy(request({ manifests: [annotated, inRequest] }), noReads);
    expect(prepared.ok && (prepared.value.manifests[1]!.manifest as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels['frontedBy']).toBe('hellosvc');
  });

  it('does not attach when traffic is off', () => {
    const prepared = prepareDeploy(request({ manifests: [replicaSet({ 'traffic.spinnaker.io/load-balancers': '["service gone"]' })], enableTraffic: false }), noReads);
    expect(prepared.ok).toBe(true);
  });

  it('asks to read the live versions and the Services it attaches', () => {
    expect(deployReads(request({ services: ['service web-svc'] }))).toEqual({
      lists: [
        { kind: 'ReplicaSet', apiVersion: 'apps/v1', namespace: 'prod' },
        { kind: 'ConfigMap', apiVersion: 'v1', namespace: 'prod' },
      ],
      services: [{ namespace: 'prod', name: 'web-svc' }],
    });
  });

  it('binds a docker image and reports it bound', () => {
    const image = { type: 'docker/image', name: 'gcr.io/acme/web', reference: 'gcr.io/acme/web:1.4.0' };
    const prepared = prepareDeploy(request({ manifests: [replicaSet()], artifacts: [image], requiredArtifacts: [image] }), noReads);
    expect(prepared.ok && prepared.value.boundArtifacts).toEqual([image]);
    expect(prepared.ok && JSON.stringify(prepared.value.manifests[0]!.manifest)).toContain('gcr.io/acme/web:1.4.0');
  });

  it('copies replicas from the newest live version with use-source-capacity', () => {
    const live = { ...replicaSet(), metadata: { name: 'web-v004', annotations: { 'artifact.spinnaker.io/type': 'kubernetes/replicaSet', 'artifact.spinnaker.io/name': 'web', 'artifact.spinnaker.io/version': 'v004' } }, spec: { replicas: 7 } };
    const reads: DeployReadResults = { lists: new Map([[listKey('ReplicaSet', 'prod'), [live]]]), services: new Map() };
    const prepared = prepareDeploy(request({ manifests: [replicaSet({ 'strategy.spinnaker.io/use-source-capacity': 'true' })] }), reads);
    expect(prepared.ok && prepared.value.manifests[0]).toMatchObject({ version: 5, manifest: { spec: { replicas: 7 } } });
  });

  it.each([
    ['a required artifact that binds nothing', request({ manifests: [replicaSet()], requiredArtifacts: [{ type: 'docker/image', name: 'gcr.io/acme/api', reference: 'gcr.io/acme/api:1' }], artifacts: [{ type: 'docker/image', name: 'gcr.io/acme/api', reference: 'gcr.io/acme/api:1' }] }), noReads, /^The following required artifacts could not be bound: docker\/image gcr\.io\/acme\/api\. /],
    ['max-version-history 1 with red/black', request({ manifests: [replicaSet({ 'strategy.spinnaker.io/max-version-history': '1' })], strategy: 'redblack' }), noReads, /^replicaSet web: strategy\.spinnaker\.io\/max-version-history is "1", which conflicts with the behavior of the Red\/Black rollout strategy .*; set it to 2 or more$/],
    ['a Service that does not exist', request({ manifests: [replicaSet()], services: ['service gone'] }), noReads, /^replicaSet web: Load balancer service gone does not exist in namespace 'prod' of account 'k8s'/],
    ['a load balancer that is not a Service', request({ manifests: [replicaSet()], services: ['ingress web'] }), noReads, /^replicaSet web: Failed to attach load balancer "ingress web"\. Load balancers must be specified in the form '\{kind\} \{name\}', e\.g\. 'service my-service'$/],
    ['an annotation that disagrees with the stage', request({ manifests: [replicaSet({ 'traffic.spinnaker.io/load-balancers': '["service a"]' })], services: ['service b'] }), noReads, /^replicaSet web: Manifest already has traffic\.spinnaker\.io\/load-balancers annotation/],
    ['a selector overlapping the template labels', request({ manifests: [replicaSet()], services: ['service web-svc'] }), { lists: new Map(), services: new Map([[serviceKey('prod', 'web-svc'), service('web-svc', { tier: 'web' })]]) }, /^replicaSet web: Service selector must have no label keys in common with target workload: service web-svc selects 'tier'/],
  ])('fails for %s', (_, given, reads, message) => {
    const prepared = prepareDeploy(given, reads);
    expect(prepared.ok).toBe(false);
    if (!prepared.ok) expect(prepared.message).toMatch(message);
  });
});
