/**
 * The simulated ECS and Application Auto Scaling, driven by the real SDK clients over HTTP:
 * task-definition families, services whose tasks boot and register in target groups, rolling
 * deployments that keep the healthy count, name reuse rules, the circuit breaker, ECS native
 * BLUE_GREEN and CANARY with lifecycle hooks, and scalable targets driving the desired count.
 */
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  ContinueServiceDeploymentCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListAccountSettingsCommand,
  ListServiceDeploymentsCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  ListTagsForResourceCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
  type CreateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-infrastructure`;

let sim: AwsSimulator;
let TG_BLUE: string;
let TG_GREEN: string;
let PROD_RULE: string;
let TEST_RULE: string;

const ecs = () => new ECSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials });
const aas = () => new ApplicationAutoScalingClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials });
const elbv2 = () => new ElasticLoadBalancingV2Client({ endpoint: sim.endpoint, region: 'us-east-1', credentials });

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 3, ecs: { clusters: ['prod-cluster'] } });
  // Targets turn healthy after 2 checks 5 s apart and drain for 30 s.
  const group = (name: string) => sim.seed.elbv2.targetGroup({ name, port: 80, targetType: 'ip', healthCheckIntervalSeconds: 5, healthyThresholdCount: 2, deregistrationDelaySeconds: 30 }).targetGroupArn;
  TG_BLUE = group('app-blue');
  TG_GREEN = group('app-green');
  const forward = [{ arn: TG_BLUE, weight: 100 }, { arn: TG_GREEN, weight: 0 }];
  const { listenerArns } = sim.seed.elbv2.loadBalancer({ name: 'web', listeners: [{ port: 80, targetGroups: forward }, { port: 8080, targetGroups: forward }] });
  const defaultRule = async (listenerArn: string) => (await elbv2().send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules![0]!.RuleArn!;
  PROD_RULE = await defaultRule(listenerArns[0]!);
  TEST_RULE = await defaultRule(listenerArns[1]!);
});
afterEach(async () => {
  await sim.close();
});

/** The targets of a group as DescribeTargetHealth reports them: `ip:port:state`. */
async function targets(targetGroupArn: string): Promise<string[]> {
  const out = await elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return out.TargetHealthDescriptions!.map((d) => `${d.Target!.Id}:${d.Target!.Port}:${d.TargetHealth!.State}`).sort();
}

async function healthy(targetGroupArn: string): Promise<number> {
  return (await targets(targetGroupArn)).filter((t) => t.endsWith(':healthy')).length;
}

/** Production weights set on a rule, in order, as `{ targetGroupArn: weight }`. */
function weightsOn(ruleArn: string): Array<{ time: number; weights: Record<string, number> }> {
  return sim
    .events({ kind: 'weights.set' })
    .filter((e) => e.detail['ruleArn'] === ruleArn)
    .map((e) => ({ time: e.time, weights: Object.fromEntries((e.detail['targetGroups'] as Array<{ targetGroupArn: string; weight: number }>).map((t) => [t.targetGroupArn, t.weight])) }));
}

async function registerTaskDefinition(image: string, healthCheck = false): Promise<string> {
  const out = await ecs().send(
    new RegisterTaskDefinitionCommand({
      family: 'app-prod',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec`,
      containerDefinitions: [
        {
          name: 'v001',
          image,
          memoryReservation: 512,
          portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
          environment: [{ name: 'SERVER_GROUP', value: 'app-prod-v001' }],
          ...(healthCheck ? { healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] } } : {}),
        },
      ],
    }),
  );
  return out.taskDefinition!.taskDefinitionArn!;
}

/** The CreateService body clouddriver sends (reference §3.3 capture). */
function spinnakerService(taskDefinition: string, extra: Partial<CreateServiceCommandInput> = {}): CreateServiceCommandInput {
  return {
    serviceName: 'app-prod-v001',
    cluster: 'prod-cluster',
    taskDefinition,
    loadBalancers: [{ targetGroupArn: TG_BLUE, containerName: 'v001', containerPort: 80 }],
    desiredCount: 2,
    launchType: 'FARGATE',
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 },
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
    tags: [{ key: 'moniker.spinnaker.io/application', value: 'app' }],
    enableECSManagedTags: true,
    propagateTags: 'SERVICE',
    ...extra,
  };
}

