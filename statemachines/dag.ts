/**
 * The stage graph as a series-parallel tree (DESIGN.md §4).
 *
 * What matters about `requisiteStageRefIds` is the order they impose: stage x must finish
 * before y when there is a path x → … → y. An order is series-parallel exactly when it has no
 * "N" (a<c, b<c, b<d with a, d unrelated); then it splits, recursively, into independent parts
 * (one Parallel branch each) or into blocks where every element of one block precedes every
 * element of the next (a series), and that tree imposes exactly the same order — redundant
 * edges (the transitive reduction) disappear on the way.
 *
 * When the order is not series-parallel, the compiler adds ordering edges (never drops one).
 * Each part that splits neither way (a "stuck" part) is a module of the order — everything
 * outside it relates to all of its elements alike — so edges that touch the outside cannot
 * change its inside, and each stuck part is repaired on its own:
 * - up to EXACT_MAX_ELEMENTS stages: an exhaustive search for the fewest edges, tie-broken
 *   by the least lost parallelism, then by a fixed preference (edges that point forward in
 *   depth, then refId order);
 * - larger parts, or when the search exceeds EXACT_SEARCH_BUDGET: a greedy repair that picks
 *   the cut (a down-set A before the rest B) needing the fewest new edges from A's maximal
 *   to B's minimal elements, then repairs A and B the same way. Not always the fewest.
 *
 * Elements are numbered in a topological order and relations kept as bitsets (ancestors and
 * descendants of each), so a 1000-stage graph splits in a few milliseconds.
 */
import type { OrderingEdge, OrderingMethod } from './ir.ts';

/** A series-parallel tree over element ids. */
export type SpTree =
  | { readonly kind: 'leaf'; readonly id: string }
  | { readonly kind: 'series'; readonly items: readonly SpTree[] }
  | { readonly kind: 'parallel'; readonly branches: readonly SpTree[] };

/** The tree, the edges added to get it, and how they were found. */
export interface SpDecomposition {
  /** Undefined when there are no ids. */
  readonly tree?: SpTree;
  readonly addedEdges: readonly OrderingEdge[];
  readonly method: OrderingMethod;
}

/** Stuck parts up to this size are searched exhaustively. */
export const EXACT_MAX_ELEMENTS = 12;
/** How many candidate edge sets the exhaustive search may try per stuck part. */
export const EXACT_SEARCH_BUDGET = 5000;

/**
 * Natural order of refIds: digit runs compare as numbers ("2" < "10"), the rest by code
 * point; equal-looking ids ("01" vs "1") fall back to plain code-point order. Independent of
 * locale, so compilation is byte-identical everywhere.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const chunk = /(\d+)|(\D+)/g;
  const partsA = a.match(chunk) ?? [];
  const partsB = b.match(chunk) ?? [];
  const length = Math.min(partsA.length, partsB.length);
  for (let i = 0; i < length; i++) {
    const x = partsA[i]!;
    const y = partsB[i]!;
    if (x === y) continue;
    const numeric = /^\d/.test(x) && /^\d/.test(y);
    if (numeric) {
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (partsA.length !== partsB.length) return partsA.length - partsB.length;
  return a < b ? -1 : 1;
}

/**
 * Splits the order given by `edges` over `ids` into a series-parallel tree, adding ordering
 * edges where it is not series-parallel. Parallel branches are sorted by their smallest id
 * (natural order), so the result does not depend on the order of `ids` or `edges`.
 * The graph must be acyclic (validation guarantees it); edges naming unknown ids are ignored.
 */
