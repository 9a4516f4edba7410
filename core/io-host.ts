/**
 * The one port through which Gennaker addresses humans. Commands and runtimes emit typed
 * messages; the CLI renders them (colours, tables, progress), the API can stream them, and
 * tests record them. Nothing outside a composition root writes to the console.
 */
import type { ValidationIssue } from './issues.ts';

/** A named figure in a report, e.g. a compile budget. */
export interface ReportFigure {
  readonly name: string;
  readonly value: number | string;
  readonly limit?: number | string;
}

export type IoMessage =
  | { readonly kind: 'validation-issue'; readonly source: string; readonly issue: ValidationIssue }
  | {
      readonly kind: 'validation-summary';
      readonly source: string;
      readonly pipelines: number;
      readonly errors: number;
      readonly warnings: number;
    }
  | { readonly kind: 'report'; readonly title: string; readonly figures: readonly ReportFigure[]; readonly notes: readonly string[] }
  /** Machine-readable output (ASL, JSON): goes to standard output untouched. */
  | { readonly kind: 'data'; readonly text: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'info'; readonly message: string };

export interface IoHost {
  emit(message: IoMessage): void;
}

/** An IoHost that keeps every message: for tests and for callers that render later. */
export function createRecordingIoHost(): IoHost & { readonly messages: readonly IoMessage[] } {
  const messages: IoMessage[] = [];
  return {
    messages,
    emit(message) {
      messages.push(message);
    },
  };
}
