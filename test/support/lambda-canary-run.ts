/**
 * `gennaker run examples/pipelines/lambda-canary.json --sandbox` in-process, for the integration
 * test and the benchmark: cli/commands/run.ts on the real local runtime and the real `--sandbox`,
 * the simulated clock fast. The sandbox stays open after the run, for a look at what it holds;
 * the caller closes it.
 */
import { join } from 'node:path';
import { runSandboxed, type SandboxRun } from './sandbox-run.ts';

/** The example's path. */
export const LAMBDA_CANARY_EXAMPLE = join(import.meta.dirname, '../../examples/pipelines/lambda-canary.json');

export type LambdaCanaryRun = SandboxRun;

/** Runs the example with `--param version=<version>` (`2.0.0-bad`: a faulty build). */
export function runLambdaCanaryExample(version: string, options: { readonly speed?: number } = {}): Promise<LambdaCanaryRun> {
  return runSandboxed(LAMBDA_CANARY_EXAMPLE, { params: [`version=${version}`], ...(options.speed !== undefined ? { speed: options.speed } : {}) });
}
