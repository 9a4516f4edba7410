/**
 * `kayentaCanary`: automated canary analysis over one or more intervals (Orca's
 * KayentaCanaryStage, reference/kayenta-judge.md §9). Each interval's score at or below
 * `marginal` ends the stage early; the last score must reach `pass`.
 *
 * The canary configuration is named by `canaryConfigId` (or `canaryConfigName`), or given inline
 * as `canaryConfig.config` (Gennaker's addition, for setups without a Kayenta config store).
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import type { StageBase, TaskStep } from '../model.ts';
import type { Expression } from '../fields.ts';
import { anyObject, anyText, customIssue, isTemplate, numberOrExpression, oneOf, optional, text, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error, pollsForSeconds, warning } from './definition.ts';

export const ANALYSIS_TYPES = ['realTime', 'realTimeAutomatic', 'retrospective'] as const;
export type AnalysisType = (typeof ANALYSIS_TYPES)[number];

/** Kayenta's defaults when thresholds are absent or null. */
export const DEFAULT_SCORE_THRESHOLDS = { marginal: 50, pass: 75 } as const;

export interface CanaryScope {
  readonly scopeName: string;
  readonly controlScope: string;
  readonly controlLocation?: string;
  readonly experimentScope: string;
  readonly experimentLocation?: string;
  readonly startTimeIso?: string;
  readonly endTimeIso?: string;
  /** Seconds between metric data points. */
  readonly step: number | Expression;
  readonly extendedScopeParams: Readonly<Record<string, unknown>>;
}

export interface KayentaCanaryConfig {
  readonly analysisType: AnalysisType;
  readonly canaryConfig: {
    readonly canaryConfigId?: string;
    readonly canaryConfigName?: string;
    /** Inline canary configuration (Gennaker). */
    readonly config?: Readonly<Record<string, unknown>>;
    readonly metricsAccountName?: string;
    readonly storageAccountName?: string;
    readonly configurationAccountName?: string;
    readonly scopes: readonly CanaryScope[];
    readonly scoreThresholds: { readonly marginal: number | Expression; readonly pass: number | Expression };
    /** ISO-8601, e.g. `PT1H30M`. */
    readonly lifetimeDuration?: string;
    /** Legacy form of the lifetime. */
    readonly lifetimeHours?: number | Expression;
    readonly beginCanaryAnalysisAfterMins: number | Expression;
    readonly canaryAnalysisIntervalMins?: number | Expression;
    readonly lookbackMins: number | Expression;
    readonly baselineAnalysisOffsetInMins: number | Expression;
  };
  /** Baseline and canary server groups the stage deploys and cleans up itself. */
  readonly deployments?: {
    readonly serverGroupPairs: readonly unknown[];
    readonly baseline?: unknown;
    readonly delayBeforeCleanup?: number | Expression;
  };
}

export type KayentaCanaryStage = StageBase<'kayentaCanary', KayentaCanaryConfig>;

