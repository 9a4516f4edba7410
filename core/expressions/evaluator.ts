/**
 * The tree-walking interpreter. Every node visited and every collection element walked costs a
 * step; recursion follows the syntax tree, whose depth the parser bounds. Names resolve against
 * the active object (the root variables, or the element inside `.?[ ]` / `.![ ]`), exactly as
 * SpEL's active context object does; `#this` and `#root` name them explicitly.
 */
import type { ChainStep, Node } from './ast.ts';
import { charge, checkCollectionSize, ExpressionFailure, type Budget } from './budget.ts';
import { HELPER_FUNCTIONS } from './catalog.ts';
import type { EvaluationContext } from './context.ts';
import { callHelper } from './functions.ts';
import { callMethod } from './methods.ts';
import { applyNegate, applyPower, applyProduct, applyRelational, applySum } from './operators.ts';
import type { CompiledRegex } from './regex.ts';
import { callStatic, construct } from './type-references.ts';
import {
  createMap,
  type DataMap,
  describeValue,
  isDataList,
  isDataMap,
  isDoubleValue,
  isNumber,
  javaToString,
  listGet,
  mapGet,
  mapKeys,
  numberValue,
  preview,
  toBooleanValue,
} from './values.ts';

/** One evaluation in progress: the context, the meter, and per-evaluation caches. */
export interface Evaluation {
  readonly ctx: EvaluationContext;
  readonly budget: Budget;
  readonly regexCache: Map<string, CompiledRegex>;
}

interface Scope {
  /** `#root`: the root variables. */
  readonly root: unknown;
  /** `#this`: the active object bare names resolve against. */
  readonly current: unknown;
}

/** Creates the per-evaluation state. */
export function createEvaluation(ctx: EvaluationContext, budget: Budget): Evaluation {
  return { ctx, budget, regexCache: new Map() };
}

/** Evaluates a parsed expression against the context's root variables; returns an internal value. */
export function evaluateNode(node: Node, ev: Evaluation): unknown {
  const root: unknown = ev.ctx.variables;
  return evaluate(node, { root, current: root }, ev);
}

function evaluate(node: Node, scope: Scope, ev: Evaluation): unknown {
  charge(ev.budget);
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'list': {
      checkCollectionSize(ev.budget, node.items.length);
      return node.items.map((item) => evaluate(item, scope, ev));
    }
    case 'map': {
      checkCollectionSize(ev.budget, node.entries.length);
      return createMap(
        node.entries.map((entry) => {
          const key = typeof entry.key === 'string' ? entry.key : javaToString(evaluate(entry.key, scope, ev), ev.budget);
          return [key, evaluate(entry.value, scope, ev)] as const;
        }),
      );
    }
    case 'property':
      return readProperty(scope.current, node.name, scope, ev);
    case 'method':
      return callMethod(scope.current, node.name, evaluateArguments(node.args, scope, ev), ev);
    case 'variable':
      return readVariable(node.name, scope);
    case 'function':
      return callHelper(node.name, evaluateArguments(node.args, scope, ev), ev);
    case 'type':
      throw new ExpressionFailure(`T(${node.className}) is a type, not a value; call one of its static methods`);
    case 'new':
      return construct(node.className, evaluateArguments(node.args, scope, ev), ev);
    case 'chain':
      return evaluateChain(node.base, node.steps, scope, ev);
    case 'not':
      return !toBooleanValue(evaluate(node.operand, scope, ev), "the operand of '!'");
    case 'negate':
      return applyNegate(evaluate(node.operand, scope, ev));
    case 'plus': {
      const value = evaluate(node.operand, scope, ev);
      if (!isNumber(value)) throw new ExpressionFailure(`unary '+' needs a number, got ${describeValue(value)}`);
      return value;
    }
    case 'power':
      return applyPower(evaluate(node.base, scope, ev), evaluate(node.exponent, scope, ev));
    case 'sum': {
      let value = evaluate(node.first, scope, ev);
      for (const { op, node: operand } of node.rest) value = applySum(op, value, evaluate(operand, scope, ev), ev.budget);
      return value;
    }
    case 'product': {
      let value = evaluate(node.first, scope, ev);
      for (const { op, node: operand } of node.rest) value = applyProduct(op, value, evaluate(operand, scope, ev), ev.budget);
      return value;
    }
    case 'relational':
      return applyRelational(node.op, evaluate(node.left, scope, ev), evaluate(node.right, scope, ev), ev);
    case 'and':
      for (const operand of node.operands) {
        if (!toBooleanValue(evaluate(operand, scope, ev), "an operand of 'and'")) return false;
      }
      return true;
    case 'or':
      for (const operand of node.operands) {
        if (toBooleanValue(evaluate(operand, scope, ev), "an operand of 'or'")) return true;
      }
      return false;
    case 'ternary': {
      const condition = toBooleanValue(evaluate(node.condition, scope, ev), 'the condition of ?:');
      return evaluate(condition ? node.whenTrue : node.whenFalse, scope, ev);
    }
    case 'elvis': {
      const value = evaluate(node.value, scope, ev);
      return value === null || value === '' ? evaluate(node.fallback, scope, ev) : value;
    }
  }
}

