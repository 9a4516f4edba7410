/**
 * `findArtifactsFromResource` (Orca's FindArtifactsFromResourceStage; the Java constant says
 * `findArtifactFromResource`, the registered type is this one): read a live object and output the
 * artifacts Spinnaker derives from it — a `docker/image` per container image, a
 * `kubernetes/configMap` or `kubernetes/secret` per one it references — in `outputs.artifacts`,
 * with the object itself in `outputs.manifest`. The runtime is
 * core/stages/find-artifacts-from-resource.ts.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { defineStageType } from './definition.ts';
import { checkManifestTarget, manifestTargetFields, type ManifestTargetConfig } from './manifest-target.ts';

export type FindArtifactsFromResourceConfig = ManifestTargetConfig;

export type FindArtifactsFromResourceStage = StageBase<'findArtifactsFromResource', FindArtifactsFromResourceConfig>;

const schema: z.ZodType<FindArtifactsFromResourceConfig> = z.looseObject({ ...manifestTargetFields });

export const findArtifactsFromResourceStageType = defineStageType({
  type: 'findArtifactsFromResource',
  description: 'Outputs the artifacts (images, ConfigMaps, Secrets) a live Kubernetes object uses.',
  schema,
  expressionFields: ['manifestName', 'location', 'cluster'],
  plan: () => [
    { name: 'resolveTargetManifest', kind: 'run' },
    { name: 'findArtifactsFromResource', kind: 'run' },
  ],
  check: (config) => checkManifestTarget(config),
});
