/**
 * `Aws.LambdaDeploymentStage` (Orca's LambdaDeploymentStage, also `lambdaDeployment`): create the
 * function, or update its code and settings, then publish a version and point the stage's
 * aliases at it (reference/cloud-targets.md §4.1-4.2). Orca's task order, with a wait for
 * `State`/`LastUpdateStatus` before every mutation; the runtime is core/stages/lambda-deployment.ts.
 *
 * One deliberate difference: Orca points `aliases` at `$LATEST` before it publishes; Gennaker
 * points them at the version it just published, after publishing. An alias on `$LATEST` would
 * serve whatever code the next update writes, before any traffic stage chose to.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, flag, isTemplate, numberOrExpression, optional, text, textList, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { error, warning } from './definition.ts';
import type { LambdaLocation, NumberField } from './lambda-common.ts';
import { aliasListSchema, checkLambdaLocation, defineAliasedStageTypes, lambdaLocationFields } from './lambda-common.ts';

export const LAMBDA_DEPLOYMENT_TYPES = ['Aws.LambdaDeploymentStage', 'lambdaDeployment'] as const;
export type LambdaDeploymentType = (typeof LAMBDA_DEPLOYMENT_TYPES)[number];

export interface LambdaDeploymentConfig extends LambdaLocation {
  readonly runtime: string;
  readonly handler: string;
  /** The execution role's ARN. */
  readonly role: string;
  readonly s3bucket: string;
  readonly s3key: string;
  readonly memorySize?: NumberField;
  readonly timeout?: NumberField;
  readonly description?: string;
  /** Publish a version of what was deployed. @default false, as Orca */
  readonly publish: boolean;
  readonly envVariables: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Aliases pointed at the published version. */
  readonly aliases: readonly string[];
  readonly layers: readonly string[];
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly deadLetterConfig?: { readonly targetArn?: string };
  readonly tracingConfig?: { readonly mode?: string };
  /** Deck writes both spellings. */
  readonly kmskeyArn?: string;
  readonly KMSKeyArn?: string;
  /** Absent: reserved concurrency is removed, as Orca's LambdaDeleteConcurrencyTask does. */
  readonly reservedConcurrentExecutions?: NumberField;
  /** Load balancing a function through ALB target groups: not supported yet. */
  readonly targetGroups?: unknown;
  /** Event source mappings: not supported yet. */
  readonly triggerArns: readonly string[];
}

/** One stage per name, so `type` tells them apart like any other stage type. */
export type LambdaDeploymentStage = { [T in LambdaDeploymentType]: StageBase<T, LambdaDeploymentConfig> }[LambdaDeploymentType];

const schema: z.ZodType<LambdaDeploymentConfig> = z.looseObject({
  ...lambdaLocationFields,
  runtime: text("the runtime, e.g. 'nodejs22.x'"),
  handler: text("the handler, e.g. 'index.handler'"),
  role: text("the execution role's ARN, e.g. 'arn:aws:iam::123456789012:role/hello-lambda'"),
  s3bucket: text("the S3 bucket of the deployment package, e.g. 'hello-artifacts'"),
  s3key: text("the S3 key of the deployment package, e.g. 'hello/1.2.0.zip'"),
  memorySize: optional(numberOrExpression('a memory size in MB', { min: 128, max: 10240, integer: true })),
  timeout: optional(numberOrExpression('a timeout in seconds', { min: 1, max: 900, integer: true })),
  description: optional(anyText('a description')),
  publish: withDefault(flag(), false),
  envVariables: withDefault(z.record(z.string(), anyText('an environment value')), {}),
  tags: withDefault(z.record(z.string(), anyText('a tag value')), {}),
  aliases: withDefault(aliasListSchema, []),
  layers: withDefault(textList('layer ARNs'), []),
  subnetIds: withDefault(textList('subnet ids'), []),
  securityGroupIds: withDefault(textList('security group ids'), []),
  deadLetterConfig: optional(z.looseObject({ targetArn: optional(anyText("the dead-letter target's ARN")) })),
  tracingConfig: optional(z.looseObject({ mode: optional(anyText('the tracing mode')) })),
  kmskeyArn: optional(anyText("the KMS key's ARN")),
  KMSKeyArn: optional(anyText("the KMS key's ARN")),
  reservedConcurrentExecutions: optional(numberOrExpression('a number of concurrent executions', { min: 0, integer: true })),
  targetGroups: z.unknown().optional(),
  triggerArns: withDefault(textList('event source ARNs'), []),
});

function check(config: LambdaDeploymentConfig): ConfigIssue[] {
  const issues = checkLambdaLocation(config);
  const mode = config.tracingConfig?.mode;
  if (mode !== undefined && mode !== '' && !isTemplate(mode) && mode !== 'Active' && mode !== 'PassThrough') {
    issues.push(error(['tracingConfig', 'mode'], 'invalid-value', `tracingConfig.mode is '${mode}'; use Active or PassThrough`));
  }
  const targetGroups = config.targetGroups;
  if (!(targetGroups === undefined || targetGroups === null || targetGroups === '' || (Array.isArray(targetGroups) && targetGroups.length === 0))) {
    issues.push(error(['targetGroups'], 'invalid-value', "targetGroups (a function behind an ALB target group) is not supported yet; remove it, or set it to \"\""));
  }
  if (config.triggerArns.some((arn) => arn.trim() !== '')) {
    issues.push(error(['triggerArns'], 'invalid-value', 'triggerArns (event source mappings) is not supported yet; remove them, or manage the mappings outside the pipeline'));
  }
  if (config.aliases.length > 0 && !config.publish) {
    issues.push(
      warning(['aliases'], 'invalid-value', 'aliases are pointed at the version the stage publishes, and publish is false: they move to the newest version published before, or the stage fails when there is none; set publish to true'),
    );
  }
  return issues;
}

/** Polls a step that waits for Lambda may make (the first call included): about 25 minutes at 30 s. */
export const LAMBDA_MAX_POLLS = 60;

export const lambdaDeploymentStageTypes = defineAliasedStageTypes(LAMBDA_DEPLOYMENT_TYPES, {
  description: 'Creates or updates a Lambda function, publishes a version and points aliases at it.',
  schema,
  expressionFields: ['functionName', 's3bucket', 's3key', 'envVariables', 'description', 'aliases', 'memorySize', 'timeout'],
  plan: () => [
    { name: 'lambdaCreateTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaUpdateCodeTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaWaitToStabilizeTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaUpdateConfigTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaPutConcurrencyTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaPublishVersionTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaUpdateAliasesTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaOutputTask', kind: 'run' },
  ],
  check,
});
