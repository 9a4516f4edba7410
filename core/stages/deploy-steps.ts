/**
 * Running DeployStep values (core/strategies) through the DeployTarget port, for the
 * server-group and cluster stages. A step is started once (`startStep`: the traffic guard check
 * against the cluster as it is now, then the port call) and then polled (`stepReached`: does a
 * fresh describeCluster show its target state?). Starting and polling are separate so no call
 * ever waits for a cloud: the runner's poll steps answer RUNNING between two looks.
 *
 * What a stage acts on is read from its context as evaluated at stage start (Orca's
 * `credentials`, `cloudProvider`, `cluster`, `regions` | `region` | `zones`), so expressions in
 * those fields work as they do in Spinnaker.
 */
import type { ClusterState, ServerGroup } from '../deploy/model.ts';
import { findServerGroup } from '../deploy/model.ts';
import { parseServerGroupName } from '../deploy/names.ts';
import { checkStep, type TrafficGuardRule } from '../deploy/traffic-guards.ts';
import type { ClusterRef, DeployTarget, DeployTargetLookup } from '../ports/deploy-target.ts';
import type { ApplicationStore, JsonObject } from '../ports/execution-store.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { DEFAULT_TARGET_HEALTHY_PERCENTAGE } from '../strategies/steps.ts';
import { backoffSeconds } from './polling.ts';
import { numberFrom, type TaskInput } from './task-result.ts';

/** What the server-group and cluster tasks need, handed in by the runner. */
export interface DeployTaskDeps {
  readonly targets: DeployTargetLookup;
  /** Where the application's traffic guards are read (`trafficGuards` of its record). */
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
}

/** A step bound to the location it runs in: what the tasks keep in the stage's runtime. */
export interface LocatedStep {
  readonly location: string;
  readonly step: DeployStep;
}

export type Outcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Where a stage acts: one account, one cluster, one or more locations. */
export interface StageScope {
  readonly account: string;
  readonly cloudProvider?: string;
  /** From `cluster`, or from `serverGroupName` (its Frigga cluster) when the stage names only that. */
  readonly cluster: string;
  readonly locations: readonly string[];
}

