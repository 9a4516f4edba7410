/**
 * What every stage that acts on a cluster shares: where it acts (account, cluster, locations, read
 * from its context as evaluated at stage start, so expressions work as in Spinnaker), the target
 * serving that account, the application's traffic guards, and the step executor's dependencies.
 */
import { parseServerGroupName } from '../deploy/names.ts';
import type { TrafficGuardRule } from '../deploy/traffic-guards.ts';
import type { ApplicationStore, JsonObject } from '../ports/execution-store.ts';
import type { Target, TargetLookup } from '../ports/target.ts';
import type { StepExecutorDeps } from './step-executor.ts';
import type { TaskDeps, TaskInput } from './task-result.ts';

/** What the server-group and cluster tasks need, handed in by the runner. */
export interface DeployTaskDeps {
  readonly targets: TargetLookup;
  /** Where the application's traffic guards are read (`trafficGuards` of its record). */
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
  /** The accounts that exist, for the message when a stage names another. */
  readonly accounts?: () => readonly string[];
}

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

/** The target serving the stage's account, or why there is none (naming the accounts that exist). */
export function targetFor(scope: Pick<StageScope, 'account' | 'cloudProvider'>, deps: DeployTaskDeps, stageName: string): { ok: true; target: Target } | { ok: false; message: string } {
  const target = deps.targets({ account: scope.account, ...(scope.cloudProvider !== undefined ? { cloudProvider: scope.cloudProvider } : {}) });
  if (target) return { ok: true, target };
  const provider = scope.cloudProvider === undefined ? '' : ` (cloudProvider ${scope.cloudProvider})`;
  const known = deps.accounts?.() ?? [];
  const list = known.length > 0 ? ` (known accounts: ${known.join(', ')})` : '';
  return { ok: false, message: `stage '${stageName}': no deploy target serves account '${scope.account}'${provider}${list}; check credentials, or configure the account` };
}

/** The application's traffic guards; none when the application has no record. */
export async function trafficGuardsOf(input: TaskInput, deps: DeployTaskDeps): Promise<readonly TrafficGuardRule[]> {
  const application = await deps.applications.getApplication(input.execution.application);
  return application?.trafficGuards ?? [];
}

/** The step executor's dependencies for one call. */
export async function executorDeps(input: TaskInput, deps: DeployTaskDeps, taskDeps: Pick<TaskDeps, 'children' | 'store'>, target: Target): Promise<StepExecutorDeps> {
  return { target, guards: await trafficGuardsOf(input, deps), children: taskDeps.children, store: taskDeps.store, saveRuntime: input.saveRuntime };
}

/**
 * Where a server-group or cluster stage acts and the step executor's I/O there: its scope
 * (stageScope), the target of its account (targetFor) and the executor's deps, or why it cannot act.
 */
export async function stageExecution(
  input: TaskInput,
  deps: DeployTaskDeps,
  taskDeps: Pick<TaskDeps, 'children' | 'store'>,
): Promise<{ ok: true; scope: StageScope; executor: StepExecutorDeps } | { ok: false; message: string }> {
  const scoped = stageScope(input);
  if (!scoped.ok) return scoped;
  const found = targetFor(scoped.scope, deps, input.stage.name);
  if (!found.ok) return found;
  return { ok: true, scope: scoped.scope, executor: await executorDeps(input, deps, taskDeps, found.target) };
}
