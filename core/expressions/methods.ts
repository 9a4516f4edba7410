/**
 * The whitelist of methods an expression may call, implemented here over the value model, never
 * by looking a name up on a host object. Strings get the `java.lang.String` methods pipelines
 * use; lists and maps the `java.util` ones; numbers, booleans and dates a handful. Any other
 * name fails and lists what the value does offer.
 */
import { charge, checkCollectionSize, chargeString, ExpressionFailure } from './budget.ts';
import { intArgument, textArgument } from './conversions.ts';
import type { Evaluation } from './evaluator.ts';
import { regexMatchesWhole, regexReplace, regexSplit } from './regex.ts';
import {
  chargeText,
  compareValues,
  createMap,
  type DataMap,
  describeValue,
  isDataList,
  isDataMap,
  isDoubleValue,
  isNumber,
  JavaDate,
  type JavaDouble,
  javaToString,
  listGet,
  makeNumber,
  mapGet,
  mapKeys,
  numberValue,
  typeName,
  valuesEqual,
} from './values.ts';

const STRING_METHODS = [
  'toString', 'toUpperCase', 'toLowerCase', 'contains', 'startsWith', 'endsWith', 'equals', 'equalsIgnoreCase', 'substring',
  'indexOf', 'lastIndexOf', 'length', 'isEmpty', 'isBlank', 'trim', 'strip', 'replace', 'replaceAll', 'replaceFirst', 'split',
  'matches', 'charAt', 'concat', 'compareTo',
] as const;
const LIST_METHODS = ['size', 'isEmpty', 'contains', 'get', 'indexOf', 'lastIndexOf', 'subList', 'toString', 'equals'] as const;
const MAP_METHODS = ['size', 'isEmpty', 'containsKey', 'containsValue', 'get', 'getOrDefault', 'keySet', 'values', 'entrySet', 'toString', 'equals'] as const;
const NUMBER_METHODS = ['toString', 'intValue', 'longValue', 'doubleValue', 'floatValue', 'equals', 'compareTo'] as const;
const BOOLEAN_METHODS = ['toString', 'booleanValue', 'equals'] as const;
const DATE_METHODS = ['getTime', 'toString', 'equals', 'before', 'after', 'compareTo'] as const;

/** Calls `name(args)` on `target` if the whitelist has it for the target's type. */
export function callMethod(target: unknown, name: string, args: readonly unknown[], ev: Evaluation): unknown {
  charge(ev.budget);
  if (target === null) throw new ExpressionFailure(`cannot call ${name}() on null; use '?.' to get null instead`);
  if (typeof target === 'string') return stringMethod(target, name, args, ev);
  if (isDataList(target)) return listMethod(target, name, args, ev);
  if (isDataMap(target)) return mapMethod(target, name, args, ev);
  if (isNumber(target)) return numberMethod(target, name, args, ev);
  if (typeof target === 'boolean') return booleanMethod(target, name, args, ev);
  if (target instanceof JavaDate) return dateMethod(target, name, args, ev);
  throw new ExpressionFailure(`cannot call ${name}() on ${typeName(target)}`);
}

function notAvailable(name: string, on: string, available: readonly string[]): ExpressionFailure {
  return new ExpressionFailure(`method ${name}() is not available on ${on}; available: ${available.join(', ')}`);
}

function expectCount(name: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const wanted = min === max ? `${min}` : `${min} to ${max}`;
    throw new ExpressionFailure(`${name}() takes ${wanted} argument${wanted === '1' ? '' : 's'}, got ${args.length}`);
  }
}

function arg(args: readonly unknown[], index: number): unknown {
  return args[index] ?? null;
}

/** String methods whose host cost grows with the length of the string and their arguments. */
const LINEAR_STRING_METHODS: ReadonlySet<string> = new Set([
  'contains', 'startsWith', 'endsWith', 'equals', 'equalsIgnoreCase', 'compareTo', 'indexOf', 'lastIndexOf', 'isBlank', 'trim', 'strip',
]);

