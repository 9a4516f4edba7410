/**
 * The tasks of `rollingRestartManifest`, `pauseRolloutManifest` and `resumeRolloutManifest`, as
 * `kubectl rollout restart|pause|resume` send them:
 *
 * - restart: a strategic merge patch setting the pod template annotation
 *   `kubectl.kubernetes.io/restartedAt` (Deployment, StatefulSet, DaemonSet). The timestamp is
 *   saved before the patch and reused by every delivery, so a duplicate sends the same value and
 *   restarts nothing twice.
 * - pause / resume: a merge patch of `spec.paused` (Deployment), sent only when it differs, by the
 *   one delivery that claimed the step.
 */
import type { PauseRolloutManifestStage, ResumeRolloutManifestStage, RollingRestartManifestStage } from '../pipeline/stage-types/index.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { claimStep, intentOf, liveTarget, manifestFailure, operationOutputs, ownerOf, resourceVersionOf, saveIntent, type ManifestTaskDeps } from './manifest-common.ts';
import { objectAt, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** clouddriver's CanRollingRestart handlers. */
export const RESTARTABLE_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

/** Kinds whose rollout pauses (kubectl's ObjectPauser). */
export const PAUSABLE_KINDS = ['Deployment'] as const;

type RolloutStage = RollingRestartManifestStage | PauseRolloutManifestStage | ResumeRolloutManifestStage;

/** RFC 3339 to the second, as kubectl writes restartedAt. */
function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Runs the task of a rollout stage. */
export async function runManifestRollout(input: TaskInput<RolloutStage>, deps: ManifestTaskDeps): Promise<TaskResult> {
  const restart = input.stage.type === 'rollingRestartManifest';
  const what = restart ? 'restarted' : input.stage.type === 'pauseRolloutManifest' ? 'paused' : 'resumed';
  const found = await liveTarget(input, deps, { kinds: restart ? RESTARTABLE_KINDS : PAUSABLE_KINDS, what });
  if (!found.ok) return found.result;
  const { scope, target } = found.live;
  let object = found.live.object;
  const owner = ownerOf(input);

  if (restart) {
    let intent = intentOf(input, 'rollingRestartManifest');
    if (intent === undefined) {
      intent = { before: resourceVersionOf(object) ?? '', detail: { restartedAt: rfc3339(input.now) } };
      const lost = await saveIntent(input, 'rollingRestartManifest', intent);
      if (lost) return lost;
    }
    const restartedAt = String(intent.detail?.['restartedAt'] ?? rfc3339(input.now));
    const current = objectAt(objectAt(objectAt(objectAt(object, 'spec'), 'template'), 'metadata'), 'annotations')[RESTARTED_AT_ANNOTATION];
    if (current !== restartedAt) {
      const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } };
      const patched = await scope.port.patch(target.ref, 'strategic', patch, { owner });
      if (!patched.ok) return manifestFailure(patched, `restarting ${target.manifestName}`, scope.label);
      object = patched.value;
    }
  } else {
    const paused = input.stage.type === 'pauseRolloutManifest';
    if ((objectAt(object, 'spec')['paused'] === true) !== paused) {
      const lost = await claimStep(input, input.stage.type, object);
      if (lost) return lost;
      const patched = await scope.port.patch(target.ref, 'merge', { spec: { paused } }, { owner });
      if (!patched.ok) return manifestFailure(patched, `${paused ? 'pausing' : 'resuming'} the rollout of ${target.manifestName}`, scope.label);
      object = patched.value;
    }
  }
  const outputs: JsonObject = operationOutputs(scope, target.manifestName, [object]);
  return succeeded(outputs, { context: outputs });
}
