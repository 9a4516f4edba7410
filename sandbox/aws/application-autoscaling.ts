/**
 * The simulated Application Auto Scaling (AWS JSON 1.1, `X-Amz-Target: AnyScaleFrontendService.<Op>`)
 * for ECS services: scalable targets `service/<cluster>/<service>` on `ecs:service:DesiredCount`
 * with min, max and suspended state. As AWS documents for RegisterScalableTarget, registering
 * moves an ACTIVE service's desired count into [min, max]; no scaling policies run, so nothing
 * else changes the count.
 */
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';
import { AwsError, epochSeconds, hexId, jsonTarget, optInt, optString, optStrings, parseJsonBody, reqString, runJsonOperation, unknownOperation, type JsonProtocol } from './json-rpc.ts';
import type { EcsSim } from './ecs.ts';

const PROTOCOL: JsonProtocol = { version: '1.1', namespace: 'com.amazonaws.applicationautoscaling' };
const WIRE: AwsProtocol = { kind: 'awsJson', jsonVersion: '1.1' };
const TARGET_PREFIX = 'AnyScaleFrontendService';
const OPERATIONS = ['RegisterScalableTarget', 'DescribeScalableTargets', 'DeregisterScalableTarget'] as const;
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

/** Creates the simulated Application Auto Scaling; it reaches ECS through `ctx.service('ecs')`. */
export function createApplicationAutoScalingService(): AwsServiceSim {
  const targets = new Map<string, ScalableTarget>();
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
    targets.delete(key);
    ctx.event('aas.scalable-target-deregistered', { resourceId });
    return {};
  }

  const handlers: Record<Operation, (body: Body, req: SimRequest, ctx: SimContext) => Body> = {
    RegisterScalableTarget: register,
    DescribeScalableTargets: describe,
    DeregisterScalableTarget: deregister,
  };

  return {
    signingName: 'application-autoscaling',
    protocol: WIRE,
    operations: OPERATIONS,
    async handle(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
      const operation = jsonTarget(req, TARGET_PREFIX);
      if (operation === undefined || !(OPERATIONS as readonly string[]).includes(operation)) return unknownOperation(PROTOCOL, ctx.requestId);
      return runJsonOperation(PROTOCOL, ctx.requestId, () => handlers[operation as Operation](parseJsonBody(req), req, ctx));
    },
    reconcile(): void {
      // No scaling policies are simulated: nothing changes on its own.
    },
    snapshot(): Record<string, unknown> {
      return { scalableTargets: [...targets.values()].map((t) => ({ region: t.region, resourceId: t.resourceId, dimension: t.dimension, min: t.min, max: t.max, suspended: { ...t.suspended } })) };
    },
  };
}
