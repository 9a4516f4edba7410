/**
 * The AWS stack's security-relevant properties, read from the synthesized template (no AWS
 * account): the table is built from STATE_TABLE, every API method needs IAM auth, every log
 * group has a retention, the rules match exactly the events Gennaker handles, no policy grants
 * `*` beyond the few actions that have no resource-level permissions, the state machine role can
 * only invoke the stage runner, and cdk-nag's AwsSolutions pack finds nothing unacknowledged.
 *
 * Each stack is synthesized once, without bundling (`aws:cdk:bundling-stacks`): the real
 * esbuild bundles are checked by cdk-synth.test.ts, which runs the CDK CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_TABLE } from '../../adapters/dynamodb/tables.ts';
import { addGennakerStack } from '../../infra/gennaker-app.ts';
import { GennakerStack } from '../../infra/stack.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON

const ACCOUNT_ROLE = 'arn:aws:iam::210987654321:role/gennaker-deploy';
const ECS_ACCOUNT_ROLE = 'arn:aws:iam::109876543210:role/gennaker-ecs-deploy';
const EKS_ACCOUNT_ROLE = 'arn:aws:iam::109876543210:role/gennaker-deployer';
/** The ECS account's role that may only describe, which the API reads it through. */
const ECS_READ_ROLE = 'arn:aws:iam::109876543210:role/gennaker-ecs-read';
/** The configured stack's s3 artifact accounts: two buckets read as the stage runner, one through a role of another account. */
const ARTIFACT_READER_ROLE = 'arn:aws:iam::111122223333:role/artifact-reader';
const ARTIFACT_ACCOUNTS = [
  { name: 's3', type: 's3', buckets: ['acme-builds', 'acme-manifests'] },
  { name: 'partner', type: 's3', region: 'eu-west-1', buckets: ['partner-artifacts'], assumeRole: ARTIFACT_READER_ROLE },
];
/** The configured stack's accounts: a role ARN alone, an ECS account with an external id, its own regions and a read role, and an EKS cluster. */
const ACCOUNTS = {
  prod: ACCOUNT_ROLE,
  'ecs-prod': { assumeRole: ECS_ACCOUNT_ROLE, externalId: 'x7-ecs-prod', regions: ['us-west-2'], cloudProvider: 'ecs', readRole: ECS_READ_ROLE },
  'prod-eks': { cloudProvider: 'kubernetes', assumeRole: EKS_ACCOUNT_ROLE, eks: { clusterName: 'prod', region: 'us-east-1' }, kubeconfig: 'apiVersion: v1', namespaces: ['web'] },
};

