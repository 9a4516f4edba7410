/**
 * The save-time check of an EC2 cluster entry (adapters/targets/aws-ec2/cluster-check.ts): every
 * bad field at once, in the words a create would use; the parser's cross-field rules; no subnets
 * and no zones; an artifact EC2 cannot run; and no image to run, refused only when nothing
 * upstream may hand one. Values holding expressions are left to the run.
 */
import { describe, expect, it } from 'vitest';
import { checkEc2ClusterEntry } from '../../../../adapters/targets/aws-ec2/cluster-check.ts';
import type { ClusterCheckContext } from '../../../../core/ports/cluster-checks.ts';

/** The example pipeline's cluster (examples/pipelines/ec2-redblack.json), trimmed. */
const good = {
  account: 'my-aws-prod',
  cloudProvider: 'aws',
  strategy: 'redblack',
  amiName: 'webshop-1.4.2-x86_64-202612070900',
  instanceType: 'm5.large',
  availabilityZones: { 'us-west-2': ['us-west-2a', 'us-west-2b'] },
  subnetType: 'internal (vpc0)',
  securityGroups: ['webshop-internal'],
  targetGroups: ['webshop-prod-tg'],
  capacity: { min: 2, max: 4, desired: 2 },
  healthCheckType: 'ELB',
};
const context: ClusterCheckContext = { regions: ['us-west-2'], upstreamImage: 'no' };
const lines = (entry: Record<string, unknown>, given: Partial<ClusterCheckContext> = {}) =>
  checkEc2ClusterEntry(entry, { ...context, ...given }).map((issue) => `${issue.severity} ${issue.code} /${issue.path.join('/')}: ${issue.message}`);

describe('the EC2 cluster check at save', () => {
  it('finds nothing wrong with the example cluster', () => {
    expect(lines(good)).toEqual([]);
  });

  it('names every bad field at once, with its value and the fix', () => {
    const { amiName: _image, ...imageless } = good;
    expect(lines({ ...imageless, instanceType: 5, healthCheckType: 'ALB', securityGroups: ['ok', 7] })).toEqual([
      'error invalid-value /instanceType: provider field instanceType is 5; set an EC2 instance type, e.g. "m5.large"',
      'error invalid-value /securityGroups/1: provider field securityGroups[1] is 7; list security group ids or names, e.g. ["sg-0abc1234", "hello-web"]',
      'error invalid-value /healthCheckType: provider field healthCheckType is "ALB"; set "EC2" (instance status checks) or "ELB" (target group health checks)',
      'error required /amiName: provider field amiName is missing; set the AMI to run (amiName: an AMI name or id), or run a bake, findImage or findImageFromTags stage before this deploy (in its requisiteStageRefIds)',
    ]);
  });

  it('says a missing instance type is required', () => {
    const { instanceType: _type, ...typeless } = good;
    expect(lines(typeless)).toEqual(['error required /instanceType: provider field instanceType is missing; set an EC2 instance type, e.g. "m5.large"']);
  });

  it("answers the parser's cross-field rule once the fields themselves are fine", () => {
    expect(lines({ ...good, imageId: 'ami-0abc1234' })).toEqual(['error invalid-value /imageId: provider field imageId is "ami-0abc1234"; amiName is "webshop-1.4.2-x86_64-202612070900" too; set only one of them']);
  });

  it('refuses a cluster with no subnets and no zones in its region', () => {
    const { subnetType: _subnets, availabilityZones: _zones, ...nowhere } = good;
    expect(lines({ ...nowhere, region: 'us-west-2' })).toEqual(['error required /subnetType: provider field subnetType is missing; set subnetType (the subnets\' purpose), subnetIds, or availabilityZones["us-west-2"]']);
  });

  it('refuses an artifact EC2 cannot run', () => {
    expect(lines({ ...good, artifact: { type: 'docker/image', reference: 'hello:1' } })).toEqual([
      "error invalid-value /artifact/type: artifact type 'docker/image' cannot run on EC2; deploy an aws/image (an AMI from a bake or findImage stage), or set amiName",
    ]);
  });

  it.each([
    ['a bake upstream', 'yes', []],
    ['an image stage elsewhere, or a parent pipeline', 'maybe', ['warning required /amiName']],
    ['nothing that makes images', 'no', ['error required /amiName']],
  ] as const)('without amiName, with %s, answers %j', (_what, upstreamImage, expected) => {
    const { amiName: _image, ...imageless } = good;
    expect(lines(imageless, { upstreamImage }).map((line) => line.slice(0, line.indexOf(':')))).toEqual(expected);
  });

  it('takes an image from imageId or an artifact field', () => {
    const { amiName: _image, ...imageless } = good;
    expect(lines({ ...imageless, imageId: 'ami-0abc1234' })).toEqual([]);
    expect(lines({ ...imageless, artifact: { type: 'aws/image', reference: 'ami-0abc1234' } })).toEqual([]);
  });

  it('leaves values holding expressions to the run', () => {
    expect(lines({ ...good, instanceType: '${parameters.type}', amiName: '${trigger.properties.ami}', healthCheckGracePeriod: '${parameters.grace}', imageId: 'ami-0abc1234' })).toEqual([]);
    expect(lines({ ...good, targetGroups: ['${parameters.tg}', 5] })).toEqual([
      'error invalid-value /targetGroups/1: provider field targetGroups[1] is 5; list target group names, e.g. ["hello-prod-tg"]',
    ]);
  });
});
