/**
 * The policy a deploy account's role needs (infra/target-account-policy.ts): it allows exactly
 * the calls the AWS targets' code makes (each `new <Operation>Command` of the adapters, mapped to
 * its IAM action), plus the actions AWS checks while those calls run, each with its reason;
 * docs/aws-target-accounts.md shows the same documents, statement by statement.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUTHORIZED_WITH, TARGET_ACCOUNT_ACTIONS, targetAccountActions, targetAccountPolicy, targetAccountReadActions, targetAccountReadPolicy, targetAccountReadTrustPolicy, targetAccountTrustPolicy, type TargetAccountKind } from '../../infra/target-account-policy.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** IAM's service prefix of each SDK client package. */
const PREFIX: Readonly<Record<string, string>> = {
  'client-ec2': 'ec2',
  'client-auto-scaling': 'autoscaling',
  'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-lambda': 'lambda',
  'client-ecs': 'ecs',
  'client-application-auto-scaling': 'application-autoscaling',
  'client-codebuild': 'codebuild',
  'client-cloudwatch': 'cloudwatch',
};

/** Operations whose IAM action is named otherwise. */
const ACTION_OF: Readonly<Record<string, string>> = { 'lambda:Invoke': 'lambda:InvokeFunction' };

/** The IAM actions of every SDK command the files of these adapter folders send. */
function commandsSentBy(folders: readonly string[]): string[] {
  const actions = new Set<string>();
  for (const folder of folders) {
    const dir = join(root, 'adapters', folder);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      const packageOf = new Map<string, string>();
      for (const [, names, pkg] of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
        for (const name of names!.split(',').map((part) => part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!)) if (name) packageOf.set(name, pkg!);
      }
      for (const [, operation] of source.matchAll(/new ([A-Z]\w*)Command\(/g)) {
        const pkg = packageOf.get(`${operation}Command`);
        if (!pkg) throw new Error(`${folder}/${file}: ${operation}Command is not imported from an @aws-sdk client`);
        const action = `${PREFIX[pkg]}:${operation}`;
        actions.add(ACTION_OF[action] ?? action);
      }
    }
  }
  return [...actions].sort();
}

// Either kind is a canary's metrics account too: the CloudWatch metric source reads it (functions/aws-metrics.ts).
const FOLDERS: Readonly<Record<TargetAccountKind, readonly string[]>> = { aws: ['targets/aws-ec2', 'targets/aws-lambda', 'builds', 'metrics'], ecs: ['targets/aws-ecs', 'metrics'] };