async function describe1(name = 'app-prod-v001') {
  const out = await ecs().send(new DescribeServicesCommand({ cluster: 'prod-cluster', services: [name], include: ['TAGS'] }));
  return out.services![0]!;
}

function expectFilled(value: object, keys: readonly string[]): void {
  for (const key of keys) expect((value as Record<string, unknown>)[key], key).not.toBeUndefined();
}

describe('the simulated ECS', () => {
  it('keeps task-definition families with incrementing revisions; a deregistered revision is INACTIVE and skipped by the family name', async () => {
    const first = await registerTaskDefinition('repo/app:1');
    const second = await registerTaskDefinition('repo/app:2');
    expect([first, second]).toEqual([`arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/app-prod:1`, `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/app-prod:2`]);
    const latest = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: 'app-prod', include: ['TAGS'] }));
    expectFilled(latest.taskDefinition!, ['taskDefinitionArn', 'containerDefinitions', 'family', 'networkMode', 'revision', 'status', 'compatibilities', 'requiresCompatibilities', 'cpu', 'memory', 'registeredAt', 'executionRoleArn']);
    expect(latest.taskDefinition).toMatchObject({ revision: 2, status: 'ACTIVE', compatibilities: ['EC2', 'FARGATE'], registeredAt: new Date(Date.UTC(2026, 0, 1)) });
    const gone = await ecs().send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'app-prod:2' }));
    expect(gone.taskDefinition).toMatchObject({ status: 'INACTIVE', deregisteredAt: expect.any(Date) });
    expect((await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: 'app-prod' }))).taskDefinition!.revision).toBe(1);
    expect((await ecs().send(new ListTaskDefinitionsCommand({ status: 'INACTIVE' }))).taskDefinitionArns).toEqual([second]);
    const missing = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope:9' })).catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: 'ClientException', message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
  });

  it('creates a Fargate service whose tasks boot, register their IP:port in the target group, and waitUntilServicesStable terminates', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    const created = await ecs().send(new CreateServiceCommand(spinnakerService(td)));
    expect(created.service).toMatchObject({ status: 'ACTIVE', desiredCount: 2, runningCount: 0, createdAt: new Date(Date.UTC(2026, 0, 1)), deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }] });

    const client = ecs();
    // Each waiter poll advances the simulated clock 5 s, so the waiter sees the service converge.
    client.middlewareStack.add((next) => async (args) => {
      sim.tick(5_000);
      return next(args);
    }, { step: 'initialize', name: 'tickPerPoll' });
    const waited = await waitUntilServicesStable({ client, minDelay: 0.01, maxDelay: 0.02, maxWaitTime: 30 }, { cluster: 'prod-cluster', services: ['app-prod-v001'] });
    expect(waited.state).toBe('SUCCESS');
    // As on AWS, the waiter only needs runningCount == desiredCount; the rollout completes once the targets are healthy.
    sim.tick(15_000);

    const service = await describe1();
    expectFilled(service, ['serviceArn', 'serviceName', 'clusterArn', 'loadBalancers', 'status', 'desiredCount', 'runningCount', 'pendingCount', 'launchType', 'platformVersion', 'taskDefinition', 'deploymentConfiguration', 'deployments', 'events', 'createdAt', 'networkConfiguration', 'schedulingStrategy', 'deploymentController', 'tags', 'propagateTags', 'enableECSManagedTags', 'roleArn']);
    expect(service).toMatchObject({
      serviceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/prod-cluster/app-prod-v001`,
      runningCount: 2,
      pendingCount: 0,
      tags: [{ key: 'moniker.spinnaker.io/application', value: 'app' }],
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false }, strategy: 'ROLLING' },
    });
    expect(service.deployments).toHaveLength(1);
    const deployment = service.deployments![0]!;
    expectFilled(deployment, ['id', 'status', 'taskDefinition', 'desiredCount', 'pendingCount', 'runningCount', 'failedTasks', 'createdAt', 'updatedAt', 'launchType', 'networkConfiguration', 'rolloutState', 'rolloutStateReason']);
    expect(deployment).toMatchObject({ id: expect.stringMatching(/^ecs-svc\/\d{19}$/), rolloutState: 'COMPLETED', runningCount: 2 });
    expect(service.events![0]!.message).toBe('(service app-prod-v001) has reached a steady state.');

    const taskArns = (await ecs().send(new ListTasksCommand({ cluster: 'prod-cluster', serviceName: 'app-prod-v001' }))).taskArns!;
    expect(taskArns).toHaveLength(2);
    const tasks = (await ecs().send(new DescribeTasksCommand({ cluster: 'prod-cluster', tasks: taskArns, include: ['TAGS'] }))).tasks!;
    for (const task of tasks) {
      expectFilled(task, ['taskArn', 'clusterArn', 'taskDefinitionArn', 'lastStatus', 'desiredStatus', 'healthStatus', 'containers', 'attachments', 'createdAt', 'startedAt', 'group', 'launchType', 'availabilityZone', 'startedBy', 'connectivity', 'tags']);
      expect(task).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING', group: 'service:app-prod-v001', startedBy: deployment.id, tags: [{ key: 'moniker.spinnaker.io/application', value: 'app' }] });
      const ip = task.containers![0]!.networkInterfaces![0]!.privateIpv4Address!;
      expect(task.attachments![0]!.details).toContainEqual({ name: 'privateIPv4Address', value: ip });
    }
    const ips = tasks.map((t) => t.containers![0]!.networkInterfaces![0]!.privateIpv4Address).sort();
    expect(await targets(TG_BLUE)).toEqual(ips.map((ip) => `${ip}:80:healthy`));
    const lifecycle = sim.events({ kind: 'ecs.task' }).filter((e) => e.detail['taskArn'] === taskArns[0]).map((e) => [e.time - Date.UTC(2026, 0, 1), e.detail['lastStatus']]);
    expect(lifecycle).toEqual([[0, 'PROVISIONING'], [5_000, 'PENDING'], [15_000, 'RUNNING']]);
  });

  it('rolls a new task definition without ever dropping below minimumHealthyPercent, then collapses to one COMPLETED PRIMARY', async () => {
    const v1 = await registerTaskDefinition('repo/app:1');
    await ecs().send(new CreateServiceCommand(spinnakerService(v1, { desiredCount: 3 })));
    sim.tick(60_000);
    const v2 = await registerTaskDefinition('repo/app:2');
    const updated = await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'app-prod-v001', taskDefinition: v2 }));
    expect(updated.service!.deployments!.map((d) => [d.status, d.taskDefinition])).toEqual([['PRIMARY', v2], ['ACTIVE', v1]]);
    let lowest = Number.POSITIVE_INFINITY;
    for (let second = 0; second < 120; second++) {
      sim.tick(1_000);
      lowest = Math.min(lowest, await healthy(TG_BLUE));
    }
    expect(lowest).toBeGreaterThanOrEqual(3);
    const service = await describe1();
    expect(service.deployments!.map((d) => [d.status, d.taskDefinition, d.rolloutState])).toEqual([['PRIMARY', v2, 'COMPLETED']]);
    expect(await targets(TG_BLUE)).toHaveLength(3);
    const deployments = await ecs().send(new ListServiceDeploymentsCommand({ cluster: 'prod-cluster', service: 'app-prod-v001' }));
    expect(deployments.serviceDeployments!.map((d) => d.status)).toEqual(['SUCCESSFUL', 'SUCCESSFUL']);
  });

  it('reports unknown services as failures MISSING, refuses to delete a service above 0 without force, and keeps the name while DRAINING', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    await ecs().send(new CreateServiceCommand(spinnakerService(td)));
    sim.tick(60_000);
    const missing = await ecs().send(new DescribeServicesCommand({ cluster: 'prod-cluster', services: ['app-prod-v009'] }));
    expect(missing).toMatchObject({ services: [], failures: [{ arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/prod-cluster/app-prod-v009`, reason: 'MISSING' }] });

    const refused = await ecs().send(new DeleteServiceCommand({ cluster: 'prod-cluster', service: 'app-prod-v001' })).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'InvalidParameterException', message: 'The service cannot be stopped while it is scaled above 0.' });
    const deleted = await ecs().send(new DeleteServiceCommand({ cluster: 'prod-cluster', service: 'app-prod-v001', force: true }));
    expect(deleted.service!.status).toBe('DRAINING');
    const reuse = await ecs().send(new CreateServiceCommand(spinnakerService(td))).catch((e: unknown) => e);
    expect(reuse).toMatchObject({ name: 'InvalidParameterException', message: 'Unable to Start a service that is still Draining.' });
    const notActive = await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'app-prod-v001', desiredCount: 1 })).catch((e: unknown) => e);
    expect(notActive).toMatchObject({ name: 'ServiceNotActiveException', message: 'Service was not ACTIVE.' });
    expect((await ecs().send(new ListServicesCommand({ cluster: 'prod-cluster' }))).serviceArns).toHaveLength(1);

    sim.tick(120_000);
    expect((await describe1()).status).toBe('INACTIVE');
    expect((await ecs().send(new ListServicesCommand({ cluster: 'prod-cluster' }))).serviceArns).toEqual([]);
    expect(await targets(TG_BLUE)).toEqual([]);
    const again = await ecs().send(new CreateServiceCommand(spinnakerService(td)));
    expect(again.service!.status).toBe('ACTIVE');
  });

  it('answers a repeated CreateService with the same service and a different one with "not idempotent"', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    const first = await ecs().send(new CreateServiceCommand(spinnakerService(td)));
    const same = await ecs().send(new CreateServiceCommand(spinnakerService(td)));
    expect(same.service!.serviceArn).toBe(first.service!.serviceArn);
    const other = await ecs().send(new CreateServiceCommand(spinnakerService(td, { desiredCount: 5 }))).catch((e: unknown) => e);
    expect(other).toMatchObject({ name: 'InvalidParameterException', message: 'Creation of service was not idempotent.' });
    const noCluster = await ecs().send(new CreateServiceCommand(spinnakerService(td, { cluster: 'nowhere' }))).catch((e: unknown) => e);
    expect(noCluster).toMatchObject({ name: 'ClusterNotFoundException', message: 'Cluster not found.' });
    const badPort = await ecs()
      .send(new CreateServiceCommand(spinnakerService(td, { serviceName: 'app-prod-v002', loadBalancers: [{ targetGroupArn: TG_BLUE, containerName: 'v001', containerPort: 8080 }] })))
      .catch((e: unknown) => e);
    expect(badPort).toMatchObject({ name: 'InvalidParameterException', message: 'The container v001 did not have a container port 8080 defined.' });
  });

  it('drains on scale down: targets stay draining for the deregistration delay while their tasks are DEACTIVATING, then the tasks stop', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    await ecs().send(new CreateServiceCommand(spinnakerService(td, { desiredCount: 3 })));
    sim.tick(60_000);
    expect(await healthy(TG_BLUE)).toBe(3);
    const scaledAt = sim.now();
    const scaled = await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'app-prod-v001', desiredCount: 1 }));
    // The answer is written before the scheduler acts, as on AWS; the next read sees the tasks leaving.
    expect(scaled.service).toMatchObject({ desiredCount: 1, runningCount: 3 });
    expect(await describe1()).toMatchObject({ desiredCount: 1, runningCount: 1, deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }] });
    const states = async () => (await targets(TG_BLUE)).map((t) => t.split(':')[2]).sort();
    expect(await states()).toEqual(['draining', 'draining', 'healthy']);
    const stopping = (await ecs().send(new ListTasksCommand({ cluster: 'prod-cluster', serviceName: 'app-prod-v001', desiredStatus: 'STOPPED' }))).taskArns!;
    expect(stopping).toHaveLength(2);
    const described = async () => (await ecs().send(new DescribeTasksCommand({ cluster: 'prod-cluster', tasks: stopping }))).tasks!;
    expect((await described()).map((t) => [t.lastStatus, t.desiredStatus, t.stopCode])).toEqual([
      ['DEACTIVATING', 'STOPPED', 'ServiceSchedulerInitiated'],
      ['DEACTIVATING', 'STOPPED', 'ServiceSchedulerInitiated'],
    ]);

    // The target group's deregistration delay is 30 s: one second before it, nothing has moved on.
    sim.tick(29_000);
    expect(await states()).toEqual(['draining', 'draining', 'healthy']);
    expect((await described()).map((t) => t.lastStatus)).toEqual(['DEACTIVATING', 'DEACTIVATING']);
    sim.tick(10_000);
    expect(await states()).toEqual(['healthy']);
    const stopped = await described();
    expect(stopped.map((t) => t.lastStatus)).toEqual(['STOPPED', 'STOPPED']);
    expectFilled(stopped[0]!, ['stoppingAt', 'stoppedAt', 'stoppedReason', 'executionStoppedAt']);
    // Removed from the group at +30 s, the container stops 5 s later.
    const removedAt = sim.events({ kind: 'target.removed' }).map((e) => e.time - scaledAt);
    expect(removedAt).toEqual([30_000, 30_000]);
    const stoppedAt = sim.events({ kind: 'ecs.task' }).filter((e) => e.detail['lastStatus'] === 'STOPPED').map((e) => e.time - scaledAt);
    expect(stoppedAt).toEqual([35_000, 35_000]);
    expect(await describe1()).toMatchObject({ desiredCount: 1, runningCount: 1, pendingCount: 0 });
  });

  it('replaces a task whose target fails its load-balancer health checks after the grace period', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    await ecs().send(new CreateServiceCommand(spinnakerService(td, { desiredCount: 1, healthCheckGracePeriodSeconds: 20 })));
    sim.tick(60_000);
    const [first] = await targets(TG_BLUE);
    const ip = first!.split(':')[0]!;
    const failedAt = sim.now();
    sim.control('elasticloadbalancing', 'health', { targetGroup: TG_BLUE, targetId: ip, state: 'unhealthy' });
    // Unhealthy after 2 failed checks 5 s apart (the group's defaults here), then ECS stops the task.
    sim.tick(10_000);
    const stopped = sim.events({ kind: 'ecs.task' }).find((e) => e.detail['desiredStatus'] === 'STOPPED')!;
    expect(stopped.time - failedAt).toBe(10_000);
    expect(stopped.detail['reason']).toBe(`Task failed ELB health checks in (target-group ${TG_BLUE})`);
    sim.tick(120_000);
    const service = await describe1();
    expect(service).toMatchObject({ runningCount: 1, deployments: [{ failedTasks: 1 }] });
    const now = await targets(TG_BLUE);
    expect(now).toHaveLength(1);
    expect(now[0]).toMatch(/:80:healthy$/);
    expect(now[0]!.startsWith(`${ip}:`)).toBe(false);
    expect(service.events!.some((e) => e.message!.includes('has stopped 1 running tasks'))).toBe(true);
  });

  it('answers a CreateService retried after a lost answer (same clientToken) with the service it created, once', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    // The service is created, then the answer is lost as a 500: the SDK retries the identical request.
    sim.inject({ service: 'ecs', action: 'CreateService', error: 'ServerException', status: 500, when: 'after' });
    const created = await ecs().send(new CreateServiceCommand(spinnakerService(td, { clientToken: 'deploy-app-prod-v001' })));
    expect(created.$metadata.attempts).toBe(2);
    expect(sim.calls({ service: 'ecs', action: 'CreateService' }).map((c) => [c.status, c.errorCode ?? null])).toEqual([[500, 'ServerException'], [200, null]]);
    expect(created.service).toMatchObject({ serviceName: 'app-prod-v001', status: 'ACTIVE' });
    expect(created.service!.deployments).toHaveLength(1);
    expect(sim.events({ kind: 'ecs.service' })).toHaveLength(1);
    const list = await ecs().send(new ListServiceDeploymentsCommand({ cluster: 'prod-cluster', service: 'app-prod-v001' }));
    expect(list.serviceDeployments).toHaveLength(1);
    const badToken = await ecs().send(new CreateServiceCommand(spinnakerService(td, { serviceName: 'app-prod-v002', clientToken: 'x'.repeat(37) }))).catch((e: unknown) => e);
    expect(badToken).toMatchObject({ name: 'InvalidParameterException', message: 'clientToken must be 1 to 36 ASCII characters in the range 33-126.' });
  });

  it('answers with AWS error shapes: unknown cluster, unknown service, a Fargate service without network configuration', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    const noCluster = await ecs().send(new DescribeServicesCommand({ cluster: 'nowhere', services: ['x'] })).catch((e: unknown) => e);
    expect(noCluster).toMatchObject({ name: 'ClusterNotFoundException', message: 'Cluster not found.', $fault: 'client', $metadata: { httpStatusCode: 400, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    const noService = await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'ghost', desiredCount: 1 })).catch((e: unknown) => e);
    expect(noService).toMatchObject({ name: 'ServiceNotFoundException', message: 'Service not found.' });
    const noNetwork = await ecs().send(new CreateServiceCommand(spinnakerService(td, { networkConfiguration: undefined }))).catch((e: unknown) => e);
    expect(noNetwork).toMatchObject({ name: 'InvalidParameterException', message: "Network Configuration must be provided when networkMode 'awsvpc' is specified." });
    const noTaskDefinition = await ecs().send(new CreateServiceCommand(spinnakerService('app-prod:9'))).catch((e: unknown) => e);
    expect(noTaskDefinition).toMatchObject({ name: 'InvalidParameterException', message: 'TaskDefinition not found.' });
    expect(sim.calls({ service: 'ecs' }).filter((c) => c.status === 400).map((c) => c.errorCode)).toEqual(['ClusterNotFoundException', 'ServiceNotFoundException', 'InvalidParameterException', 'InvalidParameterException']);
  });

  it('fails a deployment whose tasks crash with the circuit breaker, and rolls back to the last good revision', async () => {
    const v1 = await registerTaskDefinition('repo/app:1');
    await ecs().send(new CreateServiceCommand(spinnakerService(v1, { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 } })));
    sim.tick(60_000);
    sim.seed.ecs.image({ image: 'repo/app:broken', behaviour: 'crash' });
    const v2 = await registerTaskDefinition('repo/app:broken');
    await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'app-prod-v001', taskDefinition: v2 }));
    sim.tick(300_000);
    const service = await describe1();
    expect(service.taskDefinition).toBe(v1);
    expect(service.deployments!.map((d) => [d.taskDefinition, d.rolloutState])).toEqual([[v1, 'COMPLETED']]);
    expect(sim.events({ kind: 'ecs.deployment' }).map((e) => e.detail['rolloutState'])).toEqual(['COMPLETED', 'FAILED', 'COMPLETED']);
    expect(await healthy(TG_BLUE)).toBeGreaterThanOrEqual(2);
    const sds = await ecs().send(new ListServiceDeploymentsCommand({ cluster: 'prod-cluster', service: 'app-prod-v001' }));
    expect(sds.serviceDeployments!.map((d) => d.status)).toEqual(['ROLLBACK_SUCCESSFUL', 'SUCCESSFUL']);
  });

  it('tags services, lists account settings and clusters as clouddriver reads them', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    const { service } = await ecs().send(new CreateServiceCommand(spinnakerService(td)));
    await ecs().send(new TagResourceCommand({ resourceArn: service!.serviceArn!, tags: [{ key: 'moniker.spinnaker.io/sequence', value: '1' }] }));
    expect((await ecs().send(new ListTagsForResourceCommand({ resourceArn: service!.serviceArn! }))).tags).toEqual([
      { key: 'moniker.spinnaker.io/application', value: 'app' },
      { key: 'moniker.spinnaker.io/sequence', value: '1' },
    ]);
    const settings = await ecs().send(new ListAccountSettingsCommand({ effectiveSettings: true, name: 'serviceLongArnFormat' }));
    expect(settings.settings).toEqual([{ name: 'serviceLongArnFormat', value: 'enabled', principalArn: `arn:aws:iam::${ACCOUNT}:root`, type: 'aws_managed' }]);
    const clusters = await ecs().send(new DescribeClustersCommand({ clusters: ['prod-cluster', 'other'] }));
    expect(clusters).toMatchObject({ clusters: [{ clusterName: 'prod-cluster', status: 'ACTIVE', activeServicesCount: 1 }], failures: [{ reason: 'MISSING' }] });
  });

  it('retries an injected throttle on the first call and succeeds on the second', async () => {
    sim.inject({ service: 'ecs', action: 'DescribeClusters', error: 'Throttling', times: 1 });
    const out = await ecs().send(new DescribeClustersCommand({ clusters: ['prod-cluster'] }));
    expect(out.$metadata.attempts).toBe(2);
    expect(out.clusters![0]!.clusterName).toBe('prod-cluster');
  });
});

