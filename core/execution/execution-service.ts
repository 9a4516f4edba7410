/**
 * The execution service (`ExecutionService` of execution-service-api.ts): saving pipelines,
 * starting, canceling, judging, restarting, and reconciling runs that ended. One
 * implementation for AWS and local mode; only the ports differ.
 *
 * Invariants it keeps with the store (DESIGN.md §5, `reference/spinnaker.md` §1.4):
 * - Every status change is a conditional write; a lost race is an answer (`conflict`), never a
 *   second transition. A complete execution never changes again.
 * - Concurrency follows the protocol of concurrency.ts: a RUNNING execution of a limited
 *   pipeline always holds a slot, and a slot is freed only once its holder is complete, so at
 *   most `limit` executions of a pipeline config run at once, even under bursts.
 * - Whoever takes a waiting entry (`removeWaiting`) is the only one who starts or cancels it.
 */
import { unknownAccountIssues } from '../accounts/pipeline-accounts.ts';
import { createAccessControl } from '../authz/access.ts';
import { authenticationFor, authenticationOf } from '../authz/authentication.ts';
import { authorize } from '../authz/permissions.ts';
import { pipelinePowerUses, powerProblem, type PowerPolicy } from '../authz/powers.ts';
import { runAsUserProblem, triggerCaller } from '../authz/service-accounts.ts';
import { artifactsOfExecution, executionArtifacts, needsPriorArtifacts, resolveExpectedArtifacts } from '../deploy/expected-artifacts.ts';
import { isOrchestration, rollbackPipelineConfig } from '../deploy/rollback-request.ts';
import { clusterExistenceIssues, clusterFieldIssues, unknownRegionIssues } from '../deploy/save-checks.ts';
import type { ClusterFieldChecks } from '../ports/cluster-checks.ts';
import type { ClusterCheckLookup } from '../ports/target.ts';
import { hasErrors, type ValidationIssue } from '../issues.ts';
import type { AccountRegistry } from '../ports/accounts.ts';
import { parsePipeline } from '../pipeline/parse.ts';
import type { Pipeline } from '../pipeline/model.ts';
import type { StageType } from '../pipeline/stage-types/index.ts';
import type { Clock } from '../ports/clock.ts';
import type { ChildPipelines, StartChildRequest, StartChildResult } from '../ports/child-pipelines.ts';
import type { EventBus, StagePhase } from '../ports/event-bus.ts';
import { stagePhaseOf } from '../notifications/phases.ts';
import type { BuildPort } from '../ports/builds.ts';
import type { JobRunner } from '../ports/job-runner.ts';
import type {
  Execution,
  ExecutionHeader,
  ExecutionStore,
  JsonObject,
  PipelineConfigVersion,
  StageRecord,
  WaitingEntry,
} from '../ports/execution-store.ts';
import { runnableConfigOf } from '../ports/execution-store.ts';
import { isTemplatedPipeline, renderedIssues, stableJson } from '../pipeline/templates/model.ts';
import { expandPreconfiguredWebhooks, hasPreconfiguredStages, type PreconfiguredWebhook } from '../pipeline/preconfigured-webhooks.ts';
import type { TemplateLookup } from '../pipeline/templates/resolve.ts';
import type { EngineRunEnded, StateMachineEngine } from '../ports/state-machine-engine.ts';
import { auditedCaller, type AuditLog } from '../ports/audit-log.ts';
import type { UserDirectory } from '../ports/user-directory.ts';
import { applyJudgment } from '../stages/manual-judgment.ts';
import {
  SUPERSEDED_CANCELED_BY,
  SUPERSEDED_CANCELLATION_REASON,
  concurrencyLimit,
  planSlotFreed,
  type ConcurrencySettings,
} from './concurrency.ts';
import type {
  Caller,
  CommandResult,
  ExecutionService,
  JudgmentRequest,
  SavePipelineRequest,
  SavePipelineResult,
  StartPipelineRequest,
  StartPipelineResult,
  TriggerInput,
} from './execution-service-api.ts';
import { createUlidGenerator, deterministicId } from './ids.ts';
import { jobIdFor, RUN_JOB_TASK } from './job-ids.ts';
import { newExecutionFromPipeline, resolvePipelineParameters } from './new-execution.ts';
import { isTaskGone } from './runner-contract.ts';
import { createSealer } from './sealing.ts';
import { sealConfigSecrets } from './config-secrets.ts';
import { REDACTED, SECRET_PARAMETERS_FIELD, isSealedValue, recordedSecretParameters, redactExecution, secretParameterNames, secretValuesOf } from './secrets.ts';
import type { SecretCipher } from '../ports/secret-cipher.ts';
import { RUNNABLE_STAGE_TYPES, runnableTypeOf } from './runnable-stage-types.ts';
import { isComplete, type ExecutionStatus } from './status.ts';

/** Compiles a parsed pipeline to the definition the engine publishes (statemachines' `compilePipeline`, injected: core cannot import the compiler). */
export type PipelineCompiler = (pipeline: Pipeline) => {
  readonly json: string;
  readonly issues: readonly ValidationIssue[];
  /** Stages compiled as child state machines, published with the parent. */
  readonly children?: readonly { readonly key: string; readonly json: string }[];
};

export interface ExecutionServiceDeps {
  readonly store: ExecutionStore;
  readonly engine: StateMachineEngine;
  readonly bus: EventBus;
  readonly clock: Clock;
  /** New execution ids (ULIDs). @default a ULID generator on `clock` and `random` */
  readonly ids?: () => string;
  /** Randomness for the default id generator. */
  readonly random?: () => number;
  /** Compiles pipelines on save; `compilePipeline` of statemachines/ in every composition root. */
  readonly compile: PipelineCompiler;
  /**
   * Stage types the wired runner runs (`runnableStageTypes` of the stage runner); a pipeline
   * with another type is refused at start. @default RUNNABLE_STAGE_TYPES (no deploy targets)
   */
  readonly runnableStageTypes?: readonly StageType[];
  /** The job runner the stage runner starts `runJob` jobs on: the jobs of an execution that ends TERMINAL or CANCELED are stopped. */
  readonly jobs?: Pick<JobRunner, 'cancelJob'>;
  /**
   * The CodeBuild builds of an account, by name: the builds `awsCodeBuild` stages were running
   * when their execution ended TERMINAL or CANCELED are stopped, as Orca's cancellable stage
   * stops them. @default none: builds run to their end
   */
  readonly builds?: (account: string) => Pick<BuildPort, 'stop'> | undefined;
  /**
   * The accounts pipelines may name; a pipeline naming another is refused at save, with the
   * known accounts and a did-you-mean. @default none given: accounts are not checked at save
   */
  readonly accounts?: AccountRegistry;
  /**
   * Checks of deploy clusters at save (core/deploy/save-checks.ts), besides the regions of
   * `accounts`: `fields`, each cloud's pure check of its entries' provider fields, by cloud
   * provider; `targets`, whose `checkCluster` looks in the account for what an entry without
   * expressions names (a cloud that cannot be asked only warns). @default none: checked when the stage runs
   */
  readonly clusterChecks?: { readonly fields?: ClusterFieldChecks | (() => Promise<ClusterFieldChecks>); readonly targets?: ClusterCheckLookup };
  /**
   * The users triggers may run as (`runAsUser`), looked up when a trigger starts a pipeline and
   * when a pipeline naming one is saved. @default none: every `runAsUser` is unknown
   */
  readonly users?: UserDirectory;
  /**
   * Who may use dangerous powers and where their paths may point (core/authz/powers.ts),
   * checked at save. @default none: not checked (the composition roots of `up` and `run` pass one)
   */
  readonly powers?: PowerPolicy;
  /** Where every command is recorded (who, what, application, when, from where, result). @default nowhere */
  readonly audit?: AuditLog;
  /** Where a failed audit append is reported; the command's result stands. @default nowhere */
  readonly onAuditError?: (error: unknown) => void;
  /**
   * Encrypts the values of secret parameters before they are stored (sealing.ts). Absent: a
   * start that gives a secret parameter a value is refused, since it could only be stored in
   * plaintext.
   */
  readonly secrets?: SecretCipher;
  /** Named webhooks each pipeline stage type may name (Orca's preconfigured webhooks). @default none */
  readonly preconfiguredWebhooks?: readonly PreconfiguredWebhook[];
  /** Seals the `secret` of git and webhook triggers when a pipeline is saved (config-secrets.ts). @default `secrets`; neither: kept as given */
  readonly triggerSecrets?: SecretCipher;
  /**
   * Reads saved pipeline templates by key, to render templated pipelines (`type:
   * templatedPipeline`) at save and again at start. @default none: a templated pipeline is refused
   */
  readonly templates?: TemplateLookup;
}

