/**
 * The `gennaker` command: the CLI's composition root. It only turns argv into a command call
 * and renders through the IoHost; all behaviour lives in the library layers. A command's code is
 * imported when that command runs: every process pays only for its own command, and `--help`
 * or an API call starts without the compiler, the pipeline schemas or the local runtime.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { IoHost } from '../core/io-host.ts';
import { COMMANDS, parseCommandLine, unknownCommand } from './arguments.ts';
import { CLIENT_COMMANDS, runClientCommand } from './client-main.ts';
import type { JudgmentAnswer } from './commands/run.ts';
import { loadPipelineDocument, readAllStdin } from './pipeline-files.ts';
import { createTerminalIoHost, exitQuietlyOnClosedPipe } from './terminal-io-host.ts';
import { usePrivateUmask } from '../local/private-files.ts';
import { bodyLimitsFromEnv } from '../functions/api/bounded-input.ts';
import { EXIT, HELP, UsageError } from './usage.ts';

export interface MainDeps {
  readonly io?: IoHost;
  readonly stdin?: () => Promise<string>;
}

/** Asks at the terminal how to judge a stage; undefined when stdin is not a terminal. */
function terminalPrompt(): ((stage: { name: string; refId: string; choices: readonly string[] }) => Promise<JudgmentAnswer>) | undefined {
  if (!process.stdin.isTTY) return undefined;
  return async (stage) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      for (;;) {
        const offered = stage.choices.length > 0 ? ` [input: ${stage.choices.join(' | ')}]` : '';
        const text = (await rl.question(`stage '${stage.name}' [${stage.refId}] waits for a judgment${offered}: continue or stop? `)).trim();
        const match = /^(continue|c|stop|s)(?::(.*))?$/i.exec(text);
        if (match) {
          const judgmentStatus = match[1]!.toLowerCase().startsWith('c') ? 'continue' : 'stop';
          return { judgmentStatus, ...(match[2] !== undefined ? { judgmentInput: match[2] } : {}) };
        }
        process.stderr.write(`answer 'continue' or 'stop' (optionally 'continue:<input>')\n`);
      }
    } finally {
      rl.close();
    }
  };
}

function currentUser(): string {
  try {
    return userInfo().username || 'anonymous';
  } catch {
    return 'anonymous';
  }
}