export function decomposeDag(ids: readonly string[], edges: readonly OrderingEdge[]): SpDecomposition {
  const sortedIds = [...new Set(ids)].sort(compareIds);
  if (sortedIds.length === 0) return { addedEdges: [], method: 'none' };
  const indexOf = new Map(sortedIds.map((id, index) => [id, index] as const));
  const pairs: Array<readonly [number, number]> = [];
  for (const edge of edges) {
    const from = indexOf.get(edge.from);
    const to = indexOf.get(edge.to);
    if (from !== undefined && to !== undefined && from !== to) pairs.push([from, to]);
  }

  const poset = posetFromEdges(sortedIds.length, pairs, (element) => element);
  if (!poset) throw new Error('decomposeDag: the stage graph has a cycle');
  const toId = (element: number) => sortedIds[poset.original[element]!]!;
  const stuck: number[][] = [];
  const tree = decompose(poset, poset.allElements(), stuck);

  // Each stuck part is repaired and split again on its own: its new edges change nothing
  // outside it, so the rest of the tree stands.
  const added: OrderingEdge[] = [];
  let greedy = false;
  const repaired = new Map<readonly number[], SpTree>();
  for (const part of stuck) {
    const repair = repairStuckPart(poset, part);
    if (repair.method === 'greedy') greedy = true;
    for (const [from, to] of repair.edges) added.push({ from: toId(part[from]!), to: toId(part[to]!) });
    const local = subPoset(poset, part);
    const edges: Array<readonly [number, number]> = [...repair.edges];
    for (let y = 0; y < local.size; y++) for (const x of bitsToList(local.anc[y]!)) edges.push([x, y]);
    const fixed = posetFromEdges(local.size, edges, (element) => local.key[element]!);
    const leftover: number[][] = [];
    const fixedTree = fixed ? decompose(fixed, fixed.allElements(), leftover) : undefined;
    if (!fixed || !fixedTree || leftover.length > 0) throw new Error('decomposeDag: a repaired part is still not series-parallel');
    repaired.set(part, toSpTree(fixedTree, (element) => toId(part[fixed.original[element]!]!), new Map()));
  }
  return {
    tree: toSpTree(tree, toId, repaired),
    addedEdges: added.sort((x, y) => compareIds(x.from, y.from) || compareIds(x.to, y.to)),
    method: stuck.length === 0 ? 'none' : greedy ? 'greedy' : 'exact',
  };
}

// ---------------------------------------------------------------------------------------------
// Bitsets

type Bits = Uint32Array;

function newBits(words: number): Bits {
  return new Uint32Array(words);
}

/** `count` zeroed bitsets of `words` words, sharing one buffer (thousands of small buffers cost more). */
function bitRows(count: number, words: number): Bits[] {
  const buffer = new Uint32Array(count * words);
  return Array.from({ length: count }, (_, row) => buffer.subarray(row * words, (row + 1) * words));
}

function hasBit(bits: Bits, index: number): boolean {
  return (bits[index >>> 5]! & (1 << (index & 31))) !== 0;
}

function setBit(bits: Bits, index: number): void {
  bits[index >>> 5]! |= 1 << (index & 31);
}

function clearBit(bits: Bits, index: number): void {
  bits[index >>> 5]! &= ~(1 << (index & 31));
}

function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function countBits(bits: Bits): number {
  let count = 0;
  for (let i = 0; i < bits.length; i++) count += popcount32(bits[i]!);
  return count;
}

/** Set bits in increasing order. */
function bitsToList(bits: Bits): number[] {
  const list: number[] = [];
  for (let word = 0; word < bits.length; word++) {
    let value = bits[word]!;
    while (value !== 0) {
      const lowest = value & -value;
      list.push((word << 5) + 31 - Math.clz32(lowest));
      value ^= lowest;
    }
  }
  return list;
}

function listToBits(list: readonly number[], words: number): Bits {
  const bits = newBits(words);
  for (const index of list) setBit(bits, index);
  return bits;
}

// ---------------------------------------------------------------------------------------------
// Posets

/**
 * A finite order with elements numbered 0..size-1 in a topological order (an element's
 * ancestors all have smaller numbers). `original[e]` is the number element e had where this
 * poset came from (the edges' numbering, or the parent poset's for a sub-poset); `key[e]` its
 * place in the natural order of ids, which decides every tie.
 */
class Poset {
  readonly words: number;

  constructor(
    readonly size: number,
    /** Strict ancestors (elements before) of each element. */
    readonly anc: readonly Bits[],
    /** Strict descendants (elements after) of each element. */
    readonly desc: readonly Bits[],
    readonly original: readonly number[],
    readonly key: readonly number[],
  ) {
    this.words = Math.max(1, Math.ceil(size / 32));
  }

  allElements(): number[] {
    return Array.from({ length: this.size }, (_, element) => element);
  }

  less(x: number, y: number): boolean {
    return hasBit(this.anc[y]!, x);
  }

  comparable(x: number, y: number): boolean {
    return x === y || hasBit(this.anc[y]!, x) || hasBit(this.anc[x]!, y);
  }

  /** Pairs x < y: a measure of how much order (lost parallelism) there is. */
  relationCount(): number {
    let count = 0;
    for (const bits of this.anc) count += countBits(bits);
    return count;
  }
}

