/**
 * `gennaker run <example> --sandbox` in-process, for integration tests and benchmarks:
 * cli/commands/run.ts on the real local runtime and the real `--sandbox`, the simulated clock
 * fast. The sandbox stays open after the run, for a look at what it holds; the caller closes it.
 */
import { loadPipelineDocument } from '../../cli/pipeline-files.ts';
import { runRun } from '../../cli/commands/run.ts';
import { createRecordingIoHost, type IoMessage } from '../../core/io-host.ts';
import { startSandbox, type Sandbox } from '../../local/sandbox/sandbox.ts';
import { createLocalRuntime } from '../../local/wiring.ts';

export interface SandboxRun {
  /** `run`'s exit code. */
  readonly code: number;
  readonly messages: readonly IoMessage[];
  /** The execution as `run --json` prints it (Orca's shape). */
  readonly execution: Record<string, any>;
  /** The cloud calls the run made (since the sandbox's serve), by `service:Action`, read before anything else asked. */
  readonly calls: ReadonlyArray<{ readonly call: string; readonly count: number }>;
  readonly sandbox: Sandbox;
}

export interface SandboxRunOptions {
  /** `--param name=value`. */
  readonly params?: readonly string[];
  /** `--judge <refId>=continue|stop`. */
  readonly judges?: readonly string[];
  /** Simulated seconds per second. @default 10000 */
  readonly speed?: number;
}

/** Runs the pipeline file with `--sandbox --json`. */
export async function runSandboxed(file: string, options: SandboxRunOptions = {}): Promise<SandboxRun> {
  const sandbox = await startSandbox({ speed: options.speed ?? 10_000, seed: 5 });
  let calls: SandboxRun['calls'] = [];
  const io = createRecordingIoHost();
  const code = await runRun({ file, pipeline: undefined, params: [...(options.params ?? [])], judges: [...(options.judges ?? [])], json: true, sandbox: true }, io, {
    load: (path) => loadPipelineDocument(path, async () => ''),
    createRuntime: (runtimeOptions) => createLocalRuntime({ ...runtimeOptions, retryDelayMs: 5 }),
    caller: { user: 'ana', roles: [], admin: true, source: 'cli' },
    pollMs: 10,
    // `run` closes the sandbox when it ends: the caller does, after its look.
    startSandbox: async () => ({
      ...sandbox,
      callCounts: () => (calls = sandbox.callCounts()),
      close: async () => {},
    }),
  });
  const data = io.messages.find((message) => message.kind === 'data');
  if (!data || data.kind !== 'data') {
    await sandbox.close();
    throw new Error(`the run printed no execution: ${JSON.stringify(io.messages.filter((message) => message.kind === 'error'))}`);
  }
  return { code, messages: io.messages, execution: JSON.parse(data.text) as Record<string, any>, calls, sandbox };
}
