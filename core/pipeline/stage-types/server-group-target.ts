/**
 * Where server-group and cluster stages act: an account (`credentials`), regions, and either a
 * cluster plus a dynamic target (newest, previous or oldest server group, resolved when the stage
 * runs — Orca's TargetServerGroup) or an explicit `serverGroupName`.
 */
import { z } from 'zod';
import { anyText, oneOf, optional, text, textList, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { error } from './definition.ts';

export const SERVER_GROUP_TARGETS = ['current_asg_dynamic', 'ancestor_asg_dynamic', 'oldest_asg_dynamic'] as const;
/** current = newest, ancestor = the one before it, oldest = the oldest in the cluster. */
export type ServerGroupTarget = (typeof SERVER_GROUP_TARGETS)[number];

/** A cluster in an account and some regions. */
export interface ClusterLocation {
  readonly cloudProvider?: string;
  readonly credentials: string;
  readonly cluster: string;
  readonly regions: readonly string[];
  /** Single-region form some stages use. */
  readonly region?: string;
  /** GCE zonal form. */
  readonly zones: readonly string[];
}

/** A server group picked by target within a cluster, or by name. */
export interface ServerGroupTargetConfig extends Omit<ClusterLocation, 'cluster'> {
  readonly cluster?: string;
  readonly target?: ServerGroupTarget;
  readonly serverGroupName?: string;
}

const locationFields = {
  cloudProvider: optional(anyText('the cloud provider')),
  credentials: text('the account to act in'),
  regions: withDefault(textList('regions'), []),
  region: optional(anyText('a region')),
  zones: withDefault(textList('zones'), []),
};

export const clusterLocationFields = {
  ...locationFields,
  cluster: text("the cluster, e.g. 'hello-prod'"),
};

export const serverGroupTargetFields = {
  ...locationFields,
  cluster: optional(text("the cluster, e.g. 'hello-prod'")),
  target: optional(oneOf(SERVER_GROUP_TARGETS, 'which server group of the cluster')),
  serverGroupName: optional(text("the server group's name, e.g. 'hello-prod-v003'")),
};

export const serverGroupTargetSchema: z.ZodType<ServerGroupTargetConfig> = z.looseObject(serverGroupTargetFields);
export const clusterLocationSchema: z.ZodType<ClusterLocation> = z.looseObject(clusterLocationFields);

/** Regions are needed, in one of their three spellings. */
export function checkRegions(config: Pick<ClusterLocation, 'regions' | 'region' | 'zones'>): ConfigIssue[] {
  if (config.regions.length > 0 || (config.region !== undefined && config.region.trim() !== '') || config.zones.length > 0) return [];
  return [error(['regions'], 'required', `'regions' is required; add the regions to act in, e.g. ["us-east-1"]`)];
}

/** Either cluster + target, or serverGroupName; and regions. */
export function checkServerGroupTarget(config: ServerGroupTargetConfig): ConfigIssue[] {
  const issues = checkRegions(config);
  if (config.serverGroupName !== undefined) return issues;
  if (config.cluster === undefined) {
    issues.push(error(['cluster'], 'required', "'cluster' is required; add the cluster with a target (e.g. 'hello-prod' and current_asg_dynamic), or name the server group with serverGroupName"));
  } else if (config.target === undefined) {
    issues.push(
      error(['target'], 'required', "'target' is required with cluster; add current_asg_dynamic (newest), ancestor_asg_dynamic (previous) or oldest_asg_dynamic (oldest)"),
    );
  }
  return issues;
}
