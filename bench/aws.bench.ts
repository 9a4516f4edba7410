/**
 * AWS benchmarks: the Lambda bundles' size (each carries only what its function uses:
 * functions/wiring.ts), the stage runner's and the API's cold import time, and what 1,000
 * executions of a 10-stage pipeline cost at published prices, beside CodePipeline V2's price for
 * the same pipeline. Run by bench/run.ts.
 *
 * Cost model (us-east-1, arm64, reference/aws-and-peers.md §1.4, §2.2, §3.2):
 * - Step Functions Standard: the compiled ASL's state transitions (statemachines' budget report:
 *   every stage's transitions plus the completion Task, its Choice and the final Succeed) ×
 *   $0.025 per 1,000. The transitions one run really made (the fake's history) are printed too.
 * - Lambda: every invocation one execution causes (API start, each stage runner call, the
 *   reconciler, the trigger router for `Pipeline Execution Completed`) × $0.20 per million, plus
 *   GB-seconds at $0.0000133334 × 512 MB (the stack's default) × the handler's duration measured
 *   in-process on dynalite, each invocation rounded up to 1 ms.
 * - DynamoDB on-demand: every call of every function, with the capacity units it consumed
 *   (`ReturnConsumedCapacity: TOTAL`, as dynalite computes them like DynamoDB: 1 WRU per KB
 *   written, 1 RRU per 4 KB strongly consistent read), at $0.625 per million WRU and $0.125 per
 *   million RRU.
 * - CodePipeline V2: $0.002 per action-execution minute, one action per stage, each assumed to
 *   take one billed minute (the minimum; real deploy actions take longer).
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePipeline } from '../core/pipeline/parse.ts';
import { createStageRunnerHandler } from '../functions/stage-runner/handler.ts';
import { compilePipeline } from '../statemachines/index.ts';
import { STAGE_RUNNER_ARN, startCloud } from '../test/support/aws-cloud.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const PRICE = {
  transition: 0.025 / 1000,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  wru: 0.625 / 1e6,
  rru: 0.125 / 1e6,
  codePipelineActionMinute: 0.002,
} as const;
const MEMORY_GB = 512 / 1024;
const EXECUTIONS = 20;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The handler bundle, index.mjs: what a cold start loads. */
function bundleKb(name: string): number {
  return round(statSync(join(root, 'dist', 'functions', name, 'index.mjs')).size / 1024);
}

/** The whole deployed asset: index.mjs plus yaml.cjs, the YAML parser loaded on first use. */
function assetKb(name: string): number {
  const dir = join(root, 'dist', 'functions', name);
  return round((statSync(join(dir, 'index.mjs')).size + statSync(join(dir, 'yaml.cjs')).size) / 1024);
}

/** Milliseconds a fresh `node` takes to import the bundle (measured inside the child, so process start is not counted). */
function coldImportMs(bundle: string): number {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(bundle)}); if (typeof m.handler !== 'function') throw new Error('no handler'); process.stdout.write(String(performance.now() - t));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  if (child.status !== 0) throw new Error(`importing ${bundle} failed: ${child.stderr}`);
  return Number(child.stdout);
}

/** The built stage runner really runs: without its environment it names the missing setting. */
function smokeTest(bundle: string): void {
  const script = `const m = await import(${JSON.stringify(bundle)}); try { await m.handler({ executionId: 'x', task: '$complete' }); } catch (e) { process.stdout.write(e.message); }`;
  // The Region is what Lambda always sets; the table is the first setting of the stack's own.
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1' } });
  if (!child.stdout.startsWith('TABLE_NAME is not set')) throw new Error(`the built stage runner did not start as expected: ${child.stdout}${child.stderr}`);
}

function tenStagePipeline(name: string): Record<string, unknown> {
  return {
    application: 'bench',
    name,
    stages: Array.from({ length: 10 }, (_, index) => ({
      refId: String(index + 1),
      requisiteStageRefIds: index === 0 ? [] : [String(index)],
      name: `Stage ${index + 1}`,
      ...(index % 2 === 0 ? { type: 'wait', waitTime: 0 } : { type: 'evaluateVariables', variables: [{ key: `v${index}`, value: '${1 + 1}' }] }),
    })),
  };
}

