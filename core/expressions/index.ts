/**
 * Pipeline expressions: a safe evaluator for the subset of Spring Expression Language (SpEL)
 * that real Spinnaker pipelines use (`reference/spinnaker.md` §1.9), and the syntax checks the
 * pipeline validator runs before anything executes.
 *
 * Safe by construction: expressions are parsed by our own tokenizer and parser and run by our
 * own interpreter. No eval, no host method is ever looked up by name, data is read only through
 * own data properties of plain objects and arrays, regular expressions run on a linear-time
 * engine, and every evaluation is bounded in input size, nesting, steps, string and collection
 * sizes (see `EvaluationLimits`). Expected failures are values; only a bug throws, as a
 * `GennakerError` named `Gennaker.ExpressionError`.
 *
 * Semantics are SpEL's where pipelines can tell (int vs double arithmetic, `null + 'a'`,
 * `map.missing` fails while `map['missing']` is null, a single-template string yields the raw
 * value). A template whose value is null yields null (alone) or nothing (inside text), unless
 * the context asks for Orca's v4 stage behaviour (`keepUnresolved`): then it keeps its text.
 */
import { GennakerError } from '../errors.ts';
import { pointerJoin } from '../issues.ts';
import { createBudget, ExpressionFailure, type Budget } from './budget.ts';
import { resolveLimits, type EvaluationContext, type EvaluationLimits } from './context.ts';
import { createEvaluation, evaluateNode, type Evaluation } from './evaluator.ts';
import { parseExpressionSource } from './parser.ts';
import type { ExpressionSyntaxError } from './syntax-error.ts';
import { containsTemplate, scanTemplate } from './template.ts';
import { convertToString, isDataList, isDataMap, readOwn, toResult } from './values.ts';

/** Types of the context and of syntax errors, re-exported so callers import from one place. */
export type { ExpressionSyntaxError } from './syntax-error.ts';
export type { EvaluationContext, EvaluationLimits, ExecutionView, StageView, UrlFetcher, UrlFetchResult } from './context.ts';
/** The limits used when a context sets none. */
export { DEFAULT_LIMITS } from './context.ts';

/**
 * Why an expression failed: `parse` when Gennaker does not parse it (a syntax it does not know,
 * a type reference or helper it will not run), `evaluation` when it parsed but failed on the data
 * (a missing property, a wrong type, a limit reached), `unresolved` when its value was null and
 * the context keeps such templates as text (`keepUnresolved`). Spinnaker's summary names the
 * first two by SpEL's exception types and lists the third at level INFO
 * (core/stages/expression-summary.ts).
 */
export type FailureKind = 'parse' | 'evaluation' | 'unresolved';

/** One template or expression that could not be evaluated, and why. */
export interface EvaluationFailure {
  /** The failing text as written: the whole `${ ... }` of a template, or the bare expression. */
  readonly expression: string;
  readonly message: string;
  readonly kind: FailureKind;
}

/** True if the string contains at least one `${` (a template, possibly a broken one that evaluation will report). */
export function hasTemplate(text: string): boolean {
  return typeof text === 'string' && containsTemplate(text);
}

/** Syntax errors of every `${...}` template in a string (unclosed `${`, empty `${}`, bad tokens, unknown helpers...). [] when fine or when the string has no `${`. */
export function findTemplateSyntaxErrors(text: string): ExpressionSyntaxError[] {
  return guarded(() => {
    if (!hasTemplate(text)) return [];
    const limits = resolveLimits(undefined);
    if (text.length > limits.maxTextLength) {
      return [{ offset: 0, message: `text is ${text.length} characters long; templates are evaluated only up to ${limits.maxTextLength}` }];
    }
    const errors: ExpressionSyntaxError[] = [];
    for (const part of scanTemplate(text)) {
      if (part.kind === 'broken') errors.push(part.error);
      else if (part.kind === 'expression') {
        const parsed = parseExpressionSource(part.source, part.offset, limits);
        if (!parsed.ok) errors.push(parsed.error);
      }
    }
    return errors;
  });
}

/** Syntax errors of a bare expression (e.g. `stageEnabled.expression`), which may also be wrapped in `${ }` as Spinnaker accepts. */
export function findExpressionSyntaxErrors(expression: string): ExpressionSyntaxError[] {
  return guarded(() => {
    const limits = resolveLimits(undefined);
    const form = classifyExpression(expression, limits);
    switch (form.kind) {
      case 'wrapped': {
        const parsed = parseExpressionSource(form.source, form.offset, limits);
        return parsed.ok ? [] : [parsed.error];
      }
      case 'broken':
        return [form.error];
      case 'bare': {
        const parsed = parseExpressionSource(expression, 0, limits);
        return parsed.ok ? [] : [parsed.error];
      }
      case 'template':
        return findTemplateSyntaxErrors(expression);
    }
  });
}

/**
 * Evaluates every `${}` in a string. A string that is exactly one template returns the raw
 * value (number, object, boolean...), as SpEL does; mixed text concatenates. Failed templates
 * keep their original text and are reported.
 */
