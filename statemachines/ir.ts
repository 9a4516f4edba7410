/**
 * The compiler's intermediate representation: a pipeline lowered to stages with their steps
 * and a series-parallel tree that orders them. Lowering (lower.ts) decides everything about
 * the pipeline's meaning; emission (emit.ts) only turns this tree into ASL. Plain readonly data.
 */
import type { TaskKind } from '../core/pipeline/model.ts';

/** One step of a stage: one Task state, with a wait loop for polls. */
export interface IrStep {
  /** Sent to the stage runner as `task`. */
  readonly name: string;
  readonly kind: TaskKind;
  /** Callbacks only: the Task's TimeoutSeconds (whole seconds, at least 1). */
  readonly timeoutSeconds?: number;
  /** How many times the Task may run (1 unless it polls); feeds the history budget. */
  readonly maxPolls: number;
  /** Set when the compiler added the step rather than the stage type's plan. */
  readonly synthetic?: 'execution-window';
}

/** A stage as the compiler sees it: identity, for names and issues, and its steps. */
export interface IrStage {
  readonly refId: string;
  readonly name: string;
  readonly type: string;
  /** Position in the document's `stages` array, for JSON pointers in issues. */
  readonly index: number;
  /** At least one. */
  readonly steps: readonly IrStep[];
  /**
   * Whether the stage may poll for hours (kayentaCanary, a deploy with strategy canary), so it
   * may run as a child state machine when the history budget needs it.
   */
  readonly childCandidate?: boolean;
  /** Set when the stage runs as a child state machine (`states:startExecution.sync:2`). */
  readonly child?: IrChild;
}

/** A stage run as its own state machine: the parent starts it and waits for it. */
export interface IrChild {
  /** Identifies the child among the pipeline's: `[A-Za-z0-9_-]`, at most 24 characters. */
  readonly key: string;
}

/** The order of stages: nested series and parallel compositions (DESIGN.md §4). */
export type IrNode =
  | { readonly kind: 'stage'; readonly stage: IrStage }
  /** At least two items, run one after another. */
  | { readonly kind: 'series'; readonly items: readonly IrNode[] }
  /** At least two branches, run at once; what follows waits for all of them. */
  | { readonly kind: 'parallel'; readonly branches: readonly IrNode[] };

/** An edge of the stage graph, by refId: `to` waits for `from`. */
export interface OrderingEdge {
  readonly from: string;
  readonly to: string;
}

/** How the added ordering edges were found. */
export type OrderingMethod =
  /** The graph was series-parallel already. */
  | 'none'
  /** Every non-series-parallel part was small enough to search: the fewest edges possible. */
  | 'exact'
  /** At least one part was too large to search: a greedy choice, not necessarily the fewest. */
  | 'greedy';

/** A lowered pipeline: its stages and the tree that orders them. */
export interface IrPipeline {
  /** Every stage, in the order the stages appear in the body (stable, independent of array order). */
  readonly stages: readonly IrStage[];
  /** Undefined for a pipeline without stages. */
  readonly body?: IrNode;
  /** Edges the compiler added so the graph is series-parallel, by refId. */
  readonly addedOrderingEdges: readonly OrderingEdge[];
  readonly orderingMethod: OrderingMethod;
}