const ISO_DURATION = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Minutes in an ISO-8601 duration (Java's Duration.parse subset Kayenta reads), or undefined. */
export function parseIsoDurationMinutes(text: string): number | undefined {
  const match = ISO_DURATION.exec(text.trim());
  if (!match || /T$/i.test(text.trim()) || text.trim().length <= 1) return undefined;
  const [, days, hours, minutes, secs] = match;
  if (days === undefined && hours === undefined && minutes === undefined && secs === undefined) return undefined;
  return Number(days ?? 0) * 1440 + Number(hours ?? 0) * 60 + Number(minutes ?? 0) + Number(secs ?? 0) / 60;
}

const isoDuration = z.string().superRefine((value, ctx) => {
  if (!isTemplate(value) && parseIsoDurationMinutes(value) === undefined) {
    ctx.addIssue(customIssue(value, `expected an ISO-8601 duration such as 'PT1H30M', got ${showValue(value)}`, 'invalid-value'));
  }
});

const minutes = (what: string) => numberOrExpression(what, { min: 0 });
const threshold = (fallback: number) => withDefault(numberOrExpression('a score from 0 to 100', { min: 0, max: 100 }), fallback);

const scopeSchema: z.ZodType<CanaryScope> = z.looseObject({
  scopeName: withDefault(anyText('the scope name'), 'default'),
  controlScope: text("the baseline's scope, e.g. 'hello-baseline'"),
  controlLocation: optional(anyText("the baseline's location (region or namespace)")),
  experimentScope: text("the canary's scope, e.g. 'hello-canary'"),
  experimentLocation: optional(anyText("the canary's location (region or namespace)")),
  startTimeIso: optional(anyText('an ISO-8601 start time')),
  endTimeIso: optional(anyText('an ISO-8601 end time')),
  step: withDefault(numberOrExpression('a number of seconds', { min: 1 }), 60),
  extendedScopeParams: withDefault(anyObject('extra scope parameters'), {}),
});

const schema: z.ZodType<KayentaCanaryConfig> = z.looseObject({
  analysisType: withDefault(oneOf(ANALYSIS_TYPES, 'the analysis type'), 'realTime'),
  canaryConfig: z.looseObject(
    {
      canaryConfigId: optional(text('the canary config id')),
      canaryConfigName: optional(text('the canary config name')),
      config: optional(anyObject('an inline canary configuration')),
      metricsAccountName: optional(anyText('the metrics account')),
      storageAccountName: optional(anyText('the storage account')),
      configurationAccountName: optional(anyText('the configuration account')),
      scopes: withDefault(z.array(scopeSchema), []),
      scoreThresholds: withDefault(
        z.looseObject({ marginal: threshold(DEFAULT_SCORE_THRESHOLDS.marginal), pass: threshold(DEFAULT_SCORE_THRESHOLDS.pass) }),
        { ...DEFAULT_SCORE_THRESHOLDS },
      ),
      lifetimeDuration: optional(isoDuration),
      lifetimeHours: optional(numberOrExpression('a number of hours', { min: 0 })),
      beginCanaryAnalysisAfterMins: withDefault(minutes('a number of minutes'), 0),
      canaryAnalysisIntervalMins: optional(minutes('a number of minutes')),
      lookbackMins: withDefault(minutes('a number of minutes'), 0),
      baselineAnalysisOffsetInMins: withDefault(minutes('a number of minutes'), 0),
    },
    { error: (issue) => (issue.input == null ? 'add the canary configuration: canaryConfigId, scopes and lifetimeDuration' : `expected an object, got ${showValue(issue.input)}`) },
  ),
  deployments: optional(
    z.looseObject({
      serverGroupPairs: withDefault(z.array(z.unknown()), []),
      baseline: z.unknown().optional(),
      delayBeforeCleanup: optional(numberOrExpression('a number of seconds', { min: 0 })),
    }),
  ),
});

/** Parses a `kayentaCanary` context as evaluated at stage start (the runtime reads it). */
export function parseKayentaCanaryContext(raw: unknown): { ok: true; config: KayentaCanaryConfig } | { ok: false; message: string } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issue = parsed.error.issues[0];
  const at = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, message: `${at}${issue?.message ?? 'not a kayentaCanary stage'}` };
}

/**
 * The most intervals one stage runs. A long canary runs as its own child state machine
 * (statemachines/children.ts), whose history holds 25,000 events: each interval budgets 6
 * polls of 9 events (Task, Choice, Wait), so 462 intervals (54 × 462 + 23 = 24,971 events with
 * the child's start, end and fault path) is the most even a child can hold. The compiler
 * checks the exact figure, warm-up included.
 */
export const MAX_CANARY_INTERVALS = 462;

/** The canary's lifetime in minutes when it is known before the stage runs. */
export function canaryLifetimeMinutes(config: KayentaCanaryConfig): number | undefined {
  const { lifetimeDuration, lifetimeHours, scopes } = config.canaryConfig;
  const first = scopes[0];
  if (first?.endTimeIso !== undefined && first.startTimeIso !== undefined) {
    const span = Date.parse(first.endTimeIso) - Date.parse(first.startTimeIso);
    return Number.isFinite(span) && span >= 0 ? Math.floor(span / 60_000) : undefined;
  }
  if (lifetimeDuration !== undefined) return parseIsoDurationMinutes(lifetimeDuration);
  if (typeof lifetimeHours === 'number') return lifetimeHours * 60;
  return undefined;
}

/** How many judgments run: floor(lifetime / interval), the interval defaulting to the lifetime (Orca's rule). */
export function canaryIntervalCount(config: KayentaCanaryConfig): number | undefined {
  const lifetime = canaryLifetimeMinutes(config);
  const interval = config.canaryConfig.canaryAnalysisIntervalMins;
  if (lifetime === undefined || typeof interval === 'string') return undefined;
  const effective = interval === undefined || interval === 0 || interval > lifetime ? lifetime : interval;
  return effective <= 0 ? 1 : Math.max(1, Math.floor(lifetime / effective));
}

