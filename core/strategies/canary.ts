/**
 * The `canary` deploy strategy's pure parts: its settings (the cluster entry's `canary` field),
 * the traffic split and the steps that promote or roll back.
 *
 * Beside production (the cluster's newest enabled server group) it creates a baseline (a clone
 * of production's artifact) and a canary (the new version), each `capacity` (default 1
 * instance), and splits traffic by weight: `trafficPercent` each to baseline and canary, the
 * rest to production. After the analysis:
 * - promote: the canary server group itself is promoted (no new server group): it is resized to
 *   the cluster's capacity, takes all the traffic, production is disabled (kept, as red/black
 *   keeps it, for a rollback) and the baseline destroyed; weights then return to the default.
 * - roll back: production takes all the traffic again, canary and baseline are destroyed,
 *   weights return to the default; production is never touched.
 * Traffic guards are checked before every disable and destroy (deploy-steps.ts `startStep`).
 */
import type { Capacity } from '../deploy/model.ts';
import type { DeployStep } from './steps.ts';

/** The cluster entry's `canary` field, read. */
export interface CanaryStrategySettings {
  /** `canaryConfigId`, `canaryConfigName` or an inline `config` (Kayenta's JSON). */
  readonly canaryConfig: { readonly canaryConfigId?: string; readonly canaryConfigName?: string; readonly config?: Readonly<Record<string, unknown>> };
  /** ISO-8601, e.g. `PT30M` or `PT30S`. */
  readonly lifetimeDuration: string;
  readonly canaryAnalysisIntervalMins?: number;
  readonly beginCanaryAnalysisAfterMins: number;
  readonly lookbackMins: number;
  readonly scoreThresholds: { readonly marginal: number; readonly pass: number };
  /** Seconds per metric data point. @default 60 */
  readonly step: number;
  /** Share (1-49) of the cluster's traffic sent to each of baseline and canary. @default 10 */
  readonly trafficPercent: number;
  /** Capacity of the baseline and of the canary. @default 1 instance */
  readonly capacity: Capacity;
  /** The baseline's environment (the target cannot read production's). @default the cluster's `env` */
  readonly baselineEnv?: Readonly<Record<string, string>>;
  /** The metrics account (`metricsAccountName`). */
  readonly metricsAccountName?: string;
}

export type CanarySettingsRead = { readonly ok: true; readonly settings: CanaryStrategySettings } | { readonly ok: false; readonly message: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function numberAt(fields: Record<string, unknown>, key: string, at: string, fallback: number | undefined, bounds: { min: number; max: number }): { ok: true; value: number | undefined } | { ok: false; message: string } {
  const raw = fields[key];
  if (raw === undefined || raw === null) return { ok: true, value: fallback };
  const value = typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < bounds.min || value > bounds.max) {
    return { ok: false, message: `${at}.${key} is ${JSON.stringify(raw)}, expected a number from ${bounds.min} to ${bounds.max}` };
  }
  return { ok: true, value };
}

/** Reads the `canary` field of a cluster entry; `at` names it (`clusters[0].canary`). */
export function parseCanaryStrategySettings(raw: unknown, at: string): CanarySettingsRead {
  if (!isObject(raw)) return { ok: false, message: `${at} is ${JSON.stringify(raw) ?? 'missing'}; the canary strategy needs e.g. { "canaryConfig": { "canaryConfigId": "..." }, "lifetimeDuration": "PT30M" }` };
  const ref = isObject(raw.canaryConfig) ? raw.canaryConfig : typeof raw.canaryConfig === 'string' ? { canaryConfigId: raw.canaryConfig } : {};
  const canaryConfig = {
    ...(typeof ref.canaryConfigId === 'string' ? { canaryConfigId: ref.canaryConfigId } : typeof raw.canaryConfigId === 'string' ? { canaryConfigId: raw.canaryConfigId } : {}),
    ...(typeof ref.canaryConfigName === 'string' ? { canaryConfigName: ref.canaryConfigName } : {}),
    ...(isObject(ref.config) ? { config: ref.config } : {}),
  };
  if (canaryConfig.canaryConfigId === undefined && canaryConfig.canaryConfigName === undefined && canaryConfig.config === undefined) {
    return { ok: false, message: `${at}.canaryConfig is ${JSON.stringify(raw.canaryConfig) ?? 'missing'}; set canaryConfigId, canaryConfigName or an inline config` };
  }
  if (typeof raw.lifetimeDuration !== 'string' || raw.lifetimeDuration === '') {
    return { ok: false, message: `${at}.lifetimeDuration is ${JSON.stringify(raw.lifetimeDuration) ?? 'missing'}; set how long the canary runs, e.g. 'PT30M'` };
  }
  const thresholds = isObject(raw.scoreThresholds) ? raw.scoreThresholds : {};
  const reads = {
    interval: numberAt(raw, 'canaryAnalysisIntervalMins', at, undefined, { min: 0, max: 1e6 }),
    warmup: numberAt(raw, 'beginCanaryAnalysisAfterMins', at, 0, { min: 0, max: 1e6 }),
    lookback: numberAt(raw, 'lookbackMins', at, 0, { min: 0, max: 1e6 }),
    marginal: numberAt(thresholds, 'marginal', `${at}.scoreThresholds`, 50, { min: 0, max: 100 }),
    pass: numberAt(thresholds, 'pass', `${at}.scoreThresholds`, 75, { min: 0, max: 100 }),
    step: numberAt(raw, 'step', at, 60, { min: 1, max: 86_400 }),
    trafficPercent: numberAt(raw, 'trafficPercent', at, 10, { min: 1, max: 49 }),
  };
  for (const read of Object.values(reads)) if (!read.ok) return read;
  const value = (read: (typeof reads)[keyof typeof reads]) => (read.ok ? read.value : undefined);
  const marginal = value(reads.marginal)!;
  const pass = value(reads.pass)!;
  if (marginal > pass) return { ok: false, message: `${at}.scoreThresholds: marginal ${marginal} is above pass ${pass}; use marginal ≤ pass, e.g. 50 and 75` };
  const step = value(reads.step)!;
  if (!Number.isInteger(step)) return { ok: false, message: `${at}.step is ${step}, expected a whole number of seconds` };
  const capacity = readCapacity(raw.capacity, `${at}.capacity`);
  if (!capacity.ok) return capacity;
  let baselineEnv: Record<string, string> | undefined;
  if (raw.baselineEnv !== undefined) {
    if (!isObject(raw.baselineEnv) || Object.values(raw.baselineEnv).some((item) => typeof item !== 'string')) {
      return { ok: false, message: `${at}.baselineEnv is ${JSON.stringify(raw.baselineEnv)}, expected an object of strings, e.g. { "ERROR_RATE": "0" }` };
    }
    baselineEnv = raw.baselineEnv as Record<string, string>;
  }
  const interval = value(reads.interval);
  return {
    ok: true,
    settings: {
      canaryConfig,
      lifetimeDuration: raw.lifetimeDuration,
      ...(interval !== undefined ? { canaryAnalysisIntervalMins: interval } : {}),
      beginCanaryAnalysisAfterMins: value(reads.warmup)!,
      lookbackMins: value(reads.lookback)!,
      scoreThresholds: { marginal, pass },
      step,
      trafficPercent: value(reads.trafficPercent)!,
      capacity: capacity.value,
      ...(baselineEnv ? { baselineEnv } : {}),
      ...(typeof raw.metricsAccountName === 'string' ? { metricsAccountName: raw.metricsAccountName } : {}),
    },
  };
}

