/**
 * `gennaker demo`: the newcomer's first command (DESIGN.md §9). It starts the embedded control
 * plane in a scratch directory, creates the application `hello` and a deploy pipeline, then
 * deploys the sample service (examples/service) three times into the cluster `hello-demo`:
 *
 * 1. v000 (1.0.0), 3 instances behind the cluster's load balancer;
 * 2. v001 (1.1.0) with red/black, while a load generator sends requests through the balancer;
 * 3. v002 (1.2.0), broken: its health check fails, the deploy fails within its timeout, and
 *    `rollback.onFailure` removes it while v001 keeps serving, still under load.
 *
 * It prints each execution's stage tree, the cluster before and after each deploy, and the
 * requests sent and failed per deploy (the figure that matters: 0 failed). `--json` prints the
 * same as one document. Everything it started is stopped and removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Caller } from '../../core/execution/execution-service-api.ts';
import { executionFailureReason } from '../../core/execution/failure-reason.ts';
import type { ExecutionStatus } from '../../core/execution/status.ts';
import type { IoHost } from '../../core/io-host.ts';
import type { ClusterDescription, ClusterRef } from '../../adapters/targets/local/local-target-api.ts';
import { startLoad, type RunningLoad } from '../../local/load-generator.ts';
import type { LocalServer, LocalServerOptions } from '../../local/server.ts';
import { EXIT } from '../usage.ts';
import { serverGroupLine } from './cluster-commands.ts';
import { follow } from './run.ts';

export const DEMO_SERVICE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/service');

const APPLICATION = 'hello';
const STACK = 'demo';
/** The cluster both demos deploy to. */
export const DEMO_CLUSTER: ClusterRef = { account: 'local', location: 'local', cluster: `${APPLICATION}-${STACK}` };
/** The demo is its own operator: an admin of the scratch control plane it starts. */
const CALLER: Caller = { user: 'demo', roles: [], admin: true, source: 'cli' };

export interface DemoOptions {
  readonly json: boolean;
  /** How long the broken release may take to become healthy before its deploy fails. @default 15 */
  readonly healthTimeoutSeconds?: number;
  /** Requests per second the load generator sends through the load balancer. @default 200 */
  readonly requestsPerSecond?: number;
}

export interface DemoDeps {
  readonly startServer: (options: LocalServerOptions) => Promise<LocalServer>;
  /** Settles on Ctrl-C: the demo stops and cleans up. */
  readonly interrupted?: Promise<void>;
}

export interface DeployReport {
  readonly version: string;
  readonly strategy: string;
  readonly status: ExecutionStatus;
  readonly executionId: string;
  /** Requests sent through the load balancer while this deploy ran (0 before there was a cluster). */
  readonly requests: number;
  readonly failedRequests: number;
  /** From the execution's start until every instance of the new server group was Up; null if it never was. */
  readonly secondsToHealthy: number | null;
  readonly seconds: number;
  /** What the demo expected of this deploy, and whether it happened. */
  readonly expected: ExecutionStatus;
  /** Why the deploy did not succeed (one line); null when it succeeded. */
  readonly reason: string | null;
}

export interface DemoSummary {
  readonly ok: boolean;
  readonly deploys: readonly DeployReport[];
  readonly cluster: ClusterDescription;
  /** Why `ok` is false, one line each. */
  readonly problems: readonly string[];
}

