/** Binding artifacts into manifests as clouddriver's replacers do, and the artifact a manifest is. */
import { describe, expect, it } from 'vitest';
import { bindArtifacts, dockerRepository, manifestArtifact } from '../../../../core/deploy/kubernetes/index.ts';
import type { KubernetesObject } from '../../../../core/ports/manifests.ts';

const image = { type: 'docker/image', name: 'gcr.io/acme/web', reference: 'gcr.io/acme/web:1.2.3' };
const withContainers = (kind: string, containers: Array<{ name: string; image: string }>, extra: Record<string, unknown> = {}): KubernetesObject => ({
  kind,
  metadata: { name: 'w' },
  spec: { template: { spec: { containers, initContainers: [{ name: 'init', image: 'gcr.io/acme/web:old' }], ...extra } } },
});

describe('dockerRepository', () => {
  it.each([
    ['nginx', 'nginx'],
    ['nginx:1.2', 'nginx'],
    ['gcr.io/acme/web:1.2.3', 'gcr.io/acme/web'],
    ['localhost:5000/web', 'localhost:5000/web'],
    ['localhost:5000/web:2', 'localhost:5000/web'],
    ['gcr.io/acme/web@sha256:abc', 'gcr.io/acme/web'],
  ])('%s → %s', (reference, repository) => {
    expect(dockerRepository(reference)).toBe(repository);
  });
});

describe('bindArtifacts', () => {
  it.each(['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job'])('replaces matching images of a %s, containers and init containers', (kind) => {
    const bound = bindArtifacts(withContainers(kind, [{ name: 'web', image: 'gcr.io/acme/web:latest' }, { name: 'side', image: 'envoy:1' }]), [image]);
    const spec = (bound.manifest as { spec: { template: { spec: { containers: Array<{ image: string }>; initContainers: Array<{ image: string }> } } } }).spec.template.spec;
    expect(spec.containers.map((container) => container.image)).toEqual(['gcr.io/acme/web:1.2.3', 'envoy:1']);
    expect(spec.initContainers[0]!.image).toBe('gcr.io/acme/web:1.2.3');
    expect(bound.bound).toEqual([image]);
  });

  it('replaces images in a CronJob job template', () => {
    const cronJob: KubernetesObject = { kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'gcr.io/acme/web' }] } } } } } };
    const bound = bindArtifacts(cronJob, [image]);
    expect(JSON.stringify(bound.manifest)).toContain('"image":"gcr.io/acme/web:1.2.3"');
    expect(bound.bound).toHaveLength(1);
  });

  it('replaces a bare Pod\'s image only where it equals the artifact name', () => {
    const pod = (value: string): KubernetesObject => ({ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'p', image: value }] } });
    expect(JSON.stringify(bindArtifacts(pod('gcr.io/acme/web'), [image]).manifest)).toContain('gcr.io/acme/web:1.2.3');
    expect(bindArtifacts(pod('gcr.io/acme/web:latest'), [image]).bound).toEqual([]);
  });

  it('binds nothing into kinds clouddriver does not bind, nor other repositories', () => {
    expect(bindArtifacts({ kind: 'Service', metadata: { name: 's' } }, [image]).bound).toEqual([]);
    // another repository whose name starts with the artifact's stays as it is
    expect(JSON.stringify(bindArtifacts(withContainers('ReplicaSet', [{ name: 'w', image: 'gcr.io/acme/web-admin:1' }]), [image]).manifest)).toContain('"image":"gcr.io/acme/web-admin:1"');
    const none = bindArtifacts(withContainers('ReplicaSet', [{ name: 'w', image: 'gcr.io/acme/api:1' }], {}), [{ type: 'docker/image', name: 'gcr.io/acme/other', reference: 'gcr.io/acme/other:2' }]);
    expect(none.bound).toEqual([]);
  });

  it('replaces references to a versioned ConfigMap and Secret in volumes and environment', () => {
    const manifest = withContainers('Deployment', [{ name: 'w', image: 'x', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } }], envFrom: [{ secretRef: { name: 'creds' } }] } as never], {
      volumes: [{ name: 'v', configMap: { name: 'cfg' } }, { name: 's', secret: { secretName: 'creds' } }, { name: 'p', projected: { sources: [{ configMap: { name: 'cfg' } }] } }],
    });
    const bound = bindArtifacts(manifest, [
      { type: 'kubernetes/configMap', name: 'cfg', reference: 'cfg-v002', location: 'prod' },
      { type: 'kubernetes/secret', name: 'creds', reference: 'creds-v000', location: 'prod' },
    ]);
    const text = JSON.stringify(bound.manifest);
    expect(text.match(/cfg-v002/g)).toHaveLength(3);
    expect(text.match(/creds-v000/g)).toHaveLength(2);
    expect(text).not.toMatch(/"cfg"|"creds"/);
    expect(bound.bound).toHaveLength(2);
  });

  it('points an HPA at the deployed version of its ReplicaSet', () => {
    const hpa: KubernetesObject = { kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web' } } };
    const bound = bindArtifacts(hpa, [{ type: 'kubernetes/replicaSet', name: 'web', reference: 'web-v004' }]);
    expect((bound.manifest as { spec: { scaleTargetRef: { name: string } } }).spec.scaleTargetRef.name).toBe('web-v004');
  });
});

describe('manifestArtifact', () => {
  it('names a version and an unversioned object as ArtifactConverter does', () => {
    const rs: KubernetesObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'prod' } };
    expect(manifestArtifact(rs, 'web', 3)).toEqual({ type: 'kubernetes/replicaSet', name: 'web', location: 'prod', version: 'v003', reference: 'web-v003' });
    expect(manifestArtifact({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'prod' } }, 's')).toEqual({ type: 'kubernetes/service', name: 's', location: 'prod', reference: 's' });
  });
});
