/**
 * `Aws.LambdaTrafficRoutingStage` (Orca's LambdaTrafficRoutingStage, also `lambdaTrafficRouting`):
 * point an alias at published versions with one of Orca's strategies
 * (`ORCA:pipeline/servergroup/strategies/lambda/`, reference/cloud-targets.md §4.2):
 *
 * - `$SIMPLE`: the alias names version A, nothing else.
 * - `$WEIGHTED`: the alias names version A and sends `(100 - trafficPercentA)/100` of its traffic
 *   to version B (§8.3).
 * - `$BLUEGREEN`: invoke the newest version with `payloadArtifact`, compare its answer with
 *   `outputArtifact` (whitespace removed); on a match the alias names that version alone, else the
 *   stage fails and the alias is left as it was.
 *
 * Versions are chosen by Orca's selectors, resolved once when the stage starts. The runtime is
 * core/stages/lambda-traffic-routing.ts.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, isTemplate, numberOrExpression, oneOf, optional, text } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { error, warning } from './definition.ts';
import type { LambdaArtifact, LambdaLocation, NumberField } from './lambda-common.ts';
import { checkArtifact, checkLambdaLocation, defineAliasedStageTypes, lambdaArtifactSchema, lambdaLocationFields, versionSelectorProblem } from './lambda-common.ts';
import { LAMBDA_MAX_POLLS } from './lambda-deployment.ts';

export const LAMBDA_TRAFFIC_ROUTING_TYPES = ['Aws.LambdaTrafficRoutingStage', 'lambdaTrafficRouting'] as const;
export type LambdaTrafficRoutingType = (typeof LAMBDA_TRAFFIC_ROUTING_TYPES)[number];

export const LAMBDA_DEPLOYMENT_STRATEGIES = ['$SIMPLE', '$WEIGHTED', '$BLUEGREEN'] as const;
export type LambdaDeploymentStrategy = (typeof LAMBDA_DEPLOYMENT_STRATEGIES)[number];

export interface LambdaTrafficRoutingConfig extends LambdaLocation {
  readonly aliasName: string;
  readonly aliasDescription?: string;
  readonly deploymentStrategy: LambdaDeploymentStrategy;
  readonly versionNameA?: string;
  readonly versionNumberA?: string;
  readonly versionNameB?: string;
  readonly versionNumberB?: string;
  /** `$WEIGHTED`: version A's share in percent; version B takes the rest. */
  readonly trafficPercentA?: NumberField;
  /** Deck writes it; Orca derives B's share from A's and ignores it. */
  readonly trafficPercentB?: NumberField;
  /** `$BLUEGREEN`: what the new version is invoked with, and what it must answer. */
  readonly payloadArtifact?: LambdaArtifact;
  readonly outputArtifact?: LambdaArtifact;
  /** `$BLUEGREEN`: seconds the health-check invocation may take. */
  readonly timeout?: NumberField;
  /** Provisioned concurrency on the alias: not supported yet (0 or absent). */
  readonly provisionedConcurrentExecutions?: NumberField;
}

/** One stage per name, so `type` tells them apart like any other stage type. */
export type LambdaTrafficRoutingStage = { [T in LambdaTrafficRoutingType]: StageBase<T, LambdaTrafficRoutingConfig> }[LambdaTrafficRoutingType];

/** Deck writes version numbers as strings, scripts as numbers; either way they are Lambda's version names. */
const versionNumber = optional(z.union([anyText('a version number'), z.number().int().min(1).transform(String)]));

const schema: z.ZodType<LambdaTrafficRoutingConfig> = z.looseObject({
  ...lambdaLocationFields,
  aliasName: text("the alias to route, e.g. 'live'"),
  aliasDescription: optional(anyText('a description of the alias')),
  deploymentStrategy: oneOf(LAMBDA_DEPLOYMENT_STRATEGIES, 'the deployment strategy'),
  versionNameA: optional(anyText('a version selector')),
  versionNumberA: versionNumber,
  versionNameB: optional(anyText('a version selector')),
  versionNumberB: versionNumber,
  trafficPercentA: optional(numberOrExpression('a percentage', { min: 0, max: 100, integer: true })),
  trafficPercentB: optional(numberOrExpression('a percentage', { min: 0, max: 100, integer: true })),
  payloadArtifact: optional(lambdaArtifactSchema),
  outputArtifact: optional(lambdaArtifactSchema),
  timeout: optional(numberOrExpression('a number of seconds', { min: 0 })),
  provisionedConcurrentExecutions: optional(numberOrExpression('a number of concurrent executions', { min: 0, integer: true })),
});

