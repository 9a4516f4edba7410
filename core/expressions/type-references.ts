/**
 * The tiny allowlist of Java types: a few static methods (`T(java.lang.Math).max(a, b)`,
 * `T(java.lang.Integer).parseInt(s)`, `T(java.util.UUID).randomUUID()`...) and
 * `new java.util.Date()`. Each is reimplemented here over the value model; no class is ever
 * resolved by name. Time and randomness come from the context's hooks, so core/ stays pure.
 */
import { ExpressionFailure, chargeString } from './budget.ts';
import { encodeUtf8 } from './base64.ts';
import { parseJavaDouble, parseJavaInteger, textArgument } from './conversions.ts';
import type { Evaluation } from './evaluator.ts';
import {
  describeValue,
  isDataList,
  isDoubleValue,
  isNumber,
  JavaDate,
  type JavaDouble,
  javaToString,
  listGet,
  makeNumber,
  numberValue,
  typeName,
} from './values.ts';

/** Calls an allowlisted static method; the parser has checked class, method and argument count. */
export function callStatic(className: string, method: string, args: readonly unknown[], ev: Evaluation): unknown {
  const what = `T(${className}).${method}()`;
  const text = (index: number): string => textArgument(args[index] ?? null, what, ev.budget);
  switch (`${className}.${method}`) {
    case 'java.lang.Math.abs': {
      const n = numeric(args[0], what);
      return makeNumber(Math.abs(numberValue(n)), isDoubleValue(n));
    }
    case 'java.lang.Math.max':
    case 'java.lang.Math.min': {
      const a = numeric(args[0], what);
      const b = numeric(args[1], what);
      const pick = method === 'max' ? Math.max : Math.min;
      return makeNumber(pick(numberValue(a), numberValue(b)), isDoubleValue(a) || isDoubleValue(b));
    }
    case 'java.lang.Math.floor':
      return makeNumber(Math.floor(numberValue(numeric(args[0], what))), true);
    case 'java.lang.Math.ceil':
      return makeNumber(Math.ceil(numberValue(numeric(args[0], what))), true);
    case 'java.lang.Math.round': {
      const n = numberValue(numeric(args[0], what));
      return Number.isFinite(n) ? Math.floor(n + 0.5) + 0 : 0;
    }
    case 'java.lang.Math.pow':
      return makeNumber(numberValue(numeric(args[0], what)) ** numberValue(numeric(args[1], what)), true);
    case 'java.lang.Math.sqrt':
      return makeNumber(Math.sqrt(numberValue(numeric(args[0], what))), true);
    case 'java.lang.Integer.parseInt':
    case 'java.lang.Integer.valueOf':
    case 'java.lang.Long.parseLong':
    case 'java.lang.Long.valueOf': {
      if (method === 'valueOf' && isNumber(args[0]) && !isDoubleValue(args[0])) return numberValue(args[0]);
      const value = text(0);
      const parsed = parseJavaInteger(value, className === 'java.lang.Integer' ? 32 : 64);
      if (parsed === undefined) throw new ExpressionFailure(`${what}: '${value}' is not an integer`);
      return parsed;
    }
    case 'java.lang.Double.parseDouble':
    case 'java.lang.Double.valueOf': {
      if (method === 'valueOf' && isNumber(args[0])) return makeNumber(numberValue(args[0]), true);
      const value = text(0);
      const parsed = parseJavaDouble(value);
      if (parsed === undefined) throw new ExpressionFailure(`${what}: '${value}' is not a number`);
      return makeNumber(parsed, true);
    }
    case 'java.lang.Boolean.parseBoolean':
    case 'java.lang.Boolean.valueOf':
      if (typeof args[0] === 'boolean') return args[0];
      return args[0] === null || args[0] === undefined ? false : text(0).toLowerCase() === 'true';
    case 'java.lang.String.valueOf':
      return javaToString(args[0] ?? null, ev.budget);
    case 'java.lang.String.join':
      return join(text(0), args.slice(1), what, ev);
    case 'java.util.UUID.randomUUID': {
      const source = ev.ctx.randomUuid;
      if (source === undefined) throw new ExpressionFailure(`${what} needs a UUID source, and none is configured`);
      let uuid: unknown;
      try {
        uuid = source();
      } catch {
        throw new ExpressionFailure(`${what}: the UUID source failed`);
      }
      if (typeof uuid !== 'string') throw new ExpressionFailure(`${what}: the UUID source returned no string`);
      return uuid;
    }
    case 'java.net.URLEncoder.encode': {
      if (args.length === 2 && text(1).toUpperCase() !== 'UTF-8') {
        throw new ExpressionFailure(`${what}: only the UTF-8 encoding is supported`);
      }
      const encoded = urlEncode(text(0));
      chargeString(ev.budget, encoded.length);
      return encoded;
    }
    default:
      throw new ExpressionFailure(`${what} is not allowed`);
  }
}

/** `new java.util.Date()` (now, from the context's clock) or `new java.util.Date(millis)`. */
export function construct(className: string, args: readonly unknown[], ev: Evaluation): unknown {
  if (className !== 'java.util.Date') throw new ExpressionFailure(`new ${className}() is not allowed`);
  if (args.length === 1) {
    const millis = args[0];
    if (!isNumber(millis) || isDoubleValue(millis)) throw new ExpressionFailure(`new java.util.Date(millis) needs an integer, got ${typeName(millis)}`);
    return new JavaDate(numberValue(millis));
  }
  const clock = ev.ctx.now;
  if (clock === undefined) throw new ExpressionFailure('new java.util.Date() needs a clock, and none is configured');
  let now: unknown;
  try {
    now = clock();
  } catch {
    throw new ExpressionFailure('new java.util.Date(): the clock failed');
  }
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new ExpressionFailure('new java.util.Date(): the clock returned no time');
  return new JavaDate(Math.trunc(now));
}

function numeric(value: unknown, what: string): number | JavaDouble {
  if (isNumber(value)) return value;
  throw new ExpressionFailure(`${what} needs numbers, got ${describeValue(value)}; convert text with #toInt(...) or #toFloat(...)`);
}

function join(delimiter: string, rest: readonly unknown[], what: string, ev: Evaluation): string {
  const only = rest[0];
  const items: unknown[] = [];
  if (rest.length === 1 && isDataList(only)) {
    for (let i = 0; i < only.length; i++) items.push(listGet(only, i, 'an element'));
  } else items.push(...rest);
  const parts = items.map((item) => (item === null ? 'null' : textArgument(item, what, ev.budget)));
  chargeString(ev.budget, parts.reduce((sum, part) => sum + part.length + delimiter.length, 0));
  return parts.join(delimiter);
}

/** `URLEncoder.encode(s, UTF-8)`: letters, digits and `.-*_` stay, space becomes `+`, the rest `%XX`. */
function urlEncode(value: string): string {
  let out = '';
  for (const byte of encodeUtf8(value)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_]/.test(c)) out += c;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
