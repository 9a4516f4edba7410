/**
 * The synthetic stages of `checkPreconditions` as Orca builds them (CheckPreconditionsStage),
 * apart from the task that checks (core/stages/check-preconditions.ts): each precondition's
 * merged context, how one that does not hold ends, and the checks the task records in the
 * stage's runtime. Read by the execution's synthetic stages (synthetic-stages.ts), which the API
 * shows, so it stays free of stage-task code. Pure.
 */
import { failureStatus } from './semantics.ts';
import { failurePolicyOf } from '../pipeline/stage-common.ts';
import type { JsonObject } from '../ports/execution-store.ts';

/** The stage fields a precondition's context takes when it has none of its own (CheckPreconditionsStage.parallelContexts). */
const INHERITED_FIELDS = ['cluster', 'regions', 'credentials'] as const;

/** The inherited fields the stage's context has. */
export function inheritedFrom(stageContext: JsonObject): Record<string, unknown> {
  const inherited: Record<string, unknown> = {};
  for (const field of INHERITED_FIELDS) if (stageContext[field] !== undefined && stageContext[field] !== null) inherited[field] = stageContext[field];
  return inherited;
}

export function definedFields(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined));
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a stage's context gains once it has run, which its synthetic stages never had. */
const AFTER_THE_FACT = new Set(['preconditions', 'exception', 'failedPrecondition']);

/**
 * The context of the synthetic stage of one precondition (Orca's `parallelContexts`): the stage's
 * context, the precondition's fields over it, `type: checkPreconditions`, `preconditionType`, and
 * in the precondition's own `context` the stage's `cluster`, `regions` and `credentials` where it
 * has none. (Orca also copies a `zoned` field into `zones`, which no precondition reads.)
 */
export function preconditionStageContext(stageContext: JsonObject, precondition: JsonObject): JsonObject {
  const base: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stageContext)) if (!AFTER_THE_FACT.has(key)) base[key] = value;
  const own = isObject(precondition['context']) ? precondition['context'] : {};
  return { ...base, ...precondition, type: 'checkPreconditions', preconditionType: precondition['type'], context: { ...inheritedFrom(base), ...own } };
}

const flagAt = (context: JsonObject, key: string): boolean | undefined => (typeof context[key] === 'boolean' ? (context[key] as boolean) : undefined);

/**
 * How the synthetic stage of a precondition that does not hold ends: Orca's `failureStatus()` of
 * its merged context — `continuePipeline` → FAILED_CONTINUE, else `failPipeline` false → STOPPED,
 * else (true, absent or null) TERMINAL.
 */
export function preconditionFailureStatus(context: JsonObject): 'TERMINAL' | 'STOPPED' | 'FAILED_CONTINUE' {
  return failureStatus(failurePolicyOf({ failPipeline: flagAt(context, 'failPipeline') !== false, continuePipeline: flagAt(context, 'continuePipeline') === true }));
}

/** Where the task records its checks in the stage's runtime. */
export const PRECONDITION_CHECKS_KEY = 'preconditionChecks';

/** One precondition's synthetic stage as the task recorded it. */
export interface PreconditionCheck {
  readonly status: 'SUCCEEDED' | 'TERMINAL' | 'STOPPED' | 'FAILED_CONTINUE';
  /** Why it does not hold. */
  readonly message?: string;
  readonly expressionResult?: string;
  readonly time: number;
}

const CHECK_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'TERMINAL', 'STOPPED', 'FAILED_CONTINUE']);

/** The checks recorded in a stage's runtime, or undefined when it has not checked (yet). */
export function preconditionChecksOf(runtime: JsonObject): PreconditionCheck[] | undefined {
  const saved = runtime[PRECONDITION_CHECKS_KEY];
  if (!isObject(saved) || !Array.isArray(saved['checks'])) return undefined;
  return saved['checks'].flatMap((check): PreconditionCheck[] => {
    if (!isObject(check) || typeof check['status'] !== 'string' || !CHECK_STATUSES.has(check['status']) || typeof check['time'] !== 'number') return [];
    return [
      {
        status: check['status'] as PreconditionCheck['status'],
        time: check['time'],
        ...(typeof check['message'] === 'string' ? { message: check['message'] } : {}),
        ...(typeof check['expressionResult'] === 'string' ? { expressionResult: check['expressionResult'] } : {}),
      },
    ];
  });
}

