/**
 * The canary metric sources of the stage runner on AWS, answered at once and loaded on a canary's
 * first fetch: a `cloudwatch` metric is read in the `aws` or `ecs` account the canary's
 * `metricsAccountName` names, through that account's role (functions/aws-metrics.ts, with the
 * CloudWatch client, in `aws-metrics.mjs`; which accounts may be named, and why Gennaker's own
 * account is not read, is said there). Nothing of it is in the stage runner's cold start.
 */
import { AWS_ACCOUNT_KINDS } from '../core/accounts/accounts-file.ts';
import type { MetricSourceLookup } from '../core/ports/metric-source.ts';
import { loadOnce } from './aws-account-targets.ts';
import type { AccountMetricsOptions } from './aws-metrics.ts';

/** The CloudWatch sources of the configured accounts; undefined without an aws or ecs account (canary stages are then refused at start). */
export function configuredAccountMetrics(options: AccountMetricsOptions): MetricSourceLookup | undefined {
  if (!options.accounts.some((account) => (AWS_ACCOUNT_KINDS as readonly string[]).includes(account.cloudProvider))) return undefined;
  const load = loadOnce(async () => (await import('./aws-metrics.ts')).createAccountMetrics(options));
  return ({ type, account }) => (type === 'cloudwatch' ? { type, fetch: async (request) => (await load())(account, request) } : undefined);
}
