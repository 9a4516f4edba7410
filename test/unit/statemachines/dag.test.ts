/**
 * The stage graph as a series-parallel tree: exact for series-parallel graphs (redundant
 * edges vanish), the fewest added ordering edges otherwise, never a dropped edge, and the
 * same tree whatever the order of the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIds, decomposeDag, type SpTree } from '../../../statemachines/dag.ts';

type Edge = readonly [string, string];

const edgesOf = (pairs: readonly Edge[]) => pairs.map(([from, to]) => ({ from, to }));

/** Compact notation: S(...) series, P(a|b) parallel. */
function show(tree: SpTree | undefined): string {
  if (!tree) return '-';
  switch (tree.kind) {
    case 'leaf':
      return tree.id;
    case 'series':
      return `S(${tree.items.map(show).join(',')})`;
    case 'parallel':
      return `P(${tree.branches.map(show).join('|')})`;
  }
}

/** Pairs (x, y) with x before y in the tree's order. */
function treeOrder(tree: SpTree | undefined): Set<string> {
  const order = new Set<string>();
  const leaves = (node: SpTree): string[] =>
    node.kind === 'leaf' ? [node.id] : node.kind === 'series' ? node.items.flatMap(leaves) : node.branches.flatMap(leaves);
  const visit = (node: SpTree) => {
    if (node.kind === 'leaf') return;
    const children = node.kind === 'series' ? node.items : node.branches;
    children.forEach(visit);
    if (node.kind === 'series') {
      node.items.forEach((earlier, i) => {
        for (const later of node.items.slice(i + 1)) for (const x of leaves(earlier)) for (const y of leaves(later)) order.add(`${x}<${y}`);
      });
    }
  };
  if (tree) visit(tree);
  return order;
}

/** Pairs (x, y) with a path x → … → y. */
function closure(ids: readonly string[], pairs: readonly Edge[]): Set<string> {
  const order = new Set<string>();
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, to] of pairs) children.get(from)!.push(to);
  for (const start of ids) {
    const stack = [...children.get(start)!];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      order.add(`${start}<${next}`);
      stack.push(...children.get(next)!);
    }
  }
  return order;
}

