/**
 * The StateMachineEngine on AWS Step Functions (DESIGN.md §4, §10). Each pipeline is one
 * Standard state machine, `<prefix>-<pipelineConfigId>`; each saved version is published as a
 * Step Functions version described `v<version> of <app>/<name>`, and the `live` alias points at
 * the latest one. Executions start on the alias, named by their execution id, so a duplicate
 * start (EventBridge delivers at least once) is answered `ExecutionAlreadyExists` and ignored.
 *
 * The definition published is exactly `compilePipeline(...).json` with its `${...}` definition
 * substitutions (the stage runner's ARN) replaced, nothing else.
 *
 * Control-plane calls are rate-limited (one per second refill): publishing runs through a
 * bounded queue with throttling retries, and a save waits for it at most `publishWaitMs`. A
 * publish that has not finished by then (or found the queue full) does not fail the save: the
 * first start of that version publishes it (`loadPublishRequest`), and so does the publisher
 * function when it is asked to.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  CreateStateMachineAliasCommand,
  CreateStateMachineCommand,
  DescribeStateMachineAliasCommand,
  DescribeStateMachineCommand,
  ListStateMachineVersionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineAliasCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { GennakerError } from '../../core/errors.ts';
import type { PublishedPipeline, PublishRequest, StateMachineEngine } from '../../core/ports/state-machine-engine.ts';
import { createControlPlaneQueue, retryThrottled, type RetryPolicy } from './control-plane.ts';
import {
  executionArn,
  isExecutionName,
  LIVE_ALIAS,
  stateMachineArn,
  stateMachineName,
  statesLocation,
  versionDescription,
  versionOfDescription,
  type StatesLocation,
} from './names.ts';

/** The part of the SDK client the engine uses (the real SFNClient, or a fake in tests). */
export type SfnClient = Pick<SFNClient, 'send'>;

export interface StepFunctionsEngineOptions {
  readonly client: SfnClient;
  /** The role every pipeline state machine runs under (allowed to invoke Gennaker's functions only). */
  readonly stateMachineRoleArn: string;
  /** The Region of the state machines (the Lambda's AWS_REGION). */
  readonly region: string;
  /** @default 'gennaker' */
  readonly namePrefix?: string;
  /** Values of the definitions' `${Name}` placeholders, e.g. `{ StageRunnerFunctionArn }`. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** The pipeline config id of an execution (the store's record): stopping needs its state machine. */
  readonly pipelineOf: (executionId: string) => Promise<string | undefined>;
  /**
   * The publish request of a saved version (compiled from the store): lets a start publish a
   * version whose publish was deferred, or find an older version a restart runs.
   */
  readonly loadPublishRequest?: (pipelineConfigId: string, version: number) => Promise<PublishRequest | undefined>;
  /** How long `publish` waits for the control plane before deferring. @default 20000 */
  readonly publishWaitMs?: number;
  /** Publishes queued or running at most in this process; more are deferred. @default 50 */
  readonly queueLimit?: number;
  /** Throttling retries. @default 8 attempts, 250 ms doubling to 8 s, full jitter */
  readonly retry?: RetryPolicy;
  /** Told when a publish is deferred (the composition root logs it). */
  readonly onDeferred?: (request: PublishRequest, reason: string) => void;
  /** Tags for new state machines. */
  readonly tags?: Readonly<Record<string, string>>;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface StepFunctionsEngine extends StateMachineEngine {
  /** Publishes and waits for it however long throttling lasts (the publisher function). */
  publishNow(request: PublishRequest): Promise<PublishedPipeline>;
  /** Publishes queued or running. */
  pendingPublishes(): number;
  /** Settles when every queued publish has finished. */
  idle(): Promise<void>;
}

/** How many published versions a restart of an older version looks through for an identical definition. */
const VERSIONS_SEARCHED = 25;

/** Step Functions' limits on SendTaskFailure's `error` and `cause`. */
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32_768;

function nameOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : undefined;
}

function isNamed(error: unknown, ...names: string[]): boolean {
  const name = nameOf(error);
  return name !== undefined && names.includes(name);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Replaces every `${Name}` of `definition`; a placeholder without a value is a wiring bug. */
export function applySubstitutions(definition: string, substitutions: Readonly<Record<string, string>>): string {
  return definition.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) {
      throw new GennakerError('Gennaker.InvariantViolated', `the definition uses \${${name}}, which the engine has no value for; known: ${Object.keys(substitutions).join(', ') || 'none'}`);
    }
    // A value is placed inside a JSON string: keep it one.
    return JSON.stringify(value).slice(1, -1);
  });
}

