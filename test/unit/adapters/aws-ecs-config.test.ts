/**
 * The aws-ecs target's provider fields (adapters/targets/aws-ecs/config.ts) and the requests built
 * from them (ecs-requests.ts): the real ECS pipeline's cluster entry parses as clouddriver reads it,
 * a bad field is one line naming the field, the value and the fix, what the target cannot do yet is
 * refused rather than dropped, and the task definition and service requests carry clouddriver's
 * names, environment, labels, port mappings and tags.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEcsClusterConfig, withTaskDefinitionTemplate, type EcsClusterConfig } from '../../../adapters/targets/aws-ecs/config.ts';
import { nativeDeploymentConfiguration } from '../../../adapters/targets/aws-ecs/ecs-native.ts';
import { artifactTaskDefinition, createServiceRequest, ecsNames, generatedTaskDefinition, resolveImages, type ResolvedResources } from '../../../adapters/targets/aws-ecs/ecs-requests.ts';
import { parseServerGroupName } from '../../../core/deploy/names.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';


/** The cluster entry of Spinnaker's ECS e2e pipeline, unchanged. */
function conformanceCluster(): Record<string, unknown> {
  const pipelines = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json'), 'utf8')) as Array<{ stages: Array<{ clusters: Array<Record<string, unknown>> }> }>;
  return structuredClone(pipelines[0]!.stages[0]!.clusters[0]!);
}

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

/** What clouddriver's demo task definition artifact holds: one container `v001`, awsvpc. */
const demoTaskDefinition = {
  family: 'ignored',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'v001', image: 'placeholder', portMappings: [{ containerPort: 80, protocol: 'tcp' }], environment: [{ name: 'PORT', value: '80' }] }],
};

/** The conformance entry with its task definition inline, as Gennaker takes it today. */
function inlineArtifactCluster(): Record<string, unknown> {
  return { ...conformanceCluster(), taskDefinitionArtifact: { artifact: { type: 'embedded/base64', reference: base64(demoTaskDefinition) } } };
}

function parsed(provider: Record<string, unknown>): EcsClusterConfig {
  const result = parseEcsClusterConfig(provider, 'us-west-2');
  if (!result.ok) throw new Error(result.message);
  return result.config;
}

const names = ecsNames({ ...parseServerGroupName('ecsapp-prod-ecsdemo-v003')!, sequence: 3 });
const resources: ResolvedResources = {
  images: new Map([['', 'repo/app:1.2.0']]),
  targetGroupArns: ['arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/spinnaker-ecs-demo-tg/abc'],
  subnets: ['subnet-1', 'subnet-2'],
  securityGroups: ['sg-1'],
  executionRoleArn: 'arn:aws:iam::123456789012:role/spinnaker',
};

