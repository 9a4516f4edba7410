/**
 * `webhook`: call a URL, optionally poll a status URL until the remote work is done (Orca's
 * WebhookStage). 2xx/3xx succeed, 4xx fail, 5xx/429 retry; fail-fast and retry status codes
 * override that. Spinnaker's runtime defaults (`failFastStatusCodes` [504]...) apply when absent.
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import type { StageBase, TaskStep } from '../model.ts';
import type { Expression } from '../fields.ts';
import { anyObject, anyText, flag, isTemplate, numberOrExpression, oneOf, optional, plainNumber, text, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error, warning } from './definition.ts';

export const WEBHOOK_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

export const STATUS_URL_RESOLUTIONS = ['getMethod', 'locationHeader', 'webhookResponse'] as const;
export type StatusUrlResolution = (typeof STATUS_URL_RESOLUTIONS)[number];

export interface WebhookConfig {
  readonly url: string;
  readonly method: WebhookMethod;
  readonly payload?: unknown;
  readonly customHeaders: Readonly<Record<string, unknown>>;
  readonly waitForCompletion: boolean;
  /** Where the status URL comes from: the same URL (GET), the Location header, or a JSONPath into the response. */
  readonly statusUrlResolution: StatusUrlResolution;
  readonly statusUrlJsonPath?: string;
  readonly statusJsonPath?: string;
  readonly progressJsonPath?: string;
  /** Comma-separated status values, as Deck writes them. */
  readonly successStatuses?: string;
  readonly canceledStatuses?: string;
  readonly terminalStatuses?: string;
  readonly failFastStatusCodes?: readonly number[];
  readonly retryStatusCodes?: readonly number[];
  /** Seconds to wait after the call before the first status check. */
  readonly waitBeforeMonitor?: number | Expression;
  readonly cancelEndpoint?: string;
  readonly cancelMethod?: WebhookMethod;
  readonly cancelPayload?: unknown;
  readonly signalCancellation: boolean;
}

export type WebhookStage = StageBase<'webhook', WebhookConfig>;

const statusCodes = z.array(plainNumber('an HTTP status code', { min: 100, max: 599, integer: true }), {
  error: (issue) => `expected a list of HTTP status codes, got ${showValue(issue.input)}`,
});

const schema: z.ZodType<WebhookConfig> = z.looseObject({
  url: text("the URL to call, e.g. 'https://ci.example.com/hooks/deploy'"),
  method: withDefault(oneOf(WEBHOOK_METHODS, 'the HTTP method'), 'POST'),
  payload: z.unknown().optional(),
  customHeaders: withDefault(anyObject('headers'), {}),
  waitForCompletion: withDefault(flag(), false),
  statusUrlResolution: withDefault(oneOf(STATUS_URL_RESOLUTIONS, 'how to find the status URL'), 'getMethod'),
  statusUrlJsonPath: optional(anyText('a JSONPath to the status URL in the response')),
  statusJsonPath: optional(anyText('a JSONPath to the status in the status response')),
  progressJsonPath: optional(anyText('a JSONPath to a progress message')),
  successStatuses: optional(anyText('comma-separated success statuses')),
  canceledStatuses: optional(anyText('comma-separated canceled statuses')),
  terminalStatuses: optional(anyText('comma-separated terminal statuses')),
  failFastStatusCodes: optional(statusCodes),
  retryStatusCodes: optional(statusCodes),
  waitBeforeMonitor: optional(numberOrExpression('a number of seconds', { min: 0 })),
  cancelEndpoint: optional(anyText('the URL to call on cancellation')),
  cancelMethod: optional(oneOf(WEBHOOK_METHODS, 'the HTTP method for cancellation')),
  cancelPayload: z.unknown().optional(),
  signalCancellation: withDefault(flag(), false),
});

function blank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

/**
 * Calls of the createWebhook step: the first, plus retries of 5xx/429 answers and network
 * errors as polls with backoff (2, 4, 8... s), as Orca's CreateWebhookTask retries.
 */
export const CREATE_WEBHOOK_MAX_POLLS = 8;

function plan(config: WebhookConfig): TaskStep[] {
  const steps: TaskStep[] = [{ name: 'createWebhook', kind: 'poll', maxPolls: CREATE_WEBHOOK_MAX_POLLS }];
  if (!config.waitForCompletion) return steps;
  const delay = config.waitBeforeMonitor;
  if (typeof delay === 'string') steps.push({ name: 'waitBeforeMonitor', kind: 'poll' });
  else if (delay !== undefined && delay > 0) steps.push({ name: 'waitBeforeMonitor', kind: 'poll', maxPolls: Math.ceil(delay / 30) + 1 });
  steps.push({ name: 'monitorWebhook', kind: 'poll' });
  return steps;
}

export const webhookStageType = defineStageType({
  type: 'webhook',
  description: 'Calls a URL and, with waitForCompletion, polls a status URL until the remote work ends.',
  schema,
  expressionFields: ['url', 'payload', 'customHeaders', 'cancelEndpoint', 'cancelPayload'],
  plan: (stage) => plan(stage.config),
  check: (config) => {
    const issues: ConfigIssue[] = [];
    if (!isTemplate(config.url) && !/^https?:\/\/\S+$/i.test(config.url.trim())) {
      issues.push(error(['url'], 'invalid-value', `expected an http(s) URL, got '${config.url}'; write it as 'https://host/path'`));
    }
    for (const [name, value] of Object.entries(config.customHeaders)) {
      const ok = typeof value === 'string' || typeof value === 'number' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
      if (!ok) issues.push(error(['customHeaders', name], 'wrong-type', `expected a header value (a string or a list of strings), got ${showValue(value)}`));
    }
    if (config.waitForCompletion) {
      if (blank(config.statusJsonPath)) {
        issues.push(error(['statusJsonPath'], 'required', "'statusJsonPath' is required when waitForCompletion is true; add a JSONPath to the status in the status response, e.g. '$.status'"));
      }
      if (config.statusUrlResolution === 'webhookResponse' && blank(config.statusUrlJsonPath)) {
        issues.push(error(['statusUrlJsonPath'], 'required', "'statusUrlJsonPath' is required when statusUrlResolution is webhookResponse; add a JSONPath to the status URL, e.g. '$.statusUrl'"));
      }
      if (blank(config.successStatuses)) {
        issues.push(warning(['successStatuses'], 'required', "no successStatuses: the stage can never succeed and waits until it times out; add e.g. 'SUCCESS'"));
      }
    }
    return issues;
  },
});
