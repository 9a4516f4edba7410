/**
 * The stage runner Lambda: every Task of every compiled pipeline invokes it
 * (statemachines/README.md). Thin: parse the request, run it, return the answer. Errors keep
 * their catalog `name`, which the state machine's Retry and Catch match.
 */
import { z } from 'zod';
import { GennakerError } from '../../core/errors.ts';
import { COMPLETE_TASK, type CompleteAnswer, type StageAnswer, type StageRunnerRequest } from '../../core/execution/runner-contract.ts';
import type { StageRunner } from '../../core/execution/stage-runner.ts';
import { stageRunnerForColdStart } from '../stage-runner-wiring.ts';

const faultSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const stageRunnerEventSchema = z.union([
  z.object({ executionId: z.string().min(1), task: z.literal(COMPLETE_TASK) }),
  z.object({
    executionId: z.string().min(1),
    stageRefId: z.string().min(1),
    task: z.string().min(1),
    taskToken: z.string().min(1).optional(),
    fault: faultSchema.optional(),
  }),
]);

/** Parses an invocation's event into a runner request; a malformed event is a bug in the state machine. */
export function parseStageRunnerEvent(event: unknown): StageRunnerRequest {
  const parsed = stageRunnerEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new GennakerError('Gennaker.InvariantViolated', `the stage runner got a malformed request: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data as StageRunnerRequest;
}

/** The handler around a runner (tests pass one wired to dynalite). */
export function createStageRunnerHandler(runner: StageRunner): (event: unknown) => Promise<StageAnswer | CompleteAnswer> {
  return (event) => runner(parseStageRunnerEvent(event));
}

export async function handler(event: unknown): Promise<StageAnswer | CompleteAnswer> {
  return stageRunnerForColdStart()(parseStageRunnerEvent(event));
}
