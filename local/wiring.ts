/**
 * The composition root of local mode (DESIGN.md §9): one process holding dynalite, the
 * execution store, the stage runner, the local engine running the compiled ASL, the event bus
 * and the execution service — the same core code the Lambdas run, wired to local adapters.
 * Reads no environment: the CLI passes what it decided.
 */
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { createDynamoDbExecutionStore } from '../adapters/dynamodb/dynamodb-execution-store.ts';
import { createDynamoDbJudgmentWatchStore } from '../adapters/dynamodb/judgment-watches.ts';
import { createDynamoDbCanaryConfigStore } from '../adapters/dynamodb/canary-configs.ts';
import { createDynamoDbPipelineTemplateStore } from '../adapters/dynamodb/pipeline-templates.ts';
import type { PipelineTemplateStore } from '../core/ports/pipeline-template-store.ts';
import type { CanaryConfigStore } from '../core/ports/canary-config-store.ts';
import { createFetchHttpClient } from '../adapters/http/fetch-http-client.ts';
import { createLocalArtifactAccounts } from './artifact-accounts.ts';
import type { S3ArtifactAccountConfig } from '../core/accounts/artifact-accounts-file.ts';
import type { ArtifactContentPort } from '../core/ports/artifact-content.ts';
import { createExecutionService, type GennakerExecutionService } from '../core/execution/execution-service.ts';
import { createUlidGenerator } from '../core/execution/ids.ts';
import { createStageRunner, runnableStageTypes, type StageRunner } from '../core/execution/stage-runner.ts';
import type { IoHost } from '../core/io-host.ts';
import { parsePipeline } from '../core/pipeline/parse.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { PowerPolicy } from '../core/authz/powers.ts';
import type { AuditLog } from '../core/ports/audit-log.ts';
import type { UserDirectory } from '../core/ports/user-directory.ts';
import { runnableConfigOf, type ExecutionStore, type JudgmentWatchStore } from '../core/ports/execution-store.ts';
import { withExecutionReadCache } from './execution-read-cache.ts';
import { createLocalJobRunner } from '../adapters/jobs/local-job-runner.ts';
import { createLocalArtifactStore } from '../adapters/targets/local/artifact-store.ts';
import { createLocalDeployTarget, type LocalDeployTarget, type LocalDeployTargetOptions } from '../adapters/targets/local/local-deploy-target.ts';
import { BUILT_IN_LOCAL_ACCOUNT, createAccountRegistry } from '../core/accounts/registry.ts';
import type { Account, AccountRegistry } from '../core/ports/accounts.ts';
import { createLocalTargetPorts, type LocalTargetPorts } from '../adapters/targets/local/local-ports.ts';
import { CLUSTER_FIELD_CHECKS } from '../adapters/targets/cluster-checks.ts';
import type { TargetLookup } from '../core/ports/target.ts';
import type { MetricSource, MetricSourceLookup } from '../core/ports/metric-source.ts';
import type { Caller } from '../core/execution/execution-service-api.ts';
import { createLocalMetricSource } from '../adapters/metrics/local-metric-source.ts';
import { createPrometheusMetricSource } from '../adapters/metrics/prometheus-metric-source.ts';
import { compilePipeline, publishedDefinitions } from '../statemachines/index.ts';
import { startDynalite } from './dynalite.ts';
import { ensurePrivateDir } from './private-files.ts';
import type { AslEvent } from './asl-engine.ts';
import { createLocalEngine, type LocalEngine } from './engine.ts';
import { createLocalEventBus, type LocalEventBus } from './event-bus.ts';
import { recoverInterruptedExecutions, type Recovered } from './recovery.ts';
import { ephemeralSecretCipher, loadSecretCipher } from './secret-key.ts';
import { createLocalSecrets } from './secrets-file.ts';
import type { SecretCipher } from '../core/ports/secret-cipher.ts';
import type { PreconfiguredWebhook } from '../core/pipeline/preconfigured-webhooks.ts';
import { createNotifier, type Notifier } from '../core/notifications/notifier.ts';
import { createHttpNotificationSenders } from '../adapters/notifications/senders.ts';
import { smtpSenderOf } from '../adapters/notifications/smtp-email-sender.ts';
import type { NotificationSettings } from '../core/notifications/settings.ts';

