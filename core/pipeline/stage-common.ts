/**
 * Fields every stage has, whatever its type (reference/spinnaker.md §1.2): name, stageEnabled,
 * the failure policy flags, stageTimeoutMs, the execution window, failOnFailedExpressions and
 * notifications.
 */
import { z } from 'zod';
import type { ValidationIssue } from '../issues.ts';
import { showValue } from '../issues.ts';
import { expressionField } from './expression-syntax.ts';
import { anyText, flag, numberOrExpression, optional, plainNumber, text, textList, withDefault } from './fields.ts';
import type { ExecutionWindow, FailurePolicy, Notification, RawObject, StageEnabled } from './model.ts';
import { issuesFromZod, safeParse, valueAt } from './zod-issues.ts';

/**
 * Spinnaker's Stage.failureStatus(): continuePipeline → ignore (FAILED_CONTINUE); else
 * failPipeline (default true) → halt the pipeline (TERMINAL); else completeOtherBranchesThenFail →
 * halt this branch and fail the pipeline later; else halt this branch (STOPPED).
 */
export function failurePolicyOf(flags: { failPipeline?: boolean; continuePipeline?: boolean; completeOtherBranchesThenFail?: boolean }): FailurePolicy {
  if (flags.continuePipeline === true) return 'ignore';
  if (flags.failPipeline !== false) return 'halt-pipeline';
  if (flags.completeOtherBranchesThenFail === true) return 'halt-branch-fail-pipeline';
  return 'halt-branch';
}

export const notificationSchema = z.looseObject({
  type: text("the notification type, e.g. 'slack' or 'email'"),
  address: optional(anyText('the address')),
  level: optional(anyText('the level')),
  when: withDefault(textList('events'), []),
  // A manual judgment's reminder period (Orca's Notification.notifyEveryMs; 0 or -1: no reminders).
  notifyEveryMs: optional(numberOrExpression('the reminder period in milliseconds, e.g. 3600000', { min: -1, integer: true })),
});

/** Notifications with their raw objects, for the pipeline and for stages. */
export function toNotifications(parsed: ReadonlyArray<z.output<typeof notificationSchema>>, raw: unknown): Notification[] {
  const rawList = Array.isArray(raw) ? raw : [];
  return parsed.map((notification, index) => {
    const base = { type: notification.type, when: notification.when, raw: (rawList[index] ?? {}) as RawObject };
    return {
      ...base,
      ...(notification.address !== undefined ? { address: notification.address } : {}),
      ...(notification.level !== undefined ? { level: notification.level } : {}),
    };
  });
}

const stageEnabledSchema = z.looseObject(
  {
    type: optional(
      z.literal('expression', { error: (issue) => `expected 'expression' (the only kind of stageEnabled), got ${showValue(issue.input)}` }),
    ),
    expression: expressionField('the condition under which the stage runs'),
  },
  { error: (issue) => `expected {"type": "expression", "expression": "..."}, got ${showValue(issue.input)}` },
);

const commonSchema = z.looseObject({
  name: optional(anyText('a name for the stage')),
  stageEnabled: optional(stageEnabledSchema),
  failPipeline: optional(flag()),
  continuePipeline: optional(flag()),
  completeOtherBranchesThenFail: optional(flag()),
  stageTimeoutMs: optional(plainNumber('a timeout in milliseconds', { min: 1, integer: true })),
  restrictExecutionDuringTimeWindow: withDefault(flag(), false),
  failOnFailedExpressions: withDefault(flag(), false),
  notifications: withDefault(z.array(notificationSchema), []),
});

const hour = () => plainNumber('an hour', { min: 0, max: 23, integer: true });
const minute = () => plainNumber('a minute', { min: 0, max: 59, integer: true });