/**
 * Builds the order generated by `edges` over elements 0..size-1, numbering elements by a
 * topological sort that always takes the ready element with the smallest `rank`. Returns
 * undefined when the edges make a cycle.
 */
function posetFromEdges(
  size: number,
  edges: ReadonlyArray<readonly [number, number]>,
  rank: (element: number) => number,
): Poset | undefined {
  const children: number[][] = Array.from({ length: size }, () => []);
  const indegree = new Array<number>(size).fill(0);
  for (const [from, to] of edges) {
    children[from]!.push(to);
    indegree[to]!++;
  }
  const heap = new MinHeap(rank);
  for (let element = 0; element < size; element++) if (indegree[element] === 0) heap.push(element);
  const order: number[] = [];
  while (heap.length > 0) {
    const element = heap.pop();
    order.push(element);
    for (const child of children[element]!) if (--indegree[child]! === 0) heap.push(child);
  }
  if (order.length !== size) return undefined;

  const numberOf = new Array<number>(size);
  order.forEach((element, position) => {
    numberOf[element] = position;
  });
  const words = Math.max(1, Math.ceil(size / 32));
  const anc = bitRows(size, words);
  const desc = bitRows(size, words);
  const parents: number[][] = Array.from({ length: size }, () => []);
  for (const [from, to] of edges) parents[numberOf[to]!]!.push(numberOf[from]!);
  for (let element = 0; element < size; element++) {
    const bits = anc[element]!;
    for (const parent of parents[element]!) {
      const parentBits = anc[parent]!;
      for (let w = 0; w < words; w++) bits[w]! |= parentBits[w]!;
      setBit(bits, parent);
    }
  }
  transposeInto(anc, desc);
  return new Poset(size, anc, desc, order, order.map(rank));
}

/** The order restricted to `elements` (ascending), renumbered 0..k-1 in the same order. */
function subPoset(poset: Poset, elements: readonly number[]): Poset {
  const size = elements.length;
  const words = Math.max(1, Math.ceil(size / 32));
  const local = new Map(elements.map((element, index) => [element, index] as const));
  const anc = elements.map((element) => {
    const bits = newBits(words);
    for (const ancestor of bitsToList(poset.anc[element]!)) {
      const index = local.get(ancestor);
      if (index !== undefined) setBit(bits, index);
    }
    return bits;
  });
  const desc = bitRows(size, words);
  transposeInto(anc, desc);
  return new Poset(size, anc, desc, [...elements], elements.map((element) => poset.key[element]!));
}

function transposeInto(anc: readonly Bits[], desc: readonly Bits[]): void {
  anc.forEach((bits, element) => {
    for (let word = 0; word < bits.length; word++) {
      let value = bits[word]!;
      while (value !== 0) {
        const lowest = value & -value;
        setBit(desc[(word << 5) + 31 - Math.clz32(lowest)]!, element);
        value ^= lowest;
      }
    }
  });
}

class MinHeap {
  private readonly items: number[] = [];

  constructor(private readonly rank: (item: number) => number) {}

  get length(): number {
    return this.items.length;
  }

  push(item: number): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.rank(items[parent]!) <= this.rank(items[i]!)) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.rank(items[left]!) < this.rank(items[smallest]!)) smallest = left;
        if (right < items.length && this.rank(items[right]!) < this.rank(items[smallest]!)) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------
// Decomposition

/** A decomposition over poset elements; `stuck` parts are neither parallel nor series. */
type Decomposed =
  | { readonly kind: 'leaf'; readonly element: number }
  | { readonly kind: 'series'; readonly items: readonly Decomposed[] }
  | { readonly kind: 'parallel'; readonly branches: readonly Decomposed[] }
  | { readonly kind: 'stuck'; readonly elements: readonly number[] };

/**
 * Splits `elements` (ascending) into independent parts, else into series blocks, recursively.
 * Parts that split neither way are returned as `stuck` and also pushed onto `stuck`.
 */
