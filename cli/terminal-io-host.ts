/**
 * Renders IoHost messages on a terminal: data to stdout untouched, everything meant for a
 * person to stderr, one line per issue, colour only when the stream is a TTY.
 */
import type { IoHost, IoMessage } from '../core/io-host.ts';
import { formatIssue } from '../core/issues.ts';

export interface TerminalStreams {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
}

export function createTerminalIoHost(streams: TerminalStreams): IoHost {
  const colour = Boolean(streams.stderr.isTTY) && !('NO_COLOR' in process.env);
  const paint = (code: string, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const out = (text: string) => streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string) => streams.stderr.write(`${text}\n`);

  return {
    emit(message: IoMessage) {
      switch (message.kind) {
        case 'data':
          out(message.text);
          return;
        case 'validation-issue': {
          const label = message.issue.severity === 'error' ? paint('31', 'error') : paint('33', 'warning');
          out(`${message.source}#${formatIssue(message.issue)} ${paint('2', `[${label}]`)}`);
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
        case 'error':
          err(paint('31', `error: ${message.message}`));
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
