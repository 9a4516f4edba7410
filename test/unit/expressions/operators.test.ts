/**
 * Literals and operators with SpEL's semantics: Java int/double arithmetic, precedence, word
 * forms, equality and ordering, boolean conversion, ternary and elvis, null handling.
 */
import { describe, expect, it } from 'vitest';
import { evaluateExpression, evaluateTemplate } from '../../../core/expressions/index.ts';
import { createContext } from '../../fixtures/expressions/context.ts';

const ctx = createContext();

function valueOf(expression: string): unknown {
  const result = evaluateExpression(expression, ctx);
  if (!result.ok) throw new Error(`${expression}: ${result.message}`);
  return result.value;
}

function failureOf(expression: string): string {
  const result = evaluateExpression(expression, ctx);
  if (result.ok) throw new Error(`${expression} evaluated to ${JSON.stringify(result.value)}`);
  return result.message;
}

/** Text form of a value as SpEL would print it inside a template with surrounding text. */
function textOf(expression: string): unknown {
  return evaluateTemplate(`[\${${expression}}]`, ctx).value;
}

describe('literals', () => {
  it.each([
    ["'hello'", 'hello'],
    ["'it''s'", "it's"],
    ['"double ""quoted"""', 'double "quoted"'],
    ["'back\\slash'", 'back\\slash'],
    ['42', 42],
    ['42L', 42],
    ['0x1F', 31],
    ['1.5', 1.5],
    ['1e3', 1000],
    ['2.5E-1', 0.25],
    ['true', true],
    ['FALSE', false],
    ['null', null],
    ['Null', null],
    ['{1, 2, 3}', [1, 2, 3]],
    ['{}', []],
    ["{a: 1, 'b c': 'x'}", { a: 1, 'b c': 'x' }],
    ['{:}', {}],
    ['{{1, 2}, {3}}', [[1, 2], [3]]],
  ])('reads %s', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it.each([
    ['2.0', '[2.0]'],
    ['2', '[2]'],
    ['1e7', '[1.0E7]'],
    ['0.0001', '[1.0E-4]'],
    ['2d', '[2.0]'],
    ['-0.0', '[-0.0]'],
  ])('prints %s as Java prints it', (expression, expected) => {
    expect(textOf(expression)).toBe(expected);
  });
});

describe('arithmetic', () => {
  it.each([
    ['1 + 2', 3],
    ['7 - 10', -3],
    ['6 * 7', 42],
    ['7 / 2', 3],
    ['-7 / 2', -3],
    ['7.0 / 2', 3.5],
    ['7 / 2.0', 3.5],
    ['7 % 3', 1],
    ['-7 % 3', -1],
    ['7.5 % 2', 1.5],
    ['2 ^ 10', 1024],
    ['2 ^ -1', 0.5],
    ['-2 ^ 2', 4],
    ['7 div 2', 3],
    ['7 MOD 3', 1],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['2 * 3 ^ 2', 18],
    ['-(3)', -3],
    ['+5', 5],
    ['replicas * 2', 6],
    ['ratio * 4', 1],
  ])('%s = %s', (expression, expected) => {
    expect(valueOf(expression)).toBe(expected);
  });

  it('keeps a double a double through arithmetic (7.0 - 1 prints 6.0)', () => {
    expect(textOf('7.0 - 1')).toBe('[6.0]');
    expect(textOf('3 * 2')).toBe('[6]');
  });

  it.each([
    ['1 / 0', 'division by zero'],
    ['1 % 0', 'division by zero'],
    ["1 - 'a'", "operator '-' does not apply to integer 1 and string 'a'"],
    ['{1} * 2', "operator '*' does not apply to list"],
    ["-'a'", "unary '-' needs a number"],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });

  it('divides doubles by zero as IEEE does', () => {
    expect(valueOf('1.0 / 0')).toBe(Infinity);
  });
});

describe('string concatenation', () => {
  it.each([
    ["'a' + 'b'", 'ab'],
    ["'v' + 1", 'v1'],
    ["1 + 'v'", '1v'],
    ["'v' + 1.0", 'v1.0'],
    ["null + 'a'", 'nulla'],
    ["'a' + null", 'anull'],
    ["'x' + true", 'xtrue'],
    ["'tags: ' + tags", 'tags: blue,green,canary'],
    ["'labels: ' + labels", 'labels: {app=hello, tier=web}'],
    ["'ab' * 3", 'ababab'],
    ["'hello-' + parameters.env + '-' + replicas", 'hello-prod-3'],
  ])('%s = %s', (expression, expected) => {
    expect(valueOf(expression)).toBe(expected);
  });

  it('fails null + number, as SpEL does', () => {
    expect(failureOf('null + 1')).toContain("operator '+' does not apply to null");
  });
});

describe('comparison', () => {
  it.each([
    ['1 == 1', true],
    ['1 == 1.0', true],
    ["'a' == 'a'", true],
    ["'1' == 1", false],
    ['null == null', true],
    ['nothing == null', true],
    ["parameters.env == 'prod'", true],
    ["parameters.env eq 'prod'", true],
    ["parameters.env != 'prod'", false],
    ["parameters.env ne 'dev'", true],
    ['{1, 2} == {1, 2}', true],
    ['{a: 1} == {a: 1}', true],
    ['{a: 1} == {a: 2}', false],
    ['2 < 3', true],
    ['2 lt 3', true],
    ['3 > 2.5', true],
    ['3 GT 4', false],
    ['3 <= 3', true],
    ['3 le 2', false],
    ['3 >= 3', true],
    ['3 ge 4', false],
    ["'apple' < 'banana'", true],
    ["'Z' < 'a'", true],
    ['null < 1', true],
    ['1 > null', true],
    ['false < true', true],
    ['3 between {1, 5}', true],
    ['6 between {1, 5}', false],
    ["'b' between {'a', 'c'}", true],
  ])('%s is %s', (expression, expected) => {
    expect(valueOf(expression)).toBe(expected);
  });

  it('fails to order values of different kinds', () => {
    expect(failureOf("1 < 'a'")).toBe("cannot compare integer 1 with string 'a'");
  });
});

describe('logic', () => {
  it.each([
    ['true && false', false],
    ['true and true', true],
    ['false || true', true],
    ['false or false', false],
    ['!true', false],
    ['not false', true],
    ['NOT false', true],
    ['true AND false OR true', true],
    ['true or false and false', true],
    ['!(1 > 2) and 2 > 1', true],
    ["parameters.enabled and true", true],
    ["'yes' and 'on'", true],
    ["'0' or 'off'", false],
    ['false and nothing.missing', false],
    ['true or nothing.missing', true],
  ])('%s is %s', (expression, expected) => {
    expect(valueOf(expression)).toBe(expected);
  });

  it.each([
    ['!null', "the operand of '!' must be a boolean, got null"],
    ['1 and true', "an operand of 'and' must be a boolean, got integer 1"],
    ["'maybe' or false", "an operand of 'or' must be a boolean, got string 'maybe'"],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toBe(message);
  });
});

describe('ternary and elvis', () => {
  it.each([
    ["true ? 'y' : 'n'", 'y'],
    ["1 > 2 ? 'y' : 'n'", 'n'],
    ["parameters.env == 'prod' ? 3 : 1", 3],
    ["false ? 'a' : true ? 'b' : 'c'", 'b'],
    ["nothing ?: 'fallback'", 'fallback'],
    ["empty ?: 'fallback'", 'fallback'],
    ["namespace ?: 'fallback'", 'staging'],
    ["labels['missing'] ?: 'default'", 'default'],
    ['0 ?: 5', 0],
    ["false ?: 'x'", false],
    ["parameters.env == 'prod' ? parameters['missing'] ?: 'none' : 'dev'", 'none'],
  ])('%s = %s', (expression, expected) => {
    expect(valueOf(expression)).toBe(expected);
  });

  it('fails a ternary whose condition is null', () => {
    expect(failureOf("nothing ? 'a' : 'b'")).toBe('the condition of ?: must be a boolean, got null');
  });
});
