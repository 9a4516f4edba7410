/**
 * Zod building blocks for pipeline fields, each with a message written for the pipeline author.
 *
 * Conventions the issue mapper (`zod-issues.ts`) relies on:
 * - when a required field is missing (or null), a field's message is the *fix* only
 *   (`add the URL to call`); the mapper prefixes `'url' is required; `;
 * - otherwise the message is the whole line (`expected a number of seconds, got 'abc'`);
 * - a custom issue may carry `params.issueCode` to pick the issue code (`regex`, `cron`...).
 *
 * Spinnaker's JSON is loose: Jackson treats null as absent, Deck writes some numbers as strings
 * ("5"), and almost any field may hold a `${...}` template evaluated at stage start. The helpers
 * below accept exactly that and nothing looser.
 */
import { z } from 'zod';
import type { IssueCode } from '../issues.ts';
import { showValue } from '../issues.ts';

/** A string holding a `${...}` template: kept as text and evaluated when the stage starts. */
export type Expression = string;

export function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

function isMissing(input: unknown): boolean {
  return input === undefined || input === null;
}

/** Null counts as absent (Jackson's reading); the result is optional. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** Null or absent → the default. */
export function withDefault<T extends z.ZodType>(schema: T, fallback: unknown) {
  return z.preprocess((value) => (value === null || value === undefined ? fallback : value), schema) as unknown as z.ZodType<z.output<T>>;
}

/**
 * The noun of a field description without its example: `the URL to call, e.g. '...'` →
 * `the URL to call`. "add ..." messages keep the example; "expected ..." messages do not.
 */
export function noun(what: string): string {
  const at = what.indexOf(', e.g. ');
  return at < 0 ? what : what.slice(0, at);
}

/** The message of a string field: the fix when missing, the expectation otherwise. */
export function stringMessage(what: string, input: unknown): string {
  return isMissing(input) ? `add ${what}` : `expected ${noun(what)} (a string), got ${showValue(input)}`;
}

/** A non-blank string, e.g. `text("the URL to call, e.g. 'https://...'")`. */
export function text(what: string) {
  return z
    .string({ error: (issue) => stringMessage(what, issue.input) })
    .refine((value) => value.trim() !== '', { message: `expected ${noun(what)}, got an empty string` });
}

/** Any string, blank allowed (Deck writes `""` for unset text fields). */
export function anyText(what: string) {
  return z.string({ error: (issue) => stringMessage(what, issue.input) });
}

export function flag(what = 'true or false') {
  return z.boolean({ error: (issue) => (isMissing(issue.input) ? `add ${what}` : `expected true or false, got ${showValue(issue.input)}`) });
}

export function oneOf<const V extends readonly [string, ...string[]]>(values: V, what: string) {
  return z.enum(values, {
    error: (issue) => (isMissing(issue.input) ? `add ${what}: one of ${values.join(', ')}` : `expected one of ${values.join(', ')}, got ${showValue(issue.input)}`),
  });
}

export function textList(what: string) {
  return z.array(anyText(what), {
    error: (issue) => (isMissing(issue.input) ? `add ${what} (a list)` : `expected a list of ${what}, got ${showValue(issue.input)}`),
  });
}

/** An object with any fields (passed through untouched). */
export function anyObject(what: string) {
  return z.record(z.string(), z.unknown(), {
    error: (issue) => (isMissing(issue.input) ? `add ${what}` : `expected ${what} (an object), got ${showValue(issue.input)}`),
  });
}

export interface NumberRules {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
  /** Reject `${...}` templates (for values the plan depends on). */
  readonly noExpression?: boolean;
}

function numberProblem(value: number, what: string, rules: NumberRules): string | undefined {
  if (!Number.isFinite(value)) return `expected ${what}, got ${showValue(value)}`;
  if (rules.integer && !Number.isInteger(value)) return `expected ${what} (a whole number), got ${value}`;
  if ((rules.min !== undefined && value < rules.min) || (rules.max !== undefined && value > rules.max)) {
    const range = rules.min !== undefined && rules.max !== undefined ? `${rules.min}-${rules.max}` : rules.min !== undefined ? `at least ${rules.min}` : `at most ${rules.max}`;
    return `expected ${what} (${range}), got ${value}`;
  }
  return undefined;
}

