/**
 * Canary judge benchmarks: one judgement (NetflixACAJudge-v1.0) of ten metrics with 1000 points
 * per side, and of one metric with 10000 points per side. Run by bench/run.ts.
 */
import { createGaussian, createSeededRandom, judgeCanary, parseCanaryConfig, type CanaryConfig, type MetricSeriesPair } from '../core/canary/index.ts';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

/**
 * `count` metrics with `points` points per side, shaped like real ones: latencies and rates
 * with Gaussian noise, a few missing points, and every third metric shifted up by 2-10% in the
 * experiment, so the judge sees both Pass and High verdicts.
 */
export function generatedJudgement(count: number, points: number, seed = 42): { config: CanaryConfig; pairs: MetricSeriesPair[] } {
  const random = createSeededRandom(seed);
  const gaussian = createGaussian(random);
  const metrics = Array.from({ length: count }, (_, index) => ({
    name: `metric-${index}`,
    groups: [index % 2 === 0 ? 'latency' : 'errors'],
    analysisConfigurations: { canary: { direction: 'increase', outliers: { strategy: index % 3 === 0 ? 'remove' : 'keep' } } },
  }));
  const config = parseCanaryConfig({ metrics, classifier: { groupWeights: { latency: 50, errors: 50 } } }).config!;
  const series = (center: number, noise: number) =>
    Array.from({ length: points }, () => (random() < 0.01 ? null : Math.max(0, center + noise * gaussian())));
  const pairs = metrics.map((metric, index) => {
    const center = 100 + 10 * index;
    const shift = index % 3 === 1 ? 1 + 0.02 * (1 + (index % 5)) : 1;
    return { name: metric.name, control: series(center, center * 0.1), experiment: series(center * shift, center * 0.1) };
  });
  return { config, pairs };
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

/** The judge figures, as bench/run.ts collects them. */
export async function run(): Promise<Record<string, Figure>> {
  const thresholds = { marginal: 50, pass: 75 };
  const ten = generatedJudgement(10, 1000);
  const one = generatedJudgement(1, 10_000, 7);
  const tenMs = medianMs(31, () => judgeCanary(ten.config, ten.pairs, { thresholds }));
  const oneMs = medianMs(15, () => judgeCanary(one.config, one.pairs, { thresholds }));
  return {
    judge_ms_10_metrics_1000_points: { value: round(tenMs), unit: 'ms', target: '< 20' },
    judge_ms_1_metric_10000_points: { value: round(oneMs), unit: 'ms' },
  };
}
