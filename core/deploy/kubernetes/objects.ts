/**
 * Reading and copying Kubernetes objects as plain JSON: the few accessors every module of
 * core/deploy/kubernetes/ shares (metadata, annotations, labels, the pod template), so none of
 * them reaches into an object with casts of its own. Pure.
 */
import type { KubernetesObject } from '../../ports/manifests.ts';

/** A JSON object as read from a manifest (never mutated in place: every writer copies). */
export type Json = Record<string, unknown>;

/** Whether a value is a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `key`, or undefined. */
export function objectField(value: unknown, key: string): Json | undefined {
  if (!isJsonObject(value)) return undefined;
  const found = value[key];
  return isJsonObject(found) ? found : undefined;
}

/** The string at `key`, or undefined (empty strings count as absent). */
export function stringField(value: unknown, key: string): string | undefined {
  if (!isJsonObject(value)) return undefined;
  const found = value[key];
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/** The finite number at `key`, or undefined. */
export function numberField(value: unknown, key: string): number | undefined {
  if (!isJsonObject(value)) return undefined;
  const found = value[key];
  return typeof found === 'number' && Number.isFinite(found) ? found : undefined;
}

/** A string map (labels, annotations, a selector): its string values only. */
export function stringMap(value: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  if (!isJsonObject(value)) return map;
  for (const [key, entry] of Object.entries(value)) if (typeof entry === 'string') map[key] = entry;
  return map;
}

/** A deep copy of JSON data. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/** `kind` as written. */
export function kindOf(object: KubernetesObject): string | undefined {
  return stringField(object, 'kind');
}

/** `metadata.name`. */
export function nameOf(object: KubernetesObject): string | undefined {
  return stringField(objectField(object, 'metadata'), 'name');
}

/** `metadata.namespace`. */
export function namespaceOf(object: KubernetesObject): string | undefined {
  return stringField(objectField(object, 'metadata'), 'namespace');
}

/** `metadata.annotations` (strings only). */
export function annotationsOf(object: KubernetesObject): Record<string, string> {
  return stringMap(objectField(objectField(object, 'metadata'), 'annotations'));
}

/** `metadata.labels` (strings only). */
export function labelsOf(object: KubernetesObject): Record<string, string> {
  return stringMap(objectField(objectField(object, 'metadata'), 'labels'));
}

/** `spec.template.metadata`, when the object has a pod template (Deployment, ReplicaSet, Job...). */
export function podTemplateMetadataOf(object: KubernetesObject): Json | undefined {
  const template = objectField(objectField(object, 'spec'), 'template');
  return template === undefined ? undefined : (objectField(template, 'metadata') ?? {});
}

/** Whether the object has a pod template (`spec.template`). */
export function hasPodTemplate(object: KubernetesObject): boolean {
  return objectField(objectField(object, 'spec'), 'template') !== undefined;
}

/** `spec.template.metadata.labels` (strings only); undefined without a pod template. */
export function podTemplateLabelsOf(object: KubernetesObject): Record<string, string> | undefined {
  const metadata = podTemplateMetadataOf(object);
  return metadata === undefined ? undefined : stringMap(metadata['labels']);
}

/** `metadata.creationTimestamp` in epoch milliseconds; undefined when absent or not a date. */
export function creationTimeOf(object: KubernetesObject): number | undefined {
  const stamp = stringField(objectField(object, 'metadata'), 'creationTimestamp');
  if (stamp === undefined) return undefined;
  const parsed = Date.parse(stamp);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** `spec.replicas`; undefined when the object has none. */
export function replicasOf(object: KubernetesObject): number | undefined {
  return numberField(objectField(object, 'spec'), 'replicas');
}

/**
 * A copy of `object` whose `metadata` (and, with `template`, `spec.template.metadata`) exist as
 * fresh objects, so a writer can set keys without touching the input.
 */
export function withMetadata(object: KubernetesObject): { object: Json; metadata: Json; template: Json | undefined } {
  const copy = cloneJson(object) as Json;
  const metadata = isJsonObject(copy['metadata']) ? copy['metadata'] : {};
  copy['metadata'] = metadata;
  let template: Json | undefined;
  const spec = copy['spec'];
  if (isJsonObject(spec) && isJsonObject(spec['template'])) {
    const podTemplate = spec['template'];
    template = isJsonObject(podTemplate['metadata']) ? podTemplate['metadata'] : {};
    podTemplate['metadata'] = template;
  }
  return { object: copy, metadata, template };
}

/** The string map at `holder[key]`, created when absent (a mutable view for a copy's writer). */
export function mutableMap(holder: Json, key: string): Record<string, string> {
  const found = holder[key];
  if (isJsonObject(found)) return found as Record<string, string>;
  const created: Record<string, string> = {};
  holder[key] = created;
  return created;
}
