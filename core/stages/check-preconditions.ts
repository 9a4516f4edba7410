/**
 * `checkPreconditions` (Orca's CheckPreconditionsStage): checks each precondition in order and
 * stops at the first one that does not hold. Orca runs one synthetic stage per precondition
 * with that precondition's `failPipeline` (default true) and derives the parent's status from
 * it: a failed check with failPipeline true fails the stage under the stage's own failure
 * policy; with failPipeline false the stage is STOPPED (only this branch halts) — the if/else
 * real pipelines use.
 *
 * Expressions are evaluated here from the text as written (not from the context evaluated at
 * stage start), so a false check names the original expression rather than just 'false'
 * (spinnaker/spinnaker#5097).
 *
 * `clusterSize` is Orca's ClusterSizePreconditionTask: it counts the cluster's server groups in
 * each of `regions` (only the enabled ones with `onlyEnabledServerGroups`), through the deploy
 * target serving `credentials`, and compares each count with `expected` using `comparison`. A
 * cluster the target does not know has 0 server groups (Orca reads clouddriver's 404 so). Every
 * region that fails is named, with the server groups found there.
 */
import { evaluateDeep, evaluateExpression } from '../expressions/index.ts';
import type { CheckPreconditionsStage, ClusterSizeComparison, ClusterSizePrecondition, Precondition } from '../pipeline/stage-types/index.ts';
import type { TargetLookup } from '../ports/target.ts';
import { describeCluster } from './step-executor.ts';
import { booleanFrom, failed, numberFrom, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** What the clusterSize precondition needs: the deploy targets of the runtime (absent: it cannot run). */
export interface PreconditionDeps {
  readonly targets?: TargetLookup;
}

/** The context fields the runner leaves unevaluated at stage start: this task evaluates them. */
export const CHECK_PRECONDITIONS_DEFERRED_FIELDS = ['preconditions'] as const;

/** The outcome of one precondition: holds, or why not. */
export type PreconditionOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Checks one expression or stageStatus precondition. Pure: the stage statuses and the expression context are given. */
export function checkPrecondition(precondition: Exclude<Precondition, ClusterSizePrecondition>, input: Pick<TaskInput, 'execution' | 'expressions'>): PreconditionOutcome {
  switch (precondition.type) {
    case 'expression': {
      const expression = precondition.context.expression;
      const evaluated = evaluateExpression(expression, input.expressions);
      if (!evaluated.ok) return { ok: false, message: `precondition expression ${quote(expression)} could not be evaluated: ${evaluated.message}` };
      const value = booleanFrom(evaluated.value);
      if (value === true) return { ok: true };
      const custom = precondition.context.failureMessage;
      if (value === false) {
        return { ok: false, message: custom !== undefined && custom.trim() !== '' ? custom : `precondition expression ${quote(expression)} is false` };
      }
      return { ok: false, message: `precondition expression ${quote(expression)} evaluated to ${JSON.stringify(evaluated.value)}, expected true or false` };
    }
    case 'stageStatus': {
      const { stageName, stageStatus } = precondition.context;
      const stage = input.execution.stages.find((candidate) => candidate.name === stageName);
      if (!stage) {
        const names = input.execution.stages.map((candidate) => `'${candidate.name}'`).join(', ');
        return { ok: false, message: `precondition stageStatus: no stage named '${stageName}' in this execution (stages: ${names})` };
      }
      if (stage.status === stageStatus.trim().toUpperCase()) return { ok: true };
      return { ok: false, message: `precondition stageStatus: stage '${stageName}' is ${stage.status}, expected ${stageStatus.trim().toUpperCase()}` };
    }
    default: {
      const unknown: never = precondition;
      return { ok: false, message: `unknown precondition ${JSON.stringify(unknown)}` };
    }
  }
}

/** Orca's comparisons of a count with the expected number. */
function compare(actual: number, comparison: ClusterSizeComparison, expected: number): boolean {
  switch (comparison) {
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    default: {
      const unknown: never = comparison;
      return unknown;
    }
  }
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Checks a clusterSize precondition against the deploy target of its account (see the module comment). */
export async function checkClusterSize(
  precondition: ClusterSizePrecondition,
  input: Pick<TaskInput, 'expressions' | 'record'>,
  deps: PreconditionDeps,
): Promise<PreconditionOutcome> {
  const evaluated = evaluateDeep(precondition.context, input.expressions);
  const failure = evaluated.failures[0];
  if (failure !== undefined) return { ok: false, message: `precondition clusterSize: ${failure.expression} at context${failure.pointer} could not be evaluated: ${failure.message}` };
  const context = evaluated.value as Record<string, unknown>;
  const cluster = textOf(context['cluster']);
  const account = textOf(context['credentials']);
  const regions = Array.isArray(context['regions']) ? context['regions'].map(textOf).filter((region): region is string => region !== undefined) : [];
  const expected = numberFrom(context['expected']);
  if (cluster === undefined) return { ok: false, message: `precondition clusterSize: cluster is ${JSON.stringify(context['cluster'])}; name the cluster to count, e.g. "hello-prod"` };
  if (account === undefined) return { ok: false, message: `precondition clusterSize: credentials is ${JSON.stringify(context['credentials'])}; name the account of the cluster, e.g. "local"` };
  if (regions.length === 0) return { ok: false, message: `precondition clusterSize: regions is ${JSON.stringify(context['regions'] ?? [])}; name the regions to count in, e.g. ["local"]` };
  if (expected === undefined || !Number.isInteger(expected) || expected < 0) {
    return { ok: false, message: `precondition clusterSize: expected is ${JSON.stringify(context['expected'])}; give a whole number of server groups >= 0, e.g. 1` };
  }
  if (!deps.targets) return { ok: false, message: "precondition type 'clusterSize' cannot run yet: Gennaker has no deploy target wired in" };
  const cloudProvider = textOf(context['cloudProvider']) ?? textOf(input.record.context['cloudProvider']);
  const target = deps.targets({ account, ...(cloudProvider !== undefined ? { cloudProvider } : {}) });
  if (!target) return { ok: false, message: `precondition clusterSize: no deploy target serves account '${account}'; check credentials, or configure the account` };

  const { comparison } = precondition.context;
  const onlyEnabled = booleanFrom(context['onlyEnabledServerGroups']) === true;
  const failures: string[] = [];
  for (const region of regions) {
    const described = await describeCluster(target, { account, location: region, cluster });
    if (!described.ok) return { ok: false, message: `precondition clusterSize: ${described.message}` };
    const counted = described.state.serverGroups.filter((serverGroup) => !onlyEnabled || !serverGroup.disabled).map((serverGroup) => serverGroup.name);
    if (!compare(counted.length, comparison, expected)) {
      failures.push(
        `expected ${comparison} ${expected} ${onlyEnabled ? 'enabled ' : ''}server groups of cluster '${cluster}' in ${account}/${region} but found ${counted.length}: [${counted.join(', ')}]`,
      );
    }
  }
  if (failures.length === 0) return { ok: true };
  return { ok: false, message: `precondition clusterSize failed: ${failures.join('; ')}. Clean up the cluster to the expected number of server groups, then run the pipeline again` };
}

/** The `checkPreconditions` step. */
export async function runCheckPreconditions(input: TaskInput<CheckPreconditionsStage>, deps: PreconditionDeps = {}): Promise<TaskResult> {
  for (const [index, precondition] of input.stage.config.preconditions.entries()) {
    const outcome = precondition.type === 'clusterSize' ? await checkClusterSize(precondition, input, deps) : checkPrecondition(precondition, input);
    if (!outcome.ok) {
      const context = { failedPrecondition: { index, type: precondition.type, failPipeline: precondition.failPipeline, message: outcome.message } };
      return precondition.failPipeline ? failed(outcome.message, { context }) : failed(outcome.message, { context, status: 'STOPPED' });
    }
  }
  return succeeded();
}

function quote(expression: string): string {
  return `'${expression}'`;
}
