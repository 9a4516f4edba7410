/** `scaleDownCluster`: scale all but N server groups of a cluster to zero instances (kept for rollback). */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { flag, plainNumber, withDefault } from '../fields.ts';
import { defineStageType } from './definition.ts';
import type { ClusterLocation } from './server-group-target.ts';
import { checkRegions, clusterLocationFields } from './server-group-target.ts';

export interface ScaleDownClusterConfig extends ClusterLocation {
  readonly remainingFullSizeServerGroups: number;
  readonly preferLargerOverNewer: boolean;
  /** Also scale down server groups still taking traffic. */
  readonly allowScaleDownActive: boolean;
}

export type ScaleDownClusterStage = StageBase<'scaleDownCluster', ScaleDownClusterConfig>;

const schema: z.ZodType<ScaleDownClusterConfig> = z.looseObject({
  ...clusterLocationFields,
  remainingFullSizeServerGroups: withDefault(plainNumber('a number of server groups', { min: 0, integer: true }), 1),
  preferLargerOverNewer: withDefault(flag(), false),
  allowScaleDownActive: withDefault(flag(), false),
});

export const scaleDownClusterStageType = defineStageType({
  type: 'scaleDownCluster',
  description: 'Scales all but N server groups of a cluster to zero.',
  schema,
  expressionFields: ['cluster'],
  // Same task as the scale-down step of a red/black deploy.
  plan: () => [{ name: 'scaleDownCluster', kind: 'poll' }],
  check: (config) => checkRegions(config),
});
