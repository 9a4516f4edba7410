/**
 * The value model of the evaluator: how caller data is read, how Java's types are mimicked
 * (int vs double, `toString()`, equality, ordering, conversion to boolean and to String), and
 * how a result is copied out as plain JSON-like data.
 *
 * Safety rests here. Data is read only through own, enumerable *data* properties of plain
 * objects and arrays: no prototype, no getter, no function is ever reached, whatever the key
 * (`__proto__`, `constructor` and `prototype` are simply absent as own data in normal input).
 * Maps the evaluator builds have a null prototype and are filled with defineProperty.
 */
import { charge, createTextBuilder, ExpressionFailure, type Budget } from './budget.ts';

/**
 * A double whose value is a whole number (`3.0`). JavaScript cannot tell `3.0` from `3`, but
 * SpEL can (`7.0 / 2` is 3.5, `7 / 2` is 3; `'' + 3.0` is "3.0"). Non-integral numbers are
 * plain JS numbers and are doubles by nature. Never leaves the evaluator: results unwrap it.
 */
export class JavaDouble {
  constructor(readonly value: number) {}
}

/** A `java.util.Date` (from `new java.util.Date()`), in epoch milliseconds; results carry the number, as Jackson writes it. */
export class JavaDate {
  constructor(readonly millis: number) {}
}

/** A map as the evaluator reads it: a plain object's own data properties. */
export type DataMap = Readonly<Record<string, unknown>>;

/** True for objects whose own data we may read: plain objects (or null-prototype maps we built). */
export function isDataMap(value: unknown): value is DataMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True for plain arrays (not typed arrays, not subclasses). */
export function isDataList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
}

/** True for any number, boxed whole doubles included. */
export function isNumber(value: unknown): value is number | JavaDouble {
  return typeof value === 'number' || value instanceof JavaDouble;
}

/** The JS number of a number value. */
export function numberValue(value: number | JavaDouble): number {
  return typeof value === 'number' ? value : value.value;
}

/** Java's double-ness: a boxed whole double, or any non-integral number (NaN and infinities included). */
export function isDoubleValue(value: number | JavaDouble): boolean {
  return value instanceof JavaDouble || !Number.isInteger(value);
}

/** Wraps a computed number with the right Java type. */
export function makeNumber(value: number, isDouble: boolean): number | JavaDouble {
  return isDouble && Number.isInteger(value) ? new JavaDouble(value) : value;
}

/** Makes a value read from caller data safe to hold: undefined becomes null; functions and foreign objects are refused. */
export function normalizeRead(value: unknown, where: string): unknown {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'number':
      return value;
    case 'function':
      throw new ExpressionFailure(`${where} holds a function; expressions only read data`);
    case 'object':
      if (isDataList(value) || isDataMap(value) || value instanceof JavaDouble || value instanceof JavaDate) return value;
      throw new ExpressionFailure(`${where} holds a ${foreignName(value)} object, which is not plain data`);
    default:
      throw new ExpressionFailure(`${where} holds a ${typeof value}, which is not plain data`);
  }
}

function foreignName(value: object): string {
  if (Array.isArray(value)) return 'non-plain array';
  // Reading the constructor's name would run caller code (a getter); the tag is enough.
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** Reads an own data property; accessors, inherited and non-enumerable properties count as absent. */
export function readOwn(target: object, key: string): { readonly found: boolean; readonly value: unknown } {
  if (!Object.hasOwn(target, key)) return { found: false, value: null };
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor === undefined || !('value' in descriptor) || descriptor.enumerable !== true) return { found: false, value: null };
  return { found: true, value: descriptor.value as unknown };
}

/** Reads a map key as a value (absent → not found). */
export function mapGet(map: DataMap, key: string, where: string): { readonly found: boolean; readonly value: unknown } {
  const own = readOwn(map, key);
  return own.found ? { found: true, value: normalizeRead(own.value, where) } : own;
}

/** The readable keys of a map, in insertion order. */
export function mapKeys(map: DataMap): string[] {
  return Object.keys(map).filter((key) => readOwn(map, key).found);
}

/** Reads one list element (holes and accessors read as null). */
export function listGet(list: readonly unknown[], index: number, where: string): unknown {
  const own = readOwn(list, String(index));
  return own.found ? normalizeRead(own.value, where) : null;
}

/** Builds a map the evaluator owns: null prototype, own data properties, `__proto__` refused. */
export function createMap(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const map = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of entries) defineKey(map, key, value);
  return map;
}

function defineKey(target: object, key: string, value: unknown): void {
  if (key === '__proto__') {
    throw new ExpressionFailure(`map key '__proto__' is not allowed`);
  }
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A short name of a value's type for messages. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (isNumber(value)) return isDoubleValue(value) ? 'decimal' : 'integer';
  if (value instanceof JavaDate) return 'date';
  if (isDataList(value)) return 'list';
  if (isDataMap(value)) return 'map';
  return 'unsupported value';
}