export function evaluateTemplate(text: string, ctx: EvaluationContext): { value: unknown; failures: EvaluationFailure[] } {
  return guarded(() => {
    if (!hasTemplate(text)) return { value: text, failures: [] };
    const limits = resolveLimits(ctx.limits);
    return evaluateText(text, ctx, createBudget(limits), 'value');
  });
}

/**
 * Walks any JSON value (objects, arrays, strings) and evaluates templates in every string, and
 * in object keys, returning a new value; failures carry the JSON pointer of their string. Each
 * string gets its own step budget, and the whole walk shares `maxTotalSteps`. An entry whose
 * key is `__proto__` is dropped and reported, so no result can poison a consumer's merge.
 * Values other than strings, plain arrays and plain objects are passed through as they are.
 */
export function evaluateDeep(value: unknown, ctx: EvaluationContext): { value: unknown; failures: Array<EvaluationFailure & { pointer: string }> } {
  return guarded(() => {
    const limits = resolveLimits(ctx.limits);
    const failures: Array<EvaluationFailure & { pointer: string }> = [];
    let remaining = limits.maxTotalSteps;

    const evaluateString = (text: string, pointer: string, mode: 'value' | 'string'): unknown => {
      if (!containsTemplate(text)) return text;
      if (remaining <= 0) {
        failures.push({ pointer, expression: text, message: `not evaluated: the ${limits.maxTotalSteps} evaluation steps for this document are spent`, kind: 'evaluation' });
        return text;
      }
      const budget =
        remaining < limits.maxSteps
          ? createBudget(limits, remaining, `the ${limits.maxTotalSteps} evaluation steps for this document ran out while evaluating this string`)
          : createBudget(limits);
      const result = evaluateText(text, ctx, budget, mode);
      remaining -= budget.steps;
      for (const failure of result.failures) failures.push({ pointer, ...failure });
      return result.value;
    };

    const ancestors = new Set<object>();
    const walk = (item: unknown, pointer: string, depth: number): unknown => {
      if (typeof item === 'string') return evaluateString(item, pointer, 'value');
      const isList = isDataList(item);
      if (!isList && !isDataMap(item)) return item;
      const container = item as object;
      if (ancestors.has(container) || depth > limits.maxDataDepth) {
        failures.push({
          pointer,
          expression: '',
          message: ancestors.has(container) ? 'the value contains itself; not evaluated' : `nested deeper than ${limits.maxDataDepth} levels; not evaluated`,
          kind: 'evaluation',
        });
        return item;
      }
      ancestors.add(container);
      let out: unknown;
      if (isList) {
        const list = item as readonly unknown[];
        const copy: unknown[] = [];
        // By index and own data only: Array.prototype.map would run getters and see inherited indexes.
        for (let index = 0; index < list.length; index++) {
          const own = readOwn(list, String(index));
          copy.push(own.found ? walk(own.value, pointerJoin(pointer, index), depth + 1) : null);
        }
        out = copy;
      } else {
        const copy: Record<string, unknown> = {};
        for (const key of Object.keys(container)) {
          const own = readOwn(container, key);
          if (!own.found) continue;
          const childPointer = pointerJoin(pointer, key);
          const evaluatedKey = evaluateString(key, childPointer, 'string');
          const newKey = typeof evaluatedKey === 'string' ? evaluatedKey : key;
          if (newKey === '__proto__') {
            // Harmless as own data here, but a hazard for every consumer that merges objects.
            failures.push({ pointer: childPointer, expression: key, message: "key '__proto__' is not allowed; the entry was dropped", kind: 'evaluation' });
            continue;
          }
          Object.defineProperty(copy, newKey, { value: walk(own.value, childPointer, depth + 1), enumerable: true, writable: true, configurable: true });
        }
        out = copy;
      }
      ancestors.delete(container);
      return out;
    };

    return { value: walk(value, '', 0), failures };
  });
}

/** Evaluates a bare or `${}`-wrapped expression to a value (text around several templates yields a string). */
export function evaluateExpression(expression: string, ctx: EvaluationContext): { ok: true; value: unknown } | { ok: false; message: string; kind: FailureKind } {
  return guarded(() => {
    const limits = resolveLimits(ctx.limits);
    const budget = createBudget(limits);
    const form = classifyExpression(expression, limits);
    switch (form.kind) {
      case 'broken':
        return { ok: false, message: syntaxMessage(form.error), kind: 'parse' };
      case 'template': {
        const result = evaluateText(expression, ctx, budget, 'string');
        const failure = result.failures[0];
        return failure === undefined ? { ok: true, value: result.value } : { ok: false, message: failure.message, kind: failure.kind };
      }
      case 'wrapped':
      case 'bare': {
        const ev = createEvaluation(ctx, budget);
        const outcome = form.kind === 'wrapped' ? runExpression(form.source, form.offset, ev) : runExpression(expression, 0, ev);
        if (!outcome.ok) return outcome;
        return attempt(() => toResult(outcome.value, budget));
      }
    }
  });
}

// --- internals ---------------------------------------------------------------------------------

type Outcome = { ok: true; value: unknown } | { ok: false; message: string; kind: FailureKind };

