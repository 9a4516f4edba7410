/**
 * The composition root of the functions that save and publish pipelines (the API and the
 * publisher): the shared cloud runtime (functions/wiring.ts) plus cron triggers kept as
 * EventBridge Scheduler schedules. Only these two bundles carry the Scheduler client.
 */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { createCronSchedules, planSchedules } from '../adapters/scheduler/cron-schedules.ts';
import { compilePipeline } from '../statemachines/index.ts';
import { coldStartClients, createCloudRuntime, readEnvironment, type CloudClients, type CloudEnvironment, type CloudRuntime, type CloudRuntimeOptions, type PipelineSchedules } from './wiring.ts';

/** The clouds' provider-field checks (their parsers weigh ~45 KB), loaded by the first save. */
const loadClusterFieldChecks = async () => (await import('../adapters/targets/cluster-checks.ts')).CLUSTER_FIELD_CHECKS;

/** What a caller may set of a publishing runtime (the rest is this file's). */
export type PublishingRuntimeOptions = Omit<CloudRuntimeOptions, 'schedules' | 'compile' | 'startTargetVia' | 'clusterFieldChecks'>;

/**
 * The runtime of a function that saves or publishes pipelines. `env.scheduler` and
 * `clients.scheduler` are both required: without them cron triggers would be saved and never fire.
 */
export function createPublishingRuntime(env: CloudEnvironment, clients: CloudClients, options: PublishingRuntimeOptions = {}): CloudRuntime {
  if (!env.scheduler) throw new Error('the publishing runtime needs the Scheduler settings: read the environment with readEnvironment(env, { scheduler: true })');
  if (!clients.scheduler) throw new Error('the publishing runtime needs an EventBridge Scheduler client (clients.scheduler)');
  const cron = createCronSchedules({
    client: clients.scheduler,
    groupName: env.scheduler.groupName,
    targetArn: env.scheduler.targetArn,
    roleArn: env.scheduler.roleArn,
    ...(options.random ? { random: options.random } : {}),
  });
  const schedules: PipelineSchedules = {
    refusals: (pipeline) => {
      const plan = planSchedules(pipeline);
      return plan.ok ? [] : plan.issues;
    },
    sync: async (pipeline) => void (await cron.sync(pipeline)),
    remove: async (pipelineConfigId) => void (await cron.remove(pipelineConfigId)),
  };
  // Saving checks each cloud's deploy cluster fields (no cloud call).
  return createCloudRuntime(env, clients, { ...options, schedules, compile: compilePipeline, clusterFieldChecks: loadClusterFieldChecks });
}

/** The environment and clients of this cold start, for a function that saves or publishes pipelines. */
export function publishingColdStart(): { readonly env: CloudEnvironment; readonly clients: CloudClients } {
  return { env: readEnvironment(process.env, { scheduler: true }), clients: { ...coldStartClients(), scheduler: new SchedulerClient({}) } };
}

let runtime: CloudRuntime | undefined;

/** The runtime of this cold start, for functions that save or publish pipelines (they sync cron schedules). */
export function publishingRuntimeForColdStart(): CloudRuntime {
  if (!runtime) {
    const { env, clients } = publishingColdStart();
    runtime = createPublishingRuntime(env, clients);
  }
  return runtime;
}
