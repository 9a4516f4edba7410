/**
 * `checkPreconditions`: assert conditions before going on (Orca's CheckPreconditionsStage). Each
 * precondition runs as a synthetic stage whose context is the stage's merged with the
 * precondition's own fields, so a precondition's `failPipeline` (absent: the stage's) decides how
 * its failure ends; with `failPipeline: false` a false condition halts only this branch, which
 * real pipelines use as if/else (core/stages/check-preconditions.ts has the statuses).
 */
import { z } from 'zod';
import type { RawObject, StageBase } from '../model.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import type { Expression } from '../fields.ts';
import { anyText, flag, numberOrExpression, oneOf, optional, tagged, text, textList, withDefault } from '../fields.ts';
import { expressionField } from '../expression-syntax.ts';
import { defineStageType, error } from './definition.ts';

export const CLUSTER_SIZE_COMPARISONS = ['==', '!=', '<', '<=', '>', '>='] as const;
export type ClusterSizeComparison = (typeof CLUSTER_SIZE_COMPARISONS)[number];

/**
 * The failure flags a precondition may set over the stage's (Orca merges the precondition into
 * its synthetic stage's context): absent, the stage's own apply.
 */
export interface PreconditionFlags {
  readonly failPipeline?: boolean;
  readonly continuePipeline?: boolean;
  readonly completeOtherBranchesThenFail?: boolean;
}

export interface ExpressionPrecondition extends PreconditionFlags {
  readonly type: 'expression';
  /** `expression`: bare or `${...}`; true continues. */
  readonly context: { readonly expression: string; readonly failureMessage?: string };
}

/** A clusterSize precondition: `cluster`, `credentials` and `regions` left out are the stage's (Orca's putIfAbsent). */
export interface ClusterSizePrecondition extends PreconditionFlags {
  readonly type: 'clusterSize';
  readonly context: {
    readonly cluster?: string;
    readonly credentials?: string;
    readonly regions?: readonly string[];
    readonly comparison: ClusterSizeComparison;
    readonly expected: number | Expression;
    readonly onlyEnabledServerGroups?: boolean;
  };
}

export interface StageStatusPrecondition extends PreconditionFlags {
  readonly type: 'stageStatus';
  readonly context: { readonly stageName: string; readonly stageStatus: string };
}

export type Precondition = ExpressionPrecondition | ClusterSizePrecondition | StageStatusPrecondition;

export interface CheckPreconditionsConfig {
  readonly preconditions: readonly Precondition[];
}

export type CheckPreconditionsStage = StageBase<'checkPreconditions', CheckPreconditionsConfig>;

const flags = {
  failPipeline: optional(flag()),
  continuePipeline: optional(flag()),
  completeOtherBranchesThenFail: optional(flag()),
};

const precondition = tagged(
  'type',
  {
    expression: z.looseObject({
      type: z.literal('expression'),
      ...flags,
      context: z.looseObject({
        expression: expressionField('the expression that must be true'),
        failureMessage: optional(anyText('the message shown when the expression is false')),
      }),
    }),
    clusterSize: z.looseObject({
      type: z.literal('clusterSize'),
      ...flags,
      context: z.looseObject({
        cluster: optional(text("the cluster to count, e.g. 'hello-prod'")),
        credentials: optional(text('the account of the cluster')),
        regions: optional(textList('regions')),
        comparison: withDefault(oneOf(CLUSTER_SIZE_COMPARISONS, 'the comparison'), '=='),
        expected: withDefault(numberOrExpression('the expected number of server groups', { min: 0, integer: true }), 1),
        onlyEnabledServerGroups: optional(flag()),
      }),
    }),
    stageStatus: z.looseObject({
      type: z.literal('stageStatus'),
      ...flags,
      context: z.looseObject({
        stageName: text('the name of the stage to check'),
        stageStatus: text("the status it must have, e.g. 'SUCCEEDED'"),
      }),
    }),
  },
  'precondition',
);

const schema: z.ZodType<CheckPreconditionsConfig> = z.looseObject({
  preconditions: withDefault(z.array(precondition), []),
}) as z.ZodType<CheckPreconditionsConfig>;

/** What a clusterSize precondition may take from its stage when it leaves it out. */
const INHERITED = [
  ['cluster', "the cluster to count, e.g. 'hello-prod'"],
  ['credentials', "the account of the cluster, e.g. 'local'"],
] as const;

/**
 * A clusterSize precondition without `cluster` or `credentials` counts the stage's (Orca copies
 * them into the precondition's context when absent), so one of the two must name them.
 */
function checkInherited(config: CheckPreconditionsConfig, raw: RawObject): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [index, entry] of config.preconditions.entries()) {
    if (entry.type !== 'clusterSize') continue;
    for (const [field, what] of INHERITED) {
      if (entry.context[field] !== undefined || (typeof raw[field] === 'string' && raw[field].trim() !== '')) continue;
      issues.push(error(['preconditions', index, 'context', field], 'required', `'${field}' is required; add ${what}, in the precondition's context or on the stage`));
    }
  }
  return issues;
}

export const checkPreconditionsStageType = defineStageType({
  type: 'checkPreconditions',
  description: 'Checks expressions, cluster sizes or stage statuses; a false one fails the stage.',
  schema,
  expressionFields: ['preconditions[].context.expression'],
  check: checkInherited,
  // One step checks every precondition, as Orca's synthetic stages do side by side, and derives
  // each one's status and the stage's from them (core/stages/check-preconditions.ts).
  plan: () => [{ name: 'checkPreconditions', kind: 'run' }],
});
