/**
 * Expressions evaluated on demand against a real execution, as Orca's TaskController answers
 * Gate's `evaluateExpression` and `evaluateVariables`: the text is evaluated as the value of a
 * context field named `expression` (so a bare text without `${` comes back unchanged, as in
 * Spinnaker), and the answer is `{result}`, or `{result, detail}` with the text kept and the
 * failures in Orca's `expressionEvaluationSummary` shape. The same evaluator and the same
 * context as a stage at run time: what this answers is what a stage would see.
 *
 * Nothing here reads a secret or a URL: `#secret` and the URL helpers fail with their message.
 */
import { evaluateDeep, type EvaluationContext } from '../expressions/index.ts';
import type { Pipeline } from '../pipeline/model.ts';
import type { Execution, JsonObject, StageRecord } from '../ports/execution-store.ts';
import { newExecutionFromPipeline } from './new-execution.ts';
import { stageEvaluationContext } from './evaluation-context.ts';
import { summarizeFailures, type ExpressionFailureRecord, type ExpressionSummary } from './expression-summary.ts';

/** Orca's answer: the value (or the text kept), and the summary when something failed. */
export interface EvaluationAnswer {
  readonly result: unknown;
  readonly detail?: ExpressionSummary;
}

export type EvaluationOutcome = { readonly ok: true; readonly answer: EvaluationAnswer } | { readonly ok: false; readonly reason: 'not-found' | 'invalid'; readonly message: string };

/** Orca's refId for the stage it makes up to evaluate variables after the given ones. */
export const AD_HOC_STAGE_ID = '_AD_HOC_EVALUATE_VARIABLES_STAGE_';

/** Where the expression is evaluated: the execution as a whole, one of its stages, or after some stages. */
export type EvaluationPlace =
  | { readonly kind: 'execution' }
  /** A stage of the execution, by id (or refId): its context over its ancestors' outputs. */
  | { readonly kind: 'stage'; readonly stageId: string }
  /** A made-up stage downstream of these refIds, as Orca's evaluateVariables builds it. */
  | { readonly kind: 'after'; readonly requisiteStageRefIds: readonly string[] };

/** Evaluates one expression (a template, or text) against an execution. */
export function evaluateAgainstExecution(execution: Execution, expression: string, place: EvaluationPlace, now: number): EvaluationOutcome {
  const context = placeContext(execution, place, now);
  if (!context.ok) return context;
  const evaluated = evaluateDeep({ expression }, context.value);
  const result = (evaluated.value as { expression: unknown }).expression;
  if (evaluated.failures.length === 0) return { ok: true, answer: { result } };
  return { ok: true, answer: { result, detail: summarizeFailures(evaluated.failures, now) } };
}

/** Evaluates `{key, value}` variables in order, later ones seeing earlier ones, as the evaluateVariables stage does. */
export function evaluateVariablesAgainstExecution(
  execution: Execution,
  variables: ReadonlyArray<{ readonly key: string; readonly value: unknown }>,
  requisiteStageRefIds: readonly string[],
  now: number,
): EvaluationOutcome {
  const context = placeContext(execution, { kind: 'after', requisiteStageRefIds }, now);
  if (!context.ok) return context;
  const evaluated = evaluateVariableList(variables, context.value);
  if (evaluated.failures.length === 0) return { ok: true, answer: { result: evaluated.list } };
  return { ok: true, answer: { result: evaluated.list, detail: summarizeFailures(evaluated.failures, now) } };
}

/**
 * An execution of `pipeline` that has not started: every stage NOT_STARTED with its context as
 * written, parameters resolved from the trigger's and the defaults. What `gennaker expr
 * --pipeline` evaluates against, with a made-up trigger.
 */
export function unstartedExecution(pipeline: Pipeline, options: { readonly id: string; readonly trigger: JsonObject; readonly parameters: JsonObject; readonly now: number }): Execution {
  const created = newExecutionFromPipeline(pipeline, { id: options.id, version: 0, trigger: options.trigger, parameters: options.parameters, buildTime: options.now });
  return {
    ...created,
    status: 'NOT_STARTED',
    canceled: false,
    revision: 0,
    lastModified: options.now,
    stages: created.stages.map((stage) => ({ ...stage, status: 'NOT_STARTED', outputs: {}, runtime: {}, awaitingCallback: false, revision: 0, lastModified: options.now })),
  };
}

