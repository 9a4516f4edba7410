/**
 * `expressionEvaluationSummary`: the record of expressions that failed at a stage, in Orca's
 * shape (kork-expressions' ExpressionEvaluationSummary as Orca stores it in the stage context):
 * keyed by the expression without its `${ }`, each with a list of
 * `{description, exceptionType, level, timestamp}`, so the UI, the API and scripts written for
 * Spinnaker show why a `${...}` was kept as text.
 */
import type { FailureKind } from '../expressions/index.ts';

export interface ExpressionFailureRecord {
  /** JSON pointer of the field in the stage context. */
  readonly pointer: string;
  readonly expression: string;
  readonly message: string;
  /** @default 'evaluation' */
  readonly kind?: FailureKind;
}

/** One failure as Orca records it. */
export interface SummaryEntry {
  /** `Failed to evaluate [field] why`: the top-level context field, then the reason. */
  readonly description: string;
  /** The SpEL exception class Spinnaker would name for this failure; absent for a null value (INFO), as in Orca. */
  readonly exceptionType?: string;
  /** ERROR when the expression failed, INFO when its value was null and its text was kept. */
  readonly level: 'ERROR' | 'INFO';
  readonly timestamp: number;
}

/** Spinnaker's summary of failed expressions: expression text → its failures. */
export type ExpressionSummary = Record<string, SummaryEntry[]>;

/** SpEL's exception for a failure of this kind: what Orca's summary names in `exceptionType` (none for a null value). */
export function exceptionTypeOf(kind: FailureKind | undefined): string | undefined {
  if (kind === 'unresolved') return undefined;
  return kind === 'parse' ? 'org.springframework.expression.spel.SpelParseException' : 'org.springframework.expression.spel.SpelEvaluationException';
}

/**
 * The summary key of a failed expression, as kork's ExpressionTransform writes it: the text
 * inside a lone `${ }` trimmed, or the text with its `$` signs removed.
 */
export function summaryKey(expression: string): string {
  const lone = /^\$\{(.*)\}$/s.exec(expression);
  return lone ? lone[1]!.trim() : expression.replace(/\$/g, '');
}

/** `Failed to evaluate [field] why`, naming the nested place when the field is not the whole of it. */
export function describeFailure(failure: ExpressionFailureRecord): string {
  const segments = failure.pointer.split('/').slice(1);
  const field = (segments[0] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
  const where = segments.length > 1 ? ` (${failure.pointer})` : '';
  return `Failed to evaluate [${field}]${where} ${failure.message}`;
}

/** Adds failures to an existing summary (or none). */
export function summarizeFailures(failures: readonly ExpressionFailureRecord[], now: number, existing?: unknown): ExpressionSummary {
  const summary: ExpressionSummary = {};
  if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) {
    for (const [key, value] of Object.entries(existing)) if (Array.isArray(value)) define(summary, key, value as SummaryEntry[]);
  }
  for (const failure of failures) {
    const key = failure.expression === '' ? failure.pointer : summaryKey(failure.expression);
    const exceptionType = exceptionTypeOf(failure.kind);
    const entry: SummaryEntry = {
      description: describeFailure(failure),
      ...(exceptionType === undefined ? {} : { exceptionType }),
      level: failure.kind === 'unresolved' ? 'INFO' : 'ERROR',
      timestamp: now,
    };
    // A set, as kork keeps it: the same failure twice is one entry.
    const entries = Object.prototype.hasOwnProperty.call(summary, key) ? (summary[key] as SummaryEntry[]) : [];
    if (entries.some((known) => known.description === entry.description && known.exceptionType === entry.exceptionType)) continue;
    define(summary, key, [...entries, entry]);
  }
  return summary;
}

/** The descriptions of a summary, in order: what Orca adds to `exception.details.errors`. */
export function summaryDescriptions(summary: ExpressionSummary): string[] {
  return Object.values(summary).flatMap((entries) => entries.map((entry) => entry.description));
}

function define(summary: ExpressionSummary, key: string, entries: SummaryEntry[]): void {
  // A key such as `__proto__` is data here, never a prototype.
  Object.defineProperty(summary, key, { value: entries, enumerable: true, writable: true, configurable: true });
}