describe('the ECS conformance pipeline, as the aws-ecs target reads it', () => {
  it('refuses an expected artifact\'s id that no deploy stage bound, saying where the artifact comes from', () => {
    const result = parseEcsClusterConfig(conformanceCluster(), 'us-west-2');
    expect(result).toEqual({
      ok: false,
      reason: 'invalid',
      message:
        'provider field taskDefinitionArtifact.artifactId is "bde8fefb-265c-4a30-bf01-2d1cbd136953"; an expected artifact\'s id is bound by the deploy stage, which hands the artifact over as resolvedTaskDefinitionArtifact; deploy through a deploy stage, or set taskDefinitionArtifact.artifact {"type": "github/file", "reference": "...", "artifactAccount": "..."}',
    });
  });

  it('reads the task definition the deploy stage bound through its artifact account (taskDefinitionArtifactAccount when the artifact names none), then checks it as an inline one', () => {
    const bound = { type: 'github/file', name: 'demo-task-def.json', reference: 'https://api.github.com/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json', version: 'master' };
    const config = parsed({ ...conformanceCluster(), resolvedTaskDefinitionArtifact: bound });
    expect(config.taskDefinition).toEqual({ kind: 'fetch', field: 'resolvedTaskDefinitionArtifact', artifact: { ...bound, artifactAccount: 'my-github-artifact-account' } });

    const fetched = withTaskDefinitionTemplate(config, JSON.stringify(demoTaskDefinition));
    expect(fetched.ok && fetched.config.taskDefinition).toEqual({ kind: 'artifact', field: 'resolvedTaskDefinitionArtifact', template: demoTaskDefinition });
    const wrongPort = withTaskDefinitionTemplate(config, JSON.stringify({ ...demoTaskDefinition, containerDefinitions: [{ name: 'v001', image: 'x', portMappings: [{ containerPort: 8080 }] }] }));
    expect(wrongPort).toEqual({
      ok: false,
      reason: 'invalid',
      message: 'provider field targetGroupMappings[0].containerPort is 80; container "v001" of the task definition (resolvedTaskDefinitionArtifact) maps 8080; add 80 to its portMappings or use a mapped port',
    });
    expect(withTaskDefinitionTemplate(config, '[1, 2]')).toEqual({
      ok: false,
      reason: 'invalid',
      message: 'provider field resolvedTaskDefinitionArtifact is "github/file demo-task-def.json"; its content is not a JSON object; make the file a RegisterTaskDefinition request in JSON',
    });
  });

  it('reads every field of the entry once its task definition is inline', () => {
    const config = parsed(inlineArtifactCluster());
    expect(config).toMatchObject({
      deploymentMode: 'spinnaker',
      ecsClusterName: 'spinnaker-deployment-cluster',
      launchType: 'FARGATE',
      computeUnits: 256,
      reservedMemory: 512,
      containerPort: 80,
      networkMode: 'awsvpc',
      subnetTypes: ['private-subnet'],
      availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2d'],
      securityGroupNames: ['spinnaker-ecs-demo-private-access'],
      associatePublicIpAddress: false,
      environmentVariables: { PORT: '80' },
      logDriver: 'awslogs',
      logOptions: { 'awslogs-group': 'spinnaker-ecs-demo', 'awslogs-region': 'us-west-2', 'awslogs-stream-prefix': 'spinnaker' },
      healthCheckGracePeriodSeconds: 5,
      targetGroupMappings: [{ containerName: 'v001', containerPort: 80, targetGroup: 'spinnaker-ecs-demo-tg' }],
      taskDefinition: { kind: 'artifact', field: 'taskDefinitionArtifact.artifact', template: demoTaskDefinition },
      // A trigger's image without a tag waits for the deploy's docker/image artifact.
      containerMappings: [{ containerName: 'v001', image: { kind: 'from-artifact', field: 'containerMappings[0].imageDescription', repository: 'spinnaker-deployment-images' } }],
      tags: {},
    });
    // Deck's placeholders mean "none".
    expect(config.iamRole).toBeUndefined();
    expect(config.dockerImageCredentialsSecret).toBeUndefined();
  });

  it('builds the task definition from the artifact: cluster family, mapped image, Spinnaker env and labels', () => {
    const config = parsed(inlineArtifactCluster());
    const images = resolveImages(config, '123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images:1.4.0');
    if (!images.ok) throw new Error(images.message);
    const input = artifactTaskDefinition(config, demoTaskDefinition, names, { ...resources, images: images.images }, 'e1/s1/p1/1');
    expect(input).toMatchObject({
      family: 'ecsapp-prod-ecsdemo',
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn: 'arn:aws:iam::123456789012:role/spinnaker',
      containerDefinitions: [
        {
          name: 'v001',
          image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images:1.4.0',
          environment: [
            { name: 'PORT', value: '80' },
            { name: 'SERVER_GROUP', value: 'ecsapp-prod-ecsdemo-v003' },
            { name: 'CLOUD_STACK', value: 'prod' },
            { name: 'CLOUD_DETAIL', value: 'ecsdemo' },
          ],
          dockerLabels: { 'spinnaker.servergroup': 'ecsapp-prod-ecsdemo-v003', 'spinnaker.stack': 'prod', 'spinnaker.detail': 'ecsdemo' },
        },
      ],
      tags: [
        { key: 'gennaker:owner', value: 'e1/s1/p1/1' },
        { key: 'gennaker:server-group', value: 'ecsapp-prod-ecsdemo-v003' },
      ],
    });
  });

  it('fails to resolve the image of a trigger without a tag when the deploy carries no docker/image artifact', () => {
    const images = resolveImages(parsed(inlineArtifactCluster()), undefined);
    expect(images).toEqual({
      ok: false,
      message:
        'provider field containerMappings[0].imageDescription.tag is missing; the image of a trigger (spinnaker-deployment-images) reaches the ECS target as the deploy\'s docker/image artifact: set artifact {"type": "docker/image", "reference": "<repository>:<tag>"} (or dockerImageAddress)',
    });
  });
});

