/**
 * Managed Pipeline Templates v2: parsing templates and templated pipelines, and rendering one
 * with the other as Orca does (variables, stage replacement and injection, inherited triggers,
 * parameters and notifications, `templateVariables` expressions).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { isTemplatedPipeline, parsePipelineTemplate, parseTemplatedPipeline, parseTemplateReference } from '../../../core/pipeline/templates/model.ts';
import { renderTemplatedPipeline, templateFromPipeline } from '../../../core/pipeline/templates/render.ts';
import { resolveTemplatedPipeline } from '../../../core/pipeline/templates/resolve.ts';
import { compilePipeline } from '../../../statemachines/index.ts';
import { validateDocuments } from '../../../cli/commands/validate.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

type Json = Record<string, unknown>;

const wait = (refId: string, parents: string[] = [], extra: Json = {}): Json => ({ refId, type: 'wait', name: `wait ${refId}`, waitTime: 1, requisiteStageRefIds: parents, ...extra });

function template(overrides: Json = {}): Json {
  return {
    schema: 'v2',
    id: 'deploy-service',
    metadata: { name: 'Deploy a service', scopes: ['global'] },
    variables: [
      { name: 'waitTime', type: 'int', defaultValue: 5 },
      { name: 'region', type: 'string' },
    ],
    pipeline: {
      triggers: [{ type: 'cron', cronExpression: '0 0 * * * ?', enabled: true }],
      parameterConfig: [{ name: 'tag', default: 'latest' }],
      notifications: [],
      stages: [wait('1', [], { waitTime: '${templateVariables.waitTime}' }), wait('2', ['1'], { name: 'in ${templateVariables.region}' })],
    },
    ...overrides,
  };
}

function config(overrides: Json = {}): Json {
  return {
    schema: 'v2',
    type: 'templatedPipeline',
    application: 'hello',
    name: 'from template',
    template: { artifactAccount: 'front50ArtifactCredentials', type: 'front50/pipelineTemplate', reference: 'spinnaker://deploy-service' },
    variables: { region: 'eu-west-1' },
    ...overrides,
  };
}

function render(configOverrides: Json = {}, templateOverrides: Json = {}) {
  const parsedTemplate = parsePipelineTemplate(template(templateOverrides));
  const parsedConfig = parseTemplatedPipeline(config(configOverrides));
  expect(parsedTemplate.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  expect(parsedConfig.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  return renderTemplatedPipeline(parsedConfig.config!, parsedTemplate.template!);
}

function graph(pipeline: Json | undefined): Array<[string, string[]]> {
  return ((pipeline?.stages ?? []) as Json[]).map((stage) => [String(stage.refId), stage.requisiteStageRefIds as string[]]);
}

describe('template references', () => {
  it.each([
    ['spinnaker://deploy-service', { id: 'deploy-service' }],
    ['spinnaker://deploy-service:stable', { id: 'deploy-service', tag: 'stable' }],
    [`spinnaker://deploy-service@sha256:${'a'.repeat(64)}`, { id: 'deploy-service', digest: 'a'.repeat(64) }],
  ])('reads %s', (reference, expected) => {
    expect(parseTemplateReference(reference)).toEqual({ ok: true, value: expected });
  });

  it.each(['deploy-service', 'spinnaker://deploy-service:nightly', 'spinnaker://a:b:c', 'gs://bucket/template.json'])('rejects %s with the form to use', (reference) => {
    const parsed = parseTemplateReference(reference);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/spinnaker:\/\/|one of latest, stable/);
  });

  it('recognises a templated pipeline as Orca does', () => {
    expect(isTemplatedPipeline(config())).toBe(true);
    expect(isTemplatedPipeline({ schema: 'v2', template: {} })).toBe(true);
    expect(isTemplatedPipeline({ type: 'templatedPipeline', schema: '1' })).toBe(false);
    expect(isTemplatedPipeline({ application: 'a', stages: [] })).toBe(false);
  });
});

describe('parsing', () => {
  it('rejects a template of another schema, naming the field and the fix', () => {
    const { template: parsed, issues } = parsePipelineTemplate(template({ schema: '1' }));
    expect(parsed).toBeUndefined();
    expect(issues[0]).toMatchObject({ pointer: '/schema', severity: 'error' });
    expect(issues[0]!.message).toContain("expected 'v2', got '1'");
  });

  it('rejects a variable name Orca would not accept', () => {
    const { issues } = parsePipelineTemplate(template({ variables: [{ name: 'wait-time' }] }));
    expect(issues[0]).toMatchObject({ pointer: '/variables/0/name', severity: 'error' });
  });

  it('warns about an exclude that has no effect, as Orca ignores it', () => {
    const { config: parsed, issues } = parseTemplatedPipeline(config({ exclude: ['expectedArtifacts'] }));
    expect(parsed).toBeDefined();
    expect(issues[0]).toMatchObject({ pointer: '/exclude/0', severity: 'warning' });
    expect(issues[0]!.message).toContain("has no effect; a templated pipeline may exclude 'triggers', 'parameters', 'notifications'");
  });
});

describe('rendering a templated pipeline', () => {
  it('resolves templateVariables, takes the configuration id, application and name, and inherits what the template has', () => {
    const { pipeline, issues } = render({ id: 'p-1' });
    expect(issues).toEqual([]);
    expect(pipeline).toMatchObject({ id: 'p-1', application: 'hello', name: 'from template', limitConcurrent: true, keepWaitingPipelines: false, maxConcurrentExecutions: 0 });
    expect((pipeline!.stages as Json[]).map((stage) => [stage.waitTime, stage.name])).toEqual([
      [5, 'wait 1'],
      [1, 'in eu-west-1'],
    ]);
    expect(pipeline!.triggers).toEqual([{ type: 'cron', cronExpression: '0 0 * * * ?', enabled: true, inherited: true }]);
    expect(pipeline!.parameterConfig).toEqual([{ name: 'tag', default: 'latest', inherited: true }]);
    expect(pipeline!.templateVariables).toEqual({ waitTime: 5, region: 'eu-west-1' });
  });

  it('takes the concurrency settings of the template when it sets them, and disabled from the configuration', () => {
    const { pipeline } = render({ disabled: true, limitConcurrent: true }, { pipeline: { limitConcurrent: false, stages: [wait('1')] } });
    expect(pipeline).toMatchObject({ limitConcurrent: false, keepWaitingPipelines: false, disabled: true });
    expect(render({ keepWaitingPipelines: true }).pipeline).toMatchObject({ keepWaitingPipelines: true });
    expect(render().pipeline).not.toHaveProperty('disabled');
  });

  it('keeps expressions that read the run as text for the stage, with the template variables they read written in', () => {
    const { pipeline, issues } = render(
      { variables: { region: "it's", zones: ['a', 'b'], sizes: { web: 2 } } },
      {
        variables: [{ name: 'region' }, { name: 'zones', type: 'list' }, { name: 'sizes' }],
        pipeline: {
          stages: [
            wait('1', [], {
              name: '${templateVariables.region}-${trigger.user}',
              waitTime: '${parameters.wait}',
              comments: "${templateVariables['region'] != 'x' ? trigger.user : templateVariables.zones[1]}",
              sizes: '${templateVariables.sizes.web + 1}',
              all: '${#toJson(templateVariables)}',
              plain: 'templateVariables.region stays as written outside ${}',
            }),
          ],
        },
      },
    );
    expect(issues).toEqual([]);
    expect((pipeline!.stages as Json[])[0]).toMatchObject({
      name: "it's-${trigger.user}",
      waitTime: '${parameters.wait}',
      comments: "${'it''s' != 'x' ? trigger.user : {'a','b'}[1]}",
      sizes: 3,
      all: '{"region":"it\'s","zones":["a","b"],"sizes":{"web":2}}',
      plain: 'templateVariables.region stays as written outside ${}',
    });
  });

  it('fails when a required variable has no value, naming it', () => {
    const { pipeline, issues } = render({ variables: {} });
    expect(pipeline).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer: '/variables', code: 'required' });
    expect(issues[0]!.message).toContain('missing variable values for: region');
  });

  it('fails on a value of the wrong type as Orca words it', () => {
    const { issues } = render({ variables: { region: 'x', waitTime: 'soon' } });
    expect(issues[0]).toMatchObject({ pointer: '/variables/waitTime', code: 'wrong-type' });
    expect(issues[0]!.message).toContain("expected type 'int' found type 'String'");
  });

  it.each([
    ['int', 3, 'x'],
    ['float', 1.5, true],
    ['bool', false, 'false'],
    ['list', ['a'], 'a'],
    ['string', 'a', 1],
    ['object', { any: 'thing' }, undefined],
  ])('checks a %s variable: takes %j, refuses %j', (type, good, bad) => {
    const declare = { variables: [{ name: 'region', type }], pipeline: { stages: [wait('1')] } };
    expect(render({ variables: { region: good } }, declare).issues).toEqual([]);
    if (bad !== undefined) expect(render({ variables: { region: bad } }, declare).issues[0]).toMatchObject({ pointer: '/variables/region', code: 'wrong-type' });
  });

  it('fails on null for a variable that is not nullable, and takes it for one that is', () => {
    expect(render({ variables: { region: null } }).issues[0]!.message).toContain("variable 'region' supplied value is null but variable is not nullable");
    const nullable = render({ variables: {} }, { variables: [{ name: 'region', nullable: true }], pipeline: { stages: [wait('1')] } });
    expect(nullable.issues).toEqual([]);
  });

  it('drops values the template does not declare', () => {
    const { pipeline } = render({ variables: { region: 'x', other: 1 } });
    expect(pipeline!.templateVariables).toEqual({ waitTime: 5, region: 'x' });
  });

  it('fails when an expression reads a variable the template does not declare', () => {
    const { pipeline, issues } = render({}, { pipeline: { stages: [wait('1', [], { name: '${templateVariables.regoin}' })] } });
    expect(pipeline).toBeUndefined();
    expect(issues[0]!.message).toContain('missing template variable values for the following variables: regoin');
  });

  it('lets a default read the application', () => {
    const { pipeline } = render({ variables: {} }, { variables: [{ name: 'region', defaultValue: '${application}-eu' }], pipeline: { stages: [wait('1', [], { name: '${templateVariables.region}' })] } });
    expect((pipeline!.stages as Json[])[0]!.name).toBe('hello-eu');
  });

  it('replaces a template stage with the configuration stage of the same refId', () => {
    const { pipeline } = render({ stages: [wait('2', ['1'], { name: 'replaced', waitTime: 9 })] });
    expect(pipeline!.stages).toEqual([expect.objectContaining({ refId: '1' }), { refId: '2', type: 'wait', name: 'replaced', waitTime: 9, requisiteStageRefIds: ['1'] }]);
  });

  it('adds a configuration stage that names its parents', () => {
    expect(graph(render({ stages: [wait('3', ['2'])] }).pipeline)).toEqual([
      ['1', []],
      ['2', ['1']],
      ['3', ['2']],
    ]);
  });

  it.each([
    ['first', { first: true }, [['0', []], ['1', ['0']], ['2', ['1']]]],
    ['last', { last: true }, [['1', []], ['2', ['1']], ['0', ['2']]]],
    ['before', { before: ['2'] }, [['1', []], ['0', ['1']], ['2', ['0']]]],
    ['after', { after: ['1'] }, [['1', []], ['0', ['1']], ['2', ['0']]]],
  ])('injects a stage %s', (_name, inject, expected) => {
    expect(graph(render({ stages: [wait('0', [], { inject })] }).pipeline)).toEqual(expected);
  });

  it('applies the template own inject rules', () => {
    const { pipeline } = render({}, { pipeline: { stages: [wait('1'), wait('2', ['1']), wait('x', [], { inject: { first: true } })] } });
    expect(graph(pipeline)).toEqual([
      ['x', []],
      ['1', ['x']],
      ['2', ['1']],
    ]);
    expect((pipeline!.stages as Json[])[0]).not.toHaveProperty('inject');
  });

  it('fails an injection whose target does not exist, listing the stages', () => {
    const { issues } = render({ stages: [wait('0', [], { inject: { after: ['9'] } })] });
    expect(issues[0]!.message).toBe("could not inject '0' stage: unknown target stage id '9' (stages: 1, 2)");
    expect(issues[0]!.pointer).toBe('/stages/0/inject/after');
  });

  it('fails a cycle', () => {
    const { issues } = render({ stages: [wait('1', ['2'])] });
    expect(issues[0]).toMatchObject({ code: 'cycle', severity: 'error' });
  });

  it('warns about a new stage that joins nothing, and leaves it out as Spinnaker does', () => {
    const { pipeline, issues } = render({ stages: [wait('9')] });
    expect(issues).toEqual([expect.objectContaining({ pointer: '/stages/0', severity: 'warning' })]);
    expect(graph(pipeline).map(([refId]) => refId)).toEqual(['1', '2']);
  });

  it('refuses stages when the template is protected', () => {
    const { issues } = render({ stages: [wait('3', ['2'])] }, { protect: true });
    expect(issues[0]!.message).toContain('is protected');
  });

  it('merges triggers, parameters and notifications, or takes only the configuration own when excluded', () => {
    const own = { type: 'webhook', source: 'x', enabled: true };
    expect(render({ triggers: [own] }).pipeline!.triggers).toEqual([expect.objectContaining({ type: 'cron', inherited: true }), own]);
    expect(render({ triggers: [own], exclude: ['triggers'] }).pipeline!.triggers).toEqual([own]);
    expect(render({ exclude: ['parameters'] }).pipeline!.parameterConfig).toEqual([]);
    // An inherited item sent back unchanged (as Deck saves it) is not repeated.
    const inherited = { type: 'cron', cronExpression: '0 0 * * * ?', enabled: true, inherited: true };
    expect(render({ triggers: [inherited] }).pipeline!.triggers).toEqual([inherited]);
  });

  it('renders a pipeline Gennaker compiles', () => {
    const { pipeline } = render({ stages: [wait('3', [], { inject: { last: true } })] });
    const parsed = parsePipeline(pipeline);
    expect(parsed.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(compilePipeline(parsed.pipeline!).issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  });
});

describe('gennaker validate of a templated pipeline', () => {
  it('checks the templated document itself, not as a pipeline without stages', () => {
    const document = (input: unknown) => ({ source: 'config.json', pipelines: [{ pointer: '', input }], issues: [] });
    expect(validateDocuments([document(config())])[0]!.issues).toEqual([]);
    const bad = validateDocuments([document(config({ template: { reference: 'deploy-service' } }))])[0]!.issues;
    expect(bad).toEqual([expect.objectContaining({ pointer: '/template/reference', severity: 'error' })]);
  });
});

describe('the converted pipeline template source of the conformance corpus', () => {
  const source = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_convertedPipelineTemplateSource.json'), 'utf8')) as Json;

  it('becomes a v2 template that renders back to the same stages, triggers and notifications', async () => {
    // given: the pipeline exported as a template, as Deck's "Export as template" makes it
    const exported = templateFromPipeline(source, { id: 'spindemo-bake-deploy', owner: 'example@example.com' });
    expect(parsePipelineTemplate(exported).issues).toEqual([]);
    // when: a templated pipeline names it without changes
    const resolved = await resolveTemplatedPipeline(
      { schema: 'v2', type: 'templatedPipeline', application: 'spindemo', name: 'demo', template: { artifactAccount: 'front50ArtifactCredentials', type: 'front50/pipelineTemplate', reference: 'spinnaker://spindemo-bake-deploy:latest' } },
      async (key) => (key === 'spindemo-bake-deploy:latest' ? exported : undefined),
    );
    // then
    expect(resolved.issues).toEqual([]);
    const rendered = resolved.pipeline!;
    // Orca orders the rendered stages parents first; the stages themselves are unchanged.
    const byRefId = (stages: unknown) => [...(stages as Json[])].sort((a, b) => String(a.refId).localeCompare(String(b.refId)));
    expect(byRefId(rendered.stages)).toEqual(byRefId(source.stages));
    expect((rendered.stages as Json[]).map((stage) => stage.refId)).toEqual(['1', '2', '8', '6', '7']);
    expect(rendered.expectedArtifacts).toEqual(source.expectedArtifacts);
    expect((rendered.triggers as Json[]).map(({ inherited, ...trigger }) => [inherited, trigger])).toEqual((source.triggers as Json[]).map((trigger) => [true, trigger]));
    expect(rendered.notifications).toEqual((source.notifications as Json[]).map((notification) => ({ ...notification, inherited: true })));
    expect(rendered).toMatchObject({ application: 'spindemo', name: 'demo', limitConcurrent: true, maxConcurrentExecutions: 0, stageCounter: 7 });
    // and it validates as the source itself does
    const errors = (input: unknown) => parsePipeline(input).issues.filter((issue) => issue.severity === 'error').map(({ code, message }) => ({ code, message }));
    expect(errors(rendered)).toEqual(errors({ ...source, application: 'spindemo', name: 'demo' }));
  });

  it('fails to render against a template that is not saved, naming the reference', async () => {
    const resolved = await resolveTemplatedPipeline(config(), async () => undefined);
    expect(resolved.pipeline).toBeUndefined();
    expect(resolved.issues[0]).toMatchObject({ pointer: '/template/reference' });
    expect(resolved.issues[0]!.message).toContain("no pipeline template is saved as 'deploy-service'");
  });
});
