/**
 * The stage runner's canary metric sources on AWS (functions/aws-account-metrics.ts,
 * functions/aws-metrics.ts): a `cloudwatch` metric is read in the `aws` or `ecs` account the
 * canary names, through its role, the module loaded by the first fetch; a canary naming no
 * account, or one that is not an aws/ecs account, or a scope outside the account's regions, fails
 * with one line saying what to name. The reads themselves, through the account's role, run in
 * test/integration/aws-cloud-lambda-canary.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseAccountRoleMap } from '../../../core/accounts/accounts-file.ts';
import type { Account } from '../../../core/ports/accounts.ts';
import type { MetricFetchRequest, MetricFetchResult } from '../../../core/ports/metric-source.ts';
import { configuredAccountMetrics } from '../../../functions/aws-account-metrics.ts';

const ACCOUNTS = parseAccountRoleMap(
  {
    prod: 'arn:aws:iam::210987654321:role/deploy',
    'ecs-prod': { assumeRole: 'arn:aws:iam::210987654321:role/ecs-deploy', regions: ['us-west-2', 'eu-west-1'], cloudProvider: 'ecs' },
    'prod-eks': { cloudProvider: 'kubernetes', assumeRole: 'arn:aws:iam::210987654321:role/eks', eks: { clusterName: 'prod', region: 'us-east-1' }, kubeconfig: '{}' },
  },
  'us-east-1',
).accounts;

const request = (location: string): MetricFetchRequest => ({
  metric: { name: 'Errors', query: { type: 'cloudwatch', metricName: 'Errors', namespace: 'AWS/Lambda' } as never },
  scope: { scope: '2', location, start: 0, end: 600_000, stepSeconds: 60 },
});

/** The AWS targets as the metrics read them (the accounts' roles), counting the loads and the accounts asked for. */
function fakeTargets(failFirst = false) {
  const seen = { loads: 0, accounts: [] as string[] };
  const loadAws = async () => {
    seen.loads += 1;
    if (failFirst && seen.loads === 1) throw new Error('the module did not load');
    return {
      credentialsOf: (account: Account) => {
        seen.accounts.push(account.name);
        return Object.assign(async () => Promise.reject(new Error('no session expected')), { memoized: true as const });
      },
    };
  };
  return { seen, loadAws };
}

/** What a refused fetch says; a served one fails, as this test has no CloudWatch to call. */
const outcome = (result: MetricFetchResult) => (result.ok ? 'served' : result.message);

describe('the canary metric sources of the configured AWS accounts', () => {
  it("read in the aws or ecs account a canary names, with that account's role, after a failed load too", async () => {
    // given
    const { seen, loadAws } = fakeTargets(true);
    const lookup = configuredAccountMetrics({ accounts: ACCOUNTS, loadAws })!;

    // when: each scope outside the account's regions, so each is refused before any call
    await expect(lookup({ type: 'cloudwatch', account: 'prod' })!.fetch(request('eu-central-1'))).rejects.toThrow('the module did not load');
    const prod = await lookup({ type: 'cloudwatch', account: 'prod' })!.fetch(request('eu-central-1'));
    const ecs = await lookup({ type: 'cloudwatch', account: 'ecs-prod' })!.fetch(request('us-east-1'));

    // then each account's own source answered, made from its role's credentials
    expect([prod, ecs].map(outcome)).toEqual([
      "scope 2 is in location 'eu-central-1', which is not a region of metrics account 'prod' (its regions: us-east-1); set the scope's controlLocation and experimentLocation to one of them, or add the region to the account's regions in the CDK context accounts",
      "scope 2 is in location 'us-east-1', which is not a region of metrics account 'ecs-prod' (its regions: us-west-2, eu-west-1); set the scope's controlLocation and experimentLocation to one of them, or add the region to the account's regions in the CDK context accounts",
    ]);
    expect(seen.accounts).toEqual(['prod', 'ecs-prod']);
    // other query types have no source on AWS
    expect(lookup({ type: 'prometheus', account: 'prod' })).toBeUndefined();
  });

  it.each([
    [undefined, 'the canary reads CloudWatch and names no metricsAccountName; set canaryConfig.metricsAccountName to the AWS account whose CloudWatch holds the metrics (one of: prod, ecs-prod), which is read through its role'],
    ['prod-eks', "metricsAccountName 'prod-eks' is not an aws or ecs account of this deployment (accounts: prod, ecs-prod); name one of them, or add it to the CDK context accounts with the role to read it through"],
    ['prd', "metricsAccountName 'prd' is not an aws or ecs account of this deployment (accounts: prod, ecs-prod); name one of them, or add it to the CDK context accounts with the role to read it through"],
  ])('fail a canary naming %s as its metrics account with one line, assuming no role', async (account, message) => {
    // given
    const { seen, loadAws } = fakeTargets();
    const lookup = configuredAccountMetrics({ accounts: ACCOUNTS, loadAws })!;

    // when
    const result = await lookup({ type: 'cloudwatch', ...(account !== undefined ? { account } : {}) })!.fetch(request('us-east-1'));

    // then
    expect(result).toEqual({ ok: false, reason: 'invalid', message });
    expect(seen.loads).toBe(0);
  });

  it('are none without an aws or ecs account, so canary stages are refused at start', () => {
    expect(configuredAccountMetrics({ accounts: ACCOUNTS.filter((account) => account.cloudProvider === 'kubernetes'), loadAws: fakeTargets().loadAws })).toBeUndefined();
  });
});
