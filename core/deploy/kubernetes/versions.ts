/**
 * Versioned objects (reference/cloud-targets.md §1.1): a ReplicaSet, ConfigMap, Secret or Pod (or
 * any object annotated `strategy.spinnaker.io/versioned: "true"`; `"false"` turns it off) is
 * deployed as a new object `<name>-vNNN` each time. The version is clouddriver's
 * ResourceVersioner's: reuse the version whose last-applied configuration equals the new manifest
 * apart from metadata (an identical redeploy is idempotent), else the greatest
 * `artifact.spinnaker.io/version` among live objects of the same name, plus one. After a deploy,
 * `strategy.spinnaker.io/max-version-history` keeps only the newest versions
 * (KubernetesCleanupArtifactsOperation). Pure.
 */
import type { KubernetesObject } from '../../ports/manifests.ts';
import { ANNOTATIONS, LABELS, readArtifact, readLastAppliedConfiguration, readStrategy } from './annotations.ts';
import { kindOf, isJsonObject, cloneJson, type Json } from './objects.ts';
import { propertiesOf } from './kinds.ts';

/** Whether a manifest is deployed as versions: its annotation, else `override` (the stage's), else its kind. */
export function isVersioned(manifest: KubernetesObject, override?: boolean): boolean {
  const annotated = readStrategy(manifest).versioned;
  if (annotated !== 'default') return annotated === 'true';
  if (override !== undefined) return override;
  return propertiesOf(kindOf(manifest) ?? '').versioned;
}

/** `v003` for 3. */
export function versionLabel(version: number): string {
  return `v${String(version).padStart(3, '0')}`;
}

/** 3 for `v003` (or `v3`); undefined for anything else. */
export function parseVersionLabel(text: string | undefined): number | undefined {
  if (text === undefined || !/^v[0-9]+$/.test(text)) return undefined;
  const parsed = Number.parseInt(text.slice(1), 10);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

/** The name of a version: `web` and 3 → `web-v003`. */
export function versionedName(name: string, version: number): string {
  return `${name}-${versionLabel(version)}`;
}

/** The live objects that are versions of `name`: their `artifact.spinnaker.io/name` is it (whatever their kind or namespace; the caller lists one kind in one namespace). */
export function versionsOf(name: string, live: readonly KubernetesObject[]): Array<{ readonly object: KubernetesObject; readonly version: number }> {
  const found: Array<{ object: KubernetesObject; version: number }> = [];
  for (const object of live) {
    const artifact = readArtifact(object);
    if (artifact?.name !== name) continue;
    const version = parseVersionLabel(artifact.version);
    if (version !== undefined && version >= 0) found.push({ object, version });
  }
  return found.sort((a, b) => a.version - b.version);
}

/** Keys a deploy writes that depend on the version: left out when two manifests are compared. */
const VERSION_ANNOTATIONS = [ANNOTATIONS.sequence, ANNOTATIONS.artifactVersion];
const VERSION_LABELS = [LABELS.sequence];

/**
 * A manifest as compared for reuse: without `metadata` and `status` (clouddriver's
 * nonMetadataEquals), and without the version-dependent annotations and labels the annotater and
 * labeler write on the pod template, which are otherwise part of `spec`.
 */
export function comparableContent(manifest: KubernetesObject): Json {
  const copy = cloneJson(manifest) as Json;
  delete copy['metadata'];
  delete copy['status'];
  const spec = copy['spec'];
  const template = isJsonObject(spec) ? spec['template'] : undefined;
  const metadata = isJsonObject(template) ? template['metadata'] : undefined;
  if (isJsonObject(metadata)) {
    for (const [key, drop] of [['annotations', VERSION_ANNOTATIONS], ['labels', VERSION_LABELS]] as const) {
      const map = metadata[key];
      if (!isJsonObject(map)) continue;
      for (const name of drop) delete map[name];
      if (Object.keys(map).length === 0) delete metadata[key];
    }
    if (Object.keys(metadata).length === 0 && isJsonObject(template)) delete template['metadata'];
  }
  return copy;
}

/** Deep equality of JSON values, key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a).filter((key) => a[key] !== undefined);
    const other = Object.keys(b).filter((key) => b[key] !== undefined);
    return keys.length === other.length && keys.every((key) => jsonEqual(a[key], b[key]));
  }
  return false;
}

/** The version a deploy uses, and whether it reuses a live one. */
export interface VersionChoice {
  readonly version: number;
  /** An identical manifest is deployed at this version already. */
  readonly reused: boolean;
}

/**
 * clouddriver's ResourceVersioner over the live versions of `name`: the first version (oldest
 * first) whose last-applied configuration (`kubectl.kubernetes.io/last-applied-configuration`,
 * else the live object) has the same content as `manifest` (comparableContent); otherwise the
 * greatest version plus one (0 when there is none).
 */
export function chooseVersion(manifest: KubernetesObject, name: string, live: readonly KubernetesObject[]): VersionChoice {
  const versions = versionsOf(name, live);
  const wanted = comparableContent(manifest);
  for (const { object, version } of versions) {
    const applied = readLastAppliedConfiguration(object) ?? object;
    if (jsonEqual(comparableContent(applied), wanted)) return { version, reused: true };
  }
  const greatest = versions.reduce((max, entry) => Math.max(max, entry.version), -1);
  return { version: greatest + 1, reused: false };
}

/**
 * The versions `max-version-history` deletes after a deploy: every version but the newest
 * `maxVersionHistory` (KubernetesCleanupArtifactsOperation), oldest first. Nothing without a limit.
 * `keep` (the version just deployed) is never pruned, even when it reused an old version number.
 */
export function versionsToPrune(name: string, live: readonly KubernetesObject[], maxVersionHistory: number | undefined, keep?: number): KubernetesObject[] {
  if (maxVersionHistory === undefined) return [];
  const versions = versionsOf(name, live);
  if (maxVersionHistory >= versions.length) return [];
  return versions
    .slice(0, versions.length - Math.max(0, maxVersionHistory))
    .filter((entry) => entry.version !== keep)
    .map((entry) => entry.object);
}
