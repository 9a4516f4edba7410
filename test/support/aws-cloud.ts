/**
 * Gennaker's cloud functions in one test process, without an AWS account: each function gets
 * its own runtime (its own cold start, as on Lambda) built by the builder its handler uses
 * (functions/wiring.ts, publishing-wiring.ts, stage-runner-wiring.ts) on real
 * dynalite, the Step Functions fake (which runs the published ASL and invokes the stage runner
 * handler by its ARN), and the EventBridge and Scheduler fakes. Status changes of executions go
 * to the reconciler handler and Gennaker's bus events to the trigger router, as the stack's
 * EventBridge rules route them.
 */
import { parseAccountRoles } from '../../core/accounts/accounts-file.ts';
import { createApiHandler, createApiRuntime, cloudApiDeps, type CloudApiOptions } from '../../functions/api/handler.ts';
import { createPublisherHandler } from '../../functions/publisher/handler.ts';
import { createReconcilerHandler, type ReconcileResult } from '../../functions/reconciler/handler.ts';
import { createStageRunnerHandler } from '../../functions/stage-runner/handler.ts';
import { createTriggerRouter, type RouteResult } from '../../functions/triggers/handler.ts';
import { createPublishingRuntime } from '../../functions/publishing-wiring.ts';
import { createStageRunnerRuntime, type StageRunnerRuntime, type StageRunnerRuntimeOptions, type StartTargetRequest } from '../../functions/stage-runner-wiring.ts';
import { compilePipeline } from '../../statemachines/index.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { createCloudRuntime, type CloudClients, type CloudEnvironment, type CloudLogEntry, type CloudRuntime, type CloudRuntimeOptions } from '../../functions/wiring.ts';
import { startDynalite, type Dynalite } from './dynalite.ts';
import { apiGatewayEvent, EventBridgeFake, SchedulerFake } from './aws-fakes.ts';
import { SfnFake, type StatusChangeEvent } from './sfn-fake.ts';

export const STAGE_RUNNER_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:gennaker-stage-runner';
export const TRIGGER_ROUTER_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:gennaker-triggers';
export const MACHINE_ROLE_ARN = 'arn:aws:iam::123456789012:role/gennaker-state-machines';
export const USER_ARN = 'arn:aws:sts::123456789012:assumed-role/Deployers/alice';

export interface CloudCall {
  readonly status: number;
  readonly json: any;
}

