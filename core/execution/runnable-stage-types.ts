/**
 * The stage types whose tasks run without optional deps, in a module of their own: the
 * execution service refuses pipelines by this list, and importing it from stage-runner.ts would
 * pull the whole runner (every stage task, the expression language) into each bundle that only
 * starts executions, such as the API's.
 */
import type { StageType } from '../pipeline/stage-types/index.ts';

/** Stage types whose tasks run today; a pipeline with any other stage would fail at that stage. */
export const RUNNABLE_STAGE_TYPES: readonly StageType[] = ['checkPreconditions', 'evaluateVariables', 'manualJudgment', 'pipeline', 'wait', 'waitUntil', 'webhook'];
