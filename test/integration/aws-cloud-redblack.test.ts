/**
 * The cloud path deploys, end to end and in-process: a pipeline saved and started through the
 * API function runs on the Step Functions fake, whose Tasks invoke the stage-runner handler,
 * which deploys through the AWS targets (loaded on demand, as on Lambda) to the AWS simulator,
 * acting in the deploy account through its role (STS AssumeRole with the account's external id,
 * the session named after the execution). A red/black on EC2 makes clouddriver's calls in
 * clouddriver's order (reference/cloud-targets.md §2.2), every one signed by the assumed session
 * and allowed by the account role's policy (docs/aws-target-accounts.md), and the target group
 * never has fewer healthy targets than the desired count. After it, the API function reads the
 * deployed cluster through the same targets, in a session of the account's role limited to
 * describe calls (the simulator refuses anything else with it, as IAM does), and answers a cloud
 * that refuses or throttles its reads with a 502 or 503 naming the account.
 *
 * Time: every function reads the simulator's clock, and each Wait the state machine makes
 * between two polls of the deploy moves that clock by the seconds the stage runner asked for
 * (what the Wait state does on AWS). Nothing sleeps.
 */
import { AutoScalingClient, CreateAutoScalingGroupCommand, SuspendProcessesCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_ONLY_SESSION_POLICY } from '../../functions/api/cluster-reads.ts';
import { targetAccountActions, targetAccountReadActions } from '../../infra/target-account-policy.ts';
import { healthyTargetsOverTime } from '../../sandbox/aws/elbv2-targets.ts';
import { REGION, startEc2World, type Ec2World } from '../support/aws-ec2-world.ts';
import { startCloud, type Cloud } from '../support/aws-cloud.ts';

const ROLE = 'arn:aws:iam::210987654321:role/gennaker-deploy';
const EXTERNAL_ID = 'x7-prod';
/** The stage runner's own credentials (its Lambda role's), which STS sees as the caller. */
const STAGE_RUNNER_KEY = 'AKIDSTAGERUNNER';
/** The API function's own credentials. */
const API_KEY = 'AKIDAPIFUNCTION';

/** clouddriver's calls that create a group and take the old one out; reads of progress left out. */
const DEPLOY_CALLS = new Set(['DescribeImages', 'DescribeTargetGroups', 'DescribeSubnets', 'CreateLaunchTemplate', 'CreateAutoScalingGroup', 'SuspendProcesses', 'ResumeProcesses', 'RegisterTargets', 'DeregisterTargets', 'DeleteAutoScalingGroup', 'DeleteLaunchTemplate', 'UpdateAutoScalingGroup']);

/** IAM's service prefix of each simulated service's signing name. */
const IAM_PREFIX: Readonly<Record<string, string>> = { ec2: 'ec2', autoscaling: 'autoscaling', elasticloadbalancing: 'elasticloadbalancing', lambda: 'lambda' };

