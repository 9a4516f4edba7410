/** Manifests from objects and from YAML or JSON text: several documents, Lists, and clear refusals. */
import { describe, expect, it } from 'vitest';
import { flattenManifests, manifestProblem, parseManifestText } from '../../../../core/deploy/kubernetes/index.ts';

describe('manifest documents', () => {
  it('parses several YAML documents, skipping empty ones', () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\n---\nkind: ConfigMap\nmetadata:\n  name: b\n';
    const parsed = parseManifestText(text, 'manifestArtifact');
    expect(parsed.ok && parsed.value.map((manifest) => manifest['kind'])).toEqual(['Service', 'ConfigMap']);
  });

  it('parses JSON and expands a List', () => {
    const parsed = parseManifestText(JSON.stringify({ kind: 'List', items: [{ kind: 'Service', metadata: { name: 'a' } }, { kind: 'Pod', metadata: { name: 'b' } }] }), 'artifact');
    expect(parsed.ok && parsed.value.length).toBe(2);
  });

  it.each([
    ['kind: [', /^manifestArtifact is not valid YAML or JSON \(/],
    ['', /^manifestArtifact holds no manifest; put at least one Kubernetes object in it$/],
    ['kind: Service\nmetadata: {}\n', /^manifestArtifact document\[0\] \(Service\) has no metadata\.name; add one/],
    ['metadata:\n  name: a\n', /^manifestArtifact document\[0\] has no kind; add it/],
  ])('fails %j with one clear line', (text, message) => {
    const parsed = parseManifestText(text, 'manifestArtifact');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('names the entry that is not an object', () => {
    expect(manifestProblem('kind: Service', 'manifests[1]')).toBe('manifests[1] is the text "kind: Service", not a Kubernetes object; write it as an object with apiVersion, kind and metadata.name');
    expect(flattenManifests([{ kind: 'Service', metadata: { generateName: 'x-' } }]).ok).toBe(true);
  });
});
