/**
 * `Aws.LambdaUpdateCodeStage` (Orca's LambdaUpdateCodeStage, also `lambdaUpdateCode`): replace an
 * existing function's code with a new package, optionally publishing a version with it, and wait
 * until Lambda applied it. The runtime is core/stages/lambda-update-code.ts.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { flag, text, withDefault } from '../fields.ts';
import type { LambdaLocation } from './lambda-common.ts';
import { checkLambdaLocation, defineAliasedStageTypes, lambdaLocationFields } from './lambda-common.ts';
import { LAMBDA_MAX_POLLS } from './lambda-deployment.ts';

export const LAMBDA_UPDATE_CODE_TYPES = ['Aws.LambdaUpdateCodeStage', 'lambdaUpdateCode'] as const;
export type LambdaUpdateCodeType = (typeof LAMBDA_UPDATE_CODE_TYPES)[number];

export interface LambdaUpdateCodeConfig extends LambdaLocation {
  readonly s3bucket: string;
  readonly s3key: string;
  /** Publish a version with the new code (Lambda's `Publish` on the update). @default false */
  readonly publish: boolean;
}

/** One stage per name, so `type` tells them apart like any other stage type. */
export type LambdaUpdateCodeStage = { [T in LambdaUpdateCodeType]: StageBase<T, LambdaUpdateCodeConfig> }[LambdaUpdateCodeType];

const schema: z.ZodType<LambdaUpdateCodeConfig> = z.looseObject({
  ...lambdaLocationFields,
  s3bucket: text("the S3 bucket of the deployment package, e.g. 'hello-artifacts'"),
  s3key: text("the S3 key of the deployment package, e.g. 'hello/1.2.0.zip'"),
  publish: withDefault(flag(), false),
});

export const lambdaUpdateCodeStageTypes = defineAliasedStageTypes(LAMBDA_UPDATE_CODE_TYPES, {
  description: "Replaces a Lambda function's code and waits until it is applied.",
  schema,
  expressionFields: ['functionName', 's3bucket', 's3key'],
  plan: () => [
    { name: 'lambdaUpdateCodeTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaVerificationTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
  ],
  check: (config) => checkLambdaLocation(config),
});
