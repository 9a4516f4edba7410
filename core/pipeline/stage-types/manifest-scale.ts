/**
 * `scaleManifest` (Orca's ScaleManifestStage): set `spec.replicas` of a Deployment, ReplicaSet or
 * StatefulSet through its `/scale` subresource, chosen by name or dynamically, then wait until it
 * is stable (reference/cloud-targets.md §6.2, §6.3). `replicas` may be a string ("0"), as Deck
 * writes it. The runtime is core/stages/manifest-scale.ts.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { numberOrExpression, type Expression } from '../fields.ts';
import { defineStageType } from './definition.ts';
import {
  MANIFEST_ACTION_MAX_POLLS,
  MANIFEST_STABLE_MAX_POLLS,
  checkManifestTarget,
  manifestTargetFields,
  type ManifestTargetConfig,
} from './manifest-target.ts';

export interface ScaleManifestConfig extends ManifestTargetConfig {
  readonly replicas: number | Expression;
}

export type ScaleManifestStage = StageBase<'scaleManifest', ScaleManifestConfig>;

const schema: z.ZodType<ScaleManifestConfig> = z.looseObject({
  ...manifestTargetFields,
  replicas: numberOrExpression('a number of replicas', { min: 0, integer: true }),
});

export const scaleManifestStageType = defineStageType({
  type: 'scaleManifest',
  description: 'Scales a Kubernetes workload and waits until it is stable.',
  schema,
  expressionFields: ['manifestName', 'location', 'cluster', 'replicas'],
  plan: () => [
    { name: 'resolveTargetManifest', kind: 'run' },
    { name: 'scaleManifest', kind: 'poll', maxPolls: MANIFEST_ACTION_MAX_POLLS },
    { name: 'waitForManifestToStabilize', kind: 'poll', maxPolls: MANIFEST_STABLE_MAX_POLLS },
  ],
  check: (config) => checkManifestTarget(config),
});
