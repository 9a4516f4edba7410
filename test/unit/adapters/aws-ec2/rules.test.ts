/**
 * The EC2 target's pure rules: AWS errors as port failures (aws-errors.ts), clouddriver's health
 * model (health.ts), and the weight arithmetic of weighted mode. The errors are the SDK's own
 * exception classes, built as the SDK builds them from a response.
 */
import { AlreadyExistsFault, LimitExceededFault } from '@aws-sdk/client-auto-scaling';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { awsErrorCode, awsFailure, reasonOf } from '../../../../adapters/targets/aws-ec2/aws-errors.ts';
import { apportion, launchTemplateClientToken, ownerTagValue } from '../../../../adapters/targets/aws-ec2/ec2-target.ts';
import { combinedTargetGroupHealth, instanceHealth, platformHealth, targetGroupHealth } from '../../../../adapters/targets/aws-ec2/health.ts';

const metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'r-1', attempts: 3, totalRetryDelay: 0 });

/** An unmodeled error as the SDK surfaces it: the code as its name. */
function unmodeled(code: string, message: string, status = 400) {
  return new EC2ServiceException({ name: code, message, $fault: status >= 500 ? 'server' : 'client', $metadata: metadata(status) });
}

describe('AWS errors as port failures', () => {
  it.each([
    ['Throttling', 400, 'unavailable'],
    ['RequestLimitExceeded', 503, 'unavailable'],
    ['InternalFailure', 500, 'unavailable'],
    ['ServiceUnavailable', 503, 'unavailable'],
    ['ScalingActivityInProgress', 400, 'unavailable'],
    ['AccessDenied', 403, 'failed'],
    ['UnauthorizedOperation', 403, 'failed'],
    ['InstanceLimitExceeded', 400, 'failed'],
    ['VcpuLimitExceeded', 400, 'failed'],
    ['InvalidSubnetID.NotFound', 400, 'not-found'],
    ['InvalidAMIID.Malformed', 400, 'invalid'],
    ['InvalidParameterValue', 400, 'invalid'],
    ['ValidationError', 400, 'invalid'],
    ['InvalidLaunchTemplateName.AlreadyExistsException', 400, 'already-exists'],
    ['SomethingNew', 400, 'failed'],
  ])('answers %s (HTTP %d) as %s', (code, status, reason) => {
    expect(reasonOf(unmodeled(code, 'message', status))).toBe(reason);
  });

  it("reads awsQuery's code behind a modeled exception: AlreadyExistsFault is already-exists, LimitExceededFault a quota", () => {
    const exists = new AlreadyExistsFault({ message: 'AutoScalingGroup by this name already exists - A group with the name hello-v001 already exists', $metadata: metadata(400) });
    Object.assign(exists, { Code: 'AlreadyExists' });
    expect(awsErrorCode(exists)).toBe('AlreadyExists');
    expect(reasonOf(exists)).toBe('already-exists');
    const quota = new LimitExceededFault({ message: 'You have reached your limit of 500 Auto Scaling groups', $metadata: metadata(400) });
    Object.assign(quota, { Code: 'LimitExceeded' });
    expect(awsFailure(quota, 'creating hello-v001')).toMatchObject({
      reason: 'failed',
      message: 'creating hello-v001 failed: AWS LimitExceeded: You have reached your limit of 500 Auto Scaling groups; raise the service quota or use fewer resources',
    });
  });

  it("answers Auto Scaling's 'name not found' ValidationError as not-found", () => {
    expect(reasonOf(unmodeled('ValidationError', 'AutoScalingGroup name not found - no such group: hello-v001'))).toBe('not-found');
  });

  it("puts AWS's message in one line, keeps the SDK error as the cause, and lets a caller say a missing target group is a bad field", () => {
    const error = new TargetGroupNotFoundException({ message: 'One or more target groups not found\n(names: hello-tg)', $metadata: metadata(400) });
    const failure = awsFailure(error, 'finding target groups hello-tg', (code, reason) => (reason === 'not-found' ? 'invalid' : reason));
    expect(failure).toEqual({ ok: false, reason: 'invalid', message: 'finding target groups hello-tg failed: AWS TargetGroupNotFoundException: One or more target groups not found (names: hello-tg)', cause: error });
  });

  it('answers network faults as unavailable and says it will be tried again', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(awsFailure(refused, 'listing the Auto Scaling groups')).toMatchObject({ reason: 'unavailable', message: expect.stringContaining('; it will be tried again') });
  });

  it('throws what is not an AWS error: a bug is not a cloud failure', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(() => awsFailure(bug, 'creating hello-v001')).toThrow(bug);
  });
});