/**
 * A metrics account a canary stage may name: a Prometheus by URL, or a CloudWatch source already
 * made with its SDK clients (the caller owns them, so this module loads no AWS SDK).
 */
export type MetricsAccountOption =
  | { readonly name: string; readonly type: 'prometheus'; readonly url: string }
  | { readonly name: string; readonly type: 'cloudwatch'; readonly source: MetricSource };

export interface LocalRuntimeOptions {
  /** Where dynalite keeps its data (`.gennaker/data`); in memory when absent. */
  readonly dataDir?: string;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Where faults of background work (reconciling, event handlers) are reported. */
  readonly io?: IoHost;
  /** Hosts webhook stages may call (the outbound allowlist of the HTTP client). */
  readonly webhookAllowlist?: readonly string[];
  /** Named webhooks pipeline stages may name by type (`<data>/webhooks.json`). @default none */
  readonly preconfiguredWebhooks?: readonly PreconfiguredWebhook[];
  /** Randomness for ids and jitter. @default crypto-quality random numbers */
  readonly random?: () => number;
  /** Every Task retry waits this long instead of its backoff (tests). */
  readonly retryDelayMs?: number;
  /** Every history event of every run, as it happens. */
  readonly onEngineEvent?: (event: AslEvent) => void;
  /**
   * History events above which a long-polling stage (canary) runs as a child state machine.
   * @default DEFAULT_CHILD_THRESHOLD_EVENTS of the compiler
   */
  readonly childThresholdEvents?: number;
  /**
   * Where the `local` deploy target keeps its artifacts, logs and model
   * (`.gennaker/targets/local`). Given: the account `local` deploys to real processes on this
   * machine and the server-group, cluster and deploy stages run. Absent: no deploy target, and
   * pipelines with those stages are refused at start.
   */
  readonly localTarget?: Omit<LocalDeployTargetOptions, 'baseEnv'> & { readonly baseEnv?: Readonly<Record<string, string>> };
  /** A Prometheus for canary metrics of type `prometheus` (the CLI passes GENNAKER_PROMETHEUS_URL). */
  readonly prometheusUrl?: string;
  /**
   * Metrics accounts by name (`metricsAccountName` of a canary stage): a stage naming one reads its
   * metrics of that type from it, before `prometheusUrl` (`--sandbox`: the simulated cluster's
   * Prometheus, the simulated AWS's CloudWatch). @default none
   */
  readonly metricsAccounts?: readonly MetricsAccountOption[];
  /**
   * Metrics accounts served beside `metricsAccounts` that may appear while the runtime runs
   * (`up --sandbox`: those of the canary stages of saved pipelines), consulted for a name
   * `metricsAccounts` does not hold. @default none
   */
  readonly cloudMetrics?: MetricSourceLookup;
  /**
   * Simulated seconds per wall-clock second when `clock` is a simulated one (`run --sandbox`):
   * the waits stages ask for are shortened by it (local/engine.ts `timeScale`). @default 1
   */
  readonly timeScale?: number;
  /**
   * The API's bearer token: the local target's admin server (load balancer metrics) requires it
   * too. @default none: the admin server answers nobody
   */
  readonly apiToken?: string;
  /**
   * Accounts besides the built-in `local` (the data directory's accounts file, local/accounts.ts).
   * Those with `cloudProvider: local` deploy to this machine too; the others are known (pipelines
   * naming them save) but have no deploy target here. @default none
   */
  readonly accounts?: readonly Account[];
  /**
   * The deploy targets of accounts on other clouds (`--sandbox`: the simulated AWS), consulted
   * for every account the local target does not serve. @default none
   */
  readonly cloudTargets?: TargetLookup;
  /**
   * Accounts served beside `accounts` that may grow while the runtime runs (`up --sandbox`: the
   * accounts saved pipelines name); consulted for names `accounts` does not hold. @default none
   */
  readonly cloudAccounts?: () => readonly Account[];
  /**
   * Runs before every pipeline save, with the config as sent (`up --sandbox` seeds the simulated
   * clouds with what it assumes, so its accounts are known when the save checks them).
   */
  readonly beforeSave?: (config: unknown, caller: Caller) => Promise<void>;
  /**
   * Reads artifacts' content for the stages (`--sandbox`: the seeded artifact accounts).
   * @default an `http/file` account (`http`) reading through the outbound allowlist, the s3 accounts of `artifactAccountConfigs`, and `embedded/base64`
   */
  readonly artifactContent?: ArtifactContentPort;
  /** The s3 artifact accounts of the accounts file (`artifactAccounts`). @default none */
  readonly artifactAccountConfigs?: readonly S3ArtifactAccountConfig[];
  /**
   * Artifact accounts served in front of the runtime's own (`--sandbox`: the documents the
   * pipeline assumes): given the runtime's reader, answers the one the stages use.
   */
  readonly artifactAccounts?: (own: ArtifactContentPort) => ArtifactContentPort;
  /** The users triggers may run as (`runAsUser`). @default none */
  readonly users?: UserDirectory;
  /** Who may use dangerous powers and where their paths may point; checked at save and as each stage starts. @default not checked */
  readonly powers?: PowerPolicy;
  /** Where every command is recorded. @default nowhere */
  readonly audit?: AuditLog;
  /**
   * The state directory whose key seals secret values at rest (`secret.key`, local/secret-key.ts)
   * and whose `secrets.json` holds the named secrets of `#secret('name')`. @default none: a key
   * that lives only in this process, and no named secrets
   */
  readonly secretsDir?: string;
  /**
   * Notification settings (`<state dir>/notifications.json`, core/notifications/settings.ts)
   * and the API's URL for links, known once the server listens. Slack, Teams and webhook
   * notifications are sent without settings; email and GitHub statuses need theirs.
   * @default no settings, links relative to the API
   */
  readonly notifications?: { readonly settings?: NotificationSettings; readonly apiUrl?: () => string | undefined };
  /** Waits between a notification's delivery attempts. @default the notifier's (500 ms doubling) */
  readonly notificationRetryDelayMs?: number;
}