function decompose(poset: Poset, elements: readonly number[], stuck: number[][]): Decomposed {
  if (elements.length === 1) return { kind: 'leaf', element: elements[0]! };
  const mask = listToBits(elements, poset.words);

  const components = connectedComponents(poset, mask);
  if (components.length > 1) {
    const branches = components
      .map((component) => ({ component, key: Math.min(...component.map((element) => poset.key[element]!)) }))
      .sort((x, y) => x.key - y.key)
      .map(({ component }) => decompose(poset, component, stuck));
    return { kind: 'parallel', branches };
  }

  const blocks = seriesBlocks(poset, elements, mask);
  if (blocks.length > 1) return { kind: 'series', items: blocks.map((block) => decompose(poset, block, stuck)) };

  const part = [...elements];
  stuck.push(part);
  return { kind: 'stuck', elements: part };
}

/** Connected components of the comparability graph restricted to `mask`, each ascending. */
function connectedComponents(poset: Poset, mask: Bits): number[][] {
  const remaining = Uint32Array.from(mask);
  const components: number[][] = [];
  const words = poset.words;
  for (let word = 0; word < words; word++) {
    while (remaining[word] !== 0) {
      const value = remaining[word]!;
      const start = (word << 5) + 31 - Math.clz32(value & -value);
      const component = newBits(words);
      setBit(component, start);
      clearBit(remaining, start);
      const frontier = [start];
      while (frontier.length > 0) {
        const element = frontier.pop()!;
        const anc = poset.anc[element]!;
        const desc = poset.desc[element]!;
        for (let w = 0; w < words; w++) {
          let reach = (anc[w]! | desc[w]!) & remaining[w]!;
          if (reach === 0) continue;
          remaining[w]! &= ~reach;
          component[w]! |= reach;
          while (reach !== 0) {
            const lowest = reach & -reach;
            frontier.push((w << 5) + 31 - Math.clz32(lowest));
            reach ^= lowest;
          }
        }
      }
      components.push(bitsToList(component));
    }
  }
  return components;
}

/**
 * Series blocks of `elements` (ascending = topological): a cut before position b is valid
 * when every element from b on has all elements before b as ancestors. For each element,
 * `firstMissing` is the smallest element of the set that is not its ancestor (possibly
 * itself); the cut before b is valid exactly when min(firstMissing[b..]) is elements[b].
 */
function seriesBlocks(poset: Poset, elements: readonly number[], mask: Bits): number[][] {
  const count = elements.length;
  const firstMissing = new Array<number>(count);
  for (let j = 0; j < count; j++) {
    const anc = poset.anc[elements[j]!]!;
    let found = elements[j]!;
    for (let w = 0; w < poset.words; w++) {
      const missing = mask[w]! & ~anc[w]!;
      if (missing !== 0) {
        found = (w << 5) + 31 - Math.clz32(missing & -missing);
        break;
      }
    }
    firstMissing[j] = found;
  }
  const blocks: number[][] = [];
  let current: number[] = [];
  let suffixMin = Number.POSITIVE_INFINITY;
  const cutBefore = new Array<boolean>(count).fill(false);
  for (let b = count - 1; b >= 1; b--) {
    suffixMin = Math.min(suffixMin, firstMissing[b]!);
    cutBefore[b] = suffixMin === elements[b];
  }
  for (let j = 0; j < count; j++) {
    if (cutBefore[j]) {
      blocks.push(current);
      current = [];
    }
    current.push(elements[j]!);
  }
  blocks.push(current);
  return blocks;
}

/** The tree over ids; each stuck part is replaced by its repaired tree. */
function toSpTree(node: Decomposed, toId: (element: number) => string, repaired: ReadonlyMap<readonly number[], SpTree>): SpTree {
  switch (node.kind) {
    case 'leaf':
      return { kind: 'leaf', id: toId(node.element) };
    case 'series':
      return { kind: 'series', items: node.items.flatMap((item) => flattenSeries(toSpTree(item, toId, repaired))) };
    case 'parallel':
      return { kind: 'parallel', branches: node.branches.map((branch) => toSpTree(branch, toId, repaired)) };
    case 'stuck': {
      const tree = repaired.get(node.elements);
      if (!tree) throw new Error('decomposeDag: a stuck part was not repaired');
      return tree;
    }
    default: {
      const unknownNode: never = node;
      throw new Error(`decomposeDag: unknown node ${JSON.stringify(unknownNode)}`);
    }
  }
}

function flattenSeries(tree: SpTree): SpTree[] {
  return tree.kind === 'series' ? [...tree.items] : [tree];
}

// ---------------------------------------------------------------------------------------------
// Repair of stuck parts

interface Repair {
  /** Edges between elements of the stuck part, by position in the part. */
  readonly edges: ReadonlyArray<readonly [number, number]>;
  readonly method: 'exact' | 'greedy';
}

