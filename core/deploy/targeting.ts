/**
 * Which server group a stage acts on (Orca's TargetServerGroup, resolved by clouddriver's
 * ClusterController.getTargetServerGroup): the cluster's server groups in the location,
 * optionally only enabled ones, newest first by createdTime; `current_asg_dynamic` is the
 * newest, `ancestor_asg_dynamic` the one before it, `oldest_asg_dynamic` the oldest (and, as in
 * clouddriver, an error when it would also be the newest). findImage's selection strategies use
 * the same ordering.
 */
import type { ServerGroup } from './model.ts';
import { newestFirst } from './model.ts';

export type DynamicTarget = 'current_asg_dynamic' | 'ancestor_asg_dynamic' | 'oldest_asg_dynamic';

/** A dynamic target within the cluster, or a server group by name. */
export type TargetSelector = { readonly target: DynamicTarget } | { readonly serverGroupName: string };

export type TargetResult =
  | { readonly ok: true; readonly serverGroup: ServerGroup }
  | { readonly ok: false; readonly reason: 'not-found' | 'ambiguous'; readonly message: string };

export interface TargetOptions {
  /** Only enabled server groups are candidates. @default false */
  readonly onlyEnabled?: boolean;
  /** Only server groups in this location are candidates. @default every location given */
  readonly location?: string;
  /** `oldest_asg_dynamic` needs two candidates (clouddriver's validateOldest). @default true */
  readonly validateOldest?: boolean;
  /** For messages: which cluster. */
  readonly cluster?: string;
}

function candidates(serverGroups: readonly ServerGroup[], options: TargetOptions): ServerGroup[] {
  return newestFirst(
    serverGroups.filter((serverGroup) => (options.location === undefined || serverGroup.location === options.location) && (!options.onlyEnabled || !serverGroup.disabled)),
  );
}

function where(options: TargetOptions): string {
  const cluster = options.cluster === undefined ? 'the cluster' : `cluster '${options.cluster}'`;
  return options.location === undefined ? cluster : `${cluster} in ${options.location}`;
}

function noServerGroups(options: TargetOptions): TargetResult {
  const enabled = options.onlyEnabled ? 'enabled ' : '';
  return {
    ok: false,
    reason: 'not-found',
    message: `No ${enabled}server groups found in ${where(options)}; deploy one first${options.onlyEnabled ? ', or enable one' : ''}`,
  };
}

const TARGET_NAMES: Readonly<Record<DynamicTarget, string>> = {
  current_asg_dynamic: 'newest',
  ancestor_asg_dynamic: 'previous',
  oldest_asg_dynamic: 'oldest',
};

/** Resolves a target over a cluster's server groups (see the module comment for the rules). */
export function resolveTarget(serverGroups: readonly ServerGroup[], selector: TargetSelector, options: TargetOptions = {}): TargetResult {
  if ('serverGroupName' in selector) {
    const found = serverGroups.find(
      (serverGroup) => serverGroup.name === selector.serverGroupName && (options.location === undefined || serverGroup.location === options.location),
    );
    if (found && (!options.onlyEnabled || !found.disabled)) return { ok: true, serverGroup: found };
    const known = candidates(serverGroups, { ...options, onlyEnabled: false }).map((serverGroup) => serverGroup.name);
    if (found) return { ok: false, reason: 'not-found', message: `server group '${selector.serverGroupName}' is disabled; enable it or target an enabled server group` };
    return {
      ok: false,
      reason: 'not-found',
      message: `Could not find server group '${selector.serverGroupName}' in ${where(options)}, found [${known.join(', ')}]; check serverGroupName`,
    };
  }
  const sorted = candidates(serverGroups, options);
  if (sorted.length === 0) return noServerGroups(options);
  const newest = sorted[0] as ServerGroup;
  switch (selector.target) {
    case 'current_asg_dynamic':
      return { ok: true, serverGroup: newest };
    case 'ancestor_asg_dynamic':
    case 'oldest_asg_dynamic': {
      const validate = selector.target === 'ancestor_asg_dynamic' || (options.validateOldest ?? true);
      if (validate && sorted.length === 1) {
        return {
          ok: false,
          reason: 'not-found',
          message: `Target not found (target: ${selector.target}): ${where(options)} has only ${newest.name}${options.onlyEnabled ? ' enabled' : ''}, and the ${TARGET_NAMES[selector.target]} server group must be another one; use current_asg_dynamic or deploy first`,
        };
      }
      const picked = selector.target === 'ancestor_asg_dynamic' ? sorted[1] : sorted[sorted.length - 1];
      return { ok: true, serverGroup: picked as ServerGroup };
    }
    default: {
      const unreachable: never = selector.target;
      return unreachable;
    }
  }
}

