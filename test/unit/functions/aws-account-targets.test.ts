/**
 * The stage runner's targets of the configured AWS accounts, whose code loads on demand: they
 * answer the capabilities of the real targets before loading them (the deploy core reads them
 * first), forward every method the real ports have, load once for all accounts, try again after
 * a failed load, and serve an account only for the cloud providers its kind deploys.
 */
import { describe, expect, it } from 'vitest';
import { createEc2Target } from '../../../adapters/targets/aws-ec2/ec2-target.ts';
import { createEcsTarget } from '../../../adapters/targets/aws-ecs/ecs-target.ts';
import { createAwsLambdaFunctions } from '../../../adapters/targets/aws-lambda/lambda-functions.ts';
import { parseAccountRoleMap } from '../../../core/accounts/accounts-file.ts';
import type { Account } from '../../../core/ports/accounts.ts';
import type { ClusterRef, DescribeResult } from '../../../core/ports/server-groups.ts';
import type { Target } from '../../../core/ports/target.ts';
import { createCodeBuildBuilds } from '../../../adapters/builds/codebuild-builds.ts';
import { ACCOUNT_KIND_CAPABILITIES, createAccountTargets, FORWARDED_METHODS } from '../../../functions/aws-account-targets.ts';
import { createKubernetesTarget } from '../../../adapters/targets/kubernetes/kubernetes-target.ts';
import { createKubernetesManifests } from '../../../adapters/targets/kubernetes/manifest-port.ts';
import { connectTo } from '../../support/kubernetes-world.ts';

/** SDK clients that are never called: the targets only keep them. */
const unused = { send: () => Promise.reject(new Error('no call expected')) } as never;

const ACCOUNTS = parseAccountRoleMap(
  {
    prod: 'arn:aws:iam::210987654321:role/deploy',
    'ecs-prod': { assumeRole: 'arn:aws:iam::210987654321:role/ecs-deploy', regions: ['us-west-2'], cloudProvider: 'ecs' },
    'prod-eks': { cloudProvider: 'kubernetes', assumeRole: 'arn:aws:iam::210987654321:role/eks', eks: { clusterName: 'prod', region: 'us-east-1' }, kubeconfig: '{}', namespaces: ['web', 'jobs'] },
  },
  'us-east-1',
).accounts;

const methodsOf = (port: object): string[] =>
  Object.entries(port)
    .filter(([, value]) => typeof value === 'function')
    .map(([key]) => key)
    .sort();

const ref: ClusterRef = { account: 'prod', location: 'us-east-1', cluster: 'hello-prod' };
const described: DescribeResult = { ok: true, cluster: { name: 'hello-prod', account: 'prod', location: 'us-east-1', serverGroups: [] } } as unknown as DescribeResult;

/** A real-shaped target whose describeCluster answers `described`, counting the targets made. */
function fakeLoad(made: string[]) {
  return async () => (account: Account): Target => {
    made.push(account.name);
    return {
      cloudProvider: account.cloudProvider,
      serverGroups: { capabilities: ACCOUNT_KIND_CAPABILITIES.aws.serverGroups, create: unused, resize: unused, destroy: unused, describeCluster: async () => described },
      traffic: { capabilities: ACCOUNT_KIND_CAPABILITIES.aws.traffic, enable: unused, disable: unused, setWeights: unused, verifyWeights: unused },
    };
  };
}