function evaluateArguments(args: readonly Node[], scope: Scope, ev: Evaluation): unknown[] {
  return args.map((arg) => evaluate(arg, scope, ev));
}

function readVariable(name: string, scope: Scope): unknown {
  if (name === 'this') return scope.current;
  if (name === 'root') return scope.root;
  if (HELPER_FUNCTIONS.has(name)) throw new ExpressionFailure(`#${name} is a function; call it as #${name}(...)`);
  // SpEL: a variable that was never set is null.
  return null;
}

function evaluateChain(base: Node, steps: readonly ChainStep[], scope: Scope, ev: Evaluation): unknown {
  let value: unknown;
  let first = 0;
  if (base.kind === 'type') {
    const call = steps[0];
    if (call === undefined || call.kind !== 'method') throw new ExpressionFailure(`T(${base.className}) can only call a static method`);
    value = callStatic(base.className, call.name, evaluateArguments(call.args, scope, ev), ev);
    first = 1;
  } else {
    value = evaluate(base, scope, ev);
  }
  for (let i = first; i < steps.length; i++) {
    const step = steps[i] as ChainStep;
    charge(ev.budget);
    if (value === null && step.safe) continue;
    switch (step.kind) {
      case 'property':
        value = readProperty(value, step.name, scope, ev);
        break;
      case 'method':
        value = callMethod(value, step.name, evaluateArguments(step.args, scope, ev), ev);
        break;
      case 'index':
        value = readIndex(value, evaluate(step.index, scope, ev), ev);
        break;
      case 'select':
      case 'first':
      case 'last':
      case 'project':
        value = applySelection(step.kind, value, step.body, scope, ev);
        break;
    }
  }
  return value;
}

function readProperty(target: unknown, name: string, scope: Scope, ev: Evaluation): unknown {
  if (target === null) {
    throw new ExpressionFailure(`cannot read property '${name}' of null; use '?.' to get null instead`);
  }
  if (isDataMap(target)) {
    const read = mapGet(target, name, `property '${name}'`);
    if (read.found) return read.value;
    if (ev.ctx.allowUnknownKeys === true) return null;
    throw new ExpressionFailure(missingPropertyMessage(target, name, target === scope.root && target === ev.ctx.variables));
  }
  if (isDataList(target) && name === 'empty') return target.length === 0;
  if (typeof target === 'string' && name === 'empty') return target.length === 0;
  if (isDataList(target)) {
    throw new ExpressionFailure(`property '${name}' not found on a list; lists have size(), isEmpty(), contains(x), get(i) and [i]`);
  }
  throw new ExpressionFailure(`property '${name}' not found on ${describeValue(target)}`);
}

function missingPropertyMessage(map: DataMap, name: string, isRoot: boolean): string {
  const keys = mapKeys(map);
  const shown = keys.slice(0, 12).join(', ') + (keys.length > 12 ? `, … (${keys.length} in all)` : '');
  if (isRoot) {
    return `property '${name}' not found in the expression context${keys.length === 0 ? ' (it is empty)' : `; available: ${shown}`}`;
  }
  return `property '${name}' not found on map${keys.length === 0 ? ' (it is empty)' : ` with keys ${shown}`}; use ['${name}'] to get null for a missing key`;
}

