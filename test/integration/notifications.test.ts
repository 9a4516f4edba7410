/**
 * Notifications on the real local runtime: pipelines run on the local engine, the notifier hears
 * the bus, and every sender delivers over real connections — Slack, Teams, a webhook and GitHub's
 * status API as one HTTP server on 127.0.0.1, email to a real SMTP server (smtp-server) on
 * 127.0.0.1. Credentials come from the state directory's named secrets.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../core/execution/execution-service-api.ts';
import { toOrcaExecution } from '../../core/execution/orca-shape.ts';
import type { GennakerEvent } from '../../core/ports/event-bus.ts';
import type { Execution } from '../../core/ports/execution-store.ts';
import { createRecordingIoHost } from '../../core/io-host.ts';
import { loadSecretCipher } from '../../local/secret-key.ts';
import { createLocalSecrets } from '../../local/secrets-file.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';
import { REMINDER_TICK_MS, startLocalServer } from '../../local/server.ts';

const caller: Caller = { user: 'ana', roles: [] };
const APPLICATION = 'shop';

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
}
interface Mail {
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: string;
}

let dir: string;
let http: Server;
let base: string;
let smtp: SMTPServer;
let runtime: LocalRuntime;
const requests: Received[] = [];
const requestListeners = new Set<(request: Received) => void>();
const mails: Mail[] = [];
const events: GennakerEvent[] = [];
const io = createRecordingIoHost();
// The runtime's clock: real time, until a test sets it (reminders are due by this clock).
let setTime: number | undefined;
let offset = 0;
const clock = { now: () => setTime ?? Date.now() + offset };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gennaker-notify-'));
  http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      requests.push({ path, headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> });
      for (const listener of [...requestListeners]) listener(requests.at(-1)!);
      if (path.startsWith('/broken')) {
        response.writeHead(500).end('boom');
        return;
      }
      response.writeHead(path.startsWith('/github') ? 201 : 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((to) => to.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  // The credentials are named secrets of the state directory, as `gennaker secret set` keeps them.
  const secrets = createLocalSecrets(dir, await loadSecretCipher(dir));
  await secrets.set('slack-webhook', `${base}/slack/T0/B0/default`, []);
  await secrets.set('github-token', 'gh-secret-token', [APPLICATION]);
  runtime = await createLocalRuntime({
    clock,
    retryDelayMs: 5,
    io,
    secretsDir: dir,
    webhookAllowlist: [base],
    notificationRetryDelayMs: 0,
    notifications: {
      settings: {
        slack: { webhookUrlSecret: 'slack-webhook' },
        email: { from: 'gennaker@example.com', smtp: { host: '127.0.0.1', port: smtpPort, secure: false } },
        githubStatus: { tokenSecret: 'github-token', baseUrl: `${base}/github` },
      },
      apiUrl: () => 'http://gennaker.test:8084',
    },
  });
  runtime.bus.subscribe((event) => {
    events.push(event);
  });
});

afterAll(async () => {
  await runtime?.close();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
async function runToEnd(config: Record<string, unknown>): Promise<Execution> {
  const id = await save(config);
  const started = await runtime.service.startPipeline({ application: APPLICATION, pipeline: id, trigger: { type: 'manual', user: 'ana' } }, caller);
  if (!started.ok) throw new Error(`start failed: ${JSON.stringify(started)}`);
  await runtime.idle();
  return (await runtime.store.getExecution(started.executionId))!;
}

async function save(config: Record<string, unknown>): Promise<string> {
  counter += 1;
  const saved = await runtime.service.savePipeline({ config: { application: APPLICATION, name: `notify ${counter}`, ...config } }, caller);
  if (!saved.ok) throw new Error(`save failed: ${JSON.stringify(saved)}`);
  return saved.saved.id;
}

/** Resolves with the first event published from now on that `accepts`. */
function nextEvent(accepts: (event: GennakerEvent) => boolean): Promise<GennakerEvent> {
  return new Promise((resolve) => {
    const stop = runtime.bus.subscribe((event) => {
      if (!accepts(event)) return;
      stop();
      resolve(event);
    });
  });
}

