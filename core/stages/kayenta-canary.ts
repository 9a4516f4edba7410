/**
 * The `kayentaCanary` stage (Orca's KayentaCanaryStage with its RunCanaryIntervalsStage and
 * AggregateCanaryResultsTask), run against Gennaker's metric sources with Gennaker's judge.
 *
 * Steps (core/pipeline/stage-types/kayenta-canary.ts plans them):
 * - `warmupWait`: until `beginCanaryAnalysisAfterMins` after the analysis start (real time only).
 * - `runCanaryIntervals`: polls; each call judges every interval whose window has ended and
 *   answers RUNNING with the seconds to the next window's end (core/stages/canary-analysis.ts).
 *   A score at or below marginal ends it early. The intervals so far live in the runtime while
 *   it runs; when it ends, they become the stage's outputs (core/canary/run-model.ts).
 * - `aggregateCanaryResults`: the last score decides: SUCCEEDED when it reaches pass; otherwise
 *   the stage fails (TERMINAL, or what its failure policy says) with `canaryScoreMessage`.
 *
 * The analysis starts at `scopes[0].startTimeIso`, or when the stage started, floored to the
 * step so metric windows line up with the sources' step grid. The canary config is the inline
 * `canaryConfig.config`, or the one saved under `canaryConfigId` / `canaryConfigName`, read once
 * at the first judgement and kept in the runtime: a config saved again while the analysis runs
 * does not change how its remaining intervals are judged.
 */
