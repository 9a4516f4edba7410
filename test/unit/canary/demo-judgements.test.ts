/**
 * The canary demo's judgements for seeds 1-5, replayed on a simulated clock: the demo's own
 * traffic (its request rate and traffic split through the load balancer's smooth weighted
 * round-robin), the sample service's own seeded error choice (examples/service/seeded-random.js,
 * over `SEED:INSTANCE_ID` as each instance draws it), recorded by the load balancer's metrics
 * recorder, read back by the local metric source, and judged by the analysis the deploy stage's
 * canary strategy runs (advanceCanaryAnalysis) with the demo's canary config, timing and
 * thresholds. The good release (1.1.0) must be promoted and the bad one (1.2.0, 5% errors)
 * rolled back for every seed, at the demo's request rate and at 70% of it: a busy machine's load
 * generator sends fewer requests, and fewer errors a step make the bad canary harder to tell
 * from its baseline. The margin is thin: at 60% (120 requests/s) seed 4's bad release scores
 * 100 in both intervals and would be promoted, as happened once to a live run with a shorter
 * canary. One live demo, end to end, is test/e2e/demo-canary.test.ts.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLocalMetricSource } from '../../../adapters/metrics/local-metric-source.ts';
import { createMetricsRecorder } from '../../../adapters/targets/local/metrics.ts';
import { createWeightedPicker } from '../../../adapters/targets/local/weighted-round-robin.ts';
import { CANARY_DEMO_DEFAULTS, CANARY_DEMO_RELEASES, DEMO_CLUSTER, DEMO_SERVICE_DIR, canaryDemoPipeline } from '../../../cli/commands/demo.ts';
import { parseCanaryConfig } from '../../../core/canary/config.ts';
import { createSeededRandom } from '../../../core/canary/random.ts';
import { parseIsoDurationMinutes } from '../../../core/pipeline/stage-types/kayenta-canary.ts';
import { advanceCanaryAnalysis, type CanaryAdvance, type CanaryAnalysisSpec } from '../../../core/stages/canary-analysis.ts';
import { canaryTrafficWeights, parseCanaryStrategySettings } from '../../../core/strategies/canary.ts';

const SERVICE_RANDOM = pathToFileURL(join(DEMO_SERVICE_DIR, 'seeded-random.js')).href;
const { seededRandom } = (await import(SERVICE_RANDOM)) as { seededRandom: (seedText: string) => () => number };

/** The demo's canary deploy as the deploy stage reads it: the pipeline's cluster entry, parsed. */
function demoCanary() {
  const pipeline = canaryDemoPipeline(DEMO_SERVICE_DIR, CANARY_DEMO_DEFAULTS) as { stages: Array<{ clusters: Array<{ canary: unknown }> }> };
  const read = parseCanaryStrategySettings(pipeline.stages[0]!.clusters[0]!.canary, 'clusters[0].canary');
  if (!read.ok) throw new Error(read.message);
  const settings = read.settings;
  const config = parseCanaryConfig(settings.canaryConfig.config);
  if (!config.config || config.issues.some((issue) => issue.severity === 'error')) throw new Error(JSON.stringify(config.issues));
  const lifetimeMinutes = parseIsoDurationMinutes(settings.lifetimeDuration);
  if (lifetimeMinutes === undefined) throw new Error(`lifetime ${settings.lifetimeDuration}`);
  return { settings, config: config.config, lifetimeMinutes };
}

/**
 * Server groups of the demo's cluster: production v000 (1.0.0), then each canary deploy clones a
 * baseline and creates the canary after it (v001 and v002 for 1.1.0, which becomes production;
 * v003 and v004 for 1.2.0). Each has one instance, `<server group>-i1` (the canary default).
 */
const group = (n: number) => `${DEMO_CLUSTER.cluster}-v${String(n).padStart(3, '0')}`;
const DEPLOYS = [
  { release: CANARY_DEMO_RELEASES[0]!, production: group(0), baseline: group(1), canary: group(2) },
  { release: CANARY_DEMO_RELEASES[1]!, production: group(2), baseline: group(3), canary: group(4) },
];

interface Judged {
  readonly passed: boolean;
  readonly score: number | null;
  readonly scores: readonly number[];
  readonly canaryRequests: number;
  readonly canaryErrors: number;
}

/**
 * One canary deploy of the demo on a simulated clock: from T0 (traffic reaches baseline and
 * canary, on a step boundary) the load generator's requests arrive evenly, `requestsPerSecond`
 * of them a second, each routed by the load balancer's picker at the canary's weights and
 * recorded with its latency and whether the instance failed it. The analysis is advanced at
 * each time it asks to be called again, as the stage's polling does, until it decides.
 */
