/**
 * A small simulated AWS world for the simulator's own tests: one AMI, two subnets of the
 * `internal` subnet type in two AZs, a security group, and a target group behind an ALB
 * listener; plus the real SDK clients pointed at the simulator, and a check that a parsed
 * response has a value wherever a reference capture has one.
 */
import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsSimulator } from '../../../sandbox/aws/server.ts';

/** Dummy credentials: the simulator reads only the scope of the signature. */
export const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };

/** Waiter settings that poll every 50-100 ms of real time, so a test ticks between two polls. */
export const fastWaiter = { maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 };

/** The seeded world and clients. */
export function seedWorld(sim: AwsSimulator) {
  const config = { endpoint: sim.endpoint, region: 'us-east-1', credentials };
  const { imageId } = sim.seed.ec2.image({ name: 'app-1.0.0-h12', tags: { appversion: 'app-1.0.0' } });
  const subnetA = sim.seed.ec2.subnet({ az: 'us-east-1a', purpose: 'internal' });
  const subnetB = sim.seed.ec2.subnet({ az: 'us-east-1b', purpose: 'internal', vpcId: subnetA.vpcId });
  const { groupId } = sim.seed.ec2.securityGroup({ name: 'app', vpcId: subnetA.vpcId });
  const { targetGroupArn } = sim.seed.elbv2.targetGroup({ name: 'app-tg', port: 8080, vpcId: subnetA.vpcId, deregistrationDelaySeconds: 60 });
  const lb = sim.seed.elbv2.loadBalancer({ name: 'app-lb', subnetIds: [subnetA.subnetId, subnetB.subnetId], listeners: [{ port: 80, targetGroups: [{ name: 'app-tg' }] }] });
  const ec2 = new EC2Client(config);
  const autoscaling = new AutoScalingClient(config);
  const elbv2 = new ElasticLoadBalancingV2Client(config);

  /** Creates a launch template and a group on it, as clouddriver does (reference §2.2 steps 4 and 6). */
  const createGroup = async (name: string, options: { min?: number; max?: number; desired?: number; healthCheckType?: string; grace?: number; targetGroups?: string[] } = {}) => {
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `${name}-01012026000000`,
        LaunchTemplateData: { ImageId: imageId, InstanceType: 'm5.large', NetworkInterfaces: [{ DeviceIndex: 0, Groups: [groupId], AssociatePublicIpAddress: false }] },
      }),
    );
    await autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        MinSize: options.min ?? 1,
        MaxSize: options.max ?? 3,
        DesiredCapacity: options.desired ?? 2,
        LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId!, Version: '1' },
        VPCZoneIdentifier: `${subnetA.subnetId},${subnetB.subnetId}`,
        TargetGroupARNs: options.targetGroups ?? [targetGroupArn],
        HealthCheckType: options.healthCheckType ?? 'ELB',
        HealthCheckGracePeriod: options.grace ?? 600,
        TerminationPolicies: ['Default'],
        Tags: [{ Key: 'spinnaker:application', Value: 'app', PropagateAtLaunch: true }],
      }),
    );
    return lt.LaunchTemplate!.LaunchTemplateId!;
  };

  return { config, imageId, subnetA, subnetB, groupId, targetGroupArn, loadBalancerArn: lb.loadBalancerArn, listenerArn: lb.listenerArns[0]!, ec2, autoscaling, elbv2, createGroup };
}

/**
 * Paths where `capture` has a value and `actual` does not (or has another type): a response
 * that parses with holes where AWS's answer had values is a fidelity bug.
 */
export function holes(actual: unknown, capture: unknown, path = '$'): string[] {
  if (capture === undefined || capture === null) return [];
  if (actual === undefined || actual === null) return [path];
  if (capture instanceof Date) return actual instanceof Date && !Number.isNaN(actual.getTime()) ? [] : [path];
  if (Array.isArray(capture)) {
    if (!Array.isArray(actual)) return [path];
    if (capture.length > 0 && actual.length === 0) return [`${path}[]`];
    return actual.flatMap((item, i) => holes(item, capture[0], `${path}[${i}]`));
  }
  if (typeof capture === 'object') {
    if (typeof actual !== 'object') return [path];
    return Object.entries(capture as Record<string, unknown>).flatMap(([key, value]) => holes((actual as Record<string, unknown>)[key], value, `${path}.${key}`));
  }
  return typeof actual === typeof capture ? [] : [path];
}
