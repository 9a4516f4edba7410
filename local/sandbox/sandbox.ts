/**
 * The simulated clouds of `--sandbox`, as one: AWS (local/sandbox/aws-sandbox.ts) from the start,
 * and Kubernetes (local/sandbox/kubernetes-sandbox.ts) and Compute Engine
 * (local/sandbox/gce-sandbox.ts) started the first time a pipeline names an account of theirs, so
 * a run that deploys only to AWS never loads the Kubernetes or Google clients. An
 * account is served by the cloud its stages name; `serve`, the call counts and the description
 * cover both.
 */
import type { Account } from '../../core/ports/accounts.ts';
import type { TargetLookup } from '../../core/ports/target.ts';
import type { GceDescription } from '../../sandbox/gce/server.ts';
import type { KubernetesDescription } from '../../sandbox/kubernetes/server.ts';
import type { GceSandbox } from './gce-sandbox.ts';
import { assumedGceWorld } from './gce-world.ts';
import { startAwsSandbox, type AwsSandbox, type AwsSandboxOptions, type DeployedCluster, type SeededResource } from './aws-sandbox.ts';
import type { ServingSample } from './capacity-watch.ts';
import type { SandboxDescription } from './describe.ts';
import type { DeployedWorkload, KubernetesSandbox } from './kubernetes-sandbox.ts';
import { assumedKubernetesWorld } from './kubernetes-world.ts';
import { assumedCanaryWorld } from './kubernetes-canary-world.ts';
import type { RuntimeSeeds } from './runtime-seeds.ts';
import { createSandboxArtifacts } from './sandbox-artifacts.ts';
import type { ArtifactContentPort, ArtifactToFetch } from '../../core/ports/artifact-content.ts';
import type { JsonObject } from '../../core/ports/execution-store.ts';

export type { DeployedCluster, SeededResource } from './aws-sandbox.ts';
export type { DeployedWorkload } from './kubernetes-sandbox.ts';

/** What the simulated clouds hold now: AWS's resources, and the Kubernetes cluster and Compute Engine once served. */
export type FullSandboxDescription = SandboxDescription & { readonly kubernetes?: KubernetesDescription; readonly gce?: GceDescription };

export interface Sandbox {
  readonly aws: AwsSandbox;
  /** The target of an account the sandbox serves, on whichever simulated cloud serves it. */
  readonly targets: TargetLookup;
  accounts(): readonly Account[];
  /** Simulated seconds per wall-clock second. */
  readonly speed: number;
  /** The simulated clock a run should keep (ms since the epoch): the Kubernetes cluster's once one is served, else AWS's. */
  now(): number;
  /**
   * Serves the accounts these pipelines name and seeds what they assume on each cloud; answers,
   * besides, the metrics accounts their canary stages read (the simulated Prometheus) and what the
   * runtime must hold before the run (local/sandbox/runtime-seeds.ts).
   */
  serve(pipelines: readonly unknown[], parameters?: Readonly<Record<string, string>>): Promise<ServedSandbox>;
  /** AWS clusters the last `serve`'s pipelines deploy to, as their targets describe them now. */
  describeDeployed(): Promise<DeployedCluster[]>;
  /** Kubernetes workloads in the namespaces the last `serve`'s pipelines use, now. */
  describeWorkloads(): DeployedWorkload[];
  /** Healthy capacity in traffic per cluster (Service) the last `serve`'s pipelines use, from the simulators' own state. */
  servingCapacity(): ServingSample[];
  /** The calls since the last `serve`, on every cloud, most first. */
  callCounts(): Array<{ readonly call: string; readonly count: number }>;
  describe(): FullSandboxDescription;
  /**
   * Reads an artifact from the sandbox's artifact accounts when it names one of them (or names
   * none and they read its type), else through `fallback` (the runtime's own accounts).
   */
  artifactContent(fallback: ArtifactContentPort): ArtifactContentPort;
  close(): Promise<void>;
}

/** What `serve` answers. */
export interface ServedSandbox {
  readonly accounts: readonly Account[];
  readonly seeded: readonly SeededResource[];
  readonly triggerArtifacts: readonly JsonObject[];
  /** Metrics accounts of the canary stages, on the simulated cluster's Prometheus. */
  readonly metricsAccounts?: ReadonlyArray<{ readonly name: string; readonly type: 'prometheus'; readonly url: string }>;
  /** Canary configs and stand-in pipelines to seed in the runtime (runtime-seeds.ts `seedRuntime`). */
  readonly runtimeSeeds?: RuntimeSeeds;
}

