/**
 * A cloud adapter's pure save-time check of a cluster entry (core/ports/cluster-checks.ts), from
 * the two things the adapter already has: the zod schema of its provider fields (every bad field
 * at once) and its parser's cross-field rules (the first problem, in the parser's own words, as a
 * create would answer it). What the pipeline leaves to an expression (`${...}`) is not reported:
 * it is known only when the stage runs.
 */
import type { z } from 'zod';
import type { ClusterFieldIssue } from '../../core/ports/cluster-checks.ts';

/** A parser's answer, as both AWS targets write it: failures say `provider field <field> is <value>; <fix>`. */
export type ProviderFieldParse = { readonly ok: true } | { readonly ok: false; readonly message: string };

export interface ProviderFieldCheckOptions {
  /** The provider fields' schema; each of its issues' messages is the fix. */
  readonly schema: z.ZodType;
  /** The parser (cross-field rules), for one region. */
  readonly parse: (entry: Readonly<Record<string, unknown>>, region: string) => ProviderFieldParse;
  /** The line of a bad field: `provider field <field> is <value>; <fix>`. */
  readonly problem: (field: string, value: unknown, fix: string) => string;
  /** The regions the entry deploys to; none: the parser runs once, for no region. */
  readonly regions: readonly string[];
}

type Path = readonly PropertyKey[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function holdsExpression(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('${');
  if (Array.isArray(value)) return value.some(holdsExpression);
  if (isObject(value)) return Object.values(value).some(holdsExpression);
  return false;
}

/** The value at a path, or undefined. */
export function valueAt(input: unknown, path: Path): unknown {
  let value = input;
  for (const key of path) {
    if (!isObject(value)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Whether the value at `path`, or one on the way to it, holds an expression. */
export function expressionAlong(input: unknown, path: Path): boolean {
  let value = input;
  for (const key of path) {
    if (typeof value === 'string' && value.includes('${')) return true;
    if (!isObject(value)) return false;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return holdsExpression(value);
}

/** `a.b[2].c` as a path; the field of a parser's line (`provider field a.b[2].c is ...`). */
export function pathOfField(field: string): (string | number)[] {
  const path: (string | number)[] = [];
  for (const part of field.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) {
      path.push(part);
      continue;
    }
    if (match[1] !== '') path.push(match[1]!);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
  }
  return path;
}

/** `a.b[2].c` for a path. */
export function fieldOfPath(path: Path): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`), '');
}

/** A value for a one-line message: JSON, at most 80 characters. */
export function shown(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'missing' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The one line of a bad provider field, as every target's parser writes it (the save-time check reads it back). */
export function problem(field: string, value: unknown, fix: string): string {
  return `provider field ${field} is ${shown(value)}; ${fix}`;
}

const PARSER_LINE = /^provider field (\S+) is /;

/**
 * Every schema issue of the entry; when the schema has none, the parser's first problem in each
 * region. Issues on values that hold an expression are left out (and so are the parser's rules,
 * when the schema could not read the entry for an expression's sake).
 */
export function providerFieldIssues(entry: Readonly<Record<string, unknown>>, options: ProviderFieldCheckOptions): ClusterFieldIssue[] {
  const parsed = options.schema.safeParse(entry);
  if (!parsed.success) {
    const issues: ClusterFieldIssue[] = [];
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((key): key is string | number => typeof key === 'string' || typeof key === 'number');
      if (expressionAlong(entry, path)) continue;
      const value = valueAt(entry, path);
      issues.push({
        path,
        code: value === undefined ? 'required' : 'invalid-value',
        message: options.problem(fieldOfPath(path), value, issue.message),
        severity: 'error',
        ...(value !== undefined ? { value } : {}),
      });
    }
    return issues;
  }
  const issues: ClusterFieldIssue[] = [];
  for (const region of options.regions.length > 0 ? options.regions : ['']) {
    const result = options.parse(entry, region);
    if (result.ok || result.message.includes('${')) continue;
    const field = PARSER_LINE.exec(result.message)?.[1];
    const path = field !== undefined ? pathOfField(field) : [];
    if (expressionAlong(entry, path)) continue;
    const value = valueAt(entry, path);
    if (!issues.some((known) => known.message === result.message)) {
      issues.push({ path, code: value === undefined ? 'required' : 'invalid-value', message: result.message, severity: 'error', ...(value !== undefined ? { value } : {}) });
    }
  }
  return issues;
}

/** Whether the entry has a field that may carry what to run: `artifact`, `imageArtifactId`, an expected artifact... (any set field named with "artifact"). */
export function namesAnArtifact(entry: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(entry).some(([key, value]) => /artifact/i.test(key) && value !== undefined && value !== null && value !== '' && value !== false);
}
