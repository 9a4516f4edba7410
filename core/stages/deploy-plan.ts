/**
 * The pure half of the `deploy` stage: reading one `clusters[]` entry as evaluated at stage start
 * into what the strategy planners and the DeployTarget need, and binding each planned step to the
 * task (the compiled step) that runs it. core/stages/deploy.ts does the I/O.
 *
 * What a cluster entry may hold (Spinnaker's deploy stage context, plus the local target's fields):
 * - `account` (or `credentials`), `cloudProvider` | `provider`; `application` (default: the
 *   execution's), `stack`, `freeFormDetails` → the Frigga cluster name;
 * - the locations: `availabilityZones` keys (`{"us-east-1": [...]}`), else `regions`, else `region`;
 * - `capacity {min, max, desired}` (min and max default to desired);
 * - the strategy fields (core/pipeline/stage-types/deploy.ts), `targetHealthyDeployPercentage`,
 *   `waitForHealthyTimeoutSec`;
 * - what to run: `artifact {type, reference, name?, version?}` (for the local target a
 *   `directory` or a `git` reference), else the `artifact` of the nearest ancestor stage's
 *   `deploymentDetails[]` entry for the location (what a bake or findImage stage outputs);
 * - for targets that run processes: `env` (strings), `command` (argv), `healthCheck {path,
 *   intervalMs, timeoutMs, unhealthyThreshold}`.
 */
import { clusterName, validateNameParts } from '../deploy/names.ts';
import type { ArtifactReference, Capacity } from '../deploy/model.ts';
import type { DeployClusterConfig } from '../pipeline/stage-types/deploy.ts';
import type { HealthCheckSettings } from '../ports/deploy-target.ts';
import type { JsonObject, StageRecord } from '../ports/execution-store.ts';
import { rollingPercentages, type StrategyName, type StrategyRequest } from '../strategies/deploy-strategies.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { ancestorsOf } from './evaluation-context.ts';
import { numberFrom } from './task-result.ts';

/** A planned step, bound to its location and to the compiled step (task) that runs it. */
export interface TaskStepBinding {
  /** The task that starts the step (and, unless `awaitTask`, waits for it). */
  readonly task: string;
  /** A later task that waits for the step (the custom strategy's monitorStrategyPipeline). */
  readonly awaitTask?: string;
  readonly location: string;
  readonly step: DeployStep;
  /** Part of the rollback of a failed deploy. */
  readonly rollback?: boolean;
}

/** What the deploy of one cluster needs, read from its evaluated entry. */
export interface ClusterSettings {
  readonly account: string;
  readonly cloudProvider?: string;
  readonly application: string;
  readonly cluster: string;
  readonly locations: readonly string[];
  readonly capacity: Capacity;
  readonly env?: Readonly<Record<string, string>>;
  readonly command?: readonly string[];
  readonly healthCheck?: HealthCheckSettings;
  readonly targetHealthyDeployPercentage?: number;
}

type Read<T> = { ok: true; value: T } | { ok: false; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The locations of a cluster entry: availabilityZones keys, else regions, else region. */
export function locationsOf(raw: Readonly<Record<string, unknown>>): string[] {
  if (isObject(raw.availabilityZones)) return Object.keys(raw.availabilityZones).filter((key) => key.trim() !== '');
  if (Array.isArray(raw.regions)) return raw.regions.filter((region): region is string => text(region) !== undefined);
  const region = text(raw.region);
  return region === undefined ? [] : [region];
}

function capacityOf(config: DeployClusterConfig, at: string): Read<Capacity> {
  const desired = numberFrom(config.capacity.desired);
  if (desired === undefined) {
    return { ok: false, message: `${at}.capacity.desired is ${JSON.stringify(config.capacity.desired)}; set capacity, e.g. {"min": 1, "max": 3, "desired": 2}` };
  }
  const min = config.capacity.min === undefined ? desired : numberFrom(config.capacity.min);
  const max = config.capacity.max === undefined ? desired : numberFrom(config.capacity.max);
  if (min === undefined || max === undefined) {
    const field = min === undefined ? 'min' : 'max';
    return { ok: false, message: `${at}.capacity.${field} is ${JSON.stringify(config.capacity[field])} after evaluation; set a whole number` };
  }
  if (!(min <= desired && desired <= max)) return { ok: false, message: `${at}.capacity ${JSON.stringify({ min, max, desired })} is inconsistent; use min ≤ desired ≤ max` };
  return { ok: true, value: { min, max, desired } };
}

function envOf(raw: Readonly<Record<string, unknown>>, at: string): Read<Record<string, string> | undefined> {
  if (raw.env === undefined) return { ok: true, value: undefined };
  if (!isObject(raw.env)) return { ok: false, message: `${at}.env is ${JSON.stringify(raw.env)}; set an object of environment variables, e.g. {"LOG_LEVEL": "info"}` };
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw.env)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      return { ok: false, message: `${at}.env.${key} is ${JSON.stringify(value)}; environment variables are strings` };
    }
    env[key] = String(value);
  }
  return { ok: true, value: env };
}