const windowSchema = z
  .looseObject(
    {
      whitelist: withDefault(z.array(z.looseObject({ startHour: hour(), startMin: minute(), endHour: hour(), endMin: minute() })), []),
      days: withDefault(z.array(plainNumber('a day of the week', { min: 1, max: 7, integer: true })), []),
      jitter: optional(
        z.looseObject({
          enabled: withDefault(flag(), false),
          minDelay: withDefault(plainNumber('a number of seconds', { min: 0, integer: true }), 0),
          maxDelay: withDefault(plainNumber('a number of seconds', { min: 0, integer: true }), 0),
          skipManual: withDefault(flag(), false),
        }),
      ),
    },
    { error: (issue) => `expected an execution window {"whitelist": [...], "days": [...]}, got ${showValue(issue.input)}` },
  )
  .superRefine((window, ctx) => {
    if (window.jitter && window.jitter.minDelay > window.jitter.maxDelay) {
      ctx.addIssue({
        code: 'custom',
        path: ['jitter'],
        input: window.jitter,
        message: `jitter minDelay ${window.jitter.minDelay} is above maxDelay ${window.jitter.maxDelay}; use minDelay ≤ maxDelay`,
      });
    }
  });

export interface CommonStageFields {
  readonly name?: string;
  readonly stageEnabled?: StageEnabled;
  readonly failurePolicy: FailurePolicy;
  readonly stageTimeoutMs?: number;
  readonly executionWindow?: ExecutionWindow;
  readonly failOnFailedExpressions: boolean;
  readonly notifications: readonly Notification[];
}

/** Parses the common fields of one stage object at `pointer`. */
export function parseCommonStageFields(raw: RawObject, pointer: string): { fields: CommonStageFields | undefined; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const parsed = safeParse(commonSchema, raw);
  if (!parsed.success) issues.push(...issuesFromZod(parsed.error, raw, pointer));

  // The window only matters when restrictExecutionDuringTimeWindow is true; Deck keeps it around
  // when the box is unticked, so problems there are warnings.
  const windowOn = raw.restrictExecutionDuringTimeWindow === true;
  let executionWindow: ExecutionWindow | undefined;
  const rawWindow = raw.restrictedExecutionWindow;
  if (rawWindow !== undefined && rawWindow !== null) {
    const window = safeParse(windowSchema, rawWindow);
    if (!window.success) {
      issues.push(...issuesFromZod(window.error, rawWindow, `${pointer}/restrictedExecutionWindow`, windowOn ? 'error' : 'warning'));
    } else if (windowOn) {
      const { whitelist, days, jitter } = window.data;
      executionWindow = { whitelist, days, ...(jitter ? { jitter } : {}) };
    }
  } else if (windowOn) {
    issues.push({
      pointer: `${pointer}/restrictExecutionDuringTimeWindow`,
      code: 'required',
      message: 'is true but there is no restrictedExecutionWindow, so the stage may run at any time; add {"whitelist": [{"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0}]}',
      severity: 'warning',
      value: true,
    });
    executionWindow = { whitelist: [], days: [] };
  }
  if (!parsed.success) return { fields: undefined, issues };

  const data = parsed.data;
  const fields: CommonStageFields = {
    ...(data.name !== undefined ? { name: data.name } : {}),
    ...(data.stageEnabled !== undefined ? { stageEnabled: { type: 'expression' as const, expression: data.stageEnabled.expression } } : {}),
    failurePolicy: failurePolicyOf({
      ...(data.failPipeline !== undefined ? { failPipeline: data.failPipeline } : {}),
      ...(data.continuePipeline !== undefined ? { continuePipeline: data.continuePipeline } : {}),
      ...(data.completeOtherBranchesThenFail !== undefined ? { completeOtherBranchesThenFail: data.completeOtherBranchesThenFail } : {}),
    }),
    ...(data.stageTimeoutMs !== undefined ? { stageTimeoutMs: data.stageTimeoutMs } : {}),
    ...(executionWindow !== undefined ? { executionWindow } : {}),
    failOnFailedExpressions: data.failOnFailedExpressions,
    notifications: toNotifications(data.notifications, valueAt(raw, ['notifications'])),
  };
  return { fields, issues };
}
