/**
 * `--sandbox` for AWS: the AWS simulator (sandbox/aws) started in this process, its clock running
 * `speed` times faster than the wall clock, the real SDK clients pointed at it, and every account
 * a pipeline names served by the AWS targets over those clients. What the pipeline assumes
 * exists (local/sandbox/world.ts) is seeded first and reported; nothing else is, so a name the
 * pipeline gets wrong fails as AWS would fail it.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateAliasCommand, CreateFunctionCommand, GetFunctionCommand, LambdaClient, type Runtime } from '@aws-sdk/client-lambda';
import type { Account } from '../../core/ports/accounts.ts';
import type { Target, TargetKey, TargetLookup } from '../../core/ports/target.ts';
import { createCodeBuildBuilds } from '../../adapters/builds/codebuild-builds.ts';
import { createCloudWatchMetricSource } from '../../adapters/metrics/cloudwatch-metric-source.ts';
import { createEc2Target } from '../../adapters/targets/aws-ec2/ec2-target.ts';
import { createEcsTarget } from '../../adapters/targets/aws-ecs/ecs-target.ts';
import { createAwsLambdaFunctions } from '../../adapters/targets/aws-lambda/lambda-functions.ts';
import { createRegionalTarget } from '../../adapters/targets/regional-target.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { clusterName, serverGroupName } from '../../core/deploy/names.ts';
import { resolveExpectedArtifacts } from '../../core/deploy/expected-artifacts.ts';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import { bindProviderFields } from '../../core/stages/provider-bindings.ts';
import type { ServingSample } from './capacity-watch.ts';
import { countCalls, followWallClock } from './sandbox-clock.ts';
import { describeSnapshot, type SandboxDescription } from './describe.ts';
import { createSandboxArtifacts, SANDBOX_PREVIOUS_TAG, type SandboxArtifacts } from './sandbox-artifacts.ts';
import { assumedWorld, type AssumedLiveFunction, type AssumedServingGroup, type AssumedWorld, type SandboxCloud } from './world.ts';
import { ALIAS_REQUESTS_PER_SECOND, cloudWatchMetricsAccounts, createLambdaTraffic, FAULTY_ERROR_RATE, isFaultyPackage, type LambdaTraffic } from './lambda-canary.ts';
import type { MetricsAccountOption } from '../wiring.ts';

export interface AwsSandboxOptions {
  /** Simulated seconds per wall-clock second. @default 30 */
  readonly speed?: number;
  /** The simulator's seed: the same seed replays the same ids. @default 1 */
  readonly seed?: number;
  /** The artifact accounts the sandbox serves, shared with the other simulated clouds. @default its own */
  readonly artifacts?: SandboxArtifacts;
}

/** The SDK clients of one region, all talking to the simulator. */
export interface SandboxClients {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ecs: ECSClient;
  readonly applicationAutoScaling: ApplicationAutoScalingClient;
  readonly lambda: LambdaClient;
  readonly cloudWatch: CloudWatchClient;
  readonly codeBuild: CodeBuildClient;
}

/** One seeded resource, for the report: `subnet subnet-0a1b… (private-subnet, us-west-2a)`. */
export interface SeededResource {
  readonly kind: string;
  readonly id: string;
  readonly detail: string;
}

/** A Lambda alias a run's stages route, as the simulator holds it now: each version's share of its traffic. */
export interface DeployedAlias {
  readonly account: string;
  readonly region: string;
  readonly functionName: string;
  readonly alias: string;
  /** Version → share (0-1), the alias's version first; empty when the alias does not exist. */
  readonly routing: ReadonlyArray<{ readonly version: string; readonly share: number }>;
}