describe('a generated task definition and its service (clouddriver makeTaskDefinitionRequest and makeServiceRequest)', () => {
  const generated = () => {
    const { useTaskDefinitionArtifact: _artifact, taskDefinitionArtifact: _td, containerMappings: _mappings, ...rest } = conformanceCluster();
    return { ...rest, imageDescription: { registry: 'registry.example', repository: 'app', tag: '1.2.0' }, targetGroupMappings: [{ containerPort: 80, targetGroup: 'spinnaker-ecs-demo-tg' }] };
  };

  it('names the container after the sequence and sets cpu, memory and Fargate fields', () => {
    const config = parsed(generated());
    expect(config.image).toEqual({ kind: 'address', address: 'registry.example/app:1.2.0', field: 'imageDescription' });
    const images = resolveImages(config, 'ignored:because-the-description-has-a-tag');
    if (!images.ok) throw new Error(images.message);
    expect(generatedTaskDefinition(config, names, { ...resources, images: images.images }, 'owner-1')).toEqual({
      family: 'ecsapp-prod-ecsdemo',
      containerDefinitions: [
        {
          name: 'v003',
          image: 'registry.example/app:1.2.0',
          environment: [
            { name: 'PORT', value: '80' },
            { name: 'SERVER_GROUP', value: 'ecsapp-prod-ecsdemo-v003' },
            { name: 'CLOUD_STACK', value: 'prod' },
            { name: 'CLOUD_DETAIL', value: 'ecsdemo' },
          ],
          cpu: 256,
          memoryReservation: 512,
          portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
          dockerLabels: { 'spinnaker.stack': 'prod', 'spinnaker.detail': 'ecsdemo', 'spinnaker.servergroup': 'ecsapp-prod-ecsdemo-v003' },
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'spinnaker-ecs-demo', 'awslogs-region': 'us-west-2', 'awslogs-stream-prefix': 'spinnaker' } },
        },
      ],
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: 'arn:aws:iam::123456789012:role/spinnaker',
      cpu: '256',
      memory: '512',
      tags: [
        { key: 'gennaker:owner', value: 'owner-1' },
        { key: 'gennaker:server-group', value: 'ecsapp-prod-ecsdemo-v003' },
      ],
    });
  });

  it('maps bridge networking to dynamic host ports', () => {
    const config = parsed({ ...generated(), launchType: 'EC2', networkMode: 'bridge', securityGroupNames: [], subnetType: '' });
    const input = generatedTaskDefinition(config, names, resources, 'owner-1');
    expect(input.containerDefinitions?.[0]?.portMappings).toEqual([{ containerPort: 80, hostPort: 0, protocol: 'tcp' }]);
    expect(input.requiresCompatibilities).toEqual(['EC2']);
    expect(input.cpu).toBeUndefined();
  });

  it('creates the service as clouddriver does, with the moniker, the owner and an idempotency token', () => {
    const config = parsed(generated());
    const request = createServiceRequest(config, names, 'arn:aws:ecs:us-west-2:123456789012:task-definition/ecsapp-prod-ecsdemo:7', 3, resources, 'owner-1');
    expect(request).toEqual({
      serviceName: 'ecsapp-prod-ecsdemo-v003',
      cluster: 'spinnaker-deployment-cluster',
      taskDefinition: 'arn:aws:ecs:us-west-2:123456789012:task-definition/ecsapp-prod-ecsdemo:7',
      desiredCount: 3,
      clientToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      loadBalancers: [{ targetGroupArn: resources.targetGroupArns[0], containerName: 'v003', containerPort: 80 }],
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: false, rollback: false } },
      placementConstraints: [],
      placementStrategy: [],
      enableExecuteCommand: false,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
      launchType: 'FARGATE',
      healthCheckGracePeriodSeconds: 5,
      tags: [
        { key: 'moniker.spinnaker.io/application', value: 'ecsapp' },
        { key: 'moniker.spinnaker.io/cluster', value: 'ecsapp-prod-ecsdemo' },
        { key: 'moniker.spinnaker.io/detail', value: 'ecsdemo' },
        { key: 'moniker.spinnaker.io/stack', value: 'prod' },
        { key: 'moniker.spinnaker.io/sequence', value: '3' },
        { key: 'gennaker:owner', value: 'owner-1' },
      ],
      enableECSManagedTags: true,
      propagateTags: 'SERVICE',
    });
    // The same owner and name give the same token; another owner another.
    expect(createServiceRequest(config, names, 'x', 3, resources, 'owner-1').clientToken).toBe(request.clientToken);
    expect(createServiceRequest(config, names, 'x', 3, resources, 'owner-2').clientToken).not.toBe(request.clientToken);
  });

  it('joins the legacy targetGroup and containerPort to the mappings, on the server group\'s container', () => {
    const config = parsed({ ...generated(), targetGroupMappings: [], targetGroup: 'legacy-tg', containerPort: 8080, loadBalancedContainer: '' });
    expect(config.targetGroupMappings).toEqual([{ containerPort: 8080, targetGroup: 'legacy-tg', portField: 'containerPort' }]);
  });

  it('fails to resolve an image when neither the entry nor the deploy\'s artifact names one', () => {
    expect(resolveImages(parsed({ ecsClusterName: 'c', launchType: 'EC2' }), undefined)).toEqual({
      ok: false,
      message: 'provider field imageDescription is missing; set the image to run: imageDescription {"repository": "...", "tag": "..."}, dockerImageAddress, or a docker/image artifact',
    });
  });

  it('takes the image from dockerImageAddress, else from the deploy\'s artifact', () => {
    const { imageDescription: _none, ...withoutDescription } = generated();
    expect(parsed({ ...withoutDescription, dockerImageAddress: 'app:2.0.0' }).image).toEqual({ kind: 'address', address: 'app:2.0.0', field: 'dockerImageAddress' });
    const fromTrigger = parsed({ ...withoutDescription, imageDescription: { repository: 'app', fromTrigger: true, tag: '' } });
    const images = resolveImages(fromTrigger, 'app:3.0.0');
    expect(images.ok && images.images.get('')).toBe('app:3.0.0');
  });
});

