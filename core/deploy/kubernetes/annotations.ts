/**
 * The annotations and labels clouddriver writes and reads, verbatim (reference/cloud-targets.md
 * §1.2), so Spinnaker and Gennaker can manage the same cluster:
 * - the annotater (KubernetesManifestAnnotater): moniker and artifact annotations, set only when
 *   absent, on `metadata.annotations` and on `spec.template.metadata.annotations`;
 * - the labeler (KubernetesManifestLabeler): `app.kubernetes.io/name` set when absent,
 *   `app.kubernetes.io/managed-by` and `moniker.spinnaker.io/sequence` overwritten, on
 *   `metadata.labels` and (unless `skipSpecTemplateLabels`) on the pod template's labels;
 * - the strategy annotations (KubernetesManifestStrategy) and the traffic annotation.
 * Writers return a new object; the input is never changed. Pure.
 */
import type { KubernetesObject } from '../../ports/manifests.ts';
import { annotationsOf, mutableMap, withMetadata, type Json } from './objects.ts';

/** The annotation and label keys, exactly as clouddriver spells them. */
export const ANNOTATIONS = {
  cluster: 'moniker.spinnaker.io/cluster',
  application: 'moniker.spinnaker.io/application',
  stack: 'moniker.spinnaker.io/stack',
  detail: 'moniker.spinnaker.io/detail',
  sequence: 'moniker.spinnaker.io/sequence',
  artifactType: 'artifact.spinnaker.io/type',
  artifactName: 'artifact.spinnaker.io/name',
  artifactLocation: 'artifact.spinnaker.io/location',
  artifactVersion: 'artifact.spinnaker.io/version',
  loadBalancers: 'traffic.spinnaker.io/load-balancers',
  ignoreCaching: 'caching.spinnaker.io/ignore',
  versioned: 'strategy.spinnaker.io/versioned',
  maxVersionHistory: 'strategy.spinnaker.io/max-version-history',
  useSourceCapacity: 'strategy.spinnaker.io/use-source-capacity',
  recreate: 'strategy.spinnaker.io/recreate',
  replace: 'strategy.spinnaker.io/replace',
  serverSideApply: 'strategy.spinnaker.io/server-side-apply',
  lastAppliedConfiguration: 'kubectl.kubernetes.io/last-applied-configuration',
  deploymentRevision: 'deployment.kubernetes.io/revision',
} as const;

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  sequence: 'moniker.spinnaker.io/sequence',
} as const;

/** Spinnaker's moniker: what the annotations name. */
export interface Moniker {
  readonly app?: string;
  readonly cluster?: string;
  readonly stack?: string;
  readonly detail?: string;
  readonly sequence?: number;
}

/** The artifact a deployed manifest is (ArtifactConverter): `kubernetes/replicaSet`, its name, namespace and `v003`. */
export interface ManifestArtifact {
  readonly type: string;
  readonly name: string;
  /** The namespace ('' for cluster-scoped kinds). */
  readonly location: string;
  /** `v003` for a versioned object; absent otherwise. */
  readonly version?: string;
  /** The object's name as applied (`web-v003`). */
  readonly reference: string;
}

function setIfAbsent(map: Record<string, string>, key: string, value: string | number | undefined): void {
  if (value === undefined || value === '') return;
  if (key in map) return;
  map[key] = String(value);
}

function overwrite(map: Record<string, string>, key: string, value: string | number | undefined): void {
  if (value === undefined) return;
  map[key] = String(value);
}

function storeMoniker(map: Record<string, string>, moniker: Moniker): void {
  setIfAbsent(map, ANNOTATIONS.cluster, moniker.cluster);
  setIfAbsent(map, ANNOTATIONS.application, moniker.app);
  setIfAbsent(map, ANNOTATIONS.stack, moniker.stack);
  setIfAbsent(map, ANNOTATIONS.detail, moniker.detail);
  setIfAbsent(map, ANNOTATIONS.sequence, moniker.sequence);
}

function storeArtifact(map: Record<string, string>, artifact: ManifestArtifact): void {
  setIfAbsent(map, ANNOTATIONS.artifactType, artifact.type);
  setIfAbsent(map, ANNOTATIONS.artifactName, artifact.name);
  setIfAbsent(map, ANNOTATIONS.artifactLocation, artifact.location);
  setIfAbsent(map, ANNOTATIONS.artifactVersion, artifact.version);
}

