/** `disableCluster`: disable all but the newest (or largest) N enabled server groups of a cluster. */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { flag, plainNumber, withDefault } from '../fields.ts';
import { defineStageType } from './definition.ts';
import type { ClusterLocation } from './server-group-target.ts';
import { checkRegions, clusterLocationFields } from './server-group-target.ts';

export interface DisableClusterConfig extends ClusterLocation {
  readonly remainingEnabledServerGroups: number;
  readonly preferLargerOverNewer: boolean;
}

export type DisableClusterStage = StageBase<'disableCluster', DisableClusterConfig>;

const schema: z.ZodType<DisableClusterConfig> = z.looseObject({
  ...clusterLocationFields,
  remainingEnabledServerGroups: withDefault(plainNumber('a number of server groups', { min: 0, integer: true }), 1),
  preferLargerOverNewer: withDefault(flag(), false),
});

export const disableClusterStageType = defineStageType({
  type: 'disableCluster',
  description: 'Disables all but N server groups of a cluster.',
  schema,
  expressionFields: ['cluster'],
  // Same task as the disable step of a red/black deploy.
  plan: () => [{ name: 'disableCluster', kind: 'poll' }],
  check: (config) => checkRegions(config),
});
