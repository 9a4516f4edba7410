/**
 * The execution store: everything Gennaker keeps between two Lambda invocations (DESIGN.md §5).
 * Applications, every saved version of every pipeline config, executions with one record per
 * stage, task tokens, concurrency leases with their waiting queues, and idempotency records.
 *
 * The contract every implementation keeps (test/contract/execution-store.contract.ts):
 * - Every write of a status is conditional on the statuses the caller expects, and a complete
 *   status (SUCCEEDED, FAILED_CONTINUE, TERMINAL, CANCELED, STOPPED, SKIPPED) is final: a
 *   complete execution or stage refuses every later update. A lost race is a result value
 *   (`{ ok: false, reason: 'conflict', current }`), not an exception, so the caller can react.
 * - Every invariant holds with single-record conditional writes (no transactions), so the same
 *   code runs on DynamoDB and on dynalite.
 * - Documents stay far from DynamoDB's 400 KB item limit: a write that would push a record over
 *   the budgets of `STORE_LIMITS` is refused with `{ ok: false, reason: 'too-large' }` naming
 *   the record and its size. Large data (manifests, logs) belongs in an artifact store, with a
 *   reference in the context.
 * - Only infrastructure faults throw: `Gennaker.StoreUnavailable` (throttled, unreachable),
 *   `Gennaker.WriteConflict` (a save kept losing races; retry) and `Gennaker.InvariantViolated`
 *   (a request the store can never accept: a bug).
 * - Reads by key are strongly consistent. Listings may lag a write by a moment (they read
 *   secondary indexes, eventually consistent on DynamoDB).
 *
 * Pure types and constants: no SDK, no I/O.
 */
import type { ExecutionStatus } from '../execution/status.ts';

/**
 * A JSON object as the user or a task wrote it. Stored and returned as JSON: `undefined`
 * members disappear, and anything JSON cannot carry (functions, class instances) must not be
 * put here.
 */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Size budgets, in bytes, every implementation enforces (DynamoDB refuses items over 400 KB). */
export const STORE_LIMITS = {
  /** Any single record (an application, a pipeline config version, an execution header). */
  maxRecordBytes: 350 * 1024,
  /** A stage's `context` and `outputs` together. */
  maxStageDataBytes: 300 * 1024,
  /** A stage's runtime state bag (poll counters, ids of things in flight). */
  maxStageRuntimeBytes: 32 * 1024,
  /** A free-text field of an update (cancellation reason, user names). */
  maxUpdateTextBytes: 4 * 1024,
  /** A task token (Step Functions tokens are at most 1024 characters). */
  maxTaskTokenBytes: 2 * 1024,
} as const;

// ---------------------------------------------------------------------------------------------
// Shared result shapes

/** A page of a listing; pass `cursor` back to get the next page. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Absent on the last page. Opaque. */
  readonly cursor?: string;
}

export interface PageRequest {
  /** At most this many items (default 50, at most 1000). */
  readonly limit?: number;
  readonly cursor?: string;
}

/** The record does not exist. */
export interface NotFound {
  readonly ok: false;
  readonly reason: 'not-found';
}

/** A conditional write lost: the record is not in the status (or revision) the caller expected. */
export interface StatusConflict {
  readonly ok: false;
  readonly reason: 'conflict';
  readonly current: ExecutionStatus;
  readonly revision: number;
}

/** The write would make a record too large; `message` names the record, its size and the limit. */
export interface TooLarge {
  readonly ok: false;
  readonly reason: 'too-large';
  readonly message: string;
  readonly bytes: number;
  readonly limit: number;
}

// ---------------------------------------------------------------------------------------------
// Applications

/** A traffic guard (`reference/spinnaker.md` §1.6): a cluster that must keep an active server group. */
export interface TrafficGuard {
  readonly account: string;
  readonly location: string;
  readonly stack?: string;
  readonly detail?: string;
  readonly enabled: boolean;
}

export type Permission = 'READ' | 'WRITE' | 'EXECUTE';

export interface ApplicationInput {
  /** Unique, compared case-insensitively (Front50 behaviour); kept as given. */
  readonly name: string;
  readonly email?: string;
  readonly accounts: readonly string[];
  readonly trafficGuards: readonly TrafficGuard[];
  /** Roles granted each permission. */
  readonly permissions: Readonly<Partial<Record<Permission, readonly string[]>>>;
  /** The application document as given, so unknown attributes round-trip. */
  readonly raw: JsonObject;
}

