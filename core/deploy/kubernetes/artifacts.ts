/**
 * Artifacts in manifests, as clouddriver's artifact replacers and converter handle them:
 * - binding (ArtifactReplacer): a bound `docker/image` artifact replaces every container image
 *   (`containers` and `initContainers` of each pod template, `$..spec.template.spec`, so
 *   Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs) whose repository is
 *   the artifact's `name` with its `reference`; a bare Pod's `spec.containers[].image` is replaced
 *   only where it equals the name exactly (clouddriver's pod replacer has no tag stripping).
 *   `kubernetes/configMap` and `kubernetes/secret` artifacts (those a stage just deployed as
 *   versions) replace references to the unversioned name in volumes, `env[].valueFrom` and
 *   `envFrom`; `kubernetes/deployment` and `kubernetes/replicaSet` replace an HPA's
 *   `scaleTargetRef.name`.
 * - the converter (ArtifactConverter): a deployed manifest is the artifact
 *   `kubernetes/<kind>`, named by its unversioned name, located in its namespace, versioned `v003`.
 * Pure.
 */
import type { KubernetesObject } from '../../ports/manifests.ts';
import type { ManifestArtifact } from './annotations.ts';
import { apiKindOf, spinnakerKindOf } from './kinds.ts';
import { cloneJson, isJsonObject, kindOf, namespaceOf, stringField, type Json } from './objects.ts';
import { versionLabel, versionedName } from './versions.ts';

/** An artifact a manifest may bind: a reference, named and typed (kork's Artifact, the fields binding reads). */
export interface BindableArtifact {
  readonly type: string;
  readonly name?: string;
  readonly reference?: string;
  readonly location?: string;
  readonly version?: string;
  /** Other fields ride along unchanged (artifactAccount, metadata...). */
  readonly [field: string]: unknown;
}

/** A Docker reference's repository: without `@digest`, and without a `:tag` (a colon followed by no `/`, so a registry port stays). */
export function dockerRepository(reference: string): string {
  const at = reference.indexOf('@');
  if (at >= 0) return reference.slice(0, at);
  const colon = reference.lastIndexOf(':');
  if (colon >= 0 && !reference.slice(colon + 1).includes('/')) return reference.slice(0, colon);
  return reference;
}

/** The key under which a later artifact replaces an earlier one: type, name and location. */
export function artifactKey(artifact: Pick<BindableArtifact, 'type' | 'name' | 'location'>): string {
  return `[${artifact.type}]-[${artifact.name ?? ''}]-[${artifact.location ?? ''}]`;
}

/** Every pod spec under `spec.template.spec` anywhere in the object (JSONPath `$..spec.template.spec`). */
function templatePodSpecs(node: unknown, found: Json[] = []): Json[] {
  if (Array.isArray(node)) {
    for (const item of node) templatePodSpecs(item, found);
    return found;
  }
  if (!isJsonObject(node)) return found;
  const spec = node['spec'];
  if (isJsonObject(spec) && isJsonObject(spec['template']) && isJsonObject(spec['template']['spec'])) found.push(spec['template']['spec']);
  for (const value of Object.values(node)) templatePodSpecs(value, found);
  return found;
}

