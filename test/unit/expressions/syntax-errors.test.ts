/**
 * What validation reports before a pipeline runs: syntax errors located by offset in the
 * original field, and refusals of everything that would reach host code, each with a message
 * that says what to do.
 */
import { describe, expect, it } from 'vitest';
import { findExpressionSyntaxErrors, findTemplateSyntaxErrors } from '../../../core/expressions/index.ts';

describe('findTemplateSyntaxErrors', () => {
  it.each([
    'no template here',
    '${ parameters.hellotag }',
    'prefix-${ a }-${ b.c[0] }-suffix',
    "${ #stage('Canary Analysis')['status'].toString() == 'SUCCEEDED'}",
    "${ {1,2}.?[#this > 1] }",
    "${ 'a}b' + \"}\" }",
    "${ x matches '^v\\d+$' }",
    '${ T(java.lang.Math).max(1, 2) }',
    '${ new java.util.Date().getTime() }',
    "${ #doNotEval('${ later }') }",
  ])('accepts %j', (text) => {
    expect(findTemplateSyntaxErrors(text)).toEqual([]);
  });

  it.each([
    ['${ a', 0, "template is not closed: add '}' after the expression started by ${"],
    ['abc ${}', 4, "empty template '${}': put an expression between ${ and }"],
    ['abc ${   }', 4, "empty template '${   }': put an expression between ${ and }"],
    ['${ a == }', 8, 'the expression ends where a value was expected'],
    ['${ a b }', 5, "unexpected 'b' after a complete expression; is an operator missing?"],
    ['x ${ foo( }', 10, "'}' does not match the '(' opened at offset 8"],
    ['${ a ] }', 5, "unbalanced ']': nothing opened it"],
    ["${ 'open }", 3, 'string literal is not closed: add the missing \''],
    ['${ a | b }', 5, "unexpected '|': the or operator is '||' or 'or'"],
    ['${ a ` b }', 5, 'unexpected character "`"'],
    ['${ 1e }', 3, "malformed number '1e': the exponent has no digits"],
    ['${ 12abc }', 3, "malformed number '12a'"],
    ['${ a.(b) }', 5, "expected a property or method name after '.', found '('"],
    ['${ a ? b }', 9, "expected ':' in 'condition ? whenTrue : whenFalse', found the end of the expression"],
    ['${ {1, 2 }', 0, "template is not closed: add '}' after the expression started by ${"],
    ['${ a == b == c }', 10, "comparisons cannot be chained; combine them with 'and' or 'or'"],
    ['${ 2 ^ 3 ^ 2 }', 9, "'^' cannot be chained; add parentheses, e.g. (a ^ b) ^ c"],
    ['${ list?[0] }', 7, "'?[' needs a '.' before it, e.g. list.?[...]"],
    ['${ a.${b} }', 5, 'templates cannot be nested: write the inner expression without ${ }'],
    ['${ ${b} }', 3, 'templates cannot be nested: write the inner expression without ${ }'],
    ["${ x matches '[a-' }", 13, "invalid regular expression '[a-': unclosed character class starting at index 0"],
    ["${ x.replaceAll('(a', 'b') }", 16, "invalid regular expression '(a': unclosed group: add ')'"],
    ["${ x matches '(a)\\1' }", 13, "invalid regular expression '(a)\\1': backreferences (\\1, \\k<name>) are not supported"],
  ])('reports %j at offset %i', (text, offset, message) => {
    expect(findTemplateSyntaxErrors(text)).toEqual([{ offset, message }]);
  });

  it('reports every broken template up to an unclosed one', () => {
    expect(findTemplateSyntaxErrors('${ a == } and ${ } and ${ ok }')).toEqual([
      { offset: 8, message: 'the expression ends where a value was expected' },
      { offset: 14, message: "empty template '${ }': put an expression between ${ and }" },
    ]);
  });

  it('points into the original string, not into the expression', () => {
    const text = 'image: gcr.io/acme/hello:${ parameters.tag + }';
    const [error] = findTemplateSyntaxErrors(text);
    expect(text.slice(error?.offset)).toBe('}');
  });
});

