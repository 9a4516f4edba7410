/**
 * The `gennaker` command: the CLI's composition root. It only turns argv into a command call
 * and renders through the IoHost; all behaviour lives in the library layers.
 */
import { parseArgs } from 'node:util';
import type { IoHost } from '../core/io-host.ts';
import { runCompile } from './commands/compile.ts';
import { runValidate } from './commands/validate.ts';
import { loadPipelineDocument, readAllStdin } from './pipeline-files.ts';
import { createTerminalIoHost } from './terminal-io-host.ts';
import { EXIT, HELP, UsageError } from './usage.ts';

export interface MainDeps {
  readonly io?: IoHost;
  readonly stdin?: () => Promise<string>;
}

export async function main(argv: readonly string[], deps: MainDeps = {}): Promise<number> {
  const io = deps.io ?? createTerminalIoHost({ stdout: process.stdout, stderr: process.stderr });
  const stdin = deps.stdin ?? (() => readAllStdin());
  const load = (path: string) => loadPipelineDocument(path, stdin);
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        json: { type: 'boolean', default: false },
        report: { type: 'boolean', default: false },
        pipeline: { type: 'string' },
        out: { type: 'string', short: 'o' },
        'state-map': { type: 'boolean', default: false },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.emit({ kind: 'data', text: HELP });
      return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
    }
    switch (command) {
      case 'validate':
        return await runValidate({ files: rest, json: values.json }, io, load);
      case 'compile':
        if (rest.length > 1) throw new UsageError(`compile takes one file, got ${rest.length}: ${rest.join(' ')}`);
        return await runCompile(
          { file: rest[0], pipeline: values.pipeline, report: values.report, json: values.json, stateMap: values['state-map'], out: values.out },
          io,
          load,
        );
      default:
        throw new UsageError(`unknown command '${command}'; commands: validate, compile (gennaker --help)`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.emit({ kind: 'error', message: (error as Error).message });
      return EXIT.usage;
    }
    throw error;
  }
}
