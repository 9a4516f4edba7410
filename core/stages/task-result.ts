/**
 * What a stage task returns (STYLE §2): a value, never an exception, for every expected
 * outcome. The stage runner turns it into a store write and an answer for the state machine.
 */
import type { Execution, ExecutionStore, JsonObject, StageRecord } from '../ports/execution-store.ts';
import type { EvaluationContext } from '../expressions/index.ts';
import type { ChildPipelines } from '../ports/child-pipelines.ts';
import type { HttpClient } from '../ports/http-client.ts';
import type { Stage } from '../pipeline/stage-types/index.ts';

/** Fields merged (shallowly) into the stage's context, outputs or runtime bag by the runner. */
interface Updates {
  readonly context?: JsonObject;
  readonly runtime?: JsonObject;
  /**
   * Write this result only if the stage is still at the revision the call read: a duplicate
   * delivery that wrote meanwhile wins, and this call is retried (the step executor's progress
   * must never move backwards).
   */
  readonly exclusive?: boolean;
}

/** The statuses a task may end its stage in when it fails, instead of its failure policy's. */
export type FailedStatus = 'TERMINAL' | 'STOPPED' | 'FAILED_CONTINUE' | 'CANCELED';

export type TaskResult =
  /**
   * The step is done; the runner answers NEXT, or SUCCEEDED after the last step (SKIPPED with
   * `skipped`: the stage had nothing to do, as Orca ends a stage with no tasks or synthetic stages).
   */
  | (Updates & { readonly kind: 'succeeded'; readonly outputs?: JsonObject; readonly skipped?: boolean })
  /** Not done: call again after `waitSeconds` (poll steps only). */
  | (Updates & { readonly kind: 'running'; readonly waitSeconds: number })
  /**
   * The stage failed: `message` is for the pipeline author. The status is the failure policy's
   * unless the task knows better (the preconditions' synthetic stages decide the stage's; a
   * webhook reporting a canceled status cancels the stage; failOnFailedExpressions is TERMINAL
   * whatever the policy, as in Orca).
   */
  | (Updates & { readonly kind: 'failed'; readonly message: string; readonly status?: FailedStatus });

export const succeeded = (outputs?: JsonObject, updates: Updates & { skipped?: boolean } = {}): TaskResult => ({ kind: 'succeeded', ...(outputs ? { outputs } : {}), ...updates });
export const running = (waitSeconds: number, updates: Updates = {}): TaskResult => ({
  kind: 'running',
  waitSeconds: Math.max(0, Math.ceil(waitSeconds)),
  ...updates,
});
export const failed = (message: string, updates: Updates & { status?: FailedStatus } = {}): TaskResult => ({ kind: 'failed', message, ...updates });

/** What a task sees: the parsed stage, its record (context evaluated at stage start) and the time. */
export interface TaskInput<S extends Stage = Stage> {
  readonly stage: S;
  readonly record: StageRecord;
  readonly execution: Execution;
  /** The step's name. */
  readonly task: string;
  readonly now: number;
  /** This call's number for the step (1 on the first call): polls so far, this one included. */
  readonly poll: number;
  /** What expressions see at this stage (for fields a task evaluates itself). */
  readonly expressions: EvaluationContext;
  /**
   * Saves one runtime key now, before the task acts (the step executor's plan), conditioned on
   * the stage being as this call last saw it; on a lost race it answers the value saved there.
   * Once a task saved, the runner's final write is conditioned on that revision too.
   */
  readonly saveRuntime: (key: string, value: JsonObject) => Promise<{ readonly ok: true } | { readonly ok: false; readonly current: unknown }>;
  /**
   * The secret values of this call (its parameters, what its context reveals, what `#secret`
   * read), for a task that hands output to someone else to write (a job's log). What the task
   * returns is sealed by the runner whatever it holds. @default none
   */
  readonly secretValues?: readonly string[];
}

/** The I/O a task may do, handed in by the runner. */
export interface TaskDeps {
  readonly http: HttpClient;
  readonly children: ChildPipelines;
  readonly store: Pick<ExecutionStore, 'getExecution'>;
  /** In [0, 1). */
  readonly random: () => number;
}

/** Reads a field of a JSON object as a plain object ({} when absent or not an object). */
export function objectAt(value: unknown, key: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'object' && found !== null && !Array.isArray(found) ? (found as Record<string, unknown>) : {};
}

/** A number from an evaluated context field: numbers and numeric strings; undefined otherwise. */
export function numberFrom(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** SpEL's reading of a boolean field: true/false, or the strings 'true'/'false' in any case. */
export function booleanFrom(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  return undefined;
}
