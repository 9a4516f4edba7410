import { describe, expect, it } from 'vitest';
import { pipelinePhaseOf } from '../../../core/notifications/phases.ts';
import { planJudgmentReminders, planNotifications, remindingPreferences, type NotificationEvent } from '../../../core/notifications/plan.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { applicationNotificationsProblem, applicationPipelinePreferences, mergeApplicationPreferences, preferencesOf } from '../../../core/notifications/preferences.ts';
import type { Execution, StageRecord } from '../../../core/ports/execution-store.ts';

const stage = (overrides: Partial<StageRecord> = {}): StageRecord => ({
  id: 'S1',
  refId: '1',
  type: 'wait',
  name: 'bake',
  requisiteStageRefIds: [],
  status: 'SUCCEEDED',
  context: {},
  outputs: {},
  runtime: {},
  awaitingCallback: false,
  revision: 1,
  lastModified: 0,
  ...overrides,
});

const execution = (overrides: Partial<Execution> = {}): Execution => ({
  id: 'E1',
  application: 'shop',
  pipelineConfigId: 'P1',
  pipelineVersion: 1,
  name: 'release',
  status: 'SUCCEEDED',
  buildTime: 0,
  trigger: { type: 'manual', user: 'ana' },
  parameters: {},
  canceled: false,
  revision: 1,
  lastModified: 0,
  limitConcurrent: false,
  keepWaitingPipelines: false,
  maxConcurrentExecutions: 0,
  stages: [],
  ...overrides,
});

const plan = (event: NotificationEvent, pipelineNotifications: unknown, more: { app?: unknown; exec?: Partial<Execution>; dashboard?: boolean } = {}) =>
  planNotifications({
    execution: execution(more.exec),
    event,
    pipelineNotifications,
    ...(more.app !== undefined ? { applicationNotifications: more.app } : {}),
    links: more.dashboard ? { dashboardUrl: 'https://deck.example.com/' } : { apiUrl: 'http://127.0.0.1:8084' },
    now: () => 0,
  });