describe('a red/black deploy to EC2 on the cloud path', () => {
  let world: Ec2World;
  let cloud: Cloud;

  beforeAll(async () => {
    world = await startEc2World({ seed: 21 });
    world.sim.seed.sts.role({ arn: ROLE, externalId: EXTERNAL_ID });
    cloud = await startCloud({
      // The CDK context `accounts` as the functions get it.
      accounts: JSON.stringify({ prod: { assumeRole: ROLE, externalId: EXTERNAL_ID, regions: [REGION] } }),
      clock: { now: () => world.sim.now() },
      aws: { clients: { endpoint: world.sim.endpoint, maxAttempts: 2 }, callerCredentials: { accessKeyId: STAGE_RUNNER_KEY, secretAccessKey: 'sandbox' } },
      // The API's reads try once: a throttled read is answered at once, without the SDK's backoff.
      apiAws: { clients: { endpoint: world.sim.endpoint, maxAttempts: 1 }, callerCredentials: { accessKeyId: API_KEY, secretAccessKey: 'sandbox' } },
      wrapStageRunner: (handler) => async (event) => {
        const answer = (await handler(event)) as { status?: string; waitSeconds?: number };
        if (answer.status === 'RUNNING' && answer.waitSeconds !== undefined) world.sim.tick(Math.max(1, answer.waitSeconds) * 1000);
        return answer;
      },
    });
  });

  afterAll(async () => {
    await cloud?.close();
    await world?.close();
  });

  /** hello-prod-v000 as Spinnaker made it, serving 2 healthy instances. */
  async function seedServingGroup(): Promise<void> {
    const template = await world.clients.ec2.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: 'hello-prod-v000-12012025000000', LaunchTemplateData: { ImageId: world.imageId, InstanceType: 'm5.large', SecurityGroupIds: [world.securityGroupId] } }),
    );
    await world.clients.autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'hello-prod-v000',
        MinSize: 2,
        MaxSize: 2,
        DesiredCapacity: 2,
        LaunchTemplate: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '1' },
        VPCZoneIdentifier: world.subnetIds.join(','),
        TargetGroupARNs: [world.targetGroupArn],
        HealthCheckType: 'ELB',
      }),
    );
    world.advance(60_000, 5_000);
  }

  /** The red/black of hello-prod to the account, named `name`, its cluster's fields overridden. */
  function redblack(name: string, overrides: Record<string, unknown> = {}) {
    return {
      application: 'hello',
      name,
      stages: [
        {
          refId: '1',
          requisiteStageRefIds: [],
          type: 'deploy',
          name: 'Deploy to prod',
          clusters: [
            {
              application: 'hello',
              stack: 'prod',
              account: 'prod',
              cloudProvider: 'aws',
              provider: 'aws',
              strategy: 'redblack',
              maxRemainingAsgs: 2,
              amiName: world.imageName,
              availabilityZones: { [REGION]: ['us-east-1a', 'us-east-1b'] },
              capacity: { min: 2, max: 2, desired: 2 },
              ...world.provider,
              ...overrides,
            },
          ],
        },
      ],
    };
  }

  it("saves and starts the pipeline through the API, and the stage runner makes clouddriver's calls as the account's role", async () => {
    // given v000 serving, and the pipeline saved through the API
    await seedServingGroup();
    const savedFrom = { call: world.sim.calls().length, event: world.sim.events().length };
    const saved = await cloud.call('POST', '/pipelines', redblack('ec2-redblack'));
    expect(saved.status).toBe(200);
    expect(saved.json.warnings).toEqual([]);

    // the save looked in the account for what the cluster names, as the API, in its describe-only session
    const lookups = world.sim.calls().slice(savedFrom.call);
    expect(lookups.map((call) => call.action)).toEqual(['AssumeRole', 'DescribeImages', 'DescribeInstanceTypes', 'DescribeTargetGroups', 'DescribeSubnets']);
    expect(lookups[0]).toMatchObject({ service: 'sts', accessKeyId: API_KEY });
    const apiSession = world.sim.events({ kind: 'role.assumed' }).filter((event) => event.seq > savedFrom.event);
    expect(apiSession.map((event) => [event.detail['sessionName'], event.detail['policy']])).toEqual([['gennaker-api', READ_ONLY_SESSION_POLICY]]);
    expect(new Set(lookups.slice(1).map((call) => call.accessKeyId))).toEqual(new Set([apiSession[0]!.detail['accessKeyId']]));
    const readable = new Set(targetAccountReadActions());
    expect(lookups.slice(1).map((call) => `${IAM_PREFIX[call.service] ?? call.service}:${call.action}`).filter((action) => !readable.has(action))).toEqual([]);
    const firstCall = world.sim.calls().length;
    const firstEvent = world.sim.events().length;

    // when
    const started = await cloud.call('POST', '/pipelines/hello/ec2-redblack', {});
    expect(started.status).toBe(202);
    const executionId = String(started.json.ref).split('/').pop()!;
    await cloud.settled();

    // then the execution succeeded, deploying hello-prod-v001
    const shown = await cloud.call('GET', `/pipelines/${executionId}`);
    expect(shown.json.stages[0].context.exception ?? null).toBeNull();
    expect(shown.json).toMatchObject({ status: 'SUCCEEDED' });
    expect(shown.json.stages[0].outputs['deploy.server.groups']).toEqual({ [REGION]: ['hello-prod-v001'] });
    expect(cloud.sfn.execution(executionId)).toMatchObject({ status: 'SUCCEEDED' });

    // the role was assumed once, first, with the external id and a session naming the execution
    const calls = world.sim.calls().slice(firstCall);
    expect(calls.filter((call) => call.status >= 400)).toEqual([]);
    expect(calls[0]).toMatchObject({ service: 'sts', action: 'AssumeRole', accessKeyId: STAGE_RUNNER_KEY });
    const assumed = world.sim.events({ kind: 'role.assumed' }).filter((event) => event.seq > firstEvent);
    expect(assumed.map((event) => [event.detail['roleArn'], event.detail['sessionName'], event.detail['externalId']])).toEqual([[ROLE, `gennaker-${executionId}`, EXTERNAL_ID]]);

    // every call in the account was made with that session, and its policy allows it
    const inAccount = calls.slice(1);
    expect(new Set(inAccount.map((call) => call.accessKeyId))).toEqual(new Set([assumed[0]!.detail['accessKeyId']]));
    const allowed = new Set(targetAccountActions('aws'));
    expect([...new Set(inAccount.map((call) => `${IAM_PREFIX[call.service] ?? call.service}:${call.action}`))].filter((action) => !allowed.has(action))).toEqual([]);

    // clouddriver's calls, in clouddriver's order; it resolves subnets after creating the launch
    // template, Gennaker resolves every input first, so a bad one changes nothing
    expect(inAccount.map((call) => call.action).filter((action) => DEPLOY_CALLS.has(action))).toEqual([
      'DescribeImages',
      'DescribeTargetGroups',
      'DescribeSubnets',
      'CreateLaunchTemplate',
      'CreateAutoScalingGroup',
      'SuspendProcesses',
      'DeregisterTargets',
    ]);
    expect(world.sim.events({ kind: 'group.processes-suspended' }).map((event) => [event.detail['group'], event.detail['processes']])).toEqual([['hello-prod-v000', ['Launch', 'Terminate', 'AddToLoadBalancer']]]);

    // and the target group never had fewer healthy targets than the desired count
    const events = world.sim.events();
    const before = healthyTargetsOverTime(events.slice(0, firstEvent), world.targetGroupArn);
    const healthy = [before.at(-1)?.healthy ?? 0, ...healthyTargetsOverTime(events, world.targetGroupArn).slice(before.length).map((point) => point.healthy)];
    expect(Math.min(...healthy)).toBeGreaterThanOrEqual(2);
    expect(healthy.at(-1)).toBe(2);
  });

  // Reads what the test above deployed: hello-prod-v000 disabled, hello-prod-v001 serving.
  it('answers the cluster and server-group reads of the deployed cluster through the API, in a describe-only session of the account role', async () => {
    // given
    const firstCall = world.sim.calls().length;
    const firstEvent = world.sim.events().length;

    // when
    const groups = await cloud.call('GET', '/applications/hello/serverGroups');
    const clusters = await cloud.call('GET', '/applications/hello/clusters');
    const cluster = await cloud.call('GET', '/applications/hello/clusters/prod/hello-prod');
    const expanded = await cloud.call('GET', '/applications/hello/serverGroups?expand=true');

    // then the server groups in Clouddriver's shape: the old one disabled, the new one serving
    expect(groups.status).toBe(200);
    expect(groups.json).toHaveLength(2);
    expect(groups.json.map((group: { name: string; isDisabled: boolean }) => [group.name, group.isDisabled])).toEqual([
      ['hello-prod-v000', true],
      ['hello-prod-v001', false],
    ]);
    expect(groups.json[1]).toMatchObject({
      account: 'prod',
      region: REGION,
      cluster: 'hello-prod',
      cloudProvider: 'aws',
      type: 'aws',
      application: 'hello',
      instanceCounts: { total: 2, up: 2, down: 0 },
      capacity: { min: 2, max: 2, desired: 2 },
      targetGroups: ['hello-shared'],
    });
    expect(expanded.json.find((group: { name: string }) => group.name === 'hello-prod-v001')).toMatchObject({ accountName: 'prod', stack: 'prod', zones: ['us-east-1a', 'us-east-1b'], launchConfig: { healthCheckType: 'ELB' } });
    expect(clusters).toMatchObject({ status: 200, json: { prod: ['hello-prod'] } });
    expect(cluster.status).toBe(200);
    expect(cluster.json).toMatchObject({ name: 'hello-prod', accountName: 'prod', type: 'aws' });
    expect(cluster.json.serverGroups.map((group: { name: string; isDisabled: boolean }) => [group.name, group.isDisabled])).toEqual([
      ['hello-prod-v000', true],
      ['hello-prod-v001', false],
    ]);

    // the API assumed the account's role once (for the save above), as itself, in a session limited to describe calls, and reads in it
    const assumed = world.sim.events({ kind: 'role.assumed' }).filter((event) => event.detail['sessionName'] === 'gennaker-api');
    expect(assumed.map((event) => [event.detail['roleArn'], event.detail['sessionName'], event.detail['externalId'], event.detail['policy']])).toEqual([[ROLE, 'gennaker-api', EXTERNAL_ID, READ_ONLY_SESSION_POLICY]]);
    expect(world.sim.events({ kind: 'role.assumed' }).filter((event) => event.seq > firstEvent)).toEqual([]);
    const calls = world.sim.calls().slice(firstCall);
    const session = String(assumed[0]!.detail['accessKeyId']);
    expect(new Set(calls.map((call) => call.accessKeyId))).toEqual(new Set([session]));
    expect(calls.filter((call) => call.status >= 400)).toEqual([]);
    // every one a describe call a read role allows (docs/aws-target-accounts.md, readRole)
    const readable = new Set(targetAccountReadActions());
    expect([...new Set(calls.map((call) => `${IAM_PREFIX[call.service] ?? call.service}:${call.action}`))].filter((action) => !readable.has(action))).toEqual([]);

    // and that session cannot change anything, though the role can
    const withSession = new AutoScalingClient({ region: REGION, endpoint: world.sim.endpoint, maxAttempts: 1, credentials: { accessKeyId: session, secretAccessKey: 'sandbox' } });
    await expect(withSession.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'hello-prod-v001', ScalingProcesses: ['AddToLoadBalancer'] }))).rejects.toMatchObject({ name: 'AccessDenied' });
    withSession.destroy();
    expect(world.sim.events({ kind: 'group.processes-suspended' }).filter((event) => event.detail['group'] === 'hello-prod-v001')).toEqual([]);
  });

  it('answers a read the cloud refuses with 502 and a throttled one with 503, one line naming the account', async () => {
    // given Auto Scaling refusing the next describe, then throttling the one after
    world.sim.inject({ service: 'autoscaling', action: 'DescribeAutoScalingGroups', error: 'AccessDenied', status: 403, message: 'not allowed to describe', times: 1 });

    // when
    const refused = await cloud.call('GET', '/applications/hello/serverGroups');
    world.sim.inject({ service: 'autoscaling', action: 'DescribeAutoScalingGroups', error: 'Throttling', times: 1 });
    const throttled = await cloud.call('GET', '/applications/hello/clusters/prod/hello-prod');

    // then
    expect(refused.status).toBe(502);
    expect(refused.json.error).toMatch(/^describing cluster 'hello-prod' in account 'prod' \(us-east-1\) failed: .*not allowed to describe/);
    expect(throttled.status).toBe(503);
    expect(throttled.json.error).toMatch(/^describing cluster 'hello-prod' in account 'prod' \(us-east-1\) failed: .*Rate exceeded/);
    for (const answer of [refused, throttled]) expect(answer.json.error).not.toContain('\n');
  });

  it('refuses at save, with 400 and one line, a cluster naming an instance type EC2 does not offer, and saves with a warning when the account cannot be read', async () => {
    // given
    const firstCall = world.sim.calls().length;

    // when
    const refused = await cloud.call('POST', '/pipelines', redblack('ec2-gigantic', { instanceType: 'm5.gigantic' }));
    world.sim.inject({ service: 'ec2', action: 'DescribeImages', error: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.', times: 1 });
    const denied = await cloud.call('POST', '/pipelines', redblack('ec2-denied'));
    world.sim.inject({ service: 'ec2', action: 'DescribeImages', error: 'Throttling', times: 1 });
    const throttled = await cloud.call('POST', '/pipelines', redblack('ec2-throttled'));

    // then the bad instance type is refused, naming the field, the value and the fix, and nothing was saved
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe(
      'the pipeline has 1 error; nothing was saved (first: /stages/0/clusters/0/instanceType: provider field instanceType is "m5.gigantic"; EC2 offers no such instance type in us-east-1 (AWS InvalidInstanceType: The following supplied instance types do not exist: [m5.gigantic]); use one it offers, e.g. "m5.large")',
    );
    expect((await cloud.call('GET', '/applications/hello/pipelineConfigs/ec2-gigantic')).status).toBe(404);
    // the account that refused or throttled the lookup leaves the save to the deploy, with a warning
    expect(denied.status).toBe(200);
    expect(denied.json.warnings).toEqual([
      {
        pointer: '/stages/0/clusters/0',
        code: 'cloud-unavailable',
        severity: 'warning',
        message:
          "could not look in account 'prod' (us-east-1) for what this cluster names: finding image hello-1.0.0-h1.abc1234 failed: AWS UnauthorizedOperation: You are not authorized to perform this operation.; grant the deploy role this action (reference: the stack's IAM policy); saved anyway, and the deploy checks it when it runs",
      },
    ]);
    expect(throttled.status).toBe(200);
    expect(throttled.json.warnings.map((issue: { code: string; message: string }) => [issue.code, /Rate exceeded/.test(issue.message)])).toEqual([['cloud-unavailable', true]]);
    // and no lookup changed anything in the account
    expect(world.sim.calls().slice(firstCall).filter((call) => !/^(Describe|List|Get)/.test(call.action))).toEqual([]);
  });
});

