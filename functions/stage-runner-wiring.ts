/**
 * The composition root of the stage runner function: the shared cloud runtime
 * (functions/wiring.ts) plus the stage runner itself — every stage task, the expression
 * language, the webhook HTTP client, and the deploy targets of the configured accounts
 * (functions/aws-account-targets.ts: the AWS targets and their SDK clients, and the Kubernetes
 * targets with client-node, each loaded on demand), and the canary metric sources of the `aws` and
 * `ecs` accounts (functions/aws-account-metrics.ts: CloudWatch through each account's role, loaded
 * on a canary's first fetch), which no other function's bundle carries.
 *
 * Artifacts a stage reads (a manifest, a task definition) come through the artifact accounts of
 * functions/artifact-accounts.ts, loaded on the first read: `http/file` through the webhook
 * allowlist, `s3/object` through the s3 accounts of `ARTIFACT_ACCOUNTS`.
 *
 * The stage runner never compiles nor publishes state machines (it runs user expressions and
 * calls user webhooks, so its role holds no right to change them): a child pipeline whose version
 * is not live is published by the publisher function, which answers the ARN to start it on
 * (functions/publisher-client.ts, loaded on demand).
 *
 * Every invocation runs in the scope of its execution: the deploy accounts' roles are assumed
 * with the session name `gennaker-<execution id>`, so CloudTrail in a deploy account names the
 * pipeline run behind each call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createFetchHttpClient } from '../adapters/http/fetch-http-client.ts';
import { createStageRunner, type StageRunner } from '../core/execution/stage-runner.ts';
import type { ArtifactContentPort } from '../core/ports/artifact-content.ts';
import { configuredAccountMetrics } from './aws-account-metrics.ts';
import { awsTargetsOnce, configuredAccountTargets } from './aws-account-targets.ts';
import type { AwsClientSettings } from './aws-targets.ts';
import { cloudSecretStore, coldStartClients, createCloudRuntime, hasDeployAccounts, readEnvironment, type CloudClients, type CloudEnvironment, type CloudRuntime, type CloudRuntimeOptions } from './wiring.ts';

export interface StageRunnerRuntime extends CloudRuntime {
  readonly runner: StageRunner;
}

/** What the stage runner asks the publisher function (functions/publisher/handler.ts). */
export interface StartTargetRequest {
  readonly pipelineConfigId: string;
  readonly version: number;
  readonly start: true;
}

/** The ARN in the publisher's answer, or an error with its message. */
export function startTargetOfAnswer(answer: unknown, request: StartTargetRequest): string {
  const result = answer as { ok?: unknown; message?: unknown; published?: { ref?: unknown } } | undefined;
  if (result?.ok === true && typeof result.published?.ref === 'string') return result.published.ref;
  const why = typeof result?.message === 'string' ? result.message : `it answered ${JSON.stringify(answer)}`;
  throw new Error(`the publisher could not give a start target for v${request.version} of pipeline ${request.pipelineConfigId}: ${why}`);
}

/** The runtime's options, and how the stage runner reaches AWS and the publisher. */
export interface StageRunnerRuntimeOptions extends Omit<CloudRuntimeOptions, 'schedules' | 'compile' | 'startTargetVia'> {
  /**
   * Asks the publisher function (tests: its handler in-process).
   * @default a synchronous Lambda invoke of `env.publisherFunctionName`
   */
  readonly publisher?: (request: StartTargetRequest) => Promise<unknown>;
  /** How the deploy targets reach AWS. @default AWS's endpoints, with the function's own credentials for STS */
  readonly aws?: {
    readonly clients?: AwsClientSettings;
    /** The credentials STS AssumeRole is called with. */
    readonly callerCredentials?: AwsCredentialIdentity;
  };
  /** Where the s3 artifact accounts' S3 and STS answer (tests: the AWS simulator), with what credentials. @default AWS's, with the function's role */
  readonly artifacts?: { readonly endpoint: string; readonly credentials: AwsCredentialIdentity };
}