export interface LocalRuntime {
  readonly store: ExecutionStore;
  /** Saved canary configs (`canaryConfigId` / `canaryConfigName`), in the same table. */
  readonly canaryConfigs: CanaryConfigStore;
  /** Saved pipeline templates (Managed Pipeline Templates v2), in the same table. */
  readonly pipelineTemplates: PipelineTemplateStore;
  readonly service: GennakerExecutionService;
  readonly engine: LocalEngine;
  readonly runner: StageRunner;
  readonly bus: LocalEventBus;
  /** The `local` deploy target, when `localTarget` was given. */
  readonly target?: LocalDeployTarget;
  /** The deploy target of each account: the `local` cloud's when `localTarget` was given, then `cloudTargets`. */
  readonly targets?: TargetLookup;
  /** The `local` target on the server-group and traffic ports. */
  readonly ports?: LocalTargetPorts;
  /** The accounts pipelines may name: `local` and the `accounts` given. Saving a pipeline naming another is refused. */
  readonly accounts: AccountRegistry;
  /** Seals and opens secret values (the state directory's key): executions' secrets and triggers' secrets. */
  readonly secrets: SecretCipher;
  /** Executions found interrupted at start-up (marked TERMINAL, restartable). */
  /** Executions a stopped process left running: resumed, or marked TERMINAL when they could not be. */
  readonly recovered: Recovered;
  /** Sends the notifications of the bus's events (subscribed already). */
  readonly notifier: Notifier;
  /** The waiting judgments the notifier's reminder sweep looks at. */
  readonly judgmentWatches: JudgmentWatchStore;
  /** Settles when no run is in progress and every reconciliation and event handler is done. */
  idle(): Promise<void>;
  /** Stops the runs (without reconciling: the next start-up recovers them), then dynalite. */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };

/** A uniform number in [0, 1) from the operating system's generator. */
const cryptoRandom = () => randomInt(0, 2 ** 47) / 2 ** 47;

