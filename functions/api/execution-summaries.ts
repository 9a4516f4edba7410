/**
 * The newest executions of each of an application's pipelines as summaries
 * (`GET /applications/{application}/executionSummaries`), read from the executions indexes alone,
 * never a stage record: a list of pipelines with their last runs costs the same with ten
 * executions or ten thousand. Loaded on first use (scripts/build.js, ON_DEMAND_MODULES), out of
 * the API's cold start.
 */
import type { ExecutionSummary } from '../../core/execution/queries.ts';
import type { ExecutionHeader, ExecutionStore } from '../../core/ports/execution-store.ts';

/** The most items the store answers in one page. */
const PAGE = 1000;

/**
 * The newest `limit` executions of each pipeline of `application`, newest first within each,
 * pipelines in the order of their names; the caller's READ is checked before. The application's
 * newest `limit × pipelines` executions come first, in pages of the application's index: when
 * that is all of them, or a pipeline has its `limit` among them, nothing more is read; only a
 * pipeline short of `limit` in a longer history is read on its own. At most twice
 * `limit × pipelines` headers in all.
 */
export async function listExecutionSummaries(store: ExecutionStore, application: string, limit: number): Promise<ExecutionSummary[]> {
  const configs = await store.listPipelineConfigs(application);
  const wanted = limit * configs.length;
  const newest: ExecutionHeader[] = [];
  let cursor: string | undefined;
  while (newest.length < wanted) {
    const page = await store.listExecutions({ application }, { limit: Math.min(PAGE, wanted - newest.length), ...(cursor === undefined ? {} : { cursor }) });
    newest.push(...page.items);
    cursor = page.cursor;
    if (cursor === undefined) break;
  }
  const runs = new Map<string, ExecutionHeader[]>(configs.map((config) => [config.id, []]));
  for (const header of newest) {
    const ofPipeline = runs.get(header.pipelineConfigId);
    if (ofPipeline !== undefined && ofPipeline.length < limit) ofPipeline.push(header);
  }
  // Older executions lie past what was read only when the index had more.
  if (cursor !== undefined) {
    const short = [...runs].filter(([, ofPipeline]) => ofPipeline.length < limit);
    await Promise.all(short.map(async ([pipelineConfigId]) => runs.set(pipelineConfigId, [...(await store.listExecutions({ pipelineConfigId }, { limit })).items])));
  }
  return [...runs.values()].flat().map(({ id, application: owner, pipelineConfigId, name, status, buildTime, startTime, endTime }) => ({
    id,
    application: owner,
    pipelineConfigId,
    name,
    status,
    buildTime,
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
  }));
}
