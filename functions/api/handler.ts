/**
 * The API's Lambda entry, thin: Hono's aws-lambda adapter around the same app `gennaker up`
 * serves, with the publishing runtime (functions/publishing-wiring.ts: the shared cloud runtime
 * plus cron schedules, no stage runner) built once per cold start and callers identified by the
 * IAM identity API Gateway verified (iam-authenticator.ts). Saving a pipeline publishes it inline
 * (functions/wiring.ts explains why).
 *
 * The cluster and server-group routes read the configured accounts through the same deploy
 * targets the stage runner deploys with (functions/aws-account-targets.ts), loaded on the first
 * such read, in sessions limited to describe calls (READ_ONLY_SESSION_POLICY) named
 * `gennaker-api`.
 */
import { handle } from 'hono/aws-lambda';
import type { ApiDeps } from './app.ts';
import { createApiApp } from './app.ts';
import { createIamAuthenticator } from './iam-authenticator.ts';
import type { Account } from '../../core/ports/accounts.ts';
import type { AwsClientSettings } from '../aws-targets.ts';
import type { ReadTargetLookup } from './cluster-reads.ts';
import { publishingRuntimeForColdStart } from '../publishing-wiring.ts';
import { hasDeployAccounts, type CloudRuntime } from '../wiring.ts';
import type { AwsCredentialIdentity } from '@smithy/types';

export type ApiHandler = ReturnType<typeof handle>;

export function createApiHandler(deps: ApiDeps): ApiHandler {
  return handle(createApiApp(deps));
}

/** How the API's cluster reads reach AWS. */
export interface CloudApiOptions {
  readonly aws?: {
    /** @default AWS's endpoints */
    readonly clients?: AwsClientSettings;
    /** The credentials STS AssumeRole is called with. @default the function's own */
    readonly callerCredentials?: AwsCredentialIdentity;
  };
}

/** The role session name of the API's reads in the deploy accounts (CloudTrail shows it). */
export const API_SESSION_NAME = 'gennaker-api';

/**
 * A read target for each deploy account that answers its cloud provider now and loads the real
 * targets (`load`) on its first describe; a failed load is tried again on the next.
 */
export function onDemandReadTargets(accounts: readonly Account[], load: () => Promise<ReadTargetLookup>): ReadTargetLookup {
  let loaded: Promise<ReadTargetLookup> | undefined;
  const real = () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
  const kinds = new Map(accounts.filter((account) => hasDeployAccounts([account])).map((account) => [account.name, account.cloudProvider]));
  return ({ account }) => {
    const cloudProvider = kinds.get(account);
    if (cloudProvider === undefined) return undefined;
    return {
      cloudProvider,
      serverGroups: {
        describeCluster: async (ref) => (await real())({ account })?.serverGroups.describeCluster(ref) ?? { ok: false, reason: 'invalid', message: `account '${account}' has no deploy target here` },
      },
    };
  };
}

/** The API deps of a cloud runtime. */
export function cloudApiDeps(runtime: CloudRuntime, options: CloudApiOptions = {}): ApiDeps {
  const { env } = runtime;
  // Read-only targets of the configured accounts: their code loads with the first cluster route.
  const targets = hasDeployAccounts(env.accounts)
    ? onDemandReadTargets(env.accounts, async () =>
        (await import('./cluster-reads.ts')).accountReadTargets({
          accounts: env.accounts,
          region: env.region,
          clock: runtime.clock,
          sessionName: () => API_SESSION_NAME,
          caller: "the API's role (stack output ApiRoleArn)",
          ...options.aws,
        }),
      )
    : undefined;
  return {
    service: runtime.service,
    store: runtime.store,
    canaryConfigs: runtime.canaryConfigs,
    pipelineTemplates: runtime.pipelineTemplates,
    accounts: runtime.accounts,
    audit: runtime.audit,
    clock: { now: () => Date.now() },
    auth: createIamAuthenticator({ users: runtime.users }),
    authHint: 'sign the request with AWS Signature Version 4 (IAM credentials allowed to invoke this API)',
    log: ({ level, message, error }) => runtime.log({ level, message, ...(error === undefined ? {} : { error }) }),
    ...(runtime.env.bodyLimits ? { bodyLimits: runtime.env.bodyLimits } : {}),
    ...(runtime.triggerSecrets ? { triggerSecrets: runtime.triggerSecrets } : {}),
    ...(runtime.env.preconfiguredWebhooks ? { preconfiguredWebhooks: runtime.env.preconfiguredWebhooks } : {}),
    notificationTypes: async () => (await import('./notification-types.ts')).notificationTypesOf(runtime.env.notificationSettings, 'aws'),
    ...(targets ? { targets } : {}),
  };
}

let api: ApiHandler | undefined;

export const handler: ApiHandler = (event, context) => {
  api ??= createApiHandler(cloudApiDeps(publishingRuntimeForColdStart()));
  return api(event, context);
};
