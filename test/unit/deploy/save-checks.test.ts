/**
 * Deploy clusters checked when a pipeline is saved (core/deploy/save-checks.ts): regions an account
 * does not list, each cloud's check of its cluster entries at the entry's JSON pointer, told
 * whether a stage upstream may hand the deploy an image, and lookups in the account that only warn
 * when the cloud cannot answer. Expressions are left to the run.
 */
import { describe, expect, it } from 'vitest';
import { createAccountRegistry } from '../../../core/accounts/registry.ts';
import { clusterExistenceIssues, clusterFieldIssues, unknownRegionIssues, upstreamImage } from '../../../core/deploy/save-checks.ts';
import type { ClusterCheckContext, ClusterFieldChecks } from '../../../core/ports/cluster-checks.ts';
import type { ServerGroupPort } from '../../../core/ports/server-groups.ts';
import type { Target, TargetLookup } from '../../../core/ports/target.ts';

const accounts = createAccountRegistry([
  { name: 'prod', cloudProvider: 'aws', accountType: 'prod', environment: 'prod', regions: ['us-east-1', 'us-west-2'] },
  { name: 'local', cloudProvider: 'local', accountType: 'local', environment: 'local', regions: ['local'] },
]);

const deploy = (clusters: unknown[], extra: Record<string, unknown> = {}) => ({ refId: '2', requisiteStageRefIds: ['1'], type: 'deploy', name: 'Deploy', clusters, ...extra });
const pipeline = (...stages: unknown[]) => ({ application: 'app', name: 'p', stages });

describe('regions at save', () => {
  it.each([
    ['an availabilityZones key', { account: 'prod', availabilityZones: { 'us-east1': [] } }, '/stages/0/clusters/0/availabilityZones/us-east1', "region 'us-east1' is not a region of account 'prod' (its regions: us-east-1, us-west-2); did you mean 'us-east-1'?; deploy to one of them or add the region to the account"],
    ['a regions entry', { account: 'prod', regions: ['us-west-2', 'eu-west-1'] }, '/stages/0/clusters/0/regions/1', "region 'eu-west-1' is not a region of account 'prod' (its regions: us-east-1, us-west-2); deploy to one of them or add the region to the account"],
    ['the region of a local account', { account: 'local', region: 'us-east-1' }, '/stages/0/clusters/0/region', "region 'us-east-1' is not a region of account 'local' (its regions: local); deploy to one of them or add the region to the account"],
  ])('refuses %s its account does not list, at its pointer', (_what, cluster, pointer, message) => {
    expect(unknownRegionIssues(pipeline(deploy([cluster])), accounts)).toEqual([{ pointer, code: 'region-unknown', message, severity: 'error', value: expect.any(String) }]);
  });

  it('refuses the region of a server-group stage its credentials do not list', () => {
    const issues = unknownRegionIssues(pipeline({ refId: '1', type: 'disableServerGroup', credentials: 'prod', regions: ['ap-south-1'], cluster: 'app-prod' }), accounts);
    expect(issues.map((issue) => issue.pointer)).toEqual(['/stages/0/regions/0']);
  });

  it('leaves expressions, unknown accounts and listed regions alone', () => {
    const issues = unknownRegionIssues(
      pipeline(
        deploy([
          { account: 'prod', availabilityZones: { 'us-west-2': [], '${parameters.region}': [] } },
          { account: 'elsewhere', region: 'mars-1' },
          { account: '${parameters.account}', region: 'mars-1' },
        ]),
      ),
      accounts,
    );
    expect(issues).toEqual([]);
  });
});

describe('upstream images', () => {
  it.each([
    ['a bake before the deploy', 'yes', [{ refId: '1', type: 'bake' }, { refId: '2', requisiteStageRefIds: ['1'], type: 'deploy' }]],
    ['a findImage two stages before', 'yes', [{ refId: '1', type: 'findImage' }, { refId: '3', requisiteStageRefIds: ['1'], type: 'wait' }, { refId: '2', requisiteStageRefIds: ['3'], type: 'deploy' }]],
    ['a findImageFromTags in a legacy (array-order) pipeline', 'yes', [{ type: 'findImageFromTags' }, { type: 'deploy' }]],
    ['a bake on another branch', 'maybe', [{ refId: '1', type: 'bake' }, { refId: '2', type: 'deploy' }]],
    ['a bake after the deploy', 'maybe', [{ refId: '2', type: 'deploy' }, { refId: '1', requisiteStageRefIds: ['2'], type: 'bake' }]],
    ['no image stage at all', 'no', [{ refId: '1', type: 'wait' }, { refId: '2', requisiteStageRefIds: ['1'], type: 'deploy' }]],
  ] as const)('with %s is %s', (_what, expected, stages) => {
    const index = stages.findIndex((stage) => stage.type === 'deploy');
    expect(upstreamImage({ stages }, index)).toBe(expected);
  });

  it('is maybe when a parent pipeline triggers this one', () => {
    expect(upstreamImage({ triggers: [{ type: 'pipeline', application: 'app', pipeline: 'build' }], stages: [{ refId: '1', type: 'deploy' }] }, 0)).toBe('maybe');
  });
});

