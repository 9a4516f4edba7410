/**
 * The simulated Application Auto Scaling (AWS JSON 1.1, `X-Amz-Target: AnyScaleFrontendService.<Op>`)
 * for ECS services: scalable targets `service/<cluster>/<service>` on `ecs:service:DesiredCount`
 * with min, max and suspended state, and their scaling policies. As AWS documents for
 * RegisterScalableTarget, registering moves an ACTIVE service's desired count into [min, max].
 * A target-tracking policy creates its two CloudWatch alarms in the simulated CloudWatch, where
 * they evaluate like any other; policies are stored and described but never executed, so nothing
 * else changes the count.
 */
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';
import { AwsError, epochSeconds, hexId, uuidId, optInt, optString, optStrings, reqString, type JsonProtocol, jsonOperations } from './json-rpc.ts';
import type { EcsSim } from './ecs.ts';
import type { AlarmPort } from './cloudwatch.ts';

const PROTOCOL: JsonProtocol = { version: '1.1', namespace: 'com.amazonaws.applicationautoscaling' };
const WIRE: AwsProtocol = { kind: 'awsJson', jsonVersion: '1.1' };
const TARGET_PREFIX = 'AnyScaleFrontendService';
const OPERATIONS = ['RegisterScalableTarget', 'DescribeScalableTargets', 'DeregisterScalableTarget', 'PutScalingPolicy', 'DescribeScalingPolicies', 'DeleteScalingPolicy'] as const;
type Operation = (typeof OPERATIONS)[number];

const ECS_DIMENSION = 'ecs:service:DesiredCount';

interface SuspendedState {
  DynamicScalingInSuspended: boolean;
  DynamicScalingOutSuspended: boolean;
  ScheduledScalingSuspended: boolean;
}

interface ScalableTarget {
  readonly region: string;
  readonly namespace: string;
  readonly resourceId: string;
  readonly dimension: string;
  min: number;
  max: number;
  roleArn: string;
  readonly createdAt: number;
  suspended: SuspendedState;
  readonly arn: string;
}

type Body = Record<string, unknown>;

interface ScalingPolicy {
  readonly targetKey: string;
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  type: 'StepScaling' | 'TargetTrackingScaling';
  config: Body;
  alarms: Array<{ AlarmName: string; AlarmARN: string }>;
}

/** What ECS publishes that a predefined target-tracking metric reads. */
const PREDEFINED: Record<string, { readonly namespace: string; readonly metricName: string; readonly statistic: string }> = {
  ECSServiceAverageCPUUtilization: { namespace: 'AWS/ECS', metricName: 'CPUUtilization', statistic: 'Average' },
  ECSServiceAverageMemoryUtilization: { namespace: 'AWS/ECS', metricName: 'MemoryUtilization', statistic: 'Average' },
  ALBRequestCountPerTarget: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCountPerTarget', statistic: 'Sum' },
};

