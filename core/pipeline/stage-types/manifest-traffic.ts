/**
 * `enableManifest` / `disableManifest` (Orca's EnableManifestStage, DisableManifestStage): give a
 * workload traffic, or take it away, by adding or removing each of its Services' selector labels
 * on the pod template and then on every pod it owns (clouddriver's
 * AbstractKubernetesEnableDisableManifestOperation); the Service itself is never changed. The
 * Services come from the workload's `traffic.spinnaker.io/load-balancers` annotation. Chosen by
 * name or dynamically; waits until the workload is stable. The runtime is
 * core/stages/manifest-traffic.ts.
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

export type ManifestTrafficConfig = ManifestTargetConfig;

export type EnableManifestStage = StageBase<'enableManifest', ManifestTrafficConfig>;
export type DisableManifestStage = StageBase<'disableManifest', ManifestTrafficConfig>;

const schema: z.ZodType<ManifestTrafficConfig> = z.looseObject({ ...manifestTargetFields });

function trafficStageType<T extends 'enableManifest' | 'disableManifest'>(type: T, description: string) {
  return defineStageType({
    type,
    description,
    schema,
    expressionFields: ['manifestName', 'location', 'cluster'],
    plan: () => [
      { name: 'resolveTargetManifest', kind: 'run' },
      { name: type, kind: 'poll', maxPolls: MANIFEST_ACTION_MAX_POLLS },
      { name: 'waitForManifestToStabilize', kind: 'poll', maxPolls: MANIFEST_STABLE_MAX_POLLS },
    ],
    check: (config: ManifestTrafficConfig) => checkManifestTarget(config),
  });
}

export const enableManifestStageType = trafficStageType('enableManifest', "Sends a Kubernetes workload its Services' traffic (adds their selector labels to its pods).");
export const disableManifestStageType = trafficStageType('disableManifest', "Takes a Kubernetes workload out of its Services (removes their selector labels from its pods).");
