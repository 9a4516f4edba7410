/**
 * What the tasks of Spinnaker's Kubernetes manifest stages share (scale, patch, undo, enable,
 * disable, restart, pause, resume, find artifacts, run job): the account's manifest port and
 * namespace, the object a stage acts on, the outputs Orca gives every one of them, and the rules
 * each task follows:
 *
 * - A task reads the object, decides, and makes one call; nothing waits inside a call. Waiting for
 *   the object to settle is waitForManifestToStabilize's polling (Orca's WaitForManifestStableTask).
 * - A change that is the same whatever happened before (set replicas to 3, put a label on a pod)
 *   is derived again from the live object on every delivery, so a duplicate finds nothing to do.
 *   A change that is not (a JSON patch, an undo to "one revision back") records its intent in the
 *   stage's runtime before it is sent, with what it was decided on: a delivery that finds the
 *   intent and the object's content moved on (status aside) knows the change landed. Either kind
 *   claims the step before its write, so of two deliveries at the same instant only one writes.
 * - `unavailable` raises the retryable `Gennaker.TargetUnavailable`; any other refusal of the API
 *   server (403, 409, 422...) fails the stage with the server's reason in one line.
 */
import { GennakerError } from '../errors.ts';
import { apiKindOf, parseManifestName } from '../deploy/kubernetes/kinds.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { KubernetesObject, ManifestFailure, ManifestPort, ManifestRef } from '../ports/manifests.ts';
import type { OwnerToken } from '../ports/server-groups.ts';
import type { TargetLookup } from '../ports/target.ts';
import { failed, running, type TaskInput, type TaskResult } from './task-result.ts';

/** What the manifest tasks need, handed in by the runner. */
export interface ManifestTaskDeps {
  readonly targets: TargetLookup;
  /** The accounts that exist, for the message when a stage names another. */
  readonly accounts?: () => readonly string[];
}

/** Where a manifest stage acts: the account's port and the namespace. */
export interface ManifestScope {
  readonly account: string;
  readonly namespace: string;
  readonly port: ManifestPort;
  /** `stage '<name>'`, the prefix of every failure message. */
  readonly label: string;
}

/** The runtime key of every manifest stage's progress. */
export const MANIFEST_PROGRESS_KEY = 'manifest';