/**
 * A number, a numeric string (`"5"`, as Deck writes some fields) or a `${...}` template.
 * Output: the number, or the template text. Blank strings count as absent.
 */
export function numberOrExpression(what: string, rules: NumberRules = {}): z.ZodType<number | Expression> {
  return z.unknown().transform((input, ctx) => {
    const value = typeof input === 'string' && input.trim() === '' ? undefined : input;
    if (isMissing(value)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'number', input, message: `add ${what}` });
      return z.NEVER;
    }
    if (isTemplate(value) && !rules.noExpression) return value as Expression;
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : undefined;
    if (number === undefined) {
      ctx.issues.push({ code: 'invalid_type', expected: 'number', input, message: `expected ${what}, got ${showValue(input)}` });
      return z.NEVER;
    }
    const problem = numberProblem(number, what, rules);
    if (problem) {
      ctx.issues.push({ code: 'custom', input, message: problem });
      return z.NEVER;
    }
    return number;
  });
}

/** A number or numeric string, never a template (the plan depends on it). */
export function plainNumber(what: string, rules: Omit<NumberRules, 'noExpression'> = {}): z.ZodType<number> {
  return numberOrExpression(what, { ...rules, noExpression: true }) as z.ZodType<number>;
}

/** A custom issue with a chosen issue code. */
export function customIssue(input: unknown, message: string, issueCode: IssueCode, path: Array<string | number> = []) {
  return { code: 'custom' as const, input, message, path, params: { issueCode } };
}

/** Default messages for schemas without their own (`parse-level` error map). */
export function defaultErrorMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = describeType(String(issue.expected));
      return isMissing(issue.input) ? `add ${expected}` : `expected ${expected}, got ${showValue(issue.input)}`;
    }
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}, got ${showValue(issue.input)}`
        : `expected a value of at least ${String(issue.minimum)}, got ${showValue(issue.input)}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `expected at most ${String(issue.maximum)} items, got ${showValue(issue.input)}`
        : `expected a value of at most ${String(issue.maximum)}, got ${showValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => showValue(value)).join(', ')}, got ${showValue(issue.input)}`;
    case 'invalid_format':
      return `expected ${issue.format} text, got ${showValue(issue.input)}`;
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}, got ${showValue(issue.input)}`;
    case 'invalid_union':
      return `has an unexpected shape: ${showValue(issue.input)}`;
    default:
      return issue.message ?? `is invalid: ${showValue(issue.input)}`;
  }
}

function describeType(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'an object';
    case 'nonoptional':
      return 'a value';
    default:
      return expected;
  }
}

/**
 * A union told apart by one field (`type`), with a readable message for an unknown tag at that
 * field's own pointer; each variant's issues keep their paths.
 */
export function tagged<const K extends string, V extends Record<string, z.ZodType>>(
  key: K,
  variants: V,
  what: string,
): z.ZodType<{ [T in keyof V]: z.output<V[T]> }[keyof V]> {
  const tags = Object.keys(variants);
  return z.unknown().transform((input, ctx) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'object', input, message: isMissing(input) ? `add ${what}` : `expected ${what} (an object), got ${showValue(input)}` });
      return z.NEVER;
    }
    const tag = (input as Record<string, unknown>)[key];
    const variant = typeof tag === 'string' && Object.prototype.hasOwnProperty.call(variants, tag) ? variants[tag] : undefined;
    if (variant === undefined) {
      if (isMissing(tag)) {
        ctx.issues.push({ code: 'invalid_type', expected: 'string', input: tag, path: [key], message: `add the ${what} ${key}: one of ${tags.join(', ')}` });
      } else {
        ctx.issues.push({ code: 'invalid_value', values: tags, input: tag, path: [key], message: `${what} ${key} ${showValue(tag)} is unknown; use one of ${tags.join(', ')}` });
      }
      return z.NEVER;
    }
    const result = variant.safeParse(input, { error: defaultErrorMessage });
    if (!result.success) {
      for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: undefined } as z.core.$ZodRawIssue);
      return z.NEVER;
    }
    return result.data as { [T in keyof V]: z.output<V[T]> }[keyof V];
  });
}

/** Any JSON value, but present. */
export function anyValue(what: string) {
  return z.unknown().superRefine((value, ctx) => {
    if (value === undefined) ctx.addIssue({ code: 'invalid_type', expected: 'nonoptional', input: value, message: `add ${what}` });
  });
}
