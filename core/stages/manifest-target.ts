/**
 * The two tasks every manifest stage that acts on live objects shares:
 *
 * - resolveTargetManifest (Orca's ResolveTargetManifestTask): in dynamic mode, lists the objects of
 *   the stage's kind in its namespace, keeps those of the moniker cluster (`cluster`, and `app`
 *   when given), and picks one by `criteria` (core/deploy/kubernetes/targets.ts); the pick becomes
 *   the stage's `manifestName`. Static mode resolves nothing. Nothing in the cluster to pick fails
 *   the stage, naming what the cluster holds.
 * - waitForManifestToStabilize (Orca's WaitForManifestStableTask): reads each object of
 *   `outputs.manifestNamesByNamespace` until every one is stable as Spinnaker defines it
 *   (core/deploy/kubernetes/stability.ts); one that failed for good (a Deployment past its
 *   progress deadline) fails the stage with clouddriver's message, and so does the wait running
 *   out (Orca's 30 minutes, or the stage's timeout), with the reason in one line. The objects,
 *   stable, become `outputs.manifests`.
 */
import { apiKindOf, formatManifestName, parseManifestName } from '../deploy/kubernetes/kinds.ts';
import { manifestStatus } from '../deploy/kubernetes/stability.ts';
import { clusterMembers, isTargetCriteria, selectTarget } from '../deploy/kubernetes/targets.ts';
import { nameOf } from '../deploy/kubernetes/objects.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { KubernetesObject } from '../ports/manifests.ts';
import { manifestFailure, manifestScope, oneLine, reportedObject, settleWaitSeconds, textAt, type ManifestTaskDeps } from './manifest-common.ts';
import { STABLE_TIMEOUT_MS } from './manifest-deploy.ts';
import { failed, numberFrom, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Runs resolveTargetManifest. */
export async function runResolveTargetManifest(input: TaskInput, deps: ManifestTaskDeps): Promise<TaskResult> {
  const context = input.record.context;
  const criteria = textAt(context, 'criteria');
  if (textAt(context, 'mode') !== 'dynamic' || criteria === undefined) return succeeded();
  const scoped = manifestScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  if (!isTargetCriteria(criteria)) return failed(`${scope.label}: criteria is '${criteria}'; use one of newest, second_newest, oldest, largest, smallest`);
  const cluster = textAt(context, 'cluster');
  if (cluster === undefined) return failed(`${scope.label}: cluster is ${JSON.stringify(context.cluster ?? null)}; name the moniker cluster as '<kind> <name>', e.g. "replicaSet web"`);
  const parsed = parseManifestName(cluster, 'cluster');
  if (!parsed.ok) return failed(`${scope.label}: ${parsed.message}`);
  const kind = apiKindOf(textAt(context, 'kind') ?? parsed.value.kind);
  const listed = await scope.port.list({ account: scope.account, namespace: scope.namespace, kind });
  if (!listed.ok) return manifestFailure(listed, `listing ${kind} objects in namespace '${scope.namespace}'`, scope.label);
  const app = textAt(context, 'app');
  const members = clusterMembers(listed.value, cluster, app);
  const picked = selectTarget(members, criteria);
  if (picked === undefined) {
    const held = members.length === 0 ? 'no object' : `only ${members.map((object) => nameOf(object) ?? '?').join(', ')}`;
    return failed(`${scope.label}: no manifest could be found matching cluster '${cluster}'${app !== undefined ? ` of application '${app}'` : ''}, criteria ${criteria}, in namespace '${scope.namespace}': the cluster holds ${held}; deploy it first, or fix cluster, app, location or criteria`);
  }
  const manifestName = formatManifestName(kind, nameOf(picked) ?? '');
  return succeeded({ manifestName }, { context: { manifestName } });
}

/** The objects a stage touched, by namespace (Orca's `outputs.manifestNamesByNamespace`). */
export function touchedManifests(context: JsonObject): Array<{ readonly namespace: string; readonly manifestName: string }> {
  const byNamespace = context['outputs.manifestNamesByNamespace'];
  if (!isObject(byNamespace)) return [];
  return Object.entries(byNamespace).flatMap(([namespace, names]) =>
    Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string').map((manifestName) => ({ namespace, manifestName })) : [],
  );
}

const STARTED_KEY = 'stableSince';

/** Runs waitForManifestToStabilize. */
export async function runWaitForManifestStable(input: TaskInput, deps: ManifestTaskDeps): Promise<TaskResult> {
  const scoped = manifestScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  const touched = touchedManifests(input.record.context);
  const messages: string[] = [];
  const failures: string[] = [];
  const stable: KubernetesObject[] = [];
  for (const { namespace, manifestName } of touched) {
    const parsed = parseManifestName(manifestName);
    if (!parsed.ok) return failed(`${scope.label}: ${parsed.message}`);
    const identifier = `'${manifestName}' in '${namespace}' for account ${scope.account}`;
    const found = await scope.port.get({ account: scope.account, namespace, kind: apiKindOf(parsed.value.kind), name: parsed.value.name });
    if (!found.ok) return manifestFailure(found, `reading ${manifestName} in namespace '${namespace}'`, scope.label);
    if (found.value === undefined) {
      failures.push(`${identifier}: it no longer exists`);
      continue;
    }
    const status = manifestStatus(found.value);
    if (status.failed) failures.push(`${identifier}: ${status.message ?? 'failed'}`);
    else if (status.stable) stable.push(found.value);
    else messages.push(`${identifier}: ${status.message ?? 'waiting for manifest to stabilize'}`);
  }
  const startedAt = numberFrom(input.record.runtime[STARTED_KEY]) ?? input.now;
  if (failures.length > 0) return failed(`${scope.label}: ${oneLine(failures.join('; '))}`, { context: { failedManifests: failures } });
  if (messages.length > 0) {
    const wait = settleWaitSeconds(input.now - startedAt);
    // Fail with the reason while there is one to give: at Orca's 30 minutes, or before the next poll
    // would pass the stage's own timeout; otherwise the poll budget or the timeout ends the stage
    // without saying which object did not settle, nor why (a ReplicaSet has no progress deadline).
    const stageTimeout = input.stage.stageTimeoutMs;
    const stageStart = input.record.startTime ?? startedAt;
    if (input.now - startedAt >= STABLE_TIMEOUT_MS || (stageTimeout !== undefined && input.now + wait * 1000 - stageStart > stageTimeout)) {
      const limit = stageTimeout !== undefined && stageTimeout < STABLE_TIMEOUT_MS ? `${Math.round(stageTimeout / 1000)} s (stageTimeoutMs)` : '30 minutes';
      return failed(`${scope.label}: the manifests did not become stable within ${limit}: ${oneLine(messages.join('; '))}`, { context: { messages } });
    }
    return running(wait, { context: { messages }, runtime: { [STARTED_KEY]: startedAt } });
  }
  const outputs: JsonObject = {
    stableManifests: touched.map(({ namespace, manifestName }) => ({ manifestName, location: namespace })),
    'outputs.manifests': stable.map(reportedObject),
  };
  return succeeded(outputs, { context: { messages: [] } });
}
