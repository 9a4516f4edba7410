/**
 * The EC2 cluster's provider fields (adapters/targets/aws-ec2/config.ts): Spinnaker's cluster JSON
 * parses as it is, each bad field is refused in one line naming the field, the value and the fix,
 * and what the target cannot do yet is `unsupported`, never dropped.
 */
import { describe, expect, it } from 'vitest';
import { parseEc2ClusterConfig } from '../../../../adapters/targets/aws-ec2/config.ts';

/** A cluster of the Netflix pipeline in Orca's test fixtures (reference/cloud-targets.md §2.1). */
const netflixCluster = {
  application: 'tracks',
  strategy: 'redblack',
  capacity: { min: 1, max: 1, desired: 1 },
  targetHealthyDeployPercentage: 100,
  cooldown: 10,
  enabledMetrics: [],
  healthCheckType: 'EC2',
  healthCheckGracePeriod: 600,
  instanceMonitoring: true,
  ebsOptimized: true,
  iamRole: 'tracksInstanceProfile',
  terminationPolicies: ['Default'],
  subnetType: 'internal (vpc0)',
  availabilityZones: { 'us-east-1': ['us-east-1c', 'us-east-1d', 'us-east-1e'] },
  keyPair: 'nf-prod-keypair-a',
  suspendedProcesses: [],
  securityGroups: ['sg-0be4816f', 'sg-14e48170', 'sg-3decae43'],
  spotPrice: '',
  tags: {},
  useAmiBlockDeviceMappings: false,
  copySourceCustomBlockDeviceMappings: true,
  stack: 'prod',
  freeFormDetails: 'flamegraph',
  loadBalancers: [],
  useSourceCapacity: false,
  targetGroups: [],
  instanceType: 'm4.2xlarge',
  moniker: { app: 'tracks', stack: 'prod', detail: 'flamegraph', cluster: 'tracks-prod-flamegraph' },
  provider: 'aws',
  cloudProvider: 'aws',
  account: 'prod',
  scaleDown: true,
  maxRemainingAsgs: 2,
  delayBeforeDisableSec: 60,
};

const listener = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/hello/50dc6c495c0c9188/f2f7dc8efc522ab2';

