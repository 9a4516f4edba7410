/**
 * The notifier Lambda: EventBridge delivers Gennaker's own events here (`Pipeline Execution
 * Started|Completed`, `Stage Execution Changed`), and a schedule every minute that runs the
 * reminder sweep of waiting manual judgments; the core notifier sends what they call for
 * (core/notifications/notifier.ts): Slack, Teams, webhooks and GitHub statuses through the
 * allowlisted HTTP client, email through SES v2, SNS topics. Thin: parse the event, hand it over.
 * A store fault throws, so EventBridge delivers the event again; the deliveries already SENT are
 * not sent twice.
 *
 * Environment (read once per cold start; a malformed value fails the cold start with its name):
 * - `TABLE_NAME`: the state table.
 * - `WEBHOOK_ALLOWLIST`: URL patterns HTTP notifications may call (as the stage runner's).
 * - `NOTIFICATION_SETTINGS`: the CDK context `notifications` as JSON (core/notifications/settings.ts);
 *   `email.from` is the SES identity mail is sent from. @default none
 * - `SECRETS_PREFIX`: where named secrets (the Slack default webhook, the GitHub token) live in
 *   Secrets Manager. @default 'gennaker/'
 * - `API_URL`: the API's URL, for links when no `dashboardUrl` is set.
 * - `REMINDER_RULE_NAME`: the scheduled rule that runs the reminder sweep, enabled when a judgment
 *   with reminders begins waiting and disabled by the sweep once none waits. @default none
 */
import { z } from 'zod';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeReminderRule } from '../../adapters/eventbridge/reminder-rule.ts';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { createDynamoDbJudgmentWatchStore } from '../../adapters/dynamodb/judgment-watches.ts';
import { createFetchHttpClient } from '../../adapters/http/fetch-http-client.ts';
import { createSesEmailSender, createSnsSender } from '../../adapters/notifications/aws-senders.ts';
import { createHttpNotificationSenders } from '../../adapters/notifications/senders.ts';
import { createNotifier, type Notifier, type NotifyReport } from '../../core/notifications/notifier.ts';
import { parseNotificationSettingsText, type NotificationSettings } from '../../core/notifications/settings.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { GennakerEvent } from '../../core/ports/event-bus.ts';
import type { SecretStore } from '../../core/ports/secret-store.ts';
import { EXECUTION_STATUSES } from '../../core/execution/status.ts';

/** A log line for CloudWatch Logs (JSON), as the other functions write them. */
type Log = (entry: { readonly level: 'warn' | 'info'; readonly message: string }) => void;
const consoleLog: Log = (entry) => console.log(JSON.stringify(entry));

