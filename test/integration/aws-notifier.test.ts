/**
 * The notifier function of the AWS mode (functions/notifier/handler.ts) on dynalite, with the
 * real SES v2 and SNS clients pointed at the AWS simulator and a webhook on 127.0.0.1: an event
 * as EventBridge delivers it sends mail, an SNS message and a webhook call, records each on the
 * execution, and sends nothing more when EventBridge delivers it again.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { createNotifierHandler, createCloudNotifier, readNotifierEnvironment } from '../../functions/notifier/handler.ts';
import { createNotifier } from '../../core/notifications/notifier.ts';
import type { ExecutionStore, JudgmentWatchStore } from '../../core/ports/execution-store.ts';
import { createDynamoDbJudgmentWatchStore } from '../../adapters/dynamodb/judgment-watches.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { EventBridgeFake } from '../support/aws-fakes.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };
let time = Date.UTC(2026, 0, 1);
const clock = { now: () => time };

let dynalite: Dynalite;
let sim: AwsSimulator;
let http: Server;
let base: string;
let store: ExecutionStore;
let watches: JudgmentWatchStore;
const hooks: unknown[] = [];

beforeAll(async () => {
  dynalite = await startDynalite({});
  sim = await startAwsSimulator({ seed: 5 });
  http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      hooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
  watches = createDynamoDbJudgmentWatchStore({ client: dynalite.client, tableName: dynalite.tableName, clock });
});

afterAll(async () => {
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await sim?.close();
  await dynalite?.stop();
});

describe('the notifier function', () => {
  it('sends mail through SES, publishes to SNS and calls a webhook for a completed execution, once', async () => {
    // given: a saved pipeline with notifications, an execution of it that failed
    sim.seed.ses.identity('example.com');
    const topic = { arn: (await new SNSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials }).send(new CreateTopicCommand({ Name: 'deploys' }))).TopicArn! };
    const notifications = [
      { type: 'email', address: 'ops@example.com', when: ['pipeline.failed'], message: { 'pipeline.failed': { text: 'Rolled back' } } },
      { type: 'sns', address: topic.arn, when: ['pipeline.failed'] },
      { type: 'webhook', address: `${base}/hook`, when: ['pipeline.failed'] },
    ];
    const saved = await store.savePipelineConfig({ id: 'P1', application: 'shop', name: 'release', config: { application: 'shop', name: 'release', notifications, stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 1 }] } });
    if (!saved.ok) throw new Error('save failed');
    const created = await store.createExecution({
      id: 'E1', application: 'shop', pipelineConfigId: 'P1', pipelineVersion: 1, name: 'release', status: 'TERMINAL', buildTime: clock.now(), trigger: { type: 'manual' }, parameters: {},
      limitConcurrent: false, keepWaitingPipelines: false, maxConcurrentExecutions: 0, stages: [],
    });
    if (!created.ok) throw new Error('create failed');
    const env = readNotifierEnvironment({
      TABLE_NAME: dynalite.tableName,
      WEBHOOK_ALLOWLIST: base,
      NOTIFICATION_SETTINGS: JSON.stringify({ dashboardUrl: 'https://deck.example.com', email: { from: 'gennaker@example.com' } }),
      API_URL: 'https://api.example.com/prod/',
    });
    const handle = createNotifierHandler(
      createCloudNotifier(env, {
        dynamodb: dynalite.client,
        ses: new SESv2Client({ endpoint: sim.endpoint, region: 'us-east-1', credentials }),
        sns: new SNSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials }),
        events: new EventBridgeFake().client,
      }, { clock }),
      () => undefined,
    );
    const event = {
      version: '0', id: 'e-1', source: 'gennaker', 'detail-type': 'Pipeline Execution Completed', account: '123456789012', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [],
      detail: { type: 'Pipeline Execution Completed', executionId: 'E1', application: 'shop', pipelineConfigId: 'P1', pipelineName: 'release', status: 'TERMINAL', endTime: clock.now() },
    };

    // when: EventBridge delivers it twice
    const first = await handle(event);
    const second = await handle(event);

    // then
    expect(first).toMatchObject({ handled: true, deliveries: [{ status: 'SENT' }, { status: 'SENT' }, { status: 'SENT' }] });
    expect(second).toMatchObject({ handled: true, deliveries: [{ status: 'SKIPPED' }, { status: 'SKIPPED' }, { status: 'SKIPPED' }] });
    const mail = (sim.snapshot().services['ses'] as { sent: Array<Record<string, unknown>> }).sent;
    expect(mail).toEqual([expect.objectContaining({ from: 'gennaker@example.com', to: ['ops@example.com'], subject: "shop's release pipeline has failed" })]);
    expect(mail[0]!.text).toBe("shop's release pipeline has failed.\n\nRolled back\n\nFor more details, please visit: https://deck.example.com/#/applications/shop/executions/details/E1");
    const published = (sim.snapshot().services['sns'] as { published: Array<{ message: string }> }).published;
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0]!.message)).toMatchObject({ event: 'pipeline.failed', execution: { id: 'E1', status: 'TERMINAL' } });
    expect(hooks).toEqual([expect.objectContaining({ event: 'pipeline.failed', application: 'shop' })]);
    expect((await store.getExecution('E1'))!.notificationDeliveries!.map((delivery) => [delivery.type, delivery.status]).sort()).toEqual([
      ['email', 'SENT'],
      ['sns', 'SENT'],
      ['webhook', 'SENT'],
    ]);
  });

  it('sends the reminders of a waiting judgment when the schedule runs, once each, and none once it is judged', async () => {
    // given: an execution waiting on a judgment whose webhook reminds every hour
    const HOUR = 3_600_000;
    const judgment = { refId: '1', type: 'manualJudgment', name: 'Approve', notifications: [{ type: 'webhook', address: `${base}/remind`, when: ['manualJudgment'], notifyEveryMs: HOUR }] };
    const saved = await store.savePipelineConfig({ id: 'P2', application: 'shop', name: 'gated', config: { application: 'shop', name: 'gated', stages: [judgment] } });
    if (!saved.ok) throw new Error('save failed');
    const created = await store.createExecution({
      id: 'E2', application: 'shop', pipelineConfigId: 'P2', pipelineVersion: 1, name: 'gated', status: 'RUNNING', buildTime: clock.now(), trigger: { type: 'manual' }, parameters: {},
      limitConcurrent: false, keepWaitingPipelines: false, maxConcurrentExecutions: 0,
      stages: [{ id: 'S1', refId: '1', type: 'manualJudgment', name: 'Approve', requisiteStageRefIds: [], context: { notifications: judgment.notifications }, status: 'RUNNING' }],
    });
    if (!created.ok) throw new Error('create failed');
    await store.putTaskToken('E2', 'S1', { token: 'token-1', task: 'waitForJudgment' });
    const eventBridge = new EventBridgeFake();
    const env = readNotifierEnvironment({ TABLE_NAME: dynalite.tableName, WEBHOOK_ALLOWLIST: base, API_URL: 'https://api.example.com/prod', REMINDER_RULE_NAME: 'gennaker-judgment-reminders' });
    const handle = createNotifierHandler(createCloudNotifier(env, { dynamodb: dynalite.client, ses: new SESv2Client({}), sns: new SNSClient({}), events: eventBridge.client }, { clock }), () => undefined);
    const ruleEnabled: Array<boolean | undefined> = [];
    const scheduled = { version: '0', id: 's-1', source: 'aws.events', 'detail-type': 'Scheduled Event', account: '123456789012', time: '2026-01-01T01:00:00Z', region: 'us-east-1', resources: ['arn:aws:events:us-east-1:123456789012:rule/gennaker-reminders'], detail: {} };
    const waiting = {
      source: 'gennaker', 'detail-type': 'Stage Execution Changed',
      detail: { type: 'Stage Execution Changed', executionId: 'E2', application: 'shop', pipelineConfigId: 'P2', pipelineName: 'gated', stageId: 'S1', stageRefId: '1', stageName: 'Approve', phase: 'manualJudgment', status: 'RUNNING', time: clock.now() },
    };
    const reminders = () => hooks.filter((hook) => (hook as { execution: { id: string } }).execution.id === 'E2').map((hook) => (hook as { reminder?: number }).reminder ?? 0);

    // when: the judgment begins waiting, the schedule runs before and after an hour (twice), then after it is judged
    ruleEnabled.push(eventBridge.rules.get('gennaker-judgment-reminders'));
    await handle(waiting);
    ruleEnabled.push(eventBridge.rules.get('gennaker-judgment-reminders'));
    time += HOUR - 1;
    const early = await handle(scheduled);
    time += 1;
    // A paused execution runs no task, so it is not reminded until it resumes.
    await store.updateExecution('E2', { expect: ['RUNNING'], set: { status: 'PAUSED' } });
    const paused = await handle(scheduled);
    await store.updateExecution('E2', { expect: ['PAUSED'], set: { status: 'RUNNING' } });
    const due = await handle(scheduled);
    const again = await handle(scheduled);
    ruleEnabled.push(eventBridge.rules.get('gennaker-judgment-reminders'));
    await store.takeTaskToken('E2', 'S1');
    await store.updateStage('E2', 'S1', { expect: ['RUNNING'], set: { status: 'SUCCEEDED', context: { ...judgment, judgmentStatus: 'continue' }, endTime: clock.now() } });
    time += 5 * HOUR;
    const judged = await handle(scheduled);
    ruleEnabled.push(eventBridge.rules.get('gennaker-judgment-reminders'));

    // then
    expect(early).toEqual({ handled: true, deliveries: [] });
    expect(paused).toEqual({ handled: true, deliveries: [] });
    expect(due).toEqual({ handled: true, deliveries: [{ executionId: 'E2', key: expect.stringMatching(/^S1:manualJudgment#1:/), status: 'SENT' }] });
    expect(again).toMatchObject({ handled: true, deliveries: [{ status: 'SKIPPED', reason: 'already SENT' }] });
    expect(judged).toEqual({ handled: true, deliveries: [] });
    expect(reminders()).toEqual([0, 1]);
    expect(await watches.listWatchedJudgments()).toEqual([]);
    // The schedule runs only while the judgment waits.
    expect(ruleEnabled).toEqual([undefined, true, true, false]);
  });

  it('starts the reminder schedule again when a judgment began waiting while the sweep stopped it', async () => {
    // given: no judgment waits, and while the sweep stops the schedule another notifier watches one and starts it
    const calls: string[] = [];
    const schedule = {
      start: async () => {
        calls.push('start');
      },
      stop: async () => {
        await watches.watchJudgment({ executionId: 'E3', stageId: 'S9', application: 'shop', since: clock.now() });
        calls.push('another notifier: watch, start');
        calls.push('stop');
      },
    };
    const notifier = createNotifier({ store: { ...store, ...watches }, senders: {}, clock, links: {}, reminderSchedule: schedule });
    try {
      // when
      await notifier.remindJudgments();
      // then: the sweep lists the watches after stopping, so the schedule ends started
      expect(calls).toEqual(['another notifier: watch, start', 'stop', 'start']);
    } finally {
      await watches.unwatchJudgment('E3', 'S9');
    }
  });

  it('ignores what is not one of Gennaker\'s events, and names a bad environment', async () => {
    const handle = createNotifierHandler(createCloudNotifier(readNotifierEnvironment({ TABLE_NAME: dynalite.tableName }), { dynamodb: dynalite.client, ses: new SESv2Client({}), sns: new SNSClient({}), events: new EventBridgeFake().client }), () => undefined);
    expect(await handle({ source: 'aws.states', 'detail-type': 'x', detail: {} })).toMatchObject({ handled: false, reason: expect.stringMatching(/^not a Gennaker event: source/) });
    expect(() => readNotifierEnvironment({})).toThrow('TABLE_NAME is not set');
    expect(() => readNotifierEnvironment({ TABLE_NAME: 't', NOTIFICATION_SETTINGS: '{"email":{"from":"x"}}' })).toThrow('NOTIFICATION_SETTINGS: email.from: expected an email address, got "x"');
  });
});
