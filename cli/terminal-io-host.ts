/**
 * Renders IoHost messages on a terminal: data to stdout untouched, everything meant for a
 * person to stderr, one line per issue, colour only when the stream is a TTY.
 */
import type { NotificationDelivery } from '../core/ports/execution-store.ts';
import type { ExecutionStatus } from '../core/execution/status.ts';
import type { IoHost, IoMessage, StageProgress } from '../core/io-host.ts';
import { oneLine } from '../core/execution/failure-reason.ts';
import { formatIssue } from '../core/issues.ts';

export interface TerminalStreams {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/**
 * A reader that stops reading (`gennaker pipeline list | head -1`) closes the pipe; the next write
 * fails with EPIPE, which Node raises as an error event on the stream. That is the reader's
 * choice, not a failure: the process ends at once and quietly, with `code` (0 by default, so a
 * shell pipeline under `set -o pipefail` succeeds as it does for other tools that stop on a
 * closed pipe without complaint). Any other stream error is raised as before.
 */
export function exitQuietlyOnClosedPipe(stream: { on(event: 'error', listener: (error: Error) => void): unknown }, exit: (code: number) => void, code = 0): void {
  stream.on('error', (error) => {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') {
      exit(code);
      return;
    }
    throw error;
  });
}

/** How a message introduces a list of the types it accepts, and what it says instead once the list was printed. */
const LIST_INTROS: ReadonlyArray<readonly [intro: string, again: string]> = [
  ['supported types: ', 'supported types listed above'],
  [', one of ', ', one of the types listed above'],
  ['use one of ', 'use one of the types listed above'],
];

/** A list this long is worth printing once; shorter ones (a field's two or three values) stay on every line. */
const LONG_LIST_ITEMS = 6;

/**
 * For one run's output: a message that ends by listing the supported types (a stage type not
 * supported yet, an unknown trigger type...) lists them the first time; later messages with the
 * same list point back to it instead of repeating dozens of names on every line.
 */
export function createListOnce(): (message: string) => string {
  const printed = new Set<string>();
  return (message) => {
    for (const [intro, again] of LIST_INTROS) {
      const at = message.lastIndexOf(intro);
      if (at === -1) continue;
      const tail = message.slice(at + intro.length);
      const closed = tail.endsWith(')') && !tail.includes('(');
      const list = closed ? tail.slice(0, -1) : tail;
      if (list.includes(';') || list.split(', ').length < LONG_LIST_ITEMS) continue;
      if (!printed.has(list)) {
        printed.add(list);
        return message;
      }
      return `${message.slice(0, at)}${again}${closed ? ')' : ''}`;
    }
    return message;
  };
}

