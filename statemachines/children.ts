/**
 * Child state machines (DESIGN.md §4): a stage that may poll for hours (a canary) runs as its
 * own state machine, started and awaited by one `states:startExecution.sync:2` Task of the
 * parent, so its polls fill the child's history (25,000 events of its own) instead of the
 * parent's. Which stages become children is decided here, on the IR, before emission.
 */
import { CHILD_STAGE_PARENT_EVENTS, HISTORY_EVENTS, inlineStageBudget, STEP_FUNCTIONS_LIMITS, structureEvents } from './budget.ts';
import type { IrNode, IrPipeline, IrStage } from './ir.ts';
import { shortHash } from './names.ts';

/**
 * A candidate stage whose worst case exceeds this many history events runs as a child even
 * when the parent would fit: a canary of about 90 intervals and more. Below it, a stage stays
 * inline unless the parent would exceed the history limit without moving it.
 */
export const DEFAULT_CHILD_THRESHOLD_EVENTS = 5_000;

/** The placeholder (definition substitution) a parent names the child `key`'s state machine by. */
export function childMachinePlaceholder(key: string): string {
  return `ChildStateMachineArn_${key}`;
}

/** Whether `key` is a child key Gennaker produces: safe inside names, ARNs and placeholders. */
export function isChildKey(key: string): boolean {
  return /^[A-Za-z0-9_-]{1,24}$/.test(key);
}

/**
 * Marks the stages that run as children: every candidate (`childCandidate`) over `thresholdEvents`,
 * then, while the parent's worst case still exceeds the history limit, the largest remaining
 * candidate. Stages that are no candidates are never moved (the budget refuses them instead).
 */
export function placeChildren(ir: IrPipeline, thresholdEvents: number): IrPipeline {
  const inline = new Map(ir.stages.map((stage) => [stage.refId, inlineStageBudget(stage).historyEvents]));
  const chosen = new Set(ir.stages.filter((stage) => stage.childCandidate && inline.get(stage.refId)! > thresholdEvents).map((stage) => stage.refId));
  const parentEvents = () =>
    HISTORY_EVENTS.execution +
    structureEvents(ir.body) +
    ir.stages.reduce((sum, stage) => sum + (chosen.has(stage.refId) ? CHILD_STAGE_PARENT_EVENTS : inline.get(stage.refId)!), 0);
  const rest = ir.stages
    .filter((stage) => stage.childCandidate && !chosen.has(stage.refId) && inline.get(stage.refId)! > CHILD_STAGE_PARENT_EVENTS)
    .sort((a, b) => inline.get(b.refId)! - inline.get(a.refId)! || a.index - b.index);
  for (const stage of rest) {
    if (parentEvents() <= STEP_FUNCTIONS_LIMITS.historyEvents) break;
    chosen.add(stage.refId);
  }
  if (chosen.size === 0) return ir;

  const keys = childKeys(ir.stages.filter((stage) => chosen.has(stage.refId)).map((stage) => stage.refId));
  const replaced = new Map<string, IrStage>(
    ir.stages.map((stage) => [stage.refId, chosen.has(stage.refId) ? { ...stage, child: { key: keys.get(stage.refId)! } } : stage]),
  );
  const mapNode = (node: IrNode): IrNode => {
    switch (node.kind) {
      case 'stage':
        return { kind: 'stage', stage: replaced.get(node.stage.refId)! };
      case 'series':
        return { kind: 'series', items: node.items.map(mapNode) };
      case 'parallel':
        return { kind: 'parallel', branches: node.branches.map(mapNode) };
      default: {
        const unknownNode: never = node;
        throw new Error(`placeChildren: unknown node ${JSON.stringify(unknownNode)}`);
      }
    }
  };
  return {
    ...ir,
    stages: ir.stages.map((stage) => replaced.get(stage.refId)!),
    ...(ir.body ? { body: mapNode(ir.body) } : {}),
  };
}

/** The refId itself when it is a safe key, else `stage-` and a hash; unique among the given refIds. */
function childKeys(refIds: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>();
  const taken = new Set<string>();
  for (const refId of [...refIds].sort()) {
    let key = isChildKey(refId) ? refId : `stage-${shortHash(refId)}`;
    for (let n = 2; taken.has(key); n++) key = `stage-${shortHash(`${refId}#${n}`)}`;
    taken.add(key);
    keys.set(refId, key);
  }
  return keys;
}
