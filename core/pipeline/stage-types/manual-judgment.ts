/**
 * `manualJudgment`: pause until someone allowed to judge answers Continue or Stop (Orca's
 * ManualJudgmentStage). Compiled to one callback Task (`waitForTaskToken`) whose timeout is the
 * stage timeout, or Spinnaker's default of 3 days.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, flag, optional, text, textList, withDefault } from '../fields.ts';
import { defineStageType, warning } from './definition.ts';

/** Spinnaker's default manual judgment timeout: 3 days. */
export const DEFAULT_JUDGMENT_TIMEOUT_SECONDS = 3 * 24 * 60 * 60;

export interface ManualJudgmentConfig {
  readonly instructions?: string;
  /** The choices offered to the judge; the chosen one is `#judgment('stage name')`. */
  readonly judgmentInputs: ReadonlyArray<{ readonly value: string }>;
  /** Only these roles may judge (Deck writes `selectedStageRoles`; older configs `requiredJudgmentRoles`). */
  readonly selectedStageRoles: readonly string[];
  readonly requiredJudgmentRoles: readonly string[];
  /** Run downstream stages as the judging user. */
  readonly propagateAuthenticationContext: boolean;
  readonly sendNotifications: boolean;
}

export type ManualJudgmentStage = StageBase<'manualJudgment', ManualJudgmentConfig>;

const schema: z.ZodType<ManualJudgmentConfig> = z.looseObject({
  instructions: optional(anyText('instructions for the judge')),
  judgmentInputs: withDefault(z.array(z.looseObject({ value: text('the choice offered to the judge') })), []),
  selectedStageRoles: withDefault(textList('role names'), []),
  requiredJudgmentRoles: withDefault(textList('role names'), []),
  propagateAuthenticationContext: withDefault(flag(), false),
  sendNotifications: withDefault(flag(), false),
});

export const manualJudgmentStageType = defineStageType({
  type: 'manualJudgment',
  description: 'Pauses until a person allowed to judge chooses Continue or Stop.',
  schema,
  expressionFields: ['instructions'],
  plan: (stage) => [
    {
      name: 'waitForJudgment',
      kind: 'callback',
      timeoutSeconds: stage.stageTimeoutMs === undefined ? DEFAULT_JUDGMENT_TIMEOUT_SECONDS : Math.ceil(stage.stageTimeoutMs / 1000),
    },
  ],
  check: (config) => {
    const seen = new Map<string, number>();
    return config.judgmentInputs.flatMap((input, index) => {
      const first = seen.get(input.value);
      if (first === undefined) {
        seen.set(input.value, index);
        return [];
      }
      return [warning(['judgmentInputs', index, 'value'], 'invalid-value', `judgment input '${input.value}' is offered twice (also at index ${first}); remove the duplicate`)];
    });
  },
});
