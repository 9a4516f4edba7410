/**
 * `Aws.LambdaInvokeStage` (Orca's LambdaInvokeStage, also `lambdaInvoke`): invoke a function
 * (through an alias, or `$LATEST`) `executionCount` times with a payload and fail when an
 * invocation fails; the answers become the stage's `invokeResultsList`. The runtime is
 * core/stages/lambda-invoke.ts.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, numberOrExpression, optional, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import type { LambdaArtifact, LambdaLocation, NumberField } from './lambda-common.ts';
import { checkArtifact, checkLambdaLocation, defineAliasedStageTypes, lambdaArtifactSchema, lambdaLocationFields } from './lambda-common.ts';
import { LAMBDA_MAX_POLLS } from './lambda-deployment.ts';

export const LAMBDA_INVOKE_TYPES = ['Aws.LambdaInvokeStage', 'lambdaInvoke'] as const;
export type LambdaInvokeType = (typeof LAMBDA_INVOKE_TYPES)[number];

/** Invocations one stage may make: each is a synchronous call kept in the stage's record. */
export const MAX_LAMBDA_INVOCATIONS = 20;

export interface LambdaInvokeConfig extends LambdaLocation {
  /** Invoke through this alias; absent: `$LATEST`, as Orca. */
  readonly aliasName?: string;
  readonly payloadArtifact?: LambdaArtifact;
  /** The payload as text, when no artifact holds it. */
  readonly payload?: string;
  /** @default 1 */
  readonly executionCount: NumberField;
  /** Seconds one invocation may take. */
  readonly timeout?: NumberField;
}

/** One stage per name, so `type` tells them apart like any other stage type. */
export type LambdaInvokeStage = { [T in LambdaInvokeType]: StageBase<T, LambdaInvokeConfig> }[LambdaInvokeType];

const schema: z.ZodType<LambdaInvokeConfig> = z.looseObject({
  ...lambdaLocationFields,
  aliasName: optional(anyText('an alias')),
  payloadArtifact: optional(lambdaArtifactSchema),
  payload: optional(anyText('the payload (JSON text)')),
  executionCount: withDefault(numberOrExpression('a number of invocations', { min: 1, max: MAX_LAMBDA_INVOCATIONS, integer: true }), 1),
  timeout: optional(numberOrExpression('a number of seconds', { min: 0 })),
});

function check(config: LambdaInvokeConfig): ConfigIssue[] {
  return [...checkLambdaLocation(config), ...checkArtifact(config.payloadArtifact, 'payloadArtifact')];
}

export const lambdaInvokeStageTypes = defineAliasedStageTypes(LAMBDA_INVOKE_TYPES, {
  description: 'Invokes a Lambda function and fails when an invocation fails.',
  schema,
  expressionFields: ['functionName', 'aliasName', 'payload', 'executionCount'],
  plan: () => [
    { name: 'lambdaInvokeTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaInvokeVerificationTask', kind: 'run' },
  ],
  check,
});
