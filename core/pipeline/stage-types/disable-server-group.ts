/** `disableServerGroup`: take a server group out of traffic (and autoscaling); traffic guards apply. */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { optional, plainNumber } from '../fields.ts';
import { defineStageType } from './definition.ts';
import type { ServerGroupTargetConfig } from './server-group-target.ts';
import { checkServerGroupTarget, serverGroupTargetFields } from './server-group-target.ts';

export interface DisableServerGroupConfig extends ServerGroupTargetConfig {
  /** Rolling red/black disables a percentage of the instances; absent = all. */
  readonly desiredPercentage?: number;
}

export type DisableServerGroupStage = StageBase<'disableServerGroup', DisableServerGroupConfig>;

const schema: z.ZodType<DisableServerGroupConfig> = z.looseObject({
  ...serverGroupTargetFields,
  desiredPercentage: optional(plainNumber('a percentage', { min: 0, max: 100 })),
});

export const disableServerGroupStageType = defineStageType({
  type: 'disableServerGroup',
  description: 'Takes a server group out of traffic.',
  schema,
  expressionFields: ['cluster', 'serverGroupName'],
  plan: () => [
    { name: 'disableServerGroup', kind: 'run' },
    { name: 'waitForDisabledServerGroup', kind: 'poll' },
  ],
  check: (config) => checkServerGroupTarget(config),
});
