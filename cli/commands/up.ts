/** `gennaker up`: the local server until SIGINT or SIGTERM. */
import type { IoHost } from '../../core/io-host.ts';
import type { LocalServer, LocalServerOptions } from '../../local/server.ts';
import { EXIT, UsageError } from '../usage.ts';

export interface UpOptions {
  readonly port?: string;
  readonly dir: string;
  readonly webhookAllowlist?: readonly string[];
  /** From GENNAKER_MAX_WEBHOOK_BYTES / GENNAKER_MAX_CONFIG_BYTES. */
  readonly bodyLimits?: LocalServerOptions['bodyLimits'];
  /** Dangerous powers: `--power-role` and `--root` (default: admins only, the current directory). */
  readonly powers?: LocalServerOptions['powers'];
  /**
   * `--sandbox`: the accounts of saved pipelines deploy to the simulated clouds (at `speed`);
   * `simulatedClock` (`--sandbox-speed`): the runtime keeps their clock too.
   */
  readonly sandbox?: { readonly speed?: number; readonly simulatedClock?: boolean };
  /** `--s3-object` with `--sandbox`: objects the simulated S3 holds. */
  readonly s3Objects?: LocalServerOptions['s3Objects'];
}

export interface UpDeps {
  readonly start: (options: LocalServerOptions) => Promise<LocalServer>;
  /** Settles on the first SIGINT or SIGTERM. */
  readonly stopped: Promise<string>;
  /** Records where the server listens for the client commands of the same directory, and removes that record. */
  readonly endpointFile?: {
    write(dir: string, url: string): Promise<void>;
    remove(dir: string, url: string): Promise<void>;
  };
}

export function parsePort(text: string | undefined): number {
  if (text === undefined) return 8084;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port is '${text}'; use a port number from 0 to 65535 (0 picks a free one)`);
  return port;
}

export async function runUp(options: UpOptions, io: IoHost, deps: UpDeps): Promise<number> {
  const port = parsePort(options.port);
  let server: LocalServer;
  try {
    server = await deps.start({
      dir: options.dir,
      port,
      io,
      ...(options.webhookAllowlist ? { webhookAllowlist: options.webhookAllowlist } : {}),
      ...(options.bodyLimits ? { bodyLimits: options.bodyLimits } : {}),
      ...(options.powers ? { powers: options.powers } : {}),
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
      ...(options.s3Objects && options.s3Objects.length > 0 ? { s3Objects: options.s3Objects } : {}),
    });
  } catch (error) {
    // One line per problem (a broken accounts file lists each).
    for (const line of (error instanceof Error ? error.message : String(error)).split('\n')) io.emit({ kind: 'error', message: line });
    return EXIT.failed;
  }
  // Written before the line below: whoever waits for that line can run a client command at once.
  await deps.endpointFile?.write(options.dir, server.url);
  io.emit({ kind: 'info', message: `Gennaker is up at ${server.url} (state in ${options.dir}/data, API token in ${server.tokenPath}); Ctrl-C stops it` });
  io.emit({ kind: 'info', message: `Dashboard: ${server.url}/ (log in with the API token in ${server.tokenPath})` });
  if (server.sandbox) {
    const clock = options.sandbox?.simulatedClock
      ? `clock ×${server.sandbox.speed}, which executions keep too: waits, canary intervals and judgment timeouts pass ${server.sandbox.speed} times faster`
      : `clock ×${server.sandbox.speed}; executions keep yours: waits and canary intervals last their real time, --sandbox-speed N runs them on the simulated clock`;
    io.emit({ kind: 'info', message: `sandbox: the AWS, GCE and Kubernetes accounts saved pipelines name deploy to simulated clouds (${clock}); saving a pipeline seeds what it assumes; gennaker sandbox describe shows it` });
  }
  const signal = await deps.stopped;
  io.emit({ kind: 'info', message: `${signal}: stopping` });
  await server.close();
  await deps.endpointFile?.remove(options.dir, server.url);
  return EXIT.ok;
}
