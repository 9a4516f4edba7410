/**
 * The simulated ELBv2, driven by the real SDK client: target groups, target health moving
 * initial → healthy and draining → removed on the simulated clock, the health script of the
 * side door, weighted forward actions read back from listeners and rules, strict errors, the
 * SDK's waiters, and the event log a zero-downtime check replays.
 */
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
  waitUntilTargetDeregistered,
  waitUntilTargetInService,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { healthyTargetsOverTime } from '../../../sandbox/aws/elbv2-targets.ts';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { fastWaiter, holes, seedWorld } from './aws-world.ts';

let sim: AwsSimulator;
let world: ReturnType<typeof seedWorld>;
beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 3 });
  world = seedWorld(sim);
});
afterEach(async () => {
  await sim.close();
});

/** Two running instances outside any target group (a group with no target groups launched them). */
async function runningInstances(): Promise<string[]> {
  await world.createGroup('app-v001', { desired: 2, targetGroups: [] });
  sim.tick(30_000);
  return (await world.ec2.send(new DescribeInstancesCommand({}))).Reservations!.map((r) => r.Instances![0]!.InstanceId!);
}

const health = async (tg = world.targetGroupArn) =>
  ((await world.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? []).map((d) => [d.Target?.Id, d.TargetHealth?.State, d.TargetHealth?.Reason]);

const CAPTURED_HEALTH = {
  TargetHealthDescriptions: [{ Target: { Id: 'i-2', Port: 80 }, HealthCheckPort: '80', TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: '…' } }],
};

