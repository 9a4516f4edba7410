/**
 * Spinnaker's Lambda stages against the AWS simulator, for the integration tests and the
 * benchmark: the real aws-lambda adapter over the real `@aws-sdk/client-lambda` pointed at the
 * simulator, the real stage runner on the local ASL engine, executions in dynalite, and one clock:
 * the simulator's, moved by the waits the runner answers (never a sleep).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createAwsLambdaFunctions } from '../../adapters/targets/aws-lambda/lambda-functions.ts';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { createMemoryTarget } from '../../adapters/targets/memory/memory-target.ts';
import type { FunctionPort } from '../../core/ports/functions.ts';
import type { TargetLookup } from '../../core/ports/target.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { startDynalite, type Dynalite } from './dynalite.ts';
import { createLocalRun, type LocalRun } from './local-run.ts';

/** The account of examples/pipelines/lambda-weighted.json. */
export const LAMBDA_ACCOUNT = 'aws-sandbox';
export const LAMBDA_REGION = 'us-east-1';
/** Dummy credentials: the simulator reads only the signature's scope. */
const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };

export interface LambdaSandbox {
  readonly sim: AwsSimulator;
  /** The SDK client the adapter uses (a test reads the simulator through it too). */
  readonly client: LambdaClient;
  readonly functions: FunctionPort;
  readonly targets: TargetLookup;
  /** The simulator's clock, as the runner and the stage driver move it. */
  readonly clock: { now(): number; advance(ms: number): void };
  /** A local run of whole pipelines on this sandbox; `deliverTwice` delivers every Task twice at once. */
  localRun(options?: { readonly deliverTwice?: boolean }): LocalRun;
  /** The Lambda calls made since `from` (a sequence number of the call log), by action, in order. */
  callsSince(from: number): string[];
  /** The sequence number of the newest call so far. */
  lastCall(): number;
  dispose(): Promise<void>;
}

export interface LambdaSandboxOptions {
  /** Packages that exist in S3, `bucket/key` → content. */
  readonly codeObjects?: Readonly<Record<string, string>>;
  /** Wraps the adapter (a test puts a concurrent actor between the stages and Lambda). */
  readonly wrap?: (port: FunctionPort) => FunctionPort;
  /** SDK attempts per call. @default 3 (the SDK's own) */
  readonly maxAttempts?: number;
}

/** Starts the simulator and dynalite and wires the Lambda adapter as the account's function port. */
export async function startLambdaSandbox(options: LambdaSandboxOptions = {}): Promise<LambdaSandbox> {
  const sim = await startAwsSimulator({ seed: 11 });
  let dynalite: Dynalite | undefined;
  try {
    dynalite = await startDynalite();
  } catch (error) {
    await sim.close();
    throw error;
  }
  for (const [path, content] of Object.entries(options.codeObjects ?? {})) {
    const slash = path.indexOf('/');
    sim.seed.lambda.codeObject({ bucket: path.slice(0, slash), key: path.slice(slash + 1), content });
  }
  const client = new LambdaClient({ endpoint: sim.endpoint, region: LAMBDA_REGION, credentials, ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}) });
  const adapter = createAwsLambdaFunctions({ regions: [LAMBDA_REGION], clientFor: () => client });
  const functions = options.wrap ? options.wrap(adapter) : adapter;
  // A Lambda account has no server groups; the memory target's ports stand in for them, unused.
  const memory = createMemoryTarget();
  const targets: TargetLookup = ({ account }) => (account === LAMBDA_ACCOUNT ? { cloudProvider: 'aws', serverGroups: memory.serverGroups, traffic: memory.traffic, functions } : undefined);
  const clock = {
    now: () => sim.now(),
    advance: (ms: number) => {
      sim.tick(ms);
    },
  };
  let storeTime = 0;
  const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => (storeTime += 1) } });
  const lambdaCalls = () => sim.calls({ service: 'lambda' });
  const started = dynalite;
  return {
    sim,
    client,
    functions,
    targets,
    clock,
    localRun: (runOptions = {}) => createLocalRun({ store, targets, clock, waitOverrideMs: 1, ...(runOptions.deliverTwice ? { deliverTwice: true } : {}) }),
    callsSince: (from) => lambdaCalls().filter((call) => call.seq > from).map((call) => call.action),
    lastCall: () => sim.calls().at(-1)?.seq ?? 0,
    async dispose() {
      client.destroy();
      await Promise.allSettled([sim.close(), started.stop()]);
    },
  };
}
