/**
 * Deploy clusters refused at save (core/deploy/save-checks.ts), through the execution service of
 * the local runtime with an EC2 account on the AWS simulator (seeded: subnets of purpose
 * "internal", security group hello-web, the AMI hello-1.0.0-h1.abc1234, target group hello-shared):
 * each wrong field is one line at its JSON pointer with the value and the fix, found by the
 * adapter's own schema or by looking in the account with the real SDK clients; nothing in the
 * account changes; a cloud that cannot answer only warns; values holding expressions wait for the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { createEc2Target } from '../../adapters/targets/aws-ec2/ec2-target.ts';
import { createEcsTarget } from '../../adapters/targets/aws-ecs/ecs-target.ts';
import { createRegionalTarget } from '../../adapters/targets/regional-target.ts';
import type { Caller, SavePipelineResult } from '../../core/execution/execution-service-api.ts';
import { formatIssue } from '../../core/issues.ts';
import type { Account } from '../../core/ports/accounts.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';
import { ACCOUNT, REGION, startEc2World, type Ec2World } from '../support/aws-ec2-world.ts';

const CALLER: Caller = { user: 'author', roles: [], admin: true };
const accounts: Account[] = [
  { name: ACCOUNT, cloudProvider: 'aws', accountType: 'sandbox', environment: 'sandbox', regions: [REGION, 'us-west-2'] },
  { name: 'ecs-prod', cloudProvider: 'ecs', accountType: 'prod', environment: 'prod', regions: [REGION] },
];

let world: Ec2World;
let runtime: LocalRuntime;
let ecsClients: { ecs: ECSClient; applicationAutoScaling: ApplicationAutoScalingClient };

beforeAll(async () => {
  world = await startEc2World();
  // The account's target: EC2 in its first region on the simulator; its other region answers as an unreachable cloud.
  const target = createRegionalTarget({
    account: ACCOUNT,
    regions: [REGION, 'us-west-2'],
    cloudProvider: 'aws',
    create: (region) => createEc2Target({ account: ACCOUNT, region, clients: region === REGION ? world.clients : unreachableClients(), clock: { now: () => world.sim.now() } }),
  });
  // ECS in the same region of the simulator, with the ECS cluster demo.
  world.sim.seed.ecs.cluster({ name: 'demo', region: REGION });
  const config = { endpoint: world.sim.endpoint, region: REGION, credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' }, maxAttempts: 1 };
  ecsClients = { ecs: new ECSClient(config), applicationAutoScaling: new ApplicationAutoScalingClient(config) };
  const ecs = createEcsTarget({ account: 'ecs-prod', region: REGION, clients: { ...ecsClients, ec2: world.clients.ec2, elbv2: world.clients.elbv2 } as Parameters<typeof createEcsTarget>[0]['clients'] });
  runtime = await createLocalRuntime({ retryDelayMs: 1, accounts, cloudTargets: ({ account }) => (account === ACCOUNT ? target : account === 'ecs-prod' ? ecs : undefined) });
});

afterAll(async () => {
  ecsClients?.ecs.destroy();
  ecsClients?.applicationAutoScaling.destroy();
  await runtime?.close();
  await world?.close();
});

/** Clients whose every call fails as a connection refused: a region the control plane cannot reach. */
function unreachableClients() {
  const refused = async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  };
  return { ec2: { send: refused }, autoScaling: { send: refused }, elbv2: { send: refused } } as unknown as Ec2World['clients'];
}

/** A red/black of hello-prod in us-east-1 that the seeded account can run. */
function cluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    account: ACCOUNT,
    cloudProvider: 'aws',
    application: 'hello',
    stack: 'prod',
    strategy: 'redblack',
    availabilityZones: { [REGION]: ['us-east-1a', 'us-east-1b'] },
    capacity: { min: 2, max: 2, desired: 2 },
    amiName: 'hello-1.0.0-h1.abc1234',
    instanceType: 'm5.large',
    subnetType: 'internal',
    securityGroups: ['hello-web'],
    targetGroups: ['hello-shared'],
    healthCheckType: 'ELB',
    ...overrides,
  };
}

