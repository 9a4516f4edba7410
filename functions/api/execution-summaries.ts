/**
 * The newest executions of each of an application's pipelines as summaries
 * (`GET /applications/{application}/executionSummaries`): one page of the executions index per
 * pipeline, never a stage record, so a list of pipelines with their last runs costs the same with
 * ten executions or ten thousand. Loaded on first use (scripts/build.js, ON_DEMAND_MODULES), out
 * of the API's cold start.
 */
import type { ExecutionSummary } from '../../core/execution/queries.ts';
import type { ExecutionStore } from '../../core/ports/execution-store.ts';

/** The newest `limit` executions of each pipeline of `application`, newest first within each; the caller's READ is checked before. */
export async function listExecutionSummaries(store: ExecutionStore, application: string, limit: number): Promise<ExecutionSummary[]> {
  const configs = await store.listPipelineConfigs(application);
  const pages = await Promise.all(configs.map((config) => store.listExecutions({ pipelineConfigId: config.id }, { limit })));
  return pages.flatMap((page) =>
    page.items.map(({ id, application: owner, pipelineConfigId, name, status, buildTime, startTime, endTime }) => ({
      id,
      application: owner,
      pipelineConfigId,
      name,
      status,
      buildTime,
      ...(startTime === undefined ? {} : { startTime }),
      ...(endTime === undefined ? {} : { endTime }),
    })),
  );
}
