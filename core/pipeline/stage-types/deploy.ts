/**
 * `deploy` (Orca's ParallelDeployStage): one new server group per entry of `clusters`, each with
 * its deployment strategy. The plan is the strategy's steps in Spinnaker's exact order
 * (reference/spinnaker.md §1.5); with several clusters the steps are prefixed `cluster0.`,
 * `cluster1.`... Rollback on failure (`rollback.onFailure`) is decided by the runtime from the
 * step that failed and runs inside that step (it keeps polling until the rollback is done, then
 * fails), so it has no step of its own; every step that waits on the world budgets polls for the
 * health timeout (`waitForHealthyTimeoutSec`) plus a rollback. The runtime: core/stages/deploy.ts.
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
import { parseIsoDurationMinutes } from './kayenta-canary.ts';
import { parseCanaryStrategySettings } from '../../strategies/canary.ts';
import { planDeploy, type StrategyRequest } from '../../strategies/deploy-strategies.ts';
import { bindDeployTasks, RUN_ONCE_TASKS, taskOrder, type TaskBinding } from '../../strategies/deploy-tasks.ts';

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
  /**
   * How long a step may wait for instances to be Up (the new server group, each rolling step)
   * before the deploy fails and `rollback.onFailure` applies. Gennaker's field: Orca bounds it
   * by the stage timeout instead. @default 600
   */
  readonly waitForHealthyTimeoutSec?: number;
}

export interface DeployConfig {
  readonly clusters: readonly DeployClusterConfig[];
}

export type DeployStage = StageBase<'deploy', DeployConfig>;

function normalizeStrategy(value: unknown): DeployStrategy {
  return typeof value === 'string' && (DEPLOY_STRATEGIES as readonly string[]).includes(value) ? (value as DeployStrategy) : 'none';
}

const seconds = () => optional(numberOrExpression('a number of seconds', { min: 0 }));

/** The fields of one `clusters[]` entry; cloneServerGroup takes the same ones at its top level. */
export const deployClusterFields = {
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
  waitForHealthyTimeoutSec: optional(plainNumber('a number of seconds', { min: 1 })),
};

const clusterSchema: z.ZodType<DeployClusterConfig> = z.looseObject(deployClusterFields);

/** Parses one evaluated `clusters[]` entry (the runtime reads the context as evaluated at stage start). */
export function parseDeployCluster(raw: unknown): { ok: true; cluster: DeployClusterConfig } | { ok: false; message: string } {
  const parsed = clusterSchema.safeParse(raw);
  if (parsed.success) return { ok: true, cluster: parsed.data };
  const issue = parsed.error.issues[0];
  const at = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, message: `${at}${issue?.message ?? 'not a cluster'}` };
}

/** Orca's waitForUpInstances gives up after its stage timeout; Gennaker's per-step default. */
export const DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC = 600;

/** Polls a failed step may still take to roll back (enable, disable, destroy, unpin: each one or two looks). */
export const ROLLBACK_POLLS = 20;

/**
 * Seconds between two looks at a deploy step waiting for the world: every second at first (a
 * local instance is Up in well under a second, and the wall time of a deploy is the figure that
 * matters), then 10% of the time waited so far, at most 10 s (Orca's waitForUpInstances backoff).
 */
export function deployPollSeconds(elapsedMs: number): number {
  return Math.min(10, Math.max(1, Math.ceil(elapsedMs / 10_000)));
}

/** Calls a step polled with deployPollSeconds makes in `seconds`, counting the first. */
export function pollsToCover(seconds: number): number {
  let elapsedMs = 0;
  let polls = 1;
  while (elapsedMs < seconds * 1000) {
    elapsedMs += deployPollSeconds(elapsedMs) * 1000;
    polls += 1;
  }
  return polls;
}

