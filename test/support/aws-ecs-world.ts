/**
 * A simulated AWS account for the aws-ecs target's tests and benchmarks: the AWS simulator
 * (sandbox/aws) with an ECS cluster, two subnets of the `private-subnet` purpose in a VPC, a
 * security group, and a target group behind an ALB listener (so its targets take traffic and
 * health checks run); the real SDK clients pointed at it with retries that do not sleep; the
 * target on top; and Spinnaker's ECS conformance pipeline's deploy stage, with the step
 * executor's tasks to drive it on the simulator's clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { CreateRuleCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createEcsTarget, type EcsClients, type EcsTargetOptions } from '../../adapters/targets/aws-ecs/ecs-target.ts';
import type { MemoryClock } from '../../adapters/targets/memory/memory-target.ts';
import type { DeployStage } from '../../core/pipeline/stage-types/deploy.ts';
import type { RollbackServerGroupStage } from '../../core/pipeline/stage-types/rollback-server-group.ts';
import type { JsonObject, TrafficGuard } from '../../core/ports/execution-store.ts';
import type { ClusterRef, ServerGroupDescription } from '../../core/ports/server-groups.ts';
import type { Target } from '../../core/ports/target.ts';
import type { CloneServerGroupStage } from '../../core/pipeline/stage-types/clone-server-group.ts';
import { runCloneServerGroupTask } from '../../core/stages/clone-server-group.ts';
import { runClusterTask, type ClusterStage } from '../../core/stages/cluster.ts';
import { runDeployTask } from '../../core/stages/deploy.ts';
import type { DeployTaskDeps } from '../../core/stages/deploy-scope.ts';
import { runRollbackServerGroupTask } from '../../core/stages/rollback-server-group.ts';
import { runServerGroupTask, type ServerGroupStage } from '../../core/stages/server-group.ts';
import type { TaskDeps, TaskInput, TaskResult } from '../../core/stages/task-result.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { CONFORMANCE_CORPUS } from './conformance.ts';
import { guardedApplications } from './stage-driver.ts';

export const REGION = 'us-west-2';
export const ACCOUNT = 'ecs-my-aws-devel-acct';
export const ECS_CLUSTER = 'spinnaker-deployment-cluster';
export const TARGET_GROUP = 'spinnaker-ecs-demo-tg';
export const SECURITY_GROUP = 'spinnaker-ecs-demo-private-access';
export const SUBNET_PURPOSE = 'private-subnet';
/** The target group's deregistration delay: how long a disabled task drains. */
export const DEREGISTRATION_DELAY_MS = 30_000;

/** Dummy credentials: the simulator reads only the scope of the signature. */
const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };

/**
 * The SDK's retry loop without its backoff sleeps: retryable errors (throttling, transient) are
 * tried again at once, up to `maxAttempts` attempts in all.
 */
export function immediateRetries(maxAttempts: number) {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0, getRetryCost: () => undefined });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: ReturnType<typeof token>, info: { errorType: string }) => {
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
      if (retryable && previous.getRetryCount() + 1 < maxAttempts) return token(previous.getRetryCount() + 1);
      throw new Error('No retry token available');
    },
    recordSuccess: () => {},
  };
}

