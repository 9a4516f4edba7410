/**
 * Documents in: JSON or YAML, one pipeline or a list. Documents out: exactly what was given
 * (unknown fields kept), so Gennaker can store and serve pipelines without losing anything.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePipeline, readPipelineDocument, serializePipeline } from '../../../core/pipeline/parse.ts';
import { planStage } from '../../../core/pipeline/stage-types/index.ts';
import { pipeline, wait } from './builders.ts';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/pipelines');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

describe('readPipelineDocument', () => {
  it('reads one JSON pipeline with an empty pointer', () => {
    expect(readPipelineDocument('{"application": "hello", "name": "x"}')).toEqual({ pipelines: [{ pointer: '', input: { application: 'hello', name: 'x' } }], issues: [] });
  });

  it('reads an array of pipelines, one pointer each', () => {
    const { pipelines, issues } = readPipelineDocument('[{"name": "a"}, {"name": "b"}, {"name": "c"}]');
    expect(issues).toEqual([]);
    expect(pipelines.map((entry) => entry.pointer)).toEqual(['/0', '/1', '/2']);
  });

  it('reads YAML into the same document as the equivalent JSON', () => {
    const yaml = readPipelineDocument(fixture('release.yaml'));
    const json = readPipelineDocument(fixture('release.json'));
    expect(yaml.issues).toEqual([]);
    expect(yaml.pipelines).toEqual(json.pipelines);
  });

  it('reads a YAML list of pipelines', () => {
    const { pipelines } = readPipelineDocument('- application: a\n  name: one\n- application: a\n  name: two\n');
    expect(pipelines).toEqual([
      { pointer: '/0', input: { application: 'a', name: 'one' } },
      { pointer: '/1', input: { application: 'a', name: 'two' } },
    ]);
  });

  it('accepts a byte order mark', () => {
    expect(readPipelineDocument('\uFEFF{"name": "x"}').issues).toEqual([]);
  });

  it.each([
    ['', 'the document is empty; give one pipeline object or a list of pipelines'],
    ['{"application": "hello",\n  "name": }', "JSON syntax error at line 2, column 11: Unexpected token '}'; fix the document"],
    ['[{"name": "a"}\n{"name": "b"}]', "JSON syntax error at line 2, column 1: Expected ',' or ']' after array element; fix the document"],
    ['{"name": "a"} trailing', 'JSON syntax error at line 1, column 15: Unexpected non-whitespace character after JSON; fix the document'],
    ['application: hello\nname: [unclosed\nstages: []\n', 'YAML syntax error at line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the document'],
    ['application: a\napplication: b\n', 'YAML syntax error at line 2, column 1: Map keys must be unique; fix the document'],
    ['application: a\n---\napplication: b\n', 'holds 2 YAML documents; put the pipelines in one document, as a list'],
    ['just text', "expected a pipeline object or a list of pipelines, got 'just text'"],
    ['[]', 'the document is an empty list; add at least one pipeline'],
  ])('reports %j as one document issue', (text, message) => {
    expect(readPipelineDocument(text)).toEqual({ pipelines: [], issues: [expect.objectContaining({ pointer: '', code: 'invalid-document', severity: 'error', message })] });
  });

  it('refuses YAML that expands aliases without bound', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const { pipelines, issues } = readPipelineDocument(lines.join('\n'));
    expect(pipelines).toEqual([]);
    expect(issues[0]?.message).toMatch(/^YAML document cannot be read: .*; fix the document$/);
  });
});

describe('round trip', () => {
  it('serializes exactly the document given, unknown fields included', () => {
    const input = JSON.parse(fixture('release.json')) as Record<string, unknown>;
    const { pipeline: parsed, issues } = parsePipeline(input);
    expect(issues).toEqual([]);
    expect(serializePipeline(parsed!)).toEqual(input);
  });

  it('keeps unknown fields at every level', () => {
    const input = pipeline([wait('1', [], { futureField: { nested: [1, 'two', null] } })], {
      appConfig: {},
      updateTs: '1567923949277',
      triggers: [{ type: 'manual', somethingNew: true }],
    });
    const { pipeline: parsed } = parsePipeline(input);
    expect(serializePipeline(parsed!)).toEqual(input);
    expect(parsed?.stages[0]?.raw).toEqual(input.stages && (input.stages as unknown[])[0]);
  });

  it('is not changed by later changes to the input or the output', () => {
    const input = pipeline([wait('1')]);
    const { pipeline: parsed } = parsePipeline(input);
    (input.stages as Array<Record<string, unknown>>)[0]!.waitTime = 999;
    serializePipeline(parsed!).name = 'changed';
    expect(serializePipeline(parsed!)).toEqual(pipeline([wait('1')]));
  });

  it('keeps a key named __proto__ as data', () => {
    const input = JSON.parse('{"application": "a", "name": "n", "__proto__": {"polluted": true}}') as Record<string, unknown>;
    const { pipeline: parsed } = parsePipeline(input);
    const out = serializePipeline(parsed!);
    expect(Object.keys(out)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

describe('legacy linear fixture', () => {
  it('parses to a chain in array order, with its disabled jenkins trigger kept as a warning', () => {
    const { pipelines } = readPipelineDocument(fixture('legacy-linear.json'));
    const { pipeline: parsed, issues } = parsePipeline(pipelines[0]!.input);
    expect(issues.map((issue) => `${issue.severity} ${issue.pointer} ${issue.code}`)).toEqual(['warning /triggers/0/type trigger-type-unsupported']);
    expect(parsed?.legacyOrder).toBe(true);
    expect(parsed?.stages.map((stage) => `${stage.refId}<-[${stage.requisiteStageRefIds.join(',')}] ${stage.type}`)).toEqual([
      '1<-[] bake',
      '2<-[1] deploy',
      '3<-[2] wait',
      '4<-[3] disableCluster',
    ]);
    expect(parsed && planStage(parsed.stages[1]!).map((step) => step.name)).toEqual(['createServerGroup', 'waitForUpInstances', 'shrinkCluster']);
  });
});

describe('non-JSON input', () => {
  it.each([
    [{ application: 'a', name: 'n', f: () => 1 }, '/f', 'holds a function, which JSON cannot represent; give plain JSON data'],
    [{ application: 'a', name: 'n', when: new Date(0) }, '/when', 'holds a Date object, which JSON cannot represent; give plain JSON data'],
    [{ application: 'a', name: 'n', big: 1n }, '/big', 'holds a bigint, which JSON cannot represent; give plain JSON data'],
    [{ application: 'a', name: 'n', n: Number.NaN }, '/n', 'holds NaN, which JSON cannot represent; use a finite number'],
  ])('refuses %o', (input, pointer, message) => {
    expect(parsePipeline(input).issues).toEqual([{ pointer, code: 'invalid-document', severity: 'error', message }]);
  });

  it('refuses a reference cycle', () => {
    const input: Record<string, unknown> = { application: 'a', name: 'n' };
    input.self = input;
    expect(parsePipeline(input).issues).toEqual([
      { pointer: '/self', code: 'invalid-document', severity: 'error', message: 'refers back to itself (a reference cycle), which JSON cannot represent; give plain JSON data' },
    ]);
  });

  it('refuses absurd nesting with a limit issue', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 300; i++) deep = [deep];
    const { issues } = parsePipeline({ application: 'a', name: 'n', deep });
    expect(issues).toEqual([expect.objectContaining({ code: 'limit', severity: 'error', message: 'is nested more than 256 levels deep; flatten the document' })]);
  });
});
