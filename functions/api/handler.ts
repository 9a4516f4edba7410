/**
 * The API's Lambda entry, thin: Hono's aws-lambda adapter around the same app `gennaker up`
 * serves, with the publishing runtime (functions/publishing-wiring.ts: the shared cloud runtime
 * plus cron schedules, no stage runner) built once per cold start and callers identified by the
 * IAM identity API Gateway verified (iam-authenticator.ts). Saving a pipeline publishes it inline
 * (functions/wiring.ts explains why).
 *
 * The cluster and server-group routes read the configured accounts through the same deploy
 * targets the stage runner deploys with (functions/aws-account-targets.ts), and a pipeline save
 * looks in them for what its deploy clusters name (`checkCluster`: the image, instance type,
 * target groups, subnets, security groups, ECS cluster), as `gennaker up` does; the targets load
 * with the first such read or lookup, in sessions limited to describe calls
 * (READ_ONLY_SESSION_POLICY) named `gennaker-api`. An account the API cannot read (denied,
 * throttled, unreachable) makes a save's lookup a warning, never a refusal.
 */
import { handle } from 'hono/aws-lambda';
import type { ApiDeps } from './app.ts';
import { createApiApp } from './app.ts';
import { createIamAuthenticator } from './iam-authenticator.ts';
import type { Account } from '../../core/ports/accounts.ts';
import type { AwsClientSettings } from '../aws-targets.ts';
import type { ReadTargetLookup } from './cluster-reads.ts';
import { createPublishingRuntime, publishingColdStart, type PublishingRuntimeOptions } from '../publishing-wiring.ts';
import { hasDeployAccounts, type CloudClients, type CloudEnvironment, type CloudRuntime } from '../wiring.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { AwsCredentialIdentity } from '@smithy/types';

export type ApiHandler = ReturnType<typeof handle>;

export function createApiHandler(deps: ApiDeps): ApiHandler {
  return handle(createApiApp(deps));
}

/** How the API's cluster reads and save lookups reach AWS. */
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
 * targets (`load`) on its first describe or check; a failed load is tried again on the next.
 */
export function onDemandReadTargets(accounts: readonly Account[], load: () => Promise<ReadTargetLookup>): ReadTargetLookup {
  let loaded: Promise<ReadTargetLookup> | undefined;
  const real = () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
  const kinds = new Map(accounts.filter((account) => hasDeployAccounts([account])).map((account) => [account.name, account.cloudProvider]));
  return (key) => {
    const { account } = key;
    const cloudProvider = kinds.get(account);
    if (cloudProvider === undefined) return undefined;
    return {
      cloudProvider,
      serverGroups: {
        describeCluster: async (ref) => (await real())({ account })?.serverGroups.describeCluster(ref) ?? { ok: false, reason: 'invalid', message: `account '${account}' has no deploy target here` },
        // A cloud provider the account's target does not serve, or a target without the check, has nothing to look up.
        checkCluster: async (request) => (await (await real())(key)?.serverGroups.checkCluster?.(request)) ?? { ok: true, issues: [] },
      },
    };
  };
}

/** The API's read-only targets of the configured accounts, whose code loads with the first cluster read or save lookup; none without deploy accounts. */
export function apiReadTargets(env: CloudEnvironment, clock: Clock, aws: CloudApiOptions['aws'] = {}): ReadTargetLookup | undefined {
  if (!hasDeployAccounts(env.accounts)) return undefined;
  return onDemandReadTargets(env.accounts, async () =>
    (await import('./cluster-reads.ts')).accountReadTargets({
      accounts: env.accounts,
      region: env.region,
      clock,
      sessionName: () => API_SESSION_NAME,
      caller: "the API's role (stack output ApiRoleArn)",
      ...aws,
    }),
  );
}

/** The API function's runtime: the publishing runtime, whose saves look in the accounts through `readTargets`, the same targets the cluster routes read. */
export interface ApiRuntime extends CloudRuntime {
  readonly readTargets?: ReadTargetLookup;
}

/** Builds the API function's runtime; `aws` says how its reads reach AWS. */
export function createApiRuntime(env: CloudEnvironment, clients: CloudClients, options: PublishingRuntimeOptions & CloudApiOptions = {}): ApiRuntime {
  const { aws, ...runtimeOptions } = options;
  const clock: Clock = options.clock ?? { now: () => Date.now() };
  const readTargets = apiReadTargets(env, clock, aws);
  const runtime = createPublishingRuntime(env, clients, { ...runtimeOptions, clock, ...(readTargets ? { clusterTargets: readTargets } : {}) });
  return { ...runtime, ...(readTargets ? { readTargets } : {}) };
}

/** The API deps of the API function's runtime. */
export function cloudApiDeps(runtime: ApiRuntime): ApiDeps {
  const targets = runtime.readTargets;
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
  if (!api) {
    const { env, clients } = publishingColdStart();
    api = createApiHandler(cloudApiDeps(createApiRuntime(env, clients)));
  }
  return api(event, context);
};
