/**
 * Stack props from CDK context, so a deployment is configured with `-c key=value` or in
 * cdk.json's "context" without editing code. Values from the command line arrive as strings,
 * values from cdk.json as JSON; both are accepted. A bad value fails synthesis with one line
 * naming the key, the value and the fix.
 */
import * as logs from 'aws-cdk-lib/aws-logs';
import { parseNotificationSettings } from '../core/notifications/settings.ts';
import type { GennakerStackProps } from './stack.ts';

/** Reads one context value (undefined when not set). */
export type ContextReader = (key: string) => unknown;

/** The context keys Gennaker reads, with what each sets. */
export const CONTEXT_KEYS = {
  stackName: 'the CloudFormation stack name (default Gennaker)',
  prefix: 'stateMachineNamePrefix (default gennaker)',
  logRetentionDays: 'logRetention in days (default 30)',
  deletionProtection: 'deletionProtection, true or false (default true)',
  tableKmsKeyArn: 'tableEncryptionKeyArn, a KMS key ARN (default: AWS managed key)',
  webhookAllowlist: 'webhookAllowlist, comma-separated URL patterns (default none)',
  webhookSecretsParameterPath: 'webhookSecretsParameterPath, an SSM path (default none)',
  secretsKmsKeyArn: 'secretsKeyArn, the KMS key that seals secret values (default: a key the stack creates, rotated yearly)',
  preconfiguredWebhooks: 'preconfiguredWebhooks, JSON [{"type", "label", "url", "method"?, "customHeaders"?, "parameters"?, ...}]: webhooks pipeline stages may name by type (default none)',
  secretsPrefix: "secretsPrefix, the Secrets Manager name prefix #secret('name') reads (default gennaker/)",
  accounts: 'accounts, JSON {"name": "arn:aws:iam::<account>:role/<name>"} or {"name": {"assumeRole", "externalId"?, "regions"?, "cloudProvider"?: "aws" | "ecs", "readRole"?, "weightedTraffic"?, "executionRoleArn"?}} or an EKS cluster {"name": {"cloudProvider": "kubernetes", "assumeRole", "eks", "kubeconfig", "namespaces"?, "readRole"?}} (default {})',
  artifactAccounts: 'artifactAccounts, JSON [{"name", "type": "s3", "buckets": [...], "region"?, "assumeRole"?, "externalId"?}]: accounts reading s3/object artifacts; the stage runner may read those buckets (default none)',
  notifications: 'notifications, JSON {"dashboardUrl"?, "email"?: {"from"}, "sns"?: {"topicArns": [...]}, "slack"?: {"webhookUrlSecret"}, "githubStatus"?: {"tokenSecret"}} (default none)',
  apiRateLimit: 'apiThrottling.rateLimit (default 50)',
  apiBurstLimit: 'apiThrottling.burstLimit (default 100)',
  apiCloudWatchRole: "apiCloudWatchRole, true or false: create API Gateway's account-wide logging role (default true)",
  pubsubSubscriptions: 'pubsubSubscriptions, JSON {"<subscription name>": "arn:aws:sns:<region>:<account>:<topic>"}: an SQS queue per subscription on that topic, feeding pubsub triggers (default {})',
} as const;

const RETENTION_DAYS = new Set<number>(Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number'));

function text(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  throw new Error(`context '${key}' is ${JSON.stringify(value)}, expected a string: set it with -c ${key}=<value>`);
}

function bool(key: string, value: unknown): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context '${key}' is ${JSON.stringify(value)}, expected true or false: -c ${key}=false`);
}

function positiveNumber(key: string, value: unknown): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number <= 0) {
    throw new Error(`context '${key}' is ${JSON.stringify(value)}, expected a positive number: -c ${key}=50`);
  }
  return number;
}

function kmsKeyArn(key: string, value: unknown): string {
  const arn = text(key, value);
  if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(arn)) {
    throw new Error(`context '${key}' is '${arn}', not a KMS key ARN: use arn:aws:kms:<region>:<account>:key/<key id>`);
  }
  return arn;
}

function retention(value: unknown): logs.RetentionDays {
  const days = positiveNumber('logRetentionDays', value);
  if (!RETENTION_DAYS.has(days)) {
    throw new Error(`context 'logRetentionDays' is ${JSON.stringify(value)}, which CloudWatch Logs does not offer: use one of ${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')}`);
  }
  return days as logs.RetentionDays;
}

/** A list given as JSON text (the command line) or as a list (cdk.json); its entries are checked by the stack. */
function jsonList(key: string, value: unknown, example: string, shape: string): unknown[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch (error) {
      throw new Error(`context '${key}' is not JSON (${(error as Error).message}): give a list, e.g. -c '${key}=${example}'`);
    }
  }
  if (!Array.isArray(list)) throw new Error(`context '${key}' is ${JSON.stringify(list)}, not a list: give ${shape}`);
  return list;
}

/**
 * The account map as given (a JSON text on the command line, an object in cdk.json); its
 * accounts are checked by the stack (validateGennakerStackProps), with the parser the functions use.
 */