export interface EcsWorld {
  readonly sim: AwsSimulator;
  readonly clients: EcsClients;
  readonly target: Target;
  readonly targetGroupArn: string;
  readonly listenerArn: string;
  readonly subnetIds: readonly string[];
  readonly vpcId: string;
  /** The provider fields of a generated-task-definition cluster entry that deploys here. */
  provider(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Builds another target over the same clients (options merged over the world's). */
  targetWith(options: Partial<EcsTargetOptions>): Target;
  close(): Promise<void>;
}

export interface EcsWorldOptions {
  /** SDK attempts per call (1 = no SDK retry). @default 3 */
  readonly maxAttempts?: number;
  readonly seed?: number;
}

/** Starts the simulator and seeds the account an ECS red/black deploys to. */
export async function startEcsWorld(options: EcsWorldOptions = {}): Promise<EcsWorld> {
  const sim = await startAwsSimulator({ seed: options.seed ?? 7, ecs: { clusters: [{ name: ECS_CLUSTER, region: REGION }], region: REGION } });
  const subnetA = sim.seed.ec2.subnet({ region: REGION, az: `${REGION}a`, purpose: SUBNET_PURPOSE });
  const subnetB = sim.seed.ec2.subnet({ region: REGION, az: `${REGION}b`, purpose: SUBNET_PURPOSE, vpcId: subnetA.vpcId });
  sim.seed.ec2.subnet({ region: REGION, az: `${REGION}a`, purpose: 'public-subnet', vpcId: subnetA.vpcId });
  sim.seed.ec2.securityGroup({ region: REGION, name: SECURITY_GROUP, vpcId: subnetA.vpcId });
  const { targetGroupArn } = sim.seed.elbv2.targetGroup({
    region: REGION,
    name: TARGET_GROUP,
    port: 80,
    vpcId: subnetA.vpcId,
    targetType: 'ip',
    deregistrationDelaySeconds: DEREGISTRATION_DELAY_MS / 1000,
    healthCheckIntervalSeconds: 5,
    healthyThresholdCount: 2,
  });
  const balancer = sim.seed.elbv2.loadBalancer({ region: REGION, name: 'ecs-demo-alb', subnetIds: [subnetA.subnetId, subnetB.subnetId], listeners: [{ port: 80, targetGroups: [{ name: TARGET_GROUP }] }] });
  const config = { endpoint: sim.endpoint, region: REGION, credentials, maxAttempts: options.maxAttempts ?? 3, retryStrategy: immediateRetries(options.maxAttempts ?? 3) };
  const clients: EcsClients = {
    ecs: new ECSClient(config),
    applicationAutoScaling: new ApplicationAutoScalingClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    ec2: new EC2Client(config),
  };
  const clock = { now: () => sim.now() };
  const base: EcsTargetOptions = { account: ACCOUNT, region: REGION, clients, clock, executionRoleArn: `arn:aws:iam::${sim.accountId}:role/ecsTaskExecutionRole` };
  return {
    sim,
    clients,
    target: createEcsTarget(base),
    targetGroupArn,
    listenerArn: balancer.listenerArns[0]!,
    subnetIds: [subnetA.subnetId, subnetB.subnetId],
    vpcId: subnetA.vpcId,
    provider: (overrides = {}) => ({
      ecsClusterName: ECS_CLUSTER,
      launchType: 'FARGATE',
      networkMode: 'awsvpc',
      subnetType: SUBNET_PURPOSE,
      securityGroupNames: [SECURITY_GROUP],
      associatePublicIpAddress: false,
      availabilityZones: { [REGION]: [`${REGION}a`, `${REGION}b`] },
      computeUnits: 256,
      reservedMemory: 512,
      containerPort: 80,
      targetGroupMappings: [{ containerPort: 80, targetGroup: TARGET_GROUP }],
      dockerImageAddress: '123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images:1.0.0',
      environmentVariables: { PORT: '80' },
      logDriver: 'awslogs',
      logOptions: { 'awslogs-group': 'spinnaker-ecs-demo', 'awslogs-region': REGION, 'awslogs-stream-prefix': 'spinnaker' },
      healthCheckGracePeriodSeconds: 5,
      ...overrides,
    }),
    targetWith: (more) => createEcsTarget({ ...base, ...more }),
    async close() {
      for (const client of Object.values(clients)) client.destroy();
      await sim.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Spinnaker's ECS red/black on the world

/** The conformance pipeline's cluster, as its moniker names it. */
export const CLUSTER = 'ecsapp-prod-ecsdemo';
export const CLUSTER_REF: ClusterRef = { account: ACCOUNT, location: REGION, cluster: CLUSTER };
export const IMAGE_REPOSITORY = '123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images';

/** The demo task definition of Spinnaker's ECS example: one container `v001` on port 80. */
export const DEMO_TASK_DEFINITION = {
  family: 'ecs-demo',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'v001', image: 'placeholder', essential: true, portMappings: [{ containerPort: 80, protocol: 'tcp' }] }],
};

/** An `embedded/base64` artifact holding a task definition's JSON. */
export const embeddedTaskDefinition = (taskDefinition: unknown) => ({ artifact: { type: 'embedded/base64', reference: Buffer.from(JSON.stringify(taskDefinition)).toString('base64') } });

/**
 * The conformance pipeline's deploy stage (a Fargate red/black of 3 tasks, min 2, behind one
 * target group), unchanged but for what Gennaker needs today: the task definition inline (artifact
 * content does not reach targets yet), the release image as the deploy's docker/image artifact
 * (the trigger's tag is not resolved into imageDescription), the seeded zones, and a health timeout.
 */
export function conformanceStage(version: string, overrides: Record<string, unknown> = {}): JsonObject {
  const pipelines = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json'), 'utf8')) as Array<{ stages: Array<Record<string, unknown> & { clusters: Array<Record<string, unknown>> }> }>;
  const stage = pipelines[0]!.stages[0]!;
  const cluster = stage.clusters[0]!;
  const { refId: _refId, name: _name, requisiteStageRefIds: _parents, ...rest } = stage;
  return {
    ...rest,
    clusters: [
      {
        ...cluster,
        taskDefinitionArtifact: embeddedTaskDefinition(DEMO_TASK_DEFINITION),
        artifact: { type: 'docker/image', reference: `${IMAGE_REPOSITORY}:${version}`, name: 'spinnaker-deployment-images', version },
        availabilityZones: { [REGION]: [`${REGION}a`, `${REGION}b`] },
        waitForHealthyTimeoutSec: 300,
        ...overrides,
      },
    ],
  } as JsonObject;
}

/** The tasks of the stages a rig runs, each as the stage runner sends them to the deploy core. */
export interface EcsStageRig {
  readonly clock: MemoryClock;
  readonly deploy: (input: TaskInput) => Promise<TaskResult>;
  /** rollbackCluster, disableCluster, scaleDownCluster, shrinkCluster. */
  readonly cluster: (input: TaskInput) => Promise<TaskResult>;
  /** enable/disable/resize/destroyServerGroup. */
  readonly serverGroup: (input: TaskInput) => Promise<TaskResult>;
  readonly rollbackServerGroup: (input: TaskInput) => Promise<TaskResult>;
  readonly cloneServerGroup: (input: TaskInput) => Promise<TaskResult>;
}

/**
 * The step executor's stage tasks on the world's target, with the application's (`hello`)
 * traffic guards when given; RUNNING answers tick the simulator.
 */
export function ecsStageRig(world: EcsWorld, target: Target = world.target, trafficGuards?: readonly TrafficGuard[]): EcsStageRig {
  const deps: DeployTaskDeps = { targets: ({ account }) => (account === ACCOUNT ? target : undefined), applications: guardedApplications(trafficGuards), accounts: () => [ACCOUNT] };
  const taskDeps: TaskDeps = {
    http: {} as TaskDeps['http'],
    children: { start: async () => ({ ok: false, message: 'no child pipelines here' }) },
    store: { getExecution: async () => undefined },
    random: () => 0.5,
  };
  const clock: MemoryClock = { now: () => world.sim.now(), advance: (ms) => void world.sim.tick(ms) };
  return {
    clock,
    deploy: (input) => runDeployTask(input as TaskInput<DeployStage>, deps, taskDeps, 1_000),
    cluster: (input) => runClusterTask(input as TaskInput<ClusterStage>, deps, taskDeps, 1_000),
    serverGroup: (input) => runServerGroupTask(input as TaskInput<ServerGroupStage>, deps, taskDeps, 1_000),
    rollbackServerGroup: (input) => runRollbackServerGroupTask(input as TaskInput<RollbackServerGroupStage>, deps, taskDeps, 1_000),
    cloneServerGroup: (input) => runCloneServerGroupTask(input as TaskInput<CloneServerGroupStage>, deps, taskDeps, 1_000),
  };
}

/** A server group of the conformance cluster as the target describes it now. */
export async function serverGroup(world: EcsWorld, name: string): Promise<ServerGroupDescription | undefined> {
  const described = await world.target.serverGroups.describeCluster(CLUSTER_REF);
  if (!described.ok) throw new Error(described.message);
  return described.cluster.serverGroups.find((group) => group.name === name);
}

/** Production before a deploy: v000 made by an earlier deploy (3 tasks, min 2, max 6), its tasks Up. */
export async function seedProduction(world: EcsWorld): Promise<void> {
  const created = await world.target.serverGroups.create({
    ...CLUSTER_REF,
    name: `${CLUSTER}-v000`,
    owner: 'earlier-execution/deploy/create',
    capacity: { min: 2, max: 6, desired: 3 },
    artifact: { type: 'docker/image', reference: `${IMAGE_REPOSITORY}:1.0.0` },
    provider: (conformanceStage('1.0.0').clusters as JsonObject[])[0]!,
  });
  if (!created.ok) throw new Error(created.message);
  for (let waited = 0; ; waited += 5_000) {
    const group = await serverGroup(world, `${CLUSTER}-v000`);
    if (group && group.instances.length === 3 && group.instances.every((instance) => instance.health === 'Up')) return;
    if (waited > 600_000) throw new Error(`v000 never came up: ${JSON.stringify(group)}`);
    world.sim.tick(5_000);
  }
}

// ---------------------------------------------------------------------------------------------
// ECS native blue/green on the world

/** The alternate target group of ECS blue/green. */
export const GREEN_GROUP = 'spinnaker-ecs-demo-green';

export interface NativeWorld {
  readonly world: EcsWorld;
  readonly ruleArn: string;
  readonly greenArn: string;
}

/** The ECS world (a v000-less account) plus what ECS blue/green needs: a second target group and a listener rule forwarding to both. */
export async function startNativeWorld(): Promise<NativeWorld> {
  const world = await startEcsWorld();
  const { targetGroupArn: greenArn } = world.sim.seed.elbv2.targetGroup({ name: GREEN_GROUP, region: REGION, port: 80, vpcId: world.vpcId, targetType: 'ip', deregistrationDelaySeconds: 5, healthCheckIntervalSeconds: 5, healthyThresholdCount: 2 });
  const rule = await world.clients.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: world.listenerArn,
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: world.targetGroupArn, Weight: 100 }, { TargetGroupArn: greenArn, Weight: 0 }] } }],
    }),
  );
  return { world, ruleArn: rule.Rules![0]!.RuleArn!, greenArn };
}

/** The conformance deploy stage in ecs-native mode. */
export function nativeStage(native: NativeWorld, version: string, deployment: JsonObject = {}): JsonObject {
  return conformanceStage(version, {
    strategy: 'none',
    deploymentMode: 'ecs-native',
    targetGroupMappings: [{ containerPort: 80, targetGroup: TARGET_GROUP }],
    ecsNativeDeployment: {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 0,
      alternateTargetGroup: GREEN_GROUP,
      productionListenerRule: native.ruleArn,
      roleArn: `arn:aws:iam::${native.world.sim.accountId}:role/ecsInfrastructureRole`,
      ...deployment,
    },
  });
}
