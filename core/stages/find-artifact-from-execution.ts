/**
 * `findArtifactFromExecution` (Orca's FindArtifactFromExecutionTask): the newest execution of
 * `pipeline` (a config id or a name of `application`, this execution's application by default)
 * among the statuses `executionOptions` chooses, its artifacts read newest first
 * (expected-artifacts.ts `artifactsOfExecution`), and each expected artifact bound to the first
 * one its `matchArtifact` matches, else its default when `useDefaultArtifact`. When the pipeline
 * is this one, the artifacts this very stage wrote in that execution are left out, as Orca does.
 *
 * Outputs (and context, as Orca writes both): `resolvedExpectedArtifacts` (each with its
 * `boundArtifact`) and `artifacts`. Later stages name them by id (`manifestArtifactId`,
 * `requiredArtifactIds`: stage-artifacts.ts `boundStageArtifact`) or read them in expressions.
 */
import { artifactsOfExecution, bindExpectedArtifacts } from '../deploy/expected-artifacts.ts';
import type { FindArtifactFromExecutionStage } from '../pipeline/stage-types/index.ts';
import { findArtifactExpected, findArtifactStatuses } from '../pipeline/stage-types/find-artifact-from-execution.ts';
import type { ExecutionStore, JsonObject } from '../ports/execution-store.ts';
import { failed, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** What the task reads: saved pipelines and their executions. */
export interface FindArtifactDeps {
  readonly store: Pick<ExecutionStore, 'getPipelineConfig' | 'listPipelineConfigs' | 'listExecutions' | 'getExecution'>;
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** The one step of findArtifactFromExecution. */
export async function runFindArtifactFromExecution(input: TaskInput<FindArtifactFromExecutionStage>, deps: FindArtifactDeps): Promise<TaskResult> {
  const name = input.stage.name;
  const context = input.record.context;
  const wanted = text(context['pipeline']);
  if (wanted === undefined) return failed(`stage '${name}': pipeline is ${JSON.stringify(context['pipeline'])}; set the id or name of the pipeline whose executions to search`);
  const application = text(context['application']) ?? input.execution.application;

  // An id first (what Deck writes; Orca looks no further), then a name in the application.
  let pipelineConfigId = (await deps.store.getPipelineConfig(wanted))?.id;
  if (pipelineConfigId === undefined) {
    const configs = await deps.store.listPipelineConfigs(application);
    pipelineConfigId = configs.find((config) => config.name === wanted)?.id;
    if (pipelineConfigId === undefined) {
      const known = configs.map((config) => `'${config.name}'`).slice(0, 10);
      return failed(
        `stage '${name}': application '${application}' has no pipeline with id or name '${wanted}' (its pipelines: ${known.length > 0 ? known.join(', ') : 'none'}); set pipeline to one of them, or application to the pipeline's application`,
      );
    }
  }

  const options = isObject(context['executionOptions']) ? context['executionOptions'] : undefined;
  const statuses = findArtifactStatuses(options as Parameters<typeof findArtifactStatuses>[0]);
  const newest = (await deps.store.listExecutions(statuses.length > 0 ? { pipelineConfigId, statuses } : { pipelineConfigId }, { limit: 1 })).items[0];
  const execution = newest ? await deps.store.getExecution(newest.id) : undefined;
  const sameStage = pipelineConfigId === input.execution.pipelineConfigId ? input.stage.refId : undefined;
  const candidates = execution ? artifactsOfExecution(execution, sameStage !== undefined ? { withoutStage: sameStage } : {}) : [];
  const statusWords = statuses.length > 0 ? statuses.join(' or ') : 'any status';
  const where = execution ? `execution ${execution.id} of pipeline '${execution.name}' (the newest in ${statusWords})` : `pipeline ${pipelineConfigId}'s executions (there is none in ${statusWords})`;

  const expected = Array.isArray(context['expectedArtifacts'])
    ? context['expectedArtifacts'].filter(isObject)
    : findArtifactExpected({ ...(isObject(context['expectedArtifact']) ? { expectedArtifact: context['expectedArtifact'] } : {}) }).filter(isObject);
  const bound = bindExpectedArtifacts(expected, candidates, where);
  if (!bound.ok) return failed(`stage '${name}': ${bound.message}`);
  const outputs: JsonObject = { resolvedExpectedArtifacts: bound.value.resolvedExpectedArtifacts, artifacts: bound.value.artifacts };
  return succeeded(outputs, { context: { ...outputs, ...(execution ? { executionId: execution.id } : {}) } });
}