/** `target[index]`: list position, string character, or map key (a missing key is null, as in SpEL). */
function readIndex(target: unknown, index: unknown, ev: Evaluation): unknown {
  if (target === null) throw new ExpressionFailure(`cannot index into null with [${preview(index)}]; use '?.[' to get null instead`);
  if (isDataMap(target)) {
    const key = typeof index === 'string' ? index : javaToString(index, ev.budget);
    return mapGet(target, key, `key '${key}'`).value;
  }
  if (isDataList(target) || typeof target === 'string') {
    const position = toPosition(index);
    if (position < 0 || position >= target.length) {
      throw new ExpressionFailure(
        `index ${position} is out of bounds for a ${isDataList(target) ? 'list' : 'string'} of ${target.length} element${target.length === 1 ? '' : 's'}`,
      );
    }
    return typeof target === 'string' ? target.charAt(position) : listGet(target, position, `element ${position}`);
  }
  throw new ExpressionFailure(`cannot index into ${describeValue(target)}`);
}

function toPosition(index: unknown): number {
  if (isNumber(index) && Number.isInteger(numberValue(index)) && !isDoubleValue(index)) return numberValue(index);
  if (typeof index === 'string' && /^-?\d{1,15}$/.test(index.trim())) return Number(index.trim());
  throw new ExpressionFailure(`a list or string index must be an integer, got ${describeValue(index)}`);
}

/** Selection `.?[ ]`, first `.^[ ]`, last `.$[ ]` and projection `.![ ]` over lists and maps. */
function applySelection(kind: 'select' | 'first' | 'last' | 'project', target: unknown, body: Node, scope: Scope, ev: Evaluation): unknown {
  const symbol = { select: '.?[', first: '.^[', last: '.$[', project: '.![' }[kind];
  if (target === null) throw new ExpressionFailure(`cannot apply '${symbol}]' to null; use '?${symbol}]' to get null instead`);
  const test = (element: unknown): boolean => {
    const verdict = evaluate(body, { root: scope.root, current: element }, ev);
    if (typeof verdict !== 'boolean') {
      throw new ExpressionFailure(`the condition in '${symbol}]' must be a boolean, got ${describeValue(verdict)}`);
    }
    return verdict;
  };
  if (isDataList(target)) {
    const elements = (i: number): unknown => listGet(target, i, `element ${i}`);
    switch (kind) {
      case 'project':
        return Array.from({ length: target.length }, (_, i) => {
          charge(ev.budget);
          return evaluate(body, { root: scope.root, current: elements(i) }, ev);
        });
      case 'select': {
        const out: unknown[] = [];
        for (let i = 0; i < target.length; i++) {
          charge(ev.budget);
          const element = elements(i);
          if (test(element)) out.push(element);
        }
        return out;
      }
      case 'first':
        for (let i = 0; i < target.length; i++) {
          charge(ev.budget);
          const element = elements(i);
          if (test(element)) return element;
        }
        return null;
      case 'last':
        for (let i = target.length - 1; i >= 0; i--) {
          charge(ev.budget);
          const element = elements(i);
          if (test(element)) return element;
        }
        return null;
    }
  }
  if (isDataMap(target)) {
    const entries = mapKeys(target).map((key) => {
      charge(ev.budget);
      const value = mapGet(target, key, `key '${key}'`).value;
      return { key, value, entry: createMap([['key', key], ['value', value]]) };
    });
    switch (kind) {
      case 'project':
        return entries.map(({ entry }) => evaluate(body, { root: scope.root, current: entry }, ev));
      case 'select':
        return createMap(entries.filter(({ entry }) => test(entry)).map(({ key, value }) => [key, value] as const));
      case 'first':
      case 'last': {
        const ordered = kind === 'first' ? entries : [...entries].reverse();
        const hit = ordered.find(({ entry }) => test(entry));
        return hit === undefined ? null : createMap([[hit.key, hit.value]]);
      }
    }
  }
  throw new ExpressionFailure(`'${symbol}]' needs a list or a map, got ${describeValue(target)}`);
}
