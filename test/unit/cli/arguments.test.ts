/**
 * The command line's mistakes, each one line in the CLI's words with the nearest known option or
 * command — never parseArgs's own message — and exit code 2, through the CLI's main.
 */
import { describe, expect, it } from 'vitest';
import type { IoHost, IoMessage } from '../../../core/io-host.ts';
import { COMMANDS, optionProblem, parseCommandLine, SUB_COMMANDS, unknownCommand } from '../../../cli/arguments.ts';
import { main } from '../../../cli/main.ts';
import { HELP, UsageError } from '../../../cli/usage.ts';

/** Runs the CLI in this process; answers its exit code and what it said. */
async function gennaker(argv: string[]): Promise<{ code: number; errors: string[] }> {
  const messages: IoMessage[] = [];
  const io: IoHost = { emit: (message) => void messages.push(message) };
  const code = await main(argv, { io, stdin: async () => '' });
  return { code, errors: messages.flatMap((message) => (message.kind === 'error' ? [message.message] : [])) };
}

describe('options the CLI does not know or that lack their value', () => {
  it.each([
    [['validate', 'p.json', '--jsn'], "unknown option '--jsn' (did you mean --json?); gennaker --help lists the options"],
    [['up', '--prot', '0'], "unknown option '--prot' (did you mean --port?); gennaker --help lists the options"],
    [['run', 'p.json', '--allow-urls', 'http://x'], "unknown option '--allow-urls' (did you mean --allow-url?); gennaker --help lists the options"],
    [['--frobnicate'], "unknown option '--frobnicate'; gennaker --help lists the options"],
    [['-x'], "unknown option '-x' (short options: -h for --help, -o for --out, -f for --file); gennaker --help lists the options"],
    [['up', '--port'], '--port needs a value, e.g. --port 8084'],
    [['pipeline', 'save', '-f'], '--file needs a value, e.g. --file pipeline.json'],
    [['up', '--port', '--json'], "--port needs a value, got the option '--json' after it; give the value (a value starting with '-' is written --port=--json)"],
    [['validate', 'p.json', '--json=yes'], "--json takes no value, got '--json=yes'; write --json alone"],
    [['up', '--sandbox-speed', '300'], '--sandbox-speed runs up --sandbox on a simulated clock; add --sandbox'],
    [['up', '--sandbox', '--sandbox-speed', 'fast'], "--sandbox-speed is 'fast'; set simulated seconds per second, a number from 1 to 10000 (default 30)"],
    [['run', 'p.json', '--sandbox-speed', '300'], '--sandbox-speed sets the speed of the simulated clouds of --sandbox; add --sandbox'],
  ])('gennaker %j: %s (exit 2)', async (argv, message) => {
    const { code, errors } = await gennaker(argv);
    expect(errors).toEqual([message]);
    expect(code).toBe(2);
  });

  it('never shows parseArgs’s own wording', async () => {
    for (const argv of [['--jsn'], ['--port'], ['--port', '--json'], ['--json=1'], ['-hx']]) {
      const { errors } = await gennaker(argv);
      expect(errors.join('\n')).not.toMatch(/Unknown option|argument missing|ambiguous|To specify/);
    }
  });

  it('reads values with a dash when written inline, and - (standard input) as a value', () => {
    expect(parseCommandLine(['execution', 'cancel', 'E1', '--reason=-rollback-']).values.reason).toBe('-rollback-');
    expect(parseCommandLine(['pipeline', 'save', '-f', '-']).values.file).toBe('-');
    expect(optionProblem(['pipeline', 'save', '-f', '-'])).toBeUndefined();
  });
});

describe('commands the CLI does not know', () => {
  it.each([
    [['valdate', 'p.json'], "unknown command 'valdate' (did you mean 'validate'?); use one of demo, canary, validate, compile, run, up, dashboard, sandbox, pipeline, template, execution, judge, expr, cluster, rollback, accounts, user, secret, audit (gennaker --help)"],
    [['pipline', 'list', 'app'], "unknown command 'pipline' (did you mean 'pipeline'?); use one of demo, canary, validate, compile, run, up, dashboard, sandbox, pipeline, template, execution, judge, expr, cluster, rollback, accounts, user, secret, audit (gennaker --help)"],
    [['pipeline', 'lsit', 'app'], "unknown pipeline command 'lsit' (did you mean 'list'?); use one of save, list, execute, delete"],
    [['execution', 'cancle', 'E1'], "unknown execution command 'cancle' (did you mean 'cancel'?); use one of list, get, watch, cancel, restart"],
    [['execution'], 'execution command missing; use one of list, get, watch, cancel, restart'],
    [['sandbox', 'describ'], "unknown sandbox command 'describ' (did you mean 'describe'?); use one of describe"],
    [['canary', 'jduge'], "unknown canary command 'jduge' (did you mean 'judge'?); use one of judge, report, config (gennaker canary judge --config canary-config.json --data metrics.json)"],
    [['user', 'ad', 'ana'], "unknown user command 'ad' (did you mean 'add'?); use one of add, list, remove (gennaker user add NAME --roles a,b [--admin])"],
  ])('gennaker %j: %s (exit 2)', async (argv, message) => {
    const { code, errors } = await gennaker(argv);
    expect(errors).toEqual([message]);
    expect(code).toBe(2);
  });

  it('knows every command and sub-command --help shows, so a near miss is suggested from all of them', () => {
    const shown = [...HELP.matchAll(/^ {2}gennaker ([a-z]+)(?: ([a-z][a-z-]*))?/gm)].map((match) => [match[1]!, match[2]] as const);
    expect(shown.length).toBeGreaterThan(20);
    for (const [command, sub] of shown) {
      expect(COMMANDS, `gennaker ${command}`).toContain(command);
      if (sub !== undefined && SUB_COMMANDS[command] !== undefined) expect(SUB_COMMANDS[command], `gennaker ${command} ${sub}`).toContain(sub);
    }
  });

  it('suggests nothing when no command is close', () => {
    expect(unknownCommand('command', 'zzzzzz', ['validate', 'run'])).toEqual(new UsageError("unknown command 'zzzzzz'; use one of validate, run"));
  });
});
