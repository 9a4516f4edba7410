/**
 * The composition root of the stage runner function: the shared cloud runtime
 * (functions/wiring.ts) plus the stage runner itself — every stage task, the expression
 * language and the webhook HTTP client, which no other function's bundle carries.
 */
import { createFetchHttpClient } from '../adapters/http/fetch-http-client.ts';
import { createStageRunner, type StageRunner } from '../core/execution/stage-runner.ts';
import { coldStartClients, createCloudRuntime, readEnvironment, type CloudClients, type CloudEnvironment, type CloudRuntime, type CloudRuntimeOptions } from './wiring.ts';

export interface StageRunnerRuntime extends CloudRuntime {
  readonly runner: StageRunner;
}

/** The stage runner function's runtime: child pipelines start through its execution service. */
export function createStageRunnerRuntime(env: CloudEnvironment, clients: CloudClients, options: Omit<CloudRuntimeOptions, 'schedules'> = {}): StageRunnerRuntime {
  const runtime = createCloudRuntime(env, clients, options);
  const runner = createStageRunner({
    store: runtime.store,
    clock: runtime.clock,
    http: createFetchHttpClient({ allowlist: env.webhookAllowlist }),
    children: { start: (request) => runtime.service.start(request) },
    random: runtime.random,
    canaryConfigs: runtime.canaryConfigs,
    // Resumes a callback Task the runner does not leave waiting (a judgment kept by a restart, or skipped).
    callbacks: runtime.engine,
  });
  return { ...runtime, runner };
}

let runner: StageRunner | undefined;

/** The stage runner of this cold start. */
export function stageRunnerForColdStart(): StageRunner {
  runner ??= createStageRunnerRuntime(readEnvironment(process.env), coldStartClients()).runner;
  return runner;
}
