/**
 * The simulated CloudWatch and Application Auto Scaling's scaling policies, driven by the real
 * @aws-sdk/client-cloudwatch (JSON 1.0, awsQuery-compatible errors) and
 * @aws-sdk/client-application-auto-scaling: metrics synthesized from seeded traffic and recorded
 * by Lambda, alarms that change state on the simulator's clock, and target-tracking policies
 * whose alarms watch the ECS service.
 */
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateAliasCommand, CreateFunctionCommand, InvokeCommand, LambdaClient, PublishVersionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { credentials } from './aws-world.ts';

const ACCOUNT = '123456789012';
const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

let sim: AwsSimulator;
let TG: string;
let LB: string;
const config = () => ({ endpoint: sim.endpoint, region: 'us-east-1', credentials });
const cw = () => new CloudWatchClient(config());
const aas = () => new ApplicationAutoScalingClient(config());

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 9, startTime: START, ecs: { clusters: ['prod-cluster'] } });
  TG = sim.seed.elbv2.targetGroup({ name: 'web-v001', port: 80 }).targetGroupArn;
  LB = sim.seed.elbv2.loadBalancer({ name: 'web', listeners: [{ port: 80, targetGroups: [{ arn: TG }] }] }).loadBalancerArn;
});
afterEach(async () => {
  await sim.close();
});

const albDimensions = () => [
  { Name: 'TargetGroup', Value: TG.slice(TG.indexOf('targetgroup/')) },
  { Name: 'LoadBalancer', Value: LB.slice(LB.indexOf('loadbalancer/') + 'loadbalancer/'.length) },
];

async function rejected(call: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, it succeeded');
}

