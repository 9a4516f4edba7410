/**
 * Which notifications an event sends, and what they say: Echo's rules (AbstractEventNotificationAgent,
 * the Slack, Teams, email and GitHub agents, the manual judgment templates) as a pure function.
 *
 * - Pipeline events (`pipeline.starting|complete|failed`) go to the pipeline's preferences with
 *   the application's merged in (Orca's EchoNotifyingExecutionListener); a canceled execution
 *   notifies nobody. `complete` is Orca's `isSuccessful` (SUCCEEDED, STOPPED, SKIPPED).
 * - Stage events (`stage.starting|complete|failed`) go to the stage's preferences, only when the
 *   stage sets `sendNotifications: true`.
 * - A manual judgment notifies `manualJudgment` whatever `sendNotifications` says, and
 *   `manualJudgmentContinue|Stop` only with it; a preference without `when` takes all three
 *   (Orca's ManualJudgmentStage.Notification.shouldNotify).
 * - A judgment preference with `notifyEveryMs` sends `manualJudgment` again every so often while
 *   the judgment waits (`planJudgmentReminders`, run by the reminder sweep).
 * - `message: {"<event>": {"text": ...}}` adds its text under Echo's line; `customMessage`
 *   (chat) and `customSubject`/`customBody` (email) replace it, with `{{link}}` and
 *   `{{executionId}}` filled in.
 * Each notification has a key per stage, event and recipient: the dedup key of its delivery.
 */
import { evaluateDeep, type EvaluationContext } from '../expressions/index.ts';
import { deterministicId } from '../execution/ids.ts';
import { executionView } from '../execution/evaluation-context.ts';
import type { StagePhase } from '../ports/event-bus.ts';
import type { Execution, NewNotificationDelivery, StageRecord } from '../ports/execution-store.ts';
import { NOTIFICATION_TYPES, type GithubCommitStatus, type NotificationStatus, type NotificationType, type OutboundNotification } from '../ports/notification-sender.ts';
import { applicationPipelinePreferences, mergeApplicationPreferences, preferencesOf, type NotificationPreference } from './preferences.ts';

/** Where links in messages point. */
export interface NotificationLinks {
  /** Deck's base URL (`spinnaker.base-url`): links go to the execution's page there. */
  readonly dashboardUrl?: string;
  /** The API's base URL: links go to the execution's document, and judgments to their PATCH URL. */
  readonly apiUrl?: string;
}

/** The event a plan is made for. */
export type NotificationEvent =
  | { readonly level: 'pipeline'; readonly phase: 'starting' | 'complete' | 'failed' }
  | { readonly level: 'stage'; readonly phase: StagePhase; readonly stage: StageRecord };

/** One notification to deliver, or to record as undeliverable. */
export interface PlannedNotification {
  readonly delivery: NewNotificationDelivery;
  /** What to send; absent when it cannot be sent, with `problem` saying why. */
  readonly outbound?: OutboundNotification;
  readonly problem?: string;
}

export interface PlanInput {
  readonly execution: Execution;
  readonly event: NotificationEvent;
  /** The pipeline's `notifications` as saved. */
  readonly pipelineNotifications: unknown;
  /** The application's `notifications` (Front50's document), if any. */
  readonly applicationNotifications?: unknown;
  /** The stage as written in the pipeline (its `notifications`, `sendNotifications`, `instructions`), for stage events. */
  readonly stageDefinition?: Readonly<Record<string, unknown>>;
  readonly links: NotificationLinks;
  readonly now: () => number;
}

const SUPPORTED = new Set<string>(NOTIFICATION_TYPES);

/** The `when` value of an event. */
export function eventName(event: NotificationEvent): string {
  if (event.level === 'pipeline') return `pipeline.${event.phase}`;
  return isJudgmentPhase(event.phase) ? event.phase : `stage.${event.phase}`;
}

function isJudgmentPhase(phase: StagePhase): phase is 'manualJudgment' | 'manualJudgmentContinue' | 'manualJudgmentStop' {
  return phase === 'manualJudgment' || phase === 'manualJudgmentContinue' || phase === 'manualJudgmentStop';
}