export function textAt(context: JsonObject, key: string): string | undefined {
  const value = context[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The account (`account`, else `credentials`) of a stage's evaluated context. */
export function accountOf(context: JsonObject): string | undefined {
  return textAt(context, 'account') ?? textAt(context, 'credentials');
}

/**
 * The account's manifest port and the stage's namespace (`location`, else the account's default
 * namespace), or one line saying why there is none. A namespace outside the account's
 * `namespaces` is refused here, before any call.
 */
export function manifestScope(input: TaskInput, deps: ManifestTaskDeps, namespaceField = 'location'): { ok: true; scope: ManifestScope } | { ok: false; message: string } {
  const context = input.record.context;
  const label = `stage '${input.stage.name}'`;
  const account = accountOf(context);
  if (account === undefined) return { ok: false, message: `${label}: account is ${JSON.stringify(context.account ?? null)}; set it to the Kubernetes account to act in` };
  const cloudProvider = textAt(context, 'cloudProvider');
  const target = deps.targets({ account, ...(cloudProvider !== undefined ? { cloudProvider } : {}) });
  if (!target) {
    const known = deps.accounts?.() ?? [];
    return { ok: false, message: `${label}: no deploy target serves account '${account}'${known.length > 0 ? ` (known accounts: ${known.join(', ')})` : ''}; check account, or configure it` };
  }
  const port = target.manifests;
  if (!port) return { ok: false, message: `${label}: account '${account}' (${target.cloudProvider}) has no Kubernetes cluster wired in; name a Kubernetes account` };
  const settings = port.settings(account);
  const namespace = textAt(context, namespaceField) ?? settings?.defaultNamespace ?? 'default';
  const allowed = settings?.namespaces;
  if (allowed !== undefined && !allowed.includes(namespace)) {
    return { ok: false, message: `${label}: ${namespaceField} is '${namespace}', a namespace account '${account}' may not use (its namespaces: ${allowed.join(', ') || 'none'}); set ${namespaceField} to one of them` };
  }
  return { ok: true, scope: { account, namespace, port, label } };
}

/** One object of the stage: Spinnaker's `<kind> <name>` and the reference the port takes. */
export interface ManifestTarget {
  /** As the stage wrote it (`deployment web`). */
  readonly manifestName: string;
  readonly ref: ManifestRef;
}

/** The object named by `manifestName` in the evaluated context (static mode, or as resolveTargetManifest set it). */
export function targetOf(input: TaskInput, scope: ManifestScope): { ok: true; target: ManifestTarget } | { ok: false; message: string } {
  const text = textAt(input.record.context, 'manifestName');
  if (text === undefined) {
    return { ok: false, message: `${scope.label}: manifestName is ${JSON.stringify(input.record.context.manifestName ?? null)}; name the object as '<kind> <name>', e.g. "deployment web", or choose it with mode 'dynamic'` };
  }
  const parsed = parseManifestName(text);
  if (!parsed.ok) return { ok: false, message: `${scope.label}: ${parsed.message}` };
  return { ok: true, target: { manifestName: text, ref: { account: scope.account, namespace: scope.namespace, kind: apiKindOf(parsed.value.kind), name: parsed.value.name } } };
}

/** `unavailable` is retried by the state machine; anything else fails the stage with the server's reason. */
export function manifestFailure(result: ManifestFailure, what: string, label: string): TaskResult {
  if (result.reason === 'unavailable') throw new GennakerError('Gennaker.TargetUnavailable', `${label}: ${what}: ${result.message}; retrying`, { cause: result.cause });
  return failed(`${label}: ${what} failed: ${oneLine(result.message)}`);
}

/** The object now, or a task result (failed, or raised when the server is unavailable). */
export async function readObject(scope: ManifestScope, target: ManifestTarget): Promise<{ ok: true; object: KubernetesObject | undefined } | { ok: false; result: TaskResult }> {
  const found = await scope.port.get(target.ref);
  if (!found.ok) return { ok: false, result: manifestFailure(found, `reading ${target.manifestName} in namespace '${scope.namespace}'`, scope.label) };
  return { ok: true, object: found.value };
}

/** The stage's scope, its object and the object as it is now. */
export interface LiveTarget {
  readonly scope: ManifestScope;
  readonly target: ManifestTarget;
  readonly object: KubernetesObject;
}

/**
 * Where the stage acts and its object, read now: what every task acting on one object starts
 * with. `kinds` limits the kinds the task acts on (`what` says what it does, for the message).
 */
export async function liveTarget(
  input: TaskInput,
  deps: ManifestTaskDeps,
  options: { readonly kinds?: readonly string[]; readonly what?: string } = {},
): Promise<{ ok: true; live: LiveTarget } | { ok: false; result: TaskResult }> {
  const scoped = manifestScope(input, deps);
  if (!scoped.ok) return { ok: false, result: failed(scoped.message) };
  const scope = scoped.scope;
  const targeted = targetOf(input, scope);
  if (!targeted.ok) return { ok: false, result: failed(targeted.message) };
  const target = targeted.target;
  if (options.kinds !== undefined && !options.kinds.includes(target.ref.kind)) {
    return { ok: false, result: failed(`${scope.label}: ${target.manifestName} cannot be ${options.what ?? 'changed'}: only ${options.kinds.join(', ')} objects can; name one of those`) };
  }
  const read = await readObject(scope, target);
  if (!read.ok) return read;
  if (read.object === undefined) return { ok: false, result: missingObject(scope, target) };
  return { ok: true, live: { scope, target, object: read.object } };
}

/** The failure for an object the stage needs and the cluster does not have. */
export function missingObject(scope: ManifestScope, target: ManifestTarget): TaskResult {
  return failed(`${scope.label}: ${target.manifestName} does not exist in namespace '${scope.namespace}' of account '${scope.account}'; deploy it first, or fix manifestName and location`);
}

/** The owner token of a task's side effects: the execution, the stage and the step. */
export function ownerOf(input: TaskInput): OwnerToken {
  return `${input.execution.id}:${input.record.id}:${input.task}`;
}

/** Seconds before the next look at an object settling: Orca's 5 s, then 10% of the time waited, at most a minute. */
export function settleWaitSeconds(elapsedMs: number): number {
  return Math.min(60, Math.max(5, Math.ceil(elapsedMs / 10_000)));
}

/** One line of at most `max` characters. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `metadata.resourceVersion` of an object. */
export function resourceVersionOf(object: KubernetesObject | undefined): string | undefined {
  const metadata = object && isObject(object['metadata']) ? object['metadata'] : undefined;
  const version = metadata?.['resourceVersion'];
  return typeof version === 'string' ? version : undefined;
}

/**
 * An object as a stage reports it: without `metadata.managedFields` and the last-applied
 * annotation, which repeat the object and would swell the stage record (Spinnaker's #5909).
 */
export function reportedObject(object: KubernetesObject): JsonObject {
  const metadata = isObject(object['metadata']) ? { ...object['metadata'] } : undefined;
  if (metadata === undefined) return object as JsonObject;
  delete metadata['managedFields'];
  if (isObject(metadata['annotations'])) {
    const annotations = { ...metadata['annotations'] };
    delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
    metadata['annotations'] = annotations;
  }
  return { ...object, metadata } as JsonObject;
}

/**
 * Orca's outputs of a manifest operation (GenericUpdateManifestTask, PromoteManifestKatoOutputsTask):
 * the account, the object's name and namespace, and `outputs.manifestNamesByNamespace`, which
 * waitForManifestToStabilize reads; `outputs.manifests` holds the objects as the server answered.
 */
export function operationOutputs(scope: ManifestScope, manifestName: string, objects: readonly KubernetesObject[] = []): JsonObject {
  return {
    'deploy.account.name': scope.account,
    'manifest.account.name': scope.account,
    'manifest.name': manifestName,
    'manifest.location': scope.namespace,
    'outputs.manifestNamesByNamespace': { [scope.namespace]: [manifestName] },
    ...(objects.length > 0 ? { 'outputs.manifests': objects.map(reportedObject) } : {}),
  };
}

/** What a mutation not idempotent by content recorded before it was sent. */
export interface Intent {
  /** The object as the mutation was decided on: its resourceVersion, or its contentFingerprint where intentLanded reads it. */
  readonly before: string;
  /** What the mutation was (for a redelivery to send exactly the same one). */
  readonly detail?: JsonObject;
}

/** The intent a step saved, if any. */
export function intentOf(input: TaskInput, step: string): Intent | undefined {
  const progress = input.record.runtime[MANIFEST_PROGRESS_KEY];
  const found = isObject(progress) ? progress[step] : undefined;
  if (!isObject(found) || typeof found['before'] !== 'string') return undefined;
  return { before: found['before'], ...(isObject(found['detail']) ? { detail: found['detail'] as JsonObject } : {}) };
}

/**
 * Saves a step's intent before its side effect. A lost race (a twin delivery saved first) answers
 * a result to return: the twin acts, and this call looks again later.
 */
export async function saveIntent(input: TaskInput, step: string, intent: Intent): Promise<TaskResult | undefined> {
  const progress = input.record.runtime[MANIFEST_PROGRESS_KEY];
  const saved = await input.saveRuntime(MANIFEST_PROGRESS_KEY, { ...(isObject(progress) ? progress : {}), [step]: intent as unknown as JsonObject } as JsonObject);
  return saved.ok ? undefined : running(1);
}

/**
 * Claims a step's write before it is sent, for a change derived again from the live object on
 * every delivery (set replicas to 3, put a label on a pod): two deliveries at the same instant
 * both see the change still to make, and only the one that saved first sends it; the other answers
 * the result returned here, and a second later finds the change made and sends nothing.
 */
export function claimStep(input: TaskInput, step: string, object: KubernetesObject | undefined): Promise<TaskResult | undefined> {
  return saveIntent(input, step, { before: resourceVersionOf(object) ?? '' });
}

/** JSON with object keys sorted, so equal objects give equal text whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** FNV-1a of a text from a seed, 8 hex digits. */
function fnv1a(text: string, seed: number): string {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * A fingerprint of what a write can change in an object: everything but `status` and the
 * bookkeeping the server moves on its own (`resourceVersion`, `managedFields`). The controllers
 * rewrite a workload's status (and so its resourceVersion) at every step of a rollout; only a
 * write changes this.
 */
export function contentFingerprint(object: KubernetesObject): string {
  const metadata = isObject(object['metadata']) ? { ...object['metadata'] } : {};
  delete metadata['resourceVersion'];
  delete metadata['managedFields'];
  const { status: _status, ...rest } = object;
  const text = stableJson({ ...rest, metadata });
  return `${fnv1a(text, 0x811c9dc5)}${fnv1a(text, 0x01000193)}`;
}

/**
 * Whether a saved intent already happened: the object's content moved past the fingerprint the
 * change was decided on (contentFingerprint). A resourceVersion would not do: a status update
 * by a controller would read as the change. (Someone else's write in between reads as ours: the
 * same trade Lambda's RevisionId makes; never a change made twice.)
 */
export function intentLanded(intent: Intent | undefined, object: KubernetesObject | undefined): boolean {
  return intent !== undefined && object !== undefined && contentFingerprint(object) !== intent.before;
}
