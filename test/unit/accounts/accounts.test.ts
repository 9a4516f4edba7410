/**
 * The account registry's pure parts: the accounts file (local) and the role map (AWS) parsed
 * into accounts or one issue per problem; the did-you-mean; and which fields of a pipeline name
 * a deploy account, checked at save.
 */
import { describe, expect, it } from 'vitest';
import { parseAccountRoleMap, parseAccountRoles, parseAccountsFile } from '../../../core/accounts/accounts-file.ts';
import { toGateAccount } from '../../../core/accounts/gate-shape.ts';
import { accountReferences, unknownAccountIssues } from '../../../core/accounts/pipeline-accounts.ts';
import { BUILT_IN_LOCAL_ACCOUNT, closestName, createAccountRegistry, editDistance } from '../../../core/accounts/registry.ts';

describe('the accounts file', () => {
  it('gives each account its defaults: the name as account type and environment, region local for the local cloud', () => {
    const parsed = parseAccountsFile({
      accounts: [
        { name: 'staging', cloudProvider: 'local' },
        { name: 'prod', cloudProvider: 'aws', regions: ['us-east-1'], environment: 'production', accountType: 'main', assumeRole: 'arn:aws:iam::210987654321:role/deploy' },
      ],
    });
    expect(parsed.issues).toEqual([]);
    expect(parsed.accounts).toEqual([
      { name: 'staging', cloudProvider: 'local', accountType: 'staging', environment: 'staging', regions: ['local'] },
      { name: 'prod', cloudProvider: 'aws', accountType: 'main', environment: 'production', regions: ['us-east-1'], accountId: '210987654321', assumeRole: 'arn:aws:iam::210987654321:role/deploy' },
    ]);
  });

  it('carries a kubernetes account\'s connection fields through, its namespaces as its locations, and never shows them', () => {
    // given a kubernetes account without regions: its locations are namespaces
    const parsed = parseAccountsFile({
      accounts: [{ name: 'k8s', cloudProvider: 'kubernetes', kubeconfigFile: '/etc/kube/config', context: 'prod', namespaces: ['web', 'jobs'], eks: { clusterName: 'c', region: 'us-east-1' } }],
    });
    // then
    expect(parsed.issues).toEqual([]);
    expect(parsed.accounts).toEqual([
      {
        name: 'k8s',
        cloudProvider: 'kubernetes',
        accountType: 'k8s',
        environment: 'k8s',
        regions: ['web', 'jobs'],
        kubernetes: { kubeconfigFile: '/etc/kube/config', context: 'prod', namespaces: ['web', 'jobs'], eks: { clusterName: 'c', region: 'us-east-1' } },
      },
    ]);
    // an inline kubeconfig may hold a token: the API's account shape has none of these fields
    expect(JSON.stringify(toGateAccount(parsed.accounts[0]!))).not.toContain('kubeconfig');
  });

  it("carries a gce account's project, key file and image projects through, and never shows them", () => {
    const parsed = parseAccountsFile({
      accounts: [{ name: 'gce-prod', cloudProvider: 'gce', regions: ['us-central1'], project: 'my-project', jsonPath: '/keys/prod.json', imageProjects: ['ubuntu-os-cloud'] }],
    });
    expect(parsed.issues).toEqual([]);
    expect(parsed.accounts).toEqual([
      {
        name: 'gce-prod',
        cloudProvider: 'gce',
        accountType: 'gce-prod',
        environment: 'gce-prod',
        regions: ['us-central1'],
        gce: { project: 'my-project', jsonPath: '/keys/prod.json', imageProjects: ['ubuntu-os-cloud'] },
      },
    ]);
    expect(JSON.stringify(toGateAccount(parsed.accounts[0]!))).not.toMatch(/jsonPath|prod\.json/);
  });

  it.each([
    ['without a project', { name: 'g', cloudProvider: 'gce', regions: ['us-central1'] }, '/accounts/0/project', 'project is missing; a gce account deploys into one Google Cloud project: give its id, e.g. "my-project"'],
    ['with a project id GCE refuses', { name: 'g', cloudProvider: 'gce', regions: ['us-central1'], project: 'My Project' }, '/accounts/0/project', `project is 'My Project', not a Google Cloud project id; use 6-30 lowercase letters, digits and hyphens, starting with a letter, e.g. "my-project"`],
    ['with image projects as one string', { name: 'g', cloudProvider: 'gce', regions: ['us-central1'], project: 'my-project', imageProjects: 'ubuntu-os-cloud' }, '/accounts/0/imageProjects', `imageProjects is 'ubuntu-os-cloud'; give a list of Google Cloud project ids to find images in, e.g. ["ubuntu-os-cloud"]`],
    ['with a gce field on an aws account', { name: 'g', cloudProvider: 'aws', regions: ['us-east-1'], project: 'my-project' }, '/accounts/0/project', `'project' is a field of gce accounts only; remove it, or set cloudProvider to "gce"`],
  ])('refuses a gce account %s, naming the field', (_what, entry, pointer, message) => {
    const parsed = parseAccountsFile({ accounts: [entry] });
    expect(parsed.issues.map((issue) => [issue.pointer, issue.message])).toEqual([[pointer, message]]);
    expect(parsed.accounts).toEqual([]);
  });

  it('refuses kubernetes fields on an account of another cloud, naming the field', () => {
    const parsed = parseAccountsFile({ accounts: [{ name: 'a', cloudProvider: 'aws', regions: ['x'], kubeconfigFile: '/k' }] });
    expect(parsed.issues.map((issue) => [issue.pointer, issue.message])).toEqual([['/accounts/0/kubeconfigFile', `'kubeconfigFile' is a field of kubernetes accounts only; remove it, or set cloudProvider to "kubernetes"`]]);
  });

  it.each([
    ['not an object', [], '/accounts', 'expected { "accounts": [ { "name": ..., "cloudProvider": ... } ] }, got []'],
    ['an unknown field', { accounts: [{ name: 'a', cloudProvider: 'local', region: 'x' }] }, '/accounts/0/region', "unknown field 'region'; an account has name, cloudProvider, accountType, environment, regions, accountId, assumeRole, externalId, weightedTraffic, executionRoleArn"],
    ['an external id STS refuses', { accounts: [{ name: 'a', cloudProvider: 'aws', regions: ['x'], assumeRole: 'arn:aws:iam::210987654321:role/deploy', externalId: 'a b' }] }, '/accounts/0/externalId', "externalId is 'a b'; use 2-1224 letters, digits or the characters + = , . @ : / - _ (the ExternalId the role's trust policy requires)"],
    ['an external id without a role', { accounts: [{ name: 'a', cloudProvider: 'aws', regions: ['x'], externalId: 'x7-prod' }] }, '/accounts/0/externalId', 'externalId is set but assumeRole is not; an external id only guards assuming a role: add assumeRole, or remove externalId'],
    ['a name with a space', { accounts: [{ name: 'prod east', cloudProvider: 'local' }] }, '/accounts/0/name', "name is 'prod east'; use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. \"staging\""],
    ['a name listed twice', { accounts: [{ name: 'a', cloudProvider: 'local' }, { name: 'a', cloudProvider: 'local' }] }, '/accounts/1/name', "account 'a' is listed twice; keep one"],
    ['an unknown cloud', { accounts: [{ name: 'a', cloudProvider: 'azure', regions: ['x'] }] }, '/accounts/0/cloudProvider', "cloudProvider is 'azure'; use one of local, aws, ecs, gce, kubernetes"],
    ['a cloud account without regions', { accounts: [{ name: 'a', cloudProvider: 'gce', project: 'my-project' }] }, '/accounts/0/regions', "'regions' is required for a gce account; list where it may deploy, e.g. [\"us-east-1\"]"],
    ['empty regions', { accounts: [{ name: 'a', cloudProvider: 'aws', regions: [] }] }, '/accounts/0/regions', 'regions is []; give a list of region names, e.g. ["us-east-1"]'],
    ['a user ARN as role', { accounts: [{ name: 'a', cloudProvider: 'aws', regions: ['x'], assumeRole: 'arn:aws:iam::210987654321:user/me' }] }, '/accounts/0/assumeRole', "assumeRole is 'arn:aws:iam::210987654321:user/me', not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<role name>"],
  ])('refuses %s, naming the pointer and the fix', (_what, input, pointer, message) => {
    const parsed = parseAccountsFile(input);
    expect(parsed.issues.map((issue) => ({ pointer: issue.pointer, message: issue.message }))).toEqual([{ pointer, message }]);
    expect(parsed.accounts).toEqual([]);
  });

  it('reads the AWS role map as aws accounts of the Region, where `local` is a name like any other', () => {
    const parsed = parseAccountRoles('{"prod":"arn:aws:iam::210987654321:role/deploy","local":"arn:aws:iam::123456789012:role/deploy"}', 'eu-west-1');
    expect(parsed.issues).toEqual([]);
    expect(parsed.accounts.map(({ name, cloudProvider, regions, accountId }) => ({ name, cloudProvider, regions, accountId }))).toEqual([
      { name: 'prod', cloudProvider: 'aws', regions: ['eu-west-1'], accountId: '210987654321' },
      { name: 'local', cloudProvider: 'aws', regions: ['eu-west-1'], accountId: '123456789012' },
    ]);
    expect(parseAccountRoles('{prod', 'eu-west-1').issues[0]!.message).toBe('expected JSON {"<account name>": "<role ARN>"}, got \'{prod\'');
  });

  it('reads the full account map: external id, regions and the ecs kind, beside role ARNs alone', () => {
    const parsed = parseAccountRoleMap(
      {
        prod: 'arn:aws:iam::210987654321:role/deploy',
        'ecs-prod': { assumeRole: 'arn:aws:iam::210987654321:role/ecs-deploy', externalId: 'x7-prod', regions: ['us-west-2'], cloudProvider: 'ecs' },
      },
      'eu-west-1',
    );
    expect(parsed.issues).toEqual([]);
    expect(parsed.accounts.map(({ name, cloudProvider, regions, assumeRole, externalId }) => ({ name, cloudProvider, regions, assumeRole, externalId }))).toEqual([
      { name: 'prod', cloudProvider: 'aws', regions: ['eu-west-1'], assumeRole: 'arn:aws:iam::210987654321:role/deploy', externalId: undefined },
      { name: 'ecs-prod', cloudProvider: 'ecs', regions: ['us-west-2'], assumeRole: 'arn:aws:iam::210987654321:role/ecs-deploy', externalId: 'x7-prod' },
    ]);
  });

  it.each([
    ['a number', { prod: 42 }, '/prod', 'expected a role ARN or {"assumeRole": "<role ARN>", "externalId"?, "regions"?, "cloudProvider"?: "aws" | "ecs"}, got 42'],
    ['no role', { prod: { regions: ['us-east-1'] } }, '/prod/assumeRole', 'assumeRole is missing; give the ARN of the role Gennaker assumes in that account, e.g. "arn:aws:iam::123456789012:role/gennaker-deploy"'],
    ['a kind the stage runner has no target for', { prod: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', cloudProvider: 'gce' } }, '/prod/cloudProvider', 'cloudProvider is \'gce\'; use "aws" (EC2 Auto Scaling groups and Lambda functions), "ecs" (ECS services) or "kubernetes" (EKS clusters)'],
    ['an unknown field', { prod: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', role: 'x' } }, '/prod/role', "unknown field 'role'; an account here has assumeRole, externalId, regions, cloudProvider, readRole, weightedTraffic, executionRoleArn"],
    ['regions that are not a list', { prod: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', regions: 'us-east-1' } }, '/prod/regions', "regions is 'us-east-1'; give a list of region names, e.g. [\"us-east-1\"]"],
    ['a user ARN', { prod: 'arn:aws:iam::210987654321:user/me' }, '/prod/assumeRole', "assumeRole is 'arn:aws:iam::210987654321:user/me', not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<role name>"],
    ['a name with a space', { 'prod east': 'arn:aws:iam::210987654321:role/deploy' }, '/prod east/name', "name is 'prod east'; use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. \"staging\""],
  ])('refuses an account map with %s at the account\'s pointer', (_what, input, pointer, message) => {
    const parsed = parseAccountRoleMap(input, 'eu-west-1');
    expect(parsed.issues.map((issue) => ({ pointer: issue.pointer, message: issue.message }))).toEqual([{ pointer, message }]);
    expect(parsed.accounts).toEqual([]);
  });

  it('reads an EKS account of the map: its role, cluster, inline kubeconfig and namespaces, the namespaces as its locations', () => {
    const eks = { cloudProvider: 'kubernetes', assumeRole: 'arn:aws:iam::210987654321:role/gennaker-deployer', eks: { clusterName: 'prod', region: 'us-east-1' }, kubeconfig: 'apiVersion: v1', namespaces: ['web'] };
    const parsed = parseAccountRoleMap({ 'prod-eks': eks }, 'eu-west-1');
    expect(parsed.issues).toEqual([]);
    expect(parsed.accounts).toEqual([
      {
        name: 'prod-eks',
        cloudProvider: 'kubernetes',
        accountType: 'prod-eks',
        environment: 'prod-eks',
        regions: ['web'],
        accountId: '210987654321',
        assumeRole: eks.assumeRole,
        kubernetes: { kubeconfig: 'apiVersion: v1', namespaces: ['web'], eks: eks.eks },
      },
    ]);
  });

  const EKS = { cloudProvider: 'kubernetes', assumeRole: 'arn:aws:iam::210987654321:role/gennaker-deployer', eks: { clusterName: 'prod', region: 'us-east-1' }, kubeconfig: 'apiVersion: v1' };
  it.each([
    [
      'a kubeconfig file',
      { ...EKS, kubeconfigFile: '~/.kube/config' },
      '/prod-eks/kubeconfigFile',
      "'kubeconfigFile' cannot serve from a Lambda function; give the cluster's endpoint and CA as an inline kubeconfig, with eks; an account here has assumeRole, externalId, cloudProvider, eks, kubeconfig, context, namespaces, readRole",
    ],
    ['no eks', { ...EKS, eks: undefined }, '/prod-eks/eks', 'eks is missing; a kubernetes account on AWS is an EKS cluster: give {"clusterName": "prod", "region": "us-east-1"}'],
    ['no kubeconfig', { ...EKS, kubeconfig: undefined }, '/prod-eks/kubeconfig', "kubeconfig is missing; a kubernetes account on AWS is an EKS cluster: give the cluster's endpoint and CA (`aws eks update-kubeconfig --name <cluster> --dry-run` prints it)"],
    ['a role inside eks', { ...EKS, eks: { ...EKS.eks, assumeRole: EKS.assumeRole } }, '/prod-eks/eks/assumeRole', "give the role as the account's assumeRole, beside eks: the stage runner may assume only the accounts' assumeRole roles"],
    ['no role', { ...EKS, assumeRole: undefined }, '/prod-eks/assumeRole', 'assumeRole is missing; give the ARN of the role Gennaker assumes in that account, e.g. "arn:aws:iam::123456789012:role/gennaker-deploy"'],
  ])('refuses an EKS account of the map with %s', (_what, entry, pointer, message) => {
    const parsed = parseAccountRoleMap({ 'prod-eks': JSON.parse(JSON.stringify(entry)) }, 'eu-west-1');
    expect(parsed.issues.map((issue) => ({ pointer: issue.pointer, message: issue.message }))).toEqual([{ pointer, message }]);
  });

  it("keeps an account's readRole (for the API's reads) and refuses one that is not a role ARN, naming the field", () => {
    const READ = 'arn:aws:iam::210987654321:role/gennaker-read';
    const parsed = parseAccountRoleMap({ prod: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', readRole: READ }, staging: 'arn:aws:iam::210987654322:role/deploy' }, 'eu-west-1');
    expect(parsed.issues).toEqual([]);
    expect(parsed.accounts.map((account) => [account.name, account.readRole ?? null])).toEqual([['prod', READ], ['staging', null]]);

    const refused = parseAccountRoleMap({ prod: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', readRole: 'gennaker-read' } }, 'eu-west-1');
    expect(refused.accounts).toEqual([]);
    expect(refused.issues.map((issue) => [issue.pointer, issue.message])).toEqual([
      ['/prod/readRole', "readRole is 'gennaker-read', not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<role name>"],
    ]);
  });

  it('keeps weightedTraffic on aws and gce accounts, in the file and the role map, and refuses it elsewhere or not a boolean', () => {
    const file = parseAccountsFile({
      accounts: [
        { name: 'prod', cloudProvider: 'aws', regions: ['us-east-1'], assumeRole: 'arn:aws:iam::210987654321:role/deploy', weightedTraffic: true },
        { name: 'gce-prod', cloudProvider: 'gce', project: 'my-project', regions: ['us-central1'], weightedTraffic: true },
        { name: 'staging', cloudProvider: 'aws', regions: ['us-east-1'], weightedTraffic: false },
      ],
    });
    expect(file.issues).toEqual([]);
    expect(file.accounts.map((account) => [account.name, account.weightedTraffic ?? false])).toEqual([['prod', true], ['gce-prod', true], ['staging', false]]);
    const map = parseAccountRoleMap({ prod: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', weightedTraffic: true } }, 'eu-west-1');
    expect(map.accounts.map((account) => account.weightedTraffic)).toEqual([true]);

    const refused = parseAccountsFile({ accounts: [{ name: 'k8s', cloudProvider: 'kubernetes', weightedTraffic: true }, { name: 'prod', cloudProvider: 'aws', regions: ['us-east-1'], weightedTraffic: 'yes' }] });
    expect(refused.accounts).toEqual([]);
    expect(refused.issues.map((issue) => [issue.pointer, issue.message])).toEqual([
      ['/accounts/0/weightedTraffic', "weightedTraffic is for aws and gce accounts, not 'kubernetes'; remove it"],
      ['/accounts/1/weightedTraffic', "weightedTraffic is 'yes'; use true (traffic by weight) or false"],
    ]);
  });

  it("shows an account in Gate's shape, never its external id", () => {
    expect(toGateAccount(BUILT_IN_LOCAL_ACCOUNT)).toMatchObject({ name: 'local', type: 'local', cloudProvider: 'local', regions: [{ name: 'local' }], authorized: true });
    const [prod] = parseAccountRoleMap({ prod: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', externalId: 'x7-prod' } }, 'eu-west-1').accounts;
    expect(JSON.stringify(toGateAccount(prod!))).not.toContain('x7-prod');
  });
});

describe('did you mean', () => {
  it.each([
    ['prod', 'prdo', 1],
    ['staging', 'stagign', 1],
    ['staging', 'stagin', 1],
    ['prod', 'porc', 2],
    ['prod', 'test', 4],
  ])('%s is %i edit(s) from %s', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });

  it.each([
    ['prdo', 'prod'],
    ['Staging', 'staging'],
    ['prod-eas', 'prod-east'],
    ['qa', undefined],
    ['test', undefined],
  ])('suggests for %s: %s', (typed, suggested) => {
    expect(closestName(typed, ['local', 'prod', 'prod-east', 'staging'])).toBe(suggested);
  });
});

describe('the accounts a pipeline names', () => {
  const pipeline = {
    application: 'hello',
    name: 'p',
    triggers: [{ type: 'docker', account: 'my-registry', repository: 'hello' }],
    stages: [
      { refId: '1', type: 'deploy', clusters: [{ account: 'prod' }, { account: 'prdo' }] },
      { refId: '2', type: 'disableCluster', credentials: 'prod' },
      { refId: '3', type: 'findImage', credentials: 'staging' },
      { refId: '4', type: 'runJob', account: 'k8s' },
      { refId: '5', type: 'checkPreconditions', preconditions: [{ type: 'expression', context: { credentials: 'nope' } }, { type: 'clusterSize', context: { credentials: 'prod' } }] },
      { refId: '6', type: 'webhook', account: 'not-a-deploy-account' },
      { refId: '7', type: 'rollbackCluster', credentials: '${trigger.parameters.account}' },
      { refId: '8', type: 'checkPreconditions', credentials: 'staging', preconditions: [{ type: 'clusterSize', context: { cluster: 'hello-prod' } }] },
    ],
  };

  it('are the deploy clusters, the credentials of cluster and server-group stages, a runJob account and clusterSize credentials', () => {
    expect(accountReferences(pipeline)).toEqual([
      { pointer: '/stages/0/clusters/0/account', account: 'prod' },
      { pointer: '/stages/0/clusters/1/account', account: 'prdo' },
      { pointer: '/stages/1/credentials', account: 'prod' },
      { pointer: '/stages/2/credentials', account: 'staging' },
      { pointer: '/stages/3/account', account: 'k8s' },
      { pointer: '/stages/4/preconditions/1/context/credentials', account: 'prod' },
      { pointer: '/stages/6/credentials', account: '${trigger.parameters.account}' },
      // a clusterSize precondition without credentials counts in its stage's
      { pointer: '/stages/7/credentials', account: 'staging' },
    ]);
  });

  it('refuses the unknown ones, leaving expressions to run time', () => {
    const registry = createAccountRegistry([BUILT_IN_LOCAL_ACCOUNT, { ...BUILT_IN_LOCAL_ACCOUNT, name: 'prod' }]);
    expect(unknownAccountIssues(pipeline, registry).map((issue) => `${issue.pointer}: ${issue.message}`)).toEqual([
      "/stages/0/clusters/1/account: account 'prdo' is not known (known accounts: local, prod); did you mean 'prod'?",
      "/stages/2/credentials: account 'staging' is not known (known accounts: local, prod)",
      "/stages/3/account: account 'k8s' is not known (known accounts: local, prod)",
      "/stages/7/credentials: account 'staging' is not known (known accounts: local, prod)",
    ]);
    expect(unknownAccountIssues(pipeline, createAccountRegistry([]))[0]!.message).toBe("account 'prod' is not known (no accounts are configured)");
  });
});