/** Locations a cluster names statically (availabilityZones keys, regions); at least 1. */
function staticLocationCount(cluster: DeployClusterConfig): number {
  const raw = cluster as unknown as Record<string, unknown>;
  const zones = raw.availabilityZones;
  if (zones !== null && typeof zones === 'object' && !Array.isArray(zones)) return Math.max(1, Object.keys(zones).length);
  if (Array.isArray(raw.regions)) return Math.max(1, raw.regions.length);
  return 1;
}

/**
 * The poll budget of a step that waits for instances (or drains, destroys, resizes): the health
 * timeout in every location, plus what a rollback may take.
 */
export function healthPolls(cluster: DeployClusterConfig): number {
  return pollsToCover(cluster.waitForHealthyTimeoutSec ?? DEFAULT_WAIT_FOR_HEALTHY_TIMEOUT_SEC) * staticLocationCount(cluster) + ROLLBACK_POLLS;
}

const schema: z.ZodType<DeployConfig> = z.looseObject({
  clusters: z.array(clusterSchema, {
    error: (issue) => (issue.input == null ? 'add at least one cluster to deploy' : `expected a list of clusters, got ${showValue(issue.input)}`),
  }),
});

/**
 * Polls of a canary deploy's analysis: one per interval end plus retries (as kayentaCanary
 * budgets); the default budget when the lifetime is not known before the stage runs.
 */
export function canaryAnalysisPolls(cluster: DeployClusterConfig): number {
  const canary = (cluster as unknown as Record<string, unknown>).canary;
  const fields = canary !== null && typeof canary === 'object' ? (canary as Record<string, unknown>) : {};
  const lifetime = typeof fields.lifetimeDuration === 'string' ? parseIsoDurationMinutes(fields.lifetimeDuration) : undefined;
  const interval = typeof fields.canaryAnalysisIntervalMins === 'number' ? fields.canaryAnalysisIntervalMins : undefined;
  if (lifetime === undefined || lifetime <= 0) return 100;
  const effective = interval === undefined || interval <= 0 || interval > lifetime ? lifetime : interval;
  return Math.max(1, Math.floor(lifetime / effective + 1e-9)) * 6 + 1;
}

/** A server group for the compiler's plan: a cluster with a source, so every cleanup step is planned. */
const SYMBOLIC_SOURCE = { name: 'app-v000', cluster: 'app', account: 'account', location: 'location', createdTime: 0, capacity: { min: 1, max: 1, desired: 1 }, disabled: false, instances: [] };

/** A delay as the compiler's plan sees it: a template will be some number of seconds, so its wait is planned. */
function symbolicDelay(delay: number | Expression | undefined): number | undefined {
  return typeof delay === 'string' ? 1 : delay;
}

/**
 * The strategy's steps for a cluster that has a source server group, bound to their tasks with
 * the runtime's own table (core/strategies/deploy-tasks.ts): the compiled task list is derived
 * from the planners, never written a second time.
 */
function symbolicTasks(cluster: DeployClusterConfig): TaskBinding[] {
  const state = { account: 'account', location: 'location', cluster: 'app', serverGroups: [SYMBOLIC_SOURCE] };
  const strategy = cluster.strategy === 'canary' ? 'none' : cluster.strategy;
  const request: StrategyRequest =
    strategy === 'custom'
      ? { strategy, application: 'app', strategyApplication: cluster.strategyApplication ?? 'app', strategyPipeline: cluster.strategyPipeline ?? 'pipeline', parentPipelineId: 'execution', parentStageId: 'stage' }
      : {
          strategy,
          capacity: { min: 1, max: 1, desired: 1 },
          ...(cluster.maxRemainingAsgs !== undefined ? { maxRemainingAsgs: cluster.maxRemainingAsgs } : {}),
          scaleDown: cluster.scaleDown,
          ...optionalSeconds('delayBeforeDisableSec', symbolicDelay(cluster.delayBeforeDisableSec)),
          ...optionalSeconds('delayBeforeCleanup', symbolicDelay(cluster.delayBeforeCleanup)),
          ...optionalSeconds('delayBeforeScaleDownSec', symbolicDelay(cluster.delayBeforeScaleDownSec)),
          targetPercentages: cluster.targetPercentages,
          ...(cluster.pipelineBeforeCleanup ? { pipelineBeforeCleanup: cluster.pipelineBeforeCleanup } : {}),
        };
  const planned = planDeploy(state, request);
  if (!planned.ok) return [];
  return bindDeployTasks(strategy, planned.steps, cluster.targetPercentages);
}

