/**
 * The steps of each stage of a saved pipeline version, as the compiler emitted them: what
 * toOrcaExecution lists as a stage's `tasks` (Orca shows every task of a stage, run or not).
 * Pure: the saved document in, a lookup out.
 */
import { parsePipeline } from '../pipeline/parse.ts';
import { planStage } from '../pipeline/stage-types/index.ts';
import type { JsonObject, StageRecord } from '../ports/execution-store.ts';
import { stageSteps } from './runner-contract.ts';

/** Step names by stage refId for a pipeline document; a stage of a document that no longer parses has none known. */
export function stepsOfPipeline(config: JsonObject): (stage: StageRecord) => readonly string[] | undefined {
  const parsed = parsePipeline(config).pipeline;
  const byRefId = new Map<string, readonly string[]>();
  for (const stage of parsed?.stages ?? []) byRefId.set(stage.refId, stageSteps(stage, planStage(stage)).map((step) => step.name));
  return (stage) => (stage.parentStageId === undefined ? byRefId.get(stage.refId) : undefined);
}
