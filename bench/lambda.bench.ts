/**
 * Lambda benchmark: the AWS API calls of one weighted deploy, examples/pipelines/lambda-weighted.json
 * rolling version 2 out 10% → 50% → 100% over version 1, run as the integration test runs it (the
 * real stage runner on the local engine, the real aws-lambda adapter and SDK client against the
 * AWS simulator, whose clock the runner's waits move). The figure counts every Lambda call the
 * simulator logged for the second run, reads included; the unit names the mutations.
 *
 * clouddriver makes the same mutations for this pipeline (reference/cloud-targets.md §4.2:
 * UpdateFunctionCode, UpdateFunctionConfiguration, PublishVersion, one UpdateAlias per routing
 * stage) but reads through its caching agents, whose calls (ListFunctions, GetFunction,
 * ListVersionsByFunction, ListAliases, ListEventSourceMappings, GetPolicy, ListTags per function
 * per cycle) follow the cache interval rather than the deploy; only the mutations compare.
 *
 * `aws_api_calls_per_lambda_canary`: the AWS calls of examples/pipelines/lambda-canary.json with a
 * good release, run as `gennaker run --sandbox` runs it (test/support/lambda-canary-run.ts):
 * publishing version 2, 10% to it, a 10-minute canary of two intervals over CloudWatch (one
 * GetMetricData per metric, scope and interval), then all traffic to version 2.
 */
import { readFileSync } from 'node:fs';
import type { JsonObject } from '../core/ports/execution-store.ts';
import { startLambdaSandbox } from '../test/support/lambda-sandbox.ts';
import { runLambdaCanaryExample } from '../test/support/lambda-canary-run.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

/** The Lambda calls of one weighted deploy, by action. */
export async function weightedDeployCalls(): Promise<{ total: number; byAction: Record<string, number>; mutations: string[] }> {
  const example = JSON.parse(readFileSync(new URL('../examples/pipelines/lambda-weighted.json', import.meta.url), 'utf8')) as JsonObject;
  const sandbox = await startLambdaSandbox({ codeObjects: { 'hello-artifacts/hello-api/1.0.0.zip': 'hello-api 1.0.0', 'hello-artifacts/hello-api/2.0.0.zip': 'hello-api 2.0.0' } });
  try {
    const run = sandbox.localRun();
    await run.run(example, { parameters: { version: '1.0.0' } });
    const before = sandbox.lastCall();
    const second = await run.run(example, { parameters: { version: '2.0.0' } });
    const failed = Object.entries(second.statuses).filter(([, status]) => status !== 'SUCCEEDED');
    if (failed.length > 0) throw new Error(`the weighted deploy did not succeed: ${JSON.stringify(second.statuses)}`);
    const calls = sandbox.callsSince(before);
    const byAction: Record<string, number> = {};
    for (const action of calls) byAction[action] = (byAction[action] ?? 0) + 1;
    return { total: calls.length, byAction, mutations: calls.filter((action) => !/^(Get|List)/.test(action)) };
  } finally {
    await sandbox.dispose();
  }
}

/** The AWS calls of the Lambda canary example with a good release, by `service:Action`. */
export async function canaryCalls(): Promise<{ total: number; metricQueries: number; byCall: ReadonlyArray<{ call: string; count: number }> }> {
  const ran = await runLambdaCanaryExample('2.0.0');
  try {
    if (ran.execution['status'] !== 'SUCCEEDED') throw new Error(`the Lambda canary did not succeed: ${String(ran.execution['status'])}`);
    const total = ran.calls.reduce((sum, entry) => sum + entry.count, 0);
    const metricQueries = ran.calls.find((entry) => entry.call === 'monitoring:GetMetricData')?.count ?? 0;
    return { total, metricQueries, byCall: ran.calls };
  } finally {
    await ran.sandbox.close();
  }
}

export async function run(): Promise<Record<string, Figure>> {
  const calls = await weightedDeployCalls();
  process.stderr.write(`  weighted Lambda deploy: ${Object.entries(calls.byAction).map(([action, count]) => `${action} ${count}`).join(', ')}\n`);
  const canary = await canaryCalls();
  process.stderr.write(`  Lambda canary: ${canary.byCall.map((entry) => `${entry.call} ${entry.count}`).join(', ')}\n`);
  return {
    aws_api_calls_per_lambda_deploy: { value: calls.total, unit: `calls (${calls.mutations.length} mutations, as clouddriver's: ${calls.mutations.join(', ')})` },
    aws_api_calls_per_lambda_canary: { value: canary.total, unit: `calls (${canary.metricQueries} of them GetMetricData: 3 metrics × 2 versions × 2 intervals)` },
  };
}
