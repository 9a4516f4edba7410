/**
 * The manifest port (core/ports/manifests.ts) over Kubernetes API servers, one per account, in the
 * REST calls kubectl makes for what clouddriver shells out to it (reference/cloud-targets.md §6.2,
 * §6.4):
 *
 * | port | REST |
 * |---|---|
 * | `apply`, mode `apply` | GET; absent: POST with the last-applied annotation; present: PATCH `application/merge-patch+json` with kubectl's three-way patch (apply-patch.ts), nothing when it is empty |
 * | `apply`, mode `replace` | GET; PUT with the live `resourceVersion` (a 409 Conflict re-reads and tries once more); absent: POST |
 * | `apply`, mode `recreate` | GET; DELETE then POST; while the old object is still there the answer is `unavailable` (retried by the state machine) rather than a wait |
 * | `apply`, mode `server-side` | PATCH `application/apply-patch+yaml?fieldManager=gennaker[&force=true]` |
 * | `get` / `list` | GET (404 → `undefined`); list follows `continue` until the last page |
 * | `patch` | PATCH with the strategic, merge or JSON-patch content type |
 * | `scale` | GET then PATCH of the `/scale` subresource |
 * | `delete` | DELETE with `propagationPolicy` and `gracePeriodSeconds` (404 → `already-done`) |
 * | `logs` | GET `/api/v1/namespaces/{ns}/pods/{pod}/log` (`readNamespacedPodLog`'s call) |
 *
 * Kinds resolve through discovery, kept per account (discovery.ts). A namespace outside the
 * account's `namespaces` is refused before any call. Failures are values (errors.ts).
 */
import type {
  ApplyOptions,
  DeleteOptions,
  KubernetesObject,
  LogRequest,
  ManifestAccountSettings,
  ManifestFailure,
  ManifestPort,
  ManifestQuery,
  ManifestRef,
  ManifestResult,
  PatchType,
} from '../../../core/ports/manifests.ts';
import { kindProperties, spinnakerKindOf } from '../../../core/deploy/kubernetes/kinds.ts';
import type { OperationResult } from '../../../core/ports/server-groups.ts';
import { applyPatch, covers, withLastApplied } from './apply-patch.ts';
import { createDiscovery, resourcePath, type Discovery, type ResourceType } from './discovery.ts';
import { kubernetesFailure, refusal } from './errors.ts';
import type { KubernetesRest } from './rest.ts';

/** One account's API server and what it may touch. */
export interface KubernetesAccountConnection {
  readonly name: string;
  readonly rest: KubernetesRest;
  /** Namespaces it may use; absent: every namespace. */
  readonly namespaces?: readonly string[];
  /** Where objects without a namespace go (the kubeconfig context's namespace). @default 'default' */
  readonly defaultNamespace?: string;
}

export interface KubernetesManifestsOptions {
  readonly accounts: readonly KubernetesAccountConnection[];
  /** Objects a list asks for per page. @default 500 (kubectl's chunk size) */
  readonly pageSize?: number;
}

/** The field manager of server-side apply, and the annotation a recreate leaves its owner in. */
export const FIELD_MANAGER = 'gennaker';
export const RECREATED_BY = 'gennaker.io/recreated-by';

const CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

const PROPAGATION = { foreground: 'Foreground', background: 'Background', orphan: 'Orphan' } as const;

type JsonMap = Record<string, unknown>;

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ok = <T>(value: T): ManifestResult<T> => ({ ok: true, value });
const DONE: OperationResult = { ok: true, outcome: 'done' };
const ALREADY_DONE: OperationResult = { ok: true, outcome: 'already-done' };

/** `replicaSet default/web-v001`, `namespace prod`: how messages name an object, in Spinnaker's spelling of the kind. */
export function objectName(kind: string, namespace: string | undefined, name: string, apiVersion?: string): string {
  return `${spinnakerKindOf(kindProperties(kind)?.apiKind ?? kind, apiVersion)} ${namespace ? `${namespace}/` : ''}${name}`;
}

/** A failure in flight through the helpers below; each port method answers it as a value. */
class Halt extends Error {
  constructor(readonly failure: ManifestFailure) {
    super(failure.message);
  }
}

