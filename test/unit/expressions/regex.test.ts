/**
 * Regular expressions behind `matches`, `replaceAll`, `replaceFirst` and `split`: Java's syntax
 * and semantics for what pipelines use, linear time whatever the pattern, and a clear refusal
 * of what needs backtracking.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateExpression, type EvaluationContext } from '../../../core/expressions/index.ts';

const ctx: EvaluationContext = { variables: { long: 'a'.repeat(5000), nearly: `${'a'.repeat(40)}!`, lines: 'one\ntwo\nthree\n' } };

function valueOf(expression: string, context = ctx): unknown {
  const result = evaluateExpression(expression, context);
  if (!result.ok) throw new Error(`${expression}: ${result.message}`);
  return result.value;
}

function failureOf(expression: string, context = ctx): string {
  const result = evaluateExpression(expression, context);
  if (result.ok) throw new Error(`${expression} evaluated to ${JSON.stringify(result.value)}`);
  return result.message;
}

describe('matching like java.util.regex', () => {
  it.each([
    ["'abc' matches 'abc'", true],
    ["'abc' matches 'ab'", false],
    ["'abc' matches 'a.c'", true],
    ["'a\nc' matches 'a.c'", false],
    ["'a\nc' matches '(?s)a.c'", true],
    ["'ABC' matches '(?i)abc'", true],
    ["'ABC' matches 'a(?i)bc'", false],
    ["'aBC' matches 'a(?i)bc'", true],
    ["'xyz' matches '(?i:X)yz'", true],
    ["'1.2.3' matches '\\d+\\.\\d+\\.\\d+'", true],
    ["'1.2.x' matches '\\d+\\.\\d+\\.\\d+'", false],
    ["'release/2024' matches 'release/[0-9]{4}'", true],
    ["'release/202' matches 'release/[0-9]{4}'", false],
    ["'aaa' matches 'a{2,}'", true],
    ["'a' matches 'a{2,3}'", false],
    ["'feature-x' matches 'feature-.*|bugfix-.*'", true],
    ["'main' matches '^(main|master)$'", true],
    ["'hello world' matches '\\w+\\s\\w+'", true],
    ["'tab\there' matches '\\S+\\t\\S+'", true],
    ["'x-y' matches '[\\w-]+'", true],
    ["'abc' matches '[^0-9]+'", true],
    ["'v1' matches '\\p{Alpha}\\p{Digit}'", true],
    ["'a.b' matches '\\Qa.b\\E'", true],
    ["'axb' matches '\\Qa.b\\E'", false],
    ["'A' matches '\\u0041'", true],
    ["'A' matches '\\x41'", true],
    ["'' matches 'a*'", true],
    ["'ab' matches '(a|ab)(c|bcd)?'", true],
    ["'foo.bar' matches '.*\\bbar'", true],
    ["'foobar' matches '.*\\bbar'", false],
    ['long matches \'a*\'', true],
    ["lines.split('\\n').size()", 3],
    ["'abcabc'.replaceAll('(?<first>a)(b)', '${first}-$2')", 'a-bca-bc'],
    ["'aaa'.replaceAll('a*', 'X')", 'XX'],
    ["'abc'.replaceAll('', '-')", '-a-b-c-'],
    ["'a1b22c333'.replaceAll('[0-9]+?', '#')", 'a#b##c###'],
    ["'<a><b>'.replaceAll('<.+?>', 'T')", 'TT'],
    ["'<a><b>'.replaceAll('<.+>', 'T')", 'T'],
    ["'2024-01-05'.replaceFirst('-', '/')", '2024/01-05'],
    ["'one\ntwo'.replaceAll('(?m)^', '> ')", '> one\n> two'],
    ["'x'.replaceAll('x', 'cost \\$5')", 'cost $5'],
    ["'boo:and:foo'.split('o')", ['b', '', ':and:f']],
    ["'boo:and:foo'.split('o', -1)", ['b', '', ':and:f', '', '']],
    ["'boo:and:foo'.split(':', 2)", ['boo', 'and:foo']],
    ["':a:b'.split(':')", ['', 'a', 'b']],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });
});

describe('linear time', () => {
  it.each([
    ["nearly matches '(a+)+$'", false],
    ["nearly matches '(a|a)*$'", false],
    ["nearly matches '(a*)*b'", false],
    ["nearly matches '(.*a){20}'", false],
    ["long matches '(a|aa)+'", true],
    ["long.replaceAll('(a*)*', 'b').length()", 2],
  ])('answers %s at once', (expression, expected) => {
    // Each of these takes a backtracking engine longer than the age of the universe.
    expect(valueOf(expression)).toBe(expected);
  });

  it('fails, instead of running on, when the regex step budget is spent', () => {
    // given
    const tight: EvaluationContext = { ...ctx, limits: { maxRegexSteps: 10_000 } };
    // then
    expect(failureOf("long matches '(a|aa)+'", tight)).toBe("regular expression '(a|aa)+' needed more than 10000 steps on a string of 5000 characters");
  });
});

describe('refused patterns', () => {
  it.each([
    ["'aa' matches '(a)\\1'", 'backreferences (\\1, \\k<name>) are not supported'],
    ["'ab' matches 'a(?=b)b'", 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported'],
    ["'ab' matches '(?<=a)b'", 'lookahead and lookbehind'],
    ["'aa' matches 'a++'", 'possessive quantifiers (*+, ++, ?+) are not supported'],
    ["'aa' matches '(?>a)a'", 'atomic groups (?>...) are not supported'],
    ["'a' matches 'a{5000}'", 'repetition counts above 1000 are not supported'],
    ["'a' matches '((a{1000}){1000})'", 'the pattern is too large once its repetitions are expanded; simplify it'],
    ["'a' matches '*a'", "dangling meta character '*' at index 0"],
    ["'a' matches 'a{'", "illegal repetition at index 1; escape a literal '{' as \\{"],
    ["'a' matches '[z-a]'", 'illegal character range z-a'],
    ["'a' matches '\\p{Greek}'", '\\p{Greek} is not supported'],
    ["'a' matches 'a)'", "unmatched ')' at index 1"],
    ["'a' matches '(?x)a'", "inline flag 'x' is not supported (supported: i, s, m)"],
    ["'a' matches nearly.substring(0, 1) + '('", "invalid regular expression 'a(': unclosed group: add ')'"],
  ])('refuses %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });
});

describe('agreement with a reference engine', () => {
  // On this subset Java and JavaScript agree on which text matches (captures inside repeats
  // differ, so only whole matches are compared); JavaScript's RegExp is the oracle.
  // Quantifiers only apply to parts that cannot match empty text: engines legitimately differ
  // on empty iterations (ECMAScript rejects them, Java and this engine do not).
  const pattern = fc.letrec<{ solid: string; re: string }>((tie) => ({
    solid: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\w', '\\d', 'ab', '\\.', '[a-c1]', '\\s'),
      fc.tuple(tie('solid'), tie('solid')).map(([x, y]) => `${x}${y}`),
      fc.tuple(tie('solid'), tie('solid')).map(([x, y]) => `(?:${x}|${y})`),
      fc.tuple(tie('solid'), fc.constantFrom('+', '{1,2}', '{2}', '+?', '{1,3}?')).map(([x, q]) => `(?:${x})${q}`),
      tie('solid').map((x) => `(${x})`),
    ),
    re: fc.oneof(
      { depthSize: 'small' },
      tie('solid'),
      fc.tuple(tie('re'), tie('re')).map(([x, y]) => `${x}${y}`),
      fc.tuple(tie('re'), tie('re')).map(([x, y]) => `(?:${x}|${y})`),
      fc.tuple(tie('solid'), fc.constantFrom('*', '?', '{0,2}', '*?', '??')).map(([x, q]) => `(?:${x})${q}`),
      tie('re').map((x) => `(${x})`),
      tie('re').map((x) => `^${x}`),
      tie('re').map((x) => `${x}$`),
      tie('re').map((x) => `\\b${x}`),
    ),
  }));
  const subject = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', '.', ' '), maxLength: 12 });

  it('matches and replaces exactly where JavaScript does', () => {
    fc.assert(
      fc.property(pattern.re, subject, (re, text) => {
        const quoted = `'${text}'`;
        const java = re.replace(/\\\\/g, '\\');
        const reference = new RegExp(java);
        expect(valueOf(`${quoted} matches '${re}'`)).toBe(new RegExp(`^(?:${java})$`).test(text));
        expect(valueOf(`${quoted}.replaceAll('${re}', '<$0>')`)).toBe(text.replace(new RegExp(reference.source, 'g'), '<$&>'));
      }),
      { numRuns: Math.max(800, Number(process.env.FUZZ_RUNS ?? 0)) },
    );
  });
});
