/**
 * Who may do what, in one place (DESIGN.md §10: least privilege everywhere). Every statement
 * names the resources it applies to; where a pattern is needed it is scoped to this
 * deployment: state machines `${prefix}-*` (with their versions, aliases and runs), schedules in
 * its own group, its own bus and table. `*` appears only where the service has no
 * resource-level permission (X-Ray's two write actions, Scheduler's ListSchedules), each
 * acknowledged in infra/nag.ts.
 *
 * What each function does, from functions/wiring.ts, decides what it holds:
 *
 * | capability | api | stage runner | trigger router | reconciler | publisher |
 * |---|---|---|---|---|---|
 * | read/write the state table | ✓ | ✓ | ✓ | ✓ | ✓ |
 * | publish `${prefix}-*` machines, pass the state machine role | ✓ saves publish inline | | ✓ | ✓ | ✓ |
 * | read which version a `${prefix}-*` live alias points at | (publish) | ✓ | (publish) | (publish) | (publish) |
 * | start/stop runs, answer task tokens of `${prefix}-*` | ✓ | ✓ child pipelines | ✓ | ✓ next queued | |
 * | put events on Gennaker's bus | ✓ | ✓ | ✓ | ✓ | |
 * | manage schedules in the group, pass the scheduler role | ✓ saves sync them | | | | ✓ |
 * | invoke the publisher | | ✓ | | | |
 * | assume the deploy-target roles in `accounts` and the roles of `artifactAccounts` | | ✓ | | | |
 * | read s3/object artifacts (`s3:GetObject`, `s3:GetObjectVersion` on the `buckets` of `artifactAccounts` without a role) | | ✓ | | | |
 * | assume each account's `readRole` (else its role), for cluster reads in describe-only sessions | ✓ | | | | |
 * | seal secret values (`kms:GenerateDataKey` on the secrets key) | ✓ starts | ✓ child pipelines, stage writes | ✓ starts | | |
 * | open secret values (`kms:Decrypt` on the secrets key) | | ✓ | | | |
 * | open trigger secrets (`kms:Decrypt`, only data keys of purpose `trigger-secrets`) | ✓ signature checks | | | | |
 * | read `${#secret}`s (`secretsmanager:GetSecretValue`, `DescribeSecret` on `<secretsPrefix>*`) | | ✓ | | | |
 *
 * The notifier reads and writes the state table (executions, their delivery records) and reads
 * the named secrets `<secretsPrefix>*` (a Slack default webhook, a GitHub token); it sends mail
 * from the SES identities of `notifications.email.from` (the address and its domain) and publishes
 * to the topics of `notifications.sns.topicArns`, and to nothing else. It enables and disables
 * its own reminder rule (`${prefix}-judgment-reminders`), no other rule.
 *
 * Nothing that shows an execution (the API) can open one of its sealed values: the API may make
 * data keys, and decrypt only those whose KMS encryption context says `gennaker:purpose` =
 * `trigger-secrets`, to check the signatures of webhook deliveries.
 *
 * Publishing sits with the functions that start runs because the engine publishes a version on
 * its first start when the save could not (a throttled control plane defers it). The stage
 * runner is the exception: it evaluates user expressions and calls user webhooks, so it may not
 * create or change state machines. A child pipeline it starts runs on the live alias when that
 * points at the child's version; otherwise it invokes the publisher, which publishes the version
 * and answers the ARN to start on (functions/stage-runner-wiring.ts).
 *
 * Stages run as child state machines are machines `${prefix}.<pipelineConfigId>.<key>`
 * (adapters/stepfunctions/names.ts: outside `${prefix}-*`, so the execution-status rule never
 * sees them). Publishing covers them too; the state machine role may start them
 * (`states:startExecution.sync:2`), describe and stop their runs, and manage the rule Step
 * Functions keeps for `.sync` integrations (`StepFunctionsGetEventsForStepFunctionsExecutionRule`).
 */
import type { NotificationSettings } from '../core/notifications/settings.ts';
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { FunctionKey, GennakerFunctions } from './constructs/functions.ts';
import { judgmentReminderRuleName } from './constructs/events.ts';

export interface ControlPlaneGrants {
  readonly stateMachineNamePrefix: string;
  readonly table: dynamodb.ITable;
  readonly eventBus: events.IEventBus;
  readonly functions: GennakerFunctions;
  readonly stateMachineRole: iam.IRole;
  readonly schedulerRole: iam.IRole;
  readonly scheduleArnPattern: string;
  /** SSM parameter path (`/gennaker/webhooks`) under which webhook secrets live, if any. */
  readonly webhookSecretsParameterPath?: string;
  /** Role ARNs in deploy-target accounts (and of artifact accounts) the stage runner may assume. */
  readonly accountRoleArns: readonly string[];
  /** Buckets the stage runner reads s3/object artifacts from with its own role. */
  readonly artifactBuckets?: readonly string[];
  /** Role ARNs the API may assume to read the accounts: each one's `readRole`, else its role. */
  readonly readRoleArns?: readonly string[];
  /** The KMS key secret values are sealed with. */
  readonly secretsKeyArn: string;
  /** The Secrets Manager name prefix `#secret` reads. */
  readonly secretsPrefix: string;
  /** The notification settings: who mail is sent as, which topics SNS notifications may reach. */
  readonly notifications?: NotificationSettings;
}

