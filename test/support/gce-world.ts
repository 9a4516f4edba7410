/**
 * A GCE world on the GCE simulator (sandbox/gce) for the gce target's tests: the simulator on
 * 127.0.0.1 with the `default` network and a subnetwork, an image, an HTTP health check, a backend
 * service of an HTTP(S) load balancer, and a network load balancer (a forwarding rule to a target
 * pool), and the real `@google-cloud/compute` clients pointed at it (PassThroughClient: no
 * credentials). Time moves only with `tick`.
 *
 * Compute's `*Operations.wait` blocks until the operation is done (or about two minutes pass); the
 * simulator answers it at once, on its own clock. With `waitMs`, each wait the target makes first
 * moves the simulator's clock by that much, as the blocking call would let time pass; without it
 * operations finish as they are made (`operationMs: 0`).
 */
import { PassThroughClient } from 'google-auth-library';
import { createGceClients, type GceClients } from '../../adapters/targets/gce/clients.ts';
import { createGceTarget, type GceTargetOptions } from '../../adapters/targets/gce/gce-target.ts';
import type { MemoryClock } from '../../adapters/targets/memory/memory-target.ts';
import type { CloneServerGroupStage } from '../../core/pipeline/stage-types/clone-server-group.ts';
import type { DeployStage } from '../../core/pipeline/stage-types/deploy.ts';
import type { RollbackServerGroupStage } from '../../core/pipeline/stage-types/rollback-server-group.ts';
import type { JsonObject, TrafficGuard } from '../../core/ports/execution-store.ts';
import type { Target } from '../../core/ports/target.ts';
import { runCloneServerGroupTask } from '../../core/stages/clone-server-group.ts';
import { runClusterTask, type ClusterStage } from '../../core/stages/cluster.ts';
import { runDeployTask } from '../../core/stages/deploy.ts';
import type { DeployTaskDeps } from '../../core/stages/deploy-scope.ts';
import { runRollbackServerGroupTask } from '../../core/stages/rollback-server-group.ts';
import { runServerGroupTask, type ServerGroupStage } from '../../core/stages/server-group.ts';
import type { TaskDeps, TaskInput, TaskResult } from '../../core/stages/task-result.ts';
import { startGceSimulator, type GceSimulator } from '../../sandbox/gce/server.ts';
import { driveStage, guardedApplications, type DriveOptions, type DriveResult } from './stage-driver.ts';

export const PROJECT = 'gennaker-sandbox';
export const REGION = 'us-central1';
export const ZONE = 'us-central1-c';
export const ACCOUNT = 'sandbox-gce';
export const IMAGE = 'hello-1-0-0-h1';
export const NEW_IMAGE = 'hello-1-1-0-h2';
export const BACKEND_SERVICE = 'hello-bs';
export const HTTP_LB = 'hello-https-lb';
export const NETWORK_LB = 'hello-nlb';
export const TARGET_POOL = 'hello-pool';
export const HEALTH_CHECK = 'hello-hc';

export interface GceWorldOptions {
  /** Simulated ms each operation takes. @default 0: done as made */
  readonly operationMs?: number;
  /** Simulated ms each `*Operations.wait` lets pass before it answers. @default 0 */
  readonly waitMs?: number;
}

export interface GceWorld {
  readonly sim: GceSimulator;
  readonly clients: GceClients;
  readonly imageUrl: string;
  readonly newImageUrl: string;
  /** Provider fields of a zonal cluster behind the HTTP(S) load balancer, autoscaled (so min and max are kept). */
  readonly provider: Readonly<Record<string, unknown>>;
  /** A target of this world's account and region; options override the defaults. */
  target(options?: Partial<GceTargetOptions>): Target;
  close(): Promise<void>;
}

/** Wraps an operations client so each `wait` first lets simulated time pass. */
function waiting<T extends object>(client: T, sim: GceSimulator, ms: number): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'wait') {
        return (...args: unknown[]) => {
          sim.tick(ms);
          return (value as (...call: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...call: unknown[]) => unknown).bind(target);
    },
  });
}

