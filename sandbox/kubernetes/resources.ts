/**
 * The resource types the simulated API server serves, and the discovery documents that describe
 * them (`/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`), shaped as the API
 * server answers so that client-node's `KubernetesObjectApi` resolves kinds to paths through them.
 * Custom resources join the registry when their CustomResourceDefinition is created.
 */

/** One resource (`replicasets` in `apps/v1`). A type served in several versions has one entry per version, sharing storage. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  /** Subresources served (`scale`, `status`, `log`). */
  readonly subresources: readonly string[];
  /** Defined by a CustomResourceDefinition (no strategic merge, validation left to the schema). */
  readonly custom: boolean;
  /** Name of the CRD that registered it. */
  readonly crd?: string;
  /** Whether a CRD declares it in `spec.versions` as `storage` (for discovery's preferred version). */
  readonly storage?: boolean;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function builtIn(group: string, version: string, plural: string, kind: string, namespaced: boolean, subresources: string[] = [], shortNames: string[] = [], categories: string[] = []): ResourceType {
  return { group, version, plural, singular: kind.toLowerCase(), kind, namespaced, subresources, shortNames, categories, custom: false };
}

/** Istio's traffic resources, served without a CRD so VirtualServices round-trip out of the box. */
function istio(plural: string, kind: string, shortNames: string[]): ResourceType[] {
  return ['v1alpha3', 'v1beta1'].map((version) => ({ group: 'networking.istio.io', version, plural, singular: kind.toLowerCase(), kind, namespaced: true, subresources: ['status'], shortNames, categories: ['istio-io', 'networking-istio-io'], custom: true, storage: version === 'v1alpha3' }));
}

