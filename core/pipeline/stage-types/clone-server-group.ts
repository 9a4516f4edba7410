/**
 * `cloneServerGroup` (Orca's CloneServerGroupStage, an AbstractDeployStrategyStage): a new server
 * group made from an existing one's settings, with the stage's fields overriding them, then the
 * same strategy steps as a deploy. The fields are a deploy cluster's, at the stage's top level as
 * Deck writes them, plus where the source is:
 * - `source {account, region, serverGroupName | asgName, useSourceCapacity}` names it;
 * - else `targetCluster` + `target` (current_asg_dynamic...) pick it in that cluster when the stage runs;
 * - else it is the newest server group of the new server group's own cluster (Orca's SourceResolver).
 *
 * The account is `credentials` (or `account`); the location `region`, `regions` or
 * `availabilityZones`, else the source's region. `useSourceCapacity` (or `source.useSourceCapacity`)
 * copies the source's capacity; without `capacity` the source's is used too. `disableTraffic`
 * creates it out of traffic. The plan is deploy's,
 * its create task named `cloneServerGroup` as in Orca. The runtime: core/stages/clone-server-group.ts.
 */
import { z } from 'zod';
import type { StageBase, TaskStep } from '../model.ts';
import { anyText, flag, oneOf, optional, text, withDefault } from '../fields.ts';
import type { RawObject } from '../model.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error, warning } from './definition.ts';
import { checkDeployCluster, deployClusterFields, planCluster, type DeployClusterConfig } from './deploy.ts';
import { SERVER_GROUP_TARGETS, type ServerGroupTarget } from './server-group-target.ts';

/** Where the server group to copy is, as Orca's StageData.Source. */
export interface CloneSource {
  readonly account?: string;
  readonly region?: string;
  readonly asgName?: string;
  readonly serverGroupName?: string;
  readonly useSourceCapacity?: boolean;
}

export interface CloneServerGroupConfig extends Omit<DeployClusterConfig, 'account'> {
  readonly account?: string;
  readonly credentials?: string;
  readonly region?: string;
  readonly targetCluster?: string;
  readonly target?: ServerGroupTarget;
  readonly source?: CloneSource;
  readonly useSourceCapacity: boolean;
  /** Create the new server group out of traffic (Deck's "Disable traffic"). @default false */
  readonly disableTraffic: boolean;
}

export type CloneServerGroupStage = StageBase<'cloneServerGroup', CloneServerGroupConfig>;

/** The create task's name in a clone (Orca's), where a deploy has `createServerGroup`. */
export const CLONE_TASK = 'cloneServerGroup';

/** A deploy task's name in a clone. */
export function cloneTaskName(deployTask: string): string {
  return deployTask === 'createServerGroup' ? CLONE_TASK : deployTask;
}

/** A clone task's name in a deploy (the strategy tables speak of createServerGroup). */
export function deployTaskName(cloneTask: string): string {
  return cloneTask === CLONE_TASK ? 'createServerGroup' : cloneTask;
}

const sourceSchema: z.ZodType<CloneSource> = z.looseObject({
  account: optional(anyText('the account of the source server group')),
  region: optional(anyText('the region of the source server group')),
  asgName: optional(anyText("the source server group's name, e.g. 'hello-prod-v003'")),
  serverGroupName: optional(anyText("the source server group's name, e.g. 'hello-prod-v003'")),
  useSourceCapacity: optional(flag()),
});

const schema: z.ZodType<CloneServerGroupConfig> = z.looseObject({
  ...deployClusterFields,
  account: optional(anyText('the account to clone in')),
  credentials: optional(anyText('the account to clone in')),
  region: optional(anyText('a region')),
  targetCluster: optional(text("the cluster whose server group is cloned, e.g. 'hello-prod'")),
  target: optional(oneOf(SERVER_GROUP_TARGETS, 'which server group of targetCluster to clone')),
  source: optional(sourceSchema),
  useSourceCapacity: withDefault(flag(), false),
  disableTraffic: withDefault(flag(), false),
});

