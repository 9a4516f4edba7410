/**
 * The one port through which Gennaker addresses humans. Commands and runtimes emit typed
 * messages; the CLI renders them (colours, tables, progress), the API can stream them, and
 * tests record them. Nothing outside a composition root writes to the console.
 */
import type { ExecutionStatus } from './execution/status.ts';
import type { ValidationIssue } from './issues.ts';
import type { NotificationDelivery } from './ports/execution-store.ts';

/** A named figure in a report, e.g. a compile budget. */
export interface ReportFigure {
  readonly name: string;
  readonly value: number | string;
  readonly limit?: number | string;
}

/** One stage of a running execution, as progress displays show it. */
export interface StageProgress {
  readonly id: string;
  readonly refId: string;
  readonly name: string;
  readonly type: string;
  readonly status: ExecutionStatus;
  /** Longest path from a root stage: the indentation of the stage tree. */
  readonly depth: number;
  /** Milliseconds since the stage started (to its end once complete); absent before it starts. */
  readonly durationMs?: number;
  /** True while a manual judgment waits for an answer. */
  readonly awaitingJudgment?: boolean;
  /** Why the stage did not succeed, one line (core/execution/failure-reason.ts); absent otherwise. */
  readonly reason?: string;
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
  /**
   * A running execution changed: the whole stage tree (for displays that redraw) and the stages
   * whose status changed since the last message (for displays that print one line per change).
   */
  | {
      readonly kind: 'execution-progress';
      readonly executionId: string;
      readonly pipeline: string;
      readonly status: ExecutionStatus;
      readonly durationMs?: number;
      /** Why the execution did not succeed, one line; absent while it runs or once it succeeded. */
      readonly reason?: string;
      /** The execution's own status changed with this message. */
      readonly statusChanged: boolean;
      readonly stages: readonly StageProgress[];
      readonly changed: readonly StageProgress[];
      /** The notifications sent for the execution so far, with their status and why one failed. */
      readonly notifications?: readonly NotificationDelivery[];
    }
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
