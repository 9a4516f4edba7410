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
 */
import { evaluateExpression } from '../expressions/index.ts';
import type { CheckPreconditionsStage, Precondition } from '../pipeline/stage-types/index.ts';
import { booleanFrom, failed, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The context fields the runner leaves unevaluated at stage start: this task evaluates them. */
export const CHECK_PRECONDITIONS_DEFERRED_FIELDS = ['preconditions'] as const;

/** The outcome of one precondition: holds, or why not. */
export type PreconditionOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Checks one precondition. Pure: the stage statuses and the expression context are given. */
export function checkPrecondition(precondition: Precondition, input: Pick<TaskInput, 'execution' | 'expressions'>): PreconditionOutcome {
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
    case 'clusterSize':
      return { ok: false, message: "precondition type 'clusterSize' cannot run yet: Gennaker has no deploy target wired in" };
    default: {
      const unknown: never = precondition;
      return { ok: false, message: `unknown precondition ${JSON.stringify(unknown)}` };
    }
  }
}

/** The `checkPreconditions` step. */
export function runCheckPreconditions(input: TaskInput<CheckPreconditionsStage>): TaskResult {
  for (const [index, precondition] of input.stage.config.preconditions.entries()) {
    const outcome = checkPrecondition(precondition, input);
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
