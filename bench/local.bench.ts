/**
 * Local runtime benchmarks: what a stage costs on one machine (dynalite, the ASL interpreter,
 * the real stage runner, the execution service), and how many short executions run per
 * second. Run by bench/run.ts.
 */
import type { Caller } from '../core/execution/execution-service-api.ts';
import type { GennakerEvent } from '../core/ports/event-bus.ts';
import { createLocalRuntime, type LocalRuntime } from '../local/wiring.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const caller: Caller = { user: 'bench', roles: [] };
const CHAIN = 50;

/** `count` no-op stages in a chain: evaluateVariables with one constant (no waits). */
function chain(name: string, count: number): Record<string, unknown> {
  return {
    application: 'bench',
    name,
    stages: Array.from({ length: count }, (_, index) => ({
      refId: String(index + 1),
      requisiteStageRefIds: index === 0 ? [] : [String(index)],
      type: 'evaluateVariables',
      name: `Step ${index + 1}`,
      variables: [{ key: `v${index + 1}`, value: 'constant' }],
    })),
  };
}

/** Resolves when the execution's completion event arrives. */
function completions(runtime: LocalRuntime): (executionId: string) => Promise<GennakerEvent> {
  const waiting = new Map<string, (event: GennakerEvent) => void>();
  const seen = new Map<string, GennakerEvent>();
  runtime.bus.subscribe((event) => {
    if (event.type !== 'Pipeline Execution Completed') return;
    const resolve = waiting.get(event.executionId);
    if (resolve) resolve(event);
    else seen.set(event.executionId, event);
  });
  return (executionId) => {
    const early = seen.get(executionId);
    if (early) return Promise.resolve(early);
    return new Promise((resolve) => waiting.set(executionId, resolve));
  };
}

async function runOnce(runtime: LocalRuntime, pipelineId: string, completed: (id: string) => Promise<GennakerEvent>): Promise<void> {
  const started = await runtime.service.startPipeline({ application: 'bench', pipeline: pipelineId, trigger: { type: 'manual' } }, caller);
  if (!started.ok) throw new Error(started.message);
  const event = await completed(started.executionId);
  if (event.type === 'Pipeline Execution Completed' && event.status !== 'SUCCEEDED') throw new Error(`bench execution ended ${event.status}`);
}

async function save(runtime: LocalRuntime, config: Record<string, unknown>): Promise<string> {
  const saved = await runtime.service.savePipeline({ config }, caller);
  if (!saved.ok) throw new Error(`could not save the bench pipeline: ${JSON.stringify(saved)}`);
  return saved.saved.id;
}

export async function run(): Promise<Record<string, Figure>> {
  const runtime = await createLocalRuntime();
  try {
    const completed = completions(runtime);

    // Per-stage overhead: a 50-stage chain with no waits, best of 5 after a warm-up.
    const chainId = await save(runtime, chain('chain', CHAIN));
    await runOnce(runtime, chainId, completed);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const began = performance.now();
      await runOnce(runtime, chainId, completed);
      samples.push(performance.now() - began);
    }
    const perStage = Math.min(...samples) / CHAIN;

    // Throughput: 100 runs of a 3-stage pipeline, 4 at a time.
    const shortId = await save(runtime, chain('short', 3));
    await runOnce(runtime, shortId, completed);
    let next = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < 100) {
          next += 1;
          await runOnce(runtime, shortId, completed);
        }
      }),
    );
    const perSecond = 100 / ((performance.now() - began) / 1000);

    // One embedded-DynamoDB write (a conditional put of an application), measured in the same run:
    // the per-stage overhead as a multiple of it does not depend on how fast this machine is.
    const writes: number[] = [];
    for (let i = 0; i < 200; i++) {
      const began = performance.now();
      const written = await runtime.store.saveApplication({ name: `benchwrite${i}`, accounts: [], trafficGuards: [], permissions: {}, raw: {} });
      writes.push(performance.now() - began);
      if (!written.ok) throw new Error(`bench write ${i} failed`);
    }
    writes.sort((a, b) => a - b);
    const oneWrite = writes[Math.floor(writes.length / 2)]!;

    return {
      local_overhead_ms_per_stage: { value: perStage, unit: 'ms', target: '< 5' },
      local_store_write_ms: { value: oneWrite, unit: 'ms' },
      local_overhead_per_stage_ratio: { value: perStage / oneWrite, unit: 'writes', target: '<= 2' },
      local_executions_per_second: { value: perSecond, unit: 'executions/s' },
    };
  } finally {
    await runtime.close();
  }
}