/** Finds ordering edges inside `part` that make it series-parallel. */
function repairStuckPart(poset: Poset, part: readonly number[]): Repair {
  const local = subPoset(poset, part);
  const exact = local.size <= EXACT_MAX_ELEMENTS ? exactRepair(local) : undefined;
  return exact ? { edges: exact, method: 'exact' } : { edges: greedyRepair(local), method: 'greedy' };
}

/** Longest path from a minimal element, per element (elements ascending = topological). */
function depths(poset: Poset): number[] {
  const depth = new Array<number>(poset.size).fill(0);
  for (let element = 0; element < poset.size; element++) {
    for (const ancestor of bitsToList(poset.anc[element]!)) depth[element] = Math.max(depth[element]!, depth[ancestor]! + 1);
  }
  return depth;
}

/** Longest path to a maximal element, per element. */
function heights(poset: Poset): number[] {
  const height = new Array<number>(poset.size).fill(0);
  for (let element = poset.size - 1; element >= 0; element--) {
    for (const descendant of bitsToList(poset.desc[element]!)) height[element] = Math.max(height[element]!, height[descendant]! + 1);
  }
  return height;
}

/**
 * The fewest edges that make `poset` series-parallel, or undefined when the search runs out
 * of budget first. Sizes are tried in increasing order, so the first size with a working set
 * is the fewest. Candidates are the ordered pairs of unrelated elements, forward-in-depth
 * pairs first, then in natural id order; among the working sets of that size, the one that
 * adds the fewest new relations wins, then the first in candidate order. Parts this small
 * fit in one 32-bit word per element, so each trial is a handful of integer operations.
 */
function exactRepair(poset: Poset): ReadonlyArray<readonly [number, number]> | undefined {
  const size = poset.size;
  const depth = depths(poset);
  const candidates: Array<readonly [number, number]> = [];
  for (let x = 0; x < size; x++) {
    for (let y = 0; y < size; y++) if (x !== y && !poset.comparable(x, y)) candidates.push([x, y]);
  }
  const forward = (edge: readonly [number, number]) => (depth[edge[0]]! < depth[edge[1]]! ? 0 : 1);
  candidates.sort(
    (p, q) =>
      forward(p) - forward(q) ||
      poset.key[p[0]]! - poset.key[q[0]]! ||
      poset.key[p[1]]! - poset.key[q[1]]!,
  );

  const baseAnc = poset.anc.map((bits) => bits[0]!);
  const baseRelations = baseAnc.reduce((sum, mask) => sum + popcount32(mask), 0);
  const all = size === 32 ? -1 >>> 0 : (1 << size) - 1;

  let budget = EXACT_SEARCH_BUDGET;
  for (let edgeCount = 1; edgeCount <= candidates.length; edgeCount++) {
    let best: { edges: Array<readonly [number, number]>; loss: number } | undefined;
    const chosen: number[] = [];
    const visit = (start: number): boolean => {
      if (chosen.length === edgeCount) {
        if (--budget < 0) return false;
        const edges = chosen.map((index) => candidates[index]!);
        const anc = closeSmall(baseAnc, edges);
        if (anc && isSeriesParallelSmall(anc, all)) {
          const loss = anc.reduce((sum, mask) => sum + popcount32(mask), 0) - baseRelations;
          if (!best || loss < best.loss) best = { edges, loss };
        }
        return true;
      }
      for (let index = start; index < candidates.length; index++) {
        const [x, y] = candidates[index]!;
        if (chosen.some((other) => candidates[other]![0] === y && candidates[other]![1] === x)) continue;
        chosen.push(index);
        const keepGoing = visit(index + 1);
        chosen.pop();
        if (!keepGoing) return false;
      }
      return true;
    };
    const finished = visit(0);
    // Every smaller size failed, so a set found at this size has the fewest edges (if the
    // budget ran out midway, only the tie-break among them is incomplete).
    if (best) return best.edges;
    if (!finished) return undefined;
  }
  return undefined;
}

