/**
 * Dispatch of the commands that talk to a running Gennaker (`up`, `pipeline`, `execution`,
 * `judge`): argv already parsed by cli/main.ts in, an exit code out. Each command's module is
 * imported when that command runs, so a CLI process loads only what its command needs.
 */
import type { IoHost } from '../core/io-host.ts';
import type { ApiCommandContext } from './commands/api-commands.ts';
import type { LoadedDocument } from './pipeline-files.ts';
import { SUB_COMMANDS, unknownCommand } from './arguments.ts';
import { UsageError } from './usage.ts';
import type { UpOptions } from './commands/up.ts';

export const CLIENT_COMMANDS = ['up', 'dashboard', 'pipeline', 'template', 'execution', 'judge', 'cluster', 'rollback', 'accounts', 'user', 'secret', 'audit', 'sandbox'] as const;

export interface ClientValues {
  readonly json: boolean;
  readonly endpoint?: string;
  readonly data?: string;
  readonly file?: string;
  readonly param?: readonly string[];
  readonly watch?: boolean;
  readonly reason?: string;
  readonly input?: string;
  readonly port?: string;
  readonly limit?: string;
  readonly statuses?: string;
  readonly account?: string;
  readonly regions?: string;
  /** Where `canary report` writes the page. */
  readonly out?: string;
  /** Webhook stages' outbound allowlist for `up`. */
  readonly webhookAllowlist?: readonly string[];
  /** `up`'s request body limits (GENNAKER_MAX_WEBHOOK_BYTES, GENNAKER_MAX_CONFIG_BYTES). */
  readonly bodyLimits?: { readonly webhookBytes?: number; readonly configBytes?: number };
  /** `up --power-role`: roles that may use dangerous powers. */
  readonly 'power-role'?: readonly string[];
  /** `up --root`: directories artifacts and job working directories must lie under. */
  readonly root?: readonly string[];
  /** `up --sandbox --s3-object s3://<bucket>/<key>=<file>`: objects the simulated S3 holds. */
  readonly 's3-object'?: readonly string[];
  /** `up --sandbox --sandbox-speed N`: executions keep the simulated clock, N times faster. */
  readonly 'sandbox-speed'?: string;
  /** `user add --roles a,b`. */
  readonly roles?: string;
  /** `user add --admin`. */
  readonly admin?: boolean;
  /** `audit --app A`; `secret set --app a,b`. */
  readonly app?: string;
  /** `template save|get|delete --tag`. */
  readonly tag?: string;
  /** `up --sandbox`: the accounts of saved pipelines deploy to the simulated AWS. */
  readonly sandbox?: boolean;
}

export interface ClientDeps {
  readonly load: (path: string) => Promise<LoadedDocument>;
  /** GENNAKER_TOKEN. */
  readonly envToken?: string;
  /** Settles on SIGINT/SIGTERM (for `up`). */
  readonly stopped: () => Promise<string>;
  /** Who runs the command (the operating system's user), for the audit log of `user` commands. @default 'cli' */
  readonly operator?: string;
  /** Standard input, read whole (`secret set` reads the value there). */
  readonly stdin?: () => Promise<string>;
}

function expect(args: readonly string[], count: number, usage: string): void {
  if (args.length !== count) throw new UsageError(`usage: gennaker ${usage}`);
}

