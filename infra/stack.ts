/**
 * Gennaker's control plane on AWS, in one stack (DESIGN.md §10): the state table, the five
 * functions, the REST API, the EventBridge bus and rules, the Scheduler group for cron
 * triggers, and the roles pipelines and schedules run under. Nothing runs while idle.
 *
 * The stack is environment-agnostic (no account or region, no lookups): `cdk synth` needs no
 * credentials, and the same template deploys anywhere.
 */
import { parseNotificationSettings, type NotificationSettings } from '../core/notifications/settings.ts';
import { parsePreconfiguredWebhooks } from '../core/pipeline/preconfigured-webhooks.ts';
import { parseAccountRoleMap, type AccountRoleConfig, type KubernetesAccountRoleConfig } from '../core/accounts/accounts-file.ts';
import type { Account } from '../core/ports/accounts.ts';
import { parseArtifactAccounts, type S3ArtifactAccountConfig } from '../core/accounts/artifact-accounts-file.ts';
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { STATE_TABLE } from '../adapters/dynamodb/tables.ts';
import { Api, type ApiThrottling } from './constructs/api.ts';
import { DeadLetterQueue } from './constructs/dead-letter-queue.ts';
import { Events, judgmentReminderRuleName } from './constructs/events.ts';
import { PubsubSubscriptions, SUBSCRIPTION_NAME, TOPIC_ARN } from './constructs/pubsub-subscriptions.ts';
import { FUNCTION_SPECS, functionArnOf, functionNameOf, GennakerFunctions } from './constructs/functions.ts';
import { StateMachineRole } from './constructs/state-machine-role.ts';
import { StateTable } from './constructs/state-table.ts';
import { TriggerScheduler } from './constructs/trigger-scheduler.ts';
import { suppressJustifiedFindings } from './nag.ts';
import { grantControlPlanePermissions } from './permissions.ts';

