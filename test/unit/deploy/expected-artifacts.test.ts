/**
 * Expected artifacts bound at start and found by id (core/deploy/expected-artifacts.ts), as Orca's
 * ArtifactUtils and kork's ArtifactResolver do: the trigger's matching artifact first, then the
 * previous execution's, then the default; an unbound or ambiguous one refuses the start in one
 * line; a stage's id that nothing bound fails in one line naming the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactMatches, artifactsOfExecution, bindExpectedArtifacts, boundArtifactFor, declaredExpectedArtifactIds, executionArtifacts, needsPriorArtifacts, resolveExpectedArtifacts } from '../../../core/deploy/expected-artifacts.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

const ecsPipeline = () => {
  const pipelines = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json'), 'utf8')) as Array<{ name: string; expectedArtifacts: Record<string, unknown>[] }>;
  return pipelines[0]!;
};
const TASK_DEFINITION_ID = 'bde8fefb-265c-4a30-bf01-2d1cbd136953';

const image = (tag: string) => ({ type: 'docker/image', name: 'registry.example/app', version: tag, reference: `registry.example/app:${tag}` });
const expectedImage = (more: Record<string, unknown> = {}) => ({ id: 'img', displayName: 'the image', matchArtifact: { type: 'docker/image', name: 'registry\\.example/.*' }, ...more });

describe('binding expected artifacts at start', () => {
  it("binds the ECS pipeline's task definition to its default artifact when a manual start brings none", () => {
    const pipeline = ecsPipeline();
    const bound = resolveExpectedArtifacts(pipeline, { type: 'manual' });
    expect(bound.ok).toBe(true);
    if (!bound.ok) return;
    const defaultArtifact = pipeline.expectedArtifacts[0]!['defaultArtifact'];
    expect(bound.value.resolvedExpectedArtifacts).toEqual([{ ...pipeline.expectedArtifacts[0], boundArtifact: defaultArtifact }]);
    expect(bound.value.artifacts).toEqual([defaultArtifact]);
  });

  it('prefers the artifact the trigger brought over the default, matching each field exactly or as a whole regular expression', () => {
    const expected = expectedImage({ useDefaultArtifact: true, defaultArtifact: image('0.0.1') });
    const bound = resolveExpectedArtifacts({ name: 'p', expectedArtifacts: [expected] }, { type: 'docker', artifacts: [image('1.2.0'), { type: 'github/file', name: 'x', reference: 'https://x' }] });
    expect(bound.ok && bound.value.resolvedExpectedArtifacts[0]!['boundArtifact']).toEqual(image('1.2.0'));
    expect(bound.ok && bound.value.artifacts).toHaveLength(2);
    // Kork's matches(): equal, or the pattern matches the whole value.
    expect(artifactMatches({ type: 'docker/image', name: 'registry' }, image('1'))).toBe(false);
    expect(artifactMatches({ type: 'docker/image', name: 'registry.example/app', version: '' }, image('1'))).toBe(true);
  });

  it('binds only what the trigger names or what may bind without it, so a manual start does not need every artifact', () => {
    const onlyFromTrigger = expectedImage();
    const manual = resolveExpectedArtifacts({ name: 'p', expectedArtifacts: [onlyFromTrigger] }, { type: 'manual' });
    expect(manual).toEqual({ ok: true, value: { artifacts: [], resolvedExpectedArtifacts: [] } });
  });

  it('refuses a start whose trigger names an expected artifact it does not bring, in one line', () => {
    const refused = resolveExpectedArtifacts({ name: 'release', expectedArtifacts: [expectedImage()] }, { type: 'webhook', expectedArtifactIds: ['img'], artifacts: [{ type: 'github/file', name: 'x' }] });
    expect(refused).toEqual({
      ok: false,
      message: "Unmatched expected artifact 'img' (the image) could not be resolved: pipeline 'release' expects docker/image registry\\.example/.*, and the trigger brought github/file x; supply a matching artifact (gennaker run --artifact '<json>', or \"artifacts\" in the start request), or set useDefaultArtifact with a defaultArtifact",
    });
  });

  it('refuses a start whose trigger brings two artifacts one expected artifact matches', () => {
    const refused = resolveExpectedArtifacts({ name: 'release', expectedArtifacts: [expectedImage({ useDefaultArtifact: true, defaultArtifact: image('0') })] }, { type: 'manual', artifacts: [image('1'), image('2')] });
    expect(refused).toEqual({
      ok: false,
      message: "pipeline 'release': Expected artifact 'img' (the image) matches multiple artifacts of the trigger (docker/image registry.example/app, docker/image registry.example/app); make its matchArtifact match exactly one",
    });
  });

  it('takes the previous execution\'s artifact for usePriorArtifact, and asks for it only when the trigger does not bind it', () => {
    const expected = expectedImage({ usePriorArtifact: true, useDefaultArtifact: true, defaultArtifact: image('0') });
    const pipeline = { name: 'p', expectedArtifacts: [expected] };
    expect(needsPriorArtifacts(pipeline.expectedArtifacts, { type: 'manual' })).toBe(true);
    expect(needsPriorArtifacts(pipeline.expectedArtifacts, { type: 'manual', artifacts: [image('3')] })).toBe(false);
    const prior = executionArtifacts({ trigger: { artifacts: [image('1')] }, stages: [{ outputs: { artifacts: [image('2')] } }, { outputs: {} }] });
    expect(prior).toEqual([image('1'), image('2')]);
    const bound = resolveExpectedArtifacts(pipeline, { type: 'manual' }, prior);
    expect(bound.ok && bound.value.resolvedExpectedArtifacts[0]!['boundArtifact']).toEqual(image('2'));
    // Nothing prior: the default.
    const fallback = resolveExpectedArtifacts(pipeline, { type: 'manual' }, []);
    expect(fallback.ok && fallback.value.resolvedExpectedArtifacts[0]!['boundArtifact']).toEqual(image('0'));
  });
});

describe('finding a bound artifact by id', () => {
  const pipeline = ecsPipeline();
  const bound = resolveExpectedArtifacts(pipeline, { type: 'manual' });
  const trigger = bound.ok ? { type: 'manual', ...bound.value } : {};

  it("answers the trigger's bound artifact, else one an ancestor stage bound", () => {
    expect(boundArtifactFor(TASK_DEFINITION_ID, 'clusters[0].taskDefinitionArtifact.artifactId', trigger)).toEqual({ ok: true, artifact: pipeline.expectedArtifacts[0]!['defaultArtifact'] });
    const fromStage = boundArtifactFor('later', 'f', {}, [{}, { resolvedExpectedArtifacts: [{ id: 'later', boundArtifact: image('9') }] }]);
    expect(fromStage).toEqual({ ok: true, artifact: image('9') });
  });

  it('fails an id nothing bound in one line naming the field, the id and the fix', () => {
    expect(boundArtifactFor('missing-id', 'clusters[0].taskDefinitionArtifact.artifactId', trigger)).toEqual({
      ok: false,
      message: `clusters[0].taskDefinitionArtifact.artifactId is "missing-id"; no expected artifact of that id is bound in this execution (bound: ${TASK_DEFINITION_ID}); declare it in the pipeline's expectedArtifacts with useDefaultArtifact and a defaultArtifact, or a matchArtifact the trigger supplies`,
    });
    expect(boundArtifactFor('x', 'f', { type: 'manual' })).toMatchObject({ ok: false, message: expect.stringContaining('(none is bound)') });
  });
});

describe("an execution's artifacts, for findArtifactFromExecution", () => {
  const stage = (refId: string, requisiteStageRefIds: string[], outputs: Record<string, unknown>) => ({ refId, requisiteStageRefIds, outputs });

  it("lists later stages' outputs first, then the trigger's and what its expected artifacts bound, each once", () => {
    const configMap = { type: 'kubernetes/configMap', name: 'app-config', version: 'v001', reference: 'app-config-v001' };
    const execution = {
      trigger: { artifacts: [image('1')], resolvedExpectedArtifacts: [{ id: 'img', boundArtifact: image('1') }, { id: 'def', boundArtifact: image('0') }] },
      // 2 runs after 1 though it is listed first: the graph decides, not the list.
      stages: [stage('2', ['1'], { artifacts: [image('2')] }), stage('1', [], { createdArtifacts: [configMap] }), stage('3', ['1'], {})],
    };
    expect(artifactsOfExecution(execution)).toEqual([image('2'), configMap, image('1'), image('0')]);
    expect(artifactsOfExecution(execution, { withoutStage: '2' })).toEqual([configMap, image('1'), image('0')]);
  });
});

describe('binding expected artifacts against found artifacts', () => {
  it('binds the first match (several may match), else the default, and refuses with Orca\'s message naming where it looked', () => {
    const candidates = [image('2'), image('1')];
    const bound = bindExpectedArtifacts([expectedImage(), { id: 'cfg', matchArtifact: { type: 'kubernetes/configMap' }, useDefaultArtifact: true, defaultArtifact: { type: 'kubernetes/configMap', reference: 'cfg-v000' } }], candidates, 'execution E');
    expect(bound).toEqual({
      ok: true,
      value: {
        artifacts: [image('2'), { type: 'kubernetes/configMap', reference: 'cfg-v000' }],
        resolvedExpectedArtifacts: [
          { ...expectedImage(), boundArtifact: image('2') },
          expect.objectContaining({ id: 'cfg', boundArtifact: { type: 'kubernetes/configMap', reference: 'cfg-v000' } }),
        ],
      },
    });
    expect(bindExpectedArtifacts([{ id: 'cfg', matchArtifact: { type: 'kubernetes/configMap', name: 'app-config' } }], candidates, 'execution E of pipeline \'Deploy\'')).toEqual({
      ok: false,
      message:
        "Unmatched expected artifact 'cfg' could not be resolved: it expects kubernetes/configMap app-config, and nothing matches in execution E of pipeline 'Deploy', which holds docker/image registry.example/app, docker/image registry.example/app; fix its matchArtifact, or set useDefaultArtifact with a defaultArtifact",
    });
  });
});

describe('the expected artifact ids a pipeline declares', () => {
  it("lists the pipeline's, a stage's own, and what findArtifactFromExecution binds (the automated canary's three sources)", () => {
    const document = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_automated-canary-1-10.json'), 'utf8'));
    const ids = declaredExpectedArtifactIds(document);
    // Deploy Canary requires what Deploy Canary Config creates; Deploy Baseline what Find Baseline Version finds.
    expect([...ids].sort()).toEqual(['2d1febb3-6b7a-42d4-bcf1-85199c3b1aad', 'e00b39b2-e6a1-41a7-8e1a-bef37c3313a7']);
    expect(declaredExpectedArtifactIds({ expectedArtifacts: [{ id: 'img' }, { id: '' }, 'x'], stages: 3 })).toEqual(new Set(['img']));
  });
});
