/**
 * Copies a document into plain data (objects, arrays, strings, numbers, booleans, null) so the
 * parsed pipeline owns what it keeps as `raw` and later changes to the caller's object cannot
 * reach it. Refuses what JSON cannot hold (functions, class instances, cycles) and absurd
 * nesting, and never lets a `__proto__` key touch a prototype.
 */
import { pointerJoin } from '../issues.ts';

/** Deeper than any real pipeline; keeps every later walk well inside the stack. */
export const MAX_DEPTH = 256;

export type CopyResult = { ok: true; value: unknown } | { ok: false; pointer: string; message: string; limit: boolean };

class CopyProblem extends Error {
  constructor(
    readonly pointer: string,
    message: string,
    readonly limit: boolean,
  ) {
    super(message);
  }
}

function isPlainPrototype(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function copy(value: unknown, pointer: string, depth: number, ancestors: Set<object>): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || value === undefined) return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CopyProblem(pointer, `holds ${String(value)}, which JSON cannot represent; use a finite number`, false);
    return value;
  }
  if (typeof value !== 'object') throw new CopyProblem(pointer, `holds a ${typeof value}, which JSON cannot represent; give plain JSON data`, false);
  if (depth >= MAX_DEPTH) throw new CopyProblem(pointer, `is nested more than ${MAX_DEPTH} levels deep; flatten the document`, true);
  if (ancestors.has(value)) throw new CopyProblem(pointer, 'refers back to itself (a reference cycle), which JSON cannot represent; give plain JSON data', false);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item, index) => copy(item, pointerJoin(pointer, index), depth + 1, ancestors));
    if (!isPlainPrototype(value)) throw new CopyProblem(pointer, `holds a ${value.constructor?.name ?? 'non-plain'} object, which JSON cannot represent; give plain JSON data`, false);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: copy((value as Record<string, unknown>)[key], pointerJoin(pointer, key), depth + 1, ancestors),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

export function copyPlainData(value: unknown, pointer: string): CopyResult {
  try {
    return { ok: true, value: copy(value, pointer, 0, new Set()) };
  } catch (error) {
    if (error instanceof CopyProblem) return { ok: false, pointer: error.pointer, message: error.message, limit: error.limit };
    throw error;
  }
}

/** A deep copy of plain data already known to be acyclic (what `serializePipeline` hands out). */
export function clonePlainData<T>(value: T): T {
  const result = copyPlainData(value, '');
  return (result.ok ? result.value : value) as T;
}
