/**
 * The cloud composition root (STYLE §6): the only place a Lambda reads `process.env` and builds
 * SDK clients — once per cold start, memoized here. So far it wires what the stage runner needs.
 *
 * Environment:
 * - `TABLE_NAME`: the state table (required).
 * - `WEBHOOK_ALLOWLIST`: comma-separated URL patterns webhook stages may call (see
 *   adapters/http/url-allowlist.ts); absent or empty: webhooks may call nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbExecutionStore } from '../adapters/dynamodb/dynamodb-execution-store.ts';
import { createFetchHttpClient } from '../adapters/http/fetch-http-client.ts';
import { createStageRunner, type StageRunner } from '../core/execution/stage-runner.ts';
import type { ChildPipelines } from '../core/ports/child-pipelines.ts';
import type { Clock } from '../core/ports/clock.ts';

export interface CloudEnvironment {
  readonly tableName: string;
  readonly webhookAllowlist: readonly string[];
}

/** Reads the environment, naming what is missing. */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): CloudEnvironment {
  const tableName = env.TABLE_NAME?.trim();
  if (!tableName) throw new Error('TABLE_NAME is not set: the stage runner needs the name of the state table');
  const webhookAllowlist = (env.WEBHOOK_ALLOWLIST ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return { tableName, webhookAllowlist };
}

const systemClock: Clock = { now: () => Date.now() };

/**
 * Child pipelines in the cloud go through the ExecutionService, which is not deployed yet:
 * until then a `pipeline` stage fails with this message instead of hanging.
 */
const childPipelinesNotWired: ChildPipelines = {
  start: async () => ({ ok: false, message: 'child pipelines are not available in AWS mode yet' }),
};

/** Builds the stage runner from the environment. */
export function createCloudStageRunner(env: CloudEnvironment, options: { readonly children?: ChildPipelines } = {}): StageRunner {
  const client = new DynamoDBClient({});
  const store = createDynamoDbExecutionStore({ client, tableName: env.tableName, clock: systemClock });
  return createStageRunner({
    store,
    clock: systemClock,
    http: createFetchHttpClient({ allowlist: env.webhookAllowlist }),
    children: options.children ?? childPipelinesNotWired,
    random: Math.random,
  });
}

let stageRunner: StageRunner | undefined;

/** The stage runner of this cold start. */
export function stageRunnerForColdStart(): StageRunner {
  stageRunner ??= createCloudStageRunner(readEnvironment(process.env));
  return stageRunner;
}
