/**
 * Users and permissions on AWS, through the cloud functions in-process (test/support/aws-cloud.ts):
 * IAM principals mapped to roles by `USER#<arn>` items of the state table, so an IAM caller is
 * no longer an admin by being one; triggers of the trigger router run as their `runAsUser`;
 * every command is an audit item and a structured log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbUserDirectory } from '../../adapters/dynamodb/users.ts';
import { startCloud, USER_ARN, type Cloud } from '../support/aws-cloud.ts';

const ADMIN_ARN = 'arn:aws:iam::123456789012:user/platform-admin';
const RELEASER_ARN = 'arn:aws:sts::123456789012:assumed-role/Releasers/bob';

let cloud: Cloud;

const pipeline = (name: string, triggers: unknown[] = []) => ({ application: 'payments', name, triggers, stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }] });

beforeAll(async () => {
  cloud = await startCloud();
  const users = createDynamoDbUserDirectory({ client: cloud.dynalite.client, tableName: cloud.env.tableName, clock: { now: () => Date.now() } });
  // What an operator writes with `aws dynamodb put-item`: an admin, every session of a role, a service account.
  await users.save({ name: ADMIN_ARN, roles: [], admin: true });
  await users.save({ name: 'arn:aws:iam::123456789012:role/Releasers', roles: ['release'], admin: false });
  await users.save({ name: 'svc-payments', roles: ['release'], admin: false });
  const created = await cloud.call('POST', '/applications', { name: 'payments', permissions: { READ: ['release'], WRITE: ['release'], EXECUTE: ['release'] } }, { userArn: ADMIN_ARN });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await cloud.settled();
  await cloud.close();
});

describe('IAM principals and application permissions on AWS', () => {
  it('no longer makes every IAM caller an admin: an unmapped role session has only its role name', async () => {
    const read = await cloud.call('GET', '/applications/payments', undefined, { userArn: USER_ARN });
    expect(read).toEqual({ status: 403, json: { error: "user 'alice' lacks READ on application 'payments': READ is held by the roles release; 'alice' has the roles Deployers" } });
    expect((await cloud.call('POST', '/pipelines', pipeline('Sneaky'), { userArn: USER_ARN })).status).toBe(403);
    expect((await cloud.call('GET', '/audit', undefined, { userArn: USER_ARN })).status).toBe(403);
  });

  it("gives every session of a mapped role the mapping's roles, and an admin item every permission", async () => {
    expect((await cloud.call('POST', '/pipelines', pipeline('Release'), { userArn: RELEASER_ARN })).status).toBe(200);
    const started = await cloud.call('POST', '/pipelines/payments/Release', {}, { userArn: RELEASER_ARN });
    expect(started.status).toBe(202);
    expect((await cloud.call('GET', '/applications/payments/pipelineConfigs', undefined, { userArn: ADMIN_ARN })).status).toBe(200);
    await cloud.settled();
    const execution = (await cloud.call('GET', started.json.ref, undefined, { userArn: RELEASER_ARN })).json;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.trigger.authentication).toEqual({ user: 'bob', roles: ['Releasers', 'release'], admin: false });
  });

  it('runs a cron trigger as its runAsUser, and one without as [anonymous], refused on a restricted application', async () => {
    // given
    const withAccount = (await cloud.call('POST', '/pipelines', pipeline('Nightly as svc', [{ type: 'cron', cronExpression: '0 30 2 * * ?', runAsUser: 'svc-payments' }]), { userArn: ADMIN_ARN })).json.id;
    const without = (await cloud.call('POST', '/pipelines', pipeline('Nightly anonymous', [{ type: 'cron', cronExpression: '0 30 2 * * ?' }]), { userArn: ADMIN_ARN })).json.id;

    // when
    const ran = await cloud.route(cloud.scheduler.fire(`${withAccount}-cron-0`, '2026-03-02T02:30:00Z'));
    const refused = await cloud.route(cloud.scheduler.fire(`${without}-cron-0`, '2026-03-02T02:30:00Z'));
    await cloud.settled();

    // then
    expect(ran.started).toEqual([expect.objectContaining({ pipelineConfigId: withAccount, duplicate: false })]);
    expect(refused.started).toEqual([]);
    expect(refused.refused).toEqual([{ pipelineConfigId: without, message: "user '[anonymous]' lacks EXECUTE on application 'payments': EXECUTE is held by the roles release; '[anonymous]' has no roles" }]);
    const execution = (await cloud.call('GET', `/pipelines/${ran.started[0]!.executionId}`, undefined, { userArn: ADMIN_ARN })).json;
    expect(execution.trigger.authentication).toEqual({ user: 'svc-payments', roles: ['release'], admin: false });
  });

  it('keeps every command as an audit item and a structured log line, for admins to read', async () => {
    // when
    const entries = (await cloud.call('GET', '/audit?application=payments', undefined, { userArn: ADMIN_ARN })).json as Array<Record<string, unknown>>;

    // then
    expect(entries).toContainEqual(expect.objectContaining({ user: 'alice', action: 'savePipeline', application: 'payments', result: 'forbidden', source: '198.51.100.7' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'bob', action: 'startPipeline', application: 'payments', result: 'ok', detail: expect.stringMatching(/^execution /) }));
    expect(entries).toContainEqual(expect.objectContaining({ user: '[anonymous]', action: 'startPipeline', result: 'forbidden', source: 'trigger:cron' }));
    expect(entries.every((entry) => entry.application === 'payments')).toBe(true);
    expect(cloud.logs).toContainEqual(expect.objectContaining({ level: 'info', audit: expect.objectContaining({ user: 'alice', action: 'savePipeline', result: 'forbidden' }) }));
  });
});
