/**
 * findArtifactFromExecution on the real local runtime (dynalite, the compiled ASL, the stage
 * runner, the execution service): a pipeline that records artifacts runs twice — once
 * SUCCEEDED, once TERMINAL — and another pipeline binds an expected artifact against the newest
 * execution in the statuses it asks for, falls back to a default, and fails in one line with
 * Orca's message when nothing matches. Later stages see what it bound, by expression and by id
 * (the lookup the manifest stages make). A `pipeline` trigger brings its parent's artifacts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../core/execution/execution-service-api.ts';
import { isComplete } from '../../core/execution/status.ts';
import type { Execution } from '../../core/ports/execution-store.ts';
import { artifactScopeOf, boundStageArtifact } from '../../core/stages/stage-artifacts.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';

const caller: Caller = { user: 'ana', roles: [], admin: true };
const APPLICATION = 'sampleapp';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await createLocalRuntime({ retryDelayMs: 5 });
});
afterAll(async () => {
  await runtime?.close();
});

const configMap = (version: string) => ({ type: 'kubernetes/configMap', name: 'sampleapp-config-prod', version, reference: `sampleapp-config-prod-${version}`, location: 'default' });
const image = (tag: string) => ({ type: 'docker/image', name: 'gcr.io/acme/sampleapp', version: tag, reference: `gcr.io/acme/sampleapp:${tag}` });

async function save(config: Record<string, unknown>): Promise<string> {
  const saved = await runtime.service.savePipeline({ config: { application: APPLICATION, ...config } }, caller);
  if (!saved.ok) throw new Error(JSON.stringify(saved));
  return saved.saved.id;
}

async function finished(executionId: string): Promise<Execution> {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const execution = await runtime.store.getExecution(executionId);
    if (execution && isComplete(execution.status)) return execution;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`execution ${executionId} did not finish`);
}

async function start(pipeline: string, trigger: Record<string, unknown> & { type: string } = { type: 'manual' }): Promise<Execution> {
  const started = await runtime.service.startPipeline({ application: APPLICATION, pipeline, trigger }, caller);
  if (!started.ok) throw new Error(started.message);
  return finished(started.executionId);
}

/**
 * "Simple Deploy": its trigger brings an image; a stage records the config map it "deployed" as
 * its `artifacts` output; a precondition fails the run when asked to.
 */
const producer = {
  name: 'Simple Deploy',
  parameterConfig: [{ name: 'version' }, { name: 'fail', default: 'no' }],
  stages: [
    { refId: '1', requisiteStageRefIds: [], type: 'evaluateVariables', name: 'Deploy config', variables: [{ key: 'artifacts', value: [{ type: 'kubernetes/configMap', name: 'sampleapp-config-prod', version: '${parameters.version}', reference: 'sampleapp-config-prod-${parameters.version}', location: 'default' }] }] },
    { refId: '2', requisiteStageRefIds: ['1'], type: 'checkPreconditions', name: 'Check', preconditions: [{ type: 'expression', failPipeline: true, context: { expression: "${parameters.fail == 'no'}" } }] },
  ],
};

let finders = 0;
const finder = (expectedArtifact: Record<string, unknown>, executionOptions: Record<string, boolean> = { successful: true }) => ({
  name: `Canary ${++finders}`,
  stages: [
    { refId: '8', requisiteStageRefIds: [], type: 'findArtifactFromExecution', name: 'Find Baseline Version', application: APPLICATION, pipeline: 'Simple Deploy', executionOptions, expectedArtifact },
    { refId: '9', requisiteStageRefIds: ['8'], type: 'evaluateVariables', name: 'Use it', variables: [{ key: 'baseline', value: "${#triggerResolvedArtifact('sampleapp-config-prod').reference}" }] },
  ],
});