/** The pipeline the demo saves: one deploy stage, parameterized by version and breakage. */
export function demoPipeline(serviceDir: string, healthTimeoutSeconds: number): Record<string, unknown> {
  return {
    application: APPLICATION,
    name: 'Deploy hello',
    limitConcurrent: true,
    keepWaitingPipelines: true,
    parameterConfig: [
      { name: 'version', required: true, description: 'The release to deploy, e.g. 1.1.0' },
      { name: 'broken', default: '0', description: '1: the release fails its health check' },
    ],
    stages: [
      {
        refId: '1',
        type: 'deploy',
        name: 'Deploy hello-demo',
        clusters: [
          {
            application: APPLICATION,
            stack: STACK,
            freeFormDetails: '',
            account: DEMO_CLUSTER.account,
            cloudProvider: 'local',
            availabilityZones: { [DEMO_CLUSTER.location]: [DEMO_CLUSTER.location] },
            capacity: { min: 3, max: 3, desired: 3 },
            strategy: 'redblack',
            maxRemainingAsgs: 2,
            scaleDown: false,
            rollback: { onFailure: true, destroyLatest: true },
            artifact: { type: 'directory', reference: serviceDir, name: APPLICATION, version: '${parameters.version}' },
            env: { FAIL_HEALTH: '${parameters.broken}' },
            healthCheck: { path: '/health', intervalMs: 200, timeoutMs: 1_000 },
            waitForHealthyTimeoutSec: healthTimeoutSeconds,
          },
        ],
      },
    ],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Watches the cluster while a deploy runs: when did a server group that was not there before have every instance Up? */
function watchHealthy(server: LocalServer, before: ReadonlySet<string>, startedAt: number) {
  let healthyAt: number | undefined;
  let running = true;
  const done = (async () => {
    while (running && healthyAt === undefined) {
      const cluster = await server.runtime.target!.describeCluster(DEMO_CLUSTER);
      const fresh = cluster.serverGroups.find((group) => !before.has(group.name));
      if (fresh && fresh.instances.length >= fresh.capacity.desired && fresh.instances.every((instance) => instance.health === 'Up')) healthyAt = Date.now();
      else await sleep(100);
    }
  })();
  return {
    async stop(): Promise<number | null> {
      running = false;
      await done;
      return healthyAt === undefined ? null : (healthyAt - startedAt) / 1000;
    },
  };
}

/** What both demos share: a scratch directory, the control plane with the application, progress output, and the cleanup. */
interface DemoSession {
  readonly server: LocalServer;
  /** Where execution progress goes (errors only with --json). */
  readonly progress: IoHost;
  readonly say: (message: string) => void;
  readonly show: (text: string) => void;
  readonly interrupted: () => boolean;
  /** The load generator, stopped at cleanup if the demo left it running. */
  load?: RunningLoad;
}

/** Runs a demo inside a session and always cleans up: every instance, the load balancer, the control plane, the directory. */
async function withDemoSession(
  json: boolean,
  io: IoHost,
  deps: DemoDeps,
  setup: { readonly scratchPrefix: string; readonly drainTimeoutMs: number; readonly killGraceMs: number },
  run: (session: DemoSession) => Promise<number>,
): Promise<number> {
  const say = (message: string) => {
    if (!json) io.emit({ kind: 'info', message });
  };
  const show = (text: string) => {
    if (!json) io.emit({ kind: 'data', text });
  };
  const dir = mkdtempSync(join(tmpdir(), setup.scratchPrefix));
  const progress: IoHost = json ? { emit: (message) => (message.kind === 'error' ? io.emit(message) : undefined) } : io;
  let interrupted = false;
  void deps.interrupted?.then(() => {
    interrupted = true;
  });
  let server: LocalServer | undefined;
  let session: DemoSession | undefined;
  try {
    say('starting the embedded control plane (DynamoDB, state machines, API) in a scratch directory');
    server = await deps.startServer({
      dir,
      port: 0,
      io: progress,
      cronTickMs: 60_000,
      // The sample service is the only directory the demo deploys, wherever it is started from.
      powers: { roots: [DEMO_SERVICE_DIR] },
      localTarget: { drainTimeoutMs: setup.drainTimeoutMs, killGraceMs: setup.killGraceMs, healthCheck: { intervalMs: 200, timeoutMs: 1_000, unhealthyThreshold: 2 } },
    });
    say(`Gennaker is up at ${server.url} (token in ${server.tokenPath})`);
    await server.runtime.store.saveApplication(
      { name: APPLICATION, email: 'demo@example.com', accounts: ['local'], trafficGuards: [{ account: 'local', location: 'local', stack: STACK, enabled: true }], permissions: {}, raw: { name: APPLICATION } },
      { expectRevision: 0 },
    );
    session = { server, progress, say, show, interrupted: () => interrupted };
    return await run(session);
  } finally {
    await session?.load?.stop();
    say('cleaning up: stopping every instance, the load balancer and the control plane');
    await server?.runtime.target?.destroyAll();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runDemo(options: DemoOptions, io: IoHost, deps: DemoDeps): Promise<number> {
  return withDemoSession(options.json, io, deps, { scratchPrefix: 'gennaker-demo-', drainTimeoutMs: 5_000, killGraceMs: 2_000 }, async (session) => {
    const { server, progress, say, show } = session;
    const interrupted = session.interrupted;
    const { service } = server.runtime;
    const saved = await service.savePipeline({ config: demoPipeline(DEMO_SERVICE_DIR, options.healthTimeoutSeconds ?? 15) }, CALLER);
    if (!saved.ok) throw new Error(`the demo pipeline was refused: ${saved.reason === 'invalid' ? saved.issues.map((issue) => `${issue.pointer}: ${issue.message}`).join('; ') : saved.message}`);
    say(`created application '${APPLICATION}' (traffic guard on ${DEMO_CLUSTER.cluster}) and pipeline '${saved.saved.name}'`);

    const plan: ReadonlyArray<{ version: string; broken: boolean; expected: ExecutionStatus; what: string }> = [
      { version: '1.0.0', broken: false, expected: 'SUCCEEDED', what: 'the first release, 3 instances behind the load balancer' },
      { version: '1.1.0', broken: false, expected: 'SUCCEEDED', what: 'a new release with red/black, under load' },
      { version: '1.2.0', broken: true, expected: 'TERMINAL', what: 'a broken release (its health check fails), under load: the deploy must fail and roll back' },
    ];
    const deploys: DeployReport[] = [];
    for (const step of plan) {
      if (interrupted()) break;
      const before = await server.runtime.target!.describeCluster(DEMO_CLUSTER);
      show('');
      say(`deploying ${step.version}: ${step.what}`);
      const counted = session.load?.snapshot() ?? { sent: 0, ok: 0, failed: 0 };
      const started = await service.startPipeline(
        { application: APPLICATION, pipeline: saved.saved.id, trigger: { type: 'manual', user: CALLER.user, parameters: { version: step.version, broken: step.broken ? '1' : '0' } } },
        CALLER,
      );
      if (!started.ok) throw new Error(`the deploy of ${step.version} did not start: ${started.message}`);
      const startedAt = Date.now();
      const healthy = watchHealthy(server, new Set(before.serverGroups.map((group) => group.name)), startedAt);
      const execution = await follow(server.runtime, started.executionId, `${saved.saved.name} ${step.version}`, new Map(), progress, {
        caller: CALLER,
        pollMs: 200,
        ...(deps.interrupted ? { interrupted: deps.interrupted } : {}),
      });
      const secondsToHealthy = await healthy.stop();
      const seconds = (Date.now() - startedAt) / 1000;
      const after = await server.runtime.target!.describeCluster(DEMO_CLUSTER);
      const now = session.load?.snapshot() ?? { sent: 0, ok: 0, failed: 0 };
      const report: DeployReport = {
        version: step.version,
        strategy: 'redblack',
        status: execution.status,
        executionId: execution.id,
        requests: now.sent - counted.sent,
        failedRequests: now.failed - counted.failed,
        secondsToHealthy,
        seconds,
        expected: step.expected,
        reason: executionFailureReason(execution) ?? null,
      };
      deploys.push(report);
      show(`cluster ${DEMO_CLUSTER.cluster} before:`);
      for (const line of before.serverGroups.length ? [...before.serverGroups].reverse().map(serverGroupLine) : ['(empty)']) show(`  ${line}`);
      show(`cluster ${DEMO_CLUSTER.cluster} after:`);
      for (const line of [...after.serverGroups].reverse().map(serverGroupLine)) show(`  ${line}`);
      const outcome =
        (execution.status === step.expected ? (step.broken ? 'failed and rolled back, as expected' : 'succeeded') : `ended ${execution.status}, expected ${step.expected}`) +
        (report.reason !== null ? ` (${report.reason})` : '');
      say(
        `${step.version} ${outcome} in ${seconds.toFixed(1)} s; ` +
          `healthy ${secondsToHealthy === null ? 'never' : `after ${secondsToHealthy.toFixed(1)} s`}; ` +
          (session.load ? `requests through the load balancer: ${report.requests} sent, ${report.failedRequests} failed` : 'no traffic yet'),
      );
      // Traffic starts once the cluster has a load balancer with a release behind it.
      if (!session.load && after.endpoint) {
        session.load = startLoad({ url: `${after.endpoint}/`, concurrency: 8, ratePerSecond: options.requestsPerSecond ?? 200, timeoutMs: 5_000 });
        say(`load generator: ${options.requestsPerSecond ?? 200} requests/s through ${after.endpoint}`);
      }
    }

    const final = await server.runtime.target!.describeCluster(DEMO_CLUSTER);
    const report = session.load ? await session.load.stop() : undefined;
    session.load = undefined;
    const problems: string[] = [];
    if (interrupted()) problems.push('interrupted');
    for (const deploy of deploys) {
      if (deploy.status !== deploy.expected) problems.push(`${deploy.version}: ended ${deploy.status}, expected ${deploy.expected}${deploy.reason !== null ? ` (${deploy.reason})` : ''}`);
      if (deploy.failedRequests > 0) problems.push(`${deploy.version}: ${deploy.failedRequests} requests failed`);
    }
    const serving = final.serverGroups.filter((group) => !group.disabled && group.trafficWeight > 0).map((group) => group.artifact.version);
    if (!interrupted() && JSON.stringify(serving) !== JSON.stringify(['1.1.0'])) problems.push(`the cluster serves ${JSON.stringify(serving)}, expected only 1.1.0`);
    const summary: DemoSummary = { ok: problems.length === 0, deploys, cluster: final, problems };
    if (options.json) {
      io.emit({
        kind: 'data',
        text: JSON.stringify(
          {
            ok: summary.ok,
            deploys: deploys.map(({ version, strategy, status, reason, requests, failedRequests, secondsToHealthy }) => ({ version, strategy, status, reason, requests, failedRequests, secondsToHealthy })),
            cluster: { name: final.cluster, account: final.account, location: final.location, serverGroups: final.serverGroups.map(({ name, disabled, trafficWeight, capacity, artifact, instances }) => ({ name, version: artifact.version, disabled, trafficWeight, capacity, instances: instances.map(({ id, health }) => ({ id, health })) })) },
            ...(problems.length ? { problems } : {}),
          },
          null,
          2,
        ),
      });
    } else {
      show('');
      if (report) say(`in all: ${report.sent} requests through the load balancer, ${report.failures.length} failed`);
      if (summary.ok) say('demo finished: every deploy behaved as expected and no request failed');
      else for (const problem of problems) io.emit({ kind: 'error', message: `demo: ${problem}` });
    }
    return summary.ok ? EXIT.ok : EXIT.failed;
  });
}

export interface CanaryDemoOptions {
  readonly json: boolean;
  /** Seeds the sample service's error choices (SEED), so runs are reproducible. @default 1 */
  readonly seed?: number;
  /** Requests per second through the load balancer. @default 200 */
  readonly requestsPerSecond?: number;
  /** The canary's lifetime. @default 16 */
  readonly lifetimeSeconds?: number;
  /** Seconds per analysis interval. @default 8 */
  readonly intervalSeconds?: number;
  /** Share of traffic sent to each of baseline and canary. @default 30 */
  readonly trafficPercent?: number;
}

/** The canary demo's load and canary timing when the options leave them out. */
export const CANARY_DEMO_DEFAULTS = { requestsPerSecond: 200, lifetimeSeconds: 16, intervalSeconds: 8, trafficPercent: 30 } as const;

/** The canary demo's two canary deploys, in order: what each release does and how its deploy must end. */
export const CANARY_DEMO_RELEASES: ReadonlyArray<{ readonly version: string; readonly errorRate: number; readonly expected: ExecutionStatus; readonly outcome: 'promoted' | 'rolledBack'; readonly what: string }> = [
  { version: '1.1.0', errorRate: 0, expected: 'SUCCEEDED', outcome: 'promoted', what: 'a good release' },
  { version: '1.2.0', errorRate: 0.05, expected: 'TERMINAL', outcome: 'rolledBack', what: 'a bad release (5% of its requests fail)' },
];

/** One canary deploy of the canary demo. */
export interface CanaryDeployReport {
  readonly version: string;
  readonly errorRate: number;
  readonly status: ExecutionStatus;
  readonly expected: ExecutionStatus;
  readonly outcome: string | null;
  readonly canaryScores: readonly number[];
  readonly score: number | null;
  readonly message: string | null;
  readonly requests: number;
  readonly failedRequests: number;
  readonly seconds: number;
  readonly executionId: string;
}

/** The demo's canary config: error rate (critical) and mean latency, from the local load balancer. */
export const DEMO_CANARY_CONFIG = {
  name: 'hello-canary',
  judge: { name: 'NetflixACAJudge-v1.0' },
  metrics: [
    { name: 'error_rate', query: { type: 'local', metricName: 'error_rate' }, groups: ['Errors'], scopeName: 'default', analysisConfigurations: { canary: { direction: 'increase', critical: true } } },
    { name: 'latency_mean', query: { type: 'local', metricName: 'latency_mean' }, groups: ['Latency'], scopeName: 'default', analysisConfigurations: { canary: { direction: 'increase', effectSize: { allowedIncrease: 2 } } } },
  ],
  classifier: { groupWeights: { Errors: 70, Latency: 30 } },
} as const;

/** The canary pipeline of the demo: a deploy with strategy canary beside the production red/black made. */
export function canaryDemoPipeline(serviceDir: string, options: { lifetimeSeconds: number; intervalSeconds: number; trafficPercent: number }): Record<string, unknown> {
  return {
    application: APPLICATION,
    name: 'Canary hello',
    limitConcurrent: true,
    keepWaitingPipelines: true,
    parameterConfig: [
      { name: 'version', required: true, description: 'The release to deploy, e.g. 1.1.0' },
      { name: 'errorRate', default: '0', description: 'Fraction of requests the release fails (a bad release: 0.05)' },
      { name: 'seed', default: '1', description: "Seeds the service's error choices" },
    ],
    stages: [
      {
        refId: '1',
        type: 'deploy',
        name: 'Canary hello-demo',
        clusters: [
          {
            application: APPLICATION,
            stack: STACK,
            freeFormDetails: '',
            account: DEMO_CLUSTER.account,
            cloudProvider: 'local',
            availabilityZones: { [DEMO_CLUSTER.location]: [DEMO_CLUSTER.location] },
            capacity: { min: 3, max: 3, desired: 3 },
            strategy: 'canary',
            artifact: { type: 'directory', reference: serviceDir, name: APPLICATION, version: '${parameters.version}' },
            env: { ERROR_RATE: '${parameters.errorRate}', SEED: '${parameters.seed}' },
            healthCheck: { path: '/health', intervalMs: 200, timeoutMs: 1_000 },
            waitForHealthyTimeoutSec: 30,
            canary: {
              canaryConfig: { config: DEMO_CANARY_CONFIG },
              lifetimeDuration: `PT${options.lifetimeSeconds}S`,
              canaryAnalysisIntervalMins: options.intervalSeconds / 60,
              step: 1,
              trafficPercent: options.trafficPercent,
              scoreThresholds: { marginal: 50, pass: 70 },
              baselineEnv: { ERROR_RATE: '0', SEED: '${parameters.seed}' },
            },
          },
        ],
      },
    ],
  };
}

/**
 * `gennaker demo --canary`: production 1.0.0 (red/black), then under load a good release 1.1.0
 * judged by canary analysis and promoted, then a bad one 1.2.0 (5% errors) caught and rolled back.
 */
export async function runCanaryDemo(options: CanaryDemoOptions, io: IoHost, deps: DemoDeps): Promise<number> {
  const seed = options.seed ?? 1;
  const rate = options.requestsPerSecond ?? CANARY_DEMO_DEFAULTS.requestsPerSecond;
  const timing = {
    lifetimeSeconds: options.lifetimeSeconds ?? CANARY_DEMO_DEFAULTS.lifetimeSeconds,
    intervalSeconds: options.intervalSeconds ?? CANARY_DEMO_DEFAULTS.intervalSeconds,
    trafficPercent: options.trafficPercent ?? CANARY_DEMO_DEFAULTS.trafficPercent,
  };
  return withDemoSession(options.json, io, deps, { scratchPrefix: 'gennaker-canary-demo-', drainTimeoutMs: 2_000, killGraceMs: 1_000 }, async (session) => {
    const { server, progress, say } = session;
    const interrupted = session.interrupted;
    const { service } = server.runtime;
    const target = server.runtime.target!;
    const save = async (config: Record<string, unknown>) => {
      const saved = await service.savePipeline({ config }, CALLER);
      if (!saved.ok) throw new Error(`the demo pipeline was refused: ${saved.reason === 'invalid' ? saved.issues.map((issue) => `${issue.pointer}: ${issue.message}`).join('; ') : saved.message}`);
      return saved.saved;
    };
    const redblack = await save(demoPipeline(DEMO_SERVICE_DIR, 15));
    const canary = await save(canaryDemoPipeline(DEMO_SERVICE_DIR, timing));
    const run = async (pipelineId: string, label: string, parameters: Record<string, string>) => {
      const started = await service.startPipeline({ application: APPLICATION, pipeline: pipelineId, trigger: { type: 'manual', user: CALLER.user, parameters } }, CALLER);
      if (!started.ok) throw new Error(`${label} did not start: ${started.message}`);
      return follow(server!.runtime, started.executionId, label, new Map(), progress, { caller: CALLER, pollMs: 200, ...(deps.interrupted ? { interrupted: deps.interrupted } : {}) });
    };

    say('deploying production 1.0.0 (red/black, 3 instances)');
    const first = await run(redblack.id, 'Deploy hello 1.0.0', { version: '1.0.0', broken: '0' });
    if (first.status !== 'SUCCEEDED') throw new Error(`the first deploy ended ${first.status}`);
    const endpoint = (await target.describeCluster(DEMO_CLUSTER)).endpoint;
    if (!endpoint) throw new Error(`cluster ${DEMO_CLUSTER.cluster} has no load balancer`);
    const load = startLoad({ url: `${endpoint}/`, concurrency: 8, ratePerSecond: rate, timeoutMs: 5_000 });
    session.load = load;
    say(`load generator: ${rate} requests/s through ${endpoint}; canary analysis: ${timing.lifetimeSeconds} s in intervals of ${timing.intervalSeconds} s, ${timing.trafficPercent}% of traffic each to baseline and canary`);

    const plan = CANARY_DEMO_RELEASES;
    const deploys: CanaryDeployReport[] = [];
    const problems: string[] = [];
    for (const step of plan) {
      if (interrupted()) break;
      say(`canary deploy of ${step.version}: ${step.what}`);
      const counted = load.snapshot();
      const startedAt = Date.now();
      const execution = await run(canary.id, `Canary hello ${step.version}`, { version: step.version, errorRate: String(step.errorRate), seed: String(seed) });
      const now = load.snapshot();
      const outputs = execution.stages[0]?.outputs as Record<string, unknown> | undefined;
      const result = (outputs?.canary ?? {}) as { canaryScores?: number[]; overallScore?: number | null; outcome?: string; canaryScoreMessage?: string };
      const report: CanaryDeployReport = {
        version: step.version,
        errorRate: step.errorRate,
        status: execution.status,
        expected: step.expected,
        outcome: result.outcome ?? null,
        canaryScores: result.canaryScores ?? [],
        score: result.overallScore ?? null,
        message: result.canaryScoreMessage ?? null,
        requests: now.sent - counted.sent,
        failedRequests: now.failed - counted.failed,
        seconds: (Date.now() - startedAt) / 1000,
        executionId: execution.id,
      };
      deploys.push(report);
      if (report.status !== step.expected) problems.push(`${step.version}: ended ${report.status}, expected ${step.expected}`);
      if (report.outcome !== step.outcome) problems.push(`${step.version}: outcome ${report.outcome}, expected ${step.outcome}`);
      if (step.errorRate === 0 && report.failedRequests > 0) problems.push(`${step.version}: ${report.failedRequests} requests failed`);
      say(`${step.version}: ${report.outcome ?? 'no outcome'} (${report.status}) in ${report.seconds.toFixed(1)} s; canary scores ${JSON.stringify(report.canaryScores)}; ${report.message ?? ''}`);
      say(`  requests through the load balancer: ${report.requests} sent, ${report.failedRequests} failed`);
    }
    await load.stop();
    session.load = undefined;
    const final = await target.describeCluster(DEMO_CLUSTER);
    const serving = final.serverGroups.filter((group) => !group.disabled && group.trafficWeight > 0).map((group) => group.artifact.version);
    if (!interrupted() && JSON.stringify(serving) !== JSON.stringify(['1.1.0'])) problems.push(`the cluster serves ${JSON.stringify(serving)}, expected only 1.1.0`);
    if (interrupted()) problems.push('interrupted');
    const ok = problems.length === 0;
    if (options.json) {
      io.emit({
        kind: 'data',
        text: JSON.stringify(
          {
            ok,
            seed,
            deploys: deploys.map(({ version, errorRate, status, outcome, canaryScores, score, message, requests, failedRequests, seconds }) => ({ version, strategy: 'canary', errorRate, status, outcome, canaryScores, score, message, requests, failedRequests, seconds })),
            cluster: { name: final.cluster, serverGroups: final.serverGroups.map(({ name, disabled, trafficWeight, artifact }) => ({ name, version: artifact.version, disabled, trafficWeight })) },
            ...(problems.length ? { problems } : {}),
          },
          null,
          2,
        ),
      });
    } else {
      for (const line of [...final.serverGroups].reverse().map(serverGroupLine)) io.emit({ kind: 'data', text: `  ${line}` });
      if (ok) say('canary demo finished: the good release was promoted and the bad one rolled back');
      else for (const problem of problems) io.emit({ kind: 'error', message: `demo: ${problem}` });
    }
    return ok ? EXIT.ok : EXIT.failed;
  });
}