function plan(config: KayentaCanaryConfig): TaskStep[] {
  const steps: TaskStep[] = [];
  const deploys = config.deployments !== undefined && config.deployments.serverGroupPairs.length > 0;
  if (deploys) steps.push({ name: 'deployCanaryServerGroups', kind: 'poll' });
  const warmup = config.canaryConfig.beginCanaryAnalysisAfterMins;
  if (typeof warmup === 'string') steps.push({ name: 'warmupWait', kind: 'poll' });
  else if (warmup > 0) steps.push({ name: 'warmupWait', kind: 'poll', maxPolls: pollsForSeconds(warmup * 60) });
  // The runner answers with the wait until the next interval ends, then polls the judgment:
  // one poll per interval end plus up to five while its judgment runs.
  const intervals = canaryIntervalCount(config);
  steps.push(intervals === undefined ? { name: 'runCanaryIntervals', kind: 'poll' } : { name: 'runCanaryIntervals', kind: 'poll', maxPolls: intervals * 6 + 1 });
  steps.push({ name: 'aggregateCanaryResults', kind: 'run' });
  if (deploys) steps.push({ name: 'cleanupCanaryServerGroups', kind: 'poll' });
  return steps;
}

function check(config: KayentaCanaryConfig): ConfigIssue[] {
  const canary = config.canaryConfig;
  const issues: ConfigIssue[] = [];
  if (canary.canaryConfigId === undefined && canary.canaryConfigName === undefined && canary.config === undefined) {
    issues.push(error(['canaryConfig', 'canaryConfigId'], 'required', "'canaryConfigId' is required; add the id of the canary configuration (or canaryConfigName, or an inline canaryConfig.config)"));
  }
  if (canary.scopes.length === 0) {
    issues.push(error(['canaryConfig', 'scopes'], 'required', 'canaryConfig.scopes is empty; add at least one scope with controlScope and experimentScope'));
  }
  const first = canary.scopes[0];
  if (canary.lifetimeDuration === undefined && canary.lifetimeHours === undefined && first?.endTimeIso === undefined) {
    issues.push(error(['canaryConfig', 'lifetimeDuration'], 'required', "'lifetimeDuration' is required unless scopes[0].endTimeIso is set; add how long the canary runs, e.g. 'PT1H'"));
  }
  if (config.analysisType === 'retrospective' && (first?.startTimeIso === undefined || first.endTimeIso === undefined)) {
    issues.push(error(['canaryConfig', 'scopes', 0], 'required', 'a retrospective analysis needs scopes[0].startTimeIso and endTimeIso; add both, or use analysisType realTime'));
  }
  for (const key of ['startTimeIso', 'endTimeIso'] as const) {
    const value = first?.[key];
    if (value !== undefined && !isTemplate(value) && Number.isNaN(Date.parse(value))) {
      issues.push(error(['canaryConfig', 'scopes', 0, key], 'invalid-value', `expected an ISO-8601 time such as '2024-05-01T12:00:00Z', got '${value}'`));
    }
  }
  const { marginal, pass } = canary.scoreThresholds;
  if (typeof marginal === 'number' && typeof pass === 'number' && marginal > pass) {
    issues.push(error(['canaryConfig', 'scoreThresholds'], 'invalid-value', `marginal threshold ${marginal} is above pass threshold ${pass}; use marginal ≤ pass, e.g. 50 and 75`));
  }
  if (config.deployments !== undefined && config.deployments.serverGroupPairs.length > 0) {
    issues.push(
      warning(['deployments', 'serverGroupPairs'], 'invalid-value', 'deployments.serverGroupPairs is not supported yet, so the stage will fail; deploy the baseline and canary with a deploy stage (strategy canary), or name existing server groups in canaryConfig.scopes'),
    );
  }
  const count = canaryIntervalCount(config);
  if (count !== undefined && count > MAX_CANARY_INTERVALS) {
    issues.push(
      error(
        ['canaryConfig', 'canaryAnalysisIntervalMins'],
        'invalid-value',
        `the canary runs ${count} intervals, more than the ${MAX_CANARY_INTERVALS} one stage can poll for even in its own child state machine (25,000 history events); raise canaryAnalysisIntervalMins or shorten lifetimeDuration, or split the analysis into several kayentaCanary stages`,
      ),
    );
  }
  const lifetime = canaryLifetimeMinutes(config);
  const interval = canary.canaryAnalysisIntervalMins;
  if (lifetime !== undefined && typeof interval === 'number' && interval > lifetime) {
    issues.push(
      warning(['canaryConfig', 'canaryAnalysisIntervalMins'], 'invalid-value', `the interval (${interval} min) is longer than the lifetime (${lifetime} min), so one interval covering the lifetime is used; shorten it or lengthen the lifetime`),
    );
  }
  return issues;
}

export const kayentaCanaryStageType = defineStageType({
  type: 'kayentaCanary',
  description: 'Runs automated canary analysis (Kayenta) over one or more intervals.',
  schema,
  expressionFields: ['canaryConfig.scopes[].controlScope', 'canaryConfig.scopes[].experimentScope', 'canaryConfig.scopes[].controlLocation', 'canaryConfig.scopes[].experimentLocation'],
  plan: (stage) => plan(stage.config),
  check,
});
