/**
 * `gennaker up`: the local runtime (dynalite on `<dir>/data`, engine, runner, bus, service)
 * behind the API on 127.0.0.1, plus what EventBridge does on AWS: `pipeline` triggers on the
 * bus and a cron ticker. Protected by the bearer token of `<dir>/token`.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { IoHost } from '../core/io-host.ts';
import type { Clock } from '../core/ports/clock.ts';
import { dueCronTriggers } from '../core/triggers/cron-due.ts';
import type { TriggerMatch } from '../core/triggers/match.ts';
import { pipelineRef } from '../core/triggers/match.ts';
import { matchPipelineTrigger } from '../core/triggers/pipeline-match.ts';
import { listTriggerablePipelines } from '../core/triggers/pipeline-source.ts';
import { createBearerAuthenticator } from '../adapters/crypto/bearer-authenticator.ts';
import { runAsUserOf } from '../core/authz/service-accounts.ts';
import { createAuditFile } from './audit-file.ts';
import { withDashboard } from './dashboard.ts';
import { createPowerPolicy, type PowerSettings } from './powers.ts';
import { createLocalUsers } from './users.ts';
import { createApiApp } from '../functions/api/app.ts';
import type { BodyLimits } from '../functions/api/input-limits.ts';
import { ensurePrivateDir, tightenTree } from './private-files.ts';
import { loadAccountsFile } from './accounts.ts';
import { loadPubsubFile } from './pubsub-file.ts';
import { matchPubsubTrigger } from '../core/triggers/pubsub-match.ts';
import type { SqsPoller } from '../adapters/pubsub/sqs-poller.ts';
import { loadNotificationSettings } from './notification-settings.ts';
import { notificationTypeMetadata } from '../core/notifications/metadata.ts';
import { loadWebhooksFile } from './webhooks-file.ts';
import { loadOrCreateToken } from './token.ts';
import { createLocalRuntime, firstTarget, type LocalRuntime, type LocalRuntimeOptions } from './wiring.ts';
import type { Sandbox, SandboxOptions } from './sandbox/sandbox.ts';
import type { SandboxS3Object } from './sandbox/sandbox-s3.ts';
import type { LocalKubernetesOptions } from './kubernetes-targets.ts';
import type { Authenticator } from '../core/ports/authenticator.ts';
import type { Caller } from '../core/execution/execution-service-api.ts';
import { runnableConfigOf } from '../core/ports/execution-store.ts';
import type { LocalDeployTargetOptions } from '../adapters/targets/local/local-deploy-target.ts';

export interface LocalServerOptions {
  /** The state directory (`.gennaker`): `data/` for dynalite, `token` for the bearer token. */
  readonly dir: string;
  /** @default 8084; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly io?: IoHost;
  readonly clock?: Clock;
  /** URL patterns webhook stages may call. @default none: webhook stages may call nothing */
  readonly webhookAllowlist?: readonly string[];
  /** How often the cron ticker looks for due triggers. @default 2000 */
  readonly cronTickMs?: number;
  /** How often waiting manual judgments are looked at for reminders due (`notifyEveryMs`). @default REMINDER_TICK_MS */
  readonly reminderTickMs?: number;
  /**
   * The `local` deploy target's settings (state in `<dir>/targets/local` unless given); `false`:
   * no deploy target. @default on
   */
  readonly localTarget?: false | Partial<LocalDeployTargetOptions>;
  /** A Prometheus for canary metrics of type `prometheus`. @default none */
  readonly prometheusUrl?: string;
  /** History events above which a canary stage runs as a child state machine. @default the compiler's */
  readonly childThresholdEvents?: number;
  /** The API's request body limits. @default webhooks 1 MiB, everything else 512 KiB */
  readonly bodyLimits?: Partial<BodyLimits>;
  /**
   * Dangerous powers: the roles that may run local jobs and deploy directories and git
   * repositories, and the roots those paths must lie under.
   * Relative paths are read from the directory the server was started in (the local target
   * reads them from there too).
   * @default no power role (admins only), the root process.cwd()
   */
  readonly powers?: PowerSettings;
  /**
   * Serve the aws, ecs and Lambda accounts of saved pipelines from the AWS simulator, seeding
   * what each pipeline assumes when it is saved (`up --sandbox`); `GET /sandbox` describes it.
   * `simulatedClock` (`--sandbox-speed`): the runtime keeps a simulated clock running at the
   * sandbox's speed, as `run --sandbox` does, so waits, canary intervals and judgment timeouts
   * pass that much faster; else it keeps `clock`.
   * @default off
   */
  readonly sandbox?: boolean | (SandboxOptions & { readonly simulatedClock?: boolean });
  /** With `sandbox`: objects the simulated S3 holds from the start (`up --sandbox --s3-object`). @default none */
  readonly s3Objects?: readonly SandboxS3Object[];
  /** The built dashboard served at `/`. @default web/dist of this checkout */
  readonly dashboardDir?: string;
  /** How the accounts file's Kubernetes accounts connect (tests point EKS accounts at a simulated STS). @default this process's environment and AWS's endpoints */
  readonly kubernetes?: Partial<LocalKubernetesOptions>;
}

