/**
 * How arguments reach methods and helpers, mimicking Spring's conversion of arguments to the
 * declared Java parameter types: numbers and booleans become text where text is expected,
 * whole numbers (or digit strings) where an int is expected, and null fails where Java would
 * throw a NullPointerException.
 */
import { ExpressionFailure, type Budget } from './budget.ts';
import {
  describeValue,
  isDoubleValue,
  isNumber,
  JavaDate,
  javaToString,
  numberValue,
} from './values.ts';

/** A text parameter: strings as they are, numbers/booleans/dates as Java prints them; null and collections fail. */
export function textArgument(value: unknown, what: string, budget: Budget): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || isNumber(value) || value instanceof JavaDate) return javaToString(value, budget);
  throw new ExpressionFailure(`${what} needs text, got ${describeValue(value)}`);
}

/** An int parameter: a whole number, or a string of digits (Spring converts it). */
export function intArgument(value: unknown, what: string): number {
  if (isNumber(value) && !isDoubleValue(value)) return numberValue(value);
  if (typeof value === 'string') {
    const parsed = parseJavaInteger(value, 32);
    if (parsed !== undefined) return parsed;
  }
  throw new ExpressionFailure(`${what} needs an integer, got ${describeValue(value)}`);
}

/**
 * Java's `Integer.parseInt` (bits 32) / `Long.parseLong` (bits 64, limited to what a double holds
 * exactly): optional sign, decimal digits, nothing else, no surrounding spaces.
 */
export function parseJavaInteger(text: string, bits: 32 | 64): number | undefined {
  if (!/^[+-]?\d{1,19}$/.test(text)) return undefined;
  const value = Number(text);
  if (bits === 32) return value >= -2_147_483_648 && value <= 2_147_483_647 ? value : undefined;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Java's `Float.valueOf` / `Double.valueOf`: trimmed, decimal or exponent form, optional f/d suffix, NaN, Infinity. */
export function parseJavaDouble(text: string): number | undefined {
  const trimmed = text.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  const match = /^([+-]?)(NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?$/.exec(trimmed);
  if (match === null) return undefined;
  if (match[2] === 'NaN') return Number.NaN;
  const value = Number(`${match[1] ?? ''}${match[2] ?? ''}`);
  return Number.isNaN(value) ? undefined : value;
}
