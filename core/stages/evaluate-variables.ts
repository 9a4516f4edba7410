/**
 * `evaluateVariables` (Orca's EvaluateVariablesStage, v4): each variable's value is evaluated in
 * order, and later ones see earlier ones as bare names. The results go to the stage's outputs,
 * so downstream stages see them as bare variables too (`${releaseName}`). A value that fails
 * keeps its text and is reported in `expressionEvaluationSummary`, or fails the stage with
 * `failOnFailedExpressions`.
 */
import type { EvaluateVariablesStage } from '../pipeline/stage-types/index.ts';
import { failed, succeeded, type TaskInput, type TaskResult } from './task-result.ts';
import { evaluateVariableList } from '../execution/evaluate-expression.ts';
import { summarizeFailures } from '../execution/expression-summary.ts';

/** The context fields the runner leaves unevaluated at stage start: this task evaluates them in order. */
export const EVALUATE_VARIABLES_DEFERRED_FIELDS = ['variables'] as const;

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