/** The notifications `event` sends, rendered; empty when nobody listens. */
export function planNotifications(input: PlanInput): PlannedNotification[] {
  const { execution, event } = input;
  if (execution.canceled || execution.status === 'CANCELED') return [];
  const name = eventName(event);
  let preferences: NotificationPreference[];
  if (event.level === 'pipeline') {
    const context = executionContext(execution, input.now);
    const own = preferencesOf(evaluateDeep(input.pipelineNotifications, context).value);
    const application = applicationPipelinePreferences(evaluateDeep(input.applicationNotifications, context).value);
    preferences = mergeApplicationPreferences(own, application).filter((preference) => preference.when.includes(name));
  } else {
    if (event.stage.parentStageId !== undefined) return [];
    const definition = input.stageDefinition ?? {};
    // The stage's context holds its notifications as evaluated when it started.
    const sendNotifications = (event.stage.context.sendNotifications ?? definition.sendNotifications) === true;
    const all = stagePreferences(event.stage, definition);
    if (isJudgmentPhase(event.phase)) {
      if (event.phase !== 'manualJudgment' && !sendNotifications) return [];
      preferences = all.filter((preference) => takesJudgmentEvent(preference, name));
    } else {
      if (!sendNotifications) return [];
      preferences = all.filter((preference) => preference.when.includes(name));
    }
  }
  return preferences.map((preference) => render(preference, input, name));
}

/** Orca's Notification.shouldNotify: a preference without `when` takes every judgment event. */
function takesJudgmentEvent(preference: NotificationPreference, name: string): boolean {
  return preference.when.length === 0 || preference.when.includes(name);
}

/** The stage's preferences as it runs them: its context's (evaluated when it started), else as written. */
function stagePreferences(stage: StageRecord, definition: Readonly<Record<string, unknown>> | undefined): NotificationPreference[] {
  return preferencesOf(stage.context.notifications ?? definition?.notifications);
}

/**
 * The preferences of a manual judgment that remind while it waits: `notifyEveryMs` set and
 * `manualJudgment` among their events (ManualJudgmentStage.Notification).
 */
export function remindingPreferences(stage: StageRecord, definition?: Readonly<Record<string, unknown>>): NotificationPreference[] {
  if (stage.type !== 'manualJudgment' || stage.parentStageId !== undefined) return [];
  return stagePreferences(stage, definition).filter((preference) => preference.notifyEveryMs !== undefined && takesJudgmentEvent(preference, 'manualJudgment'));
}

export interface ReminderInput {
  readonly execution: Execution;
  /** The waiting manual judgment. */
  readonly stage: StageRecord;
  /** The stage as written in the pipeline, when its context has no `notifications`. */
  readonly stageDefinition?: Readonly<Record<string, unknown>>;
  /** When the judgment began waiting. */
  readonly since: number;
  readonly links: NotificationLinks;
  readonly now: () => number;
}

/**
 * The reminders due now for a waiting judgment: per reminding preference, the latest reminder
 * whose time has come, reminder n being due `n × notifyEveryMs` after the judgment began
 * waiting (Orca sends again once `notifyEveryMs` passed since the last one). Its number is part
 * of the delivery key, so a sweep that runs twice sends it once, and a sweep that was late sends
 * the latest only, not the ones it missed.
 */
export function planJudgmentReminders(input: ReminderInput): PlannedNotification[] {
  const { execution, stage } = input;
  if (execution.canceled || execution.status === 'CANCELED') return [];
  const elapsed = input.now() - input.since;
  const planned: PlannedNotification[] = [];
  for (const preference of remindingPreferences(stage, input.stageDefinition)) {
    const reminder = Math.floor(elapsed / preference.notifyEveryMs!);
    if (reminder < 1) continue;
    const event: NotificationEvent = { level: 'stage', phase: 'manualJudgment', stage };
    planned.push(render(preference, { execution, event, pipelineNotifications: undefined, links: input.links, now: input.now }, 'manualJudgment', reminder));
  }
  return planned;
}

/** What expressions in a pipeline's notifications see: the execution's roots (Orca's buildExecutionContext). */
function executionContext(execution: Execution, now: () => number): EvaluationContext {
  const view = executionView(execution);
  const parameters = typeof execution.trigger.parameters === 'object' && execution.trigger.parameters !== null ? execution.trigger.parameters : execution.parameters;
  return { variables: { trigger: execution.trigger, parameters, execution: view }, execution: view, now };
}

const STATUS_OF: Readonly<Record<string, NotificationStatus>> = {
  starting: 'starting',
  complete: 'complete',
  failed: 'failed',
  skipped: 'skipped',
  manualJudgment: 'awaiting',
  manualJudgmentContinue: 'continue',
  manualJudgmentStop: 'stop',
};