describe('ECS native blue/green', () => {
  function nativeService(taskDefinition: string, deploymentConfiguration: CreateServiceCommandInput['deploymentConfiguration']): CreateServiceCommandInput {
    return spinnakerService(taskDefinition, {
      serviceName: 'web',
      desiredCount: 2,
      loadBalancers: [{ targetGroupArn: TG_BLUE, containerName: 'v001', containerPort: 80, advancedConfiguration: { alternateTargetGroupArn: TG_GREEN, productionListenerRule: PROD_RULE, testListenerRule: TEST_RULE, roleArn: ROLE } }],
      deploymentConfiguration,
    });
  }

  async function currentDeployment() {
    const list = await ecs().send(new ListServiceDeploymentsCommand({ cluster: 'prod-cluster', service: 'web' }));
    const described = await ecs().send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [list.serviceDeployments![0]!.serviceDeploymentArn!] }));
    return described.serviceDeployments![0]!;
  }

  it('waits at a PAUSE hook for ContinueServiceDeployment, shifts test then production traffic, bakes, cleans up, and rolls back on ROLLBACK', async () => {
    const v1 = await registerTaskDefinition('repo/app:1');
    await ecs().send(new CreateServiceCommand(nativeService(v1, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }] })));
    sim.tick(60_000);
    expect(await healthy(TG_BLUE)).toBe(2);

    const v2 = await registerTaskDefinition('repo/app:2');
    await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'web', taskDefinition: v2 }));
    sim.tick(60_000);
    let sd = await currentDeployment();
    expectFilled(sd, ['serviceDeploymentArn', 'serviceArn', 'clusterArn', 'createdAt', 'startedAt', 'updatedAt', 'sourceServiceRevisions', 'targetServiceRevision', 'status', 'lifecycleStage', 'lifecycleHookDetails', 'deploymentConfiguration', 'deploymentCircuitBreaker']);
    expect(sd).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT', lifecycleHookDetails: [{ targetType: 'PAUSE', status: 'AWAITING_ACTION', timeoutAction: 'ROLLBACK' }] });
    expect(sd.targetServiceRevision).toMatchObject({ requestedTestTrafficWeight: 100, requestedProductionTrafficWeight: 0, runningTaskCount: 2 });
    expect(await healthy(TG_GREEN)).toBe(2);
    expect(weightsOn(TEST_RULE).at(-1)!.weights).toEqual({ [TG_BLUE]: 0, [TG_GREEN]: 100 });
    expect(weightsOn(PROD_RULE).at(-1)!.weights).toEqual({ [TG_BLUE]: 100, [TG_GREEN]: 0 });

    sim.tick(3_600_000);
    expect((await currentDeployment()).lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
    const continuedAt = sim.now();
    await ecs().send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: sd.serviceDeploymentArn!, hookId: sd.lifecycleHookDetails![0]!.hookId!, action: 'CONTINUE' }));
    sim.tick(1_000);
    expect((await currentDeployment()).lifecycleStage).toBe('BAKE_TIME');
    expect(weightsOn(PROD_RULE).at(-1)).toEqual({ time: continuedAt, weights: { [TG_BLUE]: 0, [TG_GREEN]: 100 } });
    sim.tick(6 * 60_000);
    sd = await currentDeployment();
    expect(sd).toMatchObject({ status: 'SUCCESSFUL', finishedAt: expect.any(Date) });
    const service = await describe1('web');
    expect(service.deployments!.map((d) => [d.taskDefinition, d.rolloutState])).toEqual([[v2, 'COMPLETED']]);
    expect(await targets(TG_BLUE)).toEqual([]);

    // The next deployment goes to the other side (blue), and a ROLLBACK answer returns production to green.
    const v3 = await registerTaskDefinition('repo/app:3');
    await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'web', taskDefinition: v3 }));
    sim.tick(60_000);
    sd = await currentDeployment();
    expect(await healthy(TG_BLUE)).toBe(2);
    await ecs().send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: sd.serviceDeploymentArn!, hookId: sd.lifecycleHookDetails![0]!.hookId!, action: 'ROLLBACK' }));
    sim.tick(60_000);
    expect(await currentDeployment()).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', rollback: { reason: expect.stringContaining('failed') } });
    expect((await describe1('web')).taskDefinition).toBe(v2);
    expect(weightsOn(PROD_RULE).at(-1)!.weights).toEqual({ [TG_GREEN]: 100, [TG_BLUE]: 0 });
    expect(await targets(TG_BLUE)).toEqual([]);
  });

  it('runs CANARY with a Lambda hook that answers IN_PROGRESS then SUCCEEDED, and rolls back when the hook answers FAILED', async () => {
    const lambda = new LambdaClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials });
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: 'canary-judge', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: `arn:aws:iam::${ACCOUNT}:role/judge`, Code: { ZipFile: Buffer.from('judge') } }));
    const answers = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED'];
    const payloads: Array<Record<string, unknown>> = [];
    sim.seed.lambda.behaviour({
      functionName: 'canary-judge',
      respond: (payload) => {
        payloads.push(JSON.parse(payload) as Record<string, unknown>);
        return { hookStatus: answers[payloads.length - 1], callBackDelay: 60 };
      },
    });
    const v1 = await registerTaskDefinition('repo/app:1');
    await ecs().send(
      new CreateServiceCommand(
        nativeService(v1, {
          strategy: 'CANARY',
          bakeTimeInMinutes: 0,
          canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 2 },
          lifecycleHooks: [{ targetType: 'AWS_LAMBDA', hookTargetArn: fn.FunctionArn!, roleArn: ROLE, lifecycleStages: ['PRODUCTION_TRAFFIC_SHIFT'] }],
        }),
      ),
    );
    sim.tick(60_000);
    const v2 = await registerTaskDefinition('repo/app:2');
    await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'web', taskDefinition: v2 }));
    sim.tick(600_000);
    expect((await currentDeployment()).status).toBe('SUCCESSFUL');
    const prod = weightsOn(PROD_RULE).map((c) => c.weights[TG_GREEN]);
    expect(prod).toEqual([0, 0, 10, 100]);
    expect(payloads.map((p) => p['lifecycleStage'])).toEqual(['PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT']);
    expect(Object.values((payloads[0]!['executionDetails'] as Record<string, Record<string, number>>)['productionTrafficWeights']!)).toEqual([90, 10]);
    const hookTimes = sim.events({ kind: 'ecs.hook' }).map((e) => [e.detail['status'], e.time]);
    expect(hookTimes.map(([status]) => status)).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED']);
    expect((hookTimes[2]![1] as number) - (hookTimes[1]![1] as number)).toBe(60_000);

    const v3 = await registerTaskDefinition('repo/app:3');
    await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'web', taskDefinition: v3 }));
    sim.tick(600_000);
    expect(await currentDeployment()).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL' });
    expect((await describe1('web')).taskDefinition).toBe(v2);
  });
});

