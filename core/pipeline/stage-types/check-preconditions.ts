/**
 * `checkPreconditions`: assert conditions before going on (Orca's CheckPreconditionsStage). Each
 * precondition has its own `failPipeline` (default true); with `failPipeline: false` a false
 * condition halts only this branch, which real pipelines use as if/else.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import type { Expression } from '../fields.ts';
import { anyText, flag, numberOrExpression, oneOf, optional, tagged, text, textList, withDefault } from '../fields.ts';
import { expressionField } from '../expression-syntax.ts';
import { defineStageType } from './definition.ts';

export const CLUSTER_SIZE_COMPARISONS = ['==', '!=', '<', '<=', '>', '>='] as const;
export type ClusterSizeComparison = (typeof CLUSTER_SIZE_COMPARISONS)[number];

export interface ExpressionPrecondition {
  readonly type: 'expression';
  readonly failPipeline: boolean;
  /** `expression`: bare or `${...}`; true continues. */
  readonly context: { readonly expression: string; readonly failureMessage?: string };
}

export interface ClusterSizePrecondition {
  readonly type: 'clusterSize';
  readonly failPipeline: boolean;
  readonly context: {
    readonly cluster: string;
    readonly credentials: string;
    readonly regions: readonly string[];
    readonly comparison: ClusterSizeComparison;
    readonly expected: number | Expression;
    readonly onlyEnabledServerGroups?: boolean;
  };
}

export interface StageStatusPrecondition {
  readonly type: 'stageStatus';
  readonly failPipeline: boolean;
  readonly context: { readonly stageName: string; readonly stageStatus: string };
}

export type Precondition = ExpressionPrecondition | ClusterSizePrecondition | StageStatusPrecondition;

export interface CheckPreconditionsConfig {
  readonly preconditions: readonly Precondition[];
}

export type CheckPreconditionsStage = StageBase<'checkPreconditions', CheckPreconditionsConfig>;

const failPipeline = withDefault(flag(), true);

const precondition = tagged(
  'type',
  {
    expression: z.looseObject({
      type: z.literal('expression'),
      failPipeline,
      context: z.looseObject({
        expression: expressionField('the expression that must be true'),
        failureMessage: optional(anyText('the message shown when the expression is false')),
      }),
    }),
    clusterSize: z.looseObject({
      type: z.literal('clusterSize'),
      failPipeline,
      context: z.looseObject({
        cluster: text("the cluster to count, e.g. 'hello-prod'"),
        credentials: text('the account of the cluster'),
        regions: withDefault(textList('regions'), []),
        comparison: withDefault(oneOf(CLUSTER_SIZE_COMPARISONS, 'the comparison'), '=='),
        expected: withDefault(numberOrExpression('the expected number of server groups', { min: 0, integer: true }), 1),
        onlyEnabledServerGroups: optional(flag()),
      }),
    }),
    stageStatus: z.looseObject({
      type: z.literal('stageStatus'),
      failPipeline,
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

export const checkPreconditionsStageType = defineStageType({
  type: 'checkPreconditions',
  description: 'Checks expressions, cluster sizes or stage statuses; a false one fails the stage.',
  schema,
  expressionFields: ['preconditions[].context.expression'],
  // One step checks them in order and stops at the first false one, applying its failPipeline.
  plan: () => [{ name: 'checkPreconditions', kind: 'run' }],
});