describe('deploy stages on the cloud path without accounts', () => {
  let cloud: Cloud;
  beforeAll(async () => {
    cloud = await startCloud({ accounts: '{}' });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('are refused at start, naming the stage (with an account the same pipeline starts: the test above)', async () => {
    // given a deploy whose account is known only when it runs
    const saved = await cloud.call('POST', '/pipelines', {
      application: 'hello',
      name: 'no-accounts',
      parameterConfig: [{ name: 'account', default: 'prod' }],
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'resizeServerGroup', name: 'Resize', credentials: '${parameters.account}', cluster: 'hello-prod', target: 'current_asg_dynamic', regions: [REGION], capacity: { min: 1, max: 1, desired: 1 } }],
    });
    expect(saved.status).toBe(200);

    // when
    const started = await cloud.call('POST', '/pipelines/hello/no-accounts', {});

    // then
    expect(started.status).toBe(400);
    expect(JSON.stringify(started.json)).toContain("pipeline 'no-accounts' has stages Gennaker cannot run yet: 'Resize' (refId 1, type resizeServerGroup)");
  });

  it('refuse a canary at start, having no account to read metrics in (with one: aws-cloud-lambda-canary.test.ts)', async () => {
    // given
    const saved = await cloud.call('POST', '/pipelines', {
      application: 'hello',
      name: 'no-metrics-accounts',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'kayentaCanary', name: 'Canary', canaryConfig: { canaryConfigId: 'hello-api-versions', lifetimeDuration: 'PT10M', scopes: [{ controlScope: '1', experimentScope: '2' }] } }],
    });
    expect(saved.status).toBe(200);

    // when
    const started = await cloud.call('POST', '/pipelines/hello/no-metrics-accounts', {});

    // then
    expect(started.status).toBe(400);
    expect(JSON.stringify(started.json)).toContain("pipeline 'no-metrics-accounts' has stages Gennaker cannot run yet: 'Canary' (refId 1, type kayentaCanary)");
  });
});
