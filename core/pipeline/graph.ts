/**
 * The stage graph: refIds, requisiteStageRefIds and the rules between them. Spinnaker's DAG
 * (a stage starts when all its requisites are done) or, when no stage has a refId, the legacy
 * linear format: stages run in array order and get refIds '1', '2', ... in that order.
 */
import type { ValidationIssue } from '../issues.ts';
import { pointerJoin, showValue } from '../issues.ts';

export interface StageGraph {
  /** True when no stage had a refId: stages run in array order. */
  readonly legacyOrder: boolean;
  /** Normalized refId by stage index; absent for stages without a usable one. */
  readonly refIds: ReadonlyMap<number, string>;
  /** Normalized, de-duplicated requisites by stage index (only refIds that exist). */
  readonly requisites: ReadonlyMap<number, readonly string[]>;
  readonly issues: readonly ValidationIssue[];
}

type RawStage = Readonly<Record<string, unknown>>;

function isPlainObject(value: unknown): value is RawStage {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null;
}

/** Numeric-aware order: '2' before '10', numbers before names. */
export function compareRefIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  const aNumeric = a.trim() !== '' && Number.isFinite(na);
  const bNumeric = b.trim() !== '' && Number.isFinite(nb);
  if (aNumeric && bNumeric) return na - nb || a.localeCompare(b);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function listRefIds(refIds: Iterable<string>, max = 20): string {
  const sorted = [...new Set(refIds)].sort(compareRefIds);
  if (sorted.length === 0) return 'none';
  return sorted.length > max ? `${sorted.slice(0, max).join(', ')}, …` : sorted.join(', ');
}

function stageLabel(stage: RawStage, index: number): string {
  return typeof stage.name === 'string' && stage.name.trim() !== '' ? `stage '${stage.name}'` : `the stage at index ${index}`;
}

/** Reads one refId value: strings as given, numbers normalized (`1` → '1'). */
function readRefId(value: unknown): { ok: true; refId: string } | { ok: false; problem: 'empty' | 'type' } {
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, refId: String(value) };
  if (typeof value === 'string') return value.trim() === '' ? { ok: false, problem: 'empty' } : { ok: true, refId: value };
  return { ok: false, problem: 'type' };
}

export function analyzeStageGraph(stages: readonly unknown[], base: string): StageGraph {
  const issues: ValidationIssue[] = [];
  const objects = stages.flatMap((stage, index) => (isPlainObject(stage) ? [{ stage, index }] : []));
  const pointer = (index: number, ...rest: Array<string | number>) => pointerJoin(base, 'stages', index, ...rest);

  if (objects.length > 0 && objects.every(({ stage }) => isMissing(stage.refId))) {
    return legacyGraph(objects, pointer);
  }

  // refIds: normalize, report missing / empty / wrong-type / duplicates.
  const refIds = new Map<number, string>();
  const firstIndexOf = new Map<string, number>();
  const used = new Set(objects.flatMap(({ stage }) => (readRefId(stage.refId).ok ? [String(stage.refId)] : [])));
  let nextFree = 1;
  const suggest = (): string => {
    while (used.has(String(nextFree))) nextFree++;
    used.add(String(nextFree));
    return String(nextFree);
  };
  for (const { stage, index } of objects) {
    if (isMissing(stage.refId)) {
      issues.push({
        pointer: pointer(index, 'refId'),
        code: 'refid-missing',
        message: `${stageLabel(stage, index)} has no refId while other stages have one; add a unique refId, e.g. '${suggest()}'`,
        severity: 'error',
      });
      continue;
    }
    const read = readRefId(stage.refId);
    if (!read.ok) {
      issues.push(
        read.problem === 'empty'
          ? { pointer: pointer(index, 'refId'), code: 'refid-missing', message: `refId is empty; give the stage a unique refId, e.g. '${suggest()}'`, severity: 'error', value: stage.refId }
          : { pointer: pointer(index, 'refId'), code: 'wrong-type', message: `expected a refId (a string or number), got ${showValue(stage.refId)}`, severity: 'error', value: stage.refId },
      );
      continue;
    }
    const first = firstIndexOf.get(read.refId);
    if (first !== undefined) {
      issues.push({
        pointer: pointer(index, 'refId'),
        code: 'refid-duplicate',
        message: `refId '${read.refId}' is already used by ${stageLabel(objects.find((entry) => entry.index === first)!.stage, first)} (index ${first}); give each stage a unique refId, e.g. '${suggest()}'`,
        severity: 'error',
        value: stage.refId,
      });
      continue;
    }
    firstIndexOf.set(read.refId, index);
    refIds.set(index, read.refId);
  }

  // requisiteStageRefIds: shape, unknown refIds, duplicates.
  const requisites = new Map<number, readonly string[]>();
  const known = listRefIds(firstIndexOf.keys());
  for (const { stage, index } of objects) {
    const list = stage.requisiteStageRefIds;
    if (isMissing(list)) {
      requisites.set(index, []);
      continue;
    }
    if (!Array.isArray(list)) {
      issues.push({
        pointer: pointer(index, 'requisiteStageRefIds'),
        code: 'wrong-type',
        message: `expected a list of refIds, got ${showValue(list)}; write e.g. ["1"]`,
        severity: 'error',
        value: list,
      });
      continue;
    }
    const resolved: string[] = [];
    list.forEach((entry: unknown, k: number) => {
      const read = readRefId(entry);
      const at = pointer(index, 'requisiteStageRefIds', k);
      if (!read.ok) {
        issues.push({ pointer: at, code: 'wrong-type', message: `expected a refId (a string or number), got ${showValue(entry)}`, severity: 'error', value: entry });
        return;
      }
      if (!firstIndexOf.has(read.refId)) {
        issues.push({ pointer: at, code: 'requisite-unknown', message: `refers to stage '${read.refId}', which does not exist (known refIds: ${known})`, severity: 'error', value: entry });
        return;
      }
      if (resolved.includes(read.refId)) {
        issues.push({ pointer: at, code: 'invalid-value', message: `lists '${read.refId}' twice; remove the duplicate`, severity: 'warning', value: entry });
        return;
      }
      resolved.push(read.refId);
    });
    requisites.set(index, resolved);
  }

  issues.push(...findCycles(refIds, firstIndexOf, requisites, stages, pointer));
  return { legacyOrder: false, refIds, requisites, issues };
}

