/**
 * The role a deploy account needs for Gennaker (what `accounts` in CDK context names): the
 * permissions policy of each kind of account and the trust policy that lets the stage runner
 * assume it (and the API, for its cluster reads, unless the account has a `readRole`: a role
 * that may only make the targets' describe calls, which only the API may assume). docs/aws-target-accounts.md shows them (test/infra/target-account-policy.test.ts
 * keeps the two equal, and checks the calls against the targets' code).
 *
 * The permissions are exactly the calls the AWS targets make, clouddriver's calls of
 * reference/cloud-targets.md §2-§4: `aws` accounts hold EC2 Auto Scaling groups behind ELBv2
 * target groups (adapters/targets/aws-ec2), Lambda functions (adapters/targets/aws-lambda) and the
 * CodeBuild projects awsCodeBuild stages build (adapters/builds);
 * `ecs` accounts hold ECS services (adapters/targets/aws-ecs). Either kind is also a canary's
 * metrics account: its CloudWatch is read with `GetMetricData` (adapters/metrics, wired by
 * functions/aws-metrics.ts), which has no resource-level permissions. Beside them, AWS checks a few
 * actions that are never called but authorize a call (`AUTHORIZED_WITH`), each named with the
 * call that needs it. Describe and List calls have no resource-level permissions, so statements
 * use `*`; narrow the mutating ones with tag conditions where the organisation tags resources.
 */

/** The AWS target kinds an account may be (core/accounts/accounts-file.ts `AWS_ACCOUNT_KINDS`). */
export type TargetAccountKind = 'aws' | 'ecs';

/** The IAM actions the targets of each kind call, by service prefix. */
export const TARGET_ACCOUNT_ACTIONS: Readonly<Record<TargetAccountKind, Readonly<Record<string, readonly string[]>>>> = {
  aws: {
    ec2: ['CreateLaunchTemplate', 'DeleteLaunchTemplate', 'DescribeImages', 'DescribeInstances', 'DescribeInstanceTypes', 'DescribeLaunchTemplates', 'DescribeLaunchTemplateVersions', 'DescribeSecurityGroups', 'DescribeSubnets', 'TerminateInstances'],
    autoscaling: ['CreateAutoScalingGroup', 'DeleteAutoScalingGroup', 'DescribeAutoScalingGroups', 'ResumeProcesses', 'SuspendProcesses', 'UpdateAutoScalingGroup'],
    elasticloadbalancing: ['DeregisterTargets', 'DescribeListeners', 'DescribeRules', 'DescribeTargetGroups', 'DescribeTargetHealth', 'ModifyListener', 'ModifyRule', 'RegisterTargets'],
    lambda: [
      'CreateAlias',
      'CreateFunction',
      'DeleteFunction',
      'DeleteFunctionConcurrency',
      'GetAlias',
      'GetFunction',
      'InvokeFunction',
      'ListVersionsByFunction',
      'PublishVersion',
      'PutFunctionConcurrency',
      'TagResource',
      'UpdateAlias',
      'UpdateFunctionCode',
      'UpdateFunctionConfiguration',
    ],
    codebuild: ['BatchGetBuilds', 'StartBuild', 'StopBuild'],
    cloudwatch: ['GetMetricData'],
  },
  ecs: {
    ecs: [
      'ContinueServiceDeployment',
      'CreateService',
      'DeleteService',
      'DeregisterTaskDefinition',
      'DescribeContainerInstances',
      'DescribeServiceDeployments',
      'DescribeServices',
      'DescribeTaskDefinition',
      'DescribeTasks',
      'ListAccountSettings',
      'ListClusters',
      'ListServiceDeployments',
      'ListServices',
      'ListTasks',
      'RegisterTaskDefinition',
      'TagResource',
      'UpdateService',
    ],
    'application-autoscaling': ['DeregisterScalableTarget', 'DescribeScalableTargets', 'RegisterScalableTarget'],
    ec2: ['DescribeSecurityGroups', 'DescribeSubnets'],
    elasticloadbalancing: ['DescribeTargetGroups', 'DescribeTargetHealth'],
    cloudwatch: ['GetMetricData'],
  },
};