describe('bad provider fields: one line naming the field, the value and the fix', () => {
  const valid = () => ({ ecsClusterName: 'c', launchType: 'EC2', dockerImageAddress: 'app:1' });

  it.each([
    [{ ecsClusterName: undefined }, 'invalid', 'provider field ecsClusterName is missing; set the ECS cluster to deploy to, e.g. "spinnaker-deployment-cluster"'],
    [{ ecsClusterName: 'my cluster' }, 'invalid', 'provider field ecsClusterName is "my cluster"; ECS cluster names hold up to 255 letters, digits, hyphens and underscores'],
    [{ launchType: 'LAMBDA' }, 'invalid', 'provider field launchType is "LAMBDA"; set "FARGATE" or "EC2", or leave it empty and set capacityProviderStrategy'],
    [{ launchType: 'FARGATE' }, 'invalid', 'provider field networkMode is missing; FARGATE tasks run with networkMode "awsvpc"; set it'],
    [{ launchType: 'FARGATE', networkMode: 'awsvpc', subnetType: 'private' }, 'invalid', 'provider field computeUnits is missing; Fargate tasks need CPU units, e.g. 256'],
    [{ computeUnits: 'lots' }, 'invalid', 'provider field computeUnits is "lots"; set CPU units, e.g. 256'],
    [{ reservedMemory: -1 }, 'invalid', 'provider field reservedMemory is -1; set memory in MiB, e.g. 512'],
    [{ containerPort: 70000 }, 'invalid', 'provider field containerPort is 70000; set a port number from 1 to 65535, e.g. 80'],
    [{ targetGroupMappings: [{ containerPort: 80 }] }, 'invalid', 'provider field targetGroupMappings[0].targetGroup is missing; set the target group name, e.g. "hello-prod-tg"'],
    [{ targetGroup: 'tg' }, 'invalid', 'provider field containerPort is missing; targetGroup is "tg"; set the container port it reaches, e.g. 80'],
    [{ networkMode: 'awsvpc' }, 'invalid', 'provider field subnetType is missing; networkMode "awsvpc" needs subnets: set subnetType (a subnet purpose, e.g. "private-subnet") or subnets'],
    [{ subnets: ['sub-1'] }, 'invalid', 'provider field subnets[0] is "sub-1"; list subnet ids, e.g. ["subnet-0abc1234"]'],
    [{ securityGroups: ['web'] }, 'invalid', 'provider field securityGroups[0] is "web"; list security group ids, e.g. ["sg-0abc1234"], or names in securityGroupNames'],
    [{ securityGroupNames: ['web'] }, 'invalid', 'provider field networkMode is missing; security groups apply to networkMode "awsvpc" only; set it, or remove securityGroups and securityGroupNames'],
    [{ environmentVariables: 'PORT=80' }, 'invalid', 'provider field environmentVariables is "PORT=80"; set an object of environment variables, e.g. {"PORT": "80"}'],
    [{ tags: { 'gennaker:owner': 'me' } }, 'invalid', 'provider field tags.gennaker:owner is "me"; tag keys starting with "gennaker:" are Gennaker\'s own; rename the tag'],
    [{ iamRole: 'not a role' }, 'invalid', 'provider field iamRole is "not a role"; set the task role\'s name (e.g. "helloTaskRole") or ARN, or "None (No IAM role)"'],
    [{ imageDescription: { repository: 'app' }, dockerImageAddress: undefined }, 'invalid', 'provider field imageDescription.tag is missing; set the image tag, or set dockerImageAddress, e.g. "hello:1.2.0"'],
    [{ launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'cp' }] }, 'invalid', 'provider field capacityProviderStrategy is [{"capacityProvider":"cp"}]; launchType is "EC2" too; set only one of them'],
    [{ serviceDiscoveryAssociations: [{ registry: { arn: 'arn:x' } }] }, 'unsupported', 'provider field serviceDiscoveryAssociations is [{"registry":{"arn":"arn:x"}}]; service discovery (Cloud Map) is not supported by the aws-ecs target yet; leave it empty'],
    [{ useTaskDefinitionArtifact: true, taskDefinitionArtifact: { artifact: { type: 'github/file', reference: '' } } }, 'invalid', 'provider field taskDefinitionArtifact.artifact.reference is ""; set where the task definition is, e.g. "https://api.github.com/repos/<owner>/<repo>/contents/task-def.json"'],
    [{ useTaskDefinitionArtifact: true, taskDefinitionArtifact: { artifact: { reference: 'https://x' } } }, 'invalid', 'provider field taskDefinitionArtifact.artifact.type is missing; set the artifact type, e.g. "github/file" or "embedded/base64"'],
    [{ useTaskDefinitionArtifact: true, taskDefinitionArtifact: { artifact: { type: 'embedded/base64', reference: base64({ family: 'x' }) } } }, 'invalid', 'provider field taskDefinitionArtifact.artifact.containerDefinitions is missing; the task definition needs at least one container definition'],
    [
      { useTaskDefinitionArtifact: true, networkMode: 'bridge', taskDefinitionArtifact: { artifact: { type: 'embedded/base64', reference: base64(demoTaskDefinition) } }, containerMappings: [{ containerName: 'v001', dockerImageAddress: 'a:1' }] },
      'invalid',
      'provider field taskDefinitionArtifact.artifact.networkMode is "awsvpc"; the server group\'s networkMode is "bridge"; make them match',
    ],
    [
      { useTaskDefinitionArtifact: true, networkMode: 'awsvpc', subnets: ['subnet-1'], taskDefinitionArtifact: { artifact: { type: 'embedded/base64', reference: base64(demoTaskDefinition) } }, containerMappings: [{ containerName: 'web', dockerImageAddress: 'a:1' }] },
      'invalid',
      'provider field containerMappings[0].containerName is "web"; the task definition has 0 containers of that name (it has v001); name exactly one',
    ],
    [
      {
        useTaskDefinitionArtifact: true,
        networkMode: 'awsvpc',
        subnets: ['subnet-1'],
        taskDefinitionArtifact: { artifact: { type: 'embedded/base64', reference: base64(demoTaskDefinition) } },
        containerMappings: [{ containerName: 'v001', dockerImageAddress: 'a:1' }],
        targetGroupMappings: [{ containerName: 'v001', containerPort: 8080, targetGroup: 'tg' }],
      },
      'invalid',
      'provider field targetGroupMappings[0].containerPort is 8080; container "v001" of the task definition (taskDefinitionArtifact.artifact) maps 80; add 8080 to its portMappings or use a mapped port',
    ],
    [
      {
        useTaskDefinitionArtifact: true,
        networkMode: 'awsvpc',
        subnets: ['subnet-1'],
        taskDefinitionArtifact: { artifact: { type: 'embedded/base64', reference: base64(demoTaskDefinition) } },
        containerMappings: [{ containerName: 'v001', dockerImageAddress: 'a:1' }],
        targetGroup: 'tg',
        loadBalancedContainer: 'v001',
        containerPort: 443,
      },
      'invalid',
      'provider field containerPort is 443; container "v001" of the task definition (taskDefinitionArtifact.artifact) maps 80; add 443 to its portMappings or use a mapped port',
    ],
    [{ deploymentMode: 'argo' }, 'invalid', 'provider field deploymentMode is "argo"; set "spinnaker" (a service per server group, as Spinnaker) or "ecs-native" (ECS blue/green, canary or linear)'],
    [
      { deploymentMode: 'ecs-native' },
      'invalid',
      'provider field ecsNativeDeployment is missing; deploymentMode "ecs-native" needs {"strategy": "BLUE_GREEN", "alternateTargetGroup": "...", "productionListenerRule": "arn:...", "roleArn": "arn:..."}',
    ],
  ] as const)('refuses %j: %s', (fields, reason, message) => {
    expect(parseEcsClusterConfig({ ...valid(), ...fields }, 'us-west-2')).toEqual({ ok: false, reason, message });
  });
});