/** One account's state: its connection and its discovery. */
interface AccountState {
  readonly connection: KubernetesAccountConnection;
  readonly discovery: Discovery;
  readonly defaultNamespace: string;
}

/** Where a call goes once the kind is resolved and the namespace allowed. */
interface Target {
  readonly account: AccountState;
  readonly type: ResourceType;
  /** Undefined for cluster-scoped kinds. */
  readonly namespace: string | undefined;
  /** For messages: the kind as the caller wrote it, the namespace and the name. */
  readonly label: string;
}

/** The manifest port of the given accounts. */
export function createKubernetesManifests(options: KubernetesManifestsOptions): ManifestPort {
  const accounts = new Map<string, AccountState>();
  for (const connection of options.accounts) {
    accounts.set(connection.name, { connection, discovery: createDiscovery(connection.rest), defaultNamespace: connection.defaultNamespace ?? 'default' });
  }
  const pageSize = options.pageSize ?? 500;

  function accountOf(name: string): AccountState {
    const found = accounts.get(name);
    if (!found) throw new Halt(refusal('invalid', `account '${name}' is not a Kubernetes account here (known: ${[...accounts.keys()].join(', ') || 'none'})`));
    return found;
  }

  function allow(account: AccountState, namespace: string): void {
    const allowed = account.connection.namespaces;
    if (allowed && !allowed.includes(namespace)) {
      throw new Halt(refusal('forbidden', `namespace '${namespace}' is not one of account '${account.connection.name}''s namespaces (${allowed.join(', ')}); use one of them or add it to the account's namespaces`));
    }
  }

  /**
   * Resolves the kind and the namespace; refuses a namespace the account may not use before any
   * call when one is named, and after discovery when the default one is taken.
   */
  async function locate(accountName: string, kind: string, apiVersion: string | undefined, namespace: string | undefined, name: string | undefined, verb: string): Promise<Target> {
    const account = accountOf(accountName);
    const named = namespace !== undefined && namespace !== '' ? namespace : undefined;
    if (named !== undefined) allow(account, named);
    const describe = (ns: string | undefined, apiKind = kind, groupVersion = apiVersion) =>
      name !== undefined ? objectName(apiKind, ns, name, groupVersion) : `${objectName(apiKind, undefined, 'objects', groupVersion)}${ns ? ` in ${ns}` : ''}`;
    let resolution;
    try {
      resolution = await account.discovery.resolve(kind, apiVersion);
    } catch (error) {
      throw new Halt(kubernetesFailure(error, `${verb} ${describe(named)} (reading the server's API discovery)`));
    }
    if (!resolution.ok) {
      const shown = resolution.knownKinds.length > 40 ? `${resolution.knownKinds.slice(0, 40).join(', ')}, …` : resolution.knownKinds.join(', ');
      throw new Halt(
        refusal('invalid', `kind '${kind}'${apiVersion ? ` (${apiVersion})` : ''} is not served by account '${accountName}''s API server; its kinds: ${shown}`),
      );
    }
    const type = resolution.type;
    const effective = type.namespaced ? (named ?? account.defaultNamespace) : undefined;
    if (effective !== undefined && named === undefined) allow(account, effective);
    return { account, type, namespace: effective, label: describe(effective, type.kind, type.apiVersion) };
  }

  async function send(target: Target, what: string, request: Parameters<KubernetesRest['send']>[0]): Promise<unknown> {
    try {
      return await target.account.connection.rest.send(request);
    } catch (error) {
      throw new Halt(kubernetesFailure(error, `${what} ${target.label}`));
    }
  }

  /** GET of one object; undefined when it does not exist. */
  async function read(target: Target, name: string, what: string): Promise<JsonMap | undefined> {
    try {
      return (await target.account.connection.rest.send({ method: 'GET', path: resourcePath(target.type, target.namespace, name) })) as JsonMap;
    } catch (error) {
      const failure = kubernetesFailure(error, `${what} ${target.label}`);
      if (failure.reason === 'not-found') return undefined;
      throw new Halt(failure);
    }
  }

  /** Runs one port operation, answering a `Halt` as its failure. */
  async function guarded<T>(operation: () => Promise<T>): Promise<T | ManifestFailure> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof Halt) return error.failure;
      throw error;
    }
  }

  /** The manifest's kind and name, or an `invalid` naming what is missing. */
  function identity(manifest: KubernetesObject): { kind: string; name: string; namespace: string | undefined; apiVersion: string | undefined } {
    if (!isMap(manifest)) throw new Halt(refusal('invalid', `a manifest must be an object with kind and metadata.name, got ${JSON.stringify(manifest)?.slice(0, 80)}`));
    const kind = manifest['kind'];
    const metadata = manifest['metadata'];
    const name = isMap(metadata) ? metadata['name'] : undefined;
    const namespace = isMap(metadata) ? metadata['namespace'] : undefined;
    const apiVersion = manifest['apiVersion'];
    if (typeof kind !== 'string' || kind === '') throw new Halt(refusal('invalid', `the manifest has no kind (metadata.name ${JSON.stringify(name)}); add "kind", e.g. "ReplicaSet"`));
    if (typeof name !== 'string' || name === '') throw new Halt(refusal('invalid', `the ${kind} manifest has no metadata.name; add one`));
    if (namespace !== undefined && typeof namespace !== 'string') throw new Halt(refusal('invalid', `metadata.namespace of ${kind} ${name} is ${JSON.stringify(namespace)}; give a namespace name`));
    if (apiVersion !== undefined && typeof apiVersion !== 'string') throw new Halt(refusal('invalid', `apiVersion of ${kind} ${name} is ${JSON.stringify(apiVersion)}; give it as "group/version", e.g. "apps/v1"`));
    return { kind, name, namespace: namespace === '' ? undefined : namespace, apiVersion };
  }

  /** The manifest as sent: the resolved apiVersion and kind, the namespace it goes to. */
  function bodyOf(manifest: JsonMap, target: Target): JsonMap {
    const metadata = isMap(manifest['metadata']) ? { ...manifest['metadata'] } : {};
    if (target.namespace !== undefined) metadata['namespace'] = target.namespace;
    else delete metadata['namespace'];
    return { ...manifest, apiVersion: target.type.apiVersion, kind: target.type.kind, metadata };
  }

  async function create(target: Target, body: JsonMap): Promise<JsonMap | 'exists'> {
    try {
      return (await target.account.connection.rest.send({ method: 'POST', path: resourcePath(target.type, target.namespace), body })) as JsonMap;
    } catch (error) {
      const failure = kubernetesFailure(error, `creating ${target.label}`);
      if (failure.reason === 'already-exists') return 'exists';
      throw new Halt(failure);
    }
  }

  /** kubectl apply: create, or the three-way merge patch from the last-applied configuration. */
  async function applyObject(target: Target, name: string, body: JsonMap): Promise<JsonMap> {
    let live = await read(target, name, 'applying');
    if (!live) {
      const created = await create(target, withLastApplied(body));
      if (created !== 'exists') return created;
      // Someone created it between the read and the create: patch it as kubectl would.
      live = await read(target, name, 'applying');
      if (!live) throw new Halt(refusal('conflict', `applying ${target.label} failed: it was created and deleted by someone else meanwhile; apply again`));
    }
    const patch = applyPatch(live, body);
    if (Object.keys(patch).length === 0) return live;
    return (await send(target, 'applying', { method: 'PATCH', path: resourcePath(target.type, target.namespace, name), body: patch, contentType: CONTENT_TYPES.merge })) as JsonMap;
  }

  /** kubectl replace: PUT over the live resourceVersion, once more on a stale one. */
  async function replaceObject(target: Target, name: string, body: JsonMap): Promise<JsonMap> {
    const desired = withLastApplied(body);
    for (let attempt = 1; ; attempt += 1) {
      const live = await read(target, name, 'replacing');
      if (!live) {
        const created = await create(target, desired);
        if (created !== 'exists') return created;
        continue;
      }
      if (covers(live, desired)) return live;
      const resourceVersion = isMap(live['metadata']) ? live['metadata']['resourceVersion'] : undefined;
      const metadata = { ...(desired['metadata'] as JsonMap), ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}) };
      try {
        return (await target.account.connection.rest.send({ method: 'PUT', path: resourcePath(target.type, target.namespace, name), body: { ...desired, metadata } })) as JsonMap;
      } catch (error) {
        const failure = kubernetesFailure(error, `replacing ${target.label}`);
        if (failure.reason === 'conflict' && attempt < 2) continue;
        throw new Halt(failure);
      }
    }
  }

  /**
   * Delete then create. The old object may linger (finalizers, foreground deletion): rather than
   * wait inside a Lambda, the answer is `unavailable` and the state machine asks again, when this
   * finds it gone and creates. The owner's annotation makes a repeated request find its own work.
   */
  async function recreateObject(target: Target, name: string, body: JsonMap, owner: string): Promise<JsonMap> {
    const desired = withLastApplied(body);
    const metadata = desired['metadata'] as JsonMap;
    const owned = { ...desired, metadata: { ...metadata, annotations: { ...(metadata['annotations'] as JsonMap), [RECREATED_BY]: owner } } };
    const live = await read(target, name, 'recreating');
    if (live) {
      const liveMetadata = isMap(live['metadata']) ? live['metadata'] : {};
      if (liveMetadata['deletionTimestamp'] === undefined && covers(live, owned)) return live;
      if (liveMetadata['deletionTimestamp'] === undefined) {
        // Only the object read above: a twin request may have recreated it since, and deleting
        // that one by name would recreate it a second time.
        const uid = typeof liveMetadata['uid'] === 'string' ? liveMetadata['uid'] : undefined;
        try {
          await target.account.connection.rest.send({
            method: 'DELETE',
            path: resourcePath(target.type, target.namespace, name),
            query: { propagationPolicy: PROPAGATION.background },
            ...(uid !== undefined ? { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } } } : {}),
          });
        } catch (error) {
          const failure = kubernetesFailure(error, `recreating ${target.label} (deleting the old one)`);
          if (failure.reason === 'conflict') throw new Halt(refusal('unavailable', `recreating ${target.label}: it was replaced meanwhile; it will be read again`));
          if (failure.reason !== 'not-found') throw new Halt(failure);
        }
      }
    }
    const created = await create(target, owned);
    if (created === 'exists') {
      throw new Halt(refusal('unavailable', `recreating ${target.label}: the old object is still being deleted; it will be tried again`));
    }
    return created;
  }

  async function serverSideApply(target: Target, name: string, body: JsonMap, force: boolean): Promise<JsonMap> {
    return (await send(target, 'applying (server-side)', {
      method: 'PATCH',
      path: resourcePath(target.type, target.namespace, name),
      query: { fieldManager: FIELD_MANAGER, ...(force ? { force: true } : {}) },
      body,
      contentType: 'application/apply-patch+yaml',
    })) as JsonMap;
  }

  return {
    settings(account): ManifestAccountSettings | undefined {
      const found = accounts.get(account);
      if (!found) return undefined;
      return { ...(found.connection.namespaces ? { namespaces: [...found.connection.namespaces] } : {}), defaultNamespace: found.defaultNamespace };
    },

    apply(account, manifest, applyOptions: ApplyOptions) {
      return guarded(async () => {
        const { kind, name, namespace, apiVersion } = identity(manifest);
        const mode = applyOptions.mode ?? 'apply';
        const target = await locate(account, kind, apiVersion, namespace, name, 'applying');
        const body = bodyOf(manifest as JsonMap, target);
        switch (mode) {
          case 'apply':
            return ok<KubernetesObject>(await applyObject(target, name, body));
          case 'replace':
            return ok<KubernetesObject>(await replaceObject(target, name, body));
          case 'recreate':
            return ok<KubernetesObject>(await recreateObject(target, name, body, applyOptions.owner));
          case 'server-side':
            return ok<KubernetesObject>(await serverSideApply(target, name, body, applyOptions.forceConflicts === true));
          default: {
            const never: never = mode;
            throw new Halt(refusal('invalid', `apply mode '${String(never)}' is not one of apply, replace, recreate, server-side`));
          }
        }
      });
    },

    get(ref: ManifestRef) {
      return guarded(async () => {
        const target = await locate(ref.account, ref.kind, ref.apiVersion, ref.namespace, ref.name, 'reading');
        return ok<KubernetesObject | undefined>(await read(target, ref.name, 'reading'));
      });
    },

    list(query: ManifestQuery) {
      return guarded(async () => {
        const target = await locate(query.account, query.kind, query.apiVersion, query.namespace, undefined, 'listing');
        const items: KubernetesObject[] = [];
        let token: string | undefined;
        do {
          const page = (await send(target, 'listing', {
            method: 'GET',
            path: resourcePath(target.type, target.namespace),
            query: { limit: pageSize, continue: token, labelSelector: query.labelSelector },
          })) as { items?: readonly JsonMap[]; metadata?: { continue?: string } } | undefined;
          for (const item of page?.items ?? []) {
            // Items of a list carry no kind: give each the type it was listed as.
            items.push({ apiVersion: target.type.apiVersion, kind: target.type.kind, ...item });
          }
          token = page?.metadata?.continue || undefined;
        } while (token !== undefined);
        return ok<readonly KubernetesObject[]>(items);
      });
    },

    patch(ref, type, body) {
      return guarded(async () => {
        if (type === 'json' ? !Array.isArray(body) : !isMap(body)) {
          throw new Halt(refusal('invalid', `a ${type} patch of ${objectName(ref.kind, ref.namespace, ref.name)} must be ${type === 'json' ? 'a list of operations [{"op": ..., "path": ...}]' : 'an object'}, got ${JSON.stringify(body)?.slice(0, 80)}`));
        }
        const target = await locate(ref.account, ref.kind, ref.apiVersion, ref.namespace, ref.name, 'patching');
        const patched = await send(target, `patching (${type})`, { method: 'PATCH', path: resourcePath(target.type, target.namespace, ref.name), body, contentType: CONTENT_TYPES[type] });
        return ok<KubernetesObject>(patched as JsonMap);
      });
    },

    scale(ref, replicas) {
      return guarded(async (): Promise<OperationResult | ManifestFailure> => {
        if (!Number.isInteger(replicas) || replicas < 0) throw new Halt(refusal('invalid', `replicas is ${JSON.stringify(replicas)} for ${objectName(ref.kind, ref.namespace, ref.name)}; give a whole number, 0 or more`));
        const target = await locate(ref.account, ref.kind, ref.apiVersion, ref.namespace, ref.name, 'scaling');
        if (!target.type.scalable) throw new Halt(refusal('invalid', `${target.label} cannot be scaled: the server has no /scale for ${target.type.plural}`));
        const path = resourcePath(target.type, target.namespace, ref.name, 'scale');
        const current = (await send(target, 'scaling', { method: 'GET', path })) as { spec?: { replicas?: number } } | undefined;
        if (current?.spec?.replicas === replicas) return ALREADY_DONE;
        await send(target, 'scaling', { method: 'PATCH', path, body: { spec: { replicas } }, contentType: CONTENT_TYPES.merge });
        return DONE;
      });
    },

    delete(ref, deleteOptions: DeleteOptions) {
      return guarded(async (): Promise<OperationResult | ManifestFailure> => {
        const grace = deleteOptions.gracePeriodSeconds;
        if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw new Halt(refusal('invalid', `gracePeriodSeconds is ${JSON.stringify(grace)}; give a whole number of seconds, 0 or more`));
        const target = await locate(ref.account, ref.kind, ref.apiVersion, ref.namespace, ref.name, 'deleting');
        try {
          await target.account.connection.rest.send({
            method: 'DELETE',
            path: resourcePath(target.type, target.namespace, ref.name),
            query: { propagationPolicy: PROPAGATION[deleteOptions.propagation ?? 'background'], gracePeriodSeconds: grace },
          });
          return DONE;
        } catch (error) {
          const failure = kubernetesFailure(error, `deleting ${target.label}`);
          if (failure.reason === 'not-found') return ALREADY_DONE;
          throw new Halt(failure);
        }
      });
    },

    logs(request: LogRequest) {
      return guarded(async () => {
        const account = accountOf(request.account);
        allow(account, request.namespace);
        const label = objectName('pod', request.namespace, request.pod);
        try {
          const text = await account.connection.rest.send({
            method: 'GET',
            path: `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/pods/${encodeURIComponent(request.pod)}/log`,
            query: { container: request.container, tailLines: request.tailLines },
            text: true,
          });
          return ok(typeof text === 'string' ? text : '');
        } catch (error) {
          throw new Halt(kubernetesFailure(error, `reading the log of ${label}${request.container ? ` (container ${request.container})` : ''}`));
        }
      });
    },
  };
}