describe("clouddriver's health model", () => {
  it.each([
    ['Pending', 'Healthy', 'pending', 'Starting'],
    ['Pending:Wait', 'Healthy', undefined, 'Starting'],
    ['InService', 'Healthy', 'running', 'Up'],
    ['InService', 'Healthy', 'pending', 'Starting'],
    ['InService', 'Unhealthy', 'running', 'Down'],
    ['InService', 'Healthy', 'stopped', 'Down'],
    ['Terminating', 'Healthy', 'shutting-down', 'Down'],
    ['Standby', 'Healthy', 'running', 'Unknown'],
  ])('reads lifecycle %s, status %s, EC2 state %s as platform %s', (lifecycle, status, state, health) => {
    expect(platformHealth(lifecycle, status, state)).toBe(health);
  });

  it.each([
    ['healthy', 'Up'],
    ['initial', 'Starting'],
    ['unused', 'OutOfService'],
    ['draining', 'Draining'],
    ['unhealthy', 'Down'],
    ['unavailable', 'Down'],
  ])('reads target state %s as %s', (state, health) => {
    expect(targetGroupHealth(state)).toBe(health);
  });

  it('combines target groups as InstanceTargetGroups: Starting, then Down, then OutOfService, then Draining, else Up', () => {
    expect(combinedTargetGroupHealth(['Up', 'Down', 'Starting'])).toBe('Starting');
    expect(combinedTargetGroupHealth(['Up', 'Draining', 'Down'])).toBe('Down');
    expect(combinedTargetGroupHealth(['Draining', 'OutOfService'])).toBe('OutOfService');
    expect(combinedTargetGroupHealth(['Up', 'Draining'])).toBe('Draining');
    expect(combinedTargetGroupHealth(['Up', 'Up'])).toBe('Up');
    expect(combinedTargetGroupHealth([])).toBeUndefined();
  });

  it('is Up only when the platform and every target group it serves in say so', () => {
    expect(instanceHealth('Up', 'Up')).toBe('Up');
    expect(instanceHealth('Up', 'Starting')).toBe('Starting');
    expect(instanceHealth('Up', 'Down')).toBe('Down');
    expect(instanceHealth('Up', undefined)).toBe('Up');
    expect(instanceHealth('Starting', 'Up')).toBe('Starting');
    expect(instanceHealth('Down', 'Up')).toBe('Down');
  });
});

describe('weights and tokens', () => {
  it.each([
    [100, { a: 1, b: 1, c: 1 }, { a: 34, b: 33, c: 33 }],
    [100, { a: 90, b: 10 }, { a: 90, b: 10 }],
    [90, { b: 10, c: 5 }, { b: 60, c: 30 }],
    [100, { a: 1 }, { a: 100 }],
  ])('apportions %d over %j as whole numbers summing to it: %j', (total, shares, expected) => {
    expect(Object.fromEntries(apportion(total, new Map(Object.entries(shares))))).toEqual(expected);
  });

  it('derives a ClientToken of at most 64 characters, the same for the same step and name', () => {
    const token = launchTemplateClientToken('e1/s1/deploy:cluster0/1', 'hello-prod-v001');
    expect(token).toHaveLength(64);
    expect(launchTemplateClientToken('e1/s1/deploy:cluster0/1', 'hello-prod-v001')).toBe(token);
    expect(launchTemplateClientToken('e1/s1/deploy:cluster0/2', 'hello-prod-v001')).not.toBe(token);
  });

  it('keeps an owner token as the tag value, hashing one longer than a tag value holds', () => {
    expect(ownerTagValue('e1/s1/deploy:cluster0/1')).toBe('e1/s1/deploy:cluster0/1');
    expect(ownerTagValue('x'.repeat(300))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