/** The objects of a bucket the stage runner reads artifacts from: `arn:<partition>:s3:::<bucket>/*`. */
export function artifactObjectsArn(scope: Construct, bucket: string): string {
  return Stack.of(scope).formatArn({ service: 's3', region: '', account: '', resource: bucket, resourceName: '*' });
}

/** Which functions hold which capability (the table above). */
export const CAPABILITIES = {
  publishMachines: ['api', 'triggerRouter', 'reconciler', 'publisher'],
  readLiveAliases: ['stageRunner'],
  invokePublisher: ['stageRunner'],
  runMachines: ['api', 'stageRunner', 'triggerRouter', 'reconciler'],
  putEvents: ['api', 'stageRunner', 'triggerRouter', 'reconciler'],
  manageSchedules: ['api', 'publisher'],
  sealSecrets: ['api', 'stageRunner', 'triggerRouter'],
  openSecrets: ['stageRunner'],
  openTriggerSecrets: ['api'],
  readNamedSecrets: ['stageRunner', 'notifier'],
} as const satisfies Record<string, readonly FunctionKey[]>;

/** The item-level DynamoDB actions the store uses (no Scan, no streams, no table management). */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** ARN patterns of this deployment's state machines (with versions and aliases) and their runs; children apart. */
export function stateMachineArnPatterns(scope: Construct, prefix: string): {
  readonly stateMachines: string;
  readonly executions: string;
  readonly childStateMachines: string;
  readonly childExecutions: string;
} {
  const stack = Stack.of(scope);
  const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'states', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  return {
    stateMachines: arn('stateMachine', `${prefix}-*`),
    executions: arn('execution', `${prefix}-*:*`),
    childStateMachines: arn('stateMachine', `${prefix}.*`),
    childExecutions: arn('execution', `${prefix}.*:*`),
  };
}

/** The rule Step Functions creates in the account to learn when a `.sync` child ends (a fixed name). */
export const SYNC_EVENTS_RULE_NAME = 'StepFunctionsGetEventsForStepFunctionsExecutionRule';

/** The wildcard patterns below as cdk-nag prints them (pseudo parameters in angle brackets). */
function nagPattern(kind: 'stateMachine' | 'execution', resourceName: string): string {
  return `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:${kind}:${resourceName}`;
}

function allow(actions: readonly string[], resources: readonly string[], conditions?: Record<string, Record<string, string>>): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: [...actions], resources: [...resources], ...(conditions ? { conditions } : {}) });
}

