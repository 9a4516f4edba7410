/**
 * The pipelines triggers are matched against: the latest version of every saved pipeline config
 * of every application, parsed. Read through the store port, so the same function feeds the
 * local server and the cloud trigger router. A config that no longer parses (saved by an older
 * version with other rules) is skipped rather than failing every other pipeline's triggers.
 */
import { parsePipeline } from '../pipeline/parse.ts';
import type { Pipeline } from '../pipeline/model.ts';
import { runnableConfigOf, type ApplicationStore, type PipelineConfigStore, type PipelineConfigVersion } from '../ports/execution-store.ts';

/** Parses saved configs; the saved id wins over the document's. */
export function pipelinesFromConfigs(versions: readonly PipelineConfigVersion[]): Pipeline[] {
  const pipelines: Pipeline[] = [];
  for (const version of versions) {
    const { pipeline } = parsePipeline({ ...runnableConfigOf(version), id: version.id, application: version.application, name: version.name });
    if (pipeline !== undefined) pipelines.push(pipeline);
  }
  return pipelines;
}

/** Every application's latest pipeline configs, parsed. */
export async function listTriggerablePipelines(store: Pick<ApplicationStore, 'listApplications'> & Pick<PipelineConfigStore, 'listPipelineConfigs'>): Promise<Pipeline[]> {
  const applications: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listApplications(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    applications.push(...page.items.map((application) => application.name));
    cursor = page.cursor;
  } while (cursor !== undefined);
  const configs = await Promise.all(applications.map((name) => store.listPipelineConfigs(name)));
  return pipelinesFromConfigs(configs.flat());
}