/** One preference's notification of the event; a reminder (from 1) has its number in its key. */
function render(preference: NotificationPreference, input: PlanInput, name: string, reminder?: number): PlannedNotification {
  const { execution, event, links } = input;
  const stage = event.level === 'stage' ? event.stage : undefined;
  const address = preference.address ?? '';
  const delivery: NewNotificationDelivery = {
    key: `${stage ? stage.id : 'pipeline'}:${name}${reminder !== undefined ? `#${reminder}` : ''}:${deterministicId(`${preference.type}\n${address}\n${preference.cc ?? ''}`)}`,
    event: name,
    type: preference.type,
    recipient: shownRecipient(preference),
    ...(stage ? { stageId: stage.id, stageRefId: stage.refId } : {}),
    ...(reminder !== undefined ? { reminder } : {}),
  };
  if (!SUPPORTED.has(preference.type)) {
    return { delivery, problem: `notification type '${preference.type}' is not supported yet; use one of ${NOTIFICATION_TYPES.join(', ')}` };
  }
  const type = preference.type as NotificationType;
  const status = STATUS_OF[event.phase]!;
  const application = execution.application;
  const link = executionLink(execution, stage, links);
  const summary = summaryLine(execution, stage, event.phase);
  const lines = [summary + (summary.endsWith('.') ? '' : '.')];
  if (stage && event.phase === 'manualJudgment') {
    const instructions = typeof stage.context.instructions === 'string' ? stage.context.instructions.trim() : '';
    if (instructions !== '') lines.push('', `Instructions:\n${instructions}`);
    lines.push('', `Judge it: ${judgeLink(execution, stage, links)}`);
  }
  const override = preference.message[name];
  if (override !== undefined) lines.push('', override);
  if (stage && event.phase === 'manualJudgmentContinue' && typeof stage.context.judgmentInput === 'string' && stage.context.judgmentInput !== '') {
    lines.push('', `Judgment '${stage.context.judgmentInput}' was selected.`);
  }
  if (!(stage && event.phase === 'manualJudgment' && links.dashboardUrl === undefined)) lines.push('', `For more details, please visit: ${link}`);
  let text = lines.join('\n');
  let subject = summary;
  const fill = (template: string) => template.replaceAll('{{executionId}}', execution.id).replaceAll('{{link}}', link);
  const fromStage = (field: string) => (stage && typeof stage.context[field] === 'string' && stage.context[field] !== '' ? (stage.context[field] as string) : undefined);
  if (type === 'email') {
    const customSubject = preference.customSubject ?? fromStage('customSubject');
    const customBody = preference.customBody ?? fromStage('customBody');
    if (customSubject !== undefined) subject = customSubject;
    if (customBody !== undefined) text = fill(customBody);
  } else {
    const customMessage = preference.customMessage ?? fromStage('customMessage');
    if (customMessage !== undefined) text = fill(customMessage);
  }
  const title = `${stage ? 'Stage' : 'Pipeline'} ${isJudgmentPhase(event.phase) ? judgmentTitle(event.phase) : event.phase} for ${application.toUpperCase()}`;
  const payload = {
    details: { source: 'gennaker', type: `orca:${stage ? 'stage' : 'pipeline'}:${event.phase}`, application },
    event: name,
    application,
    execution: { id: execution.id, name: execution.name, pipelineConfigId: execution.pipelineConfigId, status: execution.status },
    ...(stage ? { stage: { id: stage.id, refId: stage.refId, name: stage.name, type: stage.type, status: stage.status } } : {}),
    ...(reminder !== undefined ? { reminder } : {}),
    subject,
    text,
    link,
  };
  let github: GithubCommitStatus | undefined;
  if (type === 'githubStatus') {
    const commit = commitOf(execution, preference);
    if (!commit) {
      return {
        delivery,
        problem: 'githubStatus needs a repository and commit: the trigger is not a GitHub git trigger (source github, project, slug, hash) and the notification sets no repo and commit',
      };
    }
    if (status !== 'starting' && status !== 'complete' && status !== 'failed') return { delivery, problem: `githubStatus has no commit state for '${name}'; use pipeline.* or stage.* events` };
    github = {
      ...commit,
      state: status === 'starting' ? 'pending' : status === 'complete' ? 'success' : 'failure',
      context: stage ? `stage/${stage.name}` : `pipeline/${execution.name}`,
      description: stage ? `Stage '${stage.name}' in pipeline '${execution.name}' is ${event.phase}` : `Pipeline '${execution.name}' is ${event.phase}`,
      targetUrl: link,
    };
  } else if (address === '' && type !== 'slack') {
    return { delivery, problem: `the ${type} notification has no address; set its 'address' (${ADDRESS_HINT[type]})` };
  }
  return {
    delivery,
    outbound: {
      type,
      address,
      ...(preference.cc !== undefined ? { cc: preference.cc } : {}),
      application,
      event: name,
      status,
      title,
      subject,
      text,
      link,
      ...(github ? { github } : {}),
      payload,
    },
  };
}