export interface LocalServer {
  readonly url: string;
  readonly port: number;
  readonly tokenPath: string;
  readonly runtime: LocalRuntime;
  /** The simulated clouds, with `sandbox`. */
  readonly sandbox?: Sandbox;
  /** The SQS poller of `<dir>/pubsub.json`'s subscriptions, when it has any. */
  readonly pubsub?: SqsPoller;
  /** Stops the ticker, the HTTP server, then the runtime. Idempotent. */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };

/** How often `up` looks for judgment reminders due: every 15 seconds, as often as Orca looks at a waiting judgment. */
export const REMINDER_TICK_MS = 15_000;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const clock = options.clock ?? systemClock;
  const io = options.io;
  const host = options.host ?? '127.0.0.1';
  // What an older version left group- or world-readable (data files, target state, logs) becomes private.
  await ensurePrivateDir(options.dir);
  await tightenTree(options.dir);
  const { token, path: tokenPath } = await loadOrCreateToken(options.dir);
  const loaded = await loadAccountsFile(options.dir);
  if (!loaded.ok) throw new Error(loaded.message);
  const pubsubFile = await loadPubsubFile(options.dir);
  if (!pubsubFile.ok) throw new Error(pubsubFile.message);
  const notificationSettings = await loadNotificationSettings(options.dir);
  if (!notificationSettings.ok) throw new Error(notificationSettings.message);
  const webhooksFile = await loadWebhooksFile(options.dir);
  if (!webhooksFile.ok) throw new Error(webhooksFile.message);
  // Notification links point at this server once it listens.
  let listeningUrl: string | undefined;
  const users = createLocalUsers(options.dir);
  const audit = createAuditFile(options.dir);
  const powers = await createPowerPolicy(options.powers ?? {}, process.cwd());
  // client-node loads only when the accounts file has a Kubernetes account; a problem with one stops the start.
  const kubernetes = loaded.accounts.some((account) => account.cloudProvider === 'kubernetes')
    ? (await import('./kubernetes-targets.ts')).createLocalKubernetesTargets(loaded.accounts, { env: process.env, clock, ...options.kubernetes })
    : undefined;
  if (kubernetes && !kubernetes.ok) throw new Error(kubernetes.problems.join('\n'));
  // The Google clients load only when the accounts file has a GCE account.
  const gce = loaded.accounts.some((account) => account.cloudProvider === 'gce') ? await (await import('./gce-targets.ts')).createLocalGceTargets(loaded.accounts, { clock }) : undefined;
  // The AWS clients load only when the accounts file has an aws or ecs account.
  const aws = loaded.accounts.some((account) => account.cloudProvider === 'aws' || account.cloudProvider === 'ecs') ? (await import('./aws-targets.ts')).createLocalAwsTargets(loaded.accounts, { clock }) : undefined;
  // The SDK clients load only when the sandbox is asked for.
  const sandbox = options.sandbox ? await (await import('./sandbox/sandbox.ts')).startSandbox(options.sandbox === true ? {} : options.sandbox) : undefined;
  const simulatedClock = sandbox && typeof options.sandbox === 'object' && options.sandbox.simulatedClock === true ? simulatedClockOf(clock, sandbox.speed) : undefined;
  // Set once the runtime exists: the sandbox seeds canary configs and stand-in pipelines in it.
  let seedable: LocalRuntime | undefined;
  const withSandbox = sandbox ? await sandboxRuntimeOptions(sandbox, io, simulatedClock ? { now: simulatedClock.now, rate: sandbox.speed } : { now: () => clock.now(), rate: 1 }, () => seedable) : undefined;
  const { addMetrics, ...sandboxed }: Partial<NonNullable<typeof withSandbox>> = withSandbox ?? {};
  if (sandbox && (options.s3Objects ?? []).length > 0) {
    for (const object of await sandbox.putS3Objects(options.s3Objects!)) io?.emit({ kind: 'info', message: `sandbox: put ${object.kind} ${object.id} (${object.detail})` });
  }
  // The simulated clouds answer first for the accounts they serve.
  const cloudTargets = firstTarget(sandboxed.cloudTargets, firstTarget(kubernetes?.ok ? kubernetes.lookup : undefined, firstTarget(gce?.lookup, aws?.lookup)));
  let runtime: LocalRuntime;
  try {
    runtime = await createLocalRuntime({
      ...sandboxed,
      ...(cloudTargets ? { cloudTargets } : {}),
      accounts: loaded.accounts,
      artifactAccountConfigs: loaded.artifactAccounts,
      users,
      audit,
      powers,
      dataDir: join(options.dir, 'data'),
      secretsDir: options.dir,
      notifications: { settings: notificationSettings.settings, apiUrl: () => listeningUrl },
      preconfiguredWebhooks: webhooksFile.webhooks,
      // The cron ticker and the API keep `clock`; executions, with --sandbox-speed, the simulated one.
      clock: simulatedClock ?? clock,
      ...(simulatedClock ? { timeScale: sandbox!.speed } : {}),
      apiToken: token,
      ...(io ? { io } : {}),
      ...(options.webhookAllowlist ? { webhookAllowlist: options.webhookAllowlist } : {}),
      ...(options.localTarget === false ? {} : { localTarget: { stateDir: join(options.dir, 'targets', 'local'), ...options.localTarget } }),
      ...(options.prometheusUrl !== undefined ? { prometheusUrl: options.prometheusUrl } : {}),
      ...(options.childThresholdEvents !== undefined ? { childThresholdEvents: options.childThresholdEvents } : {}),
    });
  } catch (error) {
    await sandbox?.close();
    if (kubernetes?.ok) kubernetes.close();
    await gce?.close();
    aws?.close();
    throw error;
  }
  const { store, service, bus, targets, canaryConfigs, pipelineTemplates, accounts } = runtime;
  seedable = runtime;
  // A new simulator holds nothing: the pipelines saved before assume their world again.
  if (sandbox && addMetrics) await reseedSavedPipelines(runtime, sandbox, io, addMetrics);
  const auth = createBearerAuthenticator({ token, users: () => users.tokenUsers() });

  const app = createApiApp({
    service,
    store,
    clock,
    auth,
    audit,
    authHint: `send 'Authorization: Bearer <token>' with the token in ${tokenPath}`,
    ...(targets ? { targets } : {}),
    canaryConfigs,
    pipelineTemplates,
    ...(options.bodyLimits ? { bodyLimits: options.bodyLimits } : {}),
    accounts,
    triggerSecrets: runtime.secrets,
    preconfiguredWebhooks: webhooksFile.webhooks,
    notificationTypes: async () => notificationTypeMetadata(notificationSettings.settings, 'local'),
    log: ({ message, error }) => io?.emit({ kind: 'error', message: error === undefined ? message : `${message}: ${error instanceof Error ? (error.stack ?? describe(error)) : String(error)}` }),
  });

  const startAll = async (matches: readonly TriggerMatch[], what: string, source: string) => {
    for (const match of matches) {
      const runAsUser = runAsUserOf(match.definition.raw);
      const result = await service.startTriggered(
        { application: match.pipeline.application, pipeline: pipelineRef(match.pipeline), trigger: match.trigger, idempotencyKey: match.idempotencyKey },
        { source, ...(runAsUser !== undefined ? { runAsUser } : {}) },
      );
      if (!result.ok) io?.emit({ kind: 'error', message: `${what} could not start pipeline '${match.pipeline.name}' of '${match.pipeline.application}': ${result.message}` });
    }
  };

  const unsubscribe = bus.subscribe(async (event) => {
    if (event.type !== 'Pipeline Execution Completed') return;
    const matches = matchPipelineTrigger(await listTriggerablePipelines(store), event);
    await startAll(matches, `the end of execution ${event.executionId}`, 'trigger:pipeline');
  });

  let lastTick = clock.now();
  let ticking: Promise<void> | undefined;
  const tick = async () => {
    if (ticking) return;
    ticking = tickOnce().finally(() => {
      ticking = undefined;
    });
    await ticking;
  };
  const tickOnce = async () => {
    try {
      const now = clock.now();
      const due = dueCronTriggers(await listTriggerablePipelines(store), lastTick, now);
      lastTick = now;
      await startAll(due, 'a cron trigger', 'trigger:cron');
    } catch (error) {
      io?.emit({ kind: 'error', message: `the cron ticker failed: ${describe(error)}` });
    }
  };
  const ticker = setInterval(() => void tick(), options.cronTickMs ?? 2000);
  ticker.unref();

  // Reminders of waiting manual judgments: the same sweep as the schedule on AWS runs.
  let reminding: Promise<void> | undefined;
  const remind = () => {
    reminding ??= runtime.notifier
      .remindJudgments()
      .then((report) => {
        for (const delivery of report.deliveries) {
          if (delivery.status === 'FAILED') io?.emit({ kind: 'error', message: `notification ${delivery.key} of execution ${delivery.executionId} failed: ${delivery.reason}` });
        }
      })
      .catch((error: unknown) => io?.emit({ kind: 'error', message: `the judgment reminder sweep failed: ${describe(error)}` }))
      .finally(() => {
        reminding = undefined;
      });
  };
  const reminderTicker = setInterval(remind, options.reminderTickMs ?? REMINDER_TICK_MS);
  reminderTicker.unref();

  // Amazon pub/sub: each message starts what it matches before it is deleted (a failed start throws, and SQS delivers it again).
  const pubsub =
    pubsubFile.subscriptions.length > 0
      ? (await import('./pubsub.ts')).createLocalPubsub(
          pubsubFile.subscriptions,
          async (event) => startAll(matchPubsubTrigger(await listTriggerablePipelines(store), event), `pub/sub message ${event.messageId} of '${event.subscriptionName}'`, 'trigger:pubsub'),
          (message) => io?.emit({ kind: 'error', message }),
        )
      : undefined;
  pubsub?.poller.start();

  let server: ReturnType<typeof serve>;
  let address: AddressInfo;
  try {
    const fetch = await withDashboard(withSandboxRoute(app.fetch, sandbox, auth, tokenPath), options.dashboardDir);
    address = await new Promise<AddressInfo>((resolve, reject) => {
      server = serve({ fetch, port: options.port ?? 8084, hostname: host }, resolve);
      server.once('error', reject);
    });
  } catch (error) {
    clearInterval(ticker);
    clearInterval(reminderTicker);
    unsubscribe();
    await pubsub?.poller.stop();
    pubsub?.close();
    await runtime.close();
    await sandbox?.close();
    if (kubernetes?.ok) kubernetes.close();
    await gce?.close();
    aws?.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${options.port ?? 8084} is in use; pass --port <another> (0 picks a free one)`);
    throw error;
  }

  let closing: Promise<void> | undefined;
  listeningUrl = `http://${host}:${address.port}`;
  return {
    url: listeningUrl,
    port: address.port,
    tokenPath,
    runtime,
    ...(sandbox ? { sandbox } : {}),
    ...(pubsub ? { pubsub: pubsub.poller } : {}),
    close() {
      closing ??= (async () => {
        clearInterval(ticker);
        clearInterval(reminderTicker);
        unsubscribe();
        // A tick, a reminder sweep or a pub/sub round in flight still reads the store: let it finish before the store stops.
        await ticking;
        await reminding;
        await pubsub?.poller.stop();
        pubsub?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await runtime.close();
        await sandbox?.close();
        if (kubernetes?.ok) kubernetes.close();
        await gce?.close();
        aws?.close();
      })();
      return closing;
    },
  };
}

