/**
 * The cloud composition root (STYLE §6), shared part: the only place a Lambda reads
 * `process.env` and builds SDK clients — once per cold start, memoized. It wires the same core
 * the local runtime wires (local/wiring.ts), with AWS adapters: the DynamoDB store, the Step
 * Functions engine, the EventBridge bus and the execution service over them.
 *
 * Each function's bundle holds only what its handler uses, so what only some functions need is
 * wired beside this file and imported by those handlers alone:
 * - functions/publishing-wiring.ts: EventBridge Scheduler for cron triggers (the API and the
 *   publisher, which save and publish pipelines);
 * - functions/stage-runner-wiring.ts: the stage runner with every stage task, the expression
 *   language and the webhook HTTP client (the stage runner function).
 * The reconciler and the trigger router use this runtime as it is.
 *
 * Environment (read once; a missing or malformed value fails the cold start with its name):
 * - `TABLE_NAME`: the state table (every function).
 * - `AWS_REGION`: set by Lambda; the Region of the state machines.
 * - `STAGE_RUNNER_ARN`: the stage runner function's ARN, substituted for
 *   `${StageRunnerFunctionArn}` in every published definition.
 * - `STATE_MACHINE_ROLE_ARN`: the role pipeline state machines run under (its account and
 *   partition also address the state machines).
 * - `STATE_MACHINE_NAME_PREFIX`: state machines are named `<prefix>-<pipelineConfigId>`. @default 'gennaker'
 * - `EVENT_BUS_NAME`: Gennaker's custom bus (`Pipeline Execution Completed`, source `gennaker`).
 * - `WEBHOOK_ALLOWLIST`: comma-separated URL patterns webhook stages may call
 *   (adapters/http/url-allowlist.ts); absent or empty: webhooks may call nothing.
 * - `SCHEDULE_GROUP_NAME`, `SCHEDULER_ROLE_ARN`, `TRIGGER_ROUTER_ARN`: the Scheduler group cron
 *   triggers' schedules live in, the role Scheduler invokes with, and what it invokes (the API
 *   and the publisher, which save and publish pipelines).
 * - `ACCOUNTS`: the deploy accounts, the CDK context `accounts` as JSON: `{"<name>": "<role ARN>"}`
 *   or `{"<name>": {"assumeRole", "externalId"?, "regions"?, "cloudProvider"?: "aws" | "ecs"}}`
 *   (core/accounts/accounts-file.ts), each acting through its role, in this Region unless it lists
 *   regions; absent: no accounts, a pipeline naming one is refused at save, and deploy stages
 *   are refused at start. With accounts, the stage runner deploys to them
 *   (functions/stage-runner-wiring.ts) and every function lets pipelines with deploy stages start.
 * - `ARTIFACT_ACCOUNTS`: the CDK context `artifactAccounts` as JSON (core/accounts/artifact-accounts-file.ts,
 *   checked at synthesis): the s3 artifact accounts the stage runner reads `s3/object` artifacts
 *   through (functions/artifact-accounts.ts, parsing them on the first artifact read).
 * - `PRECONFIGURED_WEBHOOKS`: the named webhooks pipeline stages may name by type, as JSON (the
 *   CDK context `preconfiguredWebhooks`); a malformed value fails the cold start with its problems.
 * - `NOTIFICATION_SETTINGS`: the CDK context `notifications` as JSON (core/notifications/settings.ts,
 *   checked at synthesis): the API lists the notification types they let the notifier send
 *   (`GET /notifications/metadata`), parsing them when that is first asked.
 * - `SECRETS_KEY_ARN`: the KMS key that seals secret values at rest (secret parameters, secret
 *   headers, job environments: core/execution/sealing.ts), by envelope encryption
 *   (adapters/crypto/kms-cipher.ts); absent: a start with a secret parameter value is refused.
 * - `SECRETS_PREFIX`: the part of Secrets Manager `${#secret('name')}` reads in the stage runner:
 *   the secret `<prefix><name>`. @default 'gennaker/'
 * - `PUBLISHER_FUNCTION_NAME`: the publisher function, which the stage runner asks for the ARN to
 *   start a child pipeline's version on when that version is not live (the stage runner may not
 *   publish). The API publishes inline when a pipeline is saved (the save waits at most 20 s for
 *   a throttled control plane, then defers: the first start of that version publishes it); the
 *   publisher function republishes on request. Read by the stage runner only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createDynamoDbExecutionStore } from '../adapters/dynamodb/dynamodb-execution-store.ts';
import { createDynamoDbCanaryConfigStore } from '../adapters/dynamodb/canary-configs.ts';
import { createDynamoDbPipelineTemplateStore } from '../adapters/dynamodb/pipeline-templates.ts';
import type { PipelineTemplateStore } from '../core/ports/pipeline-template-store.ts';
import { isTemplatedPipeline, renderedIssues } from '../core/pipeline/templates/model.ts';
import { createDynamoDbAuditLog } from '../adapters/dynamodb/audit-log.ts';
import { createDynamoDbUserDirectory } from '../adapters/dynamodb/users.ts';
import type { AuditEntry, AuditLog } from '../core/ports/audit-log.ts';
import type { UserDirectory } from '../core/ports/user-directory.ts';
import type { CanaryConfigStore } from '../core/ports/canary-config-store.ts';
import { createEventBridgeBus } from '../adapters/eventbridge/event-bus.ts';
import { createStepFunctionsEngine, type SfnClient, type StepFunctionsEngine } from '../adapters/stepfunctions/step-functions-engine.ts';
import { createExecutionService, type GennakerExecutionService, type PipelineCompiler } from '../core/execution/execution-service.ts';
import { AWS_ACCOUNT_KINDS, parseAccountRoles } from '../core/accounts/accounts-file.ts';
import { createAccountRegistry } from '../core/accounts/registry.ts';
import { createUlidGenerator } from '../core/execution/ids.ts';
import { DEPLOY_TARGET_STAGE_TYPES, METRIC_STAGE_TYPES, RUNNABLE_STAGE_TYPES } from '../core/execution/runnable-stage-types.ts';
import type { Account, AccountRegistry } from '../core/ports/accounts.ts';
import type { ClusterFieldChecks } from '../core/ports/cluster-checks.ts';
import type { ClusterCheckLookup } from '../core/ports/target.ts';
import { GennakerError } from '../core/errors.ts';
import { formatIssue, type ValidationIssue } from '../core/issues.ts';
import { parsePipeline } from '../core/pipeline/parse.ts';
import type { Pipeline } from '../core/pipeline/model.ts';
import { parsePreconfiguredWebhooks, type PreconfiguredWebhook } from '../core/pipeline/preconfigured-webhooks.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { SecretCipher } from '../core/ports/secret-cipher.ts';
import type { SecretStore } from '../core/ports/secret-store.ts';
import type { EventBus } from '../core/ports/event-bus.ts';
import { runnableConfigOf, type ExecutionStore } from '../core/ports/execution-store.ts';
import type { PublishRequest, StateMachineEngine } from '../core/ports/state-machine-engine.ts';
import { compilePipeline } from '../statemachines/index.ts';
import { bodyLimitsFromEnv } from './api/bounded-input.ts';

export interface SchedulerEnvironment {
  readonly groupName: string;
  readonly roleArn: string;
  readonly targetArn: string;
}

export interface CloudEnvironment {
  readonly tableName: string;
  readonly region: string;
  readonly stageRunnerArn: string;
  readonly stateMachineRoleArn: string;
  readonly namePrefix: string;
  readonly eventBusName: string;
  readonly webhookAllowlist: readonly string[];
  /** `MAX_WEBHOOK_BYTES`, `MAX_CONFIG_BYTES`: the API's request body limits, when set (functions/api/input-limits.ts has the defaults). */
  readonly bodyLimits?: { readonly webhookBytes?: number; readonly configBytes?: number };
  /** The accounts pipelines may deploy to (`ACCOUNTS`). */
  readonly accounts: readonly Account[];
  /** `PUBLISHER_FUNCTION_NAME`, when set. */
  readonly publisherFunctionName?: string;
  /** `PRECONFIGURED_WEBHOOKS`: the named webhooks pipeline stages may name by type (the API expands them at save). */
  readonly preconfiguredWebhooks?: readonly PreconfiguredWebhook[];
  /** `ARTIFACT_ACCOUNTS`: the CDK context `artifactAccounts` as JSON, checked at synthesis; the stage runner parses it on its first artifact read. @default none */
  readonly artifactAccounts?: string;
  /** `NOTIFICATION_SETTINGS`: the CDK context `notifications` as JSON, checked at synthesis; the API lists the notification types they let the notifier send. @default none */
  readonly notificationSettings?: string;
  /** `SECRETS_KEY_ARN`: the KMS key secret values are sealed with, when set. */
  readonly secretsKeyId?: string;
  /** `SECRETS_PREFIX`: `${#secret('name')}` reads the Secrets Manager secret `<prefix><name>`. @default 'gennaker/' */
  readonly secretsPrefix?: string;
  /** Present when the function saves or publishes pipelines. */
  readonly scheduler?: SchedulerEnvironment;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set: it must hold ${what}`);
  return value;
}

/** `bodyLimits` when MAX_WEBHOOK_BYTES or MAX_CONFIG_BYTES is set. */
function bodyLimitsSetting(env: Env): { bodyLimits?: { webhookBytes?: number; configBytes?: number } } {
  const limits = bodyLimitsFromEnv(env, '');
  return Object.keys(limits).length > 0 ? { bodyLimits: limits } : {};
}

/** `preconfiguredWebhooks` when PRECONFIGURED_WEBHOOKS is set (the CDK context `preconfiguredWebhooks` as JSON). */
function preconfiguredWebhooksSetting(env: Env): { preconfiguredWebhooks?: readonly PreconfiguredWebhook[] } {
  const text = env.PRECONFIGURED_WEBHOOKS?.trim();
  if (!text) return {};
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`PRECONFIGURED_WEBHOOKS is not JSON (${(error as Error).message}); it holds the CDK context 'preconfiguredWebhooks'`);
  }
  const parsed = parsePreconfiguredWebhooks(document, 'PRECONFIGURED_WEBHOOKS');
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return { preconfiguredWebhooks: parsed.webhooks };
}

/** `secretsPrefix` when SECRETS_PREFIX is set; a prefix Secrets Manager names cannot hold is refused. */
function secretsPrefixSetting(env: Env): { secretsPrefix?: string } {
  const prefix = env.SECRETS_PREFIX?.trim();
  if (prefix === undefined || prefix === '') return {};
  if (!/^[A-Za-z0-9/_+=.@-]{1,256}$/.test(prefix)) throw new Error(`SECRETS_PREFIX '${prefix}' must be 1-256 of the characters A-Z a-z 0-9 / _ + = . @ - (a Secrets Manager name prefix, e.g. gennaker/)`);
  return { secretsPrefix: prefix };
}

/** Reads the environment, naming what is missing; with `scheduler`, the Scheduler settings are required too. */
export function readEnvironment(env: Env, options: { readonly scheduler?: boolean } = {}): CloudEnvironment {
  const namePrefix = env.STATE_MACHINE_NAME_PREFIX?.trim() || 'gennaker';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(namePrefix)) {
    throw new Error(`STATE_MACHINE_NAME_PREFIX '${namePrefix}' must be 1-40 letters, digits, '-' or '_'`);
  }
  const region = required(env, 'AWS_REGION', 'the Region (Lambda sets it)');
  const accounts = env.ACCOUNTS?.trim() ? parseAccountRoles(env.ACCOUNTS, region) : { accounts: [], issues: [] };
  if (accounts.issues.length > 0) {
    throw new Error(`ACCOUNTS must hold JSON {"<account name>": "<role ARN>" or {"assumeRole": ...}} (the CDK context 'accounts'): ${accounts.issues.map(formatIssue).join('; ')}`);
  }
  return {
    tableName: required(env, 'TABLE_NAME', 'the name of the state table'),
    region,
    stageRunnerArn: required(env, 'STAGE_RUNNER_ARN', "the stage runner function's ARN"),
    stateMachineRoleArn: required(env, 'STATE_MACHINE_ROLE_ARN', 'the ARN of the role pipeline state machines run under'),
    namePrefix,
    eventBusName: required(env, 'EVENT_BUS_NAME', "the name of Gennaker's EventBridge bus"),
    webhookAllowlist: (env.WEBHOOK_ALLOWLIST ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''),
    ...bodyLimitsSetting(env),
    accounts: accounts.accounts,
    ...(env.PUBLISHER_FUNCTION_NAME?.trim() ? { publisherFunctionName: env.PUBLISHER_FUNCTION_NAME.trim() } : {}),
    ...(env.SECRETS_KEY_ARN?.trim() ? { secretsKeyId: env.SECRETS_KEY_ARN.trim() } : {}),
    ...preconfiguredWebhooksSetting(env),
    ...(env.NOTIFICATION_SETTINGS?.trim() ? { notificationSettings: env.NOTIFICATION_SETTINGS.trim() } : {}),
    ...(env.ARTIFACT_ACCOUNTS?.trim() ? { artifactAccounts: env.ARTIFACT_ACCOUNTS.trim() } : {}),
    ...secretsPrefixSetting(env),
    ...(options.scheduler
      ? {
          scheduler: {
            groupName: required(env, 'SCHEDULE_GROUP_NAME', 'the EventBridge Scheduler group of cron triggers'),
            roleArn: required(env, 'SCHEDULER_ROLE_ARN', 'the role EventBridge Scheduler invokes the trigger router with'),
            targetArn: required(env, 'TRIGGER_ROUTER_ARN', "the trigger router function's ARN"),
          },
        }
      : {}),
  };
}

/** The SDK clients a runtime uses (real ones per cold start; dynalite and fakes in tests). */
export interface CloudClients {
  readonly dynamodb: DynamoDBClient;
  readonly sfn: SfnClient;
  readonly events: Pick<EventBridgeClient, 'send'>;
  /** Used by the publishing runtime only (functions/publishing-wiring.ts). */
  readonly scheduler?: Pick<SchedulerClient, 'send'>;
  /** The KMS client secret values are sealed through. @default one in the function's Region, made when first needed */
  readonly kms?: Pick<KMSClient, 'send'>;
  /** The Secrets Manager client `${#secret('name')}` reads through (the stage runner). @default one in the function's Region, made when first needed */
  readonly secretsManager?: Pick<SecretsManagerClient, 'send'>;
}

