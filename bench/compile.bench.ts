/**
 * Compile benchmarks: how fast the compiler is on large pipelines, and what a stage costs in
 * definition bytes, history events and state transitions. Run by bench/run.ts.
 */
import type { TaskStep } from '../core/pipeline/model.ts';
import { createSeededRandom } from '../core/canary/random.ts';
import { compilePipeline } from '../statemachines/index.ts';
import { testPipeline, type BuiltPipeline } from '../test/support/pipeline-builder.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

/** A deterministic pseudo-random sequence, so every run compiles the same DAG. */
const random = createSeededRandom;

const STEPS: ReadonlyArray<readonly TaskStep[]> = [
  [{ name: 'evaluateVariables', kind: 'run' }],
  [{ name: 'wait', kind: 'poll', maxPolls: 20 }],
  [
    { name: 'createServerGroup', kind: 'run' },
    { name: 'waitForUpInstances', kind: 'poll', maxPolls: 40 },
    { name: 'disableCluster', kind: 'poll', maxPolls: 20 },
  ],
  [{ name: 'manualJudgment', kind: 'callback', timeoutSeconds: 259_200 }],
];

/**
 * A pipeline of `count` stages shaped like real ones, scaled up: a spine of fan-outs (2 to 5
 * branches of 1 to 3 stages, sometimes with a nested fork) each closed by a join stage, and
 * in half of the fan-outs an extra edge between two branches, an "N" the compiler repairs.
 */
export function generatedPipeline(count: number, seed = 42): BuiltPipeline {
  const next = random(seed);
  const stages: Array<{ refId: string; parents: string[]; steps: readonly TaskStep[] }> = [];
  const add = (parents: string[]): string => {
    const refId = String(stages.length + 1);
    stages.push({ refId, parents, steps: STEPS[Math.floor(next() * STEPS.length)]! });
    return refId;
  };
  let spine = add([]);
  while (stages.length < count) {
    const width = 2 + Math.floor(next() * 4);
    const branches: Array<{ first: string; tip: string }> = [];
    for (let branch = 0; branch < width && stages.length < count - 1; branch++) {
      const first = add([spine]);
      let tip = first;
      const length = Math.floor(next() * 3);
      for (let i = 0; i < length && stages.length < count - 1; i++) tip = add([tip]);
      if (next() < 0.2 && stages.length < count - 3) {
        const left = add([tip]);
        const right = add([tip]);
        tip = add([left, right]);
      }
      branches.push({ first, tip });
    }
    // Now and then a branch's last stage also waits for the first stage of its neighbour: an "N".
    const [left, right] = branches;
    if (left && right && left.first !== left.tip && right.first !== right.tip && next() < 0.5) {
      stages[Number(right.tip) - 1]!.parents.push(left.first);
    }
    if (stages.length >= count) break;
    spine = add(branches.map((branch) => branch.tip));
  }
  return testPipeline(
    stages.map(({ refId, parents, steps }) => ({ refId, requisiteStageRefIds: parents, name: `Stage number ${refId}`, steps })),
    { name: `generated ${count}`, application: 'bench' },
  );
}

/** Median wall time of `action` over `repeat` runs, after three warm-up runs (the JIT). */
function medianMs(repeat: number, action: () => void): number {
  for (let i = 0; i < 3; i++) action();
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    action();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The compile figures, as bench/run.ts collects them. */
export async function run(): Promise<Record<string, Figure>> {
  const large = generatedPipeline(1000);
  const medium = generatedPipeline(100);
  const compileLarge = medianMs(15, () => compilePipeline(large.pipeline, { planStage: large.planStage }));
  const compileMedium = medianMs(31, () => compilePipeline(medium.pipeline, { planStage: medium.planStage }));

  // What one more simple stage (one run step) adds to a chain of them.
  const chain = (count: number) =>
    testPipeline(
      Array.from({ length: count }, (_, index) => ({
        refId: String(index + 1),
        name: `Stage number ${index + 1}`,
        requisiteStageRefIds: index === 0 ? [] : [String(index)],
      })),
      { name: `chain ${count}`, application: 'bench' },
    );
  const compileChain = (count: number) => {
    const built = chain(count);
    return compilePipeline(built.pipeline, { planStage: built.planStage });
  };
  const ten = compileChain(10);
  const eleven = compileChain(11);
  const simple = ten.report;

  return {
    compile_ms_1000_stages: { value: round(compileLarge), unit: 'ms', target: '< 50' },
    compile_ms_100_stages: { value: round(compileMedium), unit: 'ms' },
    asl_bytes_per_stage: { value: eleven.report.definitionBytes - ten.report.definitionBytes, unit: 'bytes' },
    history_events_per_simple_stage: { value: simple.historyEventsPerStage['1']!, unit: 'events', target: '<= 12' },
    transitions_per_simple_stage: { value: simple.transitionsPerStage['1']!, unit: 'transitions', target: '<= 3' },
  };
}
