/**
 * `${ }` templates inside strings: raw values for a lone template, concatenation with text,
 * failed templates keeping their text, whole documents with JSON pointers, and the two forms
 * (bare or wrapped) of a single expression such as `stageEnabled.expression`.
 */
import { describe, expect, it } from 'vitest';
import { evaluateDeep, evaluateExpression, evaluateTemplate, hasTemplate } from '../../../core/expressions/index.ts';
import { createContext } from '../../fixtures/expressions/context.ts';

const ctx = createContext();

describe('hasTemplate', () => {
  it.each([
    ['${ parameters.env }', true],
    ['prefix-${x}-suffix', true],
    ['${ unclosed', true],
    ['no template', false],
    ['$ {not}', false],
    ['{x}', false],
    ['', false],
  ])('%j → %s', (text, expected) => {
    expect(hasTemplate(text)).toBe(expected);
  });
});

describe('evaluateTemplate', () => {
  it.each([
    ['${ parameters.hellotag }', 'v1.4.2'],
    ['${replicas}', 3],
    ['${ replicas > 2 }', true],
    ['${ tags }', ['blue', 'green', 'canary']],
    ['${ labels }', { app: 'hello', tier: 'web' }],
    ['${ nothing }', null],
    ['${ 2.0 }', 2],
    ['${ {a: 1.0} }', { a: 1 }],
    ['us-docker.pkg.dev/acme/hello:${ parameters.hellotag }', 'us-docker.pkg.dev/acme/hello:v1.4.2'],
    ['${parameters.env}-${replicas}-x-${ratio}', 'prod-3-x-0.25'],
    ['replicas: ${ 2.0 * replicas }', 'replicas: 6.0'],
    ['tags=${tags}', 'tags=blue,green,canary'],
    ['labels=${labels}', 'labels={app=hello, tier=web}'],
    ['[${ nothing }]', '[]'],
    [' ${ replicas } ', ' 3 '],
    ['${ {1, 2}.size() }', 2],
    ["${ 'a}b' }", 'a}b'],
    ['${ "{" + \'}\' }', '{}'],
    ['no templates at all', 'no templates at all'],
    ['costs $5 and {braces}', 'costs $5 and {braces}'],
    ['$${ replicas }', '$3'],
  ])('%j → %j', (text, expected) => {
    const result = evaluateTemplate(text, ctx);
    expect(result.failures).toEqual([]);
    expect(result.value).toEqual(expected);
  });

  it('keeps a failed lone template as its text and reports it', () => {
    expect(evaluateTemplate('${ parameters.nope }', ctx)).toEqual({
      value: '${ parameters.nope }',
      failures: [
        {
          expression: '${ parameters.nope }',
          message: "property 'nope' not found on map with keys hellotag, successRate, env, count, enabled; use ['nope'] to get null for a missing key",
          kind: 'evaluation',
        },
      ],
    });
  });

  it("keeps a template whose value is null as its text, as Orca's v4 does at a stage, when the context asks", () => {
    const orca = { ...ctx, keepUnresolved: true };
    expect(evaluateTemplate("${ parameters['absent'] }", orca)).toEqual({
      value: "${ parameters['absent'] }",
      failures: [{ expression: "${ parameters['absent'] }", message: "parameters['absent'] not found (its value is null); the text is kept", kind: 'unresolved' }],
    });
    expect(evaluateTemplate("v-${ parameters['absent'] }-${ replicas }", orca)).toMatchObject({ value: "v-${ parameters['absent'] }-3", failures: [{ kind: 'unresolved' }] });
    // Without it, null is the value.
    expect(evaluateTemplate("${ parameters['absent'] }", ctx)).toEqual({ value: null, failures: [] });
  });

  it('evaluates the other templates of a string when one fails', () => {
    // when
    const result = evaluateTemplate('${ parameters.env }/${ nope }/${ replicas }', ctx);
    // then
    expect(result.value).toBe('prod/${ nope }/3');
    expect(result.failures.map((f) => f.expression)).toEqual(['${ nope }']);
  });

  it('reports a syntax error with its offset in the whole string', () => {
    const result = evaluateTemplate('image:${ parameters.env == }', ctx);
    expect(result.value).toBe('image:${ parameters.env == }');
    expect(result.failures).toEqual([
      { expression: '${ parameters.env == }', message: 'syntax error at offset 27: the expression ends where a value was expected', kind: 'parse' },
    ]);
  });

  it('keeps the rest of the string after an unclosed template', () => {
    const result = evaluateTemplate('${ replicas }-${ tags[0]', ctx);
    expect(result.value).toBe('3-${ tags[0]');
    expect(result.failures).toEqual([{ expression: '${ tags[0]', message: "syntax error at offset 14: template is not closed: add '}' after the expression started by ${", kind: 'parse' }]);
  });

  it('fails a result longer than the string limit', () => {
    const result = evaluateTemplate("x${ 'ab' * 600 }", createContext({ limits: { maxStringLength: 1000 } }));
    expect(result.value).toBe("x${ 'ab' * 600 }");
    expect(result.failures[0]?.message).toBe('a string of 1200 characters exceeds the limit of 1000');
  });
});

