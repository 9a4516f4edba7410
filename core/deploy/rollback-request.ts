/**
 * One-click rollback (`gennaker rollback APP CLUSTER`, `POST /applications/{app}/clusters/{cluster}/rollback`):
 * an ad-hoc pipeline of one `rollbackCluster` stage, which is what Deck's rollback button starts
 * in Spinnaker (an orchestration). It is saved like any pipeline so it runs, is listed and is
 * watched like one; `orchestration: true` keeps it out of the application's pipeline list.
 */
import { parseClusterName } from './names.ts';

export interface RollbackRequest {
  readonly application: string;
  readonly cluster: string;
  /** @default 'local' */
  readonly account?: string;
  /** @default ['local'] */
  readonly regions?: readonly string[];
  /** Why, kept in the stage's context (shown with the execution). */
  readonly reason?: string;
}

export type RollbackPipelineResult =
  | {
      readonly ok: true;
      readonly config: Readonly<Record<string, unknown>>;
      /** Where the rollback acts, defaults applied. */
      readonly where: { readonly account: string; readonly cluster: string; readonly regions: readonly string[] };
    }
  | { readonly ok: false; readonly field: string; readonly message: string };

/** The field pipeline configs of ad-hoc runs carry, so listings can leave them out. */
export const ORCHESTRATION_FIELD = 'orchestration';

/** True for a pipeline config saved by a one-click action rather than by a user. */
export function isOrchestration(config: unknown): boolean {
  return typeof config === 'object' && config !== null && (config as Record<string, unknown>)[ORCHESTRATION_FIELD] === true;
}

/** The pipeline config of a one-click rollback, or which field is wrong and how to fix it. */
export function rollbackPipelineConfig(request: RollbackRequest): RollbackPipelineResult {
  const parsed = parseClusterName(request.cluster);
  if (parsed === undefined) {
    return { ok: false, field: 'cluster', message: `cluster '${request.cluster}' is not a cluster name; use app[-stack[-detail]], e.g. '${request.application}-prod'` };
  }
  if (parsed.app.toLowerCase() !== request.application.toLowerCase()) {
    return {
      ok: false,
      field: 'cluster',
      message: `cluster '${request.cluster}' belongs to application '${parsed.app}', not '${request.application}'; name a cluster of '${request.application}' (${request.application}[-stack[-detail]])`,
    };
  }
  const account = request.account ?? 'local';
  if (account.trim() === '') return { ok: false, field: 'account', message: "account is empty; name the account the cluster is in, e.g. 'local'" };
  const regions = request.regions ?? ['local'];
  if (regions.length === 0 || regions.some((region) => region.trim() === '')) {
    return { ok: false, field: 'regions', message: `regions ${JSON.stringify(regions)} must name at least one region and no empty one, e.g. ["local"]` };
  }
  return {
    ok: true,
    where: { account, cluster: request.cluster, regions: [...regions] },
    config: {
      id: `rollback-${account}-${request.cluster}`,
      application: request.application,
      name: `Rollback ${request.cluster} in ${account}`,
      [ORCHESTRATION_FIELD]: true,
      keepWaitingPipelines: true,
      limitConcurrent: true,
      stages: [
        {
          refId: '1',
          type: 'rollbackCluster',
          name: `Rollback ${request.cluster}`,
          credentials: account,
          cluster: request.cluster,
          regions: [...regions],
          ...(request.reason !== undefined && request.reason.trim() !== '' ? { reason: request.reason } : {}),
        },
      ],
    },
  };
}

/**
 * Why a rollback of a cluster without any server group is refused (by the API) or fails (the
 * stage): a typo during an incident must not pass for a rollback done. Names what was looked at.
 */
export function emptyClusterMessage(where: { readonly account: string; readonly cluster: string; readonly regions: readonly string[] }): string {
  const regions = `${where.regions.length === 1 ? 'region' : 'regions'} ${where.regions.map((region) => `'${region}'`).join(', ')}`;
  return `cluster '${where.cluster}' has no server groups in account '${where.account}', ${regions}: nothing to roll back; check the cluster name, account and regions`;
}
