/**
 * Regions in the AWS simulator, through the real SDK clients: each region's EC2, Auto Scaling,
 * ELBv2, Lambda and CloudWatch hold their own state and name it with that region's ARNs and
 * zones (the region of the request's credential scope, else of its endpoint host), while STS is
 * global; seeds and side-door commands take a region, us-east-1 when they give none. A sandbox
 * deploy to two regions seeds and deploys each region's cluster in that region.
 */
import { request } from 'node:http';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateLaunchTemplateCommand, DescribeImagesCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateFunctionCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startSandbox } from '../../../local/sandbox/sandbox.ts';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { credentials } from './aws-world.ts';

const ACCOUNT = '123456789012';
const EAST = 'us-east-1';
const WEST = 'us-west-2';

let sim: AwsSimulator;
beforeAll(async () => {
  sim = await startAwsSimulator({ seed: 11 });
});
afterAll(async () => {
  await sim?.close();
});

/** The real SDK clients of one region. */
function clientsIn(region: string, given = credentials) {
  const config = { endpoint: sim.endpoint, region, credentials: given, maxAttempts: 1 };
  return { ec2: new EC2Client(config), autoScaling: new AutoScalingClient(config), elbv2: new ElasticLoadBalancingV2Client(config), lambda: new LambdaClient(config), cloudwatch: new CloudWatchClient(config), sts: new STSClient(config) };
}

