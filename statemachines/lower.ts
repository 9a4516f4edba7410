/**
 * Lowering: a parsed pipeline to the IR. Decides each stage's steps (the stage type's plan,
 * plus the execution-window step) with their poll and timeout budgets, and the order of the
 * stages as a series-parallel tree. Everything Spinnaker means by a pipeline's shape is
 * decided here; emission only renders it.
 */
import { EXECUTION_WINDOW_TASK, stageSteps } from '../core/execution/runner-contract.ts';
import { pointerJoin, showValue, type ValidationIssue } from '../core/issues.ts';
import type { Pipeline, TaskStep } from '../core/pipeline/model.ts';
import { compareIds, decomposeDag, type SpTree } from './dag.ts';
import type { IrNode, IrPipeline, IrStage, IrStep, OrderingEdge } from './ir.ts';

/** A stage as the parsed pipeline holds it. */
export type PipelineStage = Pipeline['stages'][number];

/** The steps of a stage (the stage type's `plan`). */
export type StagePlanner = (stage: PipelineStage) => readonly TaskStep[];

/**
 * Polls budgeted for a poll step that does not say (`TaskStep.maxPolls`). The stage runner
 * must fail a step that would poll more often than its budget, so the history bound holds.
 */
export const DEFAULT_MAX_POLLS = 100;

/** A callback step's TimeoutSeconds when neither the step nor the stage says: Spinnaker's 3 days. */
export const DEFAULT_CALLBACK_TIMEOUT_SECONDS = 3 * 24 * 60 * 60;

/** Step Functions' largest TimeoutSeconds. */
const MAX_TIMEOUT_SECONDS = 99_999_999;

/** The IR, or the issues that kept the pipeline from lowering. */
export interface LowerResult {
  /** Undefined when the pipeline's graph or plans are unusable (see `issues`). */
  readonly ir?: IrPipeline;
  readonly issues: readonly ValidationIssue[];
}

/** Lowers a parsed pipeline; never throws on a bad pipeline, it reports issues instead. */
export function lowerPipeline(pipeline: Pipeline, planStage: StagePlanner): LowerResult {
  const issues: ValidationIssue[] = [];
  const stages = pipeline.stages;
  const pointerOf = (stage: PipelineStage) => pointerJoin('', 'stages', stage.index);

  const byRef = new Map<string, PipelineStage>();
  for (const stage of stages) {
    if (byRef.has(stage.refId)) {
      issues.push({
        pointer: pointerJoin(pointerOf(stage), 'refId'),
        code: 'refid-duplicate',
        message: `refId ${showValue(stage.refId)} is used by stage '${byRef.get(stage.refId)!.name}' too; give every stage its own refId`,
        severity: 'error',
        value: stage.refId,
      });
    } else {
      byRef.set(stage.refId, stage);
    }
  }

  const edges: OrderingEdge[] = [];
  if (pipeline.legacyOrder) {
    const inOrder = [...stages].sort((a, b) => a.index - b.index);
    for (let i = 1; i < inOrder.length; i++) edges.push({ from: inOrder[i - 1]!.refId, to: inOrder[i]!.refId });
  } else {
    for (const stage of stages) {
      stage.requisiteStageRefIds.forEach((parent, position) => {
        if (byRef.has(parent)) {
          edges.push({ from: parent, to: stage.refId });
          return;
        }
        issues.push({
          pointer: pointerJoin(pointerOf(stage), 'requisiteStageRefIds', position),
          code: 'requisite-unknown',
          message: `refers to stage ${showValue(parent)}, which does not exist (known refIds: ${[...byRef.keys()].sort(compareIds).join(', ')})`,
          severity: 'error',
          value: parent,
        });
      });
    }
    issues.push(...cycleIssues(stages, edges));
  }

  const irStages = new Map<string, IrStage>();
  for (const stage of byRef.values()) {
    const steps = lowerSteps(stage, planStage, issues);
    if (steps) {
      irStages.set(stage.refId, {
        refId: stage.refId,
        name: stage.name,
        type: stage.type,
        index: stage.index,
        steps,
        ...(pollsForHours(stage) ? { childCandidate: true } : {}),
      });
    }
  }
  if (issues.some((issue) => issue.severity === 'error')) return { issues };

  const { tree, addedEdges, method } = decomposeDag([...byRef.keys()], edges);
  const ordered: IrStage[] = [];
  const toNode = (node: SpTree): IrNode => {
    switch (node.kind) {
      case 'leaf': {
        const stage = irStages.get(node.id)!;
        ordered.push(stage);
        return { kind: 'stage', stage };
      }
      case 'series':
        return { kind: 'series', items: node.items.map(toNode) };
      case 'parallel':
        return { kind: 'parallel', branches: node.branches.map(toNode) };
      default: {
        const unknownNode: never = node;
        throw new Error(`lowerPipeline: unknown tree node ${JSON.stringify(unknownNode)}`);
      }
    }
  };
  const body = tree ? toNode(tree) : undefined;
  return {
    ir: { stages: ordered, ...(body ? { body } : {}), addedOrderingEdges: addedEdges, orderingMethod: method },
    issues,
  };
}

