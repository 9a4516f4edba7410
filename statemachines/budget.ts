/**
 * Budgets: what a compiled pipeline costs against Step Functions' hard limits
 * (`reference/aws-and-peers.md` §1.2, §1.16, §1.18), and the refusal when it would break one.
 *
 * History events are counted per state type (Lambda Task 5: entered, scheduled, started,
 * succeeded, exited; callback Task 6, with TaskSubmitted; Choice 2; Wait 2; Parallel 4 plus
 * its branches; Succeed 2) along the worst path: every poll step runs its whole poll budget,
 * and every stage fails once at its last invocation and goes through its fault state (+5
 * events, +1 transition). Transient retries are not counted (each adds about 3 events); the
 * warning at 80% of the limit leaves room for them.
 */
import { pointerJoin, type ValidationIssue } from '../core/issues.ts';
import type { EmitResult } from './emit.ts';
import type { IrNode, IrPipeline, IrStage, IrStep, OrderingEdge, OrderingMethod } from './ir.ts';

/** Step Functions' hard limits (Standard workflows). */
export const STEP_FUNCTIONS_LIMITS = {
  /** Events in one execution's history; the execution fails when it reaches this. */
  historyEvents: 25_000,
  /** Bytes of the definition (UTF-8). */
  definitionBytes: 1_048_576,
  /** Characters of a state name. */
  stateNameLength: 80,
  /** Bytes of a state's input or output; the compiled machines keep only `{ executionId, result, fault }`. */
  payloadBytes: 262_144,
} as const;

/** At most this many stages are named one by one in issues about the history limit. */
const MAX_NAMED_STAGES = 3;

/** Above this share of the history limit, the compiler warns (retries are not counted). */
export const HISTORY_WARNING_SHARE = 0.8;

/** History events per state, by what the state is. */
export const HISTORY_EVENTS = {
  lambdaTask: 5,
  callbackTask: 6,
  choice: 2,
  wait: 2,
  parallel: 4,
  branchEnd: 2,
  /** ExecutionStarted, the completion Task and Choice, the final Succeed and ExecutionSucceeded. */
  execution: 1 + 5 + 2 + 2 + 1,
  /** A `states:startExecution.sync:2` Task: entered, scheduled, started, submitted, succeeded, exited. */
  childTask: 6,
  /** A child execution around its stage: ExecutionStarted, the final Succeed and ExecutionSucceeded. */
  childExecution: 1 + 2 + 1,
} as const;

/** What a stage run as a child costs its parent at worst: the child Task and its route, and the fault Task. */
export const CHILD_STAGE_PARENT_EVENTS = HISTORY_EVENTS.childTask + HISTORY_EVENTS.choice + HISTORY_EVENTS.lambdaTask;

/** A stage run as a child state machine, in the report. */
export interface ChildReport {
  readonly refId: string;
  /** The child's key (`CompileResult.children[].key`). */
  readonly key: string;
  /** Worst-case history events of one child execution (its own 25,000 limit). */
  readonly worstCaseHistoryEvents: number;
}

/** What a compiled pipeline costs against Step Functions' limits. */
export interface CompileReport {
  /** Every state, branches included. */
  readonly states: number;
  /** UTF-8 bytes of the emitted JSON (`CompileResult.json`). */
  readonly definitionBytes: number;
  /** Worst-case history events of one execution (transient retries not counted). */
  readonly worstCaseHistoryEvents: number;
  /** Worst-case state transitions of each stage, by refId (a one-step stage: 2, 3 with its fault path). */
  readonly transitionsPerStage: Record<string, number>;
  /** Worst-case history events of each stage in this execution, by refId (a child stage: its Task, route and fault only). */
  readonly historyEventsPerStage: Record<string, number>;
  /** The stages that run as child state machines, with what one child execution may record. */
  readonly children: readonly ChildReport[];
  /** Ordering edges the compiler added to make the stage graph series-parallel. */
  readonly addedOrderingEdges: readonly OrderingEdge[];
  /** Whether those edges are the fewest possible ('exact') or a greedy choice. */
  readonly orderingMethod: OrderingMethod;
  readonly limits: typeof STEP_FUNCTIONS_LIMITS;
}

/**
 * Worst-case history events and transitions of one stage in the parent execution: for a stage
 * run as a child, only its child Task, route and fault Task.
 */
export function stageBudget(stage: IrStage): { historyEvents: number; transitions: number } {
  return stage.child ? { historyEvents: CHILD_STAGE_PARENT_EVENTS, transitions: 3 } : inlineStageBudget(stage);
}

