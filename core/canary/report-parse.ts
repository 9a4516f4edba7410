/**
 * Reads a stage's canary outputs (the agreed shape of run-model.ts) for the report, loosely:
 * optional fields may be missing, statistics may be null or NaN (JSON has no NaN, so a stat the
 * judge could not compute arrives as null). What the report cannot draw at all (no intervals
 * list, no thresholds, a score that is not a number) is a problem the page shows in place of
 * the stage, so one malformed stage never hides the others or breaks the page.
 */
import { z } from 'zod';
import { showValue } from '../issues.ts';
import type { CanaryRunOutputs } from './run-model.ts';

export type ParsedCanaryOutputs = { readonly ok: true; readonly outputs: CanaryRunOutputs } | { readonly ok: false; readonly problem: string };

/** A statistic: a number, or null when it could not be computed (NaN and ±Infinity become null). */
const stat = z
  .custom<number | null>((value) => value === null || typeof value === 'number', { message: 'expected a number or null' })
  .transform((value) => (typeof value === 'number' && Number.isFinite(value) ? value : null));

const finite = z.number({ message: 'expected a number' }).refine(Number.isFinite, { message: 'expected a finite number' });

const side = z.object({
  count: finite,
  mean: stat.optional().transform((value) => value ?? null),
  median: stat.optional().transform((value) => value ?? null),
  min: stat.optional().transform((value) => value ?? null),
  max: stat.optional().transform((value) => value ?? null),
  values: z.array(stat).optional(),
});

const metric = z.object({
  name: z.string(),
  groups: z.array(z.string()).default([]),
  classification: z.string(),
  classificationReason: z.string().optional(),
  critical: z.boolean().default(false),
  ratio: stat.optional(),
  // An interval with a bound that is not a number says nothing: shown as n/a.
  interval: z
    .object({ lower: stat, upper: stat })
    .nullable()
    .optional()
    .transform((value) => (value && value.lower !== null && value.upper !== null ? { lower: value.lower, upper: value.upper } : value === undefined ? undefined : null)),
  query: z.string().optional(),
  control: side,
  experiment: side,
});

const interval = z.object({
  index: finite,
  start: z.string(),
  end: z.string(),
  score: finite,
  classification: z.string(),
  groupScores: z.array(z.object({ name: z.string(), score: finite })).default([]),
  metrics: z.array(metric).default([]),
});

const runOutputs = z.object({
  canaryScores: z.array(finite).optional(),
  overallScore: stat.optional().transform((value) => value ?? null),
  overallResult: z.enum(['success', 'failure', 'running']).default('running'),
  canaryScoreMessage: z.string().optional(),
  scoreThresholds: z.object({ marginal: finite, pass: finite }),
  controlScope: z.string().default(''),
  experimentScope: z.string().default(''),
  canaryConfigName: z.string().optional(),
  intervals: z.array(interval),
});

/** Where in the outputs, as a reader of the JSON would write it: `intervals[0].metrics[2].control.count`. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The canary outputs of a stage, or the first problem with them (field, value, what was expected). */
export function parseCanaryOutputs(value: unknown): ParsedCanaryOutputs {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problem: `the canary outputs are ${showValue(value)}; expected an object with intervals, scoreThresholds and canaryScores` };
  }
  const parsed = runOutputs.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = pathText(issue.path);
    return { ok: false, problem: `${where || 'the outputs'} is ${showValue(valueAt(value, issue.path))}: ${issue.message}` };
  }
  const outputs = parsed.data;
  return { ok: true, outputs: { ...outputs, canaryScores: outputs.canaryScores ?? outputs.intervals.map((entry) => entry.score) } };
}

/** True when outputs hold none of the shape's fields: the analysis has not written anything yet. */
export function hasNoCanaryFields(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return ['intervals', 'canaryScores', 'overallScore', 'overallResult', 'scoreThresholds'].every((key) => record[key] === undefined);
}
