/**
 * Traffic by Service selector labels: attaching at deploy time (with clouddriver's disjointness
 * rule), the enable/disable JSON patches on a workload and its pods, RFC 6901 escaping, owned pods.
 */
import { describe, expect, it } from 'vitest';
import {
  SELECTOR_OVERLAP_MESSAGE,
  attachServices,
  disablePatch,
  enablePatch,
  escapePointerToken,
  isSelectedBy,
  ownedPods,
  parseLoadBalancerName,
  workloadPodSelector,
} from '../../../../core/deploy/kubernetes/index.ts';
import type { KubernetesObject } from '../../../../core/ports/manifests.ts';

const service = (name: string, selector: Record<string, string> | undefined): KubernetesObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: selector ? { selector } : {} });
const replicaSet = (templateLabels: Record<string, string>): KubernetesObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-v001', uid: 'rs-uid', labels: { tier: 'web' } },
  spec: { selector: { matchLabels: { tier: 'web' } }, template: { metadata: { labels: templateLabels }, spec: { containers: [] } } },
});
const pod = (name: string, labels: Record<string, string>, owner?: { uid?: string; name?: string; kind?: string }): KubernetesObject => ({
  kind: 'Pod',
  metadata: { name, labels, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', controller: true, ...owner }] } : {}) },
});

describe('attachServices', () => {
  it('merges each selector into the pod template labels', () => {
    const attached = attachServices(replicaSet({ tier: 'web' }), [service('web-svc', { frontedBy: 'web-svc' }), service('admin', { 'example.com/admin': 'yes' })]);
    expect(attached.ok).toBe(true);
    if (attached.ok) expect((attached.value as { spec: { template: { metadata: { labels: unknown } } } }).spec.template.metadata.labels).toEqual({ tier: 'web', frontedBy: 'web-svc', 'example.com/admin': 'yes' });
  });

  it('merges into metadata.labels of a bare Pod', () => {
    const attached = attachServices(pod('p', { tier: 'web' }), [service('web-svc', { frontedBy: 'web-svc' })]);
    expect(attached.ok && (attached.value as { metadata: { labels: unknown } }).metadata.labels).toEqual({ tier: 'web', frontedBy: 'web-svc' });
  });

  it('fails when the selector shares a key with the workload, with clouddriver\'s message', () => {
    const attached = attachServices(replicaSet({ tier: 'web', app: 'hello' }), [service('web-svc', { app: 'hello' })]);
    expect(attached.ok).toBe(false);
    if (!attached.ok) {
      expect(attached.message.startsWith(SELECTOR_OVERLAP_MESSAGE)).toBe(true);
      expect(attached.message).toContain("service web-svc selects 'app'");
    }
  });

  it('fails for a Service without a selector', () => {
    const attached = attachServices(replicaSet({ tier: 'web' }), [service('web-svc', undefined)]);
    expect(attached.ok).toBe(false);
    if (!attached.ok) expect(attached.message).toMatch(/^Service must have a non-empty selector in order to be attached to a workload/);
  });
});

describe('enable and disable patches', () => {
  it('escapes pointer tokens per RFC 6901', () => {
    expect(escapePointerToken('example.com/admin')).toBe('example.com~1admin');
    expect(escapePointerToken('a~b/c')).toBe('a~0b~1c');
  });

  it('adds missing keys and replaces present ones under the template labels', () => {
    const workload = replicaSet({ tier: 'web', frontedBy: 'old' });
    expect(enablePatch(workload, service('web-svc', { frontedBy: 'web-svc', 'example.com/admin': 'yes' }))).toEqual([
      { op: 'replace', path: '/spec/template/metadata/labels/frontedBy', value: 'web-svc' },
      { op: 'add', path: '/spec/template/metadata/labels/example.com~1admin', value: 'yes' },
    ]);
  });

  it('removes only the keys present', () => {
    const workload = replicaSet({ tier: 'web', frontedBy: 'web-svc' });
    expect(disablePatch(workload, service('web-svc', { frontedBy: 'web-svc', other: 'x' }))).toEqual([{ op: 'remove', path: '/spec/template/metadata/labels/frontedBy' }]);
  });

  it('patches a pod under metadata.labels', () => {
    const live = pod('web-v001-abcde', { tier: 'web', frontedBy: 'web-svc' });
    expect(disablePatch(live, service('web-svc', { frontedBy: 'web-svc' }))).toEqual([{ op: 'remove', path: '/metadata/labels/frontedBy' }]);
    expect(enablePatch(pod('q', { tier: 'web' }), service('web-svc', { frontedBy: 'web-svc' }))).toEqual([{ op: 'add', path: '/metadata/labels/frontedBy', value: 'web-svc' }]);
  });

  it('tells whether a Service selects a workload', () => {
    expect(isSelectedBy(replicaSet({ frontedBy: 'web-svc' }), service('web-svc', { frontedBy: 'web-svc' }))).toBe(true);
    expect(isSelectedBy(replicaSet({ frontedBy: 'other' }), service('web-svc', { frontedBy: 'web-svc' }))).toBe(false);
    expect(isSelectedBy(replicaSet({}), service('none', undefined))).toBe(false);
  });
});

describe('owned pods', () => {
  it('keeps the pods whose owner reference names the workload, by uid or else by kind and name', () => {
    const pods = [
      pod('a', { tier: 'web' }, { uid: 'rs-uid', name: 'web-v001', kind: 'ReplicaSet' }),
      pod('b', { tier: 'web' }, { uid: 'other-uid', name: 'web-v002', kind: 'ReplicaSet' }),
      pod('c', { tier: 'web' }, { name: 'web-v001', kind: 'ReplicaSet' }),
      pod('d', { tier: 'web' }),
    ];
    expect(ownedPods(replicaSet({}), pods).map((entry) => (entry['metadata'] as { name: string }).name)).toEqual(['a', 'c']);
  });

  it('lists pods by the workload selector', () => {
    expect(workloadPodSelector(replicaSet({}))).toBe('tier=web');
    const expressions: KubernetesObject = { kind: 'ReplicaSet', spec: { selector: { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'In', values: ['x', 'y'] }, { key: 'c', operator: 'DoesNotExist' }] } } };
    expect(workloadPodSelector(expressions)).toBe('a=1,b in (x,y),!c');
  });
});

describe('parseLoadBalancerName', () => {
  it('takes services only, in the form "service <name>"', () => {
    expect(parseLoadBalancerName('service my-svc')).toEqual({ ok: true, value: { kind: 'Service', name: 'my-svc' } });
    expect(parseLoadBalancerName('my-svc').ok).toBe(false);
    expect(parseLoadBalancerName('ingress my-svc').ok).toBe(false);
  });
});
