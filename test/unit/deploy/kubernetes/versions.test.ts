/**
 * Versioned objects: which kinds, `-v000` names, clouddriver's ResourceVersioner (reuse an
 * identical version, else the greatest plus one) and max-version-history pruning.
 */
import { describe, expect, it } from 'vitest';
import {
  annotateManifest,
  chooseVersion,
  isVersioned,
  labelManifest,
  parseVersionLabel,
  versionedName,
  versionLabel,
  versionsToPrune,
} from '../../../../core/deploy/kubernetes/index.ts';
import type { KubernetesObject } from '../../../../core/ports/manifests.ts';

const manifest = (image: string): KubernetesObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'prod' },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } } },
});

/** The manifest as a deploy at `version` applied it, with the last-applied annotation kubectl apply writes. */
function deployed(source: KubernetesObject, version: number, lastApplied = true): KubernetesObject {
  const artifact = { type: 'kubernetes/replicaSet', name: 'web', location: 'prod', version: versionLabel(version), reference: versionedName('web', version) };
  const prepared = labelManifest(annotateManifest(source, { artifact, moniker: { app: 'hello', cluster: 'replicaSet web', sequence: version } }), { app: 'hello', sequence: version }) as { metadata: Record<string, unknown> };
  const applied: { metadata: Record<string, unknown> } = { ...prepared, metadata: { ...prepared.metadata, name: versionedName('web', version) } };
  if (!lastApplied) return { ...applied, status: { replicas: 2 } };
  const annotations = { ...(applied.metadata['annotations'] as Record<string, string>), 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) };
  return { ...applied, metadata: { ...applied.metadata, uid: `uid-${version}`, annotations }, status: { replicas: 2 } };
}

/** The new manifest as the deploy prepares it, before it knows the version. */
const candidate = (source: KubernetesObject | string) =>
  labelManifest(
    annotateManifest(typeof source === 'string' ? manifest(source) : source, {
      artifact: { type: 'kubernetes/replicaSet', name: 'web', location: 'prod', reference: 'web' },
      moniker: { app: 'hello', cluster: 'replicaSet web' },
    }),
    { app: 'hello' },
  );

describe('isVersioned', () => {
  it.each([
    ['ReplicaSet', {}, undefined, true],
    ['ConfigMap', {}, undefined, true],
    ['Secret', {}, undefined, true],
    ['Pod', {}, undefined, true],
    ['Deployment', {}, undefined, false],
    ['Service', {}, undefined, false],
    ['Deployment', { 'strategy.spinnaker.io/versioned': 'true' }, undefined, true],
    ['ReplicaSet', { 'strategy.spinnaker.io/versioned': 'false' }, undefined, false],
    ['ReplicaSet', {}, false, false],
    ['ReplicaSet', { 'strategy.spinnaker.io/versioned': 'true' }, false, true],
  ])('%s with %j (stage override %s): %s', (kind, annotations, override, expected) => {
    expect(isVersioned({ kind, metadata: { name: 'x', annotations } }, override)).toBe(expected);
  });
});

describe('version names', () => {
  it('pads to three digits and parses back', () => {
    expect(versionedName('web', 0)).toBe('web-v000');
    expect(versionedName('web', 12)).toBe('web-v012');
    expect(versionedName('web', 1234)).toBe('web-v1234');
    expect(parseVersionLabel('v003')).toBe(3);
    expect(parseVersionLabel('3')).toBeUndefined();
    expect(parseVersionLabel(undefined)).toBeUndefined();
  });
});

describe('chooseVersion', () => {
  it('starts at v000', () => {
    expect(chooseVersion(candidate('nginx:1'), 'web', [])).toEqual({ version: 0, reused: false });
  });

  it('takes the greatest version plus one, ignoring other names', () => {
    const other = { ...deployed(manifest('nginx:1'), 7), metadata: { name: 'api-v007', annotations: { 'artifact.spinnaker.io/name': 'api', 'artifact.spinnaker.io/version': 'v007' } } };
    const live = [deployed(manifest('nginx:1'), 0), deployed(manifest('nginx:2'), 4), other];
    expect(chooseVersion(candidate('nginx:3'), 'web', live)).toEqual({ version: 5, reused: false });
  });

  it('reuses the version whose last-applied configuration is the same manifest', () => {
    const live = [deployed(manifest('nginx:1'), 0), deployed(manifest('nginx:2'), 1)];
    expect(chooseVersion(candidate('nginx:1'), 'web', live)).toEqual({ version: 0, reused: true });
    expect(chooseVersion(candidate('nginx:2'), 'web', live)).toEqual({ version: 1, reused: true });
  });

  it('compares the live object itself when it has no last-applied configuration', () => {
    const live = [deployed(manifest('nginx:1'), 2, false)];
    expect(chooseVersion(candidate('nginx:1'), 'web', live)).toEqual({ version: 2, reused: true });
  });

  it('does not reuse a version that differs in spec', () => {
    const changed = { ...manifest('nginx:1'), spec: { ...(manifest('nginx:1')['spec'] as object), replicas: 3 } };
    expect(chooseVersion(candidate(changed), 'web', [deployed(manifest('nginx:1'), 0)])).toEqual({ version: 1, reused: false });
  });
});

describe('versionsToPrune', () => {
  const live = [0, 1, 2, 3].map((version) => deployed(manifest(`nginx:${version}`), version));
  const names = (objects: KubernetesObject[]) => objects.map((object) => (object['metadata'] as { name: string }).name);

  it.each([
    [undefined, []],
    [4, []],
    [9, []],
    [3, ['web-v000']],
    [2, ['web-v000', 'web-v001']],
    [1, ['web-v000', 'web-v001', 'web-v002']],
  ])('with max-version-history %s prunes %j', (max, expected) => {
    expect(names(versionsToPrune('web', live, max))).toEqual(expected);
  });

  it('never prunes the version just deployed', () => {
    expect(names(versionsToPrune('web', live, 2, 0))).toEqual(['web-v001']);
  });
});