/**
 * Whether a stage may poll for hours, so it may run as a child state machine (DESIGN.md §4):
 * a kayentaCanary, or a deploy with a cluster whose strategy is canary. Read loosely: the
 * stage's config is already parsed, but test pipelines carry none.
 */
export function pollsForHours(stage: PipelineStage): boolean {
  if (stage.type === 'kayentaCanary') return true;
  if (stage.type !== 'deploy') return false;
  const clusters = (stage.config as { readonly clusters?: unknown }).clusters;
  return Array.isArray(clusters) && clusters.some((cluster) => (cluster as { readonly strategy?: unknown } | null)?.strategy === 'canary');
}

/** The stage's steps: the execution-window step first when the window is set, then the plan. */
function lowerSteps(stage: PipelineStage, planStage: StagePlanner, issues: ValidationIssue[]): IrStep[] | undefined {
  const pointer = pointerJoin('', 'stages', stage.index);
  let plan: readonly TaskStep[];
  try {
    plan = planStage(stage);
  } catch (error) {
    issues.push({
      pointer,
      code: 'invalid-value',
      message: `stage '${stage.name}' (type ${stage.type}) could not be planned: ${error instanceof Error ? error.message : String(error)}`,
      severity: 'error',
    });
    return undefined;
  }
  if (plan.length === 0) {
    issues.push({
      pointer,
      code: 'invalid-value',
      message: `stage '${stage.name}' (type ${stage.type}) plans no steps; every stage needs at least one (a bug in the stage type)`,
      severity: 'error',
    });
    return undefined;
  }
  const seen = new Set<string>();
  for (const step of plan) {
    if (seen.has(step.name)) {
      issues.push({
        pointer,
        code: 'invalid-value',
        message: `stage '${stage.name}' (type ${stage.type}) plans two steps named '${step.name}'; the stage runner could not tell them apart (a bug in the stage type)`,
        severity: 'error',
      });
      return undefined;
    }
    seen.add(step.name);
  }

  return stageSteps(stage, plan).map((step) => {
    const lowered = lowerStep(stage, step);
    return step.name === EXECUTION_WINDOW_TASK && !seen.has(EXECUTION_WINDOW_TASK) ? { ...lowered, synthetic: 'execution-window' } : lowered;
  });
}

function lowerStep(stage: PipelineStage, step: TaskStep): IrStep {
  switch (step.kind) {
    case 'run':
      return { name: step.name, kind: 'run', maxPolls: 1 };
    case 'poll':
      return { name: step.name, kind: 'poll', maxPolls: wholeAtLeastOne(step.maxPolls ?? DEFAULT_MAX_POLLS) };
    case 'callback': {
      // The step's own timeout (the stage type knows its default), else the stage timeout override, else 3 days.
      const seconds =
        step.timeoutSeconds ?? (stage.stageTimeoutMs !== undefined ? stage.stageTimeoutMs / 1000 : DEFAULT_CALLBACK_TIMEOUT_SECONDS);
      return { name: step.name, kind: 'callback', timeoutSeconds: Math.min(MAX_TIMEOUT_SECONDS, wholeAtLeastOne(seconds)), maxPolls: 1 };
    }
    default: {
      const unknownKind: never = step.kind;
      throw new Error(`lowerStep: unknown step kind ${String(unknownKind)}`);
    }
  }
}

function wholeAtLeastOne(value: number): number {
  return Number.isFinite(value) ? Math.max(1, Math.ceil(value)) : 1;
}

/** One issue per stage caught in a cycle (validation normally reports cycles first). */
function cycleIssues(stages: readonly PipelineStage[], edges: readonly OrderingEdge[]): ValidationIssue[] {
  const indegree = new Map<string, number>(stages.map((stage) => [stage.refId, 0]));
  const children = new Map<string, string[]>();
  for (const { from, to } of edges) {
    indegree.set(to, (indegree.get(to) ?? 0) + 1);
    const list = children.get(from);
    if (list) list.push(to);
    else children.set(from, [to]);
  }
  const ready = [...indegree].filter(([, degree]) => degree === 0).map(([refId]) => refId);
  while (ready.length > 0) {
    const refId = ready.pop()!;
    indegree.delete(refId);
    for (const child of children.get(refId) ?? []) {
      const degree = indegree.get(child)! - 1;
      indegree.set(child, degree);
      if (degree === 0) ready.push(child);
    }
  }
  const cyclic = new Set(indegree.keys());
  const reported = new Set<string>();
  return stages
    .filter((stage) => cyclic.has(stage.refId) && !reported.has(stage.refId) && reported.add(stage.refId))
    .map((stage) => ({
      pointer: pointerJoin('', 'stages', stage.index, 'requisiteStageRefIds'),
      code: 'cycle' as const,
      message: `stage '${stage.name}' (refId ${stage.refId}) is part of a cycle through stages ${[...cyclic].sort(compareIds).join(', ')}; remove one of their requisiteStageRefIds`,
      severity: 'error' as const,
      value: stage.requisiteStageRefIds,
    }));
}