/** Starts the simulated AWS now; Kubernetes on first need. */
export async function startSandbox(options: AwsSandboxOptions = {}): Promise<Sandbox> {
  // One set of artifact accounts: a document the pipeline reads is where its account says, whichever cloud reads it.
  const artifacts = createSandboxArtifacts();
  const aws = await startAwsSandbox({ ...options, artifacts });
  let kubernetes: KubernetesSandbox | undefined;
  let starting: Promise<KubernetesSandbox> | undefined;
  const kubernetesSandbox = (): Promise<KubernetesSandbox> => {
    starting ??= import('./kubernetes-sandbox.ts').then(async ({ startKubernetesSandbox }) => {
      kubernetes = await startKubernetesSandbox({ speed: aws.speed, artifacts, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
      return kubernetes;
    });
    return starting;
  };
  let servedKubernetes = false;
  let gce: GceSandbox | undefined;
  let startingGce: Promise<GceSandbox> | undefined;
  const gceSandbox = (): Promise<GceSandbox> => {
    startingGce ??= import('./gce-sandbox.ts').then(async ({ startGceSandbox }) => {
      gce = await startGceSandbox({ speed: aws.speed, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
      return gce;
    });
    return startingGce;
  };
  let servedGce = false;

  /** Serves the pipelines' `gce` accounts, starting Compute Engine the first time one is named. */
  const serveGce = async (pipelines: readonly unknown[], parameters: Readonly<Record<string, string>>) => {
    servedGce = assumedGceWorld(pipelines, parameters).accounts.length > 0;
    if (!servedGce && !gce) return undefined;
    return (await gceSandbox()).serve(pipelines, parameters);
  };
  const withGce = (fromAws: Awaited<ReturnType<AwsSandbox['serve']>>, fromGce: Awaited<ReturnType<GceSandbox['serve']>> | undefined): Awaited<ReturnType<AwsSandbox['serve']>> =>
    fromGce ? { ...fromAws, accounts: [...fromAws.accounts, ...fromGce.accounts], seeded: [...fromAws.seeded, ...fromGce.seeded] } : fromAws;

  return {
    aws,
    targets: (key) => {
      if (key.cloudProvider === 'kubernetes') return kubernetes?.targets(key);
      if (key.cloudProvider === 'gce') return gce?.targets(key);
      return aws.targets(key) ?? kubernetes?.targets(key) ?? gce?.targets(key);
    },
    accounts: () => [...aws.accounts(), ...(kubernetes?.accounts() ?? []), ...(gce?.accounts() ?? [])],
    speed: aws.speed,
    now: () => (kubernetes && servedKubernetes ? kubernetes.simulator.now() : aws.simulator.now()),
    async serve(pipelines, parameters = {}) {
      const fromAws = withGce(await aws.serve(pipelines, parameters), await serveGce(pipelines, parameters));
      servedKubernetes = assumedKubernetesWorld(pipelines, parameters).accounts.length > 0;
      if (!servedKubernetes && !kubernetes) return fromAws;
      const cluster = await kubernetesSandbox();
      const fromKubernetes = await cluster.serve(pipelines, parameters);
      // Canary stages of a Kubernetes pipeline read the cluster's Prometheus.
      const canaries = servedKubernetes ? assumedCanaryWorld(pipelines, parameters) : { metricsAccounts: [], canaryConfigs: [], standIns: [] };
      const prometheus = `${cluster.simulator.url}/prometheus`;
      const metricsAccounts = canaries.metricsAccounts.map((account) => ({ name: account.name, type: 'prometheus' as const, url: prometheus }));
      const seededAccounts = metricsAccounts.map((account) => ({ kind: 'metrics account', id: account.name, detail: `prometheus at ${account.url}` }));
      return {
        accounts: [...fromAws.accounts, ...fromKubernetes.accounts],
        seeded: [...fromAws.seeded, ...fromKubernetes.seeded, ...seededAccounts],
        triggerArtifacts: fromAws.triggerArtifacts,
        metricsAccounts,
        runtimeSeeds: { canaryConfigs: canaries.canaryConfigs, standIns: canaries.standIns },
      };
    },
    describeDeployed: async () => [...(await aws.describeDeployed()), ...(gce && servedGce ? await gce.describeDeployed() : [])],
    describeWorkloads: () => (kubernetes && servedKubernetes ? kubernetes.describeDeployed() : []),
    servingCapacity: () => [...aws.servingCapacity(), ...(gce && servedGce ? gce.servingCapacity() : []), ...(kubernetes && servedKubernetes ? kubernetes.servingCapacity() : [])],
    callCounts: () => [...aws.callCounts(), ...(kubernetes?.callCounts() ?? []), ...(gce?.callCounts() ?? [])].sort((a, b) => b.count - a.count || a.call.localeCompare(b.call)),
    describe: () => ({ ...aws.describe(), ...(kubernetes ? { kubernetes: kubernetes.describe() } : {}), ...(gce ? { gce: gce.describe() } : {}) }),
    artifactContent: (fallback) => ({
      get types() {
        return [...new Set([...artifacts.port.types, ...fallback.types])].sort();
      },
      fetch: (artifact: ArtifactToFetch) => (artifacts.holds(artifact) ? artifacts.port.fetch(artifact) : fallback.fetch(artifact)),
    }),
    async close() {
      await Promise.all([aws.close(), starting?.then((cluster) => cluster.close()), startingGce?.then((compute) => compute.close())]);
    },
  };
}