/** Creates the simulated Application Auto Scaling; it reaches ECS through `ctx.service('ecs')`. */
export function createApplicationAutoScalingService(): AwsServiceSim {
  const targets = new Map<string, ScalableTarget>();
  const policies = new Map<string, ScalingPolicy>();
  let counter = 0;

  const keyOf = (region: string, namespace: string, resourceId: string, dimension: string) => `${region}|${namespace}|${resourceId}|${dimension}`;

  function ecsOf(ctx: SimContext): EcsSim | undefined {
    const ecs = ctx.service<EcsSim>('ecs');
    return ecs !== undefined && typeof ecs.scalableService === 'function' ? ecs : undefined;
  }

  function checkDimension(namespace: string, dimension: string | undefined): void {
    if (namespace !== 'ecs' || (dimension !== undefined && dimension !== ECS_DIMENSION)) {
      throw new AwsError('ValidationException', 'Unsupported service namespace, resource type or scalable dimension');
    }
  }

  function readSuspended(value: unknown, base: SuspendedState): SuspendedState {
    if (value === undefined || value === null) return base;
    if (typeof value !== 'object') throw new AwsError('ValidationException', 'SuspendedState must be an object.');
    const v = value as Body;
    const pick = (k: keyof SuspendedState) => (typeof v[k] === 'boolean' ? (v[k] as boolean) : base[k]);
    return { DynamicScalingInSuspended: pick('DynamicScalingInSuspended'), DynamicScalingOutSuspended: pick('DynamicScalingOutSuspended'), ScheduledScalingSuspended: pick('ScheduledScalingSuspended') };
  }

  function encode(target: ScalableTarget): Body {
    return {
      ServiceNamespace: target.namespace,
      ResourceId: target.resourceId,
      ScalableDimension: target.dimension,
      MinCapacity: target.min,
      MaxCapacity: target.max,
      RoleARN: target.roleArn,
      CreationTime: epochSeconds(target.createdAt),
      SuspendedState: { ...target.suspended },
      ScalableTargetARN: target.arn,
    };
  }

  function register(body: Body, req: SimRequest, ctx: SimContext): Body {
    const namespace = reqString(body, 'ServiceNamespace', 'ValidationException');
    const resourceId = reqString(body, 'ResourceId', 'ValidationException');
    const dimension = reqString(body, 'ScalableDimension', 'ValidationException');
    checkDimension(namespace, dimension);
    const ecs = ecsOf(ctx);
    const service = ecs?.scalableService(req.region, resourceId);
    // The answer clouddriver retries on while ECS's DescribeServices catches up.
    if (service === undefined || service.status !== 'ACTIVE') throw new AwsError('ValidationException', `ECS service doesn't exist: ${resourceId}`);
    const min = optInt(body, 'MinCapacity', 'ValidationException');
    const max = optInt(body, 'MaxCapacity', 'ValidationException');
    if ((min !== undefined && min < 0) || (max !== undefined && max < 0)) throw new AwsError('ValidationException', 'Minimum and maximum capacity must be 0 or more.');
    const key = keyOf(req.region, namespace, resourceId, dimension);
    let target = targets.get(key);
    if (target === undefined) {
      if (min === undefined || max === undefined) throw new AwsError('ValidationException', 'MinCapacity and MaxCapacity are required for registering a new scalable target.');
      if (min > max) throw new AwsError('ValidationException', `Minimum capacity (${min}) cannot be greater than maximum capacity (${max}).`);
      counter += 1;
      target = {
        region: req.region,
        namespace,
        resourceId,
        dimension,
        min,
        max,
        roleArn: optString(body, 'RoleARN', 'ValidationException') ?? `arn:aws:iam::${ctx.accountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
        createdAt: ctx.now(),
        suspended: readSuspended(body.SuspendedState, { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false }),
        arn: `arn:aws:application-autoscaling:${req.region}:${ctx.accountId}:scalable-target/${hexId('scalable-target', counter, 36)}`,
      };
      targets.set(key, target);
    } else {
      const newMin = min ?? target.min;
      const newMax = max ?? target.max;
      if (newMin > newMax) throw new AwsError('ValidationException', `Minimum capacity (${newMin}) cannot be greater than maximum capacity (${newMax}).`);
      target.min = newMin;
      target.max = newMax;
      target.suspended = readSuspended(body.SuspendedState, target.suspended);
      const role = optString(body, 'RoleARN', 'ValidationException');
      if (role !== undefined) target.roleArn = role;
    }
    ctx.event('aas.scalable-target', { resourceId, min: target.min, max: target.max, suspended: { ...target.suspended } });
    // Registering moves the current capacity into the range (API reference, RegisterScalableTarget).
    const clamped = Math.min(target.max, Math.max(target.min, service.desiredCount));
    if (clamped !== service.desiredCount) {
      ecs!.setDesiredCount(req.region, resourceId, clamped, `Application Auto Scaling set the desired count to ${clamped} to fit the scalable target's range [${target.min}, ${target.max}]`, ctx);
    }
    return { ScalableTargetARN: target.arn };
  }

  function describe(body: Body, req: SimRequest): Body {
    const namespace = reqString(body, 'ServiceNamespace', 'ValidationException');
    const dimension = optString(body, 'ScalableDimension', 'ValidationException');
    checkDimension(namespace, dimension);
    const ids = optStrings(body, 'ResourceIds', 'ValidationException');
    const max = optInt(body, 'MaxResults', 'ValidationException') ?? 50;
    if (max < 1 || max > 50) throw new AwsError('ValidationException', 'MaxResults must be between 1 and 50.');
    const all = [...targets.values()].filter(
      (t) => t.region === req.region && t.namespace === namespace && (dimension === undefined || t.dimension === dimension) && (ids === undefined || ids.includes(t.resourceId)),
    );
    const token = optString(body, 'NextToken', 'ValidationException');
    const offset = token !== undefined ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new AwsError('InvalidNextTokenException', 'Invalid token');
    const slice = all.slice(offset, offset + max);
    const next = offset + max < all.length ? Buffer.from(String(offset + max)).toString('base64') : undefined;
    return { ScalableTargets: slice.map(encode), ...(next !== undefined ? { NextToken: next } : {}) };
  }

  function deregister(body: Body, req: SimRequest, ctx: SimContext): Body {
    const namespace = reqString(body, 'ServiceNamespace', 'ValidationException');
    const resourceId = reqString(body, 'ResourceId', 'ValidationException');
    const dimension = reqString(body, 'ScalableDimension', 'ValidationException');
    checkDimension(namespace, dimension);
    const key = keyOf(req.region, namespace, resourceId, dimension);
    if (!targets.has(key)) {
      throw new AwsError('ObjectNotFoundException', `No scalable target registered for service namespace: ${namespace}, resource ID: ${resourceId}, scalable dimension: ${dimension}`);
    }
    // Deregistering deletes the target's scaling policies (and their alarms), as AWS does.
    for (const [policyKey, policy] of policies) {
      if (policy.targetKey !== key) continue;
      removePolicyAlarms(req.region, policy, ctx);
      policies.delete(policyKey);
    }
    targets.delete(key);
    ctx.event('aas.scalable-target-deregistered', { resourceId });
    return {};
  }

  function alarmsOf(ctx: SimContext): AlarmPort | undefined {
    const cw = ctx.service<AwsServiceSim & Partial<AlarmPort>>('monitoring');
    return cw !== undefined && typeof cw.putAlarm === 'function' && typeof cw.removeAlarms === 'function' ? (cw as unknown as AlarmPort) : undefined;
  }

  function removePolicyAlarms(region: string, policy: ScalingPolicy, ctx: SimContext): void {
    if (policy.alarms.length > 0) alarmsOf(ctx)?.removeAlarms(region, policy.alarms.map((a) => a.AlarmName), ctx);
  }

  function readStepConfig(value: unknown): Body {
    if (value === undefined || value === null || typeof value !== 'object') throw new AwsError('ValidationException', 'StepScalingPolicyConfiguration is required for a policy of type StepScaling.');
    const config = value as Body;
    if (!['ChangeInCapacity', 'PercentChangeInCapacity', 'ExactCapacity'].includes(String(config.AdjustmentType))) {
      throw new AwsError('ValidationException', `AdjustmentType must be ChangeInCapacity, PercentChangeInCapacity or ExactCapacity, got ${JSON.stringify(config.AdjustmentType)}.`);
    }
    const steps = config.StepAdjustments;
    if (!Array.isArray(steps) || steps.length === 0) throw new AwsError('ValidationException', 'StepAdjustments must have at least one step adjustment.');
    for (const step of steps as Body[]) {
      if (typeof step.ScalingAdjustment !== 'number' || !Number.isInteger(step.ScalingAdjustment)) throw new AwsError('ValidationException', 'Each step adjustment needs an integer ScalingAdjustment.');
      if (step.MetricIntervalLowerBound === undefined && step.MetricIntervalUpperBound === undefined && steps.length > 1) throw new AwsError('ValidationException', 'Only one step adjustment may leave both MetricIntervalLowerBound and MetricIntervalUpperBound open.');
    }
    return JSON.parse(JSON.stringify(config)) as Body;
  }

  function readTargetTrackingConfig(value: unknown): Body {
    if (value === undefined || value === null || typeof value !== 'object') throw new AwsError('ValidationException', 'TargetTrackingScalingPolicyConfiguration is required for a policy of type TargetTrackingScaling.');
    const config = value as Body;
    if (typeof config.TargetValue !== 'number' || !(config.TargetValue > 0)) throw new AwsError('ValidationException', `TargetValue must be a number above 0, got ${JSON.stringify(config.TargetValue)}.`);
    const predefined = config.PredefinedMetricSpecification as Body | undefined;
    const customized = config.CustomizedMetricSpecification as Body | undefined;
    if ((predefined === undefined) === (customized === undefined)) throw new AwsError('ValidationException', 'Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be given.');
    if (predefined !== undefined) {
      const type = String(predefined.PredefinedMetricType);
      if (!type.startsWith('ECSService') && type !== 'ALBRequestCountPerTarget') throw new AwsError('ValidationException', `Unsupported predefined metric type ${type} for service namespace ecs.`);
      if (PREDEFINED[type] === undefined) throw new AwsError('ValidationException', `Unsupported predefined metric type ${type} (the simulator takes ${Object.keys(PREDEFINED).join(', ')}).`);
      if (type === 'ALBRequestCountPerTarget' && typeof predefined.ResourceLabel !== 'string') throw new AwsError('ValidationException', 'ResourceLabel is required for the predefined metric type ALBRequestCountPerTarget.');
    } else if (typeof customized!.MetricName !== 'string' || typeof customized!.Namespace !== 'string' || typeof customized!.Statistic !== 'string') {
      throw new AwsError('ValidationException', 'CustomizedMetricSpecification needs MetricName, Namespace and Statistic.');
    }
    return JSON.parse(JSON.stringify(config)) as Body;
  }

  /** The two alarms AWS creates for a target-tracking policy (the low one only when scale-in is allowed). */
  function targetTrackingAlarms(policy: ScalingPolicy, resourceId: string, region: string, ctx: SimContext): Array<{ AlarmName: string; AlarmARN: string }> {
    const cw = alarmsOf(ctx);
    if (cw === undefined) return [];
    const config = policy.config;
    const target = config.TargetValue as number;
    const predefined = config.PredefinedMetricSpecification as Body | undefined;
    const customized = config.CustomizedMetricSpecification as Body | undefined;
    const [, cluster, service] = resourceId.split('/');
    let metric: Body;
    if (predefined !== undefined) {
      const spec = PREDEFINED[String(predefined.PredefinedMetricType)]!;
      const dimensions = spec.namespace === 'AWS/ECS'
        ? [{ Name: 'ClusterName', Value: cluster }, { Name: 'ServiceName', Value: service }]
        : [{ Name: 'TargetGroup', Value: String(predefined.ResourceLabel).replace(/^.*?(targetgroup\/)/, '$1') }];
      metric = { Namespace: spec.namespace, MetricName: spec.metricName, Statistic: spec.statistic, Dimensions: dimensions };
    } else {
      metric = { Namespace: customized!.Namespace, MetricName: customized!.MetricName, Statistic: customized!.Statistic, Dimensions: customized!.Dimensions ?? [], ...(customized!.Unit !== undefined ? { Unit: customized!.Unit } : {}) };
    }
    const id = policy.arn.split(':')[6];
    const description = `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${policy.arn}.`;
    const existing = new Map(policy.alarms.map((a) => [a.AlarmName.includes('-AlarmHigh-') ? 'high' : 'low', a.AlarmName]));
    const wanted: Array<[string, Body]> = [
      ['high', { ComparisonOperator: 'GreaterThanThreshold', Threshold: target, EvaluationPeriods: 3, DatapointsToAlarm: 3 }],
      ...(config.DisableScaleIn === true ? [] : [['low', { ComparisonOperator: 'LessThanThreshold', Threshold: Number((target * 0.9).toFixed(6)), EvaluationPeriods: 15, DatapointsToAlarm: 15 }] as [string, Body]]),
    ];
    const out: Array<{ AlarmName: string; AlarmARN: string }> = [];
    for (const [side, rule] of wanted) {
      const name = existing.get(side) ?? `TargetTracking-${resourceId}-Alarm${side === 'high' ? 'High' : 'Low'}-${id}`;
      existing.delete(side);
      const arn = cw.putAlarm(region, { AlarmName: name, AlarmDescription: description, ActionsEnabled: true, AlarmActions: [policy.arn], Period: 60, ...metric, ...rule }, ctx);
      out.push({ AlarmName: name, AlarmARN: arn });
    }
    if (existing.size > 0) cw.removeAlarms(region, [...existing.values()], ctx);
    return out;
  }

  function policyKeyOf(targetKey: string, name: string): string {
    return `${targetKey}|${name}`;
  }

  function encodePolicy(policy: ScalingPolicy, target: ScalableTarget): Body {
    return {
      PolicyARN: policy.arn,
      PolicyName: policy.name,
      ServiceNamespace: target.namespace,
      ResourceId: target.resourceId,
      ScalableDimension: target.dimension,
      PolicyType: policy.type,
      ...(policy.type === 'StepScaling' ? { StepScalingPolicyConfiguration: policy.config } : { TargetTrackingScalingPolicyConfiguration: policy.config }),
      Alarms: policy.alarms,
      CreationTime: epochSeconds(policy.createdAt),
    };
  }

  function putScalingPolicy(body: Body, req: SimRequest, ctx: SimContext): Body {
    const name = reqString(body, 'PolicyName', 'ValidationException');
    if (name.length > 256 || !/^\P{C}+$/u.test(name)) throw new AwsError('ValidationException', `PolicyName ${JSON.stringify(name)} is invalid: 1 to 256 printable characters.`);
    const namespace = reqString(body, 'ServiceNamespace', 'ValidationException');
    const resourceId = reqString(body, 'ResourceId', 'ValidationException');
    const dimension = reqString(body, 'ScalableDimension', 'ValidationException');
    checkDimension(namespace, dimension);
    const targetKey = keyOf(req.region, namespace, resourceId, dimension);
    const target = targets.get(targetKey);
    if (target === undefined) throw new AwsError('ObjectNotFoundException', `No scalable target registered for service namespace: ${namespace}, resource ID: ${resourceId}, scalable dimension: ${dimension}`);
    const type = optString(body, 'PolicyType', 'ValidationException') ?? 'StepScaling';
    if (type !== 'StepScaling' && type !== 'TargetTrackingScaling') throw new AwsError('ValidationException', `Unsupported policy type ${type} for service namespace ecs (the simulator takes StepScaling and TargetTrackingScaling).`);
    const config = type === 'StepScaling' ? readStepConfig(body.StepScalingPolicyConfiguration) : readTargetTrackingConfig(body.TargetTrackingScalingPolicyConfiguration);
    const key = policyKeyOf(targetKey, name);
    let policy = policies.get(key);
    if (policy === undefined) {
      counter += 1;
      policy = {
        targetKey,
        name,
        arn: `arn:aws:autoscaling:${req.region}:${ctx.accountId}:scalingPolicy:${uuidId('aas-policy', counter)}:resource/${namespace}/${resourceId}:policyName/${name}`,
        createdAt: ctx.now(),
        type,
        config,
        alarms: [],
      };
      policies.set(key, policy);
    } else {
      if (policy.type !== type) removePolicyAlarms(req.region, policy, ctx);
      if (policy.type !== type) policy.alarms = [];
      policy.type = type;
      policy.config = config;
    }
    if (type === 'TargetTrackingScaling') policy.alarms = targetTrackingAlarms(policy, resourceId, req.region, ctx);
    ctx.event('aas.scaling-policy', { resourceId, policyName: name, policyType: type, alarms: policy.alarms.map((a) => a.AlarmName) });
    return { PolicyARN: policy.arn, ...(type === 'TargetTrackingScaling' ? { Alarms: policy.alarms } : {}) };
  }

  function describeScalingPolicies(body: Body, req: SimRequest): Body {
    const namespace = reqString(body, 'ServiceNamespace', 'ValidationException');
    const dimension = optString(body, 'ScalableDimension', 'ValidationException');
    checkDimension(namespace, dimension);
    const resourceId = optString(body, 'ResourceId', 'ValidationException');
    const names = optStrings(body, 'PolicyNames', 'ValidationException');
    const max = optInt(body, 'MaxResults', 'ValidationException') ?? 50;
    if (max < 1 || max > 50) throw new AwsError('ValidationException', 'MaxResults must be between 1 and 50.');
    const all: Body[] = [];
    for (const policy of policies.values()) {
      const target = [...targets.entries()].find(([k]) => k === policy.targetKey)?.[1];
      if (target === undefined || target.region !== req.region || target.namespace !== namespace) continue;
      if ((dimension !== undefined && target.dimension !== dimension) || (resourceId !== undefined && target.resourceId !== resourceId) || (names !== undefined && !names.includes(policy.name))) continue;
      all.push(encodePolicy(policy, target));
    }
    const token = optString(body, 'NextToken', 'ValidationException');
    const offset = token !== undefined ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new AwsError('InvalidNextTokenException', 'Invalid token');
    const next = offset + max < all.length ? Buffer.from(String(offset + max)).toString('base64') : undefined;
    return { ScalingPolicies: all.slice(offset, offset + max), ...(next !== undefined ? { NextToken: next } : {}) };
  }

  function deleteScalingPolicy(body: Body, req: SimRequest, ctx: SimContext): Body {
    const name = reqString(body, 'PolicyName', 'ValidationException');
    const namespace = reqString(body, 'ServiceNamespace', 'ValidationException');
    const resourceId = reqString(body, 'ResourceId', 'ValidationException');
    const dimension = reqString(body, 'ScalableDimension', 'ValidationException');
    checkDimension(namespace, dimension);
    const key = policyKeyOf(keyOf(req.region, namespace, resourceId, dimension), name);
    const policy = policies.get(key);
    if (policy === undefined) {
      throw new AwsError('ObjectNotFoundException', `No scaling policy found for service namespace: ${namespace}, resource ID: ${resourceId}, scalable dimension: ${dimension}, policy name: ${name}`);
    }
    removePolicyAlarms(req.region, policy, ctx);
    policies.delete(key);
    ctx.event('aas.scaling-policy-deleted', { resourceId, policyName: name });
    return {};
  }

  const handlers: Record<Operation, (body: Body, req: SimRequest, ctx: SimContext) => Body> = {
    RegisterScalableTarget: register,
    DescribeScalableTargets: describe,
    DeregisterScalableTarget: deregister,
    PutScalingPolicy: putScalingPolicy,
    DescribeScalingPolicies: describeScalingPolicies,
    DeleteScalingPolicy: deleteScalingPolicy,
  };

  return {
    signingName: 'application-autoscaling',
    protocol: WIRE,
    operations: OPERATIONS,
    handle: jsonOperations(PROTOCOL, TARGET_PREFIX, handlers),
    reconcile(): void {
      // No scaling policies are simulated: nothing changes on its own.
    },
    snapshot(): Record<string, unknown> {
      return {
        scalableTargets: [...targets.values()].map((t) => ({ region: t.region, resourceId: t.resourceId, dimension: t.dimension, min: t.min, max: t.max, suspended: { ...t.suspended } })),
        scalingPolicies: [...policies.values()].map((p) => ({ name: p.name, resourceId: targets.get(p.targetKey)?.resourceId, type: p.type, alarms: p.alarms.map((a) => a.AlarmName) })),
      };
    },
  };
}
