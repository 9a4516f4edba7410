/**
 * Canary analysis over time, with Orca's rules (reference/kayenta-judge.md §9): which windows are
 * judged and when, and what each interval's score decides. Pure: the stage start time and the
 * current time are passed in.
 *
 * Schedule (OK/pipeline/KayentaCanaryStage.kt): `interval = canaryAnalysisIntervalMins`, or the
 * lifetime when absent, 0 or longer than the lifetime; `n = floor(lifetime / interval)` judgements
 * (the remainder is never analysed). In real time, judgement i runs once
 * `T0 + warmup + i·interval` has passed and covers `[T0 + warmup, T0 + warmup + i·interval]`
 * (a growing window); retrospectively (an end time given) it covers `[T0, T0 + i·interval]` and the
 * warm-up shifts nothing. `lookbackMins > 0` makes the window slide: `start = end − lookback`. The
 * control's window is the experiment's moved back by `baselineAnalysisOffsetInMins`.
 *
 * Minutes may be fractional (Gennaker's addition, for demos and tests of seconds-long canaries).
 *
 * Decisions (MonitorKayentaCanaryTask, AggregateCanaryResultsTask): a score at or below marginal
 * ends the analysis at once, failed; after the last interval only its score counts: at or below
 * marginal, or below pass, fails; otherwise the canary passes. No averaging.
 */

const MINUTE_MS = 60_000;

/** The timing fields of a canary analysis, in minutes (Orca's names in the comments). */
export interface CanaryTiming {
  /** `lifetimeDuration` (or `lifetimeHours`·60, or endTime − startTime). */
  readonly lifetimeMinutes: number;
  /** `canaryAnalysisIntervalMins`; absent or 0: one interval covering the lifetime. */
  readonly intervalMinutes?: number;
  /** `beginCanaryAnalysisAfterMins`. @default 0 */
  readonly warmupMinutes?: number;
  /** `lookbackMins`: 0 → growing windows, > 0 → sliding windows of this length. @default 0 */
  readonly lookbackMinutes?: number;
  /** `baselineAnalysisOffsetInMins`: the control's window is this much earlier. @default 0 */
  readonly baselineOffsetMinutes?: number;
  /** True when the scope gives an end time (Orca's retrospective mode): no waits, no warm-up shift. */
  readonly retrospective?: boolean;
}

/** One judgement: when it may run and the windows it judges (epoch ms, end exclusive). */
export interface CanaryIntervalWindow {
  /** 1-based. */
  readonly index: number;
  readonly experimentStart: number;
  readonly experimentEnd: number;
  readonly controlStart: number;
  readonly controlEnd: number;
  /** The judgement runs once this time has passed: the experiment window's end (in the past for a retrospective). */
  readonly readyAt: number;
}

/** The effective interval: the lifetime when the interval is absent, 0, or longer (Orca). */
export function effectiveIntervalMinutes(timing: Pick<CanaryTiming, 'lifetimeMinutes' | 'intervalMinutes'>): number {
  const { lifetimeMinutes, intervalMinutes } = timing;
  if (intervalMinutes === undefined || intervalMinutes <= 0 || intervalMinutes > lifetimeMinutes) return lifetimeMinutes;
  return intervalMinutes;
}

/** How many judgements run: floor(lifetime / interval), at least 1. */
export function intervalCount(timing: Pick<CanaryTiming, 'lifetimeMinutes' | 'intervalMinutes'>): number {
  const interval = effectiveIntervalMinutes(timing);
  if (interval <= 0) return 1;
  // A tiny epsilon keeps 0.5 / (1/6) from rounding down to 2.999…
  return Math.max(1, Math.floor(timing.lifetimeMinutes / interval + 1e-9));
}

/** Every judgement's windows, from the analysis start `t0` (epoch ms). */
export function planCanaryIntervals(timing: CanaryTiming, t0: number): CanaryIntervalWindow[] {
  const intervalMs = Math.round(effectiveIntervalMinutes(timing) * MINUTE_MS);
  const warmupMs = timing.retrospective ? 0 : Math.round((timing.warmupMinutes ?? 0) * MINUTE_MS);
  const lookbackMs = Math.round((timing.lookbackMinutes ?? 0) * MINUTE_MS);
  const offsetMs = Math.round((timing.baselineOffsetMinutes ?? 0) * MINUTE_MS);
  const count = intervalCount(timing);
  const windows: CanaryIntervalWindow[] = [];
  for (let index = 1; index <= count; index++) {
    const end = t0 + warmupMs + index * intervalMs;
    const start = lookbackMs > 0 ? end - lookbackMs : t0 + warmupMs;
    windows.push({ index, experimentStart: start, experimentEnd: end, controlStart: start - offsetMs, controlEnd: end - offsetMs, readyAt: end });
  }
  return windows;
}

/** What happens after an interval's score. */
export type CanaryDecision =
  | { readonly kind: 'continue' }
  | { readonly kind: 'pass'; readonly message: string }
  | { readonly kind: 'fail'; readonly message: string; readonly earlyAbort: boolean };

export const MARGINAL_MESSAGE = 'Canary score is not above the marginal score threshold.';

/** Orca's decision after judgement `index` of `count` with `score` (see the module comment). */
export function decideAfterInterval(score: number, index: number, count: number, thresholds: { readonly marginal: number; readonly pass: number }): CanaryDecision {
  const last = index >= count;
  if (score <= thresholds.marginal) {
    const where = last ? `the last interval (${index} of ${count})` : `interval ${index} of ${count}, so the analysis stops early`;
    return { kind: 'fail', earlyAbort: !last, message: `${MARGINAL_MESSAGE} Score ${round(score)} ≤ marginal ${thresholds.marginal} in ${where}.` };
  }
  if (!last) return { kind: 'continue' };
  if (score < thresholds.pass) return { kind: 'fail', earlyAbort: false, message: `The final canary score ${round(score)} is below the pass threshold ${thresholds.pass}.` };
  return { kind: 'pass', message: `The final canary score ${round(score)} reached the pass threshold ${thresholds.pass}.` };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
