/**
 * Where notifications go (Echo's notification services): one sender per notification type —
 * Slack, Microsoft Teams, a generic webhook, email, SNS, GitHub commit status. The core decides
 * what to send and renders it (core/notifications/); a sender only delivers, and answers a value:
 * delivered, or why not in one line with whether trying again may help. A sender never throws for
 * a refused or failed delivery.
 */

/** The notification types Gennaker delivers (the `type` of a notification preference). */
export const NOTIFICATION_TYPES = ['slack', 'microsoftteams', 'webhook', 'email', 'sns', 'githubStatus'] as const;

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** Echo's phases: what happened to the pipeline or stage, as the message and its colour say. */
export type NotificationStatus = 'starting' | 'complete' | 'failed' | 'skipped' | 'awaiting' | 'continue' | 'stop';

/** A commit status for `githubStatus` (Echo's GithubNotificationAgent). */
export interface GithubCommitStatus {
  /** `owner/name`. */
  readonly repo: string;
  readonly sha: string;
  readonly state: 'pending' | 'success' | 'failure' | 'error';
  /** `pipeline/<name>` or `stage/<name>`. */
  readonly context: string;
  readonly description: string;
  readonly targetUrl: string;
}

/** One rendered notification for one recipient. */
export interface OutboundNotification {
  readonly type: NotificationType;
  /**
   * Who receives it: a Slack channel or incoming-webhook URL, a Teams or webhook URL, an email
   * address, an SNS topic ARN; for `githubStatus`, unused (the repository comes from `github`).
   */
  readonly address: string;
  /** Email only: a copy to. */
  readonly cc?: string;
  readonly application: string;
  /** The event, as a `when` value: `pipeline.complete`, `stage.failed`, `manualJudgment`... */
  readonly event: string;
  readonly status: NotificationStatus;
  /** A short title (Echo's "Pipeline complete for APP"), for chat cards. */
  readonly title: string;
  /** The summary line, an email's subject. */
  readonly subject: string;
  /** The message as plain text (links written out). */
  readonly text: string;
  /** Where a person looks at the execution (the dashboard, or the API). */
  readonly link: string;
  /** For `githubStatus`. */
  readonly github?: GithubCommitStatus;
  /** The event as JSON for machines (the webhook's body, the SNS message). */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** What one attempt came to. `reason` is one line, never a secret (no webhook URL, no token). */
export type SendOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retryable: boolean };

/** Delivers notifications of one type. */
export interface NotificationSender {
  send(notification: OutboundNotification): Promise<SendOutcome>;
}

/** The senders a deployment has, by type; a type without one is recorded as not configured. */
export type NotificationSenders = Readonly<Partial<Record<NotificationType, NotificationSender>>>;
