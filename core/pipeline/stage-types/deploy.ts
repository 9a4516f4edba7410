/**
 * `deploy` (Orca's ParallelDeployStage): one new server group per entry of `clusters`, each with
 * its deployment strategy. The plan is the strategy's steps in Spinnaker's exact order
 * (reference/spinnaker.md §1.5); with several clusters the steps are prefixed `cluster0.`,
 * `cluster1.`... Rollback on failure (`rollback.onFailure`) is decided by the runtime from the
 * step that failed, so it has no step of its own.
 *
 * Providers' own fields (instance types, load balancers, ECS task definitions...) pass through
 * untouched for the deploy target to read.
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import type { StageBase, TaskStep } from '../model.ts';
import type { Expression } from '../fields.ts';
import { anyObject, anyText, flag, numberOrExpression, optional, plainNumber, text, withDefault } from '../fields.ts';
import type { RawObject } from '../model.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error, pollsForSeconds, warning } from './definition.ts';
import type { Capacity } from './resize-server-group.ts';
import { capacitySchema, checkCapacity } from './resize-server-group.ts';

export const DEPLOY_STRATEGIES = ['redblack', 'rollingredblack', 'highlander', 'none', 'custom', 'canary'] as const;
export type DeployStrategy = (typeof DEPLOY_STRATEGIES)[number];
/** Spinnaker strategies Gennaker does not run yet: deploying them as 'none' would silently change what happens. */
export const UNSUPPORTED_DEPLOY_STRATEGIES: readonly string[] = ['monitored', 'cfrollingredblack', 'rollingpush'];

export interface DeployClusterConfig {
  readonly account: string;
  readonly application?: string;
  readonly stack?: string;
  readonly freeFormDetails?: string;
  readonly cloudProvider?: string;
  readonly provider?: string;
  readonly capacity: Capacity;
  /** Normalized: absent, blank and unknown strategies are 'none', as in Spinnaker. */
  readonly strategy: DeployStrategy;
  /** Red/black: server groups left after the deploy, the new one included (0 = no shrink). */
  readonly maxRemainingAsgs?: number;
  readonly scaleDown: boolean;
  /** Deprecated alias of delayBeforeCleanup. */
  readonly delayBeforeDisableSec?: number | Expression;
  readonly delayBeforeCleanup?: number | Expression;
  readonly delayBeforeScaleDownSec?: number | Expression;
  readonly allowDeleteActive: boolean;
  readonly allowScaleDownActive: boolean;
  readonly rollback: { readonly onFailure: boolean; readonly destroyLatest: boolean };
  /** Rolling red/black steps, in percent; 100 is appended when missing. */
  readonly targetPercentages: readonly number[];
  /** Rolling red/black: a validation pipeline run at each step before the old server group is disabled. */
  readonly pipelineBeforeCleanup?: { readonly application: string; readonly pipelineId: string; readonly pipelineParameters: Readonly<Record<string, unknown>> };
  /** Custom strategy: the pipeline that implements it. */
  readonly strategyApplication?: string;
  readonly strategyPipeline?: string;
  readonly pipelineParameters: Readonly<Record<string, unknown>>;
}

export interface DeployConfig {
  readonly clusters: readonly DeployClusterConfig[];
}

export type DeployStage = StageBase<'deploy', DeployConfig>;

function normalizeStrategy(value: unknown): DeployStrategy {
  return typeof value === 'string' && (DEPLOY_STRATEGIES as readonly string[]).includes(value) ? (value as DeployStrategy) : 'none';
}

const seconds = () => optional(numberOrExpression('a number of seconds', { min: 0 }));