export interface CloudLogEntry {
  readonly level: 'error' | 'warn' | 'info';
  readonly message: string;
  readonly error?: unknown;
  /** An audit entry, logged as a structured field beside its DynamoDB item (CloudWatch Logs Insights can query `audit.user`...). */
  readonly audit?: AuditEntry;
}

/**
 * Cron triggers kept as EventBridge Scheduler schedules: what the functions that save and
 * publish pipelines add to the runtime (functions/publishing-wiring.ts builds it).
 */
export interface PipelineSchedules {
  /** Why saving this pipeline is refused (a cron Scheduler cannot run); empty when it may be saved. */
  refusals(pipeline: Pipeline): readonly ValidationIssue[];
  /** Makes the Scheduler group hold exactly the schedules this version of the pipeline needs. */
  sync(pipeline: Pipeline): Promise<void>;
  /** Deletes every schedule of a deleted pipeline. */
  remove(pipelineConfigId: string): Promise<void>;
}

export interface CloudRuntimeOptions {
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: () => number;
  /** Where background faults go. @default console, as JSON lines (CloudWatch Logs) */
  readonly log?: (entry: CloudLogEntry) => void;
  /** How long a save waits for a throttled control plane before deferring the publish. @default 20000 */
  readonly publishWaitMs?: number;
  /** Cron schedules to check at save and sync after each publish. @default none: the function does not save pipelines */
  readonly schedules?: PipelineSchedules;
  /**
   * Compiles pipelines (statemachines' `compilePipeline`): this function saves pipelines, or
   * publishes a version whose publish a save deferred when it starts it. Either this or
   * `startTargetVia` is given.
   */
  readonly compile?: PipelineCompiler;
  /**
   * This function never compiles nor publishes (the stage runner): a start whose version is not
   * live asks here for the ARN to start on (the publisher function answers it).
   */
  readonly startTargetVia?: (pipelineConfigId: string, version: number) => Promise<string>;
  /**
   * Each cloud's pure check of deploy cluster fields, by cloud provider, run at save
   * (adapters/targets/cluster-checks.ts): given by the functions that save pipelines, so the
   * others' bundles do without the provider-field schemas. @default not checked at save
   */
  readonly clusterFieldChecks?: ClusterFieldChecks | (() => Promise<ClusterFieldChecks>);
  /**
   * The targets a save looks in the accounts through for what a deploy cluster names
   * (`checkCluster`): given by the API, with its read-only targets. @default not looked up at save
   */
  readonly clusterTargets?: ClusterCheckLookup;
}