/** The types every simulated cluster serves. */
export function builtInTypes(): ResourceType[] {
  return [
    builtIn('', 'v1', 'namespaces', 'Namespace', false, ['status'], ['ns']),
    builtIn('', 'v1', 'pods', 'Pod', true, ['log', 'status'], ['po'], ['all']),
    builtIn('', 'v1', 'services', 'Service', true, ['status'], ['svc'], ['all']),
    builtIn('', 'v1', 'configmaps', 'ConfigMap', true, [], ['cm']),
    builtIn('', 'v1', 'secrets', 'Secret', true),
    builtIn('', 'v1', 'serviceaccounts', 'ServiceAccount', true, [], ['sa']),
    builtIn('', 'v1', 'events', 'Event', true, [], ['ev']),
    builtIn('apps', 'v1', 'replicasets', 'ReplicaSet', true, ['scale', 'status'], ['rs'], ['all']),
    builtIn('apps', 'v1', 'deployments', 'Deployment', true, ['scale', 'status'], ['deploy'], ['all']),
    builtIn('batch', 'v1', 'jobs', 'Job', true, ['status'], [], ['all']),
    builtIn('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, ['status'], ['crd', 'crds']),
    ...istio('virtualservices', 'VirtualService', ['vs']),
    ...istio('destinationrules', 'DestinationRule', ['dr']),
  ];
}

/** `apps/v1` or `v1`. */
export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** The registry: lookups by path segments and by kind, and the discovery documents. */
export class Registry {
  private readonly types: ResourceType[];

  constructor(types: ResourceType[]) {
    this.types = types;
  }

  /** The type at `/<api|apis>/<group>/<version>/.../<plural>`, if served. */
  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** Whether anything is served under the group version. */
  servesGroupVersion(group: string, version: string): boolean {
    return this.types.some((t) => t.group === group && t.version === version);
  }

  /** Every version of one stored resource. */
  versionsOf(group: string, plural: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.plural === plural);
  }

  /** Every type (one entry per served version). */
  all(): readonly ResourceType[] {
    return this.types;
  }

  /** Adds (or replaces) the versions of a custom resource. */
  register(types: readonly ResourceType[]): void {
    for (const type of types) {
      const index = this.types.findIndex((t) => t.group === type.group && t.version === type.version && t.plural === type.plural);
      if (index >= 0) this.types[index] = type;
      else this.types.push(type);
    }
  }

  /** Removes the versions a CRD registered. */
  unregister(crd: string): void {
    for (let i = this.types.length - 1; i >= 0; i -= 1) if (this.types[i]!.crd === crd) this.types.splice(i, 1);
  }

  /** `GET /api`. */
  apiVersions(serverAddress: string): Record<string, unknown> {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }

  private groups(): { name: string; versions: string[]; preferred: string }[] {
    const out: { name: string; versions: string[]; preferred: string }[] = [];
    for (const t of this.types) {
      if (t.group === '') continue;
      let entry = out.find((g) => g.name === t.group);
      if (!entry) out.push((entry = { name: t.group, versions: [], preferred: t.version }));
      if (!entry.versions.includes(t.version)) entry.versions.push(t.version);
      // The API server prefers the newest stable version; for custom resources, the storage version.
      if (t.storage) entry.preferred = t.version;
    }
    for (const g of out) g.versions.sort((a, b) => versionRank(b) - versionRank(a));
    return out;
  }

  private groupDocument(g: { name: string; versions: string[]; preferred: string }): Record<string, unknown> {
    const preferred = g.versions.includes('v1') ? 'v1' : g.versions[0]!;
    return {
      name: g.name,
      versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${g.name}/${preferred}`, version: preferred },
    };
  }

  /** `GET /apis`. */
  apiGroupList(): Record<string, unknown> {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: this.groups().map((g) => this.groupDocument(g)) };
  }

  /** `GET /apis/<group>`, or undefined when the group is not served. */
  apiGroup(name: string): Record<string, unknown> | undefined {
    const g = this.groups().find((x) => x.name === name);
    return g ? { kind: 'APIGroup', apiVersion: 'v1', ...this.groupDocument(g) } : undefined;
  }

  /** `GET /api/v1` or `/apis/<group>/<version>`: the APIResourceList, subresources as `<plural>/<sub>` entries. */
  apiResourceList(group: string, version: string): Record<string, unknown> {
    const resources: Record<string, unknown>[] = [];
    for (const t of this.types.filter((x) => x.group === group && x.version === version)) {
      resources.push({
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: VERBS,
        ...(t.shortNames && t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
        ...(t.categories && t.categories.length > 0 ? { categories: t.categories } : {}),
        storageVersionHash: storageVersionHash(t),
      });
      for (const sub of t.subresources) {
        if (sub === 'scale') resources.push({ name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
        else if (sub === 'status') resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
        else if (sub === 'log') resources.push({ name: `${t.plural}/log`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get'] });
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
  }
}

/** Kubernetes version priority: v2 > v1 > v1beta2 > v1beta1 > v1alpha1. */
function versionRank(version: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!m) return -1;
  const major = Number(m[1]);
  const stage = m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0;
  return major * 1000 + stage * 100 + Number(m[3] ?? 0);
}

function storageVersionHash(t: ResourceType): string {
  let hash = 0;
  for (const ch of `${t.group}/${t.version}/${t.kind}`) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) >>> 0;
  return Buffer.from(hash.toString(16).padStart(8, '0')).toString('base64').slice(0, 11) + '=';
}

/** The versions a CustomResourceDefinition declares, as registry entries (undefined when its spec is malformed). */
export function typesFromCrd(crd: Record<string, unknown>): ResourceType[] | undefined {
  const spec = crd['spec'] as Record<string, unknown> | undefined;
  const names = spec?.['names'] as Record<string, unknown> | undefined;
  const versions = spec?.['versions'];
  if (!spec || !names || typeof spec['group'] !== 'string' || typeof names['plural'] !== 'string' || typeof names['kind'] !== 'string' || !Array.isArray(versions)) return undefined;
  const name = String((crd['metadata'] as Record<string, unknown>)['name']);
  return (versions as Record<string, unknown>[])
    .filter((v) => v['served'] !== false && typeof v['name'] === 'string')
    .map((v) => ({
      group: spec['group'] as string,
      version: v['name'] as string,
      plural: names['plural'] as string,
      singular: typeof names['singular'] === 'string' ? names['singular'] : (names['kind'] as string).toLowerCase(),
      kind: names['kind'] as string,
      namespaced: spec['scope'] !== 'Cluster',
      shortNames: Array.isArray(names['shortNames']) ? (names['shortNames'] as string[]) : [],
      categories: Array.isArray(names['categories']) ? (names['categories'] as string[]) : [],
      subresources: Object.keys(((v['subresources'] as Record<string, unknown> | undefined) ?? {})),
      custom: true,
      crd: name,
      storage: v['storage'] === true,
    }));
}