const blank = (value: unknown) => typeof value !== 'string' || value.trim() === '';

/** The clone's fields as a deploy cluster entry, for the deploy's planners. */
export function asDeployCluster(config: CloneServerGroupConfig): DeployClusterConfig {
  return { ...config, account: config.account ?? config.credentials ?? '', strategy: config.strategy === 'canary' ? 'none' : config.strategy };
}

/** The compiled tasks: a deploy's for the strategy, its create task named cloneServerGroup. */
export function planClone(config: CloneServerGroupConfig): TaskStep[] {
  return planCluster(asDeployCluster(config)).map((step) => ({ ...step, name: cloneTaskName(step.name) }));
}

function checkClone(config: CloneServerGroupConfig, raw: RawObject): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (blank(config.credentials) && blank(config.account)) {
    issues.push(error(['credentials'], 'required', "'credentials' is required; add the account to clone in, e.g. \"local\""));
  }
  const zones = raw.availabilityZones;
  const hasZones = zones !== null && typeof zones === 'object' && !Array.isArray(zones) && Object.keys(zones).length > 0;
  const hasRegions = Array.isArray(raw.regions) && raw.regions.length > 0;
  if (blank(config.region) && !hasZones && !hasRegions && blank(config.source?.region)) {
    issues.push(error(['region'], 'required', "'region' is required; add the region to clone in, e.g. \"us-east-1\" (or availabilityZones, or source.region)"));
  }
  if (config.targetCluster !== undefined && config.target === undefined && blank(config.source?.serverGroupName) && blank(config.source?.asgName)) {
    issues.push(error(['target'], 'required', "'target' is required with targetCluster; add current_asg_dynamic (newest), ancestor_asg_dynamic (previous) or oldest_asg_dynamic (oldest)"));
  }
  if (config.strategy === 'canary') {
    issues.push(error(['strategy'], 'invalid-value', "strategy 'canary' is not supported by cloneServerGroup; use redblack, rollingredblack, highlander, custom or none, or a deploy stage for a canary"));
  }
  if (config.disableTraffic && (config.strategy === 'redblack' || config.strategy === 'highlander' || config.strategy === 'rollingredblack')) {
    issues.push(
      warning(
        ['disableTraffic'],
        'invalid-value',
        `disableTraffic creates the clone out of traffic, and the ${config.strategy} strategy then takes the other server groups out too, so the cluster would serve nothing; use strategy none, or set disableTraffic to false`,
      ),
    );
  }
  // Without capacity the source's is used: only a capacity that is given is checked.
  const capacity = raw.capacity;
  const hasCapacity = capacity !== undefined && capacity !== null && !(typeof capacity === 'object' && Object.keys(capacity).length === 0);
  const strategyIssues = checkDeployCluster(asDeployCluster(config), raw, []).filter((issue) => hasCapacity || issue.path[0] !== 'capacity');
  return [...issues, ...strategyIssues];
}

export const cloneServerGroupStageType = defineStageType({
  type: 'cloneServerGroup',
  description: 'Creates a new server group from an existing one, with overrides, then runs a deploy strategy (red/black, rolling red/black, highlander, custom, none).',
  schema,
  expressionFields: ['capacity', 'source.serverGroupName', 'targetCluster', 'delayBeforeCleanup', 'delayBeforeScaleDownSec'],
  plan: (stage) => planClone(stage.config),
  check: (config, raw) => checkClone(config, raw),
});

/** Parses the stage's context as evaluated at stage start (the runtime reads its values, expressions done). */
export function parseCloneConfig(raw: unknown): { ok: true; config: CloneServerGroupConfig } | { ok: false; message: string } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issue = parsed.error.issues[0];
  const at = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, message: `${at}${issue?.message ?? 'not a cloneServerGroup stage'}` };
}