/** Starts the local runtime; with `dataDir`, recovers executions a previous process left running. */
export async function createLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandom;
  const io = options.io;
  // The store's files hold saved pipelines (job commands, trigger secrets): the directory is the owner's alone.
  if (options.dataDir !== undefined) await ensurePrivateDir(options.dataDir);
  if (options.localTarget) await ensurePrivateDir(options.localTarget.stateDir);
  const dynalite = await startDynalite({
    ...(options.dataDir !== undefined ? { path: options.dataDir } : {}),
    maxAttempts: 3,
  });
  // This process is the store's only writer, so execution reads can be served from memory.
  // Secret values are stored sealed with the state directory's key (or a key of this process alone).
  const cipher = options.secretsDir !== undefined ? await loadSecretCipher(options.secretsDir) : ephemeralSecretCipher();
  const secretStore = options.secretsDir !== undefined ? createLocalSecrets(options.secretsDir, cipher) : undefined;
  const store = withExecutionReadCache(createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock }));
  // Judgments the notifier reminds of: not part of an execution's document, so not behind the cache.
  const judgmentWatches = createDynamoDbJudgmentWatchStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
  const canaryConfigs = createDynamoDbCanaryConfigStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
  const pipelineTemplates = createDynamoDbPipelineTemplateStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
  const bus = createLocalEventBus({
    onHandlerError: (error, event) =>
      io?.emit({ kind: 'error', message: `a handler of '${event.type}' for execution ${event.executionId} failed: ${describe(error)}` }),
  });

  // The local target adopts the processes and load balancers a previous process left running.
  let target: LocalDeployTarget | undefined;
  try {
    target = options.localTarget
      ? await createLocalDeployTarget({ baseEnv: instanceBaseEnv(), ...(options.apiToken !== undefined ? { adminToken: options.apiToken } : {}), ...options.localTarget })
      : undefined;
  } catch (error) {
    await dynalite.stop();
    throw error;
  }
  const accounts = withCloudAccounts(createAccountRegistry([BUILT_IN_LOCAL_ACCOUNT, ...(options.accounts ?? [])]), options.cloudAccounts);
  const ports = target ? createLocalTargetPorts(target) : undefined;
  // Every account of the local cloud deploys to this machine; its clusters are its own.
  const localTargets: TargetLookup | undefined = ports ? ({ account }) => (accounts.get(account)?.cloudProvider === LOCAL_ACCOUNT ? ports : undefined) : undefined;
  const cloudTargets = options.cloudTargets;
  const targets: TargetLookup | undefined =
    localTargets && cloudTargets ? (key) => localTargets(key) ?? cloudTargets(key) : (localTargets ?? cloudTargets);
  // The local cloud's image store (bake, findImageFromTags) and one-off jobs (runJob) live beside the target.
  const artifacts = options.localTarget ? createLocalArtifactStore({ dir: join(options.localTarget.stateDir, 'images') }) : undefined;
  const jobs = options.localTarget ? createLocalJobRunner({ dir: join(options.localTarget.stateDir, 'jobs'), baseEnv: instanceBaseEnv() }) : undefined;
  // Canary metrics: the local load balancer's per-server-group counts, and Prometheus when configured.
  const metrics = localMetricSources(target, options);
  const deployDeps = { ...(targets ? { targets } : {}), ...(artifacts ? { artifacts } : {}), ...(jobs ? { jobs } : {}), ...(metrics ? { metrics } : {}) };

  // The runner starts child pipelines through the service, which needs the engine, which needs the runner.
  let service: GennakerExecutionService | undefined;
  let engine: LocalEngine | undefined;
  const http = createFetchHttpClient(options.webhookAllowlist ? { allowlist: options.webhookAllowlist } : {});
  // http/file artifacts are fetched like webhooks: only from hosts the allowlist names, at most 1 MiB.
  // s3/object artifacts through the accounts file's s3 accounts, their S3 client loaded on first read.
  const localArtifacts = options.artifactContent ? undefined : createLocalArtifactAccounts(options.artifactAccountConfigs ?? [], { http, clock });
  const ownArtifacts = options.artifactContent ?? localArtifacts!.port;
  const artifactContent = options.artifactAccounts ? options.artifactAccounts(ownArtifacts) : ownArtifacts;
  const runner = createStageRunner({
    store,
    clock,
    http,
    artifactContent,
    children: {
      start: (request) => {
        if (!service) throw new Error('the execution service is not wired yet');
        return service.start(request);
      },
    },
    random,
    ...deployDeps,
    canaryConfigs,
    // A callback Task the runner does not leave waiting (a kept or skipped judgment) is resumed through the engine.
    callbacks: {
      sendTaskSuccess: (taskToken, output) => {
        if (!engine) throw new Error('the local engine is not wired yet');
        return engine.sendTaskSuccess(taskToken, output);
      },
    },
    ...(options.powers ? { powers: options.powers } : {}),
    secrets: cipher,
    ...(secretStore ? { secretStore } : {}),
    // Stages with notifications tell the notifier what happens to them.
    bus,
  });
  const compileOptions = options.childThresholdEvents !== undefined ? { childThresholdEvents: options.childThresholdEvents } : {};
  const compile = (pipeline: Parameters<typeof compilePipeline>[0]) => compilePipeline(pipeline, compileOptions);
  engine = createLocalEngine({
    runner,
    loadDefinition: async (pipelineConfigId, version) => {
      const saved = await store.getPipelineConfig(pipelineConfigId, version);
      const pipeline = saved ? parsePipeline(runnableConfigOf(saved)).pipeline : undefined;
      return pipeline ? publishedDefinitions(compile(pipeline)) : undefined;
    },
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(options.onEngineEvent ? { onEvent: options.onEngineEvent } : {}),
    onError: (error, executionId) =>
      io?.emit({ kind: 'error', message: `reconciling the end of execution ${executionId} failed: ${describe(error)}` }),
  });
  const created = createExecutionService({
    store,
    engine,
    bus,
    clock,
    ids: createUlidGenerator(clock, random),
    random,
    compile,
    runnableStageTypes: runnableStageTypes(deployDeps),
    // The jobs and CodeBuild builds of an execution that failed or was canceled are stopped.
    ...(jobs ? { jobs } : {}),
    ...(targets ? { builds: (account: string) => targets({ account, cloudProvider: 'aws' })?.builds } : {}),
    accounts,
    // Deploy clusters are checked at save: each cloud's fields, then what they name in the account (targets that can look).
    clusterChecks: { fields: CLUSTER_FIELD_CHECKS, ...(targets ? { targets } : {}) },
    ...(options.users ? { users: options.users } : {}),
    ...(options.powers ? { powers: options.powers } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    onAuditError: (error) => io?.emit({ kind: 'error', message: `appending to the audit log failed: ${describe(error)}` }),
    secrets: cipher,
    ...(options.preconfiguredWebhooks ? { preconfiguredWebhooks: options.preconfiguredWebhooks } : {}),
    templates: async (key) => (await pipelineTemplates.get(key))?.template,
  });
  const beforeSave = options.beforeSave;
  service = beforeSave
    ? {
        ...created,
        savePipeline: async (request, caller) => {
          await beforeSave(request.config, caller);
          return created.savePipeline(request, caller);
        },
      }
    : created;
  engine.onRunEnded(service.handleRunEnded);

  // The notifier is a subscriber like any other: what it sends never holds up the run that published.
  const settings = options.notifications?.settings ?? {};
  // Mail goes out over SMTP here (SES on AWS).
  const smtpSender = smtpSenderOf(settings, secretStore);
  const notifier = createNotifier({
    store: { ...store, ...judgmentWatches },
    clock,
    senders: {
      ...createHttpNotificationSenders(settings, { http, ...(secretStore ? { secrets: secretStore } : {}) }),
      ...(smtpSender ? { email: smtpSender } : {}),
    },
    links: () => ({
      ...(settings.dashboardUrl !== undefined ? { dashboardUrl: settings.dashboardUrl } : {}),
      ...(settings.apiUrl !== undefined ? { apiUrl: settings.apiUrl } : (options.notifications?.apiUrl?.() !== undefined ? { apiUrl: options.notifications.apiUrl()! } : {})),
    }),
    ...(options.notificationRetryDelayMs !== undefined ? { retryDelayMs: options.notificationRetryDelayMs } : {}),
  });
  const unsubscribeNotifier = bus.subscribe(async (event) => {
    const report = await notifier.handle(event);
    for (const delivery of report.deliveries) {
      if (delivery.status === 'FAILED') io?.emit({ kind: 'error', message: `notification ${delivery.key} of execution ${event.executionId} failed: ${delivery.reason}` });
    }
  });

  let recovered: Recovered = { resumed: [], terminated: [] };
  try {
    recovered = await recoverInterruptedExecutions({ client: dynalite.client, tableName: dynalite.tableName, store, service, clock, engine });
  } catch (error) {
    await engine.close();
    await target?.close();
    await dynalite.stop();
    throw error;
  }
  for (const executionId of recovered.resumed) {
    io?.emit({ kind: 'info', message: `execution ${executionId} was interrupted when Gennaker stopped; resumed where it stopped` });
  }
  for (const { executionId, reason } of recovered.terminated) {
    io?.emit({ kind: 'info', message: `execution ${executionId} was interrupted when Gennaker stopped and could not be resumed (${reason}); marked TERMINAL (restart it with \`gennaker execution restart ${executionId}\`)` });
  }

  let closing: Promise<void> | undefined;
  return {
    store,
    canaryConfigs,
    pipelineTemplates,
    service,
    engine,
    runner,
    bus,
    ...(target && ports ? { target, ports } : {}),
    ...(targets ? { targets } : {}),
    accounts,
    secrets: cipher,
    recovered,
    notifier,
    judgmentWatches,
    async idle() {
      await engine.idle();
      await bus.idle();
    },
    close() {
      closing ??= (async () => {
        await engine.close();
        await bus.idle();
        unsubscribeNotifier();
        // Instances keep running: the next start adopts them (DESIGN.md §9).
        await target?.close();
        localArtifacts?.close();
        await dynalite.stop();
      })();
      return closing;
    },
  };
}