function readCapacity(raw: unknown, at: string): { ok: true; value: Capacity } | { ok: false; message: string } {
  if (raw === undefined) return { ok: true, value: { min: 1, max: 1, desired: 1 } };
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1) return { ok: true, value: { min: raw, max: raw, desired: raw } };
  if (isObject(raw) && typeof raw.desired === 'number' && Number.isInteger(raw.desired) && raw.desired >= 1) {
    const desired = raw.desired;
    const min = typeof raw.min === 'number' ? raw.min : desired;
    const max = typeof raw.max === 'number' ? raw.max : desired;
    if (min <= desired && desired <= max) return { ok: true, value: { min, max, desired } };
  }
  return { ok: false, message: `${at} is ${JSON.stringify(raw)}; set a number of instances (1 or more) or { "min": 1, "max": 1, "desired": 1 }` };
}

/** The traffic split while the canary is analysed: production gets what baseline and canary do not. */
export function canaryTrafficWeights(names: { readonly production: string; readonly baseline: string; readonly canary: string }, trafficPercent: number): Record<string, number> {
  return { [names.production]: 100 - 2 * trafficPercent, [names.baseline]: trafficPercent, [names.canary]: trafficPercent };
}

/** An action of the canary strategy: a deploy step, or a change of the traffic weights (`{}`: back to the default). */
export type CanaryAction = { readonly kind: 'setTrafficWeights'; readonly weights: Readonly<Record<string, number>> } | DeployStep;

/** Creating both server groups is done by the runtime; this routes traffic to them once they are Up. */
export function planCanaryRouting(names: { readonly production: string; readonly baseline: string; readonly canary: string }, trafficPercent: number): CanaryAction[] {
  return [
    // Weights first: a server group left out gets nothing, so enabling them sends no unplanned traffic.
    { kind: 'setTrafficWeights', weights: { [names.production]: 100 } },
    { kind: 'enableServerGroup', serverGroup: names.baseline, targetHealthyPercentage: 100 },
    { kind: 'enableServerGroup', serverGroup: names.canary, targetHealthyPercentage: 100 },
    { kind: 'setTrafficWeights', weights: canaryTrafficWeights(names, trafficPercent) },
  ];
}

/** Promotes the canary server group itself (see the module comment). */
export function planCanaryPromotion(names: { readonly production: string; readonly baseline: string; readonly canary: string }, capacity: Capacity): CanaryAction[] {
  return [
    { kind: 'resizeServerGroup', serverGroup: names.canary, capacity, targetHealthyPercentage: 100 },
    { kind: 'setTrafficWeights', weights: { [names.canary]: 100 } },
    { kind: 'disableServerGroup', serverGroup: names.production },
    { kind: 'destroyServerGroup', serverGroup: names.baseline },
    { kind: 'setTrafficWeights', weights: {} },
  ];
}

/** Rolls back: production takes all the traffic, canary and baseline go. Production is not touched. */
export function planCanaryRollback(names: { readonly production: string; readonly baseline: string; readonly canary: string }, existing: ReadonlySet<string>): CanaryAction[] {
  return [
    { kind: 'setTrafficWeights', weights: { [names.production]: 100 } },
    ...(existing.has(names.canary) ? [{ kind: 'destroyServerGroup', serverGroup: names.canary } as const] : []),
    ...(existing.has(names.baseline) ? [{ kind: 'destroyServerGroup', serverGroup: names.baseline } as const] : []),
    { kind: 'setTrafficWeights', weights: {} },
  ];
}