export async function runClientCommand(command: string, args: readonly string[], values: ClientValues, io: IoHost, deps: ClientDeps): Promise<number> {
  const dir = values.data ?? '.gennaker';
  if (command === 'up') {
    expect(args, 0, 'up [--port 8084] [--data .gennaker] [--power-role ROLE]... [--root DIR]... [--sandbox [--sandbox-speed N] [--s3-object s3://BUCKET/KEY=FILE]...]');
    // The sandbox's flags are checked before the server's modules load, so a mistake is said at once.
    let sandbox: UpOptions['sandbox'];
    const flagSpeed = values['sandbox-speed'];
    if (flagSpeed !== undefined && !values.sandbox) throw new UsageError('--sandbox-speed runs up --sandbox on a simulated clock; add --sandbox');
    if (values.sandbox) {
      const { sandboxSpeedFrom } = await import('../local/sandbox/sandbox.ts');
      try {
        const speed = sandboxSpeedFrom(process.env, flagSpeed);
        // --sandbox-speed: the runtime keeps the simulated clock too; GENNAKER_SANDBOX_SPEED alone speeds the clouds.
        sandbox = { ...(speed !== undefined ? { speed } : {}), ...(flagSpeed !== undefined ? { simulatedClock: true } : {}) };
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    const s3Values = values['s3-object'] ?? [];
    if (s3Values.length > 0 && !values.sandbox) throw new UsageError('--s3-object gives the simulated S3 an object, for up --sandbox; add --sandbox, or configure an s3 artifact account (see "Artifacts" in the README)');
    let s3Objects: UpOptions['s3Objects'] = [];
    if (s3Values.length > 0) {
      const { readS3ObjectFlags } = await import('../local/sandbox/sandbox-s3.ts');
      try {
        s3Objects = await readS3ObjectFlags(s3Values);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    const [{ runUp }, { startLocalServer }, { removeEndpointFile, writeEndpointFile }] = await Promise.all([
      import('./commands/up.ts'),
      import('../local/server.ts'),
      import('../local/endpoint-file.ts'),
    ]);
    return runUp(
      {
        dir,
        ...(s3Objects.length > 0 ? { s3Objects } : {}),
        ...(values.port !== undefined ? { port: values.port } : {}),
        ...(values.webhookAllowlist ? { webhookAllowlist: values.webhookAllowlist } : {}),
        ...(values.bodyLimits ? { bodyLimits: values.bodyLimits } : {}),
        powers: { ...(values['power-role'] ? { roles: values['power-role'] } : {}), ...(values.root ? { roots: values.root } : {}) },
        ...(sandbox ? { sandbox } : {}),
      },
      io,
      { start: startLocalServer, stopped: deps.stopped(), endpointFile: { write: writeEndpointFile, remove: removeEndpointFile } },
    );
  }
  if (command === 'dashboard') {
    expect(args, 0, 'dashboard --endpoint <api-url> [--port 8085]');
    if (values.endpoint === undefined) throw new UsageError("dashboard needs --endpoint <api-url>: the stack's ApiUrl output, e.g. --endpoint https://abc123.execute-api.us-east-1.amazonaws.com/prod");
    const [{ runDashboard }, { parsePort }, { AuthSettingError, createSigV4Signer, resolveApiAuth }] = await Promise.all([import('./commands/dashboard.ts'), import('./commands/up.ts'), import('./sigv4.ts')]);
    // The dashboard's calls are always signed: it exists for the API on AWS (locally, `up` serves the page).
    let region: string;
    try {
      const auth = resolveApiAuth(values.endpoint, { ...process.env, GENNAKER_AUTH: 'sigv4' });
      if (auth.kind !== 'sigv4') throw new AuthSettingError('unreachable');
      region = auth.region;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    return runDashboard({ endpoint: values.endpoint, port: parsePort(values.port ?? '8085'), signer: createSigV4Signer({ region }) }, io, { stopped: deps.stopped() });
  }
  if (command === 'user') {
    const [{ userAdd, userList, userRemove }, { createAuditFile }] = await Promise.all([import('./commands/user-commands.ts'), import('../local/audit-file.ts')]);
    const userDeps = { dir, io, json: values.json, now: () => Date.now(), operator: deps.operator ?? 'cli', audit: createAuditFile(dir) };
    const [sub, ...rest] = args;
    switch (sub) {
      case 'add':
        expect(rest, 1, 'user add NAME [--roles a,b] [--admin]');
        return userAdd(userDeps, rest[0]!, values.roles, values.admin ?? false);
      case 'list':
        expect(rest, 0, 'user list [--json]');
        return userList(userDeps);
      case 'remove':
        expect(rest, 1, 'user remove NAME');
        return userRemove(userDeps, rest[0]!);
      default:
        throw unknownCommand('user command', sub, SUB_COMMANDS['user'] ?? [], 'gennaker user add NAME --roles a,b [--admin]');
    }
  }
  if (command === 'secret') {
    const [{ secretList, secretRemove, secretSet }, { createAuditFile }, { loadSecretCipher }, { createLocalSecrets }] = await Promise.all([
      import('./commands/secret-commands.ts'),
      import('../local/audit-file.ts'),
      import('../local/secret-key.ts'),
      import('../local/secrets-file.ts'),
    ]);
    const secretDeps = {
      dir,
      secrets: createLocalSecrets(dir, await loadSecretCipher(dir)),
      io,
      json: values.json,
      now: () => Date.now(),
      operator: deps.operator ?? 'cli',
      audit: createAuditFile(dir),
      readValue: deps.stdin ?? (async () => ''),
    };
    const [sub, ...rest] = args;
    switch (sub) {
      case 'set':
        expect(rest, 1, 'secret set NAME [--app a,b] (the value on standard input)');
        return secretSet(secretDeps, rest[0]!, values.app);
      case 'list':
        expect(rest, 0, 'secret list [--json]');
        return secretList(secretDeps);
      case 'remove':
        expect(rest, 1, 'secret remove NAME');
        return secretRemove(secretDeps, rest[0]!);
      default:
        throw unknownCommand('secret command', sub, SUB_COMMANDS['secret'] ?? [], 'printf %s "$VALUE" | gennaker secret set NAME [--app a,b]');
    }
  }
  const [{ createApiClient }, { executionCancel, executionGet, executionList, executionRestart, executionWatch, judge, pipelineDelete, pipelineExecute, pipelineList, pipelineSave, withApiErrors }] = await Promise.all([
    import('./api-client.ts'),
    import('./commands/api-commands.ts'),
  ]);
  const client = await createApiClient({ dir, ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}), ...(deps.envToken !== undefined ? { envToken: deps.envToken } : {}) });
  const context: ApiCommandContext = { client, io, json: values.json, now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
  const [sub, ...rest] = args;
  return withApiErrors(io, async () => {
    const where = { ...(values.account !== undefined ? { account: values.account } : {}), ...(values.regions !== undefined ? { regions: values.regions } : {}) };
    switch (`${command} ${command === 'judge' || command === 'rollback' || command === 'audit' || command === 'expr' ? '' : (sub ?? '')}`.trim()) {
      case 'pipeline save':
        if (values.file === undefined) throw new UsageError('usage: gennaker pipeline save -f pipeline.json');
        return pipelineSave(context, await deps.load(values.file));
      case 'pipeline list':
        expect(rest, 1, 'pipeline list APP');
        return pipelineList(context, rest[0]!);
      case 'pipeline delete':
        expect(rest, 2, 'pipeline delete APP NAME');
        return pipelineDelete(context, rest[0]!, rest[1]!);
      case 'pipeline execute':
        expect(rest, 2, 'pipeline execute APP NAME [--param k=v]... [--watch]');
        return pipelineExecute(context, rest[0]!, rest[1]!, values.param ?? [], values.watch ?? false);
      case 'template plan':
      case 'template save':
      case 'template list':
      case 'template get':
      case 'template delete': {
        const templates = await import('./commands/template.ts');
        if (sub === 'plan') {
          expect(rest, 1, 'template plan <templated-pipeline.json|yaml|-> [--template <template.json|yaml>]');
          return templates.templatePlan(context, await deps.load(rest[0]!));
        }
        if (sub === 'save') {
          if (values.file === undefined || rest.length !== 0) throw new UsageError('usage: gennaker template save -f <template.json|yaml> [--tag stable]');
          return templates.templateSave(context, await deps.load(values.file), values.tag);
        }
        if (sub === 'list') {
          expect(rest, 0, 'template list [--json]');
          return templates.templateList(context);
        }
        expect(rest, 1, `template ${sub} <id> [--tag TAG]`);
        return sub === 'get' ? templates.templateGet(context, rest[0]!, values.tag) : templates.templateDelete(context, rest[0]!, values.tag);
      }
      case 'execution list':
        expect(rest, 1, 'execution list APP [--limit N] [--statuses RUNNING,...]');
        return executionList(context, rest[0]!, values.limit, values.statuses);
      case 'execution get':
        expect(rest, 1, 'execution get ID');
        return executionGet(context, rest[0]!);
      case 'execution watch':
        expect(rest, 1, 'execution watch ID');
        return executionWatch(context, rest[0]!);
      case 'execution cancel':
        expect(rest, 1, 'execution cancel ID [--reason TEXT]');
        return executionCancel(context, rest[0]!, values.reason);
      case 'execution restart':
        expect(rest, 2, 'execution restart ID STAGE');
        return executionRestart(context, rest[0]!, rest[1]!);
      case 'sandbox describe': {
        expect(rest, 0, 'sandbox describe [--json]');
        const { sandboxDescribe } = await import('./commands/sandbox.ts');
        return sandboxDescribe(context);
      }
      case 'accounts list': {
        expect(rest, 0, 'accounts list [--json]');
        const { accountsList } = await import('./commands/accounts.ts');
        return accountsList(context);
      }
      case 'cluster describe': {
        expect(rest, 2, 'cluster describe APP CLUSTER [--account local] [--regions local]');
        const { clusterDescribe } = await import('./commands/cluster-commands.ts');
        return clusterDescribe(context, rest[0]!, rest[1]!, where);
      }
      case 'rollback': {
        expect(args, 2, 'rollback APP CLUSTER [--account local] [--regions local] [--reason TEXT] [--watch]');
        const { rollback } = await import('./commands/cluster-commands.ts');
        return rollback(context, args[0]!, args[1]!, { ...where, ...(values.reason !== undefined ? { reason: values.reason } : {}), watch: values.watch ?? false });
      }
      case 'canary report': {
        expect(rest, 1, 'canary report EXECUTION_ID [--out report.html]');
        const [{ canaryReport }, { writeFile }] = await Promise.all([import('./commands/canary.ts'), import('node:fs/promises')]);
        return canaryReport(context, rest[0]!, values.out, { writeText: (path, text) => writeFile(path, text, 'utf8') });
      }
      case 'canary config': {
        const action = rest[0];
        if (action === 'save') {
          if (values.file === undefined || rest.length !== 1) throw new UsageError('usage: gennaker canary config save -f canary-config.json');
          const [{ canaryConfigSave }, { readFile }] = await Promise.all([import('./commands/canary.ts'), import('node:fs/promises')]);
          return canaryConfigSave(context, values.file, { readText: (path) => readFile(path, 'utf8') });
        }
        if (action === 'list') {
          expect(rest, 1, 'canary config list');
          const { canaryConfigList } = await import('./commands/canary.ts');
          return canaryConfigList(context);
        }
        throw unknownCommand('canary config command', action, ['save', 'list'], 'gennaker canary config save -f canary-config.json');
      }
      case 'expr': {
        const { exprRemote } = await import('./commands/expr.ts');
        return exprRemote(context, args);
      }
      case 'judge':
        expect(args, 3, 'judge ID STAGE continue|stop [--input X]');
        return judge(context, args[0]!, args[1]!, args[2]!, values.input);
      case 'audit': {
        expect(args, 0, 'audit [--app APP] [--limit N] [--json]');
        const { auditList } = await import('./commands/user-commands.ts');
        return auditList(context, values.app, values.limit);
      }
      default:
        throw unknownCommand(`${command} command`, sub, SUB_COMMANDS[command] ?? []);
    }
  });
}