export async function startGceWorld(options: GceWorldOptions = {}): Promise<GceWorld> {
  const sim = await startGceSimulator({ operationMs: options.operationMs ?? 0 });
  sim.seedNetwork(PROJECT, 'default', [{ region: REGION, name: 'default' }]);
  const imageUrl = sim.seedImage(PROJECT, { name: IMAGE, family: 'hello', labels: { appversion: 'hello-1-0-0' } });
  sim.tick(1_000);
  const newImageUrl = sim.seedImage(PROJECT, { name: NEW_IMAGE, family: 'hello', labels: { appversion: 'hello-1-1-0' } });
  const healthCheck = sim.seedHealthCheck(PROJECT, { name: HEALTH_CHECK, port: 80, requestPath: '/health', checkIntervalSec: 5, healthyThreshold: 2 });
  sim.seedBackendService(PROJECT, { name: BACKEND_SERVICE, healthChecks: [healthCheck], portName: 'http' });
  const pool = sim.seedTargetPool(PROJECT, REGION, TARGET_POOL);
  sim.seedForwardingRule(PROJECT, { name: NETWORK_LB, region: REGION, target: pool, portRange: '80', IPProtocol: 'TCP' });

  const base = createGceClients({ apiEndpoint: '127.0.0.1', port: sim.port, protocol: 'http', authClient: new PassThroughClient() });
  const waitMs = options.waitMs ?? 0;
  const clients: GceClients =
    waitMs > 0
      ? Object.create(base, {
          globalOperations: { value: waiting(base.globalOperations, sim, waitMs) },
          regionOperations: { value: waiting(base.regionOperations, sim, waitMs) },
          zoneOperations: { value: waiting(base.zoneOperations, sim, waitMs) },
        })
      : base;

  const provider = {
    zone: ZONE,
    regional: false,
    instanceType: 'e2-small',
    network: 'default',
    loadBalancers: [HTTP_LB],
    backendServices: { [HTTP_LB]: [BACKEND_SERVICE] },
    loadBalancingPolicy: { balancingMode: 'UTILIZATION', maxUtilization: 0.8, capacityScaler: 1, namedPorts: [{ name: 'http', port: 80 }] },
    autoscalingPolicy: { coolDownPeriodSec: 60, cpuUtilization: { utilizationTarget: 0.6 } },
  };

  return {
    sim,
    clients,
    imageUrl,
    newImageUrl,
    provider,
    target: (overrides = {}) => createGceTarget({ account: ACCOUNT, project: PROJECT, region: REGION, clients, clock: { now: () => sim.now() }, ...overrides }),
    async close() {
      await base.close();
      await sim.close();
    },
  };
}

/** Options of one stage run: the stage driver's, a hook after every 1 s step of the clock, and the application's traffic guards. */
export interface GceStageOptions extends DriveOptions {
  readonly after?: () => void;
  readonly trafficGuards?: readonly TrafficGuard[];
}

/** The server-group stages, which the stage runner sends to runServerGroupTask. */
const SERVER_GROUP_STAGES = new Set(['enableServerGroup', 'disableServerGroup', 'resizeServerGroup', 'destroyServerGroup']);

/**
 * Runs `deploy`, `cloneServerGroup`, server-group, `rollbackServerGroup` and cluster stages through
 * the deploy core as the stage runner does, on `target` in this world's account; the driver's
 * clock is the simulator's, moved in 1 s steps.
 */
export function runGceStage(world: GceWorld, target: Target, stage: JsonObject, options: GceStageOptions = {}): Promise<DriveResult> {
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
  const clock: MemoryClock = {
    now: () => world.sim.now(),
    advance: (ms: number) => {
      for (let moved = 0; moved < ms; moved += 1_000) {
        world.sim.tick(Math.min(1_000, ms - moved));
        options.after?.();
      }
    },
  };
  return driveStage(stage, runTask, clock, options);
}

/** A red/black deploy of hello-prod in this world: Deck's GCE cluster fields, 2 instances behind the HTTP(S) load balancer. */
export function redBlackStage(world: GceWorld, overrides: Readonly<Record<string, unknown>> = {}): JsonObject {
  return {
    type: 'deploy',
    clusters: [
      {
        account: ACCOUNT,
        cloudProvider: 'gce',
        provider: 'gce',
        application: 'hello',
        stack: 'prod',
        freeFormDetails: '',
        region: REGION,
        zone: ZONE,
        regional: false,
        availabilityZones: { [REGION]: [ZONE] },
        capacity: { min: 2, max: 2, desired: 2 },
        targetSize: 2,
        strategy: 'redblack',
        maxRemainingAsgs: 2,
        instanceType: 'e2-small',
        disks: [{ sizeGb: 10, type: 'pd-ssd' }],
        network: 'default',
        loadBalancers: [HTTP_LB],
        backendServices: { [HTTP_LB]: [BACKEND_SERVICE] },
        loadBalancingPolicy: { balancingMode: 'UTILIZATION', maxUtilization: 0.8, capacityScaler: 1, namedPorts: [{ name: 'http', port: 80 }] },
        artifact: { type: 'gce/image', name: NEW_IMAGE, reference: world.newImageUrl },
        waitForHealthyTimeoutSec: 600,
        ...overrides,
      },
    ],
  } as JsonObject;
}
