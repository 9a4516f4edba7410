/**
 * Expressions are checked at validation time, with the position: every string of every stage as
 * a template, and stageEnabled / expression preconditions also as bare expressions. What Gennaker
 * cannot or will not evaluate is a warning, never an error: Spinnaker saves any text and the stage
 * records the failure when it runs. These tests protect where the issue points, how it reads, and
 * that the pipeline still saves.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { strictExpressionIssues } from '../../../core/pipeline/expression-syntax.ts';
import { errorsOf, issuesOf, pipeline, stage, wait } from './builders.ts';

const SYNTAX = /^expression syntax error at position \d+ of '.*': .+; the stage keeps the text and records the failure when it runs; fix the expression$/;

describe('expression syntax warnings', () => {
  it('points at a broken template anywhere in a stage, nested fields included', () => {
    const input = pipeline([stage('evaluateVariables', { variables: [{ key: 'a', value: 'ok' }, { key: 'b', value: { deep: ['fine', '${ parameters.x == }'] } }] })]);
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer: '/stages/0/variables/1/value/deep/1', code: 'expression-syntax', severity: 'warning' });
    expect(issues[0]?.message).toMatch(SYNTAX);
  });

  it('gives the 1-based position of the problem in the field', () => {
    const [issue] = issuesOf(pipeline([stage('checkPreconditions', { preconditions: [{ type: 'expression', context: { expression: '${ parameters.env == }' } }] })]));
    expect(issue).toMatchObject({ pointer: '/stages/0/preconditions/0/context/expression', code: 'expression-syntax' });
    expect(issue?.message).toMatch(/^expression syntax error at position 22 of '\$\{ parameters\.env == \}': .+; the stage keeps the text and records the failure when it runs; fix the expression$/);
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
    expect(issues[0]).toMatchObject({ pointer, code: 'expression-syntax', severity: 'warning' });
    expect(issues[0]?.message).toMatch(SYNTAX);
  });

  it('checks a bare expression precondition', () => {
    const issues = issuesOf(pipeline([stage('checkPreconditions', { preconditions: [{ type: 'expression', context: { expression: 'a ==' } }] })]));
    expect(issues).toEqual([expect.objectContaining({ pointer: '/stages/0/preconditions/0/context/expression', code: 'expression-syntax', severity: 'warning' })]);
  });

  it.each([
    ['a syntax Gennaker does not parse', { note: "${ parameters.list[0:1] }" }, '/stages/0/note', /expected '\]' to close '\[', found ':'/],
    ['instanceof', { note: "${ 'a' instanceof T(String) }" }, '/stages/0/note', /'instanceof' is not allowed/],
    ['a forbidden type reference', { note: "${ T(java.lang.Runtime).getRuntime().exec('id') }" }, '/stages/0/note', /type references are not allowed in Gennaker expressions: T\(java\.lang\.Runtime\)/],
    ['a constructor', { note: "${ new java.io.File('/etc/passwd').delete() }" }, '/stages/0/note', /constructors are not allowed/],
    ['an unknown helper', { note: '${ #notAHelper(trigger) }' }, '/stages/0/note', /unknown function #notAHelper\(\)/],
    ['a bean reference in stageEnabled', { stageEnabled: { type: 'expression', expression: '@environment.getProperty("x")' } }, '/stages/0/stageEnabled/expression', /bean references/],
    ['a computed #secret name', { note: '${ #secret(parameters.which) }' }, '/stages/0/note', /#secret takes the secret's name as a quoted literal/],
  ])('warns of %s, and the pipeline still saves', (_label, fields, pointer, reason) => {
    const input = pipeline([wait('1', [], fields)]);
    const { pipeline: parsed, issues } = parsePipeline(input);
    expect(parsed).toBeDefined();
    expect(issues).toEqual([expect.objectContaining({ pointer, code: 'expression-syntax', severity: 'warning' })]);
    expect(issues[0]?.message).toMatch(reason);
    expect(issues[0]?.message).toMatch(/the stage keeps the text and records the failure when it runs; fix the expression$/);
  });

  it('saves a precondition whose expression does not parse (the stage decides when it runs)', () => {
    const input = pipeline([stage('checkPreconditions', { preconditions: [{ type: 'expression', context: { expression: "T(java.lang.System).exit(1)" } }] })]);
    expect(parsePipeline(input).pipeline).toBeDefined();
    expect(errorsOf(input)).toEqual([]);
  });

  it('still refuses an empty stageEnabled expression, which is a missing value, not an expression', () => {
    expect(errorsOf(pipeline([wait('1', [], { stageEnabled: { type: 'expression', expression: ' ' } })]))).toEqual([
      expect.objectContaining({ pointer: '/stages/0/stageEnabled/expression', severity: 'error', message: expect.stringContaining('got an empty string') }),
    ]);
  });

  it('warns that failOnFailedExpressions at the pipeline level does nothing (Orca reads it on stages)', () => {
    expect(issuesOf(pipeline([wait('1')], { failOnFailedExpressions: true }))).toEqual([
      expect.objectContaining({ pointer: '/failOnFailedExpressions', severity: 'warning', message: expect.stringContaining('set failOnFailedExpressions on each stage') }),
    ]);
  });

  it('turns expression warnings into errors in strict mode, and only those', () => {
    const issues = parsePipeline(pipeline([wait('1', [], { note: '${ #nope() }' })], { limitConcurrent: true, maxConcurrentExecutions: 3 })).issues;
    expect(issues.map((issue) => [issue.code, issue.severity])).toEqual([
      ['invalid-value', 'warning'],
      ['expression-syntax', 'warning'],
    ]);
    expect(strictExpressionIssues(issues).map((issue) => [issue.code, issue.severity])).toEqual([
      ['invalid-value', 'warning'],
      ['expression-syntax', 'error'],
    ]);
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