/** Secrets Manager under `prefix`, its client loaded at the first read (most notifications need no secret). */
function lazySecretStore(prefix: string): SecretStore {
  let loading: Promise<SecretStore> | undefined;
  const store = (): Promise<SecretStore> =>
    (loading ??= import('../secret-adapters.ts').then((module) => module.secretsManagerSecretStore(prefix)).catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  return { read: async (name, application) => (await store()).read(name, application) };
}

const status = z.enum(EXECUTION_STATUSES);
const common = { executionId: z.string().min(1), application: z.string(), pipelineConfigId: z.string(), pipelineName: z.string() };

/** Gennaker's events as EventBridge delivers them (`detail` is the event). */
export const notifierEventSchema = z.object({
  source: z.literal('gennaker'),
  'detail-type': z.string(),
  detail: z.discriminatedUnion('type', [
    z.object({ type: z.literal('Pipeline Execution Started'), ...common, startTime: z.number() }),
    z.object({ type: z.literal('Pipeline Execution Completed'), ...common, status, endTime: z.number() }),
    z.object({
      type: z.literal('Stage Execution Changed'),
      ...common,
      stageId: z.string().min(1),
      stageRefId: z.string(),
      stageName: z.string(),
      phase: z.enum(['starting', 'complete', 'failed', 'skipped', 'manualJudgment', 'manualJudgmentContinue', 'manualJudgmentStop']),
      status,
      time: z.number(),
    }),
  ]),
});

/** The event an EventBridge delivery carries, or why it is not one of Gennaker's. */
export function parseNotifierEvent(event: unknown): GennakerEvent | { readonly ignored: string } {
  const parsed = notifierEventSchema.safeParse(event);
  if (!parsed.success) return { ignored: `not a Gennaker event: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}` };
  return parsed.data.detail as GennakerEvent;
}

export type NotifierResult = ({ readonly handled: true } & NotifyReport) | { readonly handled: false; readonly reason: string };

/** EventBridge's event of a scheduled rule: the stack's only one for the notifier is the judgment reminder sweep. */
function isScheduledEvent(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const record = event as Record<string, unknown>;
  return record.source === 'aws.events' && record['detail-type'] === 'Scheduled Event';
}

/** The handler around a notifier (tests pass one wired to dynalite and the simulators). */
export function createNotifierHandler(notifier: Notifier, log: Log = consoleLog): (event: unknown) => Promise<NotifierResult> {
  const logged = (report: NotifyReport): NotifierResult => {
    for (const delivery of report.deliveries) {
      if (delivery.status === 'FAILED') log({ level: 'warn', message: `notification ${delivery.key} of execution ${delivery.executionId} failed: ${delivery.reason}` });
    }
    return { handled: true, ...report };
  };
  return async (event) => {
    if (isScheduledEvent(event)) return logged(await notifier.remindJudgments());
    const parsed = parseNotifierEvent(event);
    if ('ignored' in parsed) return { handled: false, reason: parsed.ignored };
    return logged(await notifier.handle(parsed));
  };
}

export interface NotifierEnvironment {
  readonly tableName: string;
  /** The scheduled rule of the reminder sweep, enabled while a judgment with reminders waits. */
  readonly reminderRuleName?: string;
  readonly webhookAllowlist: readonly string[];
  readonly settings: NotificationSettings;
  readonly secretsPrefix: string;
  readonly apiUrl?: string;
}

/** Reads the environment, naming what is missing or malformed. */
export function readNotifierEnvironment(env: Readonly<Record<string, string | undefined>>): NotifierEnvironment {
  const tableName = env.TABLE_NAME?.trim();
  if (!tableName) throw new Error('TABLE_NAME is not set: it must hold the name of the state table');
  const parsed = parseNotificationSettingsText(env.NOTIFICATION_SETTINGS, 'NOTIFICATION_SETTINGS');
  if (!parsed.ok) throw new Error(parsed.message);
  const { settings } = parsed;
  return {
    tableName,
    ...(env.REMINDER_RULE_NAME?.trim() ? { reminderRuleName: env.REMINDER_RULE_NAME.trim() } : {}),
    webhookAllowlist: (env.WEBHOOK_ALLOWLIST ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''),
    settings,
    secretsPrefix: env.SECRETS_PREFIX?.trim() || 'gennaker/',
    ...(env.API_URL?.trim() ? { apiUrl: env.API_URL.trim().replace(/\/+$/, '') } : {}),
  };
}

export interface NotifierClients {
  readonly dynamodb: DynamoDBClient;
  readonly ses: Pick<SESv2Client, 'send'>;
  readonly sns: Pick<SNSClient, 'send'>;
  /** Enables and disables the reminder rule. */
  readonly events: Pick<EventBridgeClient, 'send'>;
  /** @default Secrets Manager under SECRETS_PREFIX, loaded at the first read */
  readonly secrets?: SecretStore;
}

/** The notifier of an environment and its clients. */
export function createCloudNotifier(env: NotifierEnvironment, clients: NotifierClients, options: { readonly clock?: Clock; readonly sleep?: (ms: number) => Promise<void> } = {}): Notifier {
  const clock = options.clock ?? { now: () => Date.now() };
  const tables = { client: clients.dynamodb, tableName: env.tableName, clock };
  const store = { ...createDynamoDbExecutionStore(tables), ...createDynamoDbJudgmentWatchStore(tables) };
  const http = createFetchHttpClient({ allowlist: env.webhookAllowlist });
  const secrets = clients.secrets ?? lazySecretStore(env.secretsPrefix);
  const { settings } = env;
  return createNotifier({
    store,
    clock,
    senders: {
      ...createHttpNotificationSenders(settings, { http, secrets }),
      // On AWS, mail goes through SES from the verified identity `email.from`.
      ...(settings.email ? { email: createSesEmailSender({ client: clients.ses, from: settings.email.from, ...(settings.email.configurationSetName !== undefined ? { configurationSetName: settings.email.configurationSetName } : {}) }) } : {}),
      sns: createSnsSender({ client: clients.sns }),
    },
    links: { ...(settings.dashboardUrl !== undefined ? { dashboardUrl: settings.dashboardUrl } : {}), ...((settings.apiUrl ?? env.apiUrl) !== undefined ? { apiUrl: (settings.apiUrl ?? env.apiUrl)! } : {}) },
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(env.reminderRuleName !== undefined ? { reminderSchedule: createEventBridgeReminderRule({ client: clients.events, ruleName: env.reminderRuleName }) } : {}),
  });
}

let handle: ((event: unknown) => Promise<NotifierResult>) | undefined;

export async function handler(event: unknown): Promise<NotifierResult> {
  handle ??= createNotifierHandler(createCloudNotifier(readNotifierEnvironment(process.env), { dynamodb: new DynamoDBClient({}), ses: new SESv2Client({}), sns: new SNSClient({}), events: new EventBridgeClient({}) }));
  return handle(event);
}
