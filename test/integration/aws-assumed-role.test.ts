/**
 * A deploy account's role, assumed through STS on the AWS simulator with the real SDK clients
 * (adapters/aws/assumed-role.ts): one AssumeRole serves every client and concurrent call, with
 * the account's external id and a session name per execution; the session is assumed again
 * five minutes before it expires, by the simulator's clock; the calls are signed with the
 * session's key; a refused AssumeRole fails the target's call in one line naming the account,
 * the role and the fix. The API's reads (functions/api/cluster-reads.ts) act through each
 * account's readRole, else its role, always in a session limited to describe calls, and a
 * refusal names the API's role as the one to trust.
 */
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assumedRoleCredentials, roleSessionName } from '../../adapters/aws/assumed-role.ts';
import { createEc2Target } from '../../adapters/targets/aws-ec2/ec2-target.ts';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { accountReadTargets, READ_ONLY_SESSION_POLICY } from '../../functions/api/cluster-reads.ts';
import { parseAccountRoleMap, parseAccountsFile } from '../../core/accounts/accounts-file.ts';
import { createLocalAwsTargets } from '../../local/aws-targets.ts';
import { createAwsTargets } from '../../functions/aws-targets.ts';

const ROLE = 'arn:aws:iam::210987654321:role/gennaker-deploy';
const CALLER = { accessKeyId: 'AKIDSTAGERUNNER', secretAccessKey: 'sandbox' };

let sim: AwsSimulator;
let sts: STSClient;
const clients: Array<{ destroy(): void }> = [];

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 5 });
  sim.seed.sts.role({ arn: ROLE, externalId: 'x7-prod' });
  sts = new STSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: CALLER });
  clients.push(sts);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await sim.close();
});

function ec2With(credentials: ReturnType<typeof assumedRoleCredentials>): EC2Client {
  const client = new EC2Client({ endpoint: sim.endpoint, region: 'us-east-1', credentials });
  clients.push(client);
  return client;
}

