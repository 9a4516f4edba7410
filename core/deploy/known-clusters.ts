/**
 * The clusters of an application that Gennaker knows where to look for: the ones its saved
 * pipelines deploy to (a deploy stage's cluster entries, a cluster or server-group stage's
 * `cluster`), and the ones its executions created server groups in (`deploy.server.groups`).
 * Clouddriver lists clusters from its cache of the clouds; Gennaker keeps no cache, so the API
 * describes each of these where it lives and reports the ones that hold server groups.
 *
 * Pure: saved documents in, (account, location, cluster) triples out. Fields that still hold an
 * expression are skipped: only what is known without running anything counts.
 */
import type { JsonObject } from '../ports/execution-store.ts';
import { clusterName, parseClusterName, parseServerGroupName } from './names.ts';

/** One cluster in one location of one account. */
export interface ClusterPlace {
  readonly account: string;
  readonly location: string;
  readonly cluster: string;
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Plain text: not empty and without an expression. */
function literal(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' && !value.includes('${') ? value : undefined;
}

/** The locations a stage or cluster entry names: availabilityZones keys, else regions, else region (as the deploy reads them). */
function locationsOf(entry: Readonly<Record<string, unknown>>): string[] {
  if (isObject(entry['availabilityZones'])) return Object.keys(entry['availabilityZones']).filter((key) => literal(key) !== undefined);
  if (Array.isArray(entry['regions'])) return entry['regions'].flatMap((region) => literal(region) ?? []);
  const region = literal(entry['region']) ?? literal(entry['location']) ?? literal(entry['namespace']);
  return region === undefined ? [] : [region];
}

/** The stages of a pipeline document that are objects. */
function stagesOf(config: JsonObject): Array<Readonly<Record<string, unknown>>> {
  return Array.isArray(config['stages']) ? config['stages'].filter(isObject) : [];
}

/** The clusters a pipeline document deploys to or acts on. */
export function clustersOfPipeline(config: JsonObject): ClusterPlace[] {
  const application = literal(config['application']);
  const found: ClusterPlace[] = [];
  for (const stage of stagesOf(config)) {
    const entries = Array.isArray(stage['clusters']) ? stage['clusters'].filter(isObject) : isObject(stage['cluster']) ? [stage['cluster']] : [];
    for (const entry of entries) {
      const account = literal(entry['account']) ?? literal(entry['credentials']);
      const app = literal(entry['application']) ?? application;
      if (account === undefined || app === undefined) continue;
      const stack = entry['stack'] === undefined ? undefined : literal(entry['stack']);
      const detail = entry['freeFormDetails'] === undefined ? undefined : literal(entry['freeFormDetails']);
      if ((entry['stack'] !== undefined && entry['stack'] !== '' && stack === undefined) || (entry['freeFormDetails'] !== undefined && entry['freeFormDetails'] !== '' && detail === undefined)) continue;
      const cluster = clusterName(app, stack, detail);
      for (const location of locationsOf(entry)) found.push({ account, location, cluster });
    }
    // Cluster and server-group stages (disableCluster, resizeServerGroup...) name the cluster, or a server group of it.
    const account = literal(stage['credentials']) ?? literal(stage['account']);
    const named = literal(stage['cluster']) ?? literal(stage['clusterName']) ?? parseServerGroupName(literal(stage['serverGroupName']) ?? literal(stage['asgName']) ?? '')?.cluster;
    if (account !== undefined && named !== undefined) {
      for (const location of locationsOf(stage)) found.push({ account, location, cluster: named });
    }
  }
  return found;
}

/**
 * The clusters an execution's stages created server groups in: Orca's `deploy.server.groups`
 * (location → server group names) with `deploy.account.name`, in each stage's context or outputs.
 */
export function clustersOfExecutionStages(stages: ReadonlyArray<{ readonly context: JsonObject; readonly outputs: JsonObject }>): ClusterPlace[] {
  const found: ClusterPlace[] = [];
  for (const stage of stages) {
    for (const fields of [stage.context, stage.outputs]) {
      const groups = fields['deploy.server.groups'];
      const account = literal(fields['deploy.account.name']) ?? literal(fields['credentials']) ?? literal(fields['account']);
      if (!isObject(groups) || account === undefined) continue;
      for (const [location, names] of Object.entries(groups)) {
        if (!Array.isArray(names)) continue;
        for (const name of names) {
          const cluster = typeof name === 'string' ? parseServerGroupName(name)?.cluster : undefined;
          if (cluster !== undefined) found.push({ account, location, cluster });
        }
      }
    }
  }
  return found;
}

/** The places of `application`'s clusters among `places`, each once, sorted by account, cluster and location. */
export function placesOfApplication(application: string, places: readonly ClusterPlace[]): ClusterPlace[] {
  const byKey = new Map<string, ClusterPlace>();
  for (const place of places) {
    if (parseClusterName(place.cluster)?.app.toLowerCase() !== application.toLowerCase()) continue;
    byKey.set(`${place.account}\u0000${place.cluster}\u0000${place.location}`, place);
  }
  return [...byKey.values()].sort((a, b) => a.account.localeCompare(b.account) || a.cluster.localeCompare(b.cluster) || a.location.localeCompare(b.location));
}