export interface CloudRuntime {
  readonly env: CloudEnvironment;
  readonly store: ExecutionStore;
  /** Saved canary configs, in the same table. */
  readonly canaryConfigs: CanaryConfigStore;
  /** Saved pipeline templates (Managed Pipeline Templates v2), in the same table. */
  readonly pipelineTemplates: PipelineTemplateStore;
  /** IAM principals and service accounts mapped to roles (`USER#<name>` items of the same table). */
  readonly users: UserDirectory;
  /** Every command, as a DynamoDB item and a structured log line. */
  readonly audit: AuditLog;
  readonly engine: StepFunctionsEngine;
  readonly bus: EventBus;
  readonly service: GennakerExecutionService;
  /** The accounts pipelines may deploy to (`ACCOUNTS`). */
  readonly accounts: AccountRegistry;
  /** Seals and opens secret values (KMS), when `SECRETS_KEY_ARN` is set. */
  readonly secrets?: SecretCipher;
  /** Seals and opens triggers' secrets (KMS data keys of their own purpose), when `SECRETS_KEY_ARN` is set. */
  readonly triggerSecrets?: SecretCipher;
  readonly clock: Clock;
  readonly random: () => number;
  /** The publish request of a saved version, compiled from the store. */
  loadPublishRequest(pipelineConfigId: string, version: number): Promise<PublishRequest | undefined>;
  /** Makes the Scheduler group match the LATEST version of a pipeline (no-op without `schedules`). */
  syncSchedules(pipelineConfigId: string): Promise<void>;
  readonly log: (entry: CloudLogEntry) => void;
}

