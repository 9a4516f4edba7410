/**
 * Fuzzing with fast-check: arbitrary strings and grammar-shaped random expressions over a
 * hostile context. Whatever the input, the evaluator never throws, always finishes (the small
 * step limits below bound every run), returns only plain data, never touches a built-in
 * prototype or a getter, and validation agrees with evaluation about syntax errors.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  evaluateDeep,
  evaluateExpression,
  evaluateTemplate,
  findExpressionSyntaxErrors,
  findTemplateSyntaxErrors,
  type EvaluationContext,
} from '../../../core/expressions/index.ts';
import { createContext } from '../../fixtures/expressions/context.ts';
import { assertPlainData, prototypeSnapshot } from './plain-data.ts';

let getterCalls = 0;
const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;
const variables: Record<string, unknown> = {
  ...createContext().variables,
  fn: () => 'ran',
  nested: { method: () => 'ran', ok: 1 },
  date: new Date(0),
  cyclic,
  parsed: JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
};
Object.defineProperty(variables, 'getter', {
  enumerable: true,
  get() {
    getterCalls++;
    return 'ran';
  },
});

/** Small limits keep every run short: the step meter, not the wall clock, bounds the work. */
const ctx: EvaluationContext = createContext({
  variables,
  limits: { maxSteps: 5_000, maxTotalSteps: 20_000, maxRegexSteps: 50_000, maxStringLength: 100_000, maxCollectionSize: 5_000 },
});

const prototypesBefore = prototypeSnapshot();

/** `FUZZ_RUNS=100000 npx vitest run test/unit/expressions/fuzz.test.ts` for a long campaign. */
const runs = (base: number): number => Math.max(base, Number(process.env.FUZZ_RUNS ?? 0));

afterEach(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(prototypeSnapshot()).toEqual(prototypesBefore);
  expect(getterCalls).toBe(0);
});

function checkHostUntouched(): void {
  if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype polluted');
  if (getterCalls !== 0) throw new Error('a getter ran');
}

function checkOffsets(errors: ReadonlyArray<{ offset: number; message: string }>, text: string): void {
  for (const error of errors) {
    if (!Number.isInteger(error.offset) || error.offset < 0 || error.offset > text.length) throw new Error(`offset ${error.offset} outside ${text.length}`);
    if (typeof error.message !== 'string' || error.message === '') throw new Error('empty message');
  }
}

/** Runs every entry point on one input and checks the invariants. */
function exercise(text: string): void {
  const templateErrors = findTemplateSyntaxErrors(text);
  const expressionErrors = findExpressionSyntaxErrors(text);
  checkOffsets(templateErrors, text);
  checkOffsets(expressionErrors, text);

  const asExpression = evaluateExpression(text, ctx);
  if (asExpression.ok) assertPlainData(asExpression.value);
  // validation and evaluation agree
  if (expressionErrors.length > 0 && asExpression.ok) throw new Error('validation found an error evaluation did not');
  if (expressionErrors.length === 0 && !asExpression.ok && asExpression.message.startsWith('syntax error')) {
    throw new Error(`evaluation found a syntax error validation did not: ${asExpression.message}`);
  }

  const asTemplate = evaluateTemplate(text, ctx);
  assertPlainData(asTemplate.value);
  if (templateErrors.length > 0 && asTemplate.failures.length === 0) throw new Error('a broken template was not reported');
  if (templateErrors.length === 0 && asTemplate.failures.some((f) => f.message.startsWith('syntax error'))) {
    throw new Error('evaluation found a template syntax error validation did not');
  }

  const wrapped = evaluateTemplate(`x-\${${text}}`, ctx);
  if (typeof wrapped.value !== 'string') throw new Error('text around a template must give text');

  const deep = evaluateDeep({ [text]: [text, { k: text }] }, ctx);
  assertPlainData(deep.value);
  checkHostUntouched();
}

const spelCharacters = [
  '$', '{', '}', '(', ')', '[', ']', "'", '"', '#', '.', '?', ':', '!', '^', '=', '<', '>', '&', '|', '+', '-', '*', '/', '%', ' ', ',', ';', '@', '\\',
  'a', 'b', 'x', '1', '0', 'e', 'T', 'new ', 'and ', ' or ', 'not ', 'null', 'true', 'this', 'root', 'stage', 'toJson',
  '__proto__', 'constructor', 'tags', 'labels', 'fn', 'getter', 'cyclic', 'self',
];