export interface Cloud {
  readonly dynalite: Dynalite;
  readonly sfn: SfnFake;
  readonly bus: EventBridgeFake;
  readonly scheduler: SchedulerFake;
  /** The API function's runtime (what its handler was built from). */
  readonly apiRuntime: CloudRuntime;
  /** The stage runner function's runtime. */
  readonly runnerRuntime: StageRunnerRuntime;
  readonly env: CloudEnvironment;
  /** Calls the API function with an IAM-authenticated API Gateway proxy event. */
  call(method: string, path: string, body?: unknown, options?: { readonly userArn?: string | null; readonly headers?: Record<string, string> }): Promise<CloudCall>;
  readonly publish: (event: unknown) => ReturnType<ReturnType<typeof createPublisherHandler>>;
  readonly reconcile: (event: unknown) => Promise<ReconcileResult>;
  readonly route: (event: unknown) => Promise<RouteResult>;
  /** What the reconciler answered to each status change so far. */
  readonly reconciled: ReconcileResult[];
  /** What the trigger router answered to each bus event so far. */
  readonly routed: RouteResult[];
  readonly logs: CloudLogEntry[];
  /** What the stage runner asked the publisher (the versions it may not publish itself). */
  readonly runnerAsked: StartTargetRequest[];
  /** Settles when every execution ended, was reconciled, and every bus event was routed. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** The role of the test cloud's one deploy account, `prod`. */
export const DEPLOY_ROLE_ARN = 'arn:aws:iam::210987654321:role/gennaker-deploy';

export interface CloudOptions {
  readonly autoReconcile?: boolean;
  readonly publishWaitMs?: number;
  /** The CDK context `accounts` as the functions get it (`ACCOUNTS`). @default {"prod": DEPLOY_ROLE_ARN} */
  readonly accounts?: string;
  /** Every function's clock. @default the system clock */
  readonly clock?: Clock;
  /** How the stage runner's deploy targets reach AWS (the AWS simulator). */
  readonly aws?: StageRunnerRuntimeOptions['aws'];
  /** How the API's cluster reads and save lookups reach AWS. @default `aws` */
  readonly apiAws?: CloudApiOptions['aws'];
  /** Secrets on AWS: the KMS key (`SECRETS_KEY_ARN`) and the clients of KMS and Secrets Manager (the AWS simulator). */
  readonly secrets?: { readonly keyId: string; readonly kms: NonNullable<CloudClients['kms']>; readonly secretsManager: NonNullable<CloudClients['secretsManager']> };
  /** The CDK context `notifications` as the functions get it (`NOTIFICATION_SETTINGS`). @default none */
  readonly notificationSettings?: string;
  /** The CDK context `artifactAccounts` as the stage runner gets it (`ARTIFACT_ACCOUNTS`), and where their S3 answers. @default none */
  readonly artifactAccounts?: string;
  readonly artifacts?: StageRunnerRuntimeOptions['artifacts'];
  /** Wraps the stage runner function as Step Functions invokes it (e.g. to move a simulated clock by each answer's wait). */
  readonly wrapStageRunner?: (handler: (event: unknown) => Promise<unknown>) => (event: unknown) => Promise<unknown>;
}

export async function startCloud(options: CloudOptions = {}): Promise<Cloud> {
  const dynalite = await startDynalite();
  const sfn = new SfnFake({ retryDelayMs: 0, waitOverrideMs: 0 });
  const bus = new EventBridgeFake();
  const scheduler = new SchedulerFake();
  const logs: CloudLogEntry[] = [];
  const env: CloudEnvironment = {
    tableName: dynalite.tableName,
    region: 'us-east-1',
    stageRunnerArn: STAGE_RUNNER_ARN,
    stateMachineRoleArn: MACHINE_ROLE_ARN,
    namePrefix: 'gennaker',
    eventBusName: 'gennaker',
    webhookAllowlist: [],
    // As the CDK context `accounts` gives them: one AWS account with the role the stage runner assumes there.
    accounts: parseAccountRoles(options.accounts ?? JSON.stringify({ prod: DEPLOY_ROLE_ARN }), 'us-east-1').accounts,
    scheduler: { groupName: 'gennaker', roleArn: 'arn:aws:iam::123456789012:role/gennaker-scheduler', targetArn: TRIGGER_ROUTER_ARN },
    ...(options.secrets ? { secretsKeyId: options.secrets.keyId } : {}),
    ...(options.notificationSettings !== undefined ? { notificationSettings: options.notificationSettings } : {}),
    ...(options.artifactAccounts !== undefined ? { artifactAccounts: options.artifactAccounts } : {}),
  };
  const clients = {
    dynamodb: dynalite.client,
    sfn: sfn.client,
    events: bus.client,
    scheduler: scheduler.client,
    ...(options.secrets ? { kms: options.secrets.kms, secretsManager: options.secrets.secretsManager } : {}),
  };
  // As on Lambda: only the API and the publisher get the Scheduler settings and client.
  const { scheduler: _schedulerEnv, ...envWithoutScheduler } = env;
  const { scheduler: _schedulerClient, ...clientsWithoutScheduler } = clients;
  const runtimeOptions: CloudRuntimeOptions = {
    log: (entry) => void logs.push(entry),
    ...(options.publishWaitMs !== undefined ? { publishWaitMs: options.publishWaitMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  };

  const apiAws = options.apiAws ?? options.aws;
  const apiRuntime = createApiRuntime(env, clients, { ...runtimeOptions, ...(apiAws ? { aws: apiAws } : {}) });
  const api = createApiHandler(cloudApiDeps(apiRuntime));
  const publisherRuntime = createPublishingRuntime(env, clients, runtimeOptions);
  const publish = createPublisherHandler({
    store: publisherRuntime.store,
    loadPublishRequest: publisherRuntime.loadPublishRequest,
    publishNow: publisherRuntime.engine.publishNow,
    syncSchedules: publisherRuntime.syncSchedules,
    startTargetOf: publisherRuntime.engine.startTargetOf,
  });
  const runnerAsked: StartTargetRequest[] = [];
  // As on Lambda: the stage runner asks the publisher function (invoked by name there) for what it may not publish.
  const runnerRuntime = createStageRunnerRuntime(envWithoutScheduler, clientsWithoutScheduler, {
    ...runtimeOptions,
    publisher: (request) => {
      runnerAsked.push(request);
      return publish(request);
    },
    ...(options.aws ? { aws: options.aws } : {}),
    ...(options.artifacts ? { artifacts: options.artifacts } : {}),
  });
  const stageRunner = createStageRunnerHandler(runnerRuntime.runner);
  sfn.setFunction(STAGE_RUNNER_ARN, options.wrapStageRunner ? options.wrapStageRunner(stageRunner) : stageRunner);
  const publishing = { ...runtimeOptions, compile: compilePipeline };
  const reconcilerRuntime = createCloudRuntime(envWithoutScheduler, clientsWithoutScheduler, publishing);
  const reconcile = createReconcilerHandler({ service: reconcilerRuntime.service, namePrefix: env.namePrefix });
  const routerRuntime = createCloudRuntime(envWithoutScheduler, clientsWithoutScheduler, publishing);
  const route = createTriggerRouter({ service: routerRuntime.service, store: routerRuntime.store, log: (entry) => void logs.push(entry) });

  const reconciled: ReconcileResult[] = [];
  const routed: RouteResult[] = [];
  if (options.autoReconcile !== false) sfn.onStatusChange(async (event: StatusChangeEvent) => void reconciled.push(await reconcile(event)));
  bus.onEvent(async (event) => {
    if (event['detail-type'] === 'Pipeline Execution Completed') routed.push(await route(event));
  });

  return {
    dynalite,
    sfn,
    bus,
    scheduler,
    apiRuntime,
    runnerRuntime,
    env,
    async call(method, path, body, callOptions = {}) {
      const userArn = callOptions.userArn === undefined ? USER_ARN : callOptions.userArn;
      const response = await api(apiGatewayEvent(method, path, { ...(body === undefined ? {} : { body }), ...(userArn === null ? {} : { userArn }), ...(callOptions.headers ? { headers: callOptions.headers } : {}) }) as never);
      const text = (response as { body?: string }).body ?? '';
      return { status: (response as { statusCode: number }).statusCode, json: text ? JSON.parse(text) : undefined };
    },
    publish,
    reconcile,
    route,
    reconciled,
    routed,
    logs,
    runnerAsked,
    async settled() {
      for (let round = 0; round < 5; round++) {
        await sfn.settled();
        await bus.idle();
      }
    },
    async close() {
      await sfn.settled().catch(() => undefined);
      await bus.idle();
      await dynalite.stop();
    },
  };
}