function textAt(context: JsonObject, key: string): string | undefined {
  const value = context[key];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function textsAt(context: JsonObject, key: string): string[] {
  const value = context[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.trim() !== '') : [];
}

/**
 * The account, cluster and locations of a stage from its evaluated context; the cluster of a
 * stage that names only `serverGroupName` is that name's Frigga cluster.
 */
export function stageScope(input: TaskInput): { ok: true; scope: StageScope } | { ok: false; message: string } {
  const context = input.record.context;
  const name = input.stage.name;
  const account = textAt(context, 'credentials');
  if (account === undefined) return { ok: false, message: `stage '${name}': credentials is ${JSON.stringify(context.credentials)}; set it to the account to act in, e.g. "local"` };
  const regions = textsAt(context, 'regions');
  const region = textAt(context, 'region');
  const locations = regions.length > 0 ? regions : region !== undefined ? [region] : textsAt(context, 'zones');
  if (locations.length === 0) return { ok: false, message: `stage '${name}': no regions to act in; set regions, e.g. ["local"]` };
  const serverGroupName = textAt(context, 'serverGroupName');
  const cluster = textAt(context, 'cluster') ?? (serverGroupName === undefined ? undefined : parseServerGroupName(serverGroupName)?.cluster);
  if (cluster === undefined) {
    return { ok: false, message: `stage '${name}': cluster is ${JSON.stringify(context.cluster)}; set the cluster (e.g. "hello-prod") or a Frigga serverGroupName` };
  }
  const cloudProvider = textAt(context, 'cloudProvider');
  return { ok: true, scope: { account, cluster, locations, ...(cloudProvider !== undefined ? { cloudProvider } : {}) } };
}

/** The target serving the stage's account, or why there is none. */
export function targetFor(scope: StageScope, deps: DeployTaskDeps, stageName: string): { ok: true; target: DeployTarget } | { ok: false; message: string } {
  const target = deps.targets({ account: scope.account, ...(scope.cloudProvider !== undefined ? { cloudProvider: scope.cloudProvider } : {}) });
  if (target) return { ok: true, target };
  const provider = scope.cloudProvider === undefined ? '' : ` (cloudProvider ${scope.cloudProvider})`;
  return { ok: false, message: `stage '${stageName}': no deploy target serves account '${scope.account}'${provider}; check credentials, or configure the account` };
}

/** The application's traffic guards; none when the application has no record. */
export async function trafficGuardsOf(input: TaskInput, deps: DeployTaskDeps): Promise<readonly TrafficGuardRule[]> {
  const application = await deps.applications.getApplication(input.execution.application);
  return application?.trafficGuards ?? [];
}

/** The cluster in one location, as planners and guards read it. */
export async function describeState(target: DeployTarget, scope: StageScope, location: string): Promise<ClusterState> {
  const description = await target.describeCluster(clusterRef(scope, location));
  return { account: description.account, location: description.location, cluster: description.cluster, serverGroups: description.serverGroups };
}

export function clusterRef(scope: StageScope, location: string): ClusterRef {
  return { account: scope.account, location, cluster: scope.cluster };
}

function serverGroupRef(scope: StageScope, location: string, serverGroup: string) {
  return { account: scope.account, location, serverGroup };
}

function upCount(serverGroup: ServerGroup): number {
  return serverGroup.instances.filter((instance) => instance.health === 'Up').length;
}

function healthyEnough(serverGroup: ServerGroup, percentage: number | undefined): boolean {
  const needed = Math.ceil((serverGroup.capacity.desired * (percentage ?? DEFAULT_TARGET_HEALTHY_PERCENTAGE)) / 100);
  return upCount(serverGroup) >= needed;
}

/**
 * Starts one step: checks the traffic guards against `state` (the cluster now), then calls the
 * port. Steps that only wait or record (`wait`, `waitForHealthy`, `captureCapacity`) start as no-ops.
 */
export async function startStep(target: DeployTarget, scope: StageScope, located: LocatedStep, state: ClusterState, guards: readonly TrafficGuardRule[]): Promise<Outcome> {
  const { step, location } = located;
  const guard = checkStep(step, state, guards);
  if (!guard.ok) return guard;
  const portFailure = (result: { ok: true } | { ok: false; message: string }, what: string): Outcome =>
    result.ok ? { ok: true } : { ok: false, message: `${what} failed: ${result.message}` };
  switch (step.kind) {
    case 'enableServerGroup':
      return portFailure(await target.enableServerGroup(serverGroupRef(scope, location, step.serverGroup)), `enabling ${step.serverGroup} in ${location}`);
    case 'disableServerGroup':
      if (step.desiredPercentage !== undefined && step.desiredPercentage < 100) {
        if (!target.capabilities.partialDisable) {
          return { ok: false, message: `account '${scope.account}' cannot disable ${step.desiredPercentage}% of ${step.serverGroup}: its deploy target disables whole server groups; remove desiredPercentage` };
        }
        return portFailure(
          await target.disableServerGroup(serverGroupRef(scope, location, step.serverGroup), { desiredPercentage: step.desiredPercentage }),
          `disabling ${step.desiredPercentage}% of ${step.serverGroup} in ${location}`,
        );
      }
      return portFailure(await target.disableServerGroup(serverGroupRef(scope, location, step.serverGroup)), `disabling ${step.serverGroup} in ${location}`);
    case 'resizeServerGroup':
    case 'pinServerGroup':
      if (!target.capabilities.resize) return { ok: false, message: `account '${scope.account}' cannot resize server groups (its deploy target has no resize capability)` };
      return portFailure(await target.resizeServerGroup(serverGroupRef(scope, location, step.serverGroup), step.capacity), `resizing ${step.serverGroup} in ${location}`);
    case 'unpinServerGroup': {
      const current = findServerGroup(state, step.serverGroup);
      if (!current) return { ok: false, message: `unpinning ${step.serverGroup} in ${location} failed: it is no longer in cluster '${scope.cluster}'` };
      const capacity = { ...current.capacity, min: Math.min(step.min, current.capacity.desired) };
      return portFailure(await target.resizeServerGroup(serverGroupRef(scope, location, step.serverGroup), capacity), `unpinning ${step.serverGroup} in ${location}`);
    }
    case 'destroyServerGroup':
      return portFailure(await target.destroyServerGroup(serverGroupRef(scope, location, step.serverGroup)), `destroying ${step.serverGroup} in ${location}`);
    case 'waitForHealthy':
    case 'captureCapacity':
    case 'wait':
      return { ok: true };
    case 'createServerGroup':
    case 'runPipeline':
    case 'shrinkCluster':
    case 'disableCluster':
    case 'scaleDownCluster':
      // Server-group and cluster stages never plan these: cluster-wide steps are expanded first.
      return { ok: false, message: `a '${step.kind}' step cannot run inside a server-group or cluster stage` };
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

/** Whether the cluster shows the step's target state. `startedAt`: when the step started (for waits). */
export function stepReached(step: DeployStep, state: ClusterState, now: number, startedAt: number): boolean {
  const serverGroup = 'serverGroup' in step ? findServerGroup(state, step.serverGroup) : undefined;
  switch (step.kind) {
    case 'enableServerGroup':
      return serverGroup !== undefined && !serverGroup.disabled && healthyEnough(serverGroup, step.targetHealthyPercentage);
    case 'disableServerGroup':
      // Gone is out of traffic too.
      if (serverGroup === undefined || serverGroup.disabled) return true;
      if (step.desiredPercentage === undefined || step.desiredPercentage >= 100) return false;
      // A partial disable: that share of the instances (rounded up) is out of service.
      return serverGroup.instances.filter((instance) => instance.outOfService === true).length >= Math.ceil((serverGroup.instances.length * step.desiredPercentage) / 100);
    case 'resizeServerGroup':
    case 'pinServerGroup': {
      if (!serverGroup) return false;
      const { min, max, desired } = step.capacity;
      const matches = serverGroup.capacity.min === min && serverGroup.capacity.max === max && serverGroup.capacity.desired === desired;
      const healthy = step.kind === 'resizeServerGroup' ? step.targetHealthyPercentage : undefined;
      return matches && serverGroup.instances.length === desired && healthyEnough(serverGroup, healthy);
    }
    case 'unpinServerGroup':
      return serverGroup !== undefined && serverGroup.capacity.min === Math.min(step.min, serverGroup.capacity.desired);
    case 'destroyServerGroup':
      return serverGroup === undefined;
    case 'waitForHealthy':
      return serverGroup !== undefined && healthyEnough(serverGroup, step.targetHealthyPercentage);
    case 'wait':
      return now >= startedAt + step.seconds * 1000;
    case 'captureCapacity':
      return true;
    case 'createServerGroup':
    case 'runPipeline':
    case 'shrinkCluster':
    case 'disableCluster':
    case 'scaleDownCluster':
      return false;
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

/**
 * Why waiting for a step is pointless: the server group it waits to see enabled, resized or
 * healthy is gone (destroyed meanwhile). Undefined while waiting still makes sense.
 */
export function vanished(located: LocatedStep, state: ClusterState): string | undefined {
  const { step, location } = located;
  if (!('serverGroup' in step) || step.kind === 'destroyServerGroup' || step.kind === 'disableServerGroup' || step.kind === 'captureCapacity') return undefined;
  if (findServerGroup(state, step.serverGroup)) return undefined;
  return `${step.serverGroup} is no longer in cluster '${state.cluster}' in ${location}: it was destroyed while the stage waited for it`;
}

/** What the stage is waiting for, for the pipeline author (the context's `waitingFor`). */
export function describeStep(located: LocatedStep): string {
  const { step, location } = located;
  switch (step.kind) {
    case 'enableServerGroup':
      return `${step.serverGroup} in ${location} to be enabled with its instances Up`;
    case 'disableServerGroup':
      return `${step.serverGroup} in ${location} to be out of traffic`;
    case 'resizeServerGroup':
    case 'pinServerGroup':
      return `${step.serverGroup} in ${location} to run ${step.capacity.desired} instances, Up`;
    case 'unpinServerGroup':
      return `${step.serverGroup} in ${location} to have min ${step.min}`;
    case 'destroyServerGroup':
      return `${step.serverGroup} in ${location} to be destroyed`;
    case 'waitForHealthy':
      return `${step.serverGroup} in ${location} to be healthy`;
    case 'wait':
      return `${step.label} (${step.seconds} s) in ${location}`;
    default:
      return `${step.kind} in ${location}`;
  }
}

/** Seconds until the next look: Orca-like polling, backing off as the step takes longer. */
export function pollSeconds(now: number, startedAt: number): number {
  return backoffSeconds(now - startedAt);
}

/** Reads a step list kept in the runtime bag (written by the same tasks). */
export function locatedStepsAt(runtime: JsonObject, key: string): LocatedStep[] | undefined {
  const value = runtime[key];
  return Array.isArray(value) ? (value as unknown as LocatedStep[]) : undefined;
}

/** A step list as runtime JSON. */
export function toJson(steps: readonly LocatedStep[]): JsonObject[] {
  return steps.map((located) => ({ location: located.location, step: { ...located.step } as unknown as JsonObject }));
}

/** A number kept in the runtime bag. */
export function runtimeNumber(runtime: JsonObject, key: string): number | undefined {
  return numberFrom(runtime[key]);
}