// ---------------------------------------------------------------------------------------------
// Java's text forms.

/** `Integer.toString`/`Long.toString` of a whole number. */
export function integerString(value: number): string {
  if (Math.abs(value) < 1e21) return value.toFixed(0);
  return BigInt(value).toString();
}

/** `Double.toString`: `3.0`, `0.001`, `1.0E7`, `1.5E-4`, `NaN`, `Infinity`. */
export function javaDoubleString(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const plain = String(value);
    return plain.includes('.') ? plain : `${plain}.0`;
  }
  const [mantissa = '0', exponent = '0'] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** Java's text of a number: `3`, `3.0`, `1.0E7`. */
export function numberString(value: number | JavaDouble): string {
  const n = numberValue(value);
  return isDoubleValue(value) ? javaDoubleString(n) : integerString(n);
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `Date.toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970`. Computed by hand from the millis (no host Date). */
export function javaDateString(millis: number): string {
  if (!Number.isFinite(millis)) return 'Invalid Date';
  const days = Math.floor(millis / 86_400_000);
  const msOfDay = millis - days * 86_400_000;
  const { year, month, day } = civilFromDays(days);
  const weekday = (((days + 4) % 7) + 7) % 7;
  const two = (n: number): string => String(n).padStart(2, '0');
  const hours = Math.floor(msOfDay / 3_600_000);
  const minutes = Math.floor((msOfDay % 3_600_000) / 60_000);
  const seconds = Math.floor((msOfDay % 60_000) / 1000);
  return `${DAY_NAMES[weekday] ?? '?'} ${MONTH_NAMES[month - 1] ?? '?'} ${two(day)} ${two(hours)}:${two(minutes)}:${two(seconds)} UTC ${year}`;
}

/** Proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's civil_from_days). */
function civilFromDays(daysSinceEpoch: number): { year: number; month: number; day: number } {
  const z = daysSinceEpoch + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Java's `toString()`: lists as `[a, b]`, maps as `{k=v}`, null as `null`. */
export function javaToString(value: unknown, budget: Budget): string {
  const out = createTextBuilder(budget);
  const push = (text: string): void => out.push(text);
  const walk = (item: unknown, depth: number): void => {
    charge(budget);
    if (depth > budget.limits.maxDataDepth) throw tooDeep(budget);
    if (item === null || item === undefined) push('null');
    else if (typeof item === 'string') push(item);
    else if (typeof item === 'boolean') push(String(item));
    else if (isNumber(item)) push(numberString(item));
    else if (item instanceof JavaDate) push(javaDateString(item.millis));
    else if (isDataList(item)) {
      push('[');
      for (let i = 0; i < item.length; i++) {
        if (i > 0) push(', ');
        walk(listGet(item, i, 'a list element'), depth + 1);
      }
      push(']');
    } else if (isDataMap(item)) {
      push('{');
      let first = true;
      for (const key of mapKeys(item)) {
        if (!first) push(', ');
        first = false;
        push(`${key}=`);
        walk(mapGet(item, key, `key '${key}'`).value, depth + 1);
      }
      push('}');
    } else throw new ExpressionFailure('cannot convert an unsupported value to text');
  };
  walk(value, 0);
  return out.build();
}

/**
 * Spring's conversion of a value to String (templates with surrounding text, `'a' + x`):
 * like `toString()` except that a list becomes its elements joined by `,`.
 */
export function convertToString(value: unknown, budget: Budget): string {
  if (isDataList(value)) {
    const out = createTextBuilder(budget);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      out.push(convertToString(listGet(value, i, 'a list element'), budget));
    }
    return out.build();
  }
  return javaToString(value, budget);
}

function tooDeep(budget: Budget): ExpressionFailure {
  return new ExpressionFailure(`data nested deeper than ${budget.limits.maxDataDepth} levels (is it cyclic?)`);
}

// ---------------------------------------------------------------------------------------------
// Equality, ordering, truth.

/** SpEL's `==`: numbers by value across int/double, strings by content, lists and maps structurally. */
export function valuesEqual(left: unknown, right: unknown, budget: Budget, depth = 0): boolean {
  charge(budget);
  if (depth > budget.limits.maxDataDepth) throw tooDeep(budget);
  if (left === null || right === null) return left === right;
  if (isNumber(left) && isNumber(right)) return numberValue(left) === numberValue(right);
  if (typeof left === 'string' && typeof right === 'string') {
    chargeText(budget, left, right);
    return left === right;
  }
  if (typeof left === 'string' || typeof right === 'string') return false;
  if (typeof left === 'boolean' || typeof right === 'boolean') return left === right;
  if (left instanceof JavaDate && right instanceof JavaDate) return left.millis === right.millis;
  if (isDataList(left) && isDataList(right)) {
    if (left.length !== right.length) return false;
    for (let i = 0; i < left.length; i++) {
      if (!valuesEqual(listGet(left, i, 'a list element'), listGet(right, i, 'a list element'), budget, depth + 1)) return false;
    }
    return true;
  }
  if (isDataMap(left) && isDataMap(right)) {
    const keys = mapKeys(left);
    if (keys.length !== mapKeys(right).length) return false;
    for (const key of keys) {
      const other = mapGet(right, key, `key '${key}'`);
      if (!other.found || !valuesEqual(mapGet(left, key, `key '${key}'`).value, other.value, budget, depth + 1)) return false;
    }
    return true;
  }
  return left === right;
}

/**
 * SpEL's ordering (`<`, `between`): null sorts first, numbers by value, strings by UTF-16
 * code units (Java's compareTo), booleans false < true, dates by time. Anything else fails.
 */
export function compareValues(left: unknown, right: unknown, budget: Budget): number {
  if (left === null) return right === null ? 0 : -1;
  if (right === null) return 1;
  if (isNumber(left) && isNumber(right)) return compareNumbers(numberValue(left), numberValue(right));
  if (typeof left === 'string' && typeof right === 'string') {
    chargeText(budget, left, right);
    return left < right ? -1 : left > right ? 1 : 0;
  }
  if (typeof left === 'boolean' && typeof right === 'boolean') return Number(left) - Number(right);
  if (left instanceof JavaDate && right instanceof JavaDate) return compareNumbers(left.millis, right.millis);
  throw new ExpressionFailure(`cannot compare ${describeValue(left)} with ${describeValue(right)}`);
}

/** Comparing text costs time in proportion to its length: charge for it like for built text. */
export function chargeText(budget: Budget, ...texts: readonly string[]): void {
  let length = 0;
  for (const text of texts) length += text.length;
  if (length > 1000) charge(budget, length / 100);
}

/** Double.compare: NaN is greater than everything and equal to itself. */
function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'on', 'yes', '1']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'off', 'no', '0']);