describe('the EC2 provider fields', () => {
  it("parses a real Spinnaker cluster entry, reading the target region's zones and ignoring other fields", () => {
    const parsed = parseEc2ClusterConfig(netflixCluster, 'us-east-1');
    expect(parsed).toEqual({
      ok: true,
      config: {
        instanceType: 'm4.2xlarge',
        subnetType: 'internal (vpc0)',
        subnetIds: [],
        availabilityZones: ['us-east-1c', 'us-east-1d', 'us-east-1e'],
        securityGroups: ['sg-0be4816f', 'sg-14e48170', 'sg-3decae43'],
        targetGroups: [],
        healthCheckType: 'EC2',
        healthCheckGracePeriod: 600,
        cooldown: 10,
        terminationPolicies: ['Default'],
        iamRole: 'tracksInstanceProfile',
        keyPair: 'nf-prod-keypair-a',
        tags: {},
        instanceMonitoring: true,
        ebsOptimized: true,
        requireIMDSv2: true,
        suspendedProcesses: [],
      },
    });
  });

  it('reads the launch-template example of spinnaker.io, with amiName, and Deck strings for numbers and flags', () => {
    const parsed = parseEc2ClusterConfig(
      { subnetType: 'public-subnet', availabilityZones: { 'us-west-1': ['us-west-1a'] }, amiName: 'ami-12345', iamRole: 'MyInstanceProfile', instanceType: 't3.large', setLaunchTemplate: true, requireIMDSv2: 'false', cooldown: '30' },
      'us-west-1',
    );
    expect(parsed).toMatchObject({ ok: true, config: { image: 'ami-12345', instanceType: 't3.large', requireIMDSv2: false, cooldown: 30, availabilityZones: ['us-west-1a'] } });
  });

  it('encodes plain userData as base64, strips aws: tags as clouddriver does, and turns tag numbers into text', () => {
    const parsed = parseEc2ClusterConfig({ instanceType: 'm5.large', userData: '#!/bin/bash', tags: { team: 'web', 'aws:cloudformation:stack-name': 'x', build: 42 } }, 'us-east-1');
    expect(parsed).toMatchObject({ ok: true, config: { userData: 'IyEvYmluL2Jhc2g=', tags: { team: 'web', build: '42' } } });
  });

  it('reads weighted mode: a listener and a pool of target groups beside the shared one', () => {
    const parsed = parseEc2ClusterConfig({ instanceType: 'm5.large', targetGroups: ['hello-prod'], weightedTraffic: { listenerArn: listener, targetGroups: ['hello-prod-a', 'hello-prod-b'] } }, 'us-east-1');
    expect(parsed).toMatchObject({ ok: true, config: { weightedTraffic: { listenerArn: listener, targetGroups: ['hello-prod-a', 'hello-prod-b'] } } });
  });

  it.each([
    [{}, 'provider field instanceType is missing; set an EC2 instance type, e.g. "m5.large"'],
    [{ instanceType: 42 }, 'provider field instanceType is 42; set an EC2 instance type, e.g. "m5.large"'],
    [{ instanceType: 'large' }, 'provider field instanceType is "large"; set an EC2 instance type, e.g. "m5.large"'],
    [{ instanceType: 'm5.large', securityGroups: ['sg-1', 3] }, 'provider field securityGroups[1] is 3; list security group ids or names'],
    [{ instanceType: 'm5.large', healthCheckType: 'HTTP' }, 'provider field healthCheckType is "HTTP"; set "EC2" (instance status checks) or "ELB" (target group health checks)'],
    [{ instanceType: 'm5.large', healthCheckGracePeriod: -5 }, 'provider field healthCheckGracePeriod is -5; set the seconds before health checks count, e.g. 600'],
    [{ instanceType: 'm5.large', availabilityZones: { 'us-east-1': 'us-east-1a' } }, 'provider field availabilityZones.us-east-1 is "us-east-1a"; list the zones of the region'],
    [{ instanceType: 'm5.large', suspendedProcesses: ['Lunch'] }, 'provider field suspendedProcesses[0] is "Lunch"; list Auto Scaling processes, each one of Launch, Terminate'],
    [{ instanceType: 'm5.large', subnetIds: ['sn-1'] }, 'provider field subnetIds[0] is "sn-1"; list subnet ids, e.g. ["subnet-0abc1234"]'],
    [{ instanceType: 'm5.large', subnetIds: ['subnet-1'], subnetType: 'internal' }, 'provider field subnetIds is ["subnet-1"]; subnetType is "internal" too; set only one of them'],
    [{ instanceType: 'm5.large', base64UserData: 'not base64!' }, 'provider field base64UserData is "not base64!"; set base64-encoded user data'],
    [{ instanceType: 'm5.large', userData: 'a', base64UserData: 'YQ==' }, 'provider field userData is "a"; base64UserData is set too; set only one of them'],
    [{ instanceType: 'm5.large', tags: { 'gennaker:owner': 'me' } }, 'provider field tags.gennaker:owner is "me"; tag keys starting with "gennaker:" are Gennaker\'s own; rename the tag'],
    [{ instanceType: 'm5.large', tags: ['team'] }, 'provider field tags is ["team"]; set an object of tag values'],
    [{ instanceType: 'm5.large', amiName: 'hello-1.0', imageId: 'ami-1' }, 'provider field imageId is "ami-1"; amiName is "hello-1.0" too; set only one of them'],
    [{ instanceType: 'm5.large', weightedTraffic: { listenerArn: 'my-alb', targetGroups: ['a', 'b'] } }, 'provider field weightedTraffic.listenerArn is "my-alb"; set the ALB listener ARN'],
    [{ instanceType: 'm5.large', weightedTraffic: { listenerArn: listener, targetGroups: ['a', 'b'] } }, "provider field targetGroups is []; weighted mode needs the cluster's shared target group"],
    [{ instanceType: 'm5.large', targetGroups: ['s'], weightedTraffic: { listenerArn: listener, targetGroups: ['a'] } }, 'provider field weightedTraffic.targetGroups is ["a"]; list 2 to 4 target groups: an ALB forward action holds at most 5, and 1 is shared'],
    [{ instanceType: 'm5.large', targetGroups: ['s'], weightedTraffic: { listenerArn: listener, targetGroups: ['a', 's'] } }, 'provider field weightedTraffic.targetGroups is ["a","s"]; s is a shared target group'],
  ])('refuses %j in one line naming the field, the value and the fix', (provider, message) => {
    const parsed = parseEc2ClusterConfig(provider, 'us-east-1');
    expect(parsed).toMatchObject({ ok: false, reason: 'invalid' });
    if (!parsed.ok) {
      expect(parsed.message).toContain(message);
      expect(parsed.message).not.toContain('\n');
    }
  });

  it.each([
    [{ loadBalancers: ['hello-elb'] }, 'provider field loadBalancers is ["hello-elb"]; classic load balancers are not supported yet; put the instances behind an ALB or NLB target group and list it in targetGroups'],
    [{ spotPrice: '0.05' }, 'provider field spotPrice is "0.05"; spot instances are not supported yet'],
    [{ setLaunchTemplate: false }, 'provider field setLaunchTemplate is false; launch configurations are not supported'],
  ])('answers unsupported for %j, saying what to do instead', (fields, message) => {
    const parsed = parseEc2ClusterConfig({ instanceType: 'm5.large', ...fields }, 'us-east-1');
    expect(parsed).toMatchObject({ ok: false, reason: 'unsupported' });
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });

  it('treats nulls and empty strings of optional fields as absent, as Jackson and Deck write them', () => {
    const parsed = parseEc2ClusterConfig({ instanceType: 'm5.large', subnetType: '', spotPrice: null, tags: null, loadBalancers: null, keyPair: '', iamRole: null, healthCheckType: '' }, 'us-east-1');
    expect(parsed).toEqual({
      ok: true,
      config: { instanceType: 'm5.large', subnetIds: [], availabilityZones: [], securityGroups: [], targetGroups: [], healthCheckType: 'EC2', terminationPolicies: [], tags: {}, requireIMDSv2: true, suspendedProcesses: [] },
    });
  });
});