/** Worst-case history events of one child execution of `stage`. */
export function childExecutionEvents(stage: IrStage): number {
  return HISTORY_EVENTS.childExecution + inlineStageBudget(stage).historyEvents;
}

/** Worst-case history events and transitions of the stage's own states (inline, or inside its child). */
export function inlineStageBudget(stage: IrStage): { historyEvents: number; transitions: number } {
  let historyEvents = HISTORY_EVENTS.lambdaTask;
  let transitions = 1;
  for (const step of stage.steps) {
    historyEvents += stepEvents(step);
    transitions += step.kind === 'poll' ? 3 * step.maxPolls - 1 : 2;
  }
  return { historyEvents, transitions };
}

function stepEvents(step: IrStep): number {
  const task = step.kind === 'callback' ? HISTORY_EVENTS.callbackTask : HISTORY_EVENTS.lambdaTask;
  const polls = step.kind === 'poll' ? step.maxPolls : 1;
  return polls * (task + HISTORY_EVENTS.choice) + (polls - 1) * HISTORY_EVENTS.wait;
}

/** History events of the structure around the stages: Parallel states and their branch ends. */
export function structureEvents(node: IrNode | undefined): number {
  if (!node || node.kind === 'stage') return 0;
  if (node.kind === 'series') return node.items.reduce((sum, item) => sum + structureEvents(item), 0);
  return (
    HISTORY_EVENTS.parallel +
    node.branches.reduce((sum, branch) => sum + HISTORY_EVENTS.branchEnd + structureEvents(branch), 0)
  );
}

/** The report, and the issues when a limit is broken or nearly so. */
export interface BudgetResult {
  readonly report: CompileReport;
  readonly issues: readonly ValidationIssue[];
}

/** Measures the compiled pipeline and refuses it (error issues) when it breaks a limit. */
export function measureBudget(ir: IrPipeline, emitted: EmitResult, json: string): BudgetResult {
  const transitionsPerStage: Record<string, number> = {};
  const historyEventsPerStage: Record<string, number> = {};
  let worstCaseHistoryEvents = HISTORY_EVENTS.execution + structureEvents(ir.body);
  for (const stage of ir.stages) {
    const budget = stageBudget(stage);
    transitionsPerStage[stage.refId] = budget.transitions;
    historyEventsPerStage[stage.refId] = budget.historyEvents;
    worstCaseHistoryEvents += budget.historyEvents;
  }
  const report: CompileReport = {
    states: Object.keys(emitted.stateMap).length,
    definitionBytes: utf8Length(json),
    worstCaseHistoryEvents,
    transitionsPerStage,
    historyEventsPerStage,
    children: ir.stages.flatMap((stage) =>
      stage.child ? [{ refId: stage.refId, key: stage.child.key, worstCaseHistoryEvents: childExecutionEvents(stage) }] : [],
    ),
    addedOrderingEdges: ir.addedOrderingEdges,
    orderingMethod: ir.orderingMethod,
    limits: STEP_FUNCTIONS_LIMITS,
  };
  return { report, issues: [...historyIssues(ir, report), ...definitionIssues(ir, emitted, json, report)] };
}

