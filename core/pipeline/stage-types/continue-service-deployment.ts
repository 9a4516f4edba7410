/**
 * `continueServiceDeployment`: answers an ECS native deployment (BLUE_GREEN, CANARY, LINEAR)
 * that waits at a PAUSE lifecycle hook, the way a person would with ECS's
 * ContinueServiceDeployment: `continue` lets ECS go on to its next lifecycle stage, `rollback`
 * sends traffic back to the previous revision. The deploy stage before it ends once the
 * deployment waits at a hook its cluster entry asked for (`ecsNativeDeployment.pauseAt`), so a
 * manual judgment or a canary analysis between the two decides. The stage waits until ECS moved
 * past the hook (the next pause, or the end) or finished rolling back, in each region named.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { oneOf, optional, text, withDefault } from '../fields.ts';
import { defineStageType } from './definition.ts';
import { checkRegions, clusterLocationFields, type ClusterLocation } from './server-group-target.ts';

export const ROLLOUT_ACTIONS = ['continue', 'rollback'] as const;

export interface ContinueServiceDeploymentConfig extends ClusterLocation {
  /** @default 'continue' */
  readonly action: (typeof ROLLOUT_ACTIONS)[number];
  /** The revision whose deployment waits; @default the cluster's server group whose rollout is paused. */
  readonly serverGroupName?: string;
}

export type ContinueServiceDeploymentStage = StageBase<'continueServiceDeployment', ContinueServiceDeploymentConfig>;

const schema: z.ZodType<ContinueServiceDeploymentConfig> = z.looseObject({
  ...clusterLocationFields,
  action: withDefault(oneOf(ROLLOUT_ACTIONS, 'what to do with the paused deployment'), 'continue'),
  serverGroupName: optional(text("the server group's name, e.g. 'hello-prod-v003'")),
});

export const continueServiceDeploymentStageType = defineStageType({
  type: 'continueServiceDeployment',
  description: 'Continues or rolls back an ECS native deployment waiting at a lifecycle hook.',
  schema,
  expressionFields: ['cluster', 'serverGroupName'],
  plan: () => [
    { name: 'continueServiceDeployment', kind: 'run' },
    { name: 'waitForServiceDeployment', kind: 'poll' },
  ],
  check: (config) => checkRegions(config),
});
