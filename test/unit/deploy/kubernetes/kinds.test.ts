/**
 * Spinnaker's manifest names and kinds: `"replicaSet web"` both ways, lowerCamel kinds to API
 * kinds, custom resources with their group, and clouddriver's deploy priority order.
 */
import { describe, expect, it } from 'vitest';
import {
  apiKindOf,
  formatManifestName,
  kindProperties,
  manifestNameOf,
  parseManifestName,
  sortByDeployPriority,
  spinnakerKindOf,
  splitKind,
} from '../../../../core/deploy/kubernetes/index.ts';

describe('kinds', () => {
  it.each([
    ['replicaSet', 'ReplicaSet'],
    ['ReplicaSet', 'ReplicaSet'],
    ['replicaset', 'ReplicaSet'],
    ['deployment', 'Deployment'],
    ['service', 'Service'],
    ['configMap', 'ConfigMap'],
    ['horizontalpodautoscaler', 'HorizontalPodAutoscaler'],
    ['apiService', 'APIService'],
    ['virtualService', 'VirtualService'],
    ['VirtualService.networking.istio.io', 'VirtualService'],
  ])('resolves %s to the API kind %s', (kind, api) => {
    expect(apiKindOf(kind)).toBe(api);
  });

  it.each([
    ['ReplicaSet', 'apps/v1', 'replicaSet'],
    ['Service', 'v1', 'service'],
    ['CronJob', 'batch/v1', 'cronJob'],
    ['HorizontalPodAutoscaler', 'autoscaling/v2', 'horizontalpodautoscaler'],
    ['VirtualService', 'networking.istio.io/v1beta1', 'VirtualService.networking.istio.io'],
    ['Rollout', 'argoproj.io/v1alpha1', 'Rollout.argoproj.io'],
  ])('names %s of %s as Spinnaker does: %s', (kind, apiVersion, spinnaker) => {
    expect(spinnakerKindOf(kind, apiVersion)).toBe(spinnaker);
  });

  it('splits a custom kind from its group', () => {
    expect(splitKind('VirtualService.networking.istio.io')).toEqual({ apiKind: 'VirtualService', group: 'networking.istio.io' });
    expect(splitKind('replicaSet')).toEqual({ apiKind: 'ReplicaSet' });
  });

  it('knows which kinds are versioned and which receive traffic', () => {
    expect(['replicaSet', 'configMap', 'secret', 'pod'].map((kind) => kindProperties(kind)?.versioned)).toEqual([true, true, true, true]);
    expect(['deployment', 'service', 'job', 'statefulSet'].map((kind) => kindProperties(kind)?.versioned)).toEqual([false, false, false, false]);
    expect(['replicaSet', 'deployment', 'pod', 'statefulSet', 'daemonSet'].every((kind) => kindProperties(kind)?.receivesTraffic)).toBe(true);
    expect(['service', 'job', 'configMap'].some((kind) => kindProperties(kind)?.receivesTraffic)).toBe(false);
  });
});

describe('manifest names', () => {
  it('parses "<kind> <name>"', () => {
    expect(parseManifestName('replicaSet web')).toEqual({ ok: true, value: { kind: 'replicaSet', name: 'web' } });
    expect(parseManifestName('  service   my-svc ')).toEqual({ ok: true, value: { kind: 'service', name: 'my-svc' } });
  });

  it.each([[' '], ['web'], ['replicaSet web extra'], ['']])('fails to parse %j, naming the form', (text) => {
    const parsed = parseManifestName(text, 'manifestName');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toBe(`manifestName is ${JSON.stringify(text)}; write it as '<kind> <name>', e.g. 'replicaSet my-app' or 'service my-svc'`);
  });

  it('formats names with Spinnaker kinds', () => {
    expect(formatManifestName('ReplicaSet', 'web-v001')).toBe('replicaSet web-v001');
    expect(formatManifestName('replicaSet', 'web-v001')).toBe('replicaSet web-v001');
    expect(manifestNameOf({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'api' } })).toBe('deployment api');
    expect(manifestNameOf({ kind: 'VirtualService', apiVersion: 'networking.istio.io/v1', metadata: { name: 'r' } })).toBe('VirtualService.networking.istio.io r');
    expect(manifestNameOf({ kind: 'Service' })).toBeUndefined();
  });
});

describe('sortByDeployPriority', () => {
  it('deploys namespaces, CRDs, config and services before workloads, and HPAs last, keeping order within a priority', () => {
    const kinds = ['HorizontalPodAutoscaler', 'ReplicaSet', 'Deployment', 'Service', 'ConfigMap', 'Secret', 'CustomResourceDefinition', 'Namespace', 'VirtualService', 'ServiceAccount'];
    const sorted = sortByDeployPriority(kinds.map((kind) => ({ kind })));
    expect(sorted.map((manifest) => manifest.kind)).toEqual([
      'Namespace',
      'CustomResourceDefinition',
      'ServiceAccount',
      'ConfigMap',
      'Secret',
      'Service',
      'ReplicaSet',
      'Deployment',
      'HorizontalPodAutoscaler',
      'VirtualService',
    ]);
  });
});
