/**
 * clouddriver's annotater, labeler and strategy annotations, with the keys verbatim: what is set
 * only when absent, what is overwritten, and where (the object and its pod template).
 */
import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  LABELS,
  annotateManifest,
  labelManifest,
  readLoadBalancers,
  readMoniker,
  readStrategy,
  setLoadBalancers,
} from '../../../../core/deploy/kubernetes/index.ts';

const replicaSet = (annotations: Record<string, string> = {}, templateLabels: Record<string, string> = { app: 'web' }) => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'prod', annotations },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: templateLabels }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
});

describe('the keys', () => {
  it('are clouddriver\'s, verbatim', () => {
    expect(ANNOTATIONS).toMatchObject({
      cluster: 'moniker.spinnaker.io/cluster',
      application: 'moniker.spinnaker.io/application',
      stack: 'moniker.spinnaker.io/stack',
      detail: 'moniker.spinnaker.io/detail',
      sequence: 'moniker.spinnaker.io/sequence',
      artifactType: 'artifact.spinnaker.io/type',
      artifactName: 'artifact.spinnaker.io/name',
      artifactLocation: 'artifact.spinnaker.io/location',
      artifactVersion: 'artifact.spinnaker.io/version',
      loadBalancers: 'traffic.spinnaker.io/load-balancers',
      versioned: 'strategy.spinnaker.io/versioned',
      maxVersionHistory: 'strategy.spinnaker.io/max-version-history',
      useSourceCapacity: 'strategy.spinnaker.io/use-source-capacity',
      recreate: 'strategy.spinnaker.io/recreate',
      replace: 'strategy.spinnaker.io/replace',
      serverSideApply: 'strategy.spinnaker.io/server-side-apply',
    });
    expect(LABELS).toEqual({ name: 'app.kubernetes.io/name', managedBy: 'app.kubernetes.io/managed-by', sequence: 'moniker.spinnaker.io/sequence' });
  });
});

describe('annotateManifest', () => {
  it('writes the moniker and artifact on the object and on its pod template, leaving the input alone', () => {
    // given
    const input = replicaSet();
    // when
    const annotated = annotateManifest(input, {
      moniker: { app: 'hello', cluster: 'replicaSet web', stack: 'prod', sequence: 3 },
      artifact: { type: 'kubernetes/replicaSet', name: 'web', location: 'prod', version: 'v003', reference: 'web-v003' },
    }) as ReturnType<typeof replicaSet>;
    // then
    const expected = {
      'moniker.spinnaker.io/application': 'hello',
      'moniker.spinnaker.io/cluster': 'replicaSet web',
      'moniker.spinnaker.io/stack': 'prod',
      'moniker.spinnaker.io/sequence': '3',
      'artifact.spinnaker.io/type': 'kubernetes/replicaSet',
      'artifact.spinnaker.io/name': 'web',
      'artifact.spinnaker.io/location': 'prod',
      'artifact.spinnaker.io/version': 'v003',
    };
    expect(annotated.metadata.annotations).toEqual(expected);
    expect((annotated.spec.template.metadata as { annotations?: unknown }).annotations).toEqual(expected);
    expect(input.metadata.annotations).toEqual({});
  });

  it('sets each annotation only when absent', () => {
    const annotated = annotateManifest(replicaSet({ 'moniker.spinnaker.io/cluster': 'mine' }), { moniker: { app: 'hello', cluster: 'replicaSet web' } }) as ReturnType<typeof replicaSet>;
    expect(annotated.metadata.annotations['moniker.spinnaker.io/cluster']).toBe('mine');
    expect(annotated.metadata.annotations['moniker.spinnaker.io/application']).toBe('hello');
  });

  it('annotates only metadata of an object without a pod template', () => {
    const annotated = annotateManifest({ kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } }, { moniker: { app: 'hello' } });
    expect(annotated).toEqual({ kind: 'ConfigMap', metadata: { name: 'c', annotations: { 'moniker.spinnaker.io/application': 'hello' } }, data: { a: '1' } });
  });
});

