/**
 * Real expressions: every `${...}` string of the conformance corpus of public Spinnaker
 * pipelines parses, and evaluates without failure against an execution shaped like the one
 * those pipelines run in; plus the patterns Spinnaker's expression guide teaches.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateExpression, evaluateTemplate, findExpressionSyntaxErrors, findTemplateSyntaxErrors } from '../../../core/expressions/index.ts';
import { createContext, execution, stage } from '../../fixtures/expressions/context.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

const CORPUS = CONFORMANCE_CORPUS;

/** Every string (value or key) holding `${`, and every stageEnabled / precondition expression, with where it came from. */
function collectExpressions(): { templates: Array<[string, string]>; bare: Array<[string, string]> } {
  const templates: Array<[string, string]> = [];
  const bare: Array<[string, string]> = [];
  const walk = (value: unknown, where: string): void => {
    if (typeof value === 'string') {
      if (value.includes('${')) templates.push([where, value]);
    } else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${where}/${i}`));
    else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (record.type === 'expression') {
        // stageEnabled: { type, expression }; checkPreconditions: { type, context: { expression } }
        const nested = record.context as Record<string, unknown> | undefined;
        const expression = typeof record.expression === 'string' ? record.expression : nested?.expression;
        if (typeof expression === 'string') bare.push([where, expression]);
      }
      for (const [key, item] of Object.entries(record)) {
        if (key.includes('${')) templates.push([`${where} (key)`, key]);
        walk(item, `${where}/${key}`);
      }
    }
  };
  for (const file of readdirSync(CORPUS).filter((name) => name.endsWith('.json')).sort()) {
    walk(JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as unknown, file);
  }
  return { templates, bare };
}

const corpus = collectExpressions();

/** An execution with the stages the corpus pipelines refer to by name. */
const corpusContext = createContext({
  execution: {
    ...execution,
    stages: [
      ...execution.stages,
      stage({ name: 'Canary Analysis at 10%', type: 'kayentaCanary', status: 'SUCCEEDED' }),
      stage({ name: 'Canary Analysis at 20%', type: 'kayentaCanary', status: 'FAILED_CONTINUE' }),
    ],
  },
});

describe('the conformance corpus', () => {
  it('holds real expressions to check', () => {
    expect(corpus.templates.length).toBeGreaterThanOrEqual(20);
    expect(corpus.bare.length).toBeGreaterThanOrEqual(11);
  });

  it.each(corpus.templates)('parses the template at %s: %j', (_where, text) => {
    expect(findTemplateSyntaxErrors(text)).toEqual([]);
  });

  it.each(corpus.bare)('parses the expression at %s: %j', (_where, expression) => {
    expect(findExpressionSyntaxErrors(expression)).toEqual([]);
  });

  it.each(corpus.bare)('evaluates the expression at %s to a boolean: %j', (_where, expression) => {
    const result = evaluateExpression(expression, corpusContext);
    expect(result.ok && typeof result.value).toBe('boolean');
  });

  it.each(corpus.templates)('evaluates the template at %s: %j', (_where, text) => {
    const result = evaluateTemplate(text, corpusContext);
    expect(result.failures).toEqual([]);
    expect(typeof result.value === 'string' && result.value.includes('${')).toBe(false);
  });

  it.each([
    ["${ #stage('Canary Analysis')['status'].toString() == 'SUCCEEDED'}", true],
    ["${ #stage('Canary Analysis at 20%')['status'].toString() == 'SUCCEEDED'}", false],
    ["${ #stage('Canary Analysis at 10%')['status'].toString() != 'SUCCEEDED'}", false],
    ['${ parameters.successRate }', '95'],
    ['curl http://backend.${ namespace }/', 'curl http://backend.staging/'],
    ['${ deployedServerGroups[0].serverGroup }', 'hello-canary-v003'],
    ["${ #stage('Clone Server Group')['context']['source']['serverGroupName'] }", 'hello-prod-v041'],
    ['us-docker.pkg.dev/spinnaker-community/codelabs/helloworld:${ parameters.hellotag }', 'us-docker.pkg.dev/spinnaker-community/codelabs/helloworld:v1.4.2'],
  ])('gives %j the value Spinnaker gives: %j', (text, expected) => {
    expect(evaluateTemplate(text, corpusContext)).toEqual({ value: expected, failures: [] });
  });
});

describe("patterns from Spinnaker's expression guide", () => {
  it.each([
    ["${trigger['parameters']['env']}", 'prod'],
    ['${ parameters.env == "prod" }', true],
    ['${ #toBoolean(parameters.enabled) }', true],
    ['${ #toInt(parameters.count) > 2 }', true],
    ["${ #judgment('Manual Judgment') == 'Rollout' }", true],
    ["${ #stage('Deploy Canary')['context']['deploy.server.groups']['us-east-1'][0] }", 'hello-canary-v003'],
    ["${ #stage('Canary Analysis').context.canaryScore >= 95 ? 'promote' : 'rollback' }", 'promote'],
    ["${ execution['application'] }", 'hello'],
    ['${ trigger.user ?: "unknown" }', 'alice@example.com'],
    ["${ trigger.resolvedExpectedArtifacts.?[boundArtifact.type == 'docker/image'][0].boundArtifact.reference }", 'gcr.io/acme/hello:v1.4.2'],
    ["${ #triggerResolvedArtifactByType('docker/image')['version'] }", 'v1.4.2'],
    ["${ scmInfo.branch.replaceAll('[^a-zA-Z0-9]', '-') }", 'feature-login'],
    ["${ #alphanumerical(scmInfo.branch).toLowerCase().substring(0, 7) }", 'feature'],
    ["${ parameters.hellotag.matches('v\\d+\\.\\d+\\.\\d+') }", true],
    ['${ #toJson(deployedServerGroups) }', '[{"account":"prod","region":"us-east-1","serverGroup":"hello-canary-v003"}]'],
    ["${ #stageExists('Manual Judgment') and #judgment('Manual Judgment') != 'Stop' }", true],
    ["hello-${ parameters.env }-${ new java.util.Date().getTime() }", 'hello-prod-1700000000000'],
  ])('%s = %j', (text, expected) => {
    expect(evaluateTemplate(text, corpusContext)).toEqual({ value: expected, failures: [] });
  });

  it('skips-or-runs on a stageEnabled expression written bare or wrapped', () => {
    expect(evaluateExpression("#stage('Canary Analysis').status == 'SUCCEEDED'", corpusContext)).toEqual({ ok: true, value: true });
    expect(evaluateExpression("${#stage('Canary Analysis').status == 'SUCCEEDED'}", corpusContext)).toEqual({ ok: true, value: true });
  });
});
