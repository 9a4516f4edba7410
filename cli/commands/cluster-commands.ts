/**
 * `gennaker cluster describe APP CLUSTER` and `gennaker rollback APP CLUSTER`, through the API
 * of a running Gennaker (`gennaker up`).
 */
import type { ClusterDescription, ServerGroupDescription } from '../../adapters/targets/local/local-target-api.ts';
import { EXIT } from '../usage.ts';
import { executionWatch, type ApiCommandContext } from './api-commands.ts';

export interface ClusterOptions {
  /** @default 'local' */
  readonly account?: string;
  /** Comma-separated. @default 'local' */
  readonly regions?: string;
}

interface ClusterAnswer {
  readonly application: string;
  readonly account: string;
  readonly cluster: string;
  readonly regions: ReadonlyArray<Pick<ClusterDescription, 'location' | 'endpoint' | 'serverGroups' | 'trafficWeights'>>;
}

const segment = (value: string) => encodeURIComponent(value);

function regionsOf(options: ClusterOptions): string[] {
  return (options.regions ?? 'local').split(',').map((region) => region.trim()).filter((region) => region !== '');
}

/** One line per server group: name, state, capacity, healthy instances, share of traffic, version. */
export function serverGroupLine(group: ServerGroupDescription): string {
  const up = group.instances.filter((instance) => instance.health === 'Up').length;
  const state = group.disabled ? 'disabled' : 'enabled';
  const version = group.artifact.version ?? group.artifact.name ?? group.artifact.reference;
  const { min, desired, max } = group.capacity;
  return `${group.name.padEnd(28)} ${state.padEnd(8)} ${`${up}/${group.instances.length} up`.padEnd(9)} capacity ${min}/${desired}/${max}  traffic ${String(group.trafficWeight).padStart(3)}%  ${version}`;
}

/** The human rendering of a cluster: per region, its endpoint, then its server groups newest first. */
export function renderCluster(answer: ClusterAnswer): string[] {
  const lines: string[] = [];
  for (const region of answer.regions) {
    lines.push(`${answer.cluster} in ${answer.account}/${region.location}${region.endpoint ? `  (load balancer ${region.endpoint})` : ''}`);
    if (region.serverGroups.length === 0) {
      lines.push('  no server groups');
      continue;
    }
    for (const group of [...region.serverGroups].reverse()) {
      lines.push(`  ${serverGroupLine(group)}`);
      for (const instance of group.instances) lines.push(`      ${instance.id.padEnd(24)} ${instance.health.padEnd(8)} ${instance.address ?? ''}`.trimEnd());
    }
  }
  return lines;
}

/** `gennaker cluster describe APP CLUSTER [--account A] [--regions r1,r2] [--json]`. */
export async function clusterDescribe(context: ApiCommandContext, application: string, cluster: string, options: ClusterOptions): Promise<number> {
  const regions = regionsOf(options);
  const answer = await context.client.request<ClusterAnswer>(
    'GET',
    `/applications/${segment(application)}/clusters/${segment(options.account ?? 'local')}/${segment(cluster)}?regions=${segment(regions.join(','))}`,
  );
  if (context.json) context.io.emit({ kind: 'data', text: JSON.stringify(answer, null, 2) });
  else for (const line of renderCluster(answer)) context.io.emit({ kind: 'data', text: line });
  return EXIT.ok;
}

/** `gennaker rollback APP CLUSTER [--account A] [--regions r] [--reason R] [--watch]`: exit 0 once started (or, with --watch, iff it succeeded). */
export async function rollback(context: ApiCommandContext, application: string, cluster: string, options: ClusterOptions & { readonly reason?: string; readonly watch: boolean }): Promise<number> {
  const { ref } = await context.client.request<{ ref: string }>('POST', `/applications/${segment(application)}/clusters/${segment(cluster)}/rollback`, {
    account: options.account ?? 'local',
    regions: regionsOf(options),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
  });
  const executionId = ref.replace(/^\/pipelines\//, '');
  if (options.watch) {
    if (!context.json) context.io.emit({ kind: 'info', message: `rolling back ${cluster}: execution ${executionId}` });
    return executionWatch(context, executionId);
  }
  context.io.emit({ kind: 'data', text: context.json ? JSON.stringify({ executionId, ref }) : executionId });
  return EXIT.ok;
}
