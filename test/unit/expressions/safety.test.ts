/**
 * Safety by construction: no expression reaches a prototype, a constructor, a getter or a
 * function in the data, nothing pollutes Object.prototype, results are plain data, and every
 * limit (steps, nesting, text and collection sizes) ends the evaluation with a failure value.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluateDeep, evaluateExpression, evaluateTemplate, type EvaluationContext } from '../../../core/expressions/index.ts';
import { createContext } from '../../fixtures/expressions/context.ts';
import { assertPlainData, prototypeSnapshot } from './plain-data.ts';

let getterCalls = 0;
const hostile: Record<string, unknown> = {
  fn: () => 'ran',
  nested: { ok: 1, method() {
    return 'ran';
  } },
  date: new Date(0),
  map: new Map([['a', 1]]),
  instance: new (class Service {
    secret = 'x';
  })(),
  parsed: JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as unknown,
};
const self: Record<string, unknown> = { name: 'loop' };
self.self = self;
hostile.cyclic = self;

const variables: Record<string, unknown> = { ...createContext().variables, ...hostile };
Object.defineProperty(variables, 'getter', {
  enumerable: true,
  get() {
    getterCalls++;
    return 'ran';
  },
});
const ctx: EvaluationContext = createContext({ variables });
const before = prototypeSnapshot();

beforeEach(() => {
  getterCalls = 0;
});

afterEach(() => {
  // then, after every test: nothing leaked into the host
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(prototypeSnapshot()).toEqual(before);
  expect(getterCalls).toBe(0);
});

function outcome(expression: string): { ok: boolean; text: string } {
  const result = evaluateExpression(expression, ctx);
  if (result.ok) assertPlainData(result.value);
  return result.ok ? { ok: true, text: JSON.stringify(result.value) ?? 'undefined' } : { ok: false, text: result.message };
}

describe('prototypes and constructors are out of reach', () => {
  it.each([
    ['__proto__', "property '__proto__' not found in the expression context"],
    ['constructor', "property 'constructor' not found in the expression context"],
    ['#root.constructor', "property 'constructor' not found in the expression context"],
    ['#root.__proto__.polluted', "property '__proto__' not found"],
    ["#root['__proto__']", 'null'],
    ["labels['constructor']", 'null'],
    ["labels['__proto__']", 'null'],
    ['labels.constructor', "property 'constructor' not found on map"],
    ['labels.constructor.constructor("return process")()', "syntax error at offset 48: unexpected '(' after a complete expression"],
    ["'x'.constructor", "property 'constructor' not found on string 'x'"],
    ["'x'.constructor()", 'method constructor() is not available on a string'],
    ['tags.constructor', "property 'constructor' not found on a list"],
    ["tags['constructor']", "a list or string index must be an integer, got string 'constructor'"],
    ['tags.length', "property 'length' not found on a list"],
    ["tags['length']", "a list or string index must be an integer, got string 'length'"],
    ['labels.hasOwnProperty("app")', 'method hasOwnProperty() is not available on a map'],
    ['labels.valueOf()', 'method valueOf() is not available on a map'],
    ['labels.__defineGetter__("x", null)', 'method __defineGetter__() is not available on a map'],
    ['labels.toString.call', "property 'toString' not found on map"],
    ['{}.prototype', "property 'prototype' not found on a list"],
    ['{:}.prototype', "property 'prototype' not found on map (it is empty)"],
    ["{'__proto__': {polluted: true}}", "map key '__proto__' is not allowed"],
    ['{__proto__: {polluted: true}}', "map key '__proto__' is not allowed"],
    ["#readJson('{\"__proto__\": {\"polluted\": true}}')", "map key '__proto__' is not allowed"],
    ["#readYaml('__proto__: {polluted: true}')", "map key '__proto__' is not allowed"],
    ["#readJson('{\"constructor\": {\"prototype\": {\"polluted\": true}}}').constructor.prototype.polluted", 'true'],
    ['T(java.lang.Runtime).getRuntime()', 'type references are not allowed in Gennaker expressions'],
    ['T(java.lang.Class).forName("x")', 'type references are not allowed in Gennaker expressions'],
    ['new java.lang.ProcessBuilder("sh").start()', 'constructors are not allowed in Gennaker expressions'],
    ["''.getClass().forName('java.lang.Runtime')", 'method getClass() is not available on a string'],
  ])('%s → %s', (expression, expected) => {
    expect(outcome(expression).text).toContain(expected);
  });
});

describe('only plain data is read', () => {
  it.each([
    ['fn', "property 'fn' holds a function; expressions only read data"],
    ['fn()', 'method fn() is not available on a map'],
    ['nested.method', "property 'method' holds a function; expressions only read data"],
    ['nested.method()', 'method method() is not available on a map'],
    ['nested', "holds a function"],
    ['#toJson(nested)', 'holds a function'],
    ['date', "property 'date' holds a Date object, which is not plain data"],
    ['map', "property 'map' holds a Map object, which is not plain data"],
    ['instance', "property 'instance' holds a Object object, which is not plain data"],
    ['getter', "property 'getter' not found in the expression context"],
    ["#root['getter']", 'null'],
    ['parsed.ok', '1'],
    ['parsed', "map key '__proto__' is not allowed"],
    ['cyclic.self.self.self.name', '"loop"'],
    ['cyclic', 'data nested deeper than 128 levels (is it cyclic?)'],
    ['#toJson(cyclic)', '#toJson(): data nested deeper than 128 levels'],
    ['cyclic == cyclic', 'data nested deeper than 128 levels'],
  ])('%s → %s', (expression, expected) => {
    expect(outcome(expression).text).toContain(expected);
  });

  it('never invokes getters, even when listing keys', () => {
    expect(outcome('#root.keySet().contains("getter")').text).toBe('false');
    expect(outcome('#root.size()').ok).toBe(true);
  });

  it('returns fresh plain objects from evaluateDeep, however the keys look', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": "${ replicas }"}') as unknown;
    const result = evaluateDeep(input, ctx);
    expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
    expect((result.value as Record<string, unknown>).a).toBe(3);
  });
});

describe('bounded work', () => {
  it.each([
    ['steps', "('a,' * 30000).split(',').![#this + #this].size()", { maxSteps: 10_000 }, 'evaluation needed more than 10000 steps'],
    ['nested projections', 'tags.![#root.tags.![#root.tags.![#root.tags.![#root.tags.![#root.tags.![#root.tags.![#root.tags.![#this]]]]]]]]', { maxSteps: 10_000 }, 'evaluation needed more than 10000 steps'],
    ['string length', "'ab' * 600000", {}, 'a string of 1200000 characters exceeds the limit of 1000000'],
    ['doubling', "('x' * 1000) + ('x' * 1000)", { maxStringLength: 1500 }, 'a string of 2000 characters exceeds the limit of 1500'],
    ['collection size', "('a,' * 150000).split(',')", { maxRegexSteps: 5_000_000 }, 'a collection of 100001 elements exceeds the limit of 100000'],
    ['regex steps', "('a' * 20000) matches '(a|aa)+b'", { maxRegexSteps: 100_000 }, 'needed more than 100000 steps'],
    ['toJson size', "#toJson(('a,' * 40000).split(','))", { maxStringLength: 100_000 }, 'a string of more than 100000 characters exceeds the limit'],
  ])('stops on %s', (_what, expression, limits, message) => {
    const result = evaluateExpression(expression, createContext({ limits }));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toContain(message);
  });

  it('refuses text longer than the template limit without scanning it', () => {
    const text = `${'x'.repeat(2000)}\${ replicas }`;
    const result = evaluateTemplate(text, createContext({ limits: { maxTextLength: 1000 } }));
    expect(result.value).toBe(text);
    expect(result.failures[0]?.message).toBe('text is 2013 characters long; templates are evaluated only up to 1000');
  });

  it('survives the deepest nesting the parser accepts', () => {
    const deep = `${'{'.repeat(60)}1${'}'.repeat(60)}`;
    const result = evaluateExpression(deep, ctx);
    expect(result.ok).toBe(true);
  });

  it('survives a very long flat chain', () => {
    const sum = Array.from({ length: 2000 }, () => '1').join(' + ');
    expect(evaluateExpression(sum, ctx)).toEqual({ ok: true, value: 2000 });
    const path = `cyclic${'.self'.repeat(1500)}.name`;
    expect(evaluateExpression(path, ctx)).toEqual({ ok: true, value: 'loop' });
  });
});
