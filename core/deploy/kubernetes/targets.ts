/**
 * Dynamic targets (reference/cloud-targets.md §6.1): `mode: dynamic` stages name a moniker cluster
 * (`cluster: "replicaSet web"`, `app`) and a `criteria`, and act on the one object it picks, as
 * clouddriver's manifest provider does: the objects of the cluster sorted ascending by age
 * (creation time) or size (`spec.replicas`); `oldest`/`smallest` the first, `newest`/`largest`
 * the last, `second_newest` the one before the last. Pure.
 */
import type { KubernetesObject } from '../../ports/manifests.ts';
import { readMoniker, readArtifact } from './annotations.ts';
import { parseVersionLabel } from './versions.ts';
import { creationTimeOf, nameOf, replicasOf } from './objects.ts';

/** Orca's dynamic criteria. */
export const TARGET_CRITERIA = ['newest', 'second_newest', 'oldest', 'largest', 'smallest'] as const;
export type TargetCriteria = (typeof TARGET_CRITERIA)[number];

/** Whether a value is one of the criteria. */
export function isTargetCriteria(value: unknown): value is TargetCriteria {
  return typeof value === 'string' && (TARGET_CRITERIA as readonly string[]).includes(value);
}

/**
 * The objects of a moniker cluster: their `moniker.spinnaker.io/cluster` is `cluster` and, when
 * `app` is given, their `moniker.spinnaker.io/application` is `app`.
 */
export function clusterMembers(objects: readonly KubernetesObject[], cluster: string, app?: string): KubernetesObject[] {
  return objects.filter((object) => {
    const moniker = readMoniker(object);
    return moniker.cluster === cluster && (app === undefined || app === '' || moniker.app === app);
  });
}

/** The version an object is (from its artifact annotation, else its moniker sequence); -1 when none. */
function versionOf(object: KubernetesObject): number {
  return parseVersionLabel(readArtifact(object)?.version) ?? readMoniker(object).sequence ?? -1;
}

/** Oldest first: by creation time, then version, then name, so equal timestamps still sort the same way every time. */
export function sortByAge(objects: readonly KubernetesObject[]): KubernetesObject[] {
  return [...objects].sort(
    (a, b) => (creationTimeOf(a) ?? 0) - (creationTimeOf(b) ?? 0) || versionOf(a) - versionOf(b) || (nameOf(a) ?? '').localeCompare(nameOf(b) ?? ''),
  );
}

/** Smallest first: by `spec.replicas`, then age. */
export function sortBySize(objects: readonly KubernetesObject[]): KubernetesObject[] {
  const byAge = sortByAge(objects);
  return byAge.map((object, index) => ({ object, index })).sort((a, b) => (replicasOf(a.object) ?? 0) - (replicasOf(b.object) ?? 0) || a.index - b.index).map((entry) => entry.object);
}

/** The object `criteria` picks among a cluster's objects; undefined when there is none (second_newest of one). */
export function selectTarget(objects: readonly KubernetesObject[], criteria: TargetCriteria): KubernetesObject | undefined {
  switch (criteria) {
    case 'oldest':
      return sortByAge(objects)[0];
    case 'newest':
      return sortByAge(objects).at(-1);
    case 'second_newest':
      return objects.length < 2 ? undefined : sortByAge(objects).at(-2);
    case 'smallest':
      return sortBySize(objects)[0];
    case 'largest':
      return sortBySize(objects).at(-1);
    default: {
      const unknown: never = criteria;
      throw new Error(`unknown criteria ${String(unknown)}`);
    }
  }
}