/** A cluster a run deployed to, as its target describes it: each server group's traffic, health and capacity. */
export interface DeployedCluster {
  readonly account: string;
  readonly region: string;
  readonly cluster: string;
  /** Why it could not be described, instead of its server groups. */
  readonly problem?: string;
  readonly serverGroups: ReadonlyArray<{
    readonly name: string;
    readonly disabled: boolean;
    readonly draining: boolean;
    readonly up: number;
    readonly instances: number;
    readonly capacity: { readonly min: number; readonly max: number; readonly desired: number };
    /** The images its tasks run (ECS: the containers of its task definition). */
    readonly images?: readonly string[];
  }>;
}

export interface AwsSandbox {
  readonly simulator: AwsSimulator;
  /** Simulated seconds per wall-clock second. */
  readonly speed: number;
  readonly endpoint: string;
  /** The clients of a region (made once per region). */
  clients(region: string): SandboxClients;
  /** The target of an account the sandbox serves; undefined for accounts it does not. */
  readonly targets: TargetLookup;
  /** Accounts served so far (`serve` adds them). */
  accounts(): readonly Account[];
  /** Serves these accounts and seeds what the pipelines assume; answers what was seeded. */
  prepare(world: AssumedWorld): SeededResource[];
  /**
   * `prepare` for pipeline documents as saved: the accounts they name and what their stages
   * assume, a serving server group of each cluster a replacing strategy deploys to included
   * (started through the target, its instances in service before this resolves).
   */
  serve(
    pipelines: readonly unknown[],
    parameters?: Readonly<Record<string, string>>,
  ): Promise<{
    readonly accounts: readonly Account[];
    readonly seeded: readonly SeededResource[];
    readonly triggerArtifacts: readonly JsonObject[];
    /** CloudWatch metrics accounts of the pipelines' canary stages (lambda-canary.ts). */
    readonly metricsAccounts: readonly MetricsAccountOption[];
  }>;
  /** The Lambda aliases the last `serve`'s pipelines route, as the simulator holds them now. */
  describeAliases(): DeployedAlias[];
  /** The clusters the last `serve`'s pipelines deploy to, as their targets describe them now (what a run left behind). */
  describeDeployed(): Promise<DeployedCluster[]>;
  /**
   * Healthy instances (tasks) in traffic per cluster the last `serve`'s pipelines deploy to, read
   * from the simulator's state (targets `healthy` in a target group), not through the targets.
   */
  servingCapacity(): ServingSample[];
  /** The calls made since the last `serve` (what the run did, not the seeding), counted by `service:Action`, most first. */
  callCounts(): Array<{ readonly call: string; readonly count: number }>;
  /** What the simulated clouds hold now (`gennaker sandbox describe`). */
  describe(): SandboxDescription;
  close(): Promise<void>;
}

/** Which Gennaker cloud provider a sandbox cloud is (Gate's `cloudProvider`). */
const PROVIDER: Record<SandboxCloud, string> = { aws: 'aws', ecs: 'ecs', lambda: 'aws' };

/** The owner token of what the sandbox starts before a run (a server group made "by hand"). */
const SEED_OWNER = 'gennaker-sandbox-seed';
const SEED_STEP_MS = 5_000;
const SEED_STEPS = 120;

const SANDBOX_CREDENTIALS = { accessKeyId: 'SANDBOX', secretAccessKey: 'sandbox' };

