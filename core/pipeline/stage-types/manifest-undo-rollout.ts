/**
 * `undoRolloutManifest` (Orca's UndoRolloutManifestStage): roll a Deployment back
 * `numRevisionsBack` revisions (default 1), picking revision `n - numRevisionsBack - 1` of its
 * sorted history as clouddriver does, then wait until it is stable. There is no REST endpoint for
 * `kubectl rollout undo`: the runtime (core/stages/manifest-undo-rollout.ts) does it client-side.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { numberOrExpression, withDefault, type Expression } from '../fields.ts';
import { defineStageType } from './definition.ts';
import {
  MANIFEST_ACTION_MAX_POLLS,
  MANIFEST_STABLE_MAX_POLLS,
  checkManifestTarget,
  manifestTargetFields,
  type ManifestTargetConfig,
} from './manifest-target.ts';

export interface UndoRolloutManifestConfig extends ManifestTargetConfig {
  /** @default 1 */
  readonly numRevisionsBack: number | Expression;
}

export type UndoRolloutManifestStage = StageBase<'undoRolloutManifest', UndoRolloutManifestConfig>;

const schema: z.ZodType<UndoRolloutManifestConfig> = z.looseObject({
  ...manifestTargetFields,
  numRevisionsBack: withDefault(numberOrExpression('a number of revisions', { min: 1, integer: true }), 1),
});

export const undoRolloutManifestStageType = defineStageType({
  type: 'undoRolloutManifest',
  description: 'Rolls a Kubernetes Deployment back to an earlier revision and waits until it is stable.',
  schema,
  expressionFields: ['manifestName', 'location', 'numRevisionsBack'],
  plan: () => [
    { name: 'undoRolloutManifest', kind: 'poll', maxPolls: MANIFEST_ACTION_MAX_POLLS },
    { name: 'waitForManifestToStabilize', kind: 'poll', maxPolls: MANIFEST_STABLE_MAX_POLLS },
  ],
  // Orca resolves no dynamic target for this stage: the Deployment is named.
  check: (config) => checkManifestTarget(config, { dynamic: false }),
});
