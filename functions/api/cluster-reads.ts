/**
 * The reads behind Gate's cluster and server-group routes: which clusters an application has
 * (core/deploy/known-clusters.ts: what its pipelines deploy to and its executions created), and
 * each one described by its account's deploy target now. Nothing is cached: every answer is
 * the targets' describe of the moment.
 *
 * Loaded on demand with the first cluster route (scripts/build.js ON_DEMAND_MODULES: cluster-reads.mjs
 * beside the API's index.mjs), with the code only those routes use: Clouddriver's shapes, the
 * target server group resolution and, on AWS, the accounts' read-only targets.
 *
 * A cloud that fails to answer is the cloud's failure, not the API's: throttled or unreachable
 * is 503 (the same read may succeed later), refused (access denied, a role that does not trust
 * the caller) or broken is 502, a region the account does not have is 400; each one line naming
 * the cluster, the account and the location.
 */
import type { ClusterPlace } from '../../core/deploy/known-clusters.ts';
import { clustersOfExecutionStages, clustersOfPipeline, placesOfApplication } from '../../core/deploy/known-clusters.ts';
import type { AccountRegistry } from '../../core/ports/accounts.ts';
import { runnableConfigOf, type ExecutionStore } from '../../core/ports/execution-store.ts';
import type { ClusterDescription, ClusterRef, PortFailureReason } from '../../core/ports/server-groups.ts';
import type { Target, TargetKey } from '../../core/ports/target.ts';
import { configuredAccountTargets, type ConfiguredTargetsOptions } from '../aws-account-targets.ts';

export { toClouddriverCluster, toClouddriverServerGroup, toClusterSummary, toExpandedServerGroup, toServerGroupSummary } from '../../core/deploy/clouddriver-shape.ts';
export { parseTargetServerGroup, resolveTargetServerGroup } from '../../core/deploy/targeting.ts';

/** What the API uses of an account's deploy target: its cloud provider, its describe (cluster routes) and its look at what a cluster names (pipeline saves). */
export interface ReadTarget {
  readonly cloudProvider: Target['cloudProvider'];
  readonly serverGroups: Pick<Target['serverGroups'], 'describeCluster' | 'checkCluster'>;
}

/** The read target of an account by name, and the cloud provider a stage names (a TargetLookup is one). */
export type ReadTargetLookup = (query: TargetKey) => ReadTarget | undefined;

/** How many of the application's newest executions are read for the clusters they deployed. */
const EXECUTIONS_READ = 50;

/** One cluster in one location, described, with its account's cloud provider. */
export interface DescribedPlace {
  readonly place: ClusterPlace;
  readonly cloudProvider: string;
  readonly cluster: ClusterDescription;
}

/** A describe that failed: the HTTP status it is answered with, and one line. */
export interface DescribeFailure {
  readonly ok: false;
  readonly status: 400 | 502 | 503;
  readonly message: string;
}

export type DescribeAnswer = { readonly ok: true; readonly described: readonly DescribedPlace[] } | DescribeFailure;

/** The status of a target's failure: the cloud's own fault is a gateway's (502/503), a bad location the caller's (400). */
function statusOf(reason: PortFailureReason): DescribeFailure['status'] {
  if (reason === 'unavailable') return 503;
  if (reason === 'invalid') return 400;
  return 502;
}

/** The first line of a thrown error's message. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'no reason given';
}

/**
 * One cluster described by `target`: its description, or the failure as a status and one line
 * naming the cluster, the account and the location; a target that throws (its module failed to
 * load, a bug) is a 502 and goes to `log`.
 */
export async function describeThrough(target: ReadTarget, place: ClusterRef, log?: (message: string, error: unknown) => void): Promise<{ readonly ok: true; readonly cluster: ClusterDescription } | DescribeFailure> {
  const where = `describing cluster '${place.cluster}' in account '${place.account}' (${place.location}) failed`;
  try {
    const result = await target.serverGroups.describeCluster(place);
    if (result.ok) return result;
    // A target's advice is for stages, which the state machine retries; a read is retried by its caller.
    const message = result.reason === 'unavailable' ? `${result.message.replace(/; it will be tried again$/, '')}; try the read again in a moment` : result.message;
    return { ok: false, status: statusOf(result.reason), message: `${where}: ${message}` };
  } catch (error) {
    log?.(where, error);
    return { ok: false, status: 502, message: `${where}: ${firstLine(error)}` };
  }
}

export interface ClusterReads {
  /** Where the application's clusters are, as far as its pipelines and executions tell. */
  knownPlaces(application: string): Promise<ClusterPlace[]>;
  /** The locations to describe a cluster in: those asked for, else the account's regions and the places known for it. */
  locationsFor(account: string, cluster: string, known: readonly ClusterPlace[]): string[];
  /** Describes each place through its account's target; places whose account has no target here are left out. */
  describe(places: readonly ClusterPlace[]): Promise<DescribeAnswer>;
}

export function createClusterReads(deps: {
  readonly store: ExecutionStore;
  readonly targets?: ReadTargetLookup;
  readonly accounts: AccountRegistry;
  /** Where the faults of targets that throw go. @default nowhere */
  readonly log?: (message: string, error: unknown) => void;
}): ClusterReads {
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
          const result = await describeThrough(target, place, deps.log);
          return result.ok ? { ok: true as const, value: { place, cloudProvider: target.cloudProvider, cluster: result.cluster } } : result;
        }),
      );
      const failure = described.find((answer) => answer !== undefined && !answer.ok);
      if (failure !== undefined && !failure.ok) return failure;
      return { ok: true, described: described.flatMap((answer) => (answer !== undefined && answer.ok ? [answer.value] : [])) };
    },
  };
}

/**
 * The inline session policy of the API's sessions in the deploy accounts: describe, list and get
 * calls of the services the targets read (`describeCluster`) and look in at a save
 * (`checkCluster`), nothing that changes anything. AWS grants a session
 * what both the account's role and this policy allow, so the API's reads cannot deploy even
 * through a role that can.
 */
export const READ_ONLY_SESSION_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'GennakerReads',
      Effect: 'Allow',
      Action: [
        'ec2:Describe*',
        'autoscaling:Describe*',
        'elasticloadbalancing:Describe*',
        'ecs:Describe*',
        'ecs:List*',
        'application-autoscaling:Describe*',
      ],
      Resource: '*',
    },
  ],
});

/**
 * The API's targets of the configured accounts on AWS: the stage runner's (functions/aws-account-targets.ts),
 * each account read through its `readRole` when it has one (a role that may only describe), else
 * its `assumeRole`, every session limited to describe calls (READ_ONLY_SESSION_POLICY).
 */
export function accountReadTargets(options: Omit<ConfiguredTargetsOptions, 'sessionPolicy'>): ReadTargetLookup {
  const accounts = options.accounts.map((account) => (account.readRole !== undefined ? { ...account, assumeRole: account.readRole } : account));
  return configuredAccountTargets({ ...options, accounts, sessionPolicy: READ_ONLY_SESSION_POLICY });
}