function fiveXxAlarm(extra: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput {
  return {
    AlarmName: 'web-v001-5xx',
    AlarmDescription: 'target 5XX',
    Namespace: 'AWS/ApplicationELB',
    MetricName: 'HTTPCode_Target_5XX_Count',
    Dimensions: albDimensions(),
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 3,
    Threshold: 10,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [`arn:aws:sns:us-east-1:${ACCOUNT}:pager`],
    ...extra,
  };
}

describe('the simulated CloudWatch metrics', () => {
  it('synthesizes ALB metrics from seeded traffic per period, deterministic per seed, with metric math', async () => {
    sim.seed.cloudwatch.traffic({ namespace: 'AWS/ApplicationELB', targetGroupArn: TG, loadBalancerArn: LB, requestsPerSecond: 10, errorRate: 0.2, latencyMs: 100, from: START });
    sim.tick(10 * MINUTE);
    const query = () =>
      cw().send(
        new GetMetricDataCommand({
          StartTime: new Date(START),
          EndTime: new Date(START + 5 * MINUTE),
          MetricDataQueries: [
            { Id: 'r', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: albDimensions() }, Period: 60, Stat: 'Sum' }, ReturnData: true },
            { Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: albDimensions() }, Period: 60, Stat: 'Sum' }, ReturnData: false },
            { Id: 'rate', Expression: '100 * e / r', Label: 'error %' },
          ],
        }),
      );
    const out = await query();
    expect(out.MetricDataResults!.map((r) => [r.Id, r.Label, r.StatusCode, r.Values!.length])).toEqual([['r', 'RequestCount', 'Complete', 5], ['rate', 'error %', 'Complete', 5]]);
    const [requests, rate] = out.MetricDataResults!;
    // Newest first, one value per minute; 600 requests a minute within the default 10 % noise.
    expect(requests!.Timestamps!.map((t) => t.getTime() - START)).toEqual([4, 3, 2, 1, 0].map((m) => m * MINUTE));
    for (const value of requests!.Values!) expect(Math.abs(value - 600)).toBeLessThanOrEqual(60);
    for (const value of rate!.Values!) expect(Math.abs(value - 20)).toBeLessThanOrEqual(5);
    expect((await query()).MetricDataResults).toEqual(out.MetricDataResults);

    const latency = await cw().send(new GetMetricStatisticsCommand({ Namespace: 'AWS/ApplicationELB', MetricName: 'TargetResponseTime', Dimensions: albDimensions(), StartTime: new Date(START), EndTime: new Date(START + 2 * MINUTE), Period: 60, Statistics: ['Average'], ExtendedStatistics: ['p99'] }));
    expect(latency.Datapoints).toHaveLength(2);
    for (const point of latency.Datapoints!) {
      expect(point).toMatchObject({ Unit: 'Seconds', Timestamp: expect.any(Date) });
      expect(Math.abs(point.Average! - 0.1)).toBeLessThanOrEqual(0.011);
      expect(point.ExtendedStatistics!['p99']).toBeGreaterThan(point.Average!);
    }

    // Oldest first and paged: three values a page, the rest behind NextToken; FILL puts 0 where ALB published nothing.
    const paged = (token?: string) =>
      cw().send(
        new GetMetricDataCommand({
          StartTime: new Date(START - 2 * MINUTE),
          EndTime: new Date(START + 3 * MINUTE),
          ScanBy: 'TimestampAscending',
          MaxDatapoints: 3,
          ...(token !== undefined ? { NextToken: token } : {}),
          MetricDataQueries: [
            { Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: albDimensions() }, Period: 60, Stat: 'Sum' }, ReturnData: false },
            { Id: 'filled', Expression: 'FILL(e, 0)' },
          ],
        }),
      );
    const first = await paged();
    expect(first.MetricDataResults![0]!.Timestamps!.map((t) => t.getTime() - START)).toEqual([-2, -1, 0].map((m) => m * MINUTE));
    expect(first.MetricDataResults![0]!.Values!.slice(0, 2)).toEqual([0, 0]);
    expect(first.MetricDataResults![0]!.StatusCode).toBe('PartialData');
    const second = await paged(first.NextToken);
    expect(second.MetricDataResults![0]!.Timestamps!.map((t) => t.getTime() - START)).toEqual([1, 2].map((m) => m * MINUTE));
    expect(second.NextToken).toBeUndefined();
    const listed = await cw().send(new ListMetricsCommand({ Namespace: 'AWS/ApplicationELB' }));
    expect(listed.Metrics!.map((m) => m.MetricName).sort()).toEqual(['HTTPCode_Target_2XX_Count', 'HTTPCode_Target_5XX_Count', 'RequestCount', 'TargetResponseTime']);

    const badPeriod = await rejected(cw().send(new GetMetricDataCommand({ StartTime: new Date(START), EndTime: new Date(START + MINUTE), MetricDataQueries: [{ Id: 'r', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount' }, Period: 45, Stat: 'Sum' } }] })));
    expect(badPeriod).toEqual({ name: 'InvalidParameterValueException', message: 'The parameter Period must be 1, 5, 10, 20, 30, 60 or a multiple of 60, got 45.', status: 400 });
  });

  it('records every Lambda invocation per function, per alias and per executed version', async () => {
    const lambda = new LambdaClient(config());
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'api', Runtime: 'nodejs22.x', Handler: 'i.h', Role: `arn:aws:iam::${ACCOUNT}:role/x`, Code: { ZipFile: Buffer.from('1') }, Publish: true }));
    sim.tick(2_000);
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'api', ZipFile: Buffer.from('2') }));
    sim.tick(2_000);
    await lambda.send(new PublishVersionCommand({ FunctionName: 'api' }));
    await lambda.send(new CreateAliasCommand({ FunctionName: 'api', Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } }));
    sim.seed.lambda.behaviour({ functionName: 'api', version: '2', errorRate: 1 });
    const executed: Record<string, number> = { '1': 0, '2': 0 };
    for (let i = 0; i < 40; i++) {
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'api', Qualifier: 'live' }));
      executed[out.ExecutedVersion!]! += 1;
    }
    sim.tick(MINUTE);
    const metric = (id: string, name: string, version: string) => ({
      Id: id,
      MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: name, Dimensions: [{ Name: 'FunctionName', Value: 'api' }, { Name: 'Resource', Value: 'api:live' }, { Name: 'ExecutedVersion', Value: version }] }, Period: 300, Stat: 'Sum' },
    });
    const out = await cw().send(
      new GetMetricDataCommand({
        StartTime: new Date(START),
        EndTime: new Date(START + 5 * MINUTE),
        MetricDataQueries: [metric('inv1', 'Invocations', '1'), metric('inv2', 'Invocations', '2'), metric('err1', 'Errors', '1'), metric('err2', 'Errors', '2')],
      }),
    );
    const sums = Object.fromEntries(out.MetricDataResults!.map((r) => [r.Id, r.Values![0] ?? 0]));
    expect(sums).toEqual({ inv1: executed['1'], inv2: executed['2'], err1: 0, err2: executed['2'] });
    expect(executed['1']! + executed['2']!).toBe(40);
  });
});