describe('the AWS simulator in several regions', () => {
  it('keeps each region apart and names what it holds with that region, and serves STS globally', async () => {
    // given the same names seeded in both regions, an image only in us-west-2
    const east = clientsIn(EAST);
    const west = clientsIn(WEST);
    const eastSubnet = sim.seed.ec2.subnet({ az: `${EAST}a`, purpose: 'internal' });
    const westSubnet = sim.seed.ec2.subnet({ region: WEST, az: `${WEST}b`, purpose: 'internal' });
    const { imageId } = sim.seed.ec2.image({ region: WEST, name: 'web-1.0.0' });
    const { groupId } = sim.seed.ec2.securityGroup({ region: WEST, name: 'web', vpcId: westSubnet.vpcId });
    const eastGroup = sim.seed.elbv2.targetGroup({ name: 'web', healthCheckIntervalSeconds: 5, healthyThresholdCount: 2 });
    const westGroup = sim.seed.elbv2.targetGroup({ region: WEST, name: 'web', vpcId: westSubnet.vpcId, healthCheckIntervalSeconds: 5, healthyThresholdCount: 2 });
    sim.seed.elbv2.loadBalancer({ region: WEST, name: 'web-lb', subnetIds: [westSubnet.subnetId], listeners: [{ port: 80, targetGroups: [{ arn: westGroup.targetGroupArn }] }] });

    // then EC2 answers each region's own subnets and images, with its ARNs and zone ids
    const subnetsOf = async (clients: typeof east) => (await clients.ec2.send(new DescribeSubnetsCommand({}))).Subnets!.map((subnet) => [subnet.SubnetId, subnet.SubnetArn, subnet.AvailabilityZone, subnet.AvailabilityZoneId]);
    expect(await subnetsOf(east)).toEqual([[eastSubnet.subnetId, `arn:aws:ec2:${EAST}:${ACCOUNT}:subnet/${eastSubnet.subnetId}`, `${EAST}a`, 'use1-az1']]);
    expect(await subnetsOf(west)).toEqual([[westSubnet.subnetId, `arn:aws:ec2:${WEST}:${ACCOUNT}:subnet/${westSubnet.subnetId}`, `${WEST}b`, 'usw2-az2']]);
    const images = async (clients: typeof east) => (await clients.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['web-1.0.0'] }] }))).Images!.map((image) => image.ImageId);
    expect([await images(east), await images(west)]).toEqual([[], [imageId]]);
    // ELBv2: a target group of the same name in each, each with its region's ARN
    const groupArn = async (clients: typeof east) => (await clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['web'] }))).TargetGroups!.map((group) => group.TargetGroupArn);
    expect(await groupArn(east)).toEqual([eastGroup.targetGroupArn]);
    expect(await groupArn(west)).toEqual([westGroup.targetGroupArn]);
    expect([eastGroup.targetGroupArn, westGroup.targetGroupArn].map((arn) => arn.split(':')[3])).toEqual([EAST, WEST]);

    // when an Auto Scaling group is made in us-west-2
    const template = await west.ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web-v000', LaunchTemplateData: { ImageId: imageId, InstanceType: 'm5.large', SecurityGroupIds: [groupId] } }));
    await west.autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'web-v000',
        MinSize: 1,
        MaxSize: 1,
        DesiredCapacity: 1,
        LaunchTemplate: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '1' },
        VPCZoneIdentifier: westSubnet.subnetId,
        TargetGroupARNs: [westGroup.targetGroupArn],
        HealthCheckType: 'ELB',
      }),
    );
    sim.tick(2 * 60_000);

    // then only us-west-2 holds it, with its ARN, its instance in the region's zone, healthy in the region's target group
    const groups = async (clients: typeof east) => (await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups!;
    expect(await groups(east)).toEqual([]);
    const [group] = await groups(west);
    expect(group!.AutoScalingGroupARN).toMatch(new RegExp(`^arn:aws:autoscaling:${WEST}:${ACCOUNT}:autoScalingGroup:[0-9a-f-]+:autoScalingGroupName/web-v000$`));
    expect(group!.Instances!.map((instance) => [instance.AvailabilityZone, instance.LifecycleState])).toEqual([[`${WEST}b`, 'InService']]);
    const health = await west.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: westGroup.targetGroupArn }));
    expect(health.TargetHealthDescriptions!.map((target) => [target.Target!.Id, target.TargetHealth!.State])).toEqual([[group!.Instances![0]!.InstanceId, 'healthy']]);
    expect((await east.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: eastGroup.targetGroupArn }))).TargetHealthDescriptions).toEqual([]);

    // Lambda and CloudWatch: a function and an alarm of one name in each region, each its own
    const role = `arn:aws:iam::${ACCOUNT}:role/lambda-exec`;
    for (const clients of [east, west]) {
      await clients.lambda.send(new CreateFunctionCommand({ FunctionName: 'hello', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: role, Code: { ZipFile: Buffer.from('x') } }));
    }
    await west.cloudwatch.send(new PutMetricAlarmCommand({ AlarmName: 'web-5xx', Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
    const functions = async (clients: typeof east) => (await clients.lambda.send(new ListFunctionsCommand({}))).Functions!.map((fn) => fn.FunctionArn);
    expect([await functions(east), await functions(west)]).toEqual([[`arn:aws:lambda:${EAST}:${ACCOUNT}:function:hello`], [`arn:aws:lambda:${WEST}:${ACCOUNT}:function:hello`]]);
    const alarms = async (clients: typeof east) => (await clients.cloudwatch.send(new DescribeAlarmsCommand({}))).MetricAlarms!.map((alarm) => alarm.AlarmArn);
    expect([await alarms(east), await alarms(west)]).toEqual([[], [`arn:aws:cloudwatch:${WEST}:${ACCOUNT}:alarm:web-5xx`]]);

    // STS is global: a session assumed through us-west-2 is the same identity in us-east-1
    sim.seed.sts.role({ arn: `arn:aws:iam::${ACCOUNT}:role/deployer` });
    const session = (await west.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deployer`, RoleSessionName: 'regions' }))).Credentials!;
    const asSession = clientsIn(EAST, { accessKeyId: session.AccessKeyId!, secretAccessKey: session.SecretAccessKey!, sessionToken: session.SessionToken! } as typeof credentials);
    expect((await asSession.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/deployer/regions`);

    // and the call log and the state say the region of each
    expect(sim.calls({ action: 'CreateAutoScalingGroup' }).map((call) => call.region)).toEqual([WEST]);
    const state = sim.snapshot().services['autoscaling'] as { autoScalingGroups: Array<{ name: string; region: string }> };
    expect(state.autoScalingGroups.map((entry) => [entry.name, entry.region])).toEqual([['web-v000', WEST]]);
  });

  it('takes the region of a seed or side-door command (us-east-1 by default), refuses a zone of another region, and routes an unsigned request by its endpoint host', async () => {
    // when
    const side = (path: string, body: unknown) => fetch(`${sim.endpoint}/__sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const seeded = await side('ec2/subnet', { region: 'eu-west-1', az: 'eu-west-1c', purpose: 'dmz' });
    const misplaced = await side('ec2/subnet', { az: 'eu-west-1a' });
    const unknown = await side('ec2/image', { region: 'mars-north-1x', name: 'x' });

    // then
    expect(seeded.status).toBe(200);
    expect(misplaced).toEqual({ status: 400, body: { error: "subnet: az 'eu-west-1a' is not a zone of region us-east-1; use one such as 'us-east-1a', or seed the subnet in the zone's region" } });
    expect(unknown).toEqual({ status: 400, body: { error: "region: 'mars-north-1x' is not an AWS region name; use one such as 'us-east-1' or 'eu-west-1'" } });
    expect(() => sim.seed.ec2.subnet({ az: 'eu-west-1b' })).toThrow("az 'eu-west-1b' is not a zone of region us-east-1");

    // an unsigned EC2 Query request to eu-west-1's endpoint reads eu-west-1
    const body = 'Action=DescribeSubnets&Version=2016-11-15';
    const xml = await new Promise<string>((resolve, reject) => {
      const url = new URL(sim.endpoint);
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { host: 'ec2.eu-west-1.amazonaws.com', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(xml).toContain(`<subnetId>${String(seeded.body['subnetId'])}</subnetId>`);
    expect(xml).toContain(`<subnetArn>arn:aws:ec2:eu-west-1:${ACCOUNT}:subnet/${String(seeded.body['subnetId'])}</subnetArn>`);
    expect(sim.calls({ action: 'DescribeSubnets' }).at(-1)).toMatchObject({ service: 'ec2', region: 'eu-west-1', status: 200 });

    // a call signed for something that is no region is refused as AWS refuses it, before any service sees it
    const lost = new EC2Client({ endpoint: sim.endpoint, region: 'mars-north-1x', credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' }, maxAttempts: 1 });
    await expect(lost.send(new DescribeSubnetsCommand({}))).rejects.toMatchObject({ name: 'AuthFailure', message: "Credential should be scoped to a valid region, not 'mars-north-1x'." });
    lost.destroy();
  });
});

describe('a sandbox deploy to two regions', () => {
  it('seeds what each region assumes there and starts each region\'s server group in it, named with its ARNs', async () => {
    // given the EC2 red/black example deploying to us-east-1 and us-west-2
    const example = JSON.parse(readFileSync(new URL('../../../examples/pipelines/ec2-redblack.json', import.meta.url), 'utf8')) as { stages: Array<{ clusters: Array<Record<string, unknown>> }> };
    example.stages[0]!.clusters[0]!['availabilityZones'] = { [EAST]: [`${EAST}a`], [WEST]: [`${WEST}a`, `${WEST}b`] };
    const sandbox = await startSandbox({ speed: 1, seed: 4 });
    try {
      // when
      const served = await sandbox.serve([example]);

      // then each region got its own target group, subnets and serving group
      const seeded = (kind: string) => served.seeded.filter((resource) => resource.kind === kind);
      expect(seeded('target group').map((resource) => resource.id.split(':')[3])).toEqual([EAST, WEST]);
      expect(seeded('subnet').map((resource) => resource.detail)).toEqual([`internal (vpc0), ${EAST}a`, `internal (vpc0), ${WEST}a`, `internal (vpc0), ${WEST}b`]);
      expect(seeded('server group').map((resource) => resource.detail)).toEqual([
        `my-aws-prod, ${EAST}, 2 instances Up, serving before the redblack deploy`,
        `my-aws-prod, ${WEST}, 2 instances Up, serving before the redblack deploy`,
      ]);
      const deployed = await sandbox.describeDeployed();
      expect(deployed.map((cluster) => [cluster.region, cluster.serverGroups.map((group) => [group.name, group.up])])).toEqual([
        [EAST, [['webshop-prod-v000', 2]]],
        [WEST, [['webshop-prod-v000', 2]]],
      ]);
      const described = sandbox.describe();
      expect(described.autoScalingGroups.map((group) => [group.name, group.region, group.instances])).toEqual([
        ['webshop-prod-v000', EAST, { InService: 2 }],
        ['webshop-prod-v000', WEST, { InService: 2 }],
      ]);
      expect(described.targetGroups.map((group) => [group.name, group.region, group.targets])).toEqual([
        ['webshop-prod-tg', EAST, { healthy: 2 }],
        ['webshop-prod-tg', WEST, { healthy: 2 }],
      ]);
    } finally {
      await sandbox.close();
    }
  });
});