/**
 * Spring's conversion to boolean for `and`, `or`, `!` and the ternary condition: booleans as
 * they are, strings `true/on/yes/1` and `false/off/no/0` (any case, trimmed); null and
 * everything else fail, because SpEL fails there too.
 */
export function toBooleanValue(value: unknown, role: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new ExpressionFailure(`${role} must be a boolean, got ${describeValue(value)}`);
}

/** A short, one-line rendering of a value for messages; bounded work whatever the value. */
export function preview(value: unknown, max = 40): string {
  let text: string;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') text = `'${value.length > max ? value.slice(0, max) : value}'`;
  else if (typeof value === 'boolean') text = String(value);
  else if (isNumber(value)) text = numberString(value);
  else if (value instanceof JavaDate) text = javaDateString(value.millis);
  else if (isDataList(value)) text = `[${value.length} element${value.length === 1 ? '' : 's'}]`;
  else if (isDataMap(value)) {
    const keys = Object.keys(value);
    text = `{${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}}`;
  } else text = '(unsupported value)';
  text = text.replace(/\s+/g, ' ');
  return text.length > max + 2 ? `${text.slice(0, max + 1)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Results.

/**
 * Copies a value out of the evaluator as plain data: fresh arrays and ordinary objects, doubles
 * and dates unwrapped, nothing but null/boolean/number/string/array/object. Caller data is
 * copied too, so a result never aliases the context it was read from.
 */
export function toResult(value: unknown, budget: Budget, depth = 0): unknown {
  charge(budget);
  if (depth > budget.limits.maxDataDepth) throw tooDeep(budget);
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (value instanceof JavaDouble) return value.value;
  if (value instanceof JavaDate) return value.millis;
  if (isDataList(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(toResult(listGet(value, i, 'a list element'), budget, depth + 1));
    return out;
  }
  if (isDataMap(value)) {
    const out: Record<string, unknown> = {};
    for (const key of mapKeys(value)) {
      defineKey(out, key, toResult(mapGet(value, key, `key '${key}'`).value, budget, depth + 1));
    }
    return out;
  }
  throw new ExpressionFailure(`the result holds a ${typeName(value)}, which is not plain data`);
}

/**
 * Takes in data parsed from text (`#readJson`, `#readYaml`, URL helpers): copies it into maps
 * the evaluator owns, refusing a `__proto__` key and anything that is not JSON-like.
 */
export function importParsed(value: unknown, budget: Budget, depth = 0): unknown {
  charge(budget);
  if (depth > budget.limits.maxDataDepth) throw tooDeep(budget);
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => importParsed(item, budget, depth + 1));
  if (isDataMap(value)) {
    return createMap(mapKeys(value).map((key) => [key, importParsed(readOwn(value, key).value, budget, depth + 1)] as const));
  }
  throw new ExpressionFailure(`parsed data holds a ${typeof value}, which is not supported`);
}

/** `integer 3`, `string 'abc'`, `list [2 elements]`, or just `null`: a value described for a message. */
export function describeValue(value: unknown): string {
  return value === null || value === undefined ? 'null' : `${typeName(value)} ${preview(value)}`;
}
