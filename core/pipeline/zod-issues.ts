/**
 * Turns zod's issues into ValidationIssues: a JSON pointer into the document as given, the bad
 * value read from the document itself, and one line of message (see `fields.ts` for the
 * conventions). Also defines ConfigIssue, the relative form stage and trigger checks return.
 */
import type { z } from 'zod';
import type { IssueCode, IssueSeverity, ValidationIssue } from '../issues.ts';
import { pointerJoin } from '../issues.ts';
import { defaultErrorMessage } from './fields.ts';

/** An issue found by a stage or trigger type's own checks, relative to that stage or trigger. */
export interface ConfigIssue {
  readonly path: ReadonlyArray<string | number>;
  readonly code: IssueCode;
  readonly message: string;
  readonly severity: IssueSeverity;
  readonly value?: unknown;
}

export type SafeParse<T> = { success: true; data: T } | { success: false; error: z.ZodError };

/** Runs a schema with Gennaker's default messages; never throws. */
export function safeParse<T>(schema: z.ZodType<T>, input: unknown): SafeParse<T> {
  return schema.safeParse(input, { error: defaultErrorMessage }) as SafeParse<T>;
}

/** Reads the value at a zod path inside the document (undefined when absent). */
export function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof segment === 'symbol') return undefined;
    current = Object.prototype.hasOwnProperty.call(current, segment) ? (current as Record<string, unknown>)[segment as string] : undefined;
  }
  return current;
}

export function issuesFromZod(error: z.ZodError, root: unknown, base: string, severity: IssueSeverity = 'error'): ValidationIssue[] {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    const pointer = pointerJoin(base, ...path);
    const value = valueAt(root, path);
    const last = path[path.length - 1];
    const params = issue.code === 'custom' ? (issue.params as { issueCode?: IssueCode } | undefined) : undefined;
    let code: IssueCode;
    let message = oneLine(issue.message);
    if (params?.issueCode) {
      code = params.issueCode;
    } else if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && (value === undefined || value === null) && typeof last === 'string') {
      code = 'required';
      message = `'${last}' is required; ${message}`;
    } else if (issue.code === 'invalid_type' && (value === undefined || value === null)) {
      code = 'wrong-type';
      message = `expected a value, got ${value === null ? 'null' : 'nothing'}; remove the empty entry`;
    } else {
      code = issue.code === 'invalid_type' ? 'wrong-type' : 'invalid-value';
    }
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(value === undefined ? { pointer, code, message, severity } : { pointer, code, message, severity, value });
  }
  return issues;
}

export function fromConfigIssues(issues: readonly ConfigIssue[], root: unknown, base: string): ValidationIssue[] {
  return issues.map((issue) => {
    const value = issue.value !== undefined ? issue.value : valueAt(root, issue.path);
    const mapped = { pointer: pointerJoin(base, ...issue.path), code: issue.code, message: oneLine(issue.message), severity: issue.severity };
    return value === undefined ? mapped : { ...mapped, value };
  });
}

function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}
