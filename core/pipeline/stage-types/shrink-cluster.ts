/** `shrinkCluster`: destroy all but the newest (or largest) N server groups of a cluster. */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { flag, plainNumber, withDefault } from '../fields.ts';
import { defineStageType } from './definition.ts';
import type { ClusterLocation } from './server-group-target.ts';
import { checkRegions, clusterLocationFields } from './server-group-target.ts';

export interface ShrinkClusterConfig extends ClusterLocation {
  readonly shrinkToSize: number;
  /** Also destroy server groups still taking traffic. */
  readonly allowDeleteActive: boolean;
  readonly retainLargerOverNewer: boolean;
}

export type ShrinkClusterStage = StageBase<'shrinkCluster', ShrinkClusterConfig>;

const schema: z.ZodType<ShrinkClusterConfig> = z.looseObject({
  ...clusterLocationFields,
  shrinkToSize: withDefault(plainNumber('a number of server groups', { min: 0, integer: true }), 1),
  allowDeleteActive: withDefault(flag(), false),
  retainLargerOverNewer: withDefault(flag(), false),
});

export const shrinkClusterStageType = defineStageType({
  type: 'shrinkCluster',
  description: 'Destroys all but N server groups of a cluster.',
  schema,
  expressionFields: ['cluster'],
  // Same task as the shrink step of red/black and highlander deploys.
  plan: () => [{ name: 'shrinkCluster', kind: 'poll' }],
  check: (config) => checkRegions(config),
});
