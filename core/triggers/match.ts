/**
 * What every trigger matcher returns, and the rules they share: disabled pipelines and disabled
 * triggers never fire, a pipeline starts at most once per event (its first matching trigger, as
 * Echo does), and the idempotency key is derived from the event so a duplicate delivery finds
 * the execution the first one started.
 */
import type { Pipeline } from '../pipeline/model.ts';
import type { Trigger } from '../pipeline/triggers/index.ts';
import type { TriggerInput } from '../execution/execution-service-api.ts';
import { createBudget, ExpressionFailure } from '../expressions/budget.ts';
import { DEFAULT_LIMITS, type EvaluationLimits } from '../expressions/context.ts';
import { regexMatchesWhole } from '../expressions/regex.ts';

/** One pipeline an event starts. */
export interface TriggerMatch<T extends Trigger = Trigger> {
  readonly pipeline: Pipeline;
  /** The execution's trigger document (Orca's `trigger`); never holds the trigger's secret. */
  readonly trigger: TriggerInput;
  /** Same event, same pipeline → same key: `service.startPipeline` starts one execution per key. */
  readonly idempotencyKey: string;
  /** The trigger definition that matched (the signature check needs its secret). */
  readonly definition: T;
}

/** The config id a start refers to (pipelines are saved with one; the name is the fallback). */
export function pipelineRef(pipeline: Pipeline): string {
  return pipeline.id ?? pipeline.name;
}

/** Trigger fields that must never reach an execution document. */
const SECRET_FIELDS = new Set(['secret', 'token', 'password']);

/** The trigger definition as saved, minus secrets: the base of every execution trigger document. */
export function publicTriggerFields(trigger: Trigger): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(trigger.raw)) {
    if (!SECRET_FIELDS.has(key)) fields[key] = value;
  }
  return fields;
}

/**
 * For each enabled pipeline, its first enabled trigger of `type` accepted by `accepts`, turned
 * into a match by `build`.
 */
export function matchFirstTriggers<T extends Trigger, R>(
  pipelines: readonly Pipeline[],
  type: T['type'],
  accepts: (trigger: T, pipeline: Pipeline) => R | undefined,
): Array<{ pipeline: Pipeline; definition: T; result: R }> {
  const found: Array<{ pipeline: Pipeline; definition: T; result: R }> = [];
  for (const pipeline of pipelines) {
    if (pipeline.disabled) continue;
    for (const trigger of pipeline.triggers) {
      if (trigger.type !== type || !trigger.enabled) continue;
      const result = accepts(trigger as T, pipeline);
      if (result !== undefined) {
        found.push({ pipeline, definition: trigger as T, result });
        break;
      }
    }
  }
  return found;
}

/**
 * Trigger patterns run on what a webhook sender wrote, so they run on the linear-time engine of
 * core/expressions/regex.ts, not the host's backtracking RegExp: `^(a+)+$` against forty `a`s
 * and a `!` would hold the host engine for hours, and a signed sender could pick the input.
 * The engine also speaks Java's syntax, as Echo's matchers do. A pattern the engine refuses, or
 * an input that needs more than the step budget, matches nothing.
 */
const TRIGGER_REGEX_LIMITS: EvaluationLimits = { ...DEFAULT_LIMITS, maxRegexSteps: 20_000_000 };

function matchesWhole(pattern: string, text: string): boolean {
  const host = { budget: createBudget(TRIGGER_REGEX_LIMITS), regexCache: new Map() };
  try {
    return regexMatchesWhole(text, pattern, host);
  } catch (error) {
    if (error instanceof ExpressionFailure) return false;
    throw error;
  }
}

/** Java's `Pattern.matcher(text).matches()`: the pattern must match the whole text. */
export function fullMatch(pattern: string, text: string): boolean {
  return matchesWhole(pattern, text);
}

/** Java's `Pattern.asPredicate()` (`find()`): the pattern must match somewhere in the text. */
export function findMatch(pattern: string, text: string): boolean {
  // find() anywhere is a whole match of the pattern between two runs of anything.
  return matchesWhole(`[\\s\\S]*?(?:${pattern})[\\s\\S]*`, text);
}

export function equalsIgnoreCase(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

export function isBlank(text: string | undefined): boolean {
  return text === undefined || text.trim() === '';
}

/** Keeps key parts readable and unambiguous: ':' separates parts, so it is escaped inside them. */
export function keyPart(part: string | number): string {
  return String(part).replace(/%/g, '%25').replace(/:/g, '%3A');
}