describe('arbitrary strings', () => {
  it('never throw, always finish, and yield plain data', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 120 }),
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.string({ unit: fc.constantFrom(...spelCharacters), maxLength: 40 }),
          fc.string({ unit: fc.constantFrom(...spelCharacters), maxLength: 40 }).map((inner) => `\${${inner}}`),
        ),
        (text) => exercise(text),
      ),
      { numRuns: runs(600) },
    );
  });
});

const names = [
  'parameters', 'trigger', 'labels', 'tags', 'servers', 'nothing', 'empty', 'replicas', 'ratio', 'fn', 'nested', 'getter', 'date', 'cyclic', 'self',
  'parsed', 'name', 'key', 'value', 'x', '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'length', 'size',
];
const methods = [
  'toString', 'size', 'isEmpty', 'contains', 'get', 'keySet', 'values', 'entrySet', 'split', 'replaceAll', 'replace', 'matches', 'substring',
  'toUpperCase', 'length', 'charAt', 'indexOf', 'concat', 'equals', 'containsKey', 'getOrDefault', 'subList', 'intValue',
  'constructor', 'valueOf', 'call', 'apply', 'bind', '__defineGetter__', 'getClass', 'hasOwnProperty',
];
const helpers = [
  'stage', 'stageByRefId', 'stageExists', 'judgment', 'toJson', 'readJson', 'readYaml', 'toInt', 'toFloat', 'toBoolean', 'toBase64', 'fromBase64',
  'alphanumerical', 'doNotEval', 'pipelineIdOrNull', 'deployedServerGroups', 'triggerResolvedArtifact', 'fromUrl', 'exec',
];
const literal = fc.oneof(
  fc.integer({ min: -3, max: 40 }).map(String),
  fc.constantFrom('1.5', '2.0', '0', 'null', 'true', 'false', "''", "'a'", "'__proto__'", "'constructor'", "'{\"a\":[1,{}]}'", "'.*'", "'(a+)+$'", "'a,b'", "'a: [1, *x]'"),
  fc.string({ maxLength: 6 }).map((s) => `'${s.replace(/'/g, "''")}'`),
);

const grammar = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small' },
    literal,
    fc.constantFrom(...names, '#this', '#root', '#unset'),
    fc.tuple(tie('expr'), fc.constantFrom('.', '?.'), fc.constantFrom(...names)).map(([e, dot, n]) => `${e}${dot}${n}`),
    fc.tuple(tie('expr'), tie('expr')).map(([e, i]) => `${e}[${i}]`),
    fc.tuple(tie('expr'), fc.constantFrom(...methods), fc.array(tie('expr'), { maxLength: 2 })).map(([e, m, args]) => `${e}.${m}(${args.join(', ')})`),
    fc
      .tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '%', '^', '==', '!=', '<', '>=', 'and', 'or', 'matches', '?:', 'between'), tie('expr'))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(fc.constantFrom('!', '-', 'not '), tie('expr')).map(([op, e]) => `${op}(${e})`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    fc.tuple(tie('expr'), fc.constantFrom('.?[', '.^[', '.$[', '.!['), tie('expr')).map(([e, s, body]) => `${e}${s}${body}]`),
    fc.array(tie('expr'), { maxLength: 3 }).map((items) => `{${items.join(', ')}}`),
    fc.tuple(fc.constantFrom(...names), tie('expr')).map(([k, v]) => `{${k}: ${v}}`),
    fc.tuple(fc.constantFrom(...helpers), tie('expr')).map(([h, arg]) => `#${h}(${arg})`),
    fc.tuple(fc.constantFrom('T(java.lang.Math).max', 'T(Integer).valueOf', 'T(java.lang.Runtime).getRuntime', 'new java.util.Date'), tie('expr')).map(
      ([call, arg]) => `${call}(${arg}${call.endsWith('max') ? ', 1' : ''})`,
    ),
  ),
}));

describe('grammar-shaped expressions', () => {
  it('never throw, always finish, and never reach host code', () => {
    fc.assert(
      fc.property(grammar.expr, (expression) => {
        exercise(expression);
        exercise(`\${${expression}}`);
      }),
      { numRuns: runs(1_500) },
    );
  });

  it('mostly parse, so evaluation is really exercised', () => {
    const samples = fc.sample(grammar.expr, { numRuns: 300, seed: 7 });
    const parsed = samples.filter((expression) => findExpressionSyntaxErrors(expression).length === 0);
    const evaluated = parsed.filter((expression) => evaluateExpression(expression, ctx).ok);
    expect(parsed.length).toBeGreaterThan(200);
    expect(evaluated.length).toBeGreaterThan(30);
  });
});