describe('decomposeDag', () => {
  it.each<[string, string[], Edge[], string]>([
    ['no stages', [], [], '-'],
    ['one stage', ['1'], [], '1'],
    ['a chain', ['1', '2', '3'], [['1', '2'], ['2', '3']], 'S(1,2,3)'],
    ['independent roots', ['1', '2'], [], 'P(1|2)'],
    ['a diamond', ['1', '2', '3', '4'], [['1', '2'], ['1', '3'], ['2', '4'], ['3', '4']], 'S(1,P(2|3),4)'],
    ['a diamond with a redundant edge', ['1', '2', '3', '4'], [['1', '2'], ['1', '3'], ['2', '4'], ['3', '4'], ['1', '4']], 'S(1,P(2|3),4)'],
    ['multiple roots into one join', ['1', '2', '3'], [['1', '3'], ['2', '3']], 'S(P(1|2),3)'],
    ['one root fanning out to sinks', ['1', '2', '3'], [['1', '2'], ['1', '3']], 'S(1,P(2|3))'],
    [
      'a nested fork',
      ['1', '2', '3', '4', '5', '6', '7'],
      [['1', '2'], ['1', '6'], ['2', '3'], ['2', '4'], ['3', '5'], ['4', '5'], ['5', '7'], ['6', '7']],
      'S(1,P(S(2,P(3|4),5)|6),7)',
    ],
    ['two independent chains', ['1', '2', '3', '4'], [['1', '2'], ['3', '4']], 'P(S(1,2)|S(3,4))'],
    ['refIds in natural order', ['10', '9', '2'], [], 'P(2|9|10)'],
  ])('splits %s exactly', (_, ids, pairs, expected) => {
    const result = decomposeDag(ids, edgesOf(pairs));
    expect(show(result.tree)).toBe(expected);
    expect(result.addedEdges).toEqual([]);
    expect(result.method).toBe('none');
  });

  it('adds one edge to an N and says it is the fewest', () => {
    // given a→c, b→c, b→d: d depends on b only
    const result = decomposeDag(['a', 'b', 'c', 'd'], edgesOf([['a', 'c'], ['b', 'c'], ['b', 'd']]));

    // then d also waits for a, the edge that loses the least parallelism
    expect(result.addedEdges).toEqual([{ from: 'a', to: 'd' }]);
    expect(result.method).toBe('exact');
    expect(show(result.tree)).toBe('S(P(a|b),P(c|d))');
  });

  it('repairs each N of a graph on its own', () => {
    const result = decomposeDag(
      ['1', '2', '3', '4', '5', '6', '7', '8', '9'],
      edgesOf([['1', '3'], ['2', '3'], ['2', '4'], ['3', '9'], ['4', '9'], ['5', '7'], ['6', '7'], ['6', '8'], ['7', '9'], ['8', '9']]),
    );
    expect(result.addedEdges).toEqual([
      { from: '1', to: '4' },
      { from: '5', to: '8' },
    ]);
    expect(show(result.tree)).toBe('S(P(S(P(1|2),P(3|4))|S(P(5|6),P(7|8))),9)');
  });

  it('finds a one-edge repair where the obvious cut needs two', () => {
    // given a→x,y,z; b→x,y; c→y,z: cutting roots from the rest needs b→z and c→x
    const result = decomposeDag(
      ['a', 'b', 'c', 'x', 'y', 'z'],
      edgesOf([['a', 'x'], ['a', 'y'], ['a', 'z'], ['b', 'x'], ['b', 'y'], ['c', 'y'], ['c', 'z']]),
    );
    expect(result.addedEdges).toHaveLength(1);
    expect(result.method).toBe('exact');
  });

  it('falls back to a greedy repair for a large tangled part, and still orders everything', () => {
    // given a 14-stage "zigzag": each stage of the top row feeds two of the bottom row
    const ids = Array.from({ length: 14 }, (_, i) => String(i + 1));
    const pairs: Edge[] = [];
    for (let i = 1; i <= 7; i++) {
      pairs.push([String(i), String(i + 7)]);
      if (i < 7) pairs.push([String(i), String(i + 8)]);
    }
    const result = decomposeDag(ids, edgesOf(pairs));
    expect(result.method).toBe('greedy');
    expect(result.addedEdges.length).toBeGreaterThan(0);
    const order = treeOrder(result.tree);
    for (const [from, to] of pairs) expect(order.has(`${from}<${to}`)).toBe(true);
  });

  it('gives the same tree whatever the order of ids and edges', () => {
    const ids = ['1', '2', '3', '4', '5', '6'];
    const pairs: Edge[] = [['1', '2'], ['1', '3'], ['2', '4'], ['3', '4'], ['3', '5'], ['4', '6'], ['5', '6']];
    const forward = decomposeDag(ids, edgesOf(pairs));
    const backward = decomposeDag([...ids].reverse(), edgesOf([...pairs].reverse()));
    expect(backward).toEqual(forward);
  });

  it('ignores edges to unknown ids and self edges', () => {
    const result = decomposeDag(['1', '2'], edgesOf([['1', '2'], ['1', '9'], ['2', '2']]));
    expect(show(result.tree)).toBe('S(1,2)');
  });

  it('rejects a cycle (validation reports cycles before compiling)', () => {
    expect(() => decomposeDag(['1', '2'], edgesOf([['1', '2'], ['2', '1']]))).toThrow(/cycle/);
  });

  it.each([
    ['small random DAGs (searched exactly)', 1, 11],
    ['larger random DAGs (repaired greedily)', 13, 30],
  ])('keeps every edge and splits exactly the resulting order: %s', (_, min, max) => {
    const dag = fc
      .integer({ min, max })
      .chain((size) =>
        fc.tuple(
          fc.constant(size),
          fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: size * 2 }),
        ),
      );
    fc.assert(
      fc.property(dag, ([size, rawPairs]) => {
        const ids = Array.from({ length: size }, (_, i) => String(i + 1));
        // edges only go from a smaller to a larger number, so the graph is acyclic
        const pairs: Edge[] = rawPairs.filter(([a, b]) => a < b).map(([a, b]) => [String(a + 1), String(b + 1)]);
        const result = decomposeDag(ids, edgesOf(pairs));

        // every stage appears exactly once
        const leaves = collectLeaves(result.tree);
        expect([...leaves].sort(compareIds)).toEqual(ids);
        // the tree's order is exactly the order of the original plus the added edges
        const expected = closure(ids, [...pairs, ...result.addedEdges.map((edge) => [edge.from, edge.to] as const)]);
        expect(treeOrder(result.tree)).toEqual(expected);
        // no original edge is lost
        for (const [from, to] of pairs) expect(expected.has(`${from}<${to}`)).toBe(true);
        // added edges only where needed: a graph that splits exactly gets none
        if (result.method === 'none') expect(result.addedEdges).toEqual([]);
      }),
      { numRuns: 300, seed: 20241123 },
    );
  });
});

