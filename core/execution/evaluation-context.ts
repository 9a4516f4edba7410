/**
 * What expressions see at a stage (reference/spinnaker.md §1.9, v4 semantics): the roots
 * `trigger`, `parameters` (= trigger.parameters) and `execution` (an Orca-shaped view), over the
 * stage's own context, over the outputs of its ancestors, nearest first; and the execution
 * view for `#stage`, `#judgment`, `#currentStage`.
 */
import type { EvaluationContext, ExecutionView, StageView } from '../expressions/index.ts';
import type { Execution, StageRecord } from '../ports/execution-store.ts';

/** The execution as expressions and helpers see it: plain data, Orca's field names. */
export function executionView(execution: Execution): ExecutionView & Record<string, unknown> {
  const user = typeof execution.trigger.user === 'string' ? execution.trigger.user : undefined;
  return {
    id: execution.id,
    type: 'PIPELINE',
    application: execution.application,
    name: execution.name,
    pipelineConfigId: execution.pipelineConfigId,
    status: execution.status,
    buildTime: execution.buildTime,
    ...(execution.startTime !== undefined ? { startTime: execution.startTime } : {}),
    ...(execution.endTime !== undefined ? { endTime: execution.endTime } : {}),
    canceled: execution.canceled,
    trigger: execution.trigger,
    ...(user !== undefined ? { authentication: { user } } : {}),
    stages: execution.stages.map(stageView),
  };
}

function stageView(stage: StageRecord): StageView {
  return {
    id: stage.id,
    refId: stage.refId,
    name: stage.name,
    type: stage.type,
    status: stage.status,
    context: stage.context,
    outputs: stage.outputs,
    requisiteStageRefIds: stage.requisiteStageRefIds,
    ...(stage.startTime !== undefined ? { startTime: stage.startTime } : {}),
    ...(stage.endTime !== undefined ? { endTime: stage.endTime } : {}),
    ...(stage.parentStageId !== undefined ? { parentStageId: stage.parentStageId } : {}),
  };
}

/** Every ancestor of the stage (transitively), nearest first (breadth first, as Orca's ancestors()). */
export function ancestorsOf(stage: StageRecord, stages: readonly StageRecord[]): StageRecord[] {
  const byRef = new Map(stages.map((candidate) => [candidate.refId, candidate] as const));
  const seen = new Set<string>([stage.refId]);
  const order: StageRecord[] = [];
  let frontier = [...stage.requisiteStageRefIds];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const ref of frontier) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      const found = byRef.get(ref);
      if (!found) continue;
      order.push(found);
      next.push(...found.requisiteStageRefIds);
    }
    frontier = next;
  }
  return order;
}

/**
 * The evaluation context of `stage`, whose own context is `ownContext` (the raw fields at stage
 * start, the evaluated ones afterwards). `extra` variables (evaluateVariables' earlier results)
 * sit just under the roots.
 */
export function stageEvaluationContext(
  execution: Execution,
  stage: StageRecord,
  ownContext: Readonly<Record<string, unknown>>,
  options: { readonly now: () => number; readonly extra?: Readonly<Record<string, unknown>> },
): EvaluationContext {
  const variables: Record<string, unknown> = {};
  const assign = (source: Readonly<Record<string, unknown>>) => {
    for (const [key, value] of Object.entries(source)) {
      if (key !== '__proto__') Object.defineProperty(variables, key, { value, enumerable: true, writable: true, configurable: true });
    }
  };
  // Farthest first, so nearer ancestors and then the stage itself win.
  for (const ancestor of ancestorsOf(stage, execution.stages).reverse()) assign(ancestor.outputs);
  assign(ownContext);
  if (options.extra) assign(options.extra);
  const view = executionView(execution);
  const parameters = typeof execution.trigger.parameters === 'object' && execution.trigger.parameters !== null ? execution.trigger.parameters : execution.parameters;
  assign({ trigger: execution.trigger, parameters, execution: view });
  // Orca's v4 at a stage: a template whose value is null keeps its text and is reported.
  return { variables, execution: view, currentStageId: stage.id, now: options.now, keepUnresolved: true };
}