function historyIssues(ir: IrPipeline, report: CompileReport): ValidationIssue[] {
  const limit = STEP_FUNCTIONS_LIMITS.historyEvents;
  // A child has its own 25,000 events; one that exceeds even those cannot be split further here.
  const childrenOver = report.children.filter((child) => child.worstCaseHistoryEvents > limit);
  if (childrenOver.length > 0) {
    const byRef = new Map(ir.stages.map((stage) => [stage.refId, stage]));
    return childrenOver.map((child) => {
      const stage = byRef.get(child.refId)!;
      return {
        pointer: stagePointer(stage),
        code: 'limit',
        message: `stage '${stage.name}' may record ${thousands(child.worstCaseHistoryEvents)} history events even as a child state machine (limit ${thousands(limit)} per execution); ${childAdvice(stage)}`,
        severity: 'error',
        value: child.worstCaseHistoryEvents,
      };
    });
  }
  const eventsOf = (stage: IrStage) => report.historyEventsPerStage[stage.refId] ?? 0;
  const largestFirst = [...ir.stages].sort((a, b) => eventsOf(b) - eventsOf(a) || a.index - b.index);

  const alone = largestFirst.filter((stage) => eventsOf(stage) > limit);
  if (alone.length > 0) {
    return alone.map((stage) => ({
      pointer: stagePointer(stage),
      code: 'limit',
      message: `stage '${stage.name}' may record ${thousands(eventsOf(stage))} history events (limit ${thousands(limit)} per execution); split it into a child pipeline${pollAdvice(stage)}`,
      severity: 'error',
      value: eventsOf(stage),
    }));
  }

  const total = report.worstCaseHistoryEvents;
  if (total > limit) {
    // Name the fewest largest stages whose move into child pipelines (about 5 events each in
    // the parent) brings the execution under the limit; past a few, one issue says how far over it is.
    const named: IrStage[] = [];
    let remaining = total;
    for (const stage of largestFirst) {
      if (remaining <= limit) break;
      named.push(stage);
      remaining -= eventsOf(stage) - HISTORY_EVENTS.lambdaTask;
    }
    if (named.length > MAX_NAMED_STAGES) {
      const largest = named.slice(0, MAX_NAMED_STAGES).map((stage) => `'${stage.name}' (${thousands(eventsOf(stage))})`);
      return [
        {
          pointer: '/stages',
          code: 'limit',
          message: `the pipeline may record ${thousands(total)} history events, about ${Math.ceil(total / limit)} times the limit of ${thousands(limit)} per execution; split it into child pipelines (its largest stages: ${largest.join(', ')})`,
          severity: 'error',
          value: total,
        },
      ];
    }
    return named.map((stage) => ({
      pointer: stagePointer(stage),
      code: 'limit',
      message: `the pipeline may record ${thousands(total)} history events (limit ${thousands(limit)} per execution) and stage '${stage.name}' accounts for ${thousands(eventsOf(stage))}; split it into a child pipeline${pollAdvice(stage)}`,
      severity: 'error',
      value: total,
    }));
  }

  if (total > limit * HISTORY_WARNING_SHARE && largestFirst[0]) {
    const stage = largestFirst[0];
    return [
      {
        pointer: stagePointer(stage),
        code: 'limit',
        message: `the pipeline may record ${thousands(total)} history events, close to the limit of ${thousands(limit)} per execution (transient retries add more); its largest stage '${stage.name}' accounts for ${thousands(eventsOf(stage))}: consider splitting it into a child pipeline`,
        severity: 'warning',
        value: total,
      },
    ];
  }
  return [];
}

function definitionIssues(ir: IrPipeline, emitted: EmitResult, json: string, report: CompileReport): ValidationIssue[] {
  const limit = STEP_FUNCTIONS_LIMITS.definitionBytes;
  if (report.definitionBytes <= limit) return [];
  // States appear in the JSON in execution order, stage after stage: the stage whose states
  // start last before the limit is where the definition reaches it, so split there at the latest.
  let crossing: IrStage | undefined;
  let from = 0;
  const bytesPerChar = report.definitionBytes / json.length;
  for (const stage of ir.stages) {
    const first = emitted.stageStates.get(stage.refId)?.[0];
    if (first === undefined) continue;
    const at = json.indexOf(`${JSON.stringify(first)}:{`, from);
    if (at < 0 || at * bytesPerChar > limit) break;
    crossing = stage;
    from = at;
  }
  return [
    {
      pointer: crossing ? stagePointer(crossing) : '/stages',
      code: 'limit',
      message: `the state machine definition would be ${thousands(report.definitionBytes)} bytes (limit ${thousands(limit)}); split the pipeline into child pipelines${crossing ? `, at the latest before stage '${crossing.name}', where it reaches the limit` : ''}`,
      severity: 'error',
      value: report.definitionBytes,
    },
  ];
}

function childAdvice(stage: IrStage): string {
  if (stage.type === 'kayentaCanary') return 'raise canaryAnalysisIntervalMins or shorten lifetimeDuration, or split the analysis into several kayentaCanary stages';
  return 'raise the canary analysis interval or shorten its lifetime, or split the deploy into several stages';
}

function pollAdvice(stage: IrStage): string {
  if (stage.type === 'kayentaCanary') return ' or shorten lifetimeDuration';
  if (stage.steps.some((step) => step.kind === 'poll')) return ' or give its polling steps a smaller poll budget';
  return '';
}

function stagePointer(stage: IrStage): string {
  return pointerJoin('', 'stages', stage.index);
}

/** 31200 → "31,200", independent of locale. */
export function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** UTF-8 length of a string (ASCII, the usual case, is its length). */
export function utf8Length(text: string): number {
  return /^[\x00-\x7f]*$/.test(text) ? text.length : new TextEncoder().encode(text).length;
}