export function createStepFunctionsEngine(options: StepFunctionsEngineOptions): StepFunctionsEngine {
  const { client } = options;
  const location: StatesLocation = statesLocation(options.stateMachineRoleArn, options.region);
  const prefix = options.namePrefix ?? 'gennaker';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) throw new Error(`state machine name prefix '${prefix}' must be 1-40 letters, digits, '-' or '_'`);
  const retryDeps = { sleep: options.sleep ?? defaultSleep, random: options.random ?? Math.random, ...(options.retry ? { policy: options.retry } : {}) };
  const queue = createControlPlaneQueue({ limit: options.queueLimit ?? 50 });
  const publishWaitMs = options.publishWaitMs ?? 20_000;
  // The version the live alias points at, per pipeline, as this process last saw it.
  const liveVersion = new Map<string, number>();

  const send = <T>(call: () => Promise<T>) => retryThrottled(call, retryDeps);
  const machineName = (pipelineConfigId: string) => stateMachineName(prefix, pipelineConfigId);
  const machineArn = (pipelineConfigId: string) => stateMachineArn(location, machineName(pipelineConfigId));
  const aliasArn = (pipelineConfigId: string) => `${machineArn(pipelineConfigId)}:${LIVE_ALIAS}`;
  const published = (request: { pipelineConfigId: string; version: number }): PublishedPipeline => ({
    pipelineConfigId: request.pipelineConfigId,
    version: request.version,
    ref: aliasArn(request.pipelineConfigId),
  });

  /** The Gennaker version the live alias points at, or undefined when there is no alias (or no machine). */
  const readLiveVersion = async (pipelineConfigId: string): Promise<number | undefined> => {
    try {
      const alias = await send(() => client.send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn: aliasArn(pipelineConfigId) })));
      const version = versionOfDescription(alias.description);
      if (version !== undefined) liveVersion.set(pipelineConfigId, version);
      return version;
    } catch (error) {
      if (isNamed(error, 'ResourceNotFound', 'StateMachineDoesNotExist')) return undefined;
      throw error;
    }
  };

  /** Publishes a new Step Functions version of the machine (creating the machine the first time); its ARN. */
  const publishVersion = async (request: PublishRequest, description: string): Promise<string> => {
    const definition = applySubstitutions(request.definition, options.substitutions);
    const update = async () => {
      const out = await send(() =>
        client.send(
          new UpdateStateMachineCommand({
            stateMachineArn: machineArn(request.pipelineConfigId),
            definition,
            roleArn: options.stateMachineRoleArn,
            publish: true,
            versionDescription: description,
          }),
        ),
      );
      return out.stateMachineVersionArn;
    };
    let versionArn: string | undefined;
    try {
      versionArn = await update();
    } catch (error) {
      if (!isNamed(error, 'StateMachineDoesNotExist')) throw error;
      try {
        const created = await send(() =>
          client.send(
            new CreateStateMachineCommand({
              name: machineName(request.pipelineConfigId),
              definition,
              roleArn: options.stateMachineRoleArn,
              type: 'STANDARD',
              publish: true,
              versionDescription: description,
              ...(options.tags ? { tags: Object.entries(options.tags).map(([key, value]) => ({ key, value })) } : {}),
            }),
          ),
        );
        versionArn = created.stateMachineVersionArn;
      } catch (createError) {
        // Another function created it meanwhile: update that one.
        if (!isNamed(createError, 'StateMachineAlreadyExists')) throw createError;
        versionArn = await update();
      }
    }
    if (!versionArn) throw new GennakerError('Gennaker.InvariantViolated', `Step Functions published no version of ${machineName(request.pipelineConfigId)}`);
    return versionArn;
  };

  /** Points the live alias at `versionArn` (creating the alias the first time). */
  const pointAlias = async (request: PublishRequest, versionArn: string, description: string, exists: boolean): Promise<void> => {
    const routingConfiguration = [{ stateMachineVersionArn: versionArn, weight: 100 }];
    const update = () =>
      send(() => client.send(new UpdateStateMachineAliasCommand({ stateMachineAliasArn: aliasArn(request.pipelineConfigId), description, routingConfiguration })));
    if (exists) {
      await update();
      return;
    }
    try {
      await send(() => client.send(new CreateStateMachineAliasCommand({ name: LIVE_ALIAS, description, routingConfiguration })));
    } catch (error) {
      if (!isNamed(error, 'ConflictException', 'ResourceAlreadyExists')) throw error;
      await update();
    }
  };

  /** The whole publish: idempotent per (pipeline, version), and never moves the alias back to an older version. */
  const publishLive = async (request: PublishRequest): Promise<PublishedPipeline> => {
    const live = await readLiveVersion(request.pipelineConfigId);
    if (live !== undefined && live >= request.version) return published(request);
    const description = versionDescription(request.version, request.application, request.name);
    const versionArn = await publishVersion(request, description);
    await pointAlias(request, versionArn, description, live !== undefined);
    liveVersion.set(request.pipelineConfigId, request.version);
    return published(request);
  };

  const publishNow = async (request: PublishRequest): Promise<PublishedPipeline> => {
    const queued = queue.enqueue(() => publishLive(request));
    // A full queue still publishes: this caller waits as long as it takes.
    return queued.accepted ? queued.done : publishLive(request);
  };

  /**
   * The ARN to start `version` on: the live alias when it points at that version; after a
   * deferred publish, the alias once published; for an older version (a restart), the published
   * version with the identical definition, published again when none is kept.
   */
  const startTarget = async (pipelineConfigId: string, version: number): Promise<string> => {
    let live = liveVersion.get(pipelineConfigId);
    if (live === version) return aliasArn(pipelineConfigId);
    live = await readLiveVersion(pipelineConfigId);
    if (live === version) return aliasArn(pipelineConfigId);
    const request = await options.loadPublishRequest?.(pipelineConfigId, version);
    if (!request) {
      throw new GennakerError('Gennaker.InvariantViolated', `version ${version} of pipeline ${pipelineConfigId} is not published in Step Functions (live: ${live ?? 'none'}); save the pipeline again`);
    }
    if (live === undefined || live < version) {
      await publishNow(request);
      return aliasArn(pipelineConfigId);
    }
    return olderVersionArn(request);
  };

  const olderVersionArn = async (request: PublishRequest): Promise<string> => {
    const definition = applySubstitutions(request.definition, options.substitutions);
    const listed = await send(() => client.send(new ListStateMachineVersionsCommand({ stateMachineArn: machineArn(request.pipelineConfigId), maxResults: VERSIONS_SEARCHED })));
    for (const { stateMachineVersionArn } of listed.stateMachineVersions ?? []) {
      if (!stateMachineVersionArn) continue;
      const described = await send(() => client.send(new DescribeStateMachineCommand({ stateMachineArn: stateMachineVersionArn })));
      if (described.definition === definition) return stateMachineVersionArn;
    }
    const description = versionDescription(request.version, request.application, request.name);
    const queued = queue.enqueue(() => publishVersion(request, description));
    return queued.accepted ? queued.done : publishVersion(request, description);
  };

  return {
    async publish(request) {
      if (request.children && request.children.length > 0) {
        throw new GennakerError(
          'Gennaker.InvariantViolated',
          `pipeline ${request.pipelineConfigId} runs stages as child state machines (keys: ${request.children.map((child) => child.key).join(', ')}), which are not supported on AWS yet; shorten the canary (fewer intervals) so the pipeline fits in one state machine`,
        );
      }
      applySubstitutions(request.definition, options.substitutions);
      const queued = queue.enqueue(() => publishLive(request));
      if (!queued.accepted) {
        options.onDeferred?.(request, `${queued.pending} publishes are already queued in this function`);
        return published(request);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<'deferred'>((resolve) => {
        timer = setTimeout(() => resolve('deferred'), publishWaitMs);
      });
      try {
        const outcome = await Promise.race([queued.done, deadline]);
        if (outcome === 'deferred') {
          // Keep the queued publish's failure from going unhandled; the next start publishes it again.
          queued.done.catch(() => undefined);
          options.onDeferred?.(request, `the Step Functions control plane stayed throttled for ${publishWaitMs} ms`);
          return published(request);
        }
        return outcome;
      } catch (error) {
        if (isNamed(error, 'ThrottlingException', 'TooManyRequestsException')) {
          options.onDeferred?.(request, 'the Step Functions control plane stayed throttled through every retry');
          return published(request);
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },

    publishNow,

    async startExecution(request) {
      if (!isExecutionName(request.executionId)) {
        throw new GennakerError('Gennaker.InvariantViolated', `execution id '${request.executionId}' cannot name a Step Functions execution (1-80 letters, digits, '-' or '_')`);
      }
      const target = await startTarget(request.pipelineConfigId, request.version);
      try {
        // The input is built from the id alone, so a duplicate start sends byte-identical input.
        await send(() => client.send(new StartExecutionCommand({ stateMachineArn: target, name: request.executionId, input: JSON.stringify({ executionId: request.executionId }) })));
      } catch (error) {
        if (isNamed(error, 'ExecutionAlreadyExists')) return;
        throw error;
      }
    },

    async stopExecution(executionId, { cause }) {
      const pipelineConfigId = await options.pipelineOf(executionId);
      if (pipelineConfigId === undefined) return;
      try {
        await send(() =>
          client.send(new StopExecutionCommand({ executionArn: executionArn(location, machineName(pipelineConfigId), executionId), cause: cause.slice(0, MAX_CAUSE_LENGTH) })),
        );
      } catch (error) {
        if (isNamed(error, 'ExecutionDoesNotExist')) return;
        throw error;
      }
    },

    async sendTaskSuccess(taskToken, output) {
      await send(() => client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
    },

    async sendTaskFailure(taskToken, error, cause) {
      await send(() => client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, MAX_ERROR_LENGTH), cause: cause.slice(0, MAX_CAUSE_LENGTH) })));
    },

    pendingPublishes: () => queue.pending(),
    idle: () => queue.idle(),
  };
}