const systemClock: Clock = { now: () => Date.now() };

/** Whether some account is one the stage runner deploys to (an `aws`, `ecs` or `kubernetes` account): then deploy stages run. */
export function hasDeployAccounts(accounts: readonly Account[]): boolean {
  return accounts.some((account) => account.cloudProvider === 'kubernetes' || (AWS_ACCOUNT_KINDS as readonly string[]).includes(account.cloudProvider));
}

/** JSON lines on stdout/stderr: what CloudWatch Logs keeps for each function. */
export const consoleLog = (entry: CloudLogEntry): void => {
  const error = entry.error instanceof Error ? { name: entry.error.name, message: entry.error.message, stack: entry.error.stack } : entry.error;
  const line = JSON.stringify({ level: entry.level, message: entry.message, ...(error === undefined ? {} : { error }), ...(entry.audit === undefined ? {} : { audit: entry.audit }) });
  if (entry.level === 'error') console.error(line);
  else console.log(line);
};

/** Builds the runtime from an environment and clients. */
export function createCloudRuntime(env: CloudEnvironment, clients: CloudClients, options: CloudRuntimeOptions = {}): CloudRuntime {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const log = options.log ?? consoleLog;
  const schedules = options.schedules;
  const store = createDynamoDbExecutionStore({ client: clients.dynamodb, tableName: env.tableName, clock });
  const canaryConfigs = createDynamoDbCanaryConfigStore({ client: clients.dynamodb, tableName: env.tableName, clock });
  const pipelineTemplates = createDynamoDbPipelineTemplateStore({ client: clients.dynamodb, tableName: env.tableName, clock });
  const users = createDynamoDbUserDirectory({ client: clients.dynamodb, tableName: env.tableName, clock });
  const auditItems = createDynamoDbAuditLog({ client: clients.dynamodb, tableName: env.tableName, clock });
  const audit: AuditLog = {
    append: async (entry) => {
      log({ level: 'info', message: `audit: ${entry.user} ${entry.action} ${entry.application ?? '-'} ${entry.result}`, audit: entry });
      await auditItems.append(entry);
    },
    list: (query) => auditItems.list(query),
  };
  const { startTargetVia } = options;
  if (!options.compile && !startTargetVia) throw new Error('createCloudRuntime needs compile (a function that publishes) or startTargetVia (one that does not)');
  const compile: PipelineCompiler =
    options.compile ??
    (() => {
      throw new GennakerError('Gennaker.InvariantViolated', 'this function does not compile pipelines: the API saves them and the publisher publishes them');
    });

  const latestPipeline = async (pipelineConfigId: string, version?: number) => {
    const saved = await store.getPipelineConfig(pipelineConfigId, version);
    const pipeline = saved ? parsePipeline(runnableConfigOf(saved)).pipeline : undefined;
    return saved && pipeline ? { saved, pipeline } : undefined;
  };

  const loadPublishRequest = async (pipelineConfigId: string, version: number): Promise<PublishRequest | undefined> => {
    const found = await latestPipeline(pipelineConfigId, version);
    if (!found) return undefined;
    return { pipelineConfigId, application: found.saved.application, name: found.saved.name, version: found.saved.version, definition: compile(found.pipeline).json };
  };

  const engine = createStepFunctionsEngine({
    client: clients.sfn,
    stateMachineRoleArn: env.stateMachineRoleArn,
    region: env.region,
    namePrefix: env.namePrefix,
    substitutions: { StageRunnerFunctionArn: env.stageRunnerArn },
    pipelineOf: async (executionId) => (await store.getExecutionPart(executionId, []))?.header.pipelineConfigId,
    loadPublishRequest,
    random,
    ...(options.publishWaitMs !== undefined ? { publishWaitMs: options.publishWaitMs } : {}),
    ...(startTargetVia ? { startTargetVia } : {}),
    onDeferred: (request, reason) =>
      log({ level: 'warn', message: `publishing v${request.version} of pipeline ${request.pipelineConfigId} was deferred (${reason}); its first start publishes it` }),
  });

  const syncSchedules = async (pipelineConfigId: string): Promise<void> => {
    if (!schedules) return;
    const found = await latestPipeline(pipelineConfigId);
    if (found) await schedules.sync(found.pipeline);
  };

  // Saving publishes inline and then syncs the pipeline's schedules; neither fails a save that is stored.
  const publishingEngine: StateMachineEngine = {
    publish: async (request) => {
      const published = await engine.publish(request);
      try {
        await syncSchedules(request.pipelineConfigId);
      } catch (error) {
        log({ level: 'error', message: `syncing the cron schedules of pipeline ${request.pipelineConfigId} failed; invoke the publisher with {"pipelineConfigId":"${request.pipelineConfigId}"} to retry`, error });
      }
      return published;
    },
    startExecution: (request) => engine.startExecution(request),
    stopExecution: (executionId, stopOptions) => engine.stopExecution(executionId, stopOptions),
    sendTaskSuccess: (taskToken, output) => engine.sendTaskSuccess(taskToken, output),
    sendTaskFailure: (taskToken, error, cause) => engine.sendTaskFailure(taskToken, error, cause),
  };

  const bus = createEventBridgeBus({ client: clients.events, eventBusName: env.eventBusName, random });

  const accounts = createAccountRegistry(env.accounts);
  // Two kinds of data keys, so IAM can let the API open trigger secrets and never execution values.
  const secrets = env.secretsKeyId !== undefined ? cloudSecretCipher(env.secretsKeyId, 'secret-values', clients.kms) : undefined;
  const triggerSecrets = env.secretsKeyId !== undefined ? cloudSecretCipher(env.secretsKeyId, 'trigger-secrets', clients.kms) : undefined;
  const core = createExecutionService({
    store,
    engine: publishingEngine,
    bus,
    clock,
    ids: createUlidGenerator(clock, random),
    random,
    compile,
    // What the stage runner runs (functions/stage-runner-wiring.ts): deploy stages once an account is configured, canaries once an aws or ecs account is (its CloudWatch).
    runnableStageTypes: [
      ...RUNNABLE_STAGE_TYPES,
      ...(hasDeployAccounts(env.accounts) ? DEPLOY_TARGET_STAGE_TYPES : []),
      ...(env.accounts.some((account) => (AWS_ACCOUNT_KINDS as readonly string[]).includes(account.cloudProvider)) ? METRIC_STAGE_TYPES : []),
    ],
    accounts,
    ...(secrets ? { secrets } : {}),
    ...(triggerSecrets ? { triggerSecrets } : {}),
    ...(env.preconfiguredWebhooks ? { preconfiguredWebhooks: env.preconfiguredWebhooks } : {}),
    ...(options.clusterFieldChecks || options.clusterTargets
      ? { clusterChecks: { ...(options.clusterFieldChecks ? { fields: options.clusterFieldChecks } : {}), ...(options.clusterTargets ? { targets: options.clusterTargets } : {}) } }
      : {}),
    users,
    audit,
    onAuditError: (error) => log({ level: 'error', message: 'writing an audit item failed (the log line above still records it)', error }),
    templates: async (key) => (await pipelineTemplates.get(key))?.template,
  });
  // Cron triggers run on EventBridge Scheduler, whose cron cannot say everything Quartz can: refused at save.
  const service: GennakerExecutionService = schedules
    ? {
        ...core,
        savePipeline: async (request, caller) => {
          // A templated pipeline's crons are those of its rendering (its template's among them); a rendering that fails is the core's to report.
          const templated = isTemplatedPipeline(request.config);
          const document = templated
            ? ((await (await import('../core/pipeline/templates/resolve.ts')).resolveTemplatedPipeline(request.config, async (key) => (await pipelineTemplates.get(key))?.template)).pipeline ?? {})
            : request.config;
          const parsed = parsePipeline(document);
          const refusals = parsed.pipeline ? schedules.refusals(parsed.pipeline) : [];
          if (refusals.length > 0) return { ok: false, reason: 'invalid', issues: templated ? renderedIssues(refusals) : refusals };
          return core.savePipeline(request, caller);
        },
        // A deleted pipeline's schedules go with it; a failure leaves them firing into nothing (the router ignores them), never fails the delete.
        deletePipeline: async (request, caller) => {
          const result = await core.deletePipeline(request, caller);
          if (result.ok && result.deleted !== undefined) {
            try {
              await schedules.remove(result.deleted.id);
            } catch (error) {
              log({ level: 'error', message: `deleting the cron schedules of deleted pipeline ${result.deleted.id} failed; they fire into nothing until deleted from the Scheduler group by hand`, error });
            }
          }
          return result;
        },
      }
    : core;

  return { env, store, canaryConfigs, pipelineTemplates, users, audit, engine, bus, service, accounts, ...(secrets ? { secrets } : {}), ...(triggerSecrets ? { triggerSecrets } : {}), clock, random, loadPublishRequest, syncSchedules, log };
}

