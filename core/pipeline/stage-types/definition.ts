/**
 * What every stage type declares: its schema (the type-specific fields), its plan (the task
 * steps the compiler emits, one Task state each) and, optionally, checks that need more than
 * one field (errors) or flag what runs but looks wrong (warnings).
 */
import type { z } from 'zod';
import type { RawObject, StageBase, TaskStep } from '../model.ts';
import type { ConfigIssue } from '../zod-issues.ts';

export interface StageTypeDefinition<T extends string = string, C = unknown> {
  readonly type: T;
  readonly description: string;
  /** The type-specific fields; unknown fields are kept (loose objects). */
  readonly schema: z.ZodType<C>;
  /** Non-empty; one Task state per step. */
  readonly plan: (stage: StageBase<T, C>) => readonly TaskStep[];
  /** Documentation: which fields usually hold expressions. */
  readonly expressionFields?: readonly string[];
  /**
   * Fields left as written when the stage sets `skipExpressionEvaluation: true`: the manifests a
   * Kubernetes stage sends, whose `${...}` belong to the workload (a shell script, a Helm-like
   * template), as Orca leaves them. @default none
   */
  readonly verbatimFields?: readonly string[];
  /**
   * Rules across fields and warnings, relative to the stage object. Runs only when the schema
   * accepted the stage, with the parsed config and the stage as given.
   */
  readonly check?: (config: C, raw: RawObject) => readonly ConfigIssue[];
}

/** Identity with inference: `defineStageType({ type: 'wait', ... })`. */
export function defineStageType<T extends string, C>(definition: StageTypeDefinition<T, C>): StageTypeDefinition<T, C> {
  return definition;
}

/** How many 30-second polls a wait of `seconds` takes, counting the first call (which starts the clock). */
export function pollsForSeconds(seconds: number, intervalSeconds = 30): number {
  return Math.ceil(Math.max(0, seconds) / intervalSeconds) + 1;
}

export function error(path: ReadonlyArray<string | number>, code: ConfigIssue['code'], message: string, value?: unknown): ConfigIssue {
  return value === undefined ? { path, code, message, severity: 'error' } : { path, code, message, severity: 'error', value };
}

export function warning(path: ReadonlyArray<string | number>, code: ConfigIssue['code'], message: string, value?: unknown): ConfigIssue {
  return value === undefined ? { path, code, message, severity: 'warning' } : { path, code, message, severity: 'warning', value };
}
