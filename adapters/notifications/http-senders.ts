/**
 * The notification senders that speak HTTP — Slack incoming webhooks, Microsoft Teams webhooks,
 * a generic webhook, GitHub commit statuses — all through the outbound HttpClient, so the URL
 * allowlist that binds webhook stages binds notifications too. Bodies follow Echo's: Slack's
 * attachment (SlackAttachment), Teams' MessageCard (MicrosoftTeamsMessage), GitHub's status
 * (GithubStatus). A reason never repeats a webhook URL (its path is the secret) or a token.
 */
import type { HttpClient, HttpResult } from '../../core/ports/http-client.ts';
import type { NotificationSender, OutboundNotification, SendOutcome } from '../../core/ports/notification-sender.ts';
import type { SecretSource } from './secret-source.ts';

/** Echo's Slack colours by status. */
const SLACK_COLOURS: Readonly<Record<string, string>> = { failed: '#B82525', stop: '#B82525', starting: '#2275B8', awaiting: '#2275B8', complete: '#769D3E', continue: '#769D3E' };

/** Teams' theme colours (MicrosoftTeamsMessage.getThemeColor). */
const TEAMS_COLOURS: Readonly<Record<string, string>> = { failed: 'EB1A1A', stop: 'EB1A1A', complete: '73DB69', continue: '73DB69' };

const isUrl = (text: string) => /^https?:\/\//i.test(text);

/** One POST of JSON; the answer as a send outcome. */
async function postJson(http: HttpClient, url: string, body: unknown, what: string, headers: Readonly<Record<string, string>> = {}): Promise<SendOutcome> {
  const result = await http.send({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), timeoutMs: 10_000 });
  return outcomeOf(result, what);
}

/** 2xx is delivered; 429 and 5xx may pass; anything else will not. */
export function outcomeOf(result: HttpResult, what: string): SendOutcome {
  if (!result.ok) {
    const retryable = result.failure.kind === 'network' || result.failure.kind === 'timeout';
    return { ok: false, reason: `${what}: ${result.failure.message}`, retryable };
  }
  const { status, body } = result.response;
  if (status >= 200 && status < 300) return { ok: true };
  const said = body.replace(/\s+/g, ' ').trim().slice(0, 120);
  return { ok: false, reason: `${what} answered ${status}${said ? ` ${said}` : ''}`, retryable: status === 429 || status >= 500 };
}

export interface SlackSenderOptions {
  readonly http: HttpClient;
  /**
   * The incoming webhook for preferences whose address is a channel (`#deploys`): Echo's
   * `slack.token` with `useIncomingWebhook`. @default none: such preferences fail, saying so
   */
  readonly defaultWebhookUrl?: SecretSource;
}

/** Slack: the address is an incoming webhook URL, or a channel posted through the default webhook. */
export function createSlackSender(options: SlackSenderOptions): NotificationSender {
  return {
    async send(notification) {
      const address = notification.address;
      let url = address;
      const body: Record<string, unknown> = {
        attachments: [
          {
            title: notification.title,
            text: notification.text,
            fallback: notification.text,
            color: SLACK_COLOURS[notification.status] ?? '#CCCCCC',
            footer: 'Gennaker',
            mrkdwn_in: ['text'],
          },
        ],
      };
      if (!isUrl(address)) {
        if (!options.defaultWebhookUrl) {
          return { ok: false, reason: `the Slack notification names channel '${address || '(none)'}' but no default Slack webhook is configured; set slack.webhookUrlSecret, or make the address an incoming webhook URL`, retryable: false };
        }
        const secret = await options.defaultWebhookUrl(notification.application);
        if (!secret.ok) return { ok: false, reason: secret.message, retryable: false };
        url = secret.value;
        if (address !== '') body.channel = address;
      }
      return postJson(options.http, url, body, 'the Slack webhook');
    },
  };
}

/** Microsoft Teams: a MessageCard to the channel's webhook (the address). */
export function createTeamsSender(options: { readonly http: HttpClient }): NotificationSender {
  return {
    async send(notification) {
      const card = {
        '@context': 'http://schema.org/extensions',
        '@type': 'MessageCard',
        summary: notification.subject,
        title: 'Gennaker Notification',
        themeColor: TEAMS_COLOURS[notification.status] ?? '0076D7',
        sections: [
          {
            activityTitle: notification.title,
            text: notification.text,
            facts: [
              { name: 'Application Name', value: notification.application },
              { name: 'Event', value: notification.event },
            ],
            potentialAction: [{ '@type': 'OpenUri', name: 'View Execution', targets: [{ os: 'default', uri: notification.link }] }],
          },
        ],
      };
      return postJson(options.http, notification.address, card, 'the Teams webhook');
    },
  };
}

/** A generic webhook: the event as JSON, POSTed to the address. */
export function createWebhookSender(options: { readonly http: HttpClient }): NotificationSender {
  return {
    async send(notification) {
      return postJson(options.http, notification.address, notification.payload, `the webhook ${originOf(notification.address)}`);
    },
  };
}

export interface GithubStatusSenderOptions {
  readonly http: HttpClient;
  /** A token that may write commit statuses of the repositories (`repo:status`). */
  readonly token: SecretSource;
  /** @default https://api.github.com (GitHub Enterprise: https://<host>/api/v3) */
  readonly baseUrl?: string;
}

/** GitHub commit statuses (Echo's GithubNotificationAgent): POST /repos/{repo}/statuses/{sha}. */
export function createGithubStatusSender(options: GithubStatusSenderOptions): NotificationSender {
  const base = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  return {
    async send(notification: OutboundNotification) {
      const status = notification.github;
      if (!status) return { ok: false, reason: 'the githubStatus notification has no repository and commit', retryable: false };
      const token = await options.token(notification.application);
      if (!token.ok) return { ok: false, reason: token.message, retryable: false };
      const repo = status.repo.split('/').map(encodeURIComponent).join('/');
      return postJson(
        options.http,
        `${base}/repos/${repo}/statuses/${encodeURIComponent(status.sha)}`,
        { state: status.state, target_url: status.targetUrl, description: status.description.slice(0, 140), context: status.context },
        `GitHub (status of ${status.repo}@${status.sha.slice(0, 7)})`,
        { authorization: `token ${token.value}`, accept: 'application/vnd.github+json', 'user-agent': 'gennaker' },
      );
    },
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(an invalid URL)';
  }
}
