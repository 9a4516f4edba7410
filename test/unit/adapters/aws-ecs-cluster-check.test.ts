/**
 * The save-time check of an ECS cluster entry (adapters/targets/aws-ecs/cluster-check.ts): the
 * conformance pipeline's entry passes, bad fields are named with their value and fix, an entry with
 * nothing to run is refused unless something upstream may hand it an image, and what the deploy
 * stage binds at run time (an expected artifact's id) is not judged here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEcsClusterEntry } from '../../../adapters/targets/aws-ecs/cluster-check.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

function conformanceCluster(): Record<string, unknown> {
  const pipelines = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json'), 'utf8')) as Array<{ stages: Array<{ clusters: Array<Record<string, unknown>> }> }>;
  return structuredClone(pipelines[0]!.stages[0]!.clusters[0]!);
}

const lines = (entry: Record<string, unknown>, upstreamImage: 'yes' | 'maybe' | 'no' = 'no') =>
  checkEcsClusterEntry(entry, { regions: ['us-west-2'], upstreamImage }).map((issue) => `${issue.severity} /${issue.path.join('/')}: ${issue.message}`);

describe('the ECS cluster check at save', () => {
  it("passes Spinnaker's ECS conformance entry", () => {
    expect(lines(conformanceCluster())).toEqual([]);
  });

  it('names a bad field with its value and the fix', () => {
    expect(lines({ ...conformanceCluster(), ecsClusterName: 7, computeUnits: 'lots' })).toEqual([
      'error /ecsClusterName: provider field ecsClusterName is 7; set the ECS cluster to deploy to, e.g. "spinnaker-deployment-cluster"',
      'error /computeUnits: provider field computeUnits is "lots"; set CPU units, e.g. 256',
    ]);
  });

  it('refuses a Spinnaker strategy on an ecs-native cluster, where ECS moves the traffic', () => {
    const native = {
      ecsClusterName: 'demo',
      launchType: 'EC2',
      dockerImageAddress: 'hello:1.2.0',
      targetGroupMappings: [{ containerPort: 80, targetGroup: 'hello-blue' }],
      deploymentMode: 'ecs-native',
      ecsNativeDeployment: {
        strategy: 'BLUE_GREEN',
        alternateTargetGroup: 'hello-green',
        productionListenerRule: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:listener-rule/app/hello/1/2/3',
        roleArn: 'arn:aws:iam::123456789012:role/ecsInfrastructureRole',
      },
    };
    expect(lines({ ...native, strategy: 'redblack' })).toEqual([
      'error /strategy: provider field strategy is "redblack"; with deploymentMode "ecs-native" ECS shifts the traffic itself (ecsNativeDeployment.strategy); set the deploy strategy to "none" or leave it empty',
    ]);
    expect(lines({ ...native, strategy: '' })).toEqual([]);
  });

  it('refuses an entry with nothing to run unless a stage upstream may hand it an image', () => {
    const entry = { ecsClusterName: 'demo', launchType: 'EC2', containerPort: 80 };
    expect(lines(entry)).toEqual([
      'error /imageDescription: provider field imageDescription is missing; set the image to run: imageDescription {"repository": "...", "tag": "..."}, dockerImageAddress, or a docker/image artifact',
    ]);
    expect(lines(entry, 'maybe').map((line) => line.split(' ')[0])).toEqual(['warning']);
    expect(lines(entry, 'yes')).toEqual([]);
    expect(lines({ ...entry, dockerImageAddress: 'hello:1.2.0' })).toEqual([]);
  });

  it("leaves an expected artifact's id to the deploy stage that binds it", () => {
    const entry = { ...conformanceCluster(), useTaskDefinitionArtifact: true, taskDefinitionArtifact: { artifactId: 'task-def' }, containerMappings: [{ containerName: 'v001', imageDescription: { repository: 'r', tag: '1' } }] };
    expect(lines(entry)).toEqual([]);
  });
});