function commandOf(raw: Readonly<Record<string, unknown>>, at: string): Read<string[] | undefined> {
  if (raw.command === undefined) return { ok: true, value: undefined };
  if (!Array.isArray(raw.command) || raw.command.length === 0 || !raw.command.every((part) => typeof part === 'string')) {
    return { ok: false, message: `${at}.command is ${JSON.stringify(raw.command)}; set an argv list, e.g. ["node", "server.js"]` };
  }
  return { ok: true, value: raw.command as string[] };
}

function healthCheckOf(raw: Readonly<Record<string, unknown>>, at: string): Read<HealthCheckSettings | undefined> {
  if (raw.healthCheck === undefined) return { ok: true, value: undefined };
  if (!isObject(raw.healthCheck)) return { ok: false, message: `${at}.healthCheck is ${JSON.stringify(raw.healthCheck)}; set e.g. {"path": "/health"}` };
  const given = raw.healthCheck;
  const settings: { path?: string; intervalMs?: number; timeoutMs?: number; unhealthyThreshold?: number } = {};
  if (given.path !== undefined) {
    if (typeof given.path !== 'string' || !given.path.startsWith('/')) return { ok: false, message: `${at}.healthCheck.path is ${JSON.stringify(given.path)}; set a path such as "/health"` };
    settings.path = given.path;
  }
  for (const field of ['intervalMs', 'timeoutMs', 'unhealthyThreshold'] as const) {
    if (given[field] === undefined) continue;
    const value = numberFrom(given[field]);
    if (value === undefined || value <= 0) return { ok: false, message: `${at}.healthCheck.${field} is ${JSON.stringify(given[field])}; set a positive number` };
    settings[field] = value;
  }
  return { ok: true, value: settings };
}

/**
 * Everything but the strategy fields of one evaluated cluster entry; `at` names it in messages
 * (`clusters[0]`), `defaultApplication` is the execution's application.
 */
export function readClusterSettings(config: DeployClusterConfig, raw: Readonly<Record<string, unknown>>, at: string, defaultApplication: string): Read<ClusterSettings> {
  const account = text(config.account) ?? text(raw.credentials);
  if (account === undefined) return { ok: false, message: `${at}.account is ${JSON.stringify(config.account)}; set the account to deploy to, e.g. "local"` };
  const application = text(config.application) ?? defaultApplication;
  const named = validateNameParts({ application, ...(config.stack !== undefined ? { stack: config.stack } : {}), ...(config.freeFormDetails !== undefined ? { detail: config.freeFormDetails } : {}) });
  if (named.length > 0) return { ok: false, message: `${at}: ${named[0]!.message}` };
  const locations = locationsOf(raw);
  if (locations.length === 0) return { ok: false, message: `${at} names no location to deploy to; set availabilityZones, e.g. {"local": []}, or region` };
  const capacity = capacityOf(config, at);
  if (!capacity.ok) return capacity;
  const env = envOf(raw, at);
  if (!env.ok) return env;
  const command = commandOf(raw, at);
  if (!command.ok) return command;
  const healthCheck = healthCheckOf(raw, at);
  if (!healthCheck.ok) return healthCheck;
  const healthy = raw.targetHealthyDeployPercentage === undefined ? undefined : numberFrom(raw.targetHealthyDeployPercentage);
  if (raw.targetHealthyDeployPercentage !== undefined && (healthy === undefined || healthy < 0 || healthy > 100)) {
    return { ok: false, message: `${at}.targetHealthyDeployPercentage is ${JSON.stringify(raw.targetHealthyDeployPercentage)}; set a percentage between 0 and 100` };
  }
  const cloudProvider = text(config.cloudProvider) ?? text(config.provider);
  return {
    ok: true,
    value: {
      account,
      ...(cloudProvider !== undefined ? { cloudProvider } : {}),
      application,
      cluster: clusterName(application, config.stack, config.freeFormDetails),
      locations,
      capacity: capacity.value,
      ...(env.value ? { env: env.value } : {}),
      ...(command.value ? { command: command.value } : {}),
      ...(healthCheck.value ? { healthCheck: healthCheck.value } : {}),
      ...(healthy !== undefined ? { targetHealthyDeployPercentage: healthy } : {}),
    },
  };
}