function blank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

/** A version field pair: the selector, and the number `$PROVIDED` needs. */
function checkVersion(config: LambdaTrafficRoutingConfig, side: 'A' | 'B'): ConfigIssue[] {
  const name = side === 'A' ? config.versionNameA : config.versionNameB;
  const number = side === 'A' ? config.versionNumberA : config.versionNumberB;
  const field = `versionName${side}`;
  if (blank(name)) return [error([field], 'required', `'${field}' is required for ${config.deploymentStrategy}; add a version selector, e.g. "${side === 'A' ? '$PREVIOUS' : '$LATEST'}"`)];
  const problem = versionSelectorProblem(name, field, false, false);
  if (problem) return [error([field], 'invalid-value', problem, name)];
  if (name === '$PROVIDED' && (blank(number) || (!isTemplate(number) && !/^[0-9]+$/.test(number!.trim())))) {
    return [error([`versionNumber${side}`], 'required', `versionNumber${side} is ${number === undefined ? 'missing' : `'${number}'`}; $PROVIDED needs the version number, e.g. "3"`)];
  }
  return [];
}

function check(config: LambdaTrafficRoutingConfig): ConfigIssue[] {
  const issues = checkLambdaLocation(config);
  const provisioned = config.provisionedConcurrentExecutions;
  if (typeof provisioned === 'string' || (provisioned !== undefined && provisioned > 0)) {
    issues.push(error(['provisionedConcurrentExecutions'], 'invalid-value', `provisionedConcurrentExecutions is ${provisioned}; provisioned concurrency is not supported yet, remove it or set 0`));
  }
  switch (config.deploymentStrategy) {
    case '$SIMPLE':
      issues.push(...checkVersion(config, 'A'));
      break;
    case '$WEIGHTED': {
      issues.push(...checkVersion(config, 'A'), ...checkVersion(config, 'B'));
      if (config.trafficPercentA === undefined) {
        issues.push(error(['trafficPercentA'], 'required', "'trafficPercentA' is required for $WEIGHTED; add version A's share in percent, e.g. 90 (version B gets the rest)"));
      } else if (typeof config.trafficPercentA === 'number' && typeof config.trafficPercentB === 'number' && config.trafficPercentA + config.trafficPercentB !== 100) {
        issues.push(
          warning(['trafficPercentB'], 'invalid-value', `trafficPercentA ${config.trafficPercentA} and trafficPercentB ${config.trafficPercentB} do not add up to 100; version B gets ${100 - config.trafficPercentA}%, as in Spinnaker`),
        );
      }
      break;
    }
    case '$BLUEGREEN': {
      if (config.payloadArtifact === undefined) issues.push(error(['payloadArtifact'], 'required', "'payloadArtifact' is required for $BLUEGREEN; add what the new version is invoked with, as an embedded/base64 artifact"));
      if (config.outputArtifact === undefined) issues.push(error(['outputArtifact'], 'required', "'outputArtifact' is required for $BLUEGREEN; add what the new version must answer, as an embedded/base64 artifact"));
      issues.push(...checkArtifact(config.payloadArtifact, 'payloadArtifact'), ...checkArtifact(config.outputArtifact, 'outputArtifact'));
      break;
    }
    default: {
      const unknown: never = config.deploymentStrategy;
      return [...issues, error(['deploymentStrategy'], 'invalid-value', `unknown strategy ${String(unknown)}`)];
    }
  }
  return issues;
}

export const lambdaTrafficRoutingStageTypes = defineAliasedStageTypes(LAMBDA_TRAFFIC_ROUTING_TYPES, {
  description: "Routes a Lambda alias's traffic to published versions ($SIMPLE, $WEIGHTED or $BLUEGREEN).",
  schema,
  expressionFields: ['functionName', 'aliasName', 'versionNumberA', 'versionNumberB', 'trafficPercentA'],
  plan: () => [
    { name: 'lambdaTrafficUpdateTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
    { name: 'lambdaTrafficUpdateVerificationTask', kind: 'poll', maxPolls: LAMBDA_MAX_POLLS },
  ],
  check,
});