/**
 * The KMS cipher of `keyId`, its module (and the KMS client) loaded at the first seal or open:
 * an execution without secrets costs nothing.
 */
export function cloudSecretCipher(keyId: string, purpose: 'secret-values' | 'trigger-secrets', client?: Pick<KMSClient, 'send'>): SecretCipher {
  let loading: Promise<SecretCipher> | undefined;
  const cipher = (): Promise<SecretCipher> =>
    (loading ??= import('./secret-adapters.ts').then((module) => module.kmsSecretCipher(keyId, purpose, client)).catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  return {
    encrypt: async (values, context) => (await cipher()).encrypt(values, context),
    decrypt: async (ciphertexts, context) => (await cipher()).decrypt(ciphertexts, context),
  };
}

/** The Secrets Manager store under `prefix`, its module loaded at the first `${#secret(...)}` read. */
export function cloudSecretStore(prefix: string, client?: Pick<SecretsManagerClient, 'send'>): SecretStore {
  let loading: Promise<SecretStore> | undefined;
  const store = (): Promise<SecretStore> =>
    (loading ??= import('./secret-adapters.ts').then((module) => module.secretsManagerSecretStore(prefix, client)).catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  return { read: async (name, application) => (await store()).read(name, application) };
}

/** The SDK clients of this cold start (the Scheduler client is the publishing runtime's own). */
export function coldStartClients(): CloudClients {
  return { dynamodb: new DynamoDBClient({}), sfn: new SFNClient({}), events: new EventBridgeClient({}) };
}

let runtime: CloudRuntime | undefined;

/** The runtime of this cold start, for functions that reconcile executions and route triggers (they publish deferred versions they start). */
export function cloudRuntimeForColdStart(): CloudRuntime {
  runtime ??= createCloudRuntime(readEnvironment(process.env), coldStartClients(), { compile: compilePipeline });
  return runtime;
}
