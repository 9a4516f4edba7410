/**
 * What `--sandbox` seeds: the world a pipeline assumes, read from Spinnaker's own JSON (the ECS
 * conformance pipeline and the EC2 example), and nothing it leaves to an expression.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sandboxTaskDefinition } from '../../../local/sandbox/sandbox-artifacts.ts';
import { assumedWorld } from '../../../local/sandbox/world.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

describe('the world a pipeline assumes', () => {
  it('reads the ECS conformance pipeline: its account on ecs, private subnets in four zones, the security group, an ip target group on the container port, the ECS cluster, and the serving service a red/black replaces', () => {
    const pipelines = readJson(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json')) as unknown[];
    const world = assumedWorld(pipelines);
    expect(world.accounts).toEqual([{ name: 'ecs-my-aws-devel-acct', cloud: 'ecs', regions: ['us-west-2'] }]);
    const region = world.regions.get('us-west-2')!;
    expect([...region.subnets.entries()].map(([purpose, zones]) => [purpose, [...zones]])).toEqual([['private-subnet', ['us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2d']]]);
    expect([...region.securityGroups]).toEqual(['spinnaker-ecs-demo-private-access']);
    expect([...region.targetGroups.values()]).toEqual([{ name: 'spinnaker-ecs-demo-tg', targetType: 'ip', port: 80 }]);
    expect([...region.ecsClusters]).toEqual(['spinnaker-deployment-cluster']);
    // "None (No IAM role)" is Deck's placeholder, not a role.
    expect([...region.iamRoles]).toEqual([]);
    expect(world.serving.map(({ entry: _entry, pipeline: _pipeline, ...group }) => group)).toEqual([
      { account: 'ecs-my-aws-devel-acct', cloud: 'ecs', region: 'us-west-2', application: 'ecsapp', stack: 'prod', detail: 'ecsdemo', capacity: { min: 2, max: 6, desired: 3 } },
    ]);
    expect(world.clusters).toEqual([{ account: 'ecs-my-aws-devel-acct', cloud: 'ecs', region: 'us-west-2', application: 'ecsapp', stack: 'prod', detail: 'ecsdemo' }]);
    // The task definition its expected artifact defaults to, read through the artifact account, and the image its docker trigger brings.
    expect(world.artifacts.map(({ entry: _entry, ...artifact }) => artifact)).toEqual([
      {
        artifactAccount: 'my-github-artifact-account',
        type: 'github/file',
        reference: 'https://api.github.com/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json',
        name: 'demo-task-def.json',
        version: 'master',
      },
    ]);
    expect(world.triggerImages).toEqual(['123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images']);
  });

  it('makes the task definition an ECS entry expects of its artifact: its containers, the ports its target groups reach, Fargate size', () => {
    const pipelines = readJson(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json')) as Array<{ stages: Array<{ clusters: Array<Record<string, unknown>> }> }>;
    expect(sandboxTaskDefinition(pipelines[0]!.stages[0]!.clusters[0]!)).toEqual({
      containers: ['v001'],
      taskDefinition: {
        family: 'ecsapp-prod-ecsdemo',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'v001', image: 'replaced-by-containerMappings', essential: true, portMappings: [{ containerPort: 80, protocol: 'tcp' }] }],
      },
    });
    const legacy = sandboxTaskDefinition({ application: 'a', launchType: 'EC2', networkMode: 'bridge', containerMappings: [{ containerName: 'web' }, { containerName: 'sidecar' }], targetGroup: 'tg', loadBalancedContainer: 'web', containerPort: '8080' });
    expect(legacy.containers).toEqual(['web', 'sidecar']);
    expect(legacy.taskDefinition).toMatchObject({ networkMode: 'bridge', requiresCompatibilities: ['EC2'], containerDefinitions: [{ name: 'web', portMappings: [{ containerPort: 8080 }] }, { name: 'sidecar', portMappings: [] }] });
  });

  it('seeds no artifact a manual run cannot bind (an expected artifact without a default), nor a trigger image of an entry that names its tag', () => {
    const pipeline = readJson(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json')) as Array<Record<string, unknown> & { expectedArtifacts: Array<Record<string, unknown>>; stages: Array<{ clusters: Array<Record<string, unknown>> }> }>;
    const changed = structuredClone(pipeline[0]!);
    changed.expectedArtifacts[0]!['useDefaultArtifact'] = false;
    const cluster = changed.stages[0]!.clusters[0]!;
    cluster['containerMappings'] = [{ containerName: 'v001', imageDescription: { registry: 'r', repository: 'x', tag: '1.0', fromTrigger: true } }];
    const world = assumedWorld([changed]);
    expect(world.artifacts).toEqual([]);
    expect(world.triggerImages).toEqual([]);
  });

  it('reads the EC2 example: AMI by name, subnets of the subnetType in the listed zones, instance target group, and one serving group', () => {
    const world = assumedWorld([readJson(join(root, 'examples/pipelines/ec2-redblack.json'))]);
    expect(world.accounts).toEqual([{ name: 'my-aws-prod', cloud: 'aws', regions: ['us-west-2'] }]);
    const region = world.regions.get('us-west-2')!;
    expect([...region.images]).toEqual(['webshop-1.4.2-x86_64-202612070900']);
    expect([...region.subnets.get('internal (vpc0)')!]).toEqual(['us-west-2a', 'us-west-2b']);
    expect([...region.targetGroups.values()]).toEqual([{ name: 'webshop-prod-tg', targetType: 'instance' }]);
    expect([...region.iamRoles]).toEqual(['webshopInstanceProfile']);
    expect(world.serving).toHaveLength(1);
    expect(world.serving[0]).toMatchObject({ application: 'webshop', stack: 'prod', capacity: { min: 2, max: 4, desired: 2 } });
  });

  it('seeds nothing a value leaves to an expression, no serving group for a strategy that replaces nothing, and skips other clouds', () => {
    const world = assumedWorld([
      {
        stages: [
          {
            type: 'deploy',
            clusters: [
              { provider: 'aws', account: 'prod', application: 'app', strategy: '', amiName: '${trigger.properties.ami}', availabilityZones: { 'eu-west-1': ['eu-west-1a'] }, securityGroups: ['${parameters.sg}'], targetGroups: [] },
              { provider: 'kubernetes', account: 'k8s', application: 'app' },
            ],
          },
          // Two stages deploying the same cluster assume one serving group.
          { type: 'deploy', clusters: [{ provider: 'aws', account: 'prod', application: 'app', stack: 'web', strategy: 'highlander', availabilityZones: { 'eu-west-1': ['eu-west-1a'] }, capacity: { desired: '3' } }] },
          { type: 'deploy', clusters: [{ provider: 'aws', account: 'prod', application: 'app', stack: 'web', strategy: 'redblack', availabilityZones: { 'eu-west-1': ['eu-west-1a'] } }] },
          // A disable stage names the account and region but deploys nothing.
          { type: 'disableServerGroup', cloudProvider: 'aws', credentials: 'other', regions: ['us-east-2'] },
        ],
      },
    ]);
    expect(world.accounts.map((account) => [account.name, account.cloud, account.regions])).toEqual([
      ['other', 'aws', ['us-east-2']],
      ['prod', 'aws', ['eu-west-1']],
    ]);
    const region = world.regions.get('eu-west-1')!;
    expect([...region.images]).toEqual([]);
    expect([...region.securityGroups]).toEqual([]);
    expect(world.serving.map((group) => [group.stack, group.capacity])).toEqual([['web', { min: 3, max: 3, desired: 3 }]]);
  });

  it("resolves parameters from the run's values over the pipeline's defaults, and seeds a Lambda stage's code object", () => {
    const pipeline = {
      parameterConfig: [{ name: 'version', default: '1.0.0' }, { name: 'ami' }],
      stages: [
        { type: 'Aws.LambdaDeploymentStage', cloudProvider: 'aws', account: 'fn', region: 'us-east-1', s3bucket: 'artifacts', s3key: "api/${parameters['version']}.zip" },
        { type: 'deploy', clusters: [{ provider: 'aws', account: 'prod', application: 'app', amiName: 'app-${parameters.ami}', availabilityZones: { 'us-east-1': ['us-east-1a'] } }] },
      ],
    };
    const defaults = assumedWorld([pipeline]);
    expect([...defaults.regions.get('us-east-1')!.codeObjects]).toEqual(['artifacts/api/1.0.0.zip']);
    // A parameter with no value stays an expression: nothing is seeded for it.
    expect([...defaults.regions.get('us-east-1')!.images]).toEqual([]);
    const given = assumedWorld([pipeline], { version: '2.0.0', ami: '7' });
    expect([...given.regions.get('us-east-1')!.codeObjects]).toEqual(['artifacts/api/2.0.0.zip']);
    expect([...given.regions.get('us-east-1')!.images]).toEqual(['app-7']);
    expect(given.accounts.map((account) => account.name)).toEqual(['fn', 'prod']);
  });

  it('assumes a live version behind the alias a Lambda rollout moves, with the deploy stage settings', () => {
    const world = assumedWorld([JSON.parse(readFileSync(join(root, 'examples/pipelines/lambda-weighted.json'), 'utf8'))]);
    expect(world.liveFunctions.map(({ settings, ...live }) => ({ ...live, runtime: settings['runtime'] }))).toEqual([
      { account: 'aws-sandbox', region: 'us-east-1', functionName: 'hello-api', alias: 'live', runtime: 'nodejs22.x' },
    ]);
  });

  it('serves only names shaped like AWS regions, so a deploy to another fails as on AWS', () => {
    const world = assumedWorld([{ stages: [{ type: 'deploy', clusters: [{ provider: 'aws', account: 'prod', application: 'app', availabilityZones: { 'mars-north-1': ['mars-north-1a'], 'us-gov-west-1': ['us-gov-west-1a'], 'ap-southeast-5': [] } }] }] }]);
    expect(world.accounts).toEqual([{ name: 'prod', cloud: 'aws', regions: ['us-gov-west-1', 'ap-southeast-5'] }]);
  });
});
