import { describe, expect, it } from 'vitest';
import { COLUMN_GAP, layoutStages, NODE_HEIGHT, NODE_WIDTH, ROW_GAP, syntheticStagesOf } from '../../../web/src/graph.ts';
import type { Stage } from '../../../web/src/model.ts';

function stage(refId: string, requisiteStageRefIds: string[], extra: Partial<Stage> = {}): Stage {
  return { id: `s${refId}`, refId, type: 'wait', name: `Stage ${refId}`, status: 'NOT_STARTED', context: {}, outputs: {}, startTime: null, endTime: null, requisiteStageRefIds, ...extra };
}

describe('the stage graph layout', () => {
  it('puts each stage one column right of its deepest upstream stage, so fan-out and fan-in show', () => {
    // given: 1 fans out to 2 and 3; 4 joins them; 10 follows 2 alone
    const stages = [stage('4', ['2', '3']), stage('1', []), stage('3', ['1']), stage('2', ['1']), stage('10', ['2'])];

    // when
    const layout = layoutStages(stages);

    // then
    const at = Object.fromEntries(layout.nodes.map((node) => [node.stage.refId, [node.column, node.row]]));
    expect(at).toEqual({ '1': [0, 0], '2': [1, 0], '3': [1, 1], '4': [2, 0], '10': [2, 1] });
    expect(layout.edges.map((edge) => `${edge.from}->${edge.to}`).sort()).toEqual(['1->2', '1->3', '2->10', '2->4', '3->4']);
    expect(layout.width).toBe(3 * NODE_WIDTH + 2 * COLUMN_GAP);
    expect(layout.height).toBe(2 * NODE_HEIGHT + ROW_GAP);
    const join = layout.edges.find((edge) => edge.from === '3' && edge.to === '4')!;
    expect(join.path.startsWith(`M${NODE_WIDTH + (NODE_WIDTH + COLUMN_GAP)},${NODE_HEIGHT + ROW_GAP + NODE_HEIGHT / 2}`)).toBe(true);
  });

  it('draws synthetic stages inside their parent, before-stages first, and not as nodes', () => {
    // given
    const parent = stage('1', [], { id: 'p' });
    const after = stage('a', [], { id: 'after', parentStageId: 'p', syntheticStageOwner: 'STAGE_AFTER' });
    const before = stage('b', [], { id: 'before', parentStageId: 'p', syntheticStageOwner: 'STAGE_BEFORE' });
    const nested = stage('n', [], { id: 'nested', parentStageId: 'before', syntheticStageOwner: 'STAGE_BEFORE' });

    // when
    const layout = layoutStages([parent, after, before, nested]);

    // then
    expect(layout.nodes.map((node) => node.stage.id)).toEqual(['p']);
    expect(layout.nodes[0]!.synthetic.map((child) => child.id)).toEqual(['before', 'nested', 'after']);
    expect(syntheticStagesOf([parent, after, before, nested], before).map((child) => child.id)).toEqual(['nested']);
  });

  it('lays out an empty execution as nothing', () => {
    expect(layoutStages([])).toEqual({ nodes: [], edges: [], width: 0, height: 0 });
  });
});