function optionalSeconds<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** The steps of one cluster's deploy, in Spinnaker's order for its strategy (see symbolicTasks). */
export function planCluster(cluster: DeployClusterConfig): TaskStep[] {
  const maxPolls = healthPolls(cluster);
  if (cluster.strategy === 'canary') {
    // Baseline and canary beside production, analysed, then promoted or rolled back
    // (core/strategies/canary.ts, core/stages/canary-deploy.ts).
    return [
      { name: 'deployCanaryServerGroups', kind: 'poll', maxPolls },
      { name: 'runCanaryAnalysis', kind: 'poll', maxPolls: canaryAnalysisPolls(cluster) },
      { name: 'finishCanary', kind: 'poll', maxPolls },
    ];
  }
  const rolling = cluster.strategy === 'rollingredblack';
  // Rolling red/black's scale down runs its own delay (Orca adds no separate wait stage there).
  const scaleDownDelay = cluster.delayBeforeScaleDownSec;
  const rollingScaleDownPolls = typeof scaleDownDelay === 'number' ? pollsForSeconds(scaleDownDelay) : scaleDownDelay === undefined ? 0 : 100;
  const delayPolls = (delay: number | Expression | undefined): TaskStep['maxPolls'] => (typeof delay === 'number' ? pollsForSeconds(delay) : undefined);
  return taskOrder(symbolicTasks(cluster)).map((name): TaskStep => {
    if (RUN_ONCE_TASKS.has(name)) return { name, kind: 'run' };
    const step = (polls: number | undefined): TaskStep => (polls === undefined ? { name, kind: 'poll' } : { name, kind: 'poll', maxPolls: polls });
    if (name === 'monitorStrategyPipeline') return step(undefined);
    // A validation pipeline polls like a child pipeline (about 100 polls span 8 h), then may roll back.
    if (name.startsWith('validate')) return step(100 + ROLLBACK_POLLS);
    if (name === 'waitBeforeDisable') return step(delayPolls(cluster.delayBeforeCleanup || cluster.delayBeforeDisableSec));
    if (name.startsWith('waitBeforeDisable')) return step(delayPolls(cluster.delayBeforeCleanup));
    if (name === 'waitBeforeScaleDown') return step(delayPolls(cluster.delayBeforeScaleDownSec));
    if (name === 'scaleDownCluster' && rolling) return step(maxPolls + rollingScaleDownPolls);
    // Every step that waits on the world may time out waiting for health, then roll back.
    return step(maxPolls);
  });
}

/**
 * The checks of one cluster entry at `path` (`['clusters', 0]`, or `[]` for cloneServerGroup's
 * top-level fields): capacity, the strategy and its fields.
 */
export function checkDeployCluster(cluster: DeployClusterConfig, raw: unknown, path: readonly (string | number)[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [...checkCapacity(cluster.capacity, [...path, 'capacity'])];
  // `clusters[0].` in messages; nothing for top-level fields.
  const where = path.map((part) => (typeof part === 'number' ? `[${part}]` : part)).join('') + (path.length === 0 ? '' : '.');
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
  if (cluster.strategy === 'canary') {
    const rawCanary = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).canary : undefined;
    const templated = JSON.stringify(rawCanary ?? null).includes('${');
    const read = templated ? undefined : parseCanaryStrategySettings(rawCanary, `${where}canary`);
    if (read && !read.ok) issues.push(error([...path, 'canary'], 'invalid-value', read.message));
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
    return config.clusters.flatMap((cluster, index) => checkDeployCluster(cluster, rawClusters[index], ['clusters', index]));
  },
});