/** The annotater: moniker and artifact annotations, set if absent, on the object and its pod template. */
export function annotateManifest(manifest: KubernetesObject, annotations: { readonly moniker?: Moniker; readonly artifact?: ManifestArtifact }): KubernetesObject {
  const { object, metadata, template } = withMetadata(manifest);
  for (const holder of template === undefined ? [metadata] : [metadata, template]) {
    const map = mutableMap(holder, 'annotations');
    if (annotations.artifact) storeArtifact(map, annotations.artifact);
    if (annotations.moniker) storeMoniker(map, annotations.moniker);
  }
  return object;
}

export interface LabelOptions {
  /** Leave the pod template's labels alone (the stage's `skipSpecTemplateLabels`). @default false */
  readonly skipSpecTemplateLabels?: boolean;
  /** `app.kubernetes.io/managed-by: spinnaker-<suffix>`. @default none: `spinnaker` */
  readonly managedBySuffix?: string;
}

function storeLabels(map: Record<string, string>, moniker: Moniker, managedBy: string): void {
  setIfAbsent(map, LABELS.name, moniker.app);
  overwrite(map, LABELS.managedBy, managedBy);
  if (moniker.sequence !== undefined) overwrite(map, LABELS.sequence, moniker.sequence);
}

/** The labeler: `app.kubernetes.io/name` if absent, `managed-by` and the sequence overwritten, on the object and (unless skipped) its pod template. */
export function labelManifest(manifest: KubernetesObject, moniker: Moniker, options: LabelOptions = {}): KubernetesObject {
  const { object, metadata, template } = withMetadata(manifest);
  const managedBy = options.managedBySuffix !== undefined && options.managedBySuffix !== '' ? `spinnaker-${options.managedBySuffix}` : 'spinnaker';
  storeLabels(mutableMap(metadata, 'labels'), moniker, managedBy);
  if (template !== undefined && options.skipSpecTemplateLabels !== true) storeLabels(mutableMap(template, 'labels'), moniker, managedBy);
  return object;
}

/** How the object is written (KubernetesManifestStrategy.DeployStrategy, plus server-side apply). */
export type DeployStrategy = 'apply' | 'recreate' | 'replace' | 'server-side';

/** What the `strategy.spinnaker.io/*` annotations say. */
export interface ManifestStrategy {
  /** `true`/`false` from the annotation, `default` (the kind decides) without it. */
  readonly versioned: 'true' | 'false' | 'default';
  /** Versions kept of the object (older ones are deleted after a deploy). */
  readonly maxVersionHistory?: number;
  /** Copy `replicas` from the newest live version. */
  readonly useSourceCapacity: boolean;
  readonly deployStrategy: DeployStrategy;
  /** Server-side apply takes fields other managers own (`force-conflicts`). */
  readonly forceConflicts: boolean;
}

/** Java's Boolean.parseBoolean: true only for "true", in any case. */
function javaBoolean(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase() === 'true';
}

/** Guava's Ints.tryParse: an optional minus and digits, nothing else. */
function javaInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?[0-9]+$/.test(value)) return undefined;
  const parsed = Number.parseInt(value, 10);
  return Number.isSafeInteger(parsed) && Math.abs(parsed) <= 2_147_483_647 ? parsed : undefined;
}

/** The strategy annotations of a manifest, read as clouddriver reads them. */
export function readStrategy(manifest: KubernetesObject): ManifestStrategy {
  const annotations = annotationsOf(manifest);
  const versionedText = annotations[ANNOTATIONS.versioned];
  const versioned = versionedText === undefined ? 'default' : javaBoolean(versionedText) ? 'true' : 'false';
  const serverSide = annotations[ANNOTATIONS.serverSideApply]?.toLowerCase();
  const deployStrategy: DeployStrategy = javaBoolean(annotations[ANNOTATIONS.recreate])
    ? 'recreate'
    : javaBoolean(annotations[ANNOTATIONS.replace])
      ? 'replace'
      : serverSide === 'true' || serverSide === 'force-conflicts'
        ? 'server-side'
        : 'apply';
  const maxVersionHistory = javaInt(annotations[ANNOTATIONS.maxVersionHistory]);
  return {
    versioned,
    ...(maxVersionHistory !== undefined ? { maxVersionHistory } : {}),
    useSourceCapacity: javaBoolean(annotations[ANNOTATIONS.useSourceCapacity]),
    deployStrategy,
    forceConflicts: deployStrategy === 'server-side' && serverSide === 'force-conflicts',
  };
}

