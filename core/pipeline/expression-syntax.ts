/**
 * Expression checks for validation: every string of a stage is a template (`${...}` anywhere),
 * and a few fields (stageEnabled, expression preconditions) may also hold a bare expression.
 *
 * Spinnaker saves any text and evaluates it when the stage starts, so an expression Gennaker
 * cannot or will not evaluate (a syntax it does not parse, a type reference outside the
 * allowlist, an unknown helper, a computed `#secret` name) never blocks a save: it is a warning,
 * and the stage keeps the text and records the failure in `expressionEvaluationSummary` when it
 * runs (or fails, with `failOnFailedExpressions`). `gennaker validate --strict` turns these
 * warnings into errors. The parser is core/expressions'; this only walks the document and words
 * the issue.
 */
import { z } from 'zod';
import type { ValidationIssue } from '../issues.ts';
import { pointerJoin, showValue } from '../issues.ts';
import { noun, stringMessage } from './fields.ts';
import { findExpressionSyntaxErrors, findTemplateSyntaxErrors } from '../expressions/index.ts';
import { secretCallProblems } from '../expressions/secret-calls.ts';

export interface SyntaxProblem {
  readonly offset: number;
  readonly message: string;
}

/** Syntax errors of a field that holds a template, or a bare expression when it has no `${`. */
export function bareOrTemplateProblems(text: string): readonly SyntaxProblem[] {
  return text.includes('${') ? findTemplateSyntaxErrors(text) : findExpressionSyntaxErrors(text);
}

export function templateProblems(text: string): readonly SyntaxProblem[] {
  return text.includes('${') ? findTemplateSyntaxErrors(text) : [];
}

/** What happens to an expression Gennaker cannot evaluate, and the fix; the tail of every expression warning. */
export const EXPRESSION_WARNING_FIX = 'the stage keeps the text and records the failure when it runs; fix the expression';

/** One line: what is wrong, where (1-based position in the field), the field and the fix. */
export function describeSyntaxProblem(text: string, problem: SyntaxProblem): string {
  return `expression syntax error at position ${problem.offset + 1} of ${showValue(text, 80)}: ${problem.message}; ${EXPRESSION_WARNING_FIX}`;
}

/**
 * A field holding an expression, bare (`parameters.env == 'prod'`) or as a template. Only its
 * presence is checked here: its syntax is a warning of `findStageTemplateIssues`, which must not
 * make the stage fail to parse.
 */
export function expressionField(what: string): z.ZodType<string> {
  return z.string({ error: (issue) => stringMessage(what, issue.input) }).superRefine((text, ctx) => {
    if (text.trim() === '') ctx.addIssue({ code: 'custom', input: text, message: `expected ${noun(what)}, got an empty string` });
  });
}

/** The fields of a stage that hold a bare expression (no `${` needed), as paths from the stage. */
function bareExpressionPaths(stage: Readonly<Record<string, unknown>>): Array<readonly (string | number)[]> {
  const paths: Array<readonly (string | number)[]> = [];
  const enabled = stage.stageEnabled;
  if (isObject(enabled) && typeof enabled.expression === 'string') paths.push(['stageEnabled', 'expression']);
  if (stage.type === 'checkPreconditions' && Array.isArray(stage.preconditions)) {
    stage.preconditions.forEach((precondition: unknown, index) => {
      if (isObject(precondition) && precondition.type === 'expression' && isObject(precondition.context) && typeof precondition.context.expression === 'string') {
        paths.push(['preconditions', index, 'context', 'expression']);
      }
    });
  }
  return paths;
}

/**
 * Walks every string of a stage (nested objects and arrays included) and reports, as warnings
 * with pointers, the expressions the stage will not be able to evaluate: template syntax errors
 * everywhere, bare-expression syntax errors in stageEnabled and expression preconditions, and
 * `#secret` calls whose name is not a literal. Stages with `skipExpressionEvaluation: true` are
 * not evaluated, so not checked.
 */
export function findStageTemplateIssues(stage: Readonly<Record<string, unknown>>, base: string): ValidationIssue[] {
  if (stage.skipExpressionEvaluation === true) return [];
  const issues: ValidationIssue[] = [];
  const warn = (pointer: string, message: string, value: string) => issues.push({ pointer, code: 'expression-syntax', message, severity: 'warning', value });
  const bare = new Set(bareExpressionPaths(stage).map((path) => pointerJoin(base, ...path)));
  const visit = (value: unknown, pointer: string, depth: number): void => {
    if (depth > 200) return;
    if (typeof value === 'string') {
      const problems = bare.has(pointer) ? bareOrTemplateProblems(value) : templateProblems(value);
      for (const problem of problems) warn(pointer, describeSyntaxProblem(value, problem), value);
      for (const message of secretCallProblems(value)) warn(pointer, `${message}; ${EXPRESSION_WARNING_FIX}`, value);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, pointerJoin(pointer, index), depth + 1));
    } else if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, pointerJoin(pointer, key), depth + 1);
    }
  };
  visit(stage, base, 0);
  return issues;
}

/** The issues `gennaker validate --strict` refuses: expression warnings become errors. */
export function strictExpressionIssues(issues: readonly ValidationIssue[]): ValidationIssue[] {
  return issues.map((issue) => (issue.code === 'expression-syntax' && issue.severity === 'warning' ? { ...issue, severity: 'error' } : issue));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
