/**
 * The reads behind Gate's cluster and server-group routes: which clusters an application has
 * (core/deploy/known-clusters.ts: what its pipelines deploy to and its executions created), and
 * each one described by its account's deploy target now. Nothing is cached: every answer is
 * the targets' describe of the moment.
 */
import type { ClusterPlace } from '../../core/deploy/known-clusters.ts';
import { clustersOfExecutionStages, clustersOfPipeline, placesOfApplication } from '../../core/deploy/known-clusters.ts';
import type { AccountRegistry } from '../../core/ports/accounts.ts';
import { runnableConfigOf, type ExecutionStore } from '../../core/ports/execution-store.ts';
import type { ClusterDescription } from '../../core/ports/server-groups.ts';
import type { TargetLookup } from '../../core/ports/target.ts';

/** How many of the application's newest executions are read for the clusters they deployed. */
const EXECUTIONS_READ = 50;

/** One cluster in one location, described, with its account's cloud provider. */
export interface DescribedPlace {
  readonly place: ClusterPlace;
  readonly cloudProvider: string;
  readonly cluster: ClusterDescription;
}

export type DescribeAnswer = { readonly ok: true; readonly described: readonly DescribedPlace[] } | { readonly ok: false; readonly message: string };

export interface ClusterReads {
  /** Where the application's clusters are, as far as its pipelines and executions tell. */
  knownPlaces(application: string): Promise<ClusterPlace[]>;
  /** The locations to describe a cluster in: those asked for, else the account's regions and the places known for it. */
  locationsFor(account: string, cluster: string, known: readonly ClusterPlace[]): string[];
  /** Describes each place through its account's target; places whose account has no target here are left out. */
  describe(places: readonly ClusterPlace[]): Promise<DescribeAnswer>;
}

export function createClusterReads(deps: { readonly store: ExecutionStore; readonly targets?: TargetLookup; readonly accounts: AccountRegistry }): ClusterReads {
  const { store } = deps;
  return {
    async knownPlaces(application) {
      const configs = await store.listPipelineConfigs(application);
      const page = await store.listExecutions({ application }, { limit: EXECUTIONS_READ });
      const executions = await Promise.all(page.items.map((item) => store.getExecution(item.id)));
      return placesOfApplication(application, [
        ...configs.flatMap((version) => clustersOfPipeline({ ...runnableConfigOf(version), application: version.application })),
        ...executions.flatMap((execution) => (execution === undefined ? [] : clustersOfExecutionStages(execution.stages))),
      ]);
    },

    locationsFor(account, cluster, known) {
      const regions = deps.accounts.get(account)?.regions ?? [];
      const places = known.filter((place) => place.account === account && place.cluster.toLowerCase() === cluster.toLowerCase()).map((place) => place.location);
      const locations = [...new Set([...regions, ...places])];
      return locations.length > 0 ? locations : ['local'];
    },

    async describe(places) {
      const described = await Promise.all(
        places.map(async (place) => {
          const target = deps.targets?.({ account: place.account });
          if (target === undefined) return undefined;
          const result = await target.serverGroups.describeCluster(place);
          return result.ok
            ? { ok: true as const, value: { place, cloudProvider: target.cloudProvider, cluster: result.cluster } }
            : { ok: false as const, message: `describing cluster '${place.cluster}' in account '${place.account}' (${place.location}) failed: ${result.message}` };
        }),
      );
      const failure = described.find((answer) => answer !== undefined && !answer.ok);
      if (failure !== undefined && !failure.ok) return { ok: false, message: failure.message };
      return { ok: true, described: described.flatMap((answer) => (answer !== undefined && answer.ok ? [answer.value] : [])) };
    },
  };
}