async function judgeDeploy(deploy: (typeof DEPLOYS)[number], seed: number, requestsPerSecond: number): Promise<Judged> {
  const { settings, config, lifetimeMinutes } = demoCanary();
  const recorder = createMetricsRecorder();
  const source = createLocalMetricSource({ metrics: (ref, since) => ({ ...ref, endpoint: 'http://127.0.0.1:0', serverGroups: recorder.snapshot(since) }), account: DEMO_CLUSTER.account });
  const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
  const spec: CanaryAnalysisSpec = {
    config,
    thresholds: settings.scoreThresholds,
    scopes: { controlScope: deploy.baseline, controlLocation: DEMO_CLUSTER.location, experimentScope: deploy.canary, experimentLocation: DEMO_CLUSTER.location, stepSeconds: settings.step },
    timing: { lifetimeMinutes, ...(settings.canaryAnalysisIntervalMins !== undefined ? { intervalMinutes: settings.canaryAnalysisIntervalMins } : {}), warmupMinutes: settings.beginCanaryAnalysisAfterMins, lookbackMinutes: settings.lookbackMins },
    t0,
  };
  const weights = canaryTrafficWeights(deploy, settings.trafficPercent);
  const candidates = Object.entries(weights).map(([key, weight]) => ({ key, weight }));
  const picker = createWeightedPicker();
  // Each instance draws as the service does: only a release with ERROR_RATE > 0 draws at all.
  const errorRates: Record<string, number> = { [deploy.production]: 0, [deploy.baseline]: 0, [deploy.canary]: deploy.release.errorRate };
  const draws = Object.fromEntries(Object.keys(errorRates).map((name) => [name, seededRandom(`${seed}:${name}-i1`)]));
  // Loopback answers of the sample service through the balancer: a few milliseconds, the same for every server group.
  const latency = createSeededRandom(seed);
  let canaryRequests = 0;
  let canaryErrors = 0;
  let sent = 0;
  let now = t0;
  let advanced: CanaryAdvance | undefined;
  for (;;) {
    advanced = await advanceCanaryAnalysis(spec, advanced?.outputs, now, () => source);
    if (advanced.kind !== 'running') break;
    const until = now + advanced.waitSeconds * 1000;
    for (; t0 + (sent * 1000) / requestsPerSecond < until; sent++) {
      const at = t0 + Math.floor((sent * 1000) / requestsPerSecond);
      const name = picker.pick(candidates)!;
      const error = errorRates[name]! > 0 && draws[name]!() < errorRates[name]!;
      recorder.record(name, { latencyMs: 1 + 3 * latency(), error, at });
      if (name === deploy.canary) {
        canaryRequests += 1;
        if (error) canaryErrors += 1;
      }
    }
    now = until;
  }
  expect(advanced.kind, advanced.kind === 'done' ? '' : advanced.message).toBe('done');
  const outputs = advanced.outputs;
  return { passed: advanced.kind === 'done' && advanced.passed, score: outputs.overallScore, scores: outputs.canaryScores, canaryRequests, canaryErrors };
}

const SEEDS = [1, 2, 3, 4, 5];

describe('the canary demo’s judgements, replayed on a simulated clock', () => {
  it('reads the demo’s canary as the deploy stage does: 16 s in two intervals of 8 s, 1 s steps, 30% each to baseline and canary, pass at 70', () => {
    const { settings, lifetimeMinutes } = demoCanary();
    expect({ lifetimeSeconds: lifetimeMinutes * 60, intervalSeconds: settings.canaryAnalysisIntervalMins! * 60, step: settings.step, trafficPercent: settings.trafficPercent, thresholds: settings.scoreThresholds }).toEqual({
      lifetimeSeconds: 16,
      intervalSeconds: 8,
      step: 1,
      trafficPercent: 30,
      thresholds: { marginal: 50, pass: 70 },
    });
    expect(CANARY_DEMO_RELEASES.map(({ version, errorRate, outcome }) => ({ version, errorRate, outcome }))).toEqual([
      { version: '1.1.0', errorRate: 0, outcome: 'promoted' },
      { version: '1.2.0', errorRate: 0.05, outcome: 'rolledBack' },
    ]);
  });

  for (const [label, requestsPerSecond] of [
    ['at the demo’s request rate', CANARY_DEMO_DEFAULTS.requestsPerSecond],
    ['at 70% of it', (CANARY_DEMO_DEFAULTS.requestsPerSecond * 70) / 100],
  ] as const) {
    const nominal = requestsPerSecond === CANARY_DEMO_DEFAULTS.requestsPerSecond;
    it.each(SEEDS)(`seed %i ${label}: promotes the good release and rolls back the bad one${nominal ? ', caught at its first interval' : ''}`, async (seed) => {
      // when
      const [good, bad] = [await judgeDeploy(DEPLOYS[0]!, seed, requestsPerSecond), await judgeDeploy(DEPLOYS[1]!, seed, requestsPerSecond)];

      // then: the assertions of the live demo's JSON, per seed
      expect(good).toMatchObject({ passed: true, canaryErrors: 0 });
      expect(good.scores).toHaveLength(2);
      expect(good.score).toBeGreaterThanOrEqual(70);
      expect(bad.passed).toBe(false);
      expect(bad.score).toBeLessThan(70);
      // At the demo's rate the first interval's score (50 or less) ends the analysis at once.
      if (nominal) expect(bad.scores).toHaveLength(1);
      // The canary really failed about 5% of its share of the traffic.
      const share = (requestsPerSecond * CANARY_DEMO_DEFAULTS.trafficPercent) / 100;
      expect(bad.canaryRequests).toBeGreaterThanOrEqual(share * CANARY_DEMO_DEFAULTS.intervalSeconds);
      expect(bad.canaryErrors / bad.canaryRequests).toBeGreaterThan(0.02);
      expect(bad.canaryErrors / bad.canaryRequests).toBeLessThan(0.1);
    });
  }
});
