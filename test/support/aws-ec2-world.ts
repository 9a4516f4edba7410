/**
 * An EC2 world on the AWS simulator (sandbox/aws) for the aws-ec2 target's tests: the simulator
 * on 127.0.0.1 with one VPC, two subnets tagged for `subnetType: "internal"`, a security group,
 * an AMI, a target group behind an ALB listener, and the real SDK clients pointed at it; time
 * moves only with `tick`. Health checks and drains are shortened (5 s checks, 20 s deregistration
 * delay) so a deploy takes a minute of simulated time and a few hundred calls.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { createEc2Target, type Ec2TargetClients } from '../../adapters/targets/aws-ec2/ec2-target.ts';
import type { MemoryClock } from '../../adapters/targets/memory/memory-target.ts';
import type { DeployStage } from '../../core/pipeline/stage-types/deploy.ts';
import type { RollbackServerGroupStage } from '../../core/pipeline/stage-types/rollback-server-group.ts';
import type { JsonObject, TrafficGuard } from '../../core/ports/execution-store.ts';
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
import { driveStage, guardedApplications, type DriveOptions, type DriveResult } from './stage-driver.ts';

export const REGION = 'us-east-1';
export const ACCOUNT = 'sandbox';

/** Attempts per SDK call (the first and one retry): a throttle on every attempt reaches the port. */
export const SDK_ATTEMPTS = 2;

/** Health checks of the seeded target groups: healthy after 2 × 5 s, drained after 20 s. */
export const HEALTH = { healthCheckIntervalSeconds: 5, healthyThresholdCount: 2, unhealthyThresholdCount: 2, deregistrationDelaySeconds: 20 } as const;

export interface Ec2World {
  readonly sim: AwsSimulator;
  readonly clients: Ec2TargetClients;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly imageId: string;
  readonly imageName: string;
  /** The shared target group `hello-shared`, forwarded to by listener `listenerArn`. */
  readonly targetGroupArn: string;
  readonly listenerArn: string;
  /** Provider fields of a healthy cluster in this world (no image: the artifact carries it). */
  readonly provider: Readonly<Record<string, unknown>>;
  /** A target on this world's clients; `weightedTraffic` turns weighted mode on. */
  target(options?: { readonly weightedTraffic?: boolean }): Target;
  /** Seeds a target group with this world's health timings. */
  targetGroup(name: string): string;
  /** Seeds an ALB with one listener forwarding to `targetGroups` (names); answers the listener ARN. */
  loadBalancer(name: string, targetGroups: readonly string[]): string;
  /** Moves the clock `ms` forward in steps of `stepMs`, calling `after` after each step. */
  advance(ms: number, stepMs?: number, after?: () => void): void;
  close(): Promise<void>;
}

/** The SDK clients against the simulator: dummy credentials, retries without waiting (no sleeps). */
export function simulatorClients(sim: AwsSimulator, attempts = SDK_ATTEMPTS): Ec2TargetClients & { destroy(): void } {
  const config = {
    endpoint: sim.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' },
    retryStrategy: new ConfiguredRetryStrategy(attempts, 0),
  };
  const ec2 = new EC2Client(config);
  const autoScaling = new AutoScalingClient(config);
  const elbv2 = new ElasticLoadBalancingV2Client(config);
  return {
    ec2,
    autoScaling,
    elbv2,
    destroy() {
      ec2.destroy();
      autoScaling.destroy();
      elbv2.destroy();
    },
  };
}