export async function main(argv: readonly string[], deps: MainDeps = {}): Promise<number> {
  // The SDK's notice that its future releases need Node 22 is noise in a terminal.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  if (deps.io === undefined) {
    // `gennaker ... | head -1`: the reader went away; stop without a stack trace.
    exitQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));
    exitQuietlyOnClosedPipe(process.stderr, (code) => process.exit(code));
  }
  const io = deps.io ?? createTerminalIoHost({ stdout: process.stdout, stderr: process.stderr });
  const stdin = deps.stdin ?? (() => readAllStdin());
  const load = (path: string) => loadPipelineDocument(path, stdin);
  try {
    const { values, positionals } = parseCommandLine(argv);
    const [command, ...rest] = positionals;
    // The commands that keep state write it private (local/private-files.ts); so do the instances they start.
    if (command === 'up' || command === 'run' || command === 'demo') usePrivateUmask();
    // The state directory, absolute from here on: the local target runs instances with their
    // artifact directory as working directory, where a relative path would point elsewhere.
    const stateDir = resolve(values.data ?? '.gennaker');
    if (values.help || command === undefined || command === 'help') {
      io.emit({ kind: 'data', text: HELP });
      return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
    }
    // `template from-pipeline` and `template plan --template` work on files; the other template commands talk to the API.
    if (command === 'template' && (rest[0] === 'from-pipeline' || (rest[0] === 'plan' && values.template !== undefined))) {
      const { templateFromPipelineFile, templatePlanLocal } = await import('./commands/template.ts');
      if (rest[0] === 'plan') {
        if (rest.length !== 2) throw new UsageError('usage: gennaker template plan <templated-pipeline.json|yaml|-> [--template <template.json|yaml>]');
        return await templatePlanLocal(io, await load(rest[1]!), await load(values.template!));
      }
      if (rest.length !== 3) throw new UsageError('usage: gennaker template from-pipeline <pipeline.json|yaml|-> <template-id>');
      return templateFromPipelineFile(io, await load(rest[1]!), rest[2]!);
    }
    // `canary report` and `canary config` talk to the API; `canary judge` works on files.
    // `expr <executionId>` asks the API; `expr --pipeline p.json` evaluates here.
    const remoteExpr = command === 'expr' && values.pipeline === undefined;
    if ((CLIENT_COMMANDS as readonly string[]).includes(command) || remoteExpr || (command === 'canary' && (rest[0] === 'report' || rest[0] === 'config'))) {
      const stopped = () => new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      const allowlist = webhookAllowlist(values['allow-url']);
      let bodyLimits: ReturnType<typeof bodyLimitsFromEnv> = {};
      try {
        bodyLimits = bodyLimitsFromEnv(process.env, 'GENNAKER_');
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const clientValues = { ...values, data: stateDir, ...(allowlist ? { webhookAllowlist: allowlist } : {}), ...(Object.keys(bodyLimits).length > 0 ? { bodyLimits } : {}) };
      return await runClientCommand(command, rest, clientValues, io, {
        load,
        stopped,
        operator: currentUser(),
        stdin,
        ...(process.env.GENNAKER_TOKEN ? { envToken: process.env.GENNAKER_TOKEN } : {}),
      });
    }
    switch (command) {
      case 'canary': {
        const [{ runCanary }, { readFile }] = await Promise.all([import('./commands/canary.ts'), import('node:fs/promises')]);
        return await runCanary(rest, { config: values.config, data: values.data, thresholds: values.thresholds, json: values.json }, io, {
          readText: (path) => readFile(path, 'utf8'),
        });
      }
      case 'validate': {
        (await import('./one-shot-schemas.ts')).parseWithoutCompiling();
        // Accounts are known when the data directory has an accounts file: then `up` would refuse the unknown ones.
        const [{ runValidate }, { loadAccountsFile }, { BUILT_IN_LOCAL_ACCOUNT, createAccountRegistry }] = await Promise.all([
          import('./commands/validate.ts'),
          import('../local/accounts.ts'),
          import('../core/accounts/registry.ts'),
        ]);
        const accounts = await loadAccountsFile(stateDir);
        if (!accounts.ok) {
          for (const line of accounts.message.split('\n')) io.emit({ kind: 'error', message: line });
          return EXIT.failed;
        }
        const known = accounts.file === undefined ? undefined : createAccountRegistry([BUILT_IN_LOCAL_ACCOUNT, ...accounts.accounts]);
        // Each cloud's deploy cluster fields are checked whatever the accounts (entries say their cloudProvider).
        const { CLUSTER_FIELD_CHECKS } = await import('../adapters/targets/cluster-checks.ts');
        return await runValidate({ files: rest, json: values.json, strict: values.strict, clusterChecks: CLUSTER_FIELD_CHECKS, ...(known ? { accounts: known } : {}) }, io, load);
      }
      case 'expr': {
        const { exprLocal } = await import('./commands/expr.ts');
        return await exprLocal({ file: values.pipeline!, args: rest, params: values.param ?? [], json: values.json, user: currentUser(), now: Date.now() }, io, load);
      }
      case 'compile': {
        if (rest.length > 1) throw new UsageError(`compile takes one file, got ${rest.length}: ${rest.join(' ')}`);
        (await import('./one-shot-schemas.ts')).parseWithoutCompiling();
        const { runCompile } = await import('./commands/compile.ts');
        return await runCompile(
          { file: rest[0], pipeline: values.pipeline, report: values.report, json: values.json, stateMap: values['state-map'], out: values.out },
          io,
          load,
        );
      }
      case 'run': {
        if (rest.length > 1) throw new UsageError(`run takes one file, got ${rest.length}: ${rest.join(' ')}`);
        if (values['sandbox-speed'] !== undefined && !values.sandbox) throw new UsageError('--sandbox-speed sets the speed of the simulated clouds of --sandbox; add --sandbox');
        const { runRun } = await import('./commands/run.ts');
        const [{ createLocalRuntime, firstTarget }, { loadAccountsFile }, { createPowerPolicy }] = await Promise.all([import('../local/wiring.ts'), import('../local/accounts.ts'), import('../local/powers.ts')]);
        // The accounts `gennaker up` on the same data directory knows: a pipeline naming another is refused.
        const accounts = await loadAccountsFile(stateDir);
        if (!accounts.ok) {
          for (const line of accounts.message.split('\n')) io.emit({ kind: 'error', message: line });
          return EXIT.failed;
        }
        // The file's Kubernetes accounts, connected before anything runs (client-node loads only for them).
        const kubernetes = accounts.accounts.some((account) => account.cloudProvider === 'kubernetes')
          ? (await import('../local/kubernetes-targets.ts')).createLocalKubernetesTargets(accounts.accounts, { env: process.env, clock: { now: () => Date.now() } })
          : undefined;
        if (kubernetes && !kubernetes.ok) {
          for (const line of kubernetes.problems) io.emit({ kind: 'error', message: line });
          return EXIT.failed;
        }
        // The file's GCE accounts (the Google clients load only for them).
        const gce = accounts.accounts.some((account) => account.cloudProvider === 'gce') ? await (await import('../local/gce-targets.ts')).createLocalGceTargets(accounts.accounts, { clock: { now: () => Date.now() } }) : undefined;
        // The file's AWS accounts, each assumed with the person's own credentials (the AWS clients load only for them).
        const aws = accounts.accounts.some((account) => account.cloudProvider === 'aws' || account.cloudProvider === 'ecs') ? (await import('../local/aws-targets.ts')).createLocalAwsTargets(accounts.accounts, { clock: { now: () => Date.now() } }) : undefined;
        // One person on their own machine: they run as an admin, and paths stay under the current directory.
        const powers = await createPowerPolicy({}, process.cwd(), { roles: "'gennaker up --power-role'", roots: 'running gennaker run from a directory above it' });
        const prompt = terminalPrompt();
        const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        try {
          return await runRun(
            {
              file: rest[0],
              pipeline: values.pipeline,
              params: values.param ?? [],
              judges: values.judge ?? [],
              json: values.json,
              sandbox: values.sandbox,
              artifacts: values.artifact ?? [],
              s3Objects: values['s3-object'] ?? [],
              ...(values['trigger-type'] !== undefined ? { triggerType: values['trigger-type'] } : {}),
            },
            io,
            {
              load,
              readText: async (path) => (await import('node:fs/promises')).readFile(path, 'utf8'),
              createRuntime: (options) => {
                const allowlist = webhookAllowlist(values['allow-url']);
                // A sandboxed run's simulated accounts stand in for the file's accounts of the same name.
                const simulated = new Set((options.accounts ?? []).map((account) => account.name));
                const known = [...accounts.accounts.filter((account) => !simulated.has(account.name)), ...(options.accounts ?? [])];
                // `#secret` reads the state directory's named secrets when it has any (gennaker secret set).
                const secrets = existsSync(join(stateDir, 'secrets.json')) ? { secretsDir: stateDir } : {};
                // The simulated clouds answer first for the accounts they serve.
                const cloudTargets = firstTarget(options.cloudTargets, firstTarget(kubernetes?.lookup, firstTarget(gce?.lookup, aws?.lookup)));
                return createLocalRuntime({ ...options, accounts: known, artifactAccountConfigs: accounts.artifactAccounts, powers, ...secrets, ...(cloudTargets ? { cloudTargets } : {}), ...(allowlist ? { webhookAllowlist: allowlist } : {}) });
              },
              startSandbox: async () => {
                const { startSandbox, sandboxSpeedFrom } = await import('../local/sandbox/sandbox.ts');
                return startSandbox(sandboxOptions(() => sandboxSpeedFrom(process.env, values['sandbox-speed'])));
              },
              targetStateDir: join(stateDir, 'targets', 'local'),
              caller: { user: currentUser(), roles: [], admin: true, source: 'cli' },
              ...(prompt ? { prompt } : {}),
              interrupted,
            },
          );
        } finally {
          kubernetes?.close();
          await gce?.close();
          aws?.close();
        }
      }
      case 'demo': {
        if (rest.length > 0) throw new UsageError(`demo takes no arguments, got: ${rest.join(' ')} (gennaker demo [--canary] [--seed N] [--json])`);
        const seed = values.seed === undefined ? undefined : Number(values.seed);
        if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed is '${values.seed}', expected a whole number, e.g. --seed 7`);
        const [{ runDemo }, { startLocalServer }] = await Promise.all([import('./commands/demo.ts'), import('../local/server.ts')]);
        const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        if (values.canary) {
          const { runCanaryDemo } = await import('./commands/demo.ts');
          return await runCanaryDemo({ json: values.json, ...(seed !== undefined ? { seed } : {}) }, io, { startServer: startLocalServer, interrupted });
        }
        return await runDemo({ json: values.json }, io, { startServer: startLocalServer, interrupted });
      }
      default:
        throw unknownCommand('command', command, COMMANDS, 'gennaker --help');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.emit({ kind: 'error', message: (error as Error).message });
      return EXIT.usage;
    }
    throw error;
  }
}

/**
 * The URLs webhook stages may call: `--allow-url` patterns, else GENNAKER_WEBHOOK_ALLOWLIST
 * (comma-separated). Absent: webhook stages may call nothing.
 */
export function webhookAllowlist(flags: readonly string[] | undefined): readonly string[] | undefined {
  if (flags && flags.length > 0) return flags;
  const fromEnv = process.env['GENNAKER_WEBHOOK_ALLOWLIST'];
  const entries = fromEnv?.split(',').map((entry) => entry.trim()).filter(Boolean) ?? [];
  return entries.length > 0 ? entries : undefined;
}

/** `{ speed }` from GENNAKER_SANDBOX_SPEED, a bad value a usage error. */
function sandboxOptions(read: () => number | undefined): { speed?: number } {
  try {
    const speed = read();
    return speed === undefined ? {} : { speed };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
