/** `enableServerGroup`: put a server group back into traffic and wait until its instances are up. */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { defineStageType } from './definition.ts';
import type { ServerGroupTargetConfig } from './server-group-target.ts';
import { checkServerGroupTarget, serverGroupTargetFields } from './server-group-target.ts';

export type EnableServerGroupConfig = ServerGroupTargetConfig;

export type EnableServerGroupStage = StageBase<'enableServerGroup', EnableServerGroupConfig>;

const schema: z.ZodType<EnableServerGroupConfig> = z.looseObject(serverGroupTargetFields);

export const enableServerGroupStageType = defineStageType({
  type: 'enableServerGroup',
  description: 'Puts a server group back into traffic.',
  schema,
  expressionFields: ['cluster', 'serverGroupName'],
  plan: () => [
    { name: 'enableServerGroup', kind: 'run' },
    { name: 'waitForUpInstances', kind: 'poll' },
  ],
  check: (config) => checkServerGroupTarget(config),
});