/** A clock `speed` times faster than `wall`, from now on. */
function simulatedClockOf(wall: Clock, speed: number): Clock {
  const start = wall.now();
  const started = performance.now();
  return { now: () => start + Math.round((performance.now() - started) * speed) };
}

/** The caller the sandbox seeds as when no user's save asks for it (the saved pipelines at start). */
const SANDBOX_CALLER = { user: 'gennaker-sandbox', roles: [], admin: true, source: 'sandbox' } as const;

type ServedSandbox = Awaited<ReturnType<Sandbox['serve']>>;

/**
 * The runtime options that put the simulated clouds behind the accounts saved pipelines name:
 * their targets and accounts, the metrics accounts their canary stages read, and a save that
 * first seeds what the pipeline assumes, in the clouds and in the runtime (canary configs and
 * stand-in pipelines, local/sandbox/runtime-seeds.ts).
 */
async function sandboxRuntimeOptions(
  sandbox: Sandbox,
  io: IoHost | undefined,
  runtimeClock: { readonly now: () => number; readonly rate: number },
  runtime: () => LocalRuntime | undefined,
): Promise<Pick<LocalRuntimeOptions, 'cloudTargets' | 'cloudAccounts' | 'beforeSave' | 'artifactAccounts' | 'cloudMetrics'> & { addMetrics: (served: ServedSandbox) => void }> {
  const { createSandboxMetrics } = await import('./sandbox/sandbox-metrics.ts');
  const metrics = createSandboxMetrics({ runtime: runtimeClock, speed: sandbox.speed, cloudNow: (type) => sandbox.metricsNow(type) });
  const addMetrics = (served: ServedSandbox) => metrics.add(served.metricsAccounts ?? []);
  return {
    cloudTargets: sandbox.targets,
    artifactAccounts: (own) => sandbox.artifactContent(own),
    cloudAccounts: () => sandbox.accounts(),
    cloudMetrics: metrics.lookup,
    addMetrics,
    beforeSave: async (config, caller) => {
      try {
        const served = await sandbox.serve([config]);
        addMetrics(served);
        for (const resource of served.seeded) io?.emit({ kind: 'info', message: `sandbox: seeded ${resource.kind} ${resource.id} (${resource.detail})` });
        await seedRuntimeOf(runtime(), served, caller, io);
      } catch (error) {
        // The save goes on: the pipeline's run fails on what could not be seeded, as AWS would fail it.
        io?.emit({ kind: 'error', message: describe(error) });
      }
    },
  };
}

