/**
 * Child pipelines: how a `pipeline` stage starts another pipeline. The ExecutionService
 * implements it (concurrency, validation, the engine); the stage runner only asks for a start
 * and then reads the child's status from the execution store by id.
 */

export interface StartChildRequest {
  readonly application: string;
  /** The child pipeline's config id (or its name within `application`). */
  readonly pipeline: string;
  /** The evaluated `pipelineParameters` of the stage. */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly parentExecutionId: string;
  readonly parentStageId: string;
  /** Who runs the parent (its trigger's user), so the child runs as them. */
  readonly user?: string;
}

export type StartChildResult =
  | { readonly ok: true; readonly executionId: string }
  /** Why the child could not start, written for the pipeline author (not found, invalid, disabled...). */
  | { readonly ok: false; readonly message: string };

export interface ChildPipelines {
  /**
   * Starts the child pipeline. Implementations must be idempotent on
   * (parentExecutionId, parentStageId): Lambda and Step Functions deliver at least once, so a
   * second call for the same parent stage returns the first child instead of starting another.
   */
  start(request: StartChildRequest): Promise<StartChildResult>;
}
