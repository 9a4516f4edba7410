/**
 * The simulated clouds of `--sandbox`, as one: AWS (local/sandbox/aws-sandbox.ts), Kubernetes
 * (local/sandbox/kubernetes-sandbox.ts) and Compute Engine (local/sandbox/gce-sandbox.ts), each
 * started the first time a pipeline names an account of its own, so a run that deploys only to
 * Kubernetes never loads the AWS or Google clients (nor their simulators' memory). An account is
 * served by the cloud its stages name; `serve`, the call counts and the description cover them all.
 */
import type { Account } from '../../core/ports/accounts.ts';
import type { TargetLookup } from '../../core/ports/target.ts';
import type { GceDescription } from '../../sandbox/gce/server.ts';
import type { KubernetesDescription } from '../../sandbox/kubernetes/server.ts';
import type { AwsSandbox, DeployedAlias, DeployedCluster, SeededResource } from './aws-sandbox.ts';
import type { AwsSimulator } from '../../sandbox/aws/server.ts';
import type { MetricsAccountOption } from '../wiring.ts';
import type { ServingSample } from './capacity-watch.ts';
import { describeSnapshot, s3ObjectsOf, type SandboxDescription } from './describe.ts';
import type { GceSandbox } from './gce-sandbox.ts';
import { assumedGceWorld } from './gce-world.ts';
import type { DeployedWorkload, KubernetesSandbox } from './kubernetes-sandbox.ts';
import { assumedKubernetesWorld } from './kubernetes-world.ts';
import { assumedCanaryWorld } from './kubernetes-canary-world.ts';
import type { RuntimeSeeds } from './runtime-seeds.ts';
import { createSandboxArtifacts } from './sandbox-artifacts.ts';
import { createSandboxS3, type SandboxS3Object, type SeededS3Object } from './sandbox-s3.ts';
import { assumedWorld } from './world.ts';
import type { ArtifactContentPort, ArtifactToFetch } from '../../core/ports/artifact-content.ts';
import type { JsonObject } from '../../core/ports/execution-store.ts';

export type { DeployedAlias, DeployedCluster, SeededResource } from './aws-sandbox.ts';
export type { DeployedWorkload } from './kubernetes-sandbox.ts';

/** What the simulated clouds hold now: AWS's resources, and the Kubernetes cluster and Compute Engine once served. */
export type FullSandboxDescription = SandboxDescription & { readonly kubernetes?: KubernetesDescription; readonly gce?: GceDescription };

/** How the sandbox runs. */
export interface SandboxOptions {
  /** Simulated seconds per wall-clock second. @default 30 */
  readonly speed?: number;
  /** The simulators' seed: the same seed replays the same ids. @default 1 */
  readonly seed?: number;
}

export interface Sandbox {
  /** The target of an account the sandbox serves, on whichever simulated cloud serves it. */
  readonly targets: TargetLookup;
  accounts(): readonly Account[];
  /** Simulated seconds per wall-clock second. */
  readonly speed: number;
  /** The simulated clock a run should keep (ms since the epoch): the Kubernetes cluster's once one is served, else a served cloud's. */
  now(): number;
  /** The clock (ms since the epoch) of the simulated cloud whose metrics a query type reads (prometheus: the cluster's; cloudwatch: AWS's), once it runs. */
  metricsNow(type: string): number | undefined;
  /**
   * Serves the accounts these pipelines name and seeds what they assume on each cloud; answers,
   * besides, the metrics accounts their canary stages read (the simulated Prometheus, the
   * simulated CloudWatch) and what the runtime must hold before the run (local/sandbox/runtime-seeds.ts).
   */
  serve(pipelines: readonly unknown[], parameters?: Readonly<Record<string, string>>): Promise<ServedSandbox>;
  /** AWS and GCE clusters the last `serve`'s pipelines deploy to, as their targets describe them now. */
  describeDeployed(): Promise<DeployedCluster[]>;
  /** Lambda aliases the last `serve`'s pipelines route, as the simulated AWS holds them now. */
  describeAliases(): DeployedAlias[];
  /** The simulated AWS once a pipeline named one of its accounts (its call, event and query logs), else undefined. */
  awsSimulator(): AwsSimulator | undefined;
  /** Kubernetes workloads in the namespaces the last `serve`'s pipelines use, now. */
  describeWorkloads(): DeployedWorkload[];
  /** Healthy capacity in traffic per cluster (Service) the last `serve`'s pipelines use, from the simulators' own state. */
  servingCapacity(): ServingSample[];
  /** The calls since the last `serve`, on every cloud, most first. */
  callCounts(): Array<{ readonly call: string; readonly count: number }>;
  describe(): FullSandboxDescription;
  /**
   * Reads an artifact from the sandbox's artifact accounts when it names one of them (or names
   * none and they read its type), an `s3/object` from the simulated S3 whatever account it names,
   * else through `fallback` (the runtime's own accounts).
   */
  artifactContent(fallback: ArtifactContentPort): ArtifactContentPort;
  /** Puts objects in the simulated S3 (`--s3-object`), starting the AWS simulator; answers what it put. */
  putS3Objects(objects: readonly SandboxS3Object[]): Promise<SeededS3Object[]>;
  close(): Promise<void>;
}

