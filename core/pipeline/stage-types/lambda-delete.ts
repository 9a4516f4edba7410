/**
 * `Aws.LambdaDeleteStage` (Orca's LambdaDeleteStage, also `lambdaDelete`): delete the whole
 * function (`$ALL`) or published versions chosen by Orca's selectors — `$LATEST` (the newest
 * published version), `$PREVIOUS`, `$OLDEST`, `$PROVIDED` (`versionNumber`), `$MOVING` (all but
 * the newest `retentionNumber`) or a version number. Nothing to delete succeeds, as in Orca. The
 * runtime is core/stages/lambda-delete.ts.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, isTemplate, numberOrExpression, optional, text } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { error } from './definition.ts';
import type { LambdaLocation, NumberField } from './lambda-common.ts';
import { checkLambdaLocation, defineAliasedStageTypes, lambdaLocationFields, versionSelectorProblem } from './lambda-common.ts';
import { LAMBDA_MAX_POLLS } from './lambda-deployment.ts';

export const LAMBDA_DELETE_TYPES = ['Aws.LambdaDeleteStage', 'lambdaDelete'] as const;
export type LambdaDeleteType = (typeof LAMBDA_DELETE_TYPES)[number];

export interface LambdaDeleteConfig extends LambdaLocation {
  /** `$ALL`, a selector, or a version number. */
  readonly version: string;
  readonly versionNumber?: string;
  /** `$MOVING`: how many of the newest versions stay. */
  readonly retentionNumber?: NumberField;
}

/** One stage per name, so `type` tells them apart like any other stage type. */
export type LambdaDeleteStage = { [T in LambdaDeleteType]: StageBase<T, LambdaDeleteConfig> }[LambdaDeleteType];

const schema: z.ZodType<LambdaDeleteConfig> = z.looseObject({
  ...lambdaLocationFields,
  version: z.union([text('what to delete: $ALL, a selector such as $PREVIOUS, or a version number'), z.number().int().min(1).transform(String)]),
  versionNumber: optional(z.union([anyText('a version number'), z.number().int().min(1).transform(String)])),
  retentionNumber: optional(numberOrExpression('a number of versions to keep', { min: 0, integer: true })),
});

function check(config: LambdaDeleteConfig): ConfigIssue[] {
  const issues = checkLambdaLocation(config);
  const version = config.version.trim();
  if (version === '$ALL') return issues;
  const problem = versionSelectorProblem(version, 'version', true, true);
  if (problem) return [...issues, error(['version'], 'invalid-value', `${problem}, or $ALL for the whole function`, version)];
  const number = config.versionNumber?.trim();
  if (version === '$PROVIDED' && (number === undefined || number === '' || (!isTemplate(number) && !/^[0-9]+$/.test(number)))) {
    issues.push(error(['versionNumber'], 'required', `versionNumber is ${number === undefined ? 'missing' : `'${number}'`}; $PROVIDED needs the version number to delete, e.g. "3"`));
  }
  if (version === '$MOVING' && config.retentionNumber === undefined) {
    issues.push(error(['retentionNumber'], 'required', "'retentionNumber' is required for $MOVING; add how many of the newest versions to keep, e.g. 2"));
  }
  return issues;
}

export const lambdaDeleteStageTypes = defineAliasedStageTypes(LAMBDA_DELETE_TYPES, {
  description: 'Deletes a Lambda function, or some of its published versions.',
  schema,
  expressionFields: ['functionName', 'version', 'versionNumber'],
  plan: () => [
    { name: 'lambdaDeleteTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaDeleteVerificationTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
  ],
  check,
});