describe('the simulated CloudWatch alarms', () => {
  it('evaluates an alarm every minute over its last periods: OK on clean traffic, ALARM three minutes after errors start', async () => {
    sim.seed.cloudwatch.traffic({ namespace: 'AWS/ApplicationELB', targetGroupArn: TG, loadBalancerArn: LB, requestsPerSecond: 10, from: START });
    await cw().send(new PutMetricAlarmCommand(fiveXxAlarm()));
    const fresh = (await cw().send(new DescribeAlarmsCommand({ AlarmNames: ['web-v001-5xx'] }))).MetricAlarms![0]!;
    expect(fresh).toMatchObject({
      AlarmName: 'web-v001-5xx',
      AlarmArn: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:web-v001-5xx`,
      AlarmDescription: 'target 5XX',
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      ActionsEnabled: true,
      AlarmActions: [`arn:aws:sns:us-east-1:${ACCOUNT}:pager`],
      OKActions: [],
      InsufficientDataActions: [],
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Dimensions: albDimensions(),
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmConfigurationUpdatedTimestamp: new Date(START),
      StateUpdatedTimestamp: new Date(START),
      StateTransitionedTimestamp: new Date(START),
    });
    sim.tick(MINUTE);
    expect((await cw().send(new DescribeAlarmsCommand({ AlarmNames: ['web-v001-5xx'] }))).MetricAlarms![0]!.StateValue).toBe('OK');

    const errorsFrom = START + 5 * MINUTE;
    sim.seed.cloudwatch.traffic({ namespace: 'AWS/ApplicationELB', targetGroupArn: TG, loadBalancerArn: LB, requestsPerSecond: 10, errorRate: 0.5, from: errorsFrom });
    sim.tick(10 * MINUTE);
    const transitions = sim.events({ kind: 'cloudwatch.alarm-state' }).map((e) => [e.detail['from'], e.detail['to'], e.time - START]);
    expect(transitions).toEqual([['INSUFFICIENT_DATA', 'OK', MINUTE], ['OK', 'ALARM', errorsFrom + 3 * MINUTE - START]]);
    const alarm = (await cw().send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }))).MetricAlarms!;
    expect(alarm.map((a) => a.AlarmName)).toEqual(['web-v001-5xx']);
    expect(alarm[0]!.StateReason).toMatch(/^Threshold Crossed: 3 out of the last 3 datapoints \[.*\] were greater than the threshold \(10\)/);
    expect(alarm[0]!.StateTransitionedTimestamp).toEqual(new Date(errorsFrom + 3 * MINUTE));
    expect(JSON.parse(alarm[0]!.StateReasonData!)).toMatchObject({ version: '1.0', period: 60, threshold: 10 });
    expect(sim.events({ kind: 'cloudwatch.alarm-state' })[1]!.detail['actions']).toEqual([`arn:aws:sns:us-east-1:${ACCOUNT}:pager`]);
  });

  it('evaluates metric math, treats missing data as told, and lets SetAlarmState hold only until the next evaluation', async () => {
    // No traffic at all: with the default "missing" the alarm has nothing to judge.
    // Once traffic starts, about 60 errors a minute stay under these two alarms' threshold.
    await cw().send(new PutMetricAlarmCommand(fiveXxAlarm({ AlarmName: 'quiet', TreatMissingData: undefined, Threshold: 100 })));
    await cw().send(new PutMetricAlarmCommand(fiveXxAlarm({ AlarmName: 'quiet-breaching', TreatMissingData: 'breaching', Threshold: 100 })));
    sim.seed.cloudwatch.traffic({ namespace: 'AWS/ApplicationELB', targetGroupArn: TG, loadBalancerArn: LB, requestsPerSecond: 10, errorRate: 0.1, from: START + 10 * MINUTE });
    const metric = (id: string, name: string) => ({ Id: id, MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: name, Dimensions: albDimensions() }, Period: 60, Stat: 'Sum' }, ReturnData: false });
    await cw().send(
      new PutMetricAlarmCommand({
        AlarmName: 'error-rate',
        EvaluationPeriods: 2,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Metrics: [metric('e', 'HTTPCode_Target_5XX_Count'), metric('r', 'RequestCount'), { Id: 'rate', Expression: '100 * e / r', ReturnData: true }],
      }),
    );
    sim.tick(5 * MINUTE);
    const states = async () => Object.fromEntries((await cw().send(new DescribeAlarmsCommand({}))).MetricAlarms!.map((a) => [a.AlarmName, a.StateValue]));
    expect(await states()).toEqual({ 'error-rate': 'INSUFFICIENT_DATA', quiet: 'INSUFFICIENT_DATA', 'quiet-breaching': 'ALARM' });
    sim.tick(10 * MINUTE);
    expect(await states()).toEqual({ 'error-rate': 'ALARM', quiet: 'OK', 'quiet-breaching': 'OK' });
    const math = (await cw().send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'error' }))).MetricAlarms![0]!;
    expect(math.Metrics!.map((m) => m.Id)).toEqual(['e', 'r', 'rate']);
    expect(math.MetricName).toBeUndefined();

    await cw().send(new SetAlarmStateCommand({ AlarmName: 'quiet', StateValue: 'ALARM', StateReason: 'testing the pager' }));
    expect((await cw().send(new DescribeAlarmsCommand({ AlarmNames: ['quiet'] }))).MetricAlarms![0]).toMatchObject({ StateValue: 'ALARM', StateReason: 'testing the pager' });
    sim.tick(MINUTE);
    expect((await states())['quiet']).toBe('OK');
  });

  it('refuses bad alarms and deletes all or nothing, in CloudWatch error shapes', async () => {
    await cw().send(new PutMetricAlarmCommand(fiveXxAlarm()));
    expect(await rejected(cw().send(new PutMetricAlarmCommand(fiveXxAlarm({ ComparisonOperator: 'GreaterThan' as PutMetricAlarmCommandInput['ComparisonOperator'] }))))).toMatchObject({ name: 'InvalidParameterValueException', status: 400 });
    expect(await rejected(cw().send(new PutMetricAlarmCommand(fiveXxAlarm({ Statistic: undefined }))))).toEqual({ name: 'InvalidParameterCombinationException', message: 'Exactly one of Statistic and ExtendedStatistic must be specified.', status: 400 });
    expect(await rejected(cw().send(new PutMetricAlarmCommand(fiveXxAlarm({ Threshold: undefined }))))).toEqual({ name: 'MissingRequiredParameterException', message: 'The parameter Threshold is required.', status: 400 });
    expect(await rejected(cw().send(new DescribeAlarmsCommand({ AlarmNames: ['a'], AlarmNamePrefix: 'a' })))).toMatchObject({ name: 'InvalidParameterCombinationException' });

    const missing = await rejected(cw().send(new DeleteAlarmsCommand({ AlarmNames: ['web-v001-5xx', 'nope'] })));
    expect(missing).toEqual({ name: 'ResourceNotFound', message: '1 of 2 alarms not found: nope', status: 404 });
    expect((await cw().send(new DescribeAlarmsCommand({}))).MetricAlarms!.map((a) => a.AlarmName)).toEqual(['web-v001-5xx']);
    await cw().send(new DeleteAlarmsCommand({ AlarmNames: ['web-v001-5xx'] }));
    expect((await cw().send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
    // Without alarms nothing is due: the clock runs straight to its target.
    expect(sim.service('monitoring')!.nextChangeAt!()).toBeUndefined();
  });
});

describe('Application Auto Scaling policies', () => {
  const resourceId = 'service/prod-cluster/web';
  const target = { ServiceNamespace: 'ecs' as const, ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount' as const };

  async function service(): Promise<void> {
    const ecs = new ECSClient(config());
    const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'web', image: 'repo/web:1', memory: 256, portMappings: [{ containerPort: 80, hostPort: 0 }] }] }));
    await ecs.send(new CreateServiceCommand({ cluster: 'prod-cluster', serviceName: 'web', taskDefinition: td.taskDefinition!.taskDefinitionArn!, desiredCount: 2, launchType: 'EC2' }));
    await aas().send(new RegisterScalableTargetCommand({ ...target, MinCapacity: 2, MaxCapacity: 10 }));
  }

  it('creates the two alarms of a target-tracking policy in CloudWatch, which watch the service and change state with its CPU', async () => {
    await service();
    const seeded = await fetch(`${sim.endpoint}/__sandbox/monitoring/traffic`, { method: 'POST', body: JSON.stringify({ namespace: 'AWS/ECS', dimensions: { ClusterName: 'prod-cluster', ServiceName: 'web' }, cpuPercent: 80, from: START }) });
    expect(await seeded.json()).toEqual({ namespace: 'AWS/ECS', dimensions: { ClusterName: 'prod-cluster', ServiceName: 'web' }, from: '2026-01-01T00:00:00.000Z' });
    const put = await aas().send(
      new PutScalingPolicyCommand({ ...target, PolicyName: 'cpu50', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } }),
    );
    expect(put.PolicyARN).toMatch(new RegExp(`^arn:aws:autoscaling:us-east-1:${ACCOUNT}:scalingPolicy:[0-9a-f-]{36}:resource/ecs/service/prod-cluster/web:policyName/cpu50$`));
    const id = put.PolicyARN!.split(':')[6];
    expect(put.Alarms!.map((a) => a.AlarmName)).toEqual([`TargetTracking-${resourceId}-AlarmHigh-${id}`, `TargetTracking-${resourceId}-AlarmLow-${id}`]);

    const alarms = (await cw().send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-' }))).MetricAlarms!;
    expect(alarms.map((a) => [a.AlarmName!.includes('High') ? 'high' : 'low', a.MetricName, a.Namespace, a.Statistic, a.Threshold, a.ComparisonOperator, a.EvaluationPeriods, a.AlarmActions])).toEqual([
      ['high', 'CPUUtilization', 'AWS/ECS', 'Average', 50, 'GreaterThanThreshold', 3, [put.PolicyARN]],
      ['low', 'CPUUtilization', 'AWS/ECS', 'Average', 45, 'LessThanThreshold', 15, [put.PolicyARN]],
    ]);
    expect(alarms[0]!.Dimensions).toEqual([{ Name: 'ClusterName', Value: 'prod-cluster' }, { Name: 'ServiceName', Value: 'web' }]);
    expect(alarms[0]!.AlarmDescription).toBe(`DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${put.PolicyARN}.`);
    sim.tick(5 * MINUTE);
    const states = Object.fromEntries((await cw().send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-' }))).MetricAlarms!.map((a) => [a.AlarmName!.includes('High') ? 'high' : 'low', a.StateValue]));
    expect(states).toEqual({ high: 'ALARM', low: 'OK' });
    // Policies are not executed: the alarm in ALARM does not scale the service.
    const ecs = new ECSClient(config());
    expect((await ecs.send(new DescribeServicesCommand({ cluster: 'prod-cluster', services: ['web'] }))).services![0]!.desiredCount).toBe(2);

    const described = await aas().send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId }));
    expect(described.ScalingPolicies).toEqual([
      {
        PolicyARN: put.PolicyARN,
        PolicyName: 'cpu50',
        ...target,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
        Alarms: put.Alarms,
        CreationTime: new Date(START),
      },
    ]);
    const memory = await aas().send(
      new PutScalingPolicyCommand({ ...target, PolicyName: 'mem70', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 70, DisableScaleIn: true, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' } } }),
    );
    expect(memory.Alarms!.map((a) => a.AlarmName!.includes('AlarmHigh'))).toEqual([true]);
    await aas().send(new DeleteScalingPolicyCommand({ ...target, PolicyName: 'cpu50' }));
    expect((await cw().send(new DescribeAlarmsCommand({}))).MetricAlarms!.map((a) => a.AlarmName)).toEqual([memory.Alarms![0]!.AlarmName]);
    expect(await rejected(aas().send(new DeleteScalingPolicyCommand({ ...target, PolicyName: 'cpu50' })))).toEqual({
      name: 'ObjectNotFoundException',
      message: `No scaling policy found for service namespace: ecs, resource ID: ${resourceId}, scalable dimension: ecs:service:DesiredCount, policy name: cpu50`,
      status: 400,
    });
  });

  it('keeps step-scaling policies whose alarms the caller creates (clouddriver copies both), and drops them with the scalable target', async () => {
    const noTarget = await rejected(aas().send(new PutScalingPolicyCommand({ ...target, PolicyName: 'up', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ ScalingAdjustment: 1, MetricIntervalLowerBound: 0 }] } })));
    expect(noTarget).toEqual({ name: 'ObjectNotFoundException', message: `No scalable target registered for service namespace: ecs, resource ID: ${resourceId}, scalable dimension: ecs:service:DesiredCount`, status: 400 });
    await service();
    const step = { AdjustmentType: 'ChangeInCapacity' as const, Cooldown: 60, MetricAggregationType: 'Average' as const, StepAdjustments: [{ ScalingAdjustment: 1, MetricIntervalLowerBound: 0 }] };
    const put = await aas().send(new PutScalingPolicyCommand({ ...target, PolicyName: 'up', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: step }));
    expect(put.Alarms).toBeUndefined();
    const again = await aas().send(new PutScalingPolicyCommand({ ...target, PolicyName: 'up', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { ...step, Cooldown: 120 } }));
    expect(again.PolicyARN).toBe(put.PolicyARN);
    await cw().send(new PutMetricAlarmCommand({ AlarmName: 'web-cpu-high', Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ClusterName', Value: 'prod-cluster' }, { Name: 'ServiceName', Value: 'web' }], Statistic: 'Average', Period: 60, EvaluationPeriods: 1, Threshold: 70, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [put.PolicyARN!] }));
    expect((await cw().send(new DescribeAlarmsCommand({ ActionPrefix: put.PolicyARN! }))).MetricAlarms!.map((a) => a.AlarmName)).toEqual(['web-cpu-high']);
    const policies = (await aas().send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', PolicyNames: ['up'] }))).ScalingPolicies!;
    expect(policies.map((p) => [p.PolicyType, p.StepScalingPolicyConfiguration!.Cooldown, p.Alarms])).toEqual([['StepScaling', 120, []]]);
    const bad = await rejected(aas().send(new PutScalingPolicyCommand({ ...target, PolicyName: 'bad', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [] } })));
    expect(bad).toEqual({ name: 'ValidationException', message: 'StepAdjustments must have at least one step adjustment.', status: 400 });

    await aas().send(new DeregisterScalableTargetCommand(target));
    expect((await aas().send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }))).ScalingPolicies).toEqual([]);
    // The caller's own alarm stays (only a target-tracking policy's alarms belong to it).
    expect((await cw().send(new DescribeAlarmsCommand({}))).MetricAlarms!.map((a) => a.AlarmName)).toEqual(['web-cpu-high']);
  });
});
