// The cloud edges that need no AWS at all: who the IAM authenticator says is calling, what the
// composition root says about a missing setting, and how the EventBridge bus reports a refused entry.
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { createEventBridgeBus } from '../../../adapters/eventbridge/event-bus.ts';
import { callerFromArn, createIamAuthenticator, principalNames } from '../../../functions/api/iam-authenticator.ts';
import type { DirectoryUser, UserDirectory } from '../../../core/ports/user-directory.ts';
import { createPublishingRuntime } from '../../../functions/publishing-wiring.ts';
import { readEnvironment, type CloudClients } from '../../../functions/wiring.ts';
import { notificationTypesOf } from '../../../functions/api/notification-types.ts';
import { apiGatewayEvent } from '../../support/aws-fakes.ts';

const ENV = {
  TABLE_NAME: 'gennaker-state',
  AWS_REGION: 'eu-west-1',
  STAGE_RUNNER_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:runner',
  STATE_MACHINE_ROLE_ARN: 'arn:aws:iam::123456789012:role/machines',
  EVENT_BUS_NAME: 'gennaker',
};

describe('createIamAuthenticator', () => {
  it.each([
    ['arn:aws:sts::123456789012:assumed-role/Deployers/alice', { user: 'alice', roles: ['Deployers'] }],
    ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/bob@example.com', { user: 'bob@example.com', roles: ['AWSReservedSSO_Admin_0123'] }],
    ['arn:aws:iam::123456789012:user/ci/deployer', { user: 'deployer', roles: [] }],
    ['arn:aws-us-gov:iam::123456789012:user/carol', { user: 'carol', roles: [] }],
    ['arn:aws:iam::123456789012:root', { user: 'arn:aws:iam::123456789012:root', roles: [] }],
  ])('reads %s as %j', (arn, caller) => {
    expect(callerFromArn(arn)).toEqual(caller);
  });

  it('takes the identity API Gateway verified from a REST API request context', async () => {
    const event = apiGatewayEvent('GET', '/applications', { userArn: 'arn:aws:sts::123456789012:assumed-role/Deployers/alice' });
    expect(await createIamAuthenticator().authenticate({ headers: {}, requestContext: event.requestContext })).toEqual({ user: 'alice', roles: ['Deployers'] });
  });

  it('takes the identity of an HTTP API IAM authorizer', async () => {
    const requestContext = { authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/dave' } } };
    expect(await createIamAuthenticator().authenticate({ headers: {}, requestContext })).toEqual({ user: 'dave', roles: [] });
  });

  it("adds the roles of the principal's mapping item and of its role's, admin when one says so, read again after the cache time", async () => {
    // given: a directory whose items change, and a clock the test moves
    const items = new Map<string, DirectoryUser>([['arn:aws:iam::123456789012:role/Deployers', { name: 'role', roles: ['release'], admin: false }]]);
    const reads: string[] = [];
    const users: UserDirectory = {
      find: async (name) => {
        reads.push(name);
        return items.get(name);
      },
    };
    let now = 0;
    const auth = createIamAuthenticator({ users, cacheMs: 30_000, now: () => now });
    const requestContext = apiGatewayEvent('GET', '/applications', { userArn: 'arn:aws:sts::123456789012:assumed-role/Deployers/alice' }).requestContext;

    // when / then
    expect(await auth.authenticate({ headers: {}, requestContext })).toEqual({ user: 'alice', roles: ['Deployers', 'release'] });
    items.set('arn:aws:sts::123456789012:assumed-role/Deployers/alice', { name: 'session', roles: [], admin: true });
    now = 29_999;
    expect(await auth.authenticate({ headers: {}, requestContext })).toEqual({ user: 'alice', roles: ['Deployers', 'release'] });
    now = 30_000;
    expect(await auth.authenticate({ headers: {}, requestContext })).toEqual({ user: 'alice', roles: ['Deployers', 'release'], admin: true });
    expect(reads).toEqual([
      'arn:aws:sts::123456789012:assumed-role/Deployers/alice',
      'arn:aws:iam::123456789012:role/Deployers',
      'arn:aws:sts::123456789012:assumed-role/Deployers/alice',
      'arn:aws:iam::123456789012:role/Deployers',
    ]);
    expect(principalNames('arn:aws:iam::123456789012:user/ci')).toEqual(['arn:aws:iam::123456789012:user/ci']);
  });

  it('finds no caller in an unsigned request, whatever its headers claim', async () => {
    const event = apiGatewayEvent('GET', '/applications');
    const headers = { authorization: 'Bearer whatever', 'x-amz-security-token': 'forged' };
    expect(await createIamAuthenticator().authenticate({ headers, requestContext: event.requestContext })).toBeUndefined();
    expect(await createIamAuthenticator().authenticate({ headers })).toBeUndefined();
  });
});

describe('readEnvironment', () => {
  it('reads every setting, with the state machine prefix defaulting to gennaker', () => {
    expect(readEnvironment({ ...ENV, WEBHOOK_ALLOWLIST: 'https://hooks.example.com/*, ' })).toEqual({
      tableName: 'gennaker-state',
      region: 'eu-west-1',
      stageRunnerArn: ENV.STAGE_RUNNER_ARN,
      stateMachineRoleArn: ENV.STATE_MACHINE_ROLE_ARN,
      namePrefix: 'gennaker',
      eventBusName: 'gennaker',
      webhookAllowlist: ['https://hooks.example.com/*'],
      accounts: [],
    });
  });

  it('reads the accounts of the CDK context as aws accounts of its Region, and names ACCOUNTS when it is malformed', () => {
    const env = readEnvironment({ ...ENV, ACCOUNTS: '{"prod":"arn:aws:iam::210987654321:role/deploy"}' });
    expect(env.accounts).toEqual([
      { name: 'prod', cloudProvider: 'aws', accountType: 'prod', environment: 'prod', regions: ['eu-west-1'], accountId: '210987654321', assumeRole: 'arn:aws:iam::210987654321:role/deploy' },
    ]);
    expect(() => readEnvironment({ ...ENV, ACCOUNTS: '{"prod":"*"}' })).toThrow(
      "ACCOUNTS must hold JSON {\"<account name>\": \"<role ARN>\" or {\"assumeRole\": ...}} (the CDK context 'accounts'): /prod/assumeRole: assumeRole is '*', not an IAM role ARN",
    );
  });

  it('reads accounts with an external id, their own regions and the ecs kind, and the publisher the stage runner asks', () => {
    const env = readEnvironment({
      ...ENV,
      PUBLISHER_FUNCTION_NAME: 'gennaker-publisher',
      ACCOUNTS: JSON.stringify({ 'ecs-prod': { assumeRole: 'arn:aws:iam::210987654321:role/deploy', externalId: 'x7-prod', regions: ['us-west-2', 'us-east-1'], cloudProvider: 'ecs' } }),
    });
    expect(env.accounts).toEqual([
      {
        name: 'ecs-prod',
        cloudProvider: 'ecs',
        accountType: 'ecs-prod',
        environment: 'ecs-prod',
        regions: ['us-west-2', 'us-east-1'],
        accountId: '210987654321',
        assumeRole: 'arn:aws:iam::210987654321:role/deploy',
        externalId: 'x7-prod',
      },
    ]);
    expect(env.publisherFunctionName).toBe('gennaker-publisher');
  });

  it.each([
    ['TABLE_NAME', 'TABLE_NAME is not set: it must hold the name of the state table'],
    ['STAGE_RUNNER_ARN', "STAGE_RUNNER_ARN is not set: it must hold the stage runner function's ARN"],
    ['EVENT_BUS_NAME', "EVENT_BUS_NAME is not set: it must hold the name of Gennaker's EventBridge bus"],
  ])('fails when %s is missing, naming it', (name, message) => {
    expect(() => readEnvironment({ ...ENV, [name]: ' ' })).toThrow(message);
  });

  it('reads the API body limits, refusing a value that is not a whole number of bytes', () => {
    expect(readEnvironment({ ...ENV, MAX_WEBHOOK_BYTES: '2097152', MAX_CONFIG_BYTES: '1024' }).bodyLimits).toEqual({ webhookBytes: 2097152, configBytes: 1024 });
    expect(readEnvironment({ ...ENV, MAX_CONFIG_BYTES: '1024' }).bodyLimits).toEqual({ configBytes: 1024 });
    expect(() => readEnvironment({ ...ENV, MAX_WEBHOOK_BYTES: '1MB' })).toThrow("MAX_WEBHOOK_BYTES is '1MB'; give a whole number of bytes, e.g. 1048576");
  });

  it('lists the notification types the settings of NOTIFICATION_SETTINGS let the notifier send, naming a bad field', () => {
    const text = readEnvironment({ ...ENV, NOTIFICATION_SETTINGS: '{"email":{"from":"gennaker@example.com"}}' }).notificationSettings;
    expect(notificationTypesOf(text, 'aws').map((type) => type.notificationType)).toEqual(['slack', 'microsoftteams', 'webhook', 'email']);
    expect(notificationTypesOf(readEnvironment(ENV).notificationSettings, 'aws').map((type) => type.notificationType)).toEqual(['slack', 'microsoftteams', 'webhook']);
    expect(() => notificationTypesOf('{"email":{"from":"x"}}', 'aws')).toThrow('NOTIFICATION_SETTINGS: email.from: expected an email address, got "x"');
    expect(() => notificationTypesOf('{', 'aws')).toThrow(/^NOTIFICATION_SETTINGS is not JSON/);
  });

  it('requires the Scheduler settings only where pipelines are saved', () => {
    expect(() => readEnvironment(ENV, { scheduler: true })).toThrow('SCHEDULE_GROUP_NAME is not set: it must hold the EventBridge Scheduler group of cron triggers');
    expect(() => readEnvironment({ ...ENV, STATE_MACHINE_NAME_PREFIX: 'bad prefix' })).toThrow("STATE_MACHINE_NAME_PREFIX 'bad prefix' must be 1-40 letters, digits, '-' or '_'");
  });
});

describe('createPublishingRuntime', () => {
  // Never called: the runtime is refused before it is built.
  const clients = { dynamodb: {}, sfn: {}, events: {} } as unknown as CloudClients;
  const scheduler = { send: () => Promise.reject(new Error('not called')) };

  it('fails without the Scheduler settings, saying how to read them', () => {
    expect(() => createPublishingRuntime(readEnvironment(ENV), { ...clients, scheduler })).toThrow(
      'the publishing runtime needs the Scheduler settings: read the environment with readEnvironment(env, { scheduler: true })',
    );
  });

  it('fails without a Scheduler client, naming the field', () => {
    const env = readEnvironment({ ...ENV, SCHEDULE_GROUP_NAME: 'gennaker', SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler', TRIGGER_ROUTER_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:triggers' }, { scheduler: true });
    expect(() => createPublishingRuntime(env, clients)).toThrow('the publishing runtime needs an EventBridge Scheduler client (clients.scheduler)');
  });
});

describe('createEventBridgeBus', () => {
  const completed = { type: 'Pipeline Execution Completed', executionId: 'E1', application: 'shop', pipelineConfigId: 'p1', pipelineName: 'Release', status: 'SUCCEEDED', endTime: 1 } as const;

  function client(answers: Array<{ FailedEntryCount: number; Entries: Array<{ ErrorCode?: string; ErrorMessage?: string; EventId?: string }> }>) {
    const sent: PutEventsCommand[] = [];
    return {
      sent,
      client: { send: (async (command: PutEventsCommand) => (sent.push(command), answers.shift())) as unknown as EventBridgeClient['send'] },
    };
  }

  it("puts the event on the bus with source 'gennaker' and its type as detail-type, retrying a throttled entry", async () => {
    const fake = client([
      { FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] },
      { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] },
    ]);
    await createEventBridgeBus({ client: fake.client, eventBusName: 'gennaker-bus', sleep: async () => undefined }).publish(completed);
    expect(fake.sent).toHaveLength(2);
    expect(fake.sent[1]!.input.Entries).toEqual([{ EventBusName: 'gennaker-bus', Source: 'gennaker', DetailType: 'Pipeline Execution Completed', Detail: JSON.stringify(completed) }]);
  });

  it('fails with the entry error PutEvents answered inside a 200', async () => {
    const fake = client([{ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] }]);
    await expect(createEventBridgeBus({ client: fake.client, eventBusName: 'b', sleep: async () => undefined }).publish(completed)).rejects.toThrow(
      "EventBridge refused 'Pipeline Execution Completed' for execution E1: InternalFailure boom",
    );
  });
});