describe("a deploy account role's policy", () => {
  it.each(['aws', 'ecs'] as const)('allows exactly the calls the %s targets make', (kind) => {
    const calls = Object.entries(TARGET_ACCOUNT_ACTIONS[kind]).flatMap(([service, actions]) => actions.map((action) => `${service}:${action}`)).sort();
    expect(calls).toEqual(commandsSentBy(FOLDERS[kind]));
    expect(calls.length).toBeGreaterThan(10);
  });

  it.each(['aws', 'ecs'] as const)('adds to the %s calls only what AWS checks while they run, each with its reason and scoped by a condition where IAM has one', (kind) => {
    const extra = targetAccountActions(kind).filter((action) => !commandsSentBy(FOLDERS[kind]).includes(action));
    expect(extra).toEqual([...new Set(AUTHORIZED_WITH[kind].map((entry) => entry.action))].sort());
    for (const entry of AUTHORIZED_WITH[kind]) {
      expect(entry.because.length).toBeGreaterThan(30);
      if (entry.action.startsWith('iam:')) expect(entry.condition).toBeDefined();
    }
  });

  it('is statement by statement what the aws account needs', () => {
    const statements = targetAccountPolicy('aws').Statement.map((statement) => ({ sid: statement.Sid, actions: [statement.Action].flat(), condition: statement.Condition ?? null }));
    expect(statements.map((statement) => statement.sid)).toEqual(['Ec2Calls', 'AutoScalingCalls', 'LoadBalancingCalls', 'LambdaCalls', 'CodeBuildCalls', 'CloudWatchCalls', 'LaunchWithTemplate', 'PassRoleToEc2', 'PassRoleToLambda', 'AutoScalingServiceLinkedRole']);
    expect(statements[1]!.actions).toEqual(['autoscaling:CreateAutoScalingGroup', 'autoscaling:DeleteAutoScalingGroup', 'autoscaling:DescribeAutoScalingGroups', 'autoscaling:ResumeProcesses', 'autoscaling:SuspendProcesses', 'autoscaling:UpdateAutoScalingGroup']);
    expect(statements[4]).toEqual({ sid: 'CodeBuildCalls', actions: ['codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild'], condition: null });
    // A canary's metrics account: GetMetricData and no other CloudWatch call.
    expect(statements[5]).toEqual({ sid: 'CloudWatchCalls', actions: ['cloudwatch:GetMetricData'], condition: null });
    expect(statements[6]).toEqual({ sid: 'LaunchWithTemplate', actions: ['ec2:RunInstances', 'ec2:CreateTags'], condition: null });
    expect(statements[7]).toEqual({ sid: 'PassRoleToEc2', actions: ['iam:PassRole'], condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } });
    expect(statements[8]).toEqual({ sid: 'PassRoleToLambda', actions: ['iam:PassRole'], condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } });
    expect(statements[9]).toEqual({ sid: 'AutoScalingServiceLinkedRole', actions: ['iam:CreateServiceLinkedRole'], condition: { StringEquals: { 'iam:AWSServiceName': 'autoscaling.amazonaws.com' } } });
    expect(targetAccountActions('aws').filter((action) => action.startsWith('ecs:'))).toEqual([]);
  });

  it('is statement by statement what the ecs account needs', () => {
    const statements = targetAccountPolicy('ecs').Statement.map((statement) => ({ sid: statement.Sid, actions: [statement.Action].flat(), condition: statement.Condition ?? null }));
    expect(statements.map((statement) => statement.sid)).toEqual(['EcsCalls', 'ApplicationAutoScalingCalls', 'Ec2Calls', 'LoadBalancingCalls', 'CloudWatchCalls', 'PassRoleToEcsTasks', 'PassRoleToEcs', 'EcsServiceLinkedRole', 'EcsScalingServiceLinkedRole']);
    // An ECS account only reads EC2 and ELBv2: subnets and security groups, target groups and their health.
    expect(statements[2]!.actions).toEqual(['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets']);
    expect(statements[3]!.actions).toEqual(['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth']);
    expect(statements[4]).toEqual({ sid: 'CloudWatchCalls', actions: ['cloudwatch:GetMetricData'], condition: null });
    expect(statements[5]!.condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(targetAccountActions('ecs').filter((action) => action.startsWith('autoscaling:') || action.startsWith('lambda:'))).toEqual([]);
  });

  it('lets only the stage runner assume the role, with the external id when the account has one', () => {
    expect(targetAccountTrustPolicy('arn:aws:iam::123456789012:role/runner').Statement).toEqual([
      { Sid: 'GennakerStageRunner', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/runner' }, Action: 'sts:AssumeRole' },
    ]);
    expect(targetAccountTrustPolicy('arn:aws:iam::123456789012:role/runner', 'x7').Statement[0]!.Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'x7' } });
  });

  it('lets the API assume the role too when it is given, and only the API assume a read role', () => {
    expect(targetAccountTrustPolicy('arn:aws:iam::123456789012:role/runner', 'x7', 'arn:aws:iam::123456789012:role/api').Statement.map((statement) => [statement.Sid, statement.Principal, statement.Condition])).toEqual([
      ['GennakerStageRunner', { AWS: 'arn:aws:iam::123456789012:role/runner' }, { StringEquals: { 'sts:ExternalId': 'x7' } }],
      ['GennakerApiReads', { AWS: 'arn:aws:iam::123456789012:role/api' }, { StringEquals: { 'sts:ExternalId': 'x7' } }],
    ]);
    expect(targetAccountReadTrustPolicy('arn:aws:iam::123456789012:role/api').Statement).toEqual([
      { Sid: 'GennakerApiReads', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/api' }, Action: 'sts:AssumeRole' },
    ]);
  });

  it("gives a read role the targets' describe calls of both kinds and nothing that changes anything", () => {
    const read = targetAccountReadActions();
    expect(read.filter((action) => !/^[a-z0-9-]+:(Describe|List|Get)/.test(action))).toEqual([]);
    // every describe the targets make, of either kind, except Lambda, CodeBuild and a canary's CloudWatch, which the cluster routes do not read
    const describes = [...targetAccountActions('aws'), ...targetAccountActions('ecs')].filter((action) => /^[a-z0-9-]+:(Describe|List|Get)/.test(action) && !/^(lambda|codebuild|cloudwatch):/.test(action));
    expect(read).toEqual([...new Set(describes)].sort());
    expect(targetAccountReadPolicy().Statement).toEqual([{ Sid: 'DescribeCalls', Effect: 'Allow', Action: read, Resource: '*' }]);
  });

  it('is what docs/aws-target-accounts.md shows', () => {
    const doc = readFileSync(join(root, 'docs', 'aws-target-accounts.md'), 'utf8');
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((match) => JSON.parse(match[1]!));
    expect(blocks).toEqual([
      targetAccountTrustPolicy('<StageRunnerRoleArn>', '<externalId>', '<ApiRoleArn>'),
      targetAccountPolicy('aws'),
      targetAccountPolicy('ecs'),
      targetAccountReadPolicy(),
      targetAccountReadTrustPolicy('<ApiRoleArn>', '<externalId>'),
    ]);
  });
});
