/**
 * `evaluateVariables` (Orca's EvaluateVariablesStage, v4): each variable's value is evaluated in
 * order, and later ones see earlier ones as bare names. The results go to the stage's outputs,
 * so downstream stages see them as bare variables too (`${releaseName}`). A value that fails
 * keeps its text and is reported in `expressionEvaluationSummary`, or fails the stage with
 * `failOnFailedExpressions`.
 */
import { evaluateDeep, type EvaluationContext } from '../expressions/index.ts';
import type { EvaluateVariablesStage } from '../pipeline/stage-types/index.ts';
import { failed, succeeded, type TaskInput, type TaskResult } from './task-result.ts';
import { summarizeFailures, type ExpressionFailureRecord } from './expression-summary.ts';

/** The context fields the runner leaves unevaluated at stage start: this task evaluates them in order. */
export const EVALUATE_VARIABLES_DEFERRED_FIELDS = ['variables'] as const;

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

/** The `evaluateVariables` step. */
export function runEvaluateVariables(input: TaskInput<EvaluateVariablesStage>): TaskResult {
  const { results, list: evaluatedList, failures } = evaluateVariableList(input.stage.config.variables, input.expressions);
  const context: Record<string, unknown> = { variables: evaluatedList };
  if (failures.length > 0) {
    context.expressionEvaluationSummary = summarizeFailures(failures, input.now, input.record.context.expressionEvaluationSummary);
    if (input.stage.failOnFailedExpressions) {
      return failed(`stage '${input.stage.name}' has failOnFailedExpressions and ${failures.map((failure) => `variable at ${failure.pointer}: ${failure.message}`).join('; ')}`, { context, status: 'TERMINAL' });
    }
  }
  return succeeded(results, { context });
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
