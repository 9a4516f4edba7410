/**
 * What every trigger type declares: its schema (type-specific fields, built with what a trigger
 * cannot know about itself) and optional checks that flag what runs but looks wrong.
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import type { RawObject } from '../model.ts';
import { customIssue, stringMessage } from '../fields.ts';
import { regexProblem } from '../regex.ts';
import type { ConfigIssue } from '../zod-issues.ts';

export interface TriggerContext {
  /** Hash key for cron's `H` when the trigger has no `id` (stable per pipeline and trigger position). */
  readonly fallbackHashKey: string;
}

export interface TriggerTypeDefinition<T extends string = string, C = unknown> {
  readonly type: T;
  readonly description: string;
  readonly schema: (context: TriggerContext) => z.ZodType<C>;
  readonly check?: (config: C) => readonly ConfigIssue[];
}

/** Fields every trigger has. */
export interface TriggerBase<T extends string, C> {
  readonly type: T;
  /** Absent = true. Disabled triggers never fire but are kept and validated. */
  readonly enabled: boolean;
  /** Position in the document's `triggers` array (for JSON pointers). */
  readonly index: number;
  readonly config: C;
  /** The trigger object exactly as given. */
  readonly raw: RawObject;
}

export function defineTriggerType<T extends string, C>(definition: TriggerTypeDefinition<T, C>): TriggerTypeDefinition<T, C> {
  return definition;
}

/**
 * A string holding a regular expression, checked as the matcher will run it. `what` names it in
 * messages (`the branch pattern`), `example` shows a valid one.
 */
export function regexText(what: string, example: string): z.ZodType<string> {
  return z
    .string({ error: (issue) => stringMessage(what, issue.input) })
    .superRefine((pattern, ctx) => {
      const problem = regexProblem(pattern);
      if (problem === undefined) return;
      const withExample = problem.startsWith('is not a valid') ? `${problem}, e.g. '${example}'` : problem;
      ctx.addIssue(customIssue(pattern, `${what} ${showValue(pattern)} ${withExample}`, 'regex'));
    });
}