let saves = 0;
async function save(clusters: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Promise<SavePipelineResult> {
  saves += 1;
  return runtime.service.savePipeline({ config: { application: 'hello', name: `deploy-${saves}`, stages: [{ refId: '1', type: 'deploy', name: 'Deploy', clusters }], ...extra } }, CALLER);
}

/** The lines a refused save answers, as the CLI prints them. */
function refusal(result: SavePipelineResult): string[] {
  if (result.ok || result.reason !== 'invalid') throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  return result.issues.filter((issue) => issue.severity === 'error').map(formatIssue);
}

/** The simulator's calls since `from` that change something (none may: a save only looks). */
const changes = (from: number) => world.sim.calls().slice(from).filter((call) => !/^(Describe|List|Get)/.test(call.action));

describe('saving a deploy to EC2', () => {
  it('saves a cluster whose every field is right and whose every name exists, asking the account once per lookup', async () => {
    const before = world.sim.calls().length;
    const saved = await save([cluster()]);
    expect(saved).toMatchObject({ ok: true, warnings: [] });
    expect(world.sim.calls().slice(before).map((call) => call.action)).toEqual(['DescribeImages', 'DescribeInstanceTypes', 'DescribeTargetGroups', 'DescribeSecurityGroups', 'DescribeSubnets']);
  });

  it.each([
    [
      'an instance type that is not a name',
      { instanceType: 5 },
      '/stages/0/clusters/0/instanceType: provider field instanceType is 5; set an EC2 instance type, e.g. "m5.large"',
    ],
    [
      'no image, and no stage before that makes one',
      { amiName: undefined },
      '/stages/0/clusters/0/amiName: provider field amiName is missing; set the AMI to run (amiName: an AMI name or id), or run a bake, findImage or findImageFromTags stage before this deploy (in its requisiteStageRefIds)',
    ],
    ['capacity min > max', { capacity: { min: 3, max: 2, desired: 2 } }, '/stages/0/clusters/0/capacity: capacity is inconsistent (min 3 > max 2, desired 2 < min 3); use min ≤ desired ≤ max'],
    ['an unknown account', { account: 'sandbx' }, "/stages/0/clusters/0/account: account 'sandbx' is not known (known accounts: ecs-prod, local, sandbox); did you mean 'sandbox'?"],
    [
      'a region the account does not list',
      { availabilityZones: { 'eu-west-1': ['eu-west-1a'] } },
      "/stages/0/clusters/0/availabilityZones/eu-west-1: region 'eu-west-1' is not a region of account 'sandbox' (its regions: us-east-1, us-west-2); deploy to one of them or add the region to the account",
    ],
  ])('refuses %s from its fields alone, asking the cloud nothing', async (_what, overrides, line) => {
    const before = world.sim.calls().length;
    expect(refusal(await save([cluster(overrides)]))).toEqual([line]);
    expect(world.sim.calls().length).toBe(before);
  });

  it.each([
    [
      'an instance type EC2 does not offer',
      { instanceType: 'm5.gigantic' },
      '/stages/0/clusters/0/instanceType: provider field instanceType is "m5.gigantic"; EC2 offers no such instance type in us-east-1 (AWS InvalidInstanceType: The following supplied instance types do not exist: [m5.gigantic]); use one it offers, e.g. "m5.large"',
    ],
    [
      'a target group that does not exist in the account',
      { targetGroups: ['hello-shared', 'hello-prod-tg'] },
      "/stages/0/clusters/0/targetGroups/1: provider field targetGroups[1] is \"hello-prod-tg\"; no target group of that name exists in us-east-1 of account 'sandbox'; create it or fix the name",
    ],
    [
      'an AMI name no image has',
      { amiName: 'hello-9.9.9' },
      '/stages/0/clusters/0/amiName: provider field amiName is "hello-9.9.9"; no image of that name exists in us-east-1; bake it, share it with the account, or fix the name',
    ],
    [
      'a security group name that does not exist',
      { securityGroups: ['hello-web', 'hello-admin'] },
      '/stages/0/clusters/0/securityGroups: provider field securityGroups is ["hello-web","hello-admin"]; no security group named hello-admin in us-east-1; create it or use its id (sg-...)',
    ],
    [
      'a subnet purpose no subnet has',
      { subnetType: 'dmz' },
      "/stages/0/clusters/0/subnetType: provider field subnetType is \"dmz\"; No suitable subnet was found for internal subnet purpose 'dmz' in zones us-east-1a, us-east-1b; tag subnets immutable_metadata {\"purpose\": \"dmz\", \"target\": \"ec2\"} or set subnetIds",
    ],
  ])('refuses %s, found by looking in the account, and changes nothing there', async (_what, overrides, line) => {
    const before = world.sim.calls().length;
    expect(refusal(await save([cluster(overrides)]))).toEqual([line]);
    expect(changes(before)).toEqual([]);
  });

  it('saves with a warning when the cloud cannot answer: throttled past the SDK\'s retries, denied, or unreachable', async () => {
    world.sim.inject({ service: 'ec2', action: 'DescribeInstanceTypes', error: 'Throttling', times: 2 });
    const throttled = await save([cluster()]);
    expect(throttled.ok).toBe(true);
    if (throttled.ok) {
      expect(throttled.warnings.map(formatIssue)).toEqual([
        "/stages/0/clusters/0: could not look in account 'sandbox' (us-east-1) for what this cluster names: finding instance type m5.large failed: AWS RequestLimitExceeded: Rate exceeded; saved anyway, and the deploy checks it when it runs",
      ]);
    }
    world.sim.inject({ service: 'ec2', action: 'DescribeImages', error: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.' });
    const denied = await save([cluster()]);
    expect(denied.ok && denied.warnings.map((issue) => issue.message)).toEqual([
      "could not look in account 'sandbox' (us-east-1) for what this cluster names: finding image hello-1.0.0-h1.abc1234 failed: AWS UnauthorizedOperation: You are not authorized to perform this operation.; grant the deploy role this action (reference: the stack's IAM policy); saved anyway, and the deploy checks it when it runs",
    ]);
    const unreachable = await save([cluster({ availabilityZones: { 'us-west-2': ['us-west-2a'] } })]);
    expect(unreachable.ok && unreachable.warnings.map((issue) => `${issue.code} ${issue.severity}`)).toEqual(['cloud-unavailable warning']);
  });

  it('leaves values holding expressions to the run, and asks the cloud nothing about such an entry', async () => {
    const before = world.sim.calls().length;
    const saved = await save([cluster({ instanceType: '${parameters.type}', targetGroups: ['${parameters.tg}'], amiName: '${trigger.properties.ami}' })], {
      parameterConfig: [{ name: 'type', default: 'm5.large' }, { name: 'tg', default: 'hello-shared' }],
    });
    expect(saved).toMatchObject({ ok: true });
    expect(world.sim.calls().length).toBe(before);
  });

  it('saves without amiName when a bake runs first, and warns when the only image stage does not', async () => {
    const stages = (requisites: string[]) => [
      { refId: '1', type: 'findImageFromTags', name: 'Find', cloudProvider: 'aws', packageName: 'hello', regions: [REGION], tags: {} },
      { refId: '2', requisiteStageRefIds: requisites, type: 'deploy', name: 'Deploy', clusters: [cluster({ amiName: undefined })] },
    ];
    const upstream = await runtime.service.savePipeline({ config: { application: 'hello', name: 'found-first', stages: stages(['1']) } }, CALLER);
    expect(upstream).toMatchObject({ ok: true, warnings: [] });
    const beside = await runtime.service.savePipeline({ config: { application: 'hello', name: 'found-beside', stages: stages([]) } }, CALLER);
    expect(beside.ok && beside.warnings.map((issue) => `${issue.pointer} ${issue.severity}`)).toEqual(['/stages/1/clusters/0/amiName warning']);
  });
});

describe('saving a deploy to ECS', () => {
  /** A service of the ECS cluster demo behind hello-shared, in the subnets of purpose "internal". */
  const ecsCluster = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    account: 'ecs-prod',
    cloudProvider: 'ecs',
    application: 'hello',
    stack: 'prod',
    strategy: 'redblack',
    region: REGION,
    capacity: { min: 1, max: 1, desired: 1 },
    ecsClusterName: 'demo',
    launchType: 'EC2',
    networkMode: 'awsvpc',
    dockerImageAddress: 'hello:1.0.0',
    containerPort: 80,
    targetGroupMappings: [{ containerPort: 80, targetGroup: 'hello-shared' }],
    subnetType: 'internal',
    securityGroupNames: ['hello-web'],
    ...overrides,
  });

  it('saves an entry whose every name exists', async () => {
    expect(await save([ecsCluster()])).toMatchObject({ ok: true, warnings: [] });
  });

  it('refuses an entry with a bad field and nothing to run, every line at once', async () => {
    const entry = ecsCluster({ dockerImageAddress: undefined, computeUnits: 'lots' });
    expect(refusal(await save([entry]))).toEqual([
      '/stages/0/clusters/0/computeUnits: provider field computeUnits is "lots"; set CPU units, e.g. 256',
      '/stages/0/clusters/0/imageDescription: provider field imageDescription is missing; set the image to run: imageDescription {"repository": "...", "tag": "..."}, dockerImageAddress, or a docker/image artifact',
    ]);
  });

  it('refuses an ECS cluster, a target group and a subnet purpose the account does not have, found by looking, changing nothing', async () => {
    const before = world.sim.calls().length;
    const entry = ecsCluster({ ecsClusterName: 'no-such-cluster', targetGroupMappings: [{ containerPort: 80, targetGroup: 'hello-prod-tg' }], subnetType: 'dmz' });
    expect(refusal(await save([entry]))).toEqual([
      '/stages/0/clusters/0/ecsClusterName: provider field ecsClusterName is "no-such-cluster"; no ECS cluster of that name in us-east-1 (ECS ListServices answered ClusterNotFoundException: Cluster not found.); create it or fix the name',
      '/stages/0/clusters/0/targetGroupMappings/0/targetGroup: provider field targetGroupMappings[0].targetGroup is "hello-prod-tg"; name a target group of the region: Elastic Load Balancing DescribeTargetGroups answered TargetGroupNotFoundException: One or more target groups not found',
      '/stages/0/clusters/0/subnetType: provider field subnetType is "dmz"; no subnet in us-east-1 is tagged immutable_metadata {"purpose": "dmz"}; tag the subnets or set another purpose',
    ]);
    expect(changes(before)).toEqual([]);
  });

  it('saves with a warning when ECS denies the lookup', async () => {
    world.sim.inject({ service: 'ecs', action: 'ListServices', error: 'AccessDeniedException', message: 'User is not authorized to perform: ecs:ListServices' });
    const saved = await save([ecsCluster()]);
    expect(saved.ok && saved.warnings.map((issue) => issue.message)).toEqual([
      "could not look in account 'ecs-prod' (us-east-1) for what this cluster names: ECS ListServices answered AccessDeniedException: User is not authorized to perform: ecs:ListServices; saved anyway, and the deploy checks it when it runs",
    ]);
  });
});