function accounts(value: unknown): NonNullable<GennakerStackProps['accounts']> {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`context 'accounts' is not JSON: use -c 'accounts={"prod":"arn:aws:iam::123456789012:role/gennaker-deploy"}'`);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`context 'accounts' is ${JSON.stringify(parsed)}, expected an object of account name to role ARN: {"prod":"arn:aws:iam::123456789012:role/gennaker-deploy"}`);
  }
  return parsed as NonNullable<GennakerStackProps['accounts']>;
}

/** The notification settings as given (JSON on the command line, an object in cdk.json), checked. */
function notifications(value: unknown): NonNullable<GennakerStackProps['notifications']> {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`context 'notifications' is not JSON: use -c 'notifications={"email":{"from":"gennaker@example.com"}}'`);
    }
  }
  const checked = parseNotificationSettings(parsed, "context 'notifications'");
  if (!checked.ok) throw new Error(checked.message.split('\n')[0]);
  return checked.settings;
}

/** The stack name and props the context asks for. */
export function stackPropsFromContext(read: ContextReader): { readonly stackName: string; readonly props: GennakerStackProps } {
  const given = (key: keyof typeof CONTEXT_KEYS): unknown => read(key);
  const stackName = given('stackName') === undefined ? 'Gennaker' : text('stackName', given('stackName'));
  const props: { -readonly [K in keyof GennakerStackProps]: GennakerStackProps[K] } = {};
  if (given('prefix') !== undefined) props.stateMachineNamePrefix = text('prefix', given('prefix'));
  if (given('logRetentionDays') !== undefined) props.logRetention = retention(given('logRetentionDays'));
  if (given('deletionProtection') !== undefined) props.deletionProtection = bool('deletionProtection', given('deletionProtection'));
  if (given('tableKmsKeyArn') !== undefined) props.tableEncryptionKeyArn = kmsKeyArn('tableKmsKeyArn', given('tableKmsKeyArn'));
  if (given('secretsKmsKeyArn') !== undefined) props.secretsKeyArn = kmsKeyArn('secretsKmsKeyArn', given('secretsKmsKeyArn'));
  if (given('secretsPrefix') !== undefined) props.secretsPrefix = text('secretsPrefix', given('secretsPrefix'));
  const allowlist = given('webhookAllowlist');
  if (allowlist !== undefined) {
    const entries = Array.isArray(allowlist) ? allowlist.map((entry) => text('webhookAllowlist', entry)) : text('webhookAllowlist', allowlist).split(',');
    props.webhookAllowlist = entries.map((entry) => entry.trim()).filter((entry) => entry !== '');
  }
  if (given('webhookSecretsParameterPath') !== undefined) props.webhookSecretsParameterPath = text('webhookSecretsParameterPath', given('webhookSecretsParameterPath'));
  if (given('accounts') !== undefined) props.accounts = accounts(given('accounts'));
  const webhooks = given('preconfiguredWebhooks');
  if (webhooks !== undefined) props.preconfiguredWebhooks = jsonList('preconfiguredWebhooks', webhooks, '[{"type":"deployHook","label":"Deploy hook","url":"https://deploy.example.com/hook"}]', '[{"type", "label", "url", ...}]');
  const subscriptions = given('pubsubSubscriptions');
  if (subscriptions !== undefined) {
    let parsed: unknown = subscriptions;
    if (typeof subscriptions === 'string') {
      try {
        parsed = JSON.parse(subscriptions);
      } catch {
        throw new Error(`context 'pubsubSubscriptions' is not JSON: use -c 'pubsubSubscriptions={"builds":"arn:aws:sns:us-east-1:123456789012:build-events"}'`);
      }
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`context 'pubsubSubscriptions' is ${JSON.stringify(parsed)}, expected an object of subscription name to SNS topic ARN: {"builds":"arn:aws:sns:us-east-1:123456789012:build-events"}`);
    }
    props.pubsubSubscriptions = parsed as Record<string, string>;
  }
  if (given('notifications') !== undefined) props.notifications = notifications(given('notifications'));
  const artifactAccounts = given('artifactAccounts');
  if (artifactAccounts !== undefined) props.artifactAccounts = jsonList('artifactAccounts', artifactAccounts, '[{"name":"s3","type":"s3","buckets":["acme-builds"]}]', '[{"name", "type": "s3", "buckets": [...]}]');
  if (given('apiCloudWatchRole') !== undefined) props.apiCloudWatchRole = bool('apiCloudWatchRole', given('apiCloudWatchRole'));
  const rateLimit = given('apiRateLimit');
  const burstLimit = given('apiBurstLimit');
  if (rateLimit !== undefined || burstLimit !== undefined) {
    props.apiThrottling = {
      ...(rateLimit !== undefined ? { rateLimit: positiveNumber('apiRateLimit', rateLimit) } : {}),
      ...(burstLimit !== undefined ? { burstLimit: positiveNumber('apiBurstLimit', burstLimit) } : {}),
    };
  }
  return { stackName, props };
}