const clusterSchema: z.ZodType<DeployClusterConfig> = z.looseObject({
  account: text('the account to deploy to'),
  application: optional(anyText('the application')),
  stack: optional(anyText('the stack')),
  freeFormDetails: optional(anyText('the free-form details')),
  cloudProvider: optional(anyText('the cloud provider')),
  provider: optional(anyText('the cloud provider')),
  capacity: withDefault(capacitySchema, {}),
  strategy: z.unknown().optional().transform(normalizeStrategy),
  maxRemainingAsgs: optional(plainNumber('a number of server groups', { min: 0, integer: true })),
  scaleDown: withDefault(flag(), false),
  delayBeforeDisableSec: seconds(),
  delayBeforeCleanup: seconds(),
  delayBeforeScaleDownSec: seconds(),
  allowDeleteActive: withDefault(flag(), false),
  allowScaleDownActive: withDefault(flag(), false),
  rollback: withDefault(z.looseObject({ onFailure: withDefault(flag(), false), destroyLatest: withDefault(flag(), false) }), {
    onFailure: false,
    destroyLatest: false,
  }),
  targetPercentages: withDefault(z.array(plainNumber('a percentage', { min: 1, max: 100, integer: true })), []),
  pipelineBeforeCleanup: optional(
    z.looseObject({
      application: text('the application of the validation pipeline'),
      pipelineId: text('the id of the validation pipeline'),
      pipelineParameters: withDefault(anyObject('parameters'), {}),
    }),
  ),
  strategyApplication: optional(text('the application of the strategy pipeline')),
  strategyPipeline: optional(text('the id of the strategy pipeline')),
  pipelineParameters: withDefault(anyObject('parameters'), {}),
});

const schema: z.ZodType<DeployConfig> = z.looseObject({
  clusters: z.array(clusterSchema, {
    error: (issue) => (issue.input == null ? 'add at least one cluster to deploy' : `expected a list of clusters, got ${showValue(issue.input)}`),
  }),
});

/** A wait step, present when the delay is a template or positive. */
function delayStep(name: string, delay: number | Expression | undefined): TaskStep[] {
  if (typeof delay === 'string') return [{ name, kind: 'poll' }];
  if (delay !== undefined && delay > 0) return [{ name, kind: 'poll', maxPolls: pollsForSeconds(delay) }];
  return [];
}

/** Rolling red/black's steps, 100 appended as Orca does. */
export function rollingPercentages(cluster: DeployClusterConfig): number[] {
  const percentages = [...cluster.targetPercentages];
  if (percentages[percentages.length - 1] !== 100) percentages.push(100);
  return percentages;
}

/** The steps of one cluster's deploy, in Spinnaker's order for its strategy. */
export function planCluster(cluster: DeployClusterConfig): TaskStep[] {
  const create: TaskStep = { name: 'createServerGroup', kind: 'run' };
  const waitUp: TaskStep = { name: 'waitForUpInstances', kind: 'poll' };
  const scaleDown = (): TaskStep[] =>
    cluster.scaleDown ? [...delayStep('waitBeforeScaleDown', cluster.delayBeforeScaleDownSec), { name: 'scaleDownCluster', kind: 'poll' }] : [];
  switch (cluster.strategy) {
    case 'none':
      return [create, waitUp];
    case 'highlander':
      return [create, waitUp, { name: 'shrinkCluster', kind: 'poll' }];
    case 'redblack':
      return [
        create,
        waitUp,
        ...(cluster.maxRemainingAsgs !== undefined && cluster.maxRemainingAsgs > 0 ? [{ name: 'shrinkCluster', kind: 'poll' } as const] : []),
        ...delayStep('waitBeforeDisable', cluster.delayBeforeCleanup ?? cluster.delayBeforeDisableSec),
        { name: 'disableCluster', kind: 'poll' },
        ...scaleDown(),
      ];
    case 'rollingredblack':
      return [
        // The new server group starts at capacity 0; each step below grows it and shrinks the source.
        create,
        { name: 'pinSourceServerGroup', kind: 'run' },
        ...rollingPercentages(cluster).flatMap((percent): TaskStep[] => [
          { name: `resizeTo${percent}Percent`, kind: 'poll' },
          ...delayStep(`waitBeforeDisable${percent}Percent`, cluster.delayBeforeCleanup),
          ...(cluster.pipelineBeforeCleanup ? [{ name: `validate${percent}Percent`, kind: 'poll' } as const] : []),
          { name: `disableSource${percent}Percent`, kind: 'poll' },
        ]),
        ...(cluster.scaleDown ? [{ name: 'scaleDownCluster', kind: 'poll' } as const] : [{ name: 'unpinSourceServerGroup', kind: 'run' } as const]),
      ];
    case 'custom':
      return [
        { name: 'startStrategyPipeline', kind: 'run' },
        { name: 'monitorStrategyPipeline', kind: 'poll' },
      ];
    case 'canary':
      // Gennaker's strategy (no Spinnaker equivalent): traffic shifts to the new server group
      // under analysis, then the older ones are disabled as in red/black.
      return [create, waitUp, { name: 'runCanary', kind: 'poll' }, { name: 'disableCluster', kind: 'poll' }, ...scaleDown()];
    default: {
      const unreachable: never = cluster.strategy;
      return unreachable;
    }
  }
}