describe('the targets of the configured AWS accounts', () => {
  it("answer the real targets' capabilities and forward every method their ports have", () => {
    const ec2 = createEc2Target({ account: 'prod', region: 'us-east-1', clients: { ec2: unused, autoScaling: unused, elbv2: unused } });
    const ecs = createEcsTarget({ account: 'ecs-prod', region: 'us-west-2', clients: { ecs: unused, applicationAutoScaling: unused, elbv2: unused, ec2: unused } });
    const lambda = createAwsLambdaFunctions({ regions: ['us-east-1'], clientFor: () => unused });
    const lookup = createAccountTargets({ accounts: ACCOUNTS, load: () => Promise.reject(new Error('not loaded in this test')) });
    const prod = lookup({ account: 'prod' })!;
    const ecsProd = lookup({ account: 'ecs-prod' })!;

    expect(prod.serverGroups.capabilities).toEqual(ec2.serverGroups.capabilities);
    expect(prod.traffic.capabilities).toEqual(ec2.traffic.capabilities);
    expect(ecsProd.serverGroups.capabilities).toEqual(ecs.serverGroups.capabilities);
    expect(ecsProd.traffic.capabilities).toEqual(ecs.traffic.capabilities);
    expect([prod.cloudProvider, ecsProd.cloudProvider]).toEqual([ec2.cloudProvider, ecs.cloudProvider]);

    expect(methodsOf(prod.serverGroups)).toEqual(methodsOf(ec2.serverGroups));
    expect(methodsOf(prod.traffic)).toEqual(methodsOf(ec2.traffic));
    expect(methodsOf(ecsProd.serverGroups)).toEqual(methodsOf(ecs.serverGroups));
    expect(methodsOf(prod.functions!)).toEqual(methodsOf(lambda));
    expect([...FORWARDED_METHODS.functions].sort()).toEqual(methodsOf(lambda));
    expect(prod.functions!.regions).toEqual(['us-east-1']);
    expect(ecsProd.functions).toBeUndefined();
    const builds = createCodeBuildBuilds({ regions: ['us-east-1'], clientFor: () => unused });
    expect(methodsOf(prod.builds!)).toEqual(methodsOf(builds));
    expect([...FORWARDED_METHODS.builds].sort()).toEqual(methodsOf(builds));
    expect(prod.builds!.regions).toEqual(['us-east-1']);
    expect(ecsProd.builds).toBeUndefined();
  });

  it("answer a Kubernetes account's capabilities and namespaces as the real target would, forwarding every manifest method, before loading it", () => {
    // given the real target over a connection that is never called
    const connection = { ...connectTo('http://127.0.0.1:9', 'prod-eks', { namespaces: ['web', 'jobs'] }), defaultNamespace: 'web' };
    const manifests = createKubernetesManifests({ accounts: [connection] });
    const real = createKubernetesTarget({ connection, manifests });
    const lookup = createAccountTargets({ accounts: ACCOUNTS, load: () => Promise.reject(new Error('not loaded')), loadKubernetes: () => Promise.reject(new Error('not loaded in this test')) });

    // when
    const eks = lookup({ account: 'prod-eks', cloudProvider: 'kubernetes' })!;

    // then
    expect(eks.cloudProvider).toBe(real.cloudProvider);
    expect(eks.serverGroups.capabilities).toEqual(real.serverGroups.capabilities);
    expect(eks.traffic.capabilities).toEqual(real.traffic.capabilities);
    expect(eks.manifests!.settings('prod-eks')).toEqual(manifests.settings('prod-eks'));
    expect(methodsOf(eks.manifests!)).toEqual(methodsOf(real.manifests!));
    expect(methodsOf(eks.traffic)).toEqual(methodsOf(real.traffic));
    expect(lookup({ account: 'prod-eks', cloudProvider: 'aws' })).toBeUndefined();
  });

  it('serve an account only for the cloud providers its kind deploys, and no unknown account', () => {
    const lookup = createAccountTargets({ accounts: ACCOUNTS, load: fakeLoad([]) });
    expect(lookup({ account: 'prod' })?.cloudProvider).toBe('aws');
    expect(lookup({ account: 'prod', cloudProvider: 'aws' })?.cloudProvider).toBe('aws');
    expect(lookup({ account: 'prod', cloudProvider: 'lambda' })?.cloudProvider).toBe('aws');
    expect(lookup({ account: 'prod', cloudProvider: 'ecs' })).toBeUndefined();
    expect(lookup({ account: 'ecs-prod', cloudProvider: 'ecs' })?.cloudProvider).toBe('ecs');
    expect(lookup({ account: 'ecs-prod', cloudProvider: 'aws' })).toBeUndefined();
    expect(lookup({ account: 'staging' })).toBeUndefined();
  });

  it('load nothing until a port is called, then once, and again after a failed load', async () => {
    const made: string[] = [];
    let loads = 0;
    let fail = true;
    const load = fakeLoad(made);
    const lookup = createAccountTargets({
      accounts: ACCOUNTS,
      load: async () => {
        loads += 1;
        if (fail) throw new Error('the module could not be read');
        return load();
      },
    });
    const prod = lookup({ account: 'prod' })!;
    expect(loads).toBe(0);

    await expect(prod.serverGroups.describeCluster(ref)).rejects.toThrow('the module could not be read');
    fail = false;
    const [first, second] = await Promise.all([prod.serverGroups.describeCluster(ref), prod.serverGroups.describeCluster(ref)]);
    await lookup({ account: 'ecs-prod' })!.serverGroups.describeCluster(ref);

    expect([first, second]).toEqual([described, described]);
    expect(loads).toBe(2);
    expect(made).toEqual(['prod', 'ecs-prod']);
    expect(lookup({ account: 'prod-eks' })).toBeUndefined();
  });
});
