/** Dynamic targets: a moniker cluster's objects and the one each criteria picks. */
import { describe, expect, it } from 'vitest';
import { clusterMembers, isTargetCriteria, selectTarget, type TargetCriteria } from '../../../../core/deploy/kubernetes/index.ts';
import type { KubernetesObject } from '../../../../core/ports/manifests.ts';

const rs = (name: string, created: string, replicas: number, cluster = 'replicaSet web', app = 'hello', version?: string): KubernetesObject => ({
  kind: 'ReplicaSet',
  metadata: {
    name,
    creationTimestamp: created,
    annotations: { 'moniker.spinnaker.io/cluster': cluster, 'moniker.spinnaker.io/application': app, ...(version ? { 'artifact.spinnaker.io/type': 'kubernetes/replicaSet', 'artifact.spinnaker.io/name': 'web', 'artifact.spinnaker.io/version': version } : {}) },
  },
  spec: { replicas },
});

const objects = [rs('web-v002', '2026-01-03T00:00:00Z', 1), rs('web-v000', '2026-01-01T00:00:00Z', 5), rs('web-v001', '2026-01-02T00:00:00Z', 3), rs('api-v000', '2026-01-04T00:00:00Z', 9, 'replicaSet api'), rs('other-v000', '2026-01-05T00:00:00Z', 9, 'replicaSet web', 'other')];
const nameOf = (object: KubernetesObject | undefined) => (object?.['metadata'] as { name?: string } | undefined)?.name;

describe('dynamic targets', () => {
  it('keeps the objects of the cluster and application', () => {
    expect(clusterMembers(objects, 'replicaSet web', 'hello').map(nameOf)).toEqual(['web-v002', 'web-v000', 'web-v001']);
    expect(clusterMembers(objects, 'replicaSet web').map(nameOf)).toEqual(['web-v002', 'web-v000', 'web-v001', 'other-v000']);
  });

  it.each([
    ['newest', 'web-v002'],
    ['second_newest', 'web-v001'],
    ['oldest', 'web-v000'],
    ['largest', 'web-v000'],
    ['smallest', 'web-v002'],
  ] as Array<[TargetCriteria, string]>)('%s picks %s', (criteria, expected) => {
    expect(nameOf(selectTarget(clusterMembers(objects, 'replicaSet web', 'hello'), criteria))).toBe(expected);
  });

  it('has no second newest of one object, and nothing of none', () => {
    expect(selectTarget([objects[0]!], 'second_newest')).toBeUndefined();
    expect(selectTarget([], 'newest')).toBeUndefined();
  });

  it('breaks equal creation times by version', () => {
    const same = [rs('web-a', '2026-01-01T00:00:00Z', 1, 'replicaSet web', 'hello', 'v001'), rs('web-b', '2026-01-01T00:00:00Z', 1, 'replicaSet web', 'hello', 'v000')];
    expect(nameOf(selectTarget(same, 'newest'))).toBe('web-a');
    expect(nameOf(selectTarget(same, 'second_newest'))).toBe('web-b');
  });

  it('recognizes the criteria', () => {
    expect(['newest', 'second_newest', 'oldest', 'largest', 'smallest'].every(isTargetCriteria)).toBe(true);
    expect(isTargetCriteria('latest')).toBe(false);
  });
});