/** Ancestor masks after adding `edges` to an order given by ancestor masks; undefined on a cycle. */
function closeSmall(baseAnc: readonly number[], edges: ReadonlyArray<readonly [number, number]>): number[] | undefined {
  const anc = [...baseAnc];
  for (const [x, y] of edges) anc[y]! |= 1 << x;
  for (let changed = true; changed; ) {
    changed = false;
    for (let z = 0; z < anc.length; z++) {
      let closed = anc[z]!;
      for (let rest = closed; rest !== 0; rest &= rest - 1) closed |= anc[31 - Math.clz32(rest & -rest)]!;
      if (closed !== anc[z]) {
        anc[z] = closed;
        changed = true;
      }
    }
  }
  for (let x = 0; x < anc.length; x++) if (anc[x]! & (1 << x)) return undefined;
  return anc;
}

/**
 * Whether the order on `mask` (ancestor masks `anc`) is series-parallel: it splits into
 * independent parts, or its first series block (the smallest down-set that precedes all the
 * rest) is a proper subset, recursively. Orders of three or fewer elements always are.
 */
function isSeriesParallelSmall(anc: readonly number[], mask: number): boolean {
  if (popcount32(mask) <= 3) return true;
  const elements: number[] = [];
  for (let rest = mask; rest !== 0; rest &= rest - 1) elements.push(31 - Math.clz32(rest & -rest));
  const comparable = (x: number) => {
    let related = anc[x]! & mask;
    for (const y of elements) if (anc[y]! & (1 << x)) related |= 1 << y;
    return related;
  };

  // Independent parts: components of the comparability graph.
  const start = elements[0]!;
  let component = 1 << start;
  for (let frontier = component; frontier !== 0; ) {
    let reached = 0;
    for (let rest = frontier; rest !== 0; rest &= rest - 1) reached |= comparable(31 - Math.clz32(rest & -rest));
    frontier = reached & ~component;
    component |= reached;
  }
  if (component !== mask) return isSeriesParallelSmall(anc, component) && isSeriesParallelSmall(anc, mask & ~component);

  // First series block: start from the minimal elements; anything not above the whole block
  // joins it with its ancestors, until the rest is above all of it.
  let block = 0;
  for (const x of elements) if ((anc[x]! & mask) === 0) block |= 1 << x;
  for (let grew = true; grew; ) {
    grew = false;
    for (const x of elements) {
      if (block & (1 << x)) continue;
      if ((anc[x]! & block) !== block) {
        block |= (1 << x) | (anc[x]! & mask);
        grew = true;
      }
    }
  }
  if (block === mask) return false;
  return isSeriesParallelSmall(anc, block) && isSeriesParallelSmall(anc, mask & ~block);
}

/**
 * A greedy repair: cut each stuck part into a down-set A and the rest B where making A precede
 * B costs the fewest edges, then repair A and B the same way. A precedes B once every maximal
 * element of A is below every minimal element of B: either by an edge for each pair still
 * unrelated (keeps all parallelism inside A and B), or through a hub h among B's minima (an
 * edge into h from each maximal element of A not yet below it, and from h to each other
 * minimum of B not yet above all of A), which needs about p + q edges instead of p × q but
 * orders h first inside B. Returned edges are in `poset`'s numbering.
 */
function greedyRepair(poset: Poset): Array<readonly [number, number]> {
  const edges: Array<readonly [number, number]> = [];
  const stuck: number[][] = [];
  decompose(poset, poset.allElements(), stuck);
  for (const part of stuck) {
    const sub = subPoset(poset, part);
    const up = (element: number) => sub.original[element]!;
    const cut = cheapestCut(sub);
    for (const [x, y] of [...cut.crossing, ...cut.hub]) edges.push([up(x), up(y)]);
    // Edges from A to B change no relation inside A; hub edges inside B change B's order.
    const before = subPoset(sub, cut.before);
    for (const [x, y] of greedyRepair(before)) edges.push([up(before.original[x]!), up(before.original[y]!)]);
    const afterBase = subPoset(sub, cut.after);
    const position = new Map(cut.after.map((element, index) => [element, index] as const));
    const inside = cut.hub.filter(([x]) => position.has(x)).map(([x, y]) => [position.get(x)!, position.get(y)!] as const);
    const after = inside.length > 0 ? withEdges(afterBase, inside) : afterBase;
    const fromAfter = (element: number) => up(afterBase.original[after === afterBase ? element : after.original[element]!]!);
    for (const [x, y] of greedyRepair(after)) edges.push([fromAfter(x), fromAfter(y)]);
  }
  return edges;
}

