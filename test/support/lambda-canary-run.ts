/**
 * `gennaker run examples/pipelines/lambda-canary.json --sandbox` in-process, for the integration
 * test and the benchmark: cli/commands/run.ts on the real local runtime and the real `--sandbox`,
 * the simulated clock fast. The sandbox stays open after the run, for a look at what it holds;
 * the caller closes it.
 */
import { join } from 'node:path';
import { loadPipelineDocument } from '../../cli/pipeline-files.ts';
import { runRun } from '../../cli/commands/run.ts';
import { createRecordingIoHost, type IoMessage } from '../../core/io-host.ts';
import { startSandbox, type Sandbox } from '../../local/sandbox/sandbox.ts';
import { createLocalRuntime } from '../../local/wiring.ts';

/** The example's path. */
export const LAMBDA_CANARY_EXAMPLE = join(import.meta.dirname, '../../examples/pipelines/lambda-canary.json');

export interface LambdaCanaryRun {
  /** `run`'s exit code. */
  readonly code: number;
  readonly messages: readonly IoMessage[];
  /** The execution as `run --json` prints it (Orca's shape). */
  readonly execution: Record<string, any>;
  /** The AWS calls the run made (since the sandbox's serve), by `service:Action`, read before anything else asked. */
  readonly calls: ReadonlyArray<{ readonly call: string; readonly count: number }>;
  readonly sandbox: Sandbox;
}

/** Runs the example with `--param version=<version>` (`2.0.0-bad`: a faulty build). */
export async function runLambdaCanaryExample(version: string, options: { readonly speed?: number } = {}): Promise<LambdaCanaryRun> {
  const sandbox = await startSandbox({ speed: options.speed ?? 10_000, seed: 5 });
  let calls: LambdaCanaryRun['calls'] = [];
  const io = createRecordingIoHost();
  const code = await runRun({ file: LAMBDA_CANARY_EXAMPLE, pipeline: undefined, params: [`version=${version}`], judges: [], json: true, sandbox: true }, io, {
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
