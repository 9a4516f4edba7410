/**
 * What every edge (API, trigger router, reconciler, CLI, child-pipeline stages) asks of
 * executions: save a pipeline, start, cancel, judge, restart, and reconcile a run that ended.
 * One implementation (`createExecutionService`) serves local mode and AWS alike; only the
 * ports it is given differ. Expected outcomes are result values; only infrastructure faults throw.
 */
import type { ValidationIssue } from '../issues.ts';
import type { RollbackRequest } from '../deploy/rollback-request.ts';
import type { EngineRunEnded } from '../ports/state-machine-engine.ts';
import type { Application, ApplicationInput, JsonObject, PipelineConfigVersion } from '../ports/execution-store.ts';
import type { ExecutionStatus } from './status.ts';

/** Who asks, for audit fields and permission checks (core/authz/permissions.ts). */
export interface Caller {
  readonly user: string;
  readonly roles: readonly string[];
  /** Admins hold every permission on every application. @default false */
  readonly admin?: boolean;
  /** Where the call came from, for the audit log: the client's address, or the edge (`cli`, `trigger:cron`). */
  readonly source?: string;
}

/** What an execution records of who started it (`trigger.authentication`): child pipelines and dangerous-power checks run as them. */
export interface ExecutionAuthentication {
  readonly user: string;
  readonly roles: readonly string[];
  readonly admin: boolean;
}

/** How a trigger's start runs: as the trigger's `runAsUser` (or `[anonymous]`), from an edge named by `source`. */
export interface TriggerRunAs {
  readonly runAsUser?: string;
  /** `webhook:<source>`, `git:<source>`, `trigger:cron`, `trigger:pipeline`, `trigger:docker`... plus the client's address for HTTP deliveries. */
  readonly source: string;
}

/** The trigger an execution starts with (Orca's `trigger` document; unknown fields kept). */
export interface TriggerInput {
  readonly type: string;
  readonly user?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly artifacts?: readonly JsonObject[];
  readonly payload?: JsonObject;
  readonly correlationId?: string;
  readonly parentExecution?: JsonObject;
  readonly [field: string]: unknown;
}

export interface SavePipelineRequest {
  /** The pipeline JSON as the user wrote it (Front50 shape); `id` is generated when absent. */
  readonly config: unknown;
  /** Optimistic save: the version the caller last read (0 = must be new). */
  readonly expectVersion?: number;
}

export type SavePipelineResult =
  | { readonly ok: true; readonly saved: PipelineConfigVersion; readonly warnings: readonly ValidationIssue[] }
  | { readonly ok: false; readonly reason: 'invalid'; readonly issues: readonly ValidationIssue[] }
  | { readonly ok: false; readonly reason: 'conflict' | 'name-taken' | 'too-large' | 'forbidden'; readonly message: string };

export interface DeletePipelineRequest {
  readonly application: string;
  /** The pipeline's name within the application (case-insensitive, as Gate matches it), or its id. */
  readonly pipeline: string;
}

/** Deleted (`deleted` is the version that was latest), or nothing to delete (`deleted` absent): Gate answers both alike. */
export type DeletePipelineResult =
  | { readonly ok: true; readonly deleted?: PipelineConfigVersion }
  | { readonly ok: false; readonly reason: 'forbidden'; readonly message: string };

export interface SaveApplicationRequest {
  readonly application: ApplicationInput;
  /** True: the application must not exist yet (`POST /applications`); false: create or replace. */
  readonly create: boolean;
}

export type SaveApplicationResult =
  | { readonly ok: true; readonly application: Application }
  | { readonly ok: false; readonly reason: 'conflict' | 'too-large' | 'forbidden'; readonly message: string };

export interface StartPipelineRequest {
  readonly application: string;
  /** The pipeline config id, or its name within the application. */
  readonly pipeline: string;
  readonly trigger: TriggerInput;
  /**
   * Makes the start idempotent (an event id, a delivery id): the execution id is derived from
   * it, and a second start with the same key returns the first execution.
   */
  readonly idempotencyKey?: string;
}

export type StartPipelineResult =
  | {
      readonly ok: true;
      readonly executionId: string;
      /** RUNNING, or NOT_STARTED when queued behind a running execution. */
      readonly status: ExecutionStatus;
      /** True when the idempotency key had started this execution before. */
      readonly duplicate: boolean;
    }
  | { readonly ok: false; readonly reason: 'not-found' | 'disabled' | 'invalid' | 'forbidden'; readonly message: string; readonly issues?: readonly ValidationIssue[] };

export interface JudgmentRequest {
  readonly judgmentStatus: 'continue' | 'stop';
  readonly judgmentInput?: string;
}

/** A command on an existing execution: done, or why not. */
export type CommandResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'not-found' | 'conflict' | 'forbidden' | 'invalid'; readonly message: string };

/**
 * Every command checks the caller's permission on the application first (Fiat's model,
 * core/authz/): saving a pipeline or an application needs WRITE, starting, canceling, judging,
 * skipping and restarting need EXECUTE; a refusal is `forbidden` with a one-line reason.
 */
export interface ExecutionService {
  savePipeline(request: SavePipelineRequest, caller: Caller): Promise<SavePipelineResult>;
  /**
   * Deletes a pipeline config (`DELETE /pipelines/{application}/{name}`; needs WRITE). Idempotent:
   * deleting what is not there is success. Its executions, running or not, are kept and go on.
   */
  deletePipeline(request: DeletePipelineRequest, caller: Caller): Promise<DeletePipelineResult>;
  /** Creates or replaces an application; replacing one (its permissions included) needs WRITE under its current permissions. */
  saveApplication(request: SaveApplicationRequest, caller: Caller): Promise<SaveApplicationResult>;
  startPipeline(request: StartPipelineRequest, caller: Caller): Promise<StartPipelineResult>;
  /** Starts a pipeline for a trigger, as the trigger's service account (core/authz/service-accounts.ts). */
  startTriggered(request: StartPipelineRequest, runAs: TriggerRunAs): Promise<StartPipelineResult>;
  /** One-click rollback of a cluster: an ad-hoc `rollbackCluster` run (needs EXECUTE). */
  startRollback(request: RollbackRequest, caller: Caller): Promise<StartPipelineResult>;
  /** Deletes a complete execution (`DELETE /pipelines/{id}`; needs WRITE); one not complete is a conflict. */
  deleteExecution(executionId: string, caller: Caller): Promise<CommandResult>;
  /** Cancels a running or queued execution (`PUT /pipelines/{id}/cancel`). */
  cancelExecution(executionId: string, caller: Caller, options?: { readonly reason?: string }): Promise<CommandResult>;
  /** Answers a manual judgment (`PATCH /pipelines/{id}/stages/{stageId}`); checks the roles allowed to judge. */
  judgeStage(executionId: string, stageId: string, judgment: JudgmentRequest, caller: Caller): Promise<CommandResult>;
  /** Skips the rest of a wait stage (`PATCH` with `skipRemainingWait: true`). */
  skipWait(executionId: string, stageId: string, caller: Caller): Promise<CommandResult>;
  /**
   * Restarts a stage: a new execution of the same pipeline version that skips the stages the
   * original recorded SUCCEEDED outside the restarted stage's downstream (DESIGN.md §4).
   */
  restartStage(executionId: string, stageId: string, caller: Caller): Promise<StartPipelineResult>;
  /** Reconciles a run that ended (EventBridge status change, or the local engine): status, lease, queue, events. */
  handleRunEnded(event: EngineRunEnded): Promise<void>;
}
