/**
 * Expression syntax checks for validation: every string of a stage is a template (`${...}`
 * anywhere), and a few fields (stageEnabled, expression preconditions) may also hold a bare
 * expression. The parser is core/expressions'; this only walks the document and words the issue.
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

/** One line: what is wrong, where (1-based position in the field), the field and the fix. */
export function describeSyntaxProblem(text: string, problem: SyntaxProblem): string {
  return `expression syntax error at position ${problem.offset + 1} of ${showValue(text, 80)}: ${problem.message}; fix the expression`;
}

/**
 * A field holding an expression, bare (`parameters.env == 'prod'`) or as a template. Bare text
 * is checked here; templates are checked by the walk over every string of the stage
 * (`findStageTemplateIssues`), so each problem is reported once.
 */
export function expressionField(what: string): z.ZodType<string> {
  return z.string({ error: (issue) => stringMessage(what, issue.input) }).superRefine((text, ctx) => {
    if (text.trim() === '') {
      ctx.addIssue({ code: 'custom', input: text, message: `expected ${noun(what)}, got an empty string` });
      return;
    }
    if (text.includes('${')) return;
    for (const problem of findExpressionSyntaxErrors(text)) {
      ctx.addIssue({ code: 'custom', input: text, message: describeSyntaxProblem(text, problem), params: { issueCode: 'expression-syntax' } });
    }
  });
}

/**
 * Walks every string of a stage (nested objects and arrays included) and reports template syntax
 * errors with pointers. Stages with `skipExpressionEvaluation: true` are not evaluated, so not checked.
 */
export function findStageTemplateIssues(stage: Readonly<Record<string, unknown>>, base: string): ValidationIssue[] {
  if (stage.skipExpressionEvaluation === true) return [];
  const issues: ValidationIssue[] = [];
  const visit = (value: unknown, pointer: string, depth: number): void => {
    if (depth > 200) return;
    if (typeof value === 'string') {
      for (const problem of templateProblems(value)) {
        issues.push({ pointer, code: 'expression-syntax', message: describeSyntaxProblem(value, problem), severity: 'error', value });
      }
      for (const message of secretCallProblems(value)) issues.push({ pointer, code: 'expression-syntax', message, severity: 'error', value });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, pointerJoin(pointer, index), depth + 1));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) visit(item, pointerJoin(pointer, key), depth + 1);
    }
  };
  visit(stage, base, 0);
  return issues;
}
