/**
 * The notification senders a deployment builds from its settings (core/notifications/settings.ts).
 */
import type { HttpClient } from '../../core/ports/http-client.ts';
import type { NotificationSender, NotificationSenders } from '../../core/ports/notification-sender.ts';
import type { SecretStore } from '../../core/ports/secret-store.ts';
import type { NotificationSettings } from '../../core/notifications/settings.ts';
import { createGithubStatusSender, createSlackSender, createTeamsSender, createWebhookSender } from './http-senders.ts';
import { namedSecret } from './secret-source.ts';

/**
 * The senders that need only HTTP and the settings: Slack, Teams, webhook, and GitHub statuses
 * when a token is configured. (Email is SMTP's locally, smtp-email-sender.ts, and SES's on AWS.)
 */
export function createHttpNotificationSenders(settings: NotificationSettings, deps: { readonly http: HttpClient; readonly secrets?: SecretStore }): NotificationSenders {
  const senders: Partial<Record<keyof NotificationSenders, NotificationSender>> = {
    slack: createSlackSender({
      http: deps.http,
      ...(settings.slack?.webhookUrlSecret !== undefined ? { defaultWebhookUrl: namedSecret(deps.secrets, settings.slack.webhookUrlSecret, 'the default Slack webhook') } : {}),
    }),
    microsoftteams: createTeamsSender({ http: deps.http }),
    webhook: createWebhookSender({ http: deps.http }),
  };
  if (settings.githubStatus) {
    senders.githubStatus = createGithubStatusSender({
      http: deps.http,
      token: namedSecret(deps.secrets, settings.githubStatus.tokenSecret, 'the GitHub token'),
      ...(settings.githubStatus.baseUrl !== undefined ? { baseUrl: settings.githubStatus.baseUrl } : {}),
    });
  }
  return senders;
}