async function measureCost(): Promise<{ usd: number; detail: string }> {
  const cloud = await startCloud();
  try {
    // Every DynamoDB call of every function, by command, with the capacity dynalite says it consumed.
    const calls = new Map<string, number>();
    const capacity = { read: 0, write: 0 };
    cloud.dynalite.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        input['ReturnConsumedCapacity'] = 'TOTAL';
        calls.set(context.commandName ?? '?', (calls.get(context.commandName ?? '?') ?? 0) + 1);
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        for (const entry of (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Array<{ ReadCapacityUnits?: number; WriteCapacityUnits?: number; CapacityUnits?: number }>) {
          const isWrite = /Put|Update|Delete|Write/.test(context.commandName ?? '');
          const units = entry.CapacityUnits ?? (isWrite ? entry.WriteCapacityUnits : entry.ReadCapacityUnits) ?? 0;
          if (isWrite) capacity.write += units;
          else capacity.read += units;
        }
        return result;
      },
      { step: 'initialize', name: 'benchCountCalls' },
    );
    // The stage runner, timed per invocation.
    const runner = createStageRunnerHandler(cloud.runnerRuntime.runner);
    const runnerMs: number[] = [];
    cloud.sfn.setFunction(STAGE_RUNNER_ARN, async (event) => {
      const started = performance.now();
      try {
        return await runner(event);
      } finally {
        runnerMs.push(performance.now() - started);
      }
    });

    const saved = await cloud.call('POST', '/pipelines', tenStagePipeline('Ten stages'));
    const report = compilePipeline(parsePipeline({ ...tenStagePipeline('Ten stages'), id: saved.json.id }).pipeline!).report;
    const transitions = Object.values(report.transitionsPerStage).reduce((sum, value) => sum + value, 0) + 3;

    // Warm up (first-call costs of the in-process runtime), then measure.
    await cloud.call('POST', '/pipelines/bench/Ten stages', {});
    await cloud.settled();
    calls.clear();
    capacity.read = 0;
    capacity.write = 0;
    runnerMs.length = 0;
    const apiMs: number[] = [];
    const reconcilerBefore = cloud.reconciled.length;
    const ids: string[] = [];
    for (let i = 0; i < EXECUTIONS; i++) {
      const started = performance.now();
      const response = await cloud.call('POST', '/pipelines/bench/Ten stages', {});
      apiMs.push(performance.now() - started);
      ids.push(String(response.json.ref).split('/').pop()!);
      await cloud.settled();
    }
    const failed = ids.filter((id) => cloud.sfn.execution(id)?.status !== 'SUCCEEDED');
    if (failed.length > 0) throw new Error(`executions ${failed.join(', ')} did not succeed`);
    if (cloud.reconciled.length - reconcilerBefore !== EXECUTIONS) throw new Error('not every execution was reconciled');
    const measuredTransitions = median(ids.map((id) => cloud.sfn.execution(id)!.run!.events.filter((event) => event.type === 'StateEntered').length));

    // The reconciler and the trigger router, timed on events like the ones they got.
    const reconcileMs: number[] = [];
    for (const id of ids.slice(0, 5)) {
      const execution = cloud.sfn.execution(id)!;
      const started = performance.now();
      await cloud.reconcile({ id: `again-${id}`, source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn: execution.arn, stateMachineArn: execution.machineArn, name: id, status: 'SUCCEEDED' } });
      reconcileMs.push(performance.now() - started);
    }
    const completed = cloud.bus.events.filter((event) => event['detail-type'] === 'Pipeline Execution Completed').at(-1)!;
    const routeMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await cloud.route(completed);
      routeMs.push(performance.now() - started);
    }

    const perExecution = (count: number) => count / EXECUTIONS;
    const runnerInvocations = perExecution(runnerMs.length);
    const billedMs = (values: readonly number[]) => values.reduce((sum, value) => sum + Math.ceil(value), 0);
    const lambdaGbSeconds =
      (billedMs(runnerMs) / EXECUTIONS + Math.ceil(median(apiMs)) + Math.ceil(median(reconcileMs)) + Math.ceil(median(routeMs))) / 1000 * MEMORY_GB;
    const invocations = runnerInvocations + 3;
    // On-demand bills the capacity units each request consumed (what dynalite reports, as DynamoDB does).
    const wru = perExecution(capacity.write);
    const rru = perExecution(capacity.read);

    const usd = {
      stepFunctions: transitions * PRICE.transition,
      lambda: invocations * PRICE.lambdaRequest + lambdaGbSeconds * PRICE.lambdaGbSecondArm,
      dynamodb: wru * PRICE.wru + rru * PRICE.rru,
    };
    const perExecutionUsd = usd.stepFunctions + usd.lambda + usd.dynamodb;
    const codePipeline = 10 * PRICE.codePipelineActionMinute;
    const detail = [
      `10-stage pipeline, per execution: ${transitions} transitions by the compile report (${measuredTransitions} entered in a real run) = $${round(usd.stepFunctions * 1000, 4)}/1000;`,
      `${round(invocations, 1)} Lambda invocations (${round(runnerInvocations, 1)} stage runner, median ${round(median(runnerMs), 2)} ms; API start ${round(median(apiMs), 1)} ms; reconciler ${round(median(reconcileMs), 1)} ms; router ${round(median(routeMs), 1)} ms) = $${round(usd.lambda * 1000, 4)}/1000;`,
      `DynamoDB ${round(wru, 1)} WRU + ${round(rru, 1)} RRU (${[...calls].map(([name, count]) => `${name.replace('Command', '')} ${round(perExecution(count), 1)}`).join(', ')}) = $${round(usd.dynamodb * 1000, 4)}/1000;`,
      `Gennaker $${round(perExecutionUsd * 1000, 3)} per 1000 executions vs CodePipeline V2 $${round(codePipeline * 1000, 2)} per 1000 (10 actions × 1 billed minute × $0.002).`,
    ].join('\n  ');
    return { usd: perExecutionUsd * 1000, detail };
  } finally {
    await cloud.close();
  }
}