/** The stage runner function's runtime: child pipelines start through its execution service. */
export function createStageRunnerRuntime(env: CloudEnvironment, clients: CloudClients, options: StageRunnerRuntimeOptions = {}): StageRunnerRuntime {
  const { aws, publisher, artifacts: artifactsAt, ...runtimeOptions } = options;
  const askPublisher =
    publisher ??
    (async (request: StartTargetRequest) => {
      if (!env.publisherFunctionName) throw new Error('PUBLISHER_FUNCTION_NAME is not set: it must name the publisher function, which publishes the versions the stage runner starts');
      const { invokePublisher } = await import('./publisher-client.ts');
      return invokePublisher(env.publisherFunctionName, request);
    });
  const runtime = createCloudRuntime(env, clients, {
    ...runtimeOptions,
    startTargetVia: async (pipelineConfigId, version) => {
      const request: StartTargetRequest = { pipelineConfigId, version, start: true };
      return startTargetOfAnswer(await askPublisher(request), request);
    },
  });
  const execution = new AsyncLocalStorage<string>();
  const awsOptions = { region: env.region, clock: runtime.clock, sessionName: () => `gennaker-${execution.getStore() ?? 'stage-runner'}`, ...aws };
  // One load of the AWS targets for deploys and canary reads: an account's role has one session per execution.
  const loadAws = awsTargetsOnce(awsOptions);
  const targets = hasDeployAccounts(env.accounts) ? configuredAccountTargets({ ...awsOptions, accounts: env.accounts, loadAws }) : undefined;
  // Canaries read CloudWatch in the aws and ecs accounts they name (metricsAccountName), through those accounts' roles.
  const metrics = configuredAccountMetrics({ accounts: env.accounts, loadAws, ...(aws?.clients ? { clients: aws.clients } : {}) });
  const http = createFetchHttpClient({ allowlist: env.webhookAllowlist });
  // Artifact accounts (http/file, and s3/object through ARTIFACT_ACCOUNTS): their module loads on the first read.
  let artifacts: Promise<ArtifactContentPort> | undefined;
  const artifactContent: ArtifactContentPort = {
    types: ['http/file', ...(env.artifactAccounts !== undefined ? ['s3/object'] : [])],
    fetch: async (artifact) => {
      artifacts ??= import('./artifact-accounts.ts').then((loaded) =>
        loaded.createCloudArtifactAccounts({ json: env.artifactAccounts, region: env.region, http, clock: runtime.clock, sessionName: () => `gennaker-${execution.getStore() ?? 'stage-runner'}`, ...artifactsAt }),
      );
      return (await artifacts).fetch(artifact);
    },
  };
  const run = createStageRunner({
    store: runtime.store,
    clock: runtime.clock,
    http,
    artifactContent,
    children: { start: (request) => runtime.service.start(request) },
    random: runtime.random,
    canaryConfigs: runtime.canaryConfigs,
    // Resumes a callback Task the runner does not leave waiting (a judgment kept by a restart, or skipped).
    callbacks: runtime.engine,
    ...(targets ? { targets, accounts: () => env.accounts.map((account) => account.name) } : {}),
    ...(metrics ? { metrics } : {}),
    ...(runtime.secrets ? { secrets: runtime.secrets } : {}),
    // `${#secret('name')}`: Secrets Manager, under the prefix the stage runner's role may read.
    secretStore: cloudSecretStore(env.secretsPrefix ?? 'gennaker/', clients.secretsManager),
    // Stages with notifications put their transitions on Gennaker's bus, for the notifier.
    bus: runtime.bus,
  });
  const runner: StageRunner = (request) => execution.run(request.executionId, () => run(request));
  return { ...runtime, runner };
}

let runner: StageRunner | undefined;

/** The stage runner of this cold start. */
export function stageRunnerForColdStart(): StageRunner {
  runner ??= createStageRunnerRuntime(readEnvironment(process.env), coldStartClients()).runner;
  return runner;
}