/**
 * The engine error of a run that ended because Gennaker stopped under it (local mode's crash
 * recovery). Its execution may be restarted, and the restart continues what it started, so its
 * jobs are left running.
 */
export const INTERRUPTED_RUN_ERROR = 'Gennaker.Interrupted';

/** What the service offers beyond the API: child pipelines for the `pipeline` stage, and restarting a whole execution. */
export interface GennakerExecutionService extends ExecutionService, ChildPipelines {
  /**
   * Restarts an execution that ended without succeeding (or was interrupted): `restartStage`
   * on its first stage that did not succeed, so every succeeded stage is kept.
   */
  restartExecution(executionId: string, caller: Caller): Promise<StartPipelineResult>;
}

/** Who the reconciler records as canceling an execution whose run was stopped outside Gennaker. */
const SYSTEM_USER = 'gennaker';

/** What a command tells the audit log about what it acted on, filled in as the command learns it. */
interface AuditNote {
  application?: string;
  target?: string;
  detail?: string;
}

/** The result shapes every command returns, as far as the audit log reads them. */
type Auditable = { readonly ok: boolean; readonly reason?: string; readonly message?: string; readonly issues?: readonly ValidationIssue[] };


/** Statuses an execution holding a run may be in (PAUSED keeps its run and its slot). */
const ACTIVE: readonly ExecutionStatus[] = ['RUNNING', 'PAUSED', 'SUSPENDED'];

/** Stage statuses that a run that broke off leaves behind and that must be closed. */
const STAGE_IN_FLIGHT: readonly ExecutionStatus[] = ['RUNNING', 'PAUSED', 'SUSPENDED'];

/** Stage statuses a restart keeps from the original execution. */
const KEPT_ON_RESTART: ReadonlySet<ExecutionStatus> = new Set(['SUCCEEDED', 'SKIPPED']);

/** How many times a conditional context write is re-read and retried when the runner wrote the stage in between. */
const CONTEXT_WRITE_ATTEMPTS = 5;

/** How many completed executions a correlation id may chain through before we stop looking. */
const MAX_CORRELATION_CHAIN = 1000;

/** A stage preset by a restart: created already complete with the original's data. */
interface StagePreset {
  readonly status: ExecutionStatus;
  readonly context: JsonObject;
  readonly outputs: JsonObject;
  readonly startTime?: number;
  readonly endTime?: number;
}

interface LaunchRequest {
  readonly version: PipelineConfigVersion;
  readonly pipeline: Pipeline;
  readonly trigger: TriggerInput;
  readonly executionId: string;
  /** `executionId` was generated for this launch (no idempotency key): no other creation can race it. */
  readonly freshId: boolean;
  /** Restart: stages by refId created already complete. */
  readonly presets?: ReadonlyMap<string, StagePreset>;
  /** Who starts it: recorded as `trigger.authentication`. */
  readonly caller: Caller;
}

