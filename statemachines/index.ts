/**
 * The compiler: a parsed pipeline to an AWS Step Functions state machine (Amazon States
 * Language, JSONPath), with a state map back to the stages and the budgets Step Functions
 * imposes. Pure and deterministic: the same pipeline gives byte-identical JSON. The contract
 * the emitted states keep with the stage runner is in README.md.
 */
import type { ValidationIssue } from '../core/issues.ts';
import type { Pipeline } from '../core/pipeline/model.ts';
import { planStage } from '../core/pipeline/stage-types/index.ts';
import type { AslDefinition } from './asl.ts';
import { measureBudget, type CompileReport } from './budget.ts';
import { emitAsl, type StateInfo } from './emit.ts';
import type { IrPipeline } from './ir.ts';
import { lowerPipeline, type StagePlanner } from './lower.ts';

export type { AslDefinition, AslState } from './asl.ts';
export { walkStates } from './asl.ts';
export type { CompileReport } from './budget.ts';
export { STEP_FUNCTIONS_LIMITS } from './budget.ts';
export type { StateInfo, StateRole } from './emit.ts';
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
}

export interface CompileResult {
  readonly definition: AslDefinition;
  /** `definition` as stable compact JSON: exactly what is published and measured. */
  readonly json: string;
  /** Every state of the definition (branches included) back to its stage and step. */
  readonly stateMap: Readonly<Record<string, StateInfo>>;
  readonly report: CompileReport;
  /** Errors when the pipeline cannot be compiled or breaks a limit; then do not publish. */
  readonly issues: readonly ValidationIssue[];
}

const EMPTY_IR: IrPipeline = { stages: [], addedOrderingEdges: [], orderingMethod: 'none' };

/** Compiles a parsed pipeline. Never throws on a bad pipeline: problems come back as issues. */
export function compilePipeline(pipeline: Pipeline, options: CompileOptions = {}): CompileResult {
  const lowered = lowerPipeline(pipeline, options.planStage ?? planStage);
  const ir = lowered.ir ?? EMPTY_IR;
  const emitted = emitAsl(ir, {
    stageRunnerArn: options.stageRunnerArn ?? DEFAULT_STAGE_RUNNER_ARN,
    // `${` would read as a definition substitution when the machine is published.
    comment: `Pipeline '${pipeline.name}' of application '${pipeline.application}', compiled by Gennaker`.replace(/\$\{/g, '$ {'),
  });
  const json = JSON.stringify(emitted.definition);
  const budget = measureBudget(ir, emitted, json);
  return {
    definition: emitted.definition,
    json,
    stateMap: emitted.stateMap,
    report: budget.report,
    issues: [...lowered.issues, ...budget.issues],
  };
}
