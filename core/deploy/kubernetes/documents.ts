/**
 * Manifests as a stage supplies them: objects in `manifests` (text source) or the text of an
 * artifact (artifact source: YAML or JSON, one document or several separated by `---`). A `List`
 * (`kind: List`, `items`) stands for its items, as clouddriver's deploy converter reads it. Every
 * manifest must be an object with `kind` and `metadata.name` (or `metadata.generateName`). Pure.
 */
import { readYamlText } from '../../expressions/yaml-reader.ts';
import type { KubernetesObject } from '../../ports/manifests.ts';
import { isJsonObject, objectField, stringField } from './objects.ts';

export type ManifestsResult = { readonly ok: true; readonly value: readonly KubernetesObject[] } | { readonly ok: false; readonly message: string };

/** Why a value is not a manifest (`at` names it: `manifests[0]`), or undefined when it is one. */
export function manifestProblem(value: unknown, at: string): string | undefined {
  if (!isJsonObject(value)) return `${at} is ${describe(value)}, not a Kubernetes object; write it as an object with apiVersion, kind and metadata.name`;
  const kind = stringField(value, 'kind');
  if (kind === undefined) return `${at} has no kind; add it, e.g. "kind": "ReplicaSet"`;
  const metadata = objectField(value, 'metadata');
  if (stringField(metadata, 'name') === undefined && stringField(metadata, 'generateName') === undefined) {
    return `${at} (${kind}) has no metadata.name; add one, e.g. "metadata": {"name": "my-app"}`;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Expands `List` objects into their items and checks every manifest. */
export function flattenManifests(values: readonly unknown[], field = 'manifests'): ManifestsResult {
  const manifests: KubernetesObject[] = [];
  for (const [index, value] of values.entries()) {
    const at = `${field}[${index}]`;
    if (value === null || value === undefined) continue;
    if (isJsonObject(value) && stringField(value, 'kind') === 'List' && Array.isArray(value['items'])) {
      for (const [position, item] of value['items'].entries()) {
        const problem = manifestProblem(item, `${at}.items[${position}]`);
        if (problem) return { ok: false, message: problem };
        manifests.push(item as KubernetesObject);
      }
      continue;
    }
    const problem = manifestProblem(value, at);
    if (problem) return { ok: false, message: problem };
    manifests.push(value as KubernetesObject);
  }
  return { ok: true, value: manifests };
}

/** The manifests of a YAML or JSON text with one or more documents (empty documents skipped). `source` names it for messages. */
export function parseManifestText(text: string, source: string): ManifestsResult {
  const read = readYamlText(text, true);
  if (!read.ok) return { ok: false, message: `${source} is not valid YAML or JSON (${read.message}); fix the document` };
  const documents = (read.value as unknown[]).flatMap((document) => (Array.isArray(document) ? document : [document]));
  const flattened = flattenManifests(documents, `${source} document`);
  if (!flattened.ok) return flattened;
  if (flattened.value.length === 0) return { ok: false, message: `${source} holds no manifest; put at least one Kubernetes object in it` };
  return flattened;
}
