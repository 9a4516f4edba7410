/**
 * Expected artifacts bound when an execution starts, on the real local runtime (dynalite, the
 * compiled ASL, the real stage runner): the trigger's artifact or the default lands in
 * `trigger.resolvedExpectedArtifacts`, `usePriorArtifact` reads the pipeline's previous execution,
 * and a start that leaves one unbound is refused in one line and creates nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../core/execution/execution-service-api.ts';
import { isComplete } from '../../core/execution/status.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';

const caller: Caller = { user: 'ana', roles: ['deployers'] };
const APPLICATION = 'artifacts';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await createLocalRuntime({ retryDelayMs: 5 });
});
afterAll(async () => {
  await runtime?.close();
});

const image = (tag: string) => ({ type: 'docker/image', name: 'registry.example/app', version: tag, reference: `registry.example/app:${tag}` });

async function saved(name: string, expectedArtifacts: unknown[]): Promise<string> {
  const config = { application: APPLICATION, name, expectedArtifacts, stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }] };
  const result = await runtime.service.savePipeline({ config }, caller);
  if (!result.ok) throw new Error(JSON.stringify(result));
  return result.saved.id;
}

async function finished(executionId: string) {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const execution = await runtime.store.getExecution(executionId);
    if (execution && isComplete(execution.status)) return execution;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`execution ${executionId} did not finish`);
}

describe('expected artifacts at start', () => {
  it("binds the trigger's artifact, then a later start without one binds the previous execution's (usePriorArtifact)", async () => {
    const pipeline = await saved('prior', [{ id: 'img', matchArtifact: { type: 'docker/image', name: 'registry.example/app' }, usePriorArtifact: true, useDefaultArtifact: true, defaultArtifact: image('0.0.0') }]);
    const first = await runtime.service.startPipeline({ application: APPLICATION, pipeline, trigger: { type: 'manual', artifacts: [image('1.0.0')] } }, caller);
    if (!first.ok) throw new Error(first.message);
    const one = await finished(first.executionId);
    expect(one.status).toBe('SUCCEEDED');
    expect(one.trigger['resolvedExpectedArtifacts']).toEqual([expect.objectContaining({ id: 'img', boundArtifact: image('1.0.0') })]);

    const second = await runtime.service.startPipeline({ application: APPLICATION, pipeline, trigger: { type: 'manual' } }, caller);
    if (!second.ok) throw new Error(second.message);
    const two = await finished(second.executionId);
    expect(two.trigger['resolvedExpectedArtifacts']).toEqual([expect.objectContaining({ id: 'img', boundArtifact: image('1.0.0') })]);
    expect(two.trigger['artifacts']).toEqual([image('1.0.0')]);
  });

  it('refuses a start that leaves an expected artifact unbound, in one line, and creates no execution', async () => {
    const pipeline = await saved('unbound', [{ id: 'img', displayName: 'the image', matchArtifact: { type: 'docker/image', name: 'registry.example/app' } }]);
    const refused = await runtime.service.startPipeline({ application: APPLICATION, pipeline, trigger: { type: 'webhook', expectedArtifactIds: ['img'] } }, caller);
    expect(refused).toEqual({
      ok: false,
      reason: 'invalid',
      message: "Unmatched expected artifact 'img' (the image) could not be resolved: pipeline 'unbound' expects docker/image registry.example/app, and the trigger brought no artifact; supply a matching artifact (gennaker run --artifact '<json>', or \"artifacts\" in the start request), or set useDefaultArtifact with a defaultArtifact",
    });
    expect((await runtime.store.listExecutions({ pipelineConfigId: pipeline })).items).toEqual([]);
  });
});