/** The first lookup's target, else the second's (the simulated clouds before the accounts file's Kubernetes clusters). */
export function firstTarget(first: TargetLookup | undefined, second: TargetLookup | undefined): TargetLookup | undefined {
  return first && second ? (key) => first(key) ?? second(key) : (first ?? second);
}

/** The registry, then the accounts `more` answers now (a name in both is the registry's). */
function withCloudAccounts(registry: AccountRegistry, more: (() => readonly Account[]) | undefined): AccountRegistry {
  if (!more) return registry;
  const extra = () => more().filter((account) => registry.get(account.name) === undefined);
  return {
    list: () => [...registry.list(), ...extra()].sort((a, b) => a.name.localeCompare(b.name)),
    get: (name) => registry.get(name) ?? extra().find((account) => account.name === name),
  };
}

/** The metric sources of local mode: the metrics account a stage names, else by query type (`local` over the local target, `prometheus` when a URL is given). */
function localMetricSources(target: LocalDeployTarget | undefined, options: LocalRuntimeOptions): MetricSourceLookup | undefined {
  const sources = new Map<string, MetricSource>();
  if (target) sources.set('local', createLocalMetricSource({ metrics: (ref, since) => target.metrics(ref, since), account: LOCAL_ACCOUNT }));
  if (options.prometheusUrl !== undefined) {
    const url = options.prometheusUrl;
    sources.set('prometheus', createPrometheusMetricSource({ baseUrl: url, http: createFetchHttpClient({ allowlist: [new URL(url).origin] }) }));
  }
  const accounts = new Map<string, MetricSource>();
  for (const account of options.metricsAccounts ?? []) {
    accounts.set(account.name, account.type === 'cloudwatch' ? account.source : createPrometheusMetricSource({ baseUrl: account.url, http: createFetchHttpClient({ allowlist: [new URL(account.url).origin] }) }));
  }
  const more = options.cloudMetrics;
  if (sources.size === 0 && accounts.size === 0 && !more) return undefined;
  return ({ type, account }) => {
    const named = account !== undefined ? (accounts.get(account) ?? more?.({ type, account })) : undefined;
    return named !== undefined && named.type === type ? named : sources.get(type);
  };
}

/** The account every local runtime has (`reference/spinnaker.md`: accounts per cloud; `local` by default). */
export const LOCAL_ACCOUNT = 'local';

/** What instances inherit from this process: enough to find `node` and a home, no secrets. */
function instanceBaseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