/** The moniker a live object's annotations name (KubernetesManifestAnnotater.getMoniker, without Frigga fallbacks). */
export function readMoniker(manifest: KubernetesObject): Moniker {
  const annotations = annotationsOf(manifest);
  const sequenceText = annotations[ANNOTATIONS.sequence];
  const sequence = sequenceText !== undefined && /^[0-9]+$/.test(sequenceText) ? Number.parseInt(sequenceText, 10) : undefined;
  const pick = (key: string) => {
    const value = annotations[key];
    return value === undefined || value === '' ? undefined : value;
  };
  const app = pick(ANNOTATIONS.application);
  const cluster = pick(ANNOTATIONS.cluster);
  const stack = pick(ANNOTATIONS.stack);
  const detail = pick(ANNOTATIONS.detail);
  return { ...(app !== undefined ? { app } : {}), ...(cluster !== undefined ? { cluster } : {}), ...(stack !== undefined ? { stack } : {}), ...(detail !== undefined ? { detail } : {}), ...(sequence !== undefined ? { sequence } : {}) };
}

export type LoadBalancersResult = { readonly ok: true; readonly value: readonly string[] } | { readonly ok: false; readonly message: string };

/** The Services named by `traffic.spinnaker.io/load-balancers` (`["service my-svc"]`); none without the annotation. */
export function readLoadBalancers(manifest: KubernetesObject): LoadBalancersResult {
  const text = annotationsOf(manifest)[ANNOTATIONS.loadBalancers];
  if (text === undefined) return { ok: true, value: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((entry) => typeof entry === 'string')) {
    return { ok: false, message: `annotation ${ANNOTATIONS.loadBalancers} is ${JSON.stringify(text)}; write it as a JSON list of '<kind> <name>', e.g. '["service my-svc"]'` };
  }
  return { ok: true, value: parsed as string[] };
}

export type ManifestResultValue = { readonly ok: true; readonly value: KubernetesObject } | { readonly ok: false; readonly message: string };

/**
 * Writes `traffic.spinnaker.io/load-balancers` (KubernetesManifestAnnotater.setTraffic): nothing to
 * do for no services or the same list; a different list already there is clouddriver's error.
 */
export function setLoadBalancers(manifest: KubernetesObject, services: readonly string[]): ManifestResultValue {
  if (services.length === 0) return { ok: true, value: manifest };
  const current = readLoadBalancers(manifest);
  if (annotationsOf(manifest)[ANNOTATIONS.loadBalancers] !== undefined) {
    if (current.ok && current.value.length === services.length && current.value.every((entry, index) => entry === services[index])) return { ok: true, value: manifest };
    const had = current.ok ? JSON.stringify(current.value) : JSON.stringify(annotationsOf(manifest)[ANNOTATIONS.loadBalancers]);
    return {
      ok: false,
      message: `Manifest already has ${ANNOTATIONS.loadBalancers} annotation set to ${had}. Failed attempting to set it to ${JSON.stringify(services)}; remove the annotation from the manifest or the services from trafficManagement`,
    };
  }
  const { object, metadata } = withMetadata(manifest);
  mutableMap(metadata, 'annotations')[ANNOTATIONS.loadBalancers] = JSON.stringify(services);
  return { ok: true, value: object };
}

/** The artifact a live object is, from its annotations (KubernetesManifestAnnotater.getArtifact); undefined when it has no artifact type. */
export function readArtifact(manifest: KubernetesObject): { readonly type: string; readonly name?: string; readonly location?: string; readonly version?: string } | undefined {
  const annotations = annotationsOf(manifest);
  const type = annotations[ANNOTATIONS.artifactType];
  if (type === undefined || type === '') return undefined;
  const name = annotations[ANNOTATIONS.artifactName];
  const location = annotations[ANNOTATIONS.artifactLocation];
  const version = annotations[ANNOTATIONS.artifactVersion];
  return { type, ...(name !== undefined ? { name } : {}), ...(location !== undefined ? { location } : {}), ...(version !== undefined ? { version } : {}) };
}

/** The object's `kubectl.kubernetes.io/last-applied-configuration`, parsed; undefined when absent or not JSON. */
export function readLastAppliedConfiguration(manifest: KubernetesObject): Json | undefined {
  const text = annotationsOf(manifest)[ANNOTATIONS.lastAppliedConfiguration];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}