/** Starts the simulator and seeds the world. */
export async function startEc2World(options: { readonly seed?: number } = {}): Promise<Ec2World> {
  const sim = await startAwsSimulator({ seed: options.seed ?? 11, timings: { instanceBootMs: 10_000, instanceShutdownMs: 5_000, groupDeleteMs: 1_000 } });
  const { vpcId } = sim.seed.ec2.vpc({ cidrBlock: '10.0.0.0/16' });
  const subnetIds = ['us-east-1a', 'us-east-1b'].map((az, index) => sim.seed.ec2.subnet({ az, vpcId, cidrBlock: `10.0.${index}.0/24`, purpose: 'internal' }).subnetId);
  const { groupId: securityGroupId } = sim.seed.ec2.securityGroup({ name: 'hello-web', vpcId });
  const imageName = 'hello-1.0.0-h1.abc1234';
  const { imageId } = sim.seed.ec2.image({ name: imageName, tags: { appversion: 'hello-1.0.0-h1.abc1234/hello-build/1' }, creationDate: '2025-12-01T00:00:00.000Z' });
  const targetGroup = (name: string) => sim.seed.elbv2.targetGroup({ name, vpcId, port: 80, ...HEALTH }).targetGroupArn;
  const loadBalancer = (name: string, targetGroups: readonly string[]) =>
    sim.seed.elbv2.loadBalancer({ name, subnetIds, listeners: [{ port: 80, targetGroups: targetGroups.map((group) => ({ name: group })) }] }).listenerArns[0]!;
  const targetGroupArn = targetGroup('hello-shared');
  const listenerArn = loadBalancer('hello-alb', ['hello-shared']);
  const clients = simulatorClients(sim);
  return {
    sim,
    clients,
    vpcId,
    subnetIds,
    securityGroupId,
    imageId,
    imageName,
    targetGroupArn,
    listenerArn,
    provider: { instanceType: 'm5.large', subnetType: 'internal', securityGroups: [securityGroupId], targetGroups: ['hello-shared'], healthCheckType: 'ELB', healthCheckGracePeriod: 60 },
    target: (targetOptions = {}) => createEc2Target({ account: ACCOUNT, region: REGION, clients, clock: { now: () => sim.now() }, ...targetOptions }),
    targetGroup,
    loadBalancer,
    advance(ms, stepMs = ms, after) {
      for (let moved = 0; moved < ms; moved += stepMs) {
        sim.tick(Math.min(stepMs, ms - moved));
        after?.();
      }
    },
    async close() {
      clients.destroy();
      await sim.close();
    },
  };
}

/** The cluster of the red/black deploys in this world: hello-prod, 2 instances, the seeded AMI, target group and subnets. */
export function redBlackStage(world: Ec2World, overrides: Readonly<Record<string, unknown>> = {}): JsonObject {
  return {
    type: 'deploy',
    clusters: [
      {
        account: ACCOUNT,
        cloudProvider: 'aws',
        application: 'hello',
        stack: 'prod',
        availabilityZones: { [REGION]: ['us-east-1a', 'us-east-1b'] },
        capacity: { min: 2, max: 2, desired: 2 },
        strategy: 'redblack',
        maxRemainingAsgs: 2,
        artifact: { type: 'aws/image', reference: world.imageId },
        waitForHealthyTimeoutSec: 300,
        ...world.provider,
        ...overrides,
      },
    ],
  } as JsonObject;
}

/**
 * Options of one stage run: the stage driver's, a hook run after every 1 s step of the clock, and
 * the traffic guards of the application (`hello`), as its record would hold them.
 */
export interface Ec2StageOptions extends DriveOptions {
  readonly after?: () => void;
  readonly trafficGuards?: readonly TrafficGuard[];
}

/** The server-group stages, which the stage runner sends to runServerGroupTask. */
const SERVER_GROUP_STAGES = new Set(['enableServerGroup', 'disableServerGroup', 'resizeServerGroup', 'destroyServerGroup']);

/**
 * Runs `deploy`, `cloneServerGroup`, server-group (disable, resize, ...), `rollbackServerGroup` and cluster stages
 * (rollbackCluster, ...) through the deploy core as the stage runner does, on `target` in account
 * `sandbox`; the driver's clock is the simulator's, moved in 1 s steps.
 */
export function runEc2Stage(world: Ec2World, target: Target, stage: JsonObject, options: Ec2StageOptions = {}): Promise<DriveResult> {
  const deps: DeployTaskDeps = { targets: ({ account }) => (account === ACCOUNT ? target : undefined), applications: guardedApplications(options.trafficGuards), accounts: () => [ACCOUNT] };
  const taskDeps: TaskDeps = {
    http: {} as TaskDeps['http'],
    children: { start: async () => ({ ok: false, message: 'no child pipelines here' }) },
    store: { getExecution: async () => undefined },
    random: () => 0.5,
  };
  const runTask = (input: TaskInput): Promise<TaskResult> => {
    if (input.stage.type === 'deploy') return runDeployTask(input as TaskInput<DeployStage>, deps, taskDeps, 200);
    if (input.stage.type === 'cloneServerGroup') return runCloneServerGroupTask(input as TaskInput<CloneServerGroupStage>, deps, taskDeps, 200);
    if (input.stage.type === 'rollbackServerGroup') return runRollbackServerGroupTask(input as TaskInput<RollbackServerGroupStage>, deps, taskDeps, 200);
    if (SERVER_GROUP_STAGES.has(input.stage.type)) return runServerGroupTask(input as TaskInput<ServerGroupStage>, deps, taskDeps, 200);
    return runClusterTask(input as TaskInput<ClusterStage>, deps, taskDeps, 200);
  };
  const clock: MemoryClock = { now: () => world.sim.now(), advance: (ms: number) => world.advance(ms, 1_000, options.after) };
  return driveStage(stage, runTask, clock, options);
}
