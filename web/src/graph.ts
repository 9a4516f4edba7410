/**
 * Where each stage of an execution is drawn, as Deck lays out a pipeline graph: one column per
 * depth (a stage sits one column right of its deepest upstream stage), stages of a column
 * stacked in refId order, an edge from each upstream stage to its downstream one, so fan-out
 * and fan-in show as lines that split and join. Pure: no DOM.
 */
import { stageDepths } from '../../core/execution/stage-depths.ts';
import type { Stage } from './model.ts';

/** Sizes of the drawing, in CSS pixels. */
export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 64;
export const COLUMN_GAP = 56;
export const ROW_GAP = 16;

export interface PlacedStage {
  readonly stage: Stage;
  readonly column: number;
  readonly row: number;
  readonly x: number;
  readonly y: number;
  /** Its synthetic stages (before first, then after), in start order. */
  readonly synthetic: readonly Stage[];
}

export interface Edge {
  readonly from: string;
  readonly to: string;
  /** An SVG path from the right edge of `from` to the left edge of `to`. */
  readonly path: string;
}

export interface Layout {
  readonly nodes: readonly PlacedStage[];
  readonly edges: readonly Edge[];
  readonly width: number;
  readonly height: number;
}

/** refIds compare as numbers when both are, else as text: "2" before "10". */
function byRefId(a: Stage, b: Stage): number {
  const x = Number(a.refId);
  const y = Number(b.refId);
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.refId.localeCompare(b.refId);
}

/** The synthetic stages under `parent`, nested ones included, before-stages first. */
export function syntheticStagesOf(stages: readonly Stage[], parent: Stage): Stage[] {
  const children = stages.filter((stage) => stage.parentStageId === parent.id);
  const ordered = [...children.filter((stage) => stage.syntheticStageOwner !== 'STAGE_AFTER'), ...children.filter((stage) => stage.syntheticStageOwner === 'STAGE_AFTER')];
  return ordered.flatMap((child) => [child, ...syntheticStagesOf(stages, child)]);
}

/** Lays out the top-level stages of an execution. */
export function layoutStages(stages: readonly Stage[]): Layout {
  const top = stages.filter((stage) => stage.parentStageId === undefined).sort(byRefId);
  const depths = stageDepths(top);
  const columns: Stage[][] = [];
  for (const stage of top) {
    const column = depths.get(stage.refId) ?? 0;
    (columns[column] ??= []).push(stage);
  }
  const nodes: PlacedStage[] = [];
  const at = new Map<string, PlacedStage>();
  columns.forEach((members, column) => {
    members.forEach((stage, row) => {
      const placed = { stage, column, row, x: column * (NODE_WIDTH + COLUMN_GAP), y: row * (NODE_HEIGHT + ROW_GAP), synthetic: syntheticStagesOf(stages, stage) };
      nodes.push(placed);
      at.set(stage.refId, placed);
    });
  });
  const edges: Edge[] = [];
  for (const node of nodes) {
    for (const upstream of node.stage.requisiteStageRefIds) {
      const from = at.get(upstream);
      if (!from) continue;
      const x1 = from.x + NODE_WIDTH;
      const y1 = from.y + NODE_HEIGHT / 2;
      const x2 = node.x;
      const y2 = node.y + NODE_HEIGHT / 2;
      const middle = (x1 + x2) / 2;
      edges.push({ from: upstream, to: node.stage.refId, path: `M${x1},${y1} C${middle},${y1} ${middle},${y2} ${x2},${y2}` });
    }
  }
  const tallest = Math.max(0, ...columns.map((members) => members.length));
  return {
    nodes,
    edges,
    width: Math.max(0, columns.length * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP),
    height: Math.max(0, tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP),
  };
}