import { parseCanaryConfig, type CanaryConfig } from '../canary/config.ts';
import type { CanaryRunOutputs } from '../canary/run-model.ts';
import type { KayentaCanaryConfig, KayentaCanaryStage } from '../pipeline/stage-types/kayenta-canary.ts';
import { canaryLifetimeMinutes, parseKayentaCanaryContext } from '../pipeline/stage-types/kayenta-canary.ts';
import type { CanaryConfigStore } from '../ports/canary-config-store.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { MetricSourceLookup } from '../ports/metric-source.ts';
import { advanceCanaryAnalysis, type CanaryAnalysisSpec } from './canary-analysis.ts';
import { failed, numberFrom, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

export interface CanaryStageDeps {
  readonly metrics: MetricSourceLookup;
  /** Where `canaryConfigId` / `canaryConfigName` are looked up. Absent: only inline configs work. */
  readonly canaryConfigs?: CanaryConfigStore;
}

/** Runtime key of the analysis in progress. */
const PROGRESS = 'canaryAnalysis';
/** Runtime key of the canary config document the analysis judges with. */
const PINNED_CONFIG = 'canaryConfigDocument';

/** Runs one step of a `kayentaCanary` stage (see the module comment). */
export async function runKayentaCanaryTask(input: TaskInput<KayentaCanaryStage>, deps: CanaryStageDeps): Promise<TaskResult> {
  const name = input.stage.name;
  const fail = (message: string) => failed(`stage '${name}': ${message}`);
  const parsed = parseKayentaCanaryContext(input.record.context);
  if (!parsed.ok) return fail(parsed.message);
  const stageConfig = parsed.config;
  switch (input.task) {
    case 'deployCanaryServerGroups':
    case 'cleanupCanaryServerGroups':
      return fail('deployments.serverGroupPairs is not supported yet; deploy the baseline and canary with a deploy stage (strategy canary), or name existing server groups in canaryConfig.scopes');
    case 'warmupWait': {
      const spec = timingOf(stageConfig, input);
      if (!spec.ok) return fail(spec.message);
      const warmup = spec.timing.retrospective ? 0 : spec.timing.warmupMinutes;
      const remainingMs = spec.t0 + warmup * 60_000 - input.now;
      return remainingMs <= 0 ? succeeded() : running(remainingMs / 1000);
    }
    case 'runCanaryIntervals': {
      const pinned = input.record.runtime[PINNED_CONFIG] as JsonObject | undefined;
      const spec = await resolveSpec(stageConfig, input, deps.canaryConfigs, pinned);
      if (!spec.ok) return fail(spec.message);
      const previous = input.record.runtime[PROGRESS] as unknown as CanaryRunOutputs | undefined;
      const advanced = await advanceCanaryAnalysis(spec.spec, previous, input.now, deps.metrics);
      const outputs = advanced.outputs as unknown as JsonObject;
      const runtime = { [PROGRESS]: outputs, [PINNED_CONFIG]: spec.document };
      switch (advanced.kind) {
        case 'running':
        case 'retry':
          return running(advanced.waitSeconds, { runtime });
        case 'done':
        case 'error':
          // An error ends the analysis as failed (`canaryScoreMessage` says why); aggregateCanaryResults fails the stage.
          return succeeded(outputs, { runtime });
        default: {
          const unknown: never = advanced;
          return unknown;
        }
      }
    }
    case 'aggregateCanaryResults': {
      const outputs = input.record.outputs as unknown as Partial<CanaryRunOutputs>;
      if (outputs.overallResult === 'success') return succeeded();
      const scores = Array.isArray(outputs.canaryScores) ? ` (scores: ${outputs.canaryScores.join(', ')})` : '';
      return fail(`${outputs.canaryScoreMessage ?? 'the canary analysis did not finish'}${scores}`);
    }
    default:
      return fail(`kayentaCanary has no step '${input.task}'`);
  }
}

type Timing = { ok: true; t0: number; timing: CanaryAnalysisSpec['timing'] & { warmupMinutes: number } } | { ok: false; message: string };

/** The analysis start and Orca's timing fields, as numbers. */
function timingOf(config: KayentaCanaryConfig, input: TaskInput): Timing {
  const canary = config.canaryConfig;
  const first = canary.scopes[0];
  if (!first) return { ok: false, message: 'canaryConfig.scopes is empty; add a scope with controlScope and experimentScope' };
  const step = numberFrom(first.step);
  if (step === undefined || step < 1) return { ok: false, message: `canaryConfig.scopes[0].step is ${JSON.stringify(first.step)}, expected a number of seconds (1 or more)` };
  const numbers: Record<string, number> = {};
  for (const key of ['beginCanaryAnalysisAfterMins', 'lookbackMins', 'baselineAnalysisOffsetInMins', 'canaryAnalysisIntervalMins'] as const) {
    const raw = canary[key];
    if (raw === undefined) continue;
    const value = numberFrom(raw);
    if (value === undefined || value < 0) return { ok: false, message: `canaryConfig.${key} is ${JSON.stringify(raw)}, expected a number of minutes (0 or more)` };
    numbers[key] = value;
  }
  const lifetimeHours = numberFrom(canary.lifetimeHours);
  const lifetime = canaryLifetimeMinutes({ ...config, canaryConfig: { ...canary, ...(lifetimeHours !== undefined ? { lifetimeHours } : {}) } });
  if (lifetime === undefined || lifetime <= 0) {
    return { ok: false, message: `the canary's lifetime is ${JSON.stringify(canary.lifetimeDuration ?? canary.lifetimeHours ?? null)}; set lifetimeDuration to an ISO-8601 duration such as 'PT1H'` };
  }
  const startIso = first.startTimeIso;
  const stepMs = step * 1000;
  const started = input.record.startTime ?? input.now;
  const t0 = startIso !== undefined ? Date.parse(startIso) : Math.floor(started / stepMs) * stepMs;
  if (!Number.isFinite(t0)) return { ok: false, message: `canaryConfig.scopes[0].startTimeIso is '${startIso}', expected an ISO-8601 time such as '2024-05-01T12:00:00Z'` };
  return {
    ok: true,
    t0,
    timing: {
      lifetimeMinutes: lifetime,
      ...(numbers.canaryAnalysisIntervalMins !== undefined ? { intervalMinutes: numbers.canaryAnalysisIntervalMins } : {}),
      warmupMinutes: numbers.beginCanaryAnalysisAfterMins ?? 0,
      lookbackMinutes: numbers.lookbackMins ?? 0,
      baselineOffsetMinutes: numbers.baselineAnalysisOffsetInMins ?? 0,
      retrospective: first.endTimeIso !== undefined,
    },
  };
}

/** Resolves the canary config, thresholds, scopes and timing of the stage. */
async function resolveSpec(
  config: KayentaCanaryConfig,
  input: TaskInput,
  store: CanaryConfigStore | undefined,
  pinned: JsonObject | undefined,
): Promise<{ ok: true; spec: CanaryAnalysisSpec; document: JsonObject } | { ok: false; message: string }> {
  const canary = config.canaryConfig;
  const timing = timingOf(config, input);
  if (!timing.ok) return timing;
  const first = canary.scopes[0]!;
  const resolved = await resolveCanaryConfig(pinned !== undefined ? { config: pinned } : canary, store);
  if (!resolved.ok) return resolved;
  const thresholds = thresholdsOf(canary.scoreThresholds);
  if (!thresholds.ok) return thresholds;
  const step = numberFrom(first.step)!;
  const extended: Record<string, string> = {};
  for (const [key, value] of Object.entries(first.extendedScopeParams)) if (value !== null && value !== undefined) extended[key] = String(value);
  return {
    ok: true,
    document: resolved.document,
    spec: {
      config: resolved.config,
      ...(resolved.name !== undefined ? { configName: resolved.name } : {}),
      thresholds: thresholds.value,
      scopes: {
        controlScope: first.controlScope,
        controlLocation: first.controlLocation ?? '',
        experimentScope: first.experimentScope,
        experimentLocation: first.experimentLocation ?? '',
        stepSeconds: step,
        ...(Object.keys(extended).length > 0 ? { extendedScopeParams: extended } : {}),
      },
      timing: timing.timing,
      t0: timing.t0,
      ...(canary.metricsAccountName !== undefined ? { metricsAccountName: canary.metricsAccountName } : {}),
    },
  };
}

/** Score thresholds as numbers (Orca's defaults 50/75 were filled in by the schema). */
export function thresholdsOf(raw: { readonly marginal: unknown; readonly pass: unknown }): { ok: true; value: { marginal: number; pass: number } } | { ok: false; message: string } {
  const marginal = numberFrom(raw.marginal);
  const pass = numberFrom(raw.pass);
  if (marginal === undefined || marginal < 0 || marginal > 100) return { ok: false, message: `scoreThresholds.marginal is ${JSON.stringify(raw.marginal)}, expected a score from 0 to 100` };
  if (pass === undefined || pass < 0 || pass > 100) return { ok: false, message: `scoreThresholds.pass is ${JSON.stringify(raw.pass)}, expected a score from 0 to 100` };
  if (marginal > pass) return { ok: false, message: `scoreThresholds.marginal ${marginal} is above pass ${pass}; use marginal ≤ pass, e.g. 50 and 75` };
  return { ok: true, value: { marginal, pass } };
}

/** A canary config given inline, by id or by name: parsed, and the document as given (to pin it). */
export async function resolveCanaryConfig(
  ref: { readonly config?: unknown; readonly canaryConfigId?: string; readonly canaryConfigName?: string },
  store: CanaryConfigStore | undefined,
): Promise<{ ok: true; config: CanaryConfig; document: JsonObject; name?: string } | { ok: false; message: string }> {
  let document: unknown = ref.config;
  let where = 'canaryConfig.config';
  if (document === undefined) {
    const key = ref.canaryConfigId ?? ref.canaryConfigName;
    if (key === undefined) return { ok: false, message: "no canary config: set canaryConfigId, canaryConfigName or an inline canaryConfig.config" };
    if (!store) return { ok: false, message: `canary config '${key}' cannot be looked up: this Gennaker has no canary config store; give the config inline as canaryConfig.config` };
    const stored = ref.canaryConfigId !== undefined ? await store.get(ref.canaryConfigId) : await store.findByName(ref.canaryConfigName!);
    if (!stored) {
      const field = ref.canaryConfigId !== undefined ? 'canaryConfigId' : 'canaryConfigName';
      return { ok: false, message: `${field} '${key}' names no saved canary config; save it first (gennaker canary config save -f canary-config.json) or fix the ${field}` };
    }
    document = stored.config;
    where = `canary config '${key}'`;
  }
  const parsed = parseCanaryConfig(document);
  if (!parsed.config) {
    const problems = parsed.issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.pointer || '/'}: ${issue.message}`);
    return { ok: false, message: `${where} is not a valid canary config: ${problems.join('; ')}` };
  }
  return { ok: true, config: parsed.config, document: document as JsonObject, ...(parsed.config.name !== undefined ? { name: parsed.config.name } : {}) };
}
