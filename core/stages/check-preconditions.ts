/**
 * `checkPreconditions` exactly as Orca's CheckPreconditionsStage: every precondition is a
 * synthetic stage of its own (`Check precondition (<type>)`, refId `<refId><N>`), whose context
 * is the stage's context with the precondition's fields laid over it (`parallelContexts`: its
 * `failPipeline`, `context`...; a clusterSize precondition without `cluster`, `regions` or
 * `credentials` takes the stage's). They run side by side. A precondition that does not hold
 * ends its synthetic stage in that context's failure status (Orca's `failureStatus()`:
 * `continuePipeline` → FAILED_CONTINUE, else `failPipeline` false → STOPPED, else TERMINAL), and
 * the stage takes the worst of them (CompleteStageHandler: a TERMINAL one fails the stage under
 * its own failure policy; else STOPPED, CANCELED, FAILED_CONTINUE in that order). So a stage with
 * `continuePipeline: true` goes on (FAILED_CONTINUE) even when a precondition sets
 * `failPipeline: false`, and a precondition with `failPipeline: false` halts only its branch
 * (STOPPED) even in a stage that would halt the pipeline — the if/else real pipelines use. A
 * stage without preconditions is SKIPPED, as Orca ends a stage with nothing to run.
 *
 * One step checks them all and records each one's outcome in the stage's runtime
 * (PRECONDITION_CHECKS_KEY, core/execution/precondition-checks.ts); core/execution/synthetic-stages.ts
 * shows them as Orca's stages.
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
import { statusFromSynthetic } from '../execution/semantics.ts';
import { definedFields, inheritedFrom, isObject, PRECONDITION_CHECKS_KEY, preconditionFailureStatus, preconditionStageContext, type PreconditionCheck } from '../execution/precondition-checks.ts';
import type { CheckPreconditionsStage, ClusterSizeComparison, ClusterSizePrecondition, Precondition } from '../pipeline/stage-types/index.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { TargetLookup } from '../ports/target.ts';
import { describeCluster } from './step-executor.ts';
import { booleanFrom, failed, numberFrom, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** What the clusterSize precondition needs: the deploy targets of the runtime (absent: it cannot run). */
export interface PreconditionDeps {
  readonly targets?: TargetLookup;
}

/** The context fields the runner leaves unevaluated at stage start: this task evaluates them. */
export const CHECK_PRECONDITIONS_DEFERRED_FIELDS = ['preconditions'] as const;

/**
 * The outcome of one precondition: holds, or why not; an expression's value as text when it had
 * one (Orca's `expressionResult`).
 */
export type PreconditionOutcome = ({ readonly ok: true } | { readonly ok: false; readonly message: string }) & { readonly expressionResult?: string };

/** A precondition's context with its expressions evaluated, or the first that could not be. */
function evaluatedContext(type: string, context: object, input: Pick<TaskInput, 'expressions'>): { ok: true; context: Record<string, unknown> } | { ok: false; message: string } {
  const evaluated = evaluateDeep(context, input.expressions);
  const failure = evaluated.failures[0];
  if (failure !== undefined) return { ok: false, message: `precondition ${type}: ${failure.expression} at context${failure.pointer} could not be evaluated: ${failure.message}` };
  return { ok: true, context: evaluated.value as Record<string, unknown> };
}

/** Checks one expression or stageStatus precondition. Pure: the stage statuses and the expression context are given. */
export function checkPrecondition(precondition: Exclude<Precondition, ClusterSizePrecondition>, input: Pick<TaskInput, 'execution' | 'expressions'>): PreconditionOutcome {
  switch (precondition.type) {
    case 'expression': {
      const expression = precondition.context.expression;
      const evaluated = evaluateExpression(expression, input.expressions);
      if (!evaluated.ok) return { ok: false, message: `precondition expression ${quote(expression)} could not be evaluated: ${evaluated.message}` };
      const value = booleanFrom(evaluated.value);
      const expressionResult = typeof evaluated.value === 'string' ? evaluated.value : JSON.stringify(evaluated.value) ?? 'null';
      if (value === true) return { ok: true, expressionResult };
      const custom = precondition.context.failureMessage;
      if (value === false) {
        return { ok: false, expressionResult, message: custom !== undefined && custom.trim() !== '' ? custom : `precondition expression ${quote(expression)} is false` };
      }
      return { ok: false, expressionResult, message: `precondition expression ${quote(expression)} evaluated to ${JSON.stringify(evaluated.value)}, expected true or false` };
    }
    case 'stageStatus': {
      // Orca evaluates the synthetic stage's context when it starts, so either field may be an expression.
      const evaluated = evaluatedContext('stageStatus', precondition.context, input);
      if (!evaluated.ok) return evaluated;
      const stageName = String(evaluated.context['stageName']);
      const stageStatus = String(evaluated.context['stageStatus']);
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

/**
 * Checks a clusterSize precondition against the deploy target of its account (see the module
 * comment). `cluster`, `regions` and `credentials` it leaves out are the stage's, as evaluated at
 * stage start (Orca's putIfAbsent from the stage's context).
 */
export async function checkClusterSize(
  precondition: ClusterSizePrecondition,
  input: Pick<TaskInput, 'expressions' | 'record'>,
  deps: PreconditionDeps,
): Promise<PreconditionOutcome> {
  const evaluated = evaluatedContext('clusterSize', precondition.context, input);
  if (!evaluated.ok) return evaluated;
  const context: Record<string, unknown> = { ...inheritedFrom(input.record.context), ...definedFields(evaluated.context) };
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

/** The `checkPreconditions` step: checks every precondition, then sets each one's status and the stage's (module comment). */
export async function runCheckPreconditions(input: TaskInput<CheckPreconditionsStage>, deps: PreconditionDeps = {}): Promise<TaskResult> {
  const { preconditions } = input.stage.config;
  if (preconditions.length === 0) return succeeded(undefined, { skipped: true });
  const written = Array.isArray(input.record.context['preconditions']) ? input.record.context['preconditions'] : [];
  const outcomes = await Promise.all(preconditions.map((precondition) => (precondition.type === 'clusterSize' ? checkClusterSize(precondition, input, deps) : Promise.resolve(checkPrecondition(precondition, input)))));
  const checks: PreconditionCheck[] = outcomes.map((outcome, index) => ({
    status: outcome.ok ? 'SUCCEEDED' : preconditionFailureStatus(preconditionStageContext(input.record.context, isObject(written[index]) ? written[index] : {})),
    time: input.now,
    ...(outcome.ok ? {} : { message: outcome.message }),
    ...(outcome.expressionResult !== undefined ? { expressionResult: outcome.expressionResult } : {}),
  }));
  const runtime = { [PRECONDITION_CHECKS_KEY]: { checks } };
  const status = statusFromSynthetic(checks.map((check) => check.status), input.stage.failurePolicy);
  if (status !== 'TERMINAL' && status !== 'STOPPED' && status !== 'FAILED_CONTINUE') return succeeded(undefined, { runtime });
  const failures = checks.flatMap((check, index) => (check.message === undefined ? [] : [{ index, check }]));
  const first = failures[0]!;
  const failedPrecondition = { index: first.index, type: preconditions[first.index]!.type, status: first.check.status, message: first.check.message! };
  const message = failures.map(({ check }) => check.message).join('; ');
  return failed(message, { status, context: { failedPrecondition }, runtime });
}

function quote(expression: string): string {
  return `'${expression}'`;
}