describe('findExpressionSyntaxErrors', () => {
  it.each([
    "parameters.env == 'prod'",
    "${ parameters.env == 'prod' }",
    "  ${#stage('Canary Analysis').status == 'SUCCEEDED'}  ",
    "#doNotEval('${x}')",
    '${ a }-${ b }',
    'true',
  ])('accepts %j', (expression) => {
    expect(findExpressionSyntaxErrors(expression)).toEqual([]);
  });

  it.each([
    ['', 0, 'empty expression'],
    ['   ', 0, 'empty expression'],
    ['parameters.env ==', 17, 'the expression ends where a value was expected'],
    ['${ parameters.env == }', 21, 'the expression ends where a value was expected'],
    ['  ${ a b }', 7, "unexpected 'b' after a complete expression; is an operator missing?"],
    ['${ a', 0, "template is not closed: add '}' after the expression started by ${"],
    ['x ${ a ==  }', 11, 'the expression ends where a value was expected'],
  ])('reports %j at offset %i', (expression, offset, message) => {
    expect(findExpressionSyntaxErrors(expression)).toEqual([{ offset, message }]);
  });
});

describe('refusals', () => {
  it.each([
    ['T(java.lang.Runtime).getRuntime().exec("rm -rf /")', 0, 'type references are not allowed in Gennaker expressions: T(java.lang.Runtime) (allowed: T(java.lang.Math), T(java.lang.Integer)'],
    ['T(System).exit(1)', 0, 'type references are not allowed in Gennaker expressions: T(System)'],
    ['T(java.lang.String[])', 0, 'type references are not allowed in Gennaker expressions: T(java.lang.String[])'],
    ['T(java.lang.Math).PI', 18, 'T(java.lang.Math) can only be used to call one of its static methods: abs, max, min'],
    ['T(java.lang.Math).random()', 18, 'T(java.lang.Math).random() is not allowed; allowed: abs, max, min'],
    ['T(java.lang.Math).max(1)', 18, 'T(java.lang.Math).max() takes 2 arguments, got 1'],
    ['new java.io.File("/etc/passwd")', 0, 'constructors are not allowed in Gennaker expressions: new java.io.File (only new java.util.Date() is)'],
    ['new java.lang.ProcessBuilder({"sh"}).start()', 0, 'constructors are not allowed in Gennaker expressions: new java.lang.ProcessBuilder'],
    ['@environment.getProperty("x")', 0, "bean references ('@name') are not allowed in Gennaker expressions"],
    ['&factory', 0, "bean references ('&name') are not allowed in Gennaker expressions"],
    ['a = 1', 2, "assignment ('=') is not allowed in Gennaker expressions; to compare, use '=='"],
    ['parameters.x = 1', 13, "assignment ('=') is not allowed in Gennaker expressions"],
    ['a++', 1, "'++' is not allowed in Gennaker expressions (expressions cannot change data)"],
    ['--a', 0, "'--' is not allowed in Gennaker expressions (expressions cannot change data)"],
    ["x instanceof T(String)", 2, "'instanceof' is not allowed in Gennaker expressions (it needs type references)"],
    ['(a; b)', 2, "expression lists '(a; b)' are not allowed in Gennaker expressions"],
    ['#stag("x")', 0, 'unknown function #stag(); did you mean #stage()?'],
    ['#exec("x")', 0, 'unknown function #exec()'],
    ['#manifestLabelValue("s", "Deployment", "app")', 0, '#manifestLabelValue() is a Spinnaker helper that Gennaker does not support'],
    ['#stage()', 0, '#stage() takes 1 argument, got 0'],
    ['#pipelineIdInApplication("x")', 0, '#pipelineIdInApplication() takes 2 arguments, got 1'],
  ])('refuses %s', (expression, offset, message) => {
    const errors = findExpressionSyntaxErrors(expression);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.offset).toBe(offset);
    expect(errors[0]?.message).toContain(message);
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = `${'('.repeat(70)}1${')'.repeat(70)}`;
    expect(findExpressionSyntaxErrors(deep)).toEqual([{ offset: 64, message: 'expression is nested too deeply (more than 64 levels)' }]);
  });

  it('refuses an expression longer than the limit', () => {
    const long = `'${'x'.repeat(10_001)}'`;
    expect(findExpressionSyntaxErrors(long)).toEqual([{ offset: 0, message: 'expression is 10003 characters long; the limit is 10000' }]);
  });

  it('accepts long flat chains, which are not nesting', () => {
    const sum = Array.from({ length: 500 }, (_, i) => String(i)).join(' + ');
    const path = `labels${'.x'.repeat(500)}`;
    expect(findExpressionSyntaxErrors(sum)).toEqual([]);
    expect(findExpressionSyntaxErrors(path)).toEqual([]);
  });
});