describe('pipeline notifications', () => {
  it('sends to the preferences whose when lists the event, with the message override under Echo\'s line', () => {
    // given
    const notifications = [
      { type: 'slack', address: '#deploys', when: ['pipeline.complete'], message: { 'pipeline.complete': { text: 'Ship it!' } } },
      { type: 'email', address: 'ops@example.com', when: ['pipeline.failed'] },
    ];
    // when
    const planned = plan({ level: 'pipeline', phase: 'complete' }, notifications, { dashboard: true });
    // then
    expect(planned).toHaveLength(1);
    const outbound = planned[0]!.outbound!;
    expect(outbound).toMatchObject({ type: 'slack', address: '#deploys', event: 'pipeline.complete', status: 'complete', title: 'Pipeline complete for SHOP' });
    expect(outbound.subject).toBe("shop's release pipeline has completed successfully");
    expect(outbound.text).toBe(
      "shop's release pipeline has completed successfully.\n\nShip it!\n\nFor more details, please visit: https://deck.example.com/#/applications/shop/executions/details/E1",
    );
    expect(planned[0]!.delivery).toMatchObject({ event: 'pipeline.complete', type: 'slack', recipient: '#deploys' });
  });

  it('notifies nobody about a canceled execution, as Echo', () => {
    expect(plan({ level: 'pipeline', phase: 'failed' }, [{ type: 'slack', address: '#x', when: ['pipeline.failed'] }], { exec: { status: 'CANCELED', canceled: true } })).toEqual([]);
  });

  it('evaluates expressions in the preferences against the execution', () => {
    const planned = plan({ level: 'pipeline', phase: 'starting' }, [{ type: 'email', address: '${trigger.user}@example.com', when: ['pipeline.starting'] }]);
    expect(planned[0]!.outbound!.address).toBe('ana@example.com');
    expect(planned[0]!.outbound!.text).toContain('For more details, please visit: http://127.0.0.1:8084/pipelines/E1');
  });

  it('merges the application preferences as Orca does: same type and address, the pipeline overrides its events', () => {
    // given
    const app = {
      slack: [
        { address: '#deploys', when: ['pipeline.starting', 'pipeline.failed'] },
        { address: '#tasks', when: ['task.complete'] },
      ],
      email: [{ type: 'email', address: 'lead@example.com', when: ['pipeline.failed'] }],
    };
    const own = [{ type: 'slack', address: '#deploys', when: ['pipeline.failed'] }];
    // when
    const merged = mergeApplicationPreferences(preferencesOf(own), applicationPipelinePreferences(app));
    // then
    expect(merged.map((preference) => [preference.type, preference.address, preference.when])).toEqual([
      ['slack', '#deploys', ['pipeline.failed']],
      ['slack', '#deploys', ['pipeline.starting']],
      ['email', 'lead@example.com', ['pipeline.failed']],
    ]);
    const failed = plan({ level: 'pipeline', phase: 'failed' }, own, { app, exec: { status: 'TERMINAL' } });
    expect(failed.map((entry) => entry.outbound!.address)).toEqual(['#deploys', 'lead@example.com']);
  });

  it('gives each event and recipient its own dedup key, the same on every plan', () => {
    const notifications = [
      { type: 'slack', address: '#a', when: ['pipeline.complete', 'pipeline.starting'] },
      { type: 'slack', address: '#b', when: ['pipeline.complete'] },
    ];
    const first = plan({ level: 'pipeline', phase: 'complete' }, notifications).map((entry) => entry.delivery.key);
    const again = plan({ level: 'pipeline', phase: 'complete' }, notifications).map((entry) => entry.delivery.key);
    const starting = plan({ level: 'pipeline', phase: 'starting' }, notifications).map((entry) => entry.delivery.key);
    expect(new Set(first).size).toBe(2);
    expect(again).toEqual(first);
    expect(first).not.toContain(starting[0]);
  });

  it('shows only the origin of a webhook URL, whose path is its secret', () => {
    const planned = plan({ level: 'pipeline', phase: 'complete' }, [{ type: 'slack', address: 'https://hooks.slack.com/services/T0/B0/secret', when: ['pipeline.complete'] }]);
    expect(planned[0]!.delivery.recipient).toBe('https://hooks.slack.com/…');
    expect(planned[0]!.delivery.key).not.toContain('secret');
  });

  it('records an unsupported type or a missing address as a problem instead of sending', () => {
    const planned = plan({ level: 'pipeline', phase: 'complete' }, [
      { type: 'sms', address: '555', when: ['pipeline.complete'] },
      { type: 'email', when: ['pipeline.complete'] },
    ]);
    expect(planned.map((entry) => entry.problem)).toEqual([
      "notification type 'sms' is not supported yet; use one of slack, microsoftteams, webhook, email, sns, githubStatus",
      "the email notification has no address; set its 'address' (an email address)",
    ]);
  });

  it('fills customSubject and customBody for email and customMessage for chat', () => {
    const planned = plan({ level: 'pipeline', phase: 'complete' }, [
      { type: 'email', address: 'a@b.c', when: ['pipeline.complete'], customSubject: 'Done', customBody: 'See {{link}} ({{executionId}})' },
      { type: 'microsoftteams', address: 'https://teams.example.com/hook', when: ['pipeline.complete'], customMessage: 'Run {{executionId}} done' },
    ]);
    expect(planned[0]!.outbound).toMatchObject({ subject: 'Done', text: 'See http://127.0.0.1:8084/pipelines/E1 (E1)' });
    expect(planned[1]!.outbound!.text).toBe('Run E1 done');
  });

  it('sets a GitHub commit status from a GitHub git trigger, pending → success', () => {
    const git = { trigger: { type: 'git', source: 'github', project: 'acme', slug: 'shop', hash: 'abc1234def' } };
    const prefs = [{ type: 'githubStatus', when: ['pipeline.starting', 'pipeline.complete'] }];
    expect(plan({ level: 'pipeline', phase: 'starting' }, prefs, { exec: git })[0]!.outbound!.github).toEqual({
      repo: 'acme/shop',
      sha: 'abc1234def',
      state: 'pending',
      context: 'pipeline/release',
      description: "Pipeline 'release' is starting",
      targetUrl: 'http://127.0.0.1:8084/pipelines/E1',
    });
    expect(plan({ level: 'pipeline', phase: 'complete' }, prefs, { exec: git })[0]!.outbound!.github!.state).toBe('success');
    expect(plan({ level: 'pipeline', phase: 'complete' }, prefs)[0]!.problem).toMatch(/^githubStatus needs a repository and commit/);
  });
});