function stringMethod(s: string, name: string, args: readonly unknown[], ev: Evaluation): unknown {
  const budget = ev.budget;
  if (LINEAR_STRING_METHODS.has(name)) chargeText(budget, s, ...args.filter((a): a is string => typeof a === 'string'));
  const text = (index: number): string => textArgument(arg(args, index), `${name}()`, budget);
  const int = (index: number): number => intArgument(arg(args, index), `${name}()`);
  switch (name) {
    case 'toString':
    case 'trim':
    case 'strip':
    case 'toUpperCase':
    case 'toLowerCase':
    case 'length':
    case 'isEmpty':
    case 'isBlank':
      expectCount(name, args, 0);
      if (name === 'toUpperCase' || name === 'toLowerCase') chargeString(budget, s.length);
      if (name === 'toString') return s;
      if (name === 'trim') return s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
      if (name === 'strip') return s.trim();
      if (name === 'toUpperCase') return s.toUpperCase();
      if (name === 'toLowerCase') return s.toLowerCase();
      if (name === 'length') return s.length;
      if (name === 'isEmpty') return s.length === 0;
      return s.trim().length === 0;
    case 'contains':
      expectCount(name, args, 1);
      return s.includes(text(0));
    case 'startsWith':
      expectCount(name, args, 1, 2);
      return args.length === 2 ? s.startsWith(text(0), int(1)) : s.startsWith(text(0));
    case 'endsWith':
      expectCount(name, args, 1);
      return s.endsWith(text(0));
    case 'equals':
      expectCount(name, args, 1);
      return typeof args[0] === 'string' && args[0] === s;
    case 'equalsIgnoreCase': {
      expectCount(name, args, 1);
      const other = args[0];
      return typeof other === 'string' && other.length === s.length && (other.toUpperCase() === s.toUpperCase() || other.toLowerCase() === s.toLowerCase());
    }
    case 'compareTo': {
      expectCount(name, args, 1);
      const other = text(0);
      return s < other ? -1 : s > other ? 1 : 0;
    }
    case 'substring': {
      expectCount(name, args, 1, 2);
      const begin = int(0);
      const end = args.length === 2 ? int(1) : s.length;
      if (begin < 0 || end > s.length || begin > end) {
        throw new ExpressionFailure(`substring(${begin}, ${end}) is out of range for a string of length ${s.length}`);
      }
      return s.slice(begin, end);
    }
    case 'indexOf':
      expectCount(name, args, 1, 2);
      return args.length === 2 ? s.indexOf(text(0), Math.max(0, int(1))) : s.indexOf(text(0));
    case 'lastIndexOf': {
      expectCount(name, args, 1, 2);
      if (args.length === 1) return s.lastIndexOf(text(0));
      const from = int(1);
      return from < 0 ? -1 : s.lastIndexOf(text(0), from);
    }
    case 'replace': {
      expectCount(name, args, 2);
      const target = text(0);
      const replacement = text(1);
      let occurrences = 0;
      if (target === '') occurrences = s.length + 1;
      else for (let at = s.indexOf(target); at !== -1; at = s.indexOf(target, at + target.length)) occurrences++;
      charge(budget, occurrences);
      chargeString(budget, s.length + occurrences * (replacement.length - target.length));
      return target === '' ? javaEmptyReplace(s, replacement) : s.split(target).join(replacement);
    }
    case 'replaceAll':
    case 'replaceFirst':
      expectCount(name, args, 2);
      return regexReplace(s, text(0), text(1), name === 'replaceAll', ev);
    case 'split': {
      expectCount(name, args, 1, 2);
      const parts = regexSplit(s, text(0), args.length === 2 ? int(1) : 0, ev);
      checkCollectionSize(budget, parts.length);
      return parts;
    }
    case 'matches':
      expectCount(name, args, 1);
      return regexMatchesWhole(s, text(0), ev);
    case 'charAt': {
      expectCount(name, args, 1);
      const index = int(0);
      if (index < 0 || index >= s.length) throw new ExpressionFailure(`charAt(${index}) is out of range for a string of length ${s.length}`);
      return s.charAt(index);
    }
    case 'concat': {
      expectCount(name, args, 1);
      const other = args[0];
      if (typeof other !== 'string') throw new ExpressionFailure(`concat() needs text, got ${describeValue(other)}`);
      chargeString(budget, s.length + other.length);
      return s + other;
    }
    default:
      throw notAvailable(name, 'a string', STRING_METHODS);
  }
}

/** Java's `"abc".replace("", "-")` is `-a-b-c-`. */
function javaEmptyReplace(s: string, replacement: string): string {
  let out = replacement;
  for (const unit of s.split('')) out += unit + replacement;
  return out;
}

function listMethod(list: readonly unknown[], name: string, args: readonly unknown[], ev: Evaluation): unknown {
  const budget = ev.budget;
  const element = (i: number): unknown => listGet(list, i, `element ${i}`);
  const find = (needle: unknown, fromEnd: boolean): number => {
    for (let k = 0; k < list.length; k++) {
      const i = fromEnd ? list.length - 1 - k : k;
      charge(budget);
      if (valuesEqual(element(i), needle, budget)) return i;
    }
    return -1;
  };
  switch (name) {
    case 'size':
      expectCount(name, args, 0);
      return list.length;
    case 'isEmpty':
      expectCount(name, args, 0);
      return list.length === 0;
    case 'contains':
      expectCount(name, args, 1);
      return find(args[0] ?? null, false) >= 0;
    case 'indexOf':
      expectCount(name, args, 1);
      return find(args[0] ?? null, false);
    case 'lastIndexOf':
      expectCount(name, args, 1);
      return find(args[0] ?? null, true);
    case 'get': {
      expectCount(name, args, 1);
      const index = intArgument(args[0], 'get()');
      if (index < 0 || index >= list.length) {
        throw new ExpressionFailure(`get(${index}) is out of bounds for a list of ${list.length} element${list.length === 1 ? '' : 's'}`);
      }
      return element(index);
    }
    case 'subList': {
      expectCount(name, args, 2);
      const from = intArgument(args[0], 'subList()');
      const to = intArgument(args[1], 'subList()');
      if (from < 0 || to > list.length || from > to) {
        throw new ExpressionFailure(`subList(${from}, ${to}) is out of range for a list of ${list.length} elements`);
      }
      charge(budget, to - from);
      return Array.from({ length: to - from }, (_, k) => element(from + k));
    }
    case 'toString':
      expectCount(name, args, 0);
      return javaToString(list, budget);
    case 'equals':
      expectCount(name, args, 1);
      return isDataList(args[0]) && valuesEqual(list, args[0], budget);
    default:
      throw notAvailable(name, 'a list', LIST_METHODS);
  }
}

