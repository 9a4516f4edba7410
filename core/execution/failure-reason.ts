/**
 * Why a stage or an execution did not succeed, as one line a person reads next to its status.
 * The reason lives where Orca keeps it — a stage's `context.exception.details` (`error`, or the
 * `errors` list), a judgment's `judgmentStatus: stop`, a skipped stage's `skippedReason`, an
 * execution's `cancellationReason` — and progress displays would otherwise show only
 * "TERMINAL (3 ms)", leaving the reason to `--json`. Pure: records in, text out.
 */
import type { ExecutionStatus } from './status.ts';

/** Longest reason shown on a status line; longer ones end with an ellipsis (the whole text stays in --json). */
export const MAX_REASON_CHARS = 300;

/** The parts of a stage a reason is read from (a stored record and Orca's JSON both have them). */
export interface ReasonSource {
  readonly type: string;
  readonly status: ExecutionStatus;
  readonly context: Readonly<Record<string, unknown>>;
}

/** The parts of an execution a reason is read from. */
export interface ExecutionReasonSource {
  readonly status: ExecutionStatus;
  readonly cancellationReason?: string | null;
  readonly stages: ReadonlyArray<ReasonSource & { readonly name: string; readonly parentStageId?: string }>;
}

/** Statuses shown without a reason: the run went (or is going) as planned. */
const NO_REASON: ReadonlySet<ExecutionStatus> = new Set(['SUCCEEDED', 'RUNNING', 'NOT_STARTED', 'BUFFERED']);

/** Collapses whitespace (multi-line job output, stack-like text) to one line and caps its length. */
export function oneLine(text: string, max = MAX_REASON_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The stage's own account of its failure: the exception's error (or errors), the judgment, the skip. */
function stageReasonText(stage: ReasonSource): string | undefined {
  const exception = stage.context['exception'];
  if (typeof exception === 'object' && exception !== null) {
    const details = (exception as { details?: unknown }).details;
    if (typeof details === 'object' && details !== null) {
      const error = text((details as { error?: unknown }).error);
      if (error !== undefined) return error;
      const errors = (details as { errors?: unknown }).errors;
      if (Array.isArray(errors)) {
        const listed = errors.filter((entry): entry is string => text(entry) !== undefined);
        if (listed.length > 0) return listed.join('; ');
      }
    }
    const message = text((exception as { message?: unknown }).message);
    if (message !== undefined) return message;
  }
  if (stage.type === 'manualJudgment' && stage.context['judgmentStatus'] === 'stop') {
    const by = text(stage.context['lastModifiedBy']);
    const input = text(stage.context['judgmentInput']);
    return `judged 'stop'${by !== undefined ? ` by ${by}` : ''}${input !== undefined ? ` (${input})` : ''}`;
  }
  const failed = stage.context['failedPrecondition'];
  if (typeof failed === 'object' && failed !== null) {
    const message = text((failed as { message?: unknown }).message);
    if (message !== undefined) return message;
  }
  return text(stage.context['skippedReason']);
}

/**
 * Why the stage did not succeed, one line; undefined for a stage that succeeded, runs or has no
 * reason recorded. With the stage's `name`, a message that starts by naming the stage (as many
 * task messages do) loses that prefix: the status line names it already.
 */
export function stageFailureReason(stage: ReasonSource & { readonly name?: string }): string | undefined {
  if (NO_REASON.has(stage.status)) return undefined;
  const reason = stageReasonText(stage);
  if (reason === undefined) return undefined;
  const prefix = stage.name === undefined ? undefined : `stage '${stage.name}': `;
  return oneLine(prefix !== undefined && reason.startsWith(prefix) ? reason.slice(prefix.length) : reason);
}

/**
 * Why the execution did not succeed, one line: its cancellation reason, else the reason of the
 * first top-level stage that halted it (TERMINAL), else of the first that did not succeed.
 */
export function executionFailureReason(execution: ExecutionReasonSource): string | undefined {
  if (NO_REASON.has(execution.status)) return undefined;
  const cancelled = text(execution.cancellationReason ?? undefined);
  if (cancelled !== undefined) return oneLine(cancelled);
  const top = execution.stages.filter((stage) => stage.parentStageId === undefined);
  const ordered = [...top.filter((stage) => stage.status === 'TERMINAL'), ...top.filter((stage) => stage.status !== 'TERMINAL' && stage.status !== 'SKIPPED')];
  for (const stage of ordered) {
    const reason = stageFailureReason(stage);
    if (reason !== undefined) return oneLine(`stage '${stage.name}': ${reason}`);
  }
  return undefined;
}