function artifactFrom(value: unknown): ArtifactReference | undefined {
  if (!isObject(value)) return undefined;
  const type = text(value.type);
  const reference = text(value.reference);
  if (type === undefined || reference === undefined) return undefined;
  const name = text(value.name);
  const version = text(value.version);
  return { type, reference, ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}) };
}

/**
 * What the new server group in `location` runs: the entry's `artifact`, else the `artifact` of
 * the nearest ancestor's `deploymentDetails[]` entry whose `region` is the location (or unset).
 */
export function resolveArtifact(raw: Readonly<Record<string, unknown>>, location: string, at: string, stage: StageRecord, stages: readonly StageRecord[]): Read<ArtifactReference> {
  if (raw.artifact !== undefined) {
    const artifact = artifactFrom(raw.artifact);
    if (artifact) return { ok: true, value: artifact };
    return { ok: false, message: `${at}.artifact is ${JSON.stringify(raw.artifact)}; set {"type": "directory", "reference": "<path>"} (type and reference are required)` };
  }
  for (const ancestor of ancestorsOf(stage, stages)) {
    const details = ancestor.outputs.deploymentDetails;
    if (!Array.isArray(details)) continue;
    for (const detail of details) {
      if (!isObject(detail)) continue;
      const region = text(detail.region);
      const artifact = artifactFrom(detail.artifact);
      if (artifact && (region === undefined || region === location)) return { ok: true, value: artifact };
    }
  }
  return {
    ok: false,
    message: `${at} has no artifact to deploy in ${location}; set artifact, e.g. {"type": "directory", "reference": "examples/service"}, or run a bake or findImage stage before this one`,
  };
}

/** The strategy request of one cluster entry, with expressions evaluated; custom needs the parent ids. */
export function strategyRequestOf(
  config: DeployClusterConfig,
  settings: ClusterSettings,
  parent: { readonly executionId: string; readonly stageId: string },
): StrategyRequest | { readonly unsupported: string } {
  const strategy = config.strategy;
  if (strategy === 'canary') return { unsupported: 'canary' };
  if (strategy === 'custom') {
    return {
      strategy: 'custom',
      application: settings.application,
      strategyApplication: config.strategyApplication ?? settings.application,
      strategyPipeline: config.strategyPipeline ?? '',
      pipelineParameters: config.pipelineParameters,
      parentPipelineId: parent.executionId,
      parentStageId: parent.stageId,
    };
  }
  const seconds = (value: unknown) => numberFrom(value);
  const delayBeforeDisableSec = seconds(config.delayBeforeDisableSec);
  const delayBeforeCleanup = seconds(config.delayBeforeCleanup);
  const delayBeforeScaleDownSec = seconds(config.delayBeforeScaleDownSec);
  return {
    strategy,
    capacity: settings.capacity,
    ...(settings.targetHealthyDeployPercentage !== undefined ? { targetHealthyDeployPercentage: settings.targetHealthyDeployPercentage } : {}),
    ...(config.maxRemainingAsgs !== undefined ? { maxRemainingAsgs: config.maxRemainingAsgs } : {}),
    scaleDown: config.scaleDown,
    ...(delayBeforeDisableSec !== undefined ? { delayBeforeDisableSec } : {}),
    ...(delayBeforeCleanup !== undefined ? { delayBeforeCleanup } : {}),
    ...(delayBeforeScaleDownSec !== undefined ? { delayBeforeScaleDownSec } : {}),
    allowDeleteActive: config.allowDeleteActive,
    allowScaleDownActive: config.allowScaleDownActive,
    targetPercentages: config.targetPercentages,
    ...(config.pipelineBeforeCleanup ? { pipelineBeforeCleanup: config.pipelineBeforeCleanup } : {}),
  };
}

