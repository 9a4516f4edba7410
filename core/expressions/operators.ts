/**
 * SpEL's operators over the value model: Java arithmetic (int stays int, `7 / 2` is 3, any
 * double makes a double, integer division by zero fails), `+` as string concatenation when
 * either side is text (`null + 'a'` is `nulla`), `'ab' * 3` repetition, and the relational
 * operators with SpEL's equality and ordering.
 */
import type { ProductOperator, RelationalOperator, SumOperator } from './ast.ts';
import { chargeString, ExpressionFailure, type Budget } from './budget.ts';
import { regexMatchesWhole, type RegexHost } from './regex.ts';
import {
  compareValues,
  convertToString,
  describeValue,
  isDataList,
  isDoubleValue,
  isNumber,
  type JavaDouble,
  javaToString,
  listGet,
  makeNumber,
  numberValue,
  typeName,
  valuesEqual,
} from './values.ts';

function unsupported(op: string, left: unknown, right: unknown): ExpressionFailure {
  return new ExpressionFailure(`operator '${op}' does not apply to ${describeValue(left)} and ${describeValue(right)}`);
}

/** `+` and `-` of a sum. */
export function applySum(op: SumOperator, left: unknown, right: unknown, budget: Budget): unknown {
  if (op === '+') {
    if (isNumber(left) && isNumber(right)) return arithmetic(left, right, (a, b) => a + b);
    if (typeof left === 'string' || typeof right === 'string') {
      const a = left === null ? 'null' : convertToString(left, budget);
      const b = right === null ? 'null' : convertToString(right, budget);
      chargeString(budget, a.length + b.length);
      return a + b;
    }
    throw unsupported('+', left, right);
  }
  if (isNumber(left) && isNumber(right)) return arithmetic(left, right, (a, b) => a - b);
  throw unsupported('-', left, right);
}

/** `*`, `/`, `%` of a product. */
export function applyProduct(op: ProductOperator, left: unknown, right: unknown, budget: Budget): unknown {
  if (op === '*' && typeof left === 'string' && isNumber(right) && !isDoubleValue(right)) {
    const count = numberValue(right);
    if (count < 0) throw new ExpressionFailure(`cannot repeat a string ${count} times`);
    chargeString(budget, left.length * count);
    return left.repeat(count);
  }
  if (!isNumber(left) || !isNumber(right)) throw unsupported(op, left, right);
  const integral = !isDoubleValue(left) && !isDoubleValue(right);
  switch (op) {
    case '*':
      return arithmetic(left, right, (a, b) => a * b);
    case '/':
      if (integral) {
        if (numberValue(right) === 0) throw new ExpressionFailure('division by zero');
        return Math.trunc(numberValue(left) / numberValue(right)) + 0;
      }
      return makeNumber(numberValue(left) / numberValue(right), true);
    case '%':
      if (integral && numberValue(right) === 0) throw new ExpressionFailure('division by zero (in %)');
      return arithmetic(left, right, (a, b) => a % b);
  }
}

/** `^`: an int power of ints stays an int; anything else is a double. */
export function applyPower(base: unknown, exponent: unknown): unknown {
  if (!isNumber(base) || !isNumber(exponent)) throw unsupported('^', base, exponent);
  const integral = !isDoubleValue(base) && !isDoubleValue(exponent) && numberValue(exponent) >= 0;
  return makeNumber(numberValue(base) ** numberValue(exponent), !integral);
}

/** Unary minus. */
export function applyNegate(value: unknown): unknown {
  if (!isNumber(value)) throw new ExpressionFailure(`unary '-' needs a number, got ${describeValue(value)}`);
  return makeNumber(-numberValue(value), isDoubleValue(value));
}

function arithmetic(left: number | JavaDouble, right: number | JavaDouble, f: (a: number, b: number) => number): number | JavaDouble {
  const isDouble = isDoubleValue(left) || isDoubleValue(right);
  return makeNumber(f(numberValue(left), numberValue(right)), isDouble);
}

/** The relational operators, `matches` and `between`. */
export function applyRelational(op: RelationalOperator, left: unknown, right: unknown, host: RegexHost): boolean {
  switch (op) {
    case '==':
      return valuesEqual(left, right, host.budget);
    case '!=':
      return !valuesEqual(left, right, host.budget);
    case '<':
      return compareValues(left, right, host.budget) < 0;
    case '>':
      return compareValues(left, right, host.budget) > 0;
    case '<=':
      return compareValues(left, right, host.budget) <= 0;
    case '>=':
      return compareValues(left, right, host.budget) >= 0;
    case 'matches': {
      if (left === null) throw new ExpressionFailure(`the left side of 'matches' is null; it must be text`);
      if (typeof right !== 'string') throw new ExpressionFailure(`the right side of 'matches' must be a regular expression string, got ${typeName(right)}`);
      const subject = typeof left === 'string' ? left : javaToString(left, host.budget);
      return regexMatchesWhole(subject, right, host);
    }
    case 'between': {
      if (!isDataList(right) || right.length !== 2) {
        throw new ExpressionFailure(`the right side of 'between' must be a list of two values, e.g. {1, 5}`);
      }
      const low = listGet(right, 0, 'between');
      const high = listGet(right, 1, 'between');
      return compareValues(left, low, host.budget) >= 0 && compareValues(left, high, host.budget) <= 0;
    }
  }
}
