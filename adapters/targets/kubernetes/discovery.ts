/**
 * Kind → resource through the API server's discovery documents, as kubectl resolves `kubectl get
 * replicaset`: `/api` and `/api/v1` for the core group, `/apis` for the groups and their preferred
 * versions, then `/apis/<group>/<version>` for the resources of each. So custom resources (Istio's
 * `VirtualService`) resolve like built-in kinds.
 *
 * - Kinds match case-insensitively (Spinnaker writes `replicaSet`, `deployment`, `service`).
 * - A kind served by several groups resolves to the core group first, then the groups in the
 *   server's order (kubectl's priority); an `apiVersion` given by the caller picks exactly.
 * - What was read is kept for the account; a kind not found reads discovery again once (a CRD
 *   installed since), then answers the kinds the server has.
 */
import { httpStatusOf } from './errors.ts';
import type { KubernetesRest } from './rest.ts';

/** A resource type as discovery describes it. */
export interface ResourceType {
  /** `apps/v1`, `v1`, `networking.istio.io/v1beta1` */
  readonly apiVersion: string;
  /** The kind as the server spells it (`ReplicaSet`). */
  readonly kind: string;
  /** The path segment (`replicasets`). */
  readonly plural: string;
  readonly namespaced: boolean;
  /** The `/scale` subresource is served. */
  readonly scalable: boolean;
}

export type Resolution = { readonly ok: true; readonly type: ResourceType } | { readonly ok: false; readonly knownKinds: readonly string[] };

interface ApiResource {
  readonly name?: string;
  readonly kind?: string;
  readonly namespaced?: boolean;
}

interface ResourceList {
  readonly groupVersion?: string;
  readonly resources?: readonly ApiResource[];
}

interface GroupList {
  readonly groups?: ReadonlyArray<{ readonly name?: string; readonly preferredVersion?: { readonly groupVersion?: string }; readonly versions?: ReadonlyArray<{ readonly groupVersion?: string }> }>;
}

/** Resolves kinds for one account, keeping what it read. */
export interface Discovery {
  resolve(kind: string, apiVersion?: string): Promise<Resolution>;
}

/** The base path of a group version: `/api/v1`, `/apis/apps/v1`. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The path of a resource collection or object (and a subresource of it). */
export function resourcePath(type: ResourceType, namespace: string | undefined, name?: string, subresource?: string): string {
  const parts = [groupVersionPath(type.apiVersion)];
  if (type.namespaced && namespace) parts.push('namespaces', encodeURIComponent(namespace));
  parts.push(type.plural);
  if (name !== undefined) parts.push(encodeURIComponent(name));
  if (subresource !== undefined) parts.push(subresource);
  return parts.join('/');
}

/** The resource types of one group version's list (subresources folded into their resource). */
function typesOf(apiVersion: string, list: ResourceList): ResourceType[] {
  const resources = list.resources ?? [];
  const subresources = new Set(resources.map((resource) => resource.name ?? '').filter((name) => name.includes('/')));
  return resources
    .filter((resource) => resource.name && !resource.name.includes('/') && resource.kind)
    .map((resource) => ({
      apiVersion,
      kind: resource.kind!,
      plural: resource.name!,
      namespaced: resource.namespaced === true,
      scalable: subresources.has(`${resource.name}/scale`),
    }));
}

/** Discovery over one account's server. */
export function createDiscovery(rest: KubernetesRest): Discovery {
  /** Every group version's types, in priority order (core first), once read. */
  let all: Promise<ResourceType[]> | undefined;
  const byVersion = new Map<string, Promise<ResourceType[]>>();

  const readVersion = (apiVersion: string): Promise<ResourceType[]> => {
    let found = byVersion.get(apiVersion);
    if (!found) {
      found = rest.send({ method: 'GET', path: groupVersionPath(apiVersion) }).then((list) => typesOf(apiVersion, (list ?? {}) as ResourceList));
      // A failed read is not kept: the next call asks again.
      found.catch(() => byVersion.delete(apiVersion));
      byVersion.set(apiVersion, found);
    }
    return found;
  };

  const readAll = async (): Promise<ResourceType[]> => {
    const [core, groups] = await Promise.all([rest.send({ method: 'GET', path: '/api' }), rest.send({ method: 'GET', path: '/apis' })]);
    const coreVersions = ((core ?? {}) as { versions?: readonly string[] }).versions ?? ['v1'];
    const groupVersions = ((groups ?? {}) as GroupList).groups?.flatMap((group) => {
      const preferred = group.preferredVersion?.groupVersion ?? group.versions?.[0]?.groupVersion;
      return preferred ? [preferred] : [];
    }) ?? [];
    const lists = await Promise.all([...coreVersions, ...groupVersions].map((apiVersion) => readVersion(apiVersion)));
    return lists.flat();
  };

  const everything = (fresh: boolean): Promise<ResourceType[]> => {
    if (fresh || !all) {
      if (fresh) byVersion.clear();
      all = readAll();
      all.catch(() => {
        all = undefined;
      });
    }
    return all;
  };

  /** A group version the server does not serve has no types (404), rather than failing the call. */
  const typesIn = (apiVersion: string): Promise<ResourceType[]> =>
    readVersion(apiVersion).catch((error: unknown) => {
      if (httpStatusOf(error) === 404) return [];
      throw error;
    });

  const match = (types: readonly ResourceType[], kind: string) => types.find((type) => type.kind.toLowerCase() === kind.toLowerCase());

  return {
    async resolve(kind, apiVersion) {
      if (apiVersion !== undefined && apiVersion !== '') {
        const found = match(await typesIn(apiVersion), kind);
        if (found) return { ok: true, type: found };
      } else {
        const found = match(await everything(false), kind);
        if (found) return { ok: true, type: found };
      }
      // Not there: maybe installed since (a CRD); read once more before saying no.
      const fresh = await everything(true);
      const found = apiVersion ? match(await typesIn(apiVersion), kind) : match(fresh, kind);
      if (found) return { ok: true, type: found };
      return { ok: false, knownKinds: [...new Set(fresh.map((type) => type.kind))].sort() };
    },
  };
}
