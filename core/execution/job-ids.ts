/**
 * Job ids are owner tokens: the execution, the stage and the task that start a job name it, so
 * a task delivered twice, or run again after a crash, finds the job it started instead of
 * starting a second one, and whoever ends the execution can find the jobs to stop without
 * reading anything else.
 */

/** The task of the runJob stage that starts its job. */
export const RUN_JOB_TASK = 'runJob';

/** The job id of a stage's task: only the characters a job id may hold, at most 200 of them. */
export function jobIdFor(executionId: string, stageId: string, task: string = RUN_JOB_TASK): string {
  return `${executionId}-${stageId}-${task}`.replace(/[^a-zA-Z0-9._-]/g, '_').slice(0, 200);
}