/** Starts the simulator and its clock. */
export async function startAwsSandbox(options: AwsSandboxOptions = {}): Promise<AwsSandbox> {
  const speed = options.speed ?? 30;
  if (!(speed > 0 && speed <= 10_000)) throw new Error(`sandbox speed ${speed} is out of range; give a number of simulated seconds per second between 1 and 10000`);
  const simulator = await startAwsSimulator({ seed: options.seed ?? 1, startTime: Date.now() });
  // Alias traffic follows the simulator's alias changes as its clock moves (lambda-canary.ts).
  const traffic: LambdaTraffic = createLambdaTraffic(simulator);
  const stopClock = followWallClock((ms) => {
    simulator.tick(ms);
    traffic.sync();
  }, speed);

  const byRegion = new Map<string, SandboxClients>();
  const clients = (region: string): SandboxClients => {
    let found = byRegion.get(region);
    if (!found) {
      const config = { endpoint: simulator.endpoint, region, credentials: SANDBOX_CREDENTIALS, maxAttempts: 6 };
      found = {
        ec2: new EC2Client(config),
        autoScaling: new AutoScalingClient(config),
        elbv2: new ElasticLoadBalancingV2Client(config),
        ecs: new ECSClient(config),
        applicationAutoScaling: new ApplicationAutoScalingClient(config),
        lambda: new LambdaClient(config),
        cloudWatch: new CloudWatchClient(config),
        codeBuild: new CodeBuildClient(config),
      };
      byRegion.set(region, found);
    }
    return found;
  };

  const served = new Map<string, { account: Account; cloud: SandboxCloud; target?: Target }>();
  /** The artifact accounts pipelines read, and the images a manual run's trigger brings. */
  const artifacts = options.artifacts ?? createSandboxArtifacts();
  /** What `prepare` seeded, by kind and name: each is seeded once. */
  const seededNames = new Set<string>();
  const targetOf = (name: string, cloud: SandboxCloud): Target | undefined => {
    const entry = served.get(name);
    if (!entry || entry.cloud !== cloud) return undefined;
    if (entry.target) return entry.target;
    const regions = entry.account.regions;
    if (cloud === 'aws') {
      // An aws account holds Auto Scaling groups and, for Spinnaker's Lambda stages and awsCodeBuild, functions and build projects.
      const ec2 = createRegionalTarget({
        account: name,
        regions,
        cloudProvider: 'aws',
        create: (region) => createEc2Target({ account: name, region, clients: clients(region) }),
      });
      entry.target = {
        ...ec2,
        functions: createAwsLambdaFunctions({ regions, clientFor: (region) => clients(region).lambda }),
        builds: createCodeBuildBuilds({ regions, clientFor: (region) => clients(region).codeBuild }),
      };
    } else if (cloud === 'ecs') {
      // Fargate tasks log through the account's role, as clouddriver passes its assumed role.
      entry.target = createRegionalTarget({
        account: name,
        regions,
        cloudProvider: 'ecs',
        create: (region) =>
          createEcsTarget({
            account: name,
            region,
            clients: clients(region),
            clock: { now: () => simulator.now() },
            accountId: simulator.accountId,
            executionRoleArn: `arn:aws:iam::${simulator.accountId}:role/ecsTaskExecutionRole`,
            artifacts: artifacts.port,
          }),
      });
    }
    return entry.target;
  };
  const targets: TargetLookup = (key: TargetKey) => {
    const entry = served.get(key.account);
    if (!entry) return undefined;
    const cloud: SandboxCloud = key.cloudProvider === 'ecs' ? 'ecs' : key.cloudProvider === 'lambda' ? 'lambda' : entry.cloud;
    return targetOf(key.account, cloud);
  };

  const prepare = (world: AssumedWorld): SeededResource[] => {
    for (const assumed of world.accounts) {
      const known = served.get(assumed.name);
      const regions = [...new Set([...(known?.account.regions ?? []), ...assumed.regions])];
      served.set(assumed.name, {
        cloud: assumed.cloud,
        account: { name: assumed.name, cloudProvider: PROVIDER[assumed.cloud], accountType: 'sandbox', environment: 'sandbox', regions: regions.length > 0 ? regions : ['us-east-1'], accountId: simulator.accountId },
      });
    }
    return [...seedWorld(simulator, world, seededNames, traffic), ...seedBuildProjects(world), ...artifacts.seed(world)];
  };
  const accounts = () => [...served.values()].map((entry) => entry.account);

  /** The CodeBuild projects awsCodeBuild stages build, each once: a project whose build runs the phases and succeeds. */
  const seedBuildProjects = (world: AssumedWorld): SeededResource[] => {
    const seeded: SeededResource[] = [];
    for (const project of world.buildProjects ?? []) {
      const regions = project.region ? [project.region] : (served.get(project.account)?.account.regions.slice(0, 1) ?? []);
      for (const region of regions) {
        const key = `codebuild|${region}|${project.projectName}`;
        if (seededNames.has(key)) continue;
        seededNames.add(key);
        simulator.control('codebuild', 'createProject', { region, name: project.projectName, source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo sandbox build]\n' } });
        seeded.push({ kind: 'CodeBuild project', id: project.projectName, detail: `${project.account}, ${region}` });
      }
    }
    return seeded;
  };
  let callsBefore = 0;
  let deployed: AssumedWorld['clusters'] = [];
  let routedAliases: AssumedWorld['liveFunctions'] = [];

  /**
   * The provider fields `-v000` is made from: the entry with what a run binds in (its task-definition
   * artifact, the trigger's image), bound as a manual run of its pipeline binds them.
   */
  const servingProvider = (group: AssumedServingGroup): Readonly<Record<string, unknown>> => {
    const trigger: JsonObject = { type: 'manual', artifacts: artifacts.triggerArtifacts(SANDBOX_PREVIOUS_TAG) };
    const resolved = resolveExpectedArtifacts(group.pipeline, trigger);
    const bound = bindProviderFields(group.entry, { cloudProvider: group.cloud, at: 'clusters[0]', trigger: resolved.ok ? { ...trigger, ...resolved.value } : trigger, ancestorOutputs: [], hasArtifact: false });
    if (!bound.ok) throw new Error(`sandbox: the serving server group the ${group.entry['strategy']} deploy assumes cannot be made: ${bound.message}`);
    return group.cloud === 'ecs' ? withoutPauses(previousImage(bound.value)) : bound.value;
  };

  /**
   * An ECS entry's image as the version before the run's: a tag written in the entry becomes
   * `sandbox-previous`, so the report tells the service the run replaces from the one it starts.
   */
  const previousImage = (fields: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
    const description = fields['imageDescription'];
    const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
    if (isObject(description) && typeof description['tag'] === 'string' && description['tag'].trim() !== '') {
      return { ...fields, imageDescription: { ...description, tag: SANDBOX_PREVIOUS_TAG } };
    }
    const address = fields['dockerImageAddress'];
    if (typeof address === 'string' && /:[\w][\w.-]*$/.test(address)) return { ...fields, dockerImageAddress: address.replace(/:[\w][\w.-]*$/, `:${SANDBOX_PREVIOUS_TAG}`) };
    return fields;
  };

  /** An ecs-native entry's version before the run goes straight to production: no pause waits for a pipeline. */
  const withoutPauses = (fields: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
    const native = fields['ecsNativeDeployment'];
    if (fields['deploymentMode'] !== 'ecs-native' || typeof native !== 'object' || native === null || Array.isArray(native)) return fields;
    return { ...fields, ecsNativeDeployment: { ...native, pauseAt: [] } };
  };

  /** The images of an ECS task definition's containers; undefined when it cannot be read. */
  const taskDefinitionImages = async (region: string, taskDefinition: unknown): Promise<string[] | undefined> => {
    if (typeof taskDefinition !== 'string') return undefined;
    try {
      const answer = await clients(region).ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
      return (answer.taskDefinition?.containerDefinitions ?? []).map((container) => container.image).filter((image): image is string => typeof image === 'string');
    } catch {
      return undefined;
    }
  };

  const skipped = (what: string, error: unknown): SeededResource => ({
    kind: 'not seeded:',
    id: what,
    detail: error instanceof Error ? error.message.replace(/^sandbox: /, '') : String(error),
  });

  /** Creates a function with version 1 behind the alias a rollout moves, unless it exists. */
  const startLiveFunction = async (live: AssumedLiveFunction): Promise<SeededResource | undefined> => {
    const lambda = clients(live.region).lambda;
    const exists = await lambda.send(new GetFunctionCommand({ FunctionName: live.functionName })).then(
      () => true,
      (error: unknown) => {
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return false;
        throw error;
      },
    );
    if (exists) return undefined;
    const text = (key: string, fallback: string) => (typeof live.settings[key] === 'string' && !(live.settings[key] as string).includes('${') ? (live.settings[key] as string) : fallback);
    const code = simulator.seed.lambda.codeObject({ bucket: 'gennaker-sandbox', key: `${live.functionName}/live.zip`, content: `the live version of ${live.functionName}` });
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: live.functionName,
        Runtime: text('runtime', 'nodejs22.x') as Runtime,
        Handler: text('handler', 'index.handler'),
        Role: text('role', `arn:aws:iam::${simulator.accountId}:role/${live.functionName}`),
        Code: { S3Bucket: code.bucket, S3Key: code.key },
        Publish: true,
      }),
    );
    // Creating takes simulated seconds: step the clock until the function is Active.
    for (let step = 0; step < SEED_STEPS; step++) {
      const got = await lambda.send(new GetFunctionCommand({ FunctionName: live.functionName }));
      if (got.Configuration?.State === 'Active') break;
      simulator.tick(SEED_STEP_MS);
    }
    await lambda.send(new CreateAliasCommand({ FunctionName: live.functionName, Name: live.alias, FunctionVersion: '1' }));
    return { kind: 'function', id: live.functionName, detail: `${live.account}, ${live.region}, version 1 live behind alias ${live.alias}, before the rollout` };
  };

  /** Starts `-v000` of a cluster that has no server group yet, and waits (on the simulator's clock) until it serves. */
  const startServing = async (group: AssumedServingGroup): Promise<SeededResource | undefined> => {
    const target = targets({ account: group.account, cloudProvider: group.cloud });
    if (!target) return undefined;
    const cluster = clusterName(group.application, group.stack, group.detail);
    const ref = { account: group.account, location: group.region, cluster };
    const before = await target.serverGroups.describeCluster(ref);
    if (before.ok && before.cluster.serverGroups.length > 0) return undefined;
    const name = serverGroupName(cluster, 0);
    const provider = servingProvider(group);
    const created = await target.serverGroups.create({ ...ref, name, owner: SEED_OWNER, capacity: group.capacity, provider });
    if (!created.ok) throw new Error(`sandbox: the serving server group ${name} the ${group.entry['strategy']} deploy assumes could not start in ${group.region}: ${created.message}`);
    // Boot, health checks and registration take simulated minutes: step the clock until it serves.
    for (let step = 0; step < SEED_STEPS; step++) {
      const described = await target.serverGroups.describeCluster(ref);
      const serving = described.ok ? described.cluster.serverGroups.find((candidate) => candidate.name === name) : undefined;
      const up = serving?.instances.filter((instance) => instance.health === 'Up').length ?? 0;
      if (serving && !serving.disabled && up >= group.capacity.desired) {
        const unit = group.cloud === 'ecs' ? 'task' : 'instance';
        const deploy = group.entry['deploymentMode'] === 'ecs-native' ? 'ECS blue/green' : String(group.entry['strategy']);
        return { kind: 'server group', id: name, detail: `${group.account}, ${group.region}, ${up} ${unit}${up === 1 ? '' : 's'} Up, serving before the ${deploy} deploy` };
      }
      simulator.tick(SEED_STEP_MS);
    }
    throw new Error(`sandbox: the serving server group ${name} in ${group.region} did not come Up within ${(SEED_STEPS * SEED_STEP_MS) / 60_000} simulated minutes; check its health check settings`);
  };

  return {
    simulator,
    speed,
    endpoint: simulator.endpoint,
    clients,
    targets,
    accounts,
    prepare,
    async serve(pipelines, parameters = {}) {
      const world = assumedWorld(pipelines, parameters);
      const seeded = [...prepare(world)];
      // What runs before the deploy is the pipeline's own fields: when they are wrong, the run's
      // save or deploy says so in its own words, so a failure here is only noted.
      for (const group of world.serving) {
        const started = await startServing(group).catch((error: unknown) => skipped(`server group of ${group.application} in ${group.region}`, error));
        if (started) seeded.push(started);
      }
      for (const live of world.liveFunctions) {
        const started = await startLiveFunction(live).catch((error: unknown) => skipped(`function ${live.functionName}`, error));
        if (started) seeded.push(started);
        if (traffic.watch({ region: live.region, functionName: live.functionName, alias: live.alias })) {
          seeded.push({ kind: 'traffic', id: `${live.functionName}:${live.alias}`, detail: `${ALIAS_REQUESTS_PER_SECOND} invocations/s split by the alias's weights, per version in CloudWatch (AWS/Lambda by FunctionName, Resource, ExecutedVersion)` });
        }
      }
      traffic.sync();
      // Canary stages reading CloudWatch read the simulated one, in the region their scope names.
      const fallbackRegion = world.liveFunctions[0]?.region ?? world.accounts.flatMap((account) => account.regions)[0] ?? 'us-east-1';
      const source = createCloudWatchMetricSource({ client: (location) => clients(AWS_REGION.test(location) ? location : fallbackRegion).cloudWatch });
      const metricsAccounts: MetricsAccountOption[] = cloudWatchMetricsAccounts(pipelines, parameters).map((name) => ({ name, type: 'cloudwatch', source }));
      for (const account of metricsAccounts) seeded.push({ kind: 'metrics account', id: account.name, detail: 'cloudwatch on the simulated AWS' });
      callsBefore = simulator.calls().length;
      deployed = world.clusters;
      routedAliases = world.liveFunctions;
      const named = new Set(world.accounts.map((account) => account.name));
      return { accounts: accounts().filter((account) => named.has(account.name)), seeded, triggerArtifacts: artifacts.triggerArtifacts(), metricsAccounts };
    },
    describeAliases() {
      const functions = simulator.service('lambda')?.snapshot()['functions'];
      const list = Array.isArray(functions) ? (functions as Array<{ name?: unknown; region?: unknown; aliases?: Array<{ name?: unknown; functionVersion?: unknown; additionalVersionWeights?: Record<string, number> }> }>) : [];
      return routedAliases.map((live) => {
        const alias = list.find((fn) => fn.name === live.functionName && (fn.region === undefined || fn.region === live.region))?.aliases?.find((candidate) => candidate.name === live.alias);
        const extra = Object.entries(alias?.additionalVersionWeights ?? {}).map(([version, share]) => ({ version, share }));
        const routing = alias === undefined ? [] : [{ version: String(alias.functionVersion), share: 1 - extra.reduce((sum, entry) => sum + entry.share, 0) }, ...extra];
        return { account: live.account, region: live.region, functionName: live.functionName, alias: live.alias, routing };
      });
    },
    async describeDeployed() {
      const found: DeployedCluster[] = [];
      for (const group of deployed) {
        const target = targets({ account: group.account, cloudProvider: group.cloud });
        if (!target) continue;
        const cluster = clusterName(group.application, group.stack, group.detail);
        const described = await target.serverGroups.describeCluster({ account: group.account, location: group.region, cluster });
        if (!described.ok) {
          found.push({ account: group.account, region: group.region, cluster, problem: described.message, serverGroups: [] });
          continue;
        }
        const serverGroups: DeployedCluster['serverGroups'][number][] = [];
        for (const serverGroup of described.cluster.serverGroups) {
          const images = group.cloud === 'ecs' ? await taskDefinitionImages(group.region, serverGroup.launchConfig?.['taskDefinition']) : undefined;
          serverGroups.push({
            name: serverGroup.name,
            disabled: serverGroup.disabled,
            draining: serverGroup.draining === true,
            up: serverGroup.instances.filter((instance) => instance.health === 'Up').length,
            instances: serverGroup.instances.length,
            capacity: serverGroup.capacity,
            ...(images !== undefined ? { images } : {}),
          });
        }
        found.push({ account: group.account, region: group.region, cluster, serverGroups });
      }
      return found;
    },
    servingCapacity() {
      // Only the three services that say who serves: a whole snapshot (metrics included) many times a second costs the run.
      const services: Record<string, Record<string, unknown> | undefined> = Object.fromEntries(['elasticloadbalancing', 'autoscaling', 'ecs'].map((name) => [name, simulator.service(name)?.snapshot()]));
      const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : []);
      // What a load balancer sends traffic to: targets in state healthy, by id (instance id or task IP),
      // in target groups a listener rule weighs above 0 (ECS blue/green's alternate group waits at 0).
      const elb = services['elasticloadbalancing'];
      const weighted = new Set(
        list(elb?.['listeners'])
          .flatMap((listener) => list(listener['rules']))
          .flatMap((rule) => list(rule['forward']))
          .filter((forward) => Number(forward['weight']) > 0)
          .map((forward) => String(forward['arn'])),
      );
      const healthy = new Set(
        list(elb?.['targetGroups'])
          .filter((group) => weighted.has(String(group['targetGroupArn'])))
          .flatMap((group) => list(group['targets']).filter((target) => target['state'] === 'healthy').map((target) => String(target['id']))),
      );
      const groups = list(services['autoscaling']?.['autoScalingGroups']);
      const ecsServices = list(services['ecs']?.['services']);
      return deployed.map((group) => {
        const cluster = clusterName(group.application, group.stack, group.detail);
        const member = new RegExp(`^${cluster.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-v\\d{3}$`);
        const ids =
          group.cloud === 'ecs'
            ? ecsServices.filter((service) => (member.test(String(service['name'])) || service['name'] === cluster) && service['region'] === group.region).flatMap((service) => list(service['tasks']).map((task) => String(task['ip'])))
            : groups.filter((asg) => member.test(String(asg['name']))).flatMap((asg) => list(asg['instances']).map((instance) => String(instance['instanceId'])));
        return { cluster: `${cluster} (${group.account}, ${group.region})`, healthy: ids.filter((id) => healthy.has(id)).length };
      });
    },
    callCounts: () => countCalls(simulator.calls().slice(callsBefore).map((call) => `${call.service}:${call.action}`)),
    describe: () => describeSnapshot(simulator.snapshot()),
    async close() {
      stopClock();
      for (const set of byRegion.values()) for (const client of Object.values(set)) (client as { destroy(): void }).destroy();
      await simulator.close();
    },
  };
}