export function createTerminalIoHost(streams: TerminalStreams): IoHost {
  const colour = Boolean(streams.stderr.isTTY) && !('NO_COLOR' in process.env);
  const paint = (code: string, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const out = (text: string) => streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string) => {
    drawnLines = 0;
    streams.stderr.write(`${text}\n`);
  };
  const live = Boolean(streams.stderr.isTTY);
  const listOnce = createListOnce();
  /** Lines of the last progress tree on a TTY, redrawn in place by the next one. */
  let drawnLines = 0;
  const statusText = (status: ExecutionStatus, awaitingJudgment = false) =>
    awaitingJudgment ? paint('35', 'WAITING FOR JUDGMENT') : paint(STATUS_COLOURS[status] ?? '0', status);
  /** The reason beside a status that is not a success: ': <why>' on a plain line. */
  const because = (reason: string | undefined) => (reason === undefined ? '' : `: ${reason}`);
  /**
   * A tree line with its reason, cut to the terminal's width: the tree is redrawn in place by
   * counting lines, which a wrapped line would throw off.
   */
  const withTreeReason = (line: string, reason: string | undefined) => {
    if (reason === undefined) return line;
    const room = (streams.stderr.columns ?? Number.POSITIVE_INFINITY) - visibleLength(line) - 3;
    return room < 12 ? line : `${line}  ${paint('31', oneLine(reason, room))}`;
  };
  const stageLine = (stage: StageProgress) =>
    withTreeReason(
      `${'  '.repeat(stage.depth + 1)}${stage.name} ${paint('2', `[${stage.refId}] ${stage.type}`)}  ${statusText(stage.status, stage.awaitingJudgment)}` +
        (stage.durationMs !== undefined ? paint('2', `  ${formatDuration(stage.durationMs)}`) : ''),
      stage.reason,
    );

  /** What a delivery was for: `stage.failed of stage 1`, `manualJudgment reminder 2 of stage 3`. */
  const deliveryEvent = (delivery: NotificationDelivery) =>
    `${delivery.event}${delivery.reminder !== undefined ? ` reminder ${delivery.reminder}` : ''}${delivery.stageRefId !== undefined ? ` of stage ${delivery.stageRefId}` : ''}`;

  /** A notification delivery under the tree: `notification slack #deploys (stage.failed): FAILED: why`. */
  const deliveryLine = (delivery: NotificationDelivery) =>
    withTreeReason(
      `  notification ${delivery.type} ${delivery.recipient} ${paint('2', `(${deliveryEvent(delivery)})`)}  ${paint(delivery.status === 'FAILED' ? '31' : delivery.status === 'SENT' ? '32' : '36', delivery.status)}`,
      delivery.reason,
    );

  return {
    emit(message: IoMessage) {
      switch (message.kind) {
        case 'data':
          out(message.text);
          return;
        case 'validation-issue': {
          const label = message.issue.severity === 'error' ? paint('31', 'error') : paint('33', 'warning');
          out(`${message.source}#${formatIssue({ ...message.issue, message: listOnce(message.issue.message) })} ${paint('2', `[${label}]`)}`);
          return;
        }
        case 'validation-summary': {
          const { source, pipelines, errors, warnings } = message;
          const what = `${pipelines} pipeline${pipelines === 1 ? '' : 's'}`;
          if (errors === 0) {
            err(paint('32', `${source}: ${what} valid${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`));
          } else {
            err(paint('31', `${source}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${what}`));
          }
          return;
        }
        case 'report': {
          err(paint('1', message.title));
          const width = Math.max(...message.figures.map((figure) => figure.name.length), 4);
          for (const figure of message.figures) {
            const limit = figure.limit === undefined ? '' : paint('2', `  (limit ${figure.limit})`);
            err(`  ${figure.name.padEnd(width)}  ${String(figure.value)}${limit}`);
          }
          for (const note of message.notes) err(`  ${note}`);
          return;
        }
        case 'execution-progress': {
          const title = withTreeReason(
            `${message.pipeline} ${paint('2', message.executionId)}  ${statusText(message.status)}` +
              (message.durationMs !== undefined ? paint('2', `  ${formatDuration(message.durationMs)}`) : ''),
            message.reason,
          );
          if (live) {
            const lines = [title, ...message.stages.map(stageLine), ...(message.notifications ?? []).map(deliveryLine)];
            // Move up over the last tree and clear it, then draw the new one.
            const rewind = drawnLines > 0 ? `\u001b[${drawnLines}F\u001b[J` : '';
            streams.stderr.write(`${rewind}${lines.join('\n')}\n`);
            drawnLines = lines.length;
            return;
          }
          for (const stage of message.changed) {
            err(`${message.pipeline}: stage '${stage.name}' [${stage.refId}] ${stage.awaitingJudgment ? 'WAITING FOR JUDGMENT' : stage.status}` +
              (stage.durationMs !== undefined && stage.status !== 'RUNNING' ? ` (${formatDuration(stage.durationMs)})` : '') +
              because(stage.reason));
          }
          if (message.statusChanged) {
            err(`${message.pipeline}: execution ${message.executionId} ${message.status}${because(message.reason)}`);
            for (const delivery of message.notifications ?? []) {
              err(`${message.pipeline}: notification ${delivery.type} to ${delivery.recipient} (${deliveryEvent(delivery)}) ${delivery.status}${because(delivery.reason)}`);
            }
          }
          return;
        }
        case 'error':
          err(paint('31', `error: ${listOnce(message.message)}`));
          return;
        case 'info':
          err(message.message);
          return;
        default: {
          const unreachable: never = message;
          throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
        }
      }
    },
  };
}

const STATUS_COLOURS: Partial<Record<ExecutionStatus, string>> = {
  RUNNING: '36',
  SUCCEEDED: '32',
  FAILED_CONTINUE: '33',
  TERMINAL: '31',
  CANCELED: '2',
  STOPPED: '33',
  SKIPPED: '2',
  NOT_STARTED: '2',
  PAUSED: '35',
};

/** Characters a line takes on screen: its length without colour codes. */
function visibleLength(line: string): number {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** 850 ms, 12.3 s, 4 min 05 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}
