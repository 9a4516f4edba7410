/**
 * Notification settings of a deployment (Echo's `slack.*`, `mail.*`, `github-status.*`,
 * `spinnaker.base-url`): where links point, the default Slack webhook, the mail sender, the GitHub
 * token. Credentials are named secrets, read when a notification is sent and never stored with an
 * execution. Locally they are `<state dir>/notifications.json`; on AWS the CDK context
 * `notifications` (the notifier's NOTIFICATION_SETTINGS). Pure: checked where they are read.
 *
 *     {
 *       "dashboardUrl": "https://spinnaker.example.com",
 *       "slack": { "webhookUrlSecret": "slack-webhook" },
 *       "email": { "from": "gennaker@example.com", "smtp": { "host": "127.0.0.1", "port": 2525 } },
 *       "githubStatus": { "tokenSecret": "github-token" }
 *     }
 */
import { z } from 'zod';

const url = (what: string) =>
  z.string({ error: `expected ${what} (an http(s) URL)` }).refine((value) => /^https?:\/\/[^\s/]+/i.test(value), { error: (issue) => `expected ${what} (an http(s) URL), got ${JSON.stringify(issue.input)}` });
const secretName = z.string({ error: 'expected the name of a secret (gennaker secret set NAME)' }).regex(/^[A-Za-z0-9._-]{1,128}$/, { error: 'expected a secret name: letters, digits, ., _ or -' });

const settingsSchema = z.strictObject({
  dashboardUrl: url("the dashboard's base URL").optional(),
  apiUrl: url("the API's base URL").optional(),
  slack: z.strictObject({ webhookUrlSecret: secretName.optional() }).optional(),
  email: z
    .strictObject({
      from: z.string({ error: 'expected the From address' }).regex(/^[^@\s]+@[^@\s]+$/, { error: (issue) => `expected an email address, got ${JSON.stringify(issue.input)}` }),
      smtp: z
        .strictObject({
          host: z.string({ error: 'expected the SMTP host' }).min(1),
          port: z.number({ error: (issue) => `expected a port number 1-65535, got ${JSON.stringify(issue.input)}` }).int().min(1).max(65535).optional(),
          secure: z.boolean({ error: 'expected true or false' }).optional(),
          user: z.string().optional(),
          passwordSecret: secretName.optional(),
        })
        .optional(),
      configurationSetName: z.string().optional(),
    })
    .optional(),
  githubStatus: z.strictObject({ tokenSecret: secretName, baseUrl: url("GitHub's API URL").optional() }).optional(),
  /** AWS: the topics `sns` notifications may publish to (the notifier's permission names them). */
  sns: z
    .strictObject({
      topicArns: z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, { error: (issue) => `expected an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got ${JSON.stringify(issue.input)}` })),
    })
    .optional(),
});

export type NotificationSettings = z.output<typeof settingsSchema>;

/** The settings, or one line per problem naming the field. */
export function parseNotificationSettings(value: unknown, source: string): { ok: true; settings: NotificationSettings } | { ok: false; message: string } {
  const parsed = settingsSchema.safeParse(value);
  if (parsed.success) return { ok: true, settings: parsed.data };
  return {
    ok: false,
    message: parsed.error.issues
      .map((issue) => `${source}: ${issue.path.length > 0 ? issue.path.join('.') : '(the document)'}: ${issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((key) => `'${key}'`).join(', ')}; the fields are dashboardUrl, apiUrl, slack, email, githubStatus, sns` : issue.message}`)
      .join('\n'),
  };
}


/** The settings held as JSON text (the notifier's and the API's NOTIFICATION_SETTINGS); none when the text is empty. */
export function parseNotificationSettingsText(text: string | undefined, source: string): { ok: true; settings: NotificationSettings } | { ok: false; message: string } {
  if (text === undefined || text.trim() === '') return { ok: true, settings: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${source} is not JSON (${(error as Error).message}); it holds the CDK context 'notifications'` };
  }
  return parseNotificationSettings(value, source);
}
