/**
 * `expressionEvaluationSummary`: the record of expressions that failed at a stage, in Orca's
 * shape (spinnaker/orca#1560) — keyed by the expression as written, each with the reasons —
 * so the UI and the API show why a `${...}` was kept as text.
 */

export interface ExpressionFailureRecord {
  /** JSON pointer of the field in the stage context. */
  readonly pointer: string;
  readonly expression: string;
  readonly message: string;
}

export interface SummaryEntry {
  readonly description: string;
  readonly level: 'ERROR';
  readonly timestamp: number;
}

/** Adds failures to an existing summary (or none). */
export function summarizeFailures(failures: readonly ExpressionFailureRecord[], now: number, existing?: unknown): Record<string, SummaryEntry[]> {
  const summary: Record<string, SummaryEntry[]> = {};
  if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) {
    for (const [key, value] of Object.entries(existing)) if (Array.isArray(value)) summary[key] = value as SummaryEntry[];
  }
  for (const failure of failures) {
    const key = failure.expression === '' ? failure.pointer : failure.expression;
    const entry: SummaryEntry = { description: `Failed to evaluate ${failure.pointer || '/'}: ${failure.message}`, level: 'ERROR', timestamp: now };
    Object.defineProperty(summary, key, { value: [...(summary[key] ?? []), entry], enumerable: true, writable: true, configurable: true });
  }
  return summary;
}