/** What `serve` answers. */
export interface ServedSandbox {
  readonly accounts: readonly Account[];
  readonly seeded: readonly SeededResource[];
  readonly triggerArtifacts: readonly JsonObject[];
  /** Metrics accounts of the canary stages: the simulated cluster's Prometheus, the simulated AWS's CloudWatch. */
  readonly metricsAccounts?: readonly MetricsAccountOption[];
  /** Canary configs and stand-in pipelines to seed in the runtime (runtime-seeds.ts `seedRuntime`). */
  readonly runtimeSeeds?: RuntimeSeeds;
}

/**
 * The speed `--sandbox-speed` (`flag`), else `GENNAKER_SANDBOX_SPEED`, asks for (simulated
 * seconds per second, 1-10000), or undefined when neither is set; a value that is not such a
 * number throws one line naming where it came from.
 */
export function sandboxSpeedFrom(env: Readonly<Record<string, string | undefined>>, flag?: string): number | undefined {
  const [source, text] = flag !== undefined ? ['--sandbox-speed', flag] : ['GENNAKER_SANDBOX_SPEED', env['GENNAKER_SANDBOX_SPEED']];
  if (text === undefined || (flag === undefined && text.trim() === '')) return undefined;
  const speed = Number(text);
  if (text.trim() === '' || !(Number.isFinite(speed) && speed >= 1 && speed <= 10_000)) {
    throw new Error(`${source} is '${text}'; set simulated seconds per second, a number from 1 to 10000 (default 30)`);
  }
  return speed;
}

