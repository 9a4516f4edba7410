/**
 * `rollbackServerGroup` (the UI's "Rollback"): EXPLICIT enables `restoreServerGroupName` and
 * disables `rollbackServerGroupName`; PREVIOUS_IMAGE redeploys the image the server group ran
 * before (Orca's RollbackServerGroupStage).
 */
import { z } from 'zod';
import type { StageBase, TaskStep } from '../model.ts';
import type { Expression } from '../fields.ts';
import { anyText, flag, numberOrExpression, oneOf, optional, plainNumber, text, textList, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error } from './definition.ts';
import { checkRegions } from './server-group-target.ts';

/** Orca also has TEST, an internal rollback used to exercise the machinery; it is not offered here. */
export const ROLLBACK_TYPES = ['EXPLICIT', 'PREVIOUS_IMAGE'] as const;
export type RollbackType = (typeof ROLLBACK_TYPES)[number];

export interface RollbackServerGroupConfig {
  readonly cloudProvider?: string;
  readonly credentials: string;
  readonly regions: readonly string[];
  readonly region?: string;
  readonly zones: readonly string[];
  readonly rollbackType: RollbackType;
  readonly rollbackContext: {
    readonly rollbackServerGroupName?: string;
    readonly restoreServerGroupName?: string;
    readonly targetHealthyRollbackPercentage?: number;
    readonly delayBeforeDisableSeconds?: number | Expression;
    readonly disableOnly: boolean;
    readonly enableAndDisableOnly: boolean;
  };
}

export type RollbackServerGroupStage = StageBase<'rollbackServerGroup', RollbackServerGroupConfig>;

const schema: z.ZodType<RollbackServerGroupConfig> = z.looseObject({
  cloudProvider: optional(anyText('the cloud provider')),
  credentials: text('the account to act in'),
  regions: withDefault(textList('regions'), []),
  region: optional(anyText('a region')),
  zones: withDefault(textList('zones'), []),
  rollbackType: withDefault(oneOf(ROLLBACK_TYPES, 'the rollback type'), 'EXPLICIT'),
  rollbackContext: withDefault(
    z.looseObject({
      rollbackServerGroupName: optional(text("the server group to roll back, e.g. 'hello-prod-v004'")),
      restoreServerGroupName: optional(text("the server group to restore, e.g. 'hello-prod-v003'")),
      targetHealthyRollbackPercentage: optional(plainNumber('a percentage', { min: 0, max: 100 })),
      delayBeforeDisableSeconds: optional(numberOrExpression('a number of seconds', { min: 0 })),
      disableOnly: withDefault(flag(), false),
      enableAndDisableOnly: withDefault(flag(), false),
    }),
    {},
  ),
});

function plan(config: RollbackServerGroupConfig): TaskStep[] {
  switch (config.rollbackType) {
    case 'EXPLICIT':
      return [
        { name: 'enableRestoreServerGroup', kind: 'poll' },
        { name: 'disableRollbackServerGroup', kind: 'poll' },
      ];
    case 'PREVIOUS_IMAGE':
      return [{ name: 'deployPreviousImage', kind: 'poll' }];
    default: {
      const unreachable: never = config.rollbackType;
      return unreachable;
    }
  }
}

export const rollbackServerGroupStageType = defineStageType({
  type: 'rollbackServerGroup',
  description: 'Rolls a server group back: enable the previous one and disable it, or redeploy the previous image.',
  schema,
  expressionFields: ['rollbackContext'],
  plan: (stage) => plan(stage.config),
  check: (config) => {
    const issues: ConfigIssue[] = checkRegions(config);
    if (config.rollbackType === 'EXPLICIT') {
      if (config.rollbackContext.rollbackServerGroupName === undefined) {
        issues.push(error(['rollbackContext', 'rollbackServerGroupName'], 'required', "'rollbackServerGroupName' is required for an EXPLICIT rollback; add the server group to roll back, e.g. 'hello-prod-v004'"));
      }
      if (config.rollbackContext.restoreServerGroupName === undefined) {
        issues.push(error(['rollbackContext', 'restoreServerGroupName'], 'required', "'restoreServerGroupName' is required for an EXPLICIT rollback; add the server group to restore, e.g. 'hello-prod-v003'"));
      }
    }
    return issues;
  },
});