export interface GennakerStackProps extends StackProps {
  /**
   * This deployment's name prefix: state machines are `${prefix}-<pipelineConfigId>`, functions
   * `${prefix}-api` etc., the event bus and the schedule group are `${prefix}`. Two deployments
   * in one account and region need two prefixes. Letters, digits and hyphens, 1-24 characters,
   * starting with a letter.
   * @default 'gennaker'
   */
  readonly stateMachineNamePrefix?: string;
  /**
   * How long every log group (functions, API access logs) keeps its logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Protect the state table from deletion; while on, `cdk destroy` retains it.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * A customer managed KMS key for the state table.
   * @default - the AWS managed key for DynamoDB
   */
  readonly tableEncryptionKey?: kms.IKey;
  /**
   * The ARN of a customer managed KMS key for the state table (what `-c tableKmsKeyArn=` sets);
   * ignored when `tableEncryptionKey` is given.
   * @default - the AWS managed key for DynamoDB
   */
  readonly tableEncryptionKeyArn?: string;
  /**
   * URL patterns webhook stages may call (adapters/http/url-allowlist.ts).
   * @default - none: webhook stages may call nothing
   */
  readonly webhookAllowlist?: readonly string[];
  /**
   * SSM Parameter Store path under which webhook secrets are kept as SecureStrings, e.g.
   * `/gennaker/webhooks`. Secrets stay out of environment variables: the API reads them.
   * @default - no webhook secrets: signed git webhooks are refused
   */
  readonly webhookSecretsParameterPath?: string;
  /**
   * The ARN of the KMS key that seals secret values at rest (secret parameters, secret headers,
   * job environments) by envelope encryption; the API, the trigger router and the stage runner
   * may make data keys with it, only the stage runner may open them.
   * @default - a customer managed key the stack creates (rotated yearly, retained on delete)
   */
  readonly secretsKeyArn?: string;
  /**
   * Preconfigured webhooks (Orca's `webhook.preconfigured`): each a stage type pipelines may name,
   * with the webhook stage fields it fixes (core/pipeline/preconfigured-webhooks.ts). Checked at
   * synthesis; the API gets them as `PRECONFIGURED_WEBHOOKS`.
   * @default none
   */
  readonly preconfiguredWebhooks?: readonly unknown[];
  /**
   * The Secrets Manager name prefix `${#secret('name')}` reads: the stage runner may read
   * `<prefix>*` and nothing else.
   * @default 'gennaker/'
   */
  readonly secretsPrefix?: string;
  /**
   * Deploy-target accounts: Gennaker account name → the role ARN in that account the stage
   * runner assumes to deploy there, or `{ assumeRole, externalId?, regions?, cloudProvider? }`
   * (`regions` default to the stack's Region; `cloudProvider` `aws`, the default, deploys Auto
   * Scaling groups and Lambda functions, `ecs` ECS services), or an EKS cluster
   * `{ cloudProvider: 'kubernetes', assumeRole, eks, kubeconfig, namespaces? }` whose tokens the
   * role signs. `readRole` (optional, any kind) is a role that may only describe, which the API
   * assumes for its cluster and server-group reads instead of `assumeRole`. The stage runner may
   * assume the `assumeRole` roles and no others, the API each account's `readRole` (else its
   * `assumeRole`) in sessions limited to describe calls; docs/aws-target-accounts.md
   * has the policy each role needs, docs/kubernetes-accounts.md what a cluster grants an EKS role.
   * @default {} - no deploy accounts: pipelines with deploy stages are refused at start
   */
  readonly accounts?: Readonly<Record<string, string | AccountRoleConfig | KubernetesAccountRoleConfig>>;
  /**
   * Artifact accounts of type `s3`, reading `s3/object` artifacts (core/accounts/artifact-accounts-file.ts):
   * `[{ name, type: 's3', buckets, region?, assumeRole?, externalId? }]`. The stage runner gets
   * them as `ARTIFACT_ACCOUNTS`, and s3:GetObject and s3:GetObjectVersion on exactly the `buckets`
   * of the accounts without `assumeRole` (an account with one reads as that role, which the
   * stage runner may assume).
   * @default none: s3/object artifacts cannot be read
   */
  readonly artifactAccounts?: readonly unknown[];
  /**
   * Notification settings (core/notifications/settings.ts): `dashboardUrl` for links, `email.from`
   * (the SES identity mail is sent from; the notifier may send from it and nothing else),
   * `sns.topicArns` (the topics it may publish to), `slack.webhookUrlSecret` and
   * `githubStatus.tokenSecret` (names under `secretsPrefix` in Secrets Manager). Slack, Teams and
   * webhook notifications to URLs need only `webhookAllowlist`.
   * @default - none: no email, no SNS, links to the API
   */
  readonly notifications?: NotificationSettings;
  /**
   * Stage-wide API throttling.
   * @default - 50 requests per second, bursts of 100
   */
  readonly apiThrottling?: ApiThrottling;
  /**
   * Amazon pub/sub subscriptions (Echo's `pubsub.amazon.subscriptions`): subscription name → the
   * SNS topic ARN it receives. Each gets an SQS queue of that name subscribed to the topic, with
   * the trigger router as its event source; `pubsub` triggers with `pubsubSystem: amazon` name it
   * as `subscriptionName`.
   * @default {} - no subscriptions
   */
  readonly pubsubSubscriptions?: Readonly<Record<string, string>>;
  /**
   * Create the account-wide role API Gateway uses to write access logs.
   * @default true
   */
  readonly apiCloudWatchRole?: boolean;
}

const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,23}$/;
const SSM_PATH_PATTERN = /^\/[A-Za-z0-9_.\-\/]{1,1000}$/;

/** Lambda keeps at most 4 KB of environment per function; the account map shares it with the rest. */
const ACCOUNTS_ENV_LIMIT = 3_000;

/**
 * The deploy accounts of the props, read by the parser the functions read `ACCOUNTS` with (the
 * Region is the functions' own, unknown at synthesis: only the roles are used here). A bad
 * account fails synthesis with its first problem: `accounts.<name>.<field>`, the value, the fix.
 */
export function deployAccounts(props: Pick<GennakerStackProps, 'accounts'>): readonly Account[] {
  if (props.accounts === undefined) return [];
  const parsed = parseAccountRoleMap(props.accounts, 'the stack Region');
  const first = parsed.issues[0];
  if (first) {
    const where = `accounts${first.pointer.split('/').slice(1).map((part) => `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`).join('')}`;
    throw new Error(`${where}: ${first.message}${parsed.issues.length > 1 ? ` (and ${parsed.issues.length - 1} more problem${parsed.issues.length > 2 ? 's' : ''} in accounts)` : ''}`);
  }
  const size = JSON.stringify(props.accounts).length;
  if (size > ACCOUNTS_ENV_LIMIT) {
    throw new Error(`accounts is ${size} characters of JSON, more than the ${ACCOUNTS_ENV_LIMIT} the functions' environment can hold: shorten account names or external ids, or give role ARNs alone where regions and kind are the defaults`);
  }
  return parsed.accounts;
}

