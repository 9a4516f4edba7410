/**
 * The work meter of one evaluation and the internal signal for an expected failure. A failure
 * travels as an exception only inside the evaluator (it unwinds deep recursion cheaply) and is
 * turned into a value at the public boundary; nothing outside core/expressions sees it.
 */
import type { EvaluationLimits } from './context.ts';

/** An expected evaluation failure (missing property, bad argument, limit reached). Internal only. */
export class ExpressionFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionFailure';
  }
}

/** Mutable counters shared by everything one evaluation does. */
export interface Budget {
  readonly limits: EvaluationLimits;
  steps: number;
  /** Ceiling for `steps`: the per-string limit, or less when an `evaluateDeep` total runs low. */
  readonly stepCeiling: number;
  /** What to say when the ceiling is passed. */
  readonly exhausted: string;
  regexSteps: number;
}

/** A fresh meter for one evaluated string; `exhausted` explains a ceiling lowered by a wider budget. */
export function createBudget(limits: EvaluationLimits, stepCeiling = limits.maxSteps, exhausted?: string): Budget {
  return {
    limits,
    steps: 0,
    stepCeiling,
    exhausted: exhausted ?? `evaluation needed more than ${stepCeiling} steps; simplify the expression or the data it walks`,
    regexSteps: 0,
  };
}

/** Charges `count` steps; fails once the ceiling is passed. */
export function charge(budget: Budget, count = 1): void {
  budget.steps += count;
  if (budget.steps > budget.stepCeiling) throw new ExpressionFailure(budget.exhausted);
}

/** Characters of built text that cost one step: memory is work too, so text is never free. */
const CHARACTERS_PER_STEP = 100;

/** Charges for a string about to be built, and fails when it would exceed the size limit; call before building it. */
export function chargeString(budget: Budget, length: number): void {
  if (length > budget.limits.maxStringLength) {
    throw new ExpressionFailure(`a string of ${length} characters exceeds the limit of ${budget.limits.maxStringLength}`);
  }
  charge(budget, length / CHARACTERS_PER_STEP);
}

/** Accumulates text piece by piece under the same charge and limit. */
export interface TextBuilder {
  push(text: string): void;
  build(): string;
}

/** A builder that charges and bounds text as it grows. */
export function createTextBuilder(budget: Budget): TextBuilder {
  const parts: string[] = [];
  let length = 0;
  return {
    push(text: string): void {
      length += text.length;
      if (length > budget.limits.maxStringLength) {
        throw new ExpressionFailure(`a string of more than ${budget.limits.maxStringLength} characters exceeds the limit`);
      }
      charge(budget, text.length / CHARACTERS_PER_STEP);
      parts.push(text);
    },
    build: () => parts.join(''),
  };
}

/** Fails when a built collection would exceed the size limit. */
export function checkCollectionSize(budget: Budget, size: number): void {
  if (size > budget.limits.maxCollectionSize) {
    throw new ExpressionFailure(`a collection of ${size} elements exceeds the limit of ${budget.limits.maxCollectionSize}`);
  }
}