/**
 * Binds each planned step to the compiled task that runs it (core/pipeline/stage-types/deploy.ts
 * names them): the plan is Spinnaker's order, the tasks are the state machine's. Rolling
 * red/black's k-th resize, its waits, validation and disable belong to the k-th percentage; its
 * wait before scale down runs inside `scaleDownCluster`; the zero-capacity health wait after its
 * create is part of `createServerGroup`.
 */
export function bindSteps(strategy: StrategyName, steps: readonly DeployStep[], targetPercentages: readonly number[], location: string): TaskStepBinding[] {
  const percentages = rollingPercentages(targetPercentages);
  let resizes = 0;
  let percent = percentages[0] ?? 100;
  const bind = (task: string, step: DeployStep, awaitTask?: string): TaskStepBinding => ({ task, location, step, ...(awaitTask !== undefined ? { awaitTask } : {}) });
  return steps.map((step): TaskStepBinding => {
    switch (step.kind) {
      case 'createServerGroup':
        return bind('createServerGroup', step);
      case 'waitForHealthy':
        return bind(strategy === 'rollingredblack' ? 'createServerGroup' : 'waitForUpInstances', step);
      case 'shrinkCluster':
      case 'disableCluster':
      case 'scaleDownCluster':
        return bind(step.kind, step);
      case 'pinServerGroup':
        return bind('pinSourceServerGroup', step);
      case 'unpinServerGroup':
        return bind('unpinSourceServerGroup', step);
      case 'resizeServerGroup':
        percent = percentages[resizes] ?? 100;
        resizes += 1;
        return bind(`resizeTo${percent}Percent`, step);
      case 'disableServerGroup':
        return bind(`disableSource${percent}Percent`, step);
      case 'runPipeline':
        return strategy === 'custom' ? bind('startStrategyPipeline', step, 'monitorStrategyPipeline') : bind(`validate${percent}Percent`, step);
      case 'wait':
        if (step.label === 'Wait Before Scale Down') return bind(strategy === 'rollingredblack' ? 'scaleDownCluster' : 'waitBeforeScaleDown', step);
        return bind(strategy === 'rollingredblack' ? `waitBeforeDisable${percent}Percent` : 'waitBeforeDisable', step);
      case 'enableServerGroup':
      case 'destroyServerGroup':
      case 'captureCapacity':
        // No strategy plans these directly; a rollback binds its own steps.
        return bind(`unplanned:${step.kind}`, step);
      default: {
        const unreachable: never = step;
        return unreachable;
      }
    }
  });
}

/** Orders bindings by the compiled task order (stable: locations keep their order within a task). */
export function orderByTasks(bindings: readonly TaskStepBinding[], taskOrder: readonly string[]): TaskStepBinding[] {
  const rank = (binding: TaskStepBinding) => taskOrder.indexOf(binding.task);
  return [...bindings].sort((a, b) => rank(a) - rank(b));
}

/** The first binding whose task the compiled plan lacks (a planner and the plan disagree). */
export function unplannedBinding(bindings: readonly TaskStepBinding[], taskOrder: readonly string[]): TaskStepBinding | undefined {
  return bindings.find((binding) => !taskOrder.includes(binding.task) || (binding.awaitTask !== undefined && !taskOrder.includes(binding.awaitTask)));
}

/** A binding list as runtime JSON. */
export function bindingsToJson(bindings: readonly TaskStepBinding[]): JsonObject[] {
  return bindings.map((binding) => ({ ...binding, step: { ...binding.step } }) as unknown as JsonObject);
}

/** What a rollback step did, for the failure message. */
export function describeRollbackStep(binding: TaskStepBinding): string {
  const { step, location } = binding;
  switch (step.kind) {
    case 'enableServerGroup':
      return `enabled ${step.serverGroup} in ${location}`;
    case 'disableServerGroup':
      return `disabled ${step.serverGroup} in ${location}`;
    case 'destroyServerGroup':
      return `destroyed ${step.serverGroup} in ${location}`;
    case 'unpinServerGroup':
      return `unpinned ${step.serverGroup} in ${location}`;
    case 'resizeServerGroup':
      return `resized ${step.serverGroup} in ${location}`;
    default:
      return `${step.kind} in ${location}`;
  }
}
