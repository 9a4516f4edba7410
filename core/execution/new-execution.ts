/**
 * The records of a new execution, from a parsed pipeline: what `ExecutionStore.createExecution`
 * takes. Pure. One stage record per stage, its id the refId, its context the stage as written
 * (minus the graph fields), to be evaluated when the stage starts. Parameters are filled from
 * `parameterConfig` defaults as Orca does; `resolvePipelineParameters` reports required ones
 * that are missing, so callers refuse such a start before creating anything.
 */
import type { Pipeline } from '../pipeline/model.ts';
import type { JsonObject, NewExecution, NewStage } from '../ports/execution-store.ts';

export interface NewExecutionOptions {
  readonly id: string;
  /** The pipeline config version the execution runs. */
  readonly version: number;
  readonly trigger: JsonObject;
  /** The parameters given (usually `trigger.parameters`); defaults fill the rest. */
  readonly parameters: JsonObject;
  readonly buildTime: number;
  /** The pipeline config id; @default pipeline.id */
  readonly pipelineConfigId?: string;
  readonly origin?: string;
}

export type ResolvedParameters =
  | { readonly ok: true; readonly parameters: JsonObject }
  | { readonly ok: false; readonly missing: readonly string[]; readonly message: string };

/** Stage fields that describe the graph, not the stage's work: kept on the record, not in the context. */
const GRAPH_FIELDS = new Set(['refId', 'requisiteStageRefIds', 'type', 'name']);

/**
 * The parameters an execution runs with: the given ones, plus `default` for each configured
 * parameter not given (Orca fills defaults the same way). A required parameter with neither a
 * value nor a default (empty counts as missing) is reported.
 */
export function resolvePipelineParameters(pipeline: Pipeline, given: JsonObject): ResolvedParameters {
  const parameters: Record<string, unknown> = { ...given };
  const missing: string[] = [];
  for (const config of pipeline.parameterConfig) {
    const value = parameters[config.name];
    const absent = value === undefined || value === null || value === '';
    if (absent && config.default !== undefined) parameters[config.name] = config.default;
    const now = parameters[config.name];
    if (config.required && (now === undefined || now === null || now === '')) missing.push(config.name);
  }
  if (missing.length > 0) {
    const list = missing.map((name) => `'${name}'`).join(', ');
    return { ok: false, missing, message: `pipeline '${pipeline.name}' requires the parameter${missing.length > 1 ? 's' : ''} ${list}; pass ${missing.length > 1 ? 'them' : 'it'} in the trigger's parameters` };
  }
  return { ok: true, parameters };
}

/**
 * The execution to create. `trigger.parameters` and `parameters` both hold the resolved
 * parameters (expressions read `parameters` as `trigger.parameters`). Missing required
 * parameters are left out: check them first with `resolvePipelineParameters`.
 */
export function newExecutionFromPipeline(pipeline: Pipeline, options: NewExecutionOptions): NewExecution {
  const resolved = resolvePipelineParameters(pipeline, options.parameters);
  const parameters = resolved.ok ? resolved.parameters : fillDefaults(pipeline, options.parameters);
  const stages: NewStage[] = [...pipeline.stages]
    .sort((a, b) => a.index - b.index)
    .map((stage) => ({
      id: stage.refId,
      refId: stage.refId,
      type: stage.type,
      name: stage.name,
      requisiteStageRefIds: stage.requisiteStageRefIds,
      context: stageContext(stage.raw),
    }));
  return {
    id: options.id,
    application: pipeline.application,
    pipelineConfigId: options.pipelineConfigId ?? pipeline.id ?? pipeline.name,
    pipelineVersion: options.version,
    name: pipeline.name,
    buildTime: options.buildTime,
    trigger: { ...options.trigger, parameters },
    parameters,
    limitConcurrent: pipeline.limitConcurrent,
    keepWaitingPipelines: pipeline.keepWaitingPipelines,
    maxConcurrentExecutions: pipeline.maxConcurrentExecutions,
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
    stages,
  };
}

function fillDefaults(pipeline: Pipeline, given: JsonObject): JsonObject {
  const parameters: Record<string, unknown> = { ...given };
  for (const config of pipeline.parameterConfig) {
    const value = parameters[config.name];
    if ((value === undefined || value === null || value === '') && config.default !== undefined) parameters[config.name] = config.default;
  }
  return parameters;
}

function stageContext(raw: Readonly<Record<string, unknown>>): JsonObject {
  const context: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!GRAPH_FIELDS.has(key)) context[key] = value;
  return context;
}
