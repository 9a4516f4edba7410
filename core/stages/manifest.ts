/**
 * Spinnaker's Kubernetes stages (reference/cloud-targets.md §6): deployManifest, deleteManifest
 * and those that act on live objects; one entry for the stage runner, dispatching by task to the
 * shared ones (resolveTargetManifest, waitForManifestToStabilize) and by stage type to the rest. Kubernetes' Run Job
 * (`runJobManifest`, and `runJob` with `cloudProvider: kubernetes`) dispatches here too.
 */
import { GennakerError } from '../errors.ts';
import type { ManifestOperationStage, ManifestStage, RunJobManifestStage, RunJobStage } from '../pipeline/stage-types/index.ts';
import { runFindArtifactsFromResource } from './find-artifacts-from-resource.ts';
import { runDeleteManifestTask } from './manifest-delete.ts';
import { runDeployManifestTask } from './manifest-deploy.ts';
import { runPatchManifestTask, type PatchTaskDeps } from './manifest-patch.ts';
import { runManifestRollout } from './manifest-rollout.ts';
import { runScaleManifest } from './manifest-scale.ts';
import { runResolveTargetManifest, runWaitForManifestStable } from './manifest-target.ts';
import { runManifestTraffic } from './manifest-traffic.ts';
import { runUndoRolloutManifest } from './manifest-undo-rollout.ts';
import { runJobManifestTask } from './run-job-manifest.ts';
import type { TaskInput, TaskResult } from './task-result.ts';

/** What the manifest tasks need: the targets (and accounts, for messages), and artifact content for `source: artifact`. */
export type ManifestStageDeps = PatchTaskDeps;

/** Runs one task of a manifest stage. */
export function runManifestTask(input: TaskInput<ManifestOperationStage | ManifestStage | RunJobManifestStage | RunJobStage>, deps: ManifestStageDeps): Promise<TaskResult> {
  if (input.task === 'resolveTargetManifest') return runResolveTargetManifest(input, deps);
  if (input.task === 'waitForManifestToStabilize') return runWaitForManifestStable(input, deps);
  const stage = input.stage;
  switch (stage.type) {
    case 'scaleManifest':
      return runScaleManifest(input as TaskInput<typeof stage>, deps);
    case 'patchManifest':
      return runPatchManifestTask(input as TaskInput<typeof stage>, deps);
    case 'undoRolloutManifest':
      return runUndoRolloutManifest(input as TaskInput<typeof stage>, deps);
    case 'enableManifest':
    case 'disableManifest':
      return runManifestTraffic(input as TaskInput<typeof stage>, deps);
    case 'findArtifactsFromResource':
      return runFindArtifactsFromResource(input as TaskInput<typeof stage>, deps);
    case 'rollingRestartManifest':
    case 'pauseRolloutManifest':
    case 'resumeRolloutManifest':
      return runManifestRollout(input as TaskInput<typeof stage>, deps);
    case 'runJobManifest':
    case 'runJob':
      return runJobManifestTask(input as TaskInput<typeof stage>, deps);
    case 'deployManifest':
      return runDeployManifestTask(input as TaskInput<typeof stage>, deps);
    case 'deleteManifest':
      return runDeleteManifestTask(input as TaskInput<typeof stage>, deps);
    default: {
      const unknown: never = stage;
      throw new GennakerError('Gennaker.InvariantViolated', `not a manifest stage: ${JSON.stringify((unknown as { type: string }).type)}`);
    }
  }
}
