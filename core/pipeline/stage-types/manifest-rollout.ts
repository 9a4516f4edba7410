/**
 * `rollingRestartManifest`, `pauseRolloutManifest` and `resumeRolloutManifest` (Orca's stages of
 * those names): `kubectl rollout restart|pause|resume` on a named workload. Only resuming waits
 * until the workload is stable, as in Orca. The runtime is core/stages/manifest-rollout.ts.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { defineStageType } from './definition.ts';
import {
  MANIFEST_ACTION_MAX_POLLS,
  MANIFEST_STABLE_MAX_POLLS,
  checkManifestTarget,
  manifestTargetFields,
  type ManifestTargetConfig,
} from './manifest-target.ts';

export type ManifestRolloutConfig = ManifestTargetConfig;

export type RollingRestartManifestStage = StageBase<'rollingRestartManifest', ManifestRolloutConfig>;
export type PauseRolloutManifestStage = StageBase<'pauseRolloutManifest', ManifestRolloutConfig>;
export type ResumeRolloutManifestStage = StageBase<'resumeRolloutManifest', ManifestRolloutConfig>;

const schema: z.ZodType<ManifestRolloutConfig> = z.looseObject({ ...manifestTargetFields });

function rolloutStageType<T extends 'rollingRestartManifest' | 'pauseRolloutManifest' | 'resumeRolloutManifest'>(type: T, description: string, waits: boolean) {
  return defineStageType({
    type,
    description,
    schema,
    expressionFields: ['manifestName', 'location'],
    plan: () => [
      { name: type, kind: 'poll' as const, maxPolls: MANIFEST_ACTION_MAX_POLLS },
      ...(waits ? [{ name: 'waitForManifestToStabilize', kind: 'poll' as const, maxPolls: MANIFEST_STABLE_MAX_POLLS }] : []),
    ],
    check: (config: ManifestRolloutConfig) => checkManifestTarget(config, { dynamic: false }),
  });
}

export const rollingRestartManifestStageType = rolloutStageType('rollingRestartManifest', "Restarts a Kubernetes workload's pods by a rolling update.", false);
export const pauseRolloutManifestStageType = rolloutStageType('pauseRolloutManifest', "Pauses a Kubernetes Deployment's rollout.", false);
export const resumeRolloutManifestStageType = rolloutStageType('resumeRolloutManifest', "Resumes a Kubernetes Deployment's rollout and waits until it is stable.", true);