type ExpressionForm =
  | { readonly kind: 'bare' }
  | { readonly kind: 'wrapped'; readonly source: string; readonly offset: number }
  | { readonly kind: 'broken'; readonly error: ExpressionSyntaxError }
  | { readonly kind: 'template' };

/**
 * How to read an expression field: `${ x }` (alone, whitespace around allowed) is the wrapped
 * expression `x`; text without `${` is bare; anything else is bare if it parses as an
 * expression (`#doNotEval('${x}')`), otherwise a template mixing text and `${}`.
 */
function classifyExpression(expression: string, limits: EvaluationLimits): ExpressionForm {
  if (!containsTemplate(expression)) return { kind: 'bare' };
  const parts = scanTemplate(expression);
  const templates = parts.filter((part) => part.kind !== 'text');
  const onlyBlankText = parts.every((part) => part.kind !== 'text' || part.text.trim() === '');
  const single = templates[0];
  if (onlyBlankText && templates.length === 1 && single !== undefined) {
    if (single.kind === 'expression') return { kind: 'wrapped', source: single.source, offset: single.offset };
    if (single.kind === 'broken') return { kind: 'broken', error: single.error };
  }
  return parseExpressionSource(expression, 0, limits).ok ? { kind: 'bare' } : { kind: 'template' };
}

/** Evaluates the templates of one string. `value` mode returns the raw value of a lone template; `string` mode always text. */
function evaluateText(text: string, ctx: EvaluationContext, budget: Budget, mode: 'value' | 'string'): { value: unknown; failures: EvaluationFailure[] } {
  const limits = budget.limits;
  if (text.length > limits.maxTextLength) {
    return {
      value: text,
      failures: [{ expression: shorten(text), message: `text is ${text.length} characters long; templates are evaluated only up to ${limits.maxTextLength}`, kind: 'evaluation' }],
    };
  }
  const ev = createEvaluation(ctx, budget);
  const parts = scanTemplate(text);
  const failures: EvaluationFailure[] = [];
  const only = parts[0];
  if (mode === 'value' && parts.length === 1 && only !== undefined && only.kind === 'expression') {
    const outcome = runExpression(only.source, only.offset, ev);
    const result = outcome.ok ? attempt(() => toResult(outcome.value, budget)) : outcome;
    if (result.ok && result.value === null && ctx.keepUnresolved === true) return { value: text, failures: [unresolved(only.raw, only.source)] };
    if (result.ok) return { value: result.value, failures };
    return { value: text, failures: [{ expression: only.raw, message: result.message, kind: result.kind }] };
  }
  const pieces: string[] = [];
  let length = 0;
  for (const part of parts) {
    let piece: string;
    if (part.kind === 'text') piece = part.text;
    else if (part.kind === 'broken') {
      failures.push({ expression: part.raw, message: syntaxMessage(part.error), kind: 'parse' });
      piece = part.raw;
    } else {
      const outcome = runExpression(part.source, part.offset, ev);
      const rendered = outcome.ok ? attempt(() => (outcome.value === null ? '' : convertToString(outcome.value, budget))) : outcome;
      if (outcome.ok && outcome.value === null && ctx.keepUnresolved === true) {
        failures.push(unresolved(part.raw, part.source));
        piece = part.raw;
      } else if (rendered.ok) piece = rendered.value as string;
      else {
        failures.push({ expression: part.raw, message: rendered.message, kind: rendered.kind });
        piece = part.raw;
      }
    }
    length += piece.length;
    if (length > limits.maxStringLength) {
      return { value: text, failures: [...failures, { expression: shorten(text), message: `the result would exceed ${limits.maxStringLength} characters`, kind: 'evaluation' }] };
    }
    pieces.push(piece);
  }
  return { value: pieces.join(''), failures };
}

/** Parses and evaluates one expression; the value is internal (not yet copied out). */
function runExpression(source: string, offset: number, ev: Evaluation): Outcome {
  const parsed = parseExpressionSource(source, offset, ev.budget.limits);
  if (!parsed.ok) return { ok: false, message: syntaxMessage(parsed.error), kind: 'parse' };
  return attempt(() => evaluateNode(parsed.node, ev));
}

/** Runs evaluator code, turning expected failures into values. */
function attempt(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (error instanceof ExpressionFailure) return { ok: false, message: error.message, kind: 'evaluation' };
    // A host limit (stack depth, string length) reached despite our own bounds: still the expression's failure.
    if (error instanceof RangeError) return { ok: false, message: 'the expression is too complex to evaluate', kind: 'evaluation' };
    throw error;
  }
}

/** Public entry points never leak anything but a GennakerError. */
function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof GennakerError) throw error;
    throw new GennakerError('Gennaker.ExpressionError', `internal error in the expression evaluator: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** A template whose value is null, kept as text: Orca's `<expression> not found` at level INFO. */
function unresolved(raw: string, source: string): EvaluationFailure {
  return { expression: raw, message: `${source.trim()} not found (its value is null); the text is kept`, kind: 'unresolved' };
}

function syntaxMessage(error: ExpressionSyntaxError): string {
  return `syntax error at offset ${error.offset}: ${error.message}`;
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