/** An action AWS checks when a target's call runs, though the target never calls it. */
export interface AuthorizedWith {
  /** The policy statement it is in (entries of one statement share its condition). */
  readonly sid: string;
  readonly action: string;
  /** The call that needs it, and why. */
  readonly because: string;
  readonly condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const passedTo = (service: string) => ({ StringEquals: { 'iam:PassedToService': service } });
const linkedRoleOf = (service: string) => ({ StringEquals: { 'iam:AWSServiceName': service } });

/** What each kind needs beyond its calls (Amazon EC2 Auto Scaling's "API permissions", Lambda's and ECS's role passing, service-linked roles). */
export const AUTHORIZED_WITH: Readonly<Record<TargetAccountKind, readonly AuthorizedWith[]>> = {
  aws: [
    { sid: 'LaunchWithTemplate', action: 'ec2:RunInstances', because: 'CreateAutoScalingGroup and UpdateAutoScalingGroup with a launch template launch its instances as the caller' },
    { sid: 'LaunchWithTemplate', action: 'ec2:CreateTags', because: "the launch template's tag specifications tag instances and volumes at launch" },
    { sid: 'PassRoleToEc2', action: 'iam:PassRole', condition: passedTo('ec2.amazonaws.com'), because: "a cluster's iamRole, the launch template's instance profile" },
    { sid: 'PassRoleToLambda', action: 'iam:PassRole', condition: passedTo('lambda.amazonaws.com'), because: "CreateFunction and UpdateFunctionConfiguration pass the function's execution role" },
    { sid: 'AutoScalingServiceLinkedRole', action: 'iam:CreateServiceLinkedRole', condition: linkedRoleOf('autoscaling.amazonaws.com'), because: "an account's first CreateAutoScalingGroup creates Auto Scaling's service-linked role" },
  ],
  ecs: [
    { sid: 'PassRoleToEcsTasks', action: 'iam:PassRole', condition: passedTo('ecs-tasks.amazonaws.com'), because: "RegisterTaskDefinition passes the task role (a cluster's iamRole) and the execution role" },
    {
      sid: 'PassRoleToEcs',
      action: 'iam:PassRole',
      condition: passedTo('ecs.amazonaws.com'),
      because: "an ecs-native CreateService or UpdateService passes the infrastructure role (ecsNativeDeployment.roleArn) ECS assumes to move the listener rule's weights, and each Lambda hook's roleArn",
    },
    { sid: 'EcsServiceLinkedRole', action: 'iam:CreateServiceLinkedRole', condition: linkedRoleOf('ecs.amazonaws.com'), because: "an account's first CreateService creates ECS's service-linked role" },
    {
      sid: 'EcsScalingServiceLinkedRole',
      action: 'iam:CreateServiceLinkedRole',
      condition: linkedRoleOf('ecs.application-autoscaling.amazonaws.com'),
      because: "an account's first RegisterScalableTarget of an ECS service creates Application Auto Scaling's service-linked role for ECS",
    },
  ],
};

interface Statement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  /** Trust policies only. */
  readonly Principal?: { readonly AWS: string };
  readonly Action: string | readonly string[];
  /** Permissions policies only. */
  readonly Resource?: string;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Statement[];
}

const SID: Readonly<Record<string, string>> = {
  ec2: 'Ec2',
  autoscaling: 'AutoScaling',
  elasticloadbalancing: 'LoadBalancing',
  lambda: 'Lambda',
  codebuild: 'CodeBuild',
  ecs: 'Ecs',
  'application-autoscaling': 'ApplicationAutoScaling',
  cloudwatch: 'CloudWatch',
};

/** Every IAM action the policy of `kind` allows, `service:Action`, sorted. */
export function targetAccountActions(kind: TargetAccountKind): string[] {
  const called = Object.entries(TARGET_ACCOUNT_ACTIONS[kind]).flatMap(([service, actions]) => actions.map((action) => `${service}:${action}`));
  return [...new Set([...called, ...AUTHORIZED_WITH[kind].map((entry) => entry.action)])].sort();
}

/** The permissions policy the role of a `kind` account needs. */
export function targetAccountPolicy(kind: TargetAccountKind): PolicyDocument {
  const calls: Statement[] = Object.entries(TARGET_ACCOUNT_ACTIONS[kind]).map(([service, actions]) => ({
    Sid: `${SID[service]}Calls`,
    Effect: 'Allow',
    Action: actions.map((action) => `${service}:${action}`),
    Resource: '*',
  }));
  const authorizing: Statement[] = [];
  for (const entry of AUTHORIZED_WITH[kind]) {
    const index = authorizing.findIndex((statement) => statement.Sid === entry.sid);
    const known = authorizing[index];
    if (known) {
      authorizing[index] = { ...known, Action: [...[known.Action].flat(), entry.action] };
      continue;
    }
    authorizing.push({ Sid: entry.sid, Effect: 'Allow', Action: entry.action, Resource: '*', ...(entry.condition ? { Condition: entry.condition } : {}) });
  }
  return { Version: '2012-10-17', Statement: [...calls, ...authorizing] };
}

/** One principal allowed to assume a role, with the account's externalId when it has one. */
function trusting(sid: string, roleArn: string, externalId: string | undefined): Statement {
  return { Sid: sid, Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'sts:AssumeRole', ...(externalId !== undefined ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}) };
}

/**
 * The trust policy of a deploy account's role: the stage runner's role may assume it, and the
 * API's role (given when the account has no `readRole`) for its reads, in sessions it limits to
 * describe calls; with the account's externalId when it has one.
 */
export function targetAccountTrustPolicy(stageRunnerRoleArn: string, externalId?: string, apiRoleArn?: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [trusting('GennakerStageRunner', stageRunnerRoleArn, externalId), ...(apiRoleArn !== undefined ? [trusting('GennakerApiReads', apiRoleArn, externalId)] : [])],
  };
}

/** The services whose describe calls the targets' `describeCluster` makes (Lambda and CodeBuild are not read by the cluster routes). */
const READ_SERVICES = ['ec2', 'autoscaling', 'elasticloadbalancing', 'ecs', 'application-autoscaling'] as const;

/** The Describe, List and Get actions of both kinds' targets, `service:Action`, sorted: all an account's `readRole` needs. */
export function targetAccountReadActions(): string[] {
  const reads = Object.values(TARGET_ACCOUNT_ACTIONS).flatMap((byService) =>
    READ_SERVICES.flatMap((service) => (byService[service] ?? []).filter((action) => /^(Describe|List|Get)/.test(action)).map((action) => `${service}:${action}`)),
  );
  return [...new Set(reads)].sort();
}

/** The permissions policy of an account's `readRole`: the targets' describe calls and nothing else. */
export function targetAccountReadPolicy(): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Sid: 'DescribeCalls', Effect: 'Allow', Action: targetAccountReadActions(), Resource: '*' }] };
}

/** The trust policy of an account's `readRole`: only the API's role may assume it. */
export function targetAccountReadTrustPolicy(apiRoleArn: string, externalId?: string): PolicyDocument {
  return { Version: '2012-10-17', Statement: [trusting('GennakerApiReads', apiRoleArn, externalId)] };
}