describe('stage notifications', () => {
  const notifications = [{ type: 'slack', address: '#deploys', when: ['stage.starting', 'stage.failed'] }];

  it('sends stage events only when the stage sets sendNotifications', () => {
    const on = stage({ status: 'TERMINAL', context: { sendNotifications: true, notifications } });
    const off = stage({ status: 'TERMINAL', context: { notifications } });
    expect(plan({ level: 'stage', phase: 'failed', stage: on }, [])[0]!.outbound!.subject).toBe("Stage bake for shop's release pipeline has failed");
    expect(plan({ level: 'stage', phase: 'failed', stage: off }, [])).toEqual([]);
    expect(plan({ level: 'stage', phase: 'complete', stage: on }, [])).toEqual([]);
  });

  it('keys a stage delivery by the stage, so two stages notify the same channel each', () => {
    const a = plan({ level: 'stage', phase: 'starting', stage: stage({ context: { sendNotifications: true, notifications } }) }, []);
    const b = plan({ level: 'stage', phase: 'starting', stage: stage({ id: 'S2', refId: '2', context: { sendNotifications: true, notifications } }) }, []);
    expect(a[0]!.delivery.key).not.toBe(b[0]!.delivery.key);
    expect(b[0]!.delivery).toMatchObject({ stageId: 'S2', stageRefId: '2' });
  });

  it('asks for a judgment with a link to judge, whatever sendNotifications says', () => {
    // given
    const judgment = stage({ type: 'manualJudgment', name: 'approve', status: 'RUNNING', context: { instructions: 'Check the canary', notifications: [{ type: 'email', address: 'ops@example.com', when: ['manualJudgment'] }] } });
    // when
    const planned = plan({ level: 'stage', phase: 'manualJudgment', stage: judgment }, []);
    // then
    expect(planned[0]!.outbound!.subject).toBe("Stage approve for shop's release pipeline is awaiting manual judgment");
    expect(planned[0]!.outbound!.text).toContain('Instructions:\nCheck the canary');
    expect(planned[0]!.outbound!.text).toContain('Judge it: PATCH http://127.0.0.1:8084/pipelines/E1/stages/S1 with {"judgmentStatus": "continue"}');
    expect(planNotifications({ execution: execution(), event: { level: 'stage', phase: 'manualJudgment', stage: judgment }, pipelineNotifications: [], links: { dashboardUrl: 'https://deck' }, now: () => 0 })[0]!.outbound!.text).toContain(
      'Judge it: https://deck/#/applications/shop/executions/details/E1?refId=1',
    );
  });

  it('sends judged-to-continue and judged-to-stop only with sendNotifications, and a preference without when takes every judgment event', () => {
    const prefs = [{ type: 'slack', address: '#approvals' }];
    const judged = (sendNotifications: boolean) =>
      stage({ type: 'manualJudgment', name: 'approve', context: { sendNotifications, notifications: prefs, judgmentStatus: 'continue', judgmentInput: 'ship', lastModifiedBy: 'bo' } });
    expect(plan({ level: 'stage', phase: 'manualJudgmentContinue', stage: judged(false) }, [])).toEqual([]);
    const planned = plan({ level: 'stage', phase: 'manualJudgmentContinue', stage: judged(true) }, []);
    expect(planned[0]!.outbound!.subject).toBe("Stage approve for shop's release pipeline was judged to continue by bo");
    expect(planned[0]!.outbound!.text).toContain("Judgment 'ship' was selected.");
    expect(plan({ level: 'stage', phase: 'manualJudgment', stage: judged(false) }, [])).toHaveLength(1);
  });
});

describe('application notifications', () => {
  it('accepts Front50 documents and names the field of a bad one', () => {
    expect(applicationNotificationsProblem({ application: 'shop', slack: [{ when: ['pipeline.failed'], address: '#x' }] })).toBeUndefined();
    expect(applicationNotificationsProblem([])).toMatch(/^'notifications' is \[\]; it must be an object of lists by type/);
    expect(applicationNotificationsProblem({ slack: [{ when: 'pipeline.failed' }] })).toBe(
      `'notifications.slack[0].when' is 'pipeline.failed'; it must be a list of events such as ["pipeline.starting", "pipeline.complete", "pipeline.failed"]`,
    );
  });
});

describe('phases', () => {
  it.each([
    ['SUCCEEDED', 'complete'],
    ['STOPPED', 'complete'],
    ['TERMINAL', 'failed'],
    ['FAILED_CONTINUE', 'failed'],
    ['CANCELED', undefined],
  ] as const)('a pipeline that ends %s is %s', (status, phase) => {
    expect(pipelinePhaseOf(status)).toBe(phase);
  });
});