/** Seeds the canary configs and stand-in pipelines a `serve` asked for, reporting each. */
async function seedRuntimeOf(runtime: LocalRuntime | undefined, served: ServedSandbox, caller: Caller, io: IoHost | undefined, again = false): Promise<void> {
  const seeds = served.runtimeSeeds;
  if (!runtime || !seeds || seeds.canaryConfigs.length + seeds.standIns.length === 0) return;
  const { seedRuntime } = await import('./sandbox/runtime-seeds.ts');
  for (const resource of await seedRuntime(runtime, seeds, caller, { again })) io?.emit({ kind: 'info', message: `sandbox: seeded ${resource.kind} ${resource.id} (${resource.detail})` });
}

/** Serves and seeds the world of every saved pipeline (the newest version of each). */
async function reseedSavedPipelines(runtime: LocalRuntime, sandbox: Sandbox, io: IoHost | undefined, addMetrics: (served: ServedSandbox) => void): Promise<void> {
  const store = runtime.store;
  const configs: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listApplications({ limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
    for (const application of page.items) for (const saved of await store.listPipelineConfigs(application.name)) configs.push(runnableConfigOf(saved));
    cursor = page.cursor;
  } while (cursor !== undefined);
  if (configs.length === 0) return;
  try {
    // Stand-ins are left out, so the pipelines that read them ask for them again (to run once more).
    const { isSandboxStandIn } = await import('./sandbox/kubernetes-canary-world.ts');
    const served = await sandbox.serve(configs.filter((config) => !isSandboxStandIn(config)));
    addMetrics(served);
    io?.emit({ kind: 'info', message: `sandbox: seeded ${served.seeded.length} resources for ${configs.length} saved pipeline${configs.length === 1 ? '' : 's'}` });
    // The stand-ins are saved already; what their run deployed went with the previous simulator.
    await seedRuntimeOf(runtime, served, SANDBOX_CALLER, io, true);
  } catch (error) {
    io?.emit({ kind: 'error', message: describe(error) });
  }
}

/**
 * `GET /sandbox`: the simulated clouds' state for `gennaker sandbox describe`, to any
 * authenticated caller (it is the sandbox's world, not Gennaker's data); 404 without a sandbox.
 * Every other request goes to the API.
 */
function withSandboxRoute(fetch: (request: Request, env?: unknown) => Response | Promise<Response>, sandbox: Sandbox | undefined, auth: Authenticator, tokenPath: string) {
  // The server's bindings (the client's socket) go on to the API: the audit log records the source address from them.
  return async (request: Request, env?: unknown): Promise<Response> => {
    if (new URL(request.url).pathname !== '/sandbox') return fetch(request, env);
    const caller = await auth.authenticate({ headers: Object.fromEntries([...request.headers.entries()]) });
    if (!caller) return Response.json({ status: 401, message: `not authenticated; send 'Authorization: Bearer <token>' with the token in ${tokenPath}` }, { status: 401 });
    if (request.method !== 'GET') return Response.json({ status: 405, message: `${request.method} /sandbox is not allowed; GET it` }, { status: 405 });
    if (!sandbox) return Response.json({ status: 404, message: 'this Gennaker runs without a sandbox; start it with gennaker up --sandbox' }, { status: 404 });
    return Response.json(sandbox.describe());
  };
}