/** Checks props that would otherwise fail only at deploy time; one line per problem. */
export function validateGennakerStackProps(props: GennakerStackProps): void {
  const prefix = props.stateMachineNamePrefix ?? 'gennaker';
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(`stateMachineNamePrefix '${prefix}' is not usable: use 1-24 letters, digits or hyphens starting with a letter (state machine names are '<prefix>-<pipelineConfigId>', at most 80 characters), e.g. 'gennaker'`);
  }
  deployAccounts(props);
  artifactAccountsOf(props);
  const path = props.webhookSecretsParameterPath;
  if (path !== undefined && !SSM_PATH_PATTERN.test(path)) {
    throw new Error(`webhookSecretsParameterPath is '${path}', not an SSM parameter path: use a path starting with '/', e.g. '/gennaker/webhooks'`);
  }
  if (props.preconfiguredWebhooks !== undefined) {
    const parsed = parsePreconfiguredWebhooks(props.preconfiguredWebhooks, 'preconfiguredWebhooks');
    if (!parsed.ok) throw new Error(parsed.problems[0]!);
  }
  const secretsPrefix = props.secretsPrefix ?? 'gennaker/';
  if (!/^[A-Za-z0-9/_+=.@-]{1,256}$/.test(secretsPrefix)) {
    throw new Error(`secretsPrefix is '${secretsPrefix}', not a Secrets Manager name prefix: use 1-256 of A-Z a-z 0-9 / _ + = . @ -, e.g. 'gennaker/'`);
  }
  for (const [name, topicArn] of Object.entries(props.pubsubSubscriptions ?? {})) {
    if (!SUBSCRIPTION_NAME.test(name)) throw new Error(`pubsubSubscriptions: '${name}' is not usable as a queue name: use 1-80 letters, digits, '-' or '_' (pubsub triggers name it as subscriptionName)`);
    if (typeof topicArn !== 'string' || !TOPIC_ARN.test(topicArn)) throw new Error(`pubsubSubscriptions.${name} is ${JSON.stringify(topicArn)}, not an SNS topic ARN: use arn:aws:sns:<region>:<account>:<topic>`);
  }
  if (props.notifications !== undefined) {
    const parsed = parseNotificationSettings(props.notifications, 'notifications');
    if (!parsed.ok) throw new Error(parsed.message.split('\n')[0]);
  }
  for (const limit of ['rateLimit', 'burstLimit'] as const) {
    const value = props.apiThrottling?.[limit];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new Error(`apiThrottling.${limit} is ${String(value)}, expected a positive number of requests per second`);
    }
  }
}

/**
 * The s3 artifact accounts of the props, read by the parser the stage runner reads
 * `ARTIFACT_ACCOUNTS` with; a bad one fails synthesis with its first problem:
 * `artifactAccounts.<index>.<field>`, the value, the fix.
 */
export function artifactAccountsOf(props: Pick<GennakerStackProps, 'artifactAccounts'>): readonly S3ArtifactAccountConfig[] {
  const parsed = parseArtifactAccounts(props.artifactAccounts, { aws: true, at: '' });
  const first = parsed.issues[0];
  if (first) {
    const where = `artifactAccounts${first.pointer.split('/').slice(1).map((part) => `.${part}`).join('')}`;
    throw new Error(`${where}: ${first.message}${parsed.issues.length > 1 ? ` (and ${parsed.issues.length - 1} more problem${parsed.issues.length > 2 ? 's' : ''} in artifactAccounts)` : ''}`);
  }
  return parsed.accounts;
}

/** The whole Gennaker control plane. */
export class GennakerStack extends Stack {
  readonly stateMachineNamePrefix: string;
  /** Where the API reads webhook secrets, when configured. */
  readonly webhookSecretsParameterPath?: string;
  /** The buckets the stage runner may read s3/object artifacts from with its own role. */
  readonly artifactBuckets: readonly string[];
  readonly table: StateTable;
  readonly functions: GennakerFunctions;
  readonly api: Api;
  readonly eventBus: events.EventBus;
  readonly events: Events;
  readonly scheduler: TriggerScheduler;
  readonly stateMachineRole: StateMachineRole;
  /** The KMS key secret values are sealed with. */
  readonly secretsKey: kms.IKey;

