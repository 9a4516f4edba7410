/**
 * The CloudWatch metric source of each configured AWS account, for canary analysis on AWS
 * (`kayentaCanary` and the deploy strategy `canary` with `metricsAccountName` naming the account):
 * `GetMetricData` in the region each scope names (`controlLocation`, `experimentLocation`), signed
 * by the account's role, the same credentials provider its deploy target uses
 * (functions/aws-targets.ts `credentialsOf`), so a pipeline's deploys and its canary's reads in one
 * account share one session named after the execution.
 *
 * Gennaker's own account is not read with the stage runner's own role: on AWS every account
 * Gennaker acts in is reached through a role, so the account a Lambda function or a server group
 * is deployed to (Gennaker's own included, configured with a role there) is the account its
 * metrics are read in, under the same role, and CloudTrail there names the execution; the stage
 * runner's role gets no CloudWatch grant. A `cloudwatch` metric whose canary names no account, or
 * one that is not an `aws`/`ecs` account, fails the stage with the accounts it could name.
 *
 * A scope's location must be one of the account's `regions`, as a deploy's region must: a location
 * outside them is most often a typo, and reading there would answer an empty series, which the
 * judge would take for a quiet version.
 *
 * Loaded on demand (functions/aws-account-metrics.ts): scripts/build.js bundles this module and the
 * CloudWatch client on their own (`aws-metrics.mjs`), read by a canary's first fetch; the AWS
 * targets (for the accounts' roles) load when an account is read.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { createCloudWatchMetricSource } from '../adapters/metrics/cloudwatch-metric-source.ts';
import { AWS_ACCOUNT_KINDS } from '../core/accounts/accounts-file.ts';
import type { Account } from '../core/ports/accounts.ts';
import type { MetricFetchRequest, MetricFetchResult, MetricSource } from '../core/ports/metric-source.ts';
import type { AwsClientSettings, AwsTargets } from './aws-targets.ts';

/** How the sources reach CloudWatch. */
export interface AwsMetricsOptions {
  /** The credentials of an account's role (functions/aws-targets.ts `credentialsOf`). */
  readonly credentialsOf: (account: Account) => AwsCredentialIdentityProvider;
  readonly clients?: AwsClientSettings;
}

/** The CloudWatch sources of the accounts, one per account, made on first use. */
export interface AwsMetrics {
  sourceOf(account: Account): MetricSource;
  /** Closes every CloudWatch client made so far. */
  close(): void;
}

/** Creates the sources; nothing is called before a fetch is. */
export function createAwsMetrics(options: AwsMetricsOptions): AwsMetrics {
  const made: CloudWatchClient[] = [];
  const sources = new Map<string, MetricSource>();

  const build = (account: Account): MetricSource => {
    const credentials = options.credentialsOf(account);
    const byRegion = new Map<string, CloudWatchClient>();
    const cloudWatch = createCloudWatchMetricSource({
      client: (region) => {
        let client = byRegion.get(region);
        if (!client) {
          client = new CloudWatchClient({ region, credentials, ...options.clients });
          made.push(client);
          byRegion.set(region, client);
        }
        return client;
      },
    });
    return {
      type: 'cloudwatch',
      async fetch(request) {
        const { location, scope } = request.scope;
        if (!account.regions.includes(location)) {
          return {
            ok: false,
            reason: 'invalid',
            message: `scope ${scope} is in location '${location}', which is not a region of metrics account '${account.name}' (its regions: ${account.regions.join(', ')}); set the scope's controlLocation and experimentLocation to one of them, or add the region to the account's regions in the CDK context accounts`,
          };
        }
        return cloudWatch.fetch(request);
      },
    };
  };

  return {
    sourceOf(account) {
      let source = sources.get(account.name);
      if (!source) {
        source = build(account);
        sources.set(account.name, source);
      }
      return source;
    },
    close() {
      for (const client of made.splice(0)) client.destroy();
    },
  };
}

/** The configured accounts, and the AWS targets whose roles sign the reads. */
export interface AccountMetricsOptions {
  /** The configured accounts; those of kind `aws` or `ecs` are metrics accounts. */
  readonly accounts: readonly Account[];
  /** The AWS targets, loaded once (functions/aws-account-targets.ts `awsTargetsOnce`), shared with the deploys. */
  readonly loadAws: () => Promise<Pick<AwsTargets, 'credentialsOf'>>;
  readonly clients?: AwsClientSettings;
}

/** Fetches a canary's metric in the account it names (`metricsAccountName`), or refuses in one line naming the accounts it may name. */
export function createAccountMetrics(options: AccountMetricsOptions): (accountName: string | undefined, request: MetricFetchRequest) => Promise<MetricFetchResult> {
  const accounts = new Map(options.accounts.filter((account) => (AWS_ACCOUNT_KINDS as readonly string[]).includes(account.cloudProvider)).map((account) => [account.name, account]));
  const names = [...accounts.keys()].join(', ');
  let metrics: AwsMetrics | undefined;
  return async (accountName, request) => {
    const account = accountName === undefined ? undefined : accounts.get(accountName);
    if (!account) {
      const message =
        accountName === undefined
          ? `the canary reads CloudWatch and names no metricsAccountName; set canaryConfig.metricsAccountName to the AWS account whose CloudWatch holds the metrics (one of: ${names}), which is read through its role`
          : `metricsAccountName '${accountName}' is not an aws or ecs account of this deployment (accounts: ${names}); name one of them, or add it to the CDK context accounts with the role to read it through`;
      return { ok: false, reason: 'invalid', message };
    }
    const targets = await options.loadAws();
    metrics ??= createAwsMetrics({ credentialsOf: (named) => targets.credentialsOf(named), ...(options.clients ? { clients: options.clients } : {}) });
    return metrics.sourceOf(account).fetch(request);
  };
}
