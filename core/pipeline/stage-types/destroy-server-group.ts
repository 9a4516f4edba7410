/**
 * `destroyServerGroup`: delete a server group. As in Orca, it is disabled first so traffic
 * drains and traffic guards are checked before anything is deleted.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { defineStageType } from './definition.ts';
import type { ServerGroupTargetConfig } from './server-group-target.ts';
import { checkServerGroupTarget, serverGroupTargetFields } from './server-group-target.ts';

export type DestroyServerGroupConfig = ServerGroupTargetConfig;

export type DestroyServerGroupStage = StageBase<'destroyServerGroup', DestroyServerGroupConfig>;

const schema: z.ZodType<DestroyServerGroupConfig> = z.looseObject(serverGroupTargetFields);

export const destroyServerGroupStageType = defineStageType({
  type: 'destroyServerGroup',
  description: 'Disables, then deletes a server group.',
  schema,
  expressionFields: ['cluster', 'serverGroupName'],
  plan: () => [
    { name: 'disableServerGroup', kind: 'run' },
    { name: 'waitForDisabledServerGroup', kind: 'poll' },
    { name: 'destroyServerGroup', kind: 'run' },
    { name: 'waitForDestroyedServerGroup', kind: 'poll' },
  ],
  check: (config) => checkServerGroupTarget(config),
});