  constructor(scope: Construct, id: string, props: GennakerStackProps = {}) {
    super(scope, id, props);
    validateGennakerStackProps(props);
    const accounts = deployAccounts(props);
    const artifactAccounts = artifactAccountsOf(props);
    // Accounts with a role read as that role; the others as the stage runner, on their buckets.
    this.artifactBuckets = [...new Set(artifactAccounts.filter((account) => account.assumeRole === undefined).flatMap((account) => account.buckets ?? []))];
    const prefix = props.stateMachineNamePrefix ?? 'gennaker';
    this.stateMachineNamePrefix = prefix;
    if (props.webhookSecretsParameterPath) this.webhookSecretsParameterPath = props.webhookSecretsParameterPath;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    const encryptionKey = props.tableEncryptionKey ?? (props.tableEncryptionKeyArn ? kms.Key.fromKeyArn(this, 'TableKey', props.tableEncryptionKeyArn) : undefined);
    this.table = new StateTable(this, 'StateTable', {
      definition: STATE_TABLE,
      deletionProtection: props.deletionProtection ?? true,
      ...(encryptionKey ? { encryptionKey } : {}),
    });
    // Retained when the stack is deleted: without it, the secrets sealed in the table are lost.
    this.secretsKey = props.secretsKeyArn
      ? kms.Key.fromKeyArn(this, 'SecretsKey', props.secretsKeyArn)
      : new kms.Key(this, 'SecretsKey', { description: `${prefix}: seals secret values at rest (data keys for secret parameters, headers and job environments)`, enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
    const secretsPrefix = props.secretsPrefix ?? 'gennaker/';
    this.eventBus = new events.EventBus(this, 'EventBus', { eventBusName: prefix, description: 'Gennaker events (Pipeline Execution Completed)' });
    const deadLetters = new DeadLetterQueue(this, 'DeadLetters');

    // The roles below are referenced by the functions' environment, so they point at the
    // functions by name rather than by reference (no cycle).
    const stageRunnerArn = functionArnOf(this, prefix, 'stageRunner');
    const triggerRouterArn = functionArnOf(this, prefix, 'triggerRouter');
    this.stateMachineRole = new StateMachineRole(this, 'StateMachineRole', { stageRunnerArn });
    this.scheduler = new TriggerScheduler(this, 'Scheduler', { groupName: prefix, triggerRouterArn });

    // What functions/wiring.ts reads. Every function holds the engine (a start may publish a
    // deferred version), so every one gets the stage runner and state machine role ARNs; the
    // functions that save or publish pipelines also sync their cron schedules.
    const scheduling = {
      SCHEDULE_GROUP_NAME: prefix,
      SCHEDULER_ROLE_ARN: this.scheduler.role.roleArn,
      TRIGGER_ROUTER_ARN: triggerRouterArn,
    };
    this.functions = new GennakerFunctions(this, 'Functions', {
      prefix,
      logRetention,
      deadLetterQueue: deadLetters.queue,
      environment: {
        TABLE_NAME: this.table.table.tableName,
        EVENT_BUS_NAME: this.eventBus.eventBusName,
        STATE_MACHINE_NAME_PREFIX: prefix,
        STAGE_RUNNER_ARN: stageRunnerArn,
        STATE_MACHINE_ROLE_ARN: this.stateMachineRole.role.roleArn,
        WEBHOOK_ALLOWLIST: (props.webhookAllowlist ?? []).join(','),
        // The accounts pipelines may name (functions/wiring.ts): refused at save when unknown, listed by GET /credentials.
        ...(Object.keys(props.accounts ?? {}).length > 0 ? { ACCOUNTS: JSON.stringify(props.accounts) } : {}),
      },
      // The functions that start executions seal secret values with the key; the stage runner also opens them and reads `#secret`s.
      environmentOf: {
        api: {
          ...scheduling,
          // The API lists the notification types the notifier sends (GET /notifications/metadata).
          ...(props.notifications !== undefined ? { NOTIFICATION_SETTINGS: JSON.stringify(props.notifications) } : {}),
          ...(props.webhookSecretsParameterPath ? { WEBHOOK_SECRETS_PARAMETER: props.webhookSecretsParameterPath } : {}),
          SECRETS_KEY_ARN: this.secretsKey.keyArn,
          ...(props.preconfiguredWebhooks !== undefined ? { PRECONFIGURED_WEBHOOKS: JSON.stringify(props.preconfiguredWebhooks) } : {}),
        },
        publisher: scheduling,
        triggerRouter: { SECRETS_KEY_ARN: this.secretsKey.keyArn },
        // The stage runner asks the publisher for what it may not publish (functions/stage-runner-wiring.ts).
        stageRunner: {
          PUBLISHER_FUNCTION_NAME: functionNameOf(prefix, 'publisher'),
          SECRETS_KEY_ARN: this.secretsKey.keyArn,
          SECRETS_PREFIX: secretsPrefix,
          // The s3 artifact accounts (functions/artifact-accounts.ts).
          ...(artifactAccounts.length > 0 ? { ARTIFACT_ACCOUNTS: JSON.stringify(props.artifactAccounts) } : {}),
        },
        // The notifier reads its settings and the named secrets they name (functions/notifier/handler.ts).
        notifier: { SECRETS_PREFIX: secretsPrefix, ...(props.notifications !== undefined ? { NOTIFICATION_SETTINGS: JSON.stringify(props.notifications) } : {}) },
      },
    });

    grantControlPlanePermissions(this, {
      stateMachineNamePrefix: prefix,
      table: this.table.table,
      eventBus: this.eventBus,
      functions: this.functions,
      stateMachineRole: this.stateMachineRole.role,
      schedulerRole: this.scheduler.role,
      scheduleArnPattern: this.scheduler.scheduleArnPattern,
      ...(props.webhookSecretsParameterPath ? { webhookSecretsParameterPath: props.webhookSecretsParameterPath } : {}),
      accountRoleArns: [...new Set([...accounts.map((account) => account.assumeRole!), ...artifactAccounts.flatMap((account) => (account.assumeRole !== undefined ? [account.assumeRole] : []))])],
      artifactBuckets: this.artifactBuckets,
      readRoleArns: [...new Set(accounts.map((account) => account.readRole ?? account.assumeRole!))],
      secretsKeyArn: this.secretsKey.keyArn,
      secretsPrefix,
      ...(props.notifications !== undefined ? { notifications: props.notifications } : {}),
    });

    this.api = new Api(this, 'Api', {
      handler: this.functions.api,
      logRetention,
      ...(props.apiThrottling ? { throttling: props.apiThrottling } : {}),
      cloudWatchRole: props.apiCloudWatchRole ?? true,
    });

    // Notification links point at the API unless a dashboard is configured.
    this.functions.notifier.addEnvironment('API_URL', this.api.url);
    // The notifier runs its reminder rule only while a judgment with reminders waits.
    this.functions.notifier.addEnvironment('REMINDER_RULE_NAME', judgmentReminderRuleName(prefix));

    this.events = new Events(this, 'Events', {
      eventBus: this.eventBus,
      stateMachineNamePrefix: prefix,
      triggerRouter: this.functions.triggerRouter,
      reconciler: this.functions.reconciler,
      notifier: this.functions.notifier,
      deadLetterQueue: deadLetters.queue,
    });

    if (Object.keys(props.pubsubSubscriptions ?? {}).length > 0) {
      new PubsubSubscriptions(this, 'Pubsub', {
        subscriptions: props.pubsubSubscriptions!,
        triggerRouter: this.functions.triggerRouter,
        routerTimeout: FUNCTION_SPECS.triggerRouter.timeout,
        deadLetterQueue: deadLetters.queue,
      });
    }

    suppressJustifiedFindings(this);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'gennaker --endpoint <this URL without the trailing slash>' });
    new CfnOutput(this, 'StateTableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'ApiRoleArn', { value: this.functions.api.role!.roleArn, description: "Trust this role from each deploy account's readRole, or its role (docs/aws-target-accounts.md)" });
    new CfnOutput(this, 'StageRunnerRoleArn', { value: this.functions.stageRunner.role!.roleArn, description: 'Trust this role from deploy-target accounts (docs/aws-target-accounts.md)' });
    new CfnOutput(this, 'StateMachineRoleArn', { value: this.stateMachineRole.role.roleArn });
  }
}