describe("each cloud's check of its cluster entries", () => {
  const seen: Array<{ entry: unknown; context: ClusterCheckContext }> = [];
  const checks: ClusterFieldChecks = {
    aws: (entry, context) => {
      seen.push({ entry, context });
      return entry['instanceType'] === 5 ? [{ path: ['instanceType'], code: 'invalid-value', message: 'provider field instanceType is 5; set an EC2 instance type', severity: 'error', value: 5 }] : [];
    },
  };

  it("reports the cloud's issues at the entry's pointer, the cloud known from the entry or else its account", () => {
    seen.length = 0;
    const config = pipeline(
      { refId: '1', type: 'bake' },
      deploy([
        { account: 'prod', instanceType: 5, availabilityZones: { 'us-east-1': [], '${x}': [] } },
        { account: 'local', cloudProvider: 'aws', instanceType: 5, region: 'us-west-2' },
        { account: 'local', instanceType: 5 },
      ]),
    );
    const issues = clusterFieldIssues(config, checks, accounts);
    expect(issues.map((issue) => `${issue.pointer} ${issue.severity}`)).toEqual(['/stages/1/clusters/0/instanceType error', '/stages/1/clusters/1/instanceType error']);
    expect(seen.map((call) => call.context)).toEqual([
      { regions: ['us-east-1'], upstreamImage: 'yes' },
      { regions: ['us-west-2'], upstreamImage: 'yes' },
    ]);
  });

  it('checks entries of a pipeline the parser refuses too, so every line comes at once', () => {
    const config = { stages: [deploy([{ cloudProvider: 'aws', instanceType: 5, capacity: { min: 3, max: 1 } }], { requisiteStageRefIds: [] })] };
    expect(clusterFieldIssues(config, checks).map((issue) => issue.pointer)).toEqual(['/stages/0/clusters/0/instanceType']);
  });
});

describe('lookups in the account', () => {
  const targetWith = (checkCluster: ServerGroupPort['checkCluster'] | undefined): TargetLookup => {
    const serverGroups = { capabilities: { resize: true, artifactTypes: [] }, ...(checkCluster ? { checkCluster } : {}) } as unknown as ServerGroupPort;
    const target = { cloudProvider: 'aws', serverGroups, traffic: {} } as unknown as Target;
    return ({ account }) => (account === 'prod' ? target : undefined);
  };

  it('asks in every listed region of an entry without expressions, and reports what the cloud did not find', async () => {
    const asked: string[] = [];
    const targets = targetWith(async (request) => {
      asked.push(`${request.account}/${request.location}`);
      return { ok: true, issues: [{ path: ['targetGroups', 0], code: 'resource-not-found', message: `provider field targetGroups[0] is "nope"; no target group of that name exists in ${request.location}`, severity: 'error', value: 'nope' }] };
    });
    const config = pipeline(
      deploy([
        { account: 'prod', targetGroups: ['nope'], availabilityZones: { 'us-east-1': [], 'us-west-2': [], 'eu-west-1': [] } },
        { account: 'prod', targetGroups: ['${parameters.tg}'], region: 'us-east-1' },
      ]),
    );
    const issues = await clusterExistenceIssues(config, targets, accounts);
    expect(asked).toEqual(['prod/us-east-1', 'prod/us-west-2']);
    expect(issues.map((issue) => `${issue.pointer} ${issue.code} ${issue.message}`)).toEqual([
      '/stages/0/clusters/0/targetGroups/0 resource-not-found provider field targetGroups[0] is "nope"; no target group of that name exists in us-east-1',
      '/stages/0/clusters/0/targetGroups/0 resource-not-found provider field targetGroups[0] is "nope"; no target group of that name exists in us-west-2',
    ]);
  });

  it('only warns when the cloud cannot answer, or the lookup throws', async () => {
    const unavailable = targetWith(async () => ({ ok: false, reason: 'unavailable', message: 'finding instance type m5.large failed: AWS RequestLimitExceeded: Request limit exceeded.' }));
    const thrown = targetWith(async () => {
      throw new Error('socket hang up');
    });
    const config = pipeline(deploy([{ account: 'prod', region: 'us-east-1' }]));
    expect(await clusterExistenceIssues(config, unavailable, accounts)).toEqual([
      {
        pointer: '/stages/0/clusters/0',
        code: 'cloud-unavailable',
        severity: 'warning',
        message: "could not look in account 'prod' (us-east-1) for what this cluster names: finding instance type m5.large failed: AWS RequestLimitExceeded: Request limit exceeded.; saved anyway, and the deploy checks it when it runs",
      },
    ]);
    expect((await clusterExistenceIssues(config, thrown, accounts)).map((issue) => issue.severity)).toEqual(['warning']);
  });

  it('asks nothing of a target without the lookup', async () => {
    expect(await clusterExistenceIssues(pipeline(deploy([{ account: 'prod', region: 'us-east-1' }])), targetWith(undefined), accounts)).toEqual([]);
  });
});
