/**
 * The undo task of `undoRolloutManifest` (core/pipeline/stage-types/manifest-undo-rollout.ts),
 * `kubectl rollout undo` done client-side since the API server has no endpoint for it:
 *
 * 1. The Deployment's history is its ReplicaSets (listed by its selector, owned by it) and their
 *    `deployment.kubernetes.io/revision` annotations, sorted; clouddriver picks revision
 *    `n - numRevisionsBack - 1` (KubernetesUndoRolloutManifestOperation).
 * 2. That ReplicaSet's pod template, without the `pod-template-hash` label the controller adds,
 *    replaces the Deployment's (kubectl's DeploymentRollbacker); the Deployment controller then
 *    rolls it out as a new revision.
 *
 * After an undo the history has changed (the revision rolled back to becomes the newest), so a
 * duplicate delivery must not pick again: the chosen revision and template are saved before the
 * patch, and a delivery that finds them sends the same template, or nothing once the Deployment
 * carries it. A paused Deployment is refused, as kubectl refuses it.
 */
import { ownedPods as ownedBy, workloadPodSelector } from '../deploy/kubernetes/traffic.ts';
import type { UndoRolloutManifestStage } from '../pipeline/stage-types/index.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { KubernetesObject } from '../ports/manifests.ts';
import { intentOf, liveTarget, manifestFailure, operationOutputs, ownerOf, resourceVersionOf, saveIntent, type ManifestTaskDeps } from './manifest-common.ts';
import { failed, numberFrom, objectAt, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The annotation the Deployment controller numbers its ReplicaSets with. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** The label the Deployment controller adds to each ReplicaSet's template and selector. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** A revision of a Deployment: its number and the ReplicaSet that holds its template. */
export interface Revision {
  readonly revision: number;
  readonly replicaSet: KubernetesObject;
}

/** The Deployment's revisions from its ReplicaSets, oldest first. */
export function revisionsOf(replicaSets: readonly KubernetesObject[]): Revision[] {
  const revisions: Revision[] = [];
  for (const replicaSet of replicaSets) {
    const text = objectAt(objectAt(replicaSet, 'metadata'), 'annotations')[REVISION_ANNOTATION];
    const revision = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : undefined;
    if (revision !== undefined) revisions.push({ revision, replicaSet });
  }
  return revisions.sort((a, b) => a.revision - b.revision);
}

/** clouddriver's pick: index `n - numRevisionsBack - 1` of the sorted revisions, or its message when there is none. */
export function pickRevision(revisions: readonly Revision[], numRevisionsBack: number): { ok: true; revision: Revision } | { ok: false; message: string } {
  const index = revisions.length - numRevisionsBack - 1;
  const picked = index >= 0 ? revisions[index] : undefined;
  if (picked === undefined) return { ok: false, message: `There are ${revisions.length} revision(s) in total, cannot rollback ${numRevisionsBack}` };
  return { ok: true, revision: picked };
}

/** A ReplicaSet's pod template as the Deployment would hold it: without `pod-template-hash`. */
export function templateForDeployment(replicaSet: KubernetesObject): JsonObject {
  const template = structuredClone(objectAt(objectAt(replicaSet, 'spec'), 'template')) as JsonObject;
  const metadata = objectAt(template, 'metadata');
  const labels = { ...objectAt(metadata, 'labels') };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  return { ...template, metadata: { ...metadata, labels } } as JsonObject;
}

/** Whether two JSON values are equal (key order aside). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keysA = Object.keys(a as object).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const keysB = Object.keys(b as object).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  return keysA.length === keysB.length && keysA.every((key) => sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** Runs the undoRolloutManifest task. */
export async function runUndoRolloutManifest(input: TaskInput<UndoRolloutManifestStage>, deps: ManifestTaskDeps): Promise<TaskResult> {
  const back = numberFrom(input.record.context.numRevisionsBack ?? 1);
  if (back === undefined || !Number.isInteger(back) || back < 1) {
    return failed(`stage '${input.stage.name}': numRevisionsBack is ${JSON.stringify(input.record.context.numRevisionsBack ?? null)} after evaluating expressions; it must give a whole number of at least 1`);
  }
  // Only a Deployment keeps a history Gennaker reads (its ReplicaSets); others' live in ControllerRevisions.
  const found = await liveTarget(input, deps, { kinds: ['Deployment'], what: 'rolled back' });
  if (!found.ok) return found.result;
  const { scope, target, object: deployment } = found.live;

  let intent = intentOf(input, 'undoRolloutManifest');
  if (intent === undefined) {
    if (objectAt(deployment, 'spec')['paused'] === true) {
      return failed(`${scope.label}: ${target.manifestName} is paused, and a paused deployment cannot be rolled back; resume it first (a resumeRolloutManifest stage), then undo`);
    }
    const selector = workloadPodSelector(deployment);
    const listed = await scope.port.list({ account: scope.account, namespace: scope.namespace, kind: 'ReplicaSet', ...(selector !== undefined ? { labelSelector: selector } : {}) });
    if (!listed.ok) return manifestFailure(listed, `listing the ReplicaSets of ${target.manifestName}`, scope.label);
    const picked = pickRevision(revisionsOf(ownedBy(deployment, listed.value)), back);
    if (!picked.ok) return failed(`${scope.label}: nothing to roll back to: ${picked.message} of ${target.manifestName}; lower numRevisionsBack, or deploy more revisions first`);
    intent = { before: resourceVersionOf(deployment) ?? '', detail: { revision: picked.revision.revision, template: templateForDeployment(picked.revision.replicaSet) } };
    const lost = await saveIntent(input, 'undoRolloutManifest', intent);
    if (lost) return lost;
  }
  const template = objectAt(intent.detail, 'template');
  const revision = intent.detail?.['revision'];
  let object = deployment;
  // Sent once the template differs: an earlier delivery's patch (or the same template already there) leaves nothing to do.
  if (!sameJson(objectAt(objectAt(deployment, 'spec'), 'template'), template)) {
    const patched = await scope.port.patch(target.ref, 'json', [{ op: 'replace', path: '/spec/template', value: template }], { owner: ownerOf(input) });
    if (!patched.ok) return manifestFailure(patched, `rolling ${target.manifestName} back to revision ${String(revision)}`, scope.label);
    object = patched.value;
  }
  const outputs = { ...operationOutputs(scope, target.manifestName, [object]), revision: typeof revision === 'number' ? revision : null };
  return succeeded(outputs as JsonObject, { context: outputs as JsonObject });
}
