/**
 * What `GET /notifications/metadata` answers (Gate's NotificationController, Echo's notification
 * type metadata as Deck reads it: `notificationType`, `parameters`, `uiType`): the notification
 * types this deployment can send as it is configured, each with the fields a preference of that
 * type takes. A type the settings leave out (email without a sender, GitHub statuses without a
 * token, SNS locally or without topics) is not listed, since a notification of it would only be
 * recorded FAILED.
 */
import type { NotificationType } from '../ports/notification-sender.ts';
import type { NotificationSettings } from './settings.ts';

/** One field of a notification preference (Deck's INotificationParameter, plus whether it is required). */
export interface NotificationParameter {
  readonly name: string;
  readonly label: string;
  readonly type: 'string' | 'number' | 'list' | 'object';
  readonly description: string;
  readonly defaultValue: string | null;
  readonly required: boolean;
}

/** A notification type this deployment sends, with its fields and the events it can be sent for. */
export interface NotificationTypeMetadata {
  readonly notificationType: NotificationType;
  /** Deck draws the fields itself for Spinnaker's own types. */
  readonly uiType: 'BASIC';
  readonly parameters: readonly NotificationParameter[];
  /** The `when` values it takes. */
  readonly events: readonly string[];
}

/** Where the notifier runs: it sends SNS on AWS only, and mail through SMTP locally, SES on AWS. */
export type NotifierRuntime = 'local' | 'aws';

const PIPELINE_EVENTS = ['pipeline.starting', 'pipeline.complete', 'pipeline.failed'];
const STAGE_EVENTS = ['stage.starting', 'stage.complete', 'stage.failed'];
const JUDGMENT_EVENTS = ['manualJudgment', 'manualJudgmentContinue', 'manualJudgmentStop'];
const ALL_EVENTS = [...PIPELINE_EVENTS, ...STAGE_EVENTS, ...JUDGMENT_EVENTS];

const field = (name: string, label: string, type: NotificationParameter['type'], description: string, required = false): NotificationParameter => ({
  name,
  label,
  type,
  description,
  defaultValue: null,
  required,
});

/** Fields every type takes. */
const COMMON: readonly NotificationParameter[] = [
  field('when', 'Events', 'list', `The events that send it: ${ALL_EVENTS.join(', ')}. A manual judgment's notification without it takes the three judgment events.`, true),
  field('message', 'Messages', 'object', 'Text added under the message, by event: {"pipeline.failed": {"text": "..."}}.'),
];

/** Types that can be sent for a waiting judgment can remind. */
const REMIND = field('notifyEveryMs', 'Remind every (ms)', 'number', "A manual judgment's notification only: while the judgment waits, its manualJudgment notification is sent again this often.");

const CUSTOM_MESSAGE = field('customMessage', 'Custom message', 'string', 'Replaces the message; {{link}} and {{executionId}} are filled in.');

/** The types `settings` let this deployment send, with their fields. */
export function notificationTypeMetadata(settings: NotificationSettings, runtime: NotifierRuntime): NotificationTypeMetadata[] {
  const types: NotificationTypeMetadata[] = [];
  const add = (notificationType: NotificationType, parameters: readonly NotificationParameter[], events: readonly string[] = ALL_EVENTS) =>
    types.push({ notificationType, uiType: 'BASIC', parameters: [...parameters, ...COMMON, ...(events.includes('manualJudgment') ? [REMIND] : [])], events });
  const channel = settings.slack?.webhookUrlSecret !== undefined;
  add('slack', [
    field('address', 'Channel', 'string', channel ? 'A channel (#deploys), sent through the default incoming webhook, or an incoming webhook URL.' : 'An incoming webhook URL (a channel name needs the default webhook of the settings, slack.webhookUrlSecret).', !channel),
    CUSTOM_MESSAGE,
  ]);
  add('microsoftteams', [field('address', 'Webhook URL', 'string', "The Teams channel's incoming webhook URL.", true), CUSTOM_MESSAGE]);
  add('webhook', [field('address', 'URL', 'string', 'The URL the event is POSTed to as JSON.', true), CUSTOM_MESSAGE]);
  const mail = runtime === 'aws' ? settings.email !== undefined : settings.email?.smtp !== undefined;
  if (mail) {
    add('email', [
      field('address', 'Email address', 'string', 'Who receives it.', true),
      field('cc', 'CC', 'string', 'Who receives a copy.'),
      field('customSubject', 'Custom subject', 'string', 'Replaces the subject.'),
      field('customBody', 'Custom body', 'string', 'Replaces the body; {{link}} and {{executionId}} are filled in.'),
    ]);
  }
  const topics = settings.sns?.topicArns ?? [];
  if (runtime === 'aws' && topics.length > 0) {
    add('sns', [field('address', 'Topic ARN', 'string', `The topic published to, one of ${topics.join(', ')}.`, true), CUSTOM_MESSAGE]);
  }
  if (settings.githubStatus !== undefined) {
    add(
      'githubStatus',
      [
        field('repo', 'Repository', 'string', 'owner/name; by default the repository of the GitHub git trigger.'),
        field('commit', 'Commit', 'string', 'The commit SHA; by default the commit of the GitHub git trigger.'),
      ],
      [...PIPELINE_EVENTS, ...STAGE_EVENTS],
    );
  }
  return types;
}