function checkCluster(cluster: DeployClusterConfig, raw: unknown, index: number): ConfigIssue[] {
  const path = ['clusters', index] as const;
  const issues: ConfigIssue[] = [...checkCapacity(cluster.capacity, [...path, 'capacity'])];
  const given = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).strategy : undefined;
  if (typeof given === 'string' && given !== '' && !(DEPLOY_STRATEGIES as readonly string[]).includes(given)) {
    if (UNSUPPORTED_DEPLOY_STRATEGIES.includes(given)) {
      issues.push(error([...path, 'strategy'], 'invalid-value', `deploy strategy '${given}' is not supported yet; use one of ${DEPLOY_STRATEGIES.join(', ')}`));
    } else {
      issues.push(
        warning(
          [...path, 'strategy'],
          'invalid-value',
          `deploy strategy '${given}' is unknown, so it runs as 'none' (as in Spinnaker) and older server groups stay enabled; use one of ${DEPLOY_STRATEGIES.join(', ')}`,
        ),
      );
    }
  } else if (given !== undefined && given !== null && typeof given !== 'string') {
    issues.push(error([...path, 'strategy'], 'wrong-type', `expected a strategy name (a string), got ${showValue(given)}; use one of ${DEPLOY_STRATEGIES.join(', ')}`));
  }
  if (cluster.strategy === 'custom') {
    if (cluster.strategyApplication === undefined) {
      issues.push(error([...path, 'strategyApplication'], 'required', "'strategyApplication' is required for the custom strategy; add the application of the strategy pipeline"));
    }
    if (cluster.strategyPipeline === undefined) {
      issues.push(error([...path, 'strategyPipeline'], 'required', "'strategyPipeline' is required for the custom strategy; add the id of the pipeline that implements it"));
    }
  }
  if (cluster.strategy === 'rollingredblack') {
    const percentages = cluster.targetPercentages;
    for (let i = 1; i < percentages.length; i++) {
      if ((percentages[i] as number) <= (percentages[i - 1] as number)) {
        issues.push(
          error([...path, 'targetPercentages', i], 'invalid-value', `targetPercentages must increase, but ${percentages[i]} follows ${percentages[i - 1]}; list them in increasing order, e.g. [25, 50, 100]`),
        );
        break;
      }
    }
  }
  if (cluster.strategy === 'redblack' && cluster.maxRemainingAsgs === 1) {
    issues.push(
      warning(
        [...path, 'maxRemainingAsgs'],
        'invalid-value',
        'maxRemainingAsgs 1 destroys the previous server group before it is disabled, leaving nothing to roll back to; use 2 or more (it counts the new server group)',
      ),
    );
  }
  return issues;
}

export const deployStageType = defineStageType({
  type: 'deploy',
  description: 'Deploys a new server group per cluster with a strategy (red/black, rolling red/black, highlander, custom, canary, none).',
  schema,
  expressionFields: ['clusters[].capacity', 'clusters[].delayBeforeCleanup', 'clusters[].delayBeforeScaleDownSec'],
  plan: (stage) => {
    const clusters = stage.config.clusters;
    if (clusters.length === 1) return planCluster(clusters[0] as DeployClusterConfig);
    return clusters.flatMap((cluster, index) => planCluster(cluster).map((step) => ({ ...step, name: `cluster${index}.${step.name}` })));
  },
  check: (config, raw: RawObject) => {
    const rawClusters = Array.isArray(raw.clusters) ? (raw.clusters as unknown[]) : [];
    if (config.clusters.length === 0) return [error(['clusters'], 'invalid-value', 'lists no clusters; add at least one cluster to deploy')];
    return config.clusters.flatMap((cluster, index) => checkCluster(cluster, rawClusters[index], index));
  },
});