describe('simulated ELBv2', () => {
  it('describes target groups by name, ARN and load balancer, and fails unknown names with TargetGroupNotFound', async () => {
    const byName = await world.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['app-tg'] }));
    expect(byName.TargetGroups).toEqual([
      {
        TargetGroupArn: world.targetGroupArn,
        TargetGroupName: 'app-tg',
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: world.subnetA.vpcId,
        HealthCheckProtocol: 'HTTP',
        HealthCheckPort: 'traffic-port',
        HealthCheckEnabled: true,
        HealthCheckIntervalSeconds: 30,
        HealthCheckTimeoutSeconds: 5,
        HealthyThresholdCount: 5,
        UnhealthyThresholdCount: 2,
        HealthCheckPath: '/',
        Matcher: { HttpCode: '200' },
        LoadBalancerArns: [world.loadBalancerArn],
        TargetType: 'instance',
        ProtocolVersion: 'HTTP1',
        IpAddressType: 'ipv4',
      },
    ]);
    expect((await world.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [world.targetGroupArn] }))).TargetGroups).toHaveLength(1);
    expect((await world.elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: world.loadBalancerArn }))).TargetGroups!.map((g) => g.TargetGroupName)).toEqual(['app-tg']);
    const missing = await world.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['app-tg', 'nope'] })).catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: 'TargetGroupNotFoundException', Code: 'TargetGroupNotFound', $metadata: { httpStatusCode: 400 } });
    const attributes = await world.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: world.targetGroupArn }));
    expect(attributes.Attributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '60' });
  });

  it('moves registered targets initial → healthy after HealthyThresholdCount × interval, parsing the capture without holes', async () => {
    const ids = await runningInstances();
    await world.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: world.targetGroupArn, Targets: ids.map((Id) => ({ Id })) }));
    const initial = await world.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.targetGroupArn }));
    expect(holes(initial, CAPTURED_HEALTH)).toEqual([]);
    expect(initial.TargetHealthDescriptions![0]).toMatchObject({
      Target: { Id: ids[0], Port: 8080 },
      HealthCheckPort: '8080',
      TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' },
    });
    sim.tick(149_999);
    expect((await health()).map(([, state]) => state)).toEqual(['initial', 'initial']);
    sim.tick(1);
    expect(await health()).toEqual(ids.map((id) => [id, 'healthy', undefined]));
  });

  it('ends waitUntilTargetInService and waitUntilTargetDeregistered on the simulated clock', async () => {
    const ids = await runningInstances();
    const targets = ids.map((Id) => ({ Id }));
    await world.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: world.targetGroupArn, Targets: targets }));
    const inService = waitUntilTargetInService({ client: world.elbv2, ...fastWaiter }, { TargetGroupArn: world.targetGroupArn, Targets: targets });
    await sim.nextCall({ action: 'DescribeTargetHealth' });
    sim.tick(150_000);
    expect((await inService).state).toBe('SUCCESS');
    await world.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: world.targetGroupArn, Targets: targets }));
    const deregistered = waitUntilTargetDeregistered({ client: world.elbv2, ...fastWaiter }, { TargetGroupArn: world.targetGroupArn, Targets: targets });
    await sim.nextCall({ action: 'DescribeTargetHealth' });
    sim.tick(60_000);
    expect((await deregistered).state).toBe('SUCCESS');
    expect((await world.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.targetGroupArn, Targets: targets }))).TargetHealthDescriptions!.map((d) => d.TargetHealth)).toEqual([
      { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
      { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
    ]);
  });

  it('drains a deregistered target for exactly the deregistration delay, and the event log replays healthy targets over time', async () => {
    const ids = await runningInstances();
    const start = sim.now();
    await world.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: world.targetGroupArn, Targets: ids.map((Id) => ({ Id })) }));
    sim.tick(150_000);
    await world.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: world.targetGroupArn, Targets: [{ Id: ids[0]! }] }));
    expect(await health()).toEqual([
      [ids[0], 'draining', 'Target.DeregistrationInProgress'],
      [ids[1], 'healthy', undefined],
    ]);
    sim.tick(59_999);
    expect((await health()).map(([, state]) => state)).toEqual(['draining', 'healthy']);
    sim.tick(1);
    expect(await health()).toEqual([[ids[1], 'healthy', undefined]]);
    expect(healthyTargetsOverTime(sim.events(), world.targetGroupArn).map(({ time, healthy }) => [time - start, healthy])).toEqual([
      [0, 0],
      [150_000, 1],
      [150_000, 2],
      [150_000, 1],
    ]);
    expect(sim.events({ kind: 'target.removed' }).map((e) => [e.time - start, e.detail['targetId']])).toEqual([[210_000, ids[0]]]);
  });

  it('follows the side-door health script: unhealthy after UnhealthyThresholdCount × interval, healthy again after the healthy threshold', async () => {
    const ids = await runningInstances();
    await world.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: world.targetGroupArn, Targets: [{ Id: ids[0]! }] }));
    sim.tick(150_000);
    const flip = (state: string) => fetch(`${sim.endpoint}/__sandbox/health`, { method: 'POST', body: JSON.stringify({ targetGroup: 'app-tg', targetId: ids[0], state }) });
    expect((await flip('unhealthy')).status).toBe(200);
    sim.tick(59_999);
    expect((await health())[0]![1]).toBe('healthy');
    sim.tick(1);
    expect(await health()).toEqual([[ids[0], 'unhealthy', 'Target.FailedHealthChecks']]);
    await flip('healthy');
    sim.tick(150_000);
    expect((await health())[0]![1]).toBe('healthy');
    const bad = await fetch(`${sim.endpoint}/__sandbox/health`, { method: 'POST', body: JSON.stringify({ targetGroup: 'app-tg', targetId: ids[0], state: 'sick' }) });
    expect([bad.status, await bad.json()]).toEqual([400, { error: `health: 'state' must be 'healthy' or 'unhealthy', got "sick"` }]);
  });

  it('fails RegisterTargets on an unknown target group or instance, and holds targets of a group no listener uses as unused', async () => {
    const ids = await runningInstances();
    const unknownGroup = await world.elbv2
      .send(new RegisterTargetsCommand({ TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0000000000000000', Targets: [{ Id: ids[0]! }] }))
      .catch((e: unknown) => e);
    expect(unknownGroup).toMatchObject({ name: 'TargetGroupNotFoundException', message: 'One or more target groups not found' });
    const unknownInstance = await world.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: world.targetGroupArn, Targets: [{ Id: 'i-0123456789abcdef0' }] })).catch((e: unknown) => e);
    expect(unknownInstance).toMatchObject({ name: 'InvalidTargetException', message: "The following targets are not valid instances: 'i-0123456789abcdef0'" });
    const lonely = await world.elbv2.send(new CreateTargetGroupCommand({ Name: 'lonely', Protocol: 'HTTP', Port: 80, VpcId: world.subnetA.vpcId }));
    const arn = lonely.TargetGroups![0]!.TargetGroupArn!;
    await world.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: ids[0]! }] }));
    sim.tick(300_000);
    expect(await health(arn)).toEqual([[ids[0], 'unused', 'Target.NotInUse']]);
  });

  it('seeds a target group without a VPC in the default VPC, where the seeded subnets put instances, so they register', async () => {
    const ids = await runningInstances();
    const seeded = sim.seed.elbv2.targetGroup({ name: 'no-vpc-named' });
    const described = await world.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [seeded.targetGroupArn] }));
    expect(described.TargetGroups![0]!.VpcId).toBe(world.subnetA.vpcId);
    await world.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: seeded.targetGroupArn, Targets: [{ Id: ids[0]! }] }));
    expect((await health(seeded.targetGroupArn)).map(([id, state]) => [id, state])).toEqual([[ids[0], 'unused']]);
  });

  it('shifts weight between two target groups with ModifyListener and ModifyRule and reads the weights back', async () => {
    const green = sim.seed.elbv2.targetGroup({ name: 'app-green', port: 8080, vpcId: world.subnetA.vpcId });
    const forward = (blue: number, greenWeight: number) => [
      { Type: 'forward' as const, ForwardConfig: { TargetGroups: [{ TargetGroupArn: world.targetGroupArn, Weight: blue }, { TargetGroupArn: green.targetGroupArn, Weight: greenWeight }] } },
    ];
    const modified = await world.elbv2.send(new ModifyListenerCommand({ ListenerArn: world.listenerArn, DefaultActions: forward(90, 10) }));
    expect(modified.Listeners![0]!.DefaultActions).toEqual([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: world.targetGroupArn, Weight: 90 },
            { TargetGroupArn: green.targetGroupArn, Weight: 10 },
          ],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ]);
    const listeners = await world.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: world.loadBalancerArn }));
    expect(listeners.Listeners![0]!.DefaultActions![0]!.ForwardConfig!.TargetGroups!.map((t) => t.Weight)).toEqual([90, 10]);
    const rules = await world.elbv2.send(new DescribeRulesCommand({ ListenerArn: world.listenerArn }));
    expect(rules.Rules!.map((r) => [r.Priority, r.IsDefault])).toEqual([['default', true]]);
    await world.elbv2.send(new ModifyRuleCommand({ RuleArn: rules.Rules![0]!.RuleArn!, Actions: forward(0, 100) }));
    const after = await world.elbv2.send(new DescribeRulesCommand({ RuleArns: [rules.Rules![0]!.RuleArn!] }));
    expect(after.Rules![0]!.Actions![0]!.ForwardConfig!.TargetGroups!.map((t) => t.Weight)).toEqual([0, 100]);
    expect(sim.events({ kind: 'weights.set' }).slice(1).map((e) => (e.detail['targetGroups'] as { weight: number }[]).map((t) => t.weight))).toEqual([
      [90, 10],
      [0, 100],
    ]);
    expect((await world.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['app-green'] }))).TargetGroups![0]!.LoadBalancerArns).toEqual([world.loadBalancerArn]);
    const unknown = await world.elbv2
      .send(new ModifyListenerCommand({ ListenerArn: world.listenerArn, DefaultActions: [{ Type: 'forward', TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/0000000000000000' }] }))
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ name: 'TargetGroupNotFoundException' });
  });

  it('creates load balancers, listeners and path rules on the wire', async () => {
    const lb = await world.elbv2.send(new CreateLoadBalancerCommand({ Name: 'api-lb', Subnets: [world.subnetA.subnetId, world.subnetB.subnetId] }));
    const lbArn = lb.LoadBalancers![0]!.LoadBalancerArn!;
    expect(lb.LoadBalancers![0]).toMatchObject({ LoadBalancerName: 'api-lb', State: { Code: 'active' }, Type: 'application', VpcId: world.subnetA.vpcId, AvailabilityZones: [{ ZoneName: 'us-east-1a' }, { ZoneName: 'us-east-1b' }] });
    const tg = await world.elbv2.send(new CreateTargetGroupCommand({ Name: 'api-tg', Protocol: 'HTTP', Port: 80, VpcId: world.subnetA.vpcId }));
    const tgArn = tg.TargetGroups![0]!.TargetGroupArn!;
    const listener = await world.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }));
    const listenerArn = listener.Listeners![0]!.ListenerArn!;
    await world.elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }], Actions: [{ Type: 'forward', TargetGroupArn: tgArn }] }));
    const rules = await world.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
    expect(rules.Rules!.map((r) => [r.Priority, r.Conditions, r.Actions![0]!.Type, r.Actions![0]!.TargetGroupArn])).toEqual([
      ['10', [{ Field: 'path-pattern', Values: ['/api/*'] }], 'forward', tgArn],
      ['default', [], 'fixed-response', undefined],
    ]);
    expect((await world.elbv2.send(new DescribeLoadBalancersCommand({ Names: ['api-lb'] }))).LoadBalancers!.map((b) => b.LoadBalancerArn)).toEqual([lbArn]);
    expect(await world.elbv2.send(new DescribeLoadBalancersCommand({ Names: ['nope'] })).catch((e: unknown) => e)).toMatchObject({ name: 'LoadBalancerNotFoundException' });
    const shared = await world.elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: [{ Type: 'forward', TargetGroupArn: world.targetGroupArn }] })).catch((e: unknown) => e);
    expect(shared).toMatchObject({ name: 'TargetGroupAssociationLimitException' });
  });
});