/** The order of `poset` with `extra` edges (between unrelated elements, one way) added, renumbered. */
function withEdges(poset: Poset, extra: ReadonlyArray<readonly [number, number]>): Poset {
  const edges: Array<readonly [number, number]> = [...extra];
  for (let y = 0; y < poset.size; y++) for (const x of bitsToList(poset.anc[y]!)) edges.push([x, y]);
  const rebuilt = posetFromEdges(poset.size, edges, (element) => poset.key[element]!);
  if (!rebuilt) throw new Error('decomposeDag: a repair edge made a cycle');
  return rebuilt;
}

function maximalIn(poset: Poset, elements: readonly number[]): number[] {
  const mask = listToBits(elements, poset.words);
  return elements.filter((element) => !poset.desc[element]!.some((word, w) => (word & mask[w]!) !== 0));
}

function minimalIn(poset: Poset, elements: readonly number[]): number[] {
  const mask = listToBits(elements, poset.words);
  return elements.filter((element) => !poset.anc[element]!.some((word, w) => (word & mask[w]!) !== 0));
}

/** Parts larger than this only try layer cuts (by depth and by height), not principal ones. */
const PRINCIPAL_CUTS_MAX_ELEMENTS = 64;

interface Cut {
  readonly before: number[];
  readonly after: number[];
  /** Edges from A's maxima to B's minima (the crossing plan), or empty. */
  readonly crossing: Array<readonly [number, number]>;
  /** Edges through a hub (the hub plan), or empty. */
  readonly hub: Array<readonly [number, number]>;
}

/**
 * The down-set cut of a stuck poset that needs the fewest new edges (then loses the least
 * parallelism, then comes first), with its edges. Candidates: depth layers, height layers
 * and, for small parts, each element's down-set and the complement of each element's up-set.
 */
function cheapestCut(poset: Poset): Cut {
  const depth = depths(poset);
  const height = heights(poset);
  const all = poset.allElements();
  const candidates: Array<readonly boolean[]> = [];
  const maxDepth = Math.max(...depth);
  for (let layer = 0; layer < maxDepth; layer++) candidates.push(all.map((element) => depth[element]! <= layer));
  const maxHeight = Math.max(...height);
  for (let layer = 0; layer < maxHeight; layer++) candidates.push(all.map((element) => height[element]! > layer));
  if (poset.size <= PRINCIPAL_CUTS_MAX_ELEMENTS) {
    for (const element of all) {
      candidates.push(all.map((other) => other === element || poset.less(other, element)));
      candidates.push(all.map((other) => !(other === element || poset.less(element, other))));
    }
  }

  let best: (Cut & { cost: number; loss: number }) | undefined;
  for (const inBefore of candidates) {
    const before = all.filter((element) => inBefore[element]);
    const after = all.filter((element) => !inBefore[element]);
    if (before.length === 0 || after.length === 0) continue;
    const maxima = maximalIn(poset, before);
    const minima = minimalIn(poset, after);
    const crossing: Array<readonly [number, number]> = [];
    for (const x of maxima) for (const y of minima) if (!poset.less(x, y)) crossing.push([x, y]);
    let hub: Array<readonly [number, number]> = [];
    if (crossing.length > maxima.length + minima.length - 1) {
      // The hub plan, through the minimum of B that the most maxima of A already precede.
      const below = (y: number) => maxima.filter((x) => poset.less(x, y)).length;
      const center = minima.reduce((chosen, y) => (below(y) > below(chosen) ? y : chosen), minima[0]!);
      hub = [
        ...maxima.filter((x) => !poset.less(x, center)).map((x) => [x, center] as const),
        ...minima.filter((y) => y !== center && below(y) < maxima.length).map((y) => [center, y] as const),
      ];
    }
    const plan = hub.length > 0 && hub.length < crossing.length ? { crossing: [], hub } : { crossing, hub: [] };
    const cost = plan.crossing.length + plan.hub.length;
    if (best && cost > best.cost) continue;
    const afterMask = listToBits(after, poset.words);
    let related = 0;
    for (const x of before) related += countBits(poset.desc[x]!.map((word, w) => word & afterMask[w]!));
    const loss = before.length * after.length - related;
    if (!best || cost < best.cost || (cost === best.cost && loss < best.loss)) best = { before, after, ...plan, cost, loss };
  }
  if (!best) throw new Error('decomposeDag: a stuck part has no cut');
  return { before: best.before, after: best.after, crossing: best.crossing, hub: best.hub };
}