/** Creates the execution service. */
export function createExecutionService(deps: ExecutionServiceDeps): GennakerExecutionService {
  const { store, engine, bus, clock, compile } = deps;
  const runnableTypes = deps.runnableStageTypes ?? RUNNABLE_STAGE_TYPES;
  const newId =
    deps.ids ??
    (deps.random
      ? createUlidGenerator(clock, deps.random)
      : () => {
          throw new Error('createExecutionService needs `ids` or `random`');
        });

  // -------------------------------------------------------------------------------------------
  // Saving

  const access = createAccessControl({ store });

  /** Records a command in the audit log; a failing log is reported, never the command's answer. */
  const record = async (action: string, caller: Caller, note: AuditNote, result: Auditable | 'error'): Promise<void> => {
    if (!deps.audit) return;
    const errors = result !== 'error' && result.issues ? result.issues.filter((issue) => issue.severity === 'error') : [];
    const detail =
      result === 'error'
        ? 'an infrastructure fault interrupted the command'
        : result.ok
          ? note.detail
          : (result.message ?? (errors.length > 0 ? `${errors.length} validation error(s), first: ${errors[0]!.pointer || '/'}: ${errors[0]!.message}` : undefined));
    try {
      await deps.audit.append({
        time: clock.now(),
        ...auditedCaller(caller),
        action,
        ...(note.application !== undefined ? { application: note.application } : {}),
        ...(note.target !== undefined ? { target: note.target } : {}),
        result: result === 'error' ? 'error' : result.ok ? 'ok' : (result.reason ?? 'refused'),
        ...(detail !== undefined ? { detail: detail.slice(0, 2000) } : {}),
      });
    } catch (error) {
      deps.onAuditError?.(error);
    }
  };

  /** Runs a command and records how it ended. */
  const audited = async <R extends Auditable>(action: string, caller: Caller, note: AuditNote, work: (note: AuditNote) => Promise<R>): Promise<R> => {
    let result: R;
    try {
      result = await work(note);
    } catch (error) {
      await record(action, caller, note, 'error');
      throw error;
    }
    await record(action, caller, note, result);
    return result;
  };

  // -------------------------------------------------------------------------------------------
  // Saving

  /** A templated pipeline rendered with its saved template; the issues point into the templated document. */
  const renderTemplated = async (config: unknown): Promise<{ readonly rendered?: JsonObject; readonly issues: readonly ValidationIssue[] }> => {
    if (!deps.templates) {
      return { issues: [{ pointer: '/template', code: 'invalid-value', message: 'this installation keeps no pipeline templates; save the rendered pipeline instead (gennaker template plan prints it)', severity: 'error' }] };
    }
    // Loaded on first use: rendering needs the expression evaluator (scripts/build.js bundles it apart).
    const { resolveTemplatedPipeline } = await import('../pipeline/templates/resolve.ts');
    const resolved = await resolveTemplatedPipeline(config, deps.templates);
    return resolved.pipeline ? { rendered: resolved.pipeline, issues: resolved.issues } : { issues: resolved.issues };
  };

  const webhooks = deps.preconfiguredWebhooks ?? [];

  /**
   * What a kept document runs: a templated pipeline rendered with its template, then every stage
   * of a preconfigured webhook's type written as its webhook stage (preconfigured-webhooks.ts).
   */
  const renderKept = async (config: unknown): Promise<{ readonly rendered?: JsonObject; readonly issues: readonly ValidationIssue[] }> => {
    let rendered = config as JsonObject;
    const issues: ValidationIssue[] = [];
    if (isTemplatedPipeline(config)) {
      const templated = await renderTemplated(config);
      if (!templated.rendered) return templated;
      rendered = templated.rendered;
      issues.push(...templated.issues);
    }
    if (hasPreconfiguredStages(rendered, webhooks)) {
      const expanded = expandPreconfiguredWebhooks(rendered, webhooks);
      rendered = expanded.config as JsonObject;
      issues.push(...expanded.issues);
    }
    return { rendered, issues };
  };

  /** The clouds' provider-field checks, loaded at the first save when the composition root loads them on demand. */
  let loadingFieldChecks: Promise<ClusterFieldChecks> | undefined;
  const fieldChecks = async (): Promise<ClusterFieldChecks | undefined> => {
    const given = deps.clusterChecks?.fields;
    if (typeof given !== 'function') return given;
    return (loadingFieldChecks ??= given().catch((error: unknown) => {
      loadingFieldChecks = undefined;
      throw error;
    }));
  };

  const savePipelineAs = async (request: SavePipelineRequest, caller: Caller, note: AuditNote): Promise<SavePipelineResult> => {
    if (isTemplatedPipeline(request.config) || hasPreconfiguredStages(request.config, webhooks)) {
      // The document as written is what is kept; its rendering is what is checked, compiled and run.
      const templated = await renderKept(request.config);
      if (!templated.rendered) return { ok: false, reason: 'invalid', issues: templated.issues };
      const parsedRendering = parsePipeline(templated.rendered);
      if (!parsedRendering.pipeline) return { ok: false, reason: 'invalid', issues: [...templated.issues, ...renderedIssues(parsedRendering.issues)] };
      return saveParsed(parsedRendering.pipeline, [...templated.issues, ...renderedIssues(parsedRendering.issues)], request, caller, note, request.config as JsonObject);
    }
    const parsed = parsePipeline(request.config);
    if (!parsed.pipeline) {
      // Every problem at once: the clouds' field checks too (without the accounts: the caller is not authorized yet).
      const checks = await fieldChecks();
      const fields = checks ? clusterFieldIssues(request.config, checks) : [];
      return { ok: false, reason: 'invalid', issues: [...parsed.issues, ...fields] };
    }
    return saveParsed(parsed.pipeline, parsed.issues, request, caller, note);
  };

  /** Access checks, then the save; `templated` is the document kept when `pipeline` is its rendering. */
  const saveParsed = async (pipeline: Pipeline, parseIssues: readonly ValidationIssue[], request: SavePipelineRequest, caller: Caller, note: AuditNote, templated?: JsonObject): Promise<SavePipelineResult> => {
    note.application = pipeline.application;
    note.target = pipeline.name;
    const denied = await access.check(caller, 'WRITE', pipeline.application);
    if (denied) return denied;
    // Saving under an existing id replaces that pipeline: WRITE on its application too.
    const existing = pipeline.id !== undefined ? await store.getPipelineConfig(pipeline.id) : undefined;
    if (existing && existing.application.toLowerCase() !== pipeline.application.toLowerCase()) {
      const other = await access.check(caller, 'WRITE', existing.application);
      if (other) return other;
    }
    const runAs = await runAsUserProblem(pipeline, caller, deps.users);
    if (runAs !== undefined) return { ok: false, reason: 'forbidden', message: runAs };
    if (deps.powers) {
      const power = await powerProblem(pipelinePowerUses(pipeline), caller, deps.powers, { atSave: true });
      if (power !== undefined) return { ok: false, reason: 'forbidden', message: `the pipeline is refused; nothing was saved: ${power}` };
    }
    // Secrets written into the pipeline are stored sealed; a `******` keeps the one saved before (config-secrets.ts).
    const previous = existing ?? (await store.getPipelineConfigByName(pipeline.application, pipeline.name));
    const ciphers = { ...(deps.secrets ? { values: deps.secrets } : {}), ...(deps.triggerSecrets ? { triggers: deps.triggerSecrets } : {}) };
    const refused = (failure: { readonly pointer: string; readonly message: string }): SavePipelineResult => ({ ok: false, reason: 'invalid', issues: [{ severity: 'error', code: 'invalid-value', pointer: failure.pointer, message: failure.message, value: REDACTED }] });
    let runs = pipeline;
    let kept = templated;
    if (templated) {
      // A templated document's own secrets are sealed first and it renders again from the sealed
      // document, so what is kept, what runs and a start's rendering agree.
      const sealedTemplated = await sealConfigSecrets(templated, previous?.config, ciphers, pipeline.application);
      if (!sealedTemplated.ok) return refused(sealedTemplated);
      if (sealedTemplated.config !== templated) {
        const again = await renderKept(sealedTemplated.config);
        const parsedAgain = again.rendered ? parsePipeline(again.rendered).pipeline : undefined;
        if (!parsedAgain) return { ok: false, reason: 'invalid', issues: again.issues };
        runs = parsedAgain;
      }
      kept = sealedTemplated.config;
    }
    const sealed = await sealConfigSecrets(runs.raw, previous ? runnableConfigOf(previous) : undefined, ciphers, pipeline.application);
    if (!sealed.ok) return refused(sealed);
    return storePipeline({ ...runs, raw: sealed.config }, parseIssues, request, caller, kept);
  };

  /** Compiles, saves and publishes a pipeline whose access was decided (a templated pipeline: its rendering, keeping `templated`). */
  const storePipeline = async (pipeline: Pipeline, parseIssues: readonly ValidationIssue[], request: SavePipelineRequest, caller: Caller, templated?: JsonObject): Promise<SavePipelineResult> => {
    const compiled = compile(pipeline);
    const checks = deps.clusterChecks;
    const fields = await fieldChecks();
    // Of a templated pipeline, what is checked is its rendering: the pointers say so.
    const at = (found: readonly ValidationIssue[]) => (templated ? renderedIssues(found) : found);
    const issues = [
      ...parseIssues,
      ...at(compiled.issues),
      ...at(deps.accounts ? [...unknownAccountIssues(pipeline.raw, deps.accounts), ...unknownRegionIssues(pipeline.raw, deps.accounts)] : []),
      ...at(fields ? clusterFieldIssues(pipeline.raw, fields, deps.accounts) : []),
    ];
    if (hasErrors(issues)) return { ok: false, reason: 'invalid', issues };
    // The cloud is asked only about a pipeline that is otherwise fine.
    if (checks?.targets) issues.push(...at(await clusterExistenceIssues(pipeline.raw, checks.targets, deps.accounts)));
    if (hasErrors(issues)) return { ok: false, reason: 'invalid', issues };

    // No id: the application's pipeline of that name is updated (saving a file again), else a new one.
    const id = pipeline.id ?? (await store.getPipelineConfigByName(pipeline.application, pipeline.name))?.id ?? newId();
    const saved = await store.savePipelineConfig(
      templated
        ? { id, application: pipeline.application, name: pipeline.name, config: { ...templated, id }, rendered: { ...pipeline.raw, id }, savedBy: caller.user }
        : { id, application: pipeline.application, name: pipeline.name, config: { ...pipeline.raw, id }, savedBy: caller.user },
      request.expectVersion === undefined ? {} : { expectVersion: request.expectVersion },
    );
    if (!saved.ok) {
      switch (saved.reason) {
        case 'conflict':
          return {
            ok: false,
            reason: 'conflict',
            message: `pipeline '${pipeline.name}' is at version ${saved.currentVersion}, not ${request.expectVersion}; reload it and save again`,
          };
        case 'name-taken':
          return {
            ok: false,
            reason: 'name-taken',
            message: `application '${pipeline.application}' already has a pipeline named '${pipeline.name}' (id ${saved.pipelineConfigId}); choose another name or save with that id`,
          };
        case 'too-large':
          return { ok: false, reason: 'too-large', message: saved.message };
        default: {
          const unreachable: never = saved;
          return unreachable;
        }
      }
    }
    await engine.publish({
      pipelineConfigId: id,
      application: pipeline.application,
      name: pipeline.name,
      version: saved.saved.version,
      definition: compiled.json,
      ...(compiled.children && compiled.children.length > 0 ? { children: compiled.children.map((child) => ({ key: child.key, definition: child.json })) } : {}),
    });
    return { ok: true, saved: saved.saved, warnings: issues };
  };

  const savePipeline: ExecutionService['savePipeline'] = (request, caller) => audited('savePipeline', caller, {}, (note) => savePipelineAs(request, caller, note));

  const deletePipeline: ExecutionService['deletePipeline'] = (request, caller) =>
    audited('deletePipeline', caller, { application: request.application, target: request.pipeline }, async (note) => {
      // Decided on the application first: no answer tells an outsider which pipelines exist.
      const denied = await access.check(caller, 'WRITE', request.application);
      if (denied) return denied;
      const version = await resolvePipeline(request.application, request.pipeline);
      if (version === undefined) {
        note.detail = 'nothing to delete';
        return { ok: true } as const;
      }
      const deleted = await store.deletePipelineConfig(version.id);
      note.detail = deleted ? `pipeline ${version.id} (version ${version.version})` : 'deleted meanwhile';
      return deleted ? ({ ok: true, deleted: version } as const) : ({ ok: true } as const);
    });

  const saveApplication: ExecutionService['saveApplication'] = (request, caller) =>
    audited('saveApplication', caller, { application: request.application.name, target: request.application.name }, async () => {
      const input = request.application;
      const existing = await store.getApplication(input.name);
      if (existing !== undefined && request.create) {
        return { ok: false, reason: 'conflict', message: `application '${existing.name}' exists already; replace it instead (PUT /applications/${existing.name})` } as const;
      }
      if (existing !== undefined && caller.admin !== true) {
        // Changing anything, the permissions included, needs WRITE under the permissions in force now.
        const decision = authorize(caller, 'WRITE', existing);
        if (!decision.ok) return decision;
      }
      const saved = await store.saveApplication(input, { expectRevision: existing?.revision ?? 0 });
      if (saved.ok) return saved;
      if (saved.reason === 'too-large') return { ok: false, reason: 'too-large', message: saved.message } as const;
      return {
        ok: false,
        reason: 'conflict',
        message: request.create && existing === undefined ? `application '${input.name}' exists already; replace it instead (PUT /applications/${input.name})` : `application '${input.name}' changed meanwhile; read it again and retry`,
      } as const;
    });

  // -------------------------------------------------------------------------------------------
  // Starting

  /** The latest version of a pipeline, by id or by name within the application. */
  const resolvePipeline = async (application: string, idOrName: string): Promise<PipelineConfigVersion | undefined> => {
    const byId = await store.getPipelineConfig(idOrName);
    if (byId && byId.application.toLowerCase() === application.toLowerCase()) return byId;
    return store.getPipelineConfigByName(application, idOrName);
  };

  /** Parses a saved version and checks it can run; the failure is the start's answer. */
  const runnable = (
    version: PipelineConfigVersion,
  ): { readonly ok: true; readonly pipeline: Pipeline } | Extract<StartPipelineResult, { ok: false }> => {
    const parsed = parsePipeline(runnableConfigOf(version));
    if (!parsed.pipeline) {
      return {
        ok: false,
        reason: 'invalid',
        message: `pipeline '${version.name}' (version ${version.version}) is no longer valid; save it again after fixing the issues`,
        issues: parsed.issues,
      };
    }
    const pipeline = parsed.pipeline;
    if (pipeline.disabled) {
      return { ok: false, reason: 'disabled', message: `pipeline '${pipeline.name}' is disabled; enable it (\"disabled\": false) to run it` };
    }
    const unrunnable = pipeline.stages.filter((stage) => !runnableTypes.includes(runnableTypeOf(stage)));
    if (unrunnable.length > 0) {
      const listed = unrunnable.map((stage) => `'${stage.name}' (refId ${stage.refId}, type ${stage.type})`).join(', ');
      return {
        ok: false,
        reason: 'invalid',
        message:
          `pipeline '${pipeline.name}' has stages Gennaker cannot run yet: ${listed}; ` +
          `stage types that run: ${[...runnableTypes].sort().join(', ')}`,
      };
    }
    return { ok: true, pipeline };
  };

  /**
   * A templated pipeline renders again at start, as in Spinnaker: when its template changed since
   * the save, the new rendering is saved as a new version (same templated document) and runs.
   */
  const rerendered = async (version: PipelineConfigVersion, caller: Caller): Promise<{ readonly ok: true; readonly version: PipelineConfigVersion } | Extract<StartPipelineResult, { ok: false }>> => {
    if (!isTemplatedPipeline(version.config) || !deps.templates) return { ok: true, version };
    const templated = await renderKept(version.config);
    const errors = templated.issues.filter((issue) => issue.severity === 'error');
    if (!templated.rendered) {
      return { ok: false, reason: 'invalid', message: `pipeline '${version.name}' cannot be rendered from its template: ${errors.map((issue) => `${issue.pointer || '/'}: ${issue.message}`).join('; ')}`, issues: templated.issues };
    }
    const rendering = { ...templated.rendered, id: version.id };
    if (version.rendered !== undefined && stableJson(rendering) === stableJson(version.rendered)) return { ok: true, version };
    const parsed = parsePipeline(rendering);
    if (!parsed.pipeline) {
      return { ok: false, reason: 'invalid', message: `pipeline '${version.name}' renders to an invalid pipeline with its template now; fix the template or the templated pipeline`, issues: renderedIssues(parsed.issues) };
    }
    const saved = await storePipeline(parsed.pipeline, parsed.issues, { config: version.config }, caller, version.config);
    if (!saved.ok) {
      return { ok: false, reason: 'invalid', message: `pipeline '${version.name}' rendered from its current template cannot be saved: ${saved.reason === 'invalid' ? saved.issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.pointer || '/'}: ${issue.message}`).join('; ') : saved.message}` };
    }
    return { ok: true, version: saved.saved };
  };

  const startPipelineAs = async (request: StartPipelineRequest, caller: Caller, note: AuditNote): Promise<StartPipelineResult> => {
    note.application = request.application;
    note.target = request.pipeline;
    // Decided on the application before the pipeline is looked up: no answer tells an outsider which pipelines exist.
    const denied = await access.check(caller, 'EXECUTE', request.application);
    if (denied) return denied;
    const version = await resolvePipeline(request.application, request.pipeline);
    if (!version) {
      return {
        ok: false,
        reason: 'not-found',
        message: `application '${request.application}' has no pipeline with id or name '${request.pipeline}'; save it first (gennaker validate checks it)`,
      };
    }
    note.target = version.name;
    const current = await rerendered(version, caller);
    if (!current.ok) return current;
    const checked = runnable(current.version);
    if (!checked.ok) return checked;
    const trigger: TriggerInput = { ...request.trigger, user: request.trigger.user ?? caller.user };

    // An idempotency key names the execution: a duplicate start finds the first.
    let executionId: string;
    const freshId = request.idempotencyKey === undefined;
    if (request.idempotencyKey !== undefined) {
      executionId = deterministicId(`${current.version.id}\u0000${request.idempotencyKey}`);
      const claim = await store.claimIdempotencyKey(`start:${current.version.id}:${request.idempotencyKey}`, executionId);
      const claimedId = claim.claimed ? executionId : claim.executionId;
      if (!claim.claimed) {
        const existing = await store.getExecution(claimedId);
        // Absent: the first start stopped between the claim and the creation; finish it now.
        if (existing) {
          note.detail = `execution ${existing.id} (duplicate)`;
          return { ok: true, executionId: existing.id, status: existing.status, duplicate: true };
        }
        executionId = claimedId;
      }
    } else {
      executionId = newId();
    }

    // Orca's checkForCorrelatedExecution: an incomplete execution with the same correlation id is returned instead.
    if (typeof trigger.correlationId === 'string' && trigger.correlationId !== '') {
      const correlated = await claimCorrelation(current.version.id, trigger.correlationId, executionId);
      if (correlated) {
        note.detail = `execution ${correlated.id} (correlated)`;
        return { ok: true, executionId: correlated.id, status: correlated.status, duplicate: true };
      }
    }

    note.detail = `execution ${executionId}`;
    return launch({ version: current.version, pipeline: checked.pipeline, trigger, executionId, freshId, caller });
  };

  const startPipeline: ExecutionService['startPipeline'] = (request, caller) => audited('startPipeline', caller, {}, (note) => startPipelineAs(request, caller, note));

  const startTriggered: ExecutionService['startTriggered'] = async (request, runAs) => {
    const resolved = await triggerCaller(runAs.runAsUser, deps.users, runAs.source);
    if (!resolved.ok) {
      const caller: Caller = { user: runAs.runAsUser ?? '[anonymous]', roles: [], source: runAs.source };
      return audited('startPipeline', caller, { application: request.application, target: request.pipeline }, async () => ({ ok: false, reason: 'forbidden', message: resolved.message }) as const);
    }
    return startPipeline(request, resolved.caller);
  };

  const startRollback: ExecutionService['startRollback'] = (request, caller) =>
    audited('startRollback', caller, { application: request.application, target: request.cluster }, async (note) => {
      const denied = await access.check(caller, 'EXECUTE', request.application);
      if (denied) return denied;
      const built = rollbackPipelineConfig(request);
      if (!built.ok) return { ok: false, reason: 'invalid', message: built.message } as const;
      const parsed = parsePipeline(built.config);
      if (!parsed.pipeline || !isOrchestration(parsed.pipeline.raw)) return { ok: false, reason: 'invalid', message: `the rollback of '${request.cluster}' cannot run: ${parsed.issues.map((issue) => issue.message).join('; ')}` } as const;
      // An orchestration is built here, not written by the caller: EXECUTE is enough to save it.
      const saved = await storePipeline(parsed.pipeline, parsed.issues, { config: built.config }, caller);
      if (!saved.ok) {
        return { ok: false, reason: 'invalid', message: saved.reason === 'invalid' ? `the rollback cannot run: ${saved.issues.map((issue) => issue.message).join('; ')}` : saved.message } as const;
      }
      return startPipelineAs({ application: saved.saved.application, pipeline: saved.saved.id, trigger: { type: 'manual', user: caller.user } }, caller, note);
    });

  /**
   * Claims the correlation id for `executionId`, or returns the incomplete execution that holds
   * it. A complete holder lets one successor claim the id again (the key chains through holders),
   * so a new correlated start after completion runs, as in Orca.
   */
  const claimCorrelation = async (pipelineConfigId: string, correlationId: string, executionId: string): Promise<ExecutionHeader | undefined> => {
    let key = `correlation:${pipelineConfigId}:${correlationId}`;
    for (let hop = 0; hop < MAX_CORRELATION_CHAIN; hop++) {
      const claim = await store.claimIdempotencyKey(key, executionId);
      if (claim.claimed || claim.executionId === executionId) return undefined;
      const holder = await store.getExecution(claim.executionId);
      if (holder && !isComplete(holder.status)) return holder;
      key = `correlation:${pipelineConfigId}:${correlationId}:after:${claim.executionId}`;
    }
    return undefined;
  };

  /** Creates the execution (restart presets applied), then passes it through the concurrency gate. */
  const launch = async (request: LaunchRequest): Promise<StartPipelineResult> => {
    const { version, pipeline, trigger, executionId, freshId } = request;
    const given = (trigger.parameters ?? {}) as JsonObject;
    const resolved = resolvePipelineParameters(pipeline, given);
    if (!resolved.ok) return { ok: false, reason: 'invalid', message: resolved.message };
    // Secret parameters: the pipeline's, plus those a parent passed its own secrets into.
    const secretNames = [...new Set([...recordedSecretParameters(trigger as JsonObject), ...secretParameterNames(pipeline)])];
    // Their values are stored only sealed: given in plaintext, or sealed already (a restart copies them).
    const secretValues = secretNames.flatMap((name) => [resolved.parameters[name], given[name]]).filter((value): value is string | number => (typeof value === 'string' || typeof value === 'number') && value !== '' && !isSealedValue(value)).map(String);
    if (secretValues.length > 0 && !deps.secrets) {
      return { ok: false, reason: 'invalid', message: `the parameter${secretNames.length > 1 ? 's' : ''} ${secretNames.map((name) => `'${name}'`).join(', ')} ${secretNames.length > 1 ? 'are' : 'is'} secret, and this installation has no key to store secrets encrypted; configure one (on AWS, a KMS key) or start without a value for ${secretNames.length > 1 ? 'them' : 'it'}` };
    }
    const artifacts = await bindExpectedArtifacts(pipeline, trigger as JsonObject, version.id);
    if (!artifacts.ok) return { ok: false, reason: 'invalid', message: artifacts.message };
    const plain = newExecutionFromPipeline(pipeline, {
      id: executionId,
      version: version.version,
      pipelineConfigId: version.id,
      // Written here, over whatever the request carried: the record of who runs it must not be forgeable.
      trigger: {
        ...trigger,
        ...artifacts.fields,
        parameters: resolved.parameters,
        authentication: authenticationFor(request.caller),
        ...(secretNames.length > 0 ? { [SECRET_PARAMETERS_FIELD]: secretNames } : {}),
      } as JsonObject,
      parameters: given,
      buildTime: clock.now(),
    });
    const sealer = createSealer(deps.secrets, pipeline.application);
    // With a key, URL credentials in the trigger (artifact references, payloads) are sealed too.
    const sealed = deps.secrets ? await sealer.protect({ trigger: plain.trigger, parameters: plain.parameters }, { sealed: secretValues }) : undefined;
    const draft = sealed ? { ...plain, trigger: sealed.trigger, parameters: sealed.parameters } : plain;
    const created = await store.createExecution({ ...draft, status: 'NOT_STARTED', ...(freshId ? { freshId } : {}) });
    if (!created.ok) {
      if (created.reason === 'too-large') return { ok: false, reason: 'invalid', message: created.message };
      // Same id: a retried start (idempotency key). Its gate may not have run: run it again, it is idempotent.
      if (created.existing.status !== 'NOT_STARTED') {
        return { ok: true, executionId, status: created.existing.status, duplicate: true };
      }
      const existing = await store.getExecution(executionId);
      if (!existing) return { ok: true, executionId, status: created.existing.status, duplicate: true };
      const status = await gate(existing);
      return { ok: true, executionId, status, duplicate: true };
    }
    let execution = created.execution;
    if (request.presets && request.presets.size > 0) execution = await applyPresets(execution, request.presets);
    const status = await gate(execution);
    return { ok: true, executionId, status, duplicate: false };
  };

  /**
   * The pipeline's expected artifacts bound for a new execution (core/deploy/expected-artifacts.ts):
   * the trigger fields to add, none when the pipeline expects nothing this trigger must bind. The
   * previous execution is read only when an expected artifact may use its artifacts.
   */
  const bindExpectedArtifacts = async (pipeline: Pipeline, given: JsonObject, pipelineConfigId: string): Promise<{ ok: true; fields: JsonObject } | { ok: false; message: string }> => {
    const expected = pipeline.expectedArtifacts as readonly JsonObject[];
    if (expected.length === 0) return { ok: true, fields: {} };
    // A pipeline trigger brings what its parent execution holds (Orca's DependentPipelineStarter: receivedArtifacts).
    const trigger = await withParentArtifacts(given);
    let prior: JsonObject[] = [];
    if (needsPriorArtifacts(expected, trigger)) {
      const latest = (await store.listExecutions({ pipelineConfigId }, { limit: 1 })).items[0];
      const execution = latest ? await store.getExecution(latest.id) : undefined;
      if (execution) prior = executionArtifacts(execution);
    }
    const bound = resolveExpectedArtifacts({ name: pipeline.name, expectedArtifacts: expected }, trigger, prior);
    if (!bound.ok) return bound;
    if (bound.value.resolvedExpectedArtifacts.length === 0) return { ok: true, fields: {} };
    return { ok: true, fields: { artifacts: bound.value.artifacts, resolvedExpectedArtifacts: bound.value.resolvedExpectedArtifacts } };
  };

  /** A `pipeline` trigger with its parent execution's artifacts added to its own (newest first, then the trigger's). */
  const withParentArtifacts = async (trigger: JsonObject): Promise<JsonObject> => {
    const parent = trigger['parentExecution'];
    const parentId = trigger['type'] === 'pipeline' && typeof parent === 'object' && parent !== null && !Array.isArray(parent) ? (parent as JsonObject)['id'] : undefined;
    if (typeof parentId !== 'string' || parentId === '') return trigger;
    const execution = await store.getExecution(parentId);
    if (!execution) return trigger;
    const own = Array.isArray(trigger['artifacts']) ? (trigger['artifacts'] as unknown[]) : [];
    return { ...trigger, artifacts: [...own, ...artifactsOfExecution(execution)] } as JsonObject;
  };

  /** A restart's kept stages: written before the execution runs, so the runner finds them complete. */
  const applyPresets = async (execution: Execution, presets: ReadonlyMap<string, StagePreset>): Promise<Execution> => {
    const stages = await Promise.all(
      execution.stages.map(async (stage) => {
        const preset = presets.get(stage.refId);
        if (!preset || stage.parentStageId !== undefined) return stage;
        const updated = await store.updateStage(execution.id, stage.id, {
          expect: ['NOT_STARTED'],
          set: {
            status: preset.status,
            context: preset.context,
            outputs: preset.outputs,
            ...(preset.startTime !== undefined ? { startTime: preset.startTime } : {}),
            ...(preset.endTime !== undefined ? { endTime: preset.endTime } : {}),
          },
        });
        return updated.ok ? updated.value : stage;
      }),
    );
    return { ...execution, stages };
  };

  /** The concurrency gate (concurrency.ts, "Start"): runs the execution or leaves it queued. Answers its status. */
  const gate = async (execution: ExecutionHeader): Promise<ExecutionStatus> => {
    const limit = concurrencyLimit(execution);
    if (limit === undefined) return run(execution);
    const acquired = await store.acquireSlot(execution.pipelineConfigId, execution.id, { limit });
    if (acquired.ok) return run(execution);
    await store.enqueueWaiting(execution.pipelineConfigId, execution.id);
    // The holder may have finished between the two calls and found the queue empty.
    const again = await store.acquireSlot(execution.pipelineConfigId, execution.id, { limit });
    if (again.ok) {
      const entry = await store.removeWaiting(execution.pipelineConfigId, execution.id);
      if (entry) return run(execution);
      // Someone else took the entry and is starting (or canceling) it with a slot of its own: give ours back.
      await store.releaseSlot(execution.pipelineConfigId, execution.id);
      await drainQueue(execution);
      return (await store.getExecution(execution.id))?.status ?? 'NOT_STARTED';
    }
    return 'NOT_STARTED';
  };

  /**
   * Starts an execution that holds its slot (or needs none): RUNNING, then the engine. When it
   * cannot become RUNNING (canceled while queued), its slot goes to the next one.
   */
  const run = async (execution: ExecutionHeader): Promise<ExecutionStatus> => {
    const startTime = clock.now();
    const marked = await store.updateExecution(execution.id, { expect: ['NOT_STARTED'], set: { status: 'RUNNING', startTime } });
    if (!marked.ok) {
      if (marked.reason === 'conflict' && marked.current === 'RUNNING') return 'RUNNING';
      if (concurrencyLimit(execution) !== undefined) await freeSlot(execution);
      return marked.reason === 'conflict' ? marked.current : 'NOT_STARTED';
    }
    await engine.startExecution({ executionId: execution.id, pipelineConfigId: execution.pipelineConfigId, version: execution.pipelineVersion });
    await bus.publish({
      type: 'Pipeline Execution Started',
      executionId: execution.id,
      application: execution.application,
      pipelineConfigId: execution.pipelineConfigId,
      pipelineName: execution.name,
      startTime,
    });
    return 'RUNNING';
  };

  // -------------------------------------------------------------------------------------------
  // Slots and the queue

  /**
   * concurrency.ts, "Finish": hands the finished execution's slot to the next waiting one
   * (canceling superseded ones), or releases it; then drains what arrived meanwhile.
   */
  const freeSlot = async (finished: ExecutionHeader): Promise<void> => {
    const limit = concurrencyLimit(finished);
    if (limit === undefined) return;
    const pipelineConfigId = finished.pipelineConfigId;
    const holders = await store.getSlotHolders(pipelineConfigId);
    const heldSlot = holders.some((holder) => holder.executionId === finished.id);
    const others = holders.filter((holder) => holder.executionId !== finished.id).length;
    const waiting = await store.listWaiting(pipelineConfigId);
    const plan = planSlotFreed(waiting, finished, Math.max(0, limit - others));
    await cancelSuperseded(plan.cancel);
    let handedOver = !heldSlot;
    for (const entry of plan.start) {
      const taken = await store.removeWaiting(pipelineConfigId, entry.executionId);
      if (!taken) continue;
      let holds = false;
      if (!handedOver) {
        const transferred = await store.transferSlot(pipelineConfigId, finished.id, entry.executionId);
        handedOver = true;
        holds = transferred.ok;
      }
      if (!holds) holds = (await store.acquireSlot(pipelineConfigId, entry.executionId, { limit })).ok;
      if (!holds) {
        // Every slot is taken after all: back to the queue (its position is lost, which only a race can cause).
        await store.enqueueWaiting(pipelineConfigId, entry.executionId);
        continue;
      }
      await startQueued(entry);
    }
    if (!handedOver) await store.releaseSlot(pipelineConfigId, finished.id);
    await drainQueue(finished);
  };

  /**
   * Starts waiting executions while slots are free. Closes the protocol's last gap: a start that
   * enqueued and re-checked while our slot was still held, after we had read the queue.
   */
  const drainQueue = async (settings: ConcurrencySettings & { readonly pipelineConfigId: string }): Promise<void> => {
    const limit = concurrencyLimit(settings);
    if (limit === undefined) return;
    const pipelineConfigId = settings.pipelineConfigId;
    for (let round = 0; round < 100; round++) {
      const waiting = await store.listWaiting(pipelineConfigId);
      if (waiting.length === 0) return;
      const holders = await store.getSlotHolders(pipelineConfigId);
      const free = limit - holders.length;
      if (free < 1) return;
      const plan = planSlotFreed(waiting, settings, free);
      await cancelSuperseded(plan.cancel);
      let progressed = plan.cancel.length > 0;
      for (const entry of plan.start) {
        const acquired = await store.acquireSlot(pipelineConfigId, entry.executionId, { limit });
        if (!acquired.ok) return;
        const taken = await store.removeWaiting(pipelineConfigId, entry.executionId);
        if (!taken) {
          await store.releaseSlot(pipelineConfigId, entry.executionId);
          continue;
        }
        progressed = true;
        await startQueued(entry);
      }
      if (!progressed) return;
    }
  };

  /** Runs a queued execution whose entry and slot the caller holds. */
  const startQueued = async (entry: WaitingEntry): Promise<void> => {
    const execution = await store.getExecution(entry.executionId);
    if (!execution) {
      await store.releaseSlot(entry.pipelineConfigId, entry.executionId);
      return;
    }
    await run(execution);
  };

  /** Orca's StartWaitingExecutionsHandler with purgeQueue: older waiting executions are canceled as superseded. */
  const cancelSuperseded = async (entries: readonly WaitingEntry[]): Promise<void> => {
    for (const entry of entries) {
      const taken = await store.removeWaiting(entry.pipelineConfigId, entry.executionId);
      if (!taken) continue;
      await cancelNotStarted(entry.executionId, SUPERSEDED_CANCELED_BY, SUPERSEDED_CANCELLATION_REASON);
    }
  };

  /** A queued execution that will never run: CANCELED, and the world is told it completed. */
  const cancelNotStarted = async (executionId: string, canceledBy: string, reason: string): Promise<boolean> => {
    const endTime = clock.now();
    const updated = await store.updateExecution(executionId, {
      expect: ['NOT_STARTED'],
      set: { status: 'CANCELED', canceled: true, canceledBy, cancellationReason: reason, endTime },
    });
    if (!updated.ok) return false;
    await publishCompleted(updated.value);
    return true;
  };

  const publishCompleted = async (header: ExecutionHeader): Promise<void> => {
    await bus.publish({
      type: 'Pipeline Execution Completed',
      executionId: header.id,
      application: header.application,
      pipelineConfigId: header.pipelineConfigId,
      pipelineName: header.name,
      status: header.status,
      endTime: header.endTime ?? clock.now(),
    });
  };

  // -------------------------------------------------------------------------------------------
  // Commands on executions

  /** The execution a command names, once the caller is known to hold `permission` on its application. */
  const executionFor = async (executionId: string, caller: Caller, permission: 'READ' | 'EXECUTE' | 'WRITE', note: AuditNote): Promise<Execution | CommandResult> => {
    note.target = executionId;
    const execution = await store.getExecution(executionId);
    if (!execution) return notFound(executionId);
    note.application = execution.application;
    const denied = await access.check(caller, permission, execution.application);
    return denied ?? execution;
  };

  const deleteExecution: ExecutionService['deleteExecution'] = (executionId, caller) =>
    audited('deleteExecution', caller, {}, async (note) => {
      const execution = await executionFor(executionId, caller, 'WRITE', note);
      if (!('stages' in execution)) return execution;
      const deleted = await store.deleteExecution(executionId);
      if (deleted.ok) return { ok: true } as const;
      if (deleted.reason === 'not-found') return notFound(executionId);
      return { ok: false, reason: 'conflict', message: `execution '${executionId}' is ${deleted.current}; only a complete execution can be deleted, so cancel it first (PUT /pipelines/${executionId}/cancel)` } as const;
    });

  const cancelExecution: ExecutionService['cancelExecution'] = (executionId, caller, options = {}) => audited('cancelExecution', caller, {}, (note) => cancelAs(executionId, caller, options, note));

  const cancelAs = async (executionId: string, caller: Caller, options: { readonly reason?: string }, note: AuditNote): Promise<CommandResult> => {
    const execution = await executionFor(executionId, caller, 'EXECUTE', note);
    if (!('stages' in execution)) return execution;
    const reason = options.reason ?? `canceled by ${caller.user}`;
    for (let attempt = 0; attempt < CONTEXT_WRITE_ATTEMPTS; attempt++) {
      const current = attempt === 0 ? execution : await store.getExecution(executionId);
      if (!current) return notFound(executionId);
      if (isComplete(current.status)) {
        return { ok: false, reason: 'conflict', message: `execution ${executionId} is already ${current.status}; there is nothing to cancel` };
      }
      if (current.status === 'NOT_STARTED') {
        // Queued (or about to start): whoever removes the entry decides its fate.
        await store.removeWaiting(current.pipelineConfigId, executionId);
        if (await cancelNotStarted(executionId, caller.user, reason)) return { ok: true };
        continue;
      }
      const updated = await store.updateExecution(executionId, {
        expect: [current.status],
        set: { status: 'CANCELED', canceled: true, canceledBy: caller.user, cancellationReason: reason, endTime: clock.now() },
      });
      if (!updated.ok) continue;
      // The run's end (ABORTED) closes the stages and frees the slot through handleRunEnded.
      await engine.stopExecution(executionId, { cause: `canceled by ${caller.user}: ${reason}` });
      return { ok: true };
    }
    return { ok: false, reason: 'conflict', message: `execution ${executionId} kept changing while it was being canceled; try again` };
  };

  /** A stage by id, or by refId for people typing it (`--judge 4=continue`). */
  const findStage = (execution: Execution, stageId: string): StageRecord | undefined =>
    execution.stages.find((stage) => stage.id === stageId) ??
    execution.stages.find((stage) => stage.refId === stageId && stage.parentStageId === undefined);

  const judgeStage: ExecutionService['judgeStage'] = (executionId, stageId, judgment, caller) =>
    audited('judgeStage', caller, {}, (note) => judgeAs(executionId, stageId, judgment, caller, note));

  const judgeAs = async (executionId: string, stageId: string, judgment: JudgmentRequest, caller: Caller, note: AuditNote): Promise<CommandResult> => {
    const execution = await executionFor(executionId, caller, 'EXECUTE', note);
    if (!('stages' in execution)) return execution;
    note.target = `${executionId} stage ${stageId} (${judgment.judgmentStatus})`;
    const stage = findStage(execution, stageId);
    if (!stage) return stageNotFound(execution, stageId);
    if (stage.type !== 'manualJudgment') {
      return { ok: false, reason: 'invalid', message: `stage '${stage.name}' is a ${stage.type} stage, not a manual judgment` };
    }
    if (stage.status !== 'RUNNING' || !stage.awaitingCallback) {
      return {
        ok: false,
        reason: 'conflict',
        message: isComplete(stage.status)
          ? `stage '${stage.name}' was already judged or ended (${stage.status})`
          : `stage '${stage.name}' is not waiting for a judgment (status ${stage.status})`,
      };
    }
    const version = await store.getPipelineConfig(execution.pipelineConfigId, execution.pipelineVersion);
    const definition = version ? parsePipeline(runnableConfigOf(version)).pipeline?.stages.find((candidate) => candidate.refId === stage.refId) : undefined;
    if (!definition || definition.type !== 'manualJudgment') {
      return { ok: false, reason: 'not-found', message: `version ${execution.pipelineVersion} of pipeline '${execution.name}' no longer has stage '${stage.name}'` };
    }
    const applied = applyJudgment(definition, {
      judgmentStatus: judgment.judgmentStatus,
      ...(judgment.judgmentInput !== undefined ? { judgmentInput: judgment.judgmentInput } : {}),
      user: caller.user,
      roles: caller.roles,
      ...(caller.admin === true ? { admin: true } : {}),
    });
    if (!applied.ok) return { ok: false, reason: applied.reason, message: applied.message };
    // The revision check makes exactly one of two concurrent judgments win.
    const written = await store.updateStage(executionId, stage.id, {
      expect: ['RUNNING'],
      expectRevision: stage.revision,
      set: {
        context: { ...stage.context, ...applied.context },
        ...(applied.status !== undefined ? { status: applied.status, endTime: clock.now() } : {}),
      },
    });
    if (!written.ok) return { ok: false, reason: written.reason === 'not-found' ? 'not-found' : 'conflict', message: `stage '${stage.name}' was judged or changed meanwhile; reload it` };
    const token = await store.takeTaskToken(executionId, stage.id);
    if (!token) return { ok: false, reason: 'conflict', message: `stage '${stage.name}' was already judged` };
    try {
      await engine.sendTaskSuccess(token.token, applied.answer);
    } catch (error) {
      if (isTaskGone(error)) {
        return { ok: false, reason: 'conflict', message: `the run of execution ${executionId} no longer waits for stage '${stage.name}' (it ended or timed out)` };
      }
      throw error;
    }
    if (definition.notifications.length > 0) {
      // The judgment is the stage's last transition the runner never sees: the notifier hears it from here.
      const phases: StagePhase[] = [applied.context.judgmentStatus === 'continue' ? 'manualJudgmentContinue' : 'manualJudgmentStop'];
      if (applied.status !== undefined) phases.push(stagePhaseOf(applied.status));
      for (const phase of phases) {
        try {
          await bus.publish({
            type: 'Stage Execution Changed',
            executionId,
            application: execution.application,
            pipelineConfigId: execution.pipelineConfigId,
            pipelineName: execution.name,
            stageId: stage.id,
            stageRefId: stage.refId,
            stageName: stage.name,
            phase,
            status: applied.status ?? 'RUNNING',
            time: clock.now(),
          });
        } catch {
          // The judgment stands; only its notifications are lost.
        }
      }
    }
    return { ok: true };
  };

  const skipWait: ExecutionService['skipWait'] = (executionId, stageId, caller) => audited('skipWait', caller, {}, (note) => skipWaitAs(executionId, stageId, caller, note));

  const skipWaitAs = async (executionId: string, stageId: string, caller: Caller, note: AuditNote): Promise<CommandResult> => {
    for (let attempt = 0; attempt < CONTEXT_WRITE_ATTEMPTS; attempt++) {
      const execution = await executionFor(executionId, caller, 'EXECUTE', note);
      if (!('stages' in execution)) return execution;
      note.target = `${executionId} stage ${stageId}`;
      const stage = findStage(execution, stageId);
      if (!stage) return stageNotFound(execution, stageId);
      if (stage.type !== 'wait') return { ok: false, reason: 'invalid', message: `stage '${stage.name}' is a ${stage.type} stage; only wait stages can skip their wait` };
      if (stage.status !== 'RUNNING') {
        return { ok: false, reason: 'conflict', message: `stage '${stage.name}' is not waiting (status ${stage.status})` };
      }
      const written = await store.updateStage(executionId, stage.id, {
        expect: ['RUNNING'],
        expectRevision: stage.revision,
        set: { context: { ...stage.context, skipRemainingWait: true } },
      });
      if (written.ok) return { ok: true };
      if (written.reason === 'too-large') return { ok: false, reason: 'invalid', message: written.message };
    }
    return { ok: false, reason: 'conflict', message: `stage ${stageId} kept changing; try again` };
  };

  const restartStage: ExecutionService['restartStage'] = (executionId, stageId, caller) =>
    audited('restartStage', caller, {}, (note) => restartStageAs(executionId, stageId, caller, note));

  const restartStageAs = async (executionId: string, stageId: string, caller: Caller, note: AuditNote): Promise<StartPipelineResult> => {
    const original = await executionFor(executionId, caller, 'EXECUTE', note);
    if (!('stages' in original)) {
      return original.ok ? { ok: false, reason: 'invalid', message: `execution ${executionId} cannot be restarted` } : { ok: false, reason: original.reason === 'conflict' ? 'invalid' : original.reason, message: original.message };
    }
    note.target = `${executionId} stage ${stageId}`;
    const stage = findStage(original, stageId);
    if (!stage) return { ok: false, reason: 'not-found', message: stageNotFound(original, stageId).message };
    if (!isComplete(original.status)) {
      return {
        ok: false,
        reason: 'invalid',
        message: `execution ${executionId} is still ${original.status}; cancel it (or wait for it to end) before restarting a stage`,
      };
    }
    const version = await store.getPipelineConfig(original.pipelineConfigId, original.pipelineVersion);
    if (!version) {
      return { ok: false, reason: 'not-found', message: `version ${original.pipelineVersion} of pipeline '${original.name}' no longer exists` };
    }
    const checked = runnable(version);
    if (!checked.ok) return checked;

    const rerun = downstreamOf(original.stages, stage.refId);
    const presets = new Map<string, StagePreset>();
    for (const kept of original.stages) {
      if (kept.parentStageId !== undefined || rerun.has(kept.refId) || !KEPT_ON_RESTART.has(kept.status)) continue;
      presets.set(kept.refId, {
        status: kept.status,
        context: kept.context,
        outputs: kept.outputs,
        ...(kept.startTime !== undefined ? { startTime: kept.startTime } : {}),
        ...(kept.endTime !== undefined ? { endTime: kept.endTime } : {}),
      });
    }
    const trigger: TriggerInput = {
      ...(original.trigger as TriggerInput),
      parameters: (original.trigger['parameters'] as Record<string, unknown> | undefined) ?? original.parameters,
      restartedFrom: { executionId, stageId: stage.id, refId: stage.refId, restartedBy: caller.user },
    };
    const restartId = newId();
    note.detail = `execution ${restartId}`;
    return launch({ version, pipeline: checked.pipeline, trigger, executionId: restartId, freshId: true, presets, caller });
  };

  const restartExecution: GennakerExecutionService['restartExecution'] = (executionId, caller) =>
    audited('restartExecution', caller, { target: executionId }, async (note) => {
      const original = await store.getExecution(executionId);
      if (!original) return { ok: false, reason: 'not-found', message: `there is no execution ${executionId}` } as const;
      const first = original.stages.find((stage) => stage.parentStageId === undefined && !KEPT_ON_RESTART.has(stage.status));
      if (!first) {
        note.application = original.application;
        const denied = await access.check(caller, 'EXECUTE', original.application);
        if (denied) return denied;
        return { ok: false, reason: 'invalid', message: `every stage of execution ${executionId} succeeded; start the pipeline again instead` } as const;
      }
      return restartStageAs(executionId, first.id, caller, note);
    });

  // -------------------------------------------------------------------------------------------
  // Reconciling

  const handleRunEnded: ExecutionService['handleRunEnded'] = async (event: EngineRunEnded) => {
    const execution = await store.getExecution(event.executionId);
    if (!execution) return;
    let header: ExecutionHeader = execution;
    const brokeOff = !isComplete(execution.status);
    if (brokeOff) {
      const closed = await closeExecution(execution, event);
      if (closed) header = closed;
    }
    // A run that broke off (failed, timed out) fails the stage it was in; anything else was canceled under it.
    const failedRun = brokeOff && (event.outcome === 'FAILED' || event.outcome === 'TIMED_OUT');
    await closeStages(execution, failedRun ? 'TERMINAL' : 'CANCELED');
    await freeSlot(header);
    const final = (await store.getExecution(event.executionId)) ?? header;
    if ((final.status === 'TERMINAL' || final.status === 'CANCELED') && event.error !== INTERRUPTED_RUN_ERROR) await Promise.all([stopJobs(execution), stopBuilds(execution)]);
    if (isComplete(final.status)) await publishCompleted(final);
  };

  /** Nothing waits for the jobs of an execution that failed or was canceled: stop those still running. */
  const stopJobs = async (execution: Execution): Promise<void> => {
    const { jobs } = deps;
    if (!jobs) return;
    const ids = new Set<string>();
    for (const stage of execution.stages) {
      if (stage.type !== 'runJob') continue;
      ids.add(jobIdFor(execution.id, stage.id, RUN_JOB_TASK));
      // A restarted stage may run the job it continued under that job's id.
      if (typeof stage.context['jobId'] === 'string') ids.add(stage.context['jobId']);
    }
    await Promise.all([...ids].map((id) => jobs.cancelJob(id)));
  };

  /** Nothing waits for the builds of an execution that failed or was canceled: stop those its stages were running. */
  const stopBuilds = async (execution: Execution): Promise<void> => {
    const { builds } = deps;
    if (!builds) return;
    const running = execution.stages.flatMap((stage) => {
      const info = stage.context['buildInfo'];
      const account = stage.context['account'];
      if (stage.type !== 'awsCodeBuild' || typeof account !== 'string' || typeof info !== 'object' || info === null || Array.isArray(info)) return [];
      const { arn, id, status } = info as JsonObject;
      // The region is the build ARN's: arn:aws:codebuild:<region>:<account id>:build/<id>.
      const region = typeof arn === 'string' ? arn.split(':')[3] : undefined;
      return status === 'IN_PROGRESS' && typeof id === 'string' && region ? [{ account, region, id }] : [];
    });
    await Promise.all(running.map(async ({ account, region, id }) => builds(account)?.stop({ account, region }, id)));
  };

  /** The header of a run that ended without the runner's completion: the outcome decides. */
  const closeExecution = async (execution: Execution, event: EngineRunEnded): Promise<ExecutionHeader | undefined> => {
    const endTime = clock.now();
    const set = ((): Parameters<ExecutionStore['updateExecution']>[1]['set'] => {
      switch (event.outcome) {
        case 'ABORTED':
          return {
            status: 'CANCELED',
            canceled: true,
            canceledBy: SYSTEM_USER,
            cancellationReason: 'the state machine run was stopped outside Gennaker',
            endTime,
          };
        case 'FAILED':
        case 'TIMED_OUT': {
          const detail = [event.error, event.cause].filter((part) => part !== undefined && part !== '').join(': ');
          return {
            status: 'TERMINAL',
            cancellationReason: `the state machine run ended ${event.outcome}${detail ? ` (${detail.slice(0, 1000)})` : ''}`,
            endTime,
          };
        }
        case 'SUCCEEDED': {
          // The completion writes the header; reaching here means it did not. Judge by the stages.
          const succeeded = execution.stages.every((stage) => KEPT_ON_RESTART.has(stage.status) || stage.status === 'FAILED_CONTINUE');
          return succeeded ? { status: 'SUCCEEDED', endTime } : { status: 'TERMINAL', endTime };
        }
        default: {
          const unreachable: never = event.outcome;
          throw new Error(`unknown engine outcome ${String(unreachable)}`);
        }
      }
    })();
    const updated = await store.updateExecution(execution.id, { expect: [execution.status], set });
    return updated.ok ? updated.value : undefined;
  };

  /** Stages a run left in flight can never finish now. */
  const closeStages = async (execution: Execution, status: ExecutionStatus): Promise<void> => {
    const endTime = clock.now();
    await Promise.all(
      execution.stages
        .filter((stage) => STAGE_IN_FLIGHT.includes(stage.status))
        .map(async (stage) => {
          await store.updateStage(execution.id, stage.id, { expect: STAGE_IN_FLIGHT, set: { status, endTime } });
          if (stage.awaitingCallback) await store.takeTaskToken(execution.id, stage.id);
        }),
    );
  };

  // -------------------------------------------------------------------------------------------
  // Child pipelines (the `pipeline` stage)

  const startChild = async (request: StartChildRequest): Promise<StartChildResult> => {
    const parent = await store.getExecution(request.parentExecutionId);
    const parentStage = parent?.stages.find((stage) => stage.id === request.parentStageId);
    // The parent's secrets stay secret in the child: its trigger is embedded redacted, and a parameter given a secret is secret.
    const opened = parent ? await createSealer(deps.secrets, parent.application).open(parent) : undefined;
    const parentSecrets = new Set(opened ? [...opened.secrets, ...secretValuesOf(opened.value)] : []);
    const inheritedSecrets = Object.entries(request.parameters)
      .filter(([, value]) => (typeof value === 'string' || typeof value === 'number') && parentSecrets.has(String(value)))
      .map(([name]) => name);
    const trigger: TriggerInput = {
      type: 'pipeline',
      ...(request.user !== undefined ? { user: request.user } : {}),
      parameters: request.parameters,
      ...(inheritedSecrets.length > 0 ? { [SECRET_PARAMETERS_FIELD]: inheritedSecrets } : {}),
      parentExecution: parent
        ? {
            id: parent.id,
            type: 'PIPELINE',
            application: parent.application,
            name: parent.name,
            pipelineConfigId: parent.pipelineConfigId,
            status: parent.status,
            buildTime: parent.buildTime,
            trigger: redactExecution(parent).trigger,
          }
        : { id: request.parentExecutionId },
      parentPipelineId: request.parentExecutionId,
      parentPipelineStageId: request.parentStageId,
      ...(parentStage ? { parentPipelineStageName: parentStage.name } : {}),
      ...(parent ? { parentPipelineName: parent.name, parentPipelineApplication: parent.application, parentStatus: parent.status } : {}),
    };
    // The child runs as whoever runs the parent, with their roles.
    const runsAs = authenticationOf(parent?.trigger);
    const caller: Caller = { ...(runsAs ?? { user: request.user ?? SYSTEM_USER, roles: [] }), source: `pipeline-stage:${request.parentExecutionId}` };
    const started = await startPipeline(
      {
        application: request.application,
        pipeline: request.pipeline,
        trigger,
        // A retried stage task must not start a second child.
        idempotencyKey: `child:${request.parentExecutionId}:${request.parentStageId}`,
      },
      caller,
    );
    return started.ok ? { ok: true, executionId: started.executionId } : { ok: false, message: started.message };
  };

  return {
    savePipeline,
    deletePipeline,
    saveApplication,
    startPipeline,
    startTriggered,
    startRollback,
    cancelExecution,
    deleteExecution,
    judgeStage,
    skipWait,
    restartStage,
    restartExecution,
    handleRunEnded,
    start: startChild,
  };
}

/** The refIds of `refId` and every stage downstream of it. */
function downstreamOf(stages: readonly StageRecord[], refId: string): ReadonlySet<string> {
  const children = new Map<string, string[]>();
  for (const stage of stages) {
    for (const parent of stage.requisiteStageRefIds) children.set(parent, [...(children.get(parent) ?? []), stage.refId]);
  }
  const found = new Set<string>([refId]);
  const queue = [refId];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (!found.has(child)) {
        found.add(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function notFound(executionId: string): CommandResult {
  return { ok: false, reason: 'not-found', message: `there is no execution ${executionId}` };
}

function stageNotFound(execution: Execution, stageId: string): { ok: false; reason: 'not-found'; message: string } {
  const known = execution.stages.map((stage) => `${stage.refId} '${stage.name}'`).join(', ');
  return { ok: false, reason: 'not-found', message: `execution ${execution.id} has no stage '${stageId}' (its stages: ${known})` };
}