export interface Application extends ApplicationInput {
  /** 1 on creation, +1 on every save. */
  readonly revision: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type SaveApplicationResult =
  | { readonly ok: true; readonly application: Application }
  | { readonly ok: false; readonly reason: 'conflict'; readonly revision: number }
  | TooLarge;

export interface ApplicationStore {
  /**
   * Creates or replaces an application. With `expectRevision` the save is optimistic: 0 means
   * "must not exist yet", n means "must still be at revision n".
   */
  saveApplication(input: ApplicationInput, options?: { readonly expectRevision?: number }): Promise<SaveApplicationResult>;
  getApplication(name: string): Promise<Application | undefined>;
  /** Every application, by name. */
  listApplications(page?: PageRequest): Promise<Page<Application>>;
}

// ---------------------------------------------------------------------------------------------
// Pipeline configs

export interface PipelineConfigInput {
  /** The pipeline config id (Spinnaker's `id`); executions carry it as `pipelineConfigId`. */
  readonly id: string;
  readonly application: string;
  /** Unique within the application, compared case-insensitively. */
  readonly name: string;
  /** The pipeline JSON as saved. */
  readonly config: JsonObject;
  /**
   * For a templated pipeline (`type: templatedPipeline`), the pipeline its template rendered at
   * save: what runs, what is compiled and what its triggers are filed under. Absent otherwise.
   */
  readonly rendered?: JsonObject;
  readonly savedBy?: string;
}

/** One saved version of a pipeline config. Versions are never changed; deleting the pipeline keeps them. */
export interface PipelineConfigVersion {
  readonly id: string;
  readonly application: string;
  readonly name: string;
  /** 1, 2, 3...: strictly increasing per pipeline config id, without gaps. */
  readonly version: number;
  readonly config: JsonObject;
  /** The pipeline a templated `config` rendered to when this version was saved (PipelineConfigInput.rendered). */
  readonly rendered?: JsonObject;
  readonly savedAt: number;
  readonly savedBy?: string;
}

/** The pipeline a saved version runs: its rendering for a templated pipeline, else the config itself. */
export function runnableConfigOf(version: Pick<PipelineConfigVersion, 'config' | 'rendered'>): JsonObject {
  return version.rendered ?? version.config;
}

export type SavePipelineConfigResult =
  | { readonly ok: true; readonly saved: PipelineConfigVersion }
  /** `expectVersion` was given and the latest version is another one. */
  | { readonly ok: false; readonly reason: 'conflict'; readonly currentVersion: number }
  /** Another pipeline config of the application already has this name. */
  | { readonly ok: false; readonly reason: 'name-taken'; readonly pipelineConfigId: string }
  | TooLarge;

export interface PipelineConfigStore {
  /**
   * Saves a new version (latest + 1). With `expectVersion` the save is optimistic (0: the
   * pipeline must be new); without it, concurrent saves each get their own version.
   */
  savePipelineConfig(
    input: PipelineConfigInput,
    options?: { readonly expectVersion?: number },
  ): Promise<SavePipelineConfigResult>;
  /** The latest version, or the given one. */
  getPipelineConfig(id: string, version?: number): Promise<PipelineConfigVersion | undefined>;
  /** The latest version of the application's pipeline with this name. */
  getPipelineConfigByName(application: string, name: string): Promise<PipelineConfigVersion | undefined>;
  /** The latest version of every pipeline config of the application, by name. */
  listPipelineConfigs(application: string): Promise<readonly PipelineConfigVersion[]>;
  /** Every version of one pipeline config, newest first. */
  listPipelineConfigVersions(id: string, page?: PageRequest): Promise<Page<PipelineConfigVersion>>;
  /**
   * The latest version of every pipeline config whose latest version has a trigger filed under
   * `key` (core/triggers/trigger-keys.ts): what a webhook delivery reads instead of every
   * pipeline of every application.
   */
  listPipelineConfigsByTrigger(key: string): Promise<readonly PipelineConfigVersion[]>;
  /**
   * Deletes a pipeline config (Front50's delete): it is gone from every read by id, by name, by
   * application and by trigger, and its name is free. Its saved versions are kept, so saving the
   * same id again continues the numbering. Answers false when there was nothing to delete.
   */
  deletePipelineConfig(id: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Executions and stages

/** The concurrency settings of the pipeline, copied into the execution when it is created. */
export interface ConcurrencySnapshot {
  readonly limitConcurrent: boolean;
  readonly keepWaitingPipelines: boolean;
  /** 0 = unlimited. */
  readonly maxConcurrentExecutions: number;
}

export interface PauseDetails {
  readonly pausedBy?: string;
  readonly pauseTime?: number;
  readonly resumedBy?: string;
  readonly resumeTime?: number;
}

/** What creating an execution needs. `status` defaults to NOT_STARTED. */
export interface NewExecution extends ConcurrencySnapshot {
  /** Unique; deterministic when derived from an event (so a duplicate event finds it). */
  readonly id: string;
  readonly application: string;
  readonly pipelineConfigId: string;
  readonly pipelineVersion: number;
  readonly name: string;
  readonly status?: ExecutionStatus;
  readonly buildTime: number;
  readonly trigger: JsonObject;
  readonly parameters: JsonObject;
  readonly origin?: string;
  readonly stages: readonly NewStage[];
  /**
   * The caller has just generated `id` (not derived from an event or a key), so no other
   * creation of this execution can be under way. The store may then write the stage records
   * in batches, without a condition on each: nobody else can have touched them. Leave it unset
   * for deterministic ids, where two creations may race and a late one must not reset a stage
   * the first one's run has moved. @default false
   */
  readonly freshId?: boolean;
}

export interface NewStage {
  /** Unique within the execution. */
  readonly id: string;
  readonly refId: string;
  readonly type: string;
  readonly name: string;
  readonly requisiteStageRefIds: readonly string[];
  readonly context: JsonObject;
  readonly status?: ExecutionStatus;
  readonly parentStageId?: string;
  readonly syntheticStageOwner?: 'STAGE_BEFORE' | 'STAGE_AFTER';
}

/** The execution document without its stages (what listings return). */
export interface ExecutionHeader extends ConcurrencySnapshot {
  readonly id: string;
  readonly application: string;
  readonly pipelineConfigId: string;
  readonly pipelineVersion: number;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly buildTime: number;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly trigger: JsonObject;
  readonly parameters: JsonObject;
  readonly canceled: boolean;
  readonly canceledBy?: string;
  readonly cancellationReason?: string;
  readonly paused?: PauseDetails;
  readonly origin?: string;
  /** +1 on every write, for optimistic updates. */
  readonly revision: number;
  readonly lastModified: number;
}

export interface StageRecord {
  readonly id: string;
  readonly refId: string;
  readonly type: string;
  readonly name: string;
  readonly requisiteStageRefIds: readonly string[];
  readonly parentStageId?: string;
  readonly syntheticStageOwner?: 'STAGE_BEFORE' | 'STAGE_AFTER';
  readonly status: ExecutionStatus;
  readonly context: JsonObject;
  readonly outputs: JsonObject;
  /** Small state the stage's tasks keep between invocations. */
  readonly runtime: JsonObject;
  readonly startTime?: number;
  readonly endTime?: number;
  /** True while a callback task waits on a task token (the token itself is never listed). */
  readonly awaitingCallback: boolean;
  readonly revision: number;
  readonly lastModified: number;
}

/** An execution with its stages, in the order they were created. */
export interface Execution extends ExecutionHeader {
  readonly stages: readonly StageRecord[];
  /** Its notification deliveries, oldest first; absent when none was attempted. */
  readonly notificationDeliveries?: readonly NotificationDelivery[];
}

/** An execution's header with some of its stages (`getExecutionPart`). */
export interface ExecutionPart {
  readonly header: ExecutionHeader;
  /** The stages asked for that exist, in the order they were created. */
  readonly stages: readonly StageRecord[];
}

export type CreateExecutionResult =
  | { readonly ok: true; readonly execution: Execution }
  /** An execution with this id exists already: creation changed nothing the first one relies on. */
  | { readonly ok: false; readonly reason: 'exists'; readonly existing: ExecutionHeader }
  | TooLarge;

/** Which statuses the record must be in for the write to happen, and optionally which revision. */
export interface Expectation {
  /** At least one. Never matches a complete status: a complete record refuses every update. */
  readonly expect: readonly ExecutionStatus[];
  readonly expectRevision?: number;
}

export interface ExecutionUpdate extends Expectation {
  readonly set: {
    readonly status?: ExecutionStatus;
    readonly startTime?: number;
    readonly endTime?: number;
    readonly canceled?: boolean;
    readonly canceledBy?: string;
    readonly cancellationReason?: string;
    readonly paused?: PauseDetails;
  };
}

export interface StageUpdate extends Expectation {
  readonly set: {
    readonly status?: ExecutionStatus;
    readonly startTime?: number;
    readonly endTime?: number;
    /** Replaces the whole context. */
    readonly context?: JsonObject;
    /** Replaces the whole outputs. */
    readonly outputs?: JsonObject;
    /** Replaces the whole runtime state bag. */
    readonly runtime?: JsonObject;
  };
}

export type UpdateResult<T> = { readonly ok: true; readonly value: T } | NotFound | StatusConflict | TooLarge;

/** Which executions to list; newest (by buildTime) first. */
export type ExecutionQuery =
  | { readonly application: string; readonly statuses?: readonly ExecutionStatus[] }
  | { readonly pipelineConfigId: string; readonly statuses?: readonly ExecutionStatus[] };

/** A callback task's token (manual judgment), kept with its stage. */
export interface TaskToken {
  readonly token: string;
  /** The task that waits on it. */
  readonly task: string;
}

export type PutTaskTokenResult = { readonly ok: true } | NotFound | StatusConflict;

export interface ExecutionRecordStore {
  /**
   * Writes the stages, then the header: an execution exists once its header does, so a crash
   * halfway leaves nothing visible and a retry with the same id completes it.
   */
  createExecution(input: NewExecution): Promise<CreateExecutionResult>;
  getExecution(id: string): Promise<Execution | undefined>;
  /**
   * The header and the named stages only, as strongly consistent as `getExecution`: for a
   * caller that keeps the complete stages it has seen (they never change, except that a taken
   * task token clears `awaitingCallback`) and needs only the rest fresh. Unknown stage ids are
   * left out; undefined when the execution does not exist.
   */
  getExecutionPart(id: string, stageIds: readonly string[]): Promise<ExecutionPart | undefined>;
  getStage(executionId: string, stageId: string): Promise<StageRecord | undefined>;
  listExecutions(query: ExecutionQuery, page?: PageRequest): Promise<Page<ExecutionHeader>>;
  updateExecution(id: string, update: ExecutionUpdate): Promise<UpdateResult<ExecutionHeader>>;
  updateStage(executionId: string, stageId: string, update: StageUpdate): Promise<UpdateResult<StageRecord>>;
  /**
   * Deletes a complete execution (Gate's `DELETE /pipelines/{id}`): its header first, so every
   * read stops finding it at once, then its stage records. An execution that is not complete is
   * refused with its status (cancel it first): its run would write into nothing.
   */
  deleteExecution(id: string): Promise<{ readonly ok: true } | NotFound | StatusConflict>;

  /** Keeps a task token with its stage; the stage must exist and not be complete. */
  putTaskToken(executionId: string, stageId: string, token: TaskToken): Promise<PutTaskTokenResult>;
  getTaskToken(executionId: string, stageId: string): Promise<TaskToken | undefined>;
  /**
   * Removes and returns the token, at most once: of many concurrent callers (two people judging
   * at once) exactly one gets it. With `token`, only that token is taken.
   */
  takeTaskToken(executionId: string, stageId: string, token?: string): Promise<TaskToken | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Concurrency: one lease per pipeline config, plus its waiting queue

/** An execution holding one of the pipeline config's slots. */
export interface SlotHolder {
  readonly executionId: string;
  readonly since: number;
}

export type AcquireSlotResult =
  /** The execution holds a slot (it may have held it already: acquiring is idempotent). */
  | { readonly ok: true; readonly holders: readonly SlotHolder[] }
  | { readonly ok: false; readonly reason: 'full'; readonly holders: readonly SlotHolder[] };

export interface ReleaseSlotResult {
  /** False when the execution held no slot (releasing is idempotent). */
  readonly released: boolean;
  readonly holders: readonly SlotHolder[];
}

export type TransferSlotResult =
  | { readonly ok: true; readonly holders: readonly SlotHolder[] }
  /** `from` held no slot, so nothing changed: acquire a slot for `to` instead. */
  | { readonly ok: false; readonly reason: 'not-held'; readonly holders: readonly SlotHolder[] };

/** An execution waiting for a slot. */
export interface WaitingEntry {
  readonly pipelineConfigId: string;
  readonly executionId: string;
  /** Strictly increasing per pipeline config: the queue order. */
  readonly sequence: number;
  readonly enqueuedAt: number;
}

export interface ConcurrencyStore {
  /**
   * Takes one of `limit` slots for the execution, or answers `full`. Atomic: of any number of
   * concurrent callers, at most `limit` hold a slot at once.
   */
  acquireSlot(pipelineConfigId: string, executionId: string, options: { readonly limit: number }): Promise<AcquireSlotResult>;
  releaseSlot(pipelineConfigId: string, executionId: string): Promise<ReleaseSlotResult>;
  /**
   * Hands `from`'s slot to `to` in one write, so a newcomer cannot take it in between and
   * overtake the queue. The number of holders never grows.
   */
  transferSlot(pipelineConfigId: string, fromExecutionId: string, toExecutionId: string): Promise<TransferSlotResult>;
  getSlotHolders(pipelineConfigId: string): Promise<readonly SlotHolder[]>;

  /** Appends the execution to the queue; enqueuing a waiting execution again returns its entry. */
  enqueueWaiting(pipelineConfigId: string, executionId: string): Promise<WaitingEntry>;
  /** The queue, oldest first. */
  listWaiting(pipelineConfigId: string): Promise<readonly WaitingEntry[]>;
  /**
   * Removes the entry and returns it, at most once: the caller that gets the entry is the one
   * that starts (or cancels) that execution.
   */
  removeWaiting(pipelineConfigId: string, executionId: string): Promise<WaitingEntry | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Idempotency

export type ClaimIdempotencyKeyResult =
  | { readonly claimed: true }
  /** The key was claimed before: this is a duplicate of `executionId`. */
  | { readonly claimed: false; readonly executionId: string };

export interface IdempotencyStore {
  /**
   * Records that `key` (an event id, a correlation id) started `executionId`, once. After
   * `ttlSeconds` the key may be claimed again (absent: never).
   */
  claimIdempotencyKey(
    key: string,
    executionId: string,
    options?: { readonly ttlSeconds?: number },
  ): Promise<ClaimIdempotencyKeyResult>;
}

// ---------------------------------------------------------------------------------------------
// Notification deliveries: one record per execution, stage, event and recipient

export type DeliveryStatus = 'SENDING' | 'SENT' | 'FAILED';

/** What a delivery record says about one notification to one recipient. */
export interface NotificationDelivery {
  /** Unique within the execution: stage (or `pipeline`), event and recipient. The dedup key. */
  readonly key: string;
  /** `pipeline.complete`, `stage.failed`, `manualJudgment`... */
  readonly event: string;
  /** The notification type (`slack`, `email`...). */
  readonly type: string;
  /** The recipient as it may be shown: webhook URLs without their secret path. */
  readonly recipient: string;
  readonly stageId?: string;
  readonly stageRefId?: string;
  /** For a reminder of a waiting manual judgment (`notifyEveryMs`): its number, from 1. */
  readonly reminder?: number;
  readonly status: DeliveryStatus;
  /** How many times it was claimed for sending (each claim tries the notifier's attempts). */
  readonly attempts: number;
  /** Why it failed, one line. */
  readonly reason?: string;
  readonly updatedAt: number;
}

export type NewNotificationDelivery = Pick<NotificationDelivery, 'key' | 'event' | 'type' | 'recipient' | 'stageId' | 'stageRefId' | 'reminder'>;

export type ClaimDeliveryResult =
  /** This caller sends: the record is SENDING and counts this attempt. */
  | { readonly claimed: true; readonly delivery: NotificationDelivery }
  /** Sent already, or another caller is sending it right now. */
  | { readonly claimed: false; readonly delivery: NotificationDelivery };

export interface NotificationDeliveryStore {
  /**
   * Claims the delivery `key` of the execution for sending, at most once at a time: it is
   * claimed when there is no record yet, when the last delivery FAILED, or when a SENDING claim is
   * older than `staleAfterMs` (its sender died). A SENT record is never claimed again.
   */
  claimNotificationDelivery(executionId: string, delivery: NewNotificationDelivery, options: { readonly staleAfterMs: number }): Promise<ClaimDeliveryResult>;
  /** Records how the claimed delivery ended. */
  finishNotificationDelivery(executionId: string, key: string, result: { readonly status: 'SENT' | 'FAILED'; readonly reason?: string }): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Waiting judgments with reminders: what the reminder sweep looks at

/** A manual judgment that waits and whose notifications remind (`notifyEveryMs`). */
export interface WatchedJudgment {
  readonly executionId: string;
  readonly stageId: string;
  readonly application: string;
  /** When the judgment began waiting: reminder n is due `n × notifyEveryMs` after it. */
  readonly since: number;
}

/** Kept apart from the ExecutionStore: only the notifier uses it. */
export interface JudgmentWatchStore {
  /** Records (or records again: the same value is idempotent) that the judgment waits. */
  watchJudgment(watch: WatchedJudgment): Promise<void>;
  /** Every watched judgment, read strongly consistent (a few per deployment). */
  listWatchedJudgments(): Promise<readonly WatchedJudgment[]>;
  /** Forgets the judgment (it was answered, or its execution ended); idempotent. */
  unwatchJudgment(executionId: string, stageId: string): Promise<void>;
}

/** The whole store. Code that needs one role asks for the narrower interface. */
export interface ExecutionStore
  extends ApplicationStore,
    PipelineConfigStore,
    ExecutionRecordStore,
    ConcurrencyStore,
    IdempotencyStore,
    NotificationDeliveryStore {}