describe('deploymentMode', () => {
  const native = {
    strategy: 'CANARY',
    canaryPercent: 10,
    canaryBakeTimeInMinutes: 5,
    alternateTargetGroup: 'hello-green',
    productionListenerRule: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:listener-rule/app/hello/1/2/3',
    roleArn: 'arn:aws:iam::123456789012:role/ecsInfrastructureRole',
  };
  const cluster = { ecsClusterName: 'c', launchType: 'EC2', dockerImageAddress: 'app:1', targetGroupMappings: [{ containerPort: 80, targetGroup: 'hello-blue' }] };

  it('is spinnaker unless ecs-native is asked for', () => {
    expect(parsed(cluster).deploymentMode).toBe('spinnaker');
    expect(parsed({ ...cluster, deploymentMode: '' }).deploymentMode).toBe('spinnaker');
  });

  it('reads the ECS native strategy, its traffic steps and the second target group', () => {
    expect(parsed({ ...cluster, deploymentMode: 'ecs-native', ecsNativeDeployment: native })).toMatchObject({
      deploymentMode: 'ecs-native',
      ecsNativeDeployment: { ...native, bakeTimeInMinutes: 0, pauseAt: [], pauseTimeoutInMinutes: 60 },
    });
  });

  it.each([
    [
      { strategy: 'CANARY', canaryPercent: 10, canaryBakeTimeInMinutes: 5, pauseAt: ['PRODUCTION_TRAFFIC_SHIFT'] },
      { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 }, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['PRODUCTION_TRAFFIC_SHIFT'], timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' } }] },
    ],
    [{ strategy: 'LINEAR', linearStepPercent: 25, linearStepBakeTimeInMinutes: 2 }, { strategy: 'LINEAR', linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 2 }, lifecycleHooks: [] }],
    [
      { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 15, pauseAt: ['POST_TEST_TRAFFIC_SHIFT', 'POST_TEST_TRAFFIC_SHIFT'], pauseTimeoutInMinutes: 30 },
      { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 15, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'], timeoutConfiguration: { timeoutInMinutes: 30, action: 'ROLLBACK' } }] },
    ],
    [
      {
        strategy: 'BLUE_GREEN',
        pauseAt: ['PRE_PRODUCTION_TRAFFIC_SHIFT'],
        lambdaHooks: [{ hookTargetArn: 'arn:aws:lambda:us-west-2:123456789012:function:smoke-test', roleArn: 'arn:aws:iam::123456789012:role/ecsHooks', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'], hookDetails: { suite: 'smoke' }, timeoutInMinutes: 15 }],
      },
      {
        lifecycleHooks: [
          { targetType: 'PAUSE', lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'], timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' } },
          {
            targetType: 'AWS_LAMBDA',
            hookTargetArn: 'arn:aws:lambda:us-west-2:123456789012:function:smoke-test',
            roleArn: 'arn:aws:iam::123456789012:role/ecsHooks',
            lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
            hookDetails: { suite: 'smoke' },
            timeoutConfiguration: { timeoutInMinutes: 15 },
          },
        ],
      },
    ],
  ])('asks ECS for %j as %j, rolling back when a pause times out or tasks fail', (given, expected) => {
    const config = parsed({ ...cluster, deploymentMode: 'ecs-native', ecsNativeDeployment: { ...native, ...given } });
    expect(nativeDeploymentConfiguration(config.ecsNativeDeployment!)).toMatchObject({ ...expected, deploymentCircuitBreaker: { enable: true, rollback: true } });
  });

  it('refuses a pause at a stage ECS cannot hold', () => {
    expect(parseEcsClusterConfig({ ...cluster, deploymentMode: 'ecs-native', ecsNativeDeployment: { ...native, pauseAt: ['BAKE_TIME'] } }, 'us-west-2')).toMatchObject({
      ok: false,
      message: expect.stringContaining('provider field ecsNativeDeployment.pauseAt[0] is "BAKE_TIME"; set lifecycle stages to wait at, of RECONCILE_SERVICE, PRE_SCALE_UP'),
    });
  });

  it.each([
    [{ ...native, strategy: 'ROLLING' }, 'provider field ecsNativeDeployment.strategy is "ROLLING"; set one of BLUE_GREEN, CANARY, LINEAR'],
    [{ ...native, canaryPercent: 0 }, 'provider field ecsNativeDeployment.canaryPercent is 0; set the canary\'s share of traffic, 0.1 to 100'],
    [{ ...native, linearStepPercent: 2 }, 'provider field ecsNativeDeployment.linearStepPercent is 2; set each step\'s share of traffic, 3 to 100'],
    [{ ...native, alternateTargetGroup: 'hello-blue' }, 'provider field ecsNativeDeployment.alternateTargetGroup is "hello-blue"; name a second target group, not the production one'],
    [
      { ...native, lambdaHooks: [{ hookTargetArn: 'smoke-test', roleArn: 'arn:aws:iam::123456789012:role/ecsHooks', lifecycleStages: ['POST_SCALE_UP'] }] },
      'provider field ecsNativeDeployment.lambdaHooks[0].hookTargetArn is "smoke-test"; set the ARN of the Lambda function ECS invokes, e.g. "arn:aws:lambda:us-west-2:123456789012:function:smoke-test"',
    ],
    [{ ...native, roleArn: 'ecsInfrastructureRole' }, 'provider field ecsNativeDeployment.roleArn is "ecsInfrastructureRole"; set the ARN of the role ECS assumes to shift traffic, e.g. "arn:aws:iam::123456789012:role/ecsInfrastructureRole"'],
  ])('refuses ecsNativeDeployment %j', (ecsNativeDeployment, message) => {
    expect(parseEcsClusterConfig({ ...cluster, deploymentMode: 'ecs-native', ecsNativeDeployment }, 'us-west-2')).toEqual({ ok: false, reason: 'invalid', message });
  });

  it('refuses ecsNativeDeployment without the ecs-native mode, so a half-made opt-in is seen', () => {
    expect(parseEcsClusterConfig({ ...cluster, ecsNativeDeployment: native }, 'us-west-2')).toEqual({
      ok: false,
      reason: 'invalid',
      message: 'provider field deploymentMode is "spinnaker"; ecsNativeDeployment is set; set deploymentMode to "ecs-native" to use it, or remove ecsNativeDeployment',
    });
  });
});