/** AWS's region names (`us-west-2`, `ap-southeast-5`, `us-gov-east-1`): a canary scope's location that is one picks the CloudWatch region. */
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d{1,2}$/;

/** Seeds what the pipelines assume, once per name (a second `prepare` adds only what is new). */
function seedWorld(simulator: AwsSimulator, world: AssumedWorld, seen: Set<string>, traffic: LambdaTraffic): SeededResource[] {
  const seeded: SeededResource[] = [];

  for (const region of world.regions.values()) {
    for (const image of region.images) {
      if (seen.has(`image|${region.region}|${image}`)) continue;
      const isId = /^ami-[0-9a-f]+$/.test(image);
      const { imageId } = simulator.seed.ec2.image(isId ? { region: region.region, id: image, name: `sandbox-${image}` } : { region: region.region, name: image });
      seen.add(`image|${region.region}|${image}`);
      seeded.push({ kind: 'image', id: imageId, detail: isId ? `${region.region}` : `${image}, ${region.region}` });
    }
    for (const [purpose, zones] of region.subnets) {
      for (const az of zones) {
        const key = `subnet|${purpose}|${az}`;
        if (seen.has(key)) continue;
        const { subnetId } = simulator.seed.ec2.subnet({ region: region.region, az, purpose, name: `${purpose} (${az})` });
        seen.add(key);
        seeded.push({ kind: 'subnet', id: subnetId, detail: `${purpose}, ${az}` });
      }
    }
    for (const group of region.securityGroups) {
      if (seen.has(`sg|${region.region}|${group}`)) continue;
      const isId = /^sg-[0-9a-f]+$/.test(group);
      const { groupId } = simulator.seed.ec2.securityGroup(isId ? { region: region.region, id: group, name: `sandbox-${group}` } : { region: region.region, name: group });
      seen.add(`sg|${region.region}|${group}`);
      seeded.push({ kind: 'security group', id: groupId, detail: isId ? region.region : `${group}, ${region.region}` });
    }
    for (const object of region.codeObjects) {
      if (seen.has(`code|${object}`)) continue;
      const at = object.indexOf('/');
      const seededObject = simulator.seed.lambda.codeObject({ bucket: object.slice(0, at), key: object.slice(at + 1) });
      seen.add(`code|${object}`);
      const faulty = isFaultyPackage(object);
      if (faulty) traffic.faulty(seededObject.codeSha256);
      const behaviour = faulty ? `, a faulty build: its versions fail ${FAULTY_ERROR_RATE * 100}% of their invocations` : '';
      seeded.push({ kind: 'code object', id: `s3://${object}`, detail: `${seededObject.size} bytes, sha256 ${seededObject.codeSha256.slice(0, 12)}…${behaviour}` });
    }
    for (const name of region.ecsClusters) {
      if (seen.has(`ecs|${region.region}|${name}`)) continue;
      const { clusterArn } = simulator.seed.ecs.cluster({ name, region: region.region });
      seen.add(`ecs|${region.region}|${name}`);
      seeded.push({ kind: 'ECS cluster', id: clusterArn, detail: `${name}, ${region.region}` });
    }
    const fresh = [...region.targetGroups.values()].filter((group) => !seen.has(`tg|${region.region}|${group.name}`));
    for (const group of fresh) {
      // Health checks every 10 s, healthy after 2 and a 30 s drain: a well-tuned target group.
      const { targetGroupArn } = simulator.seed.elbv2.targetGroup({
        region: region.region,
        name: group.name,
        port: group.port ?? 80,
        targetType: group.targetType,
        deregistrationDelaySeconds: 30,
        healthCheckIntervalSeconds: 10,
        healthyThresholdCount: 2,
      });
      seen.add(`tg|${region.region}|${group.name}`);
      seeded.push({ kind: 'target group', id: targetGroupArn, detail: `${group.name}, port ${group.port ?? 80}` });
    }
    // The alternate groups of ECS blue/green live behind their production group's load balancer, in its rules.
    const alternates = new Set([...region.listenerRules.values()].map((rule) => rule.alternate));
    const listenerOf = new Map<string, string>();
    // Targets turn healthy only behind a listener: one load balancer per target group, as a service would have.
    for (const group of fresh.filter((candidate) => !alternates.has(candidate.name))) {
      const name = `${group.name}-lb`.slice(0, 32);
      const { loadBalancerArn, listenerArns } = simulator.seed.elbv2.loadBalancer({ region: region.region, name, listeners: [{ port: 80, targetGroups: [{ name: group.name }] }] });
      listenerOf.set(group.name, listenerArns[0]!);
      seeded.push({ kind: 'load balancer', id: loadBalancerArn, detail: `${name}, listener 80 → ${group.name}` });
    }
    let priority = 1;
    for (const [ruleArn, { production, alternate }] of region.listenerRules) {
      const listenerArn = listenerOf.get(production);
      if (seen.has(`rule|${ruleArn}`) || listenerArn === undefined) continue;
      simulator.seed.elbv2.rule(listenerArn, { arn: ruleArn, priority: priority++, targetGroups: [{ name: production, weight: 100 }, { name: alternate, weight: 0 }] });
      seen.add(`rule|${ruleArn}`);
      seeded.push({ kind: 'listener rule', id: ruleArn, detail: `/* → ${production} 100%, ${alternate} 0% (ECS blue/green moves the weights)` });
    }
  }
  return seeded;
}
