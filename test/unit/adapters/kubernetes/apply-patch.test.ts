/**
 * kubectl apply's three-way merge patch (adapters/targets/kubernetes/apply-patch.ts): changes
 * against the live object, deletions against the last applied configuration, the annotation
 * written as kubectl writes it, and nothing to send when the object already is the manifest.
 */
import { describe, expect, it } from 'vitest';
import { applyPatch, covers, LAST_APPLIED, lastAppliedOf, readLastApplied, withLastApplied } from '../../../../adapters/targets/kubernetes/apply-patch.ts';

const manifest = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'default', labels: { app: 'web', tier: 'front' } },
  data: { a: '1', b: '2' },
};

/** What the server holds after applying `applied`: the manifest, the annotation and the server's own fields. */
function liveAfter(applied: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const written = withLastApplied(applied) as { metadata: Record<string, unknown> };
  return { ...written, metadata: { ...written.metadata, uid: 'u-1', resourceVersion: '7', creationTimestamp: '2024-01-01T00:00:00Z' }, ...extra };
}

describe('kubectl apply patch', () => {
  it('writes the manifest without its own annotation as the last applied configuration', () => {
    const annotated = withLastApplied(manifest) as { metadata: { annotations: Record<string, string> } };
    expect(JSON.parse(annotated.metadata.annotations[LAST_APPLIED]!)).toEqual(manifest);
    // applying an object that already carries the annotation does not nest it
    expect(JSON.parse(lastAppliedOf(annotated as never))).toEqual(manifest);
    expect(readLastApplied(annotated as never)).toEqual(manifest);
  });

  it('sends nothing when the live object already is the manifest, whatever the server added', () => {
    expect(applyPatch(liveAfter(manifest, { status: { x: 1 } }), manifest)).toEqual({});
  });

  it('sets fields removed since the last apply to null and leaves fields others set alone', () => {
    // given an object applied with a label and a key, then labelled by someone else
    const live = liveAfter(manifest);
    (live.metadata as Record<string, unknown>)['labels'] = { app: 'web', tier: 'front', 'pod-template-hash': 'abc' };
    const next = { ...manifest, metadata: { ...manifest.metadata, labels: { app: 'web' } }, data: { a: '1' } };
    // when
    const patch = applyPatch(live, next) as { metadata: { labels: Record<string, unknown>; annotations: Record<string, string> }; data: Record<string, unknown> };
    // then
    expect(patch.metadata.labels).toEqual({ tier: null });
    expect(patch.data).toEqual({ b: null });
    expect(JSON.parse(patch.metadata.annotations[LAST_APPLIED]!)).toEqual(next);
  });

  it('sets back a field changed by hand that the manifest sets', () => {
    const live = liveAfter(manifest);
    (live as Record<string, unknown>)['data'] = { a: 'changed', b: '2' };
    expect(applyPatch(live, manifest)).toEqual({ data: { a: '1' } });
  });

  it('deletes an annotation the last apply set one by one, keeping the new last-applied annotation', () => {
    const first = { ...manifest, metadata: { ...manifest.metadata, annotations: { note: 'x' } } };
    const patch = applyPatch(liveAfter(first), manifest) as { metadata: { annotations: Record<string, unknown> } };
    expect(patch.metadata.annotations['note']).toBeNull();
    expect(typeof patch.metadata.annotations[LAST_APPLIED]).toBe('string');
  });

  it('replaces a list whole when it changed, and not when the server only defaulted fields inside it', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } };
    const live = liveAfter(service);
    (live as Record<string, unknown>)['spec'] = { ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], clusterIP: '10.0.0.1' };
    expect(applyPatch(live, service)).toEqual({});
    const changed = { ...service, spec: { ports: [{ port: 80 }, { port: 443 }] } };
    expect(applyPatch(live, changed)).toMatchObject({ spec: { ports: [{ port: 80 }, { port: 443 }] } });
  });

  it.each([
    [{ a: 1, b: { c: 2 } }, { b: { c: 2 } }, true],
    [{ a: 1 }, { a: 2 }, false],
    [[{ x: 1, y: 2 }], [{ x: 1 }], true],
    [[{ x: 1 }], [{ x: 1 }, { x: 2 }], false],
    [undefined, null, false],
  ])('covers(%j, %j) is %s', (live, desired, expected) => {
    expect(covers(live, desired)).toBe(expected);
  });
});