/** Starts nothing yet: each simulated cloud starts the first time a pipeline names one of its accounts. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const speed = options.speed ?? 30;
  if (!(speed > 0 && speed <= 10_000)) throw new Error(`sandbox speed ${speed} is out of range; give a number of simulated seconds per second between 1 and 10000`);
  const seed = options.seed !== undefined ? { seed: options.seed } : {};
  // One set of artifact accounts: a document the pipeline reads is where its account says, whichever cloud reads it.
  const artifacts = createSandboxArtifacts();

  /** One cloud, started on first need. */
  function lazily<T>(start: () => Promise<T>): { get(): Promise<T>; now(): T | undefined; started(): Promise<T> | undefined } {
    let value: T | undefined;
    let starting: Promise<T> | undefined;
    return {
      get: () =>
        (starting ??= start().then((made) => {
          value = made;
          return made;
        })),
      now: () => value,
      started: () => starting,
    };
  }
  const aws = lazily<AwsSandbox>(async () => (await import('./aws-sandbox.ts')).startAwsSandbox({ speed, artifacts, ...seed }));
  const kubernetes = lazily<KubernetesSandbox>(async () => (await import('./kubernetes-sandbox.ts')).startKubernetesSandbox({ speed, artifacts, ...seed }));
  const gce = lazily<GceSandbox>(async () => (await import('./gce-sandbox.ts')).startGceSandbox({ speed, ...seed }));
  // S3 lives on the AWS sandbox's simulator when one runs; else on a bare AWS simulator, which
  // starts without the AWS sandbox's SDK clients (S3 alone needs none of them).
  const bare = lazily<AwsSimulator>(async () => (await import('../../sandbox/aws/server.ts')).startAwsSimulator({ seed: options.seed ?? 1, startTime: Date.now() }));
  const s3 = createSandboxS3(async () => (aws.started() ? (await aws.get()).simulator : bare.get()));
  // Which clouds the last `serve`'s pipelines use.
  let served = { aws: false, kubernetes: false, gce: false };

  return {
    targets: (key) => {
      if (key.cloudProvider === 'kubernetes') return kubernetes.now()?.targets(key);
      if (key.cloudProvider === 'gce') return gce.now()?.targets(key);
      return aws.now()?.targets(key) ?? kubernetes.now()?.targets(key) ?? gce.now()?.targets(key);
    },
    accounts: () => [...(aws.now()?.accounts() ?? []), ...(kubernetes.now()?.accounts() ?? []), ...(gce.now()?.accounts() ?? [])],
    speed,
    now: () => (served.kubernetes ? kubernetes.now()?.now() : undefined) ?? (served.aws ? aws.now()?.simulator.now() : undefined) ?? gce.now()?.simulator.now() ?? Date.now(),
    metricsNow: (type) => (type === 'prometheus' ? kubernetes.now()?.now() : type === 'cloudwatch' ? aws.now()?.simulator.now() : undefined),
    async serve(pipelines, parameters = {}) {
      served = {
        aws: assumedWorld(pipelines, parameters).accounts.length > 0,
        kubernetes: assumedKubernetesWorld(pipelines, parameters).accounts.length > 0,
        gce: assumedGceWorld(pipelines, parameters).accounts.length > 0,
      };
      // A cloud already started serves again (its call counts start over), one not named stays unstarted.
      const fromAws = served.aws || aws.now() ? await (await aws.get()).serve(pipelines, parameters) : undefined;
      const fromGce = served.gce || gce.now() ? await (await gce.get()).serve(pipelines, parameters) : undefined;
      const accounts = [...(fromAws?.accounts ?? []), ...(fromGce?.accounts ?? [])];
      const seeded = [...(fromAws?.seeded ?? []), ...(fromGce?.seeded ?? [])];
      const triggerArtifacts = fromAws?.triggerArtifacts ?? artifacts.triggerArtifacts();
      const cloudWatch = fromAws?.metricsAccounts ?? [];
      if (!served.kubernetes && !kubernetes.now()) return { accounts, seeded, triggerArtifacts, ...(cloudWatch.length > 0 ? { metricsAccounts: cloudWatch } : {}) };
      const cluster = await kubernetes.get();
      const fromKubernetes = await cluster.serve(pipelines, parameters);
      // Canary stages of a Kubernetes pipeline read the cluster's Prometheus.
      const canaries = served.kubernetes ? assumedCanaryWorld(pipelines, parameters) : { metricsAccounts: [], canaryConfigs: [], standIns: [] };
      const prometheus = `${cluster.simulator.url}/prometheus`;
      const prometheusAccounts = canaries.metricsAccounts.filter((account) => !cloudWatch.some((other) => other.name === account.name)).map((account) => ({ name: account.name, type: 'prometheus' as const, url: prometheus }));
      const metricsAccounts: MetricsAccountOption[] = [...cloudWatch, ...prometheusAccounts];
      const seededAccounts = prometheusAccounts.map((account) => ({ kind: 'metrics account', id: account.name, detail: `prometheus at ${account.url}` }));
      return {
        accounts: [...accounts, ...fromKubernetes.accounts],
        seeded: [...seeded, ...fromKubernetes.seeded, ...seededAccounts],
        triggerArtifacts,
        metricsAccounts,
        runtimeSeeds: { canaryConfigs: canaries.canaryConfigs, standIns: canaries.standIns },
      };
    },
    describeDeployed: async () => [...((served.aws ? await aws.now()?.describeDeployed() : undefined) ?? []), ...((served.gce ? await gce.now()?.describeDeployed() : undefined) ?? [])],
    describeWorkloads: () => (served.kubernetes ? (kubernetes.now()?.describeDeployed() ?? []) : []),
    describeAliases: () => (served.aws ? (aws.now()?.describeAliases() ?? []) : []),
    awsSimulator: () => aws.now()?.simulator,
    servingCapacity: () => [
      ...((served.aws ? aws.now()?.servingCapacity() : undefined) ?? []),
      ...((served.gce ? gce.now()?.servingCapacity() : undefined) ?? []),
      ...((served.kubernetes ? kubernetes.now()?.servingCapacity() : undefined) ?? []),
    ],
    callCounts: () =>
      [...(aws.now()?.callCounts() ?? []), ...(kubernetes.now()?.callCounts() ?? []), ...(gce.now()?.callCounts() ?? [])].sort((a, b) => b.count - a.count || a.call.localeCompare(b.call)),
    describe: () => {
      const compute = gce.now();
      const cluster = kubernetes.now();
      // AWS's part is empty until an AWS account is served.
      const fromAws = aws.now()?.describe() ?? describeSnapshot({ now: new Date(Date.now()).toISOString(), services: {} });
      // S3 on a bare simulator (no AWS account served): its objects all the same.
      const bareS3 = bare.now() ? s3ObjectsOf(bare.now()!.snapshot().services['s3'] ?? {}) : [];
      return { ...fromAws, ...(bareS3.length > 0 ? { s3Objects: bareS3 } : {}), ...(cluster ? { kubernetes: cluster.describe() } : {}), ...(compute ? { gce: compute.describe() } : {}) };
    },
    artifactContent: (fallback) => ({
      get types() {
        return [...new Set([...artifacts.port.types, ...fallback.types, 's3/object'])].sort();
      },
      fetch: async (artifact: ArtifactToFetch) => {
        if (artifact.type !== 's3/object') return artifacts.holds(artifact) ? artifacts.port.fetch(artifact) : fallback.fetch(artifact);
        // An object given with --s3-object first; else a document the sandbox made for the stage that reads it.
        const read = await s3.fetch(artifact);
        if (read.ok || read.reason !== 'not-found' || !artifacts.holds(artifact)) return read;
        const made = await artifacts.port.fetch(artifact);
        return made.ok ? made : read;
      },
    }),
    putS3Objects: (objects) => s3.put(objects),
    async close() {
      s3.close();
      await bare.started()?.then((simulator) => simulator.close());
      await Promise.all([aws.started()?.then((cloud) => cloud.close()), kubernetes.started()?.then((cloud) => cloud.close()), gce.started()?.then((cloud) => cloud.close())]);
    },
  };
}