describe('the role of a deploy account', () => {
  it('is assumed once for every client and concurrent call, with the external id and the execution in the session name, and signs the calls', async () => {
    // given
    let execution = '01JEXECUTIONAAAAAAAAAAAAAA';
    const credentials = assumedRoleCredentials({ account: 'prod', roleArn: ROLE, externalId: 'x7-prod', sts, sessionName: () => `gennaker-${execution}`, clock: { now: () => sim.now() } });
    const [first, second] = [ec2With(credentials), ec2With(credentials)];

    // when
    await Promise.all([first.send(new DescribeSubnetsCommand({})), second.send(new DescribeSubnetsCommand({})), first.send(new DescribeSubnetsCommand({}))]);

    // then
    const assumed = sim.events({ kind: 'role.assumed' });
    expect(assumed.map((event) => [event.detail['roleArn'], event.detail['sessionName'], event.detail['externalId']])).toEqual([[ROLE, 'gennaker-01JEXECUTIONAAAAAAAAAAAAAA', 'x7-prod']]);
    const key = assumed[0]!.detail['accessKeyId'];
    expect(key).toMatch(/^ASIA/);
    expect(sim.calls({ action: 'AssumeRole' }).map((call) => call.accessKeyId)).toEqual([CALLER.accessKeyId]);
    expect(sim.calls({ service: 'ec2' }).map((call) => call.accessKeyId)).toEqual([key, key, key]);

    // when another execution's stage calls
    execution = '01JEXECUTIONBBBBBBBBBBBBBB';
    await first.send(new DescribeSubnetsCommand({}));

    // then it acts under its own session, and the first one is still kept
    expect(sim.events({ kind: 'role.assumed' }).map((event) => event.detail['sessionName'])).toEqual(['gennaker-01JEXECUTIONAAAAAAAAAAAAAA', 'gennaker-01JEXECUTIONBBBBBBBBBBBBBB']);
    execution = '01JEXECUTIONAAAAAAAAAAAAAA';
    await first.send(new DescribeSubnetsCommand({}));
    expect(sim.calls({ action: 'AssumeRole' })).toHaveLength(2);
  });

  it('is assumed again five minutes before its session expires, by the given clock', async () => {
    // given a 15-minute session
    const credentials = assumedRoleCredentials({ account: 'prod', roleArn: ROLE, externalId: 'x7-prod', sts, sessionName: () => 'gennaker-run', clock: { now: () => sim.now() }, durationSeconds: 900 });
    const ec2 = ec2With(credentials);
    await ec2.send(new DescribeSubnetsCommand({}));

    // when 9 minutes pass, then it is still used
    sim.tick(9 * 60_000);
    await ec2.send(new DescribeSubnetsCommand({}));
    expect(sim.calls({ action: 'AssumeRole' })).toHaveLength(1);

    // when a tenth minute passes (less than 5 left), then a new session signs the call
    sim.tick(60_000 + 1);
    await ec2.send(new DescribeSubnetsCommand({}));
    const keys = sim.events({ kind: 'role.assumed' }).map((event) => event.detail['accessKeyId']);
    expect(keys).toHaveLength(2);
    expect(sim.calls({ service: 'ec2' }).map((call) => call.accessKeyId)).toEqual([keys[0], keys[0], keys[1]]);
  });

  it("fails a target's call in one line naming the account, the role and the fix when the external id is wrong", async () => {
    // given
    const credentials = assumedRoleCredentials({ account: 'prod', roleArn: ROLE, externalId: 'x7-staging', sts, sessionName: () => 'gennaker-run', clock: { now: () => sim.now() } });
    const config = { endpoint: sim.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
    const ec2 = new EC2Client(config);
    const autoScaling = new AutoScalingClient(config);
    const elbv2 = new ElasticLoadBalancingV2Client(config);
    clients.push(ec2, autoScaling, elbv2);
    const target = createEc2Target({ account: 'prod', region: 'us-east-1', clients: { ec2, autoScaling, elbv2 } });

    // when
    const described = await target.serverGroups.describeCluster({ account: 'prod', location: 'us-east-1', cluster: 'hello-prod' });

    // then
    expect(described.ok).toBe(false);
    const message = described.ok ? '' : described.message;
    expect(message).not.toContain('\n');
    expect(message).toContain(
      `listing the Auto Scaling groups of cluster 'hello-prod' failed: AWS AccessDenied: assuming ${ROLE} (account 'prod', session gennaker-run) was refused: allow the stage runner's role in its trust policy with this externalId; STS said: User:`,
    );
    expect(described.ok ? undefined : described.reason).toBe('failed');
    expect(sim.calls({ service: 'autoscaling' })).toEqual([]);
  });

  it("reads an account through its readRole when it has one, else its role, always in a describe-only session, and names the API's role when refused", async () => {
    // given: prod read through its deploy role, staging through its read role, audit through a role that does not trust the API
    const READ_ROLE = 'arn:aws:iam::109876543210:role/gennaker-read';
    sim.seed.sts.role({ arn: READ_ROLE, externalId: 'x7-staging' });
    const { accounts, issues } = parseAccountRoleMap(
      {
        prod: { assumeRole: ROLE, externalId: 'x7-prod' },
        staging: { assumeRole: 'arn:aws:iam::109876543210:role/gennaker-deploy', externalId: 'x7-staging', readRole: READ_ROLE },
        audit: { assumeRole: 'arn:aws:iam::109876543211:role/gennaker-deploy', readRole: 'arn:aws:iam::109876543211:role/gennaker-read' },
      },
      'us-east-1',
    );
    expect(issues).toEqual([]);
    const lookup = accountReadTargets({
      accounts,
      region: 'us-east-1',
      clock: { now: () => sim.now() },
      sessionName: () => 'gennaker-api',
      caller: "the API's role",
      clients: { endpoint: sim.endpoint, maxAttempts: 1 },
      callerCredentials: CALLER,
    });
    const describe = (account: string) => lookup({ account })!.serverGroups.describeCluster({ account, location: 'us-east-1', cluster: 'hello-prod' });

    // when
    const [prod, staging, audit] = [await describe('prod'), await describe('staging'), await describe('audit')];

    // then
    expect([prod.ok, staging.ok]).toEqual([true, true]);
    expect(sim.events({ kind: 'role.assumed' }).map((event) => [event.detail['roleArn'], event.detail['externalId'], event.detail['policy']])).toEqual([
      [ROLE, 'x7-prod', READ_ONLY_SESSION_POLICY],
      [READ_ROLE, 'x7-staging', READ_ONLY_SESSION_POLICY],
    ]);
    expect(audit.ok ? '' : audit.message).toContain("assuming arn:aws:iam::109876543211:role/gennaker-read (account 'audit', session gennaker-api) was refused: allow the API's role in its trust policy; STS said:");
  });

  it("turns an aws account's weightedTraffic into its target's weighted mode: traffic by weight only where the account asks", () => {
    const parsed = parseAccountRoleMap({ weighted: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', weightedTraffic: true }, whole: 'arn:aws:iam::210987654321:role/deploy' }, 'us-east-1');
    const targets = createAwsTargets({ region: 'us-east-1', clock: { now: () => 0 }, sessionName: () => 'test', clients: { endpoint: 'http://127.0.0.1:9' }, callerCredentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    try {
      const capabilities = parsed.accounts.map((account) => [account.name, targets.targetOf(account).traffic.capabilities.weights]);
      expect(capabilities).toEqual([['weighted', true], ['whole', false]]);
    } finally {
      targets.close();
    }
  });

  it("gives an ecs account's Fargate tasks its executionRoleArn, else the account's role as clouddriver does", async () => {
    const OWN = 'arn:aws:iam::210987654321:role/ecsTaskExecutionRole';
    sim.seed.sts.role({ arn: 'arn:aws:iam::210987654321:role/deploy' });
    sim.seed.ecs.cluster({ name: 'prod' });
    sim.seed.ec2.subnet({ az: 'us-east-1a', purpose: 'private' });
    const parsed = parseAccountRoleMap(
      { plain: { cloudProvider: 'ecs', assumeRole: 'arn:aws:iam::210987654321:role/deploy' }, own: { cloudProvider: 'ecs', assumeRole: 'arn:aws:iam::210987654321:role/deploy', executionRoleArn: OWN } },
      'us-east-1',
    );
    expect(parsed.issues).toEqual([]);
    const targets = createAwsTargets({ region: 'us-east-1', clock: { now: () => sim.now() }, sessionName: () => 'test', clients: { endpoint: sim.endpoint }, callerCredentials: CALLER });
    try {
      const roles: Array<string | undefined> = [];
      for (const account of parsed.accounts) {
        const cluster = `hello-${account.name}`;
        const provider = { ecsClusterName: 'prod', launchType: 'FARGATE', networkMode: 'awsvpc', subnetType: 'private', computeUnits: 256, reservedMemory: 512, dockerImageAddress: 'hello:1', logDriver: 'awslogs', logOptions: { 'awslogs-group': 'hello' } };
        const created = await targets.targetOf(account).serverGroups.create({ account: account.name, location: 'us-east-1', cluster, name: `${cluster}-v000`, owner: 'e1/s1/create', capacity: { min: 1, max: 1, desired: 1 }, provider });
        expect(created).toEqual({ ok: true, outcome: 'done' });
        const ecs = new ECSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: CALLER });
        clients.push(ecs);
        roles.push((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: cluster }))).taskDefinition?.executionRoleArn);
      }
      expect(roles).toEqual(['arn:aws:iam::210987654321:role/deploy', OWN]);
      expect(parseAccountRoleMap({ lambda: { assumeRole: 'arn:aws:iam::210987654321:role/deploy', executionRoleArn: OWN } }, 'us-east-1').issues.map((found) => found.message)).toEqual([
        "executionRoleArn is for ecs accounts (the role Fargate tasks pull images and write logs with), not 'aws'; remove it",
      ]);
    } finally {
      targets.close();
    }
  });

  it("serves local mode's aws and ecs accounts: each role assumed with the person's credentials, an account without one acting with them directly", async () => {
    const parsed = parseAccountsFile(
      {
        accounts: [
          { name: 'prod', cloudProvider: 'aws', regions: ['us-east-1'], assumeRole: ROLE, externalId: 'x7-prod' },
          { name: 'mine', cloudProvider: 'ecs', regions: ['us-east-1'] },
          { name: 'dev', cloudProvider: 'local' },
        ],
      },
      { builtIn: [] },
    );
    expect(parsed.issues).toEqual([]);
    const local = createLocalAwsTargets(parsed.accounts, { clock: { now: () => sim.now() }, env: {}, clients: { endpoint: sim.endpoint }, callerCredentials: CALLER });
    try {
      expect([local.lookup({ account: 'dev' }), local.lookup({ account: 'prod', cloudProvider: 'ecs' })]).toEqual([undefined, undefined]);
      expect(local.lookup({ account: 'prod', cloudProvider: 'lambda' })).toBeDefined();
      for (const [account, cluster] of [['prod', 'hello-prod'], ['mine', 'hello-mine']] as const) {
        const described = await local.lookup({ account })!.serverGroups.describeCluster({ account, location: 'us-east-1', cluster });
        expect(described).toMatchObject({ ok: true, cluster: { serverGroups: [] } });
      }
      const assumed = sim.events({ kind: 'role.assumed' });
      expect(assumed.map((event) => [event.detail['roleArn'], event.detail['externalId'], String(event.detail['sessionName']).startsWith('gennaker-')])).toEqual([[ROLE, 'x7-prod', true]]);
      const keys = new Set([...sim.calls({ service: 'autoscaling' }), ...sim.calls({ service: 'ecs' })].map((call) => call.accessKeyId));
      expect(keys).toEqual(new Set([assumed[0]!.detail['accessKeyId'], CALLER.accessKeyId]));
    } finally {
      local.close();
    }
  });

  it('makes any text a session name STS accepts', () => {
    expect(roleSessionName('gennaker-01JEXECUTION')).toBe('gennaker-01JEXECUTION');
    expect(roleSessionName('gennaker run/1 #2')).toBe('gennaker-run-1--2');
    expect(roleSessionName('x')).toBe('x-');
    expect(roleSessionName(`gennaker-${'a'.repeat(80)}`)).toHaveLength(64);
  });
});
