/**
 * One account's target across its regions. Cloud adapters serve one region each (their SDK
 * clients are regional); a stage names the region in every call (`location`), so this routes each
 * call to the region's target, made on first use. A region the account does not list is refused
 * with the account's regions, before any cloud call.
 */
import type { ClusterCheckRequest } from '../../core/ports/cluster-checks.ts';
import type { ClusterCheckResult, ClusterRef, ContinueRolloutRequest, DescribeResult, OperationResult, PortFailure, ServerGroupPort, ServerGroupRef, SideEffect } from '../../core/ports/server-groups.ts';
import type { Target } from '../../core/ports/target.ts';
import type { TrafficPort, VerifyWeightsResult } from '../../core/ports/traffic.ts';

export interface RegionalTargetOptions {
  readonly account: string;
  /** The regions the account may act in; the first one's target answers the capabilities. */
  readonly regions: readonly string[];
  readonly cloudProvider: string;
  /** Builds the target of one region (called once per region). */
  readonly create: (region: string) => Target;
}

/** A target that hands each call to the target of the call's region. */
export function createRegionalTarget(options: RegionalTargetOptions): Target {
  const { account, regions, create } = options;
  if (regions.length === 0) throw new Error(`account '${account}' lists no regions; add at least one`);
  const byRegion = new Map<string, Target>();
  const regional = (region: string): Target | PortFailure => {
    if (!regions.includes(region)) {
      return { ok: false, reason: 'invalid', message: `region '${region}' is not one of account '${account}''s regions (${regions.join(', ')}); deploy to one of them or add it to the account` };
    }
    let target = byRegion.get(region);
    if (!target) {
      target = create(region);
      byRegion.set(region, target);
    }
    return target;
  };
  const first = regional(regions[0]!) as Target;
  const isFailure = (value: Target | PortFailure): value is PortFailure => 'ok' in value;

  const serverGroups: ServerGroupPort = {
    capabilities: first.serverGroups.capabilities,
    async create(request): Promise<OperationResult> {
      const target = regional(request.location);
      return isFailure(target) ? target : target.serverGroups.create(request);
    },
    async resize(ref: ServerGroupRef, capacity, sideEffect): Promise<OperationResult> {
      const target = regional(ref.location);
      return isFailure(target) ? target : target.serverGroups.resize(ref, capacity, sideEffect);
    },
    async destroy(ref: ServerGroupRef, sideEffect): Promise<OperationResult> {
      const target = regional(ref.location);
      return isFailure(target) ? target : target.serverGroups.destroy(ref, sideEffect);
    },
    async describeCluster(ref: ClusterRef): Promise<DescribeResult> {
      const target = regional(ref.location);
      return isFailure(target) ? target : target.serverGroups.describeCluster(ref);
    },
    // Offered when the region's targets offer it (they are all made by the same `create`).
    ...(first.serverGroups.checkCluster
      ? {
          async checkCluster(request: ClusterCheckRequest): Promise<ClusterCheckResult> {
            const target = regional(request.location);
            if (isFailure(target)) return target;
            return target.serverGroups.checkCluster ? target.serverGroups.checkCluster(request) : { ok: true, issues: [] };
          },
        }
      : {}),
    ...(first.serverGroups.continueRollout
      ? {
          async continueRollout(ref: ServerGroupRef, request: ContinueRolloutRequest, sideEffect: SideEffect): Promise<OperationResult> {
            const target = regional(ref.location);
            if (isFailure(target)) return target;
            return target.serverGroups.continueRollout ? target.serverGroups.continueRollout(ref, request, sideEffect) : { ok: false, reason: 'unsupported', message: `account '${account}' runs no rollouts of its own in ${ref.location}` };
          },
        }
      : {}),
  };
  const traffic: TrafficPort = {
    capabilities: first.traffic.capabilities,
    async enable(ref, sideEffect): Promise<OperationResult> {
      const target = regional(ref.location);
      return isFailure(target) ? target : target.traffic.enable(ref, sideEffect);
    },
    async disable(ref, disableOptions): Promise<OperationResult> {
      const target = regional(ref.location);
      return isFailure(target) ? target : target.traffic.disable(ref, disableOptions);
    },
    async setWeights(ref, weights, sideEffect): Promise<OperationResult> {
      const target = regional(ref.location);
      return isFailure(target) ? target : target.traffic.setWeights(ref, weights, sideEffect);
    },
    async verifyWeights(ref, weights): Promise<VerifyWeightsResult> {
      const target = regional(ref.location);
      return isFailure(target) ? target : target.traffic.verifyWeights(ref, weights);
    },
  };
  return { cloudProvider: options.cloudProvider, serverGroups, traffic };
}