const since = <T>(list: readonly T[], from: number) => list.slice(from);
const wait = (refId: string, extra: Record<string, unknown> = {}) => ({ refId, requisiteStageRefIds: [], type: 'wait', name: `Wait ${refId}`, waitTime: 0, ...extra });
const judgment = (extra: Record<string, unknown>) => ({ refId: '1', requisiteStageRefIds: [], type: 'manualJudgment', name: 'Approve', ...extra });

/** Starts the pipeline and resolves once its judgment waits and the notifier heard so: the execution's and the stage's ids. */
async function startUntilJudgment(id: string): Promise<{ executionId: string; stageId: string }> {
  const awaiting = nextEvent((event) => event.type === 'Stage Execution Changed' && event.phase === 'manualJudgment');
  const started = await runtime.service.startPipeline({ application: APPLICATION, pipeline: id, trigger: { type: 'manual', user: 'ana' } }, caller);
  if (!started.ok) throw new Error('start failed');
  const stageId = ((await awaiting) as { stageId: string }).stageId;
  await runtime.bus.idle();
  return { executionId: started.executionId, stageId };
}

describe('notifications on the local runtime', () => {
  it('sends pipeline and stage notifications to Slack, Teams, a webhook, GitHub and email, and records each delivery on the execution', async () => {
    // given
    const firstRequest = requests.length;
    const firstMail = mails.length;
    const config = {
      notifications: [
        { type: 'slack', address: '#deploys', level: 'pipeline', when: ['pipeline.complete'], message: { 'pipeline.complete': { text: 'Released to prod' } } },
        { type: 'microsoftteams', address: `${base}/teams/hook`, when: ['pipeline.complete'] },
        { type: 'webhook', address: `${base}/hook`, when: ['pipeline.starting', 'pipeline.complete'] },
        { type: 'githubStatus', repo: 'acme/shop', commit: 'abc1234', when: ['pipeline.starting', 'pipeline.complete'] },
        { type: 'email', address: 'ops@example.com', when: ['pipeline.complete'] },
      ],
      stages: [wait('1', { sendNotifications: true, notifications: [{ type: 'webhook', address: `${base}/stage-hook`, when: ['stage.starting', 'stage.complete'] }] })],
    };
    // when
    const execution = await runToEnd(config);
    // then
    expect(execution.status).toBe('SUCCEEDED');
    const got = since(requests, firstRequest);
    const slack = got.find((request) => request.path === '/slack/T0/B0/default')!;
    expect(slack.body).toMatchObject({ channel: '#deploys', attachments: [{ title: 'Pipeline complete for SHOP', color: '#769D3E' }] });
    expect((slack.body.attachments as Array<{ text: string }>)[0]!.text).toBe(
      `shop's ${execution.name} pipeline has completed successfully.\n\nReleased to prod\n\nFor more details, please visit: http://gennaker.test:8084/pipelines/${execution.id}`,
    );
    expect(got.find((request) => request.path === '/teams/hook')!.body).toMatchObject({ '@type': 'MessageCard', themeColor: '73DB69' });
    expect(got.filter((request) => request.path === '/hook').map((request) => request.body.event)).toEqual(['pipeline.starting', 'pipeline.complete']);
    expect(got.filter((request) => request.path === '/stage-hook').map((request) => request.body.event)).toEqual(['stage.starting', 'stage.complete']);
    const statuses = got.filter((request) => request.path === '/github/repos/acme/shop/statuses/abc1234');
    expect(statuses.map((request) => request.body.state)).toEqual(['pending', 'success']);
    expect(statuses[0]!.headers.authorization).toBe('token gh-secret-token');
    expect(statuses[1]!.body).toMatchObject({ context: `pipeline/${execution.name}`, target_url: `http://gennaker.test:8084/pipelines/${execution.id}` });
    const mail = since(mails, firstMail);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.to).toEqual(['ops@example.com']);
    expect(mail[0]!.raw).toContain(`Subject: shop's ${execution.name} pipeline has completed successfully`);
    const deliveries = execution.notificationDeliveries ?? [];
    expect(deliveries).toHaveLength(9);
    expect(deliveries.every((delivery) => delivery.status === 'SENT' && delivery.attempts === 1)).toBe(true);
    expect(deliveries.find((delivery) => delivery.type === 'slack')).toMatchObject({ event: 'pipeline.complete', recipient: '#deploys' });
    expect(deliveries.filter((delivery) => delivery.stageRefId === '1').map((delivery) => delivery.event)).toEqual(['stage.starting', 'stage.complete']);
    // The API shows them with the execution; no webhook URL's secret path shows.
    const shown = toOrcaExecution(execution);
    expect(shown.notificationDeliveries).toEqual(deliveries);
    expect(JSON.stringify(shown.notificationDeliveries)).not.toContain('/teams/hook');
  });

  it('sends once when an event is delivered twice', async () => {
    // given
    const execution = await runToEnd({ notifications: [{ type: 'webhook', address: `${base}/twice`, when: ['pipeline.complete'] }], stages: [wait('1')] });
    const completed = events.find((event) => event.type === 'Pipeline Execution Completed' && event.executionId === execution.id)!;
    const before = requests.filter((request) => request.path === '/twice').length;
    // when
    const again = await runtime.notifier.handle(completed);
    // then
    expect(before).toBe(1);
    expect(requests.filter((request) => request.path === '/twice')).toHaveLength(1);
    expect(again.deliveries).toEqual([{ executionId: execution.id, key: expect.stringMatching(/^pipeline:pipeline\.complete:/), status: 'SKIPPED', reason: 'already SENT' }]);
  });

  it('records a failed delivery with its reason on the execution, and the pipeline succeeds all the same', async () => {
    // given
    const errorsBefore = io.messages.length;
    // when
    const execution = await runToEnd({
      notifications: [
        { type: 'webhook', address: `${base}/broken`, when: ['pipeline.complete'] },
        { type: 'slack', address: 'https://hooks.slack.example.com/services/T/B/X', when: ['pipeline.complete'] },
        { type: 'sms', address: '+15550100', when: ['pipeline.complete'] },
      ],
      stages: [wait('1')],
    });
    // then
    expect(execution.status).toBe('SUCCEEDED');
    const byType = new Map((execution.notificationDeliveries ?? []).map((delivery) => [delivery.type, delivery]));
    expect(byType.get('webhook')).toMatchObject({ status: 'FAILED', attempts: 1, reason: `the webhook ${base} answered 500 boom` });
    expect(requests.filter((request) => request.path === '/broken').length % 3).toBe(0);
    expect(byType.get('slack')).toMatchObject({ status: 'FAILED', recipient: 'https://hooks.slack.example.com/…' });
    expect(byType.get('slack')!.reason).toMatch(/^the Slack webhook: .*allowlist/);
    expect(byType.get('sms')).toMatchObject({ status: 'FAILED', reason: "notification type 'sms' is not supported yet; use one of slack, microsoftteams, webhook, email, sns, githubStatus" });
    const reported = io.messages.slice(errorsBefore).filter((message) => message.kind === 'error').map((message) => (message as { message: string }).message);
    expect(reported.some((message) => message.includes(`of execution ${execution.id} failed: the webhook ${base} answered 500 boom`))).toBe(true);
  });

  it('notifies the application\'s preferences about every pipeline of the application', async () => {
    // given
    await runtime.store.saveApplication({
      name: APPLICATION,
      accounts: [],
      trafficGuards: [],
      permissions: {},
      raw: { name: APPLICATION, notifications: { application: APPLICATION, webhook: [{ address: `${base}/app-hook`, when: ['pipeline.failed', 'task.complete'] }] } },
    });
    // when
    const failed = await runToEnd({ stages: [{ refId: '1', requisiteStageRefIds: [], type: 'checkPreconditions', name: 'gate', preconditions: [{ type: 'expression', context: { expression: '${false}' } }] }] });
    const succeeded = await runToEnd({ stages: [wait('1')] });
    // then
    expect(failed.status).toBe('TERMINAL');
    expect(succeeded.status).toBe('SUCCEEDED');
    const hooks = requests.filter((request) => request.path === '/app-hook');
    expect(hooks.map((request) => [request.body.event, (request.body.execution as { id: string }).id])).toEqual([['pipeline.failed', failed.id]]);
  });

  it('asks for a manual judgment with a link to judge it, then tells who judged', async () => {
    // given
    const firstMail = mails.length;
    const id = await save({
      stages: [
        judgment({
          instructions: 'Check the dashboards first',
          sendNotifications: true,
          notifications: [{ type: 'email', address: 'approvers@example.com', when: ['manualJudgment', 'manualJudgmentContinue'] }],
        }),
      ],
    });
    const started = await startUntilJudgment(id);
    const stageId = started.stageId;
    // when
    const judged = await runtime.service.judgeStage(started.executionId, stageId, { judgmentStatus: 'continue' }, { user: 'bo', roles: [] });
    await runtime.idle();
    // then
    expect(judged.ok).toBe(true);
    const mail = since(mails, firstMail);
    expect(mail.map((entry) => entry.to)).toEqual([['approvers@example.com'], ['approvers@example.com']]);
    const body = mail[0]!.raw.replace(/=\r?\n/g, '');
    expect(body).toContain('is awaiting manual judgment');
    expect(body).toContain('Check the dashboards first');
    expect(body).toContain(`Judge it: PATCH http://gennaker.test:8084/pipelines/${started.executionId}/stages/${stageId}`);
    expect(mail[1]!.raw).toContain('was judged to continue by bo');
    const execution = await runtime.store.getExecution(started.executionId);
    expect(execution!.status).toBe('SUCCEEDED');
    expect(execution!.notificationDeliveries!.map((delivery) => [delivery.event, delivery.status])).toEqual([
      ['manualJudgment', 'SENT'],
      ['manualJudgmentContinue', 'SENT'],
    ]);
  });

  it('reminds a waiting manual judgment every notifyEveryMs, once per reminder, and stops when it is judged', async () => {
    // given: a judgment whose webhook reminds every minute and whose email does not
    const every = 60_000;
    const id = await save({
      stages: [
        judgment({
          notifications: [
            { type: 'webhook', address: `${base}/remind`, when: ['manualJudgment'], notifyEveryMs: every },
            { type: 'email', address: 'approvers@example.com', when: ['manualJudgment'] },
          ],
        }),
      ],
    });
    const mailsBefore = mails.length;
    const started = await startUntilJudgment(id);
    const stageId = started.stageId;
    const watch = (await runtime.judgmentWatches.listWatchedJudgments()).find((entry) => entry.executionId === started.executionId)!;
    const reminders = () => requests.filter((request) => request.path === '/remind').map((request) => request.body.reminder ?? 0);
    try {
      // when: the sweep runs before, at and after each period, and twice at the same time
      setTime = watch.since + every - 1;
      const early = await runtime.notifier.remindJudgments();
      setTime = watch.since + every;
      const first = await runtime.notifier.remindJudgments();
      const again = await runtime.notifier.remindJudgments();
      setTime = watch.since + 2 * every + 30_000;
      await runtime.notifier.remindJudgments();
      const judged = await runtime.service.judgeStage(started.executionId, stageId, { judgmentStatus: 'continue' }, { user: 'bo', roles: [] });
      await runtime.idle();
      setTime = watch.since + 10 * every;
      const afterJudgment = await runtime.notifier.remindJudgments();

      // then
      expect(watch).toMatchObject({ stageId, application: APPLICATION });
      expect(early.deliveries.filter((delivery) => delivery.executionId === started.executionId)).toEqual([]);
      expect(first.deliveries.filter((delivery) => delivery.executionId === started.executionId)).toEqual([{ executionId: started.executionId, key: expect.stringMatching(new RegExp(`^${stageId}:manualJudgment#1:`)), status: 'SENT' }]);
      expect(again.deliveries.filter((delivery) => delivery.executionId === started.executionId)).toEqual([expect.objectContaining({ status: 'SKIPPED', reason: 'already SENT' })]);
      expect(judged.ok).toBe(true);
      expect(afterJudgment.deliveries.filter((delivery) => delivery.executionId === started.executionId)).toEqual([]);
      // The first message, then reminders 1 and 2; none after the judgment, and the email never reminds.
      expect(reminders()).toEqual([0, 1, 2]);
      expect(requests.filter((request) => request.path === '/remind').map((request) => request.body.event)).toEqual(['manualJudgment', 'manualJudgment', 'manualJudgment']);
      expect(mails.length - mailsBefore).toBe(1);
      expect((await runtime.judgmentWatches.listWatchedJudgments()).some((entry) => entry.executionId === started.executionId)).toBe(false);
      const execution = await runtime.store.getExecution(started.executionId);
      expect(execution!.status).toBe('SUCCEEDED');
      expect(execution!.notificationDeliveries!.filter((delivery) => delivery.type === 'webhook').map((delivery) => [delivery.event, delivery.reminder, delivery.status])).toEqual([
        ['manualJudgment', undefined, 'SENT'],
        ['manualJudgment', 1, 'SENT'],
        ['manualJudgment', 2, 'SENT'],
      ]);
    } finally {
      // Time goes on from where the test left it, never back.
      offset = (setTime ?? Date.now()) - Date.now();
      setTime = undefined;
    }
  });

  it('sends reminders from `up` on its own timer, and lists the notification types its settings send', async () => {
    // given: a server whose reminder timer ticks often, its clock set past the first reminder
    const own = mkdtempSync(join(tmpdir(), 'gennaker-notify-up-'));
    writeFileSync(join(own, 'notifications.json'), JSON.stringify({ email: { from: 'gennaker@example.com', smtp: { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port } } }));
    let serverTime: number | undefined;
    const server = await startLocalServer({ dir: own, port: 0, localTarget: false, cronTickMs: 60_000, reminderTickMs: 5, webhookAllowlist: [base], clock: { now: () => serverTime ?? Date.now() } });
    try {
      const saved = await server.runtime.service.savePipeline(
        {
          config: {
            application: APPLICATION,
            name: 'remind from up',
            stages: [judgment({ notifications: [{ type: 'webhook', address: `${base}/up-remind`, notifyEveryMs: 3_600_000 }] })],
          },
        },
        caller,
      );
      if (!saved.ok) throw new Error('save failed');
      const first = new Promise<Received>((resolve) => {
        const listener = (request: Received) => {
          if (request.path !== '/up-remind' || request.body.reminder !== 1) return;
          requestListeners.delete(listener);
          resolve(request);
        };
        requestListeners.add(listener);
      });
      const awaiting = new Promise<void>((resolve) => {
        const stop = server.runtime.bus.subscribe((event) => {
          if (event.type !== 'Stage Execution Changed' || event.phase !== 'manualJudgment') return;
          stop();
          resolve();
        });
      });
      const started = await server.runtime.service.startPipeline({ application: APPLICATION, pipeline: saved.saved.id, trigger: { type: 'manual', user: 'ana' } }, caller);
      if (!started.ok) throw new Error('start failed');
      await awaiting;
      await server.runtime.bus.idle();
      const [watch] = await server.runtime.judgmentWatches.listWatchedJudgments();
      // when
      serverTime = watch!.since + 3_600_000;
      const reminder = await first;
      // then
      expect(reminder.body).toMatchObject({ event: 'manualJudgment', reminder: 1, execution: { id: started.executionId } });
      expect(REMINDER_TICK_MS).toBe(15_000);
      // The API lists what this server's settings let it send: email with an SMTP server.
      const token = readFileSync(server.tokenPath, 'utf8').trim();
      const types = (await (await fetch(`${server.url}/notifications/metadata`, { headers: { authorization: `Bearer ${token}` } })).json()) as Array<{ notificationType: string }>;
      expect(types.map((type) => type.notificationType)).toEqual(['slack', 'microsoftteams', 'webhook', 'email']);
    } finally {
      await server.close();
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('refuses to start the server on a broken notifications.json, naming the field', async () => {
    const own = mkdtempSync(join(tmpdir(), 'gennaker-notify-up-'));
    try {
      writeFileSync(join(own, 'notifications.json'), JSON.stringify({ email: { from: 'nobody' } }));
      await expect(startLocalServer({ dir: own, port: 0, localTarget: false })).rejects.toThrow(`${join(own, 'notifications.json')}: email.from: expected an email address, got "nobody"`);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