describe('manual judgment reminders (notifyEveryMs)', () => {
  const HOUR = 3_600_000;
  const judgment = (notifications: unknown[], overrides: Partial<StageRecord> = {}) =>
    stage({ type: 'manualJudgment', name: 'Approve', status: 'RUNNING', awaitingCallback: true, context: { notifications }, ...overrides });
  const remind = (judging: StageRecord, at: number, exec: Partial<Execution> = {}) =>
    planJudgmentReminders({ execution: execution({ status: 'RUNNING', stages: [judging], ...exec }), stage: judging, since: 1_000, links: { apiUrl: 'http://127.0.0.1:8084' }, now: () => at });

  it('sends reminder n once n periods have passed since the judgment began waiting, not before', () => {
    // given
    const judging = judgment([{ type: 'slack', address: '#approvers', when: ['manualJudgment'], notifyEveryMs: HOUR }]);
    // when
    const early = remind(judging, 1_000 + HOUR - 1);
    const first = remind(judging, 1_000 + HOUR);
    const third = remind(judging, 1_000 + 3 * HOUR + 5);
    // then
    expect(early).toEqual([]);
    expect(first).toHaveLength(1);
    expect(first[0]!.delivery).toMatchObject({ key: expect.stringMatching(/^S1:manualJudgment#1:/), event: 'manualJudgment', reminder: 1, recipient: '#approvers' });
    expect(first[0]!.outbound).toMatchObject({ event: 'manualJudgment', status: 'awaiting', title: 'Stage awaiting judgment for SHOP' });
    expect(first[0]!.outbound!.text).toContain('Stage Approve for shop\'s release pipeline is awaiting manual judgment.');
    expect(first[0]!.outbound!.text).toContain('Judge it: PATCH http://127.0.0.1:8084/pipelines/E1/stages/S1');
    expect(third.map((planned) => planned.delivery.reminder)).toEqual([3]);
  });

  it('reminds only the preferences with a period that take manualJudgment, each on its own period', () => {
    // given
    const judging = judgment([
      { type: 'email', address: 'a@example.com', notifyEveryMs: '600000' },
      { type: 'email', address: 'b@example.com', when: ['manualJudgment'], notifyEveryMs: HOUR },
      { type: 'email', address: 'c@example.com', when: ['manualJudgment'] },
      { type: 'email', address: 'd@example.com', when: ['manualJudgmentContinue'], notifyEveryMs: 600_000 },
      { type: 'email', address: 'e@example.com', when: ['manualJudgment'], notifyEveryMs: -1 },
      { type: 'email', address: 'f@example.com', when: ['manualJudgment'], notifyEveryMs: 0 },
    ]);
    // when
    const planned = remind(judging, 1_000 + HOUR);
    // then
    expect(remindingPreferences(judging).map((preference) => preference.address)).toEqual(['a@example.com', 'b@example.com']);
    expect(planned.map((entry) => [entry.delivery.recipient, entry.delivery.reminder])).toEqual([
      ['a@example.com', 6],
      ['b@example.com', 1],
    ]);
  });

  it('reminds nobody of a canceled execution, a stage that is not a judgment, or a synthetic stage', () => {
    const notifications = [{ type: 'slack', address: '#x', notifyEveryMs: 1_000 }];
    expect(remind(judgment(notifications), 1_000 + HOUR, { canceled: true })).toEqual([]);
    expect(remindingPreferences(judgment(notifications, { type: 'wait' }))).toEqual([]);
    expect(remindingPreferences(judgment(notifications, { parentStageId: 'P' }))).toEqual([]);
  });

  it('takes the stage as written when its context has no notifications', () => {
    const judging = judgment([], { context: {} });
    expect(remindingPreferences(judging, { notifications: [{ type: 'slack', address: '#x', notifyEveryMs: 1_000 }] })).toHaveLength(1);
  });

  it('refuses a notifyEveryMs that is not a whole number of milliseconds at save, naming the field', () => {
    // given
    const pipeline = (notifyEveryMs: unknown) => ({
      application: 'shop',
      name: 'release',
      stages: [{ refId: '1', type: 'manualJudgment', name: 'Approve', notifications: [{ type: 'slack', address: '#x', when: ['manualJudgment'], notifyEveryMs }] }],
    });
    // when
    const bad = parsePipeline(pipeline('hourly'));
    const good = parsePipeline(pipeline(3_600_000));
    // then
    expect(bad.issues.filter((issue) => issue.severity === 'error').map((issue) => [issue.pointer, issue.message])).toEqual([
      ['/stages/0/notifications/0/notifyEveryMs', "expected the reminder period in milliseconds, e.g. 3600000, got 'hourly'"],
    ]);
    expect(good.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  });
});
