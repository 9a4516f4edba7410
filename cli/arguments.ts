/**
 * The command line as the CLI reads it: every option of every command (one flat set: an option
 * means the same thing wherever it appears), parsed with node's parseArgs. A mistake answers
 * one line in the CLI's own words — the option, what is wrong with it, and the nearest known
 * option or command when one is close — never parseArgs's own message.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from '../core/accounts/registry.ts';
import { UsageError } from './usage.ts';

/** Every option of every command. */
export const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean', default: false },
  // validate --strict: an expression Gennaker cannot evaluate is an error.
  strict: { type: 'boolean', default: false },
  report: { type: 'boolean', default: false },
  pipeline: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'state-map': { type: 'boolean', default: false },
  param: { type: 'string', multiple: true },
  judge: { type: 'string', multiple: true },
  artifact: { type: 'string', multiple: true },
  'trigger-type': { type: 'string' },
  // run --sandbox --s3-object s3://bucket/key=./file
  's3-object': { type: 'string', multiple: true },
  // Client commands (up, pipeline, execution, judge): see client-main.ts.
  endpoint: { type: 'string' },
  data: { type: 'string' },
  file: { type: 'string', short: 'f' },
  watch: { type: 'boolean', default: false },
  reason: { type: 'string' },
  input: { type: 'string' },
  port: { type: 'string' },
  limit: { type: 'string' },
  statuses: { type: 'string' },
  account: { type: 'string' },
  regions: { type: 'string' },
  'allow-url': { type: 'string', multiple: true },
  // up: dangerous powers; user add; audit.
  'power-role': { type: 'string', multiple: true },
  root: { type: 'string', multiple: true },
  roles: { type: 'string' },
  admin: { type: 'boolean', default: false },
  app: { type: 'string' },
  // canary judge: see commands/canary.ts (--data is the metrics file there).
  config: { type: 'string' },
  thresholds: { type: 'string' },
  // demo --canary [--seed N]
  canary: { type: 'boolean', default: false },
  sandbox: { type: 'boolean', default: false },
  // run/up --sandbox --sandbox-speed 300: the simulated clock's speed (up: its runtime keeps that clock too).
  'sandbox-speed': { type: 'string' },
  seed: { type: 'string' },
  // template save/get/delete --tag; template plan --template FILE (render without a server).
  tag: { type: 'string' },
  template: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** The top-level commands, as --help lists them. */
export const COMMANDS = ['demo', 'canary', 'validate', 'compile', 'run', 'up', 'dashboard', 'sandbox', 'pipeline', 'template', 'execution', 'judge', 'expr', 'cluster', 'rollback', 'accounts', 'user', 'secret', 'audit'] as const;

/** The sub-commands of the commands that take one (`canary judge` runs here, its others against the API). */
export const SUB_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  pipeline: ['save', 'list', 'execute', 'delete'],
  template: ['plan', 'save', 'list', 'get', 'delete', 'from-pipeline'],
  execution: ['list', 'get', 'watch', 'cancel', 'restart'],
  cluster: ['describe'],
  accounts: ['list'],
  sandbox: ['describe'],
  user: ['add', 'list', 'remove'],
  secret: ['set', 'list', 'remove'],
  canary: ['judge', 'report', 'config'],
};

/** Parses argv strictly; any mistake is a UsageError of one line naming the option. */
export function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    if (!(error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw error;
    throw new UsageError(optionProblem(argv) ?? `the command line could not be read (${(error as Error).message.split('\n')[0]}); gennaker --help lists the options`);
  }
}

const SHORT_NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries(OPTIONS).flatMap(([name, option]) => ('short' in option ? [[option.short, name] as const] : [])),
);

/**
 * The first mistake in argv, in words: an unknown option (with the nearest known one), a value
 * missing or given to an option that takes none. Found from parseArgs's tokens of a lenient
 * parse, which, unlike its errors, say which option and what it was given.
 */
export function optionProblem(argv: readonly string[]): string | undefined {
  const { tokens } = parseArgs({ args: [...argv], allowPositionals: true, strict: false, tokens: true, options: OPTIONS });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = (OPTIONS as Record<string, { type: 'string' | 'boolean' }>)[token.name];
    const long = `--${token.name}`;
    if (option === undefined) {
      const nearest = token.rawName.startsWith('--') ? closestName(token.name, Object.keys(OPTIONS)) : undefined;
      const hint = nearest !== undefined ? ` (did you mean --${nearest}?)` : SHORT_NAMES.size > 0 && !token.rawName.startsWith('--') ? ` (short options: ${[...SHORT_NAMES].map(([short, name]) => `-${short} for --${name}`).join(', ')})` : '';
      return `unknown option '${token.rawName}'${hint}; gennaker --help lists the options`;
    }
    if (option.type === 'boolean' && token.value !== undefined) {
      return `${long} takes no value, got '${token.rawName}=${token.value}'; write ${long} alone`;
    }
    if (option.type === 'string') {
      if (token.value === undefined) return `${long} needs a value, e.g. ${long} ${example(token.name)}`;
      // A value that looks like an option is most likely the next option, the value forgotten.
      if (!token.inlineValue && token.value.startsWith('-') && token.value !== '-') {
        return `${long} needs a value, got the option '${token.value}' after it; give the value (a value starting with '-' is written ${long}=${token.value})`;
      }
    }
  }
  return undefined;
}

/** A sample value for an option's message. */
function example(name: string): string {
  const examples: Readonly<Record<string, string>> = {
    port: '8084',
    data: '.gennaker',
    file: 'pipeline.json',
    out: 'out.json',
    pipeline: "'Release'",
    param: 'version=2',
    judge: '2=continue',
    endpoint: 'http://127.0.0.1:8084',
    limit: '10',
    seed: '7',
    'allow-url': "'http://127.0.0.1:*'",
    statuses: 'RUNNING,TERMINAL',
    regions: 'us-east-1',
  };
  return examples[name] ?? '<value>';
}

/**
 * A command (or a command's sub-command) that does not exist: the nearest known one when it is
 * close, and every one there is. `what` is 'command' or e.g. 'pipeline command'.
 */
export function unknownCommand(what: string, given: string | undefined, known: readonly string[], example?: string): UsageError {
  if (given === undefined || given === '') return new UsageError(`${what} missing; use one of ${known.join(', ')}${example ? ` (${example})` : ''}`);
  const nearest = closestName(given, known);
  return new UsageError(
    `unknown ${what} '${given}'${nearest !== undefined ? ` (did you mean '${nearest}'?)` : ''}; use one of ${known.join(', ')}${example ? ` (${example})` : ''}`,
  );
}