/** Whether an order has an induced N (a<c, b<c, b<d, every other pair unrelated): series-parallel orders do not. */
function hasN(ids: readonly string[], order: ReadonlySet<string>): boolean {
  const less = (x: string, y: string) => order.has(`${x}<${y}`);
  const related = (x: string, y: string) => less(x, y) || less(y, x);
  for (const a of ids) for (const b of ids) for (const c of ids) for (const d of ids) {
    if (new Set([a, b, c, d]).size < 4) continue;
    if (less(a, c) && less(b, c) && less(b, d) && !related(a, b) && !related(a, d) && !related(c, d)) return true;
  }
  return false;
}

describe('decomposeDag minimality', () => {
  it('adds no more edges than the fewest an independent brute force finds (small random DAGs)', () => {
    const dag = fc
      .integer({ min: 4, max: 6 })
      .chain((size) => fc.tuple(fc.constant(size), fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: size * 2 })));
    fc.assert(
      fc.property(dag, ([size, rawPairs]) => {
        const ids = Array.from({ length: size }, (_, i) => String(i + 1));
        const pairs: Edge[] = rawPairs.filter(([a, b]) => a < b).map(([a, b]) => [String(a + 1), String(b + 1)]);
        const result = decomposeDag(ids, edgesOf(pairs));
        expect(result.method).not.toBe('greedy');
        const base = closure(ids, pairs);
        expect(hasN(ids, base)).toBe(result.addedEdges.length > 0);
        // no smaller set of added edges removes every N
        const candidates: Edge[] = [];
        for (const x of ids) for (const y of ids) if (x !== y && !base.has(`${x}<${y}`) && !base.has(`${y}<${x}`)) candidates.push([x, y]);
        const smaller = (count: number, start: number, chosen: Edge[]): boolean => {
          if (chosen.length === count) {
            const order = closure(ids, [...pairs, ...chosen]);
            return ![...order].some((pair) => pair.split('<')[0] === pair.split('<')[1]) && !hasN(ids, order);
          }
          for (let i = start; i < candidates.length; i++) if (smaller(count, i + 1, [...chosen, candidates[i]!])) return true;
          return false;
        };
        for (let count = 0; count < result.addedEdges.length; count++) expect(smaller(count, 0, [])).toBe(false);
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});

function collectLeaves(tree: SpTree | undefined): string[] {
  if (!tree) return [];
  if (tree.kind === 'leaf') return [tree.id];
  return (tree.kind === 'series' ? tree.items : tree.branches).flatMap(collectLeaves);
}

describe('compareIds', () => {
  it.each([
    ['2', '10', -1],
    ['10', '2', 1],
    ['a', 'b', -1],
    ['stage2', 'stage10', -1],
    ['1', '1', 0],
    ['01', '1', -1],
  ] as const)('orders %s and %s', (a, b, sign) => {
    expect(Math.sign(compareIds(a, b))).toBe(sign);
  });
});