const ADDRESS_HINT: Readonly<Record<NotificationType, string>> = {
  slack: 'a channel, or an incoming webhook URL',
  microsoftteams: 'the channel webhook URL',
  webhook: 'the URL to POST to',
  email: 'an email address',
  sns: 'the topic ARN',
  githubStatus: 'unused',
};

function judgmentTitle(phase: 'manualJudgment' | 'manualJudgmentContinue' | 'manualJudgmentStop'): string {
  return phase === 'manualJudgment' ? 'awaiting judgment' : phase === 'manualJudgmentContinue' ? 'judged to continue' : 'judged to stop';
}

/** Echo's line: "Stage deploy for app's release pipeline has completed successfully". */
function summaryLine(execution: Execution, stage: StageRecord | undefined, phase: StagePhase): string {
  const owner = `${execution.application}'s ${execution.name} pipeline`;
  const who = typeof stage?.context.lastModifiedBy === 'string' ? ` by ${stage.context.lastModifiedBy}` : '';
  switch (phase) {
    case 'manualJudgment':
      return `Stage ${stage?.name} for ${owner} is awaiting manual judgment`;
    case 'manualJudgmentContinue':
      return `Stage ${stage?.name} for ${owner} was judged to continue${who}`;
    case 'manualJudgmentStop':
      return `Stage ${stage?.name} for ${owner} was judged to stop${who}`;
    default: {
      const verb = phase === 'starting' ? 'is starting' : phase === 'complete' ? 'has completed successfully' : `has ${phase}`;
      return `${stage ? `Stage ${stage.name} for ` : ''}${owner} ${verb}`;
    }
  }
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** The execution's page in the dashboard (the stage selected), else its document in the API. */
export function executionLink(execution: Execution, stage: StageRecord | undefined, links: NotificationLinks): string {
  if (links.dashboardUrl !== undefined) {
    return `${trimSlash(links.dashboardUrl)}/#/applications/${encodeURIComponent(execution.application)}/executions/details/${encodeURIComponent(execution.id)}${stage ? `?refId=${encodeURIComponent(stage.refId)}` : ''}`;
  }
  return `${trimSlash(links.apiUrl ?? '')}/pipelines/${encodeURIComponent(execution.id)}`;
}

/** Where to judge: the stage in the dashboard, else the API's judgment URL and the body it takes. */
export function judgeLink(execution: Execution, stage: StageRecord, links: NotificationLinks): string {
  if (links.dashboardUrl !== undefined) return executionLink(execution, stage, links);
  return `PATCH ${trimSlash(links.apiUrl ?? '')}/pipelines/${encodeURIComponent(execution.id)}/stages/${encodeURIComponent(stage.id)} with {"judgmentStatus": "continue"} or {"judgmentStatus": "stop"} (or: gennaker judge ${execution.id} ${stage.refId} continue)`;
}

/** Webhook URLs carry their secret in the path: only the origin is shown. */
function shownRecipient(preference: NotificationPreference): string {
  const address = preference.address;
  if (preference.type === 'githubStatus') return preference.repo ?? 'the triggering commit';
  if (address === undefined) return preference.type === 'slack' ? 'the default Slack webhook' : '(no address)';
  if (/^https?:\/\//i.test(address)) {
    try {
      return `${new URL(address).origin}/…`;
    } catch {
      return '(an invalid URL)';
    }
  }
  return address;
}

/** Echo's EventContent: the repository and commit, from the preference or the trigger. */
function commitOf(execution: Execution, preference: NotificationPreference): { repo: string; sha: string } | undefined {
  const trigger = execution.trigger as Record<string, unknown>;
  let repo = preference.repo;
  let sha = preference.commit;
  if (trigger.type === 'git' && trigger.source === 'github') {
    if (repo === undefined && typeof trigger.project === 'string' && typeof trigger.slug === 'string') repo = `${trigger.project}/${trigger.slug}`;
    if (sha === undefined && typeof trigger.hash === 'string') sha = trigger.hash;
  } else if (typeof trigger.buildInfo === 'object' && trigger.buildInfo !== null) {
    const buildInfo = trigger.buildInfo as Record<string, unknown>;
    if (repo === undefined && typeof buildInfo.name === 'string') repo = buildInfo.name;
    const scm = Array.isArray(buildInfo.scm) ? (buildInfo.scm[0] as Record<string, unknown> | undefined) : undefined;
    if (sha === undefined && typeof scm?.sha1 === 'string') sha = scm.sha1;
  }
  return repo !== undefined && sha !== undefined ? { repo, sha } : undefined;
}