function objectsAt(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

/** A field holder and key whose string value a replacer may swap. */
interface Slot {
  readonly holder: Json;
  readonly key: string;
}

function slot(holder: Json | undefined, key: string): Slot[] {
  return holder !== undefined && typeof holder[key] === 'string' ? [{ holder, key }] : [];
}

function containersOf(podSpec: Json): Json[] {
  return [...objectsAt(podSpec['containers']), ...objectsAt(podSpec['initContainers'])];
}

function child(value: Json, key: string): Json | undefined {
  const found = value[key];
  return isJsonObject(found) ? found : undefined;
}

/** The places a replacer of `type` looks in one manifest (already copied), with how it reads a name from a value. */
function slotsFor(manifest: Json, type: string): { slots: Slot[]; nameOf: (value: string) => string } {
  const identity = (value: string) => value;
  const kind = apiKindOf(kindOf(manifest) ?? '');
  if (type === 'docker/image') {
    if (kind === 'Pod') {
      const spec = child(manifest, 'spec');
      return { slots: spec ? objectsAt(spec['containers']).flatMap((container) => slot(container, 'image')) : [], nameOf: identity };
    }
    return { slots: templatePodSpecs(manifest).flatMap(containersOf).flatMap((container) => slot(container, 'image')), nameOf: dockerRepository };
  }
  if (type === 'kubernetes/configMap' || type === 'kubernetes/secret') {
    const configMap = type === 'kubernetes/configMap';
    const slots: Slot[] = [];
    for (const podSpec of templatePodSpecs(manifest)) {
      for (const volume of objectsAt(podSpec['volumes'])) {
        slots.push(...(configMap ? slot(child(volume, 'configMap'), 'name') : slot(child(volume, 'secret'), 'secretName')));
        for (const source of objectsAt(child(volume, 'projected')?.['sources'])) slots.push(...slot(child(source, configMap ? 'configMap' : 'secret'), 'name'));
      }
      for (const container of containersOf(podSpec)) {
        for (const variable of objectsAt(container['env'])) {
          const from = child(variable, 'valueFrom');
          if (from) slots.push(...slot(child(from, configMap ? 'configMapKeyRef' : 'secretKeyRef'), 'name'));
        }
        for (const source of objectsAt(container['envFrom'])) slots.push(...slot(child(source, configMap ? 'configMapRef' : 'secretRef'), 'name'));
      }
    }
    return { slots, nameOf: identity };
  }
  if ((type === 'kubernetes/deployment' || type === 'kubernetes/replicaSet') && kind === 'HorizontalPodAutoscaler') {
    const target = child(child(manifest, 'spec') ?? {}, 'scaleTargetRef');
    const targetKind = stringField(target, 'kind')?.toLowerCase();
    const wanted = type === 'kubernetes/deployment' ? 'deployment' : 'replicaset';
    return { slots: targetKind === wanted ? slot(target, 'name') : [], nameOf: identity };
  }
  return { slots: [], nameOf: identity };
}

/** A manifest with artifacts bound, and the artifacts that replaced something. */
export interface BindResult {
  readonly manifest: KubernetesObject;
  readonly bound: readonly BindableArtifact[];
}

/**
 * Binds artifacts into a manifest (see the module comment): each artifact with a `name` and a
 * `reference` replaces the values its replacer finds whose name is the artifact's name. Kinds
 * clouddriver binds nothing into (Services, ConfigMaps, custom resources) come back unchanged.
 */
export function bindArtifacts(manifest: KubernetesObject, artifacts: readonly BindableArtifact[]): BindResult {
  const kind = apiKindOf(kindOf(manifest) ?? '');
  const binds = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'HorizontalPodAutoscaler'].includes(kind);
  if (!binds) return { manifest, bound: [] };
  const copy = cloneJson(manifest) as Json;
  const bound: BindableArtifact[] = [];
  for (const artifact of artifacts) {
    if (artifact.name === undefined || artifact.name === '' || artifact.reference === undefined || artifact.reference === '') continue;
    const { slots, nameOf } = slotsFor(copy, artifact.type);
    let replaced = false;
    for (const { holder, key } of slots) {
      const value = holder[key] as string;
      if (nameOf(value) !== artifact.name) continue;
      holder[key] = artifact.reference;
      replaced = true;
    }
    if (replaced) bound.push(artifact);
  }
  return { manifest: copy, bound };
}

/** The artifact types clouddriver's replacers find in a manifest. */
const FOUND_TYPES = ['docker/image', 'kubernetes/configMap', 'kubernetes/secret', 'kubernetes/deployment', 'kubernetes/replicaSet'] as const;

/**
 * The artifacts a live object uses (KubernetesHandler.listArtifacts: every replacer's finds, each
 * once): `{type, reference, name}`, the name read from the reference as the replacer reads it (a
 * `docker/image` by its repository). What findArtifactsFromResource outputs.
 */
export function listArtifacts(manifest: KubernetesObject): BindableArtifact[] {
  const found: BindableArtifact[] = [];
  const seen = new Set<string>();
  for (const type of FOUND_TYPES) {
    const { slots, nameOf } = slotsFor(manifest as Json, type);
    for (const { holder, key } of slots) {
      const reference = holder[key] as string;
      if (seen.has(`${type}\u0000${reference}`)) continue;
      seen.add(`${type}\u0000${reference}`);
      found.push({ type, reference, name: nameOf(reference) });
    }
  }
  return found;
}

/**
 * The artifact a manifest is once deployed (ArtifactConverter): `kubernetes/<kind>`, its
 * unversioned name, its namespace, and for a version `v003` with reference `<name>-v003`.
 */
export function manifestArtifact(manifest: KubernetesObject, name: string, version?: number): ManifestArtifact {
  const kind = kindOf(manifest) ?? '';
  const apiVersion = stringField(manifest, 'apiVersion');
  return {
    type: `kubernetes/${spinnakerKindOf(kind, apiVersion)}`,
    name,
    location: namespaceOf(manifest) ?? '',
    ...(version !== undefined ? { version: versionLabel(version) } : {}),
    reference: version !== undefined ? versionedName(name, version) : name,
  };
}
