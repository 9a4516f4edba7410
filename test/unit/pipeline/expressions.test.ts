/**
 * Expression syntax is checked at validation time, with the position: every string of every
 * stage as a template, and stageEnabled / expression preconditions also as bare expressions.
 * The parser is core/expressions'; these tests protect where the issue points and how it reads.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { issuesOf, pipeline, stage, wait } from './builders.ts';

const SYNTAX = /^expression syntax error at position \d+ of '.*': .+; fix the expression$/;

describe('expression syntax errors', () => {
  it('points at a broken template anywhere in a stage, nested fields included', () => {
    const input = pipeline([stage('evaluateVariables', { variables: [{ key: 'a', value: 'ok' }, { key: 'b', value: { deep: ['fine', '${ parameters.x == }'] } }] })]);
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer: '/stages/0/variables/1/value/deep/1', code: 'expression-syntax', severity: 'error' });
    expect(issues[0]?.message).toMatch(SYNTAX);
  });

  it('gives the 1-based position of the problem in the field', () => {
    const [issue] = issuesOf(pipeline([stage('checkPreconditions', { preconditions: [{ type: 'expression', context: { expression: '${ parameters.env == }' } }] })]));
    expect(issue).toMatchObject({ pointer: '/stages/0/preconditions/0/context/expression', code: 'expression-syntax' });
    expect(issue?.message).toMatch(/^expression syntax error at position 22 of '\$\{ parameters\.env == \}': .+; fix the expression$/);
  });

  it('reports an unclosed template', () => {
    const [issue] = issuesOf(pipeline([wait('1', [], { waitTime: '${ parameters.wait ' })]));
    expect(issue).toMatchObject({ pointer: '/stages/0/waitTime', code: 'expression-syntax' });
    expect(issue?.message).toMatch(/^expression syntax error at position 1 of/);
  });

  it.each([
    ['a bare stageEnabled expression', { stageEnabled: { type: 'expression', expression: "parameters.env == 'prod' &&" } }, '/stages/0/stageEnabled/expression'],
    ['a wrapped stageEnabled expression', { stageEnabled: { type: 'expression', expression: '${ trigger.x == }' } }, '/stages/0/stageEnabled/expression'],
  ])('checks %s, once', (_label, fields, pointer) => {
    const issues = issuesOf(pipeline([wait('1', [], fields)]));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer, code: 'expression-syntax', severity: 'error' });
    expect(issues[0]?.message).toMatch(SYNTAX);
  });

  it('checks a bare expression precondition', () => {
    const issues = issuesOf(pipeline([stage('checkPreconditions', { preconditions: [{ type: 'expression', context: { expression: 'a ==' } }] })]));
    expect(issues).toEqual([expect.objectContaining({ pointer: '/stages/0/preconditions/0/context/expression', code: 'expression-syntax' })]);
  });

  it('does not check stages that skip expression evaluation', () => {
    expect(issuesOf(pipeline([wait('1', [], { skipExpressionEvaluation: true, manifest: '${ broken ' })]))).toEqual([]);
  });

  it('accepts the expressions real pipelines use', () => {
    const input = pipeline([
      wait('1', [], { waitTime: '${ #toInt(parameters.pause) }', stageEnabled: { type: 'expression', expression: "${ #stage('Canary Analysis')['status'].toString() == 'SUCCEEDED'}" } }),
      stage('pipeline', { application: 'a', pipeline: "${#pipelineId('Deploy')}", pipelineParameters: { successRate: '${ parameters.successRate }' } }, '2'),
      stage('checkPreconditions', { preconditions: [{ type: 'expression', context: { expression: "parameters.env == 'prod'" } }] }, '3'),
    ]);
    expect(parsePipeline(input).issues).toEqual([]);
  });

  it('does not check strings without a template', () => {
    expect(issuesOf(pipeline([wait('1', [], { comments: 'costs $5 {maybe}' })]))).toEqual([]);
  });
});