function legacyGraph(objects: ReadonlyArray<{ stage: RawStage; index: number }>, pointer: (index: number, ...rest: Array<string | number>) => string): StageGraph {
  const issues: ValidationIssue[] = [];
  const refIds = new Map<number, string>();
  const requisites = new Map<number, readonly string[]>();
  let previous: string | undefined;
  for (const { stage, index } of objects) {
    const refId = String(index + 1);
    refIds.set(index, refId);
    requisites.set(index, previous === undefined ? [] : [previous]);
    previous = refId;
    const list = stage.requisiteStageRefIds;
    if (!isMissing(list) && !(Array.isArray(list) && list.length === 0)) {
      issues.push({
        pointer: pointer(index, 'requisiteStageRefIds'),
        code: 'refid-missing',
        message: 'no stage has a refId, so stages run in array order and requisiteStageRefIds cannot refer to anything; add a refId to every stage, or remove requisiteStageRefIds',
        severity: 'error',
        value: list,
      });
    }
  }
  return { legacyOrder: true, refIds, requisites, issues };
}

/**
 * One issue per cycle (per strongly connected component), naming it from the stage that comes
 * first in the document: `1 → 3 → 2 → 1` reads "1 waits for 3, which waits for 2, which waits for 1".
 */
function findCycles(
  refIds: ReadonlyMap<number, string>,
  firstIndexOf: ReadonlyMap<string, number>,
  requisites: ReadonlyMap<number, readonly string[]>,
  stages: readonly unknown[],
  pointer: (index: number, ...rest: Array<string | number>) => string,
): ValidationIssue[] {
  const nodes = [...refIds.keys()].sort((a, b) => a - b);
  const edges = (node: number): number[] => (requisites.get(node) ?? []).map((refId) => firstIndexOf.get(refId) as number);
  const issues: ValidationIssue[] = [];
  for (const component of stronglyConnectedComponents(nodes, edges)) {
    const start = Math.min(...component);
    const members = new Set(component);
    const selfLoop = edges(start).includes(start);
    if (component.length === 1 && !selfLoop) continue;
    const path = selfLoop ? [start, start] : shortestCycle(start, members, edges);
    const names = path.map((node) => refIds.get(node) as string);
    const next = path[1] as number;
    const k = (requisites.get(start) ?? []).indexOf(refIds.get(next) as string);
    const rawList = (stages[start] as RawStage).requisiteStageRefIds as unknown[];
    const rawIndex = rawList.findIndex((entry) => readRefId(entry).ok && String(entry) === refIds.get(next));
    issues.push({
      pointer: pointer(start, 'requisiteStageRefIds', rawIndex >= 0 ? rawIndex : k),
      code: 'cycle',
      message: `stages form a cycle: ${names.join(' → ')}; remove one of these requisiteStageRefIds`,
      severity: 'error',
      value: names,
    });
  }
  return issues;
}

/** Breadth-first from `start` back to itself inside its component; the path starts and ends with `start`. */
function shortestCycle(start: number, members: ReadonlySet<number>, edges: (node: number) => number[]): number[] {
  const parent = new Map<number, number>();
  const queue: number[] = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as number;
    for (const next of edges(node)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at: number | undefined = node; at !== undefined && at !== start; at = parent.get(at)) path.push(at);
        return [start, ...path.slice(1).reverse(), start];
      }
      if (!parent.has(next) && next !== start) {
        parent.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Tarjan's algorithm, iterative (documents may have thousands of stages). */
function stronglyConnectedComponents(nodes: readonly number[], edges: (node: number) => number[]): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: number; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter++;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: number; next: number };
      const successors = edges(frame.node);
      if (frame.next < successors.length) {
        const successor = successors[frame.next++] as number;
        if (!index.has(successor)) {
          index.set(successor, counter);
          low.set(successor, counter);
          counter++;
          stack.push(successor);
          onStack.add(successor);
          work.push({ node: successor, next: 0 });
        } else if (onStack.has(successor)) {
          low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(successor) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop() as number;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}
