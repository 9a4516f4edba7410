/**
 * What the deploy stage binds into an ECS cluster entry before the target sees it
 * (core/stages/provider-bindings.ts, Orca's EcsServerGroupCreator): the task-definition artifact
 * an expected artifact's id names, and the tag of an image taken from the trigger; a missing id or
 * a trigger without the image fails in one line naming the field and the fix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveExpectedArtifacts } from '../../../core/deploy/expected-artifacts.ts';
import { bindProviderFields, type ProviderBindingContext } from '../../../core/stages/provider-bindings.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

const pipeline = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json'), 'utf8'))[0] as {
  name: string;
  expectedArtifacts: Record<string, unknown>[];
  stages: Array<{ clusters: Array<Record<string, unknown>> }>;
};
const entry = () => structuredClone(pipeline.stages[0]!.clusters[0]!);
const REPOSITORY = '123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images';

/** The trigger of a start of the ECS pipeline, its expected artifacts bound. */
function started(trigger: Record<string, unknown>): Record<string, unknown> {
  const bound = resolveExpectedArtifacts(pipeline, trigger);
  if (!bound.ok) throw new Error(bound.message);
  return { ...trigger, ...bound.value };
}

const context = (trigger: Record<string, unknown>, more: Partial<ProviderBindingContext> = {}): ProviderBindingContext => ({ cloudProvider: 'ecs', at: 'clusters[0]', trigger, ancestorOutputs: [], hasArtifact: false, ...more });

describe('binding an ECS cluster entry', () => {
  it('hands over the bound task-definition artifact with its account, and the docker trigger\'s tag for the container image', () => {
    const trigger = started({ type: 'docker', account: 'my-us-west-2-devel-registry', registry: '123456789012.dkr.ecr.us-west-2.amazonaws.com', repository: 'spinnaker-deployment-images', tag: '1.4.0' });
    const bound = bindProviderFields(entry(), context(trigger));
    expect(bound.ok).toBe(true);
    if (!bound.ok) return;
    expect(bound.value['resolvedTaskDefinitionArtifact']).toEqual({
      artifactAccount: 'my-github-artifact-account',
      id: '6df946fd-ada6-491a-842c-6d6ce2f76dbe',
      name: 'demo-task-def.json',
      reference: 'https://api.github.com/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json',
      type: 'github/file',
      version: 'master',
    });
    expect((bound.value['containerMappings'] as Array<{ imageDescription: { tag: string } }>)[0]!.imageDescription.tag).toBe('1.4.0');
    // Everything else reaches the target as written.
    expect({ ...bound.value, resolvedTaskDefinitionArtifact: undefined, containerMappings: undefined }).toEqual({ ...entry(), resolvedTaskDefinitionArtifact: undefined, containerMappings: undefined });
  });

  it("takes a manual start's docker/image artifact of the repository, and leaves a docker trigger of another repository alone", () => {
    const manual = started({ type: 'manual', artifacts: [{ type: 'docker/image', name: REPOSITORY, version: '2.0.0', reference: `${REPOSITORY}:2.0.0` }] });
    const bound = bindProviderFields(entry(), context(manual));
    expect(bound.ok && (bound.value['containerMappings'] as Array<{ imageDescription: { tag: string } }>)[0]!.imageDescription.tag).toBe('2.0.0');
    const other = started({ type: 'docker', account: 'my-us-west-2-devel-registry', repository: 'another-image', tag: '9' });
    expect(bindProviderFields(entry(), context(other))).toMatchObject({ ok: false });
  });

  it('fails a trigger image the start did not bring, in one line naming the field and the fix', () => {
    expect(bindProviderFields(entry(), context(started({ type: 'manual' })))).toEqual({
      ok: false,
      message: `clusters[0].containerMappings[0].imageDescription.tag is empty and clusters[0].containerMappings[0].imageDescription.fromTrigger asks for the trigger's image of ${REPOSITORY}, but this execution's manual trigger brought none; run the pipeline from its docker trigger (or start it with a docker/image artifact named ${REPOSITORY}), or set clusters[0].containerMappings[0].imageDescription.tag, e.g. "1.2.0"`,
    });
    // The deploy's own docker/image artifact runs instead: nothing to fail.
    expect(bindProviderFields(entry(), context(started({ type: 'manual' }), { hasArtifact: true })).ok).toBe(true);
  });

  it('fails an artifact id the execution did not bind, in one line', () => {
    const cluster = { ...entry(), taskDefinitionArtifact: { artifactId: 'no-such-id' } };
    expect(bindProviderFields(cluster, context(started({ type: 'docker', account: 'my-us-west-2-devel-registry', repository: 'spinnaker-deployment-images', tag: '1' })))).toEqual({
      ok: false,
      message:
        'clusters[0].taskDefinitionArtifact.artifactId is "no-such-id"; no expected artifact of that id is bound in this execution (bound: bde8fefb-265c-4a30-bf01-2d1cbd136953); declare it in the pipeline\'s expectedArtifacts with useDefaultArtifact and a defaultArtifact, or a matchArtifact the trigger supplies',
    });
  });

  it('binds the top-level imageDescription of a generated task definition, and passes other clouds\' entries unchanged', () => {
    const generated = { ...entry(), useTaskDefinitionArtifact: false };
    const bound = bindProviderFields(generated, context({ type: 'docker', account: 'my-us-west-2-devel-registry', repository: 'spinnaker-deployment-images', tag: '3.1.0' }));
    expect(bound.ok && (bound.value['imageDescription'] as { tag: string }).tag).toBe('3.1.0');
    expect(bound.ok && bound.value['resolvedTaskDefinitionArtifact']).toBeUndefined();
    const ec2 = { amiName: 'x', taskDefinitionArtifact: { artifactId: 'nothing' } };
    expect(bindProviderFields(ec2, context({ type: 'manual' }, { cloudProvider: 'aws' }))).toEqual({ ok: true, value: ec2 });
  });
});
