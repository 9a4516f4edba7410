/**
 * The tasks of `patchManifest` (core/pipeline/stage-types/manifest-patch.ts):
 *
 * 1. resolvePatchSourceManifest (Orca's ResolvePatchSourceManifestTask): the patch body, from
 *    `patchBody` or from the artifact `manifestArtifactId` names (bound in this execution) or
 *    `manifestArtifact` (inline), as YAML or JSON; saved in the context as `manifests`.
 * 2. patchManifest: one `PATCH` of the object with the stage's merge strategy. A patch is not
 *    idempotent in general (a JSON patch `add` to a list appends twice), so the intent is saved
 *    first with the object's content fingerprint (status aside: controllers rewrite it at every
 *    step of a rollout), and a delivery that finds the content moved past it takes the patch as
 *    done. With `options.record` the change cause is recorded in the
 *    `kubernetes.io/change-cause` annotation, as `kubectl patch --record` did.
 */
import { readYamlText } from '../expressions/yaml-reader.ts';
import { patchBodyProblems, patchEntries, type PatchManifestStage, type PatchMergeStrategy } from '../pipeline/stage-types/index.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { PatchType } from '../ports/manifests.ts';
import { contentFingerprint, intentLanded, intentOf, liveTarget, manifestFailure, operationOutputs, ownerOf, saveIntent, type ManifestTaskDeps } from './manifest-common.ts';
import { manifestArtifactText, type ArtifactTaskDeps } from './manifest-source.ts';
import { failed, objectAt, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The annotation `kubectl --record` writes. */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

/** The patch types of the port by Spinnaker's merge strategy. */
const PATCH_TYPES: Record<PatchMergeStrategy, PatchType> = { strategic: 'strategic', merge: 'merge', json: 'json' };

/** What the patch tasks need beyond the cluster: a reader of artifact content, for `source: artifact`. */
export type PatchTaskDeps = ManifestTaskDeps & ArtifactTaskDeps;

/** Runs one task of a patchManifest stage. */
export function runPatchManifestTask(input: TaskInput<PatchManifestStage>, deps: PatchTaskDeps): Promise<TaskResult> {
  switch (input.task) {
    case 'resolvePatchSourceManifest':
      return resolvePatchSource(input, deps);
    case 'patchManifest':
      return patchTask(input, deps);
    default:
      return Promise.resolve(failed(`stage '${input.stage.name}' (patchManifest) has no task '${input.task}'`));
  }
}

function strategyOf(context: JsonObject): PatchMergeStrategy {
  const strategy = objectAt(context, 'options')['mergeStrategy'];
  return strategy === 'json' || strategy === 'merge' ? strategy : 'strategic';
}

async function resolvePatchSource(input: TaskInput<PatchManifestStage>, deps: PatchTaskDeps): Promise<TaskResult> {
  const context = input.record.context;
  const label = `stage '${input.stage.name}'`;
  const strategy = strategyOf(context);
  let body: unknown = context.patchBody;
  if (context.source === 'artifact') {
    const read = await manifestArtifactText(input, deps, label, 'patch');
    if (!read.ok) return read.result;
    const parsed = readYamlText(read.text, true);
    if (!parsed.ok) return failed(`${label}: the patch artifact ${read.what} is not YAML or JSON (${parsed.message}); fix its content`);
    const documents = (parsed.value as unknown[]).filter((document) => document !== null && document !== undefined);
    // A JSON patch is one document holding the list of operations.
    body = strategy === 'json' && documents.length === 1 && Array.isArray(documents[0]) ? documents[0] : documents;
  }
  const problems = patchBodyProblems(body, strategy);
  if (problems.length > 0) return failed(`${label}: ${problems[0]}`);
  const entries = patchEntries(body);
  if (!entries.ok) return failed(`${label}: ${entries.message}`);
  return succeeded(undefined, { context: { manifests: entries.entries as JsonObject[] } });
}

async function patchTask(input: TaskInput<PatchManifestStage>, deps: PatchTaskDeps): Promise<TaskResult> {
  const context = input.record.context;
  const strategy = strategyOf(context);
  const entries = Array.isArray(context.manifests) ? context.manifests : [];
  const body = strategy === 'json' ? entries : entries[0];
  const problems = patchBodyProblems(body, strategy);
  if (problems.length > 0) return failed(`stage '${input.stage.name}': ${problems[0]} (after evaluating expressions)`);
  const found = await liveTarget(input, deps);
  if (!found.ok) return found.result;
  const { scope, target } = found.live;
  let object = found.live.object;
  const intent = intentOf(input, 'patchManifest');
  if (!intentLanded(intent, object)) {
    const lost = await saveIntent(input, 'patchManifest', { before: contentFingerprint(object) });
    if (lost) return lost;
    const patched = await scope.port.patch(target.ref, PATCH_TYPES[strategy], body, { owner: ownerOf(input) });
    if (!patched.ok) return manifestFailure(patched, `patching ${target.manifestName} (${strategy} patch)`, scope.label);
    object = patched.value;
  }
  if (objectAt(context, 'options')['record'] !== false) {
    const cause = `patchManifest stage '${input.stage.name}' of execution ${input.execution.id}: ${strategy} patch`;
    const annotations = objectAt(objectAt(object, 'metadata'), 'annotations');
    if (annotations[CHANGE_CAUSE_ANNOTATION] !== cause) {
      const recorded = await scope.port.patch(target.ref, 'merge', { metadata: { annotations: { [CHANGE_CAUSE_ANNOTATION]: cause } } }, { owner: ownerOf(input) });
      if (!recorded.ok) return manifestFailure(recorded, `recording the change cause on ${target.manifestName}`, scope.label);
      object = recorded.value;
    }
  }
  const outputs = operationOutputs(scope, target.manifestName, [object]);
  return succeeded(outputs, { context: outputs });
}