function mapMethod(map: DataMap, name: string, args: readonly unknown[], ev: Evaluation): unknown {
  const budget = ev.budget;
  const key = (index: number): string => {
    const value = arg(args, index);
    return typeof value === 'string' ? value : javaToString(value, budget);
  };
  switch (name) {
    case 'size':
      expectCount(name, args, 0);
      return mapKeys(map).length;
    case 'isEmpty':
      expectCount(name, args, 0);
      return mapKeys(map).length === 0;
    case 'containsKey':
      expectCount(name, args, 1);
      return mapGet(map, key(0), `key '${key(0)}'`).found;
    case 'containsValue':
      expectCount(name, args, 1);
      return mapKeys(map).some((k) => {
        charge(budget);
        return valuesEqual(mapGet(map, k, `key '${k}'`).value, args[0] ?? null, budget);
      });
    case 'get':
      expectCount(name, args, 1);
      return mapGet(map, key(0), `key '${key(0)}'`).value;
    case 'getOrDefault': {
      expectCount(name, args, 2);
      const read = mapGet(map, key(0), `key '${key(0)}'`);
      return read.found ? read.value : (args[1] ?? null);
    }
    case 'keySet': {
      expectCount(name, args, 0);
      const keys = mapKeys(map);
      charge(budget, keys.length);
      return keys;
    }
    case 'values': {
      expectCount(name, args, 0);
      const keys = mapKeys(map);
      charge(budget, keys.length);
      return keys.map((k) => mapGet(map, k, `key '${k}'`).value);
    }
    case 'entrySet': {
      expectCount(name, args, 0);
      const keys = mapKeys(map);
      charge(budget, keys.length);
      return keys.map((k) => createMap([['key', k], ['value', mapGet(map, k, `key '${k}'`).value]]));
    }
    case 'toString':
      expectCount(name, args, 0);
      return javaToString(map, budget);
    case 'equals':
      expectCount(name, args, 1);
      return isDataMap(args[0]) && valuesEqual(map, args[0], budget);
    default:
      throw notAvailable(name, 'a map', MAP_METHODS);
  }
}

function numberMethod(n: number | JavaDouble, name: string, args: readonly unknown[], ev: Evaluation): unknown {
  const value = numberValue(n);
  switch (name) {
    case 'toString':
      expectCount(name, args, 0);
      return javaToString(n, ev.budget);
    case 'intValue':
    case 'longValue':
      expectCount(name, args, 0);
      return Number.isFinite(value) ? Math.trunc(value) + 0 : 0;
    case 'doubleValue':
    case 'floatValue':
      expectCount(name, args, 0);
      return makeNumber(value, true);
    case 'equals': {
      expectCount(name, args, 1);
      const other = args[0];
      return isNumber(other) && numberValue(other) === value && isDoubleValue(other) === isDoubleValue(n);
    }
    case 'compareTo':
      expectCount(name, args, 1);
      return compareValues(n, args[0] ?? null, ev.budget);
    default:
      throw notAvailable(name, 'a number', NUMBER_METHODS);
  }
}

function booleanMethod(b: boolean, name: string, args: readonly unknown[], ev: Evaluation): unknown {
  switch (name) {
    case 'toString':
      expectCount(name, args, 0);
      return javaToString(b, ev.budget);
    case 'booleanValue':
      expectCount(name, args, 0);
      return b;
    case 'equals':
      expectCount(name, args, 1);
      return args[0] === b;
    default:
      throw notAvailable(name, 'a boolean', BOOLEAN_METHODS);
  }
}

function dateMethod(date: JavaDate, name: string, args: readonly unknown[], ev: Evaluation): unknown {
  const other = (): JavaDate => {
    const value = args[0];
    if (!(value instanceof JavaDate)) throw new ExpressionFailure(`${name}() needs a date, got ${typeName(value)}`);
    return value;
  };
  switch (name) {
    case 'getTime':
      expectCount(name, args, 0);
      return date.millis;
    case 'toString':
      expectCount(name, args, 0);
      return javaToString(date, ev.budget);
    case 'equals':
      expectCount(name, args, 1);
      return args[0] instanceof JavaDate && args[0].millis === date.millis;
    case 'before':
      expectCount(name, args, 1);
      return date.millis < other().millis;
    case 'after':
      expectCount(name, args, 1);
      return date.millis > other().millis;
    case 'compareTo':
      expectCount(name, args, 1);
      return compareValues(date, other(), ev.budget);
    default:
      throw notAvailable(name, 'a date', DATE_METHODS);
  }
}