/** A CloudFormation value as readable text: `${Ref}`, `<Logical.Attr>`, joins concatenated. */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value.Ref) return `\${${value.Ref}}`;
  if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(render).join('');
  return JSON.stringify(value);
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function resourcesOfType(template: Json, type: string): Array<[string, Json]> {
  return Object.entries<Json>(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** Every statement of every identity policy, with the role it is attached to. */
function statementsOf(template: Json): Array<{ role: string; actions: string[]; resources: string[]; condition?: Json }> {
  return resourcesOfType(template, 'AWS::IAM::Policy').flatMap(([, policy]) =>
    (policy.Properties.PolicyDocument.Statement as Json[]).flatMap((statement) =>
      (policy.Properties.Roles as Json[]).map((role) => ({
        role: render(role),
        actions: list<string>(statement.Action),
        resources: list<Json>(statement.Resource).map(render),
        ...(statement.Condition ? { condition: statement.Condition } : {}),
      })),
    ),
  );
}

function functionNamed(template: Json, name: string): [string, Json] {
  const found = resourcesOfType(template, 'AWS::Lambda::Function').find(([, fn]) => fn.Properties.FunctionName === name);
  if (!found) throw new Error(`no function named ${name}`);
  return found;
}

/** The role (as `${RoleLogicalId}`) a function runs under. */
function roleOf(template: Json, functionName: string): string {
  return render({ Ref: functionNamed(template, functionName)[1].Properties.Role['Fn::GetAtt'][0] });
}

function allowed(template: Json, functionName: string): Array<{ actions: string[]; resources: string[] }> {
  const role = roleOf(template, functionName);
  return statementsOf(template).filter((statement) => statement.role === role);
}

const arn = (service: string, resource: string): string => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`;

const SECRETS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/feedbeef-12ab-34cd-56ef-1234567890ab';

const FUNCTION_NAMES = ['gennaker-api', 'gennaker-stage-runner', 'gennaker-trigger-router', 'gennaker-reconciler', 'gennaker-publisher', 'gennaker-notifier'];

/** The configured stack's notification settings: mail from an SES identity, one SNS topic. */
const NOTIFICATIONS = { dashboardUrl: 'https://deck.example.com', email: { from: 'gennaker@example.com' }, sns: { topicArns: ['arn:aws:sns:eu-west-1:123456789012:deploys'] }, githubStatus: { tokenSecret: 'github-token' } };

let outdir: string;
let stack: GennakerStack;
let template: Json;
let configured: Json;
let configuredStack: GennakerStack;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'gennaker-cdk-'));
  // Bundling is exercised by cdk-synth.test.ts (the real CLI); here it would only cost time.
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  stack = addGennakerStack(app);
  template = Template.fromStack(stack).toJSON();

  const variant = new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      prefix: 'acme',
      logRetentionDays: '90',
      deletionProtection: 'false',
      tableKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      webhookAllowlist: 'https://hooks.example.com/*, https://ci.example.com/*',
      webhookSecretsParameterPath: '/acme/webhooks',
      accounts: JSON.stringify(ACCOUNTS),
      apiRateLimit: '10',
      apiBurstLimit: '20',
      secretsKmsKeyArn: SECRETS_KEY,
      secretsPrefix: 'acme/',
      pubsubSubscriptions: JSON.stringify({ 'acme-builds': 'arn:aws:sns:eu-west-1:123456789012:build-events' }),
      notifications: JSON.stringify(NOTIFICATIONS),
      artifactAccounts: JSON.stringify(ARTIFACT_ACCOUNTS),
    },
  });
  configuredStack = addGennakerStack(variant);
  configured = Template.fromStack(configuredStack).toJSON();
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('the state table', () => {
  it('is built from STATE_TABLE: keys, attribute types and global secondary indexes', () => {
    const [[, table]] = resourcesOfType(template, 'AWS::DynamoDB::Table') as [[string, Json]];
    const keyType = { S: 'S', N: 'N', B: 'B' } as const;
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: STATE_TABLE.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: STATE_TABLE.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(
      STATE_TABLE.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    const attributes = [STATE_TABLE.partitionKey, STATE_TABLE.sortKey, ...STATE_TABLE.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey])];
    expect(table.Properties.AttributeDefinitions).toEqual(attributes.map((key) => ({ AttributeName: key.name, AttributeType: keyType[key.type] })));
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: STATE_TABLE.timeToLiveAttribute, Enabled: true });
  });

  it('is on-demand, point-in-time recoverable, encrypted, deletion-protected and retained', () => {
    const [[, table]] = resourcesOfType(template, 'AWS::DynamoDB::Table') as [[string, Json]];
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('uses the customer key and can be deleted when configured so', () => {
    const [[, table]] = resourcesOfType(configured, 'AWS::DynamoDB::Table') as [[string, Json]];
    expect(table.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    expect(table.DeletionPolicy).toBe('Delete');
  });
});

describe('the REST API', () => {
  it('requires IAM auth and a request validator on every method, and has no OPTIONS', () => {
    const methods = resourcesOfType(template, 'AWS::ApiGateway::Method');
    expect(methods.map(([, method]) => method.Properties.HttpMethod).sort()).toEqual(
      ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'].flatMap((method) => [method, method]).sort(),
    );
    for (const [id, method] of methods) {
      expect({ id, auth: method.Properties.AuthorizationType }).toEqual({ id, auth: 'AWS_IAM' });
      expect(method.Properties.RequestValidatorId, id).toBeDefined();
    }
    const [[validatorId, validator]] = resourcesOfType(template, 'AWS::ApiGateway::RequestValidator') as [[string, Json]];
    expect(validator.Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    for (const [, method] of methods) expect(method.Properties.RequestValidatorId).toEqual({ Ref: validatorId });
  });

  it('throttles the stage, logs access to a retained log group, and never logs bodies', () => {
    const [[, stage]] = resourcesOfType(template, 'AWS::ApiGateway::Stage') as [[string, Json]];
    expect(stage.Properties.StageName).toBe('prod');
    expect(stage.Properties.MethodSettings).toEqual([
      { HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true },
    ]);
    const logGroupId = stage.Properties.AccessLogSetting.DestinationArn['Fn::GetAtt'][0];
    expect(template.Resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
    expect(JSON.parse(stage.Properties.AccessLogSetting.Format)).toMatchObject({ requestId: '$context.requestId', caller: '$context.identity.caller', status: '$context.status' });
    expect(resourcesOfType(template, 'AWS::ApiGateway::Account')).toHaveLength(1);
  });

  it('takes its throttling from context', () => {
    const [[, stage]] = resourcesOfType(configured, 'AWS::ApiGateway::Stage') as [[string, Json]];
    expect(stage.Properties.MethodSettings[0]).toMatchObject({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
  });

  it('lets only this API invoke the API function', () => {
    const [apiFunctionId] = functionNamed(template, 'gennaker-api');
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, permission]) => permission.Properties.FunctionName['Fn::GetAtt'][0] === apiFunctionId);
    const [[restApiId]] = resourcesOfType(template, 'AWS::ApiGateway::RestApi') as [[string, Json]];
    expect(permissions.map(([, permission]) => [permission.Properties.Principal, render(permission.Properties.SourceArn)])).toEqual([
      ['apigateway.amazonaws.com', `${arn('execute-api', `\${${restApiId}}`)}/*/*/*`],
    ]);
  });
});

describe('the functions', () => {
  it('run on Node.js 22, arm64, with tracing, their own log group and their own role', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.map(([, fn]) => fn.Properties.FunctionName).sort()).toEqual([...FUNCTION_NAMES].sort());
    const roles = new Set<string>();
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' } });
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref;
      expect(template.Resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
      roles.add(fn.Properties.Role['Fn::GetAtt'][0]);
    }
    expect(roles.size).toBe(FUNCTION_NAMES.length);
    // No AWS managed policy (AWSLambdaBasicExecutionRole would allow writing to every log group)
    // except API Gateway's account-level logging role.
    const managed = resourcesOfType(template, 'AWS::IAM::Role').flatMap(([, role]) => (role.Properties.ManagedPolicyArns ?? []).map(render));
    expect(managed).toEqual(['arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']);
  });

  it('get the environment functions/wiring.ts reads', () => {
    const [tableId] = resourcesOfType(template, 'AWS::DynamoDB::Table')[0]!;
    const [busId] = resourcesOfType(template, 'AWS::Events::EventBus')[0]!;
    const stateMachineRole = render({ 'Fn::GetAtt': [stack.getLogicalId(stack.stateMachineRole.role.node.defaultChild as never), 'Arn'] });
    const schedulerRole = render({ 'Fn::GetAtt': [stack.getLogicalId(stack.scheduler.role.node.defaultChild as never), 'Arn'] });
    const common = {
      TABLE_NAME: `\${${tableId}}`,
      EVENT_BUS_NAME: `\${${busId}}`,
      STATE_MACHINE_NAME_PREFIX: 'gennaker',
      STAGE_RUNNER_ARN: arn('lambda', 'function:gennaker-stage-runner'),
      STATE_MACHINE_ROLE_ARN: stateMachineRole,
      WEBHOOK_ALLOWLIST: '',
    };
    const scheduling = { SCHEDULE_GROUP_NAME: 'gennaker', SCHEDULER_ROLE_ARN: schedulerRole, TRIGGER_ROUTER_ARN: arn('lambda', 'function:gennaker-trigger-router') };
    const environmentOf = (name: string) =>
      Object.fromEntries(Object.entries<Json>(functionNamed(template, name)[1].Properties.Environment.Variables).map(([key, value]) => [key, render(value)]));
    const [keyId] = resourcesOfType(template, 'AWS::KMS::Key')[0]!;
    const sealing = { SECRETS_KEY_ARN: `<${keyId}.Arn>` };
    expect(environmentOf('gennaker-api')).toEqual({ ...common, ...scheduling, ...sealing });
    expect(environmentOf('gennaker-publisher')).toEqual({ ...common, ...scheduling });
    expect(environmentOf('gennaker-stage-runner')).toEqual({ ...common, PUBLISHER_FUNCTION_NAME: 'gennaker-publisher', ...sealing, SECRETS_PREFIX: 'gennaker/' });
    expect(environmentOf('gennaker-trigger-router')).toEqual({ ...common, ...sealing });
    expect(environmentOf('gennaker-reconciler')).toEqual(common);
    const [apiId] = resourcesOfType(template, 'AWS::ApiGateway::RestApi')[0]!;
    expect(environmentOf('gennaker-notifier')).toMatchObject({ ...common, SECRETS_PREFIX: 'gennaker/', API_URL: expect.stringContaining(`\${${apiId}}`) });
    expect(environmentOf('gennaker-notifier').NOTIFICATION_SETTINGS).toBeUndefined();
    expect(JSON.parse(functionNamed(configured, 'acme-notifier')[1].Properties.Environment.Variables.NOTIFICATION_SETTINGS)).toEqual(NOTIFICATIONS);
    // The API lists the notification types these settings let the notifier send.
    expect(JSON.parse(functionNamed(configured, 'acme-api')[1].Properties.Environment.Variables.NOTIFICATION_SETTINGS)).toEqual(NOTIFICATIONS);
  });

  it('name the state machine role and schedules after the configured prefix, and pass the allowlist and secrets path', () => {
    const api = functionNamed(configured, 'acme-api')[1].Properties.Environment.Variables;
    expect(api).toMatchObject({
      STATE_MACHINE_NAME_PREFIX: 'acme',
      SCHEDULE_GROUP_NAME: 'acme',
      WEBHOOK_ALLOWLIST: 'https://hooks.example.com/*,https://ci.example.com/*',
      WEBHOOK_SECRETS_PARAMETER: '/acme/webhooks',
      ACCOUNTS: JSON.stringify(ACCOUNTS),
    });
    // Every function knows the accounts: the API refuses unknown ones at save, the stage runner deploys to them.
    expect(functionNamed(configured, 'acme-stage-runner')[1].Properties.Environment.Variables.ACCOUNTS).toBe(JSON.stringify(ACCOUNTS));
    expect(functionNamed(configured, 'acme-stage-runner')[1].Properties.Environment.Variables.PUBLISHER_FUNCTION_NAME).toBe('acme-publisher');
    expect(render(api.STAGE_RUNNER_ARN)).toBe(arn('lambda', 'function:acme-stage-runner'));
  });
});

describe('log retention', () => {
  it('is set on every log group: 30 days by default, from context otherwise', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBe(FUNCTION_NAMES.length + 1);
    for (const [id, group] of groups) expect({ id, days: group.Properties.RetentionInDays }).toEqual({ id, days: 30 });
    for (const [id, group] of resourcesOfType(configured, 'AWS::Logs::LogGroup')) expect({ id, days: group.Properties.RetentionInDays }).toEqual({ id, days: 90 });
  });
});

describe('the EventBridge rules', () => {
  const rules = (): Record<string, Json> => Object.fromEntries(resourcesOfType(template, 'AWS::Events::Rule').map(([, rule]) => [rule.Properties.Description, rule.Properties]));
  const targetOf = (rule: Json) => rule.Targets.map((target: Json) => [render(target.Arn), render(target.DeadLetterConfig.Arn), target.RetryPolicy]);

  it('match exactly the events Gennaker handles', () => {
    const patterns = Object.values(rules()).filter((rule) => rule.EventPattern !== undefined).map((rule) => ({ bus: rule.EventBusName ? render(rule.EventBusName) : 'default', pattern: rule.EventPattern }));
    const [busId] = resourcesOfType(template, 'AWS::Events::EventBus')[0]!;
    expect(patterns).toEqual(expect.arrayContaining([
      { bus: 'default', pattern: { source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] } } },
      { bus: 'default', pattern: { source: ['aws.codecommit'], 'detail-type': ['CodeCommit Repository State Change'], detail: { event: ['referenceCreated', 'referenceUpdated'], referenceType: ['branch'] } } },
      { bus: `\${${busId}}`, pattern: { source: ['gennaker'], 'detail-type': ['Pipeline Execution Completed'] } },
      { bus: `\${${busId}}`, pattern: { source: ['gennaker'], 'detail-type': ['Pipeline Execution Started', 'Pipeline Execution Completed', 'Stage Execution Changed'] } },
    ]));
    const statusRule = patterns.find(({ pattern }) => pattern.source[0] === 'aws.states')!;
    expect(statusRule.bus).toBe('default');
    expect(statusRule.pattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
    expect(statusRule.pattern.detail.status).toEqual(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
    expect(statusRule.pattern.detail.stateMachineArn).toHaveLength(1);
    expect(render(statusRule.pattern.detail.stateMachineArn[0].prefix)).toBe(arn('states', 'stateMachine:gennaker-'));
    expect(patterns).toHaveLength(5);
  });

  it("filters execution status changes on the configured prefix", () => {
    const statusRule = resourcesOfType(configured, 'AWS::Events::Rule').map(([, rule]) => rule.Properties.EventPattern).find((pattern) => pattern.source[0] === 'aws.states');
    expect(render(statusRule.detail.stateMachineArn[0].prefix)).toBe(arn('states', 'stateMachine:acme-'));
  });

  it('deliver to the right function, with bounded retries and a dead-letter queue', () => {
    const [triggerRouterId] = functionNamed(template, 'gennaker-trigger-router');
    const [reconcilerId] = functionNamed(template, 'gennaker-reconciler');
    const [notifierId] = functionNamed(template, 'gennaker-notifier');
    const [[queueId]] = resourcesOfType(template, 'AWS::SQS::Queue') as [[string, Json]];
    const delivery = (functionId: string) => [[`<${functionId}.Arn>`, `<${queueId}.Arn>`, { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 }]];
    const byDescription = rules();
    expect(Object.keys(byDescription)).toHaveLength(6);
    for (const [description, rule] of Object.entries<Json>(byDescription)) {
      if (rule.ScheduleExpression !== undefined) continue;
      const expected = description.startsWith('Status changes') ? reconcilerId : description.endsWith(': notifications') ? notifierId : triggerRouterId;
      expect({ description, targets: targetOf(rule) }).toEqual({ description, targets: delivery(expected) });
    }
  });

  it('run the notifier every minute for the reminders of waiting manual judgments, disabled until one waits, a missed run not retried past the next', () => {
    const [notifierId, notifier] = functionNamed(template, 'gennaker-notifier');
    const [[queueId]] = resourcesOfType(template, 'AWS::SQS::Queue') as [[string, Json]];
    const scheduled = Object.values(rules()).filter((rule) => rule.ScheduleExpression !== undefined);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.ScheduleExpression).toBe('rate(1 minute)');
    expect(scheduled[0]!.State).toBe('DISABLED');
    expect(scheduled[0]!.Name).toBe('gennaker-judgment-reminders');
    expect(notifier.Properties.Environment.Variables.REMINDER_RULE_NAME).toBe('gennaker-judgment-reminders');
    expect(functionNamed(configured, 'acme-notifier')[1].Properties.Environment.Variables.REMINDER_RULE_NAME).toBe('acme-judgment-reminders');
    expect(scheduled[0]!.EventBusName).toBeUndefined();
    expect(targetOf(scheduled[0]!)).toEqual([[`<${notifierId}.Arn>`, `<${queueId}.Arn>`, { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 60 }]]);
    expect(scheduled[0]!.Targets[0].Input).toBeUndefined();
  });

  it('keep undeliverable events in an encrypted queue that refuses plain HTTP', () => {
    const [[queueId, queue]] = resourcesOfType(template, 'AWS::SQS::Queue') as [[string, Json]];
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy').filter(([, policy]) => policy.Properties.Queues.some((queue: Json) => queue.Ref === queueId));
    const statements = policies.flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[]);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });
});

describe('IAM', () => {
  /** The only actions that may name `*`: none of them supports resource-level permissions. */
  const STAR_ALLOWED = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'scheduler:ListSchedules']);

  it.each([['default', () => template], ['configured', () => configured]])('grants no * resource beyond the allowlisted actions, and no wildcard action (%s stack)', (_name, of) => {
    const problems: string[] = [];
    for (const statement of statementsOf(of())) {
      for (const action of statement.actions) if (action.includes('*')) problems.push(`${statement.role} has wildcard action ${action}`);
      if (statement.resources.includes('*')) {
        for (const action of statement.actions) if (!STAR_ALLOWED.has(action)) problems.push(`${statement.role} has ${action} on *`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lets the state machine role invoke only the stage runner and run only its child machines, and only Step Functions assume it', () => {
    const roleId = stack.getLogicalId(stack.stateMachineRole.role.node.defaultChild as never);
    const role = template.Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' } }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    const stageRunnerName = functionNamed(template, 'gennaker-stage-runner')[1].Properties.FunctionName;
    expect(statementsOf(template).filter((statement) => statement.role === `\${${roleId}}`)).toEqual([
      { role: `\${${roleId}}`, actions: ['lambda:InvokeFunction'], resources: [arn('lambda', `function:${stageRunnerName}`), arn('lambda', `function:${stageRunnerName}:*`)] },
      // startExecution.sync:2: children only (`gennaker.*`, never a pipeline `gennaker-*`), their runs, and Step Functions' own .sync rule.
      { role: `\${${roleId}}`, actions: ['states:StartExecution'], resources: [arn('states', 'stateMachine:gennaker.*')] },
      { role: `\${${roleId}}`, actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [arn('states', 'execution:gennaker.*:*')] },
      { role: `\${${roleId}}`, actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'], resources: [arn('events', 'rule/StepFunctionsGetEventsForStepFunctionsExecutionRule')] },
    ]);
  });

  it('lets Scheduler (of this account only) invoke only the trigger router', () => {
    const roleId = stack.getLogicalId(stack.scheduler.role.node.defaultChild as never);
    const role = template.Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
    expect(statementsOf(template).filter((statement) => statement.role === `\${${roleId}}`).map(({ actions, resources }) => ({ actions, resources }))).toEqual([
      { actions: ['lambda:InvokeFunction'], resources: [arn('lambda', 'function:gennaker-trigger-router'), arn('lambda', 'function:gennaker-trigger-router:*')] },
    ]);
    const [[, group]] = resourcesOfType(template, 'AWS::Scheduler::ScheduleGroup') as [[string, Json]];
    expect(group.Properties.Name).toBe('gennaker');
    expect(group.DeletionPolicy).toBe('Delete');
  });

  it('gives each function exactly the permissions the capability table lists', () => {
    const [tableId] = resourcesOfType(template, 'AWS::DynamoDB::Table')[0]!;
    const [busId] = resourcesOfType(template, 'AWS::Events::EventBus')[0]!;
    const [queueId] = resourcesOfType(template, 'AWS::SQS::Queue')[0]!;
    const smRole = `<${stack.getLogicalId(stack.stateMachineRole.role.node.defaultChild as never)}.Arn>`;
    const schedRole = `<${stack.getLogicalId(stack.scheduler.role.node.defaultChild as never)}.Arn>`;
    const machines = arn('states', 'stateMachine:gennaker-*');
    const childMachines = arn('states', 'stateMachine:gennaker.*');
    const runs = arn('states', 'execution:gennaker-*:*');
    const table = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem'];
    const summary = (name: string) =>
      allowed(template, name)
        .filter(({ actions }) => !actions[0]!.startsWith('logs:') && !actions[0]!.startsWith('xray:'))
        .flatMap(({ actions, resources }) => actions.map((action) => `${action} ${resources.join(' ')}`))
        .sort();
    const publish = ['CreateStateMachine', 'UpdateStateMachine', 'DescribeStateMachine', 'PublishStateMachineVersion', 'ListStateMachineVersions', 'CreateStateMachineAlias', 'UpdateStateMachineAlias', 'DescribeStateMachineAlias']
      .map((action) => `states:${action} ${machines} ${childMachines}`)
      .concat(`iam:PassRole ${smRole}`);
    const run = ['StartExecution', 'SendTaskSuccess', 'SendTaskFailure', 'SendTaskHeartbeat'].map((action) => `states:${action} ${machines}`)
      .concat(['StopExecution', 'DescribeExecution'].map((action) => `states:${action} ${runs}`));
    const events = [`events:PutEvents <${busId}.Arn>`];
    const schedules = ['CreateSchedule', 'UpdateSchedule', 'DeleteSchedule', 'GetSchedule'].map((action) => `scheduler:${action} ${arn('scheduler', 'schedule/gennaker/*')}`)
      .concat('scheduler:ListSchedules *', `iam:PassRole ${schedRole}`);
    const state = table.map((action) => `${action} <${tableId}.Arn> <${tableId}.Arn>/index/*`);
    const deadLetters = [`sqs:SendMessage <${queueId}.Arn>`];
    const [publisherId] = functionNamed(template, 'gennaker-publisher');
    // The stage runner publishes nothing: it reads the live alias and asks the publisher.
    const askPublisher = [`states:DescribeStateMachineAlias ${machines}`, `lambda:InvokeFunction <${publisherId}.Arn>`];
    const sorted = (...groups: string[][]) => groups.flat().sort();
    // Secret values: the starters make data keys; only the stage runner opens them and reads `#secret`s.
    const [keyId] = resourcesOfType(template, 'AWS::KMS::Key')[0]!;
    const seal = [`kms:GenerateDataKey <${keyId}.Arn>`];
    const open = [`kms:Decrypt <${keyId}.Arn>`];
    const namedSecrets = ['GetSecretValue', 'DescribeSecret'].map((action) => `secretsmanager:${action} ${arn('secretsmanager', 'secret:gennaker/*')}`);

    expect(summary('gennaker-api')).toEqual(sorted(state, publish, run, events, schedules, seal, open));
    expect(summary('gennaker-stage-runner')).toEqual(sorted(state, askPublisher, run, events, seal, open, namedSecrets));
    expect(summary('gennaker-trigger-router')).toEqual(sorted(state, publish, run, events, deadLetters, seal));
    expect(summary('gennaker-reconciler')).toEqual(sorted(state, publish, run, events, deadLetters));
    expect(summary('gennaker-publisher')).toEqual(sorted(state, publish, schedules, deadLetters));
    // The notifier reads executions, records deliveries and reads the credentials its settings name; no mail, no topic unless configured.
    // It switches its own reminder rule, no other.
    const reminderRule = ['EnableRule', 'DisableRule'].map((action) => `events:${action} ${arn('events', 'rule/gennaker-judgment-reminders')}`);
    expect(summary('gennaker-notifier')).toEqual(sorted(state, deadLetters, namedSecrets, reminderRule));
  });

  it('lets the notifier send mail only from the configured identity and publish only to the configured topics', () => {
    const notifier = allowed(configured, 'acme-notifier').filter(({ actions }) => actions.some((action) => action.startsWith('ses:') || action.startsWith('sns:')));
    expect(notifier.map(({ actions, resources }) => ({ actions, resources }))).toEqual([
      { actions: ['ses:SendEmail'], resources: [arn('ses', 'identity/gennaker@example.com'), arn('ses', 'identity/example.com')] },
      { actions: ['sns:Publish'], resources: ['arn:aws:sns:eu-west-1:123456789012:deploys'] },
    ]);
  });

  it('seals secret values with a rotated, retained key of its own, or the one given, and reads only the prefix given', () => {
    const [[, key]] = resourcesOfType(template, 'AWS::KMS::Key') as [[string, Json]];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');

    expect(resourcesOfType(configured, 'AWS::KMS::Key')).toEqual([]);
    for (const name of ['acme-api', 'acme-trigger-router', 'acme-stage-runner']) {
      expect(functionNamed(configured, name)[1].Properties.Environment.Variables.SECRETS_KEY_ARN).toBe(SECRETS_KEY);
    }
    expect(functionNamed(configured, 'acme-stage-runner')[1].Properties.Environment.Variables.SECRETS_PREFIX).toBe('acme/');
    const runner = allowed(configured, 'acme-stage-runner');
    expect(runner.filter(({ actions }) => actions.some((action) => action.startsWith('kms:')))).toEqual([
      expect.objectContaining({ actions: ['kms:GenerateDataKey'], resources: [SECRETS_KEY] }),
      expect.objectContaining({ actions: ['kms:Decrypt'], resources: [SECRETS_KEY] }),
    ]);
    expect(runner.find(({ actions }) => actions.includes('secretsmanager:GetSecretValue'))?.resources).toEqual([arn('secretsmanager', 'secret:acme/*')]);
    // the API makes data keys, and opens only those of trigger secrets (to check deliveries' signatures)
    const apiKms = statementsOf(configured).filter((statement) => statement.role === roleOf(configured, 'acme-api') && statement.actions.some((action) => action.startsWith('kms:')));
    expect(apiKms).toEqual([
      expect.objectContaining({ actions: ['kms:GenerateDataKey'], resources: [SECRETS_KEY] }),
      { role: roleOf(configured, 'acme-api'), actions: ['kms:Decrypt'], resources: [SECRETS_KEY], condition: { StringEquals: { 'kms:EncryptionContext:gennaker:purpose': 'trigger-secrets' } } },
    ]);
  });

  it('gives the stage runner no state machine write and no role to pass, statement by statement', () => {
    const [publisherId] = functionNamed(template, 'gennaker-publisher');
    const statements = allowed(template, 'gennaker-stage-runner')
      .filter(({ actions }) => !actions[0]!.startsWith('logs:') && !actions[0]!.startsWith('xray:') && !actions[0]!.startsWith('dynamodb:'));
    expect(statements).toEqual([
      expect.objectContaining({ actions: ['states:DescribeStateMachineAlias'], resources: [arn('states', 'stateMachine:gennaker-*')] }),
      expect.objectContaining({ actions: ['lambda:InvokeFunction'], resources: [`<${publisherId}.Arn>`] }),
      expect.objectContaining({ actions: ['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], resources: [arn('states', 'stateMachine:gennaker-*')] }),
      expect.objectContaining({ actions: ['states:StopExecution', 'states:DescribeExecution'], resources: [arn('states', 'execution:gennaker-*:*')] }),
      expect.objectContaining({ actions: ['events:PutEvents'] }),
      expect.objectContaining({ actions: ['kms:GenerateDataKey'] }),
      expect.objectContaining({ actions: ['kms:Decrypt'] }),
      expect.objectContaining({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [arn('secretsmanager', 'secret:gennaker/*')] }),
    ]);
    const writes = ['states:CreateStateMachine', 'states:UpdateStateMachine', 'states:PublishStateMachineVersion', 'states:CreateStateMachineAlias', 'states:UpdateStateMachineAlias', 'iam:PassRole'];
    for (const stack of [template, configured]) {
      const name = stack === template ? 'gennaker-stage-runner' : 'acme-stage-runner';
      expect(allowed(stack, name).flatMap(({ actions }) => actions).filter((action) => writes.includes(action))).toEqual([]);
    }
  });

  it('passes roles only to the service that needs them', () => {
    for (const statement of statementsOf(template).filter(({ actions }) => actions.includes('iam:PassRole'))) {
      expect(statement.actions).toEqual(['iam:PassRole']);
      expect(statement.condition?.StringEquals?.['iam:PassedToService']).toMatch(/^(states|scheduler)\.amazonaws\.com$/);
    }
  });

  it('lets the stage runner assume the listed deploy-target and artifact roles and no others; the API read only its secrets path', () => {
    const runnerRole = roleOf(configured, 'acme-stage-runner');
    const stageRunner = statementsOf(configured).filter((statement) => statement.role === runnerRole && statement.actions.some((action) => action.startsWith('sts:')));
    expect(stageRunner).toEqual([{ role: runnerRole, actions: ['sts:AssumeRole'], resources: [ACCOUNT_ROLE, ECS_ACCOUNT_ROLE, EKS_ACCOUNT_ROLE, ARTIFACT_READER_ROLE] }]);
    for (const name of ['acme-trigger-router', 'acme-reconciler', 'acme-publisher']) {
      expect(allowed(configured, name).flatMap(({ actions }) => actions).filter((action) => action.startsWith('sts:'))).toEqual([]);
    }
    const ssm = allowed(configured, 'acme-api').filter(({ actions }) => actions.some((action) => action.startsWith('ssm:')));
    expect(ssm).toEqual([expect.objectContaining({
      actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      resources: [arn('ssm', 'parameter/acme/webhooks'), arn('ssm', 'parameter/acme/webhooks/*')],
    })]);
    expect(statementsOf(template).flatMap(({ actions }) => actions).filter((action) => action.startsWith('ssm:') || action.startsWith('sts:'))).toEqual([]);
  });

  it('lets the stage runner read the objects of exactly the buckets its s3 artifact accounts list (those without a role of their own), and passes it the accounts', () => {
    const runnerRole = roleOf(configured, 'acme-stage-runner');
    const s3 = statementsOf(configured).filter((statement) => statement.actions.some((action) => action.startsWith('s3:')));
    expect(s3).toEqual([{ role: runnerRole, actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: ['arn:${AWS::Partition}:s3:::acme-builds/*', 'arn:${AWS::Partition}:s3:::acme-manifests/*'] }]);
    expect(JSON.parse(functionNamed(configured, 'acme-stage-runner')[1].Properties.Environment.Variables.ARTIFACT_ACCOUNTS)).toEqual(ARTIFACT_ACCOUNTS);
    expect(functionNamed(configured, 'acme-api')[1].Properties.Environment.Variables.ARTIFACT_ACCOUNTS).toBeUndefined();
    expect(statementsOf(template).flatMap(({ actions }) => actions).filter((action) => action.startsWith('s3:'))).toEqual([]);
    // A bucket the stage runner would read is listed, or synthesis fails naming the field.
    expect(() => new GennakerStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'NoBuckets', { artifactAccounts: [{ name: 's3', type: 's3' }] })).toThrow(
      'artifactAccounts.0.buckets: buckets is missing; on AWS the stage runner may read only the buckets listed here: give them, e.g. ["acme-builds"]',
    );
  });

  it("lets the API assume, for its cluster reads, each account's read role where it has one and its role otherwise, and nothing else in the accounts, statement by statement", () => {
    // given: the API's statements that reach outside this account
    const apiRole = roleOf(configured, 'acme-api');
    const outside = statementsOf(configured).filter((statement) => statement.role === apiRole && statement.resources.some((resource) => resource.startsWith('arn:aws:iam::')));

    // then: one statement, sts:AssumeRole alone, on exactly those roles (never the ECS account's deploy role)
    expect(outside).toEqual([{ role: apiRole, actions: ['sts:AssumeRole'], resources: [ACCOUNT_ROLE, ECS_READ_ROLE, EKS_ACCOUNT_ROLE] }]);
    expect(allowed(configured, 'acme-api').filter(({ actions }) => actions.some((action) => /^(sts|ec2|autoscaling|elasticloadbalancing|ecs|application-autoscaling|lambda):/.test(action) && action !== 'lambda:InvokeFunction'))).toEqual([
      { role: apiRole, actions: ['sts:AssumeRole'], resources: [ACCOUNT_ROLE, ECS_READ_ROLE, EKS_ACCOUNT_ROLE] },
    ]);
    // the accounts trust it through the role the stack outputs
    expect(configured.Outputs.ApiRoleArn.Value).toEqual({ 'Fn::GetAtt': [apiRole.slice(2, -1), 'Arn'] });
    // and without accounts, the API assumes nothing
    expect(allowed(template, 'gennaker-api').flatMap(({ actions }) => actions).filter((action) => action.startsWith('sts:'))).toEqual([]);
  });
});

describe('amazon pub/sub subscriptions', () => {
  it('make an encrypted, TLS-only queue per subscription on its topic, with a dead-letter queue, feeding the trigger router with batch item failures', () => {
    const queues = resourcesOfType(configured, 'AWS::SQS::Queue').filter(([, queue]) => queue.Properties.QueueName === 'acme-builds');
    expect(queues).toHaveLength(1);
    const [queueId, queue] = queues[0]!;
    const [deadId] = resourcesOfType(configured, 'AWS::SQS::Queue').find(([, candidate]) => candidate.Properties.QueueName === undefined)!;
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, VisibilityTimeout: 360, MessageRetentionPeriod: 345600, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadId, 'Arn'] }, maxReceiveCount: 5 } });
    const [[, subscription]] = resourcesOfType(configured, 'AWS::SNS::Subscription') as [[string, Json]];
    expect(subscription.Properties).toMatchObject({ Protocol: 'sqs', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:build-events', Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    const policies = resourcesOfType(configured, 'AWS::SQS::QueuePolicy').filter(([, policy]) => JSON.stringify(policy.Properties.Queues).includes(queueId));
    const statements = policies.flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[]);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Allow', Action: 'sqs:SendMessage', Principal: { Service: 'sns.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:123456789012:build-events' } } }));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const [[, mapping]] = resourcesOfType(configured, 'AWS::Lambda::EventSourceMapping') as [[string, Json]];
    const [routerId] = functionNamed(configured, 'acme-trigger-router');
    expect(mapping.Properties).toEqual({ EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] }, FunctionName: { Ref: routerId }, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it('let the trigger router receive and delete on its queues only', () => {
    const [queueId] = resourcesOfType(configured, 'AWS::SQS::Queue').find(([, queue]) => queue.Properties.QueueName === 'acme-builds')!;
    const sqsGrants = allowed(configured, 'acme-trigger-router').filter(({ actions }) => actions.some((action) => action.startsWith('sqs:') && action !== 'sqs:SendMessage'));
    expect(sqsGrants.map(({ actions, resources }) => ({ actions: [...actions].sort(), resources }))).toEqual([
      { actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], resources: [`<${queueId}.Arn>`] },
    ]);
    for (const name of ['acme-api', 'acme-stage-runner', 'acme-reconciler', 'acme-publisher']) {
      expect(allowed(configured, name).filter(({ actions }) => actions.some((action) => action === 'sqs:ReceiveMessage'))).toEqual([]);
    }
  });

  it('are refused at synthesis when a name or topic is not usable', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new GennakerStack(app, 'BadName', { pubsubSubscriptions: { 'a b': 'arn:aws:sns:eu-west-1:123456789012:t' } })).toThrow("pubsubSubscriptions: 'a b' is not usable as a queue name");
    expect(() => new GennakerStack(app, 'BadTopic', { pubsubSubscriptions: { builds: 'arn:aws:sqs:eu-west-1:123456789012:q' } })).toThrow('pubsubSubscriptions.builds is "arn:aws:sqs:eu-west-1:123456789012:q", not an SNS topic ARN');
  });
});

describe("cdk-nag's AwsSolutions pack", () => {
  it.each([['default', () => stack], ['configured', () => configuredStack]])('finds nothing unacknowledged (%s stack)', (_name, of) => {
    const report = new AwsSolutionsChecks(of()).validateScope(of());
    expect(report.violations.map((violation) => `${violation.ruleName}: ${violation.violatingResources.map((resource) => resource.resourceLogicalId).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('still reports a finding once its acknowledgment is gone (the check can fail)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const bare = new GennakerStack(app, 'Bare');
    // A wildcard action the stack itself never grants.
    bare.functions.reconciler.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:*'], resources: ['arn:aws:sqs:eu-west-1:123456789012:somewhere'] }));
    const report = new AwsSolutionsChecks(app).validateScope(bare);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual(['AwsSolutions-IAM5[Action::sqs:*]']);
  });

  it('carries a reason on every acknowledgment, on a construct narrower than the stack', () => {
    const acknowledged: Array<{ path: string; id: string; reason: string }> = [];
    const visit = (node: IConstruct) => {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acknowledged.push({ path: node.node.path, id, reason });
      }
      for (const child of node.node.children) visit(child);
    };
    visit(stack);
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const entry of acknowledged) {
      expect(entry.reason.length, `${entry.path} ${entry.id}`).toBeGreaterThan(40);
      expect(entry.path, entry.id).not.toBe(stack.node.path);
    }
  });
});
