/**
 * The compiler: a parsed pipeline to an AWS Step Functions state machine (Amazon States
 * Language, JSONPath), with a state map back to the stages and the budgets Step Functions
 * imposes. Pure and deterministic: the same pipeline gives byte-identical JSON. The contract
 * the emitted states keep with the stage runner is in README.md.
 */
import type { ValidationIssue } from '../core/issues.ts';
import type { Pipeline } from '../core/pipeline/model.ts';
import type { PublishRequest } from '../core/ports/state-machine-engine.ts';
import { planStage } from '../core/pipeline/stage-types/index.ts';
import type { AslDefinition } from './asl.ts';
import { measureBudget, type CompileReport } from './budget.ts';
import { DEFAULT_CHILD_THRESHOLD_EVENTS, placeChildren } from './children.ts';
import { emitAsl, type StateInfo } from './emit.ts';
import type { IrPipeline } from './ir.ts';
import { lowerPipeline, type StagePlanner } from './lower.ts';

export type { AslDefinition, AslState } from './asl.ts';
export { walkStates } from './asl.ts';
export type { ChildReport, CompileReport } from './budget.ts';
export { STEP_FUNCTIONS_LIMITS } from './budget.ts';
export { childMachinePlaceholder, DEFAULT_CHILD_THRESHOLD_EVENTS, isChildKey } from './children.ts';
export type { StateInfo, StateRole } from './emit.ts';
export { START_CHILD_SYNC_RESOURCE } from './emit.ts';
export type { OrderingEdge, OrderingMethod } from './ir.ts';
export type { StagePlanner } from './lower.ts';

/** The definition substitution the stage runner's ARN is published under. */
export const DEFAULT_STAGE_RUNNER_ARN = '${StageRunnerFunctionArn}';

export interface CompileOptions {
  /**
   * The stage runner Lambda's ARN, or a definition substitution resolved at publish time.
   * @default '${StageRunnerFunctionArn}'
   */
  readonly stageRunnerArn?: string;
  /**
   * The steps of each stage.
   * @default the stage type's plan (`planStage` of core/pipeline/stage-types)
   */
  readonly planStage?: StagePlanner;
  /**
   * A stage that may poll for hours (kayentaCanary, deploy with strategy canary) whose worst
   * case exceeds this many history events runs as a child state machine; so does one the
   * parent needs moved to stay under the history limit.
   * @default 5000 (DEFAULT_CHILD_THRESHOLD_EVENTS)
   */
  readonly childThresholdEvents?: number;
  /**
   * Whether stages may run as child state machines at all. Off: every stage is inline, and a
   * pipeline over the history limit is refused as it always was (for engines that cannot
   * publish children yet). @default true
   */
  readonly children?: boolean;
}

/** A stage's child state machine: published as its own machine before the parent that starts it. */
export interface CompiledChild {
  /** Unique among the pipeline's children, `[A-Za-z0-9_-]{1,24}`: names the machine and the parent's placeholder. */
  readonly key: string;
  /** The stage it runs. */
  readonly refId: string;
  readonly definition: AslDefinition;
  /** `definition` as stable compact JSON, like the parent's `json`. */
  readonly json: string;
  readonly stateMap: Readonly<Record<string, StateInfo>>;
}

export interface CompileResult {
  readonly definition: AslDefinition;
  /** `definition` as stable compact JSON: exactly what is published and measured. */
  readonly json: string;
  /** Every state of the definition (branches included) back to its stage and step. */
  readonly stateMap: Readonly<Record<string, StateInfo>>;
  readonly report: CompileReport;
  /**
   * The child state machines, one per stage run as a child (`report.children`). The parent
   * refers to each by the definition substitution `${ChildStateMachineArn_<key>}`.
   */
  readonly children: readonly CompiledChild[];
  /** Errors when the pipeline cannot be compiled or breaks a limit; then do not publish. */
  readonly issues: readonly ValidationIssue[];
}

const EMPTY_IR: IrPipeline = { stages: [], addedOrderingEdges: [], orderingMethod: 'none' };

/** Compiles a parsed pipeline. Never throws on a bad pipeline: problems come back as issues. */
export function compilePipeline(pipeline: Pipeline, options: CompileOptions = {}): CompileResult {
  const lowered = lowerPipeline(pipeline, options.planStage ?? planStage);
  const ir = options.children === false ? (lowered.ir ?? EMPTY_IR) : placeChildren(lowered.ir ?? EMPTY_IR, options.childThresholdEvents ?? DEFAULT_CHILD_THRESHOLD_EVENTS);
  // `${` would read as a definition substitution when the machine is published.
  const unplaceheld = (text: string) => text.replace(/\$\{/g, '$ {');
  const emitted = emitAsl(ir, {
    stageRunnerArn: options.stageRunnerArn ?? DEFAULT_STAGE_RUNNER_ARN,
    comment: unplaceheld(`Pipeline '${pipeline.name}' of application '${pipeline.application}', compiled by Gennaker`),
    childComment: (stage) =>
      unplaceheld(`Stage '${stage.name}' (refId ${stage.refId}) of pipeline '${pipeline.name}' of application '${pipeline.application}', run as a child state machine, compiled by Gennaker`),
  });
  const json = JSON.stringify(emitted.definition);
  const budget = measureBudget(ir, emitted, json);
  return {
    definition: emitted.definition,
    json,
    stateMap: emitted.stateMap,
    report: budget.report,
    children: emitted.children.map((child) => ({ ...child, json: JSON.stringify(child.definition) })),
    issues: [...lowered.issues, ...budget.issues],
  };
}

/**
 * What a publish request carries of a compile result: the parent's JSON and, only when some
 * stage runs as a child, the children's.
 */
export function publishedDefinitions(result: Pick<CompileResult, 'json' | 'children'>): Pick<PublishRequest, 'definition' | 'children'> {
  return {
    definition: result.json,
    ...(result.children.length > 0 ? { children: result.children.map((child) => ({ key: child.key, definition: child.json })) } : {}),
  };
}