/** Grants each function (and nothing else) what the table above says. */
export function grantControlPlanePermissions(scope: Construct, grants: ControlPlaneGrants): void {
  const fns = grants.functions.all();
  const stack = Stack.of(scope);
  const prefix = grants.stateMachineNamePrefix;
  const { stateMachines, executions, childStateMachines, childExecutions } = stateMachineArnPatterns(scope, prefix);
  const tableAndIndexes = [grants.table.tableArn, `${grants.table.tableArn}/index/*`];

  for (const fn of Object.values(fns)) fn.addToRolePolicy(allow(TABLE_ACTIONS, tableAndIndexes));

  for (const key of CAPABILITIES.publishMachines) {
    fns[key].addToRolePolicy(allow([
      'states:CreateStateMachine',
      'states:UpdateStateMachine',
      'states:DescribeStateMachine',
      'states:PublishStateMachineVersion',
      'states:ListStateMachineVersions',
      'states:CreateStateMachineAlias',
      'states:UpdateStateMachineAlias',
      'states:DescribeStateMachineAlias',
    ], [stateMachines, childStateMachines]));
    Validations.of(fns[key].role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagPattern('stateMachine', `${prefix}.*`)}]`,
      reason: `Stages run as child state machines are created at run time, named '${prefix}.<pipelineConfigId>.<key>'; the prefix scopes this to this deployment's child machines, their versions and aliases`,
    });
    fns[key].addToRolePolicy(allow(['iam:PassRole'], [grants.stateMachineRole.roleArn], { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } }));
  }

  for (const key of CAPABILITIES.readLiveAliases) {
    fns[key].addToRolePolicy(allow(['states:DescribeStateMachineAlias'], [stateMachines]));
  }

  for (const key of CAPABILITIES.invokePublisher) {
    fns[key].addToRolePolicy(allow(['lambda:InvokeFunction'], [grants.functions.publisher.functionArn]));
  }

  for (const key of CAPABILITIES.runMachines) {
    fns[key].addToRolePolicy(allow(['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], [stateMachines]));
    fns[key].addToRolePolicy(allow(['states:StopExecution', 'states:DescribeExecution'], [executions]));
  }

  // The pipelines' own role: start children (`startExecution.sync:2` on a child's version ARN), follow and stop their runs.
  grants.stateMachineRole.addToPrincipalPolicy(allow(['states:StartExecution'], [childStateMachines]));
  grants.stateMachineRole.addToPrincipalPolicy(allow(['states:DescribeExecution', 'states:StopExecution'], [childExecutions]));
  grants.stateMachineRole.addToPrincipalPolicy(allow(['events:PutTargets', 'events:PutRule', 'events:DescribeRule'], [
    stack.formatArn({ service: 'events', resource: 'rule', resourceName: SYNC_EVENTS_RULE_NAME }),
  ]));
  Validations.of(grants.stateMachineRole).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${nagPattern('stateMachine', `${prefix}.*`)}]`,
      reason: `A pipeline starts its stages run as child state machines ('${prefix}.<pipelineConfigId>.<key>', created at run time) by version ARN; no other machine`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagPattern('execution', `${prefix}.*:*`)}]`,
      reason: `startExecution.sync:2 describes and stops the runs of the child machines it started ('${prefix}.*' only), whose names are execution ids`,
    },
  );

  for (const key of CAPABILITIES.putEvents) {
    fns[key].addToRolePolicy(allow(['events:PutEvents'], [grants.eventBus.eventBusArn]));
  }

  for (const key of CAPABILITIES.manageSchedules) {
    fns[key].addToRolePolicy(allow(['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'], [grants.scheduleArnPattern]));
    // ListSchedules has no resource-level permission; the adapter filters by group and prefix.
    fns[key].addToRolePolicy(allow(['scheduler:ListSchedules'], ['*']));
    fns[key].addToRolePolicy(allow(['iam:PassRole'], [grants.schedulerRole.roleArn], { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }));
  }

  if (grants.webhookSecretsParameterPath !== undefined) {
    const path = grants.webhookSecretsParameterPath.replace(/^\/+|\/+$/g, '');
    fns.api.addToRolePolicy(allow(['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'], [
      stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: path }),
      stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${path}/*` }),
    ]));
  }

  for (const key of CAPABILITIES.sealSecrets) fns[key].addToRolePolicy(allow(['kms:GenerateDataKey'], [grants.secretsKeyArn]));
  for (const key of CAPABILITIES.openSecrets) fns[key].addToRolePolicy(allow(['kms:Decrypt'], [grants.secretsKeyArn]));
  for (const key of CAPABILITIES.openTriggerSecrets) {
    fns[key].addToRolePolicy(allow(['kms:Decrypt'], [grants.secretsKeyArn], { StringEquals: { 'kms:EncryptionContext:gennaker:purpose': 'trigger-secrets' } }));
  }
  const namedSecrets = stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${grants.secretsPrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  for (const key of CAPABILITIES.readNamedSecrets) {
    fns[key].addToRolePolicy(allow(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], [namedSecrets]));
    Validations.of(fns[key].role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${grants.secretsPrefix}*]`,
      reason: `\${#secret('name')} reads the secret '${grants.secretsPrefix}<name>' the operator creates; the prefix scopes it to Gennaker's secrets (Secrets Manager appends a random suffix to each ARN)`,
    });
  }

  const from = grants.notifications?.email?.from;
  if (from !== undefined) {
    const address = from.toLowerCase();
    const identity = (name: string) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name });
    fns.notifier.addToRolePolicy(allow(['ses:SendEmail'], [identity(address), identity(address.slice(address.indexOf('@') + 1))]));
  }
  const topics = grants.notifications?.sns?.topicArns ?? [];
  if (topics.length > 0) fns.notifier.addToRolePolicy(allow(['sns:Publish'], topics));
  // The reminder rule runs only while a judgment with reminders waits; the notifier switches it.
  fns.notifier.addToRolePolicy(allow(['events:EnableRule', 'events:DisableRule'], [stack.formatArn({ service: 'events', resource: 'rule', resourceName: judgmentReminderRuleName(prefix) })]));

  if (grants.accountRoleArns.length > 0) {
    fns.stageRunner.addToRolePolicy(allow(['sts:AssumeRole'], grants.accountRoleArns));
  }
  // s3/object artifacts: the objects of the configured buckets, read only.
  const buckets = grants.artifactBuckets ?? [];
  if (buckets.length > 0) fns.stageRunner.addToRolePolicy(allow(['s3:GetObject', 's3:GetObjectVersion'], buckets.map((bucket) => artifactObjectsArn(stack, bucket))));
  // The API's cluster reads: it limits its sessions to describe calls (functions/aws-account-targets.ts READ_ONLY_SESSION_POLICY).
  const readRoles = grants.readRoleArns ?? [];
  if (readRoles.length > 0) fns.api.addToRolePolicy(allow(['sts:AssumeRole'], readRoles));
}
