/**
 * The manifest port: a Kubernetes API server as Spinnaker's manifest stages drive it
 * (reference/cloud-targets.md §6). Kubernetes keeps no "server group" of its own: it holds objects
 * (ReplicaSets, Deployments, Services, Jobs, custom resources...) that a stage applies, patches,
 * scales and deletes. So, as with Lambda (core/ports/functions.ts), this port is the API server's
 * own small model, not the server-group port bent to fit.
 *
 * Split of the work:
 * - Spinnaker's semantics (version names `-v000`, moniker and artifact annotations, traffic by
 *   Service selector labels, what "stable" means, dynamic targets) are pure and live in core
 *   (core/deploy/kubernetes/), so they are written once and tested without a cluster.
 * - An adapter only speaks the API server's REST: it resolves a kind to its resource path (through
 *   discovery, so custom resources such as Istio's VirtualService work), applies, patches, scales,
 *   deletes, lists and reads logs, and maps the server's `Status` answers to result values.
 *
 * The contract every adapter keeps (the same spirit as core/ports/server-groups.ts):
 * - Every operation starts and returns: nothing waits for pods to become Ready or for a deletion
 *   to finish; the caller reads objects back on its next poll.
 * - Results are values. Only broken invariants throw. `unavailable` (429, 5xx, unreachable) is
 *   retried by the state machine through `Gennaker.TargetUnavailable`; `forbidden` (403, or a
 *   namespace the account may not use), `invalid` (422, or a manifest without kind or name),
 *   `conflict` (409 that a re-read cannot settle) and `failed` fail the stage with the server's
 *   reason in one line.
 * - Reads answer `undefined` for what does not exist; `delete` of what is gone answers `already-done`.
 * - `apply` is idempotent: applying the same manifest twice leaves the object as the first call did
 *   (kubectl apply semantics: create, or patch the live object from its last-applied configuration).
 *
 * Pure types: no SDK, no I/O.
 */
import type { JsonObject } from './execution-store.ts';
import type { OperationResult, OwnerToken, PortFailureReason } from './server-groups.ts';

/** A Kubernetes object as JSON (`apiVersion`, `kind`, `metadata`, `spec`...). */
export type KubernetesObject = JsonObject;

/** Which object: an API `kind` (`ReplicaSet`, `VirtualService`; matched case-insensitively, so Spinnaker's `replicaSet` works), a namespace and a name. */
export interface ManifestRef {
  readonly account: string;
  /** Absent or empty for cluster-scoped kinds (Namespace, ClusterRole...). */
  readonly namespace?: string;
  readonly kind: string;
  readonly name: string;
  /** `group/version` when the caller knows it (from a manifest); otherwise the adapter picks the preferred version of the kind. */
  readonly apiVersion?: string;
}

/** Which objects: every object of a kind in a namespace, optionally narrowed by a label selector (`app=web,tier!=db`). */
export interface ManifestQuery {
  readonly account: string;
  readonly namespace?: string;
  readonly kind: string;
  readonly apiVersion?: string;
  /** Kubernetes label-selector syntax, passed to the server unchanged. */
  readonly labelSelector?: string;
}

export type ManifestFailureReason =
  | PortFailureReason
  /** 403 from the server, or a namespace outside the account's `namespaces`. */
  | 'forbidden'
  /** 409 that is not an `AlreadyExists` the adapter can settle by reading the object again. */
  | 'conflict';

/** A failure. `message` is one line for the pipeline author and carries the server's own reason. */
export interface ManifestFailure {
  readonly ok: false;
  readonly reason: ManifestFailureReason;
  readonly message: string;
  /** The HTTP status the server answered, when it answered. */
  readonly status?: number;
  readonly cause?: unknown;
}

export type ManifestResult<T> = { readonly ok: true; readonly value: T } | ManifestFailure;

/** How `apply` writes an object (Spinnaker's `strategy.spinnaker.io/*` annotations decide, core picks). */
export type ApplyMode =
  /** kubectl apply: create, or patch the live object from its last-applied configuration. */
  | 'apply'
  /** kubectl replace: PUT the whole object (create when absent). */
  | 'replace'
  /** Delete then create (`strategy.spinnaker.io/recreate`). */
  | 'recreate'
  /** Server-side apply with field manager `gennaker` (`strategy.spinnaker.io/server-side-apply`). */
  | 'server-side';

export interface ApplyOptions {
  readonly owner: OwnerToken;
  /** @default 'apply' */
  readonly mode?: ApplyMode;
  /** Server-side apply only: take fields other managers own (`force-conflicts`). */
  readonly forceConflicts?: boolean;
}

/** The three patch types of `kubectl patch --type` (Spinnaker's `options.mergeStrategy`). */
export type PatchType = 'strategic' | 'merge' | 'json';

export interface DeleteOptions {
  readonly owner: OwnerToken;
  /** Kubernetes' propagation policy. Spinnaker's `options.cascading: true` is `background`, false `orphan`. @default 'background' */
  readonly propagation?: 'foreground' | 'background' | 'orphan';
  readonly gracePeriodSeconds?: number;
}

/** A pod's log, for Jobs (`runJobManifest`). */
export interface LogRequest {
  readonly account: string;
  readonly namespace: string;
  readonly pod: string;
  /** @default the pod's only container */
  readonly container?: string;
  /** Only the last N lines. */
  readonly tailLines?: number;
}

/** What an account may touch. */
export interface ManifestAccountSettings {
  /** Namespaces the account may use; absent: every namespace. */
  readonly namespaces?: readonly string[];
  /** Where objects without a namespace go (the kubeconfig context's namespace). @default 'default' */
  readonly defaultNamespace: string;
}

export interface ManifestPort {
  /** The account's namespace rules and defaults (no call to the server). */
  settings(account: string): ManifestAccountSettings | undefined;
  /** Creates or updates one object and answers it as the server now holds it. */
  apply(account: string, manifest: KubernetesObject, options: ApplyOptions): Promise<ManifestResult<KubernetesObject>>;
  /** The object now, or undefined when it does not exist. */
  get(ref: ManifestRef): Promise<ManifestResult<KubernetesObject | undefined>>;
  /** Every object the query matches (all pages), in the server's order. */
  list(query: ManifestQuery): Promise<ManifestResult<readonly KubernetesObject[]>>;
  /** Patches one object with a strategic-merge, JSON-merge (RFC 7386) or JSON (RFC 6902) patch; answers the result. */
  patch(ref: ManifestRef, type: PatchType, body: unknown, options: { readonly owner: OwnerToken }): Promise<ManifestResult<KubernetesObject>>;
  /** Sets `spec.replicas` through the `/scale` subresource. */
  scale(ref: ManifestRef, replicas: number, options: { readonly owner: OwnerToken }): Promise<OperationResult | ManifestFailure>;
  /** Starts deleting one object; `already-done` when it is gone. */
  delete(ref: ManifestRef, options: DeleteOptions): Promise<OperationResult | ManifestFailure>;
  /** A pod's log text. */
  logs(request: LogRequest): Promise<ManifestResult<string>>;
}