describe('labelManifest', () => {
  it('sets app.kubernetes.io/name if absent and overwrites managed-by and the sequence, on the object and its template', () => {
    const input = replicaSet({}, { app: 'web', 'app.kubernetes.io/name': 'mine', 'app.kubernetes.io/managed-by': 'helm', 'moniker.spinnaker.io/sequence': '9' });
    const labeled = labelManifest(input, { app: 'hello', sequence: 2 }) as { metadata: { labels: Record<string, string> }; spec: { template: { metadata: { labels: Record<string, string> } } } };
    expect(labeled.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/managed-by': 'spinnaker', 'moniker.spinnaker.io/sequence': '2' });
    expect(labeled.spec.template.metadata.labels).toEqual({ app: 'web', 'app.kubernetes.io/name': 'mine', 'app.kubernetes.io/managed-by': 'spinnaker', 'moniker.spinnaker.io/sequence': '2' });
  });

  it('leaves the template labels alone with skipSpecTemplateLabels, and takes a managed-by suffix', () => {
    const labeled = labelManifest(replicaSet(), { app: 'hello' }, { skipSpecTemplateLabels: true, managedBySuffix: 'prod' }) as { metadata: { labels: Record<string, string> }; spec: { template: { metadata: { labels: Record<string, string> } } } };
    expect(labeled.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/managed-by': 'spinnaker-prod' });
    expect(labeled.spec.template.metadata.labels).toEqual({ app: 'web' });
  });
});

describe('readStrategy', () => {
  it.each([
    [{}, { versioned: 'default', useSourceCapacity: false, deployStrategy: 'apply', forceConflicts: false }],
    [{ 'strategy.spinnaker.io/versioned': 'true' }, { versioned: 'true' }],
    [{ 'strategy.spinnaker.io/versioned': 'false' }, { versioned: 'false' }],
    [{ 'strategy.spinnaker.io/versioned': 'yes' }, { versioned: 'false' }],
    [{ 'strategy.spinnaker.io/max-version-history': '4' }, { maxVersionHistory: 4 }],
    [{ 'strategy.spinnaker.io/max-version-history': 'four' }, { versioned: 'default' }],
    [{ 'strategy.spinnaker.io/use-source-capacity': 'TRUE' }, { useSourceCapacity: true }],
    [{ 'strategy.spinnaker.io/recreate': 'true', 'strategy.spinnaker.io/replace': 'true' }, { deployStrategy: 'recreate' }],
    [{ 'strategy.spinnaker.io/replace': 'true' }, { deployStrategy: 'replace' }],
    [{ 'strategy.spinnaker.io/server-side-apply': 'true' }, { deployStrategy: 'server-side', forceConflicts: false }],
    [{ 'strategy.spinnaker.io/server-side-apply': 'force-conflicts' }, { deployStrategy: 'server-side', forceConflicts: true }],
    [{ 'strategy.spinnaker.io/server-side-apply': 'false' }, { deployStrategy: 'apply' }],
  ])('reads %j', (annotations, expected) => {
    expect(readStrategy(replicaSet(annotations))).toMatchObject(expected);
  });

  it('has no max-version-history when the annotation is not a number', () => {
    expect(readStrategy(replicaSet({ 'strategy.spinnaker.io/max-version-history': '2x' })).maxVersionHistory).toBeUndefined();
  });
});

describe('traffic annotation', () => {
  it('reads and writes the load balancers as a JSON list', () => {
    const written = setLoadBalancers(replicaSet(), ['service web-svc']);
    expect(written.ok).toBe(true);
    if (!written.ok) return;
    expect((written.value as ReturnType<typeof replicaSet>).metadata.annotations['traffic.spinnaker.io/load-balancers']).toBe('["service web-svc"]');
    expect(readLoadBalancers(written.value)).toEqual({ ok: true, value: ['service web-svc'] });
  });

  it('keeps the same list, and refuses a different one with clouddriver\'s message', () => {
    const annotated = replicaSet({ 'traffic.spinnaker.io/load-balancers': '["service a"]' });
    expect(setLoadBalancers(annotated, ['service a'])).toEqual({ ok: true, value: annotated });
    const refused = setLoadBalancers(annotated, ['service b']);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toMatch(/^Manifest already has traffic\.spinnaker\.io\/load-balancers annotation set to \["service a"\]\. Failed attempting to set it to \["service b"\]/);
  });

  it('fails to read an annotation that is not a JSON list of names', () => {
    const read = readLoadBalancers(replicaSet({ 'traffic.spinnaker.io/load-balancers': 'service a' }));
    expect(read.ok).toBe(false);
  });
});

describe('readMoniker', () => {
  it('reads the moniker annotations', () => {
    const manifest = replicaSet({ 'moniker.spinnaker.io/application': 'hello', 'moniker.spinnaker.io/cluster': 'replicaSet web', 'moniker.spinnaker.io/sequence': '4' });
    expect(readMoniker(manifest)).toEqual({ app: 'hello', cluster: 'replicaSet web', sequence: 4 });
  });
});
