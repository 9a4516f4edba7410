/**
 * `rollbackCluster`: in each region, roll the cluster back to its previous server group (enable
 * it, disable the newest), region after region (Orca's RollbackClusterStage).
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import type { Expression } from '../fields.ts';
import { numberOrExpression, optional, plainNumber } from '../fields.ts';
import { defineStageType } from './definition.ts';
import type { ClusterLocation } from './server-group-target.ts';
import { checkRegions, clusterLocationFields } from './server-group-target.ts';

export interface RollbackClusterConfig extends ClusterLocation {
  /** Seconds between regions. */
  readonly waitTimeBetweenRegions?: number | Expression;
  /** Percentage of the restored server group that must be healthy before the newest is disabled. */
  readonly targetHealthyRollbackPercentage?: number;
}

export type RollbackClusterStage = StageBase<'rollbackCluster', RollbackClusterConfig>;

const schema: z.ZodType<RollbackClusterConfig> = z.looseObject({
  ...clusterLocationFields,
  waitTimeBetweenRegions: optional(numberOrExpression('a number of seconds', { min: 0 })),
  targetHealthyRollbackPercentage: optional(plainNumber('a percentage', { min: 0, max: 100 })),
});

export const rollbackClusterStageType = defineStageType({
  type: 'rollbackCluster',
  description: 'Rolls a cluster back to its previous server group, region by region.',
  schema,
  expressionFields: ['cluster'],
  plan: () => [{ name: 'rollbackCluster', kind: 'poll' }],
  check: (config) => checkRegions(config),
});