describe('findArtifactFromExecution', () => {
  let producerId: string;
  beforeAll(async () => {
    producerId = await save(producer);
    expect((await start(producerId, { type: 'manual', parameters: { version: 'v001' }, artifacts: [image('1.0')] })).status).toBe('SUCCEEDED');
    // Newer, but TERMINAL.
    expect((await start(producerId, { type: 'manual', parameters: { version: 'v002', fail: 'yes' } })).status).toBe('TERMINAL');
  });

  it('binds against the newest successful execution (by name), and later stages see the artifact by expression and by id', async () => {
    const id = await save(finder({ id: 'e00b39b2', matchArtifact: { kind: 'custom', name: 'sampleapp-config-prod', type: 'kubernetes/configMap' } }));
    const execution = await start(id);
    expect(execution.status).toBe('SUCCEEDED');
    const [find, use] = execution.stages;
    expect(find!.outputs).toEqual({
      resolvedExpectedArtifacts: [{ id: 'e00b39b2', matchArtifact: { kind: 'custom', name: 'sampleapp-config-prod', type: 'kubernetes/configMap' }, boundArtifact: configMap('v001') }],
      artifacts: [configMap('v001')],
    });
    expect(use!.outputs).toEqual({ baseline: 'sampleapp-config-prod-v001' });
    // What a manifest stage after it asks for `requiredArtifactIds: ['e00b39b2']`.
    expect(boundStageArtifact(artifactScopeOf({ execution, record: use! }), { id: 'e00b39b2', idField: 'requiredArtifactIds[0]' })).toEqual({ ok: true, artifact: configMap('v001') });
  });

  it("binds the trigger's artifacts of the execution too, and the newest in any listed status", async () => {
    const byImage = await start(await save(finder({ id: 'img', matchArtifact: { type: 'docker/image', name: 'gcr.io/acme/sampleapp' } })));
    expect(byImage.stages[0]!.outputs['artifacts']).toEqual([image('1.0')]);
    const newest = await start(await save(finder({ id: 'cfg', matchArtifact: { type: 'kubernetes/configMap' } }, { successful: true, terminal: true })));
    expect(newest.stages[0]!.outputs['artifacts']).toEqual([configMap('v002')]);
  });

  it('falls back to the default when nothing matches and useDefaultArtifact is set', async () => {
    const fallback = { type: 'kubernetes/configMap', name: 'sampleapp-config-prod', reference: 'sampleapp-config-prod-v000' };
    const execution = await start(await save(finder({ id: 'cfg', matchArtifact: { type: 'kubernetes/configMap', name: 'nothing-like-it' }, useDefaultArtifact: true, defaultArtifact: fallback })));
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stages[0]!.outputs['artifacts']).toEqual([fallback]);
  });

  it("fails the stage with Orca's message when nothing matches, naming the execution it searched", async () => {
    const execution = await start(await save(finder({ id: 'cfg', matchArtifact: { type: 'kubernetes/configMap', name: 'nothing-like-it' } })));
    expect(execution.status).toBe('TERMINAL');
    const error = (execution.stages[0]!.context['exception'] as { details: { error: string } }).details.error;
    expect(error).toMatch(
      /^stage 'Find Baseline Version': Unmatched expected artifact 'cfg' could not be resolved: it expects kubernetes\/configMap nothing-like-it, and nothing matches in execution \w+ of pipeline 'Simple Deploy' \(the newest in SUCCEEDED\), which holds kubernetes\/configMap sampleapp-config-prod, docker\/image gcr.io\/acme\/sampleapp; fix its matchArtifact, or set useDefaultArtifact with a defaultArtifact$/,
    );
  });

  it('fails the stage naming the pipelines when the pipeline does not exist', async () => {
    const execution = await start(await save({ ...finder({ id: 'cfg', matchArtifact: { type: 'kubernetes/configMap' } }), stages: [{ ...finder({}).stages[0], expectedArtifact: { id: 'cfg', matchArtifact: { type: 'x' } }, pipeline: 'SIMPLE_DEPLOY_PIPELINE_ID' }] }));
    expect(execution.status).toBe('TERMINAL');
    expect((execution.stages[0]!.context['exception'] as { details: { error: string } }).details.error).toMatch(/^stage 'Find Baseline Version': application 'sampleapp' has no pipeline with id or name 'SIMPLE_DEPLOY_PIPELINE_ID' \(its pipelines: .*'Simple Deploy'.*\); set pipeline to one of them/);
  });
});

describe('a pipeline trigger', () => {
  it("binds its expected artifacts to what the parent execution holds (Orca's DependentPipelineStarter)", async () => {
    const parent = await save({ name: 'Build', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }] });
    const child = await save({
      name: 'Promote',
      expectedArtifacts: [{ id: 'img', matchArtifact: { type: 'docker/image', name: 'gcr.io/acme/sampleapp' }, useDefaultArtifact: true, defaultArtifact: image('default') }],
      triggers: [{ type: 'pipeline', application: APPLICATION, pipeline: parent, status: ['successful'], expectedArtifactIds: ['img'] }],
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }],
    });
    const built = await start(parent, { type: 'manual', artifacts: [image('2.0')] });
    const promoted = await start(child, { type: 'pipeline', expectedArtifactIds: ['img'], parentExecution: { id: built.id, status: 'SUCCEEDED' }, artifacts: [] });
    expect(promoted.trigger['resolvedExpectedArtifacts']).toEqual([expect.objectContaining({ id: 'img', boundArtifact: image('2.0') })]);
  });
});