describe('evaluateDeep', () => {
  it('evaluates every string of a stage context and reports failures by JSON pointer', () => {
    // given
    const context = {
      manifests: [
        {
          kind: 'Deployment',
          metadata: { name: 'hello-${ parameters.env }', labels: { 'app/${ labels.app }': '${ labels.tier }' } },
          spec: { replicas: '${ replicas }', image: 'gcr.io/acme/hello:${ parameters.hellotag }', paused: false, weight: 3 },
        },
      ],
      cluster: '${ #stage("Clone Server Group").context.source.serverGroupName }',
      broken: ['ok', '${ nope.x }'],
      'a/b~c': '${ nope }',
    };
    // when
    const result = evaluateDeep(context, ctx);
    // then
    expect(result.value).toEqual({
      manifests: [
        {
          kind: 'Deployment',
          metadata: { name: 'hello-prod', labels: { 'app/hello': 'web' } },
          spec: { replicas: 3, image: 'gcr.io/acme/hello:v1.4.2', paused: false, weight: 3 },
        },
      ],
      cluster: 'hello-prod-v041',
      broken: ['ok', '${ nope.x }'],
      'a/b~c': '${ nope }',
    });
    expect(result.failures.map((f) => [f.pointer, f.expression])).toEqual([
      ['/broken/1', '${ nope.x }'],
      ['/a~1b~0c', '${ nope }'],
    ]);
  });

  it('returns a new value and leaves the input untouched', () => {
    // given
    const input = { a: ['${ replicas }'], b: { c: 'plain' } };
    const snapshot = structuredClone(input);
    // when
    const result = evaluateDeep(input, ctx);
    // then
    expect(input).toEqual(snapshot);
    expect(result.value).not.toBe(input);
    expect((result.value as { b: unknown }).b).not.toBe(input.b);
  });

  it.each([
    ['${ replicas }', 3],
    [42, 42],
    [null, null],
    [true, true],
  ])('evaluates a bare %j', (input, expected) => {
    expect(evaluateDeep(input, ctx)).toEqual({ value: expected, failures: [] });
  });

  it('stops evaluating once the document step budget is spent', () => {
    // given: each string costs 12 steps; the document may spend 25
    const limits = { maxSteps: 1000, maxTotalSteps: 25 };
    const strings = Array.from({ length: 4 }, () => '${ servers.![name].size() }');
    // when
    const result = evaluateDeep(strings, createContext({ limits }));
    // then
    expect(result.value).toEqual([3, 3, strings[2], strings[3]]);
    expect(result.failures.map((f) => [f.pointer, f.message])).toEqual([
      ['/2', 'the 25 evaluation steps for this document ran out while evaluating this string'],
      ['/3', 'not evaluated: the 25 evaluation steps for this document are spent'],
    ]);
  });

  it('reports a value that contains itself instead of recursing forever', () => {
    // given
    const cyclic: Record<string, unknown> = { a: '${ replicas }' };
    cyclic.self = cyclic;
    // when
    const result = evaluateDeep(cyclic, ctx);
    // then
    expect(result.failures).toEqual([{ pointer: '/self', expression: '', message: 'the value contains itself; not evaluated', kind: 'evaluation' }]);
  });
});

describe('evaluateExpression', () => {
  it.each([
    ["parameters.env == 'prod'", true],
    ["${ parameters.env == 'prod' }", true],
    ["  ${parameters.env == 'prod'}  ", true],
    ["${ #stage('Canary Analysis')['status'].toString() == 'SUCCEEDED'}", true],
    ['replicas', 3],
    ['${ tags }', ['blue', 'green', 'canary']],
    ["#doNotEval('${x}')", '${x}'],
    ["'${x}'", '${x}'],
    ['${ parameters.env }-${ replicas }', 'prod-3'],
  ])('%j → %j', (expression, expected) => {
    expect(evaluateExpression(expression, ctx)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['parameters.nope', "property 'nope' not found on map"],
    ['${ nope }', "property 'nope' not found in the expression context"],
    ['', 'syntax error at offset 0: empty expression'],
    ['${}', "syntax error at offset 0: empty template '${}'"],
    ['a ==', 'syntax error at offset 4: the expression ends where a value was expected'],
    ['${ a }-${ nope }', "property 'a' not found"],
  ])('fails %j', (expression, message) => {
    const result = evaluateExpression(expression, ctx);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toContain(message);
  });
});