export type ImageSelectionStrategy = 'LARGEST' | 'NEWEST' | 'OLDEST' | 'FAIL';

/**
 * findImage's choice of server group (FindImageFromClusterTask → the same clouddriver target
 * endpoint): NEWEST, OLDEST (no second server group needed), LARGEST (most instances, newest on
 * a tie), FAIL (an error unless exactly one candidate). Only enabled ones by default, as the stage.
 */
export function selectImageServerGroup(
  serverGroups: readonly ServerGroup[],
  strategy: ImageSelectionStrategy,
  options: Omit<TargetOptions, 'validateOldest'> = {},
): TargetResult {
  const effective: TargetOptions = { ...options, onlyEnabled: options.onlyEnabled ?? true };
  const sorted = candidates(serverGroups, effective);
  if (sorted.length === 0) return noServerGroups(effective);
  switch (strategy) {
    case 'NEWEST':
      return { ok: true, serverGroup: sorted[0] as ServerGroup };
    case 'OLDEST':
      return { ok: true, serverGroup: sorted[sorted.length - 1] as ServerGroup };
    case 'LARGEST': {
      const largest = [...sorted].sort((a, b) => b.instances.length - a.instances.length || b.createdTime - a.createdTime);
      return { ok: true, serverGroup: largest[0] as ServerGroup };
    }
    case 'FAIL':
      if (sorted.length > 1) {
        return {
          ok: false,
          reason: 'ambiguous',
          message: `More than one target found (scope: ${effective.location ?? 'all locations'}, serverGroups: [${sorted.map((serverGroup) => serverGroup.name).join(', ')}]); selectionStrategy FAIL needs exactly one, so disable the others or choose NEWEST, OLDEST or LARGEST`,
        };
      }
      return { ok: true, serverGroup: sorted[0] as ServerGroup };
    default: {
      const unreachable: never = strategy;
      return unreachable;
    }
  }
}

/** Clouddriver's TargetServerGroup of a path: CURRENT (newest), PREVIOUS (ancestor), OLDEST, LARGEST, FAIL. */
export type TargetServerGroupName = 'CURRENT' | 'PREVIOUS' | 'OLDEST' | 'LARGEST' | 'FAIL';

const TARGET_ALIASES: ReadonlyArray<readonly [TargetServerGroupName, readonly string[]]> = [
  ['CURRENT', ['current', 'newest']],
  ['PREVIOUS', ['previous', 'ancestor']],
  ['OLDEST', ['oldest']],
  ['LARGEST', ['largest']],
  ['FAIL', ['fail']],
];

/** Reads a target as clouddriver's `TargetServerGroup.fromString`: a name or alias, in any case, optionally with `_asg` or `_asg_dynamic`. */
export function parseTargetServerGroup(text: string): TargetServerGroupName | undefined {
  const bare = text.toLowerCase().replace(/_asg(_dynamic)?$/, '');
  return TARGET_ALIASES.find(([, aliases]) => aliases.includes(bare))?.[0];
}

/**
 * The server group a target names among a cluster's (clouddriver's getTargetServerGroup): CURRENT
 * the newest, PREVIOUS the one before it, OLDEST the oldest (another than the newest unless
 * `validateOldest` is false), LARGEST the most instances (newest on a tie), FAIL the only one.
 */
export function resolveTargetServerGroup(serverGroups: readonly ServerGroup[], target: TargetServerGroupName, options: TargetOptions = {}): TargetResult {
  switch (target) {
    case 'CURRENT':
      return resolveTarget(serverGroups, { target: 'current_asg_dynamic' }, options);
    case 'PREVIOUS':
      return resolveTarget(serverGroups, { target: 'ancestor_asg_dynamic' }, options);
    case 'OLDEST':
      return resolveTarget(serverGroups, { target: 'oldest_asg_dynamic' }, options);
    case 'LARGEST':
    case 'FAIL':
      return selectImageServerGroup(serverGroups, target, { ...options, onlyEnabled: options.onlyEnabled ?? false });
    default: {
      const unreachable: never = target;
      return unreachable;
    }
  }
}