describe('the simulated Application Auto Scaling', () => {
  const resourceId = 'service/prod-cluster/app-prod-v001';

  it('refuses a scalable target for a service ECS does not have, with the message clouddriver retries on', async () => {
    const error = await aas()
      .send(new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 3 }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ValidationException', message: `ECS service doesn't exist: ${resourceId}` });
  });

  it('registers, describes and deregisters targets, moves the desired count into range, and supports Spinnaker disable/enable', async () => {
    const td = await registerTaskDefinition('repo/app:1');
    await ecs().send(new CreateServiceCommand(spinnakerService(td, { desiredCount: 1 })));
    const registered = await aas().send(
      new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 6, SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false } }),
    );
    expect(registered.ScalableTargetARN).toMatch(/^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target\/[0-9a-f]{36}$/);
    expect((await describe1()).desiredCount).toBe(2);
    const described = await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceIds: [resourceId] }));
    expect(described.ScalableTargets).toEqual([
      {
        ServiceNamespace: 'ecs',
        ResourceId: resourceId,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 2,
        MaxCapacity: 6,
        RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
        CreationTime: new Date(Date.UTC(2026, 0, 1)),
        SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        ScalableTargetARN: registered.ScalableTargetARN,
      },
    ]);

    // Disable as clouddriver does: suspend, then scale to 0 (below min; no policy moves it back).
    await aas().send(new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount', SuspendedState: { DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true } }));
    await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'app-prod-v001', desiredCount: 0 }));
    sim.tick(120_000);
    expect(await describe1()).toMatchObject({ desiredCount: 0, runningCount: 0 });
    // Enable: scale to the target's max, then resume.
    await ecs().send(new UpdateServiceCommand({ cluster: 'prod-cluster', service: 'app-prod-v001', desiredCount: 6 }));
    await aas().send(new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount', SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false } }));
    sim.tick(60_000);
    expect(await describe1()).toMatchObject({ desiredCount: 6, runningCount: 6 });

    await aas().send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount' }));
    const again = await aas().send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount' })).catch((e: unknown) => e);
    expect(again).toMatchObject({ name: 'ObjectNotFoundException', message: `No scalable target registered for service namespace: ecs, resource ID: ${resourceId}, scalable dimension: ecs:service:DesiredCount` });
  });
});