function placeContext(execution: Execution, place: EvaluationPlace, now: number): { ok: true; value: EvaluationContext } | { ok: false; reason: 'not-found' | 'invalid'; message: string } {
  const clock = () => now;
  switch (place.kind) {
    case 'stage': {
      const stage = execution.stages.find((candidate) => candidate.id === place.stageId) ?? execution.stages.find((candidate) => candidate.refId === place.stageId);
      if (stage === undefined) {
        return { ok: false, reason: 'not-found', message: `stage '${place.stageId}' is not in execution '${execution.id}' (stage ids: ${execution.stages.map((candidate) => candidate.id).join(', ') || 'none'})` };
      }
      return { ok: true, value: stageEvaluationContext(execution, stage, stage.context, { now: clock }) };
    }
    case 'after': {
      const known = new Set(execution.stages.map((stage) => stage.refId));
      const unknown = place.requisiteStageRefIds.filter((refId) => !known.has(refId));
      if (unknown.length > 0) {
        return { ok: false, reason: 'invalid', message: `requisiteStageRefIds names ${unknown.map((refId) => `'${refId}'`).join(', ')}, not a stage of execution '${execution.id}' (refIds: ${[...known].join(', ') || 'none'})` };
      }
      return { ok: true, value: stageEvaluationContext(execution, adHocStage(place.requisiteStageRefIds, now), {}, { now: clock }) };
    }
    case 'execution': {
      // No stage: the roots (trigger, parameters, execution) and the helpers; #currentStage() has nothing to name.
      const { currentStageId: _none, ...context } = stageEvaluationContext(execution, adHocStage([], now), {}, { now: clock });
      return { ok: true, value: context };
    }
  }
}

function adHocStage(requisiteStageRefIds: readonly string[], now: number): StageRecord {
  return {
    id: AD_HOC_STAGE_ID,
    refId: AD_HOC_STAGE_ID,
    type: 'evaluateVariables',
    name: 'evaluateVariables',
    requisiteStageRefIds,
    status: 'NOT_STARTED',
    context: {},
    outputs: {},
    runtime: {},
    awaitingCallback: false,
    revision: 0,
    lastModified: now,
  };
}


/** What evaluating a list of variables gives: the values by key, the list as written with its values evaluated, and the failures. */
export interface EvaluatedVariables {
  readonly results: Record<string, unknown>;
  readonly list: Array<Record<string, unknown>>;
  readonly failures: ExpressionFailureRecord[];
}

/**
 * Evaluates `{key, value}` entries in order, each seeing the earlier results as bare names
 * (Orca's EvaluateVariablesStage.processExpressions); failures point into `/variables`.
 */
export function evaluateVariableList(variables: ReadonlyArray<{ readonly key: string; readonly value: unknown }>, base: EvaluationContext): EvaluatedVariables {
  const results: Record<string, unknown> = {};
  const failures: ExpressionFailureRecord[] = [];
  const list: Array<Record<string, unknown>> = [];
  for (const [index, variable] of variables.entries()) {
    const ctx = { ...base, variables: withVariables(base.variables, results) };
    const evaluated = evaluateDeep(variable.value, ctx);
    for (const failure of evaluated.failures) failures.push({ ...failure, pointer: `/variables/${index}/value${failure.pointer}` });
    Object.defineProperty(results, variable.key, { value: evaluated.value, enumerable: true, writable: true, configurable: true });
    list.push({ ...variable, value: evaluated.value });
  }
  return { results, list, failures };
}

/** The stage's variables with the earlier results on top; the roots (trigger, parameters, execution) still win. */
function withVariables(base: Readonly<Record<string, unknown>>, results: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  const assign = (source: Readonly<Record<string, unknown>>) => {
    for (const [key, value] of Object.entries(source)) Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
  };
  assign(base);
  assign(results);
  assign({ trigger: base.trigger, parameters: base.parameters, execution: base.execution });
  return merged;
}