export async function run(): Promise<Record<string, Figure>> {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.js')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
  const stageRunner = join(root, 'dist', 'functions', 'stage-runner', 'index.mjs');
  smokeTest(stageRunner);
  coldImportMs(stageRunner); // the first import also warms the file cache
  const coldMs = median(Array.from({ length: 9 }, () => coldImportMs(stageRunner)));
  const api = join(root, 'dist', 'functions', 'api', 'index.mjs');
  coldImportMs(api);
  const apiColdMs = median(Array.from({ length: 9 }, () => coldImportMs(api)));

  const cost = await measureCost();
  process.stderr.write(`  ${cost.detail}\n`);
  return {
    bundle_kb_stage_runner: { value: bundleKb('stage-runner'), unit: 'KB', target: '< 800' },
    bundle_kb_api: { value: bundleKb('api'), unit: 'KB', target: '< 800' },
    bundle_kb_publisher: { value: bundleKb('publisher'), unit: 'KB', target: '< 800' },
    bundle_kb_reconciler: { value: bundleKb('reconciler'), unit: 'KB', target: '< 800' },
    bundle_kb_triggers: { value: bundleKb('triggers'), unit: 'KB', target: '< 800' },
    asset_kb_stage_runner: { value: assetKb('stage-runner'), unit: 'KB' },
    asset_kb_api: { value: assetKb('api'), unit: 'KB' },
    cold_init_ms_stage_runner: { value: round(coldMs), unit: 'ms', target: '< 150' },
    cold_init_ms_api: { value: round(apiColdMs), unit: 'ms', target: '< 150' },
    usd_per_1000_executions: { value: round(cost.usd, 3), unit: 'USD' },
    codepipeline_v2_usd_per_1000_executions: { value: round(10 * PRICE.codePipelineActionMinute * 1000, 2), unit: 'USD' },
  };
}
